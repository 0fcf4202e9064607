/*
 * ping.c - LDAP pings over UDP, encoded and parsed with liblber.
 */
#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "net.h"
#include "ping.h"

/* A CLDAP answer fits one datagram; AD's are a few hundred octets. */
#define DATAGRAM_MAX 65536
/* An unanswered ping is sent again after this long. */
#define RESEND 1.0
/* Addresses pinged per DC (the first ones DNS gave). */
#define ADDRS_PER_DC 2

/* ---- encoding ------------------------------------------------------------------ */

static int
put_equality(BerElement *ber, const char *attr, const char *value, size_t len)
{
	return ber_printf(ber, "t{so}", LDAP_FILTER_EQUALITY, attr, value, (ber_len_t)len) < 0 ? -1
	                                                                                       : 0;
}

/*
 * LDAPMessage ::= SEQUENCE { messageID, protocolOp [APPLICATION 3] SearchRequest }
 * SearchRequest: baseObject "", scope base, derefAliases never, sizeLimit 0,
 * timeLimit 0, typesOnly FALSE, filter, attributes { "Netlogon" } (RFC 4511
 * 4.5.1; MS-ADTS 6.3.3 sends it without the CLDAP "user" field of RFC 1798).
 */
int
dir_ping_encode(int msgid, const struct dir_ping_request *req, uint8_t **ret, size_t *ret_len)
{
	const char *names[] = {"DnsDomain", "Host", "DnsHostName", "User"};
	const char *values[] = {req->dns_domain, req->host, req->dns_host, req->user};
	uint8_t ntver[4] = {(uint8_t)req->nt_version, (uint8_t)(req->nt_version >> 8),
	                    (uint8_t)(req->nt_version >> 16), (uint8_t)(req->nt_version >> 24)};
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval *bv = NULL;
	int r = 0;

	if (ber == NULL)
		return -1;
	if (ber_printf(ber, "{it{seeiib", (ber_int_t)msgid, LDAP_REQ_SEARCH, "",
	               (ber_int_t)LDAP_SCOPE_BASE, (ber_int_t)LDAP_DEREF_NEVER, (ber_int_t)0,
	               (ber_int_t)0, (ber_int_t)0) < 0 ||
	    ber_printf(ber, "t{", LDAP_FILTER_AND) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < ARRAY_LEN(names); i++)
		if (values[i] != NULL)
			r = put_equality(ber, names[i], values[i], strlen(values[i]));
	if (r == 0)
		r = put_equality(ber, "NtVer", (const char *)ntver, sizeof(ntver));
	if (r == 0 && (ber_printf(ber, "}{s}}}", "Netlogon") < 0 || ber_flatten(ber, &bv) < 0))
		r = -1;
	ber_free(ber, 1);
	if (r < 0)
		return -1;
	*ret = xmalloc(bv->bv_len);
	memcpy(*ret, bv->bv_val, bv->bv_len);
	*ret_len = bv->bv_len;
	ber_bvfree(bv);
	return 0;
}

/* ---- parsing ---------------------------------------------------------------------- */

/* The Netlogon value of a SearchResultEntry whose contents SUB is at: 1, 0, -1. */
static int
entry_netlogon(BerElement *sub, uint8_t **ret, size_t *ret_len)
{
	struct berval dn, type;
	ber_len_t len;
	ber_tag_t tag;
	char *last;
	int found = 0;

	if (ber_scanf(sub, "{m", &dn) == LBER_ERROR)
		return -1;
	for (tag = ber_first_element(sub, &len, &last); tag != LBER_DEFAULT;
	     tag = ber_next_element(sub, &len, last)) {
		BerVarray vals = NULL;

		if (ber_scanf(sub, "{m[W]}", &type, &vals) == LBER_ERROR)
			return -1;
		if (!found && type.bv_len == 8 && strncasecmp(type.bv_val, "netlogon", 8) == 0 &&
		    vals != NULL && vals[0].bv_val != NULL) {
			*ret_len = vals[0].bv_len;
			*ret = xmalloc(vals[0].bv_len + 1);
			memcpy(*ret, vals[0].bv_val, vals[0].bv_len);
			found = 1;
		}
		ber_bvarray_free(vals);
	}
	return found;
}

