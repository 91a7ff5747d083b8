/* chain: bottlenecks (卡脖子), disruption simulation, recruitment targets (精准招商) and the
 * innovation linkage of weak nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/codes.h"
#include "chain_int.h"
#include "banned.h"

/* Appends up to max node names of the list to buf ("A、B、C 等"). */
static void names(const struct kc_chain *c, const int *list, int n, int max, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && i < max; i++) {
		int w =
		    snprintf(buf + len, cap - len, "%s%s", i ? "、" : "", c->nodes[list[i]].name);
		if (w < 0 || (size_t)w >= cap - len)
			return;
		len += (size_t)w;
	}
	if (n > max && len + 8 < cap)
		snprintf(buf + len, cap - len, " 等");
}

/* Marks (mark[v] = 1) the nodes downstream of the seeds (seeds themselves excluded unless
 * reached again); returns how many nodes were newly marked. queue has room for c->n. */
static int downstream(const struct kc_chain *c, const int *seeds, int nseeds, unsigned char *mark,
                      int *queue)
{
	int qh = 0, qt = 0, count = 0;
	for (int i = 0; i < nseeds; i++)
		queue[qt++] = seeds[i];
	while (qh < qt) {
		int u = queue[qh++];
		for (int j = c->out_off[u]; j < c->out_off[u + 1]; j++) {
			int w = c->out_adj[j];
			if (!mark[w]) {
				mark[w] = 1;
				count++;
				queue[qt++] = w;
			}
		}
	}
	return count;
}

/* The single supplying org of v, or -1 when v has none or several. */
static int sole_org(const struct kc_chain *c, int v)
{
	if (c->nodes[v].nsup != 1)
		return -1;
	for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++)
		if (kc__role_supplies(c->links[k].role))
			return c->links[k].org;
	return -1;
}

/* ---- bottlenecks ---- */

/* mark[v] = 1 for nodes the region depends on: nodes with a local supplier and everything
 * upstream of them. */
static void region_dependence(const struct kc_chain *c, uint32_t region, unsigned char *mark,
                              int *queue)
{
	int qh = 0, qt = 0;
	for (int v = 0; v < c->n; v++)
		if (kc__chain_local(c, v, region) > 0) {
			mark[v] = 1;
			queue[qt++] = v;
		}
	while (qh < qt) {
		int u = queue[qh++];
		for (int j = c->in_off[u]; j < c->in_off[u + 1]; j++) {
			int w = c->in_adj[j];
			if (!mark[w]) {
				mark[w] = 1;
				queue[qt++] = w;
			}
		}
	}
}

