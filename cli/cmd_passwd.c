/* cli/cmd_passwd.c — `tsm passwd`: rewraps the store key under a new
 * passphrase. The database key itself does not change, so no page is
 * rewritten and a running unlock agent stays valid. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include <getopt.h>
#include <stdlib.h>

extern const struct cli_cmd cmd_passwd;

static int passwd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"kdf", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	const char *newfile = getenv("TSM_NEW_PASSPHRASE_FILE");
	char *oldpass = NULL, *newpass = NULL;
	size_t oldlen = 0, newlen = 0;
	int c, err, kdf = TSM_KDF_MODERATE, rc = EXIT_ERR;
	tsm_key *key = NULL;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'k')
			return cli_option_error(&cmd_passwd, c, argv);
		if (cli_parse_kdf(&kdf, optarg) < 0)
			return cli_usage(&cmd_passwd, "unknown kdf '%s'",
					 optarg);
	}
	if (optind < argc)
		return cli_usage(&cmd_passwd, "unexpected argument '%s'",
				 argv[optind]);
	err = cli_read_passphrase(&oldpass, &oldlen, "TSM_PASSPHRASE_FILE",
				  "current passphrase: ", 0);
	if (err == TSM_ELOCKED)
		cli_set_error(TSM_ELOCKED,
			      "no current passphrase: set TSM_PASSPHRASE_FILE "
			      "or run 'tsm passwd' on a terminal");
	if (err < 0) {
		rc = cli_fail();
		goto done;
	}
	/* Someone typing the new passphrase twice first learns whether the
	 * old one was right. */
	if (newfile == NULL || *newfile == '\0') {
		if (cli_unwrap_key(&key, ctx->dir, oldpass, oldlen) < 0) {
			rc = cli_fail();
			goto done;
		}
		tsm_key_free(key);
	}
	err = cli_read_passphrase(&newpass, &newlen, "TSM_NEW_PASSPHRASE_FILE",
				  "new passphrase: ", 1);
	if (err == TSM_ELOCKED)
		cli_set_error(TSM_ELOCKED,
			      "no new passphrase: set TSM_NEW_PASSPHRASE_FILE "
			      "or run 'tsm passwd' on a terminal");
	if (err < 0) {
		rc = cli_fail();
		goto done;
	}
	cli_trace_kdf(); /* the old passphrase */
	cli_trace_kdf(); /* the new one */
	if (tsm_store_passwd(ctx->dir, oldpass, oldlen, newpass, newlen, kdf) <
	    0) {
		rc = cli_fail();
		goto done;
	}
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_bool(&w, "changed", 1);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("passphrase changed; a running unlock agent keeps "
		       "working\n");
	}
	rc = EXIT_OK;
done:
	cli_passphrase_free(oldpass);
	cli_passphrase_free(newpass);
	return rc;
}

const struct cli_cmd cmd_passwd = {
	.name = "passwd",
	.usage = "tsm passwd [--kdf COST]",
	.summary = "change the store's passphrase",
	.help =
		"Asks for the current passphrase ($TSM_PASSPHRASE_FILE,\n"
		"else the terminal) and a new one\n"
		"($TSM_NEW_PASSPHRASE_FILE, else typed twice), then rewraps\n"
		"the store key atomically. The database is not rewritten,\n"
		"and an unlock agent that holds the key keeps serving it.\n"
		"\n"
		"options:\n"
		"  --kdf COST  Argon2id cost for the new passphrase:\n"
		"              interactive, moderate (default) or sensitive\n",
	.flags = CMD_NEEDS_STORE | CMD_WRITES,
	.exec = passwd_exec,
};
