/* tests/unit/test_report.c — reports against a hand-computed fixture: a
 * month of calls, orders, follow-ups, do-not-call additions and targets by
 * three agents (ann, bob, cat), applied as one JSON op set, then the daily,
 * weekly and monthly reports checked number by number (the arithmetic is in
 * the comments); an agent's own view; the rate helper; targets; the HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "store_internal.h"
#include "testutil.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/report.h"
#include "tsm/target.h"

/* 2026-11-01T00:00:00+08:00 (a Sunday); the tests run with TZ Shanghai. */
#define NOV1 1793462400000LL
#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* Local time on day d of November 2026 (d = 0: October 31). */
#define L(d, h, m) (NOV1 + ((int64_t)(d)-1) * DAY + (h)*HOUR + (m)*MIN)

#define J(...) #__VA_ARGS__

enum { MGR, LEE, ANN, BOB, CAT, NWHO };
static const char *const sites[NWHO] = {
    "aaaa000000000001", "bbbb000000000002", "cccc000000000003",
    "dddd000000000004", "eeee000000000005",
};
static const char *const members[NWHO] = {"mgr", "lee", "ann", "bob", "cat"};

/* ---- building the op set ---- */

typedef struct fx {
	char *buf;
	size_t len, cap;
	int seq[NWHO];
} fx;

static void fx_puts(fx *f, const char *s)
{
	size_t n = strlen(s);

	if (f->len + n + 1 > f->cap) {
		f->cap = (f->len + n + 1) * 2;
		f->buf = realloc(f->buf, f->cap);
		assert_non_null(f->buf);
	}
	memcpy(f->buf + f->len, s, n + 1);
	f->len += n;
}

/* Adds one op by who at ms; id (may be NULL, TSM_OPID_MAX bytes) gets its
 * id; sup is one op id or NULL. */
static void op(fx *f, char *id, int who, int64_t ms, const char *etype,
	       const char *eid, const char *action, const char *field,
	       const char *value, const char *sup)
{
	char one[2048];
	int seq = ++f->seq[who], n;

	n = snprintf(one, sizeof(one),
		     "%s{\"site\":\"%s\",\"seq\":%d,\"hlc\":\"%016llx\","
		     "\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
		     "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
		     "\"supersedes\":[%s%s%s]}",
		     f->len > 1 ? "," : "", sites[who], seq,
		     (unsigned long long)((uint64_t)ms << 16), members[who],
		     etype, eid, action, field ? field : "",
		     value ? value : "null", sup ? "\"" : "", sup ? sup : "",
		     sup ? "\"" : "");
	assert_true(n > 0 && (size_t)n < sizeof(one));
	fx_puts(f, one);
	if (id)
		snprintf(id, TSM_OPID_MAX, "%s:%d", sites[who], seq);
}

/* Customer creates remember their op id for the appends that follow. */
typedef struct cust {
	const char *id;
	int who;
	const char *phone;
	char create[TSM_OPID_MAX];
} cust;

static cust A1 = {"ca00000000001", ANN, "+8613800001001", ""};
static cust A2 = {"ca00000000002", ANN, "+8613800001002", ""};
static cust A3 = {"ca00000000003", ANN, "+8613800001003", ""};
static cust B1 = {"cb00000000001", BOB, "+8613800002001", ""};
static cust B2 = {"cb00000000002", BOB, "+8613800002002", ""};
static cust C1 = {"cc00000000001", CAT, "+8613800003001", ""};
static cust C2 = {"cc00000000002", CAT, "+8613800003002", ""};

static void customer(fx *f, cust *c)
{
	char v[256];

	snprintf(v, sizeof(v), "{\"name\":\"Customer %s\",\"phone\":\"%s\"}",
		 c->id, c->phone);
	op(f, c->create, c->who, L(0, 8, 0) + f->seq[c->who], "customer", c->id,
	   "create", NULL, v, NULL);
}

static void call(fx *f, cust *c, int64_t ms, const char *outcome, int dur)
{
	char v[256];

	snprintf(v, sizeof(v),
		 "{\"outcome\":\"%s\",\"duration_s\":%d,\"at\":%lld}", outcome,
		 dur, (long long)ms);
	op(f, NULL, c->who, ms, "customer", c->id, "append", "call", v,
	   c->create);
}

static void order(fx *f, const char *oid, cust *c, int64_t ms, int64_t fen)
{
	char v[256];

	snprintf(v, sizeof(v),
		 "{\"customer\":\"%s\",\"service\":\"retainer\","
		 "\"amount_fen\":%lld}",
		 c->id, (long long)fen);
	op(f, NULL, c->who, ms, "order", oid, "create", NULL, v, NULL);
}

