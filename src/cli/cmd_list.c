/* cli: `kechan list TYPE`: records of one type as a table or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] list TYPE [--where FIELD=VALUE] [--limit N] [--offset N]\n\n"
	"Lists records of TYPE (orgs, supplies, demands, challenges, scenarios, chains, nodes,\n"
	"edges, org_nodes, matches, users) in the order they were added, 50 at a time by default\n"
	"(--limit 0 for all). --where keeps records whose FIELD equals VALUE (for a list field:\n"
	"contains it), e.g. --where kind=patent, --where nodes=li-lfp.\n"
	"The owner of a confidential demand is never listed.\n";

/* The columns a table shows per type: field name and width. */
struct col {
	const char *field;
	size_t width;
};
static const struct col cols_default[] = {{"id", 16}, {"name", 40}, {NULL, 0}};
static const struct col cols_org[] = {{"id", 16}, {"short_name", 16}, {"kind", 14},
				      {"region", 28}, {"name", 40}, {NULL, 0}};
static const struct col cols_supply[] = {{"id", 12}, {"kind", 11}, {"trl", 3}, {"org_id", 18},
					 {"title", 50}, {NULL, 0}};
static const struct col cols_demand[] = {{"id", 12}, {"visibility", 12}, {"org_id", 20},
					 {"deadline", 10}, {"title", 50}, {NULL, 0}};
static const struct col cols_title[] = {{"id", 14}, {"status", 8}, {"title", 60}, {NULL, 0}};
static const struct col cols_node[] = {{"id", 22}, {"chain_id", 14}, {"stage", 10},
				       {"name", 30}, {NULL, 0}};
static const struct col cols_edge[] = {{"from", 22}, {"to", 22}, {"relation", 9}, {NULL, 0}};
static const struct col cols_org_node[] = {{"org_id", 22}, {"node_id", 22}, {"role", 9},
					   {"region", 26}, {NULL, 0}};
static const struct col cols_match[] = {{"id", 12}, {"demand_id", 12}, {"supply_id", 12},
					{"score", 6}, {"stage", 10}, {NULL, 0}};
static const struct col cols_user[] = {{"id", 14}, {"role", 10}, {"org_id", 18}, {"name", 20},
				       {NULL, 0}};

static const struct col *columns(enum kc_entity e)
{
	switch (e) {
	case KC_ENT_ORG: return cols_org;
	case KC_ENT_SUPPLY: return cols_supply;
	case KC_ENT_DEMAND: return cols_demand;
	case KC_ENT_CHALLENGE:
	case KC_ENT_SCENARIO: return cols_title;
	case KC_ENT_NODE: return cols_node;
	case KC_ENT_EDGE: return cols_edge;
	case KC_ENT_ORG_NODE: return cols_org_node;
	case KC_ENT_MATCH: return cols_match;
	case KC_ENT_USER: return cols_user;
	default: return cols_default;
	}
}

struct ctx {
	struct kc_store *st;
	const struct kc_entity_def *def;
	int json;
	json_t *out;
	struct kc_buf cell;
	int64_t shown;
};

static int row(void *ud, const json_t *crec)
{
	struct ctx *c = ud;
	int hide = c->def->ent == KC_ENT_DEMAND && kc_cli_hides_owner(crec, 0);
	if (c->json) {
		json_t *rec = json_copy((json_t *)crec);
		if (rec == NULL)
			return KC_ENOMEM;
		if (hide) {
			json_object_del(rec, "org_id");
			json_object_set_new(rec, "owner_hidden", json_true());
		}
		json_array_append_new(c->out, rec);
		c->shown++;
		return 0;
	}
	for (const struct col *k = columns(c->def->ent); k->field; k++) {
		const struct kc_field *f = kc_entity_field(c->def, k->field);
		json_t *v = json_object_get(crec, k->field);
		if (hide && strcmp(k->field, "org_id") == 0)
			kc_buf_adds(&c->cell, "(保密 confidential)");
		else
			kc_cli_value(c->st, f, v, &c->cell);
		kc_cli_cell(stdout, kc_buf_cstr(&c->cell), k->width);
		fputs(k[1].field ? "  " : "\n", stdout);
		kc_buf_reset(&c->cell);
	}
	c->shown++;
	return 0;
}

int kc_cli_list(struct kc_cli *cli, int argc, char **argv)
{
	const char *type = NULL, *val = NULL;
	struct kc_query q = {.limit = 50};
	char field[64];
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (kc_cli_opt(argc, argv, &i, "--limit", &val)) {
			q.limit = val ? strtoll(val, &end, 10) : -1;
			if (val == NULL || *end || q.limit < 0)
				return kc_cli_usage_error("list", "--limit needs a number >= 0");
		} else if (kc_cli_opt(argc, argv, &i, "--offset", &val)) {
			q.offset = val ? strtoll(val, &end, 10) : -1;
			if (val == NULL || *end || q.offset < 0)
				return kc_cli_usage_error("list", "--offset needs a number >= 0");
		} else if (kc_cli_opt(argc, argv, &i, "--where", &val)) {
			const char *eq = val ? strchr(val, '=') : NULL;
			if (eq == NULL || (size_t)(eq - val) >= sizeof(field))
				return kc_cli_usage_error("list", "--where needs FIELD=VALUE");
			memcpy(field, val, (size_t)(eq - val));
			field[eq - val] = '\0';
			q.field = field;
			q.value = eq + 1;
		} else if (argv[i][0] == '-') {
			return kc_cli_usage_error("list", "unknown option '%s'", argv[i]);
		} else if (type == NULL) {
			type = argv[i];
		} else {
			return kc_cli_usage_error("list", "unexpected argument '%s'", argv[i]);
		}
	}
	if (type == NULL)
		return kc_cli_usage_error("list", "missing TYPE");
	const struct kc_entity_def *def = kc_entity_find(type);
	if (def == NULL)
		return kc_cli_usage_error("list", "unknown type '%s'", type);
	if (q.field && kc_entity_field(def, q.field) == NULL)
		return kc_cli_usage_error("list", "%s has no field '%s'", def->name, q.field);
	/* Filtering demands by owner would reveal who owns the confidential ones. */
	if (q.field && def->ent == KC_ENT_DEMAND && strcmp(q.field, "org_id") == 0)
		return kc_cli_usage_error("list",
					  "demands cannot be filtered by org_id from the CLI (it"
					  " would reveal confidential owners); use 'show ORG_ID'");

	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 0, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	struct ctx c = {st, def, cli->json, json_array(), KC_BUF_INIT, 0};
	int64_t total = kc_store_count(st, def, &q, &err);
	if (total < 0) {
		rc = kc_cli_fail(&err);
		goto cleanup;
	}
	if (!cli->json) {
		for (const struct col *k = columns(def->ent); k->field; k++) {
			kc_cli_cell(stdout, k->field, k->width);
			fputs(k[1].field ? "  " : "\n", stdout);
		}
	}
	rc = kc_store_each(st, def, &q, row, &c, &err);
	if (rc < 0) {
		rc = kc_cli_fail(&err);
		goto cleanup;
	}
	rc = 0;
	if (cli->json) {
		json_t *j = json_pack("{s:I,s:O}", "total", (json_int_t)total, def->plural, c.out);
		rc = kc_cli_print_json(j);
		json_decref(j);
	} else {
		printf("(%" PRId64 " of %" PRId64 " %s)\n", c.shown, total, def->plural);
	}
cleanup:
	json_decref(c.out);
	kc_buf_release(&c.cell);
	kc_store_close(st);
	return rc;
}
