/* bench/match_eval: retrieval quality of kechan's matching against SQLite FTS5 (bm25()) and
 * Xapian (BM25) on the Chinese scientific literature set, all in one run.
 *
 *   match_eval_bench [--no-xapian]
 *
 * Documents: the 1,000 CSL papers (../shared/data/csl/csl_benchmark_records.jsonl), the 8,000
 * titles of csl/benchmark/cls_ctg/train.tsv and the 1,784 FewCLUE csldcp abstracts as
 * distractors. Tasks (the matching issue):
 *   1. keywords → the paper, indexed as title + abstract;
 *   2. the first sentence of the abstract → the paper, indexed as title + keywords;
 *   3. a paper's abstract → papers and csldcp abstracts of the same discipline (the query paper
 *      left out): who works in this field.
 * Metrics: MRR@10 and Recall@10 for 1–2, P@10 and nDCG@10 for 3.
 * Peers see the same terms: every document field and query analyzed by kechan's analyzer
 * (index mode), fed as space-separated tokens. FTS5 uses bm25() with default weights; Xapian
 * (python3-xapian, Debian's python3) BM25Weight defaults, OR of the query terms. A reference
 * outside the goals (bench/match_eval_jieba.py, with Xapian): FTS5 bm25() on jieba's own terms
 * (cut_for_search), a platform without kechan's analyzer, whose figure the issue quotes.
 * kechan ranks as a platform that ran `kechan match assoc` would: with term associations
 * (include/kechan/assoc.h) learned from the task's documents as indexed plus the FewCLUE
 * keyword-task abstracts (the evaluation papers among them left out), so long queries are
 * expanded. Each task also reports kechan without expansion, and without proximity and
 * expansion (the parts they play). Tuning on these dev data: KC_EVAL_PROXIMITY=x (proximity
 * weight), KC_EVAL_EXPAND_W / _N / _MIN (expansion weight, words, minimum query words),
 * KC_EVAL_ASSOC_MINPAIR / _MAXDF / _NPMI (the association table's thresholds).
 * kechan also reranks long queries by field vectors (include/kechan/lsa.h) learned from the
 * task's documents as indexed, as `kechan match assoc` learns them from a store; each task
 * reports kechan without them too. Tuning: KC_EVAL_LSA_W / _POOL / _MIN / _DIMS / _ITERS,
 * KC_EVAL_LSA_EXT=1 (learn from the FewCLUE abstracts too), KC_EVAL_NOLSA=1;
 * KC_EVAL_MISSES=1 prints the known items kechan did not rank first, with the results above
 * them and their term parts; KC_EVAL_IDF_POWER tunes idf^p; KC_EVAL_TASKS=23 runs tasks 2 and
 * 3 only; KC_EVAL_DUMP=FILE writes the field task's first 50 per query with their scores
 * (JSON Lines, for trying rerankings outside); KC_EVAL_KEEP=1 keeps the last task's documents
 * and queries (JSON Lines with labels) in the temporary directory for study.
 * Release build; never a timed test. */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kechan/assoc.h"
#include "kechan/lsa.h"
#include "kechan/match.h"
#include "csl.h"

#define K 10

/* Does the csldcp-style label a (may be "x/y") share a discipline with b? */
static int same_field(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	char x[256], y[256];
	snprintf(x, sizeof(x), "%s", a);
	for (char *p = x, *e; p; p = e ? e + 1 : NULL) {
		e = strchr(p, '/');
		if (e)
			*e = 0;
		snprintf(y, sizeof(y), "%s", b);
		for (char *q = y, *g; q; q = g ? g + 1 : NULL) {
			g = strchr(q, '/');
			if (g)
				*g = 0;
			if (strcmp(p, q) == 0)
				return 1;
		}
	}
	return 0;
}

