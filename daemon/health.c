/*
 * health.c - one sentence on what is wrong, first cause first.
 *
 * The order matters: a directory that cannot be read explains an empty
 * source list, which explains an unsynchronised clock; the admin is told
 * the cause, not its last consequence.
 */
#include <stdio.h>
#include <string.h>

#include "health.h"

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* No source at all: say why there is none and what would give one. */
static void
no_sources(const struct health_facts *f, char *buf, size_t size)
{
	if (f->root_pdc && !f->manual_configured)
		snprintf(buf, size,
		         "forest root PDC with no external time source: set ntp_server "
		         "(or reliable = yes to serve this clock as the forest's reference)");
	else if (f->in_domain && f->have_forest)
		snprintf(buf, size, "no time source: the domain hierarchy chose none (%s)",
		         nonempty(f->dir_why) ? f->dir_why : "no reason given");
	else
		snprintf(buf, size,
		         "no time source: standalone host and ntp_server is empty; set "
		         "ntp_server (or reliable = yes to serve this clock as a reference)");
}

static void
unsynchronised(const struct health_facts *f, char *buf, size_t size)
{
	const char *msg = nonempty(f->client_message);

	if (f->in_domain && !f->have_forest && f->dir_failures > 0)
		snprintf(buf, size, "cannot read the directory (%u failed reads in a row): %s",
		         f->dir_failures,
		         nonempty(f->dir_error) ? f->dir_error : "no reason given");
	else if (f->in_domain && !f->have_forest && f->n_sources == 0)
		snprintf(buf, size, "reading the directory: no time source known yet");
	else if (f->n_sources == 0)
		no_sources(f, buf, size);
	else if (strcmp(f->client_state, "no-majority") == 0 ||
	         strcmp(f->client_state, "refused") == 0 ||
	         strcmp(f->client_state, "holdover") == 0)
		snprintf(buf, size, "%s", msg != NULL ? msg : f->client_state);
	else if (f->n_silent == f->n_sources)
		snprintf(buf, size, "none of the %zu source(s) answers%s%s", f->n_sources,
		         msg != NULL ? ": " : "", msg != NULL ? msg : "");
	else
		snprintf(buf, size, "waiting for usable samples from %zu source(s)%s%s",
		         f->n_sources - f->n_silent, msg != NULL ? ": " : "",
		         msg != NULL ? msg : "");
}

/* Synchronised (or serving the local clock), but something is not as it should be. */
static int
degraded(const struct health_facts *f, char *buf, size_t size)
{
	if (f->serving_local && f->root_pdc && f->n_sources > 0)
		snprintf(buf, size,
		         "forest root PDC serving its local clock: none of its %zu "
		         "external source(s) can be used",
		         f->n_sources);
	else if (f->serving_local && f->root_pdc)
		snprintf(buf, size,
		         "forest root PDC serving its local clock (reliable = yes) with "
		         "no external time source");
	else if (f->serving_local && f->n_sources > 0)
		snprintf(buf, size,
		         "serving the local clock: none of the %zu source(s) can be used",
		         f->n_sources);
	else if (f->in_domain && f->have_forest && f->dir_failures > 0)
		snprintf(buf, size,
		         "reading the directory fails (%u in a row): %s; using the "
		         "picture read before",
		         f->dir_failures,
		         nonempty(f->dir_error) ? f->dir_error : "no reason given");
	else if (f->n_silent > 0)
		snprintf(buf, size, "%zu of %zu source(s) do not answer", f->n_silent,
		         f->n_sources);
	else
		return 0;
	return 1;
}

const char *
health_reason(const struct health_facts *f, char *buf, size_t size)
{
	if (f->dir_setup_error != NULL) {
		snprintf(buf, size,
		         "directory unavailable: %s; following the manual sources only "
		         "(fix it and restart)",
		         f->dir_setup_error);
		return buf;
	}
	if (!f->synchronised) {
		unsynchronised(f, buf, size);
		return buf;
	}
	return degraded(f, buf, size) ? buf : NULL;
}
