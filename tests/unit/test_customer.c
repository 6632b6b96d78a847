/* tests/unit/test_customer.c — customers, visibility, resolving, filters,
 * the card, the team policy and the do-not-call list, on stores whose
 * roster and data arrive as op sets from other sites (tsm_ops_apply_json),
 * so an agent's and a manager's view of the same ops can be compared. */
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
#include "tsm/customer.h"
#include "tsm/dnc.h"
#include "tsm/ops.h"
#include "tsm/policy.h"

#define T0 1795000000000LL /* 2026-11-18, ms */
#define DAY 86400000LL

#define SM "aaaa000000000001" /* mgr's laptop */
#define SA "cccc000000000003" /* ann's other device */

#define J(...) #__VA_ARGS__
#define P1 "+8613800000001"

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
} top;

/* The team: mgr (manager, founder), ann and bob (agents); customers of
 * several owners and creators; follow-ups, calls, notes and an order. */
static const top ops[] = {
    {SM, 1, 0, "mgr", "team", "t1", "create", "",
     J({"name" : "Sales", "founder" : "mgr"})},
    {SM, 2, 1, "mgr", "member", "mgr", "grant", "",
     J({"role" : "manager", "name" : "Mei Lin"})},
    {SM, 3, 2, "mgr", "member", "ann", "grant", "",
     J({"role" : "agent", "name" : "Ann"})},
    {SM, 4, 3, "mgr", "member", "bob", "grant", "", J({"role" : "agent"})},
    /* mgr creates one and assigns it to ann */
    {SM, 5, 10, "mgr", "customer", "c0001aaaa0001", "create", "",
     J({"name" : "张伟", "phone" : "+8613900000001", "company" : "北京科技"})},
    {SM, 6, 11, "mgr", "customer", "c0001aaaa0001", "set", "owner", J("ann")},
    /* ann creates one herself */
    {SA, 1, 12, "ann", "customer", "c0001aaaa0002", "create", "", J({
	     "name" : "Ann's lead",
	     "phone" : "+8613900000002",
	     "industry" : "retail"
     })},
    /* unassigned, and bob's */
    {SM, 7, 13, "mgr", "customer", "c0001aaaa0003", "create", "",
     J({"name" : "Nobody's", "phone" : "+8613800000001"})},
    {SM, 8, 14, "mgr", "customer", "c0001aaaa0004", "create", "",
     J({"name" : "Bob's", "phone" : "+8613900000004", "owner" : "bob"})},
    /* ann's, sharing a phone with the unassigned one */
    {SA, 2, 15, "ann", "customer", "c0002bbbb0001", "create", "",
     J({"name" : "Same phone", "phone" : "+8613800000001"})},
    /* follow-ups */
    {SM, 9, 16, "mgr", "followup", "f1", "create", "", J({
	     "customer" : "c0001aaaa0001",
	     "due" : 1795086400000,
	     "kind" : "callback"
     })},
    {SA, 3, 17, "ann", "followup", "f2", "create", "", J({
	     "customer" : "c0002bbbb0001",
	     "due" : 1795259200000,
	     "kind" : "followup",
	     "note" : "send the contract"
     })},
    {SA, 4, 18, "ann", "followup", "f3", "create", "", J({
	     "customer" : "c0002bbbb0001",
	     "due" : 1795000000000,
	     "kind" : "callback"
     })},
    {SA, 5, 19, "ann", "followup", "f3", "done", "", J({})},
    /* calls, a note, an order on ann's assigned customer */
    {SA, 6, 20, "ann", "customer", "c0001aaaa0001", "append", "call",
     J({"outcome" : "no-answer"})},
    {SA, 7, 25, "ann", "customer", "c0001aaaa0001", "append", "note",
     J({"text" : "prefers mornings"})},
    {SA, 8, 30, "ann", "customer", "c0001aaaa0001", "append", "call", J({
	     "outcome" : "interested",
	     "duration_s" : 185,
	     "note" : "wants a retainer"
     })},
    {SA, 9, 40, "ann", "order", "o1", "create", "", J({
	     "customer" : "c0001aaaa0001",
	     "service" : "retainer",
	     "amount_fen" : 1200000,
	     "term_months" : 12,
	     "start" : "2026-12-01"
     })},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static void apply(tsm_store *s, const top *o, size_t n)
{
	size_t cap = 1024 * (n + 1), len = 0, i;
	char *buf = malloc(cap);
	tsm_apply_stats st;
	int k;

	assert_non_null(buf);
	buf[len++] = '[';
	for (i = 0; i < n; i++) {
		k = snprintf(
		    buf + len, cap - len,
		    "%s{\"site\":\"%s\",\"seq\":%d,\"hlc\":\"%016llx\","
		    "\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
		    "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
		    "\"supersedes\":[]}",
		    i ? "," : "", o[i].site, o[i].seq,
		    (unsigned long long)((uint64_t)(T0 + o[i].ms) << 16),
		    o[i].author, o[i].etype, o[i].eid, o[i].action, o[i].field,
		    o[i].value ? o[i].value : "null");
		assert_true(k > 0 && (size_t)k < cap - len);
		len += (size_t)k;
	}
	buf[len++] = ']';
	buf[len] = '\0';
	if (tsm_ops_apply_json(&st, s, buf, len) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	assert_int_equal(st.rejected, 0);
	tsm_apply_stats_dispose(&st);
	free(buf);
}

static int store_no;

/* A fresh plaintext store whose replica belongs to member, holding ops. */
static tsm_store *store_as(const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	char tag[32];
	tsm_store *s;

	snprintf(tag, sizeof(tag), "cust%d", store_no++);
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, member), 0);
	apply(s, ops, NOPS);
	tsm_clock_set_now(T0 + DAY / 2);
	return s;
}

