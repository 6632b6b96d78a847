/* tests/unit/test_rules.c — one scenario per merge rule of DESIGN §4 and per
 * authorization rule. Each scenario is a set of ops from several sites with
 * explicit clocks and supersedes, applied through the JSON path forward in
 * one call and backwards one op per call: both stores must hash the same,
 * and the winner, the losers' statuses and reasons and the exact review
 * items are checked, so reversing or skipping a rule fails the test. */
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
#include "tsm/ops.h"
#include "tsm/review.h"

#define T0 1795000000000LL

/* Sites: one per member. */
#define SM "aaaa000000000001" /* mgr, manager and founder */
#define SL "bbbb000000000002" /* lee, lead */
#define SA "cccc000000000003" /* ann, agent */
#define SB "dddd000000000004" /* bob, agent */
#define SS "eeee000000000005" /* sue, assistant */
#define SU "ffff000000000006" /* aud, auditor */
#define SX "9999000000000009" /* eve, not a member */

#define J(...) #__VA_ARGS__
#define P1 "+8613800000001"
#define P2 "+861055550199"

typedef struct top {
	const char *site;
	int seq;
	int64_t ms; /* offset from T0 */
	const char *author;
	const char *etype;
	const char *eid;
	const char *action;
	const char *field;
	const char *value; /* JSON or NULL */
	const char *sup;   /* "site:seq site:seq" */
} top;

static const top roster[] = {
    {SM, 1, 0, "mgr", "team", "t1", "create", "",
     J({"name" : "Sales", "founder" : "mgr"}), ""},
    {SM, 2, 1, "mgr", "member", "mgr", "grant", "",
     J({"role" : "manager", "name" : "Mei Lin"}), SM ":1"},
    {SM, 3, 2, "mgr", "member", "lee", "grant", "", J({"role" : "lead"}), ""},
    {SM, 4, 3, "mgr", "member", "ann", "grant", "", J({"role" : "agent"}), ""},
    {SM, 5, 4, "mgr", "member", "bob", "grant", "", J({"role" : "agent"}), ""},
    {SM, 6, 5, "mgr", "member", "sue", "grant", "", J({"role" : "assistant"}),
     ""},
    {SM, 7, 6, "mgr", "member", "aud", "grant", "", J({"role" : "auditor"}),
     ""},
};
#define NROSTER (sizeof(roster) / sizeof(roster[0]))

/* ---- building and applying op sets ---- */

static void put_op(char **p, size_t *left, const top *o)
{
	char sup[512], *q = sup;
	const char *s = o->sup, *sp;
	size_t len;
	int n;

	*q = '\0';
	while (s && *s) {
		sp = strchr(s, ' ');
		len = sp ? (size_t)(sp - s) : strlen(s);
		q += snprintf(q, sizeof(sup) - (size_t)(q - sup), "%s\"%.*s\"",
			      q == sup ? "" : ",", (int)len, s);
		s = sp ? sp + 1 : NULL;
	}
	n = snprintf(*p, *left,
		     "{\"site\":\"%s\",\"seq\":%d,\"hlc\":\"%016llx\","
		     "\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
		     "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
		     "\"supersedes\":[%s]}",
		     o->site, o->seq,
		     (unsigned long long)(((uint64_t)(T0 + o->ms)) << 16),
		     o->author, o->etype, o->eid, o->action, o->field,
		     o->value ? o->value : "null", sup);
	assert_true(n > 0 && (size_t)n < *left);
	*p += n;
	*left -= (size_t)n;
}

/* Applies ops (pointers) as one JSON array. */
static void apply_ptrs(tsm_store *s, const top *const *ops, size_t n)
{
	size_t cap = 4096 + n * 1024, left = cap, i;
	char *buf = malloc(cap), *p = buf;
	tsm_apply_stats st;

	assert_non_null(buf);
	*p++ = '[';
	left--;
	for (i = 0; i < n; i++) {
		if (i) {
			*p++ = ',';
			left--;
		}
		put_op(&p, &left, ops[i]);
	}
	*p++ = ']';
	*p = '\0';
	if (tsm_ops_apply_json(&st, s, buf, (size_t)(p - buf)) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	tsm_apply_stats_dispose(&st);
	free(buf);
}

static int store_no;

static tsm_store *fresh_store(void)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	char tag[32];
	tsm_store *s;

	snprintf(tag, sizeof(tag), "rules%d", store_no++);
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	sqlite3_exec(tsm_store_db(s), "PRAGMA synchronous=OFF", NULL, NULL,
		     NULL);
	return s;
}

/* Applies roster + ops forward in one call to store A and backwards, one
 * op per call, to store B; both must hash the same. Returns A. */
