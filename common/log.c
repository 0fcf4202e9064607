/*
 * log.c - logging to stderr or syslog, with escaping of untrusted strings.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

const char *const log_level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
	[LOG_LVL_DEBUG + 1] = NULL,
};

static struct {
	int to_stderr;
	enum log_level level;
	const char *ident;
} logger = {1, LOG_LVL_INFO, "domtimed"};

void
log_open(const char *ident, int to_stderr, enum log_level level)
{
	logger.ident = ident;
	logger.to_stderr = to_stderr;
	logger.level = level;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_close(void)
{
	if (!logger.to_stderr)
		closelog();
}

void
log_set_level(enum log_level level)
{
	logger.level = level;
}

int
log_enabled(enum log_level level)
{
	return level <= logger.level;
}

const char *
log_level_name(enum log_level level)
{
	return enum_name(log_level_names, LOG_LVL_DEBUG + 1, (unsigned)level);
}

int
log_level_from_name(const char *name)
{
	for (size_t i = 0; log_level_names[i] != NULL; i++)
		if (strcasecmp(name, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

static void __attribute__((format(printf, 2, 0)))
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	int saved_errno = errno;
	char line[1024];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (logger.to_stderr)
		fprintf(stderr, "%s[%s]: %s\n", logger.ident, log_level_name(level), line);
	else
		syslog(syslog_prio[level], "%s", line);
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char msg[768];
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s: %s", msg, strerror(saved_errno));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

struct log_escaped
log_esc_mem(const void *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	struct log_escaped e;
	/* Room for the longest escape (4) plus "..." and the NUL. */
	const size_t limit = sizeof(e.s) - 4 - 4;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (o >= limit) {
			memcpy(e.s + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\\') {
			e.s[o++] = '\\';
			e.s[o++] = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			e.s[o++] = (char)c;
		} else {
			e.s[o++] = '\\';
			e.s[o++] = 'x';
			e.s[o++] = hex[c >> 4];
			e.s[o++] = hex[c & 0xf];
		}
	}
	e.s[o] = '\0';
	return e;
}

struct log_escaped
log_esc(const char *s)
{
	if (s == NULL)
		return log_esc_mem("(null)", 6);
	return log_esc_mem(s, strlen(s));
}
