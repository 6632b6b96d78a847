/* core/report.c — daily, weekly and monthly reports computed from the
 * materialized calls, orders, follow-ups and do-not-call ops: per member and
 * scope totals, the per-day trend, the ranking and month-to-date completion
 * against targets. The definitions are in tsm/report.h. */
#include "tsm/report.h"

#include "error.h"
#include "store_internal.h"
#include "tsm/customer.h"
#include "tsm/followup.h"
#include "tsm/policy.h"
#include "tsm/when.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[] = {"daily", "weekly", "monthly"};

const char *tsm_report_kind_name(int kind)
{
	return kind >= 0 && kind <= TSM_REPORT_MONTHLY ? kind_names[kind]
						       : NULL;
}

int tsm_report_kind_lookup(const char *name)
{
	int i;

	for (i = 0; name && i <= TSM_REPORT_MONTHLY; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

int tsm_report_rate(int64_t *out, int64_t num, int64_t den)
{
	*out = 0;
	if (den <= 0 || num < 0)
		return 0;
	/* Half up: (2 * num * 10000 + den) / (2 * den). Amounts in fen
	 * may be large: halve both until the products fit (the error is
	 * far below a basis point). */
	while (num > INT64_MAX / 40000 || den > INT64_MAX / 4) {
		num /= 2;
		den /= 2;
	}
	if (den == 0)
		return 0;
	*out = (num * 20000 + den) / (2 * den);
	return 1;
}

/* ---- local days ---- */

/* ms of local midnight starting day mday of month mon0 (0-based) of year
 * (out-of-range values normalize: day 0 is the last of the month before);
 * tm_out (may be NULL) gets the normalized date. */
static int midnight(int64_t *out, struct tm *tm_out, int year, int mon0,
		    int mday)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon0;
	tm.tm_mday = mday;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return tsm_error_set(TSM_EINVALID, "date out of range");
	*out = (int64_t)t * 1000;
	if (tm_out)
		*tm_out = tm;
	return 0;
}

static int local_tm(struct tm *out, int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);

	if (localtime_r(&t, out) == NULL)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	return 0;
}

static void date_text(char out[11], const struct tm *tm)
{
	snprintf(
	    out, 11, "%04u-%02u-%02u", (unsigned)(tm->tm_year + 1900) % 10000u,
	    (unsigned)(tm->tm_mon + 1) % 100u, (unsigned)tm->tm_mday % 100u);
}

static int is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int tsm_report_parse_date(int64_t *out, const char *text, int64_t now)
{
	struct tm tm;
	int64_t ms = 0;
	int y, m, d, err;
	size_t len = text ? strlen(text) : 0;

	if (len == 7 && is_digits(text, 4) && text[4] == '-' &&
	    is_digits(text + 5, 2)) {
		y = num(text, 4);
		m = num(text + 5, 2);
		if (y < 1970 || m < 1 || m > 12)
			return tsm_error_set(TSM_EINVALID,
					     "invalid date '%s': no such "
					     "month",
					     text);
		if ((err = midnight(&ms, NULL, y, m - 1, 1)) < 0)
			return err;
		*out = ms;
		return 0;
	}
	if (len == 10 && is_digits(text, 4) && text[4] == '-' &&
	    is_digits(text + 5, 2) && text[7] == '-' &&
	    is_digits(text + 8, 2)) {
		y = num(text, 4);
		m = num(text + 5, 2);
		d = num(text + 8, 2);
		if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31 ||
		    midnight(&ms, &tm, y, m - 1, d) < 0 || tm.tm_mday != d)
			return tsm_error_set(TSM_EINVALID,
					     "invalid date '%s': no such day",
					     text);
		*out = ms;
		return 0;
	}
	if (text && strcmp(text, "yesterday") == 0) {
		if ((err = local_tm(&tm, now)) < 0 ||
		    (err = midnight(&ms, NULL, tm.tm_year + 1900, tm.tm_mon,
				    tm.tm_mday - 1)) < 0)
			return err;
		*out = ms;
		return 0;
	}
	if (text && strcmp(text, "today") == 0) {
		*out = now;
		return 0;
	}
	return tsm_when_parse(out, text ? text : "", now);
}

/* ---- building ---- */

