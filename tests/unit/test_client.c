/*
 * test_client.c - the client over a set of sources, driven through a real
 * libevent base against scripted servers on loopback (tests/support/fake_ntp):
 * synchronising to truthful sources, what the reference says when sources
 * fall silent or refuse us (reliable or not), holdover expiry, source
 * bookkeeping, and the drift file.
 */
#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../ntp/client.h"
#include "../../ntp/clock.h"
#include "../support/fake_ntp.h"

#define MIN_POLL (-6) /* 1/64 s */
#define MAX_POLL (-3) /* 1/8 s */
/* Wall-clock bound on any wait: far above what the polls need. */
#define PATIENCE 10.0

struct world {
	struct event_base *base;
	struct clk *clock;
	struct ntp_ref ref;
	struct fake_ntp *servers[3];
	struct ntp_client *client;
	struct ntp_client_options opts;
	unsigned holdover_expired, all_unreachable;
};

static void
on_holdover_expired(void *arg)
{
	((struct world *)arg)->holdover_expired++;
}

static void
on_all_unreachable(void *arg)
{
	((struct world *)arg)->all_unreachable++;
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	log_open("test_client", 1, LOG_LVL_ERROR);
	w->base = event_base_new();
	w->clock = clk_new_virtual(0.0, 0.0);
	for (size_t i = 0; i < ARRAY_LEN(w->servers); i++)
		w->servers[i] = fake_ntp_new(w->base, w->clock);
	w->opts = (struct ntp_client_options){
	    .min_poll = MIN_POLL,
	    .max_poll = MAX_POLL,
	    .special_poll_interval = 1.0,
	    .refused_retry = 3600.0,
	    .max_distance = 1.0,
	    .holdover_period = 60.0,
	    .drift_interval = 3600.0,
	    .local_stratum = 1,
	};
	ntp_dsc_default_params(&w->opts.discipline);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	ntp_client_free(w->client);
	for (size_t i = 0; i < ARRAY_LEN(w->servers); i++)
		fake_ntp_free(w->servers[i]);
	clk_free(w->clock);
	event_base_free(w->base);
	free(w);
	return 0;
}

/* A client with every fake server as a source. */
static void
start(struct world *w)
{
	struct ntp_client_hooks hooks = {.holdover_expired = on_holdover_expired,
	                                 .all_unreachable = on_all_unreachable,
	                                 .arg = w};
	char *cause = NULL;

	w->client = ntp_client_new(w->base, NULL, w->clock, &w->ref, &w->opts, &hooks, &cause);
	assert_non_null(w->client);
	for (size_t i = 0; i < ARRAY_LEN(w->servers); i++)
		ntp_client_add(w->client, "127.0.0.1", fake_ntp_port(w->servers[i]),
		               NTP_PEER_CLIENT, 0, 0, "manual");
}

static void
set_modes(struct world *w, enum fake_ntp_mode mode)
{
	for (size_t i = 0; i < ARRAY_LEN(w->servers); i++)
		fake_ntp_set_mode(w->servers[i], mode);
}

static const char *wait_state;

static int
in_wait_state(void *arg)
{
	struct ntp_client_status st;

	ntp_client_status(((struct world *)arg)->client, &st);
	return strcmp(st.state, wait_state) == 0;
}

static int
reach_state(struct world *w, const char *state)
{
	wait_state = state;
	return fake_ntp_run_until(w->base, in_wait_state, w, PATIENCE);
}

static int
all_unreachable(void *arg)
{
	return ((struct world *)arg)->all_unreachable > 0;
}

static int
holdover_expired(void *arg)
{
	return ((struct world *)arg)->holdover_expired > 0;
}

static void
test_truthful_sources_synchronise(void **state)
{
	struct world *w = *state;
	struct ntp_client_status st;

	start(w);
	assert_int_equal(w->ref.kind, NTP_REF_NONE);
	assert_true(reach_state(w, "synchronised"));
	ntp_client_status(w->client, &st);
	assert_string_equal(st.source, "127.0.0.1");
	assert_int_equal(st.n_sources, 3);
	assert_true(fabs(st.offset) < 0.01);
	assert_int_equal(w->ref.kind, NTP_REF_PEER);
	assert_int_equal(w->ref.stratum, 2); /* the servers' stratum 1, plus one */
	for (size_t i = 0; i < 3; i++) {
		struct ntp_source_report r;

		ntp_client_source_report(w->client, i, &r);
		assert_string_equal(r.state, "ok");
		assert_true(strcmp(r.verdict, "selected") == 0 ||
		            strcmp(r.verdict, "candidate") == 0);
		assert_true(r.have_sample);
		assert_int_equal(r.stratum, 1);
	}
	assert_int_equal(w->all_unreachable, 0);
}

