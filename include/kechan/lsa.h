/* kechan lsa: field vectors by latent semantic analysis, for "who works in this field".
 *
 * Texts are bags of terms (the text module's index-mode terms) weighted (1 + ln tf) · idf,
 * idf = ln(1 + (N − df + 0.5) / (df + 0.5)), each text's row scaled to unit length. A truncated
 * SVD of that N × V matrix, A ≈ U Σ Vᵀ with dims columns, is computed by randomized subspace
 * iteration (Halko, Martinsson & Tropp 2011: a Gaussian test matrix, power iterations with QR
 * between them, LAPACK's dgesdd on the small projected matrix). A text's field vector is its
 * weighted terms times V (folding in), scaled to unit length: two texts of one discipline
 * that share few words still share directions, since their words co-occur with the same
 * others across the training texts.
 *
 * Training: kc_lsa_new, kc_lsa_add per text, kc_lsa_finish. A finished model only answers
 * kc_lsa_vector; it is immutable and may be shared by threads. Words in fewer than min_df
 * texts are left out (they say nothing about the others). The match module uses the model to
 * rerank a long query's first results (kc_match_opts.lsa). Memory while training: the terms of
 * every text (8 bytes per distinct term of a text) plus one N × (dims + 10) and three
 * V × (dims + 10) double matrices (1,000,000 texts at 64 dims: 1.1 GB and 83 s in
 * bench/match_speed --lsa), a batch job's size. */
#ifndef KECHAN_LSA_H
#define KECHAN_LSA_H

#include <stddef.h>
#include <stdint.h>

#include "kechan/core.h"
#include "kechan/text.h"

struct kc_lsa;

struct kc_lsa_params {
	unsigned dims;  /* vector length; default 64 */
	unsigned min_df; /* texts that must hold a term; default 2 */
	unsigned iters; /* power iterations; default 3 */
	uint64_t seed;  /* of the test matrix; the same texts and seed give the same model */
};

KC_API void kc_lsa_params_default(struct kc_lsa_params *p);

/* A new, empty model to train. *out is the caller's, freed with kc_lsa_free. */
KC_API int kc_lsa_new(struct kc_lsa **out, struct kc_err *err);

/* Adds one training text (UTF-8; analyzed with t in index mode). Invalid UTF-8 is an error;
 * the model is unchanged then. */
KC_API int kc_lsa_add(struct kc_lsa *m, const struct kc_text *t, struct kc_text_run *run,
		      const char *s, size_t len, struct kc_err *err);

/* Computes the model (p NULL: defaults). Fewer than dims + 10 texts or kept terms give a model
 * of half as many dims as there are (0 when there are fewer than 2). After it, no more texts
 * may be added. */
KC_API int kc_lsa_finish(struct kc_lsa *m, const struct kc_lsa_params *p, struct kc_err *err);

/* Vector length of a finished model (0 before finish or when nothing was learned). */
KC_API unsigned kc_lsa_dims(const struct kc_lsa *m);

/* The unit field vector of text s (analyzed with t in index mode) into out[kc_lsa_dims(m)];
 * *known (may be NULL) = how many of its terms the model knows. Without any, out is zeros.
 * Returns 0 or an error code (invalid UTF-8). */
KC_API int kc_lsa_vector(const struct kc_lsa *m, const struct kc_text *t, struct kc_text_run *run,
			 const char *s, size_t len, float *out, size_t *known, struct kc_err *err);

/* a · b over dims floats (the cosine of two unit vectors). */
KC_API double kc_lsa_dot(const float *a, const float *b, unsigned dims);

/* Texts trained on, terms kept, dims. */
KC_API void kc_lsa_stats(const struct kc_lsa *m, size_t *texts, size_t *terms, unsigned *dims);

/* A finished model to a file (a temporary file renamed into place): "KCLS", format, body
 * length, FNV-1a 64 checksum, the body (dims, texts, then per term its bytes, idf and vector). */
KC_API int kc_lsa_save(const struct kc_lsa *m, const char *path, struct kc_err *err);

/* A model saved by kc_lsa_save; KC_ECORRUPT names a damaged or truncated file, KC_ENOTFOUND
 * a missing one, KC_EIO one that cannot be read. *out is the caller's. */
KC_API int kc_lsa_load(struct kc_lsa **out, const char *path, struct kc_err *err);

KC_API void kc_lsa_free(struct kc_lsa *m);

#endif
