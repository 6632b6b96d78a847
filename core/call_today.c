/* core/call_today.c — the agent's day (`tsm today`): calls, effective
 * conversations, orders and talk time from the calls and orders tables,
 * follow-ups due and overdue on the own list, and progress to targets. */
#include "tsm/call.h"

#include "calling.h"
#include "error.h"
#include "store_internal.h"
#include "tsm/identity.h"
#include "tsm/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int one_row(tsm_store *store, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	return tsm_error_sqlite(tsm_store_db(store),
				rc == SQLITE_DONE ? SQLITE_ERROR : rc, what);
}

int tsm_call_counts_get(tsm_call_counts *out, tsm_store *store,
			const char *member, int64_t from, int64_t to)
{
	sqlite3_stmt *st = NULL;
	tsm_identity me;
	tsm_policy pol;
	int err;

	memset(out, 0, sizeof(*out));
	if (member == NULL) {
		if ((err = tsm_identity_get(&me, store)) < 0)
			return err;
		member = me.member;
	}
	if ((err = tsm_policy_get(&pol, store)) < 0)
		return err;
	err = calling_prepare(
	    &st, store,
	    "SELECT count(*), coalesce(sum(connected), 0), "
	    "coalesce(sum(effective OR (connected AND duration_s >= ?4)), "
	    "0), coalesce(sum(interested), 0), coalesce(sum(sale), 0), "
	    "coalesce(sum(dnc_request), 0), coalesce(sum(revisit), 0), "
	    "coalesce(sum(duration_s), 0) FROM calls "
	    "WHERE author = ?1 AND at >= ?2 AND at < ?3");
	if (err < 0)
		return err;
	calling_bind(st, 1, member);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, pol.effective_s);
	if ((err = one_row(store, st, "count calls")) < 0)
		goto done;
	out->dials = sqlite3_column_int64(st, 0);
	out->connected = sqlite3_column_int64(st, 1);
	out->effective = sqlite3_column_int64(st, 2);
	out->interested = sqlite3_column_int64(st, 3);
	out->sales = sqlite3_column_int64(st, 4);
	out->dnc_requests = sqlite3_column_int64(st, 5);
	out->revisits = sqlite3_column_int64(st, 6);
	out->talk_s = sqlite3_column_int64(st, 7);
	sqlite3_finalize(st);
	err = calling_prepare(&st, store,
			      "SELECT count(*), coalesce(sum(amount_fen), 0) "
			      "FROM orders WHERE created_by = ?1 AND "
			      "created_at >= ?2 AND created_at < ?3 AND "
			      "coalesce(status, '') <> 'cancelled'");
	if (err < 0)
		return err;
	calling_bind(st, 1, member);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	if ((err = one_row(store, st, "count orders")) < 0)
		goto done;
	out->orders = sqlite3_column_int64(st, 0);
	out->revenue_fen = sqlite3_column_int64(st, 1);
done:
	sqlite3_finalize(st);
	return err;
}

/* Open follow-ups on the own list: overdue (< now) and due later today
 * (kinds callback and followup), revisits due by the end of the day, and
 * follow-ups done today by the member. */
static int count_fn(void *arg, const struct calling_fu *f)
{
	tsm_call_today *t = arg;

	if (strcmp(f->kind, "revisit") == 0)
		t->revisits_due++;
	else if (f->due < t->now)
		t->overdue++;
	else
		t->due_today++;
	return 0;
}

