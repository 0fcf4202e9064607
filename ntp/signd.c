/*
 * signd.c - the ntp_signd client: a FIFO of requests over one connection.
 *
 * The queue is a ring in submission order, so the oldest request is at the
 * head and holds the earliest deadline: one timer for the head is enough.
 * A request is "sent" once encoded for the socket; "done" once answered or
 * given up, and popped when it reaches the head. Samba answers in order,
 * but replies are matched by packet id all the same, and a reply to a
 * request already given up is ignored.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/ts.h"
#include "../common/xmalloc.h"
#include "clock.h"
#include "signd.h"

#define LATENCY_MIN 10e-6
#define LATENCY_MAX 10e-3

struct slot {
	uint16_t id;
	int sent, done;
	double submitted; /* monotonic seconds */
	uint8_t key_id[4];
	uint8_t header[NTP_HEADER_LEN];
	struct ntp_signd_dest dest;
};

struct ntp_signd {
	struct event_base *base;
	char *path;
	ntp_signd_signed_fn done;
	void *arg;
	struct mssntp_counters *c;
	int fd; /* -1 while not connected */
	struct event *rev, *wev, *deadline_ev, *reconnect_ev;
	double backoff;
	int outage_logged;
	struct slot q[NTP_SIGND_QUEUE];
	size_t head, n;
	uint16_t next_id;
	uint8_t out[NTP_SIGND_QUEUE * NTP_SIGND_REQUEST_LEN];
	size_t out_len, out_off;
	uint8_t in[4 + NTP_SIGND_MAX_REPLY];
	size_t in_len;
	double latency;
};

/* ---- the wire format ---------------------------------------------------------------- */

/* The PDU's length and words are big-endian (NDR_BIG_ENDIAN in the IDL). */
static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

void
ntp_signd_encode(uint16_t packet_id, const uint8_t key_id[4], const uint8_t header[NTP_HEADER_LEN],
                 uint8_t ret[NTP_SIGND_REQUEST_LEN])
{
	put32(ret, NTP_SIGND_REQUEST_LEN - 4);
	put32(ret + 4, 0); /* version */
	put32(ret + 8, NTP_SIGND_SIGN_TO_CLIENT);
	ret[12] = (uint8_t)(packet_id >> 8);
	ret[13] = (uint8_t)packet_id;
	ret[14] = ret[15] = 0; /* NDR alignment */
	/* Little-endian in the IDL: the octets exactly as the client sent them. */
	memcpy(ret + 16, key_id, 4);
	memcpy(ret + 20, header, NTP_HEADER_LEN);
}

enum ntp_signd_parse
ntp_signd_parse(const uint8_t *buf, size_t len, struct ntp_signd_reply *ret, size_t *ret_used)
{
	uint32_t body, op;

	if (len < 4)
		return NTP_SIGND_NEED_MORE;
	body = get32(buf);
	if (body < 12 || body > NTP_SIGND_MAX_REPLY)
		return NTP_SIGND_BAD;
	if (len < 4 + (size_t)body)
		return NTP_SIGND_NEED_MORE;
	op = get32(buf + 8);
	if (get32(buf + 4) != 0)
		return NTP_SIGND_BAD;
	if (op == NTP_SIGND_SIGNING_SUCCESS) {
		if (body != 12 + MSSNTP_AUTH_LEN)
			return NTP_SIGND_BAD;
		memcpy(ret->packet, buf + 16, MSSNTP_AUTH_LEN);
	} else if (op != NTP_SIGND_SIGNING_FAILURE) {
		return NTP_SIGND_BAD;
	}
	ret->op = (enum ntp_signd_op)op;
	ret->packet_id = get32(buf + 12);
	*ret_used = 4 + (size_t)body;
	return NTP_SIGND_REPLY;
}

/* ---- the queue ----------------------------------------------------------------------- */

static struct slot *
slot_at(struct ntp_signd *s, size_t i)
{
	return &s->q[(s->head + i) % NTP_SIGND_QUEUE];
}

/* Give up on slot X for REASON (a counter), so its client gets nothing. */
static void
give_up(struct ntp_signd *s, struct slot *x, uint64_t *reason)
{
	x->done = 1;
	(*reason)++;
	s->c->sign_failed++;
}

