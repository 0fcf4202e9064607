/*
 * kdc.c - our own KDC transport: where a realm's KDCs are, and one
 * exchange with them, over TCP and then UDP, bounded and cancellable.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <profile.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "kdc.h"
#include "locate.h"
#include "net.h"

/* A KDC reply larger than this is not believed (AD tickets with big PACs are ~20 KiB). */
#define KDC_REPLY_MAX (1u << 20)
/* Kerberos' port. */
#define KDC_PORT 88
/* A UDP request is sent again after this long without an answer. */
#define UDP_RESEND 1.0

enum transport { ANY, TCP_ONLY, UDP_ONLY };

struct kdc {
	char *host;
	uint16_t port;
	enum transport transport;
};

struct kdc_list {
	struct kdc *v;
	size_t n;
};

static void __attribute__((format(printf, 2, 3)))
note_kdc_error(struct dir_kdc_io *k, const char *fmt, ...)
{
	size_t used = strlen(k->error);
	va_list ap;

	if (used + 2 >= sizeof(k->error))
		return;
	if (used > 0) {
		memcpy(k->error + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(k->error + used, sizeof(k->error) - used, fmt, ap);
	va_end(ap);
}

/* ---- where the KDCs are ------------------------------------------------------ */

static void
kdc_list_clear(struct kdc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].host);
	free(l->v);
	*l = (struct kdc_list){0};
}

static void
kdc_add(struct kdc_list *l, const char *host, size_t host_len, uint16_t port, enum transport t)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct kdc){xstrndup(host, host_len), port, t};
}

/*
 * One krb5.conf "kdc = " value: [tcp/|udp/]host[:port] or [v6addr][:port].
 * 0, or -1 for what we do not speak (an https:// MS-KKDCP proxy).
 */
static int
kdc_parse(const char *v, struct kdc_list *l)
{
	enum transport t = ANY;
	const char *host, *end, *port = NULL;
	unsigned long p = KDC_PORT;

	while (isspace((unsigned char)*v))
		v++;
	if (strncasecmp(v, "tcp/", 4) == 0) {
		t = TCP_ONLY;
		v += 4;
	} else if (strncasecmp(v, "udp/", 4) == 0) {
		t = UDP_ONLY;
		v += 4;
	} else if (strstr(v, "://") != NULL) {
		return -1;
	}
	if (*v == '[') {
		host = v + 1;
		end = strchr(host, ']');
		if (end == NULL)
			return -1;
		if (end[1] == ':')
			port = end + 2;
	} else {
		host = v;
		end = host + strcspn(host, ": \t");
		if (*end == ':')
			port = end + 1;
	}
	if (port != NULL) {
		char *e;

		p = strtoul(port, &e, 10);
		if (e == port || p == 0 || p > 65535)
			return -1;
	}
	if (end == host)
		return -1;
	kdc_add(l, host, (size_t)(end - host), (uint16_t)p, t);
	return 0;
}

/*
 * The KDCs of REALM: krb5.conf's [realms] REALM kdc entries, else (unless
 * dns_lookup_kdc is off) _kerberos._tcp/_udp.REALM SRV records. 0 with a
 * list, 1 when we cannot say (MIT's own transport takes over).
 */
static int
kdc_locate(krb5_context ctx, struct dir_kdc_io *k, const char *realm, struct kdc_list *ret)
{
	const char *names[] = {"realms", realm, "kdc", NULL};
	profile_t prof = NULL;
	char **vals = NULL;
	int dns = 1;

	*ret = (struct kdc_list){0};
	if (krb5_get_profile(ctx, &prof) != 0)
		return 1;
	if (profile_get_values(prof, names, &vals) == 0) {
		for (size_t i = 0; vals[i] != NULL; i++) {
			if (kdc_parse(vals[i], ret) < 0) {
				/* A proxy or a form we do not know: let MIT handle this realm. */
				kdc_list_clear(ret);
				break;
			}
		}
		profile_free_list(vals);
		profile_release(prof);
		return ret->n > 0 ? 0 : 1;
	}
	(void)profile_get_boolean(prof, "libdefaults", "dns_lookup_kdc", NULL, 1, &dns);
	profile_release(prof);
	if (!dns || k->res == NULL)
		return 1;
	for (int tcp = 1; tcp >= 0; tcp--) {
		char *name = xasprintf("_kerberos._%s.%s", tcp ? "tcp" : "udp", realm),
		     *cause = NULL;
		struct dir_srv_list srv;

		if (dir_resolve_srv(k->res, name, &srv, &cause) == 0) {
			for (size_t i = 0; i < srv.n; i++)
				kdc_add(ret, srv.v[i].target, strlen(srv.v[i].target),
				        srv.v[i].port, tcp ? TCP_ONLY : UDP_ONLY);
			dir_srv_list_clear(&srv);
		} else {
			note_kdc_error(k, "%s", cause);
		}
		free(cause);
		free(name);
	}
	return ret->n > 0 ? 0 : 1;
}