static tsm_store *scenario(const top *ops, size_t n)
{
	const top **all = malloc((NROSTER + n) * sizeof(*all));
	char ha[65], hb[65];
	tsm_store *a, *b;
	size_t i, k = 0;

	assert_non_null(all);
	for (i = 0; i < NROSTER; i++)
		all[k++] = &roster[i];
	for (i = 0; i < n; i++)
		all[k++] = &ops[i];
	a = fresh_store();
	apply_ptrs(a, all, k);
	b = fresh_store();
	for (i = k; i > 0; i--)
		apply_ptrs(b, &all[i - 1], 1);
	assert_int_equal(tsm_state_hash(ha, a), 0);
	assert_int_equal(tsm_state_hash(hb, b), 0);
	assert_string_equal(ha, hb);
	/* Applying everything again changes nothing. */
	apply_ptrs(b, all, k);
	assert_int_equal(tsm_state_hash(hb, b), 0);
	assert_string_equal(ha, hb);
	tsm_store_free(b);
	free(all);
	return a;
}

/* ---- queries ---- */

static char qbuf[8][2048];
static int qslot;

/* The first column of the first row of sql with text parameters (NULL
 * ends them): "(none)" without a row, "NULL" for NULL. */
static const char *q(tsm_store *s, const char *sql, ...)
{
	char *out = qbuf[qslot++ % 8];
	sqlite3_stmt *st;
	const char *arg, *v;
	va_list ap;
	int i = 1, rc;

	assert_int_equal(
	    sqlite3_prepare_v2(tsm_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	va_start(ap, sql);
	while ((arg = va_arg(ap, const char *)) != NULL)
		sqlite3_bind_text(st, i++, arg, -1, SQLITE_TRANSIENT);
	va_end(ap);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		snprintf(out, 2048, "(none)");
	else if ((v = (const char *)sqlite3_column_text(st, 0)) == NULL)
		snprintf(out, 2048, "NULL");
	else
		snprintf(out, 2048, "%s", v);
	sqlite3_finalize(st);
	return out;
}

#define CUST(s, col, id)                                                       \
	q(s, "SELECT " col " FROM customers WHERE id=?1", id, NULL)

/* "status" or "status: reason" of an op. */
static const char *status(tsm_store *s, const char *site, const char *seq)
{
	return q(s,
		 "SELECT status || coalesce(': ' || reason, '') FROM ops "
		 "WHERE site = ?1 AND seq = CAST(?2 AS INTEGER)",
		 site, seq, NULL);
}

static int nreviews(tsm_store *s, const char *kind, const char *eid)
{
	return atoi(q(s,
		      "SELECT count(*) FROM review WHERE kind = ?1 AND "
		      "eid = ?2",
		      kind, eid, NULL));
}

/* The detail of the one item of kind on eid (field). */
static const char *detail(tsm_store *s, const char *kind, const char *eid,
			  const char *field)
{
	return q(s,
		 "SELECT detail || ' ' || ops || ' ' || status FROM review "
		 "WHERE kind = ?1 AND eid = ?2 AND field = ?3",
		 kind, eid, field, NULL);
}

/* ---- plain fields: last writer wins, concurrent different values queue
 * a conflict, losers kept as superseded ---- */

static void test_plain_fields_lww_conflict(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Wang Fang", "company" : "Acme"}), ""},
	    /* concurrent names: the later clock (mgr) wins */
	    {SL, 1, 3000, "lee", "customer", "c1", "set", "name",
	     J("Wang Fang (Ms)"), SM ":10"},
	    {SM, 11, 2000, "mgr", "customer", "c1", "set", "name",
	     J("Wang Fang, CFO"), SM ":10"},
	    /* concurrent equal values: no conflict */
	    {SL, 2, 2500, "lee", "customer", "c1", "set", "company",
	     J("Acme Ltd"), SM ":10"},
	    {SM, 12, 2600, "mgr", "customer", "c1", "set", "company",
	     J("Acme Ltd"), SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "name", "c1"), "Wang Fang (Ms)");
	assert_string_equal(status(s, SL, "1"), "accepted");
	assert_string_equal(status(s, SM, "11"), "superseded");
	assert_string_equal(CUST(s, "company", "c1"), "Acme Ltd");
	assert_int_equal(nreviews(s, "conflict", "c1"), 1);
	assert_string_equal(
	    detail(s, "conflict", "c1", "name"),
	    "{\"sides\":[{\"op\":\"" SM ":11\",\"value\":\"Wang Fang, "
	    "CFO\"},{\"op\":\"" SL ":1\",\"value\":\"Wang Fang (Ms)\"}]} " SM
	    ":11 " SL ":1 open");
	tsm_store_free(s);
}

/* A write that saw both sides supersedes them: it wins and the conflict is
 * gone, even when its clock is lower (a site that distrusted a far-ahead
 * clock); the writer's view decides, not the clock. */
static void test_plain_causally_later_wins(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Wang Fang"}), ""},
	    {SL, 1, 9000, "lee", "customer", "c1", "set", "name", J("Wang F."),
	     SM ":10"},
	    {SM, 11, 2000, "mgr", "customer", "c1", "set", "name",
	     J("Wang Fang, CFO"), SM ":10"},
	    {SM, 12, 3000, "mgr", "customer", "c1", "set", "name",
	     J("Wang Fang (CFO)"), SM ":11 " SL ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "name", "c1"), "Wang Fang (CFO)");
	assert_string_equal(status(s, SL, "1"), "superseded");
	assert_string_equal(status(s, SM, "12"), "accepted");
	assert_int_equal(nreviews(s, "conflict", "c1"), 0);
	tsm_store_free(s);
}

