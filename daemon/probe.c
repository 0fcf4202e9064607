/*
 * probe.c - one NTP query, measured with kernel timestamps.
 *
 * Reads the system clock through the clock module (read only) and sends the
 * same data-minimised request the daemon does, from a fresh random port.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "../ntp/srvspec.h"
#include "probe.h"

static int
open_connected(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receive the answer and its kernel timestamp (our clock: the system clock). */
static ssize_t
receive(int fd, uint8_t *buf, size_t size, struct clk *clock, struct timespec *t4)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, size};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = control.buf,
	                    .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(fd, &mh, 0);

	clk_now(clock, t4);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
			memcpy(t4, CMSG_DATA(c), sizeof(*t4));
	return n;
}

void
probe_query(const struct addrinfo *ai, struct clk *clock, struct probe_result *s)
{
	struct ntp_packet req = {.version = 4, .mode = NTP_MODE_CLIENT};
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct timespec t1, t4;
	double server_time;
	struct pollfd pfd;
	int fd = open_connected(ai);
	ssize_t n;

	*s = (struct probe_result){0};
	if (fd < 0) {
		snprintf(s->error, sizeof(s->error), "socket: %s", strerror(errno));
		return;
	}
	arc4random_buf(&req.transmit, sizeof(req.transmit));
	ntp_encode(&req, buf);
	clk_now(clock, &t1);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	if (send(fd, buf, NTP_HEADER_LEN, 0) != NTP_HEADER_LEN || poll(&pfd, 1, 1000) <= 0) {
		snprintf(s->error, sizeof(s->error), "no answer within 1 s");
		goto out;
	}
	n = receive(fd, buf, sizeof(buf), clock, &t4);
	if (n < 0) {
		snprintf(s->error, sizeof(s->error), "%s", strerror(errno));
		goto out;
	}
	if (ntp_decode(buf, (size_t)n, &s->reply, NULL) != NTP_DECODE_OK ||
	    s->reply.origin != req.transmit) {
		snprintf(s->error, sizeof(s->error), "invalid answer");
		goto out;
	}
	ntp_onwire(&t1, &s->reply, &t4, &s->offset, &s->delay, &server_time);
	s->ok = 1;
out:
	close(fd);
}

int
probe_resolve(const char *target, struct addrinfo **ret, char **ret_cause)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM};
	struct ntp_srvspec *spec = NULL;
	char *cause = NULL, port[8];
	int n = ntp_srvspec_parse(target, &spec, &cause), r;

	if (n != 1) {
		*ret_cause = cause != NULL ? cause : xstrdup("expected one HOST[:PORT]");
		free(spec);
		return -1;
	}
	snprintf(port, sizeof(port), "%d", spec->port);
	r = getaddrinfo(spec->host, port, &hints, ret);
	if (r != 0)
		*ret_cause = xasprintf("%s: %s", spec->host, gai_strerror(r));
	free(spec);
	return r != 0 ? -1 : 0;
}
