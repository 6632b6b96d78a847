/* core/when.c — WHEN parsing ("tomorrow 10:00", "+2d", "2026-12-01T14:30"),
 * local and ISO formatting, and calling-hours policies. Local time is the C
 * library's (TZ) through localtime_r/mktime; see tsm/when.h for the rules. */
#include "tsm/when.h"

#include "error.h"
#include "tsm/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TEXT_MAX 64     /* longer input is not a time */
#define YEAR_MIN 1900
#define YEAR_MAX 9999
#define OFFSET_MAX (14 * 60) /* minutes; real zones span -12:00..+14:00 */
#define QUOTE_WIDTH 64       /* columns of the input quoted in messages */

static const char expected[] =
	"expected a date (2026-12-01), a date and time (2026-12-01 14:30), "
	"a time (14:30), today, tomorrow, a weekday (mon) or +N with m, h, d "
	"or w (+2d)";

static const char *const weekdays[7] = {
	"sunday", "monday", "tuesday", "wednesday",
	"thursday", "friday", "saturday",
};

/* A time of day with optional seconds, milliseconds and UTC offset. */
struct clock {
	int hour, min, sec, ms;
	int has_offset;
	int offset; /* minutes east of UTC */
};

static int bad_time(const char *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records "<what> '<input>': <why>"; the input is quoted terminal-safe
 * (control characters dropped) and cut to QUOTE_WIDTH columns. */
static int vbad(const char *what, const char *input, const char *fmt,
		va_list ap)
{
	char quoted[TSM_TEXT_BUFSIZE(80, QUOTE_WIDTH)], why[256];

	if (tsm_text_truncate(quoted, sizeof(quoted), input, QUOTE_WIDTH) < 0)
		quoted[0] = '\0';
	vsnprintf(why, sizeof(why), fmt, ap);
	return tsm_error_set(TSM_EINVALID, "%s '%s': %s", what, quoted, why);
}

static int bad_time(const char *text, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vbad("invalid time", text, fmt, ap);
	va_end(ap);
	return err;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = floor_div(y, 400);
	yoe = y - era * 400;                              /* 0..399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* 0..146096 */
	return era * 146097 + doe - 719468;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

static int local_tm(struct tm *out, int64_t ms)
{
	time_t t = (time_t)floor_div(ms, 1000);

	if (localtime_r(&t, out) == NULL)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	return 0;
}

/* Local wall-clock time to seconds since the epoch; fields may be out of
 * range (mday 32) and are normalized as mktime does. */
static int from_local(int64_t *out, int y, int mon, int mday, int hour,
		      int min, int sec)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1) /* also 1969-12-31 23:59:59 UTC: never wanted */
		return tsm_error_set(TSM_EINVALID, "time out of range");
	*out = (int64_t)t;
	return 0;
}

/* Reads up to max digits at *p into *out; 0 if there are fewer than min
 * (nothing consumed), else 1. What follows is the caller's to check. */
static int digits(const char **p, int min, int max, int *out)
{
	const char *s = *p;
	int n = 0, v = 0;

	while (n < max && s[n] >= '0' && s[n] <= '9') {
		v = v * 10 + (s[n] - '0');
		n++;
	}
	if (n < min)
		return 0;
	*p = s + n;
	*out = v;
	return 1;
}

static int weekday_of(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strcmp(s, weekdays[i]) == 0 ||
		    (strlen(s) == 3 && strncmp(s, weekdays[i], 3) == 0))
			return i;
	return -1;
}

/* Parses "HH:MM[:SS[.fff]][offset]" filling all of s. Returns 1 when s is
 * such a time, 0 when it is not a time at all, or an error for a time out of
 * range or an offset where none is allowed. */
