/*
 * ratelimit.h - per-client rate limiting that sheds load, in a table of fixed size.
 *
 * The model is chrony's: each client gets a leaky bucket holding at most
 * BURST requests, refilled at one per 2^INTERVAL seconds. A request that
 * finds a token passes; one that finds none is limited, and of the limited
 * requests of a client only one in 2^LEAK is answered (the first, then every
 * 2^LEAK-th), the rest are dropped. Answering a few keeps a client whose
 * address a flood forges from being silenced completely, and tells a real
 * client over its limit to slow down; dropping the rest is what makes the
 * limiter shed load instead of just changing what it sends.
 *
 * A client is an address prefix: IPv4 by /32 and IPv6 by /64 unless
 * configured otherwise, since one IPv6 host commonly holds a whole /64 and
 * would otherwise have 2^64 fresh identities. IPv4 clients seen through a
 * dual-stack socket (::ffff:a.b.c.d) count as IPv4.
 *
 * The table never grows. An address hashes (with a secret seed, so remote
 * senders cannot aim at one set) to a set of a few slots. Slots are of two
 * kinds: "new" (seen in one burst only) and "returning" (came back after a
 * pause). A newcomer that finds its set full replaces the stalest new slot,
 * and only when the set holds none, the stalest returning one. So a flood
 * of one-shot forged sources churns among itself and cannot cheaply push out
 * the records of clients that keep coming back, such as an abuser whose
 * limit it would otherwise reset.
 *
 * Pure: the caller passes monotonic time; no I/O, no clock reads.
 */
#ifndef DOMTIMED_NTP_RATELIMIT_H
#define DOMTIMED_NTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ntp_rl;

struct ntp_rl_params {
	int interval;    /* log2 seconds between requests, on average */
	unsigned burst;  /* requests a rested client may send at once */
	unsigned leak;   /* answer one limited request in 2^LEAK */
	int ipv4_prefix; /* bits of an IPv4 address that name a client, 0-32 */
	int ipv6_prefix; /* bits of an IPv6 address that name a client, 0-128 */
};

enum ntp_rl_verdict {
	NTP_RL_PASS, /* within the limit: answer */
	NTP_RL_LEAK, /* over the limit, but this one is answered (KoD or time) */
	NTP_RL_DROP, /* over the limit: no answer */
};

/*
 * A table of N_CLIENTS records (rounded up to a power of two) limiting by P.
 * SEED keys the address hash.
 */
struct ntp_rl *ntp_rl_new(size_t n_clients, const struct ntp_rl_params *p, uint64_t seed);
struct ntp_rl *ntp_rl_free(struct ntp_rl *rl);

/*
 * Change interval, burst and leak, keeping every record (a reload must not
 * hand every abuser a fresh burst). The prefixes are fixed at creation.
 */
void ntp_rl_set_rate(struct ntp_rl *rl, const struct ntp_rl_params *p);

/* Does the table key addresses as P says (same prefixes)? */
int ntp_rl_same_keys(const struct ntp_rl *rl, const struct ntp_rl_params *p);

/* Account one request from ADDR at monotonic time NOW (seconds). Unknown families: DROP. */
enum ntp_rl_verdict ntp_rl_check(struct ntp_rl *rl, const struct sockaddr *addr, double now);

/* Records the table can hold (fixed at creation). */
size_t ntp_rl_capacity(const struct ntp_rl *rl);
/* Bytes the table occupies (fixed at creation). */
size_t ntp_rl_memory(const struct ntp_rl *rl);
/* Records in use. */
size_t ntp_rl_used(const struct ntp_rl *rl);

#endif
