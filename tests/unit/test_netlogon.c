/*
 * test_netlogon.c - the LDAP ping: decoding NETLOGON_SAM_LOGON_RESPONSE_EX
 * (names, compression, the optional fields, every way it can be broken)
 * and building the request filter.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/util.h"
#include "../../ldap/dn.h"
#include "../../ldap/netlogon.h"

/* What a 2016 root PDC says about itself to a client in its site. */
#define ROOT_PDC_FLAGS                                                                             \
	(DIR_DS_PDC_FLAG | DIR_DS_GC_FLAG | DIR_DS_LDAP_FLAG | DIR_DS_DS_FLAG | DIR_DS_KDC_FLAG |  \
	 DIR_DS_TIMESERV_FLAG | DIR_DS_CLOSEST_FLAG | DIR_DS_WRITABLE_FLAG |                       \
	 DIR_DS_GOOD_TIMESERV_FLAG | DIR_DS_FULL_SECRET_DOMAIN_6_FLAG | DIR_DS_WS_FLAG |           \
	 DIR_DS_DS_8_FLAG | DIR_DS_DS_9_FLAG | DIR_DS_DS_10_FLAG)

static const uint8_t guid[16] = {0x2a, 0x1c, 0x1e, 0x6f, 0xf3, 0x61, 0x3c, 0x4d,
                                 0x9c, 0x6e, 0x3b, 0x8d, 0x2d, 0x1a, 0x7f, 0x00};

/* ---- building answers -------------------------------------------------- */

struct msg {
	uint8_t b[1024];
	size_t n;
};

