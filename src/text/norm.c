/* Normalization: traditional → simplified (OpenCC), NFKC + case folding (utf8proc), with the
 * original byte range of every normalized code point kept. */
#include <opencc/opencc.h>
#include <string.h>
#include <utf8proc.h>

#include "text_int.h"
#include "banned.h"

#define NORM_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* NFKC + case fold of one code point into out[0..cap); returns the count (0: dropped). */
static size_t norm_cp(uint32_t cp, uint32_t *out, size_t cap)
{
	utf8proc_int32_t buf[32];
	int last = 0;
	if (cp == 0 || cp == '\t' || cp == '\n' || cp == '\r') {
		out[0] = cp ? cp : ' ';
		return 1;
	}
	utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, 32,
						     (utf8proc_option_t)NORM_OPTS, &last);
	if (n < 0 || n > 32) {
		out[0] = cp;
		return 1;
	}
	if (n > 1)
		n = utf8proc_normalize_utf32(buf, n,
					     (utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
	if (n < 0) {
		out[0] = cp;
		return 1;
	}
	size_t k = (size_t)n < cap ? (size_t)n : cap;
	for (size_t i = 0; i < k; i++)
		out[i] = (uint32_t)buf[i];
	return k;
}

static int is_cjk_block(uint32_t cp)
{
	return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF);
}

/* Builds the single-character t2s table by converting every CJK character of the BMP, one per
 * line, in one OpenCC call. */
static int build_t2s(struct kc_norm *n, struct kc_err *err)
{
	struct kc_buf in = KC_BUF_INIT;
	char *out = NULL;
	int rc = 0;
	char tmp[4];
	for (uint32_t cp = 0x3400; cp <= 0xFAFF; cp++) {
		if (!is_cjk_block(cp))
			continue;
		size_t k = kc__utf8_put(tmp, cp);
		if (kc_buf_add(&in, tmp, k) != 0 || kc_buf_addc(&in, '\n') != 0) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory building the t2s table");
			goto out;
		}
	}
	out = opencc_convert_utf8((opencc_t)n->opencc, in.ptr, in.len);
	if (out == NULL) {
		rc = kc_err_set(err, KC_EINTERNAL, "OpenCC could not convert: %s", opencc_error());
		goto out;
	}
	size_t len = strlen(out), i = 0;
	if (kc_utf8_check(out, len) >= 0) {
		rc = kc_err_set(err, KC_EINTERNAL, "OpenCC returned invalid UTF-8");
		goto out;
	}
	for (uint32_t cp = 0x3400; cp <= 0xFAFF; cp++) {
		if (!is_cjk_block(cp))
			continue;
		if (i >= len) {
			rc = kc_err_set(err, KC_EINTERNAL, "OpenCC output is shorter than its input");
			goto out;
		}
		uint32_t first = kc__utf8_next((const unsigned char *)out, &i);
		size_t count = 1;
		while (i < len && out[i] != '\n') {
			(void)kc__utf8_next((const unsigned char *)out, &i);
			count++;
		}
		if (i < len)
			i++; /* the newline */
		if (count == 1 && first != cp && first < 65536) {
			n->t2s[cp] = first;
			n->trad[cp >> 3] = (uint8_t)(n->trad[cp >> 3] | (1u << (cp & 7)));
		}
	}
out:
	if (out != NULL)
		opencc_convert_utf8_free(out);
	kc_buf_release(&in);
	return rc;
}

int kc__norm_init(struct kc_norm *n, const char *opencc_config, struct kc_err *err)
{
	int rc;
	memset(n, 0, sizeof(*n));
	n->bmp = kc_malloc(65536 * sizeof(uint32_t));
	n->t2s = kc_malloc(65536 * sizeof(uint32_t));
	n->trad = kc_calloc(65536 / 8, 1);
	if (n->bmp == NULL || n->t2s == NULL || n->trad == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t cp = 0; cp < 65536; cp++) {
		uint32_t out[8];
		n->t2s[cp] = cp;
		if (cp >= 0xD800 && cp <= 0xDFFF) {
			n->bmp[cp] = cp;
			continue;
		}
		if (cp >= 0x4E00 && cp <= 0x9FFF) { /* unified ideographs: NFKC leaves them */
			n->bmp[cp] = cp;
			continue;
		}
		size_t k = norm_cp(cp, out, 8);
		n->bmp[cp] = k == 0 ? 0 : k == 1 ? out[0] : KC_NORM_MULTI;
	}
	const char *cfg = opencc_config ? opencc_config : "t2s.json";
	opencc_t od = opencc_open(cfg);
	if (od == (opencc_t)-1) {
		rc = kc_err_set(err, KC_ENOTFOUND,
				"cannot open the OpenCC configuration '%s' (%s); install opencc-data "
				"(scripts/setup.sh does)",
				cfg, opencc_error());
		goto fail;
	}
	n->opencc = od;
	rc = build_t2s(n, err);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	kc__norm_release(n);
	return rc;
}

void kc__norm_release(struct kc_norm *n)
{
	if (n->opencc != NULL)
		opencc_close((opencc_t)n->opencc);
	kc_free(n->bmp);
	kc_free(n->t2s);
	kc_free(n->trad);
	memset(n, 0, sizeof(*n));
}

int kc__run_reserve(struct kc_text_run *r, size_t ncp)
{
	if (ncp + 1 <= r->cp_cap)
		return 0;
	size_t cap = r->cp_cap ? r->cp_cap : 256;
	while (cap < ncp + 1)
		cap *= 2;
	uint32_t *a = kc_realloc(r->cp, cap * sizeof(uint32_t));
	if (a == NULL)
		return KC_ENOMEM;
	r->cp = a;
	a = kc_realloc(r->o0, cap * sizeof(uint32_t));
	if (a == NULL)
		return KC_ENOMEM;
	r->o0 = a;
	a = kc_realloc(r->o1, cap * sizeof(uint32_t));
	if (a == NULL)
		return KC_ENOMEM;
	r->o1 = a;
	r->cp_cap = cap;
	return 0;
}

