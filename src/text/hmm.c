/* The B/M/E/S hidden Markov model for words the dictionary does not know. Its parameters are
 * jieba's (finalseg/prob_{start,trans,emit}.py as Debian's python3-jieba installs them), read
 * at load time with a small parser for the Python dict literals they hold. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_int.h"
#include "banned.h"

#define MIN_LOGP (-3.14e100)

static int state_index(uint32_t c)
{
	switch (c) {
	case 'B': return 0;
	case 'M': return 1;
	case 'E': return 2;
	case 'S': return 3;
	default: return -1;
	}
}

struct pyparse {
	const char *s;
	size_t len, i;
	const char *path;
	int line;
	struct kc_err *err;
};

static void skip_ws(struct pyparse *p)
{
	while (p->i < p->len) {
		char c = p->s[p->i];
		if (c == '\n')
			p->line++;
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			p->i++;
		else
			break;
	}
}

static int fail(struct pyparse *p, const char *what)
{
	return kc_err_set(p->err, KC_EDATA, "%s:%d: %s", p->path, p->line, what);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A one-character Python string literal ('x', '\uXXXX', '\UXXXXXXXX', '\xXX'). */
static int parse_char(struct pyparse *p, uint32_t *out)
{
	skip_ws(p);
	if (p->i >= p->len || (p->s[p->i] != '\'' && p->s[p->i] != '"'))
		return fail(p, "expected a string");
	char q = p->s[p->i++];
	uint32_t cp;
	if (p->i < p->len && p->s[p->i] == '\\') {
		p->i++;
		if (p->i >= p->len)
			return fail(p, "bad escape");
		char e = p->s[p->i++];
		int digits = e == 'u' ? 4 : e == 'U' ? 8 : e == 'x' ? 2 : 0;
		if (digits == 0) {
			cp = (uint32_t)(unsigned char)e;
		} else {
			cp = 0;
			for (int k = 0; k < digits; k++) {
				int h = p->i < p->len ? hexval(p->s[p->i]) : -1;
				if (h < 0)
					return fail(p, "bad escape");
				cp = cp * 16 + (uint32_t)h;
				p->i++;
			}
		}
	} else {
		size_t j = p->i;
		while (j < p->len && p->s[j] != q)
			j++;
		if (j == p->i || kc_utf8_check(p->s + p->i, j - p->i) >= 0)
			return fail(p, "bad string");
		cp = kc__utf8_next((const unsigned char *)p->s, &p->i);
	}
	if (p->i >= p->len || p->s[p->i] != q)
		return fail(p, "expected a one-character string");
	p->i++;
	*out = cp;
	return 0;
}

static int parse_number(struct pyparse *p, double *out)
{
	skip_ws(p);
	char buf[64];
	size_t k = 0;
	while (p->i < p->len && k < sizeof(buf) - 1 && strchr("+-.0123456789eE", p->s[p->i]))
		buf[k++] = p->s[p->i++];
	buf[k] = 0;
	char *end;
	errno = 0;
	*out = strtod(buf, &end);
	if (k == 0 || *end != 0)
		return fail(p, "expected a number");
	return 0;
}

static int expect(struct pyparse *p, char c)
{
	skip_ws(p);
	if (p->i >= p->len || p->s[p->i] != c) {
		char msg[32];
		snprintf(msg, sizeof(msg), "expected '%c'", c);
		return fail(p, msg);
	}
	p->i++;
	return 0;
}

/* Is the next non-space character c? Consumes it if so. */
static int accept(struct pyparse *p, char c)
{
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == c) {
		p->i++;
		return 1;
	}
	return 0;
}

static int read_file(const char *path, char **out, size_t *len, struct kc_err *err)
{
	FILE *f = fopen(path, "rb");
	struct kc_buf b = KC_BUF_INIT;
	char chunk[65536];
	size_t n;
	if (f == NULL)
		return kc_err_set(err, KC_ENOTFOUND, "cannot open %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (kc_buf_add(&b, chunk, n) != 0) {
			fclose(f);
			kc_buf_release(&b);
			return kc_err_set(err, KC_ENOMEM, "out of memory reading %s", path);
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		kc_buf_release(&b);
		return kc_err_set(err, KC_EIO, "cannot read %s", path);
	}
	*len = b.len;
	*out = kc_buf_take(&b);
	return *out ? 0 : kc_err_set(err, KC_ENOMEM, "out of memory");
}

