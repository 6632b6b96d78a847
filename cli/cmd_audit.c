/* cli/cmd_audit.c — `tsm audit log|blame|verify|export|check-export`: the
 * history of a customer with who, when, old and new values and the batch
 * each op arrived in; who set each current value; verification of the sync
 * history; signed exports of a period and their check. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/audit.h"
#include "tsm/ops.h"
#include "tsm/when.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct cli_cmd cmd_audit;

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A bare day: YYYY-MM-DD or YYYY/MM/DD. */
static int bare_date(const char *s)
{
	int i;

	if (strlen(s) != 10 || (s[4] != '-' && s[4] != '/') || s[7] != s[4])
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return 0;
	return 1;
}

/* A period bound: a bare day means its start (--from) or the start of the
 * next day (--to); anything else is a WHEN (tsm/when.h). */
static int parse_bound(int64_t *out, const char *s, int end)
{
	char buf[32];
	int64_t day;

	if (!bare_date(s))
		return tsm_when_parse(out, s, tsm_clock_now_ms());
	snprintf(buf, sizeof(buf), "%.10s 00:00", s);
	if (tsm_when_parse(&day, buf, tsm_clock_now_ms()) < 0)
		return -1;
	if (!end) {
		*out = day;
		return 0;
	}
	return tsm_when_parse(out, "+1d", day);
}

/* Records which batch carried which ops; a failure only warns. */
static void index_batches(struct cli_ctx *ctx)
{
	if (tsm_audit_index(ctx->store) < 0)
		fprintf(stderr,
			"tsm: warning: cannot record batch commits (%s); the "
			"batch column may be incomplete\n",
			tsm_error_last()->message);
}

static int resolve(char *id, struct cli_ctx *ctx, const char *ref)
{
	return tsm_audit_customer(id, ctx->store, ref);
}

/* A JSON value for a table cell: a string's text, null as "-", other JSON
 * as is. Writes into buf (or returns json itself). */
static const char *show_value(char *buf, size_t cap, const char *json)
{
	size_t i, k = 0;

	if (json == NULL || strcmp(json, "null") == 0)
		return "-";
	if (json[0] != '"')
		return json;
	/* The string's text on one line: \" \\ \/ as themselves, the
	 * control characters JSON names (\n \t \r \b \f) as a space. Canonical
	 * JSON writes other text as UTF-8 and \uXXXX only for the remaining
	 * control characters, which stay visible as written rather than reach
	 * the terminal. */
	for (i = 1; json[i] && json[i] != '"' && k + 2 < cap; i++) {
		char ch = json[i];

		if (ch == '\\' && json[i + 1]) {
			ch = json[++i];
			if (strchr("ntrbf", ch))
				ch = ' ';
			else if (ch == 'u')
				buf[k++] = '\\';
		}
		buf[k++] = ch;
	}
	buf[k] = '\0';
	return buf;
}

static const char *fmt_time(char *buf, size_t cap, int64_t ms)
{
	if (tsm_when_format(buf, cap, ms) < 0)
		snprintf(buf, cap, "%" PRId64, ms);
	return buf;
}

static const char *batch_text(char *buf, size_t cap, const char *batch,
			      const char *sig)
{
	if (batch[0])
		snprintf(buf, cap, "%.12s", batch);
	else if (sig && strcmp(sig, TSM_AUDIT_SIG_OWN) == 0)
		snprintf(buf, cap, "local, unsynced");
	else
		snprintf(buf, cap, "-");
	return buf;
}

static int print_json_text(char *json, size_t len)
{
	fwrite(json, 1, len, stdout);
	free(json);
	return EXIT_OK;
}

/* ---- log ---- */

