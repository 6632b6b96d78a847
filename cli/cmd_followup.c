/* cli/cmd_followup.c — `tsm followup list|add|done|reschedule`: callbacks,
 * follow-ups and revisits on the own list (or a member's, or the team's),
 * with the revisits the policy makes due for signed clients. */
#include "callview.h"
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/customer.h"
#include "tsm/followup.h"
#include "tsm/phone.h"
#include "tsm/when.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_followup;

static int small_int(const char *s, int max)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > max)
		return -1;
	return (int)v;
}

/* ---- add ---- */

static int followup_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"due", required_argument, NULL, 'd'},
	    {"kind", required_argument, NULL, 'k'},
	    {"note", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	tsm_followup_new f = TSM_FOLLOWUP_NEW_INIT;
	char id[TSM_FOLLOWUP_ID_MAX], t[TSM_WHEN_FORMAT_MAX];
	const char *due = NULL, *kind = NULL;
	jsonw w;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			due = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'n':
			f.note = optarg;
			break;
		default:
			return cli_option_error(&cmd_followup, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(&cmd_followup, "followup add needs a "
						"CUSTOMER");
	if (optind + 1 < argc)
		return cli_usage(&cmd_followup, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (due == NULL)
		return cli_usage(&cmd_followup,
				 "followup add needs --due WHEN");
	if (kind) {
		f.kind = tsm_followup_kind_lookup(kind);
		if (f.kind < 0) {
			cli_error("unknown kind '%s'; expected callback, "
				  "followup or revisit",
				  kind);
			return EXIT_ERR;
		}
	}
	if (tsm_followup_parse_due(&f.due, due) < 0)
		return cli_fail();
	if (tsm_followup_add(id, ctx->store, argv[optind], &f) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "id", id);
		jw_kv_string(&w, "kind", tsm_followup_kind_name(f.kind));
		jw_time(&w, "due", f.due);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("follow-up %s (%s) due %s\n", id,
		       tsm_followup_kind_name(f.kind),
		       cv_time(t, sizeof(t), f.due));
	}
	return EXIT_OK;
}

/* ---- done and reschedule ---- */

static int followup_done(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"satisfaction", required_argument, NULL, 's'},
	    {"feedback", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	const char *feedback = NULL;
	char id[TSM_FOLLOWUP_ID_MAX];
	int c, sat = 0;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sat = small_int(optarg, 5);
			if (sat < 0) {
				cli_error("invalid satisfaction '%s': "
					  "expected 1 to 5",
					  optarg);
				return EXIT_ERR;
			}
			break;
		case 'f':
			feedback = optarg;
			break;
		default:
			return cli_option_error(&cmd_followup, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(&cmd_followup, "followup done needs an ID");
	if (optind + 1 < argc)
		return cli_usage(&cmd_followup, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (tsm_followup_done(id, ctx->store, argv[optind], sat, feedback) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "id", id);
		jw_kv_bool(&w, "done", 1);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("follow-up %s done\n", id);
	}
	return EXIT_OK;
}

static int followup_reschedule(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"due", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *due = NULL;
	char id[TSM_FOLLOWUP_ID_MAX], t[TSM_WHEN_FORMAT_MAX];
	int64_t ms;
	int c;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'd')
			return cli_option_error(&cmd_followup, c, argv);
		due = optarg;
	}
	if (optind >= argc)
		return cli_usage(&cmd_followup, "followup reschedule needs an "
						"ID");
	if (optind + 1 < argc)
		return cli_usage(&cmd_followup, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (due == NULL)
		return cli_usage(&cmd_followup, "followup reschedule needs "
						"--due WHEN");
	if (tsm_followup_parse_due(&ms, due) < 0)
		return cli_fail();
	if (tsm_followup_reschedule(id, ctx->store, argv[optind], ms) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "id", id);
		jw_time(&w, "due", ms);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("follow-up %s due %s\n", id, cv_time(t, sizeof(t), ms));
	}
	return EXIT_OK;
}

/* ---- list ---- */

