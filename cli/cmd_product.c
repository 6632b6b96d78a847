/* cli/cmd_product.c — `tsm product list|add|set`: the team's product list
 * (the services orders are for), built-in defaults until the team overrides
 * them; managers edit. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/order.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_product;

static int product_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_table *t;
	tsm_product *ps = NULL;
	size_t n = 0, i;
	int c, all = 0, rc;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'a')
			all = 1;
		else
			return cli_option_error(&cmd_product, c, argv);
	}
	if (optind < argc)
		return cli_usage(&cmd_product, "unexpected argument '%s'",
				 argv[optind]);
	if (tsm_product_list(&ps, &n, ctx->store, all) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++) {
			jw_object(&w);
			jw_kv_string(&w, "id", ps[i].id);
			jw_kv_string(&w, "name", ps[i].name);
			jw_kv_string(&w, "name_zh", ps[i].name_zh);
			jw_key(&w, "default_term");
			if (ps[i].default_term > 0)
				jw_int(&w, ps[i].default_term);
			else
				jw_null(&w);
			jw_kv_bool(&w, "active", ps[i].active);
			jw_kv_bool(&w, "builtin", ps[i].builtin);
			jw_end_object(&w);
		}
		jw_end_array(&w);
		jw_finish(&w);
		tsm_product_list_free(ps, n);
		return EXIT_OK;
	}
	t = cli_table_new();
	if (t == NULL) {
		tsm_product_list_free(ps, n);
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(t, "ID", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "NAME", TSM_TEXT_LEFT, 32);
	cli_table_column(t, "中文名", TSM_TEXT_LEFT, 24);
	cli_table_column(t, "TERM", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "", TSM_TEXT_LEFT, 0);
	for (i = 0; i < n; i++) {
		cli_table_cell(t, ps[i].id);
		cli_table_cell(t, ps[i].name);
		cli_table_cell(t, ps[i].name_zh ? ps[i].name_zh : "-");
		if (ps[i].default_term > 0)
			cli_table_cellf(t, "%dm", ps[i].default_term);
		else
			cli_table_cell(t, "-");
		cli_table_cell(t, !ps[i].active	  ? "(retired)"
				  : ps[i].builtin ? "(built-in)"
						  : "");
	}
	rc = cli_table_print(t, stdout) < 0 ? cli_fail() : EXIT_OK;
	cli_table_free(t);
	tsm_product_list_free(ps, n);
	return rc;
}

static int product_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"name-zh", required_argument, NULL, 'z'},
	    {"term", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *name_zh = NULL;
	int c, term = 0;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'z':
			name_zh = optarg;
			break;
		case 't':
			if (tsm_order_term_parse(&term, optarg) < 0) {
				cli_error("%s", tsm_error_last()->message);
				return EXIT_ERR;
			}
			break;
		default:
			return cli_option_error(&cmd_product, c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage(&cmd_product, "product add takes one ID");
	if (name == NULL)
		return cli_usage(&cmd_product, "product add needs --name");
	if (tsm_product_add(ctx->store, argv[optind], name, name_zh, term) < 0)
		return cli_fail();
	printf("added product '%s'\n", argv[optind]);
	return EXIT_OK;
}

static int product_set(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	const char *field;
	int c;

	/* "+": options stop at ID, so a VALUE such as -1 stays a value. */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1)
		return cli_option_error(&cmd_product, c, argv);
	if (argc - optind != 3)
		return cli_usage(&cmd_product,
				 "product set takes ID FIELD VALUE");
	field = argv[optind + 1];
	if (strcmp(field, "name-zh") == 0)
		field = "name_zh";
	else if (strcmp(field, "term") == 0 ||
		 strcmp(field, "default-term") == 0)
		field = "default_term";
	if (tsm_product_set(ctx->store, argv[optind], field, argv[optind + 2]) <
	    0)
		return cli_fail();
	printf("product '%s': %s set\n", argv[optind], field);
	return EXIT_OK;
}

static int product_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_product, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0)
		return product_list(ctx, argc, argv);
	if (strcmp(sub, "add") == 0)
		return product_add(ctx, argc, argv);
	if (strcmp(sub, "set") == 0)
		return product_set(ctx, argc, argv);
	return cli_usage(&cmd_product, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_product = {
    .name = "product",
    .usage = "tsm product list [--all] [--json]\n"
	     "tsm product add ID --name NAME [--name-zh NAME] "
	     "[--term MONTHS]\n"
	     "tsm product set ID FIELD VALUE",
    .summary = "the services orders are for (managers edit)",
    .help =
	"The product list is team data. Built-in products (retainer,\n"
	"contract-review, litigation, compliance-audit, ip-registration,\n"
	"labor-dispute) are listed until the team overrides them: a team\n"
	"product with the same id replaces one, and setting a field of a\n"
	"built-in creates the team's copy. Retire a product with\n"
	"'tsm product set ID active false'; list --all shows retired ones.\n"
	"\n"
	"fields: name, name_zh, default_term (months, or none), active\n"
	"(true or false). Orders name a product by id or by name.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = product_exec,
};
