/* The analyzer: loading, domain words, and kc_text_analyze(). */
#include <errno.h>
#include <libstemmer.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_int.h"
#include "banned.h"

#define DEFAULT_JIEBA_DIR "/usr/lib/python3/dist-packages/jieba"
#define MAX_WORD_CPS 64
#define MAX_INPUT ((size_t)1 << 30)

static void models_unref(struct kc_text_models *m)
{
	if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	kc__norm_release(&m->norm);
	kc__hmm_release(&m->hmm);
	kc_free(m);
}

/* Loads jieba's dict.txt: "word freq [tag]" per line. */
static int load_dict(struct kc_text *t, const char *path, struct kc_err *err)
{
	FILE *f = fopen(path, "rb");
	char line[1024];
	uint32_t cps[MAX_WORD_CPS];
	int lineno = 0, rc = 0;
	if (f == NULL)
		return kc_err_set(err, KC_ENOTFOUND,
				  "cannot open the dictionary %s: %s (Debian's python3-jieba installs "
				  "it; scripts/setup.sh does, or set KECHAN_JIEBA_DIR)",
				  path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = 0;
		char *end;
		unsigned long fr = strtoul(sp + 1, &end, 10);
		if (end == sp + 1) {
			rc = kc_err_set(err, KC_EDATA, "%s:%d: expected 'word frequency'", path,
					lineno);
			goto out;
		}
		long n = kc__norm_word(&t->models->norm, line, strlen(line), cps, MAX_WORD_CPS);
		if (n <= 0)
			continue; /* not UTF-8 or too long: skipped like any unusable entry */
		if (fr > UINT32_MAX / 4)
			fr = UINT32_MAX / 4;
		if (kc__dict_add(&t->dict, cps, (size_t)n, fr ? (uint32_t)fr : 1, 1) != 0) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory loading %s", path);
			goto out;
		}
	}
	if (ferror(f))
		rc = kc_err_set(err, KC_EIO, "cannot read %s", path);
out:
	fclose(f);
	return rc;
}

extern const char *const kc__vocab[];
const char *const *kc__stopwords(size_t *n);

/* Fills the stopword set m->stop. KC_EINVAL if a stopword is longer than KC_STOP_MAXLEN
 * bytes (the list in stopwords.c would have to change with this set). */
static int load_stopwords(struct kc_text_models *m)
{
	size_t n;
	const char *const *w = kc__stopwords(&n);
	if (n * 2 > KC_STOP_SLOTS)
		return KC_EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(w[i]);
		if (len == 0 || len > KC_STOP_MAXLEN)
			return KC_EINVAL;
		uint64_t k = kc__stop_key(w[i], len);
		size_t j = kc__stop_slot(k);
		while (m->stop[j] != 0 && m->stop[j] != k)
			j = (j + 1) & (KC_STOP_SLOTS - 1);
		m->stop[j] = k;
	}
	return 0;
}

/* Best log probability of cps[0..n) split into at least two dictionary words or characters. */
static double split_logp(const struct kc_dict *d, const uint32_t *cps, size_t n);

/* Adds words with a frequency that keeps each whole (see kc_text_with_words). Frequencies are
 * computed against ref before any word is added, so the words do not inflate each other. */
static int add_domain_words(struct kc_text *t, const struct kc_dict *ref, const char *const *words,
			    const uint32_t *freqs, size_t n, size_t *skipped)
{
	uint32_t cps[MAX_WORD_CPS];
	uint32_t *fr = kc_calloc(n ? n : 1, sizeof(uint32_t));
	int rc = 0;
	if (fr == NULL)
		return KC_ENOMEM;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (size_t i = 0; i < n; i++) {
			long k = words[i] ? kc__norm_word(&t->models->norm, words[i],
							  strlen(words[i]), cps, MAX_WORD_CPS)
					  : -1;
			if (k <= 0) {
				*skipped += pass == 0;
				continue;
			}
			if (pass == 1) {
				if (kc__dict_add(&t->dict, cps, (size_t)k, fr[i], 1) != 0) {
					rc = KC_ENOMEM;
					break;
				}
			} else if (freqs != NULL && freqs[i] > 0) {
				fr[i] = freqs[i];
			} else {
				/* enough to beat the word's best split by a factor e^2 (jieba's
				 * suggest_freq without the factor); at least 10 */
				double need = exp(split_logp(ref, cps, (size_t)k) + ref->logtotal + 2.0);
				fr[i] = need > 1e8 ? 100000000u : (uint32_t)need + 1;
				if (fr[i] < 10)
					fr[i] = 10;
			}
		}
	}
	kc_free(fr);
	return rc;
}