/* Pop finished requests off the head and time the head's deadline. */
static void
settle(struct ntp_signd *s)
{
	while (s->n > 0 && slot_at(s, 0)->done) {
		s->head = (s->head + 1) % NTP_SIGND_QUEUE;
		s->n--;
	}
	if (s->n == 0) {
		event_del(s->deadline_ev);
		return;
	}
	loop_arm(s->deadline_ev,
	         slot_at(s, 0)->submitted + NTP_SIGND_DEADLINE - clk_monotonic_seconds());
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_signd *s = arg;
	double now = clk_monotonic_seconds();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < s->n; i++) {
		struct slot *x = slot_at(s, i);

		if (x->submitted + NTP_SIGND_DEADLINE > now)
			break;
		if (!x->done)
			give_up(s, x, &s->c->timed_out);
	}
	settle(s);
}

/* ---- the connection ------------------------------------------------------------------- */

static void try_connect(struct ntp_signd *s);
static void flush(struct ntp_signd *s);

static void
on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	try_connect(arg);
}

/*
 * The connection is gone (WHY). A request Samba was working on when it
 * closed the connection is one it refused (a disabled or non-trust
 * account): that one is given up; the others are sent again.
 */
static void
drop_connection(struct ntp_signd *s, const char *why, int refused)
{
	struct slot *first = NULL;

	loop_event_free(&s->rev);
	loop_event_free(&s->wev);
	close(s->fd);
	s->fd = -1;
	for (size_t i = 0; i < s->n; i++) {
		struct slot *x = slot_at(s, i);

		if (x->sent && !x->done && first == NULL)
			first = x;
		x->sent = 0;
	}
	if (refused && first != NULL) {
		give_up(s, first, &s->c->refused);
		log_debug("ntp_signd closed the connection while signing for key id 0x%08x (a "
		          "disabled or non-trust account); no answer",
		          mssntp_key_id(first->key_id));
	}
	s->out_len = s->out_off = 0;
	s->in_len = 0;
	if (!refused || first == NULL)
		log_warn("MS-SNTP: lost the connection to ntp_signd at %s: %s", s->path, why);
	settle(s);
	/* It was working a moment ago: try again at once; back-off starts if that fails. */
	loop_arm(s->reconnect_ev, 0);
}

static void
take_reply(struct ntp_signd *s, const struct ntp_signd_reply *r)
{
	for (size_t i = 0; i < s->n; i++) {
		struct slot *x = slot_at(s, i);
		double took;

		if (!x->sent || x->done || x->id != r->packet_id)
			continue;
		if (r->op == NTP_SIGND_SIGNING_FAILURE) {
			give_up(s, x, &s->c->unknown_rid);
		} else if (memcmp(r->packet, x->header, NTP_HEADER_LEN) != 0) {
			/* Not what we asked for: never send it. */
			x->done = 1;
			s->c->sign_failed++;
			log_warn("MS-SNTP: ntp_signd returned a packet other than the one to sign");
		} else {
			took = clk_monotonic_seconds() - x->submitted;
			s->latency += (took - s->latency) / 8;
			s->latency = s->latency < LATENCY_MIN   ? LATENCY_MIN
			             : s->latency > LATENCY_MAX ? LATENCY_MAX
			                                        : s->latency;
			x->done = 1;
			s->c->n_signed++;
			s->done(s->arg, &x->dest, r->packet);
		}
		break;
	}
	/* No match: an answer to a request given up (deadline) already. */
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_signd *s = arg;
	struct ntp_signd_reply r;
	size_t used;
	ssize_t got;

	(void)what;
	got = read(fd, s->in + s->in_len, sizeof(s->in) - s->in_len);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		drop_connection(s, got == 0 ? "closed by Samba" : strerror(errno), got == 0);
		return;
	}
	s->in_len += (size_t)got;
	for (;;) {
		enum ntp_signd_parse p = ntp_signd_parse(s->in, s->in_len, &r, &used);

		if (p == NTP_SIGND_NEED_MORE)
			break;
		if (p == NTP_SIGND_BAD) {
			drop_connection(s, "a reply that is not the ntp_signd protocol", 0);
			return;
		}
		take_reply(s, &r);
		memmove(s->in, s->in + used, s->in_len - used);
		s->in_len -= used;
	}
	settle(s);
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

