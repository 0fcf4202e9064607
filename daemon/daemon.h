/*
 * daemon.h - the running daemon: owns the event loop and every module, wires
 * them together, and answers control commands about them.
 */
#ifndef DOMTIMED_DAEMON_H
#define DOMTIMED_DAEMON_H

#include "config.h"

struct dmn;

/*
 * Build the daemon from CFG (taken over: freed with the daemon), reading the
 * configuration from CONFIG_PATH again on reload (see cfg_load() for
 * OPTIONAL). Does what needs root: opens every socket, reads the keys; but
 * starts no thread and reads no network input, so it runs before privileges
 * are dropped. NULL with an allocated *RET_CAUSE on failure.
 */
struct dmn *dmn_new(struct cfg *cfg, const char *config_path, int optional, char **ret_cause);
/* Start what reads the network (directory discovery), run until SIGTERM/SIGINT.
 * Returns the process exit status. */
int dmn_run(struct dmn *d);
struct dmn *dmn_free(struct dmn *d);

#endif
