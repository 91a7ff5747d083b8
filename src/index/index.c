/* The inverted index: a term dictionary (open addressing), one delta + varint postings stream
 * per term, documents with per-field lengths, tombstones for deletes.
 *
 * A posting is: document delta, field mask, the tf of each field in the mask, and when the
 * term is in a text field (title, description, keywords) the byte length of its positions.
 * Positions live in a second stream per term (read only for the documents being scored):
 * delta + varint, one word counter over the document's text fields, with a gap of POS_GAP
 * between fields and between the items of a list (keywords), so no phrase spans two. A word
 * found inside a longer word (KC_TERM_SUB) has the position of that word.
 *
 * Skip blocks: every ix->block postings of a term start a block (struct kc_postings_block):
 * its last document, where its first posting starts in both streams (decoded as a delta from
 * the previous block's last document), the largest tf and shortest field length per field
 * among its postings. Appending a posting extends the last block or starts one; deletes leave
 * them alone (a tombstone only loosens a bound). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "index_int.h"
#include "kechan/store.h"
#include "banned.h"

struct term {
	char *s;          /* owned, NUL-terminated */
	uint64_t pre;     /* the text's first 8 bytes (zero-padded; term_pre): most terms are no
			     longer, so finding one rarely reads s (a cache miss) */
	uint32_t len;
	uint32_t last;    /* last document appended + 1 (0 = none) */
	uint8_t *buf;
	size_t n, cap;
	uint8_t *pbuf;    /* positions */
	size_t pn, pcap;
	uint32_t df;
	uint32_t df_kind[3];
	uint16_t maxtf[KC_FIELD_COUNT];  /* for upper bounds (pruning) */
	uint16_t minlen[KC_FIELD_COUNT]; /* shortest field among documents with the term there */
	struct kc_postings_block *blk;   /* skip blocks: ceil(df / block) of them */
	uint32_t nblk, blkcap;
};

struct idkey {
	char *id; /* borrowed from the doc */
	uint8_t kind;
	uint32_t doc;
};

struct dterm {
	uint64_t h;   /* hash(text, 0): the index's term table uses the same hash */
	uint32_t off; /* the text's offset in the pool */
	uint32_t len;
	uint32_t id;  /* order of first appearance in the document */
	uint16_t tf[KC_FIELD_COUNT];
	uint8_t used;
};

/* One occurrence of a term in a text field: (term id, position). */
struct docc {
	uint32_t id, pos;
};

#define POS_GAP 64 /* positions between fields and list items: wider than any phrase window */

struct dtab {
	struct dterm *v;
	size_t cap, n;
	uint32_t *slot;     /* [cap]: term id i is v[slot[i]] */
	struct kc_buf pool; /* the term texts of this document, one after the other */
	struct docc *occ;   /* text-field occurrences in position order */
	size_t nocc, occ_cap;
	struct docc *grp;   /* by dtab_group: occ grouped by term id (positions ascending) */
	size_t grp_cap;
	uint32_t *ostart;   /* by dtab_group: term id i's occurrences are
			       grp[ostart[i] .. ostart[i + 1]) */
	size_t ostart_cap;
	uint32_t pos;       /* the next word's position */
};

/* A worker of kc_index_put_many: its analysis run and scratch table. */
struct iworker {
	struct kc_text_run *run;
	struct dtab dt;
};

struct kc_index {
	const struct kc_text *text;
	struct kc_text_run *run;
	struct term *terms; /* hash table */
	size_t term_cap, nterms;
	struct kc_doc *docs;
	struct kc_doc_hot *hot; /* docs' lengths and flags, packed (doc_cap of them) */
	uint32_t ndocs;
	size_t doc_cap;
	struct idkey *ids; /* hash table: (kind, id) → doc */
	size_t id_cap, nids;
	json_t *links; /* node → {"up": [...], "down": [...], "terms": [...]} */
	json_t *named; /* a word → the nodes whose name or alias it is: ["li-cathode", ...] */
	struct kc__facets *facets;
	struct iworker wk[16]; /* kc_index_put_many's workers (an OpenCC converter each: costly to
				  open, so kept, with their scratch tables) */
	struct dtab dt;         /* kc_index_put's scratch table (with run) */
	struct kc_buf *cbufs;   /* kc_index_put_many's chunk buffers, kept from call to call */
	size_t ncbufs;
	size_t live[3];
	double sumlen[3][KC_FIELD_COUNT];
	size_t nfield[3][KC_FIELD_COUNT]; /* live documents with the field (length > 0) */
	size_t bytes;
	uint32_t block; /* postings per skip block */
};

static void dtab_release(struct dtab *d);

static uint64_t hash(const char *s, size_t n, uint64_t seed)
{
	uint64_t h = kc_fnv1a(s, n, KC_FNV_OFFSET ^ seed);
	return h ^ (h >> 29);
}

int kc_index_new(struct kc_index **out, const struct kc_text *t, struct kc_err *err)
{
	struct kc_index *ix = kc_calloc(1, sizeof(*ix));
	*out = NULL;
	if (ix == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	ix->text = t;
	ix->block = KC_INDEX_BLOCK;
	ix->term_cap = 1 << 14;
	ix->terms = kc_calloc(ix->term_cap, sizeof(*ix->terms));
	ix->id_cap = 1 << 12;
	ix->ids = kc_calloc(ix->id_cap, sizeof(*ix->ids));
	ix->run = kc_text_run_new();
	ix->links = json_object();
	ix->named = json_object();
	if (ix->terms == NULL || ix->ids == NULL || ix->run == NULL || ix->links == NULL ||
	    ix->named == NULL ||
	    kc__facets_new(&ix->facets) != 0) {
		kc_index_free(ix);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	*out = ix;
	return 0;
}

void kc_index_free(struct kc_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->term_cap && ix->terms; i++) {
		kc_free(ix->terms[i].s);
		kc_free(ix->terms[i].buf);
		kc_free(ix->terms[i].pbuf);
		kc_free(ix->terms[i].blk);
	}
	for (uint32_t d = 0; d < ix->ndocs; d++) {
		kc_free(ix->docs[d].id);
		kc_free(ix->docs[d].org_id);
		kc_free(ix->docs[d].region);
	}
	kc_free(ix->terms);
	kc_free(ix->docs);
	kc_free(ix->hot);
	kc_free(ix->ids);
	json_decref(ix->links);
	json_decref(ix->named);
	kc__facets_free(ix->facets);
	for (size_t i = 0; i < sizeof(ix->wk) / sizeof(ix->wk[0]); i++) {
		kc_text_run_free(ix->wk[i].run);
		dtab_release(&ix->wk[i].dt);
	}
	dtab_release(&ix->dt);
	for (size_t i = 0; i < ix->ncbufs; i++)
		kc_buf_release(&ix->cbufs[i]);
	kc_free(ix->cbufs);
	kc_text_run_free(ix->run);
	kc_free(ix);
}

/* ---- term dictionary */

/* The first 8 bytes of s[0..n), zero-padded. */
static uint64_t term_pre(const char *s, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, s, n < sizeof(v) ? n : sizeof(v));
	return v;
}

/* The slot of term s[0..n) (h = hash(s, n, 0)): where it is, or the empty slot it would take. */
static size_t term_slot_h(const struct term *tab, size_t cap, const char *s, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);
	uint64_t pre = term_pre(s, n);
	while (tab[i].s != NULL &&
	       !(tab[i].pre == pre && tab[i].len == n &&
		 (n <= sizeof(pre) || memcmp(tab[i].s + sizeof(pre), s + sizeof(pre), n - sizeof(pre)) == 0)))
		i = (i + 1) & (cap - 1);
	return i;
}

static size_t term_slot(const struct term *tab, size_t cap, const char *s, size_t n)
{
	return term_slot_h(tab, cap, s, n, hash(s, n, 0));
}

static int grow_terms(struct kc_index *ix)
{
	size_t cap = ix->term_cap * 2;
	struct term *t = kc_calloc(cap, sizeof(*t));
	if (t == NULL)
		return KC_ENOMEM;
	for (size_t i = 0; i < ix->term_cap; i++) {
		if (ix->terms[i].s != NULL)
			t[term_slot(t, cap, ix->terms[i].s, ix->terms[i].len)] = ix->terms[i];
	}
	kc_free(ix->terms);
	ix->terms = t;
	ix->term_cap = cap;
	return 0;
}

/* The term s[0..n) (h = hash(s, n, 0)); when absent NULL, or with create a new empty term
 * (NULL when out of memory). */
