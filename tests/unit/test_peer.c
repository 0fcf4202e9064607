/*
 * test_peer.c - one upstream source, driven through a real libevent base
 * against a scripted server on loopback (tests/support/fake_ntp): state
 * changes, reachability, kiss-o'-death handling (and recovery from a
 * refusal) and the poll back-off.
 * Polls are made a few milliseconds apart (negative poll exponents), so a
 * test sees dozens of polls in well under a second of wall-clock time.
 */
#include <event2/event.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/log.h"
#include "../../ntp/clock.h"
#include "../../ntp/peer.h"
#include "../../ntp/reference.h"
#include "../support/fake_ntp.h"

#define MIN_POLL (-6) /* 1/64 s */
#define MAX_POLL (-3) /* 1/8 s */
/* Wall-clock bound on any wait: far above what the polls need. */
#define PATIENCE 10.0

struct world {
	struct event_base *base;
	struct clk *clock;
	struct timespec epoch;
	struct ntp_ref self;
	struct fake_ntp *server;
	struct ntp_peer *peer;
	unsigned samples, state_changes;
	enum ntp_peer_state last_old, last_new;
	uint64_t sent_at_change; /* requests sent when the state last changed */
};

static void
on_sample(struct ntp_peer *p, void *arg)
{
	struct world *w = arg;

	(void)p;
	w->samples++;
}

static void
on_state(struct ntp_peer *p, enum ntp_peer_state old, void *arg)
{
	struct world *w = arg;

	w->state_changes++;
	w->last_old = old;
	w->last_new = ntp_peer_state(p);
	w->sent_at_change = ntp_peer_stats(p)->sent;
}

static const struct ntp_peer_callbacks callbacks = {.sample = on_sample, .state = on_state};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	log_open("test_peer", 1, LOG_LVL_ERROR);
	w->base = event_base_new();
	w->clock = clk_new_virtual(0.0, 0.0);
	clk_now(w->clock, &w->epoch);
	ntp_ref_set_none(&w->self);
	w->server = fake_ntp_new(w->base, w->clock);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	ntp_peer_free(w->peer);
	fake_ntp_free(w->server);
	clk_free(w->clock);
	event_base_free(w->base);
	free(w);
	return 0;
}

/* Start polling the fake server (a burst at once) with PARAMS. */
static void
start_with(struct world *w, const struct ntp_peer_params *params)
{
	socklen_t len;
	const struct sockaddr *addr = fake_ntp_addr(w->server, &len);

	w->peer =
	    ntp_peer_new(w->base, w->clock, &w->epoch, &w->self, addr, len, params, &callbacks, w);
}

static void
start(struct world *w)
{
	struct ntp_peer_params params = {.min_poll = MIN_POLL,
	                                 .max_poll = MAX_POLL,
	                                 .refused_retry = 3600.0,
	                                 .flags = NTP_PEER_CLIENT,
	                                 .noise = 1e-6};

	start_with(w, &params);
}

/* Refusals are tested at a poll of half a second: long enough to see a re-offer held back. */
#define REFUSED_POLL (-1)

static void
start_refused(struct world *w, enum fake_ntp_mode kod, double retry)
{
	struct ntp_peer_params params = {.min_poll = REFUSED_POLL,
	                                 .max_poll = REFUSED_POLL,
	                                 .refused_retry = retry,
	                                 .flags = NTP_PEER_CLIENT,
	                                 .noise = 1e-6};

	fake_ntp_set_mode(w->server, kod);
	start_with(w, &params);
}

static struct world *wait_world;
static enum ntp_peer_state wait_state;

static int
in_wait_state(void *arg)
{
	(void)arg;
	return ntp_peer_state(wait_world->peer) == wait_state;
}

static int
reach_state(struct world *w, enum ntp_peer_state s)
{
	wait_world = w;
	wait_state = s;
	return fake_ntp_run_until(w->base, in_wait_state, NULL, PATIENCE);
}

static unsigned wait_requests;

static int
enough_requests(void *arg)
{
	return fake_ntp_requests(((struct world *)arg)->server) >= wait_requests;
}

/* Run until the server has seen N requests in all. */
static int
reach_requests(struct world *w, unsigned n)
{
	wait_requests = n;
	return fake_ntp_run_until(w->base, enough_requests, w, PATIENCE);
}

static void
test_good_answers(void **state)
{
	struct world *w = *state;
	struct ntp_flt_sample last;

	start(w);
	assert_int_equal(ntp_peer_state(w->peer), NTP_PEER_STARTING);
	assert_true(reach_state(w, NTP_PEER_OK));
	assert_int_equal(w->state_changes, 1);
	assert_int_equal(w->last_old, NTP_PEER_STARTING);
	assert_true(ntp_peer_reach(w->peer) & 1);
	assert_int_equal(w->samples, ntp_peer_stats(w->peer)->valid);
	assert_string_equal(ntp_peer_last_error(w->peer), "");
	assert_true(ntp_peer_last_sample(w->peer, &last));
	/* Server and peer read the same clock: only the loopback's noise remains. */
	assert_true(fabs(last.offset) < 0.01);
	assert_int_equal(ntp_peer_server(w->peer)->stratum, 1);
	assert_true(ntp_peer_next_poll_in(w->peer) <= ldexp(1.0, MAX_POLL));
}