typedef struct builder {
	tsm_store *store;
	sqlite3 *db;
	tsm_report *r;
	size_t cap;
	int64_t qfrom;	  /* calls and orders are read from here */
	int64_t mtd_from; /* month to date: [mtd_from, mtd_to) */
	int64_t mtd_to;
	int64_t team_mtd[TSM_TARGET_NFIELDS]; /* the scope's */
	const char *only; /* the one member of a member report */
} builder;

static int prep(sqlite3_stmt **st, builder *b, const char *sql)
{
	int rc = sqlite3_prepare_v2(b->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return tsm_error_sqlite(b->db, rc, "prepare report query");
	}
	return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* The row of member, added (with no name yet) when absent. NULL when out
 * of memory (the error is set). */
static tsm_report_row *row_of(builder *b, const char *member)
{
	tsm_report *r = b->r;
	tsm_report_row *tmp;
	size_t i;

	for (i = r->nrows; i-- > 0;)
		if (strcmp(r->rows[i].member, member) == 0)
			return &r->rows[i];
	if (r->nrows == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		tmp = realloc(r->rows, b->cap * sizeof(*r->rows));
		if (tmp == NULL) {
			tsm_error_set(TSM_ENOMEM, "out of memory");
			return NULL;
		}
		r->rows = tmp;
	}
	tmp = &r->rows[r->nrows++];
	memset(tmp, 0, sizeof(*tmp));
	snprintf(tmp->member, sizeof(tmp->member), "%s", member);
	return tmp;
}

/* The trend day holding ms, or NULL. */
static tsm_report_day *day_of(tsm_report *r, int64_t ms)
{
	size_t lo = 0, hi = r->ndays, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ms < r->days[mid].from)
			hi = mid;
		else if (ms >= r->days[mid].to)
			lo = mid + 1;
		else
			return &r->days[mid];
	}
	return NULL;
}

static int in_period(const tsm_report *r, int64_t ms)
{
	return ms >= r->from && ms < r->to;
}

static int in_mtd(const builder *b, int64_t ms)
{
	return ms >= b->mtd_from && ms < b->mtd_to;
}

static const char SQL_CALLS[] =
    "SELECT at, connected, "
    "(effective OR (connected AND duration_s >= ?4)), interested, "
    "duration_s FROM calls WHERE author = ?1 AND at >= ?2 AND at < ?3";

static const char SQL_ORDERS[] =
    "SELECT created_at, amount_fen FROM orders WHERE created_by = ?1 "
    "AND created_at >= ?2 AND created_at < ?3 "
    "AND coalesce(status, '') <> 'cancelled'";

/* Calls and orders of one member: the row (period), the trend and the
 * month to date. The row is created only when there is activity in the
 * period or keep is set. */
