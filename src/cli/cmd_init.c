/* cli: `kechan init`: create an empty database or bring its schema up to date. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] init [--force]\n\n"
	"Creates an empty kechan database at PATH (SQLite, WAL) or, when it exists, brings its\n"
	"schema up to date. --force deletes an existing database first.\n";

int kc_cli_init(struct kc_cli *cli, int argc, char **argv)
{
	int force = 0;
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (strcmp(argv[i], "--force") == 0) {
			force = 1;
		} else {
			return kc_cli_usage_error("init", "unexpected argument '%s'", argv[i]);
		}
	}
	int existed = access(cli->db, F_OK) == 0;
	if (force && existed) {
		char side[4096];
		const char *suffixes[] = {"", "-wal", "-shm"};
		for (int k = 0; k < 3; k++) {
			snprintf(side, sizeof(side), "%s%s", cli->db, suffixes[k]);
			if (unlink(side) != 0 && k == 0) {
				perror(cli->db);
				return 1;
			}
		}
		existed = 0;
	}
	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 1, &st);
	if (rc)
		return rc;
	int version = kc_store_schema_version(st);
	if (cli->json)
		printf("{\"db\": \"%s\", \"created\": %s, \"schema_version\": %d}\n", cli->db,
		       existed ? "false" : "true", version);
	else
		printf("%s: %s, schema version %d\n", cli->db,
		       existed ? "up to date" : "created", version);
	kc_store_close(st);
	return 0;
}
