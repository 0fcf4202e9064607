/*
 * config.c - the key table, the line parser and the printers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <event2/util.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "../hierarchy/hierarchy.h"
#include "../ldap/discovery.h"
#include "../ntp/clock.h"
#include "../ntp/keys.h"
#include "../ntp/nts_server.h"
#include "../ntp/srvspec.h"
#include "config.h"

/* Longest line we read; anything longer is an error, not a silent cut. */
#define MAX_LINE 4096

enum type {
	T_BOOL,
	T_INT,
	T_DOUBLE,
	T_STRING,
	T_PATH,    /* absolute path */
	T_ENUM,    /* one of CHOICES; stored as its index */
	T_MODE,    /* octal file mode */
	T_LISTEN,  /* repeatable address:port */
	T_STRINGS, /* repeatable string */
	T_FLAGS,   /* "auto" (stored as -1) or a number 0-15, hexadecimal with 0x */
};

struct key {
	const char *name;
	enum type type;
	size_t offset;
	const char *def; /* default, in config syntax; parsed like a line */
	double min, max; /* for T_INT and T_DOUBLE */
	const char *const *choices;
	int restart; /* a change takes effect only after a restart */
	/* Extra validation of a string value: 0, or -1 with an allocated *cause. */
	int (*check)(const char *value, char **cause);
	const char *help;
};

static int
check_servers(const char *value, char **cause)
{
	struct ntp_srvspec *v = NULL;
	int n = ntp_srvspec_parse(value, &v, cause);

	free(v);
	return n < 0 ? -1 : 0;
}

/* The key file must parse whole: a key the daemon would miss is found by -t. */
static int
check_key_file(const char *value, char **cause)
{
	struct ntp_keys *keys;

	if (value[0] == '\0')
		return 0;
	keys = ntp_keys_load(value, cause);
	if (keys == NULL)
		return -1;
	ntp_keys_free(keys);
	return 0;
}

/* An HTTP listening address: empty (off), or ADDRESS:PORT / [IPV6]:PORT with a port. */
static int
check_http_listen(const char *value, char **cause)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (value[0] == '\0')
		return 0;
	if (evutil_parse_sockaddr_port(value, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                             : ((struct sockaddr_in6 *)&ss)->sin6_port) == 0) {
		*cause = xasprintf("'%s' is not ADDRESS:PORT or [IPV6]:PORT", value);
		return -1;
	}
	return 0;
}

static const char *const clock_choices[] = {
    [CLK_SYSTEM] = "system", [CLK_VIRTUAL] = "virtual", NULL};
const char *const cfg_mssntp_names[] = {
    [CFG_MSSNTP_AUTO] = "auto", [CFG_MSSNTP_REQUIRE] = "require", [CFG_MSSNTP_NO] = "no", NULL};

#define OFF(field) offsetof(struct cfg, field)

