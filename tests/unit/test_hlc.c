/* tests/unit/test_hlc.c — the hybrid logical clock: monotonic when the wall
 * clock steps back, advanced by remote clocks, far-ahead remotes flagged and
 * not trusted; the stored clock; TSM_NOW-style time parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hlc.h"
#include "ops_internal.h"
#include "store_internal.h"
#include "testutil.h"
#include "tsm/identity.h"

#define T0 1795000000000LL /* 2026-11-18 */

static void test_tick_monotonic_when_wall_steps_back(void **state)
{
	uint64_t a, b, c, d;

	(void)state;
	a = tsm_hlc_tick(0, T0);
	assert_int_equal(tsm_hlc_wall(a), T0);
	assert_int_equal(a & 0xffff, 0);
	b = tsm_hlc_tick(a, T0); /* same ms: the counter moves */
	assert_true(b > a);
	assert_int_equal(tsm_hlc_wall(b), T0);
	assert_int_equal(b & 0xffff, 1);
	c = tsm_hlc_tick(b, T0 - 60000); /* wall clock stepped back */
	assert_true(c > b);
	assert_int_equal(tsm_hlc_wall(c), T0);
	d = tsm_hlc_tick(c, T0 + 5); /* wall clock moves on: counter resets */
	assert_true(d > c);
	assert_int_equal(tsm_hlc_wall(d), T0 + 5);
	assert_int_equal(d & 0xffff, 0);
}

static void test_tick_counter_carries(void **state)
{
	uint64_t h = tsm_hlc_pack(T0, 0xffff), n;

	(void)state;
	n = tsm_hlc_tick(h, T0);
	assert_true(n > h);
	assert_int_equal(tsm_hlc_wall(n), T0 + 1);
}

static void test_receive_advances(void **state)
{
	uint64_t last = tsm_hlc_pack(T0, 3), remote, out, next;

	(void)state;
	remote = tsm_hlc_pack(T0 + 30000, 7); /* 30 s ahead: trusted */
	assert_int_equal(tsm_hlc_recv(&out, last, remote, T0), 0);
	assert_true(out == remote);
	next = tsm_hlc_tick(out, T0);
	assert_true(next > remote);
	/* An older remote leaves the clock alone. */
	assert_int_equal(tsm_hlc_recv(&out, next, tsm_hlc_pack(T0 - 1, 0), T0),
			 0);
	assert_true(out == next);
}

static void test_far_ahead_flagged_not_trusted(void **state)
{
	uint64_t last = tsm_hlc_pack(T0, 3), out;
	uint64_t edge = tsm_hlc_pack(T0 + TSM_HLC_MAX_SKEW_MS, 0);
	uint64_t far = tsm_hlc_pack(T0 + TSM_HLC_MAX_SKEW_MS + 1, 0);

	(void)state;
	assert_int_equal(tsm_hlc_recv(&out, last, edge, T0), 0);
	assert_true(out == edge);
	assert_int_equal(tsm_hlc_recv(&out, last, far, T0), 1);
	assert_true(out == last);
	assert_true(tsm_hlc_tick(out, T0) < far);
}

