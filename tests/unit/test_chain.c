/* Unit tests for the chain module: panorama, coverage, gaps, weak links, bottlenecks,
 * simulation, recruitment on a small chain whose answers were worked out by hand (below), region
 * inference, the chainkg importer on a small noisy graph, and invariants on the real knowledge
 * graph (skipped when ../shared/data is absent).
 *
 * The hand chain "t" (battery-like), edges = "is an input of":
 *
 *   A 锂矿 → B 碳酸锂 → C 正极材料 → E 电芯 → F 电池包
 *                    ↘ D 电解液   ↗       ↘ G 储能系统
 *
 * Suppliers (producer): A o1 宜春 360900; B o2 西宁 630100; C o3 苏州 320500 + o4 长沙 430100;
 * D o5 南京 320100; E o6 宁德 350900; F o7 常州 320400 + o8 无锡 320200 + o9 苏州 320500;
 * G o10 + o11 深圳 440300. Plus o12 (南京) is a *user* of G.
 *
 * Worked out by hand for 江苏 320000 (thin = 2, far = 800 km, HHI high = 0.5):
 *  - local suppliers: A0 B0 C1 D1 E0 F3 G0 → present F; thin C, D; absent A, B, E, G.
 *  - downstream reach: A6 B5 C3 D3 E2 F0 G0; dominators: idom B=A, C=D=E=B, F=G=E, so
 *    dominated counts A6 B5 E2, others 0.
 *  - gap score = .40 reach/6 + .20 rank + .25 [local demand] + .15 HHI. Local demand: A→B (0
 *    local) none; B→C,D (1+1) yes; E→F (3) yes; G has a local user (o12) yes. HHI is 1 for A,
 *    B, E, G (one province each). Without rank: A .55, B .733, E .533, G .40; rank (PageRank on
 *    the reversed graph, max 1) is largest at A (everything flows to the raw material), so
 *    A = .75; B > A as soon as rank(B) > .085, and E, G stay below A (E ≤ .733, G ≤ .60). Order:
 *    B, A, E, G.
 *  - weak: C (1 local; suppliers 江苏 + 湖南, HHI .5 but the top province by the tie rule is
 *    江苏 itself, so not "concentrated elsewhere"; its input B comes only from 青海, ~1,650 km >
 *    800: far) score .40·1 + .20·1 + .15·3/6 = .675; D the same figures, .675; F has 3 local
 *    (not thin), all suppliers local, input E from 福建 (~670 km < 800): not weak. Order by id:
 *    t-c, t-d.
 *  - bottlenecks (national): score = dominated/6 + .5 single company + .25 single province:
 *    A 1.5, B 1.333, E .833, D .5, F .25, G .25 (C has two suppliers in two provinces and
 *    dominates nothing: not listed). Companies that alone supply nodes, by nodes cut off
 *    (their nodes + downstream): o1 7, o2 6, o5 4 (D, E, F, G), o6 3.
 *  - simulate: nothing → nothing; o2 → B lost, 5 affected downstream; 江苏 → D and F lost (C
 *    keeps o4 长沙: degraded), downstream E, G affected (F is lost itself): 2; node E → E lost,
 *    F, G affected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kechan/chain.h"
#include "kechan/store.h"

struct fixture {
	char dir[256];
	char db[300];
	struct kc_store *st;
	struct kc_chain *c;
};

static void put(struct kc_store *st, enum kc_entity ent, const char *text)
{
	struct kc_err err = KC_ERR_INIT;
	json_error_t je;
	json_t *r = json_loads(text, 0, &je);
	if (r == NULL)
		fail_msg("bad test JSON: %s: %s", text, je.text);
	if (kc_record_validate(kc_entity_def(ent), r, NULL, NULL) != 0)
		fail_msg("invalid test record: %s", text);
	int rc = kc_store_put(st, kc_entity_def(ent), r, KC_PUT_CREATE, "test", NULL, &err);
	if (rc < 0)
		fail_msg("put failed: %s", err.msg);
	json_decref(r);
}

static void node(struct kc_store *st, const char *id, const char *name, const char *stage)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
	         "{\"id\":\"%s\",\"chain_id\":\"chain-t\",\"name\":\"%s\",\"stage\":\"%s\"}", id,
	         name, stage);
	put(st, KC_ENT_NODE, buf);
}

static void edge(struct kc_store *st, const char *from, const char *to)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "{\"from\":\"%s\",\"to\":\"%s\"}", from, to);
	put(st, KC_ENT_EDGE, buf);
}

static void org(struct kc_store *st, const char *id, const char *region)
{
	char buf[256];
	snprintf(buf, sizeof(buf),
	         "{\"id\":\"%s\",\"name\":\"%s公司\",\"kind\":\"enterprise\",\"region\":\"%s\"}",
	         id, id, region);
	put(st, KC_ENT_ORG, buf);
}

static void link_(struct kc_store *st, const char *o, const char *n, const char *role)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "{\"org_id\":\"%s\",\"node_id\":\"%s\",\"role\":\"%s\"}", o, n,
	         role);
	put(st, KC_ENT_ORG_NODE, buf);
}

static void hand_chain(struct kc_store *st)
{
	put(st, KC_ENT_CHAIN,
	    "{\"id\":\"chain-t\",\"name\":\"测试电池链\",\"name_en\":\"Test battery chain\"}");
	node(st, "t-a", "锂矿", "upstream");
	node(st, "t-b", "碳酸锂", "midstream");
	node(st, "t-c", "正极材料", "midstream");
	node(st, "t-d", "电解液", "midstream");
	node(st, "t-e", "电芯", "midstream");
	node(st, "t-f", "电池包", "downstream");
	node(st, "t-g", "储能系统", "downstream");
	edge(st, "t-a", "t-b");
	edge(st, "t-b", "t-c");
	edge(st, "t-b", "t-d");
	edge(st, "t-c", "t-e");
	edge(st, "t-d", "t-e");
	edge(st, "t-e", "t-f");
	edge(st, "t-e", "t-g");
	static const char *const orgs[][3] = {
	    {"o01", "360900", "t-a"}, {"o02", "630100", "t-b"}, {"o03", "320500", "t-c"},
	    {"o04", "430100", "t-c"}, {"o05", "320100", "t-d"}, {"o06", "350900", "t-e"},
	    {"o07", "320400", "t-f"}, {"o08", "320200", "t-f"}, {"o09", "320500", "t-f"},
	    {"o10", "440300", "t-g"}, {"o11", "440300", "t-g"},
	};
	for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++) {
		org(st, orgs[i][0], orgs[i][1]);
		link_(st, orgs[i][0], orgs[i][2], "producer");
	}
	org(st, "o12", "320100");
	link_(st, "o12", "t-g", "user");
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kc-test-chain-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->db, sizeof(fx->db), "%s/t.db", fx->dir);
	struct kc_err err = KC_ERR_INIT;
	if (kc_store_open(fx->db, KC_STORE_CREATE, &fx->st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	hand_chain(fx->st);
	if (kc_chain_load(fx->st, "chain-t", &fx->c, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	kc_chain_free(fx->c);
	kc_store_close(fx->st);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static const char *sget(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static json_int_t iget(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static double dget(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

#define assert_near(a, b, eps) near_((a), (b), (eps), #a, __LINE__)
static void near_(double a, double b, double eps, const char *what, int line)
{
	if (!(a - b < eps && b - a < eps))
		fail_msg("line %d: %s = %.12g, expected %.12g", line, what, a, b);
}

static const json_t *find_by_id(const json_t *arr, const char *id)
{
	size_t i;
	const json_t *v;
	json_array_foreach (arr, i, v)
		if (strcmp(sget(v, "id"), id) == 0)
			return v;
	return NULL;
}

static int has_reason(const json_t *item, const char *code)
{
	size_t i;
	const json_t *v;
	json_array_foreach (json_object_get(item, "reasons"), i, v)
		if (strcmp(sget(v, "code"), code) == 0)
			return 1;
	return 0;
}

static void assert_order(const json_t *arr, const char *const *ids, size_t n)
{
	assert_int_equal(json_array_size(arr), n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(sget(json_array_get(arr, i), "id"), ids[i]) != 0)
			fail_msg("position %zu: expected %s, got %s", i + 1, ids[i],
			         sget(json_array_get(arr, i), "id"));
}

/* ---- the hand chain ---- */

