/* store: validation of one record against its entity definition. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kechan/codes.h"
#include "store_int.h"
#include "banned.h"

struct vctx {
	kc_diag_fn diag;
	void *ud;
	int problems;
	int silent; /* a quick first pass: problems are not reported */
};

static void problem(struct vctx *v, const char *field, const char *fmt, ...) KC_PRINTF(3, 4);
static void problem(struct vctx *v, const char *field, const char *fmt, ...)
{
	char msg[600];
	if (v->silent)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kc_utf8_scrub(msg, strlen(msg)); /* a value quoted as '%.40s' may end in half a character */
	v->problems++;
	if (v->diag)
		v->diag(v->ud, field, msg);
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Copies the start of s (at most 40 characters, fewer than n bytes) for quoting in a message,
 * cut on a character boundary, with "…" when cut. */
static const char *quote(const char *s, size_t len, char *out, size_t n)
{
	size_t l = kc_utf8_prefix(s, len, 40);
	if (l + 4 > n) {
		l = n - 4;
		while (l > 0 && ((unsigned char)s[l] & 0xC0) == 0x80)
			l--;
	}
	memcpy(out, s, l);
	if (l < len) {
		memcpy(out + l, "\xe2\x80\xa6", 3);
		l += 3;
	}
	out[l] = '\0';
	return out;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* YYYY-MM-DD with a real day; returns 1 when valid. */
static int check_date(const char *s, size_t len)
{
	int y, m, d;
	if (len != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return 0;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1)
		return 0;
	int max = mdays[m - 1] + (m == 2 && is_leap(y));
	return d <= max;
}

/* YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM). */
static int check_datetime(const char *s, size_t len)
{
	int h, mi, se, oh, om;
	if (len < 20 || !check_date(s, 10) || (s[10] != 'T' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		return 0;
	if (h > 23 || mi > 59 || se > 60)
		return 0;
	size_t i = 19;
	if (s[i] == '.') {
		i++;
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i - start > 9)
			return 0;
	}
	if (i == len - 1 && s[i] == 'Z')
		return 1;
	if (i + 6 == len && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2, &oh) &&
	    s[i + 3] == ':' && digits(s + i + 4, 2, &om))
		return oh <= 14 && om <= 59;
	return 0;
}

static int check_id(const char *s, size_t len)
{
	if (len == 0 || len > KC_LIMIT_ID)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

static void enum_list(const char *const *e, char *out, size_t n)
{
	size_t l = 0;
	out[0] = '\0';
	for (; *e; e++) {
		int w = snprintf(out + l, n - l, "%s%s", l ? ", " : "", *e);
		if (w < 0 || (size_t)w >= n - l)
			break;
		l += (size_t)w;
	}
}

/* Checks one scalar value v of field f; name is the field path for messages ("ipc[2]").
 * Returns 1 when valid. */
static int check_value(struct vctx *v, const struct kc_field *f, const char *name, json_t *j)
{
	char q[200];
	switch (f->type) {
	case KC_F_ID:
	case KC_F_TEXT:
	case KC_F_DATE:
	case KC_F_DATETIME:
	case KC_F_ENUM:
	case KC_F_REGION:
	case KC_F_IPC:
	case KC_F_INDUSTRY:
	case KC_F_REF:
		if (!json_is_string(j)) {
			problem(v, name, "expected a string, got %s", json_kind(j));
			return 0;
		}
		break;
	case KC_F_INT:
		if (!json_is_integer(j)) {
			if (json_is_real(j))
				problem(v, name, "expected an integer, got %g",
					json_real_value(j));
			else
				problem(v, name, "expected an integer, got %s", json_kind(j));
			return 0;
		}
		break;
	case KC_F_NUM:
		if (!json_is_number(j)) {
			problem(v, name, "expected a number, got %s", json_kind(j));
			return 0;
		}
		break;
	case KC_F_BOOL:
		if (!json_is_boolean(j)) {
			problem(v, name, "expected true or false, got %s", json_kind(j));
			return 0;
		}
		break;
	case KC_F_OBJECT:
		if (!json_is_object(j)) {
			problem(v, name, "expected an object, got %s", json_kind(j));
			return 0;
		}
		return 1;
	}

	const char *s = json_is_string(j) ? json_string_value(j) : NULL;
	size_t len = s ? json_string_length(j) : 0;
	if (s && memchr(s, '\0', len)) {
		problem(v, name, "contains a NUL character");
		return 0;
	}
	switch (f->type) {
	case KC_F_ID:
	case KC_F_REF:
		if (!check_id(s, len)) {
			problem(v, name,
				"'%s' is not a valid id (1-%d characters of A-Z a-z 0-9 . _ : -)",
				quote(s, len, q, sizeof(q)), KC_LIMIT_ID);
			return 0;
		}
		return 1;
	case KC_F_TEXT: {
		/* A character takes at least a byte: short texts need no count. */
		size_t chars = f->max && len > (size_t)f->max ? kc_utf8_count(s, len) : 0;
		if (f->max && chars > (size_t)f->max) {
			problem(v, name, "too long: %zu characters, the limit is %" PRId64, chars,
				f->max);
			return 0;
		}
		return 1;
	}
	case KC_F_INT: {
		json_int_t x = json_integer_value(j);
		if (x < f->min || x > f->max) {
			if (strcmp(f->name, "trl") == 0 || strcmp(f->name, "trl_min") == 0)
				problem(v, name, "TRL %" JSON_INTEGER_FORMAT " is outside 1-9",
					x);
			else
				problem(v, name,
					"%" JSON_INTEGER_FORMAT " is outside %" PRId64 "-%" PRId64,
					x, f->min, f->max);
			return 0;
		}
		return 1;
	}
	case KC_F_NUM: {
		double x = json_number_value(j);
		if (!isfinite(x)) {
			problem(v, name, "not a finite number");
			return 0;
		}
		if ((f->flags & KC_FF_NONNEG) && x < 0) {
			problem(v, name, "%g is negative", x);
			return 0;
		}
		return 1;
	}
	case KC_F_DATE:
		if (!check_date(s, len)) {
			problem(v, name, "'%s' is not an ISO-8601 date (YYYY-MM-DD)",
				quote(s, len, q, sizeof(q)));
			return 0;
		}
		return 1;
	case KC_F_DATETIME:
		if (!check_datetime(s, len)) {
			problem(v, name,
				"'%s' is not an ISO-8601 date and time (YYYY-MM-DDTHH:MM:SSZ)",
				quote(s, len, q, sizeof(q)));
			return 0;
		}
		return 1;
	case KC_F_ENUM:
		for (const char *const *e = f->enums; *e; e++)
			if (strcmp(*e, s) == 0)
				return 1;
		{
			char list[400];
			enum_list(f->enums, list, sizeof(list));
			problem(v, name, "'%s' is not allowed; expected one of: %s",
				quote(s, len, q, sizeof(q)), list);
		}
		return 0;
	case KC_F_REGION: {
		uint32_t code = kc_region_parse(s, len);
		if (code != 0 && kc_region_get(code) != NULL)
			return 1;
		/* A division's name ("苏州市", "苏州", "江苏") becomes its code when it is unique. */
		const struct kc_region *r = NULL;
		int found = code == 0 ? kc_region_find(s, len, &r) : 0;
		if (found == 1) {
			char buf[8];
			snprintf(buf, sizeof(buf), "%06u", (unsigned)r->code);
			return json_string_set(j, buf) == 0;
		}
		if (found > 1) {
			char full[128];
			kc_region_fullname(r->code, full, sizeof(full));
			problem(v, name,
				"'%s' names %d divisions (%06u %s, ...); give the 6-digit code",
				quote(s, len, q, sizeof(q)), found, (unsigned)r->code, full);
			return 0;
		}
		problem(v, name,
			"'%s' is not a region code of the GB/T 2260 division table (nor a"
			" division's name)",
			quote(s, len, q, sizeof(q)));
		return 0;
	}
	case KC_F_IPC: {
		int r = kc_ipc_check(s, len);
		if (r == 0) {
			problem(v, name,
				"'%s' is not an IPC symbol (like H01M or H01M 10/0525)",
				quote(s, len, q, sizeof(q)));
			return 0;
		}
		if (r < 0) {
			problem(v, name, "'%s': IPC subclass '%.4s' does not exist",
				quote(s, len, q, sizeof(q)), s);
			return 0;
		}
		return 1;
	}
	case KC_F_INDUSTRY:
		if (kc_industry_name(s, NULL) == NULL) {
			problem(v, name, "'%s' is not a GB/T 4754-2017 industry code",
				quote(s, len, q, sizeof(q)));
			return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static int is_empty(const json_t *j)
{
	return j == NULL || json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0) ||
	       (json_is_array(j) && json_array_size(j) == 0);
}

/* The value of rec's key name: from vals (see kc_record_validate) when it is a field of def. */
static json_t *value_of(const struct kc_entity_def *def, json_t *const *vals, json_t *rec,
			const char *name)
{
	const struct kc_field *f = vals ? kc_entity_field(def, name) : NULL;
	return f ? vals[f - def->fields] : json_object_get(rec, name);
}

static void check_range(struct vctx *v, const struct kc_entity_def *def, json_t *const *vals,
			json_t *rec, const char *lo, const char *hi)
{
	json_t *a = value_of(def, vals, rec, lo);
	json_t *b = value_of(def, vals, rec, hi);
	if (json_is_number(a) && json_is_number(b) && json_number_value(a) > json_number_value(b))
		problem(v, lo, "%g is greater than %s %g", json_number_value(a), hi,
			json_number_value(b));
}

int kc_record_validate(const struct kc_entity_def *def, json_t *rec, kc_diag_fn diag, void *ud)
{
	struct vctx v = {diag, ud, 0, 0};
	if (!json_is_object(rec)) {
		problem(&v, NULL, "expected a JSON object, got %s", json_kind(rec));
		return v.problems;
	}

	/* Unknown fields ("type" names the entity in JSONL and is allowed). Absent values (null,
	 * "", []) are dropped so the store holds one spelling of "absent". */
	const char *key;
	json_t *val;
	void *tmp;
	/* The value of each field, noted on the way through the keys: one lookup per key rather
	 * than one per field (imports validate millions). */
	enum { MAX_FIELDS = 64 };
	json_t *vals_buf[MAX_FIELDS];
	json_t **vals = def->nfields <= MAX_FIELDS ? vals_buf : NULL;
	unsigned hint = 0;
	if (vals)
		memset(vals, 0, def->nfields * sizeof(*vals));
	json_object_foreach_safe(rec, tmp, key, val)
	{
		if (key[0] == 't' && strcmp(key, "type") == 0)
			continue;
		const struct kc_field *kf = kc__entity_field_next(def, key, &hint);
		if (kf == NULL) {
			char q[200];
			problem(&v, key, "unknown field '%s' for type %s",
				quote(key, strlen(key), q, sizeof(q)), def->name);
			continue;
		}
		if (is_empty(val))
			json_object_del(rec, key);
		else if (vals)
			vals[kf - def->fields] = val;
	}

	for (unsigned i = 0; i < def->nfields; i++) {
		const struct kc_field *f = &def->fields[i];
		json_t *j = vals ? vals[i] : json_object_get(rec, f->name);
		if (j == NULL) {
			if (f->flags & KC_FF_REQUIRED)
				problem(&v, f->name, "missing required field (%s)", f->zh);
			else if (f->type == KC_F_ENUM && f->dflt &&
				 json_object_set_new(rec, f->name, json_string(f->dflt)) < 0)
				return KC_ENOMEM;
			continue;
		}
		if (f->flags & KC_FF_LIST) {
			if (!json_is_array(j)) {
				problem(&v, f->name, "expected an array, got %s", json_kind(j));
				continue;
			}
			size_t n = json_array_size(j);
			if (n > f->max_items) {
				problem(&v, f->name, "too many items: %zu, the limit is %u", n,
					f->max_items);
				continue;
			}
			for (size_t k = 0; k < n; k++) {
				json_t *item = json_array_get(j, k);
				v.silent = 1;
				int ok = !is_empty(item) && check_value(&v, f, f->name, item);
				v.silent = 0;
				if (ok)
					continue;
				/* Check again with the item's name for the message. */
				char name[96];
				snprintf(name, sizeof(name), "%s[%zu]", f->name, k);
				if (is_empty(item))
					problem(&v, name, "empty item");
				else
					check_value(&v, f, name, item);
			}
		} else {
			check_value(&v, f, f->name, j);
		}
	}
	check_range(&v, def, vals, rec, "price_min", "price_max");
	check_range(&v, def, vals, rec, "budget_min", "budget_max");
	return v.problems;
}

int kc_record_key(const struct kc_entity_def *def, const json_t *rec, struct kc_buf *out)
{
	kc_buf_reset(out);
	int first = 1;
	for (unsigned i = 0; i < def->nfields; i++) {
		const struct kc_field *f = &def->fields[i];
		if (!(f->flags & KC_FF_KEY))
			continue;
		const char *s = json_string_value(json_object_get(rec, f->name));
		if (s == NULL)
			return KC_EINVAL;
		if (!first && kc_buf_addc(out, '/') < 0)
			return KC_ENOMEM;
		if (kc_buf_adds(out, s) < 0)
			return KC_ENOMEM;
		first = 0;
	}
	return 0;
}
