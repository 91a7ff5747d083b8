/* Unit tests for index and match: postings, updates and deletes, BM25F against a hand
 * computation, explanations that add up, visibility of confidential demands, proximity, term
 * associations and query expansion, highlights of matched terms in code points. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kechan/match.h"
#include "index/index_int.h" /* kc__index_set_block */
#include "core_int.h"        /* kc__alloc_fail_after */

static struct kc_text *g_text;

static struct kc_assoc *trained(void);
static struct kc_lsa *trained_lsa(void);

/* doc_text for tests: texts by document number */
#define TEXTS_MAX 4096
struct texts {
	char *v[TEXTS_MAX];
};

static int texts_of(void *ud, uint32_t doc, char **text)
{
	struct texts *t = ud;
	*text = doc < TEXTS_MAX && t->v[doc] ? strdup(t->v[doc]) : NULL;
	return 0;
}

/* Two fields whose words come together in texts: batteries and photovoltaics. */
static const char *const lsa_texts[] = {
	"锂电池 储能 电解液", "储能 正极 隔膜", "电解液 隔膜 锂电池", "正极 锂电池 储能",
	"隔膜 电解液 正极", "锂电池 隔膜 储能", "正极 电解液 储能", "锂电池 正极 电解液",
	"光伏 银浆 组件", "硅片 组件 逆变器", "银浆 硅片 光伏", "逆变器 光伏 组件",
	"硅片 银浆 逆变器", "组件 硅片 光伏", "银浆 逆变器 组件", "光伏 硅片 银浆"};

static struct kc_lsa *trained_lsa(void)
{
	struct kc_lsa *m = NULL;
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	assert_int_equal(kc_lsa_new(&m, &err), 0);
	for (size_t i = 0; i < sizeof(lsa_texts) / sizeof(lsa_texts[0]); i++)
		assert_int_equal(kc_lsa_add(m, g_text, run, lsa_texts[i], strlen(lsa_texts[i]), &err),
				 0);
	/* invalid UTF-8 is refused, the model unchanged */
	assert_int_not_equal(kc_lsa_add(m, g_text, run, "\xff\xfe", 2, &err), 0);
	struct kc_lsa_params p;
	kc_lsa_params_default(&p);
	p.dims = 2; /* two fields */
	assert_int_equal(kc_lsa_finish(m, &p, &err), 0);
	assert_int_not_equal(kc_lsa_add(m, g_text, run, "太晚", 6, &err), 0);
	kc_text_run_free(run);
	return m;
}

static double lsa_cos(const struct kc_lsa *m, const char *a, const char *b)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	float x[8], y[8];
	size_t ka, kb;
	assert_int_equal(kc_lsa_vector(m, g_text, run, a, strlen(a), x, &ka, &err), 0);
	assert_int_equal(kc_lsa_vector(m, g_text, run, b, strlen(b), y, &kb, &err), 0);
	kc_text_run_free(run);
	return ka && kb ? kc_lsa_dot(x, y, kc_lsa_dims(m)) : 0;
}

static void test_field_vectors_learned_saved_and_loaded(void **state)
{
	(void)state;
	struct kc_err err = KC_ERR_INIT;
	struct kc_lsa *m = trained_lsa(), *b = NULL;
	assert_int_equal(kc_lsa_dims(m), 2);
	/* no word in common, one field: close; across fields: far */
	double same = lsa_cos(m, "锂电池 储能", "电解液 隔膜");
	double other = lsa_cos(m, "锂电池 储能", "光伏 银浆");
	assert_true(same > 0.9);
	assert_true(other < 0.3);
	assert_true(lsa_cos(m, "光伏", "逆变器 硅片") > 0.9);
	/* words the model does not know give no vector */
	assert_true(lsa_cos(m, "不存在的词", "锂电池") == 0);
	/* the same texts and seed give the same model */
	struct kc_lsa *again = trained_lsa();
	float x[2], y[2];
	struct kc_text_run *run = kc_text_run_new();
	assert_int_equal(kc_lsa_vector(m, g_text, run, "锂电池 光伏", strlen("锂电池 光伏"), x,
				       NULL, &err), 0);
	assert_int_equal(kc_lsa_vector(again, g_text, run, "锂电池 光伏", strlen("锂电池 光伏"), y,
				       NULL, &err), 0);
	assert_memory_equal(x, y, sizeof(x));
	kc_lsa_free(again);
	/* saved and loaded: the same vectors */
	char path[] = "/tmp/kc_lsa_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kc_lsa_save(m, path, &err), 0);
	assert_int_equal(kc_lsa_load(&b, path, &err), 0);
	assert_int_equal(kc_lsa_dims(b), 2);
	assert_int_equal(kc_lsa_vector(b, g_text, run, "锂电池 光伏", strlen("锂电池 光伏"), y, NULL,
				       &err), 0);
	assert_memory_equal(x, y, sizeof(x));
	size_t t1, w1, t2, w2;
	unsigned d1, d2;
	kc_lsa_stats(m, &t1, &w1, &d1);
	kc_lsa_stats(b, &t2, &w2, &d2);
	assert_int_equal(t1, 16);
	assert_int_equal(t1, t2);
	assert_int_equal(w1, w2);
	kc_lsa_free(b);
	b = NULL;
	/* a damaged or truncated file is refused, a missing one is an I/O error */
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 40, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	assert_int_equal(kc_lsa_load(&b, path, &err), KC_ECORRUPT);
	assert_null(b);
	assert_int_equal(kc_lsa_save(m, path, &err), 0);
	assert_int_equal(truncate(path, 30), 0);
	assert_int_equal(kc_lsa_load(&b, path, &err), KC_ECORRUPT);
	assert_int_equal(kc_lsa_load(&b, "/nonexistent/kc.lsa", &err), KC_ENOTFOUND);
	remove(path);
	kc_text_run_free(run);
	kc_lsa_free(m);
}

static size_t rank_of(const struct kc_index *ix, const struct kc_match_result *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(kc_index_doc(ix, r->hits[i].doc)->id, id) == 0)
			return i;
	fail_msg("%s not in the results", id);
	return SIZE_MAX;
}

static void test_rerank_by_field_vectors(void **state)
{
	(void)state;
	struct kc_err err = KC_ERR_INIT;
	struct kc_lsa *m = trained_lsa();
	struct kc_index *ix = NULL;
	struct texts tx = {{0}};
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	/* s2 and s3 share one word with the query; s3 is shorter (the better text match), s2 is
	 * of the query's field */
	const char *docs[][2] = {{"s1", "锂电池 光伏 银浆 硅片 组件 逆变器"},
				 {"s2", "储能 电解液 隔膜"},
				 {"s3", "储能 光伏"},
				 {"s4", "风电 叶片"}};
	for (size_t i = 0; i < 4; i++) {
		json_t *rec = json_pack("{s:s, s:s}", "id", docs[i][0], "title", docs[i][1]);
		assert_int_equal(kc_index_put(ix, KC_DOC_SUPPLY, rec, NULL, &err), 0);
		tx.v[kc_index_find(ix, KC_DOC_SUPPLY, docs[i][0])] = kc_match_record_text(rec);
		json_decref(rec);
	}
	struct kc_match_opts o;
	struct kc_match_result r;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	o.doc_text = texts_of;
	o.doc_ud = &tx;
	const char *q = "锂电池 储能 正极";
	assert_int_equal(kc_match_text(ix, g_text, q, &o, &r, &err), 0);
	assert_true(r.n >= 3);
	for (size_t i = 0; i < r.n; i++) /* no model: no field scores */
		assert_true(r.hits[i].field_score == 0);
	assert_true(rank_of(ix, &r, "s3") < rank_of(ix, &r, "s2"));
	kc_match_result_free(&r);
	o.lsa = m;
	o.lsa_min = 1;
	o.lsa_weight = 1.0;
	assert_int_equal(kc_match_text(ix, g_text, q, &o, &r, &err), 0);
	/* the battery record moves ahead; its field similarity is listed and counted in
	 * text_score */
	size_t r2 = rank_of(ix, &r, "s2");
	assert_true(r2 < rank_of(ix, &r, "s3"));
	const struct kc_match_hit *h2 = &r.hits[r2];
	assert_true(h2->field_sim > 0.9);
	assert_true(h2->field_score > 0);
	double parts = h2->phrase_score + h2->field_score;
	for (size_t i = 0; i < h2->nparts; i++)
		parts += h2->parts[i].score;
	assert_true(fabs(parts - h2->text_score) < 1e-9);
	json_t *j = kc_match_hit_json(h2, 8);
	assert_non_null(json_object_get(json_object_get(j, "field"), "similarity"));
	json_decref(j);
	for (size_t i = 0; i < r.n; i++)
		if (strcmp(kc_index_doc(ix, r.hits[i].doc)->id, "s1") == 0)
			assert_true(r.hits[i].field_sim < 0.5);
	kc_match_result_free(&r);
	/* a query shorter than lsa_min is not reranked */
	o.lsa_min = 40;
	assert_int_equal(kc_match_text(ix, g_text, q, &o, &r, &err), 0);
	for (size_t i = 0; i < r.n; i++)
		assert_true(r.hits[i].field_score == 0);
	kc_match_result_free(&r);
	for (size_t i = 0; i < TEXTS_MAX; i++)
		free(tx.v[i]);
	kc_index_free(ix);
	kc_lsa_free(m);
}

