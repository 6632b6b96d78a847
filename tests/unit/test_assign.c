/* tests/unit/test_assign.c — tsm_assign: round-robin and balanced
 * distribution (exact member per customer), open workload (won/lost not
 * counted), --from moves, dry runs that write nothing, bad targets; an
 * agent refused locally, and the same owner op forged from the agent's site
 * rejected by the rules on another replica (and on the agent's own), while a
 * lead's op arriving the same way counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_internal.h"
#include "testutil.h"
#include "tsm/assign.h"
#include "tsm/customer.h"
#include "tsm/ops.h"

#define T0 1795000000000LL /* 2026-11-18, ms */

static int64_t now = T0;

static void tick(void)
{
	now += 1000;
	tsm_clock_set_now(now);
}

static tsm_store *new_store(const char *tag, const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s;

	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	sqlite3_exec(tsm_store_db(s), "PRAGMA synchronous=OFF", NULL, NULL,
		     NULL);
	assert_int_equal(tsm_identity_create(s, member, member), 0);
	return s;
}

static void grant(tsm_store *s, const char *member, const char *role)
{
	char v[128];
	tsm_op_spec spec = {"member", member, "grant", NULL, v};

	snprintf(v, sizeof(v), "{\"role\":\"%s\",\"name\":\"%s\"}", role,
		 member);
	tick();
	if (tsm_ops_append(NULL, s, &spec, 1) != 0)
		fail_msg("grant: %s", tsm_error_last()->message);
}

/* Adds a customer with phone +86 138 0000 0xxx; returns its id. */
static void add(tsm_store *s, int k, char id[TSM_CUSTOMER_ID_MAX])
{
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	char name[32], phone[32];

	snprintf(name, sizeof(name), "客户%d", k);
	snprintf(phone, sizeof(phone), "1380000%04d", k);
	f.v[TSM_CF_NAME] = name;
	f.v[TSM_CF_PHONE] = phone;
	f.v[TSM_CF_INDUSTRY] = k % 2 ? "金融" : "科技";
	tick();
	if (tsm_customer_add(&w, s, &f) != 0)
		fail_msg("add: %s", tsm_error_last()->message);
	snprintf(id, TSM_CUSTOMER_ID_MAX, "%s", w.id);
}

/* The owner as materialized (read directly: an agent's replica hides
 * customers that are not hers from the customer API). */
