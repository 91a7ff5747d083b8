/* Unit tests for text: normalization, segmentation, Latin tokens, offsets, modes, domain words,
 * threads, bad input. One analyzer is loaded for the whole group (jieba's dictionary from
 * Debian's python3-jieba, which scripts/setup.sh installs). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core_int.h"
#include "kechan/text.h"
#include "text/text_int.h"

const char *const *kc__stopwords(size_t *n);

static struct kc_text *g_text;

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

/* The analysis of s as one string: terms joined by '|' (normalized text), or in surface mode
 * the original bytes of each non-space term. */
static char *joined(const struct kc_text *t, const char *s, enum kc_text_mode mode, int surface)
{
	struct kc_text_run *run = kc_text_run_new();
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	assert_non_null(run);
	assert_int_equal(kc_text_analyze(t, run, s, strlen(s), mode, &terms, &n, &err), 0);
	size_t cap = strlen(s) * 4 + 16, len = 0;
	char *out = malloc(cap);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (terms[i].kind == KC_TERM_SPACE)
			continue;
		const char *p = surface ? s + terms[i].start : terms[i].text;
		size_t l = surface ? terms[i].end - terms[i].start : terms[i].len;
		if (len + l + 2 > cap)
			out = realloc(out, cap = (len + l + 2) * 2);
		if (len)
			out[len++] = '|';
		memcpy(out + len, p, l);
		len += l;
		out[len] = 0;
	}
	kc_text_run_free(run);
	return out;
}

static void expect_surface(const char *s, const char *want)
{
	char *got = joined(g_text, s, KC_TEXT_PRECISE, 1);
	assert_string_equal(got, want);
	free(got);
}

static int has_term(const char *list, const char *term)
{
	size_t n = strlen(term);
	for (const char *p = list; (p = strstr(p, term)) != NULL; p++) {
		if ((p == list || p[-1] == '|') && (p[n] == 0 || p[n] == '|'))
			return 1;
	}
	return 0;
}

static void test_platform_vocabulary_stays_whole(void **state)
{
	(void)state;
	expect_surface("以揭榜挂帅推动新质生产力", "以|揭榜挂帅|推动|新质生产力");
	expect_surface("依托中试平台开展场景验证", "依托|中试平台|开展|场景验证");
	expect_surface("补齐产业链短板", "补齐|产业链|短板");
}

static void test_demo_sentences_keep_chain_terms(void **state)
{
	(void)state;
	/* from data/demo: demands and supplies on the three chains */
	expect_surface("需要钠离子电池硬碳负极首效提升到90%以上",
		       "需要|钠离子电池|硬碳|负极|首效|提升|到|90%|以上");
	expect_surface("现有磷酸铁锂正极极片压实密度约2.5g/cm³",
		       "现有|磷酸铁锂|正极|极片|压实|密度|约|2.5g/cm³");
	expect_surface("钙钛矿叠层电池效率突破30%", "钙钛矿叠层|电池|效率|突破|30%");
}

static void test_domain_words_from_a_list(void **state)
{
	(void)state;
	struct kc_text *t = NULL;
	struct kc_err err = KC_ERR_INIT;
	const char *words[] = {"预锂化剂", "干法电极", "\xff bad", ""};
	size_t skipped = 0;
	char *before = joined(g_text, "国产预锂化剂与干法电极", KC_TEXT_PRECISE, 1);
	assert_false(has_term(before, "干法电极"));
	assert_int_equal(kc_text_with_words(g_text, words, NULL, 4, &t, &skipped, &err), 0);
	assert_int_equal(skipped, 2);
	char *after = joined(t, "国产预锂化剂与干法电极", KC_TEXT_PRECISE, 1);
	assert_string_equal(after, "国产|预锂化剂|与|干法电极");
	/* the base analyzer is unchanged: a reload builds a new one */
	char *again = joined(g_text, "国产预锂化剂与干法电极", KC_TEXT_PRECISE, 1);
	assert_string_equal(again, before);
	assert_true(kc_text_has_word(t, "干法电极", strlen("干法电极")));
	assert_false(kc_text_has_word(g_text, "干法电极", strlen("干法电极")));
	assert_true(kc_text_has_word(g_text, "碳纤维原丝", strlen("碳纤维原丝"))); /* vocabulary */
	/* the derived analyzer outlives its base's reference */
	struct kc_text *extra = kc_text_ref(g_text);
	kc_text_close(extra);
	free(before);
	free(after);
	free(again);
	kc_text_close(t);
}