/* First sentence: up to the first 。 or a '.' not between digits, at least 10 characters. */
static char *first_sentence(const char *s)
{
	size_t n = strlen(s), i = 0, chars = 0;
	while (i < n) {
		if (chars >= 10 && strncmp(s + i, "。", 3) == 0)
			break;
		if (chars >= 10 && s[i] == '.' && !(i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9' &&
						    s[i + 1] >= '0' && s[i + 1] <= '9'))
			break;
		i++;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return strndup(s, i);
}

/* ---- a task: which fields of each document are indexed, the queries and their answers */
enum { F_TITLE = 1, F_ABS = 2, F_KW = 4 };

struct query {
	char qid[32];
	char *text;
	const char *exclude;
	const char *answer; /* tasks 1-2 */
	const char *label;  /* task 3 */
};

struct task {
	const char *name;
	int paper_fields, other_fields;
	int with_titles; /* the 8,000 titles are in the haystack */
	struct query *q;
	size_t nq;
	int field_task;
};

struct metrics {
	double a, b; /* MRR, R@10 or P@10, nDCG@10 */
};

static int in_task(const struct task *tk, const struct doc *d)
{
	if (d->paper)
		return 1;
	if (d->label == NULL)
		return tk->with_titles; /* a title */
	return 1; /* csldcp */
}

static int fields_of(const struct task *tk, const struct doc *d)
{
	return d->paper ? tk->paper_fields : tk->other_fields;
}

/* A document's text as indexed (fields f), as kc_match_record_text lays a record out. */
static char *doc_text_of(const struct doc *d, int f)
{
	size_t tl = (d->title ? strlen(d->title) : 0) + (d->abs ? strlen(d->abs) : 0) +
		    (d->kw ? strlen(d->kw) : 0) + 4;
	char *x = malloc(tl);
	snprintf(x, tl, "%s\n%s\n%s\n", (f & F_TITLE) && d->title ? d->title : "",
		 (f & F_KW) && d->kw ? d->kw : "", (f & F_ABS) && d->abs ? d->abs : "");
	return x;
}

/* Texts to learn term associations from besides the haystack: the FewCLUE keyword-recognition
 * abstracts (with their keywords where they are the paper's real ones, label "1"), each once,
 * leaving out any that is one of the 1,000 evaluation papers (same start of abstract). */
static json_t *assoc_texts(const struct corpus *c, size_t *dropped)
{
	char path[4096];
	json_t *seen = json_object(), *out = json_array();
	*dropped = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].paper || c->v[i].abs == NULL)
			continue;
		char key[61];
		snprintf(key, sizeof(key), "%s", c->v[i].abs);
		json_object_set_new(seen, key, json_integer(1));
	}
	snprintf(path, sizeof(path), "%s/csl/fewclue/csl_keyword_test_public.json", shared());
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		json_t *r = json_loads(line, 0, NULL);
		const char *abst = json_string_value(json_object_get(r, "abst"));
		if (abst == NULL) {
			json_decref(r);
			continue;
		}
		char key[61];
		snprintf(key, sizeof(key), "%s", abst);
		const char *label = json_string_value(json_object_get(r, "label"));
		int real = label != NULL && strcmp(label, "1") == 0;
		json_t *have = json_object_get(seen, key);
		if (have && json_integer_value(have) == 1) {
			(*dropped)++; /* an evaluation paper */
		} else if (have == NULL || real) {
			/* one text per abstract; the real keyword list when there is one */
			struct kc_buf b;
			kc_buf_init(&b, 0);
			kc_buf_adds(&b, abst);
			size_t i;
			json_t *k;
			json_array_foreach(real ? json_object_get(r, "keyword") : NULL, i, k) {
				kc_buf_addc(&b, ' ');
				kc_buf_adds(&b, json_string_value(k));
			}
			if (have == NULL) {
				json_object_set_new(seen, key, json_integer((json_int_t)json_array_size(out) + 2));
				json_array_append_new(out, json_string(kc_buf_cstr(&b)));
			} else {
				json_array_set_new(out, (size_t)json_integer_value(have) - 2,
						   json_string(kc_buf_cstr(&b)));
			}
			kc_buf_release(&b);
		}
		json_decref(r);
	}
	free(line);
	if (f)
		fclose(f);
	json_decref(seen);
	return out;
}

/* Associations learned from the task's own documents as indexed (what a platform learns from
 * its records) and the external texts. */
static struct kc_assoc *task_assoc(const struct task *tk, const struct corpus *c,
				   const json_t *ext, const struct kc_text *t)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	struct kc_assoc *a = NULL;
	kc_assoc_new(&a, &err);
	for (size_t i = 0; i < c->n; i++) {
		const struct doc *d = &c->v[i];
		if (!in_task(tk, d))
			continue;
		char *x = doc_text_of(d, fields_of(tk, d));
		if (strspn(x, "\n") < strlen(x)) /* a document with none of the fields: no text */
			kc_assoc_add(a, t, run, x, strlen(x), &err);
		free(x);
	}
	size_t i;
	const json_t *x;
	json_array_foreach(ext, i, x)
		kc_assoc_add(a, t, run, json_string_value(x), json_string_length(x), &err);
	struct kc_assoc_params p;
	kc_assoc_params_default(&p);
	const char *e;
	if ((e = getenv("KC_EVAL_ASSOC_MINPAIR")))
		p.min_pair = (unsigned)atoi(e);
	if ((e = getenv("KC_EVAL_ASSOC_MAXDF")))
		p.max_df_share = atof(e);
	if ((e = getenv("KC_EVAL_ASSOC_NPMI")))
		p.min_npmi = atof(e);
	if (kc_assoc_finish(a, &p, &err) != 0) {
		fprintf(stderr, "match_eval: associations: %s\n", err.msg);
		kc_assoc_free(a);
		a = NULL;
	}
	kc_text_run_free(run);
	return a;
}