static void
test_silence_makes_unreachable(void **state)
{
	struct world *w = *state;

	fake_ntp_set_mode(w->server, FAKE_NTP_SILENT);
	start(w);
	assert_true(reach_state(w, NTP_PEER_UNREACHABLE));
	assert_int_equal(w->last_old, NTP_PEER_STARTING);
	assert_int_equal(ntp_peer_reach(w->peer), 0);
	/* Not for one lost burst: only after a run of unanswered polls. */
	assert_true(w->sent_at_change > NTP_PEER_BURST);
	assert_true(strstr(ntp_peer_last_error(w->peer), "no valid answer") != NULL);
	/*
	 * Before its first good sample a server is not backed off: a start-up
	 * whose first polls are lost must not wait for ever (issue 14).
	 */
	assert_int_equal(ntp_peer_poll(w->peer), MIN_POLL);
	assert_int_equal(ntp_peer_stats(w->peer)->valid, 0);
	assert_int_equal(w->samples, 0);
}

static void
test_unreachable_and_back(void **state)
{
	struct world *w = *state;
	unsigned requests;

	start(w);
	assert_true(reach_state(w, NTP_PEER_OK));
	fake_ntp_set_mode(w->server, FAKE_NTP_SILENT);
	assert_true(reach_state(w, NTP_PEER_UNREACHABLE));
	assert_int_equal(w->last_old, NTP_PEER_OK);
	/* An unreachable server is still polled, and taken back when it answers. */
	requests = fake_ntp_requests(w->server);
	fake_ntp_set_mode(w->server, FAKE_NTP_GOOD);
	assert_true(reach_state(w, NTP_PEER_OK));
	assert_true(fake_ntp_requests(w->server) > requests);
	assert_int_equal(w->last_old, NTP_PEER_UNREACHABLE);
	assert_true(ntp_peer_reach(w->peer) & 1);
}

static int
got_kod_rate(void *arg)
{
	return ntp_peer_stats(((struct world *)arg)->peer)->kod_rate > 0;
}

static void
test_kod_rate_backs_off(void **state)
{
	struct world *w = *state;
	unsigned requests;

	start(w);
	assert_true(reach_state(w, NTP_PEER_OK));
	assert_int_equal(ntp_peer_poll(w->peer), MIN_POLL);
	fake_ntp_set_mode(w->server, FAKE_NTP_KOD_RATE);
	assert_true(fake_ntp_run_until(w->base, got_kod_rate, w, PATIENCE));
	assert_true(ntp_peer_poll(w->peer) > MIN_POLL);
	assert_true(strstr(ntp_peer_last_error(w->peer), "RATE") != NULL);
	/* Slower, not stopped. */
	assert_int_not_equal(ntp_peer_state(w->peer), NTP_PEER_DENIED);
	requests = fake_ntp_requests(w->server);
	assert_true(reach_requests(w, requests + 2));
	assert_int_equal(ntp_peer_stats(w->peer)->kod_deny, 0);
}

/*
 * DENY and RSTR: the server refuses us. It is not asked again before
 * refused_retry, nor by a re-offer within a poll interval of the refusal;
 * a resync asks it at once.
 */
static void
refused(struct world *w, enum fake_ntp_mode kod, const char *code)
{
	unsigned requests;

	start_refused(w, kod, 3600.0);
	assert_true(reach_state(w, NTP_PEER_DENIED));
	assert_int_equal(w->last_old, NTP_PEER_STARTING);
	assert_int_equal(ntp_peer_stats(w->peer)->kod_deny, 1);
	assert_true(strstr(ntp_peer_last_error(w->peer), code) != NULL);
	assert_true(ntp_peer_next_poll_in(w->peer) > 3000.0);
	requests = fake_ntp_requests(w->server);
	fake_ntp_set_mode(w->server, FAKE_NTP_GOOD);
	ntp_peer_reoffer(w->peer); /* the refusal is fresh: held back */
	fake_ntp_run_for(w->base, 0.2);
	assert_int_equal(fake_ntp_requests(w->server), requests);
	assert_int_equal(ntp_peer_state(w->peer), NTP_PEER_DENIED);
	assert_int_equal(w->samples, 0);
	ntp_peer_burst(w->peer);
	assert_true(reach_state(w, NTP_PEER_OK));
	assert_int_equal(w->last_old, NTP_PEER_STARTING);
	assert_true(w->samples > 0);
	assert_true(ntp_peer_next_poll_in(w->peer) <= 1.0);
}