static struct term *term_get(struct kc_index *ix, const char *s, size_t n, uint64_t h, int create)
{
	size_t i = term_slot_h(ix->terms, ix->term_cap, s, n, h);
	if (ix->terms[i].s != NULL || !create)
		return ix->terms[i].s ? &ix->terms[i] : NULL;
	if ((ix->nterms + 1) * 2 > ix->term_cap) {
		if (grow_terms(ix) != 0)
			return NULL;
		i = term_slot_h(ix->terms, ix->term_cap, s, n, h);
	}
	struct term *t = &ix->terms[i];
	t->s = kc_strndup(s, n);
	if (t->s == NULL)
		return NULL;
	t->pre = term_pre(s, n);
	t->len = (uint32_t)n;
	ix->nterms++;
	return t;
}

static uint32_t get_varint(const uint8_t **p, const uint8_t *end)
{
	uint32_t v = 0;
	int shift = 0;
	if (*p < end && !(**p & 0x80)) /* most tfs, masks and deltas of common terms: one byte */
		return *(*p)++;
	while (*p < end) {
		uint8_t b = *(*p)++;
		v |= (uint32_t)(b & 0x7F) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
		if (shift > 28)
			break;
	}
	return v;
}

/* ---- per-document term counting: an open-addressing table that is a worker's scratch, reused
 * from document to document (cleared through its list of used slots) */

/* Empties d for the next document (its arrays are kept). */
static void dtab_reset(struct dtab *d)
{
	for (size_t i = 0; i < d->n; i++)
		memset(&d->v[d->slot[i]], 0, sizeof(d->v[0]));
	d->n = 0;
	d->nocc = 0;
	d->pos = 0;
	kc_buf_reset(&d->pool);
}

/* Counts term s in field f; in a text field also records its occurrence at position pos. */
static int dtab_add(struct dtab *d, const char *s, size_t n, enum kc_field_id f, uint32_t pos)
{
	if ((d->n + 1) * 2 > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct dterm *v = kc_calloc(cap, sizeof(*v));
		uint32_t *sl = kc_malloc(cap * sizeof(*sl));
		if (v == NULL || sl == NULL) {
			kc_free(v);
			kc_free(sl);
			return KC_ENOMEM;
		}
		for (size_t i = 0; i < d->n; i++) {
			const struct dterm *e = &d->v[d->slot[i]];
			size_t j = (size_t)e->h & (cap - 1);
			while (v[j].used)
				j = (j + 1) & (cap - 1);
			v[j] = *e;
			sl[i] = (uint32_t)j;
		}
		kc_free(d->v);
		kc_free(d->slot);
		d->v = v;
		d->slot = sl;
		d->cap = cap;
	}
	uint64_t h = hash(s, n, 0);
	size_t j = (size_t)h & (d->cap - 1);
	while (d->v[j].used && !(d->v[j].h == h && d->v[j].len == n &&
				 memcmp(d->pool.ptr + d->v[j].off, s, n) == 0))
		j = (j + 1) & (d->cap - 1);
	struct dterm *e = &d->v[j];
	if (!e->used) {
		size_t off = d->pool.len;
		if (off + n >= UINT32_MAX || kc_buf_add(&d->pool, s, n) != 0)
			return KC_ENOMEM;
		e->used = 1;
		e->h = h;
		e->len = (uint32_t)n;
		e->id = (uint32_t)d->n;
		e->off = (uint32_t)off;
		d->slot[d->n++] = (uint32_t)j;
	}
	if (e->tf[f] < UINT16_MAX)
		e->tf[f]++;
	if (f > KC_FIELD_KEYWORDS)
		return 0;
	if (d->nocc == d->occ_cap) {
		size_t cap = d->occ_cap ? d->occ_cap * 2 : 256;
		struct docc *o = kc_realloc(d->occ, cap * sizeof(*o));
		if (o == NULL)
			return KC_ENOMEM;
		d->occ = o;
		d->occ_cap = cap;
	}
	d->occ[d->nocc++] = (struct docc){e->id, pos};
	return 0;
}

/* Groups the occurrences by term id into grp (a stable counting sort: positions stay
 * ascending). */
static int dtab_group(struct dtab *d)
{
	if (d->n + 1 > d->ostart_cap) {
		size_t cap = d->ostart_cap ? d->ostart_cap : 256;
		while (cap < d->n + 1)
			cap *= 2;
		uint32_t *s = kc_realloc(d->ostart, cap * sizeof(*s));
		if (s == NULL)
			return KC_ENOMEM;
		d->ostart = s;
		d->ostart_cap = cap;
	}
	if (d->nocc > d->grp_cap) {
		size_t cap = d->grp_cap ? d->grp_cap : 256;
		while (cap < d->nocc)
			cap *= 2;
		struct docc *o = kc_realloc(d->grp, cap * sizeof(*o));
		if (o == NULL)
			return KC_ENOMEM;
		d->grp = o;
		d->grp_cap = cap;
	}
	uint32_t *start = d->ostart;
	memset(start, 0, (d->n + 1) * sizeof(*start));
	for (size_t i = 0; i < d->nocc; i++)
		start[d->occ[i].id + 1]++;
	for (size_t i = 0; i < d->n; i++)
		start[i + 1] += start[i];
	for (size_t i = 0; i < d->nocc; i++) /* start[id] walks to the end of id's run */
		d->grp[start[d->occ[i].id]++] = d->occ[i];
	for (size_t i = d->n; i > 0; i--) /* back to the starts */
		start[i] = start[i - 1];
	start[0] = 0;
	return 0;
}

static void dtab_release(struct dtab *d)
{
	kc_free(d->v);
	kc_free(d->slot);
	kc_free(d->occ);
	kc_free(d->grp);
	kc_free(d->ostart);
	kc_buf_release(&d->pool);
	memset(d, 0, sizeof(*d));
}

