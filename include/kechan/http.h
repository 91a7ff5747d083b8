/* kechan http: the server (`kechan serve`): JSON API under /api/v1 over the store.
 *
 * This first part serves read-only endpoints to anonymous callers: every confidential demand is
 * anonymized (its owner removed) and user accounts are not served. Authentication, writes, the
 * OpenAPI document and the web UI come with the rest of the HTTP issue. */
#ifndef KECHAN_HTTP_H
#define KECHAN_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "kechan/core.h"

struct kc_http_opts {
	const char *db;       /* store url or path; borrowed */
	const char *host;     /* address to listen on, "127.0.0.1" by default */
	unsigned port;        /* 8080 by default; 0 = any free port (see kc_http_serve) */
	unsigned threads;     /* worker threads, each with its own store handle (0 = 2) */
	size_t max_body;      /* request body limit in bytes (0 = 1 MiB) */
	unsigned timeout;     /* seconds a connection may stay idle (0 = 30) */
	FILE *access_log;     /* one line per request, or NULL */
	/* Called once the server listens, with the port it got (for port 0); may be NULL. */
	void (*on_listen)(void *ud, unsigned port);
	void *ud;
};

/* Serves until *stop becomes non-zero (set it from a SIGTERM/SIGINT handler), then stops
 * accepting, lets running requests finish and returns 0. Returns a negative KC_E* code when it
 * cannot start (the port is taken: KC_EBUSY; the database is missing: KC_ENOTFOUND). */
KC_API int kc_http_serve(const struct kc_http_opts *opts, volatile sig_atomic_t *stop,
			 struct kc_err *err);

/* The HTTP status for a KC_E* code (one table for the whole server). */
KC_API unsigned kc_http_status(int code);

#endif