static int parse_clock(struct clock *out, const char *s, int allow_offset,
		       const char *text)
{
	const char *p = s;
	int oh = 0, om = 0, sign, frac = 0, scale = 100;

	memset(out, 0, sizeof(*out));
	if (!digits(&p, 1, 2, &out->hour) || *p != ':')
		return 0;
	p++;
	if (!digits(&p, 2, 2, &out->min))
		return 0;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, 2, &out->sec))
			return 0;
		if (*p == '.' || *p == ',') {
			p++;
			if (*p < '0' || *p > '9')
				return 0;
			while (*p >= '0' && *p <= '9') {
				frac += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
			out->ms = frac;
		}
	}
	if (*p == 'z' && p[1] == '\0') {
		out->has_offset = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (!digits(&p, 2, 2, &oh))
			return 0;
		if (*p == ':')
			p++;
		if (*p != '\0' && !digits(&p, 2, 2, &om))
			return 0;
		out->has_offset = 1;
		out->offset = sign * (oh * 60 + om);
		if (om > 59 || oh * 60 + om > OFFSET_MAX)
			return bad_time(text, "utc offset must be within "
					      "-14:00..+14:00");
	}
	if (*p != '\0')
		return 0;
	if (out->hour > 23)
		return bad_time(text, "hour must be 00-23");
	if (out->min > 59)
		return bad_time(text, "minute must be 00-59");
	if (out->sec > 59)
		return bad_time(text, "second must be 00-59");
	if (out->has_offset && !allow_offset)
		return bad_time(text, "a utc offset needs a date");
	return 1;
}

/* Parses "YYYY-MM-DD" (or with '/') at the start of s; *rest points after
 * it. Returns 1, 0 when s does not start like a date, or an error. */
static int parse_date(int *y, int *m, int *d, const char **rest,
		      const char *s, const char *text)
{
	const char *p = s;
	char sep;

	if (!digits(&p, 4, 4, y) || (*p != '-' && *p != '/'))
		return 0;
	sep = *p++;
	if (!digits(&p, 1, 2, m) || *p != sep)
		return 0;
	p++;
	if (!digits(&p, 1, 2, d))
		return 0;
	if (*p != '\0' && *p != 't')
		return 0;
	if (*y < YEAR_MIN || *y > YEAR_MAX)
		return bad_time(text, "year must be %d-%d", YEAR_MIN,
				YEAR_MAX);
	if (*m < 1 || *m > 12)
		return bad_time(text, "month must be 01-12");
	if (*d < 1 || *d > days_in_month(*y, *m))
		return bad_time(text, "no such date %04d-%02d-%02d", *y, *m,
				*d);
	*rest = p;
	return 1;
}