static void list_json(const tsm_followup *v, size_t n, int64_t now)
{
	size_t i;
	jsonw w;

	jw_init(&w, stdout);
	jw_array(&w);
	for (i = 0; i < n; i++) {
		jw_object(&w);
		jw_kv_string(&w, "id", v[i].id);
		jw_kv_string(&w, "kind", tsm_followup_kind_name(v[i].kind));
		jw_time(&w, "due", v[i].due);
		jw_kv_bool(&w, "overdue", !v[i].done && v[i].due < now);
		jw_kv_string(&w, "customer", v[i].customer);
		jw_kv_string(&w, "customer_name", v[i].customer_name);
		jw_kv_string(&w, "phone", v[i].phone);
		jw_kv_string(&w, "owner", v[i].owner);
		jw_kv_string(&w, "note", v[i].note);
		jw_kv_bool(&w, "done", v[i].done);
		jw_time(&w, "done_at", v[i].done_at);
		jw_kv_string(&w, "done_by", v[i].done_by);
		jw_key(&w, "satisfaction");
		if (v[i].satisfaction)
			jw_int(&w, v[i].satisfaction);
		else
			jw_null(&w);
		jw_kv_string(&w, "feedback", v[i].feedback);
		jw_kv_string(&w, "created_by", v[i].created_by);
		jw_kv_bool(&w, "computed", v[i].computed);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_finish(&w);
}

static int list_text(const tsm_followup *v, size_t n, int64_t now,
		     int show_owner)
{
	char t[TSM_WHEN_FORMAT_MAX], disp[TSM_PHONE_DISPLAY_MAX];
	struct cli_table *tb = cli_table_new();
	size_t i;
	int err;

	if (tb == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(tb, "ID", TSM_TEXT_LEFT, 0);
	cli_table_column(tb, "DUE", TSM_TEXT_LEFT, 0);
	cli_table_column(tb, "STATE", TSM_TEXT_LEFT, 0);
	cli_table_column(tb, "KIND", TSM_TEXT_LEFT, 0);
	cli_table_column(tb, "CUSTOMER", TSM_TEXT_LEFT, 24);
	cli_table_column(tb, "PHONE", TSM_TEXT_LEFT, 0);
	if (show_owner)
		cli_table_column(tb, "OWNER", TSM_TEXT_LEFT, 16);
	cli_table_column(tb, "NOTE", TSM_TEXT_LEFT, 40);
	for (i = 0; i < n; i++) {
		cli_table_cell(tb, v[i].id);
		cli_table_cell(tb, cv_time(t, sizeof(t), v[i].due));
		cli_table_cell(tb, v[i].done	    ? "done"
				   : v[i].due < now ? "overdue"
						    : "open");
		cli_table_cell(tb, tsm_followup_kind_name(v[i].kind));
		cli_table_cell(tb, v[i].customer_name ? v[i].customer_name
						      : v[i].customer);
		if (v[i].phone &&
		    tsm_phone_format(disp, sizeof(disp), v[i].phone) == 0)
			cli_table_cell(tb, disp);
		else
			cli_table_cell(tb, v[i].phone);
		if (show_owner)
			cli_table_cell(tb, v[i].owner);
		cli_table_cell(tb, v[i].computed ? "(revisit by policy)"
						 : v[i].note);
	}
	if (n == 0) {
		cli_table_free(tb);
		printf("no follow-ups\n");
		return EXIT_OK;
	}
	err = cli_table_print(tb, stdout);
	cli_table_free(tb);
	if (err < 0) {
		cli_error("cannot print the table");
		return EXIT_ERR;
	}
	return EXIT_OK;
}

static int followup_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"due", required_argument, NULL, 'd'},
	    {"mine", no_argument, NULL, 'm'},
	    {"member", required_argument, NULL, 'M'},
	    {"team", no_argument, NULL, 't'},
	    {"done", no_argument, NULL, 'D'},
	    {"customer", required_argument, NULL, 'c'},
	    {"limit", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	tsm_followup_filter f = TSM_FOLLOWUP_FILTER_INIT;
	const char *due = NULL, *customer = NULL;
	char cid[TSM_CUSTOMER_ID_MAX];
	tsm_followup *v = NULL;
	int64_t now = tsm_followup_now(), from, to;
	size_t n;
	int c, rc, scopes = 0;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			due = optarg;
			break;
		case 'm':
			f.scope = TSM_FOLLOWUP_MINE;
			scopes++;
			break;
		case 'M':
			f.scope = TSM_FOLLOWUP_MEMBER;
			f.member = optarg;
			scopes++;
			break;
		case 't':
			f.scope = TSM_FOLLOWUP_TEAM;
			scopes++;
			break;
		case 'D':
			f.include_done = 1;
			break;
		case 'c':
			customer = optarg;
			break;
		case 'l':
			rc = small_int(optarg, 1000000);
			if (rc < 0) {
				cli_error("invalid limit '%s'", optarg);
				return EXIT_ERR;
			}
			f.limit = (size_t)rc;
			break;
		default:
			return cli_option_error(&cmd_followup, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_followup, "unexpected argument '%s'",
				 argv[optind]);
	if (scopes > 1)
		return cli_usage(&cmd_followup, "give one of --mine, --member "
						"and --team");
	if (tsm_followup_day(&from, &to, now) < 0)
		return cli_fail();
	/* The default: what is due today, overdue ones included. */
	if (due == NULL) {
		f.due_to = to;
	} else if (strcmp(due, "today") == 0) {
		f.due_from = from;
		f.due_to = to;
	} else if (strcmp(due, "overdue") == 0) {
		f.due_to = now;
		if (f.include_done) {
			cli_error("--due overdue lists open follow-ups only");
			return EXIT_ERR;
		}
	} else if (strcmp(due, "week") == 0) {
		f.due_from = from;
		f.due_to = from + 7 * 24 * 3600 * 1000LL;
	} else if (strcmp(due, "all") != 0) {
		cli_error("invalid --due '%s': expected today, overdue, week "
			  "or all",
			  due);
		return EXIT_ERR;
	}
	if (customer) {
		if (tsm_customer_resolve(cid, ctx->store, customer, 0) < 0)
			return cli_fail();
		f.customer = cid;
	}
	if (tsm_followup_list(&v, &n, ctx->store, &f) < 0)
		return cli_fail();
	if (ctx->json) {
		list_json(v, n, now);
		rc = EXIT_OK;
	} else {
		rc = list_text(v, n, now, f.scope != TSM_FOLLOWUP_MINE);
	}
	tsm_followup_list_free(v, n);
	return rc;
}

static int followup_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_followup, "followup needs a subcommand: "
						"list, add, done or "
						"reschedule");
	if (strcmp(argv[1], "list") == 0)
		return followup_list(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "add") == 0)
		return followup_add(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "done") == 0)
		return followup_done(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "reschedule") == 0)
		return followup_reschedule(ctx, argc - 1, argv + 1);
	return cli_usage(&cmd_followup, "unknown subcommand 'followup %s'",
			 argv[1]);
}