int
dir_ping_parse(const uint8_t *buf, size_t len, int msgid, uint8_t **ret, size_t *ret_len,
               char **ret_cause)
{
	struct berval all = {.bv_len = len, .bv_val = (char *)buf};
	BerElement *ber = ber_init(&all), *sub = NULL;
	int found = 0, done = 0, seen = 0;
	ber_len_t left;

	if (ber == NULL) {
		*ret_cause = xstrdup("cannot parse the LDAP ping answer (out of memory)");
		return -1;
	}
	/* One or more LDAPMessages back to back: the entry, then the result. */
	while (!done && ber_get_option(ber, LBER_OPT_REMAINING_BYTES, &left) == LBER_OPT_SUCCESS &&
	       left > 0) {
		struct berval msg;
		ber_int_t id;
		ber_len_t oplen;
		ber_tag_t op;
		int r = 0;

		if (ber_skip_element(ber, &msg) != LBER_SEQUENCE ||
		    (sub = ber_init(&msg)) == NULL) {
			*ret_cause = xstrdup("malformed LDAP ping answer: not an LDAPMessage");
			goto bad;
		}
		if (ber_get_int(sub, &id) == LBER_ERROR || id != msgid) {
			*ret_cause = xstrdup("LDAP ping answer for another message");
			goto bad;
		}
		op = ber_peek_tag(sub, &oplen);
		if (op == LDAP_RES_SEARCH_ENTRY && !found) {
			r = entry_netlogon(sub, ret, ret_len);
			found = r > 0;
		} else if (op == LDAP_RES_SEARCH_RESULT) {
			done = 1;
		} else if (op != LDAP_RES_SEARCH_ENTRY) {
			r = -1;
		}
		ber_free(sub, 1);
		sub = NULL;
		seen = 1;
		if (r < 0) {
			*ret_cause = xstrdup("malformed LDAP ping answer");
			goto bad;
		}
	}
	ber_free(ber, 1);
	if (!seen) {
		*ret_cause = xstrdup("malformed LDAP ping answer: no LDAP message in it");
		return -1;
	}
	return found;
bad:
	ber_free(sub, 1);
	ber_free(ber, 1);
	if (found) {
		free(*ret);
		*ret = NULL;
	}
	return -1;
}

int
dir_ping_set(struct dir_ping *p, const uint8_t *val, size_t len, char **ret_cause)
{
	struct dir_netlogon nl;
	char *cause = NULL;

	if (dir_netlogon_decode(val, len, &nl, &cause) < 0) {
		*ret_cause = xasprintf("LDAP ping answer from %s: %s", p->host,
		                       cause != NULL ? cause : "undecodable");
		free(cause);
		return -1;
	}
	free(p->dc_site);
	free(p->client_site);
	p->answered = 1;
	p->flags = nl.flags;
	p->dc_site = nl.dc_site != NULL && nl.dc_site[0] != '\0' ? xstrdup(nl.dc_site) : NULL;
	p->client_site =
	    nl.client_site != NULL && nl.client_site[0] != '\0' ? xstrdup(nl.client_site) : NULL;
	dir_netlogon_clear(&nl);
	return 0;
}

/* ---- sending -------------------------------------------------------------------- */

struct slot {
	int fd;
	size_t target;
	int msgid;
	uint8_t *dgram;
	size_t len;
};

static void
slot_close(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Close every slot of target T (it answered). */
static void
target_done(struct slot *v, size_t n, size_t t)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].target == t)
			slot_close(&v[i]);
}

