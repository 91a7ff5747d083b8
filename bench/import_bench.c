/* bench/import: N generated records (vocabulary drawn from data/demo) imported with full
 * validation by kechan, against `sqlite3 .import` of the same rows as raw CSV into tables
 * without constraints, in the same run.
 *
 *   import_bench [--records N] [--keep DIR]
 *
 * Prints records/s for kechan (JSONL and CSV) and for sqlite3, and the ratios (wall-clock
 * time), then the CPU time each took. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kechan/store.h"
#include "store/store_int.h"

struct vocab {
	char **items;
	size_t n, cap;
};

static void vocab_add(struct vocab *v, const char *s, size_t len)
{
	if (len < 6)
		return;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->items = realloc(v->items, v->cap * sizeof(char *));
	}
	v->items[v->n++] = kc_strndup(s, len);
}

/* Splits text into clauses at Chinese and ASCII punctuation. */
static void vocab_clauses(struct vocab *v, const char *s)
{
	static const char *const seps[] = {"。", "，", "；", "：", "、", ",", ";", "(", ")", "（", "）"};
	const char *start = s;
	while (*s) {
		size_t sl = 0;
		for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
			size_t l = strlen(seps[i]);
			if (strncmp(s, seps[i], l) == 0) {
				sl = l;
				break;
			}
		}
		if (sl) {
			vocab_add(v, start, (size_t)(s - start));
			s += sl;
			start = s;
		} else {
			s++;
		}
	}
	vocab_add(v, start, (size_t)(s - start));
}

struct demo {
	struct vocab titles, clauses, keywords, nodes, orgs, ipcs;
};

static void load_demo(const char *dir, struct demo *d)
{
	static const char *const files[] = {"chains.jsonl", "orgs.jsonl", "supplies.jsonl",
					    "demands.jsonl"};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		FILE *fp = fopen(path, "r");
		if (fp == NULL) {
			fprintf(stderr, "import_bench: %s: %s (skipped)\n", path, strerror(errno));
			continue;
		}
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, fp) > 0) {
			json_t *r = json_loads(line, 0, NULL);
			if (r == NULL)
				continue;
			const char *type = json_string_value(json_object_get(r, "type"));
			const char *id = json_string_value(json_object_get(r, "id"));
			if (type && strcmp(type, "node") == 0)
				vocab_add(&d->nodes, id, strlen(id) >= 6 ? strlen(id) : 0);
			if (type && strcmp(type, "org") == 0 && id && strlen(id) >= 6)
				vocab_add(&d->orgs, id, strlen(id));
			const char *t = json_string_value(json_object_get(r, "title"));
			if (t)
				vocab_add(&d->titles, t, strlen(t));
			const char *desc = json_string_value(json_object_get(r, "description"));
			if (desc)
				vocab_clauses(&d->clauses, desc);
			size_t i;
			json_t *k;
			json_array_foreach(json_object_get(r, "keywords"), i, k)
				vocab_add(&d->keywords, json_string_value(k),
					  strlen(json_string_value(k)) >= 6 ? strlen(json_string_value(k)) : 0);
			json_array_foreach(json_object_get(r, "ipc"), i, k)
				vocab_add(&d->ipcs, json_string_value(k), strlen(json_string_value(k)));
			json_decref(r);
		}
		free(line);
		fclose(fp);
	}
	if (d->ipcs.n == 0) {
		static const char *const ipcs[] = {"H01M 4/525", "H01M 10/0525", "H01M 4/587",
						   "H01L 31/18", "C01D 15/08"};
		for (size_t i = 0; i < 5; i++)
			vocab_add(&d->ipcs, ipcs[i], strlen(ipcs[i]));
	}
	if (!d->titles.n || !d->clauses.n || !d->nodes.n || !d->orgs.n || !d->keywords.n) {
		fprintf(stderr, "import_bench: too little vocabulary in %s\n", dir);
		exit(1);
	}
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static const char *pick(const struct vocab *v)
{
	return v->items[next() % v->n];
}

