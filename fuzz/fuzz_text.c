/* libFuzzer target: the text analyzer on arbitrary bytes, both modes. Invalid UTF-8 must give
 * KC_EDATA; valid input must give terms whose offsets lie within the input, on character
 * boundaries, and (precise mode) tile it. Built by the fuzz preset (clang); run by make fuzz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kechan/text.h"

static struct kc_text *g_text;
static struct kc_text_run *g_run;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct kc_err err = KC_ERR_INIT;
	if (kc_text_open(&g_text, NULL, &err) != 0) {
		fprintf(stderr, "fuzz_text: %s\n", err.msg);
		abort();
	}
	g_run = kc_text_run_new();
	if (g_run == NULL)
		abort();
	return 0;
}

static int boundary(const unsigned char *s, size_t len, size_t at)
{
	return at == len || (s[at] & 0xC0) != 0x80;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data;
	int valid = kc_utf8_valid(s, size);
	for (int mode = 0; mode < 2; mode++) {
		const struct kc_term *terms;
		size_t n;
		struct kc_err err = KC_ERR_INIT;
		int rc = kc_text_analyze(g_text, g_run, s, size, (enum kc_text_mode)mode, &terms, &n,
					 &err);
		if (!valid) {
			if (rc != KC_EDATA)
				abort();
			continue;
		}
		if (rc != 0)
			abort();
		uint32_t at = 0;
		for (size_t i = 0; i < n; i++) {
			const struct kc_term *t = &terms[i];
			if (t->start >= t->end || t->end > size || !boundary(data, size, t->start) ||
			    !boundary(data, size, t->end) || strlen(t->text) != t->len ||
			    !kc_utf8_valid(t->text, t->len))
				abort();
			if (mode == KC_TEXT_PRECISE) {
				if (t->start != at)
					abort();
				at = t->end;
			}
		}
		if (mode == KC_TEXT_PRECISE && at != size)
			abort();
	}
	return 0;
}