static void
slot_open(struct slot *s, const struct dir_addr *a, const struct dir_ping_request *req)
{
	s->fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		return;
	/* Connected: the kernel drops datagrams from anyone else, and ICMP errors reach us. */
	if (connect(s->fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    dir_ping_encode(s->msgid, req, &s->dgram, &s->len) < 0 ||
	    send(s->fd, s->dgram, s->len, MSG_NOSIGNAL) < 0)
		slot_close(s);
}

static void
slot_read(struct slot *v, size_t n, size_t i, const struct dir_ping_target *targets,
          struct dir_ping *ret, char ***errors, size_t *n_errors, uint8_t *buf)
{
	struct slot *s = &v[i];
	ssize_t got = recv(s->fd, buf, DATAGRAM_MAX, 0);
	uint8_t *val = NULL;
	size_t vlen = 0;
	char *cause = NULL;
	int r;

	if (got < 0) {
		if (errno != EAGAIN && errno != EINTR)
			slot_close(s); /* ECONNREFUSED: nothing listens on the CLDAP port */
		return;
	}
	r = dir_ping_parse(buf, (size_t)got, s->msgid, &val, &vlen, &cause);
	if (r < 0) {
		dir_errors_add(errors, n_errors,
		               xasprintf("LDAP ping to %s: %s", targets[s->target].host, cause));
		free(cause);
		slot_close(s);
		return;
	}
	if (r > 0 && dir_ping_set(&ret[s->target], val, vlen, &cause) < 0) {
		dir_errors_add(errors, n_errors, cause);
	}
	free(val);
	target_done(v, n, s->target);
}

static void
resend(struct slot *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].fd >= 0 && send(v[i].fd, v[i].dgram, v[i].len, MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN)
			slot_close(&v[i]);
}

void
dir_ping_udp(const struct dir_ping_target *targets, size_t n, double timeout,
             const atomic_int *cancel, struct dir_ping *ret, char ***ret_errors,
             size_t *ret_n_errors)
{
	struct slot *v = xcalloc(n * ADDRS_PER_DC + 1, sizeof(*v));
	struct pollfd *pfd = xcalloc(n * ADDRS_PER_DC + 1, sizeof(*pfd));
	uint8_t *buf = xmalloc(DATAGRAM_MAX);
	double deadline = dir_now() + timeout, next_send = dir_now() + RESEND;
	uint32_t base = 0;
	size_t ns = 0;

	/* Message ids nobody off-path can guess. */
	if (getrandom(&base, sizeof(base), 0) != (ssize_t)sizeof(base))
		base = (uint32_t)random();
	base &= 0x3fffffff;
	for (size_t t = 0; t < n; t++) {
		ret[t] = (struct dir_ping){.host = xstrdup(targets[t].host)};
		for (size_t a = 0; a < targets[t].n_addrs && a < ADDRS_PER_DC; a++, ns++) {
			v[ns] = (struct slot){.fd = -1, .target = t, .msgid = (int)(base + ns + 1)};
			slot_open(&v[ns], &targets[t].addrs[a], targets[t].req);
		}
	}
	for (;;) {
		size_t np = 0;
		double now = dir_now(), until;
		int r;

		for (size_t i = 0; i < ns; i++)
			if (v[i].fd >= 0)
				pfd[np++] = (struct pollfd){.fd = v[i].fd, .events = POLLIN};
		if (np == 0 || now >= deadline || dir_cancelled(cancel))
			break;
		if (now >= next_send) {
			resend(v, ns);
			next_send = now + RESEND;
		}
		until = next_send < deadline ? next_send : deadline;
		r = poll(pfd, np, (int)((until - now) * 1000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0, k = 0; r > 0 && i < ns; i++) {
			if (v[i].fd < 0)
				continue;
			/* pfd[k] was built from the open slots in order. */
			while (k < np && pfd[k].fd != v[i].fd)
				k++;
			if (k < np && pfd[k].revents != 0)
				slot_read(v, ns, i, targets, ret, ret_errors, ret_n_errors, buf);
		}
	}
	for (size_t i = 0; i < ns; i++) {
		slot_close(&v[i]);
		free(v[i].dgram);
	}
	free(buf);
	free(pfd);
	free(v);
}
