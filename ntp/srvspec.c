/*
 * srvspec.c - parsing W32Time-style server lists.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "srvspec.h"

/* Host names: letters, digits, '-', '.', '_' (SRV-style labels); IPv6 literals add ':'. */
static int
valid_host(const char *h, int bracketed)
{
	if (*h == '\0' || strlen(h) > NTP_SRVSPEC_MAX_HOST)
		return 0;
	for (const char *c = h; *c; c++) {
		if (isalnum((unsigned char)*c) || *c == '-' || *c == '.' || *c == '_')
			continue;
		if (bracketed && (*c == ':' || *c == '%'))
			continue;
		return 0;
	}
	return 1;
}

static int
parse_number(const char *s, int base, unsigned long max, unsigned long *ret)
{
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*ret = strtoul(s, &end, base);
	return *end != '\0' || errno != 0 || *ret > max ? -1 : 0;
}

/* One entry "HOST[:PORT][,0xFLAGS]" or "[V6][:PORT][,0xFLAGS]", modified in place. */
static int
parse_entry(char *e, struct ntp_srvspec *ret)
{
	char *flags = strchr(e, ','), *host = e, *port = NULL;
	unsigned long n;
	int bracketed = 0;

	*ret = (struct ntp_srvspec){.port = 123, .flags = 0};
	if (flags != NULL) {
		*flags++ = '\0';
		/* W32Time writes hexadecimal with 0x; plain decimal is accepted too. */
		if (parse_number(flags, 0, NTP_SRVSPEC_FLAGS_MASK, &n) < 0)
			return -1;
		ret->flags = (unsigned)n;
	}
	if (*host == '[') {
		char *close = strchr(host, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		*close = '\0';
		host++;
		bracketed = 1;
		if (close[1] == ':')
			port = close + 2;
	} else {
		port = strchr(host, ':');
		if (port != NULL)
			*port++ = '\0';
	}
	if (port != NULL) {
		if (parse_number(port, 10, 65535, &n) < 0 || n == 0)
			return -1;
		ret->port = (int)n;
	}
	if (!valid_host(host, bracketed))
		return -1;
	strcpy(ret->host, host);
	return 0;
}

int
ntp_srvspec_parse(const char *text, struct ntp_srvspec **ret, char **ret_cause)
{
	char *copy = xstrdup(text), *save = NULL;
	struct ntp_srvspec *v = NULL;
	int n = 0;

	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *orig = xstrdup(tok);

		v = xreallocarray(v, (size_t)n + 1, sizeof(*v));
		if (parse_entry(tok, &v[n]) < 0) {
			*ret_cause = xasprintf("bad server '%s': expected HOST[:PORT][,0xFLAGS] "
			                       "(flags 0x1-0xf), IPv6 in brackets",
			                       log_esc(orig).s);
			free(orig);
			free(copy);
			free(v);
			return -1;
		}
		free(orig);
		n++;
	}
	free(copy);
	*ret = v;
	return n;
}
