/* tests/unit/test_audit.c — the core audit: one customer's history from ops
 * with explicit clocks and supersedes (old -> new values, statuses, reasons,
 * roles and names at each op's clock, follow-ups, merges and review
 * resolutions included), the filters, blame with a conflict's other head,
 * the batch column from audit_batches, and signed exports: both formats
 * check, every single-bit change anywhere fails, unknown keys are named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "audit_internal.h"
#include "store_internal.h"
#include "testutil.h"
#include "tsm/audit.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/review.h"

#define T0 1795000000000LL
#define SL "bbbb000000000002" /* lee: agent, then lead */
#define SA "cccc000000000003" /* ann: agent */
#define SD "dddd000000000004" /* mgr's second device */
#define J(...) #__VA_ARGS__

static char SM[TSM_SITE_LEN + 1]; /* mgr: this replica's own site */

typedef struct top {
	const char *site;
	int seq;
	int64_t ms; /* offset from T0 */
	const char *author, *etype, *eid, *action, *field;
	const char *value; /* JSON or NULL */
	const char *sup;   /* "site:seq site:seq" */
} top;

static void apply(tsm_store *s, const top *ops, size_t n)
{
	size_t cap = 4096 + n * 1024, i;
	char *buf = malloc(cap), *p = buf, sup[512], *q;
	const char *t, *sp;
	tsm_apply_stats st;
	size_t len;

	assert_non_null(buf);
	*p++ = '[';
	for (i = 0; i < n; i++) {
		const top *o = &ops[i];

		q = sup;
		*q = '\0';
		for (t = o->sup; t && *t; t = sp ? sp + 1 : NULL) {
			sp = strchr(t, ' ');
			len = sp ? (size_t)(sp - t) : strlen(t);
			q += snprintf(q, sizeof(sup) - (size_t)(q - sup),
				      "%s\"%.*s\"", q == sup ? "" : ",",
				      (int)len, t);
		}
		p += snprintf(
		    p, cap - (size_t)(p - buf),
		    "%s{\"site\":\"%s\",\"seq\":%d,\"hlc\":\"%016llx\","
		    "\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
		    "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
		    "\"supersedes\":[%s]}",
		    i ? "," : "", o->site, o->seq,
		    (unsigned long long)(((uint64_t)(T0 + o->ms)) << 16),
		    o->author, o->etype, o->eid, o->action, o->field,
		    o->value ? o->value : "null", sup);
	}
	*p++ = ']';
	*p = '\0';
	if (tsm_ops_apply_json(&st, s, buf, (size_t)(p - buf)) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	tsm_apply_stats_dispose(&st);
	free(buf);
}

static tsm_store *fresh(const char *tag, const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_identity me;
	tsm_store *s;

	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, "Mei Lin"), 0);
	assert_int_equal(tsm_identity_get(&me, s), 0);
	memcpy(SM, me.site, sizeof(SM));
	return s;
}

#define S_(site, seq) site ":" #seq

