/* text internals: the dictionary trie, normalization tables, HMM, segmenter. */
#ifndef KC_TEXT_INT_H
#define KC_TEXT_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kechan/core.h"
#include "kechan/text.h"

/* ---- dictionary: a trie over code points stored as a hash of (parent, code point) → child.
 * Node 0 is the root; the root's children for the BMP are a direct array. A node is a word
 * when freq[node] > 0. Immutable after building; copies are cheap (memcpy of the arrays). */
struct kc_dict_edge {
	uint32_t parent;
	uint32_t cp;
	uint32_t child; /* 0 = empty slot */
	float logp;     /* the child's log probability, KC_DICT_NOWORD when not a word: kept
			   here so one step of a walk touches one cache line */
};
#define KC_DICT_NOWORD 1.0f

struct kc_dict {
	uint32_t *root;         /* [65536]: child of the root for a BMP code point, 0 = none */
	float *root_logp;       /* [65536]: its log probability or KC_DICT_NOWORD */
	struct kc_dict_edge *edges;
	size_t edge_cap;        /* power of two */
	uint64_t *filter;       /* one bit per hash of an edge: most steps of a walk find no
				   child, and this answers them from 1 MB instead of a cache miss
				   in the edge table (bench/segment) */
	size_t filter_bits;     /* power of two */
	size_t edge_count;
	uint32_t *freq;         /* [node_cap] */
	float *logp;            /* [node_cap]: log(freq / total), valid when freq > 0 */
	size_t node_count;      /* including the root */
	size_t node_cap;
	size_t words;
	double total;
	double logtotal;
};

int kc__dict_init(struct kc_dict *d, size_t words_hint);
void kc__dict_release(struct kc_dict *d);
int kc__dict_copy(struct kc_dict *dst, const struct kc_dict *src);
/* Adds (or raises to) freq for the word cps[0..n). Returns 0 or KC_ENOMEM. Call
 * kc__dict_finish() after the last add to compute log probabilities. */
int kc__dict_add(struct kc_dict *d, const uint32_t *cps, size_t n, uint32_t freq, int keep_max);
void kc__dict_finish(struct kc_dict *d);
static inline uint64_t kc__dict_hash(uint32_t node, uint32_t cp)
{
	uint64_t h = ((uint64_t)node * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)cp * 0xC2B2AE3D27D4EB4Full);
	return h ^ (h >> 29);
}
/* The first slot of edge (node, cp). */
static inline size_t kc__dict_slot(const struct kc_dict *d, uint32_t node, uint32_t cp)
{
	return (size_t)kc__dict_hash(node, cp) & (d->edge_cap - 1);
}
/* 0 when the edge (node, cp) surely does not exist (the filter's bit is clear). */
static inline int kc__dict_maybe(const struct kc_dict *d, uint64_t h)
{
	size_t b = (size_t)(h >> 32) & (d->filter_bits - 1);
	return (int)((d->filter[b >> 6] >> (b & 63)) & 1u);
}
/* Child of node for cp, 0 when none. */
static inline uint32_t kc__dict_child(const struct kc_dict *d, uint32_t node, uint32_t cp)
{
	if (node == 0 && cp < 65536)
		return d->root[cp];
	uint64_t h = kc__dict_hash(node, cp);
	if (!kc__dict_maybe(d, h))
		return 0;
	size_t mask = d->edge_cap - 1;
	size_t i = (size_t)h & mask;
	for (;;) {
		const struct kc_dict_edge *e = &d->edges[i];
		if (e->child == 0)
			return 0;
		if (e->parent == node && e->cp == cp)
			return e->child;
		i = (i + 1) & mask;
	}
}
/* Like kc__dict_child, also giving the child's log probability (KC_DICT_NOWORD when the child
 * is not a word). Valid after kc__dict_finish(). */
static inline uint32_t kc__dict_step(const struct kc_dict *d, uint32_t node, uint32_t cp,
				     float *logp)
{
	if (node == 0 && cp < 65536) {
		*logp = d->root_logp[cp];
		return d->root[cp];
	}
	uint64_t h = kc__dict_hash(node, cp);
	if (!kc__dict_maybe(d, h))
		return 0;
	size_t mask = d->edge_cap - 1;
	size_t i = (size_t)h & mask;
	for (;;) {
		const struct kc_dict_edge *e = &d->edges[i];
		if (e->child == 0)
			return 0;
		if (e->parent == node && e->cp == cp) {
			*logp = e->logp;
			return e->child;
		}
		i = (i + 1) & mask;
	}
}
/* Prefetches the slot kc__dict_step(d, node, cp) will read first. */
static inline void kc__dict_prefetch(const struct kc_dict *d, uint32_t node, uint32_t cp)
{
	__builtin_prefetch(&d->edges[kc__dict_slot(d, node, cp)]);
}
/* Frequency of the word cps[0..n), 0 when not a word. */
uint32_t kc__dict_freq(const struct kc_dict *d, const uint32_t *cps, size_t n);

/* ---- normalization tables (built once from OpenCC and utf8proc). */
struct kc_norm {
	uint32_t *bmp;      /* [65536]: normalized code point for a BMP code point; 0 = drop (a
			       default-ignorable), KC_NORM_MULTI = maps to several code points */
	uint8_t *trad;      /* [65536/8]: bit set when OpenCC t2s changes the character */
	uint32_t *t2s;      /* [65536]: the character's simplified form on its own */
	void *opencc;       /* opencc_t, NULL when OpenCC is unavailable */
};
#define KC_NORM_MULTI 0xFFFFFFFFu

int kc__norm_init(struct kc_norm *n, const char *opencc_config, struct kc_err *err);
void kc__norm_release(struct kc_norm *n);