static int has_id(const tsm_customer *list, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].id, id) == 0)
			return 1;
	return 0;
}

static void test_visibility(void **state)
{
	tsm_store *ann = store_as("ann"), *mgr = store_as("mgr");
	tsm_customer *list = NULL;
	tsm_viewer v;
	size_t n;

	(void)state;
	assert_int_equal(tsm_viewer_get(&v, ann), 0);
	assert_string_equal(v.member, "ann");
	assert_string_equal(v.role, "agent");
	assert_int_equal(v.all, 0);
	assert_int_equal(tsm_customer_list(&list, &n, ann, NULL), 0);
	assert_int_equal(n, 3);
	assert_true(has_id(list, n, "c0001aaaa0001")); /* owned */
	assert_true(has_id(list, n, "c0001aaaa0002")); /* created */
	assert_true(has_id(list, n, "c0002bbbb0001"));
	tsm_customer_list_free(list, n);
	assert_int_equal(tsm_customer_visible(ann, "c0001aaaa0001"), 1);
	assert_int_equal(tsm_customer_visible(ann, "c0001aaaa0003"), 0);
	assert_int_equal(tsm_customer_visible(ann, "c0001aaaa0004"), 0);
	assert_int_equal(tsm_customer_visible(ann, "nosuch"), 0);

	assert_int_equal(tsm_viewer_get(&v, mgr), 0);
	assert_string_equal(v.role, "manager");
	assert_int_equal(v.all, 1);
	assert_int_equal(tsm_customer_list(&list, &n, mgr, NULL), 0);
	assert_int_equal(n, 5);
	/* creation order */
	assert_string_equal(list[0].id, "c0001aaaa0001");
	assert_string_equal(list[4].id, "c0002bbbb0001");
	tsm_customer_list_free(list, n);
	assert_int_equal(tsm_customer_visible(mgr, "c0001aaaa0004"), 1);
	tsm_store_free(ann);
	tsm_store_free(mgr);
}

static void test_resolve(void **state)
{
	tsm_store *ann = store_as("ann"), *mgr = store_as("mgr");
	char id[TSM_CUSTOMER_ID_MAX];
	const char *msg;

	(void)state;
	/* an ambiguous prefix lists the visible candidates only */
	assert_int_equal(tsm_customer_resolve(id, ann, "c0001aaaa", 0),
			 TSM_EINVALID);
	msg = tsm_error_last()->message;
	assert_non_null(strstr(msg, "matches 2 customers"));
	assert_non_null(strstr(msg, "c0001aaaa0001 (张伟)"));
	assert_non_null(strstr(msg, "c0001aaaa0002"));
	assert_null(strstr(msg, "c0001aaaa0003"));
	assert_int_equal(tsm_customer_resolve(id, mgr, "c0001aaaa", 0),
			 TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "matches 4"));
	/* exact ids, unique prefixes */
	assert_int_equal(tsm_customer_resolve(id, ann, "c0002", 0), 0);
	assert_string_equal(id, "c0002bbbb0001");
	assert_int_equal(tsm_customer_resolve(id, ann, "c0001aaaa0002", 0), 0);
	assert_string_equal(id, "c0001aaaa0002");
	/* an invisible customer is not found, by id or prefix */
	assert_int_equal(tsm_customer_resolve(id, ann, "c0001aaaa0003", 0),
			 TSM_ENOTFOUND);
	assert_string_equal(tsm_error_last()->message,
			    "no customer 'c0001aaaa0003'");
	/* too short for a prefix */
	assert_int_equal(tsm_customer_resolve(id, ann, "c00", 0),
			 TSM_ENOTFOUND);
	/* a phone typed any way; the invisible holder does not count */
	assert_int_equal(tsm_customer_resolve(id, ann, "138 0000 0001", 0), 0);
	assert_string_equal(id, "c0002bbbb0001");
	assert_int_equal(tsm_customer_resolve(id, mgr, "13800000001", 0),
			 TSM_EINVALID);
	assert_int_equal(tsm_customer_resolve(id, mgr, "", 0), TSM_EINVALID);
	tsm_store_free(ann);
	tsm_store_free(mgr);
}