/* Encode what is not sent yet and write as much as the socket takes. */
static void
flush(struct ntp_signd *s)
{
	ssize_t put;

	if (s->fd < 0)
		return;
	memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
	s->out_len -= s->out_off;
	s->out_off = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct slot *x = slot_at(s, i);

		if (x->sent || x->done)
			continue;
		ntp_signd_encode(x->id, x->key_id, x->header, s->out + s->out_len);
		s->out_len += NTP_SIGND_REQUEST_LEN;
		x->sent = 1;
	}
	if (s->out_len == 0)
		return;
	put = write(s->fd, s->out, s->out_len);
	if (put < 0 && errno != EAGAIN && errno != EINTR) {
		drop_connection(s, strerror(errno), 0);
		return;
	}
	s->out_off = put > 0 ? (size_t)put : 0;
	if (s->out_off < s->out_len && loop_watch(s->wev) < 0)
		drop_connection(s, "cannot watch the socket", 0);
}

static void
connect_failed(struct ntp_signd *s, const char *why)
{
	if (!s->outage_logged)
		log_warn("MS-SNTP: cannot connect to ntp_signd at %s: %s; signed requests go "
		         "unanswered until it can (retrying with back-off up to %.0f s)",
		         s->path, why, NTP_SIGND_BACKOFF_MAX);
	s->outage_logged = 1;
	loop_arm(s->reconnect_ev, s->backoff);
	s->backoff =
	    s->backoff * 2 < NTP_SIGND_BACKOFF_MAX ? s->backoff * 2 : NTP_SIGND_BACKOFF_MAX;
}

static void
try_connect(struct ntp_signd *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(s->path) >= sizeof(sa.sun_path)) {
		connect_failed(s, "the path is too long for a Unix socket");
		return;
	}
	strcpy(sa.sun_path, s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* A Unix connect never completes later: EAGAIN means Samba's backlog is full. */
		connect_failed(s, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	s->fd = fd;
	s->rev = loop_event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, s);
	s->wev = loop_event_new(s->base, fd, EV_WRITE, on_writable, s);
	if (loop_watch(s->rev) < 0) {
		drop_connection(s, "cannot watch the socket", 0);
		return;
	}
	if (s->outage_logged)
		log_info("MS-SNTP: connected to ntp_signd at %s; signing again", s->path);
	s->outage_logged = 0;
	s->backoff = NTP_SIGND_BACKOFF_MIN;
	flush(s);
}

/* ---- the interface --------------------------------------------------------------------- */

struct ntp_signd *
ntp_signd_new(struct event_base *base, const char *socket_path, ntp_signd_signed_fn done, void *arg,
              struct mssntp_counters *counters)
{
	struct ntp_signd *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->path = xstrdup(socket_path);
	s->done = done;
	s->arg = arg;
	s->c = counters;
	s->fd = -1;
	s->backoff = NTP_SIGND_BACKOFF_MIN;
	s->latency = 100e-6;
	s->deadline_ev = loop_timer_new(base, on_deadline, s);
	s->reconnect_ev = loop_timer_new(base, on_reconnect, s);
	try_connect(s);
	return s;
}

struct ntp_signd *
ntp_signd_free(struct ntp_signd *s)
{
	if (s == NULL)
		return NULL;
	loop_event_free(&s->rev);
	loop_event_free(&s->wev);
	loop_event_free(&s->deadline_ev);
	loop_event_free(&s->reconnect_ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

int
ntp_signd_submit(struct ntp_signd *s, const uint8_t key_id[4], const uint8_t header[NTP_HEADER_LEN],
                 const struct ntp_signd_dest *dest)
{
	struct slot *x;

	if (s->fd < 0) {
		s->c->signd_down++;
		s->c->sign_failed++;
		return -1;
	}
	if (s->n == NTP_SIGND_QUEUE) {
		s->c->queue_full++;
		s->c->sign_failed++;
		return -1;
	}
	x = slot_at(s, s->n++);
	*x = (struct slot){.id = s->next_id++, .submitted = clk_monotonic_seconds(), .dest = *dest};
	memcpy(x->key_id, key_id, 4);
	memcpy(x->header, header, NTP_HEADER_LEN);
	if (s->n == 1)
		settle(s);
	flush(s);
	return 0;
}

double
ntp_signd_latency(const struct ntp_signd *s)
{
	return s->latency;
}

int
ntp_signd_connected(const struct ntp_signd *s)
{
	return s->fd >= 0;
}
