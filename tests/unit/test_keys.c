/*
 * test_keys.c - the key file and RFC 8573 MACs, against vectors computed
 * independently (openssl mac CMAC, python3 hashlib; the AES-CMAC harness
 * reproduces RFC 4493 example 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../ntp/keys.h"
#include "../../ntp/packet.h"

/* A client request: LI 0, VN 4, mode 3, transmit 0x0102030405060708. */
static void
request(uint8_t pkt[NTP_HEADER_LEN])
{
	memset(pkt, 0, NTP_HEADER_LEN);
	pkt[0] = 0x23;
	for (int i = 0; i < 8; i++)
		pkt[40 + i] = (uint8_t)(i + 1);
}

static struct ntp_keys *
parse(const char *text)
{
	char *cause = NULL;
	struct ntp_keys *keys = ntp_keys_parse("test.keys", text, strlen(text), &cause);

	if (keys == NULL)
		fail_msg("%s", cause);
	return keys;
}

static void
assert_digest(const struct ntp_key *k, const char *hex)
{
	uint8_t pkt[NTP_HEADER_LEN], out[NTP_KEY_MAX_DIGEST];
	char got[2 * NTP_KEY_MAX_DIGEST + 1];

	request(pkt);
	assert_int_equal(ntp_key_digest(k, pkt, sizeof(pkt), out), 0);
	assert_int_equal(ntp_key_digest_len(k) * 2, strlen(hex));
	for (size_t i = 0; i < ntp_key_digest_len(k); i++)
		snprintf(got + 2 * i, 3, "%02x", out[i]);
	assert_string_equal(got, hex);
}

static void
test_vectors(void **state)
{
	struct ntp_keys *keys = parse("# chrony style\n"
	                              "1 AES128 HEX:000102030405060708090A0B0C0D0E0F\n"
	                              "2 AES256 HEX:000102030405060708090a0b0c0d0e0f"
	                              "101112131415161718191a1b1c1d1e1f\n"
	                              "3 SHA1 ASCII:0123456789abcdefghij\n"
	                              "  4 md5 0123456789abcdefghij   \r\n"
	                              "5 0123456789abcdefghij\n"
	                              "6 SHA256 HEX:30313233343536373839616263646566676869\n"
	                              "! other comment\n\n");

	(void)state;
	assert_int_equal(keys->n, 6);
	assert_digest(ntp_keys_find(keys, 1), "88fbbdada00e1ec0ce742c7ae4911f11");
	assert_digest(ntp_keys_find(keys, 2), "ceef911716cf6da29ddf8a5e968dc5fb");
	assert_digest(ntp_keys_find(keys, 3), "4dc5c2daa05cd6ae92860ce1ac7d5710ad2cf913");
	assert_digest(ntp_keys_find(keys, 4), "e34401b9d3ccab8caa180a5a61681be5");
	/* No type: MD5, as chrony. */
	assert_int_equal(ntp_keys_find(keys, 5)->type, NTP_KEY_MD5);
	assert_digest(ntp_keys_find(keys, 5), "e34401b9d3ccab8caa180a5a61681be5");
	/* Truncated to NTPv4's 20 octets; HEX keys decode (this one lacks the j). */
	assert_int_equal(ntp_keys_find(keys, 6)->len, 19);
	assert_digest(ntp_keys_find(keys, 6), "c3bdaa77262e1013cdb74fb0f351c83795549869");
	assert_null(ntp_keys_find(keys, 7));
	assert_null(ntp_keys_find(NULL, 1));
	ntp_keys_free(keys);
}

