/*
 * test_ping.c - the CLDAP ping datagram: encoding the request, parsing the
 * answer, and handing its Netlogon value to the decoder.
 */
#include <lber.h>
#include <ldap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../ldap/ping.h"

static const struct dir_ping_request req = {
    .dns_domain = "forest.test",
    .host = "MEMBER1",
    .user = "MEMBER1$",
    .nt_version = DIR_NT_VERSION_PING,
};

/* ---- the request ------------------------------------------------------------------ */

static void
test_encode(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct berval bv, base, attr;
	BerElement *ber;
	ber_int_t id, scope, deref, size, time, types;
	ber_tag_t tag;
	ber_len_t l;
	char *last;
	const char *want_attr[] = {"DnsDomain", "Host", "User", "NtVer"};
	const char *want_val[] = {"forest.test", "MEMBER1", "MEMBER1$", "\x14\0\0\0"};
	size_t want_len[] = {11, 7, 8, 4}, i = 0;

	(void)state;
	assert_int_equal(dir_ping_encode(4242, &req, &buf, &len), 0);
	bv = (struct berval){.bv_len = len, .bv_val = (char *)buf};
	ber = ber_init(&bv);
	assert_non_null(ber);
	tag = ber_scanf(ber, "{i", &id);
	assert_int_not_equal(tag, LBER_ERROR);
	assert_int_equal(id, 4242);
	assert_int_equal(ber_peek_tag(ber, &l), LDAP_REQ_SEARCH);
	tag = ber_scanf(ber, "{meeiib", &base, &scope, &deref, &size, &time, &types);
	assert_int_not_equal(tag, LBER_ERROR);
	assert_int_equal(base.bv_len, 0);
	assert_int_equal(scope, LDAP_SCOPE_BASE);
	assert_int_equal(deref, LDAP_DEREF_NEVER);
	assert_int_equal(size, 0);
	assert_int_equal(time, 0);
	assert_int_equal(types, 0);
	/* The filter: an AND of equality matches, in order. */
	assert_int_equal(ber_peek_tag(ber, &l), LDAP_FILTER_AND);
	for (tag = ber_first_element(ber, &l, &last); tag != LBER_DEFAULT;
	     tag = ber_next_element(ber, &l, last), i++) {
		struct berval a, v;

		assert_int_equal(tag, LDAP_FILTER_EQUALITY);
		assert_int_not_equal(ber_scanf(ber, "{mm}", &a, &v), LBER_ERROR);
		assert_true(i < 4);
		assert_int_equal(a.bv_len, strlen(want_attr[i]));
		assert_memory_equal(a.bv_val, want_attr[i], a.bv_len);
		assert_int_equal(v.bv_len, want_len[i]);
		assert_memory_equal(v.bv_val, want_val[i], v.bv_len);
	}
	assert_int_equal(i, 4);
	/* The attributes: Netlogon only. */
	assert_int_not_equal(ber_scanf(ber, "{m}", &attr), LBER_ERROR);
	assert_int_equal(attr.bv_len, 8);
	assert_memory_equal(attr.bv_val, "Netlogon", 8);
	ber_free(ber, 1);
	free(buf);
}

static void
test_encode_optional(void **state)
{
	struct dir_ping_request r = {.dns_domain = "x.example", .nt_version = 6};
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(dir_ping_encode(1, &r, &buf, &len), 0);
	/* Only DnsDomain and NtVer: "Host" and "User" are not in it. */
	assert_null(memmem(buf, len, "Host", 4));
	assert_null(memmem(buf, len, "User", 4));
	assert_non_null(memmem(buf, len, "\x06\0\0\0", 4));
	free(buf);
}

/* ---- the answer ------------------------------------------------------------------ */

struct dgram {
	uint8_t b[4096];
	size_t n;
};

static void
append(struct dgram *d, BerElement *ber)
{
	struct berval *bv = NULL;

	assert_int_equal(ber_flatten(ber, &bv), 0);
	assert_true(d->n + bv->bv_len <= sizeof(d->b));
	memcpy(d->b + d->n, bv->bv_val, bv->bv_len);
	d->n += bv->bv_len;
	ber_bvfree(bv);
	ber_free(ber, 1);
}

/* SearchResultEntry { "", { { NAME, { VALUE } } } }; NAME NULL: no attributes. */
static void
put_entry(struct dgram *d, int msgid, const char *name, const void *value, size_t len)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (name != NULL)
		assert_true(ber_printf(ber, "{it{s{{s[o]}}}}", (ber_int_t)msgid,
		                       LDAP_RES_SEARCH_ENTRY, "", name, (const char *)value,
		                       (ber_len_t)len) >= 0);
	else
		assert_true(
		    ber_printf(ber, "{it{s{}}}", (ber_int_t)msgid, LDAP_RES_SEARCH_ENTRY, "") >= 0);
	append(d, ber);
}

static void
put_done(struct dgram *d, int msgid)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	assert_true(ber_printf(ber, "{it{ess}}", (ber_int_t)msgid, LDAP_RES_SEARCH_RESULT,
	                       (ber_int_t)0, "", "") >= 0);
	append(d, ber);
}

