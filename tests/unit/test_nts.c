/*
 * test_nts.c - NTS: AES-SIV against an independent implementation (python3
 * cryptography's AESSIV), the extension fields both ways, the NTS-KE
 * record parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <cmocka.h>

#include "../../ntp/nts.h"
#include "../../ntp/nts_server.h"
#include "../../ntp/packet.h"

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void
siv_inputs(uint8_t key[32], uint8_t ad[48], uint8_t nonce[16])
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 48; i++)
		ad[i] = (uint8_t)(100 + i);
	for (int i = 0; i < 16; i++)
		nonce[i] = (uint8_t)(200 + i);
}

static void
test_siv_vectors(void **state)
{
	uint8_t key[32], ad[48], nonce[16], pt[104], out[120], back[104];
	char got[2 * sizeof(out) + 1];

	(void)state;
	siv_inputs(key, ad, nonce);
	/* Empty plaintext: what an NTS request encrypts. */
	assert_int_equal(nts_siv_encrypt(key, ad, 48, nonce, 16, NULL, 0, out), 0);
	hex(out, 16, got);
	assert_string_equal(got, "7dfc0ac7848d2a27b11b73fa07735648");
	assert_int_equal(nts_siv_decrypt(key, ad, 48, nonce, 16, out, 16, back), 0);
	out[3] ^= 1;
	assert_int_equal(nts_siv_decrypt(key, ad, 48, nonce, 16, out, 16, back), -1);
	/* A cookie field's worth: what an answer decrypts. */
	memcpy(pt, "\x02\x04\x00\x68", 4);
	for (int i = 0; i < 100; i++)
		pt[4 + i] = (uint8_t)i;
	assert_int_equal(nts_siv_encrypt(key, ad, 48, nonce, 16, pt, 104, out), 0);
	hex(out, 120, got);
	assert_string_equal(got, "36ca8d5494caccbbad4960a242fbd70980e7d65650bfd5355aa8f985c41c1486"
	                         "68c0c4d0a3631644ced9ca4ff3e355ba64f9910721c9fdc716dfb859f174b0ac"
	                         "23fe3f585ba48e46faf664dac5b1d0fc08f26c1f0d3c1cc3dc3cac70c7c1ed39"
	                         "1773d814021f35688b685117e301536a1ca4f3c2d1a308e6");
	assert_int_equal(nts_siv_decrypt(key, ad, 48, nonce, 16, out, 120, back), 0);
	assert_memory_equal(back, pt, 104);
	for (size_t i = 0; i < 120; i++) {
		out[i] ^= 0x40;
		assert_int_equal(nts_siv_decrypt(key, ad, 48, nonce, 16, out, 120, back), -1);
		out[i] ^= 0x40;
	}
	ad[0] ^= 1;
	assert_int_equal(nts_siv_decrypt(key, ad, 48, nonce, 16, out, 120, back), -1);
}

/* What a server answers to a request with UID: COOKIES fresh cookies of 100 octets under S2C. */
static size_t
server_reply(uint8_t *buf, const uint8_t uid[NTS_UID_LEN], const uint8_t s2c[NTS_KEY_LEN],
             int n_cookies, int kod)
{
	struct ntp_packet reply = {
	    .version = 4, .mode = NTP_MODE_SERVER, .stratum = 1, .receive = 1, .transmit = 2};
	uint8_t pt[8 * 104], nonce[16] = {9};
	size_t len = NTP_HEADER_LEN, ct_len = 16 + (size_t)n_cookies * 104;

	if (kod)
		reply = (struct ntp_packet){.leap = NTP_LEAP_UNSYNC,
		                            .version = 4,
		                            .mode = NTP_MODE_SERVER,
		                            .refid = ntp_refid_from_string("NTSN")};
	ntp_encode(&reply, buf);
	memcpy(buf + len, "\x01\x04\x00\x24", 4);
	memcpy(buf + len + 4, uid, NTS_UID_LEN);
	len += 36;
	if (kod)
		return len;
	for (int i = 0; i < n_cookies; i++) {
		memcpy(pt + 104 * i, "\x02\x04\x00\x68", 4);
		memset(pt + 104 * i + 4, 'a' + i, 100);
	}
	memcpy(buf + len, "\x04\x04", 2);
	buf[len + 2] = (uint8_t)((8 + 16 + ct_len) >> 8);
	buf[len + 3] = (uint8_t)(8 + 16 + ct_len);
	memcpy(buf + len + 4, "\x00\x10", 2);
	buf[len + 6] = (uint8_t)(ct_len >> 8);
	buf[len + 7] = (uint8_t)ct_len;
	memcpy(buf + len + 8, nonce, 16);
	assert_int_equal(nts_siv_encrypt(s2c, buf, len, nonce, 16, pt, ct_len - 16, buf + len + 24),
	                 0);
	return len + 24 + ct_len;
}

