/*
 * commands.c - the control commands: what domtimectl can ask the daemon.
 *
 * Results are JSON with stable field names (scripts and tests rely on
 * them); domtimectl renders them for humans.
 */
#include <jansson.h>
#include <math.h>

#include "../common/ts.h"
#include "../ntp/packet.h"
#include "../ntp/ratelimit.h"
#include "dmn_private.h"

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

static const char *
state_name(const struct ntp_ref *ref)
{
	switch (ref->kind) {
	case NTP_REF_LOCAL:
		return "local";
	case NTP_REF_PEER:
		return "synchronised";
	case NTP_REF_NONE:
	default:
		return "unsynchronised";
	}
}

static json_t *
cmd_status(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;
	const struct ntp_ref *ref = &d->ref;
	struct ntp_packet fields = {0};
	struct timespec now, mono;
	double precision = ldexp(1.0, ntp_srv_precision(d->srv));
	double error;
	char refid[32];
	json_t *o;

	(void)args;
	(void)ret_error;
	clk_now(d->clock, &now);
	clk_monotonic(&mono);
	/* Exactly what an NTP client would be told now. */
	ntp_ref_fill(ref, &now, precision, &fields);
	ntp_refid_format(fields.refid, fields.stratum, refid, sizeof(refid));
	o = json_object();
	json_object_set_new(o, "state", json_string(state_name(ref)));
	json_object_set_new(o, "synchronized", json_boolean(ntp_ref_synchronised(ref)));
	json_object_set_new(o, "leap", json_integer(fields.leap));
	json_object_set_new(o, "stratum", json_integer(fields.stratum));
	json_object_set_new(o, "refid", json_string(refid));
	json_object_set_new(o, "source", ref->kind == NTP_REF_LOCAL ? json_string("local clock")
								     : json_null());
	/* No upstream measured yet: the NTP client fills this in. */
	json_object_set_new(o, "offset", json_null());
	json_object_set_new(o, "root_delay", json_real(ntp_short_to_double(fields.root_delay)));
	json_object_set_new(o, "root_dispersion",
			    json_real(ntp_short_to_double(fields.root_dispersion)));
	json_object_set_new(o, "reference_time", reference_time(fields.reference, &now));
	json_object_set_new(o, "precision", json_integer(ntp_srv_precision(d->srv)));
	json_object_set_new(o, "frequency_ppm", json_real(clk_get_freq(d->clock)));
	json_object_set_new(o, "clock", json_string(clk_kind_name(clk_get_kind(d->clock))));
	if (clk_true_error(d->clock, &error) == 0)
		json_object_set_new(o, "clock_error", json_real(error));
	json_object_set_new(o, "time", json_real(ts_to_double(&now)));
	json_object_set_new(o, "uptime", json_real(ts_diff(&mono, &d->started)));
	return o;
}

static json_t *
ntp_counters(const struct ntp_srv *srv)
{
	const struct ntp_srv_counters *c = ntp_srv_counters(srv);
	json_t *dropped = json_object();
	uint64_t total = 0;

	for (int i = 0; i < NTP_DROP_N; i++) {
		json_object_set_new(dropped, ntp_srv_drop_name(i), json_integer((json_int_t)c->dropped[i]));
		total += c->dropped[i];
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I}",
			 "received", (json_int_t)c->received,
			 "answered", (json_int_t)c->answered,
			 "kod_rate", (json_int_t)c->kod_rate,
			 "rate_limited", (json_int_t)c->rate_limited,
			 "dropped_total", (json_int_t)total,
			 "dropped", dropped,
			 "no_kernel_timestamp", (json_int_t)c->no_kernel_timestamp,
			 "receive_errors", (json_int_t)c->receive_errors,
			 "send_errors", (json_int_t)c->send_errors,
			 "client_table_bytes", (json_int_t)ntp_srv_client_table_memory(srv));
}

static json_t *
cmd_counters(void *ctx, json_t *args, char **ret_error)
{
	struct dmn *d = ctx;
	const struct ctl_counters *cc = ctl_get_counters(d->ctl);

	(void)args;
	(void)ret_error;
	return json_pack("{s:o, s:{s:I, s:I}}", "ntp", ntp_counters(d->srv), "control", "requests",
			 (json_int_t)cc->requests, "rejected", (json_int_t)cc->rejected);
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

static const struct ctl_command commands[] = {
	{.name = "status", .run = cmd_status},
	{.name = "counters", .run = cmd_counters},
	{.name = "reload", .privileged = 1, .run = cmd_reload},
};

const struct ctl_command *
dmn_commands(size_t *ret_n)
{
	*ret_n = sizeof(commands) / sizeof(commands[0]);
	return commands;
}
