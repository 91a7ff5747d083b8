/* Unit tests for the store: schema, SQLite backend, validation, events, import, export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kechan/store.h"
#include "store/migrations.h"
#include "store/store_int.h"

struct fixture {
	char dir[256];
	char db[300];
	struct kc_store *st;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kc-test-store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->db, sizeof(fx->db), "%s/t.db", fx->dir);
	struct kc_err err = KC_ERR_INIT;
	if (kc_store_open(fx->db, KC_STORE_CREATE, &fx->st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	kc_store_close(fx->st);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static json_t *rec(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	return j;
}

static void put(struct kc_store *st, enum kc_entity ent, const char *text)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *r = rec(text);
	assert_int_equal(kc_record_validate(kc_entity_def(ent), r, NULL, NULL), 0);
	int rc = kc_store_put(st, kc_entity_def(ent), r, KC_PUT_CREATE, "test", NULL, &err);
	if (rc < 0)
		fail_msg("put failed: %s", err.msg);
	json_decref(r);
}

static void base_records(struct kc_store *st)
{
	put(st, KC_ENT_CHAIN, "{\"id\":\"chain-na\",\"name\":\"钠离子电池\"}");
	put(st, KC_ENT_NODE, "{\"id\":\"na-hc\",\"chain_id\":\"chain-na\",\"name\":\"硬碳负极\","
			     "\"stage\":\"midstream\",\"aliases\":[\"hard carbon\"]}");
	put(st, KC_ENT_ORG, "{\"id\":\"org-a\",\"name\":\"甲公司\",\"kind\":\"enterprise\","
			    "\"region\":\"320500\"}");
}

static void test_every_field_has_its_column(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(fx->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		const struct kc_entity_def *def = kc_entity_def((enum kc_entity)e);
		for (unsigned i = 0; i < def->nfields; i++) {
			char sql[256];
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
				 def->name, def->fields[i].name);
			sqlite3_stmt *q = NULL;
			assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(q), SQLITE_ROW);
			if (sqlite3_column_int(q, 0) != 1)
				fail_msg("table %s has no column %s", def->name, def->fields[i].name);
			sqlite3_finalize(q);
		}
	}
	sqlite3_close(db);
	assert_int_equal(kc_store_schema_version(fx->st), kc__sqlite_migrations_len);
}

static void test_store_reopens_and_refuses_foreign_files(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	char path[400];
	snprintf(path, sizeof(path), "%s/missing.db", fx->dir);
	assert_int_equal(kc_store_open(path, 0, &st, &err), KC_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(err.msg, "missing.db"));
	snprintf(path, sizeof(path), "%s/text.db", fx->dir);
	write_file(path, "this is not a database, it is a text file with enough bytes to matter\n");
	assert_int_equal(kc_store_open(path, 0, &st, &err), KC_ECORRUPT);
	assert_non_null(strstr(err.msg, "not a kechan database"));
	assert_int_equal(kc_store_open("postgres://x", 0, &st, &err), KC_EINVAL);
}

static void test_put_get_update_delete_keep_an_audit_trail(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	const struct kc_entity_def *org = kc_entity_def(KC_ENT_ORG);
	json_t *got = NULL;
	assert_int_equal(kc_store_get(fx->st, org, "org-a", &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "name")), "甲公司");
	assert_non_null(json_object_get(got, "created_at"));
	json_decref(got);

	json_t *r = rec("{\"id\":\"org-a\",\"name\":\"甲科技公司\",\"kind\":\"enterprise\","
			"\"region\":\"320500\"}");
	assert_int_equal(kc_store_put(fx->st, org, r, KC_PUT_CREATE, "t", NULL, &err), KC_EEXIST);
	assert_int_equal(kc_store_put(fx->st, org, r, KC_PUT_REPLACE, "alice", NULL, &err), 0);
	json_decref(r);
	assert_int_equal(kc_store_get(fx->st, org, "org-a", &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "name")), "甲科技公司");
	json_decref(got);

	/* The node is referred to by nothing: it can go; the chain is referred to by the node. */
	assert_int_equal(kc_store_delete(fx->st, kc_entity_def(KC_ENT_CHAIN), "chain-na", "t",
					 &err),
			 KC_EDATA);
	assert_int_equal(kc_store_delete(fx->st, kc_entity_def(KC_ENT_NODE), "na-hc", "t", &err),
			 0);
	assert_int_equal(kc_store_get(fx->st, kc_entity_def(KC_ENT_NODE), "na-hc", &got, &err),
			 KC_ENOTFOUND);
	/* create x3, update, delete = 5 events (the refused delete left none). */
	assert_int_equal(kc_store_data_version(fx->st, &err), 5);
}

