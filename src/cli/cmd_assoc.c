/* cli: `kechan match assoc`: learns term associations (include/kechan/assoc.h) from the store's
 * public supplies and demands and from text files, for query expansion, and field vectors
 * (include/kechan/lsa.h) from the store's (or, with --no-store, the files'), for reranking. The
 * table goes to DB.assoc next to the database (or --out), the vectors to DB.lsa (or --lsa-out),
 * where `kechan match` and `kechan serve` find them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/assoc.h"
#include "kechan/lsa.h"
#include "kechan/store.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] match assoc [--texts FILE.jsonl]... [--fields LIST] [--no-store]\n"
	"                                     [--out FILE] [--lsa-out FILE] [--dims N]\n\n"
	"Learns which words go together (normalized PMI over texts: docs/match.md) for query\n"
	"expansion: a long query (a demand's or an achievement's whole text) also looks for the\n"
	"words most associated with it, with a small weight, each shown in the explanation with\n"
	"the word it came from (←). Also learns field vectors (latent semantic analysis: docs/match.md)\n"
	"from the store's public records (with --no-store, from the files), with which a long\n"
	"query's first results are reranked so that records of its field that share few of its\n"
	"words move up (领域相近 in the explanation).\n\n"
	"  --texts FILE   JSON Lines, one text per line: the string fields of each object (and\n"
	"                 lists of strings) joined, e.g. {\"title\": …, \"abstract\": …, \"keywords\":\n"
	"                 […]}; repeatable. A scientific-literature set the size of CSL's helps most.\n"
	"  --fields LIST  only these fields of the files' objects (comma-separated), e.g.\n"
	"                 title,abstract,keywords\n"
	"  --no-store     learn from the files only (default: also every supply and every public\n"
	"                 demand of the store; confidential and members-only demands never)\n"
	"  --out FILE     where to write the table (default DB.assoc, which kechan match and kechan\n"
	"                 serve load when it is there)\n"
	"  --lsa-out FILE where to write the field vectors (default DB.lsa)\n"
	"  --dims N       length of the field vectors (default 64; 8-512)\n\n"
	"Nothing is written when a file has a bad line (the error names file and line).\n";

struct train {
	const char *fields; /* ",title,abstract," or NULL for all */
	struct kc_assoc *a;
	struct kc_lsa *lsa;
	int lsa_files; /* the files' texts train the field vectors too (--no-store) */
	const struct kc_text *t;
	struct kc_text_run *run;
	struct kc_buf b;
	struct kc_err *err;
	size_t texts;
};

/* Appends the strings of v (a string, an array of them, or an object's values) to b. */
static int add_strings(struct kc_buf *b, const json_t *v)
{
	if (json_is_string(v)) {
		if (b->len && kc_buf_addc(b, '\n') != 0)
			return KC_ENOMEM;
		return kc_buf_add(b, json_string_value(v), json_string_length(v));
	}
	size_t i;
	const char *k;
	json_t *x;
	if (json_is_array(v))
		json_array_foreach(v, i, x)
			if (add_strings(b, x) != 0)
				return KC_ENOMEM;
	if (json_is_object(v))
		json_object_foreach((json_t *)v, k, x)
			if (add_strings(b, x) != 0)
				return KC_ENOMEM;
	return 0;
}

/* v's strings train the associations and (lsa) the field vectors. */
static int learn(struct train *tr, const json_t *v, int lsa)
{
	kc_buf_reset(&tr->b);
	if (add_strings(&tr->b, v) != 0)
		return kc_err_set(tr->err, KC_ENOMEM, "out of memory");
	if (tr->b.len == 0)
		return 0;
	tr->texts++;
	int rc = kc_assoc_add(tr->a, tr->t, tr->run, kc_buf_cstr(&tr->b), tr->b.len, tr->err);
	if (rc == 0 && lsa)
		rc = kc_lsa_add(tr->lsa, tr->t, tr->run, kc_buf_cstr(&tr->b), tr->b.len, tr->err);
	return rc;
}

static int on_record(void *ud, const json_t *rec)
{
	struct train *tr = ud;
	const char *vis = json_string_value(json_object_get(rec, "visibility"));
	if (vis != NULL && strcmp(vis, "public") != 0)
		return 0; /* what only some may read must not shape what everyone's queries find */
	json_t *v = json_pack("[O?, O?, O?]", json_object_get(rec, "title"),
			      json_object_get(rec, "keywords"), json_object_get(rec, "description"));
	if (v == NULL)
		return kc_err_set(tr->err, KC_ENOMEM, "out of memory");
	int rc = learn(tr, v, 1);
	json_decref(v);
	return rc;
}

