/* cli: `kechan serve`: the HTTP API until SIGTERM or Ctrl-C. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/http.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] serve [--listen HOST:PORT] [--threads N] [--access-log]\n"
	"                                [--web DIR | --no-web] [--reload SECONDS]\n\n"
	"Serves the web UI at / and the JSON API under /api/v1 (docs/api.md; the OpenAPI\n"
	"document at /api/v1/openapi.json) on 127.0.0.1:8080 (--listen; port 0 picks a free one\n"
	"and prints it). Stops on SIGTERM or Ctrl-C after the requests in flight.\n"
	"The web UI is read from --web DIR, else $KECHAN_WEB, else web/dist beside the source\n"
	"tree the binary was built in, else ./web/dist; without one only the API is served.\n"
	"Users sign in with passwords set by 'kechan user password'.\n"
	"The learned associations and field vectors beside the database (DB.assoc, DB.lsa: kechan\n"
	"match assoc) are looked at every --reload seconds (default 10) and reloaded when rewritten.\n";

/* The built web UI: --web, $KECHAN_WEB, the source tree's web/dist, ./web/dist. */
static const char *find_web(const char *given)
{
	static const char *const tries[] = {KC_SRC_DIR "/web/dist", "web/dist"};
	if (given != NULL)
		return given;
	const char *env = getenv("KECHAN_WEB");
	if (env != NULL && *env)
		return env;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		char index[4096];
		snprintf(index, sizeof(index), "%s/index.html", tries[i]);
		FILE *f = fopen(index, "rb");
		if (f != NULL) {
			fclose(f);
			return tries[i];
		}
	}
	return NULL;
}

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
	printf("kechan: serving http://%s:%u/ (API under /api/v1/; Ctrl-C stops)\n", host, port);
	fflush(stdout);
}

int kc_cli_serve(struct kc_cli *cli, int argc, char **argv)
{
	struct kc_http_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.db = cli->db;
	opts.port = 8080;
	char host[64] = "127.0.0.1";
	const char *val = NULL, *web = NULL;
	int no_web = 0;
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
		} else if (kc_cli_opt(argc, argv, &i, "--reload", &val)) {
			long n = val ? strtol(val, &end, 10) : 0;
			if (val == NULL || *end || n < 1 || n > 86400)
				return kc_cli_usage_error("serve", "--reload needs 1-86400 seconds");
			opts.reload = (unsigned)n;
		} else if (kc_cli_opt(argc, argv, &i, "--web", &val)) {
			if (val == NULL)
				return 1;
			web = val;
		} else if (strcmp(argv[i], "--no-web") == 0) {
			no_web = 1;
		} else if (strcmp(argv[i], "--access-log") == 0) {
			opts.access_log = stderr;
		} else {
			return kc_cli_usage_error("serve", "unexpected argument '%s'", argv[i]);
		}
	}
	opts.host = host;
	opts.web_dir = no_web ? NULL : find_web(web);
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
