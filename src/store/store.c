/* store: the public storage interface. Dispatches to the backend's operations and adds what is
 * the same for every backend: keys, timestamps, transactions around single writes, events. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "banned.h"

int kc_store_open(const char *url, unsigned flags, struct kc_store **out, struct kc_err *err)
{
	*out = NULL;
	if (url == NULL || *url == '\0')
		return kc_err_set(err, KC_EINVAL, "empty database path");
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return kc_err_set(err, KC_EINVAL,
				  "%s: the PostgreSQL backend is not built yet; use an SQLite path",
				  url);
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	return kc__sqlite_open(url, flags, out, err);
}

void kc_store_close(struct kc_store *st)
{
	if (st)
		st->ops->close(st);
}

const char *kc_store_backend(const struct kc_store *st)
{
	return st->ops->name;
}

int kc_store_schema_version(struct kc_store *st)
{
	return st->ops->schema_version(st);
}

int64_t kc_store_data_version(struct kc_store *st, struct kc_err *err)
{
	return st->ops->data_version(st, err);
}

int kc_store_begin(struct kc_store *st, struct kc_err *err)
{
	return st->ops->begin(st, err);
}

int kc_store_commit(struct kc_store *st, struct kc_err *err)
{
	return st->ops->commit(st, err);
}

int kc_store_rollback(struct kc_store *st)
{
	return st->ops->rollback(st);
}

int kc_store_read_begin(struct kc_store *st, struct kc_err *err)
{
	return st->ops->read_begin(st, err);
}

void kc_store_read_end(struct kc_store *st)
{
	st->ops->read_end(st);
}

const char *kc__store_clock(struct kc_store *st)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((long long)ts.tv_sec != st->clock_sec || st->clock_str[0] == '\0') {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(st->clock_str, sizeof(st->clock_str), "%Y-%m-%dT%H:%M:%SZ", &tm);
		st->clock_sec = (long long)ts.tv_sec;
	}
	return st->clock_str;
}

/* {"before": {changed fields}, "after": {changed fields}}, or NULL when nothing changed. */
static json_t *record_diff(const json_t *old, const json_t *rec)
{
	json_t *before = json_object(), *after = json_object(), *d = NULL;
	const char *k;
	json_t *v;
	if (before == NULL || after == NULL)
		goto cleanup;
	json_object_foreach((json_t *)rec, k, v)
	{
		json_t *o = json_object_get(old, k);
		if (strcmp(k, "updated_at") == 0 || strcmp(k, "type") == 0)
			continue;
		if (o == NULL || !json_equal(o, v)) {
			json_object_set(after, k, v);
			if (o)
				json_object_set(before, k, o);
		}
	}
	json_object_foreach((json_t *)old, k, v)
	{
		if (json_object_get(rec, k) == NULL && strcmp(k, "updated_at") != 0)
			json_object_set(before, k, v);
	}
	d = json_pack("{s:O,s:O}", "before", before, "after", after);
cleanup:
	json_decref(before);
	json_decref(after);
	return d;
}

int kc_store_put(struct kc_store *st, const struct kc_entity_def *def, json_t *rec,
		 enum kc_put_mode mode, const char *actor, const char *action, struct kc_err *err)
{
	struct kc_buf key = KC_BUF_INIT;
	json_t *old = NULL, *diff = NULL;
	char *diff_txt = NULL;
	int own_tx = 0, rc;
	const char *now;

	if (kc_record_key(def, rec, &key) < 0) {
		rc = kc_err_set(err, KC_EINVAL, "%s: record has no key", def->name);
		goto cleanup;
	}
	if (!st->ops->in_tx(st)) {
		rc = st->ops->begin(st, err);
		if (rc < 0)
			goto cleanup;
		own_tx = 1;
	}
	if (mode != KC_PUT_CREATE) {
		rc = st->ops->get(st, def, key.ptr, NULL, &old, err);
		if (rc == KC_ENOTFOUND && mode == KC_PUT_UPSERT) {
			mode = KC_PUT_CREATE;
		} else if (rc < 0) {
			goto cleanup;
		}
	}
	now = kc__store_clock(st);
	if (json_object_get(rec, "created_at") == NULL) {
		json_t *c = old ? json_object_get(old, "created_at") : NULL;
		json_object_set_new(rec, "created_at", c ? json_incref(c) : json_string(now));
	}
	if (json_object_get(rec, "updated_at") == NULL || old)
		json_object_set_new(rec, "updated_at", json_string(now));

