/* core/error.c — the thread-local last-error slot and library start-up. */
#include "error.h"
#include "vfs.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char error_message[512];
static _Thread_local tsm_error error_last = {0, ""};

const tsm_error *tsm_error_last(void)
{
	if (error_last.message == NULL)
		error_last.message = "";
	return &error_last;
}

void tsm_error_clear(void)
{
	error_message[0] = '\0';
	error_last.code = 0;
	error_last.message = error_message;
}

int tsm_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_message, sizeof(error_message), fmt, ap);
	va_end(ap);
	error_last.code = code;
	error_last.message = error_message;
	return code;
}

int tsm_error_set_str(int code, const char *message)
{
	return tsm_error_set(code, "%s", message ? message : "");
}

int tsm_error_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return TSM_OK;
	case SQLITE_NOMEM:
		return TSM_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return TSM_EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return TSM_ECORRUPT;
	case SQLITE_CONSTRAINT:
		return TSM_EEXISTS;
	case SQLITE_NOTFOUND:
		return TSM_ENOTFOUND;
	case SQLITE_IOERR:
		if (rc == SQLITE_IOERR_DATA)
			return TSM_ECORRUPT;
		return TSM_EIO;
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_READONLY:
		return TSM_EIO;
	default:
		return TSM_ERROR;
	}
}

int tsm_error_sqlite(struct sqlite3 *db, int rc, const char *what)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	char detail[512];

	/* A page that failed authentication in the store's VFS: name it. */
	if (rc == SQLITE_IOERR_DATA &&
	    tsm_vfs_describe(db, detail, sizeof(detail)))
		return tsm_error_set(TSM_ECORRUPT, "%s", detail);
	/* After the busy timeout: say what to do, not only SQLite's word. */
	if ((rc & 0xff) == SQLITE_BUSY)
		return tsm_error_set(TSM_EBUSY,
				     "%s: the store is busy: another tsm "
				     "command is writing to it (an import or "
				     "a sync, say); try again once it is done",
				     what);
	return tsm_error_set(tsm_error_from_sqlite(rc), "%s: %s", what, msg);
}

const char *tsm_version(void)
{
	return TSM_VERSION;
}

int tsm_init(void)
{
	if (sodium_init() < 0)
		return tsm_error_set(TSM_ERROR, "cannot initialise libsodium");
	return 0;
}
