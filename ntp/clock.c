/*
 * clock.c - system and virtual clock backends.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "../common/ts.h"
#include "../common/xmalloc.h"
#include "clock.h"

struct clk {
	enum clk_kind kind;
	double freq_ppm; /* correction in effect */

	/* system: nominal tick length in microseconds (1e6 / USER_HZ) */
	long nominal_tick;

	/*
	 * virtual: time = rt + base_offset + (rt - base_rt) * rate_ppm * 1e-6,
	 * rebased whenever the rate or the offset changes so the product
	 * stays small and exact.
	 */
	struct timespec base_rt;
	double base_offset;
	double freq_error_ppm; /* intrinsic error, never corrected by itself */
	int leap;              /* pending leap second: -1, 0, +1 */
	time_t leap_at;        /* virtual time (midnight UTC) when it takes effect */
	clk_base_fn base_fn;   /* what virtual time counts from; NULL: CLOCK_REALTIME */
	void *base_arg;
};

struct clk *
clk_free(struct clk *c)
{
	free(c);
	return NULL;
}

const char *
clk_kind_name(enum clk_kind kind)
{
	return kind == CLK_VIRTUAL ? "virtual" : "system";
}

enum clk_kind
clk_get_kind(const struct clk *c)
{
	return c->kind;
}

