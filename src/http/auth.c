/* http: who is calling. Passwords are argon2id hashes (libsodium's crypto_pwhash_str, its
 * interactive limits); a browser session is a random 256-bit secret in an HttpOnly,
 * SameSite=Strict cookie plus a CSRF token the page sends back in X-CSRF-Token; an API token is
 * a random 256-bit secret sent as "Authorization: Bearer kct_...". The store keeps only the
 * BLAKE2b-256 digest of each secret. Failed logins are counted per client address and per user
 * name; too many in a window answer 429 until it passes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "http_int.h"
#include "banned.h"

#define LIMIT_WINDOW 900       /* seconds */
#define LIMIT_PER_USER 5       /* failures per user name in a window */
#define LIMIT_PER_CLIENT 20    /* failures per client address in a window */
#define TOKEN_PREFIX "kct_"

static const char *const role_names[] = {"", "viewer", "reviewer", "org_member", "org_admin",
					 "admin"};

const char *kc__http_role_name(enum kc_role r)
{
	return r >= KC_ROLE_VIEWER && r <= KC_ROLE_ADMIN ? role_names[r] : "anonymous";
}

enum kc_role kc__http_role_parse(const char *s)
{
	for (int i = 1; s && i <= KC_ROLE_ADMIN; i++)
		if (strcmp(s, role_names[i]) == 0)
			return (enum kc_role)i;
	return KC_ROLE_NONE;
}

/* ---- secrets ---- */

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A new random secret as 64 hex digits in out[65]. */
static void new_secret(char *out)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	hex(raw, sizeof(raw), out);
	sodium_memzero(raw, sizeof(raw));
}

/* The digest the store keeps for a secret, 64 hex digits in out[65]. */
static void digest(const char *secret, size_t len, char *out)
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, len, NULL, 0);
	hex(h, sizeof(h), out);
}

int kc_http_password_hash(const char *pw, char *out, size_t cap, struct kc_err *err)
{
	if (cap < crypto_pwhash_STRBYTES)
		return kc_err_set(err, KC_EINTERNAL, "password hash buffer too small");
	if (sodium_init() < 0)
		return kc_err_set(err, KC_EINTERNAL, "libsodium failed to start");
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return kc_err_set(err, KC_ENOMEM, "out of memory hashing the password");
	return 0;
}

const char *kc_http_password_problem(const char *pw)
{
	size_t n = strlen(pw);
	if (!kc_utf8_valid(pw, n))
		return "the password is not valid UTF-8";
	if (n < 10)
		return "the password needs at least 10 characters";
	if (n > 256)
		return "the password is longer than 256 bytes";
	return NULL;
}

/* ---- the limiter ---- */

int kc__http_limiter_init(struct kc_limiter *l)
{
	memset(l, 0, sizeof(*l));
	return pthread_mutex_init(&l->mu, NULL) == 0 ? 0 : KC_ENOMEM;
}

void kc__http_limiter_free(struct kc_limiter *l)
{
	pthread_mutex_destroy(&l->mu);
}

static uint64_t limiter_key(const char *kind, const char *who)
{
	uint64_t h = kc_fnv1a(kind, strlen(kind), KC_FNV_OFFSET);
	h = kc_fnv1a(who, strlen(who), h);
	return h ? h : 1;
}

/* The slot of key (taking a free or expired one, else the oldest); under l->mu. */
static struct kc_limiter_slot *limiter_slot(struct kc_limiter *l, uint64_t key, int64_t now)
{
	size_t start = (size_t)(key % KC_LIMITER_SLOTS);
	struct kc_limiter_slot *victim = NULL;
	for (size_t i = 0; i < 16; i++) {
		struct kc_limiter_slot *s = &l->slots[(start + i) % KC_LIMITER_SLOTS];
		if (s->key == key)
			return s;
		if (s->key == 0 || now - s->window_start >= LIMIT_WINDOW) {
			if (victim == NULL || victim->key != 0)
				victim = s;
		} else if (victim == NULL || (victim->key != 0 &&
					      s->window_start < victim->window_start)) {
			victim = s;
		}
	}
	victim->key = key;
	victim->window_start = now;
	victim->failures = 0;
	return victim;
}