static int group_setup(void **state)
{
	(void)state;
	struct kc_err err = KC_ERR_INIT;
	if (kc_text_open(&g_text, NULL, &err) != 0) {
		fprintf(stderr, "cannot load the analyzer: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	kc_text_close(g_text);
	return 0;
}

static void put(struct kc_index *ix, enum kc_doc_kind kind, const char *json)
{
	struct kc_err err = KC_ERR_INIT;
	json_error_t je;
	json_t *rec = json_loads(json, 0, &je);
	assert_non_null(rec);
	assert_int_equal(kc_index_put(ix, kind, rec, NULL, &err), 0);
	json_decref(rec);
}

static struct kc_index *corpus(void)
{
	struct kc_index *ix = NULL;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"s1\",\"org_id\":\"o1\",\"title\":\"竹基硬碳负极\",\"keywords\":[\"硬碳\"],"
	    "\"nodes\":[\"na-hardcarbon\"]}");
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"s2\",\"org_id\":\"o2\",\"title\":\"磷酸铁锂正极\",\"nodes\":[\"li-lfp\"],"
	    "\"ipc\":[\"H01M 4/58\"]}");
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"s3\",\"org_id\":\"o3\",\"title\":\"光伏银浆\",\"nodes\":[\"pv-silver-paste\"]}");
	put(ix, KC_DOC_DEMAND,
	    "{\"id\":\"d1\",\"org_id\":\"o4\",\"title\":\"硬碳首效提升\",\"visibility\":\"public\","
	    "\"nodes\":[\"na-hardcarbon\"]}");
	put(ix, KC_DOC_DEMAND,
	    "{\"id\":\"d2\",\"org_id\":\"o5\",\"title\":\"硬碳低成本\",\"visibility\":\"confidential\","
	    "\"nodes\":[\"na-hardcarbon\"]}");
	put(ix, KC_DOC_DEMAND,
	    "{\"id\":\"d3\",\"org_id\":\"o6\",\"title\":\"硬碳批次一致性\",\"visibility\":\"members\","
	    "\"nodes\":[\"na-hardcarbon\"]}");
	return ix;
}

static void test_postings_hold_documents_in_order_with_field_counts(void **state)
{
	(void)state;
	struct kc_index *ix = corpus();
	assert_int_equal(kc_index_docs(ix, KC_DOC_SUPPLY), 3);
	assert_int_equal(kc_index_docs(ix, KC_DOC_DEMAND), 3);
	struct kc_postings pc;
	kc_index_postings(ix, "硬碳", strlen("硬碳"), &pc);
	assert_int_equal(pc.df, 4);
	assert_int_equal(pc.df_kind[KC_DOC_SUPPLY], 1);
	uint32_t docs[8];
	int n = 0;
	while (kc_postings_next(&pc)) {
		if (n == 0) { /* s1: in the keywords; the title holds 硬碳负极, 硬碳 a sub-word */
			assert_int_equal(pc.tf[KC_FIELD_KEYWORDS], 1);
			assert_true(pc.tf[KC_FIELD_TITLE] >= 1);
		}
		docs[n++] = pc.doc;
	}
	assert_int_equal(n, 4);
	for (int i = 1; i < n; i++)
		assert_true(docs[i] > docs[i - 1]);
	kc_index_postings(ix, "ipc:h01m", 8, &pc);
	assert_int_equal(kc_postings_next(&pc), 1);
	assert_int_equal(pc.tf[KC_FIELD_CODES], 1);
	assert_string_equal(kc_index_doc(ix, pc.doc)->id, "s2");
	kc_index_postings(ix, "no-such-term", 12, &pc);
	assert_int_equal(kc_postings_next(&pc), 0);
	kc_index_free(ix);
}

/* Documents of random words from a small vocabulary, so each word's list spans many blocks
 * of a small block size. */
static const char *const bwords[] = {"硬碳", "负极", "首效", "钠离子电池", "正极", "电解液",
				     "隔膜", "钙钛矿", "银浆", "回收", "储能", "快充"};
#define NBWORDS (sizeof(bwords) / sizeof(bwords[0]))

static void put_random_words(struct kc_index *ix, int i, unsigned *seed)
{
	char title[256] = "", desc[1024] = "", id[16];
	size_t tl = 0, dl = 0;
	for (unsigned w = (unsigned)rand_r(seed) % 3 + 1; w > 0; w--)
		tl += (size_t)snprintf(title + tl, sizeof(title) - tl, "%s ",
				       bwords[(unsigned)rand_r(seed) % NBWORDS]);
	for (unsigned w = (unsigned)rand_r(seed) % 30; w > 0; w--)
		dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "%s，",
				       bwords[(unsigned)rand_r(seed) % NBWORDS]);
	snprintf(id, sizeof(id), "b%d", i);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:[s]}", "id", id, "title", title, "description",
				desc, "keywords", bwords[(unsigned)rand_r(seed) % NBWORDS]);
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_index_put(ix, KC_DOC_SUPPLY, rec, NULL, &err), 0);
	json_decref(rec);
}

/* One posting as a linear reading sees it. */
struct lpost {
	uint32_t doc;
	uint16_t tf[KC_FIELD_COUNT];
	const uint8_t *pos, *pos_end;
};

/* Every list of ix: its skip blocks hold their postings' last document and bounds, and seeks
 * to random targets land where a linear reading does, with the same frequencies and
 * positions; next() after a seek goes on as the linear reading does. */
static void check_blocks_and_seeks(const struct kc_index *ix, uint32_t block, unsigned *seed)
{
	static struct lpost lp[4096];
	/* the packed records scoring reads agree with the documents (tombstones included) */
	const struct kc_doc_hot *hot = kc_index_hot(ix);
	for (uint32_t d = 0; d < kc_index_capacity(ix); d++) {
		const struct kc_doc *x = kc_index_doc(ix, d);
		assert_memory_equal(hot[d].len, x->len, sizeof(x->len));
		assert_int_equal(hot[d].kind, x->kind);
		assert_int_equal(hot[d].vis, x->vis);
		assert_int_equal(hot[d].deleted, x->deleted);
		assert_int_equal(hot[d].closed, x->closed);
	}
	for (size_t w = 0; w < NBWORDS; w++) {
		struct kc_postings pc;
		size_t n = 0;
		kc_index_postings(ix, bwords[w], strlen(bwords[w]), &pc);
		while (kc_postings_next(&pc)) {
			assert_true(n < 4096);
			lp[n].doc = pc.doc;
			memcpy(lp[n].tf, pc.tf, sizeof(pc.tf));
			lp[n].pos = pc.pos;
			lp[n].pos_end = pc.pos_end;
			assert_int_equal(pc.bi, n / block); /* the cursor knows its block */
			n++;
		}
		assert_int_equal(n, pc.df);
		assert_int_equal(pc.nblk, (n + block - 1) / block);
		for (uint32_t j = 0; j < pc.nblk; j++) {
			const struct kc_postings_block *b = &pc.blk[j];
			size_t from = (size_t)j * block, to = from + block < n ? from + block : n;
			assert_int_equal(b->last, lp[to - 1].doc);
			for (int f = 0; f < KC_FIELD_COUNT; f++) {
				uint16_t maxtf = 0, minlen = 0;
				for (size_t k = from; k < to; k++) {
					uint16_t len = kc_index_doc(ix, lp[k].doc)->len[f];
					if (lp[k].tf[f] == 0)
						continue;
					if (lp[k].tf[f] > maxtf)
						maxtf = lp[k].tf[f];
					if (minlen == 0 || len < minlen)
						minlen = len;
				}
				assert_int_equal(b->maxtf[f], maxtf);
				assert_int_equal(b->minlen[f], minlen);
			}
		}
		for (int round = 0; round < 20; round++) {
			kc_index_postings(ix, bwords[w], strlen(bwords[w]), &pc);
			uint32_t target = 0;
			size_t k = 0; /* lp[k]: the first document >= target */
			for (;;) {
				target += (uint32_t)((unsigned)rand_r(seed) % (4 * block + 2));
				while (k < n && lp[k].doc < target)
					k++;
				int got = kc_postings_seek(&pc, target);
				if (k == n) {
					assert_int_equal(got, 0);
					break;
				}
				assert_int_equal(got, 1);
				assert_int_equal(pc.doc, lp[k].doc);
				assert_memory_equal(pc.tf, lp[k].tf, sizeof(pc.tf));
				assert_ptr_equal(pc.pos, lp[k].pos);
				assert_ptr_equal(pc.pos_end, lp[k].pos_end);
				assert_int_equal(kc_postings_block_find(&pc, 0, target), k / block);
				if ((unsigned)rand_r(seed) % 3 == 0) { /* and on, one by one */
					int more = kc_postings_next(&pc);
					assert_int_equal(more, k + 1 < n);
					if (!more)
						break;
					k++;
					assert_int_equal(pc.doc, lp[k].doc);
					assert_ptr_equal(pc.pos, lp[k].pos);
					target = pc.doc;
				}
			}
		}
	}
}

static void test_seeks_skip_blocks_and_read_what_a_linear_reading_reads(void **state)
{
	(void)state;
	static const uint32_t sizes[] = {1, 2, 3, 8, KC_INDEX_BLOCK};
	unsigned seed = 11;
	char path[] = "/tmp/kc_blk_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct kc_index *ix = NULL, *b = NULL;
		struct kc_err err = KC_ERR_INIT;
		assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
		assert_int_equal(kc__index_set_block(ix, sizes[s]), 0);
		int i = 0;
		for (; i < 500; i++)
			put_random_words(ix, i, &seed);
		assert_int_equal(kc__index_set_block(ix, 4), KC_EINVAL); /* not once it has documents */
		check_blocks_and_seeks(ix, sizes[s], &seed);
		/* a snapshot keeps the blocks; appending to a loaded index extends them */
		assert_int_equal(kc_index_save(ix, path, 1, &err), 0);
		assert_int_equal(kc_index_load(&b, g_text, path, 1, &err), 0);
		check_blocks_and_seeks(b, sizes[s], &seed);
		for (; i < 700; i++) {
			put_random_words(b, i, &seed);
			if (i % 7 == 0) /* replaced: a tombstone and new postings */
				put_random_words(b, i - 50, &seed);
		}
		check_blocks_and_seeks(b, sizes[s], &seed);
		kc_index_free(b);
		kc_index_free(ix);
	}
	unlink(path);
}

