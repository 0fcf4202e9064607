/*
 * strmap.c - a string-keyed open-addressing hash map (see strmap.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "ascii.h"
#include "strmap.h"
#include "util.h"
#include "xmalloc.h"

#define MIN_SLOTS 16

struct slot {
	char *key; /* NULL: empty */
	uint64_t hash;
	int value;
};

struct strmap {
	struct slot *slots;
	size_t n_slots; /* a power of two, at most half full */
	size_t n;
	uint64_t seed;
	int nocase;
};

static unsigned char
fold(const struct strmap *m, unsigned char c)
{
	return m->nocase ? (unsigned char)ascii_lower((char)c) : c;
}

/* FNV-1a over the (folded) octets, started from the map's seed, then mixed. */
static uint64_t
hash(const struct strmap *m, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ m->seed;

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ fold(m, *p)) * 0x100000001b3ULL;
	return mix64(h);
}

static int
same(const struct strmap *m, const char *a, const char *b)
{
	return (m->nocase ? strcasecmp(a, b) : strcmp(a, b)) == 0;
}

/* The slot holding KEY, or the empty one where it would go. */
static struct slot *
probe(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->n_slots - 1);

	while (m->slots[i].key != NULL && !(m->slots[i].hash == h && same(m, m->slots[i].key, key)))
		i = (i + 1) & (m->n_slots - 1);
	return &m->slots[i];
}

struct strmap *
strmap_new(int nocase)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->nocase = nocase;
	m->n_slots = MIN_SLOTS;
	m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
	/* Without getrandom() the map still works; only the defence is weaker. */
	if (getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) != (ssize_t)sizeof(m->seed))
		m->seed = (uint64_t)(uintptr_t)m;
	return m;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_slots; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

int
strmap_get(const struct strmap *m, const char *key)
{
	const struct slot *s = probe(m, key, hash(m, key));

	return s->key != NULL ? s->value : -1;
}

static void
grow(struct strmap *m)
{
	struct slot *old = m->slots;
	size_t n_old = m->n_slots;

	m->n_slots *= 2;
	m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
	for (size_t i = 0; i < n_old; i++)
		if (old[i].key != NULL)
			*probe(m, old[i].key, old[i].hash) = old[i];
	free(old);
}

int
strmap_add(struct strmap *m, const char *key, int value)
{
	uint64_t h = hash(m, key);
	struct slot *s = probe(m, key, h);

	if (s->key != NULL)
		return s->value;
	*s = (struct slot){.key = xstrdup(key), .hash = h, .value = value};
	if (++m->n * 2 > m->n_slots)
		grow(m);
	return value;
}

size_t
strmap_size(const struct strmap *m)
{
	return m->n;
}
