/*
 * strmap.h - a hash map from strings to non-negative ints, for lookups by
 * name or DN in data read from the network (the forest builder).
 *
 * Open addressing with a per-map random seed: keys come from a directory
 * that may be hostile, and a seed it cannot know keeps it from making every
 * key collide. Keys are copied; exact or ASCII case-insensitive.
 */
#ifndef DOMTIMED_COMMON_STRMAP_H
#define DOMTIMED_COMMON_STRMAP_H

#include <stddef.h>

struct strmap;

/* An empty map; NOCASE: keys compare ASCII case-insensitively. */
struct strmap *strmap_new(int nocase);
/* NULL is fine. */
void strmap_free(struct strmap *m);
/* KEY's value, or -1 when KEY is not there. */
int strmap_get(const struct strmap *m, const char *key);
/* Give KEY (copied) VALUE (>= 0) unless KEY is there already; the value KEY has after. */
int strmap_add(struct strmap *m, const char *key, int value);
size_t strmap_size(const struct strmap *m);

#endif
