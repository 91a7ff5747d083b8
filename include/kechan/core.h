/* kechan core: error codes and messages, allocation, growable byte buffers, UTF-8 checks.
 *
 * Every public function returns an int: >= 0 is success (it may be a count), a negative KC_E*
 * code is failure. The last argument, when present, is a struct kc_err * that may be NULL; on
 * failure it says why, leading with the place (file:line:field or a JSON path). */
#ifndef KECHAN_CORE_H
#define KECHAN_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define KC_API __attribute__((visibility("default")))
#define KC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KC_API
#define KC_PRINTF(f, a)
#endif

/* Error codes. kc_strerror() names each. */
enum {
	KC_OK = 0,
	KC_EINVAL = -1,    /* a user's input or argument is invalid */
	KC_ENOMEM = -2,    /* out of memory */
	KC_EIO = -3,       /* reading or writing a file or socket failed */
	KC_ENOTFOUND = -4, /* no such record, file or key */
	KC_EEXIST = -5,    /* the record or file exists already */
	KC_EDATA = -6,     /* input data failed validation (an import, a request body) */
	KC_EINTERNAL = -7, /* a bug or an unexpected state of a library */
	KC_EBUSY = -8,     /* the database is locked by another writer */
	KC_ECORRUPT = -9,  /* stored data is damaged or inconsistent */
	KC_EPERM = -10,    /* not allowed for this user */
	KC_EINTR = -11,    /* interrupted by a signal */
};

/* Returns a static name for a KC_E* code ("invalid input"); never NULL. */
KC_API const char *kc_strerror(int code);

/* An error: the code, a message for the user and the C place that set it (for developers).
 * Callers keep it on the stack; KC_ERR_INIT or kc_err_clear() make it empty. */
struct kc_err {
	int code;
	char msg[1024];
	const char *src_file;
	int src_line;
};
#define KC_ERR_INIT {0, {0}, NULL, 0}

/* Stores code and printf-formatted message in err (which may be NULL) and returns code, so a
 * call site can `return kc_err_set(err, KC_EINVAL, "...")`. */
#define kc_err_set(err, code, ...) kc__err_set((err), (code), __FILE__, __LINE__, __VA_ARGS__)
KC_API int kc__err_set(struct kc_err *err, int code, const char *file, int line, const char *fmt,
		       ...) KC_PRINTF(5, 6);
/* Prepends "prefix: " to err's message (if err is not NULL); returns err->code. */
KC_API int kc_err_prefix(struct kc_err *err, const char *fmt, ...) KC_PRINTF(2, 3);
KC_API void kc_err_clear(struct kc_err *err);

/* Allocation. These return NULL on failure; library code never aborts on OOM. Test builds can
 * make the Nth call fail (kc_alloc_fail_after). kc_free(NULL) is harmless. Not thread-safe only
 * in the test hook; the allocators themselves are. */
KC_API void *kc_malloc(size_t n);
KC_API void *kc_calloc(size_t count, size_t n);
KC_API void *kc_realloc(void *p, size_t n);
KC_API void kc_free(void *p);
KC_API char *kc_strdup(const char *s);
KC_API char *kc_strndup(const char *s, size_t n);

/* A growable byte buffer, always NUL-terminated once it has allocated. Caller-owned struct:
 * kc_buf_init() or KC_BUF_INIT, then kc_buf_release(). max (0 = none) caps len; an append that
 * would pass it fails with KC_EINVAL. */
struct kc_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
};
#define KC_BUF_INIT {NULL, 0, 0, 0}
KC_API void kc_buf_init(struct kc_buf *b, size_t max);
KC_API void kc_buf_release(struct kc_buf *b);
/* Makes room for n more bytes. Returns 0, KC_ENOMEM or KC_EINVAL (over max). */
KC_API int kc_buf_grow(struct kc_buf *b, size_t n);
KC_API int kc_buf_add(struct kc_buf *b, const void *data, size_t n);
KC_API int kc_buf_adds(struct kc_buf *b, const char *s);
KC_API int kc_buf_addc(struct kc_buf *b, char c);
KC_API int kc_buf_addf(struct kc_buf *b, const char *fmt, ...) KC_PRINTF(2, 3);
KC_API int kc_buf_vaddf(struct kc_buf *b, const char *fmt, va_list ap);
KC_API void kc_buf_reset(struct kc_buf *b);
/* Hands the bytes to the caller (free with kc_free) and leaves b empty; returns "" copies when
 * nothing was allocated, or NULL on OOM. */
