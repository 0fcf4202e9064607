/*
 * nts.h - NTS for NTPv4 (RFC 8915 section 5): the extension fields, the
 * AEAD, and a session that keeps the keys and cookies of one server and
 * runs a new key exchange (nts_ke.h) when they run out or are refused.
 *
 * A request carries Unique Identifier, one NTS Cookie, Cookie Placeholders
 * asking for as many cookies as were spent, and the NTS Authenticator:
 * AEAD_AES_SIV_CMAC_256 under the client-to-server key over everything
 * before it. An answer is used only when it echoes the identifier and its
 * authenticator verifies under the server-to-client key; the cookies inside
 * its ciphertext replace the one spent. A KoD "NTSN" echoing the identifier
 * (unauthenticated, as RFC 8915 allows) sends us back to key exchange.
 */
#ifndef DOMTIMED_NTP_NTS_H
#define DOMTIMED_NTP_NTS_H

#include <stddef.h>
#include <stdint.h>

#include "nts_ke.h"

struct event_base;
struct evdns_base;

/* NTP extension field types (RFC 8915 5.7). */
#define NTS_EF_UID 0x0104
#define NTS_EF_COOKIE 0x0204
#define NTS_EF_PLACEHOLDER 0x0304
#define NTS_EF_AUTH 0x0404

#define NTS_UID_LEN 32
#define NTS_NONCE_LEN 16
#define NTS_TAG_LEN 16

/* ---- the pure parts (exposed for tests and fuzzing) ---------------------------------- */

/*
 * AEAD_AES_SIV_CMAC_256 (RFC 5297 with one associated datum and a nonce):
 * OUT gets the 16-octet SIV, then the ciphertext (PT_LEN octets). 0 or -1.
 */
int nts_siv_encrypt(const uint8_t key[NTS_KEY_LEN], const uint8_t *ad, size_t ad_len,
                    const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
                    uint8_t *out);
/* Verify and decrypt CT (SIV then ciphertext, CT_LEN >= 16) into PT: 0, or -1 if forged. */
int nts_siv_decrypt(const uint8_t key[NTS_KEY_LEN], const uint8_t *ad, size_t ad_len,
                    const uint8_t *nonce, size_t nonce_len, const uint8_t *ct, size_t ct_len,
                    uint8_t *pt);

/*
 * Append to the packet of LEN octets in BUF (SIZE room) the extension fields
 * of a request with UID, COOKIE, N_PLACEHOLDERS placeholders and the
 * authenticator under C2S. Returns the new length, 0 when it does not fit.
 */
size_t nts_build_request(uint8_t *buf, size_t len, size_t size, const uint8_t uid[NTS_UID_LEN],
                         const struct nts_cookie *cookie, unsigned n_placeholders,
                         const uint8_t c2s[NTS_KEY_LEN]);

enum nts_verdict {
	NTS_OK,  /* authentic; cookies taken */
	NTS_NAK, /* KoD NTSN for our request: the server no longer knows our cookies */
	NTS_BAD, /* not for us or not authentic: *RET_ERROR says why */
};

/*
 * Check the answer of LEN octets in BUF to the request with UID, under S2C.
 * NTS_OK fills RET_COOKIES (up to NTS_MAX_COOKIES) and *RET_N.
 */
enum nts_verdict nts_check_reply(const uint8_t *buf, size_t len, const uint8_t uid[NTS_UID_LEN],
                                 const uint8_t s2c[NTS_KEY_LEN], struct nts_cookie *ret_cookies,
                                 size_t *ret_n, const char **ret_error);

/* ---- the session ------------------------------------------------------------------- */

struct nts_session;

/* A key exchange succeeded: the NTP server and port to poll may be new. */
typedef void (*nts_ready_fn)(struct nts_session *s, void *arg);

struct nts_report {
	const char *state; /* "key-exchange", "ready", "failed" */
	size_t cookies;    /* left */
	double last_ke;    /* Unix time of the last successful exchange, NAN before */
	double next_ke_in; /* seconds to the next attempt when failed, NAN otherwise */
	const char *error; /* last refusal (certificate, ALPN, records, NAK, bad auth), "" none */
	uint64_t ke_ok, ke_failed, naks, bad_auth;
};

/*
 * A session with the NTS-KE server HOST:KE_PORT (resolved on DNS, or numeric
 * only when DNS is NULL), certificates checked against CA_FILE (NULL or "":
 * the system store). Key exchange starts at once; READY is called after each
 * success.
 */
struct nts_session *nts_session_new(struct event_base *base, struct evdns_base *dns,
                                    const char *host, int ke_port, const char *ca_file,
                                    nts_ready_fn ready, void *arg);
struct nts_session *nts_session_free(struct nts_session *s);

/* The NTP server to poll (negotiated, else the KE host) and its port. */
const char *nts_session_server(const struct nts_session *s, int *ret_port);
/*
 * Add the NTS fields to the request header in BUF (LEN octets, SIZE room),
 * spending a cookie: the new length, or 0 when there is no cookie (a key
 * exchange is then under way) with *RET_ERROR saying so.
 */
size_t nts_session_request(struct nts_session *s, uint8_t *buf, size_t len, size_t size,
                           const char **ret_error);
/* Check an answer to the last request; NTS_NAK and running out start a key exchange. */
enum nts_verdict nts_session_reply(struct nts_session *s, const uint8_t *buf, size_t len,
                                   const char **ret_error);
void nts_session_report(const struct nts_session *s, struct nts_report *ret);

#endif
