/* http: the /api/v1 router, the route table (what docs/openapi.json must describe), records
 * (list, get, create, update, delete) with roles and visibility, the confidential-demand
 * warnings, stats, regions, export and the OpenAPI document. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "kechan/chain.h"
#include "kechan/codes.h"
#include "http_int.h"
#include "banned.h"

static const struct kc_http_route routes[] = {
	{"GET", "/api/v1/health"},
	{"GET", "/api/v1/stats"},
	{"GET", "/api/v1/openapi.json"},
	{"GET", "/api/v1/regions"},
	{"GET", "/api/v1/search"},
	{"POST", "/api/v1/auth/login"},
	{"POST", "/api/v1/auth/logout"},
	{"GET", "/api/v1/auth/me"},
	{"POST", "/api/v1/auth/password"},
	{"GET", "/api/v1/auth/tokens"},
	{"POST", "/api/v1/auth/tokens"},
	{"DELETE", "/api/v1/auth/tokens/{id}"},
	{"GET", "/api/v1/match/demands/{id}"},
	{"GET", "/api/v1/match/supplies/{id}"},
	{"POST", "/api/v1/matches/feedback"},
	{"POST", "/api/v1/demands/check"},
	{"GET", "/api/v1/export/{type}"},
	{"GET", "/api/v1/chains/{id}/panorama"},
	{"GET", "/api/v1/chains/{id}/coverage"},
	{"GET", "/api/v1/chains/{id}/gaps"},
	{"GET", "/api/v1/chains/{id}/weak"},
	{"GET", "/api/v1/chains/{id}/bottlenecks"},
	{"GET", "/api/v1/chains/{id}/recruit"},
	{"GET", "/api/v1/chains/{id}/linkage"},
	{"POST", "/api/v1/chains/{id}/simulate"},
	{"GET", "/api/v1/{type}"},
	{"POST", "/api/v1/{type}"},
	{"GET", "/api/v1/{type}/{id}"},
	{"PATCH", "/api/v1/{type}/{id}"},
	{"DELETE", "/api/v1/{type}/{id}"},
};

const struct kc_http_route *kc__http_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

/* ---- visibility ---- */

static int is_confidential(const json_t *rec)
{
	const char *vis = json_string_value(json_object_get(rec, "visibility"));
	return vis && strcmp(vis, "confidential") == 0;
}

int kc__http_sees_owner(const struct kc_http_req *q, const char *org_id)
{
	return q->user.role == KC_ROLE_ADMIN ||
	       (org_id && q->user.org_id[0] && strcmp(org_id, q->user.org_id) == 0);
}

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* The org on each side of a match, for visibility and permissions. */
static void match_orgs(struct kc_store *st, const json_t *m, char *dorg, char *sorg, size_t cap)
{
	json_t *d = NULL, *s = NULL;
	dorg[0] = sorg[0] = '\0';
	if (kc_store_get(st, kc_entity_def(KC_ENT_DEMAND), str(m, "demand_id"), &d, NULL) == 0)
		snprintf(dorg, cap, "%s", str(d, "org_id") ? str(d, "org_id") : "");
	if (kc_store_get(st, kc_entity_def(KC_ENT_SUPPLY), str(m, "supply_id"), &s, NULL) == 0)
		snprintf(sorg, cap, "%s", str(s, "org_id") ? str(s, "org_id") : "");
	json_decref(d);
	json_decref(s);
}

json_t *kc__http_view(const struct kc_http_req *q, const struct kc_entity_def *def,
		      const json_t *rec)
{
	const struct kc_http_user *u = &q->user;
	switch (def->ent) {
	case KC_ENT_DEMAND: {
		const char *vis = str(rec, "visibility");
		if (u->role == KC_ROLE_NONE && vis && strcmp(vis, "public") != 0)
			return NULL;
		if (!is_confidential(rec) || kc__http_sees_owner(q, str(rec, "org_id")))
			return json_incref((json_t *)rec);
		json_t *out = json_copy((json_t *)rec);
		if (out) {
			json_object_del(out, "org_id");
			json_object_set_new(out, "owner_hidden", json_true());
		}
		return out;
	}
	case KC_ENT_USER:
		if (u->role == KC_ROLE_ADMIN || strcmp(u->id, str(rec, "id") ? str(rec, "id") : "") == 0 ||
		    (u->role == KC_ROLE_ORG_ADMIN && str(rec, "org_id") &&
		     strcmp(u->org_id, str(rec, "org_id")) == 0))
			return json_incref((json_t *)rec);
		return NULL;
	case KC_ENT_MATCH: {
		if (u->role == KC_ROLE_NONE)
			return NULL;
		if (u->role == KC_ROLE_ADMIN || u->role == KC_ROLE_REVIEWER)
			return json_copy((json_t *)rec);
		char dorg[256], sorg[256];
		match_orgs(q->st, rec, dorg, sorg, sizeof(dorg));
		if (u->org_id[0] && (strcmp(dorg, u->org_id) == 0 || strcmp(sorg, u->org_id) == 0))
			return json_copy((json_t *)rec);
		return NULL;
	}
	default:
		return json_incref((json_t *)rec);
	}
}

/* ---- lists ---- */

#define MAX_CONDS 16

