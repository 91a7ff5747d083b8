/* chain: loading a chain from the store into memory, and the graph analyses the rankings share
 * (strong components, depth, downstream reach, PageRank, dominator tree). */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <igraph.h>

#include "kechan/codes.h"
#include "chain_int.h"
#include "banned.h"

/* ---- small helpers ---- */

uint64_t kc__chain_hash(const char *s, size_t len)
{
	return kc_fnv1a(s, len, KC_FNV_OFFSET);
}

void kc__idmap_init(struct kc__idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void kc__idmap_release(struct kc__idmap *m)
{
	kc_free(m->keys);
	kc_free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int idmap_grow(struct kc__idmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	const char **keys = kc_calloc(cap, sizeof(*keys));
	int *vals = kc_calloc(cap, sizeof(*vals));
	if (keys == NULL || vals == NULL) {
		kc_free(keys);
		kc_free(vals);
		return KC_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		size_t j = (size_t)kc__chain_hash(m->keys[i], strlen(m->keys[i])) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	kc_free(m->keys);
	kc_free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int kc__idmap_put(struct kc__idmap *m, const char *key, int val)
{
	if ((m->len + 1) * 2 > m->cap && idmap_grow(m) < 0)
		return KC_ENOMEM;
	size_t j = (size_t)kc__chain_hash(key, strlen(key)) & (m->cap - 1);
	while (m->keys[j]) {
		if (strcmp(m->keys[j], key) == 0)
			return 0;
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->vals[j] = val;
	m->len++;
	return 1;
}

int kc__idmap_get(const struct kc__idmap *m, const char *key)
{
	if (m->cap == 0 || key == NULL)
		return -1;
	size_t j = (size_t)kc__chain_hash(key, strlen(key)) & (m->cap - 1);
	while (m->keys[j]) {
		if (strcmp(m->keys[j], key) == 0)
			return m->vals[j];
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

const char *kc__stage_name(int stage)
{
	return stage == KC__STAGE_UP     ? "upstream"
	       : stage == KC__STAGE_DOWN ? "downstream"
	                                 : "midstream";
}

static int stage_parse(const char *s)
{
	if (s && strcmp(s, "upstream") == 0)
		return KC__STAGE_UP;
	if (s && strcmp(s, "downstream") == 0)
		return KC__STAGE_DOWN;
	return KC__STAGE_MID;
}

static int role_parse(const char *s)
{
	static const char *const names[] = {"producer", "supplier", "research", "user", "service"};
	for (int i = 0; i < 5; i++)
		if (s && strcmp(s, names[i]) == 0)
			return i;
	return KC__ROLE_SERVICE;
}

/* The conversions of a printf format in order ("d.1fs" for "%d (%.1f%%) %s"). */
static void conversions(const char *fmt, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (*++p == '%')
			continue;
		for (; *p && strchr("0123456789.-+ #lhz", *p); p++)
			if (n + 1 < cap)
				out[n++] = *p;
		if (*p == '\0')
			break;
		if (n + 1 < cap)
			out[n++] = *p;
	}
	out[n] = '\0';
}

void kc__reason(json_t *arr, const char *code, const char *zh, const char *en, ...)
{
	char text[512], text_en[512], cz[64], ce[64];
	va_list ap, ap2;
	va_start(ap, en);
	va_copy(ap2, ap);
	vsnprintf(text, sizeof(text), zh, ap);
	conversions(zh, cz, sizeof(cz));
	conversions(en, ce, sizeof(ce));
	assert(strcmp(cz, ce) == 0); /* a wrong English format is a bug: tests run with asserts */
	if (strcmp(cz, ce) == 0)
		vsnprintf(text_en, sizeof(text_en), en, ap2);
	else
		snprintf(text_en, sizeof(text_en), "%s", text);
	va_end(ap2);
	va_end(ap);
	json_array_append_new(arr,
			      json_pack("{s:s,s:s,s:s}", "code", code, "text", text, "en", text_en));
}

const char *kc__region_name(uint32_t code)
{
	const struct kc_region *r = kc_region_get(code);
	return r ? r->name : "?";
}

json_t *kc__region_json(uint32_t code)
{
	char code_s[16], full[256];
	snprintf(code_s, sizeof(code_s), "%06u", (unsigned)code);
	if (kc_region_fullname(code, full, sizeof(full)) == 0)
		snprintf(full, sizeof(full), "?");
	return json_pack("{s:s,s:s,s:s}", "code", code_s, "name", kc__region_name(code), "fullname",
	                 full);
}

json_t *kc__chain_json(const struct kc_chain *c)
{
	return json_pack("{s:s,s:s,s:i}", "id", c->id, "name", c->name, "nodes", c->n);
}

struct kc_chain_opts kc__chain_opts(const struct kc_chain_opts *o)
{
	struct kc_chain_opts r = {0, 0, 0, 0, 0};
	if (o)
		r = *o;
	if (r.thin <= 0)
		r.thin = 2;
	if (r.limit == 0)
		r.limit = 20;
	if (r.far_km <= 0)
		r.far_km = 800;
	if (r.hhi_high <= 0)
		r.hhi_high = 0.5;
	return r;
}

int kc__chain_check_region(uint32_t region, struct kc_err *err)
{
	if (kc_region_get(region) == NULL)
		return kc_err_set(err, KC_EINVAL, "region '%06u' is not in the division table",
		                  (unsigned)region);
	return 0;
}

int kc_chain_region_within(uint32_t code, uint32_t region)
{
	if (code == 0 || region == 0)
		return 0;
	if (region % 10000 == 0)
		return code / 10000 == region / 10000;
	if (region % 100 == 0)
		return code / 100 == region / 100;
	return code == region;
}

static int scored_cmp(const void *a, const void *b)
{
	const struct kc__scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return (x->ix > y->ix) - (x->ix < y->ix);
}

void kc__scored_sort(struct kc__scored *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), scored_cmp);
}

int kc__chain_local(const struct kc_chain *c, int v, uint32_t region)
{
	int n = 0, last = -1;
	for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
		const struct kc__link *l = &c->links[k];
		if (!kc__role_supplies(l->role) || l->org == last)
			continue;
		if (kc_chain_region_within(kc__link_region(c, l), region)) {
			n++;
			last = l->org;
		}
	}
	return n;
}

/* ---- building ---- */

static int link_cmp(const void *a, const void *b)
{
	const struct kc__link *x = a, *y = b;
	if (x->node != y->node)
		return (x->node > y->node) - (x->node < y->node);
	if (x->org != y->org)
		return (x->org > y->org) - (x->org < y->org);
	return (x->role > y->role) - (x->role < y->role);
}

struct pair {
	int a, b;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;
	if (p->a != q->a)
		return (p->a > q->a) - (p->a < q->a);
	return (p->b > q->b) - (p->b < q->b);
}

/* Fills the CSR arrays from edge pairs (sorted, deduplicated, self-loops dropped). */
static int build_csr(struct kc_chain *c, struct pair *e, size_t m, struct kc_err *err)
{
	size_t k = 0;
	if (m > 1)
		qsort(e, m, sizeof(*e), pair_cmp);
	for (size_t i = 0; i < m; i++) {
		if (e[i].a == e[i].b)
			continue;
		if (k > 0 && e[k - 1].a == e[i].a && e[k - 1].b == e[i].b)
			continue;
		e[k++] = e[i];
	}
	c->m = (int)k;
	size_t n = (size_t)c->n;
	c->out_off = kc_calloc(n + 1, sizeof(int));
	c->in_off = kc_calloc(n + 1, sizeof(int));
	c->out_adj = kc_malloc((k ? k : 1) * sizeof(int));
	c->in_adj = kc_malloc((k ? k : 1) * sizeof(int));
	int *fill = kc_calloc(n + 1, sizeof(int));
	if (!c->out_off || !c->in_off || !c->out_adj || !c->in_adj || !fill) {
		kc_free(fill);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < k; i++) {
		c->out_off[e[i].a + 1]++;
		c->in_off[e[i].b + 1]++;
	}
	for (size_t v = 0; v < n; v++) {
		c->out_off[v + 1] += c->out_off[v];
		c->in_off[v + 1] += c->in_off[v];
	}
	for (size_t i = 0; i < k; i++)
		c->out_adj[c->out_off[e[i].a] + fill[e[i].a]++] = e[i].b;
	memset(fill, 0, (n + 1) * sizeof(int));
	for (size_t i = 0; i < k; i++)
		c->in_adj[c->in_off[e[i].b] + fill[e[i].b]++] = e[i].a;
	kc_free(fill);
	return 0;
}

/* Sorts links by node and computes every node's national supply figures. */
static int build_links(struct kc_chain *c, struct kc_err *err)
{
	size_t n = (size_t)c->n;
	if (c->nlinks > 1)
		qsort(c->links, (size_t)c->nlinks, sizeof(*c->links), link_cmp);
	c->link_off = kc_calloc(n + 1, sizeof(int));
	if (c->link_off == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	for (int k = 0; k < c->nlinks; k++)
		c->link_off[c->links[k].node + 1]++;
	for (size_t v = 0; v < n; v++)
		c->link_off[v + 1] += c->link_off[v];
	/* Per node: count supplying orgs per province (provinces are few: a small array). */
	uint32_t prov[64];
	int cnt[64];
	for (int v = 0; v < c->n; v++) {
		struct kc__cnode *nd = &c->nodes[v];
		int np = 0, total = 0, last = -1;
		for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
			const struct kc__link *l = &c->links[k];
			if (!kc__role_supplies(l->role) || l->org == last)
				continue;
			last = l->org;
			uint32_t p = kc_region_province(kc__link_region(c, l));
			int j = 0;
			while (j < np && prov[j] != p)
				j++;
			if (j == np && np < 64) {
				prov[np] = p;
				cnt[np++] = 0;
			}
			if (j < 64)
				cnt[j]++;
			total++;
		}
		nd->nsup = total;
		nd->nprov = np;
		nd->hhi = 0;
		nd->top_prov = 0;
		nd->top_prov_n = 0;
		for (int j = 0; j < np; j++) {
			double s = (double)cnt[j] / (double)total;
			nd->hhi += s * s;
			if (cnt[j] > nd->top_prov_n ||
			    (cnt[j] == nd->top_prov_n && prov[j] < nd->top_prov)) {
				nd->top_prov = prov[j];
				nd->top_prov_n = cnt[j];
			}
		}
	}
	return 0;
}

/* ---- loading ---- */

struct loader {
	struct kc_chain *c;
	struct pair *edges;
	size_t nedges, capedges;
	size_t capnodes, caporgs, caplinks;
	/* org ids wanted by the links (index into c->orgs once loaded). */
	int64_t external;
	int rc;
};

static char *dup_field(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return kc_strdup(s ? s : "");
}

static uint32_t region_field(const json_t *rec, const char *key)
{
	const json_t *j = json_object_get(rec, key);
	if (json_is_string(j))
		return kc_region_parse(json_string_value(j), json_string_length(j));
	if (json_is_integer(j))
		return (uint32_t)json_integer_value(j);
	return 0;
}

static int on_node(void *ud, const json_t *rec)
{
	struct loader *ld = ud;
	struct kc_chain *c = ld->c;
	if ((size_t)c->n == ld->capnodes) {
		size_t cap = ld->capnodes ? ld->capnodes * 2 : 256;
		struct kc__cnode *v = kc_realloc(c->nodes, cap * sizeof(*v));
		if (v == NULL)
			return KC_ENOMEM;
		c->nodes = v;
		ld->capnodes = cap;
	}
	struct kc__cnode *nd = &c->nodes[c->n];
	memset(nd, 0, sizeof(*nd));
	nd->id = dup_field(rec, "id");
	nd->name = dup_field(rec, "name");
	c->n++;
	if (nd->id == NULL || nd->name == NULL)
		return KC_ENOMEM;
	nd->stage = stage_parse(json_string_value(json_object_get(rec, "stage")));
	return kc__idmap_put(&c->node_ix, nd->id, c->n - 1) < 0 ? KC_ENOMEM : 0;
}

static int on_edge(void *ud, const json_t *rec)
{
	struct loader *ld = ud;
	struct kc_chain *c = ld->c;
	int a = kc__idmap_get(&c->node_ix, json_string_value(json_object_get(rec, "from")));
	int b = kc__idmap_get(&c->node_ix, json_string_value(json_object_get(rec, "to")));
	if (a < 0 && b < 0)
		return 0;
	if (a < 0 || b < 0) {
		ld->external++;
		return 0;
	}
	if (ld->nedges == ld->capedges) {
		size_t cap = ld->capedges ? ld->capedges * 2 : 256;
		struct pair *v = kc_realloc(ld->edges, cap * sizeof(*v));
		if (v == NULL)
			return KC_ENOMEM;
		ld->edges = v;
		ld->capedges = cap;
	}
	ld->edges[ld->nedges].a = a;
	ld->edges[ld->nedges].b = b;
	ld->nedges++;
	return 0;
}

/* org_node: org is -1 - (index of a placeholder org) until the orgs are read. */
static int on_link(void *ud, const json_t *rec)
{
	struct loader *ld = ud;
	struct kc_chain *c = ld->c;
	int v = kc__idmap_get(&c->node_ix, json_string_value(json_object_get(rec, "node_id")));
	if (v < 0)
		return 0;
	const char *org = json_string_value(json_object_get(rec, "org_id"));
	if (org == NULL)
		return 0;
	int o = kc__idmap_get(&c->org_ix, org);
	if (o < 0) {
		if ((size_t)c->norgs == ld->caporgs) {
			size_t cap = ld->caporgs ? ld->caporgs * 2 : 256;
			struct kc__corg *p = kc_realloc(c->orgs, cap * sizeof(*p));
			if (p == NULL)
				return KC_ENOMEM;
			c->orgs = p;
			ld->caporgs = cap;
		}
		struct kc__corg *co = &c->orgs[c->norgs];
		memset(co, 0, sizeof(*co));
		co->id = kc_strdup(org);
		co->scale = 0.3;
		o = c->norgs++;
		if (co->id == NULL || kc__idmap_put(&c->org_ix, co->id, o) < 0)
			return KC_ENOMEM;
	}
	if ((size_t)c->nlinks == ld->caplinks) {
		size_t cap = ld->caplinks ? ld->caplinks * 2 : 256;
		struct kc__link *p = kc_realloc(c->links, cap * sizeof(*p));
		if (p == NULL)
			return KC_ENOMEM;
		c->links = p;
		ld->caplinks = cap;
	}
	struct kc__link *l = &c->links[c->nlinks++];
	l->org = o;
	l->node = v;
	l->role = role_parse(json_string_value(json_object_get(rec, "role")));
	l->region = region_field(rec, "region");
	l->inferred = json_is_true(json_object_get(rec, "region_inferred"));
	const json_t *sh = json_object_get(rec, "share");
	l->share = json_is_number(sh) ? json_number_value(sh) : -1;
	return 0;
}

static double scale_value(const char *s)
{
	if (s == NULL)
		return 0.3;
	if (strcmp(s, "large") == 0)
		return 1.0;
	if (strcmp(s, "medium") == 0)
		return 0.6;
	if (strcmp(s, "small") == 0)
		return 0.3;
	if (strcmp(s, "micro") == 0)
		return 0.1;
	return 0.3;
}

static int on_org(void *ud, const json_t *rec)
{
	struct loader *ld = ud;
	struct kc_chain *c = ld->c;
	int o = kc__idmap_get(&c->org_ix, json_string_value(json_object_get(rec, "id")));
	if (o < 0)
		return 0;
	struct kc__corg *co = &c->orgs[o];
	co->name = dup_field(rec, "name");
	co->short_name = dup_field(rec, "short_name");
	if (co->name == NULL || co->short_name == NULL)
		return KC_ENOMEM;
	co->region = region_field(rec, "region");
	co->scale = scale_value(json_string_value(json_object_get(rec, "scale")));
	return 0;
}

static int finish(struct kc_chain *c, struct loader *ld, struct kc_err *err)
{
	int rc = build_csr(c, ld->edges, ld->nedges, err);
	if (rc < 0)
		return rc;
	for (int o = 0; o < c->norgs; o++) {
		if (c->orgs[o].name == NULL) {
			c->orgs[o].name = kc_strdup(c->orgs[o].id);
			c->orgs[o].short_name = kc_strdup("");
			if (c->orgs[o].name == NULL || c->orgs[o].short_name == NULL)
				return kc_err_set(err, KC_ENOMEM, "out of memory");
		}
	}
	c->external_edges = ld->external;
	return build_links(c, err);
}

int kc_chain_load(struct kc_store *st, const char *chain_id, struct kc_chain **out,
                  struct kc_err *err)
{
	struct kc_chain *c = NULL;
	json_t *rec = NULL;
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	int rc;
	*out = NULL;
	rc = kc_store_get(st, kc_entity_def(KC_ENT_CHAIN), chain_id, &rec, err);
	if (rc < 0) {
		if (rc == KC_ENOTFOUND)
			kc_err_set(err, rc, "chain '%s' does not exist (see 'kechan chain list')",
			           chain_id);
		goto cleanup;
	}
	c = kc_calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	kc__idmap_init(&c->node_ix);
	kc__idmap_init(&c->org_ix);
	c->id = dup_field(rec, "id");
	c->name = dup_field(rec, "name");
	if (c->id == NULL || c->name == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	ld.c = c;
	struct kc_query q = {.field = "chain_id", .value = chain_id};
	rc = kc_store_each(st, kc_entity_def(KC_ENT_NODE), &q, on_node, &ld, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_EDGE), NULL, on_edge, &ld, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_ORG_NODE), NULL, on_link, &ld, err);
	if (rc >= 0 && c->norgs > 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_ORG), NULL, on_org, &ld, err);
	if (rc == KC_ENOMEM)
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	if (rc < 0)
		goto cleanup;
	rc = finish(c, &ld, err);
	if (rc < 0)
		goto cleanup;
	*out = c;
	c = NULL;
	rc = 0;
cleanup:
	kc_free(ld.edges);
	kc_chain_free(c);
	json_decref(rec);
	return rc;
}

void kc_chain_free(struct kc_chain *c)
{
	if (c == NULL)
		return;
	for (int v = 0; v < c->n; v++) {
		kc_free(c->nodes[v].id);
		kc_free(c->nodes[v].name);
	}
	for (int o = 0; o < c->norgs; o++) {
		kc_free(c->orgs[o].id);
		kc_free(c->orgs[o].name);
		kc_free(c->orgs[o].short_name);
	}
	kc__idmap_release(&c->node_ix);
	kc__idmap_release(&c->org_ix);
	kc_free(c->nodes);
	kc_free(c->orgs);
	kc_free(c->links);
	kc_free(c->link_off);
	kc_free(c->out_off);
	kc_free(c->out_adj);
	kc_free(c->in_off);
	kc_free(c->in_adj);
	kc_free(c->scc);
	kc_free(c->depth);
	kc_free(c->reach);
	kc_free(c->rank);
	kc_free(c->domsize);
	kc_free(c->idom);
	kc_free(c->id);
	kc_free(c->name);
	kc_free(c);
}

const char *kc_chain_id(const struct kc_chain *c)
{
	return c->id;
}

const char *kc_chain_name(const struct kc_chain *c)
{
	return c->name;
}

size_t kc_chain_node_count(const struct kc_chain *c)
{
	return (size_t)c->n;
}

/* ---- a chain built in memory (tests, benchmarks) ---- */

struct kc_chain *kc__chain_mem_new(const char *id, const char *name, int n, int norgs, int nlinks)
{
	struct kc_chain *c = kc_calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->id = kc_strdup(id);
	c->name = kc_strdup(name);
	c->nodes = kc_calloc((size_t)n + 1, sizeof(*c->nodes));
	c->orgs = kc_calloc((size_t)norgs + 1, sizeof(*c->orgs));
	c->links = kc_calloc((size_t)nlinks + 1, sizeof(*c->links));
	if (!c->id || !c->name || !c->nodes || !c->orgs || !c->links) {
		kc_chain_free(c);
		return NULL;
	}
	c->n = n;
	c->norgs = norgs;
	c->nlinks = nlinks;
	return c;
}

int kc__chain_mem_finish(struct kc_chain *c, const int *from, const int *to, size_t m,
                         struct kc_err *err)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	int rc = 0;
	ld.edges = kc_malloc((m ? m : 1) * sizeof(struct pair));
	if (ld.edges == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	for (size_t i = 0; i < m; i++) {
		ld.edges[i].a = from[i];
		ld.edges[i].b = to[i];
	}
	ld.nedges = m;
	for (int v = 0; v < c->n && rc >= 0; v++)
		if (kc__idmap_put(&c->node_ix, c->nodes[v].id, v) < 0)
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	for (int o = 0; o < c->norgs && rc >= 0; o++)
		if (kc__idmap_put(&c->org_ix, c->orgs[o].id, o) < 0)
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	if (rc >= 0)
		rc = finish(c, &ld, err);
	kc_free(ld.edges);
	return rc;
}

/* ---- kc_chain_list ---- */

struct lister {
	json_t *arr;
	struct kc__idmap ix;  /* chain id → index in arr */
	struct kc__idmap nix; /* node id → chain index */
	char **keys;          /* owned copies of node ids */
	size_t nkeys, capkeys;
	int *node_orgs_last; /* per chain: not needed */
};

static int list_chain(void *ud, const json_t *rec)
{
	struct lister *ls = ud;
	json_t *o = json_pack("{s:O?,s:O?,s:O*,s:i,s:i,s:i}", "id", json_object_get(rec, "id"),
	                      "name", json_object_get(rec, "name"), "name_en",
	                      json_object_get(rec, "name_en"), "nodes", 0, "edges", 0, "links", 0);
	if (o == NULL || json_array_append_new(ls->arr, o) < 0)
		return KC_ENOMEM;
	return 0;
}

static int keep_key(struct lister *ls, const char *s, char **out)
{
	if (ls->nkeys == ls->capkeys) {
		size_t cap = ls->capkeys ? ls->capkeys * 2 : 256;
		char **v = kc_realloc(ls->keys, cap * sizeof(*v));
		if (v == NULL)
			return KC_ENOMEM;
		ls->keys = v;
		ls->capkeys = cap;
	}
	*out = ls->keys[ls->nkeys] = kc_strdup(s);
	if (*out == NULL)
		return KC_ENOMEM;
	ls->nkeys++;
	return 0;
}

static void bump(json_t *arr, int i, const char *key)
{
	json_t *o = json_array_get(arr, (size_t)i);
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + 1));
}