int kc_chain_bottlenecks(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                         json_t **out, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	struct kc__scored *items = NULL, *orgs = NULL;
	unsigned char *dep = NULL, *mark = NULL;
	int *queue = NULL, *sole_nodes = NULL, *sole_off = NULL, *fill = NULL;
	double *proxy = NULL;
	json_t *res = NULL, *nlist = NULL, *olist = NULL;
	int rc;
	*out = NULL;
	if (region && (rc = kc__chain_check_region(region, err)) < 0)
		return rc;
	rc = kc__chain_need_dom(c, err);
	if (rc < 0)
		return rc;
	size_t n = (size_t)c->n;
	items = kc_malloc((n + 1) * sizeof(*items));
	orgs = kc_malloc(((size_t)c->norgs + 1) * sizeof(*orgs));
	dep = kc_calloc(n + 1, 1);
	mark = kc_calloc(n + 1, 1);
	queue = kc_malloc((n + 1) * sizeof(int));
	sole_off = kc_calloc((size_t)c->norgs + 2, sizeof(int));
	fill = kc_calloc((size_t)c->norgs + 1, sizeof(int));
	sole_nodes = kc_malloc((n + 1) * sizeof(int));
	proxy = kc_calloc((size_t)c->norgs + 1, sizeof(double));
	res = json_object();
	nlist = json_array();
	olist = json_array();
	if (!items || !orgs || !dep || !mark || !queue || !sole_off || !fill || !sole_nodes ||
	    !proxy || !res || !nlist || !olist) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (region)
		region_dependence(c, region, dep, queue);
	else
		memset(dep, 1, n);
	double denom = c->n > 1 ? (double)(c->n - 1) : 1.0;
	/* Nodes. */
	size_t ni = 0;
	int single_company = 0, single_region = 0;
	for (int v = 0; v < c->n; v++) {
		const struct kc__cnode *nd = &c->nodes[v];
		if (!dep[v])
			continue;
		int sc = nd->nsup == 1, sr = nd->nprov == 1 && nd->nsup > 1;
		single_company += sc;
		single_region += sr;
		if (c->domsize[v] == 0 && !sc && !sr)
			continue;
		items[ni].score = (double)c->domsize[v] / denom + 0.5 * sc + 0.25 * sr;
		items[ni].key = nd->id;
		items[ni].ix = v;
		ni++;
	}
	kc__scored_sort(items, ni);
	size_t keep = op.limit < 0 || (size_t)op.limit > ni ? ni : (size_t)op.limit;
	for (size_t i = 0; i < keep; i++) {
		int v = items[i].ix;
		const struct kc__cnode *nd = &c->nodes[v];
		json_t *reasons = json_array();
		if (c->domsize[v] > 0) {
			int kids[8], nk = 0;
			for (int w = 0; w < c->n && nk < 8; w++)
				if (c->idom[w] == v)
					kids[nk++] = w;
			char buf[300];
			names(c, kids, nk, 3, buf, sizeof(buf));
			kc__reason(reasons, "dominator",
			           "链上 %d 个节点（占 %.1f%%）的全部原料路径都经过它，如 %s",
			   "every input path of %d node(s) (%.1f%%) runs through it, e.g. %s",
			           c->domsize[v], 100.0 * c->domsize[v] / denom, buf);
		}
		if (nd->nsup == 1) {
			int so = sole_org(c, v);
			kc__reason(reasons, "single_company", "全国仅 1 家供应企业：%s",
			   "a single supplier nationwide: %s",
			           so >= 0 ? c->orgs[so].name : "?");
		} else if (nd->nprov == 1 && nd->nsup > 1) {
			kc__reason(reasons, "single_region", "全部 %d 家供应企业都在%s",
			   "all %d suppliers are in %s", nd->nsup,
			           kc__region_name(nd->top_prov));
		} else if (nd->nsup == 0) {
			kc__reason(reasons, "unsupplied", "数据中没有供应企业",
			   "no supplier in the data");
		}
		json_t *it =
		    json_pack("{s:i,s:s,s:s,s:s,s:f,s:i,s:i,s:i,s:o}", "rank", (int)i + 1, "id",
		              nd->id, "name", nd->name, "stage", kc__stage_name(nd->stage), "score",
		              items[i].score, "dominated", c->domsize[v], "national", nd->nsup,
		              "provinces", nd->nprov, "reasons", reasons);
		json_array_append_new(nlist, it);
	}
	/* Companies: the nodes each is the only supplier of (CSR by org). */
	for (int v = 0; v < c->n; v++) {
		int so = dep[v] ? sole_org(c, v) : -1;
		if (so >= 0)
			sole_off[so + 1]++;
	}
	for (int k = 0; k < c->norgs; k++)
		sole_off[k + 1] += sole_off[k];
	for (int v = 0; v < c->n; v++) {
		int so = dep[v] ? sole_org(c, v) : -1;
		if (so >= 0) {
			sole_nodes[sole_off[so] + fill[so]++] = v;
			proxy[so] += 1.0 + c->domsize[v];
		}
	}
	size_t no = 0;
	for (int k = 0; k < c->norgs; k++) {
		if (sole_off[k + 1] == sole_off[k])
			continue;
		orgs[no].score = proxy[k];
		orgs[no].key = c->orgs[k].id;
		orgs[no].ix = k;
		no++;
	}
	kc__scored_sort(orgs, no);
	/* Exact downstream effect for the best candidates (by the dominator proxy), then rank. */
	size_t cand = op.limit < 0 ? no : (size_t)op.limit * 3;
	if (cand > no)
		cand = no;
	for (size_t i = 0; i < cand; i++) {
		int k = orgs[i].ix;
		int *seeds = sole_nodes + sole_off[k];
		int ns = sole_off[k + 1] - sole_off[k];
		memset(mark, 0, n);
		for (int s = 0; s < ns; s++)
			mark[seeds[s]] = 1;
		/* The nodes it alone supplies plus everything downstream of them. */
		int uni = ns + downstream(c, seeds, ns, mark, queue);
		orgs[i].score = (double)uni;
	}
	kc__scored_sort(orgs, cand);
	size_t okeep = op.limit < 0 || (size_t)op.limit > cand ? cand : (size_t)op.limit;
	for (size_t i = 0; i < okeep; i++) {
		int k = orgs[i].ix;
		int *seeds = sole_nodes + sole_off[k];
		int ns = sole_off[k + 1] - sole_off[k];
		int affected = (int)orgs[i].score;
		json_t *reasons = json_array();
		char buf[300];
		names(c, seeds, ns, 3, buf, sizeof(buf));
		kc__reason(reasons, "sole_supplier", "是 %d 个环节的唯一供应企业：%s",
			   "sole supplier of %d node(s): %s", ns, buf);
		kc__reason(reasons, "downstream", "其退出使 %d 个节点（占 %.1f%%）断供或受影响",
			   "its exit cuts off or affects %d node(s) (%.1f%%)",
		           affected, 100.0 * affected / (double)(c->n ? c->n : 1));
		const struct kc__corg *org = &c->orgs[k];
		json_t *it =
		    json_pack("{s:i,s:s,s:s,s:o,s:i,s:i,s:o}", "rank", (int)i + 1, "id", org->id,
		              "name", org->name, "region", kc__region_json(org->region),
		              "sole_nodes", ns, "affected", affected, "reasons", reasons);
		json_array_append_new(olist, it);
	}
	json_object_set_new(res, "chain", kc__chain_json(c));
	json_object_set_new(res, "region", region ? kc__region_json(region) : json_null());
	json_object_set_new(res, "summary",
	                    json_pack("{s:i,s:i,s:i}", "single_company_nodes", single_company,
	                              "single_region_nodes", single_region, "critical_companies",
	                              (int)no));
	json_object_set_new(res, "nodes", nlist);
	json_object_set_new(res, "companies", olist);
	nlist = olist = NULL;
	*out = res;
	res = NULL;
	rc = (int)ni;
cleanup:
	json_decref(res);
	json_decref(nlist);
	json_decref(olist);
	kc_free(items);
	kc_free(orgs);
	kc_free(dep);
	kc_free(mark);
	kc_free(queue);
	kc_free(sole_nodes);
	kc_free(sole_off);
	kc_free(fill);
	kc_free(proxy);
	return rc;
}

