/* tests/unit/test_script.c — call scripts: placeholder rendering (escapes,
 * unknown placeholders, salutation fallbacks), section names, the file
 * format, the built-in defaults and the mandated greeting, team scripts
 * written as ops (add, edit, override a built-in) and refusal for agents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/script.h"
#include "testutil.h"

static const char PASS[] = "test passphrase for scripts";

static tsm_store *make_store(const char *tag, const char *member,
			     const char *name)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *d = tu_tmpdir(tag);
	char dir[4096];
	tsm_store *s = NULL;

	assert_non_null(d);
	snprintf(dir, sizeof(dir), "%s/store", d);
	o.kdf = TSM_KDF_INTERACTIVE;
	if (tsm_store_create(&s, dir, PASS, sizeof(PASS) - 1, &o) < 0)
		fail_msg("create: %s", tsm_error_last()->message);
	if (tsm_identity_create(s, member, name) < 0)
		fail_msg("identity: %s", tsm_error_last()->message);
	return s;
}

static void append(tsm_store *s, const char *etype, const char *eid,
		   const char *action, const char *field, const char *value)
{
	tsm_op_spec spec = {etype, eid, action, field, value};

	if (tsm_ops_append(NULL, s, &spec, 1) < 0)
		fail_msg("append %s %s: %s", etype, action,
			 tsm_error_last()->message);
}

/* ---- pure rendering ---- */

static char *render(const char *text, const tsm_script_vars *v, int lang)
{
	char *out = NULL;

	assert_int_equal(tsm_script_render_text(&out, text, v, lang), 0);
	assert_non_null(out);
	return out;
}

static void check_render(const char *text, const tsm_script_vars *v, int lang,
			 const char *want)
{
	char *got = render(text, v, lang);

	if (strcmp(got, want) != 0)
		fail_msg("render '%s': got '%s', want '%s'", text, got, want);
	free(got);
}

static void test_render_placeholders(void **state)
{
	tsm_script_vars v = {"王小明", "先生",		 "華遠貿易有限公司",
			     "周敏",   "明德律師事務所", 1};

	(void)state;
	check_render("{customer.name}{customer.salutation}", &v, TSM_SCRIPT_ZH,
		     "王小明先生");
	check_render("{company.name}的{agent.name}", &v, TSM_SCRIPT_ZH,
		     "明德律師事務所的周敏");
	check_render("貴公司{customer.company}", &v, TSM_SCRIPT_ZH,
		     "貴公司華遠貿易有限公司");
	/* Unknown placeholders stay visible as written. */
	check_render("{foo} and {customer.nmae}!", &v, TSM_SCRIPT_ZH,
		     "{foo} and {customer.nmae}!");
	/* Escapes. */
	check_render("{{customer.name}} is {customer.name}", &v, TSM_SCRIPT_ZH,
		     "{customer.name} is 王小明");
	check_render("a {{ b }} c", &v, TSM_SCRIPT_ZH, "a { b } c");
	check_render("{{{customer.name}}}", &v, TSM_SCRIPT_ZH, "{王小明}");
	/* Not placeholders: lone braces, spaces, empty, unterminated. */
	check_render("{ x } {} {a b} {open", &v, TSM_SCRIPT_ZH,
		     "{ x } {} {a b} {open");
	check_render("", &v, TSM_SCRIPT_ZH, "");
}

static void test_render_salutation(void **state)
{
	tsm_script_vars v = {"Li", NULL, NULL, "Zhou", "Acme Law", 1};

	(void)state;
	/* Unknown salutation: the neutral forms. */
	check_render("{customer.salutation}", &v, TSM_SCRIPT_ZH, "先生/女士");
	check_render("{customer.salutation}", &v, TSM_SCRIPT_EN, "Mr/Ms");
	v.customer_salutation = "";
	check_render("{customer.salutation}", &v, TSM_SCRIPT_ZH, "先生/女士");
	/* Known titles in the script's language. */
	v.customer_salutation = "女士";
	check_render("{customer.salutation}", &v, TSM_SCRIPT_ZH, "女士");
	check_render("{customer.salutation} {customer.name}", &v, TSM_SCRIPT_EN,
		     "Ms Li");
	v.customer_salutation = "Mr";
	check_render("{customer.name}{customer.salutation}", &v, TSM_SCRIPT_ZH,
		     "Li先生");
	check_render("{customer.salutation}", &v, TSM_SCRIPT_EN, "Mr");
	v.customer_salutation = "小姐";
	check_render("{customer.salutation}", &v, TSM_SCRIPT_ZH, "小姐");
	check_render("{customer.salutation}", &v, TSM_SCRIPT_EN, "Miss");
	/* Another title: as stored, but not Chinese in English. */
	v.customer_salutation = "經理";
	check_render("{customer.salutation}", &v, TSM_SCRIPT_ZH, "經理");
	check_render("{customer.salutation}", &v, TSM_SCRIPT_EN, "Mr/Ms");
	v.customer_salutation = "Prof";
	check_render("{customer.salutation}", &v, TSM_SCRIPT_EN, "Prof");
	/* Empty customer fields render empty. */
	check_render("[{customer.company}]", &v, TSM_SCRIPT_EN, "[]");
}

