/* cli/cmd_call.c — `tsm call next` (who to call now, with the card and the
 * script) and `tsm call log` (what happened on a call: outcome, talk time,
 * note, follow-up, order, revisit feedback), all through the op log. */
#include "callview.h"
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/call.h"
#include "tsm/followup.h"
#include "tsm/money.h"
#include "tsm/when.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_call;

/* ---- call next ---- */

static int call_next(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"any-time", no_argument, NULL, 'a'},
	    {"script", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	tsm_call_next_opts o = TSM_CALL_NEXT_OPTS_INIT;
	tsm_call_next n;
	const char *script = NULL;
	char msg[512];
	jsonw w;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.any_time = 1;
			break;
		case 's':
			script = optarg;
			break;
		default:
			return cli_option_error(&cmd_call, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_call, "unexpected argument '%s'",
				 argv[optind]);
	if ((rc = cv_script_check(ctx->store, script)) != 0)
		return rc;
	if (tsm_call_next_get(&n, ctx->store, &o) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		if ((rc = cv_json_next(&w, ctx->store, &n, script)) != 0)
			return rc;
		jw_finish(&w);
		return EXIT_OK;
	}
	if (n.why == TSM_NEXT_NONE) {
		cv_nothing(msg, sizeof(msg), &n);
		printf("%s\n", msg);
		return EXIT_OK;
	}
	rc = cv_print_card(stdout, ctx->store, &n, script);
	return rc == 0 ? EXIT_OK : rc;
}

/* ---- call log ---- */

enum {
	OPT_OUTCOME = 1000,
	OPT_DURATION,
	OPT_NOTE,
	OPT_FOLLOWUP,
	OPT_FOLLOWUP_NOTE,
	OPT_AT,
	OPT_SERVICE,
	OPT_AMOUNT,
	OPT_TERM,
	OPT_START,
	OPT_ORDER_NOTE,
	OPT_SATISFACTION,
	OPT_FEEDBACK,
	OPT_COMPLAINT
};

static const struct option log_opts[] = {
    {"outcome", required_argument, NULL, OPT_OUTCOME},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"note", required_argument, NULL, OPT_NOTE},
    {"followup", required_argument, NULL, OPT_FOLLOWUP},
    {"followup-note", required_argument, NULL, OPT_FOLLOWUP_NOTE},
    {"at", required_argument, NULL, OPT_AT},
    {"service", required_argument, NULL, OPT_SERVICE},
    {"amount", required_argument, NULL, OPT_AMOUNT},
    {"term", required_argument, NULL, OPT_TERM},
    {"start", required_argument, NULL, OPT_START},
    {"order-note", required_argument, NULL, OPT_ORDER_NOTE},
    {"satisfaction", required_argument, NULL, OPT_SATISFACTION},
    {"feedback", required_argument, NULL, OPT_FEEDBACK},
    {"complaint", required_argument, NULL, OPT_COMPLAINT},
    {NULL, 0, NULL, 0},
};

/* Parses a small positive integer (1..max); -1 when malformed. */
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