/* ---- simulation ---- */

static int removed_region(const struct kc_chain_removal *rm, uint32_t code)
{
	for (size_t i = 0; i < rm->nregions; i++)
		if (kc_chain_region_within(code, rm->regions[i]))
			return 1;
	return 0;
}

int kc_chain_simulate(struct kc_chain *c, const struct kc_chain_removal *rm,
                      const struct kc_chain_opts *o, json_t **out, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	static const struct kc_chain_removal none = {NULL, 0, NULL, 0, NULL, 0};
	unsigned char *org_gone = NULL, *node_gone = NULL, *mark = NULL;
	int *after = NULL, *queue = NULL, *lost = NULL;
	struct kc__scored *alts = NULL;
	json_t *res = NULL, *unknown = NULL, *lost_j = NULL, *deg_j = NULL;
	int rc = 0;
	*out = NULL;
	if (rm == NULL)
		rm = &none;
	for (size_t i = 0; i < rm->nregions; i++)
		if ((rc = kc__chain_check_region(rm->regions[i], err)) < 0)
			return rc;
	size_t n = (size_t)c->n;
	org_gone = kc_calloc((size_t)c->norgs + 1, 1);
	node_gone = kc_calloc(n + 1, 1);
	mark = kc_calloc(n + 1, 1);
	after = kc_calloc(n + 1, sizeof(int));
	queue = kc_malloc((n + 1) * sizeof(int));
	lost = kc_malloc((n + 1) * sizeof(int));
	alts = kc_malloc(((size_t)c->nlinks + 1) * sizeof(*alts));
	res = json_object();
	unknown = json_array();
	lost_j = json_array();
	deg_j = json_array();
	if (!org_gone || !node_gone || !mark || !after || !queue || !lost || !alts || !res ||
	    !unknown || !lost_j || !deg_j) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < rm->norgs; i++) {
		int k = kc__idmap_get(&c->org_ix, rm->orgs[i]);
		if (k < 0)
			json_array_append_new(unknown, json_pack("{s:s,s:s}", "org", rm->orgs[i],
			                                         "why", "not on this chain"));
		else
			org_gone[k] = 1;
	}
	for (size_t i = 0; i < rm->nnodes; i++) {
		int v = kc__idmap_get(&c->node_ix, rm->nodes[i]);
		if (v < 0)
			json_array_append_new(unknown, json_pack("{s:s,s:s}", "node", rm->nodes[i],
			                                         "why", "not on this chain"));
		else
			node_gone[v] = 1;
	}
	/* Suppliers left per node. */
	for (int v = 0; v < c->n; v++) {
		int last = -1;
		if (node_gone[v])
			continue;
		for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
			const struct kc__link *l = &c->links[k];
			if (!kc__role_supplies(l->role) || l->org == last || org_gone[l->org] ||
			    removed_region(rm, kc__link_region(c, l)))
				continue;
			last = l->org;
			after[v]++;
		}
	}
	int nlost = 0, ndeg = 0;
	for (int v = 0; v < c->n; v++)
		if (node_gone[v] || (c->nodes[v].nsup > 0 && after[v] == 0)) {
			lost[nlost++] = v;
			mark[v] = 1;
		}
	int affected = downstream(c, lost, nlost, mark, queue);
	int stage_aff[3] = {0, 0, 0};
	for (int v = 0; v < c->n; v++)
		if (mark[v])
			stage_aff[c->nodes[v].stage]++;
	size_t keep_lost = op.limit < 0 || op.limit > nlost ? (size_t)nlost : (size_t)op.limit;
	memset(queue, 0, (n + 1) * sizeof(int)); /* reused: downstream count per lost node */
	for (size_t i = 0; i < keep_lost; i++) {
		int v = lost[i];
		json_t *reasons = json_array();
		if (node_gone[v])
			kc__reason(reasons, "removed", "该环节被移除",
			   "this node was removed");
		else
			kc__reason(reasons, "no_supplier_left",
			           "全部 %d 家供应企业被移除，数据中无替代",
			   "all %d supplier(s) removed, no replacement in the data", c->nodes[v].nsup);
		int down = c->out_off[v + 1] - c->out_off[v];
		if (down > 0)
			kc__reason(reasons, "feeds", "直接影响 %d 个下游环节",
			   "feeds %d downstream node(s) directly", down);
		json_array_append_new(
		    lost_j, json_pack("{s:s,s:s,s:s,s:i,s:o}", "id", c->nodes[v].id, "name",
		                      c->nodes[v].name, "stage", kc__stage_name(c->nodes[v].stage),
		                      "suppliers_before", c->nodes[v].nsup, "reasons", reasons));
	}
	for (int v = 0; v < c->n; v++) {
		if (node_gone[v] || after[v] == 0 || after[v] >= c->nodes[v].nsup)
			continue;
		ndeg++;
		if (op.limit >= 0 && ndeg > op.limit)
			continue;
		size_t na = 0;
		int last = -1;
		for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
			const struct kc__link *l = &c->links[k];
			if (!kc__role_supplies(l->role) || l->org == last || org_gone[l->org] ||
			    removed_region(rm, kc__link_region(c, l)))
				continue;
			last = l->org;
			alts[na].score = (l->share > 0 ? l->share : 0) + c->orgs[l->org].scale;
			alts[na].key = c->orgs[l->org].id;
			alts[na].ix = k;
			na++;
		}
		kc__scored_sort(alts, na);
		json_t *aj = json_array();
		for (size_t i = 0; i < na && i < 5; i++) {
			const struct kc__link *l = &c->links[alts[i].ix];
			const struct kc__corg *org = &c->orgs[l->org];
			json_t *reasons = json_array();
			if (l->share > 0)
				kc__reason(reasons, "share", "该产品占其营收 %.0f%%",
			   "this product is %.0f%% of its revenue",
				           100 * l->share);
			kc__reason(reasons, "region", "位于%s",
			   "located in %s",
			           kc__region_name(kc__link_region(c, l)));
			json_array_append_new(
			    aj, json_pack("{s:i,s:s,s:s,s:o,s:f,s:o}", "rank", (int)i + 1, "id",
			                  org->id, "name", org->name, "region",
			                  kc__region_json(kc__link_region(c, l)), "score",
			                  alts[i].score, "reasons", reasons));
		}
		json_array_append_new(
		    deg_j, json_pack("{s:s,s:s,s:i,s:i,s:o}", "id", c->nodes[v].id, "name",
		                     c->nodes[v].name, "suppliers_before", c->nodes[v].nsup,
		                     "suppliers_after", after[v], "alternatives", aj));
	}
	json_object_set_new(res, "chain", kc__chain_json(c));
	json_object_set_new(res, "summary",
	                    json_pack("{s:i,s:i,s:i,s:i,s:f,s:{s:i,s:i,s:i}}", "nodes", c->n,
	                              "lost", nlost, "degraded", ndeg, "affected_downstream",
	                              affected, "affected_share",
	                              c->n ? (double)(nlost + affected) / (double)c->n : 0.0,
	                              "affected_by_stage", "upstream", stage_aff[0], "midstream",
	                              stage_aff[1], "downstream", stage_aff[2]));
	json_object_set_new(res, "lost", lost_j);
	json_object_set_new(res, "degraded", deg_j);
	json_object_set_new(res, "unknown", unknown);
	lost_j = deg_j = unknown = NULL;
	*out = res;
	res = NULL;
	rc = nlost;
