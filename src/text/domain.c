/* The domain dictionary from the store: chain node names and aliases, org short names and
 * keywords, the keywords of supplies and of demands that are not confidential. */
#include <jansson.h>
#include <string.h>

#include "kechan/store.h"
#include "text_int.h"
#include "banned.h"

struct words {
	const char **v; /* borrowed from the strings copied below */
	size_t n, cap;
	struct kc_buf pool; /* NUL-separated copies */
	size_t *offs;
};

static int add_word(struct words *w, const char *s)
{
	if (s == NULL || *s == 0)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		size_t *o = kc_realloc(w->offs, cap * sizeof(size_t));
		if (o == NULL)
			return KC_ENOMEM;
		w->offs = o;
		w->cap = cap;
	}
	w->offs[w->n++] = w->pool.len;
	return kc_buf_add(&w->pool, s, strlen(s) + 1);
}

static int add_field(struct words *w, const json_t *rec, const char *field)
{
	const json_t *v = json_object_get(rec, field);
	if (json_is_string(v))
		return add_word(w, json_string_value(v));
	if (json_is_array(v)) {
		size_t i;
		const json_t *x;
		json_array_foreach(v, i, x) {
			if (json_is_string(x) && add_word(w, json_string_value(x)) != 0)
				return KC_ENOMEM;
		}
	}
	return 0;
}

static int on_node(void *ud, const json_t *rec)
{
	return add_field(ud, rec, "name") || add_field(ud, rec, "aliases") ? KC_ENOMEM : 0;
}

static int on_org(void *ud, const json_t *rec)
{
	return add_field(ud, rec, "short_name") || add_field(ud, rec, "keywords") ? KC_ENOMEM : 0;
}

static int on_keywords(void *ud, const json_t *rec)
{
	const char *vis = json_string_value(json_object_get(rec, "visibility"));
	if (vis != NULL && strcmp(vis, "confidential") == 0)
		return 0;
	return add_field(ud, rec, "keywords") ? KC_ENOMEM : 0;
}

int kc_text_from_store(const struct kc_text *base, struct kc_store *st, struct kc_text **out,
		       size_t *nwords, struct kc_err *err)
{
	struct words w = {0};
	int rc;
	kc_buf_init(&w.pool, 0);
	*out = NULL;
	if ((rc = kc_store_each(st, kc_entity_def(KC_ENT_NODE), NULL, on_node, &w, err)) < 0 ||
	    (rc = kc_store_each(st, kc_entity_def(KC_ENT_ORG), NULL, on_org, &w, err)) < 0 ||
	    (rc = kc_store_each(st, kc_entity_def(KC_ENT_SUPPLY), NULL, on_keywords, &w, err)) < 0 ||
	    (rc = kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), NULL, on_keywords, &w, err)) < 0)
		goto out;
	w.v = kc_malloc((w.n ? w.n : 1) * sizeof(char *));
	if (w.v == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < w.n; i++)
		w.v[i] = w.pool.ptr + w.offs[i];
	rc = kc_text_with_words(base, w.v, NULL, w.n, out, NULL, err);
	if (rc == 0 && nwords != NULL)
		*nwords = w.n;
out:
	kc_free(w.v);
	kc_free(w.offs);
	kc_buf_release(&w.pool);
	return rc < 0 ? rc : 0;
}
