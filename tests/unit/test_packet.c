/*
 * test_packet.c - the NTP codec: header round trip, the validation ladder,
 * extension-field and MAC length rules, timestamps across eras.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../ntp/packet.h"

static void
make_header(uint8_t *buf, int leap, int version, int mode)
{
	memset(buf, 0, NTP_HEADER_LEN);
	buf[0] = (uint8_t)(leap << 6 | version << 3 | mode);
}

static void
test_round_trip(void **state)
{
	struct ntp_packet in = {
	    .leap = 1,
	    .version = 4,
	    .mode = 4,
	    .stratum = 2,
	    .poll = -4,
	    .precision = -24,
	    .root_delay = 0x00012345,
	    .root_dispersion = 0x00000abc,
	    .refid = 0x7f000001,
	    .reference = 0x1111111122222222ULL,
	    .origin = 0x3333333344444444ULL,
	    .receive = 0x5555555566666666ULL,
	    .transmit = 0x7777777788888888ULL,
	};
	struct ntp_packet out;
	uint8_t buf[NTP_HEADER_LEN];

	(void)state;
	ntp_encode(&in, buf);
	assert_int_equal(buf[0], 1 << 6 | 4 << 3 | 4);
	assert_int_equal(buf[2], 0xfc); /* poll -4 as a signed octet */
	assert_int_equal(ntp_decode(buf, sizeof(buf), &out, NULL), NTP_DECODE_OK);
	assert_int_equal(out.leap, in.leap);
	assert_int_equal(out.version, in.version);
	assert_int_equal(out.mode, in.mode);
	assert_int_equal(out.stratum, in.stratum);
	assert_int_equal(out.poll, in.poll);
	assert_int_equal(out.precision, in.precision);
	assert_int_equal(out.root_delay, in.root_delay);
	assert_int_equal(out.root_dispersion, in.root_dispersion);
	assert_int_equal(out.refid, in.refid);
	assert_int_equal(out.reference, in.reference);
	assert_int_equal(out.origin, in.origin);
	assert_int_equal(out.receive, in.receive);
	assert_int_equal(out.transmit, in.transmit);
}

static void
test_ladder(void **state)
{
	uint8_t buf[NTP_MAX_PACKET_LEN + 8];
	struct ntp_packet p;

	(void)state;
	make_header(buf, 0, 4, 3);
	assert_int_equal(ntp_decode(buf, 0, &p, NULL), NTP_DECODE_SHORT);
	assert_int_equal(ntp_decode(buf, 47, &p, NULL), NTP_DECODE_SHORT);
	assert_int_equal(ntp_decode(buf, NTP_MAX_PACKET_LEN + 1, &p, NULL), NTP_DECODE_OVERSIZED);
	for (int v = 0; v < 8; v++) {
		make_header(buf, 0, v, 3);
		assert_int_equal(ntp_decode(buf, NTP_HEADER_LEN, &p, NULL),
		                 v >= 1 && v <= 4 ? NTP_DECODE_OK : NTP_DECODE_BAD_VERSION);
	}
	assert_string_equal(ntp_decode_status_name(NTP_DECODE_BAD_VERSION), "bad-version");
	assert_string_equal(ntp_decode_status_name(NTP_DECODE_N_STATUS), "unknown");
}

static void
test_trailers(void **state)
{
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct ntp_trailer t;
	struct ntp_packet p;

	(void)state;
	memset(buf, 0, sizeof(buf));
	/* MACs by length: crypto-NAK 4, MD5 20, SHA1 24. */
	for (int v = 3; v <= 4; v++) {
		static const size_t macs[] = {4, 20, 24};

		for (size_t i = 0; i < 3; i++) {
			make_header(buf, 0, v, 3);
			buf[NTP_HEADER_LEN + 3] = 7; /* key id 7 */
			assert_int_equal(ntp_decode(buf, NTP_HEADER_LEN + macs[i], &p, &t),
			                 NTP_DECODE_OK);
			assert_int_equal(t.mac_len, macs[i]);
			assert_int_equal(t.key_id, 7);
			assert_int_equal(t.n_ef, 0);
		}
	}
	/* MS-SNTP extended authenticator (72) is v3 only. */
	make_header(buf, 0, 3, 3);
	assert_int_equal(ntp_decode(buf, NTP_HEADER_LEN + 72, &p, &t), NTP_DECODE_OK);
	assert_int_equal(t.mac_len, 72);
	/* A truncated MAC is no MAC. */
	for (size_t len = 1; len < 16; len++) {
		if (len == 4)
			continue;
		make_header(buf, 0, 4, 3);
		assert_int_equal(ntp_decode(buf, NTP_HEADER_LEN + len, &p, &t),
		                 NTP_DECODE_BAD_TRAILER);
		make_header(buf, 0, 3, 3);
		assert_int_equal(ntp_decode(buf, NTP_HEADER_LEN + len, &p, &t),
		                 NTP_DECODE_BAD_TRAILER);
	}
	/* v3 has no extension fields. */
	make_header(buf, 0, 3, 3);
	assert_int_equal(ntp_decode(buf, NTP_HEADER_LEN + 32, &p, &t), NTP_DECODE_BAD_TRAILER);
}

