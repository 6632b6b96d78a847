/* core/stats.c — row counts of the store's main tables. A module that adds a
 * table worth counting in `tsm status` adds one line to `counted` below. */
#include "tsm/stats.h"

#include "error.h"
#include "store_internal.h"

/* The tables `tsm status` counts, in display order. Each has its own literal
 * statement: table names are never formatted into SQL. */
static const struct {
	const char *table;
	const char *sql;
} counted[] = {
    {"ops", "SELECT count(*) FROM ops"},
    {"members", "SELECT count(*) FROM members"},
    {"customers", "SELECT count(*) FROM customers"},
    {"calls", "SELECT count(*) FROM calls"},
    {"followups", "SELECT count(*) FROM followups"},
    {"orders", "SELECT count(*) FROM orders"},
    {"dnc_list", "SELECT count(*) FROM dnc_list"},
    {"review", "SELECT count(*) FROM review"},
};

#define N_COUNTED (sizeof(counted) / sizeof(counted[0]))

static int table_exists(sqlite3 *db, const char *table, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(db,
				"SELECT 1 FROM sqlite_schema "
				"WHERE type = 'table' AND name = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read schema");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read schema");
	*out = rc == SQLITE_ROW;
	return 0;
}

int tsm_stats_counts(tsm_count *out, size_t cap, size_t *n, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, err, exists;

	*n = 0;
	for (i = 0; i < N_COUNTED; i++) {
		if ((err = table_exists(db, counted[i].table, &exists)) < 0)
			return err;
		if (!exists)
			continue;
		if (*n >= cap)
			return tsm_error_set(TSM_EINVALID,
					     "too many tables to count");
		rc = sqlite3_prepare_v2(db, counted[i].sql, -1, &st, NULL);
		if (rc != SQLITE_OK)
			return tsm_error_sqlite(db, rc, "count rows");
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			err = tsm_error_sqlite(db, rc, "count rows");
			sqlite3_finalize(st);
			return err;
		}
		out[*n].table = counted[i].table;
		out[*n].rows = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		(*n)++;
	}
	return 0;
}
