/* http internals: the server's shared state, a request as the router sees it, the reply it
 * fills, and the parts (auth, records, match, chain, static files) that answer it. */
#ifndef KC_HTTP_INT_H
#define KC_HTTP_INT_H

#include <pthread.h>

#include "kechan/http.h"
#include "kechan/index.h"
#include "kechan/store.h"
#include "kechan/text.h"

#define KC_HTTP_MAX_URL 4096
#define KC_HTTP_MAX_ARGS 32
#define KC_HTTP_MAX_PAGE 200
#define KC_HTTP_SESSION_SECONDS (8 * 3600)
/* Significant digits of reals in answers: enough for scores, and exact for amounts up to 10^9
 * with a decimal; printing 17 digits cost ~8% of a match answer. */
#define KC_HTTP_PRECISION 10

/* ---- the caller ---- */

enum kc_role {
	KC_ROLE_NONE = 0, /* anonymous */
	KC_ROLE_VIEWER,
	KC_ROLE_REVIEWER,
	KC_ROLE_ORG_MEMBER,
	KC_ROLE_ORG_ADMIN,
	KC_ROLE_ADMIN,
};

struct kc_http_user {
	enum kc_role role; /* KC_ROLE_NONE: anonymous, the other fields are empty */
	char id[KC_LIMIT_ID * 4 + 1];
	char org_id[KC_LIMIT_ID * 4 + 1]; /* "" when the user belongs to no org */
	char name[KC_LIMIT_NAME * 4 + 1];
	int via_token;      /* signed in with a bearer token (no CSRF check) */
	char csrf[65];      /* the session's CSRF token */
	char session[65];   /* the session's hash (for logout) */
};

/* ---- login rate limiting: failures per client address and per user name in a window ---- */

#define KC_LIMITER_SLOTS 1024
struct kc_limiter_slot {
	uint64_t key; /* hash of "ip:..." or "user:..."; 0 = free */
	int64_t window_start;
	int failures;
};
struct kc_limiter {
	pthread_mutex_t mu;
	struct kc_limiter_slot slots[KC_LIMITER_SLOTS];
};

/* ---- static files of the web UI, read into memory at start ---- */

struct kc_http_file {
	char *path; /* "/index.html", "/assets/index-1a2b.js" */
	char *data;
	size_t len;
	const char *type; /* static */
	int immutable;    /* under /assets/: names carry a content hash */
};

/* ---- the server ---- */

struct kc_http_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct kc_store **free;
	unsigned nfree, n;
	struct kc_store **all;
};

/* The matching state: the analyzer and the index over the store, kept current by the
 * server's own writes and rebuilt when another process changed the store. */
struct kc_http_match {
	pthread_rwlock_t lock;
	struct kc_text *base, *text;
	struct kc_index *ix;
	int64_t version; /* the store's data version the index reflects */
	char *snapshot;  /* DB.index beside an SQLite file, or NULL */
	struct kc_assoc *assoc; /* DB.assoc (kechan match assoc) when there is one: expansion */
	struct kc_lsa *lsa;     /* DB.lsa (kechan match assoc) when there is one: reranking */
	struct kc_match_vecs *vecs; /* the records' field vectors, for the index ix (replaced
				       with it) */
	/* DB.assoc and DB.lsa (NULL for a server database): looked at again at most every
	 * reload_ms (kc_http_opts.reload), reloaded when their modification time changed */
	char *assoc_path, *lsa_path;
	int64_t reload_ms;
	pthread_mutex_t reload_mu; /* one looks at a time */
	int64_t assoc_mtime, lsa_mtime; /* ns; 0 = no file */
	_Atomic int64_t next_check;     /* kc_now() in ms */
	/* Display names of orgs and chain nodes for answers ("org:ID" / "node:ID" → name), valid
	 * for one data version: cleared when the store moves on. */
	pthread_mutex_t names_lock;
	json_t *names;
	int64_t names_version;
};

struct kc_http_app {
	const struct kc_http_opts *opts;
	struct kc_http_pool pool;
	pthread_mutex_t log_mu;
	struct kc_limiter limiter;
	struct kc_http_match match;
	struct kc_http_file *files;
	size_t nfiles;
	const struct kc_http_file *index_html; /* the UI's entry, or NULL when not built */
	char dummy_hash[128]; /* verified against when a user is unknown (even timing) */
};

/* ---- a request and its reply ---- */

struct kc_http_arg {
	const char *key;
	const char *value;
};

struct kc_http_req {
	const char *method;
	const char *path;
	struct kc_http_arg args[KC_HTTP_MAX_ARGS];
	int nargs;
	int too_many_args;
	const char *body; /* NULL when none; NUL-terminated */
	size_t body_len;
	const char *cookie, *authorization, *csrf_header, *content_type; /* headers or NULL */
	char client[64];  /* the peer's address: kc__http_client() fills it on first use */
	struct MHD_Connection *conn;
	struct kc_http_user user;
	struct kc_store *st; /* borrowed from the pool for this request */
	struct kc_http_app *app;
	const char *rest; /* the path after /api/v1/ */
};

struct kc_http_reply {
	unsigned status;
	struct kc_buf body;
	const char *content_type; /* static */
	char set_cookie[256];     /* "" = none */
	unsigned retry_after;     /* seconds, 0 = none */
	const char *allow;        /* the Allow header of a 405, static */
	int cache_immutable;      /* static files with hashed names */
	const struct kc_http_file *file; /* answer with this file (body unused) */
};

void kc__http_reply_init(struct kc_http_reply *r);
/* Sets r to {"error": {"code", "message", "field"}} with status; returns 0 (or KC_ENOMEM). */
int kc__http_error(struct kc_http_reply *r, unsigned status, const char *field, const char *fmt,
		   ...) KC_PRINTF(4, 5);
/* Sets r to a 422 with the problems of details ([{field, message}], stolen). */
int kc__http_invalid(struct kc_http_reply *r, json_t *details, const char *fmt, ...)
	KC_PRINTF(3, 4);
/* Appends j to out as json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(precision)) writes it (json.c); precision is 1-17. Returns 0, KC_ENOMEM,
 * or KC_EINVAL (a bad precision, nesting deeper than 4096); on failure out is as it was. */
int kc__http_dump(struct kc_buf *out, const json_t *j, int precision);
/* Appends s[0..n) (valid UTF-8) as a JSON string, escaped as kc__http_dump does. 0 or
 * KC_ENOMEM (then out may hold part of it). */
int kc__http_dump_string(struct kc_buf *out, const char *s, size_t n);
/* Appends v in decimal (printf's %lld cost more than writing the whole result it numbered). */
int kc__http_dump_int(struct kc_buf *out, int64_t v);
/* Sets r's body to j (compact JSON), status unchanged. */
int kc__http_json(struct kc_http_reply *r, const json_t *j);
/* kc__http_json then json_decref(j); j NULL = out of memory. */
int kc__http_json_new(struct kc_http_reply *r, json_t *j);
/* The error reply for a failed store or library call. */
void kc__http_fail(struct kc_http_reply *r, int rc, const struct kc_err *err);
/* The peer's address as text ("127.0.0.1"; "?" when unknown), in q->client (formatted once:
 * most requests never ask). */
const char *kc__http_client(struct kc_http_req *q);
/* The value of query parameter key, or NULL. */
const char *kc__http_arg(const struct kc_http_req *q, const char *key);
/* Parses the request body as a JSON object; on failure fills r (400) and returns NULL.
 * The result is a new reference. */
json_t *kc__http_body(struct kc_http_req *q, struct kc_http_reply *r);
/* A kc_record_fn appending a copy of each record to the array ud. */
int kc__http_collect(void *ud, const json_t *rec);
/* Parses an integer parameter in [lo, hi]; -1 when malformed. */
int kc__http_int(const char *s, int64_t lo, int64_t hi, int64_t *out);

/* Answers one request (server.c calls it with a store from the pool). */
void kc__http_route(struct kc_http_req *q, struct kc_http_reply *r);

/* The server's state for opts (borrowed; kept until kc__http_app_free): the store pool, the
 * web UI's files, the index over the store. kc_http_serve opens one; so does fuzz/fuzz_http.c,
 * without a listening socket. kc__http_app_free also frees an app whose open failed. */
int kc__http_app_open(struct kc_http_app *app, const struct kc_http_opts *opts,
		      struct kc_err *err);
void kc__http_app_free(struct kc_http_app *app);
/* Answers req into reply (initialized by kc__http_reply_init): the checks every request passes
 * (URL length and UTF-8, bad_utf8_args: a query parameter was not UTF-8, too many of them,
 * too_large: the body's limit when the body exceeded it, else 0), then the static files or the
 * API (authentication, CSRF, kc__http_route). req->conn may be NULL. */
void kc__http_dispatch(struct kc_http_app *app, struct kc_http_req *req, int bad_utf8_args,
		       size_t too_large, struct kc_http_reply *reply);

/* ---- auth.c ---- */

int kc__http_limiter_init(struct kc_limiter *l);
void kc__http_limiter_free(struct kc_limiter *l);
/* Fills q->user from the session cookie or bearer token (anonymous when neither is valid).
 * Returns 0, or fills r (401 for a bad token) and returns -1. */
int kc__http_authenticate(struct kc_http_req *q, struct kc_http_reply *r);
/* For unsafe methods from a browser session: the CSRF header must match. 0 or fills r (403). */
int kc__http_check_csrf(struct kc_http_req *q, struct kc_http_reply *r);
/* The /api/v1/auth/... routes. */
void kc__http_auth_route(struct kc_http_req *q, struct kc_http_reply *r, const char *rest);
/* A user record as the API shows it (no secrets), with org_name. New reference. */
json_t *kc__http_user_json(struct kc_store *st, const json_t *user);
enum kc_role kc__http_role_parse(const char *s);
const char *kc__http_role_name(enum kc_role r);

/* ---- visibility (api.c) ---- */

/* What q->user may see of rec (a record of def): NULL when nothing (the record is hidden from
 * this caller), else a new reference, a confidential demand without its owner for everyone but
 * its org and admins. The result may be rec itself (a reference more, no copy: a copy of each
 * record cost ~5% of a small GET), so neither may be changed afterwards; only a match record
 * comes back as a copy of its own. */
json_t *kc__http_view(const struct kc_http_req *q, const struct kc_entity_def *def,
		      const json_t *rec);
/* Whether q->user sees who owns a confidential demand of org_id. */
int kc__http_sees_owner(const struct kc_http_req *q, const char *org_id);

/* ---- api_match.c ---- */

int kc__http_match_open(struct kc_http_app *app, struct kc_store *st, struct kc_err *err);
void kc__http_match_close(struct kc_http_app *app);
/* Keeps the index current after this server wrote rec (NULL: deleted id) in a transaction that
 * took the store's data version from before to after. */
void kc__http_match_update(struct kc_http_req *q, const struct kc_entity_def *def,
			   const char *id, const json_t *rec, int64_t before, int64_t after);
void kc__http_match_route(struct kc_http_req *q, struct kc_http_reply *r, const char *rest);
void kc__http_search(struct kc_http_req *q, struct kc_http_reply *r);
void kc__http_feedback(struct kc_http_req *q, struct kc_http_reply *r);

/* ---- api_chain.c ---- */

/* /api/v1/chains/{id}/{analysis}; rest is what follows "chains/". */
void kc__http_chain_route(struct kc_http_req *q, struct kc_http_reply *r, const char *id,
			  const char *analysis);
void kc__http_regions(struct kc_http_req *q, struct kc_http_reply *r);

/* ---- the route table (api.c), for the router and the OpenAPI test ---- */

struct kc_http_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/{type}/{id}" as in docs/openapi.json */
};
const struct kc_http_route *kc__http_routes(size_t *n);

/* The OpenAPI document (generated from docs/openapi.json at build time). */
extern const unsigned char kc__openapi_doc[];
extern const unsigned long kc__openapi_doc_len;

#endif