static int member_activity(builder *b, const char *member, int keep)
{
	tsm_report *r = b->r;
	tsm_report_metrics m;
	int64_t mtd[TSM_TARGET_NFIELDS] = {0};
	sqlite3_stmt *st = NULL;
	tsm_report_day *d;
	tsm_report_row *row;
	int64_t at, fen, dur;
	int rc, err, conn, eff, intr, i;

	memset(&m, 0, sizeof(m));
	if ((err = prep(&st, b, SQL_CALLS)) < 0)
		return err;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b->qfrom);
	sqlite3_bind_int64(st, 3, r->to);
	sqlite3_bind_int64(st, 4, r->effective_s);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		at = sqlite3_column_int64(st, 0);
		conn = sqlite3_column_int(st, 1) != 0;
		eff = conn && sqlite3_column_int(st, 2) != 0;
		intr = sqlite3_column_int(st, 3) != 0;
		dur = sqlite3_column_int64(st, 4);
		if (in_period(r, at)) {
			m.dials++;
			m.connected += conn;
			m.effective += eff;
			m.interested += intr;
			if (conn && dur > 0)
				m.talk_s += dur;
		}
		if ((d = day_of(r, at)) != NULL) {
			d->dials++;
			d->connected += conn;
			d->effective += eff;
			d->interested += intr;
		}
		if (in_mtd(b, at)) {
			mtd[TSM_TARGET_DIALS]++;
			mtd[TSM_TARGET_EFFECTIVE] += eff;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(b->db, rc, "read calls");
	if ((err = prep(&st, b, SQL_ORDERS)) < 0)
		return err;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b->qfrom);
	sqlite3_bind_int64(st, 3, r->to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		at = sqlite3_column_int64(st, 0);
		fen = sqlite3_column_int64(st, 1);
		if (in_period(r, at)) {
			m.orders++;
			m.revenue_fen += fen;
		}
		if ((d = day_of(r, at)) != NULL) {
			d->orders++;
			d->revenue_fen += fen;
		}
		if (in_mtd(b, at)) {
			mtd[TSM_TARGET_ORDERS]++;
			mtd[TSM_TARGET_REVENUE] += fen;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(b->db, rc, "read orders");
	for (i = 0; i < TSM_TARGET_NFIELDS; i++)
		b->team_mtd[i] += mtd[i];
	if (!keep && m.dials == 0 && m.orders == 0)
		return 0;
	if ((row = row_of(b, member)) == NULL)
		return tsm_error_last()->code;
	row->m.dials = m.dials;
	row->m.connected = m.connected;
	row->m.effective = m.effective;
	row->m.interested = m.interested;
	row->m.talk_s = m.talk_s;
	row->m.orders = m.orders;
	row->m.revenue_fen = m.revenue_fen;
	for (i = 0; i < TSM_TARGET_NFIELDS; i++)
		row->target.done[i] = mtd[i];
	return 0;
}

static const char SQL_MEMBERS[] =
    "SELECT id, active, role FROM members ORDER BY id";

/* Every member's calls and orders (team), or the one member's. */
static int activity(builder *b)
{
	sqlite3_stmt *st = NULL;
	const char *id, *role;
	char **ids = NULL, **tmp;
	int *keep = NULL, *ktmp;
	size_t n = 0, cap = 0, i;
	int rc, err = 0;

	if (b->only)
		return member_activity(b, b->only, 1);
	if ((err = prep(&st, b, SQL_MEMBERS)) < 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		role = (const char *)sqlite3_column_text(st, 2);
		if (id == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(ids, cap * sizeof(*ids));
			if (tmp)
				ids = tmp;
			ktmp = realloc(keep, cap * sizeof(*keep));
			if (ktmp)
				keep = ktmp;
			if (tmp == NULL || ktmp == NULL)
				goto nomem;
		}
		if ((ids[n] = strdup(id)) == NULL)
			goto nomem;
		keep[n++] =
		    sqlite3_column_int(st, 1) != 0 && role &&
		    (strcmp(role, "agent") == 0 || strcmp(role, "lead") == 0);
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(b->db, rc, "read members");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; i < n && err == 0; i++)
		err = member_activity(b, ids[i], keep[i]);
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(keep);
	return err;
}

static const char SQL_FOLLOWUPS[] =
    "SELECT coalesce(c.owner, c.created_by), f.kind, f.due, f.done, "
    "f.done_at FROM followups f JOIN customers c ON c.id = f.customer "
    "WHERE f.due >= ?1 AND f.due < ?2 AND c.deleted = 0 "
    "AND c.merged_into IS NULL "
    "AND (?3 IS NULL OR coalesce(c.owner, c.created_by) = ?3)";

static void count_timeliness(tsm_report_timeliness *t, int64_t due, int done,
			     int64_t done_at, int64_t cutoff)
{
	t->due++;
	if (done && done_at <= due)
		t->on_time++;
	else if (done)
		t->late++;
	else if (due < cutoff)
		t->overdue++;
	else
		t->pending++;
}

static int followups(builder *b)
{
	tsm_report *r = b->r;
	sqlite3_stmt *st = NULL;
	tsm_report_row *row;
	const char *owner, *kind;
	int64_t due, done_at;
	int rc, err, done, revisit;

	if ((err = prep(&st, b, SQL_FOLLOWUPS)) < 0)
		return err;
	sqlite3_bind_int64(st, 1, r->from);
	sqlite3_bind_int64(st, 2, r->to);
	bind_opt(st, 3, b->only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		owner = (const char *)sqlite3_column_text(st, 0);
		kind = (const char *)sqlite3_column_text(st, 1);
		if (owner == NULL)
			continue;
		due = sqlite3_column_int64(st, 2);
		done = sqlite3_column_int(st, 3) != 0;
		done_at = sqlite3_column_int64(st, 4);
		revisit = kind && strcmp(kind, "revisit") == 0;
		if ((row = row_of(b, owner)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		count_timeliness(&row->m.followups, due, done, done_at,
				 r->cutoff);
		if (revisit)
			count_timeliness(&row->m.revisits, due, done, done_at,
					 r->cutoff);
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(b->db, rc, "read follow-ups");
done:
	sqlite3_finalize(st);
	return err;
}

static const char SQL_DNC[] =
    "SELECT author, eid FROM ops WHERE etype = 'dnc' AND action = 'set' "
    "AND field = 'dnc' AND value = 'true' AND status <> 'rejected' "
    "AND hlc >= ?1 AND hlc < ?2 ORDER BY hlc, site, seq";

/* Numbers listed in the period: each once, credited to its first adder. */
static int dnc_added(builder *b)
{
	tsm_report *r = b->r;
	sqlite3_stmt *st = NULL;
	tsm_report_row *row;
	char **seen = NULL, **tmp;
	size_t n = 0, cap = 0, i;
	const char *author, *phone;
	int rc, err = 0;

	if ((err = prep(&st, b, SQL_DNC)) < 0)
		return err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)((uint64_t)r->from << 16));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)((uint64_t)r->to << 16));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		author = (const char *)sqlite3_column_text(st, 0);
		phone = (const char *)sqlite3_column_text(st, 1);
		if (author == NULL || phone == NULL)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(seen[i], phone) == 0)
				break;
		if (i < n)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(seen, cap * sizeof(*seen));
			if (tmp == NULL)
				goto nomem;
			seen = tmp;
		}
		if ((seen[n] = strdup(phone)) == NULL)
			goto nomem;
		n++;
		if (b->only && strcmp(author, b->only) != 0)
			continue;
		if ((row = row_of(b, author)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		row->m.dnc_added++;
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(b->db, rc, "read do-not-call ops");
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
	return err;
}

static const char SQL_WHO[] = "SELECT name, role FROM members WHERE id = ?1";

/* Names and roles of the rows, and their targets. */
static int describe_rows(builder *b)
{
	tsm_report *r = b->r;
	sqlite3_stmt *st = NULL;
	tsm_target t;
	const char *s;
	size_t i;
	int rc, err = 0, f;

	if ((err = prep(&st, b, SQL_WHO)) < 0)
		return err;
	for (i = 0; i < r->nrows && err == 0; i++) {
		tsm_report_row *row = &r->rows[i];

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, row->member, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			s = (const char *)sqlite3_column_text(st, 0);
			if (s && (row->name = strdup(s)) == NULL)
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
			s = (const char *)sqlite3_column_text(st, 1);
			snprintf(row->role, sizeof(row->role), "%s",
				 s ? s : "");
		} else if (rc != SQLITE_DONE) {
			err = tsm_error_sqlite(b->db, rc, "read members");
		}
		if (err == 0 && (err = tsm_target_get(&t, b->store, row->member,
						      r->month)) == 0)
			for (f = 0; f < TSM_TARGET_NFIELDS; f++)
				row->target.target[f] = t.v[f];
	}
	sqlite3_finalize(st);
	return err;
}