/* The history every test reads: see the comments for what each op is. */
static tsm_store *history(const char *tag)
{
	char m1[40], m2[40], m4[40], m5[40], m8[40], m9[40], m10[40];
	tsm_store *s = fresh(tag, "mgr");

	snprintf(m1, sizeof(m1), "%s:1", SM);
	snprintf(m2, sizeof(m2), "%s:2", SM);
	snprintf(m4, sizeof(m4), "%s:4", SM);
	snprintf(m5, sizeof(m5), "%s:5", SM);
	snprintf(m8, sizeof(m8), "%s:8", SM);
	snprintf(m9, sizeof(m9), "%s:9", SM);
	snprintf(m10, sizeof(m10), "%s:10", SM);
	{
		const top ops[] = {
		    {SM, 1, 0, "mgr", "team", "t1", "create", "",
		     J({"name" : "Sales", "founder" : "mgr"}), ""},
		    {SM, 2, 1, "mgr", "member", "mgr", "grant", "",
		     J({"role" : "manager", "name" : "Mei Lin"}), m1},
		    {SM, 3, 2, "mgr", "member", "lee", "grant", "",
		     J({"role" : "agent", "name" : "Lee Agent"}), ""},
		    {SM, 4, 3, "mgr", "member", "ann", "grant", "",
		     J({"role" : "agent", "name" : "Ann Agent"}), ""},
		    /* the customer, assigned to lee */
		    {SM, 5, 2000, "mgr", "customer", "c1", "create", "",
		     J({"name" : "Alpha", "phone" : "+8613800000001"}), ""},
		    {SM, 6, 2001, "mgr", "customer", "c1", "set", "owner",
		     J("lee"), m5},
		    /* lee edits company twice; ann (no owner) is rejected */
		    {SL, 1, 3000, "lee", "customer", "c1", "set", "company",
		     J("Lee Co"), m5},
		    {SA, 1, 4000, "ann", "customer", "c1", "set", "company",
		     J("Ann Co"), m5},
		    {SL, 2, 5000, "lee", "customer", "c1", "set", "company",
		     J("Lee Co 2"), S_(SL, 1)},
		    /* lee becomes a lead (a later grant, also a rename) */
		    {SM, 7, 6000, "mgr", "member", "lee", "grant", "",
		     J({"role" : "lead", "name" : "Lee Lead"}), ""},
		    {SL, 3, 7000, "lee", "customer", "c1", "set", "region",
		     J("North"), m5},
		    /* a needs conflict: lee vs mgr's other device */
		    {SL, 4, 8000, "lee", "customer", "c1", "set", "needs",
		     J("X"), m5},
		    {SD, 1, 9000, "mgr", "customer", "c1", "set", "needs",
		     J("Y"), m5},
		    /* a follow-up, rescheduled */
		    {SM, 8, 10000, "mgr", "followup", "f1", "create", "", J({
			     "customer" : "c1",
			     "due" : 1795086400000,
			     "kind" : "callback"
		     }),
		     ""},
		    {SM, 9, 11000, "mgr", "followup", "f1", "set", "due",
		     "1795172800000", m8},
		    /* c2 merged into c1 */
		    {SM, 10, 12000, "mgr", "customer", "c2", "create", "",
		     J({"name" : "Beta", "phone" : "+8613800000002"}), ""},
		    {SM, 11, 12001, "mgr", "customer", "c2", "merge", "",
		     J({"into" : "c1"}), m10},
		};

		(void)m2;
		(void)m4;
		(void)m9;
		apply(s, ops, sizeof(ops) / sizeof(ops[0]));
	}
	return s;
}

/* "site:seq" of one of mgr's ops. */
static const char *mid(int seq)
{
	static char buf[8][40];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, 40, "%s:%d", SM, seq);
	return b;
}

static void expect_row(const tsm_audit_row *r, const char *id,
		       const char *author, const char *role, const char *name,
		       const char *action, const char *field, const char *old,
		       const char *new_value, const char *status)
{
	assert_string_equal(r->id, id);
	assert_string_equal(r->author, author);
	assert_string_equal(r->role, role);
	if (name)
		assert_string_equal(r->name, name);
	else
		assert_null(r->name);
	assert_string_equal(r->action, action);
	assert_string_equal(r->field, field);
	if (old)
		assert_string_equal(r->old_value, old);
	else
		assert_null(r->old_value);
	if (new_value)
		assert_string_equal(r->new_value, new_value);
	else
		assert_null(r->new_value);
	assert_string_equal(r->status, status);
}

