/*
 * metrics.h - every counter and gauge in the OpenMetrics text format, for
 * domtimectl metrics and for Prometheus over HTTP (metrics_listen).
 *
 * The HTTP side is libevent's evhttp on the daemon's own loop: a scrape is
 * a few hundred octets rendered from memory, so it never holds up NTP.
 */
#ifndef DOMTIMED_METRICS_H
#define DOMTIMED_METRICS_H

struct dmn;
struct event_base;
struct metrics_http;

/* The exposition text (ends in "# EOF"); the caller frees it. */
char *metrics_render(const struct dmn *d);

/*
 * Serve GET /metrics on ADDR ("ADDR:PORT", "[ADDR6]:PORT") from BASE's loop,
 * rendered from D. NULL with an allocated *RET_CAUSE when it cannot bind.
 */
struct metrics_http *metrics_http_new(struct event_base *base, const char *addr,
                                      const struct dmn *d, char **ret_cause);
struct metrics_http *metrics_http_free(struct metrics_http *m);

#endif