static const struct key keys[] = {
    {.name = "listen",
     .type = T_LISTEN,
     .offset = OFF(listen),
     .restart = 1,
     .def = "0.0.0.0:123 [::]:123",
     .help = "Address and UDP port to serve NTP on, as ADDRESS:PORT or [IPV6]:PORT (port 123 "
             "when omitted). Repeat the key, or give several separated by spaces, to listen "
             "on more addresses. A wildcard address answers from the address each request "
             "was sent to."},
    {.name = "control_socket",
     .type = T_PATH,
     .offset = OFF(control_socket),
     .restart = 1,
     .def = "/run/domtimed/domtimed.sock",
     .help = "Unix socket where domtimectl talks to the daemon."},
    {.name = "control_socket_mode",
     .type = T_MODE,
     .offset = OFF(control_socket_mode),
     .restart = 1,
     .def = "0660",
     .help = "Permissions of the control socket, which belongs to root and the primary "
             "group of the daemon's user (see user: group domtimed by default). Everyone "
             "who can connect may use the read-only commands (status, counters); commands "
             "that change anything are for root only, checked with the peer's credentials. "
             "0666 opens the read-only commands to every local user."},
    {.name = "metrics_listen",
     .type = T_STRING,
     .offset = OFF(metrics_listen),
     .restart = 1,
     .def = "",
     .check = check_http_listen,
     .help = "ADDRESS:PORT or [IPV6]:PORT where Prometheus may scrape /metrics over HTTP "
             "(what domtimectl metrics prints). Empty: off. Anyone who can reach it reads "
             "the counters, so keep it on loopback or a management network."},
    {.name = "clock",
     .type = T_ENUM,
     .offset = OFF(clock),
     .restart = 1,
     .def = "system",
     .choices = clock_choices,
     .help = "Which clock to keep: system (the kernel clock, needs CAP_SYS_TIME) or virtual "
             "(a clock inside the daemon that starts clock_offset seconds off and runs "
             "clock_freq_ppm fast; the real clock is never touched). Tests and demos use "
             "virtual."},
    {.name = "clock_offset",
     .type = T_DOUBLE,
     .offset = OFF(clock_offset),
     .restart = 1,
     .def = "0",
     .min = -1e9,
     .max = 1e9,
     .help = "Virtual clock only: its initial error in seconds (positive: ahead of the "
             "kernel clock)."},
    {.name = "clock_freq_ppm",
     .type = T_DOUBLE,
     .offset = OFF(clock_freq_ppm),
     .restart = 1,
     .def = "0",
     .min = -CLK_MAX_FREQ_PPM,
     .max = CLK_MAX_FREQ_PPM,
     .help = "Virtual clock only: its frequency error in ppm (positive: runs fast)."},
    {.name = "reliable",
     .type = T_BOOL,
     .offset = OFF(reliable),
     .def = "no",
     .help = "This machine is a reliable time source (W32Time AnnounceFlags 5): with no "
             "upstream it serves its own clock as synchronised at local_stratum, refid "
             "LOCL."},
    {.name = "local_stratum",
     .type = T_INT,
     .offset = OFF(local_stratum),
     .def = "1",
     .min = 1,
     .max = 15,
     .help = "Stratum announced when serving the local clock as a reliable source."},
    {.name = "drift_file",
     .type = T_PATH,
     .offset = OFF(drift_file),
     .restart = 1,
     .def = "/var/lib/domtimed/drift",
     .help = "Where the clock's frequency correction is kept across restarts (read at start, "
             "written atomically every hour while synchronised and at exit), so a restarted "
             "daemon converges at once. Empty: none."},
    {.name = "ntp_server",
     .type = T_STRING,
     .offset = OFF(ntp_server),
     .def = "",
     .check = check_servers,
     .help = "Manual list of NTP servers in W32Time NtpServer syntax: HOST[:PORT][,0xFLAGS] "
             "separated by spaces, IPv6 addresses in brackets. Flags: 0x1 poll every "
             "special_poll_interval seconds, 0x2 use only as a fallback when every other "
             "source fails, 0x4 symmetric active mode, 0x8 client mode (the default). "
             "Options follow the flags: key=ID authenticates the source with key ID of "
             "key_file (RFC 8573), e.g. ntp1.example.com,0x8,key=10; answers without its "
             "right MAC are dropped and counted (peers: auth, stats.bad_mac). nts or nts=PORT "
             "uses NTS (RFC 8915) instead: key exchange over TLS 1.3 with HOST on TCP PORT "
             "(4460), which names the NTP server and port (default HOST, 123), e.g. "
             "time.cloudflare.com,0x8,nts; no :PORT then. Answers must carry a valid NTS "
             "authenticator; peers shows the cookies left and the last key exchange."},
    {.name = "nts_ca_file",
     .type = T_PATH,
     .offset = OFF(nts_ca_file),
     .def = "",
     .help = "PEM certificates trusted for NTS key exchange (ntp_server entries with nts); "
             "the server's certificate must also name the host as written. Empty: the system "
             "store. Read when an NTS source is added."},
    {.name = "nts_server_cert",
     .type = T_PATH,
     .offset = OFF(nts_server_cert),
     .restart = 1,
     .def = "",
     .help = "PEM certificate chain of our NTS server (RFC 8915); with nts_server_key, "
             "NTS-KE is served on nts_server_port of every listen address and NTS requests "
             "are answered with authenticated time. Read at start, before privileges are "
             "dropped. Empty: no NTS server."},
    {.name = "nts_server_key",
     .type = T_PATH,
     .offset = OFF(nts_server_key),
     .restart = 1,
     .def = "",
     .help = "PEM private key of nts_server_cert."},
    {.name = "nts_server_port",
     .type = T_INT,
     .offset = OFF(nts_server_port),
     .restart = 1,
     .def = "4460",
     .min = 1,
     .max = 65535,
     .help = "TCP port of our NTS-KE server."},
    {.name = "nts_cookie_key_file",
     .type = T_PATH,
     .offset = OFF(nts_cookie_key_file),
     .restart = 1,
     .def = "/var/lib/domtimed/nts-cookie-keys",
     .help = "Where the NTS server keeps its cookie keys (made when missing, rotated daily, "
             "the previous one still accepted, written atomically with mode 0600), so "
             "clients' cookies survive a restart."},
    {.name = "key_file",
     .type = T_PATH,
     .offset = OFF(key_file),
     .restart = 1,
     .def = "",
     .check = check_key_file,
     .help = "Symmetric keys (RFC 8573) in chrony's key file format: lines ID [TYPE] KEY, "
             "TYPE AES128 or AES256 (AES-CMAC, recommended), SHA1, SHA256, SHA384, SHA512 "
             "or MD5 (the default; digest of key and packet, cut to 20 octets), KEY as "
             "HEX:digits or ASCII:text, at least 80 bits; # starts a comment line. Used by "
             "ntp_server entries with key=ID, and by the server: a request signed with a key "
             "of this file is answered signed with the same key; one with an unknown key or "
             "a wrong MAC is dropped and counted. Read at start; keep it unreadable to "
             "others. Empty: none."},
    {.name = "min_poll",
     .type = T_INT,
     .offset = OFF(min_poll),
     .def = "6",
     .min = -4,
     .max = 17,
     .help = "Shortest poll interval, as log2 seconds (W32Time MinPollInterval): 6 is 64 s, "
             "-4 a sixteenth of a second (tests only; never poll public servers below 6)."},
    {.name = "max_poll",
     .type = T_INT,
     .offset = OFF(max_poll),
     .def = "10",
     .min = -4,
     .max = 17,
     .help = "Longest poll interval, as log2 seconds (W32Time MaxPollInterval). The interval "
             "grows from min_poll while a source's samples are predictable."},
    {.name = "special_poll_interval",
     .type = T_DOUBLE,
     .offset = OFF(special_poll_interval),
     .def = "3600",
     .min = 1,
     .max = 604800,
     .help = "Poll interval in seconds of sources flagged 0x1 (W32Time "
             "SpecialPollInterval)."},
    {.name = "refused_retry",
     .type = T_DOUBLE,
     .offset = OFF(refused_retry),
     .def = "14400",
     .min = 1,
     .max = 604800,
     .help = "Seconds before a source that answered with a kiss-o'-death DENY or RSTR (the "
             "server refuses us) is asked again; a resync asks it at once, and so does a reload "
             "or a rediscovery that offers the source again (at most once a poll interval)."},
    {.name = "step_threshold",
     .type = T_DOUBLE,
     .offset = OFF(step_threshold),
     .def = "0.128",
     .min = 0,
     .max = 1e9,
     .help = "Offsets larger than this many seconds are stepped, smaller ones slewed. The "
             "default is RFC 5905's: below it slewing is quick and invisible, above it a "
             "step is quicker and honest. A clock that is already synchronised steps only "
             "if the offset stays above the threshold for 300 s, so one bad answer cannot "
             "step it. 0: never step."},
    {.name = "max_pos_phase_correction",
     .type = T_DOUBLE,
     .offset = OFF(max_pos_phase_correction),
     .def = "172800",
     .min = 0.001,
     .max = 4294967295.0,
     .help = "Largest correction forward, in seconds (W32Time MaxPosPhaseCorrection). A "
             "larger offset is refused with a log line and the daemon serves as "
             "unsynchronised rather than jump. 4294967295: no limit."},
    {.name = "max_neg_phase_correction",
     .type = T_DOUBLE,
     .offset = OFF(max_neg_phase_correction),
     .def = "172800",
     .min = 0.001,
     .max = 4294967295.0,
     .help = "Largest correction backward, in seconds (W32Time MaxNegPhaseCorrection)."},
    {.name = "max_distance",
     .type = T_DOUBLE,
     .offset = OFF(max_distance),
     .def = "3",
     .min = 0.001,
     .max = 16,
     .help = "Sources whose root distance (half the round trip to the primary reference "
             "plus all dispersion) exceeds this many seconds are not used, and 'domtimectl "
             "peers' says so. Windows servers often advertise a large root dispersion: raise "
             "it (up to 16) to use them."},
    {.name = "holdover_period",
     .type = T_DOUBLE,
     .offset = OFF(holdover_period),
     .def = "7800",
     .min = 1,
     .max = 1e7,
     .help = "Seconds without a usable sample after which the clock is declared "
             "free-running (served as unsynchronised, or as the local reliable source) and "
             "the sources are looked for again (W32Time ClockHoldoverPeriod)."},
    {.name = "type",
     .type = T_ENUM,
     .offset = OFF(type),
     .def = "auto",
     .choices = hier_type_names,
     .help = "Where time comes from, as W32Time's Type: nt5ds (the domain hierarchy only), "
             "ntp (the manual list only), nosync (no synchronisation: serve the clock as it "
             "is), allsync (the hierarchy, and the manual list when it gives nothing). auto: "
             "nt5ds on a machine joined to a domain, ntp otherwise. A reload applies a "
             "change, except one that starts reading the directory (the keytab is read at "
             "start only): that one is refused until a restart."},
    {.name = "announce_flags",
     .type = T_FLAGS,
     .offset = OFF(announce_flags),
     .def = "auto",
     .help = "W32Time AnnounceFlags: 0x1 serve time always (answering as unsynchronised "
             "when not), 0x2 serve time only while synchronised, 0x4 always a reliable time "
             "source, 0x8 reliable when this is the forest root's PDC emulator. auto: 0xA on "
             "domain controllers, 0x9 on Samba AD DCs (Samba advertises every DC as a time "
             "server, so it answers, as unsynchronised when it is), 0 on domain members (they do "
             "not serve), 0x1 on machines "
             "outside a domain; reliable = yes adds 0x4."},
    {.name = "cross_site_sync",
     .type = T_ENUM,
     .offset = OFF(cross_site_sync),
     .def = "pdc_only",
     .choices = hier_cross_site_names,
     .help = "W32Time CrossSiteSyncFlags: which time sources outside this machine's site "
             "the hierarchy may pick: none, only the domain's PDC emulator (pdc_only), or "
             "any (all)."},
    {.name = "hierarchy_sources",
     .type = T_INT,
     .offset = OFF(hierarchy_sources),
     .def = "3",
     .min = 1,
     .max = 16,
     .help = "How many of the best domain time sources to follow at once. W32Time follows "
             "one; following a few lets NTP selection out-vote a wrong one."},
    {.name = "domain",
     .type = T_STRING,
     .offset = OFF(domain),
     .restart = 1,
     .def = "",
     .help = "DNS name of this machine's domain. Empty: detect it (the keytab's machine "
             "principal, krb5.conf, sssd.conf, smb.conf)."},
    {.name = "realm",
     .type = T_STRING,
     .offset = OFF(realm),
     .restart = 1,
     .def = "",
     .help = "Kerberos realm. Empty: detect it, or the domain upper-cased."},
    {.name = "keytab",
     .type = T_PATH,
     .offset = OFF(keytab),
     .restart = 1,
     .def = "",
     .help = "Keytab holding the machine account's keys, read into memory at start (so "
             "the daemon can run unprivileged). Empty: KRB5_KTNAME, else /etc/krb5.keytab."},
    {.name = "samba_conf",
     .type = T_PATH,
     .offset = OFF(samba_conf),
     .restart = 1,
     .def = "/etc/samba/smb.conf",
     .help = "Samba's configuration. When it says server role = active directory domain "
             "controller, this machine is a DC of its realm with no further configuration: "
             "the directory is read with the DC's own keys (<private dir>/secrets.keytab, "
             "unless keytab says otherwise) and MS-SNTP requests of Windows clients are "
             "answered with replies signed by Samba's ntp_signd. Empty: never look."},
    {.name = "ntp_signd_socket_dir",
     .type = T_PATH,
     .offset = OFF(ntp_signd_socket_dir),
     .restart = 1,
     .def = "",
     .help = "Directory of Samba's ntp_signd socket, through which MS-SNTP replies are "
             "signed. Empty: smb.conf's ntp signd socket directory, else Samba's compiled-in "
             "default (samba -b), on a Samba AD DC only. The daemon's user needs to reach it: "
             "Samba makes it mode 0750, so chgrp it to the daemon's group."},
    {.name = "mssntp",
     .type = T_ENUM,
     .offset = OFF(mssntp),
     .restart = 1,
     .def = "auto",
     .choices = cfg_mssntp_names,
     .help = "MS-SNTP towards the DCs of this machine's own domain that the hierarchy "
             "chose: requests carry the RID of its account and answers are checked with "
             "its NT hash (the keytab's arcfour-hmac key, current and previous kvno, read "
             "at start). auto: authenticate when the key is there, use an answer that "
             "fails the check with the reason in peers, and ask a DC that leaves two signed "
             "requests in a row unanswered with plain NTP (signed again every 16th time); require: "
             "refuse time from the "
             "hierarchy that is not authenticated (manual ntp_server entries are never "
             "affected); no: plain NTP. DCs of a parent domain are asked with plain NTP: "
             "their answers need the interdomain trust key, which a host does not have."},
    {.name = "principal",
     .type = T_STRING,
     .offset = OFF(principal),
     .restart = 1,
     .def = "",
     .help = "Kerberos principal to bind as. Empty: the keytab's HOST$@REALM."},
    {.name = "ldap_uri",
     .type = T_STRINGS,
     .offset = OFF(ldap_uri),
     .restart = 1,
     .def = "",
     .help = "Directory servers to read the forest from (ldap://, ldaps://; repeatable). "
             "Empty: the domain's DCs from DNS SRV records, this machine's site first."},
    {.name = "ldap_bind",
     .type = T_ENUM,
     .offset = OFF(ldap_bind),
     .restart = 1,
     .def = "gssapi",
     .choices = dir_bind_names,
     .help = "How to bind: gssapi (SASL GSSAPI from the keytab, integrity protected, as "
             "AD requires), simple (ldap_bind_dn and ldap_bind_password_file: for tests and "
             "odd directories only) or anonymous."},
    {.name = "ldap_bind_dn",
     .type = T_STRING,
     .offset = OFF(ldap_bind_dn),
     .restart = 1,
     .def = "",
     .help = "With ldap_bind = simple: the DN to bind as."},
    {.name = "ldap_bind_password_file",
     .type = T_PATH,
     .offset = OFF(ldap_bind_password_file),
     .restart = 1,
     .def = "",
     .help = "With ldap_bind = simple: a file holding the password (never the password "
             "itself in this file)."},
    {.name = "ldap_nocanon",
     .type = T_BOOL,
     .offset = OFF(ldap_nocanon),
     .restart = 1,
     .def = "yes",
     .help = "Ask Kerberos for the LDAP server's ticket under the name as written, without "
             "canonicalising it through (reverse) DNS first (LDAP_OPT_X_SASL_NOCANON), as "
             "sssd does for AD: canonicalisation breaks with split DNS and on loopback."},
    {.name = "ldap_starttls",
     .type = T_BOOL,
     .offset = OFF(ldap_starttls),
     .restart = 1,
     .def = "no",
     .help = "Upgrade every ldap:// connection with StartTLS (an ldaps:// URI is always "
             "TLS). The server's certificate must carry its DNS name and chain to a CA in "
             "ldap_tls_ca_file. Off by default: GSSAPI already signs and seals the traffic."},
    {.name = "ldap_tls_ca_file",
     .type = T_PATH,
     .offset = OFF(ldap_tls_ca_file),
     .restart = 1,
     .def = "",
     .help = "PEM file of the CAs trusted for LDAPS and StartTLS, read at each connection "
             "(so readable by the daemon's user). Empty: ldap.conf's TLS_CACERT."},
    {.name = "ldap_timeout",
     .type = T_DOUBLE,
     .offset = OFF(ldap_timeout),
     .restart = 1,
     .def = "10",
     .min = 0.1,
     .max = 600,
     .help = "Seconds any one directory, DNS or Kerberos operation may take before the "
             "server is skipped."},
    {.name = "discovery_timeout",
     .type = T_DOUBLE,
     .offset = OFF(discovery_timeout),
     .restart = 1,
     .def = "300",
     .min = 1,
     .max = 86400,
     .help = "Seconds one whole discovery (DNS, Kerberos, every LDAP read, pings) may take. "
             "A read still running then stops, is logged and shown as a problem, and its "
             "partial picture is not used: the last good one stays."},
    {.name = "ldap_max_entries",
     .type = T_INT,
     .offset = OFF(ldap_max_entries),
     .restart = 1,
     .def = "1000000",
     .min = 1,
     .max = 2147483647,
     .help = "Directory entries one discovery may read (a forest of 5,000 DCs and 20,000 "
             "subnets has about 30,000). Past it the read stops as for discovery_timeout."},
    {.name = "ldap_max_bytes",
     .type = T_INT,
     .offset = OFF(ldap_max_bytes),
     .restart = 1,
     .def = "268435456",
     .min = 1,
     .max = 2147483647,
     .help = "Octets of DNs, attribute names and values one discovery may read (such a "
             "forest has about 8 MB). Past it the read stops as for discovery_timeout."},
    {.name = "ldap_max_pages",
     .type = T_INT,
     .offset = OFF(ldap_max_pages),
     .restart = 1,
     .def = "2000",
     .min = 1,
     .max = 2147483647,
     .help = "Paged-result pages (of up to 1000 entries; such a forest takes 30) one "
             "discovery may ask for. Past it the read stops as for discovery_timeout."},
    {.name = "dns_server",
     .type = T_STRING,
     .offset = OFF(dns_server),
     .restart = 1,
     .def = "",
     .help = "ADDRESS:PORT of the DNS server for DC location and source names. Empty: "
             "/etc/resolv.conf."},
    {.name = "site",
     .type = T_STRING,
     .offset = OFF(site),
     .def = "",
     .help = "This machine's AD site. Empty: from its server object (a DC), or the "
             "subnet that matches the address it reaches the directory from."},
    {.name = "rediscover_interval",
     .type = T_DOUBLE,
     .offset = OFF(rediscover_interval),
     .def = "3600",
     .min = 1,
     .max = 1e7,
     .help = "Seconds between reading the forest again, to notice new and removed DCs."},
    {.name = "pdc_check_interval",
     .type = T_DOUBLE,
     .offset = OFF(pdc_check_interval),
     .def = "300",
     .min = 0.1,
     .max = 1e7,
     .help = "Seconds between cheap checks of each domain's PDC emulator role "
             "(fSMORoleOwner); a transfer triggers rediscovery at once."},
    {.name = "rediscover_backoff",
     .type = T_DOUBLE,
     .offset = OFF(rediscover_backoff),
     .def = "900",
     .min = 0.1,
     .max = 1e7,
     .help = "After a failed discovery, retry after this many seconds, doubling at each "
             "further failure up to 7 times (W32Time: 15 minutes)."},
    {.name = "log_level",
     .type = T_ENUM,
     .offset = OFF(log_level),
     .def = "info",
     .choices = log_level_names,
     .help = "Least severe messages logged: error, warning, info or debug."},
    {.name = "user",
     .type = T_STRING,
     .offset = OFF(user),
     .restart = 1,
     .def = "",
     .help = "After opening sockets and reading secrets as root, and before starting "
             "any thread or reading any packet, switch to this user keeping only the "
             "capability to steer the clock (CAP_SYS_TIME; none with clock = virtual). "
             "Empty: domtimed when the daemon starts as root and that user exists (the "
             "package creates it), else stay as started."},
    {.name = "ratelimit",
     .type = T_BOOL,
     .offset = OFF(ratelimit),
     .def = "no",
     .help = "Limit how often each client is answered. Off by default, as in chrony; turn it "
             "on for servers reachable from untrusted networks. Requests over the limit are "
             "dropped, except one in 2^ratelimit_leak, so the server sheds load instead of "
             "answering floods. What the table remembers survives reloads and directory "
             "reads."},
    {.name = "ratelimit_interval",
     .type = T_INT,
     .offset = OFF(ratelimit_interval),
     .def = "3",
     .min = -4,
     .max = 12,
     .help = "With ratelimit: the average interval a client must keep between requests, as "
             "log2 seconds (3: one request per 8 s)."},
    {.name = "ratelimit_burst",
     .type = T_INT,
     .offset = OFF(ratelimit_burst),
     .def = "8",
     .min = 1,
     .max = 255,
     .help = "With ratelimit: how many requests a client may send at once before the "
             "interval applies."},
    {.name = "ratelimit_leak",
     .type = T_INT,
     .offset = OFF(ratelimit_leak),
     .def = "2",
     .min = 1,
     .max = 8,
     .help = "With ratelimit: of the requests over the limit, answer one in 2^N (the first, "
             "then every 2^N-th) and drop the rest; as chrony's leak, 2 answers one in four. "
             "The answers keep a client whose address a flood forges from being silenced, and "
             "tell a real client to slow down."},
    {.name = "ratelimit_kod",
     .type = T_BOOL,
     .offset = OFF(ratelimit_kod),
     .def = "yes",
     .help = "With ratelimit: the limited requests that are answered (see ratelimit_leak) "
             "get a Kiss-o'-Death RATE packet (never longer than the request), so "
             "well-behaved clients slow down. No: they get the time, as chrony's leak does."},
    {.name = "ratelimit_ipv4_prefix",
     .type = T_INT,
     .offset = OFF(ratelimit_ipv4_prefix),
     .def = "32",
     .min = 8,
     .max = 32,
     .help = "With ratelimit: IPv4 clients whose addresses share this many leading bits are "
             "limited as one client (32: each address)."},
    {.name = "ratelimit_ipv6_prefix",
     .type = T_INT,
     .offset = OFF(ratelimit_ipv6_prefix),
     .def = "64",
     .min = 16,
     .max = 128,
     .help = "With ratelimit: IPv6 clients whose addresses share this many leading bits are "
             "limited as one client. 64, because one host commonly holds a whole /64 and "
             "could otherwise take 2^64 fresh identities."},
    {.name = "client_table_size",
     .type = T_INT,
     .offset = OFF(client_table_size),
     .def = "16384",
     .min = 8,
     .max = 16777216,
     .help = "With ratelimit: how many clients are remembered (rounded up to a power of two, "
             "32 bytes each), taken in full at start: memory stays fixed however many clients "
             "appear. An "
             "address hashes to a set of 8 records; a newcomer to a full set replaces the "
             "least recently seen client that never came back after a pause, and only "
             "when there is none the least recently seen of the others, so a flood of "
             "forged sources cannot cheaply push out clients that keep returning. "
             "Changing the size or a prefix on reload empties the table."},
};

