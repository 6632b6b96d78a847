/* core/followup.c — follow-ups: create, done and reschedule as ops, find one
 * by id or prefix, list them with the revisits the policy makes due; and the
 * small helpers the calling modules share (core/calling.h). */
#include "tsm/followup.h"

#include "calling.h"
#include "error.h"
#include "hlc.h"
#include "json.h"
#include "store_internal.h"
#include "tsm/policy.h"
#include "tsm/when.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTE_MAX 4096 /* bytes of a follow-up's note or feedback */
#define PREFIX_MIN 4

static const char *const kind_names[TSM_FOLLOWUP_NKINDS] = {
    "callback",
    "followup",
    "revisit",
};

const char *tsm_followup_kind_name(int kind)
{
	if (kind < 0 || kind >= TSM_FOLLOWUP_NKINDS)
		return NULL;
	return kind_names[kind];
}

int tsm_followup_kind_lookup(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < TSM_FOLLOWUP_NKINDS; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- shared helpers (core/calling.h) ---- */

int calling_prepare(sqlite3_stmt **out, tsm_store *store, const char *sql)
{
	sqlite3 *db = tsm_store_db(store);
	int rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);

	if (rc != SQLITE_OK) {
		*out = NULL;
		return tsm_error_sqlite(db, rc, "prepare query");
	}
	return 0;
}

void calling_bind(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

char *calling_col_dup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	char *copy;

	if (s == NULL)
		return NULL;
	copy = strdup((const char *)s);
	if (copy == NULL)
		*oom = 1;
	return copy;
}

void calling_new_id(char *out, size_t size, char prefix)
{
	unsigned char raw[6];
	char hex[2 * sizeof(raw) + 1];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(out, size, "%c%s", prefix, hex);
}

int calling_revisit_ms(int64_t *out, tsm_store *store)
{
	tsm_policy p;
	int err;

	if ((err = tsm_policy_get(&p, store)) < 0)
		return err;
	*out = p.revisit_days * DAY_MS;
	return 0;
}

/* ---- open follow-ups on an own list (core/calling.h) ---- */

/* How much cheaper a row of the own list (a covering-index entry and a
 * probe into a small index) is than a row reached by id (a random page of
 * the customers table). */
#define OWN_PER_DUE 8

#define OWN_COLS                                                               \
	"SELECT f.id, f.customer, f.kind, f.due, c.phone, c.dnc, "             \
	"c.name, " SQL_OWNER("c") ", f.note, f.created_by, f.created_at "
#define OWN_WHERE                                                              \
	"f.done = 0 AND f.due >= ?2 AND f.due < ?3 AND (?4 = 0 OR "            \
	"(?4 = 1 AND f.kind <> 'revisit') OR (?4 = 2 AND f.kind = 'revisit'))" \
	" AND " SQL_LIVE("c") " AND " SQL_OWNER("c") " = ?1 "                  \
						     "ORDER BY f.due, f.id"

/* From the follow-ups due in the window to their customers. */
static const char own_by_due[] =
    OWN_COLS "FROM followups f INDEXED BY followups_due "
	     "CROSS JOIN customers c ON c.id = f.customer WHERE " OWN_WHERE;
/* From the member's customers to their follow-ups. */
static const char own_by_list[] =
    OWN_COLS "FROM customers c INDEXED BY customers_queue "
	     "CROSS JOIN followups f INDEXED BY followups_cust "
	     "ON f.customer = c.id WHERE " OWN_WHERE;

static int count_one(int64_t *out, sqlite3_stmt *st, tsm_store *store)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_ROW)
		return tsm_error_sqlite(tsm_store_db(store), rc, "count");
	*out = sqlite3_column_int64(st, 0);
	return 0;
}

/* 1 when walking the own list reads less than reaching the window's
 * follow-ups' customers by id. */
