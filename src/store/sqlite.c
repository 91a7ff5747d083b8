/* store: the SQLite backend (embedded default). One file, WAL, foreign keys on, busy timeout,
 * prepared statements cached per entity, schema migrations through PRAGMA user_version. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "migrations.h"
#include "store_int.h"
#include "banned.h"

#define KC_APPLICATION_ID 0x4B434831 /* "KCH1" */

enum { ST_INSERT, ST_UPDATE, ST_GET, ST_DELETE, ST_NSTMT };

#define SQ_CACHE 24 /* statements built at run time (queries, credentials) kept prepared */

struct sqlite_store {
	struct kc_store base;
	sqlite3 *db;
	char *path;
	int readonly;
	int in_tx;
	int in_read;             /* kc_store_read_begin's deferred transaction is open */
	int bulk;                /* a bulk load: foreign keys off, indexes rebuilt at commit */
	struct kc_buf reindex;   /* the CREATE INDEX statements to run before the commit */
	struct kc_buf row;       /* the row being written (sq_put) */
	sqlite3_stmt *stmts[KC_ENT_COUNT][ST_NSTMT];
	sqlite3_stmt *event_stmt;
	struct sq_cached {
		char *sql;          /* owned */
		sqlite3_stmt *stmt; /* owned */
		uint64_t used;      /* tick of the last use */
		int busy;
	} cache[SQ_CACHE];
	uint64_t tick;
	/* Per entity, the last field list sq_get read and its statement: a match answer reads
	 * ten records with one list, compared name by name instead of built into SQL again. */
	struct sq_fields {
		char *names;        /* each name NUL-ended, then one more NUL; owned */
		unsigned *idx, n;   /* the fields' places in def->fields; owned */
		sqlite3_stmt *stmt; /* owned */
	} fields[KC_ENT_COUNT];
};

static struct sqlite_store *S(struct kc_store *st)
{
	return (struct sqlite_store *)st;
}

/* Turns an SQLite result into a KC_E* code and message. */
static int sq_err(struct sqlite_store *s, int rc, struct kc_err *err, const char *what)
{
	int code;
	switch (rc & 0xFF) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: code = KC_EBUSY; break;
	case SQLITE_NOMEM: code = KC_ENOMEM; break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: code = KC_ECORRUPT; break;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY: code = KC_EIO; break;
	case SQLITE_CONSTRAINT:
		code = rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
			       ? KC_EEXIST
			       : KC_EDATA;
		break;
	default: code = KC_EINTERNAL;
	}
	const char *detail = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	return kc_err_set(err, code, "%s: %s: %s", s && s->path ? s->path : "sqlite", what,
			  detail);
}

static int exec(struct sqlite_store *s, const char *sql, struct kc_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int code = sq_err(s, rc, err, "statement failed");
		if (msg)
			kc_err_set(err, code, "%s: %s", s->path, msg);
		sqlite3_free(msg);
		return code;
	}
	return 0;
}

static int is_json_col(const struct kc_field *f)
{
	return (f->flags & KC_FF_LIST) || f->type == KC_F_OBJECT;
}

static void add_ident(struct kc_buf *b, const char *name)
{
	kc_buf_addc(b, '"');
	kc_buf_adds(b, name);
	kc_buf_addc(b, '"');
}

static void add_cols(struct kc_buf *b, const struct kc_entity_def *def)
{
	for (unsigned i = 0; i < def->nfields; i++) {
		if (i)
			kc_buf_addc(b, ',');
		add_ident(b, def->fields[i].name);
	}
}

/* " WHERE k1 = ?n AND k2 = ?n+1" over the key fields, parameters from first. */
static void add_key_where(struct kc_buf *b, const struct kc_entity_def *def, int first)
{
	int n = 0;
	kc_buf_adds(b, " WHERE ");
	for (unsigned i = 0; i < def->nfields; i++) {
		if (!(def->fields[i].flags & KC_FF_KEY))
			continue;
		if (n)
			kc_buf_adds(b, " AND ");
		add_ident(b, def->fields[i].name);
		kc_buf_addf(b, " = ?%d", first + n);
		n++;
	}
}

/* A statement the store keeps for its whole life (stmts[][], event_stmt). */
static int prepare_keep(struct sqlite_store *s, const char *sql, sqlite3_stmt **out,
			struct kc_err *err)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK)
		return sq_err(s, rc, err, "prepare");
	return 0;
}

/* A statement for sql from the cache of recently used ones (least recently used goes), or
 * newly prepared. A statement in use is not handed out twice: a nested query with the same
 * text gets a private one. Give it back with unprepare(). */
static int prepare(struct sqlite_store *s, const char *sql, sqlite3_stmt **out,
		   struct kc_err *err)
{
	struct sq_cached *victim = NULL;
	for (int i = 0; i < SQ_CACHE; i++) {
		struct sq_cached *c = &s->cache[i];
		if (c->sql != NULL && !c->busy && strcmp(c->sql, sql) == 0) {
			c->busy = 1;
			c->used = ++s->tick;
			*out = c->stmt;
			return 0;
		}
		if (!c->busy && (victim == NULL || c->used < victim->used))
			victim = c;
	}
	int rc = prepare_keep(s, sql, out, err);
	if (rc < 0 || victim == NULL)
		return rc;
	char *copy = kc_strdup(sql);
	if (copy == NULL)
		return 0; /* uncached: unprepare() finalizes it */
	sqlite3_finalize(victim->stmt);
	kc_free(victim->sql);
	victim->sql = copy;
	victim->stmt = *out;
	victim->busy = 1;
	victim->used = ++s->tick;
	return 0;
}

/* Gives back a statement from prepare(): reset for the next use, or finalized if uncached. */
static void unprepare(struct sqlite_store *s, sqlite3_stmt *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < SQ_CACHE; i++) {
		if (s->cache[i].stmt == q) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			s->cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(q);
}

