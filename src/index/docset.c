/* Filter facets: one CRoaring bitmap of document numbers per facet value ("r:43", "t:7",
 * "n:li-lfp", ...), in an open-addressing table; live documents per kind. A filter ANDs the
 * live bitmap of its kind with the OR of the accepted values of each condition. */
#include <roaring/roaring.h>
#include <stdio.h>
#include <string.h>

#include "kechan/codes.h"
#include "index_int.h"
#include "banned.h"

struct facet {
	char *key; /* owned */
	roaring_bitmap_t *bm;
};

struct kc__facets {
	struct facet *tab;
	size_t cap, n;
	roaring_bitmap_t *live[3]; /* by enum kc_doc_kind */
	uint32_t min_month, max_month; /* yyyymm over dated documents */
};

struct kc_docset {
	roaring_bitmap_t *bm;
};

static const char *const stage_names[] = {NULL, "lab", "concept", "pilot", "industrial"};

int kc_doc_stage_parse(const char *s)
{
	for (int i = 1; s != NULL && i <= KC_STAGE_INDUSTRIAL; i++)
		if (strcmp(s, stage_names[i]) == 0)
			return i;
	return 0;
}

const char *kc_doc_stage_name(int stage)
{
	return stage >= 1 && stage <= KC_STAGE_INDUSTRIAL ? stage_names[stage] : NULL;
}

int kc_filter_trl(const char *s, int *lo, int *hi)
{
	char tail;
	int n = sscanf(s, "%d-%d%c", lo, hi, &tail);
	if (n == 1 && strchr(s, '-') == NULL)
		*hi = *lo;
	else if (n != 2)
		return -1;
	return *lo >= 1 && *hi <= 9 && *lo <= *hi ? 0 : -1;
}

int kc_filter_stages(const char *s, unsigned *bits, char *bad, size_t cap)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *p = strtok_r(buf, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		int st = kc_doc_stage_parse(p);
		if (st == 0) {
			snprintf(bad, cap, "%s", p);
			return -1;
		}
		*bits |= 1u << st;
	}
	return 0;
}

int kc_filter_date(const char *s, uint32_t *out)
{
	unsigned y, m, d;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || y < 1000 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*out = y * 10000 + m * 100 + d;
	return 0;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = kc_fnv1a(s, strlen(s), KC_FNV_OFFSET);
	return h ^ (h >> 31);
}

