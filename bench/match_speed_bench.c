/* bench/match_speed: index build time, memory and top-10 latency of kechan's matching engine
 * against SQLite FTS5 (bm25()) and Xapian (BM25), on the same documents and terms, in one run.
 *
 *   match_speed_bench [--docs N] [--queries N] [--no-xapian] [--no-fts5] [--lsa]
 *
 * Documents (default 1,000,000): generated from the CSL literature set (bench/csl.c: 1,000
 * papers, 8,000 titles, 1,784 abstracts). Each is a copy of a random real document whose words
 * are each replaced, with probability 1/5, by a word drawn from the whole corpus in proportion
 * to its frequency: real lengths and a real word distribution, no two copies alike.
 *
 * Terms: kechan indexes the texts (its analysis is part of its build time, run on all cores
 * by kc_index_put_many as kc_index_build does; the peers build on one thread). The peers get the
 * same texts analyzed by kechan's analyzer (index mode), as space-separated tokens per field;
 * that analysis is done before and outside their timings.
 *
 * Queries, single thread, top 10: short = 2–3 terms of a document's title or keywords; long =
 * 30–60 terms of a document's abstract (like a demand's description). kechan gets the terms as
 * text (analyzed again inside the timing); FTS5 an OR of the quoted terms ordered by bm25();
 * Xapian an OP_OR query with BM25Weight (python3-xapian, Debian's python3; bench/match_speed.py
 * times each get_mset() inside Python).
 *
 * --lsa: field vectors (include/kechan/lsa.h) learned from every document as `kechan match
 * assoc` would (time, peak resident set above what the process held), then the long queries
 * again, each reranked (lsa_min 0): once computing the results' vectors from their texts, once
 * with them kept (kc_match_vecs), as a running server has them.
 *
 * Memory: the growth of the process's resident set during the build (FTS5 and Xapian also
 * write their index to disk: its size is shown). Release build; never a timed test. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kechan/lsa.h"
#include "kechan/match.h"
#include "csl.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A line of /proc/self/status in MB: "VmRSS:" (now) or "VmHWM:" (the peak so far). */
static double status_mb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kb = 0;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0)
			kb = strtod(line + n, NULL);
	if (f)
		fclose(f);
	return kb / 1024.0;
}