static int log_table(const tsm_audit_row *rows, size_t n)
{
	struct cli_table *t = cli_table_new();
	char when[TSM_WHEN_FORMAT_MAX], ov[512], nv[512], b[32];
	size_t i;
	int err;

	if (t == NULL)
		return cli_fail();
	cli_table_column(t, "TIME", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "OP", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "MEMBER", TSM_TEXT_LEFT, 32);
	cli_table_column(t, "ROLE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "ACTION", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "FIELD", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "OLD", TSM_TEXT_LEFT, 24);
	cli_table_column(t, "NEW", TSM_TEXT_LEFT, 32);
	cli_table_column(t, "STATUS", TSM_TEXT_LEFT, 64);
	cli_table_column(t, "BATCH", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "SIGNATURE", TSM_TEXT_LEFT, 0);
	for (i = 0; i < n; i++) {
		const tsm_audit_row *r = &rows[i];

		cli_table_cell(t, fmt_time(when, sizeof(when), r->at));
		cli_table_cellf(t, "%.8s:%" PRId64, r->site, r->seq);
		if (r->name)
			cli_table_cellf(t, "%s (%s)", r->name, r->author);
		else
			cli_table_cell(t, r->author);
		cli_table_cell(t, r->role);
		if (strcmp(r->etype, "customer") == 0)
			cli_table_cell(t, r->action);
		else
			cli_table_cellf(t, "%s %s", r->etype, r->action);
		cli_table_cell(t, r->field[0] ? r->field : "-");
		cli_table_cell(t, r->field[0]
				      ? show_value(ov, sizeof(ov), r->old_value)
				      : "");
		cli_table_cell(t, show_value(nv, sizeof(nv), r->new_value));
		if (r->reason)
			cli_table_cellf(t, "%s: %s", r->status, r->reason);
		else
			cli_table_cell(t, r->status);
		cli_table_cell(
		    t, batch_text(b, sizeof(b), r->batch, r->signature));
		cli_table_cell(t, r->signature);
	}
	err = cli_table_print(t, stdout);
	cli_table_free(t);
	if (err < 0)
		return cli_fail();
	return EXIT_OK;
}

static int audit_log(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"field", required_argument, NULL, 'f'},
	    {"member", required_argument, NULL, 'm'},
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {NULL, 0, NULL, 0},
	};
	tsm_audit_filter f = TSM_AUDIT_FILTER_INIT;
	char id[TSM_CUSTOMER_ID_MAX], *json = NULL;
	tsm_audit_row *rows = NULL;
	size_t n = 0, len = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			f.field = optarg;
			break;
		case 'm':
			f.member = optarg;
			break;
		case 'F':
		case 'T':
			if (parse_bound(c == 'F' ? &f.from : &f.to, optarg,
					c == 'T') < 0)
				return cli_usage(&cmd_audit, "%s",
						 tsm_error_last()->message);
			break;
		default:
			return cli_option_error(&cmd_audit, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(&cmd_audit, "audit log needs a customer");
	if (optind + 1 < argc)
		return cli_usage(&cmd_audit, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (f.from && f.to && f.to <= f.from)
		return cli_usage(&cmd_audit, "--to must be after --from");
	if (resolve(id, ctx, argv[optind]) < 0)
		return cli_fail();
	index_batches(ctx);
	if (tsm_audit_log(&rows, &n, ctx->store, id, &f) < 0)
		return cli_fail();
	if (ctx->json) {
		rc = tsm_audit_rows_json(&json, &len, rows, n) < 0
			 ? cli_fail()
			 : print_json_text(json, len);
	} else {
		printf("audit log of customer %s: %zu op%s\n", id, n,
		       n == 1 ? "" : "s");
		rc = n ? log_table(rows, n) : EXIT_OK;
	}
	tsm_audit_rows_free(rows, n);
	return rc;
}

/* ---- blame ---- */

static int blame_table(const tsm_audit_blame *b, size_t n)
{
	struct cli_table *t = cli_table_new();
	char when[TSM_WHEN_FORMAT_MAX], v[512], bt[32];
	size_t i;
	int err;

	if (t == NULL)
		return cli_fail();
	cli_table_column(t, "FIELD", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "VALUE", TSM_TEXT_LEFT, 32);
	cli_table_column(t, "SET BY", TSM_TEXT_LEFT, 32);
	cli_table_column(t, "ROLE", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "TIME", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "OP", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "CONFLICT", TSM_TEXT_LEFT, 40);
	cli_table_column(t, "BATCH", TSM_TEXT_LEFT, 0);
	for (i = 0; i < n; i++) {
		const tsm_audit_blame *e = &b[i];

		cli_table_cell(t, e->field);
		cli_table_cell(t, show_value(v, sizeof(v), e->value));
		if (e->op[0] == '\0') {
			cli_table_cell(t, "(default)");
			cli_table_cell(t, "");
			cli_table_cell(t, "");
			cli_table_cell(t, "");
			cli_table_cell(t, "");
			cli_table_cell(t, "");
			continue;
		}
		if (e->name)
			cli_table_cellf(t, "%s (%s)", e->name, e->author);
		else
			cli_table_cell(t, e->author);
		cli_table_cell(t, e->role);
		cli_table_cell(t, fmt_time(when, sizeof(when), e->at));
		cli_table_cell(t, e->op);
		if (e->against[0])
			cli_table_cellf(t, "won over %s", e->against);
		else
			cli_table_cell(t, "-");
		cli_table_cell(
		    t, batch_text(bt, sizeof(bt), e->batch, e->signature));
	}
	err = cli_table_print(t, stdout);
	cli_table_free(t);
	return err < 0 ? cli_fail() : EXIT_OK;
}

static int audit_blame(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	char id[TSM_CUSTOMER_ID_MAX], *json = NULL;
	tsm_audit_blame *b = NULL;
	size_t n = 0, len = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_audit, c, argv);
	if (optind >= argc)
		return cli_usage(&cmd_audit, "audit blame needs a customer");
	if (optind + 1 < argc)
		return cli_usage(&cmd_audit, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (resolve(id, ctx, argv[optind]) < 0)
		return cli_fail();
	index_batches(ctx);
	if (tsm_audit_blame_get(&b, &n, ctx->store, id) < 0)
		return cli_fail();
	if (ctx->json) {
		rc = tsm_audit_blame_json(&json, &len, b, n) < 0
			 ? cli_fail()
			 : print_json_text(json, len);
	} else {
		printf("blame of customer %s\n", id);
		rc = blame_table(b, n);
	}
	tsm_audit_blame_free(b, n);
	return rc;
}

/* ---- verify ---- */

struct verify_ui {
	int tty;
	int drawn;
};

static void on_progress(size_t done, void *payload)
{
	struct verify_ui *ui = payload;

	if (!ui->tty || done % 64 != 0)
		return;
	fprintf(stderr, "\rverifying: %zu batches\033[K", done);
	ui->drawn = 1;
}

static double per_second(size_t n, double s)
{
	return s > 0 ? (double)n / s : 0.0;
}

static void verify_json(const tsm_audit_report *r)
{
	size_t i;
	jsonw w;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_bool(&w, "ok", r->nfailures == 0);
	jw_kv_int(&w, "sites", (int64_t)r->sites);
	jw_kv_int(&w, "batches", (int64_t)r->batches);
	jw_kv_int(&w, "ops", (int64_t)r->ops);
	jw_kv_int(&w, "compared", (int64_t)r->compared);
	jw_kv_int(&w, "roster_versions", (int64_t)r->roster_versions);
	jw_key(&w, "seconds");
	jw_double(&w, r->seconds);
	jw_key(&w, "batches_per_second");
	jw_double(&w, per_second(r->batches, r->seconds));
	jw_key(&w, "failures");
	jw_array(&w);
	for (i = 0; i < r->nfailures; i++) {
		const tsm_audit_failure *f = &r->failures[i];

		jw_object(&w);
		jw_kv_string(&w, "site", f->site[0] ? f->site : NULL);
		jw_kv_string(&w, "ref", f->ref);
		jw_kv_string(&w, "commit", f->commit[0] ? f->commit : NULL);
		jw_kv_string(&w, "reason", f->reason);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static void verify_text(const tsm_audit_report *r)
{
	size_t i;

	for (i = 0; i < r->nfailures; i++) {
		const tsm_audit_failure *f = &r->failures[i];

		if (f->site[0])
			printf("site %s: ", f->site);
		else if (strcmp(f->ref, "refs/tsm/roster") == 0)
			printf("roster: ");
		else
			printf("%s: ", f->ref);
		if (f->commit[0])
			printf("commit %s: ", f->commit);
		printf("%s\n", f->reason);
	}
	printf("verified %zu batch%s (%zu op%s) on %zu site%s and %zu roster "
	       "version%s in %.3f s (%.0f batches/s); %zu batch%s compared "
	       "with the ops held here\n",
	       r->batches, r->batches == 1 ? "" : "es", r->ops,
	       r->ops == 1 ? "" : "s", r->sites, r->sites == 1 ? "" : "s",
	       r->roster_versions, r->roster_versions == 1 ? "" : "s",
	       r->seconds, per_second(r->batches, r->seconds), r->compared,
	       r->compared == 1 ? "" : "es");
	if (r->nfailures)
		printf("FAILED: %zu failure%s\n", r->nfailures,
		       r->nfailures == 1 ? "" : "s");
	else
		printf("ok: the history verifies\n");
}

static int audit_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"remote", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	tsm_audit_verify_options o = TSM_AUDIT_VERIFY_OPTIONS_INIT;
	struct verify_ui ui = {0, 0};
	tsm_audit_report rep;
	int c, err;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'r')
			return cli_option_error(&cmd_audit, c, argv);
		o.remote = 1;
	}
	if (optind < argc)
		return cli_usage(&cmd_audit, "unexpected argument '%s'",
				 argv[optind]);
	ui.tty = isatty(STDERR_FILENO) && !ctx->json;
	o.progress = on_progress;
	o.payload = &ui;
	err = tsm_audit_verify(&rep, ctx->store, &o);
	if (ui.drawn)
		fprintf(stderr, "\r\033[K");
	if (err < 0 && err != TSM_ECORRUPT) {
		tsm_audit_report_dispose(&rep);
		return cli_fail();
	}
	if (ctx->json)
		verify_json(&rep);
	else
		verify_text(&rep);
	c = rep.nfailures ? EXIT_REVIEW : EXIT_OK;
	tsm_audit_report_dispose(&rep);
	return c;
}