/* One node term against three supplies: codes and nodes fields have b = 0, weight 2 for nodes,
 * so tf~ = 2; idf = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)); score = idf^1.5 * 2 / (k1 + 2), k1 = 4. */
static void test_bm25f_score_matches_the_hand_computation(void **state)
{
	(void)state;
	struct kc_index *ix = corpus();
	struct kc_match_opts o;
	struct kc_match_result r;
	struct kc_err err = KC_ERR_INIT;
	json_t *q = json_pack("{s:s, s:[s]}", "id", "q", "nodes", "li-lfp");
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	assert_int_equal(kc_match_record(ix, g_text, q, &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "s2");
	double idf = log(1 + (3 - 1 + 0.5) / (1 + 0.5));
	assert_true(fabs(r.hits[0].score - pow(idf, 1.5) * 2 / (4.0 + 2)) < 1e-9);
	assert_int_equal(r.hits[0].nparts, 1);
	assert_string_equal(r.hits[0].parts[0].term, "node:li-lfp");
	assert_int_equal(r.hits[0].parts[0].tf[KC_FIELD_NODES], 1);
	kc_match_result_free(&r);
	json_decref(q);
	kc_index_free(ix);
}

/* A field's average length counts only the documents that have the field, and a word
 * repeated in the query is saturated (k3). */
static void test_field_averages_and_query_saturation(void **state)
{
	(void)state;
	struct kc_index *ix = corpus();
	/* s1 alone has keywords (one: 硬碳): the average is 1, not 1/3 */
	assert_true(fabs(kc_index_avglen(ix, KC_DOC_SUPPLY, KC_FIELD_KEYWORDS) - 1.0) < 1e-12);
	assert_true(kc_index_avglen(ix, KC_DOC_SUPPLY, KC_FIELD_DESC) == 0);
	struct kc_match_opts o;
	struct kc_match_result one, three, lin;
	struct kc_err err = KC_ERR_INIT;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	assert_int_equal(kc_match_text(ix, g_text, "银浆", &o, &one, &err), 0);
	assert_int_equal(kc_match_text(ix, g_text, "银浆，银浆，银浆", &o, &three, &err), 0);
	o.k3 = 0;
	assert_int_equal(kc_match_text(ix, g_text, "银浆，银浆，银浆", &o, &lin, &err), 0);
	assert_int_equal(one.n, 1);
	assert_int_equal(three.n, 1);
	/* weight 3 counts 3(k3+1)/(k3+3) = 2 with k3 = 3, and 3 when linear */
	assert_true(fabs(three.hits[0].score - 2 * one.hits[0].score) < 1e-9);
	assert_true(fabs(lin.hits[0].score - 3 * one.hits[0].score) < 1e-9);
	kc_match_result_free(&one);
	kc_match_result_free(&three);
	kc_match_result_free(&lin);
	kc_index_free(ix);
}

static size_t positions_of(const struct kc_index *ix, const char *term, uint32_t *out,
			   size_t cap)
{
	struct kc_postings pc;
	kc_index_postings(ix, term, strlen(term), &pc);
	assert_int_equal(kc_postings_next(&pc), 1);
	return kc_positions_decode(pc.pos, pc.pos_end, out, cap);
}

/* Positions: one word counter over title, description and keywords, 64 between fields and
 * list items; a phrase of the query found as a phrase ranks first and says so. */
static void test_positions_and_proximity(void **state)
{
	(void)state;
	struct kc_index *ix = NULL;
	struct kc_err err = KC_ERR_INIT;
	uint32_t pos[8];
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"p1\",\"title\":\"alpha beta gamma\",\"description\":\"delta alpha\","
	    "\"keywords\":[\"beta\",\"gamma\"],\"nodes\":[\"li-lfp\"]}");
	assert_int_equal(positions_of(ix, "alpha", pos, 8), 2);
	assert_int_equal(pos[0], 0);
	assert_int_equal(pos[1], 3 + 64 + 1);
	assert_int_equal(positions_of(ix, "beta", pos, 8), 2);
	assert_int_equal(pos[0], 1);
	assert_int_equal(pos[1], 69 + 64);
	assert_int_equal(positions_of(ix, "gamma", pos, 1), 1); /* cap is kept */
	assert_int_equal(positions_of(ix, "node:li-lfp", pos, 8), 0); /* codes: no positions */
	kc_index_free(ix);

	/* the same words, once side by side and once apart, in equally long titles */
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"apart\",\"title\":\"solid one two three four five electrolyte\"}");
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"near\",\"title\":\"one solid electrolyte two three four five\"}");
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"other\",\"title\":\"four five six seven eight\"}");
	struct kc_match_opts o;
	struct kc_match_result r;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	assert_int_equal(kc_match_text(ix, g_text, "solid electrolyte", &o, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "near");
	assert_int_equal(r.hits[0].nphrases, 1);
	assert_int_equal(r.hits[0].phrases[0].dist, 1);
	assert_int_equal(r.hits[1].nphrases, 0); /* 6 words apart: outside the window */
	assert_true(r.hits[0].phrase_score > 0);
	/* the bands judge the terms alone: both hits have the same norm */
	assert_true(fabs(r.hits[0].norm - r.hits[1].norm) < 1e-12);
	kc_match_result_free(&r);
	o.proximity = 0;
	assert_int_equal(kc_match_text(ix, g_text, "solid electrolyte", &o, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_true(fabs(r.hits[0].score - r.hits[1].score) < 1e-12);
	assert_int_equal(r.hits[0].nphrases, 0);
	kc_match_result_free(&r);
	kc_index_free(ix);
}

static void test_explanations_add_up_and_rank_is_by_score(void **state)
{
	(void)state;
	struct kc_index *ix = corpus();
	struct kc_match_opts o;
	struct kc_match_result r;
	struct kc_err err = KC_ERR_INIT;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	assert_int_equal(kc_match_text(ix, g_text, "硬碳负极与磷酸铁锂正极", &o, &r, &err), 0);
	assert_int_equal(r.n, 2);
	for (size_t i = 0; i < r.n; i++) {
		double sum = 0;
		for (size_t j = 0; j < r.hits[i].nparts; j++) {
			sum += r.hits[i].parts[j].score;
			if (j)
				assert_true(r.hits[i].parts[j].score <= r.hits[i].parts[j - 1].score);
		}
		for (size_t j = 0; j < r.hits[i].nphrases; j++) {
			sum += r.hits[i].phrases[j].score;
			assert_true(r.hits[i].phrases[j].dist >= 1 && r.hits[i].phrases[j].dist <= 5);
		}
		assert_true(fabs(sum - r.hits[i].score) < 1e-9);
		if (i)
			assert_true(r.hits[i].score <= r.hits[i - 1].score);
	}
	kc_match_result_free(&r);
	kc_index_free(ix);
}

static void test_update_and_delete_take_effect_without_rebuild(void **state)
{
	(void)state;
	struct kc_index *ix = corpus();
	struct kc_match_opts o;
	struct kc_match_result r;
	struct kc_err err = KC_ERR_INIT;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	/* s3 changes from silver paste to hard carbon */
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"s3\",\"org_id\":\"o3\",\"title\":\"树脂硬碳\"}");
	assert_int_equal(kc_index_docs(ix, KC_DOC_SUPPLY), 3);
	assert_int_equal(kc_match_text(ix, g_text, "银浆", &o, &r, &err), 0);
	assert_int_equal(r.n, 0);
	kc_match_result_free(&r);
	assert_int_equal(kc_match_text(ix, g_text, "树脂", &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "s3");
	kc_match_result_free(&r);
	assert_int_equal(kc_index_delete(ix, KC_DOC_SUPPLY, "s3", &err), 0);
	assert_int_equal(kc_index_delete(ix, KC_DOC_SUPPLY, "s3", &err), KC_ENOTFOUND);
	assert_int_equal(kc_index_docs(ix, KC_DOC_SUPPLY), 2);
	assert_int_equal(kc_match_text(ix, g_text, "树脂", &o, &r, &err), 0);
	assert_int_equal(r.n, 0);
	kc_match_result_free(&r);
	assert_int_equal(kc_index_find(ix, KC_DOC_SUPPLY, "s3"), -1);
	kc_index_free(ix);
}

static int has(const struct kc_index *ix, const struct kc_match_result *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(kc_index_doc(ix, r->hits[i].doc)->id, id) == 0)
			return 1;
	return 0;
}

static void test_confidential_demands_only_for_their_org_or_admins(void **state)
{
	(void)state;
	struct kc_index *ix = corpus();
	struct kc_match_opts o;
	struct kc_match_result r;
	struct kc_err err = KC_ERR_INIT;
	json_t *q = json_pack("{s:s, s:s, s:[s]}", "id", "s1", "title", "硬碳", "nodes",
			      "na-hardcarbon");
	kc_match_opts_default(&o, KC_DOC_DEMAND);
	/* anonymous: public only */
	assert_int_equal(kc_match_record(ix, g_text, q, &o, &r, &err), 0);
	assert_true(has(ix, &r, "d1"));
	assert_false(has(ix, &r, "d2"));
	assert_false(has(ix, &r, "d3"));
	kc_match_result_free(&r);
	/* a member of another org: members-only too, not the confidential one */
	o.viewer_member = 1;
	o.viewer_org = "o1";
	assert_int_equal(kc_match_record(ix, g_text, q, &o, &r, &err), 0);
	assert_true(has(ix, &r, "d3"));
	assert_false(has(ix, &r, "d2"));
	kc_match_result_free(&r);
	/* the owner */
	o.viewer_org = "o5";
	assert_int_equal(kc_match_record(ix, g_text, q, &o, &r, &err), 0);
	assert_true(has(ix, &r, "d2"));
	kc_match_result_free(&r);
	/* an admin sees all; the query itself can be left out */
	o.viewer_org = NULL;
	o.viewer_admin = 1;
	o.exclude_id = "d1";
	assert_int_equal(kc_match_record(ix, g_text, q, &o, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_false(has(ix, &r, "d1"));
	kc_match_result_free(&r);
	/* an org is not matched with itself */
	o.exclude_id = NULL;
	o.exclude_org = "o5";
	assert_int_equal(kc_match_record(ix, g_text, q, &o, &r, &err), 0);
	assert_false(has(ix, &r, "d2"));
	assert_true(has(ix, &r, "d1"));
	kc_match_result_free(&r);
	json_decref(q);
	kc_index_free(ix);
}

/* Property: MaxScore with block-max bounds gives exactly the exhaustive scorer's results (ids,
 * order and scores) on random corpora and queries, with bonuses, visibility, exclusions and
 * deletes in play, with skip blocks of 1 to 128 postings. */
static void test_pruned_equals_exhaustive_on_random_queries(void **state)
{
	(void)state;
	static const char *const words[] = {
		"硬碳", "负极", "首效", "钠离子电池", "磷酸铁锂", "正极", "压实密度", "电解液", "隔膜",
		"钙钛矿", "叠层", "银浆", "铜电镀", "多晶硅", "硅片", "回收", "储能", "热失控",
		"固态电解质", "前驱体", "碳包覆", "中试", "量产", "成本", "寿命", "低温", "快充",
		"LiFePO4", "TOPCon", "300Wh/kg", "盐湖提锂", "吸附剂", "BMS", "SOC"};
	static const char *const nodes[] = {"na-hardcarbon", "li-lfp", "pv-topcon", "li-cell",
					    "na-cell"};
	static const char *const regions[] = {"320500", "320400", "440300", "110108", "510100"};
	const size_t nw = sizeof(words) / sizeof(words[0]);
	struct kc_assoc *assoc = trained();
	struct kc_lsa *lsa = trained_lsa();
	/* skip blocks of a few postings: block-max bounds and block skipping over many blocks */
	static const uint32_t blocks[] = {1, 2, 4, 16, KC_INDEX_BLOCK, 3, 8, 32};
	srand(42);
	for (int round = 0; round < 8; round++) {
		struct texts tx = {{0}};
		struct kc_match_vecs *vecs = NULL; /* kept vectors give the same as fresh ones */
		struct kc_err verr = KC_ERR_INIT;
		assert_int_equal(kc_match_vecs_new(&vecs, lsa, &verr), 0);
		struct kc_index *ix = NULL;
		struct kc_err err = KC_ERR_INIT;
		assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
		assert_int_equal(kc__index_set_block(ix, blocks[round]), 0);
		json_t *node = json_pack("{s:s, s:s, s:[s]}", "id", "li-lfp", "name", "磷酸铁锂",
					 "aliases", "LiFePO4");
		assert_int_equal(kc_index_add_node(ix, node, &err), 0);
		json_decref(node);
		kc_index_add_edge(ix, "li-lfp", "li-cell");
		kc_index_add_edge(ix, "na-hardcarbon", "na-cell");
		int ndocs = round < 6 ? 150 + rand() % 150 : 2000; /* the last rounds: long lists */
		for (int i = 0; i < ndocs; i++) {
			char title[256] = "", desc[1024] = "";
			size_t tl = 0, dl = 0;
			for (int w = rand() % 4 + 1; w > 0; w--)
				tl += (size_t)snprintf(title + tl, sizeof(title) - tl, "%s",
						       words[(size_t)rand() % nw]);
			for (int w = rand() % 25; w > 0 && dl < 900; w--)
				dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, "%s，",
						       words[(size_t)rand() % nw]);
			char id[16];
			snprintf(id, sizeof(id), "x%d", i);
			enum kc_doc_kind kind = rand() % 3 ? KC_DOC_SUPPLY : KC_DOC_DEMAND;
			json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:s, s:i, s:i, s:s}",
						"id", id, "org_id", rand() % 2 ? "o1" : "o2", "title",
						title, "description", desc, "nodes",
						nodes[rand() % 5], "region", regions[rand() % 5], "trl",
						rand() % 9 + 1, "trl_min", rand() % 9 + 1, "visibility",
						rand() % 4 ? "public" : "confidential");
			assert_int_equal(kc_index_put(ix, kind, rec, NULL, &err), 0);
			long dn = kc_index_find(ix, kind, id);
			assert_true(dn >= 0 && dn < TEXTS_MAX);
			free(tx.v[dn]);
			tx.v[dn] = kc_match_record_text(rec);
			json_decref(rec);
			if (rand() % 10 == 0) /* some are updated, some deleted */
				kc_index_delete(ix, kind, id, &err);
		}
		for (int qn = 0; qn < 60; qn++) {
			char text[512] = "";
			size_t ql = 0;
			if (qn % 3 == 2) {
				/* a phrase: runs of neighbouring words, found side by side in many
				 * documents (their titles are words written together), so pair bounds
				 * decide what is pruned */
				size_t at = (size_t)rand() % nw;
				for (int w = rand() % 6 + 2; w > 0; w--, at = (at + 1 + (size_t)(rand() % 2)) % nw)
					ql += (size_t)snprintf(text + ql, sizeof(text) - ql, "%s%s",
							       words[at], rand() % 3 ? "" : " ");
			} else {
				for (int w = rand() % 12 + 1; w > 0; w--)
					ql += (size_t)snprintf(text + ql, sizeof(text) - ql, "%s ",
							       words[(size_t)rand() % nw]);
			}
			json_t *q = json_pack("{s:s, s:s, s:s, s:[s], s:s, s:i}", "id", "q", "title",
					      text, "org_id", "o3", "nodes", nodes[rand() % 5], "region",
					      regions[rand() % 5], "trl", rand() % 9 + 1);
			struct kc_match_opts o;
			kc_match_opts_default(&o, rand() % 2 ? KC_DOC_SUPPLY : KC_DOC_DEMAND);
			o.k = (unsigned)(rand() % 20 + 1);
			o.proximity = (double)(rand() % 6); /* 0 (off) .. 5: pair bounds must hold */
			o.assoc = rand() % 2 ? assoc : NULL; /* expansion words are terms like any */
			o.expand_min = (unsigned)(rand() % 3);
			o.alias_weight = rand() % 2 ? KC_MATCH_ALIAS_WEIGHT : 0;
			o.viewer_org = rand() % 2 ? "o1" : NULL;
			o.exclude_id = rand() % 3 ? NULL : "x3";
			/* reranking by field vectors works on the exact top of the pool */
			o.lsa = rand() % 2 ? lsa : NULL;
			o.lsa_min = (unsigned)(rand() % 3);
			o.lsa_pool = (unsigned)(rand() % 40);
			o.lsa_weight = (double)(rand() % 3);
			o.doc_text = texts_of;
			o.doc_ud = &tx;
			o.vecs = rand() % 2 ? vecs : NULL;
			struct kc_match_result a, b;
			o.exhaustive = 1;
			int use_text = rand() % 2;
			assert_int_equal(use_text ? kc_match_text(ix, g_text, text, &o, &a, &err)
						  : kc_match_record(ix, g_text, q, &o, &a, &err),
					 0);
			o.exhaustive = 0;
			o.vecs = rand() % 2 ? vecs : NULL;
			assert_int_equal(use_text ? kc_match_text(ix, g_text, text, &o, &b, &err)
						  : kc_match_record(ix, g_text, q, &o, &b, &err),
					 0);
			assert_int_equal(a.n, b.n);
			for (size_t i = 0; i < a.n; i++) {
				assert_int_equal(a.hits[i].doc, b.hits[i].doc);
				assert_true(a.hits[i].score == b.hits[i].score);
				assert_true(a.hits[i].field_score == b.hits[i].field_score);
				if (o.lsa == NULL)
					assert_true(a.hits[i].field_score == 0);
			}
			kc_match_result_free(&a);
			kc_match_result_free(&b);
			json_decref(q);
		}
		kc_index_free(ix);
		for (size_t i = 0; i < TEXTS_MAX; i++)
			free(tx.v[i]);
		kc_match_vecs_free(vecs);
	}
	kc_assoc_free(assoc);
	kc_lsa_free(lsa);
}

