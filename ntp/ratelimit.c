/*
 * ratelimit.c - token buckets in a bounded, set-associative client table.
 */
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "ratelimit.h"

/* Slots one address may live in; small, so a lookup touches one cache line or two. */
#define WAYS 8

struct client {
	uint8_t addr[16]; /* IPv4 as v4-mapped IPv6 */
	double last;      /* monotonic seconds of the last request; 0 = free slot */
	float tokens;
};

struct ntp_rl {
	struct client *slots;
	size_t mask; /* number of slots - 1 */
	size_t used;
	double refill; /* tokens per second */
	float burst;
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

struct ntp_rl *
ntp_rl_new(size_t n_clients, int interval, unsigned burst, uint64_t seed)
{
	struct ntp_rl *rl = xcalloc(1, sizeof(*rl));
	size_t n = round_up_pow2(n_clients);

	rl->slots = xcalloc(n, sizeof(*rl->slots));
	rl->mask = n - 1;
	rl->refill = ldexp(1.0, -interval);
	rl->burst = burst > 0 ? (float)burst : 1.0f;
	rl->seed = seed;
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

/* Addresses as 16 octets; 0 when the family is neither IPv4 nor IPv6. */
static int
address_key(const struct sockaddr *sa, uint8_t key[16])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 1;
	}
	return 0;
}

/* splitmix64's finaliser over the seeded key: cheap and well mixed. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t
hash_key(const struct ntp_rl *rl, const uint8_t key[16])
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	return (size_t)mix(mix(a ^ rl->seed) ^ b);
}

/* The record for KEY, or a slot to (re)use for it: a free one, else the stalest. */
static struct client *
find_slot(struct ntp_rl *rl, const uint8_t key[16], int *ret_found)
{
	size_t base = hash_key(rl, key) & rl->mask & ~(size_t)(WAYS - 1);
	struct client *victim = NULL;

	for (size_t i = 0; i < WAYS; i++) {
		struct client *c = &rl->slots[base + i];

		if (c->last != 0.0 && memcmp(c->addr, key, 16) == 0) {
			*ret_found = 1;
			return c;
		}
		if (victim == NULL || c->last < victim->last)
			victim = c;
	}
	*ret_found = 0;
	return victim;
}

int
ntp_rl_allow(struct ntp_rl *rl, const struct sockaddr *addr, double now)
{
	uint8_t key[16];
	struct client *c;
	int found;

	if (!address_key(addr, key))
		return 0;
	/* 0 marks a free slot; a monotonic clock read at boot could in theory be 0. */
	if (now <= 0.0)
		now = 1e-9;
	c = find_slot(rl, key, &found);
	if (!found) {
		if (c->last == 0.0)
			rl->used++;
		memcpy(c->addr, key, 16);
		c->tokens = rl->burst;
	} else {
		double elapsed = now - c->last;

		if (elapsed > 0.0)
			c->tokens = (float)fmin(rl->burst, c->tokens + elapsed * rl->refill);
	}
	c->last = now;
	if (c->tokens < 1.0f)
		return 0;
	c->tokens -= 1.0f;
	return 1;
}
