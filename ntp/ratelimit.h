/*
 * ratelimit.h - per-client rate limiting over a client table of fixed size.
 *
 * Each client address gets a token bucket: BURST requests at once, then one
 * per 2^INTERVAL seconds. The table never grows: when it is full, the least
 * recently seen client among the few slots an address may occupy is
 * forgotten, so memory stays bounded however many addresses appear, and a
 * flood of forged sources can only make limiting more lenient, never deny a
 * real client more than its own rate earns.
 *
 * Pure: the caller passes monotonic time; no I/O, no clock reads.
 */
#ifndef DOMTIMED_NTP_RATELIMIT_H
#define DOMTIMED_NTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ntp_rl;

/*
 * A table of N_CLIENTS records (rounded up to a power of two), allowing one
 * request per 2^INTERVAL seconds on average with bursts of BURST. SEED keys
 * the address hash so remote senders cannot aim at one bucket.
 */
struct ntp_rl *ntp_rl_new(size_t n_clients, int interval, unsigned burst, uint64_t seed);
struct ntp_rl *ntp_rl_free(struct ntp_rl *rl);

/* Account one request from ADDR at monotonic time NOW (seconds); 1 = allow, 0 = limit. */
int ntp_rl_allow(struct ntp_rl *rl, const struct sockaddr *addr, double now);

/* Bytes the table occupies (fixed at creation). */
size_t ntp_rl_memory(const struct ntp_rl *rl);
/* Records in use. */
size_t ntp_rl_used(const struct ntp_rl *rl);

#endif
