/*
 * nts_server.c - NTS-KE server, cookies and the NTS fields of answers.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/file.h"
#include "../common/log.h"
#include "../common/loop.h"
#include "../common/xmalloc.h"
#include "nts_server.h"
#include "packet.h"

/* Cookie: key id, nonce, SIV, the two session keys sealed. */
#define COOKIE_LEN (4 + NTS_NONCE_LEN + NTS_TAG_LEN + 2 * NTS_KEY_LEN)
#define COOKIE_EF_LEN (4 + COOKIE_LEN)
#define ROTATE_INTERVAL 86400
#define MAX_CONNS 64
#define CONN_TIMEOUT 5.0
#define EXPORTER_LABEL "EXPORTER-network-time-security"

struct cookie_key {
	uint32_t id; /* 0: none */
	uint8_t key[NTS_KEY_LEN];
	int64_t created;
};

struct listener {
	int fd;
	struct event *ev;
	struct listener *next;
};

struct nts_srv {
	struct event_base *base;
	SSL_CTX *ctx;
	int ntp_port;
	char *keys_file;
	struct cookie_key keys[2]; /* current, previous */
	struct event *rotate_ev;
	struct listener *listeners;
	struct conn *conns; /* key exchanges under way */
	unsigned n_conns;
	struct nts_srv_counters counters;
};

static void
put32(uint8_t *p, uint32_t v)
{
	nts_put16(p, v >> 16);
	nts_put16(p + 2, v & 0xffff);
}

/* ---- cookie keys ------------------------------------------------------------------- */

static int
write_keys(const struct nts_srv *s, char **ret_cause)
{
	/* Two lines of "ID HEXKEY CREATED". */
	char text[2 * (10 + 1 + 2 * NTS_KEY_LEN + 1 + 20 + 1) + 1];
	size_t n = 0;
	int r;

	for (int i = 0; i < 2; i++) {
		if (s->keys[i].id == 0)
			continue;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%" PRIu32 " ", s->keys[i].id);
		for (int j = 0; j < NTS_KEY_LEN; j++)
			n +=
			    (size_t)snprintf(text + n, sizeof(text) - n, "%02x", s->keys[i].key[j]);
		n += (size_t)snprintf(text + n, sizeof(text) - n, " %" PRId64 "\n",
		                      s->keys[i].created);
	}
	r = file_write_atomic(s->keys_file, text, n, 0600);
	if (r < 0) {
		*ret_cause = xasprintf("cannot write the NTS cookie keys to %s: %s", s->keys_file,
		                       strerror(-r));
		return -1;
	}
	return 0;
}

static void
new_key(struct nts_srv *s)
{
	s->keys[1] = s->keys[0];
	do
		arc4random_buf(&s->keys[0].id, sizeof(s->keys[0].id));
	while (s->keys[0].id == 0 || s->keys[0].id == s->keys[1].id);
	arc4random_buf(s->keys[0].key, NTS_KEY_LEN);
	s->keys[0].created = (int64_t)time(NULL);
}

/* Read the file; 0 when it held a current key (and maybe a previous one). */
static int
read_keys(struct nts_srv *s)
{
	FILE *f = fopen(s->keys_file, "re");
	char hex[2 * NTS_KEY_LEN + 1];
	int n = 0;

	if (f == NULL)
		return -1;
	for (; n < 2; n++) {
		struct cookie_key *k = &s->keys[n];

		if (fscanf(f, "%" SCNu32 " %64s %" SCNd64, &k->id, hex, &k->created) != 3 ||
		    strlen(hex) != 2 * NTS_KEY_LEN || k->id == 0)
			break;
		for (int j = 0; j < NTS_KEY_LEN; j++)
			if (sscanf(hex + 2 * j, "%2hhx", &k->key[j]) != 1)
				k->id = 0;
		if (k->id == 0)
			break;
	}
	fclose(f);
	explicit_bzero(hex, sizeof(hex));
	if (n < 2)
		memset(&s->keys[n], 0, sizeof(s->keys[n]));
	return n >= 1 ? 0 : -1;
}

