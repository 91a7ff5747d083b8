/* bench/chain: the chain analyses on the real knowledge graph and on a synthetic chain.
 *
 *   chain_bench [--real-only | --synthetic-only] [--nodes N] [--edges M]
 *
 * 1. Real graph (../shared/data/chain_kg, skipped when absent): import into a temporary SQLite
 *    database, then for every chain and every province the full regional report (coverage +
 *    gaps + weak + bottlenecks): the time of each report, the slowest, the mean, and the load
 *    time of each chain. Goal: one region's full report < 1 s.
 * 2. Synthetic chain (default 100,000 nodes, 1,000,000 edges, 20,000 companies): bottlenecks
 *    (dominator tree) and disruption simulations; peer in the same run: the naive
 *    "remove each node and recount what the sources still reach" on a sample of nodes,
 *    extrapolated to all nodes.
 * Prints times and peak memory (max RSS). Release build; never a timed test. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kechan/chain.h"
#include "kechan/codes.h"
#include "kechan/store.h"
#include "chain/chain_int.h"

static double rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

static int die(const char *what, const struct kc_err *err)
{
	fprintf(stderr, "chain_bench: %s: %s\n", what, err->msg);
	return 1;
}

static int real_graph(void)
{
	const char *data = getenv("KC_SHARED_DATA");
	if (data == NULL || *data == '\0')
		data = KC_SHARED_DATA;
	char dir[1024], probe[1100], tmp[] = "/tmp/kc-chain-bench-XXXXXX", db[256];
	snprintf(dir, sizeof(dir), "%s/chain_kg", data);
	snprintf(probe, sizeof(probe), "%s/company.json", dir);
	if (access(probe, R_OK) != 0) {
		printf("real graph: skipped (%s is absent)\n", probe);
		return 0;
	}
	if (mkdtemp(tmp) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/kg.db", tmp);
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	int rc = 1;
	json_t *chains = NULL;
	if (kc_store_open(db, KC_STORE_CREATE, &st, &err) < 0)
		return die("open", &err);
	struct kc_chainkg_report rep;
	struct kc_import_opts opts = {"bench", 10, 0, NULL};
	if (kc_chain_import_kg(st, dir, &opts, &rep, &err) < 0) {
		rc = die("import", &err);
		goto cleanup;
	}
	printf("chainkg import: %.2f s, %" PRId64 " chains, %" PRId64 " nodes, %" PRId64
	       " edges, %" PRId64 " orgs, %" PRId64 " org_nodes; maxrss %.0f MB\n",
	       rep.seconds, rep.chains, rep.nodes, rep.edges, rep.orgs, rep.org_nodes, rss_mb());
	if (kc_chain_list(st, &chains, &err) < 0) {
		rc = die("list", &err);
		goto cleanup;
	}
	size_t nall = 0;
	const struct kc_region *all = kc_region_all(&nall);
	double worst = 0, total = 0, load_total = 0, worst_load = 0;
	int reports = 0;
	char worst_what[160] = "";
	size_t ci;
	json_t *cj;
	json_array_foreach (chains, ci, cj) {
		const char *id = json_string_value(json_object_get(cj, "id"));
		struct kc_chain *c = NULL;
		double t0 = kc_now();
		if (kc_chain_load(st, id, &c, &err) < 0) {
			rc = die("load", &err);
			goto cleanup;
		}
		double tl = kc_now() - t0;
		load_total += tl;
		if (tl > worst_load)
			worst_load = tl;
		double chain_worst = 0, chain_total = 0;
		int chain_reports = 0;
		for (size_t r = 0; r < nall; r++) {
			if (all[r].level != 1)
				continue;
			json_t *a = NULL, *b = NULL, *w = NULL, *k = NULL;
			double t1 = kc_now();
			if (kc_chain_coverage(c, all[r].code, NULL, &a, &err) < 0 ||
			    kc_chain_gaps(c, all[r].code, NULL, &b, &err) < 0 ||
			    kc_chain_weak(c, all[r].code, NULL, &w, &err) < 0 ||
			    kc_chain_bottlenecks(c, all[r].code, NULL, &k, &err) < 0) {
				kc_chain_free(c);
				rc = die("report", &err);
				goto cleanup;
			}
			double dt = kc_now() - t1;
			json_decref(a);
			json_decref(b);
			json_decref(w);
			json_decref(k);
			chain_total += dt;
			chain_reports++;
			if (dt > chain_worst)
				chain_worst = dt;
			if (dt > worst) {
				worst = dt;
				snprintf(worst_what, sizeof(worst_what), "%s %s", id, all[r].name);
			}
		}
		total += chain_total;
		reports += chain_reports;
		printf("  %-14s %6zu nodes: load %6.1f ms, report per province mean %6.1f ms, max "
		       "%6.1f ms (first includes the lazy graph analyses)\n",
		       id, kc_chain_node_count(c), tl * 1e3, chain_total / chain_reports * 1e3,
		       chain_worst * 1e3);
		kc_chain_free(c);
	}
	printf("real graph: %d full regional reports (coverage+gaps+weak+bottlenecks), %zu chains"
	       " x provinces: total %.2f s, mean %.1f ms, slowest %.1f ms (%s); loads total %.2f"
	       " s, slowest %.0f ms; goal < 1 s per report: %s; maxrss %.0f MB\n",
	       reports, json_array_size(chains), total, total / (reports ? reports : 1) * 1e3,
	       worst * 1e3, worst_what, load_total, worst_load * 1e3,
	       worst + worst_load < 1.0 ? "met (even with the load)" : "NOT met", rss_mb());
	rc = 0;
cleanup:
	json_decref(chains);
	kc_store_close(st);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "chain_bench: could not remove %s\n", tmp);
	return rc;
}

/* xorshift64*: a fixed seed, the same graph every run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* The naive peer: remove node x and count what a BFS from the sources still reaches. */
static int naive_cut(const struct kc_chain *c, int x, const int *sources, int ns,
                     unsigned char *seen, int *queue)
{
	memset(seen, 0, (size_t)c->n);
	int qh = 0, qt = 0;
	for (int i = 0; i < ns; i++)
		if (sources[i] != x) {
			seen[sources[i]] = 1;
			queue[qt++] = sources[i];
		}
	while (qh < qt) {
		int u = queue[qh++];
		for (int j = c->out_off[u]; j < c->out_off[u + 1]; j++) {
			int w = c->out_adj[j];
			if (w != x && !seen[w]) {
				seen[w] = 1;
				queue[qt++] = w;
			}
		}
	}
	return qt;
}

