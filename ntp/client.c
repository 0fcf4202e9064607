/*
 * client.c - sources, selection, discipline and the reference state.
 *
 * Every new sample from any source runs the chain once: each source's filter
 * estimate -> selection (ntp/select) -> discipline (ntp/discipline) -> the
 * clock, and the reference state the server announces. Every change made to
 * the clock is told to every filter, so samples taken before it stay
 * comparable with those after.
 */
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/file.h"
#include "../common/log.h"
#include "../common/loop.h"
#include "../common/ts.h"
#include "../common/xmalloc.h"
#include "client.h"
#include "io.h"
#include "nts.h"
#include "sync.h"

/* Noise floor of our own timestamps, seconds (kernel stamps, scheduling). */
#define TIMESTAMP_NOISE 1e-6
/*
 * A source that left the last two polls unanswered is not used: its old
 * samples still look fine, but a source that stopped answering (a dead DC)
 * must give way to the others within two polls. The reach register's bit 0
 * is the request in flight, bits 1 and 2 the two before it.
 */
#define RECENTLY_REACHED(reach) (((reach)&0x7) != 0)
/* ... and the poll just sent was the one that made it so (its last answer left the window). */
#define JUST_WENT_QUIET(reach) (((reach)&0xf) == 0x8)
/*
 * Before the first clock update, wait this long at most for every source to
 * answer its first burst: the first sources to answer must not decide alone
 * (a single liar answering first would be followed, and then slewed away
 * from for minutes).
 */
#define FIRST_UPDATE_WAIT 16.0
/* Resolution failures back off from this, doubling, up to the maximum. */
#define RESOLVE_RETRY_MIN 2.0
#define RESOLVE_RETRY_MAX 600.0

struct source {
	struct ntp_client *c;
	char *host;
	int port;
	unsigned flags;
	uint32_t key_id;
	struct nts_session *nts; /* NTS sources: keys, cookies and the negotiated server */
	char *origin;
	struct ntp_peer *peer; /* NULL while resolving (and, with NTS, before a key exchange) */
	struct evdns_getaddrinfo_request *dns_req;
	struct event *retry_ev;
	double retry_delay;
	char resolve_error[128];
	enum ntp_sel_verdict verdict;
	double root_distance; /* as last offered to selection */
	struct source *next;
};

struct ntp_client {
	struct event_base *base;
	struct evdns_base *dns;
	struct clk *clock;
	struct ntp_ref *ref;
	struct ntp_client_options opts;
	char *drift_file;
	struct ntp_client_hooks hooks;
	struct timespec epoch; /* our clock when the client started: sample times count from it */
	struct source *sources;
	size_t n_sources;
	struct ntp_dsc *dsc;
	struct event *slew_ev, *holdover_ev, *drift_ev, *leap_ev;

	struct source *system_peer;
	enum ntp_sel_status sel_status;
	double last_offset;   /* combined, at the last update */
	double last_update;   /* epoch seconds; NAN before the first */
	int leap;             /* leap second announced to the clock */
	time_t leap_midnight; /* the midnight it is armed for */
	time_t leap_done;     /* the midnight of the last one applied */
	enum ntp_dsc_outcome last_outcome;
	int refusing;    /* corrections refused by the phase limits */
	int no_majority; /* the sources disagree: following none of them */
	int holdover_expired;
	unsigned steps;
	char message[256];
};

static double
now_seconds(const struct ntp_client *c)
{
	struct timespec t;

	clk_now(c->clock, &t);
	return ts_diff(&t, &c->epoch);
}

/* ---- steering the clock ---------------------------------------------------------- */

static void
tell_filters(struct ntp_client *c, double when, double dfreq, double step)
{
	for (struct source *s = c->sources; s != NULL; s = s->next)
		if (s->peer != NULL)
			ntp_peer_clock_changed(s->peer, when, dfreq, step);
}

/* Set the frequency correction to FREQ (s/s) and tell every filter. */
static void
set_freq(struct ntp_client *c, double freq)
{
	double old = clk_get_freq(c->clock) * 1e-6, when = now_seconds(c);
	int r = clk_set_freq(c->clock, freq * 1e6);

	if (r < 0) {
		log_err("cannot set the clock frequency: %s", strerror(-r));
		return;
	}
	tell_filters(c, when, ntp_flt_rate_change(old, clk_get_freq(c->clock) * 1e-6), 0.0);
}