/* Seconds until key may try again (0 = now). */
static unsigned limiter_wait(struct kc_limiter *l, uint64_t key, int max, int64_t now)
{
	unsigned wait = 0;
	pthread_mutex_lock(&l->mu);
	struct kc_limiter_slot *s = limiter_slot(l, key, now);
	if (now - s->window_start >= LIMIT_WINDOW) {
		s->window_start = now;
		s->failures = 0;
	}
	if (s->failures >= max)
		wait = (unsigned)(LIMIT_WINDOW - (now - s->window_start));
	pthread_mutex_unlock(&l->mu);
	return wait;
}

static void limiter_fail(struct kc_limiter *l, uint64_t key, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	limiter_slot(l, key, now)->failures++;
	pthread_mutex_unlock(&l->mu);
}

static void limiter_clear(struct kc_limiter *l, uint64_t key, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	limiter_slot(l, key, now)->failures = 0;
	pthread_mutex_unlock(&l->mu);
}

/* ---- the caller ---- */

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* Fills u from a user record; -1 when the record has no usable role. */
static int user_from(struct kc_http_user *u, const json_t *rec)
{
	u->role = kc__http_role_parse(json_string_value(json_object_get(rec, "role")));
	if (u->role == KC_ROLE_NONE)
		return -1;
	copy(u->id, sizeof(u->id), json_string_value(json_object_get(rec, "id")));
	copy(u->org_id, sizeof(u->org_id), json_string_value(json_object_get(rec, "org_id")));
	copy(u->name, sizeof(u->name), json_string_value(json_object_get(rec, "name")));
	return 0;
}

/* The value of cookie name in a Cookie header into out[cap]; 0 when found. */
static int cookie_value(const char *header, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = header;
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl >= cap)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

int kc__http_authenticate(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	char secret[80], h[65];
	const char *kind = NULL;
	memset(&q->user, 0, sizeof(q->user));
	if (q->authorization != NULL) {
		const char *a = q->authorization;
		if (strncmp(a, "Bearer ", 7) != 0 || strncmp(a + 7, TOKEN_PREFIX, 4) != 0 ||
		    strlen(a + 11) != 64) {
			kc__http_error(r, 401, "Authorization",
				       "Authorization must be 'Bearer kct_<64 hex digits>'");
			return -1;
		}
		copy(secret, sizeof(secret), a + 11);
		kind = "token";
	} else if (q->cookie != NULL &&
		   cookie_value(q->cookie, "kc_session", secret, sizeof(secret)) == 0 &&
		   strlen(secret) == 64) {
		kind = "session";
	} else {
		return 0;
	}
	digest(secret, strlen(secret), h);
	sodium_memzero(secret, sizeof(secret));
	json_t *cred = NULL, *user = NULL;
	int rc = kc_store_cred_get(q->st, kind, h, now_s(), &cred, &err);
	if (rc == 0)
		rc = kc_store_get(q->st, kc_entity_def(KC_ENT_USER),
				  json_string_value(json_object_get(cred, "user_id")), &user, &err);
	if (rc == 0 && user_from(&q->user, user) == 0) {
		q->user.via_token = strcmp(kind, "token") == 0;
		copy(q->user.csrf, sizeof(q->user.csrf),
		     json_string_value(json_object_get(cred, "csrf")));
		copy(q->user.session, sizeof(q->user.session), h);
	} else {
		memset(&q->user, 0, sizeof(q->user));
	}
	json_decref(cred);
	json_decref(user);
	if (rc != 0 && rc != KC_ENOTFOUND) {
		kc__http_fail(r, rc, &err);
		return -1;
	}
	if (q->user.role == KC_ROLE_NONE && strcmp(kind, "token") == 0) {
		/* A machine with a revoked or unknown token should hear so, not get anonymous data. */
		kc__http_error(r, 401, "Authorization", "the API token is not valid (revoked?)");
		return -1;
	}
	return 0;
}

int kc__http_check_csrf(struct kc_http_req *q, struct kc_http_reply *r)
{
	if (q->user.role == KC_ROLE_NONE || q->user.via_token)
		return 0;
	const char *m = q->method;
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return 0;
	size_t n = strlen(q->user.csrf);
	if (q->csrf_header == NULL || n == 0 || strlen(q->csrf_header) != n ||
	    sodium_memcmp(q->csrf_header, q->user.csrf, n) != 0) {
		kc__http_error(r, 403, "X-CSRF-Token",
			       "this request needs the header X-CSRF-Token from the sign-in answer");
		return -1;
	}
	return 0;
}

