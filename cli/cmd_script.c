/* cli/cmd_script.c — `tsm script add|edit|list|show`: the team's call
 * scripts (leads and managers edit), shown raw or rendered for a customer in
 * the "[section]" file format that add and edit read back. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"
#include "table.h"

#include "tsm/customer.h"
#include "tsm/script.h"
#include "tsm/when.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_script;

#define FILE_MAX (1024 * 1024) /* a script file larger than this is a mistake  \
				*/

static const char *lang_name(int lang)
{
	return lang == TSM_SCRIPT_EN ? "en" : "zh";
}

/* Reads the whole file path ("-": standard input) into *out. */
static int read_text_file(char **out, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *p;
	size_t len = 0, cap = 0, n;
	int err = 0;

	*out = NULL;
	if (f == NULL)
		return cli_set_error(TSM_EIO, "cannot open '%s': %s", path,
				     strerror(errno));
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (p == NULL) {
				err =
				    cli_set_error(TSM_ENOMEM, "out of memory");
				goto done;
			}
			buf = p;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
		if (len > FILE_MAX) {
			err = cli_set_error(TSM_EINVALID,
					    "'%s' is larger than %d bytes",
					    path, FILE_MAX);
			goto done;
		}
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		err = cli_set_error(TSM_EIO, "cannot read '%s'", path);
		goto done;
	}
	if (memchr(buf, '\0', len)) {
		err = cli_set_error(TSM_EINVALID, "'%s' is not a text file",
				    path);
		goto done;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
done:
	free(buf);
	if (f != stdin)
		fclose(f);
	return err;
}

/* Collected --section S=TEXT, --remove-section S and --file FILE. */
struct edits {
	tsm_script_section *set; /* borrowed from argv or owned by file */
	size_t nset;
	const char **remove;
	size_t nremove;
	tsm_script_section *file; /* parsed --file, owned */
	size_t nfile;
	const char *file_path;
};

static void edits_dispose(struct edits *e)
{
	free(e->set);
	free(e->remove);
	tsm_script_sections_free(e->file, e->nfile);
	memset(e, 0, sizeof(*e));
}

enum { OPT_SECTION = 1000, OPT_REMOVE, OPT_FILE };

static int parse_edits(struct edits *e, int argc, char **argv, int editing)
{
	static const struct option opts[] = {
	    {"section", required_argument, NULL, OPT_SECTION},
	    {"remove-section", required_argument, NULL, OPT_REMOVE},
	    {"file", required_argument, NULL, OPT_FILE},
	    {NULL, 0, NULL, 0},
	};
	char *eq, *text = NULL;
	void *p;
	int c;

	memset(e, 0, sizeof(*e));
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SECTION:
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg)
				return cli_usage(
				    &cmd_script,
				    "--section takes SECTION=TEXT");
			p = realloc(e->set, (e->nset + 1) * sizeof(*e->set));
			if (p == NULL) {
				cli_error("out of memory");
				return EXIT_ERR;
			}
			e->set = p;
			*eq = '\0';
			e->set[e->nset].name = optarg;
			e->set[e->nset].text = eq + 1;
			e->nset++;
			break;
		case OPT_REMOVE:
			if (!editing)
				return cli_usage(&cmd_script,
						 "--remove-section is for "
						 "'script edit'");
			p = realloc(e->remove,
				    (e->nremove + 1) * sizeof(*e->remove));
			if (p == NULL) {
				cli_error("out of memory");
				return EXIT_ERR;
			}
			e->remove = p;
			e->remove[e->nremove++] = optarg;
			break;
		case OPT_FILE:
			if (e->file_path)
				return cli_usage(&cmd_script,
						 "--file given twice");
			e->file_path = optarg;
			break;
		default:
			return cli_option_error(&cmd_script, c, argv);
		}
	}
	if (e->file_path && (e->nset || e->nremove))
		return cli_usage(&cmd_script,
				 "--file replaces the whole script; do not "
				 "combine it with --section or "
				 "--remove-section");
	if (e->file_path == NULL && e->nset + e->nremove == 0)
		return cli_usage(&cmd_script,
				 editing ? "nothing to change: give --section, "
					   "--remove-section or --file"
					 : "give the sections with --section "
					   "SECTION=TEXT or --file FILE");
	if (e->file_path) {
		if (read_text_file(&text, e->file_path) < 0)
			return cli_fail();
		if (tsm_script_parse_file(&e->file, &e->nfile, text) < 0) {
			free(text);
			cli_error("%s: %s", e->file_path,
				  tsm_error_last()->message);
			return EXIT_ERR;
		}
		free(text);
	}
	return 0;
}

/* Warns on stderr about unknown placeholders; the write stands. */
static void warn_placeholders(const tsm_script_section *s, size_t n)
{
	char *u = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (tsm_script_unknown_placeholders(&u, s[i].text) < 0 ||
		    u == NULL)
			continue;
		fprintf(stderr,
			"tsm: warning: section [%s] has unknown "
			"placeholders %s (left as written; known: "
			"{customer.name} {customer.salutation} "
			"{customer.company} {agent.name} {company.name})\n",
			s[i].name, u);
		free(u);
		u = NULL;
	}
}

