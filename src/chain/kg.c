/* chain: `kechan import chainkg DIR`, the industrial-chain knowledge graph of ../shared/data/
 * chain_kg mapped onto chains, nodes, edges, orgs and org_nodes (mapping: include/kechan/chain.h
 * and docs/chain.md). One transaction: all or nothing. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kechan/codes.h"
#include "chain_int.h"
#include "banned.h"

enum { REL_INPUT, REL_PART };

struct company {
	char *code;      /* 6-digit stock code (owned: the map keys point at it) */
	char *name;      /* short name */
	char *fullname;  /* registered name */
	char *listing;   /* "300750.SZ，深圳证券交易所，2018-06-11" */
	uint32_t region; /* inferred; 0 = none */
	int industry;    /* Shenwan level-1 prefix (11..77), 0 = unknown */
};

struct plink {
	int company, product;
	double share;
};

struct rel {
	int a, b, kind; /* a is an input (or part) of b */
};

/* A set of 64-bit keys (open addressing; key 0 is stored as a flag). */
struct u64set {
	uint64_t *v;
	size_t cap, len;
	int has_zero;
};

static int u64set_add(struct u64set *s, uint64_t k)
{
	if (k == 0) {
		int was = s->has_zero;
		s->has_zero = 1;
		return !was;
	}
	if ((s->len + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *v = kc_calloc(cap, sizeof(*v));
		if (v == NULL)
			return KC_ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->v[i] == 0)
				continue;
			size_t j = (size_t)(s->v[i] * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
			while (v[j])
				j = (j + 1) & (cap - 1);
			v[j] = s->v[i];
		}
		kc_free(s->v);
		s->v = v;
		s->cap = cap;
	}
	size_t j = (size_t)(k * 0x9E3779B97F4A7C15ULL >> 20) & (s->cap - 1);
	while (s->v[j]) {
		if (s->v[j] == k)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->v[j] = k;
	s->len++;
	return 1;
}

struct kg {
	struct kc_store *st;
	const char *dir;
	const char *actor;
	struct kc_chainkg_report *rep;
	int progress;
	/* industries: level-1 names by prefix */
	char *ind_name[100];
	/* companies */
	struct company *co;
	size_t nco, capco;
	struct kc__idmap co_ix; /* code → index */
	/* products */
	char **prod;
	size_t nprod, capprod;
	struct kc__idmap prod_ix; /* name → index */
	int *chain_of;            /* product → level-1 prefix, 0 = none */
	char **node_id;           /* product → node id, NULL when not imported */
	struct kc__idmap nid_ix;
	/* links and relations */
	struct plink *links;
	size_t nlinks, caplinks;
	struct rel *rels;
	size_t nrels, caprels;
	struct u64set link_set, rel_set;
	struct kc__regnames regnames;
	char diag[512];
};

typedef int (*line_fn)(struct kg *kg, const json_t *rec, struct kc_err *err);

static int read_jsonl(struct kg *kg, const char *name, line_fn fn, struct kc_err *err)
{
	struct kc_buf path = KC_BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	FILE *f = NULL;
	int rc = 0;
	if (kc_buf_addf(&path, "%s/%s", kg->dir, name) < 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	f = fopen(path.ptr, "rb");
	if (f == NULL) {
		rc = kc_err_set(err, errno == ENOENT ? KC_ENOTFOUND : KC_EIO, "%s: %s", path.ptr,
		                strerror(errno));
		goto cleanup;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)got;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		json_t *rec = kc_utf8_valid(line, len) ? json_loadb(line, len, 0, NULL) : NULL;
		if (!json_is_object(rec)) {
			kg->rep->bad_lines++;
			json_decref(rec);
			continue;
		}
		rc = fn(kg, rec, err);
		json_decref(rec);
		if (rc < 0)
			goto cleanup;
	}
	if (ferror(f))
		rc = kc_err_set(err, KC_EIO, "%s: read error", path.ptr);
cleanup:
	if (f)
		fclose(f);
	free(line);
	kc_buf_release(&path);
	return rc;
}

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* The 6-digit code at the start of s ("300750.SZ", "300750"), or 0. */
static int code6(const char *s, char out[8])
{
	if (s == NULL)
		return 0;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (s[6] != '\0' && s[6] != '.')
		return 0;
	memcpy(out, s, 6);
	out[6] = '\0';
	return 1;
}

static int on_industry(struct kg *kg, const json_t *rec, struct kc_err *err)
{
	const char *code = str(rec, "code"), *name = str(rec, "name");
	char c6[8];
	if (!code6(code, c6) || name == NULL) {
		kg->rep->bad_lines++;
		return 0;
	}
	if (strcmp(c6 + 2, "0000") != 0)
		return 0;
	int p = (c6[0] - '0') * 10 + (c6[1] - '0');
	if (kg->ind_name[p] == NULL && (kg->ind_name[p] = kc_strdup(name)) == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	return 0;
}

static int on_company(struct kg *kg, const json_t *rec, struct kc_err *err)
{
	char c6[8];
	const char *name = str(rec, "name"), *full = str(rec, "fullname");
	kg->rep->companies++;
	if (!code6(str(rec, "code"), c6) || (name == NULL && full == NULL)) {
		kg->rep->bad_lines++;
		return 0;
	}
	if (kc__idmap_get(&kg->co_ix, c6) >= 0) {
		kg->rep->duplicate_codes++;
		return 0;
	}
	if (kg->nco == kg->capco) {
		size_t cap = kg->capco ? kg->capco * 2 : 1024;
		struct company *v = kc_realloc(kg->co, cap * sizeof(*v));
		if (v == NULL)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		kg->co = v;
		kg->capco = cap;
	}
	struct company *co = &kg->co[kg->nco];
	memset(co, 0, sizeof(*co));
	co->code = kc_strdup(c6);
	co->name = kc_strdup(name ? name : full);
	co->fullname = kc_strdup(full && *full ? full : name);
	struct kc_buf b = KC_BUF_INIT;
	const char *code = str(rec, "code"), *loc = str(rec, "location"), *t = str(rec, "time");
	kc_buf_addf(&b, "股票代码 %s", code);
	if (loc && strcmp(loc, "-") != 0)
		kc_buf_addf(&b, "，%s", loc);
	if (t && strcmp(t, "-") != 0)
		kc_buf_addf(&b, "，上市 %s", t);
	co->listing = kc_buf_take(&b);
	kg->nco++;
	if (!co->code || !co->name || !co->fullname || !co->listing ||
	    kc__idmap_put(&kg->co_ix, co->code, (int)kg->nco - 1) < 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	co->region = kc__regnames_infer(&kg->regnames, co->fullname);
	if (co->region)
		kg->rep->companies_region++;
	else
		kg->rep->companies_no_region++;
	return 0;
}

static int on_company_industry(struct kg *kg, const json_t *rec, struct kc_err *err)
{
	(void)err;
	char c6[8], i6[8];
	if (!code6(str(rec, "company_code"), c6) || !code6(str(rec, "industry_code"), i6)) {
		kg->rep->bad_lines++;
		return 0;
	}
	int k = kc__idmap_get(&kg->co_ix, c6);
	if (k >= 0 && kg->co[k].industry == 0)
		kg->co[k].industry = (i6[0] - '0') * 10 + (i6[1] - '0');
	return 0;
}

/* The index of product name, added when new. Names are trimmed of surrounding whitespace;
 * returns -1 for an empty name. */
static int product(struct kg *kg, const char *name, struct kc_err *err)
{
	if (name == NULL)
		return -1;
	while (*name == ' ' || *name == '\n' || *name == '\t' || *name == '\r')
		name++;
	size_t len = strlen(name);
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\n' || name[len - 1] == '\t' ||
	                   name[len - 1] == '\r'))
		len--;
	if (len == 0)
		return -1;
	char *copy = kc_strndup(name, len);
	if (copy == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	int ix = kc__idmap_get(&kg->prod_ix, copy);
	if (ix >= 0) {
		kc_free(copy);
		return ix;
	}
	if (kg->nprod == kg->capprod) {
		size_t cap = kg->capprod ? kg->capprod * 2 : 4096;
		char **v = kc_realloc(kg->prod, cap * sizeof(*v));
		if (v == NULL) {
			kc_free(copy);
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		}
		kg->prod = v;
		kg->capprod = cap;
	}
	kg->prod[kg->nprod++] = copy;
	if (kc__idmap_put(&kg->prod_ix, copy, (int)kg->nprod - 1) < 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	return (int)kg->nprod - 1;
}

static int on_product(struct kg *kg, const json_t *rec, struct kc_err *err)
{
	int p = product(kg, str(rec, "name"), err);
	if (p == -1)
		kg->rep->bad_lines++;
	return p < -1 ? p : 0;
}

static int on_company_product(struct kg *kg, const json_t *rec, struct kc_err *err)
{
	char c6[8];
	if (!code6(str(rec, "company_code"), c6)) {
		kg->rep->bad_lines++;
		return 0;
	}
	int k = kc__idmap_get(&kg->co_ix, c6);
	if (k < 0 || kg->co[k].region == 0) {
		kg->rep->links_no_company++;
		return 0;
	}
	int p = product(kg, str(rec, "product_name"), err);
	if (p < -1)
		return p;
	if (p < 0) {
		kg->rep->bad_lines++;
		return 0;
	}
	int added = u64set_add(&kg->link_set, ((uint64_t)(unsigned)k << 32) | (unsigned)p);
	if (added < 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	if (added == 0) {
		kg->rep->links_duplicate++;
		return 0;
	}
	const json_t *w = json_object_get(rec, "rel_weight");
	double share = json_is_number(w) ? json_number_value(w) : -1;
	if (!(share > 0 && share <= 1)) {
		kg->rep->shares_dropped++;
		share = -1;
	}
	if (kg->nlinks == kg->caplinks) {
		size_t cap = kg->caplinks ? kg->caplinks * 2 : 4096;
		struct plink *v = kc_realloc(kg->links, cap * sizeof(*v));
		if (v == NULL)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		kg->links = v;
		kg->caplinks = cap;
	}
	kg->links[kg->nlinks++] = (struct plink){k, p, share};
	return 0;
}

static int on_product_product(struct kg *kg, const json_t *rec, struct kc_err *err)
{
	const char *rel = str(rec, "rel");
	int kind, swap;
	if (rel && strcmp(rel, "上游材料") == 0) {
		kind = REL_INPUT; /* to is a raw material of from */
		swap = 1;
	} else if (rel && strcmp(rel, "下游产品") == 0) {
		kind = REL_INPUT; /* to is downstream of from */
		swap = 0;
	} else if (rel && strcmp(rel, "产品小类") == 0) {
		kind = REL_PART; /* to is a sub-type of from */
		swap = 1;
	} else {
		kg->rep->bad_lines++;
		return 0;
	}
	int f = product(kg, str(rec, "from_entity"), err);
	if (f < -1)
		return f;
	int t = product(kg, str(rec, "to_entity"), err);
	if (t < -1)
		return t;
	if (f < 0 || t < 0) {
		kg->rep->bad_lines++;
		return 0;
	}
	if (f == t) {
		kg->rep->self_loops++;
		return 0;
	}
	int a = swap ? t : f, b = swap ? f : t;
	int added = u64set_add(&kg->rel_set, ((uint64_t)(unsigned)a << 32) | (unsigned)b);
	if (added < 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	if (added == 0) {
		kg->rep->duplicate_edges++;
		return 0;
	}
	if (kg->nrels == kg->caprels) {
		size_t cap = kg->caprels ? kg->caprels * 2 : 4096;
		struct rel *v = kc_realloc(kg->rels, cap * sizeof(*v));
		if (v == NULL)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		kg->rels = v;
		kg->caprels = cap;
	}
	kg->rels[kg->nrels++] = (struct rel){a, b, kind};
	return 0;
}

/* ---- chain assignment ---- */

static int plink_cmp(const void *x, const void *y)
{
	const struct plink *a = x, *b = y;
	if (a->product != b->product)
		return (a->product > b->product) - (a->product < b->product);
	return (a->company > b->company) - (a->company < b->company);
}

/* BFS from the assigned products over the relations (up: from a product to its inputs only;
 * else both ways), assigning the chain of the product each is first reached from. */
static int propagate(struct kg *kg, int both_ways, struct kc_err *err)
{
	size_t n = kg->nprod;
	int *off = kc_calloc(n + 1, sizeof(int));
	int *adj = kc_malloc((2 * kg->nrels + 1) * sizeof(int));
	int *fill = kc_calloc(n + 1, sizeof(int));
	int *queue = kc_malloc((n + 1) * sizeof(int));
	int rc = 0;
	if (!off || !adj || !fill || !queue) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	/* adjacency: from b (the product) to a (its input); both ways adds a → b. */
	for (size_t i = 0; i < kg->nrels; i++) {
		off[kg->rels[i].b + 1]++;
		if (both_ways)
			off[kg->rels[i].a + 1]++;
	}
	for (size_t v = 0; v < n; v++)
		off[v + 1] += off[v];
	for (size_t i = 0; i < kg->nrels; i++) {
		int a = kg->rels[i].a, b = kg->rels[i].b;
		adj[off[b] + fill[b]++] = a;
		if (both_ways)
			adj[off[a] + fill[a]++] = b;
	}
	size_t qh = 0, qt = 0;
	for (size_t v = 0; v < n; v++)
		if (kg->chain_of[v])
			queue[qt++] = (int)v;
	while (qh < qt) {
		int u = queue[qh++];
		for (int j = off[u]; j < off[u + 1]; j++) {
			int w = adj[j];
			if (kg->chain_of[w] == 0) {
				kg->chain_of[w] = kg->chain_of[u];
				queue[qt++] = w;
			}
		}
	}
cleanup:
	kc_free(off);
	kc_free(adj);
	kc_free(fill);
	kc_free(queue);
	return rc;
}

static int assign_chains(struct kg *kg, struct kc_err *err)
{
	kg->chain_of = kc_calloc(kg->nprod + 1, sizeof(int));
	if (kg->chain_of == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	if (kg->nlinks > 1)
		qsort(kg->links, kg->nlinks, sizeof(*kg->links), plink_cmp);
	for (size_t i = 0; i < kg->nlinks;) {
		int votes[100];
		memset(votes, 0, sizeof(votes));
		size_t j = i;
		int p = kg->links[i].product;
		for (; j < kg->nlinks && kg->links[j].product == p; j++) {
			int ind = kg->co[kg->links[j].company].industry;
			if (ind > 0 && ind < 100)
				votes[ind]++;
		}
		int best = 0;
		for (int k = 1; k < 100; k++)
			if (votes[k] > votes[best])
				best = k;
		kg->chain_of[p] = votes[best] > 0 ? best : 0;
		i = j;
	}
	int rc = propagate(kg, 0, err);
	if (rc >= 0)
		rc = propagate(kg, 1, err);
	return rc;
}

/* ---- writing ---- */

static void diag(void *ud, const char *field, const char *msg)
{
	struct kg *kg = ud;
	if (kg->diag[0] == '\0')
		snprintf(kg->diag, sizeof(kg->diag), "%s: %s", field ? field : "(record)", msg);
}

/* Validates and writes rec (consumed). */
static int write_rec(struct kg *kg, enum kc_entity ent, json_t *rec, struct kc_err *err)
{
	const struct kc_entity_def *def = kc_entity_def(ent);
	int rc;
	if (rec == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	kg->diag[0] = '\0';
	int n = kc_record_validate(def, rec, diag, kg);
	if (n < 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	} else if (n > 0) {
		char *txt = json_dumps(rec, JSON_COMPACT);
		rc = kc_err_set(err, KC_EDATA, "chainkg: generated %s %.200s is invalid: %s",
		                def->name, txt ? txt : "?", kg->diag);
		free(txt);
	} else {
		rc = kc_store_put(kg->st, def, rec, KC_PUT_CREATE, kg->actor, "import", err);
		if (rc == KC_EEXIST)
			kc_err_prefix(err, "chainkg: already imported? (use a fresh database)");
	}
	json_decref(rec);
	return rc;
}

/* A name cut to the field limit of 200 characters. */
static json_t *name_json(const char *s)
{
	size_t len = strlen(s);
	return json_stringn(s, kc_utf8_prefix(s, len, KC_LIMIT_NAME));
}

static void progress(struct kg *kg, const char *what, size_t i, size_t n)
{
	if (!kg->progress || (i % 5000 != 0 && i != n))
		return;
	fprintf(stderr, "\r\033[Kchainkg: %s %zu/%zu", what, i, n);
	if (i == n)
		fputc('\n', stderr);
	fflush(stderr);
}

static int write_all(struct kg *kg, struct kc_err *err)
{
	int rc = 0;
	char id[80], code[16];
	/* Chains that get at least one node. */
	int used[100];
	memset(used, 0, sizeof(used));
	for (size_t p = 0; p < kg->nprod; p++)
		if (kg->chain_of[p] > 0 && kg->chain_of[p] < 100)
			used[kg->chain_of[p]] = 1;
	for (int k = 1; k < 100 && rc >= 0; k++) {
		if (!used[k])
			continue;
		snprintf(id, sizeof(id), "kg-sw-%02d0000", k);
		struct kc_buf name = KC_BUF_INIT, desc = KC_BUF_INIT;
		if (kg->ind_name[k])
			kc_buf_addf(&name, "%s产业链", kg->ind_name[k]);
		else
			kc_buf_addf(&name, "申万行业 %02d0000 产业链", k);
		kc_buf_addf(&desc,
		            "申万一级行业 %02d0000 %s 的产品链，导入自产业链知识图谱 (chain_kg)；"
		            "产品按其主营企业所属行业归链",
		            k, kg->ind_name[k] ? kg->ind_name[k] : "");
		rc = write_rec(kg, KC_ENT_CHAIN,
		               json_pack("{s:s,s:s,s:s}", "id", id, "name", kc_buf_cstr(&name),
		                         "description", kc_buf_cstr(&desc)),
		               err);
		kc_buf_release(&name);
		kc_buf_release(&desc);
		kg->rep->chains++;
	}
	if (rc < 0)
		return rc;
	/* Stages over all relations between imported products. */
	int *in = kc_calloc(kg->nprod + 1, sizeof(int)),
	    *out = kc_calloc(kg->nprod + 1, sizeof(int));
	kg->node_id = kc_calloc(kg->nprod + 1, sizeof(char *));
	if (!in || !out || !kg->node_id) {
		kc_free(in);
		kc_free(out);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < kg->nrels; i++) {
		const struct rel *r = &kg->rels[i];
		if (kg->chain_of[r->a] && kg->chain_of[r->b]) {
			out[r->a]++;
			in[r->b]++;
		}
	}
	for (size_t p = 0; p < kg->nprod && rc >= 0; p++) {
		if (kg->chain_of[p] == 0) {
			kg->rep->products_unlinked++;
			continue;
		}
		uint64_t h = kc__chain_hash(kg->prod[p], strlen(kg->prod[p]));
		snprintf(id, sizeof(id), "kg-p-%016" PRIx64, h);
		if (kc__idmap_get(&kg->nid_ix, id) >= 0)
			snprintf(id, sizeof(id), "kg-p-%016" PRIx64 "-%zu", h, p);
		kg->node_id[p] = kc_strdup(id);
		if (kg->node_id[p] == NULL ||
		    kc__idmap_put(&kg->nid_ix, kg->node_id[p], (int)p) < 0) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			break;
		}
		const char *stage = in[p] == 0 && out[p] > 0   ? "upstream"
		                    : in[p] > 0 && out[p] == 0 ? "downstream"
		                                               : "midstream";
		snprintf(code, sizeof(code), "kg-sw-%02d0000", kg->chain_of[p]);
		rc = write_rec(kg, KC_ENT_NODE,
		               json_pack("{s:s,s:s,s:o,s:s}", "id", id, "chain_id", code, "name",
		                         name_json(kg->prod[p]), "stage", stage),
		               err);
		kg->rep->nodes++;
		progress(kg, "nodes", (size_t)kg->rep->nodes, 0);
	}
	kc_free(in);
	kc_free(out);
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < kg->nco && rc >= 0; k++) {
		const struct company *co = &kg->co[k];
		if (co->region == 0)
			continue;
		snprintf(id, sizeof(id), "kg-co-%s", co->code);
		snprintf(code, sizeof(code), "%06u", (unsigned)co->region);
		struct kc_buf desc = KC_BUF_INIT;
		kc_buf_addf(&desc, "%s；地区由注册全称推断", co->listing);
		rc = write_rec(kg, KC_ENT_ORG,
		               json_pack("{s:s,s:o,s:o,s:s,s:s,s:s}", "id", id, "name",
		                         name_json(co->fullname), "short_name", name_json(co->name),
		                         "kind", "enterprise", "region", code, "description",
		                         kc_buf_cstr(&desc)),
		               err);
		kc_buf_release(&desc);
		kg->rep->orgs++;
	}
	for (size_t i = 0; i < kg->nrels && rc >= 0; i++) {
		const struct rel *r = &kg->rels[i];
		if (!kg->node_id[r->a] || !kg->node_id[r->b])
			continue;
		if (kg->chain_of[r->a] != kg->chain_of[r->b])
			kg->rep->cross_chain_edges++;
		rc = write_rec(kg, KC_ENT_EDGE,
		               json_pack("{s:s,s:s,s:s}", "from", kg->node_id[r->a], "to",
		                         kg->node_id[r->b], "relation",
		                         r->kind == REL_PART ? "part_of" : "input_of"),
		               err);
		kg->rep->edges++;
		progress(kg, "edges", (size_t)kg->rep->edges, 0);
	}
	for (size_t i = 0; i < kg->nlinks && rc >= 0; i++) {
		const struct plink *l = &kg->links[i];
		if (!kg->node_id[l->product])
			continue;
		const struct company *co = &kg->co[l->company];
		snprintf(id, sizeof(id), "kg-co-%s", co->code);
		snprintf(code, sizeof(code), "%06u", (unsigned)co->region);
		json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:b}", "org_id", id, "node_id",
		                        kg->node_id[l->product], "role", "producer", "region", code,
		                        "region_inferred", 1);
		if (rec && l->share > 0)
			json_object_set_new(rec, "share", json_real(l->share));
		rc = write_rec(kg, KC_ENT_ORG_NODE, rec, err);
		kg->rep->org_nodes++;
	}
	return rc;
}

static int summary_event(struct kg *kg, struct kc_err *err)
{
	const struct kc_chainkg_report *r = kg->rep;
	json_t *j = json_pack(
	    "{s:s,s:{s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
	    "source", kg->dir, "records", "chain", (json_int_t)r->chains, "node",
	    (json_int_t)r->nodes, "edge", (json_int_t)r->edges, "org", (json_int_t)r->orgs,
	    "org_node", (json_int_t)r->org_nodes, "not_mapped", "companies_no_region",
	    (json_int_t)r->companies_no_region, "duplicate_codes", (json_int_t)r->duplicate_codes,
	    "self_loops", (json_int_t)r->self_loops, "duplicate_edges",
	    (json_int_t)r->duplicate_edges, "products_unlinked", (json_int_t)r->products_unlinked,
	    "links_no_company", (json_int_t)r->links_no_company, "links_duplicate",
	    (json_int_t)r->links_duplicate, "shares_dropped", (json_int_t)r->shares_dropped,
	    "bad_lines", (json_int_t)r->bad_lines, "companies_region",
	    (json_int_t)r->companies_region, "cross_chain_edges", (json_int_t)r->cross_chain_edges);
	char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (txt == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	int rc = kc_store_event(kg->st, kg->actor, NULL, NULL, "import", txt, err);
	free(txt);
	return rc;
}

int kc_chain_import_kg(struct kc_store *st, const char *dir, const struct kc_import_opts *opts,
                       struct kc_chainkg_report *rep, struct kc_err *err)
{
	struct kc_chainkg_report local;
	struct kg kg;
	int rc, in_tx = 0;
	double t0 = kc_now();
	if (rep == NULL)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	memset(&kg, 0, sizeof(kg));
	kg.st = st;
	kg.dir = dir;
	kg.rep = rep;
	kg.actor = opts && opts->actor ? opts->actor : "cli";
	kg.progress = opts && opts->progress && isatty(STDERR_FILENO);
	kc__idmap_init(&kg.co_ix);
	kc__idmap_init(&kg.prod_ix);
	kc__idmap_init(&kg.nid_ix);
	rc = kc__regnames_init(&kg.regnames);
	if (rc < 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	/* Read everything first: a missing file fails before anything is written. */
	if ((rc = read_jsonl(&kg, "industry.json", on_industry, err)) < 0 ||
	    (rc = read_jsonl(&kg, "company.json", on_company, err)) < 0 ||
	    (rc = read_jsonl(&kg, "company_industry.json", on_company_industry, err)) < 0 ||
	    (rc = read_jsonl(&kg, "product.json", on_product, err)) < 0 ||
	    (rc = read_jsonl(&kg, "company_product.json", on_company_product, err)) < 0 ||
	    (rc = read_jsonl(&kg, "product_product.json", on_product_product, err)) < 0)
		goto cleanup;
	rc = assign_chains(&kg, err);
	if (rc < 0)
		goto cleanup;
	rc = kc_store_begin(st, err);
	if (rc < 0)
		goto cleanup;
	in_tx = 1;
	rc = write_all(&kg, err);
	if (rc >= 0)
		rc = summary_event(&kg, err);
	if (rc >= 0)
		rc = kc_store_commit(st, err);
	if (rc < 0)
		goto cleanup;
	in_tx = 0;
	rc = 0;
cleanup:
	if (in_tx)
		kc_store_rollback(st);
	if (rc < 0) {
		/* Nothing was written: the counts of records say so. */
		rep->chains = rep->nodes = rep->edges = rep->orgs = rep->org_nodes = 0;
	}
	rep->seconds = kc_now() - t0;
	for (int k = 0; k < 100; k++)
		kc_free(kg.ind_name[k]);
	for (size_t k = 0; k < kg.nco; k++) {
		kc_free(kg.co[k].code);
		kc_free(kg.co[k].name);
		kc_free(kg.co[k].fullname);
		kc_free(kg.co[k].listing);
	}
	kc_free(kg.co);
	for (size_t p = 0; p < kg.nprod; p++) {
		kc_free(kg.prod[p]);
		if (kg.node_id)
			kc_free(kg.node_id[p]);
	}
	kc_free(kg.prod);
	kc_free(kg.node_id);
	kc_free(kg.chain_of);
	kc_free(kg.links);
	kc_free(kg.rels);
	kc_free(kg.link_set.v);
	kc_free(kg.rel_set.v);
	kc__idmap_release(&kg.co_ix);
	kc__idmap_release(&kg.prod_ix);
	kc__idmap_release(&kg.nid_ix);
	kc__regnames_release(&kg.regnames);
	return rc;
}
