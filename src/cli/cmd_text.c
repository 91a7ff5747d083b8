/* cli: `kechan text segment`: the analyzer on standard input, one output line per input line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kechan/text.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] text segment [--mode precise|index] [--offsets] [--no-domain]\n"
	"                                     [--no-hmm] [--words FILE] < input\n\n"
	"Segments each line of standard input and prints one line per input line.\n"
	"  --mode precise  (default) the words' original text, every character of the input kept\n"
	"                  (punctuation and stopwords too), separated by single spaces; white\n"
	"                  space only separates\n"
	"  --mode index    the normalized terms used for indexing (simplified, half-width, lower\n"
	"                  case, English stems), with the dictionary words inside long words;\n"
	"                  stopwords and punctuation dropped\n"
	"  --offsets       print each term as TERM@START:END (byte offsets in the input line)\n"
	"  --no-domain     without the domain dictionary of the database (--db, default\n"
	"                  ./kechan.db; used when the file exists)\n"
	"  --no-hmm        dictionary only, no HMM for unknown words\n"
	"  --words FILE    extra dictionary words, one per line, optionally 'word frequency'\n\n"
	"Dictionary: jieba's dict.txt as Debian's python3-jieba installs it (or $KECHAN_JIEBA_DIR).\n";

/* Reads FILE's words into an analyzer derived from *t (replacing it). */
static int add_words_file(struct kc_text **t, const char *path, struct kc_err *err)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0, n = 0, wcap = 0;
	char **words = NULL;
	uint32_t *freqs = NULL;
	ssize_t len;
	int rc = 0, lineno = 0;
	if (f == NULL)
		return kc_err_set(err, KC_ENOTFOUND, "cannot open %s", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = 0;
		if (len == 0)
			continue;
		if (!kc_utf8_valid(line, (size_t)len)) {
			rc = kc_err_set(err, KC_EDATA, "%s:%d: invalid UTF-8", path, lineno);
			goto out;
		}
		uint32_t fr = 0;
		char *sp = strchr(line, ' ');
		if (sp != NULL) {
			*sp = 0;
			fr = (uint32_t)strtoul(sp + 1, NULL, 10);
		}
		if (n == wcap) {
			wcap = wcap ? wcap * 2 : 1024;
			char **w2 = realloc(words, wcap * sizeof(*words));
			uint32_t *f2 = w2 ? realloc(freqs, wcap * sizeof(*freqs)) : NULL;
			if (w2 != NULL)
				words = w2;
			if (f2 == NULL) {
				rc = kc_err_set(err, KC_ENOMEM, "out of memory");
				goto out;
			}
			freqs = f2;
		}
		words[n] = strdup(line);
		if (words[n] == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		freqs[n++] = fr;
	}
	struct kc_text *nt = NULL;
	rc = kc_text_with_words(*t, (const char *const *)words, freqs, n, &nt, NULL, err);
	if (rc == 0) {
		kc_text_close(*t);
		*t = nt;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	free(freqs);
	free(line);
	fclose(f);
	return rc;
}

static int segment(struct kc_cli *cli, int argc, char **argv)
{
	const char *mode_s = "precise", *words = NULL, *v;
	int offsets = 0, no_domain = 0, rc = 0, exit_code = 0;
	struct kc_text_opts opts = {0};
	struct kc_text *t = NULL;
	struct kc_text_run *run = NULL;
	struct kc_err err = KC_ERR_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	for (int i = 0; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (kc_cli_opt(argc, argv, &i, "--mode", &v)) {
			if (v == NULL)
				return 1;
			mode_s = v;
		} else if (kc_cli_opt(argc, argv, &i, "--words", &v)) {
			if (v == NULL)
				return 1;
			words = v;
		} else if (strcmp(argv[i], "--offsets") == 0) {
			offsets = 1;
		} else if (strcmp(argv[i], "--no-domain") == 0) {
			no_domain = 1;
		} else if (strcmp(argv[i], "--no-hmm") == 0) {
			opts.no_hmm = 1;
		} else {
			return kc_cli_usage_error("text segment", "unknown argument '%s'", argv[i]);
		}
	}
	enum kc_text_mode mode;
	if (strcmp(mode_s, "precise") == 0)
		mode = KC_TEXT_PRECISE;
	else if (strcmp(mode_s, "index") == 0)
		mode = KC_TEXT_INDEX;
	else
		return kc_cli_usage_error("text segment", "--mode is precise or index, not '%s'",
					  mode_s);
	if ((rc = kc_text_open(&t, &opts, &err)) != 0)
		goto fail;
	if (!no_domain && access(cli->db, F_OK) == 0) {
		struct kc_store *st = NULL;
		if (kc_cli_open(cli, 0, &st) != 0) {
			exit_code = 2;
			goto out;
		}
		struct kc_text *dt = NULL;
		rc = kc_text_from_store(t, st, &dt, NULL, &err);
		kc_store_close(st);
		if (rc != 0)
			goto fail;
		kc_text_close(t);
		t = dt;
	}
	if (words != NULL && (rc = add_words_file(&t, words, &err)) != 0)
		goto fail;
	run = kc_text_run_new();
	if (run == NULL) {
		rc = kc_err_set(&err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		const struct kc_term *terms;
		size_t n;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		rc = kc_text_analyze(t, run, line, (size_t)len, mode, &terms, &n, &err);
		if (rc != 0) {
			kc_err_prefix(&err, "stdin:%ld", lineno);
			goto fail;
		}
		int first = 1;
		for (size_t k = 0; k < n; k++) {
			if (terms[k].kind == KC_TERM_SPACE)
				continue;
			if (!first)
				putchar(' ');
			first = 0;
			if (mode == KC_TEXT_PRECISE)
				fwrite(line + terms[k].start, 1, terms[k].end - terms[k].start, stdout);
			else
				fwrite(terms[k].text, 1, terms[k].len, stdout);
			if (offsets)
				printf("@%u:%u", terms[k].start, terms[k].end);
		}
		putchar('\n');
	}
	if (ferror(stdin)) {
		rc = kc_err_set(&err, KC_EIO, "cannot read standard input");
		goto fail;
	}
	if (fflush(stdout) != 0) {
		rc = kc_err_set(&err, KC_EIO, "cannot write standard output");
		goto fail;
	}
	goto out;
fail:
	exit_code = kc_cli_fail(&err);
out:
	free(line);
	kc_text_run_free(run);
	kc_text_close(t);
	return exit_code;
}

int kc_cli_text(struct kc_cli *cli, int argc, char **argv)
{
	/* argv[0] is "text" */
	if (argc < 2 || kc_cli_is_help(argv[1])) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "segment") == 0)
		return segment(cli, argc - 2, argv + 2);
	return kc_cli_usage_error("text", "unknown subcommand '%s' (try: segment)", argv[1]);
}
