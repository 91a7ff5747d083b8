/* The CSL documents and term helpers shared by bench/match_eval and bench/match_speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csl.h"

const char *shared(void)
{
	const char *s = getenv("KC_SHARED_DATA");
	return s && *s ? s : KC_SHARED_DATA;
}

struct doc *add_doc(struct corpus *c)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
	}
	struct doc *d = &c->v[c->n++];
	memset(d, 0, sizeof(*d));
	return d;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int load(struct corpus *c)
{
	char path[4096];
	json_error_t je;
	snprintf(path, sizeof(path), "%s/csl/csl_benchmark_records.jsonl", shared());
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		json_t *r = json_loads(line, 0, &je);
		if (r == NULL)
			continue;
		struct doc *d = add_doc(c);
		snprintf(d->id, sizeof(d->id), "p-%s", json_string_value(json_object_get(r, "id")));
		d->title = dup_or_null(json_string_value(json_object_get(r, "title")));
		d->abs = dup_or_null(json_string_value(json_object_get(r, "abstract")));
		d->label = dup_or_null(json_string_value(json_object_get(r, "discipline")));
		size_t i, len = 0;
		json_t *k;
		char buf[4096];
		buf[0] = 0;
		json_array_foreach(json_object_get(r, "keywords"), i, k) {
			int w = snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
					 json_string_value(k));
			if (w > 0 && len + (size_t)w < sizeof(buf))
				len += (size_t)w;
		}
		d->kw = strdup(buf);
		d->paper = 1;
		json_decref(r);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/csl/benchmark/cls_ctg/train.tsv", shared());
	f = fopen(path, "r");
	int n = 0;
	while (f && getline(&line, &cap, f) > 0) {
		char *a = strchr(line, '\t');
		char *b = a ? strchr(a + 1, '\t') : NULL;
		if (b == NULL)
			continue;
		*b = 0;
		struct doc *d = add_doc(c);
		snprintf(d->id, sizeof(d->id), "t-%d", n++);
		d->title = strdup(a + 1);
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/csl/fewclue/csldcp_test_public.json", shared());
	f = fopen(path, "r");
	n = 0;
	while (f && getline(&line, &cap, f) > 0) {
		json_t *r = json_loads(line, 0, &je);
		if (r == NULL)
			continue;
		struct doc *d = add_doc(c);
		snprintf(d->id, sizeof(d->id), "c-%d", n++);
		d->abs = dup_or_null(json_string_value(json_object_get(r, "content")));
		d->label = dup_or_null(json_string_value(json_object_get(r, "label")));
		json_decref(r);
	}
	if (f)
		fclose(f);
	free(line);
	return 0;
}

/* Space-joined analyzed terms of s (index mode). */
void terms_of(const struct kc_text *t, struct kc_text_run *run, const char *s,
		     json_t *arr)
{
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	if (s == NULL || kc_text_analyze(t, run, s, strlen(s), KC_TEXT_INDEX, &terms, &n, &err))
		return;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_stringn(terms[i].text, terms[i].len));
}

char *joined(const json_t *arr)
{
	size_t i, len = 0, cap = 256;
	char *s = malloc(cap);
	const json_t *x;
	s[0] = 0;
	json_array_foreach(arr, i, x) {
		size_t l = json_string_length(x);
		if (len + l + 2 > cap)
			s = realloc(s, cap = (len + l + 2) * 2);
		if (len)
			s[len++] = ' ';
		memcpy(s + len, json_string_value(x), l);
		len += l;
		s[len] = 0;
	}
	return s;
}

/* FTS5 query: every term quoted, OR-joined. */
char *fts_query(const json_t *arr)
{
	size_t i, len = 0, cap = 256;
	char *s = malloc(cap);
	const json_t *x;
	s[0] = 0;
	json_array_foreach(arr, i, x) {
		const char *t = json_string_value(x);
		size_t l = strlen(t);
		if (len + 2 * l + 8 > cap)
			s = realloc(s, cap = (len + 2 * l + 8) * 2);
		if (len) {
			memcpy(s + len, " OR ", 4);
			len += 4;
		}
		s[len++] = '"';
		for (size_t k = 0; k < l; k++) {
			if (t[k] == '"')
				s[len++] = '"';
			s[len++] = t[k];
		}
		s[len++] = '"';
		s[len] = 0;
	}
	return s;
}

