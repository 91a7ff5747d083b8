/* cli: `kechan export`: every record as JSONL or CSV files. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] export [--format jsonl|csv] [--as-admin] DIR\n\n"
	"Writes every record into DIR as <type>.jsonl (default) or <type>.csv, in files that\n"
	"'kechan import DIR' reads back into an identical database. Confidential demands (and\n"
	"the challenges and matches on them) are left out unless --as-admin is given: use it for\n"
	"backups, and keep such an export as confidential as the database.\n";

int kc_cli_export(struct kc_cli *cli, int argc, char **argv)
{
	const char *dir = NULL, *val = NULL;
	struct kc_export_opts opts = {KC_FORMAT_JSONL, 0};
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (kc_cli_opt(argc, argv, &i, "--format", &val)) {
			if (val && strcmp(val, "jsonl") == 0)
				opts.format = KC_FORMAT_JSONL;
			else if (val && strcmp(val, "csv") == 0)
				opts.format = KC_FORMAT_CSV;
			else
				return kc_cli_usage_error("export", "--format is jsonl or csv");
		} else if (strcmp(argv[i], "--as-admin") == 0) {
			opts.include_confidential = 1;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return kc_cli_usage_error("export", "unknown option '%s'", argv[i]);
		} else if (dir == NULL) {
			dir = argv[i];
		} else {
			return kc_cli_usage_error("export", "one DIR only");
		}
	}
	if (dir == NULL)
		return kc_cli_usage_error("export", "missing DIR");
	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 0, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	int64_t skipped = 0;
	int64_t n = kc_export(st, dir, &opts, &skipped, &err);
	kc_store_close(st);
	if (n < 0)
		return kc_cli_fail(&err);
	if (cli->json) {
		printf("{\"exported\": %" PRId64 ", \"skipped_confidential\": %" PRId64 "}\n", n,
		       skipped);
	} else {
		printf("exported %" PRId64 " records to %s\n", n, dir);
		if (skipped)
			fprintf(stderr,
				"kechan: left out %" PRId64 " confidential records (demands and the"
				" challenges/matches on them); use --as-admin for a full backup\n",
				skipped);
	}
	return 0;
}