static void
step_clock(struct ntp_client *c, double offset)
{
	double when = now_seconds(c);
	int r = clk_step(c->clock, offset);

	if (r < 0) {
		log_err("cannot step the clock by %+.6f s: %s", offset, strerror(-r));
		return;
	}
	c->steps++;
	log_warn("stepped the clock by %+.6f s", offset);
	tell_filters(c, when, 0.0, offset);
	if (!isnan(c->last_update))
		c->last_update += offset;
}

static void
on_slew_done(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_client *c = arg;

	(void)fd;
	(void)what;
	set_freq(c, ntp_dsc_slew_done(c->dsc));
}

/* ---- drift file ---------------------------------------------------------------------- */

int
ntp_client_read_drift(const char *path, double *ret_ppm)
{
	FILE *f = fopen(path, "r");
	double ppm;
	int n;

	if (f == NULL)
		return -errno;
	n = fscanf(f, "%lf", &ppm);
	fclose(f);
	if (n != 1 || !isfinite(ppm) || fabs(ppm) > 500.0)
		return -EINVAL;
	*ret_ppm = ppm;
	return 0;
}

int
ntp_client_write_drift(const char *path, double ppm)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%.6f\n", ppm);

	return file_write_atomic(path, line, (size_t)n, 0644);
}

static void
save_drift(struct ntp_client *c)
{
	int r;

	if (c->drift_file == NULL || !ntp_dsc_ever_synchronised(c->dsc))
		return;
	r = ntp_client_write_drift(c->drift_file, ntp_dsc_freq(c->dsc) * 1e6);
	if (r < 0)
		log_warn("cannot write drift file %s: %s", c->drift_file, strerror(-r));
}

static void
on_drift_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	save_drift(arg);
}

static double
initial_freq(const struct ntp_client *c)
{
	double ppm;
	int r;

	if (c->drift_file == NULL)
		return clk_get_freq(c->clock) * 1e-6;
	r = ntp_client_read_drift(c->drift_file, &ppm);
	if (r == 0) {
		log_info("drift file %s: frequency %+.3f ppm", c->drift_file, ppm);
		return ppm * 1e-6;
	}
	if (r != -ENOENT)
		log_warn("ignoring drift file %s: %s", c->drift_file,
		         r == -EINVAL ? "not a frequency in ppm" : strerror(-r));
	return clk_get_freq(c->clock) * 1e-6;
}

/* ---- reference state --------------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3))) say(struct ntp_client *c, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(c->message)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Log a state of affairs once, when it starts, not at every sample. */
	if (strcmp(msg, c->message) != 0)
		log_info("%s", msg);
	strcpy(c->message, msg);
}

/* Nothing to follow: the local clock if we are reliable, else unsynchronised. */
static void
lose_reference(struct ntp_client *c)
{
	if (c->opts.reliable)
		ntp_ref_set_local(c->ref, (uint8_t)c->opts.local_stratum);
	else
		ntp_ref_set_none(c->ref);
}

/* The majority of the sources in use announce a leap second: pass it on. */
static int
leap_vote(const struct ntp_client *c)
{
	int ins = 0, del = 0, n = 0;

	for (const struct source *s = c->sources; s != NULL; s = s->next) {
		if (s->verdict != NTP_SEL_SELECTED && s->verdict != NTP_SEL_CANDIDATE)
			continue;
		n++;
		ins += ntp_peer_server(s->peer)->leap == NTP_LEAP_INSERT;
		del += ntp_peer_server(s->peer)->leap == NTP_LEAP_DELETE;
	}
	return 2 * ins > n ? 1 : 2 * del > n ? -1 : 0;
}

static time_t
next_midnight(const struct timespec *now)
{
	return (now->tv_sec / 86400 + 1) * 86400;
}

/*
 * The leap second to arm now: the sources' vote, but only on a month's last
 * day (UTC), when leap seconds come, and not again once this midnight's is
 * done. Otherwise a warning is stale: a server still announcing the leap
 * just after midnight, or in the second an insertion repeats, must not arm
 * another one.
 */
static int
leap_wanted(const struct ntp_client *c, const struct timespec *now)
{
	time_t tomorrow = now->tv_sec + 86400;
	struct tm tm;

	if (gmtime_r(&tomorrow, &tm) == NULL || tm.tm_mday != 1 ||
	    next_midnight(now) == c->leap_done)
		return 0;
	return leap_vote(c);
}