static void test_chain_lists_the_hand_chain_with_its_counts(void **state)
{
	struct fixture *fx = *state;
	json_t *l = NULL;
	assert_int_equal(kc_chain_list(fx->st, &l, NULL), 1);
	const json_t *c = json_array_get(l, 0);
	assert_string_equal(sget(c, "id"), "chain-t");
	assert_string_equal(sget(c, "name_en"), "Test battery chain");
	assert_int_equal(iget(c, "nodes"), 7);
	assert_int_equal(iget(c, "edges"), 7);
	assert_int_equal(iget(c, "links"), 12);
	json_decref(l);
	assert_int_equal(kc_chain_node_count(fx->c), 7);
}

static void test_chain_list_leaves_out_name_en_when_a_chain_has_none(void **state)
{
	struct fixture *fx = *state;
	json_t *l = NULL;
	put(fx->st, KC_ENT_CHAIN, "{\"id\":\"chain-u\",\"name\":\"无英文名的链\"}");
	assert_int_equal(kc_chain_list(fx->st, &l, NULL), 2);
	const json_t *c = json_array_get(l, 1);
	assert_string_equal(sget(c, "id"), "chain-u");
	assert_null(json_object_get(c, "name_en"));
	assert_int_equal(iget(c, "nodes"), 0);
	json_decref(l);
}

static void test_chain_load_refuses_an_unknown_chain(void **state)
{
	struct fixture *fx = *state;
	struct kc_chain *c = NULL;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_chain_load(fx->st, "chain-none", &c, &err), KC_ENOTFOUND);
	assert_null(c);
	assert_non_null(strstr(err.msg, "chain-none"));
}

