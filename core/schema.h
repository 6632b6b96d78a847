/* core/schema.h — the database schema and its ordered migrations. */
#ifndef TSM_CORE_SCHEMA_H
#define TSM_CORE_SCHEMA_H

#include <sqlite3.h>

/* PRAGMA application_id of every tsm database ("TSM1"). */
#define TSM_APPLICATION_ID 0x54534d31

/* Brings db to the newest schema version: sets application_id on a new
 * database, refuses a database of another application or of a newer tsm,
 * and applies each pending migration in its own step under user_version.
 * Returns 0 or a TSM_E* code with the last error set. */
int tsm_schema_migrate(sqlite3 *db);

/* The newest schema version this build knows. */
int tsm_schema_version(void);

#endif