/* CPU seconds (user + system) of all the process's threads so far. */
static double cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static double rss_mb(void)
{
	return status_mb("VmRSS:");
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* ---- token lists */

struct toks {
	char **v;
	size_t n;
};

static void toks_of(const struct kc_text *t, struct kc_text_run *run, const char *s,
		    enum kc_text_mode mode, struct toks *out)
{
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	out->v = NULL;
	out->n = 0;
	if (s == NULL || kc_text_analyze(t, run, s, strlen(s), mode, &terms, &n, &err) != 0)
		return;
	out->v = malloc((n ? n : 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out->v[i] = strndup(terms[i].text, terms[i].len);
	out->n = n;
}

static int ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Words joined as running text: a space only between two Latin words. */
static void append_word(char **s, size_t *len, size_t *cap, const char *w)
{
	size_t l = strlen(w);
	if (*len + l + 2 > *cap) {
		*cap = (*len + l + 2) * 2;
		*s = realloc(*s, *cap);
	}
	if (*len && ascii_alnum((*s)[*len - 1]) && ascii_alnum(w[0]))
		(*s)[(*len)++] = ' ';
	memcpy(*s + *len, w, l);
	*len += l;
	(*s)[*len] = 0;
}

static char *mutate(const struct toks *tk, const struct toks *pool)
{
	if (tk->n == 0)
		return NULL;
	size_t len = 0, cap = 64;
	char *s = malloc(cap);
	s[0] = 0;
	for (size_t i = 0; i < tk->n; i++) {
		const char *w = rnd() % 5 == 0 ? pool->v[rnd() % pool->n] : tk->v[i];
		append_word(&s, &len, &cap, w);
	}
	return s;
}

/* ---- the generated documents */

struct gdoc {
	char *title, *desc, *kw;    /* running text */
	char *ttitle, *tdesc, *tkw; /* analyzed, space-separated */
	int analyzed;               /* the three above are set */
};

/* A generated document's text as kc_match_record_text lays a record out (the caller frees). */
static char *gdoc_text(const struct gdoc *d)
{
	size_t n = (d->title ? strlen(d->title) : 0) + (d->kw ? strlen(d->kw) : 0) +
		   (d->desc ? strlen(d->desc) : 0) + 4;
	char *x = malloc(n);
	if (x != NULL)
		snprintf(x, n, "%s\n%s\n%s\n", d->title ? d->title : "", d->kw ? d->kw : "",
			 d->desc ? d->desc : "");
	return x;
}

struct gdocs {
	const struct gdoc *v;
	size_t n;
};

/* doc_text for the field vectors: documents were indexed in order, so number i is v[i] */
static int gdocs_text(void *ud, uint32_t doc, char **text)
{
	const struct gdocs *g = ud;
	*text = doc < g->n ? gdoc_text(&g->v[doc]) : NULL;
	return 0;
}

static char *analyzed(const struct kc_text *t, struct kc_text_run *run, const char *s)
{
	json_t *a = json_array();
	terms_of(t, run, s, a);
	char *j = joined(a);
	json_decref(a);
	return j;
}

/* Sets d's analyzed fields (once). */
static void gdoc_analyze(struct gdoc *d, const struct kc_text *t, struct kc_text_run *run)
{
	if (d->analyzed)
		return;
	d->ttitle = analyzed(t, run, d->title);
	d->tdesc = analyzed(t, run, d->desc);
	d->tkw = analyzed(t, run, d->kw);
	d->analyzed = 1;
}

/* ---- latency figures */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct lat {
	double p50, p99, mean;
};

static struct lat lat_of(double *v, size_t n)
{
	struct lat l = {0};
	if (n == 0)
		return l;
	qsort(v, n, sizeof(double), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	l.p50 = v[n / 2] * 1e3;
	l.p99 = v[(size_t)((double)(n - 1) * 0.99)] * 1e3;
	l.mean = sum / (double)n * 1e3;
	return l;
}

struct engine {
	const char *name;
	double build_s, rss, disk_mb;
	struct lat s, l;
	int ok;
};

static double file_mb(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
}

static double dir_mb(const char *dir)
{
	char cmd[4300], buf[64];
	snprintf(cmd, sizeof(cmd), "du -sk '%s' 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	double kb = p && fgets(buf, sizeof(buf), p) ? strtod(buf, NULL) : 0;
	if (p)
		pclose(p);
	return kb / 1024.0;
}

int main(int argc, char **argv)
{
	size_t ndocs = 1000000, nq = 1000;
	int xapian = 1, fts5 = 1, with_lsa = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--docs") == 0 && i + 1 < argc)
			ndocs = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
			nq = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-xapian") == 0)
			xapian = 0;
		else if (strcmp(argv[i], "--no-fts5") == 0)
			fts5 = 0;
		else if (strcmp(argv[i], "--lsa") == 0)
			with_lsa = 1;
		else {
			fprintf(stderr, "usage: match_speed_bench [--docs N] [--queries N] "
					"[--no-xapian] [--no-fts5] [--lsa]\n");
			return 2;
		}
	}
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/csl/csl_benchmark_records.jsonl", shared());
	if (access(probe, R_OK) != 0) {
		printf("match_speed: SKIPPED: %s not found\n", probe);
		return 0;
	}
	struct corpus c = {0};
	struct kc_err err = KC_ERR_INIT;
	struct kc_text *t = NULL;
	if (load(&c) != 0 || kc_text_open(&t, NULL, &err) != 0) {
		fprintf(stderr, "match_speed: cannot load: %s\n", err.msg);
		return 1;
	}
	struct kc_text_run *run = kc_text_run_new();
	char tmpdir[] = "/tmp/kc_matchspeed.XXXXXX";
	if (mkdtemp(tmpdir) == NULL)
		return 1;

	/* templates as words; the pool of all words */
	double t0 = now();
	struct toks *tt = calloc(c.n * 3, sizeof(*tt)), pool = {0};
	size_t pool_cap = 0;
	for (size_t i = 0; i < c.n; i++) {
		const char *f[3] = {c.v[i].title, c.v[i].abs, c.v[i].kw};
		for (int k = 0; k < 3; k++) {
			toks_of(t, run, f[k], KC_TEXT_PRECISE, &tt[i * 3 + (size_t)k]);
			for (size_t j = 0; j < tt[i * 3 + (size_t)k].n; j++) {
				const char *w = tt[i * 3 + (size_t)k].v[j];
				if (w[0] == ' ')
					continue;
				if (pool.n == pool_cap)
					pool.v = realloc(pool.v, (pool_cap = pool_cap ? pool_cap * 2
										      : 4096) *
								     sizeof(char *));
				pool.v[pool.n++] = tt[i * 3 + (size_t)k].v[j];
			}
		}
	}
	struct gdoc *g = calloc(ndocs, sizeof(*g));
	size_t bytes = 0;
	for (size_t i = 0; i < ndocs; i++) {
		size_t tpl = (size_t)(rnd() % c.n);
		g[i].title = mutate(&tt[tpl * 3], &pool);
		g[i].desc = mutate(&tt[tpl * 3 + 1], &pool);
		g[i].kw = mutate(&tt[tpl * 3 + 2], &pool);
		bytes += (g[i].title ? strlen(g[i].title) : 0) + (g[i].desc ? strlen(g[i].desc) : 0) +
			 (g[i].kw ? strlen(g[i].kw) : 0);
	}
	double t_gen = now() - t0;
	/* the peers' terms; without a peer only the documents the queries come from need them
	 * (analyzed when drawn, below: the same queries either way) */
	t0 = now();
	for (size_t i = 0; i < ndocs && (fts5 || xapian); i++)
		gdoc_analyze(&g[i], t, run);
	double t_an = now() - t0;
	printf("## Matching speed: %zu documents (%.0f MB of text) from %zu CSL templates\n\n", ndocs,
	       (double)bytes / 1048576.0, c.n);
	if (fts5 || xapian)
		printf("generated in %.1f s; analyzed for the peers in %.1f s (%.1f MB/s, outside "
		       "their timings)\n\n",
		       t_gen, t_an, (double)bytes / 1048576.0 / t_an);
	else
		printf("generated in %.1f s; no peer: not analyzed for them\n\n", t_gen);

	/* queries from random documents */
	json_t **qs = calloc(2 * nq, sizeof(json_t *));
	for (size_t qi = 0; qi < 2 * nq; qi++) {
		int lng = qi >= nq;
		json_t *terms = json_array();
		while (json_array_size(terms) == 0) {
			struct gdoc *d = &g[rnd() % ndocs];
			gdoc_analyze(d, t, run);
			char *src = strdup(lng ? (d->tdesc ? d->tdesc : "")
					       : (d->tkw && *d->tkw ? d->tkw
								    : d->ttitle ? d->ttitle : ""));
			char *words[4096];
			size_t nw = 0;
			for (char *save = NULL, *p = strtok_r(src, " ", &save); p && nw < 4096;
			     p = strtok_r(NULL, " ", &save))
				words[nw++] = p;
			if (lng && nw >= 30) {
				size_t want = 30 + (size_t)(rnd() % 31);
				for (size_t k = 0; k < want && k < nw; k++)
					json_array_append_new(terms, json_string(words[k]));
			} else if (!lng && nw >= 2) {
				size_t want = 2 + (size_t)(rnd() % 2);
				for (size_t k = 0; k < want * 4 && json_array_size(terms) < want; k++) {
					const char *w = words[rnd() % nw];
					int dup = 0;
					size_t j;
					json_t *x;
					json_array_foreach(terms, j, x) dup |= strcmp(json_string_value(x), w) == 0;
					if (!dup)
						json_array_append_new(terms, json_string(w));
				}
			}
			free(src);
		}
		qs[qi] = terms;
	}
	double *lat = malloc(2 * nq * sizeof(double));
	struct engine e[3] = {{.name = "kechan"}, {.name = "SQLite FTS5 bm25()"},
			      {.name = "Xapian BM25"}};

	/* kechan */
	struct kc_index *ix = NULL;
	double r0;
	/* the records as the store would hand them over, made before the timing (the peers also
	 * get their rows ready-made) */
	json_t **recs = malloc(ndocs * sizeof(json_t *));
	for (size_t i = 0; i < ndocs; i++) {
		char id[32];
		snprintf(id, sizeof(id), "g-%07zu", i);
		recs[i] = json_pack("{s:s, s:s?, s:s?, s:[s?]}", "id", id, "title", g[i].title,
				    "description", g[i].desc, "keywords", g[i].kw);
	}
	r0 = rss_mb();
	double c0 = cpu_s();
	t0 = now();
	kc_index_new(&ix, t, &err);
	enum { BATCH = 4096 };
	for (size_t i = 0; i < ndocs; i += BATCH) {
		size_t n = ndocs - i < BATCH ? ndocs - i : BATCH;
		if (kc_index_put_many(ix, KC_DOC_SUPPLY, (const json_t *const *)recs + i, NULL, n, 0,
				      &err) != 0) {
			fprintf(stderr, "match_speed: kechan: %s\n", err.msg);
			return 1;
		}
		if ((i / BATCH) % 25 == 24)
			fprintf(stderr, "\rkechan: %zu documents", i + n);
	}
	e[0].build_s = now() - t0;
	double build_cpu = cpu_s() - c0;
	e[0].rss = rss_mb() - r0;
	for (size_t i = 0; i < ndocs; i++)
		json_decref(recs[i]);
	free(recs);
	fprintf(stderr, "\rkechan: built in %.1f s       \n", e[0].build_s);
	struct kc_match_opts o;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	const char *ev; /* diagnosis: what costs time */
	if ((ev = getenv("KC_SPEED_PROXIMITY")) != NULL)
		o.proximity = atof(ev);
	if ((ev = getenv("KC_SPEED_K1")) != NULL)
		o.k1 = atof(ev);
	for (size_t qi = 0; qi < 2 * nq; qi++) {
		char *text = joined(qs[qi]);
		struct kc_match_result r = {0};
		double q0 = now();
		if (kc_match_text(ix, t, text, &o, &r, &err) != 0) {
			fprintf(stderr, "match_speed: kechan query: %s\n", err.msg);
			return 1;
		}
		lat[qi] = now() - q0;
		kc_match_result_free(&r);
		free(text);
	}
	e[0].s = lat_of(lat, nq);
	e[0].l = lat_of(lat + nq, nq);
	e[0].ok = 1;
	/* --lsa: field vectors learned from every document as kechan match assoc would, then the
	 * long queries reranked by them (all of them: lsa_min 0), first with the vectors computed
	 * from the results' texts, then kept (kc_match_vecs) */
	double t_lsa = 0, lsa_peak = 0;
	struct lat lc = {0}, lw = {0};
	size_t lsa_texts = 0, lsa_terms = 0;
	unsigned lsa_dims = 0, lsa_pool = 0;
	if (with_lsa) {
		struct kc_lsa *m = NULL;
		struct kc_match_vecs *vecs = NULL;
		struct gdocs gd = {g, ndocs};
		double hwm0 = status_mb("VmHWM:"), rss0 = rss_mb();
		t0 = now();
		kc_lsa_new(&m, &err);
		for (size_t i = 0; i < ndocs; i++) {
			char *x = gdoc_text(&g[i]);
			if (x == NULL || kc_lsa_add(m, t, run, x, strlen(x), &err) != 0) {
				fprintf(stderr, "match_speed: field vectors: %s\n", err.msg);
				return 1;
			}
			free(x);
			if (i % 100000 == 99999)
				fprintf(stderr, "\rfield vectors: %zu documents", i + 1);
		}
		if (kc_lsa_finish(m, NULL, &err) != 0 || kc_match_vecs_new(&vecs, m, &err) != 0) {
			fprintf(stderr, "match_speed: field vectors: %s\n", err.msg);
			return 1;
		}
		t_lsa = now() - t0;
		/* the peak above what the process held before (its earlier peak may be higher) */
		lsa_peak = status_mb("VmHWM:") > hwm0 ? status_mb("VmHWM:") - rss0 : 0;
		kc_lsa_stats(m, &lsa_texts, &lsa_terms, &lsa_dims);
		fprintf(stderr, "\rfield vectors: learned in %.1f s       \n", t_lsa);
		struct kc_match_opts lo = o;
		lo.lsa = m;
		lo.lsa_min = 0;
		lo.vecs = vecs;
		if ((ev = getenv("KC_SPEED_LSA_POOL")) != NULL) /* diagnosis: a smaller pool */
			lo.lsa_pool = (unsigned)strtoul(ev, NULL, 10);
		lsa_pool = lo.lsa_pool;
		lo.doc_text = gdocs_text;
		lo.doc_ud = &gd;
		for (int pass = 0; pass < 2; pass++) {
			for (size_t qi = nq; qi < 2 * nq; qi++) {
				char *text = joined(qs[qi]);
				struct kc_match_result r = {0};
				double q0 = now();
				if (kc_match_text(ix, t, text, &lo, &r, &err) != 0) {
					fprintf(stderr, "match_speed: kechan query: %s\n", err.msg);
					return 1;
				}
				lat[qi] = now() - q0;
				kc_match_result_free(&r);
				free(text);
			}
			if (pass == 0)
				lc = lat_of(lat + nq, nq);
			else
				lw = lat_of(lat + nq, nq);
		}
		kc_match_vecs_free(vecs);
		kc_lsa_free(m);
	}
	size_t kterms = kc_index_terms(ix), kbytes = kc_index_bytes(ix);
	/* snapshot: save, then load as a restart would */
	char snap[4200];
	snprintf(snap, sizeof(snap), "%s/index.snap", tmpdir);
	t0 = now();
	int snap_ok = kc_index_save(ix, snap, 1, &err) == 0;
	double t_save = now() - t0, snap_mb = file_mb(snap), t_load = 0;
	kc_index_free(ix);
	ix = NULL;
	if (snap_ok) {
		t0 = now();
		snap_ok = kc_index_load(&ix, t, snap, 1, &err) == 0;
		t_load = now() - t0;
		kc_index_free(ix);
		unlink(snap);
	}

	/* SQLite FTS5 */
	char path[4200];
	if (!fts5)
		goto xapian_peer;
	snprintf(path, sizeof(path), "%s/fts.db", tmpdir);
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *sel = NULL;
	r0 = rss_mb();
	t0 = now();
	sqlite3_open(path, &db);
	sqlite3_exec(db,
		     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;"
		     "CREATE VIRTUAL TABLE docs USING fts5(title, body, kw);"
		     "BEGIN",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO docs(rowid, title, body, kw) VALUES (?, ?, ?, ?)", -1,
			   &ins, NULL);
	for (size_t i = 0; i < ndocs; i++) {
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(ins, 2, g[i].ttitle, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, g[i].tdesc, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, g[i].tkw, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "match_speed: fts5: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		sqlite3_reset(ins);
		if (i % 100000 == 99999)
			fprintf(stderr, "\rfts5: %zu documents", i + 1);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	e[1].build_s = now() - t0;
	e[1].rss = rss_mb() - r0;
	e[1].disk_mb = file_mb(path);
	fprintf(stderr, "\rfts5: built in %.1f s       \n", e[1].build_s);
	sqlite3_prepare_v2(db, "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10",
			   -1, &sel, NULL);
	for (size_t qi = 0; qi < 2 * nq; qi++) {
		char *fq = fts_query(qs[qi]);
		double q0 = now();
		sqlite3_bind_text(sel, 1, fq, -1, SQLITE_STATIC);
		while (sqlite3_step(sel) == SQLITE_ROW)
			;
		sqlite3_reset(sel);
		lat[qi] = now() - q0;
		free(fq);
	}
	e[1].s = lat_of(lat, nq);
	e[1].l = lat_of(lat + nq, nq);
	e[1].ok = 1;
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	sqlite3_close(db);
	unlink(path);

xapian_peer:
	/* Xapian, in Debian's python3 */
	if (xapian) {
		char dpath[4200], qpath[4200], opath[4200], xdir[4200], cmd[20000];
		snprintf(dpath, sizeof(dpath), "%s/docs.jsonl", tmpdir);
		snprintf(qpath, sizeof(qpath), "%s/queries.jsonl", tmpdir);
		snprintf(opath, sizeof(opath), "%s/xapian.json", tmpdir);
		snprintf(xdir, sizeof(xdir), "%s/xapian.db", tmpdir);
		FILE *fd = fopen(dpath, "w"), *fq = fopen(qpath, "w");
		for (size_t i = 0; i < ndocs; i++)
			fprintf(fd, "%s\t%s\t%s\n", g[i].ttitle, g[i].tdesc, g[i].tkw);
		for (size_t qi = 0; qi < 2 * nq; qi++) {
			char *q = joined(qs[qi]);
			fprintf(fq, "%s\n", q);
			free(q);
		}
		fclose(fd);
		fclose(fq);
		snprintf(cmd, sizeof(cmd),
			 "PATH=$(getconf PATH) python3 '%s/bench/match_speed.py' '%s' '%s' '%s' '%s' "
			 "%zu",
			 KC_SRC_DIR, dpath, qpath, xdir, opath, nq);
		if (system(cmd) == 0) {
			json_error_t je;
			json_t *x = json_load_file(opath, 0, &je);
			if (x != NULL) {
				e[2].build_s = json_real_value(json_object_get(x, "build_s"));
				e[2].rss = json_real_value(json_object_get(x, "rss_mb"));
				e[2].disk_mb = dir_mb(xdir);
				json_t *ls = json_object_get(x, "lat");
				for (size_t qi = 0; qi < 2 * nq; qi++)
					lat[qi] = json_real_value(json_array_get(ls, qi));
				e[2].s = lat_of(lat, nq);
				e[2].l = lat_of(lat + nq, nq);
				e[2].ok = 1;
				json_decref(x);
			}
		} else {
			fprintf(stderr, "match_speed: the Xapian peer failed (python3-xapian?)\n");
		}
	}

	printf("| engine | build s | memory MB (RSS growth) | on disk MB | short p50 ms | short p99 "
	       "ms | long p50 ms | long p99 ms |\n|---|---|---|---|---|---|---|---|\n");
	for (int k = 0; k < 3; k++) {
		if (!e[k].ok)
			continue;
		printf("| %s | %.1f | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f |\n", e[k].name,
		       e[k].build_s, e[k].rss, e[k].disk_mb, e[k].s.p50, e[k].s.p99, e[k].l.p50,
		       e[k].l.p99);
	}
	int fb = !e[2].ok || (e[1].ok && e[1].build_s <= e[2].build_s) ? 1 : 2;
	int fl = !e[2].ok || (e[1].ok && e[1].l.p99 <= e[2].l.p99) ? 1 : 2;
	printf("\n%zu queries of each kind (short: 2–3 terms; long: 30–60 terms); kechan: %zu terms, "
	       "%.0f MB of postings.\n",
	       nq, kterms, (double)kbytes / 1048576.0);
	printf("kechan build: %.1f s, %.1f s of CPU over all threads (on a busy machine the CPU "
	       "time varies less)\n",
	       e[0].build_s, build_cpu);
	if (snap_ok)
		printf("kechan snapshot: %.0f MB, saved in %.2f s, loaded in %.2f s (%.0f%% of the "
		       "build)\n",
		       snap_mb, t_save, t_load, 100.0 * t_load / e[0].build_s);
	if (with_lsa)
		printf("kechan field vectors: learned from %zu documents in %.1f s (peak RSS +%.0f MB), "
		       "%zu terms, %u dims; long queries reranked: p50 / p99 %.2f / %.2f ms with the "
		       "vectors computed from the results' texts, %.2f / %.2f ms with them kept "
		       "(without field vectors: %.2f / %.2f; pool %u)\n",
		       lsa_texts, t_lsa, lsa_peak, lsa_terms, lsa_dims, lc.p50, lc.p99, lw.p50, lw.p99,
		       e[0].l.p50, e[0].l.p99, lsa_pool);
	if (!e[fb].ok) {
		printf("no peer ran: no ratios\n");
		goto done;
	}
	printf("build: kechan / fastest peer (%s) = %.2f (goal ≤ 0.50; kechan's includes its text "
	       "analysis)\n",
	       e[fb].name, e[0].build_s / e[fb].build_s);
	/* the same work on both sides: from raw text to an index, the peer's analysis being the
	 * single-threaded one above (neither peer segments Chinese by itself) */
	printf("build from raw text: kechan %.1f s / %s's analysis %.1f s + build %.1f s = %.2f\n",
	       e[0].build_s, e[fb].name, t_an, e[fb].build_s,
	       e[0].build_s / (t_an + e[fb].build_s));
	printf("long-query p99: kechan / fastest peer (%s) = %.3f (goal ≤ 0.20)\n", e[fl].name,
	       e[0].l.p99 / e[fl].l.p99);
done:
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "match_speed: could not remove %s\n", tmpdir);
	kc_text_run_free(run);
	kc_text_close(t);
	return 0;
}
