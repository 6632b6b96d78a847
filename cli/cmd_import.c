/* cli/cmd_import.c — `tsm import FILE`: lead lists from CSV (UTF-8, GB18030,
 * GBK) into customers in one transaction, with a progress bar on a terminal,
 * a summary (or --json) and the rejects file; `--lists` and `--set-list` show
 * and change the team's industry, region and size lists. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/import.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const struct cli_cmd cmd_import;

/* ---- progress ---- */

struct bar {
	int tty;	  /* draw on stderr */
	int drawn;	  /* something is on the line */
	uint64_t kill_at; /* TSM_TEST_KILL_AT=import-row:N, 0: none */
	struct timespec last;
};

static void draw(void *ud, const tsm_import_progress *p)
{
	struct bar *b = ud;
	struct timespec now;
	int pct, i, fill;

	if (b->kill_at && p->rows >= b->kill_at && !p->done)
		raise(SIGKILL); /* tests: an import killed midway */
	if (!b->tty)
		return;
	if (p->done) {
		if (b->drawn)
			fputs("\r\033[K", stderr);
		b->drawn = 0;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (b->drawn && (now.tv_sec - b->last.tv_sec) * 1000 +
				(now.tv_nsec - b->last.tv_nsec) / 1000000 <
			    100)
		return;
	b->last = now;
	pct = p->total_bytes ? (int)(p->bytes * 100 / p->total_bytes) : 0;
	if (pct > 100)
		pct = 100;
	fill = pct * 30 / 100;
	fputs("\rimporting [", stderr);
	for (i = 0; i < 30; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%%  %llu rows, %llu rejected", pct,
		(unsigned long long)p->rows, (unsigned long long)p->rejected);
	fflush(stderr);
	b->drawn = 1;
}

/* ---- the summary ---- */

static const char *const reason_text[TSM_IMPORT_R_COUNT] = {
    "without a name",	       "with an invalid name",	 "without a phone",
    "with an invalid phone",   "duplicates in the file", "already in the store",
    "on the do-not-call list", "with an invalid field",	 "malformed",
    "not allowed to update",
};

static void print_json(const char *path, const tsm_import_result *r,
		       int dry_run)
{
	static const int unknown_fields[] = {TSM_CF_INDUSTRY, TSM_CF_REGION,
					     TSM_CF_SIZE, TSM_CF_SALUTATION,
					     TSM_CF_PRIORITY};
	char delim[2] = {r->delimiter, '\0'};
	jsonw w;
	size_t i;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_string(&w, "file", path);
	jw_kv_bool(&w, "dry_run", dry_run);
	jw_kv_string(&w, "encoding", r->encoding);
	jw_kv_bool(&w, "bom", r->bom);
	jw_kv_string(&w, "delimiter", delim);
	jw_kv_string(&w, "source", r->source);
	jw_kv_int(&w, "rows", (int64_t)r->rows);
	jw_kv_int(&w, "blank_rows", (int64_t)r->blank);
	jw_kv_int(&w, "imported", (int64_t)r->imported);
	jw_kv_int(&w, "updated", (int64_t)r->updated);
	jw_kv_int(&w, "unchanged", (int64_t)r->unchanged);
	jw_kv_int(&w, "skipped", (int64_t)r->skipped);
	jw_kv_int(&w, "rejected", (int64_t)r->rejected);
	jw_key(&w, "rejected_by_reason");
	jw_object(&w);
	for (i = 0; i < TSM_IMPORT_R_COUNT; i++)
		jw_kv_int(&w, tsm_import_reason_key((int)i),
			  (int64_t)r->by_reason[i]);
	jw_end_object(&w);
	jw_kv_int(&w, "duplicates_in_file", (int64_t)r->duplicates_in_file);
	jw_kv_int(&w, "duplicates_in_store", (int64_t)r->duplicates_in_store);
	jw_kv_int(&w, "dnc", (int64_t)r->dnc);
	jw_kv_int(&w, "warnings", (int64_t)r->warnings);
	jw_key(&w, "unknown_values");
	jw_object(&w);
	for (i = 0; i < sizeof(unknown_fields) / sizeof(unknown_fields[0]); i++)
		jw_kv_int(&w, tsm_customer_field_name(unknown_fields[i]),
			  (int64_t)r->unknown[unknown_fields[i]]);
	jw_end_object(&w);
	jw_kv_int(&w, "replaced_bytes", (int64_t)r->replaced);
	jw_kv_int(&w, "ops", (int64_t)r->ops);
	jw_key(&w, "columns");
	jw_array(&w);
	for (i = 0; i < r->ncolumns; i++) {
		jw_object(&w);
		jw_kv_string(&w, "header", r->columns[i].header);
		jw_kv_string(&w, "field",
			     r->columns[i].field == TSM_IMPORT_IGNORE
				 ? NULL
				 : tsm_import_field_name(r->columns[i].field));
		jw_kv_bool(&w, "mapped", r->columns[i].mapped);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_kv_string(&w, "rejects_file", r->rejects_file);
	jw_key(&w, "samples");
	jw_array(&w);
	for (i = 0; i < r->nsamples; i++) {
		jw_object(&w);
		jw_kv_int(&w, "line", r->samples[i].line);
		jw_kv_string(&w, "reason_key",
			     tsm_import_reason_key(r->samples[i].why));
		jw_kv_string(&w, "reason", r->samples[i].reason);
		jw_kv_string(&w, "name", r->samples[i].name);
		jw_kv_string(&w, "phone", r->samples[i].phone);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static void print_text(const char *path, const tsm_import_result *r,
		       int dry_run)
{
	static const int unknown_fields[] = {TSM_CF_INDUSTRY, TSM_CF_REGION,
					     TSM_CF_SIZE};
	const char *sep = "";
	size_t i;

	printf("%s %llu of %llu row%s from %s (%s%s)\n",
	       dry_run ? "dry run: would import" : "imported",
	       (unsigned long long)r->imported, (unsigned long long)r->rows,
	       r->rows == 1 ? "" : "s", path, r->encoding,
	       r->bom ? " with BOM" : "");
	if (r->updated || r->unchanged)
		printf("  %s %llu existing customer%s, %llu already up to "
		       "date\n",
		       dry_run ? "would update" : "updated",
		       (unsigned long long)r->updated,
		       r->updated == 1 ? "" : "s",
		       (unsigned long long)r->unchanged);
	if (r->skipped)
		printf("  skipped %llu already in the store\n",
		       (unsigned long long)r->skipped);
	if (r->rejected) {
		printf("  rejected %llu:", (unsigned long long)r->rejected);
		for (i = 0; i < TSM_IMPORT_R_COUNT; i++) {
			if (r->by_reason[i] == 0)
				continue;
			printf("%s %llu %s", sep,
			       (unsigned long long)r->by_reason[i],
			       reason_text[i]);
			sep = ",";
		}
		putchar('\n');
	}
	for (i = 0; i < sizeof(unknown_fields) / sizeof(unknown_fields[0]); i++)
		if (r->unknown[unknown_fields[i]])
			printf(
			    "  warning: %llu %s value%s not on the team's "
			    "list (kept as given)\n",
			    (unsigned long long)r->unknown[unknown_fields[i]],
			    tsm_customer_field_name(unknown_fields[i]),
			    r->unknown[unknown_fields[i]] == 1 ? "" : "s");
	if (r->unknown[TSM_CF_SALUTATION] || r->unknown[TSM_CF_PRIORITY])
		printf("  warning: %llu salutation and %llu priority value(s) "
		       "not recognized (left out)\n",
		       (unsigned long long)r->unknown[TSM_CF_SALUTATION],
		       (unsigned long long)r->unknown[TSM_CF_PRIORITY]);
	if (r->replaced)
		printf("  warning: %llu byte sequence(s) invalid in %s were "
		       "replaced by U+FFFD\n",
		       (unsigned long long)r->replaced, r->encoding);
	if (r->rejects_file)
		printf("  rejected rows with reasons: %s\n", r->rejects_file);
	if (dry_run && r->nsamples) {
		printf("  first rejects:\n");
		for (i = 0; i < r->nsamples; i++) {
			const tsm_import_sample *x = &r->samples[i];

			printf("    line %lld: %s", (long long)x->line,
			       x->reason);
			if (x->name && x->phone)
				printf(" (%s %s)", x->name, x->phone);
			else if (x->name || x->phone)
				printf(" (%s)", x->name ? x->name : x->phone);
			putchar('\n');
		}
	}
}

/* ---- the lists ---- */

static int show_lists(struct cli_ctx *ctx)
{
	tsm_list_entry *e;
	char *json;
	size_t n, i, k;
	int l, dflt;

	if (ctx->json) {
		putchar('{');
		for (l = 0; l < TSM_LIST_COUNT; l++) {
			if (tsm_import_list_get(&json, &dflt, ctx->store, l) <
			    0)
				return cli_fail();
			printf("%s\"%s\":{\"default\":%s,\"entries\":%s}",
			       l ? "," : "", tsm_import_list_name(l),
			       dflt ? "true" : "false", json);
			free(json);
		}
		printf("}\n");
		return EXIT_OK;
	}
	for (l = 0; l < TSM_LIST_COUNT; l++) {
		if (tsm_import_list_entries(&e, &n, &dflt, ctx->store, l) < 0)
			return cli_fail();
		printf("%s%s%s:\n", l ? "\n" : "", tsm_import_list_name(l),
		       dflt ? " (default)" : "");
		for (i = 0; i < n; i++) {
			printf("  %s", e[i].name);
			if (e[i].min >= 0 && e[i].max >= 0)
				printf(" [%lld-%lld]", (long long)e[i].min,
				       (long long)e[i].max);
			else if (e[i].min >= 0)
				printf(" [%lld+]", (long long)e[i].min);
			for (k = 0; k < e[i].naliases; k++)
				printf("%s%s", k ? ", " : ": ",
				       e[i].aliases[k]);
			putchar('\n');
		}
		tsm_import_list_entries_free(e, n);
	}
	return EXIT_OK;
}

/* Reads a whole file ("-": standard input) into a malloc'd string. */
static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t len = 0, cap = 4096, got;
	char *buf, *p;

	if (f == NULL)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
		if (len + 1 == cap) {
			cap *= 2;
			p = realloc(buf, cap);
			if (p == NULL) {
				free(buf);
				buf = NULL;
			}
			buf = p;
		}
	}
	if (buf)
		buf[len] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

static int set_list(struct cli_ctx *ctx, const char *spec, int reset)
{
	const char *eq = strchr(spec, '=');
	char name[32];
	char *json = NULL;
	int l, err;

	if (reset) {
		snprintf(name, sizeof(name), "%s", spec);
	} else {
		if (eq == NULL || eq == spec)
			return cli_usage(&cmd_import,
					 "--set-list needs NAME=FILE");
		snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	}
	l = tsm_import_list_lookup(name);
	if (l < 0)
		return cli_usage(&cmd_import,
				 "no list '%s' (industries, regions or sizes)",
				 name);
	if (!reset && (json = slurp(eq + 1)) == NULL) {
		cli_error("cannot read '%s'", eq + 1);
		return EXIT_ERR;
	}
	err = tsm_import_list_set(ctx->store, l, json);
	free(json);
	if (err < 0)
		return cli_fail();
	printf("%s: %s\n", name, reset ? "back to the default" : "set");
	return EXIT_OK;
}

/* ---- the command ---- */

enum {
	OPT_ENCODING = 1000,
	OPT_MAP,
	OPT_DUP,
	OPT_SOURCE,
	OPT_REJECTS,
	OPT_DRY,
	OPT_NOPROGRESS,
	OPT_LISTS,
	OPT_SETLIST,
	OPT_RESETLIST
};

static int import_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"encoding", required_argument, NULL, OPT_ENCODING},
	    {"map", required_argument, NULL, OPT_MAP},
	    {"on-duplicate", required_argument, NULL, OPT_DUP},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"rejects", required_argument, NULL, OPT_REJECTS},
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {"no-progress", no_argument, NULL, OPT_NOPROGRESS},
	    {"lists", no_argument, NULL, OPT_LISTS},
	    {"set-list", required_argument, NULL, OPT_SETLIST},
	    {"reset-list", required_argument, NULL, OPT_RESETLIST},
	    {NULL, 0, NULL, 0},
	};
	tsm_import_options o = TSM_IMPORT_OPTIONS_INIT;
	tsm_import_result r;
	const char **maps = NULL;
	const char *kill, *list_spec = NULL;
	struct bar bar = {0};
	int c, rc = EXIT_OK, progress = 1, lists = 0, reset = 0;
	size_t i;

	maps = calloc((size_t)argc + 1, sizeof(*maps));
	if (maps == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	o.maps = maps;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ENCODING:
			o.encoding = tsm_import_encoding_parse(optarg);
			if (o.encoding < 0) {
				rc = cli_usage(&cmd_import,
					       "--encoding: use auto, utf-8, "
					       "gb18030 or gbk");
				goto done;
			}
			break;
		case OPT_MAP:
			maps[o.nmaps++] = optarg;
			break;
		case OPT_DUP:
			if (strcmp(optarg, "reject") == 0)
				o.on_duplicate = TSM_IMPORT_DUP_REJECT;
			else if (strcmp(optarg, "skip") == 0)
				o.on_duplicate = TSM_IMPORT_DUP_SKIP;
			else if (strcmp(optarg, "update") == 0)
				o.on_duplicate = TSM_IMPORT_DUP_UPDATE;
			else {
				rc = cli_usage(&cmd_import,
					       "--on-duplicate: use reject, "
					       "skip or update");
				goto done;
			}
			break;
		case OPT_SOURCE:
			o.source = optarg;
			break;
		case OPT_REJECTS:
			o.rejects = optarg;
			break;
		case OPT_DRY:
			o.dry_run = 1;
			break;
		case OPT_NOPROGRESS:
			progress = 0;
			break;
		case OPT_LISTS:
			lists = 1;
			break;
		case OPT_SETLIST:
		case OPT_RESETLIST:
			list_spec = optarg;
			reset = c == OPT_RESETLIST;
			break;
		default:
			rc = cli_option_error(&cmd_import, c, argv);
			goto done;
		}
	}
	if (lists || list_spec) {
		if (optind < argc) {
			rc = cli_usage(&cmd_import, "unexpected argument '%s'",
				       argv[optind]);
			goto done;
		}
		rc = list_spec ? set_list(ctx, list_spec, reset)
			       : show_lists(ctx);
		goto done;
	}
	if (optind >= argc) {
		rc = cli_usage(&cmd_import, "which file?");
		goto done;
	}
	if (optind + 1 < argc) {
		rc = cli_usage(&cmd_import, "one file at a time ('%s')",
			       argv[optind + 1]);
		goto done;
	}
	kill = getenv("TSM_TEST_KILL_AT");
	if (kill && strncmp(kill, "import-row:", 11) == 0)
		bar.kill_at = strtoull(kill + 11, NULL, 10);
	bar.tty = progress && isatty(STDERR_FILENO);
	if (bar.tty || bar.kill_at) {
		o.progress = draw;
		o.progress_ud = &bar;
	}
	if (tsm_import(&r, ctx->store, argv[optind], &o) < 0) {
		draw(&bar, &(tsm_import_progress){.done = 1});
		rc = cli_fail();
		tsm_import_result_dispose(&r);
		goto done;
	}
	for (i = 0; i < r.ncolumns; i++)
		if (r.columns[i].field == TSM_IMPORT_IGNORE &&
		    !r.columns[i].mapped && !ctx->json &&
		    r.columns[i].header[0] != '\0')
			fprintf(stderr,
				"tsm: notice: column '%s' ignored (map it "
				"with --map '%s=FIELD')\n",
				r.columns[i].header, r.columns[i].header);
	if (ctx->json)
		print_json(argv[optind], &r, o.dry_run);
	else
		print_text(argv[optind], &r, o.dry_run);
	tsm_import_result_dispose(&r);