static void
test_silent_sources_unsynchronised(void **state)
{
	struct world *w = *state;
	struct ntp_client_status st;
	struct ntp_source_report r;

	set_modes(w, FAKE_NTP_SILENT);
	start(w);
	assert_true(fake_ntp_run_until(w->base, all_unreachable, w, PATIENCE));
	ntp_client_status(w->client, &st);
	assert_string_equal(st.state, "unsynchronised");
	assert_null(st.source);
	assert_int_equal(w->ref.kind, NTP_REF_NONE);
	ntp_client_source_report(w->client, 0, &r);
	assert_string_equal(r.state, "unreachable");
	assert_false(r.have_sample);
}

static void
test_silent_sources_reliable_serves_local(void **state)
{
	struct world *w = *state;
	struct ntp_client_status st;

	w->opts.reliable = 1;
	set_modes(w, FAKE_NTP_SILENT);
	start(w);
	/* Sources still starting: not yet given up for the local clock. */
	assert_int_equal(w->ref.kind, NTP_REF_NONE);
	assert_true(fake_ntp_run_until(w->base, all_unreachable, w, PATIENCE));
	ntp_client_status(w->client, &st);
	assert_string_equal(st.state, "local");
	assert_int_equal(w->ref.kind, NTP_REF_LOCAL);
	assert_int_equal(w->ref.stratum, 1);
}

static void
assert_verdicts_not(struct world *w, const char *verdict)
{
	for (size_t i = 0; i < ntp_client_n_sources(w->client); i++) {
		struct ntp_source_report r;

		ntp_client_source_report(w->client, i, &r);
		assert_string_not_equal(r.verdict, verdict);
	}
}

/* Sources that refuse us are gone, until a resync asks them again. */
static void
test_refusing_sources_are_gone(void **state)
{
	struct world *w = *state;
	struct ntp_source_report r;

	set_modes(w, FAKE_NTP_KOD_DENY);
	start(w);
	assert_true(fake_ntp_run_until(w->base, all_unreachable, w, PATIENCE));
	for (size_t i = 0; i < 3; i++) {
		ntp_client_source_report(w->client, i, &r);
		assert_string_equal(r.state, "denied");
		assert_true(strstr(r.last_error, "DENY") != NULL);
		assert_true(r.next_poll_in > 3000.0);
	}
	assert_int_equal(w->ref.kind, NTP_REF_NONE);
	set_modes(w, FAKE_NTP_GOOD);
	ntp_client_resync(w->client);
	assert_true(reach_state(w, "synchronised"));
}

static int
none_selected(void *arg)
{
	struct world *w = arg;

	for (size_t i = 0; i < ntp_client_n_sources(w->client); i++) {
		struct ntp_source_report r;

		ntp_client_source_report(w->client, i, &r);
		if (strcmp(r.verdict, "selected") == 0 || strcmp(r.verdict, "candidate") == 0)
			return 0;
	}
	return 1;
}

/*
 * Synchronised sources that start refusing: the verdicts follow at once (no
 * refusing source stays selected, the status stops saying synchronised), and
 * when the sources are offered again (a rediscovery) they are asked again.
 */
static void
test_refusal_updates_verdicts_and_recovers(void **state)
{
	struct world *w = *state;
	struct ntp_client_status st;

	start(w);
	assert_true(reach_state(w, "synchronised"));
	set_modes(w, FAKE_NTP_KOD_RSTR);
	assert_true(fake_ntp_run_until(w->base, all_unreachable, w, PATIENCE));
	assert_true(none_selected(w));
	assert_verdicts_not(w, "selected");
	ntp_client_status(w->client, &st);
	assert_string_equal(st.state, "holdover");
	assert_null(st.source);
	assert_true(strstr(st.message, "no usable source") != NULL);
	set_modes(w, FAKE_NTP_GOOD);
	fake_ntp_run_for(w->base, ldexp(1.0, MAX_POLL));
	for (size_t i = 0; i < ARRAY_LEN(w->servers); i++)
		ntp_client_add(w->client, "127.0.0.1", fake_ntp_port(w->servers[i]),
		               NTP_PEER_CLIENT, 0, 0, "manual");
	assert_true(reach_state(w, "synchronised"));
	ntp_client_status(w->client, &st);
	assert_string_equal(st.source, "127.0.0.1");
}

