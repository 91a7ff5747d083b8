/* store: import of JSONL and CSV files, all-or-nothing, with every error reported as
 * file:line:field: message.
 *
 * Two threads: a reader parses and validates the files (duplicates and references included)
 * and passes batches of records, in file order, to the caller's thread, which writes them in
 * the one transaction and prints the reader's messages, also in file order. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "store_int.h"
#include "banned.h"

enum {
	IMP_BATCH = 256, /* records per batch */
	IMP_QUEUE = 4,   /* batches between reader and writer */
};

struct pending_ref {
	enum kc_entity target;
	char *value;
	const char *file; /* borrowed from imp->files */
	int64_t line;
	char field[64];
};

/* One line's outcome for the writer: a record to write (a row), a record that is only counted
 * (def without a row: there were errors), or neither (a line or file that had errors). */
struct item {
	const struct kc_entity_def *def; /* NULL: no record to count */
	int has_row;
	size_t row, key;    /* offsets in the batch's rows: the row and the key (NUL-ended) */
	const char *file;   /* borrowed from the file list */
	int64_t line;
	int64_t bytes_done; /* input read up to here, for the progress */
	size_t msg_end;     /* msgs up to here are printed before this item */
};

struct batch {
	struct item items[IMP_BATCH];
	size_t n;
	struct kc_buf rows; /* kc__row_add rows and keys */
	struct kc_buf msgs; /* error lines, in file order */
	struct batch *next;
};

/* Between the reader and the writer; every field under mu. */
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t filled;  /* a batch was queued, or the reader ended */
	pthread_cond_t drained; /* a batch was taken, or the writer gave up */
	struct batch *head, *tail; /* queued, in file order */
	struct batch *spare;       /* written batches, for reuse */
	int queued;
	int done;   /* the reader ended; rc and err tell how */
	int cancel; /* the writer failed: the reader stops */
	int rc;
	struct kc_err err;
};

struct imp {
	/* The writer's (the caller's thread). */
	struct kc_store *st;
	const char *actor;
	FILE *ef;
	struct kc_import_stats *stats;
	int progress;
	double t0, last;
	int64_t bytes_total, bytes_done;
	int progress_shown;
	struct pipe *pipe; /* NULL: no reader thread, batches are written as they fill */
	/* The reader's. */
	int max_errors;
	int errors;
	int stopped;   /* too many errors, or the writer failed: stop reading */
	int cancelled; /* the writer failed */
	/* Keys of each entity: in the database before the import, and added by it. */
	struct kc_strset existing[KC_ENT_COUNT];
	struct kc_strset added[KC_ENT_COUNT];
	struct pending_ref *refs;
	size_t nrefs, caprefs;
	struct kc_buf key;
	struct kc_buf tmp;   /* scratch space of kc__jsonl_object */
	struct batch *cur;   /* being filled */
	int64_t read_bytes;
	char **files;
	size_t nfiles;
	struct kc_err *rerr; /* where the reader's own failures go */
	/* Where we are. */
	const char *file;
	int64_t line;
};

/* Reader: notes an error; its message goes to the writer with the next item. */
static void report(struct imp *im, int64_t line, const char *field, const char *fmt, ...)
	KC_PRINTF(4, 5);
static void report(struct imp *im, int64_t line, const char *field, const char *fmt, ...)
{
	im->errors++;
	if (im->errors > im->max_errors) {
		im->stopped = 1;
		return;
	}
	struct kc_buf *b = &im->cur->msgs;
	va_list ap;
	va_start(ap, fmt);
	if (field)
		kc_buf_addf(b, "%s:%" PRId64 ":%s: ", im->file, line, field);
	else
		kc_buf_addf(b, "%s:%" PRId64 ": ", im->file, line);
	size_t from = b->len;
	kc_buf_vaddf(b, fmt, ap);
	/* a value quoted as '%.60s' may end in half a character */
	if (b->ptr != NULL && b->len > from)
		kc_utf8_scrub(b->ptr + from, b->len - from);
	kc_buf_addc(b, '\n');
	va_end(ap);
}