static void test_filters(void **state)
{
	tsm_store *ann = store_as("ann");
	tsm_customer_filter f = TSM_CUSTOMER_FILTER_INIT;
	tsm_customer *list = NULL;
	size_t n;

	(void)state;
	/* due within two days: f1 (day 1); f2 is day 3, f3 is done */
	f.due_before = T0 + 2 * DAY;
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, "c0001aaaa0001");
	assert_int_equal(list[0].next_due, T0 + DAY);
	assert_string_equal(list[0].next_kind, "callback");
	tsm_customer_list_free(list, n);
	f.due_before = T0 + 4 * DAY;
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].id, "c0002bbbb0001");
	assert_int_equal(list[1].next_due, T0 + 3 * DAY);
	assert_string_equal(list[1].next_kind, "followup");
	tsm_customer_list_free(list, n);

	f = (tsm_customer_filter)TSM_CUSTOMER_FILTER_INIT;
	f.owner = "ann";
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 1);
	tsm_customer_list_free(list, n);
	f.owner = "";
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 2);
	tsm_customer_list_free(list, n);

	f = (tsm_customer_filter)TSM_CUSTOMER_FILTER_INIT;
	f.industry = "retail";
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, "c0001aaaa0002");
	tsm_customer_list_free(list, n);

	f = (tsm_customer_filter)TSM_CUSTOMER_FILTER_INIT;
	f.search = "科技";
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 1);
	tsm_customer_list_free(list, n);
	f.search = "139-0000";
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 2);
	tsm_customer_list_free(list, n);
	f.search = "ANN'S";
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 1);
	tsm_customer_list_free(list, n);
	f.search = NULL;
	f.limit = 2;
	assert_int_equal(tsm_customer_list(&list, &n, ann, &f), 0);
	assert_int_equal(n, 2);
	tsm_customer_list_free(list, n);
	tsm_store_free(ann);
}

static void test_card(void **state)
{
	tsm_store *ann = store_as("ann");
	tsm_customer_card *k = NULL;

	(void)state;
	assert_int_equal(tsm_customer_card_get(&k, ann, "c0001aaaa0001", 0, 0),
			 0);
	assert_string_equal(k->c.f[TSM_CF_NAME], "张伟");
	assert_string_equal(k->c.f[TSM_CF_OWNER], "ann");
	assert_string_equal(k->owner_name, "Ann");
	assert_string_equal(k->creator_name, "Mei Lin");
	assert_int_equal(k->c.calls, 2);
	assert_int_equal(k->c.last_call, T0 + 30);
	assert_int_equal(k->ncalls, 2);
	assert_string_equal(k->calls[0].outcome, "interested"); /* newest */
	assert_int_equal(k->calls[0].duration_s, 185);
	assert_string_equal(k->calls[0].note, "wants a retainer");
	assert_string_equal(k->calls[0].author, "ann");
	assert_int_equal(k->calls[0].effective, 1);
	assert_int_equal(k->calls[0].interested, 1);
	assert_string_equal(k->calls[1].outcome, "no-answer");
	assert_int_equal(k->calls[1].connected, 0);
	assert_null(k->calls[1].note);
	assert_int_equal(k->nnotes, 1);
	assert_string_equal(k->notes[0].text, "prefers mornings");
	assert_int_equal(k->nfollowups, 1);
	assert_string_equal(k->followups[0].id, "f1");
	assert_int_equal(k->followups[0].due, T0 + DAY);
	assert_int_equal(k->norders, 1);
	assert_string_equal(k->orders[0].service, "retainer");
	assert_int_equal(k->orders[0].amount_fen, 1200000);
	assert_int_equal(k->orders[0].term_months, 12);
	assert_string_equal(k->orders[0].start, "2026-12-01");
	tsm_customer_card_free(k);
	/* at most one call */
	assert_int_equal(tsm_customer_card_get(&k, ann, "c0001aaaa0001", 0, 1),
			 0);
	assert_int_equal(k->ncalls, 1);
	assert_string_equal(k->calls[0].outcome, "interested");
	tsm_customer_card_free(k);
	/* open follow-ups first, then done ones */
	assert_int_equal(tsm_customer_card_get(&k, ann, "c0002", 0, 0), 0);
	assert_int_equal(k->nfollowups, 2);
	assert_string_equal(k->followups[0].id, "f2");
	assert_int_equal(k->followups[0].done, 0);
	assert_string_equal(k->followups[0].note, "send the contract");
	assert_string_equal(k->followups[1].id, "f3");
	assert_int_equal(k->followups[1].done, 1);
	tsm_customer_card_free(k);
	assert_int_equal(tsm_customer_card_get(&k, ann, "c0001aaaa0004", 0, 0),
			 TSM_ENOTFOUND);
	assert_null(k);
	tsm_store_free(ann);
}

