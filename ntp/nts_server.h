/*
 * nts_server.h - NTS for our clients (RFC 8915): the NTS-KE server and the
 * NTS fields of NTP answers.
 *
 * The key exchange listens on TCP (non-blocking TLS 1.3, ALPN ntske/1,
 * our certificate and key), agrees on NTPv4 and AEAD_AES_SIV_CMAC_256 and
 * hands out 8 cookies. A cookie is the pair of session keys sealed with a
 * cookie key of ours (AES-SIV, key id in front), so the server keeps no
 * state per client. Cookie keys are rotated daily, the previous one still
 * accepted, and kept in a file (written atomically, mode 0600) so cookies
 * survive a restart.
 */
#ifndef DOMTIMED_NTP_NTS_SERVER_H
#define DOMTIMED_NTP_NTS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nts.h"

struct event_base;
struct nts_srv;

struct nts_srv_counters {
	uint64_t ke_ok, ke_failed;         /* key exchanges */
	uint64_t requests, naks, bad_auth; /* NTS-protected NTP requests */
};

/*
 * Load CERT (PEM chain) and KEY, and the cookie keys from KEYS_FILE (made
 * when missing). NTP_PORT is the port NTP is served on (told to clients
 * when not 123). NULL with an allocated *RET_CAUSE.
 */
struct nts_srv *nts_srv_new(struct event_base *base, const char *cert, const char *key,
                            const char *keys_file, int ntp_port, char **ret_cause);
struct nts_srv *nts_srv_free(struct nts_srv *s);
/* Do CERT and KEY load and match (domtimed -t)? 0, or -1 with an allocated *RET_CAUSE. */
int nts_srv_check_files(const char *cert, const char *key, char **ret_cause);
/* Accept key exchanges on ADDR. 0, or -1 with an allocated *RET_CAUSE. */
int nts_srv_listen(struct nts_srv *s, const struct sockaddr *addr, socklen_t len, char **ret_cause);
const struct nts_srv_counters *nts_srv_counters(const struct nts_srv *s);

/* What an NTS answer needs once its header is final. */
struct nts_srv_reply {
	int nak; /* answer KoD NTSN (no authenticator) */
	uint8_t uid[NTS_UID_LEN];
	uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN]; /* sealed again in the fresh cookies */
	unsigned n_cookies;
};

enum nts_srv_check {
	NTS_SRV_PLAIN, /* no NTS fields: an ordinary request */
	NTS_SRV_OK,    /* authentic: answer with *RET filled */
	NTS_SRV_NAK,   /* a cookie we cannot open: answer KoD NTSN */
	NTS_SRV_DROP,  /* malformed or not authentic */
};

/* Check the NTS fields of the request BUF (LEN octets, EF_LEN octets of fields). */
enum nts_srv_check nts_srv_check_request(struct nts_srv *s, const uint8_t *buf, size_t len,
                                         struct nts_srv_reply *ret);
/* Octets the NTS fields of the answer take. */
size_t nts_srv_reply_len(const struct nts_srv_reply *r);
/*
 * Append them to the answer header in BUF (SIZE room): UID, then the
 * authenticator with fresh cookies under S2C (none for a NAK). The new
 * length, or 0 on a library failure.
 */
size_t nts_srv_seal(struct nts_srv *s, const struct nts_srv_reply *r, uint8_t *buf, size_t size);

#endif