/* Prints what a logged call did, in text or JSON. */
static void print_logged(struct cli_ctx *ctx, const tsm_call_entry *e,
			 const tsm_call_logged *r, const char *name)
{
	char t[TSM_WHEN_FORMAT_MAX];
	size_t i, k;
	jsonw w;

	k = r->ndone < TSM_CALL_DONE_MAX ? r->ndone : TSM_CALL_DONE_MAX;
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "call", r->call);
		jw_kv_string(&w, "customer", r->customer);
		jw_kv_string(&w, "outcome", tsm_call_outcome_name(e->outcome));
		jw_time(&w, "at", r->at);
		jw_kv_int(&w, "duration_s", e->duration_s);
		jw_kv_bool(&w, "connected", !!(r->flags & TSM_CALL_CONNECTED));
		jw_kv_bool(&w, "effective", !!(r->flags & TSM_CALL_EFFECTIVE));
		jw_kv_bool(&w, "interested",
			   !!(r->flags & TSM_CALL_INTERESTED));
		jw_kv_bool(&w, "sale", !!(r->flags & TSM_CALL_SALE));
		jw_kv_bool(&w, "dnc_request", !!(r->flags & TSM_CALL_DNC));
		jw_kv_bool(&w, "revisit", !!(r->flags & TSM_CALL_REVISIT));
		jw_kv_string(&w, "stage_before", r->stage_before);
		jw_kv_string(&w, "stage", r->stage);
		jw_key(&w, "followup");
		if (r->followup[0]) {
			jw_object(&w);
			jw_kv_string(&w, "id", r->followup);
			jw_kv_string(&w, "kind",
				     tsm_followup_kind_name(r->followup_kind));
			jw_time(&w, "due", r->followup_due);
			jw_end_object(&w);
		} else {
			jw_null(&w);
		}
		jw_kv_string(&w, "order", r->order[0] ? r->order : NULL);
		jw_key(&w, "completed");
		jw_array(&w);
		for (i = 0; i < k; i++)
			jw_string(&w, r->done[i]);
		jw_end_array(&w);
		jw_kv_bool(&w, "dnc", r->dnc_set);
		jw_end_object(&w);
		jw_finish(&w);
		return;
	}
	printf("logged %s for %s (%s)", tsm_call_outcome_name(e->outcome), name,
	       r->customer);
	if (e->duration_s > 0) {
		printf(", ");
		cv_put_talk(stdout, e->duration_s);
	}
	if (r->flags & TSM_CALL_EFFECTIVE)
		printf(", effective");
	printf("\n");
	if (strcmp(r->stage, r->stage_before) != 0)
		printf("stage: %s -> %s\n", r->stage_before, r->stage);
	for (i = 0; i < k; i++)
		printf("follow-up %s done\n", r->done[i]);
	if (r->order[0])
		printf("order %s recorded\n", r->order);
	if (r->followup[0])
		printf("follow-up %s (%s) due %s\n", r->followup,
		       tsm_followup_kind_name(r->followup_kind),
		       cv_time(t, sizeof(t), r->followup_due));
	else if (e->outcome == TSM_OUTCOME_CALLBACK)
		fprintf(stderr, "tsm: note: no follow-up set; use --followup "
				"WHEN to schedule the callback\n");
	if (r->dnc_set)
		printf("%s is now on the do-not-call list\n", r->customer);
}

static int call_log(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_call_entry e = TSM_CALL_ENTRY_INIT;
	tsm_call_logged r;
	tsm_customer *cust = NULL;
	const char *outcome = NULL, *followup = NULL, *at = NULL;
	const char *amount = NULL, *term = NULL, *satisfaction = NULL;
	const char *duration = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":", log_opts, NULL)) != -1) {
		switch (c) {
		case OPT_OUTCOME:
			outcome = optarg;
			break;
		case OPT_DURATION:
			duration = optarg;
			break;
		case OPT_NOTE:
			e.note = optarg;
			break;
		case OPT_FOLLOWUP:
			followup = optarg;
			break;
		case OPT_FOLLOWUP_NOTE:
			e.followup_note = optarg;
			break;
		case OPT_AT:
			at = optarg;
			break;
		case OPT_SERVICE:
			e.service = optarg;
			break;
		case OPT_AMOUNT:
			amount = optarg;
			break;
		case OPT_TERM:
			term = optarg;
			break;
		case OPT_START:
			e.start = optarg;
			break;
		case OPT_ORDER_NOTE:
			e.order_note = optarg;
			break;
		case OPT_SATISFACTION:
			satisfaction = optarg;
			break;
		case OPT_FEEDBACK:
			e.feedback = optarg;
			break;
		case OPT_COMPLAINT:
			e.complaint = optarg;
			break;
		default:
			return cli_option_error(&cmd_call, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(&cmd_call, "call log needs a CUSTOMER");
	if (optind + 1 < argc)
		return cli_usage(&cmd_call, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (outcome == NULL)
		return cli_usage(&cmd_call, "call log needs --outcome");
	e.customer = argv[optind];
	/* Values are checked before anything is looked up or written. */
	e.outcome = tsm_call_outcome_lookup(outcome);
	if (e.outcome < 0) {
		cli_error("unknown outcome '%s'; expected one of %s", outcome,
			  tsm_call_outcome_names());
		return EXIT_ERR;
	}
	if (duration && tsm_call_duration_parse(&e.duration_s, duration) < 0)
		return cli_fail();
	if (followup && tsm_followup_parse_due(&e.followup_due, followup) < 0)
		return cli_fail();
	if (at && tsm_when_parse(&e.at, at, tsm_followup_now()) < 0)
		return cli_fail();
	if (amount && tsm_money_parse_yuan(&e.amount_fen, amount) < 0)
		return cli_fail();
	if (term) {
		e.term_months = small_int(term, 1200);
		if (e.term_months < 0) {
			cli_error("invalid term '%s': expected a number of "
				  "months (1 to 1200)",
				  term);
			return EXIT_ERR;
		}
	}
	if (satisfaction) {
		e.satisfaction = small_int(satisfaction, 5);
		if (e.satisfaction < 0) {
			cli_error("invalid satisfaction '%s': expected 1 to 5",
				  satisfaction);
			return EXIT_ERR;
		}
	}
	if (e.outcome == TSM_OUTCOME_ORDER &&
	    (e.service == NULL || amount == NULL))
		return cli_usage(&cmd_call, "--outcome order needs --service "
					    "and --amount");
	if (e.outcome == TSM_OUTCOME_REVISIT_DONE && satisfaction == NULL)
		return cli_usage(&cmd_call, "--outcome revisit-done needs "
					    "--satisfaction 1..5");
	if (tsm_call_log(&r, ctx->store, &e) < 0)
		return cli_fail();
	if (tsm_customer_get(&cust, ctx->store, r.customer, 0) < 0)
		cust = NULL;
	print_logged(ctx, &e, &r,
		     cust && cust->f[TSM_CF_NAME] ? cust->f[TSM_CF_NAME]
						  : r.customer);
	tsm_customer_free(cust);
	rc = EXIT_OK;
	return rc;
}

static int call_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_call, "call needs a subcommand: next or "
					    "log");
	if (strcmp(argv[1], "next") == 0)
		return call_next(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "log") == 0)
		return call_log(ctx, argc - 1, argv + 1);
	return cli_usage(&cmd_call, "unknown subcommand 'call %s'", argv[1]);
}