#define N_KEYS (ARRAY_LEN(keys))

static void *
field(struct cfg *cfg, const struct key *k)
{
	return (char *)cfg + k->offset;
}

static const void *
cfield(const struct cfg *cfg, const struct key *k)
{
	return (const char *)cfg + k->offset;
}

/* ---- errors --------------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3)))
add_error(struct cfg_errors *errs, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup("(error message lost: out of memory)");
	va_end(ap);
	errs->msgs = xreallocarray(errs->msgs, errs->n + 1, sizeof(*errs->msgs));
	errs->msgs[errs->n++] = msg;
}

void
cfg_errors_clear(struct cfg_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	*errs = (struct cfg_errors){0};
}

/* ---- value parsers: 0 on success, else -1 with *cause set (static text) ---- */

static int
parse_bool(const char *v, int *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return -1;
}

static int
parse_double(const char *v, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !isfinite(*ret))
		return -1;
	return 0;
}

static int
parse_long(const char *v, int base, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(v, &end, base);
	if (end == v || *end != '\0' || errno != 0)
		return -1;
	return 0;
}

int
cfg_parse_address(const char *text, int default_port, struct cfg_addr *ret)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	long portnum = default_port;
	size_t hostlen;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		hostlen = (size_t)(close - text - 1);
		text++;
		if (close[1] == ':')
			port = close + 2;
	} else {
		const char *colon = strchr(text, ':');

		/* A bare IPv6 address would be ambiguous with a port: ask for brackets. */
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return -1;
		hostlen = colon ? (size_t)(colon - text) : strlen(text);
		if (colon != NULL)
			port = colon + 1;
	}
	if (hostlen == 0 || hostlen >= sizeof(host))
		return -1;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	if (port != NULL && (parse_long(port, 10, &portnum) < 0 || portnum < 1 || portnum > 65535))
		return -1;

	memset(ret, 0, sizeof(*ret));
	struct sockaddr_in *in = (struct sockaddr_in *)&ret->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ret->ss;

	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)portnum);
		ret->len = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)portnum);
		ret->len = sizeof(*in6);
	} else {
		return -1;
	}
	return 0;
}

