/*
 * keys.c - the key file and RFC 8573 MACs, on OpenSSL 3 (EVP_MD, EVP_MAC).
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ascii.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "keys.h"

/* Longest key-file line; chrony's keygen writes well under 200 characters. */
#define MAX_LINE 1024
/* Shorter keys can be guessed (chrony warns below 80 bits; we refuse). */
#define MIN_SECRET 10

struct key_type {
	const char *name;
	const char *algorithm; /* OpenSSL digest; NULL for CMAC (the key length picks AES) */
	int cmac;
	size_t key_len; /* CMAC: the cipher's key length; digests: any */
};

static const struct key_type key_types[NTP_KEY_N_TYPES] = {
    [NTP_KEY_MD5] = {"MD5", "MD5", 0, 0},          [NTP_KEY_SHA1] = {"SHA1", "SHA1", 0, 0},
    [NTP_KEY_SHA256] = {"SHA256", "SHA256", 0, 0}, [NTP_KEY_SHA384] = {"SHA384", "SHA384", 0, 0},
    [NTP_KEY_SHA512] = {"SHA512", "SHA512", 0, 0}, [NTP_KEY_AES128] = {"AES128", NULL, 1, 16},
    [NTP_KEY_AES256] = {"AES256", NULL, 1, 32},
};

const char *
ntp_key_type_name(enum ntp_key_type type)
{
	return (unsigned)type < NTP_KEY_N_TYPES ? key_types[type].name : "?";
}

size_t
ntp_key_digest_len(const struct ntp_key *k)
{
	/* CMAC and MD5 give 16 octets; longer digests are cut to NTPv4's 20. */
	return key_types[k->type].cmac || k->type == NTP_KEY_MD5 ? 16 : NTP_KEY_MAX_DIGEST;
}

/* ---- digests ----------------------------------------------------------------- */

static EVP_MAC *cmac;

