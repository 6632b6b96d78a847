/* cli/cmd_order.c — `tsm order add|list`: orders for a customer (service
 * from the product list, amount typed in yuan and stored as integer fen,
 * term, start date) and listings with filters, totals and --json. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/customer.h"
#include "tsm/money.h"
#include "tsm/order.h"
#include "tsm/when.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_order;

static void json_order(jsonw *w, const tsm_order *o)
{
	char amount[TSM_MONEY_FORMAT_MAX];

	if (tsm_money_format(amount, sizeof(amount), o->amount_fen) < 0)
		amount[0] = '\0';
	jw_object(w);
	jw_kv_string(w, "id", o->id);
	jw_kv_string(w, "customer", o->customer);
	jw_kv_string(w, "customer_name", o->customer_name);
	jw_kv_string(w, "service", o->service);
	jw_kv_string(w, "service_name", o->service_name);
	jw_kv_int(w, "amount_fen", o->amount_fen);
	jw_kv_string(w, "amount", amount);
	jw_key(w, "term_months");
	if (o->term_months > 0)
		jw_int(w, o->term_months);
	else
		jw_null(w);
	jw_kv_string(w, "start", o->start);
	jw_kv_string(w, "status", o->status);
	jw_kv_string(w, "note", o->note);
	jw_kv_string(w, "created_by", o->created_by);
	jw_time(w, "created_at", o->created_at);
	jw_end_object(w);
}

static int order_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"service", required_argument, NULL, 's'},
	    {"amount", required_argument, NULL, 'a'},
	    {"term", required_argument, NULL, 't'},
	    {"start", required_argument, NULL, 'S'},
	    {"note", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	tsm_order_new o = TSM_ORDER_NEW_INIT;
	tsm_order_filter f = TSM_ORDER_FILTER_INIT;
	char cid[TSM_CUSTOMER_ID_MAX], id[TSM_ORDER_ID_MAX];
	char amount[TSM_MONEY_FORMAT_MAX];
	const char *amount_text = NULL;
	tsm_order *list = NULL, *mine = NULL;
	size_t n = 0, i;
	jsonw w;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.service = optarg;
			break;
		case 'a':
			amount_text = optarg;
			break;
		case 't':
			if (tsm_order_term_parse(&o.term_months, optarg) < 0) {
				cli_error("%s", tsm_error_last()->message);
				return EXIT_ERR;
			}
			break;
		case 'S':
			o.start = optarg;
			break;
		case 'n':
			o.note = optarg;
			break;
		default:
			return cli_option_error(&cmd_order, c, argv);
		}
	}
	if (argc - optind < 1)
		return cli_usage(&cmd_order, "order add needs a CUSTOMER");
	if (argc - optind > 1)
		return cli_usage(&cmd_order, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (o.service == NULL)
		return cli_usage(&cmd_order, "order add needs --service");
	if (amount_text == NULL)
		return cli_usage(&cmd_order, "order add needs --amount");
	if (tsm_money_parse_yuan(&o.amount_fen, amount_text) < 0)
		return cli_fail();
	if (tsm_customer_resolve(cid, ctx->store, argv[optind], 0) < 0)
		return cli_fail();
	o.customer = cid;
	if (tsm_order_add(id, ctx->store, &o) < 0)
		return cli_fail();
	/* Read it back: what the store holds is what we report. */
	f.customer = cid;
	if (tsm_order_list(&list, &n, ctx->store, &f) < 0)
		return cli_fail();
	for (i = 0; i < n; i++)
		if (strcmp(list[i].id, id) == 0)
			mine = &list[i];
	if (mine == NULL) {
		tsm_order_list_free(list, n);
		cli_error("order %s was written but cannot be read back", id);
		return EXIT_ERR;
	}
	if (ctx->json) {
		jw_init(&w, stdout);
		json_order(&w, mine);
		jw_finish(&w);
	} else {
		if (tsm_money_format(amount, sizeof(amount), mine->amount_fen) <
		    0)
			amount[0] = '\0';
		printf("order %s: %s (%s) ¥%s", mine->id, mine->service_name,
		       mine->service, amount);
		if (mine->term_months > 0)
			printf(", %d month%s", mine->term_months,
			       mine->term_months == 1 ? "" : "s");
		if (mine->start)
			printf(" from %s", mine->start);
		printf(" for %s (%s)\n",
		       mine->customer_name ? mine->customer_name : "-",
		       mine->customer);
	}
	tsm_order_list_free(list, n);
	return EXIT_OK;
}

