/*
 * packet.h - NTP packet codec (RFC 5905 header, RFC 7822 extension fields).
 *
 * Pure functions: no I/O, no clock. Decoding is a validation ladder that
 * returns the first reason a datagram is not a well-formed NTP packet; what
 * a well-formed packet *means* (mode, leap, origin...) is for the caller.
 */
#ifndef DOMTIMED_NTP_PACKET_H
#define DOMTIMED_NTP_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define NTP_HEADER_LEN 48
/* Largest datagram we accept; NTS requests with cookies stay well below. */
#define NTP_MAX_PACKET_LEN 1024
#define NTP_MIN_EF_LEN 16
/* Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
#define NTP_UNIX_EPOCH_DELTA 2208988800LL

enum ntp_leap {
	NTP_LEAP_NONE = 0,
	NTP_LEAP_INSERT = 1,
	NTP_LEAP_DELETE = 2,
	NTP_LEAP_UNSYNC = 3, /* alarm: clock not synchronised */
};

enum ntp_mode {
	NTP_MODE_RESERVED = 0,
	NTP_MODE_SYM_ACTIVE = 1,
	NTP_MODE_SYM_PASSIVE = 2,
	NTP_MODE_CLIENT = 3,
	NTP_MODE_SERVER = 4,
	NTP_MODE_BROADCAST = 5,
	NTP_MODE_CONTROL = 6,
	NTP_MODE_PRIVATE = 7,
};

/* The 48-octet header, fields in host order, formats as on the wire. */
struct ntp_packet {
	uint8_t leap;             /* enum ntp_leap */
	uint8_t version;          /* 1-4 after a successful decode */
	uint8_t mode;             /* enum ntp_mode */
	uint8_t stratum;          /* 0 unspecified/KoD, 1 primary, 2-15, 16 unsync */
	int8_t poll;              /* log2 seconds */
	int8_t precision;         /* log2 seconds */
	uint32_t root_delay;      /* NTP short format (16.16 s) */
	uint32_t root_dispersion; /* NTP short format (16.16 s) */
	uint32_t refid;           /* the four octets, big-endian as a number */
	uint64_t reference;       /* NTP timestamps (32.32 s since the era start) */
	uint64_t origin;
	uint64_t receive;
	uint64_t transmit;
};

/* What follows the header, as the length rules of RFC 7822 split it. */
struct ntp_trailer {
	unsigned n_ef;   /* number of extension fields */
	size_t ef_len;   /* their total length in octets */
	size_t mac_len;  /* MAC length including the key id; 0 = no MAC */
	uint32_t key_id; /* first four octets of the MAC, when there is one */
};

enum ntp_decode_status {
	NTP_DECODE_OK,
	NTP_DECODE_SHORT,       /* fewer than 48 octets */
	NTP_DECODE_OVERSIZED,   /* more than NTP_MAX_PACKET_LEN */
	NTP_DECODE_BAD_VERSION, /* version 0 or above 4 */
	NTP_DECODE_BAD_EF,      /* extension field too short, unaligned or overrunning */
	NTP_DECODE_BAD_TRAILER, /* neither extension fields nor a MAC (e.g. a truncated MAC) */
	NTP_DECODE_N_STATUS
};

/*
 * Decode LEN octets at BUF. On NTP_DECODE_OK fills *RET_PKT and, when not
 * NULL, *RET_TRAILER. Never reads beyond BUF + LEN whatever the length
 * fields inside claim.
 */
enum ntp_decode_status ntp_decode(const uint8_t *buf, size_t len, struct ntp_packet *ret_pkt,
                                  struct ntp_trailer *ret_trailer);
/* Short stable name for a status, e.g. "bad-version"; used as a counter name. */
const char *ntp_decode_status_name(enum ntp_decode_status status);

/* Write the 48-octet header of PKT to OUT. */
void ntp_encode(const struct ntp_packet *pkt, uint8_t out[NTP_HEADER_LEN]);

/* Unix time -> NTP timestamp (era-less: seconds modulo 2^32). */
uint64_t ntp_ts_from_timespec(const struct timespec *ts);
/*
 * NTP timestamp -> Unix time in the era that puts it closest to PIVOT, so
 * times after 2036-02-07 (era 1) come out right.
 */
void ntp_ts_to_timespec(uint64_t ntp, const struct timespec *pivot, struct timespec *ret);

/* NTP short format <-> seconds; encoding clamps to [0, 65535.99998]. */
double ntp_short_to_double(uint32_t s);
uint32_t ntp_short_from_double(double seconds);

/* Reference identifier from four ASCII characters, e.g. "LOCL", "RATE". */
uint32_t ntp_refid_from_string(const char *code);
/* The refid as text: a dotted IPv4 address or, if all printable, the code. */
void ntp_refid_format(uint32_t refid, int stratum, char *buf, size_t size);

/*
 * The refid a server synchronised to ADDR announces: an IPv4 address itself,
 * or the first four octets of the MD5 hash of an IPv6 address (RFC 5905).
 */
uint32_t ntp_refid_of_address(const struct sockaddr *addr);

/*
 * On-wire offset and delay (RFC 5905 8) of REPLY to a request sent at T1 and
 * received at T4 (our clock): offset = ((T2 - T1) + (T3 - T4)) / 2, delay =
 * (T4 - T1) - (T3 - T2), and the server's own time T3 - T2.
 */
void ntp_onwire(const struct timespec *t1, const struct ntp_packet *reply,
                const struct timespec *t4, double *ret_offset, double *ret_delay,
                double *ret_server_time);

/* log2 of an interval in seconds, rounded towards -infinity, clamped to int8. */
int8_t ntp_log2_of(double seconds);

#endif