static void test_traditional_and_simplified_give_the_same_terms(void **state)
{
	(void)state;
	const char *pairs[][2] = {
		{"鈉離子電池的硬碳負極與層狀氧化物正極", "钠离子电池的硬碳负极与层状氧化物正极"},
		{"產業鏈上下游協同創新，發展新質生產力", "产业链上下游协同创新，发展新质生产力"},
		{"鈣鈦礦疊層電池的中試線", "钙钛矿叠层电池的中试线"},
		{"頭髮與乾燥工藝", "头发与干燥工艺"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *a = joined(g_text, pairs[i][0], KC_TEXT_INDEX, 0);
		char *b = joined(g_text, pairs[i][1], KC_TEXT_INDEX, 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
}

static void test_latin_numbers_units_and_models(void **state)
{
	(void)state;
	char *t = joined(g_text,
			 "LiFePO4 batteries reach 300Wh/kg; 4680 cells, 10GWh line, 2.5μm foil, "
			 "N型TOPCon与NCM811，ＡＢＣ电池１９９８年",
			 KC_TEXT_INDEX, 0);
	assert_true(has_term(t, "lifepo4"));
	assert_true(has_term(t, "batteri"));
	assert_true(has_term(t, "reach"));
	assert_true(has_term(t, "300wh/kg"));
	assert_true(has_term(t, "4680"));
	assert_true(has_term(t, "cell"));
	assert_true(has_term(t, "10gwh"));
	assert_true(has_term(t, "2.5μm"));
	assert_true(has_term(t, "n型topcon"));
	assert_true(has_term(t, "ncm811"));
	assert_true(has_term(t, "abc"));
	assert_true(has_term(t, "1998年"));
	free(t);
}

static void test_index_mode_adds_inner_words_and_drops_stopwords(void **state)
{
	(void)state;
	char *t = joined(g_text, "钠离子电池的能量密度和循环寿命", KC_TEXT_INDEX, 0);
	assert_true(has_term(t, "钠离子电池"));
	assert_true(has_term(t, "离子"));
	assert_true(has_term(t, "电池"));
	assert_false(has_term(t, "的"));
	assert_false(has_term(t, "和"));
	free(t);
	/* precise mode keeps stopwords and punctuation, flagged */
	struct kc_text_run *run = kc_text_run_new();
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	const char *s = "电池的寿命。";
	assert_int_equal(kc_text_analyze(g_text, run, s, strlen(s), KC_TEXT_PRECISE, &terms, &n,
					 &err),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(terms[1].text, "的");
	assert_true(terms[1].flags & KC_TERM_STOP);
	assert_int_equal(terms[3].kind, KC_TERM_PUNCT);
	kc_text_run_free(run);
}

static void test_stopword_table_is_sorted(void **state)
{
	(void)state;
	size_t n;
	const char *const *w = kc__stopwords(&n);
	assert_true(n > 100);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(w[i - 1], w[i]) < 0);
	assert_true(kc_text_is_stopword("the", 3));
	assert_true(kc_text_is_stopword("的", strlen("的")));
	assert_false(kc_text_is_stopword("电池", strlen("电池")));
	assert_false(kc_text_is_stopword("", 0));
}

/* The analyzer's stopword set says what the sorted table says: for every stopword, and for
 * every prefix and one-byte extension of one (near misses probe the same slots). */
static void test_stopword_set_agrees_with_the_table(void **state)
{
	(void)state;
	size_t n;
	const char *const *w = kc__stopwords(&n);
	const struct kc_text_models *m = g_text->models;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(w[i]);
		char buf[16];
		assert_true(kc__is_stop(m, w[i], len));
		for (size_t k = 1; k < len; k++)
			assert_int_equal(kc__is_stop(m, w[i], k), kc_text_is_stopword(w[i], k));
		memcpy(buf, w[i], len);
		buf[len] = 's';
		assert_int_equal(kc__is_stop(m, buf, len + 1), kc_text_is_stopword(buf, len + 1));
	}
	assert_false(kc__is_stop(m, "电池", strlen("电池")));
	assert_false(kc__is_stop(m, "", 0));
	assert_false(kc__is_stop(m, "the\0", 4));
}

/* Offsets: within the input, on character boundaries, ordered; precise mode tiles the input. */
static void check_offsets(const char *s, size_t len, enum kc_text_mode mode,
			  struct kc_text_run *run)
{
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_text_analyze(g_text, run, s, len, mode, &terms, &n, &err), 0);
	uint32_t at = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(terms[i].start < terms[i].end);
		assert_true(terms[i].end <= len);
		assert_true(((unsigned char)s[terms[i].start] & 0xC0) != 0x80);
		assert_true(terms[i].end == len || ((unsigned char)s[terms[i].end] & 0xC0) != 0x80);
		assert_int_equal(strlen(terms[i].text), terms[i].len);
		if (mode == KC_TEXT_PRECISE) {
			assert_int_equal(terms[i].start, at);
			at = terms[i].end;
		}
	}
	if (mode == KC_TEXT_PRECISE)
		assert_int_equal(at, len);
}