/* ---- HMM (B, M, E, S) for unknown words, from jieba's finalseg model files. */
struct kc_hmm {
	double start[4];
	double trans[4][4];
	uint16_t *row;   /* [65536]: index into emit (0 = unseen) */
	float (*emit)[4];
	size_t rows;
};
int kc__hmm_load(struct kc_hmm *h, const char *dir, struct kc_err *err);
void kc__hmm_release(struct kc_hmm *h);

/* ---- stopwords as a hash set: every stopword has at most 7 bytes, so a term's bytes and
 * length pack into one 64-bit key (bytes little-endian, length in the top byte); the set is
 * open addressing over KC_STOP_SLOTS keys, 0 = empty. kc_text_is_stopword's sorted table
 * costs a copy and eight strcmp per term; this costs a multiply and about one probe. */
#define KC_STOP_MAXLEN 7
#define KC_STOP_SLOTS 1024

static inline uint64_t kc__stop_key(const char *s, size_t len)
{
	uint64_t k = 0;
	for (size_t i = 0; i < len; i++)
		k |= (uint64_t)(unsigned char)s[i] << (8 * i);
	return k | (uint64_t)len << 56;
}

static inline size_t kc__stop_slot(uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 54); /* 10 bits: KC_STOP_SLOTS */
}

/* ---- the shared, reference-counted models (norm + hmm + stemmer list) */
struct kc_text_models {
	atomic_int refs;
	struct kc_norm norm;
	struct kc_hmm hmm;
	int has_hmm;
	uint64_t stop[KC_STOP_SLOTS]; /* the stopwords' keys (kc__stop_key) */
};

/* Is term s[0..len) a stopword (as kc_text_is_stopword says)? */
static inline int kc__is_stop(const struct kc_text_models *m, const char *s, size_t len)
{
	if (len == 0 || len > KC_STOP_MAXLEN)
		return 0;
	uint64_t k = kc__stop_key(s, len);
	for (size_t i = kc__stop_slot(k);; i = (i + 1) & (KC_STOP_SLOTS - 1)) {
		if (m->stop[i] == k)
			return 1;
		if (m->stop[i] == 0)
			return 0;
	}
}

struct kc_text {
	atomic_int refs;
	struct kc_text_models *models;
	struct kc_dict dict;
	char *dict_path;
};

/* ---- atoms and segmentation (segment.c) */
enum kc_atom_kind {
	KC_ATOM_HAN = 1,
	KC_ATOM_LATIN = 2,
	KC_ATOM_NUMBER = 3,
	KC_ATOM_PUNCT = 4,
	KC_ATOM_SPACE = 5,
	KC_ATOM_CNUM = 6, /* a Chinese numeral character (一…十百千万亿零〇) */
};

struct kc_atom {
	uint32_t c0, c1;  /* normalized code points [c0, c1) */
	uint32_t o0, o1;  /* original bytes [o0, o1) */
	uint8_t kind;
};

/* A token: atoms [a0, a1) */
struct kc_tok {
	uint32_t a0, a1;
	uint8_t kind;
};

struct kc_text_run {
	/* normalized code points and, per code point, the original byte range */
	uint32_t *cp;
	uint32_t *o0, *o1;
	size_t cp_cap;
	struct kc_atom *atoms;
	size_t atom_cap;
	/* segmentation scratch, per atom */
	double *route;
	uint32_t *next;
	uint8_t *state;
	double *vit;
	size_t seg_cap;
	struct kc_tok *toks;
	size_t tok_cap, ntok;
	struct kc_term *terms;
	size_t term_cap;
	struct kc_buf text; /* term texts */
	struct sb_stemmer *stemmer;
	char *conv;          /* OpenCC output kept for the call */
	uint32_t pending;    /* start of ignorable bytes not yet given to a code point */
};

int kc__run_reserve(struct kc_text_run *r, size_t ncp);
/* Decodes and normalizes s into r->cp/o0/o1; returns the number of code points or < 0. */
long kc__normalize(const struct kc_text *t, struct kc_text_run *r, const char *s, size_t len,
		   struct kc_err *err);
/* Splits the normalized text into atoms; returns their count or < 0. */
long kc__atomize(struct kc_text_run *r, size_t ncp);
/* Segments atoms [0, natoms) into r->toks; returns 0 or < 0. */
int kc__segment(const struct kc_text *t, struct kc_text_run *r, size_t natoms);

/* UTF-8 decoding of valid input (checked beforehand). */
static inline uint32_t kc__utf8_next(const unsigned char *s, size_t *i)
{
	unsigned c = s[*i];
	if (c < 0x80) {
		*i += 1;
		return c;
	}
	if (c < 0xE0) {
		uint32_t cp = ((c & 0x1Fu) << 6) | (s[*i + 1] & 0x3Fu);
		*i += 2;
		return cp;
	}
	if (c < 0xF0) {
		uint32_t cp = ((c & 0x0Fu) << 12) | ((s[*i + 1] & 0x3Fu) << 6) | (s[*i + 2] & 0x3Fu);
		*i += 3;
		return cp;
	}
	uint32_t cp = ((c & 0x07u) << 18) | ((s[*i + 1] & 0x3Fu) << 12) |
		      ((s[*i + 2] & 0x3Fu) << 6) | (s[*i + 3] & 0x3Fu);
	*i += 4;
	return cp;
}

static inline size_t kc__utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Normalizes one word for the dictionary (no t2s): writes up to cap code points to out,
 * returns their count (0 for an empty result), or -1 when s is not valid UTF-8 or too long. */
void kc__norm_free_conv(char *s);
long kc__norm_word(const struct kc_norm *n, const char *s, size_t len, uint32_t *out, size_t cap);

#endif
