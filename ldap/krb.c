/*
 * krb.c - keytab in memory, initial credentials in memory, our own KDC
 * transport.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
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
#include "krb.h"
#include "locate.h"
#include "net.h"

/* A KDC reply larger than this is not believed (AD tickets with big PACs are ~20 KiB). */
#define KDC_REPLY_MAX (1u << 20)
/* Kerberos' port. */
#define KDC_PORT 88
/* A UDP request is sent again after this long without an answer. */
#define UDP_RESEND 1.0

struct dir_krb {
	krb5_context ctx;
	krb5_keytab kt; /* MEMORY: copy of the keys of princ */
	krb5_ccache cc; /* MEMORY: */
	krb5_principal princ;
	char *princ_name;
	char *keytab_name; /* where the keys came from */
	int have_tgt;
	krb5_timestamp tgt_start, tgt_end; /* KDC time */

	struct dir_resolver *res; /* for the exchanges in progress (borrowed) */
	double timeout;
	const atomic_int *cancel;
	char kdc_error[512]; /* why the last exchange failed, for the cause */
};

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

static char *
krb_message(krb5_context ctx, krb5_error_code code)
{
	const char *m = krb5_get_error_message(ctx, code);
	char *s = xstrdup(m != NULL ? m : "unknown Kerberos error");

	krb5_free_error_message(ctx, m);
	return s;
}

/* WHAT failed with CODE: a sentence that names the usual causes plainly. */
static char *
krb_cause(struct dir_krb *k, krb5_error_code code, const char *what)
{
	char *m = krb_message(k->ctx, code), *s;

	switch (code) {
	case KRB5KRB_AP_ERR_SKEW:
		s = xasprintf("%s: clock skew too great (KRB5KRB_AP_ERR_SKEW): this machine's "
		              "clock and the KDC's differ by more than the KDC allows "
		              "(5 minutes by default)",
		              what);
		break;
	case KRB5_KDCREP_SKEW:
		/* Our own check of the KDC's reply (krb5.conf kdc_timesync = 0). */
		s = xasprintf("%s: clock skew too great (KRB5_KDCREP_SKEW): the KDC's reply is "
		              "further from this machine's clock than clockskew allows "
		              "(5 minutes by default)",
		              what);
		break;
	case KRB5_KDC_UNREACH:
		s = xasprintf("%s: no KDC answered%s%s", what, k->kdc_error[0] ? ": " : "",
		              k->kdc_error[0] ? k->kdc_error : m);
		break;
	case KRB5KDC_ERR_PREAUTH_FAILED:
	case KRB5KRB_AP_ERR_BAD_INTEGRITY:
		s = xasprintf("%s: %s (the keytab's keys do not match the account: was the "
		              "machine password changed?)",
		              what, m);
		break;
	default:
		s = xasprintf("%s: %s", what, m);
		break;
	}
	free(m);
	return s;
}

