/*
 * kdc.h - our own KDC transport (RFC 4120 7.2.1-7.2.3), for krb.c's
 * send-to-KDC hook: MIT's own transport may wait ~30 s on a hung KDC; this
 * one is bounded by the discovery timeout per exchange and stops when the
 * worker is told to.
 *
 * A realm's KDCs are krb5.conf's [realms] REALM kdc entries, else (unless
 * dns_lookup_kdc is off) its _kerberos._tcp and _udp SRV records. Each
 * address of each KDC is tried over TCP, then over UDP unless TCP timed
 * out (a silent KDC is not worth a second wait).
 */
#ifndef DOMTIMED_LDAP_KDC_H
#define DOMTIMED_LDAP_KDC_H

#include <krb5.h>
#include <stdatomic.h>
#include <stddef.h>

struct dir_resolver;

struct dir_kdc_io {
	struct dir_resolver
	    *res;       /* for SRV and address lookups (borrowed); NULL: MIT's transport */
	double timeout; /* per exchange with one address */
	const atomic_int *cancel; /* the worker's stop flag (borrowed) */
	char error[512];          /* why the last dir_kdc_send failed, or notes from locating */
};

/*
 * Send MSG to a KDC of REALM. 0 with its reply in *RET_REPLY (allocated)
 * and *RET_LEN; 1 when we cannot say where REALM's KDCs are (MIT's own
 * transport should try); -1 when none answered, IO->error saying why
 * ("realm R: host:88 (tcp): ...; ...").
 */
int dir_kdc_send(krb5_context ctx, struct dir_kdc_io *io, const char *realm, const krb5_data *msg,
                 char **ret_reply, size_t *ret_len);

#endif
