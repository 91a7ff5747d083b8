/* libFuzzer target: the HTTP API on the demo data, as the server answers a request after
 * libmicrohttpd parsed it (kc__http_dispatch: URL checks, authentication, CSRF, the router, every
 * handler), with callers of every role but the two that may see everything (admins and the
 * owner of the confidential demands). For each request:
 *   - no crash, leak or undefined behaviour (ASan + UBSan), no 500;
 *   - a JSON reply parses;
 *   - an anonymous caller never gets a members-only or confidential demand: no object holds
 *     one's id as "id" or "demand_id";
 *   - a signed-in caller never gets the owner of a confidential demand: an object that holds a
 *     confidential demand's id (as "id" or "demand_id") holds no string naming its org (id,
 *     name or short name), and the owner org's object holds no confidential demand's id.
 * Writes stay (the database moves on between inputs, as a server's does). Sign-in and password
 * changes are left out (argon2id takes ~0.1 s a request: the fuzzer would do nothing else).
 *
 * Input: byte 0 the caller (0 anonymous, with line 3 as its Cookie or Authorization header;
 * 1 viewer, 2 reviewer, 3 org_member of org-csu, 4 org_admin of org-catl, 5 org_admin of
 * org-gov-yb, each with an API token), byte 1 the method (GET, POST, PATCH, PUT, DELETE, HEAD),
 * then lines: the path (without a leading '/' it is under /api/v1/), the query ("k=v&k=v", not
 * percent-decoded), the header, and the body (the rest).
 *
 * Built by the fuzz preset (clang; make fuzz), and replayed over fuzz/corpus/http by ctest
 * (fuzz/replay.c) in every build. The database is made in a temporary directory, removed at
 * exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "http/http_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define SECRET_ORG "org-secret-cell"

static struct kc_http_app g_app;
static struct kc_http_opts g_opts;
static char g_dir[64], g_db[128];
static char g_tokens[6][80]; /* "Bearer kct_..." per caller 1..5 */
static json_t *g_hidden_ids; /* ids of members-only and confidential demands */
static json_t *g_conf_ids;      /* ids of confidential demands (all of SECRET_ORG) */
static const char *const g_org_names[] = {SECRET_ORG, "江东动力"}; /* id, and in every name */

static void die(const char *what, const struct kc_err *err)
{
	fprintf(stderr, "fuzz_http: %s: %s\n", what, err ? err->msg : "");
	abort();
}

static void cleanup(void)
{
	kc__http_app_free(&g_app);
	static const char *const files[] = {"kechan.db", "kechan.db-wal", "kechan.db-shm"};
	char p[192];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", g_dir, files[i]);
		unlink(p);
	}
	rmdir(g_dir);
	json_decref(g_hidden_ids);
	json_decref(g_conf_ids);
}

static int note_demand(void *ud, const json_t *rec)
{
	(void)ud;
	const char *vis = json_string_value(json_object_get(rec, "visibility"));
	if (vis && strcmp(vis, "public") != 0)
		json_array_append(g_hidden_ids, json_object_get(rec, "id"));
	if (vis && strcmp(vis, "confidential") == 0)
		json_array_append(g_conf_ids, json_object_get(rec, "id"));
	return 0;
}

