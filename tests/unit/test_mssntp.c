/*
 * test_mssntp.c - the MS-SNTP checksum (a known answer), the forms of an
 * authenticated request, and Samba's ntp_signd wire format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../ntp/mssntp.h"
#include "../../ntp/signd.h"

/* NTOWFv1("password"), the best-known NT hash there is. */
static const uint8_t nt_password[MSSNTP_KEY_LEN] = {0x88, 0x46, 0xf7, 0xea, 0xee, 0x8f, 0xb1, 0x17,
                                                    0xad, 0x06, 0xbd, 0xd8, 0x30, 0xb7, 0x58, 0x6c};

static void
header_0_to_47(uint8_t *h)
{
	for (int i = 0; i < NTP_HEADER_LEN; i++)
		h[i] = (uint8_t)i;
}

static void
test_digest_known_answer(void **state)
{
	/* MD5(8846f7ea...586c || 00 01 .. 2f), computed independently (Python hashlib). */
	static const uint8_t want[MSSNTP_DIGEST_LEN] = {0x51, 0xd7, 0xad, 0xc5, 0xb6, 0xa6,
	                                                0x39, 0xb3, 0xf2, 0x25, 0xcd, 0xd6,
	                                                0x7b, 0x14, 0x70, 0x38};
	uint8_t h[NTP_HEADER_LEN], got[MSSNTP_DIGEST_LEN];

	(void)state;
	header_0_to_47(h);
	mssntp_digest(nt_password, h, got);
	assert_memory_equal(got, want, sizeof(want));
}

static void
test_verify(void **state)
{
	uint8_t keys[2][MSSNTP_KEY_LEN], reply[MSSNTP_AUTH_LEN];

	(void)state;
	memset(keys[0], 0x11, MSSNTP_KEY_LEN);
	memcpy(keys[1], nt_password, MSSNTP_KEY_LEN);
	header_0_to_47(reply);
	/* The key id is ignored: Windows 2003 DCs sent 0, later ones echo it. */
	memcpy(reply + 48, "\x50\x04\x00\x80", 4);
	mssntp_digest(nt_password, reply, reply + 52);
	assert_int_equal(mssntp_verify(reply, sizeof(reply), keys, 2), 1);
	assert_int_equal(mssntp_verify(reply, sizeof(reply), keys, 1), -1);
	assert_int_equal(mssntp_verify(reply, 48, keys, 2), -1);
	reply[40] ^= 1; /* the transmit timestamp, changed on the way */
	assert_int_equal(mssntp_verify(reply, sizeof(reply), keys, 2), -1);
	reply[40] ^= 1;
	reply[60] ^= 0x80; /* the checksum itself */
	assert_int_equal(mssntp_verify(reply, sizeof(reply), keys, 2), -1);
}

static void
test_forms_and_key_id(void **state)
{
	uint8_t b[MSSNTP_EXTENDED_LEN] = {0};

	(void)state;
	memcpy(b + 48, "\x50\x04\x00\x80", 4);
	assert_int_equal(mssntp_form_of(b, MSSNTP_AUTH_LEN), MSSNTP_AUTH);
	assert_int_equal(mssntp_key_id(b + 48), 0x80000450u);
	b[67] = 1; /* a symmetric-key MAC: not ours to sign */
	assert_int_equal(mssntp_form_of(b, MSSNTP_AUTH_LEN), MSSNTP_NOT);
	assert_int_equal(mssntp_form_of(b, MSSNTP_EXTENDED_LEN), MSSNTP_EXTENDED);
	assert_int_equal(mssntp_form_of(b, 72), MSSNTP_NOT);
}

static void
test_signd_request_layout(void **state)
{
	uint8_t h[NTP_HEADER_LEN], pdu[NTP_SIGND_REQUEST_LEN];
	static const uint8_t want[20] = {0, 0, 0,    64,   0, 0, 0,    0,    0,    0,
	                                 0, 0, 0x12, 0x34, 0, 0, 0x50, 0x04, 0x00, 0x80};

	(void)state;
	header_0_to_47(h);
	ntp_signd_encode(0x1234, (const uint8_t *)"\x50\x04\x00\x80", h, pdu);
	assert_memory_equal(pdu, want, sizeof(want));
	assert_memory_equal(pdu + 20, h, NTP_HEADER_LEN);
}

/* A reply PDU: body length, version, op, packet id, then BODY_EXTRA octets of packet. */
static size_t
reply_pdu(uint8_t *b, uint32_t version, uint32_t op, uint32_t id, size_t packet_len)
{
	uint32_t words[4] = {(uint32_t)(12 + packet_len), version, op, id};

	for (int i = 0; i < 4; i++) {
		b[4 * i] = (uint8_t)(words[i] >> 24);
		b[4 * i + 1] = (uint8_t)(words[i] >> 16);
		b[4 * i + 2] = (uint8_t)(words[i] >> 8);
		b[4 * i + 3] = (uint8_t)words[i];
	}
	for (size_t i = 0; i < packet_len; i++)
		b[16 + i] = (uint8_t)(0xa0 + i);
	return 16 + packet_len;
}