struct list_ctx {
	const struct kc_http_req *q;
	const struct kc_entity_def *def;
	json_t *items;
	int page_here; /* the store cannot page (visibility needs a look at each record) */
	int64_t seen, offset, limit;
};

static int list_item(void *ud, const json_t *rec)
{
	struct list_ctx *c = ud;
	json_t *v = kc__http_view(c->q, c->def, rec);
	if (v == NULL)
		return 0;
	if (c->page_here) {
		int64_t i = c->seen++;
		if (i < c->offset || i >= c->offset + c->limit) {
			json_decref(v);
			return 0;
		}
	}
	return json_array_append_new(c->items, v) == 0 ? 0 : KC_ENOMEM;
}

/* Adds the conditions that keep what q's caller may not see out of a query on def; returns
 * the new count, or -1 when the caller sees nothing of def. *page_here is set when the
 * conditions cannot be said to the store. */
static int visibility_conds(const struct kc_http_req *q, const struct kc_entity_def *def,
			    struct kc_cond *c, int n, int by_org, int *page_here)
{
	const struct kc_http_user *u = &q->user;
	if (def->ent == KC_ENT_DEMAND) {
		if (u->role == KC_ROLE_NONE)
			c[n++] = (struct kc_cond){"visibility", "public", 0};
		else if (by_org && u->role != KC_ROLE_ADMIN)
			/* listing an org's demands must not reveal its confidential ones */
			*page_here = 1;
	} else if (def->ent == KC_ENT_USER) {
		if (u->role == KC_ROLE_NONE)
			return -1;
		if (u->role == KC_ROLE_ORG_ADMIN && u->org_id[0])
			c[n++] = (struct kc_cond){"org_id", u->org_id, 0};
		else if (u->role != KC_ROLE_ADMIN)
			c[n++] = (struct kc_cond){"id", u->id, 0};
	} else if (def->ent == KC_ENT_MATCH) {
		if (u->role == KC_ROLE_NONE)
			return -1;
		if (u->role != KC_ROLE_ADMIN && u->role != KC_ROLE_REVIEWER)
			*page_here = 1;
	}
	return n;
}

/* A demand listed by org for a caller who does not own it: confidential ones left out. */
static int list_org_item(void *ud, const json_t *rec)
{
	struct list_ctx *c = ud;
	if (c->def->ent == KC_ENT_DEMAND && is_confidential(rec) &&
	    !kc__http_sees_owner(c->q, str(rec, "org_id")))
		return 0;
	return list_item(ud, rec);
}

static void list(struct kc_http_req *q, struct kc_http_reply *r, const struct kc_entity_def *def)
{
	struct kc_cond conds[MAX_CONDS];
	struct kc_query query = {.limit = 50, .conds = conds, .desc = 1};
	struct kc_err err = KC_ERR_INIT;
	int n = 0, by_org = 0;
	for (int i = 0; i < q->nargs; i++) {
		const char *k = q->args[i].key, *v = q->args[i].value;
		if (strcmp(k, "limit") == 0) {
			if (kc__http_int(v, 1, KC_HTTP_MAX_PAGE, &query.limit) < 0) {
				kc__http_error(r, 400, "limit", "limit must be 1-%d", KC_HTTP_MAX_PAGE);
				return;
			}
		} else if (strcmp(k, "cursor") == 0) {
			if (kc__http_int(v, 0, INT64_MAX, &query.offset) < 0) {
				kc__http_error(r, 400, "cursor", "cursor '%.40s' is not valid", v);
				return;
			}
		} else if (strcmp(k, "q") == 0) {
			if (*v)
				query.contains = v;
		} else if (strcmp(k, "sort") == 0) {
			query.desc = v[0] == '-';
			const char *f = v + (v[0] == '-' || v[0] == '+');
			const struct kc_field *fd = kc_entity_field(def, f);
			if (fd == NULL || (fd->flags & KC_FF_LIST) || fd->type == KC_F_OBJECT) {
				kc__http_error(r, 400, "sort", "%s cannot be sorted by '%.60s'",
					       def->plural, f);
				return;
			}
			query.order_by = fd->name;
		} else if (kc_entity_field(def, k)) {
			if (n >= MAX_CONDS - 4) {
				kc__http_error(r, 400, k, "too many filters");
				return;
			}
			if (strcmp(k, "org_id") == 0)
				by_org = 1;
			conds[n++] = (struct kc_cond){kc_entity_field(def, k)->name, v, 0};
		} else {
			kc__http_error(r, 400, k, "unknown parameter '%.60s' for %s", k, def->plural);
			return;
		}
	}
	if (query.contains && kc_entity_field(def, "title") == NULL &&
	    kc_entity_field(def, "name") == NULL) {
		kc__http_error(r, 400, "q", "%s have no title or name to search", def->plural);
		return;
	}
	struct list_ctx c = {q, def, json_array(), 0, 0, query.offset, query.limit};
	n = visibility_conds(q, def, conds, n, by_org, &c.page_here);
	if (n < 0) {
		json_decref(c.items);
		kc__http_error(r, 401, NULL, "sign in to see %s", def->plural);
		return;
	}
	query.nconds = (size_t)n;
	int64_t total;
	int rc;
	if (c.page_here) {
		struct kc_query all = query;
		all.limit = all.offset = 0;
		rc = kc_store_each(q->st, def, &all, by_org ? list_org_item : list_item, &c, &err);
		total = c.seen;
	} else {
		total = kc_store_count(q->st, def, &query, &err);
		rc = total < 0 ? (int)total
			       : kc_store_each(q->st, def, &query, list_item, &c, &err);
	}
	if (rc < 0) {
		json_decref(c.items);
		kc__http_fail(r, rc, &err);
		return;
	}
	json_t *out = json_pack("{s:o,s:I}", "items", c.items, "total", (json_int_t)total);
	if (out && query.offset + query.limit < total) {
		char next[32];
		snprintf(next, sizeof(next), "%" PRId64, query.offset + query.limit);
		json_object_set_new(out, "next_cursor", json_string(next));
	}
	kc__http_json_new(r, out);
}