static void test_render_without_values(void **state)
{
	tsm_script_vars v = {NULL, NULL, NULL, NULL, NULL, 0};

	(void)state;
	/* No customer: customer placeholders stay, so do missing names. */
	check_render("{customer.name}{customer.salutation} {agent.name} "
		     "{company.name}",
		     &v, TSM_SCRIPT_ZH,
		     "{customer.name}{customer.salutation} {agent.name} "
		     "{company.name}");
	v.agent_name = "周敏";
	check_render("{agent.name}/{customer.company}", &v, TSM_SCRIPT_ZH,
		     "周敏/{customer.company}");
}

static void test_unknown_placeholders(void **state)
{
	char *u = NULL;

	(void)state;
	assert_int_equal(tsm_script_unknown_placeholders(
			     &u, "{customer.name} {agent.name} "
				 "{company.name} {customer.company} "
				 "{customer.salutation} {{foo}}"),
			 0);
	assert_null(u);
	assert_int_equal(tsm_script_unknown_placeholders(
			     &u, "hi {foo}, {customer.nmae} {客戶姓名}"),
			 0);
	assert_non_null(u);
	assert_string_equal(u, "{foo}, {customer.nmae}, {客戶姓名}");
	free(u);
}

/* ---- names and the file format ---- */

static void section_ok(const char *in, const char *want)
{
	char out[TSM_SCRIPT_SECTION_MAX];

	if (tsm_script_section_name(out, in) < 0)
		fail_msg("'%s': %s", in, tsm_error_last()->message);
	assert_string_equal(out, want);
}

static void test_names(void **state)
{
	char out[TSM_SCRIPT_SECTION_MAX];

	(void)state;
	section_ok("opening", "opening");
	section_ok("Closing", "closing");
	section_ok("needs-discovery", "needs");
	section_ok("discovery", "needs");
	section_ok("pitch", "pitch");
	section_ok("objection:price", "objection:price");
	section_ok("Objection:Price", "objection:price");
	section_ok("objection-busy", "objection:busy");
	section_ok("objection:太貴", "objection:太貴");
	assert_int_equal(tsm_script_section_name(out, "intro"), TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "opening"));
	assert_int_equal(tsm_script_section_name(out, "objection:"),
			 TSM_EINVALID);
	assert_int_equal(tsm_script_section_name(out, "objection:a b"),
			 TSM_EINVALID);
	assert_int_equal(tsm_script_section_name(out, "objection:a=b"),
			 TSM_EINVALID);
	assert_int_equal(tsm_script_section_name(out, ""), TSM_EINVALID);
	assert_true(tsm_script_name_valid("default-zh"));
	assert_true(tsm_script_name_valid("renewal.v2"));
	assert_false(tsm_script_name_valid("Default"));
	assert_false(tsm_script_name_valid("-x"));
	assert_false(tsm_script_name_valid("a b"));
	assert_false(tsm_script_name_valid(""));
}

static void test_parse_file(void **state)
{
	tsm_script_section *s = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(tsm_script_parse_file(&s, &n,
					       "\xef\xbb\xbf# a comment\n\n"
					       "[opening]\r\n"
					       "Hello {customer.name}\r\n"
					       "second line\n\n"
					       "[objection:price]\n\n"
					       "  indented stays\n"
					       "\n"
					       "[closing]\nBye"),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].name, "opening");
	assert_string_equal(s[0].text, "Hello {customer.name}\nsecond line");
	assert_string_equal(s[1].name, "objection:price");
	assert_string_equal(s[1].text, "  indented stays");
	assert_string_equal(s[2].name, "closing");
	assert_string_equal(s[2].text, "Bye");
	tsm_script_sections_free(s, n);

	assert_int_equal(tsm_script_parse_file(&s, &n, "hello\n[opening]\nx"),
			 TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "line 1"));
	assert_int_equal(tsm_script_parse_file(&s, &n, "[opening]\nx\n[bad]\n"),
			 TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "line 3"));
	assert_int_equal(
	    tsm_script_parse_file(&s, &n, "[opening]\nx\n[opening]\ny\n"),
	    TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "twice"));
	assert_int_equal(
	    tsm_script_parse_file(&s, &n, "[opening]\n\n[closing]\nz"),
	    TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "empty"));
	assert_int_equal(tsm_script_parse_file(&s, &n, "# only\n"),
			 TSM_EINVALID);
	assert_null(s);
	assert_int_equal(n, 0);
}

