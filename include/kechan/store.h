/* kechan store: the data model, one storage interface over backends (SQLite now, PostgreSQL
 * later), validation, import and export.
 *
 * Records travel as jansson objects (json_t) whose keys are the field names of the entity's
 * definition (docs/data-format.md). The store owns nothing a caller passes in; records it returns
 * are new references the caller must json_decref().
 *
 * Threading: a struct kc_store handle is used by one thread at a time. Open one per thread. */
#ifndef KECHAN_STORE_H
#define KECHAN_STORE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "kechan/core.h"

/* ---- the data model ---- */

enum kc_entity {
	KC_ENT_CHAIN,
	KC_ENT_NODE,
	KC_ENT_EDGE,
	KC_ENT_ORG,
	KC_ENT_ORG_NODE,
	KC_ENT_SUPPLY,
	KC_ENT_DEMAND,
	KC_ENT_CHALLENGE,
	KC_ENT_SCENARIO,
	KC_ENT_MATCH,
	KC_ENT_USER,
	KC_ENT_COUNT
};

enum kc_ftype {
	KC_F_ID,       /* the record's text id */
	KC_F_TEXT,     /* string, max_chars code points */
	KC_F_INT,      /* integer in [min, max] */
	KC_F_NUM,      /* number >= min when KC_FF_NONNEG */
	KC_F_BOOL,     /* true / false */
	KC_F_DATE,     /* YYYY-MM-DD, a real calendar day */
	KC_F_DATETIME, /* YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM) */
	KC_F_ENUM,     /* one of enums[] */
	KC_F_REGION,   /* 6-digit GB/T 2260 code in the division table */
	KC_F_IPC,      /* IPC symbol whose subclass is in the IPC table */
	KC_F_INDUSTRY, /* GB/T 4754-2017 code in the table */
	KC_F_REF,      /* id of a record of entity `ref` */
	KC_F_OBJECT,   /* any JSON object */
};

enum {
	KC_FF_REQUIRED = 1 << 0, /* must be present and not empty */
	KC_FF_LIST = 1 << 1,     /* a JSON array of the type */
	KC_FF_KEY = 1 << 2,      /* part of the record's key (id, or the pair of an edge) */
	KC_FF_NONNEG = 1 << 3,   /* numbers: >= 0 */
	KC_FF_AUTO = 1 << 4,     /* set by the store when absent (created_at, updated_at) */
};

struct kc_field {
	const char *name;          /* JSON key and column name */
	const char *zh;            /* Chinese label for messages and the UI */
	enum kc_ftype type;
	unsigned flags;            /* KC_FF_* */
	const char *const *enums;  /* KC_F_ENUM: NULL-terminated list */
	const char *dflt;          /* KC_F_ENUM: default stored when absent, or NULL */
	enum kc_entity ref;        /* KC_F_REF: the entity referred to */
	int64_t min, max;          /* KC_F_INT range; KC_F_TEXT: max = max characters */
	unsigned max_items;        /* KC_FF_LIST: at most this many items */
};

struct kc_entity_def {
	enum kc_entity ent;
	const char *name;   /* "supply": the JSONL type, the CSV file name and the SQL table */
	const char *plural; /* "supplies": CLI words */
	const char *zh;     /* "供给" */
	const struct kc_field *fields;
	unsigned nfields;
	int has_id;         /* 1: key is the field "id"; 0: key is the KC_FF_KEY fields */
};

/* The definition of an entity (static, never NULL for a valid ent). */
KC_API const struct kc_entity_def *kc_entity_def(enum kc_entity ent);
/* Finds an entity by its type name or plural ("supply", "supplies"); NULL when unknown. */
KC_API const struct kc_entity_def *kc_entity_find(const char *name);
/* Finds a field of def by name; NULL when unknown. */
KC_API const struct kc_field *kc_entity_field(const struct kc_entity_def *def, const char *name);

/* Limits (characters unless said). */
#define KC_LIMIT_ID 64
#define KC_LIMIT_NAME 200
#define KC_LIMIT_TITLE 300
#define KC_LIMIT_LONGTEXT 20000
#define KC_LIMIT_KEYWORD 50
#define KC_LIMIT_KEYWORDS 64
#define KC_LIMIT_LIST 256
#define KC_LIMIT_RECORD (1024 * 1024) /* bytes of one JSONL line or CSV record */