static void get(struct kc_http_req *q, struct kc_http_reply *r, const struct kc_entity_def *def,
		const char *id)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *rec = NULL;
	int rc = kc_store_get(q->st, def, id, &rec, &err);
	if (rc < 0) {
		kc__http_fail(r, rc, &err);
		return;
	}
	json_t *v = kc__http_view(q, def, rec);
	json_decref(rec);
	if (v == NULL) {
		/* the same answer as a missing record: hidden records are not confirmed */
		kc__http_error(r, 404, NULL, "%s '%s' not found", def->name, id);
		return;
	}
	kc__http_json_new(r, v);
}

/* ---- writes ---- */

/* Whether the caller may create (op 'c'), update ('u') or delete ('d') rec of def; fills r
 * (401 / 403) when not. */
static int may_write(struct kc_http_req *q, struct kc_http_reply *r,
		     const struct kc_entity_def *def, const json_t *rec, char op)
{
	const struct kc_http_user *u = &q->user;
	if (u->role == KC_ROLE_NONE) {
		kc__http_error(r, 401, NULL, "sign in to change %s", def->plural);
		return 0;
	}
	if (u->role == KC_ROLE_ADMIN)
		return 1;
	if (u->role != KC_ROLE_ORG_ADMIN && u->role != KC_ROLE_ORG_MEMBER)
		goto forbidden;
	if (op == 'd' && u->role != KC_ROLE_ORG_ADMIN)
		goto forbidden;
	char org[256] = "", other[256] = "";
	switch (def->ent) {
	case KC_ENT_SUPPLY:
	case KC_ENT_DEMAND:
	case KC_ENT_SCENARIO:
		snprintf(org, sizeof(org), "%s", str(rec, "org_id") ? str(rec, "org_id") : "");
		break;
	case KC_ENT_CHALLENGE: {
		json_t *d = NULL;
		if (kc_store_get(q->st, kc_entity_def(KC_ENT_DEMAND), str(rec, "demand_id"), &d,
				 NULL) == 0)
			snprintf(org, sizeof(org), "%s", str(d, "org_id") ? str(d, "org_id") : "");
		json_decref(d);
		break;
	}
	case KC_ENT_MATCH:
		match_orgs(q->st, rec, org, other, sizeof(org));
		break;
	case KC_ENT_ORG:
		if (op != 'u' || u->role != KC_ROLE_ORG_ADMIN)
			goto forbidden;
		snprintf(org, sizeof(org), "%s", str(rec, "id") ? str(rec, "id") : "");
		break;
	case KC_ENT_USER: {
		enum kc_role role = kc__http_role_parse(str(rec, "role"));
		if (u->role != KC_ROLE_ORG_ADMIN || role == KC_ROLE_ADMIN ||
		    role == KC_ROLE_REVIEWER)
			goto forbidden;
		snprintf(org, sizeof(org), "%s", str(rec, "org_id") ? str(rec, "org_id") : "");
		break;
	}
	default:
		goto forbidden;
	}
	if (u->org_id[0] && (strcmp(org, u->org_id) == 0 || strcmp(other, u->org_id) == 0))
		return 1;
forbidden:
	kc__http_error(r, 403, NULL, "your role (%s%s%s) may not %s this %s",
		       kc__http_role_name(u->role), u->org_id[0] ? " of " : "", u->org_id,
		       op == 'c' ? "create" : op == 'u' ? "change" : "delete", def->name);
	return 0;
}

struct diag_ctx {
	json_t *details;
};

static void on_diag(void *ud, const char *field, const char *msg)
{
	struct diag_ctx *d = ud;
	json_array_append_new(d->details, json_pack("{s:s?, s:s}", "field", field, "message", msg));
}

/* Validates rec; on problems fills r (422 with details) and returns -1. */
static int validate(struct kc_http_reply *r, const struct kc_entity_def *def, json_t *rec)
{
	struct diag_ctx d = {json_array()};
	int n = kc_record_validate(def, rec, on_diag, &d);
	if (n == 0) {
		json_decref(d.details);
		return 0;
	}
	if (n < 0) {
		json_decref(d.details);
		kc__http_error(r, 500, NULL, "out of memory");
		return -1;
	}
	const char *msg = str(json_array_get(d.details, 0), "message");
	kc__http_invalid(r, d.details, "%s is not valid: %s%s", def->name, msg ? msg : "",
			 n > 1 ? " (and more: see details)" : "");
	return -1;
}