static void test_panorama_gives_stages_depths_and_companies_per_province(void **state)
{
	struct fixture *fx = *state;
	json_t *p = NULL;
	assert_int_equal(kc_chain_panorama(fx->c, NULL, &p, NULL), 0);
	const json_t *s = json_object_get(p, "summary");
	assert_int_equal(iget(s, "upstream"), 1);
	assert_int_equal(iget(s, "midstream"), 4);
	assert_int_equal(iget(s, "downstream"), 2);
	assert_int_equal(iget(s, "max_depth"), 4);
	assert_int_equal(iget(s, "links"), 7);
	const json_t *nodes = json_object_get(p, "nodes");
	static const char *const ids[] = {"t-a", "t-b", "t-c", "t-d", "t-e", "t-f", "t-g"};
	static const int depth[] = {0, 1, 2, 2, 3, 4, 4};
	for (int i = 0; i < 7; i++)
		assert_int_equal(iget(find_by_id(nodes, ids[i]), "depth"), depth[i]);
	/* F: three companies, all in 江苏. C: one in 江苏, one in 湖南 (tie: lower code first). */
	const json_t *f = find_by_id(nodes, "t-f");
	assert_int_equal(iget(f, "companies"), 3);
	assert_int_equal(json_array_size(json_object_get(f, "regions")), 1);
	assert_string_equal(sget(json_array_get(json_object_get(f, "regions"), 0), "code"),
	                    "320000");
	const json_t *c = find_by_id(nodes, "t-c");
	assert_string_equal(sget(json_array_get(json_object_get(c, "regions"), 0), "name"),
	                    "江苏省");
	assert_int_equal(json_array_size(json_object_get(json_object_get(p, "sankey"), "links")),
	                 7);
	json_decref(p);
}

static void test_coverage_of_jiangsu_counts_present_thin_and_absent(void **state)
{
	struct fixture *fx = *state;
	json_t *cov = NULL;
	assert_int_equal(kc_chain_coverage(fx->c, 320000, NULL, &cov, NULL), 0);
	const json_t *s = json_object_get(cov, "summary");
	assert_int_equal(iget(s, "present"), 1);
	assert_int_equal(iget(s, "thin"), 2);
	assert_int_equal(iget(s, "absent"), 4);
	assert_int_equal(iget(s, "unsupplied"), 0);
	assert_near(dget(s, "coverage"), 3.0 / 7.0, 1e-9);
	const json_t *nodes = json_object_get(cov, "nodes");
	assert_string_equal(sget(find_by_id(nodes, "t-f"), "status"), "present");
	assert_string_equal(sget(find_by_id(nodes, "t-c"), "status"), "thin");
	assert_string_equal(sget(find_by_id(nodes, "t-e"), "status"), "absent");
	assert_int_equal(iget(find_by_id(nodes, "t-f"), "local"), 3);
	json_decref(cov);
	/* A city: 苏州 has C and F, one company each. */
	assert_int_equal(kc_chain_coverage(fx->c, 320500, NULL, &cov, NULL), 0);
	s = json_object_get(cov, "summary");
	assert_int_equal(iget(s, "thin"), 2);
	assert_int_equal(iget(s, "present"), 0);
	json_decref(cov);
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_chain_coverage(fx->c, 999999, NULL, &cov, &err), KC_EINVAL);
	assert_null(cov);
}

static void test_gaps_of_jiangsu_rank_carbonate_first_with_reasons(void **state)
{
	struct fixture *fx = *state;
	json_t *g = NULL;
	assert_int_equal(kc_chain_gaps(fx->c, 320000, NULL, &g, NULL), 4);
	const json_t *gaps = json_object_get(g, "gaps");
	static const char *const order[] = {"t-b", "t-a", "t-e", "t-g"};
	assert_order(gaps, order, 4);
	const json_t *a = find_by_id(gaps, "t-a");
	assert_int_equal(iget(a, "reach"), 6);
	assert_near(dget(a, "centrality"), 1.0, 1e-9);
	assert_near(dget(a, "score"), 0.75, 1e-9);
	assert_true(has_reason(a, "absent"));
	assert_true(has_reason(a, "downstream_reach"));
	assert_false(has_reason(a, "local_demand"));
	const json_t *b = find_by_id(gaps, "t-b");
	assert_int_equal(iget(b, "local_demand"), 2);
	assert_true(has_reason(b, "local_demand"));
	assert_true(has_reason(b, "concentrated"));
	assert_true(has_reason(find_by_id(gaps, "t-g"), "local_users"));
	json_decref(g);
}