static int list_node(void *ud, const json_t *rec)
{
	struct lister *ls = ud;
	int ci = kc__idmap_get(&ls->ix, json_string_value(json_object_get(rec, "chain_id")));
	if (ci < 0)
		return 0;
	char *k = NULL;
	if (keep_key(ls, json_string_value(json_object_get(rec, "id")), &k) < 0 ||
	    kc__idmap_put(&ls->nix, k, ci) < 0)
		return KC_ENOMEM;
	bump(ls->arr, ci, "nodes");
	return 0;
}

static int list_edge(void *ud, const json_t *rec)
{
	struct lister *ls = ud;
	int a = kc__idmap_get(&ls->nix, json_string_value(json_object_get(rec, "from")));
	int b = kc__idmap_get(&ls->nix, json_string_value(json_object_get(rec, "to")));
	if (a >= 0 && a == b)
		bump(ls->arr, a, "edges");
	return 0;
}

static int list_link(void *ud, const json_t *rec)
{
	struct lister *ls = ud;
	int a = kc__idmap_get(&ls->nix, json_string_value(json_object_get(rec, "node_id")));
	if (a >= 0)
		bump(ls->arr, a, "links");
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "id")),
	              json_string_value(json_object_get(y, "id")));
}

int kc_chain_list(struct kc_store *st, json_t **out, struct kc_err *err)
{
	struct lister ls;
	memset(&ls, 0, sizeof(ls));
	json_t **v = NULL;
	int rc;
	*out = NULL;
	ls.arr = json_array();
	if (ls.arr == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	rc = kc_store_each(st, kc_entity_def(KC_ENT_CHAIN), NULL, list_chain, &ls, err);
	if (rc < 0)
		goto cleanup;
	size_t n = json_array_size(ls.arr);
	for (size_t i = 0; i < n; i++) {
		const char *id =
		    json_string_value(json_object_get(json_array_get(ls.arr, i), "id"));
		if (kc__idmap_put(&ls.ix, id, (int)i) < 0) {
			rc = KC_ENOMEM;
			goto cleanup;
		}
	}
	rc = kc_store_each(st, kc_entity_def(KC_ENT_NODE), NULL, list_node, &ls, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_EDGE), NULL, list_edge, &ls, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_ORG_NODE), NULL, list_link, &ls, err);
	if (rc < 0)
		goto cleanup;
	/* Sort by id: the store gives rowid order. */
	v = kc_calloc(n ? n : 1, sizeof(*v));
	if (v == NULL) {
		rc = KC_ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(ls.arr, i));
	qsort(v, n, sizeof(*v), id_cmp);
	json_array_clear(ls.arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ls.arr, v[i]);
	*out = ls.arr;
	ls.arr = NULL;
	rc = (int)n;