static void diag_cb(void *ud, const char *field, const char *msg)
{
	struct imp *im = ud;
	report(im, im->line, field, "%s", msg);
}

static void show_progress(struct imp *im, int final)
{
	if (!im->progress)
		return;
	double now = kc_now();
	if (!final && (now - im->t0 < 1.0 || now - im->last < 0.2))
		return;
	if (final && !im->progress_shown)
		return;
	im->last = now;
	int64_t n = im->stats->total;
	double pct = im->bytes_total > 0 ? 100.0 * (double)im->bytes_done / (double)im->bytes_total
					 : 0.0;
	double rate = now > im->t0 ? (double)n / (now - im->t0) : 0.0;
	int bars = (int)(pct / 5.0);
	char bar[21];
	for (int i = 0; i < 20; i++)
		bar[i] = i < bars ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\r\033[Kimport [%s] %5.1f%%  %" PRId64 " records  %.0f/s", bar, pct, n,
		rate);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
	im->progress_shown = !final;
}

static struct batch *batch_new(void)
{
	struct batch *b = kc_calloc(1, sizeof(*b));
	if (b) {
		kc_buf_init(&b->rows, 0);
		kc_buf_init(&b->msgs, 0);
	}
	return b;
}

static void batch_reset(struct batch *b)
{
	b->n = 0;
	b->next = NULL;
	kc_buf_reset(&b->rows);
	kc_buf_reset(&b->msgs);
}

static void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	kc_buf_release(&b->rows);
	kc_buf_release(&b->msgs);
	kc_free(b);
}

static void batch_list_free(struct batch *b)
{
	while (b) {
		struct batch *next = b->next;
		batch_free(b);
		b = next;
	}
}

/* Writer: prints what b->msgs holds from *from up to end. */
static void print_msgs(struct imp *im, const struct batch *b, size_t *from, size_t end)
{
	if (end <= *from)
		return;
	if (im->progress_shown) {
		fputs("\r\033[K", stderr);
		im->progress_shown = 0;
	}
	fwrite(b->msgs.ptr + *from, 1, end - *from, im->ef);
	*from = end;
}

/* Writer: prints the messages of b and writes its records, in order. */
static int write_batch(struct imp *im, struct batch *b, struct kc_err *err)
{
	size_t from = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		print_msgs(im, b, &from, it->msg_end);
		im->bytes_done = it->bytes_done;
		if (it->has_row) {
			int rc = im->st->ops->put_row(im->st, it->def, b->rows.ptr + it->row,
						      b->rows.ptr + it->key, err);
			if (rc < 0)
				return kc_err_prefix(err, "%s:%" PRId64, it->file, it->line);
		}
		if (it->def) {
			im->stats->records[it->def->ent]++;
			im->stats->total++;
			if ((im->stats->total & 1023) == 0)
				show_progress(im, 0);
		}
	}
	print_msgs(im, b, &from, b->msgs.len);
	return 0;
}

/* Reader: hands the current batch to the writer and starts a new one. Without a reader thread
 * the batch is written here; with one, this waits while the writer is IMP_QUEUE batches
 * behind. A failure of the writer stops the reader (im->stopped, im->cancelled). */
static int flush(struct imp *im)
{
	struct batch *b = im->cur, *next = NULL;
	struct pipe *p = im->pipe;
	if (b->n == 0 && b->msgs.len == 0)
		return 0;
	if (p == NULL) {
		int rc = write_batch(im, b, im->rerr);
		if (rc < 0) {
			im->stopped = im->cancelled = 1;
			return rc;
		}
		batch_reset(b);
		return 0;
	}
	pthread_mutex_lock(&p->mu);
	while (p->queued >= IMP_QUEUE && !p->cancel)
		pthread_cond_wait(&p->drained, &p->mu);
	next = p->spare;
	if (next)
		p->spare = next->next;
	int cancel = p->cancel;
	pthread_mutex_unlock(&p->mu);
	if (cancel) {
		batch_free(next);
		im->stopped = im->cancelled = 1;
		return 0;
	}
	if (next == NULL && (next = batch_new()) == NULL)
		return kc_err_set(im->rerr, KC_ENOMEM, "out of memory");
	batch_reset(next);
	pthread_mutex_lock(&p->mu);
	b->next = NULL;
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->queued++;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->mu);
	im->cur = next;
	return 0;
}

