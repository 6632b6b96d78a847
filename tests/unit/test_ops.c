/* tests/unit/test_ops.c — the op log's API: local appends (supersedes,
 * authorization pre-check, canonical values), export and apply of op sets
 * (round trip, idempotency, strict validation, stats), the review queue API,
 * export cursors, op listing and canonical JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "store_internal.h"
#include "testutil.h"
#include "tsm/ops.h"
#include "tsm/review.h"

#define T0 1795000000000LL

static int store_no;

static tsm_store *new_store(const char *member, const char *name)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	char tag[32];
	tsm_store *s;

	snprintf(tag, sizeof(tag), "ops%d", store_no++);
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	if (member)
		assert_int_equal(tsm_identity_create(s, member, name), 0);
	return s;
}

static char qbuf[4][1024];
static int qn;

/* First column of the first row, "(none)" or "NULL". */
static const char *q(tsm_store *s, const char *sql, const char *arg)
{
	char *out = qbuf[qn++ % 4];
	sqlite3_stmt *st;
	const char *v;

	assert_int_equal(
	    sqlite3_prepare_v2(tsm_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		snprintf(out, 1024, "(none)");
	else if ((v = (const char *)sqlite3_column_text(st, 0)) == NULL)
		snprintf(out, 1024, "NULL");
	else
		snprintf(out, 1024, "%s", v);
	sqlite3_finalize(st);
	return out;
}

static void append1(tsm_store *s, tsm_opid *id, const char *etype,
		    const char *eid, const char *action, const char *field,
		    const char *value)
{
	tsm_op_spec spec = {etype, eid, action, field, value};

	if (tsm_ops_append(id, s, &spec, 1) != 0)
		fail_msg("append %s %s %s: %s", etype, action,
			 field ? field : "", tsm_error_last()->message);
}

/* A founded team: mgr (manager) with customers and a conflict. */
static tsm_store *founded(void)
{
	tsm_store *s = new_store("mgr", "Mei Lin");

	tsm_clock_set_now(T0);
	assert_int_equal(tsm_team_found(s, "t1", "Sales", NULL), 0);
	return s;
}

static void test_team_found(void **state)
{
	tsm_store *s = founded(), *t = new_store(NULL, NULL);

	(void)state;
	assert_string_equal(q(s,
			      "SELECT id || ' ' || name || ' ' || founder "
			      "FROM team",
			      NULL),
			    "t1 Sales mgr");
	assert_string_equal(q(s,
			      "SELECT role || active || name FROM members "
			      "WHERE id = 'mgr'",
			      NULL),
			    "manager1Mei Lin");
	assert_int_equal(tsm_team_found(s, NULL, "Again", NULL), TSM_EEXISTS);
	/* no identity yet: no team either */
	assert_true(tsm_team_found(t, NULL, "Sales", NULL) < 0);
	tsm_store_free(s);
	tsm_store_free(t);
}

static void test_append_supersedes_and_canonical(void **state)
{
	tsm_store *s = founded();
	tsm_opid c, a, b, d, n1;
	char id[TSM_OPID_MAX], want[256];
	tsm_op *ops;
	size_t n;

	(void)state;
	append1(s, &c, "customer", "c1", "create", NULL,
		"{ \"phone\": \"+8613800000001\",\n \"name\" : \"Li Lei\" }");
	append1(s, &a, "customer", "c1", "set", "name", "\"Li Lei (Mr)\"");
	append1(s, &b, "customer", "c1", "set", "name", "\"Li Lei, CEO\"");
	append1(s, &n1, "customer", "c1", "append", "note",
		"{\"text\":\"met at the fair\"}");
	append1(s, &d, "customer", "c1", "set", "company", "null");
	/* values stored canonically; JSON null as no value */
	assert_string_equal(
	    q(s,
	      "SELECT value FROM ops WHERE action = "
	      "'create' AND eid = 'c1'",
	      NULL),
	    "{\"name\":\"Li Lei\",\"phone\":\"+8613800000001\"}");
	assert_string_equal(q(s,
			      "SELECT coalesce(value, 'no value') FROM ops "
			      "WHERE field = 'company'",
			      NULL),
			    "no value");
	/* a set supersedes its field's heads and the lifecycle heads */
	assert_string_equal(
	    q(s, "SELECT supersedes FROM ops WHERE seq = ?1", "4"),
	    tsm_opid_format(id, &c));
	snprintf(want, sizeof(want), "%s:%d %s:%d", c.site, (int)c.seq, a.site,
		 (int)a.seq);
	assert_string_equal(q(s,
			      "SELECT supersedes FROM ops WHERE seq = "
			      "CAST(?1 AS INTEGER)",
			      "5"),
			    want);
	assert_int_equal(b.seq, 5);
	/* an append supersedes the lifecycle heads only */
	assert_string_equal(
	    q(s, "SELECT supersedes FROM ops WHERE seq = 6", NULL),
	    tsm_opid_format(id, &c));
	assert_string_equal(
	    q(s, "SELECT name FROM customers WHERE id = 'c1'", NULL),
	    "Li Lei, CEO");
	assert_string_equal(q(s, "SELECT status FROM ops WHERE seq = 4", NULL),
			    "superseded");
	/* a delete (lifecycle) supersedes every head: the create (a set on
	 * name does not end it), the name, the note, the company */
	append1(s, NULL, "customer", "c1", "delete", NULL, NULL);
	assert_string_equal(q(s,
			      "SELECT supersedes FROM ops WHERE action = "
			      "'delete'",
			      NULL),
			    q(s,
			      "SELECT group_concat(site || ':' || seq, ' ') "
			      "FROM (SELECT site, seq FROM ops WHERE seq IN "
			      "(3, 5, 6, 7) ORDER BY seq)",
			      NULL));
	/* after it, a set sees the delete as the lifecycle head */
	append1(s, NULL, "customer", "c1", "restore", NULL, NULL);
	append1(s, NULL, "customer", "c1", "set", "needs", "\"a will\"");
	assert_string_equal(q(s,
			      "SELECT supersedes FROM ops WHERE field = "
			      "'needs'",
			      NULL),
			    q(s,
			      "SELECT site || ':' || seq FROM ops WHERE "
			      "action = 'restore'",
			      NULL));
	assert_int_equal(tsm_ops_list(&ops, &n, s, "customer", "c1"), 0);
	assert_int_equal(n, 8);
	assert_string_equal(ops[0].action, "create");
	assert_string_equal(ops[5].action, "delete");
	assert_true(ops[0].hlc < ops[1].hlc);
	assert_string_equal(ops[1].status, "superseded");
	tsm_ops_list_free(ops, n);
	tsm_clock_set_now(0);
	tsm_store_free(s);
}

/* The supersedes of every op, with the writing site as "S", by seq. */
static const char SQL_SUPS[] =
    "SELECT group_concat(seq || '=' || replace(supersedes, site, 'S'), ';') "
    "FROM (SELECT seq, site, supersedes FROM ops WHERE etype = 'customer' "
    "ORDER BY seq)";

/* Many ops on one entity in one append: an entity new in the call has its
 * heads taken from memory, one held before from the store. Either way the
 * supersedes are those of the same ops appended one call at a time. */
static void test_append_batch_supersedes(void **state)
{
	static const tsm_op_spec specs[] = {
	    {"customer", "c0", "set", "name", "\"Old One\""},
	    {"customer", "c1", "create", NULL, "{\"name\":\"Li Lei\"}"},
	    {"customer", "c1", "set", "name", "\"Li Lei (Mr)\""},
	    {"customer", "c0", "append", "note", "{\"text\":\"again\"}"},
	    {"customer", "c1", "set", "name", "\"Li Lei, CEO\""},
	    {"customer", "c1", "append", "note", "{\"text\":\"fair\"}"},
	    {"customer", "c1", "set", "company", "\"Acme\""},
	    {"customer", "c1", "delete", NULL, NULL},
	    {"customer", "c1", "restore", NULL, NULL},
	    {"customer", "c1", "set", "needs", "\"a will\""},
	    {"customer", "c0", "set", "name", "\"Old Two\""},
	};
	tsm_store *one = founded(), *many = founded();
	char want[1024];
	size_t i;

	(void)state;
	append1(one, NULL, "customer", "c0", "create", NULL,
		"{\"name\":\"Old\"}");
	append1(many, NULL, "customer", "c0", "create", NULL,
		"{\"name\":\"Old\"}");
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		append1(one, NULL, specs[i].etype, specs[i].eid,
			specs[i].action, specs[i].field, specs[i].value);
	assert_int_equal(
	    tsm_ops_append(NULL, many, specs, sizeof(specs) / sizeof(specs[0])),
	    0);
	snprintf(want, sizeof(want), "%s", q(one, SQL_SUPS, NULL));
	assert_string_equal(q(many, SQL_SUPS, NULL), want);
	/* and not trivially (seqs 1-2 found the team, 3 creates c0, 5
	 * c1): the delete supersedes c1's create, last name, note and
	 * company; the restore the delete; the last name of c0 its create
	 * and first name */
	assert_non_null(strstr(want, ";11=S:5 S:8 S:9 S:10;"));
	assert_non_null(strstr(want, ";12=S:11;"));
	assert_non_null(strstr(want, ";14=S:3 S:4"));
	tsm_clock_set_now(0);
	tsm_store_free(one);
	tsm_store_free(many);
}

/* A store whose member is the agent ann, with the roster from mgr. */
static tsm_store *agent_store(tsm_store *mgr)
{
	tsm_store *s = new_store("ann", "Ann Wu");
	tsm_apply_stats st;
	char *json;
	size_t len;

	append1(mgr, NULL, "member", "ann", "grant", NULL,
		"{\"role\":\"agent\",\"name\":\"Ann Wu\"}");
	assert_int_equal(tsm_ops_export(&json, &len, mgr, NULL, 1, 0, 0), 0);
	assert_int_equal(tsm_ops_apply_json(&st, s, json, len), 0);
	tsm_apply_stats_dispose(&st);
	free(json);
	return s;
}

static void test_append_precheck_refuses(void **state)
{
	tsm_store *m = founded(), *s = agent_store(m);
	tsm_op_spec specs[2] = {
	    {"customer", "c7", "create", NULL, "{\"name\":\"Zhou\"}"},
	    {"customer", "c7", "set", "owner", "\"ann\""},
	};
	char before[65], after[65];
	tsm_opid id;

	(void)state;
	assert_int_equal(tsm_state_hash(before, s), 0);
	/* the second op would be rejected: nothing of the call is written */
	assert_int_equal(tsm_ops_append(NULL, s, specs, 2), TSM_EPERM);
	assert_string_equal(tsm_error_last()->message,
			    "only a lead or manager may assign");
	assert_int_equal(tsm_state_hash(after, s), 0);
	assert_string_equal(before, after);
	assert_string_equal(q(s,
			      "SELECT count(*) FROM ops WHERE author = "
			      "'ann'",
			      NULL),
			    "0");
	/* the customer alone is fine; the seq was not consumed */
	assert_int_equal(tsm_ops_append(&id, s, specs, 1), 0);
	assert_int_equal(id.seq, 1);
	/* a clear of do-not-call by an agent is refused */
	append1(s, NULL, "customer", "c7", "set", "dnc", "true");
	specs[0] = (tsm_op_spec){"customer", "c7", "set", "dnc", "false"};
	assert_int_equal(tsm_ops_append(NULL, s, specs, 1), TSM_EPERM);
	assert_string_equal(tsm_error_last()->message,
			    "only a manager may clear do-not-call");
	/* malformed specs are TSM_EINVALID */
	specs[0] = (tsm_op_spec){"customer", "c7", "set", "name", "{bad"};
	assert_int_equal(tsm_ops_append(NULL, s, specs, 1), TSM_EINVALID);
	specs[0] = (tsm_op_spec){"Customer!", "c7", "set", "name", "\"x\""};
	assert_int_equal(tsm_ops_append(NULL, s, specs, 1), TSM_EINVALID);
	tsm_clock_set_now(0);
	tsm_store_free(s);
	tsm_store_free(m);
}

/* Export, apply elsewhere, apply again: the same state, nothing new. */
static void test_export_apply_idempotent(void **state)
{
	tsm_store *a = founded(), *b = new_store(NULL, NULL);
	char ha[65], hb[65], *json, *json2;
	tsm_apply_stats st;
	size_t len, len2;

	(void)state;
	append1(a, NULL, "customer", "c1", "create", NULL,
		"{\"name\":\"Li Lei\",\"phone\":\"+8613800000001\"}");
	append1(a, NULL, "customer", "c1", "append", "call",
		"{\"outcome\":\"interested\",\"duration_s\":120}");
	append1(a, NULL, "followup", "f1", "create", NULL,
		"{\"customer\":\"c1\",\"due\":1795086400000,"
		"\"kind\":\"callback\"}");
	append1(a, NULL, "policy", "report", "set", "effective_s", "60");
	assert_int_equal(tsm_ops_export(&json, &len, a, NULL, 1, 0, 0), 0);
	assert_int_equal(strlen(json), len);
	assert_int_equal(tsm_ops_apply_json(&st, b, json, len), 0);
	assert_int_equal(st.received, 6);
	assert_int_equal(st.applied, 6);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.rejected, 0);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.nauthors, 1);
	assert_string_equal(st.authors[0].member, "mgr");
	assert_int_equal(st.authors[0].ops, 6);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(tsm_state_hash(ha, a), 0);
	assert_int_equal(tsm_state_hash(hb, b), 0);
	assert_string_equal(ha, hb);
	/* canonical: the other replica exports the same bytes */
	assert_int_equal(tsm_ops_export(&json2, &len2, b, NULL, 1, 0, 0), 0);
	assert_string_equal(json, json2);
	free(json2);
	/* idempotent, both ways */
	assert_int_equal(tsm_ops_apply_json(&st, b, json, len), 0);
	assert_int_equal(st.applied, 0);
	assert_int_equal(st.duplicates, 6);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(tsm_ops_apply_json(&st, a, json, len), 0);
	assert_int_equal(st.duplicates, 6);
	tsm_apply_stats_dispose(&st);
	assert_int_equal(tsm_state_hash(hb, b), 0);
	assert_string_equal(ha, hb);
	assert_int_equal(tsm_state_hash(hb, a), 0);
	assert_string_equal(ha, hb);
	free(json);
	/* a range of one site */
	assert_int_equal(tsm_ops_export(&json, &len, a,
					q(a, "SELECT site FROM ops", NULL), 2,
					3, 0),
			 0);
	assert_non_null(strstr(json, "\"seq\":2,"));
	assert_non_null(strstr(json, "\"seq\":3,"));
	assert_null(strstr(json, "\"seq\":4,"));
	free(json);
	tsm_clock_set_now(0);
	tsm_store_free(a);
	tsm_store_free(b);
}