cleanup:
	if (rc == KC_ENOMEM)
		kc_err_set(err, KC_ENOMEM, "out of memory");
	kc_free(v);
	for (size_t i = 0; i < ls.nkeys; i++)
		kc_free(ls.keys[i]);
	kc_free(ls.keys);
	kc__idmap_release(&ls.ix);
	kc__idmap_release(&ls.nix);
	json_decref(ls.arr);
	return rc;
}

/* ---- graph analyses (lazy) ---- */

static int ig_fail(struct kc_err *err, igraph_error_t e, const char *what)
{
	return kc_err_set(err, e == IGRAPH_ENOMEM ? KC_ENOMEM : KC_EINTERNAL, "igraph %s: %s", what,
	                  igraph_strerror(e));
}

/* igraph aborts on errors by default; kechan's library code must not. */
static void ig_quiet(void)
{
	igraph_set_error_handler(igraph_error_handler_ignore);
	igraph_set_warning_handler(igraph_warning_handler_ignore);
}

/* Builds the igraph graph of c's edges, reversed when reverse is set; extra vertices are added
 * after the chain's nodes. */
static igraph_error_t ig_graph(const struct kc_chain *c, int reverse, int extra,
                               const igraph_vector_int_t *extra_edges, igraph_t *g)
{
	igraph_vector_int_t ev;
	igraph_integer_t ne =
	    (igraph_integer_t)c->m * 2 + (extra_edges ? igraph_vector_int_size(extra_edges) : 0);
	igraph_error_t e = igraph_vector_int_init(&ev, ne);
	if (e != IGRAPH_SUCCESS)
		return e;
	igraph_integer_t k = 0;
	for (int v = 0; v < c->n; v++)
		for (int j = c->out_off[v]; j < c->out_off[v + 1]; j++) {
			VECTOR(ev)[k++] = reverse ? c->out_adj[j] : v;
			VECTOR(ev)[k++] = reverse ? v : c->out_adj[j];
		}
	if (extra_edges)
		for (igraph_integer_t i = 0; i < igraph_vector_int_size(extra_edges); i++)
			VECTOR(ev)[k++] = VECTOR(*extra_edges)[i];
	e = igraph_create(g, &ev, (igraph_integer_t)c->n + extra, IGRAPH_DIRECTED);
	igraph_vector_int_destroy(&ev);
	return e;
}

