/* Feedback on matches: a side's accept or decline (with a reason) stored on the match record. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kechan/match.h"
#include "kechan/store.h"
#include "banned.h"

static const char *const reasons[] = {"too_early", "wrong_field", "too_expensive",
				      "already_known", "capacity", "location", "ip_unclear",
				      "no_response", "other", NULL};
static const char *const reasons_zh[] = {"技术尚不成熟", "领域不符", "价格过高", "已掌握该技术",
					 "产能或规模不足", "地域不便", "知识产权不清", "对方未回应",
					 "其他"};

const char *const *kc_match_reasons(void)
{
	return reasons;
}

const char *kc_match_reason_zh(const char *reason)
{
	for (size_t i = 0; reason != NULL && reasons[i] != NULL; i++)
		if (strcmp(reasons[i], reason) == 0)
			return reasons_zh[i];
	return NULL;
}

static uint64_t pair_hash(const char *a, const char *b)
{
	uint64_t h = kc_fnv1a(a, strlen(a), KC_FNV_OFFSET);
	h = kc_fnv1a("/", 1, h);
	return kc_fnv1a(b, strlen(b), h);
}

struct diag {
	char msg[512];
};

static void on_diag(void *ud, const char *field, const char *msg)
{
	struct diag *d = ud;
	if (d->msg[0] == 0)
		snprintf(d->msg, sizeof(d->msg), "%s%s%s", field ? field : "", field ? ": " : "",
			 msg);
}

struct find {
	const char *supply_id;
	json_t *found;
};

static int on_match(void *ud, const json_t *rec)
{
	struct find *f = ud;
	const char *s = json_string_value(json_object_get(rec, "supply_id"));
	if (s != NULL && strcmp(s, f->supply_id) == 0) {
		f->found = json_deep_copy(rec);
		return f->found ? 1 : KC_ENOMEM;
	}
	return 0;
}

int kc_match_pair(struct kc_store *st, const char *demand_id, const char *supply_id,
		  json_t **out, struct kc_err *err)
{
	struct find f = {supply_id, NULL};
	struct kc_query q = {.field = "demand_id", .value = demand_id};
	int rc = kc_store_each(st, kc_entity_def(KC_ENT_MATCH), &q, on_match, &f, err);
	*out = f.found;
	return rc < 0 ? rc : 0;
}

int kc_match_feedback(struct kc_store *st, const char *demand_id, const char *supply_id,
		      enum kc_match_side side, int accept, const char *reason, const char *note,
		      const char *actor, json_t **out, struct kc_err *err)
{
	const struct kc_entity_def *mdef = kc_entity_def(KC_ENT_MATCH);
	json_t *d = NULL, *s = NULL, *m = NULL;
	int rc, created = 0;
	if (out != NULL)
		*out = NULL;
	if (side != KC_SIDE_DEMAND && side != KC_SIDE_SUPPLY)
		return kc_err_set(err, KC_EINVAL, "feedback: side must be demand or supply");
	if (!accept && kc_match_reason_zh(reason) == NULL)
		return kc_err_set(err, KC_EINVAL,
				  "feedback: declining needs a reason: too_early, wrong_field, "
				  "too_expensive, already_known, capacity, location, ip_unclear, "
				  "no_response or other (got '%s')",
				  reason ? reason : "");
	if (accept && reason != NULL)
		return kc_err_set(err, KC_EINVAL,
				  "feedback: accepting takes no reason (a reason says why a side "
				  "declines; a note may say more)");
	if ((rc = kc_store_begin(st, err)) != 0)
		return rc;
	if ((rc = kc_store_get(st, kc_entity_def(KC_ENT_DEMAND), demand_id, &d, err)) != 0 ||
	    (rc = kc_store_get(st, kc_entity_def(KC_ENT_SUPPLY), supply_id, &s, err)) != 0)
		goto fail;
	if ((rc = kc_match_pair(st, demand_id, supply_id, &m, err)) != 0)
		goto fail;
	if (m == NULL) {
		char id[KC_LIMIT_ID + 1];
		int n = snprintf(id, sizeof(id), "fb-%s-%s", demand_id, supply_id);
		if (n < 0 || (size_t)n >= sizeof(id)) /* long ids: a shorter, still unique form */
			snprintf(id, sizeof(id), "fb-%016llx",
				 (unsigned long long)pair_hash(demand_id, supply_id));
		m = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "demand_id", demand_id,
				    "supply_id", supply_id, "stage", "new");
		created = 1;
		if (m == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto fail;
		}
	}
	const char *pre = side == KC_SIDE_DEMAND ? "demand" : "supply";
	char vkey[32], rkey[32];
	snprintf(vkey, sizeof(vkey), "%s_verdict", pre);
	snprintf(rkey, sizeof(rkey), "%s_reason", pre);
	json_object_set_new(m, vkey, json_string(accept ? "accept" : "decline"));
	if (reason != NULL)
		json_object_set_new(m, rkey, json_string(reason));
	else
		json_object_del(m, rkey);
	if (note != NULL)
		json_object_set_new(m, "feedback_note", json_string(note));
	/* The stage: declined while either side's verdict is decline; a decline keeps where the
	 * match stood, and accepting again (the other side not declining) goes back there, at
	 * least to contacted. */
	const char *stage = json_string_value(json_object_get(m, "stage"));
	const char *other = json_string_value(
		json_object_get(m, side == KC_SIDE_DEMAND ? "supply_verdict" : "demand_verdict"));
	int other_declines = other != NULL && strcmp(other, "decline") == 0;
	if (!accept) {
		if (stage == NULL || strcmp(stage, "declined") != 0)
			json_object_set_new(m, "stage_before_decline",
					    json_string(stage ? stage : "new"));
		json_object_set_new(m, "stage", json_string("declined"));
	} else if (stage == NULL || strcmp(stage, "new") == 0) {
		json_object_set_new(m, "stage", json_string("contacted"));
	} else if (strcmp(stage, "declined") == 0 && !other_declines) {
		const char *before =
			json_string_value(json_object_get(m, "stage_before_decline"));
		json_object_set_new(m, "stage",
				    json_string(before && strcmp(before, "new") != 0 ? before
										  : "contacted"));
		json_object_del(m, "stage_before_decline");
	}
	json_object_del(m, "updated_at");
	struct diag dg = {{0}};
	if (kc_record_validate(mdef, m, on_diag, &dg) != 0) {
		rc = kc_err_set(err, KC_EINVAL, "feedback: %s", dg.msg);
		goto fail;
	}
	rc = kc_store_put(st, mdef, m, created ? KC_PUT_CREATE : KC_PUT_REPLACE, actor,
			  accept ? "feedback_accept" : "feedback_decline", err);
	if (rc != 0)
		goto fail;
	if ((rc = kc_store_commit(st, err)) != 0)
		goto fail_committed;
	json_decref(d);
	json_decref(s);
	if (out != NULL)
		*out = m;
	else
		json_decref(m);
	return 0;
