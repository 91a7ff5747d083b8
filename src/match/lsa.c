/* Field vectors by latent semantic analysis (include/kechan/lsa.h). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/lsa.h"

#define LSA_MAGIC "KCLS"
#define LSA_FORMAT 1u
#define LSA_OVERSAMPLE 10 /* extra columns of the test matrix (Halko et al.: 5–10) */

/* One term of a training text: its id and frequency. */
struct tf {
	uint32_t id;
	uint32_t n;
};

struct kc_lsa {
	struct kc__strtab terms; /* count: texts holding the term */
	/* training texts: text i is tfs[starts[i] .. starts[i + 1]) */
	struct tf *tfs;
	size_t ntf, tfcap;
	size_t *starts;
	size_t ntexts, scap;
	/* after finish: per term its idf (0 = left out) and vector */
	float *idf;
	float *vec; /* terms.n × dims */
	unsigned dims;
	int finished;
};

void kc_lsa_params_default(struct kc_lsa_params *p)
{
	p->dims = 64;
	p->min_df = 2;
	p->iters = 3;
	p->seed = 0x6b656368616e; /* "kechan" */
}

/* The id of term s, added when new (create) or UINT32_MAX when unknown. */
static int term_id(struct kc_lsa *m, const char *s, size_t n, int create, uint32_t *id)
{
	return kc__strtab_id(&m->terms, s, n, create, id);
}

int kc_lsa_new(struct kc_lsa **out, struct kc_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	return 0;
}

void kc_lsa_free(struct kc_lsa *m)
{
	if (m == NULL)
		return;
	kc__strtab_release(&m->terms);
	free(m->tfs);
	free(m->starts);
	free(m->idf);
	free(m->vec);
	free(m);
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = ((const struct tf *)a)->id, y = ((const struct tf *)b)->id;
	return x < y ? -1 : x > y;
}

/* The distinct terms of text s with their frequencies into *v (sorted by id, the caller
 * frees): every term (create) or only the model's (unknown ones left out). */
static int text_tfs(struct kc_lsa *m, const struct kc_text *t, struct kc_text_run *run,
		    const char *s, size_t len, int create, struct tf **v, size_t *nv,
		    struct kc_err *err)
{
	const struct kc_term *terms;
	size_t n;
	*v = NULL;
	*nv = 0;
	int rc = kc_text_analyze(t, run, s, len, KC_TEXT_INDEX, &terms, &n, err);
	if (rc != 0)
		return rc;
	struct tf *x = malloc((n ? n : 1) * sizeof(*x));
	if (x == NULL)
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		if (term_id(m, terms[i].text, terms[i].len, create, &id) != 0) {
			free(x);
			return kc_err_set(err, KC_ENOMEM, "out of memory");
		}
		if (id != UINT32_MAX)
			x[k++] = (struct tf){id, 1};
	}
	qsort(x, k, sizeof(*x), by_id);
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (w > 0 && x[w - 1].id == x[i].id)
			x[w - 1].n++;
		else
			x[w++] = x[i];
	}
	*v = x;
	*nv = w;
	return 0;
}

int kc_lsa_add(struct kc_lsa *m, const struct kc_text *t, struct kc_text_run *run, const char *s,
	       size_t len, struct kc_err *err)
{
	struct tf *v;
	size_t n;
	if (m->finished)
		return kc_err_set(err, KC_EINVAL, "field vectors already computed");
	if (!kc_utf8_valid(s, len)) /* before any term enters the table */
		return kc_err_set(err, KC_EINVAL, "text is not valid UTF-8");
	int rc = text_tfs(m, t, run, s, len, 1, &v, &n, err);
	if (rc != 0)
		return rc;
	if (m->ntf + n > m->tfcap) {
		size_t cap = m->tfcap ? m->tfcap * 2 : 4096;
		while (cap < m->ntf + n)
			cap *= 2;
		struct tf *x = realloc(m->tfs, cap * sizeof(*x));
		if (x == NULL)
			goto nomem;
		m->tfs = x;
		m->tfcap = cap;
	}
	if (m->ntexts + 2 > m->scap) {
		size_t cap = m->scap ? m->scap * 2 : 1024;
		size_t *x = realloc(m->starts, cap * sizeof(*x));
		if (x == NULL)
			goto nomem;
		m->starts = x;
		m->scap = cap;
	}
	if (m->ntexts == 0)
		m->starts[0] = 0;
	memcpy(m->tfs + m->ntf, v, n * sizeof(*v));
	m->ntf += n;
	m->starts[++m->ntexts] = m->ntf;
	for (size_t i = 0; i < n; i++)
		m->terms.count[v[i].id]++;
	free(v);
	return 0;
nomem:
	free(v);
	return kc_err_set(err, KC_ENOMEM, "out of memory");
}