/* A confidential demand's owner is hidden: its org's name is not indexed, so a query naming
 * the org finds the org's public demands but not that one (found by fuzz/fuzz_http.c: the
 * name showed among the matched terms of a confidential demand). */
static void test_confidential_demand_is_not_found_by_its_org_name(void **state)
{
	(void)state;
	struct kc_index *ix = NULL;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	json_t *secret = json_pack("{s:s, s:s, s:s, s:s}", "id", "d-sec", "org_id", "o-jd", "title",
				   "快充电芯析锂预警", "visibility", "confidential");
	json_t *open = json_pack("{s:s, s:s, s:s, s:s}", "id", "d-pub", "org_id", "o-jd", "title",
				 "电芯极耳焊接检测", "visibility", "public");
	assert_int_equal(kc_index_put(ix, KC_DOC_DEMAND, secret, "江东动力电池 江东动力", &err), 0);
	assert_int_equal(kc_index_put(ix, KC_DOC_DEMAND, open, "江东动力电池 江东动力", &err), 0);
	struct kc_match_opts o;
	struct kc_match_result r;
	kc_match_opts_default(&o, KC_DOC_DEMAND);
	o.viewer_admin = 1; /* sees every demand: only the index can leave it out */
	assert_int_equal(kc_match_text(ix, g_text, "江东动力", &o, &r, &err), 0);
	assert_true(has(ix, &r, "d-pub"));
	assert_false(has(ix, &r, "d-sec"));
	kc_match_result_free(&r);
	/* its own words still find it */
	assert_int_equal(kc_match_text(ix, g_text, "析锂预警", &o, &r, &err), 0);
	assert_true(has(ix, &r, "d-sec"));
	kc_match_result_free(&r);
	json_decref(secret);
	json_decref(open);
	kc_index_free(ix);
}