static void test_offsets_on_random_mixed_text(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"钠", "离子", "電池", "ﬁ", "㎏", "①", "Ａ", "ｂ", "１", "2", ".", "5", "μ", "m", " ",
		"\t", "，", "。", "——", "Straße", "e\xcc\x81", "\xe2\x80\x8b", "\xf0\xa0\x80\x80",
		"型", "N", "%", "/", "kg", "○", "二", "年", "\xc2\xa0", "LiFePO4", "😀"};
	struct kc_text_run *run = kc_text_run_new();
	char buf[4096];
	srand(7);
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = 0;
		int k = rand() % 40;
		for (int j = 0; j < k; j++) {
			const char *p = pieces[(size_t)rand() % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = strlen(p);
			memcpy(buf + len, p, l);
			len += l;
		}
		buf[len] = 0;
		check_offsets(buf, len, KC_TEXT_PRECISE, run);
		check_offsets(buf, len, KC_TEXT_INDEX, run);
	}
	kc_text_run_free(run);
}

static void test_empty_and_huge_inputs(void **state)
{
	(void)state;
	struct kc_text_run *run = kc_text_run_new();
	const struct kc_term *terms;
	size_t n = 99;
	struct kc_err err = KC_ERR_INIT;
	assert_int_equal(kc_text_analyze(g_text, run, "", 0, KC_TEXT_PRECISE, &terms, &n, &err), 0);
	assert_int_equal(n, 0);
	/* 10 MB of demo-like text in one call */
	const char *unit = "钠离子电池硬碳负极首效提升到90%，N型TOPCon電池300Wh/kg。";
	size_t ul = strlen(unit), total = 10u << 20;
	char *big = malloc(total + ul);
	size_t len = 0;
	while (len < total) {
		memcpy(big + len, unit, ul);
		len += ul;
	}
	assert_int_equal(kc_text_analyze(g_text, run, big, len, KC_TEXT_INDEX, &terms, &n, &err), 0);
	assert_true(n > len / ul * 5);
	assert_true(terms[n - 1].end <= len);
	check_offsets(big, len, KC_TEXT_PRECISE, run);
	free(big);
	kc_text_run_free(run);
}