/* A follow-up due at due; done at done_at when done_at > 0. */
static void followup(fx *f, const char *fid, cust *c, const char *kind,
		     int64_t due, int64_t done_at)
{
	char v[256], create[TSM_OPID_MAX];

	snprintf(v, sizeof(v),
		 "{\"customer\":\"%s\",\"due\":%lld,\"kind\":\"%s\"}", c->id,
		 (long long)due, kind);
	op(f, create, c->who, L(1, 7, 0) + f->seq[c->who], "followup", fid,
	   "create", NULL, v, NULL);
	if (done_at > 0) {
		snprintf(v, sizeof(v), "{\"at\":%lld}", (long long)done_at);
		op(f, NULL, c->who, done_at, "followup", fid, "done", NULL, v,
		   create);
	}
}

static char *fixture(void)
{
	fx f = {NULL, 0, 0, {0}};
	char sup[TSM_OPID_MAX];

	fx_puts(&f, "[");
	/* The roster: a manager (founder), a lead, three agents. */
	op(&f, sup, MGR, L(0, 0, 1), "team", "t1", "create", NULL,
	   J({"name" : "East <Sales> & Co", "founder" : "mgr"}), NULL);
	op(&f, NULL, MGR, L(0, 0, 2), "member", "mgr", "grant", NULL,
	   J({"role" : "manager", "name" : "Mei Manager"}), sup);
	op(&f, NULL, MGR, L(0, 0, 3), "member", "lee", "grant", NULL,
	   J({"role" : "lead", "name" : "Lee <Lead> & \"Co\""}), NULL);
	op(&f, NULL, MGR, L(0, 0, 4), "member", "ann", "grant", NULL,
	   J({"role" : "agent", "name" : "Ann Agent"}), NULL);
	op(&f, NULL, MGR, L(0, 0, 5), "member", "bob", "grant", NULL,
	   J({"role" : "agent", "name" : "Bob Agent"}), NULL);
	op(&f, NULL, MGR, L(0, 0, 6), "member", "cat", "grant", NULL,
	   J({"role" : "agent", "name" : "Cat Agent"}), NULL);
	/* An effective conversation: effective outcome, or connected and at
	 * least 90 s. */
	op(&f, NULL, MGR, L(0, 0, 7), "policy", "team", "set",
	   "effective_seconds", "90", NULL);
	/* Monthly targets for November: ann and bob; none for the team, so
	 * the team's is the sum (derived). */
	op(&f, NULL, MGR, L(0, 0, 8), "target", "ann:2026-11", "set", "dials",
	   "100", NULL);
	op(&f, NULL, MGR, L(0, 0, 9), "target", "ann:2026-11", "set",
	   "effective", "40", NULL);
	op(&f, NULL, MGR, L(0, 0, 10), "target", "ann:2026-11", "set", "orders",
	   "4", NULL);
	op(&f, NULL, MGR, L(0, 0, 11), "target", "ann:2026-11", "set",
	   "revenue_fen", "4000000", NULL);
	op(&f, NULL, MGR, L(0, 0, 12), "target", "bob:2026-11", "set", "dials",
	   "80", NULL);
	op(&f, NULL, MGR, L(0, 0, 13), "target", "bob:2026-11", "set", "orders",
	   "2", NULL);
	/* A target of another month must not count. */
	op(&f, NULL, MGR, L(0, 0, 14), "target", "cat:2026-10", "set", "dials",
	   "999", NULL);

	customer(&f, &A1);
	customer(&f, &A2);
	customer(&f, &A3);
	customer(&f, &B1);
	customer(&f, &B2);
	customer(&f, &C1);
	customer(&f, &C2);

	/* Before the month: not counted anywhere. */
	call(&f, &B1, L(0, 10, 0), "no-answer", 0);
	/* Nov 10 (in the month, before the week): ann's order call. */
	call(&f, &A1, L(10, 10, 0), "order", 400);
	order(&f, "o0000000000a1", &A1, L(10, 10, 5), 800000);
	/* Nov 23 (Monday). */
	call(&f, &A1, L(23, 10, 0), "interested", 120);
	call(&f, &C2, L(23, 11, 0), "order", 200);
	order(&f, "o0000000000c1", &C2, L(23, 11, 5), 500000);
	/* Nov 24: effective by talk time (95 s >= 90). */
	call(&f, &B1, L(24, 10, 0), "gatekeeper", 95);
	/* Nov 25 (Wednesday), the daily report's day. */
	call(&f, &A1, L(25, 9, 10), "no-answer", 0);
	call(&f, &A1, L(25, 9, 20), "busy", 0);
	call(&f, &A2, L(25, 9, 30), "gatekeeper", 100); /* eff by time */
	call(&f, &A2, L(25, 10, 0), "interested", 300);
	call(&f, &A3, L(25, 10, 30), "order", 600);
	order(&f, "o0000000000a2", &A3, L(25, 10, 35), 1200000);
	call(&f, &A1, L(25, 11, 0), "gatekeeper", 30); /* not eff */
	call(&f, &B1, L(25, 9, 5), "not-interested", 45);
	call(&f, &B2, L(25, 9, 15), "dnc-request", 20);
	op(&f, NULL, BOB, L(25, 9, 15) + 1, "customer", B2.id, "set", "dnc",
	   "true", B2.create);
	op(&f, NULL, BOB, L(25, 9, 15) + 2, "dnc", B2.phone, "set", "dnc",
	   "true", NULL);
	call(&f, &B1, L(25, 14, 0), "callback", 60);
	call(&f, &B1, L(25, 14, 30), "no-answer", 0);
	order(&f, "o0000000000b1", &B1, L(25, 15, 0), 300050);
	call(&f, &C1, L(25, 16, 0), "busy", 0);
	call(&f, &C1, L(25, 16, 10), "no-answer", 0);
	/* Nov 26: the same number listed by ann, then by cat: once, ann's. */
	op(&f, NULL, ANN, L(26, 10, 0), "dnc", "+8613800009999", "set", "dnc",
	   "true", NULL);
	op(&f, NULL, CAT, L(26, 11, 0), "dnc", "+8613800009999", "set", "dnc",
	   "true", NULL);
	/* Nov 27: a revisit call, connected but short (not effective). */
	call(&f, &C2, L(27, 16, 0), "revisit-done", 50);

	/* Follow-ups. */
	followup(&f, "f01", &A2, "callback", L(25, 14, 0), L(25, 13, 0));
	followup(&f, "f02", &A1, "followup", L(25, 11, 0), L(26, 10, 0));
	followup(&f, "f03", &B1, "callback", L(25, 16, 0), 0);
	followup(&f, "f04", &B1, "followup", L(28, 10, 0), 0);
	followup(&f, "f05", &C2, "revisit", L(27, 11, 0), L(27, 10, 0));
	followup(&f, "f06", &C1, "revisit", L(26, 9, 0), 0);
	followup(&f, "f07", &A3, "followup", L(12, 10, 0), L(12, 9, 0));
	followup(&f, "f08", &A1, "callback", L(30, 10, 0), 0);
	fx_puts(&f, "]");
	return f.buf;
}