/* Field vectors learned as `kechan match assoc` learns them from a store: from the task's
 * documents as indexed (KC_EVAL_LSA_EXT=1: plus the FewCLUE abstracts, which made them worse:
 * task 3 P@10 0.3331 vs 0.3464; KC_EVAL_LSA_DIMS: another length). */
static struct kc_lsa *task_lsa(const struct task *tk, const struct corpus *c, const json_t *ext,
			       const struct kc_text *t)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	struct kc_lsa *m = NULL;
	kc_lsa_new(&m, &err);
	for (size_t i = 0; i < c->n; i++) {
		const struct doc *d = &c->v[i];
		if (!in_task(tk, d))
			continue;
		char *x = doc_text_of(d, fields_of(tk, d));
		kc_lsa_add(m, t, run, x, strlen(x), &err);
		free(x);
	}
	size_t i;
	const json_t *x;
	json_array_foreach(getenv("KC_EVAL_LSA_EXT") ? ext : NULL, i, x)
		kc_lsa_add(m, t, run, json_string_value(x), json_string_length(x), &err);
	struct kc_lsa_params p;
	kc_lsa_params_default(&p);
	const char *e;
	if ((e = getenv("KC_EVAL_LSA_DIMS")))
		p.dims = (unsigned)atoi(e);
	if ((e = getenv("KC_EVAL_LSA_ITERS")))
		p.iters = (unsigned)atoi(e);
	if (kc_lsa_finish(m, &p, &err) != 0) {
		fprintf(stderr, "match_eval: field vectors: %s\n", err.msg);
		kc_lsa_free(m);
		m = NULL;
	}
	kc_text_run_free(run);
	return m;
}

/* Field vectors: the indexed text of each document, by document number. */
struct doc_texts {
	char **v;
	size_t n;
};

static int doc_text(void *ud, uint32_t doc, char **text)
{
	const struct doc_texts *f = ud;
	*text = doc < f->n && f->v[doc] ? strdup(f->v[doc]) : NULL;
	return 0;
}

/* Scores one ranked list of ids for query q. */
static void score_list(const struct task *tk, const struct corpus *c, const struct query *q,
		       char ids[][32], size_t n, long relevant_total, struct metrics *m)
{
	if (!tk->field_task) {
		for (size_t i = 0; i < n && i < K; i++) {
			if (strcmp(ids[i], q->answer) == 0) {
				m->a += 1.0 / (double)(i + 1);
				m->b += 1;
				break;
			}
		}
		return;
	}
	double dcg = 0, idcg = 0;
	int rel = 0;
	for (size_t i = 0; i < n && i < K; i++) {
		const struct doc *d = NULL;
		for (size_t j = 0; j < c->n; j++)
			if (strcmp(c->v[j].id, ids[i]) == 0) {
				d = &c->v[j];
				break;
			}
		if (d && same_field(d->label, q->label)) {
			rel++;
			dcg += 1.0 / log2((double)i + 2);
		}
	}
	for (long i = 0; i < K && i < relevant_total; i++)
		idcg += 1.0 / log2((double)i + 2);
	m->a += rel / (double)K;
	m->b += idcg > 0 ? dcg / idcg : 0;
}

/* KC_EVAL_MISSES=1, for study: a known item kechan did not rank first, the first three results
 * (* marks the one sought), then the scores and term parts of the first result and of the one
 * sought (when it is in the first 200). */
