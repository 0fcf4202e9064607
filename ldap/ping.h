/*
 * ping.h - LDAP pings (MS-ADTS 6.3.3) over UDP, and their answers.
 *
 * Debian's libldap has no cldap://, so the datagram is encoded with liblber:
 * an LDAPMessage holding a searchRequest of the rootDSE for the attribute
 * Netlogon, its filter the AND of equality matches that ldap/netlogon.h
 * describes. The answer (a searchResEntry and a searchResDone in one
 * datagram) is parsed with liblber too. Pings to many DCs go out at once on
 * connected sockets, so a DC with nothing on UDP 389 fails at once (ICMP)
 * and the wait ends as soon as every DC has answered or failed.
 *
 * The TCP form of the ping is an ordinary search on a bound connection
 * (read.c); both end in dir_ping_set().
 */
#ifndef DOMTIMED_LDAP_PING_H
#define DOMTIMED_LDAP_PING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "locate.h"
#include "netlogon.h"
#include "raw.h"

/* The CLDAP port of every DC. */
#define DIR_PING_PORT 389

/*
 * The ping REQ as one datagram with message id MSGID: allocated into *RET,
 * *RET_LEN octets. 0, or -1 if liblber fails (out of memory).
 */
int dir_ping_encode(int msgid, const struct dir_ping_request *req, uint8_t **ret, size_t *ret_len);

/*
 * The Netlogon value in an answer datagram for MSGID: 1 with a copy in
 * *RET (*RET_LEN octets); 0 when the DC answered without one (it cannot answer pings,
 * or the filter did not match); -1 with *RET_CAUSE when the datagram is
 * malformed or answers another message. Pure.
 */
int dir_ping_parse(const uint8_t *buf, size_t len, int msgid, uint8_t **ret, size_t *ret_len,
                   char **ret_cause);

/*
 * P (whose host is set) from a Netlogon value: answered with its flags and
 * sites when it decodes, else left unanswered with *RET_CAUSE. 0 or -1.
 */
int dir_ping_set(struct dir_ping *p, const uint8_t *val, size_t len, char **ret_cause);

struct dir_ping_target {
	const char *host;             /* the DC (dNSHostName) */
	const struct dir_addr *addrs; /* its addresses, port set to the CLDAP port */
	size_t n_addrs;
	const struct dir_ping_request *req; /* what to ask it (DnsDomain: its domain) */
};

/*
 * Ping the N TARGETS at once; wait until each answered or failed, or
 * TIMEOUT. RET[i] gets TARGETS[i].host copied and the answer if one came.
 * Malformed answers are said in *RET_ERRORS (sentences appended, *RET_N_ERRORS
 * counting them).
 */
void dir_ping_udp(const struct dir_ping_target *targets, size_t n, double timeout,
                  const atomic_int *cancel, struct dir_ping *ret, char ***ret_errors,
                  size_t *ret_n_errors);

#endif
