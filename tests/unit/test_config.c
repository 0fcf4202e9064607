/*
 * test_config.c - the configuration parser: values, defaults, every error
 * named with file, line and key, all errors collected.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../daemon/config.h"
#include "../../ntp/clock.h"

static struct cfg *
parse(const char *text, struct cfg_errors *errs)
{
	return cfg_parse_text("t.conf", text, strlen(text), errs);
}

static void
test_defaults(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = parse("", &errs);

	(void)state;
	assert_int_equal(errs.n, 0);
	assert_int_equal(cfg->clock, CLK_SYSTEM);
	assert_int_equal(cfg->reliable, 0);
	assert_int_equal(cfg->local_stratum, 1);
	assert_int_equal(cfg->ratelimit, 0);
	assert_int_equal(cfg->listen.n, 2);
	assert_string_equal(cfg->control_socket, "/run/domtimed/domtimed.sock");
	cfg_free(cfg);
}

static void
test_values(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = parse("# a comment\n"
	                        "  listen = 127.0.0.1:1234   # trailing comment\n"
	                        "listen = [::1]:5678 10.0.0.1\n"
	                        "clock = virtual\r\n"
	                        "clock_offset = -0.25\n"
	                        "clock_freq_ppm=100\n"
	                        "reliable = yes\n"
	                        "local_stratum = 3\n"
	                        "control_socket = /tmp/x#y.sock\n"
	                        "control_socket_mode = 0600\n"
	                        "log_level = debug\n",
	                        &errs);
	const struct sockaddr_in6 *in6;
	const struct sockaddr_in *in;

	(void)state;
	assert_int_equal(errs.n, 0);
	assert_int_equal(cfg->listen.n, 3);
	in = (const struct sockaddr_in *)&cfg->listen.v[0].ss;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 1234);
	in6 = (const struct sockaddr_in6 *)&cfg->listen.v[1].ss;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 5678);
	in = (const struct sockaddr_in *)&cfg->listen.v[2].ss;
	assert_int_equal(ntohs(in->sin_port), 123);
	assert_int_equal(cfg->clock, CLK_VIRTUAL);
	assert_true(cfg->clock_offset == -0.25);
	assert_true(cfg->clock_freq_ppm == 100.0);
	assert_int_equal(cfg->reliable, 1);
	assert_int_equal(cfg->local_stratum, 3);
	/* '#' inside a value is not a comment. */
	assert_string_equal(cfg->control_socket, "/tmp/x#y.sock");
	assert_int_equal(cfg->control_socket_mode, 0600);
	assert_int_equal(cfg->log_level, 3);
	cfg_free(cfg);
}

static int
has_error(const struct cfg_errors *errs, const char *needle)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->msgs[i], needle) != NULL)
			return 1;
	return 0;
}

static void
test_errors_all_reported(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = parse("bogus_key = 1\n"
	                        "reliable = perhaps\n"
	                        "local_stratum = 16\n"
	                        "local_stratum = 2\n"
	                        "local_stratum = 2\n"
	                        "listen = 1.2.3.4:99999\n"
	                        "listen = ::1\n"
	                        "control_socket = relative/path\n"
	                        "just some words\n"
	                        "clock = sundial\n"
	                        "clock_offset = 1e999\n"
	                        "control_socket_mode = 0999\n",
	                        &errs);

	(void)state;
	assert_true(has_error(&errs, "t.conf:1: unknown key 'bogus_key'"));
	assert_true(has_error(&errs, "t.conf:2: key 'reliable'"));
	assert_true(has_error(&errs, "t.conf:3: key 'local_stratum'"));
	assert_true(has_error(&errs, "t.conf:5: key 'local_stratum': already set on line 4"));
	assert_true(has_error(&errs, "t.conf:6: key 'listen'"));
	assert_true(has_error(&errs, "t.conf:7: key 'listen'"));
	assert_true(has_error(&errs, "t.conf:8: key 'control_socket'"));
	assert_true(has_error(&errs, "t.conf:9: expected 'key = value'"));
	assert_true(has_error(&errs, "t.conf:10: key 'clock'"));
	assert_true(has_error(&errs, "t.conf:11: key 'clock_offset'"));
	assert_true(has_error(&errs, "t.conf:12: key 'control_socket_mode'"));
	/* Every bad line once; the bad stratum on line 3 did not count as set. */
	assert_int_equal(errs.n, 11);
	cfg_errors_clear(&errs);
	cfg_free(cfg);
}

static void
test_cross_checks_and_hostile_text(void **state)
{
	static const char nul_line[] = "reliable = yes\nlog_level = in\0fo\n";
	struct cfg_errors errs = {0};
	struct cfg *cfg;
	char *longline = malloc(10000);

	(void)state;
	cfg = parse("clock_offset = 1\n", &errs);
	assert_true(has_error(&errs, "only meaningful with clock = virtual"));
	cfg_errors_clear(&errs);
	cfg_free(cfg);

	cfg = cfg_parse_text("t.conf", nul_line, sizeof(nul_line) - 1, &errs);
	assert_true(has_error(&errs, "t.conf:2: line contains a NUL byte"));
	cfg_errors_clear(&errs);
	cfg_free(cfg);

	memset(longline, 'x', 9999);
	longline[9999] = '\0';
	cfg = parse(longline, &errs);
	assert_true(has_error(&errs, "t.conf:1: line longer than"));
	cfg_errors_clear(&errs);
	cfg_free(cfg);
	free(longline);

	/* A control character is refused where it is, and never copied into the message. */
	cfg = parse("clock = \x1b[31mred\n", &errs);
	assert_int_equal(errs.n, 1);
	assert_null(strchr(errs.msgs[0], '\x1b'));
	assert_true(has_error(&errs, "t.conf:1: key 'clock': control character U+001B at byte 1"));
	cfg_errors_clear(&errs);
	cfg_free(cfg);
}

