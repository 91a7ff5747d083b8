/* cli: `kechan stats`: counts by type, kind, province, TRL, visibility, stage. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/codes.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] stats\n\n"
	"Counts records by type, orgs by kind and province, supplies by kind and TRL, demands by\n"
	"visibility and status, challenges by status, matches by stage.\n";

static int add_group(void *ud, const char *value, int64_t n)
{
	json_object_set_new(ud, value ? value : "(none)", json_integer(n));
	return 0;
}

/* Region codes folded into province names. */
static int add_province(void *ud, const char *value, int64_t n)
{
	char name[64] = "(none)";
	if (value) {
		uint32_t code = kc_region_parse(value, strlen(value));
		const struct kc_region *r = kc_region_get(kc_region_province(code));
		snprintf(name, sizeof(name), "%s", r ? r->name : value);
	}
	json_t *old = json_object_get(ud, name);
	json_object_set_new(ud, name, json_integer(n + (old ? json_integer_value(old) : 0)));
	return 0;
}

static int group(struct kc_store *st, json_t *out, const char *key, enum kc_entity e,
		 const char *field, kc_group_fn fn, struct kc_err *err)
{
	json_t *g = json_object();
	int rc = kc_store_group(st, kc_entity_def(e), field, fn, g, err);
	json_object_set_new(out, key, g);
	return rc;
}

static int by_count_desc(const void *a, const void *b)
{
	const json_int_t x = json_integer_value(*(json_t *const *)a + 0);
	const json_int_t y = json_integer_value(*(json_t *const *)b + 0);
	return (y > x) - (y < x);
}

static void print_group(const char *title, json_t *g, int sorted)
{
	size_t n = json_object_size(g);
	if (n == 0)
		return;
	printf("%s\n", title);
	/* Print most frequent first (provinces were merged, so sort again). */
	const char **keys = calloc(n, sizeof(*keys));
	json_t **vals = calloc(n, sizeof(*vals));
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(g, k, v)
	{
		keys[i] = k;
		vals[i] = v;
		i++;
	}
	for (size_t a = 1; sorted && a < n; a++)
		for (size_t b = a; b > 0 && by_count_desc(&vals[b - 1], &vals[b]) > 0; b--) {
			json_t *tv = vals[b];
			vals[b] = vals[b - 1];
			vals[b - 1] = tv;
			const char *tk = keys[b];
			keys[b] = keys[b - 1];
			keys[b - 1] = tk;
		}
	for (i = 0; i < n; i++) {
		printf("  ");
		kc_cli_cell(stdout, keys[i], 18);
		printf(" %6" JSON_INTEGER_FORMAT "\n", json_integer_value(vals[i]));
	}
	free(keys);
	free(vals);
}

int kc_cli_stats(struct kc_cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		}
		return kc_cli_usage_error("stats", "unexpected argument '%s'", argv[i]);
	}
	struct kc_store *st = NULL;
	int rc = kc_cli_open(cli, 0, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	json_t *out = json_object(), *counts = json_object();
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		const struct kc_entity_def *def = kc_entity_def((enum kc_entity)e);
		int64_t n = kc_store_count(st, def, NULL, &err);
		if (n < 0) {
			rc = (int)n;
			goto cleanup;
		}
		json_object_set_new(counts, def->plural, json_integer(n));
	}
	json_object_set_new(out, "counts", counts);
	if ((rc = group(st, out, "orgs_by_kind", KC_ENT_ORG, "kind", add_group, &err)) < 0 ||
	    (rc = group(st, out, "orgs_by_province", KC_ENT_ORG, "region", add_province, &err)) <
		    0 ||
	    (rc = group(st, out, "supplies_by_kind", KC_ENT_SUPPLY, "kind", add_group, &err)) < 0 ||
	    (rc = group(st, out, "supplies_by_trl", KC_ENT_SUPPLY, "trl", add_group, &err)) < 0 ||
	    (rc = group(st, out, "demands_by_visibility", KC_ENT_DEMAND, "visibility", add_group,
			&err)) < 0 ||
	    (rc = group(st, out, "demands_by_status", KC_ENT_DEMAND, "status", add_group, &err)) <
		    0 ||
	    (rc = group(st, out, "challenges_by_status", KC_ENT_CHALLENGE, "status", add_group,
			&err)) < 0 ||
	    (rc = group(st, out, "matches_by_stage", KC_ENT_MATCH, "stage", add_group, &err)) < 0)
		goto cleanup;
	if (cli->json) {
		rc = kc_cli_print_json(out);
		goto cleanup;
	}
	printf("kechan %s (%s)\n", cli->db, kc_store_backend(st));
	print_group("记录 records", counts, 0);
	print_group("机构类型 orgs by kind", json_object_get(out, "orgs_by_kind"), 1);
	print_group("机构地区 orgs by province", json_object_get(out, "orgs_by_province"), 1);
	print_group("供给类型 supplies by kind", json_object_get(out, "supplies_by_kind"), 1);
	print_group("技术就绪度 supplies by TRL", json_object_get(out, "supplies_by_trl"), 1);
	print_group("需求可见性 demands by visibility",
		    json_object_get(out, "demands_by_visibility"), 1);
	print_group("需求状态 demands by status", json_object_get(out, "demands_by_status"), 1);
	print_group("榜单状态 challenges by status", json_object_get(out, "challenges_by_status"), 1);
	print_group("对接阶段 matches by stage", json_object_get(out, "matches_by_stage"), 1);
	rc = 0;
cleanup:
	if (rc < 0)
		rc = kc_cli_fail(&err);
	json_decref(out);
	kc_store_close(st);
	return rc;
}
