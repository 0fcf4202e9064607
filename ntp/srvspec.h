/*
 * srvspec.h - the W32Time NtpServer syntax: "HOST[:PORT][,0xFLAGS] ...".
 *
 * Flags as W32Time: 0x1 poll at special_poll_interval, 0x2 use only as a
 * fallback, 0x4 symmetric active mode, 0x8 client mode. Options follow as
 * more comma-separated words: "key=ID" authenticates with key ID of the
 * key file (RFC 8573); "nts" or "nts=PORT" with NTS (RFC 8915), the key
 * exchange on PORT (4460), the NTP server and port then negotiated. Pure.
 */
#ifndef DOMTIMED_NTP_SRVSPEC_H
#define DOMTIMED_NTP_SRVSPEC_H

#include <stddef.h>
#include <stdint.h>

#define NTP_SRVSPEC_FLAGS_MASK 0xfu
#define NTP_SRVSPEC_MAX_HOST 253
#define NTP_SRVSPEC_NTS_KE_PORT 4460

struct ntp_srvspec {
	char host[NTP_SRVSPEC_MAX_HOST + 1]; /* name or numeric address, no brackets */
	int port;                            /* 123 unless given */
	unsigned flags;
	uint32_t key_id; /* 0: no symmetric key */
	int nts_port;    /* NTS-KE port, 0: no NTS */
};

/*
 * Parse TEXT (space-separated entries). Returns the number of entries and an
 * allocated array in *RET (NULL when none), or -1 with an allocated
 * *RET_CAUSE naming the bad entry.
 */
int ntp_srvspec_parse(const char *text, struct ntp_srvspec **ret, char **ret_cause);

#endif
