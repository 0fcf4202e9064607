/*
 * nts_ke.h - the NTS Key Establishment client (RFC 8915 section 4).
 *
 * One exchange: TCP to the KE server, TLS 1.3 with ALPN "ntske/1" and the
 * server's certificate verified against its name (nts_ca_file, else the
 * system store), our request (NTPv4, AEAD_AES_SIV_CMAC_256), the server's
 * records until End of Message, then the two keys exported from the TLS
 * session. The socket is non-blocking and driven by the event loop: the
 * exchange never blocks the daemon. The record codec is pure and fuzzed.
 */
#ifndef DOMTIMED_NTP_NTS_KE_H
#define DOMTIMED_NTP_NTS_KE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;

/* Big-endian 16-bit fields, as in every NTS record and extension field. */
static inline uint16_t
nts_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
nts_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Extension fields are padded to 4 octets. */
static inline size_t
nts_pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

#define NTS_KE_PORT 4460
#define NTS_AEAD_AES_SIV_CMAC_256 15
#define NTS_KEY_LEN 32 /* AES-SIV-CMAC-256: two AES-128 keys */
#define NTS_MAX_COOKIES 8
#define NTS_MAX_COOKIE_LEN 256
#define NTS_MAX_SERVER_LEN 253

struct nts_cookie {
	size_t len;
	uint8_t data[NTS_MAX_COOKIE_LEN];
};

struct nts_ke_result {
	char server[NTS_MAX_SERVER_LEN + 1]; /* negotiated NTP server; "" = the KE host */
	int port;                            /* negotiated NTP port; 123 unless told */
	size_t n_cookies;
	struct nts_cookie cookies[NTS_MAX_COOKIES];
	uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN]; /* client-to-server, server-to-client */
};

/* Record types (RFC 8915 4.1); the top bit of the type field marks a critical record. */
#define NTS_KE_CRITICAL 0x8000u
#define NTS_KE_END 0
#define NTS_KE_NEXT_PROTOCOL 1
#define NTS_KE_ERROR 2
#define NTS_KE_WARNING 3
#define NTS_KE_AEAD 4
#define NTS_KE_COOKIE 5
#define NTS_KE_SERVER 6
#define NTS_KE_PORT_RECORD 7
#define NTS_KE_NTPV4 0

/* Write a record of TYPE with BODY at P: returns the end. */
uint8_t *nts_ke_put_record(uint8_t *p, unsigned type, const uint8_t *body, uint16_t len);
/* Our request records into BUF (at least 16 octets): returns the length. */
size_t nts_ke_build_request(uint8_t *buf, size_t size);

enum nts_ke_parse {
	NTS_KE_PARSE_DONE,  /* End of Message seen and the result is complete */
	NTS_KE_PARSE_MORE,  /* well-formed so far; more octets needed */
	NTS_KE_PARSE_ERROR, /* *RET_ERROR says why */
};

/*
 * Parse the LEN octets the server sent so far. Strict: every record's length
 * fits its type, critical unknown records and Error records refuse, the
 * protocol and algorithm must be the ones we asked for, at least one cookie
 * must come. *RET_ERROR is a static string.
 */
enum nts_ke_parse nts_ke_parse_response(const uint8_t *buf, size_t len, struct nts_ke_result *ret,
                                        const char **ret_error);

/*
 * The server's side: is the client's request of LEN octets complete (1),
 * incomplete (0), or refused (-1, *RET_CODE the error record to send: 0
 * unrecognized critical record, 1 bad request)? It must offer NTPv4 and
 * AEAD_AES_SIV_CMAC_256 and end with End of Message.
 */
int nts_ke_parse_request(const uint8_t *p, size_t len, uint16_t *ret_code);

struct nts_ke;

/*
 * RES is NULL on failure, with ERROR saying why (certificate, ALPN, records, timeout);
 * ERROR lives in KE: copy it before nts_ke_free.
 */
typedef void (*nts_ke_done_fn)(const struct nts_ke_result *res, const char *error, void *arg);

/*
 * Start an exchange with ADDR, verifying the certificate against HOST and
 * CA_FILE (NULL or "": the system store). DONE is called once, from the
 * event loop, unless the exchange is freed first. Never returns NULL.
 */
struct nts_ke *nts_ke_start(struct event_base *base, const struct sockaddr *addr,
                            socklen_t addr_len, const char *host, const char *ca_file,
                            double timeout, nts_ke_done_fn done, void *arg);
struct nts_ke *nts_ke_free(struct nts_ke *ke);

#endif