static void
test_request_and_reply(void **state)
{
	uint8_t c2s[32] = {1}, s2c[32] = {2}, uid[NTS_UID_LEN] = {3}, other[NTS_UID_LEN] = {4};
	uint8_t buf[NTP_MAX_PACKET_LEN] = {0x23};
	struct nts_cookie cookie = {.len = 100}, got[NTS_MAX_COOKIES];
	struct ntp_packet pkt;
	struct ntp_trailer t;
	const char *why;
	size_t len, n;

	(void)state;
	memset(cookie.data, 'c', 100);
	len = nts_build_request(buf, NTP_HEADER_LEN, sizeof(buf), uid, &cookie, 7, c2s);
	/* Header, UID 36, cookie 104, 7 placeholders, authenticator 40. */
	assert_int_equal(len, 48 + 36 + 8 * 104 + 40);
	assert_int_equal(ntp_decode(buf, len, &pkt, &t), NTP_DECODE_OK);
	assert_int_equal(t.n_ef, 10);
	/* The authenticator covers everything before it. */
	assert_int_equal(
	    nts_siv_decrypt(c2s, buf, len - 40, buf + len - 32, 16, buf + len - 16, 16, NULL), 0);
	assert_int_equal(nts_build_request(buf, NTP_HEADER_LEN, 300, uid, &cookie, 7, c2s), 0);

	len = server_reply(buf, uid, s2c, 8, 0);
	assert_int_equal(nts_check_reply(buf, len, uid, s2c, got, &n, &why), NTS_OK);
	assert_int_equal(n, 8);
	assert_int_equal(got[7].len, 100);
	assert_int_equal(got[7].data[99], 'h');
	assert_int_equal(nts_check_reply(buf, len, other, s2c, got, &n, &why), NTS_BAD);
	assert_string_equal(why, "no matching unique identifier");
	assert_int_equal(nts_check_reply(buf, len, uid, c2s, got, &n, &why), NTS_BAD);
	assert_string_equal(why, "authenticator does not verify");
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x08;
		assert_int_not_equal(nts_check_reply(buf, len, uid, s2c, got, &n, &why), NTS_OK);
		buf[i] ^= 0x08;
	}
	/* Without the authenticator: refused; a KoD NTSN echoing our UID is a NAK. */
	assert_int_equal(nts_check_reply(buf, 48 + 36, uid, s2c, got, &n, &why), NTS_BAD);
	len = server_reply(buf, uid, s2c, 0, 1);
	assert_int_equal(nts_check_reply(buf, len, uid, s2c, got, &n, &why), NTS_NAK);
	assert_int_equal(nts_check_reply(buf, len, other, s2c, got, &n, &why), NTS_BAD);
}

static size_t
rec(uint8_t *p, unsigned type, const char *body, size_t len)
{
	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, body, len);
	return 4 + len;
}

static void
test_ke_records(void **state)
{
	uint8_t buf[512], req[16];
	struct nts_ke_result r;
	const char *why = NULL;
	size_t len = 0, end;

	(void)state;
	assert_int_equal(nts_ke_build_request(req, sizeof(req)), 16);
	assert_memory_equal(req, "\x80\x01\x00\x02\x00\x00\x00\x04\x00\x02\x00\x0f\x80\x00\x00\x00",
	                    16);
	len += rec(buf + len, 0x8001, "\0\0", 2);
	len += rec(buf + len, 0x0004, "\0\x0f", 2);
	len += rec(buf + len, 0x0005, "cookie-one", 10);
	len += rec(buf + len, 0x0005, "cookie-two", 10);
	len += rec(buf + len, 0x0006, "ntp.example", 11);
	len += rec(buf + len, 0x0007, "\x12\x34", 2);
	len += rec(buf + len, 0x0003, "\0\x01", 2);
	len += rec(buf + len, 0x4242, "x", 1); /* unknown, not critical: ignored */
	end = len;
	len += rec(buf + len, 0x8000, "", 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(nts_ke_parse_response(buf, i, &r, &why), NTS_KE_PARSE_MORE);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_DONE);
	assert_int_equal(r.n_cookies, 2);
	assert_memory_equal(r.cookies[1].data, "cookie-two", 10);
	assert_string_equal(r.server, "ntp.example");
	assert_int_equal(r.port, 0x1234);
	/* Data after the end, an unknown critical record, an error, wrong AEAD. */
	buf[len] = 0;
	assert_int_equal(nts_ke_parse_response(buf, len + 1, &r, &why), NTS_KE_PARSE_ERROR);
	assert_string_equal(why, "data after End of Message");
	len = end;
	len += rec(buf + len, 0x8042, "", 0);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_ERROR);
	assert_string_equal(why, "unknown critical record");
	len = rec(buf, 0x8002, "\0\x01", 2);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_ERROR);
	assert_string_equal(why, "the server reports: bad request");
	len = rec(buf, 0x8001, "\0\0", 2);
	len += rec(buf + len, 0x0004, "\0\x1e", 2);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_ERROR);
	assert_string_equal(why, "the server does not offer AEAD_AES_SIV_CMAC_256");
	/* No cookie; a bad port; a server name with a space. */
	len = rec(buf, 0x8001, "\0\0", 2);
	len += rec(buf + len, 0x0004, "\0\x0f", 2);
	end = len;
	len += rec(buf + len, 0x8000, "", 0);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_ERROR);
	assert_string_equal(why, "no cookie");
	len = end + rec(buf + end, 0x0007, "\0\0", 2);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_ERROR);
	len = end + rec(buf + end, 0x0006, "a b", 3);
	assert_int_equal(nts_ke_parse_response(buf, len, &r, &why), NTS_KE_PARSE_ERROR);
}

