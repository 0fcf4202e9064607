/*
 * control.h - the control socket server.
 *
 * Listens on a Unix socket, reads one framed request per connection (see
 * ctl_proto.h), checks the peer's credentials, runs the command and answers.
 * Each connection is closed a few seconds after accept whatever it does, and
 * each uid may hold only a few at once, with room always kept for root.
 * The command table belongs to the caller, so this module knows nothing of
 * what the commands do.
 */
#ifndef DOMTIMED_CONTROL_H
#define DOMTIMED_CONTROL_H

#include <jansson.h>
#include <stdint.h>

struct event_base;
struct ctl;

struct ctl_command {
	const char *name;
	/* Only root (or the daemon's own user) may run it: it changes something. */
	int privileged;
	/* The result (a new reference), or NULL with an allocated *RET_ERROR. */
	json_t *(*run)(void *ctx, json_t *args, char **ret_error);
};

struct ctl_counters {
	uint64_t requests;
	uint64_t rejected; /* malformed, unknown command, not permitted, too large, over a
	                      connection limit, past the deadline */
};

/*
 * Listen on PATH (an old socket there is replaced) with mode MODE, serving
 * the N_COMMANDS of COMMANDS with CTX. Returns NULL with an allocated
 * *RET_CAUSE on failure. COMMANDS and CTX are borrowed.
 */
struct ctl *ctl_new(struct event_base *base, const char *path, unsigned mode,
                    const struct ctl_command *commands, size_t n_commands, void *ctx,
                    char **ret_cause);
/* Stop listening, drop connections, remove the socket file. */
struct ctl *ctl_free(struct ctl *ctl);
const struct ctl_counters *ctl_get_counters(const struct ctl *ctl);

#endif
