/* cli/cmd_customer.c — `tsm customer add|edit|list|show|delete|restore`:
 * customer records from the terminal, tables aligned by display width,
 * --json objects for scripts. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/customer.h"
#include "tsm/money.h"
#include "tsm/ops.h"
#include "tsm/phone.h"
#include "tsm/when.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_customer;

/* ---- printing pieces ---- */

static const char *fmt_time(char *buf, size_t len, int64_t ms)
{
	if (ms <= 0 || tsm_when_format(buf, len, ms) < 0)
		buf[0] = '\0';
	return buf;
}

static const char *phone_display(char *buf, size_t len, const char *e164)
{
	if (e164 == NULL)
		return "";
	if (tsm_phone_format(buf, len, e164) < 0)
		return e164;
	return buf;
}

/* The customer's fields as JSON members (inside an open object). */
static void json_customer_fields(jsonw *w, const tsm_customer *c)
{
	char buf[TSM_PHONE_DISPLAY_MAX];
	int f;

	jw_kv_string(w, "id", c->id);
	for (f = 0; f < TSM_CF_COUNT; f++)
		jw_kv_string(w, tsm_customer_field_name(f), c->f[f]);
	jw_kv_string(w, "phone_display",
		     c->f[TSM_CF_PHONE]
			 ? phone_display(buf, sizeof(buf), c->f[TSM_CF_PHONE])
			 : NULL);
	jw_kv_bool(w, "dnc", c->dnc);
	jw_kv_bool(w, "dnc_flag", c->dnc_flag);
	jw_kv_bool(w, "deleted", c->deleted);
	jw_kv_string(w, "merged_into", c->merged_into);
	jw_kv_string(w, "created_by", c->created_by);
	jw_time(w, "created_at", c->created_at);
	jw_time(w, "updated_at", c->updated_at);
	jw_time(w, "next_followup", c->next_due);
	jw_kv_string(w, "next_followup_kind", c->next_kind);
	jw_time(w, "last_call", c->last_call);
	jw_kv_int(w, "call_count", c->calls);
}

static void json_customer(jsonw *w, const tsm_customer *c)
{
	jw_object(w);
	json_customer_fields(w, c);
	jw_end_object(w);
}

/* ---- add and edit ---- */

enum { OPT_FIELD = 1000, OPT_CLEAR = 2000 };

#define FIELD_OPT(name, f)                                                     \
	{                                                                      \
		name, required_argument, NULL, OPT_FIELD + (f)                 \
	}

static const struct option field_opts[] = {
    FIELD_OPT("name", TSM_CF_NAME),
    FIELD_OPT("phone", TSM_CF_PHONE),
    FIELD_OPT("company", TSM_CF_COMPANY),
    FIELD_OPT("industry", TSM_CF_INDUSTRY),
    FIELD_OPT("region", TSM_CF_REGION),
    FIELD_OPT("size", TSM_CF_SIZE),
    FIELD_OPT("source", TSM_CF_SOURCE),
    FIELD_OPT("address", TSM_CF_ADDRESS),
    FIELD_OPT("needs", TSM_CF_NEEDS),
    FIELD_OPT("salutation", TSM_CF_SALUTATION),
    FIELD_OPT("priority", TSM_CF_PRIORITY),
    FIELD_OPT("tags", TSM_CF_TAGS),
    FIELD_OPT("stage", TSM_CF_STAGE),
    FIELD_OPT("owner", TSM_CF_OWNER),
    {"clear", required_argument, NULL, OPT_CLEAR},
    {NULL, 0, NULL, 0},
};

/* Parses the field flags into f; the positional arguments are left at
 * argv[optind..]. Returns 0 or an exit code. */
