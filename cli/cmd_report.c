/* cli/cmd_report.c — `tsm report daily|weekly|monthly`: the numbers of
 * DESIGN §7 as aligned tables, CSV (RFC 4180), JSON or one HTML page. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/followup.h"
#include "tsm/money.h"
#include "tsm/report.h"
#include "tsm/text.h"
#include "tsm/when.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_report;

enum { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

/* ---- numbers as text ---- */

/* A rate as a percentage with two decimals, "-" when undefined. */
static void pct(char out[32], int64_t num, int64_t den)
{
	int64_t bp;

	if (!tsm_report_rate(&bp, num, den))
		snprintf(out, 32, "-");
	else
		snprintf(out, 32, "%lld.%02lld%%", (long long)(bp / 100),
			 (long long)(bp % 100));
}

/* A rate as a decimal fraction with four places, "" when undefined. */
static void frac(char out[32], int64_t num, int64_t den)
{
	int64_t bp;

	if (!tsm_report_rate(&bp, num, den))
		out[0] = '\0';
	else
		snprintf(out, 32, "%lld.%04lld", (long long)(bp / 10000),
			 (long long)(bp % 10000));
}

static void yuan(char out[TSM_MONEY_FORMAT_MAX], int64_t fen)
{
	if (tsm_money_format(out, TSM_MONEY_FORMAT_MAX, fen) < 0)
		snprintf(out, TSM_MONEY_FORMAT_MAX, "?");
}

/* Yuan without separators, for CSV: "12000.50". */
static void yuan_plain(char out[32], int64_t fen)
{
	snprintf(out, 32, "%s%lld.%02lld", fen < 0 ? "-" : "",
		 (long long)(fen < 0 ? -fen : fen) / 100,
		 (long long)(fen < 0 ? -fen : fen) % 100);
}

static void hms(char out[32], int64_t s)
{
	snprintf(out, 32, "%lld:%02lld:%02lld", (long long)(s / 3600),
		 (long long)(s / 60 % 60), (long long)(s % 60));
}

/* ---- table ---- */

static void metrics_cells(struct cli_table *t, const tsm_report_metrics *m)
{
	char buf[64];

	cli_table_cellf(t, "%lld", (long long)m->dials);
	cli_table_cellf(t, "%lld", (long long)m->connected);
	cli_table_cellf(t, "%lld", (long long)m->effective);
	cli_table_cellf(t, "%lld", (long long)m->interested);
	cli_table_cellf(t, "%lld", (long long)m->orders);
	yuan(buf, m->revenue_fen);
	cli_table_cell(t, buf);
	pct(buf, m->connected, m->dials);
	cli_table_cell(t, buf);
	pct(buf, m->effective, m->connected);
	cli_table_cell(t, buf);
	pct(buf, m->orders, m->effective);
	cli_table_cell(t, buf);
	hms(buf, m->talk_s);
	cli_table_cell(t, buf);
}

static void timeliness_cells(struct cli_table *t,
			     const tsm_report_timeliness *x)
{
	cli_table_cellf(t, "%lld", (long long)x->due);
	cli_table_cellf(t, "%lld", (long long)x->on_time);
	cli_table_cellf(t, "%lld", (long long)x->late);
	cli_table_cellf(t, "%lld", (long long)x->overdue);
	cli_table_cellf(t, "%lld", (long long)x->pending);
}

static void progress_cells(struct cli_table *t, const tsm_report_progress *p)
{
	char done[TSM_MONEY_FORMAT_MAX], goal[TSM_MONEY_FORMAT_MAX], r[32];
	int f;

	for (f = 0; f < TSM_TARGET_NFIELDS; f++) {
		if (f == TSM_TARGET_REVENUE) {
			yuan(done, p->done[f]);
			yuan(goal, p->target[f]);
		} else {
			snprintf(done, sizeof(done), "%lld",
				 (long long)p->done[f]);
			snprintf(goal, sizeof(goal), "%lld",
				 (long long)p->target[f]);
		}
		pct(r, p->done[f], p->target[f]);
		if (p->target[f] > 0)
			cli_table_cellf(t, "%s / %s (%s)", done, goal, r);
		else
			cli_table_cellf(t, "%s", done);
	}
}

static int print_table(struct cli_table *t, FILE *f)
{
	int err = cli_table_print(t, f);

	cli_table_free(t);
	return err;
}