/* ---- talking to one KDC ------------------------------------------------------- */

/* RFC 4120 7.2.2: over TCP each message is preceded by its length, 4 octets big-endian. */
static int
tcp_exchange(const struct dir_addr *a, const krb5_data *msg, double deadline,
             const atomic_int *cancel, char **reply, size_t *reply_len)
{
	uint32_t n = htonl(msg->length);
	int fd = dir_tcp_connect((const struct sockaddr *)&a->ss, a->len, deadline, cancel);
	int r;

	if (fd < 0)
		return fd;
	r = dir_send_all(fd, &n, 4, deadline, cancel);
	if (r == 0)
		r = dir_send_all(fd, msg->data, msg->length, deadline, cancel);
	if (r == 0)
		r = dir_recv_all(fd, &n, 4, deadline, cancel);
	if (r == 0) {
		n = ntohl(n);
		if (n == 0 || n > KDC_REPLY_MAX) {
			r = -EPROTO;
		} else {
			*reply = xmalloc(n);
			*reply_len = n;
			r = dir_recv_all(fd, *reply, n, deadline, cancel);
			if (r < 0) {
				free(*reply);
				*reply = NULL;
			}
		}
	}
	close(fd);
	return r;
}

static int
udp_exchange(const struct dir_addr *a, const krb5_data *msg, double deadline,
             const atomic_int *cancel, char **reply, size_t *reply_len)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;
	char *buf = NULL;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		r = -errno;
	buf = xmalloc(65536);
	while (r == 0) {
		double resend = dir_now() + UDP_RESEND;
		ssize_t n;

		if (send(fd, msg->data, msg->length, MSG_NOSIGNAL) < 0) {
			r = -errno;
			break;
		}
		r = dir_wait_fd(fd, POLLIN, resend < deadline ? resend : deadline, cancel);
		if (r == -ETIMEDOUT && dir_now() < deadline) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		n = recv(fd, buf, 65536, MSG_DONTWAIT);
		if (n < 0) {
			r = errno == EAGAIN || errno == EINTR ? 0 : -errno;
			continue;
		}
		*reply = buf;
		*reply_len = (size_t)n;
		buf = NULL;
		break;
	}
	free(buf);
	close(fd);
	return r;
}

/* A refused or unroutable TCP connection is worth a UDP try; a silent KDC is not. */
static int
try_udp_after(int err)
{
	return err != -ETIMEDOUT && err != -ECANCELED;
}

static int
exchange(struct dir_kdc_io *k, const struct kdc *kdc, const krb5_data *msg, char **reply,
         size_t *reply_len)
{
	struct dir_addr *addrs = NULL;
	size_t n = 0;
	char *cause = NULL;
	int r = -EHOSTUNREACH;

	if (dir_resolve_host(k->res, kdc->host, kdc->port, &addrs, &n, &cause) < 0) {
		note_kdc_error(k, "%s", cause);
		free(cause);
		return -EHOSTUNREACH;
	}
	for (size_t i = 0; i < n; i++) {
		char where[64];

		dir_addr_port_string((struct sockaddr *)&addrs[i].ss, where, sizeof(where));
		r = -EPROTONOSUPPORT;
		if (kdc->transport != UDP_ONLY) {
			r = tcp_exchange(&addrs[i], msg, dir_now() + k->timeout, k->cancel, reply,
			                 reply_len);
			if (r < 0)
				note_kdc_error(k, "%s (tcp): %s", where, dir_net_error(r));
		}
		if (r < 0 && kdc->transport != TCP_ONLY && try_udp_after(r)) {
			r = udp_exchange(&addrs[i], msg, dir_now() + k->timeout, k->cancel, reply,
			                 reply_len);
			if (r < 0)
				note_kdc_error(k, "%s (udp): %s", where, dir_net_error(r));
		}
		if (r == 0 || r == -ECANCELED)
			break;
	}
	free(addrs);
	return r;
}

int
dir_kdc_send(krb5_context ctx, struct dir_kdc_io *io, const char *realm, const krb5_data *msg,
             char **ret_reply, size_t *ret_len)
{
	struct kdc_list kdcs;
	char *detail;

	*ret_reply = NULL;
	*ret_len = 0;
	io->error[0] = '\0';
	if (io->res == NULL || kdc_locate(ctx, io, realm, &kdcs) != 0)
		return 1;
	for (size_t i = 0; i < kdcs.n && *ret_reply == NULL; i++) {
		if (exchange(io, &kdcs.v[i], msg, ret_reply, ret_len) == -ECANCELED)
			break;
	}
	kdc_list_clear(&kdcs);
	if (*ret_reply != NULL)
		return 0;
	detail = xstrdup(io->error);
	snprintf(io->error, sizeof(io->error), "realm %s: %s", realm, detail);
	free(detail);
	return -1;
}