static void __attribute__((format(printf, 2, 3)))
note_kdc_error(struct dir_krb *k, const char *fmt, ...)
{
	size_t used = strlen(k->kdc_error);
	va_list ap;

	if (used + 2 >= sizeof(k->kdc_error))
		return;
	if (used > 0) {
		memcpy(k->kdc_error + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(k->kdc_error + used, sizeof(k->kdc_error) - used, fmt, ap);
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
kdc_locate(struct dir_krb *k, const char *realm, struct kdc_list *ret)
{
	const char *names[] = {"realms", realm, "kdc", NULL};
	profile_t prof = NULL;
	char **vals = NULL;
	int dns = 1;

	*ret = (struct kdc_list){0};
	if (krb5_get_profile(k->ctx, &prof) != 0)
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
exchange(struct dir_krb *k, const struct kdc *kdc, const krb5_data *msg, char **reply,
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

static krb5_error_code KRB5_CALLCONV
send_hook(krb5_context ctx, void *data, const krb5_data *realm, const krb5_data *message,
          krb5_data **new_message_out, krb5_data **new_reply_out)
{
	struct dir_krb *k = data;
	struct kdc_list kdcs;
	char *r = xstrndup(realm->data, realm->length), *reply = NULL;
	size_t reply_len = 0;
	krb5_error_code code = KRB5_KDC_UNREACH;

	(void)new_message_out;
	k->kdc_error[0] = '\0';
	if (k->res == NULL || kdc_locate(k, r, &kdcs) != 0) {
		free(r);
		return 0; /* MIT's own transport */
	}
	for (size_t i = 0; i < kdcs.n && reply == NULL; i++) {
		if (exchange(k, &kdcs.v[i], message, &reply, &reply_len) == -ECANCELED)
			break;
	}
	if (reply != NULL) {
		krb5_data d = {.magic = KV5M_DATA, .length = (unsigned)reply_len, .data = reply};

		code = krb5_copy_data(ctx, &d, new_reply_out);
		free(reply);
	} else {
		char *detail = xstrdup(k->kdc_error);

		snprintf(k->kdc_error, sizeof(k->kdc_error), "realm %s: %s", r, detail);
		free(detail);
	}
	kdc_list_clear(&kdcs);
	free(r);
	return code;
}

/* ---- the keytab ------------------------------------------------------------------ */

/* A machine account: one component ending in '$' (NAME$@REALM). */
static int
machine_principal(krb5_const_principal p)
{
	return p->length == 1 && p->data[0].length > 1 &&
	       p->data[0].data[p->data[0].length - 1] == '$';
}

/* The principal to use: the configured one, else the keytab's first NAME$@REALM. */
static krb5_error_code
choose_principal(struct dir_krb *k, krb5_keytab file, const char *principal, const char *realm,
                 char **ret_cause)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	krb5_error_code code;

	if (principal != NULL) {
		char *full = strchr(principal, '@') == NULL && realm != NULL
		                 ? xasprintf("%s@%s", principal, realm)
		                 : xstrdup(principal);

		code = krb5_parse_name(k->ctx, full, &k->princ);
		if (code != 0)
			*ret_cause = krb_cause(k, code, "bad principal");
		free(full);
		return code;
	}
	code = krb5_kt_start_seq_get(k->ctx, file, &cur);
	if (code != 0) {
		char *what = xasprintf("cannot read the keytab %s", k->keytab_name);

		*ret_cause = krb_cause(k, code, what);
		free(what);
		return code;
	}
	while (k->princ == NULL && (code = krb5_kt_next_entry(k->ctx, file, &e, &cur)) == 0) {
		if (machine_principal(e.principal))
			code = krb5_copy_principal(k->ctx, e.principal, &k->princ);
		(void)krb5_free_keytab_entry_contents(k->ctx, &e);
		if (code != 0)
			break;
	}
	(void)krb5_kt_end_seq_get(k->ctx, file, &cur);
	if (k->princ == NULL) {
		*ret_cause = xasprintf("the keytab %s holds no machine account (NAME$@REALM): "
		                       "set the principal",
		                       k->keytab_name);
		return KRB5_KT_NOTFOUND;
	}
	return 0;
}

/* Copy every key of k->princ from FILE into the memory keytab; the number copied. */
static int
copy_keys(struct dir_krb *k, krb5_keytab file, char **ret_cause)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	krb5_error_code code;
	int copied = 0;

	code = krb5_kt_start_seq_get(k->ctx, file, &cur);
	while (code == 0 && (code = krb5_kt_next_entry(k->ctx, file, &e, &cur)) == 0) {
		if (krb5_principal_compare(k->ctx, e.principal, k->princ)) {
			code = krb5_kt_add_entry(k->ctx, k->kt, &e);
			copied++;
		}
		(void)krb5_free_keytab_entry_contents(k->ctx, &e);
	}
	if (code == KRB5_KT_END) {
		(void)krb5_kt_end_seq_get(k->ctx, file, &cur);
		code = 0;
	}
	if (code != 0) {
		char *what = xasprintf("cannot read the keytab %s", k->keytab_name);

		*ret_cause = krb_cause(k, code, what);
		free(what);
		return -1;
	}
	if (copied == 0)
		*ret_cause =
		    xasprintf("the keytab %s holds no key for %s", k->keytab_name, k->princ_name);
	return copied;
}

static krb5_error_code
open_memory(struct dir_krb *k)
{
	static atomic_uint seq;
	unsigned n = atomic_fetch_add(&seq, 1);
	char name[80];
	krb5_error_code code;

	snprintf(name, sizeof(name), "MEMORY:domtimed-kt-%ld-%u", (long)getpid(), n);
	code = krb5_kt_resolve(k->ctx, name, &k->kt);
	if (code == 0) {
		snprintf(name, sizeof(name), "MEMORY:domtimed-cc-%ld-%u", (long)getpid(), n);
		code = krb5_cc_resolve(k->ctx, name, &k->cc);
	}
	return code;
}

static int
load_keytab(struct dir_krb *k, const char *keytab, const char *principal, const char *realm,
            char **ret_cause)
{
	krb5_keytab file = NULL;
	krb5_error_code code;
	char name[1024];
	int r = -1;

	code = keytab != NULL ? krb5_kt_resolve(k->ctx, keytab, &file)
	                      : krb5_kt_default(k->ctx, &file);
	if (code != 0) {
		*ret_cause = krb_cause(k, code, "cannot open the keytab");
		return -1;
	}
	if (krb5_kt_get_name(k->ctx, file, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "%s", keytab != NULL ? keytab : "(default keytab)");
	k->keytab_name = xstrdup(name);
	if (choose_principal(k, file, principal, realm, ret_cause) == 0) {
		char *s = NULL;

		if (krb5_unparse_name(k->ctx, k->princ, &s) == 0) {
			k->princ_name = xstrdup(s);
			krb5_free_unparsed_name(k->ctx, s);
		} else {
			k->princ_name = xstrdup("?");
		}
		code = open_memory(k);
		if (code != 0)
			*ret_cause = krb_cause(k, code, "cannot create a memory keytab");
		else if (copy_keys(k, file, ret_cause) > 0)
			r = 0;
	}
	(void)krb5_kt_close(k->ctx, file);
	return r;
}

struct dir_krb *
dir_krb_new(const char *keytab, const char *principal, const char *realm, char **ret_cause)
{
	struct dir_krb *k = xcalloc(1, sizeof(*k));
	krb5_error_code code = krb5_init_context(&k->ctx);

	if (code != 0) {
		*ret_cause =
		    xasprintf("cannot initialise Kerberos (krb5.conf?): error %ld", (long)code);
		free(k);
		return NULL;
	}
	if (load_keytab(k, keytab, principal, realm, ret_cause) < 0) {
		dir_krb_free(k);
		return NULL;
	}
	krb5_set_kdc_send_hook(k->ctx, send_hook, k);
	return k;
}

void
dir_krb_free(struct dir_krb *k)
{
	if (k == NULL)
		return;
	if (k->cc != NULL)
		(void)krb5_cc_destroy(k->ctx, k->cc);
	if (k->kt != NULL)
		(void)krb5_kt_close(k->ctx, k->kt);
	krb5_free_principal(k->ctx, k->princ);
	krb5_free_context(k->ctx);
	free(k->princ_name);
	free(k->keytab_name);
	free(k);
}

const char *
dir_krb_principal(const struct dir_krb *k)
{
	return k->princ_name;
}

const char *
dir_krb_keytab_name(const struct dir_krb *k)
{
	return k->keytab_name;
}

void
dir_krb_set_io(struct dir_krb *k, struct dir_resolver *r, double timeout, const atomic_int *cancel)
{
	k->res = r;
	k->timeout = timeout;
	k->cancel = cancel;
}

/* ---- tickets ----------------------------------------------------------------------- */

/* More than half the TGT's life, and two timeouts, left (KDC time)? */
static int
tgt_fresh(struct dir_krb *k)
{
	krb5_timestamp now;
	int64_t life, left;

	if (!k->have_tgt || krb5_timeofday(k->ctx, &now) != 0)
		return 0;
	/* krb5_timestamp is a 32-bit count that wraps in 2106: subtract as unsigned. */
	life = (int32_t)((uint32_t)k->tgt_end - (uint32_t)k->tgt_start);
	left = (int32_t)((uint32_t)k->tgt_end - (uint32_t)now);
	return left > life / 2 && (double)left > 2 * k->timeout;
}

int
dir_krb_ensure_tgt(struct dir_krb *k, char **ret_cause)
{
	krb5_get_init_creds_opt *opt = NULL;
	krb5_creds creds;
	krb5_error_code code;

	if (tgt_fresh(k))
		return 0;
	k->have_tgt = 0;
	memset(&creds, 0, sizeof(creds));
	code = krb5_get_init_creds_opt_alloc(k->ctx, &opt);
	if (code == 0)
		code = krb5_get_init_creds_opt_set_out_ccache(k->ctx, opt, k->cc);
	if (code == 0) {
		krb5_get_init_creds_opt_set_forwardable(opt, 0);
		krb5_get_init_creds_opt_set_proxiable(opt, 0);
		k->kdc_error[0] = '\0';
		code = krb5_get_init_creds_keytab(k->ctx, &creds, k->princ, k->kt, 0, NULL, opt);
	}
	krb5_get_init_creds_opt_free(k->ctx, opt);
	if (code != 0) {
		char *what =
		    xasprintf("Kerberos: cannot get initial credentials for %s", k->princ_name);

		*ret_cause = krb_cause(k, code, what);
		free(what);
		return -1;
	}
	k->tgt_start = creds.times.starttime != 0 ? creds.times.starttime : creds.times.authtime;
	k->tgt_end = creds.times.endtime;
	k->have_tgt = 1;
	krb5_free_cred_contents(k->ctx, &creds);
	return 0;
}

int
dir_krb_service_ticket(struct dir_krb *k, const char *service, const char *host, char **ret_cause)
{
	krb5_principal server = NULL;
	krb5_creds in, *out = NULL;
	krb5_error_code code;
	char *what;

	code = krb5_sname_to_principal(k->ctx, host, service, KRB5_NT_SRV_HST, &server);
	if (code == 0) {
		memset(&in, 0, sizeof(in));
		in.client = k->princ;
		in.server = server;
		k->kdc_error[0] = '\0';
		code = krb5_get_credentials(k->ctx, 0, k->cc, &in, &out);
	}
	krb5_free_principal(k->ctx, server);
	if (code == 0) {
		krb5_free_creds(k->ctx, out);
		return 0;
	}
	what = xasprintf("Kerberos: cannot get a ticket for %s/%s", service, host);
	*ret_cause = krb_cause(k, code, what);
	free(what);
	return -1;
}

int
dir_krb_gss_use(struct dir_krb *k, char **ret_cause)
{
	OM_uint32 minor, major;
	char *name = NULL, *full;
	krb5_error_code code = krb5_cc_get_full_name(k->ctx, k->cc, &name);

	if (code != 0) {
		*ret_cause = krb_cause(k, code, "Kerberos: cannot name the credential cache");
		return -1;
	}
	full = xstrdup(name);
	krb5_free_string(k->ctx, name);
	major = gss_krb5_ccache_name(&minor, full, NULL);
	free(full);
	if (GSS_ERROR(major)) {
		*ret_cause = xasprintf("GSSAPI: cannot select the credential cache (minor %lu)",
		                       (unsigned long)minor);
		return -1;
	}
	return 0;
}

double
dir_krb_kdc_offset(struct dir_krb *k)
{
	krb5_timestamp sec = 0;
	krb5_int32 usec = 0;

	if (krb5_get_time_offsets(k->ctx, &sec, &usec) != 0)
		return 0;
	return (double)sec + (double)usec * 1e-6;
}
