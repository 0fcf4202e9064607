/*
 * auth.c - our MS-SNTP identity for the NTP client.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../ldap/ntkey.h"
#include "../ldap/raw.h"
#include "auth.h"
#include "directory.h"
#include "dmn_private.h"
#include "samba_dc.h"

/* The principal whose keys we need: configured, else NAME$@REALM. */
static char *
principal_of(const struct dmn *d)
{
	const struct dir_identity *id = dmn_dir_identity(d->dir);

	if (d->cfg->principal[0] != '\0')
		return xstrdup(d->cfg->principal);
	if (id == NULL || id->account == NULL || id->realm == NULL)
		return NULL;
	return xasprintf("%s@%s", id->account, id->realm);
}

void
dmn_auth_start(struct dmn *d)
{
	struct mssntp_auth *a;
	char *keytab, *principal, *cause = NULL;
	int n;

	if (d->cfg->mssntp == CFG_MSSNTP_NO || d->dir == NULL)
		return;
	a = xcalloc(1, sizeof(*a));
	a->require = d->cfg->mssntp == CFG_MSSNTP_REQUIRE;
	a->counters = ntp_srv_mssntp(d->srv);
	d->auth = a;
	keytab = dmn_samba_keytab(d);
	principal = principal_of(d);
	n = principal != NULL ? dir_nt_keys(keytab, principal, a->keys, &cause) : 0;
	if (n < 0) {
		log_err("MS-SNTP: %s; DCs are asked with plain NTP%s", cause,
		        a->require ? ", and their time refused (mssntp = require)" : "");
		n = 0;
	} else if (n == 0) {
		log_warn("MS-SNTP: no arcfour-hmac (RC4) key for %s in %s: DCs are asked with "
		         "plain NTP%s",
		         principal != NULL ? principal : "our account",
		         keytab != NULL ? keytab : "the keytab",
		         a->require ? ", and their time refused (mssntp = require)" : "");
	} else {
		log_info("MS-SNTP: %d key(s) of %s: answers of our domain's DCs are authenticated",
		         n, principal);
	}
	a->n_keys = (size_t)n;
	free(cause);
	free(keytab);
	free(principal);
}

void
dmn_auth_free(struct dmn *d)
{
	if (d->auth != NULL)
		memset(d->auth->keys, 0, sizeof(d->auth->keys));
	free(d->auth);
	d->auth = NULL;
}

void
dmn_auth_self(struct dmn *d, long rid)
{
	if (d->auth == NULL)
		return;
	if (rid < 0) {
		log_warn("MS-SNTP: the directory gave no objectSid for our account: cannot "
		         "authenticate");
		return;
	}
	if ((uint32_t)rid != d->auth->key_id)
		log_info("MS-SNTP: our account's RID is %ld", rid);
	d->auth->key_id = (uint32_t)rid;
}

json_t *
dmn_auth_json(const struct dmn *d)
{
	const struct mssntp_counters *c = &ntp_srv_counters(d->srv)->mssntp;
	const struct mssntp_auth *a = d->auth;

	return json_pack("{s:s, s:s, s:o, s:I, s:I}", "mode", cfg_mssntp_names[d->cfg->mssntp],
	                 "key", a != NULL && a->n_keys > 0 ? "rc4" : "none", "rid",
	                 a != NULL && a->key_id != 0 ? json_integer(a->key_id) : json_null(),
	                 "verified", (json_int_t)c->verified, "failed",
	                 (json_int_t)(c->bad_mac + c->unsigned_reply));
}
