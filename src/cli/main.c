/* cli: `kechan`, the command table and global options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

#ifndef KC_VERSION
#define KC_VERSION "dev"
#endif

struct command {
	const char *name;
	kc_cli_fn fn;
	const char *summary;
};

static const struct command commands[] = {
	{"init", kc_cli_init, "create an empty database (or bring one's schema up to date)"},
	{"import", kc_cli_import, "import JSONL / CSV files, all or nothing"},
	{"export", kc_cli_export, "write every record as JSONL or CSV files"},
	{"list", kc_cli_list, "list records of one type"},
	{"show", kc_cli_show, "show one record with what hangs on it"},
	{"stats", kc_cli_stats, "counts by type, kind, region, TRL"},
	{"check", kc_cli_check, "check the database's integrity and every record"},
	{"log", kc_cli_log, "show the audit log (newest events)"},
	{"chain", kc_cli_chain, "industrial chains: panorama, coverage, gaps, weak links, risks"},
	{"match", kc_cli_match, "supplies for a demand, demands for a supply, with explanations"},
	{"text", kc_cli_text, "text analysis: segment Chinese/English text as matching sees it"},
	{"serve", kc_cli_serve, "serve the web UI and the JSON API over HTTP"},
	{"user", kc_cli_user, "set a user's password for the web UI and the API"},
};

static void usage(FILE *f)
{
	fprintf(f, "kechan %s — 科产: matching industry's demands with science's supplies\n\n"
		   "usage: kechan [--db PATH] [--json] [--actor NAME] <command> [options]\n\n"
		   "commands:\n",
		KC_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nglobal options (anywhere on the line):\n"
		   "  --db PATH      the database (default ./kechan.db, or $KECHAN_DB)\n"
		   "  --json         machine-readable output\n"
		   "  --actor NAME   who to record in the audit log (default cli:$USER)\n\n"
		   "exit codes: 0 ok, 1 user error, 2 data error, 3 internal error\n"
		   "'kechan <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	struct kc_cli cli = {NULL, 0, NULL};
	char actor[128];
	const char *user = getenv("USER");
	snprintf(actor, sizeof(actor), "cli:%s", user && *user ? user : "unknown");
	cli.actor = actor;
	cli.db = getenv("KECHAN_DB");
	if (cli.db == NULL || *cli.db == '\0')
		cli.db = "kechan.db";

	/* Take the global options out of argv, wherever they are (up to "--"). */
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	if (args == NULL) {
		fputs("kechan: out of memory\n", stderr);
		return 3;
	}
	int n = 0, dashdash = 0;
	for (int i = 1; i < argc; i++) {
		const char *val = NULL;
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			args[n++] = argv[i];
		} else if (!dashdash && kc_cli_opt(argc, argv, &i, "--db", &val)) {
			if (val == NULL)
				goto usage_fail;
			cli.db = val;
		} else if (!dashdash && kc_cli_opt(argc, argv, &i, "--actor", &val)) {
			if (val == NULL)
				goto usage_fail;
			cli.actor = val;
		} else if (!dashdash && strcmp(argv[i], "--json") == 0) {
			cli.json = 1;
		} else {
			args[n++] = argv[i];
		}
	}
	int rc;
	if (n == 0 || kc_cli_is_help(args[0]) || strcmp(args[0], "help") == 0) {
		usage(stdout);
		rc = n == 0 ? 1 : 0;
		goto done;
	}
	if (strcmp(args[0], "--version") == 0 || strcmp(args[0], "version") == 0) {
		printf("kechan %s\n", KC_VERSION);
		rc = 0;
		goto done;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, args[0]) == 0) {
			rc = commands[i].fn(&cli, n, args);
			goto done;
		}
	}
	fprintf(stderr, "kechan: unknown command '%s'\n\n", args[0]);
	usage(stderr);
	rc = 1;
	goto done;
usage_fail:
	rc = 1;
done:
	free(args);
	return rc;
}
