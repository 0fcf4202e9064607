/*
 * clock.h - the clock backends: the one place time is read and steered.
 *
 * "system" is the kernel's CLOCK_REALTIME, steered with clock_adjtime().
 * "virtual" is a user-space clock defined by an initial offset and a
 * frequency error relative to CLOCK_REALTIME, steered through the same calls
 * with the same limits, so several daemons can share one test machine and a
 * test can read each clock's true error. Nothing outside this module reads
 * CLOCK_REALTIME.
 *
 * Steering is frequency and step only: the discipline slews a phase error by
 * running the clock fast or slow for a while, exactly as on the system clock.
 */
#ifndef DOMTIMED_NTP_CLOCK_H
#define DOMTIMED_NTP_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Largest frequency correction a backend applies, in ppm (1/12, as chrony's
 * default maximum slew rate). The kernel reaches it with ADJ_TICK.
 */
#define CLK_MAX_FREQ_PPM 83333.0

enum clk_kind {
	CLK_SYSTEM,
	CLK_VIRTUAL,
};

struct clk;

/* The kernel clock. Reads its current frequency; changes nothing. */
int clk_new_system(struct clk **ret);
/*
 * A virtual clock that starts OFFSET seconds ahead of CLOCK_REALTIME and
 * runs FREQ_ERROR_PPM fast (negative: slow) before any correction.
 */
struct clk *clk_new_virtual(double offset, double freq_error_ppm);
/*
 * The same virtual clock on another time base: READ(ARG, ret) gives the time
 * it counts from instead of CLOCK_REALTIME (the simulator's oscillator).
 * Kernel timestamps and clk_true_error() are then on that base too.
 */
typedef void (*clk_base_fn)(void *arg, struct timespec *ret);
struct clk *clk_new_virtual_on(clk_base_fn read, void *arg, double offset, double freq_error_ppm);
/* Free C (NULL is fine); returns NULL. */
struct clk *clk_free(struct clk *c);

enum clk_kind clk_get_kind(const struct clk *c);
const char *clk_kind_name(enum clk_kind kind);

/* The clock's time now. */
void clk_now(struct clk *c, struct timespec *ret);
/* A kernel timestamp (CLOCK_REALTIME, e.g. SO_TIMESTAMPNS) in this clock's time. */
void clk_from_kernel(struct clk *c, const struct timespec *kernel, struct timespec *ret);
/* Monotonic time for intervals (rate limits, timeouts); never stepped. */
void clk_monotonic(struct timespec *ret);
/* The same in seconds. */
double clk_monotonic_seconds(void);

/*
 * Set the frequency correction to PPM (positive: run faster), clamped to
 * +-CLK_MAX_FREQ_PPM. Returns 0 or -errno.
 */
int clk_set_freq(struct clk *c, double ppm);
/* The frequency correction in effect, in ppm. */
double clk_get_freq(const struct clk *c);
/* Step the clock by OFFSET seconds (positive: forward). Returns 0 or -errno. */
int clk_step(struct clk *c, double offset);
/*
 * Leap second at the end of the current UTC day: +1 insert, -1 delete, 0
 * cancel. The system clock leaves it to the kernel; the virtual clock applies
 * it itself when its time crosses midnight UTC.
 */
int clk_set_leap(struct clk *c, int leap);
/*
 * Tell the kernel whether the clock is synchronised and its error bounds
 * (seconds); a no-op on the virtual clock.
 */
int clk_set_sync_status(struct clk *c, int synchronised, double est_error, double max_error);

/*
 * The virtual clock's true error (its time - CLOCK_REALTIME) in seconds.
 * Returns 0, or -ENOTSUP on the system clock, whose truth nobody knows.
 */
int clk_true_error(struct clk *c, double *ret);

/* log2 of the clock's reading resolution/cost, measured (RFC 5905 precision). */
int8_t clk_measure_precision(struct clk *c);

#endif
