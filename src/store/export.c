/* store: export of every record as JSONL or CSV files that import back into an identical
 * database. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store_int.h"
#include "banned.h"

struct exp {
	const struct kc_entity_def *def;
	const struct kc_export_opts *opts;
	FILE *f;
	int64_t written;
	int64_t skipped;
	struct kc_strset *hidden; /* ids of confidential demands left out */
	struct kc_buf line;
	int io_error;
};

static int is_hidden(struct exp *x, const json_t *rec)
{
	if (x->opts->include_confidential)
		return 0;
	if (x->def->ent == KC_ENT_DEMAND) {
		const char *vis = json_string_value(json_object_get(rec, "visibility"));
		return vis && strcmp(vis, "confidential") == 0;
	}
	if (x->def->ent == KC_ENT_CHALLENGE || x->def->ent == KC_ENT_MATCH) {
		const char *d = json_string_value(json_object_get(rec, "demand_id"));
		return d && kc__strset_has(x->hidden, d, strlen(d));
	}
	return 0;
}

static int jsonl_row(void *ud, const json_t *rec)
{
	struct exp *x = ud;
	if (is_hidden(x, rec)) {
		x->skipped++;
		return 0;
	}
	json_t *out = json_pack("{s:s}", "type", x->def->name);
	if (out == NULL || json_object_update(out, (json_t *)rec) < 0) {
		json_decref(out);
		return KC_ENOMEM;
	}
	int rc = json_dumpf(out, x->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	if (rc < 0 || fputc('\n', x->f) == EOF) {
		x->io_error = 1;
		return KC_EIO;
	}
	x->written++;
	return 0;
}

static void csv_cell(struct kc_buf *b, const char *s, size_t len)
{
	int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
	for (size_t i = 0; i < len && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			quote = 1;
	if (!quote) {
		kc_buf_add(b, s, len);
		return;
	}
	kc_buf_addc(b, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			kc_buf_addc(b, '"');
		kc_buf_addc(b, s[i]);
	}
	kc_buf_addc(b, '"');
}

/* A list as "a;b;c" when that reads back the same, else as JSON. */
static int list_plain(const json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		size_t l = s ? strlen(s) : 0;
		if (s == NULL || l == 0 || strchr(s, ';') || s[0] == '[' || s[0] == ' ' ||
		    s[0] == '\t' || s[l - 1] == ' ' || s[l - 1] == '\t')
			return 0;
	}
	return 1;
}

static int csv_row(void *ud, const json_t *rec)
{
	struct exp *x = ud;
	struct kc_buf *b = &x->line;
	if (is_hidden(x, rec)) {
		x->skipped++;
		return 0;
	}
	kc_buf_reset(b);
	for (unsigned i = 0; i < x->def->nfields; i++) {
		const struct kc_field *f = &x->def->fields[i];
		json_t *v = json_object_get(rec, f->name);
		if (i)
			kc_buf_addc(b, ',');
		if (v == NULL)
			continue;
		if (json_is_array(v) && list_plain(v)) {
			struct kc_buf cell = KC_BUF_INIT;
			size_t k;
			json_t *item;
			json_array_foreach(v, k, item)
			{
				if (k)
					kc_buf_addc(&cell, ';');
				kc_buf_adds(&cell, json_string_value(item));
			}
			csv_cell(b, kc_buf_cstr(&cell), cell.len);
			kc_buf_release(&cell);
		} else if (json_is_array(v) || json_is_object(v)) {
			char *txt = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (txt == NULL)
				return KC_ENOMEM;
			csv_cell(b, txt, strlen(txt));
			free(txt);
		} else if (json_is_string(v)) {
			csv_cell(b, json_string_value(v), json_string_length(v));
		} else if (json_is_integer(v)) {
			kc_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else if (json_is_real(v)) {
			kc_buf_addf(b, "%.17g", json_real_value(v));
		} else if (json_is_boolean(v)) {
			kc_buf_adds(b, json_is_true(v) ? "true" : "false");
		}
	}
	if (kc_buf_addc(b, '\n') < 0)
		return KC_ENOMEM;
	if (fwrite(b->ptr, 1, b->len, x->f) != b->len) {
		x->io_error = 1;
		return KC_EIO;
	}
	x->written++;
	return 0;
}

static int note_hidden(void *ud, const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	return kc__strset_add(ud, id, strlen(id)) < 0 ? KC_ENOMEM : 0;
}

int64_t kc_export(struct kc_store *st, const char *dir, const struct kc_export_opts *opts,
		  int64_t *skipped, struct kc_err *err)
{
	struct kc_strset hidden;
	struct kc_buf path = KC_BUF_INIT;
	int64_t total = 0, nskipped = 0;
	int rc = 0;
	kc__strset_init(&hidden);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		rc = kc_err_set(err, KC_EIO, "%s: cannot create directory: %s", dir,
				strerror(errno));
		goto cleanup;
	}
	if (!opts->include_confidential) {
		struct kc_query q = {.field = "visibility", .value = "confidential"};
		rc = kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), &q, note_hidden, &hidden, err);
		if (rc < 0)
			goto cleanup;
	}
	/* A read transaction so the files are one consistent snapshot. */
	rc = kc_store_begin(st, err);
	if (rc < 0)
		goto cleanup;
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		const struct kc_entity_def *def = kc_entity_def((enum kc_entity)e);
		int64_t n = kc_store_count(st, def, NULL, err);
		if (n < 0) {
			rc = (int)n;
			goto cleanup;
		}
		if (n == 0)
			continue; /* an empty file would not import */
		const char *ext = opts->format == KC_FORMAT_CSV ? "csv" : "jsonl";
		kc_buf_reset(&path);
		kc_buf_addf(&path, "%s/%s.%s", dir, def->name, ext);
		struct exp x = {def, opts, NULL, 0, 0, &hidden, KC_BUF_INIT, 0};
		x.f = fopen(kc_buf_cstr(&path), "wb");
		if (x.f == NULL) {
			rc = kc_err_set(err, KC_EIO, "%s: %s", kc_buf_cstr(&path), strerror(errno));
			goto cleanup;
		}
		if (opts->format == KC_FORMAT_CSV) {
			for (unsigned i = 0; i < def->nfields; i++)
				fprintf(x.f, "%s%s", i ? "," : "", def->fields[i].name);
			fputc('\n', x.f);
			rc = kc_store_each(st, def, NULL, csv_row, &x, err);
		} else {
			rc = kc_store_each(st, def, NULL, jsonl_row, &x, err);
		}
		kc_buf_release(&x.line);
		if (fclose(x.f) != 0 || x.io_error) {
			rc = kc_err_set(err, KC_EIO, "%s: write error: %s", kc_buf_cstr(&path),
					strerror(errno));
			goto cleanup;
		}
		if (rc < 0) {
			if (rc == KC_ENOMEM)
				kc_err_set(err, rc, "out of memory");
			goto cleanup;
		}
		if (x.written == 0)
			remove(kc_buf_cstr(&path));
		total += x.written;
		nskipped += x.skipped;
	}
cleanup:
	kc_store_rollback(st);
	kc__strset_release(&hidden);
	kc_buf_release(&path);
	if (skipped)
		*skipped = nskipped;
	return rc < 0 ? rc : total;
}
