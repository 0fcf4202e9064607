/*
 * watch.c - notice state changes, log each once with a stable message ID,
 * and keep systemd's STATUS= line current.
 *
 * The modules log the details where things happen (the client names the
 * offset it stepped by, discovery the error it met); this is the one line
 * per change an admin searches or alerts on, with the same MESSAGE_ID in
 * the journal for ever. It looks once a second, which is soon enough for a
 * person or a monitor and costs a few comparisons.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "../common/log.h"
#include "directory.h"
#include "dmn_private.h"

/* journalctl MESSAGE_ID=...; documented in domtimed(8). Never reuse one for another meaning. */
#define MSGID_SOURCE_CHOSEN "d269ac377afb401f85bfde13eb7c348b"
#define MSGID_SOURCE_LOST "d07d724c4d27478b8a28ed9f2e115efc"
#define MSGID_CLOCK_STEPPED "a6458f0b11fd4338881a8c7ec41bfbd1"
#define MSGID_ROLE_CHANGED "e09a39b64f3c42f9b3f9ee3542932cb6"
#define MSGID_DISCOVERY_FAILED "9a0c257bdf124c7cb39df65c0b7556f8"
#define MSGID_NOT_SYNCHRONISED "12a085c6e1f341d4a7e5e49fa3443535"

static void
watch_source(struct dmn_watch *w, const struct ntp_client_status *cs, const struct dmn *d)
{
	const char *now = d->ref.kind == NTP_REF_LOCAL ? "local clock"
	                  : cs->source != NULL         ? cs->source
	                                               : "";

	if (strcmp(now, w->source) == 0)
		return;
	if (now[0] != '\0')
		log_event(LOG_LVL_INFO, MSGID_SOURCE_CHOSEN, "time source chosen: %s (was %s)",
		          log_esc(now).s, w->source[0] != '\0' ? log_esc(w->source).s : "none");
	else
		log_event(LOG_LVL_WARNING, MSGID_SOURCE_LOST, "time source lost: %s",
		          log_esc(w->source).s);
	snprintf(w->source, sizeof(w->source), "%s", now);
}

static void
watch_steps(struct dmn_watch *w, const struct ntp_client_status *cs)
{
	if (cs->steps != w->steps)
		log_event(LOG_LVL_WARNING, MSGID_CLOCK_STEPPED,
		          "clock stepped (%u step(s) so far); offset before the step %+.6f s",
		          cs->steps, cs->offset);
	w->steps = cs->steps;
}

static void
watch_directory(struct dmn_watch *w, const struct dmn *d)
{
	const char *role = dmn_dir_role_name(d->dir);
	struct dmn_dir_health h = {0};

	if (w->role != NULL && strcmp(role, w->role) != 0)
		log_event(LOG_LVL_WARNING, MSGID_ROLE_CHANGED, "role changed: %s -> %s", w->role,
		          role);
	w->role = role;
	if (d->dir == NULL)
		return;
	dmn_dir_health(d->dir, &h);
	if (h.read_errors > w->read_errors)
		log_event(LOG_LVL_ERROR, MSGID_DISCOVERY_FAILED,
		          "directory unreadable: %u failed read(s) in a row, the last: %s",
		          h.failures, h.last_error != NULL ? h.last_error : "no reason given");
	w->read_errors = h.read_errors;
}

static void
watch_reason(struct dmn_watch *w, const struct dmn *d, const char *reason)
{
	if (reason != NULL && strcmp(reason, w->reason) != 0)
		log_event(LOG_LVL_WARNING, MSGID_NOT_SYNCHRONISED, "%s: %s",
		          ntp_ref_synchronised(&d->ref) ? "degraded" : "not synchronised", reason);
	snprintf(w->reason, sizeof(w->reason), "%s", reason != NULL ? reason : "");
}

/* systemd's one-line status: role, source and offset, or why there is none. */
static void
notify_status(struct dmn_watch *w, const struct ntp_client_status *cs, const char *reason)
{
	char line[sizeof(w->status)];

	if (w->source[0] != '\0' && isfinite(cs->offset))
		snprintf(line, sizeof(line), "STATUS=%s; source %s; offset %+.6f s%s%s", w->role,
		         w->source, cs->offset, reason != NULL ? "; " : "",
		         reason != NULL ? reason : "");
	else
		snprintf(line, sizeof(line), "STATUS=%s; %s%s%s", w->role,
		         w->source[0] != '\0' ? w->source : "no source", reason != NULL ? ": " : "",
		         reason != NULL ? reason : "");
	if (strcmp(line, w->status) == 0)
		return;
	(void)sd_notify(0, line);
	strcpy(w->status, line);
}

void
dmn_watch(struct dmn *d)
{
	struct ntp_client_status cs;
	char reason[sizeof(d->watch.reason)];
	const char *why;

	ntp_client_status(d->client, &cs);
	why = dmn_reason(d, &cs, reason, sizeof(reason));
	watch_source(&d->watch, &cs, d);
	watch_steps(&d->watch, &cs);
	watch_directory(&d->watch, d);
	watch_reason(&d->watch, d, why);
	notify_status(&d->watch, &cs, why);
}
