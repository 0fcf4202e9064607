/*
 * log.h - one small logging API for every module.
 *
 * Lines go to stderr (foreground, -d; each starts with the time) or syslog;
 * events (log_event) go to the journal with a message ID when it is there. Library-like code
 * (packet decoding, selection, hierarchy rules) logs at most at debug level; the daemon logs once
 * where it handles an error.
 *
 * Strings that come from the network, the directory or the configuration are
 * untrusted: pass them through log_esc() so a hostile value cannot forge log
 * lines or terminal escapes.
 */
#ifndef DOMTIMED_LOG_H
#define DOMTIMED_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Start logging as IDENT, to stderr when TO_STDERR, else to syslog. */
void log_open(const char *ident, int to_stderr, enum log_level level);
void log_close(void);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);
/* The names, by enum log_level ("error", ...); NULL after the last. */
extern const char *const log_level_names[];
/* Name of a level ("error", ...), and the reverse; -1 when unknown. */
const char *log_level_name(enum log_level level);
int log_level_from_name(const char *name);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A state change an admin may search or alert on: logged like log_msg, and
 * in the journal (when there is one) with MESSAGE_ID=MSGID, 32 hex digits
 * that never change meaning (journalctl MESSAGE_ID=...).
 */
void log_event(enum log_level level, const char *msgid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log at error level and exit(1); fatal() appends strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define log_err(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
/* Checks the level first so disabled debug lines cost no formatting. */
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_enabled(LOG_LVL_DEBUG))                                                    \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                       \
	} while (0)

/*
 * An escaped copy of an untrusted string, by value, so it lives until the end
 * of the full expression that uses it: log_warn("bad %s", log_esc(s).s).
 * Printable ASCII passes (backslash doubled); everything else becomes \xNN.
 * Long values are cut and end in "...". NULL prints as "(null)".
 */
struct log_escaped {
	char s[384];
};
struct log_escaped log_esc(const char *s);
/* The same for a byte buffer of known length (may contain NULs). */
struct log_escaped log_esc_mem(const void *p, size_t len);

#endif