static void
free_addrs(struct cfg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].text);
	free(a->v);
	*a = (struct cfg_addrs){0};
}

static int
parse_listen(const char *v, struct cfg_addrs *a, const char **cause)
{
	char *copy = xstrdup(v), *save = NULL;
	int r = 0;

	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		struct cfg_addr addr;

		if (cfg_parse_address(tok, 123, &addr) < 0) {
			*cause = "expected ADDRESS[:PORT] or [IPV6][:PORT] with a numeric address";
			r = -1;
			break;
		}
		addr.text = xstrdup(tok);
		a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
		a->v[a->n++] = addr;
	}
	free(copy);
	return r;
}

static void
free_strings(struct cfg_strings *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct cfg_strings){0};
}

/* Append V (one value per line; empty adds nothing), keeping a NULL at the end. */
static int
parse_strings(const char *v, struct cfg_strings *l)
{
	if (*v == '\0')
		return 0;
	l->v = xreallocarray(l->v, l->n + 2, sizeof(*l->v));
	l->v[l->n++] = xstrdup(v);
	l->v[l->n] = NULL;
	return 0;
}

static int
parse_flags(const char *v, int *ret)
{
	long l;

	if (strcasecmp(v, "auto") == 0) {
		*ret = -1;
		return 0;
	}
	if (parse_long(v, 0, &l) < 0 || l < 0 || l > 15)
		return -1;
	*ret = (int)l;
	return 0;
}

