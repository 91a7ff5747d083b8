/* cli: `kechan show [TYPE] ID`: one record, field by field, with what hangs on it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] show [TYPE] ID [--as-admin]\n\n"
	"Shows the record with id ID (of TYPE, or of whichever type has it) field by field, and\n"
	"what hangs on it: an org's supplies, public demands and chain nodes; a chain's nodes by\n"
	"stage; a node's inputs, outputs and companies; a demand's challenges and matches.\n"
	"The owner of a confidential demand is shown only with --as-admin.\n";

struct ctx {
	struct kc_store *st;
	int json;
	int as_admin;
	json_t *items; /* JSON output: the related records */
	int64_t n;
	const char *stage; /* chain: only nodes of this stage */
	struct kc_buf cell;
};

static void print_record(struct ctx *c, const struct kc_entity_def *def, const json_t *rec)
{
	int hide = def->ent == KC_ENT_DEMAND && kc_cli_hides_owner(rec, c->as_admin);
	printf("%s %s — %s\n", def->zh, def->name, kc_cli_label(rec));
	for (unsigned i = 0; i < def->nfields; i++) {
		const struct kc_field *f = &def->fields[i];
		json_t *v = json_object_get(rec, f->name);
		if (v == NULL)
			continue;
		if (hide && strcmp(f->name, "org_id") == 0) {
			printf("  %-12s %s: (保密 confidential; --as-admin shows it)\n", f->name,
			       f->zh);
			continue;
		}
		kc_cli_value(c->st, f, v, &c->cell);
		printf("  %-12s %s: %s\n", f->name, f->zh, kc_buf_cstr(&c->cell));
	}
}

static int related_line(void *ud, const json_t *rec)
{
	struct ctx *c = ud;
	/* Never list an org's confidential demands: that would name their owner. */
	if (json_object_get(rec, "visibility") && kc_cli_hides_owner(rec, c->as_admin))
		return 0;
	if (c->stage) {
		const char *s = json_string_value(json_object_get(rec, "stage"));
		if (s == NULL || strcmp(s, c->stage) != 0)
			return 0;
	}
	c->n++;
	if (c->json) {
		json_array_append(c->items, (json_t *)rec);
		return 0;
	}
	const char *id = json_string_value(json_object_get(rec, "id"));
	if (id == NULL) {
		/* org_node or edge: show the other end. */
		const char *a = json_string_value(json_object_get(rec, "org_id"));
		const char *b = json_string_value(json_object_get(rec, "node_id"));
		if (a && b) {
			json_t *org = NULL;
			kc_store_get(c->st, kc_entity_def(KC_ENT_ORG), a, &org, NULL);
			const struct kc_field *rf =
				kc_entity_field(kc_entity_def(KC_ENT_ORG_NODE), "region");
			json_t *reg = json_object_get(rec, "region");
			kc_cli_value(c->st, rf, reg ? reg : json_object_get(org, "region"), &c->cell);
			printf("    %-20s %-9s %s — %s\n", a,
			       json_string_value(json_object_get(rec, "role")),
			       org ? kc_cli_label(org) : "?", kc_buf_cstr(&c->cell));
			json_decref(org);
		} else {
			printf("    %s -> %s\n", json_string_value(json_object_get(rec, "from")),
			       json_string_value(json_object_get(rec, "to")));
		}
		return 0;
	}
	printf("    %-20s %s\n", id, kc_cli_label(rec));
	return 0;
}

static int related(struct ctx *c, json_t *out, enum kc_entity e, const char *field,
		   const char *value, const char *heading)
{
	struct kc_query q = {.field = field, .value = value};
	struct kc_err err = KC_ERR_INIT;
	c->n = 0;
	c->items = json_array();
	if (!c->json)
		printf("  %s:\n", heading);
	int rc = kc_store_each(c->st, kc_entity_def(e), &q, related_line, c, &err);
	if (!c->json && c->n == 0)
		printf("    (none)\n");
	if (c->json) {
		char key[64];
		snprintf(key, sizeof(key), "%s%s%s", kc_entity_def(e)->plural, c->stage ? "_" : "",
			 c->stage ? c->stage : "");
		json_object_set(out, key, c->items);
	}
	json_decref(c->items);
	c->items = NULL;
	return rc < 0 ? kc_cli_fail(&err) : 0;
}