static void test_weak_links_of_jiangsu_are_cathode_and_electrolyte(void **state)
{
	struct fixture *fx = *state;
	json_t *w = NULL;
	assert_int_equal(kc_chain_weak(fx->c, 320000, NULL, &w, NULL), 2);
	const json_t *weak = json_object_get(w, "weak");
	static const char *const order[] = {"t-c", "t-d"};
	assert_order(weak, order, 2);
	const json_t *c = json_array_get(weak, 0);
	assert_near(dget(c, "score"), 0.675, 1e-9);
	assert_true(has_reason(c, "thin"));
	assert_true(has_reason(c, "far_inputs_only"));
	assert_false(has_reason(c, "concentrated"));
	json_decref(w);
	/* With far = 2000 km the carbonate from 青海 is near enough: only thinness is left. */
	struct kc_chain_opts o = {0, 0, 2000, 0, 0};
	assert_int_equal(kc_chain_weak(fx->c, 320000, &o, &w, NULL), 2);
	c = json_array_get(json_object_get(w, "weak"), 0);
	assert_near(dget(c, "score"), 0.475, 1e-9);
	assert_false(has_reason(c, "far_inputs_only"));
	json_decref(w);
}

static void test_bottlenecks_follow_the_dominator_tree(void **state)
{
	struct fixture *fx = *state;
	json_t *b = NULL;
	assert_int_equal(kc_chain_bottlenecks(fx->c, 0, NULL, &b, NULL), 6);
	static const char *const order[] = {"t-a", "t-b", "t-e", "t-d", "t-f", "t-g"};
	const json_t *nodes = json_object_get(b, "nodes");
	assert_order(nodes, order, 6);
	assert_int_equal(iget(find_by_id(nodes, "t-a"), "dominated"), 6);
	assert_int_equal(iget(find_by_id(nodes, "t-b"), "dominated"), 5);
	assert_int_equal(iget(find_by_id(nodes, "t-e"), "dominated"), 2);
	assert_near(dget(find_by_id(nodes, "t-b"), "score"), 5.0 / 6.0 + 0.5, 1e-9);
	assert_true(has_reason(find_by_id(nodes, "t-a"), "single_company"));
	assert_true(has_reason(find_by_id(nodes, "t-f"), "single_region"));
	static const char *const corder[] = {"o01", "o02", "o05", "o06"};
	const json_t *cos = json_object_get(b, "companies");
	assert_order(cos, corder, 4);
	static const int affected[] = {7, 6, 4, 3};
	for (int i = 0; i < 4; i++)
		assert_int_equal(iget(json_array_get(cos, (size_t)i), "affected"), affected[i]);
	assert_int_equal(iget(json_object_get(b, "summary"), "single_company_nodes"), 4);
	json_decref(b);
}

static json_t *simulate(struct fixture *fx, const char *org_id, const char *node_id,
                        uint32_t region)
{
	const char *orgs[1] = {org_id}, *nodes[1] = {node_id};
	uint32_t regions[1] = {region};
	struct kc_chain_removal rm = {orgs,    org_id ? 1 : 0, nodes, node_id ? 1 : 0,
	                              regions, region ? 1 : 0};
	json_t *r = NULL;
	struct kc_err err = KC_ERR_INIT;
	if (kc_chain_simulate(fx->c, &rm, NULL, &r, &err) < 0)
		fail_msg("simulate: %s", err.msg);
	return r;
}

static void test_simulation_matches_the_hand_figures(void **state)
{
	struct fixture *fx = *state;
	json_t *r = simulate(fx, NULL, NULL, 0);
	const json_t *s = json_object_get(r, "summary");
	assert_int_equal(iget(s, "lost"), 0);
	assert_int_equal(iget(s, "degraded"), 0);
	assert_int_equal(iget(s, "affected_downstream"), 0);
	json_decref(r);

	r = simulate(fx, "o02", NULL, 0);
	s = json_object_get(r, "summary");
	assert_int_equal(iget(s, "lost"), 1);
	assert_int_equal(iget(s, "affected_downstream"), 5);
	assert_near(dget(s, "affected_share"), 6.0 / 7.0, 1e-9);
	assert_string_equal(sget(json_array_get(json_object_get(r, "lost"), 0), "id"), "t-b");
	json_decref(r);

	r = simulate(fx, NULL, NULL, 320000);
	s = json_object_get(r, "summary");
	assert_int_equal(iget(s, "lost"), 2);
	assert_int_equal(iget(s, "degraded"), 1);
	assert_int_equal(iget(s, "affected_downstream"), 2);
	const json_t *deg = json_array_get(json_object_get(r, "degraded"), 0);
	assert_string_equal(sget(deg, "id"), "t-c");
	assert_int_equal(iget(deg, "suppliers_after"), 1);
	assert_string_equal(sget(json_array_get(json_object_get(deg, "alternatives"), 0), "id"),
	                    "o04");
	json_decref(r);

	r = simulate(fx, NULL, "t-e", 0);
	s = json_object_get(r, "summary");
	assert_int_equal(iget(s, "lost"), 1);
	assert_int_equal(iget(s, "affected_downstream"), 2);
	json_decref(r);

	r = simulate(fx, "nobody", NULL, 0);
	assert_int_equal(json_array_size(json_object_get(r, "unknown")), 1);
	assert_int_equal(iget(json_object_get(r, "summary"), "lost"), 0);
	json_decref(r);
}