/* Arm the clock for LEAP (-1, 0, +1) at the end of today, and our announcement's end with it. */
static void
arm_leap(struct ntp_client *c, int leap, const struct timespec *now)
{
	/* An insertion repeats 23:59:59; a deletion skips it, so is over a second sooner. */
	double until = (double)(next_midnight(now) - (leap < 0)) - ts_to_double(now);
	int err = clk_set_leap(c->clock, leap);

	if (err < 0) {
		log_err("cannot arm the leap second: %s", strerror(-err));
		return;
	}
	if (leap != 0) {
		log_warn("leap second announced by the sources: %s at the end of the day",
		         leap > 0 ? "insert" : "delete");
		loop_arm(c->leap_ev, until + 0.001);
	}
	c->leap = leap;
	c->leap_midnight = next_midnight(now);
}

/* The leap second is behind us: stop announcing it before the next sample comes. */
static void
on_leap_done(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_client *c = arg;

	(void)fd;
	(void)what;
	if (c->leap == 0)
		return;
	log_info("leap second %s at midnight UTC", c->leap > 0 ? "inserted" : "deleted");
	c->leap = 0;
	c->leap_done = c->leap_midnight;
	if (c->ref->leap == NTP_LEAP_INSERT || c->ref->leap == NTP_LEAP_DELETE)
		c->ref->leap = NTP_LEAP_NONE;
}

static void
update_reference(struct ntp_client *c, const struct ntp_flt_estimate *e,
                 const struct ntp_sel_result *r, struct timespec *now)
{
	const struct ntp_peer_server *srv = ntp_peer_server(c->system_peer->peer);
	int leap = leap_wanted(c, now);

	if (leap != c->leap)
		arm_leap(c, leap, now);
	*c->ref = (struct ntp_ref){
	    .kind = NTP_REF_PEER,
	    .leap = leap > 0   ? NTP_LEAP_INSERT
	            : leap < 0 ? NTP_LEAP_DELETE
	                       : NTP_LEAP_NONE,
	    .stratum = (uint8_t)(srv->stratum + 1),
	    .refid = ntp_refid_of_address(ntp_peer_addr(c->system_peer->peer, NULL)),
	    .ref_time = *now,
	    .root_delay = srv->root_delay + e->min_delay,
	    .root_dispersion = srv->root_dispersion + e->dispersion + hypot(e->jitter, r->jitter),
	};
	(void)clk_set_sync_status(c->clock, 1, hypot(e->jitter, r->jitter),
	                          c->ref->root_delay / 2 + c->ref->root_dispersion);
}

/* ---- selection and discipline ------------------------------------------------------- */

/* What the client knows of S at NOW, as the update takes it. */
static void
sync_input(const struct source *s, double now, struct ntp_sync_source *ret)
{
	const struct ntp_peer_server *srv;

	*ret = (struct ntp_sync_source){.fallback = (s->flags & NTP_PEER_FALLBACK_ONLY) != 0};
	if (s->peer == NULL || !ntp_peer_estimate(s->peer, now, &ret->est))
		return;
	srv = ntp_peer_server(s->peer);
	ret->have_estimate = 1;
	ret->usable =
	    ntp_peer_state(s->peer) == NTP_PEER_OK && RECENTLY_REACHED(ntp_peer_reach(s->peer));
	ret->leap = srv->leap;
	ret->stratum = srv->stratum;
	ret->root_delay = srv->root_delay;
	ret->root_dispersion = srv->root_dispersion;
	ret->poll = ntp_peer_poll(s->peer);
}

/* Apply the discipline's decision in R to the clock. */
static void
discipline(struct ntp_client *c, const struct ntp_sync_result *r,
           const struct ntp_flt_estimate *peer_est, double now)
{
	const struct ntp_dsc_action a = r->action;
	struct timespec t;

	log_debug("update: offset %+.9f sd %.9f, drift %+.4f ppm sd %.4f (n %zu/%zu, jitter %.9f) "
	          "-> %s, freq %+.4f ppm until +%.3f s",
	          r->in.offset, r->in.offset_sd, r->in.freq * 1e6, r->in.freq_sd * 1e6, peer_est->n,
	          peer_est->n_window, peer_est->jitter, ntp_dsc_outcome_name(a.outcome),
	          a.freq * 1e6, a.slew_until - now);
	c->last_outcome = a.outcome;
	if (a.outcome == NTP_DSC_REFUSED_POS || a.outcome == NTP_DSC_REFUSED_NEG) {
		c->refusing = 1;
		say(c,
		    "refusing to correct the clock by %+.3f s: above max_%s_phase_correction "
		    "(%.0f s); serving as unsynchronised",
		    r->sel.offset, a.outcome == NTP_DSC_REFUSED_POS ? "pos" : "neg",
		    a.outcome == NTP_DSC_REFUSED_POS ? c->opts.discipline.max_pos_correction
		                                     : c->opts.discipline.max_neg_correction);
		ntp_ref_set_none(c->ref);
		(void)clk_set_sync_status(c->clock, 0, NTP_MAX_DISPERSION, NTP_MAX_DISPERSION);
		return;
	}
	c->refusing = 0;
	if (a.outcome == NTP_DSC_STEP)
		step_clock(c, a.step);
	set_freq(c, a.freq);
	loop_arm(c->slew_ev, a.slew_until - now);
	c->last_offset = r->sel.offset;
	c->last_update = now_seconds(c);
	c->holdover_expired = 0;
	loop_arm(c->holdover_ev, c->opts.holdover_period);
	clk_now(c->clock, &t);
	update_reference(c, peer_est, &r->sel, &t);
	say(c, "synchronised to %s", c->system_peer->host);
}

