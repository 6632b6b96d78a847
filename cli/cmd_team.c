/* cli/cmd_team.c — `tsm team create --remote URL` (found a team and publish
 * it) and `tsm team show`. */
#include "cli.h"
#include "jsonw.h"

#include "tsm/sync.h"
#include "tsm/team.h"

#include <getopt.h>
#include <string.h>

extern const struct cli_cmd cmd_team;

static int team_create(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"remote", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *remote = NULL, *name = NULL;
	tsm_sync_report rep;
	tsm_team_info info;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			remote = optarg;
		else if (c == 'n')
			name = optarg;
		else
			return cli_usage(&cmd_team, "unknown option '%s'",
					 argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage(&cmd_team, "unexpected argument '%s'",
				 argv[optind]);
	if (remote == NULL)
		return cli_usage(&cmd_team, "--remote URL is required");
	if (tsm_team_create(ctx->store, remote, name) < 0)
		return cli_fail();
	if (tsm_team_info_get(&info, ctx->store) < 0)
		return cli_fail();
	/* Publish now when the remote can be reached. */
	err = tsm_sync(&rep, ctx->store, NULL);
	tsm_sync_report_dispose(&rep);
	if (ctx->json) {
		jsonw w;

		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "team", info.team);
		jw_kv_string(&w, "remote", info.remote);
		jw_kv_bool(&w, "published", err == 0);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("founded team %s with central repository %s\n",
		       info.team, info.remote);
	}
	if (err < 0)
		cli_error("warning: not published yet (%s); run 'tsm sync' "
			  "when the remote can be reached",
			  tsm_error_last()->message);
	return EXIT_OK;
}

static int team_show(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_team_info info;

	if (argc > 1)
		return cli_usage(&cmd_team, "unexpected argument '%s'",
				 argv[1]);
	if (tsm_team_info_get(&info, ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jsonw w;

		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "team", info.team);
		jw_kv_string(&w, "remote", info.remote);
		jw_kv_string(&w, "role", info.role[0] ? info.role : NULL);
		jw_kv_bool(&w, "admitted", info.admitted);
		jw_kv_int(&w, "roster_version", (int64_t)info.roster_version);
		jw_kv_int(&w, "members", (int64_t)info.members);
		jw_end_object(&w);
		jw_finish(&w);
		return EXIT_OK;
	}
	printf("team:      %s\n", info.team);
	printf("remote:    %s\n", info.remote);
	printf("role:      %s\n",
	       info.admitted ? info.role : "(waiting for admission)");
	printf("roster:    version %llu, %zu member%s\n",
	       (unsigned long long)info.roster_version, info.members,
	       info.members == 1 ? "" : "s");
	return EXIT_OK;
}

static int team_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_team, NULL);
	if (strcmp(argv[1], "create") == 0)
		return team_create(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return team_show(ctx, argc - 1, argv + 1);
	return cli_usage(&cmd_team, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_team = {
	.name = "team",
	.usage = "tsm team create --remote URL [--name NAME]\n"
		 "tsm team show [--json]",
	.summary = "found a team around a central git repository",
	.help = "create: this member becomes the team's founding manager and\n"
		"the root of trust: the roster is signed with this site's key\n"
		"and the new team key is sealed to it. URL is any git remote\n"
		"libgit2 reaches: a path to a bare repository, git://host/repo,\n"
		"ssh://user@host/path (keys: $TSM_SSH_KEY, the ssh agent, or\n"
		"~/.ssh/id_*; the host must be in ~/.ssh/known_hosts). The team\n"
		"is published at once when the remote can be reached, else by\n"
		"the next 'tsm sync'.\n"
		"\n"
		"show: the team id, remote, this member's role and the roster.\n",
	.flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
	.exec = team_exec,
};