fail:
	kc_store_rollback(st);
fail_committed:
	json_decref(d);
	json_decref(s);
	json_decref(m);
	return rc;
}

struct counts {
	const char *other; /* "supply_" or "demand_": whose verdicts count */
	json_t *out;
};

static int on_count(void *ud, const json_t *rec)
{
	struct counts *c = ud;
	char key[32];
	snprintf(key, sizeof(key), "%sverdict", c->other);
	const char *v = json_string_value(json_object_get(rec, key));
	if (v == NULL)
		return 0;
	const char *what = strcmp(v, "accept") == 0 ? "accepted" : "declined";
	json_object_set_new(c->out, what,
			    json_integer(json_integer_value(json_object_get(c->out, what)) + 1));
	snprintf(key, sizeof(key), "%sreason", c->other);
	const char *r = json_string_value(json_object_get(rec, key));
	if (r != NULL && strcmp(what, "declined") == 0) {
		json_t *rs = json_object_get(c->out, "reasons");
		json_object_set_new(rs, r, json_integer(json_integer_value(json_object_get(rs, r)) + 1));
	}
	return 0;
}

int kc_match_feedback_counts(struct kc_store *st, enum kc_match_side side, const char *id,
			     json_t **out, struct kc_err *err)
{
	struct counts c = {side == KC_SIDE_DEMAND ? "supply_" : "demand_",
			   json_pack("{s:i, s:i, s:{}}", "accepted", 0, "declined", 0, "reasons")};
	*out = NULL;
	if (c.out == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	struct kc_query q = {.field = side == KC_SIDE_DEMAND ? "demand_id" : "supply_id",
			     .value = id};
	int rc = kc_store_each(st, kc_entity_def(KC_ENT_MATCH), &q, on_count, &c, err);
	if (rc < 0) {
		json_decref(c.out);
		return rc;
	}
	*out = c.out;
	return 0;
}