/* Writes one CSV cell (quoted). */
static void csv_cell(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Generates n records: orgs (1%), supplies (59%), demands (40%). Writes JSONL for kechan, CSV
 * per entity for kechan, and CSV per entity for sqlite3 (same rows and columns). */
static void generate(const struct demo *d, int64_t n, const char *dir)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/gen.jsonl", dir);
	FILE *jf = fopen(path, "w");
	FILE *cf[3];
	static const char *const names[] = {"org", "supply", "demand"};
	static const char *const headers[] = {
		"id,name,kind,region,keywords,description",
		"id,org_id,kind,title,description,keywords,ipc,nodes,trl,stage,price_min,price_max,published",
		"id,org_id,title,description,keywords,nodes,trl_min,budget_min,budget_max,deadline,visibility",
	};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/csv/%s.csv", dir, names[i]);
		cf[i] = fopen(path, "w");
		fprintf(cf[i], "%s\n", headers[i]);
	}
	static const char *const kinds[] = {"achievement", "patent", "capability", "facility",
					    "expert"};
	static const char *const stages[] = {"lab", "concept", "pilot", "industrial"};
	static const char *const regions[] = {"350900", "440300", "320400", "511500", "630100",
					      "360900", "340100", "110108", "310115", "610100"};
	int64_t norgs = n / 100 > 0 ? n / 100 : 1;
	char desc[4096], title[1024], kw[512];
	for (int64_t i = 0; i < n; i++) {
		desc[0] = '\0';
		int parts = 3 + (int)(next() % 6);
		size_t dl = 0;
		for (int p = 0; p < parts && dl + 600 < sizeof(desc); p++)
			dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "%s%s", pick(&d->clauses),
					       p + 1 < parts ? "，" : "。");
		const char *k1 = pick(&d->keywords), *k2 = pick(&d->keywords), *k3 = pick(&d->keywords);
		json_t *r;
		int which;
		char id[32], org[32];
		if (i < norgs) {
			which = 0;
			snprintf(id, sizeof(id), "gorg-%07" PRId64, i);
			snprintf(title, sizeof(title), "%s研究院%" PRId64, pick(&d->keywords), i);
			const char *region = regions[next() % 10];
			r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[sss],s:s}", "type", "org", "id", id,
				      "name", title, "kind", "institute", "region", region,
				      "keywords", k1, k2, k3, "description", desc);
			fprintf(cf[0], "%s,", id);
			csv_cell(cf[0], title);
			fprintf(cf[0], ",institute,%s,", region);
			snprintf(kw, sizeof(kw), "%s;%s;%s", k1, k2, k3);
			csv_cell(cf[0], kw);
			fputc(',', cf[0]);
			csv_cell(cf[0], desc);
			fputc('\n', cf[0]);
		} else {
			snprintf(org, sizeof(org), "gorg-%07" PRId64, (int64_t)(next() % (uint64_t)norgs));
			snprintf(title, sizeof(title), "%s：%s", pick(&d->titles), pick(&d->clauses));
			const char *node = pick(&d->nodes);
			snprintf(kw, sizeof(kw), "%s;%s;%s", k1, k2, k3);
			int trl = 1 + (int)(next() % 9);
			if (next() % 100 < 60) {
				which = 1;
				snprintf(id, sizeof(id), "gsup-%08" PRId64, i);
				const char *kind = kinds[next() % 5], *stage = stages[next() % 4];
				const char *ipc = pick(&d->ipcs);
				int pmin = (int)(next() % 500), pmax = pmin + (int)(next() % 500);
				char pub[16];
				snprintf(pub, sizeof(pub), "202%d-%02d-%02d", (int)(next() % 6),
					 1 + (int)(next() % 12), 1 + (int)(next() % 28));
				r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[sss],s:[s],s:[s],s:i,s:s,s:i,s:i,s:s}",
					      "type", "supply", "id", id, "org_id", org, "kind", kind,
					      "title", title, "description", desc, "keywords", k1, k2, k3,
					      "ipc", ipc, "nodes", node, "trl", trl, "stage", stage,
					      "price_min", pmin, "price_max", pmax, "published", pub);
				fprintf(cf[1], "%s,%s,%s,", id, org, kind);
				csv_cell(cf[1], title);
				fputc(',', cf[1]);
				csv_cell(cf[1], desc);
				fputc(',', cf[1]);
				csv_cell(cf[1], kw);
				fprintf(cf[1], ",%s,%s,%d,%s,%d,%d,%s\n", ipc, node, trl, stage, pmin, pmax,
					pub);
			} else {
				which = 2;
				snprintf(id, sizeof(id), "gdem-%08" PRId64, i);
				int bmin = (int)(next() % 300), bmax = bmin + (int)(next() % 700);
				char dl2[16];
				snprintf(dl2, sizeof(dl2), "202%d-%02d-%02d", 6 + (int)(next() % 3),
					 1 + (int)(next() % 12), 1 + (int)(next() % 28));
				const char *vis = next() % 10 == 0 ? "confidential" : "public";
				r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[sss],s:[s],s:i,s:i,s:i,s:s,s:s}",
					      "type", "demand", "id", id, "org_id", org, "title", title,
					      "description", desc, "keywords", k1, k2, k3, "nodes", node,
					      "trl_min", trl, "budget_min", bmin, "budget_max", bmax,
					      "deadline", dl2, "visibility", vis);
				fprintf(cf[2], "%s,%s,", id, org);
				csv_cell(cf[2], title);
				fputc(',', cf[2]);
				csv_cell(cf[2], desc);
				fputc(',', cf[2]);
				csv_cell(cf[2], kw);
				fprintf(cf[2], ",%s,%d,%d,%d,%s,%s\n", node, trl, bmin, bmax, dl2, vis);
			}
		}
		(void)which;
		json_dumpf(r, jf, JSON_COMPACT);
		fputc('\n', jf);
		json_decref(r);
	}
	fclose(jf);
	for (int i = 0; i < 3; i++)
		fclose(cf[i]);
}