static void refresh_reference(struct ntp_client *c);

/* Has every source answered or failed its first burst (or have we waited long enough)? */
static int
everyone_heard(const struct ntp_client *c, double now)
{
	if (!isnan(c->last_update) || now > FIRST_UPDATE_WAIT)
		return 1;
	for (const struct source *s = c->sources; s != NULL; s = s->next) {
		if (s->peer == NULL) {
			if (s->resolve_error[0] == '\0')
				return 0;
		} else if (ntp_peer_state(s->peer) == NTP_PEER_STARTING &&
		           ntp_peer_stats(s->peer)->sent < NTP_PEER_BURST) {
			return 0;
		}
	}
	return 1;
}

/*
 * Select among the sources' current estimates. NEW_SAMPLE: a sample came in,
 * so the clock may be steered; otherwise (a source changed state) only the
 * verdicts are brought up to date, so that no report shows a stale one.
 */
static void
run_selection(struct ntp_client *c, int new_sample)
{
	struct ntp_sync_source *in;
	enum ntp_sel_verdict *verdicts;
	struct ntp_sync_result r;
	double now = now_seconds(c);
	size_t i = 0;

	if (!everyone_heard(c, now))
		return;
	in = xcalloc(c->n_sources, sizeof(*in));
	verdicts = xcalloc(c->n_sources, sizeof(*verdicts));
	for (struct source *s = c->sources; s != NULL; s = s->next, i++) {
		sync_input(s, now, &in[i]);
		s->root_distance = in[i].usable ? ntp_sync_root_distance(&in[i]) : NAN;
	}
	c->sel_status =
	    ntp_sync_update(new_sample ? c->dsc : NULL, in, c->n_sources, c->opts.max_distance, now,
	                    clk_get_freq(c->clock) * 1e-6, verdicts, &r);
	i = 0;
	c->system_peer = NULL;
	for (struct source *s = c->sources; s != NULL; s = s->next, i++) {
		s->verdict = verdicts[i];
		if ((int)i == r.sel.system_peer)
			c->system_peer = s;
	}
	c->no_majority = c->sel_status == NTP_SEL_NO_MAJORITY_FOUND;
	if (c->sel_status == NTP_SEL_OK) {
		/* After a state change alone (no new sample) the verdicts are all that changes. */
		if (r.updated)
			discipline(c, &r, &in[r.sel.system_peer].est, now);
	} else if (c->no_majority) {
		/* Following any of them could be following a liar: serve as
		 * unsynchronised (or as the local reliable clock) until they agree. */
		say(c,
		    "no majority: no time is shared by more than half of the %zu usable "
		    "sources; following none of them",
		    ntp_sel_count(verdicts, c->n_sources, NTP_SEL_NO_MAJORITY));
		refresh_reference(c);
	} else if (!isnan(c->last_update) && !c->holdover_expired) {
		say(c,
		    "no usable source left: holding the clock for up to holdover_period "
		    "(%.0f s)",
		    c->opts.holdover_period);
	}
	free(in);
	free(verdicts);
}

static void
on_holdover_expired(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_client *c = arg;

	(void)fd;
	(void)what;
	c->holdover_expired = 1;
	ntp_dsc_unsynchronise(c->dsc);
	lose_reference(c);
	(void)clk_set_sync_status(c->clock, 0, NTP_MAX_DISPERSION, NTP_MAX_DISPERSION);
	say(c, "no usable sample for %.0f s (holdover_period): clock free-running",
	    c->opts.holdover_period);
	if (c->hooks.holdover_expired != NULL)
		c->hooks.holdover_expired(c->hooks.arg);
}

/* ---- sources ---------------------------------------------------------------------------- */