cleanup:
	json_decref(res);
	json_decref(unknown);
	json_decref(lost_j);
	json_decref(deg_j);
	kc_free(org_gone);
	kc_free(node_gone);
	kc_free(mark);
	kc_free(after);
	kc_free(queue);
	kc_free(lost);
	kc_free(alts);
	return rc;
}

/* ---- recruitment ---- */

int kc_chain_recruit(struct kc_chain *c, uint32_t region, const struct kc_chain_opts *o,
                     json_t **out, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	double *gap = NULL, *weak = NULL, *sum = NULL;
	int *fills = NULL, *strengthens = NULL, *lastnode = NULL;
	struct kc__scored *items = NULL;
	json_t *res = NULL, *list = NULL;
	*out = NULL;
	int rc = kc__chain_gap_scores(c, region, &op, &gap, &weak, err);
	if (rc < 0)
		return rc;
	size_t no = (size_t)c->norgs;
	sum = kc_calloc(no + 1, sizeof(double));
	fills = kc_calloc(no + 1, sizeof(int));
	strengthens = kc_calloc(no + 1, sizeof(int));
	lastnode = kc_malloc((no + 1) * sizeof(int));
	items = kc_malloc((no + 1) * sizeof(*items));
	res = json_object();
	list = json_array();
	if (!sum || !fills || !strengthens || !lastnode || !items || !res || !list) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t k = 0; k < no; k++)
		lastnode[k] = -1;
	for (int v = 0; v < c->n; v++) {
		if (gap[v] < 0 && weak[v] < 0)
			continue;
		for (int k = c->link_off[v]; k < c->link_off[v + 1]; k++) {
			const struct kc__link *l = &c->links[k];
			if (!kc__role_supplies(l->role) || lastnode[l->org] == v ||
			    kc_chain_region_within(c->orgs[l->org].region, region) ||
			    kc_chain_region_within(kc__link_region(c, l), region))
				continue;
			lastnode[l->org] = v;
			if (gap[v] >= 0) {
				fills[l->org]++;
				sum[l->org] += gap[v];
			} else {
				strengthens[l->org]++;
				sum[l->org] += weak[v];
			}
		}
	}
	size_t ni = 0;
	for (size_t k = 0; k < no; k++) {
		if (fills[k] == 0 && strengthens[k] == 0)
			continue;
		double km = kc_chain_region_km(c->orgs[k].region, region);
		double near = km < 0 ? 0 : km >= 3000 ? 0 : 1 - km / 3000;
		items[ni].score = sum[k] + 0.3 * c->orgs[k].scale + 0.3 * near;
		items[ni].key = c->orgs[k].id;
		items[ni].ix = (int)k;
		ni++;
	}
	kc__scored_sort(items, ni);
	size_t keep = op.limit < 0 || (size_t)op.limit > ni ? ni : (size_t)op.limit;
	int *gl = kc_malloc(((size_t)c->n + 1) * sizeof(int));
	int *wl = kc_malloc(((size_t)c->n + 1) * sizeof(int));
	if (gl == NULL || wl == NULL) {
		kc_free(gl);
		kc_free(wl);
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < keep; i++) {
		int k = items[i].ix;
		const struct kc__corg *org = &c->orgs[k];
		int ng = 0, nw = 0;
		json_t *nodes = json_array();
		/* The nodes it fills, in chain order. */
		for (int v = 0; v < c->n; v++) {
			if (gap[v] < 0 && weak[v] < 0)
				continue;
			int has = 0;
			for (int j = c->link_off[v]; j < c->link_off[v + 1] && !has; j++)
				has = c->links[j].org == k && kc__role_supplies(c->links[j].role);
			if (!has)
				continue;
			if (gap[v] >= 0)
				gl[ng++] = v;
			else
				wl[nw++] = v;
			json_array_append_new(nodes,
			                      json_pack("{s:s,s:s,s:s}", "id", c->nodes[v].id,
			                                "name", c->nodes[v].name, "kind",
			                                gap[v] >= 0 ? "gap" : "weak"));
		}
		json_t *reasons = json_array();
		char buf[300];
		if (ng > 0) {
			names(c, gl, ng, 3, buf, sizeof(buf));
			kc__reason(reasons, "fills_gaps", "可补 %d 个缺失环节：%s",
			   "fills %d missing node(s): %s", ng, buf);
		}
		if (nw > 0) {
			names(c, wl, nw, 3, buf, sizeof(buf));
			kc__reason(reasons, "strengthens", "可强 %d 个薄弱环节：%s",
			   "strengthens %d weak node(s): %s", nw, buf);
		}
		if (org->scale >= 1.0)
			kc__reason(reasons, "scale", "规模大", "large scale");
		else if (org->scale >= 0.6)
			kc__reason(reasons, "scale", "规模中等", "medium scale");
		double km = kc_chain_region_km(org->region, region);
		if (km >= 0)
			kc__reason(reasons, "distance", "位于%s，距本地约 %.0f km",
			   "located in %s, about %.0f km away",
			           kc__region_name(org->region), km);
		json_array_append_new(
		    list, json_pack("{s:i,s:s,s:s,s:o,s:f,s:i,s:i,s:o,s:o}", "rank", (int)i + 1,
		                    "id", org->id, "name", org->name, "region",
		                    kc__region_json(org->region), "score", items[i].score, "gaps",
		                    ng, "weak", nw, "nodes", nodes, "reasons", reasons));
	}
	kc_free(gl);
	kc_free(wl);
	json_object_set_new(res, "chain", kc__chain_json(c));
	json_object_set_new(res, "region", kc__region_json(region));
	json_object_set_new(res, "total", json_integer((json_int_t)ni));
	json_object_set_new(res, "targets", list);
	list = NULL;
	*out = res;
	res = NULL;
	rc = (int)ni;
