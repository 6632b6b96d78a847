/* cli/cmd_target.c — `tsm target set|list`: monthly targets per member or
 * for the team (dials, effective conversations, orders, revenue). */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/followup.h"
#include "tsm/money.h"
#include "tsm/target.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct cli_cmd cmd_target;

/* The current month (of the store clock) as "YYYY-MM". */
static void this_month(char out[TSM_MONTH_MAX])
{
	int64_t now = tsm_followup_now();
	time_t t = (time_t)(now / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, TSM_MONTH_MAX, "%Y-%m", &tm) == 0)
		snprintf(out, TSM_MONTH_MAX, "1970-01");
}

/* A count: digits only, 0..10^9. */
static int parse_count(int64_t *out, const char *flag, const char *text)
{
	char *end;
	long long v;

	if (*text < '0' || *text > '9') {
		cli_error("invalid %s '%s': expected a whole number", flag,
			  text);
		return -1;
	}
	v = strtoll(text, &end, 10);
	if (*end != '\0' || v > 1000000000LL) {
		cli_error("invalid %s '%s': expected a whole number up to "
			  "1000000000",
			  flag, text);
		return -1;
	}
	*out = v;
	return 0;
}

static void target_json(jsonw *w, const tsm_target *t)
{
	int f;

	jw_object(w);
	jw_kv_string(w, "month", t->month);
	jw_kv_string(w, "member", t->member[0] ? t->member : NULL);
	jw_kv_bool(w, "team", t->member[0] == '\0');
	for (f = 0; f < TSM_TARGET_NFIELDS; f++) {
		jw_key(w, tsm_target_field_name(f));
		if (t->v[f] > 0)
			jw_int(w, t->v[f]);
		else
			jw_null(w);
	}
	jw_kv_string(w, "updated_by", t->author[0] ? t->author : NULL);
	jw_key(w, "updated_at");
	if (t->updated_at > 0)
		jw_int(w, t->updated_at);
	else
		jw_null(w);
	jw_end_object(w);
}

static int target_set(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"member", required_argument, NULL, 'm'},
	    {"team", no_argument, NULL, 't'},
	    {"month", required_argument, NULL, 'M'},
	    {"calls", required_argument, NULL, 'c'},
	    {"dials", required_argument, NULL, 'c'},
	    {"effective", required_argument, NULL, 'e'},
	    {"orders", required_argument, NULL, 'o'},
	    {"revenue", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	tsm_target_spec spec = TSM_TARGET_SPEC_INIT;
	char month[TSM_MONTH_MAX];
	tsm_target t;
	size_t changed;
	int c, team = 0;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			spec.member = optarg;
			break;
		case 't':
			team = 1;
			break;
		case 'M':
			spec.month = optarg;
			break;
		case 'c':
			if (parse_count(&spec.v[TSM_TARGET_DIALS], "--calls",
					optarg) < 0)
				return EXIT_ERR;
			break;
		case 'e':
			if (parse_count(&spec.v[TSM_TARGET_EFFECTIVE],
					"--effective", optarg) < 0)
				return EXIT_ERR;
			break;
		case 'o':
			if (parse_count(&spec.v[TSM_TARGET_ORDERS], "--orders",
					optarg) < 0)
				return EXIT_ERR;
			break;
		case 'r':
			if (tsm_money_parse_yuan(&spec.v[TSM_TARGET_REVENUE],
						 optarg) < 0)
				return cli_fail();
			break;
		default:
			return cli_option_error(&cmd_target, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_target, "unexpected argument '%s'",
				 argv[optind]);
	if ((spec.member != NULL) == team)
		return cli_usage(&cmd_target,
				 "target set needs --member M or --team");
	if (spec.month == NULL) {
		this_month(month);
		spec.month = month;
	}
	if (tsm_target_set(&changed, ctx->store, &spec) < 0)
		return cli_fail();
	if (tsm_target_get(&t, ctx->store, spec.member, spec.month) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		target_json(&w, &t);
		jw_finish(&w);
		return EXIT_OK;
	}
	if (changed == 0)
		printf("the %s target for %s is unchanged\n", t.month,
		       team ? "the team" : t.member);
	else
		printf("set %zu field%s of the %s target for %s\n", changed,
		       changed == 1 ? "" : "s", t.month,
		       team ? "the team" : t.member);
	return EXIT_OK;
}