static void
test_sign_verify(void **state)
{
	struct ntp_keys *keys = parse("1 AES128 HEX:000102030405060708090a0b0c0d0e0f\n"
	                              "3 SHA1 ASCII:0123456789abcdefghij\n");
	uint8_t buf[NTP_HEADER_LEN + 24];
	const struct ntp_key *k;
	struct ntp_trailer t;
	struct ntp_packet pkt;
	size_t len;

	(void)state;
	for (uint32_t id = 1; id <= 3; id += 2) {
		const struct ntp_key *key = ntp_keys_find(keys, id);

		request(buf);
		len = ntp_key_sign(key, buf, NTP_HEADER_LEN, sizeof(buf));
		assert_int_equal(len, NTP_HEADER_LEN + 4 + ntp_key_digest_len(key));
		assert_int_equal(buf[NTP_HEADER_LEN + 3], id);
		/* What ntp_decode makes of it is what the check takes. */
		assert_int_equal(ntp_decode(buf, len, &pkt, &t), NTP_DECODE_OK);
		assert_int_equal(t.key_id, id);
		assert_int_equal(ntp_keys_check(keys, buf, len, t.mac_len, &k), NTP_AUTH_OK);
		assert_ptr_equal(k, key);
		assert_true(ntp_key_verify(key, buf, len, t.mac_len));
		/* Any flipped bit, in the header or the digest, fails. */
		for (size_t i = 0; i < len; i++) {
			if (i >= NTP_HEADER_LEN && i < NTP_HEADER_LEN + 4)
				continue; /* the key id: checked below */
			buf[i] ^= 0x10;
			assert_int_equal(ntp_keys_check(keys, buf, len, t.mac_len, &k),
			                 NTP_AUTH_BAD_MAC);
			buf[i] ^= 0x10;
		}
		buf[NTP_HEADER_LEN + 3] = 2;
		assert_int_equal(ntp_keys_check(keys, buf, len, t.mac_len, &k),
		                 NTP_AUTH_UNKNOWN_KEY);
		assert_null(k);
		assert_false(ntp_key_verify(key, buf, len, t.mac_len));
	}
	/* A key with a MAC of the other length; none; a crypto-NAK; no room. */
	request(buf);
	len = ntp_key_sign(ntp_keys_find(keys, 1), buf, NTP_HEADER_LEN, sizeof(buf));
	buf[NTP_HEADER_LEN + 3] = 3;
	assert_int_equal(ntp_keys_check(keys, buf, len, len - NTP_HEADER_LEN, &k),
	                 NTP_AUTH_BAD_MAC);
	assert_int_equal(ntp_keys_check(keys, buf, NTP_HEADER_LEN, 0, &k), NTP_AUTH_NONE);
	memset(buf + NTP_HEADER_LEN, 0, 4);
	assert_int_equal(ntp_keys_check(keys, buf, NTP_HEADER_LEN + 4, 4, &k),
	                 NTP_AUTH_UNKNOWN_KEY);
	assert_int_equal(
	    ntp_key_sign(ntp_keys_find(keys, 3), buf, NTP_HEADER_LEN, NTP_HEADER_LEN + 23), 0);
	ntp_keys_free(keys);
}

static void
test_bad_files(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"1 AES128 HEX:0001", "16-octet"},
	    {"1 AES256 HEX:000102030405060708090a0b0c0d0e0f", "32-octet"},
	    {"1 SHA1 short", "80 bits"},
	    {"1 SHA1 HEX:0g0102030405060708090a", "hexadecimal"},
	    {"1 SHA1 HEX:00010203040506070809a", "odd"},
	    {"1 BLAKE3 0123456789abcdef", "unknown type"},
	    {"0 SHA1 0123456789abcdef", "1 to 4294967295"},
	    {"4294967296 SHA1 0123456789abcdef", "1 to 4294967295"},
	    {"-1 SHA1 0123456789abcdef", "not a number"},
	    {"x SHA1 0123456789abcdef", "not a number"},
	    {"1", "expected ID"},
	    {"1 SHA1 0123456789abcdef extra", "expected ID"},
	    {"1 SHA1 0123456789abcdef\n1 MD5 0123456789abcdef", "test.keys:2: duplicate"},
	    {"1 SHA1 0123456789abcdef\n\n\n2 SHA1 HEX:zz", "test.keys:4:"},
	    {"1 SHA1 0123456789abcdef\0\n", "NUL"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;
		size_t len = strlen(bad[i].text) + (strstr(bad[i].why, "NUL") != NULL ? 2 : 0);

		assert_null(ntp_keys_parse("test.keys", bad[i].text, len, &cause));
		assert_non_null(cause);
		if (strstr(cause, bad[i].why) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", bad[i].text, cause, bad[i].why);
		free(cause);
	}
}

static void
test_load(void **state)
{
	char path[] = "/tmp/test_keys.XXXXXX";
	int fd = mkstemp(path);
	char *cause = NULL;
	struct ntp_keys *keys;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "7 AES128 HEX:000102030405060708090a0b0c0d0e0f\n", 46), 46);
	close(fd);
	keys = ntp_keys_load(path, &cause);
	assert_non_null(keys);
	assert_int_equal(ntp_keys_find(keys, 7)->type, NTP_KEY_AES128);
	ntp_keys_free(keys);
	unlink(path);
	assert_null(ntp_keys_load(path, &cause));
	assert_non_null(strstr(cause, "cannot read"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
