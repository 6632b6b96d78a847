/* cli/cmd_member.c — `tsm member invite ID --role ROLE` (prints a one-time
 * invite code) and `tsm member list`. */
#include "cli.h"
#include "jsonw.h"
#include "table.h"

#include "tsm/team.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_member;

static int member_invite(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},
		{"days", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	const char *role = NULL, *name = NULL, *member = NULL;
	char *code = NULL, *end;
	long days = 7;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			role = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || days < 1 || days > 365)
				return cli_usage(&cmd_member,
						 "--days takes 1 to 365");
			break;
		default:
			return cli_usage(&cmd_member, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_member, "invite takes one member ID");
	member = argv[optind];
	if (role == NULL)
		return cli_usage(&cmd_member, "--role is required");
	if (tsm_member_invite(&code, ctx->store, member, role, name,
			      (int64_t)days * 86400) < 0)
		return cli_fail();
	if (ctx->json) {
		jsonw w;

		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "member", member);
		jw_kv_string(&w, "role", role);
		jw_kv_int(&w, "valid_days", days);
		jw_kv_string(&w, "code", code);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("%s\n", code);
	}
	free(code);
	return EXIT_OK;
}

static int member_list(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_member_entry *list = NULL;
	struct cli_table *t;
	size_t n = 0, i;
	int err;

	if (argc > 1)
		return cli_usage(&cmd_member, "unexpected argument '%s'",
				 argv[1]);
	if (tsm_member_list(&list, &n, ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jsonw w;

		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++) {
			jw_object(&w);
			jw_kv_string(&w, "member", list[i].member);
			jw_kv_string(&w, "name", list[i].name);
			jw_kv_string(&w, "role", list[i].role);
			jw_kv_string(&w, "status", list[i].status);
			jw_kv_int(&w, "sites", (int64_t)list[i].sites);
			jw_end_object(&w);
		}
		jw_end_array(&w);
		jw_finish(&w);
		tsm_member_list_free(list);
		return EXIT_OK;
	}
	t = cli_table_new();
	if (t == NULL) {
		tsm_member_list_free(list);
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(t, "MEMBER", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "NAME", TSM_TEXT_LEFT, 30);
	cli_table_column(t, "ROLE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "STATUS", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "SITES", TSM_TEXT_RIGHT, 0);
	for (i = 0; i < n; i++) {
		cli_table_cell(t, list[i].member);
		cli_table_cell(t, list[i].name);
		cli_table_cell(t, list[i].role);
		cli_table_cell(t, list[i].status);
		cli_table_cellf(t, "%zu", list[i].sites);
	}
	err = cli_table_print(t, stdout);
	cli_table_free(t);
	tsm_member_list_free(list);
	if (err < 0) {
		cli_error("cannot print the member list");
		return EXIT_ERR;
	}
	return EXIT_OK;
}

static int member_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_member, NULL);
	if (strcmp(argv[1], "invite") == 0)
		return member_invite(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return member_list(ctx, argc - 1, argv + 1);
	return cli_usage(&cmd_member, "unknown subcommand '%s'", argv[1]);
}

const struct cli_cmd cmd_member = {
	.name = "member",
	.usage = "tsm member invite ID --role ROLE [--name NAME] [--days N]\n"
		 "tsm member list [--json]",
	.summary = "invite members and list the team",
	.help = "invite (managers): prints a one-time code for member ID with\n"
		"ROLE (agent, lead, manager, assistant or auditor), valid for N\n"
		"days (7). Hand it over privately: it carries the secret that\n"
		"admits the holder. The invitee runs 'tsm init --member ID ...'\n"
		"and 'tsm join --remote URL --invite CODE'; your next 'tsm sync'\n"
		"admits them.\n"
		"\n"
		"list: the roster's members with their names, roles and sites;\n"
		"on a manager's replica also the open invites.\n",
	.flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
	.exec = member_exec,
};