/* A list column reads back as it was written, whatever its strings hold; list text in other
 * spellings (spaces, escapes: a hand-edited database) reads as JSON. */
static void test_lists_read_back_exactly(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	const struct kc_entity_def *node = kc_entity_def(KC_ENT_NODE);
	static const char *const lists[] = {
		"[]",
		"[\"\"]",
		"[\"a\"]",
		"[\"硬碳\",\"hard carbon\",\"\"]",
		"[\"quote \\\" inside\",\"back\\\\slash\",\"tab\\tnl\\n\",\"\\u0001\"]",
		"[\"a,b\",\"[c]\",\"\\\"\",\"d\\\",\\\"e\"]",
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "{\"id\":\"n%zu\",\"chain_id\":\"chain-na\",\"name\":\"n\","
			 "\"stage\":\"midstream\",\"aliases\":%s}",
			 i, lists[i]);
		json_t *r = rec(text), *got = NULL;
		assert_int_equal(kc_store_put(fx->st, node, r, KC_PUT_CREATE, "t", NULL, &err), 0);
		char id[16];
		snprintf(id, sizeof(id), "n%zu", i);
		assert_int_equal(kc_store_get(fx->st, node, id, &got, &err), 0);
		json_t *want = json_object_get(r, "aliases");
		if (json_array_size(want) == 0)
			want = NULL; /* an empty list is not kept */
		json_t *have = json_object_get(got, "aliases");
		if (want != NULL && !json_equal(want, have))
			fail_msg("list %zu read back wrong", i);
		json_decref(got);
		json_decref(r);
	}
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(fx->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE node SET aliases = '[ \"x\" , \"\\u0079\"]' WHERE id = 'n1';"
				      "UPDATE node SET aliases = '[\"x\",]' WHERE id = 'n2'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	json_t *got = NULL;
	assert_int_equal(kc_store_get(fx->st, node, "n1", &got, &err), 0);
	json_t *want = json_pack("[s, s]", "x", "y");
	assert_true(json_equal(json_object_get(got, "aliases"), want));
	json_decref(want);
	json_decref(got);
	/* not JSON: kept as the text it is, as before */
	assert_int_equal(kc_store_get(fx->st, node, "n2", &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "aliases")), "[\"x\",]");
	json_decref(got);
}

