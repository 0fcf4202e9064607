/*
 * locate.h - finding domain controllers and KDCs in DNS (MS-ADTS 6.3.6).
 *
 * _ldap._tcp.<site>._sites.dc._msdcs.<domain> when the site is known, then
 * _ldap._tcp.dc._msdcs.<domain>; _ldap._tcp.pdc._msdcs.<domain> for the PDC
 * emulator. Queries go through libresolv (res_nquery) honouring
 * /etc/resolv.conf, or to one DNS server given as "ADDR[:PORT]" (the
 * dns_server field of struct dir_config: the test world's dnsmasq listens on
 * 127.0.0.1 at a high port). Blocking, for the worker thread only; each
 * query is bounded by the timeout (whole seconds, libresolv's unit).
 */
#ifndef DOMTIMED_LDAP_LOCATE_H
#define DOMTIMED_LDAP_LOCATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct dir_srv {
	char *target; /* host name, lower case, without the final dot */
	uint16_t port, priority, weight;
};

struct dir_srv_list {
	struct dir_srv *v;
	size_t n;
};

struct dir_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Free what L holds and empty it. */
void dir_srv_list_clear(struct dir_srv_list *l);
/* Append a copy of S unless TARGET:PORT is already in L. */
void dir_srv_list_add(struct dir_srv_list *l, const struct dir_srv *s);

/*
 * RFC 2782 order, in place: ascending priority; within one priority a
 * weighted random permutation (weight-0 records first in the running sum,
 * so they are picked rarely but not never). RND(ARG, BOUND) returns a
 * uniform integer in [0, BOUND]. Pure given RND.
 */
void dir_srv_order(struct dir_srv *v, size_t n, uint32_t (*rnd)(void *arg, uint32_t bound),
                   void *arg);

/*
 * The SRV records in the answer section of a DNS response MSG (LEN octets),
 * in wire order. A target of "." ("no such service here", RFC 2782) is left
 * out. 0, or -1 with *RET_CAUSE for a malformed message. Pure.
 */
int dir_srv_parse(const uint8_t *msg, size_t len, struct dir_srv_list *ret, char **ret_cause);

/* "_ldap._tcp.SITE._sites.dc._msdcs.DOMAIN" (SITE NULL: without the site part);
 * KIND is "dc" or "pdc" (the PDC record has no site form). Allocated. */
char *dir_srv_name(const char *kind, const char *site, const char *domain);

struct dir_resolver;

/*
 * A resolver reading /etc/resolv.conf now, or asking only SERVER
 * ("192.0.2.53", "127.0.0.1:5353"; IPv4 only) when not NULL. TIMEOUT
 * bounds each query. NULL with *RET_CAUSE on a bad SERVER.
 */
struct dir_resolver *dir_resolver_new(const char *server, double timeout, char **ret_cause);
void dir_resolver_free(struct dir_resolver *r);

/*
 * SRV records of NAME in RFC 2782 order. 0 with an empty list when the name
 * does not exist or has no SRV records; -1 with *RET_CAUSE when DNS did not
 * answer (timeout, SERVFAIL, malformed).
 */
int dir_resolve_srv(struct dir_resolver *r, const char *name, struct dir_srv_list *ret,
                    char **ret_cause);

/*
 * The DCs of DOMAIN: those of SITE first (when not NULL), then the others,
 * each group in RFC 2782 order, no duplicates. A failed site query is not
 * fatal (many domains lack site records); 0 with an empty list when DNS
 * knows no DC; -1 with *RET_CAUSE when it did not answer at all.
 */
int dir_locate_dcs(struct dir_resolver *r, const char *domain, const char *site,
                   struct dir_srv_list *ret, char **ret_cause);

/*
 * Addresses of HOST with PORT: a numeric address as is; otherwise
 * /etc/hosts first (files before DNS, as everywhere), then A and AAAA
 * records through this resolver, and when DNS knows nothing and no SERVER
 * was given, getaddrinfo(). 0 with at least one address, else -1 with
 * *RET_CAUSE. *RET is allocated.
 */
int dir_resolve_host(struct dir_resolver *r, const char *host, uint16_t port, struct dir_addr **ret,
                     size_t *ret_n, char **ret_cause);

/*
 * Pure: call FOUND for each address /etc/hosts TEXT gives HOST (names
 * compare case-insensitively; '#' starts a comment). FOUND returns 1 when it
 * took the address. Returns how many were taken.
 */
int dir_hosts_lookup(const char *text, const char *host, int (*found)(const char *addr, void *arg),
                     void *arg);

#endif