static int own_plan(int *by_list, tsm_store *store, const char *member,
		    int64_t from, int64_t to)
{
	sqlite3_stmt *st = NULL;
	int64_t due = 0, own = 0;
	int err;

	*by_list = 0;
	err = calling_prepare(&st, store,
			      "SELECT count(*) FROM followups "
			      "INDEXED BY followups_due WHERE done = 0 AND "
			      "due >= ?1 AND due < ?2");
	if (err < 0)
		return err;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	err = count_one(&due, st, store);
	sqlite3_finalize(st);
	if (err < 0 || due == 0)
		return err;
	err = calling_prepare(
	    &st, store,
	    "SELECT count(*) FROM (SELECT 1 FROM customers c "
	    "WHERE " SQL_OWNER("c") " = ?1 AND " SQL_LIVE("c") " LIMIT ?2)");
	if (err < 0)
		return err;
	calling_bind(st, 1, member);
	sqlite3_bind_int64(st, 2, due * OWN_PER_DUE);
	err = count_one(&own, st, store);
	sqlite3_finalize(st);
	*by_list = own < due * OWN_PER_DUE;
	return err;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int calling_own_followups(tsm_store *store, const char *member, int64_t from,
			  int64_t to, int kinds, calling_fu_fn fn, void *arg)
{
	struct calling_fu f;
	sqlite3_stmt *st = NULL;
	int by_list, rc, err;

	if ((err = own_plan(&by_list, store, member, from, to)) < 0)
		return err;
	err = calling_prepare(&st, store, by_list ? own_by_list : own_by_due);
	if (err < 0)
		return err;
	calling_bind(st, 1, member);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int(st, 4, kinds);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f.id = col(st, 0);
		f.customer = col(st, 1);
		f.kind = col(st, 2);
		f.due = sqlite3_column_int64(st, 3);
		f.phone = col(st, 4);
		f.dnc = sqlite3_column_int(st, 5);
		f.name = col(st, 6);
		f.owner = col(st, 7);
		f.note = col(st, 8);
		f.created_by = col(st, 9);
		f.created_at = sqlite3_column_int64(st, 10);
		if ((err = fn(arg, &f)) != 0)
			break;
	}
	if (err == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc,
				       "read follow-ups");
	sqlite3_finalize(st);
	return err < 0 ? err : 0;
}

/* ---- time ---- */

int64_t tsm_followup_now(void)
{
	return tsm_clock_now_ms();
}

int tsm_followup_day(int64_t *from, int64_t *to, int64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	time_t a, b;

	if (localtime_r(&t, &tm) == NULL)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	a = mktime(&tm);
	if (localtime_r(&t, &tm) == NULL)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	tm.tm_mday++;
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	b = mktime(&tm);
	if (a == (time_t)-1 || b == (time_t)-1)
		return tsm_error_set(TSM_EINVALID, "time out of range");
	*from = (int64_t)a * 1000;
	*to = (int64_t)b * 1000;
	return 0;
}

int tsm_followup_parse_due(int64_t *out_ms, const char *text)
{
	int64_t now = tsm_followup_now(), ms, from, to;
	int err;

	if ((err = tsm_when_parse(&ms, text, now)) < 0)
		return err;
	if ((err = tsm_followup_day(&from, &to, now)) < 0)
		return err;
	if (ms < from)
		return tsm_error_set(TSM_EINVALID,
				     "invalid time '%s': in the past", text);
	*out_ms = ms;
	return 0;
}

/* ---- building ops ---- */

static int text_ok(const char *what, const char *s)
{
	if (s && strlen(s) > NOTE_MAX)
		return tsm_error_set(TSM_EINVALID,
				     "%s is too long (at most %d bytes)", what,
				     NOTE_MAX);
	return 0;
}