static double
rotate_in(const struct nts_srv *s)
{
	int64_t left = s->keys[0].created + ROTATE_INTERVAL - (int64_t)time(NULL);

	return left > 0 ? (double)left : 0.0;
}

static void
on_rotate(evutil_socket_t fd, short what, void *arg)
{
	struct nts_srv *s = arg;
	char *cause = NULL;

	(void)fd;
	(void)what;
	new_key(s);
	if (write_keys(s, &cause) < 0) {
		log_warn("%s: cookies handed out now will not survive a restart", cause);
		free(cause);
	} else {
		log_info("NTS cookie key rotated (id %" PRIu32 ")", s->keys[0].id);
	}
	loop_arm(s->rotate_ev, rotate_in(s));
}

/* ---- cookies ----------------------------------------------------------------------- */

static int
make_cookie(const struct nts_srv *s, const uint8_t c2s[NTS_KEY_LEN], const uint8_t s2c[NTS_KEY_LEN],
            uint8_t out[COOKIE_LEN])
{
	uint8_t keys[2 * NTS_KEY_LEN];
	int r;

	put32(out, s->keys[0].id);
	arc4random_buf(out + 4, NTS_NONCE_LEN);
	memcpy(keys, c2s, NTS_KEY_LEN);
	memcpy(keys + NTS_KEY_LEN, s2c, NTS_KEY_LEN);
	r = nts_siv_encrypt(s->keys[0].key, out, 4, out + 4, NTS_NONCE_LEN, keys, sizeof(keys),
	                    out + 4 + NTS_NONCE_LEN);
	explicit_bzero(keys, sizeof(keys));
	return r;
}

static int
open_cookie(const struct nts_srv *s, const uint8_t *c, size_t len, uint8_t c2s[NTS_KEY_LEN],
            uint8_t s2c[NTS_KEY_LEN])
{
	uint8_t keys[2 * NTS_KEY_LEN];
	uint32_t id;

	if (len < COOKIE_LEN)
		return -1;
	id = (uint32_t)nts_get16(c) << 16 | nts_get16(c + 2);
	for (int i = 0; i < 2; i++) {
		if (s->keys[i].id == 0 || s->keys[i].id != id)
			continue;
		if (nts_siv_decrypt(s->keys[i].key, c, 4, c + 4, NTS_NONCE_LEN,
		                    c + 4 + NTS_NONCE_LEN, NTS_TAG_LEN + sizeof(keys), keys) < 0)
			return -1;
		memcpy(c2s, keys, NTS_KEY_LEN);
		memcpy(s2c, keys + NTS_KEY_LEN, NTS_KEY_LEN);
		explicit_bzero(keys, sizeof(keys));
		return 0;
	}
	return -1;
}

/* ---- NTP requests and answers -------------------------------------------------------- */

struct request_fields {
	const uint8_t *uid, *cookie, *auth;
	size_t cookie_len, auth_len, auth_at;
	unsigned placeholders;
};

static int
find_fields(const uint8_t *buf, size_t end, struct request_fields *f)
{
	for (size_t pos = NTP_HEADER_LEN; pos < end && f->auth == NULL;) {
		unsigned type = nts_get16(buf + pos);
		size_t ef_len = nts_get16(buf + pos + 2);

		if (type == NTS_EF_UID && ef_len == 4 + NTS_UID_LEN && f->uid == NULL)
			f->uid = buf + pos + 4;
		else if (type == NTS_EF_COOKIE && f->cookie == NULL) {
			f->cookie = buf + pos + 4;
			f->cookie_len = ef_len - 4;
		} else if (type == NTS_EF_PLACEHOLDER)
			f->placeholders++;
		else if (type == NTS_EF_AUTH) {
			f->auth = buf + pos;
			f->auth_len = ef_len;
			f->auth_at = pos;
		}
		pos += ef_len;
	}
	return f->uid != NULL || f->cookie != NULL || f->auth != NULL;
}