/* kc_store_get_fields gives the fields asked for as kc_store_get has them, nothing else. */
static void test_get_fields_reads_only_those(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	const struct kc_entity_def *node = kc_entity_def(KC_ENT_NODE);
	json_t *all = NULL, *some = NULL;
	assert_int_equal(kc_store_get(fx->st, node, "na-hc", &all, &err), 0);
	static const char *const fields[] = {"aliases", "name", "description", NULL};
	for (int round = 0; round < 2; round++) { /* the second from the statement cache */
		assert_int_equal(kc_store_get_fields(fx->st, node, "na-hc", fields, &some, &err), 0);
		/* description is empty: left out, as kc_store_get leaves it out */
		assert_int_equal(json_object_size(some), 2);
		assert_true(json_equal(json_object_get(some, "name"), json_object_get(all, "name")));
		assert_true(
			json_equal(json_object_get(some, "aliases"), json_object_get(all, "aliases")));
		json_decref(some);
	}
	static const char *const none[] = {NULL};
	assert_int_equal(kc_store_get_fields(fx->st, node, "na-hc", none, &some, &err), 0);
	assert_int_equal(json_object_size(some), 0);
	json_decref(some);
	assert_int_equal(kc_store_get_fields(fx->st, node, "nope", fields, &some, &err),
			 KC_ENOTFOUND);
	assert_null(some);
	static const char *const bad[] = {"name", "no_such_field", NULL};
	assert_int_equal(kc_store_get_fields(fx->st, node, "na-hc", bad, &some, &err), KC_EINVAL);
	assert_null(some);
	assert_non_null(strstr(err.msg, "no_such_field"));
	/* a shorter list after a longer one (the kept statement is the last list's) */
	static const char *const one[] = {"aliases", NULL};
	assert_int_equal(kc_store_get_fields(fx->st, node, "na-hc", fields, &some, &err), 0);
	assert_int_equal(json_object_size(some), 2);
	json_decref(some);
	assert_int_equal(kc_store_get_fields(fx->st, node, "na-hc", one, &some, &err), 0);
	assert_int_equal(json_object_size(some), 1);
	assert_non_null(json_object_get(some, "aliases"));
	json_decref(some);
	json_decref(all);
	/* a missing key (a reference field a record lacks) names no record: not a crash (found
	 * by fuzz/fuzz_http.c: a match posted without its supply_id) */
	assert_int_equal(kc_store_get(fx->st, node, NULL, &all, &err), KC_ENOTFOUND);
	assert_null(all);
	assert_int_equal(kc_store_get_fields(fx->st, node, NULL, fields, &some, &err),
			 KC_ENOTFOUND);
	assert_null(some);
	assert_int_equal(kc_store_delete(fx->st, node, NULL, "test", &err), KC_ENOTFOUND);
}

static int last_event(void *ud, const json_t *ev)
{
	json_t **out = ud;
	json_decref(*out);
	*out = json_copy((json_t *)ev);
	return 0;
}

static void test_update_event_holds_before_and_after(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	json_t *r = rec("{\"id\":\"org-a\",\"name\":\"甲公司\",\"kind\":\"lab\","
			"\"region\":\"320500\"}");
	assert_int_equal(kc_store_put(fx->st, kc_entity_def(KC_ENT_ORG), r, KC_PUT_UPSERT, "bob",
				      NULL, &err),
			 0);
	json_decref(r);
	json_t *ev = NULL;
	assert_int_equal(kc_store_events(fx->st, 1, last_event, &ev, &err), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "actor")), "bob");
	assert_string_equal(json_string_value(json_object_get(ev, "action")), "update");
	json_t *diff = json_object_get(ev, "diff");
	assert_string_equal(json_string_value(json_object_get(json_object_get(diff, "before"),
							      "kind")),
			    "enterprise");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(diff, "after"), "kind")), "lab");
	assert_null(json_object_get(json_object_get(diff, "after"), "name"));
	json_decref(ev);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_store_begin(fx->st, &err), 0);
	base_records(fx->st);
	assert_int_equal(kc_store_begin(fx->st, &err), KC_EINVAL);
	kc_store_rollback(fx->st);
	assert_int_equal(kc_store_count(fx->st, kc_entity_def(KC_ENT_ORG), NULL, &err), 0);
	assert_int_equal(kc_store_data_version(fx->st, &err), 0);
}

