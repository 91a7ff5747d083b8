/* match: where a text shows the terms a result matched, for highlighting. The text is analyzed
 * once as the index reads it, and each of its terms that equals a matched term marks the
 * original characters it came from: 正極 in a traditional title for 正极, Spodumene for the
 * stem spodumen, full-width letters for their half-width term. Spans are in code points, the
 * unit a user interface counts characters in once it has the text as code points. */
#include <stdlib.h>
#include <string.h>

#include "kechan/match.h"
#include "banned.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_span(const void *a, const void *b)
{
	const struct kc_match_span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* Counts the code points of s from byte *pos up to byte to (a character boundary) into *cp. */
static uint32_t advance(const char *s, size_t *pos, uint32_t *cp, size_t to)
{
	for (; *pos < to; (*pos)++)
		if (((unsigned char)s[*pos] & 0xC0) != 0x80)
			(*cp)++;
	return *cp;
}

int kc_match_highlight(const struct kc_text *t, struct kc_text_run *run, const char *s, size_t len,
		       const char *const *terms, size_t nterms, struct kc_match_span **spans,
		       size_t *nspans, struct kc_err *err)
{
	const char **keys = NULL;
	struct kc_match_span *out = NULL;
	const struct kc_term *tv = NULL;
	size_t nkeys = 0, nt = 0, n = 0;
	int rc = 0;
	*spans = NULL;
	*nspans = 0;
	if (nterms > 0 && (keys = kc_malloc(nterms * sizeof(*keys))) == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	/* codes and chain nodes (ipc:H01M, node:li-lfp) are not words of the text */
	for (size_t i = 0; i < nterms; i++)
		if (terms[i] != NULL && terms[i][0] != '\0' && strchr(terms[i], ':') == NULL)
			keys[nkeys++] = terms[i];
	if (nkeys == 0 || len == 0)
		goto cleanup;
	qsort(keys, nkeys, sizeof(*keys), cmp_str);
	rc = kc_text_analyze(t, run, s, len, KC_TEXT_INDEX, &tv, &nt, err);
	if (rc < 0 || nt == 0)
		goto cleanup;
	if ((out = kc_malloc(nt * sizeof(*out))) == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < nt; i++)
		if (bsearch(&tv[i].text, keys, nkeys, sizeof(*keys), cmp_str) != NULL)
			out[n++] = (struct kc_match_span){tv[i].start, tv[i].end};
	if (n == 0)
		goto cleanup;
	/* a word's sub-words follow it: sort by start, then merge what overlaps */
	qsort(out, n, sizeof(*out), cmp_span);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && out[i].start < out[m - 1].end) {
			if (out[i].end > out[m - 1].end)
				out[m - 1].end = out[i].end;
		} else {
			out[m++] = out[i];
		}
	}
	/* bytes → code points in one pass: the merged spans' boundaries only grow */
	size_t pos = 0;
	uint32_t cp = 0;
	for (size_t i = 0; i < m; i++) {
		out[i].start = advance(s, &pos, &cp, out[i].start);
		out[i].end = advance(s, &pos, &cp, out[i].end);
	}
	*spans = out;
	*nspans = m;
	out = NULL;
	rc = 0;
cleanup:
	kc_free(out);
	kc_free(keys);
	return rc < 0 ? rc : 0;
}
