/* tests/unit/test_stats.c — tsm_stats_counts reports exactly the counted
 * tables the store has, with their true row counts, and skips the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store_internal.h"
#include "tsm/stats.h"
#include "testutil.h"

/* The tables core/stats.c counts, repeated here on purpose. */
static const char *const names[] = {"ops",	"members",   "customers",
				    "calls",	"followups", "orders",
				    "dnc_list", "review"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static int64_t count_rows(sqlite3 *db, const char *table, int *exists)
{
	sqlite3_stmt *st = NULL;
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
		 "AND name = '%s'",
		 table); /* test-only: table names from the list above */
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*exists = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (!*exists)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Every reported table exists with that many rows; every counted table
 * that exists is reported. */
static void check_counts(tsm_store *s)
{
	tsm_count c[TSM_COUNTS_MAX];
	size_t n, i, j;
	int exists, found;

	assert_int_equal(tsm_stats_counts(c, TSM_COUNTS_MAX, &n, s), 0);
	for (i = 0; i < N_NAMES; i++) {
		int64_t rows = count_rows(tsm_store_db(s), names[i], &exists);

		found = 0;
		for (j = 0; j < n; j++) {
			if (strcmp(c[j].table, names[i]) != 0)
				continue;
			found = 1;
			assert_int_equal(c[j].rows, rows);
		}
		assert_int_equal(found, exists);
	}
}

static void test_counts(void **state)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *d = tu_tmpdir("stats");
	tsm_store *s = NULL;
	char dir[4200], sql[128];
	size_t i;
	int exists;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/store", d);
	o.plaintext = 1; /* counting does not depend on encryption */
	assert_int_equal(tsm_store_create(&s, dir, NULL, 0, &o), 0);
	check_counts(s);
	/* A counted table the schema does not have yet appears once made. */
	for (i = 0; i < N_NAMES; i++) {
		count_rows(tsm_store_db(s), names[i], &exists);
		if (exists)
			continue;
		snprintf(sql, sizeof(sql),
			 "CREATE TABLE \"%s\"(x); INSERT INTO \"%s\" "
			 "VALUES (1), (2), (3)",
			 names[i], names[i]);
		assert_int_equal(
		    sqlite3_exec(tsm_store_db(s), sql, NULL, NULL, NULL),
		    SQLITE_OK);
		check_counts(s);
		break;
	}
	/* By now a counted table exists: too little room is an error, not a
	 * silent truncation. */
	{
		tsm_count none[1];
		size_t n;

		assert_int_equal(tsm_stats_counts(none, 0, &n, s),
				 TSM_EINVALID);
	}
	tsm_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
