/*
 * fake_ntp.h - a scripted NTP server on loopback, for unit tests that drive
 * ntp/peer.c and ntp/client.c through a real libevent base: each request it
 * receives is answered (or not) as its current mode says, with timestamps
 * read from a clock the test shares with the code under test.
 */
#ifndef DOMTIMED_TESTS_FAKE_NTP_H
#define DOMTIMED_TESTS_FAKE_NTP_H

#include <sys/socket.h>

struct clk;
struct event_base;
struct fake_ntp;

enum fake_ntp_mode {
	FAKE_NTP_GOOD,     /* a synchronised stratum 1 server with the clock's time */
	FAKE_NTP_SILENT,   /* reads the request, sends nothing */
	FAKE_NTP_KOD_RATE, /* kiss-o'-death RATE */
	FAKE_NTP_KOD_DENY, /* kiss-o'-death DENY */
	FAKE_NTP_KOD_RSTR, /* kiss-o'-death RSTR */
	FAKE_NTP_UNSYNC,   /* a valid answer from an unsynchronised server (leap 3, stratum 16) */
	FAKE_NTP_BOGUS,    /* a good answer that does not echo the request's cookie */
};

/* A server on 127.0.0.1 (kernel-chosen port) answering from CLOCK on BASE. */
struct fake_ntp *fake_ntp_new(struct event_base *base, struct clk *clock);
struct fake_ntp *fake_ntp_free(struct fake_ntp *f);

void fake_ntp_set_mode(struct fake_ntp *f, enum fake_ntp_mode mode);
const struct sockaddr *fake_ntp_addr(const struct fake_ntp *f, socklen_t *ret_len);
int fake_ntp_port(const struct fake_ntp *f);
/* Requests received so far. */
unsigned fake_ntp_requests(const struct fake_ntp *f);

/*
 * Run BASE until DONE(ARG) is true or SECONDS have passed; returns DONE's
 * last answer. The loop wakes every few milliseconds even when nothing in
 * BASE is pending, so DONE is asked often.
 */
int fake_ntp_run_until(struct event_base *base, int (*done)(void *arg), void *arg, double seconds);
/* Run BASE for SECONDS. */
void fake_ntp_run_for(struct event_base *base, double seconds);

#endif