static int finish_op(tsm_followup_op *out, tsm_json *v, const char *action,
		     const char *field)
{
	int err;

	if (v == NULL) {
		tsm_json_free(v);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	err = tsm_json_print(&out->value, v);
	tsm_json_free(v);
	if (err < 0)
		return err;
	out->spec.etype = "followup";
	out->spec.eid = out->id;
	out->spec.action = action;
	out->spec.field = field;
	out->spec.value = out->value;
	return 0;
}

int tsm_followup_op_build(tsm_followup_op *out, const tsm_followup_new *f)
{
	tsm_json *v;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (f->customer == NULL || *f->customer == '\0')
		return tsm_error_set(TSM_EINVALID, "a follow-up needs a "
						   "customer");
	if (tsm_followup_kind_name(f->kind) == NULL)
		return tsm_error_set(TSM_EINVALID,
				     "invalid follow-up kind; expected "
				     "callback, followup or revisit");
	if (f->due <= 0)
		return tsm_error_set(TSM_EINVALID, "a follow-up needs a due "
						   "time");
	if ((err = text_ok("the note", f->note)) < 0)
		return err;
	calling_new_id(out->id, sizeof(out->id), 'f');
	v = tsm_json_new_object();
	if (v) {
		err |= tsm_json_put_string(v, "customer", f->customer);
		err |= tsm_json_put_int(v, "due", f->due);
		err |= tsm_json_put_string(v, "kind",
					   tsm_followup_kind_name(f->kind));
		if (f->note && *f->note)
			err |= tsm_json_put_string(v, "note", f->note);
		if (err) {
			tsm_json_free(v);
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
	}
	return finish_op(out, v, "create", NULL);
}

int tsm_followup_done_op_build(tsm_followup_op *out, const char *id, int64_t at,
			       int satisfaction, const char *feedback)
{
	tsm_json *v;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (satisfaction < 0 || satisfaction > 5)
		return tsm_error_set(TSM_EINVALID,
				     "invalid satisfaction %d: expected 1 to 5",
				     satisfaction);
	if ((err = text_ok("the feedback", feedback)) < 0)
		return err;
	snprintf(out->id, sizeof(out->id), "%s", id);
	v = tsm_json_new_object();
	if (v) {
		err |= tsm_json_put_int(v, "at", at);
		if (satisfaction > 0)
			err |=
			    tsm_json_put_int(v, "satisfaction", satisfaction);
		if (feedback && *feedback)
			err |= tsm_json_put_string(v, "feedback", feedback);
		if (err) {
			tsm_json_free(v);
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
	}
	return finish_op(out, v, "done", NULL);
}

void tsm_followup_op_dispose(tsm_followup_op *op)
{
	if (op == NULL)
		return;
	free(op->value);
	memset(op, 0, sizeof(*op));
}

/* ---- writing ---- */

int tsm_followup_add(char *out, tsm_store *store, const char *ref,
		     const tsm_followup_new *f)
{
	char cid[TSM_CUSTOMER_ID_MAX];
	tsm_followup_new copy = *f;
	tsm_followup_op op;
	int err;

	if ((err = tsm_customer_resolve(cid, store, ref, 0)) < 0)
		return err;
	copy.customer = cid;
	if ((err = tsm_followup_op_build(&op, &copy)) < 0)
		return err;
	err = tsm_ops_append(NULL, store, &op.spec, 1);
	if (err == 0 && out)
		snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s", op.id);
	tsm_followup_op_dispose(&op);
	return err;
}

/* One follow-up row as done/reschedule need it. */
struct frow {
	char id[TSM_FOLLOWUP_ID_MAX];
	char customer[TSM_CUSTOMER_ID_MAX];
	int done;
	int64_t due;
};

static int frow_get(struct frow *out, tsm_store *store, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	err = calling_prepare(&st, store,
			      "SELECT id, customer, done, due FROM followups "
			      "WHERE id = ?1");
	if (err < 0)
		return err;
	calling_bind(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out->id, sizeof(out->id), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(out->customer, sizeof(out->customer), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		out->done = sqlite3_column_int(st, 2);
		out->due = sqlite3_column_int64(st, 3);
		err = 0;
	} else if (rc == SQLITE_DONE) {
		err = tsm_error_set(TSM_ENOTFOUND, "no follow-up '%s'", id);
	} else {
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read follow-up");
	}
	sqlite3_finalize(st);
	return err;
}

int tsm_followup_resolve(char *out, tsm_store *store, const char *ref)
{
	char cid[TSM_CUSTOMER_ID_MAX], upper[TSM_FOLLOWUP_ID_MAX + 2];
	char found[4][TSM_FOLLOWUP_ID_MAX];
	sqlite3_stmt *st = NULL;
	size_t len, nfound = 0, i;
	int rc, err, vis;
	int64_t due;

	if (ref == NULL || *ref == '\0')
		return tsm_error_set(TSM_EINVALID, "no follow-up given");
	len = strlen(TSM_FOLLOWUP_REVISIT_PREFIX);
	if (strncmp(ref, TSM_FOLLOWUP_REVISIT_PREFIX, len) == 0) {
		if ((err = tsm_customer_resolve(cid, store, ref + len, 0)) < 0)
			return err;
		if ((err = tsm_followup_revisit_due(&due, store, cid)) < 0)
			return err;
		if (due == 0)
			return tsm_error_set(TSM_ENOTFOUND,
					     "no revisit due for '%s' (not a "
					     "signed client, or its revisit "
					     "is a follow-up already)",
					     ref + len);
		snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s%s",
			 TSM_FOLLOWUP_REVISIT_PREFIX, cid);
		return 0;
	}
	len = strlen(ref);
	if (len >= TSM_FOLLOWUP_ID_MAX)
		return tsm_error_set(TSM_ENOTFOUND, "no follow-up '%s'", ref);
	/* An exact id, else ids in [ref, ref "~"): hex digits sort below "~".
	 */
	/* [ref, ref "\x01") holds ref alone; a short ref is no prefix. */
	snprintf(upper, sizeof(upper), "%s%s", ref,
		 len >= PREFIX_MIN ? "~" : "\x01");
	err =
	    calling_prepare(&st, store,
			    "SELECT id, customer FROM followups "
			    "WHERE id >= ?1 AND id < ?2 ORDER BY id <> ?1, id");
	if (err < 0)
		return err;
	calling_bind(st, 1, ref);
	calling_bind(st, 2, upper);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *c = (const char *)sqlite3_column_text(st, 1);

		vis = tsm_customer_visible(store, c);
		if (vis < 0) {
			err = vis;
			goto done;
		}
		if (!vis)
			continue;
		if (strcmp(id, ref) == 0) {
			snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s", id);
			err = 0;
			goto done;
		}
		if (nfound < 4)
			snprintf(found[nfound], sizeof(found[0]), "%s", id);
		nfound++;
	}
	if (rc != SQLITE_DONE) {
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "find follow-up");
		goto done;
	}
	if (nfound == 0) {
		err = tsm_error_set(TSM_ENOTFOUND, "no follow-up '%s'", ref);
	} else if (nfound == 1) {
		snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s", found[0]);
		err = 0;
	} else {
		char list[4 * (TSM_FOLLOWUP_ID_MAX + 2)] = "";
		size_t k = nfound < 4 ? nfound : 4;

		for (i = 0; i < k; i++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s",
				 i ? ", " : "", found[i]);
		}
		err = tsm_error_set(TSM_EINVALID,
				    "'%s' matches %zu follow-ups: %s%s", ref,
				    nfound, list, nfound > k ? ", ..." : "");
	}
done:
	sqlite3_finalize(st);
	return err;
}

