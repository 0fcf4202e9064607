/*
 * array.h - the number of elements of an array (not of a pointer).
 */
#ifndef DOMTIMED_ARRAY_H
#define DOMTIMED_ARRAY_H

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
