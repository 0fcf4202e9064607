/*
 * nts_ke.c - NTS-KE: the record codec and a non-blocking TLS 1.3 client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/loop.h"
#include "../common/xmalloc.h"
#include "nts_ke.h"

/* More than any honest answer (8 cookies of a few hundred octets). */
#define MAX_RESPONSE 16384
#define EXPORTER_LABEL "EXPORTER-network-time-security"

uint8_t *
nts_ke_put_record(uint8_t *p, unsigned type, const uint8_t *body, uint16_t len)
{
	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len > 0)
		memcpy(p + 4, body, len);
	return p + 4 + len;
}

size_t
nts_ke_build_request(uint8_t *buf, size_t size)
{
	static const uint8_t proto[2] = {0, NTS_KE_NTPV4}, aead[2] = {0, NTS_AEAD_AES_SIV_CMAC_256};
	uint8_t *p = buf;

	if (size < 16)
		return 0;
	p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_NEXT_PROTOCOL, proto, 2);
	p = nts_ke_put_record(p, NTS_KE_AEAD, aead, 2);
	p = nts_ke_put_record(p, NTS_KE_CRITICAL | NTS_KE_END, NULL, 0);
	return (size_t)(p - buf);
}

static const char *
error_record(uint16_t code)
{
	switch (code) {
	case 0:
		return "the server reports: unrecognized critical record";
	case 1:
		return "the server reports: bad request";
	case 2:
		return "the server reports: internal server error";
	default:
		return "the server reports an unknown error";
	}
}

static const char *
server_name(const uint8_t *body, uint16_t len, struct nts_ke_result *ret)
{
	if (len == 0 || len > NTS_MAX_SERVER_LEN)
		return "bad server negotiation record";
	for (uint16_t i = 0; i < len; i++)
		if (body[i] <= ' ' || body[i] >= 0x7f)
			return "bad server negotiation record";
	memcpy(ret->server, body, len);
	ret->server[len] = '\0';
	return NULL;
}

/* One record; NULL, or what is wrong. *SEEN collects the types met (bit per type). */
static const char *
parse_record(unsigned type, int critical, const uint8_t *body, uint16_t len,
             struct nts_ke_result *ret, unsigned *seen)
{
	if (type < 16)
		*seen |= 1u << type;
	switch (type) {
	case NTS_KE_END:
		return len == 0 ? NULL : "bad End of Message record";
	case NTS_KE_NEXT_PROTOCOL:
		return len == 2 && nts_get16(body) == NTS_KE_NTPV4
		           ? NULL
		           : "the server does not offer NTPv4";
	case NTS_KE_ERROR:
		return len == 2 ? error_record(nts_get16(body)) : "bad error record";
	case NTS_KE_WARNING:
		return len == 2 ? NULL : "bad warning record";
	case NTS_KE_AEAD:
		return len == 2 && nts_get16(body) == NTS_AEAD_AES_SIV_CMAC_256
		           ? NULL
		           : "the server does not offer AEAD_AES_SIV_CMAC_256";
	case NTS_KE_COOKIE:
		if (len == 0 || len > NTS_MAX_COOKIE_LEN)
			return "bad cookie record";
		if (ret->n_cookies < NTS_MAX_COOKIES) {
			ret->cookies[ret->n_cookies].len = len;
			memcpy(ret->cookies[ret->n_cookies++].data, body, len);
		}
		return NULL;
	case NTS_KE_SERVER:
		return server_name(body, len, ret);
	case NTS_KE_PORT_RECORD:
		if (len != 2 || nts_get16(body) == 0)
			return "bad port negotiation record";
		ret->port = nts_get16(body);
		return NULL;
	default:
		return critical ? "unknown critical record" : NULL;
	}
}