static int table_out(FILE *f, const tsm_report *r)
{
	char when[TSM_WHEN_FORMAT_MAX], buf[64];
	struct cli_table *t;
	size_t i;
	int err;

	if (tsm_when_format(when, sizeof(when), r->now) < 0)
		snprintf(when, sizeof(when), "?");
	fprintf(f, "%s report %s", tsm_report_kind_name(r->kind), r->label);
	if (strcmp(r->first, r->last) != 0)
		fprintf(f, " (%s .. %s)", r->first, r->last);
	if (r->team)
		fprintf(f, ", team%s%s", r->team_name ? " " : "",
			r->team_name ? r->team_name : "");
	else
		fprintf(f, ", member %s", r->member);
	fprintf(f, ", as of %s\n", when);
	fprintf(f,
		"effective: an effective outcome or a connected call of "
		"at least %llds\n\n",
		(long long)r->effective_s);

	if ((t = cli_table_new()) == NULL)
		return TSM_ENOMEM;
	cli_table_column(t, "RANK", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "MEMBER", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "NAME", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "DIALS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "CONN", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "EFF", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "INT", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "ORDERS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "REVENUE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "CONNECT%", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "EFF%", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "CONV%", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "TALK", TSM_TEXT_RIGHT, 0);
	for (i = 0; i < r->nrows; i++) {
		cli_table_cellf(t, "%d", r->rows[i].rank);
		cli_table_cell(t, r->rows[i].member);
		cli_table_cell(t, r->rows[i].name);
		metrics_cells(t, &r->rows[i].m);
	}
	cli_table_cell(t, "");
	cli_table_cell(t, "total");
	cli_table_cell(t, "");
	metrics_cells(t, &r->total.m);
	if ((err = print_table(t, f)) < 0)
		return err;

	fprintf(f, "\nfollow-ups due in the period (revisits among them), "
		   "do-not-call additions\n");
	if ((t = cli_table_new()) == NULL)
		return TSM_ENOMEM;
	cli_table_column(t, "MEMBER", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "DUE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "ON TIME", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "LATE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "OVERDUE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "PENDING", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "REVISITS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "ON TIME", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "LATE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "OVERDUE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "PENDING", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "DNC", TSM_TEXT_RIGHT, 0);
	for (i = 0; i <= r->nrows; i++) {
		const tsm_report_row *row =
		    i < r->nrows ? &r->rows[i] : &r->total;

		cli_table_cell(t, i < r->nrows ? row->member : "total");
		timeliness_cells(t, &row->m.followups);
		timeliness_cells(t, &row->m.revisits);
		cli_table_cellf(t, "%lld", (long long)row->m.dnc_added);
	}
	if ((err = print_table(t, f)) < 0)
		return err;

	fprintf(f, "\ntargets %s, month to date (day %d of %d)%s\n", r->month,
		r->month_elapsed, r->month_days,
		r->total.target.derived
		    ? "; the team's is the sum of its members'"
		    : "");
	if ((t = cli_table_new()) == NULL)
		return TSM_ENOMEM;
	cli_table_column(t, "MEMBER", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "DIALS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "EFFECTIVE", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "ORDERS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "REVENUE", TSM_TEXT_RIGHT, 0);
	for (i = 0; i <= r->nrows; i++) {
		const tsm_report_row *row =
		    i < r->nrows ? &r->rows[i] : &r->total;

		cli_table_cell(t, i < r->nrows ? row->member
				  : r->team    ? "team"
					       : "total");
		progress_cells(t, &row->target);
	}
	if ((err = print_table(t, f)) < 0)
		return err;

	fprintf(f, "\nby day%s\n",
		r->kind == TSM_REPORT_DAILY ? " (the last seven days)" : "");
	if ((t = cli_table_new()) == NULL)
		return TSM_ENOMEM;
	cli_table_column(t, "DAY", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "DIALS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "CONN", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "EFF", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "INT", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "ORDERS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "REVENUE", TSM_TEXT_RIGHT, 0);
	for (i = 0; i < r->ndays; i++) {
		const tsm_report_day *d = &r->days[i];

		cli_table_cell(t, d->date);
		cli_table_cellf(t, "%lld", (long long)d->dials);
		cli_table_cellf(t, "%lld", (long long)d->connected);
		cli_table_cellf(t, "%lld", (long long)d->effective);
		cli_table_cellf(t, "%lld", (long long)d->interested);
		cli_table_cellf(t, "%lld", (long long)d->orders);
		yuan(buf, d->revenue_fen);
		cli_table_cell(t, buf);
	}
	return print_table(t, f);
}

/* ---- CSV (RFC 4180: CRLF line ends, fields quoted when needed) ---- */

static int put_file(void *ud, const char *p, size_t n)
{
	fwrite(p, 1, n, ud);
	return 0; /* the caller checks the stream (ferror, fclose) */
}

/* Names and labels typed by anyone end up in a manager's spreadsheet:
 * guarded against formula injection. */
static void csv_field(FILE *f, const char *s, int last)
{
	if (s == NULL)
		s = "";
	tsm_text_csv_field(put_file, f, s, strlen(s), ',', 1);
	fputs(last ? "\r\n" : ",", f);
}

static void csv_int(FILE *f, int64_t v)
{
	fprintf(f, "%lld,", (long long)v);
}

static const char *const CSV_HEADER[] = {
    "row",
    "kind",
    "period",
    "first_day",
    "last_day",
    "member",
    "name",
    "role",
    "rank",
    "dials",
    "connected",
    "effective",
    "interested",
    "orders",
    "revenue_fen",
    "revenue_yuan",
    "connect_rate",
    "effective_rate",
    "conversion_rate",
    "talk_s",
    "followups_due",
    "followups_on_time",
    "followups_late",
    "followups_overdue",
    "followups_pending",
    "revisits_due",
    "revisits_on_time",
    "revisits_late",
    "revisits_overdue",
    "revisits_pending",
    "dnc_added",
    "target_month",
    "target_dials",
    "done_dials",
    "target_effective",
    "done_effective",
    "target_orders",
    "done_orders",
    "target_revenue_fen",
    "done_revenue_fen",
};

static void csv_timeliness(FILE *f, const tsm_report_timeliness *t)
{
	csv_int(f, t->due);
	csv_int(f, t->on_time);
	csv_int(f, t->late);
	csv_int(f, t->overdue);
	csv_int(f, t->pending);
}

static void csv_row(FILE *f, const tsm_report *r, const tsm_report_row *row,
		    int total)
{
	const tsm_report_metrics *m = &row->m;
	char buf[32];
	int k;

	csv_field(f, total ? "total" : "member", 0);
	csv_field(f, tsm_report_kind_name(r->kind), 0);
	csv_field(f, r->label, 0);
	csv_field(f, r->first, 0);
	csv_field(f, r->last, 0);
	csv_field(f, total ? (r->team ? "" : r->member) : row->member, 0);
	csv_field(f, total ? "" : row->name, 0);
	csv_field(f, total ? "" : row->role, 0);
	if (total)
		csv_field(f, "", 0);
	else
		csv_int(f, row->rank);
	csv_int(f, m->dials);
	csv_int(f, m->connected);
	csv_int(f, m->effective);
	csv_int(f, m->interested);
	csv_int(f, m->orders);
	csv_int(f, m->revenue_fen);
	yuan_plain(buf, m->revenue_fen);
	csv_field(f, buf, 0);
	frac(buf, m->connected, m->dials);
	csv_field(f, buf, 0);
	frac(buf, m->effective, m->connected);
	csv_field(f, buf, 0);
	frac(buf, m->orders, m->effective);
	csv_field(f, buf, 0);
	csv_int(f, m->talk_s);
	csv_timeliness(f, &m->followups);
	csv_timeliness(f, &m->revisits);
	csv_int(f, m->dnc_added);
	csv_field(f, r->month, 0);
	for (k = 0; k < TSM_TARGET_NFIELDS; k++) {
		if (row->target.target[k] > 0)
			csv_int(f, row->target.target[k]);
		else
			csv_field(f, "", 0);
		fprintf(f, "%lld%s", (long long)row->target.done[k],
			k + 1 < TSM_TARGET_NFIELDS ? "," : "\r\n");
	}
}

static int csv_out(FILE *f, const tsm_report *r)
{
	size_t i, n = sizeof(CSV_HEADER) / sizeof(CSV_HEADER[0]);

	for (i = 0; i < n; i++)
		csv_field(f, CSV_HEADER[i], i + 1 == n);
	for (i = 0; i < r->nrows; i++)
		csv_row(f, r, &r->rows[i], 0);
	csv_row(f, r, &r->total, 1);
	return 0;
}

/* ---- JSON ---- */

static void json_rate(jsonw *w, const char *key, int64_t num, int64_t den)
{
	int64_t bp;

	jw_key(w, key);
	if (tsm_report_rate(&bp, num, den))
		jw_double(w, (double)bp / 10000.0);
	else
		jw_null(w);
}

static void json_timeliness(jsonw *w, const char *key,
			    const tsm_report_timeliness *t)
{
	jw_key(w, key);
	jw_object(w);
	jw_kv_int(w, "due", t->due);
	jw_kv_int(w, "on_time", t->on_time);
	jw_kv_int(w, "late", t->late);
	jw_kv_int(w, "overdue", t->overdue);
	jw_kv_int(w, "pending", t->pending);
	jw_end_object(w);
}

static void json_progress(jsonw *w, const tsm_report_progress *p,
			  int with_derived)
{
	int f;

	jw_key(w, "target");
	jw_object(w);
	for (f = 0; f < TSM_TARGET_NFIELDS; f++) {
		jw_key(w, tsm_target_field_name(f));
		jw_object(w);
		jw_key(w, "target");
		if (p->target[f] > 0)
			jw_int(w, p->target[f]);
		else
			jw_null(w);
		jw_kv_int(w, "done", p->done[f]);
		json_rate(w, "completion", p->done[f], p->target[f]);
		jw_end_object(w);
	}
	if (with_derived)
		jw_kv_bool(w, "derived", p->derived);
	jw_end_object(w);
}

static void json_metrics(jsonw *w, const tsm_report_metrics *m)
{
	jw_kv_int(w, "dials", m->dials);
	jw_kv_int(w, "connected", m->connected);
	jw_kv_int(w, "effective", m->effective);
	jw_kv_int(w, "interested", m->interested);
	jw_kv_int(w, "orders", m->orders);
	jw_kv_int(w, "revenue_fen", m->revenue_fen);
	json_rate(w, "connect_rate", m->connected, m->dials);
	json_rate(w, "effective_rate", m->effective, m->connected);
	json_rate(w, "conversion_rate", m->orders, m->effective);
	jw_kv_int(w, "talk_s", m->talk_s);
	json_timeliness(w, "followups", &m->followups);
	json_timeliness(w, "revisits", &m->revisits);
	jw_kv_int(w, "dnc_added", m->dnc_added);
}

static int json_out(FILE *f, const tsm_report *r)
{
	char iso[TSM_WHEN_FORMAT_MAX];
	jsonw w;
	size_t i;

	if (tsm_when_format_iso(iso, sizeof(iso), r->now) < 0)
		iso[0] = '\0';
	jw_init(&w, f);
	jw_object(&w);
	jw_kv_string(&w, "kind", tsm_report_kind_name(r->kind));
	jw_kv_string(&w, "period", r->label);
	jw_kv_string(&w, "first_day", r->first);
	jw_kv_string(&w, "last_day", r->last);
	jw_kv_int(&w, "from_ms", r->from);
	jw_kv_int(&w, "to_ms", r->to);
	jw_kv_string(&w, "as_of", iso);
	jw_kv_int(&w, "effective_seconds", r->effective_s);
	jw_kv_bool(&w, "team", r->team);
	jw_kv_string(&w, "team_name", r->team_name);
	jw_kv_string(&w, "member", r->team ? NULL : r->member);
	jw_key(&w, "total");
	jw_object(&w);
	json_metrics(&w, &r->total.m);
	json_progress(&w, &r->total.target, 1);
	jw_end_object(&w);
	jw_key(&w, "members");
	jw_array(&w);
	for (i = 0; i < r->nrows; i++) {
		const tsm_report_row *row = &r->rows[i];

		jw_object(&w);
		jw_kv_string(&w, "member", row->member);
		jw_kv_string(&w, "name", row->name);
		jw_kv_string(&w, "role", row->role[0] ? row->role : NULL);
		jw_kv_int(&w, "rank", row->rank);
		json_metrics(&w, &row->m);
		json_progress(&w, &row->target, 0);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "targets");
	jw_object(&w);
	jw_kv_string(&w, "month", r->month);
	jw_kv_int(&w, "month_days", r->month_days);
	jw_kv_int(&w, "elapsed_days", r->month_elapsed);
	jw_end_object(&w);
	jw_key(&w, "days");
	jw_array(&w);
	for (i = 0; i < r->ndays; i++) {
		const tsm_report_day *d = &r->days[i];

		jw_object(&w);
		jw_kv_string(&w, "date", d->date);
		jw_kv_int(&w, "dials", d->dials);
		jw_kv_int(&w, "connected", d->connected);
		jw_kv_int(&w, "effective", d->effective);
		jw_kv_int(&w, "interested", d->interested);
		jw_kv_int(&w, "orders", d->orders);
		jw_kv_int(&w, "revenue_fen", d->revenue_fen);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
	return 0;
}

static int html_out(FILE *f, const tsm_report *r)
{
	char *html = NULL;
	size_t len;
	int err;

	if ((err = tsm_report_html(&html, &len, r)) < 0)
		return err;
	fwrite(html, 1, len, f);
	free(html);
	return 0;
}

static int report_run(struct cli_ctx *ctx, int kind, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"date", required_argument, NULL, 'd'},
	    {"member", required_argument, NULL, 'm'},
	    {"team", no_argument, NULL, 't'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	tsm_report_opts o = TSM_REPORT_OPTS_INIT;
	const char *date = NULL, *path = NULL;
	int c, fmt = ctx->json ? FMT_JSON : FMT_TABLE, err, rc = EXIT_OK;
	tsm_report *r = NULL;
	FILE *f = stdout;

	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			date = optarg;
			break;
		case 'm':
			o.member = optarg;
			break;
		case 't':
			o.team = 1;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				fmt = FMT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				fmt = FMT_CSV;
			else if (strcmp(optarg, "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(optarg, "html") == 0)
				fmt = FMT_HTML;
			else
				return cli_usage(&cmd_report,
						 "unknown format '%s' (table, "
						 "csv, json or html)",
						 optarg);
			break;
		case 'o':
			path = optarg;
			break;
		default:
			return cli_option_error(&cmd_report, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_report, "unexpected argument '%s'",
				 argv[optind]);
	if (o.member && o.team)
		return cli_usage(&cmd_report,
				 "give --member or --team, not both");
	o.kind = kind;
	o.now = tsm_followup_now();
	if (date && tsm_report_parse_date(&o.date, date, o.now) < 0)
		return cli_fail();
	if (tsm_report_get(&r, ctx->store, &o) < 0)
		return cli_fail();
	if (path) {
		f = fopen(path, "w");
		if (f == NULL) {
			cli_error("cannot open '%s': %s", path,
				  strerror(errno));
			tsm_report_free(r);
			return EXIT_ERR;
		}
	}
	switch (fmt) {
	case FMT_CSV:
		err = csv_out(f, r);
		break;
	case FMT_JSON:
		err = json_out(f, r);
		break;
	case FMT_HTML:
		err = html_out(f, r);
		break;
	default:
		err = table_out(f, r);
		break;
	}
	if (err < 0)
		rc = cli_fail();
	if (path) {
		int bad = ferror(f);

		if ((fclose(f) != 0 || bad) && rc == EXIT_OK) {
			cli_error("cannot write '%s': %s", path,
				  strerror(errno));
			rc = EXIT_ERR;
		} else if (rc == EXIT_OK && !ctx->json) {
			fprintf(stderr, "wrote %s\n", path);
		}
	}
	tsm_report_free(r);
	return rc;
}

static int report_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	int kind;

	if (argc < 2)
		return cli_usage(&cmd_report, NULL);
	kind = tsm_report_kind_lookup(argv[1]);
	if (kind < 0)
		return cli_usage(&cmd_report, "unknown report '%s'", argv[1]);
	return report_run(ctx, kind, argc - 1, argv + 1);
}

const struct cli_cmd cmd_report = {
    .name = "report",
    .usage = "tsm report daily|weekly|monthly [--date D] "
	     "[--member ID | --team]\n"
	     "                [--format table|csv|json|html] [-o FILE]",
    .summary = "daily, weekly and monthly numbers against targets",
    .help = "Periods are local time: daily is the day of D, weekly the\n"
	    "Monday-to-Sunday week containing D, monthly D's calendar\n"
	    "month. D is YYYY-MM-DD, YYYY-MM, today or yesterday (default\n"
	    "today).\n"
	    "\n"
	    "Per member and in total: dials (calls logged), connected,\n"
	    "effective conversations (an effective outcome, or a connected\n"
	    "call at least the policy's effective_seconds long),\n"
	    "interested, orders and revenue (cancelled orders excluded),\n"
	    "connect rate = connected/dials, effective rate =\n"
	    "effective/connected, conversion = orders/effective (\"-\" or\n"
	    "null when the denominator is 0), talk time of connected\n"
	    "calls; follow-ups and revisits due in the period: done on\n"
	    "time (at or before due), late, overdue (open and due before\n"
	    "the period's end or now), pending; numbers added to the\n"
	    "do-not-call list. Also the trend by day (a daily report: the\n"
	    "seven days ending with D), the ranking (revenue, then orders,\n"
	    "then effective conversations; equals share a rank) and the\n"
	    "month's targets completed to the period's end (day N of the\n"
	    "month shown for pace).\n"
	    "\n"
	    "Agents see only their own numbers; leads, managers,\n"
	    "assistants and auditors see the team (default) or one\n"
	    "--member.\n"
	    "\n"
	    "formats: table (default), csv (RFC 4180, one header row, a\n"
	    "row per member and a total row; rates as fractions, empty\n"
	    "when undefined), json (the same as --json: counts and fen as\n"
	    "integers, rates as numbers or null), html (one self-contained\n"
	    "page with SVG charts: trend, funnel, members). -o FILE writes\n"
	    "to FILE instead of standard output.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK,
    .exec = report_exec,
};
