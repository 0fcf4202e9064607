/*
 * commands.c - the control commands: what domtimectl can ask the daemon.
 *
 * Results are JSON with stable field names (scripts and tests rely on
 * them); domtimectl renders them for humans.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ts.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "../ntp/nts.h"
#include "../ntp/nts_server.h"
#include "../ntp/packet.h"
#include "directory.h"
#include "dmn_private.h"
#include "auth.h"
#include "samba_dc.h"
#include "health.h"
#include "metrics.h"

/* The reference timestamp as clients see it, as Unix time; null when unset. */
static json_t *
reference_time(uint64_t ntp, const struct timespec *now)
{
	struct timespec ts;

	if (ntp == 0)
		return json_null();
	ntp_ts_to_timespec(ntp, now, &ts);
	return json_real(ts_to_double(&ts));
}

/* A number, or null when it is not one (NAN: not known yet). */
static json_t *
real_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *
string_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* Sources that give no answer at all: never resolved, silent for 8 polls, or refusing us. */
static size_t
silent_sources(const struct ntp_client *c)
{
	static const char *const silent[] = {"resolve-failed", "unreachable", "denied"};
	size_t n = 0;

	for (size_t i = 0; i < ntp_client_n_sources(c); i++) {
		struct ntp_source_report r;

		ntp_client_source_report(c, i, &r);
		for (size_t j = 0; j < ARRAY_LEN(silent); j++)
			n += strcmp(r.state, silent[j]) == 0;
	}
	return n;
}

const char *
dmn_reason(const struct dmn *d, const struct ntp_client_status *cs, char *buf, size_t size)
{
	struct dmn_dir_health dh = {0};
	struct health_facts f;

	if (d->dir != NULL)
		dmn_dir_health(d->dir, &dh);
	f = (struct health_facts){
	    .synchronised = ntp_ref_synchronised(&d->ref),
	    .serving_local = d->ref.kind == NTP_REF_LOCAL,
	    .client_state = cs->state,
	    .client_message = cs->message,
	    .n_sources = cs->n_sources,
	    .n_silent = silent_sources(d->client),
	    .manual_configured = d->cfg->ntp_server[0] != '\0',
	    .root_pdc = dmn_dir_role(d->dir) == HIER_ROLE_ROOT_PDC,
	    .in_domain = d->dir != NULL,
	    .dir_setup_error = dmn_dir_unavailable(d->dir),
	    .have_forest = dh.have_forest,
	    .dir_failures = dh.failures,
	    .dir_error = dh.last_error,
	    .dir_why = dh.why,
	};
	return health_reason(&f, buf, size);
}

