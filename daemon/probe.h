/*
 * probe.h - one NTP query to a server, measured against this machine's
 * clock (read only): what domtimectl stripchart and monitor are made of.
 */
#ifndef DOMTIMED_PROBE_H
#define DOMTIMED_PROBE_H

#include <netdb.h>

#include "../ntp/clock.h"
#include "../ntp/packet.h"

struct probe_result {
	int ok;
	char error[96];
	double offset, delay; /* seconds: server - local, round trip */
	struct ntp_packet reply;
};

/* Resolve "HOST[:PORT]" (port 123 unless given). 0, or -1 with an allocated *RET_CAUSE. */
int probe_resolve(const char *target, struct addrinfo **ret, char **ret_cause);
/* Ask AI once, waiting at most a second; fills *RET (ok or error). */
void probe_query(const struct addrinfo *ai, struct clk *clock, struct probe_result *ret);

#endif
