/* kechan match: ranking supplies for a demand and demands for a supply (or for free text), with
 * an explanation of every result.
 *
 * Ranking is BM25F over the index's fields: per field f a weight w_f and a length
 * normalization b_f; a document's pseudo frequency of term t is
 *   tf~ = Σ_f w_f · tf_f / (1 − b_f + b_f · len_f / avglen_f)
 * and its score Σ_t q_t · idf(t) · tf~ / (k1 + tf~), idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5))
 * over the documents of the target kind. q_t is the query's weight of the term (a record's
 * title and keywords count twice, its description once, its chain nodes and codes once).
 *
 * A record's query also holds the chain nodes next to its own (one input-of step up or down,
 * weight neighbor_weight), so an achievement on the precursor answers a cathode demand, more
 * weakly than one on the cathode itself.
 *
 * Bonuses multiply the text score: final = bm25f × (1 + Σ bonus), each listed in the
 * explanation: same city +bonus_city, same province +bonus_province (GB/T 2260 prefixes); TRL
 * fit (the supply's TRL ≥ the demand's trl_min) +bonus_trl_fit, one level short 0, two or
 * more short −malus_trl_gap. A supply without a TRL is judged by its stage's typical TRL (lab 3,
 * concept 4, pilot 6, industrial 8), listed as stage_fit / stage_gap.
 *
 * Top-k by block-max MaxScore in batches of documents, over the index's skip blocks
 * (identical to exhaustive scoring, which stays as the reference: opts.exhaustive). Filters
 * (region, TRL, stage, node, date, status, org) come as a kc_docset from kc_index_filter
 * (opts.only); closed records are left out unless opts.include_closed. A proximity pair is bounded only where
 * neither of its terms is known to be absent, so the pruned results stay identical. */
#ifndef KECHAN_MATCH_H
#define KECHAN_MATCH_H

#include <pthread.h>

#include "kechan/assoc.h"
#include "kechan/index.h"
#include "kechan/lsa.h"

struct kc_match_opts {
	enum kc_doc_kind target; /* what to return */
	unsigned k;              /* results wanted (default 10) */
	double k1;               /* default 4 */
	double k3;               /* query-term saturation: a term's weight w in the query counts
				    w(k3+1)/(k3+w), so a word repeated through a long text does not
				    drown the rest; default 3, 0 = linear */
	double idf_power;        /* a term's idf counts as idf^idf_power: above 1, a rare word
				    weighs more against several common ones (default
				    KC_MATCH_IDF_POWER; 1 or 0 = plain BM25) */
	double w[KC_FIELD_COUNT]; /* field weights; all 0 = the defaults below */
	double b[KC_FIELD_COUNT];
	/* who is asking: confidential demands are returned only to their own org and admins,
	 * members-only demands only to signed-in members */
	int viewer_admin;
	int viewer_member;
	const char *viewer_org;
	const char *exclude_id; /* a document of the target kind left out (the query itself) */
	const char *exclude_org; /* documents of this org left out (the querying record's own org:
				    an org is not matched with itself) */
	const struct kc_docset *only; /* when set, only these documents (kc_index_filter) */
	int include_closed; /* 1: also closed supplies and demands (left out by default) */
	/* the query's context for bonuses; kc_match_record fills them from the record */
	const char *region; /* 6-digit code or NULL */
	int trl;            /* the query's TRL (a supply's trl, a demand's trl_min), 0 = none */
	int stage;          /* the query supply's stage when its TRL comes from it */
	int trl_from_stage; /* 1: trl is the typical TRL of stage (the supply gave no TRL) */
	double neighbor_weight; /* default 0.4 */
	int exhaustive;     /* 1: score every document (the reference for the pruned default) */
	double bonus_city, bonus_province, bonus_trl_fit, malus_trl_gap; /* .10 .05 .15 .20 */
	double proximity;   /* weight of closeness (below); default KC_MATCH_PROXIMITY, 0 = off */
	/* query expansion (below): the association table (borrowed; NULL = none), the weight of
	 * the best expansion word, how many words at most */
	double alias_weight;  /* chain node names (below); default KC_MATCH_ALIAS_WEIGHT, 0 = off */
	const struct kc_assoc *assoc;
	double expand_weight; /* default KC_MATCH_EXPAND_WEIGHT */
	unsigned expand_terms; /* default KC_MATCH_EXPAND_TERMS */
	unsigned expand_min;   /* queries of fewer distinct words are not expanded; default
				  KC_MATCH_EXPAND_MIN */
	/* a document's text (title, keywords, description), for the field vectors:
	 * doc_text(doc_ud, doc, &text) sets text (the caller frees it; NULL = none) and returns
	 * 0, or an error code. NULL = no reranking. */
	int (*doc_text)(void *doc_ud, uint32_t doc, char **text);
	void *doc_ud;
	/* field vectors (below): the model (borrowed; NULL = none), its weight, how many first
	 * results are reranked */
	const struct kc_lsa *lsa;
	struct kc_match_vecs *vecs; /* the results' vectors kept between queries (NULL = none) */
	double lsa_weight; /* default KC_MATCH_LSA_WEIGHT */
	unsigned lsa_pool; /* default KC_MATCH_LSA_POOL */
	unsigned lsa_min;  /* queries of fewer distinct words are not reranked; default
			      KC_MATCH_LSA_MIN */
};

