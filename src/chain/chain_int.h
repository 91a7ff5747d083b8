/* chain internals: the in-memory chain graph shared by the analyses. */
#ifndef KC_CHAIN_INT_H
#define KC_CHAIN_INT_H

#include <stdint.h>

#include "kechan/chain.h"
#include "kechan/codes.h"

enum { KC__STAGE_UP, KC__STAGE_MID, KC__STAGE_DOWN };
enum { KC__ROLE_PRODUCER, KC__ROLE_SUPPLIER, KC__ROLE_RESEARCH, KC__ROLE_USER, KC__ROLE_SERVICE };

struct kc__cnode {
	char *id;
	char *name;
	int stage;
	/* National supply, computed at load: supplying links, distinct supplying orgs, provinces
	 * with a supplier, provincial HHI (0..1, 0 when unsupplied), the top province. */
	int nsup;
	int nprov;
	double hhi;
	uint32_t top_prov;
	int top_prov_n;
};

struct kc__corg {
	char *id;
	char *name;
	char *short_name;
	uint32_t region;
	double scale; /* 0.1 .. 1, 0.3 when unknown */
};

struct kc__link {
	int org;
	int node;
	int role;
	uint32_t region;
	int inferred;
	double share; /* < 0: none */
};

/* A string → index map (open addressing over borrowed keys). */
struct kc__idmap {
	const char **keys;
	int *vals;
	size_t cap, len;
};
void kc__idmap_init(struct kc__idmap *m);
void kc__idmap_release(struct kc__idmap *m);
/* Adds key (borrowed: must outlive the map) → val; 1 added, 0 present, KC_ENOMEM. */
int kc__idmap_put(struct kc__idmap *m, const char *key, int val);
/* The value for key, or -1. */
int kc__idmap_get(const struct kc__idmap *m, const char *key);
uint64_t kc__chain_hash(const char *s, size_t len);

struct kc_chain {
	char *id;
	char *name;
	int n;
	struct kc__cnode *nodes;
	struct kc__idmap node_ix;
	/* Dependency edges (input_of and part_of) as CSR both ways: out = products a node is an
	 * input of (downstream), in = its inputs (upstream). */
	int m;
	int *out_off, *out_adj;
	int *in_off, *in_adj;
	int64_t external_edges;
	int norgs;
	struct kc__corg *orgs;
	struct kc__idmap org_ix;
	/* Links sorted by node, then org; link_off[v]..link_off[v+1]. */
	int nlinks;
	struct kc__link *links;
	int *link_off;
	/* Lazy caches (NULL until first needed). */
	int *scc;     /* strong component of each node */
	int *depth;   /* longest input path from a source, over components */
	int *reach;   /* nodes downstream of each node (excluding itself) */
	double *rank; /* PageRank on the reversed graph, scaled so the maximum is 1 */
	int *domsize; /* nodes dominated (excluding itself) in the dominator tree */
	int *idom;    /* immediate dominator, -1 for the (virtual) root's children */
};

/* A chain built in memory (benchmarks, tests): kc__chain_mem_new allocates n nodes, norgs orgs
 * and nlinks links (zeroed); the caller fills nodes[].id/name (kc_strdup), stage, orgs[].id/
 * name/short_name/region/scale and links[], then kc__chain_mem_finish indexes the ids, builds
 * the edges (from[i] is an input of to[i]; copied) and the national figures. */
struct kc_chain *kc__chain_mem_new(const char *id, const char *name, int n, int norgs, int nlinks);
int kc__chain_mem_finish(struct kc_chain *c, const int *from, const int *to, size_t m,
                         struct kc_err *err);

/* Lazy analyses; each returns 0 or a negative code. */
int kc__chain_need_scc(struct kc_chain *c, struct kc_err *err);
int kc__chain_need_reach(struct kc_chain *c, struct kc_err *err);
int kc__chain_need_rank(struct kc_chain *c, struct kc_err *err);
int kc__chain_need_dom(struct kc_chain *c, struct kc_err *err);

/* Is role a supplying role (producer, supplier)? */
static inline int kc__role_supplies(int role)
{
	return role == KC__ROLE_PRODUCER || role == KC__ROLE_SUPPLIER;
}

/* Local supplying orgs of node v in region (distinct orgs). */
int kc__chain_local(const struct kc_chain *c, int v, uint32_t region);
/* The region of a link: its own or its org's. */
static inline uint32_t kc__link_region(const struct kc_chain *c, const struct kc__link *l)
{
	return l->region ? l->region : c->orgs[l->org].region;
}

const char *kc__stage_name(int stage);
/* json helpers: a reason {"code", "text" (zh-CN), "en"} appended to arr; "chain" and "region"
 * blocks. zh and en take the same arguments in the same order: the compiler checks zh against
 * them, kc__reason checks that en asks for the same conversions (else en repeats zh's text). */
void kc__reason(json_t *arr, const char *code, const char *zh, const char *en, ...)
	KC_PRINTF(3, 5);
json_t *kc__chain_json(const struct kc_chain *c);
json_t *kc__region_json(uint32_t code);
const char *kc__region_name(uint32_t code);
/* Options with the defaults filled in. */
struct kc_chain_opts kc__chain_opts(const struct kc_chain_opts *o);
/* Validates a region code for an analysis. */
int kc__chain_check_region(uint32_t region, struct kc_err *err);

/* Sorting of scored items: score descending, then key ascending. */
struct kc__scored {
	double score;
	const char *key;
	int ix;
};
void kc__scored_sort(struct kc__scored *v, size_t n);

/* The gap and weak scores of every node for region (arrays of c->n, < 0 when the node is not a
 * gap / not weak); used by recruit. Caller frees with kc_free. */
int kc__chain_gap_scores(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                         double **gap, double **weak, struct kc_err *err);

/* ---- the division-name table used to infer regions from company names ---- */

/* One name of a division: its full name, or its short form (a prefix of the full name). */
struct kc__regname {
	const char *s; /* borrowed from the static division table */
	size_t len;
	const struct kc_region *r;
	int is_short;
};

/* All names sorted by bytes. Caller-owned struct: init, then release. */
struct kc__regnames {
	struct kc__regname *v;
	size_t n;
};
int kc__regnames_init(struct kc__regnames *t);
void kc__regnames_release(struct kc__regnames *t);
/* The region of a registered company name, or 0 (see kc_chain_infer_region). */
uint32_t kc__regnames_infer(const struct kc__regnames *t, const char *name);

#endif
