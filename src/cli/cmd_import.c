/* cli: `kechan import`: JSONL / CSV files into the database, all or nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kechan/text.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] import [--max-errors N] [--no-progress] [--no-dupes] FILE|DIR\n"
	"       kechan [--db PATH] import chainkg DIR   (the industrial-chain knowledge graph;\n"
	"                                                 see docs/chain.md)\n\n"
	"Imports records from a JSONL file (*.jsonl, one object per line with a \"type\"), a CSV\n"
	"file named after its type (supply.csv, demand.csv, ...) or a directory of such files.\n"
	"The database is created when missing. One transaction: on any error nothing is written,\n"
	"and every error is printed as file:line:field: message (up to --max-errors, default\n"
	"100). Formats and limits: docs/data-format.md.\n\n"
	"After an import of supplies or demands, new records that nearly duplicate another\n"
	"(the same demand or achievement posted twice, or copied with small edits: word-bigram\n"
	"similarity >= 0.7) are listed; --no-dupes skips that check.\n\n"
	"exit codes: 0 imported, 1 usage or missing file, 2 the data has errors, 3 internal\n";

struct keys {
	json_t *known;
	const char *type;
};

static int on_key(void *ud, const char *key, size_t len)
{
	struct keys *k = ud;
	char buf[160];
	snprintf(buf, sizeof(buf), "%s:%.*s", k->type, (int)len, key);
	return json_object_set_new(k->known, buf, json_true()) ? KC_ENOMEM : 0;
}

/* The supplies and demands there before the import: "supply:ID", "demand:ID". */
static int known_keys(struct kc_store *st, json_t *known, struct kc_err *err)
{
	enum kc_entity ents[2] = {KC_ENT_SUPPLY, KC_ENT_DEMAND};
	for (int e = 0; e < 2; e++) {
		struct keys k = {known, kc_entity_def(ents[e])->name};
		int rc = kc_store_keys(st, kc_entity_def(ents[e]), on_key, &k, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Near-duplicate pairs involving a new record; a failure here only loses the hint (the import
 * is done), so it is reported and not returned. */
static void new_dupes(struct kc_store *st, const json_t *known, json_t **pairs)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_text *base = NULL, *t = NULL;
	if (kc_text_open(&base, NULL, &err) != 0 ||
	    kc_text_from_store(base, st, &t, NULL, &err) != 0 ||
	    kc_cli_dupes_find(st, t, 0.7, known, pairs, &err) != 0)
		fprintf(stderr, "kechan import: the near-duplicate check failed: %s\n", err.msg);
	kc_text_close(t);
	kc_text_close(base);
}

int kc_cli_import(struct kc_cli *cli, int argc, char **argv)
{
	const char *path = NULL, *val = NULL;
	struct kc_import_opts opts = {cli->actor, 100, 1, NULL};
	int dupes = 1;
	if (argc >= 2 && strcmp(argv[1], "chainkg") == 0)
		return kc_cli_import_chainkg(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (kc_cli_opt(argc, argv, &i, "--max-errors", &val)) {
			char *end = NULL;
			long v = val ? strtol(val, &end, 10) : 0;
			if (val == NULL || *end || v < 1 || v > 1000000)
				return kc_cli_usage_error("import", "--max-errors needs a number >= 1");
			opts.max_errors = (int)v;
		} else if (strcmp(argv[i], "--no-progress") == 0) {
			opts.progress = 0;
		} else if (strcmp(argv[i], "--no-dupes") == 0) {
			dupes = 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return kc_cli_usage_error("import", "unknown option '%s'", argv[i]);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return kc_cli_usage_error("import", "one FILE or DIR at a time");
		}
	}
	if (path == NULL)
		return kc_cli_usage_error("import", "missing FILE or DIR");
	struct kc_store *st = NULL;
	int existed = access(cli->db, F_OK) == 0;
	int rc = kc_cli_open(cli, 1, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	struct kc_import_stats stats;
	json_t *known = json_object(), *pairs = NULL;
	if (dupes && (rc = known_keys(st, known, &err)) != 0) {
		json_decref(known);
		kc_store_close(st);
		return kc_cli_fail(&err);
	}
	rc = kc_import(st, path, &opts, &stats, &err);
	if (rc >= 0 && dupes && stats.records[KC_ENT_SUPPLY] + stats.records[KC_ENT_DEMAND] > 0)
		new_dupes(st, known, &pairs);
	json_decref(known);
	kc_store_close(st);
	if (rc < 0) {
		/* Nothing was written: do not leave behind a database the import created. */
		if (!existed) {
			char side[4096];
			const char *suffixes[] = {"", "-wal", "-shm"};
			for (int k = 0; k < 3; k++) {
				snprintf(side, sizeof(side), "%s%s", cli->db, suffixes[k]);
				unlink(side);
			}
		}
		return kc_cli_fail(&err);
	}
	if (cli->json) {
		json_t *j = json_object();
		json_t *by = json_object();
		for (int e = 0; e < KC_ENT_COUNT; e++)
			json_object_set_new(by, kc_entity_def((enum kc_entity)e)->name,
					    json_integer(stats.records[e]));
		json_object_set_new(j, "imported", json_integer(stats.total));
		json_object_set_new(j, "records", by);
		json_object_set_new(j, "seconds", json_real(stats.seconds));
		if (pairs != NULL)
			json_object_set_new(j, "near_duplicates", pairs);
		rc = kc_cli_print_json(j);
		json_decref(j);
		return rc;
	}
	printf("imported %" PRId64 " records in %.2f s:", stats.total, stats.seconds);
	for (int e = 0; e < KC_ENT_COUNT; e++)
		if (stats.records[e])
			printf(" %s %" PRId64, kc_entity_def((enum kc_entity)e)->plural,
			       stats.records[e]);
	printf("\n");
	if (pairs != NULL && json_array_size(pairs) > 0) {
		printf("近似重复 near-duplicates with new records: %zu pair%s (similarity >= 0.70; "
		       "all: kechan match dupes)\n",
		       json_array_size(pairs), json_array_size(pairs) == 1 ? "" : "s");
		kc_cli_dupes_print(pairs, 20);
	}
	json_decref(pairs);
	return 0;
}
