/* kechan index: the in-memory inverted index over supplies and demands.
 *
 * Documents keep their fields apart (title, description, keywords, codes, nodes, org), each term
 * with its frequency per field; postings are delta + varint byte streams, one per term, appended
 * in document order. Document lengths per field and their averages feed BM25F (module match).
 * Deletes are tombstones; an update is a delete plus an add under a new internal number.
 *
 * Filters (kc_index_filter) are CRoaring bitmaps kept per facet value: kind, visibility, region
 * prefix, TRL, stage, chain node, status and publication month.
 *
 * Term positions are kept for the text fields (KC_FIELD_TEXT_MASK) in a second stream per
 * term, read only for the documents being scored: one word counter over title, description and
 * keywords, a gap of 64 between fields and between list items; a word found inside a longer
 * word stands where that word stands.
 *
 * Skip blocks: every KC_INDEX_BLOCK postings of a term form a block whose last document, byte
 * offsets into both streams and raw bound statistics (largest tf and shortest length per field
 * among its postings) are kept beside the stream, so kc_postings_seek jumps over blocks and
 * match can bound a block's scores (block-max) with the query's own weights.
 *
 * Built from the store at start-up and kept current by kc_index_put/kc_index_delete;
 * snapshots (kc_index_save/load).
 *
 * Thread safety: readers may share an index while no writer runs; writers need exclusion
 * (the HTTP server will hold a read/write lock). */
#ifndef KECHAN_INDEX_H
#define KECHAN_INDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kechan/core.h"
#include "kechan/text.h"

enum kc_field_id {
	KC_FIELD_TITLE = 0,
	KC_FIELD_DESC = 1,
	KC_FIELD_KEYWORDS = 2,
	KC_FIELD_CODES = 3, /* IPC subclasses and GB/T 4754 codes: ipc:h01m, ind:3841 */
	KC_FIELD_NODES = 4, /* chain nodes: node:li-lfp */
	KC_FIELD_ORG = 5,   /* the owning org's name and short name */
	KC_FIELD_COUNT = 6,
};
/* The fields whose term positions are kept (phrase and proximity): title, description,
 * keywords. */
#define KC_FIELD_TEXT_MASK 0x7u

enum kc_doc_kind {
	KC_DOC_SUPPLY = 1,
	KC_DOC_DEMAND = 2,
};

/* Visibility of a document (a demand's `visibility`; supplies are public). */
enum kc_doc_vis {
	KC_VIS_PUBLIC = 0,
	KC_VIS_MEMBERS = 1,
	KC_VIS_CONFIDENTIAL = 2,
};

struct kc_index;
struct kc_store;

/* A document as the index sees it. */
struct kc_doc {
	uint8_t kind; /* enum kc_doc_kind */
	uint8_t vis;  /* enum kc_doc_vis */
	uint8_t deleted;
	uint8_t trl;  /* 0 = unknown */
	uint16_t len[KC_FIELD_COUNT]; /* terms per field */
	char *id;     /* the record's id (owned by the index) */
	char *org_id; /* owned by the index; NULL when none */
	char *region; /* 6-digit code or NULL */
	uint8_t stage;  /* enum kc_doc_stage, 0 = unknown */
	uint8_t closed; /* status closed (supply) or closed (demand): not matched by default */
	uint32_t date;  /* published as yyyymmdd, 0 = unknown */
};

/* A supply's maturity stage (its `stage` field). */
enum kc_doc_stage {
	KC_STAGE_LAB = 1,
	KC_STAGE_CONCEPT = 2,
	KC_STAGE_PILOT = 3,
	KC_STAGE_INDUSTRIAL = 4,
};
/* "lab" → KC_STAGE_LAB ...; 0 when unknown. */
KC_API int kc_doc_stage_parse(const char *s);
KC_API const char *kc_doc_stage_name(int stage);

/* What a query may return. Every condition given must hold; NULL / 0 means "any". */
struct kc_filter {
	enum kc_doc_kind kind;   /* required */
	const char *region;      /* GB/T 2260 code or prefix: "43" (province), "4301" or "430100"
				    (city), "430102" (county) */
	int trl_min, trl_max;    /* TRL range (1..9); documents without a TRL fail a range */
	unsigned stages;         /* bit (1 << KC_STAGE_x) per accepted stage */
	const char *const *nodes; /* any of these chain nodes */
	size_t nnodes;
	uint32_t date_from, date_to; /* published, yyyymmdd, inclusive */
	const char *status;      /* the record's status ("open", "active", ...) */
	const char *org_id;      /* only this org's documents */
	/* who is asking: confidential demands only for their org and admins, members-only
	 * demands only for signed-in members */
	int viewer_admin, viewer_member;
	const char *viewer_org;
};

