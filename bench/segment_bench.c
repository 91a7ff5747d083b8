/* bench/segment: word segmentation accuracy and speed of kechan's analyzer, friso and jieba,
 * all in one run.
 *
 *   segment_bench [--mb N] [--no-jieba]
 *
 * Accuracy: the SIGHAN 2005 bakeoff PKU and MSR test sets (../shared/data/icwb2). Precision,
 * recall and F1 over word spans, OOV recall and IV recall (OOV = not in the bakeoff's training
 * word list), the bakeoff's definitions. The whole test file is scored as one stream of
 * characters (one MSR gold line ends with the quote that opens the next test line), white
 * space ignored. Two settings:
 *   dict   — each tool with its own dictionary (kechan: jieba's dict.txt from python3-jieba +
 *            kechan's vocabulary; friso: friso-dict's lexicons; jieba: its default dict.txt, HMM on);
 *   closed — the same plus the bakeoff's training words added to each tool's dictionary.
 * Speed: single thread, MB/s over at least --mb (default 10) MB of text built from the SIGHAN
 * test inputs and the CSL abstracts (../shared/data/csl), repeated; memory after load (RSS
 * growth). jieba runs in Debian's python3 (PATH=$(getconf PATH)), timed inside Python, load
 * excluded. Release build; never a timed test. */
#include <friso/friso.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kechan/text.h"

#define MAXTOOLS 3

