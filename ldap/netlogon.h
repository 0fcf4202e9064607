/*
 * netlogon.h - the LDAP ping: the filter that asks, and the answer.
 *
 * An LDAP ping (MS-ADTS 6.3.3) is a base search of a DC's rootDSE, over
 * CLDAP or TCP, for the attribute Netlogon, with a filter that carries the
 * request: (&(DnsDomain=forest.test)(NtVer=\14\00\00\00)). When NtVer has
 * V5EX the value that comes back is a NETLOGON_SAM_LOGON_RESPONSE_EX
 * (MS-ADTS 6.3.1.9): the DC's DS_* flags (PDC, time service, reliable time
 * service, in the client's site...) and names, among them the site the DC
 * places the client in, found from the client's address and the subnets.
 *
 * Pure: no I/O. The answer is untrusted and read as a validation ladder:
 * framing, opcode, trailer, then each field in order; any fault rejects
 * all of it, with the reason.
 */
#ifndef DOMTIMED_LDAP_NETLOGON_H
#define DOMTIMED_LDAP_NETLOGON_H

#include <stddef.h>
#include <stdint.h>

/* NETLOGON_NT_VERSION bits (MS-ADTS 6.3.1.1): which answer a ping asks for. */
#define DIR_NT_VERSION_1 0x00000001u
#define DIR_NT_VERSION_5 0x00000002u
#define DIR_NT_VERSION_5EX 0x00000004u               /* NETLOGON_SAM_LOGON_RESPONSE_EX */
#define DIR_NT_VERSION_5EX_WITH_IP 0x00000008u       /* ... with the DC's IPv4 address */
#define DIR_NT_VERSION_WITH_CLOSEST_SITE 0x00000010u /* ... with NextClosestSiteName */
#define DIR_NT_VERSION_AVOID_NT4EMUL 0x01000000u
/* What domtimed asks for, as SSSD does: the _EX answer and the next closest site. */
#define DIR_NT_VERSION_PING (DIR_NT_VERSION_5EX | DIR_NT_VERSION_WITH_CLOSEST_SITE)

/* DS_* flags of the answer (MS-ADTS 6.3.1.2). */
#define DIR_DS_PDC_FLAG 0x00000001u
#define DIR_DS_GC_FLAG 0x00000004u
#define DIR_DS_LDAP_FLAG 0x00000008u
#define DIR_DS_DS_FLAG 0x00000010u
#define DIR_DS_KDC_FLAG 0x00000020u
#define DIR_DS_TIMESERV_FLAG 0x00000040u      /* runs the time service (W32Time TIMESERV) */
#define DIR_DS_CLOSEST_FLAG 0x00000080u       /* in the client's site */
#define DIR_DS_WRITABLE_FLAG 0x00000100u      /* not an RODC */
#define DIR_DS_GOOD_TIMESERV_FLAG 0x00000200u /* a reliable time source (GTIMESERV) */
#define DIR_DS_NDNC_FLAG 0x00000400u
#define DIR_DS_SELECT_SECRET_DOMAIN_6_FLAG 0x00000800u /* an RODC, 2008 or later */
#define DIR_DS_FULL_SECRET_DOMAIN_6_FLAG 0x00001000u   /* a writable DC, 2008 or later */
#define DIR_DS_WS_FLAG 0x00002000u
#define DIR_DS_DS_8_FLAG 0x00004000u  /* 2012 or later */
#define DIR_DS_DS_9_FLAG 0x00008000u  /* 2012 R2 or later */
#define DIR_DS_DS_10_FLAG 0x00010000u /* 2016 or later */
#define DIR_DS_DNS_CONTROLLER_FLAG 0x20000000u
#define DIR_DS_DNS_DOMAIN_FLAG 0x40000000u
#define DIR_DS_DNS_FOREST_FLAG 0x80000000u

