/* Term associations by normalized PMI over texts (include/kechan/assoc.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/assoc.h"

struct kc_assoc {
	struct kc__strtab words; /* count: texts holding the word */
	/* the texts, as runs of distinct word ids */
	uint32_t *ids;
	size_t nids, icap;
	size_t *starts; /* text i: ids[starts[i] .. starts[i + 1]) */
	size_t ntexts, tcap;
	/* after finish: word id → its partners */
	struct kc_assoc_link *links;
	size_t nlinks;
	uint32_t *loff, *lnum;
	int finished;
};

void kc_assoc_params_default(struct kc_assoc_params *p)
{
	p->min_pair = 3;
	p->min_df = 3;
	p->max_df_share = 0.02;
	p->min_npmi = 0.2;
	p->per_term = 20;
}

/* The id of word s, added when new. */
static int word_id(struct kc_assoc *a, const char *s, size_t n, uint32_t *id)
{
	return kc__strtab_id(&a->words, s, n, 1, id);
}

int kc_assoc_new(struct kc_assoc **out, struct kc_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL || ((*out)->starts = calloc(1, sizeof(size_t))) == NULL) {
		free(*out);
		*out = NULL;
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	(*out)->tcap = 1;
	return 0;
}

static int by_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

int kc_assoc_add(struct kc_assoc *a, const struct kc_text *t, struct kc_text_run *run,
		 const char *s, size_t len, struct kc_err *err)
{
	const struct kc_term *terms;
	size_t n;
	if (a->finished)
		return kc_err_set(err, KC_EINVAL, "association table already finished");
	int rc = kc_text_analyze(t, run, s, len, KC_TEXT_INDEX, &terms, &n, err);
	if (rc != 0)
		return rc;
	size_t start = a->nids;
	if (a->nids + n > a->icap) {
		size_t cap = a->icap ? a->icap : 4096;
		while (cap < a->nids + n)
			cap *= 2;
		uint32_t *v = realloc(a->ids, cap * sizeof(*v));
		if (v == NULL)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		a->ids = v;
		a->icap = cap;
	}
	if (a->ntexts + 2 > a->tcap) {
		size_t cap = a->tcap * 2 + 2;
		size_t *v = realloc(a->starts, cap * sizeof(*v));
		if (v == NULL)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		a->starts = v;
		a->tcap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		if ((terms[i].flags & KC_TERM_SUB) || terms[i].kind == KC_TERM_NUMBER)
			continue;
		if (word_id(a, terms[i].text, terms[i].len, &id) != 0) {
			a->nids = start; /* words stay known with df 0: harmless */
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		}
		a->ids[a->nids++] = id;
	}
	/* distinct words, sorted */
	if (a->nids - start > 1)
		qsort(a->ids + start, a->nids - start, sizeof(uint32_t), by_u32);
	size_t w = start;
	for (size_t i = start; i < a->nids; i++)
		if (i == start || a->ids[i] != a->ids[i - 1])
			a->ids[w++] = a->ids[i];
	a->nids = w;
	for (size_t i = start; i < a->nids; i++)
		a->words.count[a->ids[i]]++;
	a->starts[++a->ntexts] = a->nids;
	return 0;
}

/* ---- pair counts: open addressing on (a << 32 | b), a < b */

struct pairs {
	uint64_t *keys; /* 0 = empty (a pair never has a = b = 0) */
	uint32_t *cnt;
	size_t cap, n;
};

static size_t pair_slot(const struct pairs *p, uint64_t k)
{
	uint64_t h = k * 0x9E3779B97F4A7C15ull;
	size_t mask = p->cap - 1, i = (size_t)(h >> 20) & mask;
	while (p->keys[i] != 0 && p->keys[i] != k)
		i = (i + 1) & mask;
	return i;
}