/* The cached statement `which` for def, prepared on first use. */
static int stmt(struct sqlite_store *s, const struct kc_entity_def *def, int which,
		sqlite3_stmt **out, struct kc_err *err)
{
	sqlite3_stmt **slot = &s->stmts[def->ent][which];
	if (*slot) {
		*out = *slot;
		return 0;
	}
	struct kc_buf b = KC_BUF_INIT;
	switch (which) {
	case ST_INSERT:
		kc_buf_adds(&b, "INSERT INTO ");
		add_ident(&b, def->name);
		kc_buf_adds(&b, " (");
		add_cols(&b, def);
		kc_buf_adds(&b, ") VALUES (");
		for (unsigned i = 0; i < def->nfields; i++)
			kc_buf_addf(&b, "%s?%u", i ? "," : "", i + 1);
		kc_buf_adds(&b, ")");
		break;
	case ST_UPDATE:
		kc_buf_adds(&b, "UPDATE ");
		add_ident(&b, def->name);
		kc_buf_adds(&b, " SET ");
		for (unsigned i = 0; i < def->nfields; i++) {
			if (i)
				kc_buf_addc(&b, ',');
			add_ident(&b, def->fields[i].name);
			kc_buf_addf(&b, " = ?%u", i + 1);
		}
		add_key_where(&b, def, (int)def->nfields + 1);
		break;
	case ST_GET:
		kc_buf_adds(&b, "SELECT ");
		add_cols(&b, def);
		kc_buf_adds(&b, " FROM ");
		add_ident(&b, def->name);
		add_key_where(&b, def, 1);
		break;
	case ST_DELETE:
		kc_buf_adds(&b, "DELETE FROM ");
		add_ident(&b, def->name);
		add_key_where(&b, def, 1);
		break;
	}
	if (b.ptr == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	int rc = prepare_keep(s, b.ptr, slot, err);
	kc_buf_release(&b);
	if (rc < 0)
		return rc;
	*out = *slot;
	return 0;
}

/* Binds the parts of key (split at '/') to parameters first.. of st. */
static int bind_key(sqlite3_stmt *st, const struct kc_entity_def *def, const char *key,
		    int first)
{
	int n = first;
	const char *p = key;
	for (unsigned i = 0; i < def->nfields; i++) {
		if (!(def->fields[i].flags & KC_FF_KEY))
			continue;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (sqlite3_bind_text(st, n++, p, (int)len, SQLITE_TRANSIENT) != SQLITE_OK)
			return KC_ENOMEM;
		p = end ? end + 1 : p + len;
	}
	return 0;
}

/* Binds the columns of row (kc__row_add) to parameters 1.. of st, KC_COL_NOW as now. The text
 * is not copied: row must stay as it is until the statement is reset. */
static int bind_row(sqlite3_stmt *st, const struct kc_entity_def *def, const char *row,
		    const char *now)
{
	const char *p = row;
	for (unsigned i = 0; i < def->nfields; i++) {
		struct kc_col c;
		int col = (int)i + 1, rc;
		p = kc__row_col(p, &c);
		switch (c.type) {
		case KC_COL_TEXT:
			if (c.len > INT_MAX)
				return KC_EINVAL;
			rc = sqlite3_bind_text(st, col, c.s, (int)c.len, SQLITE_STATIC);
			break;
		case KC_COL_INT: rc = sqlite3_bind_int64(st, col, c.i); break;
		case KC_COL_REAL: rc = sqlite3_bind_double(st, col, c.d); break;
		case KC_COL_NOW:
			rc = now ? sqlite3_bind_text(st, col, now, -1, SQLITE_STATIC)
				 : sqlite3_bind_null(st, col);
			break;
		default: rc = sqlite3_bind_null(st, col); break;
		}
		if (rc != SQLITE_OK)
			return KC_ENOMEM;
	}
	return 0;
}

/* json_stringn with kc_utf8_valid's check, which reads eight ASCII bytes a step (jansson's
 * checks each byte's sequence): the same result, a string or NULL for invalid UTF-8. */
static json_t *text_value(const char *s, size_t n)
{
	return kc_utf8_valid(s, n) ? json_stringn_nocheck(s, n) : NULL;
}

/* A list of strings as row.c writes it, ["a","b"] without spaces or escapes, read without the
 * JSON parser (json_loadb took a third of reading a record). NULL for any other text, which
 * json_loadb then reads, and on OOM or invalid UTF-8, where json_loadb fails the same way. */
static json_t *plain_list(const char *s, size_t n)
{
	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return NULL;
	json_t *arr = json_array();
	size_t i = 1;
	while (arr != NULL && i < n - 1) {
		if (s[i] != '"')
			goto other;
		size_t start = ++i;
		while (i < n && s[i] != '"') {
			if ((unsigned char)s[i] < 0x20 || s[i] == '\\')
				goto other;
			i++;
		}
		/* a closing quote, then ',' and the next string or the final ']' */
		if (i >= n - 1 || (s[i + 1] == ',' ? i + 2 >= n - 1 : i + 1 != n - 1))
			goto other;
		if (json_array_append_new(arr, text_value(s + start, i - start)) != 0)
			goto other;
		i += s[i + 1] == ',' ? 2 : 1;
	}
	return arr;
other:
	json_decref(arr);
	return NULL;
}

/* Builds the record of the current row of st, whose columns from col0 are def's fields
 * idx[0..ncols) (idx NULL: all of def's fields in order). */
static json_t *row_fields(sqlite3_stmt *st, const struct kc_entity_def *def,
			  const unsigned *idx, unsigned ncols, int col0)
{
	json_t *rec = json_object();
	if (rec == NULL)
		return NULL;
	for (unsigned k = 0; k < ncols; k++) {
		const struct kc_field *f = &def->fields[idx ? idx[k] : k];
		int col = col0 + (int)k;
		int t = sqlite3_column_type(st, col);
		json_t *v = NULL;
		if (t == SQLITE_NULL)
			continue;
		if (is_json_col(f)) {
			const char *txt = (const char *)sqlite3_column_text(st, col);
			size_t n = (size_t)sqlite3_column_bytes(st, col);
			if (f->flags & KC_FF_LIST)
				v = plain_list(txt, n);
			if (v == NULL)
				v = json_loadb(txt, n, JSON_DECODE_ANY, NULL);
			if (v == NULL)
				v = json_stringn(txt, (size_t)sqlite3_column_bytes(st, col));
		} else if (f->type == KC_F_BOOL) {
			v = json_boolean(sqlite3_column_int(st, col));
		} else if (f->type == KC_F_INT) {
			v = json_integer(sqlite3_column_int64(st, col));
		} else if (f->type == KC_F_NUM) {
			/* Keep integers integral so export and import round-trip exactly. */
			if (t == SQLITE_INTEGER)
				v = json_integer(sqlite3_column_int64(st, col));
			else
				v = json_real(sqlite3_column_double(st, col));
		} else {
			v = text_value((const char *)sqlite3_column_text(st, col),
				       (size_t)sqlite3_column_bytes(st, col));
		}
		/* field names are ASCII: no UTF-8 check of the key */
		if (v == NULL || json_object_set_new_nocheck(rec, f->name, v) < 0) {
			json_decref(rec);
			return NULL;
		}
	}
	return rec;
}

/* Builds the record of the current row of st, whose columns are def's fields from col0. */
static json_t *row_record(sqlite3_stmt *st, const struct kc_entity_def *def, int col0)
{
	return row_fields(st, def, NULL, def->nfields, col0);
}

/* Runs the write statement q once its values are bound (rc: the binding's result; < 0 = it
 * failed) and resets it for the next use. */
static int run_write(struct sqlite_store *s, sqlite3_stmt *q, const struct kc_entity_def *def,
		     const char *key, int rc, struct kc_err *err)
{
	if (rc < 0) {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		return kc_err_set(err, rc, "%s '%s': cannot bind values", def->name, key);
	}
	int src = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (src != SQLITE_DONE) {
		rc = sq_err(s, sqlite3_extended_errcode(s->db), err, "write");
		if (rc == KC_EEXIST)
			return kc_err_set(err, KC_EEXIST, "%s '%s' already exists", def->name, key);
		return rc;
	}
	return 0;
}

static int sq_put(struct kc_store *st, const struct kc_entity_def *def, json_t *rec,
		  enum kc_put_mode mode, const char *key, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int which = mode == KC_PUT_CREATE ? ST_INSERT : ST_UPDATE;
	int rc = stmt(s, def, which, &q, err);
	if (rc < 0)
		return rc;
	kc_buf_reset(&s->row);
	rc = kc__row_add(&s->row, def, rec, 0);
	if (rc == 0)
		rc = bind_row(q, def, s->row.ptr, NULL);
	if (rc == 0 && which == ST_UPDATE)
		rc = bind_key(q, def, key, (int)def->nfields + 1);
	if ((rc = run_write(s, q, def, key, rc, err)) < 0)
		return rc;
	if (which == ST_UPDATE && sqlite3_changes(s->db) == 0)
		return kc_err_set(err, KC_ENOTFOUND, "%s '%s' not found", def->name, key);
	return 0;
}

static int sq_put_row(struct kc_store *st, const struct kc_entity_def *def, const char *row,
		      const char *key, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = stmt(s, def, ST_INSERT, &q, err);
	if (rc < 0)
		return rc;
	rc = bind_row(q, def, row, kc__store_clock(st));
	return run_write(s, q, def, key, rc, err);
}

/* Whether names (as struct sq_fields keeps them) is the list fields. */
static int same_names(const char *names, const char *const *fields)
{
	size_t i = 0;
	for (; fields[i] != NULL; i++) {
		if (*names == '\0' || strcmp(names, fields[i]) != 0)
			return 0;
		names += strlen(names) + 1;
	}
	return *names == '\0';
}

/* The statement reading fields (NULL-ended names) of a def record by key, kept per entity
 * while the same list comes back. On success *out is s->fields[def->ent]. */
static int fields_stmt(struct sqlite_store *s, const struct kc_entity_def *def,
		       const char *const *fields, struct sq_fields **out, struct kc_err *err)
{
	struct sq_fields *c = &s->fields[def->ent];
	struct kc_buf sql = KC_BUF_INIT, names = KC_BUF_INIT;
	unsigned *idx = NULL, n = 0;
	sqlite3_stmt *q = NULL;
	int rc = 0;
	*out = c;
	if (c->stmt != NULL && same_names(c->names, fields))
		return 0;
	if ((idx = kc_calloc(def->nfields + 1, sizeof(*idx))) == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	kc_buf_adds(&sql, "SELECT ");
	for (size_t i = 0; fields[i] != NULL; i++) {
		const struct kc_field *f = kc_entity_field(def, fields[i]);
		if (f == NULL || n == def->nfields) {
			rc = kc_err_set(err, KC_EINVAL, "%s has no field '%s' (or it is asked twice)",
					def->name, fields[i]);
			goto cleanup;
		}
		if (n)
			kc_buf_addc(&sql, ',');
		add_ident(&sql, f->name);
		kc_buf_add(&names, f->name, strlen(f->name) + 1);
		idx[n++] = (unsigned)(f - def->fields);
	}
	if (n == 0)
		kc_buf_adds(&sql, "1");
	kc_buf_adds(&sql, " FROM ");
	add_ident(&sql, def->name);
	add_key_where(&sql, def, 1);
	if (kc_buf_addc(&names, '\0') < 0 || sql.ptr == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = prepare_keep(s, sql.ptr, &q, err)) < 0)
		goto cleanup;
	sqlite3_finalize(c->stmt);
	kc_free(c->names);
	kc_free(c->idx);
	c->stmt = q;
	c->names = kc_buf_take(&names);
	c->idx = idx;
	c->n = n;
	idx = NULL;
cleanup:
	kc_free(idx);
	kc_buf_release(&sql);
	kc_buf_release(&names);
	return rc;
}

static int sq_get(struct kc_store *st, const struct kc_entity_def *def, const char *key,
		  const char *const *fields, json_t **out, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	struct sq_fields *c = NULL;
	int rc;
	*out = NULL;
	if (fields == NULL)
		rc = stmt(s, def, ST_GET, &q, err);
	else if ((rc = fields_stmt(s, def, fields, &c, err)) == 0)
		q = c->stmt;
	if (rc < 0)
		return rc;
	if (bind_key(q, def, key, 1) < 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	int src = sqlite3_step(q);
	if (src == SQLITE_ROW) {
		*out = c ? row_fields(q, def, c->idx, c->n, 0) : row_record(q, def, 0);
		rc = *out ? 0 : kc_err_set(err, KC_ENOMEM, "out of memory");
	} else if (src == SQLITE_DONE) {
		rc = kc_err_set(err, KC_ENOTFOUND, "%s '%s' not found", def->name, key);
	} else {
		rc = sq_err(s, src, err, "read");
	}
cleanup:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

static int sq_del(struct kc_store *st, const struct kc_entity_def *def, const char *key,
		  struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = stmt(s, def, ST_DELETE, &q, err);
	if (rc < 0)
		return rc;
	if (bind_key(q, def, key, 1) < 0) {
		sqlite3_reset(q);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	int src = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (src != SQLITE_DONE)
		return sq_err(s, sqlite3_extended_errcode(s->db), err, "delete");
	if (sqlite3_changes(s->db) == 0)
		return kc_err_set(err, KC_ENOTFOUND, "%s '%s' not found", def->name, key);
	if (def->ent != KC_ENT_USER)
		return 0;
	/* a user's sessions and tokens go with it: a new user of the same id starts without them */
	if ((rc = prepare(s, "DELETE FROM credential WHERE user_id = ?1", &q, err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	src = sqlite3_step(q);
	unprepare(s, q);
	return src == SQLITE_DONE ? 0 : sq_err(s, src, err, "delete credentials");
}

/* Appends one condition on field f whose value is parameter ?n. */
static void add_cond(struct kc_buf *b, const struct kc_field *f, int n, int negate, int null)
{
	if (null) {
		add_ident(b, f->name);
		kc_buf_adds(b, negate ? " IS NOT NULL" : " IS NULL");
	} else if (f->flags & KC_FF_LIST) {
		kc_buf_adds(b, negate ? "NOT EXISTS (SELECT 1 FROM json_each(" :
			    "EXISTS (SELECT 1 FROM json_each(");
		add_ident(b, f->name);
		kc_buf_addf(b, ") WHERE value = ?%d)", n);
	} else {
		if (negate)
			kc_buf_adds(b, "(");
		add_ident(b, f->name);
		kc_buf_addf(b, negate ? " IS NOT ?%d)" : " = ?%d", n);
	}
}

/* The field a query's `contains` searches: title, else name. */
static const struct kc_field *text_field(const struct kc_entity_def *def)
{
	const struct kc_field *f = kc_entity_field(def, "title");
	return f ? f : kc_entity_field(def, "name");
}

/* Appends the WHERE and ORDER BY clauses for q (field names must be def's: no injection);
 * parameters are numbered in the order bind_query binds them. */
static int add_filter(struct kc_buf *b, const struct kc_entity_def *def, const struct kc_query *q,
		      int order, struct kc_err *err)
{
	if (q == NULL)
		return order ? (kc_buf_adds(b, " ORDER BY rowid"), 0) : 0;
	int n = 0;
	const char *sep = " WHERE ";
	if (q->field) {
		const struct kc_field *f = kc_entity_field(def, q->field);
		if (f == NULL)
			return kc_err_set(err, KC_EINVAL, "%s has no field '%s'", def->name,
					  q->field);
		kc_buf_adds(b, sep);
		add_cond(b, f, ++n, 0, 0);
		sep = " AND ";
	}
	for (size_t i = 0; i < q->nconds; i++) {
		const struct kc_field *f = kc_entity_field(def, q->conds[i].field);
		if (f == NULL)
			return kc_err_set(err, KC_EINVAL, "%s has no field '%s'", def->name,
					  q->conds[i].field);
		kc_buf_adds(b, sep);
		int null = q->conds[i].value == NULL;
		add_cond(b, f, null ? n : ++n, q->conds[i].negate, null);
		sep = " AND ";
	}
	if (q->contains) {
		const struct kc_field *f = text_field(def);
		if (f == NULL)
			return kc_err_set(err, KC_EINVAL, "%s has no title or name to search",
					  def->name);
		kc_buf_adds(b, sep);
		kc_buf_adds(b, "instr(lower(");
		add_ident(b, f->name);
		kc_buf_addf(b, "), lower(?%d)) > 0", ++n);
	}
	if (!order)
		return 0;
	if (q->order_by) {
		const struct kc_field *f = kc_entity_field(def, q->order_by);
		if (f == NULL || (f->flags & KC_FF_LIST) || f->type == KC_F_OBJECT)
			return kc_err_set(err, KC_EINVAL, "%s cannot be sorted by '%s'", def->name,
					  q->order_by);
		kc_buf_adds(b, " ORDER BY ");
		add_ident(b, f->name);
		kc_buf_adds(b, q->desc ? " DESC, rowid DESC" : ", rowid");
	} else {
		kc_buf_adds(b, q->desc ? " ORDER BY rowid DESC" : " ORDER BY rowid");
	}
	return 0;
}

static void bind_query(sqlite3_stmt *sq, const struct kc_query *q)
{
	if (q == NULL)
		return;
	int n = 0;
	if (q->field)
		sqlite3_bind_text(sq, ++n, q->value ? q->value : "", -1, SQLITE_STATIC);
	for (size_t i = 0; i < q->nconds; i++)
		if (q->conds[i].value)
			sqlite3_bind_text(sq, ++n, q->conds[i].value, -1, SQLITE_STATIC);
	if (q->contains)
		sqlite3_bind_text(sq, ++n, q->contains, -1, SQLITE_STATIC);
}

static int sq_each(struct kc_store *st, const struct kc_entity_def *def, const struct kc_query *q,
		   kc_record_fn fn, void *ud, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	struct kc_buf b = KC_BUF_INIT;
	sqlite3_stmt *sq = NULL;
	int rc;
	kc_buf_adds(&b, "SELECT ");
	add_cols(&b, def);
	kc_buf_adds(&b, " FROM ");
	add_ident(&b, def->name);
	rc = add_filter(&b, def, q, 1, err);
	if (rc < 0)
		goto cleanup;
	kc_buf_addf(&b, " LIMIT %" PRId64 " OFFSET %" PRId64,
		    q && q->limit > 0 ? q->limit : (int64_t)-1, q && q->offset > 0 ? q->offset : 0);
	if (b.ptr == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = prepare(s, b.ptr, &sq, err);
	if (rc < 0)
		goto cleanup;
	bind_query(sq, q);
	int src;
	while ((src = sqlite3_step(sq)) == SQLITE_ROW) {
		json_t *rec = row_record(sq, def, 0);
		if (rec == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto cleanup;
		}
		rc = fn(ud, rec);
		json_decref(rec);
		if (rc != 0)
			goto cleanup;
	}
	if (src != SQLITE_DONE)
		rc = sq_err(s, src, err, "read");
cleanup:
	unprepare(s, sq);
	kc_buf_release(&b);
	return rc;
}

static int64_t sq_count(struct kc_store *st, const struct kc_entity_def *def,
			const struct kc_query *q, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	struct kc_buf b = KC_BUF_INIT;
	sqlite3_stmt *sq = NULL;
	int64_t n;
	kc_buf_adds(&b, "SELECT count(*) FROM ");
	add_ident(&b, def->name);
	int rc = add_filter(&b, def, q, 0, err);
	if (rc < 0) {
		n = rc;
		goto cleanup;
	}
	rc = b.ptr ? prepare(s, b.ptr, &sq, err) : kc_err_set(err, KC_ENOMEM, "out of memory");
	if (rc < 0) {
		n = rc;
		goto cleanup;
	}
	bind_query(sq, q);
	rc = sqlite3_step(sq);
	n = rc == SQLITE_ROW ? sqlite3_column_int64(sq, 0) : sq_err(s, rc, err, "count");
cleanup:
	unprepare(s, sq);
	kc_buf_release(&b);
	return n;
}

static int sq_keys(struct kc_store *st, const struct kc_entity_def *def, kc_key_fn fn, void *ud,
		   struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	struct kc_buf b = KC_BUF_INIT;
	sqlite3_stmt *sq = NULL;
	int rc, n = 0;
	kc_buf_adds(&b, "SELECT ");
	for (unsigned i = 0; i < def->nfields; i++) {
		if (!(def->fields[i].flags & KC_FF_KEY))
			continue;
		if (n++)
			kc_buf_adds(&b, " || '/' || ");
		add_ident(&b, def->fields[i].name);
	}
	kc_buf_adds(&b, " FROM ");
	add_ident(&b, def->name);
	rc = b.ptr ? prepare(s, b.ptr, &sq, err) : kc_err_set(err, KC_ENOMEM, "out of memory");
	if (rc < 0)
		goto cleanup;
	int src;
	while ((src = sqlite3_step(sq)) == SQLITE_ROW) {
		rc = fn(ud, (const char *)sqlite3_column_text(sq, 0),
			(size_t)sqlite3_column_bytes(sq, 0));
		if (rc != 0)
			goto cleanup;
	}
	if (src != SQLITE_DONE)
		rc = sq_err(s, src, err, "read");
cleanup:
	unprepare(s, sq);
	kc_buf_release(&b);
	return rc;
}

static int sq_group(struct kc_store *st, const struct kc_entity_def *def, const char *field,
		    kc_group_fn fn, void *ud, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	struct kc_buf b = KC_BUF_INIT;
	sqlite3_stmt *sq = NULL;
	int rc;
	const struct kc_field *f = kc_entity_field(def, field);
	if (f == NULL)
		return kc_err_set(err, KC_EINVAL, "%s has no field '%s'", def->name, field);
	if (f->flags & KC_FF_LIST) {
		kc_buf_adds(&b, "SELECT j.value, count(*) FROM ");
		add_ident(&b, def->name);
		kc_buf_adds(&b, " t, json_each(t.");
		add_ident(&b, field);
		kc_buf_adds(&b, ") j GROUP BY 1 ORDER BY 2 DESC, 1");
	} else {
		kc_buf_adds(&b, "SELECT ");
		add_ident(&b, field);
		kc_buf_adds(&b, ", count(*) FROM ");
		add_ident(&b, def->name);
		kc_buf_adds(&b, " GROUP BY 1 ORDER BY 2 DESC, 1");
	}
	rc = b.ptr ? prepare(s, b.ptr, &sq, err) : kc_err_set(err, KC_ENOMEM, "out of memory");
	if (rc < 0)
		goto cleanup;
	int src;
	while ((src = sqlite3_step(sq)) == SQLITE_ROW) {
		rc = fn(ud, (const char *)sqlite3_column_text(sq, 0), sqlite3_column_int64(sq, 1));
		if (rc != 0)
			goto cleanup;
	}
	if (src != SQLITE_DONE)
		rc = sq_err(s, src, err, "read");
cleanup:
	unprepare(s, sq);
	kc_buf_release(&b);
	return rc;
}

static int sq_event(struct kc_store *st, const char *actor, const char *entity,
		    const char *entity_id, const char *action, const char *diff,
		    struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	if (s->event_stmt == NULL) {
		int rc = prepare_keep(s,
				 "INSERT INTO event (at, actor, entity, entity_id, action, diff)"
				 " VALUES (?6, ?1, ?2, ?3, ?4, ?5)",
				 &s->event_stmt, err);
		if (rc < 0)
			return rc;
	}
	sqlite3_stmt *q = s->event_stmt;
	sqlite3_bind_text(q, 1, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, entity_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, diff, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, kc__store_clock(st), -1, SQLITE_TRANSIENT);
	int src = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (src != SQLITE_DONE)
		return sq_err(s, src, err, "append event");
	return 0;
}

static int sq_events(struct kc_store *st, int64_t n, kc_record_fn fn, void *ud,
		     struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s,
			 "SELECT seq, at, actor, entity, entity_id, action, diff FROM"
			 " (SELECT * FROM event ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
			 &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, n > 0 ? n : -1);
	static const char *const names[] = {"seq", "at", "actor", "entity", "entity_id",
					    "action", "diff"};
	int src;
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *ev = json_object();
		if (ev == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto cleanup;
		}
		json_object_set_new(ev, "seq", json_integer(sqlite3_column_int64(q, 0)));
		for (int c = 1; c < 7; c++) {
			if (sqlite3_column_type(q, c) == SQLITE_NULL)
				continue;
			const char *txt = (const char *)sqlite3_column_text(q, c);
			json_t *v = c == 6 ? json_loads(txt, JSON_DECODE_ANY, NULL) : NULL;
			json_object_set_new(ev, names[c], v ? v : json_string(txt));
		}
		rc = fn(ud, ev);
		json_decref(ev);
		if (rc != 0)
			goto cleanup;
	}
	if (src != SQLITE_DONE)
		rc = sq_err(s, src, err, "read events");
cleanup:
	unprepare(s, q);
	return rc;
}

static int sq_check(struct kc_store *st, kc_diag_fn diag, void *ud, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int problems = 0;
	int rc = prepare(s, "PRAGMA integrity_check", &q, err);
	if (rc < 0)
		return rc;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(q, 0);
		if (line && strcmp(line, "ok") != 0) {
			diag(ud, "sqlite", line);
			problems++;
		}
	}
	unprepare(s, q);
	q = NULL;
	rc = prepare(s, "PRAGMA foreign_key_check", &q, err);
	if (rc < 0)
		return rc;
	while (sqlite3_step(q) == SQLITE_ROW) {
		char msg[256];
		snprintf(msg, sizeof(msg), "row %" PRId64 " of %s refers to a missing %s",
			 (int64_t)sqlite3_column_int64(q, 1), sqlite3_column_text(q, 0),
			 sqlite3_column_text(q, 2));
		diag(ud, (const char *)sqlite3_column_text(q, 0), msg);
		problems++;
	}
	unprepare(s, q);
	return problems;
}

/* ---- credentials ---- */

static int sq_password_get(struct kc_store *st, const char *user_id, char **out,
			   struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	*out = NULL;
	int rc = prepare(s, "SELECT password_hash FROM \"user\" WHERE id = ?1", &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	int src = sqlite3_step(q);
	if (src == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(q, 0);
		if (h != NULL && (*out = kc_strdup(h)) == NULL)
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	} else if (src == SQLITE_DONE) {
		rc = kc_err_set(err, KC_ENOTFOUND, "user '%s' not found", user_id);
	} else {
		rc = sq_err(s, src, err, "read user");
	}
	unprepare(s, q);
	return rc;
}

static int sq_password_set(struct kc_store *st, const char *user_id, const char *hash,
			   struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s, "UPDATE \"user\" SET password_hash = ?2 WHERE id = ?1", &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	int src = sqlite3_step(q);
	if (src != SQLITE_DONE)
		rc = sq_err(s, src, err, "write user");
	else if (sqlite3_changes(s->db) == 0)
		rc = kc_err_set(err, KC_ENOTFOUND, "user '%s' not found", user_id);
	unprepare(s, q);
	return rc;
}

static int sq_cred_put(struct kc_store *st, const struct kc_cred *c, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s,
			 "INSERT INTO credential (kind, hash, id, user_id, name, csrf, expires,"
			 " created_at) VALUES (?1, ?2, substr(?2, 1, 16), ?3, ?4, ?5, ?6, ?7)",
			 &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, c->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, c->user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, c->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, c->expires);
	sqlite3_bind_text(q, 7, kc__store_clock(st), -1, SQLITE_TRANSIENT);
	int src = sqlite3_step(q);
	if (src != SQLITE_DONE)
		rc = sq_err(s, sqlite3_extended_errcode(s->db), err, "write credential");
	unprepare(s, q);
	return rc;
}

static json_t *cred_row(sqlite3_stmt *q, int with_hash)
{
	static const char *const names[] = {"kind", "id", "user_id", "name", "csrf", "expires",
					    "created_at", "hash"};
	json_t *o = json_object();
	for (int c = 0; o && c < (with_hash ? 8 : 7); c++) {
		if (sqlite3_column_type(q, c) == SQLITE_NULL)
			continue;
		json_object_set_new(o, names[c],
				    c == 5 ? json_integer(sqlite3_column_int64(q, c))
					   : json_string((const char *)sqlite3_column_text(q, c)));
	}
	return o;
}

#define CRED_COLS "kind, id, user_id, name, csrf, expires, created_at, hash"

static int sq_cred_get(struct kc_store *st, const char *kind, const char *hash, int64_t now,
		       json_t **out, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	*out = NULL;
	int rc = prepare(s,
			 "SELECT " CRED_COLS " FROM credential WHERE kind = ?1 AND hash = ?2"
			 " AND (expires = 0 OR expires > ?3)",
			 &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	int src = sqlite3_step(q);
	if (src == SQLITE_ROW) {
		if ((*out = cred_row(q, 1)) == NULL)
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	} else if (src == SQLITE_DONE) {
		rc = kc_err_set(err, KC_ENOTFOUND, "no such %s", kind);
	} else {
		rc = sq_err(s, src, err, "read credential");
	}
	unprepare(s, q);
	return rc;
}

static int sq_cred_delete(struct kc_store *st, const char *kind, const char *hash, const char *id,
			  const char *user_id, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s,
			 "DELETE FROM credential WHERE kind = ?1 AND (?2 IS NULL OR hash = ?2)"
			 " AND (?3 IS NULL OR id = ?3) AND (?4 IS NULL OR user_id = ?4)"
			 " AND (?2 IS NOT NULL OR ?3 IS NOT NULL)",
			 &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, user_id, -1, SQLITE_STATIC);
	int src = sqlite3_step(q);
	if (src != SQLITE_DONE)
		rc = sq_err(s, src, err, "delete credential");
	else if (sqlite3_changes(s->db) == 0)
		rc = kc_err_set(err, KC_ENOTFOUND, "no such %s", kind);
	unprepare(s, q);
	return rc;
}

static int sq_cred_list(struct kc_store *st, const char *kind, const char *user_id, int64_t now,
			kc_record_fn fn, void *ud, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s,
			 "SELECT " CRED_COLS " FROM credential WHERE kind = ?1 AND user_id = ?2"
			 " AND (expires = 0 OR expires > ?3) ORDER BY rowid DESC",
			 &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	int src;
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = cred_row(q, 0);
		if (o == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			break;
		}
		rc = fn(ud, o);
		json_decref(o);
		if (rc != 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sq_err(s, src, err, "read credentials");
	unprepare(s, q);
	return rc;
}

static int64_t sq_cred_purge(struct kc_store *st, int64_t now, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s, "DELETE FROM credential WHERE expires <> 0 AND expires <= ?1", &q, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, now);
	int src = sqlite3_step(q);
	int64_t n = src == SQLITE_DONE ? sqlite3_changes(s->db)
				       : sq_err(s, src, err, "purge credentials");
	unprepare(s, q);
	return n;
}

static int sq_schema_version(struct kc_store *st)
{
	sqlite3_stmt *q = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(S(st)->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return v;
}

static int64_t sq_data_version(struct kc_store *st, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = prepare(s, "SELECT coalesce(max(seq), 0) FROM event", &q, err);
	if (rc < 0)
		return rc;
	int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0)
						  : sq_err(s, SQLITE_ERROR, err, "read");
	unprepare(s, q);
	return v;
}

static int sq_begin(struct kc_store *st, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx)
		return kc_err_set(err, KC_EINVAL, "a transaction is already open");
	if (s->in_read)
		return kc_err_set(err, KC_EINVAL, "a write inside a read snapshot");
	int rc = exec(s, "BEGIN IMMEDIATE", err);
	if (rc == 0)
		s->in_tx = 1;
	return rc;
}

/* Ends a bulk load: foreign keys back on, nothing left to rebuild. */
static void bulk_end(struct sqlite_store *s)
{
	if (!s->bulk)
		return;
	s->bulk = 0;
	kc_buf_release(&s->reindex);
	sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
}

static int collect_index(void *ud, int n, char **vals, char **names)
{
	(void)n;
	(void)names;
	struct kc_buf *b = ud;
	if (vals[0] == NULL || vals[1] == NULL)
		return 0;
	kc_buf_addf(b, "DROP INDEX \"%s\";", vals[0]);
	kc_buf_addc(b, '\0');
	kc_buf_addf(b, "%s;", vals[1]);
	kc_buf_addc(b, '\0');
	return 0;
}

/* Opens a transaction for loading many records whose references the caller checks itself:
 * foreign-key enforcement off and, for a big load (hint in bytes), the secondary indexes
 * dropped and built again at commit, in one sort instead of one insert per row. Everything
 * happens inside the transaction: a rollback or a crash leaves the schema as it was. */
static int sq_begin_bulk(struct kc_store *st, int64_t hint, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx)
		return kc_err_set(err, KC_EINVAL, "a transaction is already open");
	int rc = exec(s, "PRAGMA foreign_keys = OFF", err);
	if (rc < 0)
		return rc;
	s->bulk = 1;
	kc_buf_init(&s->reindex, 0);
	rc = exec(s, "BEGIN IMMEDIATE", err);
	if (rc < 0) {
		bulk_end(s);
		return rc;
	}
	s->in_tx = 1;
	if (hint < 32 * 1024 * 1024)
		return 0;
	struct kc_buf pairs = KC_BUF_INIT;
	char *msg = NULL;
	if (sqlite3_exec(s->db,
			 "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT"
			 " NULL AND tbl_name <> 'event'",
			 collect_index, &pairs, &msg) != SQLITE_OK) {
		rc = kc_err_set(err, KC_EINTERNAL, "%s: list indexes: %s", s->path,
				msg ? msg : "?");
		goto cleanup;
	}
	/* pairs: "DROP ...;\0CREATE ...;\0" for each index. */
	for (size_t off = 0; off < pairs.len;) {
		const char *drop = pairs.ptr + off;
		const char *create = drop + strlen(drop) + 1;
		off = (size_t)(create - pairs.ptr) + strlen(create) + 1;
		rc = exec(s, drop, err);
		if (rc < 0)
			goto cleanup;
		kc_buf_adds(&s->reindex, create);
	}
	rc = 0;
cleanup:
	sqlite3_free(msg);
	kc_buf_release(&pairs);
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
		bulk_end(s);
	}
	return rc;
}

static int sq_commit(struct kc_store *st, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	if (!s->in_tx)
		return kc_err_set(err, KC_EINVAL, "no transaction is open");
	char *msg = NULL;
	int rc = SQLITE_OK;
	if (s->bulk && s->reindex.len)
		rc = sqlite3_exec(s->db, s->reindex.ptr, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int code = sq_err(s, sqlite3_extended_errcode(s->db), err, "commit");
		if ((rc & 0xFF) == SQLITE_CONSTRAINT)
			code = kc_err_set(err, KC_EDATA, "%s: commit refused: %s", s->path,
					  msg ? msg : "constraint failed");
		sqlite3_free(msg);
		/* A failed COMMIT of a deferred constraint leaves the transaction open. */
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
		bulk_end(s);
		return code;
	}
	s->in_tx = 0;
	bulk_end(s);
	return 0;
}

static int sq_rollback(struct kc_store *st)
{
	struct sqlite_store *s = S(st);
	if (!s->in_tx)
		return 0;
	s->in_tx = 0;
	int rc = sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : KC_EIO;
	bulk_end(s);
	return rc;
}

/* One statement, stepped once (BEGIN, COMMIT) through the statement cache. */
static int run1(struct sqlite_store *s, const char *sql, struct kc_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = prepare(s, sql, &q, err);
	if (rc < 0)
		return rc;
	int src = sqlite3_step(q);
	unprepare(s, q);
	return src == SQLITE_DONE ? 0 : sq_err(s, src, err, sql);
}

static int sq_read_begin(struct kc_store *st, struct kc_err *err)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx || s->in_read)
		return 0;
	int rc = run1(s, "BEGIN", err);
	if (rc == 0)
		s->in_read = 1;
	return rc;
}

