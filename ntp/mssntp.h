/*
 * mssntp.h - MS-SNTP (the NTP authentication Windows domain members use):
 * the packet layout and the MD5 checksum, pure functions only.
 *
 * A client sends 68 octets: the 48-octet header, its key identifier (the
 * RID of its computer or trust account, little-endian, bit 31 choosing the
 * previous password) and a zero checksum. The DC answers with 68 octets: its
 * reply header, the key identifier and MD5(NT hash || reply header), the NT
 * hash being the account's NTOWFv1, which is also its arcfour-hmac Kerberos
 * key. A 120-octet (extended, HMAC-SHA512) form exists; Samba cannot sign it.
 */
#ifndef DOMTIMED_NTP_MSSNTP_H
#define DOMTIMED_NTP_MSSNTP_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define MSSNTP_AUTH_LEN 68      /* header + key id + 16-octet MD5 */
#define MSSNTP_EXTENDED_LEN 120 /* header + key id, 4 flag octets, 64-octet HMAC-SHA512 */
#define MSSNTP_KEY_LEN 16       /* an NT hash */
#define MSSNTP_DIGEST_LEN 16
#define MSSNTP_KEY_SELECTOR 0x80000000u /* in the key id: use the previous password */

/* What an authenticated datagram (ntp_decode found a MAC) asks for. */
enum mssntp_form {
	MSSNTP_NOT,      /* another MAC (symmetric key): not ours */
	MSSNTP_AUTH,     /* 68 octets, zero checksum: sign it */
	MSSNTP_EXTENDED, /* 120 octets: the HMAC-SHA512 form */
};

/* Every MS-SNTP event the server and the client count. */
struct mssntp_counters {
	uint64_t n_signed;             /* signed replies sent */
	uint64_t sign_failed;          /* signed requests left unanswered, all reasons below */
	uint64_t unknown_rid;          /* ntp_signd: no trust account with that RID */
	uint64_t refused;              /* ntp_signd closed the connection while signing it: a
	                                  disabled or non-trust account (or Samba stopped) */
	uint64_t signd_down;           /* no connection to ntp_signd */
	uint64_t queue_full;           /* too many requests waiting for a signature */
	uint64_t timed_out;            /* no signature before the deadline */
	uint64_t extended_unsupported; /* 120-octet requests (Samba signs only 68) */
	uint64_t verified;             /* replies to our requests with a good MAC */
	uint64_t bad_mac;              /* replies to our requests with a wrong MAC */
	uint64_t unsigned_reply;       /* replies to our signed requests without one */
};

/* MS-SNTP as a client: who we are and our keys, shared by the peers that use it. */
struct mssntp_auth {
	uint32_t key_id;                 /* our account's RID; 0 before it is known */
	uint8_t keys[2][MSSNTP_KEY_LEN]; /* NT hash: current and previous kvno */
	size_t n_keys;                   /* 0: no arcfour-hmac key in the keytab */
	int require;                     /* refuse time that is not authenticated */
	struct mssntp_counters *counters;
};

/* What an answer to our request proves. */
enum mssntp_verdict {
	MSSNTP_NO_ANSWER, /* nothing to judge yet */
	MSSNTP_VERIFIED,  /* signed with our account's key */
	MSSNTP_NO_KEY,    /* we could not ask for a signature (no RID or no RC4 key) */
	MSSNTP_UNSIGNED,  /* a plain answer to a signed request */
	MSSNTP_BAD_MAC,   /* signed, but not with our key: forged, altered, or a new password */
	MSSNTP_SILENT,    /* signed requests went unanswered: asked with plain NTP (auto) */
};

/* Which form the LEN octets at BUF take, ntp_decode having found a MAC in them. */
enum mssntp_form mssntp_form_of(const uint8_t *buf, size_t len);

/* A key identifier from its four octets on the wire (little-endian, at octet 48). */
uint32_t mssntp_key_id(const uint8_t wire[4]);

/* MD5(KEY || HEADER): the checksum of a 68-octet reply. */
void mssntp_digest(const uint8_t key[MSSNTP_KEY_LEN], const uint8_t header[NTP_HEADER_LEN],
                   uint8_t ret[MSSNTP_DIGEST_LEN]);

/*
 * Does the 68-octet REPLY carry a checksum made with one of the N_KEYS keys
 * (the current and the previous password)? The key id in a reply is
 * ignored, as the spec says. Returns the index of the key that matched, or
 * -1 (also for a reply of any other length).
 */
int mssntp_verify(const uint8_t *reply, size_t len, const uint8_t (*keys)[MSSNTP_KEY_LEN],
                  size_t n_keys);

/* Can A sign requests (a RID and at least one key)? */
int mssntp_can_sign(const struct mssntp_auth *a);

/*
 * Turn the 48-octet request at BUF into a 68-octet MS-SNTP one (key id,
 * zero checksum) when A can sign. Returns the request's length.
 */
size_t mssntp_make_request(const struct mssntp_auth *a, uint8_t buf[MSSNTP_AUTH_LEN]);

/* What the LEN octets at BUF, an answer to a request made for A, prove; counted. */
enum mssntp_verdict mssntp_check(const struct mssntp_auth *a, const uint8_t *buf, size_t len);

/* Why an answer with VERDICT is not authenticated, in a few words ("" when it is). */
const char *mssntp_verdict_reason(enum mssntp_verdict verdict);

#endif