static void test_write(void **state)
{
	tsm_store *ann = store_as("ann");
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	tsm_customer *c = NULL;
	char h0[65], h1[65];

	(void)state;
	f.v[TSM_CF_NAME] = "李娜";
	f.v[TSM_CF_PHONE] = "１３７ ００００ ０００３";
	f.v[TSM_CF_SALUTATION] = "ms.";
	f.v[TSM_CF_PRIORITY] = "HIGH";
	assert_int_equal(tsm_customer_add(&w, ann, &f), 0);
	assert_int_equal(strlen(w.id), 13);
	assert_int_equal(w.id[0], 'c');
	assert_string_equal(w.phone, "+8613700000003");
	assert_int_equal(w.ndup, 0);
	assert_int_equal(tsm_customer_get(&c, ann, w.id, 0), 0);
	assert_string_equal(c->f[TSM_CF_SALUTATION], "Ms");
	assert_string_equal(c->f[TSM_CF_PRIORITY], "high");
	assert_string_equal(c->stage, "new");
	assert_string_equal(c->created_by, "ann");
	tsm_customer_free(c);

	/* a phone an invisible customer has is still reported as a duplicate */
	f = (tsm_customer_fields)TSM_CUSTOMER_FIELDS_INIT;
	f.v[TSM_CF_NAME] = "Dup";
	f.v[TSM_CF_PHONE] = "13900000004";
	assert_int_equal(tsm_customer_add(&w, ann, &f), 0);
	assert_int_equal(w.ndup, 1);
	assert_string_equal(w.dup_of, "c0001aaaa0004");

	/* refused writes leave the state as it was */
	assert_int_equal(tsm_state_hash(h0, ann), 0);
	f.v[TSM_CF_OWNER] = "ann"; /* agents do not assign */
	assert_int_equal(tsm_customer_add(&w, ann, &f), TSM_EPERM);
	f.v[TSM_CF_OWNER] = NULL;
	f.v[TSM_CF_PHONE] = "12345";
	assert_int_equal(tsm_customer_add(&w, ann, &f), TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "invalid phone"));
	f.v[TSM_CF_PHONE] = NULL;
	assert_int_equal(tsm_customer_add(&w, ann, &f), TSM_EINVALID);
	f = (tsm_customer_fields)TSM_CUSTOMER_FIELDS_INIT;
	f.v[TSM_CF_COMPANY] = "X";
	assert_int_equal(tsm_customer_edit(&w, ann, "c0001aaaa0004", &f),
			 TSM_ENOTFOUND);
	f.clear = 1u << TSM_CF_COMPANY;
	assert_int_equal(tsm_customer_edit(&w, ann, "c0001aaaa0001", &f),
			 TSM_EINVALID);
	assert_int_equal(tsm_state_hash(h1, ann), 0);
	assert_string_equal(h0, h1);

	/* edit writes changed fields only */
	f = (tsm_customer_fields)TSM_CUSTOMER_FIELDS_INIT;
	f.v[TSM_CF_COMPANY] = "北京科技";
	f.v[TSM_CF_STAGE] = "interested";
	assert_int_equal(tsm_customer_edit(&w, ann, "c0001aaaa0001", &f), 0);
	assert_int_equal(w.changed, 1);
	assert_int_equal(tsm_customer_edit(&w, ann, "c0001aaaa0001", &f), 0);
	assert_int_equal(w.changed, 0);
	f = (tsm_customer_fields)TSM_CUSTOMER_FIELDS_INIT;
	f.clear = 1u << TSM_CF_COMPANY;
	assert_int_equal(tsm_customer_edit(&w, ann, "c0001aaaa0001", &f), 0);
	assert_int_equal(w.changed, 1);
	assert_int_equal(tsm_customer_get(&c, ann, "c0001aaaa0001", 0), 0);
	assert_null(c->f[TSM_CF_COMPANY]);
	assert_string_equal(c->stage, "interested");
	tsm_customer_free(c);
	tsm_store_free(ann);
}

