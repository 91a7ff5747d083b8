/* cli: what the subcommands share. Each subcommand is one file, src/cli/cmd_<name>.c, listed in
 * the table in main.c. A subcommand returns an exit code: 0 ok, 1 user error, 2 data error,
 * 3 internal error (kc_exit_code). */
#ifndef KC_CLI_H
#define KC_CLI_H

#include <stdio.h>

#include "kechan/core.h"
#include "kechan/store.h"

struct kc_cli {
	const char *db;    /* --db PATH (default ./kechan.db) */
	int json;          /* --json */
	const char *actor; /* --actor NAME for the audit log (default cli:$USER) */
};

typedef int (*kc_cli_fn)(struct kc_cli *cli, int argc, char **argv);

/* Prints "kechan: <message>" for err on stderr and returns the exit code for its code. */
int kc_cli_fail(const struct kc_err *err);
/* Prints "kechan <cmd>: <message>" for a usage error and returns 1. */
int kc_cli_usage_error(const char *cmd, const char *fmt, ...) KC_PRINTF(2, 3);
/* 1 when argv[*i] is the option name (as "--name value" or "--name=value"); then *val points at
 * the value and *i is advanced past it. A missing value prints an error and sets *val NULL. */
int kc_cli_opt(int argc, char **argv, int *i, const char *name, const char **val);
/* 1 when argv[i] is -h or --help. */
int kc_cli_is_help(const char *arg);
/* The path of a file kept beside an SQLite database (cli->db without a "sqlite:" prefix, + ext:
 * ".index", ".assoc", ".lsa") in buf; 0 when the database is not a file (a server URL) or the
 * path does not fit. */
int kc_cli_beside_db(const struct kc_cli *cli, const char *ext, char *buf, size_t cap);
/* Opens the store at cli->db (creating it when create is set). Prints the error itself. */
int kc_cli_open(struct kc_cli *cli, int create, struct kc_store **out);
/* Display width of UTF-8 s in terminal columns (CJK = 2). */
size_t kc_cli_width(const char *s);
/* Prints s in exactly width columns (cut with "…" or padded with spaces). */
void kc_cli_cell(FILE *f, const char *s, size_t width);
/* Prints a JSON value on stdout followed by a newline (pretty, UTF-8 kept). */
int kc_cli_print_json(const json_t *j);
/* Whether a demand record must hide its owner from this caller. */
int kc_cli_hides_owner(const json_t *demand, int as_admin);

int kc_cli_init(struct kc_cli *cli, int argc, char **argv);
int kc_cli_import(struct kc_cli *cli, int argc, char **argv);
int kc_cli_export(struct kc_cli *cli, int argc, char **argv);
int kc_cli_list(struct kc_cli *cli, int argc, char **argv);
int kc_cli_show(struct kc_cli *cli, int argc, char **argv);
int kc_cli_stats(struct kc_cli *cli, int argc, char **argv);
int kc_cli_check(struct kc_cli *cli, int argc, char **argv);
int kc_cli_log(struct kc_cli *cli, int argc, char **argv);
int kc_cli_match(struct kc_cli *cli, int argc, char **argv);
/* `kechan match assoc` (cmd_assoc.c); argv[0] is "assoc". */
int kc_cli_match_assoc(struct kc_cli *cli, int argc, char **argv);
/* Near-duplicate supplies and demands of the store (kc_match_dupes over title + description):
 * *pairs a new array of {type, a, b, similarity, title_a, title_b}; with known (an object whose
 * keys are "supply:ID" / "demand:ID"), only pairs with at least one record not in it. */
struct kc_text;
int kc_cli_dupes_find(struct kc_store *st, const struct kc_text *t, double threshold,
		      const json_t *known, json_t **pairs, struct kc_err *err);
/* Prints pairs one per line, at most max of them. */
void kc_cli_dupes_print(const json_t *pairs, size_t max);
int kc_cli_text(struct kc_cli *cli, int argc, char **argv);
int kc_cli_serve(struct kc_cli *cli, int argc, char **argv);
int kc_cli_user(struct kc_cli *cli, int argc, char **argv);
int kc_cli_chain(struct kc_cli *cli, int argc, char **argv);
int kc_cli_import_chainkg(struct kc_cli *cli, int argc, char **argv);

#endif
