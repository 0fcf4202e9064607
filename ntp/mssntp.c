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
