/*
 * ts.h - arithmetic on struct timespec.
 *
 * Absolute times are timespecs (a double cannot hold nanoseconds since 1970);
 * differences between them are doubles in seconds, which can.
 */
#ifndef DOMTIMED_TS_H
#define DOMTIMED_TS_H

#include <math.h>
#include <stdint.h>
#include <time.h>

#define TS_NSEC_PER_SEC 1000000000L

/*
 * NTP era arithmetic, the drift file and every timespec here assume that
 * time_t holds dates past 2038; a 32-bit time_t would wrap silently.
 */
_Static_assert(sizeof(time_t) >= 8, "domtimed needs a 64-bit time_t (e.g. -D_TIME_BITS=64)");

/* A - B in seconds. */
static inline double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) * 1e-9;
}

static inline void
ts_normalise(struct timespec *ts)
{
	while (ts->tv_nsec >= TS_NSEC_PER_SEC) {
		ts->tv_nsec -= TS_NSEC_PER_SEC;
		ts->tv_sec++;
	}
	while (ts->tv_nsec < 0) {
		ts->tv_nsec += TS_NSEC_PER_SEC;
		ts->tv_sec--;
	}
}

/* TS += SECONDS, exact to the nanosecond for any |SECONDS| < 2^52 ns. */
static inline void
ts_add(struct timespec *ts, double seconds)
{
	double whole = floor(seconds);

	ts->tv_sec += (time_t)whole;
	ts->tv_nsec += (long)llround((seconds - whole) * 1e9);
	ts_normalise(ts);
}

static inline double
ts_to_double(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9;
}

#endif
