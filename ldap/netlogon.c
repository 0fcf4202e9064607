/*
 * netlogon.c - the LDAP ping's filter, and a decoder for its answer.
 *
 * NETLOGON_SAM_LOGON_RESPONSE_EX (MS-ADTS 6.3.1.9), little-endian, packed:
 *
 *	Opcode u16, Sbz u16, Flags u32, DomainGuid 16 octets
 *	DnsForestName, DnsDomainName, DnsHostName, NetbiosDomainName,
 *	NetbiosComputerName, UserName, DcSiteName, ClientSiteName: names
 *	[DcSockAddrSize u8, DcSockAddr: sockaddr_in]   NtVersion has 5EX_WITH_IP
 *	[NextClosestSiteName: a name]                   NtVersion has WITH_CLOSEST_SITE
 *	NtVersion u32, LmNtToken u16 (0xFFFF), Lm20Token u16 (0xFFFF)
 *
 * Which optional fields are there is only known from NtVersion, so the
 * decoder reads the fixed-size trailer first, as Windows and Samba do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../common/log.h"
#include "../common/xmalloc.h"
#include "dn.h"
#include "netlogon.h"

/* Opcode, Sbz, Flags and DomainGuid: where the names begin. */
#define HEADER 24
/* NtVersion, LmNtToken, Lm20Token. */
#define TRAILER 8
/* LmNtToken and Lm20Token (MS-ADTS: "MUST be set to 0xFFFF"). */
#define LM_TOKEN 0xffff
/* The longest name (RFC 1035 section 2.3.4), as text here. */
#define MAX_NAME 255
/* A pointer's first octet has its two top bits set (RFC 1035 section 4.1.4). */
#define POINTER 0xc0
/* DcSockAddr is a Windows SOCKADDR_IN: family 2 (AF_INET), port, address, 8 zeros. */
#define SOCKADDR_IN_FAMILY 2
#define SOCKADDR_IN_MIN 8
#define SOCKADDR_IN_SIZE 16

/* The eight names every answer has, in order, and where they go. */
static const struct {
	const char *field;
	size_t offset;
} names[] = {
    {"DnsForestName", offsetof(struct dir_netlogon, forest)},
    {"DnsDomainName", offsetof(struct dir_netlogon, domain)},
    {"DnsHostName", offsetof(struct dir_netlogon, host)},
    {"NetbiosDomainName", offsetof(struct dir_netlogon, netbios_domain)},
    {"NetbiosComputerName", offsetof(struct dir_netlogon, netbios_host)},
    {"UserName", offsetof(struct dir_netlogon, user)},
    {"DcSiteName", offsetof(struct dir_netlogon, dc_site)},
    {"ClientSiteName", offsetof(struct dir_netlogon, client_site)},
};

