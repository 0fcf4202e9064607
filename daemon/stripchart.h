/*
 * stripchart.h - domtimectl stripchart: measure a server directly, as
 * w32tm /stripchart does, without the daemon.
 */
#ifndef DOMTIMED_STRIPCHART_H
#define DOMTIMED_STRIPCHART_H

/* ARGV[0] is "stripchart". Returns the exit status. */
int stripchart_main(int argc, char **argv, int json);

#endif
