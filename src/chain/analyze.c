/* chain: panorama, regional coverage, gap ranking (补链) and weak links (强链). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/codes.h"
#include "chain_int.h"
#include "banned.h"

static json_t *oom(struct kc_err *err, int *rc)
{
	*rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	return NULL;
}

/* ---- panorama ---- */

int kc_chain_panorama(struct kc_chain *c, const struct kc_chain_opts *o, json_t **out,
                      struct kc_err *err)
{
	(void)o;
	int rc;
	*out = NULL;
	rc = kc__chain_need_scc(c, err);
	if (rc < 0)
		return rc;
	json_t *res = json_object();
	json_t *nodes = json_array(), *links = json_array();
	json_t *stages = json_pack("{s:[],s:[],s:[]}", "upstream", "midstream", "downstream");
	json_t *sk_nodes = json_array(), *sk_links = json_array();
	int maxdepth = 0, nlinks = 0;
	if (!res || !nodes || !links || !stages || !sk_nodes || !sk_links) {
		json_decref(nodes);
		json_decref(links);
		json_decref(stages);
		json_decref(sk_nodes);
		json_decref(sk_links);
		json_decref(res);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	json_object_set_new(res, "chain", kc__chain_json(c));
	for (int v = 0; v < c->n; v++) {
		const struct kc__cnode *nd = &c->nodes[v];
		json_t *regions = json_array();
		/* Companies per province (links are sorted by org within the node). */
		uint32_t prov[64];
		int cnt[64], np = 0, last = -1;
		for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
			const struct kc__link *l = &c->links[k];
			if (!kc__role_supplies(l->role) || l->org == last)
				continue;
			last = l->org;
			uint32_t p = kc_region_province(kc__link_region(c, l));
			int j = 0;
			while (j < np && prov[j] != p)
				j++;
			if (j == np && np < 64) {
				prov[np] = p;
				cnt[np++] = 0;
			}
			if (j < 64)
				cnt[j]++;
		}
		/* Most companies first, then by code. */
		for (int a = 1; a < np; a++)
			for (int b = a; b > 0 && (cnt[b] > cnt[b - 1] ||
			                          (cnt[b] == cnt[b - 1] && prov[b] < prov[b - 1]));
			     b--) {
				int t = cnt[b];
				cnt[b] = cnt[b - 1];
				cnt[b - 1] = t;
				uint32_t u = prov[b];
				prov[b] = prov[b - 1];
				prov[b - 1] = u;
			}
		for (int j = 0; j < np; j++) {
			json_t *r = kc__region_json(prov[j]);
			json_object_set_new(r, "companies", json_integer(cnt[j]));
			json_array_append_new(regions, r);
		}
		if (c->depth[v] > maxdepth)
			maxdepth = c->depth[v];
		json_array_append_new(
		    nodes,
		    json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:o}", "id", nd->id, "name", nd->name,
		              "stage", kc__stage_name(nd->stage), "depth", c->depth[v], "companies",
		              nd->nsup, "inputs", c->in_off[v + 1] - c->in_off[v], "outputs",
		              c->out_off[v + 1] - c->out_off[v], "regions", regions));
		json_array_append_new(json_object_get(stages, kc__stage_name(nd->stage)),
		                      json_string(nd->id));
		json_array_append_new(sk_nodes,
		                      json_pack("{s:s,s:s}", "name", nd->id, "label", nd->name));
		for (int j = c->out_off[v]; j < c->out_off[v + 1]; j++) {
			int w = c->out_adj[j];
			json_array_append_new(links, json_pack("{s:s,s:s}", "source", nd->id,
			                                       "target", c->nodes[w].id));
			nlinks++;
			/* Sankey charts need a DAG: edges inside a cycle are left out there. */
			if (c->scc[w] != c->scc[v])
				json_array_append_new(
				    sk_links, json_pack("{s:i,s:i,s:i}", "source", v, "target", w,
				                        "value", nd->nsup > 0 ? nd->nsup : 1));
		}
	}
	json_t *summary =
	    json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:I}", "nodes", c->n, "links", nlinks, "upstream",
	              (int)json_array_size(json_object_get(stages, "upstream")), "midstream",
	              (int)json_array_size(json_object_get(stages, "midstream")), "downstream",
	              (int)json_array_size(json_object_get(stages, "downstream")), "max_depth",
	              maxdepth, "external_edges", (json_int_t)c->external_edges);
	json_object_set_new(res, "summary", summary);
	json_object_set_new(res, "stages", stages);
	json_object_set_new(res, "nodes", nodes);
	json_object_set_new(res, "links", links);
	json_object_set_new(res, "sankey",
	                    json_pack("{s:o,s:o}", "nodes", sk_nodes, "links", sk_links));
	*out = res;
	return 0;
}

