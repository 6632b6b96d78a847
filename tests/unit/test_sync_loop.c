/* tests/unit/test_sync_loop.c — the sync loop through the public API, on a
 * bare central repository on disk: found a team, invite, join, admit,
 * exchange ops, converge (equal state hashes), queue a conflict, and refuse
 * a second team on the same remote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mirror.h"
#include "testutil.h"
#include "tsm/common.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/review.h"
#include "tsm/store.h"
#include "tsm/sync.h"
#include "tsm/team.h"

static char root[4096], central[4200];

static tsm_store *new_store(const char *name, const char *member,
			    const char *display)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	char dir[4300];

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	assert_int_equal(tsm_store_create(&s, dir, "pw", 2, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, display), 0);
	return s;
}

/* Syncs s without rejections; the report goes to rep, or is dropped when
 * rep is NULL. */
static void sync_ok(tsm_store *s, tsm_sync_report *rep)
{
	tsm_sync_report mine;
	int err = tsm_sync(&mine, s, NULL);

	if (err < 0)
		fail_msg("sync: %s (%s)", tsm_error_last()->message,
			 mine.nrejections ? mine.rejections[0].reason : "");
	assert_int_equal(mine.nrejections, 0);
	if (rep)
		*rep = mine;
	else
		tsm_sync_report_dispose(&mine);
}

static void append(tsm_store *s, const char *etype, const char *eid,
		   const char *action, const char *field, const char *value)
{
	tsm_op_spec spec = {etype, eid, action, field, value};

	if (tsm_ops_append(NULL, s, &spec, 1) < 0)
		fail_msg("append: %s", tsm_error_last()->message);
}

static void hash(char out[65], tsm_store *s)
{
	assert_int_equal(tsm_state_hash(out, s), 0);
}

static size_t open_reviews(tsm_store *s)
{
	size_t n = 0;

	assert_int_equal(tsm_review_count_open(&n, s), 0);
	return n;
}

static int setup(void **state)
{
	tsm_mirror *m = NULL;

	snprintf(root, sizeof(root), "%s", tu_tmpdir("sync-loop"));
	snprintf(central, sizeof(central), "%s/central.git", root);
	assert_int_equal(tsm_mirror_open(&m, central, NULL), 0);
	tsm_mirror_free(m);
	return 0;
}

static void test_team(void **state)
{
	tsm_store *boss, *ana, *other;
	tsm_sync_report rep;
	tsm_team_info info;
	tsm_member_entry *list = NULL;
	char *code = NULL, h1[65], h2[65];
	size_t n = 0;

	boss = new_store("boss", "boss", "Boss Example");
	ana = new_store("ana", "ana", "Ana Example");
	assert_int_equal(tsm_sync(&rep, boss, NULL), TSM_ENOTFOUND);
	tsm_sync_report_dispose(&rep);
	assert_int_equal(tsm_team_create(boss, central, "Team Example"), 0);
	assert_int_equal(tsm_team_create(boss, central, "Again"),
			 TSM_EEXISTS);
	sync_ok(boss, &rep);
	assert_true(rep.sent >= 2); /* team create and the founder's grant */
	assert_int_equal(rep.batches, 1);
	tsm_sync_report_dispose(&rep);

	/* a second team on the same remote is refused */
	other = new_store("other", "zed", "Zed Example");
	assert_int_equal(tsm_team_create(other, central, "Rival"),
			 TSM_EEXISTS);
	tsm_store_free(other);

	/* only a manager invites; an agent's invite for another member id
	 * does not fit ana's store */
	assert_int_equal(tsm_member_invite(&code, boss, "bo", "agent", NULL,
					   0),
			 0);
	assert_int_equal(tsm_team_join(ana, NULL, code), TSM_EINVALID);
	free(code);
	assert_int_equal(tsm_member_invite(&code, boss, "ana", "agent",
					   "Ana Example", 0),
			 0);
	assert_int_equal(tsm_team_join(ana, NULL, "not-a-code"),
			 TSM_EINVALID);
	assert_int_equal(tsm_team_join(ana, NULL, code), 0);
	free(code);
	assert_int_equal(tsm_team_info_get(&info, ana), 0);
	assert_int_equal(info.admitted, 0);
	sync_ok(ana, &rep);
	assert_int_equal(rep.pending, 1);
	tsm_sync_report_dispose(&rep);

	sync_ok(boss, &rep);
	assert_int_equal(rep.admitted, 1);
	assert_int_equal(rep.roster_version, 2);
	assert_int_equal(rep.sent, 1); /* the grant */
	tsm_sync_report_dispose(&rep);
	sync_ok(ana, &rep);
	assert_int_equal(rep.admitted_self, 1);
	assert_int_equal(rep.received, 3);
	tsm_sync_report_dispose(&rep);
	assert_int_equal(tsm_member_invite(&code, ana, "cy", "agent", NULL, 0),
			 TSM_EPERM);
	assert_int_equal(tsm_team_info_get(&info, ana), 0);
	assert_int_equal(info.admitted, 1);
	assert_string_equal(info.role, "agent");
	assert_int_equal(tsm_member_list(&list, &n, ana), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].member, "ana");
	assert_string_equal(list[0].name, "Ana Example");
	assert_string_equal(list[1].member, "boss");
	assert_string_equal(list[1].role, "manager");
	tsm_member_list_free(list);
	assert_int_equal(tsm_member_list(&list, &n, boss), 0);
	assert_int_equal(n, 3); /* ana, bo (invited), boss */
	assert_string_equal(list[1].status, "invited");
	tsm_member_list_free(list);

	/* a customer assigned to ana; then concurrent edits of its name */
	append(boss, "customer", "c000000000001", "create", NULL,
	       "{\"name\":\"Test Customer One\",\"phone\":\"+8613800001111\"}");
	append(boss, "customer", "c000000000001", "set", "owner", "\"ana\"");
	sync_ok(boss, &rep);
	assert_int_equal(rep.sent, 2);
	assert_int_equal(rep.nmembers, 1);
	assert_string_equal(rep.members[0].member, "boss");
	assert_int_equal(rep.members[0].sent, 2);
	tsm_sync_report_dispose(&rep);
	sync_ok(ana, &rep);
	assert_int_equal(rep.received, 2);
	tsm_sync_report_dispose(&rep);
	append(ana, "customer", "c000000000001", "set", "name",
	       "\"Name By Ana\"");
	append(boss, "customer", "c000000000001", "set", "name",
	       "\"Name By Boss\"");
	sync_ok(ana, &rep);
	assert_int_equal(rep.sent, 1);
	tsm_sync_report_dispose(&rep);
	sync_ok(boss, &rep);
	assert_int_equal(rep.received, 1);
	assert_int_equal(rep.sent, 1);
	assert_int_equal(rep.conflicts, 1);
	tsm_sync_report_dispose(&rep);
	sync_ok(ana, &rep);
	assert_int_equal(rep.received, 1);
	tsm_sync_report_dispose(&rep);
	hash(h1, boss);
	hash(h2, ana);
	assert_string_equal(h1, h2);
	assert_int_equal(open_reviews(boss), open_reviews(ana));

	/* nothing new: nothing sent, nothing received */
	sync_ok(ana, &rep);
	assert_int_equal(rep.sent + rep.received + rep.batches, 0);
	tsm_sync_report_dispose(&rep);
	tsm_store_free(boss);
	tsm_store_free(ana);
}

