/* cli/main.c — the tsm program: global options, the command table, setup a
 * command needs (store directory, unlock) and the exit code. */
#include "cli.h"

#include "tsm/ops.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_help;
extern const struct cli_cmd cmd_init, cmd_unlock, cmd_lock, cmd_passwd,
	cmd_status, cmd_check;
extern const struct cli_cmd cmd_team, cmd_member, cmd_join, cmd_sync;
extern const struct cli_cmd cmd_audit;
extern const struct cli_cmd cmd_debug;
extern const struct cli_cmd cmd_customer, cmd_dnc, cmd_policy;
extern const struct cli_cmd cmd_import, cmd_assign;
extern const struct cli_cmd cmd_script, cmd_order, cmd_product;
extern const struct cli_cmd cmd_review, cmd_target, cmd_report;
extern const struct cli_cmd cmd_call, cmd_dial, cmd_followup, cmd_today;

/* The command table, in the order `tsm --help` lists them. */
const struct cli_cmd *const cli_commands[] = {
	&cmd_init,
	&cmd_unlock,
	&cmd_lock,
	&cmd_passwd,
	&cmd_status,
	&cmd_check,
	&cmd_team,
	&cmd_member,
	&cmd_join,
	&cmd_sync,
	&cmd_customer,
	&cmd_import,
	&cmd_assign,
	&cmd_dnc,
	&cmd_policy,
	&cmd_script,
	&cmd_order,
	&cmd_product,
	&cmd_review,
	&cmd_target,
	&cmd_report,
	&cmd_call,
	&cmd_dial,
	&cmd_followup,
	&cmd_today,
	&cmd_audit,
	&cmd_debug,
	&cmd_help,
	NULL,
};

static const struct cli_cmd *find_command(const char *name)
{
	int i;

	for (i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

static void main_usage(FILE *f)
{
	int i;

	fprintf(f, "usage: tsm [-C DIR] [--json] COMMAND [ARGS]\n"
		   "       tsm help COMMAND | tsm COMMAND --help | tsm --version\n"
		   "\ncommands:\n");
	for (i = 0; cli_commands[i]; i++) {
		if (cli_commands[i]->flags & CMD_HIDDEN)
			continue;
		fprintf(f, "  %-10s %s\n", cli_commands[i]->name,
			cli_commands[i]->summary);
	}
	fprintf(f, "\nThe store directory is -C DIR, else $TSM_HOME, else "
		   "$XDG_DATA_HOME/tsm.\n"
		   "Exit codes: 0 ok, 1 error, 2 usage, 3 locked or wrong "
		   "passphrase, 4 needs review.\n");
}

static int help_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *cmd;

	if (argc < 2) {
		main_usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		cli_error("unknown command '%s'; see 'tsm --help'", argv[1]);
		return EXIT_USAGE;
	}
	cli_help(cmd);
	return EXIT_OK;
}

const struct cli_cmd cmd_help = {
	.name = "help",
	.usage = "tsm help [COMMAND]",
	.summary = "show help for tsm or one command",
	.flags = 0,
	.exec = help_exec,
};

/* The store directory: -C, else $TSM_HOME, else $XDG_DATA_HOME/tsm, else
 * ~/.local/share/tsm. */
static const char *store_dir(const char *opt)
{
	static char buf[PATH_MAX];
	const char *v;

	if (opt)
		return opt;
	if ((v = getenv("TSM_HOME")) && *v)
		return v;
	if ((v = getenv("XDG_DATA_HOME")) && *v) {
		snprintf(buf, sizeof(buf), "%s/tsm", v);
		return buf;
	}
	if ((v = getenv("HOME")) && *v) {
		snprintf(buf, sizeof(buf), "%s/.local/share/tsm", v);
		return buf;
	}
	return ".tsm";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli_ctx ctx = {0};
	const char *dir_opt = NULL;
	tsm_key *key = NULL;
	const char *v;
	int c, rc;

	if (tsm_init() < 0) {
		cli_error("%s", tsm_error_last()->message);
		return EXIT_ERR;
	}
	/* A fixed clock for tests and reproducible demos. */
	v = getenv("TSM_NOW");
	if (v && *v) {
		int64_t now;

		if (tsm_clock_parse(&now, v) < 0) {
			cli_error("TSM_NOW: %s", tsm_error_last()->message);
			return EXIT_USAGE;
		}
		tsm_clock_set_now(now);
	}
	/* "+" stops at the first non-option: the command's own flags follow. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+C:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			dir_opt = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'h':
			main_usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("tsm %s\n", tsm_version());
			return EXIT_OK;
		default:
			if (optopt == 'C')
				cli_error("option -C needs a directory");
			else
				cli_error("unknown option '%s'",
					  argv[optind - 1]);
			main_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	ctx.cmd = find_command(argv[optind]);
	if (ctx.cmd == NULL) {
		cli_error("unknown command '%s'; see 'tsm --help'",
			  argv[optind]);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (cli_wants_help(argc, argv)) {
		cli_help(ctx.cmd);
		return EXIT_OK;
	}
	/* --json may also follow the command name, as users type it. */
	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--") == 0)
			break;
		if (strcmp(argv[c], "--json") == 0) {
			ctx.json = 1;
			memmove(&argv[c], &argv[c + 1],
				(size_t)(argc - c) * sizeof(*argv));
			argc--;
			c--;
		}
	}
	ctx.dir = store_dir(dir_opt);
	if ((ctx.cmd->flags & (CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK)) &&
	    !tsm_store_exists(ctx.dir)) {
		cli_error("no store in '%s'; run 'tsm init' first", ctx.dir);
		return EXIT_ERR;
	}
	if (ctx.cmd->flags & CMD_NEEDS_UNLOCK) {
		if (cli_obtain_key(&key, ctx.dir) < 0)
			return cli_fail();
		rc = tsm_store_open(&ctx.store, ctx.dir, key);
		tsm_key_free(key);
		if (rc < 0)
			return cli_fail();
	}
	optind = 0; /* reset getopt for the command */
	rc = ctx.cmd->exec(&ctx, argc, argv);
	tsm_store_free(ctx.store);
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		cli_error("cannot write output");
		rc = EXIT_ERR;
	}
	return rc;
}
