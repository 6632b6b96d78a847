/* cli/cmd_review.c — `tsm review list|resolve`: the conflicts, violations,
 * suspected duplicates and rejected ops sync queued, with both sides, and
 * their resolution by a lead or manager. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/review_ext.h"
#include "tsm/when.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_review;

static void when_text(char out[TSM_WHEN_FORMAT_MAX], int64_t ms)
{
	if (ms <= 0 || tsm_when_format(out, TSM_WHEN_FORMAT_MAX, ms) < 0)
		snprintf(out, TSM_WHEN_FORMAT_MAX, "-");
}

static int valid_kind(const char *k)
{
	return strcmp(k, TSM_REVIEW_CONFLICT) == 0 ||
	       strcmp(k, TSM_REVIEW_VIOLATION) == 0 ||
	       strcmp(k, TSM_REVIEW_DUPLICATE) == 0 ||
	       strcmp(k, TSM_REVIEW_REJECTED) == 0;
}

/* A side's value with its own JSON type where jsonw has one (strings,
 * integers, booleans, null), else as its JSON text. */
static void json_value(jsonw *w, const tsm_review_side *s)
{
	const char *json = s->value;
	char *end;
	long long v;

	if (json == NULL || strcmp(json, "null") == 0) {
		jw_null(w);
	} else if (s->text) {
		jw_string(w, s->text);
	} else if (strcmp(json, "true") == 0 || strcmp(json, "false") == 0) {
		jw_bool(w, json[0] == 't');
	} else {
		v = strtoll(json, &end, 10);
		if (*end == '\0' && end != json)
			jw_int(w, v);
		else
			jw_string(w, json);
	}
}

static void view_json(jsonw *w, const tsm_review_view *v)
{
	const char *p, *sp;
	size_t i;

	jw_object(w);
	jw_kv_string(w, "id", v->item.id);
	jw_kv_string(w, "kind", v->item.kind);
	jw_kv_string(w, "etype", v->item.etype);
	jw_kv_string(w, "eid", v->item.eid);
	jw_kv_string(w, "field", v->item.field);
	jw_kv_string(w, "label", v->label);
	jw_kv_bool(w, "open", v->item.open);
	jw_kv_bool(w, "closed_by_change", v->closed);
	jw_kv_int(w, "at", v->item.at);
	jw_key(w, "ops");
	jw_array(w);
	for (p = v->item.ops; p && *p; p = sp ? sp + 1 : p + strlen(p)) {
		char id[TSM_OPID_MAX];
		size_t len;

		sp = strchr(p, ' ');
		len = sp ? (size_t)(sp - p) : strlen(p);
		if (len >= sizeof(id))
			len = sizeof(id) - 1;
		memcpy(id, p, len);
		id[len] = '\0';
		jw_string(w, id);
	}
	jw_end_array(w);
	jw_kv_string(w, "choice", v->item.choice);
	jw_kv_string(w, "resolved_op", v->item.resolved_by);
	jw_kv_string(w, "resolved_by", v->resolved_author);
	jw_key(w, "resolved_at");
	if (v->resolved_at > 0)
		jw_int(w, v->resolved_at);
	else
		jw_null(w);
	jw_kv_string(w, "note", v->note);
	jw_key(w, "sides");
	jw_array(w);
	for (i = 0; i < v->nsides; i++) {
		const tsm_review_side *s = &v->sides[i];

		jw_object(w);
		jw_kv_string(w, "label", s->label);
		jw_kv_string(w, "op", s->op[0] ? s->op : NULL);
		jw_kv_string(w, "author", s->author);
		jw_key(w, "at");
		if (s->at > 0)
			jw_int(w, s->at);
		else
			jw_null(w);
		jw_key(w, "value");
		json_value(w, s);
		jw_kv_string(w, "value_json", s->value);
		jw_kv_string(w, "info", s->info);
		jw_kv_string(w, "customer", s->customer);
		jw_kv_bool(w, "current", s->current);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_end_object(w);
}

static int view_text(const tsm_review_view *v)
{
	char when[TSM_WHEN_FORMAT_MAX];
	struct cli_table *t;
	size_t i;
	int show_value, err;

	when_text(when, v->item.at);
	printf("%s  %s  %s %s", v->item.id, v->item.kind, v->item.etype,
	       v->item.eid);
	if (v->label)
		printf(" (%s)", v->label);
	if (v->item.field[0])
		printf("  field %s", v->item.field);
	printf("  %s  %s\n", when, v->item.open ? "open" : "resolved");
	show_value = strcmp(v->item.kind, TSM_REVIEW_CONFLICT) == 0 &&
		     strcmp(v->item.field, "deleted") != 0;
	if ((t = cli_table_new()) == NULL)
		return TSM_ENOMEM;
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "", TSM_TEXT_LEFT, 48);
	cli_table_column(t, "", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	for (i = 0; i < v->nsides; i++) {
		const tsm_review_side *s = &v->sides[i];

		when_text(when, s->at);
		cli_table_cell(t, "");
		cli_table_cell(t, s->label);
		if (show_value)
			cli_table_cell(t, s->text    ? s->text
					  : s->value ? s->value
						     : "null");
		else if (s->customer)
			cli_table_cellf(t, "%s %s", s->customer, s->info);
		else
			cli_table_cell(t, s->info);
		cli_table_cell(t, s->author ? s->author : "?");
		cli_table_cell(t, when);
		cli_table_cell(t, s->op);
		cli_table_cell(t, s->current ? "(current)" : "");
	}
	err = cli_table_print(t, stdout);
	cli_table_free(t);
	if (err < 0)
		return err;
	if (!v->item.open) {
		when_text(when, v->resolved_at);
		printf("  resolved: %s by %s at %s%s%s%s\n",
		       v->item.choice ? v->item.choice : "?",
		       v->resolved_author ? v->resolved_author : "?", when,
		       v->closed ? " (the data changed)" : "",
		       v->note ? "; note: " : "", v->note ? v->note : "");
	}
	return 0;
}

static int review_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"kind", required_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	tsm_review_filter f = TSM_REVIEW_FILTER_INIT;
	tsm_review_view *views = NULL;
	size_t n, i;
	int c, all = 0;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'k':
			if (!valid_kind(optarg))
				return cli_usage(&cmd_review,
						 "unknown kind '%s' (conflict, "
						 "violation, duplicate or "
						 "rejected)",
						 optarg);
			f.kind = optarg;
			break;
		default:
			return cli_option_error(&cmd_review, c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage(&cmd_review, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (optind < argc)
		f.id = argv[optind];
	f.open_only = !all;
	if (tsm_review_view_list(&views, &n, ctx->store, &f) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++)
			view_json(&w, &views[i]);
		jw_end_array(&w);
		jw_finish(&w);
	} else if (n == 0) {
		printf("%s\n", all ? "no review items" : "nothing to review");
	} else {
		for (i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			if (view_text(&views[i]) < 0) {
				tsm_review_view_list_free(views, n);
				return cli_fail();
			}
		}
	}
	tsm_review_view_list_free(views, n);
	return EXIT_OK;
}

static int review_resolve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"choose", required_argument, NULL, 'c'},
	    {"merge-into", required_argument, NULL, 'm'},
	    {"ack", no_argument, NULL, 'a'},
	    {"dismiss", no_argument, NULL, 'd'},
	    {"note", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	tsm_review_choice ch = TSM_REVIEW_CHOICE_INIT;
	tsm_review_done done;
	int c, k;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ch.choose = optarg;
			break;
		case 'm':
			ch.merge_into = optarg;
			break;
		case 'a':
			ch.ack = 1;
			break;
		case 'd':
			ch.dismiss = 1;
			break;
		case 'n':
			ch.note = optarg;
			break;
		default:
			return cli_option_error(&cmd_review, c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage(&cmd_review,
				 "review resolve takes one item id");
	k = (ch.choose != NULL) + (ch.merge_into != NULL) + ch.ack + ch.dismiss;
	if (k != 1)
		return cli_usage(&cmd_review,
				 "give one of --choose, --merge-into, --ack "
				 "or --dismiss");
	if (tsm_review_decide(&done, ctx->store, argv[optind], &ch) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "id", done.id);
		jw_kv_string(&w, "kind", done.kind);
		jw_kv_string(&w, "choice", done.choice);
		jw_kv_int(&w, "data_ops", (int64_t)done.data_ops);
		jw_kv_string(&w, "resolve_op", done.resolve_op);
		jw_end_object(&w);
		jw_finish(&w);
		return EXIT_OK;
	}
	printf("resolved %s (%s): %s", done.id, done.kind, done.choice);
	if (done.data_ops)
		printf("; %zu change%s written", done.data_ops,
		       done.data_ops == 1 ? "" : "s");
	printf("\n");
	return EXIT_OK;
}

