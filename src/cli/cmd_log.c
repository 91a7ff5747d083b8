/* cli: `kechan log`: the newest events of the audit log. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] log [-n N] [--as-admin]\n\n"
	"Prints the newest N events (default 20) of the append-only audit log: sequence, time,\n"
	"actor, action, record. With --json and --as-admin the diffs too (they may hold the\n"
	"owners of confidential demands, so only an admin sees them).\n";

struct ctx {
	int json;
	int as_admin;
};

static int print_event(void *ud, const json_t *ev)
{
	const struct ctx *c = ud;
	if (c->json) {
		json_t *copy = json_copy((json_t *)ev);
		if (copy == NULL)
			return KC_ENOMEM;
		if (!c->as_admin)
			json_object_del(copy, "diff");
		json_dumpf(copy, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(copy);
		fputc('\n', stdout);
		return 0;
	}
	const char *entity = json_string_value(json_object_get(ev, "entity"));
	const char *id = json_string_value(json_object_get(ev, "entity_id"));
	printf("%6" JSON_INTEGER_FORMAT "  %s  %-14s %-12s %s%s%s\n",
	       json_integer_value(json_object_get(ev, "seq")),
	       json_string_value(json_object_get(ev, "at")),
	       json_string_value(json_object_get(ev, "actor")),
	       json_string_value(json_object_get(ev, "action")), entity ? entity : "",
	       entity ? " " : "", id ? id : "");
	return 0;
}

int kc_cli_log(struct kc_cli *cli, int argc, char **argv)
{
	long n = 20;
	const char *val = NULL;
	struct ctx c = {cli->json, 0};
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (strcmp(argv[i], "--as-admin") == 0) {
			c.as_admin = 1;
		} else if (kc_cli_opt(argc, argv, &i, "-n", &val)) {
			char *end = NULL;
			n = val ? strtol(val, &end, 10) : 0;
			if (val == NULL || *end || n < 1)
				return kc_cli_usage_error("log", "-n needs a number >= 1");
		} else {
			return kc_cli_usage_error("log", "unexpected argument '%s'", argv[i]);
		}
	}
	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 0, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	rc = kc_store_events(st, n, print_event, &c, &err);
	kc_store_close(st);
	return rc < 0 ? kc_cli_fail(&err) : 0;
}
