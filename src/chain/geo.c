/* chain: geography. Distances between provinces (their capitals) and a company's region
 * inferred from its registered name. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/codes.h"
#include "chain_int.h"
#include "banned.h"

/* Provincial capitals (degrees north, east), by the province's two-digit prefix. */
static const struct {
	unsigned prefix;
	double lat, lon;
} capitals[] = {
    {11, 39.90, 116.40}, {12, 39.13, 117.20}, {13, 38.04, 114.51}, {14, 37.87, 112.55},
    {15, 40.84, 111.75}, {21, 41.80, 123.43}, {22, 43.88, 125.32}, {23, 45.80, 126.53},
    {31, 31.23, 121.47}, {32, 32.06, 118.80}, {33, 30.27, 120.16}, {34, 31.82, 117.23},
    {35, 26.07, 119.30}, {36, 28.68, 115.86}, {37, 36.65, 117.12}, {41, 34.75, 113.63},
    {42, 30.59, 114.31}, {43, 28.23, 112.94}, {44, 23.13, 113.26}, {45, 22.82, 108.32},
    {46, 20.04, 110.35}, {50, 29.56, 106.55}, {51, 30.57, 104.07}, {52, 26.65, 106.63},
    {53, 25.04, 102.71}, {54, 29.65, 91.14},  {61, 34.34, 108.94}, {62, 36.06, 103.83},
    {63, 36.62, 101.78}, {64, 38.49, 106.23}, {65, 43.83, 87.62},
};

static int capital(uint32_t code, double *lat, double *lon)
{
	unsigned p = (unsigned)(code / 10000);
	for (size_t i = 0; i < sizeof(capitals) / sizeof(capitals[0]); i++)
		if (capitals[i].prefix == p) {
			*lat = capitals[i].lat;
			*lon = capitals[i].lon;
			return 1;
		}
	return 0;
}

double kc_chain_region_km(uint32_t a, uint32_t b)
{
	double la, oa, lb, ob;
	if (!capital(a, &la, &oa) || !capital(b, &lb, &ob))
		return -1;
	if (a / 10000 == b / 10000)
		return 0;
	const double r = 6371.0, d = 3.14159265358979323846 / 180.0;
	double dlat = (lb - la) * d, dlon = (ob - oa) * d;
	double h = sin(dlat / 2) * sin(dlat / 2) +
	           cos(la * d) * cos(lb * d) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(h));
}

/* ---- region inference ---- */

static const char *const suffixes[] = {
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
    "地区",         "省",         "市",         "县",         "区",     "盟",     "旗",
};

static int is_placeholder(const char *name)
{
	return strcmp(name, "市辖区") == 0 || strcmp(name, "县") == 0 ||
	       strcmp(name, "省直辖县级行政区划") == 0 ||
	       strcmp(name, "自治区直辖县级行政区划") == 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct kc__regname *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->r->level != y->r->level)
		return x->r->level - y->r->level;
	return (x->r->code > y->r->code) - (x->r->code < y->r->code);
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

int kc__regnames_init(struct kc__regnames *t)
{
	size_t n = 0;
	const struct kc_region *all = kc_region_all(&n);
	t->v = kc_malloc((2 * n + 1) * sizeof(*t->v));
	t->n = 0;
	if (t->v == NULL)
		return KC_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct kc_region *r = &all[i];
		if (is_placeholder(r->name))
			continue;
		size_t fl = strlen(r->name);
		t->v[t->n++] = (struct kc__regname){r->name, fl, r, 0};
		for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
			size_t sl = strlen(suffixes[k]);
			if (fl > sl && memcmp(r->name + fl - sl, suffixes[k], sl) == 0) {
				if (utf8_chars(r->name, fl - sl) >= 2)
					t->v[t->n++] = (struct kc__regname){r->name, fl - sl, r, 1};
				break;
			}
		}
	}
	qsort(t->v, t->n, sizeof(*t->v), ent_cmp);
	return 0;
}