/* ---- validation ---- */

/* Receives one problem found in a record: field may be NULL (the record as a whole). */
typedef void (*kc_diag_fn)(void *ud, const char *field, const char *msg);

/* Checks rec against def: required fields, unknown fields, types, enums, ranges, codes, limits,
 * cross-field rules. Fills defaults (enum defaults) into rec. References are only checked for
 * shape, not existence. Calls diag once per problem. Returns the number of problems (0 = valid),
 * or KC_ENOMEM. rec is borrowed and modified in place. */
KC_API int kc_record_validate(const struct kc_entity_def *def, json_t *rec, kc_diag_fn diag,
			      void *ud);

/* Writes the record's key into out: its id, or the key fields joined by '/' (ids never
 * contain '/'). Returns 0 or
 * KC_EINVAL when a key field is missing. */
KC_API int kc_record_key(const struct kc_entity_def *def, const json_t *rec, struct kc_buf *out);

/* ---- the store ---- */

struct kc_store;

enum {
	KC_STORE_CREATE = 1 << 0,   /* create the database when it does not exist */
	KC_STORE_READONLY = 1 << 1, /* open for reading only */
};

/* Opens the store named by url: "sqlite:PATH" or a plain PATH (SQLite). A PostgreSQL backend
 * ("postgres://...") is planned; it answers KC_EINVAL for now. Brings the schema up to date
 * (migrations) unless read-only. On success *out owns a handle for kc_store_close(); on failure
 * *out is NULL and err says why (KC_ENOTFOUND when the file does not exist and CREATE is not
 * given, KC_ECORRUPT for a file that is not a kechan database, KC_EIO, KC_EBUSY). */
KC_API int kc_store_open(const char *url, unsigned flags, struct kc_store **out,
			 struct kc_err *err);
/* Closes st (NULL is harmless); rolls back an open transaction. */
KC_API void kc_store_close(struct kc_store *st);

/* The backend's name ("sqlite"). */
KC_API const char *kc_store_backend(const struct kc_store *st);
/* The schema version (PRAGMA user_version for SQLite). */
KC_API int kc_store_schema_version(struct kc_store *st);
/* The highest event sequence number: grows with every write; 0 for an empty store. */
KC_API int64_t kc_store_data_version(struct kc_store *st, struct kc_err *err);

/* Transactions. Every write runs in one: kc_store_put and kc_store_delete open and commit
 * their own when none is open. Nested begin is an error (KC_EINVAL). */
KC_API int kc_store_begin(struct kc_store *st, struct kc_err *err);
KC_API int kc_store_commit(struct kc_store *st, struct kc_err *err);
KC_API int kc_store_rollback(struct kc_store *st);

/* A read snapshot: the reads between kc_store_read_begin and kc_store_read_end see one state of
 * the store and take its locks once (cheaper than a snapshot per read). A write inside it is an
 * error of the backend's (SQLite: KC_EBUSY when another writer came first). Within a write
 * transaction both are no-ops. read_end after a failed or no-op begin does nothing. */
KC_API int kc_store_read_begin(struct kc_store *st, struct kc_err *err);
KC_API void kc_store_read_end(struct kc_store *st);

enum kc_put_mode {
	KC_PUT_CREATE,  /* fail with KC_EEXIST when the key exists */
	KC_PUT_REPLACE, /* fail with KC_ENOTFOUND when it does not */
	KC_PUT_UPSERT,
};

/* Writes rec (validated by the caller with kc_record_validate) as a record of def and appends
 * an event (actor, action "create" or "update" when action is NULL, diff {"after": rec} or
 * {"before": …, "after": …} of the changed fields). Action "import" appends no event: the
 * importer appends one for the whole import (its files and counts). actor and action are
 * borrowed. Missing created_at / updated_at are
 * set to now. Returns 0 or KC_EEXIST, KC_ENOTFOUND, KC_EDATA (a reference to a missing record,
 * reported at commit when inside an explicit transaction), KC_EIO, KC_EBUSY. */
KC_API int kc_store_put(struct kc_store *st, const struct kc_entity_def *def, json_t *rec,
			enum kc_put_mode mode, const char *actor, const char *action,
			struct kc_err *err);
