/* cli: `kechan serve`: the HTTP API until SIGTERM or Ctrl-C. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/http.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] serve [--listen HOST:PORT] [--threads N] [--access-log]\n\n"
	"Serves the JSON API under /api/v1 on 127.0.0.1:8080 (--listen; port 0 picks a free one\n"
	"and prints it). Stops on SIGTERM or Ctrl-C after the requests in flight.\n"
	"For now the API is read-only and anonymous: GET /api/v1/health, /api/v1/stats,\n"
	"/api/v1/<type>?limit=&cursor=&<field>=<value>, /api/v1/<type>/<id>; confidential demands\n"
	"are shown without their owner.\n";

/* The one piece of state a signal handler may touch; set by SIGTERM/SIGINT. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_listen(void *ud, unsigned port)
{
	const char *host = ud;
	printf("kechan: serving http://%s:%u/api/v1/ (Ctrl-C stops)\n", host, port);
	fflush(stdout);
}

int kc_cli_serve(struct kc_cli *cli, int argc, char **argv)
{
	struct kc_http_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.db = cli->db;
	opts.port = 8080;
	char host[64] = "127.0.0.1";
	const char *val = NULL;
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (kc_cli_opt(argc, argv, &i, "--listen", &val)) {
			const char *colon = val ? strrchr(val, ':') : NULL;
			long port = colon ? strtol(colon + 1, &end, 10) : -1;
			if (colon == NULL || *end || port < 0 || port > 65535 ||
			    (size_t)(colon - val) >= sizeof(host))
				return kc_cli_usage_error("serve", "--listen needs HOST:PORT");
			memcpy(host, val, (size_t)(colon - val));
			host[colon - val] = '\0';
			opts.port = (unsigned)port;
		} else if (kc_cli_opt(argc, argv, &i, "--threads", &val)) {
			long n = val ? strtol(val, &end, 10) : 0;
			if (val == NULL || *end || n < 1 || n > 64)
				return kc_cli_usage_error("serve", "--threads needs 1-64");
			opts.threads = (unsigned)n;
		} else if (strcmp(argv[i], "--access-log") == 0) {
			opts.access_log = stderr;
		} else {
			return kc_cli_usage_error("serve", "unexpected argument '%s'", argv[i]);
		}
	}
	opts.host = host;
	opts.on_listen = on_listen;
	opts.ud = host;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct kc_err err = KC_ERR_INIT;
	int rc = kc_http_serve(&opts, &stop_requested, &err);
	if (rc < 0)
		return kc_cli_fail(&err);
	printf("kechan: stopped\n");
	return 0;
}