/* splitmix64: the test matrix's random numbers (deterministic for a seed) */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double gaussian(uint64_t *s)
{
	double u = ((double)(next_u64(s) >> 11) + 0.5) / 9007199254740992.0;
	double v = (double)(next_u64(s) >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* The weighted matrix A: per text its kept terms (new ids) and weights, rows of unit length. */
struct csr {
	size_t rows;
	size_t *start;
	uint32_t *col;
	double *val;
};

/* Y (rows × l) = A X (X: cols × l), row-major. */
static void mul(const struct csr *a, const double *x, double *y, size_t l)
{
	memset(y, 0, a->rows * l * sizeof(*y));
	for (size_t i = 0; i < a->rows; i++) {
		double *yi = y + i * l;
		for (size_t e = a->start[i]; e < a->start[i + 1]; e++) {
			const double *xj = x + (size_t)a->col[e] * l;
			double w = a->val[e];
			for (size_t c = 0; c < l; c++)
				yi[c] += w * xj[c];
		}
	}
}

/* Z (cols × l) = Aᵀ Y (Y: rows × l). */
static void mul_t(const struct csr *a, const double *y, double *z, size_t cols, size_t l)
{
	memset(z, 0, cols * l * sizeof(*z));
	for (size_t i = 0; i < a->rows; i++) {
		const double *yi = y + i * l;
		for (size_t e = a->start[i]; e < a->start[i + 1]; e++) {
			double *zj = z + (size_t)a->col[e] * l;
			double w = a->val[e];
			for (size_t c = 0; c < l; c++)
				zj[c] += w * yi[c];
		}
	}
}

/* Replaces the rows × l matrix m by an orthonormal basis of its columns (QR). */
static int orthonormalize(double *m, size_t rows, size_t l, double *tau)
{
	lapack_int r = (lapack_int)rows, c = (lapack_int)l;
	if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, r, c, m, c, tau) != 0 ||
	    LAPACKE_dorgqr(LAPACK_ROW_MAJOR, r, c, c, m, c, tau) != 0)
		return KC_EINTERNAL;
	return 0;
}

int kc_lsa_finish(struct kc_lsa *m, const struct kc_lsa_params *p, struct kc_err *err)
{
	struct kc_lsa_params dp;
	struct csr a = {0};
	uint32_t *newid = NULL;
	double *omega = NULL, *y = NULL, *z = NULL, *tau = NULL, *s = NULL, *u = NULL, *vt = NULL;
	int rc = 0;
	if (p == NULL) {
		kc_lsa_params_default(&dp);
		p = &dp;
	}
	if (m->finished)
		return kc_err_set(err, KC_EINVAL, "field vectors already computed");
	m->finished = 1;
	size_t nt = m->terms.n ? m->terms.n : 1;
	newid = malloc(nt * sizeof(*newid));
	m->idf = calloc(nt, sizeof(*m->idf));
	if (newid == NULL || m->idf == NULL)
		goto nomem;
	/* the kept terms, renumbered, and their idf */
	size_t cols = 0;
	double n = (double)m->ntexts;
	for (uint32_t i = 0; i < m->terms.n; i++) {
		newid[i] = UINT32_MAX;
		if (m->terms.count[i] < (p->min_df ? p->min_df : 1))
			continue;
		newid[i] = (uint32_t)cols++;
		double df = m->terms.count[i];
		m->idf[i] = (float)log(1 + (n - df + 0.5) / (df + 0.5));
	}
	size_t l = (size_t)p->dims + LSA_OVERSAMPLE;
	if (l > m->ntexts)
		l = m->ntexts;
	if (l > cols)
		l = cols;
	/* too few texts or terms for the oversampling: half of what there is */
	size_t keep = l >= (size_t)p->dims + LSA_OVERSAMPLE ? p->dims : l / 2;
	m->dims = (unsigned)(keep < p->dims ? keep : p->dims);
	if (m->dims == 0)
		goto out;
	a.rows = m->ntexts;
	a.start = malloc((a.rows + 1) * sizeof(*a.start));
	a.col = malloc((m->ntf ? m->ntf : 1) * sizeof(*a.col));
	a.val = malloc((m->ntf ? m->ntf : 1) * sizeof(*a.val));
	if (a.start == NULL || a.col == NULL || a.val == NULL)
		goto nomem;
	size_t e = 0;
	for (size_t i = 0; i < m->ntexts; i++) {
		a.start[i] = e;
		double norm = 0;
		size_t first = e;
		for (size_t k = m->starts[i]; k < m->starts[i + 1]; k++) {
			const struct tf *x = &m->tfs[k];
			if (newid[x->id] == UINT32_MAX)
				continue;
			double w = (1 + log((double)x->n)) * m->idf[x->id];
			a.col[e] = newid[x->id];
			a.val[e++] = w;
			norm += w * w;
		}
		for (size_t k = first; k < e && norm > 0; k++)
			a.val[k] /= sqrt(norm);
	}
	a.start[a.rows] = e;
	/* randomized range finder with power iterations, then the SVD of Aᵀ Q */
	omega = malloc(cols * l * sizeof(*omega));
	y = malloc(a.rows * l * sizeof(*y));
	z = malloc(cols * l * sizeof(*z));
	tau = malloc(l * sizeof(*tau));
	s = malloc(l * sizeof(*s));
	u = malloc(cols * l * sizeof(*u));
	vt = malloc(l * l * sizeof(*vt));
	if (omega == NULL || y == NULL || z == NULL || tau == NULL || s == NULL || u == NULL ||
	    vt == NULL)
		goto nomem;
	uint64_t seed = p->seed;
	for (size_t i = 0; i < cols * l; i++)
		omega[i] = gaussian(&seed);
	mul(&a, omega, y, l);
	for (unsigned it = 0; it < p->iters; it++) {
		if (orthonormalize(y, a.rows, l, tau) != 0)
			goto lapack;
		mul_t(&a, y, z, cols, l);
		if (orthonormalize(z, cols, l, tau) != 0)
			goto lapack;
		mul(&a, z, y, l);
	}
	if (orthonormalize(y, a.rows, l, tau) != 0)
		goto lapack;
	mul_t(&a, y, z, cols, l); /* Bᵀ = Aᵀ Q = U Σ Wᵀ: U holds A's right singular vectors */
	if (LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)cols, (lapack_int)l, z,
			   (lapack_int)l, s, u, (lapack_int)l, vt, (lapack_int)l) != 0)
		goto lapack;
	if ((m->vec = malloc(nt * m->dims * sizeof(*m->vec))) == NULL)
		goto nomem;
	for (uint32_t i = 0; i < m->terms.n; i++)
		for (unsigned c = 0; c < m->dims; c++)
			m->vec[(size_t)i * m->dims + c] =
				newid[i] == UINT32_MAX ? 0.0f
						       : (float)u[(size_t)newid[i] * l + c];
	goto out;