static json_t *
cmd_status(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;
	const struct ntp_ref *ref = &d->ref;
	struct ntp_packet fields = {0};
	struct ntp_client_status cs;
	struct timespec now, mono;
	double precision = ldexp(1.0, ntp_srv_precision(d->srv));
	double error;
	char refid[32], reason[512];
	json_t *o;

	(void)args;
	(void)ret_error;
	clk_now(d->clock, &now);
	clk_monotonic(&mono);
	ntp_client_status(d->client, &cs);
	/* Exactly what an NTP client would be told now. */
	ntp_ref_fill(ref, &now, precision, &fields);
	ntp_refid_format(fields.refid, fields.stratum, refid, sizeof(refid));
	o = json_object();
	json_object_set_new(o, "state", json_string(cs.state));
	json_object_set_new(o, "message", string_or_null(cs.message));
	json_object_set_new(o, "synchronized", json_boolean(ntp_ref_synchronised(ref)));
	json_object_set_new(o, "reason",
	                    string_or_null(dmn_reason(d, &cs, reason, sizeof(reason))));
	json_object_set_new(o, "leap", json_integer(fields.leap));
	json_object_set_new(o, "stratum", json_integer(fields.stratum));
	json_object_set_new(o, "refid", json_string(refid));
	json_object_set_new(o, "source",
	                    ref->kind == NTP_REF_LOCAL ? json_string("local clock")
	                                               : string_or_null(cs.source));
	json_object_set_new(o, "source_address", string_or_null(cs.source_address));
	json_object_set_new(o, "offset", real_or_null(cs.offset));
	json_object_set_new(o, "root_delay", json_real(ntp_short_to_double(fields.root_delay)));
	json_object_set_new(o, "root_dispersion",
	                    json_real(ntp_short_to_double(fields.root_dispersion)));
	json_object_set_new(o, "reference_time", reference_time(fields.reference, &now));
	json_object_set_new(o, "last_sync", real_or_null(cs.last_sync));
	json_object_set_new(o, "poll", json_integer(cs.poll));
	json_object_set_new(o, "precision", json_integer(ntp_srv_precision(d->srv)));
	json_object_set_new(o, "frequency_ppm", json_real(cs.freq_ppm));
	json_object_set_new(o, "last_action", json_string(cs.last_action));
	json_object_set_new(o, "steps", json_integer(cs.steps));
	json_object_set_new(o, "sources", json_integer((json_int_t)cs.n_sources));
	json_object_set_new(o, "role", json_string(dmn_dir_role_name(d->dir)));
	json_object_set_new(o, "type", json_string(dmn_type_name(d, d->dir)));
	json_object_set_new(o, "announce_flags", json_integer(dmn_announce_flags(d, d->dir)));
	json_object_set_new(o, "mssntp", dmn_auth_json(d));
	json_object_set_new(o, "mssntp_server", dmn_samba_json(d));
	json_object_set_new(o, "clock", json_string(clk_kind_name(clk_get_kind(d->clock))));
	if (clk_true_error(d->clock, &error) == 0)
		json_object_set_new(o, "clock_error", json_real(error));
	json_object_set_new(o, "time", json_real(ts_to_double(&now)));
	json_object_set_new(o, "uptime", json_real(ts_diff(&mono, &d->started)));
	return o;
}

static json_t *
peer_stats(const struct ntp_peer_stats *st)
{
	if (st == NULL)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sent",
	                 (json_int_t)st->sent, "valid", (json_int_t)st->valid, "spikes",
	                 (json_int_t)st->spikes, "malformed", (json_int_t)st->malformed, "bogus",
	                 (json_int_t)st->bogus, "unsynchronised", (json_int_t)st->unsynchronised,
	                 "bad_timestamps", (json_int_t)st->bad_timestamps, "loops",
	                 (json_int_t)st->loops, "kod_rate", (json_int_t)st->kod_rate, "kod_deny",
	                 (json_int_t)st->kod_deny, "bad_mac", (json_int_t)st->bad_mac);
}

/* NTS state of a source: cookies left, key exchanges, the last refusal. */
static json_t *
nts_json(const struct nts_session *nts)
{
	struct nts_report n;

	if (nts == NULL)
		return json_null();
	nts_session_report(nts, &n);
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:I}", "state", n.state,
	                 "cookies", (json_int_t)n.cookies, "last_ke", real_or_null(n.last_ke),
	                 "next_ke_in", real_or_null(n.next_ke_in), "error", string_or_null(n.error),
	                 "ke_ok", (json_int_t)n.ke_ok, "ke_failed", (json_int_t)n.ke_failed, "naks",
	                 (json_int_t)n.naks, "bad_auth", (json_int_t)n.bad_auth);
}