static int
authentic(const uint8_t *buf, const struct request_fields *f, const uint8_t c2s[NTS_KEY_LEN])
{
	size_t nl, cl;
	uint8_t *pt;
	int r;

	if (f->auth_len < 8)
		return 0;
	nl = nts_get16(f->auth + 4);
	cl = nts_get16(f->auth + 6);
	if (nl < 16 || cl < NTS_TAG_LEN || 8 + nts_pad4(nl) + nts_pad4(cl) > f->auth_len)
		return 0;
	pt = xmalloc(cl);
	r = nts_siv_decrypt(c2s, buf, f->auth_at, f->auth + 8, nl, f->auth + 8 + nts_pad4(nl), cl,
	                    pt) == 0;
	free(pt);
	return r;
}

enum nts_srv_check
nts_srv_check_request(struct nts_srv *s, const uint8_t *buf, size_t len, struct nts_srv_reply *ret)
{
	struct request_fields f = {0};
	struct ntp_packet pkt;
	struct ntp_trailer t;

	memset(ret, 0, sizeof(*ret));
	if (ntp_decode(buf, len, &pkt, &t) != NTP_DECODE_OK || t.n_ef == 0 ||
	    !find_fields(buf, NTP_HEADER_LEN + t.ef_len, &f))
		return NTS_SRV_PLAIN;
	s->counters.requests++;
	if (f.uid == NULL || f.cookie == NULL || f.auth == NULL) {
		s->counters.bad_auth++;
		return NTS_SRV_DROP;
	}
	memcpy(ret->uid, f.uid, NTS_UID_LEN);
	if (open_cookie(s, f.cookie, f.cookie_len, ret->c2s, ret->s2c) < 0) {
		s->counters.naks++;
		ret->nak = 1;
		return NTS_SRV_NAK;
	}
	if (!authentic(buf, &f, ret->c2s)) {
		explicit_bzero(ret, sizeof(*ret));
		s->counters.bad_auth++;
		return NTS_SRV_DROP;
	}
	ret->n_cookies =
	    1 + f.placeholders < NTS_MAX_COOKIES ? 1 + f.placeholders : NTS_MAX_COOKIES;
	return NTS_SRV_OK;
}

size_t
nts_srv_reply_len(const struct nts_srv_reply *r)
{
	return 4 + NTS_UID_LEN +
	       (r->nak ? 0 : 8 + NTS_NONCE_LEN + NTS_TAG_LEN + r->n_cookies * COOKIE_EF_LEN);
}

size_t
nts_srv_seal(struct nts_srv *s, const struct nts_srv_reply *r, uint8_t *buf, size_t size)
{
	size_t len = NTP_HEADER_LEN, ct_len = NTS_TAG_LEN + r->n_cookies * COOKIE_EF_LEN;
	uint8_t pt[NTS_MAX_COOKIES * COOKIE_EF_LEN], *a;
	int ok = 1;

	if (len + nts_srv_reply_len(r) > size)
		return 0;
	nts_put16(buf + len, NTS_EF_UID);
	nts_put16(buf + len + 2, 4 + NTS_UID_LEN);
	memcpy(buf + len + 4, r->uid, NTS_UID_LEN);
	len += 4 + NTS_UID_LEN;
	if (r->nak)
		return len;
	for (unsigned i = 0; i < r->n_cookies && ok; i++) {
		nts_put16(pt + i * COOKIE_EF_LEN, NTS_EF_COOKIE);
		nts_put16(pt + i * COOKIE_EF_LEN + 2, COOKIE_EF_LEN);
		ok = make_cookie(s, r->c2s, r->s2c, pt + i * COOKIE_EF_LEN + 4) == 0;
	}
	a = buf + len;
	nts_put16(a, NTS_EF_AUTH);
	nts_put16(a + 2, 8 + NTS_NONCE_LEN + ct_len);
	nts_put16(a + 4, NTS_NONCE_LEN);
	nts_put16(a + 6, ct_len);
	arc4random_buf(a + 8, NTS_NONCE_LEN);
	ok = ok && nts_siv_encrypt(r->s2c, buf, len, a + 8, NTS_NONCE_LEN, pt,
	                           r->n_cookies * COOKIE_EF_LEN, a + 8 + NTS_NONCE_LEN) == 0;
	explicit_bzero(pt, sizeof(pt));
	return ok ? len + 8 + NTS_NONCE_LEN + ct_len : 0;
}

/* ---- the key exchange ----------------------------------------------------------------- */