/* Reads the record with key (an id, or key fields joined by '/'). On success *out is a new
 * reference; KC_ENOTFOUND when there is none (also for key NULL). */
KC_API int kc_store_get(struct kc_store *st, const struct kc_entity_def *def, const char *key,
			json_t **out, struct kc_err *err);
/* kc_store_get for some fields only: *out holds those of fields (names of def's fields, the
 * list ended by NULL) that the record has, as kc_store_get would give them, and nothing else.
 * For a reader that needs a few fields of many records (a match answer's results): the others
 * are not read or built. KC_EINVAL for a name def does not have; else as kc_store_get. */
KC_API int kc_store_get_fields(struct kc_store *st, const struct kc_entity_def *def,
			       const char *key, const char *const *fields, json_t **out,
			       struct kc_err *err);
/* Deletes the record with key and appends an event whose diff holds the record as it was.
 * Deleting a user also deletes its sessions and API tokens (kc_store_cred_*), in the same
 * transaction. KC_ENOTFOUND when absent; KC_EDATA when other records still refer to it. */
KC_API int kc_store_delete(struct kc_store *st, const struct kc_entity_def *def, const char *key,
			   const char *actor, struct kc_err *err);

/* One more condition of a query: field == value (a list field: contains value), or != when
 * negate (a list field: does not contain it). A NULL value means the field is absent. */
struct kc_cond {
	const char *field;
	const char *value;
	int negate;
};

/* A query: records of one entity where every condition holds, in insertion order unless
 * order_by names a field. Members after offset are optional (zero = unused). */
struct kc_query {
	const char *field; /* NULL: all records */
	const char *value;
	int64_t limit;     /* <= 0: no limit */
	int64_t offset;
	const struct kc_cond *conds; /* more conditions (borrowed), all must hold */
	size_t nconds;
	const char *contains; /* the record's title (name for entities without one) contains this
				 text (ASCII letters case-insensitive) */
	const char *order_by; /* a scalar field of the entity; NULL = insertion order */
	int desc;             /* 1: descending (ties in reverse insertion order) */
};
/* Calls fn for each record (a borrowed object, valid during the call). fn returns 0 to go on,
 * > 0 to stop (returned by kc_store_each), < 0 to fail with that code. */
typedef int (*kc_record_fn)(void *ud, const json_t *rec);
KC_API int kc_store_each(struct kc_store *st, const struct kc_entity_def *def,
			 const struct kc_query *q, kc_record_fn fn, void *ud, struct kc_err *err);
/* Counts records of def (where field == value when q gives one). */
KC_API int64_t kc_store_count(struct kc_store *st, const struct kc_entity_def *def,
			      const struct kc_query *q, struct kc_err *err);
/* Calls fn with each key of def (borrowed string). */
typedef int (*kc_key_fn)(void *ud, const char *key, size_t len);
KC_API int kc_store_keys(struct kc_store *st, const struct kc_entity_def *def, kc_key_fn fn,
			 void *ud, struct kc_err *err);
/* Counts records of def grouped by a field's value; fn receives each value (NULL for absent)
 * and its count, most frequent first. */
typedef int (*kc_group_fn)(void *ud, const char *value, int64_t count);
KC_API int kc_store_group(struct kc_store *st, const struct kc_entity_def *def,
			  const char *field, kc_group_fn fn, void *ud, struct kc_err *err);

/* Appends an event to the audit log. entity, entity_id and diff (a JSON text) may be NULL. */
KC_API int kc_store_event(struct kc_store *st, const char *actor, const char *entity,
			  const char *entity_id, const char *action, const char *diff,
			  struct kc_err *err);
/* Calls fn for the newest n events (n <= 0: all), oldest first; each is an object with seq,
 * at, actor, entity, entity_id, action, diff. */
KC_API int kc_store_events(struct kc_store *st, int64_t n, kc_record_fn fn, void *ud,
			   struct kc_err *err);

/* Checks the database: the backend's integrity check, foreign keys, references held in lists,
 * every record against its definition. Calls diag for each problem (field is "entity:key").
 * Returns the number of problems, or a negative code when the check could not run. */
KC_API int kc_store_check(struct kc_store *st, kc_diag_fn diag, void *ud, struct kc_err *err);