/* A new id: <prefix>-<yyyymmdd>-<8 hex>. */
static json_t *new_id(const struct kc_entity_def *def)
{
	static const char *const prefix[KC_ENT_COUNT] = {
		[KC_ENT_CHAIN] = "chain", [KC_ENT_NODE] = "node", [KC_ENT_ORG] = "org",
		[KC_ENT_SUPPLY] = "sup", [KC_ENT_DEMAND] = "dem", [KC_ENT_CHALLENGE] = "chl",
		[KC_ENT_SCENARIO] = "scn", [KC_ENT_MATCH] = "m", [KC_ENT_USER] = "u"};
	unsigned char raw[4];
	randombytes_buf(raw, sizeof(raw));
	char day[16], id[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(id, sizeof(id), "%s-%s-%02x%02x%02x%02x",
		 prefix[def->ent] ? prefix[def->ent] : def->name, day, raw[0], raw[1], raw[2],
		 raw[3]);
	return json_string(id);
}

/* ---- warnings for a confidential demand: would its text or place reveal the owner? ---- */

static int text_has(const char *hay, const char *needle)
{
	return hay && needle && *needle && strstr(hay, needle) != NULL;
}

/* The org's name without its legal form (宁德时代新能源科技股份有限公司 → 宁德时代新能源科技). */
static void name_core(const char *name, char *out, size_t cap)
{
	static const char *const forms[] = {"股份有限公司", "有限责任公司", "有限公司", "集团",
					    "公司"};
	snprintf(out, cap, "%s", name ? name : "");
	for (int again = 1; again;) {
		again = 0;
		size_t n = strlen(out);
		for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			size_t fl = strlen(forms[i]);
			if (n > fl + 3 && strcmp(out + n - fl, forms[i]) == 0) {
				out[n - fl] = '\0';
				again = 1;
				break;
			}
		}
	}
}

static void warn(json_t *w, const char *code, const char *field, const char *fmt, ...)
	KC_PRINTF(4, 5);
static void warn(json_t *w, const char *code, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(w, json_pack("{s:s, s:s, s:s?}", "code", code, "message", msg,
					   "field", field));
}

struct node_orgs {
	struct kc_store *st;
	uint32_t region; /* the demand's city */
	json_t *orgs;    /* set of org ids active at the node in the region */
};

static int on_org_node(void *ud, const json_t *on)
{
	struct node_orgs *c = ud;
	const char *role = str(on, "role");
	if (role && strcmp(role, "producer") != 0 && strcmp(role, "supplier") != 0)
		return 0;
	const char *reg = str(on, "region"), *org = str(on, "org_id");
	json_t *o = NULL;
	if (reg == NULL && org &&
	    kc_store_get(c->st, kc_entity_def(KC_ENT_ORG), org, &o, NULL) == 0)
		reg = str(o, "region");
	uint32_t code = reg ? kc_region_parse(reg, strlen(reg)) : 0;
	if (org && code && kc_chain_region_within(code, c->region))
		json_object_set_new(c->orgs, org, json_true());
	json_decref(o);
	return 0;
}

/* Warnings for publishing demand rec (confidential): names_org, names_product, single_company. */
static json_t *confidential_warnings(struct kc_store *st, const json_t *rec)
{
	json_t *w = json_array(), *org = NULL;
	if (w == NULL || !is_confidential(rec))
		return w;
	const char *org_id = str(rec, "org_id");
	if (org_id == NULL || kc_store_get(st, kc_entity_def(KC_ENT_ORG), org_id, &org, NULL) != 0)
		return w;
	static const char *const fields[] = {"title", "description"};
	char core[1024];
	name_core(str(org, "name"), core, sizeof(core));
	const char *names[] = {str(org, "name"), str(org, "short_name"), core};
	for (size_t f = 0; f < 2; f++) {
		const char *text = str(rec, fields[f]);
		for (size_t i = 0; i < 3; i++)
			if (names[i] && kc_utf8_count(names[i], strlen(names[i])) >= 2 &&
			    text_has(text, names[i])) {
				warn(w, "names_org", fields[f],
				     "%s names the publishing org (%s): readers will know who asks",
				     fields[f], names[i]);
				break;
			}
	}
	/* the org's own keywords (its products, brands) in the text or the demand's keywords */
	json_t *kw;
	size_t i;
	json_array_foreach(json_object_get(org, "keywords"), i, kw) {
		const char *k = json_string_value(kw);
		if (k == NULL || kc_utf8_count(k, strlen(k)) < 2)
			continue;
		const char *where = text_has(str(rec, "title"), k)	     ? "title"
				    : text_has(str(rec, "description"), k) ? "description"
									   : NULL;
		if (where) {
			warn(w, "names_product", where,
			     "%s names '%s', one of the org's own products or keywords", where, k);
			break;
		}
	}
	/* a region + chain node that hold a single company give the owner away */
	const char *reg = str(rec, "region") ? str(rec, "region") : str(org, "region");
	uint32_t code = reg ? kc_region_parse(reg, strlen(reg)) : 0;
	if (code) {
		uint32_t city = code / 100 * 100;
		json_t *node;
		json_array_foreach(json_object_get(rec, "nodes"), i, node) {
			struct node_orgs c = {st, city, json_object()};
			struct kc_query qq = {.field = "node_id", .value = json_string_value(node)};
			kc_store_each(st, kc_entity_def(KC_ENT_ORG_NODE), &qq, on_org_node, &c, NULL);
			size_t n = json_object_size(c.orgs);
			int owner_there = json_object_get(c.orgs, org_id) != NULL;
			json_decref(c.orgs);
			if (n == 1 && owner_there) {
				char rname[128];
				if (kc_region_fullname(city, rname, sizeof(rname)) == 0)
					snprintf(rname, sizeof(rname), "%06u", city);
				warn(w, "single_company", "nodes",
				     "the org is the only company at chain node %s in %s: region + "
				     "node identify it",
				     json_string_value(node), rname);
				break;
			}
		}
	}
	json_decref(org);
	return w;
}

