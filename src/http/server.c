/* http: the libmicrohttpd daemon, a pool of store handles (one per worker thread), request
 * limits, security headers, JSON errors, the access log and graceful shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/stat.h>

#include <microhttpd.h>
#include <sodium.h>

#include "http_int.h"
#include "banned.h"

unsigned kc_http_status(int code)
{
	switch (code) {
	case KC_OK: return 200;
	case KC_EINVAL: return 400;
	case KC_EPERM: return 403;
	case KC_ENOTFOUND: return 404;
	case KC_EEXIST: return 409;
	case KC_EDATA: return 422;
	case KC_EBUSY: return 503;
	default: return 500;
	}
}

static const char *error_name(unsigned status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "payload_too_large";
	case 414: return "uri_too_long";
	case 415: return "unsupported_media_type";
	case 422: return "invalid";
	case 429: return "too_many_requests";
	case 503: return "unavailable";
	default: return "internal";
	}
}

/* ---- the store pool ---- */

static int pool_open(struct kc_http_pool *p, const char *db, unsigned n, struct kc_err *err)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->all = kc_calloc(n, sizeof(*p->all));
	p->free = kc_calloc(n, sizeof(*p->free));
	if (p->all == NULL || p->free == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		int rc = kc_store_open(db, 0, &p->all[i], err);
		if (rc < 0)
			return rc;
		p->free[p->nfree++] = p->all[i];
		p->n++;
	}
	return 0;
}