static void test_log_history(void **state)
{
	tsm_store *s = history("audit-log");
	tsm_audit_row *r = NULL;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", NULL), 0);
	assert_int_equal(n, 11);
	expect_row(&r[0], mid(5), "mgr", "manager", "Mei Lin", "create", "",
		   NULL, "{\"name\":\"Alpha\",\"phone\":\"+8613800000001\"}",
		   "accepted");
	expect_row(&r[1], mid(6), "mgr", "manager", "Mei Lin", "set", "owner",
		   NULL, "\"lee\"", "accepted");
	expect_row(&r[2], SL ":1", "lee", "agent", "Lee Agent", "set",
		   "company", NULL, "\"Lee Co\"", "superseded");
	expect_row(&r[3], SA ":1", "ann", "agent", "Ann Agent", "set",
		   "company", "\"Lee Co\"", "\"Ann Co\"", "rejected");
	assert_string_equal(r[3].reason,
			    "the agent neither created nor owns this customer");
	/* the rejected op does not count as the value before */
	expect_row(&r[4], SL ":2", "lee", "agent", "Lee Agent", "set",
		   "company", "\"Lee Co\"", "\"Lee Co 2\"", "accepted");
	/* after the second grant: the role and name at that clock */
	expect_row(&r[5], SL ":3", "lee", "lead", "Lee Lead", "set", "region",
		   NULL, "\"North\"", "accepted");
	expect_row(&r[6], SL ":4", "lee", "lead", "Lee Lead", "set", "needs",
		   NULL, "\"X\"", "superseded");
	/* the winner of the conflict shows the earlier loser as old */
	expect_row(&r[7], SD ":1", "mgr", "manager", "Mei Lin", "set", "needs",
		   "\"X\"", "\"Y\"", "accepted");
	expect_row(&r[8], mid(8), "mgr", "manager", "Mei Lin", "create", "",
		   NULL,
		   "{\"customer\":\"c1\",\"due\":1795086400000,"
		   "\"kind\":\"callback\"}",
		   "accepted");
	assert_string_equal(r[8].etype, "followup");
	assert_string_equal(r[8].eid, "f1");
	expect_row(&r[9], mid(9), "mgr", "manager", "Mei Lin", "set", "due",
		   "1795086400000", "1795172800000", "accepted");
	expect_row(&r[10], mid(11), "mgr", "manager", "Mei Lin", "merge", "",
		   NULL, "{\"into\":\"c1\"}", "accepted");
	assert_string_equal(r[10].eid, "c2");
	for (i = 0; i < n; i++) {
		assert_string_equal(r[i].customer, "c1");
		assert_int_equal(r[i].at, (int64_t)(r[i].hlc >> 16));
		assert_string_equal(r[i].batch, "");
		/* this replica's ops are its own; the others arrived without
		 * a verified batch */
		assert_string_equal(r[i].signature,
				    strcmp(r[i].site, SM) == 0
					? TSM_AUDIT_SIG_OWN
					: TSM_AUDIT_SIG_UNSIGNED);
	}
	assert_int_equal(r[2].at, T0 + 3000);
	tsm_audit_rows_free(r, n);
	tsm_store_free(s);
}

static void test_log_filters(void **state)
{
	tsm_audit_filter f = TSM_AUDIT_FILTER_INIT;
	tsm_store *s = history("audit-filter");
	tsm_audit_row *r = NULL;
	size_t n = 0;

	(void)state;
	f.field = "company";
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", &f), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].id, SL ":1");
	assert_string_equal(r[1].id, SA ":1");
	assert_string_equal(r[2].id, SL ":2");
	tsm_audit_rows_free(r, n);
	/* a create holding the field shows as a write of it */
	f.field = "phone";
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", &f), 0);
	assert_int_equal(n, 1);
	expect_row(&r[0], mid(5), "mgr", "manager", "Mei Lin", "create",
		   "phone", NULL, "\"+8613800000001\"", "accepted");
	tsm_audit_rows_free(r, n);
	f.field = NULL;
	f.member = "lee";
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", &f), 0);
	assert_int_equal(n, 4);
	tsm_audit_rows_free(r, n);
	f.member = NULL;
	f.from = T0 + 4000;
	f.to = T0 + 8000;
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", &f), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].id, SA ":1");
	assert_string_equal(r[1].id, SL ":2");
	assert_string_equal(r[2].id, SL ":3");
	tsm_audit_rows_free(r, n);
	f.from = T0 + 100000;
	f.to = 0;
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", &f), 0);
	assert_int_equal(n, 0);
	tsm_audit_rows_free(r, n);
	tsm_store_free(s);
}