int kc__chain_need_scc(struct kc_chain *c, struct kc_err *err)
{
	if (c->scc)
		return 0;
	ig_quiet();
	size_t n = (size_t)c->n;
	int *scc = kc_malloc((n ? n : 1) * sizeof(int));
	int *depth = kc_calloc(n ? n : 1, sizeof(int));
	int *cdepth = NULL, *indeg = NULL, *queue = NULL, *coff = NULL, *cmem = NULL;
	igraph_t g;
	igraph_vector_int_t memb;
	igraph_integer_t ncomp = 0;
	int rc = 0, have_g = 0, have_m = 0;
	if (scc == NULL || depth == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	igraph_error_t e = ig_graph(c, 0, 0, NULL, &g);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "create");
		goto cleanup;
	}
	have_g = 1;
	e = igraph_vector_int_init(&memb, 0);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "vector");
		goto cleanup;
	}
	have_m = 1;
	e = igraph_connected_components(&g, &memb, NULL, &ncomp, IGRAPH_STRONG);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "strong components");
		goto cleanup;
	}
	for (size_t v = 0; v < n; v++)
		scc[v] = (int)VECTOR(memb)[v];
	/* Longest path over the condensation: Kahn's order on components. */
	size_t nc = (size_t)ncomp;
	cdepth = kc_calloc(nc + 1, sizeof(int));
	indeg = kc_calloc(nc + 1, sizeof(int));
	queue = kc_malloc((nc + 1) * sizeof(int));
	coff = kc_calloc(nc + 2, sizeof(int));
	cmem = kc_malloc((n ? n : 1) * sizeof(int));
	if (!cdepth || !indeg || !queue || !coff || !cmem) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t v = 0; v < n; v++)
		coff[scc[v] + 1]++;
	for (size_t s = 0; s < nc; s++)
		coff[s + 1] += coff[s];
	{
		int *fill = indeg; /* reuse as a cursor, cleared below */
		for (size_t v = 0; v < n; v++)
			cmem[coff[scc[v]] + fill[scc[v]]++] = (int)v;
		memset(indeg, 0, (nc + 1) * sizeof(int));
	}
	for (int v = 0; v < c->n; v++)
		for (int j = c->out_off[v]; j < c->out_off[v + 1]; j++)
			if (scc[c->out_adj[j]] != scc[v])
				indeg[scc[c->out_adj[j]]]++;
	size_t qh = 0, qt = 0;
	for (size_t s = 0; s < nc; s++)
		if (indeg[s] == 0)
			queue[qt++] = (int)s;
	while (qh < qt) {
		int s = queue[qh++];
		for (int k = coff[s]; k < coff[s + 1]; k++) {
			int v = cmem[k];
			for (int j = c->out_off[v]; j < c->out_off[v + 1]; j++) {
				int t = scc[c->out_adj[j]];
				if (t == s)
					continue;
				if (cdepth[t] < cdepth[s] + 1)
					cdepth[t] = cdepth[s] + 1;
				if (--indeg[t] == 0)
					queue[qt++] = t;
			}
		}
	}
	for (size_t v = 0; v < n; v++)
		depth[v] = cdepth[scc[v]];
	c->scc = scc;
	c->depth = depth;
	scc = depth = NULL;
