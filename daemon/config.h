/*
 * config.h - domtimed.conf: one table of keys drives the parser, the
 * effective-configuration dump (domtimed -t) and the man page.
 *
 * The file is "key = value" lines; "#" starts a comment at the start of a
 * line or after whitespace. Every problem is collected with file, line and
 * key before the caller decides what to do, so a user sees all mistakes at
 * once. Parsing builds a fresh struct cfg, so a reload can be checked whole
 * before anything of it is applied.
 */
#ifndef DOMTIMED_CONFIG_H
#define DOMTIMED_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

/* The configuration file when none is named: SYSCONFDIR/domtimed.conf (Makefile). */
#ifdef DOMTIMED_CONF_FILE
#define CFG_DEFAULT_FILE DOMTIMED_CONF_FILE
#else
#define CFG_DEFAULT_FILE "/etc/domtimed.conf"
#endif

struct cfg_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char *text; /* as written, for messages */
};

struct cfg_addrs {
	struct cfg_addr *v;
	size_t n;
};

/* A repeatable string key: N values, plus a NULL after the last. */
struct cfg_strings {
	char **v;
	size_t n;
};

enum cfg_mssntp { CFG_MSSNTP_AUTO, CFG_MSSNTP_REQUIRE, CFG_MSSNTP_NO };
/* The mssntp key's values, indexed by enum cfg_mssntp, NULL-terminated. */
extern const char *const cfg_mssntp_names[];

struct cfg {
	struct cfg_addrs listen;
	char *control_socket;
	unsigned control_socket_mode;
	char *metrics_listen; /* "" when off */
	int clock;            /* enum clk_kind */
	double clock_offset;
	double clock_freq_ppm;
	int reliable;
	int local_stratum;
	char *drift_file;
	char *ntp_server;  /* W32Time syntax, checked by ntp_srvspec_parse */
	char *key_file;    /* RFC 8573 keys, "" when none; checked by ntp_keys_load */
	char *nts_ca_file; /* NTS-KE trust anchors, "" for the system store */
	char *nts_server_cert, *nts_server_key; /* "" : no NTS server */
	int nts_server_port;
	char *nts_cookie_key_file;
	int min_poll, max_poll;
	double special_poll_interval;
	double refused_retry;
	double step_threshold;
	double max_pos_phase_correction, max_neg_phase_correction;
	double max_distance;
	double holdover_period;
	int type;            /* enum hier_type (HIER_AUTO when not configured) */
	int announce_flags;  /* -1 auto, else W32Time AnnounceFlags */
	int cross_site_sync; /* enum hier_cross_site */
	int hierarchy_sources;
	char *domain, *realm, *keytab, *principal;
	char *samba_conf, *ntp_signd_socket_dir;
	int mssntp; /* enum cfg_mssntp */
	struct cfg_strings ldap_uri;
	int ldap_bind; /* enum dir_bind */
	char *ldap_bind_dn, *ldap_bind_password_file;
	int ldap_nocanon;
	int ldap_starttls;
	char *ldap_tls_ca_file;
	double ldap_timeout;
	int ldap_max_entries, ldap_max_bytes, ldap_max_pages;
	double discovery_timeout;
	char *dns_server;
	char *site;
	double rediscover_interval, pdc_check_interval, rediscover_backoff;
	int log_level; /* enum log_level */
	char *user;
	int ratelimit;
	int ratelimit_interval;
	int ratelimit_burst;
	int ratelimit_leak;
	int ratelimit_kod;
	int ratelimit_ipv4_prefix, ratelimit_ipv6_prefix;
	int client_table_size;
};

/* Problems found while parsing: "FILE:LINE: key 'k': what is wrong". */
struct cfg_errors {
	char **msgs;
	size_t n;
};

/* Default configuration (as if the file were empty). */
struct cfg *cfg_new_default(void);

/*
 * Parse LEN bytes of TEXT read from NAME. Always returns a configuration
 * (defaults where the text says nothing); problems are appended to ERRS.
 */
struct cfg *cfg_parse_text(const char *name, const char *text, size_t len, struct cfg_errors *errs);
/* Read and parse PATH; an unreadable file is one more error. */
struct cfg *cfg_parse_file(const char *path, struct cfg_errors *errs);
/*
 * The daemon's configuration: PATH parsed, or the defaults when PATH does
 * not exist and is OPTIONAL (the default file: a host needs none). A path
 * given on the command line is not optional: a typo must not mean defaults.
 */
struct cfg *cfg_load(const char *path, int optional, struct cfg_errors *errs);

struct cfg *cfg_free(struct cfg *cfg);
void cfg_errors_clear(struct cfg_errors *errs);

/*
 * Call CHANGED for every key whose value differs between OLD and NEW, saying
 * whether the running daemon can apply it or needs a restart.
 */
void cfg_diff(const struct cfg *old, const struct cfg *new,
              void (*changed)(const char *key, int needs_restart, void *arg), void *arg);

/* Write the effective configuration, one "key = value" per line, to OUT. */
void cfg_print(const struct cfg *cfg, FILE *out);
/* Write the key reference as man(7) markup, for domtimed.conf(5). */
void cfg_print_man(FILE *out);

/* Parse "ADDRESS[:PORT]" / "[IPV6][:PORT]" (port default DEFAULT_PORT). 0 or -1. */
int cfg_parse_address(const char *text, int default_port, struct cfg_addr *ret);

#endif
