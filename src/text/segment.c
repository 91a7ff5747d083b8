/* Atoms and segmentation. Atoms are the units a word is made of: one Chinese character, one
 * Latin word or model number (lifepo4, ncm811), one number with its Latin unit (300wh/kg,
 * 2.5μm), a run of white space, a run of one punctuation character. Words are chosen over the
 * atoms by the maximum-probability path through the dictionary's word DAG (as jieba does);
 * runs of single characters the dictionary does not join go through the HMM. */
#include <math.h>
#include <string.h>
#include <utf8proc.h>

#include "text_int.h"
#include "banned.h"

/* log-probability bonus of "number + unit character" (1998年, 12月) over the two apart */
#define NUM_UNIT_BONUS 3.0
#define MIN_LOGP (-3.14e100)

static int is_han(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F) || c == 0x3007 ||
	       c == 0x25CB;
}

static int is_cnum(uint32_t c)
{
	switch (c) {
	case 0x96F6: /* 零 */
	case 0x4E00: /* 一 */
	case 0x4E8C: /* 二 */
	case 0x4E09: /* 三 */
	case 0x56DB: /* 四 */
	case 0x4E94: /* 五 */
	case 0x516D: /* 六 */
	case 0x4E03: /* 七 */
	case 0x516B: /* 八 */
	case 0x4E5D: /* 九 */
	case 0x5341: /* 十 */
	case 0x767E: /* 百 */
	case 0x5343: /* 千 */
	case 0x4E07: /* 万 */
	case 0x4EBF: /* 亿 */
	case 0x3007: /* 〇 */
	case 0x25CB: /* ○ */
		return 1;
	default:
		return 0;
	}
}

/* unit characters joined to a preceding number: 年 月 日 号 时 点 分 秒 万 亿 */
static int is_num_unit(uint32_t c)
{
	switch (c) {
	case 0x5E74: case 0x6708: case 0x65E5: case 0x53F7: case 0x65F6:
	case 0x70B9: case 0x5206: case 0x79D2: case 0x4E07: case 0x4EBF:
		return 1;
	default:
		return 0;
	}
}

static int is_space(uint32_t c)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
		return 1;
	if (c < 0x80)
		return 0;
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP;
}

static int is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int is_letter(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (is_han(c))
		return 0;
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
	return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
	       cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
	       cat == UTF8PROC_CATEGORY_LO || cat == UTF8PROC_CATEGORY_MN ||
	       cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ND;
}

static int is_alnum(uint32_t c)
{
	return is_digit(c) || is_letter(c);
}

static int reserve_atoms(struct kc_text_run *r, size_t n)
{
	if (n <= r->atom_cap)
		return 0;
	size_t cap = r->atom_cap ? r->atom_cap : 256;
	while (cap < n)
		cap *= 2;
	struct kc_atom *a = kc_realloc(r->atoms, cap * sizeof(*a));
	if (a == NULL)
		return KC_ENOMEM;
	r->atoms = a;
	r->atom_cap = cap;
	return 0;
}

/* End of a Latin word starting at i: letters and digits, joined by single '-' between them. */
static size_t latin_end(const uint32_t *c, size_t i, size_t n)
{
	while (i < n) {
		if (is_alnum(c[i]))
			i++;
		else if (c[i] == '-' && i + 1 < n && is_alnum(c[i + 1]) && i > 0 && is_alnum(c[i - 1]))
			i++;
		else
			break;
	}
	return i;
}

/* End of a number starting at i (a digit): 12, 2.5, 1,000, 95%, then a Latin unit:
 * 300wh/kg, 2.5μm, 10gwh, 2.65g/cm3, 25°c. */