/* "+N" followed by m, h, d or w. */
static int parse_relative(int64_t *out, const char *s, int64_t now_ms,
			  const char *text)
{
	static const struct {
		char unit;
		long max; /* about ten years */
		int64_t ms;
	} units[] = {
		{'m', 5256000L, 60000}, {'h', 87600L, 3600000},
		{'d', 3660L, 0},        {'w', 522L, 0},
	};
	const char *p = s + 1;
	long n = 0;
	size_t i;
	struct tm tm;
	int64_t t = 0;
	int err, len = 0;

	while (*p >= '0' && *p <= '9' && len < 8) {
		n = n * 10 + (*p - '0');
		p++;
		len++;
	}
	if (len == 0 || p[0] == '\0' || p[1] != '\0')
		return bad_time(text, "%s", expected);
	for (i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (units[i].unit == *p)
			break;
	if (i == sizeof(units) / sizeof(*units))
		return bad_time(text, "%s", expected);
	if (n > units[i].max)
		return bad_time(text,
				"too far ahead (at most about ten years)");
	if (units[i].ms) {
		*out = now_ms + (int64_t)n * units[i].ms;
		return 0;
	}
	/* Days and weeks are calendar days: the same wall-clock time. */
	if ((err = local_tm(&tm, now_ms)) < 0)
		return err;
	if ((err = from_local(&t, tm.tm_year + 1900, tm.tm_mon + 1,
			      tm.tm_mday + (int)n * (*p == 'w' ? 7 : 1),
			      tm.tm_hour, tm.tm_min, tm.tm_sec)) < 0)
		return err;
	*out = t * 1000 + (now_ms - floor_div(now_ms, 1000) * 1000);
	return 0;
}

/* The local date `days` days after now's local date. */
static int day_after(int *y, int *m, int *d, int64_t now_ms, int days)
{
	struct tm tm;
	int64_t t = 0;
	int err;

	if ((err = local_tm(&tm, now_ms)) < 0)
		return err;
	/* Noon never falls in a DST gap, so the date comes back intact. */
	if ((err = from_local(&t, tm.tm_year + 1900, tm.tm_mon + 1,
			      tm.tm_mday + days, 12, 0, 0)) < 0)
		return err;
	if ((err = local_tm(&tm, t * 1000)) < 0)
		return err;
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	return 0;
}

static int compose(int64_t *out, int y, int m, int d, const struct clock *c)
{
	int64_t t = 0;
	int err;

	if (c->has_offset) {
		t = days_from_civil(y, m, d) * 86400 + c->hour * 3600 +
		    c->min * 60 + c->sec - (int64_t)c->offset * 60;
	} else if ((err = from_local(&t, y, m, d, c->hour, c->min, c->sec)) <
		   0) {
		return err;
	}
	*out = t * 1000 + c->ms;
	return 0;
}

/* Splits the lowercased text into at most two space-separated words. */
static int split(char *buf, char **w1, char **w2, const char *text)
{
	size_t len;
	char *p = buf, *q;

	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		p[--len] = '\0';
	if (len == 0)
		return bad_time(text, "%s", expected);
	*w1 = p;
	*w2 = NULL;
	q = strpbrk(p, " \t");
	if (q == NULL)
		return 0;
	*q++ = '\0';
	while (*q == ' ' || *q == '\t')
		q++;
	if (strpbrk(q, " \t"))
		return bad_time(text, "%s", expected);
	*w2 = q;
	return 0;
}

int tsm_when_parse(int64_t *out_ms, const char *text, int64_t now_ms)
{
	char buf[TEXT_MAX + 1];
	char *w1 = NULL, *w2 = NULL;
	const char *rest = NULL;
	struct clock c;
	int y = 0, m = 0, d = 0, wd, err, rc, days = -1;
	size_t i, len;
	struct tm now;
	int64_t t = 0;

	if (text == NULL)
		text = "";
	len = strlen(text);
	if (len > TEXT_MAX)
		return bad_time(text, "%s", expected);
	for (i = 0; i <= len; i++)
		buf[i] = (char)((text[i] >= 'A' && text[i] <= 'Z')
					? text[i] - 'A' + 'a'
					: text[i]);
	if ((err = split(buf, &w1, &w2, text)) < 0)
		return err;

	if (w2 == NULL && strcmp(w1, "now") == 0) {
		*out_ms = now_ms;
		return 0;
	}
	if (w2 == NULL && w1[0] == '+')
		return parse_relative(out_ms, w1, now_ms, text);

	/* A time alone: today if still ahead, else tomorrow. */
	if (w2 == NULL && strchr(w1, '-') == NULL && strchr(w1, '/') == NULL) {
		if ((rc = parse_clock(&c, w1, 0, text)) < 0)
			return rc;
		if (rc == 1) {
			if ((err = day_after(&y, &m, &d, now_ms, 0)) < 0)
				return err;
			if ((err = compose(&t, y, m, d, &c)) < 0)
				return err;
			if (t <= now_ms &&
			    ((err = day_after(&y, &m, &d, now_ms, 1)) < 0 ||
			     (err = compose(&t, y, m, d, &c)) < 0))
				return err;
			*out_ms = t;
			return 0;
		}
	}

	/* The day: a date, today, tomorrow or a weekday. */
	if (strcmp(w1, "today") == 0) {
		days = 0;
	} else if (strcmp(w1, "tomorrow") == 0) {
		days = 1;
	} else if ((wd = weekday_of(w1)) >= 0) {
		if ((err = local_tm(&now, now_ms)) < 0)
			return err;
		days = (wd - now.tm_wday + 7) % 7;
		if (days == 0)
			days = 7;
	} else if ((rc = parse_date(&y, &m, &d, &rest, w1, text)) < 0) {
		return rc;
	} else if (rc == 0) {
		return bad_time(text, "%s", expected);
	}
	if (days >= 0 && (err = day_after(&y, &m, &d, now_ms, days)) < 0)
		return err;

	/* The time: after 'T', as a second word, or the default hour. */
	if (rest && *rest == 't') {
		if (w2 != NULL)
			return bad_time(text, "%s", expected);
		w2 = w1 + (rest - w1) + 1;
	}
	if (w2 == NULL) {
		memset(&c, 0, sizeof(c));
		c.hour = TSM_WHEN_DEFAULT_HOUR;
	} else if ((rc = parse_clock(&c, w2, rest != NULL, text)) < 0) {
		return rc;
	} else if (rc == 0) {
		return bad_time(text, "%s", expected);
	}
	if ((err = compose(&t, y, m, d, &c)) < 0)
		return err;
	*out_ms = t;
	return 0;
}

int tsm_when_format(char *out, size_t outlen, int64_t ms)
{
	struct tm tm;
	int err, n;

	if (out == NULL || outlen == 0)
		return tsm_error_set(TSM_EINVALID, "no time output buffer");
	out[0] = '\0';
	if ((err = local_tm(&tm, ms)) < 0)
		return err;
	n = snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return tsm_error_set(TSM_EINVALID, "time buffer too small");
	}
	return 0;
}