static void test_read_snapshot_sees_one_state_and_refuses_writes(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	const struct kc_entity_def *org = kc_entity_def(KC_ENT_ORG);
	base_records(fx->st);
	struct kc_store *other = NULL;
	assert_int_equal(kc_store_open(fx->db, 0, &other, &err), 0);
	int64_t v = kc_store_data_version(fx->st, &err);

	assert_int_equal(kc_store_read_begin(fx->st, &err), 0);
	json_t *got = NULL;
	assert_int_equal(kc_store_get(fx->st, org, "org-a", &got, &err), 0);
	json_decref(got);
	/* another connection writes meanwhile: this one keeps seeing the state it began with */
	json_t *r = rec("{\"id\":\"org-a\",\"name\":\"乙公司\",\"kind\":\"enterprise\","
			"\"region\":\"320500\"}");
	assert_int_equal(kc_store_put(other, org, r, KC_PUT_REPLACE, "t", NULL, &err), 0);
	assert_int_equal(kc_store_get(fx->st, org, "org-a", &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "name")), "甲公司");
	json_decref(got);
	assert_int_equal(kc_store_data_version(fx->st, &err), v);
	/* no write inside a snapshot; a second begin is a no-op */
	assert_int_equal(kc_store_put(fx->st, org, r, KC_PUT_REPLACE, "t", NULL, &err), KC_EINVAL);
	assert_int_equal(kc_store_read_begin(fx->st, &err), 0);
	kc_store_read_end(fx->st);
	assert_int_equal(kc_store_get(fx->st, org, "org-a", &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "name")), "乙公司");
	json_decref(got);
	assert_int_equal(kc_store_data_version(fx->st, &err), v + 1);
	kc_store_read_end(fx->st); /* after the end: nothing */
	/* within a write transaction: begin and end leave it alone */
	assert_int_equal(kc_store_begin(fx->st, &err), 0);
	assert_int_equal(kc_store_read_begin(fx->st, &err), 0);
	kc_store_read_end(fx->st);
	assert_int_equal(kc_store_put(fx->st, org, r, KC_PUT_REPLACE, "t", NULL, &err), 0);
	assert_int_equal(kc_store_commit(fx->st, &err), 0);
	json_decref(r);
	kc_store_close(other);
}

/* The same query run inside its own callback: the statement cache must not hand out the
 * statement in use. */
struct nest {
	struct kc_store *st;
	int depth, rows;
};

static int nested(void *ud, const json_t *rec)
{
	(void)rec;
	struct nest *n = ud;
	n->rows++;
	if (n->depth++ < 2) {
		struct kc_err err = KC_ERR_INIT;
		struct kc_query q = {.field = "kind", .value = "enterprise"};
		assert_int_equal(kc_store_each(n->st, kc_entity_def(KC_ENT_ORG), &q, nested, n, &err),
				 0);
	}
	n->depth--;
	return 0;
}

static void test_queries_survive_nesting_and_cache_eviction(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	put(fx->st, KC_ENT_ORG, "{\"id\":\"org-b\",\"name\":\"乙公司\",\"kind\":\"enterprise\","
				"\"region\":\"320500\"}");
	struct nest n = {.st = fx->st};
	struct kc_query q = {.field = "kind", .value = "enterprise"};
	assert_int_equal(kc_store_each(fx->st, kc_entity_def(KC_ENT_ORG), &q, nested, &n, &err), 0);
	assert_int_equal(n.rows, 2 + 2 * (2 + 2 * 2)); /* 2 rows, each nesting twice more */
	/* more distinct statements than the cache holds, twice round: each still answers */
	for (int round = 0; round < 2; round++) {
		for (int64_t lim = 1; lim <= 40; lim++) {
			struct kc_query l = {.limit = lim};
			int64_t c = kc_store_count(fx->st, kc_entity_def(KC_ENT_ORG), &l, &err);
			assert_int_equal(c, 2);
			struct nest m = {.st = fx->st, .depth = 99};
			assert_int_equal(kc_store_each(fx->st, kc_entity_def(KC_ENT_ORG), &l, nested,
						       &m, &err),
					 0);
			assert_int_equal(m.rows, lim < 2 ? 1 : 2);
		}
	}
}

struct diags {
	int n;
	char text[4096];
};

static void collect(void *ud, const char *field, const char *msg)
{
	struct diags *d = ud;
	size_t l = strlen(d->text);
	snprintf(d->text + l, sizeof(d->text) - l, "%s: %s\n", field ? field : "-", msg);
	d->n++;
}

