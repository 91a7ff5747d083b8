/* core: error codes, allocation with a failure hook for tests, kc_buf, UTF-8, clock. */
#define _POSIX_C_SOURCE 200809L
#include "kechan/core.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_int.h"
#include "banned.h"

const char *kc_strerror(int code)
{
	switch (code) {
	case KC_OK: return "ok";
	case KC_EINVAL: return "invalid input";
	case KC_ENOMEM: return "out of memory";
	case KC_EIO: return "input/output error";
	case KC_ENOTFOUND: return "not found";
	case KC_EEXIST: return "already exists";
	case KC_EDATA: return "invalid data";
	case KC_EINTERNAL: return "internal error";
	case KC_EBUSY: return "database busy";
	case KC_ECORRUPT: return "data corrupt";
	case KC_EPERM: return "permission denied";
	case KC_EINTR: return "interrupted";
	default: return "unknown error";
	}
}

int kc_exit_code(int code)
{
	switch (code) {
	case KC_OK: return 0;
	case KC_EINVAL:
	case KC_ENOTFOUND:
	case KC_EEXIST:
	case KC_EPERM:
	case KC_EINTR: return 1;
	case KC_EDATA:
	case KC_ECORRUPT: return 2;
	default: return code > 0 ? 0 : 3;
	}
}

int kc__err_set(struct kc_err *err, int code, const char *file, int line, const char *fmt, ...)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->src_file = file;
	err->src_line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int kc_err_prefix(struct kc_err *err, const char *fmt, ...)
{
	if (err == NULL)
		return KC_EINTERNAL;
	char prefix[512];
	char old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	size_t pl = strlen(prefix);
	if (pl > sizeof(err->msg) - 3)
		pl = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, pl);
	memcpy(err->msg + pl, ": ", 2);
	size_t room = sizeof(err->msg) - pl - 3;
	size_t ol = strnlen(old, room);
	memcpy(err->msg + pl + 2, old, ol);
	err->msg[pl + 2 + ol] = '\0';
	return err->code;
}

void kc_err_clear(struct kc_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
	err->src_file = NULL;
	err->src_line = 0;
}

/* Test hook: when > 0, counts down on each allocation and fails the one that reaches 0. Only
 * unit tests set it, from their single thread. */
static long alloc_fail_countdown;

void kc__alloc_fail_after(long n)
{
	alloc_fail_countdown = n;
}

static int alloc_should_fail(void)
{
	if (alloc_fail_countdown <= 0)
		return 0;
	return --alloc_fail_countdown == 0;
}