/* ---- per-region figures ---- */

struct regctx {
	uint32_t region, prov;
	int *local; /* distinct local supplying orgs per node */
	int *users; /* local orgs with role user per node */
};

static void regctx_release(struct regctx *r)
{
	kc_free(r->local);
	kc_free(r->users);
}

static int regctx_init(struct kc_chain *c, uint32_t region, struct regctx *r, struct kc_err *err)
{
	memset(r, 0, sizeof(*r));
	int rc = kc__chain_check_region(region, err);
	if (rc < 0)
		return rc;
	r->region = region;
	r->prov = kc_region_province(region);
	r->local = kc_calloc((size_t)c->n + 1, sizeof(int));
	r->users = kc_calloc((size_t)c->n + 1, sizeof(int));
	if (r->local == NULL || r->users == NULL) {
		regctx_release(r);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	for (int v = 0; v < c->n; v++) {
		int last_s = -1, last_u = -1;
		for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
			const struct kc__link *l = &c->links[k];
			if (!kc_chain_region_within(kc__link_region(c, l), region))
				continue;
			if (kc__role_supplies(l->role) && l->org != last_s) {
				r->local[v]++;
				last_s = l->org;
			} else if (l->role == KC__ROLE_USER && l->org != last_u) {
				r->users[v]++;
				last_u = l->org;
			}
		}
	}
	return 0;
}

static const char *status_of(const struct kc_chain *c, const struct regctx *r, int v, int thin)
{
	if (c->nodes[v].nsup == 0)
		return "unsupplied";
	if (r->local[v] == 0)
		return "absent";
	if (r->local[v] <= thin)
		return "thin";
	return "present";
}

/* Up to max names of local supplying orgs of v, as a JSON array. */
static json_t *local_orgs(const struct kc_chain *c, int v, uint32_t region, int max)
{
	json_t *a = json_array();
	int last = -1, n = 0;
	for (int k = c->link_off[v]; k < c->link_off[v + 1] && n < max; k++) {
		const struct kc__link *l = &c->links[k];
		if (!kc__role_supplies(l->role) || l->org == last ||
		    !kc_chain_region_within(kc__link_region(c, l), region))
			continue;
		last = l->org;
		const struct kc__corg *o = &c->orgs[l->org];
		json_array_append_new(a, json_pack("{s:s,s:s}", "id", o->id, "name", o->name));
		n++;
	}
	return a;
}