static void
fetch_cmac(void)
{
	cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

int
ntp_aes_cmac(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[16])
{
	/* Fetched once: OpenSSL 3's look-up costs more than a packet's MAC. */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	EVP_MAC *mac = (pthread_once(&once, fetch_cmac), cmac);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(
	        OSSL_MAC_PARAM_CIPHER, (char *)(key_len == 32 ? "AES-256-CBC" : "AES-128-CBC"), 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t out_len = 0;
	int ok = (key_len == 16 || key_len == 32) && ctx != NULL &&
	         EVP_MAC_init(ctx, key, key_len, params) == 1 &&
	         EVP_MAC_update(ctx, data, len) == 1 &&
	         EVP_MAC_final(ctx, out, &out_len, 16) == 1 && out_len == 16;

	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* The legacy NTP MAC: digest(key || packet), truncated. */
static int
keyed_digest(const struct ntp_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, key_types[k->type].algorithm, NULL);
	EVP_MD_CTX *ctx = md != NULL ? EVP_MD_CTX_new() : NULL;
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned full_len = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	         EVP_DigestUpdate(ctx, k->secret, k->len) == 1 &&
	         EVP_DigestUpdate(ctx, data, len) == 1 &&
	         EVP_DigestFinal_ex(ctx, full, &full_len) == 1 && full_len >= ntp_key_digest_len(k);

	if (ok)
		memcpy(out, full, ntp_key_digest_len(k));
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ok ? 0 : -1;
}

int
ntp_key_digest(const struct ntp_key *k, const uint8_t *data, size_t len,
               uint8_t out[NTP_KEY_MAX_DIGEST])
{
	return key_types[k->type].cmac ? ntp_aes_cmac(k->secret, k->len, data, len, out)
	                               : keyed_digest(k, data, len, out);
}

size_t
ntp_key_sign(const struct ntp_key *k, uint8_t *buf, size_t len, size_t size)
{
	size_t dlen = ntp_key_digest_len(k);

	if (len + 4 + dlen > size)
		return 0;
	buf[len] = (uint8_t)(k->id >> 24);
	buf[len + 1] = (uint8_t)(k->id >> 16);
	buf[len + 2] = (uint8_t)(k->id >> 8);
	buf[len + 3] = (uint8_t)k->id;
	if (ntp_key_digest(k, buf, len, buf + len + 4) < 0)
		return 0;
	return len + 4 + dlen;
}

static uint32_t
mac_key_id(const uint8_t *mac)
{
	return (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
}

int
ntp_key_verify(const struct ntp_key *k, const uint8_t *buf, size_t len, size_t mac_len)
{
	uint8_t want[NTP_KEY_MAX_DIGEST];
	size_t dlen = ntp_key_digest_len(k);

	if (mac_len != 4 + dlen || len < mac_len || mac_key_id(buf + len - mac_len) != k->id)
		return 0;
	if (ntp_key_digest(k, buf, len - mac_len, want) < 0)
		return 0;
	return CRYPTO_memcmp(want, buf + len - dlen, dlen) == 0;
}

enum ntp_auth_verdict
ntp_keys_check(const struct ntp_keys *keys, const uint8_t *buf, size_t len, size_t mac_len,
               const struct ntp_key **ret_key)
{
	const struct ntp_key *k;

	*ret_key = NULL;
	if (mac_len == 0)
		return NTP_AUTH_NONE;
	if (mac_len < 4 || len < mac_len)
		return NTP_AUTH_BAD_MAC;
	k = ntp_keys_find(keys, mac_key_id(buf + len - mac_len));
	if (k == NULL)
		return NTP_AUTH_UNKNOWN_KEY;
	*ret_key = k;
	return ntp_key_verify(k, buf, len, mac_len) ? NTP_AUTH_OK : NTP_AUTH_BAD_MAC;
}

/* ---- the key file ------------------------------------------------------------- */

const struct ntp_key *
ntp_keys_find(const struct ntp_keys *keys, uint32_t id)
{
	for (size_t i = 0; keys != NULL && i < keys->n; i++)
		if (keys->v[i].id == id)
			return &keys->v[i];
	return NULL;
}

static int
parse_type(const char *s, enum ntp_key_type *ret)
{
	for (int t = 0; t < NTP_KEY_N_TYPES; t++) {
		if (strcasecmp(s, key_types[t].name) == 0) {
			*ret = (enum ntp_key_type)t;
			return 0;
		}
	}
	return -1;
}

/* KEY as HEX:digits, ASCII:text or bare text into K. NULL, or what is wrong. */
static const char *
parse_secret(const char *s, struct ntp_key *k)
{
	if (strncasecmp(s, "HEX:", 4) == 0) {
		s += 4;
		if (strlen(s) % 2 != 0 || strlen(s) / 2 > NTP_KEY_MAX_SECRET)
			return "odd or too many hexadecimal digits";
		for (k->len = 0; s[2 * k->len] != '\0'; k->len++) {
			int hi = ascii_hex_value(s[2 * k->len]),
			    lo = ascii_hex_value(s[2 * k->len + 1]);

			if (hi < 0 || lo < 0)
				return "not a hexadecimal digit";
			k->secret[k->len] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		if (strncasecmp(s, "ASCII:", 6) == 0)
			s += 6;
		if (strlen(s) > NTP_KEY_MAX_SECRET)
			return "key longer than 64 octets";
		k->len = strlen(s);
		memcpy(k->secret, s, k->len);
	}
	if (key_types[k->type].cmac && k->len != key_types[k->type].key_len)
		return k->type == NTP_KEY_AES128 ? "AES128 needs a 16-octet key"
		                                 : "AES256 needs a 32-octet key";
	if (k->len < MIN_SECRET)
		return "key shorter than 80 bits";
	return NULL;
}

/* One non-comment line "ID [TYPE] KEY" split into words. NULL, or what is wrong. */
static const char *
parse_key(char **w, int n, struct ntp_key *k)
{
	char *end;
	unsigned long long id;

	*k = (struct ntp_key){.type = NTP_KEY_MD5};
	if (n < 2 || n > 3)
		return "expected ID [TYPE] KEY";
	if (!ascii_is_digit(w[0][0]))
		return "key id is not a number";
	errno = 0;
	id = strtoull(w[0], &end, 10);
	if (*end != '\0' || errno != 0 || id == 0 || id > UINT32_MAX)
		return "key id must be 1 to 4294967295";
	k->id = (uint32_t)id;
	if (n == 3 && parse_type(w[1], &k->type) < 0)
		return "unknown type (MD5, SHA1, SHA256, SHA384, SHA512, AES128, AES256)";
	return parse_secret(w[n - 1], k);
}

/* Split LINE in place into at most 4 whitespace-separated words. */
static int
split_words(char *line, char **w)
{
	int n = 0;

	for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 4)
			return 5;
		w[n++] = t;
	}
	return n;
}

/* Add line LINE (NUL-terminated) to KEYS. NULL, or what is wrong. */
static const char *
add_line(struct ntp_keys *keys, char *line)
{
	char *w[4];
	int n = split_words(line, w);
	struct ntp_key k;
	const char *err;

	if (n == 0 || strchr("#!;%", w[0][0]) != NULL)
		return NULL;
	err = parse_key(w, n, &k);
	if (err != NULL)
		return err;
	if (ntp_keys_find(keys, k.id) != NULL)
		return "duplicate key id";
	keys->v = xreallocarray(keys->v, keys->n + 1, sizeof(*keys->v));
	keys->v[keys->n++] = k;
	return NULL;
}

struct ntp_keys *
ntp_keys_parse(const char *name, const char *text, size_t len, char **ret_cause)
{
	struct ntp_keys *keys = xcalloc(1, sizeof(*keys));
	char line[MAX_LINE + 1];
	unsigned lineno = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl != NULL ? (size_t)(nl - text) : len) - pos;
		const char *err = NULL;

		lineno++;
		if (n > MAX_LINE)
			err = "line too long";
		else if (memchr(text + pos, '\0', n) != NULL)
			err = "NUL character";
		if (err == NULL) {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			err = add_line(keys, line);
		}
		explicit_bzero(line, sizeof(line));
		if (err != NULL) {
			*ret_cause = xasprintf("%s:%u: %s", name, lineno, err);
			return ntp_keys_free(keys);
		}
		pos += n + 1;
	}
	return keys;
}

struct ntp_keys *
ntp_keys_load(const char *path, char **ret_cause)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t cap = 0, len = 0;
	struct ntp_keys *keys;

	if (f == NULL) {
		*ret_cause = xasprintf("%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	/* A key file is small; a huge one is a mistake. */
	cap = 1 << 20;
	text = xmalloc(cap);
	len = fread(text, 1, cap, f);
	if (ferror(f) || len == cap) {
		*ret_cause =
		    xasprintf("%s: %s", path, ferror(f) ? "read error" : "larger than 1 MiB");
		keys = NULL;
	} else {
		keys = ntp_keys_parse(path, text, len, ret_cause);
	}
	fclose(f);
	explicit_bzero(text, len);
	free(text);
	return keys;
}

struct ntp_keys *
ntp_keys_free(struct ntp_keys *keys)
{
	if (keys != NULL) {
		if (keys->v != NULL)
			explicit_bzero(keys->v, keys->n * sizeof(*keys->v));
		free(keys->v);
		free(keys);
	}
	return NULL;
}