enum nts_ke_parse
nts_ke_parse_response(const uint8_t *buf, size_t len, struct nts_ke_result *ret,
                      const char **ret_error)
{
	unsigned seen = 0;
	size_t pos = 0;

	memset(ret, 0, sizeof(*ret));
	ret->port = 123;
	while (len - pos >= 4) {
		unsigned type = nts_get16(buf + pos) & ~NTS_KE_CRITICAL;
		uint16_t blen = nts_get16(buf + pos + 2);

		if (len - pos - 4 < blen)
			return NTS_KE_PARSE_MORE;
		*ret_error = parse_record(type, (nts_get16(buf + pos) & NTS_KE_CRITICAL) != 0,
		                          buf + pos + 4, blen, ret, &seen);
		if (*ret_error != NULL)
			return NTS_KE_PARSE_ERROR;
		pos += 4 + (size_t)blen;
		if (type != NTS_KE_END)
			continue;
		if (pos != len)
			*ret_error = "data after End of Message";
		else if (!(seen & (1u << NTS_KE_NEXT_PROTOCOL)))
			*ret_error = "no next protocol record";
		else if (!(seen & (1u << NTS_KE_AEAD)))
			*ret_error = "no AEAD algorithm record";
		else if (ret->n_cookies == 0)
			*ret_error = "no cookie";
		return *ret_error != NULL ? NTS_KE_PARSE_ERROR : NTS_KE_PARSE_DONE;
	}
	return NTS_KE_PARSE_MORE;
}

int
nts_ke_parse_request(const uint8_t *p, size_t len, uint16_t *ret_code)
{
	int ntpv4 = 0, siv = 0;

	*ret_code = 1; /* bad request */
	for (size_t pos = 0; len - pos >= 4;) {
		unsigned type = nts_get16(p + pos) & ~NTS_KE_CRITICAL;
		size_t blen = nts_get16(p + pos + 2);
		const uint8_t *b = p + pos + 4;

		if (len - pos - 4 < blen)
			return 0;
		if ((type == NTS_KE_NEXT_PROTOCOL || type == NTS_KE_AEAD) && blen % 2 != 0)
			return -1;
		for (size_t i = 0; i + 1 < blen; i += 2) {
			ntpv4 |= type == NTS_KE_NEXT_PROTOCOL && nts_get16(b + i) == NTS_KE_NTPV4;
			siv |= type == NTS_KE_AEAD && nts_get16(b + i) == NTS_AEAD_AES_SIV_CMAC_256;
		}
		if (type > NTS_KE_PORT_RECORD && (nts_get16(p + pos) & NTS_KE_CRITICAL)) {
			*ret_code = 0; /* unrecognized critical record */
			return -1;
		}
		pos += 4 + blen;
		if (type == NTS_KE_END)
			return ntpv4 && siv && pos == len ? 1 : -1;
	}
	return 0;
}

/* ---- the TLS exchange ------------------------------------------------------------- */

enum phase { CONNECTING, HANDSHAKE, WRITING, READING };

struct nts_ke {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	enum phase phase;
	struct event *read_ev, *write_ev, *timer_ev;
	char host[NTS_MAX_SERVER_LEN + 1];
	uint8_t req[16];
	size_t req_len;
	uint8_t resp[MAX_RESPONSE];
	size_t resp_len;
	struct nts_ke_result result;
	char error[512];
	int finished;
	nts_ke_done_fn done;
	void *arg;
};

static void
finish(struct nts_ke *ke, const char *error)
{
	struct nts_ke_result res;

	if (ke->finished)
		return;
	ke->finished = 1;
	loop_event_free(&ke->read_ev);
	loop_event_free(&ke->write_ev);
	event_del(ke->timer_ev);
	if (error == NULL)
		res = ke->result;
	explicit_bzero(&ke->result, sizeof(ke->result));
	/* The callback may free KE: nothing of it is touched after. */
	ke->done(error == NULL ? &res : NULL, error, ke->arg);
	explicit_bzero(&res, sizeof(res));
}

static void __attribute__((format(printf, 2, 3))) fail(struct nts_ke *ke, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ke->error, sizeof(ke->error), fmt, ap);
	va_end(ap);
	finish(ke, ke->error);
}

