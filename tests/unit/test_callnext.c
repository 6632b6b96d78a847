/* tests/unit/test_callnext.c — the calling rules in C: outcome names and
 * flags, the stage table, talk-time parsing, time zones by country code
 * (with daylight saving), and the order tsm_call_next_get() chooses in on a
 * fixed clock — due follow-ups, then due revisits, then new leads by
 * priority and age — with what it passes over and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "tsm/call.h"
#include "tsm/customer.h"
#include "tsm/dnc.h"
#include "tsm/followup.h"
#include "tsm/ops.h"
#include "tsm/policy.h"

#define MIN_MS (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
/* Tuesday 2026-12-01 02:00 UTC = 10:00 in Shanghai. */
#define T0 1796090400000LL
/* Wednesday 2026-07-01 00:00 UTC (summer in the north). */
#define JULY 1782864000000LL

static void test_outcomes(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < TSM_OUTCOME_COUNT; i++)
		assert_int_equal(
		    tsm_call_outcome_lookup(tsm_call_outcome_name(i)), i);
	assert_int_equal(tsm_call_outcome_lookup("maybe"), -1);
	assert_null(tsm_call_outcome_name(TSM_OUTCOME_COUNT));
	assert_int_equal(tsm_call_outcome_flags(TSM_OUTCOME_NO_ANSWER), 0);
	assert_int_equal(tsm_call_outcome_flags(TSM_OUTCOME_GATEKEEPER),
			 TSM_CALL_CONNECTED);
	assert_int_equal(tsm_call_outcome_flags(TSM_OUTCOME_CALLBACK),
			 TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE);
	assert_int_equal(tsm_call_outcome_flags(TSM_OUTCOME_ORDER),
			 TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE |
			     TSM_CALL_INTERESTED | TSM_CALL_SALE);
	assert_int_equal(tsm_call_outcome_flags(TSM_OUTCOME_DNC_REQUEST),
			 TSM_CALL_CONNECTED | TSM_CALL_DNC);
	assert_int_equal(tsm_call_outcome_flags(TSM_OUTCOME_REVISIT_DONE),
			 TSM_CALL_CONNECTED | TSM_CALL_REVISIT);
	assert_true(tsm_call_outcome_unanswered(TSM_OUTCOME_NO_ANSWER));
	assert_true(tsm_call_outcome_unanswered(TSM_OUTCOME_BUSY));
	assert_true(tsm_call_outcome_unanswered(TSM_OUTCOME_GATEKEEPER));
	assert_false(tsm_call_outcome_unanswered(TSM_OUTCOME_INVALID_NUMBER));
	assert_false(tsm_call_outcome_unanswered(TSM_OUTCOME_INTERESTED));
	/* Effective: by outcome, or a connected call at the threshold. */
	assert_true(tsm_call_effective(TSM_CALL_CONNECTED, 60, 60));
	assert_false(tsm_call_effective(TSM_CALL_CONNECTED, 59, 60));
	assert_false(tsm_call_effective(0, 600, 60));
	assert_true(
	    tsm_call_effective(TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE, 0, 60));
}