/* Has every source stopped giving time (or was there none)? */
static int
all_gone(const struct ntp_client *c)
{
	for (const struct source *s = c->sources; s != NULL; s = s->next) {
		if (s->peer == NULL) {
			if (s->resolve_error[0] == '\0')
				return 0; /* still resolving */
			continue;
		}
		switch (ntp_peer_state(s->peer)) {
		case NTP_PEER_STARTING:
		case NTP_PEER_OK:
			return 0;
		default:
			break;
		}
	}
	return 1;
}

static int
synchronised(const struct ntp_client *c)
{
	return !isnan(c->last_update) && !c->holdover_expired && !c->refusing && !c->no_majority;
}

/*
 * While synchronised (or in holdover) the discipline owns the reference.
 * Otherwise a reliable machine serves its own clock once no source is left
 * that it could follow (all gone, or no majority among them); until then,
 * and always when not reliable, it says it is unsynchronised.
 */
static void
refresh_reference(struct ntp_client *c)
{
	if (synchronised(c))
		return;
	if (c->opts.reliable && (all_gone(c) || c->no_majority))
		ntp_ref_set_local(c->ref, (uint8_t)c->opts.local_stratum);
	else
		ntp_ref_set_none(c->ref);
}

static void
on_peer_sample(struct ntp_peer *p, void *arg)
{
	struct source *s = arg;

	(void)p;
	run_selection(s->c, 1);
}

static int
is_numeric(const char *host)
{
	struct evutil_addrinfo hints = {.ai_flags = EVUTIL_AI_NUMERICHOST}, *ai = NULL;

	if (evutil_getaddrinfo(host, NULL, &hints, &ai) != 0)
		return 0;
	evutil_freeaddrinfo(ai);
	return 1;
}

static void
on_peer_state(struct ntp_peer *p, enum ntp_peer_state old, void *arg)
{
	struct source *s = arg;
	struct ntp_client *c = s->c;
	enum ntp_peer_state now = ntp_peer_state(p);

	log_info("source %s: %s -> %s%s%s", log_esc(s->host).s, ntp_peer_state_name(old),
	         ntp_peer_state_name(now), ntp_peer_last_error(p)[0] ? ": " : "",
	         ntp_peer_last_error(p));
	if (now == NTP_PEER_OK) {
		s->retry_delay = RESOLVE_RETRY_MIN;
	} else if (now == NTP_PEER_UNREACHABLE && !is_numeric(s->host)) {
		/* The name may point elsewhere by now: look it up again, once this
		 * peer's callback has returned (the peer goes away with it), backing
		 * off while it stays silent. */
		loop_arm(s->retry_ev, s->retry_delay);
		s->retry_delay = fmin(RESOLVE_RETRY_MAX, s->retry_delay * 2.0);
	}
	run_selection(c, 0);
	refresh_reference(c);
	if (c->hooks.all_unreachable != NULL && c->n_sources > 0 && all_gone(c))
		c->hooks.all_unreachable(c->hooks.arg);
}

/*
 * The poll that makes a source's last polls all unanswered takes it out of
 * the selection at once, not at the next sample of another source: a dead
 * DC is left within two polls.
 */
static void
on_peer_polled(struct ntp_peer *p, void *arg)
{
	struct source *s = arg;

	if (!JUST_WENT_QUIET(ntp_peer_reach(p)))
		return;
	run_selection(s->c, 0);
	refresh_reference(s->c);
}

static const struct ntp_peer_callbacks peer_callbacks = {
    .sample = on_peer_sample,
    .state = on_peer_state,
    .polled = on_peer_polled,
};

static struct ntp_peer_params
peer_params(const struct ntp_client *c, const struct source *s)
{
	return (struct ntp_peer_params){
	    .min_poll = c->opts.min_poll,
	    .max_poll = c->opts.max_poll,
	    .special_interval = c->opts.special_poll_interval,
	    .refused_retry = c->opts.refused_retry,
	    .flags = s->flags,
	    .noise = TIMESTAMP_NOISE,
	    .key_id = s->key_id,
	    .key = s->key_id != 0 ? ntp_keys_find(c->opts.keys, s->key_id) : NULL,
	    .nts = s->nts,
	    .auth = (s->flags & NTP_PEER_MSSNTP) ? c->opts.mssntp : NULL,
	};
}

