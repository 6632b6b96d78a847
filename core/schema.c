/* core/schema.c — the whole tsm schema as commented SQL, in one place.
 * Migrations run in order under PRAGMA user_version; never edit a released
 * step, append a new one. */
#include "schema.h"
#include "error.h"

#include <stdio.h>

static const char *const migrations[] = {
	/* 1: the replica's own identity and settings. */
	"CREATE TABLE local (\n"
	"  key   TEXT PRIMARY KEY,  -- e.g. 'member', 'site', 'sign_sk'\n"
	"  value BLOB NOT NULL\n"
	") WITHOUT ROWID;\n",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int tsm_schema_version(void)
{
	return N_MIGRATIONS;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read schema version");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = tsm_error_sqlite(db, rc, "read schema version");
		sqlite3_finalize(st);
		return rc;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : tsm_error_sqlite(db, rc, what);
}

int tsm_schema_migrate(sqlite3 *db)
{
	int version, appid, err, v;
	char sql[64];

	if ((err = pragma_int(db, "PRAGMA application_id", &appid)) < 0)
		return err;
	if ((err = pragma_int(db, "PRAGMA user_version", &version)) < 0)
		return err;
	if (version == 0 && appid == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
			 TSM_APPLICATION_ID);
		if ((err = exec(db, sql, "set application id")) < 0)
			return err;
	} else if (appid != TSM_APPLICATION_ID) {
		return tsm_error_set(TSM_ECORRUPT, "not a tsm database");
	}
	if (version > N_MIGRATIONS)
		return tsm_error_set(TSM_EINVALID,
				     "store has schema version %d; this tsm "
				     "knows up to %d (upgrade tsm)",
				     version, N_MIGRATIONS);
	for (v = version; v < N_MIGRATIONS; v++) {
		if ((err = exec(db, "SAVEPOINT migrate", "migrate")) < 0)
			return err;
		err = exec(db, migrations[v], "migrate schema");
		if (err == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
				 v + 1);
			err = exec(db, sql, "set schema version");
		}
		if (err < 0) {
			sqlite3_exec(db, "ROLLBACK TO migrate; RELEASE migrate",
				     NULL, NULL, NULL);
			return err;
		}
		if ((err = exec(db, "RELEASE migrate", "migrate")) < 0)
			return err;
	}
	return 0;
}