lapack:
	rc = kc_err_set(err, KC_EINTERNAL, "field vectors: LAPACK failed");
	goto out;
nomem:
	rc = kc_err_set(err, KC_ENOMEM, "out of memory");
out:
	/* the texts are not needed any more */
	free(m->tfs);
	free(m->starts);
	m->tfs = NULL;
	m->starts = NULL;
	m->ntf = m->tfcap = m->scap = 0;
	if (rc != 0)
		m->dims = 0;
	free(newid);
	free(a.start);
	free(a.col);
	free(a.val);
	free(omega);
	free(y);
	free(z);
	free(tau);
	free(s);
	free(u);
	free(vt);
	return rc;
}

unsigned kc_lsa_dims(const struct kc_lsa *m)
{
	return m != NULL && m->finished ? m->dims : 0;
}

int kc_lsa_vector(const struct kc_lsa *m, const struct kc_text *t, struct kc_text_run *run,
		  const char *s, size_t len, float *out, size_t *known, struct kc_err *err)
{
	struct tf *v;
	size_t n;
	unsigned d = kc_lsa_dims(m);
	if (known != NULL)
		*known = 0;
	if (d == 0)
		return 0;
	memset(out, 0, d * sizeof(*out));
	/* a finished model is only read: text_tfs looks terms up without adding */
	int rc = text_tfs((struct kc_lsa *)m, t, run, s, len, 0, &v, &n, err);
	if (rc != 0)
		return rc;
	double *acc = calloc(d, sizeof(*acc));
	if (acc == NULL) {
		free(v);
		return kc_err_set(err, KC_ENOMEM, "out of memory");
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		float idf = m->idf[v[i].id];
		if (idf <= 0 || m->vec == NULL)
			continue;
		k++;
		double w = (1 + log((double)v[i].n)) * idf;
		const float *x = m->vec + (size_t)v[i].id * d;
		for (unsigned c = 0; c < d; c++)
			acc[c] += w * x[c];
	}
	double norm = 0;
	for (unsigned c = 0; c < d; c++)
		norm += acc[c] * acc[c];
	for (unsigned c = 0; c < d && norm > 0; c++)
		out[c] = (float)(acc[c] / sqrt(norm));
	if (known != NULL)
		*known = norm > 0 ? k : 0;
	free(acc);
	free(v);
	return 0;
}