static void
u8(struct msg *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void
u16(struct msg *m, unsigned v)
{
	u8(m, v & 0xff);
	u8(m, v >> 8);
}

static void
u32(struct msg *m, uint32_t v)
{
	u16(m, v & 0xffff);
	u16(m, v >> 16);
}

static void
bytes(struct msg *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u8(m, ((const uint8_t *)p)[i]);
}

/*
 * TEXT as RFC 1035 labels, ended by a pointer to AT when AT is not 0,
 * else by an empty label. Returns where it began, for later pointers.
 */
static size_t
name(struct msg *m, const char *text, size_t at)
{
	size_t start = m->n;

	while (*text != '\0') {
		size_t len = strcspn(text, ".");

		u8(m, (unsigned)len);
		bytes(m, text, len);
		text += len;
		if (*text == '.')
			text++;
	}
	if (at != 0) {
		u8(m, 0xc0 | (unsigned)(at >> 8));
		u8(m, at & 0xff);
	} else {
		u8(m, 0);
	}
	return start;
}

static void
header(struct msg *m, unsigned opcode)
{
	m->n = 0;
	u16(m, opcode);
	u16(m, 0);
	u32(m, ROOT_PDC_FLAGS);
	bytes(m, guid, sizeof(guid));
}

static void
trailer(struct msg *m, uint32_t nt_version)
{
	u32(m, nt_version);
	u16(m, 0xffff);
	u16(m, 0xffff);
}

/*
 * rootdc1's answer to a ping for forest.test from a client it puts in HQ,
 * compressed as Windows and Samba do: repeats are pointers to earlier names.
 */
static void
answer(struct msg *m, unsigned opcode, uint32_t nt_version)
{
	static const uint8_t sockaddr[16] = {2, 0, 0, 0, 10, 1, 0, 11};
	size_t forest, site;

	header(m, opcode);
	forest = name(m, "forest.test", 0);
	name(m, "", forest);        /* DnsDomainName: all of it a pointer */
	name(m, "rootdc1", forest); /* DnsHostName */
	name(m, "FOREST", 0);
	name(m, "ROOTDC1", 0);
	name(m, "", 0); /* UserName: none asked about */
	site = name(m, "HQ", 0);
	name(m, "", site); /* ClientSiteName */
	if (nt_version & DIR_NT_VERSION_5EX_WITH_IP) {
		u8(m, sizeof(sockaddr));
		bytes(m, sockaddr, sizeof(sockaddr));
	}
	if (nt_version & DIR_NT_VERSION_WITH_CLOSEST_SITE)
		name(m, "Branch", 0);
	trailer(m, nt_version);
}

/* Decode M, which must fail with ERR and a reason holding WHY; *RET stays untouched. */
static void
rejected(const struct msg *m, int err, const char *why)
{
	struct dir_netlogon n, before;
	char *cause = NULL;

	memset(&n, 0xa5, sizeof(n));
	before = n;
	assert_int_equal(dir_netlogon_decode(m->b, m->n, &n, &cause), err);
	assert_memory_equal(&n, &before, sizeof(n));
	assert_non_null(cause);
	if (strstr(cause, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", cause, why);
	free(cause);
}

static void
decoded(const struct msg *m, struct dir_netlogon *n)
{
	char *cause = NULL;
	int err = dir_netlogon_decode(m->b, m->n, n, &cause);

	if (err != 0)
		fail_msg("rejected: %s", cause);
	assert_null(cause);
}

/* ---- decoding ---------------------------------------------------------- */

static void
test_decode(void **state)
{
	struct dir_netlogon n;
	struct msg m;

	(void)state;
	/* What Samba sends when asked with V5EX: NtVersion V1 | V5EX. */
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, DIR_NT_VERSION_1 | DIR_NT_VERSION_5EX);
	decoded(&m, &n);
	assert_int_equal(n.opcode, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	assert_int_equal(n.flags, ROOT_PDC_FLAGS);
	assert_memory_equal(n.domain_guid, guid, sizeof(guid));
	assert_string_equal(n.forest, "forest.test");
	assert_string_equal(n.domain, "forest.test");
	assert_string_equal(n.host, "rootdc1.forest.test");
	assert_string_equal(n.netbios_domain, "FOREST");
	assert_string_equal(n.netbios_host, "ROOTDC1");
	assert_string_equal(n.user, "");
	assert_string_equal(n.dc_site, "HQ");
	assert_string_equal(n.client_site, "HQ");
	assert_null(n.next_closest_site);
	assert_false(n.has_address);
	assert_int_equal(n.nt_version, DIR_NT_VERSION_1 | DIR_NT_VERSION_5EX);
	dir_netlogon_clear(&n);
	assert_null(n.forest);
	dir_netlogon_clear(&n);
}

static void
test_optional_fields(void **state)
{
	const uint32_t all = DIR_NT_VERSION_1 | DIR_NT_VERSION_5EX | DIR_NT_VERSION_5EX_WITH_IP |
	                     DIR_NT_VERSION_WITH_CLOSEST_SITE;
	struct dir_netlogon n;
	struct msg m;

	(void)state;
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, all);
	decoded(&m, &n);
	assert_true(n.has_address);
	assert_memory_equal(n.address, "\x0a\x01\x00\x0b", 4);
	assert_string_equal(n.next_closest_site, "Branch");
	assert_string_equal(n.client_site, "HQ");
	dir_netlogon_clear(&n);
	/* Each alone. */
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX,
	       DIR_NT_VERSION_5EX | DIR_NT_VERSION_5EX_WITH_IP);
	decoded(&m, &n);
	assert_true(n.has_address);
	assert_null(n.next_closest_site);
	dir_netlogon_clear(&n);
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX,
	       DIR_NT_VERSION_5EX | DIR_NT_VERSION_WITH_CLOSEST_SITE);
	decoded(&m, &n);
	assert_false(n.has_address);
	assert_string_equal(n.next_closest_site, "Branch");
	dir_netlogon_clear(&n);
}