#define OP(site, seq, hlc, extra)                                              \
	"{\"site\":\"" site "\",\"seq\":" #seq ",\"hlc\":\"" hlc "\","         \
	"\"author\":\"mgr\",\"etype\":\"policy\",\"eid\":\"p\",\"action\":"    \
	"\"set\",\"field\":\"f\",\"value\":1,\"supersedes\":[]" extra "}"
#define SITE "aaaa000000000001"
#define HLC "0001a1ee4b58c000"

static void test_apply_rejects_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{}",
	    "[1]",
	    "[" OP(SITE, 1, HLC, "") ",",
	    "[" OP(SITE, 1, HLC, "") "] x",
	    "[" OP(SITE, 1, HLC, ",\"extra\":1") "]",
	    "[" OP("AAAA000000000001", 1, HLC, "") "]",
	    "[" OP("aaaa00000000001", 1, HLC, "") "]",
	    "[" OP(SITE, 0, HLC, "") "]",
	    "[" OP(SITE, 1.5, HLC, "") "]",
	    "[" OP(SITE, 1, "12", "") "]",
	    "[" OP(SITE, 1, "0000000000000000", "") "]",
	    "[{\"site\":\"" SITE "\",\"seq\":1,\"hlc\":\"" HLC "\","
	    "\"author\":\"Mgr!\",\"etype\":\"policy\",\"eid\":\"p\","
	    "\"action\":\"set\",\"field\":\"f\",\"value\":1,"
	    "\"supersedes\":[]}]",
	    "[{\"site\":\"" SITE "\",\"seq\":1,\"hlc\":\"" HLC "\","
	    "\"author\":\"mgr\",\"etype\":\"policy\",\"eid\":\"p\","
	    "\"action\":\"set\",\"field\":\"f\",\"value\":1,"
	    "\"supersedes\":[\"nope\"]}]",
	    "[{\"site\":\"" SITE "\",\"seq\":1,\"hlc\":\"" HLC "\","
	    "\"author\":\"mgr\",\"etype\":\"policy\",\"eid\":\"\","
	    "\"action\":\"set\",\"field\":\"f\",\"value\":1,"
	    "\"supersedes\":[]}]",
	    "[{\"site\":\"" SITE "\",\"seq\":1,\"hlc\":\"" HLC "\","
	    "\"author\":\"mgr\",\"etype\":\"policy\",\"eid\":\"p\","
	    "\"action\":\"set\",\"field\":\"f\",\"value\":{\"a\":1,"
	    "\"a\":2},\"supersedes\":[]}]",
	    "[{\"site\":\"" SITE "\",\"seq\":1,\"hlc\":\"" HLC "\","
	    "\"author\":\"mgr\",\"etype\":\"policy\",\"eid\":\"p\","
	    "\"action\":\"set\",\"field\":\"f\",\"value\":\"\xff\","
	    "\"supersedes\":[]}]",
	};
	/* one good op first: a bad set applies nothing at all */
	char buf[2048];
	tsm_store *s = new_store(NULL, NULL);
	tsm_apply_stats st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i][0] == '[')
			snprintf(buf, sizeof(buf),
				 "[" OP(SITE, 9, HLC, "") ",%s", bad[i] + 1);
		else
			snprintf(buf, sizeof(buf), "%s", bad[i]);
		if (tsm_ops_apply_json(&st, s, buf, strlen(buf)) !=
		    TSM_EINVALID)
			fail_msg("accepted bad op set %zu: %s", i, buf);
		assert_int_equal(st.applied, 0);
		assert_true(
		    strncmp(tsm_error_last()->message, "bad op set", 10) == 0);
	}
	assert_string_equal(q(s, "SELECT count(*) FROM ops", NULL), "0");
	/* any key order and whitespace is fine */
	snprintf(buf, sizeof(buf),
		 "[ {\"supersedes\": [], \"value\": {\"b\": 2, \"a\": [1, "
		 "2.5]}, \"field\": \"f\", \"action\": \"set\", \"eid\": \"p\","
		 " \"etype\": \"policy\", \"author\": \"mgr\", \"hlc\": \"%s\","
		 " \"seq\": 3, \"site\": \"%s\"} ]",
		 HLC, SITE);
	assert_int_equal(tsm_ops_apply_json(&st, s, buf, strlen(buf)), 0);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.gaps, 1); /* seq 3 without 1 and 2 */
	/* no team: the op is kept, rejected, and queued */
	assert_int_equal(st.rejected, 1);
	tsm_apply_stats_dispose(&st);
	assert_string_equal(q(s,
			      "SELECT value || ' ' || status || ': ' || "
			      "reason FROM ops",
			      NULL),
			    "{\"a\":[1,2.5],\"b\":2} rejected: not a team "
			    "member");
	tsm_store_free(s);
}