/* ---- export and check-export ---- */

static int write_all(FILE *f, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, f) == len ? 0 : -1;
}

static int audit_export(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	int64_t from = 0, to = 0;
	int format = ctx->json ? TSM_AUDIT_JSON : TSM_AUDIT_CSV;
	const char *path = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
		case 'T':
			if (parse_bound(c == 'F' ? &from : &to, optarg,
					c == 'T') < 0)
				return cli_usage(&cmd_audit, "%s",
						 tsm_error_last()->message);
			break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				format = TSM_AUDIT_CSV;
			else if (strcmp(optarg, "json") == 0)
				format = TSM_AUDIT_JSON;
			else
				return cli_usage(&cmd_audit,
						 "--format is csv or json, "
						 "not '%s'",
						 optarg);
			break;
		case 'o':
			path = optarg;
			break;
		default:
			return cli_option_error(&cmd_audit, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_audit, "unexpected argument '%s'",
				 argv[optind]);
	if (from && to && to <= from)
		return cli_usage(&cmd_audit, "--to must be after --from");
	index_batches(ctx);
	if (tsm_audit_export(&buf, &len, ctx->store, from, to, format) < 0)
		return cli_fail();
	if (path == NULL) {
		if (write_all(stdout, buf, len) < 0) {
			cli_error("cannot write output");
			rc = EXIT_ERR;
		}
		free(buf);
		return rc;
	}
	f = fopen(path, "wx");
	if (f == NULL && errno == EEXIST) {
		cli_error("'%s' exists; not overwriting an export", path);
		free(buf);
		return EXIT_ERR;
	}
	if (f == NULL) {
		cli_error("cannot create '%s': %s", path, strerror(errno));
		free(buf);
		return EXIT_ERR;
	}
	if (write_all(f, buf, len) < 0 || fclose(f) != 0) {
		cli_error("cannot write '%s'", path);
		rc = EXIT_ERR;
	} else {
		fprintf(stderr, "exported %zu bytes to %s\n", len, path);
	}
	free(buf);
	return rc;
}