static int pairs_grow(struct pairs *p)
{
	struct pairs q = {0};
	q.cap = p->cap ? p->cap * 2 : (1u << 16);
	q.keys = calloc(q.cap, sizeof(*q.keys));
	q.cnt = calloc(q.cap, sizeof(*q.cnt));
	if (q.keys == NULL || q.cnt == NULL) {
		free(q.keys);
		free(q.cnt);
		return KC_ENOMEM;
	}
	for (size_t i = 0; i < p->cap; i++) {
		if (p->keys[i] == 0)
			continue;
		size_t j = pair_slot(&q, p->keys[i]);
		q.keys[j] = p->keys[i];
		q.cnt[j] = p->cnt[i];
	}
	q.n = p->n;
	free(p->keys);
	free(p->cnt);
	*p = q;
	return 0;
}

struct cand {
	uint32_t word, other;
	float npmi;
};

static int by_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	if (a->word != b->word)
		return a->word < b->word ? -1 : 1;
	if (a->npmi != b->npmi)
		return a->npmi > b->npmi ? -1 : 1;
	return a->other < b->other ? -1 : a->other > b->other;
}

int kc_assoc_finish(struct kc_assoc *a, const struct kc_assoc_params *pp, struct kc_err *err)
{
	struct kc_assoc_params p;
	struct pairs pc = {0};
	struct cand *cands = NULL;
	size_t ncand = 0, ccap = 0;
	uint32_t *keep = NULL;
	int rc = 0;
	if (pp == NULL)
		kc_assoc_params_default(&p);
	else
		p = *pp;
	if (a->finished)
		return kc_err_set(err, KC_EINVAL, "association table already finished");
	double n = (double)a->ntexts;
	double maxdf = p.max_df_share * n;
	if ((keep = malloc((a->nids ? a->nids : 1) * sizeof(*keep))) == NULL ||
	    pairs_grow(&pc) != 0)
		goto nomem;
	for (size_t t = 0; t < a->ntexts; t++) {
		size_t m = 0;
		for (size_t i = a->starts[t]; i < a->starts[t + 1]; i++) {
			uint32_t df = a->words.count[a->ids[i]];
			if (df >= p.min_df && (double)df <= maxdf)
				keep[m++] = a->ids[i];
		}
		for (size_t i = 0; i < m; i++) {
			for (size_t j = i + 1; j < m; j++) {
				if ((pc.n + 1) * 2 > pc.cap && pairs_grow(&pc) != 0)
					goto nomem;
				uint64_t k = (uint64_t)keep[i] << 32 | keep[j];
				size_t s = pair_slot(&pc, k);
				if (pc.keys[s] == 0) {
					pc.keys[s] = k;
					pc.n++;
				}
				pc.cnt[s]++;
			}
		}
	}
	for (size_t i = 0; i < pc.cap; i++) {
		if (pc.keys[i] == 0 || pc.cnt[i] < p.min_pair)
			continue;
		uint32_t x = (uint32_t)(pc.keys[i] >> 32), y = (uint32_t)pc.keys[i];
		double nab = pc.cnt[i], na = a->words.count[x], nb = a->words.count[y];
		if (nab >= n) /* in every text: no information */
			continue;
		double npmi = log(n * nab / (na * nb)) / -log(nab / n);
		if (npmi < p.min_npmi)
			continue;
		if (ncand + 2 > ccap) {
			size_t cap = ccap ? ccap * 2 : 4096;
			struct cand *v = realloc(cands, cap * sizeof(*v));
			if (v == NULL)
				goto nomem;
			cands = v;
			ccap = cap;
		}
		cands[ncand++] = (struct cand){x, y, (float)npmi};
		cands[ncand++] = (struct cand){y, x, (float)npmi};
	}
	if (ncand > 1)
		qsort(cands, ncand, sizeof(*cands), by_cand);
	a->loff = calloc(a->words.n ? a->words.n : 1, sizeof(*a->loff));
	a->lnum = calloc(a->words.n ? a->words.n : 1, sizeof(*a->lnum));
	a->links = malloc((ncand ? ncand : 1) * sizeof(*a->links));
	if (a->loff == NULL || a->lnum == NULL || a->links == NULL)
		goto nomem;
	for (size_t i = 0; i < ncand; i++) {
		uint32_t w = cands[i].word;
		if (a->lnum[w] == 0)
			a->loff[w] = (uint32_t)a->nlinks;
		if (a->lnum[w] >= p.per_term)
			continue;
		a->links[a->nlinks++] = (struct kc_assoc_link){a->words.strs[cands[i].other],
							     a->words.lens[cands[i].other],
							     cands[i].npmi};
		a->lnum[w]++;
	}
	/* the texts are not needed any more */
	free(a->ids);
	a->ids = NULL;
	a->nids = a->icap = 0;
	a->finished = 1;
	goto out;
nomem:
	rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	free(a->loff);
	free(a->lnum);
	free(a->links);
	a->loff = a->lnum = NULL;
	a->links = NULL;
	a->nlinks = 0;
out:
	free(keep);
	free(pc.keys);
	free(pc.cnt);
	free(cands);
	return rc;
}

