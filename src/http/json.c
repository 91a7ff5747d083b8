/* http: the JSON writer of the answers. It writes what json_dumps(j, JSON_COMPACT |
 * JSON_ENCODE_ANY | JSON_REAL_PRECISION(p)) writes, byte for byte, straight into the reply's
 * buffer. jansson's own dumper checks every object and array for a loop (a printf of its
 * address and a hash table insert each) and calls back for every piece: it took ~30% of a
 * small GET and ~40% of a match answer; this one takes a few percent. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "banned.h"

#if JANSSON_VERSION_HEX < 0x020800
#error "kc__http_dump needs jansson >= 2.8 (objects iterate in insertion order)"
#endif

/* Deeper than jansson parses (2048): only a tree built wrongly in code goes there. */
#define MAX_DEPTH 4096

/* Room for n more bytes in b (its NUL included). */
static int room(struct kc_buf *b, size_t n)
{
	return b->len + n < b->cap ? 0 : kc_buf_grow(b, n);
}

static int put(struct kc_buf *b, const char *s, size_t n)
{
	int rc = room(b, n);
	if (rc < 0)
		return rc;
	memcpy(b->ptr + b->len, s, n);
	b->len += n;
	return 0;
}

static int putc1(struct kc_buf *b, char c)
{
	int rc = room(b, 1);
	if (rc < 0)
		return rc;
	b->ptr[b->len++] = c;
	return 0;
}

/* s[0..n) as a JSON string: ", \ and control characters escaped as jansson does (\b \f \n
 * \r \t, else \u00XX), everything else as it is (jansson's strings are valid UTF-8). */
static int put_string(struct kc_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	int rc = room(b, n + 2);
	if (rc < 0)
		return rc;
	b->ptr[b->len++] = '"';
	while (p < end) {
		const unsigned char *run = p;
		/* eight bytes a step while none is a control character, '"' or '\\' (a borrow
		 * only starts at such a byte, so a clean word never tests positive) */
		for (uint64_t w; end - p >= 8; p += 8) {
			memcpy(&w, p, 8);
			const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
			uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
			uint64_t ctl = (w - ones * 0x20) & ~w, quote = (q - ones) & ~q,
				 slash = (bs - ones) & ~bs;
			if ((ctl | quote | slash) & highs)
				break;
		}
		while (p < end && *p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p > run && (rc = put(b, (const char *)run, (size_t)(p - run))) < 0)
			return rc;
		if (p == end)
			break;
		char esc[6] = {'\\', 0, '0', '0', 0, 0};
		size_t len = 2;
		switch (*p) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			len = 6;
			break;
		}
		if ((rc = put(b, esc, len)) < 0)
			return rc;
		p++;
	}
	return putc1(b, '"');
}

static int put_integer(struct kc_buf *b, json_int_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;
	/* through unsigned: the most negative value has no positive twin */
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return put(b, p, (size_t)(e - p));
}

/* The digits of v (finite, > 0) to p <= 12 significant digits, rounded to nearest, as glibc's
 * %.*g finds them: *digits in [10^(p-1), 10^p) and *exp the decimal exponent of the first.
 * Done in doubles: v times an exact power of ten is off by at most half an ulp of a number
 * below 2^40, so unless the scaled value lies within 2^-9 of a rounding tie, rounding it is
 * rounding v. Returns -1 for the rare ties and for powers beyond 10^±22 (not exact). */
static int real_digits(double v, int p, uint64_t *digits, int *exp)
{
	static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	double lo = pow10[p - 1], hi = pow10[p];
	int x = 0;
	/* a first guess of the exponent by tens, then a step either way if it was off */
	for (double t = v; t >= 10.0 && x < 400; t /= 10.0)
		x++;
	for (double t = v; t < 1.0 && x > -400; t *= 10.0)
		x--;
	for (int tries = 0; tries < 3; tries++) {
		int s = p - 1 - x; /* v * 10^s lies in [lo, hi) */
		if (s > 22 || s < -22)
			return -1;
		double scaled = s >= 0 ? v * pow10[s] : v / pow10[-s];
		if (scaled < lo) {
			x--;
			continue;
		}
		if (scaled >= hi) {
			x++;
			continue;
		}
		double ip = (double)(uint64_t)scaled, frac = scaled - ip;
		if (frac > 0.5 - 1.0 / 512 && frac < 0.5 + 1.0 / 512)
			return -1;
		uint64_t d = (uint64_t)ip + (frac > 0.5);
		if ((double)d >= hi) { /* 9.99..96 rounded up to 10.0..0 */
			d /= 10;
			x++;
		}
		*digits = d;
		*exp = x;
		return 0;
	}
	return -1;
}

/* jansson's jsonp_dtostr: %.*g, ".0" when that reads as an integer, the exponent without '+'
 * and leading zeros (1e+20 → 1e20, 1e-05 → 1e-5). glibc's printf took ~370 ns a number
 * (a tenth of a match answer), so the common case is written here and checked against it in
 * the unit test; the rest goes through snprintf. */