static int followup_counts(tsm_call_today *t, tsm_store *store)
{
	sqlite3_stmt *st = NULL;
	int64_t cadence, due;
	int rc, err;

	err = calling_own_followups(store, t->member, INT64_MIN, t->to, CF_ANY,
				    count_fn, t);
	if (err < 0)
		return err;
	err = calling_prepare(&st, store,
			      "SELECT count(*) FROM followups WHERE done = 1 "
			      "AND done_by = ?1 AND done_at >= ?2 AND "
			      "done_at < ?3");
	if (err < 0)
		return err;
	calling_bind(st, 1, t->member);
	sqlite3_bind_int64(st, 2, t->from);
	sqlite3_bind_int64(st, 3, t->to);
	if ((err = one_row(store, st, "count follow-ups")) < 0)
		goto done;
	t->done_today = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if ((err = calling_revisit_ms(&cadence, store)) < 0)
		return err;
	err = calling_prepare(
	    &st, store,
	    "SELECT " SQL_REVISIT_BASE(
		"c") " FROM customers c "
		     "WHERE " SQL_OWNER(
			 "c") " = ?1 AND "
			      "c.stage = "
			      "'won' "
			      "AND"
			      " " SQL_LIVE("c") " AND " SQL_NO_OPEN_REVISIT(
				  "c"));
	if (err < 0)
		return err;
	calling_bind(st, 1, t->member);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		due = sqlite3_column_int64(st, 0) + cadence;
		if (due < t->to)
			t->revisits_due++;
	}
	if (rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "count revisits");
done:
	sqlite3_finalize(st);
	return err;
}

static const char *const target_fields[TSM_TARGET_FIELDS] = {
    "dials",
    "effective",
    "orders",
    "revenue_fen",
};

/* The month of now: "YYYY-MM" and its local range. */
static int month_of(char month[8], int64_t *from, int64_t *to, int64_t now)
{
	struct tm tm;
	time_t t = (time_t)(now / 1000), a, b;

	if (localtime_r(&t, &tm) == NULL)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	snprintf(month, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	a = mktime(&tm);
	tm.tm_mon++;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	b = mktime(&tm);
	if (a == (time_t)-1 || b == (time_t)-1)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	*from = (int64_t)a * 1000;
	*to = (int64_t)b * 1000;
	return 0;
}

static int targets(tsm_call_today *t, tsm_store *store)
{
	char id[TSM_MEMBER_MAX + 16], *end;
	sqlite3_stmt *st = NULL;
	tsm_call_counts m;
	int64_t from = 0, to = 0, v;
	int rc, err, i;

	if ((err = month_of(t->month, &from, &to, t->now)) < 0)
		return err;
	for (i = 0; i < TSM_TARGET_FIELDS; i++)
		t->month_targets[i].field = target_fields[i];
	snprintf(id, sizeof(id), "%s:%s", t->member, t->month);
	err = calling_prepare(&st, store,
			      "SELECT field, value FROM targets WHERE id = ?1");
	if (err < 0)
		return err;
	calling_bind(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(st, 0);
		const char *val = (const char *)sqlite3_column_text(st, 1);

		if (f == NULL || val == NULL)
			continue;
		v = strtoll(val, &end, 10);
		if (*end != '\0' || end == val || v <= 0)
			continue;
		for (i = 0; i < TSM_TARGET_FIELDS; i++)
			if (strcmp(f, target_fields[i]) == 0) {
				t->month_targets[i].target = v;
				t->has_target = 1;
			}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"read targets");
	if (!t->has_target)
		return 0;
	if ((err = tsm_call_counts_get(&m, store, t->member, from, to)) < 0)
		return err;
	t->month_targets[0].done = m.dials;
	t->month_targets[1].done = m.effective;
	t->month_targets[2].done = m.orders;
	t->month_targets[3].done = m.revenue_fen;
	return 0;
}

int tsm_call_today_get(tsm_call_today *out, tsm_store *store, int64_t now)
{
	tsm_identity me;
	tsm_policy pol;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = tsm_identity_get(&me, store)) < 0)
		return err;
	if ((err = tsm_policy_get(&pol, store)) < 0)
		return err;
	snprintf(out->member, sizeof(out->member), "%s", me.member);
	out->now = now > 0 ? now : tsm_followup_now();
	if ((err = tsm_followup_day(&out->from, &out->to, out->now)) < 0)
		return err;
	out->effective_s = pol.effective_s;
	out->daily_dials = pol.target_dials;
	out->daily_effective = pol.target_effective;
	out->daily_orders = pol.target_orders;
	if ((err = tsm_call_counts_get(&out->day, store, out->member, out->from,
				       out->to)) < 0)
		return err;
	if ((err = followup_counts(out, store)) < 0)
		return err;
	return targets(out, store);
}
