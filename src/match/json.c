/* match: results as JSON, one shape for the CLI (--json) and the HTTP API. */
#include <string.h>

#include "kechan/match.h"
#include "banned.h"

json_t *kc_match_hit_json(const struct kc_match_hit *h, size_t max_terms)
{
	json_t *terms = json_array(), *bonuses = json_array(), *phrases = json_array();
	for (size_t i = 0; terms && i < h->nparts && i < max_terms; i++) {
		const struct kc_match_part *p = &h->parts[i];
		json_t *fields = json_object();
		for (int f = 0; f < KC_FIELD_COUNT; f++)
			if (p->tf[f])
				json_object_set_new(fields, kc_match_field_name((enum kc_field_id)f),
						    json_integer(p->tf[f]));
		json_t *t = json_pack("{s:s, s:f, s:o}", "term", p->term, "score", p->score,
				      "found_in", fields);
		if (t != NULL && p->via != NULL) /* an expansion word, from this query word */
			json_object_set_new(t, "via", json_string(p->via));
		json_array_append_new(terms, t);
	}
	for (size_t i = 0; phrases && i < h->nphrases && i < max_terms; i++) {
		const struct kc_match_phrase *p = &h->phrases[i];
		json_array_append_new(phrases, json_pack("{s:[s,s], s:f, s:i}", "terms", p->a, p->b,
							 "score", p->score, "distance",
							 (json_int_t)p->dist));
	}
	for (size_t i = 0; bonuses && i < h->nbonus; i++)
		json_array_append_new(bonuses,
				      json_pack("{s:s, s:f, s:s, s:s}", "code", h->bonus[i].code,
						"factor", h->bonus[i].factor, "zh", h->bonus[i].zh,
						"en", h->bonus[i].en));
	json_t *field = h->field_score > 0 ? json_pack("{s:f, s:f}", "similarity", h->field_sim,
						     "score", h->field_score)
					   : NULL;
	return json_pack("{s:f, s:f, s:f, s:s, s:o?, s:o?, s:o?, s:o*}", "score", h->score,
			 "text_score", h->text_score, "confidence", h->norm, "band",
			 kc_match_band_name(h->band), "explanation", terms, "phrases", phrases,
			 "bonuses", bonuses, "field", field);
}

json_t *kc_match_verdicts(const json_t *m)
{
	json_t *out = NULL;
	for (int side = 0; m && side < 2; side++) {
		const char *pre = side == 0 ? "demand" : "supply";
		char key[32];
		snprintf(key, sizeof(key), "%s_verdict", pre);
		const char *v = json_string_value(json_object_get(m, key));
		snprintf(key, sizeof(key), "%s_reason", pre);
		const char *r = json_string_value(json_object_get(m, key));
		if (v == NULL)
			continue;
		if (out == NULL)
			out = json_object();
		json_object_set_new(out, pre, json_pack("{s:s, s:s?}", "verdict", v, "reason", r));
	}
	return out;
}