static int review_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_review, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0)
		return review_list(ctx, argc, argv);
	if (strcmp(sub, "resolve") == 0)
		return review_resolve(ctx, argc, argv);
	return cli_usage(&cmd_review, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_review = {
    .name = "review",
    .usage = "tsm review list [--all] [--kind KIND] [ID] [--json]\n"
	     "tsm review resolve ID (--choose A|B|VALUE | --merge-into KEEP "
	     "| --ack | --dismiss)\n"
	     "                      [--note TEXT]",
    .summary = "list and resolve what sync queued for review",
    .help = "Kinds: conflict (concurrent edits of one field with different\n"
	    "values; the winner is shown, marked current), violation (a\n"
	    "call logged on a do-not-call customer), duplicate (live\n"
	    "customers sharing a phone number), rejected (an op that broke\n"
	    "a rule). list shows open items (--all: resolved ones too),\n"
	    "each with its sides A, B, ...: values, authors, times and op\n"
	    "ids. An ID argument shows the items whose id starts with it.\n"
	    "\n"
	    "resolve (leads and managers; ID or a unique prefix):\n"
	    "  conflict   --choose A|B picks a side; a side that is not the\n"
	    "             current one is written back, so the data changes\n"
	    "             on every replica once synced; for a customer\n"
	    "             field --choose VALUE sets a new value. A\n"
	    "             delete-versus-edit conflict takes --choose\n"
	    "             delete|restore.\n"
	    "  duplicate  --merge-into KEEP (a customer id or prefix, or a\n"
	    "             side's label; also --choose) merges the others\n"
	    "             into KEEP: their calls, notes, follow-ups and\n"
	    "             orders follow it. Merging takes a manager.\n"
	    "  violation, rejected   --ack --note TEXT records what was done.\n"
	    "  any kind   --dismiss closes it without a change.\n"
	    "Nothing is written when the choice does not fit the item.\n"
	    "\n"
	    "Exit status: review list exits 0 whether or not items are\n"
	    "open (count them with --json); `tsm sync` is the command that\n"
	    "exits 4 when it queued new items for review.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = review_exec,
};
