/* kechan chain: industrial-chain intelligence over the chain graph held in the store.
 *
 * A chain (产业链) is a directed graph of nodes (products, segments) whose edges say "from is an
 * input of to" (relation input_of, or part_of: from is a component / sub-type of to; both are
 * dependencies). Companies attach to nodes through org_node records with a role and a region.
 * Only the roles producer and supplier count as supply; user counts as local demand.
 *
 * kc_chain_load() reads one chain from the store into memory (nodes, the edges between them,
 * the companies on them); every analysis then works on that snapshot and answers a jansson
 * object whose every ranked item carries "reasons": [{"code": "...", "text": "..."}], the
 * figures that put it there. Rankings are deterministic (ties broken by node or org id).
 *
 * Regions are GB/T 2260 codes: a province (320000) covers its cities and counties, a city
 * (320500) its counties. A company's activity region is org_node.region, else the org's region.
 * Distances are great-circle kilometres between provincial capitals (an approximation: two
 * cities of one province are 0 km apart).
 *
 * Threading: a struct kc_chain is used by one thread at a time (analyses fill lazy caches).
 * Results are new references the caller must json_decref(). All functions return 0 (or a
 * count) on success and a negative KC_E* code on failure, with err (may be NULL) saying why;
 * on failure *out is NULL.
 *
 * The chainkg importer (kc_chain_import_kg) maps the public industrial-chain knowledge graph
 * (../shared/data/chain_kg) onto chains, nodes, edges, orgs and org_nodes; the mapping is
 * described at its declaration and in docs/chain.md. */
#ifndef KECHAN_CHAIN_H
#define KECHAN_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kechan/core.h"
#include "kechan/store.h"

struct kc_chain;

/* Tuning shared by the analyses. Zero-initialised fields take the defaults in brackets. */
struct kc_chain_opts {
	int thin;               /* a node with 1..thin local companies is thin [2] */
	int limit;              /* ranked lists keep at most this many items; < 0 = all [20] */
	double far_km;          /* suppliers farther than this are far away [800] */
	double hhi_high;        /* a provincial HHI (0..1) at or above this is concentrated [0.5] */
	int include_unsupplied; /* gaps/recruit: also nodes no company supplies anywhere [0] */
};

/* Lists the chains in the store: [{"id","name","name_en","nodes","edges","links"}] sorted by
 * id; name_en only when the chain has one, links counts the org_node links of its nodes.
 * *out is a new array. Returns the number of chains. */
KC_API int kc_chain_list(struct kc_store *st, json_t **out, struct kc_err *err);

/* Loads chain chain_id (borrowed) with its nodes, the edges whose two ends are in it, and the
 * org_node links of its nodes with their orgs. On success *out owns a handle for
 * kc_chain_free(). KC_ENOTFOUND when there is no such chain. Edges to nodes of other chains
 * are left out (counted in the panorama as "external_edges"); self-loops are ignored. */
KC_API int kc_chain_load(struct kc_store *st, const char *chain_id, struct kc_chain **out,
                         struct kc_err *err);
/* Frees c (NULL is harmless). */
KC_API void kc_chain_free(struct kc_chain *c);
/* The chain's id and name (borrowed from c) and its number of nodes. */
KC_API const char *kc_chain_id(const struct kc_chain *c);
KC_API const char *kc_chain_name(const struct kc_chain *c);
KC_API size_t kc_chain_node_count(const struct kc_chain *c);

/* Panorama (全景图谱): every node with its stage, depth (longest input path from a source, cycles
 * collapsed), companies nationally and per province; "links" (source/target node ids) and a
 * "sankey" block (nodes + links with integer indexes, value = companies at the source node,
 * at least 1) ready for ECharts. */
KC_API int kc_chain_panorama(struct kc_chain *c, const struct kc_chain_opts *o, json_t **out,
                             struct kc_err *err);

/* Regional coverage: for region, each node's status: "present" (more than thin local
 * companies), "thin" (1..thin), "absent" (none locally, some elsewhere) or "unsupplied" (no
 * company anywhere in the data), with local and national counts; plus a summary.
 * KC_EINVAL when region is not in the division table. */
KC_API int kc_chain_coverage(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                             json_t **out, struct kc_err *err);

/* Gap ranking (补链): absent nodes by score = 0.40 downstream reach share + 0.20 centrality
 * (PageRank on the reversed input-of graph, scaled to the chain's maximum) + 0.25 local
 * demand (local companies at the nodes it is an input of, or local users/demands; 1 when any)
 * + 0.15 national concentration (provincial HHI). */
KC_API int kc_chain_gaps(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                         json_t **out, struct kc_err *err);

/* Weak links (强链): present or thin nodes with 1..thin local companies, a concentrated
 * national supply (HHI >= hhi_high), or inputs that no company in the region's province makes
 * and whose nearest maker is farther than far_km. Score = 0.40 thinness + 0.25 HHI + 0.20 far
 * inputs share + 0.15 downstream reach share. */
KC_API int kc_chain_weak(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                         json_t **out, struct kc_err *err);

/* Bottlenecks (卡脖子 / 风险预警): nodes ranked by how many other nodes lose every input path
 * from the raw materials when they go (dominator tree of the input-of graph rooted at the
 * sources), single-company nodes (one supplier nationally), single-province nodes, and
 * companies whose loss leaves nodes with no supplier, ranked by the downstream nodes affected.
 * region = 0 looks at the whole country; a region code limits the companies and nodes to the
 * region's dependence (nodes present there). */
