/*
 * main.c - domtimed: arguments, configuration, start-up, privilege drop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../ntp/clock.h"
#include "config.h"
#include "daemon.h"
#include "privs.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: domtimed [-d] [-f FILE]\n"
	        "       domtimed -t [-f FILE]\n"
	        "\n"
	        "Domain hierarchy time service: keeps this machine's clock with NTP from the\n"
	        "sources its place in the directory calls for, and serves NTP.\n"
	        "\n"
	        "  -f, --config FILE   configuration file (default %s, which may be\n"
	        "                      absent: then the defaults)\n"
	        "  -d, --debug         stay in the foreground and log to stderr\n"
	        "  -t, --test          check the configuration, print it in effect, and exit\n"
	        "  -h, --help          this text\n"
	        "  -V, --version       print the version\n"
	        "\n"
	        "See domtimed(8) and domtimed.conf(5).\n",
	        CFG_DEFAULT_FILE);
}

static struct cfg *
load_config(const char *path, int optional)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = cfg_load(path, optional, &errs);

	if (errs.n == 0)
		return cfg;
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "domtimed: %s\n", errs.msgs[i]);
	fprintf(stderr, "domtimed: %zu error(s) in the configuration\n", errs.n);
	cfg_errors_clear(&errs);
	cfg_free(cfg);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'f'}, {"debug", no_argument, NULL, 'd'},
	    {"test", no_argument, NULL, 't'},         {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *path = CFG_DEFAULT_FILE, *user;
	int optional = 1, foreground = 0, test = 0, opt, status;
	char *cause = NULL;
	struct cfg *cfg;
	struct dmn *d;

	while ((opt = getopt_long(argc, argv, "f:dthV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			optional = 0;
			break;
		case 'd':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("domtimed %s\n", DOMTIMED_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = load_config(path, optional);
	if (cfg == NULL)
		return 1;
	if (test) {
		cfg_print(cfg, stdout);
		cfg_free(cfg);
		return 0;
	}
	/* Without -d we run under systemd: no fork, the journal takes syslog. */
	log_open("domtimed", foreground, (enum log_level)cfg->log_level);
	if (optional && access(path, F_OK) < 0)
		log_info("no %s: running on the defaults", path);
	user = privs_user(cfg->user);
	int keep_sys_time = cfg->clock == CLK_SYSTEM;
	char *socket_path = xstrdup(cfg->control_socket);

	/* As root: sockets, keys, the control socket. Then the user, then the rest. */
	d = dmn_new(cfg, path, optional, &cause);
	if (d == NULL)
		fatalx("%s", cause);
	if (user != NULL && (privs_give_group(socket_path, user, &cause) < 0 ||
	                     privs_drop(user, keep_sys_time, &cause) < 0))
		fatalx("%s", cause);
	free(socket_path);
	if (user != NULL)
		log_info("running as %s", user);
	status = dmn_run(d);
	dmn_free(d);
	log_close();
	return status;
}
