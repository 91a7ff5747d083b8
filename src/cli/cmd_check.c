/* cli: `kechan check`: integrity, references and every record; prints counts. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] check\n\n"
	"Runs SQLite's integrity and foreign-key checks, validates every record against its type\n"
	"(docs/data-format.md) and every reference held in a list, and prints the record counts.\n"
	"exit codes: 0 all good, 2 problems found (each printed), 1/3 could not check\n";

struct ctx {
	int json;
	json_t *problems;
};

static void on_problem(void *ud, const char *where, const char *msg)
{
	struct ctx *c = ud;
	if (c->json)
		json_array_append_new(c->problems, json_pack("{s:s,s:s}", "where", where ? where : "",
							     "problem", msg));
	else
		printf("%s: %s\n", where ? where : "-", msg);
}

int kc_cli_check(struct kc_cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		}
		return kc_cli_usage_error("check", "unexpected argument '%s'", argv[i]);
	}
	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 0, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	struct ctx c = {cli->json, json_array()};
	int problems = kc_store_check(st, on_problem, &c, &err);
	if (problems < 0) {
		json_decref(c.problems);
		kc_store_close(st);
		return kc_cli_fail(&err);
	}
	json_t *counts = json_object();
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		const struct kc_entity_def *def = kc_entity_def((enum kc_entity)e);
		int64_t n = kc_store_count(st, def, NULL, &err);
		json_object_set_new(counts, def->name, json_integer(n));
	}
	int64_t version = kc_store_data_version(st, &err);
	if (cli->json) {
		json_t *j = json_pack("{s:b,s:i,s:I,s:O,s:O}", "ok", problems == 0, "schema_version",
				      kc_store_schema_version(st), "data_version",
				      (json_int_t)version, "counts", counts, "problems", c.problems);
		kc_cli_print_json(j);
		json_decref(j);
	} else {
		const char *k;
		json_t *v;
		printf("%s: schema version %d, data version %" PRId64 "\n", cli->db,
		       kc_store_schema_version(st), version);
		json_object_foreach(counts, k, v)
			printf("  %-10s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(v));
		printf(problems ? "%d problem%s found\n" : "ok\n", problems, problems == 1 ? "" : "s");
	}
	json_decref(counts);
	json_decref(c.problems);
	kc_store_close(st);
	return problems ? 2 : 0;
}