/* Store text V for key K in CFG. */
static int
parse_value(const struct key *k, const char *v, struct cfg *cfg, const char **cause)
{
	void *dst = field(cfg, k);
	double d;
	long l;

	switch (k->type) {
	case T_BOOL:
		*cause = "expected yes or no";
		return parse_bool(v, dst);
	case T_INT:
		*cause = "expected a whole number";
		if (parse_long(v, 10, &l) < 0 || l < k->min || l > k->max)
			return -1;
		*(int *)dst = (int)l;
		return 0;
	case T_DOUBLE:
		*cause = "expected a number";
		if (parse_double(v, &d) < 0 || d < k->min || d > k->max)
			return -1;
		*(double *)dst = d;
		return 0;
	case T_MODE:
		*cause = "expected an octal mode from 0000 to 0777, such as 0660";
		if (parse_long(v, 8, &l) < 0 || l < 0 || l > 0777)
			return -1;
		*(unsigned *)dst = (unsigned)l;
		return 0;
	case T_ENUM:
		*cause = "not one of the allowed values";
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcasecmp(v, k->choices[i]) == 0) {
				*(int *)dst = i;
				return 0;
			}
		}
		return -1;
	case T_PATH:
		*cause = "expected an absolute path (or nothing)";
		if (v[0] != '/' && v[0] != '\0')
			return -1;
		/* fall through */
	case T_STRING:
		free(*(char **)dst);
		*(char **)dst = xstrdup(v);
		return 0;
	case T_LISTEN:
		return parse_listen(v, dst, cause);
	case T_STRINGS:
		return parse_strings(v, dst);
	case T_FLAGS:
		*cause = "expected auto or a number 0-15 (e.g. 0xA)";
		return parse_flags(v, dst);
	}
	*cause = "internal error: unknown key type";
	return -1;
}

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* ---- the line parser ------------------------------------------------------ */

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Cut a comment: "#" at the start or after whitespace (values may hold '#'). */
static void
strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

