/*
 * nts.c - NTS extension fields, AEAD_AES_SIV_CMAC_256 on OpenSSL 3, and the
 * per-server session of keys and cookies.
 */
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/xmalloc.h"
#include "clock.h"
#include "keys.h"
#include "nts.h"
#include "packet.h"

/* An exchange may take this long; failures retry after 2 s, doubling to 10 min. */
#define KE_TIMEOUT 10.0
#define KE_RETRY_MIN 2.0
#define KE_RETRY_MAX 600.0

/* ---- AEAD_AES_SIV_CMAC_256 ------------------------------------------------------------ */

/* Doubling in GF(2^128), RFC 5297 2.3. */
static void
dbl(uint8_t b[16])
{
	uint8_t carry = b[0] >> 7;

	for (int i = 0; i < 15; i++)
		b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
	b[15] = (uint8_t)(b[15] << 1 ^ (carry ? 0x87 : 0));
}

/*
 * The SIV of an empty plaintext: RFC 5297's S2V over (AD, nonce, "") with
 * OpenSSL's AES-CMAC. OpenSSL 3.0's AES-SIV refuses an empty plaintext
 * (its final step fails), and an NTS request encrypts nothing; the
 * ciphertext is then the SIV alone. Checked against RFC 5297 and an
 * independent AES-SIV in the unit tests.
 */
static int
siv_empty(const uint8_t key[NTS_KEY_LEN], const uint8_t *ad, size_t ad_len, const uint8_t *nonce,
          size_t nonce_len, uint8_t out[NTS_TAG_LEN])
{
	static const uint8_t zero[16];
	uint8_t d[16], m[16];

	if (ntp_aes_cmac(key, 16, zero, sizeof(zero), d) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (ntp_aes_cmac(key, 16, i == 0 ? ad : nonce, i == 0 ? ad_len : nonce_len, m) < 0)
			return -1;
		dbl(d);
		for (int j = 0; j < 16; j++)
			d[j] ^= m[j];
	}
	dbl(d);
	d[0] ^= 0x80; /* pad(""): the 1 bit, then zeros */
	return ntp_aes_cmac(key, 16, d, sizeof(d), out);
}

static EVP_CIPHER *siv_cipher;

static void
fetch_siv(void)
{
	siv_cipher = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
}

