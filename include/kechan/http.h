/* kechan http: the server (`kechan serve`): JSON API under /api/v1 over the store.
 *
 * The API is described in docs/api.md and, machine-readable, docs/openapi.json (served at
 * /api/v1/openapi.json). Users sign in with argon2id-hashed passwords (browser sessions with a
 * CSRF token) or bearer API tokens; roles admin, org_admin, org_member, reviewer, viewer; a
 * confidential demand's owner is shown only to its org and admins. The built web UI (web/dist)
 * is served at / when opts.web_dir is given. */
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
	const char *web_dir;  /* the built web UI (web/dist) served at /, or NULL: API only */
	unsigned reload;      /* seconds between looks at DB.assoc and DB.lsa, reloaded when
				 `kechan match assoc` rewrote them (0 = 10) */
	/* Called once the server listens, with the port it got (for port 0); may be NULL. */
	void (*on_listen)(void *ud, unsigned port);
	void *ud;
};

/* Serves until *stop becomes non-zero (set it from a SIGTERM/SIGINT handler), then stops
 * accepting, lets running requests finish and returns 0. Returns a negative KC_E* code when it
 * cannot start (the port is taken: KC_EBUSY; the database is missing: KC_ENOTFOUND). */
KC_API int kc_http_serve(const struct kc_http_opts *opts, volatile sig_atomic_t *stop,
			 struct kc_err *err);

/* Hashes a password for kc_store_password_set: argon2id (libsodium's crypto_pwhash_str with its
 * interactive limits) into out (cap >= 128). */
KC_API int kc_http_password_hash(const char *pw, char *out, size_t cap, struct kc_err *err);
/* The password rules (10..256 bytes of valid UTF-8): NULL when pw follows them, else why
 * (static text). */
KC_API const char *kc_http_password_problem(const char *pw);

/* The HTTP status for a KC_E* code (one table for the whole server). */
KC_API unsigned kc_http_status(int code);

#endif