/* ---- credentials: what the http module needs to sign users in. Never exported, never in
 * the audit log's diffs, never served. ---- */

/* A user's password hash (the http module's argon2id string). *out is caller-owned (kc_free),
 * NULL when the user has no password. KC_ENOTFOUND when there is no such user. */
KC_API int kc_store_password_get(struct kc_store *st, const char *user_id, char **out,
				 struct kc_err *err);
/* Sets (hash = NULL: clears) a user's password hash and appends an event (action "password",
 * no diff). KC_ENOTFOUND when there is no such user. */
KC_API int kc_store_password_set(struct kc_store *st, const char *user_id, const char *hash,
				 const char *actor, struct kc_err *err);

/* A browser session ("session") or an API token ("token"), stored under the hash of its secret
 * (the secret itself is never stored). id is a short public handle (the first 16 hex digits of
 * the hash) for listing and revoking. */
struct kc_cred {
	const char *kind;    /* "session" or "token" */
	const char *hash;    /* hex digest of the secret: the key */
	const char *user_id;
	const char *name;    /* a token's name, or NULL */
	const char *csrf;    /* a session's CSRF token, or NULL */
	int64_t expires;     /* unix seconds; 0 = never */
};
/* Writes c (no event: sessions are not data). KC_EEXIST when the hash exists. */
KC_API int kc_store_cred_put(struct kc_store *st, const struct kc_cred *c, struct kc_err *err);
/* Finds a credential of kind by hash that has not expired at now (unix seconds): *out a new
 * object {kind, id, hash, user_id, name, csrf, expires, created_at}; KC_ENOTFOUND. */
KC_API int kc_store_cred_get(struct kc_store *st, const char *kind, const char *hash, int64_t now,
			     json_t **out, struct kc_err *err);
/* Deletes a credential by hash, or by id (the short handle) when hash is NULL, limited to one
 * user when user_id is not NULL. KC_ENOTFOUND when none matched. */
KC_API int kc_store_cred_delete(struct kc_store *st, const char *kind, const char *hash,
				const char *id, const char *user_id, struct kc_err *err);
/* Calls fn with each unexpired credential of kind of user_id (objects as kc_store_cred_get's,
 * without hash), newest first. */
KC_API int kc_store_cred_list(struct kc_store *st, const char *kind, const char *user_id,
			      int64_t now, kc_record_fn fn, void *ud, struct kc_err *err);
/* Deletes credentials that expired before now; returns how many. */
KC_API int64_t kc_store_cred_purge(struct kc_store *st, int64_t now, struct kc_err *err);

/* ---- import and export ---- */

struct kc_import_opts {
	const char *actor;       /* recorded in the audit log; NULL = "cli" */
	int max_errors;          /* stop collecting after this many; <= 0 = 100 */
	int progress;            /* 1: show progress on stderr (when it is a terminal, after 1 s) */
	FILE *errors;            /* where errors are printed, one per line; NULL = stderr */
};

struct kc_import_stats {
	int64_t records[KC_ENT_COUNT];
	int64_t total;
	int errors;
	double seconds;
};

/* Imports the JSONL (.jsonl) and CSV (.csv, named after the entity) files at path, a file or a
 * directory (its *.jsonl and *.csv files, sorted by name), in one transaction: on any error
 * nothing is written, each error is printed as "file:line:field: message" and KC_EDATA is
 * returned (err then says how many). stats (may be NULL) receives the counts. */
KC_API int kc_import(struct kc_store *st, const char *path, const struct kc_import_opts *opts,
		     struct kc_import_stats *stats, struct kc_err *err);

enum kc_format { KC_FORMAT_JSONL, KC_FORMAT_CSV };

struct kc_export_opts {
	enum kc_format format;
	int include_confidential; /* 0: confidential demands (and challenges/matches on them)
				     are left out */
};

/* Writes every record into dir (created if needed) as <entity>.jsonl or <entity>.csv, in an
 * order that imports back. Returns the number of records written, or a negative code.
 * *skipped (may be NULL) receives the number of confidential records left out. */
KC_API int64_t kc_export(struct kc_store *st, const char *dir, const struct kc_export_opts *opts,
			 int64_t *skipped, struct kc_err *err);

#endif