static int store_no;

/* A store holding the fixture whose own identity is member. */
static tsm_store *store_as(const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_apply_stats st;
	char tag[32], *json;
	tsm_store *s;

	snprintf(tag, sizeof(tag), "report%d", store_no++);
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	sqlite3_exec(tsm_store_db(s), "PRAGMA synchronous=OFF", NULL, NULL,
		     NULL);
	assert_int_equal(tsm_identity_create(s, member, "Someone"), 0);
	json = fixture();
	if (tsm_ops_apply_json(&st, s, json, strlen(json)) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	assert_int_equal(st.rejected, 0);
	tsm_apply_stats_dispose(&st);
	free(json);
	return s;
}

static tsm_report *report(tsm_store *s, int kind, const char *member, int team)
{
	tsm_report_opts o = TSM_REPORT_OPTS_INIT;
	tsm_report *r = NULL;

	o.kind = kind;
	o.date = L(25, 12, 0);
	o.now = L(27, 18, 0); /* "now": Friday Nov 27, 18:00 */
	o.member = member;
	o.team = team;
	if (tsm_report_get(&r, s, &o) != 0)
		fail_msg("report: %s", tsm_error_last()->message);
	return r;
}

static const tsm_report_row *row(const tsm_report *r, const char *member)
{
	size_t i;

	for (i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].member, member) == 0)
			return &r->rows[i];
	fail_msg("no row for %s", member);
	return NULL;
}

static int64_t bp(int64_t num, int64_t den)
{
	int64_t v;

	assert_int_equal(tsm_report_rate(&v, num, den), 1);
	return v;
}

/* Checks the call and order counts of m. */
static void counts(const tsm_report_metrics *m, int64_t dials, int64_t conn,
		   int64_t eff, int64_t intr, int64_t orders, int64_t fen,
		   int64_t talk)
{
	assert_int_equal(m->dials, dials);
	assert_int_equal(m->connected, conn);
	assert_int_equal(m->effective, eff);
	assert_int_equal(m->interested, intr);
	assert_int_equal(m->orders, orders);
	assert_int_equal(m->revenue_fen, fen);
	assert_int_equal(m->talk_s, talk);
}

static void timely(const tsm_report_timeliness *t, int64_t due, int64_t on_time,
		   int64_t late, int64_t overdue, int64_t pending)
{
	assert_int_equal(t->due, due);
	assert_int_equal(t->on_time, on_time);
	assert_int_equal(t->late, late);
	assert_int_equal(t->overdue, overdue);
	assert_int_equal(t->pending, pending);
}

static void progress(const tsm_report_progress *p, int64_t t0, int64_t d0,
		     int64_t t1, int64_t d1, int64_t t2, int64_t d2, int64_t t3,
		     int64_t d3)
{
	assert_int_equal(p->target[TSM_TARGET_DIALS], t0);
	assert_int_equal(p->done[TSM_TARGET_DIALS], d0);
	assert_int_equal(p->target[TSM_TARGET_EFFECTIVE], t1);
	assert_int_equal(p->done[TSM_TARGET_EFFECTIVE], d1);
	assert_int_equal(p->target[TSM_TARGET_ORDERS], t2);
	assert_int_equal(p->done[TSM_TARGET_ORDERS], d2);
	assert_int_equal(p->target[TSM_TARGET_REVENUE], t3);
	assert_int_equal(p->done[TSM_TARGET_REVENUE], d3);
}