/* ---- the store: defaults, team scripts, permissions ---- */

static const char GREETING_ZH[] =
    "您好，請問是王小明先生嗎？我是明德律師事務所的周敏，打擾您了";
static const char CLOSING_ZH[] = "感謝您的接聽，祝您生活愉快，再見！";

static tsm_store *team_store(const char *tag)
{
	tsm_store *s = make_store(tag, "zhou.min", "周敏");

	tsm_clock_set_now(1795744800000LL); /* 2026-11-27 10:00 +08:00 */
	if (tsm_team_found(s, NULL, "Mingde Team", NULL) < 0)
		fail_msg("found: %s", tsm_error_last()->message);
	append(s, "customer", "c000000000001", "create", NULL,
	       "{\"name\":\"王小明\",\"phone\":\"+8613800001234\","
	       "\"salutation\":\"先生\",\"company\":\"華遠貿易\"}");
	append(s, "customer", "c000000000002", "create", NULL,
	       "{\"name\":\"Li Na\",\"phone\":\"+8613800005678\"}");
	return s;
}

static void test_defaults(void **state)
{
	tsm_store *s = team_store("script-defaults");
	tsm_script *sc = NULL, *list = NULL;
	char *text = NULL;
	size_t n = 0;

	(void)state;
	/* Both built-ins are listed before anyone adds a script. */
	assert_int_equal(tsm_script_list(&list, &n, s), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "default-en");
	assert_true(list[0].builtin);
	assert_int_equal(list[0].lang, TSM_SCRIPT_EN);
	assert_string_equal(list[1].name, "default-zh");
	assert_int_equal(list[1].lang, TSM_SCRIPT_ZH);
	assert_true(list[1].nsections >= 5);
	assert_string_equal(list[1].sections[0].name, "opening");
	assert_string_equal(list[1].sections[1].name, "needs");
	assert_string_equal(list[1].sections[2].name, "pitch");
	assert_non_null(strstr(list[1].sections[3].name, "objection:"));
	assert_string_equal(list[1].sections[list[1].nsections - 1].name,
			    "closing");
	tsm_script_list_free(list, n);

	/* Without a company_name policy the team's name is the firm. */
	assert_int_equal(tsm_script_render_script(&sc, s, NULL, "c000000000001",
						  TSM_SCRIPT_ZH),
			 0);
	assert_string_equal(sc->name, "default-zh");
	assert_non_null(strstr(sc->sections[0].text,
			       "請問是王小明先生嗎？我是Mingde Team的周敏"));
	tsm_script_free(sc);

	/* The policy's company_name, and the mandated text exactly. */
	append(s, "policy", "team", "create", NULL,
	       "{\"company_name\":\"明德律師事務所\"}");
	assert_int_equal(tsm_script_render_script(&sc, s, NULL, "c000000000001",
						  TSM_SCRIPT_ZH),
			 0);
	assert_int_equal(
	    strncmp(sc->sections[0].text, GREETING_ZH, strlen(GREETING_ZH)), 0);
	assert_string_equal(sc->sections[sc->nsections - 1].text, CLOSING_ZH);
	tsm_script_free(sc);

	/* The unknown salutation falls back; the text form has headers. */
	assert_int_equal(tsm_script_render(&text, s, "default-zh",
					   "c000000000002", TSM_SCRIPT_ZH),
			 0);
	assert_int_equal(strncmp(text,
				 "[opening]\n您好，請問是Li Na先生/女士嗎？",
				 strlen("[opening]\n您好，請問是Li Na先生/"
					"女士嗎？")),
			 0);
	assert_non_null(strstr(text, "\n\n[closing]\n感謝您的接聽"));
	free(text);

	/* English default for the same customer. */
	assert_int_equal(
	    tsm_script_render(&text, s, NULL, "c000000000001", TSM_SCRIPT_EN),
	    0);
	assert_non_null(strstr(text, "may I speak with Mr 王小明? This is "
				     "周敏 from 明德律師事務所."));
	free(text);

	/* No such customer, no such script. */
	assert_int_equal(
	    tsm_script_render(&text, s, NULL, "c0000000000ff", TSM_SCRIPT_ZH),
	    TSM_ENOTFOUND);
	assert_null(text);
	assert_int_equal(tsm_script_get(&sc, s, "nope"), TSM_ENOTFOUND);
	assert_null(sc);
	tsm_store_free(s);
	tsm_clock_set_now(0);
}