/* An API token for user in the store, its header into out. */
static void add_token(struct kc_store *st, const char *user, int n, char *out, size_t cap)
{
	struct kc_err err = KC_ERR_INIT;
	char secret[65], h[65];
	unsigned char raw[32];
	snprintf(secret, sizeof(secret), "%064d", n);
	crypto_generichash(raw, sizeof(raw), (const unsigned char *)secret, 64, NULL, 0);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(h + 2 * i, 3, "%02x", raw[i]);
	struct kc_cred c = {"token", h, user, "fuzz", NULL, 0};
	if (kc_store_cred_put(st, &c, &err) != 0)
		die("token", &err);
	snprintf(out, cap, "Bearer kct_%s", secret);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	if (sodium_init() < 0)
		die("libsodium", NULL);
	snprintf(g_dir, sizeof(g_dir), "/tmp/kc-fuzz-http-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		die("mkdtemp", NULL);
	snprintf(g_db, sizeof(g_db), "%s/kechan.db", g_dir);
	if (kc_store_open(g_db, KC_STORE_CREATE, &st, &err) != 0)
		die("open", &err);
	if (kc_import(st, KC_SRC_DIR "/data/demo", NULL, NULL, &err) != 0)
		die("import data/demo", &err);
	static const char *const users[] = {NULL, "u-viewer", "u-reviewer", "u-csu", "u-catl",
					    "u-yb-admin"};
	for (int i = 1; i < 6; i++)
		add_token(st, users[i], i, g_tokens[i], sizeof(g_tokens[i]));
	g_hidden_ids = json_array();
	g_conf_ids = json_array();
	if (kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), NULL, note_demand, NULL, &err) != 0)
		die("demands", &err);
	kc_store_close(st);
	if (json_array_size(g_conf_ids) == 0 || json_array_size(g_hidden_ids) == 0)
		die("the demo data has no confidential demands", NULL);
	g_opts.db = g_db;
	g_opts.threads = 1;
	if (kc__http_app_open(&g_app, &g_opts, &err) != 0)
		die("app", &err);
	atexit(cleanup);
	return 0;
}

static int in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

/* Whether any string inside j (values and keys) contains one of needles[0..n) or, with list,
 * equals one of its strings. */