static void test_daily(void **state)
{
	tsm_store *s = store_as("mgr");
	tsm_report *r = report(s, TSM_REPORT_DAILY, NULL, 0);
	const tsm_report_row *ann, *bob, *cat, *lee;
	int64_t v;

	(void)state;
	assert_string_equal(r->label, "2026-11-25");
	assert_string_equal(r->first, "2026-11-25");
	assert_string_equal(r->last, "2026-11-25");
	assert_int_equal(r->from, L(25, 0, 0));
	assert_int_equal(r->to, L(26, 0, 0));
	assert_int_equal(r->cutoff, L(26, 0, 0)); /* the day ended before now */
	assert_int_equal(r->effective_s, 90);
	assert_true(r->team);
	assert_string_equal(r->team_name, "East <Sales> & Co");
	/* Rows: the three agents and the lead (an active lead, no activity);
	 * the manager has no activity and is not listed. */
	assert_int_equal(r->nrows, 4);
	ann = row(r, "ann");
	bob = row(r, "bob");
	cat = row(r, "cat");
	lee = row(r, "lee");
	assert_string_equal(ann->name, "Ann Agent");
	assert_string_equal(ann->role, "agent");
	assert_string_equal(lee->role, "lead");
	/* ann: no-answer, busy, gatekeeper 100 s (effective by time),
	 * interested 300 s, order 600 s, gatekeeper 30 s: dials 6; connected
	 * 4 (the gatekeepers, interested, order); effective 3 (gatekeeper
	 * 100 >= 90, interested, order; not the 30 s one); interested 2;
	 * one order of 12,000.00 = 1,200,000 fen; talk 100+300+600+30 =
	 * 1030 s. */
	counts(&ann->m, 6, 4, 3, 2, 1, 1200000, 1030);
	/* bob: not-interested 45 s, dnc-request 20 s, callback 60 s,
	 * no-answer: dials 4, connected 3, effective 2 (not-interested and
	 * callback are effective outcomes; dnc-request is not), interested
	 * 0; an order without a call of 3,000.50 = 300,050 fen; talk 45 +
	 * 20 + 60 = 125 s. */
	counts(&bob->m, 4, 3, 2, 0, 1, 300050, 125);
	/* cat: busy, no-answer: dials 2, nothing else. */
	counts(&cat->m, 2, 0, 0, 0, 0, 0, 0);
	counts(&lee->m, 0, 0, 0, 0, 0, 0, 0);
	/* Team: 6+4+2 = 12 dials, 4+3 = 7 connected, 3+2 = 5 effective,
	 * 2 interested, 2 orders, 1,200,000 + 300,050 = 1,500,050 fen, talk
	 * 1030 + 125 = 1155 s. */
	counts(&r->total.m, 12, 7, 5, 2, 2, 1500050, 1155);
	/* Rates in basis points, half up: connect 7/12 = .58333 -> 5833;
	 * effective 5/7 = .714285 -> 7143; conversion 2/5 = .4 -> 4000. */
	assert_int_equal(bp(7, 12), 5833);
	assert_int_equal(bp(5, 7), 7143);
	assert_int_equal(bp(2, 5), 4000);
	/* ann 4/6 -> 6667, 3/4 -> 7500, 1/3 -> 3333; cat: 0/2 -> 0 and the
	 * effective rate 0/0 and conversion 0/0 are undefined. */
	assert_int_equal(bp(4, 6), 6667);
	assert_int_equal(bp(1, 3), 3333);
	assert_int_equal(bp(cat->m.connected, cat->m.dials), 0);
	assert_int_equal(
	    tsm_report_rate(&v, cat->m.effective, cat->m.connected), 0);
	assert_int_equal(tsm_report_rate(&v, cat->m.orders, cat->m.effective),
			 0);
	/* Follow-ups due on the 25th: f01 (ann, done 13:00 <= 14:00: on
	 * time), f02 (ann, done the 26th after 11:00: late), f03 (bob, open,
	 * due 16:00 before the cutoff, the day's end: overdue). */
	timely(&ann->m.followups, 2, 1, 1, 0, 0);
	timely(&bob->m.followups, 1, 0, 0, 1, 0);
	timely(&cat->m.followups, 0, 0, 0, 0, 0);
	timely(&r->total.m.followups, 3, 1, 1, 1, 0);
	timely(&r->total.m.revisits, 0, 0, 0, 0, 0);
	/* DNC: bob's dnc-request listed B2's number. */
	assert_int_equal(bob->m.dnc_added, 1);
	assert_int_equal(r->total.m.dnc_added, 1);
	/* Ranking: ann 1,200,000 fen; bob 300,050; cat and lee tie at
	 * nothing and share rank 3 (cat first by id). */
	assert_string_equal(r->rows[0].member, "ann");
	assert_int_equal(r->rows[0].rank, 1);
	assert_string_equal(r->rows[1].member, "bob");
	assert_int_equal(r->rows[1].rank, 2);
	assert_string_equal(r->rows[2].member, "cat");
	assert_int_equal(r->rows[2].rank, 3);
	assert_string_equal(r->rows[3].member, "lee");
	assert_int_equal(r->rows[3].rank, 3);
	/* Trend: the seven days ending the 25th: 19..22 empty, the 23rd ann
	 * interested + cat order (2 dials, 2 effective, 1 order 500,000), the
	 * 24th bob's 95 s gatekeeper (1 effective), the 25th as above. */
	assert_int_equal(r->ndays, 7);
	assert_string_equal(r->days[0].date, "2026-11-19");
	assert_int_equal(r->days[0].dials, 0);
	assert_string_equal(r->days[4].date, "2026-11-23");
	assert_int_equal(r->days[4].dials, 2);
	assert_int_equal(r->days[4].effective, 2);
	assert_int_equal(r->days[4].orders, 1);
	assert_int_equal(r->days[4].revenue_fen, 500000);
	assert_int_equal(r->days[5].dials, 1);
	assert_int_equal(r->days[5].effective, 1);
	assert_string_equal(r->days[6].date, "2026-11-25");
	assert_int_equal(r->days[6].dials, 12);
	assert_int_equal(r->days[6].connected, 7);
	assert_int_equal(r->days[6].effective, 5);
	assert_int_equal(r->days[6].orders, 2);
	assert_int_equal(r->days[6].revenue_fen, 1500050);
	/* Targets, November to the end of the 25th (day 25 of 30).
	 * ann: dials 1 (10th) + 1 (23rd) + 6 (25th) = 8 of 100; effective
	 * 1 + 1 + 3 = 5 of 40; orders 2 of 4; revenue 800,000 + 1,200,000 =
	 * 2,000,000 of 4,000,000. */
	assert_string_equal(r->month, "2026-11");
	assert_int_equal(r->month_days, 30);
	assert_int_equal(r->month_elapsed, 25);
	progress(&ann->target, 100, 8, 40, 5, 4, 2, 4000000, 2000000);
	assert_int_equal(bp(8, 100), 800);
	assert_int_equal(bp(5, 40), 1250);
	/* bob: dials 1 (24th) + 4 = 5 of 80; effective 1 + 2 = 3 (no
	 * target); orders 1 of 2; revenue 300,050 (no target). The October
	 * no-answer is outside the month. */
	progress(&bob->target, 80, 5, 0, 3, 2, 1, 0, 300050);
	/* cat: no November target (October's does not count): 1 + 2 = 3
	 * dials, 1 effective, 1 order of 500,000. */
	progress(&cat->target, 0, 3, 0, 1, 0, 1, 0, 500000);
	/* Team, derived (no team target): targets 100+80 = 180 dials, 40
	 * effective, 4+2 = 6 orders, 4,000,000 fen; done 8+5+3 = 16 dials,
	 * 5+3+1 = 9 effective, 2+1+1 = 4 orders, 2,000,000 + 300,050 +
	 * 500,000 = 2,800,050 fen. Completion: 16/180 = .0889 -> 889 bp;
	 * 9/40 -> 2250; 4/6 -> 6667; 2,800,050/4,000,000 -> 7000. */
	assert_true(r->total.target.derived);
	progress(&r->total.target, 180, 16, 40, 9, 6, 4, 4000000, 2800050);
	assert_int_equal(bp(16, 180), 889);
	assert_int_equal(bp(2800050, 4000000), 7000);
	tsm_report_free(r);
	tsm_store_free(s);
}