static void add_timeliness(tsm_report_timeliness *a,
			   const tsm_report_timeliness *b)
{
	a->due += b->due;
	a->on_time += b->on_time;
	a->late += b->late;
	a->overdue += b->overdue;
	a->pending += b->pending;
}

static void add_metrics(tsm_report_metrics *a, const tsm_report_metrics *b)
{
	a->dials += b->dials;
	a->connected += b->connected;
	a->effective += b->effective;
	a->interested += b->interested;
	a->orders += b->orders;
	a->revenue_fen += b->revenue_fen;
	a->talk_s += b->talk_s;
	add_timeliness(&a->followups, &b->followups);
	add_timeliness(&a->revisits, &b->revisits);
	a->dnc_added += b->dnc_added;
}

/* Revenue, orders, effective descending, then member id. */
static int better(const tsm_report_row *x, const tsm_report_row *y)
{
	if (x->m.revenue_fen != y->m.revenue_fen)
		return x->m.revenue_fen > y->m.revenue_fen ? -1 : 1;
	if (x->m.orders != y->m.orders)
		return x->m.orders > y->m.orders ? -1 : 1;
	if (x->m.effective != y->m.effective)
		return x->m.effective > y->m.effective ? -1 : 1;
	return 0;
}

static int rank_cmp(const void *a, const void *b)
{
	const tsm_report_row *x = a, *y = b;
	int c = better(x, y);

	return c ? c : strcmp(x->member, y->member);
}

