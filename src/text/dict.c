/* The segmentation dictionary: a trie over code points kept as a hash of edges. */
#include <math.h>
#include <string.h>

#include "text_int.h"
#include "banned.h"

static size_t pow2_at_least(size_t n)
{
	size_t c = 1024;
	while (c < n)
		c <<= 1;
	return c;
}

int kc__dict_init(struct kc_dict *d, size_t words_hint)
{
	memset(d, 0, sizeof(*d));
	d->root = kc_calloc(65536, sizeof(uint32_t));
	d->root_logp = kc_calloc(65536, sizeof(float));
	d->edge_cap = pow2_at_least(words_hint * 4);
	d->edges = kc_calloc(d->edge_cap, sizeof(*d->edges));
	d->filter_bits = 1u << 23; /* 1 MB: a few % false positives for jieba's 600,000 edges */
	d->filter = kc_calloc(d->filter_bits / 64, sizeof(uint64_t));
	d->node_cap = words_hint * 2 + 1024;
	d->freq = kc_calloc(d->node_cap, sizeof(uint32_t));
	d->logp = kc_calloc(d->node_cap, sizeof(float));
	d->node_count = 1;
	if (d->root == NULL || d->root_logp == NULL || d->edges == NULL || d->freq == NULL ||
	    d->logp == NULL || d->filter == NULL) {
		kc__dict_release(d);
		return KC_ENOMEM;
	}
	return 0;
}

void kc__dict_release(struct kc_dict *d)
{
	kc_free(d->root);
	kc_free(d->root_logp);
	kc_free(d->edges);
	kc_free(d->filter);
	kc_free(d->freq);
	kc_free(d->logp);
	memset(d, 0, sizeof(*d));
}

int kc__dict_copy(struct kc_dict *dst, const struct kc_dict *src)
{
	*dst = *src;
	dst->root = kc_malloc(65536 * sizeof(uint32_t));
	dst->root_logp = kc_malloc(65536 * sizeof(float));
	dst->edges = kc_malloc(src->edge_cap * sizeof(*src->edges));
	dst->filter = kc_malloc(src->filter_bits / 8);
	dst->freq = kc_malloc(src->node_cap * sizeof(uint32_t));
	dst->logp = kc_malloc(src->node_cap * sizeof(float));
	if (dst->root == NULL || dst->root_logp == NULL || dst->edges == NULL || dst->freq == NULL ||
	    dst->logp == NULL || dst->filter == NULL) {
		kc__dict_release(dst);
		return KC_ENOMEM;
	}
	memcpy(dst->root, src->root, 65536 * sizeof(uint32_t));
	memcpy(dst->root_logp, src->root_logp, 65536 * sizeof(float));
	memcpy(dst->edges, src->edges, src->edge_cap * sizeof(*src->edges));
	memcpy(dst->filter, src->filter, src->filter_bits / 8);
	memcpy(dst->freq, src->freq, src->node_cap * sizeof(uint32_t));
	memcpy(dst->logp, src->logp, src->node_cap * sizeof(float));
	return 0;
}

static size_t edge_slot(const struct kc_dict *d, uint32_t node, uint32_t cp)
{
	size_t mask = d->edge_cap - 1;
	size_t i = kc__dict_slot(d, node, cp);
	while (d->edges[i].child != 0 && !(d->edges[i].parent == node && d->edges[i].cp == cp))
		i = (i + 1) & mask;
	return i;
}

static int grow_edges(struct kc_dict *d)
{
	struct kc_dict old = *d;
	d->edge_cap = old.edge_cap * 2;
	d->edges = kc_calloc(d->edge_cap, sizeof(*d->edges));
	if (d->edges == NULL) {
		d->edges = old.edges;
		d->edge_cap = old.edge_cap;
		return KC_ENOMEM;
	}
	for (size_t i = 0; i < old.edge_cap; i++) {
		if (old.edges[i].child != 0)
			d->edges[edge_slot(d, old.edges[i].parent, old.edges[i].cp)] = old.edges[i];
	}
	kc_free(old.edges);
	return 0;
}

static int grow_nodes(struct kc_dict *d)
{
	size_t cap = d->node_cap * 2;
	uint32_t *f = kc_realloc(d->freq, cap * sizeof(uint32_t));
	if (f == NULL)
		return KC_ENOMEM;
	d->freq = f;
	float *l = kc_realloc(d->logp, cap * sizeof(float));
	if (l == NULL)
		return KC_ENOMEM;
	d->logp = l;
	memset(d->freq + d->node_cap, 0, (cap - d->node_cap) * sizeof(uint32_t));
	memset(d->logp + d->node_cap, 0, (cap - d->node_cap) * sizeof(float));
	d->node_cap = cap;
	return 0;
}

int kc__dict_add(struct kc_dict *d, const uint32_t *cps, size_t n, uint32_t freq, int keep_max)
{
	uint32_t node = 0;
	if (n == 0 || freq == 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t child = kc__dict_child(d, node, cps[k]);
		if (child == 0) {
			if (d->node_count >= d->node_cap && grow_nodes(d) != 0)
				return KC_ENOMEM;
			if ((d->edge_count + 1) * 2 > d->edge_cap && grow_edges(d) != 0)
				return KC_ENOMEM;
			if (d->node_count >= UINT32_MAX)
				return KC_ENOMEM;
			child = (uint32_t)d->node_count++;
			if (node == 0 && cps[k] < 65536) {
				d->root[cps[k]] = child;
			} else {
				size_t i = edge_slot(d, node, cps[k]);
				d->edges[i].parent = node;
				d->edges[i].cp = cps[k];
				d->edges[i].child = child;
				d->edge_count++;
				size_t b = (size_t)(kc__dict_hash(node, cps[k]) >> 32) &
					   (d->filter_bits - 1);
				d->filter[b >> 6] |= 1ull << (b & 63);
			}
		}
		node = child;
	}
	uint32_t old = d->freq[node];
	if (old == 0)
		d->words++;
	if (old != 0 && keep_max && old >= freq)
		return 0;
	d->total += (double)freq - (double)old;
	d->freq[node] = freq;
	return 0;
}

void kc__dict_finish(struct kc_dict *d)
{
	d->logtotal = log(d->total > 1 ? d->total : 1);
	for (size_t i = 1; i < d->node_count; i++) {
		if (d->freq[i] > 0)
			d->logp[i] = (float)(log((double)d->freq[i]) - d->logtotal);
	}
	for (size_t i = 0; i < d->edge_cap; i++) {
		struct kc_dict_edge *e = &d->edges[i];
		if (e->child != 0)
			e->logp = d->freq[e->child] ? d->logp[e->child] : KC_DICT_NOWORD;
	}
	for (size_t cp = 0; cp < 65536; cp++) {
		uint32_t c = d->root[cp];
		d->root_logp[cp] = c && d->freq[c] ? d->logp[c] : KC_DICT_NOWORD;
	}
}

uint32_t kc__dict_freq(const struct kc_dict *d, const uint32_t *cps, size_t n)
{
	uint32_t node = 0;
	for (size_t k = 0; k < n; k++) {
		node = kc__dict_child(d, node, cps[k]);
		if (node == 0)
			return 0;
	}
	return n ? d->freq[node] : 0;
}
