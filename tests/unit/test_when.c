/* tests/unit/test_when.c — WHEN parsing and formatting, and calling hours, in
 * TZ=Asia/Shanghai (UTC+8, no DST) plus one US zone for DST. Expected instants
 * come from timegm(), independent of the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tsm/when.h"

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

/* Milliseconds of a UTC wall-clock time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * 1000;
}

/* Milliseconds of a Shanghai wall-clock time (UTC+8). */
static int64_t sh(int y, int mo, int d, int h, int mi)
{
	return utc(y, mo, d, h, mi) - 8 * HOUR;
}

/* Friday 2026-11-27 15:20:30.250 in Shanghai. */
#define NOW (sh(2026, 11, 27, 15, 20) + 30250)

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int shanghai(void **state)
{
	time_t zero = 0;
	struct tm tm;

	(void)state;
	use_tz("Asia/Shanghai");
	/* without tzdata glibc would quietly use UTC: take the POSIX form */
	if (localtime_r(&zero, &tm) == NULL || tm.tm_hour != 8)
		use_tz("CST-8");
	return 0;
}

static void eq(const char *text, int64_t now, int64_t want)
{
	int64_t got = -1;

	if (tsm_when_parse(&got, text, now) != 0)
		fail_msg("'%s': %s", text, tsm_error_last()->message);
	if (got != want)
		fail_msg("'%s': got %lld, want %lld (off by %lld ms)", text,
			 (long long)got, (long long)want,
			 (long long)(got - want));
}

static void bad(const char *text, const char *message)
{
	int64_t got = 12345;

	assert_int_equal(tsm_when_parse(&got, text, NOW), TSM_EINVALID);
	assert_int_equal(got, 12345); /* untouched */
	assert_int_equal(tsm_error_last()->code, TSM_EINVALID);
	assert_string_equal(tsm_error_last()->message, message);
}

#define EXPECTED                                                               \
	"expected a date (2026-12-01), a date and time (2026-12-01 14:30), "   \
	"a time (14:30), today, tomorrow, a weekday (mon) or +N with m, h, "   \
	"d or w (+2d)"

static void test_dates(void **state)
{
	(void)state;
	eq("2026-12-01", NOW, sh(2026, 12, 1, 9, 0)); /* default 09:00 */
	eq("2026/12/1", NOW, sh(2026, 12, 1, 9, 0));
	eq("2026-12-01 14:30", NOW, sh(2026, 12, 1, 14, 30));
	eq("2026-12-01T14:30", NOW, sh(2026, 12, 1, 14, 30));
	eq("2026-12-01t14:30", NOW, sh(2026, 12, 1, 14, 30));
	eq("  2026-12-01 \t 14:30  ", NOW, sh(2026, 12, 1, 14, 30));
	eq("2026-12-01 14:30:45", NOW, sh(2026, 12, 1, 14, 30) + 45000);
	eq("2026-12-01 9:05", NOW, sh(2026, 12, 1, 9, 5));
	eq("2026-12-01 00:00", NOW, sh(2026, 12, 1, 0, 0));
	eq("2028-02-29", NOW, sh(2028, 2, 29, 9, 0));
	eq("2026-01-01", NOW, sh(2026, 1, 1, 9, 0)); /* past is allowed */
	eq("1970-01-01 08:00", NOW, 0);
	eq("9999-12-31 23:59", NOW, sh(9999, 12, 31, 23, 59));
}

static void test_offsets(void **state)
{
	int64_t want = sh(2026, 12, 1, 14, 30);

	(void)state;
	eq("2026-12-01T14:30:00+08:00", NOW, want);
	eq("2026-12-01T06:30:00Z", NOW, want);
	eq("2026-12-01T06:30Z", NOW, want);
	eq("2026-12-01T01:30:00-05:00", NOW, want);
	eq("2026-12-01T14:30+0800", NOW, want);
	eq("2026-12-01T14:30+08", NOW, want);
	eq("2026-12-01 14:30+08:00", NOW, want);
	eq("2026-12-01T12:00+05:30", NOW, sh(2026, 12, 1, 14, 30));
	eq("2026-12-01T14:30:00.5+08:00", NOW, want + 500);
	eq("2026-12-01T14:30:00.123456+08:00", NOW, want + 123);
	eq("2026-12-01T14:30:00.250", NOW, want + 250);
}