size_t kc_assoc_get(const struct kc_assoc *a, const char *s, size_t len,
		    const struct kc_assoc_link **out)
{
	*out = NULL;
	if (a == NULL || !a->finished)
		return 0;
	uint32_t v = kc__strtab_find(&a->words, s, len);
	if (v == UINT32_MAX || a->lnum[v] == 0)
		return 0;
	*out = a->links + a->loff[v];
	return a->lnum[v];
}

void kc_assoc_stats(const struct kc_assoc *a, size_t *texts, size_t *words, size_t *links)
{
	size_t w = 0;
	for (uint32_t i = 0; a->finished && i < a->words.n; i++)
		w += a->lnum[i] > 0;
	*texts = a->ntexts;
	*words = w;
	*links = a->nlinks;
}

/* ---- files */

/* The word id of a link's partner (links hold the word's text, which is in the table). */
static uint32_t partner_id(const struct kc_assoc *a, const struct kc_assoc_link *l)
{
	return kc__strtab_find(&a->words, l->term, l->len);
}

#define ASSOC_MAGIC "KCAS"
#define ASSOC_FORMAT 1u

int kc_assoc_save(const struct kc_assoc *a, const char *path, struct kc_err *err)
{
	struct kc_buf b;
	int rc = 0;
	kc_buf_init(&b, 0);
	if (!a->finished)
		return kc_err_set(err, KC_EINVAL, "association table not finished");
	/* the words that have partners or are one, renumbered; then per word: its partner count
	 * and (partner word, npmi) */
	uint32_t *map = calloc(a->words.n ? a->words.n : 1, sizeof(*map)); /* new id + 1 */
	uint32_t n = 0;
	if (map == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < a->words.n; i++) {
		for (uint32_t j = 0; j < a->lnum[i]; j++) {
			uint32_t id = partner_id(a, &a->links[a->loff[i] + j]);
			if (map[id] == 0)
				map[id] = ++n;
		}
		if (a->lnum[i] > 0 && map[i] == 0)
			map[i] = ++n;
	}
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order)); /* new id → old id */
	if (order == NULL) {
		free(map);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < a->words.n; i++)
		if (map[i])
			order[map[i] - 1] = i;
	rc = kc_buf_add(&b, &n, sizeof(n));
	for (uint32_t k = 0; rc == 0 && k < n; k++) {
		uint32_t i = order[k];
		rc = kc_buf_add(&b, &a->words.lens[i], sizeof(uint32_t));
		rc = rc ? rc : kc_buf_add(&b, a->words.strs[i], a->words.lens[i]);
	}
	for (uint32_t k = 0; rc == 0 && k < n; k++) {
		uint32_t i = order[k];
		rc = kc_buf_add(&b, &a->lnum[i], sizeof(uint32_t));
		for (uint32_t j = 0; rc == 0 && j < a->lnum[i]; j++) {
			const struct kc_assoc_link *l = &a->links[a->loff[i] + j];
			uint32_t id = map[partner_id(a, l)] - 1;
			rc = kc_buf_add(&b, &id, sizeof(id));
			rc = rc ? rc : kc_buf_add(&b, &l->npmi, sizeof(l->npmi));
		}
	}
	free(map);
	free(order);
	uint64_t texts = a->ntexts;
	rc = rc ? rc : kc_buf_add(&b, &texts, sizeof(texts));
	if (rc != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	rc = kc__file_save(path, ASSOC_MAGIC, ASSOC_FORMAT, b.ptr, b.len, err);
out:
	kc_buf_release(&b);
	return rc;
}