static void
test_holdover_expires(void **state)
{
	struct world *w = *state;
	struct ntp_client_status st;

	w->opts.holdover_period = 0.3;
	start(w);
	assert_true(reach_state(w, "synchronised"));
	assert_int_equal(w->holdover_expired, 0);
	set_modes(w, FAKE_NTP_SILENT);
	assert_true(fake_ntp_run_until(w->base, holdover_expired, w, PATIENCE));
	ntp_client_status(w->client, &st);
	assert_string_not_equal(st.state, "synchronised");
	assert_int_equal(w->ref.kind, NTP_REF_NONE);
}

static void
test_add_and_remove(void **state)
{
	struct world *w = *state;
	struct ntp_source_report r;

	/* Nothing listens on 127.0.0.2. */
	int port = fake_ntp_port(w->servers[0]);

	set_modes(w, FAKE_NTP_SILENT);
	start(w);
	ntp_client_add(w->client, "127.0.0.2", port, NTP_PEER_CLIENT, 0, 0, "hierarchy");
	assert_int_equal(ntp_client_n_sources(w->client), 4);
	/* Adding one already present updates it. */
	ntp_client_add(w->client, "127.0.0.2", port, NTP_PEER_FALLBACK_ONLY, 0, 0, "hierarchy");
	assert_int_equal(ntp_client_n_sources(w->client), 4);
	ntp_client_source_report(w->client, 3, &r);
	assert_int_equal(r.flags, NTP_PEER_FALLBACK_ONLY);
	assert_int_equal(ntp_client_remove(w->client, "127.0.0.9", 123), -1);
	ntp_client_remove_origin(w->client, "hierarchy");
	assert_int_equal(ntp_client_n_sources(w->client), 3);
	assert_int_equal(ntp_client_remove(w->client, "127.0.0.1", port), 0);
	assert_int_equal(ntp_client_n_sources(w->client), 2);
	ntp_client_remove_origin(w->client, "manual");
	assert_int_equal(ntp_client_n_sources(w->client), 0);
}

static void
test_drift_file(void **state)
{
	char path[] = "/tmp/test_client_drift_XXXXXX";
	int fd = mkstemp(path);
	double ppm = 0.0;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ntp_client_write_drift(path, -12.345678), 0);
	assert_int_equal(ntp_client_read_drift(path, &ppm), 0);
	assert_true(fabs(ppm + 12.345678) < 1e-9);
	/* Not a frequency, or not a believable one: rejected. */
	f = fopen(path, "w");
	fputs("fast\n", f);
	fclose(f);
	assert_int_equal(ntp_client_read_drift(path, &ppm), -EINVAL);
	f = fopen(path, "w");
	fputs("501\n", f);
	fclose(f);
	assert_int_equal(ntp_client_read_drift(path, &ppm), -EINVAL);
	unlink(path);
	assert_int_equal(ntp_client_read_drift(path, &ppm), -ENOENT);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The temporary is fresh and private to the writer: a planted link is never followed. */
static void
test_drift_file_temporary(void **state)
{
	char dir[] = "/tmp/test_client_dir_XXXXXX", path[64], planted[80], victim[80];
	struct stat st;
	double ppm = 0.0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/drift", dir);
	snprintf(planted, sizeof(planted), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	fputs("keep\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(ntp_client_write_drift(path, 3.5), 0);
	assert_int_equal(ntp_client_write_drift(path, 4.5), 0);
	assert_int_equal(ntp_client_read_drift(path, &ppm), 0);
	assert_true(fabs(ppm - 4.5) < 1e-9);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	f = fopen(victim, "r");
	assert_non_null(fgets(planted, sizeof(planted), f));
	fclose(f);
	assert_string_equal(planted, "keep\n");
	/* drift, victim and the planted link: no temporary left behind. */
	assert_int_equal(count_entries(dir), 3);
	/* A directory that cannot take the temporary: an error, not a crash. */
	snprintf(path, sizeof(path), "%s/missing/drift", dir);
	assert_int_equal(ntp_client_write_drift(path, 1.0), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_truthful_sources_synchronise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silent_sources_unsynchronised, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silent_sources_reliable_serves_local, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refusing_sources_are_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_updates_verdicts_and_recovers, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_holdover_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_and_remove, setup, teardown),
	    cmocka_unit_test(test_drift_file),
	    cmocka_unit_test(test_drift_file_temporary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