static int target_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"month", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	char money[TSM_MONEY_FORMAT_MAX];
	const char *month = NULL;
	struct cli_table *tab;
	tsm_target *list;
	size_t n, i;
	int c, f, rc;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'M')
			return cli_option_error(&cmd_target, c, argv);
		month = optarg;
	}
	if (optind < argc)
		return cli_usage(&cmd_target, "unexpected argument '%s'",
				 argv[optind]);
	if (tsm_target_list(&list, &n, ctx->store, month) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++)
			target_json(&w, &list[i]);
		jw_end_array(&w);
		jw_finish(&w);
		tsm_target_list_free(list, n);
		return EXIT_OK;
	}
	if (n == 0) {
		printf("no targets%s%s\n", month ? " for " : "",
		       month ? month : "");
		tsm_target_list_free(list, n);
		return EXIT_OK;
	}
	tab = cli_table_new();
	if (tab == NULL) {
		tsm_target_list_free(list, n);
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(tab, "MONTH", TSM_TEXT_LEFT, 0);
	cli_table_column(tab, "FOR", TSM_TEXT_LEFT, 24);
	cli_table_column(tab, "DIALS", TSM_TEXT_RIGHT, 0);
	cli_table_column(tab, "EFFECTIVE", TSM_TEXT_RIGHT, 0);
	cli_table_column(tab, "ORDERS", TSM_TEXT_RIGHT, 0);
	cli_table_column(tab, "REVENUE", TSM_TEXT_RIGHT, 0);
	for (i = 0; i < n; i++) {
		cli_table_cell(tab, list[i].month);
		cli_table_cell(tab,
			       list[i].member[0] ? list[i].member : "(team)");
		for (f = 0; f < TSM_TARGET_REVENUE; f++) {
			if (list[i].v[f] > 0)
				cli_table_cellf(tab, "%lld",
						(long long)list[i].v[f]);
			else
				cli_table_cell(tab, "-");
		}
		if (list[i].v[TSM_TARGET_REVENUE] > 0 &&
		    tsm_money_format(money, sizeof(money),
				     list[i].v[TSM_TARGET_REVENUE]) >= 0)
			cli_table_cell(tab, money);
		else
			cli_table_cell(tab, "-");
	}
	rc = cli_table_print(tab, stdout) < 0 ? cli_fail() : EXIT_OK;
	cli_table_free(tab);
	tsm_target_list_free(list, n);
	return rc;
}

static int target_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_target, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "set") == 0)
		return target_set(ctx, argc, argv);
	if (strcmp(sub, "list") == 0)
		return target_list(ctx, argc, argv);
	return cli_usage(&cmd_target, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_target = {
    .name = "target",
    .usage = "tsm target set (--member M | --team) [--month YYYY-MM] "
	     "[--calls N]\n"
	     "                [--effective N] [--orders N] "
	     "[--revenue YUAN]\n"
	     "tsm target list [--month YYYY-MM] [--json]",
    .summary = "set or list monthly targets",
    .help = "Monthly targets per member or for the whole team, synced as\n"
	    "team data; only managers set them. --month defaults to the\n"
	    "current month. --calls (or --dials) counts calls logged,\n"
	    "--effective effective conversations, --orders orders\n"
	    "recorded, --revenue their amounts in yuan (\"12,000.50\").\n"
	    "A value of 0 removes that target; fields not given stay as\n"
	    "they are. Reports show completion month to date; without a\n"
	    "team target the team's is the sum of its members' targets.\n"
	    "\n"
	    "Agents list the team's targets and their own; everyone else\n"
	    "lists all. --json gives revenue in fen (revenue_fen) and null\n"
	    "for a target not set.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = target_exec,
};