static void test_days(void **state)
{
	int64_t eve = sh(2026, 12, 31, 20, 0); /* a Thursday */

	(void)state;
	eq("today", NOW, sh(2026, 11, 27, 9, 0));
	eq("TODAY", NOW, sh(2026, 11, 27, 9, 0));
	eq("today 16:00", NOW, sh(2026, 11, 27, 16, 0));
	eq("today 08:00", NOW, sh(2026, 11, 27, 8, 0)); /* past, as asked */
	eq("tomorrow", NOW, sh(2026, 11, 28, 9, 0));
	eq("tomorrow 10:00", NOW, sh(2026, 11, 28, 10, 0));
	eq("Tomorrow   10:00", NOW, sh(2026, 11, 28, 10, 0));
	eq("tomorrow", eve, sh(2027, 1, 1, 9, 0));
	eq("tomorrow", sh(2028, 2, 28, 12, 0), sh(2028, 2, 29, 9, 0));
	eq("now", NOW, NOW);
	eq(" NOW ", NOW, NOW);
}

static void test_weekdays(void **state)
{
	(void)state;
	/* NOW is a Friday: "fri" is next week's */
	eq("fri", NOW, sh(2026, 12, 4, 9, 0));
	eq("friday", NOW, sh(2026, 12, 4, 9, 0));
	eq("sat", NOW, sh(2026, 11, 28, 9, 0));
	eq("sat 14:00", NOW, sh(2026, 11, 28, 14, 0));
	eq("sun", NOW, sh(2026, 11, 29, 9, 0));
	eq("mon", NOW, sh(2026, 11, 30, 9, 0));
	eq("Monday", NOW, sh(2026, 11, 30, 9, 0));
	eq("tue", NOW, sh(2026, 12, 1, 9, 0));
	eq("wed 9:05", NOW, sh(2026, 12, 2, 9, 5));
	eq("thursday", NOW, sh(2026, 12, 3, 9, 0));
	/* across the year: Thursday 2026-12-31 */
	eq("mon", sh(2026, 12, 31, 20, 0), sh(2027, 1, 4, 9, 0));
}

static void test_time_alone(void **state)
{
	(void)state;
	/* NOW is 15:20:30.250: earlier times mean tomorrow */
	eq("16:00", NOW, sh(2026, 11, 27, 16, 0));
	eq("23:59", NOW, sh(2026, 11, 27, 23, 59));
	eq("15:21", NOW, sh(2026, 11, 27, 15, 21));
	eq("15:20:31", NOW, sh(2026, 11, 27, 15, 20) + 31000);
	eq("15:20:30", NOW, sh(2026, 11, 28, 15, 20) + 30000);
	eq("15:20", NOW, sh(2026, 11, 28, 15, 20));
	/* exactly now is not ahead */
	eq("15:20", sh(2026, 11, 27, 15, 20), sh(2026, 11, 28, 15, 20));
	eq("15:21", sh(2026, 11, 27, 15, 20), sh(2026, 11, 27, 15, 21));
	eq("10:00", NOW, sh(2026, 11, 28, 10, 0));
	eq("9:05", NOW, sh(2026, 11, 28, 9, 5));
	eq("00:00", NOW, sh(2026, 11, 28, 0, 0));
	eq("10:00", sh(2026, 12, 31, 20, 0), sh(2027, 1, 1, 10, 0));
}

static void test_relative(void **state)
{
	(void)state;
	eq("+30m", NOW, NOW + 30 * MIN);
	eq("+90m", NOW, NOW + 90 * MIN);
	eq("+3h", NOW, NOW + 3 * HOUR);
	eq("+2d", NOW, sh(2026, 11, 29, 15, 20) + 30250);
	eq("+1w", NOW, sh(2026, 12, 4, 15, 20) + 30250);
	eq("+1D", NOW, sh(2026, 11, 28, 15, 20) + 30250);
	eq("+0m", NOW, NOW);
	eq("+1d", sh(2026, 12, 31, 20, 0), sh(2027, 1, 1, 20, 0));
	eq("+3660d", NOW, sh(2026, 11, 27 + 3660, 15, 20) + 30250);
	eq("+5256000m", NOW, NOW + 5256000 * MIN);
}