static size_t number_end(const uint32_t *c, size_t i, size_t n)
{
	while (i < n && is_digit(c[i]))
		i++;
	for (;;) {
		if (i + 1 < n && c[i] == '.' && is_digit(c[i + 1])) {
			i++;
			while (i < n && is_digit(c[i]))
				i++;
		} else if (i + 3 < n && c[i] == ',' && is_digit(c[i + 1]) && is_digit(c[i + 2]) &&
			   is_digit(c[i + 3]) && (i + 4 >= n || !is_digit(c[i + 4]))) {
			i += 4;
		} else {
			break;
		}
	}
	if (i < n && (c[i] == '%' || c[i] == 0x2030)) /* % ‰ */
		return i + 1;
	if (i < n && c[i] == 0xB0 && i + 1 < n && is_letter(c[i + 1]) && c[i + 1] < 0x80)
		i++; /* °c */
	if (i < n && is_letter(c[i]) && c[i] < 0x3000) {
		i = latin_end(c, i, n);
		while (i + 1 < n && c[i] == '/' && is_letter(c[i + 1]) && c[i + 1] < 0x3000)
			i = latin_end(c, i + 1, n);
	}
	return i;
}

long kc__atomize(struct kc_text_run *r, size_t ncp)
{
	const uint32_t *c = r->cp;
	size_t na = 0, i = 0;
	if (reserve_atoms(r, ncp + 1) != 0)
		return KC_ENOMEM;
	while (i < ncp) {
		struct kc_atom *a = &r->atoms[na++];
		size_t j = i + 1;
		uint32_t ch = c[i];
		if (is_han(ch)) {
			a->kind = is_cnum(ch) ? KC_ATOM_CNUM : KC_ATOM_HAN;
		} else if (is_digit(ch)) {
			a->kind = KC_ATOM_NUMBER;
			j = number_end(c, i, ncp);
		} else if (is_letter(ch)) {
			a->kind = KC_ATOM_LATIN;
			j = latin_end(c, i, ncp);
		} else if (is_space(ch)) {
			a->kind = KC_ATOM_SPACE;
			while (j < ncp && is_space(c[j]))
				j++;
		} else {
			a->kind = KC_ATOM_PUNCT;
			while (j < ncp && c[j] == ch)
				j++;
		}
		/* one original character may have become several code points (NFKC): keep them in
		 * one atom so atom offsets stay on character boundaries */
		while (j < ncp && r->o0[j] == r->o0[j - 1])
			j++;
		a->c0 = (uint32_t)i;
		a->c1 = (uint32_t)j;
		a->o0 = r->o0[i];
		a->o1 = r->o1[j - 1];
		i = j;
	}
	return (long)na;
}

static int reserve_seg(struct kc_text_run *r, size_t n)
{
	if (n <= r->seg_cap)
		return 0;
	size_t cap = r->seg_cap ? r->seg_cap : 256;
	while (cap < n)
		cap *= 2;
	double *d = kc_realloc(r->route, cap * sizeof(double));
	if (d == NULL)
		return KC_ENOMEM;
	r->route = d;
	uint32_t *u = kc_realloc(r->next, cap * sizeof(uint32_t));
	if (u == NULL)
		return KC_ENOMEM;
	r->next = u;
	uint8_t *s = kc_realloc(r->state, cap * 4);
	if (s == NULL)
		return KC_ENOMEM;
	r->state = s;
	d = kc_realloc(r->vit, cap * 4 * sizeof(double));
	if (d == NULL)
		return KC_ENOMEM;
	r->vit = d;
	struct kc_tok *t = kc_realloc(r->toks, cap * sizeof(*t));
	if (t == NULL)
		return KC_ENOMEM;
	r->toks = t;
	r->seg_cap = cap;
	r->tok_cap = cap;
	return 0;
}

static int is_wordish(uint8_t kind)
{
	return kind == KC_ATOM_HAN || kind == KC_ATOM_CNUM || kind == KC_ATOM_LATIN ||
	       kind == KC_ATOM_NUMBER;
}

static int is_hanish(uint8_t kind)
{
	return kind == KC_ATOM_HAN || kind == KC_ATOM_CNUM;
}

