/*
 * server.c - answering NTP clients.
 *
 * Receive and send are batched (recvmmsg/sendmmsg): on a busy server most of
 * the cost of an answer is the system call, so one call per batch instead of
 * one per datagram is where the time goes. Each batch's transmit timestamps
 * are read once, just before the send call; with one request in flight (the
 * case where accuracy matters) that is as late as it can be.
 *
 * MS-SNTP requests on a DC take another path: their answer, dated ahead by
 * the time a signature takes, goes to ntp_signd and is sent on its own when
 * the signed packet comes back, so plain answers never wait for Samba.
 */
#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/ts.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "io.h"
#include "ratelimit.h"
#include "server.h"
#include "signd.h"

/* Batches handled per readiness event before other events get a turn. */
#define MAX_BATCHES_PER_EVENT 16

struct listener {
	int fd;
	struct event *ev;
	struct ntp_srv *srv;
	struct listener *next;
};

struct ntp_srv {
	struct event_base *base;
	struct clk *clock;
	const struct ntp_ref *ref;
	struct ntp_srv_options opts;
	struct ntp_rl *rl; /* NULL when rate limiting is off */
	int8_t precision;
	struct listener *listeners;
	struct ntp_io_batch *rx, *tx;
	struct ntp_srv_counters counters;
	struct ntp_signd *signd;        /* NULL unless this DC signs MS-SNTP replies */
	struct ntp_io_batch *signed_tx; /* one signed reply at a time */
	int extended_logged;
};

static const char *const drop_names[NTP_DROP_N] = {
    [NTP_DROP_SHORT] = "short",
    [NTP_DROP_OVERSIZED] = "oversized",
    [NTP_DROP_BAD_VERSION] = "bad_version",
    [NTP_DROP_BAD_EXTENSION_FIELD] = "bad_extension_field",
    [NTP_DROP_BAD_TRAILER] = "bad_trailer",
    [NTP_DROP_MODE_RESERVED] = "mode_0_reserved",
    [NTP_DROP_MODE_PASSIVE] = "mode_2_symmetric_passive",
    [NTP_DROP_MODE_SERVER] = "mode_4_server",
    [NTP_DROP_MODE_BROADCAST] = "mode_5_broadcast",
    [NTP_DROP_MODE_CONTROL] = "mode_6_control",
    [NTP_DROP_MODE_PRIVATE] = "mode_7_private",
    [NTP_DROP_AUTHENTICATED] = "authenticated",
    [NTP_DROP_UNKNOWN_KEY] = "unknown_key",
    [NTP_DROP_BAD_MAC] = "bad_mac",
    [NTP_DROP_NTS_BAD] = "nts_bad",
    [NTP_DROP_BAD_SOURCE] = "bad_source",
    [NTP_DROP_RATE_LIMITED] = "rate_limited",
    [NTP_DROP_NOT_SERVING] = "not_serving",
    [NTP_DROP_UNSYNCHRONISED] = "unsynchronised",
};

const char *
ntp_srv_drop_name(enum ntp_srv_drop drop)
{
	return ENUM_NAME(drop_names, drop);
}

/* ---- the pure core ----------------------------------------------------- */

static enum ntp_srv_drop
decode_drop(enum ntp_decode_status status)
{
	switch (status) {
	case NTP_DECODE_OVERSIZED:
		return NTP_DROP_OVERSIZED;
	case NTP_DECODE_BAD_VERSION:
		return NTP_DROP_BAD_VERSION;
	case NTP_DECODE_BAD_EF:
		return NTP_DROP_BAD_EXTENSION_FIELD;
	case NTP_DECODE_BAD_TRAILER:
		return NTP_DROP_BAD_TRAILER;
	case NTP_DECODE_SHORT:
	default:
		return NTP_DROP_SHORT;
	}
}