static json_t *
source_json(const struct ntp_source_report *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "host", json_string(r->host));
	json_object_set_new(o, "address", json_string(r->address[0] ? r->address : r->host));
	json_object_set_new(o, "port", json_integer(r->port));
	json_object_set_new(o, "flags", json_integer(r->flags));
	json_object_set_new(o, "auth", json_string(r->auth));
	json_object_set_new(o, "key_id", r->key_id != 0 ? json_integer(r->key_id) : json_null());
	json_object_set_new(o, "nts", nts_json(r->nts));
	json_object_set_new(o, "origin", json_string(r->origin));
	json_object_set_new(o, "state", json_string(ntp_source_shown_state(r)));
	json_object_set_new(o, "peer_state", json_string(r->state));
	json_object_set_new(o, "verdict", json_string(r->verdict));
	json_object_set_new(o, "stratum", r->stratum >= 0 ? json_integer(r->stratum) : json_null());
	json_object_set_new(o, "refid", string_or_null(r->refid));
	json_object_set_new(o, "reach", json_integer(r->reach));
	json_object_set_new(o, "poll", json_integer(r->poll));
	json_object_set_new(o, "peer_poll", json_integer(r->peer_poll));
	json_object_set_new(o, "next_poll_in", real_or_null(r->next_poll_in));
	json_object_set_new(o, "offset", real_or_null(r->offset));
	json_object_set_new(o, "delay", real_or_null(r->delay));
	json_object_set_new(o, "jitter", real_or_null(r->jitter));
	json_object_set_new(o, "root_distance", real_or_null(r->root_distance));
	json_object_set_new(o, "last_error", string_or_null(r->last_error));
	json_object_set_new(o, "auth", json_string(r->auth));
	json_object_set_new(o, "auth_reason", string_or_null(r->auth_reason));
	json_object_set_new(o, "stats", peer_stats(r->stats));
	return o;
}

static json_t *
cmd_peers(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;
	json_t *a = json_array();

	(void)args;
	(void)ret_error;
	for (size_t i = 0; i < ntp_client_n_sources(d->client); i++) {
		struct ntp_source_report r;

		ntp_client_source_report(d->client, i, &r);
		json_array_append_new(a, source_json(&r));
	}
	return a;
}

static json_t *
cmd_source(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;
	struct ntp_client_status cs;

	(void)ret_error;
	if (json_is_true(json_object_get(args, "explain")))
		return dmn_dir_explain_json(d, d->dir);
	ntp_client_status(d->client, &cs);
	if (d->ref.kind == NTP_REF_LOCAL)
		return json_pack("{s:s, s:n, s:s, s:b}", "source", "local clock", "address",
		                 "state", cs.state, "synchronized", 1);
	return json_pack("{s:o, s:o, s:s, s:b}", "source", string_or_null(cs.source), "address",
	                 string_or_null(cs.source_address), "state", cs.state, "synchronized",
	                 ntp_ref_synchronised(&d->ref));
}

static json_t *
cmd_resync(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;

	(void)args;
	(void)ret_error;
	ntp_client_resync(d->client);
	return json_pack("{s:I}", "sources", (json_int_t)ntp_client_n_sources(d->client));
}

static json_t *
ntp_counters(const struct ntp_srv *srv)
{
	const struct ntp_srv_counters *c = ntp_srv_counters(srv);
	json_t *dropped = json_object();
	uint64_t total = 0;

	for (int i = 0; i < NTP_DROP_N; i++) {
		json_object_set_new(dropped, ntp_srv_drop_name(i),
		                    json_integer((json_int_t)c->dropped[i]));
		total += c->dropped[i];
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I}", "received",
	                 (json_int_t)c->received, "answered", (json_int_t)c->answered, "kod_rate",
	                 (json_int_t)c->kod_rate, "rate_limited", (json_int_t)c->rate_limited,
	                 "dropped_total", (json_int_t)total, "dropped", dropped,
	                 "no_kernel_timestamp", (json_int_t)c->no_kernel_timestamp,
	                 "receive_errors", (json_int_t)c->receive_errors, "send_errors",
	                 (json_int_t)c->send_errors, "client_table_bytes",
	                 (json_int_t)ntp_srv_client_table_memory(srv));
}

