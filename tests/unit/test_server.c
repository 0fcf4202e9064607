/*
 * test_server.c - the server's pure core: which datagrams are answered, and
 * what the answer says (RFC 5905 response rules, W32Time symmetric mode, KoD).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../ntp/packet.h"
#include "../../ntp/server.h"

static size_t
request(uint8_t *buf, int version, int mode, uint64_t xmt)
{
	struct ntp_packet p = {
	    .version = (uint8_t)version, .mode = (uint8_t)mode, .poll = 6, .transmit = xmt};

	ntp_encode(&p, buf);
	return NTP_HEADER_LEN;
}

static void
test_modes(void **state)
{
	static const struct {
		int mode;
		int answered;
		enum ntp_srv_drop drop;
	} cases[] = {
	    {0, 0, NTP_DROP_MODE_RESERVED}, {1, 1, 0},
	    {2, 0, NTP_DROP_MODE_PASSIVE},  {3, 1, 0},
	    {4, 0, NTP_DROP_MODE_SERVER},   {5, 0, NTP_DROP_MODE_BROADCAST},
	    {6, 0, NTP_DROP_MODE_CONTROL},  {7, 0, NTP_DROP_MODE_PRIVATE},
	};
	uint8_t buf[NTP_HEADER_LEN];
	struct ntp_packet req;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ntp_srv_drop drop = NTP_DROP_N;

		request(buf, 4, cases[i].mode, 1);
		assert_int_equal(ntp_srv_accept(buf, sizeof(buf), &req, &drop), cases[i].answered);
		if (!cases[i].answered)
			assert_int_equal(drop, cases[i].drop);
	}
}

static void
test_malformed(void **state)
{
	uint8_t buf[NTP_MAX_PACKET_LEN + 1] = {0};
	enum ntp_srv_drop drop;
	struct ntp_packet req;

	(void)state;
	request(buf, 4, 3, 1);
	assert_false(ntp_srv_accept(buf, 47, &req, &drop));
	assert_int_equal(drop, NTP_DROP_SHORT);
	assert_false(ntp_srv_accept(buf, sizeof(buf), &req, &drop));
	assert_int_equal(drop, NTP_DROP_OVERSIZED);
	assert_false(ntp_srv_accept(buf, 48 + 10, &req, &drop));
	assert_int_equal(drop, NTP_DROP_BAD_TRAILER);
	/* An MD5 MAC (or MS-SNTP authenticator): we cannot sign, so no answer. */
	assert_false(ntp_srv_accept(buf, 48 + 20, &req, &drop));
	assert_int_equal(drop, NTP_DROP_AUTHENTICATED);
	request(buf, 5, 3, 1);
	assert_false(ntp_srv_accept(buf, 48, &req, &drop));
	assert_int_equal(drop, NTP_DROP_BAD_VERSION);
	assert_string_equal(ntp_srv_drop_name(NTP_DROP_MODE_CONTROL), "mode_6_control");
}

static void
test_reply_synchronised_local(void **state)
{
	uint8_t buf[NTP_HEADER_LEN];
	struct timespec rx = {1795957640, 500000000};
	struct ntp_packet req, rep;
	enum ntp_srv_drop drop;
	struct ntp_ref ref;

	(void)state;
	ntp_ref_set_local(&ref, 1);
	request(buf, 3, 3, 0x0123456789abcdefULL);
	assert_true(ntp_srv_accept(buf, sizeof(buf), &req, &drop));
	ntp_srv_reply(&req, &rx, &ref, -20, &rep);
	assert_int_equal(rep.mode, NTP_MODE_SERVER);
	assert_int_equal(rep.version, 3); /* as asked */
	assert_int_equal(rep.leap, NTP_LEAP_NONE);
	assert_int_equal(rep.stratum, 1);
	assert_int_equal(rep.refid, ntp_refid_from_string("LOCL"));
	assert_int_equal(rep.origin, 0x0123456789abcdefULL); /* the cookie, verbatim */
	assert_int_equal(rep.receive, ntp_ts_from_timespec(&rx));
	assert_int_equal(rep.reference, ntp_ts_from_timespec(&rx));
	assert_int_equal(rep.precision, -20);
	assert_int_equal(rep.poll, 6);
	assert_int_equal(rep.transmit, 0); /* stamped by the caller, as late as possible */
}