static void sq_read_end(struct kc_store *st)
{
	struct sqlite_store *s = S(st);
	if (!s->in_read)
		return;
	s->in_read = 0;
	if (run1(s, "COMMIT", NULL) != 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_in_tx(struct kc_store *st)
{
	return S(st)->in_tx;
}

static void sq_close(struct kc_store *st)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	for (int e = 0; e < KC_ENT_COUNT; e++)
		for (int k = 0; k < ST_NSTMT; k++)
			sqlite3_finalize(s->stmts[e][k]);
	sqlite3_finalize(s->event_stmt);
	for (int e = 0; e < KC_ENT_COUNT; e++) {
		sqlite3_finalize(s->fields[e].stmt);
		kc_free(s->fields[e].names);
		kc_free(s->fields[e].idx);
	}
	for (int i = 0; i < SQ_CACHE; i++) {
		sqlite3_finalize(s->cache[i].stmt);
		kc_free(s->cache[i].sql);
	}
	kc_buf_release(&s->reindex);
	kc_buf_release(&s->row);
	sqlite3_close(s->db);
	kc_free(s->path);
	kc_free(s);
}

static const struct kc_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.schema_version = sq_schema_version,
	.data_version = sq_data_version,
	.begin = sq_begin,
	.begin_bulk = sq_begin_bulk,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.in_tx = sq_in_tx,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.put = sq_put,
	.put_row = sq_put_row,
	.get = sq_get,
	.del = sq_del,
	.each = sq_each,
	.count = sq_count,
	.keys = sq_keys,
	.group = sq_group,
	.event = sq_event,
	.events = sq_events,
	.password_get = sq_password_get,
	.password_set = sq_password_set,
	.cred_put = sq_cred_put,
	.cred_get = sq_cred_get,
	.cred_delete = sq_cred_delete,
	.cred_list = sq_cred_list,
	.cred_purge = sq_cred_purge,
	.check = sq_check,
};