static void pool_close(struct kc_http_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		kc_store_close(p->all[i]);
	kc_free(p->all);
	kc_free(p->free);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

static struct kc_store *pool_take(struct kc_http_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	struct kc_store *st = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	return st;
}

static void pool_give(struct kc_http_pool *p, struct kc_store *st)
{
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = st;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* ---- replies ---- */

void kc__http_reply_init(struct kc_http_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	kc_buf_init(&r->body, 0);
	r->content_type = "application/json; charset=utf-8";
}

static int error_with(struct kc_http_reply *r, unsigned status, const char *field,
		      json_t *details, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	kc_utf8_scrub(msg, strlen(msg)); /* input quoted as '%.20s' may end in half a character */
	json_t *e = json_pack("{s:s,s:s,s:s*}", "code", error_name(status), "message", msg,
			      "field", field);
	if (e && details)
		json_object_set(e, "details", details);
	json_decref(details);
	json_t *j = e ? json_pack("{s:o}", "error", e) : NULL;
	kc_buf_reset(&r->body);
	r->status = status;
	r->content_type = "application/json; charset=utf-8";
	r->file = NULL;
	int rc = j ? kc__http_dump(&r->body, j, 17) : KC_ENOMEM;
	json_decref(j);
	if (rc < 0) {
		r->status = 500;
		return KC_ENOMEM;
	}
	return 0;
}

int kc__http_error(struct kc_http_reply *r, unsigned status, const char *field, const char *fmt,
		   ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = error_with(r, status, field, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int kc__http_invalid(struct kc_http_reply *r, json_t *details, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *field = json_string_value(json_object_get(json_array_get(details, 0), "field"));
	char f[256];
	snprintf(f, sizeof(f), "%s", field ? field : "");
	int rc = error_with(r, 422, field ? f : NULL, details, fmt, ap);
	va_end(ap);
	return rc;
}

void kc__http_fail(struct kc_http_reply *r, int rc, const struct kc_err *err)
{
	unsigned status = kc_http_status(rc);
	if (status == 500)
		/* Internal details (paths, SQL) stay in the server's log, not in the answer. */
		kc__http_error(r, 500, NULL, "internal error (%s)", kc_strerror(rc));
	else
		kc__http_error(r, status, NULL, "%s", err && err->msg[0] ? err->msg : kc_strerror(rc));
}

int kc__http_json(struct kc_http_reply *r, const json_t *j)
{
	kc_buf_reset(&r->body);
	if (kc__http_dump(&r->body, j, KC_HTTP_PRECISION) < 0)
		return kc__http_error(r, 500, NULL, "out of memory");
	return 0;
}

int kc__http_json_new(struct kc_http_reply *r, json_t *j)
{
	if (j == NULL)
		return kc__http_error(r, 500, NULL, "out of memory");
	int rc = kc__http_json(r, j);
	json_decref(j);
	return rc;
}

int kc__http_collect(void *ud, const json_t *rec)
{
	return json_array_append_new(ud, json_deep_copy(rec)) == 0 ? 0 : KC_ENOMEM;
}

int kc__http_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

json_t *kc__http_body(struct kc_http_req *q, struct kc_http_reply *r)
{
	if (q->body == NULL || q->body_len == 0) {
		kc__http_error(r, 400, NULL, "this request needs a JSON object as its body");
		return NULL;
	}
	if (q->content_type && strncmp(q->content_type, "application/json", 16) != 0) {
		kc__http_error(r, 415, "Content-Type",
			       "the body must be application/json, not %.60s", q->content_type);
		return NULL;
	}
	long bad = kc_utf8_check(q->body, q->body_len);
	if (bad >= 0) {
		kc__http_error(r, 400, NULL, "the body is not valid UTF-8 (byte %ld)", bad);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		kc__http_error(r, 400, NULL, "the body is not JSON: %s (line %d, column %d)", je.text,
			       je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		kc__http_error(r, 400, NULL, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

const char *kc__http_arg(const struct kc_http_req *q, const char *key)
{
	for (int i = 0; i < q->nargs; i++)
		if (strcmp(q->args[i].key, key) == 0)
			return q->args[i].value;
	return NULL;
}

/* ---- static files of the web UI ---- */

static const char *file_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".json", "application/json; charset=utf-8"},
		{".map", "application/json; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".jpg", "image/jpeg"},
		{".ico", "image/x-icon"},
		{".woff2", "font/woff2"},
		{".woff", "font/woff"},
		{".ttf", "font/ttf"},
		{".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct kc_buf b = KC_BUF_INIT;
	char chunk[65536];
	size_t n;
	if (f == NULL)
		return KC_EIO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (kc_buf_add(&b, chunk, n) < 0) {
			fclose(f);
			kc_buf_release(&b);
			return KC_ENOMEM;
		}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		kc_buf_release(&b);
		return KC_EIO;
	}
	*len = b.len;
	*out = b.ptr ? kc_buf_take(&b) : kc_strdup("");
	return *out ? 0 : KC_ENOMEM;
}

/* Reads every file under dir (rel is the URL path so far) into app->files. */
static int load_dir(struct kc_http_app *app, const char *dir, const char *rel, int depth,
		    struct kc_err *err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return kc_err_set(err, KC_EIO, "--web %s: cannot read the directory", dir);
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096], url[4096];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    (size_t)snprintf(url, sizeof(url), "%s/%s", rel, e->d_name) >= sizeof(url))
			continue;
		struct stat sb;
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (depth < 8)
				rc = load_dir(app, path, url, depth + 1, err);
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		struct kc_http_file *nf = kc_realloc(app->files, (app->nfiles + 1) * sizeof(*nf));
		if (nf == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			break;
		}
		app->files = nf;
		struct kc_http_file *f = &app->files[app->nfiles];
		memset(f, 0, sizeof(*f));
		if (read_file(path, &f->data, &f->len) != 0 || (f->path = kc_strdup(url)) == NULL) {
			kc_free(f->data);
			rc = kc_err_set(err, KC_EIO, "--web: cannot read %s", path);
			break;
		}
		f->type = file_type(url);
		f->immutable = strncmp(url, "/assets/", 8) == 0;
		app->nfiles++;
	}
	closedir(d);
	return rc;
}

static const struct kc_http_file *find_file(const struct kc_http_app *app, const char *path)
{
	for (size_t i = 0; i < app->nfiles; i++)
		if (strcmp(app->files[i].path, path) == 0)
			return &app->files[i];
	return NULL;
}

/* A GET outside /api/: a file of the UI, or the UI's index.html for its own routes
 * (/demands/dem-0001) so a reload works; a missing file with an extension is a 404. */
static void serve_static(const struct kc_http_app *app, const char *path,
			 struct kc_http_reply *r)
{
	if (app->index_html == NULL) {
		kc__http_error(r, 404, NULL,
			       "the web UI is not built (make demo builds it; or run npm ci && npm "
			       "run build in web/); the API is under /api/v1/");
		return;
	}
	const struct kc_http_file *f = strcmp(path, "/") == 0 ? app->index_html
							       : find_file(app, path);
	const char *slash = strrchr(path, '/');
	if (f == NULL && strchr(slash ? slash : path, '.') == NULL &&
	    strncmp(path, "/assets/", 8) != 0)
		f = app->index_html;
	if (f == NULL) {
		kc__http_error(r, 404, NULL, "no such file '%.200s'", path);
		return;
	}
	r->file = f;
	r->content_type = f->type;
	r->cache_immutable = f->immutable;
}

/* ---- requests ---- */

struct request {
	double t0;
	struct kc_buf body;
	int too_large;
};

static const char csp_api[] = "default-src 'none'; frame-ancestors 'none'";
static const char csp_ui[] = "default-src 'self'; script-src 'self'; style-src 'self' "
			     "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
			     "connect-src 'self'; object-src 'none'; base-uri 'self'; "
			     "form-action 'self'; frame-ancestors 'none'";

static void add_headers(struct MHD_Response *resp, const struct kc_http_reply *r, int ui)
{
	MHD_add_response_header(resp, "Content-Type", r->content_type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy", ui ? csp_ui : csp_api);
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cache-Control", r->cache_immutable
							      ? "public, max-age=31536000, immutable"
							      : "no-store");
	if (r->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (r->allow)
		MHD_add_response_header(resp, "Allow", r->allow);
	if (r->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
}

struct args_ctx {
	struct kc_http_req *req;
	int bad_utf8;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	struct args_ctx *a = cls;
	if (!kc_utf8_valid(key, strlen(key)) || (value && !kc_utf8_valid(value, strlen(value)))) {
		a->bad_utf8 = 1;
		return MHD_NO;
	}
	if (a->req->nargs < KC_HTTP_MAX_ARGS) {
		a->req->args[a->req->nargs].key = key;
		a->req->args[a->req->nargs].value = value ? value : "";
		a->req->nargs++;
	} else {
		a->req->too_many_args = 1;
	}
	return MHD_YES;
}

const char *kc__http_client(struct kc_http_req *q)
{
	if (q->client[0])
		return q->client;
	const union MHD_ConnectionInfo *ci =
		q->conn ? MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
			: NULL;
	const char *ok = NULL;
	socklen_t cap = (socklen_t)sizeof(q->client);
	if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET)
		ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
			       q->client, cap);
	else if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET6)
		ok = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
			       q->client, cap);
	if (ok == NULL)
		snprintf(q->client, sizeof(q->client), "?");
	return q->client;
}

static void answer(struct kc_http_app *app, struct kc_http_req *req, struct kc_http_reply *reply)
{
	const char *url = req->path, *method = req->method;
	static const char prefix[] = "/api/v1/";
	if (strncmp(url, "/api/", 5) != 0) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			reply->allow = "GET, HEAD";
			kc__http_error(reply, 405, NULL, "%s is not allowed here", method);
		} else {
			serve_static(app, url, reply);
		}
		return;
	}
	if (strncmp(url, prefix, sizeof(prefix) - 1) != 0) {
		kc__http_error(reply, 404, NULL, "no such resource: the API is under /api/v1/");
		return;
	}
	req->rest = url + sizeof(prefix) - 1;
	struct kc_store *st = pool_take(&app->pool);
	req->st = st;
	if (kc__http_authenticate(req, reply) == 0 && kc__http_check_csrf(req, reply) == 0)
		kc__http_route(req, reply);
	pool_give(&app->pool, st);
}

