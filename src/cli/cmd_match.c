/* cli: `kechan match`: supplies for a demand, demands for a supply, either for free text, each
 * with its explanation. The index comes from its snapshot beside the database (DB.index) when
 * that is current, else it is built from the store and the snapshot rewritten; an association
 * table beside it (DB.assoc, `kechan match assoc`) expands long queries. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kechan/match.h"
#include "kechan/store.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] [--json] match demand ID | supply ID | text \"…\" [options]\n"
	"       kechan [--db PATH] match batch --out FILE [--format jsonl|csv] [-k N] [--as-admin]\n"
	"       kechan [--db PATH] [--json] match dupes [--threshold 0.7]\n"
	"       kechan [--db PATH] match assoc [--texts FILE.jsonl]... (see match assoc --help)\n"
	"       kechan [--db PATH] match feedback DEMAND SUPPLY --side demand|supply\n"
	"                     (--accept | --decline REASON) [--note TEXT]\n\n"
	"  demand ID      the supplies that could answer a demand (产业出题、科技答题)\n"
	"  supply ID      the demands an achievement, patent or facility could serve\n"
	"  text \"…\"       free text; --target supplies (default) or demands\n"
	"  batch          every demand's top k supplies, on all cores, to --out (JSONL or CSV:\n"
	"                 demand_id, rank, supply_id, score, text_score, terms); confidential\n"
	"                 demands only with --as-admin\n"
	"  dupes          near-duplicate supplies and demands (the same record posted twice or\n"
	"                 copied with small edits): pairs with their similarity (word bigrams)\n"
	"  feedback       one side accepts or declines a match; REASON is one of too_early\n"
	"                 (技术尚不成熟), wrong_field (领域不符), too_expensive (价格过高),\n"
	"                 already_known (已掌握该技术), capacity (产能或规模不足), location (地域不便),\n"
	"                 ip_unclear (知识产权不清), no_response (对方未回应), other (其他).\n"
	"                 Results show the other side's verdicts, and each record's counts.\n\n"
	"options:\n"
	"  -k N           results (default 10, at most 1000)\n"
	"  --explain      show each result's matched terms and where they were found\n"
	"  --as-admin     include confidential demands and show their owners\n"
	"  --org ORG      match as a member of ORG (sees its own confidential demands)\n"
	"  --assoc FILE   expand queries with this association table (default: DB.assoc when\n"
	"                 there is one; `kechan match assoc --help` says how to learn one)\n"
	"  --lsa FILE     rerank long queries' results by these field vectors (default: DB.lsa\n"
	"                 when there is one, written by kechan match assoc)\n"
	"  --no-expand    no query expansion: neither chain-node aliases nor associations, and\n"
	"                 no reranking by field vectors\n"
	"  --rebuild-index  build the index from the store even when its snapshot (DB.index,\n"
	"                 kept next to the database and refreshed after every change) is current\n\n"
	"filters (all must hold):\n"
	"  --region CODE  GB/T 2260 code or prefix: 43 (湖南), 4301 or 430100 (长沙), 430104\n"
	"  --trl N[-M]    technology readiness level N..M (records without one fail)\n"
	"  --stage LIST   lab,concept,pilot,industrial (a supply's maturity)\n"
	"  --node ID      on chain node ID (repeatable: any of them)\n"
	"  --since DATE, --until DATE   published within (YYYY-MM-DD)\n"
	"  --status S     open, matched, active, closed ...\n"
	"  --include-closed   closed supplies and demands too (left out by default)\n\n"
	"Ranking: BM25F over title, description, keywords, IPC / industry codes, chain nodes and org\n"
	"name, the query also weighting the chain nodes next to its own; bonuses for the same city or\n"
	"province and for TRL fit. Each result has a confidence band: 强 strong, 中 possible or 弱\n"
	"weak (docs/match.md says how they were calibrated). Query words that stand together in the\n"
	"query and in a result add a proximity bonus (紧邻); a word that names a chain node (its name,\n"
	"English name or an alias) also looks for the node's other names and records (←), and with an\n"
	"association table long queries look for their most associated words too.\n"
	"  assoc          learn the association table: kechan match assoc --help\n";

struct names {
	json_t *orgs;  /* id → short name */
	json_t *nodes; /* id → name */
};

static int on_node(void *ud, const json_t *rec)
{
	struct names *n = ud;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	if (id != NULL && name != NULL)
		json_object_set_new(n->nodes, id, json_string(name));
	return 0;
}

/* A term as a reader sees it: node:li-lfp → 节点:磷酸铁锂正极. */
static const char *term_label(const struct names *n, const char *term, char *buf, size_t cap)
{
	if (strncmp(term, "node:", 5) == 0) {
		const char *name = json_string_value(json_object_get(n->nodes, term + 5));
		if (name != NULL) {
			snprintf(buf, cap, "节点:%s", name);
			return buf;
		}
	}
	return term;
}