static const enum ntp_srv_drop mode_drop[8] = {
    [NTP_MODE_RESERVED] = NTP_DROP_MODE_RESERVED, [NTP_MODE_SYM_PASSIVE] = NTP_DROP_MODE_PASSIVE,
    [NTP_MODE_SERVER] = NTP_DROP_MODE_SERVER,     [NTP_MODE_BROADCAST] = NTP_DROP_MODE_BROADCAST,
    [NTP_MODE_CONTROL] = NTP_DROP_MODE_CONTROL,   [NTP_MODE_PRIVATE] = NTP_DROP_MODE_PRIVATE,
};

int
ntp_srv_accept(const uint8_t *req, size_t len, struct ntp_packet *ret_req,
               enum ntp_srv_drop *ret_drop)
{
	struct ntp_trailer trailer;
	enum ntp_decode_status status;

	status = ntp_decode(req, len, ret_req, &trailer);
	if (status != NTP_DECODE_OK) {
		*ret_drop = decode_drop(status);
		return 0;
	}
	if (ret_req->mode != NTP_MODE_CLIENT && ret_req->mode != NTP_MODE_SYM_ACTIVE) {
		*ret_drop = mode_drop[ret_req->mode];
		return 0;
	}
	/*
	 * A MAC means the client wants an authenticated answer (symmetric key
	 * or MS-SNTP). We hold no keys: an unsigned answer would be rejected
	 * by the client anyway, and MS-SNTP says a server that cannot sign
	 * must ignore such requests.
	 */
	if (trailer.mac_len > 0) {
		*ret_drop = NTP_DROP_AUTHENTICATED;
		return 0;
	}
	return 1;
}

void
ntp_srv_reply(const struct ntp_packet *req, const struct timespec *rx, const struct ntp_ref *ref,
              int8_t precision, struct ntp_packet *ret_reply)
{
	*ret_reply = (struct ntp_packet){
	    .version = req->version,
	    .mode = req->mode == NTP_MODE_SYM_ACTIVE ? NTP_MODE_SYM_PASSIVE : NTP_MODE_SERVER,
	    .poll = req->poll,
	    .precision = precision,
	    /* Copied verbatim: clients may use a random cookie (data minimisation). */
	    .origin = req->transmit,
	    .receive = ntp_ts_from_timespec(rx),
	};
	ntp_ref_fill(ref, rx, ldexp(1.0, precision), ret_reply);
}

void
ntp_srv_kod_rate(const struct ntp_packet *req, int8_t poll, struct ntp_packet *ret_reply)
{
	/* RFC 5905 7.4: leap 3, stratum 0, the kiss code in the refid. */
	*ret_reply = (struct ntp_packet){
	    .leap = NTP_LEAP_UNSYNC,
	    .version = req->version,
	    .mode = req->mode == NTP_MODE_SYM_ACTIVE ? NTP_MODE_SYM_PASSIVE : NTP_MODE_SERVER,
	    .stratum = 0,
	    .poll = req->poll > poll ? req->poll : poll,
	    .refid = ntp_refid_from_string("RATE"),
	    .origin = req->transmit,
	};
}

/* ---- I/O ----------------------------------------------------------------- */

static int
source_ok(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port != 0;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port != 0;
	return 0;
}

static enum ntp_rl_verdict
rate_verdict(struct ntp_srv *srv, const struct sockaddr_storage *peer)
{
	if (srv->rl == NULL)
		return NTP_RL_PASS;
	return ntp_rl_check(srv->rl, (const struct sockaddr *)peer, clk_monotonic_seconds());
}

/* How an answer is to be signed once its header is final. */
struct reply_auth {
	const struct ntp_key *key; /* RFC 8573 */
	int nts;                   /* RFC 8915, with NTS */
	struct nts_srv_reply nts_reply;
};

/*
 * The NTS fields of an accepted request: 1 to answer (*A says how), or 0
 * with *RET_DROP set. A cookie we cannot open gets a KoD NTSN in *REPLY.
 */