cleanup:
	if (have_m)
		igraph_vector_int_destroy(&memb);
	if (have_g)
		igraph_destroy(&g);
	kc_free(scc);
	kc_free(depth);
	kc_free(cdepth);
	kc_free(indeg);
	kc_free(queue);
	kc_free(coff);
	kc_free(cmem);
	return rc;
}

/* Downstream reach of every node: the nodes reachable along input-of edges, itself excluded.
 * Computed once per strong component (members share it) with a stamped BFS. */
int kc__chain_need_reach(struct kc_chain *c, struct kc_err *err)
{
	if (c->reach)
		return 0;
	int rc = kc__chain_need_scc(c, err);
	if (rc < 0)
		return rc;
	size_t n = (size_t)c->n;
	int *reach = kc_malloc((n ? n : 1) * sizeof(int));
	int *comp_reach = kc_malloc((n ? n : 1) * sizeof(int));
	int *stamp = kc_calloc(n ? n : 1, sizeof(int));
	int *queue = kc_malloc((n ? n : 1) * sizeof(int));
	if (!reach || !comp_reach || !stamp || !queue) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		comp_reach[i] = -1;
	int round = 0;
	for (int v = 0; v < c->n; v++) {
		int s = c->scc[v];
		if (comp_reach[s] >= 0) {
			reach[v] = comp_reach[s];
			continue;
		}
		round++;
		size_t qh = 0, qt = 0;
		queue[qt++] = v;
		stamp[v] = round;
		while (qh < qt) {
			int u = queue[qh++];
			for (int j = c->out_off[u]; j < c->out_off[u + 1]; j++) {
				int w = c->out_adj[j];
				if (stamp[w] != round) {
					stamp[w] = round;
					queue[qt++] = w;
				}
			}
		}
		comp_reach[s] = reach[v] = (int)qt - 1;
	}
	c->reach = reach;
	reach = NULL;
cleanup:
	kc_free(reach);
	kc_free(comp_reach);
	kc_free(stamp);
	kc_free(queue);
	return rc;
}