int tsm_followup_done(char *out, tsm_store *store, const char *ref,
		      int satisfaction, const char *feedback)
{
	char id[TSM_FOLLOWUP_ID_MAX];
	tsm_followup_op ops[2];
	tsm_op_spec specs[2];
	tsm_followup_new f = TSM_FOLLOWUP_NEW_INIT;
	struct frow row;
	size_t plen = strlen(TSM_FOLLOWUP_REVISIT_PREFIX);
	int64_t now = tsm_followup_now(), due;
	int err;

	memset(ops, 0, sizeof(ops));
	if ((err = tsm_followup_resolve(id, store, ref)) < 0)
		return err;
	if (strncmp(id, TSM_FOLLOWUP_REVISIT_PREFIX, plen) == 0) {
		/* A computed revisit becomes a follow-up created done. */
		if ((err = tsm_followup_revisit_due(&due, store, id + plen)) <
		    0)
			return err;
		f.customer = id + plen;
		f.due = due;
		f.kind = TSM_FOLLOWUP_REVISIT;
		if ((err = tsm_followup_op_build(&ops[0], &f)) < 0)
			goto done;
		err = tsm_followup_done_op_build(&ops[1], ops[0].id, now,
						 satisfaction, feedback);
		if (err < 0)
			goto done;
		specs[0] = ops[0].spec;
		specs[1] = ops[1].spec;
		if ((err = tsm_ops_append(NULL, store, specs, 2)) < 0)
			goto done;
		if (out)
			snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s", ops[0].id);
		goto done;
	}
	if ((err = frow_get(&row, store, id)) < 0)
		return err;
	if (row.done) {
		err = tsm_error_set(TSM_EINVALID,
				    "follow-up %s is done "
				    "already",
				    id);
		goto done;
	}
	err = tsm_followup_done_op_build(&ops[0], id, now, satisfaction,
					 feedback);
	if (err < 0)
		goto done;
	if ((err = tsm_ops_append(NULL, store, &ops[0].spec, 1)) < 0)
		goto done;
	if (out)
		snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s", id);
done:
	tsm_followup_op_dispose(&ops[0]);
	tsm_followup_op_dispose(&ops[1]);
	return err;
}

