/* libFuzzer target: the importer's own JSONL reader (src/store/jsonl.c) against jansson. On any
 * valid UTF-8 (its contract: the importer checks every line first) the reader either declines (NULL: the importer then asks json_loadb) or builds exactly
 * the value json_loadb builds with the importer's flags. Built by the fuzz preset (clang); run
 * by make fuzz. */
#include <stdlib.h>

#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!kc_utf8_valid((const char *)data, size))
		return 0;
	struct kc_buf tmp = KC_BUF_INIT;
	json_t *mine = kc__jsonl_object((const char *)data, size, &tmp);
	if (mine != NULL) {
		json_t *ref = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
		if (ref == NULL || !json_equal(mine, ref))
			abort(); /* accepted what jansson refuses, or built another value */
		json_decref(ref);
	}
	json_decref(mine);
	kc_buf_release(&tmp);
	return 0;
}