static void print_miss(const struct kc_index *ix, const struct kc_text *t,
		       const struct corpus *c, const struct query *q,
		       const struct kc_match_opts *o, const char (*ids)[32], size_t n)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_match_result r;
	printf("MISS %s | %s\n", q->answer, q->text);
	for (size_t i = 0; i <= n && i <= 3; i++) { /* the first three, then the one sought */
		const char *id = i < n && i < 3 ? ids[i] : q->answer;
		for (size_t j = 0; j < c->n; j++) {
			const struct doc *d = &c->v[j];
			if (strcmp(d->id, id) != 0)
				continue;
			if (id == q->answer)
				printf("  want");
			else
				printf("  %zu %s%s", i + 1, id, strcmp(id, q->answer) == 0 ? "*" : "");
			printf(" | %s | %s\n", d->title ? d->title : "", d->kw ? d->kw : "");
			break;
		}
		if (id == q->answer)
			break;
	}
	struct kc_match_opts o2 = *o;
	o2.k = 200;
	if (kc_match_text(ix, t, q->text, &o2, &r, &err) != 0)
		return;
	for (size_t i = 0; i < r.n; i++) {
		const struct kc_match_hit *h = &r.hits[i];
		const char *id = kc_index_doc(ix, h->doc)->id;
		if (i > 0 && strcmp(id, q->answer) != 0)
			continue;
		printf("  #%zu %s %.2f phrases %.2f field %.2f:", i + 1, id, h->score,
		       h->phrase_score, h->field_score);
		for (size_t j = 0; j < h->nparts; j++)
			printf(" %s=%.2f[title %u, desc %u, kw %u]", h->parts[j].term,
			       h->parts[j].score, h->parts[j].tf[KC_FIELD_TITLE],
			       h->parts[j].tf[KC_FIELD_DESC], h->parts[j].tf[KC_FIELD_KEYWORDS]);
		printf("\n");
	}
	kc_match_result_free(&r);
}

/* KC_EVAL_DUMP=FILE (field task): per query a JSON line {"q": the query paper, "hits": [[id,
 * text score, field similarity, field score] × 50]}, kechan's first 50 as ranked with every
 * part, to try rerankings outside the bench (docs/match.md: the category prior). */
static void dump_pool(FILE *f, const struct kc_index *ix, const struct kc_text *t,
		      const struct query *q, const struct kc_match_opts *o)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_match_opts o2 = *o;
	struct kc_match_result r;
	o2.k = 50;
	o2.lsa_pool = 50;
	if (kc_match_text(ix, t, q->text, &o2, &r, &err) != 0)
		return;
	fprintf(f, "{\"q\":\"%s\",\"hits\":[", q->exclude);
	for (size_t i = 0; i < r.n; i++)
		fprintf(f, "%s[\"%s\",%.6f,%.6f,%.6f]", i ? "," : "",
			kc_index_doc(ix, r.hits[i].doc)->id, r.hits[i].text_score, r.hits[i].field_sim,
			r.hits[i].field_score);
	fprintf(f, "]}\n");
	kc_match_result_free(&r);
}

/* Runs a peer script (Debian's python3) on the task's documents and queries and scores its
 * lists into m; 1 when it answered every query. */
static int run_peer(const struct task *tk, const struct corpus *c, const char *script,
		    const char *path, const char *qpath, const char *opath, char (*ids)[32],
		    struct metrics *m)
{
	char cmd[16384];
	snprintf(cmd, sizeof(cmd), "PATH=\"$(getconf PATH)\" python3 '%s/bench/%s' '%s' '%s' '%s'",
		 KC_SRC_DIR, script, path, qpath, opath);
	if (system(cmd) != 0)
		return 0;
	FILE *f = fopen(opath, "r");
	char *line = NULL;
	size_t cap = 0;
	size_t qi = 0;
	while (f && getline(&line, &cap, f) > 0 && qi < tk->nq) {
		json_t *res = json_loads(line, 0, NULL);
		size_t i, n = 0;
		json_t *x;
		json_array_foreach(json_object_get(res, "ids"), i, x)
			if (n < K)
				snprintf(ids[n++], 32, "%s", json_string_value(x));
		const struct query *q = &tk->q[qi++];
		long relevant = 0;
		if (tk->field_task)
			for (size_t j = 0; j < c->n; j++)
				if (in_task(tk, &c->v[j]) && strcmp(c->v[j].id, q->exclude) != 0 &&
				    same_field(c->v[j].label, q->label))
					relevant++;
		score_list(tk, c, q, ids, n, relevant, m);
		json_decref(res);
	}
	free(line);
	if (f)
		fclose(f);
	return qi == tk->nq;
}