static int on_org(void *ud, const json_t *rec)
{
	struct names *n = ud;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *sn = json_string_value(json_object_get(rec, "short_name"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	if (id != NULL)
		json_object_set_new(n->orgs, id, json_string(sn ? sn : name ? name : id));
	return 0;
}

static void print_explanation(const struct names *nm, const struct kc_match_hit *h, size_t max)
{
	char label[256];
	printf("      ");
	for (size_t i = 0; i < h->nparts && i < max; i++) {
		const struct kc_match_part *p = &h->parts[i];
		printf("%s%s %.2f (", i ? "；" : "", term_label(nm, p->term, label, sizeof(label)),
		       p->score);
		int first = 1;
		for (int f = 0; f < KC_FIELD_COUNT; f++) {
			if (!p->tf[f])
				continue;
			printf("%s%s", first ? "" : "、", kc_match_field_zh((enum kc_field_id)f));
			if (p->tf[f] > 1)
				printf("×%u", p->tf[f]);
			first = 0;
		}
		printf(")");
		if (p->via != NULL) /* an expansion word: say where it came from */
			printf(" ←%s", term_label(nm, p->via, label, sizeof(label)));
	}
	if (h->nparts > max)
		printf("；… %zu more", h->nparts - max);
	printf("\n");
	if (h->nphrases > 0) {
		printf("      紧邻 phrases:");
		for (size_t i = 0; i < h->nphrases && i < max; i++)
			printf("%s %s+%s %.2f (%s %u)", i ? "；" : "", h->phrases[i].a,
			       h->phrases[i].b, h->phrases[i].score,
			       h->phrases[i].dist == 1 ? "相邻 adjacent" : "相距 apart",
			       h->phrases[i].dist);
		printf("\n");
	}
	if (h->field_score > 0)
		printf("      领域相近 field similarity: %.2f (+%.2f)\n", h->field_sim, h->field_score);
	if (h->nbonus > 0) {
		printf("      加成 bonus:");
		for (size_t i = 0; i < h->nbonus; i++)
			printf(" %s (%s)", h->bonus[i].zh, h->bonus[i].en);
		printf("\n");
	}
}

/* ---- the index: from its snapshot next to the database (DB.index) when that is current,
 * else built from the store and snapshotted for next time */

static int index_for(struct kc_cli *cli, struct kc_store *st, const struct kc_text *t,
		     int rebuild, struct kc_index **out, struct kc_err *err)
{
	char path[4096];
	struct kc_err lerr = KC_ERR_INIT;
	int64_t version = kc_store_data_version(st, err);
	int rc;
	*out = NULL;
	if (version < 0)
		return (int)version;
	int file = kc_cli_beside_db(cli, ".index", path, sizeof(path));
	if (file && !rebuild && kc_index_load(out, t, path, version, &lerr) == 0)
		return 0;
	if (file && !rebuild && lerr.code != KC_ENOTFOUND && lerr.code != KC_EDATA)
		fprintf(stderr, "kechan match: %s; rebuilding the index\n", lerr.msg);
	if ((rc = kc_index_new(out, t, err)) != 0 || (rc = kc_index_build(*out, st, err)) != 0) {
		kc_index_free(*out);
		*out = NULL;
		return rc;
	}
	if (file && kc_index_save(*out, path, version, &lerr) != 0)
		fprintf(stderr, "kechan match: could not save the index snapshot: %s\n", lerr.msg);
	return 0;
}

/* The association table for query expansion: path (--assoc), else DB.assoc when there is one
 * (kechan match assoc writes it); *out NULL when none. A damaged file is an error only when
 * named by --assoc; beside the database it is reported and matching goes on without. */
static int assoc_for(const struct kc_cli *cli, const char *path, struct kc_assoc **out,
		     struct kc_err *err)
{
	char def[4096];
	struct kc_err lerr = KC_ERR_INIT;
	*out = NULL;
	if (path != NULL)
		return kc_assoc_load(out, path, err);
	if (!kc_cli_beside_db(cli, ".assoc", def, sizeof(def)) || access(def, F_OK) != 0)
		return 0;
	if (kc_assoc_load(out, def, &lerr) != 0)
		fprintf(stderr, "kechan match: %s; matching without query expansion (kechan match "
				"assoc rewrites it)\n", lerr.msg);
	return 0;
}

/* The field vectors for reranking: path (--lsa), else DB.lsa when there is one (kechan match
 * assoc writes it); *out NULL when none. As assoc_for for a damaged file. */
static int lsa_for(const struct kc_cli *cli, const char *path, struct kc_lsa **out,
		   struct kc_err *err)
{
	char def[4096];
	struct kc_err lerr = KC_ERR_INIT;
	*out = NULL;
	if (path != NULL)
		return kc_lsa_load(out, path, err);
	if (!kc_cli_beside_db(cli, ".lsa", def, sizeof(def)) || access(def, F_OK) != 0)
		return 0;
	if (kc_lsa_load(out, def, &lerr) != 0)
		fprintf(stderr, "kechan match: %s; matching without field vectors (kechan match "
				"assoc rewrites it)\n", lerr.msg);
	return 0;
}

/* ---- feedback */

static int feedback_run(struct kc_cli *cli, int argc, char **argv)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	json_t *m = NULL;
	const char *pos[2] = {NULL, NULL}, *side = NULL, *reason = NULL, *note = NULL, *v;
	int accept = -1, np = 0, code = 0, rc, both = 0;
	for (int i = 1; i < argc; i++) {
		if (kc_cli_opt(argc, argv, &i, "--side", &v)) {
			if (v == NULL)
				return 1;
			side = v;
		} else if (kc_cli_opt(argc, argv, &i, "--decline", &v)) {
			if (v == NULL)
				return 1;
			both |= accept == 1;
			accept = 0;
			reason = v;
		} else if (kc_cli_opt(argc, argv, &i, "--note", &v)) {
			if (v == NULL)
				return 1;
			note = v;
		} else if (strcmp(argv[i], "--accept") == 0) {
			both |= accept == 0;
			accept = 1;
		} else if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (np < 2) {
			pos[np++] = argv[i];
		} else {
			return kc_cli_usage_error("match", "unexpected argument '%s'", argv[i]);
		}
	}
	if (both)
		return kc_cli_usage_error("match", "give --accept or --decline REASON, not both");
	if (np != 2 || side == NULL || accept < 0)
		return kc_cli_usage_error("match", "feedback takes DEMAND SUPPLY --side demand|supply "
						   "and --accept or --decline REASON");
	if (strcmp(side, "demand") != 0 && strcmp(side, "supply") != 0)
		return kc_cli_usage_error("match", "--side is demand or supply, not '%s'", side);
	if (note != NULL && !kc_utf8_valid(note, strlen(note)))
		return kc_cli_usage_error("match", "--note is not valid UTF-8");
	if (kc_cli_open(cli, 1, &st) != 0)
		return 1;
	rc = kc_match_feedback(st, pos[0], pos[1],
			       strcmp(side, "demand") == 0 ? KC_SIDE_DEMAND : KC_SIDE_SUPPLY, accept,
			       reason, note, cli->actor, &m, &err);
	if (rc != 0) {
		code = kc_cli_fail(&err);
		goto out;
	}
	if (cli->json) {
		kc_cli_print_json(m);
	} else {
		printf("%s: %s side %s%s%s%s%s — stage %s\n",
		       json_string_value(json_object_get(m, "id")), side,
		       accept ? "accepted 接受" : "declined 拒绝", reason ? ": " : "",
		       reason ? reason : "", reason ? " " : "",
		       reason ? kc_match_reason_zh(reason) : "",
		       json_string_value(json_object_get(m, "stage")));
	}
out:
	json_decref(m);
	kc_store_close(st);
	return code;
}

/* The verdicts given on the pair (demand_id, supply_id), as one line (empty when none) and as
 * JSON (*js, NULL when none). */
static void feedback_of(struct kc_store *st, const char *demand_id, const char *supply_id,
			char *buf, size_t cap, json_t **js)
{
	json_t *m = NULL;
	size_t len = 0;
	buf[0] = 0;
	*js = NULL;
	if (kc_match_pair(st, demand_id, supply_id, &m, NULL) != 0 || m == NULL)
		return;
	*js = kc_match_verdicts(m);
	for (int side = 0; side < 2 && *js != NULL; side++) {
		json_t *one = json_object_get(*js, side == 0 ? "demand" : "supply");
		const char *v = json_string_value(json_object_get(one, "verdict"));
		const char *r = json_string_value(json_object_get(one, "reason"));
		if (v == NULL)
			continue;
		int n = snprintf(buf + len, cap - len, "%s%s %s%s%s", len ? "；" : "",
				 side == 0 ? "需求方" : "供给方",
				 strcmp(v, "accept") == 0 ? "接受 accepted" : "拒绝 declined",
				 r ? ": " : "", r ? kc_match_reason_zh(r) : "");
		if (n > 0 && len + (size_t)n < cap)
			len += (size_t)n;
	}
	json_decref(m);
}

/* ---- filters */

#define MAX_NODES 32

struct filter_args {
	struct kc_filter f;
	const char *nodes[MAX_NODES];
	int any; /* a condition was given */
	int include_closed;
};

static int parse_date(const char *opt, const char *v, uint32_t *out)
{
	if (kc_filter_date(v, out) != 0)
		return kc_cli_usage_error("match", "%s takes a date YYYY-MM-DD, not '%s'", opt, v);
	return 0;
}

/* Consumes a filter option at argv[*i]: 1 when it was one, 0 when not, -1 on a bad value (the
 * message is printed). */
static int filter_opt(int argc, char **argv, int *i, struct filter_args *fa)
{
	const char *v;
	if (strcmp(argv[*i], "--include-closed") == 0) {
		fa->include_closed = 1;
		return 1;
	}
	if (kc_cli_opt(argc, argv, i, "--region", &v)) {
		if (v == NULL)
			return -1;
		fa->f.region = v;
	} else if (kc_cli_opt(argc, argv, i, "--trl", &v)) {
		int lo, hi;
		if (v == NULL)
			return -1;
		if (kc_filter_trl(v, &lo, &hi) != 0) {
			kc_cli_usage_error("match", "--trl takes N or N-M within 1..9, not '%s'", v);
			return -1;
		}
		fa->f.trl_min = lo;
		fa->f.trl_max = hi;
	} else if (kc_cli_opt(argc, argv, i, "--stage", &v)) {
		char bad[128];
		if (v == NULL)
			return -1;
		if (kc_filter_stages(v, &fa->f.stages, bad, sizeof(bad)) != 0) {
			kc_cli_usage_error("match", "--stage: '%s' is not one of lab, concept, pilot, "
						    "industrial", bad);
			return -1;
		}
	} else if (kc_cli_opt(argc, argv, i, "--node", &v)) {
		if (v == NULL)
			return -1;
		if (fa->f.nnodes == MAX_NODES) {
			kc_cli_usage_error("match", "at most %d --node options", MAX_NODES);
			return -1;
		}
		fa->nodes[fa->f.nnodes++] = v;
		fa->f.nodes = fa->nodes;
	} else if (kc_cli_opt(argc, argv, i, "--since", &v)) {
		if (v == NULL || parse_date("--since", v, &fa->f.date_from) != 0)
			return -1;
	} else if (kc_cli_opt(argc, argv, i, "--until", &v)) {
		if (v == NULL || parse_date("--until", v, &fa->f.date_to) != 0)
			return -1;
	} else if (kc_cli_opt(argc, argv, i, "--status", &v)) {
		if (v == NULL)
			return -1;
		fa->f.status = v;
	} else {
		return 0;
	}
	fa->any = 1;
	return 1;
}

/* ---- batch: every demand's top k, on all cores */

struct batch {
	const struct kc_index *ix;
	const struct kc_assoc *assoc;
	const struct kc_lsa *lsa;
	struct kc_match_vecs *vecs;    /* results' field vectors, shared by the workers */
	struct kc_match_store_docs sd; /* the results' texts for the field vectors */
	const struct kc_text *t;
	json_t **demands;
	size_t n;
	unsigned k;
	int csv;
	char **out; /* per demand: its lines */
	atomic_size_t next, done;
	atomic_int failed;
	struct kc_err err;
	pthread_mutex_t lock;
};

static void csv_field(struct kc_buf *b, const char *s)
{
	kc_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			kc_buf_addc(b, '"');
		kc_buf_addc(b, *s);
	}
	kc_buf_addc(b, '"');
}

