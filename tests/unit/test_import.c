/* tests/unit/test_import.c — the pieces of `tsm import` below the CLI:
 * header names (simplified, traditional, English, decorated), matching
 * against the team's lists (aliases, full-width forms, region suffixes, head
 * counts into size ranges), a team list replacing the default, and an
 * imported store whose ops, applied to a fresh replica, give the same state
 * (the import writes ordinary ops that converge). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_internal.h"
#include "testutil.h"
#include "tsm/import.h"
#include "tsm/ops.h"

#define T0 1795000000000LL

static tsm_store *new_store(const char *tag, const char *member, int team)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s;

	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	sqlite3_exec(tsm_store_db(s), "PRAGMA synchronous=OFF", NULL, NULL,
		     NULL);
	assert_int_equal(tsm_identity_create(s, member, member), 0);
	if (team)
		assert_int_equal(tsm_team_found(s, "t1", "Sales", NULL), 0);
	return s;
}

static void test_headers(void **state)
{
	static const struct {
		const char *h;
		int f;
	} cases[] = {
	    {"姓名", TSM_CF_NAME},	    {" 客戶 ", TSM_CF_NAME},
	    {"Contact Name", TSM_CF_NAME},  {"*姓名", TSM_CF_NAME},
	    {"電話", TSM_CF_PHONE},	    {"手机号码：", TSM_CF_PHONE},
	    {"Phone_Number", TSM_CF_PHONE}, {"ＭＯＢＩＬＥ", TSM_CF_PHONE},
	    {"公司名稱", TSM_CF_COMPANY},   {"行業", TSM_CF_INDUSTRY},
	    {"City", TSM_CF_REGION},	    {"規模", TSM_CF_SIZE},
	    {"來源", TSM_CF_SOURCE},	    {"備註", TSM_IMPORT_NOTE},
	    {"Remarks", TSM_IMPORT_NOTE},   {"地址", TSM_CF_ADDRESS},
	    {"需求", TSM_CF_NEEDS},	    {"稱呼", TSM_CF_SALUTATION},
	    {"性别", TSM_CF_SALUTATION},    {"微信", TSM_IMPORT_IGNORE},
	    {"", TSM_IMPORT_IGNORE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tsm_import_field_guess(cases[i].h) != cases[i].f)
			fail_msg("'%s' guessed %d, want %d", cases[i].h,
				 tsm_import_field_guess(cases[i].h),
				 cases[i].f);
	assert_int_equal(tsm_import_field_parse("note"), TSM_IMPORT_NOTE);
	assert_int_equal(tsm_import_field_parse("ignore"), TSM_IMPORT_IGNORE);
	assert_int_equal(tsm_import_field_parse("tags"), TSM_CF_TAGS);
	assert_int_equal(tsm_import_field_parse("owner"), -2);
	assert_int_equal(tsm_import_field_parse("stage"), -2);
	assert_int_equal(tsm_import_encoding_parse("GB2312"), TSM_ENC_GBK);
	assert_int_equal(tsm_import_encoding_parse("utf8"), TSM_ENC_UTF8);
	assert_int_equal(tsm_import_encoding_parse("latin1"), -1);
}

static void classify(tsm_store *s, int list, const char *in, const char *want,
		     int known)
{
	char out[256];
	int rc = tsm_import_classify(out, sizeof(out), s, list, in);

	if (rc != known || strcmp(out, want) != 0)
		fail_msg("'%s' -> '%s' (%d), want '%s' (%d)", in, out, rc, want,
			 known);
}

static void test_lists(void **state)
{
	tsm_store *s = new_store("import-lists", "mgr", 1);
	char *json;
	int dflt;

	(void)state;
	classify(s, TSM_LIST_INDUSTRIES, "互联网", "科技", 1);
	classify(s, TSM_LIST_INDUSTRIES, " real  ESTATE ", "房地产", 1);
	classify(s, TSM_LIST_INDUSTRIES, "ＩＴ", "科技", 1);
	classify(s, TSM_LIST_INDUSTRIES, "製造業", "制造业", 1);
	classify(s, TSM_LIST_INDUSTRIES, "律师行业", "律师行业", 0);
	classify(s, TSM_LIST_INDUSTRIES, "   ", "", 0);
	classify(s, TSM_LIST_REGIONS, "深圳市", "深圳", 1);
	classify(s, TSM_LIST_REGIONS, "广东省", "广东", 1);
	classify(s, TSM_LIST_REGIONS, "Hong Kong", "香港", 1);
	classify(s, TSM_LIST_REGIONS, "火星", "火星", 0);
	classify(s, TSM_LIST_SIZES, "中型", "50-199", 1);
	classify(s, TSM_LIST_SIZES, "120人", "50-199", 1);
	classify(s, TSM_LIST_SIZES, "约80人", "50-199", 1);
	classify(s, TSM_LIST_SIZES, "1,200人", "1000+", 1);
	classify(s, TSM_LIST_SIZES, "1000人以上", "1000+", 1);
	classify(s, TSM_LIST_SIZES, "５００", "200-999", 1);
	classify(s, TSM_LIST_SIZES, "60-150", "50-199", 1);
	classify(s, TSM_LIST_SIZES, "60～150人", "50-199", 1);
	classify(s, TSM_LIST_SIZES, "100-300", "100-300", 0); /* straddles */
	classify(s, TSM_LIST_SIZES, "500+", "500+", 0);	      /* open */
	classify(s, TSM_LIST_SIZES, "0", "0", 0);
	classify(s, TSM_LIST_SIZES, "五百人", "五百人", 0);
	/* A team list replaces the default, for every member alike. */
	assert_int_equal(tsm_import_list_set(s, TSM_LIST_SIZES,
					     "[{\"name\":\"small\",\"max\":99,"
					     "\"min\":0},{\"name\":\"big\","
					     "\"min\":100,\"aliases\":[\"大\"]}"
					     "]"),
			 0);
	assert_int_equal(tsm_import_list_get(&json, &dflt, s, TSM_LIST_SIZES),
			 0);
	assert_false(dflt);
	assert_string_equal(json, "[{\"max\":99,\"min\":0,\"name\":\"small\"},"
				  "{\"aliases\":[\"大\"],\"min\":100,"
				  "\"name\":\"big\"}]");
	free(json);
	classify(s, TSM_LIST_SIZES, "120人", "big", 1);
	classify(s, TSM_LIST_SIZES, "0", "small", 1);
	classify(s, TSM_LIST_SIZES, "中型", "中型", 0);
	assert_int_equal(tsm_import_list_set(s, TSM_LIST_SIZES, "{}"),
			 TSM_EINVALID);
	assert_int_equal(tsm_import_list_set(s, TSM_LIST_SIZES,
					     "[{\"name\":\"x\",\"min\":-1}]"),
			 TSM_EINVALID);
	assert_int_equal(tsm_import_list_set(s, TSM_LIST_REGIONS,
					     "[{\"name\":\"x\",\"min\":1}]"),
			 TSM_EINVALID);
	assert_int_equal(tsm_import_list_set(s, TSM_LIST_SIZES, NULL), 0);
	assert_int_equal(tsm_import_list_get(&json, &dflt, s, TSM_LIST_SIZES),
			 0);
	assert_true(dflt);
	free(json);
	classify(s, TSM_LIST_SIZES, "中型", "50-199", 1);
	tsm_store_free(s);
}

