/* libFuzzer target: the importer (kc_import) on arbitrary files over a store holding the demo
 * data. Imports are all-or-nothing and never leave the store inconsistent:
 *   - a failed import changes nothing: the data version and every entity's count are as
 *     before;
 *   - a successful one leaves a store kc_store_check finds no problem in (references,
 *     schema, every record valid), as it was before;
 *   - no crash, leak or undefined behaviour (ASan + UBSan).
 * Successful imports stay (the store moves on between inputs).
 *
 * Input: byte 0 picks the file's name, hence its format and type (data.jsonl, or org.csv,
 * supply.csv, demand.csv, match.csv, node.csv, user.csv); the rest is the file.
 *
 * Built by the fuzz preset (clang; make fuzz), and replayed over fuzz/corpus/import by ctest
 * (fuzz/replay.c) in every build. The database is made in a temporary directory, removed at
 * exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kechan/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char g_dir[64], g_db[128];
static struct kc_store *g_st;
static FILE *g_null;

static const char *const g_names[] = {"data.jsonl", "org.csv",   "supply.csv", "demand.csv",
				      "match.csv",  "node.csv", "user.csv"};
#define NNAMES (sizeof(g_names) / sizeof(g_names[0]))

static void die(const char *what, const struct kc_err *err)
{
	fprintf(stderr, "fuzz_import: %s: %s\n", what, err ? err->msg : "");
	abort();
}

static void cleanup(void)
{
	kc_store_close(g_st);
	if (g_null)
		fclose(g_null);
	char p[192];
	static const char *const files[] = {"kechan.db", "kechan.db-wal", "kechan.db-shm"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", g_dir, files[i]);
		unlink(p);
	}
	for (size_t i = 0; i < NNAMES; i++) {
		snprintf(p, sizeof(p), "%s/%s", g_dir, g_names[i]);
		unlink(p);
	}
	rmdir(g_dir);
}

static void on_problem(void *ud, const char *field, const char *msg)
{
	const char *what = ud;
	fprintf(stderr, "fuzz_import: %s: the store has a problem: %s: %s\n", what,
		field ? field : "", msg);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct kc_err err = KC_ERR_INIT;
	snprintf(g_dir, sizeof(g_dir), "/tmp/kc-fuzz-import-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		die("mkdtemp", NULL);
	snprintf(g_db, sizeof(g_db), "%s/kechan.db", g_dir);
	if (kc_store_open(g_db, KC_STORE_CREATE, &g_st, &err) != 0)
		die("open", &err);
	g_null = fopen("/dev/null", "w");
	struct kc_import_opts o = {.actor = "fuzz", .errors = g_null};
	if (kc_import(g_st, KC_SRC_DIR "/data/demo", &o, NULL, &err) != 0)
		die("import data/demo", &err);
	char what[] = "the demo data";
	if (kc_store_check(g_st, on_problem, what, &err) != 0)
		die("check", &err);
	atexit(cleanup);
	return 0;
}

/* Every entity's count, and the data version, into c[KC_ENT_COUNT + 1]. */
static void counts(int64_t *c)
{
	struct kc_err err = KC_ERR_INIT;
	for (int e = 0; e < KC_ENT_COUNT; e++)
		if ((c[e] = kc_store_count(g_st, kc_entity_def((enum kc_entity)e), NULL, &err)) < 0)
			die("count", &err);
	if ((c[KC_ENT_COUNT] = kc_store_data_version(g_st, &err)) < 0)
		die("data version", &err);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	const char *name = g_names[data[0] % NNAMES];
	char path[192];
	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		die("cannot write the input file", NULL);
	int64_t before[KC_ENT_COUNT + 1], after[KC_ENT_COUNT + 1];
	counts(before);
	struct kc_err err = KC_ERR_INIT;
	struct kc_import_opts o = {.actor = "fuzz", .errors = g_null};
	struct kc_import_stats stats;
	int rc = kc_import(g_st, path, &o, &stats, &err);
	unlink(path);
	counts(after);
	if (getenv("KC_FUZZ_IMPORT_LOG")) /* for writing seeds: what each import did */
		fprintf(stderr, "%s: %s\n", name, rc == 0 ? "imported" : err.msg);
	if (rc != 0) {
		if (rc != KC_EDATA && rc != KC_EINVAL) {
			fprintf(stderr, "fuzz_import: %s: unexpected failure %d: %s\n", name, rc,
				err.msg);
			abort();
		}
		for (int e = 0; e <= KC_ENT_COUNT; e++)
			if (before[e] != after[e]) {
				fprintf(stderr, "fuzz_import: %s failed (%s) but wrote: %s %lld → %lld\n",
					name, err.msg,
					e < KC_ENT_COUNT ? kc_entity_def((enum kc_entity)e)->plural
							 : "data version",
					(long long)before[e], (long long)after[e]);
				abort();
			}
		return 0;
	}
	char what[256];
	snprintf(what, sizeof(what), "after importing %s (%lld records)", name,
		 (long long)stats.total);
	if (kc_store_check(g_st, on_problem, what, &err) != 0)
		die("check", &err);
	return 0;
}
