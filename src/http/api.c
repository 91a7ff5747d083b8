/* http: the /api/v1 routes (read-only part): health, stats, list and get for every public
 * entity, with confidential demands anonymized for every caller. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "banned.h"

const char *kc__http_arg(const struct kc_http_req *q, const char *key)
{
	for (int i = 0; i < q->nargs; i++)
		if (strcmp(q->args[i].key, key) == 0)
			return q->args[i].value;
	return NULL;
}

/* What an anonymous caller may see of a record: a confidential demand loses its owner. */
static json_t *public_view(const struct kc_entity_def *def, const json_t *rec)
{
	json_t *out = json_copy((json_t *)rec);
	if (out == NULL)
		return NULL;
	if (def->ent == KC_ENT_DEMAND) {
		const char *vis = json_string_value(json_object_get(rec, "visibility"));
		if (vis && strcmp(vis, "confidential") == 0) {
			json_object_del(out, "org_id");
			json_object_set_new(out, "owner_hidden", json_true());
		}
	}
	return out;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

struct list_ctx {
	const struct kc_entity_def *def;
	json_t *items;
	/* Filtering demands by owner: the confidential ones are left out entirely (not even
	 * counted), so the store pages nothing and this callback pages the rest. */
	int hide_confidential;
	int64_t seen, offset, limit;
};

static int list_item(void *ud, const json_t *rec)
{
	struct list_ctx *c = ud;
	if (c->hide_confidential) {
		const char *vis = json_string_value(json_object_get(rec, "visibility"));
		if (vis && strcmp(vis, "confidential") == 0)
			return 0;
		int64_t i = c->seen++;
		if (i < c->offset || i >= c->offset + c->limit)
			return 0;
	}
	json_t *v = public_view(c->def, rec);
	if (v == NULL || json_array_append_new(c->items, v) < 0)
		return KC_ENOMEM;
	return 0;
}

/* Entities served to anonymous callers (users hold e-mail addresses: not without auth). */
static int served(const struct kc_entity_def *def)
{
	return def->ent != KC_ENT_USER;
}

static void list(struct kc_http_req *q, struct kc_http_reply *r, const struct kc_entity_def *def)
{
	struct kc_query query = {NULL, NULL, 50, 0};
	struct kc_err err = KC_ERR_INIT;
	for (int i = 0; i < q->nargs; i++) {
		const char *k = q->args[i].key, *v = q->args[i].value;
		if (strcmp(k, "limit") == 0) {
			if (parse_int(v, 1, KC_HTTP_MAX_PAGE, &query.limit) < 0) {
				kc__http_error(r, 400, "limit", "limit must be 1-%d",
					       KC_HTTP_MAX_PAGE);
				return;
			}
		} else if (strcmp(k, "cursor") == 0) {
			if (parse_int(v, 0, INT64_MAX, &query.offset) < 0) {
				kc__http_error(r, 400, "cursor", "cursor '%.40s' is not valid", v);
				return;
			}
		} else if (kc_entity_field(def, k)) {
			if (query.field) {
				kc__http_error(r, 400, k, "one filter at a time for now");
				return;
			}
			query.field = k;
			query.value = v;
		} else {
			kc__http_error(r, 400, k, "unknown parameter '%.60s' for %s", k,
				       def->plural);
			return;
		}
	}
	struct list_ctx c = {def, json_array(),
			     def->ent == KC_ENT_DEMAND && query.field &&
				     strcmp(query.field, "org_id") == 0,
			     0, query.offset, query.limit};
	int64_t total;
	int rc;
	if (c.hide_confidential) {
		struct kc_query all = {query.field, query.value, 0, 0};
		rc = kc_store_each(q->st, def, &all, list_item, &c, &err);
		total = c.seen;
	} else {
		total = kc_store_count(q->st, def, &query, &err);
		rc = total < 0 ? (int)total
			       : kc_store_each(q->st, def, &query, list_item, &c, &err);
	}
	if (rc < 0) {
		json_decref(c.items);
		kc__http_error(r, kc_http_status(rc), NULL, "%s", err.msg);
		return;
	}
	json_t *out = json_pack("{s:o,s:I}", "items", c.items, "total", (json_int_t)total);
	if (query.offset + query.limit < total) {
		char next[32];
		snprintf(next, sizeof(next), "%" PRId64, query.offset + query.limit);
		json_object_set_new(out, "next_cursor", json_string(next));
	}
	kc__http_json(r, out);
	json_decref(out);
}

static void get(struct kc_http_req *q, struct kc_http_reply *r, const struct kc_entity_def *def,
		const char *id)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *rec = NULL;
	int rc = kc_store_get(q->st, def, id, &rec, &err);
	if (rc < 0) {
		kc__http_error(r, kc_http_status(rc), NULL, "%s", err.msg);
		return;
	}
	json_t *v = public_view(def, rec);
	json_decref(rec);
	if (v == NULL) {
		kc__http_error(r, 500, NULL, "out of memory");
		return;
	}
	kc__http_json(r, v);
	json_decref(v);
}

static void stats(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *counts = json_object();
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		const struct kc_entity_def *def = kc_entity_def((enum kc_entity)e);
		if (!served(def))
			continue;
		int64_t n = kc_store_count(q->st, def, NULL, &err);
		if (n < 0) {
			json_decref(counts);
			kc__http_error(r, kc_http_status((int)n), NULL, "%s", err.msg);
			return;
		}
		json_object_set_new(counts, def->plural, json_integer(n));
	}
	json_t *out = json_pack("{s:o,s:I}", "counts", counts, "data_version",
				(json_int_t)kc_store_data_version(q->st, &err));
	kc__http_json(r, out);
	json_decref(out);
}

void kc__http_route(struct kc_http_req *q, struct kc_http_reply *r)
{
	const char *p = q->path;
	static const char prefix[] = "/api/v1/";
	if (strncmp(p, prefix, sizeof(prefix) - 1) != 0) {
		kc__http_error(r, 404, NULL, "no such page: the API is under /api/v1/");
		return;
	}
	p += sizeof(prefix) - 1;
	if (strcmp(p, "health") == 0) {
		json_t *j = json_pack("{s:s}", "status", "ok");
		kc__http_json(r, j);
		json_decref(j);
		return;
	}
	if (strcmp(p, "stats") == 0) {
		stats(q, r);
		return;
	}
	char type[64];
	const char *slash = strchr(p, '/');
	size_t tl = slash ? (size_t)(slash - p) : strlen(p);
	if (tl == 0 || tl >= sizeof(type)) {
		kc__http_error(r, 404, NULL, "no such resource");
		return;
	}
	memcpy(type, p, tl);
	type[tl] = '\0';
	const struct kc_entity_def *def = kc_entity_find(type);
	if (def == NULL || strcmp(def->plural, type) != 0 || !def->has_id) {
		kc__http_error(r, 404, NULL, "no such resource '%s'", type);
		return;
	}
	if (!served(def)) {
		kc__http_error(r, 401, NULL, "%s need authentication, which is not built yet",
			       def->plural);
		return;
	}
	if (slash == NULL || slash[1] == '\0') {
		list(q, r, def);
		return;
	}
	const char *id = slash + 1;
	if (strchr(id, '/')) {
		kc__http_error(r, 404, NULL, "no such resource");
		return;
	}
	get(q, r, def, id);
}