/* Reader: passes the outcome of the current line to the writer: the record rec of def to
 * write (NULL: none), and to count (def NULL: none). */
static int emit(struct imp *im, const struct kc_entity_def *def, const json_t *rec)
{
	struct batch *b = im->cur;
	struct item *it = &b->items[b->n];
	it->def = def;
	it->has_row = rec != NULL;
	it->file = im->file;
	it->line = im->line;
	if (rec) {
		size_t start = b->rows.len;
		int rc = kc__row_add(&b->rows, def, rec, 1);
		it->row = start;
		it->key = b->rows.len;
		if (rc == 0 && kc_buf_add(&b->rows, im->key.ptr, im->key.len + 1) < 0)
			rc = KC_ENOMEM;
		if (rc < 0) {
			b->rows.len = start;
			if (b->rows.ptr)
				b->rows.ptr[start] = '\0';
			if (rc == KC_ENOMEM)
				return kc_err_set(im->rerr, rc, "out of memory");
			return kc_err_set(im->rerr, rc,
					  "%s:%" PRId64 ": %s '%s': cannot bind values", im->file,
					  im->line, def->name, im->key.ptr);
		}
	}
	it->bytes_done = im->read_bytes;
	it->msg_end = b->msgs.len;
	b->n++;
	return b->n == IMP_BATCH ? flush(im) : 0;
}

static int add_pending(struct imp *im, enum kc_entity target, const char *value,
		       const char *field)
{
	if (im->nrefs == im->caprefs) {
		size_t cap = im->caprefs ? im->caprefs * 2 : 256;
		struct pending_ref *r = kc_realloc(im->refs, cap * sizeof(*r));
		if (r == NULL)
			return KC_ENOMEM;
		im->refs = r;
		im->caprefs = cap;
	}
	struct pending_ref *r = &im->refs[im->nrefs];
	r->value = kc_strdup(value);
	if (r->value == NULL)
		return KC_ENOMEM;
	r->target = target;
	r->file = im->file;
	r->line = im->line;
	snprintf(r->field, sizeof(r->field), "%s", field);
	im->nrefs++;
	return 0;
}

static int known(struct imp *im, enum kc_entity e, const char *key, size_t len)
{
	return kc__strset_has(&im->added[e], key, len) ||
	       kc__strset_has(&im->existing[e], key, len);
}

/* Notes references of rec that are not known yet; they are checked at the end. */
static int collect_refs(struct imp *im, const struct kc_entity_def *def, const json_t *rec)
{
	for (unsigned i = 0; i < def->nfields; i++) {
		const struct kc_field *f = &def->fields[i];
		if (f->type != KC_F_REF)
			continue;
		json_t *j = json_object_get(rec, f->name);
		if (j == NULL)
			continue;
		size_t n = json_is_array(j) ? json_array_size(j) : 1;
		for (size_t k = 0; k < n; k++) {
			json_t *item = json_is_array(j) ? json_array_get(j, k) : j;
			const char *v = json_string_value(item);
			if (v == NULL || known(im, f->ref, v, strlen(v)))
				continue;
			char name[64];
			if (json_is_array(j))
				snprintf(name, sizeof(name), "%s[%zu]", f->name, k);
			else
				snprintf(name, sizeof(name), "%s", f->name);
			if (add_pending(im, f->ref, v, name) < 0)
				return KC_ENOMEM;
		}
	}
	return 0;
}