static void test_stage_table(void **state)
{
	static const struct {
		const char *from;
		int outcome;
		const char *to; /* NULL: unchanged */
	} cases[] = {
	    {"new", TSM_OUTCOME_NO_ANSWER, NULL},
	    {"new", TSM_OUTCOME_BUSY, NULL},
	    {"new", TSM_OUTCOME_INVALID_NUMBER, NULL},
	    {"new", TSM_OUTCOME_GATEKEEPER, NULL},
	    {"new", TSM_OUTCOME_NOT_INTERESTED, "contacted"},
	    {"new", TSM_OUTCOME_CALLBACK, "contacted"},
	    {"new", TSM_OUTCOME_INTERESTED, "interested"},
	    {"new", TSM_OUTCOME_ORDER, "won"},
	    {"new", TSM_OUTCOME_DNC_REQUEST, "contacted"},
	    {"new", TSM_OUTCOME_REVISIT_DONE, NULL},
	    {"contacted", TSM_OUTCOME_CALLBACK, NULL},
	    {"contacted", TSM_OUTCOME_INTERESTED, "interested"},
	    {"interested", TSM_OUTCOME_NOT_INTERESTED, NULL},
	    {"interested", TSM_OUTCOME_CALLBACK, NULL},
	    {"negotiating", TSM_OUTCOME_INTERESTED, NULL},
	    {"negotiating", TSM_OUTCOME_ORDER, "won"},
	    {"won", TSM_OUTCOME_INTERESTED, NULL},
	    {"won", TSM_OUTCOME_ORDER, NULL},
	    {"won", TSM_OUTCOME_REVISIT_DONE, NULL},
	    {"lost", TSM_OUTCOME_CALLBACK, NULL},
	    {"lost", TSM_OUTCOME_NOT_INTERESTED, NULL},
	    {"lost", TSM_OUTCOME_INTERESTED, "interested"},
	    {"lost", TSM_OUTCOME_ORDER, "won"},
	};
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = tsm_call_stage_after(cases[i].from, cases[i].outcome);
		if (cases[i].to == NULL) {
			if (got)
				fail_msg(
				    "%s + %s -> %s, want unchanged",
				    cases[i].from,
				    tsm_call_outcome_name(cases[i].outcome),
				    got);
		} else {
			assert_non_null(got);
			assert_string_equal(got, cases[i].to);
		}
	}
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t s; /* -1: invalid */
	} cases[] = {
	    {"0", 0},	       {"95", 95},	{"1:35", 95},  {"01:35", 95},
	    {"1:02:03", 3723}, {"95s", 95},	{"2m", 120},   {"1m35s", 95},
	    {"1h", 3600},      {" 42 ", 42},	{"-5", -1},    {"1:75", -1},
	    {"1:5", -1},       {"abc", -1},	{"", -1},      {"5x", -1},
	    {"1s2m", -1},      {"1:2:3:4", -1}, {"90000", -1}, {"1.5", -1},
	};
	size_t i;
	int64_t s;
	int err;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = -2;
		err = tsm_call_duration_parse(&s, cases[i].in);
		if (cases[i].s < 0) {
			if (err != TSM_EINVALID)
				fail_msg("'%s' parsed as %lld", cases[i].in,
					 (long long)s);
			assert_non_null(strstr(tsm_error_last()->message,
					       "invalid duration"));
		} else {
			if (err != 0)
				fail_msg("'%s': %s", cases[i].in,
					 tsm_error_last()->message);
			assert_int_equal(s, cases[i].s);
		}
	}
}