static void rank_rows(tsm_report *r)
{
	size_t i;

	if (r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof(*r->rows), rank_cmp);
	for (i = 0; i < r->nrows; i++)
		r->rows[i].rank =
		    i > 0 && better(&r->rows[i - 1], &r->rows[i]) == 0
			? r->rows[i - 1].rank
			: (int)i + 1;
}

/* The scope's target: the team's (or the member's), else the sum of the
 * rows' targets. */
static int scope_target(builder *b)
{
	tsm_report *r = b->r;
	tsm_target t;
	size_t i;
	int err, f, any = 0;

	for (f = 0; f < TSM_TARGET_NFIELDS; f++)
		r->total.target.done[f] = b->team_mtd[f];
	if (!r->team) {
		for (f = 0; f < TSM_TARGET_NFIELDS; f++)
			r->total.target.target[f] =
			    r->nrows ? r->rows[0].target.target[f] : 0;
		return 0;
	}
	if ((err = tsm_target_get(&t, b->store, NULL, r->month)) < 0)
		return err;
	for (f = 0; f < TSM_TARGET_NFIELDS; f++) {
		r->total.target.target[f] = t.v[f];
		any |= t.v[f] != 0;
	}
	if (any)
		return 0;
	for (i = 0; i < r->nrows; i++)
		for (f = 0; f < TSM_TARGET_NFIELDS; f++) {
			r->total.target.target[f] +=
			    r->rows[i].target.target[f];
			any |= r->rows[i].target.target[f] != 0;
		}
	r->total.target.derived = any;
	return 0;
}

/* The period, the trend's days and the month of the targets. */
static int periods(builder *b, int64_t date)
{
	tsm_report *r = b->r;
	struct tm d, tm;
	int64_t month_end = 0, ms = 0;
	int y, mon, first, ndays, series_first, k, err;

	if ((err = local_tm(&d, date)) < 0)
		return err;
	y = d.tm_year + 1900;
	mon = d.tm_mon;
	switch (r->kind) {
	case TSM_REPORT_DAILY:
		first = d.tm_mday;
		ndays = 1;
		series_first = first - 6;
		break;
	case TSM_REPORT_WEEKLY:
		first = d.tm_mday - (d.tm_wday + 6) % 7;
		ndays = 7;
		series_first = first;
		break;
	default:
		first = 1;
		if ((err = midnight(&ms, NULL, y, mon + 1, 0)) < 0 ||
		    (err = local_tm(&tm, ms)) < 0)
			return err;
		ndays = tm.tm_mday;
		series_first = 1;
		break;
	}
	if ((err = midnight(&r->from, &tm, y, mon, first)) < 0)
		return err;
	date_text(r->first, &tm);
	if ((err = midnight(&r->to, NULL, y, mon, first + ndays)) < 0 ||
	    (err = midnight(&ms, &tm, y, mon, first + ndays - 1)) < 0)
		return err;
	date_text(r->last, &tm);
	r->ndays = (size_t)(first + ndays - series_first);
	r->days = calloc(r->ndays, sizeof(*r->days));
	if (r->days == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (k = 0; k < (int)r->ndays; k++) {
		if ((err = midnight(&r->days[k].from, &tm, y, mon,
				    series_first + k)) < 0 ||
		    (err = midnight(&r->days[k].to, NULL, y, mon,
				    series_first + k + 1)) < 0)
			return err;
		date_text(r->days[k].date, &tm);
	}
	/* Labels. */
	if (r->kind == TSM_REPORT_DAILY) {
		snprintf(r->label, sizeof(r->label), "%s", r->first);
	} else if (r->kind == TSM_REPORT_WEEKLY) {
		if ((err = local_tm(&tm, r->from)) < 0)
			return err;
		if (strftime(r->label, sizeof(r->label), "%G-W%V", &tm) == 0)
			r->label[0] = '\0';
	} else {
		snprintf(r->label, sizeof(r->label), "%.7s", r->first);
	}
	/* The month of D, to date at the period's end. */
	snprintf(r->month, sizeof(r->month), "%04u-%02u", (unsigned)y % 10000u,
		 (unsigned)(mon + 1) % 100u);
	if ((err = midnight(&b->mtd_from, NULL, y, mon, 1)) < 0 ||
	    (err = midnight(&month_end, NULL, y, mon + 1, 1)) < 0 ||
	    (err = midnight(&ms, NULL, y, mon + 1, 0)) < 0 ||
	    (err = local_tm(&tm, ms)) < 0)
		return err;
	r->month_days = tm.tm_mday;
	b->mtd_to = r->to < month_end ? r->to : month_end;
	if ((err = local_tm(&tm, b->mtd_to - 1)) < 0)
		return err;
	r->month_elapsed = tm.tm_mday;
	b->qfrom = r->days[0].from;
	if (b->mtd_from < b->qfrom)
		b->qfrom = b->mtd_from;
	return 0;
}

static const char SQL_TEAM[] = "SELECT name FROM team ORDER BY id LIMIT 1";

static int team_name(builder *b)
{
	sqlite3_stmt *st = NULL;
	const char *s;
	int rc, err = 0;

	if ((err = prep(&st, b, SQL_TEAM)) < 0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (s && (b->r->team_name = strdup(s)) == NULL)
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(b->db, rc, "read team");
	}
	sqlite3_finalize(st);
	return err;
}

static int member_on_roster(builder *b, const char *member)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prep(&st, b, SQL_WHO)) < 0)
		return err;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(b->db, rc, "read members");
	return tsm_error_set(TSM_ENOTFOUND, "no member '%s' on the roster",
			     member);
}