/* Reader: validates one record and (while there is no error) passes it to the writer. */
static int import_record(struct imp *im, const struct kc_entity_def *def, json_t *rec,
			 struct kc_err *err)
{
	int rc = 0;
	int n = kc_record_validate(def, rec, diag_cb, im);
	if (n < 0) {
		rc = kc_err_set(err, n, "out of memory");
		goto cleanup;
	}
	int krc = kc_record_key(def, rec, &im->key);
	if (krc == KC_ENOMEM) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (krc == 0) {
		size_t klen = im->key.len;
		if (kc__strset_has(&im->existing[def->ent], im->key.ptr, klen)) {
			report(im, im->line, def->has_id ? "id" : NULL,
			       "duplicate: %s '%s' already exists in the database", def->name,
			       im->key.ptr);
		} else {
			int added = kc__strset_add(&im->added[def->ent], im->key.ptr, klen);
			if (added < 0) {
				rc = kc_err_set(err, KC_ENOMEM, "out of memory");
				goto cleanup;
			}
			if (added == 0) {
				report(im, im->line, def->has_id ? "id" : NULL,
				       "duplicate: %s '%s' appears earlier in this import",
				       def->name, im->key.ptr);
			}
		}
	}
	if (collect_refs(im, def, rec) < 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = emit(im, def, im->errors == 0 ? rec : NULL);
cleanup:
	return rc;
}

/* Skips a UTF-8 byte order mark at the start of a file. */
static void skip_bom(FILE *f)
{
	int c1 = fgetc(f);
	if (c1 == 0xEF) {
		int c2 = fgetc(f), c3 = fgetc(f);
		if (c2 == 0xBB && c3 == 0xBF)
			return;
	}
	rewind(f);
}

static const char *type_list(void)
{
	return "chain, node, edge, org, org_node, supply, demand, challenge, scenario, match, user";
}

static int import_jsonl(struct imp *im, FILE *f, struct kc_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = 0, records = 0;
	skip_bom(f);
	im->line = 0;
	while (!im->stopped && (got = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)got;
		im->line++;
		im->read_bytes += got;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		size_t sp = 0;
		while (sp < len && (line[sp] == ' ' || line[sp] == '\t'))
			sp++;
		if (sp == len || (len - sp >= 2 && line[sp] == '/' && line[sp + 1] == '/'))
			continue;
		records++;
		if (len > KC_LIMIT_RECORD) {
			report(im, im->line, NULL, "line too long: %zu bytes, the limit is %d", len,
			       KC_LIMIT_RECORD);
			continue;
		}
		long bad = kc_utf8_check(line, len);
		if (bad >= 0) {
			report(im, im->line, NULL, "invalid UTF-8 at byte %ld of the line", bad + 1);
			continue;
		}
		json_error_t jerr;
		json_t *rec = kc__jsonl_object(line, len, &im->tmp);
		if (rec == NULL)
			rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (rec == NULL) {
			/* each line is parsed alone: jansson's "end of file" is the line's end */
			char *eof = strstr(jerr.text, "end of file");
			if (eof != NULL)
				memcpy(eof, "end of line", 11); /* as long: the rest stays */
			report(im, im->line, NULL, "invalid JSON at column %d: %s", jerr.column,
			       jerr.text);
			continue;
		}
		if (!json_is_object(rec)) {
			report(im, im->line, NULL, "expected a JSON object, one record per line");
			json_decref(rec);
			continue;
		}
		json_t *type = json_object_get(rec, "type");
		const struct kc_entity_def *def =
			json_is_string(type) ? kc_entity_find(json_string_value(type)) : NULL;
		if (type == NULL)
			report(im, im->line, "type", "missing required field (记录类型); one of: %s",
			       type_list());
		else if (!json_is_string(type))
			report(im, im->line, "type", "expected a string");
		else if (def == NULL)
			report(im, im->line, "type", "'%.60s' is not a known type; one of: %s",
			       json_string_value(type), type_list());
		if (def)
			rc = import_record(im, def, rec, err);
		json_decref(rec);
		if (rc < 0)
			goto cleanup;
	}
	if (ferror(f)) {
		rc = kc_err_set(err, KC_EIO, "%s: read error: %s", im->file, strerror(errno));
		goto cleanup;
	}
	if (records == 0 && !im->stopped)
		report(im, 1, NULL, "empty file: no records");
cleanup:
	free(line);
	return rc;
}

/* Converts CSV cell s of field f (valid UTF-8) into a JSON value; NULL with *bad set when it
 * does not parse as the field's type (the validator then reports the type). */
static json_t *csv_value(const struct kc_field *f, const char *s, size_t len, const char **bad)
{
	*bad = NULL;
	if ((f->flags & KC_FF_LIST) || f->type == KC_F_OBJECT) {
		if (len > 0 && (s[0] == '[' || s[0] == '{')) {
			json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES, NULL);
			if (j == NULL)
				*bad = "invalid JSON in the cell";
			return j;
		}
		if (f->type == KC_F_OBJECT) {
			*bad = "expected a JSON object";
			return NULL;
		}
		json_t *arr = json_array();
		size_t i = 0;
		while (arr && i <= len) {
			size_t j = i;
			while (j < len && s[j] != ';')
				j++;
			size_t a = i, b = j;
			while (a < b && (s[a] == ' ' || s[a] == '\t'))
				a++;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (b > a)
				json_array_append_new(arr, json_stringn_nocheck(s + a, b - a));
			i = j + 1;
		}
		return arr;
	}
	char tmp[64];
	switch (f->type) {
	case KC_F_INT:
	case KC_F_NUM: {
		if (len == 0 || len >= sizeof(tmp)) {
			*bad = f->type == KC_F_INT ? "expected an integer" : "expected a number";
			return NULL;
		}
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		char *end = NULL;
		errno = 0;
		if (f->type == KC_F_INT) {
			long long v = strtoll(tmp, &end, 10);
			if (*end || errno) {
				*bad = "expected an integer";
				return NULL;
			}
			return json_integer(v);
		}
		double d = strtod(tmp, &end);
		if (*end || errno || !isfinite(d)) {
			*bad = "expected a number";
			return NULL;
		}
		return json_real(d);
	}
	case KC_F_BOOL:
		if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1'))
			return json_true();
		if ((len == 5 && memcmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0'))
			return json_false();
		*bad = "expected true or false";
		return NULL;
	default:
		return json_stringn_nocheck(s, len);
	}
}

static int import_csv(struct imp *im, FILE *f, const char *base, struct kc_err *err)
{
	struct kc_csv csv;
	const struct kc_field **cols = NULL;
	int rc = 0;
	const struct kc_entity_def *def = NULL;
	char name[128];
	size_t bl = strlen(base);
	if (bl > 4 && bl - 4 < sizeof(name)) {
		memcpy(name, base, bl - 4);
		name[bl - 4] = '\0';
		def = kc_entity_find(name);
	}
	im->line = 1;
	if (def == NULL) {
		report(im, 1, NULL,
		       "cannot tell the record type from the file name; name the file <type>.csv"
		       " with type one of: %s",
		       type_list());
		return 0;
	}
	skip_bom(f);
	kc__csv_init(&csv, f, KC_LIMIT_RECORD);
	int ncols = 0;
	rc = kc__csv_next(&csv);
	if (rc == KC_CSV_EOF) {
		report(im, 1, NULL, "empty file: no header row and no records");
		rc = 0;
		goto cleanup;
	}
	if (rc < 0)
		goto csv_error;
	im->read_bytes += (int64_t)csv.record_bytes;
	ncols = (int)csv.nfields;
	cols = kc_calloc(csv.nfields, sizeof(*cols));
	if (cols == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	int header_ok = 1;
	for (size_t c = 0; c < csv.nfields; c++) {
		const char *h = csv.fields[c];
		if (!kc_utf8_valid(h, csv.lens[c])) {
			report(im, 1, NULL, "invalid UTF-8 in the header row");
			header_ok = 0;
			break;
		}
		cols[c] = kc_entity_field(def, h);
		if (cols[c] == NULL && strcmp(h, "type") != 0) {
			report(im, 1, h, "unknown column '%.60s' for type %s", h, def->name);
			header_ok = 0;
		}
		for (size_t d = 0; d < c; d++)
			if (strcmp(csv.fields[d], h) == 0) {
				report(im, 1, h, "column '%.60s' appears twice", h);
				header_ok = 0;
			}
	}
	if (!header_ok)
		goto cleanup;
	int records = 0;
	while (!im->stopped && (rc = kc__csv_next(&csv)) >= 0) {
		im->line = csv.record_line;
		im->read_bytes += (int64_t)csv.record_bytes;
		if (csv.nfields == 1 && csv.lens[0] == 0)
			continue; /* blank line */
		records++;
		if ((int)csv.nfields != ncols) {
			report(im, im->line, NULL, "expected %d columns as in the header, found %zu",
			       ncols, csv.nfields);
			continue;
		}
		long bad_at = -1;
		for (size_t c = 0; c < csv.nfields && bad_at < 0; c++)
			if (!kc_utf8_valid(csv.fields[c], csv.lens[c]))
				bad_at = (long)c;
		if (bad_at >= 0) {
			report(im, im->line, cols[bad_at] ? cols[bad_at]->name : NULL,
			       "invalid UTF-8");
			continue;
		}
		json_t *rec = json_object();
		if (rec == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto cleanup;
		}
		int bad_cells = 0;
		for (size_t c = 0; c < csv.nfields; c++) {
			if (cols[c] == NULL || csv.lens[c] == 0)
				continue;
			const char *why = NULL;
			json_t *v = csv_value(cols[c], csv.fields[c], csv.lens[c], &why);
			if (v == NULL) {
				report(im, im->line, cols[c]->name, "%s, got '%.60s'",
				       why ? why : "out of memory", csv.fields[c]);
				bad_cells++;
				continue;
			}
			json_object_set_new_nocheck(rec, cols[c]->name, v);
		}
		if (bad_cells == 0)
			rc = import_record(im, def, rec, err);
		json_decref(rec);
		if (rc < 0)
			goto cleanup;
	}
	if (rc != KC_CSV_EOF && rc < 0)
		goto csv_error;
	rc = 0;
	if (records == 0 && !im->stopped)
		report(im, 1, NULL, "empty file: a header row but no records");
	goto cleanup;
csv_error:
	if (rc == KC_CSV_TOOLONG) {
		report(im, csv.record_line, NULL, "record too long: the limit is %d bytes",
		       KC_LIMIT_RECORD);
		rc = 0;
	} else if (rc == KC_CSV_BADQUOTE) {
		report(im, csv.record_line, NULL,
		       "unterminated quoted field (a '\"' opened here is never closed)");
		rc = 0;
	} else if (rc == KC_ENOMEM) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	} else {
		rc = kc_err_set(err, KC_EIO, "%s: read error: %s", im->file, strerror(errno));
	}
cleanup:
	kc__csv_release(&csv);
	kc_free(cols);
	return rc;
}

static int key_loader(void *ud, const char *key, size_t len)
{
	return kc__strset_add(ud, key, len) < 0 ? KC_ENOMEM : 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t l = strlen(s), m = strlen(suf);
	return l > m && strcmp(s + l - m, suf) == 0;
}

/* Lists the files to import: path itself, or the .jsonl/.csv files of a directory, sorted. */
static int list_files(const char *path, char ***out, size_t *n, struct kc_err *err)
{
	struct stat sb;
	*out = NULL;
	*n = 0;
	if (stat(path, &sb) != 0)
		return kc_err_set(err, KC_ENOTFOUND, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode)) {
		if (!has_suffix(path, ".jsonl") && !has_suffix(path, ".csv") &&
		    !has_suffix(path, ".json"))
			return kc_err_set(err, KC_EINVAL,
					  "%s: unknown format; name the file *.jsonl or <type>.csv",
					  path);
		char **v = kc_calloc(1, sizeof(char *));
		if (v == NULL || (v[0] = kc_strdup(path)) == NULL) {
			kc_free(v);
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		}
		*out = v;
		*n = 1;
		return 0;
	}
	DIR *d = opendir(path);
	if (d == NULL)
		return kc_err_set(err, KC_EIO, "%s: %s", path, strerror(errno));
	char **v = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    !(has_suffix(de->d_name, ".jsonl") || has_suffix(de->d_name, ".csv")))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = kc_realloc(v, cap * sizeof(*nv));
			if (nv == NULL) {
				rc = kc_err_set(err, KC_ENOMEM, "out of memory");
				goto cleanup;
			}
			v = nv;
		}
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_addf(&b, "%s/%s", path, de->d_name);
		if (b.ptr == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto cleanup;
		}
		v[len++] = kc_buf_take(&b);
	}
	if (len == 0) {
		rc = kc_err_set(err, KC_EINVAL, "%s: no .jsonl or .csv files in this directory",
				path);
		goto cleanup;
	}
	qsort(v, len, sizeof(*v), name_cmp);
