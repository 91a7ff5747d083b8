/* http: the route table the router answers and docs/openapi.json describe the same API (the
 * integration test test_http.sh asks the live server for every documented route). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "http/http_int.h"

static void every_route_is_documented(void **state)
{
	(void)state;
	json_error_t je;
	json_t *doc = json_loadb((const char *)kc__openapi_doc, (size_t)kc__openapi_doc_len, 0, &je);
	assert_non_null(doc);
	json_t *paths = json_object_get(doc, "paths");
	assert_true(json_is_object(paths));
	size_t n = 0, documented = 0;
	const struct kc_http_route *routes = kc__http_routes(&n);
	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		char m[16];
		size_t j;
		for (j = 0; routes[i].method[j] && j < sizeof(m) - 1; j++)
			m[j] = (char)(routes[i].method[j] | 0x20);
		m[j] = '\0';
		json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), m);
		if (op == NULL)
			print_error("%s %s is not in docs/openapi.json\n", routes[i].method,
				    routes[i].pattern);
		assert_non_null(op);
		assert_non_null(json_object_get(op, "responses"));
	}
	/* and nothing documented that the table lacks */
	const char *path;
	json_t *ops;
	json_object_foreach(paths, path, ops) {
		const char *method;
		json_t *op;
		json_object_foreach(ops, method, op) {
			int found = 0;
			for (size_t i = 0; i < n; i++)
				if (strcmp(routes[i].pattern, path) == 0 &&
				    strcasecmp(routes[i].method, method) == 0)
					found = 1;
			if (!found)
				print_error("%s %s is documented but not routed\n", method, path);
			assert_true(found);
			documented++;
		}
	}
	assert_int_equal(documented, n);
	json_decref(doc);
}

static void roles_parse(void **state)
{
	(void)state;
	assert_int_equal(kc__http_role_parse("admin"), KC_ROLE_ADMIN);
	assert_int_equal(kc__http_role_parse("viewer"), KC_ROLE_VIEWER);
	assert_int_equal(kc__http_role_parse("root"), KC_ROLE_NONE);
	assert_int_equal(kc__http_role_parse(NULL), KC_ROLE_NONE);
	assert_string_equal(kc__http_role_name(KC_ROLE_ORG_MEMBER), "org_member");
}

static void passwords(void **state)
{
	(void)state;
	char h[128];
	struct kc_err err = KC_ERR_INIT;
	assert_non_null(kc_http_password_problem("short"));
	assert_non_null(kc_http_password_problem("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5"));
	assert_null(kc_http_password_problem("correct horse battery"));
	assert_int_equal(kc_http_password_hash("correct horse battery", h, sizeof(h), &err), 0);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	char h2[128];
	assert_int_equal(kc_http_password_hash("correct horse battery", h2, sizeof(h2), &err), 0);
	assert_string_not_equal(h, h2); /* salted */
}

/* kc__http_dump writes what json_dumps writes (compact, any value, the given precision). */
static void same_as_jansson(const json_t *j, int precision)
{
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION((size_t)precision);
	char *want = json_dumps(j, flags);
	struct kc_buf b = KC_BUF_INIT;
	assert_non_null(want);
	assert_int_equal(kc_buf_adds(&b, "x"), 0); /* appends after what is there */
	assert_int_equal(kc__http_dump(&b, j, precision), 0);
	if (strcmp(kc_buf_cstr(&b) + 1, want) != 0)
		print_error("want %s\ngot  %s\n", want, kc_buf_cstr(&b) + 1);
	assert_string_equal(kc_buf_cstr(&b) + 1, want);
	assert_int_equal(b.len, strlen(want) + 1);
	free(want);
	kc_buf_release(&b);
}

