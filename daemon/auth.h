/*
 * auth.h - MS-SNTP as a client: our account's RID and NT hash, handed to
 * the NTP client for the DCs of our own domain (mssntp = auto | require).
 */
#ifndef DOMTIMED_AUTH_H
#define DOMTIMED_AUTH_H

#include <jansson.h>

struct dmn;
struct dir_raw;

/*
 * Read our RC4 keys from the keytab (as root, before the privilege drop),
 * unless mssntp = no or there is no directory. Logs what it found.
 */
void dmn_auth_start(struct dmn *d);
void dmn_auth_free(struct dmn *d);

/* A full read came back: take our account's RID from its objectSid. */
void dmn_auth_self(struct dmn *d, long rid);

/* For status: {"mode", "key": "rc4" | "none", "rid", "verified", "failed"}. */
json_t *dmn_auth_json(const struct dmn *d);

#endif
