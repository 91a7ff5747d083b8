/* Unit tests for core: errors, kc_buf, UTF-8, official code tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kechan/codes.h"
#include "kechan/core.h"
#include "core_int.h"

static void test_strtab_gives_ids_in_order_and_finds_them_after_growing(void **state)
{
	(void)state;
	struct kc__strtab t = {0};
	uint32_t id;
	char s[32];
	assert_int_equal(kc__strtab_find(&t, "a", 1), UINT32_MAX); /* empty */
	assert_int_equal(kc__strtab_id(&t, "a", 1, 0, &id), 0);
	assert_int_equal(id, UINT32_MAX);
	for (uint32_t i = 0; i < 5000; i++) { /* past the first table's 1,024 slots */
		int n = snprintf(s, sizeof(s), "词%u", i);
		assert_int_equal(kc__strtab_id(&t, s, (size_t)n, 1, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(t.n, 5000);
	for (uint32_t i = 0; i < 5000; i += 7) {
		int n = snprintf(s, sizeof(s), "词%u", i);
		assert_int_equal(kc__strtab_find(&t, s, (size_t)n), i);
		assert_int_equal(kc__strtab_id(&t, s, (size_t)n, 1, &id), 0); /* no second copy */
		assert_int_equal(id, i);
		assert_string_equal(t.strs[i], s);
	}
	assert_int_equal(t.n, 5000);
	assert_int_equal(kc__strtab_find(&t, "词5000", strlen("词5000")), UINT32_MAX);
	assert_int_equal(kc__strtab_find(&t, "词1", 2), UINT32_MAX); /* a prefix is another string */
	kc__strtab_release(&t);
	assert_int_equal(t.n, 0);
}

static void test_err_set_returns_code_and_keeps_message(void **state)
{
	(void)state;
	struct kc_err err = KC_ERR_INIT;
	int rc = kc_err_set(&err, KC_EINVAL, "a.jsonl:%d: field '%s': bad", 7, "trl");
	assert_int_equal(rc, KC_EINVAL);
	assert_string_equal(err.msg, "a.jsonl:7: field 'trl': bad");
	assert_non_null(err.src_file);
	kc_err_prefix(&err, "import");
	assert_string_equal(err.msg, "import: a.jsonl:7: field 'trl': bad");
	assert_int_equal(kc_err_set(NULL, KC_EIO, "x"), KC_EIO);
}

static void test_exit_codes_follow_the_documented_table(void **state)
{
	(void)state;
	assert_int_equal(kc_exit_code(KC_OK), 0);
	assert_int_equal(kc_exit_code(KC_EINVAL), 1);
	assert_int_equal(kc_exit_code(KC_ENOTFOUND), 1);
	assert_int_equal(kc_exit_code(KC_EDATA), 2);
	assert_int_equal(kc_exit_code(KC_ENOMEM), 3);
	assert_string_equal(kc_strerror(KC_EDATA), "invalid data");
}

static void test_buf_grows_formats_and_hands_over(void **state)
{
	(void)state;
	struct kc_buf b = KC_BUF_INIT;
	assert_string_equal(kc_buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(kc_buf_addf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.ptr, "0,1,2,", 6), 0);
	assert_int_equal(b.ptr[b.len], '\0');
	char *p = kc_buf_take(&b);
	assert_null(b.ptr);
	assert_int_equal(b.len, 0);
	kc_free(p);
	kc_buf_release(&b);
}

static void test_buf_refuses_to_pass_its_cap(void **state)
{
	(void)state;
	struct kc_buf b;
	kc_buf_init(&b, 8);
	assert_int_equal(kc_buf_adds(&b, "12345678"), 0);
	assert_int_equal(kc_buf_addc(&b, 'x'), KC_EINVAL);
	assert_int_equal(b.len, 8);
	kc_buf_release(&b);
}

static void test_buf_reports_failed_allocation(void **state)
{
	(void)state;
	struct kc_buf b = KC_BUF_INIT;
	kc__alloc_fail_after(1);
	assert_int_equal(kc_buf_adds(&b, "钠离子电池"), KC_ENOMEM);
	assert_null(b.ptr);
	kc__alloc_fail_after(0);
	assert_int_equal(kc_buf_adds(&b, "钠离子电池"), 0);
	kc_buf_release(&b);
}

static void test_utf8_accepts_chinese_and_rejects_malformed_sequences(void **state)
{
	(void)state;
	const char *ok = "产业链 揭榜挂帅 LiFePO4 2.5μm 𠀀";
	assert_true(kc_utf8_valid(ok, strlen(ok)));
	assert_int_equal(kc_utf8_count("新质生产力", strlen("新质生产力")), 5);
	/* Truncated 3-byte sequence at the end. */
	assert_int_equal(kc_utf8_check("ab\xe4\xb8", 4), 2);
	/* Lone continuation byte, overlong '/', surrogate, above U+10FFFF, 0xFF. */
	assert_int_equal(kc_utf8_check("\x80", 1), 0);
	assert_int_equal(kc_utf8_check("x\xc0\xaf", 3), 1);
	assert_int_equal(kc_utf8_check("\xed\xa0\x80", 3), 0);
	assert_int_equal(kc_utf8_check("\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(kc_utf8_check("a\xff", 2), 1);
	assert_true(kc_utf8_valid("", 0));
	/* A prefix never splits a character. */
	assert_int_equal(kc_utf8_prefix("中试平台", 12, 2), 6);
	assert_int_equal(kc_utf8_prefix("中试平台", 12, 10), 12);
	/* Scrubbing: what "%.5s" leaves of 中试平台 (a character cut in two), a bad byte inside,
	 * and valid text left alone. */
	char cut[8], mid[] = "a\xff\xfe中b", fine[] = "中试 pilot";
	snprintf(cut, sizeof(cut), "%.5s", "中试平台");
	assert_false(kc_utf8_valid(cut, strlen(cut)));
	assert_int_equal(kc_utf8_scrub(cut, strlen(cut)), 2);
	assert_string_equal(cut, "中??");
	assert_int_equal(kc_utf8_scrub(mid, strlen(mid)), 2);
	assert_string_equal(mid, "a??中b");
	assert_int_equal(kc_utf8_scrub(fine, strlen(fine)), 0);
	assert_string_equal(fine, "中试 pilot");
}

static void test_region_table_knows_provinces_cities_and_counties(void **state)
{
	(void)state;
	const struct kc_region *r = kc_region_get(320500);
	assert_non_null(r);
	assert_string_equal(r->name, "苏州市");
	assert_int_equal(r->level, 2);
	assert_int_equal(r->parent, 320000);
	assert_null(kc_region_get(999999));
	assert_int_equal(kc_region_parse("350900", 6), 350900);
	assert_int_equal(kc_region_parse("35090a", 6), 0);
	assert_int_equal(kc_region_province(320505), 320000);
	char name[128];
	kc_region_fullname(110101, name, sizeof(name));
	assert_string_equal(name, "北京市东城区");
	kc_region_fullname(320505, name, sizeof(name));
	assert_string_equal(name, "江苏省苏州市虎丘区");
	assert_int_equal(kc_region_find("江苏", strlen("江苏"), &r), 1);
	assert_int_equal(r->code, 320000);
	assert_int_equal(kc_region_find("宁德", strlen("宁德"), &r), 1);
	assert_int_equal(r->code, 350900);
	/* 朝阳区 exists in Beijing and in Changchun. */
	assert_true(kc_region_find("朝阳区", strlen("朝阳区"), &r) > 1);
}

static void test_ipc_and_industry_codes_are_checked_against_the_tables(void **state)
{
	(void)state;
	assert_int_equal(kc_ipc_check("H01M", 4), 1);
	assert_int_equal(kc_ipc_check("H01M 10/0525", 12), 1);
	assert_int_equal(kc_ipc_check("H01M10/0525", 11), 1);
	assert_int_equal(kc_ipc_check("H01", 3), 0);
	assert_int_equal(kc_ipc_check("h01m", 4), 0);
	assert_int_equal(kc_ipc_check("H01M 10/", 8), 0);
	assert_int_equal(kc_ipc_check("H01M 10/5", 9), 0);
	assert_int_equal(kc_ipc_check("H99Q", 4), -1);
	assert_non_null(kc_ipc_title("H01M"));
	int level = 0;
	assert_string_equal(kc_industry_name("3841", &level), "锂离子电池制造");
	assert_int_equal(level, 4);
	assert_non_null(kc_industry_name("C", &level));
	assert_int_equal(level, 1);
	assert_null(kc_industry_name("3849x", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_returns_code_and_keeps_message),
		cmocka_unit_test(test_strtab_gives_ids_in_order_and_finds_them_after_growing),
		cmocka_unit_test(test_exit_codes_follow_the_documented_table),
		cmocka_unit_test(test_buf_grows_formats_and_hands_over),
		cmocka_unit_test(test_buf_refuses_to_pass_its_cap),
		cmocka_unit_test(test_buf_reports_failed_allocation),
		cmocka_unit_test(test_utf8_accepts_chinese_and_rejects_malformed_sequences),
		cmocka_unit_test(test_region_table_knows_provinces_cities_and_counties),
		cmocka_unit_test(test_ipc_and_industry_codes_are_checked_against_the_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