static void push_tok(struct kc_text_run *r, uint32_t a0, uint32_t a1, uint8_t kind)
{
	struct kc_tok *t = &r->toks[r->ntok++];
	t->a0 = a0;
	t->a1 = a1;
	t->kind = kind;
}

static uint8_t tok_kind(const struct kc_atom *atoms, uint32_t a0, uint32_t a1)
{
	int han = 0, num = 0, cnum = 1;
	for (uint32_t k = a0; k < a1; k++) {
		han |= atoms[k].kind == KC_ATOM_HAN;
		num |= atoms[k].kind == KC_ATOM_NUMBER;
		cnum &= atoms[k].kind == KC_ATOM_CNUM;
	}
	if (atoms[a0].kind == KC_ATOM_NUMBER || (cnum && a1 - a0 > 1))
		return KC_TERM_NUMBER;
	if (han || atoms[a0].kind == KC_ATOM_CNUM)
		return KC_TERM_HAN;
	(void)num;
	return atoms[a0].kind == KC_ATOM_NUMBER ? KC_TERM_NUMBER : KC_TERM_LATIN;
}

/* The HMM over single characters atoms [b0, b1) (each one code point). */
static void hmm_cut(const struct kc_text *t, struct kc_text_run *r, uint32_t b0, uint32_t b1)
{
	const struct kc_hmm *h = &t->models->hmm;
	size_t n = b1 - b0;
	double *v = r->vit;
	uint8_t *bp = r->state;
	/* allowed previous states: B ← E,S; M ← M,B; E ← B,M; S ← S,E (B=0 M=1 E=2 S=3) */
	static const int prev[4][2] = {{2, 3}, {1, 0}, {0, 1}, {3, 2}};
	for (size_t k = 0; k < n; k++) {
		uint32_t cp = r->cp[r->atoms[b0 + k].c0];
		const float *em = h->emit[cp < 65536 ? h->row[cp] : 0];
		for (int s = 0; s < 4; s++) {
			double e = em[s];
			if (k == 0) {
				v[s] = h->start[s] + e;
				bp[s] = 0;
				continue;
			}
			int p0 = prev[s][0], p1 = prev[s][1];
			double x0 = v[(k - 1) * 4 + (size_t)p0] + h->trans[p0][s] + e;
			double x1 = v[(k - 1) * 4 + (size_t)p1] + h->trans[p1][s] + e;
			/* jieba's max over (prob, state) tuples: ties go to the larger state letter */
			int pick = x0 > x1 ? p0 : x1 > x0 ? p1 : (p0 > p1 ? p0 : p1);
			v[k * 4 + (size_t)s] = pick == p0 ? x0 : x1;
			bp[k * 4 + (size_t)s] = (uint8_t)pick;
		}
	}
	/* the last state is E or S */
	int s = v[(n - 1) * 4 + 2] >= v[(n - 1) * 4 + 3] ? 2 : 3;
	if (v[(n - 1) * 4 + 2] == v[(n - 1) * 4 + 3])
		s = 3; /* ('S' > 'E') */
	/* backtrack into bp's first column, reused as the path */
	for (size_t k = n; k-- > 0;) {
		uint8_t p = bp[k * 4 + (size_t)s];
		r->next[b0 + k] = (uint32_t)s; /* the state of atom b0+k */
		s = p;
	}
	uint32_t start = b0;
	for (size_t k = 0; k < n; k++) {
		uint32_t st = r->next[b0 + k];
		uint32_t a = b0 + (uint32_t)k;
		if (st == 0) { /* B */
			start = a;
		} else if (st == 2) { /* E */
			push_tok(r, start, a + 1, tok_kind(r->atoms, start, a + 1));
			start = a + 1;
		} else if (st == 3) { /* S */
			push_tok(r, a, a + 1, tok_kind(r->atoms, a, a + 1));
			start = a + 1;
		}
	}
	if (start < b1) /* a B/M run cut off at the end: jieba yields it as one word */
		push_tok(r, start, b1, tok_kind(r->atoms, start, b1));
}

