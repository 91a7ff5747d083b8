/* store internals: the table of operations every backend implements. */
#ifndef KC_STORE_INT_H
#define KC_STORE_INT_H

#include "kechan/store.h"

struct kc_store_ops {
	const char *name;
	void (*close)(struct kc_store *st);
	int (*schema_version)(struct kc_store *st);
	int64_t (*data_version)(struct kc_store *st, struct kc_err *err);
	int (*begin)(struct kc_store *st, struct kc_err *err);
	/* A transaction for a load whose references the caller checks itself (kc_import); hint
	 * is the input's size in bytes. The backend may relax its own reference checks and
	 * rebuild indexes at commit. */
	int (*begin_bulk)(struct kc_store *st, int64_t hint, struct kc_err *err);
	int (*commit)(struct kc_store *st, struct kc_err *err);
	int (*rollback)(struct kc_store *st);
	int (*in_tx)(struct kc_store *st);
	int (*read_begin)(struct kc_store *st, struct kc_err *err);
	void (*read_end)(struct kc_store *st);
	/* Writes rec; exists (may be NULL) receives whether the key existed before. */
	int (*put)(struct kc_store *st, const struct kc_entity_def *def, json_t *rec,
		   enum kc_put_mode mode, const char *key, struct kc_err *err);
	/* Inserts a new record given as a row (kc__row_add with stamps_now), with no event, in
	 * the transaction the caller holds: the bulk writes of kc_import. */
	int (*put_row)(struct kc_store *st, const struct kc_entity_def *def, const char *row,
		       const char *key, struct kc_err *err);
	/* fields: NULL for the whole record, else the names of the fields to read (NULL-ended) */
	int (*get)(struct kc_store *st, const struct kc_entity_def *def, const char *key,
		   const char *const *fields, json_t **out, struct kc_err *err);
	int (*del)(struct kc_store *st, const struct kc_entity_def *def, const char *key,
		   struct kc_err *err);
	int (*each)(struct kc_store *st, const struct kc_entity_def *def, const struct kc_query *q,
		    kc_record_fn fn, void *ud, struct kc_err *err);
	int64_t (*count)(struct kc_store *st, const struct kc_entity_def *def,
			 const struct kc_query *q, struct kc_err *err);
	int (*keys)(struct kc_store *st, const struct kc_entity_def *def, kc_key_fn fn, void *ud,
		    struct kc_err *err);
	int (*group)(struct kc_store *st, const struct kc_entity_def *def, const char *field,
		     kc_group_fn fn, void *ud, struct kc_err *err);
	int (*event)(struct kc_store *st, const char *actor, const char *entity,
		     const char *entity_id, const char *action, const char *diff,
		     struct kc_err *err);
	int (*events)(struct kc_store *st, int64_t n, kc_record_fn fn, void *ud,
		      struct kc_err *err);
	/* credentials (see kc_store_password_get and kc_store_cred_*) */
	int (*password_get)(struct kc_store *st, const char *user_id, char **out,
			    struct kc_err *err);
	int (*password_set)(struct kc_store *st, const char *user_id, const char *hash,
			    struct kc_err *err);
	int (*cred_put)(struct kc_store *st, const struct kc_cred *c, struct kc_err *err);
	int (*cred_get)(struct kc_store *st, const char *kind, const char *hash, int64_t now,
			json_t **out, struct kc_err *err);
	int (*cred_delete)(struct kc_store *st, const char *kind, const char *hash, const char *id,
			   const char *user_id, struct kc_err *err);
	int (*cred_list)(struct kc_store *st, const char *kind, const char *user_id, int64_t now,
			 kc_record_fn fn, void *ud, struct kc_err *err);
	int64_t (*cred_purge)(struct kc_store *st, int64_t now, struct kc_err *err);
	/* The backend's own integrity and foreign-key checks. */
	int (*check)(struct kc_store *st, kc_diag_fn diag, void *ud, struct kc_err *err);
};

/* Every backend's handle starts with this. */
struct kc_store {
	const struct kc_store_ops *ops;
	/* The current time as text, computed again when the second changes. */
	long long clock_sec;
	char clock_str[32];
};

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (borrowed, valid until the next call). */
const char *kc__store_clock(struct kc_store *st);

int kc__sqlite_open(const char *path, unsigned flags, struct kc_store **out, struct kc_err *err);


/* A set of strings (record keys), for imports: open addressing, owned copies, each with its
 * hash so that a probe seldom reads a key. */
struct kc_strset_slot {
	uint64_t hash;
	char *key; /* NULL: empty */
};
struct kc_strset {
	struct kc_strset_slot *slots;
	size_t cap;
	size_t len;
};
void kc__strset_init(struct kc_strset *s);
void kc__strset_release(struct kc_strset *s);
/* Adds key; returns 1 when added, 0 when present, KC_ENOMEM. */
int kc__strset_add(struct kc_strset *s, const char *key, size_t len);
int kc__strset_has(const struct kc_strset *s, const char *key, size_t len);

/* kc_entity_field for lookups that come about in the order of def's fields (a record's keys):
 * the field after the last one found (*hint, start with 0) is tried first. */
const struct kc_field *kc__entity_field_next(const struct kc_entity_def *def, const char *name,
					     unsigned *hint);

/* Rows: a record as the values of its entity's columns, one per field in the order of
 * def->fields, lists and objects as compact JSON text; flat bytes, with no pointers. */
enum { KC_COL_NULL, KC_COL_TEXT, KC_COL_INT, KC_COL_REAL, KC_COL_NOW /* the write's time */ };
struct kc_col {
	int type;
	const char *s; /* KC_COL_TEXT: len bytes, borrowed from the row */
	size_t len;
	int64_t i;     /* KC_COL_INT (booleans are 0 and 1) */
	double d;      /* KC_COL_REAL */
};
/* Appends the row of rec (a record of def) to row. stamps_now: absent KC_FF_AUTO fields
 * (created_at, updated_at) become KC_COL_NOW, else KC_COL_NULL. Returns 0, KC_ENOMEM, or
 * KC_EINVAL when a value has a type no column takes; on failure row holds a partial row, which
 * the caller cuts off. */
int kc__row_add(struct kc_buf *row, const struct kc_entity_def *def, const json_t *rec,
		int stamps_now);
/* Reads the column at p into c; returns where the next column starts. */
const char *kc__row_col(const char *p, struct kc_col *c);

/* The JSON object of one JSONL line s (valid UTF-8, len bytes), as json_loadb with
 * JSON_REJECT_DUPLICATES would build it, for the plain JSON that import files are made of; tmp
 * is scratch space the caller keeps between calls. Returns a new reference, or NULL when s is
 * outside that subset, is not an object, is not valid JSON or memory runs out: the caller then
 * parses s with json_loadb, which decides and reports. */
json_t *kc__jsonl_object(const char *s, size_t len, struct kc_buf *tmp);

#endif