static void test_validation_names_every_problem(void **state)
{
	(void)state;
	struct diags d = {0, {0}};
	json_t *r = rec("{\"id\":\"s 1\",\"kind\":\"book\",\"title\":\"x\",\"trl\":10,"
			"\"ipc\":[\"H01M 4/525\",\"Z99\"],\"price_min\":5,\"price_max\":1,"
			"\"published\":\"2023-02-29\",\"colour\":\"red\",\"industries\":[\"3841\",\"38411\"]}");
	int n = kc_record_validate(kc_entity_def(KC_ENT_SUPPLY), r, collect, &d);
	assert_int_equal(n, d.n);
	assert_non_null(strstr(d.text, "id: 's 1' is not a valid id"));
	assert_non_null(strstr(d.text, "org_id: missing required field (所属机构)"));
	assert_non_null(strstr(d.text, "kind: 'book' is not allowed"));
	assert_non_null(strstr(d.text, "trl: TRL 10 is outside 1-9"));
	assert_non_null(strstr(d.text, "ipc[1]: 'Z99' is not an IPC symbol"));
	assert_non_null(strstr(d.text, "price_min: 5 is greater than price_max 1"));
	assert_non_null(strstr(d.text, "published: '2023-02-29' is not an ISO-8601 date"));
	assert_non_null(strstr(d.text, "colour: unknown field 'colour'"));
	assert_non_null(strstr(d.text, "industries[1]: '38411' is not a GB/T 4754-2017"));
	assert_int_equal(n, 9);
	json_decref(r);
}

static void test_validation_fills_defaults_and_drops_empty_values(void **state)
{
	(void)state;
	json_t *r = rec("{\"id\":\"d1\",\"org_id\":\"o\",\"title\":\"t\",\"keywords\":[],"
			"\"description\":\"\",\"deadline\":null,\"published\":\"2024-02-29\"}");
	assert_int_equal(kc_record_validate(kc_entity_def(KC_ENT_DEMAND), r, NULL, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(r, "visibility")), "public");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "open");
	assert_null(json_object_get(r, "keywords"));
	assert_null(json_object_get(r, "description"));
	assert_null(json_object_get(r, "deadline"));
	json_decref(r);
}

static void test_region_names_become_codes_when_unique(void **state)
{
	(void)state;
	json_t *r = rec("{\"id\":\"o\",\"name\":\"n\",\"kind\":\"lab\",\"region\":\"宁德\"}");
	assert_int_equal(kc_record_validate(kc_entity_def(KC_ENT_ORG), r, NULL, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(r, "region")), "350900");
	json_object_set_new(r, "region", json_string("朝阳区"));
	struct diags d = {0, {0}};
	assert_int_equal(kc_record_validate(kc_entity_def(KC_ENT_ORG), r, collect, &d), 1);
	assert_non_null(strstr(d.text, "region: '朝阳区' names 2 divisions"));
	json_decref(r);
}

static void test_text_limits_count_characters_not_bytes(void **state)
{
	(void)state;
	struct kc_buf b = KC_BUF_INIT;
	for (int i = 0; i < KC_LIMIT_TITLE; i++)
		kc_buf_adds(&b, "链");
	json_t *r = json_pack("{s:s,s:s,s:s,s:s}", "id", "d1", "org_id", "o", "title", b.ptr,
			      "visibility", "public");
	assert_int_equal(kc_record_validate(kc_entity_def(KC_ENT_DEMAND), r, NULL, NULL), 0);
	kc_buf_adds(&b, "链");
	json_object_set_new(r, "title", json_string(b.ptr));
	struct diags d = {0, {0}};
	assert_int_equal(kc_record_validate(kc_entity_def(KC_ENT_DEMAND), r, collect, &d), 1);
	assert_non_null(strstr(d.text, "title: too long: 301 characters, the limit is 300"));
	json_decref(r);
	kc_buf_release(&b);
}