struct parse_state {
	const char *name;
	struct cfg *cfg;
	struct cfg_errors *errs;
	int seen_line[N_KEYS]; /* line where each key was set, 0 = not yet */
};

/* Octets of the well-formed UTF-8 sequence at S (NUL-terminated), 0 if it is not one. */
static size_t
utf8_sequence(const unsigned char *s)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0; /* a continuation octet, an overlong lead, or beyond U+10FFFF */
	/* The second octet's range excludes overlongs, surrogates and beyond U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Values end up in logs, file names, LDAP filters and DNS queries: refuse
 * control characters (C0, DEL and C1; a tab may separate list items) and
 * octets that are not UTF-8, where they are, rather than pass them on.
 */
static int
value_text_ok(struct parse_state *st, const struct key *k, const char *value, int lineno)
{
	const unsigned char *v = (const unsigned char *)value;

	for (size_t i = 0; v[i] != '\0';) {
		size_t n = utf8_sequence(v + i);
		unsigned c = n == 2 ? (unsigned)(v[i] & 0x1f) << 6 | (v[i + 1] & 0x3f) : v[i];

		if (n == 0) {
			add_error(st->errs, "%s:%d: key '%s': not UTF-8 at byte %zu of the value",
			          st->name, lineno, k->name, i + 1);
			return 0;
		}
		if (n <= 2 && ((c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f))) {
			add_error(
			    st->errs,
			    "%s:%d: key '%s': control character U+%04X at byte %zu of the value",
			    st->name, lineno, k->name, c, i + 1);
			return 0;
		}
		i += n;
	}
	return 1;
}

