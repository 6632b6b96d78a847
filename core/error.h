/* core/error.h — internal helpers to record the thread's last error. */
#ifndef TSM_CORE_ERROR_H
#define TSM_CORE_ERROR_H

#include "tsm/common.h"

struct sqlite3;

/* Records code and a printf-style message as the last error; returns code. */
int tsm_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records a SQLite failure: copies sqlite3_errmsg(db) at once and maps rc to a
 * TSM_E* code; returns that code. what names the step, e.g. "insert op". */
int tsm_error_sqlite(struct sqlite3 *db, int rc, const char *what);

/* Maps a SQLite result code to a TSM_E* code. */
int tsm_error_from_sqlite(int rc);

#endif