static int one_name(int argc, char **argv, const char *what)
{
	if (argc - optind < 1)
		return cli_usage(&cmd_script, "script %s needs a NAME", what);
	if (argc - optind > 1)
		return cli_usage(&cmd_script, "unexpected argument '%s'",
				 argv[optind + 1]);
	return 0;
}

static int script_add(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name;
	struct edits e;
	tsm_script_section *all = NULL;
	size_t n;
	int rc;

	if ((rc = parse_edits(&e, argc, argv, 0)) != 0)
		goto done;
	if ((rc = one_name(argc, argv, "add")) != 0)
		goto done;
	name = argv[optind];
	all = e.file ? e.file : e.set;
	n = e.file ? e.nfile : e.nset;
	if (tsm_script_add(ctx->store, name, all, n) < 0) {
		rc = cli_fail();
		goto done;
	}
	warn_placeholders(all, n);
	printf("added script '%s' (%zu section%s)\n", name, n,
	       n == 1 ? "" : "s");
	rc = EXIT_OK;
done:
	edits_dispose(&e);
	return rc;
}

static int script_edit(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_script *cur = NULL;
	const char **rm = NULL;
	const char *name;
	struct edits e;
	size_t nrm = 0, changed = 0, i, j;
	int rc, keep;

	if ((rc = parse_edits(&e, argc, argv, 1)) != 0)
		goto done;
	if ((rc = one_name(argc, argv, "edit")) != 0)
		goto done;
	name = argv[optind];
	if (e.file) {
		/* The file is the whole script: its sections replace the
		 * script's, and sections it lacks are removed. */
		if (tsm_script_get(&cur, ctx->store, name) < 0) {
			rc = cli_fail();
			goto done;
		}
		rm = calloc(cur->nsections + 1, sizeof(*rm));
		if (rm == NULL) {
			cli_error("out of memory");
			rc = EXIT_ERR;
			goto done;
		}
		for (i = 0; i < cur->nsections; i++) {
			char canon[TSM_SCRIPT_SECTION_MAX];

			keep = 0;
			for (j = 0; j < e.nfile; j++)
				if (tsm_script_section_name(
					canon, e.file[j].name) == 0 &&
				    strcmp(canon, cur->sections[i].name) == 0)
					keep = 1;
			if (!keep)
				rm[nrm++] = cur->sections[i].name;
		}
		rc = tsm_script_edit(&changed, ctx->store, name, e.file,
				     e.nfile, rm, nrm);
	} else {
		rc = tsm_script_edit(&changed, ctx->store, name, e.set, e.nset,
				     e.remove, e.nremove);
	}
	if (rc < 0) {
		rc = cli_fail();
		goto done;
	}
	warn_placeholders(e.file ? e.file : e.set, e.file ? e.nfile : e.nset);
	if (changed == 0)
		printf("script '%s' unchanged\n", name);
	else
		printf("updated script '%s' (%zu section%s changed)\n", name,
		       changed, changed == 1 ? "" : "s");
	rc = EXIT_OK;
done:
	free(rm);
	tsm_script_free(cur);
	edits_dispose(&e);
	return rc;
}

static int no_options(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_option_error(&cmd_script, c, argv);
	return 0;
}

