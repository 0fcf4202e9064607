/*
 * packet.c - NTP packet codec.
 *
 * The header layout is RFC 5905 section 7.3. What may follow it is settled by
 * length alone (RFC 7822 section 7.5): a remainder of 4 (crypto-NAK), 20 or
 * 24 octets is a MAC; in NTPv4 anything else must be a chain of extension
 * fields of at least 16 octets, each a multiple of 4 long. NTPv3 has no
 * extension fields, but MS-SNTP (Windows domain time) sends v3 requests with
 * a 20 or 72 octet authenticator.
 */
#include <math.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../common/ts.h"
#include "../common/util.h"
#include "packet.h"

static const char *const status_names[NTP_DECODE_N_STATUS] = {
    [NTP_DECODE_OK] = "ok",
    [NTP_DECODE_SHORT] = "short",
    [NTP_DECODE_OVERSIZED] = "oversized",
    [NTP_DECODE_BAD_VERSION] = "bad-version",
    [NTP_DECODE_BAD_EF] = "bad-extension-field",
    [NTP_DECODE_BAD_TRAILER] = "bad-trailer",
};

const char *
ntp_decode_status_name(enum ntp_decode_status status)
{
	return ENUM_NAME(status_names, status);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static int
is_mac_length(unsigned version, size_t len)
{
	if (len == 4 || len == 20 || len == 24)
		return 1;
	/* MS-SNTP ExtendedAuthenticator: key id, reserved, flags, hints, 64-octet digest. */
	return version == 3 && len == 72;
}

/* Split what follows the header into extension fields and a MAC. */
static enum ntp_decode_status
decode_trailer(unsigned version, const uint8_t *p, size_t len, struct ntp_trailer *t)
{
	*t = (struct ntp_trailer){0};
	while (len > 0) {
		size_t ef_len;

		if (is_mac_length(version, len) && (version < 4 || len <= 24)) {
			t->mac_len = len;
			t->key_id = len >= 4 ? get32(p) : 0;
			return NTP_DECODE_OK;
		}
		if (version < 4 || len < NTP_MIN_EF_LEN)
			return NTP_DECODE_BAD_TRAILER;
		/* Field header: 16-bit type, 16-bit length of the whole field. */
		ef_len = (size_t)p[2] << 8 | p[3];
		if (ef_len < NTP_MIN_EF_LEN || ef_len % 4 != 0 || ef_len > len)
			return NTP_DECODE_BAD_EF;
		t->n_ef++;
		t->ef_len += ef_len;
		p += ef_len;
		len -= ef_len;
	}
	return NTP_DECODE_OK;
}

enum ntp_decode_status
ntp_decode(const uint8_t *buf, size_t len, struct ntp_packet *ret_pkt,
           struct ntp_trailer *ret_trailer)
{
	struct ntp_trailer trailer;
	struct ntp_packet pkt;
	enum ntp_decode_status status;

	if (len < NTP_HEADER_LEN)
		return NTP_DECODE_SHORT;
	if (len > NTP_MAX_PACKET_LEN)
		return NTP_DECODE_OVERSIZED;
	pkt.leap = buf[0] >> 6;
	pkt.version = (buf[0] >> 3) & 7;
	pkt.mode = buf[0] & 7;
	if (pkt.version < 1 || pkt.version > 4)
		return NTP_DECODE_BAD_VERSION;
	status = decode_trailer(pkt.version, buf + NTP_HEADER_LEN, len - NTP_HEADER_LEN, &trailer);
	if (status != NTP_DECODE_OK)
		return status;

	pkt.stratum = buf[1];
	pkt.poll = (int8_t)buf[2];
	pkt.precision = (int8_t)buf[3];
	pkt.root_delay = get32(buf + 4);
	pkt.root_dispersion = get32(buf + 8);
	pkt.refid = get32(buf + 12);
	pkt.reference = get64(buf + 16);
	pkt.origin = get64(buf + 24);
	pkt.receive = get64(buf + 32);
	pkt.transmit = get64(buf + 40);
	*ret_pkt = pkt;
	if (ret_trailer != NULL)
		*ret_trailer = trailer;
	return NTP_DECODE_OK;
}

void
ntp_encode(const struct ntp_packet *pkt, uint8_t out[NTP_HEADER_LEN])
{
	out[0] = (uint8_t)((pkt->leap & 3) << 6 | (pkt->version & 7) << 3 | (pkt->mode & 7));
	out[1] = pkt->stratum;
	out[2] = (uint8_t)pkt->poll;
	out[3] = (uint8_t)pkt->precision;
	put32(out + 4, pkt->root_delay);
	put32(out + 8, pkt->root_dispersion);
	put32(out + 12, pkt->refid);
	put64(out + 16, pkt->reference);
	put64(out + 24, pkt->origin);
	put64(out + 32, pkt->receive);
	put64(out + 40, pkt->transmit);
}

uint64_t
ntp_ts_from_timespec(const struct timespec *ts)
{
	/* Rounded 2^32 * ns / 1e9; ns < 2^30, so the product fits 64 bits. */
	uint64_t frac = (((uint64_t)ts->tv_nsec << 32) + 500000000u) / 1000000000u;
	uint64_t sec = (uint64_t)((int64_t)ts->tv_sec + NTP_UNIX_EPOCH_DELTA);

	if (frac > 0xffffffffu) {
		frac = 0;
		sec++;
	}
	return (sec & 0xffffffffu) << 32 | frac;
}

void
ntp_ts_to_timespec(uint64_t ntp, const struct timespec *pivot, struct timespec *ret)
{
	const int64_t era = (int64_t)1 << 32;
	int64_t sec = (int64_t)(ntp >> 32) - NTP_UNIX_EPOCH_DELTA;
	uint64_t frac = ntp & 0xffffffffu;
	int64_t diff = sec - (int64_t)pivot->tv_sec;

	int64_t shifted = diff + era / 2;
	/* Floor division: the number of whole eras that puts SEC within half an
	 * era (68 years) of the pivot. */
	int64_t eras = shifted >= 0 ? shifted / era : -((-shifted + era - 1) / era);

	sec -= eras * era;
	ret->tv_sec = (time_t)sec;
	ret->tv_nsec = (long)((frac * 1000000000u + ((uint64_t)1 << 31)) >> 32);
	if (ret->tv_nsec >= 1000000000L) {
		ret->tv_nsec -= 1000000000L;
		ret->tv_sec++;
	}
}

double
ntp_short_to_double(uint32_t s)
{
	return (double)s / 65536.0;
}

uint32_t
ntp_short_from_double(double seconds)
{
	if (!(seconds > 0.0))
		return 0;
	if (seconds >= 65536.0)
		return 0xffffffffu;
	return (uint32_t)ceil(seconds * 65536.0);
}

uint32_t
ntp_refid_from_string(const char *code)
{
	uint8_t b[4] = {0};

	for (size_t i = 0; i < 4 && code[i] != '\0'; i++)
		b[i] = (uint8_t)code[i];
	return get32(b);
}

void
ntp_refid_format(uint32_t refid, int stratum, char *buf, size_t size)
{
	uint8_t b[4];
	int printable = 1;

	put32(b, refid);
	for (int i = 0; i < 4; i++)
		if (b[i] != 0 && (b[i] < 0x20 || b[i] > 0x7e))
			printable = 0;
	if (stratum <= 1 && printable) {
		int n = 0;

		while (n < 4 && b[n] != 0)
			n++;
		snprintf(buf, size, "%.*s", n, (const char *)b);
	} else {
		snprintf(buf, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	}
}

void
ntp_onwire(const struct timespec *t1, const struct ntp_packet *reply, const struct timespec *t4,
           double *ret_offset, double *ret_delay, double *ret_server_time)
{
	struct timespec t2, t3;

	/* Both server stamps are read in the era nearest our send time. */
	ntp_ts_to_timespec(reply->receive, t1, &t2);
	ntp_ts_to_timespec(reply->transmit, t1, &t3);
	*ret_server_time = ts_diff(&t3, &t2);
	*ret_offset = (ts_diff(&t2, t1) + ts_diff(&t3, t4)) / 2.0;
	*ret_delay = ts_diff(t4, t1) - *ret_server_time;
}

uint32_t
ntp_refid_of_address(const struct sockaddr *addr)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (addr->sa_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr);
	if (addr->sa_family != AF_INET6)
		return 0;
	if (!EVP_Digest(&((const struct sockaddr_in6 *)addr)->sin6_addr, 16, digest, &len,
	                EVP_md5(), NULL) ||
	    len < 4)
		return 0;
	return get32(digest);
}

int8_t
ntp_log2_of(double seconds)
{
	int e;

	if (!(seconds > 0.0))
		return -128;
	(void)frexp(seconds, &e);
	/* frexp gives seconds = m * 2^e with m in [0.5, 1): floor(log2) = e - 1. */
	e -= 1;
	if (e < -128)
		return -128;
	if (e > 127)
		return 127;
	return (int8_t)e;
}
