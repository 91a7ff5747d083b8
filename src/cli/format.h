/* cli: value formatting shared by list and show. */
#ifndef KC_CLI_FORMAT_H
#define KC_CLI_FORMAT_H

#include <stdlib.h>

#include "kechan/store.h"

/* Writes v (a value of field f, which may be NULL) as a person reads it into out: regions and
 * industries with their names, references to orgs/nodes/chains with the name. st may be NULL
 * (no names looked up). */
void kc_cli_value(struct kc_store *st, const struct kc_field *f, const json_t *v,
		  struct kc_buf *out);
/* A record's display label: short_name, title or name (borrowed). */
const char *kc_cli_label(const json_t *rec);

#endif
