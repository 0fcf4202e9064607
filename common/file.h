/*
 * file.h - replacing a small file so that a crash leaves the old or the new.
 */
#ifndef DOMTIMED_FILE_H
#define DOMTIMED_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace PATH with the LEN octets at DATA, mode MODE: written to a fresh
 * temporary beside it (O_EXCL, never a file or link someone put there
 * first), flushed, renamed over PATH, and the directory flushed too.
 * 0, or -errno.
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