void kc__http_dispatch(struct kc_http_app *app, struct kc_http_req *req, int bad_utf8_args,
		       size_t too_large, struct kc_http_reply *reply)
{
	const char *url = req->path;
	if (strlen(url) > KC_HTTP_MAX_URL)
		kc__http_error(reply, 414, NULL, "the URL is longer than %d bytes", KC_HTTP_MAX_URL);
	else if (!kc_utf8_valid(url, strlen(url)) || bad_utf8_args)
		kc__http_error(reply, 400, NULL, "the URL is not valid UTF-8");
	else if (req->too_many_args)
		kc__http_error(reply, 400, NULL, "more than %d query parameters",
			       KC_HTTP_MAX_ARGS);
	else if (too_large)
		kc__http_error(reply, 413, NULL, "the body is larger than %zu bytes", too_large);
	else
		answer(app, req, reply);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct kc_http_app *app = cls;
	struct request *rq = *con_cls;
	size_t max_body = app->opts->max_body ? app->opts->max_body : 1024 * 1024;
	if (rq == NULL) {
		rq = kc_calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		rq->t0 = kc_now();
		kc_buf_init(&rq->body, 0);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!rq->too_large && rq->body.len + *upload_data_size > max_body)
			rq->too_large = 1;
		if (!rq->too_large && kc_buf_add(&rq->body, upload_data, *upload_data_size) < 0)
			rq->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct kc_http_reply reply;
	kc__http_reply_init(&reply);
	struct kc_http_req req;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.app = app;
	if (rq->body.len > 0) {
		req.body = kc_buf_cstr(&rq->body);
		req.body_len = rq->body.len;
	}
	req.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
	req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	req.csrf_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
	req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	req.conn = conn;
	struct args_ctx actx = {&req, 0};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &actx);

	kc__http_dispatch(app, &req, actx.bad_utf8, rq->too_large ? max_body : 0, &reply);

	struct MHD_Response *resp;
	size_t bytes;
	if (reply.file != NULL) {
		bytes = reply.file->len;
		resp = MHD_create_response_from_buffer(bytes, reply.file->data,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		bytes = reply.body.len;
		resp = MHD_create_response_from_buffer(
			bytes, reply.body.ptr ? reply.body.ptr : (char *)"",
			reply.body.ptr ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (resp != NULL)
			reply.body.ptr = NULL; /* owned by the response now */
	}
	kc_buf_release(&reply.body);
	if (resp == NULL)
		return MHD_NO;
	add_headers(resp, &reply, reply.file != NULL);
	enum MHD_Result ret = MHD_queue_response(conn, reply.status, resp);
	MHD_destroy_response(resp);

	if (app->opts->access_log) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		const char *client = kc__http_client(&req);
		pthread_mutex_lock(&app->log_mu);
		fprintf(app->opts->access_log, "%s %s %s %s %s %u %zu %.0fus\n", when, client,
			req.user.id[0] ? req.user.id : "-", method, url, reply.status, bytes,
			(kc_now() - rq->t0) * 1e6);
		fflush(app->opts->access_log);
		pthread_mutex_unlock(&app->log_mu);
	}
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request *rq = *con_cls;
	if (rq != NULL)
		kc_buf_release(&rq->body);
	kc_free(rq);
	*con_cls = NULL;
}