static void test_weekly(void **state)
{
	tsm_store *s = store_as("lee");
	tsm_report *r = report(s, TSM_REPORT_WEEKLY, NULL, 1);
	const tsm_report_row *ann, *bob, *cat;

	(void)state;
	/* The week of Wednesday the 25th: Monday 23 to Sunday 29, ISO week
	 * 48; now (Friday 18:00) is before its end: the cutoff. */
	assert_string_equal(r->label, "2026-W48");
	assert_string_equal(r->first, "2026-11-23");
	assert_string_equal(r->last, "2026-11-29");
	assert_int_equal(r->from, L(23, 0, 0));
	assert_int_equal(r->to, L(30, 0, 0));
	assert_int_equal(r->cutoff, L(27, 18, 0));
	ann = row(r, "ann");
	bob = row(r, "bob");
	cat = row(r, "cat");
	/* ann: the 25th (6 dials, 4 connected, 3 effective, 2 interested,
	 * 1 order, 1030 s) plus the 23rd's interested 120 s call: 7, 5, 4,
	 * 3, 1 order, 1,200,000 fen, 1150 s. */
	counts(&ann->m, 7, 5, 4, 3, 1, 1200000, 1150);
	/* bob: the 25th (4, 3, 2, 0, 1 order 300,050, 125 s) plus the 24th's
	 * 95 s gatekeeper: 5, 4, 3, 0, 1, 300,050, 220 s. */
	counts(&bob->m, 5, 4, 3, 0, 1, 300050, 220);
	/* cat: the 23rd's order call 200 s with its 500,000 fen order, the
	 * 25th's two dials, the 27th's revisit 50 s (connected, not
	 * effective): 4, 2, 1, 1, 1, 500,000, 250 s. */
	counts(&cat->m, 4, 2, 1, 1, 1, 500000, 250);
	/* Team: 16 dials, 11 connected, 8 effective, 4 interested, 3
	 * orders, 2,000,050 fen, 1620 s. */
	counts(&r->total.m, 16, 11, 8, 4, 3, 2000050, 1620);
	/* Follow-ups due in the week: ann f01 on time, f02 late; bob f03
	 * overdue (25th 16:00 < now), f04 pending (due Saturday, after now);
	 * cat f05 revisit on time (done 10:00 <= 11:00), f06 revisit open
	 * since the 26th: overdue. */
	timely(&ann->m.followups, 2, 1, 1, 0, 0);
	timely(&bob->m.followups, 2, 0, 0, 1, 1);
	timely(&cat->m.followups, 2, 1, 0, 1, 0);
	timely(&cat->m.revisits, 2, 1, 0, 1, 0);
	timely(&r->total.m.followups, 6, 2, 1, 2, 1);
	timely(&r->total.m.revisits, 2, 1, 0, 1, 0);
	/* DNC: bob's (25th) and ann's number (26th; cat's re-listing of the
	 * same number is not a new addition). */
	assert_int_equal(ann->m.dnc_added, 1);
	assert_int_equal(bob->m.dnc_added, 1);
	assert_int_equal(cat->m.dnc_added, 0);
	assert_int_equal(r->total.m.dnc_added, 2);
	/* Ranking by revenue: ann, cat (500,000), bob (300,050), lee. */
	assert_string_equal(r->rows[0].member, "ann");
	assert_string_equal(r->rows[1].member, "cat");
	assert_int_equal(r->rows[1].rank, 2);
	assert_string_equal(r->rows[2].member, "bob");
	assert_int_equal(r->rows[2].rank, 3);
	assert_string_equal(r->rows[3].member, "lee");
	assert_int_equal(r->rows[3].rank, 4);
	/* Trend: the seven days Monday to Sunday. */
	assert_int_equal(r->ndays, 7);
	assert_string_equal(r->days[0].date, "2026-11-23");
	assert_string_equal(r->days[6].date, "2026-11-29");
	assert_int_equal(r->days[0].dials, 2);
	assert_int_equal(r->days[1].dials, 1);
	assert_int_equal(r->days[2].dials, 12);
	assert_int_equal(r->days[3].dials, 0);
	assert_int_equal(r->days[4].dials, 1);
	assert_int_equal(r->days[4].connected, 1);
	assert_int_equal(r->days[4].effective, 0);
	/* Targets month to date at the week's end (day 29 of 30): ann as on
	 * the 25th (nothing later); bob 5 dials; cat adds the 27th's call:
	 * 4 dials. Team: 17 dials, 9 effective, 4 orders, 2,800,050. */
	assert_int_equal(r->month_elapsed, 29);
	progress(&ann->target, 100, 8, 40, 5, 4, 2, 4000000, 2000000);
	progress(&cat->target, 0, 4, 0, 1, 0, 1, 0, 500000);
	progress(&r->total.target, 180, 17, 40, 9, 6, 4, 4000000, 2800050);
	tsm_report_free(r);
	tsm_store_free(s);
}