static void test_zones(void **state)
{
	tsm_hours h;
	int off;
	int64_t next;

	(void)state;
	assert_string_equal(tsm_call_zone_name("+8613800000001"),
			    "Asia/Shanghai");
	assert_string_equal(tsm_call_zone_name("+85291234567"),
			    "Asia/Hong_Kong");
	assert_string_equal(tsm_call_zone_name("+442079460000"),
			    "Europe/London");
	assert_string_equal(tsm_call_zone_name("+12025550123"),
			    "America/New_York");
	assert_string_equal(tsm_call_zone_name("+5511912345678"), "local");
	assert_string_equal(tsm_call_zone_name(NULL), "local");
	assert_int_equal(tsm_call_zone_offset(&off, "+5511912345678", T0),
			 TSM_ENOTFOUND);
	/* Standard and daylight time. */
	assert_int_equal(tsm_call_zone_offset(&off, "+8613800000001", T0), 0);
	assert_int_equal(off, 480);
	assert_int_equal(tsm_call_zone_offset(&off, "+442079460000", T0), 0);
	assert_int_equal(off, 0);
	assert_int_equal(tsm_call_zone_offset(&off, "+442079460000", JULY), 0);
	assert_int_equal(off, 60);
	assert_int_equal(tsm_call_zone_offset(&off, "+4930123456", JULY), 0);
	assert_int_equal(off, 120);
	assert_int_equal(tsm_call_zone_offset(&off, "+12025550123", T0), 0);
	assert_int_equal(off, -300);
	assert_int_equal(tsm_call_zone_offset(&off, "+12025550123", JULY), 0);
	assert_int_equal(off, -240);
	assert_int_equal(tsm_call_zone_offset(&off, "+61291234567", T0), 0);
	assert_int_equal(off, 660); /* Sydney summer */
	assert_int_equal(tsm_call_zone_offset(&off, "+61291234567", JULY), 0);
	assert_int_equal(off, 600);
	/* EU change: last Sunday of March 2026 (29th) at 01:00 UTC. */
	assert_int_equal(
	    tsm_call_zone_offset(&off, "+442079460000", 1774746000000LL - 1),
	    0);
	assert_int_equal(off, 0);
	assert_int_equal(
	    tsm_call_zone_offset(&off, "+442079460000", 1774746000000LL), 0);
	assert_int_equal(off, 60);

	assert_int_equal(tsm_hours_parse(&h, TSM_HOURS_DEFAULT), 0);
	/* 10:00 Shanghai is 02:00 in London and 21:00 (Monday) in New York. */
	assert_true(tsm_call_hours_contains(&h, "+8613800000001", T0));
	assert_false(tsm_call_hours_contains(&h, "+442079460000", T0));
	assert_false(tsm_call_hours_contains(&h, "+12025550123", T0));
	/* London opens at 09:00 London = 09:00 UTC in December. */
	assert_int_equal(tsm_call_hours_next(&next, &h, "+442079460000", T0),
			 0);
	assert_int_equal(next, T0 + 7 * HOUR_MS);
	assert_true(tsm_call_hours_contains(&h, "+442079460000", next));
	assert_false(tsm_call_hours_contains(&h, "+442079460000", next - 1));
	/* New York: Tuesday 09:00 EST = 14:00 UTC. */
	assert_int_equal(tsm_call_hours_next(&next, &h, "+12025550123", T0), 0);
	assert_int_equal(next, T0 + 12 * HOUR_MS);
	/* Shanghai's lunch break: 12:00 -> 13:30. */
	assert_int_equal(tsm_call_hours_next(&next, &h, "+8613800000001",
					     T0 + 2 * HOUR_MS + MIN_MS),
			 0);
	assert_int_equal(next, T0 + 3 * HOUR_MS + 30 * MIN_MS);
	/* Friday evening in Shanghai: next Monday 09:00. */
	assert_int_equal(tsm_call_hours_next(&next, &h, "+8613800000001",
					     T0 + 3 * DAY_MS + 10 * HOUR_MS),
			 0);
	assert_int_equal(next, T0 + 6 * DAY_MS - HOUR_MS);
}

/* ---- the selection, on a store ---- */

static tsm_store *store;

static int setup_store(void **state)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *dir = tu_tmpdir("callnext");

	(void)state;
	o.kdf = TSM_KDF_INTERACTIVE;
	setenv("TZ", "Asia/Shanghai", 1);
	tsm_clock_set_now(T0 - 40 * DAY_MS);
	assert_int_equal(tsm_store_create(&store, dir, "pw", 2, &o), 0);
	assert_int_equal(tsm_identity_create(store, "mgr", "Mei Lin"), 0);
	assert_int_equal(tsm_team_found(store, NULL, "Sales", NULL), 0);
	return 0;
}

static int teardown_store(void **state)
{
	(void)state;
	tsm_store_free(store);
	store = NULL;
	tsm_clock_set_now(0);
	return 0;
}

static void add(char *out, const char *name, const char *phone,
		const char *priority, int64_t at)
{
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;

	tsm_clock_set_now(at);
	f.v[TSM_CF_NAME] = name;
	f.v[TSM_CF_PHONE] = phone;
	f.v[TSM_CF_PRIORITY] = priority;
	if (tsm_customer_add(&w, store, &f) < 0)
		fail_msg("add %s: %s", name, tsm_error_last()->message);
	snprintf(out, TSM_CUSTOMER_ID_MAX, "%s", w.id);
}

static void log_call(const char *id, int outcome, int64_t at, int64_t followup)
{
	tsm_call_entry e = TSM_CALL_ENTRY_INIT;

	tsm_clock_set_now(at);
	e.customer = id;
	e.outcome = outcome;
	e.followup_due = followup;
	if (outcome == TSM_OUTCOME_ORDER) {
		e.service = "retainer";
		e.amount_fen = 100000;
	}
	if (outcome == TSM_OUTCOME_REVISIT_DONE)
		e.satisfaction = 5;
	if (tsm_call_log(NULL, store, &e) < 0)
		fail_msg("log %s: %s", tsm_call_outcome_name(outcome),
			 tsm_error_last()->message);
}