static int read_file(char **out, size_t *len, const char *path)
{
	char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return tsm_error_set_str(TSM_ENOTFOUND, strerror(errno));
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return tsm_error_set_str(TSM_ENOMEM,
							 "out of memory");
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return tsm_error_set_str(TSM_EIO, "read error");
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static int audit_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	tsm_audit_check chk;
	char *buf = NULL;
	size_t len = 0;
	int c, err;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_audit, c, argv);
	if (optind >= argc)
		return cli_usage(&cmd_audit, "audit check-export needs a file");
	if (optind + 1 < argc)
		return cli_usage(&cmd_audit, "unexpected argument '%s'",
				 argv[optind + 1]);
	if (read_file(&buf, &len, argv[optind]) < 0) {
		cli_error("cannot read '%s': %s", argv[optind],
			  tsm_error_last()->message);
		return EXIT_ERR;
	}
	err = tsm_audit_check_export(&chk, ctx->store, buf, len);
	free(buf);
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_bool(&w, "ok", err == 0);
		jw_kv_string(
		    &w, "format",
		    chk.member[0]
			? (chk.format == TSM_AUDIT_JSON ? "json" : "csv")
			: NULL);
		jw_kv_string(&w, "member", chk.member[0] ? chk.member : NULL);
		jw_kv_string(&w, "name", chk.name[0] ? chk.name : NULL);
		jw_kv_string(&w, "role", chk.role[0] ? chk.role : NULL);
		jw_kv_string(&w, "site", chk.site[0] ? chk.site : NULL);
		jw_kv_string(&w, "key", chk.key[0] ? chk.key : NULL);
		jw_kv_bool(&w, "key_known", chk.key_known);
		jw_kv_string(&w, "blake2b",
			     chk.blake2b[0] ? chk.blake2b : NULL);
		jw_kv_string(&w, "error",
			     err < 0 ? tsm_error_last()->message : NULL);
		jw_end_object(&w);
		jw_finish(&w);
	}
	if (err < 0) {
		cli_error("%s", tsm_error_last()->message);
		return EXIT_ERR;
	}
	if (ctx->json)
		return EXIT_OK;
	printf("ok: %s export signed by %s",
	       chk.format == TSM_AUDIT_JSON ? "json" : "csv", chk.member);
	if (chk.name[0] && chk.role[0])
		printf(" (%s, %s)", chk.name, chk.role);
	else if (chk.name[0] || chk.role[0])
		printf(" (%s)", chk.name[0] ? chk.name : chk.role);
	printf(", site %s, key %.16s..., blake2b %s\n", chk.site, chk.key,
	       chk.blake2b);
	return EXIT_OK;
}