int kc_chain_coverage(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                      json_t **out, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	struct regctx r;
	int rc;
	*out = NULL;
	rc = regctx_init(c, region, &r, err);
	if (rc < 0)
		return rc;
	rc = kc__chain_need_scc(c, err);
	if (rc < 0)
		goto cleanup;
	json_t *res = json_object(), *nodes = json_array();
	if (res == NULL || nodes == NULL) {
		json_decref(res);
		json_decref(nodes);
		oom(err, &rc);
		goto cleanup;
	}
	int cnt[4] = {0, 0, 0, 0}; /* present thin absent unsupplied */
	int by_stage[3][4];
	memset(by_stage, 0, sizeof(by_stage));
	for (int v = 0; v < c->n; v++) {
		const char *st = status_of(c, &r, v, op.thin);
		int s = st[0] == 'p' ? 0 : st[0] == 't' ? 1 : st[0] == 'a' ? 2 : 3;
		cnt[s]++;
		by_stage[c->nodes[v].stage][s]++;
		json_array_append_new(
		    nodes,
		    json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:i,s:i,s:o}", "id", c->nodes[v].id, "name",
		              c->nodes[v].name, "stage", kc__stage_name(c->nodes[v].stage), "depth",
		              c->depth[v], "status", st, "local", r.local[v], "national",
		              c->nodes[v].nsup, "local_users", r.users[v], "local_orgs",
		              local_orgs(c, v, region, 5)));
	}
	int supplied = c->n - cnt[3];
	json_t *stages = json_object();
	for (int s = 0; s < 3; s++)
		json_object_set_new(stages, kc__stage_name(s),
		                    json_pack("{s:i,s:i,s:i,s:i}", "present", by_stage[s][0],
		                              "thin", by_stage[s][1], "absent", by_stage[s][2],
		                              "unsupplied", by_stage[s][3]));
	json_object_set_new(res, "chain", kc__chain_json(c));
	json_object_set_new(res, "region", kc__region_json(region));
	json_object_set_new(res, "thin_max", json_integer(op.thin));
	json_object_set_new(
	    res, "summary",
	    json_pack("{s:i,s:i,s:i,s:i,s:i,s:f,s:o}", "nodes", c->n, "present", cnt[0], "thin",
	              cnt[1], "absent", cnt[2], "unsupplied", cnt[3], "coverage",
	              supplied > 0 ? (double)(cnt[0] + cnt[1]) / (double)supplied : 0.0, "by_stage",
	              stages));
	json_object_set_new(res, "nodes", nodes);
	*out = res;
cleanup:
	regctx_release(&r);
	return rc;
}

/* ---- gaps and weak links ---- */

/* Local demand for v: local supplying orgs at the nodes v is an input of, plus local users. */
static int local_demand(const struct kc_chain *c, const struct regctx *r, int v)
{
	int d = r->users[v];
	for (int j = c->out_off[v]; j < c->out_off[v + 1]; j++)
		d += r->local[c->out_adj[j]];
	return d;
}

static double reach_share(const struct kc_chain *c, int v)
{
	return c->n > 1 ? (double)c->reach[v] / (double)(c->n - 1) : 0.0;
}

static double gap_score(const struct kc_chain *c, const struct regctx *r, int v)
{
	return 0.40 * reach_share(c, v) + 0.20 * c->rank[v] +
	       0.25 * (local_demand(c, r, v) > 0 ? 1.0 : 0.0) + 0.15 * c->nodes[v].hhi;
}

/* Nearest province (km from the region's province) with a supplier of u; -1 when none. */
static double nearest_km(const struct kc_chain *c, int u, uint32_t prov, uint32_t *where)
{
	double best = -1;
	*where = 0;
	for (int k = c->link_off[u]; k < c->link_off[u + 1]; k++) {
		const struct kc__link *l = &c->links[k];
		if (!kc__role_supplies(l->role))
			continue;
		uint32_t p = kc_region_province(kc__link_region(c, l));
		double km = kc_chain_region_km(prov, p);
		if (km < 0)
			continue;
		if (best < 0 || km < best || (km == best && p < *where)) {
			best = km;
			*where = p;
		}
	}
	return best;
}

struct weakfig {
	double thinness, far_share;
	int far, supplied_inputs, concentrated;
};