cleanup:
	closedir(d);
	if (rc < 0) {
		for (size_t i = 0; i < len; i++)
			kc_free(v[i]);
		kc_free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

static int check_pending(struct imp *im)
{
	for (size_t i = 0; i < im->nrefs; i++) {
		struct pending_ref *r = &im->refs[i];
		if (known(im, r->target, r->value, strlen(r->value)))
			continue;
		im->file = r->file;
		report(im, r->line, r->field,
		       "%s '%s' does not exist (neither in the database nor in this import)",
		       kc_entity_def(r->target)->name, r->value);
		if (im->stopped)
			break;
	}
	return 0;
}

/* Reader: reads the files in order. */
static int read_files(struct imp *im)
{
	for (size_t i = 0; i < im->nfiles && !im->stopped; i++) {
		FILE *f = fopen(im->files[i], "rb");
		im->file = im->files[i];
		if (f == NULL)
			return kc_err_set(im->rerr, KC_EIO, "%s: %s", im->files[i],
					  strerror(errno));
		const char *base = strrchr(im->files[i], '/');
		base = base ? base + 1 : im->files[i];
		int rc = has_suffix(base, ".csv") ? import_csv(im, f, base, im->rerr)
						  : import_jsonl(im, f, im->rerr);
		fclose(f);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reader: everything it does, then the last batch to the writer (also after a failure, for
 * the messages before it). Returns 0 or a negative code with im->rerr set. */
static int read_all(struct imp *im)
{
	int rc = read_files(im);
	if (rc == 0 && !im->stopped)
		check_pending(im);
	if (!im->cancelled) {
		int frc = flush(im);
		if (rc == 0)
			rc = frc;
	}
	return rc;
}

static void *reader_main(void *arg)
{
	struct imp *im = arg;
	int rc = read_all(im);
	struct pipe *p = im->pipe;
	pthread_mutex_lock(&p->mu);
	p->rc = rc;
	p->done = 1;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Writer: writes the reader's batches as they come until the reader ends, and returns how it
 * ended. On a failure here the reader is told to stop. */
static int write_all(struct imp *im, struct kc_err *err)
{
	struct pipe *p = im->pipe;
	struct batch *done_with = NULL;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (done_with) {
			done_with->next = p->spare;
			p->spare = done_with;
			done_with = NULL;
		}
		while (p->head == NULL && !p->done)
			pthread_cond_wait(&p->filled, &p->mu);
		struct batch *b = p->head;
		if (b) {
			p->head = b->next;
			if (p->head == NULL)
				p->tail = NULL;
			p->queued--;
			pthread_cond_signal(&p->drained);
		}
		int rrc = p->rc;
		pthread_mutex_unlock(&p->mu);
		if (b == NULL) {
			if (rrc < 0 && err)
				*err = p->err;
			return rrc < 0 ? rrc : 0;
		}
		int rc = write_batch(im, b, err);
		if (rc < 0) {
			batch_free(b);
			pthread_mutex_lock(&p->mu);
			p->cancel = 1;
			pthread_cond_signal(&p->drained);
			pthread_mutex_unlock(&p->mu);
			return rc;
		}
		done_with = b;
	}
}

/* Runs the reader in a thread of its own and writes here; both in this thread when no thread
 * can be started. */
static int run(struct imp *im, struct kc_err *err)
{
	struct pipe p;
	pthread_t tid;
	int rc;
	memset(&p, 0, sizeof(p));
	im->cur = batch_new();
	if (im->cur == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.filled, NULL);
	pthread_cond_init(&p.drained, NULL);
	im->pipe = &p;
	im->rerr = &p.err;
	if (pthread_create(&tid, NULL, reader_main, im) == 0) {
		rc = write_all(im, err);
		pthread_join(tid, NULL);
	} else {
		im->pipe = NULL;
		im->rerr = err;
		rc = read_all(im);
	}
	im->pipe = NULL;
	batch_list_free(p.head);
	batch_list_free(p.spare);
	batch_free(im->cur);
	im->cur = NULL;
	pthread_cond_destroy(&p.drained);
	pthread_cond_destroy(&p.filled);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

int kc_import(struct kc_store *st, const char *path, const struct kc_import_opts *opts,
	      struct kc_import_stats *stats, struct kc_err *err)
{
	struct imp im;
	struct kc_import_stats local;
	char **files = NULL;
	size_t nfiles = 0;
	int rc, in_tx = 0;
	memset(&im, 0, sizeof(im));
	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	im.st = st;
	im.stats = stats;
	im.actor = opts && opts->actor ? opts->actor : "cli";
	im.ef = opts && opts->errors ? opts->errors : stderr;
	im.max_errors = opts && opts->max_errors > 0 ? opts->max_errors : 100;
	im.progress = opts && opts->progress && isatty(STDERR_FILENO);
	im.t0 = im.last = kc_now();
	kc_buf_init(&im.key, 0);
	kc_buf_init(&im.tmp, 0);
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		kc__strset_init(&im.existing[e]);
		kc__strset_init(&im.added[e]);
	}

	rc = list_files(path, &files, &nfiles, err);
	if (rc < 0)
		goto cleanup;
	for (size_t i = 0; i < nfiles; i++) {
		struct stat sb;
		if (stat(files[i], &sb) == 0)
			im.bytes_total += sb.st_size;
	}
	/* References are checked here, against the keys loaded below, so the backend need not. */
	rc = st->ops->begin_bulk(st, im.bytes_total, err);
	if (rc < 0)
		goto cleanup;
	in_tx = 1;
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		rc = kc_store_keys(st, kc_entity_def((enum kc_entity)e), key_loader,
				   &im.existing[e], err);
		if (rc < 0)
			goto cleanup;
	}
	im.files = files;
	im.nfiles = nfiles;
	rc = run(&im, err);
	if (rc < 0)
		goto cleanup;
	show_progress(&im, 1);
	stats->errors = im.errors;
	if (im.errors > 0) {
		if (im.errors > im.max_errors)
			fprintf(im.ef, "stopped after %d errors (--max-errors)\n", im.max_errors);
		rc = kc_err_set(err, KC_EDATA,
				"import failed with %d error%s; nothing was written",
				im.errors > im.max_errors ? im.max_errors : im.errors,
				im.errors == 1 ? "" : "s");
		goto cleanup;
	}
	/* One summary event for the import as a whole. */
	json_t *counts = json_object();
	for (int e = 0; e < KC_ENT_COUNT; e++)
		if (stats->records[e])
			json_object_set_new(counts, kc_entity_def((enum kc_entity)e)->name,
					    json_integer(stats->records[e]));
	json_t *sources = json_array();
	for (size_t i = 0; i < nfiles; i++)
		json_array_append_new(sources, json_string(files[i]));
	json_t *summary = json_pack("{s:o,s:o,s:I}", "sources", sources, "records", counts,
				    "total", (json_int_t)stats->total);
	char *txt = summary ? json_dumps(summary, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(summary);
	if (txt == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = kc_store_event(st, im.actor, NULL, NULL, "import", txt, err);
	free(txt);
	if (rc < 0)
		goto cleanup;
	in_tx = 0;
	rc = kc_store_commit(st, err);
cleanup:
	if (in_tx)
		kc_store_rollback(st);
	stats->seconds = kc_now() - im.t0;
	for (size_t i = 0; i < im.nrefs; i++)
		kc_free(im.refs[i].value);
	kc_free(im.refs);
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		kc__strset_release(&im.existing[e]);
		kc__strset_release(&im.added[e]);
	}
	for (size_t i = 0; i < nfiles; i++)
		kc_free(files[i]);
	kc_free(files);
	kc_buf_release(&im.key);
	kc_buf_release(&im.tmp);
	return rc;
}