/* Writes a CSV of n rows (every third with a note) and imports it. */
static void test_converges(void **state)
{
	tsm_store *a = new_store("import-a", "mgr", 1);
	tsm_store *b = new_store("import-b", "other", 0);
	tsm_import_options o = TSM_IMPORT_OPTIONS_INIT;
	tsm_import_result r;
	char path[4200], ha[65], hb[65], *json;
	const char *dir = tu_tmpdir("import-csv");
	size_t len;
	FILE *f;
	int i;

	(void)state;
	tsm_clock_set_now(T0);
	snprintf(path, sizeof(path), "%s/leads.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "姓名,电话,行业,备注\n");
	for (i = 0; i < 300; i++)
		fprintf(f, "客户%d,1390000%04d,%s,%s\n", i, i,
			i % 2 ? "金融" : "未知行业", i % 3 ? "" : "有备注");
	/* and one repeated phone */
	fprintf(f, "重复,13900000007,,\n");
	fclose(f);
	assert_int_equal(tsm_import(&r, a, path, &o), 0);
	assert_int_equal(r.rows, 301);
	assert_int_equal(r.imported, 300);
	assert_int_equal(r.rejected, 1);
	assert_int_equal(r.by_reason[TSM_IMPORT_R_DUP_FILE], 1);
	assert_int_equal(r.unknown[TSM_CF_INDUSTRY], 150);
	assert_int_equal(r.ops, 400);
	assert_non_null(r.rejects_file);
	tsm_import_result_dispose(&r);
	/* Another replica applying the same ops holds the same state. */
	assert_int_equal(tsm_ops_export(&json, &len, a, NULL, 1, 0, 0), 0);
	if (tsm_ops_apply_json(NULL, b, json, len) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	free(json);
	assert_int_equal(tsm_state_hash(ha, a), 0);
	assert_int_equal(tsm_state_hash(hb, b), 0);
	assert_string_equal(ha, hb);
	/* The member of b has no role: it may not import. */
	assert_int_equal(tsm_import(&r, b, path, &o), TSM_EPERM);
	tsm_import_result_dispose(&r);
	tsm_store_free(a);
	tsm_store_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_converges),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