static void
test_reply_symmetric_active(void **state)
{
	uint8_t buf[NTP_HEADER_LEN];
	struct timespec rx = {1795957640, 0};
	struct ntp_packet req, rep;
	enum ntp_srv_drop drop;
	struct ntp_ref ref;

	(void)state;
	ntp_ref_set_local(&ref, 1);
	request(buf, 3, 1, 42);
	assert_true(ntp_srv_accept(buf, sizeof(buf), &req, &drop));
	ntp_srv_reply(&req, &rx, &ref, -20, &rep);
	assert_int_equal(rep.mode, NTP_MODE_SYM_PASSIVE);
	assert_int_equal(rep.origin, 42);
}

static void
test_reply_unsynchronised(void **state)
{
	uint8_t buf[NTP_HEADER_LEN];
	struct timespec rx = {1795957640, 0};
	struct ntp_packet req, rep;
	enum ntp_srv_drop drop;
	struct ntp_ref ref;

	(void)state;
	ntp_ref_set_none(&ref);
	request(buf, 4, 3, 42);
	assert_true(ntp_srv_accept(buf, sizeof(buf), &req, &drop));
	ntp_srv_reply(&req, &rx, &ref, -20, &rep);
	/* Clients must be able to tell: leap 3 and stratum 0. */
	assert_int_equal(rep.leap, NTP_LEAP_UNSYNC);
	assert_int_equal(rep.stratum, 0);
	assert_int_equal(rep.reference, 0);
}

static void
test_reply_peer_dispersion_grows(void **state)
{
	uint8_t buf[NTP_HEADER_LEN];
	struct timespec rx = {1795957640 + 1000, 0};
	struct ntp_packet req, rep;
	enum ntp_srv_drop drop;
	struct ntp_ref ref = {
	    .kind = NTP_REF_PEER,
	    .leap = NTP_LEAP_NONE,
	    .stratum = 3,
	    .refid = 0x0a000001,
	    .ref_time = {1795957640, 0},
	    .root_delay = 0.01,
	    .root_dispersion = 0.001,
	};

	(void)state;
	request(buf, 4, 3, 42);
	assert_true(ntp_srv_accept(buf, sizeof(buf), &req, &drop));
	ntp_srv_reply(&req, &rx, &ref, -20, &rep);
	assert_int_equal(rep.stratum, 3);
	assert_int_equal(rep.refid, 0x0a000001);
	/* 1000 s at 15 ppm adds 15 ms to the 1 ms known at the update. */
	double disp = ntp_short_to_double(rep.root_dispersion);

	assert_true(disp > 0.016 - 1e-4 && disp < 0.016 + 1e-4);
	assert_true(ntp_short_to_double(rep.root_delay) >= 0.01);
}

static void
test_kod(void **state)
{
	uint8_t buf[NTP_HEADER_LEN];
	struct ntp_packet req, rep;
	enum ntp_srv_drop drop;

	(void)state;
	request(buf, 4, 3, 77);
	assert_true(ntp_srv_accept(buf, sizeof(buf), &req, &drop));
	ntp_srv_kod_rate(&req, 8, &rep);
	assert_int_equal(rep.leap, NTP_LEAP_UNSYNC);
	assert_int_equal(rep.stratum, 0);
	assert_int_equal(rep.refid, ntp_refid_from_string("RATE"));
	assert_int_equal(rep.origin, 77);
	assert_int_equal(rep.poll, 8); /* raised from the request's 6 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_reply_synchronised_local),
	    cmocka_unit_test(test_reply_symmetric_active),
	    cmocka_unit_test(test_reply_unsynchronised),
	    cmocka_unit_test(test_reply_peer_dispersion_grows),
	    cmocka_unit_test(test_kod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