int kc_text_open(struct kc_text **out, const struct kc_text_opts *opts, struct kc_err *err)
{
	struct kc_text_opts none = {0};
	struct kc_text *t = NULL;
	char path[4096];
	int rc;
	if (opts == NULL)
		opts = &none;
	const char *dir = opts->jieba_dir;
	if (dir == NULL)
		dir = getenv("KECHAN_JIEBA_DIR");
	if (dir == NULL || *dir == 0)
		dir = DEFAULT_JIEBA_DIR;
	*out = NULL;
	t = kc_calloc(1, sizeof(*t));
	if (t == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	atomic_init(&t->refs, 1);
	t->models = kc_calloc(1, sizeof(*t->models));
	if (t->models == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	atomic_init(&t->models->refs, 1);
	if (load_stopwords(t->models) != 0) {
		rc = kc_err_set(err, KC_EINVAL, "stopwords.c: a stopword is over %d bytes",
				KC_STOP_MAXLEN);
		goto fail;
	}
	if ((rc = kc__norm_init(&t->models->norm, opts->opencc_config, err)) != 0)
		goto fail;
	if (!opts->no_hmm) {
		if ((rc = kc__hmm_load(&t->models->hmm, dir, err)) != 0)
			goto fail;
		t->models->has_hmm = 1;
	}
	if (kc__dict_init(&t->dict, 400000) != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/dict.txt", dir);
	if ((rc = load_dict(t, path, err)) != 0)
		goto fail;
	kc__dict_finish(&t->dict);
	size_t nv = 0, skipped = 0;
	while (kc__vocab[nv] != NULL)
		nv++;
	if (add_domain_words(t, &t->dict, kc__vocab, NULL, nv, &skipped) != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	kc__dict_finish(&t->dict);
	t->dict_path = kc_strdup(path);
	if (t->dict_path == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	*out = t;
	return 0;
fail:
	kc_text_close(t);
	return rc;
}

static double split_logp(const struct kc_dict *d, const uint32_t *cps, size_t n)
{
	double best[MAX_WORD_CPS + 1];
	best[n] = 0;
	for (size_t i = n; i-- > 0;) {
		uint32_t node = d->root[cps[i] < 65536 ? cps[i] : 0];
		if (cps[i] >= 65536)
			node = kc__dict_child(d, 0, cps[i]);
		double b = (node && d->freq[node] ? d->logp[node] : -d->logtotal) + best[i + 1];
		for (size_t k = i + 1; k < n && node != 0; k++) {
			node = kc__dict_child(d, node, cps[k]);
			if (node != 0 && d->freq[node] > 0 && !(i == 0 && k + 1 == n)) {
				double x = d->logp[node] + best[k + 1];
				if (x > b)
					b = x;
			}
		}
		best[i] = b;
	}
	return best[0];
}

int kc_text_with_words(const struct kc_text *base, const char *const *words,
		       const uint32_t *freqs, size_t n, struct kc_text **out, size_t *skipped,
		       struct kc_err *err)
{
	struct kc_text *t = kc_calloc(1, sizeof(*t));
	size_t skip = 0;
	int rc;
	*out = NULL;
	if (t == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	atomic_init(&t->refs, 1);
	if (kc__dict_copy(&t->dict, &base->dict) != 0) {
		kc_free(t);
		return kc_err_set(err, KC_ENOMEM, "out of memory copying the dictionary");
	}
	t->models = base->models;
	atomic_fetch_add(&t->models->refs, 1);
	t->dict_path = kc_strdup(base->dict_path);
	if (t->dict_path == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	if (add_domain_words(t, &base->dict, words, freqs, n, &skip) != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory adding words");
		goto fail;
	}
	kc__dict_finish(&t->dict);
	if (skipped != NULL)
		*skipped = skip;
	*out = t;
	return 0;
fail:
	kc_text_close(t);
	return rc;
}

struct kc_text *kc_text_ref(struct kc_text *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void kc_text_close(struct kc_text *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	kc__dict_release(&t->dict);
	models_unref(t->models);
	kc_free(t->dict_path);
	kc_free(t);
}

size_t kc_text_dict_size(const struct kc_text *t)
{
	return t->dict.words;
}

const char *kc_text_dict_path(const struct kc_text *t)
{
	return t->dict_path;
}

size_t kc_text_memory(const struct kc_text *t)
{
	size_t m = 65536 * sizeof(uint32_t) + t->dict.edge_cap * sizeof(struct kc_dict_edge) +
		   t->dict.node_cap * (sizeof(uint32_t) + sizeof(float));
	m += 65536 * (2 * sizeof(uint32_t)) + 65536 / 8; /* norm tables */
	m += 65536 * sizeof(uint16_t) + 65536 * 4 * sizeof(float); /* hmm */
	return m;
}

int kc_text_has_word(const struct kc_text *t, const char *word, size_t len)
{
	uint32_t cps[MAX_WORD_CPS];
	long n = kc__norm_word(&t->models->norm, word, len, cps, MAX_WORD_CPS);
	return n > 0 && kc__dict_freq(&t->dict, cps, (size_t)n) > 0;
}

struct kc_text_run *kc_text_run_new(void)
{
	struct kc_text_run *r = kc_calloc(1, sizeof(*r));
	if (r != NULL)
		kc_buf_init(&r->text, 0);
	return r;
}

void kc_text_run_free(struct kc_text_run *r)
{
	if (r == NULL)
		return;
	kc_free(r->cp);
	kc_free(r->o0);
	kc_free(r->o1);
	kc_free(r->atoms);
	kc_free(r->route);
	kc_free(r->next);
	kc_free(r->state);
	kc_free(r->vit);
	kc_free(r->toks);
	kc_free(r->terms);
	kc_buf_release(&r->text);
	if (r->stemmer != NULL)
		sb_stemmer_delete(r->stemmer);
	if (r->conv != NULL)
		kc__norm_free_conv(r->conv);
	kc_free(r);
}

static int reserve_terms(struct kc_text_run *r, size_t n)
{
	if (n <= r->term_cap)
		return 0;
	size_t cap = r->term_cap ? r->term_cap : 256;
	while (cap < n)
		cap *= 2;
	struct kc_term *t = kc_realloc(r->terms, cap * sizeof(*t));
	if (t == NULL)
		return KC_ENOMEM;
	r->terms = t;
	r->term_cap = cap;
	return 0;
}

/* Appends the normalized text of code points [c0, c1) as a term; its text offset is kept in
 * term->text as an integer until the end (the buffer may move). */
static int add_term(struct kc_text_run *r, size_t *nt, uint32_t c0, uint32_t c1, uint32_t o0,
		    uint32_t o1, uint8_t kind, uint8_t flags)
{
	size_t need = (size_t)(c1 - c0) * 4 + 1;
	if (*nt >= r->term_cap && reserve_terms(r, *nt + 1) != 0)
		return KC_ENOMEM;
	if (r->text.len + need >= r->text.cap && kc_buf_grow(&r->text, need) != 0)
		return KC_ENOMEM;
	size_t at = r->text.len;
	char *p = r->text.ptr + at;
	for (uint32_t c = c0; c < c1; c++)
		p += kc__utf8_put(p, r->cp[c]);
	uint32_t len = (uint32_t)(p - (r->text.ptr + at));
	*p = 0;
	r->text.len = at + len + 1;
	struct kc_term *t = &r->terms[(*nt)++];
	t->text = (const char *)(uintptr_t)at;
	t->len = len;
	t->start = o0;
	t->end = o1;
	t->kind = kind;
	t->flags = flags;
	return 0;
}

static int ascii_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z'))
			return 0;
	}
	return 1;
}

/* Replaces the last term's text by its Snowball English stem. */
static int stem_last(struct kc_text_run *r, size_t nt)
{
	struct kc_term *t = &r->terms[nt - 1];
	size_t at = (size_t)(uintptr_t)t->text;
	if (t->len < 3 || !ascii_word(r->text.ptr + at, t->len))
		return 0;
	if (r->stemmer == NULL) {
		r->stemmer = sb_stemmer_new("english", "UTF_8");
		if (r->stemmer == NULL)
			return KC_ENOMEM;
	}
	const sb_symbol *st = sb_stemmer_stem(r->stemmer, (const sb_symbol *)(r->text.ptr + at),
					      (int)t->len);
	if (st == NULL)
		return KC_ENOMEM;
	int sl = sb_stemmer_length(r->stemmer);
	if (sl <= 0 || (size_t)sl > t->len)
		return 0;
	memcpy(r->text.ptr + at, st, (size_t)sl);
	r->text.ptr[at + (size_t)sl] = 0;
	t->len = (uint32_t)sl;
	return 0;
}

/* Index mode: dictionary words of two or more atoms inside token [a0, a1), except itself. */
static int add_subwords(const struct kc_text *t, struct kc_text_run *r, size_t *nt, uint32_t a0,
			uint32_t a1)
{
	const struct kc_atom *at = r->atoms;
	for (uint32_t i = a0; i < a1; i++) {
		uint32_t node = 0;
		for (uint32_t k = i; k < a1; k++) {
			for (uint32_t c = at[k].c0; c < at[k].c1 && node != UINT32_MAX; c++) {
				node = kc__dict_child(&t->dict, node, r->cp[c]);
				if (node == 0)
					node = UINT32_MAX;
			}
			if (node == UINT32_MAX)
				break;
			if (k > i && t->dict.freq[node] > 0 && !(i == a0 && k + 1 == a1)) {
				int rc = add_term(r, nt, at[i].c0, at[k].c1, at[i].o0, at[k].o1,
						  KC_TERM_HAN, KC_TERM_SUB);
				if (rc != 0)
					return rc;
				if (kc__is_stop(t->models,
						r->text.ptr + (size_t)(uintptr_t)r->terms[*nt - 1].text,
						r->terms[*nt - 1].len))
					(*nt)--;
			}
		}
	}
	return 0;
}

int kc_text_analyze(const struct kc_text *t, struct kc_text_run *r, const char *s, size_t len,
		    enum kc_text_mode mode, const struct kc_term **terms, size_t *n,
		    struct kc_err *err)
{
	size_t nt = 0;
	*terms = NULL;
	*n = 0;
	if (len > MAX_INPUT)
		return kc_err_set(err, KC_EINVAL, "text of %zu bytes is over the 1 GiB limit", len);
	kc_buf_reset(&r->text);
	long ncp = kc__normalize(t, r, s, len, err);
	if (ncp < 0)
		return (int)ncp;
	long na = kc__atomize(r, (size_t)ncp);
	if (na < 0 || kc__segment(t, r, (size_t)na) != 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	if (reserve_terms(r, r->ntok + 1) != 0 || kc_buf_grow(&r->text, (size_t)ncp * 5 + 16) != 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->ntok; i++) {
		const struct kc_tok *tk = &r->toks[i];
		const struct kc_atom *a0 = &r->atoms[tk->a0], *a1 = &r->atoms[tk->a1 - 1];
		if (mode == KC_TEXT_INDEX && (tk->kind == KC_TERM_SPACE || tk->kind == KC_TERM_PUNCT))
			continue;
		if (add_term(r, &nt, a0->c0, a1->c1, a0->o0, a1->o1, tk->kind, 0) != 0)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		if (tk->kind == KC_TERM_LATIN && stem_last(r, nt) != 0)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		struct kc_term *last = &r->terms[nt - 1];
		if ((tk->kind == KC_TERM_HAN || tk->kind == KC_TERM_LATIN) &&
		    kc__is_stop(t->models, r->text.ptr + (size_t)(uintptr_t)last->text, last->len)) {
			if (mode == KC_TEXT_INDEX) {
				nt--;
				continue;
			}
			last->flags |= KC_TERM_STOP;
		}
		if (mode == KC_TEXT_INDEX && tk->kind == KC_TERM_HAN && tk->a1 - tk->a0 >= 3 &&
		    add_subwords(t, r, &nt, tk->a0, tk->a1) != 0)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nt; i++)
		r->terms[i].text = r->text.ptr + (size_t)(uintptr_t)r->terms[i].text;
	*terms = r->terms;
	*n = nt;
	return 0;
}