static void test_dnc(void **state)
{
	tsm_store *ann = store_as("ann");
	tsm_dnc_result r;
	tsm_dnc_entry *list = NULL;
	tsm_customer *c = NULL;
	size_t n;

	(void)state;
	assert_int_equal(tsm_dnc_listed(ann, "13800000001"), 0);
	assert_int_equal(tsm_dnc_add(&r, ann, "138-0000-0001", "asked"), 0);
	assert_string_equal(r.phone, P1);
	assert_int_equal(r.customers, 2);
	/* the listing, its reason and a note on the one holder ann may
	 * write to */
	assert_int_equal(r.changed, 3);
	assert_int_equal(tsm_dnc_listed(ann, P1), 1);
	assert_int_equal(tsm_customer_get(&c, ann, "c0002bbbb0001", 0), 0);
	assert_int_equal(c->dnc, 1);
	assert_int_equal(c->dnc_flag, 0);
	tsm_customer_free(c);
	assert_int_equal(tsm_dnc_add(&r, ann, "c0001aaaa0002", NULL), 0);
	assert_string_equal(r.customer, "c0001aaaa0002");
	assert_int_equal(r.changed, 2);
	assert_int_equal(tsm_dnc_list(&list, &n, ann), 0);
	assert_int_equal(n, 2);
	tsm_dnc_list_free(list, n);
	/* agents may not remove */
	assert_int_equal(tsm_dnc_remove(&r, ann, P1), TSM_EPERM);
	assert_int_equal(tsm_dnc_listed(ann, P1), 1);
	assert_int_equal(tsm_dnc_add(&r, ann, "12", NULL), TSM_EINVALID);
	tsm_store_free(ann);
}

static const tsm_dnc_entry *entry_of(const tsm_dnc_entry *list, size_t n,
				     const char *phone)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].phone, phone) == 0)
			return &list[i];
	fail_msg("%s is not listed", phone);
	return NULL;
}

/* The reason stays with the number, also one no customer has; the last
 * given shows; another replica derives the same; a note without text is
 * rejected. */
static void test_dnc_reason(void **state)
{
	static const char bare[] = "+8613900009999";
	tsm_store *ann = store_as("ann"), *other = store_as("zed");
	tsm_dnc_result r;
	tsm_dnc_entry *list = NULL;
	tsm_apply_stats st;
	char ha[65], hb[65], *json = NULL;
	size_t n, len;

	(void)state;
	assert_int_equal(
	    tsm_dnc_add(&r, ann, "139-0000-9999", "complained to the bar"), 0);
	assert_int_equal(r.customers, 0);
	assert_int_equal(r.changed, 2); /* the listing and its reason */
	tsm_clock_set_now(T0 + DAY);
	assert_int_equal(tsm_dnc_add(&r, ann, bare, NULL), 0);
	assert_int_equal(r.changed, 0); /* listed already, nothing to add */
	assert_int_equal(tsm_dnc_list(&list, &n, ann), 0);
	assert_string_equal(entry_of(list, n, bare)->reason,
			    "complained to the bar");
	assert_null(entry_of(list, n, bare)->customer_name);
	tsm_dnc_list_free(list, n);
	/* a new reason for a listed number is recorded; the last shows */
	tsm_clock_set_now(T0 + 2 * DAY);
	assert_int_equal(tsm_dnc_add(&r, ann, bare, "asked again in writing"),
			 0);
	assert_int_equal(r.changed, 1);
	assert_int_equal(tsm_dnc_add(&r, ann, P1, NULL), 0);
	assert_int_equal(tsm_dnc_list(&list, &n, ann), 0);
	assert_string_equal(entry_of(list, n, bare)->reason,
			    "asked again in writing");
	assert_null(entry_of(list, n, P1)->reason);
	tsm_dnc_list_free(list, n);
	/* the same ops on another replica: the same list, the same state */
	assert_int_equal(tsm_ops_export(&json, &len, ann, NULL, 1, 0, 0), 0);
	assert_int_equal(tsm_ops_apply_json(&st, other, json, len), 0);
	assert_int_equal(st.rejected, 0);
	tsm_apply_stats_dispose(&st);
	free(json);
	assert_int_equal(tsm_state_hash(ha, ann), 0);
	assert_int_equal(tsm_state_hash(hb, other), 0);
	assert_string_equal(ha, hb);
	assert_int_equal(tsm_dnc_list(&list, &n, other), 0);
	assert_string_equal(entry_of(list, n, bare)->reason,
			    "asked again in writing");
	tsm_dnc_list_free(list, n);
	/* a note on a number needs a text */
	{
		const tsm_op_spec bad = {"dnc", bare, "append", "note",
					 "{\"txt\":\"x\"}"};

		assert_int_equal(tsm_ops_append(NULL, ann, &bad, 1), TSM_EPERM);
	}
	tsm_store_free(ann);
	tsm_store_free(other);
}

