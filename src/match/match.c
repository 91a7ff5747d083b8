/* BM25F ranking over the index, exhaustive term-at-a-time scoring, explanations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/match.h"
#include "kechan/store.h"
#include "banned.h"

static const char *const field_names[KC_FIELD_COUNT] = {"title", "description", "keywords",
							"codes", "nodes", "org"};
static const char *const field_zh[KC_FIELD_COUNT] = {"标题", "简介", "关键词",
						     "分类号", "产业链节点", "机构"};

const char *kc_match_field_name(enum kc_field_id f)
{
	return (unsigned)f < KC_FIELD_COUNT ? field_names[f] : "?";
}

const char *kc_match_field_zh(enum kc_field_id f)
{
	return (unsigned)f < KC_FIELD_COUNT ? field_zh[f] : "?";
}

void kc_match_opts_default(struct kc_match_opts *o, enum kc_doc_kind target)
{
	static const double w[KC_FIELD_COUNT] = {3.0, 0.8, 3.0, 1.5, 2.0, 0.5};
	static const double b[KC_FIELD_COUNT] = {0.75, 0.75, 0.75, 0.0, 0.0, 0.75};
	memset(o, 0, sizeof(*o));
	o->target = target;
	o->k = 10;
	o->k1 = 4.0;
	o->k3 = 3.0;
	o->idf_power = KC_MATCH_IDF_POWER;
	memcpy(o->w, w, sizeof(w));
	memcpy(o->b, b, sizeof(b));
	o->neighbor_weight = 0.4;
	o->bonus_city = 0.10;
	o->bonus_province = 0.05;
	o->bonus_trl_fit = 0.15;
	o->malus_trl_gap = 0.20;
	o->proximity = KC_MATCH_PROXIMITY;
	o->alias_weight = KC_MATCH_ALIAS_WEIGHT;
	o->expand_weight = KC_MATCH_EXPAND_WEIGHT;
	o->expand_terms = KC_MATCH_EXPAND_TERMS;
	o->expand_min = KC_MATCH_EXPAND_MIN;
	o->lsa_weight = KC_MATCH_LSA_WEIGHT;
	o->lsa_pool = KC_MATCH_LSA_POOL;
	o->lsa_min = KC_MATCH_LSA_MIN;
}

/* The bonuses of document d for the query's context; returns the sum of factors. */
/* The TRL a stage usually means, for supplies that give a stage and no TRL: lab 3, concept 4,
 * pilot 6, industrial 8. */
static int stage_trl(int stage)
{
	static const int trl[] = {0, 3, 4, 6, 8};
	return stage >= 1 && stage <= KC_STAGE_INDUSTRIAL ? trl[stage] : 0;
}

static const char *stage_zh(int stage)
{
	static const char *const zh[] = {"", "实验室", "概念验证", "中试", "产业化"};
	return stage >= 1 && stage <= KC_STAGE_INDUSTRIAL ? zh[stage] : "";
}

static double bonuses(const struct kc_match_opts *o, const struct kc_doc *d,
		      struct kc_match_hit *hit)
{
	double sum = 0;
	size_t n = 0;
	struct kc_match_bonus *b = hit ? hit->bonus : NULL;
	if (o->region && d->region && strlen(o->region) == 6 && strlen(d->region) == 6) {
		if (strncmp(o->region, d->region, 4) == 0 && strncmp(o->region + 2, "00", 2) != 0) {
			sum += o->bonus_city;
			if (b) {
				b[n] = (struct kc_match_bonus){"same_city", o->bonus_city, {0}, {0}};
				snprintf(b[n].zh, sizeof(b[n].zh), "同城 +%.0f%%", o->bonus_city * 100);
				snprintf(b[n].en, sizeof(b[n].en), "same city +%.0f%%",
					 o->bonus_city * 100);
				n++;
			}
		} else if (strncmp(o->region, d->region, 2) == 0) {
			sum += o->bonus_province;
			if (b) {
				b[n] = (struct kc_match_bonus){"same_province", o->bonus_province, {0},
							       {0}};
				snprintf(b[n].zh, sizeof(b[n].zh), "同省 +%.0f%%",
					 o->bonus_province * 100);
				snprintf(b[n].en, sizeof(b[n].en), "same province +%.0f%%",
					 o->bonus_province * 100);
				n++;
			}
		}
	}
	/* maturity: a supply's TRL, or else the typical TRL of its stage */
	int dtrl = o->trl <= 0 ? 0 : d->trl ? d->trl : stage_trl(d->stage);
	if (o->trl > 0 && dtrl > 0) {
		/* who needs, who has: a demand's trl_min against a supply's trl */
		int by_stage = o->target == KC_DOC_SUPPLY ? !d->trl : o->trl_from_stage;
		int need = o->target == KC_DOC_SUPPLY ? o->trl : dtrl;
		int have = o->target == KC_DOC_SUPPLY ? dtrl : o->trl;
		double f = have >= need ? o->bonus_trl_fit : need - have >= 2 ? -o->malus_trl_gap : 0;
		if (f != 0) {
			sum += f;
			if (b) {
				/* a supply's own TRL, or its stage's: "中试阶段≈TRL 6" */
				int st = o->target == KC_DOC_SUPPLY ? d->stage : o->stage;
				char zh[32] = "TRL", en[40] = "TRL";
				if (by_stage) {
					snprintf(zh, sizeof(zh), "%s阶段≈TRL", stage_zh(st));
					snprintf(en, sizeof(en), "%s stage ~TRL",
						 kc_doc_stage_name(st));
				}
				b[n] = (struct kc_match_bonus){
					by_stage ? (f > 0 ? "stage_fit" : "stage_gap")
						 : (f > 0 ? "trl_fit" : "trl_gap"),
					f, {0}, {0}};
				snprintf(b[n].zh, sizeof(b[n].zh), "%s %d %s 需求 %d %+.0f%%", zh, have,
					 have >= need ? "≥" : "<", need, f * 100);
				snprintf(b[n].en, sizeof(b[n].en), "%s %d %s wanted %d %+.0f%%", en,
					 have, have >= need ? ">=" : "<", need, f * 100);
				n++;
			}
		}
	}
	if (hit)
		hit->nbonus = n;
	return sum;
}

void kc_match_result_free(struct kc_match_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->hits[i].parts);
		free(r->hits[i].phrases);
	}
	free(r->hits);
	for (size_t i = 0; i < r->nterms; i++)
		free(r->terms[i]);
	free(r->terms);
	free(r->qweight);
	memset(r, 0, sizeof(*r));
}

/* ---- query terms with weights */

/* Two terms next to each other in the query's text (indexes into its terms, a < b), and the
 * most their closeness can add to a document's score (set by run_query). */
struct pair {
	size_t a, b;
	double w;
};

#define MAX_PAIRS 512 /* a long description's first pairs are plenty */

struct query {
	char **terms;
	double *w;
	size_t *via; /* an expansion word: the index of the query word it came from; else SIZE_MAX */
	size_t n, cap;
	struct pair *pairs;
	size_t npairs;
};

/* The index of term s in the query, SIZE_MAX when it is not there. */
static size_t q_find(const struct query *q, const char *s, size_t len)
{
	for (size_t i = 0; i < q->n; i++)
		if (strlen(q->terms[i]) == len && memcmp(q->terms[i], s, len) == 0)
			return i;
	return SIZE_MAX;
}

/* Adds weight w to term s (a new term when it is not in the query yet); *at = its index. */
static int q_add_at(struct query *q, const char *s, size_t len, double w, size_t *at)
{
	size_t i = q_find(q, s, len);
	if (i != SIZE_MAX) {
		q->w[i] += w;
		*at = i;
		return 0;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		char **t = realloc(q->terms, cap * sizeof(*t));
		if (t == NULL)
			return KC_ENOMEM;
		q->terms = t;
		double *ww = realloc(q->w, cap * sizeof(*ww));
		if (ww == NULL)
			return KC_ENOMEM;
		q->w = ww;
		size_t *v = realloc(q->via, cap * sizeof(*v));
		if (v == NULL)
			return KC_ENOMEM;
		q->via = v;
		q->cap = cap;
	}
	q->terms[q->n] = strndup(s, len);
	if (q->terms[q->n] == NULL)
		return KC_ENOMEM;
	*at = q->n;
	q->via[q->n] = SIZE_MAX;
	q->w[q->n++] = w;
	return 0;
}