const struct cli_cmd cmd_followup = {
    .name = "followup",
    .usage = "tsm followup list [--due today|overdue|week|all] "
	     "[--mine|--member M|--team]\n"
	     "                   [--done] [--customer C] [--limit N] "
	     "[--json]\n"
	     "tsm followup add CUSTOMER --due WHEN "
	     "[--kind callback|followup|revisit] [--note T]\n"
	     "tsm followup done ID [--satisfaction 1..5] [--feedback T]\n"
	     "tsm followup reschedule ID --due WHEN",
    .summary = "list, add, complete and reschedule follow-ups",
    .help = "list shows open follow-ups on your own list (customers you\n"
	    "own, and those you created that nobody owns), by due time:\n"
	    "without --due those due today and the overdue ones; today =\n"
	    "due today; overdue = due before now; week = today and the six\n"
	    "days after; all = any time. --member M shows M's list and\n"
	    "--team every customer you may see (agents: their own and the\n"
	    "ones they created). --done adds the done ones. Signed clients\n"
	    "(stage won) are listed with a revisit due revisit_days (team\n"
	    "policy) after they were won or last revisited; such a computed\n"
	    "revisit has the id rv:CUSTOMER and is not stored until done or\n"
	    "rescheduled.\n"
	    "\n"
	    "add schedules a follow-up (kind followup unless --kind).\n"
	    "done completes one (ID, a unique prefix of 4+ characters, or\n"
	    "rv:CUSTOMER); reschedule moves it (a done one reopens). When\n"
	    "a done and a reschedule are concurrent, done wins.\n"
	    "\n"
	    "WHEN: 2026-12-01, \"2026-12-01 14:30\", \"tomorrow 10:00\", fri,\n"
	    "14:30, +2d. A day before today is refused as a likely typo.\n"
	    "\n"
	    "Exit codes: 0 ok; 1 unknown customer or follow-up, bad time or\n"
	    "value, refused by the rules; 2 usage.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = followup_exec,
};