/* Our NTS server's counters, or null without one. */
static json_t *
nts_server_counters(const struct nts_srv *nts)
{
	const struct nts_srv_counters *c = nts != NULL ? nts_srv_counters(nts) : NULL;

	if (c == NULL)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "ke_ok", (json_int_t)c->ke_ok, "ke_failed",
	                 (json_int_t)c->ke_failed, "requests", (json_int_t)c->requests, "naks",
	                 (json_int_t)c->naks, "bad_auth", (json_int_t)c->bad_auth);
}

static json_t *
mssntp_counters_json(const struct mssntp_counters *m)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "signed",
	                 (json_int_t)m->n_signed, "sign_failed", (json_int_t)m->sign_failed,
	                 "extended_unsupported", (json_int_t)m->extended_unsupported, "unknown_rid",
	                 (json_int_t)m->unknown_rid, "refused", (json_int_t)m->refused,
	                 "signd_down", (json_int_t)m->signd_down, "queue_full",
	                 (json_int_t)m->queue_full, "timed_out", (json_int_t)m->timed_out,
	                 "verified", (json_int_t)m->verified, "bad_mac", (json_int_t)m->bad_mac,
	                 "unsigned", (json_int_t)m->unsigned_reply);
}

static json_t *
cmd_counters(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;
	const struct ctl_counters *cc = ctl_get_counters(d->ctl);

	(void)args;
	(void)ret_error;
	return json_pack("{s:o, s:o, s:o, s:{s:I, s:I}}", "ntp", ntp_counters(d->srv), "mssntp",
	                 mssntp_counters_json(&ntp_srv_counters(d->srv)->mssntp), "nts_server",
	                 nts_server_counters(d->nts), "control", "requests",
	                 (json_int_t)cc->requests, "rejected", (json_int_t)cc->rejected);
}

static json_t *
cmd_metrics(void *ctx, json_t *args, char **ret_error)
{
	char *text = metrics_render(ctx);
	json_t *o = json_pack("{s:s}", "text", text);

	(void)args;
	(void)ret_error;
	free(text);
	return o;
}

static json_t *
cmd_reload(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;

	(void)args;
	if (dmn_reload(d, ret_error) < 0)
		return NULL;
	return json_pack("{s:s}", "config", d->config_path);
}

static json_t *
cmd_hierarchy(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;

	json_t *h = dmn_dir_hierarchy_json(d->dir);

	(void)args;
	(void)ret_error;
	/* So domtimectl monitor finds the DCs through the same DNS server as we do. */
	json_object_set_new(h, "dns_server", string_or_null(d->cfg->dns_server));
	return h;
}

static json_t *
cmd_rediscover(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;

	(void)args;
	if (d->dir == NULL) {
		*ret_error = xstrdup("not in a domain: there is no directory to read");
		return NULL;
	}
	if (dmn_dir_unavailable(d->dir) != NULL) {
		*ret_error = xasprintf("directory discovery cannot run: %s; restart domtimed "
		                       "once this is fixed",
		                       dmn_dir_unavailable(d->dir));
		return NULL;
	}
	return json_pack("{s:b}", "started",
	                 dmn_dir_rediscover(d->dir, "domtimectl rediscover") == 0);
}

static const struct ctl_command commands[] = {
    {.name = "status", .run = cmd_status},
    {.name = "counters", .run = cmd_counters},
    {.name = "metrics", .run = cmd_metrics},
    {.name = "peers", .run = cmd_peers},
    {.name = "source", .run = cmd_source},
    {.name = "hierarchy", .run = cmd_hierarchy},
    {.name = "resync", .privileged = 1, .run = cmd_resync},
    {.name = "rediscover", .privileged = 1, .run = cmd_rediscover},
    {.name = "reload", .privileged = 1, .run = cmd_reload},
};

const struct ctl_command *
dmn_commands(size_t *ret_n)
{
	*ret_n = ARRAY_LEN(commands);
	return commands;
}