static void test_team_scripts(void **state)
{
	tsm_store *s = team_store("script-team");
	tsm_script_section secs[] = {
	    {"opening", "你好{customer.name}，我是{agent.name}"},
	    {"objection-price", "價格可以談"},
	    {"closing", "再見\n\n"},
	};
	tsm_script_section bad[] = {{"opening", "x"}, {"Opening", "y"}};
	tsm_script_section upd[] = {{"pitch", "新的介紹"}};
	const char *rm[] = {"objection:price"};
	const char *rm_missing[] = {"objection:busy"};
	tsm_script *sc = NULL, *list = NULL;
	char hash[65], hash2[65], *text = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(tsm_script_add(s, "renewal", secs, 3), 0);
	assert_int_equal(tsm_script_get(&sc, s, "renewal"), 0);
	assert_false(sc->builtin);
	assert_string_equal(sc->author, "zhou.min");
	assert_int_equal(sc->nsections, 3);
	assert_string_equal(sc->sections[0].name, "opening");
	assert_string_equal(sc->sections[1].name, "objection:price");
	assert_string_equal(sc->sections[2].name, "closing");
	assert_string_equal(sc->sections[2].text, "再見"); /* trimmed */
	tsm_script_free(sc);

	/* Refusals change nothing. */
	assert_int_equal(tsm_state_hash(hash, s), 0);
	assert_int_equal(tsm_script_add(s, "renewal", secs, 3), TSM_EEXISTS);
	assert_int_equal(tsm_script_add(s, "Bad Name", secs, 3), TSM_EINVALID);
	assert_int_equal(tsm_script_add(s, "dup", bad, 2), TSM_EINVALID);
	assert_int_equal(tsm_script_add(s, "empty", secs, 0), TSM_EINVALID);
	assert_int_equal(
	    tsm_script_edit(NULL, s, "renewal", NULL, 0, rm_missing, 1),
	    TSM_ENOTFOUND);
	assert_int_equal(tsm_script_edit(NULL, s, "nope", upd, 1, NULL, 0),
			 TSM_ENOTFOUND);
	assert_int_equal(tsm_state_hash(hash2, s), 0);
	assert_string_equal(hash, hash2);

	/* Setting a section to its text writes nothing. */
	{
		tsm_script_section same[] = {{"closing", "再見"}};
		size_t changed = 99;

		assert_int_equal(
		    tsm_script_edit(&changed, s, "renewal", same, 1, NULL, 0),
		    0);
		assert_int_equal(changed, 0);
		assert_int_equal(tsm_state_hash(hash2, s), 0);
		assert_string_equal(hash, hash2);
		/* Nor does re-saving a built-in unchanged. */
		same[0].text = "感謝您的接聽，祝您生活愉快，再見！";
		assert_int_equal(tsm_script_edit(&changed, s, "default-zh",
						 same, 1, NULL, 0),
				 0);
		assert_int_equal(changed, 0);
		assert_int_equal(tsm_state_hash(hash2, s), 0);
		assert_string_equal(hash, hash2);
	}

	/* Edit: add a section and remove one in one write. */
	{
		size_t changed = 0;

		assert_int_equal(
		    tsm_script_edit(&changed, s, "renewal", upd, 1, rm, 1), 0);
		assert_int_equal(changed, 2);
	}
	assert_int_equal(tsm_script_get(&sc, s, "renewal"), 0);
	assert_int_equal(sc->nsections, 3);
	assert_string_equal(sc->sections[1].name, "pitch");
	assert_string_equal(sc->sections[1].text, "新的介紹");
	tsm_script_free(sc);

	/* Overriding a built-in: the team's copy keeps the other
	 * sections and wins from then on. */
	upd[0].name = "closing";
	upd[0].text = "謝謝，再見！";
	assert_int_equal(
	    tsm_script_edit(NULL, s, "default-zh", upd, 1, NULL, 0), 0);
	assert_int_equal(tsm_script_get(&sc, s, "default-zh"), 0);
	assert_false(sc->builtin);
	assert_true(sc->nsections >= 5);
	assert_string_equal(sc->sections[sc->nsections - 1].text,
			    "謝謝，再見！");
	assert_non_null(strstr(sc->sections[0].text, "請問是"));
	tsm_script_free(sc);
	assert_int_equal(
	    tsm_script_render(&text, s, NULL, "c000000000001", TSM_SCRIPT_ZH),
	    0);
	assert_non_null(strstr(text, "[closing]\n謝謝，再見！"));
	free(text);

	assert_int_equal(tsm_script_list(&list, &n, s), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "default-en");
	assert_true(list[0].builtin);
	assert_string_equal(list[1].name, "default-zh");
	assert_false(list[1].builtin);
	assert_string_equal(list[2].name, "renewal");
	tsm_script_list_free(list, n);

	/* Removing every section of a script is refused. */
	{
		const char *all[] = {"opening", "pitch", "closing"};

		assert_int_equal(
		    tsm_script_edit(NULL, s, "renewal", NULL, 0, all, 3),
		    TSM_EINVALID);
	}
	tsm_store_free(s);
	tsm_clock_set_now(0);
}