/* ---- calls, notes, feedback: append-only, amends ---- */

static void test_appends_never_conflict_amend(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Zhao Lei"}), ""},
	    {SA, 2, 2000, "ann", "customer", "c1", "append", "call",
	     J({"outcome" : "busy", "duration_s" : 0}), SA ":1"},
	    {SL, 1, 2000, "lee", "customer", "c1", "append", "call",
	     J({"outcome" : "gatekeeper", "duration_s" : 40}), SA ":1"},
	    {SA, 3, 3000, "ann", "customer", "c1", "append", "note",
	     J({"text" : "call back after 3pm"}), SA ":1"},
	    {SL, 2, 3000, "lee", "customer", "c1", "append", "note",
	     J({"text" : "prefers WeChat"}), SA ":1"},
	    {SA, 4, 4000, "ann", "customer", "c1", "append", "amend", J({
		     "amends" : "cccc000000000003:2",
		     "outcome" : "interested",
		     "duration_s" : 300,
		     "note" : "wants a quote"
	     }),
	     SA ":1"},
	    {SL, 3, 4100, "lee", "customer", "c1", "append", "amend",
	     J({"amends" : "cccc000000000003:2", "note" : "quote sent"}),
	     SA ":1"},
	    {SA, 5, 5000, "ann", "customer", "c1", "append", "amend",
	     J({"amends" : "cccc000000000003:99", "note" : "?"}), SA ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(q(s, "SELECT count(*) FROM calls", NULL), "2");
	assert_string_equal(q(s, "SELECT count(*) FROM notes", NULL), "2");
	assert_string_equal(
	    q(s,
	      "SELECT outcome||' '||duration_s||' '||note||' '||connected||"
	      "effective||interested||sale||' '||amended_by FROM calls "
	      "WHERE id = ?1",
	      SA ":2", NULL),
	    "interested 300 quote sent 1110 " SL ":3");
	assert_string_equal(
	    q(s,
	      "SELECT outcome||' '||connected||effective FROM calls "
	      "WHERE id = ?1",
	      SL ":1", NULL),
	    "gatekeeper 10");
	/* The log keeps the original and both amends. */
	assert_string_equal(status(s, SA, "2"), "accepted");
	assert_string_equal(status(s, SA, "4"), "accepted");
	assert_string_equal(status(s, SL, "3"), "accepted");
	assert_string_equal(status(s, SA, "5"),
			    "rejected: amended op not found");
	assert_int_equal(nreviews(s, "conflict", "c1"), 0);
	assert_int_equal(nreviews(s, "rejected", "c1"), 1);
	tsm_store_free(s);
}

/* ---- stage ---- */

static void test_stage_causally_later_wins(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Qian Hao"}), ""},
	    {SL, 1, 2000, "lee", "customer", "c1", "set", "stage",
	     J("negotiating"), SM ":10"},
	    {SM, 11, 3000, "mgr", "customer", "c1", "set", "stage",
	     J("contacted"), SL ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "stage", "c1"), "contacted");
	assert_string_equal(status(s, SL, "1"), "superseded");
	tsm_store_free(s);
}

static void test_stage_concurrent_more_advanced_wins(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Qian Hao"}), ""},
	    {SL, 1, 3000, "lee", "customer", "c1", "set", "stage",
	     J("interested"), SM ":10"},
	    {SM, 11, 2000, "mgr", "customer", "c1", "set", "stage",
	     J("negotiating"), SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "stage", "c1"), "negotiating");
	assert_string_equal(status(s, SL, "1"), "superseded");
	assert_string_equal(status(s, SM, "11"), "accepted");
	assert_int_equal(nreviews(s, "conflict", "c1"), 0);
	tsm_store_free(s);
}

static void test_stage_won_vs_lost(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Qian Hao", "stage" : "negotiating"}), ""},
	    {SL, 1, 2000, "lee", "customer", "c1", "set", "stage", J("won"),
	     SM ":10"},
	    {SM, 11, 3000, "mgr", "customer", "c1", "set", "stage", J("lost"),
	     SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "stage", "c1"), "won");
	assert_string_equal(status(s, SM, "11"), "superseded");
	assert_string_equal(detail(s, "conflict", "c1", "stage"),
			    "{\"sides\":[{\"op\":\"" SL
			    ":1\",\"value\":\"won\"},"
			    "{\"op\":\"" SM ":11\",\"value\":\"lost\"}]} " SL
			    ":1 " SM ":11 open");
	tsm_store_free(s);
}

/* ---- do-not-call ---- */