/* Takes the body's password for a user record out of rec (a new string, or NULL). */
static char *take_password(json_t *rec)
{
	const char *pw = str(rec, "password");
	char *out = pw ? kc_strdup(pw) : NULL;
	json_object_del(rec, "password");
	return out;
}

/* Writes rec as a create or a replace, with the user's password when given, and answers. */
static void write_record(struct kc_http_req *q, struct kc_http_reply *r,
			 const struct kc_entity_def *def, json_t *rec, enum kc_put_mode mode)
{
	struct kc_err err = KC_ERR_INIT;
	char *pw = def->ent == KC_ENT_USER ? take_password(rec) : NULL;
	char hash[128];
	int rc;
	json_object_del(rec, "updated_at");
	if (pw != NULL) {
		const char *why = kc_http_password_problem(pw);
		if (why != NULL) {
			kc__http_invalid(r, json_pack("[{s:s, s:s}]", "field", "password", "message", why),
					 "%s", why);
			goto out;
		}
		if ((rc = kc_http_password_hash(pw, hash, sizeof(hash), &err)) != 0) {
			kc__http_fail(r, rc, &err);
			goto out;
		}
	}
	if (validate(r, def, rec) != 0)
		goto out;
	if ((rc = kc_store_begin(q->st, &err)) != 0) {
		kc__http_fail(r, rc, &err);
		goto out;
	}
	int64_t before = kc_store_data_version(q->st, &err), after = -1;
	rc = before < 0 ? (int)before : kc_store_put(q->st, def, rec, mode, q->user.id, NULL, &err);
	if (rc == 0 && pw != NULL)
		rc = kc_store_password_set(q->st, str(rec, "id"), hash, q->user.id, &err);
	if (rc == 0 && (after = kc_store_data_version(q->st, &err)) < 0)
		rc = (int)after;
	if (rc == 0)
		rc = kc_store_commit(q->st, &err);
	else
		kc_store_rollback(q->st);
	if (rc != 0) {
		if (rc == KC_EDATA)
			kc__http_error(r, 422, NULL, "%s", err.msg);
		else
			kc__http_fail(r, rc, &err);
		goto out;
	}
	const char *id = str(rec, "id");
	json_t *saved = NULL;
	if (id && kc_store_get(q->st, def, id, &saved, &err) == 0)
		kc__http_match_update(q, def, id, saved, before, after);
	json_t *warnings = def->ent == KC_ENT_DEMAND ? confidential_warnings(q->st, rec)
						     : json_array();
	r->status = mode == KC_PUT_CREATE ? 201 : 200;
	kc__http_json_new(r, json_pack("{s:o?, s:o}", "item",
				       kc__http_view(q, def, saved ? saved : rec), "warnings",
				       warnings));
	json_decref(saved);
out:
	if (pw) {
		sodium_memzero(pw, strlen(pw));
		kc_free(pw);
	}
}

/* The body of a POST as a new record of def: its type and created_at dropped, a new id when
 * none is given, the caller's org when the record has an org_id and gives none. NULL when the
 * body is not a JSON object (r filled). */
static json_t *new_record(struct kc_http_req *q, struct kc_http_reply *r,
			  const struct kc_entity_def *def)
{
	json_t *rec = kc__http_body(q, r);
	if (rec == NULL)
		return NULL;
	json_object_del(rec, "type");
	json_object_del(rec, "created_at");
	if (def->has_id && json_object_get(rec, "id") == NULL)
		json_object_set_new(rec, "id", new_id(def));
	if (def->ent != KC_ENT_USER && kc_entity_field(def, "org_id") &&
	    json_object_get(rec, "org_id") == NULL && q->user.org_id[0])
		json_object_set_new(rec, "org_id", json_string(q->user.org_id));
	return rec;
}

static void create(struct kc_http_req *q, struct kc_http_reply *r,
		   const struct kc_entity_def *def)
{
	json_t *rec = new_record(q, r, def);
	if (rec != NULL && may_write(q, r, def, rec, 'c'))
		write_record(q, r, def, rec, KC_PUT_CREATE);
	json_decref(rec);
}

