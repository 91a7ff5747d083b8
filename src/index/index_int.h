/* Internal to the index module: the filter facets (CRoaring bitmaps per value). */
#ifndef KC_INDEX_INT_H
#define KC_INDEX_INT_H

#include "kechan/index.h"

/* Bitmaps of documents by facet value: live documents per kind, visibility, region prefixes
 * (2, 4 and 6 digits), TRL, stage, chain node, status, org and publication month. Deleted
 * documents stay in the value bitmaps and leave only the live bitmaps, which every filter
 * starts from. */
struct kc__facets;

int kc__facets_new(struct kc__facets **out);
void kc__facets_free(struct kc__facets *fc);
/* Adds document doc (fields d, record rec) to its facets. */
int kc__facets_add(struct kc__facets *fc, uint32_t doc, const struct kc_doc *d, const json_t *rec);
/* Takes doc out of the live bitmap of its kind. */
void kc__facets_unlink(struct kc__facets *fc, uint32_t doc, uint8_t kind);
int kc__facets_filter(const struct kc__facets *fc, const struct kc_doc *docs,
		      const struct kc_filter *f, struct kc_docset **out, struct kc_err *err);
size_t kc__facets_bytes(const struct kc__facets *fc);

/* Sets the skip block size of an empty index (tests: lists of a few documents span many
 * blocks). KC_EINVAL when the index has documents or n is 0. */
KC_API int kc__index_set_block(struct kc_index *ix, uint32_t n);

int kc__facets_save(const struct kc__facets *fc, struct kc_buf *b);
int kc__facets_load(struct kc__facets *fc, struct kc__rd *r);

#endif