static void
parse_line(struct parse_state *st, char *line, int lineno)
{
	const struct key *k;
	const char *cause = NULL;
	char *eq, *key, *value;

	strip_comment(line);
	key = trim(line);
	if (*key == '\0')
		return;
	eq = strchr(key, '=');
	if (eq == NULL) {
		add_error(st->errs, "%s:%d: expected 'key = value', got '%s'", st->name, lineno,
		          log_esc(key).s);
		return;
	}
	*eq = '\0';
	key = trim(key);
	value = trim(eq + 1);
	k = find_key(key);
	if (k == NULL) {
		add_error(st->errs, "%s:%d: unknown key '%s'", st->name, lineno, log_esc(key).s);
		return;
	}
	size_t idx = (size_t)(k - keys);

	if (k->type == T_LISTEN || k->type == T_STRINGS) {
		/* Repeatable: the first use replaces the default list. */
		if (st->seen_line[idx] == 0 && k->type == T_LISTEN)
			free_addrs(field(st->cfg, k));
		else if (st->seen_line[idx] == 0)
			free_strings(field(st->cfg, k));
	} else if (st->seen_line[idx] != 0) {
		add_error(st->errs, "%s:%d: key '%s': already set on line %d", st->name, lineno,
		          k->name, st->seen_line[idx]);
		return;
	}
	if (!value_text_ok(st, k, value, lineno))
		return;
	if (parse_value(k, value, st->cfg, &cause) < 0) {
		char range[80] = "";

		if (k->type == T_INT || k->type == T_DOUBLE)
			snprintf(range, sizeof(range), " from %.15g to %.15g", k->min, k->max);
		add_error(st->errs, "%s:%d: key '%s': %s%s: '%s'", st->name, lineno, k->name, cause,
		          range, log_esc(value).s);
		return;
	}
	if (k->check != NULL) {
		char *why = NULL;

		if (k->check(value, &why) < 0) {
			add_error(st->errs, "%s:%d: key '%s': %s", st->name, lineno, k->name, why);
			free(why);
			return;
		}
	}
	st->seen_line[idx] = lineno;
}

/* Every key=ID of ntp_server names a key of key_file (whose own errors are reported apart). */
static void
check_server_keys(struct parse_state *st)
{
	const struct cfg *cfg = st->cfg;
	struct ntp_srvspec *v = NULL;
	struct ntp_keys *table = NULL;
	char *cause = NULL;
	int n = ntp_srvspec_parse(cfg->ntp_server, &v, &cause);

	if (n > 0 && cfg->key_file[0] != '\0')
		table = ntp_keys_load(cfg->key_file, &cause);
	for (int i = 0; i < n; i++) {
		if (v[i].key_id == 0 || (cfg->key_file[0] != '\0' && table == NULL) ||
		    ntp_keys_find(table, v[i].key_id) != NULL)
			continue;
		add_error(st->errs, "%s: key 'ntp_server': %s: key %" PRIu32 " is not in %s",
		          st->name, v[i].host, v[i].key_id,
		          cfg->key_file[0] != '\0' ? cfg->key_file : "a key_file (none set)");
	}
	ntp_keys_free(table);
	free(cause);
	free(v);
}

/* Our NTS server's certificate and key: both or neither, and they must load and match. */
static void
check_nts_server(struct parse_state *st)
{
	const struct cfg *cfg = st->cfg;
	char *cause = NULL;

	if ((cfg->nts_server_cert[0] == '\0') != (cfg->nts_server_key[0] == '\0'))
		add_error(st->errs,
		          "%s: key 'nts_server_cert'/'nts_server_key': give both or neither",
		          st->name);
	else if (cfg->nts_server_cert[0] != '\0' &&
	         nts_srv_check_files(cfg->nts_server_cert, cfg->nts_server_key, &cause) < 0)
		add_error(st->errs, "%s: key 'nts_server_cert': %s", st->name, cause);
	free(cause);
}

/* Checks that involve more than one key. */
static void
check_whole(struct parse_state *st)
{
	const struct cfg *cfg = st->cfg;

	check_server_keys(st);
	check_nts_server(st);

	if (cfg->clock != CLK_VIRTUAL && (cfg->clock_offset != 0.0 || cfg->clock_freq_ppm != 0.0))
		add_error(st->errs,
		          "%s: key 'clock_offset'/'clock_freq_ppm': only meaningful with "
		          "clock = virtual",
		          st->name);
	if (cfg->min_poll > cfg->max_poll)
		add_error(st->errs, "%s: key 'min_poll': %d is above max_poll (%d)", st->name,
		          cfg->min_poll, cfg->max_poll);
}

static void
apply_defaults(struct cfg *cfg)
{
	struct cfg_errors errs = {0};

	for (size_t i = 0; i < N_KEYS; i++) {
		const char *cause;

		if (parse_value(&keys[i], keys[i].def, cfg, &cause) < 0)
			add_error(&errs, "default of '%s': %s", keys[i].name, cause);
	}
	/* A default that does not parse is a bug in the table above. */
	if (errs.n > 0)
		fatalx("internal error: %s", errs.msgs[0]);
}

struct cfg *
cfg_new_default(void)
{
	struct cfg *cfg = xcalloc(1, sizeof(*cfg));

	apply_defaults(cfg);
	return cfg;
}

