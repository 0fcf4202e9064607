/*
 * fuzz_nts.c - the NTS extension-field parsers on arbitrary packets: never
 * a crash or a leak, and nothing is authentic without the key. The first
 * octet picks whether the input is an answer as it is, the plaintext of a
 * correctly sealed answer (so the parser of decrypted fields is reached),
 * or a request to our NTS server (run from the top of the tree: it loads
 * the test certificate in tests/support/nts).
 */
#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ntp/nts.h"
#include "../../ntp/nts_server.h"
#include "../../ntp/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t uid[NTS_UID_LEN] = {1, 2, 3}, s2c[NTS_KEY_LEN] = {7};

/* Header, our UID, and an authenticator sealing PT under S2C. */
static size_t
seal(uint8_t *buf, size_t room, const uint8_t *pt, size_t pt_len)
{
	size_t len = NTP_HEADER_LEN, ct_len = NTS_TAG_LEN + pt_len,
	       ef = 8 + 16 + ((ct_len + 3) & ~3u);

	if (len + 36 + ef > room)
		return 0;
	memset(buf, 0, room);
	buf[0] = 0x24;
	memcpy(buf + len, "\x01\x04\x00\x24", 4);
	memcpy(buf + len + 4, uid, NTS_UID_LEN);
	len += 36;
	buf[len] = 0x04;
	buf[len + 1] = 0x04;
	buf[len + 2] = (uint8_t)(ef >> 8);
	buf[len + 3] = (uint8_t)ef;
	buf[len + 5] = 16;
	buf[len + 6] = (uint8_t)(ct_len >> 8);
	buf[len + 7] = (uint8_t)ct_len;
	if (nts_siv_encrypt(s2c, buf, len, buf + len + 8, 16, pt, pt_len, buf + len + 24) < 0)
		abort();
	return len + ef;
}

/* A request to our server; its answer, when it has one, fits the request. */
static void
server_request(const uint8_t *data, size_t size)
{
	static struct nts_srv *srv;
	struct nts_srv_reply r;
	char *cause = NULL;

	if (srv == NULL) {
		srv = nts_srv_new(event_base_new(), "tests/support/nts/test.crt",
		                  "tests/support/nts/test.key", "/tmp/fuzz_nts_cookie_keys", 123,
		                  &cause);
		if (srv == NULL)
			abort();
		unlink("/tmp/fuzz_nts_cookie_keys"); /* read once, at start */
	}
	switch (nts_srv_check_request(srv, data, size, &r)) {
	case NTS_SRV_OK:
		abort(); /* no cookie of ours can be guessed */
	case NTS_SRV_NAK:
		if (NTP_HEADER_LEN + nts_srv_reply_len(&r) > size)
			abort();
		break;
	case NTS_SRV_PLAIN:
	case NTS_SRV_DROP:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct nts_cookie cookies[NTS_MAX_COOKIES];
	const char *why;
	size_t n = 0, len;
	enum nts_verdict v;

	if (size == 0)
		return 0;
	if ((data[0] & 3) == 2) {
		server_request(data + 1, size - 1);
		return 0;
	}
	if (data[0] & 1) {
		len = seal(buf, sizeof(buf), data + 1, size - 1);
		if (len == 0)
			return 0;
		v = nts_check_reply(buf, len, uid, s2c, cookies, &n, &why);
		/* Sealed with the right key: only a malformed plaintext is refused. */
		if (v == NTS_BAD && strcmp(why, "malformed encrypted extension field") != 0)
			abort();
	} else {
		v = nts_check_reply(data + 1, size - 1, uid, s2c, cookies, &n, &why);
		if (v == NTS_OK && size - 1 < NTP_HEADER_LEN + 36 + 40)
			abort();
	}
	if (n > NTS_MAX_COOKIES)
		abort();
	for (size_t i = 0; i < n; i++)
		if (cookies[i].len == 0 || cookies[i].len > NTS_MAX_COOKIE_LEN)
			abort();
	return 0;
}