static int q_add(struct query *q, const char *s, size_t len, double w)
{
	size_t at;
	return q_add_at(q, s, len, w, &at);
}

/* Records terms a and b as neighbours in the query's text (once per pair, in either order). */
static int q_pair(struct query *q, size_t a, size_t b)
{
	if (a == b || q->npairs >= MAX_PAIRS)
		return 0;
	if (a > b) {
		size_t t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < q->npairs; i++)
		if (q->pairs[i].a == a && q->pairs[i].b == b)
			return 0;
	if (q->pairs == NULL && (q->pairs = malloc(MAX_PAIRS * sizeof(*q->pairs))) == NULL)
		return KC_ENOMEM;
	q->pairs[q->npairs++] = (struct pair){a, b, 0};
	return 0;
}

static int q_text(struct query *q, const struct kc_text *t, struct kc_text_run *run,
		  const char *s, double w, struct kc_err *err)
{
	const struct kc_term *terms;
	size_t n;
	int rc = kc_text_analyze(t, run, s, strlen(s), KC_TEXT_INDEX, &terms, &n, err);
	if (rc != 0)
		return rc;
	size_t prev = SIZE_MAX; /* the last whole word, for pairs of neighbours */
	for (size_t i = 0; i < n; i++) {
		/* words inside longer words count half: they widen recall without drowning the
		 * whole word */
		int sub = (terms[i].flags & KC_TERM_SUB) != 0;
		size_t at;
		if (q_add_at(q, terms[i].text, terms[i].len, sub ? w * 0.5 : w, &at) != 0 ||
		    (!sub && prev != SIZE_MAX && q_pair(q, prev, at) != 0))
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		if (!sub)
			prev = at;
	}
	return 0;
}

static int q_json_text(struct query *q, const struct kc_text *t, struct kc_text_run *run,
		       const json_t *v, double w, struct kc_err *err)
{
	if (json_is_string(v))
		return q_text(q, t, run, json_string_value(v), w, err);
	if (json_is_array(v)) {
		size_t i;
		const json_t *x;
		json_array_foreach(v, i, x) {
			if (json_is_string(x)) {
				int rc = q_text(q, t, run, json_string_value(x), w, err);
				if (rc != 0)
					return rc;
			}
		}
	}
	return 0;
}

static int q_codes(struct query *q, const json_t *v, const char *prefix, size_t keep, double w)
{
	size_t i;
	const json_t *x;
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, x) {
		char term[128];
		size_t k = json_is_string(x) ? kc_index_code_term(term, sizeof(term), prefix,
								  json_string_value(x), keep)
					     : 0;
		if (k > 0 && q_add(q, term, k, w) != 0)
			return KC_ENOMEM;
	}
	return 0;
}

const char *kc_match_band_name(enum kc_match_band b)
{
	return b == KC_BAND_STRONG ? "strong" : b == KC_BAND_POSSIBLE ? "possible" : "weak";
}

const char *kc_match_band_zh(enum kc_match_band b)
{
	return b == KC_BAND_STRONG ? "强" : b == KC_BAND_POSSIBLE ? "中" : "弱";
}

/* ---- scoring */

static int visible(const struct kc_doc *d, const struct kc_match_opts *o)
{
	if (d->vis == KC_VIS_PUBLIC || o->viewer_admin)
		return 1;
	if (d->vis == KC_VIS_MEMBERS)
		return o->viewer_member || (o->viewer_org && d->org_id &&
					    strcmp(o->viewer_org, d->org_id) == 0);
	return o->viewer_org && d->org_id && strcmp(o->viewer_org, d->org_id) == 0;
}

static int usable(const struct kc_doc *d, uint32_t doc, const struct kc_match_opts *o)
{
	return !d->deleted && d->kind == o->target && visible(d, o) &&
	       (o->only == NULL || kc_docset_contains(o->only, doc)) &&
	       (!d->closed || o->include_closed) &&
	       !(o->exclude_id && strcmp(o->exclude_id, d->id) == 0) &&
	       !(o->exclude_org && d->org_id && strcmp(o->exclude_org, d->org_id) == 0);
}

/* BM25F's settings for one query: field weights, length normalizations, the target kind's
 * average field lengths (read once, not per posting), k1. */
struct bm25f {
	double w[KC_FIELD_COUNT], b[KC_FIELD_COUNT], avg[KC_FIELD_COUNT], k1;
};

static void bm25f_init(struct bm25f *s, const struct kc_index *ix, const struct kc_match_opts *o)
{
	for (int f = 0; f < KC_FIELD_COUNT; f++) {
		s->w[f] = o->w[f];
		s->b[f] = o->b[f];
		s->avg[f] = kc_index_avglen(ix, (int)o->target, (enum kc_field_id)f);
	}
	s->k1 = o->k1;
}

/* usable() from the document's packed record: the document itself is read only when the
 * query needs more (a filter, an exclusion, a demand that is not public). */
static int usable_hot(const struct kc_index *ix, const struct kc_doc_hot *h, uint32_t doc,
		      const struct kc_match_opts *o)
{
	if (h->deleted || h->kind != o->target || (h->closed && !o->include_closed))
		return 0;
	if (o->only == NULL && o->exclude_id == NULL && o->exclude_org == NULL &&
	    (h->vis == KC_VIS_PUBLIC || o->viewer_admin))
		return 1;
	return usable(kc_index_doc(ix, doc), doc, o);
}

/* A term's saturated weight in a document with field lengths lens and frequencies tf (BM25F:
 * tf summed over the weighted, length-normalized fields, then saturated once), for a posting
 * whose fields are known (bit f: tf[f] may be other than 0; the others are not even looked
 * at). Grows with every tf and shrinks with every length, so the largest tfs and shortest
 * lengths of a posting list bound it. */
static double term_weight_in(const struct bm25f *s, const uint16_t *lens, const uint16_t *tf,
			     unsigned fields)
{
	double x = 0;
	for (; fields; fields &= fields - 1) {
		int f = __builtin_ctz(fields);
		if (!tf[f])
			continue;
		double avg = s->avg[f];
		double norm = 1 - s->b[f] + (avg > 0 ? s->b[f] * (double)lens[f] / avg : 0);
		double tn = (double)tf[f] / (norm > 0.05 ? norm : 0.05);
		x += s->w[f] * tn;
	}
	return x / (s->k1 + x);
}

/* term_weight_in() over every field: the same sums in the same order. */
static double term_weight(const struct bm25f *s, const uint16_t *lens, const uint16_t *tf)
{
	return term_weight_in(s, lens, tf, (1u << KC_FIELD_COUNT) - 1);
}

static double idf(const struct kc_index *ix, const struct kc_match_opts *o,
		  const struct kc_postings *pc)
{
	double n = (double)kc_index_docs(ix, (int)o->target);
	double df = (double)pc->df_kind[o->target];
	if (df > n)
		df = n;
	double v = log(1 + (n - df + 0.5) / (df + 0.5));
	return o->idf_power > 0 && o->idf_power != 1 ? pow(v, o->idf_power) : v;
}

/* ---- proximity: neighbours in the query found close together in the document */

#define PROX_WINDOW 5   /* words apart at most */
#define PROX_MAXPOS 512 /* positions read per term and document */
#define PROX_K 1.0      /* saturation: one adjacent occurrence gives half the pair's weight */

/* The closeness of two terms in a document from their positions ([a, ae) and [b, be), as
 * kc_positions_decode reads them): acc = Σ 1/d² over the pairs of occurrences d = 1 ..
 * PROX_WINDOW words apart, saturated as acc / (PROX_K + acc), so in [0, 1). *mind (when not
 * NULL) is the closest distance, 0 when none is within the window. */