static void test_log_review_and_batches(void **state)
{
	tsm_review_filter rf = TSM_REVIEW_FILTER_INIT;
	tsm_review_item *items = NULL;
	tsm_store *s = history("audit-review");
	tsm_audit_row *r = NULL;
	size_t n = 0, ni = 0, i;
	char cust[TSM_CUSTOMER_ID_MAX];
	int found = 0;

	(void)state;
	tsm_clock_set_now(T0 + 20000);
	rf.kind = TSM_REVIEW_CONFLICT;
	rf.eid = "c1";
	assert_int_equal(tsm_review_list(&items, &ni, s, &rf), 0);
	assert_int_equal(ni, 1);
	assert_int_equal(tsm_review_resolve(NULL, s, items[0].id, "keep",
					    "checked with the client"),
			 0);
	/* lee's first two ops arrived in a verified batch */
	assert_int_equal(tsm_audit_batch_put(s, SL,
					     "1111111111111111111111"
					     "111111111111111111",
					     1, 2),
			 0);
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", NULL), 0);
	assert_int_equal(n, 12);
	for (i = 0; i < n; i++) {
		if (strcmp(r[i].etype, "review") == 0) {
			found = 1;
			assert_string_equal(r[i].eid, items[0].id);
			assert_string_equal(r[i].action, "resolve");
			assert_string_equal(r[i].author, "mgr");
		}
		if (strcmp(r[i].site, SL) == 0 && r[i].seq <= 2) {
			assert_string_equal(r[i].batch,
					    "11111111111111111111111111111111"
					    "11111111");
			assert_string_equal(r[i].signature,
					    TSM_AUDIT_SIG_VERIFIED);
		} else if (strcmp(r[i].site, SL) == 0) {
			assert_string_equal(r[i].batch, "");
			assert_string_equal(r[i].signature,
					    TSM_AUDIT_SIG_UNSIGNED);
		}
	}
	assert_true(found);
	tsm_audit_rows_free(r, n);
	tsm_review_list_free(items, ni);
	/* an exact id of a merged customer is its own history */
	assert_int_equal(tsm_audit_customer(cust, s, "c2"), 0);
	assert_string_equal(cust, "c2");
	assert_int_equal(tsm_audit_customer(cust, s, "c9"), TSM_ENOTFOUND);
	tsm_clock_set_now(0);
	tsm_store_free(s);
}

static void test_blame(void **state)
{
	tsm_store *s = history("audit-blame");
	tsm_audit_blame *b = NULL;
	size_t n = 0;
	char *json = NULL;
	size_t len = 0;
	cJSON *doc;

	(void)state;
	assert_int_equal(tsm_audit_blame_get(&b, &n, s, "c1"), 0);
	assert_int_equal(n, 7);
	assert_string_equal(b[0].field, "name");
	assert_string_equal(b[0].value, "\"Alpha\"");
	assert_string_equal(b[0].op, mid(5));
	assert_string_equal(b[0].action, "create");
	assert_string_equal(b[1].field, "phone");
	assert_string_equal(b[2].field, "company");
	assert_string_equal(b[2].value, "\"Lee Co 2\"");
	assert_string_equal(b[2].op, SL ":2");
	assert_string_equal(b[2].role, "agent");
	assert_string_equal(b[2].against, "");
	assert_string_equal(b[3].field, "region");
	assert_string_equal(b[3].role, "lead");
	assert_string_equal(b[3].name, "Lee Lead");
	assert_string_equal(b[4].field, "needs");
	assert_string_equal(b[4].value, "\"Y\"");
	assert_string_equal(b[4].op, SD ":1");
	assert_string_equal(b[4].against, SL ":4");
	assert_string_equal(b[5].field, "stage");
	assert_string_equal(b[5].value, "\"new\"");
	assert_string_equal(b[5].op, "");
	assert_null(b[5].author);
	assert_string_equal(b[6].field, "owner");
	assert_string_equal(b[6].op, mid(6));
	assert_int_equal(b[6].at, T0 + 2001);
	assert_int_equal(tsm_audit_blame_json(&json, &len, b, n), 0);
	doc = cJSON_ParseWithLength(json, len);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(doc), 7);
	assert_true(cJSON_IsTrue(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 4), "conflict")));
	assert_string_equal(
	    cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 4), "against"), 0)
		->valuestring,
	    SL ":4");
	cJSON_Delete(doc);
	free(json);
	tsm_audit_blame_free(b, n);
	/* the merged customer: who merged it */
	assert_int_equal(tsm_audit_blame_get(&b, &n, s, "c2"), 0);
	assert_string_equal(b[n - 1].field, "merged_into");
	assert_string_equal(b[n - 1].value, "\"c1\"");
	assert_string_equal(b[n - 1].op, mid(11));
	tsm_audit_blame_free(b, n);
	assert_int_equal(tsm_audit_blame_get(&b, &n, s, "c9"), TSM_ENOTFOUND);
	tsm_store_free(s);
}