static int learn_file(struct train *tr, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	if (f == NULL)
		return kc_err_set(tr->err, errno == ENOENT ? KC_ENOTFOUND : KC_EIO,
				  "%s: cannot open: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		if (!kc_utf8_valid(line, (size_t)n)) {
			rc = kc_err_set(tr->err, KC_EDATA, "%s:%zu: not valid UTF-8", path, lineno);
			break;
		}
		json_t *v = json_loadb(line, (size_t)n, 0, &je);
		if (!json_is_object(v)) {
			rc = kc_err_set(tr->err, KC_EDATA, "%s:%zu: not a JSON object%s%s", path,
					lineno, v ? "" : ": ", v ? "" : je.text);
			json_decref(v);
			break;
		}
		if (tr->fields != NULL) { /* keep the fields asked for */
			const char *k;
			json_t *x, *keep = json_object();
			json_object_foreach(v, k, x) {
				char key[256];
				if ((size_t)snprintf(key, sizeof(key), ",%s,", k) < sizeof(key) &&
				    strstr(tr->fields, key) != NULL)
					json_object_set(keep, k, x);
			}
			json_decref(v);
			v = keep;
		}
		rc = learn(tr, v, tr->lsa_files);
		json_decref(v);
		if (rc != 0) {
			kc_err_prefix(tr->err, "%s:%zu: ", path, lineno);
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int kc_cli_match_assoc(struct kc_cli *cli, int argc, char **argv)
{
	/* argv[0] is "assoc" */
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	struct kc_text *base = NULL, *t = NULL;
	struct train tr = {0};
	const char **files = calloc((size_t)argc, sizeof(*files)), *outp = NULL, *lsap = NULL, *v;
	char *fields = NULL;
	size_t nfiles = 0;
	int use_store = 1, code = 0, rc = 0;
	char path[4096], lpath[4096];
	struct kc_lsa_params lp;
	kc_lsa_params_default(&lp);
	kc_buf_init(&tr.b, 0);
	if (files == NULL)
		return kc_cli_usage_error("match assoc", "out of memory");
	for (int i = 1; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			goto out;
		} else if (kc_cli_opt(argc, argv, &i, "--texts", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			files[nfiles++] = v;
		} else if (kc_cli_opt(argc, argv, &i, "--fields", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			size_t n = strlen(v) + 3;
			free(fields);
			if ((fields = malloc(n)) == NULL) {
				code = kc_cli_usage_error("match assoc", "out of memory");
				goto out;
			}
			snprintf(fields, n, ",%s,", v);
			tr.fields = fields;
		} else if (kc_cli_opt(argc, argv, &i, "--out", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			outp = v;
		} else if (kc_cli_opt(argc, argv, &i, "--lsa-out", &v)) {
			if (v == NULL) {
				code = 1;
				goto out;
			}
			lsap = v;
		} else if (kc_cli_opt(argc, argv, &i, "--dims", &v)) {
			char *end;
			long d = v ? strtol(v, &end, 10) : 0;
			if (v == NULL || *end != 0 || d < 8 || d > 512) {
				code = v ? kc_cli_usage_error("match assoc",
							      "--dims takes a number from 8 to 512")
					 : 1;
				goto out;
			}
			lp.dims = (unsigned)d;
		} else if (strcmp(argv[i], "--no-store") == 0) {
			use_store = 0;
		} else {
			code = kc_cli_usage_error("match assoc", "unexpected argument '%s'", argv[i]);
			goto out;
		}
	}
	if (!use_store && nfiles == 0) {
		code = kc_cli_usage_error("match assoc", "--no-store needs at least one --texts FILE");
		goto out;
	}
	if (outp == NULL) {
		if (!kc_cli_beside_db(cli, ".assoc", path, sizeof(path))) {
			code = kc_cli_usage_error("match assoc", "give --out FILE for this database");
			goto out;
		}
		outp = path;
	}
	if (lsap == NULL) {
		if (!kc_cli_beside_db(cli, ".lsa", lpath, sizeof(lpath))) {
			code = kc_cli_usage_error("match assoc", "give --lsa-out FILE for this database");
			goto out;
		}
		lsap = lpath;
	}
	tr.lsa_files = !use_store;
	if (kc_cli_open(cli, 0, &st) != 0) {
		code = 1;
		goto out;
	}
	double t0 = kc_now();
	tr.err = &err;
	if ((rc = kc_text_open(&base, NULL, &err)) != 0 ||
	    (rc = kc_text_from_store(base, st, &t, NULL, &err)) != 0 ||
	    (rc = kc_assoc_new(&tr.a, &err)) != 0 || (rc = kc_lsa_new(&tr.lsa, &err)) != 0)
		goto fail;
	tr.t = t;
	if ((tr.run = kc_text_run_new()) == NULL) {
		rc = kc_err_set(&err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	if (use_store &&
	    ((rc = kc_store_each(st, kc_entity_def(KC_ENT_SUPPLY), NULL, on_record, &tr, &err)) < 0 ||
	     (rc = kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), NULL, on_record, &tr, &err)) < 0))
		goto fail;
	size_t from_store = tr.texts;
	for (size_t i = 0; i < nfiles; i++)
		if ((rc = learn_file(&tr, files[i])) != 0)
			goto fail;
	if ((rc = kc_assoc_finish(tr.a, NULL, &err)) != 0 ||
	    (rc = kc_lsa_finish(tr.lsa, &lp, &err)) != 0 ||
	    (rc = kc_assoc_save(tr.a, outp, &err)) != 0 ||
	    (rc = kc_lsa_save(tr.lsa, lsap, &err)) != 0)
		goto fail;
	size_t texts, words, links;
	kc_assoc_stats(tr.a, &texts, &words, &links);
	printf("%zu texts (%zu from the store, %zu from files): %zu words with partners, %zu links "
	       "(%.1f s) → %s\n",
	       texts, from_store, texts - from_store, words, links, kc_now() - t0, outp);
	if (words == 0)
		printf("too few texts to learn from: a word needs 3 texts and a pair 3 texts in "
		       "common; add a corpus with --texts\n");
	size_t lt, lw;
	unsigned ld;
	kc_lsa_stats(tr.lsa, &lt, &lw, &ld);
	printf("field vectors: %zu texts, %zu words, %u dims → %s\n", lt, lw, ld, lsap);
	if (ld == 0)
		printf("too few texts for field vectors: matching goes on without them\n");
	goto out;
fail:
	code = kc_cli_fail(&err);
out:
	kc_buf_release(&tr.b);
	kc_text_run_free(tr.run);
	kc_assoc_free(tr.a);
	kc_lsa_free(tr.lsa);
	kc_text_close(t);
	kc_text_close(base);
	kc_store_close(st);
	free(files);
	free(fields);
	return code;
}