static int put_real(struct kc_buf *b, double v, int precision)
{
	char tmp[64];
	size_t len = 0;
	uint64_t d;
	int x;
	if (v == 0.0) {
		len = (size_t)snprintf(tmp, sizeof(tmp), "%s", signbit(v) ? "-0.0" : "0.0");
		return put(b, tmp, len);
	}
	if (precision <= 12 && isfinite(v) && real_digits(fabs(v), precision, &d, &x) == 0) {
		char dig[16];
		int nd = precision;
		for (int i = nd - 1; i >= 0; i--, d /= 10)
			dig[i] = (char)('0' + d % 10);
		while (nd > 1 && dig[nd - 1] == '0') /* %g drops trailing zeros */
			nd--;
		if (v < 0)
			tmp[len++] = '-';
		if (x >= -4 && x < precision) { /* fixed: %g's rule */
			if (x < 0) {
				tmp[len++] = '0';
				tmp[len++] = '.';
				for (int i = -1; i > x; i--)
					tmp[len++] = '0';
				memcpy(tmp + len, dig, (size_t)nd);
				len += (size_t)nd;
			} else {
				int whole = x + 1;
				for (int i = 0; i < whole; i++)
					tmp[len++] = i < nd ? dig[i] : '0';
				tmp[len++] = '.';
				if (nd > whole) {
					memcpy(tmp + len, dig + whole, (size_t)(nd - whole));
					len += (size_t)(nd - whole);
				} else {
					tmp[len++] = '0'; /* jansson's ".0" */
				}
			}
		} else { /* exponential, as jansson leaves it: 1.5e20, 1e-7 */
			tmp[len++] = dig[0];
			if (nd > 1) {
				tmp[len++] = '.';
				memcpy(tmp + len, dig + 1, (size_t)(nd - 1));
				len += (size_t)(nd - 1);
			}
			tmp[len++] = 'e';
			if (x < 0)
				tmp[len++] = '-';
			len += (size_t)snprintf(tmp + len, sizeof(tmp) - len, "%d", abs(x));
		}
		return put(b, tmp, len);
	}
	/* a literal precision: glibc takes its slower positional path for "%.*g" */
	static const char *const formats[] = {"%.1g",  "%.2g",  "%.3g",  "%.4g",  "%.5g",  "%.6g",
					      "%.7g",  "%.8g",  "%.9g",  "%.10g", "%.11g", "%.12g",
					      "%.13g", "%.14g", "%.15g", "%.16g", "%.17g"};
	int n = snprintf(tmp, sizeof(tmp), formats[precision - 1], v);
	if (n < 0 || (size_t)n >= sizeof(tmp) - 3)
		return KC_EINVAL;
	len = (size_t)n;
	char *e = strchr(tmp, 'e');
	if (e == NULL && strchr(tmp, '.') == NULL) {
		memcpy(tmp + len, ".0", 3);
		len += 2;
	}
	if (e != NULL) {
		char *start = e + 1, *digits = e + 2;
		if (*start == '-')
			start++;
		while (*digits == '0')
			digits++;
		if (digits != start) {
			memmove(start, digits, len - (size_t)(digits - tmp) + 1);
			len -= (size_t)(digits - start);
		}
	}
	return put(b, tmp, len);
}

static int dump(struct kc_buf *b, const json_t *j, int precision, int depth)
{
	int rc;
	if (depth > MAX_DEPTH)
		return KC_EINVAL;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		if ((rc = putc1(b, '{')) < 0)
			return rc;
		int first = 1;
		for (void *it = json_object_iter((json_t *)j); it != NULL;
		     it = json_object_iter_next((json_t *)j, it)) {
			const char *key = json_object_iter_key(it);
#if JANSSON_VERSION_HEX >= 0x020e00
			size_t klen = json_object_iter_key_len(it);
#else
			size_t klen = strlen(key);
#endif
			if ((!first && (rc = putc1(b, ',')) < 0) ||
			    (rc = put_string(b, key, klen)) < 0 || (rc = putc1(b, ':')) < 0 ||
			    (rc = dump(b, json_object_iter_value(it), precision, depth + 1)) < 0)
				return rc;
			first = 0;
		}
		return putc1(b, '}');
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		if ((rc = putc1(b, '[')) < 0)
			return rc;
		for (size_t i = 0; i < n; i++)
			if ((i && (rc = putc1(b, ',')) < 0) ||
			    (rc = dump(b, json_array_get(j, i), precision, depth + 1)) < 0)
				return rc;
		return putc1(b, ']');
	}
	case JSON_STRING:
		return put_string(b, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return put_integer(b, json_integer_value(j));
	case JSON_REAL:
		return put_real(b, json_real_value(j), precision);
	case JSON_TRUE:
		return put(b, "true", 4);
	case JSON_FALSE:
		return put(b, "false", 5);
	case JSON_NULL:
		return put(b, "null", 4);
	}
	return KC_EINVAL;
}

int kc__http_dump_string(struct kc_buf *out, const char *s, size_t n)
{
	int rc = put_string(out, s, n);
	if (rc == 0)
		out->ptr[out->len] = '\0';
	return rc;
}

int kc__http_dump_int(struct kc_buf *out, int64_t v)
{
	int rc = put_integer(out, (json_int_t)v);
	if (rc == 0)
		out->ptr[out->len] = '\0';
	return rc;
}

int kc__http_dump(struct kc_buf *out, const json_t *j, int precision)
{
	if (j == NULL || precision < 1 || precision > 17)
		return KC_EINVAL;
	size_t start = out->len;
	int rc = dump(out, j, precision, 0);
	if (rc < 0) {
		out->len = start;
		if (out->ptr)
			out->ptr[start] = '\0';
		return rc;
	}
	/* room() kept a byte for the NUL */
	out->ptr[out->len] = '\0';
	return 0;
}
