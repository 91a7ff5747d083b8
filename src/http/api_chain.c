/* http: the chain analyses (panorama, coverage, gaps, weak links, bottlenecks, recruitment,
 * innovation linkage, disruption simulation) over one chain loaded from the store per request. */
#include <stdio.h>
#include <string.h>

#include "kechan/chain.h"
#include "kechan/codes.h"
#include "http_int.h"
#include "banned.h"

#define MAX_REMOVE 256

/* Reads region (required unless optional) and limit. */
static int chain_params(struct kc_http_req *q, struct kc_http_reply *r, int need_region,
			uint32_t *region, struct kc_chain_opts *o)
{
	memset(o, 0, sizeof(*o));
	*region = 0;
	for (int i = 0; i < q->nargs; i++) {
		const char *k = q->args[i].key, *v = q->args[i].value;
		int64_t n;
		if (strcmp(k, "region") == 0) {
			*region = kc_region_parse(v, strlen(v));
			if (*region == 0 || kc_region_get(*region) == NULL) {
				kc__http_error(r, 400, "region",
					       "region '%.20s' is not a GB/T 2260 code (e.g. 511500)", v);
				return -1;
			}
		} else if (strcmp(k, "limit") == 0) {
			if (kc__http_int(v, 1, 1000, &n) < 0) {
				kc__http_error(r, 400, "limit", "limit must be 1-1000");
				return -1;
			}
			o->limit = (int)n;
		} else if (strcmp(k, "include_unsupplied") == 0) {
			o->include_unsupplied = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
		} else {
			kc__http_error(r, 400, k, "unknown parameter '%.60s'", k);
			return -1;
		}
	}
	if (need_region && *region == 0) {
		kc__http_error(r, 400, "region", "this analysis needs ?region=<GB/T 2260 code>");
		return -1;
	}
	return 0;
}

/* Linkage lists demands: visitors see only public ones (their owners are already hidden when
 * confidential). */
static void filter_linkage(const struct kc_http_req *q, json_t *out)
{
	if (q->user.role != KC_ROLE_NONE)
		return;
	size_t i;
	json_t *node;
	json_array_foreach(json_object_get(out, "nodes"), i, node) {
		json_t *ds = json_object_get(node, "demands");
		for (size_t j = json_array_size(ds); j-- > 0;) {
			const char *vis = json_string_value(
				json_object_get(json_array_get(ds, j), "visibility"));
			if (vis && strcmp(vis, "public") != 0)
				json_array_remove(ds, j);
		}
	}
}

/* The string array body[key] into out[0..max); returns the count, or -1 (r filled). */
static int strings(struct kc_http_reply *r, const json_t *body, const char *key,
		   const char **out, size_t max)
{
	json_t *a = json_object_get(body, key), *v;
	size_t i;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > max) {
		kc__http_error(r, 422, key, "%s must be an array of at most %zu strings", key, max);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			kc__http_error(r, 422, key, "%s[%zu] is not a string", key, i);
			return -1;
		}
		out[i] = json_string_value(v);
	}
	return (int)i;
}

static void simulate(struct kc_http_req *q, struct kc_http_reply *r, struct kc_chain *c)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *body = kc__http_body(q, r), *out = NULL;
	const char *orgs[MAX_REMOVE], *nodes[MAX_REMOVE], *regs[MAX_REMOVE];
	uint32_t codes[MAX_REMOVE];
	if (body == NULL)
		return;
	int no = strings(r, body, "orgs", orgs, MAX_REMOVE);
	int nn = no < 0 ? -1 : strings(r, body, "nodes", nodes, MAX_REMOVE);
	int nr = nn < 0 ? -1 : strings(r, body, "regions", regs, MAX_REMOVE);
	if (nr < 0)
		goto out;
	for (int i = 0; i < nr; i++) {
		codes[i] = kc_region_parse(regs[i], strlen(regs[i]));
		if (codes[i] == 0 || kc_region_get(codes[i]) == NULL) {
			kc__http_error(r, 422, "regions", "regions[%d] '%.20s' is not a GB/T 2260 code",
				       i, regs[i]);
			goto out;
		}
	}
	struct kc_chain_removal rm = {orgs, (size_t)no, nodes, (size_t)nn, codes, (size_t)nr};
	struct kc_chain_opts o;
	memset(&o, 0, sizeof(o));
	int rc = kc_chain_simulate(c, &rm, &o, &out, &err);
	if (rc < 0)
		kc__http_fail(r, rc, &err);
	else
		kc__http_json(r, out);
out:
	json_decref(out);
	json_decref(body);
}

void kc__http_chain_route(struct kc_http_req *q, struct kc_http_reply *r, const char *id,
			  const char *analysis)
{
	static const char *const gets[] = {"panorama", "coverage", "gaps",   "weak",
					   "bottlenecks", "recruit", "linkage"};
	struct kc_err err = KC_ERR_INIT;
	struct kc_chain *c = NULL;
	json_t *out = NULL;
	int which = -1;
	for (int i = 0; i < (int)(sizeof(gets) / sizeof(gets[0])); i++)
		if (strcmp(analysis, gets[i]) == 0)
			which = i;
	int get = strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
	if (strcmp(analysis, "simulate") == 0) {
		if (strcmp(q->method, "POST") != 0) {
			r->allow = "POST";
			kc__http_error(r, 405, NULL, "simulate takes a POST with the removals");
			return;
		}
	} else if (which < 0) {
		kc__http_error(r, 404, NULL, "no chain analysis '%.40s' (panorama, coverage, gaps, weak, "
					     "bottlenecks, recruit, linkage, simulate)", analysis);
		return;
	} else if (!get) {
		r->allow = "GET, HEAD";
		kc__http_error(r, 405, NULL, "%s is not allowed here", q->method);
		return;
	}
	uint32_t region = 0;
	struct kc_chain_opts o;
	if (which >= 0 && chain_params(q, r, which != 0 && which != 4, &region, &o) != 0)
		return;
	int rc = kc_chain_load(q->st, id, &c, &err);
	if (rc < 0) {
		kc__http_fail(r, rc, &err);
		return;
	}
	switch (which) {
	case 0: rc = kc_chain_panorama(c, &o, &out, &err); break;
	case 1: rc = kc_chain_coverage(c, region, &o, &out, &err); break;
	case 2: rc = kc_chain_gaps(c, region, &o, &out, &err); break;
	case 3: rc = kc_chain_weak(c, region, &o, &out, &err); break;
	case 4: rc = kc_chain_bottlenecks(c, region, &o, &out, &err); break;
	case 5: rc = kc_chain_recruit(c, region, &o, &out, &err); break;
	case 6:
		rc = kc_chain_linkage(q->st, c, region, &o, &out, &err);
		if (rc >= 0)
			filter_linkage(q, out);
		break;
	default: simulate(q, r, c); goto done;
	}
	if (rc < 0)
		kc__http_fail(r, rc, &err);
	else
		kc__http_json(r, out);
done:
	json_decref(out);
	kc_chain_free(c);
}
