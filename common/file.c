/*
 * file.c - replacing a small file so that a crash leaves the old or the new.
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

/* fsync the directory holding PATH, so that a rename in it is on disk. */
static int
sync_dir_of(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd, err = 0;

	if (slash == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0'; /* "/drift" lives in "/" */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return -err;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd, err = 0;

	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = errno;
		free(tmp);
		return -err;
	}
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		err = errno ? errno : EIO;
	if (close(fd) < 0 && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, path) < 0)
		err = errno;
	if (err != 0)
		(void)unlink(tmp);
	else
		err = -sync_dir_of(path);
	free(tmp);
	return -err;
}
