/*
 * fuzz_netlogon.c - the LDAP ping answer decoder over whatever a DC, or
 * anyone on the path of a CLDAP datagram, sends: never a crash or a read
 * out of bounds, always the same verdict, and on success only fields that
 * keep the documented promises. The same bytes, split at NULs, also make
 * a ping request whose filter must be printable, balanced and escaped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ldap/dn.h"
#include "../../ldap/netlogon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *s)
{
	size_t len;

	if (s == NULL)
		abort();
	len = strlen(s);
	if (len > 255 || !dir_text_valid(s, len))
		abort();
	/* Labels are never empty: dots neither lead, trail nor double. */
	if (len > 0 && (s[0] == '.' || s[len - 1] == '.' || strstr(s, "..") != NULL))
		abort();
}

static void
check_answer(const struct dir_netlogon *n)
{
	const char *names[] = {n->forest,       n->domain, n->host,    n->netbios_domain,
	                       n->netbios_host, n->user,   n->dc_site, n->client_site};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_name(names[i]);
	if (n->opcode < DIR_LOGON_SAM_LOGON_RESPONSE_EX ||
	    n->opcode > DIR_LOGON_SAM_USER_UNKNOWN_EX)
		abort();
	if (!(n->nt_version & DIR_NT_VERSION_5EX))
		abort();
	if ((n->next_closest_site != NULL) !=
	        !!(n->nt_version & DIR_NT_VERSION_WITH_CLOSEST_SITE) ||
	    n->has_address != !!(n->nt_version & DIR_NT_VERSION_5EX_WITH_IP))
		abort();
	if (n->next_closest_site != NULL)
		check_name(n->next_closest_site);
}

static int
same(const struct dir_netlogon *a, const struct dir_netlogon *b)
{
	const char *x[] = {a->forest,       a->domain, a->host,    a->netbios_domain,
	                   a->netbios_host, a->user,   a->dc_site, a->client_site};
	const char *y[] = {b->forest,       b->domain, b->host,    b->netbios_domain,
	                   b->netbios_host, b->user,   b->dc_site, b->client_site};

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (strcmp(x[i], y[i]) != 0)
			return 0;
	return a->opcode == b->opcode && a->flags == b->flags &&
	       memcmp(a->domain_guid, b->domain_guid, sizeof(a->domain_guid)) == 0 &&
	       a->nt_version == b->nt_version && a->has_address == b->has_address &&
	       memcmp(a->address, b->address, sizeof(a->address)) == 0 &&
	       (a->next_closest_site == NULL) == (b->next_closest_site == NULL) &&
	       (a->next_closest_site == NULL ||
	        strcmp(a->next_closest_site, b->next_closest_site) == 0);
}

static void
check_decode(const uint8_t *data, size_t size)
{
	struct dir_netlogon a, b;
	char *cause = NULL, *again = NULL;
	int err = dir_netlogon_decode(data, size, &a, &cause);

	if (err != dir_netlogon_decode(data, size, &b, &again))
		abort();
	if (err != 0) {
		if ((err != -EBADMSG && err != -EPROTONOSUPPORT) || cause == NULL ||
		    again == NULL || strcmp(cause, again) != 0)
			abort();
		free(cause);
		free(again);
		return;
	}
	if (cause != NULL || again != NULL)
		abort();
	check_answer(&a);
	if (!same(&a, &b))
		abort();
	dir_netlogon_clear(&a);
	dir_netlogon_clear(&b);
}

/* The NUL-separated strings of the input as a ping request. */
static void
check_filter(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *strings[4] = {0}, *filter;
	struct dir_ping_request req;
	size_t n = 0;
	int depth = 0;

	if (copy == NULL)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; n < 4 && p <= copy + size; p += strlen(p) + 1)
		strings[n++] = p;
	req = (struct dir_ping_request){strings[0], strings[1], strings[2], strings[3],
	                                size >= 4 ? (uint32_t)data[0] << 24 | data[size - 1] : 0};
	filter = dir_netlogon_filter(&req);
	for (const char *p = filter; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || depth < 0)
			abort();
		/* Unescaped parentheses are the filter's own, and nest. */
		depth += (*p == '(') - (*p == ')');
	}
	if (depth != 0 || strncmp(filter, "(&", 2) != 0 || strstr(filter, "(NtVer=\\") == NULL)
		abort();
	free(filter);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_decode(data, size);
	check_filter(data, size);
	return 0;
}