/* An agent's replica: the manager's ops (team, grants) applied to it. */
static void test_agent_refused(void **state)
{
	tsm_store *m = team_store("script-mgr");
	tsm_store *a = make_store("script-agent", "wu.lei", "吳磊");
	tsm_script_section secs[] = {{"opening", "hi"}};
	tsm_apply_stats st = {0};
	tsm_op *ops = NULL;
	char *json = NULL, hash[65], hash2[65];
	size_t len = 0, n = 0;
	char op[1024];

	(void)state;
	append(m, "member", "wu.lei", "grant", NULL,
	       "{\"role\":\"agent\",\"name\":\"吳磊\"}");
	assert_int_equal(tsm_ops_export(&json, &len, m, NULL, 1, 0, 0), 0);
	assert_int_equal(tsm_ops_apply_json(&st, a, json, len), 0);
	tsm_apply_stats_dispose(&st);
	free(json);

	/* The agent's own replica refuses with a clear message. */
	assert_int_equal(tsm_state_hash(hash, a), 0);
	assert_int_equal(tsm_script_add(a, "mine", secs, 1), TSM_EPERM);
	assert_non_null(
	    strstr(tsm_error_last()->message, "only leads and managers"));
	assert_int_equal(
	    tsm_script_edit(NULL, a, "default-zh", secs, 1, NULL, 0),
	    TSM_EPERM);
	assert_int_equal(tsm_state_hash(hash2, a), 0);
	assert_string_equal(hash, hash2);

	/* An agent's script op arriving by sync is rejected by the rules:
	 * kept in the log, no effect on the scripts. */
	snprintf(op, sizeof(op),
		 "[{\"site\":\"00000000000000aa\",\"seq\":1,"
		 "\"hlc\":\"%016llx\",\"author\":\"wu.lei\","
		 "\"etype\":\"script\",\"eid\":\"default-zh\","
		 "\"action\":\"create\",\"field\":\"\","
		 "\"value\":{\"opening\":\"hacked\"},\"supersedes\":[]}]",
		 (unsigned long long)(1795744900000ULL << 16));
	assert_int_equal(tsm_ops_apply_json(&st, m, op, strlen(op)), 0);
	assert_int_equal(st.rejected, 1);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(tsm_ops_list(&ops, &n, m, "script", "default-zh"), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ops[0].status, TSM_OP_REJECTED);
	tsm_ops_list_free(ops, n);
	{
		tsm_script *sc = NULL;

		assert_int_equal(tsm_script_get(&sc, m, "default-zh"), 0);
		assert_true(sc->builtin);
		assert_string_not_equal(sc->sections[0].text, "hacked");
		tsm_script_free(sc);
	}
	tsm_store_free(a);
	tsm_store_free(m);
	tsm_clock_set_now(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_placeholders),
	    cmocka_unit_test(test_render_salutation),
	    cmocka_unit_test(test_render_without_values),
	    cmocka_unit_test(test_unknown_placeholders),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_parse_file),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_team_scripts),
	    cmocka_unit_test(test_agent_refused),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