/* Field vectors (include/kechan/lsa.h): a long query's (lsa_min distinct words) lsa_pool best
 * results by text score are reranked by adding
 *   field_score = lsa_weight · qmax · max(0, cos(query, result))
 * to their text score, qmax the query's largest possible text score (as for the bands), cos
 * between the field vectors of the query's text and the result's: results of the query's field
 * that share few of its words move up. Results whose words alone make a strong match
 * (KC_BAND_STRONG_MIN) stay ahead of the others. The pool is the exact top of the text ranking,
 * so pruning still returns what exhaustive scoring would. Measured (docs/match.md): field task
 * P@10 +0.031, known-item task MRR −0.005; at 1,000,000 documents a long query's p50 11 → 21 ms. */
/* idf^1.5: a long query text's rare words (the thing asked about) count for more against
 * its common ones (作为, 重要, 组成部分), which a long description shares with many queries.
 * Measured on bench/match_eval with k1 4 and the description's weight 0.8 (docs/match.md). */
#define KC_MATCH_IDF_POWER 1.5

#define KC_MATCH_LSA_WEIGHT 0.15
#define KC_MATCH_LSA_POOL 50
#define KC_MATCH_LSA_MIN 40

/* Expansion: with an association table, each word u not in the query scores
 *   s(u) = Σ_t q_t · npmi(t, u)
 * over the query's words t (kc_assoc); the expand_terms best join the query with weight
 * expand_weight · s(u) / max_u s(u): words associated with much of the query, not with one
 * stray word. Only long queries (expand_min distinct words: a demand's or an achievement's
 * whole text, not a few keywords looking for one record) are expanded. They form no
 * proximity pairs; the explanation names the query word each came
 * from (via). */
/* Aliases: a query word that is a one-word name of a chain node (its name, English name or an
 * alias: kc_index_add_node) brings the node's other names and the node itself (node:ID) with
 * alias_weight times the word's weight: 正极 finds 正极材料 and the records on that node. */
#define KC_MATCH_ALIAS_WEIGHT 0.5

#define KC_MATCH_EXPAND_WEIGHT 0.5
#define KC_MATCH_EXPAND_TERMS 20
#define KC_MATCH_EXPAND_MIN 40

/* Proximity: words next to each other in the query's text (a pair of whole words, within one
 * title, keyword or description) that stand close in a document's text fields add
 *   proximity · min(q_a · idf_a, q_b · idf_b) · acc / (1 + acc),  acc = Σ 1/d²
 * over their occurrences d = 1..5 words apart: a phrase of the query found as a phrase. One
 * adjacent occurrence adds half the weaker term's weight times proximity. */
#define KC_MATCH_PROXIMITY 0.5

/* doc_text from a store (kc_match_opts.doc_ud is a struct kc_match_store_docs): the record's
 * title, keywords and description, read with kc_store_get_fields; a record gone from the store
 * (deleted since the index saw it) has none. lock (may be NULL) is held around each read when
 * threads share the store. */
struct kc_store;
struct kc_match_store_docs {
	struct kc_store *st;
	const struct kc_index *ix;
	pthread_mutex_t *lock;
};
KC_API int kc_match_store_text(void *ud, uint32_t doc, char **text);

/* Field vectors of documents by number, computed on first use and kept, for one index and one
 * model: a document number never changes its text (an update adds a new number), so a vector
 * stays right until the index is replaced (then free this and make a new one). Thread-safe:
 * server threads share one. Memory: dims floats per document seen, in pages of 1,024. */
struct kc_match_vecs;
KC_API int kc_match_vecs_new(struct kc_match_vecs **out, const struct kc_lsa *lsa,
			     struct kc_err *err);
KC_API void kc_match_vecs_free(struct kc_match_vecs *v);