static int order_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"customer", required_argument, NULL, 'c'},
	    {"member", required_argument, NULL, 'm'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	tsm_order_filter f = TSM_ORDER_FILTER_INIT;
	char cid[TSM_CUSTOMER_ID_MAX], buf[TSM_WHEN_FORMAT_MAX];
	char amount[TSM_MONEY_FORMAT_MAX];
	const char *customer = NULL;
	struct cli_table *t;
	tsm_order *list = NULL;
	size_t n = 0, i;
	int64_t total = 0;
	jsonw w;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			customer = optarg;
			break;
		case 'm':
			f.member = optarg;
			break;
		case 'f':
			f.from = optarg;
			break;
		case 't':
			f.to = optarg;
			break;
		default:
			return cli_option_error(&cmd_order, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_order, "unexpected argument '%s'",
				 argv[optind]);
	if (customer) {
		if (tsm_customer_resolve(cid, ctx->store, customer, 0) < 0)
			return cli_fail();
		f.customer = cid;
	}
	if (tsm_order_list(&list, &n, ctx->store, &f) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++)
			json_order(&w, &list[i]);
		jw_end_array(&w);
		jw_finish(&w);
		tsm_order_list_free(list, n);
		return EXIT_OK;
	}
	if (n == 0) {
		printf("no orders\n");
		tsm_order_list_free(list, n);
		return EXIT_OK;
	}
	t = cli_table_new();
	if (t == NULL) {
		tsm_order_list_free(list, n);
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(t, "ID", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "DATE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "CUSTOMER", TSM_TEXT_LEFT, 24);
	cli_table_column(t, "SERVICE", TSM_TEXT_LEFT, 20);
	cli_table_column(t, "AMOUNT", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "TERM", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "START", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "BY", TSM_TEXT_LEFT, 0);
	for (i = 0; i < n; i++) {
		cli_table_cell(t, list[i].id);
		if (tsm_when_format(buf, sizeof(buf), list[i].created_at) < 0)
			buf[0] = '\0';
		buf[10] = '\0'; /* the day of "YYYY-MM-DD HH:MM" */
		cli_table_cell(t, buf);
		cli_table_cell(t, list[i].customer_name ? list[i].customer_name
							: list[i].customer);
		cli_table_cell(t, list[i].service_name);
		if (tsm_money_format(amount, sizeof(amount),
				     list[i].amount_fen) < 0)
			amount[0] = '\0';
		cli_table_cell(t, amount);
		if (list[i].term_months > 0)
			cli_table_cellf(t, "%dm", list[i].term_months);
		else
			cli_table_cell(t, "-");
		cli_table_cell(t, list[i].start ? list[i].start : "-");
		cli_table_cell(t, list[i].created_by);
		total += list[i].amount_fen;
	}
	rc = cli_table_print(t, stdout) < 0 ? cli_fail() : EXIT_OK;
	cli_table_free(t);
	if (rc == EXIT_OK) {
		if (tsm_money_format(amount, sizeof(amount), total) < 0)
			amount[0] = '\0';
		printf("%zu order%s, total ¥%s\n", n, n == 1 ? "" : "s",
		       amount);
	}
	tsm_order_list_free(list, n);
	return rc;
}

static int order_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_order, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "add") == 0)
		return order_add(ctx, argc, argv);
	if (strcmp(sub, "list") == 0)
		return order_list(ctx, argc, argv);
	return cli_usage(&cmd_order, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_order = {
    .name = "order",
    .usage = "tsm order add CUSTOMER --service S --amount YUAN "
	     "[--term MONTHS] [--start YYYY-MM-DD] [--note T]\n"
	     "tsm order list [--customer ID] [--member M] [--from DATE] "
	     "[--to DATE] [--json]",
    .summary = "record and list orders",
    .help = "add records an order for CUSTOMER (an id, id prefix or phone).\n"
	    "  --service   a product id or name from 'tsm product list'\n"
	    "  --amount    yuan: 12000, 12,000.50, ¥12000, 12000元 (at most\n"
	    "              two decimals; stored as integer fen)\n"
	    "  --term      months; default: the product's default term\n"
	    "  --start     the start date; default today\n"
	    "list shows the orders you may see, oldest first, with a total;\n"
	    "  --from/--to filter by the day the order was recorded\n"
	    "  (YYYY-MM-DD, both inclusive). --json gives amount_fen as an\n"
	    "  integer and amount as text.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = order_exec,
};