double kc_lsa_dot(const float *a, const float *b, unsigned dims)
{
	double x = 0;
	for (unsigned c = 0; c < dims; c++)
		x += (double)a[c] * b[c];
	return x;
}

void kc_lsa_stats(const struct kc_lsa *m, size_t *texts, size_t *terms, unsigned *dims)
{
	size_t kept = 0;
	for (uint32_t i = 0; m->idf != NULL && i < m->terms.n; i++)
		kept += m->idf[i] > 0 ? 1u : 0u;
	*texts = m->ntexts;
	*terms = kept;
	*dims = kc_lsa_dims(m);
}

int kc_lsa_save(const struct kc_lsa *m, const char *path, struct kc_err *err)
{
	struct kc_buf b;
	int rc = 0;
	if (!m->finished)
		return kc_err_set(err, KC_EINVAL, "field vectors not computed");
	kc_buf_init(&b, 0);
	uint32_t dims = kc_lsa_dims(m), kept = 0;
	uint64_t texts = m->ntexts;
	for (uint32_t i = 0; dims > 0 && i < m->terms.n; i++)
		kept += m->idf[i] > 0 ? 1u : 0u;
	rc = kc_buf_add(&b, &dims, sizeof(dims));
	rc = rc ? rc : kc_buf_add(&b, &texts, sizeof(texts));
	rc = rc ? rc : kc_buf_add(&b, &kept, sizeof(kept));
	for (uint32_t i = 0; rc == 0 && dims > 0 && i < m->terms.n; i++) {
		if (m->idf[i] <= 0)
			continue;
		rc = kc_buf_add(&b, &m->terms.lens[i], sizeof(uint32_t));
		rc = rc ? rc : kc_buf_add(&b, m->terms.strs[i], m->terms.lens[i]);
		rc = rc ? rc : kc_buf_add(&b, &m->idf[i], sizeof(float));
		rc = rc ? rc : kc_buf_add(&b, m->vec + (size_t)i * dims, dims * sizeof(float));
	}
	if (rc != 0)
		rc = kc_err_set(err, KC_ENOMEM, "out of memory");
	else
		rc = kc__file_save(path, LSA_MAGIC, LSA_FORMAT, b.ptr, b.len, err);
	kc_buf_release(&b);
	return rc;
}

int kc_lsa_load(struct kc_lsa **out, const char *path, struct kc_err *err)
{
	struct kc_lsa *m = NULL;
	unsigned char *body = NULL;
	size_t len;
	*out = NULL;
	int rc = kc__file_load(path, LSA_MAGIC, LSA_FORMAT, "field vector model", &body, &len, err);
	if (rc != 0)
		return rc;
	if ((rc = kc_lsa_new(&m, err)) != 0)
		goto out;
	struct kc__rd r = {body, body + len, 0};
	uint32_t dims = 0, n = 0;
	uint64_t texts = 0;
	kc__get(&r, &dims, sizeof(dims));
	kc__get(&r, &texts, sizeof(texts));
	kc__get(&r, &n, sizeof(n));
	if (dims > 4096 || (size_t)n > len) {
		r.bad = 1;
		goto check;
	}
	m->dims = dims;
	m->ntexts = (size_t)texts;
	m->finished = 1;
	m->idf = malloc((n ? n : 1) * sizeof(*m->idf));
	m->vec = malloc((n ? n : 1) * (size_t)(dims ? dims : 1) * sizeof(*m->vec));
	if (m->idf == NULL || m->vec == NULL)
		goto nomem;
	for (uint32_t i = 0; !r.bad && i < n; i++) {
		uint32_t l, id;
		kc__get(&r, &l, sizeof(l));
		const unsigned char *w = kc__get_bytes(&r, l);
		if (w == NULL)
			break;
		if (term_id(m, (const char *)w, l, 1, &id) != 0)
			goto nomem;
		if (id != i) { /* a term twice */
			r.bad = 1;
			break;
		}
		kc__get(&r, &m->idf[i], sizeof(float));
		const unsigned char *x = kc__get_bytes(&r, (size_t)dims * sizeof(float));
		if (x != NULL)
			memcpy(m->vec + (size_t)i * dims, x, (size_t)dims * sizeof(float));
		if (!(m->idf[i] > 0))
			r.bad = 1;
	}
check:
	if (r.bad || r.p != r.end) {
		rc = kc_err_set(err, KC_ECORRUPT, "%s: damaged field vector model", path);
		goto out;
	}
	*out = m;
	m = NULL;
	goto out;
nomem:
	rc = kc_err_set(err, KC_ENOMEM, "out of memory");
out:
	kc_lsa_free(m);
	free(body);
	return rc;
}
