/*
 * loop.c - libevent calls under one failure rule (see loop.h).
 */
#include "loop.h"

#include <math.h>

#include "log.h"

struct timeval
loop_tv(double seconds)
{
	double whole;

	if (!(seconds > 0))
		seconds = 0;
	whole = floor(seconds);
	return (struct timeval){.tv_sec = (time_t)whole,
	                        .tv_usec = (suseconds_t)((seconds - whole) * 1e6)};
}

struct event *
loop_event_new(struct event_base *base, evutil_socket_t fd, short what, event_callback_fn cb,
               void *arg)
{
	struct event *ev = event_new(base, fd, what, cb, arg);

	if (ev == NULL)
		fatalx("out of memory creating an event");
	return ev;
}

struct event *
loop_timer_new(struct event_base *base, event_callback_fn cb, void *arg)
{
	return loop_event_new(base, -1, 0, cb, arg);
}

void
loop_arm(struct event *ev, double seconds)
{
	struct timeval tv = loop_tv(seconds);

	if (event_add(ev, &tv) != 0)
		fatalx("cannot arm a timer for %.6f s", seconds);
}

int
loop_watch(struct event *ev)
{
	return event_add(ev, NULL) == 0 ? 0 : -1;
}

void
loop_event_free(struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
}