/* Asserts the next choice at time now. */
static void expect(int64_t now, const char *id, int why)
{
	tsm_call_next_opts o = TSM_CALL_NEXT_OPTS_INIT;
	tsm_call_next n;

	o.now = now;
	tsm_clock_set_now(now);
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	if (why != n.why || (id && strcmp(id, n.customer) != 0))
		fail_msg("next: %s (%s), want %s (%s)", n.customer,
			 tsm_call_next_reason_name(n.why)
			     ? tsm_call_next_reason_name(n.why)
			     : "none",
			 id ? id : "-",
			 tsm_call_next_reason_name(why)
			     ? tsm_call_next_reason_name(why)
			     : "none");
}

static void test_selection(void **state)
{
	char old[TSM_CUSTOMER_ID_MAX], high[TSM_CUSTOMER_ID_MAX];
	char low[TSM_CUSTOMER_ID_MAX], high2[TSM_CUSTOMER_ID_MAX];
	char signed_[TSM_CUSTOMER_ID_MAX], cb[TSM_CUSTOMER_ID_MAX];
	char theirs[TSM_CUSTOMER_ID_MAX], uk[TSM_CUSTOMER_ID_MAX];
	tsm_call_next_opts o = TSM_CALL_NEXT_OPTS_INIT;
	const char *skip[1];
	tsm_op_spec spec = {"member", "ann", "grant", NULL,
			    "{\"role\":\"agent\",\"name\":\"Ann\"}"};
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	tsm_call_next n;
	tsm_dnc_result d;
	int64_t due;

	(void)state;
	/* A client signed 40 days ago: its revisit is due (30-day cadence). */
	add(signed_, "Signed Client", "13800000001", NULL, T0 - 40 * DAY_MS);
	log_call(signed_, TSM_OUTCOME_ORDER, T0 - 40 * DAY_MS + MIN_MS, 0);
	assert_int_equal(tsm_followup_revisit_due(&due, store, signed_), 0);
	assert_true(due > T0 - 10 * DAY_MS - MIN_MS &&
		    due <= T0 - 10 * DAY_MS + 2 * MIN_MS);
	add(old, "Old Normal", "13800000002", NULL, T0 - 3 * DAY_MS);
	add(uk, "London High", "+442079460001", "high", T0 - 2 * DAY_MS);
	add(high, "High One", "13800000003", "high", T0 - 2 * DAY_MS + 1);
	add(low, "Low One", "13800000004", "low", T0 - 3 * DAY_MS - 1);
	add(high2, "High Two", "13800000005", "high", T0 - DAY_MS);
	add(cb, "Callback", "13800000006", NULL, T0 - 5 * DAY_MS);
	/* Assigned to another member: not on this member's own list. */
	tsm_clock_set_now(T0 - 5 * DAY_MS);
	assert_int_equal(tsm_ops_append(NULL, store, &spec, 1), 0);
	f.v[TSM_CF_NAME] = "Ann's";
	f.v[TSM_CF_PHONE] = "13800000007";
	f.v[TSM_CF_PRIORITY] = "high";
	f.v[TSM_CF_OWNER] = "ann";
	assert_int_equal(tsm_customer_add(&w, store, &f), 0);
	snprintf(theirs, sizeof(theirs), "%s", w.id);
	/* A callback due at 10:30 today. */
	log_call(cb, TSM_OUTCOME_CALLBACK, T0 - DAY_MS, T0 + 30 * MIN_MS);

	/* 10:00: the revisit is due; the callback not yet. */
	expect(T0, signed_, TSM_NEXT_REVISIT);
	/* 10:31: the due callback comes first. */
	expect(T0 + 31 * MIN_MS, cb, TSM_NEXT_CALLBACK);
	log_call(cb, TSM_OUTCOME_INTERESTED, T0 + 31 * MIN_MS, 0);
	expect(T0 + 31 * MIN_MS, signed_, TSM_NEXT_REVISIT);
	log_call(signed_, TSM_OUTCOME_REVISIT_DONE, T0 + 32 * MIN_MS, 0);
	assert_int_equal(tsm_followup_revisit_due(&due, store, signed_), 0);
	assert_int_equal(due, T0 + 32 * MIN_MS + 30 * DAY_MS);
	/* New leads: high priority oldest first (London is asleep), then
	 * normal, then low. */
	expect(T0 + 33 * MIN_MS, high, TSM_NEXT_NEW);
	o.now = T0 + 33 * MIN_MS;
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	assert_int_equal(n.hours, 1);
	o.any_time = 1;
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	assert_string_equal(n.customer, uk);
	o.any_time = 0;
	log_call(high, TSM_OUTCOME_NO_ANSWER, T0 + 33 * MIN_MS, 0);
	expect(T0 + 34 * MIN_MS, high2, TSM_NEXT_NEW);
	/* A session skip passes over it. */
	skip[0] = high2;
	o.skip = skip;
	o.nskip = 1;
	o.now = T0 + 34 * MIN_MS;
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	assert_string_equal(n.customer, old);
	assert_int_equal(n.skipped, 1);
	assert_int_equal(n.retry, 1);
	o.nskip = 0;
	log_call(high2, TSM_OUTCOME_NOT_INTERESTED, T0 + 34 * MIN_MS, 0);
	expect(T0 + 35 * MIN_MS, old, TSM_NEXT_NEW);
	log_call(old, TSM_OUTCOME_INTERESTED, T0 + 35 * MIN_MS, 0);
	expect(T0 + 36 * MIN_MS, low, TSM_NEXT_NEW);
	/* The no-answer lead returns after the retry delay (2 hours: 12:33,
	 * lunch time, so 13:30). */
	expect(T0 + 2 * HOUR_MS - MIN_MS, low, TSM_NEXT_NEW);
	o.now = T0 + 2 * HOUR_MS + 40 * MIN_MS;
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	assert_int_equal(n.why, TSM_NEXT_NONE);
	assert_int_equal(n.next_open, T0 + 3 * HOUR_MS + 30 * MIN_MS);
	expect(T0 + 3 * HOUR_MS + 30 * MIN_MS, high, TSM_NEXT_NEW);
	/* Five unanswered calls in a row exhaust it. */
	log_call(high, TSM_OUTCOME_BUSY, T0 + 4 * HOUR_MS, 0);
	log_call(high, TSM_OUTCOME_GATEKEEPER, T0 + DAY_MS, 0);
	log_call(high, TSM_OUTCOME_NO_ANSWER, T0 + DAY_MS + 3 * HOUR_MS, 0);
	expect(T0 + DAY_MS + 6 * HOUR_MS, high, TSM_NEXT_NEW);
	log_call(high, TSM_OUTCOME_NO_ANSWER, T0 + DAY_MS + 6 * HOUR_MS, 0);
	o.now = T0 + 2 * DAY_MS;
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	assert_string_equal(n.customer, low);
	assert_int_equal(n.exhausted, 1);
	/* Do-not-call (the number listed; the lead stays new): passed over. */
	tsm_clock_set_now(T0 + 2 * DAY_MS);
	assert_int_equal(tsm_dnc_add(&d, store, low, NULL), 0);
	o.now = T0 + 2 * DAY_MS + MIN_MS;
	assert_int_equal(tsm_call_next_get(&n, store, &o), 0);
	assert_int_equal(n.why, TSM_NEXT_NONE);
	assert_int_equal(n.dnc, 1);
	assert_int_equal(n.exhausted, 1);
	assert_int_equal(n.hours, 1); /* London, 02:01 */
	assert_int_equal(n.next_open, T0 + 2 * DAY_MS + 7 * HOUR_MS);
	/* Nothing of Ann's was ever chosen. */
	assert_string_not_equal(n.customer, theirs);
	(void)theirs;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outcomes),
	    cmocka_unit_test(test_stage_table),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_zones),
	    cmocka_unit_test_setup_teardown(test_selection, setup_store,
					    teardown_store),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
