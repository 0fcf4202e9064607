/*
 * util.h - small helpers that every module may use.
 */
#ifndef DOMTIMED_UTIL_H
#define DOMTIMED_UTIL_H

#include <stddef.h>

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

#endif