static int
nts_request(struct ntp_srv *srv, const struct ntp_io_msg *m, const struct ntp_packet *req,
            struct reply_auth *a, struct ntp_packet *reply, enum ntp_srv_drop *ret_drop)
{
	if (srv->opts.nts == NULL || a->key != NULL)
		return 1;
	switch (nts_srv_check_request(srv->opts.nts, m->buf, m->len, &a->nts_reply)) {
	case NTS_SRV_PLAIN:
		return 1;
	case NTS_SRV_NAK:
		a->nts = 1;
		*reply = (struct ntp_packet){
		    .leap = NTP_LEAP_UNSYNC,
		    .version = req->version,
		    .mode = NTP_MODE_SERVER,
		    .refid = ntp_refid_from_string("NTSN"),
		    .origin = req->transmit,
		};
		return 1;
	case NTS_SRV_OK:
		a->nts = 1;
		/* Never answer longer than asked: fewer cookies if the placeholders were short. */
		while (NTP_HEADER_LEN + nts_srv_reply_len(&a->nts_reply) > m->len &&
		       a->nts_reply.n_cookies > 1)
			a->nts_reply.n_cookies--;
		return 1;
	case NTS_SRV_DROP:
		break;
	}
	*ret_drop = NTP_DROP_NTS_BAD;
	return 0;
}

/*
 * A request ntp_srv_accept refused for its MAC: answerable when the MAC
 * verifies with one of our keys (*RET_KEY), else *RET_DROP says why not.
 */
static int
keyed_request(const struct ntp_srv *srv, const struct ntp_io_msg *m, struct ntp_packet *req,
              const struct ntp_key **ret_key, enum ntp_srv_drop *ret_drop)
{
	struct ntp_trailer trailer;

	if (srv->opts.keys == NULL || ntp_decode(m->buf, m->len, req, &trailer) != NTP_DECODE_OK)
		return 0;
	switch (ntp_keys_check(srv->opts.keys, m->buf, m->len, trailer.mac_len, ret_key)) {
	case NTP_AUTH_OK:
		return 1;
	case NTP_AUTH_UNKNOWN_KEY:
		*ret_drop = NTP_DROP_UNKNOWN_KEY;
		return 0;
	case NTP_AUTH_NONE:
	case NTP_AUTH_BAD_MAC:
		break;
	}
	*ret_drop = NTP_DROP_BAD_MAC;
	return 0;
}

/*
 * An authenticated request reached a DC: is it one ntp_signd can sign? The
 * extended form is counted and explained once: Samba signs only MD5.
 */
static enum mssntp_form
signable(struct ntp_srv *srv, const struct ntp_io_msg *m)
{
	enum mssntp_form form = mssntp_form_of(m->buf, m->len);
	char who[INET6_ADDRSTRLEN + 8];

	if (form != MSSNTP_EXTENDED)
		return form;
	srv->counters.mssntp.extended_unsupported++;
	if (!srv->extended_logged) {
		ntp_io_format_addr((const struct sockaddr *)&m->peer, who, sizeof(who));
		log_warn("MS-SNTP: %s sent an extended (120-octet, HMAC-SHA512) request, which "
		         "Samba's ntp_signd cannot sign (it signs only the 68-octet MD5 form), so "
		         "it gets no answer. Windows sends that form when the DC's functional "
		         "level is 2012 or higher: keep the Samba DCs at 2008 R2 (Samba's "
		         "default), or point such clients at a Windows DC. Counted in "
		         "mssntp.extended_unsupported; logged once.",
		         who);
		srv->extended_logged = 1;
	}
	return form;
}

/*
 * Hand the answer REPLY to M over for signing, dated ahead by the time a
 * signature takes now: the packet leaves that much later than it is made,
 * and its transmit timestamp is only honest if it says when it leaves.
 */