static void
test_opcodes(void **state)
{
	static const unsigned ex[] = {DIR_LOGON_SAM_LOGON_RESPONSE_EX,
	                              DIR_LOGON_SAM_PAUSE_RESPONSE_EX,
	                              DIR_LOGON_SAM_USER_UNKNOWN_EX};
	struct dir_netlogon n;
	struct msg m;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ex); i++) {
		answer(&m, ex[i], DIR_NT_VERSION_5EX);
		decoded(&m, &n);
		assert_int_equal(n.opcode, ex[i]);
		dir_netlogon_clear(&n);
	}
	/* The older NETLOGON_SAM_LOGON_RESPONSE, and its pause and user-unknown forms. */
	for (unsigned op = 19; op <= 21; op++) {
		answer(&m, op, DIR_NT_VERSION_5EX);
		rejected(&m, -EPROTONOSUPPORT, "must ask with NtVer V5EX");
	}
	answer(&m, 18, DIR_NT_VERSION_5EX); /* a request */
	rejected(&m, -EBADMSG, "opcode 18 is no LDAP ping answer");
	answer(&m, 0x1700, DIR_NT_VERSION_5EX); /* big-endian by mistake */
	rejected(&m, -EBADMSG, "opcode 5888");
}

static void
test_truncated(void **state)
{
	const uint32_t all =
	    DIR_NT_VERSION_5EX | DIR_NT_VERSION_5EX_WITH_IP | DIR_NT_VERSION_WITH_CLOSEST_SITE;
	struct msg m, cut;

	(void)state;
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, all);
	for (size_t len = 0; len < m.n; len++) {
		/* Cut the middle out, keeping the trailer, or just the end off. */
		cut = m;
		cut.n = len;
		rejected(&cut, -EBADMSG, "");
		if (len >= 8) {
			memcpy(cut.b + len - 8, m.b + m.n - 8, 8);
			rejected(&cut, -EBADMSG, "");
		}
	}
	cut.n = 1;
	rejected(&cut, -EBADMSG, "has no opcode");
	cut = m;
	cut.n = 39;
	rejected(&cut, -EBADMSG, "truncated: 39 octets");
}

static void
test_trailer(void **state)
{
	struct msg m;

	(void)state;
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, DIR_NT_VERSION_5EX);
	m.b[m.n - 1] = 0;
	rejected(&m, -EBADMSG, "LmNtToken and Lm20Token are not 0xFFFF");
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, DIR_NT_VERSION_1 | DIR_NT_VERSION_5);
	rejected(&m, -EBADMSG, "NtVersion 0x00000003 lacks V5EX");
	/* IPA 4.1 sent the address without saying so in NtVersion: octets no field explains. */
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX,
	       DIR_NT_VERSION_5EX | DIR_NT_VERSION_5EX_WITH_IP);
	m.b[m.n - 8] = DIR_NT_VERSION_5EX;
	rejected(&m, -EBADMSG, "17 octets before NtVersion belong to no field");
	/* NtVersion announces a field that is not there. */
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, DIR_NT_VERSION_5EX);
	m.b[m.n - 8] |= DIR_NT_VERSION_WITH_CLOSEST_SITE;
	rejected(&m, -EBADMSG, "NextClosestSiteName runs past its end");
}

static void
test_sockaddr(void **state)
{
	const uint32_t ip = DIR_NT_VERSION_5EX | DIR_NT_VERSION_5EX_WITH_IP;
	struct dir_netlogon n;
	struct msg m;
	size_t at;

	(void)state;
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, ip);
	at = m.n - 8 - 17; /* DcSockAddrSize */
	assert_int_equal(m.b[at], 16);
	m.b[at + 1] = 23; /* AF_INET6 on Windows */
	rejected(&m, -EBADMSG, "DcSockAddr has family 23, not AF_INET");
	m.b[at + 1] = 2;
	m.b[at] = 17;
	rejected(&m, -EBADMSG, "DcSockAddrSize 17 is no sockaddr_in's");
	m.b[at] = 7;
	rejected(&m, -EBADMSG, "DcSockAddrSize 7");
	/* A shorter sockaddr_in, without its zeros, is still one. */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	for (size_t i = 0; i < 8; i++)
		name(&m, "x", 0);
	bytes(&m, "\x08\x02\x00\x00\x00\x0a\x02\x00\x0c", 9);
	trailer(&m, ip);
	decoded(&m, &n);
	assert_memory_equal(n.address, "\x0a\x02\x00\x0c", 4);
	dir_netlogon_clear(&n);
	/* A size that runs into the trailer. */
	m.b[m.n - 8 - 9] = 16;
	rejected(&m, -EBADMSG, "DcSockAddr runs past its end");
}