/* Writes v as a varint at p; returns its length (at most 5). */
static size_t varint_at(uint8_t *p, uint32_t v)
{
	size_t k = 0;
	while (v >= 0x80) {
		p[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[k++] = (uint8_t)v;
	return k;
}

static size_t varint_len(uint32_t v)
{
	size_t k = 1;
	while (v >= 0x80) {
		v >>= 7;
		k++;
	}
	return k;
}

/* Appends the document's terms (grouped by dtab_group) to out as commit reads them, in order
 * of first appearance, per term:
 *   its hash (8 bytes, host order), the byte length of the rest of the record (4 bytes, host
 *   order: commit skips ahead to prefetch), the term's length (varint) and text;
 *   the posting as commit appends it after the document delta (the only part that depends on
 *   the index): the field mask, the tf of each field in the mask and, when the mask has a
 *   text field, the byte length of the positions (varints);
 *   then those positions (delta varints), for the positions stream.
 * So the serial commit copies bytes the workers encoded. */
static int dtab_emit(const struct dtab *d, struct kc_buf *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct dterm *e = &d->v[d->slot[i]];
		uint32_t o0 = d->ostart[i], o1 = d->ostart[i + 1];
		size_t need = 12 + 5 + e->len + 1 + 5 * KC_FIELD_COUNT + 5 + 5 * (size_t)(o1 - o0);
		if (need > UINT32_MAX || kc_buf_grow(out, need) != 0)
			return KC_ENOMEM;
		uint8_t *p0 = (uint8_t *)out->ptr + out->len, *p = p0;
		memcpy(p, &e->h, sizeof(e->h));
		p += sizeof(e->h) + sizeof(uint32_t); /* the length, below */
		p += varint_at(p, e->len);
		memcpy(p, d->pool.ptr + e->off, e->len);
		p += e->len;
		uint8_t mask = 0;
		for (int f = 0; f < KC_FIELD_COUNT; f++)
			if (e->tf[f])
				mask = (uint8_t)(mask | (1u << f));
		p += varint_at(p, mask);
		for (int f = 0; f < KC_FIELD_COUNT; f++)
			if (e->tf[f])
				p += varint_at(p, e->tf[f]);
		if (mask & KC_FIELD_TEXT_MASK) {
			uint32_t prev = 0;
			size_t plen = 0;
			for (uint32_t o = o0; o < o1; o++) {
				plen += varint_len(d->grp[o].pos - prev);
				prev = d->grp[o].pos;
			}
			p += varint_at(p, (uint32_t)plen);
			prev = 0;
			for (uint32_t o = o0; o < o1; o++) {
				p += varint_at(p, d->grp[o].pos - prev);
				prev = d->grp[o].pos;
			}
		}
		uint32_t rest = (uint32_t)(p - p0 - 12);
		memcpy(p0 + sizeof(e->h), &rest, sizeof(rest));
		out->len += (size_t)(p - p0);
		out->ptr[out->len] = 0;
	}
	return 0;
}

struct actx {
	const struct kc_text *text;
	struct kc_text_run *run;
};


static int add_text(const struct actx *ix, struct dtab *d, uint16_t *len, const char *s,
		    enum kc_field_id f, struct kc_err *err)
{
	const struct kc_term *terms;
	size_t n;
	int rc = kc_text_analyze(ix->text, ix->run, s, strlen(s), KC_TEXT_INDEX, &terms, &n, err);
	if (rc != 0)
		return rc;
	if (d->pos > 0)
		d->pos += POS_GAP;
	for (size_t i = 0; i < n; i++) {
		int sub = (terms[i].flags & KC_TERM_SUB) != 0;
		/* a word inside a longer one stands where that word stands */
		uint32_t pos = sub && d->pos > 0 ? d->pos - 1 : d->pos;
		if ((rc = dtab_add(d, terms[i].text, terms[i].len, f, pos)) != 0)
			return kc_err_set(err, rc, "out of memory");
		if (!sub) {
			d->pos++;
			if (len[f] < UINT16_MAX)
				len[f]++;
		}
	}
	return 0;
}

static int add_text_field(const struct actx *ix, struct dtab *d, uint16_t *len, const json_t *v,
			  enum kc_field_id f, struct kc_err *err)
{
	if (json_is_string(v))
		return add_text(ix, d, len, json_string_value(v), f, err);
	if (json_is_array(v)) {
		size_t i;
		const json_t *x;
		json_array_foreach(v, i, x) {
			int rc = json_is_string(x) ? add_text(ix, d, len, json_string_value(x), f, err)
						   : 0;
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

size_t kc_index_code_term(char *buf, size_t cap, const char *prefix, const char *s, size_t keep)
{
	size_t n = strlen(s);
	if (keep && n > keep)
		n = keep;
	int k = snprintf(buf, cap, "%s%.*s", prefix, (int)n, s);
	if (k <= 0 || (size_t)k >= cap)
		return 0;
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return (size_t)k;
}

/* Exact terms with a prefix: ipc:h01m, ind:3841, node:li-lfp. */
static int add_codes(struct dtab *d, uint16_t *len, const json_t *v, const char *prefix,
		     size_t keep, enum kc_field_id f)
{
	size_t i;
	const json_t *x;
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, x) {
		char term[128];
		size_t k = json_is_string(x) ? kc_index_code_term(term, sizeof(term), prefix,
								  json_string_value(x), keep)
					     : 0;
		if (k == 0)
			continue;
		if (dtab_add(d, term, k, f, 0) != 0)
			return KC_ENOMEM;
		if (len[f] < UINT16_MAX)
			len[f]++;
	}
	return 0;
}

/* ---- documents */

static size_t id_slot(const struct idkey *tab, size_t cap, uint8_t kind, const char *id)
{
	size_t i = (size_t)hash(id, strlen(id), kind) & (cap - 1);
	while (tab[i].id != NULL && !(tab[i].kind == kind && strcmp(tab[i].id, id) == 0))
		i = (i + 1) & (cap - 1);
	return i;
}

static int id_reserve(struct kc_index *ix);

static int id_set(struct kc_index *ix, uint8_t kind, char *id, uint32_t doc)
{
	if (id_reserve(ix) != 0)
		return KC_ENOMEM;
	size_t i = id_slot(ix->ids, ix->id_cap, kind, id);
	if (ix->ids[i].id == NULL)
		ix->nids++;
	ix->ids[i] = (struct idkey){id, kind, doc};
	return 0;
}

/* Makes room in the id table for one more id (then its slots stay put until the next id is
 * added). */
static int id_reserve(struct kc_index *ix)
{
	if ((ix->nids + 1) * 2 <= ix->id_cap)
		return 0;
	size_t cap = ix->id_cap * 2;
	struct idkey *t = kc_calloc(cap, sizeof(*t));
	if (t == NULL)
		return KC_ENOMEM;
	for (size_t i = 0; i < ix->id_cap; i++)
		if (ix->ids[i].id != NULL)
			t[id_slot(t, cap, ix->ids[i].kind, ix->ids[i].id)] = ix->ids[i];
	kc_free(ix->ids);
	ix->ids = t;
	ix->id_cap = cap;
	return 0;
}

long kc_index_find(const struct kc_index *ix, enum kc_doc_kind kind, const char *id)
{
	size_t i = id_slot(ix->ids, ix->id_cap, (uint8_t)kind, id);
	if (ix->ids[i].id == NULL || ix->docs[ix->ids[i].doc].deleted)
		return -1;
	return (long)ix->ids[i].doc;
}

/* Copies document no's lengths and flags into its packed record. */
static void set_hot(struct kc_index *ix, uint32_t no)
{
	const struct kc_doc *d = &ix->docs[no];
	struct kc_doc_hot *h = &ix->hot[no];
	memcpy(h->len, d->len, sizeof(h->len));
	h->kind = d->kind;
	h->vis = d->vis;
	h->deleted = d->deleted;
	h->closed = d->closed;
}

static void unlink_doc(struct kc_index *ix, uint32_t doc)
{
	struct kc_doc *d = &ix->docs[doc];
	if (d->deleted)
		return;
	d->deleted = 1;
	ix->hot[doc].deleted = 1;
	kc__facets_unlink(ix->facets, doc, d->kind);
	ix->live[d->kind]--;
	for (int f = 0; f < KC_FIELD_COUNT; f++) {
		ix->sumlen[d->kind][f] -= d->len[f];
		ix->nfield[d->kind][f] -= d->len[f] > 0;
	}
	/* df per kind counts live documents: walk the postings of the document's terms is not
	 * possible without a forward index, so deleted documents keep counting in df until the
	 * index is rebuilt (as Lucene does until a merge); ranking skips them. */
}

int kc_index_delete(struct kc_index *ix, enum kc_doc_kind kind, const char *id,
		    struct kc_err *err)
{
	long doc = kc_index_find(ix, kind, id);
	if (doc < 0)
		return kc_err_set(err, KC_ENOTFOUND, "'%s' is not indexed", id);
	unlink_doc(ix, (uint32_t)doc);
	return 0;
}

static char *dup_field(const json_t *rec, const char *name)
{
	const char *s = json_string_value(json_object_get(rec, name));
	return s ? kc_strdup(s) : NULL;
}

/* "2025-04-18" → 20250418; 0 when absent or malformed. */
static uint32_t parse_date(const char *s)
{
	uint32_t v = 0;
	if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return v;
}

int kc_index_filter(const struct kc_index *ix, const struct kc_filter *f, struct kc_docset **out,
		    struct kc_err *err)
{
	return kc__facets_filter(ix->facets, ix->docs, f, out, err);
}

/* Frees a prepared document's strings (commit took them when it succeeded). */
static void doc_release(struct kc_doc *doc)
{
	kc_free(doc->id);
	kc_free(doc->org_id);
	kc_free(doc->region);
	memset(doc, 0, sizeof(*doc));
}

/* Analyzes a record (touches nothing of the index: runs on any thread with its own run and
 * scratch table d): sets *doc (its strings owned by the caller, for commit) and appends the
 * document's terms to out (dtab_emit). On failure *doc is empty and out may hold part of the
 * document. */
static int prepare(const struct actx *a, struct dtab *d, enum kc_doc_kind kind, const json_t *rec,
		   const char *org_name, struct kc_doc *doc, struct kc_buf *out, struct kc_err *err)
{
	int rc;
	memset(doc, 0, sizeof(*doc));
	dtab_reset(d);
	const char *id = json_string_value(json_object_get(rec, "id"));
	if (id == NULL)
		return kc_err_set(err, KC_EINVAL, "record without an id");
	doc->kind = (uint8_t)kind;
	const char *vis = json_string_value(json_object_get(rec, "visibility"));
	doc->vis = vis && strcmp(vis, "confidential") == 0 ? KC_VIS_CONFIDENTIAL
		   : vis && strcmp(vis, "members") == 0	   ? KC_VIS_MEMBERS
							   : KC_VIS_PUBLIC;
	json_int_t trl = json_integer_value(json_object_get(rec, kind == KC_DOC_SUPPLY ? "trl"
											: "trl_min"));
	doc->trl = trl >= 1 && trl <= 9 ? (uint8_t)trl : 0;
	doc->stage = (uint8_t)kc_doc_stage_parse(json_string_value(json_object_get(rec, "stage")));
	const char *status = json_string_value(json_object_get(rec, "status"));
	doc->closed = status != NULL && strcmp(status, "closed") == 0;
	doc->date = parse_date(json_string_value(json_object_get(rec, "published")));
	if ((rc = add_text_field(a, d, doc->len, json_object_get(rec, "title"), KC_FIELD_TITLE,
				 err)) != 0 ||
	    (rc = add_text_field(a, d, doc->len, json_object_get(rec, "description"),
				 KC_FIELD_DESC, err)) != 0 ||
	    (rc = add_text_field(a, d, doc->len, json_object_get(rec, "keywords"),
				 KC_FIELD_KEYWORDS, err)) != 0)
		goto fail;
	/* A confidential demand's owner is hidden: its org's name is not indexed, or a query
	 * naming the org would find the demand and show the name among its matched terms. */
	if (org_name != NULL && doc->vis != KC_VIS_CONFIDENTIAL &&
	    (rc = add_text(a, d, doc->len, org_name, KC_FIELD_ORG, err)) != 0)
		goto fail;
	if (add_codes(d, doc->len, json_object_get(rec, "ipc"), "ipc:", 4, KC_FIELD_CODES) != 0 ||
	    add_codes(d, doc->len, json_object_get(rec, "industries"), "ind:", 0,
		      KC_FIELD_CODES) != 0 ||
	    add_codes(d, doc->len, json_object_get(rec, "nodes"), "node:", 0, KC_FIELD_NODES) != 0 ||
	    dtab_group(d) != 0 || dtab_emit(d, out) != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	doc->id = kc_strdup(id);
	doc->org_id = dup_field(rec, "org_id");
	doc->region = dup_field(rec, "region");
	if (doc->id == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	doc_release(doc);
	return rc;
}

/* Starts a skip block at byte offsets off (postings) and poff (positions) of term t. */
static int block_start(struct term *t, size_t off, size_t poff)
{
	if (t->nblk == t->blkcap) {
		uint32_t cap = t->blkcap ? t->blkcap * 2 : 1;
		struct kc_postings_block *v = kc_realloc(t->blk, cap * sizeof(*v));
		if (v == NULL)
			return KC_ENOMEM;
		t->blk = v;
		t->blkcap = cap;
	}
	t->blk[t->nblk++] = (struct kc_postings_block){.off = (uint32_t)off, .poff = (uint32_t)poff};
	return 0;
}

int kc__index_set_block(struct kc_index *ix, uint32_t n)
{
	if (n == 0 || ix->ndocs > 0)
		return KC_EINVAL;
	ix->block = n;
	return 0;
}

/* Makes room for need more bytes in the stream *buf (*n bytes used of *cap). */
static int reserve_bytes(uint8_t **buf, size_t n, size_t *cap, size_t need)
{
	if (n + need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < n + need)
		c *= 2;
	uint8_t *b = kc_realloc(*buf, c);
	if (b == NULL)
		return KC_ENOMEM;
	*buf = b;
	*cap = c;
	return 0;
}

/* A term record's hash and the length of its rest (dtab_emit). */
static uint64_t rec_hash(const uint8_t *rec)
{
	uint64_t h;
	memcpy(&h, rec, sizeof(h));
	return h;
}

static uint32_t rec_rest(const uint8_t *rec)
{
	uint32_t n;
	memcpy(&n, rec + 8, sizeof(n));
	return n;
}

/* Prefetches what appending the term of record rec will read (if its first slot holds it);
 * returns the next record. */
static const uint8_t *prefetch_term(const struct kc_index *ix, const uint8_t *rec)
{
	const struct term *t = &ix->terms[(size_t)rec_hash(rec) & (ix->term_cap - 1)];
	if (t->s != NULL) {
		__builtin_prefetch(t->s);
		if (t->buf != NULL) /* NULL + 0 is undefined (clang's UBSan says so) */
			__builtin_prefetch(t->buf + t->n);
		if (t->pbuf != NULL)
			__builtin_prefetch(t->pbuf + t->pn);
		if (t->nblk > 0)
			__builtin_prefetch(&t->blk[t->nblk - 1]);
	}
	return rec + 12 + rec_rest(rec);
}

/* Appends a prepared document: *pdoc and its terms' records [p, end) (dtab_emit). Takes the
 * document's strings (*pdoc is empty afterwards, either way). */
static int commit(struct kc_index *ix, enum kc_doc_kind kind, const json_t *rec,
		  struct kc_doc *pdoc, const uint8_t *p, const uint8_t *end, struct kc_err *err)
{
	struct kc_doc doc = *pdoc;
	int rc;
	if (ix->ndocs == UINT32_MAX) {
		rc = kc_err_set(err, KC_ENOMEM, "index full");
		goto fail;
	}
	if (ix->ndocs == ix->doc_cap) {
		size_t cap = ix->doc_cap ? ix->doc_cap * 2 : 1024;
		struct kc_doc *v = kc_realloc(ix->docs, cap * sizeof(*v));
		if (v == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto fail;
		}
		ix->docs = v;
		struct kc_doc_hot *h = kc_realloc(ix->hot, cap * sizeof(*h));
		if (h == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto fail;
		}
		ix->hot = h;
		ix->doc_cap = cap;
	}
	/* the id's slot, found once: the old version, if any, becomes a tombstone; the slot then
	 * names this document */
	if (id_reserve(ix) != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto fail;
	}
	size_t islot = id_slot(ix->ids, ix->id_cap, (uint8_t)kind, doc.id);
	if (ix->ids[islot].id != NULL && !ix->docs[ix->ids[islot].doc].deleted)
		unlink_doc(ix, ix->ids[islot].doc);
	uint32_t no = ix->ndocs;
	/* Appending is bound by memory latency (the term's slot, its text, the ends of its two
	 * streams, its last skip block: a cache miss each, on the one appending thread). So first
	 * prefetch every term's slot, then, PREFETCH_AHEAD terms ahead of the one appended, what
	 * that slot points to (the first slot probed is nearly always the term). */
	enum { PREFETCH_AHEAD = 4 };
	const uint8_t *q = p;
	for (; q < end; q += 12 + rec_rest(q))
		__builtin_prefetch(&ix->terms[(size_t)rec_hash(q) & (ix->term_cap - 1)]);
	q = p;
	for (int k = 0; k < PREFETCH_AHEAD && q < end; k++)
		q = prefetch_term(ix, q);
	while (p < end) {
		if (q < end)
			q = prefetch_term(ix, q);
		uint64_t h = rec_hash(p);
		p += 12;
		uint32_t len = get_varint(&p, end);
		const char *s = (const char *)p;
		p += len;
		const uint8_t *tail = p; /* mask, tfs, positions' length */
		uint16_t tf[KC_FIELD_COUNT] = {0};
		uint32_t mask = get_varint(&p, end), plen = 0;
		for (int f = 0; f < KC_FIELD_COUNT; f++)
			if (mask & (1u << f))
				tf[f] = (uint16_t)get_varint(&p, end);
		if (mask & KC_FIELD_TEXT_MASK)
			plen = get_varint(&p, end);
		size_t tail_len = (size_t)(p - tail);
		const uint8_t *pos = p;
		p += plen;
		struct term *t = term_get(ix, s, len, h, 1);
		if (t == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto fail_doc;
		}
		size_t before = t->n, pbefore = t->pn;
		rc = reserve_bytes(&t->buf, t->n, &t->cap, 5 + tail_len);
		rc = rc ? rc : reserve_bytes(&t->pbuf, t->pn, &t->pcap, plen);
		if (rc == 0 && (t->n + 5 + tail_len > UINT32_MAX || t->pn + plen > UINT32_MAX))
			rc = KC_ENOMEM; /* block offsets are 32-bit */
		if (rc == 0 && t->df % ix->block == 0)
			rc = block_start(t, before, pbefore);
		if (rc != 0) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto fail_doc;
		}
		t->n += varint_at(t->buf + t->n, no + 1 - t->last);
		memcpy(t->buf + t->n, tail, tail_len);
		t->n += tail_len;
		if (plen > 0)
			memcpy(t->pbuf + t->pn, pos, plen);
		t->pn += plen;
		ix->bytes += t->n - before + plen;
		struct kc_postings_block *bk = &t->blk[t->nblk - 1];
		bk->last = no;
		for (int f = 0; f < KC_FIELD_COUNT; f++) {
			if (tf[f] == 0)
				continue;
			if (tf[f] > t->maxtf[f])
				t->maxtf[f] = tf[f];
			if (t->minlen[f] == 0 || doc.len[f] < t->minlen[f])
				t->minlen[f] = doc.len[f];
			if (tf[f] > bk->maxtf[f])
				bk->maxtf[f] = tf[f];
			if (bk->minlen[f] == 0 || doc.len[f] < bk->minlen[f])
				bk->minlen[f] = doc.len[f];
		}
		t->last = no + 1;
		t->df++;
		t->df_kind[kind]++;
	}
	ix->docs[no] = doc;
	set_hot(ix, no);
	ix->ndocs++;
	memset(pdoc, 0, sizeof(*pdoc)); /* the index owns the strings now */
	if (ix->ids[islot].id == NULL)
		ix->nids++;
	ix->ids[islot] = (struct idkey){ix->docs[no].id, (uint8_t)kind, no};
	if (kc__facets_add(ix->facets, no, &ix->docs[no], rec) != 0) {
		/* the postings name a document that is now a tombstone */
		ix->docs[no].deleted = 1;
		ix->hot[no].deleted = 1;
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	ix->live[kind]++;
	for (int f = 0; f < KC_FIELD_COUNT; f++) {
		ix->sumlen[kind][f] += doc.len[f];
		ix->nfield[kind][f] += doc.len[f] > 0;
	}
	return 0;
fail_doc:
	/* postings written so far point at document no: keep it as a tombstone */
	doc.deleted = 1;
	ix->docs[no] = doc;
	set_hot(ix, no);
	ix->ndocs++;
	memset(pdoc, 0, sizeof(*pdoc));
	return rc;
fail:
	doc_release(pdoc);
	return rc;
}

int kc_index_put(struct kc_index *ix, enum kc_doc_kind kind, const json_t *rec,
		 const char *org_name, struct kc_err *err)
{
	struct kc_doc doc;
	struct kc_buf b;
	struct actx a = {ix->text, ix->run};
	kc_buf_init(&b, 0);
	int rc = prepare(&a, &ix->dt, kind, rec, org_name, &doc, &b, err);
	if (rc == 0)
		rc = commit(ix, kind, rec, &doc, (const uint8_t *)b.ptr,
			    (const uint8_t *)b.ptr + b.len, err);
	kc_buf_release(&b);
	return rc;
}

/* ---- many documents: analyzed on all cores, appended in order
 *
 * A pipeline: worker threads (one per core, each with its own analysis run and scratch table)
 * claim chunks of records and prepare them, each chunk's terms into one buffer (kept by the
 * index from call to call: no allocation per document); this thread appends the chunks in
 * order as they become ready, so appending (serial) overlaps the analysis of later chunks. */

#define PIPE_CHUNK 64

/* A chunk's first failure: the record at `at` could not be prepared. */
struct pipe_fail {
	int rc;
	size_t at;
	struct kc_err err;
};

struct pipe {
	const struct kc_text *text;
	enum kc_doc_kind kind;
	const json_t *const *recs;
	const char *const *names;
	struct kc_doc *docs;  /* [n]: prepared documents */
	size_t *end;          /* [n]: where record i's terms end in its chunk's buffer (they
				 start where the previous record's end, or at 0) */
	struct kc_buf *bufs;  /* [nchunks]: the chunks' terms (ix->cbufs) */
	struct pipe_fail *fail; /* [nchunks] */
	size_t n, nchunks;
	atomic_size_t next;  /* the next chunk to claim */
	atomic_int stop;     /* an append failed: prepare nothing more */
	unsigned char *ready; /* per chunk, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct pipe_worker {
	struct pipe *p;
	struct iworker *w;
};

static void *pipe_worker(void *arg)
{
	struct pipe_worker *pw = arg;
	struct pipe *p = pw->p;
	struct actx a = {p->text, pw->w->run};
	for (;;) {
		size_t c = atomic_fetch_add(&p->next, 1);
		if (c >= p->nchunks)
			break;
		size_t from = c * PIPE_CHUNK, to = from + PIPE_CHUNK < p->n ? from + PIPE_CHUNK : p->n;
		struct kc_buf *b = &p->bufs[c];
		kc_buf_reset(b);
		for (size_t i = from; i < to && !atomic_load(&p->stop); i++) {
			int rc = prepare(&a, &pw->w->dt, p->kind, p->recs[i],
					 p->names ? p->names[i] : NULL, &p->docs[i], b,
					 &p->fail[c].err);
			p->end[i] = b->len;
			if (rc != 0) {
				p->fail[c].rc = rc;
				p->fail[c].at = i;
				break;
			}
		}
		pthread_mutex_lock(&p->mu);
		p->ready[c] = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Makes ix->cbufs hold at least n buffers. */
static int reserve_cbufs(struct kc_index *ix, size_t n)
{
	if (n <= ix->ncbufs)
		return 0;
	struct kc_buf *v = kc_realloc(ix->cbufs, n * sizeof(*v));
	if (v == NULL)
		return KC_ENOMEM;
	for (size_t i = ix->ncbufs; i < n; i++)
		kc_buf_init(&v[i], 0);
	ix->cbufs = v;
	ix->ncbufs = n;
	return 0;
}

int kc_index_put_many(struct kc_index *ix, enum kc_doc_kind kind, const json_t *const *recs,
		      const char *const *org_names, size_t n, unsigned threads,
		      struct kc_err *err)
{
	enum { MAXT = sizeof(ix->wk) / sizeof(ix->wk[0]) };
	struct pipe p = {.text = ix->text, .kind = kind, .recs = recs, .names = org_names, .n = n};
	struct pipe_worker w[MAXT];
	pthread_t tid[MAXT];
	unsigned started = 0;
	int rc = 0;
	if (n == 0)
		return 0;
	if (threads == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c > 0 ? (unsigned)c : 1;
	}
	if (threads > MAXT)
		threads = MAXT;
	p.nchunks = (n + PIPE_CHUNK - 1) / PIPE_CHUNK;
	if (threads > p.nchunks)
		threads = (unsigned)p.nchunks;
	atomic_init(&p.next, 0);
	atomic_init(&p.stop, 0);
	p.docs = kc_calloc(n, sizeof(*p.docs));
	p.end = kc_calloc(n, sizeof(*p.end));
	p.fail = kc_calloc(p.nchunks, sizeof(*p.fail));
	p.ready = kc_calloc(p.nchunks, 1);
	if (p.docs == NULL || p.end == NULL || p.fail == NULL || p.ready == NULL ||
	    reserve_cbufs(ix, p.nchunks) != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	p.bufs = ix->cbufs;
	for (unsigned t = 0; t < threads; t++) {
		if (ix->wk[t].run == NULL && (ix->wk[t].run = kc_text_run_new()) == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (unsigned t = 0; t < threads; t++) {
		w[t] = (struct pipe_worker){&p, &ix->wk[t]};
		if (pthread_create(&tid[t], NULL, pipe_worker, &w[t]) == 0)
			started++;
		else
			break;
	}
	if (started == 0) /* no thread: prepare everything here */
		pipe_worker(&(struct pipe_worker){&p, &ix->wk[0]});
	for (size_t c = 0; c < p.nchunks && rc == 0; c++) {
		pthread_mutex_lock(&p.mu);
		while (!p.ready[c])
			pthread_cond_wait(&p.cv, &p.mu);
		pthread_mutex_unlock(&p.mu);
		size_t from = c * PIPE_CHUNK, to = from + PIPE_CHUNK < n ? from + PIPE_CHUNK : n;
		const uint8_t *b = (const uint8_t *)p.bufs[c].ptr;
		for (size_t i = from; i < to; i++) {
			if (p.fail[c].rc != 0 && p.fail[c].at == i) {
				if (err != NULL)
					*err = p.fail[c].err;
				rc = p.fail[c].rc;
				break;
			}
			size_t start = i > from ? p.end[i - 1] : 0;
			if ((rc = commit(ix, kind, recs[i], &p.docs[i], b + start, b + p.end[i],
					 err)) != 0)
				break;
		}
		if (rc != 0)
			atomic_store(&p.stop, 1);
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
out:
	for (size_t i = 0; p.docs != NULL && i < n; i++)
		doc_release(&p.docs[i]);
	kc_free(p.docs);
	kc_free(p.end);
	kc_free(p.fail);
	kc_free(p.ready);
	return rc;
}


/* ---- the chain graph's adjacency */

static json_t *node_entry(json_t *links, const char *node)
{
	json_t *n = json_object_get(links, node);
	if (n == NULL) {
		n = json_pack("{s:[], s:[], s:[]}", "up", "down", "terms");
		if (n == NULL || json_object_set_new(links, node, n) != 0)
			return NULL;
	}
	return n;
}

static int add_link(json_t *links, const char *node, const char *dir, const char *other)
{
	json_t *n = node_entry(links, node);
	if (n == NULL)
		return KC_ENOMEM;
	return json_array_append_new(json_object_get(n, dir), json_string(other)) ? KC_ENOMEM : 0;
}

/* Adds node to the nodes named by each of its terms. */
static int name_node(json_t *named, const char *node, const json_t *terms)
{
	size_t i;
	const json_t *t;
	json_array_foreach(terms, i, t) {
		json_t *v = json_object_get(named, json_string_value(t));
		if (v == NULL && (json_object_set_new(named, json_string_value(t), v = json_array()) ||
				  v == NULL))
			return KC_ENOMEM;
		if (json_array_append_new(v, json_string(node)) != 0)
			return KC_ENOMEM;
	}
	return 0;
}

/* The one-word names of a node record: its name and aliases analyzed, each that comes out as
 * a single word (a name of several words would need a phrase match: not expanded). */
int kc_index_add_node(struct kc_index *ix, const json_t *rec, struct kc_err *err)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *names = json_array(), *terms = json_array();
	int rc = 0;
	if (names == NULL || terms == NULL) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	if (id == NULL) {
		rc = kc_err_set(err, KC_EINVAL, "node without id");
		goto out;
	}
	const char *fields[] = {"name", "name_en", "aliases"};
	for (size_t f = 0; f < 3; f++) {
		const json_t *v = json_object_get(rec, fields[f]);
		if (json_is_string(v))
			json_array_append(names, (json_t *)v);
		else if (json_is_array(v))
			json_array_extend(names, (json_t *)v);
	}
	size_t i;
	const json_t *x;
	json_array_foreach(names, i, x) {
		const struct kc_term *tv;
		size_t n, whole = 0, at = 0;
		if (!json_is_string(x))
			continue;
		if ((rc = kc_text_analyze(ix->text, ix->run, json_string_value(x),
					  json_string_length(x), KC_TEXT_INDEX, &tv, &n, err)) != 0)
			goto out;
		for (size_t j = 0; j < n; j++)
			if (!(tv[j].flags & KC_TERM_SUB)) {
				whole++;
				at = j;
			}
		if (whole != 1)
			continue;
		int dup = 0;
		size_t k;
		const json_t *y;
		json_array_foreach(terms, k, y)
			dup |= strcmp(json_string_value(y), tv[at].text) == 0;
		if (!dup && json_array_append_new(terms, json_string(tv[at].text)) != 0) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
	}
	json_t *e = node_entry(ix->links, id);
	if (e == NULL || json_array_extend(json_object_get(e, "terms"), terms) != 0 ||
	    name_node(ix->named, id, terms) != 0)
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
out:
	json_decref(names);
	json_decref(terms);
	return rc;
}

const json_t *kc_index_named(const struct kc_index *ix, const char *term)
{
	return json_object_get(ix->named, term);
}

int kc_index_add_edge(struct kc_index *ix, const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return 0;
	if (add_link(ix->links, to, "up", from) != 0 || add_link(ix->links, from, "down", to) != 0)
		return KC_ENOMEM;
	return 0;
}

const json_t *kc_index_node_links(const struct kc_index *ix, const char *node)
{
	return json_object_get(ix->links, node);
}

/* ---- building from the store */

#define BUILD_BATCH 4096

struct build_ctx {
	struct kc_index *ix;
	enum kc_doc_kind kind;
	json_t *org_names; /* id → "name short_name" */
	struct kc_err *err;
	json_t *recs[BUILD_BATCH]; /* references held until the batch is indexed */
	const char *names[BUILD_BATCH];
	size_t n;
};

static int on_org(void *ud, const json_t *rec)
{
	struct build_ctx *c = ud;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	const char *sn = json_string_value(json_object_get(rec, "short_name"));
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s %s", name ? name : "", sn ? sn : "");
	if (id != NULL && json_object_set_new(c->org_names, id, json_string(buf)) != 0)
		return KC_ENOMEM;
	return 0;
}

static int on_node(void *ud, const json_t *rec)
{
	struct build_ctx *c = ud;
	return kc_index_add_node(c->ix, rec, c->err);
}

static int on_edge(void *ud, const json_t *rec)
{
	struct build_ctx *c = ud;
	const char *from = json_string_value(json_object_get(rec, "from"));
	const char *to = json_string_value(json_object_get(rec, "to"));
	if (from == NULL || to == NULL)
		return 0;
	return kc_index_add_edge(c->ix, from, to);
}

static int flush(struct build_ctx *c)
{
	int rc = kc_index_put_many(c->ix, c->kind, (const json_t *const *)c->recs, c->names, c->n,
				   0, c->err);
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->recs[i]);
	c->n = 0;
	return rc;
}

static int on_record(void *ud, const json_t *rec)
{
	struct build_ctx *c = ud;
	const char *org = json_string_value(json_object_get(rec, "org_id"));
	c->names[c->n] = org ? json_string_value(json_object_get(c->org_names, org)) : NULL;
	c->recs[c->n++] = json_incref((json_t *)rec);
	return c->n == BUILD_BATCH ? flush(c) : 0;
}

int kc_index_build(struct kc_index *ix, struct kc_store *st, struct kc_err *err)
{
	struct build_ctx *c = kc_calloc(1, sizeof(*c));
	int rc;
	if (c == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	*c = (struct build_ctx){.ix = ix, .kind = KC_DOC_SUPPLY, .org_names = json_object(),
				.err = err};
	if (c->org_names == NULL) {
		kc_free(c);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	rc = kc_store_each(st, kc_entity_def(KC_ENT_ORG), NULL, on_org, c, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_NODE), NULL, on_node, c, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_EDGE), NULL, on_edge, c, err);
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_SUPPLY), NULL, on_record, c, err);
	if (rc >= 0)
		rc = flush(c);
	c->kind = KC_DOC_DEMAND;
	if (rc >= 0)
		rc = kc_store_each(st, kc_entity_def(KC_ENT_DEMAND), NULL, on_record, c, err);
	if (rc >= 0)
		rc = flush(c);
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->recs[i]);
	json_decref(c->org_names);
	kc_free(c);
	return rc < 0 ? rc : 0;
}

/* ---- snapshots
 *
 * File: "KCIX" u32 format, i64 store version, u64 body length, u64 checksum (FNV-1a 64 of the
 * body), then the body: documents, totals, terms with their postings, chain links (JSON),
 * facets (portable CRoaring). Native byte order: a snapshot is a cache of this machine's
 * build, never exchanged. */

#define SNAP_MAGIC "KCIX"
/* 2: term positions; 3: chain nodes' one-word names; 4: skip blocks; 5: no org name on a
 * confidential demand (older snapshots are rebuilt) */
#define SNAP_FORMAT 5u

_Static_assert(sizeof(struct kc_postings_block) == 36, "skip blocks are written as they are");


int kc_index_save(const struct kc_index *ix, const char *path, int64_t store_version,
		  struct kc_err *err)
{
	struct kc_buf b = KC_BUF_INIT;
	char *links = NULL, tmp[4096];
	FILE *f = NULL;
	int rc = 0;
	uint64_t nterms = ix->nterms, bytes = ix->bytes, live[3];
	for (int k = 0; k < 3; k++)
		live[k] = ix->live[k];
	rc = kc_buf_add(&b, &ix->ndocs, sizeof(ix->ndocs));
	for (uint32_t d = 0; rc == 0 && d < ix->ndocs; d++) {
		const struct kc_doc *x = &ix->docs[d];
		uint8_t flags[6] = {x->kind, x->vis, x->deleted, x->trl, x->stage, x->closed};
		rc = kc_buf_add(&b, flags, sizeof(flags));
		rc = rc ? rc : kc_buf_add(&b, &x->date, sizeof(x->date));
		rc = rc ? rc : kc_buf_add(&b, x->len, sizeof(x->len));
		rc = rc ? rc : kc__put_str(&b, x->id);
		rc = rc ? rc : kc__put_str(&b, x->org_id);
		rc = rc ? rc : kc__put_str(&b, x->region);
	}
	rc = rc ? rc : kc_buf_add(&b, live, sizeof(live));
	rc = rc ? rc : kc_buf_add(&b, ix->sumlen, sizeof(ix->sumlen));
	rc = rc ? rc : kc_buf_add(&b, &bytes, sizeof(bytes));
	rc = rc ? rc : kc_buf_add(&b, &nterms, sizeof(nterms));
	rc = rc ? rc : kc_buf_add(&b, &ix->block, sizeof(ix->block));
	for (size_t i = 0; rc == 0 && i < ix->term_cap; i++) {
		const struct term *t = &ix->terms[i];
		if (t->s == NULL)
			continue;
		uint64_t n = t->n;
		rc = kc__put_str(&b, t->s);
		rc = rc ? rc : kc_buf_add(&b, &t->last, sizeof(t->last));
		rc = rc ? rc : kc_buf_add(&b, &t->df, sizeof(t->df));
		rc = rc ? rc : kc_buf_add(&b, t->df_kind, sizeof(t->df_kind));
		rc = rc ? rc : kc_buf_add(&b, t->maxtf, sizeof(t->maxtf));
		rc = rc ? rc : kc_buf_add(&b, t->minlen, sizeof(t->minlen));
		uint64_t pn = t->pn;
		rc = rc ? rc : kc_buf_add(&b, &n, sizeof(n));
		rc = rc ? rc : kc_buf_add(&b, t->buf, t->n);
		rc = rc ? rc : kc_buf_add(&b, &pn, sizeof(pn));
		rc = rc ? rc : kc_buf_add(&b, t->pbuf, t->pn);
		rc = rc ? rc : kc_buf_add(&b, &t->nblk, sizeof(t->nblk));
		rc = rc ? rc : kc_buf_add(&b, t->blk, t->nblk * sizeof(*t->blk));
	}
	links = json_dumps(ix->links, JSON_COMPACT);
	if (rc == 0 && links == NULL)
		rc = KC_ENOMEM;
	rc = rc ? rc : kc__put_str(&b, links);
	rc = rc ? rc : kc__facets_save(ix->facets, &b);
	if (rc != 0) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory writing the index snapshot");
		goto out;
	}
	uint32_t format = SNAP_FORMAT;
	uint64_t len = b.len, sum = kc_fnv1a(b.ptr, b.len, KC_FNV_OFFSET);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	if (f == NULL || fwrite(SNAP_MAGIC, 1, 4, f) != 4 ||
	    fwrite(&format, sizeof(format), 1, f) != 1 ||
	    fwrite(&store_version, sizeof(store_version), 1, f) != 1 ||
	    fwrite(&len, sizeof(len), 1, f) != 1 || fwrite(&sum, sizeof(sum), 1, f) != 1 ||
	    fwrite(b.ptr, 1, b.len, f) != b.len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = kc_err_set(err, KC_EIO, "%s: cannot write the index snapshot", tmp);
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = kc_err_set(err, KC_EIO, "%s: cannot write the index snapshot", tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		rc = kc_err_set(err, KC_EIO, "%s: cannot rename the snapshot into place", path);
out:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		unlink(tmp);
	free(links);
	kc_buf_release(&b);
	return rc;
}

/* Whether a loaded term's skip blocks fit its streams: one per block of postings, documents
 * and offsets ascending, inside the streams, the last block ending at the term's last
 * document (so a seek never jumps outside the buffers). */
static int blocks_valid(const struct term *t, uint32_t block)
{
	if (t->nblk != (t->df + block - 1) / block || (t->df > 0 && t->last == 0))
		return 0;
	for (uint32_t j = 0; j < t->nblk; j++) {
		const struct kc_postings_block *b = &t->blk[j];
		if (b->off >= t->n || b->poff > t->pn ||
		    (j == 0 && (b->off != 0 || b->poff != 0)) ||
		    (j > 0 && (b->last <= t->blk[j - 1].last || b->off <= t->blk[j - 1].off ||
			       b->poff < t->blk[j - 1].poff)))
			return 0;
	}
	return t->nblk == 0 || t->blk[t->nblk - 1].last == t->last - 1;
}

int kc_index_load(struct kc_index **out, const struct kc_text *t, const char *path,
		  int64_t want_version, struct kc_err *err)
{
	struct kc_index *ix = NULL;
	unsigned char *data = NULL;
	char *links = NULL;
	int rc = 0;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return kc_err_set(err, KC_ENOTFOUND, "%s: no index snapshot", path);
	char magic[4];
	uint32_t format = 0;
	int64_t version = 0;
	uint64_t len = 0, sum = 0;
	if (fread(magic, 1, 4, f) != 4 || memcmp(magic, SNAP_MAGIC, 4) != 0 ||
	    fread(&format, sizeof(format), 1, f) != 1 || format != SNAP_FORMAT ||
	    fread(&version, sizeof(version), 1, f) != 1 || fread(&len, sizeof(len), 1, f) != 1 ||
	    fread(&sum, sizeof(sum), 1, f) != 1 || len > ((uint64_t)1 << 40)) {
		fclose(f);
		return kc_err_set(err, KC_ECORRUPT, "%s: not an index snapshot of this kechan", path);
	}
	if (version != want_version) {
		fclose(f);
		return kc_err_set(err, KC_EDATA,
				  "%s: stale index snapshot (store version %lld, snapshot %lld)",
				  path, (long long)want_version, (long long)version);
	}
	data = kc_malloc(len ? len : 1);
	if (data == NULL) {
		fclose(f);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	size_t got = fread(data, 1, len, f);
	fclose(f);
	if (got != len || kc_fnv1a(data, len, KC_FNV_OFFSET) != sum) {
		rc = kc_err_set(err, KC_ECORRUPT, "%s: damaged index snapshot (%s)", path,
				got != len ? "truncated" : "checksum mismatch");
		goto out;
	}
	if ((rc = kc_index_new(&ix, t, err)) != 0)
		goto out;
	struct kc__rd r = {data, data + len, 0};
	uint32_t ndocs = 0;
	kc__get(&r, &ndocs, sizeof(ndocs));
	if (!r.bad && ndocs > 0) {
		ix->docs = kc_calloc(ndocs, sizeof(*ix->docs));
		ix->hot = kc_calloc(ndocs, sizeof(*ix->hot));
		if (ix->docs == NULL || ix->hot == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		ix->doc_cap = ndocs;
	}
	for (uint32_t d = 0; d < ndocs && !r.bad; d++) {
		struct kc_doc *x = &ix->docs[d];
		uint8_t flags[6];
		kc__get(&r, flags, sizeof(flags));
		x->kind = flags[0];
		x->vis = flags[1];
		x->deleted = flags[2];
		x->trl = flags[3];
		x->stage = flags[4];
		x->closed = flags[5];
		kc__get(&r, &x->date, sizeof(x->date));
		kc__get(&r, x->len, sizeof(x->len));
		x->id = kc__get_str(&r);
		x->org_id = kc__get_str(&r);
		x->region = kc__get_str(&r);
		set_hot(ix, d);
		ix->ndocs = d + 1;
		if (x->id == NULL || x->kind < 1 || x->kind > 2)
			r.bad = 1;
		else if (!x->deleted && id_set(ix, x->kind, x->id, d) != 0) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		for (int fi = 0; !r.bad && !x->deleted && fi < KC_FIELD_COUNT; fi++)
			ix->nfield[x->kind][fi] += x->len[fi] > 0;
	}
	uint64_t live[3] = {0}, bytes = 0, nterms = 0;
	kc__get(&r, live, sizeof(live));
	kc__get(&r, ix->sumlen, sizeof(ix->sumlen));
	kc__get(&r, &bytes, sizeof(bytes));
	kc__get(&r, &nterms, sizeof(nterms));
	kc__get(&r, &ix->block, sizeof(ix->block));
	if (ix->block == 0)
		r.bad = 1;
	for (int k = 0; k < 3; k++)
		ix->live[k] = (size_t)live[k];
	ix->bytes = (size_t)bytes;
	for (uint64_t i = 0; i < nterms && !r.bad; i++) {
		char *s = kc__get_str(&r);
		struct term *tm = s ? term_get(ix, s, strlen(s), hash(s, strlen(s), 0), 1) : NULL;
		kc_free(s);
		if (tm == NULL || tm->buf != NULL) { /* missing, or a term twice */
			r.bad = 1;
			break;
		}
		uint64_t n = 0;
		kc__get(&r, &tm->last, sizeof(tm->last));
		kc__get(&r, &tm->df, sizeof(tm->df));
		kc__get(&r, tm->df_kind, sizeof(tm->df_kind));
		kc__get(&r, tm->maxtf, sizeof(tm->maxtf));
		kc__get(&r, tm->minlen, sizeof(tm->minlen));
		kc__get(&r, &n, sizeof(n));
		const unsigned char *p = kc__get_bytes(&r, (size_t)n);
		if (p == NULL || tm->last > ix->ndocs)
			break;
		tm->buf = kc_malloc(n ? n : 1);
		if (tm->buf == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(tm->buf, p, n);
		tm->n = tm->cap = (size_t)n;
		uint64_t pn = 0;
		kc__get(&r, &pn, sizeof(pn));
		p = kc__get_bytes(&r, (size_t)pn);
		if (p == NULL)
			break;
		tm->pbuf = kc_malloc(pn ? pn : 1);
		if (tm->pbuf == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(tm->pbuf, p, pn);
		tm->pn = tm->pcap = (size_t)pn;
		uint32_t nblk = 0;
		kc__get(&r, &nblk, sizeof(nblk));
		p = kc__get_bytes(&r, (size_t)nblk * sizeof(*tm->blk));
		if (p == NULL)
			break;
		tm->blk = kc_malloc(nblk ? nblk * sizeof(*tm->blk) : 1);
		if (tm->blk == NULL) {
			rc = kc_err_set(err, KC_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(tm->blk, p, (size_t)nblk * sizeof(*tm->blk));
		tm->nblk = tm->blkcap = nblk;
		if (!blocks_valid(tm, ix->block))
			r.bad = 1;
	}
	links = kc__get_str(&r);
	if (!r.bad) {
		json_error_t je;
		json_t *l = links ? json_loads(links, 0, &je) : NULL;
		if (!json_is_object(l)) {
			json_decref(l);
			r.bad = 1;
		} else {
			json_decref(ix->links);
			ix->links = l;
			const char *node;
			json_t *e;
			json_object_foreach(l, node, e) {
				if (name_node(ix->named, node, json_object_get(e, "terms")) != 0) {
					rc = kc_err_set(err, KC_ENOMEM, "out of memory");
					goto out;
				}
			}
		}
	}
	if (!r.bad && (rc = kc__facets_load(ix->facets, &r)) == KC_ENOMEM) {
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
	if (r.bad || r.p != r.end)
		rc = kc_err_set(err, KC_ECORRUPT, "%s: damaged index snapshot (inconsistent content)",
				path);
out:
	kc_free(links);
	kc_free(data);
	if (rc != 0)
		kc_index_free(ix);
	else
		*out = ix;
	return rc;
}

/* ---- reading */

size_t kc_index_docs(const struct kc_index *ix, int kind)
{
	return kind ? ix->live[kind] : ix->live[1] + ix->live[2];
}

size_t kc_index_terms(const struct kc_index *ix)
{
	return ix->nterms;
}

size_t kc_index_bytes(const struct kc_index *ix)
{
	return ix->bytes;
}

const struct kc_doc *kc_index_doc(const struct kc_index *ix, uint32_t docno)
{
	return docno < ix->ndocs ? &ix->docs[docno] : NULL;
}

uint32_t kc_index_block_size(const struct kc_index *ix)
{
	return ix->block;
}

const struct kc_doc_hot *kc_index_hot(const struct kc_index *ix)
{
	return ix->hot;
}

uint32_t kc_index_capacity(const struct kc_index *ix)
{
	return ix->ndocs;
}

double kc_index_avglen(const struct kc_index *ix, int kind, enum kc_field_id f)
{
	size_t n = ix->nfield[kind][f];
	return n ? ix->sumlen[kind][f] / (double)n : 0;
}

void kc_index_postings(const struct kc_index *ix, const char *term, size_t len,
		       struct kc_postings *pc)
{
	memset(pc, 0, sizeof(*pc));
	size_t i = term_slot(ix->terms, ix->term_cap, term, len);
	const struct term *t = &ix->terms[i];
	if (t->s == NULL)
		return;
	/* a term without positions (codes, chain nodes) has no pbuf: an empty stream that is not
	 * NULL, so that stepping over it (+ 0) is defined */
	static const uint8_t no_positions[1];
	const uint8_t *pbuf = t->pbuf != NULL ? t->pbuf : no_positions;
	pc->p = t->buf;
	pc->end = t->buf + t->n;
	pc->pp = pbuf;
	pc->pend = pbuf + t->pn;
	pc->df = t->df;
	memcpy(pc->df_kind, t->df_kind, sizeof(pc->df_kind));
	memcpy(pc->maxtf, t->maxtf, sizeof(pc->maxtf));
	memcpy(pc->minlen, t->minlen, sizeof(pc->minlen));
	pc->doc = UINT32_MAX; /* before the first: the first delta is doc + 1 */
	pc->blk = t->blk;
	pc->nblk = t->nblk;
	pc->base = t->buf;
	pc->pbase = pbuf;
	pc->bnext = t->nblk > 1 ? t->buf + t->blk[1].off : pc->end;
}

/* The start of the next posting: steps into the next block when the stream does, reads the
 * document delta. 0 at the end. */
static int posting_head(struct kc_postings *pc)
{
	if (pc->p == NULL || pc->p >= pc->end) {
		pc->done = 1;
		return 0;
	}
	if (pc->p >= pc->bnext) { /* into the next block */
		pc->bi++;
		pc->bnext = pc->bi + 1 < pc->nblk ? pc->base + pc->blk[pc->bi + 1].off : pc->end;
	}
	uint32_t delta = get_varint(&pc->p, pc->end);
	pc->doc = pc->doc + delta; /* UINT32_MAX + (doc + 1) wraps to doc */
	return 1;
}

/* The rest of a posting: its field mask, a tf per field it has, the byte length of its
 * positions. */
static void posting_body(struct kc_postings *pc)
{
	uint32_t mask = get_varint(&pc->p, pc->end);
	memset(pc->tf, 0, sizeof(pc->tf));
	pc->fields = (uint8_t)(mask & ((1u << KC_FIELD_COUNT) - 1));
	for (uint32_t m = pc->fields; m; m &= m - 1)
		pc->tf[__builtin_ctz(m)] = (uint16_t)get_varint(&pc->p, pc->end);
	pc->pos = pc->pos_end = pc->pp;
	if (mask & KC_FIELD_TEXT_MASK) {
		uint32_t nb = get_varint(&pc->p, pc->end);
		size_t left = (size_t)(pc->pend - pc->pp);
		pc->pp += nb < left ? nb : left; /* a damaged snapshot reads short, never past */
		pc->pos_end = pc->pp;
	}
}

/* Steps over the rest of a posting a seek passes by: its tfs are not kept. */
static void posting_skip(struct kc_postings *pc)
{
	uint32_t mask = get_varint(&pc->p, pc->end);
	for (uint32_t m = mask & ((1u << KC_FIELD_COUNT) - 1); m; m &= m - 1)
		while (pc->p < pc->end && (*pc->p++ & 0x80)) /* a varint ends at a byte < 0x80 */
			;
	if (mask & KC_FIELD_TEXT_MASK) {
		uint32_t nb = get_varint(&pc->p, pc->end);
		size_t left = (size_t)(pc->pend - pc->pp);
		pc->pp += nb < left ? nb : left;
	}
}

int kc_postings_next(struct kc_postings *pc)
{
	if (!posting_head(pc))
		return 0;
	posting_body(pc);
	return 1;
}

size_t kc_positions_decode(const uint8_t *p, const uint8_t *end, uint32_t *out, size_t cap)
{
	uint32_t at = 0;
	size_t n = 0;
	while (p != NULL && p < end && n < cap) {
		at += get_varint(&p, end);
		out[n++] = at;
	}
	return n;
}

uint32_t kc_postings_block_find(const struct kc_postings *pc, uint32_t from, uint32_t target)
{
	uint32_t lo = from, step = 1, hi;
	if (lo >= pc->nblk || pc->blk[lo].last >= target)
		return lo;
	/* gallop: blk[lo].last < target; find hi with blk[hi].last >= target */
	for (;;) {
		hi = lo + step;
		if (hi >= pc->nblk) {
			hi = pc->nblk;
			break;
		}
		if (pc->blk[hi].last >= target)
			break;
		lo = hi;
		step *= 2;
	}
	/* binary: blk[lo].last < target, blk[hi].last >= target (or hi == nblk) */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (pc->blk[mid].last >= target)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int kc_postings_seek(struct kc_postings *pc, uint32_t target)
{
	if (pc->done || pc->p == NULL)
		return 0;
	if (pc->doc != UINT32_MAX && pc->doc >= target)
		return 1;
	if (pc->nblk > 0 && pc->blk[pc->bi].last < target) {
		/* the target is past this block: jump to the start of the block that holds it */
		uint32_t j = kc_postings_block_find(pc, pc->bi, target);
		if (j >= pc->nblk) {
			pc->p = pc->end;
			pc->done = 1;
			return 0;
		}
		/* j > bi >= 0: its first delta counts from the previous block's last document */
		pc->bi = j;
		pc->doc = pc->blk[j - 1].last;
		pc->p = pc->base + pc->blk[j].off;
		pc->pp = pc->pbase + pc->blk[j].poff;
		pc->bnext = j + 1 < pc->nblk ? pc->base + pc->blk[j + 1].off : pc->end;
	}
	/* the postings before the target are stepped over, not decoded */
	while (posting_head(pc)) {
		if (pc->doc >= target) {
			posting_body(pc);
			return 1;
		}
		posting_skip(pc);
	}
	return 0;
}