static void
submit_for_signing(struct ntp_srv *srv, int fd, const struct ntp_io_msg *m,
                   struct ntp_packet *reply)
{
	struct ntp_signd_dest dest = {
	    .fd = fd, .peer = m->peer, .peer_len = m->peer_len, .local = m->local};
	uint8_t header[NTP_HEADER_LEN];
	struct timespec tx;

	clk_now(srv->clock, &tx);
	ts_add(&tx, ntp_signd_latency(srv->signd));
	reply->transmit = ntp_ts_from_timespec(&tx);
	ntp_encode(reply, header);
	(void)ntp_signd_submit(srv->signd, m->buf + NTP_HEADER_LEN, header, &dest);
}

/* ntp_signd signed an answer: send it as it is. */
static void
send_signed(void *arg, const struct ntp_signd_dest *dest, const uint8_t packet[MSSNTP_AUTH_LEN])
{
	struct ntp_srv *srv = arg;
	struct ntp_io_msg *t = ntp_io_batch_msg(srv->signed_tx, 0);
	int sent;

	memcpy(t->buf, packet, MSSNTP_AUTH_LEN);
	t->len = MSSNTP_AUTH_LEN;
	t->peer = dest->peer;
	t->peer_len = dest->peer_len;
	t->local = dest->local;
	sent = ntp_io_send_batch(dest->fd, srv->signed_tx, 1);
	if (sent == 1) {
		srv->counters.answered++;
	} else {
		srv->counters.send_errors++;
		log_debug("send: %s", strerror(sent < 0 ? -sent : EAGAIN));
	}
}

/*
 * Turn received message M into an answer in T. Returns 1 when T should be
 * sent (its transmit timestamp still to be stamped).
 */
static int
handle_request(struct ntp_srv *srv, int fd, const struct ntp_io_msg *m, struct ntp_io_msg *t,
               struct ntp_packet *reply, struct reply_auth *a)
{
	struct ntp_srv_counters *c = &srv->counters;
	enum mssntp_form form = MSSNTP_NOT;
	struct ntp_packet req;
	enum ntp_srv_drop drop;
	enum ntp_rl_verdict verdict;
	struct timespec rx;