int kc_assoc_load(struct kc_assoc **out, const char *path, struct kc_err *err)
{
	struct kc_assoc *a = NULL;
	unsigned char *body = NULL;
	size_t len;
	*out = NULL;
	int rc = kc__file_load(path, ASSOC_MAGIC, ASSOC_FORMAT, "association table", &body, &len,
			       err);
	if (rc != 0)
		return rc;
	if ((rc = kc_assoc_new(&a, err)) != 0)
		goto out;
	struct kc__rd r = {body, body + len, 0};
	uint32_t n;
	kc__get(&r, &n, sizeof(n));
	for (uint32_t i = 0; !r.bad && i < n; i++) {
		uint32_t l, id;
		kc__get(&r, &l, sizeof(l));
		const unsigned char *w = kc__get_bytes(&r, l);
		if (w == NULL)
			break;
		if (word_id(a, (const char *)w, l, &id) != 0)
			goto nomem;
		if (id != i) { /* a word twice */
			r.bad = 1;
			break;
		}
	}
	a->loff = calloc(n ? n : 1, sizeof(*a->loff));
	a->lnum = calloc(n ? n : 1, sizeof(*a->lnum));
	size_t cap = 1024;
	a->links = malloc(cap * sizeof(*a->links));
	if (a->loff == NULL || a->lnum == NULL || a->links == NULL)
		goto nomem;
	for (uint32_t i = 0; !r.bad && i < n; i++) {
		uint32_t m;
		kc__get(&r, &m, sizeof(m));
		a->loff[i] = (uint32_t)a->nlinks;
		for (uint32_t j = 0; !r.bad && j < m; j++) {
			uint32_t id;
			float w;
			kc__get(&r, &id, sizeof(id));
			kc__get(&r, &w, sizeof(w));
			if (r.bad || id >= n || !(w >= -1 && w <= 1)) {
				r.bad = 1;
				break;
			}
			if (a->nlinks == cap) {
				struct kc_assoc_link *v = realloc(a->links, cap * 2 * sizeof(*v));
				if (v == NULL)
					goto nomem;
				a->links = v;
				cap *= 2;
			}
			a->links[a->nlinks++] = (struct kc_assoc_link){a->words.strs[id], a->words.lens[id], w};
			a->lnum[i]++;
		}
	}
	uint64_t texts;
	kc__get(&r, &texts, sizeof(texts));
	if (r.bad || r.p != r.end) {
		rc = kc_err_set(err, KC_ECORRUPT, "%s: damaged association table (content)", path);
		goto out;
	}
	a->ntexts = (size_t)texts;
	free(a->ids);
	a->ids = NULL;
	a->finished = 1;
	*out = a;
	a = NULL;
	goto out;
nomem:
	rc = kc_err_set(err, KC_ENOMEM, "out of memory");
out:
	kc_assoc_free(a);
	free(body);
	return rc;
}

void kc_assoc_free(struct kc_assoc *a)
{
	if (a == NULL)
		return;
	kc__strtab_release(&a->words);
	free(a->ids);
	free(a->starts);
	free(a->links);
	free(a->loff);
	free(a->lnum);
	free(a);
}