/* Positions p after "P=" */
static int start_dict(struct pyparse *p)
{
	const char *at = NULL;
	for (size_t j = 0; j + 1 < p->len; j++) {
		if (p->s[j] == '\n')
			p->line++;
		if (p->s[j] == 'P' && (j == 0 || p->s[j - 1] == '\n')) {
			size_t k = j + 1;
			while (k < p->len && p->s[k] == ' ')
				k++;
			if (k < p->len && p->s[k] == '=') {
				at = p->s + k + 1;
				break;
			}
		}
	}
	if (at == NULL)
		return fail(p, "no 'P = {...}' found");
	p->i = (size_t)(at - p->s);
	return expect(p, '{');
}

/* depth: 1 = {state: number}, 2 = {state: {key: number}}; store(state, key, value) */
typedef int (*store_fn)(void *ctx, int state, uint32_t key, double v);

static int parse_model(const char *path, int depth, store_fn store, void *ctx, struct kc_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(path, &text, &len, err);
	if (rc != 0)
		return rc;
	struct pyparse p = {text, len, 0, path, 1, err};
	rc = start_dict(&p);
	while (rc == 0 && !accept(&p, '}')) {
		uint32_t sc;
		if ((rc = parse_char(&p, &sc)) != 0 || (rc = expect(&p, ':')) != 0)
			break;
		int st = state_index(sc);
		if (st < 0) {
			rc = fail(&p, "unknown state (expected B, M, E or S)");
			break;
		}
		if (depth == 1) {
			double v;
			if ((rc = parse_number(&p, &v)) != 0 || (rc = store(ctx, st, 0, v)) != 0)
				break;
		} else {
			if ((rc = expect(&p, '{')) != 0)
				break;
			while (rc == 0 && !accept(&p, '}')) {
				uint32_t key;
				double v;
				if ((rc = parse_char(&p, &key)) != 0 || (rc = expect(&p, ':')) != 0 ||
				    (rc = parse_number(&p, &v)) != 0 || (rc = store(ctx, st, key, v)) != 0)
					break;
				if (!accept(&p, ',')) {
					rc = expect(&p, '}');
					break;
				}
			}
		}
		if (rc == 0 && !accept(&p, ',')) {
			rc = expect(&p, '}');
			break;
		}
	}
	kc_free(text);
	return rc;
}

static int store_start(void *ctx, int st, uint32_t key, double v)
{
	(void)key;
	((struct kc_hmm *)ctx)->start[st] = v;
	return 0;
}

static int store_trans(void *ctx, int st, uint32_t key, double v)
{
	int to = state_index(key);
	if (to < 0)
		return KC_EDATA;
	((struct kc_hmm *)ctx)->trans[st][to] = v;
	return 0;
}

static int store_emit(void *ctx, int st, uint32_t key, double v)
{
	struct kc_hmm *h = ctx;
	if (key >= 65536)
		return 0; /* the model has none; would be unseen anyway */
	if (h->row[key] == 0) {
		if (h->rows >= 65535)
			return KC_EDATA;
		h->row[key] = (uint16_t)h->rows;
		for (int s = 0; s < 4; s++)
			h->emit[h->rows][s] = (float)MIN_LOGP;
		h->rows++;
	}
	h->emit[h->row[key]][st] = (float)v;
	return 0;
}

int kc__hmm_load(struct kc_hmm *h, const char *dir, struct kc_err *err)
{
	char path[4096];
	int rc;
	memset(h, 0, sizeof(*h));
	for (int a = 0; a < 4; a++) {
		h->start[a] = MIN_LOGP;
		for (int b = 0; b < 4; b++)
			h->trans[a][b] = MIN_LOGP;
	}
	h->row = kc_calloc(65536, sizeof(uint16_t));
	h->emit = kc_malloc(65536 * sizeof(*h->emit));
	h->rows = 1;
	if (h->row == NULL || h->emit == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	for (int s = 0; s < 4; s++)
		h->emit[0][s] = (float)MIN_LOGP;
	snprintf(path, sizeof(path), "%s/finalseg/prob_start.py", dir);
	if ((rc = parse_model(path, 1, store_start, h, err)) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/finalseg/prob_trans.py", dir);
	if ((rc = parse_model(path, 2, store_trans, h, err)) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/finalseg/prob_emit.py", dir);
	if ((rc = parse_model(path, 2, store_emit, h, err)) != 0)
		goto fail;
	return 0;
fail:
	kc__hmm_release(h);
	return rc;
}

void kc__hmm_release(struct kc_hmm *h)
{
	kc_free(h->row);
	kc_free(h->emit);
	memset(h, 0, sizeof(*h));
}