done:
	free(maps);
	return rc;
}

const struct cli_cmd cmd_import = {
    .name = "import",
    .usage = "tsm import FILE [--encoding auto|utf-8|gb18030|gbk] "
	     "[--map COLUMN=FIELD]...\n"
	     "           [--on-duplicate reject|skip|update] [--source S] "
	     "[--rejects FILE]\n"
	     "           [--dry-run] [--no-progress] [--json]\n"
	     "tsm import --lists [--json]\n"
	     "tsm import --set-list industries|regions|sizes=FILE | "
	     "--reset-list NAME",
    .summary = "import a lead list from a CSV file",
    .help = "Reads a CSV file as Excel and other spreadsheets write it: "
	    "UTF-8 with or\n"
	    "without BOM, or GB18030/GBK (detected: a BOM means UTF-8, "
	    "a file that is\n"
	    "valid UTF-8 is UTF-8, anything else GB18030; --encoding "
	    "overrides).\n"
	    "The first row names the columns, in Chinese (simplified or "
	    "traditional)\n"
	    "or English: 姓名/name, 电话/電話/手机/phone, 公司/company, "
	    "行业/industry,\n"
	    "地区/region, 规模/size, 来源/source, 备注/note, 地址/address, "
	    "需求/needs,\n"
	    "称呼/salutation, 优先级/priority, 标签/tags. --map COLUMN=FIELD "
	    "(COLUMN a\n"
	    "header or a 1-based number; FIELD one of those or ignore) "
	    "overrides.\n\n"
	    "Each row needs a name and a valid phone. Rejected, with the "
	    "reason: rows\n"
	    "whose phone an earlier row has (\"duplicate of row N\"), a "
	    "live customer\n"
	    "has (unless --on-duplicate skip or update), or the "
	    "do-not-call list has.\n"
	    "Industry, region and size are matched against the team's "
	    "lists (see\n"
	    "--lists); values not on them are kept as given and counted "
	    "as warnings.\n"
	    "Rows without a source get --source or the file's name.\n\n"
	    "Everything happens in one transaction: an interrupted import "
	    "leaves the\n"
	    "store as it was. Rejected rows go to FILE.rejects.csv "
	    "(--rejects) with\n"
	    "their original columns plus line and reason. --dry-run "
	    "shows the counts\n"
	    "and the first rejects and writes nothing. Agents may not "
	    "import.\n\n"
	    "--lists shows the team's industry, region and size lists; "
	    "a manager\n"
	    "changes one with --set-list NAME=FILE (a JSON array of "
	    "{\"name\",\n"
	    "\"aliases\"} entries; sizes may add \"min\" and \"max\" "
	    "employee counts).\n",
    .flags = CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = import_exec,
};