static int holds(const json_t *j, const char *const *needles, size_t n, const json_t *list)
{
	const char *k;
	json_t *v;
	size_t i;
	switch (json_typeof(j)) {
	case JSON_STRING:
		for (i = 0; i < n; i++)
			if (strstr(json_string_value(j), needles[i]))
				return 1;
		return list != NULL && in_list(list, json_string_value(j));
	case JSON_OBJECT:
		json_object_foreach((json_t *)j, k, v) {
			json_t *key = json_string(k);
			int hit = holds(key, needles, n, list) || holds(v, needles, n, list);
			json_decref(key);
			if (hit)
				return 1;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			if (holds(v, needles, n, list))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/* What the caller may not see, in every object of a reply: anonymous callers no demand but a
 * public one, signed-in callers no owner of a confidential demand. */
static void check_reply(const json_t *j, int anonymous, const char *what)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			check_reply(v, anonymous, what);
		return;
	}
	if (!json_is_object(j))
		return;
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *dem = json_string_value(json_object_get(j, "demand_id"));
	const json_t *hidden = anonymous ? g_hidden_ids : g_conf_ids;
	const char *which = id && in_list(hidden, id) ? id : dem && in_list(hidden, dem) ? dem : NULL;
	if (anonymous && which) {
		fprintf(stderr, "fuzz_http: %s shows demand %s\n", what, which);
		abort();
	}
	if (!anonymous && which && holds(j, g_org_names, 2, NULL)) {
		fprintf(stderr, "fuzz_http: %s shows the owner of confidential demand %s\n", what,
			which);
		abort();
	}
	if (!anonymous && id && strcmp(id, SECRET_ORG) == 0 && holds(j, NULL, 0, g_conf_ids)) {
		fprintf(stderr, "fuzz_http: %s links %s to a confidential demand\n", what,
			SECRET_ORG);
		abort();
	}
	json_object_foreach((json_t *)j, k, v)
		check_reply(v, anonymous, what);
}

/* The reply's JSON (one value, or JSON Lines) checked by check_reply; aborts when it does not
 * parse. */
static void check_json(const char *s, size_t n, int lines, int anonymous, const char *what)
{
	while (n > 0) {
		size_t len = n;
		const char *nl = lines ? memchr(s, '\n', n) : NULL;
		if (nl)
			len = (size_t)(nl - s);
		if (len > 0) {
			json_error_t jerr;
			json_t *j = json_loadb(s, len, 0, &jerr);
			if (j == NULL) {
				fprintf(stderr, "fuzz_http: %s: the reply is not JSON: %s\n", what,
					jerr.text);
				abort();
			}
			check_reply(j, anonymous, what);
			json_decref(j);
		}
		s += len + (nl != NULL);
		n -= len + (nl != NULL);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"};
	if (size < 2 || size > 65536)
		return 0;
	int who = data[0] % 6;
	const char *method = methods[data[1] % 6];
	/* the lines, NUL-terminated copies */
	char *buf = malloc(size - 2 + 1), *line[4] = {NULL};
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 2, size - 2);
	buf[size - 2] = '\0';
	char *p = buf;
	for (int i = 0; i < 3; i++) {
		line[i] = p;
		char *nl = memchr(p, '\n', (size_t)(buf + size - 2 - p));
		if (nl == NULL) {
			p = buf + size - 2;
			break;
		}
		*nl = '\0';
		p = nl + 1;
	}
	line[3] = p; /* the body: may hold NULs (then it ends there for the handlers, as
			MHD's would not; kc__http_body checks its length) */
	size_t body_len = (size_t)(buf + size - 2 - p);
	char path[KC_HTTP_MAX_URL + 64];
	const char *raw = line[0] ? line[0] : "";
	if (strstr(raw, "auth/login") || strstr(raw, "auth/password")) {
		free(buf);
		return 0;
	}
	snprintf(path, sizeof(path), "%s%s", raw[0] == '/' ? "" : "/api/v1/", raw);

	struct kc_http_req req;
	struct kc_http_reply reply;
	memset(&req, 0, sizeof(req));
	kc__http_reply_init(&reply);
	req.method = method;
	req.path = path;
	req.app = &g_app;
	req.body = body_len ? line[3] : NULL;
	req.body_len = body_len;
	req.content_type = "application/json";
	int bad_args = 0;
	for (char *a = line[1]; a && *a;) {
		char *amp = strchr(a, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(a, '=');
		if (eq)
			*eq = '\0';
		const char *key = a, *value = eq ? eq + 1 : "";
		if (!kc_utf8_valid(key, strlen(key)) || !kc_utf8_valid(value, strlen(value)))
			bad_args = 1;
		else if (req.nargs < KC_HTTP_MAX_ARGS)
			req.args[req.nargs++] = (struct kc_http_arg){key, value};
		else
			req.too_many_args = 1;
		a = amp ? amp + 1 : NULL;
	}
	if (who == 0 && line[2] && line[2][0]) {
		if (strncmp(line[2], "Bearer", 6) == 0)
			req.authorization = line[2];
		else
			req.cookie = line[2];
	} else if (who > 0) {
		req.authorization = g_tokens[who];
	}
	kc__http_dispatch(&g_app, &req, bad_args, 0, &reply);

	if (getenv("KC_FUZZ_HTTP_LOG")) /* for writing seeds: what each request got */
		fprintf(stderr, "%s %s (%s) → %u %.120s\n", method, path,
			req.user.role ? req.user.id : "anonymous", reply.status,
			reply.body.ptr && !reply.file ? reply.body.ptr : "");
	if (reply.status == 500) {
		fprintf(stderr, "fuzz_http: %s %s: 500 %.*s\n", method, path, (int)reply.body.len,
			reply.body.ptr ? reply.body.ptr : "");
		abort();
	}
	const char *ct = reply.content_type ? reply.content_type : "";
	int lines = strncmp(ct, "application/x-ndjson", 20) == 0;
	if (reply.file == NULL && reply.body.len > 0 &&
	    (lines || strncmp(ct, "application/json", 16) == 0)) {
		char what[KC_HTTP_MAX_URL + 400];
		snprintf(what, sizeof(what), "%s %s (as %s)", method, path,
			 req.user.role ? req.user.id : "anonymous");
		int anonymous = req.user.role == KC_ROLE_NONE;
		if (anonymous || (req.user.role != KC_ROLE_ADMIN &&
				  strcmp(req.user.org_id, SECRET_ORG) != 0))
			check_json(reply.body.ptr, reply.body.len, lines, anonymous, what);
	}
	kc_buf_release(&reply.body);
	free(buf);
	return 0;
}