void tsm_report_free(tsm_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrows; i++)
		free(r->rows[i].name);
	free(r->rows);
	free(r->days);
	free(r->total.name);
	free(r->team_name);
	free(r);
}

int tsm_report_get(tsm_report **out, tsm_store *store,
		   const tsm_report_opts *opts)
{
	tsm_report *r = NULL;
	tsm_viewer me;
	tsm_policy pol;
	builder b;
	size_t i;
	int err;

	*out = NULL;
	if (opts == NULL || opts->version != TSM_REPORT_OPTS_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "report options version unknown");
	if (tsm_report_kind_name(opts->kind) == NULL)
		return tsm_error_set(TSM_EINVALID, "unknown kind of report");
	if (opts->member && opts->team)
		return tsm_error_set(TSM_EINVALID,
				     "choose one member or the team");
	if (opts->member && !tsm_member_id_valid(opts->member))
		return tsm_error_set(TSM_EINVALID, "invalid member id '%s'",
				     opts->member);
	if ((err = tsm_viewer_get(&me, store)) < 0)
		return err;
	if (!me.all && (opts->team ||
			(opts->member && strcmp(opts->member, me.member) != 0)))
		return tsm_error_set(TSM_EPERM,
				     "an agent sees only their own numbers");
	if ((err = tsm_policy_get(&pol, store)) < 0)
		return err;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	memset(&b, 0, sizeof(b));
	b.store = store;
	b.db = tsm_store_db(store);
	b.r = r;
	r->kind = opts->kind;
	r->now = opts->now > 0 ? opts->now : tsm_followup_now();
	r->effective_s = pol.effective_s;
	snprintf(r->viewer, sizeof(r->viewer), "%s", me.member);
	snprintf(r->viewer_role, sizeof(r->viewer_role), "%s", me.role);
	if (me.all && opts->member == NULL) {
		r->team = 1;
	} else {
		snprintf(r->member, sizeof(r->member), "%s",
			 opts->member ? opts->member : me.member);
		b.only = r->member;
		if ((err = member_on_roster(&b, r->member)) < 0)
			goto done;
	}
	if ((err = periods(&b, opts->date > 0 ? opts->date : r->now)) < 0)
		goto done;
	r->cutoff = r->to < r->now ? r->to : r->now;
	if ((err = team_name(&b)) < 0 || (err = activity(&b)) < 0 ||
	    (err = followups(&b)) < 0 || (err = dnc_added(&b)) < 0 ||
	    (err = describe_rows(&b)) < 0)
		goto done;
	rank_rows(r);
	for (i = 0; i < r->nrows; i++)
		add_metrics(&r->total.m, &r->rows[i].m);
	err = scope_target(&b);
done:
	if (err < 0) {
		tsm_report_free(r);
		return err;
	}
	*out = r;
	return 0;
}
