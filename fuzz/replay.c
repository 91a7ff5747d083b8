/* Runs a libFuzzer target's LLVMFuzzerTestOneInput over files, without libFuzzer: every build
 * links each fuzz/fuzz_<name>.c with this main as replay_<name>, and ctest replays the seeds
 * in fuzz/corpus/<name>/ (and any crash files found later, added there), so the targets'
 * checks run under the asan preset's sanitizers in CI too.
 *
 *   replay_<name> FILE|DIR ...
 *
 * A directory's files are run in name order. Exits 0 when every input ran (a failed check
 * aborts), 1 when a file cannot be read. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;
	int rc = 1;
	if (f == NULL) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			unsigned char *n = realloc(data, cap);
			if (n == NULL)
				goto done;
			data = n;
		}
		size_t got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		goto done;
	}
	LLVMFuzzerTestOneInput(data, len);
	rc = 0;
done:
	free(data);
	fclose(f);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *runs)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (d == NULL) {
		fprintf(stderr, "replay: %s: cannot open\n", dir);
		return 1;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL) {
				rc = 1;
				goto done;
			}
			names = nn;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		if ((names[n] = malloc(len)) == NULL) {
			rc = 1;
			goto done;
		}
		snprintf(names[n++], len, "%s/%s", dir, e->d_name);
	}
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = run_file(names[i]);
		++*runs;
	}
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	size_t runs = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		int rc;
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			rc = run_dir(argv[i], &runs);
		} else {
			rc = run_file(argv[i]);
			runs++;
		}
		if (rc != 0)
			return 1;
	}
	printf("replay: %zu inputs ran\n", runs);
	return 0;
}