static void test_import_is_all_or_nothing(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	char path[400], errpath[400];
	snprintf(path, sizeof(path), "%s/in.jsonl", fx->dir);
	snprintf(errpath, sizeof(errpath), "%s/errors.txt", fx->dir);
	/* The supply refers to an org that comes later: fine. Line 4 is bad. */
	write_file(path,
		   "{\"type\":\"supply\",\"id\":\"s1\",\"org_id\":\"org-b\",\"kind\":\"patent\","
		   "\"title\":\"硬碳负极\",\"ipc\":[\"H01M 4/587\"]}\n"
		   "\n"
		   "{\"type\":\"org\",\"id\":\"org-b\",\"name\":\"乙\",\"kind\":\"lab\",\"region\":\"110108\"}\n"
		   "{\"type\":\"org\",\"id\":\"org-c\",\"name\":\"丙\",\"kind\":\"lab\",\"region\":\"110108\",\"trl\":3}\n");
	FILE *ef = fopen(errpath, "w+");
	struct kc_import_opts opts = {"test", 100, 0, ef};
	struct kc_import_stats stats;
	assert_int_equal(kc_import(fx->st, path, &opts, &stats, &err), KC_EDATA);
	assert_int_equal(stats.errors, 1);
	rewind(ef);
	char line[512] = {0};
	assert_non_null(fgets(line, sizeof(line), ef));
	fclose(ef);
	assert_non_null(strstr(line, "in.jsonl:4:trl: unknown field 'trl' for type org"));
	assert_int_equal(kc_store_count(fx->st, kc_entity_def(KC_ENT_SUPPLY), NULL, &err), 0);
	assert_int_equal(kc_store_data_version(fx->st, &err), 0);

	/* Without the bad line it goes in, with one event for the import. */
	write_file(path,
		   "{\"type\":\"supply\",\"id\":\"s1\",\"org_id\":\"org-b\",\"kind\":\"patent\","
		   "\"title\":\"硬碳负极\",\"ipc\":[\"H01M 4/587\"]}\n"
		   "{\"type\":\"org\",\"id\":\"org-b\",\"name\":\"乙\",\"kind\":\"lab\",\"region\":\"110108\"}\n");
	opts.errors = NULL;
	assert_int_equal(kc_import(fx->st, path, &opts, &stats, &err), 0);
	assert_int_equal(stats.total, 2);
	assert_int_equal(kc_store_data_version(fx->st, &err), 1);
	/* Importing it again: both ids exist. */
	ef = fopen(errpath, "w+");
	opts.errors = ef;
	assert_int_equal(kc_import(fx->st, path, &opts, &stats, &err), KC_EDATA);
	assert_int_equal(stats.errors, 2);
	fclose(ef);
}

/* The fast reader of JSONL lines builds exactly what json_loadb builds, and leaves whatever is
 * not plain (errors above all) to json_loadb. */
static void test_jsonl_reader_agrees_with_jansson(void **state)
{
	(void)state;
	static const char *const plain[] = {
		"{}",
		"  { \"a\" : [ 1 , 2 ] , \"b\" : { \"c\" : \"d\" } }  ",
		("{\"type\":\"supply\",\"id\":\"s1\",\"title\":\"钠离子\\\"电池\\\"\",\"trl\":4,"
		 "\"price_min\":1.25,\"ipc\":[\"H01M 4/587\"]}"),
		"{\"a\":\"x\\\"y\\\\z\\/w\\b\\f\\n\\r\\t\",\"b\":\"\\u00e9\\u4e2d\\uD83D\\uDE00\"}",
		"{\"\\u0061b\":1,\"\":2}",
		"{\"a\":-0,\"b\":-0.0,\"c\":1.5e10,\"d\":1E-5,\"e\":-2.5e+3,\"f\":1e-400}",
		"{\"a\":123456789012345678,\"b\":-123456789012345678,\"c\":0}",
		"{\"a\":true,\"b\":false,\"c\":null,\"d\":[[],{}]}",
		"{\"a\":\"a long string of plain text, longer than eight bytes: 八个字节以上\"}",
	};
	static const char *const other[] = {
		"{\"a\":1,}", "{\"a\":1,\"a\":2}", "{\"\\u0061\":1,\"a\":2}", "{\"a\":\"\\uD83D\"}",
		"{\"a\":\"\\uDE00\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\x\"}", "{\"a\":01}",
		"{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":1e400}", "{\"a\":tru}",
		"{\"a\":truex}", "{\"a\":[1,]}", "[1,2]", "\"s\"", "{\"a\":1}x", "{\"a\":1",
		"{a:1}", "{\"a\":'x'}", "{\"a\":\"tab\there\"}", "{\"a\":NaN}", "{\"a\":+1}",
		"{\"a\":1234567890123456789}", "{\"a\":-9223372036854775808}",
		"{\"a\":9223372036854775808}", "",
	};
	struct kc_buf tmp = KC_BUF_INIT;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]) + sizeof(other) / sizeof(other[0]);
	     i++) {
		int is_plain = i < sizeof(plain) / sizeof(plain[0]);
		const char *s = is_plain ? plain[i] : other[i - sizeof(plain) / sizeof(plain[0])];
		json_t *fast = kc__jsonl_object(s, strlen(s), &tmp);
		json_t *ref = json_loadb(s, strlen(s), JSON_REJECT_DUPLICATES, NULL);
		if (!is_plain) {
			if (fast != NULL)
				fail_msg("the fast reader took '%s'", s);
			json_decref(ref);
			continue;
		}
		if (fast == NULL || ref == NULL)
			fail_msg("'%s' not read (fast %p, jansson %p)", s, (void *)fast,
				 (void *)ref);
		char *a = json_dumps(fast, JSON_COMPACT | JSON_PRESERVE_ORDER);
		char *b = json_dumps(ref, JSON_COMPACT | JSON_PRESERVE_ORDER);
		assert_string_equal(a, b);
		assert_true(json_equal(fast, ref));
		free(a);
		free(b);
		json_decref(fast);
		json_decref(ref);
	}
	kc_buf_release(&tmp);
}