static void test_near_duplicates_are_found_and_verified(void **state)
{
	(void)state;
	const char *texts[] = {
		"硬碳负极首效提升至90%以上\n现有生物质硬碳首次库仑效率约85%，希望通过预氧化、孔结构调控"
		"把首效提高到90%以上，同时可逆容量不低于300mAh/g。",
		"光伏玻璃减薄至1.6mm后的强度\n组件减重需要更薄的玻璃，但钢化后强度不足，需要新的钢化工艺。",
		/* a traditional-Chinese copy of 0 */
		"硬碳負極首效提升至90%以上\n現有生物質硬碳首次庫侖效率約85%，希望通過預氧化、孔結構調控"
		"把首效提高到90%以上，同時可逆容量不低於300mAh/g。",
		/* 0 with one figure and a clause changed */
		"硬碳负极首效提升至90%以上\n现有生物质硬碳首次库仑效率约83%，希望通过预氧化、孔结构调控"
		"把首效提高到90%以上，同时可逆容量不低于320mAh/g。",
		"",
	};
	struct kc_dupe *d = NULL;
	size_t n = 0;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_match_dupes(g_text, texts, 5, 0.7, &d, &n, &err), 0);
	assert_int_equal(n, 3); /* 0~2, 0~3, 2~3 */
	for (size_t i = 0; i < n; i++) {
		assert_true(d[i].a < d[i].b);
		assert_true(d[i].a != 1 && d[i].b != 1 && d[i].b != 4);
		assert_true(d[i].jaccard >= 0.7);
	}
	assert_true(d[0].a == 0 && d[0].b == 2 && d[0].jaccard == 1.0);
	kc_free(d);
	/* a stricter threshold keeps only the exact (normalized) copy */
	assert_int_equal(kc_match_dupes(g_text, texts, 5, 0.99, &d, &n, &err), 0);
	assert_int_equal(n, 1);
	kc_free(d);
}

/* ---- filters */

struct fdoc {
	char id[16], org[8], region[8], status[8], node[16], date[11];
	int kind, trl, stage, vis, deleted;
};

static const char *const regions[] = {"430102", "430105", "430211", "320412", "511502", NULL};
static const char *const fnodes[] = {"li-lfp", "li-cell", "na-hardcarbon", "pv-topcon"};
static const char *const fstages[] = {NULL, "lab", "concept", "pilot", "industrial"};
static const char *const fvis[] = {"public", "members", "confidential"};

static void fdoc_put(struct kc_index *ix, const struct fdoc *d)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:[s]}", "id", d->id, "org_id", d->org, "title",
				"锂电池正极材料", "nodes", d->node);
	if (d->region[0])
		json_object_set_new(rec, "region", json_string(d->region));
	if (d->trl)
		json_object_set_new(rec, d->kind == KC_DOC_SUPPLY ? "trl" : "trl_min",
				    json_integer(d->trl));
	if (d->stage)
		json_object_set_new(rec, "stage", json_string(fstages[d->stage]));
	if (d->date[0])
		json_object_set_new(rec, "published", json_string(d->date));
	json_object_set_new(rec, "status", json_string(d->status));
	if (d->kind == KC_DOC_DEMAND)
		json_object_set_new(rec, "visibility", json_string(fvis[d->vis]));
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_index_put(ix, (enum kc_doc_kind)d->kind, rec, NULL, &err), 0);
	json_decref(rec);
}

static unsigned frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static void fdoc_random(struct fdoc *d, int i, unsigned *seed)
{
	memset(d, 0, sizeof(*d));
	d->kind = frand(seed) % 2 ? KC_DOC_SUPPLY : KC_DOC_DEMAND;
	snprintf(d->id, sizeof(d->id), "x%d", i);
	snprintf(d->org, sizeof(d->org), "o%u", frand(seed) % 7);
	const char *r = regions[frand(seed) % 6];
	if (r)
		snprintf(d->region, sizeof(d->region), "%s", r);
	d->trl = (int)(frand(seed) % 10);
	d->stage = (int)(frand(seed) % 5);
	d->vis = (int)(frand(seed) % 3);
	snprintf(d->status, sizeof(d->status), "%s", frand(seed) % 4 ? "open" : "closed");
	snprintf(d->node, sizeof(d->node), "%s", fnodes[frand(seed) % 4]);
	if (frand(seed) % 8)
		snprintf(d->date, sizeof(d->date), "20%02u-%02u-%02u", 23 + frand(seed) % 3,
			 1 + frand(seed) % 12, 1 + frand(seed) % 28);
}

static int region_match(const char *region, const char *want)
{
	size_t n = strlen(want);
	if (n == 6 && strcmp(want + 2, "0000") == 0)
		n = 2;
	else if (n == 6 && strcmp(want + 4, "00") == 0)
		n = 4;
	return region[0] && strncmp(region, want, n) == 0;
}

static uint32_t ymd(const char *s)
{
	unsigned y, m, d;
	return sscanf(s, "%u-%u-%u", &y, &m, &d) == 3 ? y * 10000 + m * 100 + d : 0;
}

/* The reference: the filter's meaning written plainly over one document. */
static int naive_pass(const struct fdoc *d, const struct kc_filter *f)
{
	if (d->deleted || d->kind != (int)f->kind)
		return 0;
	if (d->kind == KC_DOC_DEMAND && !f->viewer_admin && d->vis != 0 &&
	    !(f->viewer_org && strcmp(f->viewer_org, d->org) == 0) &&
	    !(d->vis == 1 && f->viewer_member))
		return 0;
	if (f->region && !region_match(d->region, f->region))
		return 0;
	if ((f->trl_min || f->trl_max) &&
	    (d->trl == 0 || (f->trl_min && d->trl < f->trl_min) || (f->trl_max && d->trl > f->trl_max)))
		return 0;
	if (f->stages && !(d->stage && (f->stages & (1u << d->stage))))
		return 0;
	if (f->nnodes) {
		int any = 0;
		for (size_t i = 0; i < f->nnodes; i++)
			any |= strcmp(f->nodes[i], d->node) == 0;
		if (!any)
			return 0;
	}
	uint32_t date = ymd(d->date);
	if ((f->date_from || f->date_to) &&
	    (date == 0 || (f->date_from && date < f->date_from) || (f->date_to && date > f->date_to)))
		return 0;
	if (f->status && strcmp(f->status, d->status) != 0)
		return 0;
	if (f->org_id && strcmp(f->org_id, d->org) != 0)
		return 0;
	return 1;
}

static void test_filters_equal_a_plain_reading_on_random_documents(void **state)
{
	(void)state;
	enum { N = 1500, Q = 400 };
	static struct fdoc docs[N];
	struct kc_index *ix = NULL;
	struct kc_err err = KC_ERR_INIT;
	unsigned seed = 7;
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	for (int i = 0; i < N; i++) {
		fdoc_random(&docs[i], i, &seed);
		fdoc_put(ix, &docs[i]);
	}
	/* updates (a new internal number) and deletes keep the filters exact */
	for (int i = 0; i < N; i += 7) {
		int kind = docs[i].kind;
		fdoc_random(&docs[i], i, &seed);
		docs[i].kind = kind;
		fdoc_put(ix, &docs[i]);
	}
	for (int i = 3; i < N; i += 11) {
		assert_int_equal(kc_index_delete(ix, (enum kc_doc_kind)docs[i].kind, docs[i].id, &err),
				 0);
		docs[i].deleted = 1;
	}
	static const char *const want_regions[] = {"43", "4301", "430100", "430102", "320000",
						   "51", "11"};
	const char *nodes[2];
	for (int q = 0; q < Q; q++) {
		struct kc_filter f = {0};
		f.kind = frand(&seed) % 2 ? KC_DOC_SUPPLY : KC_DOC_DEMAND;
		unsigned bits = frand(&seed);
		if (bits & 1)
			f.region = want_regions[frand(&seed) % 7];
		if (bits & 2) {
			f.trl_min = (int)(frand(&seed) % 9) + 1;
			f.trl_max = frand(&seed) % 2 ? 0 : f.trl_min + (int)(frand(&seed) % (10 - (unsigned)f.trl_min));
		}
		if (bits & 4)
			f.stages = (frand(&seed) % 15 + 1) << 1;
		if (bits & 8) {
			nodes[0] = fnodes[frand(&seed) % 4];
			nodes[1] = fnodes[frand(&seed) % 4];
			f.nodes = nodes;
			f.nnodes = 1 + frand(&seed) % 2;
		}
		if (bits & 16) {
			f.date_from = 20230000 + (frand(&seed) % 12 + 1) * 100 + frand(&seed) % 28 + 1;
			f.date_to = frand(&seed) % 3 ? 20250000 + (frand(&seed) % 12 + 1) * 100 + 1 +
							      frand(&seed) % 31
						  : 0;
		}
		if (bits & 32)
			f.status = frand(&seed) % 2 ? "open" : "closed";
		if (bits & 64)
			f.org_id = frand(&seed) % 2 ? "o3" : "o5";
		f.viewer_admin = (bits & 128) != 0;
		f.viewer_member = (bits & 256) != 0;
		f.viewer_org = bits & 512 ? "o2" : NULL;
		struct kc_docset *ds = NULL;
		assert_int_equal(kc_index_filter(ix, &f, &ds, &err), 0);
		uint64_t expect = 0;
		for (int i = 0; i < N; i++) {
			int pass = naive_pass(&docs[i], &f);
			expect += (uint64_t)pass;
			long no = kc_index_find(ix, (enum kc_doc_kind)docs[i].kind, docs[i].id);
			if (no >= 0 && kc_docset_contains(ds, (uint32_t)no) != pass) {
				fail_msg("query %d (bits %#x): %s passes %d, expected %d", q, bits,
					 docs[i].id, !pass, pass);
			}
		}
		assert_int_equal(kc_docset_count(ds), expect);
		kc_docset_free(ds);
	}
	kc_index_free(ix);
}