static void *batch_worker(void *arg)
{
	struct batch *bt = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&bt->next, 1);
		if (i >= bt->n || atomic_load(&bt->failed))
			break;
		const json_t *d = bt->demands[i];
		const char *id = json_string_value(json_object_get(d, "id"));
		struct kc_match_opts o;
		struct kc_match_result r;
		struct kc_err err = KC_ERR_INIT;
		kc_match_opts_default(&o, KC_DOC_SUPPLY);
		o.k = bt->k;
		o.viewer_admin = 1; /* the demands' own rights do not limit supplies (all public) */
		o.assoc = bt->assoc;
		o.lsa = bt->lsa;
		o.vecs = bt->vecs;
		o.doc_text = kc_match_store_text;
		o.doc_ud = &bt->sd;
		o.exclude_org = json_string_value(json_object_get(d, "org_id"));
		if (kc_match_record(bt->ix, bt->t, d, &o, &r, &err) != 0) {
			pthread_mutex_lock(&bt->lock);
			if (!atomic_exchange(&bt->failed, 1))
				bt->err = err;
			pthread_mutex_unlock(&bt->lock);
			break;
		}
		struct kc_buf b = KC_BUF_INIT;
		for (size_t h = 0; h < r.n; h++) {
			const struct kc_match_hit *hit = &r.hits[h];
			const char *sid = kc_index_doc(bt->ix, hit->doc)->id;
			if (bt->csv) {
				kc_buf_addf(&b, "%s,%zu,%s,%.6f,%.6f,", id, h + 1, sid, hit->score,
					    hit->text_score);
				struct kc_buf terms = KC_BUF_INIT;
				for (size_t p = 0; p < hit->nparts && p < 8; p++)
					kc_buf_addf(&terms, "%s%s", p ? " " : "", hit->parts[p].term);
				csv_field(&b, kc_buf_cstr(&terms));
				kc_buf_release(&terms);
				kc_buf_addc(&b, '\n');
			} else {
				json_t *line = json_pack("{s:s, s:i, s:s}", "demand_id", id, "rank",
							 (json_int_t)h + 1, "supply_id", sid);
				json_object_update_missing_new(line, kc_match_hit_json(hit, 8));
				char *txt = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
				if (txt) {
					kc_buf_adds(&b, txt);
					kc_buf_addc(&b, '\n');
					free(txt);
				}
				json_decref(line);
			}
		}
		kc_match_result_free(&r);
		bt->out[i] = kc_buf_take(&b);
		atomic_fetch_add(&bt->done, 1);
	}
	return NULL;
}