static void test_rows_json(void **state)
{
	tsm_store *s = history("audit-json");
	tsm_audit_row *r = NULL;
	size_t n = 0, len = 0;
	char *json = NULL;
	cJSON *doc, *row;

	(void)state;
	assert_int_equal(tsm_audit_log(&r, &n, s, "c1", NULL), 0);
	assert_int_equal(tsm_audit_rows_json(&json, &len, r, n), 0);
	doc = cJSON_ParseWithLength(json, len);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(doc), (int)n);
	row = cJSON_GetArrayItem(doc, 3);
	assert_string_equal(cJSON_GetObjectItem(row, "old")->valuestring,
			    "Lee Co");
	assert_string_equal(cJSON_GetObjectItem(row, "new")->valuestring,
			    "Ann Co");
	assert_string_equal(cJSON_GetObjectItem(row, "status")->valuestring,
			    "rejected");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(row, "batch")));
	row = cJSON_GetArrayItem(doc, 0);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(row, "new"), "name")
		->valuestring,
	    "Alpha");
	cJSON_Delete(doc);
	free(json);
	tsm_audit_rows_free(r, n);
	tsm_store_free(s);
}

/* Every single-bit change anywhere in an export makes the check fail. */
static void every_bit_fails(tsm_store *s, const char *buf, size_t len)
{
	tsm_audit_check chk;
	char *copy = malloc(len + 1);
	size_t i;
	int bit;

	assert_non_null(copy);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			memcpy(copy, buf, len);
			copy[i] = (char)(copy[i] ^ (1 << bit));
			assert_int_equal(
			    tsm_audit_check_export(&chk, s, copy, len),
			    TSM_ECORRUPT);
		}
	}
	/* cut or extended */
	assert_int_equal(tsm_audit_check_export(&chk, s, buf, len - 1),
			 TSM_ECORRUPT);
	memcpy(copy, buf, len);
	copy[len] = '\n';
	assert_int_equal(tsm_audit_check_export(&chk, s, copy, len + 1),
			 TSM_ECORRUPT);
	free(copy);
}

