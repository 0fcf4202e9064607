/*
 * keys.h - RFC 8573 symmetric keys: the key file and the MACs it keys.
 *
 * The key file is chrony's format: "ID [TYPE] KEY" per line, TYPE one of
 * MD5 (the default), SHA1, SHA256, SHA384, SHA512, AES128, AES256, KEY as
 * HEX:hexdigits, ASCII:text or bare text; lines starting with # ! ; or %
 * are comments. AES keys are AES-CMAC (RFC 8573, the recommended kind);
 * the others are the legacy digest of key || packet, truncated to the 20
 * octets NTPv4 allows. A MAC is the key id (4 octets, big-endian) and the
 * digest, after the header and any extension fields.
 */
#ifndef DOMTIMED_NTP_KEYS_H
#define DOMTIMED_NTP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define NTP_KEY_MAX_SECRET 64
#define NTP_KEY_MAX_DIGEST 20

enum ntp_key_type {
	NTP_KEY_MD5,
	NTP_KEY_SHA1,
	NTP_KEY_SHA256,
	NTP_KEY_SHA384,
	NTP_KEY_SHA512,
	NTP_KEY_AES128,
	NTP_KEY_AES256,
	NTP_KEY_N_TYPES
};

struct ntp_key {
	uint32_t id; /* 1 .. 2^32-1 */
	enum ntp_key_type type;
	size_t len;
	uint8_t secret[NTP_KEY_MAX_SECRET];
};

struct ntp_keys {
	struct ntp_key *v;
	size_t n;
};

/* What a packet's MAC says, checked against a key table. */
enum ntp_auth_verdict {
	NTP_AUTH_OK,
	NTP_AUTH_NONE,        /* no MAC */
	NTP_AUTH_UNKNOWN_KEY, /* a key id we do not hold */
	NTP_AUTH_BAD_MAC,     /* wrong length or wrong digest */
};

/*
 * Parse LEN octets of key-file TEXT named NAME (for messages). Returns the
 * table, or NULL with an allocated *RET_CAUSE naming the first bad line:
 * a key file with a mistake is refused whole, never half used.
 */
struct ntp_keys *ntp_keys_parse(const char *name, const char *text, size_t len, char **ret_cause);
/* Read and parse PATH; NULL with an allocated *RET_CAUSE. */
struct ntp_keys *ntp_keys_load(const char *path, char **ret_cause);
struct ntp_keys *ntp_keys_free(struct ntp_keys *keys);
/* Key ID, or NULL (KEYS may be NULL: no key file). */
const struct ntp_key *ntp_keys_find(const struct ntp_keys *keys, uint32_t id);

const char *ntp_key_type_name(enum ntp_key_type type);
/* Octets of digest K puts in a MAC (16 or 20), without the key id. */
size_t ntp_key_digest_len(const struct ntp_key *k);
/* The digest of DATA under K into OUT. 0, or -1 when the crypto library fails. */
int ntp_key_digest(const struct ntp_key *k, const uint8_t *data, size_t len,
                   uint8_t out[NTP_KEY_MAX_DIGEST]);
/*
 * Append K's MAC to the packet of LEN octets in BUF (SIZE octets room).
 * Returns the new length, or 0 when it does not fit or the library fails.
 */
size_t ntp_key_sign(const struct ntp_key *k, uint8_t *buf, size_t len, size_t size);
/*
 * Check the MAC that ends the packet BUF of LEN octets, whose MAC is
 * MAC_LEN octets (ntp_decode's trailer; 0 = none). *RET_KEY is the key
 * that signed it when NTP_AUTH_OK, or its id's key when NTP_AUTH_BAD_MAC.
 */
enum ntp_auth_verdict ntp_keys_check(const struct ntp_keys *keys, const uint8_t *buf, size_t len,
                                     size_t mac_len, const struct ntp_key **ret_key);
/* AES-CMAC (RFC 4493) with a 16- or 32-octet KEY: 0, or -1. */
int ntp_aes_cmac(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                 uint8_t out[16]);
/* Is the packet's MAC exactly K's, and right? */
int ntp_key_verify(const struct ntp_key *k, const uint8_t *buf, size_t len, size_t mac_len);

#endif