static void test_review_api(void **state)
{
	tsm_store *m = founded(), *s;
	tsm_review_filter f = TSM_REVIEW_FILTER_INIT;
	tsm_review_item *items;
	tsm_apply_stats st;
	char rid[TSM_REVIEW_ID_MAX], prefix[8], *json;
	size_t n, len, open;
	tsm_opid r;

	(void)state;
	s = agent_store(m);
	/* ann's customer; ann and mgr edit its name concurrently */
	append1(s, NULL, "customer", "c1", "create", NULL,
		"{\"name\":\"Wang Fang\"}");
	assert_int_equal(tsm_ops_export(&json, &len, s, NULL, 1, 0, 0), 0);
	assert_int_equal(tsm_ops_apply_json(&st, m, json, len), 0);
	tsm_apply_stats_dispose(&st);
	free(json);
	tsm_clock_set_now(T0 + 1000);
	append1(s, NULL, "customer", "c1", "set", "name", "\"Wang F.\"");
	append1(m, NULL, "customer", "c1", "set", "name", "\"Ms Wang\"");
	assert_int_equal(tsm_ops_export(&json, &len, s, NULL, 1, 0, 0), 0);
	assert_int_equal(tsm_ops_apply_json(&st, m, json, len), 0);
	assert_int_equal(st.reviews_added, 1);
	tsm_apply_stats_dispose(&st);
	free(json);
	assert_int_equal(tsm_review_count_open(&open, m), 0);
	assert_int_equal(open, 1);
	f.open_only = 1;
	f.kind = TSM_REVIEW_CONFLICT;
	assert_int_equal(tsm_review_list(&items, &n, m, &f), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].etype, "customer");
	assert_string_equal(items[0].eid, "c1");
	assert_string_equal(items[0].field, "name");
	assert_true(items[0].open);
	assert_null(items[0].resolved_by);
	assert_non_null(strstr(items[0].detail, "\"Wang F.\""));
	assert_non_null(strstr(items[0].detail, "\"Ms Wang\""));
	snprintf(rid, sizeof(rid), "%s", items[0].id);
	tsm_review_list_free(items, n);
	f.kind = TSM_REVIEW_VIOLATION;
	assert_int_equal(tsm_review_list(&items, &n, m, &f), 0);
	assert_int_equal(n, 0);
	tsm_review_list_free(items, n);
	/* an agent may not resolve; a manager may, by a prefix */
	assert_int_equal(tsm_ops_export(&json, &len, m, NULL, 1, 0, 0), 0);
	assert_int_equal(tsm_ops_apply_json(&st, s, json, len), 0);
	tsm_apply_stats_dispose(&st);
	free(json);
	assert_int_equal(tsm_review_resolve(NULL, s, rid, "keep", NULL),
			 TSM_EPERM);
	assert_int_equal(tsm_review_resolve(NULL, m, "rzzz", "keep", NULL),
			 TSM_ENOTFOUND);
	snprintf(prefix, sizeof(prefix), "%.6s", rid);
	assert_int_equal(
	    tsm_review_resolve(&r, m, prefix, "Ms Wang", "asked the client"),
	    0);
	f = (tsm_review_filter)TSM_REVIEW_FILTER_INIT;
	f.id = rid;
	assert_int_equal(tsm_review_list(&items, &n, m, &f), 0);
	assert_int_equal(n, 1);
	assert_false(items[0].open);
	assert_string_equal(items[0].choice, "Ms Wang");
	assert_int_equal(items[0].resolved_by[TSM_SITE_LEN], ':');
	tsm_review_list_free(items, n);
	assert_int_equal(tsm_review_count_open(&open, m), 0);
	assert_int_equal(open, 0);
	assert_string_equal(q(m, "SELECT note FROM review_res", NULL),
			    "asked the client");
	tsm_clock_set_now(0);
	tsm_store_free(s);
	tsm_store_free(m);
}