/* The answer's opcode (MS-ADTS 6.3.1.3); all three have the _EX layout. */
enum dir_netlogon_opcode {
	DIR_LOGON_SAM_LOGON_RESPONSE_EX = 23, /* the answer */
	DIR_LOGON_SAM_PAUSE_RESPONSE_EX = 24, /* the DC's Netlogon service is paused */
	DIR_LOGON_SAM_USER_UNKNOWN_EX = 25,   /* the User asked about has no account there */
};

/*
 * A decoded NETLOGON_SAM_LOGON_RESPONSE_EX. Names are as sent, their
 * labels joined with '.': "" when empty (a DC in no site, a client in no
 * subnet), never NULL except NEXT_CLOSEST_SITE; each is UTF-8 text
 * (dir_text_valid() in dn.h) of at most 255 octets without dots inside
 * labels.
 */
struct dir_netlogon {
	enum dir_netlogon_opcode opcode;
	uint32_t flags;          /* DIR_DS_* */
	uint8_t domain_guid[16]; /* as sent: a GUID in its little-endian wire form */
	char *forest;            /* DnsForestName */
	char *domain;            /* DnsDomainName */
	char *host;              /* DnsHostName: the DC */
	char *netbios_domain;    /* NetbiosDomainName */
	char *netbios_host;      /* NetbiosComputerName */
	char *user;              /* UserName: the request's User echoed */
	char *dc_site;           /* DcSiteName */
	char *client_site;       /* ClientSiteName: the site the DC puts the client in */
	char *next_closest_site; /* NextClosestSiteName, NULL unless NtVersion has WITH_CLOSEST_SITE
	                          */
	int has_address;         /* DcSockAddr was there (NtVersion has 5EX_WITH_IP) */
	uint8_t address[4];      /* the DC's IPv4 address from DcSockAddr, network order */
	uint32_t nt_version;     /* NtVersion: the DIR_NT_VERSION_* layout the answer follows */
};

/*
 * Decode the Netlogon value of LEN octets at BUF into *RET, which is
 * written only on success and then owns its strings (dir_netlogon_clear).
 *
 * Returns 0; -EPROTONOSUPPORT for an older kind of answer
 * (NETLOGON_SAM_LOGON_RESPONSE or _NT40, which a DC sends when NtVer lacks
 * V5EX); -EBADMSG for anything malformed. On failure *RET_CAUSE, unless
 * RET_CAUSE is NULL, gets an allocated sentence saying why; untrusted
 * octets in it are escaped.
 *
 * NtVersion, at a fixed place before the trailing LmNtToken and Lm20Token
 * (both 0xFFFF), says which optional fields are there; every octet must
 * belong to a field. Compression pointers (RFC 1035 section 4.1.4) count
 * from the start of BUF and must point back, before the run of labels that
 * holds them and into the names: each jump goes further back, so there are
 * no loops, and no read leaves BUF.
 */
int dir_netlogon_decode(const uint8_t *buf, size_t len, struct dir_netlogon *ret, char **ret_cause);
/* Free N's strings and zero it; a zeroed N is fine. */
void dir_netlogon_clear(struct dir_netlogon *n);

/* An LDAP ping request; NULL fields are left out of the filter. */
struct dir_ping_request {
	const char *dns_domain; /* DnsDomain: the domain whose DC is asked */
	const char *host;       /* Host: our NetBIOS name */
	const char *dns_host;   /* DnsHostName: our FQDN */
	const char *user;       /* User: an account for the DC to look up, e.g. "MEMBER1$" */
	uint32_t nt_version;    /* NtVer, which a DC requires: e.g. DIR_NT_VERSION_PING */
};

/*
 * The LDAP filter of an LDAP ping, e.g.
 * (&(DnsDomain=forest.test)(User=MEMBER1$)(NtVer=\14\00\00\00)): an AND of
 * the fields given, in the order above, NtVer as its 4 little-endian
 * octets. Values are escaped as RFC 4515 asks, and so is every octet that
 * is not printable ASCII, so the filter is printable ASCII. Allocated; the
 * caller frees it.
 */
char *dir_netlogon_filter(const struct dir_ping_request *req);

#endif