static void test_rejects_garbage(void **state)
{
	static const char *const garbage[] = {
		"xyz", "", "   ", "+2", "+d", "+2y", "2d", "+2dd", "+-2d",
		"-2d", "tomorrow 10", "next week", "2026-12", "2026-12-1-1",
		"2026-12-01 14:30 extra", "today+1", "yesterday", "14h30",
		"1430", "2026-12-01T", "2026-12-01 T14:30", "mon tue",
		"2026-12-01T14:30 15:00", "20261-12-01", "2026-123-01",
		"2026-12-011", "14:305", "123:00", "14:3", "2026.12.01",
		"14:30:00.", "2026-12-01T14:30+8", "2026-12-01T14:30+08:0",
		"2026-12-01T14:30z1", "+123456789m", "today tomorrow",
		"\xE6\x98\x8E\xE5\xA4\xA9", /* 明天 */
	};
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
		snprintf(msg, sizeof(msg), "invalid time '%s': " EXPECTED,
			 garbage[i]);
		bad(garbage[i], msg);
	}
	bad(NULL, "invalid time '': " EXPECTED);
	/* long text is cut to 64 columns, controls are dropped */
	bad("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxx",
	    "invalid time "
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\xE2\x80\xA6': " EXPECTED);
	bad("\x1B[2J10:00", "invalid time '[2J10:00': " EXPECTED);
}

static void test_rejects_out_of_range(void **state)
{
	(void)state;
	bad("2026-02-30", "invalid time '2026-02-30': no such date 2026-02-30");
	bad("2026-02-29", "invalid time '2026-02-29': no such date 2026-02-29");
	bad("2100-02-29", "invalid time '2100-02-29': no such date 2100-02-29");
	bad("2026-04-31 10:00",
	    "invalid time '2026-04-31 10:00': no such date 2026-04-31");
	bad("2026-12-00", "invalid time '2026-12-00': no such date 2026-12-00");
	bad("2026-12-32", "invalid time '2026-12-32': no such date 2026-12-32");
	bad("2026-13-01", "invalid time '2026-13-01': month must be 01-12");
	bad("2026-00-10", "invalid time '2026-00-10': month must be 01-12");
	bad("1899-12-31", "invalid time '1899-12-31': year must be 1900-9999");
	eq("1969-12-31 23:00", NOW, sh(1969, 12, 31, 23, 0));
	bad("25:00", "invalid time '25:00': hour must be 00-23");
	bad("24:00", "invalid time '24:00': hour must be 00-23");
	bad("tomorrow 25:00", "invalid time 'tomorrow 25:00': hour must be "
			      "00-23");
	bad("2026-12-01 14:60",
	    "invalid time '2026-12-01 14:60': minute must be 00-59");
	bad("10:30:60", "invalid time '10:30:60': second must be 00-59");
	bad("10:00+08:00", "invalid time '10:00+08:00': a utc offset needs a "
			   "date");
	bad("tomorrow 10:00z",
	    "invalid time 'tomorrow 10:00z': a utc offset needs a date");
	bad("2026-12-01T10:00+15:00",
	    "invalid time '2026-12-01T10:00+15:00': utc offset must be within "
	    "-14:00..+14:00");
	bad("2026-12-01T10:00+08:61",
	    "invalid time '2026-12-01T10:00+08:61': utc offset must be within "
	    "-14:00..+14:00");
	bad("+3661d",
	    "invalid time '+3661d': too far ahead (at most about ten years)");
	bad("+523w",
	    "invalid time '+523w': too far ahead (at most about ten years)");
	bad("+87601h",
	    "invalid time '+87601h': too far ahead (at most about ten years)");
}

static int new_york(void **state)
{
	(void)state;
	/* POSIX rules (no tzdata needed): DST from the second Sunday of
	 * March to the first Sunday of November */
	use_tz("EST5EDT,M3.2.0,M11.1.0");
	return 0;
}

