/* core/hlc.c — the hybrid logical clock (tick, receive), the injectable wall
 * clock and the clock's persistent state. Core never reads the environment:
 * the CLI passes TSM_NOW in through tsm_clock_set_now(). */
#include "hlc.h"
#include "error.h"
#include "ops_internal.h"

#include "tsm/ops.h"

#include <string.h>
#include <time.h>

static int64_t clock_fixed; /* 0: the real clock */

void tsm_clock_set_now(int64_t ms)
{
	clock_fixed = ms > 0 ? ms : 0;
}

int64_t tsm_clock_now_ms(void)
{
	struct timespec ts;

	if (clock_fixed)
		return clock_fixed;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t tsm_hlc_tick(uint64_t last, int64_t now_ms)
{
	uint64_t wall = now_ms > 0 ? tsm_hlc_pack(now_ms, 0) : 0;

	/* now << 16 beats last exactly when now is past last's wall time;
	 * otherwise the counter (carrying into the wall part) moves on. */
	return wall > last ? wall : last + 1;
}

int tsm_hlc_recv(uint64_t *out, uint64_t last, uint64_t remote, int64_t now_ms)
{
	if (tsm_hlc_wall(remote) > now_ms + TSM_HLC_MAX_SKEW_MS) {
		*out = last;
		return 1;
	}
	*out = remote > last ? remote : last;
	return 0;
}

static const char SQL_LOAD[] = "SELECT value FROM local WHERE key = 'hlc'";
static const char SQL_SAVE[] =
    "INSERT INTO local(key, value) VALUES ('hlc', ?1) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
static const char SQL_WARN[] =
    "INSERT OR IGNORE INTO clock_warnings(site, hlc, seen_at) "
    "VALUES (?1, ?2, ?3)";

int tsm_hlc_load(uint64_t *out, sqlite3 *db)
{
	sqlite3_stmt *st = tsm_stmt(db, SQL_LOAD);
	int rc;

	*out = 0;
	if (st == NULL)
		return tsm_error_last()->code;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read clock");
	return 0;
}

int tsm_hlc_save(sqlite3 *db, uint64_t hlc)
{
	sqlite3_stmt *st = tsm_stmt(db, SQL_SAVE);
	int rc;

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)hlc);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "save clock");
	return 0;
}

int tsm_hlc_warn(sqlite3 *db, const char *site, uint64_t hlc, int64_t seen_ms)
{
	sqlite3_stmt *st = tsm_stmt(db, SQL_WARN);
	int rc;

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hlc);
	sqlite3_bind_int64(st, 3, seen_ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "record clock warning");
	return 0;
}

/* ---- parsing TSM_NOW-style times ---- */

static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int parse_iso(int64_t *out, const char *s)
{
	int y, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0, i;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};

	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 ||
	    *s++ != '-' || digits(&s, 2, &d) < 0 || (*s != 'T' && *s != ' '))
		return -1;
	s++;
	if (digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0 ||
	    *s++ != ':' || digits(&s, 2, &sec) < 0)
		return -1;
	if (*s == '.') {
		s++;
		for (i = 0; i < 3; i++) {
			if (*s < '0' || *s > '9')
				return -1;
			ms = ms * 10 + (*s++ - '0');
		}
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) < 0)
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om) < 0)
			return -1;
	} else {
		return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*out = *out * 1000 + ms - (int64_t)sign * (oh * 60 + om) * 60000;
	return 0;
}

int tsm_clock_parse(int64_t *out, const char *text)
{
	const char *p = text;
	int64_t v = 0;

	if (text == NULL || *text == '\0')
		return tsm_error_set(TSM_EINVALID, "empty time");
	while (*p >= '0' && *p <= '9' && v < 1000000000000000LL)
		v = v * 10 + (*p++ - '0');
	if (*p == '\0' && p - text >= 1 && p - text <= 15) {
		*out = v;
		return 0;
	}
	if (parse_iso(out, text) == 0 && *out > 0)
		return 0;
	return tsm_error_set(TSM_EINVALID,
			     "invalid time '%s': expected ms since the epoch "
			     "or e.g. 2026-11-27T10:00:00+08:00",
			     text);
}