/* Filter values as people type them (the CLI's options, the API's parameters); each returns 0,
 * or -1 when s is malformed. kc_filter_trl: "5" or "4-7" within 1..9. kc_filter_stages:
 * "lab,pilot" → bits (1 << KC_STAGE_x); on an unknown name it is copied into bad[cap].
 * kc_filter_date: YYYY-MM-DD → yyyymmdd. */
KC_API int kc_filter_trl(const char *s, int *lo, int *hi);
KC_API int kc_filter_stages(const char *s, unsigned *bits, char *bad, size_t cap);
KC_API int kc_filter_date(const char *s, uint32_t *out);

/* A set of document numbers (a CRoaring bitmap inside). */
struct kc_docset;
KC_API void kc_docset_free(struct kc_docset *s);
KC_API int kc_docset_contains(const struct kc_docset *s, uint32_t doc);
KC_API uint64_t kc_docset_count(const struct kc_docset *s);

/* The live documents that pass f; *out is caller-owned (kc_docset_free). KC_EINVAL names a
 * malformed condition (region not digits, TRL out of 1..9, from > to). */
KC_API int kc_index_filter(const struct kc_index *ix, const struct kc_filter *f,
			   struct kc_docset **out, struct kc_err *err);

/* A new empty index that analyzes with t (which must outlive the index). */
KC_API int kc_index_new(struct kc_index **out, const struct kc_text *t, struct kc_err *err);
KC_API void kc_index_free(struct kc_index *ix);

/* Adds or replaces the document of a supply or demand record (a JSON object as the store holds
 * it). org_name may be NULL. */
KC_API int kc_index_put(struct kc_index *ix, enum kc_doc_kind kind, const json_t *rec,
			const char *org_name, struct kc_err *err);
/* Adds or replaces n records of one kind: analyzed on `threads` threads (0 = one per core),
 * appended in order, as n kc_index_put() calls would. org_names may be NULL, or hold NULLs.
 * Stops at the first record that fails (the ones before it are in). */
KC_API int kc_index_put_many(struct kc_index *ix, enum kc_doc_kind kind,
			     const json_t *const *recs, const char *const *org_names, size_t n,
			     unsigned threads, struct kc_err *err);
/* Removes a document; KC_ENOTFOUND when the id is not indexed. */
KC_API int kc_index_delete(struct kc_index *ix, enum kc_doc_kind kind, const char *id,
			   struct kc_err *err);
/* Indexes every supply and demand of the store. */
KC_API int kc_index_build(struct kc_index *ix, struct kc_store *st, struct kc_err *err);

/* The chain graph's neighbours of a node, as loaded by kc_index_build (edges of the store):
 * {"up": [node ids that are inputs of it], "down": [node ids it is an input of], "terms":
 * [its one-word names, see kc_index_add_node]}, borrowed;
 * NULL when the node has no edges. kc_index_add_edge() adds one edge by hand. */
KC_API const json_t *kc_index_node_links(const struct kc_index *ix, const char *node);
KC_API int kc_index_add_edge(struct kc_index *ix, const char *from, const char *to);
/* Chain node names for query expansion: the name, name_en and aliases of the node record rec
 * that the analyzer turns into one word each (正极材料, 正极, cathod), kept as the node's
 * "terms" in kc_index_node_links; kc_index_build adds every node of the store. */
KC_API int kc_index_add_node(struct kc_index *ix, const json_t *rec, struct kc_err *err);
/* The node ids one of whose one-word names is term (borrowed array), NULL when none. */
KC_API const json_t *kc_index_named(const struct kc_index *ix, const char *term);

/* Snapshots. kc_index_save writes the index to path (a temporary file renamed into place),
 * stamped with store_version (kc_store_data_version of the store it was built from) and a
 * checksum. kc_index_load reads one back for analyzer t (the same dictionary it was built
 * with): KC_ENOTFOUND when there is none, KC_EDATA when it is stale (another store version),
 * KC_ECORRUPT when damaged or truncated. On any error the caller builds from the store. */
KC_API int kc_index_save(const struct kc_index *ix, const char *path, int64_t store_version,
			 struct kc_err *err);
KC_API int kc_index_load(struct kc_index **out, const struct kc_text *t, const char *path,
			 int64_t want_version, struct kc_err *err);

/* Counts: live documents of a kind (0 = all kinds), distinct terms, bytes of postings. */
KC_API size_t kc_index_docs(const struct kc_index *ix, int kind);
KC_API size_t kc_index_terms(const struct kc_index *ix);
KC_API size_t kc_index_bytes(const struct kc_index *ix);

