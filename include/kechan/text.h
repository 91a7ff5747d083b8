/* kechan text: Chinese and English text analysis for matching.
 *
 * kc_text_analyze() turns UTF-8 text into terms. Each term carries the byte offsets of the
 * characters it came from in the ORIGINAL text, so a user interface can highlight it. Steps:
 *   1. normalize: traditional → simplified (OpenCC t2s), NFKC with full-width → half-width
 *      (utf8proc), case folding;
 *   2. segment Chinese with a word-frequency dictionary (jieba's dict.txt as installed by
 *      Debian's python3-jieba, read at load time) plus a domain dictionary: maximum-probability
 *      path over the word DAG, an HMM (jieba's model files, also read at load time) for runs of
 *      characters the dictionary does not know;
 *   3. Latin tokens: lowercase, Snowball English stemming (libstemmer), numbers with their units
 *      kept as one term (300Wh/kg, 2.5μm), formulas and model numbers kept (LiFePO4).
 *
 * Thread safety: a struct kc_text is immutable once built and may be shared by any number of
 * threads; each thread passes its own struct kc_text_run (scratch memory reused from call to
 * call, so the hot path allocates nothing once the run has grown to the input's size).
 */
#ifndef KECHAN_TEXT_H
#define KECHAN_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "kechan/core.h"

/* Modes of kc_text_analyze(). */
enum kc_text_mode {
	KC_TEXT_PRECISE = 0, /* one segmentation; every character of the input in some token */
	KC_TEXT_INDEX = 1,   /* precise terms, plus the dictionary words inside long words
				(like jieba's search mode); stopwords, punctuation, spaces dropped */
};

/* Kinds of terms. */
enum kc_term_kind {
	KC_TERM_HAN = 1,    /* a Chinese word (may contain Latin letters, as in B超) */
	KC_TERM_LATIN = 2,  /* a Latin word or a model number/formula (lifepo4, ncm811) */
	KC_TERM_NUMBER = 3, /* a number, with its unit if any (300wh/kg, 2.5μm, 1998年) */
	KC_TERM_PUNCT = 4,  /* punctuation and symbols (precise mode only) */
	KC_TERM_SPACE = 5,  /* a run of white space (precise mode only) */
};

/* Term flags. */
#define KC_TERM_STOP 0x1u /* a stopword (kept in precise mode, dropped in index mode) */
#define KC_TERM_SUB 0x2u  /* index mode: a dictionary word inside a longer term */

/* One term. text/len is the normalized term (stemmed for English words), NUL-terminated,
 * borrowed from the run: valid until the next analyze call with the same run. start/end are
 * byte offsets into the original input, on UTF-8 character boundaries, start < end. */
struct kc_term {
	const char *text;
	uint32_t len;
	uint32_t start;
	uint32_t end;
	uint8_t kind;
	uint8_t flags;
};

/* Where the resources come from. Any field may be NULL/0 for the default. */
struct kc_text_opts {
	const char *jieba_dir; /* directory holding dict.txt and finalseg/prob_*.py; default
				  $KECHAN_JIEBA_DIR or /usr/lib/python3/dist-packages/jieba */
	const char *opencc_config; /* default "t2s.json" (Debian's opencc-data) */
	int no_hmm;                /* 1: no HMM for unknown words (dictionary only) */
};

struct kc_text;
struct kc_text_run;

/* Loads the dictionary and models. On success *out is caller-owned (kc_text_close). */
KC_API int kc_text_open(struct kc_text **out, const struct kc_text_opts *opts,
			struct kc_err *err);

/* A new analyzer sharing base's models, with extra words: the domain dictionary (chain node
 * names and aliases, org short names, keywords). Each word gets a frequency high enough to be
 * kept whole against the words it is made of, unless freqs is non-NULL (then freqs[i] > 0 is
 * used as is). Words that are not valid UTF-8, empty, or longer than 64 characters are
 * skipped and counted in *skipped (may be NULL). base is not changed and stays caller-owned;
 * the result is caller-owned and independent of base's lifetime. Reloading a domain
 * dictionary = building a new analyzer and swapping pointers (see kc_text_ref()). */
KC_API int kc_text_with_words(const struct kc_text *base, const char *const *words,
			      const uint32_t *freqs, size_t n, struct kc_text **out,
			      size_t *skipped, struct kc_err *err);

struct kc_store;
/* kc_text_with_words() with the store's domain words: chain node names and aliases, org short
 * names and keywords, keywords of supplies and of non-confidential demands. *nwords (may be
 * NULL) gets the number of words read. The result is caller-owned. */
KC_API int kc_text_from_store(const struct kc_text *base, struct kc_store *st,
			      struct kc_text **out, size_t *nwords, struct kc_err *err);

/* Reference counting for sharing one analyzer between threads that may outlive each other:
 * kc_text_ref() adds a reference, kc_text_close() drops one and frees at zero. */
KC_API struct kc_text *kc_text_ref(struct kc_text *t);
KC_API void kc_text_close(struct kc_text *t);

/* Number of dictionary words, and the dictionary's source path (borrowed). */
KC_API size_t kc_text_dict_size(const struct kc_text *t);
KC_API const char *kc_text_dict_path(const struct kc_text *t);
/* Bytes held by the analyzer's tables (dictionary, maps, models). */
KC_API size_t kc_text_memory(const struct kc_text *t);

/* 1 when the normalized word (UTF-8) is in the dictionary. */
KC_API int kc_text_has_word(const struct kc_text *t, const char *word, size_t len);

/* Scratch memory for one thread. kc_text_run_new returns NULL when out of memory. */
KC_API struct kc_text_run *kc_text_run_new(void);
KC_API void kc_text_run_free(struct kc_text_run *run);

/* Analyzes s[0..len). On success *terms points to *n terms in text order (by start offset;
 * in index mode a word's sub-words follow it), borrowed from run until its next use.
 * Errors: KC_EDATA with the byte offset when s is not valid UTF-8, KC_EINVAL when len is over
 * 1 GiB, KC_ENOMEM. */
KC_API int kc_text_analyze(const struct kc_text *t, struct kc_text_run *run, const char *s,
			   size_t len, enum kc_text_mode mode, const struct kc_term **terms,
			   size_t *n, struct kc_err *err);

/* 1 when the normalized term is on kechan's stopword list (docs/text.md). */
KC_API int kc_text_is_stopword(const char *term, size_t len);

#endif