enum conn_phase { C_HANDSHAKE, C_READ, C_WRITE };

struct conn {
	struct nts_srv *srv;
	struct conn *prev, *next;
	int fd;
	SSL *ssl;
	enum conn_phase phase;
	struct event *read_ev, *write_ev, *timer_ev;
	uint8_t in[1024];
	size_t in_len;
	uint8_t out[64 + NTS_MAX_COOKIES * (4 + COOKIE_LEN)];
	size_t out_len;
	int refused; /* answered with an error record */
};

static void
conn_close(struct conn *c, int ok)
{
	if (ok)
		c->srv->counters.ke_ok++;
	else
		c->srv->counters.ke_failed++;
	c->srv->n_conns--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	loop_event_free(&c->read_ev);
	loop_event_free(&c->write_ev);
	loop_event_free(&c->timer_ev);
	if (ok)
		(void)SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	close(c->fd);
	explicit_bzero(c, sizeof(*c));
	free(c);
	ERR_clear_error();
}

static int
build_response(struct conn *c)
{
	static const uint8_t ntpv4[2] = {0, NTS_KE_NTPV4}, aead[2] = {0, NTS_AEAD_AES_SIV_CMAC_256};
	uint8_t context[5] = {0, NTS_KE_NTPV4, 0, NTS_AEAD_AES_SIV_CMAC_256, 0};
	uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN], cookie[COOKIE_LEN], port[2];
	uint8_t *p = c->out;
	int ok =
	    SSL_export_keying_material(c->ssl, c2s, sizeof(c2s), EXPORTER_LABEL,
	                               strlen(EXPORTER_LABEL), context, sizeof(context), 1) == 1;

	context[4] = 1;
	ok = ok &&
	     SSL_export_keying_material(c->ssl, s2c, sizeof(s2c), EXPORTER_LABEL,
	                                strlen(EXPORTER_LABEL), context, sizeof(context), 1) == 1;
	p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_NEXT_PROTOCOL, ntpv4, 2);
	p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_AEAD, aead, 2);
	for (int i = 0; i < NTS_MAX_COOKIES && ok; i++) {
		ok = make_cookie(c->srv, c2s, s2c, cookie) == 0;
		p = nts_ke_put_record(p, NTS_KE_COOKIE, cookie, COOKIE_LEN);
	}
	if (c->srv->ntp_port != 123) {
		nts_put16(port, (size_t)c->srv->ntp_port);
		p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_PORT_RECORD, port, 2);
	}
	p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_END, NULL, 0);
	c->out_len = (size_t)(p - c->out);
	explicit_bzero(c2s, sizeof(c2s));
	explicit_bzero(s2c, sizeof(s2c));
	return ok ? 0 : -1;
}

static void
build_error(struct conn *c, uint16_t code)
{
	uint8_t body[2];
	uint8_t *p;

	nts_put16(body, code);
	c->refused = 1;
	p = nts_ke_put_record(c->out, NTS_KE_CRITICAL | NTS_KE_ERROR, body, 2);
	p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_END, NULL, 0);
	c->out_len = (size_t)(p - c->out);
}

/* Wait for what SSL wants after R; 0, or -1 when the connection is to go. */
static int
conn_wait(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return loop_watch(c->read_ev);
	case SSL_ERROR_WANT_WRITE:
		return loop_watch(c->write_ev);
	default:
		return -1;
	}
}

/* One step of the connection; 1 done, 0 waiting, -1 failed. */
static int
conn_step(struct conn *c)
{
	uint16_t code;
	int r;

	switch (c->phase) {
	case C_HANDSHAKE:
		r = SSL_accept(c->ssl);
		if (r != 1)
			return conn_wait(c, r);
		c->phase = C_READ;
		/* fall through */
	case C_READ:
		r = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof(c->in) - c->in_len));
		if (r <= 0)
			return conn_wait(c, r);
		c->in_len += (size_t)r;
		switch (nts_ke_parse_request(c->in, c->in_len, &code)) {
		case 0:
			if (c->in_len == sizeof(c->in))
				return -1;
			return conn_step(c);
		case 1:
			if (build_response(c) < 0)
				build_error(c, 2);
			break;
		default:
			build_error(c, code);
		}
		c->phase = C_WRITE;
		/* fall through */
	case C_WRITE:
		r = SSL_write(c->ssl, c->out, (int)c->out_len);
		if (r <= 0)
			return conn_wait(c, r);
		return 1;
	}
	return -1;
}

