/* cli: helpers shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "cli.h"
#include "banned.h"

int kc_cli_fail(const struct kc_err *err)
{
	fprintf(stderr, "kechan: %s\n", err->msg[0] ? err->msg : kc_strerror(err->code));
	return kc_exit_code(err->code);
}

int kc_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kechan %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(see 'kechan %s --help')\n", cmd);
	va_end(ap);
	return 1;
}

int kc_cli_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t l = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, l) != 0)
		return 0;
	if (a[l] == '=') {
		*val = a + l + 1;
		return 1;
	}
	if (a[l] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "kechan: option %s needs a value\n", name);
		*val = NULL;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

int kc_cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int kc_cli_beside_db(const struct kc_cli *cli, const char *ext, char *buf, size_t cap)
{
	const char *db = cli->db;
	if (strstr(db, "://") != NULL)
		return 0;
	if (strncmp(db, "sqlite:", 7) == 0) /* as kc_store_open and the server read it */
		db += 7;
	return (size_t)snprintf(buf, cap, "%s%s", db, ext) < cap;
}

int kc_cli_open(struct kc_cli *cli, int create, struct kc_store **out)
{
	struct kc_err err = KC_ERR_INIT;
	int rc = kc_store_open(cli->db, create ? KC_STORE_CREATE : 0, out, &err);
	if (rc < 0)
		return kc_cli_fail(&err);
	return 0;
}

size_t kc_cli_width(const char *s)
{
	size_t w = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0) {
			p++;
			w++;
			continue;
		}
		int cw = utf8proc_charwidth(cp);
		w += cw > 0 ? (size_t)cw : 0;
		p += n;
	}
	return w;
}

void kc_cli_cell(FILE *f, const char *s, size_t width)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(s ? s : "");
	size_t w = 0;
	size_t total = kc_cli_width((const char *)p);
	utf8proc_int32_t cp;
	while (*p) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			p++;
			if (w + 1 > width)
				break;
			fputc(' ', f);
			w++;
			continue;
		}
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0)
			break;
		int cw = utf8proc_charwidth(cp);
		size_t c = cw > 0 ? (size_t)cw : 0;
		if (total > width && w + c + 1 > width)
			break;
		if (w + c > width)
			break;
		fwrite(p, 1, (size_t)n, f);
		w += c;
		p += n;
	}
	if (*p) {
		fputs("…", f);
		w++;
	}
	for (; w < width; w++)
		fputc(' ', f);
}

int kc_cli_print_json(const json_t *j)
{
	if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return 3;
	fputc('\n', stdout);
	return 0;
}

int kc_cli_hides_owner(const json_t *demand, int as_admin)
{
	const char *vis = json_string_value(json_object_get(demand, "visibility"));
	return !as_admin && vis && strcmp(vis, "confidential") == 0;
}