static void test_dst(void **state)
{
	/* Saturday 2026-03-07 10:00 EST; clocks go forward on the 8th */
	int64_t now = utc(2026, 3, 7, 15, 0);
	char out[TSM_WHEN_FORMAT_MAX];

	(void)state;
	/* a calendar day keeps the wall clock: 23 hours this time */
	eq("+1d", now, utc(2026, 3, 8, 14, 0));
	eq("+24h", now, now + 24 * HOUR);
	eq("tomorrow 10:00", now, utc(2026, 3, 8, 14, 0));
	eq("2026-03-08", now, utc(2026, 3, 8, 13, 0)); /* 09:00 EDT */
	eq("2026-03-07", now, utc(2026, 3, 7, 14, 0)); /* 09:00 EST */
	assert_int_equal(tsm_when_format_iso(out, sizeof(out), now), 0);
	assert_string_equal(out, "2026-03-07T10:00:00-05:00");
	assert_int_equal(tsm_when_format_iso(out, sizeof(out),
					     utc(2026, 3, 8, 14, 0)),
			 0);
	assert_string_equal(out, "2026-03-08T10:00:00-04:00");
	assert_int_equal(tsm_when_format(out, sizeof(out),
					 utc(2026, 3, 8, 14, 0)),
			 0);
	assert_string_equal(out, "2026-03-08 10:00");
}

static void test_format(void **state)
{
	char out[TSM_WHEN_FORMAT_MAX];
	int64_t t = sh(2026, 12, 1, 14, 30), back = 0;

	(void)state;
	assert_int_equal(tsm_when_format(out, sizeof(out), t), 0);
	assert_string_equal(out, "2026-12-01 14:30");
	assert_int_equal(tsm_when_format(out, sizeof(out), t + 59999), 0);
	assert_string_equal(out, "2026-12-01 14:30"); /* no rounding */
	assert_int_equal(tsm_when_format_iso(out, sizeof(out), t), 0);
	assert_string_equal(out, "2026-12-01T14:30:00+08:00");
	assert_int_equal(tsm_when_format_iso(out, sizeof(out), t + 45999), 0);
	assert_string_equal(out, "2026-12-01T14:30:45+08:00");
	assert_int_equal(tsm_when_format(out, sizeof(out), 0), 0);
	assert_string_equal(out, "1970-01-01 08:00");
	/* before the epoch rounds down, not toward zero */
	assert_int_equal(tsm_when_format_iso(out, sizeof(out), -1), 0);
	assert_string_equal(out, "1970-01-01T07:59:59+08:00");

	/* what format_iso writes, parse reads back (to the second) */
	assert_int_equal(tsm_when_format_iso(out, sizeof(out), NOW), 0);
	assert_string_equal(out, "2026-11-27T15:20:30+08:00");
	assert_int_equal(tsm_when_parse(&back, out, 0), 0);
	assert_int_equal(back, NOW - 250);

	/* "2026-12-01 14:30" is 16 characters: 17 bytes with the NUL */
	assert_int_equal(tsm_when_format(out, 17, t), 0);
	assert_int_equal(tsm_when_format(out, 16, t), TSM_EINVALID);
	assert_string_equal(out, "");
	assert_int_equal(tsm_when_format_iso(out, 26, t), 0);
	assert_int_equal(tsm_when_format_iso(out, 25, t), TSM_EINVALID);
	assert_string_equal(out, "");
	assert_int_equal(tsm_when_format(NULL, 0, t), TSM_EINVALID);
}

static void parse_hours(tsm_hours *h, const char *policy)
{
	if (tsm_hours_parse(h, policy) != 0)
		fail_msg("'%s': %s", policy, tsm_error_last()->message);
}

