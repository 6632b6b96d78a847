/* cli/cmd_debug.c — `tsm debug`, hidden: the state hash of the materialized
 * state and the op log as canonical JSON, for tests and troubleshooting. */
#include "cli.h"

#include "tsm/ops.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int debug_state_hash(struct cli_ctx *ctx)
{
	char hash[65];

	if (tsm_state_hash(hash, ctx->store) < 0)
		return cli_fail();
	printf("%s\n", hash);
	return EXIT_OK;
}

static int debug_ops(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_op *ops = NULL;
	const char *etype = NULL, *eid = NULL;
	char *json = NULL;
	size_t n, len, i;
	int k;

	for (k = 2; k < argc; k++) {
		if (etype == NULL)
			etype = argv[k];
		else if (eid == NULL)
			eid = argv[k];
		else
			return cli_usage(ctx->cmd, "too many arguments");
	}
	if (ctx->json && etype == NULL) {
		if (tsm_ops_export(&json, &len, ctx->store, NULL, 1, 0,
				   TSM_EXPORT_STATUS) < 0)
			return cli_fail();
		fwrite(json, 1, len, stdout);
		putchar('\n');
		free(json);
		return EXIT_OK;
	}
	if (tsm_ops_list(&ops, &n, ctx->store, etype, eid) < 0)
		return cli_fail();
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			/* One canonical op per line, with its status. */
			if (tsm_ops_export(&json, &len, ctx->store, ops[i].site,
					   ops[i].seq, ops[i].seq,
					   TSM_EXPORT_STATUS) < 0) {
				tsm_ops_list_free(ops, n);
				return cli_fail();
			}
			printf("%.*s\n", (int)(len - 2), json + 1);
			free(json);
			continue;
		}
		printf("%s:%" PRId64 " %016" PRIx64 " %s %s %s %s%s%s%s %s%s%s\n",
		       ops[i].site, ops[i].seq, ops[i].hlc, ops[i].author,
		       ops[i].etype, ops[i].eid, ops[i].action,
		       *ops[i].field ? "(" : "", ops[i].field,
		       *ops[i].field ? ")" : "", ops[i].status,
		       ops[i].reason ? ": " : "",
		       ops[i].reason ? ops[i].reason : "");
	}
	tsm_ops_list_free(ops, n);
	return EXIT_OK;
}

static int debug_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(ctx->cmd, "which debug command?");
	if (strcmp(argv[1], "state-hash") == 0) {
		if (argc > 2)
			return cli_usage(ctx->cmd, "too many arguments");
		return debug_state_hash(ctx);
	}
	if (strcmp(argv[1], "ops") == 0)
		return debug_ops(ctx, argc, argv);
	return cli_usage(ctx->cmd, "unknown debug command '%s'", argv[1]);
}

const struct cli_cmd cmd_debug = {
    .name = "debug",
    .usage = "tsm debug state-hash\n"
	     "tsm debug ops [--json] [ETYPE [EID]]",
    .summary = "show internal state (for tests and troubleshooting)",
    .help = "state-hash  the BLAKE2b hash of the materialized state: "
	    "replicas holding\n"
	    "            the same ops print the same hash\n"
	    "ops         the op log in clock order with each op's status; "
	    "with --json\n"
	    "            the canonical JSON of every op (sorted by site "
	    "and seq)\n",
    .flags = CMD_NEEDS_UNLOCK | CMD_HIDDEN,
    .exec = debug_exec,
};