static int on_demand(void *ud, const json_t *rec)
{
	json_t *arr = ud;
	return json_array_append(arr, (json_t *)rec) ? KC_ENOMEM : 0;
}

static int batch_run(struct kc_store *st, const struct kc_index *ix, const struct kc_assoc *assoc,
		     const struct kc_lsa *lsa, const struct kc_text *t, const char *path, int csv,
		     unsigned k, int as_admin, struct kc_err *err)
{
	struct batch bt = {.ix = ix, .assoc = assoc, .lsa = lsa, .t = t, .k = k, .csv = csv};
	bt.sd = (struct kc_match_store_docs){st, ix, &bt.lock};
	if (lsa != NULL && kc_match_vecs_new(&bt.vecs, lsa, err) != 0)
		return KC_ENOMEM;
	json_t *all = json_array();
	size_t skipped = 0;
	int rc = kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), NULL, on_demand, all, err);
	if (rc < 0) {
		json_decref(all);
		kc_match_vecs_free(bt.vecs);
		return rc;
	}
	bt.demands = calloc(json_array_size(all) + 1, sizeof(json_t *));
	for (size_t i = 0; i < json_array_size(all); i++) {
		json_t *d = json_array_get(all, i);
		if (kc_cli_hides_owner(d, as_admin)) {
			skipped++;
			continue;
		}
		bt.demands[bt.n++] = d;
	}
	bt.out = calloc(bt.n + 1, sizeof(char *));
	pthread_mutex_init(&bt.lock, NULL);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = ncpu > 0 ? (size_t)ncpu : 1;
	if (nth > 64)
		nth = 64;
	pthread_t th[64];
	double t0 = kc_now();
	size_t started = 0;
	for (size_t i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, batch_worker, &bt) == 0)
			started++;
	if (started == 0)
		batch_worker(&bt);
	int tty = isatty(STDERR_FILENO);
	while (tty && atomic_load(&bt.done) < bt.n && !atomic_load(&bt.failed)) {
		fprintf(stderr, "\rmatching %zu / %zu demands", atomic_load(&bt.done), bt.n);
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (tty)
		fprintf(stderr, "\r\033[K");
	double secs = kc_now() - t0;
	if (atomic_load(&bt.failed)) {
		rc = kc_err_set(err, bt.err.code ? bt.err.code : KC_EINTERNAL, "%s", bt.err.msg);
		goto out;
	}
	/* write beside the target and rename: a reader never sees half a file */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		rc = kc_err_set(err, KC_EIO, "cannot write %s", tmp);
		goto out;
	}
	if (csv)
		fputs("demand_id,rank,supply_id,score,text_score,terms\n", f);
	for (size_t i = 0; i < bt.n; i++)
		if (bt.out[i])
			fputs(bt.out[i], f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		remove(tmp);
		rc = kc_err_set(err, KC_EIO, "cannot write %s", path);
		goto out;
	}
	printf("matched %zu demands (top %u supplies each) in %.2f s on %zu threads -> %s\n", bt.n,
	       k, secs, started ? started : 1, path);
	if (skipped)
		printf("left out %zu confidential demands (use --as-admin to include them)\n",
		       skipped);