void kc__http_app_free(struct kc_http_app *app)
{
	kc__http_match_close(app);
	for (size_t i = 0; i < app->nfiles; i++) {
		kc_free(app->files[i].path);
		kc_free(app->files[i].data);
	}
	kc_free(app->files);
	pool_close(&app->pool);
	kc__http_limiter_free(&app->limiter);
	pthread_mutex_destroy(&app->log_mu);
}

int kc__http_app_open(struct kc_http_app *app, const struct kc_http_opts *opts, struct kc_err *err)
{
	memset(app, 0, sizeof(*app));
	app->opts = opts;
	pthread_mutex_init(&app->log_mu, NULL);
	kc__http_limiter_init(&app->limiter);
	if (sodium_init() < 0)
		return kc_err_set(err, KC_EINTERNAL, "libsodium failed to start");
	/* A hash of a random password: what an unknown user's password is checked against. */
	char pw[33];
	unsigned char raw[16];
	randombytes_buf(raw, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(pw + 2 * i, 3, "%02x", raw[i]);
	int rc = kc_http_password_hash(pw, app->dummy_hash, sizeof(app->dummy_hash), err);
	if (rc < 0)
		return rc;
	unsigned threads = opts->threads ? opts->threads : 2;
	if ((rc = pool_open(&app->pool, opts->db, threads, err)) < 0)
		return rc;
	if (opts->web_dir != NULL) {
		if ((rc = load_dir(app, opts->web_dir, "", 0, err)) < 0)
			return rc;
		app->index_html = find_file(app, "/index.html");
		if (app->index_html == NULL)
			return kc_err_set(err, KC_ENOTFOUND, "--web %s: there is no index.html",
					  opts->web_dir);
	}
	return kc__http_match_open(app, app->pool.all[0], err);
}

/* libmicrohttpd's messages on stderr, named as its; not the bind failure, which
 * kc_http_serve reports itself (with the address and what to do). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strncmp(msg, "Failed to bind", 14) == 0)
		return;
	size_t n = strlen(msg);
	fprintf(stderr, "kechan serve: libmicrohttpd: %s%s", msg,
		n > 0 && msg[n - 1] == '\n' ? "" : "\n");
}

int kc_http_serve(const struct kc_http_opts *opts, volatile sig_atomic_t *stop,
		  struct kc_err *err)
{
	struct kc_http_app app;
	struct MHD_Daemon *d = NULL;
	int rc = kc__http_app_open(&app, opts, err);
	if (rc < 0)
		goto cleanup;

	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)opts->port);
	const char *host = opts->host ? opts->host : "127.0.0.1";
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		rc = kc_err_set(err, KC_EINVAL, "--listen: '%s' is not an IPv4 address", host);
		goto cleanup;
	}
	unsigned threads = opts->threads ? opts->threads : 2;
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
		(uint16_t)opts->port, NULL, NULL, handle, &app,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first: it applies from here on */
		MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout ? opts->timeout : 30u,
		/* request line + headers fit in 32 KiB; MHD zeroes the pool for every request, so
		 * a bigger one costs time on each (64 KiB: ~6% of a small GET) */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_END);
	if (d == NULL) {
		rc = kc_err_set(err, KC_EBUSY, "cannot listen on %s:%u (in use, or not allowed)",
				host, opts->port);
		goto cleanup;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (opts->on_listen)
		opts->on_listen(opts->ud, info ? info->port : opts->port);
	while (!*stop) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* Stop accepting; MHD_stop_daemon waits for the requests in flight. */
	MHD_quiesce_daemon(d);
	rc = 0;
cleanup:
	if (d)
		MHD_stop_daemon(d);
	kc__http_app_free(&app);
	return rc;
}