/* A record's text as the field vectors read it: title, keywords and description,
 * one per line. The caller frees it; NULL when out of memory. */
KC_API char *kc_match_record_text(const json_t *rec);

/* Defaults: title 3, keywords 3, codes 1.5, nodes 2, description 1, org 0.5; b 0.75 for text
 * fields, 0 for codes and nodes. */
KC_API void kc_match_opts_default(struct kc_match_opts *o, enum kc_doc_kind target);

/* One term's part of a result's score. term is borrowed from the query. */
struct kc_match_part {
	const char *term;
	double score;                 /* this term's share of the document's score */
	uint16_t tf[KC_FIELD_COUNT];  /* where the term was found */
	const char *via;              /* an expansion word: the query word it is most associated
					 with (borrowed from the query); NULL for the query's own */
};

/* A bonus applied to a result: code ("same_city", "same_province", "trl_fit", "trl_gap"), the
 * factor added to 1, and a short text in Chinese and in English. */
struct kc_match_bonus {
	const char *code;
	double factor;
	char zh[64];
	char en[64];
};

/* Confidence bands by the normalized text score (text_score over the query's largest possible
 * text score, Σ q_t · idf_t over its terms found in the index: 1 would be every term saturated
 * in the best fields). Thresholds calibrated on bench/match_eval (docs/match.md): in the
 * known-item tasks a top hit at or above KC_BAND_STRONG_MIN was the right document in at least
 * 90% of the queries, at or above KC_BAND_POSSIBLE_MIN in at least half. */
enum kc_match_band {
	KC_BAND_WEAK = 0,
	KC_BAND_POSSIBLE = 1,
	KC_BAND_STRONG = 2,
};
#define KC_BAND_STRONG_MIN 0.15
#define KC_BAND_POSSIBLE_MIN 0.05
/* "strong" / "possible" / "weak" and 强 / 中 / 弱 */
KC_API const char *kc_match_band_name(enum kc_match_band b);
KC_API const char *kc_match_band_zh(enum kc_match_band b);

/* A pair of query neighbours found close together in a result: terms borrowed from the query,
 * its part of the score, the closest distance in words (1 = side by side). */
struct kc_match_phrase {
	const char *a, *b;
	double score;
	unsigned dist;
};

struct kc_match_hit {
	uint32_t doc;
	double score; /* text score × (1 + Σ bonus factors) */
	double text_score; /* Σ term parts + phrase_score + field_score */
	double phrase_score;
	double field_sim;   /* cosine of the field vectors (KC_MATCH_LSA_WEIGHT), 0 = none */
	double field_score; /* what it added */
	double norm;  /* (text_score − phrase_score − field_score) / the query's largest possible
			 text score from its terms, in [0, 1) */
	enum kc_match_band band;
	struct kc_match_bonus bonus[4];
	size_t nbonus;
	struct kc_match_part *parts; /* sorted by score, descending */
	size_t nparts;
	struct kc_match_phrase *phrases; /* sorted by score, descending */
	size_t nphrases;
};

/* The result of one query; caller-owned (kc_match_result_free). */
struct kc_match_result {
	struct kc_match_hit *hits;
	size_t n;
	size_t candidates; /* documents scored in full: with opts.exhaustive every document
			      that matched a term; pruned, those whose bounds could still reach
			      the top k (so fewer, and not the same for another k) */
	char **terms;      /* the query terms */
	double *qweight;
	size_t nterms;
};

KC_API void kc_match_result_free(struct kc_match_result *r);

/* Free text → documents of o->target. */
KC_API int kc_match_text(const struct kc_index *ix, const struct kc_text *t, const char *text,
			 const struct kc_match_opts *o, struct kc_match_result *out,
			 struct kc_err *err);
/* A record (supply or demand as the store holds it) → documents of o->target. */
KC_API int kc_match_record(const struct kc_index *ix, const struct kc_text *t, const json_t *rec,
			   const struct kc_match_opts *o, struct kc_match_result *out,
			   struct kc_err *err);

/* Near-duplicates among texts[0..n): pairs (a < b, indexes into texts) whose word-bigram
 * Jaccard similarity is at least threshold (0.7 is a good start: a re-post with a changed
 * figure or sentence). MinHash + banding finds candidates; each pair is verified exactly, so
 * no false pair is reported; a pair can be missed only with the banding's small probability
 * (below 1e-6 at Jaccard 0.7). *out is caller-owned (kc_free). */
struct kc_dupe {
	uint32_t a, b;
	double jaccard;
};
KC_API int kc_match_dupes(const struct kc_text *t, const char *const *texts, size_t n,
			  double threshold, struct kc_dupe **out, size_t *nout, struct kc_err *err);