	rc = st->ops->put(st, def, rec, mode, key.ptr, err);
	if (rc < 0)
		goto cleanup;

	if (action == NULL)
		action = old ? "update" : "create";
	/* An import appends one event for all of its records (kc_import). */
	if (strcmp(action, "import") != 0) {
		diff = old ? record_diff(old, rec) : json_pack("{s:O}", "after", rec);
		diff_txt = diff ? json_dumps(diff, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (diff_txt == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto cleanup;
		}
		rc = st->ops->event(st, actor ? actor : "cli", def->name, key.ptr, action,
				    diff_txt, err);
		if (rc < 0)
			goto cleanup;
	}
	if (own_tx) {
		own_tx = 0;
		rc = st->ops->commit(st, err);
	}
cleanup:
	if (own_tx)
		st->ops->rollback(st);
	json_decref(old);
	json_decref(diff);
	free(diff_txt);
	kc_buf_release(&key);
	return rc;
}

/* A NULL key (a reference field the caller's record lacks) names no record. */
static int no_key(const struct kc_entity_def *def, json_t **out, struct kc_err *err)
{
	*out = NULL;
	return kc_err_set(err, KC_ENOTFOUND, "no %s: the key is missing", def->name);
}

int kc_store_get(struct kc_store *st, const struct kc_entity_def *def, const char *key,
		 json_t **out, struct kc_err *err)
{
	if (key == NULL)
		return no_key(def, out, err);
	return st->ops->get(st, def, key, NULL, out, err);
}

int kc_store_get_fields(struct kc_store *st, const struct kc_entity_def *def, const char *key,
			const char *const *fields, json_t **out, struct kc_err *err)
{
	if (fields == NULL) {
		*out = NULL;
		return kc_err_set(err, KC_EINVAL, "kc_store_get_fields: no field list");
	}
	if (key == NULL)
		return no_key(def, out, err);
	return st->ops->get(st, def, key, fields, out, err);
}

int kc_store_delete(struct kc_store *st, const struct kc_entity_def *def, const char *key,
		    const char *actor, struct kc_err *err)
{
	json_t *old = NULL, *diff = NULL;
	char *txt = NULL;
	int own_tx = 0;
	int rc = key == NULL ? no_key(def, &old, err) : st->ops->get(st, def, key, NULL, &old, err);
	if (rc < 0)
		goto cleanup;
	if (!st->ops->in_tx(st)) {
		rc = st->ops->begin(st, err);
		if (rc < 0)
			goto cleanup;
		own_tx = 1;
	}
	rc = st->ops->del(st, def, key, err);
	if (rc < 0)
		goto cleanup;
	diff = json_pack("{s:O}", "before", old);
	txt = diff ? json_dumps(diff, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (txt == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = st->ops->event(st, actor ? actor : "cli", def->name, key, "delete", txt, err);
	if (rc < 0)
		goto cleanup;
	if (own_tx) {
		own_tx = 0;
		rc = st->ops->commit(st, err);
		if (rc == KC_EDATA)
			kc_err_set(err, KC_EDATA, "%s '%s' is still referred to by other records",
				   def->name, key);
	}
cleanup:
	if (own_tx)
		st->ops->rollback(st);
	json_decref(old);
	json_decref(diff);
	free(txt);
	return rc;
}

int kc_store_each(struct kc_store *st, const struct kc_entity_def *def, const struct kc_query *q,
		  kc_record_fn fn, void *ud, struct kc_err *err)
{
	return st->ops->each(st, def, q, fn, ud, err);
}

int64_t kc_store_count(struct kc_store *st, const struct kc_entity_def *def,
		       const struct kc_query *q, struct kc_err *err)
{
	return st->ops->count(st, def, q, err);
}

int kc_store_keys(struct kc_store *st, const struct kc_entity_def *def, kc_key_fn fn, void *ud,
		  struct kc_err *err)
{
	return st->ops->keys(st, def, fn, ud, err);
}

int kc_store_group(struct kc_store *st, const struct kc_entity_def *def, const char *field,
		   kc_group_fn fn, void *ud, struct kc_err *err)
{
	return st->ops->group(st, def, field, fn, ud, err);
}

int kc_store_event(struct kc_store *st, const char *actor, const char *entity,
		   const char *entity_id, const char *action, const char *diff, struct kc_err *err)
{
	return st->ops->event(st, actor ? actor : "cli", entity, entity_id, action, diff, err);
}

int kc_store_password_get(struct kc_store *st, const char *user_id, char **out,
			  struct kc_err *err)
{
	return st->ops->password_get(st, user_id, out, err);
}

int kc_store_password_set(struct kc_store *st, const char *user_id, const char *hash,
			  const char *actor, struct kc_err *err)
{
	int own = !st->ops->in_tx(st);
	int rc = own ? st->ops->begin(st, err) : 0;
	if (rc == 0)
		rc = st->ops->password_set(st, user_id, hash, err);
	if (rc == 0)
		rc = st->ops->event(st, actor ? actor : "cli", "user", user_id,
				    hash ? "password" : "password_clear", NULL, err);
	if (own)
		rc = rc == 0 ? st->ops->commit(st, err) : (st->ops->rollback(st), rc);
	return rc;
}

int kc_store_cred_put(struct kc_store *st, const struct kc_cred *c, struct kc_err *err)
{
	return st->ops->cred_put(st, c, err);
}

int kc_store_cred_get(struct kc_store *st, const char *kind, const char *hash, int64_t now,
		      json_t **out, struct kc_err *err)
{
	return st->ops->cred_get(st, kind, hash, now, out, err);
}

int kc_store_cred_delete(struct kc_store *st, const char *kind, const char *hash, const char *id,
			 const char *user_id, struct kc_err *err)
{
	return st->ops->cred_delete(st, kind, hash, id, user_id, err);
}

int kc_store_cred_list(struct kc_store *st, const char *kind, const char *user_id, int64_t now,
		       kc_record_fn fn, void *ud, struct kc_err *err)
{
	return st->ops->cred_list(st, kind, user_id, now, fn, ud, err);
}

int64_t kc_store_cred_purge(struct kc_store *st, int64_t now, struct kc_err *err)
{
	return st->ops->cred_purge(st, now, err);
}

int kc_store_events(struct kc_store *st, int64_t n, kc_record_fn fn, void *ud,
		    struct kc_err *err)
{
	return st->ops->events(st, n, fn, ud, err);
}

/* ---- string set ---- */

static uint64_t hash(const char *s, size_t len)
{
	return kc_fnv1a(s, len, KC_FNV_OFFSET);
}

void kc__strset_init(struct kc_strset *s)
{
	s->slots = NULL;
	s->cap = 0;
	s->len = 0;
}

void kc__strset_release(struct kc_strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		kc_free(s->slots[i].key);
	kc_free(s->slots);
	kc__strset_init(s);
}

static size_t find_slot(const struct kc_strset_slot *slots, size_t cap, uint64_t h,
			const char *key, size_t len)
{
	size_t i = (size_t)h & (cap - 1);
	while (slots[i].key && !(slots[i].hash == h && strncmp(slots[i].key, key, len) == 0 &&
				 slots[i].key[len] == '\0'))
		i = (i + 1) & (cap - 1);
	return i;
}

int kc__strset_has(const struct kc_strset *s, const char *key, size_t len)
{
	if (s->cap == 0)
		return 0;
	return s->slots[find_slot(s->slots, s->cap, hash(key, len), key, len)].key != NULL;
}

int kc__strset_add(struct kc_strset *s, const char *key, size_t len)
{
	if ((s->len + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct kc_strset_slot *slots = kc_calloc(cap, sizeof(*slots));
		if (slots == NULL)
			return KC_ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slots[i].key == NULL)
				continue;
			size_t j = (size_t)s->slots[i].hash & (cap - 1);
			while (slots[j].key)
				j = (j + 1) & (cap - 1);
			slots[j] = s->slots[i];
		}
		kc_free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	uint64_t h = hash(key, len);
	size_t i = find_slot(s->slots, s->cap, h, key, len);
	if (s->slots[i].key)
		return 0;
	s->slots[i].key = kc_strndup(key, len);
	if (s->slots[i].key == NULL)
		return KC_ENOMEM;
	s->slots[i].hash = h;
	s->len++;
	return 1;
}
