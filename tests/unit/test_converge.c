/* tests/unit/test_converge.c — the property that makes the op log the source
 * of truth: random op sets from six sites, applied in 10,000 random orders
 * and partitions (random splits into several apply calls) across seeds,
 * always give the same state hash; applying them again changes nothing. A
 * longer soak run is `bench_ops --soak N`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops_internal.h"
#include "opgen.h"
#include "store_internal.h"
#include "testutil.h"

#define SEEDS 200
#define ORDERS 50 /* per seed: 10,000 trials */

static void apply_idx(tsm_store *s, char **ops, const size_t *idx, size_t n)
{
	size_t len;
	char *json = og_join(ops, idx, n, &len);

	if (tsm_ops_apply_json(NULL, s, json, len) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	free(json);
}

static long count(tsm_store *s, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	assert_int_equal(
	    sqlite3_prepare_v2(tsm_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* What the random sets exercised, summed over seeds: a property test over
 * sets that trigger no rule would prove little. */
static const char *const coverage[] = {
    "SELECT count(*) FROM review WHERE kind = 'conflict'",
    "SELECT count(*) FROM review WHERE kind = 'conflict' AND "
    "field = 'deleted'",
    "SELECT count(*) FROM review WHERE kind = 'violation'",
    "SELECT count(*) FROM review WHERE kind = 'duplicate'",
    "SELECT count(*) FROM review WHERE kind = 'rejected'",
    "SELECT count(*) FROM ops WHERE status = 'superseded'",
    "SELECT count(*) FROM customers WHERE merged_into IS NOT NULL",
    "SELECT count(*) FROM customers WHERE deleted = 1",
    "SELECT count(*) FROM customers WHERE dnc = 1",
    "SELECT count(*) FROM followups WHERE done = 1",
    "SELECT count(*) FROM followups WHERE done = 0",
    "SELECT count(*) FROM calls WHERE amended_by IS NOT NULL",
    "SELECT count(*) FROM ops WHERE reason = 'only a manager may clear "
    "do-not-call'",
    "SELECT count(*) FROM ops WHERE reason = 'only a lead or manager may "
    "assign'",
};
#define NCOV (sizeof(coverage) / sizeof(coverage[0]))

/* Starts a trial on the empty store: everything the trial applies stays in
 * one outer transaction, rolled back at the end. Each apply call still
 * runs alone (its own recomputation of what it touched, over the state the
 * previous calls left); only the commits are saved. */
static void trial_begin(tsm_store *s)
{
	assert_int_equal(tsm_store_begin(s), 0);
}

static void trial_end(tsm_store *s)
{
	assert_int_equal(tsm_store_end(s, 0), 0);
	assert_int_equal(count(s, "SELECT count(*) FROM ops"), 0);
}

static void test_converge(void **state)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	long cov[NCOV] = {0};
	char ref[65], got[65];
	uint64_t rng = 42;
	size_t n, *idx, i, k, cut[6], nc, trials = 0;
	char **ops;
	tsm_store *s;
	int seed, t;

	(void)state;
	o.plaintext = 1;
	assert_int_equal(
	    tsm_store_create(&s, tu_tmpdir("converge"), NULL, 0, &o), 0);
	for (seed = 1; seed <= SEEDS; seed++) {
		n = og_generate(&ops, (uint64_t)seed, 10 + seed % 20);
		idx = malloc(n * sizeof(*idx));
		assert_non_null(idx);
		for (i = 0; i < n; i++)
			idx[i] = i;
		/* The reference: everything in writing order, one call. */
		trial_begin(s);
		apply_idx(s, ops, idx, n);
		assert_int_equal(tsm_state_hash(ref, s), 0);
		for (k = 0; k < NCOV; k++)
			cov[k] += count(s, coverage[k]);
		/* Idempotent: the whole set again, then a part again. */
		apply_idx(s, ops, idx, n);
		apply_idx(s, ops, idx + n / 3, n / 2);
		assert_int_equal(tsm_state_hash(got, s), 0);
		assert_string_equal(ref, got);
		trial_end(s);
		for (t = 0; t < ORDERS; t++) {
			trial_begin(s);
			/* The team and its first grants (the first ops written)
			 * land anywhere in one trial in five; in the others
			 * they come in the first call, as when a member joins.
			 * Later grants and revokes are always shuffled. */
			if (t % 5 == 0) {
				og_shuffle(&rng, idx, n);
			} else {
				for (i = 0; i < n; i++)
					idx[i] = i;
				og_shuffle(&rng, idx + OG_ROSTER,
					   n - OG_ROSTER);
			}
			/* 1..5 apply calls split at random points */
			nc = 1 + (size_t)(og_rand(&rng) % 5);
			for (k = 0; k + 1 < nc; k++)
				cut[k] = (size_t)(og_rand(&rng) % (n + 1));
			cut[nc - 1] = n;
			if (t % 5 != 0) /* the first call holds the roster */
				for (k = 0; k + 1 < nc; k++)
					if (cut[k] < OG_ROSTER)
						cut[k] = OG_ROSTER;
			for (k = 0; k + 1 < nc; k++) /* sort the cuts */
				for (i = k + 1; i + 1 < nc; i++)
					if (cut[i] < cut[k]) {
						size_t x = cut[i];

						cut[i] = cut[k];
						cut[k] = x;
					}
			for (k = 0, i = 0; k < nc; i = cut[k++])
				if (cut[k] > i)
					apply_idx(s, ops, idx + i, cut[k] - i);
			assert_int_equal(tsm_state_hash(got, s), 0);
			if (strcmp(ref, got) != 0)
				fail_msg("seed %d order %d: state differs",
					 seed, t);
			trial_end(s);
			trials++;
		}
		for (i = 0; i < n; i++)
			free(ops[i]);
		free(ops);
		free(idx);
	}
	assert_true(trials >= 10000);
	for (k = 0; k < NCOV; k++)
		if (cov[k] == 0)
			fail_msg("the random sets never exercised: %s",
				 coverage[k]);
	print_message("%zu orders and partitions of %d op sets converged\n",
		      trials, SEEDS);
	tsm_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_converge),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