static void test_each_filter_by_hand_and_bad_conditions_are_named(void **state)
{
	(void)state;
	struct kc_index *ix = NULL;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"a\",\"org_id\":\"o1\",\"title\":\"硬碳负极\",\"region\":\"430104\",\"trl\":7,"
	    "\"stage\":\"pilot\",\"nodes\":[\"na-hardcarbon\"],\"published\":\"2025-04-18\","
	    "\"status\":\"active\"}");
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"b\",\"org_id\":\"o2\",\"title\":\"硬碳负极量产\",\"region\":\"511502\","
	    "\"trl\":5,\"stage\":\"lab\",\"nodes\":[\"na-hardcarbon\"],\"published\":\"2024-12-31\","
	    "\"status\":\"closed\"}");
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"c\",\"org_id\":\"o3\",\"title\":\"硬碳前驱体\",\"nodes\":[\"li-lfp\"]}");
	struct {
		struct kc_filter f;
		const char *expect; /* ids that pass, in order */
	} cases[] = {
		{{.kind = KC_DOC_SUPPLY}, "abc"},
		{{.kind = KC_DOC_SUPPLY, .region = "43"}, "a"},
		{{.kind = KC_DOC_SUPPLY, .region = "430100"}, "a"},
		{{.kind = KC_DOC_SUPPLY, .region = "430105"}, ""},
		{{.kind = KC_DOC_SUPPLY, .region = "510000"}, "b"},
		{{.kind = KC_DOC_SUPPLY, .trl_min = 6}, "a"},
		{{.kind = KC_DOC_SUPPLY, .trl_min = 5, .trl_max = 6}, "b"},
		{{.kind = KC_DOC_SUPPLY, .stages = 1u << KC_STAGE_LAB | 1u << KC_STAGE_PILOT}, "ab"},
		{{.kind = KC_DOC_SUPPLY, .date_from = 20250101}, "a"},
		{{.kind = KC_DOC_SUPPLY, .date_to = 20241231}, "b"},
		{{.kind = KC_DOC_SUPPLY, .date_from = 20250419}, ""},
		{{.kind = KC_DOC_SUPPLY, .status = "closed"}, "b"},
		{{.kind = KC_DOC_SUPPLY, .org_id = "o3"}, "c"},
		{{.kind = KC_DOC_DEMAND}, ""},
	};
	const char *lfp[] = {"li-lfp"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 1; i++) {
		struct kc_filter f = {.kind = KC_DOC_SUPPLY, .nodes = lfp, .nnodes = 1};
		const char *expect = "c";
		if (i < sizeof(cases) / sizeof(cases[0])) {
			f = cases[i].f;
			expect = cases[i].expect;
		}
		struct kc_docset *ds = NULL;
		assert_int_equal(kc_index_filter(ix, &f, &ds, &err), 0);
		char got[8] = "";
		size_t ng = 0;
		for (const char *id = "abc"; *id; id++) {
			char s[2] = {*id, 0};
			long no = kc_index_find(ix, KC_DOC_SUPPLY, s);
			if (no >= 0 && kc_docset_contains(ds, (uint32_t)no))
				got[ng++] = *id;
		}
		if (strcmp(got, expect) != 0)
			fail_msg("case %zu: got '%s', expected '%s'", i, got, expect);
		kc_docset_free(ds);
	}
	/* a match with a filter returns only documents that pass it; closed ones only on request */
	struct kc_match_opts o;
	struct kc_match_result r = {0};
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	assert_int_equal(kc_match_text(ix, g_text, "硬碳", &o, &r, &err), 0);
	assert_int_equal(r.n, 2); /* b is closed */
	kc_match_result_free(&r);
	o.include_closed = 1;
	assert_int_equal(kc_match_text(ix, g_text, "硬碳", &o, &r, &err), 0);
	assert_int_equal(r.n, 3);
	kc_match_result_free(&r);
	struct kc_docset *ds = NULL;
	struct kc_filter f = {.kind = KC_DOC_SUPPLY, .trl_min = 6};
	assert_int_equal(kc_index_filter(ix, &f, &ds, &err), 0);
	o.only = ds;
	o.exhaustive = 0;
	assert_int_equal(kc_match_text(ix, g_text, "硬碳", &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "a");
	kc_match_result_free(&r);
	kc_docset_free(ds);
	/* bad conditions are refused with a message naming them */
	struct kc_filter bad[] = {
		{.kind = KC_DOC_SUPPLY, .region = "43a"},
		{.kind = KC_DOC_SUPPLY, .region = "431"},
		{.kind = KC_DOC_SUPPLY, .trl_min = 0, .trl_max = 10},
		{.kind = KC_DOC_SUPPLY, .trl_min = 7, .trl_max = 5},
		{.kind = KC_DOC_SUPPLY, .date_from = 20251301},
		{.kind = KC_DOC_SUPPLY, .date_from = 20250501, .date_to = 20250401},
		{.kind = 0},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ds = NULL;
		assert_int_equal(kc_index_filter(ix, &bad[i], &ds, &err), KC_EINVAL);
		assert_null(ds);
		assert_non_null(strstr(err.msg, "filter"));
	}
	kc_index_free(ix);
}

/* Both indexes rank text alike: the same documents with the same scores. */
static void assert_same_ranking(const struct kc_index *a, const struct kc_index *b,
				const char *text, enum kc_doc_kind kind)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_match_opts o;
	struct kc_match_result ra = {0}, rb = {0};
	kc_match_opts_default(&o, kind);
	o.k = 50;
	o.viewer_admin = 1;
	assert_int_equal(kc_match_text(a, g_text, text, &o, &ra, &err), 0);
	assert_int_equal(kc_match_text(b, g_text, text, &o, &rb, &err), 0);
	assert_int_equal(ra.n, rb.n);
	for (size_t h = 0; h < ra.n; h++) {
		assert_int_equal(ra.hits[h].doc, rb.hits[h].doc);
		assert_true(ra.hits[h].score == rb.hits[h].score);
	}
	kc_match_result_free(&ra);
	kc_match_result_free(&rb);
}

static void test_put_many_on_threads_equals_one_by_one(void **state)
{
	(void)state;
	enum { N = 600 };
	struct kc_index *a = NULL, *b = NULL;
	struct kc_err err = KC_ERR_INIT;
	static struct fdoc docs[N];
	json_t *recs[N];
	unsigned seed = 11;
	static const char *const words[] = {"硬碳", "负极", "磷酸铁锂", "正极", "隔膜", "涂覆",
					    "电解液", "钠离子", "光伏", "银浆", "TOPCon", "回收"};
	assert_int_equal(kc_index_new(&a, g_text, &err), 0);
	assert_int_equal(kc_index_new(&b, g_text, &err), 0);
	for (int i = 0; i < N; i++) {
		fdoc_random(&docs[i], i, &seed);
		char title[256];
		snprintf(title, sizeof(title), "%s%s%s", words[frand(&seed) % 12],
			 words[frand(&seed) % 12], words[frand(&seed) % 12]);
		recs[i] = json_pack("{s:s, s:s, s:s, s:[s], s:i}", "id", docs[i].id, "org_id",
				    docs[i].org, "title", title, "nodes", docs[i].node, "trl",
				    docs[i].trl ? docs[i].trl : 5);
		assert_int_equal(kc_index_put(a, KC_DOC_SUPPLY, recs[i], NULL, &err), 0);
	}
	/* the same ids twice: the second half replaces the first, as one-by-one puts would */
	assert_int_equal(kc_index_put_many(b, KC_DOC_SUPPLY, (const json_t *const *)recs, NULL, N, 3,
					   &err),
			 0);
	assert_int_equal(kc_index_put_many(b, KC_DOC_SUPPLY, (const json_t *const *)recs + N / 2,
					   NULL, N / 2, 2, &err),
			 0);
	for (int i = N / 2; i < N; i++)
		assert_int_equal(kc_index_put(a, KC_DOC_SUPPLY, recs[i], NULL, &err), 0);
	assert_int_equal(kc_index_docs(a, 0), kc_index_docs(b, 0));
	assert_int_equal(kc_index_terms(a), kc_index_terms(b));
	assert_int_equal(kc_index_bytes(a), kc_index_bytes(b));
	for (size_t w = 0; w < 12; w++)
		assert_same_ranking(a, b, words[w], KC_DOC_SUPPLY);
	/* a bad record stops the batch with its error */
	json_t *bad = json_pack("{s:s}", "title", "没有编号");
	const json_t *two[2] = {recs[0], bad};
	assert_int_equal(kc_index_put_many(b, KC_DOC_SUPPLY, two, NULL, 2, 2, &err), KC_EINVAL);
	assert_non_null(strstr(err.msg, "without an id"));
	json_decref(bad);
	for (int i = 0; i < N; i++)
		json_decref(recs[i]);
	kc_index_free(a);
	kc_index_free(b);
}