static void test_dnc_sticky_only_manager_clears(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Sun Yi", "phone" : "+8613800000001"}), ""},
	    /* bob neither created nor owns c1: anyone may set DNC */
	    {SB, 1, 2000, "bob", "customer", "c1", "set", "dnc", J(true),
	     SA ":1"},
	    {SA, 2, 3000, "ann", "customer", "c1", "set", "dnc", J(false),
	     SB ":1"},
	    {SL, 1, 3500, "lee", "customer", "c1", "set", "dnc", J(false),
	     SB ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "dnc || dnc_flag", "c1"), "11");
	assert_string_equal(status(s, SB, "1"), "accepted");
	assert_string_equal(status(s, SA, "2"),
			    "rejected: only a manager may clear do-not-call");
	assert_string_equal(status(s, SL, "1"),
			    "rejected: only a manager may clear do-not-call");
	assert_int_equal(nreviews(s, "rejected", "c1"), 2);
	assert_string_equal(
	    q(s,
	      "SELECT detail FROM review WHERE kind = 'rejected' AND "
	      "ops = ?1",
	      SA ":2", NULL),
	    "{\"action\":\"set\",\"author\":\"ann\",\"field\":\"dnc\","
	    "\"op\":\"" SA ":2\",\"reason\":\"only a manager may clear "
	    "do-not-call\"}");
	tsm_store_free(s);
}

static void test_dnc_manager_clears(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Sun Yi", "dnc" : true}), ""},
	    {SM, 10, 3000, "mgr", "customer", "c1", "set", "dnc", J(false),
	     SA ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "dnc || dnc_flag", "c1"), "00");
	assert_string_equal(status(s, SM, "10"), "accepted");
	tsm_store_free(s);
}

static void test_dnc_set_concurrent_with_clear_wins(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Sun Yi", "dnc" : true}), ""},
	    {SM, 10, 2000, "mgr", "customer", "c1", "set", "dnc", J(false),
	     SA ":1"},
	    {SB, 1, 1500, "bob", "customer", "c1", "set", "dnc", J(true),
	     SA ":1"},
	    /* a later clear that saw only the first set still loses to
	     * bob's concurrent set */
	    {SM, 11, 4000, "mgr", "customer", "c1", "set", "dnc", J(false),
	     SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "dnc", "c1"), "1");
	assert_string_equal(status(s, SB, "1"), "accepted");
	assert_string_equal(status(s, SM, "11"), "superseded");
	tsm_store_free(s);
}

static void test_dnc_list_and_violation(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Sun Yi", "phone" : "+8613800000001"}), ""},
	    {SA, 2, 2000, "ann", "customer", "c1", "append", "call",
	     J({"outcome" : "no-answer"}), SA ":1"},
	    /* the list holds numbers, customers or not */
	    {SB, 1, 3000, "bob", "dnc", P1, "set", "dnc", J(true), ""},
	    {SB, 2, 3000, "bob", "dnc", P2, "set", "dnc", J(true), ""},
	    {SA, 3, 4000, "ann", "customer", "c1", "append", "call",
	     J({"outcome" : "callback", "duration_s" : 30}), SA ":1"},
	    /* a flag set later adds to the second call's violation */
	    {SL, 1, 3500, "lee", "customer", "c1", "set", "dnc", J(true),
	     SA ":1"},
	    /* a customer is DNC through the list alone */
	    {SB, 3, 1000, "bob", "customer", "c2", "create", "",
	     J({"name" : "Zheng He", "phone" : "+861055550199"}), ""},
	    /* only a manager may take a number off the list */
	    {SA, 4, 5000, "ann", "dnc", P2, "set", "dnc", J(false), SB ":2"},
	    {SM, 10, 6000, "mgr", "dnc", P1, "set", "dnc", J(false), SB ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "dnc || dnc_flag", "c1"), "11");
	assert_string_equal(CUST(s, "dnc || dnc_flag", "c2"), "10");
	assert_string_equal(status(s, SA, "4"),
			    "rejected: only a manager may clear do-not-call");
	assert_string_equal(status(s, SM, "10"), "accepted");
	assert_string_equal(q(s,
			      "SELECT group_concat(phone || dnc, ' ') FROM "
			      "(SELECT * FROM dnc_list ORDER BY phone)",
			      NULL),
			    P2 "1 " P1 "0");
	/* both calls are kept; only the one after the DNC is a violation */
	assert_string_equal(q(s, "SELECT count(*) FROM calls", NULL), "2");
	assert_int_equal(nreviews(s, "violation", "c1"), 1);
	assert_string_equal(detail(s, "violation", "c1", "dnc"),
			    "{\"call\":\"" SA ":3\",\"dnc\":[\"" SL ":1\",\"" SB
			    ":1\"]} " SB ":1 " SL ":1 " SA ":3 open");
	tsm_store_free(s);
}

/* ---- owner ---- */

