/* cli/cmd_today.c — `tsm today`: the agent's dashboard for the local day:
 * dials, connected, effective, interested, orders, revenue, talk time,
 * follow-ups due and overdue, revisits due, and progress to targets. */
#include "callview.h"
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/call.h"
#include "tsm/money.h"
#include "tsm/when.h"

#include <getopt.h>
#include <string.h>

extern const struct cli_cmd cmd_today;

static void put_money(FILE *f, int64_t fen)
{
	char buf[TSM_MONEY_FORMAT_MAX];

	if (tsm_money_format(buf, sizeof(buf), fen) < 0)
		fprintf(f, "%lld fen", (long long)fen);
	else
		fprintf(f, "¥%s", buf);
}

static void put_progress(const char *what, int64_t done, int64_t target,
			 int money)
{
	printf("  %-11s ", what);
	if (money)
		put_money(stdout, done);
	else
		printf("%lld", (long long)done);
	printf(" / ");
	if (money)
		put_money(stdout, target);
	else
		printf("%lld", (long long)target);
	printf("  (%lld%%)\n", (long long)(done * 100 / target));
}

static void today_text(const tsm_call_today *t)
{
	char day[TSM_WHEN_FORMAT_MAX];
	const tsm_call_counts *d = &t->day;
	int i;

	cv_time(day, sizeof(day), t->from);
	day[10] = '\0';
	printf("today %s  (%s)\n", day, t->member);
	printf("  dials       %lld\n", (long long)d->dials);
	printf("  connected   %lld\n", (long long)d->connected);
	printf("  effective   %lld  (a connected call of %llds or more "
	       "counts)\n",
	       (long long)d->effective, (long long)t->effective_s);
	printf("  interested  %lld\n", (long long)d->interested);
	printf("  orders      %lld  ", (long long)d->orders);
	put_money(stdout, d->revenue_fen);
	printf("\n  talk time   ");
	cv_put_talk(stdout, d->talk_s);
	printf("\n  follow-ups  %zu overdue, %zu due later today, %zu done "
	       "today\n",
	       t->overdue, t->due_today, t->done_today);
	printf("  revisits    %zu due\n", t->revisits_due);
	if (t->daily_dials || t->daily_effective || t->daily_orders) {
		printf("daily target:\n");
		if (t->daily_dials)
			put_progress("dials", d->dials, t->daily_dials, 0);
		if (t->daily_effective)
			put_progress("effective", d->effective,
				     t->daily_effective, 0);
		if (t->daily_orders)
			put_progress("orders", d->orders, t->daily_orders, 0);
	}
	if (!t->has_target) {
		printf("month %s: no target set\n", t->month);
		return;
	}
	printf("month %s:\n", t->month);
	for (i = 0; i < TSM_TARGET_FIELDS; i++)
		if (t->month_targets[i].target)
			put_progress(strcmp(t->month_targets[i].field,
					    "revenue_fen") == 0
					 ? "revenue"
					 : t->month_targets[i].field,
				     t->month_targets[i].done,
				     t->month_targets[i].target,
				     strcmp(t->month_targets[i].field,
					    "revenue_fen") == 0);
}

static void kv_target(jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	if (v)
		jw_int(w, v);
	else
		jw_null(w);
}

static void today_json(const tsm_call_today *t)
{
	const tsm_call_counts *d = &t->day;
	jsonw w;
	int i;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_string(&w, "member", t->member);
	jw_time(&w, "now", t->now);
	jw_time(&w, "from", t->from);
	jw_time(&w, "to", t->to);
	jw_kv_int(&w, "dials", d->dials);
	jw_kv_int(&w, "connected", d->connected);
	jw_kv_int(&w, "effective", d->effective);
	jw_kv_int(&w, "interested", d->interested);
	jw_kv_int(&w, "sales", d->sales);
	jw_kv_int(&w, "dnc_requests", d->dnc_requests);
	jw_kv_int(&w, "revisits_done", d->revisits);
	jw_kv_int(&w, "orders", d->orders);
	jw_kv_int(&w, "revenue_fen", d->revenue_fen);
	jw_kv_int(&w, "talk_s", d->talk_s);
	jw_kv_int(&w, "effective_seconds", t->effective_s);
	jw_key(&w, "followups");
	jw_object(&w);
	jw_kv_int(&w, "overdue", (int64_t)t->overdue);
	jw_kv_int(&w, "due_today", (int64_t)t->due_today);
	jw_kv_int(&w, "done_today", (int64_t)t->done_today);
	jw_end_object(&w);
	jw_kv_int(&w, "revisits_due", (int64_t)t->revisits_due);
	jw_key(&w, "daily_target");
	jw_object(&w);
	kv_target(&w, "dials", t->daily_dials);
	kv_target(&w, "effective", t->daily_effective);
	kv_target(&w, "orders", t->daily_orders);
	jw_end_object(&w);
	jw_key(&w, "month");
	jw_object(&w);
	jw_kv_string(&w, "month", t->month);
	jw_key(&w, "target");
	if (t->has_target) {
		jw_object(&w);
		for (i = 0; i < TSM_TARGET_FIELDS; i++) {
			if (!t->month_targets[i].target)
				continue;
			jw_key(&w, t->month_targets[i].field);
			jw_object(&w);
			jw_kv_int(&w, "target", t->month_targets[i].target);
			jw_kv_int(&w, "done", t->month_targets[i].done);
			jw_end_object(&w);
		}
		jw_end_object(&w);
	} else {
		jw_null(&w);
	}
	jw_end_object(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static int today_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {NULL, 0, NULL, 0},
	};
	tsm_call_today t;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_today, c, argv);
	if (optind < argc)
		return cli_usage(&cmd_today, "unexpected argument '%s'",
				 argv[optind]);
	if (tsm_call_today_get(&t, ctx->store, 0) < 0)
		return cli_fail();
	if (ctx->json)
		today_json(&t);
	else
		today_text(&t);
	return EXIT_OK;
}

const struct cli_cmd cmd_today = {
    .name = "today",
    .usage = "tsm today [--json]",
    .summary = "your day: calls, effective, orders, follow-ups, targets",
    .help = "Counts for the local day of the member using this replica:\n"
	    "dials (every call logged), connected, effective (the outcome\n"
	    "says so, or a connected call reached the policy's\n"
	    "effective_seconds), interested, orders and their revenue\n"
	    "(orders recorded today), talk time; follow-ups on your own list\n"
	    "that are overdue, due later today and done today; revisits due\n"
	    "by the end of the day. Then progress to the policy's daily\n"
	    "targets (target_dials, target_effective, target_orders) and to\n"
	    "the month's target: the team's `target` entity\n"
	    "\"MEMBER:YYYY-MM\" with fields dials, effective, orders and\n"
	    "revenue_fen; \"no target set\" when it has none.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK,
    .exec = today_exec,
};