/* CPU seconds (user + system) used so far by this process, or by its waited-for children. */
static double cpu_seconds(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The import's CPU time (kc_import reads and writes in two threads, sqlite3 in one). */
static double cpu_kechan, cpu_sqlite3;

static double import_kechan(const char *db, const char *demo, const char *path, int64_t *n)
{
	struct kc_store *st = NULL;
	struct kc_err err = KC_ERR_INIT;
	unlink(db);
	if (kc_store_open(db, KC_STORE_CREATE, &st, &err) < 0) {
		fprintf(stderr, "import_bench: %s\n", err.msg);
		exit(1);
	}
	struct kc_import_opts opts = {"bench", 10, 0, NULL};
	struct kc_import_stats stats;
	if (kc_import(st, demo, &opts, &stats, &err) < 0) {
		fprintf(stderr, "import_bench: demo: %s\n", err.msg);
		exit(1);
	}
	double t0 = kc_now(), c0 = cpu_seconds(RUSAGE_SELF);
	if (kc_import(st, path, &opts, &stats, &err) < 0) {
		fprintf(stderr, "import_bench: %s: %s\n", path, err.msg);
		exit(1);
	}
	double t = kc_now() - t0;
	cpu_kechan = cpu_seconds(RUSAGE_SELF) - c0;
	*n = stats.total;
	kc_store_close(st);
	return t;
}

static double import_sqlite3(const char *db, const char *dir)
{
	char cmd[4096];
	unlink(db);
	snprintf(cmd, sizeof(cmd),
		 "sqlite3 '%s' 'PRAGMA journal_mode=WAL;' 'PRAGMA synchronous=NORMAL;'"
		 " '.import --csv %s/csv/org.csv org' '.import --csv %s/csv/supply.csv supply'"
		 " '.import --csv %s/csv/demand.csv demand' >/dev/null",
		 db, dir, dir, dir);
	double t0 = kc_now(), c0 = cpu_seconds(RUSAGE_CHILDREN);
	if (system(cmd) != 0) {
		fprintf(stderr, "import_bench: sqlite3 .import failed (is sqlite3 installed?)\n");
		exit(1);
	}
	double t = kc_now() - t0;
	cpu_sqlite3 = cpu_seconds(RUSAGE_CHILDREN) - c0;
	return t;
}

/* Why kechan reads JSONL with its own reader (src/store/jsonl.c) instead of json_loadb for
 * every line: both parse every line of the file, single thread, nothing else timed. */
static void parse_peer(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct kc_buf tmp = KC_BUF_INIT;
	double tk = 0, tj = 0;
	long lines = 0, same = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		double t0 = kc_now();
		json_t *a = kc__jsonl_object(line, (size_t)len, &tmp);
		double t1 = kc_now();
		json_t *b = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
		tj += kc_now() - t1;
		tk += t1 - t0;
		lines++;
		same += a != NULL && json_equal(a, b);
		json_decref(a);
		json_decref(b);
	}
	free(line);
	kc_buf_release(&tmp);
	fclose(f);
	printf("parse %ld JSONL lines: kechan's reader %.2f s, jansson json_loadb %.2f s, ratio %.2f"
	       " (%ld parsed to equal values)\n",
	       lines, tk, tj, tk / (tj > 0 ? tj : 1e-9), same);
}