static void
test_parse(void **state)
{
	struct dgram d = {0};
	uint8_t *val = NULL;
	size_t vlen = 0;
	char *cause = NULL;
	const uint8_t blob[] = {0x17, 0, 0, 0, 0xfd, 0x03, 0, 0, 'x', 0, 'y'};

	(void)state;
	put_entry(&d, 7, "netLogon", blob, sizeof(blob));
	put_done(&d, 7);
	assert_int_equal(dir_ping_parse(d.b, d.n, 7, &val, &vlen, &cause), 1);
	assert_int_equal(vlen, sizeof(blob));
	assert_memory_equal(val, blob, sizeof(blob));
	free(val);
	/* Another message id: someone else's answer. */
	assert_int_equal(dir_ping_parse(d.b, d.n, 8, &val, &vlen, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* Answered without the value: the DC cannot answer pings (slapd). */
	d.n = 0;
	put_done(&d, 9);
	assert_int_equal(dir_ping_parse(d.b, d.n, 9, &val, &vlen, &cause), 0);
	d.n = 0;
	put_entry(&d, 9, "other", "v", 1);
	put_done(&d, 9);
	assert_int_equal(dir_ping_parse(d.b, d.n, 9, &val, &vlen, &cause), 0);
	d.n = 0;
	put_entry(&d, 9, NULL, NULL, 0);
	assert_int_equal(dir_ping_parse(d.b, d.n, 9, &val, &vlen, &cause), 0);
}

static void
test_parse_hostile(void **state)
{
	struct dgram d = {0};
	uint8_t *val = NULL, junk[64];
	size_t vlen = 0;
	char *cause = NULL;

	(void)state;
	put_entry(&d, 3, "Netlogon", "0123456789", 10);
	put_done(&d, 3);
	/* Every truncation and every single flipped octet: no crash, no leak. */
	for (size_t len = 0; len <= d.n; len++) {
		uint8_t *copy = malloc(len + 1);
		int r;

		memcpy(copy, d.b, len);
		r = dir_ping_parse(copy, len, 3, &val, &vlen, &cause);
		if (r == 1)
			free(val);
		free(cause);
		cause = NULL;
		free(copy);
	}
	for (size_t i = 0; i < d.n; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			struct dgram e = d;
			int r;

			e.b[i] ^= (uint8_t)(1u << bit);
			r = dir_ping_parse(e.b, e.n, 3, &val, &vlen, &cause);
			if (r == 1)
				free(val);
			free(cause);
			cause = NULL;
		}
	}
	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(dir_ping_parse(junk, sizeof(junk), 3, &val, &vlen, &cause), -1);
	free(cause);
}

/* ---- the value, through the Netlogon decoder ------------------------------------------- */

struct blob {
	uint8_t b[512];
	size_t n;
};

static void
le(struct blob *x, uint32_t v, size_t octets)
{
	for (size_t i = 0; i < octets; i++)
		x->b[x->n++] = (uint8_t)(v >> (8 * i));
}

static void
name(struct blob *x, const char *s)
{
	while (*s != '\0') {
		size_t len = strcspn(s, ".");

		x->b[x->n++] = (uint8_t)len;
		memcpy(x->b + x->n, s, len);
		x->n += len;
		s += len + (s[len] == '.');
	}
	x->b[x->n++] = 0;
}

static void
test_set(void **state)
{
	struct blob x = {0};
	struct dir_ping p = {.host = strdup("rootdc1.forest.test")};
	char *cause = NULL;

	(void)state;
	le(&x, 23, 2); /* LOGON_SAM_LOGON_RESPONSE_EX */
	le(&x, 0, 2);
	le(&x, 0x3f1fd, 4); /* PDC GC LDAP DS KDC TIMESERV CLOSEST WRITABLE GOOD_TIMESERV ... */
	for (int i = 0; i < 16; i++)
		x.b[x.n++] = (uint8_t)i;
	name(&x, "forest.test");
	name(&x, "forest.test");
	name(&x, "rootdc1.forest.test");
	name(&x, "FOREST");
	name(&x, "ROOTDC1");
	name(&x, "MEMBER1$");
	name(&x, "HQ");
	name(&x, "Branch");
	le(&x, 0x5, 4); /* NtVersion V1 | V5EX: no address, no next closest site */
	le(&x, 0xffff, 2);
	le(&x, 0xffff, 2);
	assert_int_equal(dir_ping_set(&p, x.b, x.n, &cause), 0);
	assert_true(p.answered);
	assert_int_equal(p.flags, 0x3f1fd);
	assert_string_equal(p.dc_site, "HQ");
	assert_string_equal(p.client_site, "Branch");
	free(p.dc_site);
	free(p.client_site);
	p.dc_site = p.client_site = NULL;
	p.answered = 0;
	/* A broken value leaves the ping unanswered, with a reason. */
	assert_int_equal(dir_ping_set(&p, x.b, x.n - 3, &cause), -1);
	assert_false(p.answered);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "rootdc1.forest.test"));
	free(cause);
	free(p.host);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode), cmocka_unit_test(test_encode_optional),
	    cmocka_unit_test(test_parse),  cmocka_unit_test(test_parse_hostile),
	    cmocka_unit_test(test_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
