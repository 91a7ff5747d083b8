/* Layout of the generated code tables (src/core/codes_data.c). */
#ifndef KC_CODES_INT_H
#define KC_CODES_INT_H

#include <stdint.h>

#include "kechan/codes.h"


extern const struct kc_region kc__regions[];
extern const unsigned kc__regions_len;

struct kc__ipc {
	const char *code;
	int level;
	const char *title;
};
extern const struct kc__ipc kc__ipcs[];
extern const unsigned kc__ipcs_len;

struct kc__industry {
	const char *code;
	const char *name;
	int level;
	const char *parent;
};
extern const struct kc__industry kc__industries[];
extern const unsigned kc__industries_len;

#endif
