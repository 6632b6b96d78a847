/* tests/unit/test_review_ext.c — review items with their sides and the
 * resolutions that change data, over op sets from several sites: a name
 * conflict resolved with a new value, won against lost resolved to lost, a
 * delete against a concurrent edit resolved by restoring, a rejection
 * acknowledged, wrong choices refused with nothing written, and what an
 * agent may see. */
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
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/review_ext.h"

#define T0 1795000000000LL
#define SM "aaaa000000000001" /* mgr, manager */
#define SL "bbbb000000000002" /* lee, lead */
#define SA "cccc000000000003" /* ann, agent */
#define J(...) #__VA_ARGS__

typedef struct top {
	const char *site;
	int seq;
	int64_t ms;
	const char *author, *etype, *eid, *action, *field, *value, *sup;
} top;

static const top fixture[] = {
    {SM, 1, 0, "mgr", "team", "t1", "create", "",
     J({"name" : "T", "founder" : "mgr"}), NULL},
    {SM, 2, 1, "mgr", "member", "mgr", "grant", "", J({"role" : "manager"}),
     SM ":1"},
    {SM, 3, 2, "mgr", "member", "lee", "grant", "", J({"role" : "lead"}), NULL},
    {SM, 4, 3, "mgr", "member", "ann", "grant", "", J({"role" : "agent"}),
     NULL},
    /* three customers of ann's */
    {SA, 1, 10, "ann", "customer", "c1", "create", "",
     J({"name" : "One", "phone" : "+8613800006001"}), NULL},
    {SA, 2, 11, "ann", "customer", "c2", "create", "",
     J({"name" : "Two", "phone" : "+8613800006002"}), NULL},
    {SA, 3, 12, "ann", "customer", "c3", "create", "",
     J({"name" : "Three", "phone" : "+8613800006003"}), NULL},
    /* c1: concurrent names; the manager's is later and wins */
    {SA, 4, 20, "ann", "customer", "c1", "set", "name", J("One by Ann"),
     SA ":1"},
    {SM, 5, 30, "mgr", "customer", "c1", "set", "name", J("One by Mgr"),
     SA ":1"},
    /* c2: won against lost: won wins */
    {SA, 5, 21, "ann", "customer", "c2", "set", "stage", J("won"), SA ":2"},
    {SM, 6, 31, "mgr", "customer", "c2", "set", "stage", J("lost"), SA ":2"},
    /* c3: deleted by the manager while ann renamed it */
    {SM, 7, 32, "mgr", "customer", "c3", "delete", "", NULL, SA ":3"},
    {SA, 6, 40, "ann", "customer", "c3", "set", "name", J("Three by Ann"),
     SA ":3"},
    /* ann may not assign: rejected */
    {SA, 7, 41, "ann", "customer", "c1", "set", "owner", J("ann"), SA ":4"},
};
#define NFIX (sizeof(fixture) / sizeof(fixture[0]))

static int store_no;

static tsm_store *store_as(const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	char tag[32], one[1024], *buf;
	size_t i, len = 1;
	tsm_store *s;

	snprintf(tag, sizeof(tag), "review%d", store_no++);
	o.plaintext = 1;
	assert_int_equal(tsm_store_create(&s, tu_tmpdir(tag), NULL, 0, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, "Someone"), 0);
	buf = malloc(NFIX * sizeof(one) + 4);
	assert_non_null(buf);
	buf[0] = '[';
	for (i = 0; i < NFIX; i++) {
		const top *t = &fixture[i];
		int n = snprintf(
		    one, sizeof(one),
		    "%s{\"site\":\"%s\",\"seq\":%d,\"hlc\":\"%016llx\","
		    "\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
		    "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
		    "\"supersedes\":[%s%s%s]}",
		    i ? "," : "", t->site, t->seq,
		    (unsigned long long)((uint64_t)(T0 + t->ms) << 16),
		    t->author, t->etype, t->eid, t->action, t->field,
		    t->value ? t->value : "null", t->sup ? "\"" : "",
		    t->sup ? t->sup : "", t->sup ? "\"" : "");

		assert_true(n > 0 && (size_t)n < sizeof(one));
		memcpy(buf + len, one, (size_t)n);
		len += (size_t)n;
	}
	buf[len++] = ']';
	buf[len] = '\0';
	if (tsm_ops_apply_json(NULL, s, buf, len) != 0)
		fail_msg("apply: %s", tsm_error_last()->message);
	free(buf);
	return s;
}