static void test_recruit_targets_companies_outside_the_region(void **state)
{
	struct fixture *fx = *state;
	json_t *r = NULL;
	assert_int_equal(kc_chain_recruit(fx->c, 320000, NULL, &r, NULL), 6);
	const json_t *t = json_object_get(r, "targets");
	static const char *const expect[] = {"o01", "o02", "o04", "o06", "o10", "o11"};
	for (size_t i = 0; i < 6; i++)
		assert_non_null(find_by_id(t, expect[i]));
	assert_true(has_reason(find_by_id(t, "o04"), "strengthens"));
	assert_true(has_reason(find_by_id(t, "o01"), "fills_gaps"));
	/* o10 and o11 have the same figures: the lower id first. */
	size_t i10 = 0, i11 = 0, i;
	const json_t *v;
	json_array_foreach (t, i, v) {
		if (strcmp(sget(v, "id"), "o10") == 0)
			i10 = i;
		if (strcmp(sget(v, "id"), "o11") == 0)
			i11 = i;
	}
	assert_true(i10 + 1 == i11);
	json_decref(r);
}

static void test_linkage_attaches_supplies_and_local_demands_to_weak_nodes(void **state)
{
	struct fixture *fx = *state;
	put(fx->st, KC_ENT_SUPPLY,
	    "{\"id\":\"s1\",\"org_id\":\"o04\",\"kind\":\"patent\",\"title\":\"高镍正极包覆\","
	    "\"nodes\":[\"t-c\"]}");
	put(fx->st, KC_ENT_DEMAND,
	    "{\"id\":\"d1\",\"org_id\":\"o03\",\"title\":\"正极降本\",\"nodes\":[\"t-c\"],"
	    "\"region\":\"320500\",\"visibility\":\"confidential\"}");
	json_t *r = NULL;
	assert_int_equal(kc_chain_linkage(fx->st, fx->c, 320000, NULL, &r, NULL), 0);
	const json_t *c = find_by_id(json_object_get(r, "nodes"), "t-c");
	assert_non_null(c);
	assert_int_equal(json_array_size(json_object_get(c, "supplies")), 1);
	const json_t *d = json_array_get(json_object_get(c, "demands"), 0);
	assert_true(json_is_true(json_object_get(d, "local")));
	assert_null(json_object_get(d, "org_id")); /* confidential: owner hidden */
	json_decref(r);
}

static void test_rankings_are_deterministic(void **state)
{
	struct fixture *fx = *state;
	json_t *a = NULL, *b = NULL;
	assert_true(kc_chain_gaps(fx->c, 320000, NULL, &a, NULL) >= 0);
	struct kc_chain *c2 = NULL;
	assert_int_equal(kc_chain_load(fx->st, "chain-t", &c2, NULL), 0);
	assert_true(kc_chain_gaps(c2, 320000, NULL, &b, NULL) >= 0);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	kc_chain_free(c2);
}

/* ---- a cycle and noise ---- */

static void test_cycles_do_not_break_depth_or_dominators(void **state)
{
	struct fixture *fx = *state;
	put(fx->st, KC_ENT_CHAIN, "{\"id\":\"chain-cy\",\"name\":\"环\"}");
	const char *n3[] = {"cy-x", "cy-y", "cy-z"};
	for (int i = 0; i < 3; i++) {
		char buf[200];
		snprintf(buf, sizeof(buf),
		         "{\"id\":\"%s\",\"chain_id\":\"chain-cy\",\"name\":\"%s\","
		         "\"stage\":\"midstream\"}",
		         n3[i], n3[i]);
		put(fx->st, KC_ENT_NODE, buf);
	}
	edge(fx->st, "cy-x", "cy-y");
	edge(fx->st, "cy-y", "cy-x");
	edge(fx->st, "cy-y", "cy-z");
	edge(fx->st, "cy-x", "t-a"); /* to another chain: left out */
	struct kc_chain *c = NULL;
	assert_int_equal(kc_chain_load(fx->st, "chain-cy", &c, NULL), 0);
	json_t *p = NULL, *b = NULL;
	assert_int_equal(kc_chain_panorama(c, NULL, &p, NULL), 0);
	assert_int_equal(iget(json_object_get(p, "summary"), "max_depth"), 1);
	assert_int_equal(iget(json_object_get(p, "summary"), "external_edges"), 1);
	/* The sankey block leaves out the two edges of the cycle. */
	assert_int_equal(json_array_size(json_object_get(json_object_get(p, "sankey"), "links")),
	                 1);
	assert_true(kc_chain_bottlenecks(c, 0, NULL, &b, NULL) >= 0);
	/* The root enters the cycle at cy-x: every path to y and z passes x, and z needs y. */
	assert_int_equal(iget(find_by_id(json_object_get(b, "nodes"), "cy-x"), "dominated"), 2);
	json_decref(p);
	json_decref(b);
	kc_chain_free(c);
}

/* ---- region inference ---- */

