/* store: a fast reader for the JSON objects of JSONL imports. It handles the plain subset
 * that import files are made of (objects, arrays, strings with the usual escapes, integers
 * that fit in 18 digits, decimal numbers, true, false, null) and builds the same jansson
 * values json_loadb would. Anything else, including every kind of error, is left to
 * json_loadb, so what is accepted and every error message stay jansson's. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "banned.h"

enum { JL_MAX_DEPTH = 32, JL_MAX_NUMBER = 64 };

struct jl {
	const char *p, *end;
	struct kc_buf *tmp; /* unescaped strings */
	int depth;
};

static json_t *jl_value(struct jl *j);

static void jl_space(struct jl *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Appends code point cp (not a surrogate, not NUL) to b as UTF-8. */
static int add_utf8(struct kc_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return kc_buf_add(b, u, n);
}

/* The first byte at or after p (before end) that ends a plain run of string text: a quote, a
 * backslash or a control character. Eight bytes at a time while none of them does. */
static const char *plain_end(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
		/* A byte of q or bs that is zero, or a byte of w below 0x20. */
		uint64_t hit = ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((w - ones * 0x20) & ~w);
		if (hit & highs)
			break;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		p++;
	return p;
}

/* Reads the string at j->p (after its opening quote). On success *s and *len give its text:
 * borrowed from the input when it has no escapes, else from j->tmp. Returns 0 when the string
 * is outside the subset (a control character, a \u0000 or a lone surrogate, no end). */
static int jl_string(struct jl *j, const char **s, size_t *len)
{
	const char *start = j->p;
	const char *p = plain_end(start, j->end);
	if (p == j->end || (unsigned char)*p < 0x20)
		return 0;
	if (*p == '"') {
		*s = start;
		*len = (size_t)(p - start);
		j->p = p + 1;
		return 1;
	}
	struct kc_buf *b = j->tmp;
	int rc = 0;
	kc_buf_reset(b);
	rc |= kc_buf_add(b, start, (size_t)(p - start));
	while (p < j->end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return 0;
		if (c != '\\') {
			const char *q = plain_end(p + 1, j->end);
			rc |= kc_buf_add(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (j->end - p < 2)
			return 0;
		char e = p[1];
		p += 2;
		switch (e) {
		case '"': rc |= kc_buf_addc(b, '"'); break;
		case '\\': rc |= kc_buf_addc(b, '\\'); break;
		case '/': rc |= kc_buf_addc(b, '/'); break;
		case 'b': rc |= kc_buf_addc(b, '\b'); break;
		case 'f': rc |= kc_buf_addc(b, '\f'); break;
		case 'n': rc |= kc_buf_addc(b, '\n'); break;
		case 'r': rc |= kc_buf_addc(b, '\r'); break;
		case 't': rc |= kc_buf_addc(b, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (j->end - p < 4 || !hex4(p, &cp) || cp == 0 ||
			    (cp >= 0xDC00 && cp <= 0xDFFF))
				return 0;
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    !hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return 0;
				p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			rc |= add_utf8(b, cp);
			break;
		}
		default: return 0;
		}
	}
	if (p == j->end || rc < 0)
		return 0;
	j->p = p + 1;
	*s = b->ptr;
	*len = b->len;
	return 1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The end of the run of digits at p, or NULL when p holds no digit. */
static const char *digits(const char *p, const char *end)
{
	if (p == end || !is_digit(*p))
		return NULL;
	while (p < end && is_digit(*p))
		p++;
	return p;
}

/* A number as JSON spells it: integers as json_integer when they have at most 18 digits,
 * others as json_real through strtod, as jansson does. */
static json_t *jl_number(struct jl *j)
{
	const char *s = j->p, *p = s;
	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0')
		p++; /* a leading zero stands alone */
	else if ((p = digits(p, j->end)) == NULL)
		return NULL;
	const char *int_end = p;
	int real = 0;
	if (p < j->end && *p == '.') {
		if ((p = digits(p + 1, j->end)) == NULL)
			return NULL;
		real = 1;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if ((p = digits(p, j->end)) == NULL)
			return NULL;
		real = 1;
	}
	j->p = p;
	if (!real) {
		const char *d = *s == '-' ? s + 1 : s;
		if (int_end - d > 18)
			return NULL;
		json_int_t v = 0;
		for (; d < int_end; d++)
			v = v * 10 + (*d - '0');
		return json_integer(*s == '-' ? -v : v);
	}
	char tmp[JL_MAX_NUMBER];
	size_t n = (size_t)(p - s);
	if (n >= sizeof(tmp))
		return NULL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end = NULL;
	double d = strtod(tmp, &end);
	/* Another decimal point in the locale, or out of range: jansson decides. */
	if (end != tmp + n || !isfinite(d))
		return NULL;
	return json_real(d);
}

static json_t *jl_literal(struct jl *j, const char *word, size_t n, json_t *v)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return NULL;
	j->p += n;
	return v;
}

static json_t *jl_array(struct jl *j)
{
	json_t *arr = json_array();
	if (arr == NULL)
		return NULL;
	jl_space(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return arr;
	}
	for (;;) {
		json_t *v = jl_value(j);
		if (v == NULL || json_array_append_new(arr, v) < 0)
			goto fail;
		jl_space(j);
		if (j->p == j->end)
			goto fail;
		char c = *j->p++;
		if (c == ']')
			return arr;
		if (c != ',')
			goto fail;
	}
fail:
	json_decref(arr);
	return NULL;
}

static json_t *jl_object(struct jl *j)
{
	json_t *obj = json_object();
	if (obj == NULL)
		return NULL;
	size_t keys = 0;
	jl_space(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return obj;
	}
	for (;;) {
		const char *key;
		size_t klen;
		if (j->p == j->end || *j->p != '"')
			goto fail;
		j->p++;
		if (!jl_string(j, &key, &klen))
			goto fail;
		/* A key with escapes lives in j->tmp, which the value's strings reuse: a copy. */
		char kbuf[128];
		if (key == j->tmp->ptr) {
			if (klen >= sizeof(kbuf))
				goto fail;
			memcpy(kbuf, key, klen);
			key = kbuf;
		}
		jl_space(j);
		if (j->p == j->end || *j->p != ':')
			goto fail;
		j->p++;
		json_t *v = jl_value(j);
		if (v == NULL || json_object_setn_new_nocheck(obj, key, klen, v) < 0)
			goto fail;
		keys++;
		jl_space(j);
		if (j->p == j->end)
			goto fail;
		char c = *j->p++;
		/* A duplicate key (it replaced the first value) is an error for jansson
		 * (JSON_REJECT_DUPLICATES). */
		if (c == '}' && json_object_size(obj) == keys)
			return obj;
		if (c == '}')
			goto fail;
		if (c != ',')
			goto fail;
		jl_space(j);
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *jl_value(struct jl *j)
{
	jl_space(j);
	if (j->p == j->end)
		return NULL;
	switch (*j->p) {
	case '"': {
		const char *s;
		size_t len;
		j->p++;
		if (!jl_string(j, &s, &len))
			return NULL;
		return json_stringn_nocheck(s, len);
	}
	case '{':
	case '[': {
		if (j->depth >= JL_MAX_DEPTH)
			return NULL;
		char c = *j->p++;
		j->depth++;
		json_t *v = c == '{' ? jl_object(j) : jl_array(j);
		j->depth--;
		return v;
	}
	case 't': return jl_literal(j, "true", 4, json_true());
	case 'f': return jl_literal(j, "false", 5, json_false());
	case 'n': return jl_literal(j, "null", 4, json_null());
	default: return jl_number(j);
	}
}

json_t *kc__jsonl_object(const char *s, size_t len, struct kc_buf *tmp)
{
	struct jl j = {s, s + len, tmp, 1};
	jl_space(&j);
	if (j.p == j.end || *j.p != '{')
		return NULL;
	j.p++;
	json_t *obj = jl_object(&j);
	if (obj == NULL)
		return NULL;
	jl_space(&j);
	if (j.p != j.end) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}