static void owner_is(tsm_store *s, const char *id, const char *want)
{
	sqlite3_stmt *st;
	const char *got;

	assert_int_equal(sqlite3_prepare_v2(tsm_store_db(s),
					    "SELECT owner FROM customers "
					    "WHERE id = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	got = (const char *)sqlite3_column_text(st, 0);
	if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
		fail_msg("%s: owner %s, want %s", id, got ? got : "(none)",
			 want ? want : "(none)");
	sqlite3_finalize(st);
}

static void hash(tsm_store *s, char out[65])
{
	assert_int_equal(tsm_state_hash(out, s), 0);
}

/* The manager's store: mgr (manager), ann and bob (agents), lee (lead),
 * sue (assistant), aud (auditor); ids[0..n) customers in creation order. */
static tsm_store *team(const char *tag, char ids[][TSM_CUSTOMER_ID_MAX], int n)
{
	tsm_store *s = new_store(tag, "mgr");
	int k;

	tick();
	assert_int_equal(tsm_team_found(s, "t1", "Sales", "Mei"), 0);
	grant(s, "ann", "agent");
	grant(s, "bob", "agent");
	grant(s, "lee", "lead");
	grant(s, "sue", "assistant");
	grant(s, "aud", "auditor");
	for (k = 0; k < n; k++)
		add(s, k, ids[k]);
	return s;
}

static void run(tsm_assign_result *r, tsm_store *s, tsm_assign_options *o)
{
	if (tsm_assign(r, s, o) != 0)
		fail_msg("assign: %s", tsm_error_last()->message);
}

static void test_round_robin(void **state)
{
	char ids[7][TSM_CUSTOMER_ID_MAX], h0[65], h1[65];
	const char *to[] = {"ann", "bob", "ann"}; /* named twice: once */
	tsm_assign_options o = TSM_ASSIGN_OPTIONS_INIT;
	tsm_customer_filter f = TSM_CUSTOMER_FILTER_INIT;
	tsm_assign_result r;
	tsm_store *s = team("assign-rr", ids, 7);
	int k;

	(void)state;
	/* The five unassigned 金融 customers (odd k) ... in creation order:
	 * 1 3 5 -> ann bob ann. With a limit of 3. */
	f.owner = "";
	f.industry = "金融";
	f.limit = 3;
	o.filter = &f;
	o.to = to;
	o.nto = 3;
	o.dry_run = 1;
	hash(s, h0);
	run(&r, s, &o);
	hash(s, h1);
	assert_string_equal(h0, h1); /* a dry run writes nothing */
	assert_int_equal(r.n, 3);
	assert_int_equal(r.changed, 3);
	tsm_assign_result_dispose(&r);
	o.dry_run = 0;
	run(&r, s, &o);
	assert_int_equal(r.nmembers, 2);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.list[0].customer, ids[1]);
	assert_string_equal(r.list[0].to, "ann");
	assert_string_equal(r.list[1].customer, ids[3]);
	assert_string_equal(r.list[1].to, "bob");
	assert_string_equal(r.list[2].customer, ids[5]);
	assert_string_equal(r.list[2].to, "ann");
	assert_int_equal(r.members[0].assigned, 2);
	assert_int_equal(r.members[1].assigned, 1);
	tsm_assign_result_dispose(&r);
	owner_is(s, ids[1], "ann");
	owner_is(s, ids[3], "bob");
	owner_is(s, ids[5], "ann");
	for (k = 0; k < 7; k += 2)
		owner_is(s, ids[k], NULL);
	/* By ids, in the order given; one already with its member. */
	{
		const char *refs[] = {ids[6], ids[1], ids[0]};
		const char *to2[] = {"bob", "ann"};
		tsm_assign_options o2 = TSM_ASSIGN_OPTIONS_INIT;

		o2.customers = refs;
		o2.ncustomers = 3;
		o2.to = to2;
		o2.nto = 2;
		run(&r, s, &o2);
		/* 6 -> bob, 1 -> ann (already), 0 -> bob */
		assert_int_equal(r.changed, 2);
		assert_int_equal(r.unchanged, 1);
		assert_string_equal(r.list[1].to, "ann");
		assert_false(r.list[1].changed);
		tsm_assign_result_dispose(&r);
		owner_is(s, ids[6], "bob");
		owner_is(s, ids[0], "bob");
	}
	tsm_store_free(s);
}

static void test_balanced(void **state)
{
	char ids[12][TSM_CUSTOMER_ID_MAX];
	const char *rr[] = {"ann", "bob"}, *to[] = {"lee", "bob", "ann"};
	tsm_assign_options o = TSM_ASSIGN_OPTIONS_INIT;
	tsm_customer_filter f = TSM_CUSTOMER_FILTER_INIT;
	tsm_customer_fields lost = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	tsm_assign_result r;
	tsm_store *s = team("assign-bal", ids, 12);
	static const char *const exp[] = {"ann", "lee", "ann",
					  "lee", "ann", "lee"};
	static const char *const exp2[] = {"bob", "lee", "bob",
					   "lee", "bob", "lee"};
	int k;

	(void)state;
	/* ann and bob get 3 each of the first 6 ... */
	f.owner = "";
	f.limit = 6;
	o.filter = &f;
	o.to = rr;
	o.nto = 2;
	run(&r, s, &o);
	tsm_assign_result_dispose(&r);
	/* ... then two of ann's are lost and one won: ann has 0 open, bob
	 * 3, lee 0. */
	lost.v[TSM_CF_STAGE] = "lost";
	tick();
	assert_int_equal(tsm_customer_edit(&w, s, ids[0], &lost), 0);
	tick();
	assert_int_equal(tsm_customer_edit(&w, s, ids[2], &lost), 0);
	lost.v[TSM_CF_STAGE] = "won";
	tick();
	assert_int_equal(tsm_customer_edit(&w, s, ids[4], &lost), 0);
	/* Balanced over the 6 unassigned, loads ann 0, bob 3, lee 0, ties
	 * to the lower id: ann (1), lee (1), ann (2), lee (2), ann (3),
	 * lee (3); bob, with 3 open from the start, gets none. */
	f.limit = 0;
	o.to = to;
	o.nto = 3;
	o.strategy = TSM_ASSIGN_BALANCED;
	run(&r, s, &o);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.members[0].member, "lee");
	assert_int_equal(r.members[0].open_before, 0);
	assert_int_equal(r.members[1].open_before, 3);
	assert_int_equal(r.members[2].open_before, 0);
	for (k = 0; k < 6; k++) {
		assert_string_equal(r.list[k].customer, ids[6 + k]);
		if (strcmp(r.list[k].to, exp[k]) != 0)
			fail_msg("customer %d went to %s, want %s", 6 + k,
				 r.list[k].to, exp[k]);
		owner_is(s, ids[6 + k], exp[k]);
	}
	assert_int_equal(r.members[0].assigned, 3); /* lee */
	assert_int_equal(r.members[1].assigned, 0); /* bob */
	assert_int_equal(r.members[2].assigned, 3); /* ann */
	tsm_assign_result_dispose(&r);
	/* --from ann: all six of hers (won and lost too: 0 2 4 6 8 10) go
	 * to bob and lee, balanced from 3 open each, ties to bob. */
	{
		const char *to2[] = {"bob", "lee"};
		tsm_assign_options o2 = TSM_ASSIGN_OPTIONS_INIT;

		o2.from = "ann";
		o2.to = to2;
		o2.nto = 2;
		o2.strategy = TSM_ASSIGN_BALANCED;
		run(&r, s, &o2);
		assert_int_equal(r.n, 6);
		assert_int_equal(r.members[0].open_before, 3);
		assert_int_equal(r.members[1].open_before, 3);
		for (k = 0; k < 6; k++) {
			assert_string_equal(r.list[k].customer, ids[2 * k]);
			assert_string_equal(r.list[k].from, "ann");
			assert_string_equal(r.list[k].to, exp2[k]);
			owner_is(s, ids[2 * k], exp2[k]);
		}
		tsm_assign_result_dispose(&r);
		f = (tsm_customer_filter)TSM_CUSTOMER_FILTER_INIT;
		f.owner = "ann";
		{
			tsm_customer *list;
			size_t n;

			assert_int_equal(tsm_customer_list(&list, &n, s, &f),
					 0);
			assert_int_equal(n, 0);
			tsm_customer_list_free(list, n);
		}
		/* From a member to themselves: refused. */
		o2.from = "bob";
		assert_int_equal(tsm_assign(&r, s, &o2), TSM_EINVALID);
		tsm_assign_result_dispose(&r);
	}
	tsm_store_free(s);
}

