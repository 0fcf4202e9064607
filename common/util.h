/*
 * util.h - small helpers that every module may use.
 */
#ifndef DOMTIMED_UTIL_H
#define DOMTIMED_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Elements in the array A (an array, never a pointer). */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The name of enum value V in NAMES, a table of N names indexed by the enum
 * (written with designated initialisers, so no name depends on a position);
 * "unknown" when V is outside the table or has no name there.
 */
static inline const char *
enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] != NULL ? names[v] : "unknown";
}

#define ENUM_NAME(names, v) enum_name((names), ARRAY_LEN(names), (unsigned)(v))

/* splitmix64's finaliser: every bit of X spread over the result; for seeded hash tables. */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif
