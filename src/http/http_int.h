/* http internals: a request as the router sees it, and the reply it fills. */
#ifndef KC_HTTP_INT_H
#define KC_HTTP_INT_H

#include "kechan/http.h"
#include "kechan/store.h"

#define KC_HTTP_MAX_URL 4096
#define KC_HTTP_MAX_ARGS 32
#define KC_HTTP_MAX_PAGE 200

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
	struct kc_store *st; /* borrowed from the pool for this request */
};

struct kc_http_reply {
	unsigned status;
	struct kc_buf body;
	const char *content_type; /* static */
};

void kc__http_reply_init(struct kc_http_reply *r);
/* Sets r to {"error": {"code", "message", "field"}} with status; returns 0 (or KC_ENOMEM). */
int kc__http_error(struct kc_http_reply *r, unsigned status, const char *field, const char *fmt,
		   ...) KC_PRINTF(4, 5);
/* Sets r's body to j (compact JSON). */
int kc__http_json(struct kc_http_reply *r, const json_t *j);
/* The value of query parameter key, or NULL. */
const char *kc__http_arg(const struct kc_http_req *q, const char *key);
/* Answers one GET request. */
void kc__http_route(struct kc_http_req *q, struct kc_http_reply *r);

#endif