static void update(struct kc_http_req *q, struct kc_http_reply *r, const struct kc_entity_def *def,
		   const char *id)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *old = NULL, *body = kc__http_body(q, r), *rec = NULL;
	if (body == NULL)
		return;
	int rc = kc_store_get(q->st, def, id, &old, &err);
	if (rc != 0 || (rec = kc__http_view(q, def, old)) == NULL) {
		if (rc == 0)
			kc__http_error(r, 404, NULL, "%s '%s' not found", def->name, id);
		else
			kc__http_fail(r, rc, &err);
		goto out;
	}
	json_decref(rec);
	rec = NULL;
	if (!may_write(q, r, def, old, 'u'))
		goto out;
	rec = json_copy(old);
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (strcmp(k, "id") == 0 || strcmp(k, "created_at") == 0 ||
		    strcmp(k, "updated_at") == 0 || strcmp(k, "type") == 0) {
			if (strcmp(k, "id") == 0 && json_is_string(v) &&
			    strcmp(json_string_value(v), id) != 0) {
				kc__http_error(r, 400, "id", "the id of a record cannot change");
				goto out;
			}
			continue;
		}
		if (json_is_null(v))
			json_object_del(rec, k);
		else
			json_object_set(rec, k, v);
	}
	/* the record after the change must be the caller's to hold as well */
	if (!may_write(q, r, def, rec, 'u'))
		goto out;
	write_record(q, r, def, rec, KC_PUT_REPLACE);
out:
	json_decref(rec);
	json_decref(old);
	json_decref(body);
}

static void delete(struct kc_http_req *q, struct kc_http_reply *r, const struct kc_entity_def *def,
		   const char *id)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *old = NULL, *seen = NULL;
	int rc = kc_store_get(q->st, def, id, &old, &err);
	if (rc != 0 || (seen = kc__http_view(q, def, old)) == NULL) {
		if (rc == 0)
			kc__http_error(r, 404, NULL, "%s '%s' not found", def->name, id);
		else
			kc__http_fail(r, rc, &err);
		goto out;
	}
	if (!may_write(q, r, def, old, 'd'))
		goto out;
	int64_t before = -1, after = -1;
	if ((rc = kc_store_begin(q->st, &err)) == 0) {
		if ((before = kc_store_data_version(q->st, &err)) < 0)
			rc = (int)before;
		if (rc == 0)
			rc = kc_store_delete(q->st, def, id, q->user.id, &err);
		if (rc == 0 && (after = kc_store_data_version(q->st, &err)) < 0)
			rc = (int)after;
		rc = rc == 0 ? kc_store_commit(q->st, &err) : (kc_store_rollback(q->st), rc);
	}
	if (rc == KC_EDATA) {
		kc__http_error(r, 409, NULL,
			       "%s '%s' is still referred to by other records: delete or change "
			       "those first",
			       def->name, id);
	} else if (rc != 0) {
		kc__http_fail(r, rc, &err);
	} else {
		kc__http_match_update(q, def, id, NULL, before, after);
		r->status = 204;
	}
out:
	json_decref(seen);
	json_decref(old);
}

/* POST /api/v1/demands/check: validation and confidential warnings, nothing saved. */
static void check_demand(struct kc_http_req *q, struct kc_http_reply *r)
{
	const struct kc_entity_def *def = kc_entity_def(KC_ENT_DEMAND);
	json_t *rec = new_record(q, r, def);
	if (rec == NULL)
		return;
	struct diag_ctx d = {json_array()};
	int n = kc_record_validate(def, rec, on_diag, &d);
	kc__http_json_new(r, json_pack("{s:b, s:o, s:o}", "valid", n == 0, "details", d.details,
				       "warnings", confidential_warnings(q->st, rec)));
	json_decref(rec);
}

/* ---- stats, regions, export ---- */

static int64_t count_where(struct kc_http_req *q, const struct kc_entity_def *def,
			   const char *field, const char *value, struct kc_err *err)
{
	struct kc_cond c[2];
	int dummy = 0, n = 0;
	if (field)
		c[n++] = (struct kc_cond){field, value, 0};
	n = visibility_conds(q, def, c, n, 0, &dummy);
	if (n < 0)
		return 0;
	struct kc_query qq = {.conds = c, .nconds = (size_t)n};
	return kc_store_count(q->st, def, &qq, err);
}

static json_t *counts_by(struct kc_http_req *q, const struct kc_entity_def *def,
			 const char *field, struct kc_err *err)
{
	const struct kc_field *f = kc_entity_field(def, field);
	json_t *o = json_object();
	for (size_t i = 0; f && f->enums && f->enums[i]; i++) {
		int64_t n = count_where(q, def, field, f->enums[i], err);
		if (n < 0) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, f->enums[i], json_integer(n));
	}
	return o;
}

struct top_ctx {
	struct kc_http_req *q;
	json_t *items;
};

static int on_top_match(void *ud, const json_t *m)
{
	struct top_ctx *c = ud;
	json_t *d = NULL, *s = NULL, *dv = NULL, *mv = kc__http_view(c->q, kc_entity_def(KC_ENT_MATCH), m);
	int stop = 0;
	if (mv == NULL)
		return 0;
	if (kc_store_get(c->q->st, kc_entity_def(KC_ENT_DEMAND), str(m, "demand_id"), &d, NULL) ==
		    0 &&
	    kc_store_get(c->q->st, kc_entity_def(KC_ENT_SUPPLY), str(m, "supply_id"), &s, NULL) ==
		    0 &&
	    (dv = kc__http_view(c->q, kc_entity_def(KC_ENT_DEMAND), d)) != NULL) {
		json_object_set(mv, "demand_title", json_object_get(d, "title"));
		json_object_set(mv, "supply_title", json_object_get(s, "title"));
		json_object_del(mv, "explanation");
		json_array_append(c->items, mv);
		stop = json_array_size(c->items) >= 8;
	}
	json_decref(mv);
	json_decref(dv);
	json_decref(d);
	json_decref(s);
	return stop;
}