int kc__chain_need_rank(struct kc_chain *c, struct kc_err *err)
{
	if (c->rank)
		return 0;
	ig_quiet();
	size_t n = (size_t)c->n;
	double *rank = kc_calloc(n ? n : 1, sizeof(double));
	igraph_t g;
	igraph_vector_t pr;
	int rc = 0, have_g = 0, have_v = 0;
	if (rank == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (n == 0)
		goto done;
	igraph_error_t e = ig_graph(c, 1, 0, NULL, &g);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "create");
		goto cleanup;
	}
	have_g = 1;
	e = igraph_vector_init(&pr, 0);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "vector");
		goto cleanup;
	}
	have_v = 1;
	e = igraph_pagerank(&g, IGRAPH_PAGERANK_ALGO_PRPACK, &pr, NULL, igraph_vss_all(), 1, 0.85,
	                    NULL, NULL);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "pagerank");
		goto cleanup;
	}
	double mx = 0;
	for (size_t v = 0; v < n; v++)
		if (VECTOR(pr)[v] > mx)
			mx = VECTOR(pr)[v];
	for (size_t v = 0; v < n; v++)
		rank[v] = mx > 0 ? VECTOR(pr)[v] / mx : 0;
done:
	c->rank = rank;
	rank = NULL;
cleanup:
	if (have_v)
		igraph_vector_destroy(&pr);
	if (have_g)
		igraph_destroy(&g);
	kc_free(rank);
	return rc;
}