static void test_monthly(void **state)
{
	tsm_store *s = store_as("mgr");
	tsm_report *r = report(s, TSM_REPORT_MONTHLY, NULL, 0);
	const tsm_report_row *ann;
	size_t i;
	int64_t sum = 0;

	(void)state;
	assert_string_equal(r->label, "2026-11");
	assert_string_equal(r->first, "2026-11-01");
	assert_string_equal(r->last, "2026-11-30");
	assert_int_equal(r->cutoff, L(27, 18, 0));
	ann = row(r, "ann");
	/* ann: the week's 7 dials plus the 10th's order call 400 s: 8, 6, 5,
	 * 4, orders 2 (800,000 + 1,200,000 = 2,000,000), talk 1550 s. */
	counts(&ann->m, 8, 6, 5, 4, 2, 2000000, 1550);
	counts(&row(r, "bob")->m, 5, 4, 3, 0, 1, 300050, 220);
	counts(&row(r, "cat")->m, 4, 2, 1, 1, 1, 500000, 250);
	/* Team: 17, 12, 9, 5, 4 orders, 2,800,050 fen, 2020 s. */
	counts(&r->total.m, 17, 12, 9, 5, 4, 2800050, 2020);
	/* Follow-ups due in November: the week's six plus ann's f07 (12th,
	 * on time) and f08 (30th, open, after now: pending). */
	timely(&ann->m.followups, 4, 2, 1, 0, 1);
	timely(&r->total.m.followups, 8, 3, 1, 2, 2);
	/* Trend: 30 days summing to the month's dials; the 10th: 1 dial,
	 * 1 order of 800,000. */
	assert_int_equal(r->ndays, 30);
	for (i = 0; i < r->ndays; i++)
		sum += r->days[i].dials;
	assert_int_equal(sum, 17);
	assert_int_equal(r->days[9].dials, 1);
	assert_int_equal(r->days[9].orders, 1);
	assert_int_equal(r->days[9].revenue_fen, 800000);
	/* Completion: the whole month (30 of 30). */
	assert_int_equal(r->month_elapsed, 30);
	progress(&ann->target, 100, 8, 40, 5, 4, 2, 4000000, 2000000);
	progress(&r->total.target, 180, 17, 40, 9, 6, 4, 4000000, 2800050);
	tsm_report_free(r);
	/* One member, asked by the manager: only that row, its totals. */
	r = report(s, TSM_REPORT_MONTHLY, "bob", 0);
	assert_false(r->team);
	assert_int_equal(r->nrows, 1);
	counts(&r->total.m, 5, 4, 3, 0, 1, 300050, 220);
	progress(&r->total.target, 80, 5, 0, 3, 2, 1, 0, 300050);
	tsm_report_free(r);
	tsm_store_free(s);
}