int tsm_when_format_iso(char *out, size_t outlen, int64_t ms)
{
	struct tm tm;
	int64_t t = floor_div(ms, 1000), wall, off;
	int err, n;

	if (out == NULL || outlen == 0)
		return tsm_error_set(TSM_EINVALID, "no time output buffer");
	out[0] = '\0';
	if ((err = local_tm(&tm, ms)) < 0)
		return err;
	/* The offset is the local wall clock read as UTC, minus the instant. */
	wall = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) *
		       86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	off = (wall - t) / 60;
	n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		     (int)((off < 0 ? -off : off) / 60),
		     (int)((off < 0 ? -off : off) % 60));
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return tsm_error_set(TSM_EINVALID, "time buffer too small");
	}
	return 0;
}

/* ---- calling hours ---- */

static int bad_hours(const char *policy, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad_hours(const char *policy, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vbad("invalid calling hours", policy, fmt, ap);
	va_end(ap);
	return err;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Reads a day name at *p: 0..6, 7 for "daily", or -1. */
static int read_day(const char **p)
{
	char word[16];
	size_t n = 0;
	const char *s = *p;

	while (n < sizeof(word) - 1 &&
	       ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))) {
		word[n] = (char)(s[n] >= 'A' && s[n] <= 'Z' ? s[n] - 'A' + 'a'
							    : s[n]);
		n++;
	}
	word[n] = '\0';
	if (n == 0)
		return -1;
	*p = s + n;
	if (strcmp(word, "daily") == 0)
		return 7;
	return weekday_of(word);
}

/* Reads HH:MM (00:00..24:00) at *p as minutes, or -1. */
static int read_minutes(const char **p)
{
	const char *s = *p;
	int h, m;

	if (!digits(&s, 1, 2, &h) || *s != ':')
		return -1;
	s++;
	if (!digits(&s, 2, 2, &m) || m > 59 || h > 24 || (h == 24 && m > 0))
		return -1;
	*p = s;
	return h * 60 + m;
}

/* Adds [start, end) to one day, merging spans that overlap or touch. */
static int add_span(tsm_hours *h, int day, int start, int end,
		    const char *policy)
{
	int i, j, n = h->count[day];

	for (i = 0; i < n;) {
		if (h->span[day][i].start <= end &&
		    start <= h->span[day][i].end) {
			if (h->span[day][i].start < start)
				start = h->span[day][i].start;
			if (h->span[day][i].end > end)
				end = h->span[day][i].end;
			for (j = i; j + 1 < n; j++)
				h->span[day][j] = h->span[day][j + 1];
			n--;
		} else {
			i++;
		}
	}
	if (n == TSM_HOURS_SPANS)
		return bad_hours(policy, "more than %d spans on %s",
				 TSM_HOURS_SPANS, weekdays[day]);
	for (i = n; i > 0 && h->span[day][i - 1].start > start; i--)
		h->span[day][i] = h->span[day][i - 1];
	h->span[day][i].start = (unsigned short)start;
	h->span[day][i].end = (unsigned short)end;
	h->count[day] = (unsigned char)(n + 1);
	return 0;
}

