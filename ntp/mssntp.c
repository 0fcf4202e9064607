/*
 * mssntp.c - MS-SNTP packet layout and checksum ([MS-SNTP] 2.2.1, 3.1.5.1).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "mssntp.h"

enum mssntp_form
mssntp_form_of(const uint8_t *buf, size_t len)
{
	static const uint8_t zero[MSSNTP_DIGEST_LEN];

	if (len == MSSNTP_EXTENDED_LEN)
		return MSSNTP_EXTENDED;
	/* A symmetric-key MAC of the same length is never all zeros. */
	if (len == MSSNTP_AUTH_LEN && memcmp(buf + NTP_HEADER_LEN + 4, zero, sizeof(zero)) == 0)
		return MSSNTP_AUTH;
	return MSSNTP_NOT;
}

uint32_t
mssntp_key_id(const uint8_t p[4])
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void
mssntp_digest(const uint8_t key[MSSNTP_KEY_LEN], const uint8_t header[NTP_HEADER_LEN],
              uint8_t ret[MSSNTP_DIGEST_LEN])
{
	uint8_t msg[MSSNTP_KEY_LEN + NTP_HEADER_LEN];
	unsigned int len = 0;

	memcpy(msg, key, MSSNTP_KEY_LEN);
	memcpy(msg + MSSNTP_KEY_LEN, header, NTP_HEADER_LEN);
	/* MD5 cannot fail short of a broken libcrypto; a zero digest then matches nothing. */
	if (!EVP_Digest(msg, sizeof(msg), ret, &len, EVP_md5(), NULL) || len != MSSNTP_DIGEST_LEN)
		memset(ret, 0, MSSNTP_DIGEST_LEN);
	OPENSSL_cleanse(msg, sizeof(msg));
}

int
mssntp_verify(const uint8_t *reply, size_t len, const uint8_t (*keys)[MSSNTP_KEY_LEN],
              size_t n_keys)
{
	uint8_t digest[MSSNTP_DIGEST_LEN];

	if (len != MSSNTP_AUTH_LEN)
		return -1;
	for (size_t i = 0; i < n_keys; i++) {
		mssntp_digest(keys[i], reply, digest);
		if (CRYPTO_memcmp(digest, reply + NTP_HEADER_LEN + 4, MSSNTP_DIGEST_LEN) == 0)
			return (int)i;
	}
	return -1;
}

int
mssntp_can_sign(const struct mssntp_auth *a)
{
	return a->key_id != 0 && a->n_keys > 0;
}

size_t
mssntp_make_request(const struct mssntp_auth *a, uint8_t buf[MSSNTP_AUTH_LEN])
{
	uint32_t id = a->key_id & ~MSSNTP_KEY_SELECTOR;

	if (!mssntp_can_sign(a))
		return NTP_HEADER_LEN;
	buf[48] = (uint8_t)id;
	buf[49] = (uint8_t)(id >> 8);
	buf[50] = (uint8_t)(id >> 16);
	buf[51] = (uint8_t)(id >> 24);
	memset(buf + 52, 0, MSSNTP_DIGEST_LEN);
	return MSSNTP_AUTH_LEN;
}

enum mssntp_verdict
mssntp_check(const struct mssntp_auth *a, const uint8_t *buf, size_t len)
{
	if (!mssntp_can_sign(a))
		return MSSNTP_NO_KEY;
	if (len == NTP_HEADER_LEN) {
		a->counters->unsigned_reply++;
		return MSSNTP_UNSIGNED;
	}
	if (mssntp_verify(buf, len, (const uint8_t(*)[MSSNTP_KEY_LEN])a->keys, a->n_keys) < 0) {
		a->counters->bad_mac++;
		return MSSNTP_BAD_MAC;
	}
	a->counters->verified++;
	return MSSNTP_VERIFIED;
}

const char *
mssntp_verdict_reason(enum mssntp_verdict verdict)
{
	switch (verdict) {
	case MSSNTP_NO_ANSWER:
	case MSSNTP_VERIFIED:
		return "";
	case MSSNTP_NO_KEY:
		return "MS-SNTP impossible: no arcfour-hmac (RC4) key for our account in the "
		       "keytab, or our RID is not known yet";
	case MSSNTP_UNSIGNED:
		return "MS-SNTP: unsigned answer to a signed request (the DC cannot sign, or "
		       "someone else answered)";
	case MSSNTP_SILENT:
		return "MS-SNTP: no answer to signed requests (the DC cannot sign?): asking with "
		       "plain NTP (mssntp = auto), signed again now and then";
	case MSSNTP_BAD_MAC:
	default:
		return "MS-SNTP: bad MAC (altered on the way, forged, or our password changed "
		       "and the keytab is stale)";
	}
}