static void
test_pointers(void **state)
{
	struct dir_netlogon n;
	struct msg m;
	size_t forest, domain, at;

	(void)state;
	/* A chain: the host points into the domain, which points to the forest. */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	forest = name(&m, "forest.test", 0);
	domain = name(&m, "child", forest);
	name(&m, "dc", domain);
	name(&m, "", domain + 6); /* at the domain's own pointer */
	for (size_t i = 4; i < 8; i++)
		name(&m, "", forest);
	trailer(&m, DIR_NT_VERSION_5EX);
	decoded(&m, &n);
	assert_string_equal(n.domain, "child.forest.test");
	assert_string_equal(n.host, "dc.child.forest.test");
	assert_string_equal(n.netbios_domain, "forest.test");
	assert_string_equal(n.client_site, "forest.test");
	dir_netlogon_clear(&n);

	/* A name that points to itself. */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	name(&m, "", 24);
	for (size_t i = 1; i < 8; i++)
		name(&m, "x", 0);
	trailer(&m, DIR_NT_VERSION_5EX);
	rejected(&m, -EBADMSG, "DnsForestName: the compression pointer at 24 points to 24");

	/* Forward, to a name not read yet. */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	name(&m, "a", 30);
	for (size_t i = 1; i < 8; i++)
		name(&m, "x", 0);
	trailer(&m, DIR_NT_VERSION_5EX);
	rejected(&m, -EBADMSG, "points to 30, not back to an earlier name");

	/* Into the header. */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	name(&m, "a", 8);
	for (size_t i = 1; i < 8; i++)
		name(&m, "x", 0);
	trailer(&m, DIR_NT_VERSION_5EX);
	rejected(&m, -EBADMSG, "points to 8");

	/*
	 * Back, but into the middle of a label: its '0' (48) read as a length
	 * runs past the name that pointed there, though not past the message.
	 */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	at = name(&m, "0b", 0);
	name(&m, "", at + 1);
	for (size_t i = 2; i < 8; i++)
		name(&m, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", 0);
	trailer(&m, DIR_NT_VERSION_5EX);
	rejected(&m, -EBADMSG, "DnsDomainName: a label runs past its end");

	/* A pointer cut off by the trailer. */
	header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
	for (size_t i = 0; i < 7; i++)
		name(&m, "x", 0);
	u8(&m, 0xc0);
	trailer(&m, DIR_NT_VERSION_5EX);
	rejected(&m, -EBADMSG, "ClientSiteName: a compression pointer is cut off");
}

static void
test_labels(void **state)
{
	static const char *const bad[][2] = {
	    {"\x03"
	     "a.b",
	     "label a.b is not text"},
	    {"\x02"
	     "\xc3\x28",
	     "label \\xc3( is not text"},
	    {"\x01"
	     "\x07",
	     "label \\x07 is not text"},
	    {"\x41", "label type 0x40 is reserved"},
	    {"\x80", "label type 0x80 is reserved"},
	    {"\x3f", "a label runs past its end"},
	};
	struct dir_netlogon n;
	struct msg m;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
		for (size_t j = 0; j < 7; j++)
			name(&m, "x", 0);
		bytes(&m, bad[i][0], strlen(bad[i][0]));
		u8(&m, 0);
		trailer(&m, DIR_NT_VERSION_5EX);
		rejected(&m, -EBADMSG, bad[i][1]);
	}
	/* 255 octets of name are fine, more are not; UTF-8 is. */
	for (int longer = 0; longer <= 1; longer++) {
		header(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX);
		for (size_t j = 0; j < 7; j++)
			name(&m, "Z\xc3\xbcrich", 0);
		for (size_t j = 0; j < 4; j++) {
			u8(&m, 63);
			for (size_t k = 0; k < 63; k++)
				u8(&m, 'a');
		}
		if (longer)
			bytes(&m,
			      "\x01"
			      "a",
			      2);
		u8(&m, 0);
		trailer(&m, DIR_NT_VERSION_5EX);
		if (longer) {
			rejected(&m, -EBADMSG, "ClientSiteName is longer than 255 octets");
			continue;
		}
		decoded(&m, &n);
		assert_int_equal(strlen(n.client_site), 255);
		assert_string_equal(n.dc_site, "Z\xc3\xbcrich");
		dir_netlogon_clear(&n);
	}
}