static void test_export_pending_cursor(void **state)
{
	tsm_store *s = founded();
	int64_t last, cur;
	char *json;
	size_t len;

	(void)state;
	assert_int_equal(tsm_ops_export_pending(&json, &len, &last, s), 0);
	assert_int_equal(last, 2); /* team create and grant */
	assert_non_null(strstr(json, "\"seq\":1,"));
	free(json);
	assert_int_equal(
	    tsm_ops_cursor_set(s, q(s, "SELECT site FROM ops", NULL), last), 0);
	append1(s, NULL, "policy", "report", "set", "effective_s", "30");
	assert_int_equal(tsm_ops_export_pending(&json, &len, &last, s), 0);
	assert_int_equal(last, 3);
	assert_null(strstr(json, "\"seq\":2,"));
	assert_non_null(strstr(json, "\"seq\":3,"));
	free(json);
	assert_int_equal(
	    tsm_ops_cursor_get(&cur, s, q(s, "SELECT site FROM ops", NULL)), 0);
	assert_int_equal(cur, 2);
	assert_int_equal(
	    tsm_ops_max_seq(&cur, s, q(s, "SELECT site FROM ops", NULL)), 0);
	assert_int_equal(cur, 3);
	tsm_clock_set_now(0);
	tsm_store_free(s);
}

