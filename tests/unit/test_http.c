/* http: the route table the router answers and docs/openapi.json describe the same API (the
 * integration test test_http.sh asks the live server for every documented route). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_route_is_documented),
		cmocka_unit_test(roles_parse),
		cmocka_unit_test(passwords),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
