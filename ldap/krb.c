/*
 * krb.c - keytab in memory, initial credentials in memory; every KDC
 * exchange through our own transport (kdc.c).
 */
#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "kdc.h"
#include "krb.h"

struct dir_krb {
	krb5_context ctx;
	krb5_keytab kt; /* MEMORY: copy of the keys of princ */
	krb5_ccache cc; /* MEMORY: */
	krb5_principal princ;
	char *princ_name;
	char *keytab_name; /* where the keys came from */
	int have_tgt;
	krb5_timestamp tgt_start, tgt_end; /* KDC time */

	struct dir_kdc_io io; /* our KDC transport's settings and last failure */
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
		s = xasprintf("%s: no KDC answered%s%s", what, k->io.error[0] ? ": " : "",
		              k->io.error[0] ? k->io.error : m);
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

static krb5_error_code KRB5_CALLCONV
send_hook(krb5_context ctx, void *data, const krb5_data *realm, const krb5_data *message,
          krb5_data **new_message_out, krb5_data **new_reply_out)
{
	struct dir_krb *k = data;
	char *r = xstrndup(realm->data, realm->length), *reply;
	size_t reply_len;
	krb5_error_code code = 0; /* with no reply: MIT's own transport */
	int rc = dir_kdc_send(ctx, &k->io, r, message, &reply, &reply_len);

	(void)new_message_out;
	if (rc == 0) {
		krb5_data d = {.magic = KV5M_DATA, .length = (unsigned)reply_len, .data = reply};

		code = krb5_copy_data(ctx, &d, new_reply_out);
		free(reply);
	} else if (rc < 0) {
		code = KRB5_KDC_UNREACH;
	}
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
	k->io.res = r;
	k->io.timeout = timeout;
	k->io.cancel = cancel;
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
	return left > life / 2 && (double)left > 2 * k->io.timeout;
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
		k->io.error[0] = '\0';
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
		k->io.error[0] = '\0';
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