	if (m->have_kernel_ts) {
		clk_from_kernel(srv->clock, &m->kernel, &rx);
	} else {
		clk_now(srv->clock, &rx);
		c->no_kernel_timestamp++;
	}
	if (m->truncated) {
		c->dropped[NTP_DROP_OVERSIZED]++;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	if (!ntp_srv_accept(m->buf, m->len, &req, &drop)) {
		/*
		 * AUTHENTICATED comes after the decode and the mode checks: REQ is
		 * filled. On a DC an MS-SNTP request (its checksum all zeros) is
		 * signed by ntp_signd; any other MAC is a symmetric key's.
		 */
		if (drop == NTP_DROP_AUTHENTICATED && srv->signd != NULL)
			form = signable(srv, m);
		if (form != MSSNTP_AUTH && (drop != NTP_DROP_AUTHENTICATED ||
		                            !keyed_request(srv, m, &req, &a->key, &drop))) {
			c->dropped[drop]++;
			return 0;
		}
	}
	if (form != MSSNTP_AUTH && !nts_request(srv, m, &req, a, reply, &drop)) {
		c->dropped[drop]++;
		return 0;
	}
	if (!source_ok(&m->peer)) {
		c->dropped[NTP_DROP_BAD_SOURCE]++;
		return 0;
	}
	if (srv->opts.serve != NTP_SERVE_ALWAYS) {
		drop = srv->opts.serve == NTP_SERVE_NEVER ? NTP_DROP_NOT_SERVING
		       : !ntp_ref_synchronised(srv->ref)  ? NTP_DROP_UNSYNCHRONISED
		                                          : NTP_DROP_N;
		if (drop != NTP_DROP_N) {
			c->dropped[drop]++;
			return 0;
		}
	}
	verdict = rate_verdict(srv, &m->peer);
	if (verdict != NTP_RL_PASS)
		c->rate_limited++;
	/* A KoD would be an unsigned answer to a signed request: drop it instead. */
	if (verdict == NTP_RL_DROP ||
	    (verdict == NTP_RL_LEAK && srv->opts.ratelimit_kod && form == MSSNTP_AUTH)) {
		c->dropped[NTP_DROP_RATE_LIMITED]++;
		return 0;
	}
	if (a->nts && a->nts_reply.nak) {
		/* The KoD NTSN is in REPLY already. */
	} else if (verdict == NTP_RL_LEAK && srv->opts.ratelimit_kod) {
		ntp_srv_kod_rate(&req, (int8_t)srv->opts.rl.interval, reply);
		c->kod_rate++;
	} else {
		ntp_srv_reply(&req, &rx, srv->ref, srv->precision, reply);
	}
	if (form == MSSNTP_AUTH) {
		submit_for_signing(srv, fd, m, reply);
		return 0;
	}
	t->peer = m->peer;
	t->peer_len = m->peer_len;
	t->local = m->local;
	t->len = NTP_HEADER_LEN + (a->key != NULL ? 4 + ntp_key_digest_len(a->key) : 0) +
	         (a->nts ? nts_srv_reply_len(&a->nts_reply) : 0);
	return 1;
}

/* The answers in REPLIES, stamped, signed or sealed as AUTH[i] says, and sent. */
static void
stamp_and_send(struct ntp_srv *srv, int fd, struct ntp_packet *replies,
               const struct reply_auth *auth, size_t n)
{
	struct timespec now;
	uint64_t tx;
	int sent;

	clk_now(srv->clock, &now);
	tx = ntp_ts_from_timespec(&now);
	for (size_t i = 0; i < n; i++) {
		struct ntp_io_msg *t = ntp_io_batch_msg(srv->tx, i);

		replies[i].transmit = tx;
		ntp_encode(&replies[i], t->buf);
		/* Cannot fail: the buffer holds any MAC; a library failure sends a bad MAC. */
		if (auth[i].key != NULL)
			(void)ntp_key_sign(auth[i].key, t->buf, NTP_HEADER_LEN, sizeof(t->buf));
		/* A library failure leaves the fields short: the client refuses the answer. */
		if (auth[i].nts)
			(void)nts_srv_seal(srv->opts.nts, &auth[i].nts_reply, t->buf,
			                   sizeof(t->buf));
	}
	sent = ntp_io_send_batch(fd, srv->tx, n);
	if (sent < 0) {
		srv->counters.send_errors += n;
		log_debug("send: %s", strerror(-sent));
		return;
	}
	srv->counters.answered += (uint64_t)sent;
	srv->counters.send_errors += n - (size_t)sent;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct ntp_srv *srv = l->srv;
	struct ntp_packet replies[NTP_IO_BATCH];
	struct reply_auth auth[NTP_IO_BATCH];

	(void)what;
	for (int round = 0; round < MAX_BATCHES_PER_EVENT; round++) {
		int n = ntp_io_recv_batch(fd, srv->rx);
		size_t n_out = 0;

		if (n < 0) {
			/* Errors on a UDP socket (e.g. ICMP reports) are not fatal. */
			srv->counters.receive_errors++;
			log_debug("receive: %s", strerror(-n));
			return;
		}
		if (n == 0)
			return;
		srv->counters.received += (uint64_t)n;
		for (int i = 0; i < n; i++)
			n_out += (size_t)handle_request(
			    srv, fd, ntp_io_batch_msg(srv->rx, (size_t)i),
			    ntp_io_batch_msg(srv->tx, n_out), &replies[n_out], &auth[n_out]);
		if (n_out > 0)
			stamp_and_send(srv, fd, replies, auth, n_out);
		if (n < NTP_IO_BATCH)
			return;
	}
}

/* ---- lifecycle ------------------------------------------------------------ */

static uint64_t
random_seed(void)
{
	uint64_t seed = 0;

	/* A weak seed only makes the client table easier to crowd, never unsafe. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	return seed;
}

/* Can the running client table serve OPTS as it is? */
static int
table_fits(const struct ntp_srv *srv, const struct ntp_srv_options *opts)
{
	return srv->rl != NULL && srv->opts.client_table_size == opts->client_table_size &&
	       ntp_rl_same_keys(srv->rl, &opts->rl);
}

void
ntp_srv_set_options(struct ntp_srv *srv, const struct ntp_srv_options *opts)
{
	/*
	 * Called on every reload and directory read: the table survives them,
	 * or each would hand every limited client a fresh burst.
	 */
	if (!opts->ratelimit) {
		srv->rl = ntp_rl_free(srv->rl);
	} else if (table_fits(srv, opts)) {
		ntp_rl_set_rate(srv->rl, &opts->rl);
	} else {
		if (srv->rl != NULL)
			log_info(
			    "rate limiting: client table rebuilt (its size or prefixes changed)");
		ntp_rl_free(srv->rl);
		srv->rl = ntp_rl_new(opts->client_table_size, &opts->rl, random_seed());
	}
	srv->opts = *opts;
}

struct ntp_srv *
ntp_srv_new(struct event_base *base, struct clk *clock, const struct ntp_ref *ref,
            const struct ntp_srv_options *opts)
{
	struct ntp_srv *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->clock = clock;
	srv->ref = ref;
	srv->precision = clk_measure_precision(clock);
	srv->rx = ntp_io_batch_new();
	srv->tx = ntp_io_batch_new();
	ntp_srv_set_options(srv, opts);
	return srv;
}

int
ntp_srv_listen(struct ntp_srv *srv, const struct sockaddr *addr, socklen_t len, char **ret_cause)
{
	struct listener *l;
	int fd = ntp_io_open(addr, len, ret_cause);

	if (fd < 0)
		return fd;
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->srv = srv;
	l->ev = loop_event_new(srv->base, fd, EV_READ | EV_PERSIST, on_readable, l);
	if (loop_watch(l->ev) < 0) {
		*ret_cause = xasprintf("cannot watch the NTP socket");
		loop_event_free(&l->ev);
		close(fd);
		free(l);
		return -ENOMEM;
	}
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

struct ntp_srv *
ntp_srv_free(struct ntp_srv *srv)
{
	struct listener *l, *next;

	if (srv == NULL)
		return NULL;
	for (l = srv->listeners; l != NULL; l = next) {
		next = l->next;
		loop_event_free(&l->ev);
		close(l->fd);
		free(l);
	}
	ntp_signd_free(srv->signd);
	ntp_io_batch_free(srv->signed_tx);
	ntp_rl_free(srv->rl);
	ntp_io_batch_free(srv->rx);
	ntp_io_batch_free(srv->tx);
	free(srv);
	return NULL;
}

void
ntp_srv_enable_mssntp(struct ntp_srv *srv, const char *signd_socket)
{
	if (srv->signd != NULL)
		return;
	srv->signed_tx = ntp_io_batch_new();
	srv->signd =
	    ntp_signd_new(srv->base, signd_socket, send_signed, srv, &srv->counters.mssntp);
	log_info("MS-SNTP: signing replies to Windows clients through %s", signd_socket);
}

struct mssntp_counters *
ntp_srv_mssntp(struct ntp_srv *srv)
{
	return &srv->counters.mssntp;
}

int
ntp_srv_signd_connected(const struct ntp_srv *srv)
{
	return srv->signd != NULL ? ntp_signd_connected(srv->signd) : -1;
}

const struct ntp_srv_counters *
ntp_srv_counters(const struct ntp_srv *srv)
{
	return &srv->counters;
}

int8_t
ntp_srv_precision(const struct ntp_srv *srv)
{
	return srv->precision;
}

size_t
ntp_srv_client_table_memory(const struct ntp_srv *srv)
{
	return srv->rl != NULL ? ntp_rl_memory(srv->rl) : 0;
}