static int audit_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_audit, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "log") == 0)
		return audit_log(ctx, argc, argv);
	if (strcmp(sub, "blame") == 0)
		return audit_blame(ctx, argc, argv);
	if (strcmp(sub, "verify") == 0)
		return audit_verify(ctx, argc, argv);
	if (strcmp(sub, "export") == 0)
		return audit_export(ctx, argc, argv);
	if (strcmp(sub, "check-export") == 0)
		return audit_check(ctx, argc, argv);
	return cli_usage(&cmd_audit, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_audit = {
    .name = "audit",
    .usage = "tsm audit log CUSTOMER [--field F] [--member M] [--from WHEN] "
	     "[--to WHEN] [--json]\n"
	     "tsm audit blame CUSTOMER [--json]\n"
	     "tsm audit verify [--remote] [--json]\n"
	     "tsm audit export [--from D] [--to D] [--format csv|json] "
	     "[-o FILE]\n"
	     "tsm audit check-export FILE [--json]",
    .summary = "the verifiable history of customer records",
    .help = "log     every op on the customer, its follow-ups and orders,\n"
	    "        merges into it, do-not-call list ops on its phone and\n"
	    "        resolutions of its review items, in clock order:\n"
	    "        time, author with name and role at that time, action,\n"
	    "        field with its old and new value, status (accepted,\n"
	    "        superseded, rejected with the reason), the batch\n"
	    "        commit it arrived in and how it is vouched for\n"
	    "        (verified: a signed batch verified at sync; own: written\n"
	    "        here, \"local, unsynced\" until a sync publishes it;\n"
	    "        unsigned: held without a verified batch). OLD is the\n"
	    "        field's value before the op in clock order.\n"
	    "blame   who set each current value, when, and the concurrent\n"
	    "        writes it won over.\n"
	    "verify  re-verifies the sync history from the roots: roster\n"
	    "        chain from the founder key, every site's batches\n"
	    "        (signature by the site's registered key, parent\n"
	    "        chain, seq continuity, envelopes under the team key,\n"
	    "        each op's site and author), that no ref was rewritten\n"
	    "        since last seen, and that the ops held here are the\n"
	    "        signed ones. --remote checks the central repository as\n"
	    "        it is now (fetched into a temporary mirror). Prints\n"
	    "        each failure as \"site S: commit C: reason\".\n"
	    "export  every op of the period (all customers and team data)\n"
	    "        as CSV (default) or JSON, ending with a digest line\n"
	    "        signed by this replica's key. A bare day D means from\n"
	    "        its start (--from) or to its end (--to). -o FILE never\n"
	    "        overwrites a file.\n"
	    "check-export FILE  recomputes the digest, checks the signature\n"
	    "        and that the key is a known key of the signing member.\n"
	    "\n"
	    "Exit codes: verify exits 4 when the history does not verify\n"
	    "(tampering or rewrites: needs review), 1 when it cannot run;\n"
	    "check-export exits 1 when the file does not verify or its key\n"
	    "is not known here.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK,
    .exec = audit_exec,
};