static void test_hours_parse(void **state)
{
	tsm_hours h;
	int d;

	(void)state;
	parse_hours(&h, TSM_HOURS_DEFAULT);
	assert_int_equal(h.count[0], 0);
	assert_int_equal(h.count[6], 0);
	for (d = 1; d <= 5; d++) {
		assert_int_equal(h.count[d], 2);
		assert_int_equal(h.span[d][0].start, 9 * 60);
		assert_int_equal(h.span[d][0].end, 12 * 60);
		assert_int_equal(h.span[d][1].start, 13 * 60 + 30);
		assert_int_equal(h.span[d][1].end, 18 * 60);
	}

	parse_hours(&h, "Mon-Fri 09:00-12:00, 13:30-18:00; sat 10:00-12:00;");
	assert_int_equal(h.count[1], 2);
	assert_int_equal(h.count[6], 1);
	assert_int_equal(h.span[6][0].start, 600);
	assert_int_equal(h.span[6][0].end, 720);
	assert_int_equal(h.count[0], 0);

	parse_hours(&h, "fri-mon 10:00-11:00"); /* wraps over the weekend */
	assert_int_equal(h.count[5], 1);
	assert_int_equal(h.count[6], 1);
	assert_int_equal(h.count[0], 1);
	assert_int_equal(h.count[1], 1);
	assert_int_equal(h.count[2], 0);
	assert_int_equal(h.count[3], 0);
	assert_int_equal(h.count[4], 0);

	parse_hours(&h, "monday-friday 09:00-18:00");
	assert_int_equal(h.count[5], 1);
	assert_int_equal(h.count[6], 0);

	parse_hours(&h, "mon,wed , fri 9:00-10:00");
	assert_int_equal(h.count[1], 1);
	assert_int_equal(h.count[2], 0);
	assert_int_equal(h.count[3], 1);
	assert_int_equal(h.count[4], 0);
	assert_int_equal(h.count[5], 1);

	parse_hours(&h, "daily 00:00-24:00");
	for (d = 0; d < 7; d++) {
		assert_int_equal(h.count[d], 1);
		assert_int_equal(h.span[d][0].start, 0);
		assert_int_equal(h.span[d][0].end, 1440);
	}

	/* overlapping and touching spans merge */
	parse_hours(&h, "mon 09:00-12:00,11:00-13:00,13:00-14:00");
	assert_int_equal(h.count[1], 1);
	assert_int_equal(h.span[1][0].start, 540);
	assert_int_equal(h.span[1][0].end, 840);
	/* rules add up, kept sorted */
	parse_hours(&h, "mon 13:00-14:00; mon 09:00-10:00; mon 11:00-12:00");
	assert_int_equal(h.count[1], 3);
	assert_int_equal(h.span[1][0].start, 540);
	assert_int_equal(h.span[1][1].start, 660);
	assert_int_equal(h.span[1][2].start, 780);
	assert_int_equal(h.span[1][2].end, 840);
}

static void bad_hours(const char *policy, const char *message)
{
	tsm_hours h;
	int64_t t = 0;
	int d;

	memset(&h, 0xff, sizeof(h));
	assert_int_equal(tsm_hours_parse(&h, policy), TSM_EINVALID);
	assert_string_equal(tsm_error_last()->message, message);
	for (d = 0; d < 7; d++)
		assert_int_equal(h.count[d], 0);
	assert_int_equal(tsm_hours_next(&t, &h, NOW), TSM_ENOTFOUND);
	assert_string_equal(tsm_error_last()->message,
			    "calling hours never open");
}

static void test_hours_rejects(void **state)
{
	(void)state;
	bad_hours("", "invalid calling hours '': expected e.g. "
		      "'mon-fri 09:00-12:00,13:30-18:00'");
	bad_hours(NULL, "invalid calling hours '': expected e.g. "
			"'mon-fri 09:00-12:00,13:30-18:00'");
	bad_hours(" ; ", "invalid calling hours ' ; ': expected a day such as "
			 "mon or mon-fri");
	bad_hours("mon-fri", "invalid calling hours 'mon-fri': expected a "
			     "time span such as 09:00-12:00");
	bad_hours("xyz 09:00-10:00",
		  "invalid calling hours 'xyz 09:00-10:00': unknown day");
	bad_hours("09:00-12:00", "invalid calling hours '09:00-12:00': "
				 "expected a day such as mon or mon-fri");
	bad_hours("mon 12:00-09:00",
		  "invalid calling hours 'mon 12:00-09:00': span 12:00-09:00 "
		  "does not end after it starts");
	bad_hours("mon 09:00-09:00",
		  "invalid calling hours 'mon 09:00-09:00': span 09:00-09:00 "
		  "does not end after it starts");
	bad_hours("mon 24:00-24:00",
		  "invalid calling hours 'mon 24:00-24:00': span 24:00-24:00 "
		  "does not end after it starts");
	bad_hours("mon 09:00-25:00",
		  "invalid calling hours 'mon 09:00-25:00': expected a time "
		  "span such as 09:00-12:00");
	bad_hours("mon 09:00-12:60",
		  "invalid calling hours 'mon 09:00-12:60': expected a time "
		  "span such as 09:00-12:00");
	bad_hours("mon 09:00", "invalid calling hours 'mon 09:00': expected a "
			       "time span such as 09:00-12:00");
	bad_hours("mon 09:00-12:00 tue 13:00-14:00",
		  "invalid calling hours 'mon 09:00-12:00 tue 13:00-14:00': "
		  "expected ';' or the end after a rule");
	bad_hours("mon-daily 09:00-10:00",
		  "invalid calling hours 'mon-daily 09:00-10:00': expected a "
		  "day after '-'");
	bad_hours("mon 01:00-01:30,02:00-02:30,03:00-03:30,04:00-04:30,"
		  "05:00-05:30,06:00-06:30,07:00-07:30,08:00-08:30,"
		  "09:00-09:30",
		  "invalid calling hours 'mon 01:00-01:30,02:00-02:30,"
		  "03:00-03:30,04:00-04:30,05:00-05:30\xE2\x80\xA6': more than "
		  "8 spans on monday");
}