struct cfg *
cfg_parse_text(const char *name, const char *text, size_t len, struct cfg_errors *errs)
{
	struct parse_state st = {.name = name, .cfg = cfg_new_default(), .errs = errs};
	char line[MAX_LINE + 1];
	size_t pos = 0;
	int lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (n > MAX_LINE) {
			add_error(errs, "%s:%d: line longer than %d bytes", name, lineno, MAX_LINE);
		} else if (memchr(text + pos, '\0', n) != NULL) {
			add_error(errs, "%s:%d: line contains a NUL byte", name, lineno);
		} else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			parse_line(&st, line, lineno);
		}
		pos += n + 1;
	}
	check_whole(&st);
	return st.cfg;
}

struct cfg *
cfg_parse_file(const char *path, struct cfg_errors *errs)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct cfg *cfg;

	if (f == NULL) {
		add_error(errs, "%s: cannot read: %s", path, strerror(errno));
		return cfg_new_default();
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			text = xreallocarray(text, cap, 1);
		}
		size_t n = fread(text + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		add_error(errs, "%s: read error", path);
	fclose(f);
	cfg = cfg_parse_text(path, text, len, errs);
	free(text);
	return cfg;
}

struct cfg *
cfg_load(const char *path, int optional, struct cfg_errors *errs)
{
	if (optional && access(path, F_OK) < 0 && errno == ENOENT)
		return cfg_new_default();
	return cfg_parse_file(path, errs);
}

struct cfg *
cfg_free(struct cfg *cfg)
{
	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; i < N_KEYS; i++) {
		void *dst = field(cfg, &keys[i]);

		if (keys[i].type == T_STRING || keys[i].type == T_PATH)
			free(*(char **)dst);
		else if (keys[i].type == T_LISTEN)
			free_addrs(dst);
		else if (keys[i].type == T_STRINGS)
			free_strings(dst);
	}
	free(cfg);
	return NULL;
}

/* ---- printers -------------------------------------------------------------- */

static void
print_value(const struct key *k, const void *v, FILE *out)
{
	switch (k->type) {
	case T_BOOL:
		fputs(*(const int *)v ? "yes" : "no", out);
		break;
	case T_INT:
		fprintf(out, "%d", *(const int *)v);
		break;
	case T_DOUBLE:
		fprintf(out, "%.9g", *(const double *)v);
		break;
	case T_MODE:
		fprintf(out, "%04o", *(const unsigned *)v);
		break;
	case T_ENUM:
		fputs(k->choices[*(const int *)v], out);
		break;
	case T_STRING:
	case T_PATH:
		fputs(*(char *const *)v, out);
		break;
	case T_LISTEN: {
		const struct cfg_addrs *a = v;

		for (size_t i = 0; i < a->n; i++)
			fprintf(out, "%s%s", i ? " " : "", a->v[i].text);
		break;
	}
	case T_STRINGS: {
		/* For comparisons; cfg_print writes one line per value instead. */
		const struct cfg_strings *l = v;

		for (size_t i = 0; i < l->n; i++)
			fprintf(out, "%s%s", i ? " " : "", l->v[i]);
		break;
	}
	case T_FLAGS:
		if (*(const int *)v < 0)
			fputs("auto", out);
		else
			fprintf(out, "0x%x", *(const int *)v);
		break;
	}
}

void
cfg_print(const struct cfg *cfg, FILE *out)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_strings *l = cfield(cfg, &keys[i]);

		if (keys[i].type == T_STRINGS) {
			/* A repeatable key is printed as it is written: once per value. */
			for (size_t j = 0; j < l->n; j++)
				fprintf(out, "%s = %s\n", keys[i].name, l->v[j]);
			if (l->n == 0)
				fprintf(out, "%s =\n", keys[i].name);
			continue;
		}
		fprintf(out, "%s = ", keys[i].name);
		print_value(&keys[i], cfield(cfg, &keys[i]), out);
		fputc('\n', out);
	}
}

static char *
value_text(const struct key *k, const struct cfg *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return xstrdup("");
	print_value(k, cfield(cfg, k), f);
	fclose(f);
	return text;
}

void
cfg_diff(const struct cfg *old, const struct cfg *new,
         void (*changed)(const char *key, int needs_restart, void *arg), void *arg)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		char *a = value_text(&keys[i], old), *b = value_text(&keys[i], new);

		if (strcmp(a, b) != 0)
			changed(keys[i].name, keys[i].restart, arg);
		free(a);
		free(b);
	}
}

static const char *
type_synopsis(const struct key *k, char *buf, size_t size)
{
	switch (k->type) {
	case T_BOOL:
		return "yes | no";
	case T_INT:
		snprintf(buf, size, "integer %.15g..%.15g", k->min, k->max);
		return buf;
	case T_DOUBLE:
		snprintf(buf, size, "number %.15g..%.15g", k->min, k->max);
		return buf;
	case T_MODE:
		return "octal mode";
	case T_PATH:
		return "absolute path";
	case T_STRING:
		return "string";
	case T_LISTEN:
		return "ADDRESS[:PORT] ... (repeatable)";
	case T_STRINGS:
		return "string (repeatable)";
	case T_FLAGS:
		return "auto | 0-15";
	case T_ENUM: {
		size_t o = 0;

		buf[0] = '\0';
		for (int i = 0; k->choices[i] != NULL && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? " | " : "",
			                      k->choices[i]);
		return buf;
	}
	}
	return "?";
}

/* man(7) escapes: a leading dot or quote would be a request; backslash is an escape. */
static void
print_roff(const char *s, FILE *out)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void
cfg_print_man(FILE *out)
{
	char buf[256];

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		fputs(".TP\n.BR ", out);
		print_roff(k->name, out);
		fputs(" \" = \" \"", out);
		print_roff(type_synopsis(k, buf, sizeof(buf)), out);
		fputs("\"\n", out);
		print_roff(k->help, out);
		fputs("\nDefault: ", out);
		print_roff(k->def[0] ? k->def : "(empty)", out);
		fputs(".\n", out);
	}
}