void kc__regnames_release(struct kc__regnames *t)
{
	kc_free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Entries whose name is exactly s[0..len): [*lo, *hi). */
static void find_range(const struct kc__regnames *t, const char *s, size_t len, size_t *lo,
                       size_t *hi)
{
	size_t a = 0, b = t->n;
	while (a < b) {
		size_t m = (a + b) / 2;
		const struct kc__regname *e = &t->v[m];
		size_t n = e->len < len ? e->len : len;
		int c = memcmp(e->s, s, n);
		if (c == 0 && e->len != len)
			c = e->len < len ? -1 : 1;
		if (c < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (a < t->n && t->v[a].len == len && memcmp(t->v[a].s, s, len) == 0)
		a++;
	*hi = a;
}

/* Accepts an entry as a match: provinces and cities by full or short name; counties only by
 * full name or a short name of at least three characters (two-character county names such as
 * 东方 are ordinary words in company names). within: 0 or a region the match must lie in. */
static int acceptable(const struct kc__regname *e, uint32_t within)
{
	if (within && !(kc_chain_region_within(e->r->code, within) && e->r->code != within))
		return 0;
	if (e->r->level <= 2)
		return 1;
	return !e->is_short || utf8_chars(e->s, e->len) >= 3;
}

/* The longest name at the start of s (at most 12 characters) that is acceptable; unambiguous
 * at its level. Returns the region and its byte length in *used, or NULL. */
static const struct kc_region *match_start(const struct kc__regnames *t, const char *s,
                                           uint32_t within, size_t *used)
{
	size_t bounds[16], nb = 0, i = 0;
	while (s[i] && nb < 13) {
		i++;
		while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		bounds[nb++] = i;
	}
	for (size_t k = nb; k-- > 1;) { /* at least two characters */
		size_t lo, hi;
		find_range(t, s, bounds[k], &lo, &hi);
		const struct kc__regname *best = NULL;
		int ambiguous = 0;
		for (size_t j = lo; j < hi; j++) {
			const struct kc__regname *e = &t->v[j];
			if (!acceptable(e, within))
				continue;
			if (best == NULL)
				best = e;
			else if (e->r->level == best->r->level && e->r != best->r)
				ambiguous = 1;
		}
		if (best && !ambiguous) {
			*used = bounds[k];
			return best->r;
		}
	}
	return NULL;
}

uint32_t kc__regnames_infer(const struct kc__regnames *t, const char *name)
{
	size_t used = 0;
	const struct kc_region *r = match_start(t, name, 0, &used);
	if (r) {
		/* A city (or county) written after its province refines it: 浙江杭州, 广东省深圳市.
		 */
		const char *rest = name + used;
		if (strncmp(rest, "省", strlen("省")) == 0)
			rest += strlen("省");
		if (r->level < 3) {
			size_t u2 = 0;
			const struct kc_region *r2 = match_start(t, rest, r->code, &u2);
			if (r2)
				r = r2;
		}
		return r->code;
	}
	/* A division in brackets: 纽威数控装备（苏州）股份有限公司, 开勒环境科技(上海). */
	static const char *const open[] = {"（", "("};
	static const char *const close[] = {"）", ")"};
	for (int k = 0; k < 2; k++) {
		const char *p = strstr(name, open[k]);
		if (p == NULL)
			continue;
		p += strlen(open[k]);
		const char *q = strstr(p, close[k]);
		if (q == NULL || q == p)
			continue;
		size_t lo, hi;
		find_range(t, p, (size_t)(q - p), &lo, &hi);
		for (size_t j = lo; j < hi; j++)
			if (acceptable(&t->v[j], 0))
				return t->v[j].r->code;
	}
	return 0;
}

uint32_t kc_chain_infer_region(const char *fullname)
{
	struct kc__regnames t;
	if (fullname == NULL || kc__regnames_init(&t) < 0)
		return 0;
	uint32_t code = kc__regnames_infer(&t, fullname);
	kc__regnames_release(&t);
	return code;
}
