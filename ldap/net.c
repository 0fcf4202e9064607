/*
 * net.c - bounded, cancellable socket waits for the discovery worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

double
dir_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/*
 * The deadline of the discovery this thread runs (see dir_set_deadline()).
 * Thread-local, because the worker is the only thread that waits here and
 * every wait already asks dir_cancelled(): no signature has to carry it.
 */
static _Thread_local double thread_deadline;

void
dir_set_deadline(double deadline)
{
	thread_deadline = deadline;
}

int
dir_deadline_passed(void)
{
	return thread_deadline > 0 && dir_now() >= thread_deadline;
}

int
dir_cancelled(const atomic_int *cancel)
{
	return (cancel != NULL && atomic_load(cancel) != 0) || dir_deadline_passed();
}

int
dir_wait_fd(int fd, short events, double deadline, const atomic_int *cancel)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		double left = deadline - dir_now();
		int r;

		if (dir_cancelled(cancel))
			return -ECANCELED;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)ceil(fmin(left, DIR_NET_SLICE) * 1000));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL) && !(p.revents & events)) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				return -errno;
			return err != 0 ? -err : -EPIPE;
		}
		return 0;
	}
}

static int
set_blocking(int fd, int blocking)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

int
dir_tcp_connect(const struct sockaddr *sa, socklen_t len, double deadline, const atomic_int *cancel)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r, err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -errno;
	r = set_blocking(fd, 0);
	if (r == 0 && connect(fd, sa, len) < 0) {
		r = errno == EINPROGRESS ? 0 : -errno;
		if (r == 0)
			r = dir_wait_fd(fd, POLLOUT, deadline, cancel);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			r = -errno;
		if (r == 0 && err != 0)
			r = -err;
	}
	/* libldap and our own exchanges read with poll() first: blocking is fine. */
	if (r == 0)
		r = set_blocking(fd, 1);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int
dir_send_all(int fd, const void *buf, size_t len, double deadline, const atomic_int *cancel)
{
	const char *p = buf;

	while (len > 0) {
		int r = dir_wait_fd(fd, POLLOUT, deadline, cancel);
		ssize_t n;

		if (r < 0)
			return r;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
dir_recv_all(int fd, void *buf, size_t len, double deadline, const atomic_int *cancel)
{
	char *p = buf;

	while (len > 0) {
		int r = dir_wait_fd(fd, POLLIN, deadline, cancel);
		ssize_t n;

		if (r < 0)
			return r;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const char *
dir_addr_string(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

const char *
dir_addr_port_string(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned port = 0;

	dir_addr_string(sa, a, sizeof(a));
	if (sa->sa_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	else if (sa->sa_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	snprintf(buf, len, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

const char *
dir_net_error(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timed out";
	case -ECANCELED:
		return dir_deadline_passed() ? "stopped: discovery_timeout passed"
		                             : "cancelled (shutting down)";
	case -EPIPE:
		return "connection closed by the peer";
	default:
		return strerror(-err);
	}
}
