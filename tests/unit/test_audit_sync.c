/* tests/unit/test_audit_sync.c — the audit against real sync: a manager, an
 * agent and an auditor around a bare central repository. The auditor's
 * writes are refused locally; an auditor op forged into its own log and
 * published is rejected on the manager's replica and shows in the
 * manager's audit log as rejected, verified, with its batch. The batch
 * index matches sync's cursors; verify passes on a clean history (locally
 * and on the remote), names a site whose held ops differ from the signed
 * batch, and names a roster rewound on the central repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "audit_internal.h"
#include "mirror.h"
#include "state.h"
#include "store_internal.h"
#include "testutil.h"
#include "tsm/audit.h"
#include "tsm/customer.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/sync.h"
#include "tsm/team.h"

static char root[4096];

static tsm_store *new_store(const char *name, const char *member,
			    const char *display)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	char dir[4400];

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	assert_int_equal(tsm_store_create(&s, dir, "pw", 2, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, display), 0);
	return s;
}

/* One sync; returns its code and fills *rep (disposed by the caller when
 * rep is given). */
static int sync_rc(tsm_store *s, tsm_sync_report *rep)
{
	tsm_sync_report r;
	int err = tsm_sync(&r, s, NULL);

	if (err < 0 && err != TSM_ECONFLICT)
		fail_msg("sync: %s", tsm_error_last()->message);
	if (rep)
		*rep = r;
	else
		tsm_sync_report_dispose(&r);
	return err;
}

static void sync_ok(tsm_store *s)
{
	tsm_sync_report r;

	if (sync_rc(s, &r) != 0)
		fail_msg("sync rejected: %s", r.nrejections
						  ? r.rejections[0].reason
						  : tsm_error_last()->message);
	tsm_sync_report_dispose(&r);
}

static void put(tsm_store *s, const char *eid, const char *action,
		const char *field, const char *value)
{
	tsm_op_spec spec = {"customer", eid, action, field, value};

	if (tsm_ops_append(NULL, s, &spec, 1) < 0)
		fail_msg("append: %s", tsm_error_last()->message);
}

static void site_of(char *out, tsm_store *s)
{
	tsm_identity me;

	assert_int_equal(tsm_identity_get(&me, s), 0);
	memcpy(out, me.site, TSM_SITE_LEN + 1);
}

/* A clock safely after every op written so far (the grants included). */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	       2000;
}

static int has_failure(const tsm_audit_report *r, const char *site,
		       const char *needle)
{
	size_t i;

	for (i = 0; i < r->nfailures; i++)
		if (strcmp(r->failures[i].site, site) == 0 &&
		    strstr(r->failures[i].reason, needle))
			return 1;
	return 0;
}