static void
put_ef(uint8_t *p, uint16_t type, uint16_t len)
{
	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

static void
test_extension_fields(void **state)
{
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct ntp_trailer t;
	struct ntp_packet p;

	(void)state;
	memset(buf, 0, sizeof(buf));
	make_header(buf, 0, 4, 3);
	/* Two fields, then an MD5 MAC. */
	put_ef(buf + 48, 0x0104, 36);
	put_ef(buf + 84, 0xf323, 28);
	assert_int_equal(ntp_decode(buf, 48 + 36 + 28 + 20, &p, &t), NTP_DECODE_OK);
	assert_int_equal(t.n_ef, 2);
	assert_int_equal(t.ef_len, 64);
	assert_int_equal(t.mac_len, 20);
	/* Fields with no MAC. */
	assert_int_equal(ntp_decode(buf, 48 + 36 + 28, &p, &t), NTP_DECODE_OK);
	assert_int_equal(t.mac_len, 0);
	/* Lengths that lie: longer than the datagram, too short, unaligned. */
	put_ef(buf + 48, 0x0104, 400);
	assert_int_equal(ntp_decode(buf, 48 + 64, &p, &t), NTP_DECODE_BAD_EF);
	put_ef(buf + 48, 0x0104, 8);
	assert_int_equal(ntp_decode(buf, 48 + 64, &p, &t), NTP_DECODE_BAD_EF);
	put_ef(buf + 48, 0x0104, 0);
	assert_int_equal(ntp_decode(buf, 48 + 64, &p, &t), NTP_DECODE_BAD_EF);
	put_ef(buf + 48, 0x0104, 30);
	assert_int_equal(ntp_decode(buf, 48 + 64, &p, &t), NTP_DECODE_BAD_EF);
	/* A field followed by a stub that is neither field nor MAC. */
	put_ef(buf + 48, 0x0104, 36);
	assert_int_equal(ntp_decode(buf, 48 + 36 + 8, &p, &t), NTP_DECODE_BAD_TRAILER);
}

static void
test_timestamps(void **state)
{
	struct timespec pivot = {1795957640, 0}, ts = {1795957640, 123456789}, back;
	uint64_t ntp;

	(void)state;
	ntp = ntp_ts_from_timespec(&ts);
	ntp_ts_to_timespec(ntp, &pivot, &back);
	assert_int_equal(back.tv_sec, ts.tv_sec);
	/* 2^-32 s resolution: within a nanosecond after rounding both ways. */
	assert_true(labs(back.tv_nsec - ts.tv_nsec) <= 1);

	/* The Unix epoch is NTP 2208988800. */
	ts = (struct timespec){0, 0};
	assert_int_equal(ntp_ts_from_timespec(&ts) >> 32, 2208988800u);

	/* Era 1: 2036-02-07T06:28:16Z is NTP second 0 again. */
	struct timespec era1 = {2085978496, 0}, near = {2085978000, 0};

	ntp = ntp_ts_from_timespec(&era1);
	assert_int_equal(ntp >> 32, 0);
	ntp_ts_to_timespec(ntp, &near, &back);
	assert_int_equal(back.tv_sec, 2085978496);
	/* Just before the wrap, seen from just after it. */
	struct timespec before = {2085978495, 500000000};

	ntp_ts_to_timespec(ntp_ts_from_timespec(&before), &era1, &back);
	assert_int_equal(back.tv_sec, 2085978495);
	/* Half a nanosecond short of a second rounds up into the next one. */
	ts = (struct timespec){100, 999999999};
	ntp = ntp_ts_from_timespec(&ts);
	ntp_ts_to_timespec(ntp, &ts, &back);
	assert_true(back.tv_sec == 100 || back.tv_sec == 101);
}

static void
test_short_format(void **state)
{
	(void)state;
	assert_int_equal(ntp_short_from_double(1.0), 0x10000);
	assert_int_equal(ntp_short_from_double(-3.0), 0);
	assert_int_equal(ntp_short_from_double(1e9), 0xffffffffu);
	assert_true(ntp_short_to_double(ntp_short_from_double(0.25)) == 0.25);
	/* Rounded up: a dispersion is never reported smaller than it is. */
	assert_true(ntp_short_to_double(ntp_short_from_double(1e-6)) >= 1e-6);
}

static void
test_refid(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(ntp_refid_from_string("LOCL"), 0x4c4f434c);
	ntp_refid_format(0x4c4f434c, 1, buf, sizeof(buf));
	assert_string_equal(buf, "LOCL");
	ntp_refid_format(0x7f000001, 2, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
	ntp_refid_format(ntp_refid_from_string("RATE"), 0, buf, sizeof(buf));
	assert_string_equal(buf, "RATE");
	/* Unprintable codes are shown as an address, never raw. */
	ntp_refid_format(0x1b5b3131, 1, buf, sizeof(buf));
	assert_string_equal(buf, "27.91.49.49");
}

static void
test_log2(void **state)
{
	(void)state;
	assert_int_equal(ntp_log2_of(1.0), 0);
	assert_int_equal(ntp_log2_of(0.75), -1);
	assert_int_equal(ntp_log2_of(30e-9), -25); /* 2^-25 = 29.8 ns */
	assert_int_equal(ntp_log2_of(0.0), -128);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_ladder),
	    cmocka_unit_test(test_trailers),   cmocka_unit_test(test_extension_fields),
	    cmocka_unit_test(test_timestamps), cmocka_unit_test(test_short_format),
	    cmocka_unit_test(test_refid),      cmocka_unit_test(test_log2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
