/* cli/cmd_assign.c — `tsm assign`: customers by id or by filter, or a
 * member's whole list, to one or several members, round-robin or balanced
 * by open workload; --dry-run shows the plan, --json prints it. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/assign.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_assign;

/* Splits "a,b,c" (in place) onto the end of list. */
static int split_members(const char **list, size_t *n, size_t cap, char *arg)
{
	char *p = arg, *comma;

	while (p) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p) {
			if (*n == cap)
				return -1;
			list[(*n)++] = p;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int parse_limit(size_t *out, const char *s)
{
	size_t v = 0, i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || v > 100000000)
			return -1;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	if (i == 0 || v == 0)
		return -1;
	*out = v;
	return 0;
}

static void print_json(const tsm_assign_result *r, int strategy)
{
	jsonw w;
	size_t i;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_bool(&w, "dry_run", r->dry_run);
	jw_kv_string(&w, "strategy",
		     strategy == TSM_ASSIGN_BALANCED ? "balanced"
						     : "round-robin");
	jw_kv_int(&w, "selected", (int64_t)r->n);
	jw_kv_int(&w, "changed", (int64_t)r->changed);
	jw_kv_int(&w, "unchanged", (int64_t)r->unchanged);
	jw_key(&w, "members");
	jw_array(&w);
	for (i = 0; i < r->nmembers; i++) {
		const tsm_assign_member *m = &r->members[i];

		jw_object(&w);
		jw_kv_string(&w, "member", m->member);
		jw_kv_string(&w, "name", m->name);
		jw_kv_string(&w, "role", m->role);
		jw_kv_int(&w, "open_before", (int64_t)m->open_before);
		jw_kv_int(&w, "assigned", (int64_t)m->assigned);
		jw_kv_int(&w, "kept", (int64_t)m->kept);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "assignments");
	jw_array(&w);
	for (i = 0; i < r->n; i++) {
		const tsm_assignment *a = &r->list[i];

		jw_object(&w);
		jw_kv_string(&w, "customer", a->customer);
		jw_kv_string(&w, "name", a->name);
		jw_kv_string(&w, "from", a->from[0] ? a->from : NULL);
		jw_kv_string(&w, "to", a->to);
		jw_kv_bool(&w, "changed", a->changed);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static int print_text(const tsm_assign_result *r)
{
	struct cli_table *t;
	size_t i;
	int err = 0;

	if (r->n == 0) {
		printf("no customers match: nothing to assign\n");
		return EXIT_OK;
	}
	/* The plan in full for a dry run or a short list. */
	if (r->dry_run || r->n <= 50) {
		t = cli_table_new();
		if (t == NULL) {
			cli_error("out of memory");
			return EXIT_ERR;
		}
		cli_table_column(t, "CUSTOMER", TSM_TEXT_LEFT, 0);
		cli_table_column(t, "NAME", TSM_TEXT_LEFT, 20);
		cli_table_column(t, "FROM", TSM_TEXT_LEFT, 16);
		cli_table_column(t, "TO", TSM_TEXT_LEFT, 16);
		for (i = 0; i < r->n; i++) {
			cli_table_cell(t, r->list[i].customer);
			cli_table_cell(t, r->list[i].name);
			cli_table_cell(t, r->list[i].from[0] ? r->list[i].from
							     : "-");
			cli_table_cellf(t, "%s%s", r->list[i].to,
					r->list[i].changed ? "" : " (already)");
		}
		err = cli_table_print(t, stdout);
		cli_table_free(t);
		if (err < 0)
			return cli_fail();
		putchar('\n');
	}
	printf("%s %zu customer%s",
	       r->dry_run ? "dry run: would assign" : "assigned", r->changed,
	       r->changed == 1 ? "" : "s");
	if (r->unchanged)
		printf(" (%zu already with their member)", r->unchanged);
	printf(":\n");
	for (i = 0; i < r->nmembers; i++) {
		const tsm_assign_member *m = &r->members[i];

		printf("  %-16s +%zu (open before: %zu)\n", m->member,
		       m->assigned, m->open_before);
	}
	return EXIT_OK;
}

enum {
	OPT_TO = 1000,
	OPT_FROM,
	OPT_UNASSIGNED,
	OPT_INDUSTRY,
	OPT_REGION,
	OPT_SOURCE,
	OPT_STAGE,
	OPT_LIMIT,
	OPT_STRATEGY,
	OPT_DRY
};

static int assign_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, OPT_TO},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"unassigned", no_argument, NULL, OPT_UNASSIGNED},
	    {"industry", required_argument, NULL, OPT_INDUSTRY},
	    {"region", required_argument, NULL, OPT_REGION},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"stage", required_argument, NULL, OPT_STAGE},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"strategy", required_argument, NULL, OPT_STRATEGY},
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {NULL, 0, NULL, 0},
	};
	tsm_assign_options o = TSM_ASSIGN_OPTIONS_INIT;
	tsm_customer_filter f = TSM_CUSTOMER_FILTER_INIT;
	tsm_assign_result r;
	const char **to = NULL;
	size_t nto = 0, cap = (size_t)argc * 64 + 1;
	int c, rc = EXIT_OK, filtered = 0;

	to = calloc(cap, sizeof(*to));
	if (to == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TO:
			if (split_members(to, &nto, cap, optarg) < 0) {
				rc = cli_usage(&cmd_assign,
					       "too many members in --to");
				goto done;
			}
			break;
		case OPT_FROM:
			o.from = optarg;
			break;
		case OPT_UNASSIGNED:
			f.owner = "";
			filtered = 1;
			break;
		case OPT_INDUSTRY:
			f.industry = optarg;
			filtered = 1;
			break;
		case OPT_REGION:
			f.region = optarg;
			filtered = 1;
			break;
		case OPT_SOURCE:
			f.source = optarg;
			filtered = 1;
			break;
		case OPT_STAGE:
			f.stage = optarg;
			filtered = 1;
			break;
		case OPT_LIMIT:
			if (parse_limit(&f.limit, optarg) < 0) {
				rc = cli_usage(&cmd_assign,
					       "--limit: a positive number");
				goto done;
			}
			filtered = 1;
			break;
		case OPT_STRATEGY:
			o.strategy = tsm_assign_strategy_parse(optarg);
			if (o.strategy < 0) {
				rc = cli_usage(&cmd_assign,
					       "--strategy: round-robin or "
					       "balanced");
				goto done;
			}
			break;
		case OPT_DRY:
			o.dry_run = 1;
			break;
		default:
			rc = cli_option_error(&cmd_assign, c, argv);
			goto done;
		}
	}
	if (nto == 0) {
		rc = cli_usage(&cmd_assign, "whom to? give --to MEMBER[,...]");
		goto done;
	}
	o.to = to;
	o.nto = nto;
	if (optind < argc) {
		if (filtered || o.from) {
			rc = cli_usage(&cmd_assign,
				       "give customers or a filter "
				       "(--unassigned, --industry, ...) or "
				       "--from, not both");
			goto done;
		}
		o.customers = (const char *const *)&argv[optind];
		o.ncustomers = (size_t)(argc - optind);
	} else if (!filtered && !o.from) {
		rc = cli_usage(&cmd_assign,
			       "which customers? give ids, a filter "
			       "(--unassigned, --industry, --region, "
			       "--source) or --from MEMBER");
		goto done;
	} else if (filtered) {
		o.filter = &f;
	}
	if (tsm_assign(&r, ctx->store, &o) < 0) {
		rc = cli_fail();
		tsm_assign_result_dispose(&r);
		goto done;
	}
	if (ctx->json)
		print_json(&r, o.strategy);
	else
		rc = print_text(&r);
	tsm_assign_result_dispose(&r);
