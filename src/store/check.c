/* store: `kechan check`: the backend's integrity and foreign-key checks, then every record
 * against its definition and every reference held in a list. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "banned.h"

struct chk {
	kc_diag_fn diag;
	void *ud;
	const struct kc_entity_def *def;
	struct kc_strset keys[KC_ENT_COUNT];
	struct kc_buf key;
	struct kc_buf where;
	int problems;
};

static void chk_diag(void *ud, const char *field, const char *msg)
{
	struct chk *c = ud;
	char where[300];
	snprintf(where, sizeof(where), "%s:%s%s%s", c->def->name, kc_buf_cstr(&c->key),
		 field ? ":" : "", field ? field : "");
	c->problems++;
	c->diag(c->ud, where, msg);
}

static int chk_record(void *ud, const json_t *crec)
{
	struct chk *c = ud;
	json_t *rec = json_deep_copy(crec);
	if (rec == NULL)
		return KC_ENOMEM;
	kc_record_key(c->def, rec, &c->key);
	int n = kc_record_validate(c->def, rec, chk_diag, c);
	for (unsigned i = 0; n >= 0 && i < c->def->nfields; i++) {
		const struct kc_field *f = &c->def->fields[i];
		json_t *j = json_object_get(rec, f->name);
		if (f->type != KC_F_REF || !json_is_array(j))
			continue;
		size_t k;
		json_t *item;
		json_array_foreach(j, k, item)
		{
			const char *v = json_string_value(item);
			if (v && !kc__strset_has(&c->keys[f->ref], v, strlen(v))) {
				char msg[200], name[80];
				snprintf(name, sizeof(name), "%s[%zu]", f->name, k);
				snprintf(msg, sizeof(msg), "refers to a missing %s '%s'",
					 kc_entity_def(f->ref)->name, v);
				chk_diag(c, name, msg);
			}
		}
	}
	json_decref(rec);
	return n < 0 ? n : 0;
}

static int key_loader(void *ud, const char *key, size_t len)
{
	return kc__strset_add(ud, key, len) < 0 ? KC_ENOMEM : 0;
}

int kc_store_check(struct kc_store *st, kc_diag_fn diag, void *ud, struct kc_err *err)
{
	struct chk c;
	memset(&c, 0, sizeof(c));
	c.diag = diag;
	c.ud = ud;
	int rc = st->ops->check(st, diag, ud, err);
	if (rc < 0)
		return rc;
	c.problems = rc;
	for (int e = 0; e < KC_ENT_COUNT && rc >= 0; e++)
		rc = kc_store_keys(st, kc_entity_def((enum kc_entity)e), key_loader, &c.keys[e],
				   err);
	for (int e = 0; e < KC_ENT_COUNT && rc >= 0; e++) {
		c.def = kc_entity_def((enum kc_entity)e);
		rc = kc_store_each(st, c.def, NULL, chk_record, &c, err);
		if (rc == KC_ENOMEM)
			kc_err_set(err, rc, "out of memory");
	}
	for (int e = 0; e < KC_ENT_COUNT; e++)
		kc__strset_release(&c.keys[e]);
	kc_buf_release(&c.key);
	kc_buf_release(&c.where);
	return rc < 0 ? rc : c.problems;
}