/* Is atoms [b0, b1) (single-character atoms) one dictionary word? */
static int buf_is_word(const struct kc_text *t, const struct kc_text_run *r, uint32_t b0,
		       uint32_t b1)
{
	uint32_t node = 0;
	for (uint32_t k = b0; k < b1; k++) {
		node = kc__dict_child(&t->dict, node, r->cp[r->atoms[k].c0]);
		if (node == 0)
			return 0;
	}
	return t->dict.freq[node] > 0;
}

static void flush_buf(const struct kc_text *t, struct kc_text_run *r, uint32_t b0, uint32_t b1)
{
	if (b1 == b0)
		return;
	if (b1 - b0 == 1 || !t->models->has_hmm || buf_is_word(t, r, b0, b1)) {
		for (uint32_t k = b0; k < b1; k++)
			push_tok(r, k, k + 1, tok_kind(r->atoms, k, k + 1));
		return;
	}
	hmm_cut(t, r, b0, b1);
	/* hmm_cut used r->next for states: callers must not rely on it afterwards */
}

/* Log probability of an atom on its own. */
static double atom_logp(const struct kc_text *t, const struct kc_text_run *r,
			const struct kc_atom *a)
{
	uint32_t node = 0;
	float lp = KC_DICT_NOWORD;
	for (uint32_t k = a->c0; k < a->c1; k++) {
		node = kc__dict_step(&t->dict, node, r->cp[k], &lp);
		if (node == 0)
			break;
	}
	if (node != 0 && lp != KC_DICT_NOWORD)
		return lp;
	return -t->dict.logtotal; /* frequency 1, as jieba does for unknown characters */
}

