/* http: the libmicrohttpd daemon, a pool of store handles (one per worker thread), request
 * limits, security headers, JSON errors, the access log and graceful shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

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
	case 422: return "invalid";
	case 503: return "unavailable";
	default: return "internal";
	}
}

/* ---- the store pool ---- */

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct kc_store **free;
	unsigned nfree, n;
	struct kc_store **all;
};

static int pool_open(struct pool *p, const char *db, unsigned n, struct kc_err *err)
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

static void pool_close(struct pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		kc_store_close(p->all[i]);
	kc_free(p->all);
	kc_free(p->free);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

static struct kc_store *pool_take(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	struct kc_store *st = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	return st;
}

static void pool_give(struct pool *p, struct kc_store *st)
{
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = st;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* ---- requests ---- */

struct server {
	const struct kc_http_opts *opts;
	struct pool pool;
	pthread_mutex_t log_mu;
};

struct request {
	double t0;
	int answered;
};

void kc__http_reply_init(struct kc_http_reply *r)
{
	r->status = 200;
	kc_buf_init(&r->body, 0);
	r->content_type = "application/json; charset=utf-8";
}

int kc__http_error(struct kc_http_reply *r, unsigned status, const char *field, const char *fmt,
		   ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *j = json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", error_name(status), "message",
			      msg, "field", field);
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	kc_buf_reset(&r->body);
	r->status = status;
	r->content_type = "application/json; charset=utf-8";
	if (txt == NULL || kc_buf_adds(&r->body, txt) < 0) {
		free(txt);
		r->status = 500;
		return KC_ENOMEM;
	}
	free(txt);
	return 0;
}

int kc__http_json(struct kc_http_reply *r, const json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (txt == NULL)
		return kc__http_error(r, 500, NULL, "out of memory");
	kc_buf_reset(&r->body);
	int rc = kc_buf_adds(&r->body, txt);
	free(txt);
	return rc < 0 ? kc__http_error(r, 500, NULL, "out of memory") : 0;
}

static void add_security_headers(struct MHD_Response *resp, const char *content_type)
{
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; object-src 'none'");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
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

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	struct server *srv = cls;
	struct request *rq = *con_cls;
	if (rq == NULL) {
		rq = kc_calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		rq->t0 = kc_now();
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* Bodies are refused below (read-only API); drop what arrives. */
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct kc_http_reply reply;
	kc__http_reply_init(&reply);
	struct kc_http_req req;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	struct args_ctx actx = {&req, 0};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &actx);

	if (strlen(url) > KC_HTTP_MAX_URL) {
		kc__http_error(&reply, 414, NULL, "the URL is longer than %d bytes", KC_HTTP_MAX_URL);
	} else if (!kc_utf8_valid(url, strlen(url)) || actx.bad_utf8) {
		kc__http_error(&reply, 400, NULL, "the URL is not valid UTF-8");
	} else if (req.too_many_args) {
		kc__http_error(&reply, 400, NULL, "more than %d query parameters",
			       KC_HTTP_MAX_ARGS);
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		kc__http_error(&reply, 405, NULL,
			       "%s is not allowed: this server is read-only for now", method);
	} else {
		struct kc_store *st = pool_take(&srv->pool);
		req.st = st;
		kc__http_route(&req, &reply);
		pool_give(&srv->pool, st);
	}

	struct MHD_Response *resp = MHD_create_response_from_buffer(
		reply.body.len, reply.body.ptr ? reply.body.ptr : (char *)"",
		reply.body.ptr ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	size_t bytes = reply.body.len;
	reply.body.ptr = NULL; /* owned by the response now */
	if (resp == NULL) {
		kc_buf_release(&reply.body);
		return MHD_NO;
	}
	add_security_headers(resp, reply.content_type);
	if (reply.status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, reply.status, resp);
	MHD_destroy_response(resp);
	rq->answered = 1;

	if (srv->opts->access_log) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		pthread_mutex_lock(&srv->log_mu);
		fprintf(srv->opts->access_log, "%s %s %s %u %zu %.0fus\n", when, method, url,
			reply.status, bytes, (kc_now() - rq->t0) * 1e6);
		fflush(srv->opts->access_log);
		pthread_mutex_unlock(&srv->log_mu);
	}
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	kc_free(*con_cls);
	*con_cls = NULL;
}

int kc_http_serve(const struct kc_http_opts *opts, volatile sig_atomic_t *stop,
		  struct kc_err *err)
{
	struct server srv;
	struct MHD_Daemon *d = NULL;
	memset(&srv, 0, sizeof(srv));
	srv.opts = opts;
	pthread_mutex_init(&srv.log_mu, NULL);
	unsigned threads = opts->threads ? opts->threads : 2;
	int rc = pool_open(&srv.pool, opts->db, threads, err);
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
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
		(uint16_t)opts->port, NULL, NULL, handle, &srv, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout ? opts->timeout : 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
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
	pool_close(&srv.pool);
	pthread_mutex_destroy(&srv.log_mu);
	return rc;
}