/* The message being read. */
struct reader {
	const uint8_t *msg;
	size_t len;  /* all of it: compression pointers count from its start */
	size_t end;  /* where the trailer begins: fields end here */
	size_t pos;  /* the next field */
	char *cause; /* why it failed */
};

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int fail(struct reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Say why the answer is rejected and return ERR. The first reason wins;
 * reasons are short (an escaped label at most), so a buffer holds them.
 */
static int
fail(struct reader *r, int err, const char *fmt, ...)
{
	char cause[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	if (r->cause == NULL)
		r->cause = xstrdup(cause);
	return err;
}

/*
 * The opcode, the length, the trailer and the fixed header. Only an _EX
 * answer is read; an older one is told apart by its opcode.
 */
static int
read_frame(struct reader *r, struct dir_netlogon *n)
{
	uint16_t opcode;

	if (r->len < 2)
		return fail(r, -EBADMSG, "a NETLOGON answer of %zu octets has no opcode", r->len);
	opcode = le16(r->msg);
	switch (opcode) {
	case DIR_LOGON_SAM_LOGON_RESPONSE_EX:
	case DIR_LOGON_SAM_PAUSE_RESPONSE_EX:
	case DIR_LOGON_SAM_USER_UNKNOWN_EX:
		break;
	case 19: /* LOGON_SAM_LOGON_RESPONSE, and 20, 21 its pause and user-unknown forms */
	case 20:
	case 21:
		return fail(r, -EPROTONOSUPPORT,
		            "opcode %u: an older NETLOGON_SAM_LOGON_RESPONSE, not the _EX one; "
		            "the ping must ask with NtVer V5EX",
		            opcode);
	default:
		return fail(r, -EBADMSG, "opcode %u is no LDAP ping answer", opcode);
	}
	if (r->len < HEADER + ARRAY_LEN(names) + TRAILER)
		return fail(r, -EBADMSG, "truncated: %zu octets, an answer has at least %zu",
		            r->len, HEADER + ARRAY_LEN(names) + TRAILER);
	r->end = r->len - TRAILER;
	if (le16(r->msg + r->end + 4) != LM_TOKEN || le16(r->msg + r->end + 6) != LM_TOKEN)
		return fail(r, -EBADMSG, "LmNtToken and Lm20Token are not 0xFFFF: misframed");
	n->nt_version = le32(r->msg + r->end);
	if (!(n->nt_version & DIR_NT_VERSION_5EX))
		return fail(r, -EBADMSG, "NtVersion 0x%08x lacks V5EX", (unsigned)n->nt_version);
	/* Sbz is not checked: a reserved field may be used one day. */
	n->opcode = (enum dir_netlogon_opcode)opcode;
	n->flags = le32(r->msg + 4);
	memcpy(n->domain_guid, r->msg + 8, sizeof(n->domain_guid));
	r->pos = HEADER;
	return 0;
}

/* Append the LEN-octet label at P to the name TEXT of *N octets, or fail. */
static int
add_label(struct reader *r, const char *field, char *text, size_t *n, const uint8_t *p, size_t len)
{
	if (*n + (*n > 0) + len > MAX_NAME)
		return fail(r, -EBADMSG, "%s is longer than %d octets", field, MAX_NAME);
	if (memchr(p, '.', len) != NULL || !dir_text_valid((const char *)p, len))
		return fail(r, -EBADMSG, "%s: label %s is not text", field, log_esc_mem(p, len).s);
	if (*n > 0)
		text[(*n)++] = '.';
	memcpy(text + *n, p, len);
	*n += len;
	return 0;
}

/*
 * One name at r->pos: labels ended by an empty one or by a pointer to
 * where the rest of the name was written before. A pointer must point
 * into the names and strictly before the run of labels that holds it, and
 * what it points to must end before that run began, as it does when an
 * encoder points back to a name it wrote earlier. Runs so start ever
 * further back, which bounds the jumps, and every read stays below the
 * message's trailer.
 */
static char *
read_name(struct reader *r, const char *field)
{
	char text[MAX_NAME + 1];
	size_t n = 0, at = r->pos, run = r->pos, limit = r->end;
	int jumped = 0;

	for (;;) {
		size_t c, target;

		if (at >= limit) {
			(void)fail(r, -EBADMSG, "%s runs past its end", field);
			return NULL;
		}
		c = r->msg[at];
		if (c == 0)
			break;
		if ((c & POINTER) == POINTER) {
			if (at + 1 >= limit) {
				(void)fail(r, -EBADMSG, "%s: a compression pointer is cut off",
				           field);
				return NULL;
			}
			target = (c & ~(size_t)POINTER) << 8 | r->msg[at + 1];
			if (target < HEADER || target >= run) {
				(void)fail(r, -EBADMSG,
				           "%s: the compression pointer at %zu points to %zu, "
				           "not back to an earlier name",
				           field, at, target);
				return NULL;
			}
			if (!jumped)
				r->pos = at + 2;
			jumped = 1;
			limit = run;
			run = at = target;
			continue;
		}
		if (c & POINTER) {
			(void)fail(r, -EBADMSG, "%s: label type 0x%02zx is reserved", field,
			           c & POINTER);
			return NULL;
		}
		if (c > limit - at - 1) {
			(void)fail(r, -EBADMSG, "%s: a label runs past its end", field);
			return NULL;
		}
		if (add_label(r, field, text, &n, r->msg + at + 1, c) < 0)
			return NULL;
		at += 1 + c;
	}
	if (!jumped)
		r->pos = at + 1;
	text[n] = '\0';
	return xstrdup(text);
}

static int
read_names(struct reader *r, struct dir_netlogon *n)
{
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *s = read_name(r, names[i].field);

		if (s == NULL)
			return -EBADMSG;
		*(char **)((char *)n + names[i].offset) = s;
	}
	return 0;
}

/* DcSockAddrSize and DcSockAddr: the DC's IPv4 address. */
static int
read_sockaddr(struct reader *r, struct dir_netlogon *n)
{
	const uint8_t *p;
	size_t size;

	if (r->pos >= r->end)
		return fail(r, -EBADMSG, "DcSockAddrSize is missing");
	size = r->msg[r->pos];
	if (size < SOCKADDR_IN_MIN || size > SOCKADDR_IN_SIZE)
		return fail(r, -EBADMSG, "DcSockAddrSize %zu is no sockaddr_in's", size);
	if (size > r->end - r->pos - 1)
		return fail(r, -EBADMSG, "DcSockAddr runs past its end");
	p = r->msg + r->pos + 1;
	if (le16(p) != SOCKADDR_IN_FAMILY)
		return fail(r, -EBADMSG, "DcSockAddr has family %u, not AF_INET", le16(p));
	memcpy(n->address, p + 4, sizeof(n->address));
	n->has_address = 1;
	r->pos += 1 + size;
	return 0;
}

/* The optional fields NtVersion announces; nothing may be left over. */
static int
read_tail(struct reader *r, struct dir_netlogon *n)
{
	if ((n->nt_version & DIR_NT_VERSION_5EX_WITH_IP) && read_sockaddr(r, n) < 0)
		return -EBADMSG;
	if ((n->nt_version & DIR_NT_VERSION_WITH_CLOSEST_SITE) &&
	    (n->next_closest_site = read_name(r, "NextClosestSiteName")) == NULL)
		return -EBADMSG;
	if (r->pos != r->end)
		return fail(r, -EBADMSG, "%zu octets before NtVersion belong to no field",
		            r->end - r->pos);
	return 0;
}

int
dir_netlogon_decode(const uint8_t *buf, size_t len, struct dir_netlogon *ret, char **ret_cause)
{
	struct reader r = {.msg = buf, .len = len};
	struct dir_netlogon n = {0};
	int err = read_frame(&r, &n);

	if (err == 0)
		err = read_names(&r, &n);
	if (err == 0)
		err = read_tail(&r, &n);
	if (err != 0) {
		dir_netlogon_clear(&n);
		if (ret_cause != NULL)
			*ret_cause = r.cause;
		else
			free(r.cause);
		return err;
	}
	*ret = n;
	return 0;
}

void
dir_netlogon_clear(struct dir_netlogon *n)
{
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		free(*(char **)((char *)n + names[i].offset));
	free(n->next_closest_site);
	*n = (struct dir_netlogon){0};
}

/* Append S to P as an RFC 4515 assertion value, escaping all that is not plain printable ASCII. */
static char *
put_value(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c < 0x20 || *c >= 0x7f || strchr("*()\\", *c) != NULL) {
			*p++ = '\\';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 0xf];
		} else {
			*p++ = (char)*c;
		}
	}
	return p;
}

char *
dir_netlogon_filter(const struct dir_ping_request *req)
{
	const struct {
		const char *attr, *value;
	} fields[] = {
	    {"DnsDomain", req->dns_domain},
	    {"Host", req->host},
	    {"DnsHostName", req->dns_host},
	    {"User", req->user},
	};
	/* "(&" ... "(NtVer=\hh\hh\hh\hh))" and the NUL; each value octet takes at most 3. */
	size_t size = sizeof("(&(NtVer=\\00\\00\\00\\00))");
	uint32_t v = req->nt_version;
	char *filter, *p;

	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		if (fields[i].value != NULL)
			size +=
			    strlen("()=") + strlen(fields[i].attr) + 3 * strlen(fields[i].value);
	p = filter = xmalloc(size);
	p += sprintf(p, "(&");
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		if (fields[i].value == NULL)
			continue;
		p += sprintf(p, "(%s=", fields[i].attr);
		p = put_value(p, fields[i].value);
		*p++ = ')';
	}
	sprintf(p, "(NtVer=\\%02x\\%02x\\%02x\\%02x))", (unsigned)(v & 0xff),
	        (unsigned)(v >> 8 & 0xff), (unsigned)(v >> 16 & 0xff), (unsigned)(v >> 24));
	return filter;
}