static void test_bad_targets(void **state)
{
	char ids[2][TSM_CUSTOMER_ID_MAX], h0[65], h1[65];
	const char *sue[] = {"sue"}, *nobody[] = {"nobody"}, *aud[] = {"aud"};
	const char *refs[] = {"c000000000000"};
	tsm_assign_options o = TSM_ASSIGN_OPTIONS_INIT;
	tsm_customer_filter f = TSM_CUSTOMER_FILTER_INIT;
	tsm_assign_result r;
	tsm_store *s = team("assign-bad", ids, 2);

	(void)state;
	hash(s, h0);
	o.filter = &f;
	o.to = sue;
	o.nto = 1;
	assert_int_equal(tsm_assign(&r, s, &o), TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "an assistant"));
	tsm_assign_result_dispose(&r);
	o.to = aud;
	assert_int_equal(tsm_assign(&r, s, &o), TSM_EINVALID);
	tsm_assign_result_dispose(&r);
	o.to = nobody;
	assert_int_equal(tsm_assign(&r, s, &o), TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "no active member"));
	tsm_assign_result_dispose(&r);
	o.nto = 0;
	assert_int_equal(tsm_assign(&r, s, &o), TSM_EINVALID);
	tsm_assign_result_dispose(&r);
	o = (tsm_assign_options)TSM_ASSIGN_OPTIONS_INIT;
	o.customers = refs;
	o.ncustomers = 1;
	o.to = (const char *[]){"ann"};
	o.nto = 1;
	assert_int_equal(tsm_assign(&r, s, &o), TSM_ENOTFOUND);
	tsm_assign_result_dispose(&r);
	hash(s, h1);
	assert_string_equal(h0, h1);
	tsm_store_free(s);
}