static void weak_figures(const struct kc_chain *c, const struct regctx *r,
                         const struct kc_chain_opts *op, int v, struct weakfig *w)
{
	memset(w, 0, sizeof(*w));
	int local = r->local[v];
	if (local >= 1 && local <= op->thin)
		w->thinness = (double)(op->thin - local + 1) / (double)op->thin;
	const struct kc__cnode *nd = &c->nodes[v];
	w->concentrated = nd->hhi >= op->hhi_high && nd->top_prov != r->prov && nd->nprov > 0;
	for (int j = c->in_off[v]; j < c->in_off[v + 1]; j++) {
		int u = c->in_adj[j];
		if (c->nodes[u].nsup == 0)
			continue;
		w->supplied_inputs++;
		uint32_t where;
		double km = nearest_km(c, u, r->prov, &where);
		if (km > op->far_km)
			w->far++;
	}
	w->far_share = w->supplied_inputs ? (double)w->far / (double)w->supplied_inputs : 0.0;
}

static double weak_score(const struct kc_chain *c, int v, const struct weakfig *w)
{
	return 0.40 * w->thinness + 0.25 * (w->concentrated ? c->nodes[v].hhi : 0.0) +
	       0.20 * w->far_share + 0.15 * reach_share(c, v);
}

static int is_weak(const struct regctx *r, int v, const struct weakfig *w)
{
	return r->local[v] > 0 && (w->thinness > 0 || w->concentrated || w->far > 0);
}

static int need_all(struct kc_chain *c, struct kc_err *err)
{
	int rc = kc__chain_need_scc(c, err);
	if (rc >= 0)
		rc = kc__chain_need_reach(c, err);
	if (rc >= 0)
		rc = kc__chain_need_rank(c, err);
	return rc;
}

int kc__chain_gap_scores(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                         double **gap, double **weak, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	struct regctx r;
	*gap = *weak = NULL;
	int rc = regctx_init(c, region, &r, err);
	if (rc < 0)
		return rc;
	rc = need_all(c, err);
	if (rc < 0)
		goto cleanup;
	double *g = kc_malloc(((size_t)c->n + 1) * sizeof(double));
	double *w = kc_malloc(((size_t)c->n + 1) * sizeof(double));
	if (g == NULL || w == NULL) {
		kc_free(g);
		kc_free(w);
		oom(err, &rc);
		goto cleanup;
	}
	for (int v = 0; v < c->n; v++) {
		g[v] = w[v] = -1;
		if (r.local[v] == 0 && (c->nodes[v].nsup > 0 || op.include_unsupplied))
			g[v] = gap_score(c, &r, v);
		struct weakfig wf;
		weak_figures(c, &r, &op, v, &wf);
		if (is_weak(&r, v, &wf))
			w[v] = weak_score(c, v, &wf);
	}
	*gap = g;
	*weak = w;
cleanup:
	regctx_release(&r);
	return rc;
}

/* Names of up to max nodes of list (indexes), joined by "、". */
static void name_list(const struct kc_chain *c, const int *list, int n, int max, char *buf,
                      size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && i < max; i++) {
		int w =
		    snprintf(buf + len, cap - len, "%s%s", i ? "、" : "", c->nodes[list[i]].name);
		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
	}
	if (n > max && len + 8 < cap)
		snprintf(buf + len, cap - len, " 等");
}