static void test_snapshot_loads_the_same_index_and_refuses_damage(void **state)
{
	(void)state;
	enum { N = 400 };
	struct kc_index *a = NULL, *b = NULL;
	struct kc_err err = KC_ERR_INIT;
	static struct fdoc docs[N];
	unsigned seed = 5;
	char path[] = "/tmp/kc_snap_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kc_index_new(&a, g_text, &err), 0);
	for (int i = 0; i < N; i++) {
		fdoc_random(&docs[i], i, &seed);
		fdoc_put(a, &docs[i]);
	}
	for (int i = 0; i < N; i += 9) /* tombstones travel too */
		assert_int_equal(kc_index_delete(a, (enum kc_doc_kind)docs[i].kind, docs[i].id, &err), 0);
	assert_int_equal(kc_index_add_edge(a, "li-lfp", "li-cell"), 0);
	assert_int_equal(kc_index_save(a, path, 42, &err), 0);
	assert_int_equal(kc_index_load(&b, g_text, path, 42, &err), 0);
	assert_int_equal(kc_index_docs(a, 1), kc_index_docs(b, 1));
	assert_int_equal(kc_index_docs(a, 2), kc_index_docs(b, 2));
	assert_int_equal(kc_index_terms(a), kc_index_terms(b));
	assert_int_equal(kc_index_bytes(a), kc_index_bytes(b));
	assert_non_null(kc_index_node_links(b, "li-cell"));
	for (int kind = 1; kind <= 2; kind++) {
		assert_same_ranking(a, b, "锂电池正极", (enum kc_doc_kind)kind);
		struct kc_filter f = {.kind = (enum kc_doc_kind)kind, .region = "43", .trl_min = 3,
				      .status = "open", .viewer_org = "o2"};
		struct kc_docset *da = NULL, *db = NULL;
		assert_int_equal(kc_index_filter(a, &f, &da, &err), 0);
		assert_int_equal(kc_index_filter(b, &f, &db, &err), 0);
		assert_int_equal(kc_docset_count(da), kc_docset_count(db));
		for (uint32_t d = 0; d < kc_index_capacity(a); d++)
			assert_int_equal(kc_docset_contains(da, d), kc_docset_contains(db, d));
		kc_docset_free(da);
		kc_docset_free(db);
	}
	/* the loaded index keeps working: a put and a delete */
	fdoc_put(b, &docs[1]);
	assert_int_equal(kc_index_delete(b, (enum kc_doc_kind)docs[2].kind, docs[2].id, &err), 0);
	kc_index_free(b);
	b = NULL;
	/* stale, missing, damaged, truncated */
	assert_int_equal(kc_index_load(&b, g_text, path, 43, &err), KC_EDATA);
	assert_non_null(strstr(err.msg, "stale"));
	assert_int_equal(kc_index_load(&b, g_text, "/nonexistent/kc.snap", 42, &err), KC_ENOTFOUND);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	int c = fgetc(f);
	fseek(f, size / 2, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
	assert_int_equal(kc_index_load(&b, g_text, path, 42, &err), KC_ECORRUPT);
	assert_non_null(strstr(err.msg, "checksum"));
	/* a snapshot of an older format (3: no skip blocks) is refused, not misread */
	assert_int_equal(kc_index_save(a, path, 42, &err), 0);
	f = fopen(path, "r+b");
	assert_non_null(f);
	uint32_t old_format = 3;
	fseek(f, 4, SEEK_SET);
	assert_int_equal(fwrite(&old_format, sizeof(old_format), 1, f), 1);
	fclose(f);
	assert_int_equal(kc_index_load(&b, g_text, path, 42, &err), KC_ECORRUPT);
	assert_null(b);
	assert_int_equal(kc_index_save(a, path, 42, &err), 0);
	assert_int_equal(truncate(path, size - 10), 0);
	assert_int_equal(kc_index_load(&b, g_text, path, 42, &err), KC_ECORRUPT);
	assert_null(b);
	unlink(path);
	kc_index_free(a);
}

/* A small corpus where 储能 and 锂电池 always come together, 光伏 with 银浆. */
static struct kc_assoc *trained(void)
{
	struct kc_assoc *a = NULL;
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	assert_int_equal(kc_assoc_new(&a, &err), 0);
	static const char *const texts[] = {
		"锂电池 储能 电站", "储能 锂电池 成本", "锂电池 储能 寿命", "锂电池 储能 安全",
		"光伏 银浆", "光伏 银浆 成本", "光伏 银浆 电站", "光伏 组件", "风电 叶片",
		"风电 叶片 寿命", "风电 叶片 安全", "锂电池 回收", "氢能 电解槽", "氢能 电解槽 成本",
		"氢能 电解槽 寿命", "半导体 光刻胶", "半导体 光刻胶 安全", "半导体 光刻胶 电站",
		"钙钛矿 叠层", "钙钛矿 叠层 寿命", "钙钛矿 叠层 成本", "海水 淡化", "海水 淡化 膜",
		"海水 淡化 成本", "土壤 修复", "土壤 修复 寿命", "土壤 修复 安全"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(kc_assoc_add(a, g_text, run, texts[i], strlen(texts[i]), &err), 0);
	/* invalid UTF-8 is refused, the table unchanged */
	assert_int_not_equal(kc_assoc_add(a, g_text, run, "\xff\xfe", 2, &err), 0);
	struct kc_assoc_params p;
	kc_assoc_params_default(&p);
	p.max_df_share = 0.5; /* a tiny corpus: its words are all frequent */
	assert_int_equal(kc_assoc_finish(a, &p, &err), 0);
	assert_int_not_equal(kc_assoc_add(a, g_text, run, "太晚", 6, &err), 0);
	kc_text_run_free(run);
	return a;
}

static double npmi_of(const struct kc_assoc *a, const char *w, const char *partner)
{
	const struct kc_assoc_link *l;
	size_t n = kc_assoc_get(a, w, strlen(w), &l);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			assert_true(l[i - 1].npmi >= l[i].npmi); /* best first */
		if (l[i].len == strlen(partner) && memcmp(l[i].term, partner, l[i].len) == 0)
			return l[i].npmi;
	}
	return -2;
}

static void test_associations_learned_saved_and_loaded(void **state)
{
	(void)state;
	struct kc_err err = KC_ERR_INIT;
	struct kc_assoc *a = trained(), *b = NULL;
	/* 储能 in 4 texts, 锂电池 in 5, both in 4 of 27: npmi = ln(27·4/20) / −ln(4/27) */
	double want = log(27.0 * 4 / (4.0 * 5)) / -log(4.0 / 27);
	assert_true(fabs(npmi_of(a, "储能", "锂电池") - want) < 1e-5);
	assert_true(fabs(npmi_of(a, "锂电池", "储能") - want) < 1e-5);
	assert_true(npmi_of(a, "光伏", "银浆") > 0.5);
	assert_true(npmi_of(a, "储能", "银浆") == -2); /* never together */
	assert_true(npmi_of(a, "储能", "成本") == -2); /* together once: below min_pair */
	const struct kc_assoc_link *l;
	assert_int_equal(kc_assoc_get(a, "不存在的词", strlen("不存在的词"), &l), 0);
	char path[] = "/tmp/kc_assoc_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kc_assoc_save(a, path, &err), 0);
	assert_int_equal(kc_assoc_load(&b, path, &err), 0);
	size_t t1, w1, l1, t2, w2, l2;
	kc_assoc_stats(a, &t1, &w1, &l1);
	kc_assoc_stats(b, &t2, &w2, &l2);
	assert_int_equal(t1, t2);
	assert_int_equal(w1, w2);
	assert_int_equal(l1, l2);
	assert_true(w1 > 0);
	assert_true(npmi_of(b, "储能", "锂电池") == npmi_of(a, "储能", "锂电池"));
	kc_assoc_free(b);
	b = NULL;
	/* damaged, truncated, not a table */
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size - 5, SEEK_SET);
	int c = fgetc(f);
	fseek(f, size - 5, SEEK_SET);
	fputc(c ^ 0x10, f);
	fclose(f);
	assert_int_equal(kc_assoc_load(&b, path, &err), KC_ECORRUPT);
	assert_non_null(strstr(err.msg, "checksum"));
	assert_int_equal(kc_assoc_save(a, path, &err), 0);
	assert_int_equal(truncate(path, size - 3), 0);
	assert_int_equal(kc_assoc_load(&b, path, &err), KC_ECORRUPT);
	assert_null(b);
	assert_int_equal(kc_assoc_load(&b, "/nonexistent/kc.assoc", &err), KC_ENOTFOUND);
	unlink(path);
	kc_assoc_free(a);
}