json_t *kc__http_user_json(struct kc_store *st, const json_t *user)
{
	json_t *out = json_copy((json_t *)user);
	if (out == NULL)
		return NULL;
	const char *org = json_string_value(json_object_get(user, "org_id"));
	json_t *o = NULL;
	if (org && kc_store_get(st, kc_entity_def(KC_ENT_ORG), org, &o, NULL) == 0) {
		json_t *sn = json_object_get(o, "short_name");
		json_object_set(out, "org_name", sn ? sn : json_object_get(o, "name"));
	}
	json_decref(o);
	return out;
}

/* ---- routes ---- */

/* Finds a user by id or e-mail: *out a new reference, or NULL. */
static int find_user(struct kc_store *st, const char *who, json_t **out, struct kc_err *err)
{
	const struct kc_entity_def *def = kc_entity_def(KC_ENT_USER);
	*out = NULL;
	int rc = kc_store_get(st, def, who, out, err);
	if (rc != KC_ENOTFOUND)
		return rc;
	struct kc_query qq = {.field = "email", .value = who, .limit = 2};
	json_t *found = json_array();
	rc = kc_store_each(st, def, &qq, kc__http_collect, found, err);
	if (rc == 0 && json_array_size(found) == 1)
		*out = json_incref(json_array_get(found, 0));
	json_decref(found);
	return rc;
}

/* Whether too many passwords failed lately for the user key or the client key: then r holds
 * a 429 with Retry-After and the caller stops. */
static int throttled(struct kc_http_req *q, struct kc_http_reply *r, uint64_t kuser,
		     uint64_t kclient, int64_t now)
{
	unsigned wait = limiter_wait(&q->app->limiter, kuser, LIMIT_PER_USER, now);
	unsigned wc = limiter_wait(&q->app->limiter, kclient, LIMIT_PER_CLIENT, now);
	if (wc > wait)
		wait = wc;
	if (wait == 0)
		return 0;
	r->retry_after = wait;
	kc__http_error(r, 429, NULL, "too many wrong passwords; try again in %u s", wait);
	return 1;
}

static void login(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *body = kc__http_body(q, r), *user = NULL;
	char *hash = NULL;
	if (body == NULL)
		return;
	const char *who = json_string_value(json_object_get(body, "user"));
	const char *pw = json_string_value(json_object_get(body, "password"));
	if (who == NULL || *who == '\0' || strlen(who) > 256) {
		kc__http_error(r, 400, "user", "give the user id or e-mail as \"user\"");
		goto out;
	}
	if (pw == NULL || strlen(pw) > 256) {
		kc__http_error(r, 400, "password", "give the password as \"password\"");
		goto out;
	}
	int64_t now = now_s();
	uint64_t kuser = limiter_key("user:", who), kclient = limiter_key("ip:", kc__http_client(q));
	if (throttled(q, r, kuser, kclient, now))
		goto out;
	int rc = find_user(q->st, who, &user, &err);
	if (rc == 0 && user != NULL)
		rc = kc_store_password_get(q->st, json_string_value(json_object_get(user, "id")),
					   &hash, &err);
	if (rc != 0 && rc != KC_ENOTFOUND) {
		kc__http_fail(r, rc, &err);
		goto out;
	}
	/* Verify against a real hash even for unknown users, so timing tells nothing. */
	int ok = crypto_pwhash_str_verify(hash ? hash : q->app->dummy_hash, pw, strlen(pw)) == 0 &&
		 hash != NULL;
	struct kc_http_user u;
	memset(&u, 0, sizeof(u));
	if (!ok || user_from(&u, user) != 0) {
		limiter_fail(&q->app->limiter, kuser, now);
		limiter_fail(&q->app->limiter, kclient, now);
		kc__http_error(r, 401, NULL, "wrong user or password");
		goto out;
	}
	limiter_clear(&q->app->limiter, kuser, now);
	char secret[65], h[65], csrf[65];
	new_secret(secret);
	new_secret(csrf);
	digest(secret, 64, h);
	struct kc_cred c = {"session", h, u.id, NULL, csrf, now + KC_HTTP_SESSION_SECONDS};
	kc_store_cred_purge(q->st, now, NULL);
	if ((rc = kc_store_cred_put(q->st, &c, &err)) != 0) {
		kc__http_fail(r, rc, &err);
		goto out;
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 "kc_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", secret,
		 KC_HTTP_SESSION_SECONDS);
	sodium_memzero(secret, sizeof(secret));
	kc__http_json_new(r, json_pack("{s:o, s:s}", "user", kc__http_user_json(q->st, user),
				       "csrf", csrf));
out:
	kc_free(hash);
	json_decref(user);
	json_decref(body);
}