static void run_task(struct task *tk, struct corpus *c, const struct kc_text *t, int xapian,
		     const char *tmpdir, const json_t *ext)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	struct kc_index *ix = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *sel = NULL;
	char path[4096], qpath[4096], opath[4096];
	snprintf(path, sizeof(path), "%s/docs.jsonl", tmpdir);
	snprintf(qpath, sizeof(qpath), "%s/queries.jsonl", tmpdir);
	snprintf(opath, sizeof(opath), "%s/xapian.jsonl", tmpdir);
	FILE *xd = fopen(path, "w"), *xq = fopen(qpath, "w");
	kc_index_new(&ix, t, &err);
	sqlite3_open(":memory:", &db);
	sqlite3_exec(db, "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, kw)", NULL,
		     NULL, NULL);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO docs VALUES (?, ?, ?, ?)", -1, &ins, NULL);
	size_t ndocs = 0;
	struct doc_texts dtx = {0};
	for (size_t i = 0; i < c->n; i++) {
		const struct doc *d = &c->v[i];
		if (!in_task(tk, d))
			continue;
		int f = fields_of(tk, d);
		json_t *rec = json_pack("{s:s}", "id", d->id);
		if ((f & F_TITLE) && d->title)
			json_object_set_new(rec, "title", json_string(d->title));
		if ((f & F_ABS) && d->abs)
			json_object_set_new(rec, "description", json_string(d->abs));
		if ((f & F_KW) && d->kw)
			json_object_set_new(rec, "keywords", json_pack("[s]", d->kw));
		kc_index_put(ix, KC_DOC_SUPPLY, rec, NULL, &err);
		long dn = kc_index_find(ix, KC_DOC_SUPPLY, d->id);
		if (dn >= 0) {
			if ((size_t)dn >= dtx.n) {
				size_t nn = (size_t)dn * 2 + 16;
				dtx.v = realloc(dtx.v, nn * sizeof(*dtx.v));
				memset(dtx.v + dtx.n, 0, (nn - dtx.n) * sizeof(*dtx.v));
				dtx.n = nn;
			}
			dtx.v[dn] = doc_text_of(d, f);
		}
		json_t *tt = json_array(), *tb = json_array(), *tw = json_array();
		terms_of(t, run, json_string_value(json_object_get(rec, "title")), tt);
		terms_of(t, run, json_string_value(json_object_get(rec, "description")), tb);
		if ((f & F_KW) && d->kw)
			terms_of(t, run, d->kw, tw);
		char *s1 = joined(tt), *s2 = joined(tb), *s3 = joined(tw);
		sqlite3_bind_text(ins, 1, d->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, s1, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, s2, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, s3, -1, SQLITE_STATIC);
		sqlite3_step(ins);
		sqlite3_reset(ins);
		json_array_extend(tt, tb);
		json_array_extend(tt, tw);
		json_t *xdoc = json_pack(
			"{s:s, s:O, s:s?, s:{s:s?, s:s?, s:s?}}", "id", d->id, "terms", tt, "label",
			d->label, "raw", "title", json_string_value(json_object_get(rec, "title")),
			"body", json_string_value(json_object_get(rec, "description")), "kw",
			(f & F_KW) ? d->kw : NULL);
		char *line = json_dumps(xdoc, JSON_COMPACT);
		fprintf(xd, "%s\n", line);
		free(line);
		json_decref(xdoc);
		free(s1);
		free(s2);
		free(s3);
		json_decref(tt);
		json_decref(tb);
		json_decref(tw);
		json_decref(rec);
		ndocs++;
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	fclose(xd);
	sqlite3_prepare_v2(db, "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 11",
			   -1, &sel, NULL);
	struct metrics mk = {0}, mf = {0}, mx = {0}, mj = {0}, mk0 = {0}, mke = {0}, mkl = {0};
	double t0 = kc_now();
	struct kc_assoc *assoc = task_assoc(tk, c, ext, t);
	double t_assoc = kc_now() - t0;
	t0 = kc_now();
	struct kc_lsa *lsa = getenv("KC_EVAL_NOLSA") ? NULL : task_lsa(tk, c, ext, t);
	double t_lsa = kc_now() - t0, t_full = 0, t_nolsa = 0; /* kechan's query times */
	struct kc_match_vecs *vecs = NULL;
	if (lsa != NULL && !getenv("KC_EVAL_NOCACHE"))
		kc_match_vecs_new(&vecs, lsa, &err);
	const char *ew = getenv("KC_EVAL_EXPAND_W"), *en = getenv("KC_EVAL_EXPAND_N"),
		   *em = getenv("KC_EVAL_EXPAND_MIN");
	const char *prox_env = getenv("KC_EVAL_PROXIMITY"); /* tuning: another proximity weight */
	long cal_n[3] = {0}, cal_rel[3] = {0}, buck_n[20] = {0}, buck_rel[20] = {0};
	char (*ids)[32] = malloc(11 * sizeof(*ids));
	FILE *dump = tk->field_task && getenv("KC_EVAL_DUMP") ? fopen(getenv("KC_EVAL_DUMP"), "w")
							       : NULL;
	for (size_t qi = 0; qi < tk->nq; qi++) {
		struct query *q = &tk->q[qi];
		long relevant = 0;
		if (tk->field_task) {
			for (size_t j = 0; j < c->n; j++)
				if (in_task(tk, &c->v[j]) && strcmp(c->v[j].id, q->exclude) != 0 &&
				    same_field(c->v[j].label, q->label))
					relevant++;
		}
		/* kechan */
		struct kc_match_opts o;
		struct kc_match_result r;
		kc_match_opts_default(&o, KC_DOC_SUPPLY);
		o.k = K;
		const char *k3env = getenv("KC_EVAL_K3"); /* tuning: query-term saturation */
		if (k3env)
			o.k3 = atof(k3env);
		const char *idfenv = getenv("KC_EVAL_IDF_POWER"); /* tuning: idf^p */
		if (idfenv)
			o.idf_power = atof(idfenv);
		const char *wenv = getenv("KC_EVAL_WEIGHTS"); /* tuning: title,desc,keywords[,k1,b] */
		if (wenv) {
			double wt = 0, wd = 0, wk = 0, k1 = 0, bb = -1;
			if (sscanf(wenv, "%lf,%lf,%lf,%lf,%lf", &wt, &wd, &wk, &k1, &bb) >= 3) {
				o.w[KC_FIELD_TITLE] = wt;
				o.w[KC_FIELD_DESC] = wd;
				o.w[KC_FIELD_KEYWORDS] = wk;
				if (k1 > 0)
					o.k1 = k1;
				if (bb >= 0)
					o.b[KC_FIELD_TITLE] = o.b[KC_FIELD_DESC] =
						o.b[KC_FIELD_KEYWORDS] = bb;
			}
		}
		o.exclude_id = q->exclude;
		size_t n = 0;
		/* the part proximity plays: the same ranking without it */
		o.proximity = 0;
		if (kc_match_text(ix, t, q->text, &o, &r, &err) == 0) {
			for (size_t i = 0; i < r.n; i++)
				snprintf(ids[n++], 32, "%s", kc_index_doc(ix, r.hits[i].doc)->id);
			kc_match_result_free(&r);
		}
		score_list(tk, c, q, ids, n, relevant, &mk0);
		/* the part expansion plays: the same ranking without it */
		n = 0;
		o.proximity = prox_env ? atof(prox_env) : KC_MATCH_PROXIMITY;
		if (kc_match_text(ix, t, q->text, &o, &r, &err) == 0) {
			for (size_t i = 0; i < r.n; i++)
				snprintf(ids[n++], 32, "%s", kc_index_doc(ix, r.hits[i].doc)->id);
			kc_match_result_free(&r);
		}
		score_list(tk, c, q, ids, n, relevant, &mke);
		/* kechan as a platform runs it: with the associations it learned */
		o.assoc = assoc;
		o.doc_text = doc_text;
		o.doc_ud = &dtx;
		const char *e;
		if (ew)
			o.expand_weight = atof(ew);
		if (en)
			o.expand_terms = (unsigned)atoi(en);
		if (em)
			o.expand_min = (unsigned)atoi(em);
		/* the part the field vectors play: the same ranking without them */
		n = 0;
		o.proximity = prox_env ? atof(prox_env) : KC_MATCH_PROXIMITY;
		double tq = kc_now();
		if (kc_match_text(ix, t, q->text, &o, &r, &err) == 0) {
			t_nolsa += kc_now() - tq;
			for (size_t i = 0; i < r.n; i++)
				snprintf(ids[n++], 32, "%s", kc_index_doc(ix, r.hits[i].doc)->id);
			kc_match_result_free(&r);
		}
		score_list(tk, c, q, ids, n, relevant, &mkl);
		o.lsa = lsa;
		o.vecs = vecs; /* as a server keeps them */
		if ((e = getenv("KC_EVAL_LSA_W")))
			o.lsa_weight = atof(e);
		if ((e = getenv("KC_EVAL_LSA_MIN")))
			o.lsa_min = (unsigned)atoi(e);
		if ((e = getenv("KC_EVAL_LSA_POOL")))
			o.lsa_pool = (unsigned)atoi(e);
		n = 0;
		tq = kc_now();
		if (kc_match_text(ix, t, q->text, &o, &r, &err) == 0) {
			t_full += kc_now() - tq;
			for (size_t i = 0; i < r.n; i++) {
				const char *id = kc_index_doc(ix, r.hits[i].doc)->id;
				snprintf(ids[n++], 32, "%s", id);
				/* calibration: known-item tasks judge the top hit, the field task
				 * every hit */
				if (i > 0 && !tk->field_task)
					continue;
				int rel = 0;
				if (!tk->field_task)
					rel = strcmp(id, q->answer) == 0;
				else
					for (size_t j = 0; j < c->n; j++)
						if (strcmp(c->v[j].id, id) == 0) {
							rel = same_field(c->v[j].label, q->label);
							break;
						}
				int b = (int)r.hits[i].band;
				cal_n[b]++;
				cal_rel[b] += rel;
				int bucket = (int)(r.hits[i].norm * 20);
				if (bucket > 19)
					bucket = 19;
				buck_n[bucket]++;
				buck_rel[bucket] += rel;
			}
			kc_match_result_free(&r);
		}
		score_list(tk, c, q, ids, n, relevant, &mk);
		if (dump) /* KC_EVAL_DUMP: the first 50, for study outside the bench */
			dump_pool(dump, ix, t, q, &o);
		if (!tk->field_task && getenv("KC_EVAL_MISSES") &&
		    (n == 0 || strcmp(ids[0], q->answer) != 0))
			print_miss(ix, t, c, q, &o, (const char(*)[32])ids, n);
		/* FTS5 */
		json_t *qt = json_array();
		terms_of(t, run, q->text, qt);
		char *fq = fts_query(qt);
		n = 0;
		sqlite3_bind_text(sel, 1, fq, -1, SQLITE_STATIC);
		while (sqlite3_step(sel) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(sel, 0);
			if (q->exclude && strcmp(id, q->exclude) == 0)
				continue;
			if (n < K)
				snprintf(ids[n++], 32, "%s", id);
		}
		sqlite3_reset(sel);
		free(fq);
		score_list(tk, c, q, ids, n, relevant, &mf);
		/* Xapian's queries */
		json_t *xq1 = json_pack("{s:s, s:O, s:s?, s:s?, s:s}", "qid", q->qid, "terms", qt,
					"exclude", q->exclude, "label", q->label, "text", q->text);
		char *line = json_dumps(xq1, JSON_COMPACT);
		fprintf(xq, "%s\n", line);
		free(line);
		json_decref(xq1);
		json_decref(qt);
	}
	fclose(xq);
	if (dump)
		fclose(dump);
	int have_x = xapian && run_peer(tk, c, "match_eval.py", path, qpath, opath, ids, &mx);
	/* a reference outside the goal: FTS5 on jieba's own terms (the "about 0.29") */
	int have_j = xapian && run_peer(tk, c, "match_eval_jieba.py", path, qpath, opath, ids, &mj);
	double nq = (double)tk->nq;
	const char *ma = tk->field_task ? "P@10" : "MRR@10", *mb = tk->field_task ? "nDCG@10" : "R@10";
	printf("| %s | %zu docs, %zu queries | kechan %s %.4f %s %.4f | FTS5 %s %.4f %s %.4f | ",
	       tk->name, ndocs, tk->nq, ma, mk.a / nq, mb, mk.b / nq, ma, mf.a / nq, mb, mf.b / nq);
	if (have_x)
		printf("Xapian %s %.4f %s %.4f |\n", ma, mx.a / nq, mb, mx.b / nq);
	else
		printf("Xapian n/a |\n");
	if (have_j)
		printf("|   | reference, not a goal's peer: FTS5 bm25() on jieba's own terms "
		       "(cut_for_search): %s %.4f %s %.4f; kechan / it = %.2f |\n",
		       ma, mj.a / nq, mb, mj.b / nq, mk.a / (mj.a + 1e-12));
	printf("|   | kechan without proximity and expansion: %s %.4f %s %.4f |\n", ma, mk0.a / nq,
	       mb, mk0.b / nq);
	if (assoc) {
		size_t at, aw, al;
		kc_assoc_stats(assoc, &at, &aw, &al);
		printf("|   | kechan without expansion: %s %.4f %s %.4f (the associations: %zu texts, "
		       "%zu words with partners, %zu links, learned in %.2f s) |\n",
		       ma, mke.a / nq, mb, mke.b / nq, at, aw, al, t_assoc);
	}
	if (lsa) {
		size_t lt, lw;
		unsigned ld;
		kc_lsa_stats(lsa, &lt, &lw, &ld);
		printf("|   | kechan without field vectors: %s %.4f %s %.4f (the field vectors: %zu "
		       "texts, %zu terms, %u dims, learned in %.2f s; mean query %.2f ms with them, "
		       "%.2f ms without) |\n",
		       ma, mkl.a / nq, mb, mkl.b / nq, lt, lw, ld, t_lsa, t_full * 1000 / nq,
		       t_nolsa * 1000 / nq);
	}
	if (!tk->field_task) {
		double best = mf.a > mx.a ? mf.a : mx.a;
		printf("|   | misses 1-MRR: kechan %.4f, best peer %.4f, ratio %.2f (goal <= 0.67) |\n",
		       1 - mk.a / nq, 1 - best / nq, (1 - mk.a / nq) / (1 - best / nq + 1e-12));
	} else {
		double best = mf.a > mx.a ? mf.a : mx.a;
		printf("|   | P@10 kechan / best peer = %.2f (goal >= 1.25) |\n", mk.a / (best + 1e-12));
	}
	printf("|   | kechan's confidence bands (%s): ", tk->field_task ? "every hit, same discipline"
									  : "top hit, the right paper");
	for (int b = KC_BAND_STRONG; b >= KC_BAND_WEAK; b--)
		printf("%s %ld hits, precision %.3f; ", kc_match_band_name((enum kc_match_band)b),
		       cal_n[b], cal_n[b] ? (double)cal_rel[b] / (double)cal_n[b] : 0.0);
	printf("|\n|   | precision by normalized score: ");
	for (int k = 0; k < 20; k++)
		if (buck_n[k])
			printf("[%.2f,%.2f) %ld/%.3f ", k / 20.0, (k + 1) / 20.0, buck_n[k],
			       (double)buck_rel[k] / (double)buck_n[k]);
	printf("|\n");
	free(ids);
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	sqlite3_close(db);
	kc_index_free(ix);
	kc_assoc_free(assoc);
	kc_match_vecs_free(vecs);
	kc_lsa_free(lsa);
	for (size_t i = 0; i < dtx.n; i++)
		free(dtx.v[i]);
	free(dtx.v);
	kc_text_run_free(run);
}

