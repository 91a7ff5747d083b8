/* store: a streaming RFC 4180 CSV reader (quoted fields, "" escapes, newlines inside quotes,
 * CRLF or LF). Internal to the store. */
#ifndef KC_CSV_H
#define KC_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "kechan/core.h"

enum { KC_CSV_EOF = -100, KC_CSV_TOOLONG = -101, KC_CSV_BADQUOTE = -102 };

struct kc_csv {
	FILE *f;          /* borrowed */
	size_t max;       /* bytes of one record */
	char *line;       /* getline buffer */
	size_t line_cap;
	struct kc_buf data; /* the unescaped fields, each NUL-terminated */
	size_t *offs;
	size_t capfields;
	/* The last record read: */
	char **fields;    /* nfields pointers into data */
	size_t *lens;
	size_t nfields;
	int64_t record_line; /* its first line (1-based) */
	size_t record_bytes; /* raw bytes it took */
	int64_t next_line;
};

void kc__csv_init(struct kc_csv *c, FILE *f, size_t max);
void kc__csv_release(struct kc_csv *c);
/* Reads the next record. Returns 0, KC_CSV_EOF, KC_CSV_TOOLONG, KC_CSV_BADQUOTE, KC_ENOMEM or
 * KC_EIO. */
int kc__csv_next(struct kc_csv *c);

#endif