/* An agent sees only their own numbers; the team and others are refused. */
static void test_agent_view(void **state)
{
	tsm_store *s = store_as("bob");
	tsm_report_opts o = TSM_REPORT_OPTS_INIT;
	tsm_report *r;

	(void)state;
	r = report(s, TSM_REPORT_WEEKLY, NULL, 0);
	assert_false(r->team);
	assert_string_equal(r->member, "bob");
	assert_int_equal(r->nrows, 1);
	assert_string_equal(r->rows[0].member, "bob");
	counts(&r->total.m, 5, 4, 3, 0, 1, 300050, 220);
	timely(&r->total.m.followups, 2, 0, 0, 1, 1);
	assert_int_equal(r->total.m.dnc_added, 1);
	/* bob's trend only: the 23rd had no bob call. */
	assert_int_equal(r->days[0].dials, 0);
	assert_int_equal(r->days[1].dials, 1);
	assert_int_equal(r->days[2].dials, 4);
	tsm_report_free(r);
	o.kind = TSM_REPORT_DAILY;
	o.now = L(27, 18, 0);
	o.team = 1;
	assert_int_equal(tsm_report_get(&r, s, &o), TSM_EPERM);
	assert_null(r);
	o.team = 0;
	o.member = "ann";
	assert_int_equal(tsm_report_get(&r, s, &o), TSM_EPERM);
	o.member = "bob";
	assert_int_equal(tsm_report_get(&r, s, &o), 0);
	tsm_report_free(r);
	tsm_store_free(s);
}