cleanup:
	json_decref(res);
	json_decref(list);
	kc_free(gap);
	kc_free(weak);
	kc_free(sum);
	kc_free(fills);
	kc_free(strengthens);
	kc_free(lastnode);
	kc_free(items);
	return rc;
}

/* ---- innovation linkage ---- */

struct linkctx {
	struct kc_chain *c;
	uint32_t region;
	int *slot; /* node → index in arr, -1 */
	json_t *arr;
	int demand;
};

static uint32_t rec_region(const json_t *rec)
{
	const json_t *j = json_object_get(rec, "region");
	return json_is_string(j) ? kc_region_parse(json_string_value(j), json_string_length(j)) : 0;
}

static int on_record(void *ud, const json_t *rec)
{
	struct linkctx *lc = ud;
	const json_t *nodes = json_object_get(rec, "nodes");
	size_t i;
	const json_t *nv;
	json_array_foreach (nodes, i, nv) {
		int v = kc__idmap_get(&lc->c->node_ix, json_string_value(nv));
		if (v < 0 || lc->slot[v] < 0)
			continue;
		json_t *target = json_array_get(lc->arr, (size_t)lc->slot[v]);
		json_t *item;
		if (lc->demand) {
			const char *vis = json_string_value(json_object_get(rec, "visibility"));
			int conf = vis && strcmp(vis, "confidential") == 0;
			uint32_t r = rec_region(rec);
			item =
			    json_pack("{s:O?,s:O?,s:O?,s:b,s:O?,s:O?}", "id", json_object_get(rec, "id"),
			              "title", json_object_get(rec, "title"), "org_id",
			              conf ? NULL : json_object_get(rec, "org_id"), "local",
			              r && kc_chain_region_within(r, lc->region), "status",
			              json_object_get(rec, "status"), "visibility",
			              json_object_get(rec, "visibility"));
			if (conf) {
				json_object_del(item, "org_id");
				json_object_set_new(item, "owner_hidden", json_true());
			}
			json_array_append_new(json_object_get(target, "demands"), item);
		} else {
			item = json_pack(
			    "{s:O?,s:O?,s:O?,s:O?,s:O?}", "id", json_object_get(rec, "id"), "title",
			    json_object_get(rec, "title"), "org_id", json_object_get(rec, "org_id"),
			    "kind", json_object_get(rec, "kind"), "trl",
			    json_object_get(rec, "trl"));
			json_array_append_new(json_object_get(target, "supplies"), item);
		}
	}
	return 0;
}