/* Errors come in file order even when they are far apart (the reader hands them over in
 * batches); nothing lands. */
static void test_import_reports_errors_in_file_order(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	char path[400], errpath[400];
	snprintf(path, sizeof(path), "%s/many.jsonl", fx->dir);
	snprintf(errpath, sizeof(errpath), "%s/errors.txt", fx->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"type\":\"org\",\"id\":\"o1\",\"name\":\"甲\",\"kind\":\"lab\","
		   "\"region\":\"110108\"}\n");
	for (int i = 2; i <= 3000; i++)
		fprintf(f,
			"{\"type\":\"supply\",\"id\":\"s%d\",\"org_id\":\"%s\",\"kind\":\"patent\","
			"\"title\":\"硬碳\",\"trl\":%d}\n",
			i, i == 2900 ? "nobody" : "o1", i == 17 || i == 2500 ? 12 : 1 + i % 9);
	fclose(f);
	FILE *ef = fopen(errpath, "w+");
	struct kc_import_opts opts = {"test", 100, 0, ef};
	struct kc_import_stats stats;
	assert_int_equal(kc_import(fx->st, path, &opts, &stats, &err), KC_EDATA);
	assert_int_equal(stats.errors, 3);
	assert_int_equal(stats.total, 3000);
	rewind(ef);
	char line[512];
	const char *want[] = {"many.jsonl:17:trl: TRL 12", "many.jsonl:2500:trl: TRL 12",
			      "many.jsonl:2900:org_id: org 'nobody' does not exist"};
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(fgets(line, sizeof(line), ef));
		if (strstr(line, want[i]) == NULL)
			fail_msg("error %zu: want '%s', got '%s'", i + 1, want[i], line);
	}
	assert_null(fgets(line, sizeof(line), ef));
	fclose(ef);
	assert_int_equal(kc_store_count(fx->st, kc_entity_def(KC_ENT_SUPPLY), NULL, &err), 0);
	assert_int_equal(kc_store_data_version(fx->st, &err), 0);

	/* --max-errors 1: the first one only. */
	ef = fopen(errpath, "w+");
	opts.errors = ef;
	opts.max_errors = 1;
	assert_int_equal(kc_import(fx->st, path, &opts, &stats, &err), KC_EDATA);
	rewind(ef);
	assert_non_null(fgets(line, sizeof(line), ef));
	assert_non_null(strstr(line, "many.jsonl:17:trl"));
	assert_non_null(fgets(line, sizeof(line), ef));
	assert_non_null(strstr(line, "stopped after 1 errors"));
	fclose(ef);
}

static int count_rows(void *ud, const json_t *r)
{
	(void)r;
	(*(int *)ud)++;
	return 0;
}