/* A server with a fresh cookie-key file in KEYS (a mkstemp template, unlinked). */
static struct nts_srv *
test_server(struct event_base *base, const char *keys)
{
	char *cause = NULL;
	struct nts_srv *s = nts_srv_new(base, "tests/support/nts/test.crt",
	                                "tests/support/nts/test.key", keys, 123, &cause);

	if (s == NULL)
		fail_msg("%s", cause);
	return s;
}

/* Cookies for C2S/S2C as the server seals them into an answer, opened as a client does. */
static size_t
cookies_from(struct nts_srv *s, const uint8_t c2s[32], const uint8_t s2c[32],
             struct nts_cookie *ret)
{
	struct nts_srv_reply r = {.uid = {5}, .n_cookies = 8};
	uint8_t buf[NTP_MAX_PACKET_LEN] = {0x24, 1};
	const char *why;
	size_t len, n;

	memcpy(r.c2s, c2s, 32);
	memcpy(r.s2c, s2c, 32);
	len = nts_srv_seal(s, &r, buf, sizeof(buf));
	assert_int_equal(len, NTP_HEADER_LEN + nts_srv_reply_len(&r));
	assert_int_equal(nts_check_reply(buf, len, r.uid, s2c, ret, &n, &why), NTS_OK);
	assert_int_equal(n, 8);
	return n;
}

static void
test_server_fields(void **state)
{
	struct event_base *base = event_base_new();
	char keys[] = "/tmp/test_nts_keys.XXXXXX";
	uint8_t c2s[32] = {1, 2}, s2c[32] = {3, 4}, uid[NTS_UID_LEN] = {6};
	uint8_t req[NTP_MAX_PACKET_LEN] = {0x23};
	struct nts_cookie cookies[NTS_MAX_COOKIES];
	struct nts_srv_reply r;
	struct nts_srv *s;
	size_t len;

	(void)state;
	close(mkstemp(keys));
	unlink(keys);
	s = test_server(base, keys);
	cookies_from(s, c2s, s2c, cookies);
	assert_int_equal(cookies[0].len, 100);
	len = nts_build_request(req, NTP_HEADER_LEN, sizeof(req), uid, &cookies[0], 3, c2s);
	assert_int_equal(nts_srv_check_request(s, req, len, &r), NTS_SRV_OK);
	assert_memory_equal(r.uid, uid, NTS_UID_LEN);
	assert_memory_equal(r.c2s, c2s, 32);
	assert_memory_equal(r.s2c, s2c, 32);
	assert_int_equal(r.n_cookies, 4);
	/* The answer is no longer than the request. */
	assert_int_equal(NTP_HEADER_LEN + nts_srv_reply_len(&r), len);
	/* A flipped bit: in the cookie, a NAK; in the header or the authenticator, dropped. */
	req[NTP_HEADER_LEN + 36 + 30] ^= 1;
	assert_int_equal(nts_srv_check_request(s, req, len, &r), NTS_SRV_NAK);
	assert_memory_equal(r.uid, uid, NTS_UID_LEN);
	req[NTP_HEADER_LEN + 36 + 30] ^= 1;
	req[45] ^= 1;
	assert_int_equal(nts_srv_check_request(s, req, len, &r), NTS_SRV_DROP);
	req[45] ^= 1;
	req[len - 1] ^= 1;
	assert_int_equal(nts_srv_check_request(s, req, len, &r), NTS_SRV_DROP);
	req[len - 1] ^= 1;
	assert_int_equal(nts_srv_check_request(s, req, NTP_HEADER_LEN, &r), NTS_SRV_PLAIN);
	assert_int_equal(nts_srv_counters(s)->naks, 1);
	assert_int_equal(nts_srv_counters(s)->bad_auth, 2);
	/* The cookie keys outlive the server; without them, the cookie is refused. */
	nts_srv_free(s);
	s = test_server(base, keys);
	assert_int_equal(nts_srv_check_request(s, req, len, &r), NTS_SRV_OK);
	nts_srv_free(s);
	unlink(keys);
	s = test_server(base, keys);
	assert_int_equal(nts_srv_check_request(s, req, len, &r), NTS_SRV_NAK);
	nts_srv_free(s);
	unlink(keys);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siv_vectors),
	    cmocka_unit_test(test_request_and_reply),
	    cmocka_unit_test(test_ke_records),
	    cmocka_unit_test(test_server_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