void *kc_malloc(size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *kc_calloc(size_t count, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return calloc(count ? count : 1, n ? n : 1);
}

void *kc_realloc(void *p, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void kc_free(void *p)
{
	free(p);
}

char *kc_strndup(const char *s, size_t n)
{
	char *d = kc_malloc(n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *kc_strdup(const char *s)
{
	return kc_strndup(s, strlen(s));
}

void kc_buf_init(struct kc_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void kc_buf_release(struct kc_buf *b)
{
	if (b == NULL)
		return;
	kc_free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
}

int kc_buf_grow(struct kc_buf *b, size_t n)
{
	if (b->max && (n > b->max || b->len > b->max - n))
		return KC_EINVAL;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2)
			return KC_ENOMEM;
		cap *= 2;
	}
	char *p = kc_realloc(b->ptr, cap);
	if (p == NULL)
		return KC_ENOMEM;
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int kc_buf_add(struct kc_buf *b, const void *data, size_t n)
{
	int rc = kc_buf_grow(b, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int kc_buf_adds(struct kc_buf *b, const char *s)
{
	return kc_buf_add(b, s, strlen(s));
}

int kc_buf_addc(struct kc_buf *b, char c)
{
	return kc_buf_add(b, &c, 1);
}

int kc_buf_vaddf(struct kc_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return KC_EINVAL;
	int rc = kc_buf_grow(b, (size_t)n);
	if (rc < 0)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int kc_buf_addf(struct kc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = kc_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void kc_buf_reset(struct kc_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *kc_buf_take(struct kc_buf *b)
{
	char *p = b->ptr;
	if (p == NULL)
		p = kc_strdup("");
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

const char *kc_buf_cstr(const struct kc_buf *b)
{
	return b->ptr ? b->ptr : "";
}

long kc_utf8_check(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			/* ASCII: eight bytes at a time while they are all ASCII. */
			uint64_t w;
			i++;
			while (len - i >= 8 &&
			       (memcpy(&w, s + i, 8), (w & 0x8080808080808080u) == 0))
				i += 8;
			continue;
		}
		/* The common three-byte sequences (most of CJK) without the general checks. */
		if (c >= 0xE1 && c <= 0xEF && c != 0xED && len - i > 2 &&
		    (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
			i += 3;
			continue;
		}
		size_t n;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return (long)i;
		}
		if (len - i <= n)
			return (long)i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return (long)i;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return (long)i;
		i += n + 1;
	}
	return -1;
}

int kc_utf8_valid(const char *s, size_t len)
{
	return kc_utf8_check(s, len) < 0;
}

size_t kc_utf8_count(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t kc_utf8_scrub(char *s, size_t len)
{
	size_t at = 0, fixed = 0;
	long off;
	while (at < len && (off = kc_utf8_check(s + at, len - at)) >= 0) {
		s[at + (size_t)off] = '?';
		at += (size_t)off + 1;
		fixed++;
	}
	return fixed;
}

size_t kc_utf8_prefix(const char *s, size_t len, size_t max_chars)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (n == max_chars)
				return i;
			n++;
		}
	}
	return len;
}

double kc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- bounded reading of a file body (snapshots, association tables) */

int kc__put_str(struct kc_buf *b, const char *s)
{
	uint32_t len = s ? (uint32_t)strlen(s) : UINT32_MAX;
	int rc = kc_buf_add(b, &len, sizeof(len));
	return rc || s == NULL ? rc : kc_buf_add(b, s, len);
}

void kc__get(struct kc__rd *r, void *v, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		memset(v, 0, n);
		return;
	}
	memcpy(v, r->p, n);
	r->p += n;
}

const unsigned char *kc__get_bytes(struct kc__rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p;
	r->p += n;
	return p;
}

char *kc__get_str(struct kc__rd *r)
{
	uint32_t len = 0;
	kc__get(r, &len, sizeof(len));
	if (r->bad || len == UINT32_MAX)
		return NULL;
	const unsigned char *p = kc__get_bytes(r, len);
	char *s = p ? kc_strndup((const char *)p, len) : NULL;
	if (p != NULL && s == NULL)
		r->bad = 1;
	return s;
}

int kc__file_save(const char *path, const char magic[4], uint32_t format, const void *body,
		  size_t len, struct kc_err *err)
{
	char tmp[4096];
	FILE *f = NULL;
	int rc = 0;
	uint64_t n = len, sum = kc_fnv1a(body, len, KC_FNV_OFFSET);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return kc_err_set(err, KC_EINVAL, "%s: path too long", path);
	if ((f = fopen(tmp, "wb")) == NULL || fwrite(magic, 4, 1, f) != 1 ||
	    fwrite(&format, sizeof(format), 1, f) != 1 || fwrite(&n, sizeof(n), 1, f) != 1 ||
	    fwrite(&sum, sizeof(sum), 1, f) != 1 || (len > 0 && fwrite(body, 1, len, f) != len) ||
	    fflush(f) != 0) {
		rc = kc_err_set(err, KC_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0 || (f = NULL, rename(tmp, path) != 0)) {
		f = NULL;
		rc = kc_err_set(err, KC_EIO, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
out:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		remove(tmp);
	return rc;
}

int kc__file_load(const char *path, const char magic[4], uint32_t format, const char *what,
		  unsigned char **body, size_t *len, struct kc_err *err)
{
	FILE *f = fopen(path, "rb");
	char m[4];
	uint32_t fmt;
	uint64_t n, sum;
	unsigned char *b = NULL;
	int rc = 0;
	*body = NULL;
	*len = 0;
	if (f == NULL) /* a file the user named and that is not there is the user's error */
		return kc_err_set(err, errno == ENOENT ? KC_ENOTFOUND : KC_EIO, "%s: cannot open: %s",
				  path, strerror(errno));
	if (fread(m, 4, 1, f) != 1 || memcmp(m, magic, 4) != 0 || fread(&fmt, sizeof(fmt), 1, f) != 1 ||
	    fmt != format || fread(&n, sizeof(n), 1, f) != 1 || fread(&sum, sizeof(sum), 1, f) != 1 ||
	    n > (1ull << 34)) {
		rc = kc_err_set(err, KC_ECORRUPT, "%s: not a kechan %s (format %u)", path, what,
				format);
		goto out;
	}
	if ((b = malloc(n ? (size_t)n : 1)) == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	if (fread(b, 1, (size_t)n, f) != n || fgetc(f) != EOF ||
	    kc_fnv1a(b, (size_t)n, KC_FNV_OFFSET) != sum) {
		rc = kc_err_set(err, KC_ECORRUPT, "%s: damaged %s (checksum)", path, what);
		goto out;
	}
	*body = b;
	*len = (size_t)n;
	b = NULL;
out:
	free(b);
	fclose(f);
	return rc;
}

/* The slot of s: holding it, or the empty one where it belongs. */
static size_t strtab_slot(const struct kc__strtab *t, const char *s, size_t n)
{
	size_t mask = t->nslots - 1, i = (size_t)kc_fnv1a(s, n, KC_FNV_OFFSET) & mask;
	for (;;) {
		uint32_t v = t->slots[i];
		if (v == 0 || (t->lens[v - 1] == n && memcmp(t->strs[v - 1], s, n) == 0))
			return i;
		i = (i + 1) & mask;
	}
}

int kc__strtab_id(struct kc__strtab *t, const char *s, size_t n, int create, uint32_t *id)
{
	*id = UINT32_MAX;
	if (create && (size_t)(t->n + 1) * 2 > t->nslots) {
		size_t ns = t->nslots ? t->nslots * 2 : 1024, old_n = t->nslots;
		uint32_t *old = t->slots;
		if ((t->slots = calloc(ns, sizeof(*t->slots))) == NULL) {
			t->slots = old;
			return KC_ENOMEM;
		}
		t->nslots = ns;
		for (size_t i = 0; i < old_n; i++)
			if (old[i])
				t->slots[strtab_slot(t, t->strs[old[i] - 1], t->lens[old[i] - 1])] =
					old[i];
		free(old);
	}
	if (t->nslots == 0)
		return 0;
	size_t i = strtab_slot(t, s, n);
	if (t->slots[i]) {
		*id = t->slots[i] - 1;
		return 0;
	}
	if (!create)
		return 0;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 1024;
		char **strs = realloc(t->strs, cap * sizeof(*strs));
		if (strs == NULL)
			return KC_ENOMEM;
		t->strs = strs;
		uint32_t *lens = realloc(t->lens, cap * sizeof(*lens));
		if (lens == NULL)
			return KC_ENOMEM;
		t->lens = lens;
		uint32_t *count = realloc(t->count, cap * sizeof(*count));
		if (count == NULL)
			return KC_ENOMEM;
		t->count = count;
		t->cap = cap;
	}
	if ((t->strs[t->n] = kc_strndup(s, n)) == NULL)
		return KC_ENOMEM;
	t->lens[t->n] = (uint32_t)n;
	t->count[t->n] = 0;
	t->slots[i] = ++t->n;
	*id = t->n - 1;
	return 0;
}

uint32_t kc__strtab_find(const struct kc__strtab *t, const char *s, size_t n)
{
	if (t->nslots == 0)
		return UINT32_MAX;
	uint32_t v = t->slots[strtab_slot(t, s, n)];
	return v ? v - 1 : UINT32_MAX;
}

void kc__strtab_release(struct kc__strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->lens);
	free(t->count);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