int tsm_followup_reschedule(char *out, tsm_store *store, const char *ref,
			    int64_t due)
{
	char id[TSM_FOLLOWUP_ID_MAX], value[32];
	tsm_op_spec spec = {"followup", NULL, "set", "due", value};
	struct frow row;
	int err;

	if (due <= 0)
		return tsm_error_set(TSM_EINVALID, "a follow-up needs a due "
						   "time");
	if ((err = tsm_followup_resolve(id, store, ref)) < 0)
		return err;
	if (strncmp(id, TSM_FOLLOWUP_REVISIT_PREFIX,
		    strlen(TSM_FOLLOWUP_REVISIT_PREFIX)) == 0) {
		/* A computed revisit moves by becoming a follow-up. */
		tsm_followup_new f = TSM_FOLLOWUP_NEW_INIT;

		f.due = due;
		f.kind = TSM_FOLLOWUP_REVISIT;
		return tsm_followup_add(
		    out, store, id + strlen(TSM_FOLLOWUP_REVISIT_PREFIX), &f);
	}
	if ((err = frow_get(&row, store, id)) < 0)
		return err;
	snprintf(value, sizeof(value), "%lld", (long long)due);
	spec.eid = id;
	if ((err = tsm_ops_append(NULL, store, &spec, 1)) < 0)
		return err;
	if (out)
		snprintf(out, TSM_FOLLOWUP_ID_MAX, "%s", id);
	return 0;
}

/* ---- reading ---- */

static void item_dispose(tsm_followup *f)
{
	free(f->customer_name);
	free(f->phone);
	free(f->owner);
	free(f->note);
	free(f->done_by);
	free(f->feedback);
	free(f->created_by);
	memset(f, 0, sizeof(*f));
}

void tsm_followup_list_free(tsm_followup *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		item_dispose(&list[i]);
	free(list);
}

struct flist {
	tsm_followup *v;
	size_t n, cap;
};