static void
on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct source *s = arg;
	struct ntp_client *c = s->c;
	struct ntp_peer_params params;

	s->dns_req = NULL;
	if (err == EVUTIL_EAI_CANCEL)
		return; /* the source is being freed */
	if (err != 0 || ai == NULL) {
		snprintf(s->resolve_error, sizeof(s->resolve_error), "cannot resolve: %s",
		         evutil_gai_strerror(err));
		log_warn("source %s: %s; retrying in %.0f s", log_esc(s->host).s, s->resolve_error,
		         s->retry_delay);
		loop_arm(s->retry_ev, s->retry_delay);
		s->retry_delay = fmin(RESOLVE_RETRY_MAX, s->retry_delay * 2.0);
		refresh_reference(c);
		return;
	}
	s->resolve_error[0] = '\0';
	params = peer_params(c, s);
	s->peer = ntp_peer_new(c->base, c->clock, &c->epoch, c->ref, ai->ai_addr,
	                       (socklen_t)ai->ai_addrlen, &params, &peer_callbacks, s);
	evutil_freeaddrinfo(ai);
}

static void
start_resolve(struct source *s)
{
	struct evutil_addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP};
	char port[8];
	int n;
	/* An NTS source polls the server its key exchange named. */
	const char *host = s->nts != NULL ? nts_session_server(s->nts, &n) : s->host;

	snprintf(port, sizeof(port), "%d", s->nts != NULL ? n : s->port);
	if (s->c->dns == NULL) {
		struct evutil_addrinfo *ai = NULL;
		int err;

		/* Two statements: as one call's arguments, AI could be read before it is set. */
		hints.ai_flags = EVUTIL_AI_NUMERICHOST;
		err = evutil_getaddrinfo(host, port, &hints, &ai);
		on_resolved(err, ai, s);
		return;
	}
	/* May call on_resolved before returning (numeric hosts, /etc/hosts). */
	s->dns_req = evdns_getaddrinfo(s->c->dns, host, port, &hints, on_resolved, s);
}

static void
on_retry_resolve(evutil_socket_t fd, short what, void *arg)
{
	struct source *s = arg;

	(void)fd;
	(void)what;
	s->peer = ntp_peer_free(s->peer);
	if (s->c->system_peer == s)
		s->c->system_peer = NULL;
	start_resolve(s);
}

static struct source *
find_source(const struct ntp_client *c, const char *host, int port, struct source ***ret_link)
{
	struct source **link = (struct source **)&c->sources;

	for (; *link != NULL; link = &(*link)->next) {
		if ((*link)->port == port && strcasecmp((*link)->host, host) == 0) {
			if (ret_link != NULL)
				*ret_link = link;
			return *link;
		}
	}
	return NULL;
}

/*
 * A key exchange of an NTS source succeeded: poll the server it named. A
 * peer already polling keeps going (its requests take the new cookies);
 * once it fails, re-resolution picks up a newly negotiated server.
 */
static void
on_nts_ready(struct nts_session *nts, void *arg)
{
	struct source *s = arg;

	(void)nts;
	if (s->peer == NULL && s->dns_req == NULL)
		start_resolve(s);
}

