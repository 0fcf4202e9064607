/*
 * signd.h - a client of Samba's ntp_signd socket: it signs MS-SNTP replies
 * with the account passwords only the DC holds.
 *
 * One persistent non-blocking connection to <ntp signd socket directory>/
 * socket, a bounded FIFO of requests each with a deadline, requests
 * pipelined and replies matched by packet id; a lost connection is
 * reconnected with back-off and the requests not yet answered are sent
 * again. Nothing here ever blocks the event loop: a request that cannot be
 * signed in time is dropped and counted, so its client gets no answer
 * (never an unsigned one).
 *
 * The protocol (source4/librpc/idl/ntp_signd.idl): each PDU is a 4-octet
 * big-endian length and a body. Request body: version 0, op
 * SIGN_TO_CLIENT, 16-bit packet id and two octets of padding (all
 * big-endian), the key id as the client sent it (little-endian), the
 * 48-octet reply to sign. Reply body: version, op (SIGNING_SUCCESS or
 * SIGNING_FAILURE), 32-bit packet id, then on success the 68-octet signed
 * packet. Samba answers an unknown RID with SIGNING_FAILURE and a disabled
 * or non-trust account by closing the connection.
 */
#ifndef DOMTIMED_NTP_SIGND_H
#define DOMTIMED_NTP_SIGND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "io.h"
#include "mssntp.h"

struct event_base;
struct ntp_signd;

/* Requests waiting for a signature, at most. */
#define NTP_SIGND_QUEUE 128
/* Seconds a request may wait for its signature; later, the answer would be stale. */
#define NTP_SIGND_DEADLINE 0.5
/* Reconnect back-off, seconds: first and longest wait after a failed connect. */
#define NTP_SIGND_BACKOFF_MIN 0.05
#define NTP_SIGND_BACKOFF_MAX 5.0

#define NTP_SIGND_REQUEST_LEN (4 + 16 + NTP_HEADER_LEN)
#define NTP_SIGND_MAX_REPLY 1024 /* longest reply body we accept */

enum ntp_signd_op {
	NTP_SIGND_SIGN_TO_CLIENT = 0,
	NTP_SIGND_SIGNING_SUCCESS = 3,
	NTP_SIGND_SIGNING_FAILURE = 4,
};

/* Where a signed reply goes: the listening socket and the client's addresses. */
struct ntp_signd_dest {
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct ntp_io_local local;
};

/* Called with each signed 68-octet packet, ready to send to DEST. */
typedef void (*ntp_signd_signed_fn)(void *arg, const struct ntp_signd_dest *dest,
                                    const uint8_t packet[MSSNTP_AUTH_LEN]);

/*
 * A client of the socket at SOCKET_PATH, connecting now and counting into
 * *COUNTERS (borrowed). DONE runs on BASE's loop with each signed packet.
 */
struct ntp_signd *ntp_signd_new(struct event_base *base, const char *socket_path,
                                ntp_signd_signed_fn done, void *arg,
                                struct mssntp_counters *counters);
struct ntp_signd *ntp_signd_free(struct ntp_signd *s);

/*
 * Ask for HEADER (the 48-octet reply) to be signed with the key KEY_ID
 * (the four octets as the client sent them). 0 when queued, -1 when it
 * cannot be (no connection, queue full): counted, and nothing will be sent.
 */
int ntp_signd_submit(struct ntp_signd *s, const uint8_t key_id[4],
                     const uint8_t header[NTP_HEADER_LEN], const struct ntp_signd_dest *dest);

/*
 * How long a signature takes now, from submission to the signed packet
 * (seconds, a running average clamped to [10 us, 10 ms]): the server dates
 * its transmit timestamp this much ahead.
 */
double ntp_signd_latency(const struct ntp_signd *s);
/* Connected to ntp_signd right now. */
int ntp_signd_connected(const struct ntp_signd *s);

/* ---- the wire format, pure, for tests and fuzzing ---------------------------------- */

/* Encode a SIGN_TO_CLIENT request PDU (length prefix included). */
void ntp_signd_encode(uint16_t packet_id, const uint8_t key_id[4],
                      const uint8_t header[NTP_HEADER_LEN], uint8_t ret[NTP_SIGND_REQUEST_LEN]);

struct ntp_signd_reply {
	enum ntp_signd_op op; /* SIGNING_SUCCESS or SIGNING_FAILURE */
	uint32_t packet_id;
	uint8_t packet[MSSNTP_AUTH_LEN]; /* SIGNING_SUCCESS only */
};

enum ntp_signd_parse {
	NTP_SIGND_NEED_MORE, /* BUF holds no complete PDU yet */
	NTP_SIGND_REPLY,     /* *RET filled, *RET_USED octets consumed */
	NTP_SIGND_BAD,       /* not the protocol: drop the connection */
};

/* Parse the first PDU of the LEN octets at BUF. */
enum ntp_signd_parse ntp_signd_parse(const uint8_t *buf, size_t len, struct ntp_signd_reply *ret,
                                     size_t *ret_used);

#endif
