/*
 * io.h - NTP sockets: kernel receive timestamps, batched receive and send.
 *
 * Thin and policy-free: it moves datagrams and their metadata; what to do
 * with them is the server's and the peers' business.
 */
#ifndef DOMTIMED_NTP_IO_H
#define DOMTIMED_NTP_IO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "packet.h"

/* Datagrams moved per system call. */
#define NTP_IO_BATCH 64

/* Where a datagram arrived: needed to answer from the same address when
 * the socket is bound to a wildcard address. */
struct ntp_io_local {
	int family; /* 0 when unknown */
	int ifindex;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

struct ntp_io_msg {
	uint8_t buf[NTP_MAX_PACKET_LEN];
	size_t len;
	int truncated; /* the datagram was longer than the buffer */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct ntp_io_local local;
	int have_kernel_ts;     /* SO_TIMESTAMPNS gave a receive time */
	struct timespec kernel; /* CLOCK_REALTIME at receipt, when have_kernel_ts */
};

/* A reusable set of buffers for one batched receive or send. */
struct ntp_io_batch;

struct ntp_io_batch *ntp_io_batch_new(void);
struct ntp_io_batch *ntp_io_batch_free(struct ntp_io_batch *b);
/* Message I of the batch (0 <= I < NTP_IO_BATCH). */
struct ntp_io_msg *ntp_io_batch_msg(struct ntp_io_batch *b, size_t i);

/*
 * Open a UDP socket bound to ADDR with receive timestamps and packet info
 * enabled, non-blocking. Returns the fd, or -errno with *RET_CAUSE set to an
 * allocated explanation.
 */
int ntp_io_open(const struct sockaddr *addr, socklen_t len, char **ret_cause);

/*
 * Receive up to NTP_IO_BATCH datagrams without blocking. Returns how many
 * (0 when none is waiting) or -errno.
 */
int ntp_io_recv_batch(int fd, struct ntp_io_batch *b);

/*
 * Send messages 0..N-1 of B, each to its peer from its local address.
 * Returns how many went out, or -errno if none did.
 */
int ntp_io_send_batch(int fd, struct ntp_io_batch *b, size_t n);

/* Format an address as "1.2.3.4:123" or "[::1]:123". */
void ntp_io_format_addr(const struct sockaddr *sa, char *buf, size_t size);

#endif
