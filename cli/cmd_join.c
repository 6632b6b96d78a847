/* cli/cmd_join.c — `tsm join --remote URL --invite CODE`: ask to be admitted
 * to a team with an invite code. */
#include "cli.h"
#include "jsonw.h"

#include "tsm/identity.h"
#include "tsm/team.h"

#include <getopt.h>
#include <string.h>

extern const struct cli_cmd cmd_join;

static int join_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"remote", required_argument, NULL, 'r'},
		{"invite", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	const char *remote = NULL, *code = NULL;
	tsm_identity me;
	tsm_team_info info;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			remote = optarg;
		else if (c == 'i')
			code = optarg;
		else
			return cli_usage(&cmd_join, "unknown option '%s'",
					 argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage(&cmd_join, "unexpected argument '%s'",
				 argv[optind]);
	if (code == NULL)
		return cli_usage(&cmd_join, "--invite CODE is required");
	if (tsm_team_join(ctx->store, remote, code) < 0)
		return cli_fail();
	if (tsm_identity_get(&me, ctx->store) < 0 ||
	    tsm_team_info_get(&info, ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jsonw w;

		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "team", info.team);
		jw_kv_string(&w, "remote", info.remote);
		jw_kv_string(&w, "member", me.member);
		jw_kv_string(&w, "site", me.site);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("asked to join team %s as %s (site %s); a manager's "
		       "next sync admits you, then run 'tsm sync'\n",
		       info.team, me.member, me.site);
	}
	return EXIT_OK;
}

const struct cli_cmd cmd_join = {
	.name = "join",
	.usage = "tsm join [--remote URL] --invite CODE",
	.summary = "ask to join a team with an invite code",
	.help = "Needs a store made by 'tsm init --member ID' where ID is the\n"
		"member the invite is for, not yet in a team. Fetches the\n"
		"team's roster, checks that its founder is the one the code\n"
		"names, and publishes a join request signed by this site. URL\n"
		"defaults to the remote in the code.\n",
	.flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
	.exec = join_exec,
};