static void test_canonical_json(void **state)
{
	char *out, buf[32];
	tsm_json *v;
	int64_t x;
	const char *in = " {\"b\" : [true, null, -0, 1e3, 1795000000000, "
			 "0.5, \"\\u00e9\\n\"], \"a\":{}}";

	(void)state;
	assert_int_equal(tsm_json_canonical(&out, in, strlen(in)), 0);
	assert_string_equal(out, "{\"a\":{},\"b\":[true,null,0,1000,"
				 "1795000000000,0.5,\"\xc3\xa9\\n\"]}");
	free(out);
	assert_int_equal(tsm_json_canonical(&out, "{\"a\":1,\"a\":2}", 13),
			 TSM_EINVALID);
	assert_int_equal(tsm_json_canonical(&out, "[1] [2]", 7), TSM_EINVALID);
	assert_int_equal(tsm_json_canonical(&out, "\"\xc0\xaf\"", 4),
			 TSM_EINVALID);
	assert_int_equal(tsm_json_parse(&v, "9007199254740994", 16), 0);
	assert_int_equal(tsm_json_int(&x, v), TSM_EINVALID);
	tsm_json_free(v);
	assert_int_equal(tsm_json_peek_string(buf, sizeof(buf),
					      "{\"amount_fen\":5,\"customer\":"
					      "\"c1\",\"x\":{\"customer\":"
					      "\"no\"}}",
					      "customer"),
			 1);
	assert_string_equal(buf, "c1");
	assert_int_equal(tsm_json_peek_string(buf, sizeof(buf),
					      "{\"x\":{\"customer\":\"no\"}}",
					      "customer"),
			 0);
	assert_int_equal(tsm_json_peek_string(buf, sizeof(buf),
					      "{\"customer\":\"a\\\"b\"}",
					      "customer"),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_team_found),
	    cmocka_unit_test(test_append_supersedes_and_canonical),
	    cmocka_unit_test(test_append_batch_supersedes),
	    cmocka_unit_test(test_append_precheck_refuses),
	    cmocka_unit_test(test_export_apply_idempotent),
	    cmocka_unit_test(test_apply_rejects_malformed),
	    cmocka_unit_test(test_review_api),
	    cmocka_unit_test(test_export_pending_cursor),
	    cmocka_unit_test(test_canonical_json),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
