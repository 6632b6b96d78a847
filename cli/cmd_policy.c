/* cli/cmd_policy.c — `tsm policy show|set|unset`: the team policy (calling
 * hours, retries, revisits, the effective-call threshold, targets). */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/policy.h"

#include <getopt.h>
#include <string.h>

extern const struct cli_cmd cmd_policy;

static int no_options(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_policy, c, argv);
	return 0;
}

/* Prints the team's policy as a table or JSON. */
static int print_policy(const struct cli_ctx *ctx)
{
	char buf[TSM_POLICY_TEXT_MAX];
	struct cli_table *t;
	tsm_policy p;
	jsonw w;
	int i, rc;

	if (tsm_policy_get(&p, ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "calling_hours", p.calling_hours);
		jw_kv_int(&w, "retry_delay", p.retry_delay_s);
		jw_kv_int(&w, "max_attempts", p.max_attempts);
		jw_kv_int(&w, "revisit_days", p.revisit_days);
		jw_kv_int(&w, "effective_seconds", p.effective_s);
		jw_kv_string(&w, "company_name",
			     p.company_name[0] ? p.company_name : NULL);
		jw_kv_int(&w, "target_dials", p.target_dials);
		jw_kv_int(&w, "target_effective", p.target_effective);
		jw_kv_int(&w, "target_orders", p.target_orders);
		jw_key(&w, "defaults");
		jw_array(&w);
		for (i = 0; i < TSM_POLICY_NFIELDS; i++)
			if (!(p.set & (1u << i)))
				jw_string(&w, tsm_policy_field_name(i));
		jw_end_array(&w);
		jw_end_object(&w);
		jw_finish(&w);
		return EXIT_OK;
	}
	t = cli_table_new();
	if (t == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(t, "FIELD", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "VALUE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	for (i = 0; i < TSM_POLICY_NFIELDS; i++) {
		if (tsm_policy_format(buf, sizeof(buf), &p, i) < 0)
			buf[0] = '\0';
		cli_table_cell(t, tsm_policy_field_name(i));
		cli_table_cell(t, buf[0] ? buf : "-");
		cli_table_cell(t, p.set & (1u << i) ? "" : "(default)");
	}
	rc = cli_table_print(t, stdout) < 0 ? cli_fail() : EXIT_OK;
	cli_table_free(t);
	return rc;
}

static int policy_show(struct cli_ctx *ctx, int argc, char **argv)
{
	int rc;

	if ((rc = no_options(argc, argv)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage(&cmd_policy, "unexpected argument '%s'",
				 argv[optind]);
	return print_policy(ctx);
}

static int policy_set(struct cli_ctx *ctx, int argc, char **argv, int unset)
{
	int rc;

	if ((rc = no_options(argc, argv)) != 0)
		return rc;
	if (argc - optind != (unset ? 1 : 2))
		return cli_usage(&cmd_policy, unset ? "policy unset takes FIELD"
						    : "policy set takes FIELD "
						      "VALUE");
	if (tsm_policy_field_lookup(argv[optind]) < 0) {
		cli_error("unknown policy field '%s'; see 'tsm help policy'",
			  argv[optind]);
		return EXIT_ERR;
	}
	rc = unset ? tsm_policy_unset(ctx->store, argv[optind])
		   : tsm_policy_set(ctx->store, argv[optind], argv[optind + 1]);
	if (rc < 0)
		return cli_fail();
	if (ctx->json)
		return print_policy(ctx);
	printf("%s %s\n", argv[optind],
	       unset ? "is back to its default" : "set");
	return EXIT_OK;
}

static int policy_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_policy, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "show") == 0)
		return policy_show(ctx, argc, argv);
	if (strcmp(sub, "set") == 0)
		return policy_set(ctx, argc, argv, 0);
	if (strcmp(sub, "unset") == 0)
		return policy_set(ctx, argc, argv, 1);
	return cli_usage(&cmd_policy, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_policy = {
    .name = "policy",
    .usage = "tsm policy show [--json]\n"
	     "tsm policy set FIELD VALUE\n"
	     "tsm policy unset FIELD",
    .summary = "show or set the team policy",
    .help =
	"The team policy syncs like all team data; only managers set it.\n"
	"\n"
	"fields:\n"
	"  calling_hours      when agents may call; default\n"
	"                     \"mon-fri 09:00-12:00,13:30-18:00\"; rules\n"
	"                     \"DAYS HH:MM-HH:MM,...\" joined by ';'\n"
	"  retry_delay        wait before redialing a no-answer or busy\n"
	"                     number: 2h, 30m, 90s, 1d, 1h30m; default 2h\n"
	"  max_attempts       unanswered dials before a lead is left\n"
	"                     alone; default 5\n"
	"  revisit_days       days between revisits of signed clients;\n"
	"                     default 30\n"
	"  effective_seconds  a connected call at least this long is an\n"
	"                     effective conversation; default 60\n"
	"  company_name       {company.name} in call scripts (\"\" clears)\n"
	"  target_dials, target_effective, target_orders\n"
	"                     daily targets per agent; 0 = none\n"
	"\n"
	"unset returns a field to its default. show --json gives every\n"
	"value (retry_delay in seconds) and \"defaults\": the fields the\n"
	"team has not set.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = policy_exec,
};