static int64_t nops(tsm_store *s)
{
	tsm_op *ops;
	size_t n;

	assert_int_equal(tsm_ops_list(&ops, &n, s, NULL, NULL), 0);
	tsm_ops_list_free(ops, n);
	return (int64_t)n;
}

/* The one view of kind on etype/eid (open ones unless all). */
static tsm_review_view *find(tsm_review_view **all, size_t *n, tsm_store *s,
			     const char *kind, const char *eid, int closed_too)
{
	tsm_review_filter f = TSM_REVIEW_FILTER_INIT;
	size_t i;

	f.open_only = !closed_too;
	f.kind = kind;
	f.eid = eid;
	assert_int_equal(tsm_review_view_list(all, n, s, &f), 0);
	for (i = 0; i < *n; i++)
		if (strcmp((*all)[i].item.eid, eid) == 0)
			return &(*all)[i];
	return NULL;
}

static void test_sides(void **state)
{
	tsm_store *s = store_as("mgr");
	tsm_review_view *all, *v;
	size_t n;

	(void)state;
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c1", 0);
	assert_non_null(v);
	assert_string_equal(v->item.field, "name");
	assert_string_equal(v->label, "One by Mgr");
	assert_int_equal(v->nsides, 2);
	assert_string_equal(v->sides[0].label, "A");
	assert_string_equal(v->sides[0].text, "One by Ann");
	assert_string_equal(v->sides[0].value, "\"One by Ann\"");
	assert_string_equal(v->sides[0].author, "ann");
	assert_int_equal(v->sides[0].at, T0 + 20);
	assert_string_equal(v->sides[0].op, SA ":4");
	assert_false(v->sides[0].current);
	assert_string_equal(v->sides[1].author, "mgr");
	assert_true(v->sides[1].current);
	tsm_review_view_list_free(all, n);
	/* won (A, ann) against lost (B, mgr): won is current */
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c2", 0);
	assert_non_null(v);
	assert_string_equal(v->item.field, "stage");
	assert_string_equal(v->sides[0].text, "won");
	assert_true(v->sides[0].current);
	assert_false(v->sides[1].current);
	tsm_review_view_list_free(all, n);
	/* delete (A, current) against the edit (B) */
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c3", 0);
	assert_non_null(v);
	assert_string_equal(v->item.field, "deleted");
	assert_int_equal(v->nsides, 2);
	assert_string_equal(v->sides[0].info, "delete");
	assert_true(v->sides[0].current);
	assert_string_equal(v->sides[1].info, "set name");
	assert_string_equal(v->sides[1].author, "ann");
	tsm_review_view_list_free(all, n);
	v = find(&all, &n, s, TSM_REVIEW_REJECTED, "c1", 0);
	assert_non_null(v);
	assert_string_equal(v->sides[0].author, "ann");
	assert_non_null(strstr(v->sides[0].info, "set owner: "));
	tsm_review_view_list_free(all, n);
	tsm_store_free(s);
}

