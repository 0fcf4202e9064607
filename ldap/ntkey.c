/*
 * ntkey.c - RC4 keys from a keytab, a RID from a SID.
 */
#include <krb5.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "ntkey.h"

#define ENCTYPE_RC4 23 /* arcfour-hmac */

int
dir_sid_rid(const uint8_t *sid, size_t len, uint32_t *ret)
{
	const uint8_t *p;

	/* Revision 1, sub-authority count, 6-octet authority, count x 32-bit LE. */
	if (len < 8 || sid[0] != 1 || sid[1] == 0 || len != 8 + 4 * (size_t)sid[1])
		return -1;
	p = sid + len - 4;
	*ret = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return 0;
}

/* Keep the two newest kvnos: VNO[i] and RET[i], newest first. */
static void
keep_newest(uint8_t ret[2][DIR_NT_KEY_LEN], krb5_kvno vno[2], int *n, krb5_kvno v,
            const krb5_keyblock *k)
{
	int at = *n < 2 ? *n : 2;

	for (int i = 0; i < *n && i < 2; i++) {
		if (vno[i] == v)
			return; /* the same key twice (a keytab merged from two sources) */
		if (v > vno[i] && at > i)
			at = i;
	}
	if (at >= 2)
		return;
	if (at == 0) {
		vno[1] = vno[0];
		memcpy(ret[1], ret[0], DIR_NT_KEY_LEN);
	}
	vno[at] = v;
	memcpy(ret[at], k->contents, DIR_NT_KEY_LEN);
	if (*n < 2)
		(*n)++;
}

int
dir_nt_keys(const char *keytab, const char *principal, uint8_t ret[2][DIR_NT_KEY_LEN],
            char **ret_cause)
{
	krb5_context ctx;
	krb5_keytab kt = NULL;
	krb5_principal want = NULL;
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	krb5_kvno vno[2] = {0, 0};
	krb5_error_code rc;
	int n = 0;

	if (krb5_init_context(&ctx) != 0) {
		*ret_cause = xstrdup("cannot initialise Kerberos");
		return -1;
	}
	rc = keytab != NULL ? krb5_kt_resolve(ctx, keytab, &kt) : krb5_kt_default(ctx, &kt);
	if (rc == 0)
		rc = krb5_parse_name(ctx, principal, &want);
	if (rc == 0)
		rc = krb5_kt_start_seq_get(ctx, kt, &cur);
	if (rc != 0) {
		const char *m = krb5_get_error_message(ctx, rc);

		*ret_cause = xasprintf("keytab %s: %s", keytab != NULL ? keytab : "(default)", m);
		krb5_free_error_message(ctx, m);
		n = -1;
		goto out;
	}
	while (krb5_kt_next_entry(ctx, kt, &e, &cur) == 0) {
		if (e.key.enctype == ENCTYPE_RC4 && e.key.length == DIR_NT_KEY_LEN &&
		    krb5_principal_compare(ctx, e.principal, want))
			keep_newest(ret, vno, &n, e.vno, &e.key);
		krb5_free_keytab_entry_contents(ctx, &e);
	}
	krb5_kt_end_seq_get(ctx, kt, &cur);
out:
	if (want != NULL)
		krb5_free_principal(ctx, want);
	if (kt != NULL)
		krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return n;
}