/* Copies every op of from into to. */
static void sync_all(tsm_store *to, tsm_store *from)
{
	char *json;
	size_t len;

	assert_int_equal(tsm_ops_export(&json, &len, from, NULL, 1, 0, 0), 0);
	if (tsm_ops_apply_json(NULL, to, json, len) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	free(json);
}

/* An owner op as written by member from site, after the customer's
 * create (which it supersedes). */
static char *forged(const char *site, int64_t seq, const char *author,
		    const char *cid, const char *create_op, const char *to)
{
	char *buf = malloc(1024);

	assert_non_null(buf);
	snprintf(buf, 1024,
		 "[{\"site\":\"%s\",\"seq\":%lld,\"hlc\":\"%016llx\","
		 "\"author\":\"%s\",\"etype\":\"customer\",\"eid\":\"%s\","
		 "\"action\":\"set\",\"field\":\"owner\",\"value\":\"%s\","
		 "\"supersedes\":[\"%s\"]}]",
		 site, (long long)seq,
		 (unsigned long long)((uint64_t)(now + 60000) << 16), author,
		 cid, to, create_op);
	return buf;
}

/* The status and reason of the op (site, seq) in s. */
static void op_status(tsm_store *s, const char *site, char status[16],
		      char reason[128])
{
	tsm_op *ops;
	size_t n, i;

	status[0] = reason[0] = '\0';
	assert_int_equal(tsm_ops_list(&ops, &n, s, NULL, NULL), 0);
	for (i = 0; i < n; i++)
		if (strcmp(ops[i].site, site) == 0 && ops[i].seq == 1) {
			snprintf(status, 16, "%s", ops[i].status);
			snprintf(reason, 128, "%s",
				 ops[i].reason ? ops[i].reason : "");
		}
	tsm_ops_list_free(ops, n);
}

static void test_agent_refused(void **state)
{
	char ids[2][TSM_CUSTOMER_ID_MAX], h0[65], h1[65], status[16];
	char reason[128], create[TSM_OPID_MAX];
	const char *to[] = {"ann"};
	tsm_assign_options o = TSM_ASSIGN_OPTIONS_INIT;
	tsm_op_spec spec;
	tsm_assign_result r;
	tsm_apply_stats st;
	tsm_identity ann_id;
	tsm_store *m = team("assign-mgr", ids, 2);
	tsm_store *a = new_store("assign-ann", "ann");
	tsm_op *ops;
	size_t n;
	char *json;

	(void)state;
	sync_all(a, m);
	assert_int_equal(tsm_identity_get(&ann_id, a), 0);
	/* Locally: tsm_assign refuses, nothing written. */
	hash(a, h0);
	o.customers = (const char *[]){ids[0]};
	o.ncustomers = 1;
	o.to = to;
	o.nto = 1;
	assert_int_equal(tsm_assign(&r, a, &o), TSM_EPERM);
	assert_non_null(strstr(tsm_error_last()->message,
			       "only a lead or manager may assign"));
	assert_non_null(strstr(tsm_error_last()->message, "an agent"));
	tsm_assign_result_dispose(&r);
	/* ... and so does the op log below it. */
	spec = (tsm_op_spec){"customer", ids[0], "set", "owner", "\"ann\""};
	assert_int_equal(tsm_ops_append(NULL, a, &spec, 1), TSM_EPERM);
	hash(a, h1);
	assert_string_equal(h0, h1);
	/* The same op forged from ann's site reaches the manager's replica:
	 * kept, rejected, the owner unchanged. */
	assert_int_equal(tsm_ops_list(&ops, &n, m, "customer", ids[0]), 0);
	assert_true(n >= 1);
	snprintf(create, sizeof(create), "%s:%lld", ops[0].site,
		 (long long)ops[0].seq);
	tsm_ops_list_free(ops, n);
	json = forged(ann_id.site, 1, "ann", ids[0], create, "ann");
	assert_int_equal(tsm_ops_apply_json(&st, m, json, strlen(json)), 0);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.rejected, 1);
	tsm_apply_stats_dispose(&st);
	owner_is(m, ids[0], NULL);
	op_status(m, ann_id.site, status, reason);
	assert_string_equal(status, "rejected");
	assert_non_null(strstr(reason, "only a lead or manager may assign"));
	/* ... and on ann's own replica, which receives it back. */
	assert_int_equal(tsm_ops_apply_json(&st, a, json, strlen(json)), 0);
	assert_int_equal(st.rejected, 1);
	tsm_apply_stats_dispose(&st);
	owner_is(a, ids[0], NULL);
	free(json);
	/* The same op by the lead, from the lead's site, counts. */
	json = forged("eeee000000000005", 1, "lee", ids[1], create, "bob");
	/* supersedes names the first customer's create: use the second's. */
	assert_int_equal(tsm_ops_list(&ops, &n, m, "customer", ids[1]), 0);
	snprintf(create, sizeof(create), "%s:%lld", ops[0].site,
		 (long long)ops[0].seq);
	tsm_ops_list_free(ops, n);
	free(json);
	json = forged("eeee000000000005", 1, "lee", ids[1], create, "bob");
	assert_int_equal(tsm_ops_apply_json(&st, m, json, strlen(json)), 0);
	assert_int_equal(st.rejected, 0);
	tsm_apply_stats_dispose(&st);
	owner_is(m, ids[1], "bob");
	free(json);
	tsm_store_free(a);
	tsm_store_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_robin),
	    cmocka_unit_test(test_balanced),
	    cmocka_unit_test(test_bad_targets),
	    cmocka_unit_test(test_agent_refused),
	};

	tsm_init();
	tsm_clock_set_now(now);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