static tsm_followup *flist_push(struct flist *l)
{
	tsm_followup *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 32;
		v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* The scope's WHERE fragments: 1 = own list of ?M, 2 = team as visible
 * to an agent (?M owns or created), 3 = the whole team. Each statement is
 * a literal; see fl_sql below. */
enum { SC_OWN = 0, SC_AGENT, SC_ALL, SC_COUNT };

#define FL_COLS                                                                \
	"SELECT f.id, f.customer, c.name, c.phone, " SQL_OWNER(                \
	    "c") ", f.kind, f.due, f.note, f.done, f.done_at, f.done_by, "     \
		 "f.satisfaction, f.feedback, f.created_by, f.created_at "     \
		 "FROM followups f JOIN customers c ON c.id = f.customer "     \
		 "WHERE " SQL_LIVE(                                            \
		     "c") " AND f.due >= ?2 AND f.due < ?3 "                   \
			  "AND (?4 IS NULL OR f.customer = ?4) AND "
#define FL_ORDER " ORDER BY f.due, f.id"
#define FL_OPEN "f.done = 0 AND "

static const char *const fl_sql[2][SC_COUNT] = {
    {
	FL_COLS FL_OPEN SQL_OWNER("c") " = ?1" FL_ORDER,
	FL_COLS FL_OPEN "(c.owner = ?1 OR c.created_by = ?1)" FL_ORDER,
	FL_COLS FL_OPEN "?1 IS NOT NULL" FL_ORDER,
    },
    {
	FL_COLS SQL_OWNER("c") " = ?1" FL_ORDER,
	FL_COLS "(c.owner = ?1 OR c.created_by = ?1)" FL_ORDER,
	FL_COLS "?1 IS NOT NULL" FL_ORDER,
    },
};

#define RV_COLS                                                                \
	"SELECT c.id, c.name, c.phone, " SQL_OWNER("c") ", " SQL_REVISIT_BASE( \
	    "c") " FROM customers c WHERE c.stage "                            \
		 "= 'won' AND " SQL_LIVE(                                      \
		     "c") " AN"                                                \
			  "D"                                                  \
			  " " SQL_NO_OPEN_REVISIT(                             \
			      "c") " AND (?2 IS NULL OR c.id = ?2) AND "

static const char *const rv_sql[SC_COUNT] = {
    RV_COLS SQL_OWNER("c") " = ?1",
    RV_COLS "(c.owner = ?1 OR c.created_by = ?1)",
    RV_COLS "?1 IS NOT NULL",
};

static int fl_rows(struct flist *l, tsm_store *store, const char *sql,
		   const char *member, int64_t from, int64_t to,
		   const char *customer)
{
	sqlite3_stmt *st = NULL;
	tsm_followup *f;
	int rc, err, oom = 0;

	if ((err = calling_prepare(&st, store, sql)) < 0)
		return err;
	calling_bind(st, 1, member);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	calling_bind(st, 4, customer);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((f = flist_push(l)) == NULL) {
			oom = 1;
			break;
		}
		snprintf(f->id, sizeof(f->id), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(f->customer, sizeof(f->customer), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		f->customer_name = calling_col_dup(st, 2, &oom);
		f->phone = calling_col_dup(st, 3, &oom);
		f->owner = calling_col_dup(st, 4, &oom);
		f->kind = tsm_followup_kind_lookup(
		    (const char *)sqlite3_column_text(st, 5));
		if (f->kind < 0)
			f->kind = TSM_FOLLOWUP_FOLLOWUP;
		f->due = sqlite3_column_int64(st, 6);
		f->note = calling_col_dup(st, 7, &oom);
		f->done = sqlite3_column_int(st, 8);
		f->done_at = sqlite3_column_int64(st, 9);
		f->done_by = calling_col_dup(st, 10, &oom);
		f->satisfaction = sqlite3_column_int(st, 11);
		f->feedback = calling_col_dup(st, 12, &oom);
		f->created_by = calling_col_dup(st, 13, &oom);
		f->created_at = sqlite3_column_int64(st, 14);
		if (oom)
			break;
	}
	if (oom)
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc,
				       "list follow-ups");
	sqlite3_finalize(st);
	return err;
}

/* Collects open follow-ups of the own list (calling_own_followups). */
struct own_collect {
	struct flist *l;
	const char *customer; /* only this one, or NULL */
};

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

static int own_collect_fn(void *arg, const struct calling_fu *r)
{
	struct own_collect *oc = arg;
	tsm_followup *f;
	int oom = 0;

	if (oc->customer && strcmp(oc->customer, r->customer) != 0)
		return 0;
	if ((f = flist_push(oc->l)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(f->id, sizeof(f->id), "%s", r->id);
	snprintf(f->customer, sizeof(f->customer), "%s", r->customer);
	f->customer_name = dup_or_null(r->name, &oom);
	f->phone = dup_or_null(r->phone, &oom);
	f->owner = dup_or_null(r->owner, &oom);
	f->kind = tsm_followup_kind_lookup(r->kind);
	if (f->kind < 0)
		f->kind = TSM_FOLLOWUP_FOLLOWUP;
	f->due = r->due;
	f->note = dup_or_null(r->note, &oom);
	f->created_by = dup_or_null(r->created_by, &oom);
	f->created_at = r->created_at;
	return oom ? tsm_error_set(TSM_ENOMEM, "out of memory") : 0;
}

static int rv_rows(struct flist *l, tsm_store *store, const char *sql,
		   const char *member, int64_t from, int64_t to,
		   const char *customer, int64_t cadence)
{
	sqlite3_stmt *st = NULL;
	tsm_followup *f;
	int64_t due;
	int rc, err, oom = 0;

	if ((err = calling_prepare(&st, store, sql)) < 0)
		return err;
	calling_bind(st, 1, member);
	calling_bind(st, 2, customer);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		due = sqlite3_column_int64(st, 4) + cadence;
		if (due < from || due >= to)
			continue;
		if ((f = flist_push(l)) == NULL) {
			oom = 1;
			break;
		}
		snprintf(f->id, sizeof(f->id), "%s%s",
			 TSM_FOLLOWUP_REVISIT_PREFIX,
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(f->customer, sizeof(f->customer), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		f->customer_name = calling_col_dup(st, 1, &oom);
		f->phone = calling_col_dup(st, 2, &oom);
		f->owner = calling_col_dup(st, 3, &oom);
		f->kind = TSM_FOLLOWUP_REVISIT;
		f->due = due;
		f->computed = 1;
		if (oom)
			break;
	}
	if (oom)
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "list revisits");
	sqlite3_finalize(st);
	return err;
}

static int fl_cmp(const void *pa, const void *pb)
{
	const tsm_followup *a = pa, *b = pb;

	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return strcmp(a->id, b->id);
}

int tsm_followup_list(tsm_followup **out, size_t *n, tsm_store *store,
		      const tsm_followup_filter *filter)
{
	tsm_followup_filter def = TSM_FOLLOWUP_FILTER_INIT;
	const tsm_followup_filter *fl = filter ? filter : &def;
	struct flist l = {0};
	tsm_viewer me;
	const char *member;
	int64_t from, to, cadence;
	int scope, err, i;

	*out = NULL;
	*n = 0;
	if ((err = tsm_viewer_get(&me, store)) < 0)
		return err;
	member = me.member;
	scope = SC_OWN;
	if (fl->scope == TSM_FOLLOWUP_MEMBER && fl->member &&
	    strcmp(fl->member, me.member) != 0) {
		if (!me.all)
			return tsm_error_set(TSM_EPERM,
					     "an agent sees only their own "
					     "list; leads, managers, "
					     "assistants and auditors may "
					     "see '%s'",
					     fl->member);
		member = fl->member;
	} else if (fl->scope == TSM_FOLLOWUP_TEAM) {
		scope = me.all ? SC_ALL : SC_AGENT;
	}
	from = fl->due_from > 0 ? fl->due_from : INT64_MIN;
	to = fl->due_to > 0 ? fl->due_to : INT64_MAX;
	if (scope == SC_OWN && !fl->include_done) {
		struct own_collect oc = {&l, fl->customer};

		err = calling_own_followups(store, member, from, to, CF_ANY,
					    own_collect_fn, &oc);
	} else {
		err =
		    fl_rows(&l, store, fl_sql[fl->include_done ? 1 : 0][scope],
			    member, from, to, fl->customer);
	}
	if (err == 0 && fl->revisits) {
		err = calling_revisit_ms(&cadence, store);
		if (err == 0)
			err = rv_rows(&l, store, rv_sql[scope], member, from,
				      to, fl->customer, cadence);
	}
	if (err < 0) {
		tsm_followup_list_free(l.v, l.n);
		return err;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(l.v[0]), fl_cmp);
	if (fl->limit && l.n > fl->limit) {
		for (i = (int)fl->limit; (size_t)i < l.n; i++)
			item_dispose(&l.v[i]);
		l.n = fl->limit;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int tsm_followup_revisit_due(int64_t *out, tsm_store *store, const char *id)
{
	sqlite3_stmt *st = NULL;
	int64_t cadence;
	int rc, err;

	*out = 0;
	if ((err = calling_revisit_ms(&cadence, store)) < 0)
		return err;
	err = calling_prepare(
	    &st, store,
	    "SELECT " SQL_REVISIT_BASE(
		"c") " FROM customers c "
		     "WHERE c.id = ?1 AND c.stage = 'won' AND " SQL_LIVE(
			 "c") " AND " SQL_NO_OPEN_REVISIT("c"));
	if (err < 0)
		return err;
	calling_bind(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0) + cadence;
	else if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc, "read revisit");
	sqlite3_finalize(st);
	return err;
}