/* Dominator tree of the input-of graph rooted at a virtual source linked to one node of every
 * source component (no input from outside it): domsize[v] = how many nodes lose every path
 * from the raw materials when v goes. */
int kc__chain_need_dom(struct kc_chain *c, struct kc_err *err)
{
	if (c->domsize)
		return 0;
	int rc = kc__chain_need_scc(c, err);
	if (rc < 0)
		return rc;
	ig_quiet();
	size_t n = (size_t)c->n;
	int *domsize = kc_calloc(n + 1, sizeof(int));
	int *has_in = kc_calloc(n + 1, sizeof(int)); /* per component: input from outside */
	int *picked = kc_malloc((n + 1) * sizeof(int));
	int *order = kc_malloc((n + 1) * sizeof(int));
	int *coff = kc_calloc(n + 2, sizeof(int));
	int *kids = kc_malloc((n + 1) * sizeof(int));
	int *idom = kc_malloc((n + 1) * sizeof(int));
	igraph_vector_int_t extra, dom;
	igraph_t g;
	int have_e = 0, have_d = 0, have_g = 0;
	if (!domsize || !has_in || !picked || !order || !coff || !kids || !idom) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	igraph_error_t e = igraph_vector_int_init(&extra, 0);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "vector");
		goto cleanup;
	}
	have_e = 1;
	for (int v = 0; v < c->n; v++)
		for (int j = c->in_off[v]; j < c->in_off[v + 1]; j++)
			if (c->scc[c->in_adj[j]] != c->scc[v])
				has_in[c->scc[v]] = 1;
	for (size_t s = 0; s < n; s++)
		picked[s] = 0;
	igraph_integer_t root = (igraph_integer_t)n;
	for (int v = 0; v < c->n; v++) {
		int s = c->scc[v];
		if (has_in[s] || picked[s])
			continue;
		picked[s] = 1;
		if (igraph_vector_int_push_back(&extra, root) != IGRAPH_SUCCESS ||
		    igraph_vector_int_push_back(&extra, v) != IGRAPH_SUCCESS) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	e = ig_graph(c, 0, 1, &extra, &g);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "create");
		goto cleanup;
	}
	have_g = 1;
	e = igraph_vector_int_init(&dom, 0);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "vector");
		goto cleanup;
	}
	have_d = 1;
	e = igraph_dominator_tree(&g, root, &dom, NULL, NULL, IGRAPH_OUT);
	if (e != IGRAPH_SUCCESS) {
		rc = ig_fail(err, e, "dominator tree");
		goto cleanup;
	}
	/* Children lists, a BFS order from the root, then subtree sizes bottom-up. */
	for (size_t v = 0; v < n; v++) {
		igraph_integer_t d = VECTOR(dom)[v];
		if (d >= 0 && d <= root)
			coff[d + 1]++;
	}
	for (size_t v = 0; v <= n; v++)
		coff[v + 1] += coff[v];
	memset(has_in, 0, (n + 1) * sizeof(int));
	for (size_t v = 0; v < n; v++) {
		igraph_integer_t d = VECTOR(dom)[v];
		if (d >= 0 && d <= root)
			kids[coff[d] + has_in[d]++] = (int)v;
	}
	size_t qh = 0, qt = 0;
	order[qt++] = (int)n;
	while (qh < qt) {
		int u = order[qh++];
		for (int k = coff[u]; k < coff[u + 1]; k++)
			order[qt++] = kids[k];
	}
	for (size_t i = qt; i-- > 1;) {
		int u = order[i];
		igraph_integer_t d = VECTOR(dom)[u];
		if (d >= 0 && d < root)
			domsize[d] += domsize[u] + 1;
	}
	for (size_t v = 0; v < n; v++) {
		igraph_integer_t d = VECTOR(dom)[v];
		idom[v] = d >= 0 && d < root ? (int)d : -1;
	}
	c->domsize = domsize;
	c->idom = idom;
	domsize = idom = NULL;
cleanup:
	if (have_d)
		igraph_vector_int_destroy(&dom);
	if (have_g)
		igraph_destroy(&g);
	if (have_e)
		igraph_vector_int_destroy(&extra);
	kc_free(domsize);
	kc_free(has_in);
	kc_free(picked);
	kc_free(order);
	kc_free(coff);
	kc_free(kids);
	kc_free(idom);
	return rc;
}
