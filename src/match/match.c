/* BM25F ranking over the index, exhaustive term-at-a-time scoring, explanations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/match.h"
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
	static const double w[KC_FIELD_COUNT] = {3.0, 1.0, 2.5, 1.5, 2.0, 0.5};
	static const double b[KC_FIELD_COUNT] = {0.75, 0.75, 0.75, 0.0, 0.0, 0.75};
	memset(o, 0, sizeof(*o));
	o->target = target;
	o->k = 10;
	o->k1 = 1.2;
	memcpy(o->w, w, sizeof(w));
	memcpy(o->b, b, sizeof(b));
}

void kc_match_result_free(struct kc_match_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->hits[i].parts);
	free(r->hits);
	for (size_t i = 0; i < r->nterms; i++)
		free(r->terms[i]);
	free(r->terms);
	free(r->qweight);
	memset(r, 0, sizeof(*r));
}

/* ---- query terms with weights */

struct query {
	char **terms;
	double *w;
	size_t n, cap;
};

static int q_add(struct query *q, const char *s, size_t len, double w)
{
	for (size_t i = 0; i < q->n; i++) {
		if (strlen(q->terms[i]) == len && memcmp(q->terms[i], s, len) == 0) {
			q->w[i] += w;
			return 0;
		}
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
		q->cap = cap;
	}
	q->terms[q->n] = strndup(s, len);
	if (q->terms[q->n] == NULL)
		return KC_ENOMEM;
	q->w[q->n++] = w;
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
	for (size_t i = 0; i < n; i++) {
		/* words inside longer words count half: they widen recall without drowning the
		 * whole word */
		double tw = (terms[i].flags & KC_TERM_SUB) ? w * 0.5 : w;
		if (q_add(q, terms[i].text, terms[i].len, tw) != 0)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
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

static int usable(const struct kc_doc *d, const struct kc_match_opts *o)
{
	return !d->deleted && d->kind == o->target && visible(d, o) &&
	       !(o->exclude_id && strcmp(o->exclude_id, d->id) == 0) &&
	       !(o->exclude_org && d->org_id && strcmp(o->exclude_org, d->org_id) == 0);
}

static double tf_tilde(const struct kc_index *ix, const struct kc_match_opts *o,
		       const struct kc_doc *d, const uint16_t *tf)
{
	double x = 0;
	for (int f = 0; f < KC_FIELD_COUNT; f++) {
		if (!tf[f])
			continue;
		double avg = kc_index_avglen(ix, o->target, (enum kc_field_id)f);
		double norm = 1 - o->b[f] + (avg > 0 ? o->b[f] * (double)d->len[f] / avg : 0);
		x += o->w[f] * (double)tf[f] / (norm > 0.05 ? norm : 0.05);
	}
	return x;
}

static double idf(const struct kc_index *ix, const struct kc_match_opts *o,
		  const struct kc_postings *pc)
{
	double n = (double)kc_index_docs(ix, (int)o->target);
	double df = (double)pc->df_kind[o->target];
	if (df > n)
		df = n;
	return log(1 + (n - df + 0.5) / (df + 0.5));
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

static int by_hit(const void *a, const void *b)
{
	const struct heap_item *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static int run_query(const struct kc_index *ix, struct query *q, const struct kc_match_opts *o,
		     struct kc_match_result *out, struct kc_err *err)
{
	uint32_t cap = kc_index_capacity(ix);
	double *acc = calloc(cap ? cap : 1, sizeof(double));
	uint8_t *seen = calloc(cap ? cap : 1, 1);
	double *tidf = calloc(q->n ? q->n : 1, sizeof(double));
	struct heap_item *heap = NULL;
	int rc = 0;
	unsigned k = o->k ? o->k : 10;
	memset(out, 0, sizeof(*out));
	if (acc == NULL || seen == NULL || tidf == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < q->n; i++) {
		struct kc_postings pc;
		kc_index_postings(ix, q->terms[i], strlen(q->terms[i]), &pc);
		tidf[i] = idf(ix, o, &pc);
		while (kc_postings_next(&pc)) {
			const struct kc_doc *d = kc_index_doc(ix, pc.doc);
			if (d == NULL || !usable(d, o))
				continue;
			double x = tf_tilde(ix, o, d, pc.tf);
			acc[pc.doc] += q->w[i] * tidf[i] * x / (o->k1 + x);
			if (!seen[pc.doc]) {
				seen[pc.doc] = 1;
				out->candidates++;
			}
		}
	}
	heap = malloc((size_t)k * sizeof(*heap));
	if (heap == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	size_t hn = 0;
	for (uint32_t d = 0; d < cap; d++) {
		if (!seen[d])
			continue;
		struct heap_item it = {acc[d], d};
		if (hn < k) {
			heap[hn++] = it;
			for (size_t j = hn / 2 + 1; j-- > 0;)
				sift_down(heap, hn, j);
		} else if (worse(&heap[0], &it)) {
			heap[0] = it;
			sift_down(heap, hn, 0);
		}
	}
	qsort(heap, hn, sizeof(*heap), by_hit);
	out->hits = calloc(hn ? hn : 1, sizeof(*out->hits));
	if (out->hits == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	out->n = hn;
	for (size_t h = 0; h < hn; h++) {
		out->hits[h].doc = heap[h].doc;
		out->hits[h].score = heap[h].score;
	}
	/* explanations: each query term's share in each hit */
	for (size_t h = 0; h < hn; h++) {
		struct kc_match_hit *hit = &out->hits[h];
		hit->parts = calloc(q->n ? q->n : 1, sizeof(*hit->parts));
		if (hit->parts == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < q->n; i++) {
		struct kc_postings pc;
		kc_index_postings(ix, q->terms[i], strlen(q->terms[i]), &pc);
		while (kc_postings_next(&pc)) {
			if (!seen[pc.doc])
				continue;
			for (size_t h = 0; h < hn; h++) {
				struct kc_match_hit *hit = &out->hits[h];
				if (hit->doc != pc.doc)
					continue;
				const struct kc_doc *d = kc_index_doc(ix, pc.doc);
				double x = tf_tilde(ix, o, d, pc.tf);
				struct kc_match_part *p = &hit->parts[hit->nparts++];
				p->term = q->terms[i];
				p->score = q->w[i] * tidf[i] * x / (o->k1 + x);
				memcpy(p->tf, pc.tf, sizeof(p->tf));
			}
		}
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
	free(acc);
	free(seen);
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
}

/* A query from free text or from a record. */
static int build_query(struct query *q, const struct kc_text *t, const char *text,
		       const json_t *rec, struct kc_err *err)
{
	struct kc_text_run *run = kc_text_run_new();
	int rc = 0;
	if (run == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	if (text != NULL) {
		rc = q_text(q, t, run, text, 1.0, err);
	} else if ((rc = q_json_text(q, t, run, json_object_get(rec, "title"), 2.0, err)) == 0 &&
		   (rc = q_json_text(q, t, run, json_object_get(rec, "keywords"), 2.0, err)) == 0 &&
		   (rc = q_json_text(q, t, run, json_object_get(rec, "description"), 1.0, err)) ==
			   0) {
		if (q_codes(q, json_object_get(rec, "nodes"), "node:", 0, 1.0) != 0 ||
		    q_codes(q, json_object_get(rec, "ipc"), "ipc:", 4, 1.0) != 0 ||
		    q_codes(q, json_object_get(rec, "industries"), "ind:", 0, 1.0) != 0)
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	kc_text_run_free(run);
	return rc;
}

int kc_match_text(const struct kc_index *ix, const struct kc_text *t, const char *text,
		  const struct kc_match_opts *o, struct kc_match_result *out, struct kc_err *err)
{
	struct query q = {0};
	memset(out, 0, sizeof(*out));
	int rc = build_query(&q, t, text, NULL, err);
	if (rc == 0)
		rc = run_query(ix, &q, o, out, err);
	q_free(&q);
	return rc;
}

int kc_match_record(const struct kc_index *ix, const struct kc_text *t, const json_t *rec,
		    const struct kc_match_opts *o, struct kc_match_result *out, struct kc_err *err)
{
	struct query q = {0};
	memset(out, 0, sizeof(*out));
	int rc = build_query(&q, t, NULL, rec, err);
	if (rc == 0)
		rc = run_query(ix, &q, o, out, err);
	q_free(&q);
	return rc;
}
