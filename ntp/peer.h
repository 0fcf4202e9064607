/*
 * peer.h - one upstream NTP source: its poll schedule, its requests and the
 * checks on its answers, and the clock filter over its samples.
 *
 * Each request leaves from a fresh socket with a kernel-chosen random port,
 * connected to the server (RFC 9109), carries nothing but the mode, the
 * version and a random transmit cookie (data minimisation), and an answer is
 * used only after the RFC 5905 checks pass. Each failed check is counted
 * and named in last_error.
 */
#ifndef DOMTIMED_NTP_PEER_H
#define DOMTIMED_NTP_PEER_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "filter.h"
#include "keys.h"
#include "mssntp.h"
#include "poll.h"
#include "reference.h"

struct event_base;
struct nts_session;
struct ntp_peer;

/* Requests in a burst (start-up and resync), as chrony's iburst. */
#define NTP_PEER_BURST NTP_POLL_BURST

/* W32Time NtpServer flags. */
#define NTP_PEER_SPECIAL_INTERVAL 0x1 /* poll every special_interval seconds */
#define NTP_PEER_FALLBACK_ONLY 0x2    /* use only when every other source fails */
#define NTP_PEER_SYMMETRIC 0x4        /* ask in symmetric active mode (1) */
#define NTP_PEER_CLIENT 0x8           /* ask in client mode (3), the default */
/* Not W32Time flags: a DC of our own domain, asked with MS-SNTP when we can; */
#define NTP_PEER_MSSNTP 0x100
/* a DC of another domain, asked plainly: MS-SNTP would need the trust's key. */
#define NTP_PEER_OTHER_DOMAIN 0x200

enum ntp_peer_state {
	NTP_PEER_STARTING,       /* no answer yet */
	NTP_PEER_OK,             /* answering with usable time */
	NTP_PEER_UNSYNCHRONISED, /* answering, but leap 3 / stratum 0 or 16 */
	NTP_PEER_LOOP,           /* synchronised to us */
	NTP_PEER_UNREACHABLE,    /* no valid answer to the last 8 polls */
	NTP_PEER_DENIED,         /* sent KoD DENY or RSTR: asked again only after refused_retry */
};

struct ntp_peer_params {
	int min_poll, max_poll;  /* log2 seconds */
	double special_interval; /* seconds, with NTP_PEER_SPECIAL_INTERVAL */
	double refused_retry;    /* seconds between requests to a server that refused us */
	unsigned flags;          /* NTP_PEER_* */
	double noise;            /* timestamp noise floor for the filter, seconds */
	/*
	 * RFC 8573: KEY_ID 0 for none; else every request carries the MAC of
	 * KEY (borrowed; NULL when the key file lacks KEY_ID: nothing is sent)
	 * and answers without its right MAC are dropped.
	 */
	uint32_t key_id;
	const struct ntp_key *key;
	/* NTS (RFC 8915) instead: requests and answers go through this session (borrowed). */
	struct nts_session *nts;
	const struct mssntp_auth *auth; /* NULL: plain NTP; else MS-SNTP (mssntp.h) */
};

/* What the server said about itself in its last valid answer. */
struct ntp_peer_server {
	uint8_t leap, stratum;
	int8_t poll, precision;
	uint32_t refid;
	double root_delay, root_dispersion;
};

struct ntp_peer_stats {
	uint64_t sent, valid, spikes;
	uint64_t malformed, bogus, unsynchronised, bad_timestamps, loops, kod_rate, kod_deny;
	uint64_t
	    bad_mac; /* keyed or NTS source: answers with a missing or wrong MAC/authenticator */
};

struct ntp_peer_callbacks {
	/* A sample entered the filter (after the spike check). */
	void (*sample)(struct ntp_peer *p, void *arg);
	/* The state changed (e.g. to UNREACHABLE: time to re-resolve). */
	void (*state)(struct ntp_peer *p, enum ntp_peer_state old, void *arg);
	/* A request went out: the reach register moved on (a source may have just gone quiet). */
	void (*polled)(struct ntp_peer *p, void *arg);
};

/*
 * A peer polling ADDR on BASE, measuring with CLOCK. Sample times are
 * seconds since *EPOCH on CLOCK. *SELF is what we announce ourselves (for
 * the loop check). CLOCK, EPOCH, SELF, CB and ARG are borrowed. Polling
 * starts with a burst at once.
 */
struct ntp_peer *ntp_peer_new(struct event_base *base, struct clk *clock,
                              const struct timespec *epoch, const struct ntp_ref *self,
                              const struct sockaddr *addr, socklen_t addr_len,
                              const struct ntp_peer_params *params,
                              const struct ntp_peer_callbacks *cb, void *arg);
struct ntp_peer *ntp_peer_free(struct ntp_peer *p);

/* Send a burst of requests now (domtimectl resync), even to a server that refused us. */
void ntp_peer_burst(struct ntp_peer *p);
/*
 * The source was offered again (rediscovery, reload): a server that refused
 * us is asked again at once, unless it refused less than a poll interval ago
 * (so that a rediscovery the refusal itself set off cannot loop).
 */
void ntp_peer_reoffer(struct ntp_peer *p);
/* Our clock was stepped/re-tuned at WHEN (see ntp_flt_clock_changed). */
void ntp_peer_clock_changed(struct ntp_peer *p, double when, double dfreq, double step);
void ntp_peer_set_params(struct ntp_peer *p, const struct ntp_peer_params *params);

enum ntp_peer_state ntp_peer_state(const struct ntp_peer *p);
const char *ntp_peer_state_name(enum ntp_peer_state s);
const struct sockaddr *ntp_peer_addr(const struct ntp_peer *p, socklen_t *ret_len);
uint8_t ntp_peer_reach(const struct ntp_peer *p);
int ntp_peer_poll(const struct ntp_peer *p);
unsigned ntp_peer_flags(const struct ntp_peer *p);
/* Seconds until the next request (for a refusing server: until it is asked again). */
double ntp_peer_next_poll_in(const struct ntp_peer *p);
const struct ntp_peer_server *ntp_peer_server(const struct ntp_peer *p);
const struct ntp_peer_stats *ntp_peer_stats(const struct ntp_peer *p);
/* "mssntp" when the last answer was authenticated, else "none". */
const char *ntp_peer_auth(const struct ntp_peer *p);
/* Why the last answer was not authenticated while we asked it to be; "" otherwise. */
const char *ntp_peer_auth_reason(const struct ntp_peer *p);
/* Why the last answer was not used; "" when it was. */
const char *ntp_peer_last_error(const struct ntp_peer *p);
/* The filter's estimate for NOW (epoch seconds); 0 if it has none. */
int ntp_peer_estimate(const struct ntp_peer *p, double now, struct ntp_flt_estimate *ret);
/* Last sample's offset and delay (what w32tm shows as "LastSync"), 0 if none. */
int ntp_peer_last_sample(const struct ntp_peer *p, struct ntp_flt_sample *ret);

#endif