struct sessions {
	char keep[17]; /* the caller's own session handle */
	json_t *ids;   /* the others' */
};

static int other_session(void *ud, const json_t *c)
{
	struct sessions *s = ud;
	const char *id = json_string_value(json_object_get(c, "id"));
	if (id && strcmp(id, s->keep) != 0)
		return json_array_append_new(s->ids, json_string(id)) == 0 ? 0 : KC_ENOMEM;
	return 0;
}

/* POST auth/password {"current", "new"}: the caller changes their own password. The current
 * one is checked (failures count toward the sign-in limits); on success the new hash, its
 * event and the end of the user's other browser sessions are one transaction. */
static void password_change(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *body = kc__http_body(q, r);
	char *hash = NULL;
	struct sessions others = {"", NULL};
	if (body == NULL)
		return;
	const char *cur = json_string_value(json_object_get(body, "current"));
	const char *pw = json_string_value(json_object_get(body, "new"));
	if (cur == NULL || strlen(cur) > 256) {
		kc__http_error(r, 400, "current", "give the current password as \"current\"");
		goto out;
	}
	if (pw == NULL) {
		kc__http_error(r, 400, "new", "give the new password as \"new\"");
		goto out;
	}
	const char *why = kc_http_password_problem(pw);
	if (why != NULL) {
		kc__http_error(r, 422, "new", "%s", why);
		goto out;
	}
	int64_t now = now_s();
	uint64_t kuser = limiter_key("user:", q->user.id), kclient = limiter_key("ip:", kc__http_client(q));
	if (throttled(q, r, kuser, kclient, now))
		goto out;
	int rc = kc_store_password_get(q->st, q->user.id, &hash, &err);
	if (rc != 0 && rc != KC_ENOTFOUND) {
		kc__http_fail(r, rc, &err);
		goto out;
	}
	if (crypto_pwhash_str_verify(hash ? hash : q->app->dummy_hash, cur, strlen(cur)) != 0 ||
	    hash == NULL) {
		limiter_fail(&q->app->limiter, kuser, now);
		limiter_fail(&q->app->limiter, kclient, now);
		kc__http_error(r, 403, "current", "the current password is wrong");
		goto out;
	}
	limiter_clear(&q->app->limiter, kuser, now);
	char fresh[128];
	if ((rc = kc_http_password_hash(pw, fresh, sizeof(fresh), &err)) != 0) {
		kc__http_fail(r, rc, &err);
		goto out;
	}
	if (!q->user.via_token)
		memcpy(others.keep, q->user.session, 16);
	if ((others.ids = json_array()) == NULL) {
		rc = kc_err_set(&err, KC_ENOMEM, "out of memory");
		kc__http_fail(r, rc, &err);
		goto out;
	}
	if ((rc = kc_store_begin(q->st, &err)) == 0) {
		rc = kc_store_password_set(q->st, q->user.id, fresh, q->user.id, &err);
		if (rc == 0)
			rc = kc_store_cred_list(q->st, "session", q->user.id, now, other_session,
						&others, &err);
		size_t i;
		json_t *id;
		json_array_foreach(others.ids, i, id) {
			if (rc == 0)
				rc = kc_store_cred_delete(q->st, "session", NULL,
							  json_string_value(id), q->user.id, &err);
		}
		rc = rc == 0 ? kc_store_commit(q->st, &err) : (kc_store_rollback(q->st), rc);
	}
	sodium_memzero(fresh, sizeof(fresh));
	if (rc != 0)
		kc__http_fail(r, rc, &err);
	else
		r->status = 204;
out:
	kc_free(hash);
	json_decref(others.ids);
	json_decref(body);
}

static void me(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	if (q->user.role == KC_ROLE_NONE) {
		kc__http_error(r, 401, NULL, "not signed in");
		return;
	}
	json_t *user = NULL;
	int rc = kc_store_get(q->st, kc_entity_def(KC_ENT_USER), q->user.id, &user, &err);
	if (rc != 0) {
		kc__http_fail(r, rc, &err);
		return;
	}
	json_t *out = json_pack("{s:o}", "user", kc__http_user_json(q->st, user));
	if (out && !q->user.via_token)
		json_object_set_new(out, "csrf", json_string(q->user.csrf));
	json_decref(user);
	kc__http_json_new(r, out);
}