static void dump_matches_jansson(void **state)
{
	(void)state;
	static const double reals[] = {0.0,     -0.0,     1.0,      -1.5,    0.1,     1e20,
				       1e21,    1e-5,     1.5e-300, 1e300,   123456789.0,
				       1234567890123.0,   3.14159265358979, -2.5e-7, 56.92472084,
				       500.0,   1e100,    9.999999999e9, 0.000123};
	static const json_int_t ints[] = {0, 1, -1, 42, 1234567890123LL, INT64_MAX, INT64_MIN};
	static const char *const strs[] = {"", "plain", "竹基硬碳负极", "quote \" back \\ slash /",
					   "\b\f\n\r\t \x01\x1f\x7f", "emoji 😀 mixed 中文 and ascii"};
	json_t *all = json_array();
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		for (int p = 1; p <= 17; p++) {
			json_t *r = json_real(reals[i]);
			same_as_jansson(r, p);
			json_decref(r);
		}
		json_array_append_new(all, json_real(reals[i]));
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		json_array_append_new(all, json_integer(ints[i]));
	json_t *obj = json_object();
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		json_array_append_new(all, json_string(strs[i]));
		json_object_set_new(obj, strs[i], json_string(strs[i]));
	}
	json_object_setn_new(obj, "nul\0key", 7, json_integer(7));
	json_array_append_new(all, json_pack("{s:b, s:b, s:n, s:[], s:{}, s:[[], {}, [1, [2.5]]]}",
					     "t", 1, "f", 0, "null", "ea", "eo", "nest"));
	json_array_append(all, obj);
	/* an escape at every offset of a long string (the writer reads eight bytes a step) */
	static const char esc[] = {'"', '\\', '\n', '\x01', '\x1f', '\x7f', ' '};
	for (size_t at = 0; at < 40; at++)
		for (size_t e = 0; e < sizeof(esc); e++) {
			char t[64];
			memset(t, 'a', sizeof(t));
			memcpy(t + 40, "中文中文", 12);
			t[at] = esc[e];
			assert_int_equal(json_array_append_new(all, json_stringn(t, 40 + 3 * (at % 5))), 0);
		}
	same_as_jansson(all, 10);
	same_as_jansson(all, 17);
	same_as_jansson(obj, 10);
	json_t *s = json_string("x");
	same_as_jansson(s, 10);
	json_decref(s);
	/* the order of insertion, after deletes and replaces too */
	json_t *o = json_object();
	for (int i = 0; i < 40; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", (i * 7) % 40);
		json_object_set_new(o, k, json_integer(i));
	}
	json_object_del(o, "k3");
	json_object_set_new(o, "k10", json_string("replaced"));
	same_as_jansson(o, 10);
	json_decref(o);
	struct kc_buf b = KC_BUF_INIT;
	assert_int_equal(kc__http_dump(&b, all, 0), KC_EINVAL);
	assert_int_equal(b.len, 0);
	kc_buf_release(&b);
	json_decref(obj);
	json_decref(all);
}

/* Reals as jansson (glibc's printf) writes them: random magnitudes, near-ties, integers and
 * round numbers at every precision. */
static void dump_reals_match_jansson(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;
	struct kc_buf b = KC_BUF_INIT;
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v;
		switch (i % 6) {
		case 0: v = (double)(x >> 11) / 9007199254740992.0 * pow(10, (int)(x % 61) - 30); break;
		case 1: v = (double)(x % 100000) / pow(10, (int)(x >> 60)); break; /* k/10^n: ties */
		case 2: v = (double)(int64_t)(x % 20000000000ull) - 1e10; break;
		case 3: v = ((double)(x % 1000) + 0.5) / pow(10, (int)(x >> 61)); break;
		case 4: v = (double)(x >> 11) / 9007199254740992.0 * 100.0; break; /* scores */
		default: memcpy(&v, &x, sizeof(v)); break; /* any bits */
		}
		if (!isfinite(v))
			continue;
		int p = i % 4 ? 10 : 1 + (int)(x % 17);
		json_t *r = json_real(i % 2 ? v : -v);
		char *want = json_dumps(r, JSON_ENCODE_ANY | JSON_REAL_PRECISION((size_t)p));
		kc_buf_reset(&b);
		assert_int_equal(kc__http_dump(&b, r, p), 0);
		if (strcmp(kc_buf_cstr(&b), want) != 0)
			fail_msg("%.17g at precision %d: want %s, got %s", json_real_value(r), p, want,
				 kc_buf_cstr(&b));
		free(want);
		json_decref(r);
	}
	kc_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_route_is_documented),
		cmocka_unit_test(roles_parse),
		cmocka_unit_test(passwords),
		cmocka_unit_test(dump_matches_jansson),
		cmocka_unit_test(dump_reals_match_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
