/*
 * io.c - UDP sockets with kernel receive timestamps and batched I/O.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "io.h"

/* Room for a timestamp and one packet-info control message of either family. */
#define CMSG_ROOM                                                                                  \
	(CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +            \
	 CMSG_SPACE(sizeof(struct in_pktinfo)))

struct ntp_io_batch {
	struct mmsghdr hdr[NTP_IO_BATCH];
	struct iovec iov[NTP_IO_BATCH];
	union {
		char buf[CMSG_ROOM];
		struct cmsghdr align;
	} control[NTP_IO_BATCH];
	struct ntp_io_msg msg[NTP_IO_BATCH];
};

struct ntp_io_batch *
ntp_io_batch_new(void)
{
	return xcalloc(1, sizeof(struct ntp_io_batch));
}

struct ntp_io_batch *
ntp_io_batch_free(struct ntp_io_batch *b)
{
	free(b);
	return NULL;
}

struct ntp_io_msg *
ntp_io_batch_msg(struct ntp_io_batch *b, size_t i)
{
	return &b->msg[i];
}

static int
set_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

static int
is_wildcard(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET)
		return ((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY);
	return addr->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)addr)->sin6_addr);
}

int
ntp_io_open(const struct sockaddr *addr, socklen_t len, char **ret_cause)
{
	char name[INET6_ADDRSTRLEN + 8];
	int fd, err, flags;

	ntp_io_format_addr(addr, name, sizeof(name));
	fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		*ret_cause = xasprintf("socket for %s: %s", name, strerror(err));
		return -err;
	}
	/* O_NONBLOCK through fcntl, not SOCK_NONBLOCK: works under clknetsim too. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto fail;
	if (set_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) < 0)
		goto fail;
	/* One socket per family: [::] must not swallow IPv4. */
	if (addr->sa_family == AF_INET6 && set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
		goto fail;
	/*
	 * Only a wildcard socket needs to learn (and reuse) the address each
	 * request came to; on a bound address the per-packet control message
	 * and the source route lookup it forces would be pure cost.
	 */
	if (is_wildcard(addr) &&
	    (addr->sa_family == AF_INET6 ? set_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
	                                 : set_opt(fd, IPPROTO_IP, IP_PKTINFO, 1)) < 0)
		goto fail;
	if (bind(fd, addr, len) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	*ret_cause = xasprintf("listen on %s: %s", name, strerror(err));
	close(fd);
	return -err;
}

static void
read_control(struct msghdr *mh, struct ntp_io_msg *m)
{
	m->have_kernel_ts = 0;
	m->local.family = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&m->kernel, CMSG_DATA(c), sizeof(m->kernel));
			m->have_kernel_ts = 1;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->local.family = AF_INET;
			m->local.ifindex = pi.ipi_ifindex;
			m->local.addr.v4 = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->local.family = AF_INET6;
			m->local.ifindex = (int)pi.ipi6_ifindex;
			m->local.addr.v6 = pi.ipi6_addr;
		}
	}
}

int
ntp_io_recv_batch(int fd, struct ntp_io_batch *b)
{
	int n;

	for (size_t i = 0; i < NTP_IO_BATCH; i++) {
		struct msghdr *mh = &b->hdr[i].msg_hdr;

		b->iov[i] = (struct iovec){b->msg[i].buf, sizeof(b->msg[i].buf)};
		*mh = (struct msghdr){
		    .msg_name = &b->msg[i].peer,
		    .msg_namelen = sizeof(b->msg[i].peer),
		    .msg_iov = &b->iov[i],
		    .msg_iovlen = 1,
		    .msg_control = b->control[i].buf,
		    .msg_controllen = sizeof(b->control[i].buf),
		};
	}
	n = recvmmsg(fd, b->hdr, NTP_IO_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct ntp_io_msg *m = &b->msg[i];
		struct msghdr *mh = &b->hdr[i].msg_hdr;

		m->len = b->hdr[i].msg_len;
		m->truncated = (mh->msg_flags & MSG_TRUNC) != 0;
		m->peer_len = mh->msg_namelen;
		read_control(mh, m);
	}
	return n;
}

/* Ask the kernel to send from the address the request came to. */
static size_t
write_source(const struct ntp_io_local *local, char *buf)
{
	struct msghdr mh = {.msg_control = buf, .msg_controllen = CMSG_ROOM};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (local->family == AF_INET) {
		struct in_pktinfo pi = {.ipi_spec_dst = local->addr.v4};

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (local->family == AF_INET6) {
		struct in6_pktinfo pi = {.ipi6_addr = local->addr.v6,
		                         .ipi6_ifindex = (unsigned)local->ifindex};

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

int
ntp_io_send_batch(int fd, struct ntp_io_batch *b, size_t n)
{
	size_t sent = 0;

	for (size_t i = 0; i < n; i++) {
		struct ntp_io_msg *m = &b->msg[i];
		size_t clen = write_source(&m->local, b->control[i].buf);

		b->iov[i] = (struct iovec){m->buf, m->len};
		b->hdr[i].msg_hdr = (struct msghdr){
		    .msg_name = &m->peer,
		    .msg_namelen = m->peer_len,
		    .msg_iov = &b->iov[i],
		    .msg_iovlen = 1,
		    .msg_control = clen ? b->control[i].buf : NULL,
		    .msg_controllen = clen,
		};
	}
	/* Retry the rest after a partial send; give up on the first hard error. */
	while (sent < n) {
		int r = sendmmsg(fd, b->hdr + sent, (unsigned)(n - sent), MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (sent > 0)
				break;
			return -errno;
		}
		if (r == 0)
			break;
		sent += (size_t)r;
	}
	return (int)sent;
}

void
ntp_io_format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, size, "(family %d)", sa->sa_family);
	}
}