static void test_export_and_check(void **state)
{
	tsm_store *s = history("audit-export"), *other;
	tsm_audit_check chk;
	char *buf = NULL, *last;
	size_t len = 0;
	tsm_identity me;
	cJSON *doc, *d;

	(void)state;
	assert_int_equal(tsm_identity_get(&me, s), 0);
	tsm_clock_set_now(T0 + 30000);
	/* the period [T0 + 3000, T0 + 8000): lee's two, ann's, the grant */
	assert_int_equal(tsm_audit_export(&buf, &len, s, T0 + 3000, T0 + 8000,
					  TSM_AUDIT_CSV),
			 0);
	assert_int_equal(buf[len - 1], '\n');
	assert_non_null(strstr(buf, "id,time,hlc,member,"));
	assert_non_null(
	    strstr(buf, "," SA ",1,customer,c1,c1,set,company,Lee Co,Ann Co,"
			"rejected,the agent neither created nor owns this "
			"customer,,unsigned\n"));
	assert_non_null(strstr(buf, ",member,lee,,grant,,,"));
	assert_null(strstr(buf, "Alpha")); /* before the period */
	last = strstr(buf, "# tsm-audit-digest v1 member=mgr site=");
	assert_non_null(last);
	assert_int_equal(tsm_audit_check_export(&chk, s, buf, len), 0);
	assert_int_equal(chk.format, TSM_AUDIT_CSV);
	assert_string_equal(chk.member, "mgr");
	assert_string_equal(chk.site, me.site);
	assert_int_equal(chk.key_known, 1);
	assert_string_equal(chk.role, "manager");
	every_bit_fails(s, buf, len);
	/* a replica that does not know the key says so */
	other = fresh("audit-other", "zed");
	assert_int_equal(tsm_audit_check_export(&chk, other, buf, len),
			 TSM_EAUTH);
	assert_non_null(strstr(tsm_error_last()->message, "does not know"));
	assert_int_equal(chk.key_known, 0);
	assert_int_equal(tsm_audit_check_export(&chk, NULL, buf, len),
			 TSM_EAUTH);
	tsm_store_free(other);
	free(buf);

	/* JSON: the whole file is one valid JSON document */
	assert_int_equal(tsm_audit_export(&buf, &len, s, 0, 0, TSM_AUDIT_JSON),
			 0);
	doc = cJSON_ParseWithLength(buf, len);
	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "format")->valuestring,
			    "tsm-audit-export");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "from")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "rows")),
			 17);
	d = cJSON_GetObjectItem(doc, "digest");
	assert_string_equal(cJSON_GetObjectItem(d, "member")->valuestring,
			    "mgr");
	cJSON_Delete(doc);
	assert_int_equal(tsm_audit_check_export(&chk, s, buf, len), 0);
	assert_int_equal(chk.format, TSM_AUDIT_JSON);
	every_bit_fails(s, buf, len);
	free(buf);
	assert_int_equal(tsm_audit_export(&buf, &len, s, 5, 5, TSM_AUDIT_CSV),
			 TSM_EINVALID);
	tsm_clock_set_now(0);
	tsm_store_free(s);
}

static void test_ops_match(void **state)
{
	tsm_store *s = history("audit-match");
	char *json = NULL, *p;
	size_t len = 0;

	(void)state;
	assert_int_equal(tsm_ops_export(&json, &len, s, SL, 1, 4, 0), 0);
	assert_int_equal(tsm_audit_ops_match(s, SL, 1, 4, json, len), 0);
	/* a range the payload does not cover */
	assert_int_equal(tsm_audit_ops_match(s, SL, 1, 5, json, len),
			 TSM_ECORRUPT);
	assert_non_null(strstr(tsm_error_last()->message, "lacks op"));
	/* a value changed in the batch */
	p = strstr(json, "Lee Co 2");
	assert_non_null(p);
	p[4] = 'X';
	assert_int_equal(tsm_audit_ops_match(s, SL, 1, 4, json, len),
			 TSM_ECORRUPT);
	assert_non_null(strstr(tsm_error_last()->message,
			       SL ":2 held here differs from the signed batch "
				  "(value)"));
	free(json);
	/* an op the store lacks */
	assert_int_equal(tsm_ops_export(&json, &len, s, SL, 1, 4, 0), 0);
	assert_int_equal(sqlite3_exec(tsm_store_db(s),
				      "DELETE FROM ops WHERE site = '" SL
				      "' AND seq = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(tsm_audit_ops_match(s, SL, 1, 4, json, len),
			 TSM_ECORRUPT);
	assert_non_null(strstr(tsm_error_last()->message, "missing here"));
	free(json);
	tsm_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_history),
	    cmocka_unit_test(test_log_filters),
	    cmocka_unit_test(test_log_review_and_batches),
	    cmocka_unit_test(test_blame),
	    cmocka_unit_test(test_rows_json),
	    cmocka_unit_test(test_export_and_check),
	    cmocka_unit_test(test_ops_match),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
