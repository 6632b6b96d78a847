/* tests/unit/test_sync_kill.c — SIGKILL in the middle of a sync: while
 * applying received ops, after a batch is recorded but before its ref moves,
 * before the push and after it. The next sync completes; no op is lost or
 * applied twice (every replica ends with the same ops and state hash, the
 * central chain's seq ranges follow one another without a gap or overlap).
 * And a store put back to an older copy of itself (a backup): it takes its
 * own newer ops back from the central repository, or, when it has written
 * since (reusing their seqs), it is refused and sends nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "codec.h"
#include "mirror.h"
#include "testutil.h"
#include "tsm/common.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/store.h"
#include "tsm/sync.h"
#include "tsm/team.h"

static char root[4096], central[4200], dir_boss[4200], dir_ana[4200];
static tsm_store *boss, *ana;
static tsm_identity id_ana;
static int next_customer = 1;

static tsm_store *open_store(const char *dir)
{
	tsm_key *key = NULL;
	tsm_store *s = NULL;

	assert_int_equal(tsm_key_unwrap(&key, dir, "pw", 2), 0);
	assert_int_equal(tsm_store_open(&s, dir, key), 0);
	tsm_key_free(key);
	return s;
}

static tsm_store *new_store(char *dir, size_t cap, const char *name,
			    const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, cap, "%s/%s", root, name);
	assert_int_equal(tsm_store_create(&s, dir, "pw", 2, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, "Test Person"), 0);
	return s;
}

static void sync_clean(tsm_store *s, tsm_sync_report *out)
{
	tsm_sync_report rep;
	int err = tsm_sync(&rep, s, NULL);

	if (err < 0)
		fail_msg("sync: %s", tsm_error_last()->message);
	assert_int_equal(rep.nrejections, 0);
	if (out)
		*out = rep;
	else
		tsm_sync_report_dispose(&rep);
}

/* n new customers created by ana. */
static void ana_works(int n)
{
	char eid[32], value[128];
	tsm_op_spec spec;
	int i;

	for (i = 0; i < n; i++, next_customer++) {
		snprintf(eid, sizeof(eid), "c%012d", next_customer);
		snprintf(value, sizeof(value),
			 "{\"name\":\"Kill Test %d\",\"phone\":"
			 "\"+86138000030%02d\"}",
			 next_customer, next_customer % 100);
		spec = (tsm_op_spec){"customer", eid, "create", NULL, value};
		assert_int_equal(tsm_ops_append(NULL, ana, &spec, 1), 0);
	}
}

static void kill_here(const char *point, void *payload)
{
	if (strcmp(point, (const char *)payload) == 0)
		raise(SIGKILL);
}

/* Runs a sync of the store in dir in a child process that is killed with
 * SIGKILL at point. */