static void test_owner_agent_rejected(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Li Na"}), ""},
	    {SA, 1, 2000, "ann", "customer", "c1", "set", "owner", J("ann"),
	     SM ":10"},
	    {SS, 1, 2000, "sue", "customer", "c1", "set", "owner", J("sue"),
	     SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "owner", "c1"), "NULL");
	assert_string_equal(status(s, SA, "1"),
			    "rejected: only a lead or manager may assign");
	assert_string_equal(status(s, SS, "1"),
			    "rejected: only a lead or manager may assign");
	assert_int_equal(nreviews(s, "rejected", "c1"), 2);
	tsm_store_free(s);
}

static void test_owner_concurrent_reassign(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Li Na"}), ""},
	    {SL, 1, 3000, "lee", "customer", "c1", "set", "owner", J("ann"),
	     SM ":10"},
	    {SM, 11, 2000, "mgr", "customer", "c1", "set", "owner", J("bob"),
	     SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "owner", "c1"), "ann");
	assert_string_equal(status(s, SM, "11"), "superseded");
	assert_string_equal(detail(s, "conflict", "c1", "owner"),
			    "{\"sides\":[{\"op\":\"" SM
			    ":11\",\"value\":\"bob\"},"
			    "{\"op\":\"" SL ":1\",\"value\":\"ann\"}]} " SM
			    ":11 " SL ":1 open");
	tsm_store_free(s);
}

/* ---- follow-up done vs reschedule ---- */