static int synthetic(int n, int m)
{
	struct kc_err err = KC_ERR_INIT;
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	const int norgs = n / 5, nlinks = n + n / 2;
	static const uint32_t provs[] = {110000, 120000, 130000, 310000, 320000, 330000,
	                                 340000, 350000, 370000, 410000, 420000, 430000,
	                                 440000, 500000, 510000, 610000};
	const int nprov = (int)(sizeof(provs) / sizeof(provs[0]));
	double t0 = kc_now();
	struct kc_chain *c = kc__chain_mem_new("synthetic", "synthetic", n, norgs, nlinks);
	int *from = malloc((size_t)m * sizeof(int)), *to = malloc((size_t)m * sizeof(int));
	if (c == NULL || from == NULL || to == NULL)
		return 1;
	char id[32];
	for (int v = 0; v < n; v++) {
		snprintf(id, sizeof(id), "n%d", v);
		c->nodes[v].id = kc_strdup(id);
		c->nodes[v].name = kc_strdup(id);
		c->nodes[v].stage = v < n / 5 ? 0 : v < 4 * (n / 5) ? 1 : 2;
	}
	for (int o = 0; o < norgs; o++) {
		snprintf(id, sizeof(id), "o%d", o);
		c->orgs[o].id = kc_strdup(id);
		c->orgs[o].name = kc_strdup(id);
		c->orgs[o].short_name = kc_strdup("");
		/* Skewed: the first provinces hold more companies. */
		uint64_t r = rnd(&seed) % (uint64_t)(nprov * nprov);
		int p = nprov - 1 - (int)(r / (uint64_t)nprov) * (int)(r % (uint64_t)nprov) / nprov;
		c->orgs[o].region = provs[p < 0 ? 0 : p % nprov];
		c->orgs[o].scale = 0.3;
	}
	for (int k = 0; k < nlinks; k++) {
		c->links[k].org = (int)(rnd(&seed) % (uint64_t)norgs);
		c->links[k].node = k < n ? k : (int)(rnd(&seed) % (uint64_t)n);
		c->links[k].role = 0;
		c->links[k].share = -1;
	}
	/* Edges mostly forward within a window (a layered chain), 1% backwards (cycles). */
	for (int i = 0; i < m; i++) {
		int b = 1 + (int)(rnd(&seed) % (uint64_t)(n - 1));
		int w = b < 5000 ? b : 5000;
		int a = b - 1 - (int)(rnd(&seed) % (uint64_t)w);
		if (rnd(&seed) % 100 == 0) {
			from[i] = b;
			to[i] = a;
		} else {
			from[i] = a;
			to[i] = b;
		}
	}
	if (kc__chain_mem_finish(c, from, to, (size_t)m, &err) < 0)
		return die("build", &err);
	double tb = kc_now() - t0;
	printf("synthetic: %d nodes, %d edges (%d distinct), %d companies, %d links: built in %.2f "
	       "s; maxrss %.0f MB\n",
	       n, m, c->m, norgs, nlinks, tb, rss_mb());
	free(from);
	free(to);

	json_t *res = NULL;
	double t1 = kc_now();
	if (kc_chain_bottlenecks(c, 0, NULL, &res, &err) < 0)
		return die("bottlenecks", &err);
	double tbn = kc_now() - t1;
	const json_t *top = json_array_get(json_object_get(res, "nodes"), 0);
	printf("  bottlenecks (national; SCC + dominator tree + companies): %.3f s; top node %s "
	       "dominates %" JSON_INTEGER_FORMAT "\n",
	       tbn, json_string_value(json_object_get(top, "id")),
	       json_integer_value(json_object_get(top, "dominated")));
	json_decref(res);
	t1 = kc_now();
	if (kc_chain_bottlenecks(c, 320000, NULL, &res, &err) < 0)
		return die("bottlenecks", &err);
	printf("  bottlenecks (江苏, cached dominators): %.3f s\n", kc_now() - t1);
	json_decref(res);

	/* Simulations: one region, 100 companies, 10 nodes. */
	uint32_t reg[1] = {440000};
	struct kc_chain_removal rm1 = {NULL, 0, NULL, 0, reg, 1};
	const char *orgs[100], *nodes[10];
	char obuf[100][16], nbuf[10][16];
	for (int i = 0; i < 100; i++) {
		snprintf(obuf[i], sizeof(obuf[i]), "o%d", (int)(rnd(&seed) % (uint64_t)norgs));
		orgs[i] = obuf[i];
	}
	for (int i = 0; i < 10; i++) {
		snprintf(nbuf[i], sizeof(nbuf[i]), "n%d", (int)(rnd(&seed) % (uint64_t)(n / 5)));
		nodes[i] = nbuf[i];
	}
	struct kc_chain_removal rm2 = {orgs, 100, NULL, 0, NULL, 0};
	struct kc_chain_removal rm3 = {NULL, 0, nodes, 10, NULL, 0};
	const struct kc_chain_removal *rms[] = {&rm1, &rm2, &rm3};
	const char *names[] = {"region 广东", "100 companies", "10 upstream nodes"};
	for (int i = 0; i < 3; i++) {
		t1 = kc_now();
		if (kc_chain_simulate(c, rms[i], NULL, &res, &err) < 0)
			return die("simulate", &err);
		const json_t *s = json_object_get(res, "summary");
		printf("  simulate %-18s %.3f s: lost %" JSON_INTEGER_FORMAT
		       ", degraded %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
		       " affected downstream (%.1f%%)\n",
		       names[i], kc_now() - t1, json_integer_value(json_object_get(s, "lost")),
		       json_integer_value(json_object_get(s, "degraded")),
		       json_integer_value(json_object_get(s, "affected_downstream")),
		       100 * json_number_value(json_object_get(s, "affected_share")));
		json_decref(res);
	}

	/* Peer: remove-and-recount on a sample, extrapolated to every node. */
	int *sources = malloc((size_t)n * sizeof(int)), ns = 0;
	int *queue = malloc((size_t)n * sizeof(int));
	unsigned char *seen = malloc((size_t)n);
	if (!sources || !queue || !seen)
		return 1;
	for (int v = 0; v < n; v++)
		if (c->in_off[v + 1] == c->in_off[v])
			sources[ns++] = v;
	int base = naive_cut(c, -1, sources, ns, seen, queue);
	const int sample = 20;
	t1 = kc_now();
	long cut_total = 0;
	for (int i = 0; i < sample; i++)
		cut_total +=
		    base - naive_cut(c, (int)(rnd(&seed) % (uint64_t)n), sources, ns, seen, queue);
	double per = (kc_now() - t1) / sample;
	double naive = per * n;
	printf("bottlenecks n=%d m=%d: kechan (dominator tree) %.3f s | naive remove-and-recount "
	       "%.1f s (extrapolated from %d nodes, %.1f ms each) | ratio %.0fx\n",
	       n, m, tbn, naive, sample, per * 1e3, naive / tbn);
	(void)cut_total;
	free(sources);
	free(queue);
	free(seen);
	kc_chain_free(c);
	printf("synthetic: maxrss %.0f MB\n", rss_mb());
	return 0;
}

int main(int argc, char **argv)
{
	int real = 1, synth = 1, n = 100000, m = 1000000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--real-only") == 0)
			synth = 0;
		else if (strcmp(argv[i], "--synthetic-only") == 0)
			real = 0;
		else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
			n = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--edges") == 0 && i + 1 < argc)
			m = (int)strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: chain_bench [--real-only | --synthetic-only] "
			                "[--nodes N] [--edges M]\n");
			return 2;
		}
	}
	if (n < 10 || m < 1) {
		fprintf(stderr, "chain_bench: --nodes >= 10 and --edges >= 1\n");
		return 2;
	}
	if (real && real_graph() != 0)
		return 1;
	if (synth && synthetic(n, m) != 0)
		return 1;
	return 0;
}