out:
	for (size_t i = 0; i < bt.n; i++)
		kc_free(bt.out[i]);
	free(bt.out);
	free(bt.demands);
	pthread_mutex_destroy(&bt.lock);
	kc_match_vecs_free(bt.vecs);
	json_decref(all);
	return rc;
}

/* ---- dupes */

struct texts {
	json_t *recs;
};

static int on_any(void *ud, const json_t *rec)
{
	return json_array_append(((struct texts *)ud)->recs, (json_t *)rec) ? KC_ENOMEM : 0;
}

int kc_cli_dupes_find(struct kc_store *st, const struct kc_text *t, double threshold,
		      const json_t *known, json_t **pairs, struct kc_err *err)
{
	enum kc_entity ents[2] = {KC_ENT_SUPPLY, KC_ENT_DEMAND};
	json_t *all = json_array();
	int rc = 0;
	*pairs = NULL;
	if (all == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	for (int e = 0; e < 2 && rc == 0; e++) {
		const char *type = kc_entity_def(ents[e])->name;
		struct texts tx = {json_array()};
		rc = kc_store_each(st, kc_entity_def(ents[e]), NULL, on_any, &tx, err);
		if (rc < 0) {
			json_decref(tx.recs);
			break;
		}
		rc = 0;
		size_t n = json_array_size(tx.recs);
		char **texts = calloc(n + 1, sizeof(char *));
		for (size_t i = 0; texts != NULL && i < n; i++) {
			const json_t *r = json_array_get(tx.recs, i);
			const char *ti = json_string_value(json_object_get(r, "title"));
			const char *de = json_string_value(json_object_get(r, "description"));
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_addf(&b, "%s\n%s", ti ? ti : "", de ? de : "");
			texts[i] = kc_buf_take(&b);
		}
		struct kc_dupe *d = NULL;
		size_t nd = 0;
		rc = texts ? kc_match_dupes(t, (const char *const *)texts, n, threshold, &d, &nd, err)
			   : kc_err_set(err, KC_ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < nd; i++) {
			const json_t *a = json_array_get(tx.recs, d[i].a);
			const json_t *b = json_array_get(tx.recs, d[i].b);
			const char *ia = json_string_value(json_object_get(a, "id"));
			const char *ib = json_string_value(json_object_get(b, "id"));
			if (known != NULL) { /* only pairs with a new record */
				char ka[160], kb[160];
				snprintf(ka, sizeof(ka), "%s:%s", type, ia);
				snprintf(kb, sizeof(kb), "%s:%s", type, ib);
				if (json_object_get(known, ka) && json_object_get(known, kb))
					continue;
			}
			json_array_append_new(
				all, json_pack("{s:s, s:s, s:s, s:f, s:s?, s:s?}", "type", type, "a", ia,
					       "b", ib, "similarity", d[i].jaccard, "title_a",
					       json_string_value(json_object_get(a, "title")),
					       "title_b", json_string_value(json_object_get(b, "title"))));
		}
		kc_free(d);
		for (size_t i = 0; texts != NULL && i < n; i++)
			kc_free(texts[i]);
		free(texts);
		json_decref(tx.recs);
	}
	if (rc != 0) {
		json_decref(all);
		return rc;
	}
	*pairs = all;
	return 0;
}

void kc_cli_dupes_print(const json_t *pairs, size_t max)
{
	size_t i;
	const json_t *p;
	json_array_foreach(pairs, i, p) {
		if (i == max) {
			printf("… %zu more\n", json_array_size(pairs) - max);
			break;
		}
		const char *ta = json_string_value(json_object_get(p, "title_a"));
		const char *tb = json_string_value(json_object_get(p, "title_b"));
		printf("%.2f  %-10s %-10s  %s  |  %s\n",
		       json_real_value(json_object_get(p, "similarity")),
		       json_string_value(json_object_get(p, "a")),
		       json_string_value(json_object_get(p, "b")), ta ? ta : "", tb ? tb : "");
	}
}

static int dupes_run(struct kc_cli *cli, struct kc_store *st, const struct kc_text *t,
		     double threshold, struct kc_err *err)
{
	json_t *pairs = NULL;
	int rc = kc_cli_dupes_find(st, t, threshold, NULL, &pairs, err);
	if (rc != 0)
		return rc;
	if (cli->json) {
		kc_cli_print_json(pairs);
	} else {
		size_t total = json_array_size(pairs);
		kc_cli_dupes_print(pairs, SIZE_MAX);
		printf("%zu near-duplicate pair%s (similarity >= %.2f)\n", total,
		       total == 1 ? "" : "s", threshold);
	}
	json_decref(pairs);
	return 0;
}

int kc_cli_match(struct kc_cli *cli, int argc, char **argv)
{
	/* argv[0] is "match" */
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	struct kc_text *base = NULL, *t = NULL;
	struct kc_index *ix = NULL;
	struct kc_match_result res = {0};
	struct kc_match_opts o;
	struct names names = {json_object(), json_object()};
	json_t *query = NULL;
	const char *mode = NULL, *arg = NULL, *target = "supplies", *v, *org = NULL, *outp = NULL,
		   *format = "jsonl";
	const char *assoc_path = NULL, *lsa_path = NULL;
	struct kc_assoc *assoc = NULL;
	struct kc_lsa *lsa = NULL;
	struct kc_match_store_docs sd;
	double threshold = 0.7;
	int explain = 0, as_admin = 0, rc = 0, code = 0, rebuild = 0, no_expand = 0;
	long k = 10;
	struct filter_args fa = {0};
	struct kc_docset *only = NULL;
	if (argc > 1 && strcmp(argv[1], "feedback") == 0) {
		code = feedback_run(cli, argc - 1, argv + 1);
		goto out;
	}
	if (argc > 1 && strcmp(argv[1], "assoc") == 0) {
		code = kc_cli_match_assoc(cli, argc - 1, argv + 1);
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		int fr;
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			goto out;
		} else if ((fr = filter_opt(argc, argv, &i, &fa)) != 0) {
			if (fr < 0) {
				code = 1;
				goto out;
			}
		} else if (kc_cli_opt(argc, argv, &i, "-k", &v) ||
			   kc_cli_opt(argc, argv, &i, "--limit", &v)) {
			char *end;
			if (v == NULL) {
				code = 1;
				goto out;
			}
			k = strtol(v, &end, 10);
			if (*end || k < 1 || k > 1000) {
				code = kc_cli_usage_error("match", "-k takes 1 to 1000, not '%s'", v);
				goto out;
			}
		} else if (kc_cli_opt(argc, argv, &i, "--target", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			target = v;
		} else if (kc_cli_opt(argc, argv, &i, "--out", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			outp = v;
		} else if (kc_cli_opt(argc, argv, &i, "--threshold", &v)) {
			char *end;
			if (v == NULL) {
				code = 1;
				goto out;
			}
			threshold = strtod(v, &end);
			if (*end || !(threshold > 0 && threshold <= 1)) {
				code = kc_cli_usage_error("match", "--threshold is in (0, 1], not '%s'", v);
				goto out;
			}
		} else if (kc_cli_opt(argc, argv, &i, "--format", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			format = v;
		} else if (kc_cli_opt(argc, argv, &i, "--assoc", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			assoc_path = v;
		} else if (kc_cli_opt(argc, argv, &i, "--lsa", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			lsa_path = v;
		} else if (strcmp(argv[i], "--no-expand") == 0) {
			no_expand = 1;
		} else if (kc_cli_opt(argc, argv, &i, "--org", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			org = v;
		} else if (strcmp(argv[i], "--rebuild-index") == 0) {
			rebuild = 1;
		} else if (strcmp(argv[i], "--explain") == 0) {
			explain = 1;
		} else if (strcmp(argv[i], "--as-admin") == 0) {
			as_admin = 1;
		} else if (mode == NULL) {
			mode = argv[i];
		} else if (arg == NULL) {
			arg = argv[i];
		} else {
			code = kc_cli_usage_error("match", "unexpected argument '%s'", argv[i]);
			goto out;
		}
	}
	if (mode != NULL && strcmp(mode, "dupes") == 0) {
		if (arg != NULL) {
			code = kc_cli_usage_error("match", "dupes takes no argument");
			goto out;
		}
		if (kc_cli_open(cli, 0, &st) != 0) {
			code = 1;
			goto out;
		}
		if ((rc = kc_text_open(&base, NULL, &err)) != 0 ||
		    (rc = kc_text_from_store(base, st, &t, NULL, &err)) != 0 ||
		    (rc = dupes_run(cli, st, t, threshold, &err)) != 0)
			goto fail;
		goto out;
	}
	if (mode != NULL && strcmp(mode, "batch") == 0) {
		if (arg != NULL || outp == NULL) {
			code = kc_cli_usage_error("match", "batch takes --out FILE and no other argument");
			goto out;
		}
		if (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0) {
			code = kc_cli_usage_error("match", "--format is jsonl or csv");
			goto out;
		}
		if (kc_cli_open(cli, 0, &st) != 0) {
			code = 1;
			goto out;
		}
		if ((rc = kc_text_open(&base, NULL, &err)) != 0 ||
		    (rc = kc_text_from_store(base, st, &t, NULL, &err)) != 0 ||
		    (rc = index_for(cli, st, t, rebuild, &ix, &err)) != 0 ||
		    (!no_expand && (rc = assoc_for(cli, assoc_path, &assoc, &err)) != 0) ||
		    (!no_expand && (rc = lsa_for(cli, lsa_path, &lsa, &err)) != 0) ||
		    (rc = batch_run(st, ix, assoc, lsa, t, outp, strcmp(format, "csv") == 0,
				    (unsigned)k, as_admin, &err)) != 0)
			goto fail;
		goto out;
	}
	if (mode == NULL) {
		fputs(help, stderr);
		code = 1;
		goto out;
	}
	int is_text = strcmp(mode, "text") == 0;
	if ((is_text || strcmp(mode, "demand") == 0 || strcmp(mode, "supply") == 0) &&
	    (arg == NULL || (is_text && arg[strspn(arg, " \t\r\n")] == '\0'))) {
		code = kc_cli_usage_error("match", "%s needs %s", mode,
					  is_text ? "a text to match (not empty)"
					  : strcmp(mode, "demand") == 0 ? "a demand ID"
									: "a supply ID");
		goto out;
	}
	enum kc_doc_kind tk;
	if (strcmp(mode, "demand") == 0) {
		tk = KC_DOC_SUPPLY;
	} else if (strcmp(mode, "supply") == 0) {
		tk = KC_DOC_DEMAND;
	} else if (strcmp(mode, "text") == 0) {
		if (strcmp(target, "supplies") == 0)
			tk = KC_DOC_SUPPLY;
		else if (strcmp(target, "demands") == 0)
			tk = KC_DOC_DEMAND;
		else {
			code = kc_cli_usage_error("match", "--target is supplies or demands");
			goto out;
		}
	} else {
		code = kc_cli_usage_error("match", "unknown mode '%s' (demand, supply or text)", mode);
		goto out;
	}
	if (strcmp(mode, "text") == 0 && !kc_utf8_valid(arg, strlen(arg))) {
		code = kc_cli_usage_error("match", "the text is not valid UTF-8");
		goto out;
	}
	if (kc_cli_open(cli, 0, &st) != 0) {
		code = 1;
		goto out;
	}
	if (strcmp(mode, "text") != 0) {
		enum kc_entity e = tk == KC_DOC_SUPPLY ? KC_ENT_DEMAND : KC_ENT_SUPPLY;
		if ((rc = kc_store_get(st, kc_entity_def(e), arg, &query, &err)) != 0)
			goto fail;
		/* a confidential demand is matched only for its owner or an admin */
		if (e == KC_ENT_DEMAND && kc_cli_hides_owner(query, as_admin)) {
			const char *owner = json_string_value(json_object_get(query, "org_id"));
			if (org == NULL || owner == NULL || strcmp(org, owner) != 0) {
				rc = kc_err_set(&err, KC_EPERM,
						"demand %s is confidential: only its org (--org) or an "
						"admin (--as-admin) may match it",
						arg);
				goto fail;
			}
		}
	}
	if ((rc = kc_text_open(&base, NULL, &err)) != 0 ||
	    (rc = kc_text_from_store(base, st, &t, NULL, &err)) != 0 ||
	    (rc = index_for(cli, st, t, rebuild, &ix, &err)) != 0 ||
	    (!no_expand && (rc = assoc_for(cli, assoc_path, &assoc, &err)) != 0) ||
	    (!no_expand && (rc = lsa_for(cli, lsa_path, &lsa, &err)) != 0))
		goto fail;
	if (kc_store_each(st, kc_entity_def(KC_ENT_ORG), NULL, on_org, &names, &err) < 0 ||
	    kc_store_each(st, kc_entity_def(KC_ENT_NODE), NULL, on_node, &names, &err) < 0)
		goto fail;
	kc_match_opts_default(&o, tk);
	o.k = (unsigned)k;
	o.assoc = assoc;
	o.lsa = lsa;
	sd = (struct kc_match_store_docs){st, ix, NULL};
	o.doc_text = kc_match_store_text;
	o.doc_ud = &sd;
	if (no_expand)
		o.alias_weight = 0;
	o.viewer_admin = as_admin;
	o.viewer_org = org;
	o.viewer_member = org != NULL;
	if (query != NULL) /* an org is not matched with itself */
		o.exclude_org = json_string_value(json_object_get(query, "org_id"));
	o.include_closed = fa.include_closed;
	for (size_t i = 0; i < fa.f.nnodes; i++) {
		if (json_object_get(names.nodes, fa.nodes[i]) == NULL) {
			rc = kc_err_set(&err, KC_ENOTFOUND, "--node: chain node '%s' not found",
					fa.nodes[i]);
			goto fail;
		}
	}
	if (fa.any) {
		fa.f.kind = tk;
		fa.f.viewer_admin = as_admin;
		fa.f.viewer_org = org;
		fa.f.viewer_member = org != NULL;
		if ((rc = kc_index_filter(ix, &fa.f, &only, &err)) != 0)
			goto fail;
		o.only = only;
	}
	rc = query ? kc_match_record(ix, t, query, &o, &res, &err)
		   : kc_match_text(ix, t, arg, &o, &res, &err);
	if (rc != 0)
		goto fail;
	json_t *out = cli->json ? json_array() : NULL;
	if (!cli->json)
		printf("%s for %s %s: %zu results (%zu scored in full; %zu %s indexed)\n",
		       tk == KC_DOC_SUPPLY ? "供给 supplies" : "需求 demands", mode, arg, res.n,
		       res.candidates, kc_index_docs(ix, (int)tk),
		       tk == KC_DOC_SUPPLY ? "supplies" : "demands");
	if (!cli->json && query != NULL) {
		json_t *counts = NULL;
		if (kc_match_feedback_counts(st, tk == KC_DOC_SUPPLY ? KC_SIDE_DEMAND : KC_SIDE_SUPPLY,
					     arg, &counts, NULL) == 0) {
			json_int_t acc = json_integer_value(json_object_get(counts, "accepted"));
			json_int_t dec = json_integer_value(json_object_get(counts, "declined"));
			if (acc + dec > 0) {
				printf("反馈 feedback on %s: %lld accepted 接受, %lld declined 拒绝", arg,
				       (long long)acc, (long long)dec);
				const char *r;
				json_t *n;
				const char *sep = " (";
				json_object_foreach(json_object_get(counts, "reasons"), r, n) {
					printf("%s%s %lld", sep, kc_match_reason_zh(r),
					       (long long)json_integer_value(n));
					sep = ", ";
				}
				printf("%s\n", strcmp(sep, ", ") == 0 ? ")" : "");
			}
			json_decref(counts);
		}
	}
	if (!cli->json && only != NULL)
		printf("筛选 filter: %llu %s pass\n", (unsigned long long)kc_docset_count(only),
		       tk == KC_DOC_SUPPLY ? "supplies" : "demands");
	for (size_t i = 0; i < res.n; i++) {
		const struct kc_doc *d = kc_index_doc(ix, res.hits[i].doc);
		json_t *rec = NULL;
		enum kc_entity e = tk == KC_DOC_SUPPLY ? KC_ENT_SUPPLY : KC_ENT_DEMAND;
		if (kc_store_get(st, kc_entity_def(e), d->id, &rec, &err) != 0)
			goto fail;
		int hide = e == KC_ENT_DEMAND && kc_cli_hides_owner(rec, as_admin) &&
			   !(org && d->org_id && strcmp(org, d->org_id) == 0);
		const char *oname = hide || d->org_id == NULL
					    ? "(保密 confidential)"
					    : json_string_value(json_object_get(names.orgs, d->org_id));
		const char *title = json_string_value(json_object_get(rec, "title"));
		char fb[512] = "";
		json_t *fbj = NULL;
		if (query != NULL)
			feedback_of(st, tk == KC_DOC_SUPPLY ? arg : d->id,
				    tk == KC_DOC_SUPPLY ? d->id : arg, fb, sizeof(fb), &fbj);
		if (cli->json) {
			json_t *item = json_pack("{s:i, s:s, s:f, s:s?, s:s?}", "rank", (json_int_t)i + 1,
						 "id", d->id, "score", res.hits[i].score, "title",
						 title, "org", hide ? NULL : oname);
			if (hide)
				json_object_set_new(item, "owner_hidden", json_true());
			static const char *const facets[] = {"region", "trl", "trl_min", "stage",
							     "nodes", "published", "status"};
			for (size_t f = 0; f < sizeof(facets) / sizeof(facets[0]); f++) {
				json_t *x = json_object_get(rec, facets[f]);
				if (x != NULL)
					json_object_set(item, facets[f], x);
			}
			json_object_update_missing_new(item, kc_match_hit_json(&res.hits[i], 50));
			if (fbj != NULL)
				json_object_set_new(item, "feedback", fbj);
			json_t *counts = NULL;
			if (kc_match_feedback_counts(st, tk == KC_DOC_SUPPLY ? KC_SIDE_SUPPLY
									     : KC_SIDE_DEMAND,
						     d->id, &counts, NULL) == 0)
				json_object_set_new(item, "feedback_counts", counts);
			json_array_append_new(out, item);
		} else {
			printf("%2zu  %-10s %6.2f %s %-8s %s — %s\n", i + 1, d->id, res.hits[i].score,
			       kc_match_band_zh(res.hits[i].band),
			       kc_match_band_name(res.hits[i].band), title ? title : "",
			       oname ? oname : d->org_id);
			if (explain)
				print_explanation(&names, &res.hits[i], 6);
			if (fb[0])
				printf("      反馈 feedback: %s\n", fb);
			json_decref(fbj);
		}
		json_decref(rec);
	}
	if (cli->json) {
		json_t *doc = json_pack("{s:s, s:s, s:o, s:I}", "mode", mode, "query", arg, "results",
					out, "candidates", (json_int_t)res.candidates);
		if (only != NULL)
			json_object_set_new(doc, "filtered",
					    json_integer((json_int_t)kc_docset_count(only)));
		kc_cli_print_json(doc);
		json_decref(doc);
	}
	goto out;
fail:
	code = kc_cli_fail(&err);
out:
	kc_match_result_free(&res);
	kc_docset_free(only);
	kc_index_free(ix);
	kc_assoc_free(assoc);
	kc_lsa_free(lsa);
	kc_text_close(t);
	kc_text_close(base);
	json_decref(query);
	json_decref(names.orgs);
	json_decref(names.nodes);
	kc_store_close(st);
	return code;
}