static void test_export_leaves_out_confidential_demands_unless_asked(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	put(fx->st, KC_ENT_DEMAND, "{\"id\":\"d-pub\",\"org_id\":\"org-a\",\"title\":\"公开\"}");
	put(fx->st, KC_ENT_DEMAND, "{\"id\":\"d-sec\",\"org_id\":\"org-a\",\"title\":\"保密\","
				   "\"visibility\":\"confidential\"}");
	put(fx->st, KC_ENT_CHALLENGE, "{\"id\":\"c1\",\"demand_id\":\"d-sec\",\"title\":\"榜\"}");
	char out[400];
	snprintf(out, sizeof(out), "%s/export", fx->dir);
	struct kc_export_opts opts = {KC_FORMAT_JSONL, 0};
	int64_t skipped = 0;
	assert_int_equal(kc_export(fx->st, out, &opts, &skipped, &err), 4);
	assert_int_equal(skipped, 2);
	char path[500];
	snprintf(path, sizeof(path), "%s/challenge.jsonl", out);
	assert_int_not_equal(access(path, F_OK), 0);

	/* A full export imports into a new store with the same records. */
	opts.include_confidential = 1;
	opts.format = KC_FORMAT_CSV;
	assert_int_equal(kc_export(fx->st, out, &opts, &skipped, &err), 6);
	snprintf(path, sizeof(path), "%s/demand.csv", out);
	assert_int_equal(access(path, F_OK), 0);
	/* Remove the JSONL files of the first export so only the CSV ones are read. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/*.jsonl", out);
	assert_int_equal(system(cmd), 0);
	char db2[400];
	snprintf(db2, sizeof(db2), "%s/t2.db", fx->dir);
	struct kc_store *st2 = NULL;
	assert_int_equal(kc_store_open(db2, KC_STORE_CREATE, &st2, &err), 0);
	struct kc_import_opts io = {"test", 100, 0, NULL};
	if (kc_import(st2, out, &io, NULL, &err) < 0)
		fail_msg("reimport failed: %s", err.msg);
	json_t *a = NULL, *b = NULL;
	assert_int_equal(kc_store_get(fx->st, kc_entity_def(KC_ENT_NODE), "na-hc", &a, &err), 0);
	assert_int_equal(kc_store_get(st2, kc_entity_def(KC_ENT_NODE), "na-hc", &b, &err), 0);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	int n = 0;
	assert_int_equal(kc_store_each(st2, kc_entity_def(KC_ENT_DEMAND), NULL, count_rows, &n,
				       &err),
			 0);
	assert_int_equal(n, 2);
	kc_store_close(st2);
}

static void test_check_finds_a_dangling_list_reference(void **state)
{
	struct fixture *fx = *state;
	struct kc_err err = KC_ERR_INIT;
	base_records(fx->st);
	put(fx->st, KC_ENT_SUPPLY, "{\"id\":\"s1\",\"org_id\":\"org-a\",\"kind\":\"expert\","
				   "\"title\":\"专家\",\"nodes\":[\"na-hc\"]}");
	struct diags d = {0, {0}};
	assert_int_equal(kc_store_check(fx->st, collect, &d, &err), 0);
	/* Lists are not foreign keys: deleting the node leaves the supply pointing at nothing. */
	assert_int_equal(kc_store_delete(fx->st, kc_entity_def(KC_ENT_NODE), "na-hc", "t", &err),
			 0);
	assert_int_equal(kc_store_check(fx->st, collect, &d, &err), 1);
	assert_non_null(strstr(d.text, "supply:s1:nodes[0]: refers to a missing node 'na-hc'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_field_has_its_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_reopens_and_refuses_foreign_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_put_get_update_delete_keep_an_audit_trail,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_read_back_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_fields_reads_only_those, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_event_holds_before_and_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_snapshot_sees_one_state_and_refuses_writes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_survive_nesting_and_cache_eviction,
						setup, teardown),
		cmocka_unit_test(test_validation_names_every_problem),
		cmocka_unit_test(test_validation_fills_defaults_and_drops_empty_values),
		cmocka_unit_test(test_text_limits_count_characters_not_bytes),
		cmocka_unit_test(test_region_names_become_codes_when_unique),
		cmocka_unit_test_setup_teardown(test_import_is_all_or_nothing, setup, teardown),
		cmocka_unit_test(test_jsonl_reader_agrees_with_jansson),
		cmocka_unit_test_setup_teardown(test_import_reports_errors_in_file_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_export_leaves_out_confidential_demands_unless_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_finds_a_dangling_list_reference, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
