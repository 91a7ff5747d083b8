/* http: matching over the server's index. The index is loaded from its snapshot beside the
 * database (DB.index, as the CLI keeps it) or built from the store at start; the server's own
 * writes update it in place; a change by another process (an import from the CLI) is noticed
 * by the store's data version and the index is rebuilt before the next query. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kechan/codes.h"
#include "kechan/match.h"
#include "http_int.h"
#include "banned.h"

#define MAX_NODES 32

static int build(struct kc_http_match *m, struct kc_store *st, struct kc_err *err)
{
	struct kc_index *ix = NULL;
	struct kc_err lerr = KC_ERR_INIT;
	int64_t version = kc_store_data_version(st, err);
	if (version < 0)
		return (int)version;
	if (m->snapshot && m->ix == NULL &&
	    kc_index_load(&ix, m->text, m->snapshot, version, &lerr) == 0)
		goto done;
	int rc = kc_index_new(&ix, m->text, err);
	if (rc == 0)
		rc = kc_index_build(ix, st, err);
	if (rc != 0) {
		kc_index_free(ix);
		return rc;
	}
	if (m->snapshot && kc_index_save(ix, m->snapshot, version, &lerr) != 0)
		fprintf(stderr, "kechan serve: could not save the index snapshot: %s\n", lerr.msg);
done:;
	/* document numbers belong to one index: the vectors kept go with it */
	struct kc_match_vecs *vecs = NULL;
	if (m->lsa != NULL && kc_match_vecs_new(&vecs, m->lsa, err) != 0) {
		kc_index_free(ix);
		return KC_ENOMEM;
	}
	kc_match_vecs_free(m->vecs);
	m->vecs = vecs;
	kc_index_free(m->ix);
	m->ix = ix;
	m->version = version;
	return 0;
}