static void test_followup_done_beats_concurrent_reschedule(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Zhou Min"}), ""},
	    {SA, 2, 1500, "ann", "followup", "f1", "create", "",
	     J({"customer" : "c1", "due" : 1795086400000, "kind" : "callback"}),
	     ""},
	    {SA, 3, 3000, "ann", "followup", "f1", "done", "",
	     J({"at" : 1795000003000, "satisfaction" : 4}), SA ":2"},
	    {SL, 1, 4000, "lee", "followup", "f1", "set", "due",
	     J(1795172800000), SA ":2"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(
	    q(s,
	      "SELECT done||' '||due||' '||done_at||' '||done_op||' '||"
	      "satisfaction FROM followups WHERE id = 'f1'",
	      NULL),
	    "1 1795086400000 1795000003000 " SA ":3 4");
	assert_string_equal(status(s, SL, "1"), "superseded");
	tsm_store_free(s);
}

static void test_followup_reschedule_after_done_reopens(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Zhou Min"}), ""},
	    {SA, 2, 1500, "ann", "followup", "f1", "create", "",
	     J({"customer" : "c1", "due" : 1795086400000, "kind" : "callback"}),
	     ""},
	    {SA, 3, 3000, "ann", "followup", "f1", "done", "", NULL, SA ":2"},
	    {SL, 1, 4000, "lee", "followup", "f1", "set", "due",
	     J(1795172800000), SA ":3"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(
	    q(s, "SELECT done||' '||due FROM followups WHERE id = 'f1'", NULL),
	    "0 1795172800000");
	assert_string_equal(status(s, SL, "1"), "accepted");
	tsm_store_free(s);
}

/* ---- delete vs concurrent edit, restore ---- */

static void test_delete_beats_concurrent_edit(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Wu Gang"}), ""},
	    {SM, 10, 2000, "mgr", "customer", "c1", "delete", "", NULL,
	     SA ":1"},
	    {SA, 2, 3000, "ann", "customer", "c1", "set", "name",
	     J("Wu Gang Jr"), SA ":1"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "deleted || ' ' || name", "c1"),
			    "1 Wu Gang Jr");
	assert_string_equal(status(s, SA, "2"), "accepted");
	assert_string_equal(detail(s, "conflict", "c1", "deleted"),
			    "{\"delete\":\"" SM ":10\",\"edits\":[\"" SA
			    ":2\"]} " SM ":10 " SA ":2 open");
	tsm_store_free(s);
}

static void test_restore_by_creator(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Wu Gang"}), ""},
	    {SM, 10, 2000, "mgr", "customer", "c1", "delete", "", NULL,
	     SA ":1"},
	    {SB, 1, 3000, "bob", "customer", "c1", "restore", "", NULL,
	     SM ":10"},
	    {SA, 2, 4000, "ann", "customer", "c1", "restore", "", NULL,
	     SM ":10"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(CUST(s, "deleted", "c1"), "0");
	assert_string_equal(status(s, SB, "1"),
			    "rejected: only a lead, a manager or the creator "
			    "may restore");
	assert_string_equal(status(s, SA, "2"), "accepted");
	assert_int_equal(nreviews(s, "conflict", "c1"), 0);
	tsm_store_free(s);
}

/* ---- duplicate phones and merge ---- */

static const top dup_ops[] = {
    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
     J({"name" : "Ma Li", "phone" : "+8613800000001"}), ""},
    {SB, 1, 1100, "bob", "customer", "c2", "create", "",
     J({"name" : "Ma Li (2)", "phone" : "+8613800000001"}), ""},
    {SB, 2, 1200, "bob", "customer", "c2", "append", "call",
     J({"outcome" : "order", "duration_s" : 600}), SB ":1"},
    {SB, 3, 1300, "bob", "followup", "f2", "create", "",
     J({"customer" : "c2", "due" : 1795086400000, "kind" : "revisit"}), ""},
    {SB, 4, 1400, "bob", "order", "o2", "create", "", J({
	     "customer" : "c2",
	     "service" : "contract review",
	     "amount_fen" : 880000,
	     "term_months" : 12
     }),
     ""},
    /* an agent may not merge */
    {SA, 2, 2000, "ann", "customer", "c2", "merge", "", J({"into" : "c1"}),
     SB ":1"},
};

static void test_duplicate_phone_queued(void **state)
{
	tsm_store *s = scenario(dup_ops, sizeof(dup_ops) / sizeof(dup_ops[0]));

	(void)state;
	assert_string_equal(q(s,
			      "SELECT count(*) FROM customers WHERE "
			      "merged_into IS NULL",
			      NULL),
			    "2");
	assert_string_equal(detail(s, "duplicate", P1, "phone"),
			    "{\"customers\":[\"c1\",\"c2\"],\"phone\":\"" P1
			    "\"} " SA ":1 " SB ":1 open");
	assert_string_equal(status(s, SA, "2"),
			    "rejected: only a manager may merge customers");
	tsm_store_free(s);
}

static void test_merge_reparents_and_resolves(void **state)
{
	top ops[sizeof(dup_ops) / sizeof(dup_ops[0]) + 1];
	size_t n = sizeof(dup_ops) / sizeof(dup_ops[0]);
	tsm_store *s;

	(void)state;
	memcpy(ops, dup_ops, sizeof(dup_ops));
	ops[n++] = (top){SM,
			 10,
			 3000,
			 "mgr",
			 "customer",
			 "c2",
			 "merge",
			 "",
			 J({"into" : "c1"}),
			 SB ":1 " SB ":2"};
	s = scenario(ops, n);
	assert_string_equal(CUST(s, "merged_into || ' ' || merge_op", "c2"),
			    "c1 " SM ":10");
	assert_string_equal(CUST(s, "coalesce(merged_into, 'live')", "c1"),
			    "live");
	assert_string_equal(
	    q(s, "SELECT customer || ' ' || origin FROM calls", NULL), "c1 c2");
	assert_string_equal(q(s,
			      "SELECT customer || ' ' || origin FROM "
			      "followups",
			      NULL),
			    "c1 c2");
	assert_string_equal(q(s,
			      "SELECT customer || ' ' || amount_fen FROM "
			      "orders",
			      NULL),
			    "c1 880000");
	assert_string_equal(
	    q(s,
	      "SELECT status || ' ' || resolved_by || ' ' || choice FROM "
	      "review WHERE kind = 'duplicate'",
	      NULL),
	    "resolved " SM ":10 merged");
	tsm_store_free(s);
}

/* ---- authorization ---- */

static void test_auth_not_member_and_auditor(void **state)
{
	static const top ops[] = {
	    {SU, 1, 1000, "aud", "customer", "c9", "create", "",
	     J({"name" : "Audit"}), ""},
	    {SX, 1, 1000, "eve", "customer", "c8", "create", "",
	     J({"name" : "Stranger"}), ""},
	    {SU, 2, 1000, "aud", "dnc", P2, "set", "dnc", J(true), ""},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(q(s, "SELECT count(*) FROM customers", NULL), "0");
	assert_string_equal(q(s, "SELECT count(*) FROM dnc_list", NULL), "0");
	assert_string_equal(status(s, SU, "1"),
			    "rejected: auditors are read-only");
	assert_string_equal(status(s, SU, "2"),
			    "rejected: auditors are read-only");
	assert_string_equal(status(s, SX, "1"), "rejected: not a team member");
	assert_string_equal(q(s,
			      "SELECT count(*) FROM review WHERE kind = "
			      "'rejected'",
			      NULL),
			    "3");
	tsm_store_free(s);
}

static void test_auth_agent_owner_at_clock(void **state)
{
	static const top ops[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Han Xue"}), ""},
	    {SB, 1, 2000, "bob", "customer", "c1", "set", "name", J("Han Xue!"),
	     SM ":10"},
	    {SL, 1, 3000, "lee", "customer", "c1", "set", "owner", J("bob"),
	     SM ":10"},
	    {SB, 2, 4000, "bob", "customer", "c1", "set", "company",
	     J("Han & Co"), SM ":10"},
	    {SL, 2, 5000, "lee", "customer", "c1", "set", "owner", J("ann"),
	     SL ":1"},
	    {SB, 3, 6000, "bob", "customer", "c1", "append", "note",
	     J({"text" : "still mine?"}), SM ":10"},
	    {SA, 1, 6000, "ann", "customer", "c1", "append", "note",
	     J({"text" : "mine now"}), SM ":10"},
	    /* a creator keeps the right */
	    {SA, 2, 1000, "ann", "customer", "c2", "create", "",
	     J({"name" : "Ann's lead"}), ""},
	    {SA, 3, 2000, "ann", "customer", "c2", "set", "region", J("Pudong"),
	     SA ":2"},
	    {SB, 4, 2000, "bob", "customer", "c2", "set", "region",
	     J("Minhang"), SA ":2"},
	    /* and a lead may act on any customer */
	    {SL, 3, 2000, "lee", "customer", "c2", "set", "size", J("50-200"),
	     SA ":2"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(status(s, SB, "1"),
			    "rejected: the agent neither created nor owns "
			    "this customer");
	assert_string_equal(status(s, SB, "2"), "accepted");
	assert_string_equal(status(s, SB, "3"),
			    "rejected: the agent neither created nor owns "
			    "this customer");
	assert_string_equal(status(s, SA, "1"), "accepted");
	assert_string_equal(
	    CUST(s, "name || '|' || company || '|' || owner", "c1"),
	    "Han Xue|Han & Co|ann");
	assert_string_equal(status(s, SA, "3"), "accepted");
	assert_string_equal(status(s, SB, "4"),
			    "rejected: the agent neither created nor owns "
			    "this customer");
	assert_string_equal(CUST(s, "region || '|' || size", "c2"),
			    "Pudong|50-200");
	tsm_store_free(s);
}

static void test_auth_assistant(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "customer", "c1", "create", "",
	     J({"name" : "Gao Yan"}), ""},
	    {SS, 1, 2000, "sue", "customer", "c1", "set", "industry",
	     J("logistics"), SA ":1"},
	    {SS, 2, 2100, "sue", "customer", "c1", "set", "name",
	     J("Gao Yan (Ms)"), SA ":1"},
	    {SS, 3, 2200, "sue", "customer", "c3", "create", "",
	     J({"name" : "Fair lead", "source" : "expo"}), ""},
	    {SS, 4, 2300, "sue", "customer", "c3", "set", "name",
	     J("Fair lead 1"), SS ":3"},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(status(s, SS, "1"), "accepted");
	assert_string_equal(status(s, SS, "2"),
			    "rejected: an assistant may only classify "
			    "customers they did not create");
	assert_string_equal(CUST(s, "name || '|' || industry", "c1"),
			    "Gao Yan|logistics");
	assert_string_equal(CUST(s, "name || '|' || created_by", "c3"),
			    "Fair lead 1|sue");
	tsm_store_free(s);
}

static void test_auth_team_data(void **state)
{
	static const top ops[] = {
	    {SA, 1, 1000, "ann", "policy", "report", "set", "effective_s",
	     J(60), ""},
	    {SL, 1, 1000, "lee", "policy", "report", "set", "effective_s",
	     J(90), ""},
	    {SM, 10, 1000, "mgr", "policy", "report", "set", "effective_s",
	     J(45), ""},
	    {SL, 2, 1100, "lee", "script", "opening", "create", "",
	     J({"greeting" : "Hello, this is Lee from the firm"}), ""},
	    {SA, 2, 1200, "ann", "script", "opening", "set", "greeting",
	     J("Hi"), SL ":2"},
	    {SA, 3, 1300, "ann", "member", "zed", "grant", "",
	     J({"role" : "agent"}), ""},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(status(s, SA, "1"),
			    "rejected: only a manager may change team data");
	assert_string_equal(status(s, SL, "1"),
			    "rejected: only a manager may change team data");
	assert_string_equal(q(s,
			      "SELECT value FROM policy WHERE id = "
			      "'report' AND field = 'effective_s'",
			      NULL),
			    "45");
	assert_string_equal(status(s, SL, "2"), "accepted");
	assert_string_equal(status(s, SA, "2"),
			    "rejected: only a lead or manager may edit "
			    "scripts");
	assert_string_equal(q(s,
			      "SELECT body FROM scripts WHERE name = "
			      "'opening'",
			      NULL),
			    "Hello, this is Lee from the firm");
	assert_string_equal(status(s, SA, "3"),
			    "rejected: only a manager may grant or revoke "
			    "roles");
	assert_string_equal(q(s,
			      "SELECT count(*) FROM members WHERE id = "
			      "'zed'",
			      NULL),
			    "0");
	assert_string_equal(q(s,
			      "SELECT count(*) FROM review WHERE kind = "
			      "'rejected' AND etype = 'member'",
			      NULL),
			    "1");
	tsm_store_free(s);
}

/* Roles count at the op's clock: a grant is valid only if its author was
 * the founder or a manager then; a revoked member's later ops fail. */
static void test_auth_roles_at_op_clock(void **state)
{
	static const top ops[] = {
	    {SL, 1, 2000, "lee", "member", "zed", "grant", "",
	     J({"role" : "agent"}), ""},
	    {SM, 10, 3000, "mgr", "member", "lee", "grant", "",
	     J({"role" : "manager"}), ""},
	    {SL, 2, 4000, "lee", "member", "kim", "grant", "",
	     J({"role" : "agent"}), ""},
	    {SM, 11, 5000, "mgr", "member", "bob", "revoke", "", NULL, ""},
	    {SB, 1, 4500, "bob", "customer", "c1", "create", "",
	     J({"name" : "Before revoke"}), ""},
	    {SB, 2, 5500, "bob", "customer", "c2", "create", "",
	     J({"name" : "After revoke"}), ""},
	    {SM, 12, 6000, "mgr", "member", "mgr", "revoke", "", NULL, ""},
	};
	tsm_store *s = scenario(ops, sizeof(ops) / sizeof(ops[0]));

	(void)state;
	assert_string_equal(status(s, SL, "1"),
			    "rejected: only a manager may grant or revoke "
			    "roles");
	assert_string_equal(status(s, SL, "2"), "accepted");
	assert_string_equal(q(s,
			      "SELECT role || active FROM members WHERE "
			      "id = 'kim'",
			      NULL),
			    "agent1");
	assert_string_equal(q(s,
			      "SELECT role || active FROM members WHERE "
			      "id = 'bob'",
			      NULL),
			    "agent0");
	assert_string_equal(status(s, SB, "1"), "accepted");
	assert_string_equal(status(s, SB, "2"), "rejected: not a team member");
	assert_string_equal(status(s, SM, "12"),
			    "rejected: the founder cannot be revoked");
	tsm_store_free(s);
}

/* Resolving is an op by a lead or manager; the item's status follows
 * from the log, whichever arrives first. */
static void test_review_resolve(void **state)
{
	static const top base[] = {
	    {SM, 10, 1000, "mgr", "customer", "c1", "create", "",
	     J({"name" : "Wang Fang"}), ""},
	    {SL, 1, 2000, "lee", "customer", "c1", "set", "name",
	     J("Wang Fang (Ms)"), SM ":10"},
	    {SM, 11, 3000, "mgr", "customer", "c1", "set", "name",
	     J("Wang Fang, CFO"), SM ":10"},
	};
	top ops[5];
	char rid[32];
	tsm_store *s;

	(void)state;
	s = scenario(base, 3);
	snprintf(rid, sizeof(rid), "%s",
		 q(s, "SELECT id FROM review WHERE kind = 'conflict'", NULL));
	assert_int_equal(strlen(rid), 17);
	tsm_store_free(s);
	memcpy(ops, base, sizeof(base));
	ops[3] = (top){SA,	  1,	    4000,
		       "ann",	  "review", rid,
		       "resolve", "",	    J({"choice" : "keep"}),
		       ""};
	ops[4] = (top){SL,
		       2,
		       4100,
		       "lee",
		       "review",
		       rid,
		       "resolve",
		       "",
		       J({"choice" : "keep", "note" : "checked with client"}),
		       ""};
	s = scenario(ops, 5);
	assert_string_equal(status(s, SA, "1"),
			    "rejected: only a lead or manager may resolve "
			    "review items");
	assert_string_equal(q(s,
			      "SELECT status || ' ' || resolved_by || ' ' || "
			      "choice FROM review WHERE id = ?1",
			      rid, NULL),
			    "resolved " SL ":2 keep");
	assert_string_equal(CUST(s, "name", "c1"), "Wang Fang, CFO");
	tsm_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_fields_lww_conflict),
	    cmocka_unit_test(test_plain_causally_later_wins),
	    cmocka_unit_test(test_appends_never_conflict_amend),
	    cmocka_unit_test(test_stage_causally_later_wins),
	    cmocka_unit_test(test_stage_concurrent_more_advanced_wins),
	    cmocka_unit_test(test_stage_won_vs_lost),
	    cmocka_unit_test(test_dnc_sticky_only_manager_clears),
	    cmocka_unit_test(test_dnc_manager_clears),
	    cmocka_unit_test(test_dnc_set_concurrent_with_clear_wins),
	    cmocka_unit_test(test_dnc_list_and_violation),
	    cmocka_unit_test(test_owner_agent_rejected),
	    cmocka_unit_test(test_owner_concurrent_reassign),
	    cmocka_unit_test(test_followup_done_beats_concurrent_reschedule),
	    cmocka_unit_test(test_followup_reschedule_after_done_reopens),
	    cmocka_unit_test(test_delete_beats_concurrent_edit),
	    cmocka_unit_test(test_restore_by_creator),
	    cmocka_unit_test(test_duplicate_phone_queued),
	    cmocka_unit_test(test_merge_reparents_and_resolves),
	    cmocka_unit_test(test_auth_not_member_and_auditor),
	    cmocka_unit_test(test_auth_agent_owner_at_clock),
	    cmocka_unit_test(test_auth_assistant),
	    cmocka_unit_test(test_auth_team_data),
	    cmocka_unit_test(test_auth_roles_at_op_clock),
	    cmocka_unit_test(test_review_resolve),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