KC_API int kc_chain_bottlenecks(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                                json_t **out, struct kc_err *err);

/* A disruption: companies (org ids), nodes (node ids) and regions (codes) that drop out.
 * Arrays are borrowed; unknown ids are reported in the result's "unknown", not as errors. */
struct kc_chain_removal {
	const char *const *orgs;
	size_t norgs;
	const char *const *nodes;
	size_t nnodes;
	const uint32_t *regions;
	size_t nregions;
};

/* Disruption simulation: which nodes lose all supply (had a supplier, have none left; removed
 * nodes included), which keep a reduced supply, how many nodes downstream of the lost ones are
 * affected (count and share of the chain), and for each degraded node the remaining suppliers
 * ranked (outside the removed regions first by share, scale, then distance). Removing nothing
 * affects nothing. */
KC_API int kc_chain_simulate(struct kc_chain *c, const struct kc_chain_removal *rm,
                             const struct kc_chain_opts *o, json_t **out, struct kc_err *err);

/* Recruitment targets (精准招商) for region: companies outside it at the region's gaps and weak
 * nodes, ranked by score = sum of the gap/weak scores of the nodes each fills + 0.3 scale
 * (large 1, medium 0.6, small 0.3, micro 0.1, unknown 0.3) + 0.3 nearness (1 - km/3000). */
KC_API int kc_chain_recruit(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                            json_t **out, struct kc_err *err);

/* Innovation linkage: for each weak node and gap of region, the supplies and the demands whose
 * `nodes` contain it (local demands flagged). Reads supplies and demands from st; confidential
 * demands appear without their owner. */
KC_API int kc_chain_linkage(struct kc_store *st, struct kc_chain *c, uint32_t region,
                            const struct kc_chain_opts *o, json_t **out, struct kc_err *err);

/* Region helpers. kc_chain_region_within: whether division code lies in region (a province
 * covers its cities and counties; a city its counties; equal codes match). */
KC_API int kc_chain_region_within(uint32_t code, uint32_t region);
/* Great-circle km between the capitals of the provinces of a and b; -1 when either unknown. */
KC_API double kc_chain_region_km(uint32_t a, uint32_t b);
/* Infers a company's region from its registered full name (邵阳维克液压股份有限公司 → 430500):
 * a province or city name or short form at the start (the longest wins; a city after a
 * province refines it), a county-level name at the start when written in full or at least
 * three characters long, else a division in full-width or ASCII brackets (纽威数控装备（苏州）).
 * Returns the code, or 0 when none is recognised. */
KC_API uint32_t kc_chain_infer_region(const char *fullname);

/* ---- the chainkg importer ---- */

struct kc_chainkg_report {
	int64_t chains, nodes, edges, orgs, org_nodes;
	int64_t companies;           /* rows of company.json */
	int64_t companies_region;    /* companies that got an inferred region */
	int64_t companies_no_region; /* left out: no region recognisable (with their links) */
	int64_t duplicate_codes;     /* company rows whose stock code appeared before */
	int64_t self_loops;          /* relations from a product to itself */
	int64_t duplicate_edges;     /* relations whose node pair was seen before */
	int64_t cross_chain_edges;   /* imported edges whose ends are in different chains */
	int64_t products_unlinked;   /* products linked to no company, even indirectly */
	int64_t links_no_company;    /* company_product rows naming an unknown company */
	int64_t links_duplicate;     /* (company, product) pairs seen before */
	int64_t shares_dropped;      /* rel_weight outside (0, 1]: link kept without a share */
	int64_t bad_lines;           /* lines that are not JSON objects with the expected keys */
	double seconds;
};

/* Imports the industrial-chain knowledge graph in dir (company.json, company_industry.json,
 * industry.json, product.json, company_product.json, product_product.json; JSON Lines) in one
 * transaction: on any error nothing is written. Mapping:
 *  - one chain per Shenwan level-1 industry, id "kg-sw-<code>", name "<industry>产业链";
 *  - each product becomes one node, id "kg-p-<16 hex of FNV-1a 64 of the name>", in the chain
 *    of the level-1 industry most of its makers belong to (ties: lower code); products nobody
 *    makes join the chain of the nearest product they are an input of (then of any linked
 *    product); products linked to no company at all are left out;
 *  - stage: upstream when it has no inputs but feeds others, downstream when it has inputs but
 *    feeds nothing, midstream otherwise (over all relations);
 *  - 上游材料 (to is a raw material of from) → edge to→from input_of; 下游产品 → from→to
 *    input_of; 产品小类 (to is a sub-type of from) → edge to→from part_of; self-loops and
 *    repeated pairs are skipped and counted;
 *  - each company (first row per 6-digit stock code) → org "kg-co-<code>", kind enterprise,
 *    region inferred from its full name (kc_chain_infer_region); companies without one are
 *    left out and counted;
 *  - company_product → org_node role producer, region = the org's, region_inferred true,
 *    share = rel_weight when in (0, 1].
 * opts (may be NULL) gives the actor and progress; rep (may be NULL) receives the counts.
 * Returns 0, KC_ENOTFOUND (a file is missing), KC_EEXIST (already imported), KC_EIO, KC_EDATA
 * (a generated record failed validation: a bug), KC_ENOMEM. */
KC_API int kc_chain_import_kg(struct kc_store *st, const char *dir,
                              const struct kc_import_opts *opts, struct kc_chainkg_report *rep,
                              struct kc_err *err);

#endif