int kc_chain_linkage(struct kc_store *st, struct kc_chain *c, uint32_t region,
                     const struct kc_chain_opts *o, json_t **out, struct kc_err *err)
{
	struct kc_chain_opts op = kc__chain_opts(o);
	double *gap = NULL, *weak = NULL;
	struct kc__scored *items = NULL;
	struct linkctx lc = {c, region, NULL, NULL, 0};
	json_t *res = NULL;
	*out = NULL;
	int rc = kc__chain_gap_scores(c, region, &op, &gap, &weak, err);
	if (rc < 0)
		return rc;
	lc.slot = kc_malloc(((size_t)c->n + 1) * sizeof(int));
	items = kc_malloc(((size_t)c->n + 1) * sizeof(*items));
	lc.arr = json_array();
	res = json_object();
	if (!lc.slot || !items || !lc.arr || !res) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (int kind = 0; kind < 2; kind++) {
		const double *sc = kind ? gap : weak;
		size_t ni = 0;
		for (int v = 0; v < c->n; v++)
			if (sc[v] >= 0) {
				items[ni].score = sc[v];
				items[ni].key = c->nodes[v].id;
				items[ni].ix = v;
				ni++;
			}
		kc__scored_sort(items, ni);
		size_t keep = op.limit < 0 || (size_t)op.limit > ni ? ni : (size_t)op.limit;
		for (size_t i = 0; i < keep; i++) {
			int v = items[i].ix;
			json_array_append_new(lc.arr,
			                      json_pack("{s:s,s:s,s:s,s:f,s:[],s:[]}", "id",
			                                c->nodes[v].id, "name", c->nodes[v].name,
			                                "kind", kind ? "gap" : "weak", "score",
			                                items[i].score, "supplies", "demands"));
		}
	}
	for (int v = 0; v < c->n; v++)
		lc.slot[v] = -1;
	for (size_t i = 0; i < json_array_size(lc.arr); i++) {
		int v = kc__idmap_get(&c->node_ix, json_string_value(json_object_get(
		                                       json_array_get(lc.arr, i), "id")));
		if (v >= 0)
			lc.slot[v] = (int)i;
	}
	rc = kc_store_each(st, kc_entity_def(KC_ENT_SUPPLY), NULL, on_record, &lc, err);
	if (rc >= 0) {
		lc.demand = 1;
		rc = kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), NULL, on_record, &lc, err);
	}
	if (rc < 0)
		goto cleanup;
	json_object_set_new(res, "chain", kc__chain_json(c));
	json_object_set_new(res, "region", kc__region_json(region));
	json_object_set_new(res, "nodes", lc.arr);
	lc.arr = NULL;
	*out = res;
	res = NULL;
	rc = 0;
cleanup:
	json_decref(res);
	json_decref(lc.arr);
	kc_free(lc.slot);
	kc_free(items);
	kc_free(gap);
	kc_free(weak);
	return rc;
}
