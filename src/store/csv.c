/* store: streaming RFC 4180 CSV reader. */
#include "csv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "banned.h"

void kc__csv_init(struct kc_csv *c, FILE *f, size_t max)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->max = max;
	c->next_line = 1;
	kc_buf_init(&c->data, 0);
}

void kc__csv_release(struct kc_csv *c)
{
	free(c->line);
	kc_buf_release(&c->data);
	kc_free(c->offs);
	kc_free(c->fields);
	kc_free(c->lens);
	memset(c, 0, sizeof(*c));
}

static int start_field(struct kc_csv *c)
{
	if (c->nfields == c->capfields) {
		size_t cap = c->capfields ? c->capfields * 2 : 32;
		size_t *o = kc_realloc(c->offs, cap * sizeof(*o));
		if (o == NULL)
			return KC_ENOMEM;
		c->offs = o;
		char **f = kc_realloc(c->fields, cap * sizeof(*f));
		if (f == NULL)
			return KC_ENOMEM;
		c->fields = f;
		size_t *l = kc_realloc(c->lens, cap * sizeof(*l));
		if (l == NULL)
			return KC_ENOMEM;
		c->lens = l;
		c->capfields = cap;
	}
	c->offs[c->nfields++] = c->data.len;
	return 0;
}

static int end_field(struct kc_csv *c)
{
	c->lens[c->nfields - 1] = c->data.len - c->offs[c->nfields - 1];
	return kc_buf_addc(&c->data, '\0');
}

int kc__csv_next(struct kc_csv *c)
{
	int in_quotes = 0, at_start = 1, done = 0, rc;
	c->nfields = 0;
	c->record_bytes = 0;
	c->record_line = c->next_line;
	kc_buf_reset(&c->data);
	if ((rc = start_field(c)) < 0)
		return rc;
	while (!done) {
		ssize_t got = getline(&c->line, &c->line_cap, c->f);
		if (got < 0) {
			if (ferror(c->f))
				return KC_EIO;
			if (in_quotes)
				return KC_CSV_BADQUOTE;
			if (c->record_bytes == 0)
				return KC_CSV_EOF;
			break;
		}
		c->next_line++;
		c->record_bytes += (size_t)got;
		if (c->record_bytes > c->max)
			return KC_CSV_TOOLONG;
		const char *p = c->line;
		size_t n = (size_t)got;
		for (size_t i = 0; i < n; i++) {
			char ch = p[i];
			if (in_quotes) {
				if (ch == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						rc = kc_buf_addc(&c->data, '"');
						i++;
					} else {
						in_quotes = 0;
						rc = 0;
					}
				} else {
					const char *q = memchr(p + i + 1, '"', n - i - 1);
					size_t j = q ? (size_t)(q - p) : n;
					rc = kc_buf_add(&c->data, p + i, j - i);
					i = j - 1;
				}
			} else if (ch == '"' && at_start) {
				in_quotes = 1;
				at_start = 0;
				rc = 0;
			} else if (ch == ',') {
				rc = end_field(c);
				if (rc == 0)
					rc = start_field(c);
				at_start = 1;
			} else if (ch == '\n' || (ch == '\r' && i + 1 < n && p[i + 1] == '\n') ||
				   (ch == '\r' && i + 1 == n)) {
				done = 1;
				break;
			} else {
				/* A run of ordinary bytes in one copy. */
				size_t j = i + 1;
				while (j < n && p[j] != ',' && p[j] != '"' && p[j] != '\n' &&
				       p[j] != '\r')
					j++;
				rc = kc_buf_add(&c->data, p + i, j - i);
				i = j - 1;
				at_start = 0;
			}
			if (rc < 0)
				return rc;
		}
		if (in_quotes)
			done = 0;
	}
	if ((rc = end_field(c)) < 0)
		return rc;
	for (size_t i = 0; i < c->nfields; i++)
		c->fields[i] = c->data.ptr + c->offs[i];
	return 0;
}
