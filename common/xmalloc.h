/*
 * xmalloc.h - allocation that cannot fail from the caller's point of view.
 *
 * Out of memory, or an n * size that overflows, aborts the process with a
 * message: a time daemon cannot do anything useful in that state, and call
 * sites stay free of error paths that would never be tested.
 */
#ifndef DOMTIMED_XMALLOC_H
#define DOMTIMED_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Allocate and format; the result is owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