/* ---- feedback: each side accepts or declines a match, declining with a reason from a fixed
 * list; stored on the match record (demand_verdict / demand_reason, supply_verdict /
 * supply_reason, feedback_note), shown to the other side, counted per record. */

enum kc_match_side {
	KC_SIDE_DEMAND = 1, /* the enterprise that posed the demand */
	KC_SIDE_SUPPLY = 2, /* the owner of the achievement, patent, facility ... */
};

/* The reasons, NULL-terminated: too_early, wrong_field, too_expensive, already_known, capacity,
 * location, ip_unclear, no_response, other. */
KC_API const char *const *kc_match_reasons(void);
/* The Chinese name of a reason (技术尚不成熟 ...), NULL when unknown. */
KC_API const char *kc_match_reason_zh(const char *reason);

struct kc_store;

/* The match record of the pair (demand_id, supply_id): *out a new reference (a copy), or NULL
 * when the pair has none. */
KC_API int kc_match_pair(struct kc_store *st, const char *demand_id, const char *supply_id,
			 json_t **out, struct kc_err *err);

/* Records one side's verdict on the pair (demand_id, supply_id): the pair's match record is
 * updated, or created (id "fb-<demand>-<supply>", stage new) when there is none. accept = 1
 * accepts (the stage moves from new to contacted), accept = 0 declines with reason (required,
 * one of kc_match_reasons(); the stage becomes declined). note may be NULL. The write and its
 * event (actor) are one transaction. *out, when not NULL, receives the match record (a new
 * reference). KC_EINVAL names a bad reason; KC_ENOTFOUND a missing demand or supply. */
KC_API int kc_match_feedback(struct kc_store *st, const char *demand_id, const char *supply_id,
			     enum kc_match_side side, int accept, const char *reason,
			     const char *note, const char *actor, json_t **out,
			     struct kc_err *err);

/* Feedback counts on a record (a demand when side is KC_SIDE_DEMAND, else a supply), over its
 * match records: {"accepted": n, "declined": n, "reasons": {"too_early": n, ...}} counting the
 * verdicts of the other side (what the others said about this record). New reference. */
KC_API int kc_match_feedback_counts(struct kc_store *st, enum kc_match_side side, const char *id,
				    json_t **out, struct kc_err *err);

/* A hit as JSON (new reference): {score, text_score, confidence, band, explanation: [{term,
 * score, found_in: {field: tf}}] (at most max_terms), bonuses: [{code, factor, zh, en}]}. */
KC_API json_t *kc_match_hit_json(const struct kc_match_hit *h, size_t max_terms);
/* A stretch of text to highlight, in Unicode code points (not bytes, not UTF-16 units):
 * characters start to end - 1. */
struct kc_match_span {
	uint32_t start;
	uint32_t end;
};

/* Where s[0..len) (UTF-8) shows any of terms[0..nterms): normalized terms as an explanation or
 * a query lists them (simplified, lower case, English stems). s is analyzed once with t in
 * index mode, as the index reads a record, and every term of s equal to one of terms marks the
 * characters of s it came from: 正極 for 正极, Spodumene for spodumen, ＬｉＦｅＰＯ４ for lifepo4.
 * Code and node terms ("node:li-lfp", "ipc:H01M"), NULL and empty entries are skipped. terms
 * and s are borrowed; run is the calling thread's scratch (its earlier terms are overwritten).
 * On success *spans (OUT, caller-owned: kc_free; NULL when none) holds *nspans (OUT) spans in
 * text order, overlapping ones merged (touching ones are kept apart). Returns 0, or what
 * kc_text_analyze returns (KC_EDATA: s is not UTF-8), or KC_ENOMEM; then *spans is NULL and
 * *nspans 0. Thread-safe with one run per thread. */
KC_API int kc_match_highlight(const struct kc_text *t, struct kc_text_run *run, const char *s,
			      size_t len, const char *const *terms, size_t nterms,
			      struct kc_match_span **spans, size_t *nspans, struct kc_err *err);

/* The verdicts on a match record: {"demand": {verdict, reason}, "supply": {...}} with the
 * sides that gave one, or NULL when none did (or m is NULL). New reference. */
KC_API json_t *kc_match_verdicts(const json_t *m);

/* Field names for explanations: "title", "description", ... and their Chinese names. */
KC_API const char *kc_match_field_name(enum kc_field_id f);
KC_API const char *kc_match_field_zh(enum kc_field_id f);

#endif