/* Segments the block of word atoms [s, e). */
static void segment_block(const struct kc_text *t, struct kc_text_run *r, uint32_t s, uint32_t e)
{
	const struct kc_dict *d = &t->dict;
	const struct kc_atom *atoms = r->atoms;
	double *route = r->route;
	uint32_t *next = r->next;
	route[e] = 0;
	for (uint32_t i = e; i-- > s;) {
		/* the walk is bound by memory latency: start loading the second step of the
		 * next position's walk (positions go right to left) */
		if (i > s + 1 && atoms[i - 2].c1 - atoms[i - 2].c0 == 1) {
			uint32_t c1 = r->cp[atoms[i - 2].c0];
			uint32_t n1 = c1 < 65536 ? d->root[c1] : 0;
			if (n1 != 0)
				kc__dict_prefetch(d, n1, r->cp[atoms[i - 1].c0]);
		}
		/* dictionary words starting at atom i, ending on an atom boundary; the first step
		 * of the walk (atom i itself) gives the atom's own log probability, as atom_logp
		 * would */
		uint32_t node = 0;
		float lp = KC_DICT_NOWORD;
		for (uint32_t c = atoms[i].c0; c < atoms[i].c1; c++) {
			node = kc__dict_step(d, node, r->cp[c], &lp);
			if (node == 0) {
				node = UINT32_MAX;
				break;
			}
		}
		double lp1 = node != UINT32_MAX && lp != KC_DICT_NOWORD ? (double)lp : -d->logtotal;
		double best = lp1 + route[i + 1];
		uint32_t bestj = i + 1;
		for (uint32_t k = i + 1; k < e && node != UINT32_MAX; k++) {
			for (uint32_t c = atoms[k].c0; c < atoms[k].c1; c++) {
				node = kc__dict_step(d, node, r->cp[c], &lp);
				if (node == 0) {
					node = UINT32_MAX;
					break;
				}
			}
			if (node == UINT32_MAX)
				break;
			if (lp != KC_DICT_NOWORD) {
				double x = lp + route[k + 1];
				if (x > best || (x == best && k + 1 > bestj)) {
					best = x;
					bestj = k + 1;
				}
			}
		}
		/* Chinese numerals: 二○○一, 十五; like one unknown word */
		if (atoms[i].kind == KC_ATOM_CNUM) {
			uint32_t k = i + 1;
			while (k < e && atoms[k].kind == KC_ATOM_CNUM && k - i < 24)
				k++;
			if (k - i >= 2) {
				double x = -d->logtotal + route[k];
				if (x > best) {
					best = x;
					bestj = k;
				}
			}
			if (k < e && k - i >= 2 && is_num_unit(r->cp[atoms[k].c0])) {
				double x = -d->logtotal + atom_logp(t, r, &atoms[k]) + NUM_UNIT_BONUS +
					   route[k + 1];
				if (x > best) {
					best = x;
					bestj = k + 1;
				}
			}
		}
		/* number + unit character: 1998年, 12月, 3000万 */
		if (atoms[i].kind == KC_ATOM_NUMBER && i + 1 < e &&
		    is_num_unit(r->cp[atoms[i + 1].c0])) {
			double x = lp1 + atom_logp(t, r, &atoms[i + 1]) + NUM_UNIT_BONUS + route[i + 2];
			if (x > best) {
				best = x;
				bestj = i + 2;
			}
		}
		/* model designations: N型, P型TOPCon, 4680型 */
		if ((atoms[i].kind == KC_ATOM_LATIN || atoms[i].kind == KC_ATOM_NUMBER) && i + 1 < e &&
		    atoms[i + 1].c1 - atoms[i + 1].c0 == 1 && r->cp[atoms[i + 1].c0] == 0x578B) {
			double x = lp1 + atom_logp(t, r, &atoms[i + 1]) + NUM_UNIT_BONUS;
			if (x + route[i + 2] > best) {
				best = x + route[i + 2];
				bestj = i + 2;
			}
			if (i + 2 < e && atoms[i + 2].kind == KC_ATOM_LATIN) {
				double y = x + atom_logp(t, r, &atoms[i + 2]) + NUM_UNIT_BONUS;
				if (y + route[i + 3] > best) {
					best = y + route[i + 3];
					bestj = i + 3;
				}
			}
		}
		route[i] = best;
		next[i] = bestj;
	}
	/* walk the route; single Chinese characters gather in a buffer for the HMM */
	uint32_t i = s, b0 = s;
	int inbuf = 0;
	/* next[] is overwritten by the HMM: copy the route's decisions first into toks? No: the
	 * HMM only writes next[] inside the buffer, which the walk has already passed. */
	while (i < e) {
		uint32_t j = next[i];
		if (j == i + 1 && is_hanish(atoms[i].kind)) {
			if (!inbuf) {
				b0 = i;
				inbuf = 1;
			}
		} else {
			if (inbuf) {
				flush_buf(t, r, b0, i);
				inbuf = 0;
			}
			push_tok(r, i, j, tok_kind(atoms, i, j));
		}
		i = j;
	}
	if (inbuf)
		flush_buf(t, r, b0, e);
}

int kc__segment(const struct kc_text *t, struct kc_text_run *r, size_t natoms)
{
	if (reserve_seg(r, natoms + 1) != 0)
		return KC_ENOMEM;
	r->ntok = 0;
	uint32_t i = 0, n = (uint32_t)natoms;
	while (i < n) {
		uint8_t k = r->atoms[i].kind;
		if (!is_wordish(k)) {
			push_tok(r, i, i + 1, k == KC_ATOM_SPACE ? KC_TERM_SPACE : KC_TERM_PUNCT);
			i++;
			continue;
		}
		uint32_t j = i + 1;
		while (j < n && is_wordish(r->atoms[j].kind))
			j++;
		segment_block(t, r, i, j);
		i = j;
	}
	return 0;
}
