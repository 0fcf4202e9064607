/*
 * monitor.h - domtimectl monitor: ask every DC of a domain for the time
 * directly and show offset, stratum and refid per DC, as w32tm /monitor.
 */
#ifndef DOMTIMED_MONITOR_H
#define DOMTIMED_MONITOR_H

#include <jansson.h>

/*
 * HIERARCHY is the daemon's "hierarchy" answer (the DC list). ARGV[0] is
 * "monitor"; options: --domain D (default this machine's), --port P.
 * Returns the exit status.
 */
int monitor_main(int argc, char **argv, const json_t *hierarchy, int json);

#endif