static json_t *gap_item(struct kc_chain *c, const struct regctx *r, const struct kc_chain_opts *op,
                        int v, double score)
{
	const struct kc__cnode *nd = &c->nodes[v];
	json_t *reasons = json_array();
	int demand = local_demand(c, r, v);
	if (nd->nsup == 0)
		kc__reason(reasons, "unsupplied", "全国数据中没有供应该环节的企业",
			   "no company in the data supplies this node nationwide");
	else
		kc__reason(reasons, "absent", "本地无企业；全国 %d 家，分布于 %d 个省份",
			   "no local company; %d nationwide, in %d province(s)", nd->nsup,
		           nd->nprov);
	if (c->reach[v] > 0)
		kc__reason(reasons, "downstream_reach",
		           "链上 %d 个节点（占 %.1f%%）直接或间接以其为投入",
			   "%d chain node(s) (%.1f%%) use it as a direct or indirect input", c->reach[v],
		           100.0 * reach_share(c, v));
	if (c->rank[v] >= 0.5)
		kc__reason(reasons, "centrality", "中心度 %.2f（全链最高为 1）",
			   "centrality %.2f (the chain's highest is 1)", c->rank[v]);
	if (demand > 0) {
		int users[8], nu = 0;
		for (int j = c->out_off[v]; j < c->out_off[v + 1] && nu < 8; j++)
			if (r->local[c->out_adj[j]] > 0)
				users[nu++] = c->out_adj[j];
		char names[256];
		name_list(c, users, nu, 3, names, sizeof(names));
		if (nu > 0)
			kc__reason(reasons, "local_demand", "本地 %d 家企业生产其下游产品：%s",
			   "local companies making its downstream products: %d (%s)",
			           demand - r->users[v], names);
		if (r->users[v] > 0)
			kc__reason(reasons, "local_users", "本地 %d 家机构是其用户",
			   "local organisations using it: %d", r->users[v]);
	}
	if (nd->hhi >= op->hhi_high && nd->nsup > 0)
		kc__reason(reasons, "concentrated", "全国供给集中：%d/%d 家在%s（HHI %.2f）",
			   "national supply concentrated: %d of %d companies in %s (HHI %.2f)",
		           nd->top_prov_n, nd->nsup, kc__region_name(nd->top_prov), nd->hhi);
	return json_pack("{s:s,s:s,s:s,s:f,s:i,s:f,s:f,s:i,s:i,s:f,s:s?,s:i,s:o}", "id", nd->id,
	                 "name", nd->name, "stage", kc__stage_name(nd->stage), "score", score,
	                 "reach", c->reach[v], "reach_share", reach_share(c, v), "centrality",
	                 c->rank[v], "national", nd->nsup, "provinces", nd->nprov, "hhi", nd->hhi,
	                 "top_province", nd->top_prov ? kc__region_name(nd->top_prov) : NULL,
	                 "local_demand", demand, "reasons", reasons);
}

static json_t *weak_item(struct kc_chain *c, const struct regctx *r, const struct kc_chain_opts *op,
                         int v, double score, const struct weakfig *w)
{
	const struct kc__cnode *nd = &c->nodes[v];
	json_t *reasons = json_array();
	if (w->thinness > 0)
		kc__reason(reasons, "thin", "本地仅 %d 家企业（全国 %d 家）",
			   "local companies: only %d (%d nationwide)", r->local[v],
		           nd->nsup);
	if (w->concentrated)
		kc__reason(reasons, "concentrated", "全国供给集中在%s：%d/%d 家（HHI %.2f）",
			   "national supply concentrated in %s: %d of %d companies (HHI %.2f)",
		           kc__region_name(nd->top_prov), nd->top_prov_n, nd->nsup, nd->hhi);
	if (w->far > 0) {
		char buf[400];
		size_t len = 0;
		buf[0] = '\0';
		int shown = 0;
		for (int j = c->in_off[v]; j < c->in_off[v + 1] && shown < 3; j++) {
			int u = c->in_adj[j];
			if (c->nodes[u].nsup == 0)
				continue;
			uint32_t where;
			double km = nearest_km(c, u, r->prov, &where);
			if (km <= op->far_km)
				continue;
			int n = snprintf(buf + len, sizeof(buf) - len,
			                 "%s%s 最近在%s（约 %.0f km）", shown ? "；" : "",
			                 c->nodes[u].name, kc__region_name(where), km);
			if (n < 0 || (size_t)n >= sizeof(buf) - len)
				break;
			len += (size_t)n;
			shown++;
		}
		kc__reason(reasons, w->far == w->supplied_inputs ? "far_inputs_only" : "far_inputs",
		           "%d/%d 种投入在省内无供应且最近供应超过 %.0f km：%s",
			   "%d/%d inputs have no supplier in the province and the nearest is over %.0f km away: %s", w->far,
		           w->supplied_inputs, op->far_km, buf);
	}
	if (c->reach[v] > 0)
		kc__reason(reasons, "downstream_reach", "链上 %d 个节点（占 %.1f%%）依赖它",
			   "%d chain node(s) (%.1f%%) depend on it",
		           c->reach[v], 100.0 * reach_share(c, v));
	return json_pack("{s:s,s:s,s:s,s:f,s:i,s:i,s:f,s:i,s:i,s:o,s:o}", "id", nd->id, "name",
	                 nd->name, "stage", kc__stage_name(nd->stage), "score", score, "local",
	                 r->local[v], "national", nd->nsup, "hhi", nd->hhi, "far_inputs", w->far,
	                 "reach", c->reach[v], "local_orgs", local_orgs(c, v, r->region, 5),
	                 "reasons", reasons);
}