static void test_invalid_utf8_is_an_error_with_its_offset(void **state)
{
	(void)state;
	struct kc_text_run *run = kc_text_run_new();
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	const char *bad[] = {"电池\xff", "\xc0\x80", "电\xe7\x94", "\xed\xa0\x80 surrogate"};
	const char *where[] = {"byte 6", "byte 0", "byte 3", "byte 0"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(kc_text_analyze(g_text, run, bad[i], strlen(bad[i]), KC_TEXT_INDEX,
						 &terms, &n, &err),
				 KC_EDATA);
		assert_non_null(strstr(err.msg, where[i]));
	}
	/* the run still works afterwards */
	assert_int_equal(kc_text_analyze(g_text, run, "电池", 6, KC_TEXT_INDEX, &terms, &n, &err),
			 0);
	assert_int_equal(n, 1);
	kc_text_run_free(run);
}

struct thread_arg {
	const char *text;
	char *result;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	for (int i = 0; i < 50; i++) {
		char *r = joined(g_text, a->text, KC_TEXT_INDEX, 0);
		if (a->result == NULL) {
			a->result = r;
		} else {
			if (strcmp(r, a->result) != 0)
				a->result[0] = '!';
			free(r);
		}
	}
	return NULL;
}

static void test_threads_share_one_analyzer(void **state)
{
	(void)state;
	const char *texts[] = {"鈉離子電池的硬碳負極，300Wh/kg", "光伏组件回收与钙钛矿叠层中试线",
			       "揭榜挂帅：固态电解质量产", "batteries and perovskite tandem cells"};
	pthread_t th[4];
	struct thread_arg args[4] = {{0}};
	for (int i = 0; i < 4; i++) {
		args[i].text = texts[i];
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		char *alone = joined(g_text, texts[i], KC_TEXT_INDEX, 0);
		assert_string_equal(args[i].result, alone);
		free(alone);
		free(args[i].result);
	}
}

static void test_out_of_memory_fails_cleanly(void **state)
{
	(void)state;
	const char *words[] = {"碳纤维原丝"};
	const char *s = "鈉離子電池的硬碳負極，LiFePO4 batteries 300Wh/kg。";
	for (long k = 1; k < 40; k++) {
		struct kc_text *t = NULL;
		struct kc_err err = KC_ERR_INIT;
		kc__alloc_fail_after(k);
		int rc = kc_text_with_words(g_text, words, NULL, 1, &t, NULL, &err);
		kc__alloc_fail_after(0);
		assert_true(rc == 0 || rc == KC_ENOMEM);
		kc_text_close(t);
		struct kc_text_run *run = kc_text_run_new();
		if (run == NULL)
			continue;
		const struct kc_term *terms;
		size_t n;
		kc__alloc_fail_after(k);
		rc = kc_text_analyze(g_text, run, s, strlen(s), KC_TEXT_INDEX, &terms, &n, &err);
		kc__alloc_fail_after(0);
		assert_true(rc == 0 || rc == KC_ENOMEM);
		kc_text_run_free(run);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_vocabulary_stays_whole),
		cmocka_unit_test(test_demo_sentences_keep_chain_terms),
		cmocka_unit_test(test_domain_words_from_a_list),
		cmocka_unit_test(test_traditional_and_simplified_give_the_same_terms),
		cmocka_unit_test(test_latin_numbers_units_and_models),
		cmocka_unit_test(test_index_mode_adds_inner_words_and_drops_stopwords),
		cmocka_unit_test(test_stopword_table_is_sorted),
		cmocka_unit_test(test_stopword_set_agrees_with_the_table),
		cmocka_unit_test(test_offsets_on_random_mixed_text),
		cmocka_unit_test(test_empty_and_huge_inputs),
		cmocka_unit_test(test_invalid_utf8_is_an_error_with_its_offset),
		cmocka_unit_test(test_threads_share_one_analyzer),
		cmocka_unit_test(test_out_of_memory_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