static void test_region_is_inferred_from_registered_names(void **state)
{
	(void)state;
	assert_int_equal(kc_chain_infer_region("邵阳维克液压股份有限公司"), 430500);
	assert_int_equal(kc_chain_infer_region("江苏恒瑞医药股份有限公司"), 320000);
	assert_int_equal(kc_chain_infer_region("宁德时代新能源科技股份有限公司"), 350900);
	assert_int_equal(kc_chain_infer_region("浙江杭州鑫富科技有限公司"), 330100);
	assert_int_equal(kc_chain_infer_region("广东省深圳市某某科技有限公司"), 440300);
	assert_int_equal(kc_chain_infer_region("纽威数控装备（苏州）股份有限公司"), 320500);
	assert_int_equal(kc_chain_infer_region("张家港海锅新能源装备股份有限公司"), 320582);
	assert_int_equal(kc_chain_infer_region("上海电气集团股份有限公司"), 310000);
	/* Ordinary words that are also county names are not regions. */
	assert_int_equal(kc_chain_infer_region("东方电气股份有限公司"), 0);
	assert_int_equal(kc_chain_infer_region("中国石油天然气股份有限公司"), 0);
	assert_int_equal(kc_chain_infer_region(""), 0);
	assert_true(kc_chain_region_km(320000, 630000) > 1500);
	assert_true(kc_chain_region_km(320000, 350000) < 800);
	assert_true(kc_chain_region_km(320500, 320100) == 0);
	assert_true(kc_chain_region_within(320582, 320000));
	assert_true(kc_chain_region_within(320582, 320500));
	assert_false(kc_chain_region_within(320582, 320100));
}

/* ---- the chainkg importer ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A small graph with the real data's noise: a duplicate stock code, a negative and a > 1
 * weight, a self-loop, a repeated relation, a repeated company-product pair, a company whose
 * name has no region, a product linked to nothing. */
static void small_kg(const char *dir)
{
	write_file(dir, "industry.json",
	           "{\"code\": \"630000\", \"name\": \"电力设备\"}\n"
	           "{\"code\": \"630700\", \"name\": \"电池\"}\n"
	           "{\"code\": \"630701\", \"name\": \"锂电池\"}\n"
	           "{\"code\": \"240000\", \"name\": \"有色金属\"}\n"
	           "{\"code\": \"240601\", \"name\": \"锂\"}");
	write_file(dir, "company.json",
	           "{\"name\": \"宁德时代\", \"fullname\": \"宁德时代新能源科技股份有限公司\", "
	           "\"code\": \"300750.SZ\", \"location\": \"深圳证券交易所\", \"time\": "
	           "\"2018-06-11\"}\n"
	           "{\"name\": \"天齐锂业\", \"fullname\": \"四川天齐锂业股份有限公司\", \"code\": "
	           "\"002466.SZ\", \"location\": \"深圳证券交易所\", \"time\": \"2010-08-31\"}\n"
	           "{\"name\": \"重复\", \"fullname\": \"大连港股份有限公司\", \"code\": "
	           "\"300750\", \"location\": \"-\", \"time\": \"-\"}\n"
	           "{\"name\": \"东方电气\", \"fullname\": \"东方电气股份有限公司\", \"code\": "
	           "\"600875.SH\", \"location\": \"上海证券交易所\", \"time\": \"1995-10-10\"}\n");
	write_file(dir, "company_industry.json",
	           "{\"company_code\": \"300750.SZ\", \"industry_code\": \"630701\", "
	           "\"industry_name\": \"锂电池\", \"company_name\": \"宁德时代\", \"rel\": "
	           "\"所属行业\"}\n"
	           "{\"company_code\": \"002466.sz\", \"industry_code\": \"240601\", "
	           "\"industry_name\": \"锂\", \"company_name\": \"天齐锂业\", \"rel\": "
	           "\"所属行业\"}\n"
	           "{\"company_code\": \"600875.SH\", \"industry_code\": \"630701\", "
	           "\"industry_name\": \"锂电池\", \"company_name\": \"东方电气\", \"rel\": "
	           "\"所属行业\"}");
	write_file(dir, "product.json",
	           "{\"name\": \"动力电池\"}\n{\"name\": \"储能电池\"}\n{\"name\": \"碳酸锂\"}\n"
	           "{\"name\": \"锂矿\"}\n{\"name\": \"正极材料\"}\n{\"name\": \"孤立产品\"}\n");
	write_file(dir, "company_product.json",
	           "{\"company_name\": \"宁德时代\", \"company_code\": \"300750.SZ\", "
	           "\"product_name\": \"动力电池\", \"rel\": \"主营产品\", \"rel_weight\": 0.7}\n"
	           "{\"company_name\": \"宁德时代\", \"company_code\": \"300750.SZ\", "
	           "\"product_name\": \"储能电池\", \"rel\": \"主营产品\", \"rel_weight\": -0.2}\n"
	           "{\"company_name\": \"宁德时代\", \"company_code\": \"300750.SZ\", "
	           "\"product_name\": \"动力电池\", \"rel\": \"主营产品\", \"rel_weight\": 0.7}\n"
	           "{\"company_name\": \"天齐锂业\", \"company_code\": \"002466.SZ\", "
	           "\"product_name\": \"碳酸锂\", \"rel\": \"主营产品\", \"rel_weight\": 1.5}\n"
	           "{\"company_name\": \"东方电气\", \"company_code\": \"600875.SH\", "
	           "\"product_name\": \"动力电池\", \"rel\": \"主营产品\", \"rel_weight\": 0.1}\n"
	           "{\"company_name\": \"无名\", \"company_code\": \"999999.SH\", "
	           "\"product_name\": \"动力电池\", \"rel\": \"主营产品\", \"rel_weight\": 0.1}\n");
	write_file(dir, "product_product.json",
	           "{\"from_entity\": \"动力电池\", \"to_entity\": \"正极材料\", \"rel\": "
	           "\"上游材料\"}\n"
	           "{\"from_entity\": \"正极材料\", \"to_entity\": \"碳酸锂\", \"rel\": "
	           "\"上游材料\"}\n"
	           "{\"from_entity\": \"碳酸锂\", \"to_entity\": \"锂矿\", \"rel\": \"上游材料\"}\n"
	           "{\"from_entity\": \"碳酸锂\", \"to_entity\": \"碳酸锂\", \"rel\": "
	           "\"上游材料\"}\n"
	           "{\"from_entity\": \"正极材料\", \"to_entity\": \"碳酸锂\", \"rel\": "
	           "\"上游材料\"}\n"
	           "{\"from_entity\": \"动力电池\", \"to_entity\": \"储能电池\", \"rel\": "
	           "\"下游产品\"}\n");
}