static void test_hours_contains(void **state)
{
	tsm_hours h;

	(void)state;
	parse_hours(&h, TSM_HOURS_DEFAULT);
	assert_true(tsm_hours_contains(&h, NOW)); /* Fri 15:20 */
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 27, 9, 0)));
	assert_false(tsm_hours_contains(&h, sh(2026, 11, 27, 9, 0) - 1));
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 27, 12, 0) - 1));
	assert_false(tsm_hours_contains(&h, sh(2026, 11, 27, 12, 0)));
	assert_false(tsm_hours_contains(&h, sh(2026, 11, 27, 13, 30) - 1));
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 27, 13, 30)));
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 27, 18, 0) - 1));
	assert_false(tsm_hours_contains(&h, sh(2026, 11, 27, 18, 0)));
	assert_false(tsm_hours_contains(&h, sh(2026, 11, 28, 10, 0))); /* sat */
	assert_false(tsm_hours_contains(&h, sh(2026, 11, 29, 10, 0))); /* sun */
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 30, 9, 0)));   /* mon */

	parse_hours(&h, "daily 00:00-24:00");
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 29, 0, 0)));
	assert_true(tsm_hours_contains(&h, sh(2026, 11, 29, 0, 0) - 1));
}

static void next(const tsm_hours *h, int64_t ms, int64_t want)
{
	int64_t got = -1;

	assert_int_equal(tsm_hours_next(&got, h, ms), 0);
	assert_int_equal(got, want);
}

static void test_hours_next(void **state)
{
	tsm_hours h;

	(void)state;
	parse_hours(&h, TSM_HOURS_DEFAULT);
	next(&h, NOW, NOW); /* open: now */
	next(&h, sh(2026, 11, 27, 10, 0) + 123, sh(2026, 11, 27, 10, 0) + 123);
	next(&h, sh(2026, 11, 27, 8, 0), sh(2026, 11, 27, 9, 0));
	next(&h, sh(2026, 11, 27, 12, 30), sh(2026, 11, 27, 13, 30));
	next(&h, sh(2026, 11, 27, 12, 0) + 1, sh(2026, 11, 27, 13, 30));
	next(&h, sh(2026, 11, 27, 18, 0), sh(2026, 11, 30, 9, 0)); /* mon */
	next(&h, sh(2026, 11, 28, 10, 0), sh(2026, 11, 30, 9, 0));
	next(&h, sh(2026, 11, 29, 23, 59), sh(2026, 11, 30, 9, 0));
	next(&h, sh(2026, 12, 31, 20, 0), sh(2027, 1, 1, 9, 0));

	parse_hours(&h, "sat 10:00-12:00");
	next(&h, sh(2026, 11, 27, 18, 0), sh(2026, 11, 28, 10, 0));
	/* just after it closed: a week later */
	next(&h, sh(2026, 11, 28, 12, 0), sh(2026, 12, 5, 10, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dates, shanghai),
		cmocka_unit_test_setup(test_offsets, shanghai),
		cmocka_unit_test_setup(test_days, shanghai),
		cmocka_unit_test_setup(test_weekdays, shanghai),
		cmocka_unit_test_setup(test_time_alone, shanghai),
		cmocka_unit_test_setup(test_relative, shanghai),
		cmocka_unit_test_setup(test_rejects_garbage, shanghai),
		cmocka_unit_test_setup(test_rejects_out_of_range, shanghai),
		cmocka_unit_test_setup(test_dst, new_york),
		cmocka_unit_test_setup(test_format, shanghai),
		cmocka_unit_test_setup(test_hours_parse, shanghai),
		cmocka_unit_test_setup(test_hours_rejects, shanghai),
		cmocka_unit_test_setup(test_hours_contains, shanghai),
		cmocka_unit_test_setup(test_hours_next, shanghai),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