const struct cli_cmd cmd_call = {
    .name = "call",
    .usage = "tsm call next [--any-time] [--script NAME] [--json]\n"
	     "tsm call log CUSTOMER --outcome O [--duration S|MM:SS] "
	     "[--note T]\n"
	     "             [--followup WHEN [--followup-note T]] "
	     "[--at WHEN] [--json]\n"
	     "             [--service S --amount YUAN [--term M] "
	     "[--start D] [--order-note T]]\n"
	     "             [--satisfaction 1..5 [--feedback T] "
	     "[--complaint T]]",
    .summary = "who to call next; log a call and what it led to",
    .help = "call next picks from your own list (customers you own, and\n"
	    "those you created that nobody owns): due callbacks and\n"
	    "follow-ups first (by due time), then due revisits of signed\n"
	    "clients (the policy's revisit_days after the last one), then\n"
	    "new leads by priority (high, normal, low) and age. It passes\n"
	    "over do-not-call customers, customers outside calling hours in\n"
	    "their own time zone (from the phone's country code; --any-time\n"
	    "ignores the hours), leads whose last call was invalid-number,\n"
	    "leads with max_attempts unanswered calls in a row, and those\n"
	    "whose last unanswered call is less than retry_delay ago\n"
	    "(unanswered: no-answer, busy, gatekeeper). It prints the card,\n"
	    "the script (--script NAME, a team script or a built-in; by\n"
	    "default default-zh, or default-en for numbers outside +86)\n"
	    "and the last calls and notes; when nothing is callable it says\n"
	    "why and exits 0 (--json: \"customer\": null and the counts).\n"
	    "\n"
	    "call log records a call. Outcomes: no-answer, busy,\n"
	    "invalid-number, gatekeeper, not-interested, callback,\n"
	    "interested, order, dnc-request, revisit-done. The stage only\n"
	    "moves forward: not-interested, callback and dnc-request ->\n"
	    "contacted; interested -> interested; order -> won (a lost\n"
	    "customer moves only on interested or order). A connected call\n"
	    "completes the customer's callbacks and follow-ups due today.\n"
	    "--followup WHEN schedules the next one (kind callback for the\n"
	    "callback outcome). order needs --service and --amount (yuan);\n"
	    "revisit-done needs --satisfaction and completes the due\n"
	    "revisit; --complaint is kept as feedback and schedules a\n"
	    "follow-up for tomorrow. dnc-request puts the customer and its\n"
	    "number on the do-not-call list. Everything one call writes is\n"
	    "one atomic write. A call on a do-not-call customer is refused.\n"
	    "\n"
	    "WHEN: 2026-12-01, \"2026-12-01 14:30\", \"tomorrow 10:00\", fri,\n"
	    "14:30, +2d, +3h. Talk time: 95, 1:35 or 1m35s.\n"
	    "\n"
	    "Exit codes: 0 logged; 1 unknown customer, unknown outcome, bad\n"
	    "value (time, talk time, amount, satisfaction), do-not-call, or\n"
	    "refused by the rules; 2 usage (unknown flag, missing CUSTOMER,\n"
	    "--outcome, or the order/revisit fields an outcome needs).\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = call_exec,
};