static void test_rate_and_dates(void **state)
{
	int64_t v, ms;

	(void)state;
	assert_int_equal(tsm_report_rate(&v, 1, 0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tsm_report_rate(&v, 0, 0), 0);
	assert_int_equal(tsm_report_rate(&v, 1, 2), 1);
	assert_int_equal(v, 5000);
	assert_int_equal(tsm_report_rate(&v, 3, 2), 1);
	assert_int_equal(v, 15000);
	/* half up: 1/8 = .125 -> 1250; 1/3 -> 3333; 2/3 -> 6667 */
	assert_int_equal(bp(1, 8), 1250);
	assert_int_equal(bp(2, 3), 6667);
	/* large amounts in fen do not overflow */
	assert_int_equal(bp(999999999999999LL, 999999999999999LL), 10000);
	assert_int_equal(tsm_report_parse_date(&ms, "2026-11-25", 0), 0);
	assert_int_equal(ms, L(25, 0, 0));
	assert_int_equal(tsm_report_parse_date(&ms, "2026-11", 0), 0);
	assert_int_equal(ms, L(1, 0, 0));
	assert_int_equal(tsm_report_parse_date(&ms, "yesterday", L(25, 12, 0)),
			 0);
	assert_int_equal(ms, L(24, 0, 0));
	assert_int_equal(tsm_report_parse_date(&ms, "today", L(25, 12, 0)), 0);
	assert_int_equal(ms, L(25, 12, 0));
	assert_int_equal(tsm_report_parse_date(&ms, "2026-02-30", 0),
			 TSM_EINVALID);
	assert_int_equal(tsm_report_parse_date(&ms, "2026-13", 0),
			 TSM_EINVALID);
	assert_int_equal(tsm_report_parse_date(&ms, "soon", 0), TSM_EINVALID);
	assert_int_equal(tsm_report_kind_lookup("weekly"), TSM_REPORT_WEEKLY);
	assert_int_equal(tsm_report_kind_lookup("hourly"), -1);
}

static void test_targets(void **state)
{
	tsm_target_spec spec = TSM_TARGET_SPEC_INIT;
	tsm_store *s = store_as("mgr");
	tsm_store *b = store_as("bob");
	tsm_target t, *list;
	tsm_report *r;
	size_t n, changed;

	(void)state;
	assert_int_equal(tsm_target_get(&t, s, "ann", "2026-11"), 0);
	assert_int_equal(t.v[TSM_TARGET_DIALS], 100);
	assert_int_equal(t.v[TSM_TARGET_REVENUE], 4000000);
	/* The team's own target replaces the derived sum. */
	spec.month = "2026-11";
	spec.v[TSM_TARGET_DIALS] = 200;
	spec.v[TSM_TARGET_REVENUE] = 5000000;
	assert_int_equal(tsm_target_set(&changed, s, &spec), 0);
	assert_int_equal(changed, 2);
	assert_int_equal(tsm_target_set(&changed, s, &spec), 0);
	assert_int_equal(changed, 0); /* the same values write nothing */
	r = report(s, TSM_REPORT_MONTHLY, NULL, 0);
	assert_false(r->total.target.derived);
	/* 17 of 200 dials; no team effective or orders target; 2,800,050
	 * of 5,000,000 fen -> 5600 bp. */
	progress(&r->total.target, 200, 17, 0, 9, 0, 4, 5000000, 2800050);
	assert_int_equal(bp(2800050, 5000000), 5600);
	tsm_report_free(r);
	/* 0 removes a field. */
	spec.member = "ann";
	spec.v[TSM_TARGET_DIALS] = 0;
	spec.v[TSM_TARGET_REVENUE] = TSM_TARGET_KEEP;
	assert_int_equal(tsm_target_set(&changed, s, &spec), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(tsm_target_get(&t, s, "ann", "2026-11"), 0);
	assert_int_equal(t.v[TSM_TARGET_DIALS], 0);
	assert_int_equal(t.v[TSM_TARGET_EFFECTIVE], 40);
	/* Errors: unknown member, bad month, nothing given, range. */
	spec.member = "zed";
	spec.v[TSM_TARGET_DIALS] = 5;
	assert_int_equal(tsm_target_set(NULL, s, &spec), TSM_ENOTFOUND);
	spec.member = NULL;
	spec.month = "2026-13";
	assert_int_equal(tsm_target_set(NULL, s, &spec), TSM_EINVALID);
	spec.month = "2026-11";
	spec.v[TSM_TARGET_DIALS] = -5;
	assert_int_equal(tsm_target_set(NULL, s, &spec), TSM_EINVALID);
	spec.v[TSM_TARGET_DIALS] = TSM_TARGET_KEEP;
	assert_int_equal(tsm_target_set(NULL, s, &spec), TSM_EINVALID);
	/* The list: the team first, then members; another month apart. */
	assert_int_equal(tsm_target_list(&list, &n, s, "2026-11"), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].member, "");
	assert_string_equal(list[1].member, "ann");
	assert_string_equal(list[2].member, "bob");
	tsm_target_list_free(list, n);
	assert_int_equal(tsm_target_list(&list, &n, s, NULL), 0);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].month, "2026-10");
	tsm_target_list_free(list, n);
	/* An agent: sees the team's (none here) and their own; may not
	 * set. */
	assert_int_equal(tsm_target_list(&list, &n, b, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].member, "bob");
	tsm_target_list_free(list, n);
	spec.v[TSM_TARGET_DIALS] = 10;
	assert_int_equal(tsm_target_set(NULL, b, &spec), TSM_EPERM);
	tsm_store_free(b);
	tsm_store_free(s);
}

static void test_html(void **state)
{
	tsm_store *s = store_as("mgr");
	tsm_report *r = report(s, TSM_REPORT_WEEKLY, NULL, 0);
	char *html = NULL;
	size_t len;

	(void)state;
	assert_int_equal(tsm_report_html(&html, &len, r), 0);
	assert_int_equal(strlen(html), len);
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "xmlns=\"http://www.w3.org/1999/xhtml\""));
	assert_non_null(strstr(html, "<svg id=\"trend\""));
	assert_non_null(strstr(html, "<svg id=\"funnel\""));
	assert_non_null(strstr(html, "<svg id=\"members\""));
	/* User text is escaped. */
	assert_non_null(strstr(html, "Lee &lt;Lead&gt; &amp; &quot;Co&quot;"));
	assert_non_null(strstr(html, "East &lt;Sales&gt; &amp; Co"));
	assert_null(strstr(html, "<Lead>"));
	assert_null(strstr(html, "<Sales>"));
	/* No scripts, no external assets. */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	/* Money as yuan with two decimals. */
	assert_non_null(strstr(html, "20,000.50"));
	free(html);
	tsm_report_free(r);
	tsm_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daily),
	    cmocka_unit_test(test_weekly),
	    cmocka_unit_test(test_monthly),
	    cmocka_unit_test(test_agent_view),
	    cmocka_unit_test(test_rate_and_dates),
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_html),
	};

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