static int count(tsm_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(
	    sqlite3_prepare_v2(tsm_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Through the store: local ops tick the stored clock even when "now" goes
 * back; a far-ahead remote op is stored, applied and flagged, and does not
 * move the clock; a near remote op does. */
static void test_store_clock(void **state)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *dir = tu_tmpdir("hlc");
	tsm_apply_stats st;
	tsm_opid id1, id2;
	tsm_op_spec spec = {"policy", "p1", "set", "x", "1"};
	uint64_t clock, before;
	char json[1024];
	tsm_store *s;

	(void)state;
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, dir, NULL, 0, &o), 0);
	assert_int_equal(tsm_identity_create(s, "mia", "Mia Chen"), 0);
	tsm_clock_set_now(T0);
	assert_int_equal(tsm_team_found(s, "t1", "Team One", NULL), 0);
	assert_int_equal(tsm_ops_append(&id1, s, &spec, 1), 0);
	tsm_clock_set_now(T0 - 3600 * 1000); /* the wall clock steps back */
	assert_int_equal(tsm_ops_append(&id2, s, &spec, 1), 0);
	assert_int_equal(tsm_hlc_load(&clock, tsm_store_db(s)), 0);
	assert_int_equal(tsm_hlc_wall(clock), T0);
	assert_int_equal(id2.seq, id1.seq + 1);
	assert_int_equal(count(s, "SELECT count(*) FROM ops o1, ops o2 WHERE "
				  "o2.seq = o1.seq + 1 AND o1.site = o2.site "
				  "AND o2.hlc <= o1.hlc"),
			 0);

	/* A remote op two hours ahead: applied, flagged, clock unmoved. */
	before = clock;
	snprintf(
	    json, sizeof(json),
	    "[{\"site\":\"00000000000000aa\",\"seq\":1,\"hlc\":\"%016llx\","
	    "\"author\":\"mia\",\"etype\":\"policy\",\"eid\":\"p2\","
	    "\"action\":\"set\",\"field\":\"y\",\"value\":2,"
	    "\"supersedes\":[]}]",
	    (unsigned long long)tsm_hlc_pack(T0 + 7200 * 1000, 0));
	tsm_clock_set_now(T0);
	assert_int_equal(tsm_ops_apply_json(&st, s, json, strlen(json)), 0);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.clock_warnings, 1);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(count(s, "SELECT count(*) FROM clock_warnings WHERE "
				  "site = '00000000000000aa'"),
			 1);
	assert_int_equal(count(s, "SELECT count(*) FROM policy WHERE id = "
				  "'p2' AND value = '2'"),
			 1);
	assert_int_equal(tsm_hlc_load(&clock, tsm_store_db(s)), 0);
	assert_true(clock == before);

	/* A remote op ten minutes ahead: trusted, our clock follows. */
	snprintf(
	    json, sizeof(json),
	    "[{\"site\":\"00000000000000aa\",\"seq\":2,\"hlc\":\"%016llx\","
	    "\"author\":\"mia\",\"etype\":\"policy\",\"eid\":\"p2\","
	    "\"action\":\"set\",\"field\":\"z\",\"value\":3,"
	    "\"supersedes\":[]}]",
	    (unsigned long long)tsm_hlc_pack(T0 + 600 * 1000, 9));
	assert_int_equal(tsm_ops_apply_json(&st, s, json, strlen(json)), 0);
	assert_int_equal(st.clock_warnings, 0);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(tsm_hlc_load(&clock, tsm_store_db(s)), 0);
	assert_true(clock == tsm_hlc_pack(T0 + 600 * 1000, 9));
	assert_int_equal(tsm_ops_append(&id2, s, &spec, 1), 0);
	snprintf(json, sizeof(json),
		 "SELECT count(*) FROM ops WHERE site = '%s' AND seq = %d "
		 "AND hlc > (SELECT hlc FROM ops WHERE site = "
		 "'00000000000000aa' AND seq = 2)",
		 id2.site, (int)id2.seq);
	assert_int_equal(count(s, json), 1);
	tsm_clock_set_now(0);
	tsm_store_free(s);
}

static void test_clock_parse(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(tsm_clock_parse(&t, "1796000000000"), 0);
	assert_int_equal(t, 1796000000000LL);
	assert_int_equal(tsm_clock_parse(&t, "2026-11-27T10:00:00+08:00"), 0);
	assert_int_equal(t, 1795744800000LL);
	assert_int_equal(tsm_clock_parse(&t, "2026-11-27T02:00:00Z"), 0);
	assert_int_equal(t, 1795744800000LL);
	assert_int_equal(tsm_clock_parse(&t, "2026-11-27T02:00:00.250Z"), 0);
	assert_int_equal(t, 1795744800250LL);
	assert_int_equal(tsm_clock_parse(&t, "2026-11-27T10:00:00"),
			 TSM_EINVALID);
	assert_int_equal(tsm_clock_parse(&t, "2026-02-30T10:00:00Z"),
			 TSM_EINVALID);
	assert_int_equal(tsm_clock_parse(&t, "soon"), TSM_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tick_monotonic_when_wall_steps_back),
	    cmocka_unit_test(test_tick_counter_carries),
	    cmocka_unit_test(test_receive_advances),
	    cmocka_unit_test(test_far_ahead_flagged_not_trusted),
	    cmocka_unit_test(test_store_clock),
	    cmocka_unit_test(test_clock_parse),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
