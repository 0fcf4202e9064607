/*
 * log.c - logging to stderr (time-stamped), the journal or syslog, with
 * escaping of untrusted strings.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
/* The location would always be this file: leave CODE_FILE and CODE_LINE out. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

const char *const log_level_names[] = {
    [LOG_LVL_ERROR] = "error", [LOG_LVL_WARNING] = "warning", [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug", [LOG_LVL_DEBUG + 1] = NULL,
};

static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

/* Where journald takes native messages; no socket, no journal (syslog then). */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static struct {
	int to_stderr;
	int journal; /* the journal is there: events go to it with their MESSAGE_ID */
	enum log_level level;
	const char *ident;
} logger = {1, 0, LOG_LVL_INFO, "domtimed"};

void
log_open(const char *ident, int to_stderr, enum log_level level)
{
	logger.ident = ident;
	logger.to_stderr = to_stderr;
	logger.level = level;
	logger.journal = !to_stderr && access(JOURNAL_SOCKET, W_OK) == 0;
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

/*
 * A line on stderr starts with the time: the machine's wall clock, read
 * directly. Log time is for lining up with other logs on this machine, so
 * it is deliberately not the clock the daemon disciplines (which may be a
 * virtual one).
 */
static void
stderr_line(enum log_level level, const char *line)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", stamp, ts.tv_nsec / 1000000, logger.ident,
	        log_level_name(level), line);
}

/* An event to the journal with its message ID; 0, or < 0 when it would not take it. */
static int
journal_line(enum log_level level, const char *msgid, const char *line)
{
	return sd_journal_send("MESSAGE=%s", line, "MESSAGE_ID=%s", msgid, "PRIORITY=%d",
	                       syslog_prio[level], "SYSLOG_IDENTIFIER=%s", logger.ident, NULL);
}

static void __attribute__((format(printf, 3, 0)))
log_vmsg(enum log_level level, const char *msgid, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char line[1024];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (logger.to_stderr)
		stderr_line(level, line);
	else if (msgid == NULL || !logger.journal || journal_line(level, msgid, line) < 0)
		syslog(syslog_prio[level], "%s", line);
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

void
log_event(enum log_level level, const char *msgid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, msgid, fmt, ap);
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
	log_vmsg(LOG_LVL_ERROR, NULL, fmt, ap);
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
