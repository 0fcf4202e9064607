/*
 * server.h - the NTP server: answers clients from the reference state.
 *
 * Answers mode 3 (client) with mode 4, and mode 1 (symmetric active, what
 * W32Time sends) with mode 2 without creating an association. Everything
 * else is dropped and counted by reason; nothing else is ever sent, and an
 * answer is never longer than its request (48 octets always).
 */
#ifndef DOMTIMED_NTP_SERVER_H
#define DOMTIMED_NTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clock.h"
#include "mssntp.h"
#include "ratelimit.h"
#include "reference.h"

struct event_base;
struct ntp_srv;

/* Why a datagram got no answer. */
enum ntp_srv_drop {
	NTP_DROP_SHORT,
	NTP_DROP_OVERSIZED,
	NTP_DROP_BAD_VERSION,
	NTP_DROP_BAD_EXTENSION_FIELD,
	NTP_DROP_BAD_TRAILER,
	NTP_DROP_MODE_RESERVED,  /* mode 0 */
	NTP_DROP_MODE_PASSIVE,   /* mode 2: no association to answer for */
	NTP_DROP_MODE_SERVER,    /* mode 4: we asked nothing on this socket */
	NTP_DROP_MODE_BROADCAST, /* mode 5 */
	NTP_DROP_MODE_CONTROL,   /* mode 6: never answered (amplification) */
	NTP_DROP_MODE_PRIVATE,   /* mode 7: never answered (amplification) */
	NTP_DROP_AUTHENTICATED,  /* carries a MAC we cannot check or sign */
	NTP_DROP_BAD_SOURCE,     /* source port 0 or unknown family */
	NTP_DROP_RATE_LIMITED,   /* over its rate, and not the one in 2^leak answered */
	NTP_DROP_NOT_SERVING,    /* this machine does not serve time (announce flags) */
	NTP_DROP_UNSYNCHRONISED, /* serves only while synchronised, and is not */
	NTP_DROP_N
};

struct ntp_srv_counters {
	uint64_t received;
	uint64_t answered;     /* including KoD */
	uint64_t kod_rate;     /* KoD RATE sent */
	uint64_t rate_limited; /* requests over the limit (answered or dropped) */
	uint64_t dropped[NTP_DROP_N];
	uint64_t no_kernel_timestamp; /* receive time read after the fact */
	uint64_t receive_errors;
	uint64_t send_errors;
	struct mssntp_counters mssntp;
};

/* When to answer (W32Time AnnounceFlags 0x1 / 0x2 / neither). */
enum ntp_srv_serve {
	NTP_SERVE_ALWAYS,       /* unsynchronised: answer with leap 3, stratum 0 */
	NTP_SERVE_SYNCHRONISED, /* unsynchronised: stay silent */
	NTP_SERVE_NEVER,
};

struct ntp_srv_options {
	enum ntp_srv_serve serve;
	int ratelimit; /* limit per client at all */
	struct ntp_rl_params rl;
	int ratelimit_kod; /* the limited requests answered get KoD RATE, not time */
	size_t client_table_size;
};

/*
 * A server on BASE answering from CLOCK and *REF. Both are borrowed and must
 * outlive the server; *REF is read afresh for every answer.
 */
struct ntp_srv *ntp_srv_new(struct event_base *base, struct clk *clock, const struct ntp_ref *ref,
                            const struct ntp_srv_options *opts);
struct ntp_srv *ntp_srv_free(struct ntp_srv *srv);

/* Listen on ADDR. Returns 0 or -errno with an allocated *RET_CAUSE. */
int ntp_srv_listen(struct ntp_srv *srv, const struct sockaddr *addr, socklen_t len,
                   char **ret_cause);

/*
 * This machine is a DC: sign MS-SNTP replies through Samba's ntp_signd at
 * SIGND_SOCKET (see signd.h). Without this, authenticated requests are
 * dropped unanswered, as MS-SNTP wants of a server that is not a DC.
 */
void ntp_srv_enable_mssntp(struct ntp_srv *srv, const char *signd_socket);
/* The MS-SNTP counters, which the client side (mssntp.h) counts into too. */
struct mssntp_counters *ntp_srv_mssntp(struct ntp_srv *srv);
/* 1 connected to ntp_signd, 0 not, -1 not signing at all. */
int ntp_srv_signd_connected(const struct ntp_srv *srv);

/*
 * Replace the options. The client table and what it remembers are kept
 * unless its size or its prefixes change, or rate limiting is turned off.
 */
void ntp_srv_set_options(struct ntp_srv *srv, const struct ntp_srv_options *opts);

const struct ntp_srv_counters *ntp_srv_counters(const struct ntp_srv *srv);
const char *ntp_srv_drop_name(enum ntp_srv_drop drop);
/* Precision (log2 s) advertised in answers, measured when the server started. */
int8_t ntp_srv_precision(const struct ntp_srv *srv);
/* Bytes held by the client table (0 with rate limiting off). */
size_t ntp_srv_client_table_memory(const struct ntp_srv *srv);

/*
 * The pure core, exposed for tests and fuzzing.
 *
 * ntp_srv_accept: is the datagram REQ of LEN octets a request we answer?
 * Returns 1 with *RET_REQ filled, else 0 with *RET_DROP set.
 */
int ntp_srv_accept(const uint8_t *req, size_t len, struct ntp_packet *ret_req,
                   enum ntp_srv_drop *ret_drop);
/*
 * The answer to REQ received at RX (our clock's time). The transmit timestamp
 * is left 0 for the caller to stamp as late as possible.
 */
void ntp_srv_reply(const struct ntp_packet *req, const struct timespec *rx,
                   const struct ntp_ref *ref, int8_t precision, struct ntp_packet *ret_reply);
/* A KoD RATE asking the client of REQ to poll no more often than 2^POLL s. */
void ntp_srv_kod_rate(const struct ntp_packet *req, int8_t poll, struct ntp_packet *ret_reply);

#endif