static int show_related(struct ctx *c, const struct kc_entity_def *def, const json_t *rec,
			json_t *out)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	int rc = 0;
	switch (def->ent) {
	case KC_ENT_ORG:
		rc = related(c, out, KC_ENT_SUPPLY, "org_id", id, "供给 supplies");
		if (!rc)
			rc = related(c, out, KC_ENT_DEMAND, "org_id", id, "需求 demands (public)");
		if (!rc)
			rc = related(c, out, KC_ENT_ORG_NODE, "org_id", id, "产业链节点 chain nodes");
		break;
	case KC_ENT_CHAIN: {
		static const char *const stages[] = {"upstream", "midstream", "downstream"};
		static const char *const zh[] = {"上游 upstream", "中游 midstream",
						 "下游 downstream"};
		for (int s = 0; s < 3 && !rc; s++) {
			c->stage = stages[s];
			rc = related(c, out, KC_ENT_NODE, "chain_id", id, zh[s]);
		}
		c->stage = NULL;
		break;
	}
	case KC_ENT_NODE:
		rc = related(c, out, KC_ENT_EDGE, "to", id, "输入 inputs (from -> this)");
		if (!rc)
			rc = related(c, out, KC_ENT_EDGE, "from", id, "输出 outputs (this -> to)");
		if (!rc)
			rc = related(c, out, KC_ENT_ORG_NODE, "node_id", id, "机构 companies");
		if (!rc)
			rc = related(c, out, KC_ENT_SUPPLY, "nodes", id, "供给 supplies");
		break;
	case KC_ENT_DEMAND:
		rc = related(c, out, KC_ENT_CHALLENGE, "demand_id", id, "榜单 challenges");
		if (!rc)
			rc = related(c, out, KC_ENT_MATCH, "demand_id", id, "对接 matches");
		break;
	case KC_ENT_SUPPLY:
		rc = related(c, out, KC_ENT_MATCH, "supply_id", id, "对接 matches");
		break;
	default:
		break;
	}
	return rc;
}

int kc_cli_show(struct kc_cli *cli, int argc, char **argv)
{
	const char *a = NULL, *b = NULL;
	struct ctx c;
	memset(&c, 0, sizeof(c));
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (strcmp(argv[i], "--as-admin") == 0) {
			c.as_admin = 1;
		} else if (argv[i][0] == '-') {
			return kc_cli_usage_error("show", "unknown option '%s'", argv[i]);
		} else if (a == NULL) {
			a = argv[i];
		} else if (b == NULL) {
			b = argv[i];
		} else {
			return kc_cli_usage_error("show", "unexpected argument '%s'", argv[i]);
		}
	}
	if (a == NULL)
		return kc_cli_usage_error("show", "missing ID");
	const struct kc_entity_def *def = NULL;
	const char *id = a;
	if (b) {
		def = kc_entity_find(a);
		if (def == NULL)
			return kc_cli_usage_error("show", "unknown type '%s'", a);
		id = b;
	}
	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 0, &st);
	if (rc)
		return rc;
	c.st = st;
	c.json = cli->json;
	struct kc_err err = KC_ERR_INIT;
	json_t *rec = NULL, *out = NULL;
	for (int e = 0; e < KC_ENT_COUNT && rec == NULL; e++) {
		const struct kc_entity_def *d = kc_entity_def((enum kc_entity)e);
		if ((def && d != def) || !d->has_id)
			continue;
		rc = kc_store_get(st, d, id, &rec, &err);
		if (rc == 0)
			def = d;
		else if (rc != KC_ENOTFOUND)
			goto fail;
	}
	if (rec == NULL) {
		fprintf(stderr, "kechan: no %s with id '%s'\n", def ? def->name : "record", id);
		rc = 1;
		goto cleanup;
	}
	if (c.json) {
		json_t *shown = json_copy(rec);
		if (def->ent == KC_ENT_DEMAND && kc_cli_hides_owner(rec, c.as_admin)) {
			json_object_del(shown, "org_id");
			json_object_set_new(shown, "owner_hidden", json_true());
		}
		out = json_pack("{s:s,s:o,s:{}}", "type", def->name, "record", shown, "related");
		rc = show_related(&c, def, rec, json_object_get(out, "related"));
		if (!rc)
			rc = kc_cli_print_json(out);
	} else {
		print_record(&c, def, rec);
		rc = show_related(&c, def, rec, NULL);
	}
	goto cleanup;
fail:
	rc = kc_cli_fail(&err);
cleanup:
	json_decref(rec);
	json_decref(out);
	kc_buf_release(&c.cell);
	kc_store_close(st);
	return rc;
}
