/* cli/cmd_dnc.c — `tsm dnc add|list|remove`: the do-not-call list of numbers
 * and customers. Anyone adds; only a manager removes. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/dnc.h"
#include "tsm/when.h"

#include <getopt.h>
#include <string.h>

extern const struct cli_cmd cmd_dnc;

static const char *display(char *buf, size_t len, const char *e164)
{
	if (e164[0] == '\0')
		return "";
	if (tsm_phone_format(buf, len, e164) < 0)
		return e164;
	return buf;
}

static void print_result(const struct cli_ctx *ctx, const tsm_dnc_result *r,
			 int added)
{
	char disp[TSM_PHONE_DISPLAY_MAX];
	jsonw w;

	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "phone", r->phone[0] ? r->phone : NULL);
		jw_kv_string(&w, "customer",
			     r->customer[0] ? r->customer : NULL);
		jw_kv_int(&w, "changed", (int64_t)r->changed);
		jw_kv_int(&w, "customers", (int64_t)r->customers);
		jw_kv_bool(&w, "dnc", added);
		jw_end_object(&w);
		jw_finish(&w);
		return;
	}
	display(disp, sizeof(disp), r->phone);
	if (r->changed == 0) {
		printf("%s%s%s is on the do-not-call list already\n",
		       r->customer[0] ? r->customer : "",
		       r->customer[0] && r->phone[0] ? " " : "",
		       r->phone[0] ? disp : "");
		return;
	}
	if (r->customer[0])
		printf("%s %s%s%s\n",
		       added ? "do not call:" : "may call again:", r->customer,
		       r->phone[0] ? " " : "",
		       r->phone[0] ? display(disp, sizeof(disp), r->phone)
				   : "");
	else
		printf("%s %s%s\n",
		       added ? "do not call:" : "may call again:", disp,
		       r->customers == 0   ? ""
		       : r->customers == 1 ? " (1 customer)"
					   : " (several customers)");
}

static int dnc_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *reason = NULL;
	tsm_dnc_result r;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'r')
			return cli_option_error(&cmd_dnc, c, argv);
		reason = optarg;
	}
	if (optind >= argc)
		return cli_usage(&cmd_dnc, "dnc add needs a phone or customer");
	if (optind + 1 < argc)
		return cli_usage(&cmd_dnc, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (tsm_dnc_add(&r, ctx->store, argv[optind], reason) < 0)
		return cli_fail();
	print_result(ctx, &r, 1);
	return EXIT_OK;
}

static int dnc_remove(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	tsm_dnc_result r;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_dnc, c, argv);
	if (optind >= argc)
		return cli_usage(&cmd_dnc,
				 "dnc remove needs a phone or customer");
	if (optind + 1 < argc)
		return cli_usage(&cmd_dnc, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (tsm_dnc_remove(&r, ctx->store, argv[optind]) < 0)
		return cli_fail();
	print_result(ctx, &r, 0);
	return EXIT_OK;
}

static int dnc_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	char disp[TSM_PHONE_DISPLAY_MAX], when[TSM_WHEN_FORMAT_MAX];
	struct cli_table *t = NULL;
	tsm_dnc_entry *list = NULL;
	size_t n = 0, i;
	int c, rc = EXIT_OK;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_dnc, c, argv);
	if (optind < argc)
		return cli_usage(&cmd_dnc, "unexpected argument '%s'",
				 argv[optind]);
	if (tsm_dnc_list(&list, &n, ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++) {
			jw_object(&w);
			jw_kv_string(&w, "phone",
				     list[i].phone[0] ? list[i].phone : NULL);
			jw_kv_bool(&w, "listed", list[i].listed);
			jw_kv_string(&w, "customer",
				     list[i].customer[0] ? list[i].customer
							 : NULL);
			jw_kv_string(&w, "customer_name",
				     list[i].customer_name);
			jw_kv_int(&w, "customers", (int64_t)list[i].customers);
			jw_kv_string(&w, "author", list[i].author);
			jw_kv_string(&w, "reason", list[i].reason);
			jw_key(&w, "at");
			if (tsm_when_format_iso(when, sizeof(when),
						list[i].at) == 0)
				jw_string(&w, when);
			else
				jw_null(&w);
			jw_end_object(&w);
		}
		jw_end_array(&w);
		jw_finish(&w);
		goto done;
	}
	if (n == 0) {
		printf("the do-not-call list is empty\n");
		goto done;
	}
	t = cli_table_new();
	if (t == NULL) {
		cli_error("out of memory");
		rc = EXIT_ERR;
		goto done;
	}
	cli_table_column(t, "PHONE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "CUSTOMER", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "NAME", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "BY", TSM_TEXT_LEFT, 16);
	cli_table_column(t, "SINCE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "REASON", TSM_TEXT_LEFT, 30);
	for (i = 0; i < n; i++) {
		cli_table_cell(t, display(disp, sizeof(disp), list[i].phone));
		if (list[i].customers > 1)
			cli_table_cellf(t, "%s +%zu", list[i].customer,
					list[i].customers - 1);
		else
			cli_table_cell(t, list[i].customer);
		cli_table_cell(t, list[i].customer_name);
		cli_table_cell(t, list[i].author);
		if (tsm_when_format(when, sizeof(when), list[i].at) < 0)
			when[0] = '\0';
		cli_table_cell(t, when);
		cli_table_cell(t, list[i].reason);
	}
	if (cli_table_print(t, stdout) < 0)
		rc = cli_fail();
done:
	cli_table_free(t);
	tsm_dnc_list_free(list, n);
	return rc;
}

static int dnc_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_dnc, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "add") == 0)
		return dnc_add(ctx, argc, argv);
	if (strcmp(sub, "remove") == 0)
		return dnc_remove(ctx, argc, argv);
	if (strcmp(sub, "list") == 0)
		return dnc_list(ctx, argc, argv);
	return cli_usage(&cmd_dnc, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_dnc = {
    .name = "dnc",
    .usage = "tsm dnc add PHONE|CUSTOMER [--reason TEXT]\n"
	     "tsm dnc list [--json]\n"
	     "tsm dnc remove PHONE|CUSTOMER",
    .summary = "the do-not-call list",
    .help =
	"add puts a number on the do-not-call list; anyone may. A customer\n"
	"(id or id prefix) is flagged and its number listed. The reason\n"
	"is kept with the number (list shows the last one given) and as\n"
	"a note on the customer (for a number: on each of its customers\n"
	"you may write to).\n"
	"\n"
	"list shows the listed numbers and flagged customers, oldest first.\n"
	"\n"
	"remove takes a number off the list and clears the flags of its\n"
	"customers (for a customer: its flag and its number). Only a\n"
	"manager may remove: do-not-call is sticky.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = dnc_exec,
};