static void test_expansion_by_associations_and_chain_aliases(void **state)
{
	(void)state;
	struct kc_err err = KC_ERR_INIT;
	struct kc_assoc *a = trained();
	struct kc_index *ix = NULL;
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"s1\",\"title\":\"储能系统集成\"}");
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"s2\",\"title\":\"风电叶片检测\"}");
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"s3\",\"title\":\"高压实改性工艺\",\"nodes\":[\"li-cathode\"]}");
	json_t *node = json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "id", "li-cathode", "name",
				 "正极材料", "name_en", "cathode", "aliases", "正极", "cathode material",
				 "正极");
	assert_int_equal(kc_index_add_node(ix, node, &err), 0);
	json_decref(node);
	/* one-word names only: "cathode material" is two words */
	const json_t *terms = json_object_get(kc_index_node_links(ix, "li-cathode"), "terms");
	assert_int_equal(json_array_size(terms), 2); /* 正极, cathod: 正极材料 is 正极 + 材料 here */
	assert_non_null(kc_index_named(ix, "正极"));
	assert_null(kc_index_named(ix, "材料"));

	struct kc_match_opts o;
	struct kc_match_result r;
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	/* associations: 锂电池 brings 储能 (s1) once the query is long enough */
	o.assoc = a;
	assert_int_equal(kc_match_text(ix, g_text, "锂电池", &o, &r, &err), 0);
	assert_int_equal(r.n, 0); /* a short query is not expanded */
	kc_match_result_free(&r);
	o.expand_min = 1;
	assert_int_equal(kc_match_text(ix, g_text, "锂电池", &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "s1");
	assert_string_equal(r.hits[0].parts[0].term, "储能");
	assert_string_equal(r.hits[0].parts[0].via, "锂电池");
	json_t *j = kc_match_hit_json(&r.hits[0], 10);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "explanation"), 0), "via")),
			    "锂电池");
	json_decref(j);
	/* the expansion word weighs expand_weight of the query's own */
	double expanded = r.hits[0].score;
	kc_match_result_free(&r);
	o.assoc = NULL;
	assert_int_equal(kc_match_text(ix, g_text, "储能", &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_true(expanded < r.hits[0].score * 0.75);
	assert_null(r.hits[0].parts[0].via);
	kc_match_result_free(&r);
	o.assoc = a;
	o.expand_weight = 0;
	assert_int_equal(kc_match_text(ix, g_text, "锂电池", &o, &r, &err), 0);
	assert_int_equal(r.n, 0);
	kc_match_result_free(&r);

	/* aliases: cathode names the node, whose record s3 says neither word */
	assert_int_equal(kc_match_text(ix, g_text, "cathode", &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "s3");
	assert_string_equal(r.hits[0].parts[0].term, "node:li-cathode");
	assert_non_null(r.hits[0].parts[0].via);
	kc_match_result_free(&r);
	o.alias_weight = 0;
	assert_int_equal(kc_match_text(ix, g_text, "cathode", &o, &r, &err), 0);
	assert_int_equal(r.n, 0);
	kc_match_result_free(&r);
	/* the names travel with a snapshot */
	char path[] = "/tmp/kc_snapn_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct kc_index *b = NULL;
	assert_int_equal(kc_index_save(ix, path, 7, &err), 0);
	assert_int_equal(kc_index_load(&b, g_text, path, 7, &err), 0);
	assert_non_null(kc_index_named(b, "cathod")); /* the stemmed word */
	o.alias_weight = KC_MATCH_ALIAS_WEIGHT;
	assert_int_equal(kc_match_text(b, g_text, "正极", &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	kc_match_result_free(&r);
	unlink(path);
	kc_index_free(b);
	kc_index_free(ix);
	kc_assoc_free(a);
}

/* Spans of a highlight, as "[a,b][c,d]" */
static void assert_spans(const char *text, const char *const *terms, size_t nterms,
			 const char *want)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_text_run *run = kc_text_run_new();
	struct kc_match_span *sp = NULL;
	size_t n = 99;
	char got[256] = "";
	assert_non_null(run);
	assert_int_equal(kc_match_highlight(g_text, run, text, strlen(text), terms, nterms, &sp, &n,
					    &err),
			 0);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "[%u,%u]", sp[i].start,
			 sp[i].end);
	if (strcmp(got, want) != 0)
		print_error("%s: spans %s, wanted %s\n", text, got, want);
	assert_string_equal(got, want);
	assert_true(n == 0 ? sp == NULL : sp != NULL);
	kc_free(sp);
	kc_text_run_free(run);
}

static void test_highlight_marks_traditional_stemmed_and_full_width_forms_in_code_points(
	void **state)
{
	(void)state;
	/* the title in traditional characters, the terms as the explanation lists them */
	const char *const cathode[] = {"氧化物", "正极", "材料"};
	assert_spans("一種層狀氧化物正極材料", cathode, 3, "[4,7][7,9][9,11]");
	/* a word and the sub-word inside it overlap: one span */
	const char *const layered[] = {"氧化物", "层状氧化物", "正极"};
	assert_spans("一種層狀氧化物正極材料", layered, 3, "[2,7][7,9]");
	/* English stems, full-width letters; 𠮷 (U+20BB7: 4 bytes, 2 UTF-16 units) counts one */
	const char *const latin[] = {"spodumen", "roast", "lifepo4", "正极"};
	assert_spans("𠮷 Spodumene Roasting：ＬｉＦｅＰＯ４正極", latin, 4,
		     "[2,11][12,20][21,28][28,30]");
	const char *const after[] = {"氧化物"};
	assert_spans("𠮷氧化物", after, 1, "[1,4]");
	/* nodes and codes are not words of the text; nothing asked, nothing marked */
	const char *const codes[] = {"node:正极", "ipc:h01m", "", NULL};
	assert_spans("正極 node:正极 H01M", codes, 4, "");
	assert_spans("一種層狀氧化物正極材料", NULL, 0, "");
	assert_spans("", cathode, 3, "");
	assert_spans("鈉離子電池", cathode, 3, "");
}

static void test_highlight_fails_cleanly_on_bad_utf8_and_out_of_memory(void **state)
{
	(void)state;
	const char *const terms[] = {"氧化物", "正极", "材料", "spodumen"};
	const char *s = "一種層狀氧化物正極材料 Spodumene";
	static struct kc_match_span before;
	struct kc_err err = KC_ERR_INIT;
	struct kc_match_span *sp = &before; /* the outputs are reset on failure too */
	size_t n = 99;
	struct kc_text_run *run = kc_text_run_new();
	assert_non_null(run);
	assert_int_equal(kc_match_highlight(g_text, run, "正\xff極", 7, terms, 4, &sp, &n, &err),
			 KC_EDATA);
	assert_null(sp);
	assert_int_equal(n, 0);
	kc_text_run_free(run);
	int done = 0;
	for (long k = 1; k < 60 && !done; k++) {
		if ((run = kc_text_run_new()) == NULL)
			continue;
		kc__alloc_fail_after(k);
		int rc = kc_match_highlight(g_text, run, s, strlen(s), terms, 4, &sp, &n, &err);
		kc__alloc_fail_after(0);
		if (rc == 0) {
			assert_int_equal(n, 4);
			done = 1;
		} else {
			assert_int_equal(rc, KC_ENOMEM);
			assert_null(sp);
			assert_int_equal(n, 0);
		}
		kc_free(sp);
		kc_text_run_free(run);
	}
	assert_true(done);
}

static void test_stage_stands_in_for_a_missing_trl(void **state)
{
	(void)state;
	struct kc_index *ix = NULL;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_index_new(&ix, g_text, &err), 0);
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"ind\",\"org_id\":\"o1\",\"title\":\"硬碳负极量产线\",\"stage\":\"industrial\"}");
	put(ix, KC_DOC_SUPPLY,
	    "{\"id\":\"lab\",\"org_id\":\"o2\",\"title\":\"硬碳负极新机理\",\"stage\":\"lab\"}");
	/* the same words as ind: only the bonus tells them apart */
	put(ix, KC_DOC_SUPPLY, "{\"id\":\"none\",\"org_id\":\"o3\",\"title\":\"硬碳负极量产线\"}");
	json_t *dem = json_pack("{s:s, s:s, s:s, s:i}", "id", "d", "org_id", "o9", "title",
				"硬碳负极", "trl_min", 6);
	struct kc_match_opts o;
	struct kc_match_result r = {0};
	kc_match_opts_default(&o, KC_DOC_SUPPLY);
	assert_int_equal(kc_match_record(ix, g_text, dem, &o, &r, &err), 0);
	assert_int_equal(r.n, 3);
	int seen = 0;
	for (size_t h = 0; h < r.n; h++) {
		const char *id = kc_index_doc(ix, r.hits[h].doc)->id;
		const char *code = r.hits[h].nbonus ? r.hits[h].bonus[0].code : "";
		if (strcmp(id, "ind") == 0) {
			assert_string_equal(code, "stage_fit");
			assert_non_null(strstr(r.hits[h].bonus[0].zh, "产业化阶段"));
			seen |= 1;
		} else if (strcmp(id, "lab") == 0) {
			assert_string_equal(code, "stage_gap");
			seen |= 2;
		} else {
			assert_int_equal(r.hits[h].nbonus, 0);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	assert_string_equal(kc_index_doc(ix, r.hits[0].doc)->id, "ind");
	kc_match_result_free(&r);
	/* the other direction: a supply giving only its stage, against demands */
	put(ix, KC_DOC_DEMAND,
	    "{\"id\":\"d8\",\"org_id\":\"o8\",\"title\":\"硬碳负极\",\"trl_min\":8}");
	json_t *sup = json_pack("{s:s, s:s, s:s, s:s}", "id", "p", "org_id", "o7", "title",
				"硬碳负极", "stage", "pilot");
	kc_match_opts_default(&o, KC_DOC_DEMAND);
	assert_int_equal(kc_match_record(ix, g_text, sup, &o, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.hits[0].bonus[0].code, "stage_gap"); /* pilot ≈ 6, wanted 8 */
	assert_non_null(strstr(r.hits[0].bonus[0].en, "pilot stage ~TRL 6 < wanted 8"));
	kc_match_result_free(&r);
	json_decref(sup);
	json_decref(dem);
	kc_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postings_hold_documents_in_order_with_field_counts),
		cmocka_unit_test(test_bm25f_score_matches_the_hand_computation),
		cmocka_unit_test(test_field_averages_and_query_saturation),
		cmocka_unit_test(test_positions_and_proximity),
		cmocka_unit_test(test_explanations_add_up_and_rank_is_by_score),
		cmocka_unit_test(test_update_and_delete_take_effect_without_rebuild),
		cmocka_unit_test(test_confidential_demands_only_for_their_org_or_admins),
		cmocka_unit_test(test_confidential_demand_is_not_found_by_its_org_name),
		cmocka_unit_test(test_seeks_skip_blocks_and_read_what_a_linear_reading_reads),
		cmocka_unit_test(test_pruned_equals_exhaustive_on_random_queries),
		cmocka_unit_test(test_near_duplicates_are_found_and_verified),
		cmocka_unit_test(test_filters_equal_a_plain_reading_on_random_documents),
		cmocka_unit_test(test_each_filter_by_hand_and_bad_conditions_are_named),
		cmocka_unit_test(test_put_many_on_threads_equals_one_by_one),
		cmocka_unit_test(test_snapshot_loads_the_same_index_and_refuses_damage),
		cmocka_unit_test(test_stage_stands_in_for_a_missing_trl),
		cmocka_unit_test(test_associations_learned_saved_and_loaded),
		cmocka_unit_test(test_field_vectors_learned_saved_and_loaded),
		cmocka_unit_test(test_rerank_by_field_vectors),
		cmocka_unit_test(test_expansion_by_associations_and_chain_aliases),
		cmocka_unit_test(
			test_highlight_marks_traditional_stemmed_and_full_width_forms_in_code_points),
		cmocka_unit_test(test_highlight_fails_cleanly_on_bad_utf8_and_out_of_memory),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
