/*
 * loop.h - one rule for libevent failures, and seconds as a timeval.
 *
 * The rule (every module follows it):
 * - Creating an event (event_new, evtimer_new) fails only when memory runs
 *   out, so it is treated like xmalloc: loop_event_new() and loop_timer_new()
 *   abort with a message and never return NULL.
 * - Arming a timer (event_add with a timeout) fails only on a programming
 *   error (an event not created, a negative timeout), so loop_arm() aborts
 *   too: an unarmed poll or retry timer would stop the daemon's time keeping
 *   silently, which is worse than a crash the supervisor restarts.
 * - Adding a file descriptor (event_add without a timeout) can fail for
 *   reasons outside the program (epoll_ctl: ENOMEM, ENOSPC): loop_watch()
 *   returns -1 and the caller handles it like any other I/O error.
 */
#ifndef DOMTIMED_LOOP_H
#define DOMTIMED_LOOP_H

#include <event2/event.h>
#include <sys/time.h>

/* SECONDS (>= 0, fractions kept to the microsecond) as a timeval. */
struct timeval loop_tv(double seconds);

struct event *loop_event_new(struct event_base *base, evutil_socket_t fd, short what,
                             event_callback_fn cb, void *arg);
struct event *loop_timer_new(struct event_base *base, event_callback_fn cb, void *arg);
/* (Re)arm EV to fire in SECONDS; for EV_PERSIST events, every SECONDS. */
void loop_arm(struct event *ev, double seconds);
/* Start watching EV's descriptor; 0, or -1 when the kernel refused. */
int loop_watch(struct event *ev);
/* Disarm and free EV (NULL is fine) and clear the caller's pointer. */
void loop_event_free(struct event **ev);

#endif
