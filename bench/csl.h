/* Shared by the matching benchmarks: the Chinese scientific literature set (CSL) as documents,
 * and helpers to hand kechan's analyzed terms to the peers (SQLite FTS5, Xapian). */
#ifndef KC_BENCH_CSL_H
#define KC_BENCH_CSL_H

#include <jansson.h>
#include <stddef.h>

#include "kechan/text.h"

/* ../shared/data, or $KC_SHARED_DATA */
const char *shared(void);

struct doc {
	char id[32];
	char *title, *abs, *kw; /* kw: keywords joined by spaces; any may be NULL */
	char *label;            /* discipline; csldcp labels may join two with '/' */
	int paper;              /* 1 for the 1,000 papers */
};

struct corpus {
	struct doc *v;
	size_t n, cap;
};

struct doc *add_doc(struct corpus *c);
/* The 1,000 CSL papers (p-ID), the 8,000 cls_ctg titles (t-N), the csldcp abstracts (c-N). */
int load(struct corpus *c);
/* Appends the analyzed terms of s (index mode) to arr as strings. */
void terms_of(const struct kc_text *t, struct kc_text_run *run, const char *s, json_t *arr);
/* The strings of arr joined by spaces (malloc'd). */
char *joined(const json_t *arr);
/* FTS5 query: every term quoted, OR-joined (malloc'd). */
char *fts_query(const json_t *arr);

#endif