static void
on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int r;

	(void)fd;
	r = what & EV_TIMEOUT ? -1 : conn_step(c);
	if (r != 0)
		conn_close(c, r > 0 && !c->refused);
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct nts_srv *s = arg;
	int cfd;

	(void)what;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c;

		if (s->n_conns >= MAX_CONNS) {
			close(cfd);
			s->counters.ke_failed++;
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = s;
		c->fd = cfd;
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		c->ssl = SSL_new(s->ctx);
		s->n_conns++;
		c->read_ev = loop_event_new(s->base, cfd, EV_READ, on_conn, c);
		c->write_ev = loop_event_new(s->base, cfd, EV_WRITE, on_conn, c);
		c->timer_ev = loop_timer_new(s->base, on_conn, c);
		loop_arm(c->timer_ev, CONN_TIMEOUT);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, cfd) != 1 || conn_step(c) < 0)
			conn_close(c, 0);
	}
}

static int
select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
            unsigned inlen, void *arg)
{
	static const unsigned char ours[] = "\x07ntske/1";

	(void)ssl;
	(void)arg;
	return SSL_select_next_proto((unsigned char **)out, outlen, ours, sizeof(ours) - 1, in,
	                             inlen) == OPENSSL_NPN_NEGOTIATED
	           ? SSL_TLSEXT_ERR_OK
	           : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static SSL_CTX *
server_ctx(const char *cert, const char *key, char **ret_cause)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char buf[160];

		ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
		*ret_cause = xasprintf("NTS server certificate %s / key %s: %s", cert, key, buf);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	return ctx;
}

int
nts_srv_check_files(const char *cert, const char *key, char **ret_cause)
{
	SSL_CTX *ctx = server_ctx(cert, key, ret_cause);

	SSL_CTX_free(ctx);
	return ctx != NULL ? 0 : -1;
}

struct nts_srv *
nts_srv_new(struct event_base *base, const char *cert, const char *key, const char *keys_file,
            int ntp_port, char **ret_cause)
{
	struct nts_srv *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->ntp_port = ntp_port;
	s->keys_file = xstrdup(keys_file);
	s->ctx = server_ctx(cert, key, ret_cause);
	if (s->ctx == NULL)
		return nts_srv_free(s);
	if (read_keys(s) < 0 || rotate_in(s) == 0.0) {
		new_key(s);
		if (write_keys(s, ret_cause) < 0)
			return nts_srv_free(s);
	}
	s->rotate_ev = loop_timer_new(base, on_rotate, s);
	loop_arm(s->rotate_ev, rotate_in(s));
	return s;
}

int
nts_srv_listen(struct nts_srv *s, const struct sockaddr *addr, socklen_t len, char **ret_cause)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
	struct listener *l;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(fd, addr, len) < 0 || listen(fd, 64) < 0) {
		*ret_cause = xasprintf("NTS-KE socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->ev = loop_event_new(s->base, fd, EV_READ | EV_PERSIST, on_accept, s);
	l->next = s->listeners;
	s->listeners = l;
	if (loop_watch(l->ev) < 0) {
		*ret_cause = xstrdup("cannot watch the NTS-KE socket");
		return -1;
	}
	return 0;
}

const struct nts_srv_counters *
nts_srv_counters(const struct nts_srv *s)
{
	return &s->counters;
}

struct nts_srv *
nts_srv_free(struct nts_srv *s)
{
	if (s == NULL)
		return NULL;
	while (s->conns != NULL)
		conn_close(s->conns, 0);
	while (s->listeners != NULL) {
		struct listener *l = s->listeners;

		s->listeners = l->next;
		loop_event_free(&l->ev);
		close(l->fd);
		free(l);
	}
	loop_event_free(&s->rotate_ev);
	SSL_CTX_free(s->ctx);
	free(s->keys_file);
	explicit_bzero(s, sizeof(*s));
	free(s);
	return NULL;
}
