/*
 * krb.h - the machine's Kerberos credentials, held in memory.
 *
 * The keytab is copied into a MEMORY: keytab when the daemon starts (as
 * root), so the daemon can drop root and keep authenticating. Initial
 * credentials go into a MEMORY: credential cache and are re-acquired from
 * the in-memory keys before half their life is gone, so tickets of one
 * minute keep working. Every exchange with a KDC (AS and TGS, including
 * the ldap/ service ticket, fetched here before GSSAPI needs it) goes
 * through our own transport, bounded by the discovery timeout and
 * cancellable: MIT's own transport may wait ~30 s on a hung KDC.
 *
 * Not thread-safe: create it anywhere, then use it from one thread at a
 * time (the discovery worker).
 */
#ifndef DOMTIMED_LDAP_KRB_H
#define DOMTIMED_LDAP_KRB_H

#include <stdatomic.h>

struct dir_krb;
struct dir_resolver;

/*
 * Read KEYTAB (NULL: KRB5_KTNAME or the system default, /etc/krb5.keytab)
 * into memory, keeping the keys of PRINCIPAL (NULL: the first NAME$@REALM
 * principal in the keytab; without a realm, REALM or krb5.conf's
 * default_realm). NULL with *RET_CAUSE when the keytab cannot be read or
 * holds no key for the principal.
 */
struct dir_krb *dir_krb_new(const char *keytab, const char *principal, const char *realm,
                            char **ret_cause);
void dir_krb_free(struct dir_krb *k);

/* "MEMBER1$@FOREST.TEST", and where it came from: "FILE:/etc/krb5.keytab". */
const char *dir_krb_principal(const struct dir_krb *k);
const char *dir_krb_keytab_name(const struct dir_krb *k);

/*
 * For the exchanges that follow: the resolver (KDC SRV records when
 * krb5.conf names no KDC for a realm), the timeout per KDC exchange, and
 * the worker's stop flag. All borrowed until the next call.
 */
void dir_krb_set_io(struct dir_krb *k, struct dir_resolver *r, double timeout,
                    const atomic_int *cancel);

/*
 * A ticket-granting ticket with more than half its life left, from the
 * cache or a new AS exchange. 0, or -1 with a sentence in *RET_CAUSE
 * (clock skew and an unreachable KDC are named as such).
 */
int dir_krb_ensure_tgt(struct dir_krb *k, char **ret_cause);

/*
 * A ticket for SERVICE/HOST in the cache (e.g. "ldap", "dc1.example.com"),
 * named exactly as GSSAPI will look for it, so the SASL bind that follows
 * needs no KDC. 0, or -1 with *RET_CAUSE.
 */
int dir_krb_service_ticket(struct dir_krb *k, const char *service, const char *host,
                           char **ret_cause);

/*
 * Point GSSAPI on the calling thread at our credential cache
 * (gss_krb5_ccache_name, thread-specific in MIT krb5). The SASL GSSAPI
 * mechanism uses the default credentials: libldap cannot hand it others
 * (LDAP_OPT_X_SASL_GSS_CREDS needs a SASL context that exists only inside
 * the first bind step). Call on the worker before each SASL bind.
 * 0, or -1 with *RET_CAUSE.
 */
int dir_krb_gss_use(struct dir_krb *k, char **ret_cause);

/* The KDC's clock minus ours, seconds, as MIT measured it (kdc_timesync); 0 if unknown. */
double dir_krb_kdc_offset(struct dir_krb *k);

#endif