static int parse_rule(tsm_hours *h, const char **pp, const char *policy)
{
	const char *p = *pp, *at;
	int days = 0, a, b, d, start, end, err;

	for (;;) { /* DAYS */
		skip_spaces(&p);
		at = p;
		if ((a = read_day(&p)) < 0)
			return bad_hours(policy, at == p ? "expected a day "
							   "such as mon or "
							   "mon-fri"
							 : "unknown day");
		b = a;
		if (*p == '-' && a < 7) {
			p++;
			if ((b = read_day(&p)) < 0 || b == 7)
				return bad_hours(policy, "expected a day "
							 "after '-'");
		}
		if (a == 7) {
			days = 0x7f;
		} else {
			for (d = a;; d = (d + 1) % 7) {
				days |= 1 << d;
				if (d == b)
					break;
			}
		}
		skip_spaces(&p);
		if (*p != ',')
			break;
		p++;
	}
	for (;;) { /* SPANS */
		skip_spaces(&p);
		if ((start = read_minutes(&p)) < 0 || *p != '-')
			return bad_hours(policy, "expected a time span such "
						 "as 09:00-12:00");
		p++;
		if ((end = read_minutes(&p)) < 0)
			return bad_hours(policy, "expected a time span such "
						 "as 09:00-12:00");
		if (start == 24 * 60 || end <= start)
			return bad_hours(policy, "span %02d:%02d-%02d:%02d "
						 "does not end after it starts",
					 start / 60, start % 60, end / 60,
					 end % 60);
		for (d = 0; d < 7; d++) {
			if (!(days & (1 << d)))
				continue;
			if ((err = add_span(h, d, start, end, policy)) < 0)
				return err;
		}
		skip_spaces(&p);
		if (*p != ',')
			break;
		p++;
	}
	*pp = p;
	return 0;
}

int tsm_hours_parse(tsm_hours *out, const char *policy)
{
	const char *p = policy ? policy : "";
	int err, rules = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		skip_spaces(&p);
		if (*p == '\0')
			break;
		if ((err = parse_rule(out, &p, policy ? policy : "")) < 0)
			goto done;
		rules++;
		skip_spaces(&p);
		if (*p == ';') {
			p++;
		} else if (*p != '\0') {
			err = bad_hours(policy, "expected ';' or the end "
						"after a rule");
			goto done;
		}
	}
	err = 0;
	if (rules == 0)
		err = bad_hours(policy ? policy : "",
				"expected e.g. '" TSM_HOURS_DEFAULT "'");
done:
	if (err < 0)
		memset(out, 0, sizeof(*out));
	return err;
}

int tsm_hours_contains(const tsm_hours *hours, int64_t ms)
{
	struct tm tm;
	int i, minute;

	if (local_tm(&tm, ms) < 0 || tm.tm_wday < 0 || tm.tm_wday > 6)
		return 0;
	minute = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < hours->count[tm.tm_wday] && i < TSM_HOURS_SPANS; i++)
		if (hours->span[tm.tm_wday][i].start <= minute &&
		    minute < hours->span[tm.tm_wday][i].end)
			return 1;
	return 0;
}

int tsm_hours_next(int64_t *out_ms, const tsm_hours *hours, int64_t ms)
{
	struct tm day;
	int64_t t = 0;
	int k, i, start, err, wday;

	if (tsm_hours_contains(hours, ms)) {
		*out_ms = ms;
		return 0;
	}
	if ((err = local_tm(&day, ms)) < 0)
		return err;
	/* Each weekday comes round once in today and the next seven days. */
	for (k = 0; k <= 7; k++) {
		wday = (day.tm_wday + k) % 7;
		for (i = 0; i < hours->count[wday] && i < TSM_HOURS_SPANS;
		     i++) {
			start = hours->span[wday][i].start;
			if ((err = from_local(&t, day.tm_year + 1900,
					      day.tm_mon + 1, day.tm_mday + k,
					      start / 60, start % 60, 0)) < 0)
				return err;
			if (t * 1000 > ms) {
				*out_ms = t * 1000;
				return 0;
			}
		}
	}
	return tsm_error_set(TSM_ENOTFOUND, "calling hours never open");
}
