/* kechan assoc: term associations learned from a corpus, for weighted query expansion.
 *
 * Two words are associated when they occur in the same training text more often than chance:
 * normalized pointwise mutual information over texts,
 *   npmi(a, b) = ln(N · n_ab / (n_a · n_b)) / −ln(n_ab / N),
 * N texts, n_a texts holding a, n_ab texts holding both. npmi is 1 when the two always come
 * together, 0 when independent. Only pairs seen in at least min_pair texts count (rare pairs
 * give the noisiest PMI), words in more than max_df_share of the texts are left out (they
 * go with everything), and each word keeps its per_term best partners.
 *
 * Training: kc_assoc_new, kc_assoc_add per text (analyzed by the text module, whole words
 * only: the dictionary sub-words of long words would mostly associate with their own parent),
 * kc_assoc_finish. A finished table only answers kc_assoc_get; it is immutable and may be
 * shared by threads. The match module uses it to add a query's associated words with small
 * weights (kc_match_opts.assoc). */
#ifndef KECHAN_ASSOC_H
#define KECHAN_ASSOC_H

#include <stddef.h>
#include <stdint.h>

#include "kechan/core.h"
#include "kechan/text.h"

struct kc_assoc;

struct kc_assoc_params {
	unsigned min_pair;   /* texts that must hold both words; default 3 */
	unsigned min_df;     /* texts that must hold a word; default 3 */
	double max_df_share; /* words in more of the texts are left out; default 0.02 */
	double min_npmi;     /* weaker associations are dropped; default 0.2 */
	unsigned per_term;   /* partners kept per word; default 20 */
};

KC_API void kc_assoc_params_default(struct kc_assoc_params *p);

/* One partner of a word: term borrowed from the table, valid until kc_assoc_free. */
struct kc_assoc_link {
	const char *term;
	uint32_t len;
	float npmi;
};

/* A new, empty table to train. *out is the caller's, freed with kc_assoc_free. */
KC_API int kc_assoc_new(struct kc_assoc **out, struct kc_err *err);

/* Adds one training text (UTF-8; analyzed with t in index mode, its distinct whole words
 * counted once). Invalid UTF-8 is an error; the table is unchanged then. */
KC_API int kc_assoc_add(struct kc_assoc *a, const struct kc_text *t, struct kc_text_run *run,
			const char *s, size_t len, struct kc_err *err);

/* Counts the pairs and keeps each word's best partners (p NULL: defaults). After it, no more
 * texts may be added. */
KC_API int kc_assoc_finish(struct kc_assoc *a, const struct kc_assoc_params *p,
			   struct kc_err *err);

/* The partners of the word s (normalized as the analyzer emits it), best first; 0 when none
 * or the table is not finished. *out borrows from the table. */
KC_API size_t kc_assoc_get(const struct kc_assoc *a, const char *s, size_t len,
			   const struct kc_assoc_link **out);

/* Texts added, words with partners, links kept. */
KC_API void kc_assoc_stats(const struct kc_assoc *a, size_t *texts, size_t *words,
			   size_t *links);

/* A finished table to a file (a temporary file renamed into place): "KCAS", format, body
 * length, FNV-1a 64 checksum of the body, the body (words and their partners). */
KC_API int kc_assoc_save(const struct kc_assoc *a, const char *path, struct kc_err *err);
/* A table saved by kc_assoc_save; KC_ECORRUPT names a damaged or truncated file, KC_ENOTFOUND
 * a missing one, KC_EIO one that cannot be read. *out is the caller's. */
KC_API int kc_assoc_load(struct kc_assoc **out, const char *path, struct kc_err *err);

KC_API void kc_assoc_free(struct kc_assoc *a);

#endif