static size_t slot(const struct facet *tab, size_t cap, const char *key)
{
	size_t i = (size_t)fnv(key) & (cap - 1);
	while (tab[i].key != NULL && strcmp(tab[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

int kc__facets_new(struct kc__facets **out)
{
	struct kc__facets *fc = kc_calloc(1, sizeof(*fc));
	*out = NULL;
	if (fc == NULL)
		return KC_ENOMEM;
	fc->cap = 256;
	fc->tab = kc_calloc(fc->cap, sizeof(*fc->tab));
	for (int k = 0; k < 3; k++)
		fc->live[k] = roaring_bitmap_create();
	if (fc->tab == NULL || fc->live[0] == NULL || fc->live[1] == NULL || fc->live[2] == NULL) {
		kc__facets_free(fc);
		return KC_ENOMEM;
	}
	*out = fc;
	return 0;
}

void kc__facets_free(struct kc__facets *fc)
{
	if (fc == NULL)
		return;
	for (size_t i = 0; fc->tab != NULL && i < fc->cap; i++) {
		kc_free(fc->tab[i].key);
		if (fc->tab[i].bm != NULL)
			roaring_bitmap_free(fc->tab[i].bm);
	}
	for (int k = 0; k < 3; k++)
		if (fc->live[k] != NULL)
			roaring_bitmap_free(fc->live[k]);
	kc_free(fc->tab);
	kc_free(fc);
}

static const roaring_bitmap_t *get(const struct kc__facets *fc, const char *key)
{
	return fc->tab[slot(fc->tab, fc->cap, key)].bm;
}

static int add(struct kc__facets *fc, const char *key, uint32_t doc)
{
	size_t i = slot(fc->tab, fc->cap, key);
	if (fc->tab[i].key == NULL) {
		if ((fc->n + 1) * 2 > fc->cap) {
			size_t cap = fc->cap * 2;
			struct facet *t = kc_calloc(cap, sizeof(*t));
			if (t == NULL)
				return KC_ENOMEM;
			for (size_t j = 0; j < fc->cap; j++)
				if (fc->tab[j].key != NULL)
					t[slot(t, cap, fc->tab[j].key)] = fc->tab[j];
			kc_free(fc->tab);
			fc->tab = t;
			fc->cap = cap;
			i = slot(fc->tab, fc->cap, key);
		}
		char *k = kc_strdup(key);
		roaring_bitmap_t *bm = roaring_bitmap_create();
		if (k == NULL || bm == NULL) {
			kc_free(k);
			if (bm != NULL)
				roaring_bitmap_free(bm);
			return KC_ENOMEM;
		}
		fc->tab[i] = (struct facet){k, bm};
		fc->n++;
	}
	roaring_bitmap_add(fc->tab[i].bm, doc);
	return 0;
}

static int addf(struct kc__facets *fc, uint32_t doc, const char *prefix, const char *value,
		size_t len)
{
	char key[160];
	size_t pl = strlen(prefix);
	len = strnlen(value, len);
	if (pl + len >= sizeof(key))
		return 0; /* a value this long is not a facet value (ids are shorter) */
	memcpy(key, prefix, pl);
	memcpy(key + pl, value, len);
	key[pl + len] = 0;
	return add(fc, key, doc);
}

/* Writes v in decimal to buf (at least 11 bytes), NUL-terminated; returns its length. (The
 * index adds several facets per document on its one appending thread: snprintf was 15% of
 * that thread's instructions.) */
static size_t put_uint(char *buf, unsigned v)
{
	char tmp[10];
	size_t n = 0, k = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		buf[k++] = tmp[--n];
	buf[k] = 0;
	return k;
}

int kc__facets_add(struct kc__facets *fc, uint32_t doc, const struct kc_doc *d, const json_t *rec)
{
	int rc = 0;
	char buf[16];
	rc = rc ? rc : addf(fc, doc, "v:", buf, put_uint(buf, d->vis));
	if (d->region != NULL && strlen(d->region) == 6) {
		rc = rc ? rc : addf(fc, doc, "r:", d->region, 2);
		rc = rc ? rc : addf(fc, doc, "r:", d->region, 4);
		rc = rc ? rc : addf(fc, doc, "r:", d->region, 6);
	}
	if (d->trl) {
		rc = rc ? rc : addf(fc, doc, "t:", buf, put_uint(buf, d->trl));
	}
	if (d->stage) {
		rc = rc ? rc : addf(fc, doc, "s:", buf, put_uint(buf, d->stage));
	}
	if (d->date) {
		uint32_t month = d->date / 100;
		rc = rc ? rc : addf(fc, doc, "m:", buf, put_uint(buf, month));
		if (fc->min_month == 0 || month < fc->min_month)
			fc->min_month = month;
		if (month > fc->max_month)
			fc->max_month = month;
	}
	if (d->org_id != NULL)
		rc = rc ? rc : addf(fc, doc, "o:", d->org_id, strlen(d->org_id));
	const char *status = json_string_value(json_object_get(rec, "status"));
	if (status != NULL)
		rc = rc ? rc : addf(fc, doc, "st:", status, strlen(status));
	size_t i;
	const json_t *x;
	json_array_foreach(json_object_get(rec, "nodes"), i, x) {
		if (json_is_string(x))
			rc = rc ? rc : addf(fc, doc, "n:", json_string_value(x),
					    json_string_length(x));
	}
	if (rc == 0 && d->kind >= 1 && d->kind <= 2)
		roaring_bitmap_add(fc->live[d->kind], doc);
	return rc;
}

void kc__facets_unlink(struct kc__facets *fc, uint32_t doc, uint8_t kind)
{
	if (kind >= 1 && kind <= 2)
		roaring_bitmap_remove(fc->live[kind], doc);
}

size_t kc__facets_bytes(const struct kc__facets *fc)
{
	size_t b = fc->cap * sizeof(*fc->tab);
	for (size_t i = 0; i < fc->cap; i++)
		if (fc->tab[i].bm != NULL)
			b += roaring_bitmap_size_in_bytes(fc->tab[i].bm) + strlen(fc->tab[i].key) + 1;
	for (int k = 1; k < 3; k++)
		b += roaring_bitmap_size_in_bytes(fc->live[k]);
	return b;
}

/* acc ∨= the bitmap of key (when there is one). */
static void or_key(roaring_bitmap_t *acc, const struct kc__facets *fc, const char *key)
{
	const roaring_bitmap_t *bm = get(fc, key);
	if (bm != NULL)
		roaring_bitmap_or_inplace(acc, bm);
}

/* r ∧= acc, and acc is emptied for the next condition. */
static void and_acc(roaring_bitmap_t *r, roaring_bitmap_t *acc)
{
	roaring_bitmap_and_inplace(r, acc);
	roaring_bitmap_clear(acc);
}

/* r ∧= the bitmap of key (empty when there is none). */
static void and_key(roaring_bitmap_t *r, const struct kc__facets *fc, const char *key)
{
	const roaring_bitmap_t *bm = get(fc, key);
	if (bm == NULL)
		roaring_bitmap_clear(r);
	else
		roaring_bitmap_and_inplace(r, bm);
}

static int valid_date(uint32_t d)
{
	uint32_t m = d / 100 % 100, day = d % 100;
	return d >= 10000101 && d <= 99991231 && m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

static uint32_t next_month(uint32_t ym)
{
	return ym % 100 == 12 ? (ym / 100 + 1) * 100 + 1 : ym + 1;
}

struct outside {
	const struct kc_doc *docs;
	uint32_t from, to;
	roaring_bitmap_t *out;
};

static bool collect_outside(uint32_t doc, void *arg)
{
	struct outside *o = arg;
	uint32_t date = o->docs[doc].date;
	if ((o->from && date < o->from) || (o->to && date > o->to))
		roaring_bitmap_add(o->out, doc);
	return true;
}

/* The documents published in [from, to] (yyyymmdd; 0 = open), ANDed into r. */
static int and_dates(roaring_bitmap_t *r, const struct kc__facets *fc, const struct kc_doc *docs,
		     uint32_t from, uint32_t to)
{
	uint32_t m0 = from ? from / 100 : fc->min_month;
	uint32_t m1 = to ? to / 100 : fc->max_month;
	if (m0 < fc->min_month)
		m0 = fc->min_month;
	if (m1 > fc->max_month)
		m1 = fc->max_month;
	roaring_bitmap_t *acc = roaring_bitmap_create();
	if (acc == NULL)
		return KC_ENOMEM;
	for (uint32_t m = m0; m != 0 && m <= m1; m = next_month(m)) {
		char key[16];
		snprintf(key, sizeof(key), "m:%u", (unsigned)m);
		const roaring_bitmap_t *bm = get(fc, key);
		if (bm != NULL)
			roaring_bitmap_or_inplace(acc, bm);
	}
	roaring_bitmap_and_inplace(r, acc);
	roaring_bitmap_free(acc);
	/* the first and last months may be partly outside: check those documents' days */
	if ((from && from % 100 != 1) || (to && to % 100 != 31)) {
		struct outside o = {docs, from, to, roaring_bitmap_create()};
		if (o.out == NULL)
			return KC_ENOMEM;
		roaring_iterate(r, collect_outside, &o);
		roaring_bitmap_t *out = o.out;
		roaring_bitmap_andnot_inplace(r, out);
		roaring_bitmap_free(out);
	}
	return 0;
}

/* The region code as a facet prefix: 2 digits (province), 4 (city), 6 (county); trailing "00"
 * pairs of a 6-digit code name the province or city itself (430000 → 43, 430100 → 4301). */
static int region_key(char *key, size_t cap, const char *region)
{
	size_t n = strlen(region);
	for (size_t i = 0; i < n; i++)
		if (region[i] < '0' || region[i] > '9')
			return KC_EINVAL;
	if (n == 6 && strcmp(region + 2, "0000") == 0)
		n = 2;
	else if (n == 6 && strcmp(region + 4, "00") == 0)
		n = 4;
	if (n != 2 && n != 4 && n != 6)
		return KC_EINVAL;
	snprintf(key, cap, "r:%.*s", (int)n, region);
	return 0;
}

int kc__facets_filter(const struct kc__facets *fc, const struct kc_doc *docs,
		      const struct kc_filter *f, struct kc_docset **out, struct kc_err *err)
{
	char key[160];
	struct kc_docset *ds = NULL;
	roaring_bitmap_t *r = NULL, *acc = NULL;
	int rc = 0;
	*out = NULL;
	if (f->kind != KC_DOC_SUPPLY && f->kind != KC_DOC_DEMAND)
		return kc_err_set(err, KC_EINVAL, "filter: kind must be supply or demand");
	if (f->region != NULL && (region_key(key, sizeof(key), f->region) != 0 ||
				  !kc_region_prefix_known(f->region, strlen(f->region))))
		return kc_err_set(err, KC_EINVAL,
				  "filter: region '%s' is not a GB/T 2260 code or prefix (43 湖南, "
				  "4301 长沙, 430104)",
				  f->region);
	if ((f->trl_min && (f->trl_min < 1 || f->trl_min > 9)) ||
	    (f->trl_max && (f->trl_max < 1 || f->trl_max > 9)) ||
	    (f->trl_min && f->trl_max && f->trl_min > f->trl_max))
		return kc_err_set(err, KC_EINVAL, "filter: TRL range %d..%d is not within 1..9",
				  f->trl_min, f->trl_max);
	if ((f->date_from && !valid_date(f->date_from)) || (f->date_to && !valid_date(f->date_to)) ||
	    (f->date_from && f->date_to && f->date_from > f->date_to))
		return kc_err_set(err, KC_EINVAL, "filter: date range %u..%u is not valid",
				  (unsigned)f->date_from, (unsigned)f->date_to);
	if (f->stages >> (KC_STAGE_INDUSTRIAL + 1) || (f->stages & 1u))
		return kc_err_set(err, KC_EINVAL, "filter: unknown stage bits %#x", f->stages);

	ds = kc_calloc(1, sizeof(*ds));
	r = roaring_bitmap_copy(fc->live[f->kind]);
	acc = roaring_bitmap_create();
	if (ds == NULL || r == NULL || acc == NULL)
		goto nomem;
	if (!f->viewer_admin) {
		or_key(acc, fc, "v:0");
		if (f->viewer_member)
			or_key(acc, fc, "v:1");
		if (f->viewer_org != NULL) { /* an org sees all of its own documents */
			snprintf(key, sizeof(key), "o:%s", f->viewer_org);
			or_key(acc, fc, key);
		}
		and_acc(r, acc);
	}
	if (f->region != NULL) {
		region_key(key, sizeof(key), f->region);
		and_key(r, fc, key);
	}
	if (f->trl_min || f->trl_max) {
		int lo = f->trl_min ? f->trl_min : 1, hi = f->trl_max ? f->trl_max : 9;
		for (int t = lo; t <= hi; t++) {
			snprintf(key, sizeof(key), "t:%d", t);
			or_key(acc, fc, key);
		}
		and_acc(r, acc);
	}
	if (f->stages) {
		for (int s = 1; s <= KC_STAGE_INDUSTRIAL; s++) {
			if (!(f->stages & (1u << s)))
				continue;
			snprintf(key, sizeof(key), "s:%d", s);
			or_key(acc, fc, key);
		}
		and_acc(r, acc);
	}
	if (f->nnodes) {
		for (size_t i = 0; i < f->nnodes; i++) {
			snprintf(key, sizeof(key), "n:%s", f->nodes[i]);
			or_key(acc, fc, key);
		}
		and_acc(r, acc);
	}
	if (f->status != NULL) {
		snprintf(key, sizeof(key), "st:%s", f->status);
		and_key(r, fc, key);
	}
	if (f->org_id != NULL) {
		snprintf(key, sizeof(key), "o:%s", f->org_id);
		and_key(r, fc, key);
	}
	if ((f->date_from || f->date_to) && (rc = and_dates(r, fc, docs, f->date_from,
							   f->date_to)) != 0)
		goto nomem;
	roaring_bitmap_run_optimize(r);
	roaring_bitmap_free(acc);
	ds->bm = r;
	*out = ds;
	return 0;
nomem:
	if (r != NULL)
		roaring_bitmap_free(r);
	if (acc != NULL)
		roaring_bitmap_free(acc);
	kc_free(ds);
	return kc_err_set(err, KC_ENOMEM, "out of memory");
}

void kc_docset_free(struct kc_docset *s)
{
	if (s == NULL)
		return;
	roaring_bitmap_free(s->bm);
	kc_free(s);
}

int kc_docset_contains(const struct kc_docset *s, uint32_t doc)
{
	return roaring_bitmap_contains(s->bm, doc);
}

uint64_t kc_docset_count(const struct kc_docset *s)
{
	return roaring_bitmap_get_cardinality(s->bm);
}

/* ---- snapshots */

/* A bitmap as its length (u32) and its portable serialization. */
static int write_bitmap(struct kc_buf *b, const roaring_bitmap_t *bm)
{
	uint32_t len = (uint32_t)roaring_bitmap_portable_size_in_bytes(bm);
	int rc = kc_buf_add(b, &len, sizeof(len));
	if (rc == 0 && (rc = kc_buf_grow(b, len)) == 0) {
		roaring_bitmap_portable_serialize(bm, b->ptr + b->len);
		b->len += len;
	}
	return rc;
}

/* The facet count, the month range, each facet (key, bitmap), then the live bitmaps of
 * supplies and demands. */
int kc__facets_save(const struct kc__facets *fc, struct kc_buf *b)
{
	uint64_t n = fc->n;
	int rc = kc_buf_add(b, &n, sizeof(n));
	rc = rc ? rc : kc_buf_add(b, &fc->min_month, sizeof(fc->min_month));
	rc = rc ? rc : kc_buf_add(b, &fc->max_month, sizeof(fc->max_month));
	for (size_t i = 0; rc == 0 && i < fc->cap; i++) {
		if (fc->tab[i].key == NULL)
			continue;
		rc = kc__put_str(b, fc->tab[i].key);
		rc = rc ? rc : write_bitmap(b, fc->tab[i].bm);
	}
	for (int k = 1; k < 3 && rc == 0; k++)
		rc = write_bitmap(b, fc->live[k]);
	return rc;
}

static roaring_bitmap_t *read_bitmap(struct kc__rd *r)
{
	uint32_t len = 0;
	kc__get(r, &len, sizeof(len));
	const unsigned char *p = kc__get_bytes(r, len);
	if (p == NULL)
		return NULL;
	roaring_bitmap_t *bm = roaring_bitmap_portable_deserialize_safe((const char *)p, len);
	if (bm == NULL)
		r->bad = 1;
	return bm;
}

int kc__facets_load(struct kc__facets *fc, struct kc__rd *r)
{
	uint64_t n = 0;
	kc__get(r, &n, sizeof(n));
	kc__get(r, &fc->min_month, sizeof(fc->min_month));
	kc__get(r, &fc->max_month, sizeof(fc->max_month));
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		char *key = kc__get_str(r);
		roaring_bitmap_t *bm = key ? read_bitmap(r) : NULL;
		if (key == NULL || bm == NULL) {
			kc_free(key);
			r->bad = 1;
			break;
		}
		/* add() creates the entry; then its empty bitmap is swapped for the loaded one */
		if (add(fc, key, 0) != 0) {
			kc_free(key);
			roaring_bitmap_free(bm);
			return KC_ENOMEM;
		}
		struct facet *f = &fc->tab[slot(fc->tab, fc->cap, key)];
		roaring_bitmap_free(f->bm);
		f->bm = bm;
		kc_free(key);
	}
	for (int k = 1; k < 3 && !r->bad; k++) {
		roaring_bitmap_t *bm = read_bitmap(r);
		if (bm == NULL) {
			r->bad = 1;
			break;
		}
		roaring_bitmap_free(fc->live[k]);
		fc->live[k] = bm;
	}
	return r->bad ? KC_ECORRUPT : 0;
}
