/* cli/cmd_check.c — `tsm check`: reads and authenticates every page of the
 * store and runs SQLite's integrity check. */
#include "cli.h"
#include "jsonw.h"

extern const struct cli_cmd cmd_check;

static int check_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	jsonw w;

	if (argc > 1)
		return cli_usage(&cmd_check, "unexpected argument '%s'",
				 argv[1]);
	if (tsm_store_check(ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_bool(&w, "ok", 1);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("ok: every page authenticates and the database is "
		       "consistent\n");
	}
	return EXIT_OK;
}

const struct cli_cmd cmd_check = {
	.name = "check",
	.usage = "tsm check [--json]",
	.summary = "verify every page of the store",
	.help =
		"Reads every page of the store, checking that each one\n"
		"decrypts and authenticates, then runs SQLite's integrity\n"
		"check. A failure names the first bad page and exits 1.\n",
	.flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK,
	.exec = check_exec,
};