/* OpenSSL's AES-SIV (key S2V half, then CTR half): AD, then the nonce, as associated data. */
static EVP_CIPHER_CTX *
siv_start(const uint8_t key[NTS_KEY_LEN], int enc, const uint8_t *ad, size_t ad_len,
          const uint8_t *nonce, size_t nonce_len)
{
	/*
	 * Fetched once: OpenSSL 3's algorithm look-up costs more than the
	 * sealing of an NTP packet (a profile of the NTS server said so).
	 */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const EVP_CIPHER *c = (pthread_once(&once, fetch_siv), siv_cipher);
	EVP_CIPHER_CTX *ctx = c != NULL ? EVP_CIPHER_CTX_new() : NULL;
	int n, ok = ctx != NULL && EVP_CipherInit_ex2(ctx, c, key, NULL, enc, NULL) == 1 &&
	            EVP_CipherUpdate(ctx, NULL, &n, ad, (int)ad_len) == 1 &&
	            EVP_CipherUpdate(ctx, NULL, &n, nonce, (int)nonce_len) == 1;

	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
nts_siv_encrypt(const uint8_t key[NTS_KEY_LEN], const uint8_t *ad, size_t ad_len,
                const uint8_t *nonce, size_t nonce_len, const uint8_t *pt, size_t pt_len,
                uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, ok;

	if (pt_len == 0)
		return siv_empty(key, ad, ad_len, nonce, nonce_len, out);
	ctx = siv_start(key, 1, ad, ad_len, nonce, nonce_len);
	ok = ctx != NULL && EVP_EncryptUpdate(ctx, out + NTS_TAG_LEN, &n, pt, (int)pt_len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + NTS_TAG_LEN + n, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, NTS_TAG_LEN, out) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
nts_siv_decrypt(const uint8_t key[NTS_KEY_LEN], const uint8_t *ad, size_t ad_len,
                const uint8_t *nonce, size_t nonce_len, const uint8_t *ct, size_t ct_len,
                uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t siv[NTS_TAG_LEN];
	int n = 0, ok;

	if (ct_len < NTS_TAG_LEN)
		return -1;
	if (ct_len == NTS_TAG_LEN)
		return siv_empty(key, ad, ad_len, nonce, nonce_len, siv) == 0 &&
		               CRYPTO_memcmp(siv, ct, NTS_TAG_LEN) == 0
		           ? 0
		           : -1;
	ctx = siv_start(key, 0, ad, ad_len, nonce, nonce_len);
	/* The tag goes in first: OpenSSL checks it as the plaintext comes out. */
	ok = ctx != NULL &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, NTS_TAG_LEN, (void *)ct) == 1 &&
	     EVP_DecryptUpdate(ctx, pt, &n, ct + NTS_TAG_LEN, (int)(ct_len - NTS_TAG_LEN)) == 1 &&
	     EVP_DecryptFinal_ex(ctx, pt + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		explicit_bzero(pt, ct_len - NTS_TAG_LEN);
	return ok ? 0 : -1;
}

/* ---- extension fields ---------------------------------------------------------------- */

/* An extension field of TYPE with BODY (NULL: zeros) at P, padded: its length, 0 if no room. */
static size_t
put_ef(uint8_t *p, size_t room, unsigned type, const uint8_t *body, size_t len)
{
	size_t ef_len = nts_pad4(4 + len);

	if (ef_len < NTP_MIN_EF_LEN)
		ef_len = NTP_MIN_EF_LEN;
	if (ef_len > room || ef_len > 0xffff)
		return 0;
	memset(p, 0, ef_len);
	nts_put16(p, type);
	nts_put16(p + 2, ef_len);
	if (body != NULL)
		memcpy(p + 4, body, len);
	return ef_len;
}

size_t
nts_build_request(uint8_t *buf, size_t len, size_t size, const uint8_t uid[NTS_UID_LEN],
                  const struct nts_cookie *cookie, unsigned n_placeholders,
                  const uint8_t c2s[NTS_KEY_LEN])
{
	size_t n, auth_len = 4 + 4 + NTS_NONCE_LEN + NTS_TAG_LEN;
	uint8_t nonce[NTS_NONCE_LEN], *a;

	if ((n = put_ef(buf + len, size - len, NTS_EF_UID, uid, NTS_UID_LEN)) == 0)
		return 0;
	len += n;
	if ((n = put_ef(buf + len, size - len, NTS_EF_COOKIE, cookie->data, cookie->len)) == 0)
		return 0;
	len += n;
	for (unsigned i = 0; i < n_placeholders; i++) {
		if ((n = put_ef(buf + len, size - len, NTS_EF_PLACEHOLDER, NULL, cookie->len)) == 0)
			return 0;
		len += n;
	}
	if (size - len < auth_len)
		return 0;
	a = buf + len;
	nts_put16(a, NTS_EF_AUTH);
	nts_put16(a + 2, auth_len);
	nts_put16(a + 4, NTS_NONCE_LEN);
	nts_put16(a + 6, NTS_TAG_LEN);
	arc4random_buf(nonce, sizeof(nonce));
	memcpy(a + 8, nonce, NTS_NONCE_LEN);
	if (nts_siv_encrypt(c2s, buf, len, nonce, NTS_NONCE_LEN, NULL, 0, a + 8 + NTS_NONCE_LEN) <
	    0)
		return 0;
	return len + auth_len;
}

/* The cookies among the extension fields of PT (decrypted): NULL, or what is wrong. */
static const char *
take_cookies(const uint8_t *pt, size_t len, struct nts_cookie *ret, size_t *ret_n)
{
	while (len > 0) {
		size_t ef_len = len >= 4 ? nts_get16(pt + 2) : 0;

		if (ef_len < 4 || ef_len > len || ef_len % 4 != 0)
			return "malformed encrypted extension field";
		/* The body may carry padding: a cookie is the body, as the server sent it. */
		if (nts_get16(pt) == NTS_EF_COOKIE && ef_len > 4 &&
		    ef_len - 4 <= NTS_MAX_COOKIE_LEN && *ret_n < NTS_MAX_COOKIES) {
			ret[*ret_n].len = ef_len - 4;
			memcpy(ret[(*ret_n)++].data, pt + 4, ef_len - 4);
		}
		pt += ef_len;
		len -= ef_len;
	}
	return NULL;
}

/* The authenticator field at EF (EF_LEN octets) of the packet BUF. */
static const char *
check_auth(const uint8_t *buf, const uint8_t *ef, size_t ef_len, const uint8_t s2c[NTS_KEY_LEN],
           struct nts_cookie *ret_cookies, size_t *ret_n)
{
	size_t nl, cl;
	uint8_t *pt;
	const char *why;

	if (ef_len < 8)
		return "malformed authenticator";
	nl = nts_get16(ef + 4);
	cl = nts_get16(ef + 6);
	if (nl == 0 || cl < NTS_TAG_LEN || 8 + nts_pad4(nl) + nts_pad4(cl) > ef_len)
		return "malformed authenticator";
	pt = xmalloc(cl);
	if (nts_siv_decrypt(s2c, buf, (size_t)(ef - buf), ef + 8, nl, ef + 8 + nts_pad4(nl), cl,
	                    pt) < 0)
		why = "authenticator does not verify";
	else
		why = take_cookies(pt, cl - NTS_TAG_LEN, ret_cookies, ret_n);
	free(pt);
	return why;
}

enum nts_verdict
nts_check_reply(const uint8_t *buf, size_t len, const uint8_t uid[NTS_UID_LEN],
                const uint8_t s2c[NTS_KEY_LEN], struct nts_cookie *ret_cookies, size_t *ret_n,
                const char **ret_error)
{
	struct ntp_packet pkt;
	struct ntp_trailer t;
	int have_uid = 0, have_auth = 0;

	*ret_n = 0;
	*ret_error = "malformed";
	if (ntp_decode(buf, len, &pkt, &t) != NTP_DECODE_OK || t.mac_len != 0)
		return NTS_BAD;
	for (size_t pos = NTP_HEADER_LEN; pos < NTP_HEADER_LEN + t.ef_len;) {
		const uint8_t *ef = buf + pos;
		size_t ef_len = nts_get16(ef + 2);

		if (nts_get16(ef) == NTS_EF_UID && ef_len == 4 + NTS_UID_LEN &&
		    CRYPTO_memcmp(ef + 4, uid, NTS_UID_LEN) == 0)
			have_uid = 1;
		else if (nts_get16(ef) == NTS_EF_AUTH && have_uid && !have_auth) {
			*ret_error = check_auth(buf, ef, ef_len, s2c, ret_cookies, ret_n);
			if (*ret_error != NULL)
				return NTS_BAD;
			have_auth = 1;
		}
		pos += ef_len;
	}
	*ret_error = NULL;
	if (have_uid && pkt.leap == NTP_LEAP_UNSYNC && pkt.stratum == 0 &&
	    pkt.refid == ntp_refid_from_string("NTSN"))
		return NTS_NAK;
	if (!have_uid)
		*ret_error = "no matching unique identifier";
	else if (!have_auth)
		*ret_error = "no authenticator";
	return *ret_error != NULL ? NTS_BAD : NTS_OK;
}

/* ---- the session ------------------------------------------------------------------- */

enum session_state { KEY_EXCHANGE, READY, FAILED };

static const char *const state_names[] = {
    [KEY_EXCHANGE] = "key-exchange",
    [READY] = "ready",
    [FAILED] = "failed",
};

struct nts_session {
	struct event_base *base;
	struct evdns_base *dns;
	char *host, *ca_file;
	int ke_port;
	nts_ready_fn ready;
	void *arg;

	enum session_state state;
	struct evdns_getaddrinfo_request *dns_req;
	struct nts_ke *ke;
	struct event *retry_ev;
	double retry_delay;
	struct timespec retry_at; /* monotonic, when FAILED */

	int have_keys;
	uint8_t c2s[NTS_KEY_LEN], s2c[NTS_KEY_LEN];
	struct nts_cookie cookies[NTS_MAX_COOKIES];
	size_t n_cookies;
	char server[NTS_MAX_SERVER_LEN + 1];
	int port;
	uint8_t uid[NTS_UID_LEN]; /* of the outstanding request */

	double last_ke;
	char error[600];
	uint64_t ke_ok, ke_failed, naks, bad_auth;
};

static void start_exchange(struct nts_session *s);

static void
forget_keys(struct nts_session *s)
{
	s->have_keys = 0;
	s->n_cookies = 0;
	explicit_bzero(s->c2s, sizeof(s->c2s));
	explicit_bzero(s->s2c, sizeof(s->s2c));
	explicit_bzero(s->cookies, sizeof(s->cookies));
}

static void
ke_failed(struct nts_session *s, const char *error)
{
	struct timespec now;

	s->ke_failed++;
	s->state = FAILED;
	snprintf(s->error, sizeof(s->error), "%s", error);
	log_warn("NTS-KE with %s:%d failed: %s; retrying in %.0f s", log_esc(s->host).s, s->ke_port,
	         log_esc(error).s, s->retry_delay);
	clk_monotonic(&now);
	s->retry_at = now;
	s->retry_at.tv_sec += (time_t)s->retry_delay;
	loop_arm(s->retry_ev, s->retry_delay);
	s->retry_delay = fmin(KE_RETRY_MAX, s->retry_delay * 2.0);
}

static void
on_ke_done(const struct nts_ke_result *res, const char *error, void *arg)
{
	struct nts_session *s = arg;
	struct timespec now;

	if (res == NULL) {
		ke_failed(s, error);
		s->ke = nts_ke_free(s->ke); /* ERROR lives in it */
		return;
	}
	s->ke = nts_ke_free(s->ke);
	memcpy(s->c2s, res->c2s, sizeof(s->c2s));
	memcpy(s->s2c, res->s2c, sizeof(s->s2c));
	memcpy(s->cookies, res->cookies, sizeof(s->cookies));
	s->n_cookies = res->n_cookies;
	s->have_keys = 1;
	snprintf(s->server, sizeof(s->server), "%s", res->server[0] ? res->server : s->host);
	s->port = res->port;
	s->state = READY;
	s->ke_ok++;
	s->retry_delay = KE_RETRY_MIN;
	clock_gettime(CLOCK_REALTIME, &now);
	s->last_ke = (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
	log_info("NTS-KE with %s:%d: %zu cookies, NTP server %s:%d", log_esc(s->host).s, s->ke_port,
	         s->n_cookies, log_esc(s->server).s, s->port);
	s->ready(s, s->arg);
}

static void
on_ke_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct nts_session *s = arg;
	char why[160];

	s->dns_req = NULL;
	if (err == EVUTIL_EAI_CANCEL)
		return;
	if (err != 0 || ai == NULL) {
		snprintf(why, sizeof(why), "cannot resolve: %s", evutil_gai_strerror(err));
		ke_failed(s, why);
		return;
	}
	s->ke = nts_ke_start(s->base, ai->ai_addr, (socklen_t)ai->ai_addrlen, s->host, s->ca_file,
	                     KE_TIMEOUT, on_ke_done, s);
	evutil_freeaddrinfo(ai);
}

static void
start_exchange(struct nts_session *s)
{
	struct evutil_addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
	char port[8];

	if (s->ke != NULL || s->dns_req != NULL)
		return;
	event_del(s->retry_ev);
	s->state = KEY_EXCHANGE;
	snprintf(port, sizeof(port), "%d", s->ke_port);
	if (s->dns == NULL) {
		struct evutil_addrinfo *ai = NULL;
		int err;

		hints.ai_flags = EVUTIL_AI_NUMERICHOST;
		err = evutil_getaddrinfo(s->host, port, &hints, &ai);
		on_ke_resolved(err, ai, s);
		return;
	}
	s->dns_req = evdns_getaddrinfo(s->dns, s->host, port, &hints, on_ke_resolved, s);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_exchange(arg);
}

struct nts_session *
nts_session_new(struct event_base *base, struct evdns_base *dns, const char *host, int ke_port,
                const char *ca_file, nts_ready_fn ready, void *arg)
{
	struct nts_session *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->dns = dns;
	s->host = xstrdup(host);
	s->ca_file = xstrdup(ca_file != NULL ? ca_file : "");
	s->ke_port = ke_port;
	s->ready = ready;
	s->arg = arg;
	s->retry_delay = KE_RETRY_MIN;
	s->last_ke = NAN;
	s->port = 123;
	snprintf(s->server, sizeof(s->server), "%s", host);
	s->retry_ev = loop_timer_new(base, on_retry, s);
	start_exchange(s);
	return s;
}

struct nts_session *
nts_session_free(struct nts_session *s)
{
	if (s == NULL)
		return NULL;
	if (s->dns_req != NULL)
		evdns_getaddrinfo_cancel(s->dns_req);
	nts_ke_free(s->ke);
	loop_event_free(&s->retry_ev);
	forget_keys(s);
	free(s->host);
	free(s->ca_file);
	free(s);
	return NULL;
}

const char *
nts_session_server(const struct nts_session *s, int *ret_port)
{
	*ret_port = s->port;
	return s->server;
}

size_t
nts_session_request(struct nts_session *s, uint8_t *buf, size_t len, size_t size,
                    const char **ret_error)
{
	struct nts_cookie cookie;
	size_t out;

	if (!s->have_keys || s->n_cookies == 0) {
		if (s->state != FAILED)
			start_exchange(s);
		*ret_error = s->state == FAILED ? "NTS: key exchange failed; waiting to retry"
		                                : "NTS: no cookie left; key exchange under way";
		return 0;
	}
	cookie = s->cookies[0];
	memmove(s->cookies, s->cookies + 1, --s->n_cookies * sizeof(s->cookies[0]));
	arc4random_buf(s->uid, sizeof(s->uid));
	/* Ask for a full jar again: one cookie comes per cookie and placeholder sent. */
	for (unsigned ph = NTS_MAX_COOKIES - 1 - (unsigned)s->n_cookies;; ph--) {
		out = nts_build_request(buf, len, size, s->uid, &cookie, ph, s->c2s);
		if (out != 0 || ph == 0)
			break;
	}
	explicit_bzero(&cookie, sizeof(cookie));
	if (out == 0)
		*ret_error = "NTS: the request does not fit";
	return out;
}

enum nts_verdict
nts_session_reply(struct nts_session *s, const uint8_t *buf, size_t len, const char **ret_error)
{
	struct nts_cookie fresh[NTS_MAX_COOKIES];
	size_t n = 0;
	enum nts_verdict v = s->have_keys
	                         ? nts_check_reply(buf, len, s->uid, s->s2c, fresh, &n, ret_error)
	                         : NTS_BAD;

	if (!s->have_keys)
		*ret_error = "no NTS keys";
	switch (v) {
	case NTS_OK:
		for (size_t i = 0; i < n && s->n_cookies < NTS_MAX_COOKIES; i++)
			s->cookies[s->n_cookies++] = fresh[i];
		explicit_bzero(fresh, sizeof(fresh));
		memset(s->uid, 0, sizeof(s->uid));
		break;
	case NTS_NAK:
		s->naks++;
		snprintf(s->error, sizeof(s->error), "NTS NAK: the server refused our cookie");
		*ret_error = s->error;
		forget_keys(s);
		start_exchange(s);
		break;
	case NTS_BAD:
		s->bad_auth++;
		snprintf(s->error, sizeof(s->error), "%s", *ret_error);
		break;
	}
	return v;
}

void
nts_session_report(const struct nts_session *s, struct nts_report *ret)
{
	double mono = clk_monotonic_seconds();

	*ret = (struct nts_report){
	    .state = state_names[s->state],
	    .cookies = s->n_cookies,
	    .last_ke = s->last_ke,
	    .next_ke_in = s->state == FAILED
	                      ? fmax(0.0, (double)s->retry_at.tv_sec +
	                                      (double)s->retry_at.tv_nsec * 1e-9 - mono)
	                      : NAN,
	    .error = s->error,
	    .ke_ok = s->ke_ok,
	    .ke_failed = s->ke_failed,
	    .naks = s->naks,
	    .bad_auth = s->bad_auth,
	};
}