static const char *shared(void)
{
	const char *s = getenv("KC_SHARED_DATA");
	return s && *s ? s : KC_SHARED_DATA;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	b[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

static int write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	int ok = fwrite(s, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static double rss_mb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

/* ---- a string set (training words) */
struct strset {
	char **v;
	size_t cap;
};

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void set_add(struct strset *s, const char *w)
{
	size_t n = strlen(w), i = hash(w, n) & (s->cap - 1);
	while (s->v[i] != NULL) {
		if (strcmp(s->v[i], w) == 0)
			return;
		i = (i + 1) & (s->cap - 1);
	}
	s->v[i] = strdup(w);
}

static int set_has(const struct strset *s, const char *w, size_t n)
{
	size_t i = hash(w, n) & (s->cap - 1);
	while (s->v[i] != NULL) {
		if (strlen(s->v[i]) == n && memcmp(s->v[i], w, n) == 0)
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	return 0;
}

/* ---- scoring: both texts are words separated by white space */
struct score {
	double p, r, f, oov_r, iv_r;
	long gold, pred, ok;
	int aligned;
};

struct span {
	long s, e;
	const char *w;
	size_t wl;
};

static int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static size_t cps(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

static struct span *spans(const char *t, size_t *count)
{
	size_t cap = 1024, n = 0;
	struct span *v = malloc(cap * sizeof(*v));
	long pos = 0;
	const char *p = t;
	while (*p) {
		while (*p && is_ws(*p))
			p++;
		if (!*p)
			break;
		const char *q = p;
		while (*q && !is_ws(*q))
			q++;
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		long c = (long)cps(p, (size_t)(q - p));
		v[n].s = pos;
		v[n].e = pos + c;
		v[n].w = p;
		v[n].wl = (size_t)(q - p);
		n++;
		pos += c;
		p = q;
	}
	*count = n;
	return v;
}

static struct score score(const char *gold, const char *pred, const struct strset *train)
{
	struct score sc = {0};
	size_t ng, np;
	struct span *g = spans(gold, &ng), *p = spans(pred, &np);
	long oov = 0, oov_ok = 0, iv = 0, iv_ok = 0, ok = 0;
	size_t j = 0;
	for (size_t i = 0; i < ng; i++) {
		while (j < np && p[j].s < g[i].s)
			j++;
		int hit = j < np && p[j].s == g[i].s && p[j].e == g[i].e;
		ok += hit;
		if (set_has(train, g[i].w, g[i].wl)) {
			iv++;
			iv_ok += hit;
		} else {
			oov++;
			oov_ok += hit;
		}
	}
	sc.aligned = ng && np && g[ng - 1].e == p[np - 1].e;
	sc.gold = (long)ng;
	sc.pred = (long)np;
	sc.ok = ok;
	sc.p = np ? (double)ok / (double)np : 0;
	sc.r = ng ? (double)ok / (double)ng : 0;
	sc.f = sc.p + sc.r > 0 ? 2 * sc.p * sc.r / (sc.p + sc.r) : 0;
	sc.oov_r = oov ? (double)oov_ok / (double)oov : 0;
	sc.iv_r = iv ? (double)iv_ok / (double)iv : 0;
	free(g);
	free(p);
	return sc;
}

/* ---- output buffer */
struct out {
	char *s;
	size_t n, cap;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		while (o->n + n + 1 > o->cap)
			o->cap = o->cap ? o->cap * 2 : 1 << 20;
		o->s = realloc(o->s, o->cap);
	}
	memcpy(o->s + o->n, s, n);
	o->n += n;
	o->s[o->n] = 0;
}

/* Calls fn for each line of text (without its line end), in place (text is modified). */
typedef void (*line_fn)(void *ud, char *line, size_t len);
static void each_line(char *text, line_fn fn, void *ud)
{
	char *p = text;
	while (*p) {
		char *nl = strchr(p, '\n');
		char *end = nl ? nl : p + strlen(p);
		char *e = end;
		while (e > p && e[-1] == '\r')
			e--;
		char saved = *e;
		*e = 0;
		fn(ud, p, (size_t)(e - p));
		*e = saved;
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* ---- kechan */
struct kc_ctx {
	const struct kc_text *t;
	struct kc_text_run *run;
	struct out *o;
	long tokens;
};

static void kc_line(void *ud, char *line, size_t len)
{
	struct kc_ctx *c = ud;
	const struct kc_term *terms;
	size_t n;
	struct kc_err err = KC_ERR_INIT;
	if (kc_text_analyze(c->t, c->run, line, len, KC_TEXT_PRECISE, &terms, &n, &err) != 0) {
		fprintf(stderr, "segment_bench: kechan: %s\n", err.msg);
		exit(1);
	}
	c->tokens += (long)n;
	if (c->o == NULL)
		return;
	for (size_t k = 0; k < n; k++) {
		if (terms[k].kind == KC_TERM_SPACE)
			continue;
		out_add(c->o, line + terms[k].start, terms[k].end - terms[k].start);
		out_add(c->o, " ", 1);
	}
	out_add(c->o, "\n", 1);
}

/* ---- friso */
struct fr_ctx {
	friso_t friso;
	friso_config_t config;
	friso_task_t task;
	struct out *o;
	long tokens;
};

static void fr_gap(struct out *o, const char *s, size_t n)
{
	/* characters friso did not return (punctuation it drops): one word each, as the
	 * bakeoff counts punctuation as words */
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80)
			j++;
		if (!is_ws(s[i])) {
			out_add(o, s + i, j - i);
			out_add(o, " ", 1);
		}
		i = j;
	}
}

static void fr_line(void *ud, char *line, size_t len)
{
	struct fr_ctx *c = ud;
	size_t at = 0;
	friso_set_text(c->task, line);
	while (c->config->next_token(c->friso, c->config, c->task) != NULL) {
		friso_token_t tk = c->task->token;
		c->tokens++;
		if (c->o == NULL)
			continue;
		size_t off = (size_t)tk->offset, l = strlen(tk->word);
		/* friso reports offsets of the token in the line; a token may be a normalized
		 * copy (case), so the line's own bytes are printed */
		if (off < at || off + l > len)
			continue; /* a synonym or sub-token overlapping the previous one */
		fr_gap(c->o, line + at, off - at);
		out_add(c->o, line + off, l);
		out_add(c->o, " ", 1);
		at = off + l;
	}
	if (c->o != NULL) {
		fr_gap(c->o, line + at, len - at);
		out_add(c->o, "\n", 1);
	}
}

static int friso_open(struct fr_ctx *c)
{
	c->friso = friso_new();
	c->config = friso_new_config();
	if (friso_init_from_ifile(c->friso, c->config, (fstring) "/etc/friso/friso.ini") != 1)
		return -1;
	c->config->add_syn = 0;
	c->config->clr_stw = 0;
	c->config->keep_urec = 1;
	c->config->spx_out = 0;
	c->config->en_sseg = 0;
	friso_set_mode(c->config, __FRISO_COMPLEX_MODE__);
	c->task = friso_new_task();
	return 0;
}

static void friso_close(struct fr_ctx *c)
{
	friso_free_task(c->task);
	free(c->config);
	friso_free(c->friso);
}

/* ---- jieba (a child process) */
static const char jieba_py[] =
	"import sys, time, resource\n"
	"import jieba\n"
	"jieba.setLogLevel(60)\n"
	"before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
	"jieba.initialize()\n"
	"mem = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024.0\n"
	"inp, outp, words = sys.argv[1], sys.argv[2], sys.argv[3]\n"
	"if words != '-':\n"
	"    for w in open(words, encoding='utf-8'):\n"
	"        w = w.strip()\n"
	"        if w: jieba.add_word(w)\n"
	"lines = open(inp, encoding='utf-8').read().splitlines()\n"
	"t = time.perf_counter()\n"
	"res = [[w for w in jieba.cut(l) if w.strip()] for l in lines]\n"
	"dt = time.perf_counter() - t\n"
	"if outp != '-':\n"
	"    with open(outp, 'w', encoding='utf-8') as f:\n"
	"        for r in res: f.write(' '.join(r) + '\\n')\n"
	"print('%f %f %d' % (dt, mem, sum(len(r) for r in res)))\n";

static int run_jieba(const char *dir, const char *input, const char *output, const char *words,
		     double *secs, double *mem)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "PATH=\"$(getconf PATH)\" python3 %s/jieba_seg.py '%s' '%s' '%s' 2>/dev/null", dir,
		 input, output, words);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	long n = 0;
	int ok = fscanf(p, "%lf %lf %ld", secs, mem, &n) == 3;
	int st = pclose(p);
	return ok && st == 0 ? 0 : -1;
}

/* ---- main */
struct corpus {
	const char *name;
	char *test, *gold;
	size_t test_len;
	struct strset train;
	char *train_path;
	const char **train_words;
	size_t ntrain;
};

static int load_corpus(struct corpus *c, const char *name)
{
	char path[4096];
	c->name = name;
	snprintf(path, sizeof(path), "%s/icwb2/testing/%s_test.utf8", shared(), name);
	c->test = slurp(path, &c->test_len);
	snprintf(path, sizeof(path), "%s/icwb2/gold/%s_test_gold.utf8", shared(), name);
	c->gold = slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/icwb2/gold/%s_training_words.utf8", shared(), name);
	c->train_path = strdup(path);
	char *tw = slurp(path, NULL);
	if (c->test == NULL || c->gold == NULL || tw == NULL) {
		free(tw);
		return -1;
	}
	c->train.cap = 1 << 18;
	c->train.v = calloc(c->train.cap, sizeof(char *));
	size_t cap = 1 << 17;
	c->train_words = malloc(cap * sizeof(char *));
	for (char *w = strtok(tw, "\r\n"); w != NULL; w = strtok(NULL, "\r\n")) {
		while (*w == ' ')
			w++;
		if (!*w)
			continue;
		set_add(&c->train, w);
		if (c->ntrain == cap)
			c->train_words = realloc(c->train_words, (cap *= 2) * sizeof(char *));
		c->train_words[c->ntrain++] = strdup(w);
	}
	free(tw);
	return 0;
}

static void print_score(const char *tool, const char *setting, const char *dict,
			const struct score *s)
{
	printf("| %-6s | %-6s | %.4f | %.4f | %.4f | %.4f | %.4f | %7ld | %s%s |\n", tool, setting,
	       s->p, s->r, s->f, s->oov_r, s->iv_r, s->pred, dict,
	       s->aligned ? "" : " (NOT ALIGNED)");
}

int main(int argc, char **argv)
{
	double target_mb = 10;
	int no_jieba = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc)
			target_mb = atof(argv[++i]);
		else if (strcmp(argv[i], "--no-jieba") == 0)
			no_jieba = 1;
		else {
			fprintf(stderr, "usage: segment_bench [--mb N] [--no-jieba]\n");
			return 2;
		}
	}
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/icwb2/testing/pku_test.utf8", shared());
	if (access(probe, R_OK) != 0) {
		printf("segment_bench: SKIPPED: %s not found (the SIGHAN data lives in "
		       "../shared/data/icwb2)\n",
		       probe);
		return 0;
	}
	char tmpdir[] = "/tmp/kc_segbench.XXXXXX";
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	char path[4096], path2[4096];
	snprintf(path, sizeof(path), "%s/jieba_seg.py", tmpdir);
	write_file(path, jieba_py, sizeof(jieba_py) - 1);

	struct kc_err err = KC_ERR_INIT;
	double m0 = rss_mb(), t0 = kc_now();
	struct kc_text *kt = NULL;
	if (kc_text_open(&kt, NULL, &err) != 0) {
		fprintf(stderr, "segment_bench: %s\n", err.msg);
		return 1;
	}
	double kc_load = kc_now() - t0, kc_mem = rss_mb() - m0;
	struct kc_text_run *run = kc_text_run_new();
	m0 = rss_mb();
	t0 = kc_now();
	struct fr_ctx fr = {0};
	if (friso_open(&fr) != 0) {
		fprintf(stderr, "segment_bench: friso: cannot load /etc/friso/friso.ini\n");
		return 1;
	}
	double fr_load = kc_now() - t0, fr_mem = rss_mb() - m0;

	printf("## Accuracy (SIGHAN 2005, scored as word spans over the whole test file)\n\n");
	printf("dictionaries: kechan = %s (%zu words) + kechan vocabulary, HMM = jieba's "
	       "finalseg model; friso = friso-dict lexicons (/etc/friso/friso.ini), complex mode; "
	       "jieba = python3-jieba default dict.txt, HMM on. closed = + the bakeoff's training "
	       "words.\n\n",
	       kc_text_dict_path(kt), kc_text_dict_size(kt));
	const char *names[] = {"pku", "msr"};
	for (int ci = 0; ci < 2; ci++) {
		struct corpus c = {0};
		if (load_corpus(&c, names[ci]) != 0) {
			printf("%s: SKIPPED (files missing)\n", names[ci]);
			continue;
		}
		printf("### %s (%ld gold words)\n\n", c.name, score(c.gold, c.gold, &c.train).gold);
		printf("| tool   | dict   | P      | R      | F1     | OOV-R  | IV-R   | words   | "
		       "dictionary |\n|---|---|---|---|---|---|---|---|---|\n");
		for (int closed = 0; closed < 2; closed++) {
			const char *setting = closed ? "closed" : "dict";
			/* kechan */
			struct kc_text *t = kt;
			if (closed && kc_text_with_words(kt, c.train_words, NULL, c.ntrain, &t, NULL,
							 &err) != 0) {
				fprintf(stderr, "segment_bench: %s\n", err.msg);
				return 1;
			}
			struct out o = {0};
			char *copy = strdup(c.test);
			struct kc_ctx kc = {t, run, &o, 0};
			each_line(copy, kc_line, &kc);
			struct score s = score(c.gold, o.s, &c.train);
			print_score("kechan", setting, closed ? "jieba dict.txt + training words"
							     : "jieba dict.txt",
				    &s);
			free(o.s);
			if (closed)
				kc_text_close(t);
			/* friso */
			struct fr_ctx f2 = fr;
			if (closed) {
				friso_open(&f2);
				for (size_t i = 0; i < c.ntrain; i++)
					friso_dic_add(f2.friso->dic, __LEX_CJK_WORDS__,
						      strdup(c.train_words[i]), NULL);
			}
			memset(&o, 0, sizeof(o));
			strcpy(copy, c.test);
			f2.o = &o;
			each_line(copy, fr_line, &f2);
			s = score(c.gold, o.s, &c.train);
			print_score("friso", setting,
				    closed ? "friso-dict + training words" : "friso-dict", &s);
			free(o.s);
			if (closed)
				friso_close(&f2);
			free(copy);
			/* jieba */
			if (!no_jieba) {
				double secs, mem;
				snprintf(path, sizeof(path), "%s/%s.in", tmpdir, c.name);
				snprintf(path2, sizeof(path2), "%s/%s.jieba", tmpdir, c.name);
				write_file(path, c.test, c.test_len);
				if (run_jieba(tmpdir, path, path2, closed ? c.train_path : "-", &secs,
					      &mem) != 0) {
					printf("| jieba  | %s | (python3-jieba failed to run) |\n",
					       setting);
				} else {
					char *jo = slurp(path2, NULL);
					s = score(c.gold, jo, &c.train);
					print_score("jieba", setting,
						    closed ? "jieba dict.txt + training words"
							   : "jieba dict.txt",
						    &s);
					free(jo);
				}
			}
		}
		printf("\n");
	}

	/* speed */
	struct out big = {0};
	const char *srcs[] = {"icwb2/testing/pku_test.utf8", "icwb2/testing/msr_test.utf8"};
	char *parts[3] = {0};
	size_t plen[3] = {0};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", shared(), srcs[i]);
		parts[i] = slurp(path, &plen[i]);
	}
	/* CSL abstracts: the "abstract" value of each JSON line, one per line */
	snprintf(path, sizeof(path), "%s/csl/csl_benchmark_records.jsonl", shared());
	char *csl = slurp(path, NULL);
	struct out abs = {0};
	for (char *p = csl ? strstr(csl, "\"abstract\": \"") : NULL; p != NULL;
	     p = strstr(p, "\"abstract\": \"")) {
		p += 13;
		char *q = p;
		while (*q && !(*q == '"' && q[-1] != '\\'))
			q++;
		out_add(&abs, p, (size_t)(q - p));
		out_add(&abs, "\n", 1);
		p = q;
	}
	parts[2] = abs.s;
	plen[2] = abs.n;
	while ((double)big.n < target_mb * 1048576.0) {
		for (int i = 0; i < 3; i++)
			if (parts[i])
				out_add(&big, parts[i], plen[i]);
	}
	double mb = (double)big.n / 1048576.0;
	printf("## Speed (single thread, %.1f MB: SIGHAN PKU + MSR test inputs and %s CSL "
	       "abstracts, repeated)\n\n",
	       mb, abs.n ? "1,000" : "no");
	printf("| tool | MB/s | seconds | tokens | load s | memory after load MB | vs jieba |\n"
	       "|---|---|---|---|---|---|---|\n");
	char *copy = malloc(big.n + 1);
	memcpy(copy, big.s, big.n + 1);
	struct kc_ctx kc = {kt, run, NULL, 0};
	t0 = kc_now();
	each_line(copy, kc_line, &kc);
	double kc_s = kc_now() - t0;
	memcpy(copy, big.s, big.n + 1);
	struct kc_ctx kci = {kt, run, NULL, 0};
	(void)kci;
	fr.o = NULL;
	t0 = kc_now();
	each_line(copy, fr_line, &fr);
	double fr_s = kc_now() - t0;
	double jb_s = 0, jb_mem = 0;
	int jb_ok = 0;
	if (!no_jieba) {
		snprintf(path, sizeof(path), "%s/big.txt", tmpdir);
		write_file(path, big.s, big.n);
		jb_ok = run_jieba(tmpdir, path, "-", "-", &jb_s, &jb_mem) == 0;
	}
	printf("| kechan | %.2f | %.2f | %ld | %.2f | %.1f (tables %.1f) | %s%.1fx |\n", mb / kc_s,
	       kc_s, kc.tokens, kc_load, kc_mem, (double)kc_text_memory(kt) / 1048576.0,
	       jb_ok ? "" : "n/a ", jb_ok ? jb_s / kc_s : 0);
	printf("| friso (complex) | %.2f | %.2f | %ld | %.2f | %.1f | %.1fx |\n", mb / fr_s, fr_s,
	       fr.tokens, fr_load, fr_mem, jb_ok ? jb_s / fr_s : 0);
	if (jb_ok)
		printf("| jieba (python3, HMM) | %.2f | %.2f | - | - | %.1f | 1.0x |\n", mb / jb_s,
		       jb_s, jb_mem);
	printf("\nkechan / friso speed: %.2fx\n", fr_s / kc_s);
	free(copy);
	free(big.s);
	free(abs.s);
	free(csl);
	free(parts[0]);
	free(parts[1]);
	friso_close(&fr);
	kc_text_run_free(run);
	kc_text_close(kt);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "segment_bench: could not remove %s\n", tmpdir);
	return 0;
}