static void killed_sync(const char *dir, const char *point)
{
	tsm_sync_options opts = TSM_SYNC_OPTIONS_INIT;
	tsm_sync_report rep;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		tsm_store *s = open_store(dir);

		opts.checkpoint = kill_here;
		opts.payload = (void *)point;
		tsm_sync(&rep, s, &opts);
		_exit(3); /* the point was not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static size_t ops_of(tsm_store *s, const char *site)
{
	tsm_op *ops = NULL;
	size_t n = 0, i, k = 0;

	assert_int_equal(tsm_ops_list(&ops, &n, s, NULL, NULL), 0);
	for (i = 0; i < n; i++)
		if (strcmp(ops[i].site, site) == 0)
			k++;
	tsm_ops_list_free(ops, n);
	return k;
}

/* ana's chain on the central repository: seq ranges 1.. without a gap or
 * an overlap, ending at last. */
static void check_chain(int64_t last)
{
	tsm_mirror *m = NULL;
	tsm_git_commit *c = NULL;
	const struct tsm_git_blob *b;
	tsm_batch_header h;
	char ref[64], tip[41], **ids = NULL;
	size_t n = 0, i;
	uint64_t next = 1;

	snprintf(ref, sizeof(ref), "refs/tsm/sites/%s", id_ana.site);
	assert_int_equal(tsm_mirror_open(&m, central, NULL), 0);
	assert_int_equal(tsm_mirror_ref(tip, m, ref), 0);
	assert_int_equal(tsm_mirror_chain(&ids, &n, m, tip, NULL, 0), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(tsm_mirror_read(&c, m, ids[i], 1 << 24), 0);
		b = tsm_git_commit_entry(c, "header.json");
		assert_int_equal(tsm_codec_header_read(&h, b->data, b->len),
				 0);
		assert_int_equal(h.seq_first, next);
		next = h.seq_last + 1;
		tsm_git_commit_free(c);
	}
	assert_int_equal(next - 1, (uint64_t)last);
	tsm_mirror_chain_free(ids, n);
	tsm_mirror_free(m);
}

static void converged(void)
{
	char h1[65], h2[65];
	int64_t max = 0;

	assert_int_equal(tsm_ops_max_seq(&max, ana, id_ana.site), 0);
	assert_int_equal(ops_of(boss, id_ana.site), (size_t)max);
	assert_int_equal(ops_of(ana, id_ana.site), (size_t)max);
	check_chain(max);
	assert_int_equal(tsm_state_hash(h1, boss), 0);
	assert_int_equal(tsm_state_hash(h2, ana), 0);
	assert_string_equal(h1, h2);
}

static int setup(void **state)
{
	tsm_mirror *m = NULL;
	char *code = NULL;

	snprintf(root, sizeof(root), "%s", tu_tmpdir("sync-kill"));
	snprintf(central, sizeof(central), "%s/central.git", root);
	assert_int_equal(tsm_mirror_open(&m, central, NULL), 0);
	tsm_mirror_free(m);
	boss = new_store(dir_boss, sizeof(dir_boss), "boss", "boss");
	ana = new_store(dir_ana, sizeof(dir_ana), "ana", "ana");
	assert_int_equal(tsm_team_create(boss, central, "Kill Team"), 0);
	sync_clean(boss, NULL);
	assert_int_equal(tsm_member_invite(&code, boss, "ana", "agent", NULL,
					   0),
			 0);
	assert_int_equal(tsm_team_join(ana, NULL, code), 0);
	free(code);
	sync_clean(boss, NULL);
	sync_clean(ana, NULL);
	assert_int_equal(tsm_identity_get(&id_ana, ana), 0);
	return 0;
}

static int teardown(void **state)
{
	tsm_store_free(boss);
	tsm_store_free(ana);
	return 0;
}

static void test_kill_before_push(void **state)
{
	tsm_sync_report rep;

	ana_works(5);
	killed_sync(dir_ana, "before-push");
	sync_clean(ana, &rep);
	assert_int_equal(rep.sent, 0); /* batched already: not again */
	tsm_sync_report_dispose(&rep);
	sync_clean(boss, &rep);
	assert_int_equal(rep.received, 5);
	assert_int_equal(rep.duplicates, 0);
	tsm_sync_report_dispose(&rep);
	converged();
}

static void test_kill_after_batch_recorded(void **state)
{
	tsm_sync_report rep;

	ana_works(3);
	killed_sync(dir_ana, "batched");
	sync_clean(ana, &rep);
	assert_int_equal(rep.sent, 0);
	tsm_sync_report_dispose(&rep);
	sync_clean(boss, &rep);
	assert_int_equal(rep.received, 3);
	tsm_sync_report_dispose(&rep);
	converged();
}

static void test_kill_after_push(void **state)
{
	tsm_sync_report rep;

	ana_works(4);
	killed_sync(dir_ana, "after-push");
	sync_clean(ana, &rep);
	assert_int_equal(rep.sent, 0);
	assert_int_equal(rep.batches, 0);
	tsm_sync_report_dispose(&rep);
	sync_clean(boss, &rep);
	assert_int_equal(rep.received, 4);
	tsm_sync_report_dispose(&rep);
	converged();
}

static void test_kill_during_apply(void **state)
{
	tsm_sync_report rep;
	char before[65], after[65];

	ana_works(6);
	sync_clean(ana, NULL);
	assert_int_equal(tsm_state_hash(before, boss), 0);
	killed_sync(dir_boss, "during-apply");
	/* the transaction was rolled back: nothing of it is visible */
	assert_int_equal(tsm_state_hash(after, boss), 0);
	assert_string_equal(before, after);
	sync_clean(boss, &rep);
	assert_int_equal(rep.received, 6);
	assert_int_equal(rep.duplicates, 0);
	tsm_sync_report_dispose(&rep);
	/* twice in a row, then a clean sync */
	ana_works(2);
	sync_clean(ana, NULL);
	killed_sync(dir_boss, "during-apply");
	killed_sync(dir_boss, "during-apply");
	sync_clean(boss, &rep);
	assert_int_equal(rep.received, 2);
	tsm_sync_report_dispose(&rep);
	converged();
}

static void test_kill_during_admission(void **state)
{
	tsm_store *cy;
	tsm_sync_report rep;
	tsm_op *ops = NULL;
	char dir[4200], *code = NULL;
	size_t n = 0;

	cy = new_store(dir, sizeof(dir), "cy", "cy");
	assert_int_equal(tsm_member_invite(&code, boss, "cy", "agent", NULL,
					   0),
			 0);
	assert_int_equal(tsm_team_join(cy, NULL, code), 0);
	free(code);
	/* admitted (grant op, invite used) but the roster never pushed */
	killed_sync(dir_boss, "before-push");
	sync_clean(cy, &rep);
	assert_int_equal(rep.pending, 1);
	tsm_sync_report_dispose(&rep);
	sync_clean(boss, &rep);
	assert_int_equal(rep.admitted, 0); /* not again: only republished */
	assert_int_equal(rep.sent, 0);
	tsm_sync_report_dispose(&rep);
	sync_clean(cy, &rep);
	assert_int_equal(rep.admitted_self, 1);
	tsm_sync_report_dispose(&rep);
	/* exactly one grant for cy, everywhere */
	assert_int_equal(tsm_ops_list(&ops, &n, cy, "member", "cy"), 0);
	assert_int_equal(n, 1);
	tsm_ops_list_free(ops, n);
	sync_clean(ana, NULL);
	converged();
	tsm_store_free(cy);
}

/* Copies the store directory from to to (replacing to). */
static void copy_dir(const char *from, const char *to)
{
	char cmd[16384];
	int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'",
			 to, from, to);

	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	assert_int_equal(system(cmd), 0);
}