static void logout(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	if (q->user.role != KC_ROLE_NONE && !q->user.via_token) {
		int rc = kc_store_cred_delete(q->st, "session", q->user.session, NULL, NULL, &err);
		if (rc != 0 && rc != KC_ENOTFOUND) {
			kc__http_fail(r, rc, &err);
			return;
		}
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 "kc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	r->status = 204;
}

static void token_create(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *body = kc__http_body(q, r);
	if (body == NULL)
		return;
	const char *name = json_string_value(json_object_get(body, "name"));
	if (name == NULL || *name == '\0' || kc_utf8_count(name, strlen(name)) > 100) {
		kc__http_error(r, 422, "name", "a token needs a name of 1-100 characters");
		json_decref(body);
		return;
	}
	char secret[65], h[65], token[70];
	new_secret(secret);
	digest(secret, 64, h);
	snprintf(token, sizeof(token), TOKEN_PREFIX "%s", secret);
	struct kc_cred c = {"token", h, q->user.id, name, NULL, 0};
	int rc = kc_store_cred_put(q->st, &c, &err);
	if (rc == 0)
		rc = kc_store_event(q->st, q->user.id, "user", q->user.id, "token_create", NULL,
				    &err);
	if (rc != 0) {
		kc__http_fail(r, rc, &err);
	} else {
		char id[17];
		memcpy(id, h, 16);
		id[16] = '\0';
		r->status = 201;
		kc__http_json_new(r, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "token",
					       token));
	}
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(token, sizeof(token));
	json_decref(body);
}

static void token_list(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *items = json_array();
	int rc = kc_store_cred_list(q->st, "token", q->user.id, now_s(), kc__http_collect, items,
				    &err);
	if (rc != 0) {
		json_decref(items);
		kc__http_fail(r, rc, &err);
		return;
	}
	kc__http_json_new(r, json_pack("{s:o}", "items", items));
}

static void token_delete(struct kc_http_req *q, struct kc_http_reply *r, const char *id)
{
	struct kc_err err = KC_ERR_INIT;
	int rc = kc_store_cred_delete(q->st, "token", NULL, id,
				      q->user.role == KC_ROLE_ADMIN ? NULL : q->user.id, &err);
	if (rc == 0)
		rc = kc_store_event(q->st, q->user.id, "user", q->user.id, "token_delete", NULL,
				    &err);
	if (rc != 0)
		kc__http_fail(r, rc, &err);
	else
		r->status = 204;
}

void kc__http_auth_route(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	const char *m = q->method;
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	if (strcmp(rest, "login") == 0) {
		if (strcmp(m, "POST") != 0)
			goto not_allowed;
		login(q, r);
	} else if (strcmp(rest, "me") == 0) {
		if (!get)
			goto not_allowed;
		me(q, r);
	} else if (strcmp(rest, "logout") == 0) {
		if (strcmp(m, "POST") != 0)
			goto not_allowed;
		logout(q, r);
	} else if (strcmp(rest, "password") == 0) {
		if (strcmp(m, "POST") != 0)
			goto not_allowed;
		if (q->user.role == KC_ROLE_NONE) {
			kc__http_error(r, 401, NULL, "sign in to change your password");
			return;
		}
		password_change(q, r);
	} else if (strcmp(rest, "tokens") == 0 || strncmp(rest, "tokens/", 7) == 0) {
		if (q->user.role == KC_ROLE_NONE) {
			kc__http_error(r, 401, NULL, "sign in to manage API tokens");
			return;
		}
		const char *id = rest[6] == '/' ? rest + 7 : NULL;
		if (id == NULL && get)
			token_list(q, r);
		else if (id == NULL && strcmp(m, "POST") == 0)
			token_create(q, r);
		else if (id != NULL && *id && strcmp(m, "DELETE") == 0)
			token_delete(q, r, id);
		else
			goto not_allowed;
	} else {
		kc__http_error(r, 404, NULL, "no such auth resource '%s'", rest);
	}
	return;
not_allowed:
	r->allow = strcmp(rest, "me") == 0		 ? "GET, HEAD"
		   : strcmp(rest, "tokens") == 0	 ? "GET, HEAD, POST"
		   : strncmp(rest, "tokens/", 7) == 0 ? "DELETE"
						      : "POST";
	kc__http_error(r, 405, NULL, "%s is not allowed here", m);
}