/* Every octet changed to a few telling values: a clean answer or a clean refusal. */
static void
test_mutations(void **state)
{
	static const uint8_t values[] = {0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xc1, 0xff};
	const uint32_t all =
	    DIR_NT_VERSION_5EX | DIR_NT_VERSION_5EX_WITH_IP | DIR_NT_VERSION_WITH_CLOSEST_SITE;
	struct msg m, bent;

	(void)state;
	answer(&m, DIR_LOGON_SAM_LOGON_RESPONSE_EX, all);
	for (size_t i = 0; i < m.n; i++) {
		for (size_t v = 0; v < ARRAY_LEN(values); v++) {
			struct dir_netlogon n;
			char *cause = NULL;

			bent = m;
			bent.b[i] = values[v];
			if (dir_netlogon_decode(bent.b, bent.n, &n, &cause) != 0) {
				assert_non_null(cause);
				free(cause);
				continue;
			}
			assert_null(cause);
			assert_true(strlen(n.host) <= 255 &&
			            dir_text_valid(n.host, strlen(n.host)));
			dir_netlogon_clear(&n);
		}
	}
	/* Without a place for the cause, nothing leaks. */
	m.n = 3;
	assert_int_equal(dir_netlogon_decode(m.b, m.n, &(struct dir_netlogon){0}, NULL), -EBADMSG);
}

/* ---- the filter -------------------------------------------------------- */

static void
test_filter(void **state)
{
	struct dir_ping_request req = {.dns_domain = "forest.test",
	                               .nt_version = DIR_NT_VERSION_PING};
	char *filter;

	(void)state;
	filter = dir_netlogon_filter(&req);
	assert_string_equal(filter, "(&(DnsDomain=forest.test)(NtVer=\\14\\00\\00\\00))");
	free(filter);
	req = (struct dir_ping_request){
	    .dns_domain = "child.forest.test",
	    .host = "MEMBER1",
	    .dns_host = "member1.forest.test",
	    .user = "a*(b)\\c\x01Z\xc3\xbc",
	    .nt_version = 0x01000016,
	};
	filter = dir_netlogon_filter(&req);
	assert_string_equal(filter, "(&(DnsDomain=child.forest.test)(Host=MEMBER1)"
	                            "(DnsHostName=member1.forest.test)"
	                            "(User=a\\2a\\28b\\29\\5cc\\01Z\\c3\\bc)"
	                            "(NtVer=\\16\\00\\00\\01))");
	free(filter);
	req = (struct dir_ping_request){.nt_version = 0xffffffff};
	filter = dir_netlogon_filter(&req);
	assert_string_equal(filter, "(&(NtVer=\\ff\\ff\\ff\\ff))");
	free(filter);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),    cmocka_unit_test(test_optional_fields),
	    cmocka_unit_test(test_opcodes),   cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_trailer),   cmocka_unit_test(test_sockaddr),
	    cmocka_unit_test(test_pointers),  cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_mutations), cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
