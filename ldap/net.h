/*
 * net.h - bounded, cancellable socket waits for the discovery worker.
 *
 * Every wait in ldap/ ends at a deadline (monotonic seconds, dir_now()) or
 * when the worker is told to stop (*CANCEL set by another thread), whichever
 * comes first, so neither a hung DC nor a hung KDC can hold the worker, and
 * dir_discovery_free() does not wait for a whole timeout to pass. Waits are
 * done in slices of at most DIR_NET_SLICE seconds to notice a cancel.
 */
#ifndef DOMTIMED_LDAP_NET_H
#define DOMTIMED_LDAP_NET_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>

#define DIR_NET_SLICE 0.2

/* Monotonic time in seconds. */
double dir_now(void);
/*
 * Whether the worker was asked to stop (CANCEL, which may be NULL, is set)
 * or the calling thread's discovery deadline passed: every wait below ends
 * then, so one deadline bounds a whole discovery however slowly a server
 * trickles its answers.
 */
int dir_cancelled(const atomic_int *cancel);
/* Set the calling thread's discovery deadline (monotonic seconds; 0: none). */
void dir_set_deadline(double deadline);
/* Whether the calling thread's discovery deadline is set and passed. */
int dir_deadline_passed(void);

/*
 * Wait until FD is ready for EVENTS (POLLIN/POLLOUT). Returns 0, -ETIMEDOUT
 * at DEADLINE, -ECANCELED, or -errno (a socket error, e.g. -ECONNREFUSED).
 */
int dir_wait_fd(int fd, short events, double deadline, const atomic_int *cancel);

/*
 * A connected stream socket to SA (blocking mode once connected, close on
 * exec), or -errno: -ETIMEDOUT when the handshake does not finish by
 * DEADLINE.
 */
int dir_tcp_connect(const struct sockaddr *sa, socklen_t len, double deadline,
                    const atomic_int *cancel);

/* Send/receive all LEN bytes by DEADLINE; 0 or -errno (-EPIPE on EOF). */
int dir_send_all(int fd, const void *buf, size_t len, double deadline, const atomic_int *cancel);
int dir_recv_all(int fd, void *buf, size_t len, double deadline, const atomic_int *cancel);

/* "192.0.2.1", "2001:db8::1" (no port) of SA into BUF; "?" when unknown. */
const char *dir_addr_string(const struct sockaddr *sa, char *buf, size_t len);
/* The same with the port: "192.0.2.1:389", "[2001:db8::1]:389". */
const char *dir_addr_port_string(const struct sockaddr *sa, char *buf, size_t len);

/* A sentence for a negative errno from the functions above ("timed out", ...). */
const char *dir_net_error(int err);

#endif
