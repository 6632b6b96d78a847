/* tsm/when.h — WHEN: times people type for follow-ups ("tomorrow 10:00", "+2d",
 * "fri", "2026-12-01 14:30") parsed to epoch milliseconds and formatted back;
 * the team's calling hours ("mon-fri 09:00-12:00,13:30-18:00"). */
#ifndef TSM_WHEN_H
#define TSM_WHEN_H

#include "tsm/common.h"

/* Local time is the process's time zone (the TZ environment variable, read by
 * the C library through localtime_r/mktime); core reads no other setting. */

#ifdef __cplusplus
extern "C" {
#endif

/* The local hour a bare day means: "2026-12-01", "today", "tomorrow", "fri". */
#define TSM_WHEN_DEFAULT_HOUR 9

/* Bytes that hold what the formatters write, NUL included. */
#define TSM_WHEN_FORMAT_MAX 40

/* The calling hours used when the team has not set its own. */
#define TSM_HOURS_DEFAULT "mon-fri 09:00-12:00,13:30-18:00"

/* Parses text (case-insensitive, surrounding spaces ignored) into *out_ms,
 * milliseconds since the epoch, relative to now_ms where it must be. Forms:
 *   2026-12-01 (or 2026/12/01)   that day at TSM_WHEN_DEFAULT_HOUR:00 local
 *   2026-12-01 14:30, 2026-12-01T14:30[:ss[.fff]]   local time
 *   2026-12-01T14:30:00+08:00 (also Z, +0800, +08)  that exact instant
 *   today, tomorrow              that day at the default hour (even if past)
 *   today 16:00, tomorrow 10:00  that day at that time (even if past)
 *   mon..sun, monday..sunday     the next such day, never today (so "mon" on
 *                                a Monday is in 7 days), at the default hour;
 *                                "fri 14:00" at that time
 *   14:30, 9:05[:ss]             today at that time if it is still ahead,
 *                                else tomorrow
 *   now                          now_ms
 *   +30m, +3h                    now plus exactly that many minutes/hours
 *   +2d, +1w                     the same wall-clock time 2 days / 1 week on
 *                                (calendar days: DST changes keep 10:00 10:00)
 * Years run 1900..9999. Dates and times before now are accepted where written
 * out; callers decide whether a past time is an error. Returns 0, or TSM_EINVALID with a message
 * "invalid time 'xyz': ..." naming what was expected or what is out of range
 * (no such date 2026-02-30, hour 25, minute 61, ...). */
int tsm_when_parse(int64_t *out_ms, const char *text, int64_t now_ms);

/* Formats ms as local "2026-12-01 14:30" into out (outlen bytes). Returns 0,
 * or TSM_EINVALID when out is too small or the time is out of range. */
int tsm_when_format(char *out, size_t outlen, int64_t ms);

/* Formats ms as ISO 8601 local time with its UTC offset,
 * "2026-12-01T14:30:00+08:00", into out. Returns 0 or TSM_EINVALID. */
int tsm_when_format_iso(char *out, size_t outlen, int64_t ms);

/* Calling hours: for each weekday (0 = Sunday ... 6 = Saturday, as in struct
 * tm) the open spans in minutes since local midnight, [start, end), sorted,
 * disjoint and not touching. A plain value: copy it freely. */
#define TSM_HOURS_SPANS 8

typedef struct tsm_hours {
	unsigned char count[7];
	struct {
		unsigned short start, end;
	} span[7][TSM_HOURS_SPANS];
} tsm_hours;

/* Parses a calling-hours policy into out. Grammar: rules separated by ';',
 * each "DAYS SPANS": DAYS is a comma list of days (mon..sun or monday..
 * sunday) or ranges (mon-fri; fri-mon wraps), or "daily"; SPANS a comma list
 * of HH:MM-HH:MM (end after start, 24:00 allowed as an end). Rules add up:
 * "mon-fri 09:00-18:00; sat 10:00-12:00". Case-insensitive. Returns 0, or
 * TSM_EINVALID saying what is wrong (out is then empty: never open). */
int tsm_hours_parse(tsm_hours *out, const char *policy);

/* 1 if the local time of ms falls within the calling hours, else 0. */
int tsm_hours_contains(const tsm_hours *hours, int64_t ms);

/* Sets *out_ms to ms itself when calling hours are open then, else to the
 * moment they next open. Returns 0, or TSM_ENOTFOUND when they never open. */
int tsm_hours_next(int64_t *out_ms, const tsm_hours *hours, int64_t ms);

#ifdef __cplusplus
}
#endif
#endif