static void test_chainkg_import_maps_a_small_noisy_graph(void **state)
{
	struct fixture *fx = *state;
	char kg[300];
	snprintf(kg, sizeof(kg), "%s/kg", fx->dir);
	assert_int_equal(mkdir(kg, 0700), 0);
	small_kg(kg);
	struct kc_chainkg_report rep;
	struct kc_err err = KC_ERR_INIT;
	struct kc_import_opts opts = {"test", 10, 0, NULL};
	int rc = kc_chain_import_kg(fx->st, kg, &opts, &rep, &err);
	if (rc < 0)
		fail_msg("import: %s", err.msg);
	/* Hand-checked: companies 4 rows, one duplicate code, 东方电气 has no region → 2 orgs.
	 * Chains: 电力设备 (动力电池, 储能电池 by CATL; 正极材料 joins as the input of 动力电池)
	 * and 有色金属 (碳酸锂 by 天齐; 锂矿 joins as its input). 孤立产品 is linked to nothing. */
	assert_int_equal(rep.companies, 4);
	assert_int_equal(rep.duplicate_codes, 1);
	assert_int_equal(rep.companies_region, 2);
	assert_int_equal(rep.companies_no_region, 1);
	assert_int_equal(rep.orgs, 2);
	assert_int_equal(rep.chains, 2);
	assert_int_equal(rep.nodes, 5);
	assert_int_equal(rep.products_unlinked, 1);
	assert_int_equal(rep.self_loops, 1);
	assert_int_equal(rep.duplicate_edges, 1);
	assert_int_equal(rep.edges, 4);
	assert_int_equal(rep.cross_chain_edges, 1); /* 碳酸锂 → 正极材料 */
	assert_int_equal(rep.org_nodes, 3);         /* CATL ×2, 天齐 ×1 */
	assert_int_equal(rep.links_duplicate, 1);
	assert_int_equal(rep.links_no_company, 2); /* 东方电气 (no region) and 999999 */
	assert_int_equal(rep.shares_dropped, 2);   /* -0.2 and 1.5 */

	json_t *o = NULL;
	assert_int_equal(kc_store_get(fx->st, kc_entity_def(KC_ENT_ORG), "kg-co-300750", &o, NULL),
	                 0);
	assert_string_equal(sget(o, "region"), "350900");
	assert_string_equal(sget(o, "name"), "宁德时代新能源科技股份有限公司");
	json_decref(o);
	struct kc_chain *c = NULL;
	assert_int_equal(kc_chain_load(fx->st, "kg-sw-630000", &c, NULL), 0);
	assert_int_equal(kc_chain_node_count(c), 3);
	json_t *p = NULL;
	assert_int_equal(kc_chain_panorama(c, NULL, &p, NULL), 0);
	const json_t *s = json_object_get(p, "summary");
	/* 正极材料 feeds 动力电池 which feeds 储能电池; 正极材料's input is in the other chain,
	 * so over all relations it is midstream; 储能电池 downstream. */
	assert_int_equal(iget(s, "downstream"), 1);
	assert_int_equal(iget(s, "external_edges"), 1);
	json_decref(p);
	kc_chain_free(c);
	/* All or nothing: a second import finds the records there and writes nothing. */
	int64_t before = kc_store_count(fx->st, kc_entity_def(KC_ENT_NODE), NULL, NULL);
	assert_int_equal(kc_chain_import_kg(fx->st, kg, &opts, &rep, &err), KC_EEXIST);
	assert_int_equal(kc_store_count(fx->st, kc_entity_def(KC_ENT_NODE), NULL, NULL), before);
	/* A missing file is named. */
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/nothing", fx->dir);
	assert_int_equal(kc_chain_import_kg(fx->st, missing, &opts, &rep, &err), KC_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nothing/industry.json"));
}

/* ---- the real knowledge graph ---- */

static const char *shared_kg(char *buf, size_t n)
{
	const char *d = getenv("KC_SHARED_DATA");
	if (d == NULL || *d == '\0')
		d = KC_SHARED_DATA;
	snprintf(buf, n, "%s/chain_kg", d);
	char probe[600];
	snprintf(probe, sizeof(probe), "%s/company.json", buf);
	return access(probe, R_OK) == 0 ? buf : NULL;
}

static void test_real_graph_invariants(void **state)
{
	struct fixture *fx = *state;
	char dir[512];
	if (shared_kg(dir, sizeof(dir)) == NULL) {
		printf("skipped: %s/chain_kg/company.json is absent (set KC_SHARED_DATA)\n",
		       getenv("KC_SHARED_DATA") ? getenv("KC_SHARED_DATA") : KC_SHARED_DATA);
		skip();
	}
	struct kc_chainkg_report rep;
	struct kc_err err = KC_ERR_INIT;
	struct kc_import_opts opts = {"test", 10, 0, NULL};
	int rc = kc_chain_import_kg(fx->st, dir, &opts, &rep, &err);
	if (rc < 0)
		fail_msg("import: %s", err.msg);
	assert_true(rep.companies >= 4000);
	assert_true(rep.companies_region > rep.companies / 2);
	assert_true(rep.self_loops > 0);
	assert_true(rep.shares_dropped > 0);
	assert_true(rep.chains >= 20);
	/* 电力设备 (Shenwan 630000): the invariants. */
	struct kc_chain *c = NULL;
	assert_int_equal(kc_chain_load(fx->st, "kg-sw-630000", &c, &err), 0);
	struct kc_chain_removal none = {NULL, 0, NULL, 0, NULL, 0};
	json_t *r = NULL;
	assert_int_equal(kc_chain_simulate(c, &none, NULL, &r, NULL), 0);
	assert_int_equal(iget(json_object_get(r, "summary"), "affected_downstream"), 0);
	assert_int_equal(iget(json_object_get(r, "summary"), "degraded"), 0);
	json_decref(r);
	/* Removing a node's only supplier makes it lose supply. */
	json_t *b = NULL;
	assert_true(kc_chain_bottlenecks(c, 0, NULL, &b, NULL) >= 0);
	const json_t *co = json_array_get(json_object_get(b, "companies"), 0);
	assert_non_null(co);
	const char *oid = sget(co, "id");
	struct kc_chain_removal one = {&oid, 1, NULL, 0, NULL, 0};
	assert_true(kc_chain_simulate(c, &one, NULL, &r, NULL) >= 1);
	assert_int_equal(iget(json_object_get(r, "summary"), "lost"), iget(co, "sole_nodes"));
	assert_int_equal(iget(json_object_get(r, "summary"), "lost") +
	                     iget(json_object_get(r, "summary"), "affected_downstream"),
	                 iget(co, "affected"));
	json_decref(r);
	json_decref(b);
	/* Rankings are deterministic and coverage adds up for every province. */
	json_t *g1 = NULL, *g2 = NULL, *cov = NULL;
	assert_true(kc_chain_gaps(c, 320000, NULL, &g1, NULL) >= 0);
	assert_true(kc_chain_gaps(c, 320000, NULL, &g2, NULL) >= 0);
	assert_true(json_equal(g1, g2));
	json_decref(g1);
	json_decref(g2);
	assert_int_equal(kc_chain_coverage(c, 440000, NULL, &cov, NULL), 0);
	const json_t *s = json_object_get(cov, "summary");
	assert_int_equal(iget(s, "present") + iget(s, "thin") + iget(s, "absent") +
	                     iget(s, "unsupplied"),
	                 iget(s, "nodes"));
	json_decref(cov);
	kc_chain_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chain_lists_the_hand_chain_with_its_counts, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_chain_list_leaves_out_name_en_when_a_chain_has_none,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_load_refuses_an_unknown_chain, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_panorama_gives_stages_depths_and_companies_per_province, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coverage_of_jiangsu_counts_present_thin_and_absent,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gaps_of_jiangsu_rank_carbonate_first_with_reasons,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_weak_links_of_jiangsu_are_cathode_and_electrolyte,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bottlenecks_follow_the_dominator_tree, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_simulation_matches_the_hand_figures, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_recruit_targets_companies_outside_the_region,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_linkage_attaches_supplies_and_local_demands_to_weak_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rankings_are_deterministic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cycles_do_not_break_depth_or_dominators, setup,
	                                    teardown),
	    cmocka_unit_test(test_region_is_inferred_from_registered_names),
	    cmocka_unit_test_setup_teardown(test_chainkg_import_maps_a_small_noisy_graph, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_real_graph_invariants, setup, teardown),
	};
	return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}
