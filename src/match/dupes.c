/* Near-duplicates: the same demand or achievement posted twice, or copied from another
 * platform with small edits. Each text becomes the set of its word bigrams (normalized terms
 * of the analyzer's precise mode, punctuation and spaces dropped, so traditional/simplified
 * and full/half-width copies agree); MinHash signatures (128 hashes) are banded (32 bands of
 * 4) to find candidate pairs, and each candidate's exact Jaccard similarity decides. */
#include <stdlib.h>
#include <string.h>

#include "kechan/match.h"
#include "banned.h"

#define NHASH 128
#define BANDS 32
#define ROWS (NHASH / BANDS)

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The sorted, distinct shingle hashes of one text. */
static int shingles(const struct kc_text *t, struct kc_text_run *run, const char *s,
		    uint64_t **out, size_t *n, struct kc_err *err)
{
	const struct kc_term *terms;
	size_t nt;
	int rc = kc_text_analyze(t, run, s, strlen(s), KC_TEXT_PRECISE, &terms, &nt, err);
	*out = NULL;
	*n = 0;
	if (rc != 0)
		return rc;
	uint64_t *v = kc_malloc((nt + 1) * sizeof(uint64_t));
	if (v == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	size_t k = 0;
	uint64_t prev = 0;
	int have_prev = 0;
	for (size_t i = 0; i < nt; i++) {
		if (terms[i].kind == KC_TERM_SPACE || terms[i].kind == KC_TERM_PUNCT)
			continue;
		uint64_t h = kc_fnv1a(terms[i].text, terms[i].len, KC_FNV_OFFSET);
		if (have_prev)
			v[k++] = mix64(prev * 31 + h);
		prev = h;
		have_prev = 1;
	}
	if (k == 0 && have_prev) /* a one-word text: the word itself */
		v[k++] = mix64(prev);
	qsort(v, k, sizeof(uint64_t), cmp_u64);
	size_t m = 0;
	for (size_t i = 0; i < k; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	*out = v;
	*n = m;
	return 0;
}

static double jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, inter = 0;
	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			inter++;
			i++;
			j++;
		} else if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	size_t uni = na + nb - inter;
	return uni ? (double)inter / (double)uni : 0;
}

struct bandkey {
	uint64_t key;
	uint32_t doc;
};

static int cmp_band(const void *a, const void *b)
{
	const struct bandkey *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->doc > y->doc) - (x->doc < y->doc);
}

static int cmp_pair(const void *a, const void *b)
{
	const struct kc_dupe *x = a, *y = b;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

int kc_match_dupes(const struct kc_text *t, const char *const *texts, size_t n, double threshold,
		   struct kc_dupe **out, size_t *nout, struct kc_err *err)
{
	struct kc_text_run *run = kc_text_run_new();
	uint64_t **sh = kc_calloc(n ? n : 1, sizeof(uint64_t *));
	size_t *shn = kc_calloc(n ? n : 1, sizeof(size_t));
	uint64_t *sig = kc_malloc((n ? n : 1) * NHASH * sizeof(uint64_t));
	struct bandkey *bk = kc_malloc((n ? n : 1) * sizeof(struct bandkey));
	struct kc_dupe *pairs = NULL;
	size_t np = 0, cap = 0;
	int rc = 0;
	*out = NULL;
	*nout = 0;
	if (run == NULL || sh == NULL || shn == NULL || sig == NULL || bk == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = shingles(t, run, texts[i] ? texts[i] : "", &sh[i], &shn[i], err)) != 0) {
			kc_err_prefix(err, "text %zu", i);
			goto out;
		}
		uint64_t *s = sig + i * NHASH;
		for (int h = 0; h < NHASH; h++)
			s[h] = UINT64_MAX;
		for (size_t j = 0; j < shn[i]; j++) {
			for (int h = 0; h < NHASH; h++) {
				uint64_t seed = (uint64_t)(h + 1) * (uint64_t)0x9E3779B97F4A7C15u;
				uint64_t v = mix64(sh[i][j] ^ seed);
				if (v < s[h])
					s[h] = v;
			}
		}
	}
	for (int band = 0; band < BANDS; band++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (shn[i] == 0)
				continue;
			uint64_t key = (uint64_t)band;
			for (int r = 0; r < ROWS; r++)
				key = mix64(key ^ sig[i * NHASH + (size_t)(band * ROWS + r)]);
			bk[m++] = (struct bandkey){key, (uint32_t)i};
		}
		qsort(bk, m, sizeof(*bk), cmp_band);
		for (size_t i = 0; i < m;) {
			size_t j = i + 1;
			while (j < m && bk[j].key == bk[i].key)
				j++;
			/* every pair in the bucket is a candidate (buckets stay small: near-equal
			 * texts only; a bucket of more than 200 is cut to keep this linear) */
			for (size_t a = i; a < j && a < i + 200; a++) {
				for (size_t b = a + 1; b < j && b < i + 200; b++) {
					if (np == cap) {
						cap = cap ? cap * 2 : 64;
						struct kc_dupe *p = kc_realloc(pairs, cap * sizeof(*p));
						if (p == NULL) {
							rc = kc_err_set(err, KC_ENOMEM, "out of memory");
							goto out;
						}
						pairs = p;
					}
					pairs[np++] = (struct kc_dupe){bk[a].doc, bk[b].doc, 0};
				}
			}
			i = j;
		}
	}
	/* distinct candidates, verified */
	if (np > 1)
		qsort(pairs, np, sizeof(*pairs), cmp_pair);
	size_t m = 0;
	for (size_t i = 0; i < np; i++) {
		if (m > 0 && pairs[m - 1].a == pairs[i].a && pairs[m - 1].b == pairs[i].b)
			continue;
		double jac = jaccard(sh[pairs[i].a], shn[pairs[i].a], sh[pairs[i].b], shn[pairs[i].b]);
		if (jac >= threshold) {
			pairs[m] = pairs[i];
			pairs[m].jaccard = jac;
			m++;
		}
	}
	*out = pairs;
	*nout = m;
	pairs = NULL;
out:
	for (size_t i = 0; sh && i < n; i++)
		kc_free(sh[i]);
	kc_free(sh);
	kc_free(shn);
	kc_free(sig);
	kc_free(bk);
	kc_free(pairs);
	kc_text_run_free(run);
	return rc;
}
