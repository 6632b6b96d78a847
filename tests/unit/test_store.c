/* tests/unit/test_store.c — the store API: plaintext stores, transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store_internal.h"
#include "testutil.h"

static int count_rows(tsm_store *s)
{
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(tsm_store_db(s),
					    "SELECT count(*) FROM t", -1, &st,
					    NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int insert_one(tsm_store *s, void *payload)
{
	int fail = *(int *)payload;

	assert_int_equal(sqlite3_exec(tsm_store_db(s),
				      "INSERT INTO t VALUES ('x')", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	return fail ? -8 : 0;
}

static void test_plaintext_round_trip(void **state)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *dir = tu_tmpdir("store-plain");
	char path[4200];
	tsm_store *s;
	int fail = 0;

	(void)state;
	assert_false(tsm_store_exists(dir));
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, dir, NULL, 0, &o), 0);
	assert_true(tsm_store_exists(dir));
	assert_string_equal(tsm_store_dir(s), dir);
	assert_int_equal(sqlite3_exec(tsm_store_db(s),
				      "CREATE TABLE t(x TEXT)", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(tsm_store_transaction(s, insert_one, &fail), 0);
	fail = 1;
	assert_int_equal(tsm_store_transaction(s, insert_one, &fail), -8);
	assert_int_equal(count_rows(s), 1);
	tsm_store_free(s);
	assert_int_equal(tsm_store_create(&s, dir, NULL, 0, &o),
			 TSM_EEXISTS);
	assert_int_equal(tsm_store_open_plaintext(&s, dir), 0);
	assert_int_equal(count_rows(s), 1);
	tsm_store_free(s);
	snprintf(path, sizeof(path), "%s/%s", dir, TSM_STORE_DBFILE);
	assert_true(tu_file_contains(path, "SQLite format 3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plaintext_round_trip),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