static int rank_nodes(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o, int weak,
                      json_t **out, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	struct regctx r;
	struct kc__scored *items = NULL;
	json_t *res = NULL, *list = NULL;
	*out = NULL;
	int rc = regctx_init(c, region, &r, err);
	if (rc < 0)
		return rc;
	rc = need_all(c, err);
	if (rc < 0)
		goto cleanup;
	items = kc_malloc(((size_t)c->n + 1) * sizeof(*items));
	res = json_object();
	list = json_array();
	if (items == NULL || res == NULL || list == NULL) {
		oom(err, &rc);
		goto cleanup;
	}
	size_t n = 0;
	int considered = 0;
	for (int v = 0; v < c->n; v++) {
		double s;
		if (weak) {
			struct weakfig wf;
			if (r.local[v] == 0)
				continue;
			considered++;
			weak_figures(c, &r, &op, v, &wf);
			if (!is_weak(&r, v, &wf))
				continue;
			s = weak_score(c, v, &wf);
		} else {
			if (r.local[v] > 0 || (c->nodes[v].nsup == 0 && !op.include_unsupplied))
				continue;
			considered++;
			s = gap_score(c, &r, v);
		}
		items[n].score = s;
		items[n].key = c->nodes[v].id;
		items[n].ix = v;
		n++;
	}
	kc__scored_sort(items, n);
	size_t keep = op.limit < 0 || (size_t)op.limit > n ? n : (size_t)op.limit;
	for (size_t i = 0; i < keep; i++) {
		int v = items[i].ix;
		json_t *it;
		if (weak) {
			struct weakfig wf;
			weak_figures(c, &r, &op, v, &wf);
			it = weak_item(c, &r, &op, v, items[i].score, &wf);
		} else {
			it = gap_item(c, &r, &op, v, items[i].score);
		}
		if (it == NULL) {
			oom(err, &rc);
			goto cleanup;
		}
		json_object_set_new(it, "rank", json_integer((json_int_t)i + 1));
		json_array_append_new(list, it);
	}
	json_object_set_new(res, "chain", kc__chain_json(c));
	json_object_set_new(res, "region", kc__region_json(region));
	json_object_set_new(res, "total", json_integer((json_int_t)n));
	json_object_set_new(res, weak ? "present" : "absent", json_integer(considered));
	json_object_set_new(res, weak ? "weak" : "gaps", list);
	list = NULL;
	*out = res;
	res = NULL;
	rc = (int)n;
cleanup:
	json_decref(list);
	json_decref(res);
	kc_free(items);
	regctx_release(&r);
	return rc;
}

int kc_chain_gaps(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o, json_t **out,
                  struct kc_err *err)
{
	return rank_nodes(c, region, o, 0, out, err);
}

int kc_chain_weak(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o, json_t **out,
                  struct kc_err *err)
{
	return rank_nodes(c, region, o, 1, out, err);
}