static int pragma_int(struct sqlite_store *s, const char *sql, int *out)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(q, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(q);
	return rc;
}

static int migrate(struct sqlite_store *s, struct kc_err *err)
{
	int version = 0, app = 0, tables = 0;
	int rc = pragma_int(s, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = pragma_int(s, "PRAGMA application_id", &app);
	if (rc == SQLITE_OK)
		rc = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &tables);
	if (rc != SQLITE_OK) {
		if ((rc & 0xFF) == SQLITE_NOTADB)
			return kc_err_set(err, KC_ECORRUPT,
					  "%s: not a kechan database (not an SQLite file)",
					  s->path);
		return sq_err(s, rc, err, "read schema");
	}
	if ((tables > 0 && version == 0) || (version > 0 && app != KC_APPLICATION_ID))
		return kc_err_set(err, KC_ECORRUPT,
				  "%s: not a kechan database (an SQLite file of another program)",
				  s->path);
	if (version > kc__sqlite_migrations_len)
		return kc_err_set(err, KC_EINVAL,
				  "%s: schema version %d is newer than this kechan knows (%d);"
				  " upgrade kechan",
				  s->path, version, kc__sqlite_migrations_len);
	if (version == kc__sqlite_migrations_len)
		return 0;
	if (s->readonly)
		return kc_err_set(err, KC_EINVAL,
				  "%s: schema version %d needs migrating to %d: run kechan --db %s init",
				  s->path, version, kc__sqlite_migrations_len, s->path);
	rc = exec(s, "BEGIN IMMEDIATE", err);
	if (rc < 0)
		return rc;
	for (int v = version; v < kc__sqlite_migrations_len; v++) {
		for (const char *const *sql = kc__sqlite_migrations[v]; *sql; sql++) {
			rc = exec(s, *sql, err);
			if (rc < 0)
				goto fail;
		}
	}
	char sql[128];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
		 kc__sqlite_migrations_len, KC_APPLICATION_ID);
	rc = exec(s, sql, err);
	if (rc < 0)
		goto fail;
	return exec(s, "COMMIT", err);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int kc__sqlite_open(const char *path, unsigned flags, struct kc_store **out, struct kc_err *err)
{
	struct sqlite_store *s = NULL;
	int rc;
	*out = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0 && !(flags & KC_STORE_CREATE))
		return kc_err_set(err, KC_ENOTFOUND,
				  "%s: no such database (run 'kechan init' or 'kechan import' first)",
				  path);
	s = kc_calloc(1, sizeof(*s));
	if (s == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	s->base.ops = &sqlite_ops;
	s->readonly = (flags & KC_STORE_READONLY) != 0;
	s->path = kc_strdup(path);
	if (s->path == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	int oflags = s->readonly ? SQLITE_OPEN_READONLY
				 : SQLITE_OPEN_READWRITE | (flags & KC_STORE_CREATE ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_err(s, rc, err, "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	rc = exec(s,
		  "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
		  " PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
		  err);
	if (rc == KC_ECORRUPT)
		rc = kc_err_set(err, KC_ECORRUPT, "%s: not a kechan database (not an SQLite file)",
				path);
	if (rc < 0)
		goto fail;
	if (!s->readonly) {
		rc = exec(s, "PRAGMA journal_mode = WAL", err);
		if (rc < 0) {
			if (rc == KC_EINTERNAL || rc == KC_ECORRUPT)
				rc = kc_err_set(err, KC_ECORRUPT,
						"%s: not a kechan database (not an SQLite file)",
						path);
			goto fail;
		}
	}
	rc = migrate(s, err);
	if (rc < 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	sq_close(&s->base);
	return rc;
}
