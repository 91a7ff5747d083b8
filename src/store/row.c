/* store: records as rows of column values (lists and objects as JSON text), the form every
 * write takes on its way to the backend. A row is a flat run of bytes, so that an import can
 * build rows in one thread and write them in another. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "banned.h"

/* Cuts b back to len bytes. */
static void cut(struct kc_buf *b, size_t len)
{
	b->len = len;
	if (b->ptr)
		b->ptr[len] = '\0';
}

/* Appends a list of strings as compact JSON, as jansson writes it (UTF-8 kept, '/' not
 * escaped), without jansson's general machinery: imports write millions. Returns 0, 1 when arr
 * holds a non-string (nothing appended), or KC_ENOMEM. */
static int add_string_list(struct kc_buf *b, const json_t *arr)
{
	size_t start = b->len, i;
	json_t *v;
	int rc = kc_buf_addc(b, '[');
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			cut(b, start);
			return 1;
		}
		const char *s = json_string_value(v);
		size_t len = json_string_length(v), run = 0;
		rc |= kc_buf_add(b, i ? ",\"" : "\"", i ? 2 : 1);
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)s[k];
			if (c >= 0x20 && c != '"' && c != '\\')
				continue;
			rc |= kc_buf_add(b, s + run, k - run);
			run = k + 1;
			switch (c) {
			case '"': rc |= kc_buf_add(b, "\\\"", 2); break;
			case '\\': rc |= kc_buf_add(b, "\\\\", 2); break;
			case '\n': rc |= kc_buf_add(b, "\\n", 2); break;
			case '\r': rc |= kc_buf_add(b, "\\r", 2); break;
			case '\t': rc |= kc_buf_add(b, "\\t", 2); break;
			case '\b': rc |= kc_buf_add(b, "\\b", 2); break;
			case '\f': rc |= kc_buf_add(b, "\\f", 2); break;
			default: rc |= kc_buf_addf(b, "\\u%04X", c); break;
			}
		}
		rc |= kc_buf_add(b, s + run, len - run);
		rc |= kc_buf_addc(b, '"');
	}
	rc |= kc_buf_addc(b, ']');
	return rc < 0 ? KC_ENOMEM : 0;
}

static int add_head(struct kc_buf *b, unsigned char type)
{
	return kc_buf_add(b, &type, 1);
}

static int add_text(struct kc_buf *b, const char *s, size_t len)
{
	uint64_t n = len;
	int rc = add_head(b, KC_COL_TEXT);
	rc |= kc_buf_add(b, &n, sizeof(n));
	rc |= kc_buf_add(b, s, len);
	return rc < 0 ? KC_ENOMEM : 0;
}

/* Appends j as JSON text: as a list of strings when list says so and it is one, else with
 * json_dumps when dump says so. Returns 0, 1 when neither applies (nothing appended), or
 * KC_ENOMEM. */
static int add_json_text(struct kc_buf *b, const json_t *j, int list, int dump)
{
	size_t at = b->len;
	uint64_t n = 0;
	int rc = add_head(b, KC_COL_TEXT);
	rc |= kc_buf_add(b, &n, sizeof(n));
	if (rc < 0)
		return KC_ENOMEM;
	size_t start = b->len;
	rc = list ? add_string_list(b, j) : 1;
	if (rc < 0)
		return rc;
	if (rc == 1 && dump) {
		char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (txt == NULL)
			return KC_ENOMEM;
		rc = kc_buf_adds(b, txt);
		free(txt);
		if (rc < 0)
			return KC_ENOMEM;
	}
	if (rc == 1) {
		cut(b, at);
		return 1;
	}
	n = b->len - start;
	memcpy(b->ptr + at + 1, &n, sizeof(n));
	return 0;
}

static int json_col(const struct kc_field *f)
{
	return (f->flags & KC_FF_LIST) || f->type == KC_F_OBJECT;
}

int kc__row_add(struct kc_buf *row, const struct kc_entity_def *def, const json_t *rec,
		int stamps_now)
{
	/* The value of each field, from one pass over the keys rather than a lookup per field. */
	enum { MAX_FIELDS = 64 };
	json_t *vals_buf[MAX_FIELDS];
	json_t **vals = def->nfields <= MAX_FIELDS ? vals_buf : NULL;
	if (vals) {
		const char *key;
		json_t *val;
		unsigned hint = 0;
		memset(vals, 0, def->nfields * sizeof(*vals));
		json_object_foreach((json_t *)rec, key, val)
		{
			const struct kc_field *f = kc__entity_field_next(def, key, &hint);
			if (f)
				vals[f - def->fields] = val;
		}
	}
	for (unsigned i = 0; i < def->nfields; i++) {
		const struct kc_field *f = &def->fields[i];
		json_t *j = vals ? vals[i] : json_object_get(rec, f->name);
		int rc;
		if (j == NULL || json_is_null(j)) {
			rc = add_head(row, stamps_now && (f->flags & KC_FF_AUTO) ? KC_COL_NOW
										 : KC_COL_NULL);
		} else if ((json_is_array(j) && f->type != KC_F_OBJECT) || json_col(f)) {
			rc = add_json_text(row, j, json_is_array(j) && f->type != KC_F_OBJECT,
					   json_col(f));
			if (rc == 1)
				return KC_EINVAL;
		} else if (json_is_string(j)) {
			rc = add_text(row, json_string_value(j), json_string_length(j));
		} else if (json_is_integer(j)) {
			int64_t v = json_integer_value(j);
			rc = add_head(row, KC_COL_INT);
			rc |= kc_buf_add(row, &v, sizeof(v));
		} else if (json_is_real(j)) {
			double v = json_real_value(j);
			rc = add_head(row, KC_COL_REAL);
			rc |= kc_buf_add(row, &v, sizeof(v));
		} else if (json_is_boolean(j)) {
			int64_t v = json_is_true(j);
			rc = add_head(row, KC_COL_INT);
			rc |= kc_buf_add(row, &v, sizeof(v));
		} else {
			return KC_EINVAL;
		}
		if (rc < 0)
			return KC_ENOMEM;
	}
	return 0;
}

const char *kc__row_col(const char *p, struct kc_col *c)
{
	c->type = (unsigned char)*p++;
	switch (c->type) {
	case KC_COL_TEXT: {
		uint64_t n;
		memcpy(&n, p, sizeof(n));
		p += sizeof(n);
		c->s = p;
		c->len = (size_t)n;
		return p + n;
	}
	case KC_COL_INT:
		memcpy(&c->i, p, sizeof(c->i));
		return p + sizeof(c->i);
	case KC_COL_REAL:
		memcpy(&c->d, p, sizeof(c->d));
		return p + sizeof(c->d);
	default:
		return p;
	}
}