/* After refused_retry the server is asked again, and taken back when it answers. */
static void
test_refusal_retried_after_backoff(void **state)
{
	struct world *w = *state;
	unsigned requests;

	start_refused(w, FAKE_NTP_KOD_DENY, 0.4);
	assert_true(reach_state(w, NTP_PEER_DENIED));
	requests = fake_ntp_requests(w->server);
	fake_ntp_set_mode(w->server, FAKE_NTP_GOOD);
	fake_ntp_run_for(w->base, 0.2);
	assert_int_equal(fake_ntp_requests(w->server), requests);
	assert_true(reach_state(w, NTP_PEER_OK));
	assert_int_equal(ntp_peer_stats(w->peer)->kod_deny, 1);
}

/* A server that keeps refusing is asked once per refused_retry, not in bursts. */
static void
test_refusal_repeated(void **state)
{
	struct world *w = *state;

	start_refused(w, FAKE_NTP_KOD_RSTR, 0.2);
	fake_ntp_run_for(w->base, 1.1);
	assert_int_equal(ntp_peer_state(w->peer), NTP_PEER_DENIED);
	/* One at start, then one about every 0.2 s: never the four of a burst each time. */
	assert_true(fake_ntp_requests(w->server) >= 3);
	assert_true(fake_ntp_requests(w->server) <= 7);
	assert_int_equal(ntp_peer_stats(w->peer)->kod_deny, fake_ntp_requests(w->server));
}

/* Offered again (rediscovery, reload) a poll interval after the refusal: asked at once. */
static void
test_refusal_reoffered(void **state)
{
	struct world *w = *state;

	start_refused(w, FAKE_NTP_KOD_DENY, 3600.0);
	assert_true(reach_state(w, NTP_PEER_DENIED));
	fake_ntp_set_mode(w->server, FAKE_NTP_GOOD);
	fake_ntp_run_for(w->base, ldexp(1.0, REFUSED_POLL) + 0.05);
	ntp_peer_reoffer(w->peer);
	assert_true(reach_state(w, NTP_PEER_OK));
}

static void
test_kod_deny(void **state)
{
	refused(*state, FAKE_NTP_KOD_DENY, "DENY");
}

static void
test_kod_rstr(void **state)
{
	refused(*state, FAKE_NTP_KOD_RSTR, "RSTR");
}

static void
test_unsynchronised_server(void **state)
{
	struct world *w = *state;

	fake_ntp_set_mode(w->server, FAKE_NTP_UNSYNC);
	start(w);
	assert_true(reach_state(w, NTP_PEER_UNSYNCHRONISED));
	/* It answered: reachable, but its time is not used. */
	assert_true(ntp_peer_reach(w->peer) != 0);
	assert_true(ntp_peer_stats(w->peer)->unsynchronised > 0);
	assert_int_equal(w->samples, 0);
	assert_int_equal(ntp_peer_stats(w->peer)->valid, 0);
}

static void
test_bogus_answers_ignored(void **state)
{
	struct world *w = *state;

	fake_ntp_set_mode(w->server, FAKE_NTP_BOGUS);
	start(w);
	assert_true(reach_requests(w, NTP_PEER_BURST));
	fake_ntp_run_for(w->base, 0.05);
	assert_true(ntp_peer_stats(w->peer)->bogus > 0);
	/* Never taken as an answer: still starting, or unreachable once enough polls went by. */
	assert_true(ntp_peer_state(w->peer) == NTP_PEER_STARTING ||
	            ntp_peer_state(w->peer) == NTP_PEER_UNREACHABLE);
	assert_int_equal(ntp_peer_reach(w->peer), 0);
	assert_int_equal(w->samples, 0);
	assert_true(strstr(ntp_peer_last_error(w->peer), "bogus") != NULL);
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(ntp_peer_state_name(NTP_PEER_STARTING), "starting");
	assert_string_equal(ntp_peer_state_name(NTP_PEER_OK), "ok");
	assert_string_equal(ntp_peer_state_name(NTP_PEER_UNSYNCHRONISED), "unsynchronised");
	assert_string_equal(ntp_peer_state_name(NTP_PEER_LOOP), "loop");
	assert_string_equal(ntp_peer_state_name(NTP_PEER_UNREACHABLE), "unreachable");
	assert_string_equal(ntp_peer_state_name(NTP_PEER_DENIED), "denied");
	assert_string_equal(ntp_peer_state_name((enum ntp_peer_state)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silence_makes_unreachable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_and_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kod_rate_backs_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kod_deny, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kod_rstr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_retried_after_backoff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_repeated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_reoffered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsynchronised_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bogus_answers_ignored, setup, teardown),
	    cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