/* Why the TLS layer failed, in words: the certificate check first, it is the usual one. */
static void
fail_tls(struct nts_ke *ke, const char *during)
{
	long verify = ke->ssl != NULL ? SSL_get_verify_result(ke->ssl) : X509_V_OK;
	unsigned long e = ERR_peek_last_error();
	char buf[160];

	if (verify != X509_V_OK) {
		fail(ke, "certificate of %s refused: %s", ke->host,
		     X509_verify_cert_error_string(verify));
	} else {
		ERR_error_string_n(e, buf, sizeof(buf));
		fail(ke, "TLS %s: %s", during, e != 0 ? buf : "connection closed");
	}
	ERR_clear_error();
}

/* Wait for what SSL asks after a call that returned R; 0, or -1 after failing. */
static int
wait_ssl(struct nts_ke *ke, int r, const char *during)
{
	switch (SSL_get_error(ke->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return loop_watch(ke->read_ev);
	case SSL_ERROR_WANT_WRITE:
		return loop_watch(ke->write_ev);
	default:
		fail_tls(ke, during);
		return -1;
	}
}

static int
export_keys(struct nts_ke *ke)
{
	uint8_t context[5] = {0, NTS_KE_NTPV4, 0, NTS_AEAD_AES_SIV_CMAC_256, 0};

	if (SSL_export_keying_material(ke->ssl, ke->result.c2s, NTS_KEY_LEN, EXPORTER_LABEL,
	                               strlen(EXPORTER_LABEL), context, sizeof(context), 1) != 1)
		return -1;
	context[4] = 1;
	return SSL_export_keying_material(ke->ssl, ke->result.s2c, NTS_KEY_LEN, EXPORTER_LABEL,
	                                  strlen(EXPORTER_LABEL), context, sizeof(context), 1) == 1
	           ? 0
	           : -1;
}

static int
check_alpn(struct nts_ke *ke)
{
	const unsigned char *proto = NULL;
	unsigned len = 0;

	SSL_get0_alpn_selected(ke->ssl, &proto, &len);
	if (len == 7 && memcmp(proto, "ntske/1", 7) == 0)
		return 0;
	fail(ke, "%s did not negotiate ALPN ntske/1", ke->host);
	return -1;
}

static void
read_response(struct nts_ke *ke)
{
	for (;;) {
		const char *why = NULL;
		int r = SSL_read(ke->ssl, ke->resp + ke->resp_len,
		                 (int)(sizeof(ke->resp) - ke->resp_len));

		if (r <= 0) {
			if (SSL_get_error(ke->ssl, r) == SSL_ERROR_ZERO_RETURN)
				fail(ke, "%s closed before End of Message", ke->host);
			else
				(void)wait_ssl(ke, r, "read");
			return;
		}
		ke->resp_len += (size_t)r;
		switch (nts_ke_parse_response(ke->resp, ke->resp_len, &ke->result, &why)) {
		case NTS_KE_PARSE_DONE:
			if (export_keys(ke) < 0)
				fail(ke, "cannot export the NTS keys");
			else
				finish(ke, NULL);
			return;
		case NTS_KE_PARSE_ERROR:
			fail(ke, "%s: %s", ke->host, why);
			return;
		case NTS_KE_PARSE_MORE:
			if (ke->resp_len == sizeof(ke->resp)) {
				fail(ke, "%s: answer longer than %d octets", ke->host,
				     MAX_RESPONSE);
				return;
			}
		}
	}
}

static int
start_tls(struct nts_ke *ke)
{
	struct in6_addr a6;
	struct in_addr a4;
	int numeric =
	    inet_pton(AF_INET, ke->host, &a4) == 1 || inet_pton(AF_INET6, ke->host, &a6) == 1;

	ke->ssl = SSL_new(ke->ctx);
	if (ke->ssl == NULL || SSL_set_fd(ke->ssl, ke->fd) != 1)
		return -1;
	if (numeric)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ke->ssl), ke->host) == 1 ? 0
		                                                                             : -1;
	return SSL_set_tlsext_host_name(ke->ssl, ke->host) == 1 &&
	               SSL_set1_host(ke->ssl, ke->host) == 1
	           ? 0
	           : -1;
}