static int parse_fields(tsm_customer_fields *f, int *given, int argc,
			char **argv, int allow_clear)
{
	int c, k;

	*given = 0;
	while ((c = getopt_long(argc, argv, ":", field_opts, NULL)) != -1) {
		if (c >= OPT_FIELD && c < OPT_FIELD + TSM_CF_COUNT) {
			f->v[c - OPT_FIELD] = optarg;
		} else if (c == OPT_CLEAR && allow_clear) {
			k = tsm_customer_field_lookup(optarg);
			if (k < 0)
				return cli_usage(&cmd_customer,
						 "--clear: unknown field '%s'",
						 optarg);
			f->clear |= 1u << k;
		} else if (c == OPT_CLEAR) {
			return cli_usage(&cmd_customer,
					 "--clear is for 'customer edit'");
		} else {
			return cli_option_error(&cmd_customer, c, argv);
		}
		(*given)++;
	}
	return 0;
}

/* Warnings about the phone a write stored. */
static void phone_warnings(tsm_store *store, const tsm_customer_written *w)
{
	char disp[TSM_PHONE_DISPLAY_MAX];
	tsm_customer *other = NULL;

	if (w->phone[0] == '\0')
		return;
	phone_display(disp, sizeof(disp), w->phone);
	if (w->ndup > 0) {
		if (tsm_customer_get(&other, store, w->dup_of,
				     TSM_RESOLVE_DELETED) == 0)
			fprintf(stderr,
				"tsm: warning: %s is also the phone of %s "
				"(%s)%s; queued for review as a suspected "
				"duplicate\n",
				disp, w->dup_of,
				other->f[TSM_CF_NAME] ? other->f[TSM_CF_NAME]
						      : "",
				w->ndup > 1 ? " and others" : "");
		else
			fprintf(stderr,
				"tsm: warning: %s is also the phone of %zu "
				"other customer(s); queued for review as a "
				"suspected duplicate\n",
				disp, w->ndup);
		tsm_customer_free(other);
	}
	if (w->dnc_listed)
		fprintf(stderr,
			"tsm: warning: %s is on the do-not-call list; %s is "
			"marked do-not-call\n",
			disp, w->id);
}

static int print_record(struct cli_ctx *ctx, const char *id)
{
	tsm_customer *c = NULL;
	jsonw w;

	if (tsm_customer_get(&c, ctx->store, id, TSM_RESOLVE_DELETED) < 0)
		return cli_fail();
	jw_init(&w, stdout);
	json_customer(&w, c);
	jw_finish(&w);
	tsm_customer_free(c);
	return EXIT_OK;
}