static inline int is_trad(const struct kc_norm *n, uint32_t cp)
{
	return cp < 65536 && (n->trad[cp >> 3] & (1u << (cp & 7)));
}

/* Appends the normalized form of cp with original range [o0, o1). Room for 8 more code points
 * per input code point is reserved by the caller (NFKC expands at most 18x for a few
 * ligatures; those are clipped at 8). */
static size_t emit(const struct kc_norm *n, struct kc_text_run *r, size_t k, uint32_t cp,
		   uint32_t o0, uint32_t o1)
{
	uint32_t m = cp < 65536 ? n->bmp[cp] : KC_NORM_MULTI;
	if (m == 0) {
		/* dropped (a default-ignorable like U+200B): its bytes join the previous
		 * character's range, or the next one's at the start */
		if (k > 0)
			r->o1[k - 1] = o1;
		else if (r->pending == UINT32_MAX)
			r->pending = o0;
		return k;
	}
	if (r->pending != UINT32_MAX) {
		o0 = r->pending;
		r->pending = UINT32_MAX;
	}
	if (m != KC_NORM_MULTI) {
		r->cp[k] = m;
		r->o0[k] = o0;
		r->o1[k] = o1;
		return k + 1;
	}
	uint32_t out[8];
	size_t c = norm_cp(cp, out, 8);
	if (c == 0) {
		if (k > 0)
			r->o1[k - 1] = o1;
		else if (r->pending == UINT32_MAX)
			r->pending = o0;
		return k;
	}
	for (size_t i = 0; i < c; i++) {
		r->cp[k] = out[i];
		r->o0[k] = o0;
		r->o1[k] = o1;
		k++;
	}
	return k;
}

/* Input made only of ignorable characters becomes one space, so every byte stays covered. */
static size_t ignorable_only(struct kc_text_run *r, size_t k, size_t len)
{
	if (k > 0 || r->pending == UINT32_MAX)
		return k;
	r->cp[0] = ' ';
	r->o0[0] = r->pending;
	r->o1[0] = (uint32_t)len;
	r->pending = UINT32_MAX;
	return 1;
}

long kc__normalize(const struct kc_text *t, struct kc_text_run *r, const char *s, size_t len,
		   struct kc_err *err)
{
	const struct kc_norm *n = &t->models->norm;
	const unsigned char *u = (const unsigned char *)s;
	long bad = kc_utf8_check(s, len);
	if (bad >= 0)
		return kc_err_set(err, KC_EDATA, "invalid UTF-8 at byte %ld", bad);
	/* count code points and look for traditional characters */
	size_t ncp = 0, i = 0;
	int need_cc = 0;
	while (i < len) {
		uint32_t cp = kc__utf8_next(u, &i);
		need_cc |= is_trad(n, cp);
		ncp++;
	}
	if (kc__run_reserve(r, ncp * 8) != 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	size_t k = 0;
	r->pending = UINT32_MAX;
	if (need_cc && n->opencc != NULL) {
		/* phrase-level conversion; aligned with the input when it keeps the character count
		 * (t2s nearly always does), otherwise character by character below */
		if (r->conv != NULL) {
			opencc_convert_utf8_free(r->conv);
			r->conv = NULL;
		}
		r->conv = opencc_convert_utf8((opencc_t)n->opencc, s, len);
		if (r->conv != NULL) {
			size_t clen = strlen(r->conv), j = 0, cn = 0;
			if (kc_utf8_check(r->conv, clen) < 0) {
				while (j < clen) {
					(void)kc__utf8_next((const unsigned char *)r->conv, &j);
					cn++;
				}
			}
			if (cn == ncp) {
				const unsigned char *cu = (const unsigned char *)r->conv;
				i = 0;
				j = 0;
				while (i < len) {
					uint32_t o0 = (uint32_t)i;
					(void)kc__utf8_next(u, &i);
					uint32_t cp = kc__utf8_next(cu, &j);
					k = emit(n, r, k, cp, o0, (uint32_t)i);
				}
				return (long)ignorable_only(r, k, len);
			}
		}
	}
	i = 0;
	while (i < len) {
		uint32_t o0 = (uint32_t)i;
		uint32_t cp = kc__utf8_next(u, &i);
		if (need_cc && cp < 65536)
			cp = n->t2s[cp];
		k = emit(n, r, k, cp, o0, (uint32_t)i);
	}
	return (long)ignorable_only(r, k, len);
}

long kc__norm_word(const struct kc_norm *n, const char *s, size_t len, uint32_t *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k = 0;
	if (kc_utf8_check(s, len) >= 0)
		return -1;
	while (i < len) {
		uint32_t cp = kc__utf8_next(u, &i);
		uint32_t m = cp < 65536 ? n->bmp[cp] : KC_NORM_MULTI;
		if (m == 0)
			continue;
		if (m != KC_NORM_MULTI) {
			if (k >= cap)
				return -1;
			out[k++] = m;
			continue;
		}
		uint32_t tmp[8];
		size_t c = norm_cp(cp, tmp, 8);
		if (k + c > cap)
			return -1;
		memcpy(out + k, tmp, c * sizeof(uint32_t));
		k += c;
	}
	return (long)k;
}

void kc__norm_free_conv(char *s)
{
	opencc_convert_utf8_free(s);
}