static void
advance(struct nts_ke *ke)
{
	int r, err = 0;
	socklen_t len = sizeof(err);

	switch (ke->phase) {
	case CONNECTING:
		if (getsockopt(ke->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			fail(ke, "cannot connect to %s: %s", ke->host, strerror(err ? err : errno));
			return;
		}
		if (start_tls(ke) < 0) {
			fail_tls(ke, "set-up");
			return;
		}
		ke->phase = HANDSHAKE;
		/* fall through */
	case HANDSHAKE:
		r = SSL_connect(ke->ssl);
		if (r != 1) {
			(void)wait_ssl(ke, r, "handshake");
			return;
		}
		if (check_alpn(ke) < 0)
			return;
		ke->phase = WRITING;
		/* fall through */
	case WRITING:
		r = SSL_write(ke->ssl, ke->req, (int)ke->req_len);
		if (r <= 0) {
			(void)wait_ssl(ke, r, "write");
			return;
		}
		ke->phase = READING;
		/* fall through */
	case READING:
		read_response(ke);
	}
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	advance(arg);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct nts_ke *ke = arg;

	(void)fd;
	(void)what;
	/* Either a failure found at start, reported from the loop, or the time limit. */
	if (ke->error[0] != '\0')
		finish(ke, ke->error);
	else
		fail(ke, "%s: no answer within the time limit", ke->host);
}

static SSL_CTX *
new_ctx(const char *ca_file)
{
	static const unsigned char alpn[] = "\x07ntske/1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0 ||
	    (ca_file != NULL && ca_file[0] != '\0'
	         ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	         : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Socket, connect, TLS context; 0, or -1 with KE->error set. */
static int
open_connection(struct nts_ke *ke, const struct sockaddr *addr, socklen_t addr_len,
                const char *ca_file)
{
	ke->ctx = new_ctx(ca_file);
	if (ke->ctx == NULL) {
		snprintf(ke->error, sizeof(ke->error), "cannot set up TLS (nts_ca_file %s)",
		         ca_file != NULL && ca_file[0] ? ca_file : "unset: system store");
		ERR_clear_error();
		return -1;
	}
	ke->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ke->fd < 0 || (connect(ke->fd, addr, addr_len) < 0 && errno != EINPROGRESS)) {
		snprintf(ke->error, sizeof(ke->error), "cannot connect to %s: %s", ke->host,
		         strerror(errno));
		return -1;
	}
	return 0;
}

struct nts_ke *
nts_ke_start(struct event_base *base, const struct sockaddr *addr, socklen_t addr_len,
             const char *host, const char *ca_file, double timeout, nts_ke_done_fn done, void *arg)
{
	struct nts_ke *ke = xcalloc(1, sizeof(*ke));

	ke->fd = -1;
	ke->done = done;
	ke->arg = arg;
	snprintf(ke->host, sizeof(ke->host), "%s", host);
	ke->req_len = nts_ke_build_request(ke->req, sizeof(ke->req));
	ke->timer_ev = loop_timer_new(base, on_timer, ke);
	if (open_connection(ke, addr, addr_len, ca_file) < 0) {
		loop_arm(ke->timer_ev, 0.0);
		return ke;
	}
	ke->read_ev = loop_event_new(base, ke->fd, EV_READ, on_io, ke);
	ke->write_ev = loop_event_new(base, ke->fd, EV_WRITE, on_io, ke);
	if (loop_watch(ke->write_ev) < 0) {
		snprintf(ke->error, sizeof(ke->error), "cannot watch the NTS-KE socket");
		loop_arm(ke->timer_ev, 0.0);
		return ke;
	}
	loop_arm(ke->timer_ev, timeout);
	return ke;
}

struct nts_ke *
nts_ke_free(struct nts_ke *ke)
{
	if (ke == NULL)
		return NULL;
	loop_event_free(&ke->read_ev);
	loop_event_free(&ke->write_ev);
	loop_event_free(&ke->timer_ev);
	SSL_free(ke->ssl);
	SSL_CTX_free(ke->ctx);
	if (ke->fd >= 0)
		close(ke->fd);
	explicit_bzero(ke, sizeof(*ke));
	free(ke);
	return NULL;
}
