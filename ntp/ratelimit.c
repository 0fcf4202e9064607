/*
 * ratelimit.c - leaky buckets in a bounded, set-associative client table.
 */
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "ratelimit.h"

/* Slots one address may live in; small, so a lookup touches one cache line or two. */
#define WAYS 8

/*
 * A client that comes back at least this long after its previous request
 * is "returning". Real clients are, from their second poll (iburst's are
 * 2 s apart); a forged flood has to revisit each address a second later,
 * with state, to make it look like one, not just send one datagram each.
 */
#define RETURN_PAUSE 1.0

struct client {
	uint8_t key[16]; /* the client's prefix; IPv4 as v4-mapped IPv6 */
	double last;     /* monotonic seconds of the last request; 0 = free slot */
	float tokens;
	uint16_t limited;  /* limited requests so far, modulo 2^16 */
	uint8_t returning; /* came back after a pause at least once */
};

/* The size client_table_size's documentation promises. */
_Static_assert(sizeof(struct client) == 32, "a client record is 32 bytes");

struct ntp_rl {
	struct client *slots;
	size_t mask; /* number of slots - 1 */
	size_t used;
	double refill; /* tokens per second */
	float burst;
	uint16_t leak_mask; /* answer a limited request when (limited & leak_mask) == 0 */
	int ipv4_prefix, ipv6_prefix;
	uint64_t seed;
};

static size_t
round_up_pow2(size_t n)
{
	size_t p = WAYS;

	while (p < n)
		p <<= 1;
	return p;
}

static int
clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

struct ntp_rl *
ntp_rl_new(size_t n_clients, const struct ntp_rl_params *p, uint64_t seed)
{
	struct ntp_rl *rl = xcalloc(1, sizeof(*rl));
	size_t n = round_up_pow2(n_clients);

	rl->slots = xreallocarray(NULL, n, sizeof(*rl->slots));
	/*
	 * Touch every page now (explicit_bzero is never optimised into a lazy
	 * calloc): the table's memory is resident from the start, so a flood
	 * that fills it cannot make the daemon grow, and its cost shows at once.
	 */
	explicit_bzero(rl->slots, n * sizeof(*rl->slots));
	rl->mask = n - 1;
	rl->ipv4_prefix = clamp(p->ipv4_prefix, 0, 32);
	rl->ipv6_prefix = clamp(p->ipv6_prefix, 0, 128);
	rl->seed = seed;
	ntp_rl_set_rate(rl, p);
	return rl;
}

struct ntp_rl *
ntp_rl_free(struct ntp_rl *rl)
{
	if (rl != NULL) {
		free(rl->slots);
		free(rl);
	}
	return NULL;
}

void
ntp_rl_set_rate(struct ntp_rl *rl, const struct ntp_rl_params *p)
{
	rl->refill = ldexp(1.0, -p->interval);
	rl->burst = p->burst > 0 ? (float)p->burst : 1.0f;
	/* 2^15 at most, so the 16-bit counter wraps at a multiple of it. */
	rl->leak_mask = (uint16_t)((1u << (p->leak < 15 ? p->leak : 15)) - 1);
}

int
ntp_rl_same_keys(const struct ntp_rl *rl, const struct ntp_rl_params *p)
{
	return rl->ipv4_prefix == clamp(p->ipv4_prefix, 0, 32) &&
	       rl->ipv6_prefix == clamp(p->ipv6_prefix, 0, 128);
}

size_t
ntp_rl_capacity(const struct ntp_rl *rl)
{
	return rl->mask + 1;
}

size_t
ntp_rl_memory(const struct ntp_rl *rl)
{
	return sizeof(*rl) + (rl->mask + 1) * sizeof(*rl->slots);
}

size_t
ntp_rl_used(const struct ntp_rl *rl)
{
	return rl->used;
}

/* Keep the first BITS bits of the 16 octets of KEY, clear the rest. */
static void
mask_key(uint8_t key[16], int bits)
{
	int whole = bits / 8;

	if (whole >= 16)
		return;
	key[whole] &= (uint8_t)(0xff00u >> (bits % 8));
	memset(key + whole + 1, 0, (size_t)(15 - whole));
}

/* The client prefix of SA as 16 octets; 0 when the family is neither IPv4 nor IPv6. */
static int
client_key(const struct ntp_rl *rl, const struct sockaddr *sa, uint8_t key[16])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		mask_key(key, 96 + rl->ipv4_prefix);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		memcpy(key, a, 16);
		/* A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d, all in one /64. */
		mask_key(key, IN6_IS_ADDR_V4MAPPED(a) ? 96 + rl->ipv4_prefix : rl->ipv6_prefix);
		return 1;
	}
	return 0;
}

static size_t
hash_key(const struct ntp_rl *rl, const uint8_t key[16])
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	/* splitmix64's finaliser over the seeded key: cheap and well mixed. */
	return (size_t)mix64(mix64(a ^ rl->seed) ^ b);
}

/*
 * Which of two occupied slots a newcomer should take: a new client before a
 * returning one, then the one seen longer ago.
 */
static int
evict_before(const struct client *a, const struct client *b)
{
	if (a->returning != b->returning)
		return !a->returning;
	return a->last < b->last;
}

/* The record for KEY, or the slot to (re)use for it: a free one, else the cheapest to lose. */
static struct client *
find_slot(struct ntp_rl *rl, const uint8_t key[16], int *ret_found)
{
	size_t base = hash_key(rl, key) & rl->mask & ~(size_t)(WAYS - 1);
	struct client *victim = NULL;

	for (size_t i = 0; i < WAYS; i++) {
		struct client *c = &rl->slots[base + i];

		if (c->last == 0.0) {
			if (victim == NULL || victim->last != 0.0)
				victim = c;
			continue;
		}
		if (memcmp(c->key, key, 16) == 0) {
			*ret_found = 1;
			return c;
		}
		if (victim == NULL || (victim->last != 0.0 && evict_before(c, victim)))
			victim = c;
	}
	*ret_found = 0;
	return victim;
}

/* Refill C's bucket for the time since its last request. */
static void
refill(const struct ntp_rl *rl, struct client *c, double now)
{
	double elapsed = now - c->last;

	if (elapsed <= 0.0)
		return;
	c->tokens = (float)fmin(rl->burst, c->tokens + elapsed * rl->refill);
	if (elapsed >= RETURN_PAUSE)
		c->returning = 1;
}

enum ntp_rl_verdict
ntp_rl_check(struct ntp_rl *rl, const struct sockaddr *addr, double now)
{
	uint8_t key[16];
	struct client *c;
	int found;

	if (!client_key(rl, addr, key))
		return NTP_RL_DROP;
	/* 0 marks a free slot; a monotonic clock read at boot could in theory be 0. */
	if (now <= 0.0)
		now = 1e-9;
	c = find_slot(rl, key, &found);
	if (found) {
		refill(rl, c, now);
	} else {
		if (c->last == 0.0)
			rl->used++;
		*c = (struct client){.tokens = rl->burst};
		memcpy(c->key, key, 16);
	}
	c->last = now;
	if (c->tokens >= 1.0f) {
		c->tokens -= 1.0f;
		return NTP_RL_PASS;
	}
	/*
	 * Deterministic rather than chrony's random choice: exactly one in
	 * 2^leak, whatever the luck, and the forger of an address cannot see
	 * the counter (the answers go to the address it forges).
	 */
	return (c->limited++ & rl->leak_mask) == 0 ? NTP_RL_LEAK : NTP_RL_DROP;
}