static double closeness(const uint8_t *a, const uint8_t *ae, const uint8_t *b,
			const uint8_t *be, unsigned *mind)
{
	uint32_t pa[PROX_MAXPOS], pb[PROX_MAXPOS];
	size_t na = kc_positions_decode(a, ae, pa, PROX_MAXPOS);
	size_t nb = kc_positions_decode(b, be, pb, PROX_MAXPOS);
	double acc = 0;
	unsigned best = 0;
	size_t j = 0;
	for (size_t i = 0; i < na; i++) {
		while (j < nb && pb[j] + PROX_WINDOW < pa[i])
			j++;
		for (size_t k = j; k < nb && pb[k] <= pa[i] + PROX_WINDOW; k++) {
			uint32_t d = pb[k] > pa[i] ? pb[k] - pa[i] : pa[i] - pb[k];
			if (d == 0) /* a word and a word inside it */
				continue;
			acc += 1.0 / ((double)d * (double)d);
			if (best == 0 || d < best)
				best = d;
		}
	}
	if (mind != NULL)
		*mind = best;
	return acc / (PROX_K + acc);
}

struct heap_item {
	double score;
	uint32_t doc;
};

/* min-heap on (score, then larger doc = worse) */
static int worse(const struct heap_item *a, const struct heap_item *b)
{
	return a->score < b->score || (a->score == b->score && a->doc > b->doc);
}

