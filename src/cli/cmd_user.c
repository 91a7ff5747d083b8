/* cli: `kechan user`: accounts for the HTTP server (the records themselves are imported like
 * any other: users.jsonl). */
#include <stdio.h>
#include <string.h>

#include "kechan/http.h"
#include "cli.h"
#include "banned.h"

static const char help[] =
	"usage: kechan [--db PATH] user password USER_ID   (reads the new password from stdin)\n"
	"       kechan [--db PATH] user password USER_ID --clear\n\n"
	"Sets a user's password for signing in to the web UI and the API (kechan serve). The\n"
	"password is read from the first line of standard input (10-256 bytes) and stored only as\n"
	"an argon2id hash. --clear removes it: the user can no longer sign in.\n"
	"  echo 'a long passphrase' | kechan user password u-admin\n";

int kc_cli_user(struct kc_cli *cli, int argc, char **argv)
{
	struct kc_err err = KC_ERR_INIT;
	struct kc_store *st = NULL;
	const char *id = NULL;
	int clear = 0, code = 0;
	char pw[1024], hash[128];
	if (argc < 2 || kc_cli_is_help(argv[1])) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (strcmp(argv[1], "password") != 0)
		return kc_cli_usage_error("user", "unknown subcommand '%s' (password)", argv[1]);
	for (int i = 2; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		} else if (strcmp(argv[i], "--clear") == 0) {
			clear = 1;
		} else if (id == NULL) {
			id = argv[i];
		} else {
			return kc_cli_usage_error("user", "unexpected argument '%s'", argv[i]);
		}
	}
	if (id == NULL)
		return kc_cli_usage_error("user", "password needs a USER_ID");
	if (!clear) {
		if (fgets(pw, sizeof(pw), stdin) == NULL)
			return kc_cli_usage_error("user", "no password on standard input");
		pw[strcspn(pw, "\r\n")] = '\0';
		const char *why = kc_http_password_problem(pw);
		if (why != NULL)
			return kc_cli_usage_error("user", "%s", why);
	}
	if (kc_cli_open(cli, 0, &st) != 0)
		return 1;
	int rc = clear ? 0 : kc_http_password_hash(pw, hash, sizeof(hash), &err);
	memset(pw, 0, sizeof(pw));
	if (rc == 0)
		rc = kc_store_password_set(st, id, clear ? NULL : hash, cli->actor, &err);
	if (rc != 0)
		code = kc_cli_fail(&err);
	else
		printf("%s: password %s\n", id, clear ? "cleared" : "set");
	kc_store_close(st);
	return code;
}