KC_API char *kc_buf_take(struct kc_buf *b);
/* The contents as a C string ("" when empty); borrowed, valid until the next change. */
KC_API const char *kc_buf_cstr(const struct kc_buf *b);

/* UTF-8. kc_utf8_check returns the byte offset of the first invalid sequence, or -1 when the
 * whole of s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
KC_API long kc_utf8_check(const char *s, size_t len);
KC_API int kc_utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 s[0..len). */
KC_API size_t kc_utf8_count(const char *s, size_t len);
/* Byte length of the longest prefix of s with at most max_chars code points. */
KC_API size_t kc_utf8_prefix(const char *s, size_t len, size_t max_chars);
/* Makes s[0..len) valid UTF-8 in place: each byte of an invalid sequence becomes '?'. For
 * messages that quote input cut at a byte count ("%.20s", a full buffer), where a character
 * cut in two would make the message unprintable as JSON. Returns how many bytes it replaced. */
KC_API size_t kc_utf8_scrub(char *s, size_t len);

/* FNV-1a 64 over p[0..n), continuing from h (KC_FNV_OFFSET to start): the hash of the
 * project's tables and checksums. Inline: it sits in hot loops (term lookup, MinHash). */
#define KC_FNV_OFFSET 1469598103934665603ull
static inline uint64_t kc_fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
}

/* Monotonic clock in seconds, for progress and benchmarks. */
KC_API double kc_now(void);

/* Encoding of binary files (index snapshots, association tables): a length-prefixed string
 * added to a kc_buf, and a reader bounded by the body's end that sets bad instead of reading
 * past it (then gives zeros / NULL). */
struct kc__rd {
	const unsigned char *p, *end;
	int bad; /* set when a read ran past the end or found nonsense */
};
KC_API int kc__put_str(struct kc_buf *b, const char *s); /* NULL is kept as NULL */
KC_API void kc__get(struct kc__rd *r, void *v, size_t n);
KC_API char *kc__get_str(struct kc__rd *r); /* owned copy, NULL for NULL (and when bad) */
KC_API const unsigned char *kc__get_bytes(struct kc__rd *r, size_t n);
/* A table of distinct strings, each with an id (0, 1, … in the order they came): open
 * addressing over FNV-1a (the word tables of assoc and lsa). Caller-owned struct, zeroed to
 * start, kc__strtab_release to free. */
struct kc__strtab {
	char **strs; /* owned, NUL-terminated */
	uint32_t *lens;
	uint32_t *count; /* per string, the caller's to count with (0 when added) */
	uint32_t n, cap;
	uint32_t *slots; /* id + 1, 0 = empty */
	size_t nslots;
};
/* *id = the id of s (n bytes); an absent s is added when create, else *id = UINT32_MAX.
 * Returns 0 or KC_ENOMEM (the table unchanged). */
KC_API int kc__strtab_id(struct kc__strtab *t, const char *s, size_t n, int create, uint32_t *id);
/* The id of s, UINT32_MAX when absent (a lookup that never adds: for shared tables). */
KC_API uint32_t kc__strtab_find(const struct kc__strtab *t, const char *s, size_t n);
KC_API void kc__strtab_release(struct kc__strtab *t);

/* A checksummed file: magic (4 bytes), format (u32), body length (u64), FNV-1a 64 of the body,
 * the body. Saved to path.tmp and renamed into place (nothing half-written); loaded whole:
 * *body is the caller's (free). A wrong magic or format, a short, long or damaged file is
 * KC_ECORRUPT with what (e.g. "association table") named, a missing one KC_ENOTFOUND, one
 * that cannot be opened otherwise KC_EIO. */
KC_API int kc__file_save(const char *path, const char magic[4], uint32_t format,
			 const void *body, size_t len, struct kc_err *err);
KC_API int kc__file_load(const char *path, const char magic[4], uint32_t format, const char *what,
			 unsigned char **body, size_t *len, struct kc_err *err);

/* Maps a KC_E* code to the CLI's documented exit code: 0 ok, 1 user error, 2 data error,
 * 3 internal error. */
KC_API int kc_exit_code(int code);

#endif