static void test_resolutions(void **state)
{
	tsm_store *s = store_as("mgr");
	tsm_review_choice ch = TSM_REVIEW_CHOICE_INIT;
	tsm_review_done done;
	tsm_review_view *all, *v;
	tsm_customer *c;
	char id[TSM_REVIEW_ID_MAX];
	size_t n;
	int64_t k;

	(void)state;
	/* c1: a new value typed for the name */
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c1", 0);
	snprintf(id, sizeof(id), "%s", v->item.id);
	tsm_review_view_list_free(all, n);
	ch.choose = "One Corrected";
	ch.note = "checked with the client";
	assert_int_equal(tsm_review_decide(&done, s, id, &ch), 0);
	assert_string_equal(done.choice, "value");
	assert_int_equal(done.data_ops, 1);
	assert_int_equal(tsm_customer_get(&c, s, "c1", 0), 0);
	assert_string_equal(c->f[TSM_CF_NAME], "One Corrected");
	tsm_customer_free(c);
	assert_null(find(&all, &n, s, TSM_REVIEW_CONFLICT, "c1", 0));
	tsm_review_view_list_free(all, n);
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c1", 1);
	assert_non_null(v);
	assert_true(v->closed);
	assert_false(v->item.open);
	assert_string_equal(v->item.choice, "value");
	assert_string_equal(v->note, "checked with the client");
	assert_int_equal(v->nsides, 2);
	tsm_review_view_list_free(all, n);
	/* c2: an invalid stage typed is refused, nothing written */
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c2", 0);
	snprintf(id, sizeof(id), "%s", v->item.id);
	tsm_review_view_list_free(all, n);
	k = nops(s);
	ch.choose = "sideways";
	ch.note = NULL;
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	assert_int_equal(nops(s), k);
	/* ... and the losing side B (lost) is written back: lost now */
	ch.choose = "b";
	assert_int_equal(tsm_review_decide(&done, s, id, &ch), 0);
	assert_string_equal(done.choice, "B");
	assert_int_equal(done.data_ops, 1);
	assert_int_equal(nops(s), k + 2);
	assert_int_equal(tsm_customer_get(&c, s, "c2", 0), 0);
	assert_string_equal(c->stage, "lost");
	tsm_customer_free(c);
	/* c3: restored; the edit made while it was deleted shows */
	v = find(&all, &n, s, TSM_REVIEW_CONFLICT, "c3", 0);
	snprintf(id, sizeof(id), "%s", v->item.id);
	tsm_review_view_list_free(all, n);
	ch.choose = "maybe";
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	ch.choose = "restore";
	assert_int_equal(tsm_review_decide(&done, s, id, &ch), 0);
	assert_string_equal(done.choice, "restore");
	assert_int_equal(tsm_customer_get(&c, s, "c3", 0), 0);
	assert_false(c->deleted);
	assert_string_equal(c->f[TSM_CF_NAME], "Three by Ann");
	tsm_customer_free(c);
	/* the rejection: a choice does not fit, an ack needs a note */
	v = find(&all, &n, s, TSM_REVIEW_REJECTED, "c1", 0);
	snprintf(id, sizeof(id), "%s", v->item.id);
	tsm_review_view_list_free(all, n);
	ch.choose = "A";
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	ch.choose = NULL;
	ch.ack = 1;
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	ch.note = "told ann to ask the lead";
	assert_int_equal(tsm_review_decide(&done, s, id, &ch), 0);
	assert_int_equal(done.data_ops, 0);
	v = find(&all, &n, s, TSM_REVIEW_REJECTED, "c1", 1);
	assert_non_null(v);
	assert_false(v->item.open);
	assert_false(v->closed);
	assert_string_equal(v->item.choice, "ack");
	assert_string_equal(v->note, "told ann to ask the lead");
	assert_string_equal(v->resolved_author, "mgr");
	tsm_review_view_list_free(all, n);
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	/* two choices at once, none, an unknown item */
	ch.dismiss = 1;
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	ch.ack = ch.dismiss = 0;
	assert_int_equal(tsm_review_decide(NULL, s, id, &ch), TSM_EINVALID);
	ch.dismiss = 1;
	assert_int_equal(tsm_review_decide(NULL, s, "rzzzz", &ch),
			 TSM_ENOTFOUND);
	/* nothing open is left */
	{
		tsm_review_filter f = TSM_REVIEW_FILTER_INIT;

		f.open_only = 1;
		assert_int_equal(tsm_review_view_list(&all, &n, s, &f), 0);
		assert_int_equal(n, 0);
		tsm_review_view_list_free(all, n);
	}
	tsm_store_free(s);
}

static void test_roles(void **state)
{
	tsm_store *a = store_as("ann");
	tsm_store *l = store_as("lee");
	tsm_review_choice ch = TSM_REVIEW_CHOICE_INIT;
	tsm_review_view *all, *v;
	tsm_customer *c;
	char id[TSM_REVIEW_ID_MAX];
	size_t n;
	int64_t k;

	(void)state;
	/* ann sees the items on her customers and her own rejection */
	assert_int_equal(tsm_review_view_list(&all, &n, a, NULL), 0);
	assert_int_equal(n, 4);
	tsm_review_view_list_free(all, n);
	v = find(&all, &n, a, TSM_REVIEW_CONFLICT, "c1", 0);
	snprintf(id, sizeof(id), "%s", v->item.id);
	tsm_review_view_list_free(all, n);
	k = nops(a);
	ch.choose = "A";
	assert_int_equal(tsm_review_decide(NULL, a, id, &ch), TSM_EPERM);
	assert_int_equal(nops(a), k);
	/* a lead may pick a side */
	assert_int_equal(tsm_review_decide(NULL, l, id, &ch), 0);
	assert_int_equal(tsm_customer_get(&c, l, "c1", 0), 0);
	assert_string_equal(c->f[TSM_CF_NAME], "One by Ann");
	tsm_customer_free(c);
	tsm_store_free(l);
	tsm_store_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sides),
	    cmocka_unit_test(test_resolutions),
	    cmocka_unit_test(test_roles),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
