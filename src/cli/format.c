/* cli: turning stored values into what a person reads (region names, org names, lists). */
#include <stdio.h>
#include <string.h>

#include "kechan/codes.h"
#include "format.h"
#include "banned.h"

void kc_cli_value(struct kc_store *st, const struct kc_field *f, const json_t *v,
		  struct kc_buf *out)
{
	kc_buf_reset(out);
	if (v == NULL)
		return;
	if (json_is_array(v)) {
		size_t i;
		json_t *item;
		struct kc_buf one = KC_BUF_INIT;
		json_array_foreach(v, i, item)
		{
			kc_cli_value(st, f, item, &one);
			if (i)
				kc_buf_adds(out, ", ");
			kc_buf_add(out, kc_buf_cstr(&one), one.len);
		}
		kc_buf_release(&one);
		return;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (f && f->type == KC_F_REGION) {
			char name[128];
			kc_region_fullname(kc_region_parse(s, strlen(s)), name, sizeof(name));
			kc_buf_addf(out, "%s %s", s, name);
		} else if (f && f->type == KC_F_INDUSTRY) {
			const char *n = kc_industry_name(s, NULL);
			kc_buf_addf(out, "%s %s", s, n ? n : "");
		} else if (f && f->type == KC_F_REF && st &&
			   (f->ref == KC_ENT_ORG || f->ref == KC_ENT_NODE || f->ref == KC_ENT_CHAIN)) {
			json_t *r = NULL;
			if (kc_store_get(st, kc_entity_def(f->ref), s, &r, NULL) == 0) {
				const char *n = json_string_value(json_object_get(r, "short_name"));
				if (n == NULL)
					n = json_string_value(json_object_get(r, "name"));
				kc_buf_addf(out, "%s (%s)", n ? n : s, s);
			} else {
				kc_buf_adds(out, s);
			}
			json_decref(r);
		} else {
			kc_buf_adds(out, s);
		}
	} else if (json_is_integer(v)) {
		kc_buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		kc_buf_addf(out, "%g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		kc_buf_adds(out, json_is_true(v) ? "true" : "false");
	} else {
		char *t = json_dumps(v, JSON_COMPACT);
		if (t)
			kc_buf_adds(out, t);
		free(t);
	}
}

const char *kc_cli_label(const json_t *rec)
{
	static const char *const keys[] = {"short_name", "title", "name"};
	for (size_t i = 0; i < 3; i++) {
		const char *s = json_string_value(json_object_get(rec, keys[i]));
		if (s)
			return s;
	}
	return "";
}