static void test_audit_with_sync(void **state)
{
	tsm_audit_verify_options vo = TSM_AUDIT_VERIFY_OPTIONS_INIT;
	char central[4300], json[1024], h1[65], h2[65];
	char s_aud[TSM_SITE_LEN + 1], s_a1[TSM_SITE_LEN + 1];
	char tip[TSM_COMMIT_HEX_MAX], cursor[TSM_OID_HEX + 1];
	char roster_tip[TSM_OID_HEX + 1];
	tsm_store *mgr, *aud, *a1;
	tsm_sync_report rep;
	tsm_audit_report ar;
	tsm_apply_stats st;
	tsm_audit_row *rows = NULL;
	tsm_customer *c = NULL;
	tsm_mirror *cm = NULL;
	char *code = NULL, **ids = NULL;
	int64_t seq, cseq, max;
	size_t n = 0, nids = 0, i;
	int found = 0;

	(void)state;
	snprintf(root, sizeof(root), "%s", tu_tmpdir("audit-sync"));
	snprintf(central, sizeof(central), "%s/central.git", root);
	assert_int_equal(tsm_mirror_open(&cm, central, NULL), 0);
	tsm_mirror_free(cm);
	cm = NULL;

	mgr = new_store("mgr", "mgr", "Manager Person Wu");
	aud = new_store("aud", "aud", "Auditor Person Qian");
	a1 = new_store("a1", "agent1", "Agent Person Li");
	assert_int_equal(tsm_team_create(mgr, central, "Team Audit"), 0);
	sync_ok(mgr);
	assert_int_equal(tsm_member_invite(&code, mgr, "aud", "auditor",
					   "Auditor Person Qian", 0),
			 0);
	assert_int_equal(tsm_team_join(aud, central, code), 0);
	free(code);
	assert_int_equal(tsm_member_invite(&code, mgr, "agent1", "agent",
					   "Agent Person Li", 0),
			 0);
	assert_int_equal(tsm_team_join(a1, central, code), 0);
	free(code);
	sync_ok(mgr);
	sync_ok(aud);
	sync_ok(a1);
	put(mgr, "c00000000a001", "create", NULL,
	    "{\"name\":\"Customer Audit Example\","
	    "\"phone\":\"+8613800002001\"}");
	put(mgr, "c00000000a001", "set", "owner", "\"agent1\"");
	sync_ok(mgr);
	sync_ok(a1);
	put(a1, "c00000000a001", "set", "company", "\"Example Trading Co\"");
	sync_ok(a1);
	sync_ok(mgr);
	sync_ok(aud);
	site_of(s_aud, aud);
	site_of(s_a1, a1);

	/* the auditor's write is refused locally, nothing written */
	{
		tsm_op_spec spec = {"customer", "c00000000a001", "set", "name",
				    "\"Renamed By Auditor\""};

		assert_int_equal(tsm_ops_append(NULL, aud, &spec, 1),
				 TSM_EPERM);
		assert_string_equal(tsm_error_last()->message,
				    "auditors are read-only");
	}
	assert_int_equal(tsm_ops_max_seq(&max, aud, s_aud), 0);
	assert_int_equal(max, 0);

	/* an auditor op forged into the auditor's own log and published */
	snprintf(json, sizeof(json),
		 "[{\"site\":\"%s\",\"seq\":1,\"hlc\":\"%016llx\","
		 "\"author\":\"aud\",\"etype\":\"customer\","
		 "\"eid\":\"c00000000a001\",\"action\":\"set\","
		 "\"field\":\"name\",\"value\":\"Forged By Auditor\","
		 "\"supersedes\":[]}]",
		 s_aud, (unsigned long long)now_ms() << 16);
	assert_int_equal(tsm_ops_apply_json(&st, aud, json, strlen(json)), 0);
	assert_int_equal(st.rejected, 1);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(sync_rc(aud, &rep), 0);
	assert_int_equal(rep.sent, 1);
	tsm_sync_report_dispose(&rep);
	assert_int_equal(sync_rc(mgr, &rep), 0);
	assert_int_equal(rep.received, 1);
	assert_int_equal(rep.rejected_ops, 1);
	tsm_sync_report_dispose(&rep);
	assert_int_equal(tsm_customer_get(&c, mgr, "c00000000a001", 0), 0);
	assert_string_equal(c->f[TSM_CF_NAME], "Customer Audit Example");
	tsm_customer_free(c);
	assert_int_equal(tsm_state_hash(h1, mgr), 0);
	assert_int_equal(tsm_state_hash(h2, aud), 0);
	assert_string_equal(h1, h2);

	/* the manager's audit log shows it: rejected, verified, its batch */
	assert_int_equal(tsm_audit_index(mgr), 0);
	assert_int_equal(tsm_audit_log(&rows, &n, mgr, "c00000000a001", NULL),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(tsm_state_cursor(cursor, &cseq, mgr, s_aud), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].author, "aud") != 0)
			continue;
		found = 1;
		assert_string_equal(rows[i].role, "auditor");
		assert_string_equal(rows[i].name, "Auditor Person Qian");
		assert_string_equal(rows[i].status, TSM_OP_REJECTED);
		assert_string_equal(rows[i].reason, "auditors are read-only");
		assert_string_equal(rows[i].old_value,
				    "\"Customer Audit Example\"");
		assert_string_equal(rows[i].signature, TSM_AUDIT_SIG_VERIFIED);
		assert_string_equal(rows[i].batch, cursor);
	}
	assert_true(found);
	assert_string_equal(rows[2].author, "agent1");
	assert_string_equal(rows[2].signature, TSM_AUDIT_SIG_VERIFIED);
	assert_string_equal(rows[0].signature, TSM_AUDIT_SIG_OWN);
	assert_int_equal(strlen(rows[0].batch), 40);
	tsm_audit_rows_free(rows, n);

	/* the index holds what sync applied, per site */
	assert_int_equal(tsm_state_cursor(cursor, &cseq, mgr, s_a1), 0);
	assert_int_equal(tsm_audit_batch_tip(tip, &seq, mgr, s_a1), 0);
	assert_string_equal(tip, cursor);
	assert_int_equal(seq, cseq);

	/* verify: clean, locally and against the remote */
	assert_int_equal(tsm_audit_verify(&ar, mgr, NULL), 0);
	assert_int_equal(ar.nfailures, 0);
	assert_true(ar.batches >= 5);
	assert_int_equal(ar.compared, ar.batches);
	assert_int_equal(ar.roster_versions, 3);
	tsm_audit_report_dispose(&ar);
	vo.remote = 1;
	assert_int_equal(tsm_audit_verify(&ar, aud, &vo), 0);
	assert_int_equal(ar.nfailures, 0);
	tsm_audit_report_dispose(&ar);

	/* an op held here that differs from the signed batch is named */
	assert_int_equal(
	    sqlite3_exec(tsm_store_db(mgr),
			 "UPDATE ops SET value = '\"Tampered Locally\"' "
			 "WHERE field = 'company'",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(tsm_audit_verify(&ar, mgr, NULL), TSM_ECORRUPT);
	assert_true(
	    has_failure(&ar, s_a1, "differs from the signed batch (value)"));
	assert_int_equal(ar.nfailures, 1);
	tsm_audit_report_dispose(&ar);

	/* the central roster rewound to its first version */
	assert_int_equal(tsm_mirror_open(&cm, central, NULL), 0);
	assert_int_equal(tsm_mirror_ref(roster_tip, cm, TSM_REF_ROSTER), 0);
	assert_int_equal(tsm_mirror_chain(&ids, &nids, cm, roster_tip, NULL, 0),
			 0);
	assert_true(nids == 3);
	assert_int_equal(tsm_mirror_set_ref(cm, TSM_REF_ROSTER, ids[0], NULL),
			 0);
	assert_int_equal(tsm_audit_verify(&ar, aud, &vo), TSM_ECORRUPT);
	assert_true(has_failure(&ar, "", "rewritten since last seen"));
	assert_string_equal(ar.failures[0].commit, ids[0]);
	tsm_audit_report_dispose(&ar);
	/* sync takes a central roster behind ours for one not pushed yet
	 * and moves on; verify, from the local mirror, names it */
	sync_rc(aud, NULL);
	assert_int_equal(tsm_audit_verify(&ar, aud, NULL), TSM_ECORRUPT);
	assert_true(has_failure(&ar, "", "rewritten since last seen"));
	tsm_audit_report_dispose(&ar);
	assert_int_equal(
	    tsm_mirror_set_ref(cm, TSM_REF_ROSTER, roster_tip, NULL), 0);
	sync_ok(aud);
	assert_int_equal(tsm_audit_verify(&ar, aud, &vo), 0);
	tsm_audit_report_dispose(&ar);
	tsm_mirror_chain_free(ids, nids);
	tsm_mirror_free(cm);

	tsm_store_free(mgr);
	tsm_store_free(aud);
	tsm_store_free(a1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_audit_with_sync),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
