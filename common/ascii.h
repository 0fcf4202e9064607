/*
 * ascii.h - character classes of ASCII alone. The C library's isalpha()
 * and tolower() follow the locale; names on the wire (DNS, DNs) do not.
 */
#ifndef DOMTIMED_ASCII_H
#define DOMTIMED_ASCII_H

static inline int
ascii_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
ascii_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The value of hex digit C, or -1. */
static inline int
ascii_hex_value(char c)
{
	if (ascii_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