static void
test_signd_reply_parse(void **state)
{
	uint8_t b[400];
	struct ntp_signd_reply r;
	size_t n, m, used = 0;

	(void)state;
	n = reply_pdu(b, 0, NTP_SIGND_SIGNING_SUCCESS, 7, MSSNTP_AUTH_LEN);
	m = reply_pdu(b + n, 0, NTP_SIGND_SIGNING_FAILURE, 8, 0);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(ntp_signd_parse(b, cut, &r, &used), NTP_SIGND_NEED_MORE);
	assert_int_equal(ntp_signd_parse(b, n + m, &r, &used), NTP_SIGND_REPLY);
	assert_int_equal(used, n);
	assert_int_equal(r.op, NTP_SIGND_SIGNING_SUCCESS);
	assert_int_equal(r.packet_id, 7);
	assert_int_equal(r.packet[0], 0xa0);
	assert_int_equal(r.packet[67], 0xa0 + 67);
	assert_int_equal(ntp_signd_parse(b + n, m, &r, &used), NTP_SIGND_REPLY);
	assert_int_equal(used, 16);
	assert_int_equal(r.op, NTP_SIGND_SIGNING_FAILURE);
	assert_int_equal(r.packet_id, 8);

	reply_pdu(b, 1, NTP_SIGND_SIGNING_SUCCESS, 7, MSSNTP_AUTH_LEN);
	assert_int_equal(ntp_signd_parse(b, n, &r, &used), NTP_SIGND_BAD); /* version */
	reply_pdu(b, 0, NTP_SIGND_SIGN_TO_CLIENT, 7, MSSNTP_AUTH_LEN);
	assert_int_equal(ntp_signd_parse(b, n, &r, &used), NTP_SIGND_BAD); /* op */
	n = reply_pdu(b, 0, NTP_SIGND_SIGNING_SUCCESS, 7, 48);
	assert_int_equal(ntp_signd_parse(b, n, &r, &used), NTP_SIGND_BAD); /* unsigned packet */
	b[0] = 0x7f; /* a body of 2 GB: never waited for */
	assert_int_equal(ntp_signd_parse(b, 4, &r, &used), NTP_SIGND_BAD);
	memset(b, 0, 4); /* shorter than its fixed part */
	assert_int_equal(ntp_signd_parse(b, 4, &r, &used), NTP_SIGND_BAD);
}

static void
test_client_request_and_check(void **state)
{
	struct mssntp_counters c = {0};
	struct mssntp_auth a = {.key_id = 0x450, .n_keys = 1, .counters = &c};
	uint8_t b[MSSNTP_AUTH_LEN];

	(void)state;
	memcpy(a.keys[0], nt_password, MSSNTP_KEY_LEN);
	header_0_to_47(b);
	assert_int_equal(mssntp_make_request(&a, b), MSSNTP_AUTH_LEN);
	assert_int_equal(mssntp_form_of(b, MSSNTP_AUTH_LEN), MSSNTP_AUTH);
	assert_int_equal(mssntp_key_id(b + 48), 0x450);
	/* The DC's answer: signed with our key. */
	mssntp_digest(nt_password, b, b + 52);
	assert_int_equal(mssntp_check(&a, b, sizeof(b)), MSSNTP_VERIFIED);
	assert_int_equal(mssntp_check(&a, b, NTP_HEADER_LEN), MSSNTP_UNSIGNED);
	b[47] ^= 1;
	assert_int_equal(mssntp_check(&a, b, sizeof(b)), MSSNTP_BAD_MAC);
	assert_int_equal(c.verified, 1);
	assert_int_equal(c.unsigned_reply, 1);
	assert_int_equal(c.bad_mac, 1);
	assert_string_equal(mssntp_verdict_reason(MSSNTP_VERIFIED), "");
	/* No key: the request stays plain and nothing is counted. */
	a.n_keys = 0;
	assert_int_equal(mssntp_make_request(&a, b), NTP_HEADER_LEN);
	assert_int_equal(mssntp_check(&a, b, NTP_HEADER_LEN), MSSNTP_NO_KEY);
	assert_int_equal(c.unsigned_reply, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest_known_answer),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_forms_and_key_id),
	    cmocka_unit_test(test_signd_request_layout),
	    cmocka_unit_test(test_signd_reply_parse),
	    cmocka_unit_test(test_client_request_and_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