/* The exact term of a code: prefix + s (its first keep characters when keep > 0), lower case,
 * written to buf[0..cap) NUL-terminated: ipc:h01m, ind:3841, node:li-lfp. Returns the term's
 * length, or 0 when it does not fit. Used alike by the index and by queries. */
KC_API size_t kc_index_code_term(char *buf, size_t cap, const char *prefix, const char *s,
				 size_t keep);

/* ---- reading (for match) */

/* Internal number of a live document by kind and id, or -1. */
KC_API long kc_index_find(const struct kc_index *ix, enum kc_doc_kind kind, const char *id);
KC_API const struct kc_doc *kc_index_doc(const struct kc_index *ix, uint32_t docno);
/* What scoring reads of every candidate document, packed in 16 bytes beside the documents so
 * that a scan over many candidates stays in cache: struct kc_doc's lengths and flags. */
struct kc_doc_hot {
	uint16_t len[KC_FIELD_COUNT];
	uint8_t kind, vis, deleted, closed;
};
/* The packed records of documents 0 .. kc_index_capacity() - 1, borrowed (valid until the
 * next write to the index). */
KC_API const struct kc_doc_hot *kc_index_hot(const struct kc_index *ix);
/* Number of internal document numbers handed out (live or deleted). */
KC_API uint32_t kc_index_capacity(const struct kc_index *ix);
/* Average length of a field over the live documents of a kind that have it (as Lucene's
 * BM25 does: documents without a title do not make every title look long). */
KC_API double kc_index_avglen(const struct kc_index *ix, int kind, enum kc_field_id f);

/* Postings per skip block (kc__index_set_block changes it for tests). */
#define KC_INDEX_BLOCK 128
/* The index's postings per skip block: KC_INDEX_BLOCK unless a test set another. */
KC_API uint32_t kc_index_block_size(const struct kc_index *ix);

/* One skip block of a term's postings: documents (prev block's last, last], the byte offsets of
 * its first posting in the postings and positions streams, and for bounds the largest tf and
 * the shortest field length per field among its postings (0 where none has the field). */
struct kc_postings_block {
	uint32_t last;
	uint32_t off, poff;
	uint16_t maxtf[KC_FIELD_COUNT];
	uint16_t minlen[KC_FIELD_COUNT];
};

/* A term's postings: *df live-or-deleted documents (the caller skips deleted ones). Returns 0
 * and an empty cursor when the term is unknown. */
struct kc_postings {
	const uint8_t *p, *end;
	uint32_t doc; /* current document, valid after kc_postings_next() returned 1 */
	uint16_t tf[KC_FIELD_COUNT];
	uint8_t fields; /* bit f: the current document has the term in field f */
	uint32_t df;  /* documents in the list (deleted included) */
	uint32_t df_kind[3]; /* per kind (index by enum kc_doc_kind) */
	uint16_t maxtf[KC_FIELD_COUNT];  /* the largest tf in each field over the list */
	uint16_t minlen[KC_FIELD_COUNT]; /* the shortest field length among those documents */
	int done;     /* the end was reached */
	const uint8_t *pp, *pend;     /* positions stream: the next document's, the end */
	const uint8_t *pos, *pos_end; /* the current document's positions */
	const struct kc_postings_block *blk; /* the term's skip blocks (borrowed from the index) */
	uint32_t nblk;
	uint32_t bi;                  /* the block of the current (or next) document */
	const uint8_t *base, *pbase;  /* the streams' starts, for block offsets */
	const uint8_t *bnext;         /* where block bi + 1 starts (end for the last block) */
};
KC_API void kc_index_postings(const struct kc_index *ix, const char *term, size_t len,
			      struct kc_postings *pc);
/* Advances to the next document; returns 0 at the end. */
KC_API int kc_postings_next(struct kc_postings *pc);
/* Advances to the first document >= target (stays when the current one is); 0 at the end.
 * Skips whole blocks (binary search over the skip blocks), decodes within one. */
KC_API int kc_postings_seek(struct kc_postings *pc, uint32_t target);
/* The first block at or after from (an index into pc->blk) whose last document is >= target;
 * pc->nblk when there is none. Moves nothing (a shallow advance for block bounds). */
KC_API uint32_t kc_postings_block_find(const struct kc_postings *pc, uint32_t from,
				       uint32_t target);
/* Decodes a document's positions of a term (a cursor's [pos, pos_end) after
 * kc_postings_next), ascending: the first cap of them are written to out; returns how many. */
KC_API size_t kc_positions_decode(const uint8_t *p, const uint8_t *end, uint32_t *out,
				  size_t cap);

#endif