static void test_policy(void **state)
{
	tsm_store *mgr = store_as("mgr"), *ann = store_as("ann");
	char buf[TSM_POLICY_TEXT_MAX];
	tsm_policy p;
	int64_t s;

	(void)state;
	assert_int_equal(tsm_duration_parse(&s, "2h"), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(tsm_duration_parse(&s, "1h30m"), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(tsm_duration_parse(&s, "1d"), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(tsm_duration_parse(&s, "90"), 0);
	assert_int_equal(s, 90);
	assert_int_equal(tsm_duration_parse(&s, "0m"), TSM_EINVALID);
	assert_int_equal(tsm_duration_parse(&s, "h"), TSM_EINVALID);
	assert_int_equal(tsm_duration_parse(&s, "2h5"), TSM_EINVALID);
	assert_int_equal(tsm_duration_parse(&s, ""), TSM_EINVALID);

	assert_int_equal(tsm_policy_get(&p, mgr), 0);
	assert_string_equal(p.calling_hours, TSM_HOURS_DEFAULT);
	assert_int_equal(p.retry_delay_s, 7200);
	assert_int_equal(p.max_attempts, 5);
	assert_int_equal(p.revisit_days, 30);
	assert_int_equal(p.effective_s, 60);
	assert_int_equal(p.set, 0);
	/* Friday 2026-11-27 10:00 and 12:30 in Shanghai */
	assert_int_equal(tsm_hours_contains(&p.hours, 1795744800000LL), 1);
	assert_int_equal(tsm_hours_contains(&p.hours, 1795753800000LL), 0);

	assert_int_equal(tsm_policy_set(mgr, "retry_delay", "45m"), 0);
	assert_int_equal(tsm_policy_set(mgr, "calling_hours",
					"daily "
					"08:00-20:00"),
			 0);
	assert_int_equal(tsm_policy_get(&p, mgr), 0);
	assert_int_equal(p.retry_delay_s, 2700);
	assert_true(p.set & (1u << TSM_POLICY_RETRY_DELAY));
	assert_int_equal(tsm_hours_contains(&p.hours, 1795753800000LL), 1);
	assert_int_equal(
	    tsm_policy_format(buf, sizeof(buf), &p, TSM_POLICY_RETRY_DELAY), 0);
	assert_string_equal(buf, "45m");
	assert_int_equal(tsm_policy_set(mgr, "max_attempts", "0"),
			 TSM_EINVALID);
	assert_int_equal(tsm_policy_set(mgr, "nope", "1"), TSM_EINVALID);
	assert_int_equal(tsm_policy_unset(mgr, "retry_delay"), 0);
	assert_int_equal(tsm_policy_get(&p, mgr), 0);
	assert_int_equal(p.retry_delay_s, 7200);
	assert_false(p.set & (1u << TSM_POLICY_RETRY_DELAY));

	assert_int_equal(tsm_policy_set(ann, "max_attempts", "3"), TSM_EPERM);
	tsm_store_free(mgr);
	tsm_store_free(ann);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_visibility), cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_filters),    cmocka_unit_test(test_card),
	    cmocka_unit_test(test_write),      cmocka_unit_test(test_dnc),
	    cmocka_unit_test(test_dnc_reason), cmocka_unit_test(test_policy),
	};

	setenv("TZ", "Asia/Shanghai", 1);
	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