void
ntp_client_add(struct ntp_client *c, const char *host, int port, unsigned flags, uint32_t key_id,
               int nts_port, const char *origin)
{
	struct source *s = find_source(c, host, port, NULL), **tail;
	struct ntp_peer_params params;

	if (s != NULL) {
		s->flags = flags;
		s->key_id = key_id;
		free(s->origin);
		s->origin = xstrdup(origin);
		if (s->peer != NULL) {
			params = peer_params(c, s);
			ntp_peer_set_params(s->peer, &params);
			ntp_peer_reoffer(s->peer);
		}
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->host = xstrdup(host);
	s->port = port;
	s->flags = flags;
	s->key_id = key_id;
	s->origin = xstrdup(origin);
	s->verdict = NTP_SEL_UNREACHABLE;
	s->root_distance = NAN;
	s->retry_delay = RESOLVE_RETRY_MIN;
	s->retry_ev = loop_timer_new(c->base, on_retry_resolve, s);
	for (tail = &c->sources; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	c->n_sources++;
	log_info("source %s:%d added (%s, flags 0x%x%s)", log_esc(host).s, port, origin, flags,
	         nts_port != 0 ? ", NTS"
	         : key_id != 0 ? ", key"
	                       : "");
	if (nts_port != 0)
		s->nts = nts_session_new(c->base, c->dns, host, nts_port, c->opts.nts_ca_file,
		                         on_nts_ready, s);
	else
		start_resolve(s);
	refresh_reference(c);
}

static void
free_source(struct source *s)
{
	if (s->dns_req != NULL)
		evdns_getaddrinfo_cancel(s->dns_req);
	ntp_peer_free(s->peer);
	nts_session_free(s->nts);
	loop_event_free(&s->retry_ev);
	free(s->host);
	free(s->origin);
	free(s);
}

static void
unlink_source(struct ntp_client *c, struct source **link)
{
	struct source *s = *link;

	*link = s->next;
	c->n_sources--;
	if (c->system_peer == s)
		c->system_peer = NULL;
	log_info("source %s:%d removed", log_esc(s->host).s, s->port);
	free_source(s);
}

int
ntp_client_remove(struct ntp_client *c, const char *host, int port)
{
	struct source **link;

	if (find_source(c, host, port, &link) == NULL)
		return -1;
	unlink_source(c, link);
	refresh_reference(c);
	return 0;
}

void
ntp_client_remove_origin(struct ntp_client *c, const char *origin)
{
	struct source **link = &c->sources;

	while (*link != NULL) {
		if (strcmp((*link)->origin, origin) == 0)
			unlink_source(c, link);
		else
			link = &(*link)->next;
	}
	refresh_reference(c);
}

void
ntp_client_resync(struct ntp_client *c)
{
	for (struct source *s = c->sources; s != NULL; s = s->next) {
		if (s->peer != NULL)
			ntp_peer_burst(s->peer);
		else if (s->dns_req == NULL && s->nts == NULL) /* NTS: after its key exchange */
			start_resolve(s);
	}
}

void
ntp_client_set_options(struct ntp_client *c, const struct ntp_client_options *opts)
{
	free(c->drift_file);
	c->opts = *opts;
	c->drift_file = opts->drift_file != NULL ? xstrdup(opts->drift_file) : NULL;
	c->opts.drift_file = c->drift_file;
	ntp_dsc_set_params(c->dsc, &opts->discipline);
	for (struct source *s = c->sources; s != NULL; s = s->next) {
		struct ntp_peer_params params = peer_params(c, s);

		if (s->peer != NULL)
			ntp_peer_set_params(s->peer, &params);
	}
	refresh_reference(c);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

struct ntp_client *
ntp_client_new(struct event_base *base, struct evdns_base *dns, struct clk *clock,
               struct ntp_ref *ref, const struct ntp_client_options *opts,
               const struct ntp_client_hooks *hooks, char **ret_cause)
{
	struct ntp_client *c = xcalloc(1, sizeof(*c));
	double freq;

	c->base = base;
	c->dns = dns;
	c->clock = clock;
	c->ref = ref;
	c->opts = *opts;
	c->drift_file = opts->drift_file != NULL ? xstrdup(opts->drift_file) : NULL;
	c->opts.drift_file = c->drift_file;
	if (hooks != NULL)
		c->hooks = *hooks;
	clk_now(clock, &c->epoch);
	c->last_update = NAN;
	c->last_offset = NAN;
	freq = initial_freq(c);
	c->dsc = ntp_dsc_new(&opts->discipline, freq);
	c->slew_ev = loop_timer_new(base, on_slew_done, c);
	c->holdover_ev = loop_timer_new(base, on_holdover_expired, c);
	c->leap_ev = loop_timer_new(base, on_leap_done, c);
	c->drift_ev = loop_event_new(base, -1, EV_PERSIST, on_drift_timer, c);
	loop_arm(c->drift_ev, floor(fmax(1.0, opts->drift_interval)));
	/*
	 * Only a drift file changes the clock at start: otherwise the kernel's
	 * frequency is kept as found (a host with no source steers nothing),
	 * as chronyd does.
	 */
	int r = ntp_dsc_freq(c->dsc) * 1e6 != clk_get_freq(clock)
	            ? clk_set_freq(clock, ntp_dsc_freq(c->dsc) * 1e6)
	            : 0;

	if (r < 0) {
		*ret_cause = xasprintf("cannot set the clock frequency: %s", strerror(-r));
		return ntp_client_free(c);
	}
	refresh_reference(c);
	return c;
}

struct ntp_client *
ntp_client_free(struct ntp_client *c)
{
	if (c == NULL)
		return NULL;
	save_drift(c);
	while (c->sources != NULL) {
		struct source *s = c->sources;

		c->sources = s->next;
		free_source(s);
	}
	loop_event_free(&c->slew_ev);
	loop_event_free(&c->holdover_ev);
	loop_event_free(&c->leap_ev);
	loop_event_free(&c->drift_ev);
	ntp_dsc_free(c->dsc);
	free(c->drift_file);
	free(c);
	return NULL;
}

/* ---- reports ------------------------------------------------------------------------------ */

size_t
ntp_client_n_sources(const struct ntp_client *c)
{
	return c->n_sources;
}

static const struct source *
source_at(const struct ntp_client *c, size_t i)
{
	const struct source *s = c->sources;

	while (s != NULL && i-- > 0)
		s = s->next;
	return s;
}

/* How the source's answers are authenticated, known before it resolves. */
static const char *
source_auth(const struct source *s)
{
	return s->nts != NULL ? "nts" : s->key_id != 0 ? "symmetric" : "none";
}

const char *
ntp_source_shown_state(const struct ntp_source_report *r)
{
	return strcmp(r->state, "ok") == 0 ? r->verdict : r->state;
}

void
ntp_client_source_report(const struct ntp_client *c, size_t i, struct ntp_source_report *ret)
{
	const struct source *s = source_at(c, i);
	struct ntp_flt_estimate e;
	struct ntp_flt_sample last;

	*ret = (struct ntp_source_report){
	    .host = s->host,
	    .port = s->port,
	    .flags = s->flags,
	    .origin = s->origin,
	    .key_id = s->key_id,
	    .auth = source_auth(s),
	    .nts = s->nts,
	    .verdict = ntp_sel_verdict_name(s->verdict),
	    .stratum = -1,
	    .jitter = NAN,
	    .root_distance = s->root_distance,
	    .offset = NAN,
	    .delay = NAN,
	    .next_poll_in = NAN,
	    .auth_reason = "",
	};
	if (s->peer == NULL) {
		ret->state = s->resolve_error[0] ? "resolve-failed" : "resolving";
		ret->last_error = s->resolve_error;
		return;
	}
	const struct ntp_peer_server *srv = ntp_peer_server(s->peer);

	ret->state = ntp_peer_state_name(ntp_peer_state(s->peer));
	ntp_io_format_addr(ntp_peer_addr(s->peer, NULL), ret->address, sizeof(ret->address));
	ret->reach = ntp_peer_reach(s->peer);
	ret->poll = ntp_peer_poll(s->peer);
	ret->next_poll_in = ntp_peer_next_poll_in(s->peer);
	ret->last_error = ntp_peer_last_error(s->peer);
	ret->stats = ntp_peer_stats(s->peer);
	/* NTS and keys are configured per source; MS-SNTP is what the DC's answers showed. */
	if (s->nts == NULL && s->key_id == 0) {
		ret->auth = ntp_peer_auth(s->peer);
		ret->auth_reason = ntp_peer_auth_reason(s->peer);
	}
	if (ntp_peer_last_sample(s->peer, &last)) {
		ret->have_sample = 1;
		ret->offset = last.offset;
		ret->delay = last.delay;
		ret->stratum = srv->stratum;
		ret->peer_poll = srv->poll;
		ntp_refid_format(srv->refid, srv->stratum, ret->refid, sizeof(ret->refid));
	}
	if (ntp_peer_estimate(s->peer, now_seconds(c), &e))
		ret->jitter = e.jitter;
}

static const char *
state_name(const struct ntp_client *c)
{
	if (c->refusing)
		return "refused";
	if (c->sel_status == NTP_SEL_NO_MAJORITY_FOUND)
		return "no-majority";
	if (synchronised(c))
		return c->system_peer != NULL ? "synchronised" : "holdover";
	return c->ref->kind == NTP_REF_LOCAL ? "local" : "unsynchronised";
}

void
ntp_client_status(const struct ntp_client *c, struct ntp_client_status *ret)
{
	double now = now_seconds(c);

	*ret = (struct ntp_client_status){
	    .state = state_name(c),
	    .offset = c->last_offset,
	    .freq_ppm = ntp_dsc_freq(c->dsc) * 1e6,
	    .last_sync = NAN,
	    .since_sync = NAN,
	    .last_action = ntp_dsc_outcome_name(c->last_outcome),
	    .steps = c->steps,
	    .n_sources = c->n_sources,
	    .poll = c->opts.min_poll,
	};
	strcpy(ret->message, c->message);
	if (!isnan(c->last_update)) {
		ret->since_sync = now - c->last_update;
		ret->last_sync = ts_to_double(&c->epoch) + c->last_update;
	}
	if (c->system_peer != NULL && c->system_peer->peer != NULL) {
		ret->source = c->system_peer->host;
		ret->poll = ntp_peer_poll(c->system_peer->peer);
		ntp_io_format_addr(ntp_peer_addr(c->system_peer->peer, NULL), ret->source_address,
		                   sizeof(ret->source_address));
	}
}