int main(int argc, char **argv)
{
	int xapian = !(argc > 1 && strcmp(argv[1], "--no-xapian") == 0);
	struct corpus c = {0};
	struct kc_err err = KC_ERR_INIT;
	struct kc_text *t = NULL;
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/csl/csl_benchmark_records.jsonl", shared());
	if (access(probe, R_OK) != 0) {
		printf("match_eval: SKIPPED: %s not found\n", probe);
		return 0;
	}
	if (load(&c) != 0 || kc_text_open(&t, NULL, &err) != 0) {
		fprintf(stderr, "match_eval: cannot load: %s\n", err.msg);
		return 1;
	}
	char tmpdir[] = "/tmp/kc_matcheval.XXXXXX";
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	size_t npapers = 0;
	for (size_t i = 0; i < c.n; i++)
		npapers += c.v[i].paper ? 1u : 0u;
	struct query *q1 = calloc(npapers, sizeof(*q1)), *q2 = calloc(npapers, sizeof(*q2)),
		     *q3 = calloc(npapers, sizeof(*q3));
	for (size_t i = 0; i < npapers; i++) {
		struct doc *d = &c.v[i];
		snprintf(q1[i].qid, 32, "%s", d->id);
		q1[i].text = d->kw;
		q1[i].answer = d->id;
		q2[i] = q1[i];
		q2[i].text = first_sentence(d->abs ? d->abs : "");
		q3[i] = q1[i];
		q3[i].text = d->abs;
		q3[i].exclude = d->id;
		q3[i].label = d->label;
	}
	printf("## Matching quality (CSL: %zu papers, %zu other documents)\n\n", npapers,
	       c.n - npapers);
	struct task t1 = {"1 keywords → paper (title+abstract)", F_TITLE | F_ABS, F_TITLE | F_ABS,
			  1, q1, npapers, 0};
	struct task t2 = {"2 first sentence → paper (title+keywords)", F_TITLE | F_KW,
			  F_TITLE | F_ABS, 1, q2, npapers, 0};
	struct task t3 = {"3 abstract → same discipline", F_TITLE | F_ABS | F_KW, F_TITLE | F_ABS, 0,
			  q3, npapers, 1};
	size_t dropped = 0;
	json_t *ext = assoc_texts(&c, &dropped);
	printf("Associations also learn from %zu FewCLUE keyword-task abstracts (%zu left out: "
	       "evaluation papers).\n\n", json_array_size(ext), dropped);
	const char *only = getenv("KC_EVAL_TASKS"); /* tuning: e.g. "3" runs task 3 alone */
	if (only == NULL || strchr(only, '1'))
		run_task(&t1, &c, t, xapian, tmpdir, ext);
	if (only == NULL || strchr(only, '2'))
		run_task(&t2, &c, t, xapian, tmpdir, ext);
	if (only == NULL || strchr(only, '3'))
		run_task(&t3, &c, t, xapian, tmpdir, ext);
	json_decref(ext);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (getenv("KC_EVAL_KEEP")) /* the last task's documents and queries, for study */
		fprintf(stderr, "match_eval: kept %s\n", tmpdir);
	else if (system(cmd) != 0)
		fprintf(stderr, "match_eval: could not remove %s\n", tmpdir);
	kc_text_close(t);
	return 0;
}