static void stats(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *counts = json_object(), *out = NULL;
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		const struct kc_entity_def *def = kc_entity_def((enum kc_entity)e);
		int64_t n = count_where(q, def, NULL, NULL, &err);
		if (n < 0)
			goto fail;
		if (e != KC_ENT_USER || q->user.role != KC_ROLE_NONE)
			json_object_set_new(counts, def->plural, json_integer(n));
	}
	json_t *by_status = counts_by(q, kc_entity_def(KC_ENT_DEMAND), "status", &err);
	json_t *by_kind = counts_by(q, kc_entity_def(KC_ENT_SUPPLY), "kind", &err);
	json_t *by_stage = counts_by(q, kc_entity_def(KC_ENT_SUPPLY), "stage", &err);
	out = json_pack("{s:o, s:I, s:o?, s:o?, s:o?}", "counts", counts, "data_version",
			(json_int_t)kc_store_data_version(q->st, &err), "demands_by_status",
			by_status, "supplies_by_kind", by_kind, "supplies_by_stage", by_stage);
	counts = NULL;
	if (out == NULL || by_status == NULL || by_kind == NULL)
		goto fail;
	/* the newest demands the caller may see */
	const struct kc_entity_def *dd = kc_entity_def(KC_ENT_DEMAND);
	struct kc_cond c[2];
	int dummy = 0;
	int n = visibility_conds(q, dd, c, 0, 0, &dummy);
	struct kc_query recent = {.limit = 8, .conds = c, .nconds = (size_t)n, .desc = 1};
	struct list_ctx lc = {q, dd, json_array(), 0, 0, 0, 8};
	int rc = kc_store_each(q->st, dd, &recent, list_item, &lc, &err);
	json_object_set_new(out, "recent_demands", lc.items);
	if (rc < 0)
		goto fail;
	struct top_ctx tc = {q, json_array()};
	struct kc_query top = {.order_by = "score", .desc = 1, .limit = 200};
	rc = q->user.role == KC_ROLE_NONE
		     ? 0
		     : kc_store_each(q->st, kc_entity_def(KC_ENT_MATCH), &top, on_top_match, &tc,
				     &err);
	json_object_set_new(out, "top_matches", tc.items);
	if (rc < 0)
		goto fail;
	kc__http_json_new(r, out);
	return;
fail:
	json_decref(counts);
	json_decref(out);
	kc__http_fail(r, err.code ? err.code : KC_ENOMEM, &err);
}

static json_t *region_json(const struct kc_region *g)
{
	char code[8], full[256];
	snprintf(code, sizeof(code), "%06u", g->code);
	kc_region_fullname(g->code, full, sizeof(full));
	return json_pack("{s:s, s:s, s:i, s:s}", "code", code, "name", g->name, "level", g->level,
			 "fullname", full);
}

/* GET /api/v1/regions: ?code= one division; ?q= at most 20 whose name contains the text,
 * provinces first, then cities, then counties; neither: the provinces. */
void kc__http_regions(struct kc_http_req *q, struct kc_http_reply *r)
{
	const char *name = kc__http_arg(q, "q"), *code = kc__http_arg(q, "code");
	json_t *items = json_array();
	if (code != NULL) {
		const struct kc_region *g = kc_region_get(kc_region_parse(code, strlen(code)));
		if (g == NULL) {
			json_decref(items);
			kc__http_error(r, 404, "code", "no division with code '%.20s'", code);
			return;
		}
		json_array_append_new(items, region_json(g));
	} else {
		if (name != NULL && *name == '\0')
			name = NULL;
		size_t n = 0, max = name ? 20 : SIZE_MAX;
		const struct kc_region *all = kc_region_all(&n);
		for (int level = 1; level <= (name ? 3 : 1); level++)
			for (size_t i = 0; i < n && json_array_size(items) < max; i++)
				if (all[i].level == level && (name == NULL || strstr(all[i].name, name)))
					json_array_append_new(items, region_json(&all[i]));
	}
	kc__http_json_new(r, json_pack("{s:o}", "items", items));
}

struct export_ctx {
	struct kc_http_req *q;
	const struct kc_entity_def *def;
	struct kc_buf *out;
	int64_t n;
};

static int on_export(void *ud, const json_t *rec)
{
	struct export_ctx *c = ud;
	json_t *v = kc__http_view(c->q, c->def, rec);
	if (v == NULL)
		return 0;
	char *line = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (line == NULL || kc_buf_adds(c->out, line) < 0 || kc_buf_addc(c->out, '\n') < 0) {
		free(line);
		return KC_ENOMEM;
	}
	free(line);
	c->n++;
	return 0;
}

static void export_type(struct kc_http_req *q, struct kc_http_reply *r, const char *type)
{
	struct kc_err err = KC_ERR_INIT;
	const struct kc_entity_def *def = kc_entity_find(type);
	if (def == NULL || strcmp(def->plural, type) != 0) {
		kc__http_error(r, 404, NULL, "no such type '%.60s'", type);
		return;
	}
	struct kc_cond c[2];
	int page_here = 0;
	int n = visibility_conds(q, def, c, 0, 0, &page_here);
	if (n < 0) {
		kc__http_error(r, 401, NULL, "sign in to export %s", def->plural);
		return;
	}
	struct kc_query qq = {.conds = c, .nconds = (size_t)n};
	struct export_ctx ec = {q, def, &r->body, 0};
	kc_buf_reset(&r->body);
	int rc = kc_store_each(q->st, def, &qq, on_export, &ec, &err);
	if (rc < 0) {
		kc__http_fail(r, rc, &err);
		return;
	}
	r->content_type = "application/x-ndjson; charset=utf-8";
}