/* The checkpoint of the second manager's sync: right before its push, the
 * first manager syncs (and admits someone), so the roster moves under it. */
static void race(const char *point, void *payload)
{
	tsm_sync_report rep;
	static int done;

	if (strcmp(point, "before-push") != 0 || done)
		return;
	done = 1;
	sync_ok(payload, &rep);
	assert_int_equal(rep.admitted, 1);
	tsm_sync_report_dispose(&rep);
}

static void test_two_managers(void **state)
{
	tsm_sync_options opts = TSM_SYNC_OPTIONS_INIT;
	tsm_store *m1, *m2, *x, *y;
	tsm_sync_report rep;
	tsm_team_info info;
	char *code = NULL, central2[4300];
	tsm_mirror *m = NULL;

	snprintf(central2, sizeof(central2), "%s/central2.git", root);
	assert_int_equal(tsm_mirror_open(&m, central2, NULL), 0);
	tsm_mirror_free(m);
	m1 = new_store("m1", "m1", "Manager One");
	m2 = new_store("m2", "m2", "Manager Two");
	x = new_store("x", "xx", "Person X");
	y = new_store("y", "yy", "Person Y");
	assert_int_equal(tsm_team_create(m1, central2, "Two Managers"), 0);
	sync_ok(m1, NULL);
	assert_int_equal(tsm_member_invite(&code, m1, "m2", "manager", NULL,
					   0),
			 0);
	assert_int_equal(tsm_team_join(m2, NULL, code), 0);
	free(code);
	sync_ok(m1, &rep);
	tsm_sync_report_dispose(&rep);
	sync_ok(m2, &rep);
	assert_int_equal(rep.admitted_self, 1);
	tsm_sync_report_dispose(&rep);

	/* each manager invites one person; both join */
	assert_int_equal(tsm_member_invite(&code, m1, "xx", "agent", NULL, 0),
			 0);
	assert_int_equal(tsm_team_join(x, NULL, code), 0);
	free(code);
	assert_int_equal(tsm_member_invite(&code, m2, "yy", "lead", NULL, 0),
			 0);
	assert_int_equal(tsm_team_join(y, NULL, code), 0);
	free(code);
	/* m2 admits y, but m1 admits x and publishes first: m2's roster
	 * push is refused, m2 starts again from m1's version */
	opts.checkpoint = race;
	opts.payload = m1;
	if (tsm_sync(&rep, m2, &opts) < 0)
		fail_msg("sync: %s (%s: %s)", tsm_error_last()->message,
			 rep.nrejections ? rep.rejections[0].ref : "",
			 rep.nrejections ? rep.rejections[0].reason : "");
	assert_int_equal(rep.nrejections, 0);
	assert_int_equal(rep.admitted, 1);
	assert_int_equal(rep.roster_version, 4);
	tsm_sync_report_dispose(&rep);
	sync_ok(x, &rep);
	assert_int_equal(rep.admitted_self, 1);
	tsm_sync_report_dispose(&rep);
	sync_ok(y, &rep);
	assert_int_equal(rep.admitted_self, 1);
	tsm_sync_report_dispose(&rep);
	assert_int_equal(tsm_team_info_get(&info, y), 0);
	assert_string_equal(info.role, "lead");
	assert_int_equal(info.members, 4);
	sync_ok(m1, NULL);
	assert_int_equal(tsm_team_info_get(&info, m1), 0);
	assert_int_equal(info.roster_version, 4);
	tsm_store_free(m1);
	tsm_store_free(m2);
	tsm_store_free(x);
	tsm_store_free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_team),
		cmocka_unit_test(test_two_managers),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, setup, NULL);
}