done:
	free(to);
	return rc;
}

const struct cli_cmd cmd_assign = {
    .name = "assign",
    .usage = "tsm assign CUSTOMER... --to MEMBER[,MEMBER...] "
	     "[--strategy round-robin|balanced]\n"
	     "tsm assign --unassigned|--industry I|--region R|--source S "
	     "[--stage S] [--limit N]\n"
	     "           --to MEMBER[,MEMBER...] [--strategy "
	     "round-robin|balanced]\n"
	     "tsm assign --from MEMBER --to MEMBER[,MEMBER...] [...]\n"
	     "(each form takes --dry-run and --json)",
    .summary = "assign customers to agents, leads or managers",
    .help = "Customers are named by id, id prefix or phone, or chosen by "
	    "a filter\n"
	    "(filters combine; live customers in the order they were "
	    "created), or\n"
	    "--from MEMBER takes all of a member's customers (leave, "
	    "departure).\n\n"
	    "round-robin (default): in that order, customers go to the "
	    "first member,\n"
	    "the second, ..., the first again. balanced: each next "
	    "customer goes to\n"
	    "the member with the fewest customers, counting their open "
	    "ones (not won,\n"
	    "lost or deleted) and the ones just given; ties go to the "
	    "lower member id.\n\n"
	    "Members must be active agents, leads or managers. Only leads "
	    "and managers\n"
	    "may assign: other members are refused here, and their owner "
	    "changes are\n"
	    "rejected by every replica's rules. Everything is one "
	    "transaction;\n"
	    "--dry-run shows the plan and writes nothing.\n",
    .flags = CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = assign_exec,
};