static int customer_add(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	int rc, given;

	if ((rc = parse_fields(&f, &given, argc, argv, 0)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage(&cmd_customer, "unexpected argument '%s'",
				 argv[optind]);
	if (f.v[TSM_CF_NAME] == NULL || f.v[TSM_CF_PHONE] == NULL)
		return cli_usage(&cmd_customer,
				 "customer add needs --name and --phone");
	if (tsm_customer_add(&w, ctx->store, &f) < 0)
		return cli_fail();
	phone_warnings(ctx->store, &w);
	if (ctx->json)
		return print_record(ctx, w.id);
	printf("%s\n", w.id);
	return EXIT_OK;
}

static int customer_edit(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	int rc, given;

	if ((rc = parse_fields(&f, &given, argc, argv, 1)) != 0)
		return rc;
	if (optind >= argc)
		return cli_usage(&cmd_customer, "customer edit needs a "
						"customer (id, prefix or "
						"phone)");
	if (optind + 1 < argc)
		return cli_usage(&cmd_customer, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (given == 0)
		return cli_usage(&cmd_customer,
				 "nothing to edit: give a field flag or "
				 "--clear FIELD");
	if (tsm_customer_edit(&w, ctx->store, argv[optind], &f) < 0)
		return cli_fail();
	phone_warnings(ctx->store, &w);
	if (ctx->json)
		return print_record(ctx, w.id);
	if (w.changed == 0)
		printf("%s: no changes\n", w.id);
	else
		printf("%s: %zu field%s updated\n", w.id, w.changed,
		       w.changed == 1 ? "" : "s");
	return EXIT_OK;
}

/* ---- list ---- */

static int parse_limit(size_t *out, const char *s)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || v > 100000000ULL)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (i == 0 || v == 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* The end of the --due window in ms. */
static int due_before(int64_t *out, const char *what)
{
	int64_t now = tsm_clock_now_ms(), midnight;

	if (strcmp(what, "overdue") == 0) {
		*out = now;
		return 0;
	}
	if (tsm_when_parse(&midnight, "tomorrow 00:00", now) < 0)
		return -1;
	if (strcmp(what, "today") == 0) {
		*out = midnight;
		return 0;
	}
	if (strcmp(what, "week") == 0)
		return tsm_when_parse(out, "+6d", midnight) < 0 ? -1 : 0;
	return -1;
}

static int print_table(const tsm_customer *list, size_t n)
{
	char disp[TSM_PHONE_DISPLAY_MAX], when[TSM_WHEN_FORMAT_MAX];
	struct cli_table *t = cli_table_new();
	const tsm_customer *c;
	size_t i;
	int err;

	if (t == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(t, "ID", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "NAME", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "PHONE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "COMPANY", TSM_TEXT_LEFT, 24);
	cli_table_column(t, "STAGE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "OWNER", TSM_TEXT_LEFT, 16);
	cli_table_column(t, "DNC", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "NEXT", TSM_TEXT_LEFT, 0);
	for (i = 0; i < n; i++) {
		c = &list[i];
		cli_table_cell(t, c->id);
		cli_table_cell(t, c->f[TSM_CF_NAME]);
		cli_table_cell(
		    t, phone_display(disp, sizeof(disp), c->f[TSM_CF_PHONE]));
		cli_table_cell(t, c->f[TSM_CF_COMPANY]);
		cli_table_cell(t, c->deleted	   ? "deleted"
				  : c->merged_into ? "merged"
						   : c->stage);
		cli_table_cell(t,
			       c->f[TSM_CF_OWNER] ? c->f[TSM_CF_OWNER] : "-");
		cli_table_cell(t, c->dnc ? "DNC" : "");
		cli_table_cell(t, fmt_time(when, sizeof(when), c->next_due));
	}
	err = cli_table_print(t, stdout);
	cli_table_free(t);
	if (err < 0)
		return cli_fail();
	return EXIT_OK;
}

static int customer_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"owner", required_argument, NULL, 'o'},
	    {"mine", no_argument, NULL, 'M'},
	    {"unassigned", no_argument, NULL, 'U'},
	    {"stage", required_argument, NULL, 's'},
	    {"industry", required_argument, NULL, 'i'},
	    {"region", required_argument, NULL, 'r'},
	    {"source", required_argument, NULL, 'S'},
	    {"due", required_argument, NULL, 'd'},
	    {"search", required_argument, NULL, 'q'},
	    {"limit", required_argument, NULL, 'n'},
	    {"all", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	tsm_customer_filter fl = TSM_CUSTOMER_FILTER_INIT;
	tsm_customer *list = NULL;
	tsm_identity me;
	size_t n = 0, i;
	int c, mine = 0, owners = 0, rc;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			fl.owner = optarg;
			owners++;
			break;
		case 'M':
			mine = 1;
			owners++;
			break;
		case 'U':
			fl.owner = "";
			owners++;
			break;
		case 's':
			if (!tsm_stage_valid(optarg))
				return cli_usage(&cmd_customer,
						 "unknown stage '%s'", optarg);
			fl.stage = optarg;
			break;
		case 'i':
			fl.industry = optarg;
			break;
		case 'r':
			fl.region = optarg;
			break;
		case 'S':
			fl.source = optarg;
			break;
		case 'd':
			if (due_before(&fl.due_before, optarg) < 0)
				return cli_usage(&cmd_customer,
						 "--due takes today, overdue "
						 "or week, not '%s'",
						 optarg);
			break;
		case 'q':
			fl.search = optarg;
			break;
		case 'n':
			if (parse_limit(&fl.limit, optarg) < 0)
				return cli_usage(&cmd_customer,
						 "--limit takes a positive "
						 "number, not '%s'",
						 optarg);
			break;
		case 'a':
			fl.include_deleted = 1;
			break;
		default:
			return cli_option_error(&cmd_customer, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_customer, "unexpected argument '%s'",
				 argv[optind]);
	if (owners > 1)
		return cli_usage(&cmd_customer, "give one of --owner, --mine "
						"and --unassigned");
	if (mine) {
		if (tsm_identity_get(&me, ctx->store) < 0)
			return cli_fail();
		fl.owner = me.member;
	}
	if (tsm_customer_list(&list, &n, ctx->store, &fl) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++)
			json_customer(&w, &list[i]);
		jw_end_array(&w);
		jw_finish(&w);
		rc = EXIT_OK;
	} else if (n == 0) {
		printf("no customers\n");
		rc = EXIT_OK;
	} else {
		rc = print_table(list, n);
	}
	tsm_customer_list_free(list, n);
	return rc;
}

/* ---- show ---- */

static void put_duration(int64_t s)
{
	if (s >= 3600)
		printf("%lldh%02lldm%02llds", (long long)(s / 3600),
		       (long long)(s % 3600 / 60), (long long)(s % 60));
	else if (s >= 60)
		printf("%lldm%02llds", (long long)(s / 60),
		       (long long)(s % 60));
	else
		printf("%llds", (long long)s);
}

static void show_text(const tsm_customer_card *k)
{
	static const char *const label[TSM_CF_COUNT] = {
	    "name",	"phone",  "company", "industry", "region",
	    "size",	"source", "address", "needs",	 "salutation",
	    "priority", "tags",	  "stage",   "owner",
	};
	char buf[TSM_WHEN_FORMAT_MAX], disp[TSM_PHONE_DISPLAY_MAX];
	char money[TSM_MONEY_FORMAT_MAX];
	const tsm_customer *c = &k->c;
	size_t i;
	int f;

	printf("%s  %s%s%s\n", c->id,
	       c->f[TSM_CF_NAME] ? c->f[TSM_CF_NAME] : "",
	       c->f[TSM_CF_SALUTATION] ? " " : "",
	       c->f[TSM_CF_SALUTATION] ? c->f[TSM_CF_SALUTATION] : "");
	if (c->deleted)
		printf("  (deleted)\n");
	if (c->merged_into)
		printf("  (merged into %s)\n", c->merged_into);
	for (f = 0; f < TSM_CF_COUNT; f++) {
		if (f == TSM_CF_NAME || f == TSM_CF_SALUTATION ||
		    f == TSM_CF_STAGE || f == TSM_CF_OWNER || !c->f[f])
			continue;
		if (f == TSM_CF_PHONE)
			printf("%-10s: %s\n", "phone",
			       phone_display(disp, sizeof(disp), c->f[f]));
		else
			printf("%-10s: %s\n", label[f], c->f[f]);
	}
	printf("%-10s: %s\n", "stage", c->stage);
	if (c->f[TSM_CF_OWNER])
		printf("%-10s: %s%s%s%s\n", "owner", c->f[TSM_CF_OWNER],
		       k->owner_name ? " (" : "",
		       k->owner_name ? k->owner_name : "",
		       k->owner_name ? ")" : "");
	else
		printf("%-10s: unassigned\n", "owner");
	printf("%-10s: %s\n", "dnc",
	       !c->dnc	     ? "no"
	       : c->dnc_flag ? "YES (do not call)"
			     : "YES (number on the do-not-call list)");
	printf("%-10s: %s by %s\n", "created",
	       fmt_time(buf, sizeof(buf), c->created_at),
	       c->created_by ? c->created_by : "?");

	printf("\ncalls (%zu):\n", k->ncalls);
	for (i = 0; i < k->ncalls; i++) {
		const tsm_card_call *x = &k->calls[i];

		printf("  %s  %-14s ", fmt_time(buf, sizeof(buf), x->at),
		       x->outcome);
		put_duration(x->duration_s);
		printf("  %s%s%s%s\n", x->author, x->note ? "  " : "",
		       x->note ? x->note : "", x->amended ? " (amended)" : "");
	}
	printf("\nnotes (%zu):\n", k->nnotes);
	for (i = 0; i < k->nnotes; i++)
		printf("  %s  %s  %s\n",
		       fmt_time(buf, sizeof(buf), k->notes[i].at),
		       k->notes[i].author, k->notes[i].text);
	if (k->nfeedback) {
		printf("\nfeedback (%zu):\n", k->nfeedback);
		for (i = 0; i < k->nfeedback; i++) {
			printf("  %s  %s",
			       fmt_time(buf, sizeof(buf), k->feedback[i].at),
			       k->feedback[i].author);
			if (k->feedback[i].satisfaction)
				printf("  satisfaction %d/5",
				       k->feedback[i].satisfaction);
			printf("  %s\n", k->feedback[i].text);
		}
	}
	printf("\nfollow-ups (%zu):\n", k->nfollowups);
	for (i = 0; i < k->nfollowups; i++) {
		const tsm_card_followup *x = &k->followups[i];

		printf("  %s  %-8s  %s", fmt_time(buf, sizeof(buf), x->due),
		       x->kind, x->done ? "done" : "open");
		if (x->note)
			printf("  %s", x->note);
		printf("\n");
	}
	printf("\norders (%zu):\n", k->norders);
	for (i = 0; i < k->norders; i++) {
		const tsm_card_order *x = &k->orders[i];

		if (tsm_money_format(money, sizeof(money), x->amount_fen) < 0)
			snprintf(money, sizeof(money), "%lld fen",
				 (long long)x->amount_fen);
		printf("  %s  %s  ¥%s",
		       fmt_time(buf, sizeof(buf), x->created_at), x->service,
		       money);
		if (x->term_months)
			printf("  %lld months", (long long)x->term_months);
		if (x->start)
			printf("  from %s", x->start);
		if (x->status)
			printf("  %s", x->status);
		printf("\n");
	}
}

static void show_json(const tsm_customer_card *k)
{
	jsonw w;
	size_t i;

	jw_init(&w, stdout);
	jw_object(&w);
	json_customer_fields(&w, &k->c);
	jw_kv_string(&w, "owner_name", k->owner_name);
	jw_kv_string(&w, "creator_name", k->creator_name);
	jw_key(&w, "calls");
	jw_array(&w);
	for (i = 0; i < k->ncalls; i++) {
		const tsm_card_call *x = &k->calls[i];

		jw_object(&w);
		jw_kv_string(&w, "id", x->id);
		jw_time(&w, "at", x->at);
		jw_kv_string(&w, "author", x->author);
		jw_kv_string(&w, "outcome", x->outcome);
		jw_kv_int(&w, "duration_s", x->duration_s);
		jw_kv_string(&w, "note", x->note);
		jw_kv_bool(&w, "connected", x->connected);
		jw_kv_bool(&w, "effective", x->effective);
		jw_kv_bool(&w, "interested", x->interested);
		jw_kv_bool(&w, "sale", x->sale);
		jw_kv_bool(&w, "dnc_request", x->dnc_request);
		jw_kv_bool(&w, "revisit", x->revisit);
		jw_kv_bool(&w, "amended", x->amended);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "notes");
	jw_array(&w);
	for (i = 0; i < k->nnotes; i++) {
		jw_object(&w);
		jw_kv_string(&w, "id", k->notes[i].id);
		jw_time(&w, "at", k->notes[i].at);
		jw_kv_string(&w, "author", k->notes[i].author);
		jw_kv_string(&w, "text", k->notes[i].text);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "feedback");
	jw_array(&w);
	for (i = 0; i < k->nfeedback; i++) {
		jw_object(&w);
		jw_kv_string(&w, "id", k->feedback[i].id);
		jw_time(&w, "at", k->feedback[i].at);
		jw_kv_string(&w, "author", k->feedback[i].author);
		jw_kv_string(&w, "text", k->feedback[i].text);
		jw_key(&w, "satisfaction");
		if (k->feedback[i].satisfaction)
			jw_int(&w, k->feedback[i].satisfaction);
		else
			jw_null(&w);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "followups");
	jw_array(&w);
	for (i = 0; i < k->nfollowups; i++) {
		const tsm_card_followup *x = &k->followups[i];

		jw_object(&w);
		jw_kv_string(&w, "id", x->id);
		jw_kv_string(&w, "kind", x->kind);
		jw_time(&w, "due", x->due);
		jw_kv_string(&w, "note", x->note);
		jw_kv_bool(&w, "done", x->done);
		jw_time(&w, "done_at", x->done_at);
		jw_kv_string(&w, "done_by", x->done_by);
		jw_key(&w, "satisfaction");
		if (x->satisfaction)
			jw_int(&w, x->satisfaction);
		else
			jw_null(&w);
		jw_kv_string(&w, "feedback", x->feedback);
		jw_kv_string(&w, "created_by", x->created_by);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "orders");
	jw_array(&w);
	for (i = 0; i < k->norders; i++) {
		const tsm_card_order *x = &k->orders[i];

		jw_object(&w);
		jw_kv_string(&w, "id", x->id);
		jw_kv_string(&w, "service", x->service);
		jw_kv_int(&w, "amount_fen", x->amount_fen);
		jw_key(&w, "term_months");
		if (x->term_months)
			jw_int(&w, x->term_months);
		else
			jw_null(&w);
		jw_kv_string(&w, "start", x->start);
		jw_kv_string(&w, "status", x->status);
		jw_kv_string(&w, "note", x->note);
		jw_kv_string(&w, "created_by", x->created_by);
		jw_time(&w, "created_at", x->created_at);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static int customer_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"calls", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	tsm_customer_card *card = NULL;
	size_t max_calls = 0;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'n')
			return cli_option_error(&cmd_customer, c, argv);
		if (parse_limit(&max_calls, optarg) < 0)
			return cli_usage(&cmd_customer,
					 "--calls takes a positive number, "
					 "not '%s'",
					 optarg);
	}
	if (optind >= argc)
		return cli_usage(&cmd_customer, "customer show needs a "
						"customer (id, prefix or "
						"phone)");
	if (optind + 1 < argc)
		return cli_usage(&cmd_customer, "unexpected argument '%s'",
				 argv[optind + 1]);
	/* Deleted customers can still be shown (restore needs the id). */
	if (tsm_customer_card_get(&card, ctx->store, argv[optind],
				  TSM_RESOLVE_DELETED, max_calls) < 0)
		return cli_fail();
	if (ctx->json)
		show_json(card);
	else
		show_text(card);
	tsm_customer_card_free(card);
	return EXIT_OK;
}

/* ---- delete and restore ---- */

static int customer_lifecycle(struct cli_ctx *ctx, int argc, char **argv,
			      int restore)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	char id[TSM_CUSTOMER_ID_MAX];
	int c, err;

	while ((c = getopt_long(argc, argv, ":", none, NULL)) != -1)
		return cli_option_error(&cmd_customer, c, argv);
	if (optind >= argc)
		return cli_usage(&cmd_customer, "customer %s needs a customer",
				 restore ? "restore" : "delete");
	if (optind + 1 < argc)
		return cli_usage(&cmd_customer, "unexpected argument '%s'",
				 argv[optind + 1]);
	err = restore ? tsm_customer_restore(id, ctx->store, argv[optind])
		      : tsm_customer_delete(id, ctx->store, argv[optind]);
	if (err < 0)
		return cli_fail();
	if (ctx->json)
		return print_record(ctx, id);
	printf("%s %s\n", restore ? "restored" : "deleted", id);
	return EXIT_OK;
}

static int customer_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_customer, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "add") == 0)
		return customer_add(ctx, argc, argv);
	if (strcmp(sub, "edit") == 0)
		return customer_edit(ctx, argc, argv);
	if (strcmp(sub, "list") == 0)
		return customer_list(ctx, argc, argv);
	if (strcmp(sub, "show") == 0)
		return customer_show(ctx, argc, argv);
	if (strcmp(sub, "delete") == 0)
		return customer_lifecycle(ctx, argc, argv, 0);
	if (strcmp(sub, "restore") == 0)
		return customer_lifecycle(ctx, argc, argv, 1);
	return cli_usage(&cmd_customer, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_customer = {
    .name = "customer",
    .usage = "tsm customer add --name N --phone P [FIELD FLAGS]\n"
	     "tsm customer edit CUSTOMER [FIELD FLAGS] [--clear FIELD]...\n"
	     "tsm customer list [--owner M|--mine|--unassigned] [--stage S] "
	     "[--industry I]\n"
	     "                  [--region R] [--source S] "
	     "[--due today|overdue|week]\n"
	     "                  [--search TEXT] [--limit N] [--all] "
	     "[--json]\n"
	     "tsm customer show CUSTOMER [--calls N] [--json]\n"
	     "tsm customer delete|restore CUSTOMER",
    .summary = "add, edit, list and show customers",
    .help =
	"CUSTOMER is an id (c1a2b3c4d5e6), a unique id prefix of at least\n"
	"4 characters, or a phone number as stored (typed any way).\n"
	"\n"
	"field flags (add and edit):\n"
	"  --name N --phone P --company C --industry I --region R\n"
	"  --size S --source S --address A --needs T --tags T\n"
	"  --salutation 先生|女士|小姐|Mr|Ms|Mrs|Miss|Dr\n"
	"  --priority high|normal|low\n"
	"  --stage new|contacted|interested|negotiating|won|lost\n"
	"  --owner MEMBER        assign (leads and managers only)\n"
	"  --clear FIELD         edit: empty a field (not name, phone,\n"
	"                        stage); --clear owner unassigns\n"
	"\n"
	"Phones are stored in E.164 (+8613800001234); full-width digits,\n"
	"spaces and dashes are accepted. A phone another live customer\n"
	"has is added with a warning and queued for review as a suspected\n"
	"duplicate; a phone on the do-not-call list is added with a warning\n"
	"and the customer is do-not-call.\n"
	"\n"
	"add prints the new id (--json: the record). edit writes only the\n"
	"fields whose value changes; when every value given is the current\n"
	"one it prints \"no changes\" and exits 0. edit without any field\n"
	"flag is a usage error (exit 2).\n"
	"\n"
	"list shows the customers you may see (agents: those they own or\n"
	"created; every other role: the whole team), oldest first;\n"
	"--due keeps those with an open follow-up due by the end of today,\n"
	"already overdue, or due within 7 days; --search matches a\n"
	"substring of the name, phone or company; --all also lists deleted\n"
	"and merged customers.\n"
	"\n"
	"show prints the card: fields, stage, owner, do-not-call, calls\n"
	"(newest first; --calls N keeps the N newest), notes, feedback,\n"
	"follow-ups and orders.\n"
	"\n"
	"Exit codes: 1 for an unknown customer, an ambiguous prefix (the\n"
	"candidates are listed) or an invalid value; 2 for a bad flag.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = customer_exec,
};