int main(int argc, char **argv)
{
	int64_t n = 1000000;
	const char *keep = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
			n = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
			keep = argv[++i];
		else {
			fprintf(stderr, "usage: import_bench [--records N] [--keep DIR]\n");
			return 1;
		}
	}
	char dir[256], demo[512], path[600], db[600];
	if (keep) {
		snprintf(dir, sizeof(dir), "%s", keep);
		mkdir(dir, 0777);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/kc-import-bench-XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
	}
	snprintf(path, sizeof(path), "%s/csv", dir);
	mkdir(path, 0777);
	snprintf(demo, sizeof(demo), "%s/data/demo", KC_SRC_DIR);
	struct demo d;
	memset(&d, 0, sizeof(d));
	load_demo(demo, &d);
	double t0 = kc_now();
	generate(&d, n, dir);
	printf("generated %" PRId64 " records in %.1f s (vocabulary: %zu titles, %zu clauses, %zu"
	       " keywords, %zu nodes from data/demo)\n",
	       n, kc_now() - t0, d.titles.n, d.clauses.n, d.keywords.n, d.nodes.n);

	int64_t got = 0;
	snprintf(path, sizeof(path), "%s/gen.jsonl", dir);
	snprintf(db, sizeof(db), "%s/kechan.db", dir);
	parse_peer(path);
	double tj = import_kechan(db, demo, path, &got);
	double cj = cpu_kechan;
	if (got != n)
		fprintf(stderr, "import_bench: imported %" PRId64 " of %" PRId64 "\n", got, n);
	snprintf(path, sizeof(path), "%s/csv", dir);
	double tc = import_kechan(db, demo, path, &got);
	double cc = cpu_kechan;
	snprintf(db, sizeof(db), "%s/raw.db", dir);
	double ts = import_sqlite3(db, dir);
	double rj = (double)n / tj, rc = (double)n / tc, rs = (double)n / ts;
	printf("import n=%" PRId64 ": kechan jsonl %.0f rec/s (%.2f s) | kechan csv %.0f rec/s"
	       " (%.2f s) | sqlite3 .import raw csv %.0f rec/s (%.2f s) | ratio jsonl %.2f, csv %.2f"
	       " (goal >= 0.50)\n",
	       n, rj, tj, rc, tc, rs, ts, rj / rs, rc / rs);
	printf("cpu time (user + system): kechan jsonl %.2f s, kechan csv %.2f s, sqlite3 %.2f s\n",
	       cj, cc, cpu_sqlite3);
	if (!keep) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