/* GET /api/v1/chains: the chains with their node, edge and company counts. */
static void chain_list(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *items = NULL;
	int rc = kc_chain_list(q->st, &items, &err);
	if (rc < 0)
		kc__http_fail(r, rc, &err);
	else
		kc__http_json_new(r, json_pack("{s:o, s:I}", "items", items, "total",
					       (json_int_t)json_array_size(items)));
}

/* ---- the router ---- */

static void not_allowed(struct kc_http_reply *r, const char *method, const char *allow)
{
	r->allow = allow;
	kc__http_error(r, 405, NULL, "%s is not allowed here (allowed: %s)", method, allow);
}

static int is(const char *m, const char *want)
{
	return strcmp(m, want) == 0 || (strcmp(want, "GET") == 0 && strcmp(m, "HEAD") == 0);
}

/* ---- fixed routes: a path (a prefix when it ends in '/'), its method, its handler (rest is
 * the path after the prefix) ---- */

typedef void (*route_fn)(struct kc_http_req *q, struct kc_http_reply *r, const char *rest);

static void on_health(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)q;
	(void)rest;
	kc__http_json_new(r, json_pack("{s:s}", "status", "ok"));
}

static void on_stats(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)rest;
	stats(q, r);
}

static void on_openapi(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)q;
	(void)rest;
	kc_buf_reset(&r->body);
	if (kc_buf_add(&r->body, kc__openapi_doc, (size_t)kc__openapi_doc_len) < 0)
		kc__http_error(r, 500, NULL, "out of memory");
}

static void on_regions(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)rest;
	kc__http_regions(q, r);
}

static void on_search(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)rest;
	kc__http_search(q, r);
}

static void on_feedback(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)rest;
	kc__http_feedback(q, r);
}

static void on_check(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	(void)rest;
	check_demand(q, r);
}

static const struct {
	const char *path;
	const char *method; /* NULL: the handler checks; "GET" also answers HEAD */
	route_fn fn;
} fixed[] = {
	{"health", "GET", on_health},
	{"stats", "GET", on_stats},
	{"openapi.json", "GET", on_openapi},
	{"regions", "GET", on_regions},
	{"search", "GET", on_search},
	{"auth/", NULL, kc__http_auth_route},
	{"match/", "GET", kc__http_match_route},
	{"matches/feedback", "POST", on_feedback},
	{"demands/check", "POST", on_check},
	{"export/", "GET", export_type},
};

/* /api/v1/{type}, /api/v1/{type}/{id} and /api/v1/chains/{id}/{analysis}. */
static void route_records(struct kc_http_req *q, struct kc_http_reply *r, const char *p)
{
	const char *m = q->method;
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
	if (def == NULL || strcmp(def->plural, type) != 0) {
		kc__http_error(r, 404, NULL, "no such resource '%s'", type);
		return;
	}
	if (slash == NULL || slash[1] == '\0') {
		if (is(m, "GET") && def->ent == KC_ENT_CHAIN)
			chain_list(q, r);
		else if (is(m, "GET"))
			list(q, r, def);
		else if (is(m, "POST"))
			create(q, r, def);
		else
			not_allowed(r, m, "GET, HEAD, POST");
		return;
	}
	const char *id = slash + 1;
	const char *sub = strchr(id, '/');
	if (sub != NULL) {
		char cid[256];
		size_t il = (size_t)(sub - id);
		if (def->ent != KC_ENT_CHAIN || sub[1] == '\0' || strchr(sub + 1, '/') || il == 0 ||
		    il >= sizeof(cid)) {
			kc__http_error(r, 404, NULL, "no such resource");
			return;
		}
		memcpy(cid, id, il);
		cid[il] = '\0';
		kc__http_chain_route(q, r, cid, sub + 1);
		return;
	}
	if (!def->has_id)
		kc__http_error(r, 404, NULL, "%s have no ids: list them with filters", def->plural);
	else if (is(m, "GET"))
		get(q, r, def, id);
	else if (is(m, "PATCH") || is(m, "PUT"))
		update(q, r, def, id);
	else if (is(m, "DELETE"))
		delete(q, r, def, id);
	else
		not_allowed(r, m, "GET, HEAD, PATCH, DELETE");
}

void kc__http_route(struct kc_http_req *q, struct kc_http_reply *r)
{
	const char *p = q->rest;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		size_t n = strlen(fixed[i].path);
		int prefix = fixed[i].path[n - 1] == '/';
		if (prefix ? strncmp(p, fixed[i].path, n) != 0 : strcmp(p, fixed[i].path) != 0)
			continue;
		if (fixed[i].method && !is(q->method, fixed[i].method))
			not_allowed(r, q->method,
				    strcmp(fixed[i].method, "GET") == 0 ? "GET, HEAD" : fixed[i].method);
		else
			fixed[i].fn(q, r, p + (prefix ? n : strlen(p)));
		return;
	}
	route_records(q, r, p);
}