static void test_restored_copy(void **state)
{
	char backup[4300];
	tsm_sync_report rep;
	size_t held;

	(void)state;
	ana_works(2);
	sync_clean(ana, NULL);
	sync_clean(boss, NULL);
	tsm_store_free(ana);
	snprintf(backup, sizeof(backup), "%s.bak", dir_ana);
	copy_dir(dir_ana, backup);
	ana = open_store(dir_ana);
	ana_works(3);
	sync_clean(ana, NULL);
	sync_clean(boss, NULL);
	held = ops_of(boss, id_ana.site);
	/* the laptop is restored from the backup */
	tsm_store_free(ana);
	copy_dir(backup, dir_ana);
	ana = open_store(dir_ana);
	assert_int_equal(ops_of(ana, id_ana.site), held - 3);
	sync_clean(ana, &rep);
	assert_int_equal(rep.received, 3);
	assert_int_equal(rep.sent, 0);
	tsm_sync_report_dispose(&rep);
	converged();
	/* and its next ops follow on */
	ana_works(1);
	sync_clean(ana, NULL);
	sync_clean(boss, NULL);
	assert_int_equal(ops_of(boss, id_ana.site), held + 1);
	converged();
}

static void test_restored_copy_that_wrote(void **state)
{
	char backup[4300], newest[4300], ref[64], before[41], after[41];
	tsm_mirror *m = NULL;
	tsm_sync_report rep;
	size_t i;
	int err, found = 0;

	(void)state;
	snprintf(ref, sizeof(ref), "refs/tsm/sites/%s", id_ana.site);
	tsm_store_free(ana);
	snprintf(backup, sizeof(backup), "%s.bak", dir_ana);
	snprintf(newest, sizeof(newest), "%s.new", dir_ana);
	copy_dir(dir_ana, backup);
	ana = open_store(dir_ana);
	ana_works(2);
	sync_clean(ana, NULL);
	sync_clean(boss, NULL);
	tsm_store_free(ana);
	copy_dir(dir_ana, newest);
	/* restored, then written to before any sync: seqs taken twice */
	copy_dir(backup, dir_ana);
	ana = open_store(dir_ana);
	ana_works(1);
	assert_int_equal(tsm_mirror_open(&m, central, NULL), 0);
	assert_int_equal(tsm_mirror_ref(before, m, ref), 0);
	err = tsm_sync(&rep, ana, NULL);
	assert_int_equal(err, TSM_ECONFLICT);
	for (i = 0; i < rep.nrejections; i++)
		if (strstr(rep.rejections[i].reason,
			   "this store is an older copy of this replica"))
			found = 1;
	assert_true(found);
	assert_int_equal(rep.sent, 0);
	tsm_sync_report_dispose(&rep);
	assert_int_equal(tsm_mirror_ref(after, m, ref), 0);
	assert_string_equal(after, before); /* nothing pushed */
	tsm_mirror_free(m);
	sync_clean(boss, NULL);
	/* the newest copy put back: all is well again */
	tsm_store_free(ana);
	copy_dir(newest, dir_ana);
	ana = open_store(dir_ana);
	sync_clean(ana, NULL);
	converged();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_before_push),
		cmocka_unit_test(test_kill_after_batch_recorded),
		cmocka_unit_test(test_kill_after_push),
		cmocka_unit_test(test_kill_during_apply),
		cmocka_unit_test(test_kill_during_admission),
		cmocka_unit_test(test_restored_copy),
		cmocka_unit_test(test_restored_copy_that_wrote),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