static void sift_down(struct heap_item *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct heap_item t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int by_part(const void *a, const void *b)
{
	const struct kc_match_part *x = a, *y = b;
	return (x->score < y->score) - (x->score > y->score);
}

static int by_phrase(const void *a, const void *b)
{
	const struct kc_match_phrase *x = a, *y = b;
	return (x->score < y->score) - (x->score > y->score);
}

static int by_hit(const void *a, const void *b)
{
	const struct heap_item *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* Pushes (score, doc) into the top-k min-heap. */
static void heap_push(struct heap_item *heap, size_t *hn, unsigned k, double score, uint32_t doc)
{
	struct heap_item it = {score, doc};
	if (*hn < k) {
		size_t i = (*hn)++;
		heap[i] = it;
		while (i > 0 && worse(&heap[i], &heap[(i - 1) / 2])) {
			struct heap_item t = heap[i];
			heap[i] = heap[(i - 1) / 2];
			heap[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	} else if (worse(&heap[0], &it)) {
		heap[0] = it;
		sift_down(heap, *hn, 0);
	}
}

/* Exhaustive term-at-a-time scoring: every document of every query term. */
static int score_exhaustive(const struct kc_index *ix, const struct bm25f *s,
			    const struct query *q, const struct kc_match_opts *o, const double *tidf,
			    struct heap_item *heap, size_t *hn, unsigned k, size_t *candidates)
{
	uint32_t cap = kc_index_capacity(ix);
	double *acc = calloc(cap ? cap : 1, sizeof(double));
	uint8_t *seen = calloc(cap ? cap : 1, 1);
	if (acc == NULL || seen == NULL) {
		free(acc);
		free(seen);
		return KC_ENOMEM;
	}
	for (size_t i = 0; i < q->n; i++) {
		struct kc_postings pc;
		kc_index_postings(ix, q->terms[i], strlen(q->terms[i]), &pc);
		while (kc_postings_next(&pc)) {
			const struct kc_doc *d = kc_index_doc(ix, pc.doc);
			if (d == NULL || !usable(d, pc.doc, o))
				continue;
			acc[pc.doc] += q->w[i] * tidf[i] * term_weight(s, d->len, pc.tf);
			if (!seen[pc.doc]) {
				seen[pc.doc] = 1;
				(*candidates)++;
			}
		}
	}
	/* then each pair of neighbours, in query order (as score_maxscore adds them) */
	for (size_t p = 0; p < q->npairs; p++) {
		const struct pair *pr = &q->pairs[p];
		struct kc_postings pa, pb;
		if (pr->w <= 0)
			continue;
		kc_index_postings(ix, q->terms[pr->a], strlen(q->terms[pr->a]), &pa);
		kc_index_postings(ix, q->terms[pr->b], strlen(q->terms[pr->b]), &pb);
		while (kc_postings_next(&pa)) {
			if (!seen[pa.doc]) /* seen: usable and scored */
				continue;
			if (!kc_postings_seek(&pb, pa.doc))
				break;
			if (pb.doc == pa.doc)
				acc[pa.doc] += pr->w * closeness(pa.pos, pa.pos_end, pb.pos,
								 pb.pos_end, NULL);
		}
	}
	for (uint32_t d = 0; d < cap; d++) {
		if (seen[d])
			heap_push(heap, hn, k, acc[d] * (1 + bonuses(o, kc_index_doc(ix, d), NULL)), d);
	}
	free(acc);
	free(seen);
	return 0;
}

/* The largest sum of bonus factors any document can get. */
static double max_bonus(const struct kc_match_opts *o)
{
	double b = 0;
	if (o->region)
		b += o->bonus_city > o->bonus_province ? o->bonus_city : o->bonus_province;
	if (o->trl > 0 && o->bonus_trl_fit > 0)
		b += o->bonus_trl_fit;
	return b > 0 ? b : 0;
}

/* An upper bound of a term's contribution to a document whose fields hold at most maxtf[f] of
 * it and are at least minlen[f] long: a whole list's statistics or one skip block's. */
static double bound_of(const struct bm25f *s, const uint16_t *minlen, const uint16_t *maxtf, double qw, double tidf)
{
	return qw * tidf * term_weight(s, minlen, maxtf) * (1 + 1e-9) + 1e-12;
}

struct cursor {
	struct kc_postings pc;
	size_t term; /* index into the query */
	double ub;   /* bound over the whole list */
	double pw;   /* the weights of the pairs the term is in */
	int live;
	uint32_t sb; /* the skip block bub bounds (UINT32_MAX: none yet) */
	double bub;
};

#define OCC_MANY 1e300 /* any number of positions */

/* How many positions a posting with these tfs has (one per occurrence in a text field), or
 * OCC_MANY when a tf is saturated (then the positions may be more). */
static double occurrences(const uint16_t *tf)
{
	double n = 0;
	for (int f = 0; f < KC_FIELD_COUNT; f++) {
		if (!(KC_FIELD_TEXT_MASK & (1u << f)))
			continue;
		if (tf[f] == UINT16_MAX)
			return OCC_MANY;
		n += tf[f];
	}
	return n;
}

/* The most a pair of weight w adds to a document where its terms have at most na and nb
 * positions: each of the na · nb pairs of occurrences adds at most 1 to closeness()'s acc. */
static double pair_bound(double w, double na, double nb)
{
	if (na >= OCC_MANY || nb >= OCC_MANY)
		return w * (1 + 1e-9) + 1e-12;
	double a = na * nb;
	return w * (a / (PROX_K + a)) * (1 + 1e-9) + 1e-12;
}

static int by_ub(const void *a, const void *b)
{
	const struct cursor *x = a, *y = b;
	if (x->ub != y->ub)
		return x->ub < y->ub ? -1 : 1;
	return x->term < y->term ? -1 : x->term > y->term;
}

/* The bound of the skip block of c that holds doc, or would hold it; 0 when the list has
 * nothing at or after doc. Moves only the cursor's shallow block index, never the cursor:
 * doc must not go back. */
static double block_bound(const struct bm25f *s, const struct query *q, const double *tidf,
			  struct cursor *c, uint32_t doc)
{
	uint32_t from = c->sb == UINT32_MAX || c->sb < c->pc.bi ? c->pc.bi : c->sb;
	uint32_t j = kc_postings_block_find(&c->pc, from, doc);
	if (j >= c->pc.nblk) {
		c->sb = j;
		c->bub = 0;
	} else if (j != c->sb) {
		c->sb = j;
		c->bub = bound_of(s, c->pc.blk[j].minlen, c->pc.blk[j].maxtf, q->w[c->term],
				  tidf[c->term]);
	}
	return c->bub;
}

/* An essential posting of the batch being scored: its list (an index into the cursors), its
 * tfs and positions, and the next posting of the same document (-1: none). */
struct bpost {
	uint32_t i;
	int32_t next;
	uint16_t tf[KC_FIELD_COUNT];
	uint8_t fields;
	const uint8_t *pos, *pos_end;
};

/* Documents per batch: 8 skip blocks' worth of postings of a list in every document (1,024;
 * their packed records, 16 KB, fit in the first-level cache). Tests that make blocks of a
 * few postings (kc__index_set_block) thus get batches of a few documents. */
#define BATCH_BLOCKS 8

/* A term's state in the document being scored. */
enum { T_UNKNOWN = 0, T_HERE = 1, T_ABSENT = 2 };

/* MaxScore (Turtle & Flood) with block-max bounds, in batches of documents. Terms are sorted
 * by their upper bound; the lowest ones whose bounds together (with the pairs among them)
 * cannot lift a document into the top k, given the current k-th score θ and the largest bonus,
 * are non-essential: a document is only considered when an essential term holds it. The
 * essential lists are read a batch of documents at a time (BATCH_BLOCKS, as Lucene's
 * MaxScoreBulkScorer does): each list in turn, its postings threaded by document, then the
 * batch's documents in order, with no merging heap; the essential terms change only between
 * batches. Then, each cheaper than the next:
 *  - a window up to the end of the essential lists' current skip blocks is skipped whole when
 *    their block bounds cannot reach θ (a batch ends with its window);
 *  - a document is dropped when the essential terms it has (scored exactly from its packed
 *    record), the pairs they could form and the non-essential bounds cannot reach θ;
 *  - the non-essential terms are bounded by their blocks at the document, pairs only counted
 *    while neither term is known to be absent; the non-essential lists are then probed
 *    (skipping blocks), highest bound first, while the document can still make it.
 * A pair of neighbours adds only where both its terms are, at most w · A / (1 + A) with A the
 * product of their numbers of positions (known from the tfs of the postings read; w for a term
 * not read yet): one occurrence each adds at most half the weight. Scores are
 * summed in query-term order, as the exhaustive scorer does, so both give identical results
 * (a property test checks this). */
static int score_maxscore(const struct kc_index *ix, const struct bm25f *s,
			  const struct query *q, const struct kc_match_opts *o, const double *tidf,
			  struct heap_item *heap, size_t *hn, unsigned k, size_t *candidates)
{
	size_t n = q->n, np = q->npairs;
	int rc = 0;
	struct cursor *c = calloc(n ? n : 1, sizeof(*c));
	double *cum = calloc(n + 1, sizeof(double)); /* Σ ub of c[0..i) and their pairs */
	double *contrib = calloc(n ? n : 1, sizeof(double));
	size_t *pos = calloc(n ? n : 1, sizeof(size_t)); /* a term's place in c */
	size_t *adj = calloc(n + 1 + 2 * np, sizeof(size_t)); /* per term, its pairs (CSR) */
	const uint8_t **plo = calloc(n ? n : 1, sizeof(*plo)), **phi = calloc(n ? n : 1,
									       sizeof(*phi));
	uint8_t *state = calloc(n ? n : 1, 1); /* T_* per term for the current document */
	double *cnt = calloc(n ? n : 1, sizeof(double)); /* per term: (the most) positions */
	size_t *at = calloc(n ? n : 1, sizeof(*at)); /* the lists at the candidate */
	uint16_t(*tfs)[KC_FIELD_COUNT] = calloc(n ? n : 1, sizeof(*tfs)); /* their tfs by term */
	uint8_t *fld = calloc(n ? n : 1, 1); /* and their fields */
	/* the batch: its documents [bstart, bstart + span), each one's postings (head, a list
	 * through bp), a bit per document that has any */
	uint32_t width = kc_index_block_size(ix) * BATCH_BLOCKS;
	int32_t *head = malloc(width * sizeof(*head));
	uint64_t *bits = calloc(width / 64 + 1, sizeof(*bits));
	struct bpost *bp = NULL;
	size_t nbp = 0, bpcap = 0;
	if (c == NULL || cum == NULL || contrib == NULL || pos == NULL || adj == NULL ||
	    plo == NULL || phi == NULL || state == NULL || cnt == NULL || at == NULL ||
	    tfs == NULL || fld == NULL || head == NULL || bits == NULL) {
		rc = KC_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		kc_index_postings(ix, q->terms[i], strlen(q->terms[i]), &c[i].pc);
		c[i].term = i;
		c[i].ub = bound_of(s, c[i].pc.minlen, c[i].pc.maxtf, q->w[i], tidf[i]);
		c[i].sb = UINT32_MAX;
		c[i].live = kc_postings_next(&c[i].pc);
	}
	/* the pairs of each term: adj[adj[t] .. adj[t + 1]) are pair indexes */
	size_t *pstart = adj, *plist = adj + n + 1;
	for (size_t p = 0; p < np; p++) {
		pstart[q->pairs[p].a + 1]++;
		pstart[q->pairs[p].b + 1]++;
	}
	for (size_t t = 0; t < n; t++)
		pstart[t + 1] += pstart[t];
	for (size_t t = 0; t < n; t++) /* pos serves as the fill counters for now */
		pos[t] = pstart[t];
	for (size_t p = 0; p < np; p++) {
		plist[pos[q->pairs[p].a]++] = p;
		plist[pos[q->pairs[p].b]++] = p;
	}
	for (size_t p = 0; p < np; p++) {
		double w = q->pairs[p].w * (1 + 1e-9);
		c[q->pairs[p].a].pw += w; /* c is still in term order */
		c[q->pairs[p].b].pw += w;
	}
	qsort(c, n, sizeof(*c), by_ub);
	for (size_t i = 0; i < n; i++)
		pos[c[i].term] = i;
	/* cum[i + 1]: a document holding none of c[i + 1..n) scores at most this */
	for (size_t i = 0; i < n; i++) {
		cum[i + 1] = cum[i] + c[i].ub;
		size_t t = c[i].term;
		for (size_t e = pstart[t]; e < pstart[t + 1]; e++) {
			const struct pair *pr = &q->pairs[plist[e]];
			size_t other = pr->a == t ? pr->b : pr->a;
			if (pos[other] < i) /* both in c[0..i] now */
				cum[i + 1] += pair_bound(pr->w, OCC_MANY, OCC_MANY);
		}
	}
	double bmax = (1 + max_bonus(o)) * (1 + 1e-9);
	const struct kc_doc_hot *hot = kc_index_hot(ix);
	uint32_t ndocs = kc_index_capacity(ix);
	size_t first_ess = 0; /* c[first_ess..n) are essential */
	uint32_t win_end = 0; /* documents up to here passed the window test */
	int in_win = 0, dirty = 0;
	size_t nat;
	for (size_t w = 0; w < width; w++)
		head[w] = -1;
	uint32_t bstart = 0, span = 0, bw = 0; /* bw: the bit word to look at next */
	for (;;) {
		double theta = *hn < k ? -1 : heap[0].score;
		/* the next document of the batch */
		uint32_t slot = UINT32_MAX;
		while (bw * 64 < span) {
			if (bits[bw]) {
				slot = bw * 64 + (uint32_t)__builtin_ctzll(bits[bw]);
				bits[bw] &= bits[bw] - 1;
				break;
			}
			bw++;
		}
		if (slot == UINT32_MAX) {
			/* the batch is done: the next one. The essential terms change only between
			 * batches (a batch holds their postings), with θ as it is now. */
			while (first_ess < n && cum[first_ess + 1] * bmax < theta) {
				first_ess++;
				in_win = 0;
			}
			if (first_ess == n)
				break;
			/* it starts at the smallest current document of the essential lists */
			uint32_t doc = UINT32_MAX;
			int any = 0;
			for (size_t i = first_ess; i < n; i++)
				if (c[i].live && c[i].pc.doc <= doc) {
					doc = c[i].pc.doc;
					any = 1;
				}
			if (!any)
				break;
			if (theta > 0 && (!in_win || doc > win_end)) {
				/* the window [doc, end]: every essential list's current block reaches end */
				uint32_t end = UINT32_MAX;
				for (size_t i = first_ess; i < n; i++)
					if (c[i].live && c[i].pc.blk[c[i].pc.bi].last < end)
						end = c[i].pc.blk[c[i].pc.bi].last;
				double wb = cum[first_ess];
				for (size_t i = first_ess; i < n; i++)
					if (c[i].live && c[i].pc.doc <= end)
						wb += block_bound(s, q, tidf, &c[i], c[i].pc.doc) + c[i].pw;
				if (wb * bmax < theta) { /* nothing in the window can enter */
					for (size_t i = first_ess; i < n; i++)
						if (c[i].live && c[i].pc.doc <= end)
							c[i].live = kc_postings_seek(&c[i].pc, end + 1);
					continue;
				}
				in_win = 1;
				win_end = end;
			}
			/* the batch [doc, last]: within the window when there is one. Each essential
			 * list is read through it in turn, its postings threaded by document, instead of
			 * the lists being merged posting by posting. */
			uint32_t last = doc <= UINT32_MAX - (width - 1) ? doc + (width - 1) : UINT32_MAX;
			if (in_win && win_end < last)
				last = win_end;
			bstart = doc;
			span = last - doc + 1;
			bw = 0;
			nbp = 0;
			for (size_t i = first_ess; i < n; i++) {
				while (c[i].live && c[i].pc.doc <= last) {
					if (nbp == bpcap) {
						size_t cap = bpcap ? bpcap * 2 : 256;
						struct bpost *v = realloc(bp, cap * sizeof(*v));
						if (v == NULL) {
							rc = KC_ENOMEM;
							goto out;
						}
						bp = v;
						bpcap = cap;
					}
					/* the document's packed record, read when it is scored */
					if (c[i].pc.doc < ndocs)
						__builtin_prefetch(&hot[c[i].pc.doc]);
					uint32_t sl = c[i].pc.doc - doc;
					struct bpost *e = &bp[nbp];
					e->i = (uint32_t)i;
					e->next = head[sl];
					memcpy(e->tf, c[i].pc.tf, sizeof(e->tf));
					e->fields = c[i].pc.fields;
					e->pos = c[i].pc.pos;
					e->pos_end = c[i].pc.pos_end;
					head[sl] = (int32_t)nbp++;
					bits[sl / 64] |= 1ull << (sl % 64);
					c[i].live = kc_postings_next(&c[i].pc);
				}
			}
			continue;
		}
		uint32_t doc = bstart + slot;
		if (dirty) { /* the last document set every term's state */
			memset(state, T_UNKNOWN, n);
			dirty = 0;
		}
		/* the essential lists at doc */
		nat = 0;
		double ebp = 0;
		for (int32_t e = head[slot]; e >= 0; e = bp[e].next) {
			size_t i = bp[e].i, t = c[i].term;
			at[nat++] = i;
			state[t] = T_HERE;
			memcpy(tfs[t], bp[e].tf, sizeof(tfs[t]));
			plo[t] = bp[e].pos;
			phi[t] = bp[e].pos_end;
			fld[t] = bp[e].fields;
			/* positions matter for pairs only */
			cnt[t] = pstart[t] < pstart[t + 1] ? occurrences(tfs[t]) : 0;
		}
		head[slot] = -1;
		/* the pairs they could form */
		for (size_t j = 0; j < nat; j++) {
			size_t t = c[at[j]].term;
			for (size_t e = pstart[t]; e < pstart[t + 1]; e++) {
				const struct pair *pr = &q->pairs[plist[e]];
				size_t other = pr->a == t ? pr->b : pr->a;
				if (pos[other] < first_ess) /* not read yet */
					ebp += pair_bound(pr->w, cnt[t], OCC_MANY);
				else if (state[other] == T_HERE && t < other)
					ebp += pair_bound(pr->w, cnt[t], cnt[other]);
			}
		}
		/* the document's packed record (prefetched), then the essential terms' exact
		 * scores, with the non-essential terms' bounds and the pairs (cum[first_ess]) and
		 * those the essential ones could form (ebp): a bound of doc's score. Its
		 * essential postings' tfs with their blocks' shortest fields gave a looser one
		 * that four documents in five passed; it cost as much as the exact scores. */
		const struct kc_doc_hot *h = doc < ndocs ? &hot[doc] : NULL;
		int use = h != NULL && usable_hot(ix, h, doc, o);
		double bound = 0;
		if (use) {
			for (size_t j = 0; j < nat; j++) {
				size_t t = c[at[j]].term;
				contrib[t] = q->w[t] * tidf[t] * term_weight_in(s, h->len, tfs[t], fld[t]);
				bound += contrib[t];
			}
			bound += cum[first_ess] + ebp;
			use = bound * bmax >= theta;
		}
		if (!use) {
			for (size_t j = 0; j < nat; j++)
				state[c[at[j]].term] = T_UNKNOWN;
			continue;
		}
		/* from here an essential term that is not T_HERE is absent from doc, a
		 * non-essential one T_UNKNOWN until its list is probed (with any number of
		 * positions: cnt is read only for a term T_HERE) */
		dirty = 1;
		/* then each, highest bound first, while doc can still make it: the bound of the
		 * block that would hold doc, then its posting (through the skips) */
		int pruned = 0;
		for (size_t i = first_ess; i-- > 0;) {
			if (bound * bmax < theta) {
				pruned = 1;
				break;
			}
			size_t t = c[i].term;
			double cur = c[i].ub;
			if (c[i].live && c[i].pc.doc < doc) {
				double bb = block_bound(s, q, tidf, &c[i], doc);
				bound += bb - cur;
				cur = bb;
				if (bound * bmax < theta) {
					pruned = 1;
					break;
				}
				c[i].live = kc_postings_seek(&c[i].pc, doc);
			}
			int here = c[i].live && c[i].pc.doc == doc;
			double now = here && pstart[t] < pstart[t + 1] ? occurrences(c[i].pc.tf) : 0;
			/* its pairs: from "any number of positions" to the document's (or none) */
			for (size_t e = pstart[t]; e < pstart[t + 1]; e++) {
				const struct pair *pr = &q->pairs[plist[e]];
				size_t other = pr->a == t ? pr->b : pr->a;
				if (state[other] == T_ABSENT ||
				    (state[other] == T_UNKNOWN && pos[other] >= first_ess))
					continue;
				double co = state[other] == T_HERE ? cnt[other] : OCC_MANY;
				bound -= pair_bound(pr->w, OCC_MANY, co);
				if (here)
					bound += pair_bound(pr->w, now, co);
			}
			cnt[t] = now;
			if (here) {
				state[t] = T_HERE;
				contrib[t] = q->w[t] * tidf[t] *
					     term_weight_in(s, h->len, c[i].pc.tf, c[i].pc.fields);
				bound += contrib[t] - cur;
				plo[t] = c[i].pc.pos;
				phi[t] = c[i].pc.pos_end;
			} else {
				state[t] = T_ABSENT;
				bound -= cur;
			}
		}
		if (pruned)
			continue;
		(*candidates)++;
		double score = 0, pairs = 0;
		for (size_t t = 0; t < n; t++)
			if (state[t] == T_HERE)
				score += contrib[t];
		for (size_t p = 0; p < np; p++) {
			const struct pair *pr = &q->pairs[p];
			if (pr->w > 0 && state[pr->a] == T_HERE && state[pr->b] == T_HERE)
				pairs += pair_bound(pr->w, cnt[pr->a], cnt[pr->b]);
		}
		double f = 1 + bonuses(o, kc_index_doc(ix, doc), NULL); /* reads it only for a
									     region or a TRL */
		/* the positions are read only when the pairs could lift the document into the
		 * top k (each pair adds less than its weight, and less the fewer positions its
		 * terms have) */
		if ((score + pairs) * f * (1 + 1e-9) < theta)
			continue;
		for (size_t p = 0; p < np && pairs > 0; p++) {
			const struct pair *pr = &q->pairs[p];
			if (pr->w > 0 && state[pr->a] == T_HERE && state[pr->b] == T_HERE)
				score += pr->w * closeness(plo[pr->a], phi[pr->a], plo[pr->b],
							   phi[pr->b], NULL);
		}
		heap_push(heap, hn, k, score * f, doc);
	}
out:
	free(c);
	free(cum);
	free(contrib);
	free(pos);
	free(adj);
	free(plo);
	free(phi);
	free(state);
	free(cnt);
	free(at);
	free(tfs);
	free(fld);
	free(head);
	free(bits);
	free(bp);
	return rc;
}

#define VEC_PAGE 1024

struct kc_match_vecs {
	const struct kc_lsa *lsa;
	unsigned dims;
	pthread_mutex_t mu;
	float **pages;    /* VEC_PAGE vectors each, allocated on first use */
	uint8_t **have;   /* per page: which are there (0 = not yet, 1 = there, 2 = no text) */
	size_t npages;
};

int kc_match_vecs_new(struct kc_match_vecs **out, const struct kc_lsa *lsa, struct kc_err *err)
{
	struct kc_match_vecs *v = calloc(1, sizeof(*v));
	*out = NULL;
	if (v == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	v->lsa = lsa;
	v->dims = kc_lsa_dims(lsa);
	pthread_mutex_init(&v->mu, NULL);
	*out = v;
	return 0;
}

void kc_match_vecs_free(struct kc_match_vecs *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->npages; i++) {
		free(v->pages[i]);
		free(v->have[i]);
	}
	free(v->pages);
	free(v->have);
	pthread_mutex_destroy(&v->mu);
	free(v);
}

/* Copies doc's vector into out: 1 when there, 2 when the document has no text, 0 when not
 * kept yet. */
static int vecs_get(struct kc_match_vecs *v, uint32_t doc, float *out)
{
	size_t pg = doc / VEC_PAGE, i = doc % VEC_PAGE;
	int st = 0;
	pthread_mutex_lock(&v->mu);
	if (pg < v->npages && v->have[pg] != NULL && (st = v->have[pg][i]) == 1)
		memcpy(out, v->pages[pg] + i * v->dims, v->dims * sizeof(*out));
	pthread_mutex_unlock(&v->mu);
	return st;
}

/* Keeps doc's vector (vec NULL: it has no text). Out of memory only means not kept. */
static void vecs_put(struct kc_match_vecs *v, uint32_t doc, const float *vec)
{
	size_t pg = doc / VEC_PAGE, i = doc % VEC_PAGE;
	pthread_mutex_lock(&v->mu);
	if (pg >= v->npages) {
		size_t n = pg + 1;
		float **p = realloc(v->pages, n * sizeof(*p));
		if (p == NULL)
			goto out;
		v->pages = p;
		uint8_t **h = realloc(v->have, n * sizeof(*h));
		if (h == NULL)
			goto out;
		v->have = h;
		for (size_t k = v->npages; k < n; k++) {
			v->pages[k] = NULL;
			v->have[k] = NULL;
		}
		v->npages = n;
	}
	if (v->pages[pg] == NULL) {
		v->pages[pg] = malloc((size_t)VEC_PAGE * (v->dims ? v->dims : 1) * sizeof(float));
		v->have[pg] = calloc(VEC_PAGE, 1);
		if (v->pages[pg] == NULL || v->have[pg] == NULL) {
			free(v->pages[pg]);
			free(v->have[pg]);
			v->pages[pg] = NULL;
			v->have[pg] = NULL;
			goto out;
		}
	}
	if (v->have[pg][i] == 0) {
		if (vec != NULL)
			memcpy(v->pages[pg] + i * v->dims, vec, v->dims * sizeof(*vec));
		v->have[pg][i] = vec != NULL ? 1 : 2;
	}
out:
	pthread_mutex_unlock(&v->mu);
}

/* A result of the pool reranked by field vectors: the heap item, its cosine and what it added. */
struct ritem {
	struct heap_item h;
	double sim, fs;
	double f;   /* 1 + its bonuses: the factor its text score is multiplied by */
	int strong; /* a strong match by its words: stays ahead of the reranked */
};

static int by_ritem(const void *a, const void *b)
{
	const struct ritem *x = a, *y = b;
	if (x->strong != y->strong)
		return y->strong - x->strong;
	return by_hit(&x->h, &y->h);
}

/* Reranks the pool heap[0..hn) (sorted by by_hit) by field vectors (KC_MATCH_LSA_WEIGHT in
 * match.h) and keeps the k best in heap, their cosines and field scores in r[0..k). */
static int rerank(const struct kc_index *ix, const struct kc_text *t, const struct kc_match_opts *o,
		  const float *qvec, double qmax, struct heap_item *heap, size_t *hn, unsigned k,
		  struct ritem *r, struct kc_err *err)
{
	unsigned d = kc_lsa_dims(o->lsa);
	float *v = malloc((d ? d : 1) * sizeof(*v));
	struct kc_text_run *run = kc_text_run_new();
	char *text = NULL;
	int rc = 0;
	if (v == NULL || run == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t h = 0; h < *hn; h++) {
		double f = 1 + bonuses(o, kc_index_doc(ix, heap[h].doc), NULL);
		r[h] = (struct ritem){heap[h], 0, 0, f,
				      heap[h].score / f >= KC_BAND_STRONG_MIN * qmax};
	}
	/* a cache of another model would give vectors of another space */
	struct kc_match_vecs *vc = o->vecs != NULL && o->vecs->lsa == o->lsa ? o->vecs : NULL;
	for (size_t h = 0; h < *hn; h++) {
		int have = vc != NULL ? vecs_get(vc, heap[h].doc, v) : 0;
		if (have == 2)
			continue;
		if (have == 0) {
			if ((rc = o->doc_text(o->doc_ud, heap[h].doc, &text)) != 0) {
				rc = kc_err_set(err, rc,
						"field vectors: the text of a result could not be read");
				goto out;
			}
			if (text != NULL)
				rc = kc_lsa_vector(o->lsa, t, run, text, strlen(text), v, NULL, err);
			if (rc != 0)
				goto out;
			if (vc != NULL)
				vecs_put(vc, heap[h].doc, text != NULL ? v : NULL);
			if (text == NULL)
				continue;
			free(text);
			text = NULL;
		}
		double c = kc_lsa_dot(qvec, v, d);
		if (c <= 0)
			continue;
		r[h].sim = c;
		r[h].fs = o->lsa_weight * qmax * c;
		r[h].h.score += r[h].fs * r[h].f;
	}
	qsort(r, *hn, sizeof(*r), by_ritem);
	if (*hn > k)
		*hn = k;
	for (size_t h = 0; h < *hn; h++)
		heap[h] = r[h].h;
out:
	free(v);
	free(text);
	kc_text_run_free(run);
	return rc;
}

static int run_query(const struct kc_index *ix, struct query *q, const struct kc_match_opts *o,
		     const struct kc_text *t, const float *qvec, struct kc_match_result *out,
		     struct kc_err *err)
{
	struct ritem *ri = NULL;
	double *tidf = calloc(q->n ? q->n : 1, sizeof(double));
	double qmax = 0;
	struct heap_item *order = NULL;
	const uint8_t **plo = NULL, **phi = NULL;
	unsigned k = o->k ? o->k : 10;
	unsigned want = qvec != NULL && o->lsa_pool > k ? o->lsa_pool : k; /* the pool to rerank */
	struct heap_item *heap = malloc((size_t)want * sizeof(*heap));
	size_t hn = 0;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (tidf == NULL || heap == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < q->n; i++) {
		struct kc_postings pc;
		kc_index_postings(ix, q->terms[i], strlen(q->terms[i]), &pc);
		tidf[i] = pc.df > 0 ? idf(ix, o, &pc) : 0; /* 0: a pair with it never fires */
		if (o->k3 > 0)
			q->w[i] = q->w[i] * (o->k3 + 1) / (o->k3 + q->w[i]);
		qmax += q->w[i] * tidf[i];
	}
	/* a pair of neighbours weighs as much as its weaker term, times the proximity weight */
	for (size_t p = 0; p < q->npairs; p++) {
		struct pair *pr = &q->pairs[p];
		double wa = q->w[pr->a] * tidf[pr->a], wb = q->w[pr->b] * tidf[pr->b];
		pr->w = o->proximity > 0 ? o->proximity * (wa < wb ? wa : wb) : 0;
	}
	struct bm25f s;
	bm25f_init(&s, ix, o);
	rc = o->exhaustive ? score_exhaustive(ix, &s, q, o, tidf, heap, &hn, want, &out->candidates)
			   : score_maxscore(ix, &s, q, o, tidf, heap, &hn, want, &out->candidates);
	if (rc != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	qsort(heap, hn, sizeof(*heap), by_hit);
	if (qvec != NULL && hn > 0) {
		if ((ri = malloc(hn * sizeof(*ri))) == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = rerank(ix, t, o, qvec, qmax, heap, &hn, k, ri, err)) != 0)
			goto out;
	}
	out->hits = calloc(hn ? hn : 1, sizeof(*out->hits));
	if (out->hits == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	out->n = hn;
	for (size_t h = 0; h < hn; h++) {
		out->hits[h].doc = heap[h].doc;
		out->hits[h].score = heap[h].score;
		double f = bonuses(o, kc_index_doc(ix, heap[h].doc), &out->hits[h]);
		out->hits[h].text_score = heap[h].score / (1 + f);
		if (ri != NULL) {
			out->hits[h].field_sim = ri[h].sim;
			out->hits[h].field_score = ri[h].fs;
		}
		out->hits[h].parts = calloc(q->n ? q->n : 1, sizeof(struct kc_match_part));
		if (out->hits[h].parts == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* explanations: each query term's share in each hit, found by seeking to the hits in
	 * document order (not by reading whole lists) */
	order = malloc((hn ? hn : 1) * sizeof(*order));
	plo = calloc(hn * q->n + 1, sizeof(*plo)); /* per hit and term: its positions */
	phi = calloc(hn * q->n + 1, sizeof(*phi));
	if (order == NULL || plo == NULL || phi == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t h = 0; h < hn; h++)
		order[h] = (struct heap_item){0, (uint32_t)h};
	for (size_t h = 1; h < hn; h++) /* insertion sort by document: k is small */
		for (size_t j = h; j > 0 && out->hits[order[j - 1].doc].doc >
						out->hits[order[j].doc].doc; j--) {
			struct heap_item tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	for (size_t i = 0; i < q->n && hn > 0; i++) {
		struct kc_postings pc;
		kc_index_postings(ix, q->terms[i], strlen(q->terms[i]), &pc);
		for (size_t j = 0; j < hn; j++) {
			struct kc_match_hit *hit = &out->hits[order[j].doc];
			if (!kc_postings_seek(&pc, hit->doc))
				break;
			if (pc.doc != hit->doc)
				continue;
			const struct kc_doc *d = kc_index_doc(ix, pc.doc);
			struct kc_match_part *p = &hit->parts[hit->nparts++];
			p->term = q->terms[i];
			p->via = q->via[i] != SIZE_MAX ? q->terms[q->via[i]] : NULL;
			p->score = q->w[i] * tidf[i] * term_weight(&s, d->len, pc.tf);
			memcpy(p->tf, pc.tf, sizeof(p->tf));
			plo[order[j].doc * q->n + i] = pc.pos;
			phi[order[j].doc * q->n + i] = pc.pos_end;
		}
	}
	for (size_t h = 0; h < hn; h++) {
		struct kc_match_hit *hit = &out->hits[h];
		const uint8_t **lo = plo + h * q->n, **hi = phi + h * q->n;
		for (size_t p = 0; p < q->npairs; p++) {
			const struct pair *pr = &q->pairs[p];
			unsigned dist = 0;
			double c = pr->w > 0 && lo[pr->a] && lo[pr->b]
					   ? closeness(lo[pr->a], hi[pr->a], lo[pr->b], hi[pr->b], &dist)
					   : 0;
			if (c <= 0)
				continue;
			if (hit->phrases == NULL &&
			    (hit->phrases = calloc(q->npairs, sizeof(*hit->phrases))) == NULL) {
				rc = kc_err_set(err, KC_ENOMEM, "out of memory");
				goto out;
			}
			hit->phrases[hit->nphrases++] = (struct kc_match_phrase){
				q->terms[pr->a], q->terms[pr->b], pr->w * c, dist};
			hit->phrase_score += pr->w * c;
		}
		if (hit->nphrases > 1)
			qsort(hit->phrases, hit->nphrases, sizeof(*hit->phrases), by_phrase);
		/* the bands judge the terms alone: closeness is extra evidence on top */
		double terms_only = hit->text_score - hit->phrase_score - hit->field_score;
		hit->norm = qmax > 0 ? (terms_only > 0 ? terms_only : 0) / qmax : 0;
		hit->band = hit->norm >= KC_BAND_STRONG_MIN	? KC_BAND_STRONG
			    : hit->norm >= KC_BAND_POSSIBLE_MIN ? KC_BAND_POSSIBLE
								 : KC_BAND_WEAK;
	}
	for (size_t h = 0; h < hn; h++)
		qsort(out->hits[h].parts, out->hits[h].nparts, sizeof(struct kc_match_part),
		      by_part);
	/* the result owns the query terms the parts point at */
	out->terms = q->terms;
	out->qweight = q->w;
	out->nterms = q->n;
	q->terms = NULL;
	q->w = NULL;
	q->n = 0;
out:
	free(ri);
	free(order);
	free(plo);
	free(phi);
	free(tidf);
	free(heap);
	if (rc != 0)
		kc_match_result_free(out);
	return rc;
}

static void q_free(struct query *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->terms[i]);
	free(q->terms);
	free(q->w);
	free(q->via);
	free(q->pairs);
}

/* An expansion word: s with weight w, from query word via; a term the query has already is
 * left as it is. *added (may be NULL) says whether it was new. */
static int q_add_new(struct query *q, const char *s, size_t len, double w, size_t via,
		     int *added)
{
	size_t at;
	int is_new = q_find(q, s, len) == SIZE_MAX;
	if (added != NULL)
		*added = is_new;
	if (!is_new)
		return 0;
	if (q_add_at(q, s, len, w, &at) != 0)
		return KC_ENOMEM;
	q->via[at] = via;
	return 0;
}

/* Adds the names and node terms of the chain nodes that the query's words q->terms[0..nwords)
 * name (KC_MATCH_ALIAS_WEIGHT in match.h); a term the query has already is left as it is. */
static int q_aliases(struct query *q, const struct kc_index *ix, size_t nwords, double w)
{
	if (w <= 0)
		return 0;
	for (size_t i = 0; i < nwords; i++) {
		size_t k, j;
		const json_t *node, *x;
		json_array_foreach(kc_index_named(ix, q->terms[i]), k, node) {
			char nt[128];
			size_t nn = kc_index_code_term(nt, sizeof(nt), "node:",
						       json_string_value(node), 0);
			const json_t *e = kc_index_node_links(ix, json_string_value(node));
			json_array_foreach(json_object_get(e, "terms"), j, x)
				if (q_add_new(q, json_string_value(x), json_string_length(x),
					      w * q->w[i], i, NULL) != 0)
					return KC_ENOMEM;
			if (nn > 0 && q_add_new(q, nt, nn, w * q->w[i], i, NULL) != 0)
				return KC_ENOMEM;
		}
	}
	return 0;
}

/* One expansion candidate: a partner word of the table (its pointer identifies it). */
struct xcand {
	const char *term;
	uint32_t len;
	double s, best; /* Σ q_t · npmi; the largest single q_t · npmi */
	size_t via;
};

static int by_xterm(const void *x, const void *y)
{
	const struct xcand *a = x, *b = y;
	return a->term < b->term ? -1 : a->term > b->term;
}

static int by_xscore(const void *x, const void *y)
{
	const struct xcand *a = x, *b = y;
	if (a->s != b->s)
		return a->s > b->s ? -1 : 1;
	return strcmp(a->term, b->term);
}

/* Adds the words most associated with the query's words q->terms[0..nwords) (see
 * KC_MATCH_EXPAND_WEIGHT in match.h). */
static int q_expand(struct query *q, size_t nwords, const struct kc_match_opts *o)
{
	struct xcand *c = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (o->assoc == NULL || o->expand_terms == 0 || o->expand_weight <= 0 ||
	    nwords < o->expand_min)
		return 0;
	for (size_t i = 0; i < nwords; i++) {
		const struct kc_assoc_link *l;
		size_t m = kc_assoc_get(o->assoc, q->terms[i], strlen(q->terms[i]), &l);
		if (n + m > cap) {
			size_t nc = cap ? cap * 2 : 256;
			while (nc < n + m)
				nc *= 2;
			struct xcand *v = realloc(c, nc * sizeof(*v));
			if (v == NULL) {
				rc = KC_ENOMEM;
				goto out;
			}
			c = v;
			cap = nc;
		}
		for (size_t j = 0; j < m; j++) {
			double s = q->w[i] * l[j].npmi;
			c[n++] = (struct xcand){l[j].term, l[j].len, s, s, i};
		}
	}
	if (n == 0)
		goto out;
	/* sum each word's parts (the table hands out one pointer per word) */
	qsort(c, n, sizeof(*c), by_xterm);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w > 0 && c[w - 1].term == c[i].term) {
			c[w - 1].s += c[i].s;
			if (c[i].best > c[w - 1].best) {
				c[w - 1].best = c[i].best;
				c[w - 1].via = c[i].via;
			}
		} else {
			c[w++] = c[i];
		}
	}
	n = w;
	qsort(c, n, sizeof(*c), by_xscore);
	double top = 0;
	unsigned added = 0;
	for (size_t i = 0; i < n && added < o->expand_terms; i++) {
		if (top == 0 && q_find(q, c[i].term, c[i].len) == SIZE_MAX)
			top = c[i].s; /* the best word the query does not have */
		int is_new;
		if ((rc = q_add_new(q, c[i].term, c[i].len,
				    top > 0 ? o->expand_weight * c[i].s / top : 0, c[i].via,
				    &is_new)) != 0)
			goto out;
		added += is_new ? 1u : 0u;
	}
out:
	free(c);
	return rc;
}

/* The chain nodes one step up and down from the record's nodes, as weighted node terms (not
 * the record's own nodes, which come with full weight). */
static int q_neighbors(struct query *q, const struct kc_index *ix, const json_t *nodes, double w)
{
	size_t i, j;
	const json_t *x, *y;
	if (!json_is_array(nodes) || w <= 0)
		return 0;
	json_array_foreach(nodes, i, x) {
		const json_t *links = json_is_string(x) ? kc_index_node_links(ix, json_string_value(x))
							: NULL;
		const char *dirs[] = {"up", "down"};
		for (int d = 0; d < 2 && links; d++) {
			json_array_foreach(json_object_get(links, dirs[d]), j, y) {
				int own = 0;
				size_t k;
				const json_t *z;
				json_array_foreach(nodes, k, z)
					own |= json_equal(z, y);
				if (own)
					continue;
				char term[128];
				size_t n = kc_index_code_term(term, sizeof(term), "node:",
							      json_string_value(y), 0);
				if (n > 0 && q_add(q, term, n, w) != 0)
					return KC_ENOMEM;
			}
		}
	}
	return 0;
}

/* A query from free text or from a record. */
static int build_query(struct query *q, const struct kc_index *ix, const struct kc_text *t,
		       const char *text, const json_t *rec, const struct kc_match_opts *o,
		       size_t *nwords, struct kc_err *err)
{
	struct kc_text_run *run = kc_text_run_new();
	int rc = 0;
	size_t nw = 0; /* the query's own words: q->terms[0..nw) */
	if (run == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	if (text != NULL) {
		if ((rc = q_text(q, t, run, text, 1.0, err)) == 0 &&
		    (q_expand(q, nw = q->n, o) != 0 || q_aliases(q, ix, nw, o->alias_weight) != 0))
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	} else if ((rc = q_json_text(q, t, run, json_object_get(rec, "title"), 2.0, err)) == 0 &&
		   (rc = q_json_text(q, t, run, json_object_get(rec, "keywords"), 2.0, err)) == 0 &&
		   (rc = q_json_text(q, t, run, json_object_get(rec, "description"), 1.0, err)) ==
			   0) {
		/* the record's own codes first: expansion leaves the terms it has alone */
		nw = q->n;
		if (q_neighbors(q, ix, json_object_get(rec, "nodes"), o->neighbor_weight) != 0 ||
		    q_codes(q, json_object_get(rec, "nodes"), "node:", 0, 1.0) != 0 ||
		    q_codes(q, json_object_get(rec, "ipc"), "ipc:", 4, 1.0) != 0 ||
		    q_codes(q, json_object_get(rec, "industries"), "ind:", 0, 1.0) != 0 ||
		    q_expand(q, nw, o) != 0 || q_aliases(q, ix, nw, o->alias_weight) != 0)
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	kc_text_run_free(run);
	*nwords = nw;
	return rc;
}

char *kc_match_record_text(const json_t *rec)
{
	struct kc_buf b;
	const char *f[] = {"title", "keywords", "description"};
	int rc = 0;
	kc_buf_init(&b, 0);
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		const json_t *v = json_object_get(rec, f[i]), *x;
		size_t j;
		if (json_is_string(v))
			rc = kc_buf_addf(&b, "%s\n", json_string_value(v));
		json_array_foreach(json_is_array(v) ? v : NULL, j, x)
			if (rc == 0 && json_is_string(x))
				rc = kc_buf_addf(&b, "%s\n", json_string_value(x));
	}
	if (rc != 0) {
		kc_buf_release(&b);
		return NULL;
	}
	return kc_buf_take(&b);
}

int kc_match_store_text(void *ud, uint32_t doc, char **text)
{
	const struct kc_match_store_docs *sd = ud;
	static const char *const fields[] = {"title", "keywords", "description", NULL};
	const struct kc_doc *d = kc_index_doc(sd->ix, doc);
	struct kc_err err = KC_ERR_INIT;
	json_t *rec = NULL;
	*text = NULL;
	if (d == NULL || d->id == NULL)
		return 0;
	if (sd->lock != NULL)
		pthread_mutex_lock(sd->lock);
	int rc = kc_store_get_fields(sd->st,
				     kc_entity_def(d->kind == KC_DOC_DEMAND ? KC_ENT_DEMAND
									 : KC_ENT_SUPPLY),
				     d->id, fields, &rec, &err);
	if (sd->lock != NULL)
		pthread_mutex_unlock(sd->lock);
	if (rc == KC_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*text = kc_match_record_text(rec);
	json_decref(rec);
	return *text != NULL ? 0 : KC_ENOMEM;
}

/* The field vector of a long query's text (KC_MATCH_LSA_WEIGHT in match.h) into *out (the
 * caller frees it), NULL when there is none to use. The text is text, else the record rec's
 * (kc_match_record_text, built only when a vector is wanted). */
static int query_vector(const struct kc_match_opts *o, const struct kc_text *t, size_t nwords,
			const char *text, const json_t *rec, float **out, struct kc_err *err)
{
	unsigned d = kc_lsa_dims(o->lsa);
	size_t known = 0;
	char *own = NULL;
	*out = NULL;
	if (d == 0 || o->doc_text == NULL || o->lsa_weight <= 0 || nwords < o->lsa_min ||
	    (text == NULL && rec == NULL))
		return 0;
	struct kc_text_run *run = kc_text_run_new();
	float *v = malloc(d * sizeof(*v));
	int rc = 0;
	if (text == NULL)
		text = own = kc_match_record_text(rec);
	if (run == NULL || v == NULL || text == NULL)
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	else
		rc = kc_lsa_vector(o->lsa, t, run, text, strlen(text), v, &known, err);
	kc_text_run_free(run);
	free(own);
	if (rc == 0 && known > 0)
		*out = v;
	else
		free(v);
	return rc;
}

int kc_match_text(const struct kc_index *ix, const struct kc_text *t, const char *text,
		  const struct kc_match_opts *o, struct kc_match_result *out, struct kc_err *err)
{
	struct query q = {0};
	float *qvec = NULL;
	size_t nw;
	memset(out, 0, sizeof(*out));
	int rc = build_query(&q, ix, t, text, NULL, o, &nw, err);
	if (rc == 0)
		rc = query_vector(o, t, nw, text, NULL, &qvec, err);
	if (rc == 0)
		rc = run_query(ix, &q, o, t, qvec, out, err);
	free(qvec);
	q_free(&q);
	return rc;
}

int kc_match_record(const struct kc_index *ix, const struct kc_text *t, const json_t *rec,
		    const struct kc_match_opts *o, struct kc_match_result *out, struct kc_err *err)
{
	struct query q = {0};
	struct kc_match_opts ro = *o;
	memset(out, 0, sizeof(*out));
	if (ro.region == NULL)
		ro.region = json_string_value(json_object_get(rec, "region"));
	if (ro.trl == 0) {
		json_int_t v = json_integer_value(json_object_get(rec, "trl"));
		if (v == 0)
			v = json_integer_value(json_object_get(rec, "trl_min"));
		ro.trl = v >= 1 && v <= 9 ? (int)v : 0;
		if (ro.trl == 0) { /* a supply with a stage only */
			ro.stage = kc_doc_stage_parse(
				json_string_value(json_object_get(rec, "stage")));
			ro.trl = stage_trl(ro.stage);
			ro.trl_from_stage = ro.trl > 0;
		}
	}
	size_t nw;
	float *qvec = NULL;
	int rc = build_query(&q, ix, t, NULL, rec, o, &nw, err);
	if (rc == 0)
		rc = query_vector(&ro, t, nw, NULL, rec, &qvec, err);
	if (rc == 0)
		rc = run_query(ix, &q, &ro, t, qvec, out, err);
	free(qvec);
	q_free(&q);
	return rc;
}