/* The modification time of path in ns, 0 when there is no such file. */
static int64_t mtime_of(const char *path)
{
	struct stat sb;
	if (path == NULL || stat(path, &sb) != 0)
		return 0;
	return (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

/* Loads DB.assoc and DB.lsa when their times differ from the ones loaded (all of them when
 * first), swapping them in under the write lock. A damaged file is reported and the one
 * loaded before kept; a removed one is dropped. */
static void load_models(struct kc_http_match *m, int first)
{
	int64_t at = mtime_of(m->assoc_path), lt = mtime_of(m->lsa_path);
	struct kc_assoc *a = NULL;
	struct kc_lsa *l = NULL;
	struct kc_match_vecs *v = NULL;
	struct kc_err err = KC_ERR_INIT;
	int new_a = first || at != m->assoc_mtime, new_l = first || lt != m->lsa_mtime;
	if (!new_a && !new_l)
		return;
	if (new_a && at != 0 && kc_assoc_load(&a, m->assoc_path, &err) != 0) {
		fprintf(stderr, "kechan serve: %s; matching without query expansion\n", err.msg);
		new_a = first; /* else keep the table loaded before */
	}
	if (new_l && lt != 0 && kc_lsa_load(&l, m->lsa_path, &err) != 0) {
		fprintf(stderr, "kechan serve: %s; matching without field vectors\n", err.msg);
		new_l = first;
	}
	if (new_l && l != NULL && kc_match_vecs_new(&v, l, &err) != 0) {
		kc_lsa_free(l);
		l = NULL;
		new_l = 0;
	}
	if (!first)
		pthread_rwlock_wrlock(&m->lock);
	if (new_a) {
		kc_assoc_free(m->assoc);
		m->assoc = a;
		a = NULL;
	}
	if (new_l) {
		kc_match_vecs_free(m->vecs);
		kc_lsa_free(m->lsa);
		m->lsa = l;
		m->vecs = v;
		l = NULL;
		v = NULL;
	}
	/* a damaged file is not read again until it changes */
	m->assoc_mtime = at;
	m->lsa_mtime = lt;
	int have_a = m->assoc != NULL, have_l = m->lsa != NULL;
	if (!first) {
		pthread_rwlock_unlock(&m->lock);
		if (new_a)
			fprintf(stderr, "kechan serve: %s %s\n", m->assoc_path,
				have_a ? "reloaded" : "gone: matching without query expansion");
		if (new_l)
			fprintf(stderr, "kechan serve: %s %s\n", m->lsa_path,
				have_l ? "reloaded" : "gone: matching without field vectors");
	}
	kc_assoc_free(a);
	kc_lsa_free(l);
	kc_match_vecs_free(v);
}

int kc__http_match_open(struct kc_http_app *app, struct kc_store *st, struct kc_err *err)
{
	struct kc_http_match *m = &app->match;
	memset(m, 0, sizeof(*m));
	pthread_rwlock_init(&m->lock, NULL);
	pthread_mutex_init(&m->names_lock, NULL);
	pthread_mutex_init(&m->reload_mu, NULL);
	if ((m->names = json_object()) == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	const char *db = app->opts->db;
	if (strstr(db, "://") == NULL) { /* an SQLite file: the snapshot and the table beside it */
		if (strncmp(db, "sqlite:", 7) == 0)
			db += 7;
		size_t n = strlen(db) + 7;
		m->snapshot = kc_malloc(n);
		m->assoc_path = kc_malloc(n); /* learned associations: optional */
		m->lsa_path = kc_malloc(n);   /* field vectors: optional */
		if (m->snapshot == NULL || m->assoc_path == NULL || m->lsa_path == NULL)
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		snprintf(m->snapshot, n, "%s.index", db);
		snprintf(m->assoc_path, n, "%s.assoc", db);
		snprintf(m->lsa_path, n, "%s.lsa", db);
		load_models(m, 1);
		m->reload_ms = (int64_t)(app->opts->reload ? app->opts->reload : 10) * 1000;
		atomic_store(&m->next_check, (int64_t)(kc_now() * 1000) + m->reload_ms);
	}
	int rc = kc_text_open(&m->base, NULL, err);
	if (rc == 0)
		rc = kc_text_from_store(m->base, st, &m->text, NULL, err);
	if (rc == 0)
		rc = build(m, st, err);
	return rc;
}

void kc__http_match_close(struct kc_http_app *app)
{
	struct kc_http_match *m = &app->match;
	kc_index_free(m->ix);
	kc_assoc_free(m->assoc);
	kc_match_vecs_free(m->vecs);
	kc_lsa_free(m->lsa);
	kc_text_close(m->text);
	kc_text_close(m->base);
	kc_free(m->snapshot);
	kc_free(m->assoc_path);
	kc_free(m->lsa_path);
	pthread_rwlock_destroy(&m->lock);
	pthread_mutex_destroy(&m->names_lock);
	pthread_mutex_destroy(&m->reload_mu);
	json_decref(m->names);
	memset(m, 0, sizeof(*m));
}

void kc__http_match_update(struct kc_http_req *q, const struct kc_entity_def *def,
			   const char *id, const json_t *rec, int64_t before, int64_t after)
{
	struct kc_http_match *m = &q->app->match;
	enum kc_doc_kind kind = def->ent == KC_ENT_SUPPLY   ? KC_DOC_SUPPLY
				: def->ent == KC_ENT_DEMAND ? KC_DOC_DEMAND
							    : 0;
	pthread_rwlock_wrlock(&m->lock);
	/* Only a change that follows the index's version directly is applied in place; anything
	 * else (another process wrote in between) leaves the version behind: rebuilt on use. */
	if (m->ix != NULL && m->version == before) {
		int rc = 0;
		if (kind != 0 && rec != NULL) {
			json_t *org = NULL;
			const char *oid = json_string_value(json_object_get(rec, "org_id"));
			const char *oname = NULL;
			if (oid && kc_store_get(q->st, kc_entity_def(KC_ENT_ORG), oid, &org, NULL) == 0)
				oname = json_string_value(json_object_get(org, "name"));
			rc = kc_index_put(m->ix, kind, rec, oname, NULL);
			json_decref(org);
		} else if (kind != 0) {
			rc = kc_index_delete(m->ix, kind, id, NULL);
			if (rc == KC_ENOTFOUND)
				rc = 0;
		} else if (def->ent == KC_ENT_EDGE || def->ent == KC_ENT_NODE) {
			/* the chain graph (rarely edited): an edge changed or deleted, a node renamed
			 * cannot be patched in place (the old links and names are not known here):
			 * rebuilt on next use */
			rc = 1;
		}
		if (rc == 0)
			m->version = after;
	}
	pthread_rwlock_unlock(&m->lock);
}

/* Takes the read lock on a current index (rebuilding it first when the store moved on);
 * *version is the store's data version as this request sees it. Returns 0 with the lock
 * held, or fills r. */
static int acquire(struct kc_http_req *q, struct kc_http_reply *r, int64_t *version)
{
	struct kc_http_match *m = &q->app->match;
	struct kc_err err = KC_ERR_INIT;
	/* one request in reload_ms looks whether DB.assoc or DB.lsa changed */
	int64_t now = (int64_t)(kc_now() * 1000), due = atomic_load(&m->next_check);
	if (m->assoc_path != NULL && now >= due &&
	    atomic_compare_exchange_strong(&m->next_check, &due, now + m->reload_ms) &&
	    pthread_mutex_trylock(&m->reload_mu) == 0) {
		load_models(m, 0);
		pthread_mutex_unlock(&m->reload_mu);
	}
	int64_t v = *version = kc_store_data_version(q->st, &err);
	if (v < 0) {
		kc__http_fail(r, (int)v, &err);
		return -1;
	}
	pthread_rwlock_rdlock(&m->lock);
	if (m->version >= v)
		return 0;
	pthread_rwlock_unlock(&m->lock);
	pthread_rwlock_wrlock(&m->lock);
	int rc = m->version >= v ? 0 : build(m, q->st, &err);
	pthread_rwlock_unlock(&m->lock);
	if (rc != 0) {
		kc__http_fail(r, rc, &err);
		return -1;
	}
	pthread_rwlock_rdlock(&m->lock);
	return 0;
}

/* ---- parameters ---- */

struct params {
	struct kc_filter f;
	const char *nodes[MAX_NODES];
	int any, include_closed;
	unsigned k;
};

/* Reads k and the filters; search: q and target are the caller's. */
static int parse_params(struct kc_http_req *q, struct kc_http_reply *r, struct params *p,
			int search)
{
	memset(p, 0, sizeof(*p));
	p->k = 10;
	for (int i = 0; i < q->nargs; i++) {
		const char *k = q->args[i].key, *v = q->args[i].value;
		int64_t n;
		if (search && (strcmp(k, "q") == 0 || strcmp(k, "target") == 0)) {
			continue;
		} else if (strcmp(k, "k") == 0) {
			if (kc__http_int(v, 1, 100, &n) < 0)
				return kc__http_error(r, 400, "k", "k must be 1-100"), -1;
			p->k = (unsigned)n;
			continue;
		} else if (strcmp(k, "include_closed") == 0) {
			p->include_closed = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
			continue;
		} else if (strcmp(k, "region") == 0) {
			if (!kc_region_prefix_known(v, strlen(v)))
				return kc__http_error(r, 400, "region",
						      "region '%.20s' is not a GB/T 2260 code or "
						      "prefix (43, 4301, 430104)",
						      v),
				       -1;
			p->f.region = v;
		} else if (strcmp(k, "trl") == 0) {
			if (kc_filter_trl(v, &p->f.trl_min, &p->f.trl_max) != 0)
				return kc__http_error(r, 400, "trl",
						      "trl takes N or N-M within 1..9, not '%.20s'", v),
				       -1;
		} else if (strcmp(k, "stage") == 0) {
			char bad[128];
			if (kc_filter_stages(v, &p->f.stages, bad, sizeof(bad)) != 0)
				return kc__http_error(r, 400, "stage",
						      "stage '%.20s' is not one of lab, concept, pilot, "
						      "industrial",
						      bad),
				       -1;
		} else if (strcmp(k, "node") == 0) {
			if (p->f.nnodes == MAX_NODES)
				return kc__http_error(r, 400, "node", "at most %d nodes", MAX_NODES), -1;
			p->nodes[p->f.nnodes++] = v;
			p->f.nodes = p->nodes;
		} else if (strcmp(k, "since") == 0 || strcmp(k, "until") == 0) {
			if (kc_filter_date(v, k[0] == 's' ? &p->f.date_from : &p->f.date_to) != 0)
				return kc__http_error(r, 400, k, "%s takes a date YYYY-MM-DD", k), -1;
		} else if (strcmp(k, "status") == 0) {
			p->f.status = v;
		} else {
			return kc__http_error(r, 400, k, "unknown parameter '%.60s'", k), -1;
		}
		p->any = 1;
	}
	return 0;
}

/* ---- the answer ---- */

/* The display name of an org (its short name) or a chain node, as of the store's data version
 * `version`: from the cache, or read and cached. Returns a new reference, or NULL when there
 * is no such record. */
static json_t *display_name(struct kc_http_req *q, int64_t version, enum kc_entity e,
			    const char *id)
{
	struct kc_http_match *m = &q->app->match;
	/* "org:ID" / "node:ID", put together by hand: snprintf was half of this lookup */
	char key[160];
	const char *kind = e == KC_ENT_ORG ? "org:" : "node:";
	size_t kl = strlen(kind), il = id ? strlen(id) : 0;
	if (id == NULL || kl + il >= sizeof(key))
		return NULL;
	memcpy(key, kind, kl);
	memcpy(key + kl, id, il + 1);
	pthread_mutex_lock(&m->names_lock);
	if (m->names_version != version) {
		json_object_clear(m->names);
		m->names_version = version;
	}
	json_t *name = json_incref(json_object_get(m->names, key));
	pthread_mutex_unlock(&m->names_lock);
	if (name != NULL)
		return name;
	json_t *rec = NULL;
	if (kc_store_get(q->st, kc_entity_def(e), id, &rec, NULL) != 0)
		return NULL;
	name = json_object_get(rec, "short_name");
	name = json_incref(name ? name : json_object_get(rec, "name"));
	json_decref(rec);
	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&m->names_lock);
	if (m->names_version == version)
		json_object_set(m->names, key, name);
	pthread_mutex_unlock(&m->names_lock);
	return name;
}

/* node:li-lfp → the node's name; other terms as they are (the term itself, a reference more).
 * A new reference, NULL when term is not a string. */
static json_t *term_label(struct kc_http_req *q, int64_t version, json_t *term)
{
	const char *t = json_string_value(term);
	json_t *name = NULL;
	if (t == NULL)
		return NULL;
	if (strncmp(t, "node:", 5) == 0)
		name = display_name(q, version, KC_ENT_NODE, t + 5);
	return name ? name : json_incref(term);
}

struct pairs {
	const char *other; /* the field naming the other side: "supply_id" or "demand_id" */
	json_t *by_id;     /* other id → match record */
};

static int on_pair(void *ud, const json_t *rec)
{
	struct pairs *p = ud;
	const char *id = json_string_value(json_object_get(rec, p->other));
	if (id != NULL)
		json_object_set(p->by_id, id, (json_t *)rec); /* a reference: outlives the call */
	return 0;
}

/* The match records of the query record qid (a demand when the target is supplies), by the
 * other side's id: one query for the whole answer. NULL when unreadable (no feedback shown). */
static json_t *pairs_of(struct kc_store *st, enum kc_doc_kind target, const char *qid)
{
	struct pairs p = {target == KC_DOC_SUPPLY ? "supply_id" : "demand_id", json_object()};
	struct kc_query mq = {.field = target == KC_DOC_SUPPLY ? "demand_id" : "supply_id",
			      .value = qid};
	if (p.by_id == NULL || qid == NULL ||
	    kc_store_each(st, kc_entity_def(KC_ENT_MATCH), &mq, on_pair, &p, NULL) < 0) {
		json_decref(p.by_id);
		return NULL;
	}
	return p.by_id;
}

/* Appends ,"key": (no comma for the first member, first then cleared). */
static int put_key(struct kc_buf *o, const char *key, int *first)
{
	int rc = *first ? 0 : kc_buf_addc(o, ',');
	*first = 0;
	rc |= kc__http_dump_string(o, key, strlen(key));
	return rc | kc_buf_addc(o, ':');
}

/* What a result shows of its record, in this order (owner_hidden: kc__http_view's mark). */
static const char *const facets[] = {"title", "kind", "region", "trl", "trl_min", "stage",
				     "nodes", "keywords", "published", "status",
				     "visibility", "org_id", "owner_hidden"};
#define NFACETS (sizeof(facets) / sizeof(facets[0]))

/* Appends [[start, end], ...]: the code-point spans where text (NULL: none) shows one of
 * terms[0..n) (kc_match_highlight with the index's analyzer t). Text the analyzer refuses
 * marks nothing. Returns 0 or KC_ENOMEM. */
static int put_spans(struct kc_buf *o, const struct kc_text *t, struct kc_text_run *run,
		     const char *text, const char *const *terms, size_t n)
{
	struct kc_match_span *sp = NULL;
	size_t ns = 0;
	int rc = 0;
	if (text != NULL)
		rc = kc_match_highlight(t, run, text, strlen(text), terms, n, &sp, &ns, NULL);
	if (rc == KC_ENOMEM)
		return rc;
	rc = kc_buf_addc(o, '[');
	for (size_t i = 0; i < ns; i++) {
		rc |= kc_buf_adds(o, i ? ",[" : "[");
		rc |= kc__http_dump_int(o, sp[i].start);
		rc |= kc_buf_addc(o, ',');
		rc |= kc__http_dump_int(o, sp[i].end);
		rc |= kc_buf_addc(o, ']');
	}
	rc |= kc_buf_addc(o, ']');
	kc_free(sp);
	return rc < 0 ? KC_ENOMEM : 0;
}

/* Appends one result: {rank, id, the record's facets (v: what the caller sees of it), org_name,
 * what hit (kc_match_hit_json) says that is not said yet, with a label for each explanation
 * term, feedback and match_stage from the pair's match record, highlight (hl, the spans
 * already written as JSON)}: the members and order the answer had when it was a JSON tree,
 * then the highlight. Returns 0 or KC_ENOMEM. */
static int put_item(struct kc_http_req *q, struct kc_buf *o, int64_t version, size_t rank,
		    const char *id, const json_t *v, json_t *hit, const json_t *pair,
		    const struct kc_buf *hl)
{
	const char *said[NFACETS + 3] = {"rank", "id"};
	size_t nsaid = 2;
	int first = 0; /* rank and id are written */
	int rc = kc_buf_adds(o, "{\"rank\":");
	rc |= kc__http_dump_int(o, (int64_t)rank);
	rc |= kc_buf_adds(o, ",\"id\":");
	rc |= kc__http_dump_string(o, id, strlen(id));
	for (size_t f = 0; f < NFACETS; f++) {
		json_t *x = json_object_get(v, facets[f]);
		if (x == NULL)
			continue;
		rc |= put_key(o, facets[f], &first);
		rc |= kc__http_dump(o, x, KC_HTTP_PRECISION);
		said[nsaid++] = facets[f];
	}
	json_t *oname =
		display_name(q, version, KC_ENT_ORG, json_string_value(json_object_get(v, "org_id")));
	if (oname) {
		rc |= put_key(o, "org_name", &first);
		rc |= kc__http_dump(o, oname, KC_HTTP_PRECISION);
		said[nsaid++] = "org_name";
		json_decref(oname);
	}
	const char *key;
	json_t *val;
	json_object_foreach(hit, key, val) {
		int dup = 0;
		for (size_t k = 0; k < nsaid && !dup; k++)
			dup = strcmp(key, said[k]) == 0;
		if (dup)
			continue;
		if (strcmp(key, "explanation") == 0) {
			size_t j;
			json_t *e;
			json_array_foreach(val, j, e)
				json_object_set_new(e, "label",
						    term_label(q, version, json_object_get(e, "term")));
		}
		rc |= put_key(o, key, &first);
		rc |= kc__http_dump(o, val, KC_HTTP_PRECISION);
	}
	if (pair != NULL) {
		json_t *verdicts = kc_match_verdicts(pair), *stage = json_object_get(pair, "stage");
		if (verdicts) {
			rc |= put_key(o, "feedback", &first);
			rc |= kc__http_dump(o, verdicts, KC_HTTP_PRECISION);
			json_decref(verdicts);
		}
		if (stage) {
			rc |= put_key(o, "match_stage", &first);
			rc |= kc__http_dump(o, stage, KC_HTTP_PRECISION);
		}
	}
	rc |= put_key(o, "highlight", &first);
	rc |= kc_buf_add(o, hl->ptr, hl->len);
	rc |= kc_buf_addc(o, '}');
	return rc < 0 ? KC_ENOMEM : 0;
}

static int run(struct kc_http_req *q, struct kc_http_reply *r, enum kc_doc_kind target,
	       const json_t *query_rec, const char *text, const struct params *p)
{
	struct kc_http_match *m = &q->app->match;
	struct kc_err err = KC_ERR_INIT;
	struct kc_match_opts o;
	struct kc_match_result res;
	struct kc_docset *only = NULL;
	json_t *pairs = NULL;
	struct kc_text_run *trun = NULL;   /* the highlights' analyses */
	const char **hterms = NULL;        /* the matched terms of the results written */
	size_t nh = 0;
	struct kc_buf hl = KC_BUF_INIT;    /* one result's highlight */
	memset(&res, 0, sizeof(res));
	kc_match_opts_default(&o, target);
	o.k = p->k;
	/* Signed-in callers see confidential demands, anonymized below; visitors public ones. */
	o.viewer_admin = q->user.role != KC_ROLE_NONE;
	o.viewer_member = q->user.role != KC_ROLE_NONE;
	o.viewer_org = q->user.org_id[0] ? q->user.org_id : NULL;
	o.include_closed = p->include_closed;
	if (query_rec != NULL)
		o.exclude_org = json_string_value(json_object_get(query_rec, "org_id"));
	/* An answer reads ~30 records: one snapshot for all is consistent and takes the store's
	 * locks once (for a single read it would cost more than it saves). A no-op when the
	 * caller began it already; ended below either way. */
	kc_store_read_begin(q->st, NULL); /* without it the reads lock one by one: still right */
	int64_t version;
	if (acquire(q, r, &version) != 0) {
		kc_store_read_end(q->st);
		return -1;
	}
	/* the models and the index as of now: held by the read lock until the answer is found */
	o.assoc = m->assoc;
	o.lsa = m->lsa;
	o.vecs = m->vecs;
	struct kc_match_store_docs sd = {q->st, m->ix, NULL}; /* the results' texts */
	o.doc_text = kc_match_store_text;
	o.doc_ud = &sd;
	int rc = 0;
	if (p->any) {
		struct kc_filter f = p->f;
		f.kind = target;
		f.viewer_admin = o.viewer_admin;
		f.viewer_member = o.viewer_member;
		f.viewer_org = o.viewer_org;
		rc = kc_index_filter(m->ix, &f, &only, &err);
		o.only = only;
	}
	if (rc == 0)
		rc = query_rec ? kc_match_record(m->ix, m->text, query_rec, &o, &res, &err)
			       : kc_match_text(m->ix, m->text, text, &o, &res, &err);
	/* copy out what the answer needs before letting the index go */
	char **ids = rc == 0 ? kc_calloc(res.n + 1, sizeof(*ids)) : NULL;
	for (size_t i = 0; ids && i < res.n; i++)
		ids[i] = kc_strdup(kc_index_doc(m->ix, res.hits[i].doc)->id);
	size_t indexed = kc_index_docs(m->ix, (int)target);
	/* the analyzer the index reads with, for the highlights: set at open, kept until close */
	const struct kc_text *tx = m->text;
	pthread_rwlock_unlock(&m->lock);
	if (rc != 0) {
		kc__http_fail(r, rc, &err);
		goto out;
	}
	size_t nparts = 1;
	for (size_t i = 0; ids && i < res.n; i++)
		nparts += res.hits[i].nparts;
	if (ids == NULL || (trun = kc_text_run_new()) == NULL ||
	    (hterms = kc_calloc(nparts, sizeof(*hterms))) == NULL) {
		kc__http_error(r, 500, NULL, "out of memory");
		goto out;
	}
	const struct kc_entity_def *def =
		kc_entity_def(target == KC_DOC_SUPPLY ? KC_ENT_SUPPLY : KC_ENT_DEMAND);
	if (query_rec != NULL)
		pairs = pairs_of(q->st, target,
				 json_string_value(json_object_get(query_rec, "id")));
	/* The answer is written as it is found, not built as a tree first: {"terms", "results",
	 * "candidates", "indexed", "filtered"?, "query"?} (building, writing and freeing the
	 * tree of ~1,500 values was a fifth of a match answer). */
	struct kc_buf *w = &r->body;
	int wrc = 0, first = 1;
	kc_buf_reset(w);
	wrc |= kc_buf_adds(w, "{\"terms\":[");
	for (size_t i = 0; i < res.nterms; i++) {
		size_t n = strlen(res.terms[i]);
		if (!kc_utf8_valid(res.terms[i], n))
			continue; /* as json_string() refused it */
		if (!first)
			wrc |= kc_buf_addc(w, ',');
		wrc |= kc__http_dump_string(w, res.terms[i], n);
		first = 0;
	}
	wrc |= kc_buf_adds(w, "],\"results\":[");
	first = 1;
	/* of each result's record only what it shows (and what kc__http_view looks at, which
	 * is among them): a whole record was most of reading it */
	const char *fields[NFACETS + 1];
	size_t nfields = 0;
	for (size_t f = 0; f < NFACETS; f++)
		if (kc_entity_field(def, facets[f]) != NULL)
			fields[nfields++] = facets[f];
	fields[nfields] = NULL;
	for (size_t i = 0; i < res.n; i++) {
		json_t *rec = NULL, *v = NULL;
		if (ids[i] == NULL ||
		    kc_store_get_fields(q->st, def, ids[i], fields, &rec, NULL) != 0 ||
		    (v = kc__http_view(q, def, rec)) == NULL) {
			json_decref(rec);
			continue; /* deleted since, or not for this caller */
		}
		if (!first)
			wrc |= kc_buf_addc(w, ',');
		first = 0;
		/* the title's words that are any of the hit's terms (its query words and expansion
		 * words alike: every part, not only the 30 the explanation lists) */
		const struct kc_match_hit *h = &res.hits[i];
		for (size_t j = 0; j < h->nparts; j++)
			hterms[nh + j] = h->parts[j].term;
		kc_buf_reset(&hl);
		wrc |= kc_buf_adds(&hl, "{\"title\":");
		wrc |= put_spans(&hl, tx, trun, json_string_value(json_object_get(v, "title")),
				 hterms + nh, h->nparts);
		nh += h->nparts;
		wrc |= kc_buf_addc(&hl, '}');
		json_t *hit = kc_match_hit_json(h, 30);
		wrc |= put_item(q, w, version, i + 1, ids[i], v, hit, json_object_get(pairs, ids[i]),
				&hl);
		json_decref(hit);
		json_decref(v);
		json_decref(rec);
	}
	wrc |= kc_buf_addf(w, "],\"candidates\":%" PRId64 ",\"indexed\":%" PRId64,
			   (int64_t)res.candidates, (int64_t)indexed);
	if (only)
		wrc |= kc_buf_addf(w, ",\"filtered\":%" PRId64, (int64_t)kc_docset_count(only));
	if (query_rec) {
		json_t *qv = kc__http_view(q, kc_entity_def(target == KC_DOC_SUPPLY ? KC_ENT_DEMAND
										    : KC_ENT_SUPPLY),
					   query_rec);
		wrc |= kc_buf_adds(w, ",\"query\":");
		wrc |= qv ? kc__http_dump(w, qv, KC_HTTP_PRECISION) : kc_buf_adds(w, "null");
		/* where the query record's own title and description show the query terms that
		 * the results shown matched (all of the query's terms would be most of its words) */
		if (qv != NULL) {
			wrc |= kc_buf_adds(w, ",\"query_highlight\":{\"title\":");
			wrc |= put_spans(w, tx, trun, json_string_value(json_object_get(qv, "title")),
					 hterms, nh);
			wrc |= kc_buf_adds(w, ",\"description\":");
			wrc |= put_spans(w, tx, trun,
					 json_string_value(json_object_get(qv, "description")),
					 hterms, nh);
			wrc |= kc_buf_addc(w, '}');
		}
		json_decref(qv);
	}
	wrc |= kc_buf_addc(w, '}');
	if (wrc < 0)
		kc__http_error(r, 500, NULL, "out of memory");
out:
	kc_store_read_end(q->st);
	for (size_t i = 0; ids && i < res.n; i++)
		kc_free(ids[i]);
	kc_free(ids);
	json_decref(pairs);
	kc_buf_release(&hl);
	kc_free(hterms);
	kc_text_run_free(trun);
	kc_match_result_free(&res);
	kc_docset_free(only);
	return 0;
}

void kc__http_match_route(struct kc_http_req *q, struct kc_http_reply *r, const char *rest)
{
	struct kc_err err = KC_ERR_INIT;
	enum kc_entity e;
	const char *id;
	if (strncmp(rest, "demands/", 8) == 0) {
		e = KC_ENT_DEMAND;
		id = rest + 8;
	} else if (strncmp(rest, "supplies/", 9) == 0) {
		e = KC_ENT_SUPPLY;
		id = rest + 9;
	} else {
		kc__http_error(r, 404, NULL, "match what? /api/v1/match/demands/{id} or "
					     "/api/v1/match/supplies/{id}");
		return;
	}
	struct params p;
	if (*id == '\0' || strchr(id, '/')) {
		kc__http_error(r, 404, NULL, "no such resource");
		return;
	}
	if (parse_params(q, r, &p, 0) != 0)
		return;
	const struct kc_entity_def *def = kc_entity_def(e);
	json_t *rec = NULL, *v = NULL;
	/* the query record in run()'s snapshot as well: one read transaction, not two (each
	 * takes and drops the WAL's read lock); run() ends it, or the end below does */
	kc_store_read_begin(q->st, NULL);
	int rc = kc_store_get(q->st, def, id, &rec, &err);
	if (rc == 0 && (v = kc__http_view(q, def, rec)) == NULL)
		rc = kc_err_set(&err, KC_ENOTFOUND, "%s '%s' not found", def->name, id);
	if (rc == 0 && e == KC_ENT_DEMAND &&
	    json_string_value(json_object_get(rec, "visibility")) != NULL &&
	    strcmp(json_string_value(json_object_get(rec, "visibility")), "confidential") == 0 &&
	    !kc__http_sees_owner(q, json_string_value(json_object_get(rec, "org_id"))))
		rc = kc_err_set(&err, KC_EPERM,
				"demand %s is confidential: only its org and admins match it", id);
	if (rc != 0)
		kc__http_fail(r, rc, &err);
	else
		run(q, r, e == KC_ENT_DEMAND ? KC_DOC_SUPPLY : KC_DOC_DEMAND, rec, NULL, &p);
	kc_store_read_end(q->st);
	json_decref(v);
	json_decref(rec);
}

void kc__http_search(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct params p;
	const char *text = kc__http_arg(q, "q"), *target = kc__http_arg(q, "target");
	if (parse_params(q, r, &p, 1) != 0)
		return;
	if (text == NULL || *text == '\0' || strlen(text) > 4000) {
		kc__http_error(r, 400, "q", "q needs the text to search (at most 4000 bytes)");
		return;
	}
	enum kc_doc_kind kind = KC_DOC_SUPPLY;
	if (target != NULL && strcmp(target, "demands") == 0)
		kind = KC_DOC_DEMAND;
	else if (target != NULL && strcmp(target, "supplies") != 0) {
		kc__http_error(r, 400, "target", "target is supplies or demands");
		return;
	}
	run(q, r, kind, NULL, text, &p);
}

void kc__http_feedback(struct kc_http_req *q, struct kc_http_reply *r)
{
	struct kc_err err = KC_ERR_INIT;
	json_t *body = kc__http_body(q, r), *out = NULL, *rec = NULL;
	if (body == NULL)
		return;
	if (q->user.role == KC_ROLE_NONE) {
		kc__http_error(r, 401, NULL, "sign in to give feedback");
		goto done;
	}
	const char *did = json_string_value(json_object_get(body, "demand_id"));
	const char *sid = json_string_value(json_object_get(body, "supply_id"));
	const char *side = json_string_value(json_object_get(body, "side"));
	const char *verdict = json_string_value(json_object_get(body, "verdict"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	const char *note = json_string_value(json_object_get(body, "note"));
	static const char *const keys[] = {"demand_id", "supply_id", "side", "verdict"};
	const char *vals[] = {did, sid, side, verdict};
	for (size_t i = 0; i < 4; i++)
		if (vals[i] == NULL || *vals[i] == '\0') {
			kc__http_error(r, 422, keys[i], "%s is required", keys[i]);
			goto done;
		}
	int is_demand = strcmp(side, "demand") == 0;
	if (!is_demand && strcmp(side, "supply") != 0) {
		kc__http_error(r, 422, "side", "side is demand or supply");
		goto done;
	}
	int accept = strcmp(verdict, "accept") == 0;
	if (!accept && strcmp(verdict, "decline") != 0) {
		kc__http_error(r, 422, "verdict", "verdict is accept or decline");
		goto done;
	}
	if (note && kc_utf8_count(note, strlen(note)) > KC_LIMIT_TITLE) {
		kc__http_error(r, 422, "note", "the note is longer than %d characters",
			       KC_LIMIT_TITLE);
		goto done;
	}
	/* a side speaks for itself: the demand's org for the demand, the supply's for the supply */
	const struct kc_entity_def *def = kc_entity_def(is_demand ? KC_ENT_DEMAND : KC_ENT_SUPPLY);
	int rc = kc_store_get(q->st, def, is_demand ? did : sid, &rec, &err);
	if (rc != 0) {
		kc__http_fail(r, rc, &err);
		goto done;
	}
	const char *owner = json_string_value(json_object_get(rec, "org_id"));
	if (q->user.role != KC_ROLE_ADMIN &&
	    !(q->user.org_id[0] && owner && strcmp(owner, q->user.org_id) == 0 &&
	      (q->user.role == KC_ROLE_ORG_ADMIN || q->user.role == KC_ROLE_ORG_MEMBER))) {
		kc__http_error(r, 403, "side", "only the %s's own org may give its verdict", side);
		goto done;
	}
	int64_t before = kc_store_data_version(q->st, &err);
	rc = before < 0 ? (int)before
			: kc_match_feedback(q->st, did, sid,
					    is_demand ? KC_SIDE_DEMAND : KC_SIDE_SUPPLY, accept,
					    reason, note, q->user.id, &out, &err);
	int64_t after = rc == 0 ? kc_store_data_version(q->st, NULL) : -1;
	/* one event appended: nothing else was written in between, the index stays current */
	if (after == before + 1)
		kc__http_match_update(q, kc_entity_def(KC_ENT_MATCH), NULL, NULL, before, after);
	if (rc != 0) {
		if (rc == KC_EINVAL)
			kc__http_error(r, 422, "reason", "%s", err.msg);
		else
			kc__http_fail(r, rc, &err);
		goto done;
	}
	kc__http_json_new(r, json_pack("{s:O}", "item", out));
done:
	json_decref(out);
	json_decref(rec);
	json_decref(body);
}