/*
 * Values reach logs, paths, LDAP filters and DNS: control characters and
 * broken UTF-8 stop at the parser, named with file, line and byte.
 */
static void
test_control_characters_and_utf8(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = parse("site = Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac\n" /* 1: fine */
	                        "listen = 127.0.0.1:1\t127.0.0.2:2\n"             /* 2: tab ok */
	                        "user = ti\x07me\n"                               /* 3: BEL */
	                        "dns_server = 10.0.0.1\x7f\n"                     /* 4: DEL */
	                        "ldap_bind_dn = cn=\xc2\x85x\n"                   /* 5: C1 NEL */
	                        "ldap_tls_ca_file = /etc/\xff.pem\n"              /* 6: not UTF-8 */
	                        "ldap_bind_password_file = /x/\xc0\xaf\n"         /* 7: overlong */
	                        "control_socket = /run/\xed\xa0\x80\n"            /* 8: surrogate */
	                        "drift_file = /var/\xe2\x82\n"                    /* 9: cut short */
	                        "log_level = in\rfo\n", /* 10: CR inside */
	                        &errs);

	(void)state;
	assert_string_equal(cfg->site, "Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac");
	assert_int_equal(cfg->listen.n, 2);
	assert_string_equal(cfg->listen.v[1].text, "127.0.0.2:2");
	assert_true(has_error(&errs, "t.conf:3: key 'user': control character U+0007 at byte 3"));
	assert_true(has_error(&errs, "t.conf:4: key 'dns_server': control character U+007F"));
	assert_true(has_error(&errs, "t.conf:5: key 'ldap_bind_dn': control character U+0085"));
	assert_true(has_error(&errs, "t.conf:6: key 'ldap_tls_ca_file': not UTF-8 at byte 6"));
	assert_true(has_error(&errs, "t.conf:7: key 'ldap_bind_password_file': not UTF-8"));
	assert_true(has_error(&errs, "t.conf:8: key 'control_socket': not UTF-8"));
	assert_true(has_error(&errs, "t.conf:9: key 'drift_file': not UTF-8"));
	assert_true(has_error(&errs, "t.conf:10: key 'log_level': control character U+000D"));
	assert_int_equal(errs.n, 8);
	cfg_errors_clear(&errs);
	cfg_free(cfg);
}

/* A value out of range says what the range is. */
static void
test_range_in_messages(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = parse("local_stratum = 16\n"
	                        "client_table_size = 4\n"
	                        "step_threshold = -1\n"
	                        "max_pos_phase_correction = 0\n"
	                        "control_socket_mode = 01000\n",
	                        &errs);

	(void)state;
	assert_true(has_error(&errs, "t.conf:1: key 'local_stratum': expected a whole number "
	                             "from 1 to 15: '16'"));
	assert_true(has_error(&errs, "t.conf:2: key 'client_table_size': expected a whole number "
	                             "from 8 to 16777216: '4'"));
	assert_true(has_error(&errs, "t.conf:3: key 'step_threshold': expected a number from 0 "
	                             "to 1000000000: '-1'"));
	assert_true(has_error(&errs, "from 0.001 to 4294967295"));
	assert_true(has_error(&errs, "t.conf:5: key 'control_socket_mode': expected an octal mode "
	                             "from 0000 to 0777"));
	assert_int_equal(errs.n, 5);
	cfg_errors_clear(&errs);
	cfg_free(cfg);
}

static void
test_print_round_trip(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *a = parse("listen = 127.0.0.1:1 [::1]:2\nclock = virtual\nclock_offset = 0.5\n"
	                      "reliable = yes\n",
	                      &errs),
	           *b;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	cfg_print(a, f);
	fclose(f);
	/* What -t prints parses back to the same configuration. */
	b = cfg_parse_text("printed", text, len, &errs);
	assert_int_equal(errs.n, 0);
	assert_int_equal(b->listen.n, 2);
	assert_true(b->clock_offset == 0.5);
	assert_int_equal(b->reliable, 1);
	assert_non_null(strstr(text, "listen = 127.0.0.1:1 [::1]:2\n"));
	free(text);
	cfg_free(a);
	cfg_free(b);
}

static void
count_change(const char *key, int needs_restart, void *arg)
{
	int *n = arg;

	(void)key;
	n[needs_restart ? 1 : 0]++;
}

static void
test_diff(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *a = parse("reliable = no\nlisten = 127.0.0.1:1\n", &errs);
	struct cfg *b = parse("reliable = yes\nlisten = 127.0.0.1:2\n", &errs);
	int n[2] = {0, 0};

	(void)state;
	cfg_diff(a, b, count_change, n);
	assert_int_equal(n[0], 1); /* reliable: live */
	assert_int_equal(n[1], 1); /* listen: restart */
	cfg_free(a);
	cfg_free(b);
}

static void
test_missing_file(void **state)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = cfg_parse_file("/nonexistent/domtimed.conf", &errs);

	(void)state;
	assert_int_equal(errs.n, 1);
	assert_true(has_error(&errs, "/nonexistent/domtimed.conf: cannot read"));
	cfg_errors_clear(&errs);
	cfg_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_errors_all_reported),
	    cmocka_unit_test(test_cross_checks_and_hostile_text),
	    cmocka_unit_test(test_control_characters_and_utf8),
	    cmocka_unit_test(test_range_in_messages),
	    cmocka_unit_test(test_print_round_trip),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