static void
read_realtime(struct timespec *ret)
{
	/* CLOCK_REALTIME cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_REALTIME, ret);
}

void
clk_monotonic(struct timespec *ret)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ret);
}

double
clk_monotonic_seconds(void)
{
	struct timespec ts;

	clk_monotonic(&ts);
	return ts_to_double(&ts);
}

/* ---- system ---------------------------------------------------------- */

/* Each microsecond a kernel tick is longer than nominal speeds the clock by this. */
static double
ppm_per_tick_us(const struct clk *c)
{
	return 1e6 / (double)c->nominal_tick;
}

int
clk_new_system(struct clk **ret)
{
	struct timex tx = {.modes = 0};
	long hz = sysconf(_SC_CLK_TCK);
	struct clk *c;

	if (hz <= 0)
		return -EINVAL;
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	c = xcalloc(1, sizeof(*c));
	c->kind = CLK_SYSTEM;
	c->nominal_tick = 1000000 / hz;
	c->freq_ppm =
	    (double)tx.freq / 65536.0 + (double)(tx.tick - c->nominal_tick) * ppm_per_tick_us(c);
	*ret = c;
	return 0;
}

static int
system_set_freq(struct clk *c, double ppm)
{
	long tick_delta = lround(ppm / ppm_per_tick_us(c));
	struct timex tx = {.modes = ADJ_FREQUENCY | ADJ_TICK};

	/* The tick carries the bulk; ADJ_FREQUENCY the rest (kernel limit 500 ppm). */
	tx.tick = c->nominal_tick + tick_delta;
	tx.freq = lround((ppm - (double)tick_delta * ppm_per_tick_us(c)) * 65536.0);
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	return 0;
}

static int
system_step(double offset)
{
	struct timex tx = {.modes = ADJ_SETOFFSET | ADJ_NANO};
	struct timespec d = {0, 0};

	ts_add(&d, offset);
	tx.time.tv_sec = d.tv_sec;
	tx.time.tv_usec = d.tv_nsec; /* nanoseconds with ADJ_NANO */
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	return 0;
}

static int
system_set_leap(int leap)
{
	struct timex tx = {.modes = 0};

	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	tx.modes = ADJ_STATUS;
	tx.status &= ~(STA_INS | STA_DEL);
	if (leap > 0)
		tx.status |= STA_INS;
	else if (leap < 0)
		tx.status |= STA_DEL;
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	return 0;
}

static int
system_set_sync_status(int synchronised, double est_error, double max_error)
{
	struct timex tx = {.modes = 0};

	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	tx.modes = ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR;
	if (synchronised)
		tx.status &= ~STA_UNSYNC;
	else
		tx.status |= STA_UNSYNC;
	/* The kernel keeps these in microseconds and caps maxerror at 16 s. */
	tx.esterror = lround(fmin(est_error, 16.0) * 1e6);
	tx.maxerror = lround(fmin(max_error, 16.0) * 1e6);
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	return 0;
}

/* ---- virtual --------------------------------------------------------- */

/* The time base a virtual clock counts from. */
static void
read_base(const struct clk *c, struct timespec *ret)
{
	if (c->base_fn != NULL)
		c->base_fn(c->base_arg, ret);
	else
		read_realtime(ret);
}

struct clk *
clk_new_virtual_on(clk_base_fn read, void *arg, double offset, double freq_error_ppm)
{
	struct clk *c = xcalloc(1, sizeof(*c));

	c->kind = CLK_VIRTUAL;
	c->freq_error_ppm = freq_error_ppm;
	c->base_offset = offset;
	c->base_fn = read;
	c->base_arg = arg;
	read_base(c, &c->base_rt);
	return c;
}

struct clk *
clk_new_virtual(double offset, double freq_error_ppm)
{
	return clk_new_virtual_on(NULL, NULL, offset, freq_error_ppm);
}

/* Virtual time minus kernel time at kernel time RT. */
static double
virtual_offset_at(const struct clk *c, const struct timespec *rt)
{
	double rate = (c->freq_error_ppm + c->freq_ppm) * 1e-6;

	return c->base_offset + ts_diff(rt, &c->base_rt) * rate;
}

static void
virtual_rebase(struct clk *c)
{
	struct timespec rt;

	read_base(c, &rt);
	c->base_offset = virtual_offset_at(c, &rt);
	c->base_rt = rt;
}

static void
virtual_time_at(const struct clk *c, const struct timespec *rt, struct timespec *ret)
{
	*ret = *rt;
	ts_add(ret, virtual_offset_at(c, rt));
}

/*
 * Apply a pending leap second once the virtual time reaches leap_at:
 * inserting repeats the last second of the day, so the clock goes back one
 * at midnight; deleting skips it, so the clock goes forward one at 23:59:59.
 */
static void
virtual_apply_leap(struct clk *c, const struct timespec *rt, struct timespec *now)
{
	if (c->leap == 0 || now->tv_sec < c->leap_at)
		return;
	c->base_offset = virtual_offset_at(c, rt) - (double)c->leap;
	c->base_rt = *rt;
	c->leap = 0;
	virtual_time_at(c, rt, now);
}

void
clk_now(struct clk *c, struct timespec *ret)
{
	struct timespec rt;

	if (c->kind == CLK_SYSTEM) {
		read_realtime(ret);
		return;
	}
	read_base(c, &rt);
	virtual_time_at(c, &rt, ret);
	virtual_apply_leap(c, &rt, ret);
}

void
clk_from_kernel(struct clk *c, const struct timespec *kernel, struct timespec *ret)
{
	if (c->kind == CLK_SYSTEM)
		*ret = *kernel;
	else
		virtual_time_at(c, kernel, ret);
}

/* ---- common ---------------------------------------------------------- */

int
clk_set_freq(struct clk *c, double ppm)
{
	int r;

	if (!isfinite(ppm))
		return -EINVAL;
	ppm = fmax(-CLK_MAX_FREQ_PPM, fmin(CLK_MAX_FREQ_PPM, ppm));
	if (c->kind == CLK_SYSTEM) {
		r = system_set_freq(c, ppm);
		if (r < 0)
			return r;
	} else {
		virtual_rebase(c);
	}
	c->freq_ppm = ppm;
	return 0;
}

double
clk_get_freq(const struct clk *c)
{
	return c->freq_ppm;
}

int
clk_step(struct clk *c, double offset)
{
	if (!isfinite(offset))
		return -EINVAL;
	if (c->kind == CLK_SYSTEM)
		return system_step(offset);
	virtual_rebase(c);
	c->base_offset += offset;
	return 0;
}

int
clk_set_leap(struct clk *c, int leap)
{
	struct timespec now;

	leap = leap > 0 ? 1 : leap < 0 ? -1 : 0;
	if (c->kind == CLK_SYSTEM)
		return system_set_leap(leap);
	clk_now(c, &now);
	c->leap = leap;
	/* At the end of the UTC day: an insertion at midnight repeats 23:59:59, a deletion
	 * skips it, so jumps a second earlier. */
	c->leap_at = (now.tv_sec / 86400 + 1) * 86400 - (leap < 0);
	return 0;
}

int
clk_set_sync_status(struct clk *c, int synchronised, double est_error, double max_error)
{
	if (c->kind == CLK_SYSTEM)
		return system_set_sync_status(synchronised, est_error, max_error);
	return 0;
}

int
clk_true_error(struct clk *c, double *ret)
{
	struct timespec rt, now;

	if (c->kind != CLK_VIRTUAL)
		return -ENOTSUP;
	read_base(c, &rt);
	virtual_time_at(c, &rt, &now);
	*ret = ts_diff(&now, &rt);
	return 0;
}

int8_t
clk_measure_precision(struct clk *c)
{
	struct timespec a, b;
	double best = 1.0;

	/* The smallest non-zero step between consecutive readings bounds what a
	 * timestamp can resolve (chrony and ntpd measure it the same way). */
	clk_now(c, &a);
	for (int i = 0; i < 1000; i++) {
		double d;

		clk_now(c, &b);
		d = ts_diff(&b, &a);
		if (d > 0.0 && d < best)
			best = d;
		a = b;
	}
	/* floor(log2(best)): frexp gives best = m * 2^e with m in [0.5, 1). */
	int e;

	(void)frexp(best, &e);
	return (int8_t)(e - 1 < -127 ? -127 : e - 1);
}
