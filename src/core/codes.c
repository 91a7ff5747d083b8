/* codes: lookups over the generated official code tables. */
#include "kechan/codes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes_int.h"
#include "banned.h"

uint32_t kc_region_parse(const char *s, size_t len)
{
	if (len != 6)
		return 0;
	uint32_t v = 0;
	for (size_t i = 0; i < 6; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return v;
}

static int region_cmp(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key;
	uint32_t c = ((const struct kc_region *)elem)->code;
	return k < c ? -1 : k > c;
}

const struct kc_region *kc_region_get(uint32_t code)
{
	return bsearch(&code, kc__regions, kc__regions_len, sizeof(kc__regions[0]), region_cmp);
}

int kc_region_prefix_known(const char *s, size_t len)
{
	if (len != 2 && len != 4 && len != 6)
		return 0;
	uint32_t lo = 0, scale = 1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		lo = lo * 10 + (uint32_t)(s[i] - '0');
	}
	for (size_t i = len; i < 6; i++)
		scale *= 10;
	lo *= scale;
	/* the first division at or after lo: known when it still begins with the prefix */
	size_t a = 0, b = kc__regions_len;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (kc__regions[mid].code < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < kc__regions_len && kc__regions[a].code < lo + scale;
}

const struct kc_region *kc_region_all(size_t *len)
{
	*len = kc__regions_len;
	return kc__regions;
}

uint32_t kc_region_province(uint32_t code)
{
	return code / 10000 * 10000;
}

static int is_placeholder(const char *name)
{
	return strcmp(name, "市辖区") == 0 || strcmp(name, "县") == 0 ||
	       strcmp(name, "省直辖县级行政区划") == 0 || strcmp(name, "自治区直辖县级行政区划") == 0;
}

size_t kc_region_fullname(uint32_t code, char *out, size_t n)
{
	const struct kc_region *chain[3] = {NULL, NULL, NULL};
	int depth = 0;
	const struct kc_region *r = kc_region_get(code);
	if (r == NULL) {
		if (n)
			out[0] = '\0';
		return 0;
	}
	while (r && depth < 3) {
		chain[depth++] = r;
		r = r->parent ? kc_region_get(r->parent) : NULL;
	}
	size_t need = 0;
	if (n)
		out[0] = '\0';
	for (int i = depth - 1; i >= 0; i--) {
		if (is_placeholder(chain[i]->name))
			continue;
		size_t l = strlen(chain[i]->name);
		if (need + l < n) {
			memcpy(out + need, chain[i]->name, l);
			out[need + l] = '\0';
		}
		need += l;
	}
	return need;
}

/* Suffixes people drop when they write a division's short name, longest first. */
static const char *const region_suffixes[] = {
	"维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
	"地区", "省", "市", "县", "区", "盟", "旗",
};

static int name_matches(const char *full, const char *name, size_t len)
{
	size_t fl = strlen(full);
	if (fl == len && memcmp(full, name, len) == 0)
		return 1;
	if (len < 6 || len >= fl || memcmp(full, name, len) != 0)
		return 0;
	const char *rest = full + len;
	for (size_t i = 0; i < sizeof(region_suffixes) / sizeof(region_suffixes[0]); i++)
		if (strcmp(rest, region_suffixes[i]) == 0)
			return 1;
	return 0;
}

int kc_region_find(const char *name, size_t len, const struct kc_region **out)
{
	int found = 0;
	*out = NULL;
	for (int level = 1; level <= 3; level++) {
		for (unsigned i = 0; i < kc__regions_len; i++) {
			const struct kc_region *r = &kc__regions[i];
			if (r->level != level || is_placeholder(r->name))
				continue;
			if (name_matches(r->name, name, len)) {
				if (*out == NULL)
					*out = r;
				found++;
			}
		}
	}
	return found;
}

static int ipc_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct kc__ipc *)elem)->code);
}

const char *kc_ipc_title(const char *code)
{
	const struct kc__ipc *e =
		bsearch(code, kc__ipcs, kc__ipcs_len, sizeof(kc__ipcs[0]), ipc_cmp);
	return e ? e->title : NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int kc_ipc_check(const char *s, size_t len)
{
	/* Subclass: section letter A-H, two digits, one capital letter. */
	if (len < 4 || s[0] < 'A' || s[0] > 'H' || !is_digit(s[1]) || !is_digit(s[2]) ||
	    s[3] < 'A' || s[3] > 'Z')
		return 0;
	size_t i = 4;
	if (i < len) {
		/* Optional group: [space] 1-4 digits '/' 2-6 digits. */
		if (s[i] == ' ')
			i++;
		size_t d = 0;
		while (i < len && is_digit(s[i]) && d < 5) {
			i++;
			d++;
		}
		if (d == 0 || d > 4 || i >= len || s[i] != '/')
			return 0;
		i++;
		d = 0;
		while (i < len && is_digit(s[i]) && d < 7) {
			i++;
			d++;
		}
		if (d < 2 || d > 6 || i != len)
			return 0;
	}
	char sub[5];
	memcpy(sub, s, 4);
	sub[4] = '\0';
	return kc_ipc_title(sub) ? 1 : -1;
}

static int industry_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct kc__industry *)elem)->code);
}

const char *kc_industry_name(const char *code, int *level)
{
	const struct kc__industry *e = bsearch(code, kc__industries, kc__industries_len,
					       sizeof(kc__industries[0]), industry_cmp);
	if (level)
		*level = e ? e->level : 0;
	return e ? e->name : NULL;
}
