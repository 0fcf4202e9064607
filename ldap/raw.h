/*
 * raw.h - what discovery reads from the directory, before interpretation.
 *
 * The contract between the I/O side (ldap/read.c and friends: DNS, Kerberos,
 * LDAP, pings, on a worker thread) and the pure side (ldap/forest.c, which
 * turns this into a validated struct hier_forest). Plain data, deep-owned:
 * free it with dir_raw_free(). Nothing here is trusted: values come from the network.
 */
#ifndef DOMTIMED_LDAP_RAW_H
#define DOMTIMED_LDAP_RAW_H

#include <stddef.h>
#include <stdint.h>

/* One attribute value: DATA has LEN octets plus a terminating NUL (values may
 * hold NULs or be binary, e.g. objectSid; LEN is the truth). */
struct dir_value {
	char *data;
	size_t len;
};

struct dir_attr {
	char *name; /* as the server spelled it; compare case-insensitively */
	struct dir_value *vals;
	size_t n_vals;
};

struct dir_entry {
	char *dn; /* as the server returned it (case not preserved by slapd) */
	struct dir_attr *attrs;
	size_t n_attrs;
};

struct dir_entry_list {
	struct dir_entry *v;
	size_t n;
};

/* An LDAP ping (netlogon) answer from one DC, decoded (see netlogon.h). */
struct dir_ping {
	char *host;        /* the DC asked (dNSHostName) */
	int answered;      /* 0: no answer or the directory cannot answer: flags unknown */
	uint32_t flags;    /* NETLOGON DS_* flags: PDC 0x1, TIMESERV 0x40, CLOSEST 0x80,
	                      WRITABLE 0x100, GOOD_TIMESERV 0x200 ... */
	char *dc_site;     /* DcSiteName */
	char *client_site; /* ClientSiteName: the site the DC puts us in */
};

struct dir_raw {
	char *read_from;      /* URI of the server discovery bound to */
	double read_at;       /* Unix time the read finished, on the daemon's clock: set by the
	                         caller (the worker never reads the wall clock) */
	char *local_address;  /* our address on that connection ("10.1.0.5", "::1"), for subnets */
	unsigned round_trips; /* LDAP operations it took (for bench/discovery) */
	size_t entries, bytes, pages; /* what it took against the limits (struct dir_limits) */
	char *incomplete; /* why the read stopped short (a limit, the deadline), or NULL */

	struct dir_entry rootdse;        /* of read_from */
	struct dir_entry_list crossrefs; /* objectClass=crossRef under CN=Partitions */
	struct dir_entry_list nc_heads;  /* each domain NC's head entry that could be read */
	struct dir_entry_list sites;     /* objectClass=site */
	struct dir_entry_list servers;   /* objectClass=server under CN=Sites */
	struct dir_entry_list ntds;      /* objectClass=nTDSDSA (and nTDSDSARO) */
	struct dir_entry_list subnets;   /* objectClass=subnet */
	struct dir_entry_list self;      /* our computer object(s), by sAMAccountName */
	struct dir_ping *pings;
	size_t n_pings;
	char **errors; /* what could not be read, in sentences */
	size_t n_errors;
	/*
	 * The KDC's clock minus ours, seconds, as Kerberos measured it from the
	 * last AS exchange (MIT's kdc_timesync; whole seconds, and the
	 * exchange's own delay): 0 when unknown or no GSSAPI. Kerberos
	 * compensates it towards the KDC, but a DC compares our authenticator
	 * with its own clock, so beyond ~300 s binds fail.
	 */
	double kdc_offset;
};

/* Who we are, before the directory says more. Strings may be NULL (unknown). */
struct dir_identity {
	char *host;    /* short host name, e.g. "member1" */
	char *account; /* sAMAccountName, e.g. "MEMBER1$" */
	char *domain;  /* DNS domain, e.g. "forest.test" */
	char *realm;   /* Kerberos realm, e.g. "FOREST.TEST" */
	char *site;    /* configured site, or NULL */
};

/*
 * The ldap/ and hierarchy/ destructors: x_free(X) frees the object X points
 * to and accepts NULL; x_clear(X) frees what the struct at X owns (X itself
 * may be on the stack or inside another) and leaves it empty.
 */
void dir_raw_free(struct dir_raw *raw);
void dir_entry_list_clear(struct dir_entry_list *l);
void dir_entry_clear(struct dir_entry *e);
void dir_identity_clear(struct dir_identity *id);

/* The first value of attribute NAME (case-insensitive) in E, or NULL. */
const struct dir_value *dir_entry_value(const struct dir_entry *e, const char *name);
/* The attribute NAME in E, or NULL. */
const struct dir_attr *dir_entry_attr(const struct dir_entry *e, const char *name);
/*
 * The first value of NAME in E as a C string: NULL when there is none, or
 * it is empty or holds a NUL (then it is not the text it seems to be).
 */
const char *dir_entry_text(const struct dir_entry *e, const char *name);
/* Whether NAME in E has the value S exactly, case-insensitively (as objectClass lists classes). */
int dir_entry_has_value(const struct dir_entry *e, const char *name, const char *s);
/*
 * RAW stopped short for the reason WHY (taken over: a sentence): it is
 * incomplete, and WHY becomes its first error, so nobody takes what was read
 * for the whole.
 */
void dir_raw_set_incomplete(struct dir_raw *raw, char *why);
/* Append the sentence S (taken over) to the N errors at *ERRORS (raw->errors and the like). */
void dir_errors_add(char ***errors, size_t *n, char *s);
/* Append a copy of the LEN octets at VALUE to attribute NAME of E (created if new). */
void dir_entry_add_value(struct dir_entry *e, const char *name, const void *value, size_t len);

#endif