static int script_list(struct cli_ctx *ctx, int argc, char **argv)
{
	char when[TSM_WHEN_FORMAT_MAX];
	tsm_script *list = NULL;
	struct cli_table *t = NULL;
	size_t n = 0, i, j;
	jsonw w;
	int rc;

	if ((rc = no_options(argc, argv)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage(&cmd_script, "unexpected argument '%s'",
				 argv[optind]);
	if (tsm_script_list(&list, &n, ctx->store) < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_array(&w);
		for (i = 0; i < n; i++) {
			jw_object(&w);
			jw_kv_string(&w, "name", list[i].name);
			jw_kv_bool(&w, "builtin", list[i].builtin);
			jw_kv_string(&w, "lang", lang_name(list[i].lang));
			jw_key(&w, "sections");
			jw_array(&w);
			for (j = 0; j < list[i].nsections; j++)
				jw_string(&w, list[i].sections[j].name);
			jw_end_array(&w);
			jw_kv_string(&w, "author", list[i].author);
			jw_time(&w, "updated_at", list[i].updated_at);
			jw_end_object(&w);
		}
		jw_end_array(&w);
		jw_finish(&w);
		tsm_script_list_free(list, n);
		return EXIT_OK;
	}
	t = cli_table_new();
	if (t == NULL) {
		tsm_script_list_free(list, n);
		cli_error("out of memory");
		return EXIT_ERR;
	}
	cli_table_column(t, "NAME", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "KIND", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "LANG", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "SECTIONS", TSM_TEXT_RIGHT, 0);
	cli_table_column(t, "UPDATED", TSM_TEXT_LEFT, 0);
	cli_table_column(t, "BY", TSM_TEXT_LEFT, 0);
	for (i = 0; i < n; i++) {
		cli_table_cell(t, list[i].name);
		cli_table_cell(t, list[i].builtin ? "built-in" : "team");
		cli_table_cell(t, lang_name(list[i].lang));
		cli_table_cellf(t, "%zu", list[i].nsections);
		if (list[i].updated_at <= 0 ||
		    tsm_when_format(when, sizeof(when), list[i].updated_at) < 0)
			when[0] = '\0';
		cli_table_cell(t, when);
		cli_table_cell(t, list[i].author);
	}
	rc = cli_table_print(t, stdout) < 0 ? cli_fail() : EXIT_OK;
	cli_table_free(t);
	tsm_script_list_free(list, n);
	return rc;
}

static int script_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"customer", required_argument, NULL, 'c'},
	    {"raw", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	char cid[TSM_CUSTOMER_ID_MAX];
	const char *customer = NULL;
	tsm_script *s = NULL;
	size_t i;
	int c, raw = 0, rc;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'c')
			customer = optarg;
		else if (c == 'r')
			raw = 1;
		else
			return cli_option_error(&cmd_script, c, argv);
	}
	if ((rc = one_name(argc, argv, "show")) != 0)
		return rc;
	if (raw && customer)
		return cli_usage(&cmd_script,
				 "--raw shows the text as written; it takes "
				 "no --customer");
	if (customer && tsm_customer_resolve(cid, ctx->store, customer, 0) < 0)
		return cli_fail();
	if (raw)
		rc = tsm_script_get(&s, ctx->store, argv[optind]);
	else
		rc = tsm_script_render_script(&s, ctx->store, argv[optind],
					      customer ? cid : NULL,
					      TSM_SCRIPT_ZH);
	if (rc < 0)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "name", s->name);
		jw_kv_bool(&w, "builtin", s->builtin);
		jw_kv_string(&w, "lang", lang_name(s->lang));
		jw_kv_string(&w, "customer", customer ? cid : NULL);
		jw_kv_bool(&w, "rendered", !raw);
		jw_kv_string(&w, "author", s->author);
		jw_time(&w, "updated_at", s->updated_at);
		jw_key(&w, "sections");
		jw_array(&w);
		for (i = 0; i < s->nsections; i++) {
			jw_object(&w);
			jw_kv_string(&w, "name", s->sections[i].name);
			jw_kv_string(&w, "text", s->sections[i].text);
			jw_end_object(&w);
		}
		jw_end_array(&w);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		/* The file format, so that show --raw > f; edit --file f
		 * round-trips. */
		printf("# %s (%s, %s)\n", s->name,
		       s->builtin ? "built-in" : "team", lang_name(s->lang));
		for (i = 0; i < s->nsections; i++)
			printf("\n[%s]\n%s\n", s->sections[i].name,
			       s->sections[i].text);
	}
	tsm_script_free(s);
	return EXIT_OK;
}

static int script_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(&cmd_script, NULL);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0)
		return script_list(ctx, argc, argv);
	if (strcmp(sub, "show") == 0)
		return script_show(ctx, argc, argv);
	if (strcmp(sub, "add") == 0)
		return script_add(ctx, argc, argv);
	if (strcmp(sub, "edit") == 0)
		return script_edit(ctx, argc, argv);
	return cli_usage(&cmd_script, "unknown subcommand '%s'", sub);
}

const struct cli_cmd cmd_script = {
    .name = "script",
    .usage = "tsm script list [--json]\n"
	     "tsm script show NAME [--customer ID] [--raw] [--json]\n"
	     "tsm script add NAME (--section SECTION=TEXT ... | --file FILE)\n"
	     "tsm script edit NAME (--section SECTION=TEXT | "
	     "--remove-section SECTION ... | --file FILE)",
    .summary = "call scripts: list, show for a customer, add, edit",
    .help = "Scripts are team data: leads and managers edit them, everyone\n"
	    "gets them by sync. Built-in defaults default-zh (the firm's\n"
	    "mandated greeting and closing) and default-en exist before\n"
	    "anyone adds a script; a team script of the same name overrides\n"
	    "one (editing a built-in creates the team's copy).\n"
	    "\n"
	    "sections: opening, needs (needs discovery), pitch,\n"
	    "  objection:NAME (one per objection, e.g. objection:price),\n"
	    "  closing.\n"
	    "placeholders: {customer.name} {customer.salutation} (先生/女士,\n"
	    "  Mr/Ms in English) {customer.company} {agent.name}\n"
	    "  {company.name} (the policy's company_name, else the team's\n"
	    "  name). Unknown ones stay as written and add/edit warn; {{ and\n"
	    "  }} give literal braces.\n"
	    "\n"
	    "show renders the script (for --customer, a customer id, id\n"
	    "prefix or phone); --raw prints the text as written. Both print\n"
	    "the file format that --file reads: \"[section]\" header lines,\n"
	    "each followed by its text; '#' lines before the first header\n"
	    "are comments. edit --file replaces the whole script (sections\n"
	    "the file lacks are removed); FILE '-' reads standard input.\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = script_exec,
};
