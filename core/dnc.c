/* core/dnc.c — the do-not-call list: adding numbers and customers (set dnc
 * ops on the phone's dnc entity and the customer), removing them (managers),
 * and the list as materialized in dnc_list and the customers' flags. */
#include "tsm/dnc.h"
#include "tsm/ops.h"

#include "error.h"
#include "json.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int prep(sqlite3_stmt **st, sqlite3 *db, const char *sql)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return tsm_error_sqlite(db, rc, "prepare query");
	}
	return 0;
}

static const char SQL_LISTED[] = "SELECT dnc FROM dnc_list WHERE phone = ?1";

/* 1 when the normalized phone is listed, 0 when not. */
static int listed(tsm_store *store, const char *phone)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = prep(&st, tsm_store_db(store), SQL_LISTED)) < 0)
		return err;
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	err = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read dnc list");
	sqlite3_finalize(st);
	return err;
}

int tsm_dnc_listed(tsm_store *store, const char *phone)
{
	char e164[TSM_PHONE_MAX];
	int err;

	if ((err = tsm_phone_normalize(e164, sizeof(e164), phone, NULL)) < 0)
		return err;
	return listed(store, e164);
}

/* Live customers with a phone: id, own flag, owner and creator. */
static const char SQL_HOLDERS[] =
    "SELECT id, dnc_flag, owner, created_by FROM customers "
    "WHERE phone = ?1 AND deleted = 0 AND merged_into IS NULL ORDER BY id";

typedef struct holder {
	char id[TSM_CUSTOMER_ID_MAX];
	int flag;
	int writable; /* this member may append a note */
} holder;

/* At most max holders of phone into h; *n gets the total count. */
static int holders(holder *h, size_t max, size_t *n, tsm_store *store,
		   const tsm_viewer *v, const char *phone)
{
	sqlite3_stmt *st = NULL;
	const char *owner, *creator;
	int err, rc, lead;

	*n = 0;
	if ((err = prep(&st, tsm_store_db(store), SQL_HOLDERS)) < 0)
		return err;
	lead = strcmp(v->role, "lead") == 0 || strcmp(v->role, "manager") == 0;
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n < max) {
			snprintf(h[*n].id, sizeof(h[*n].id), "%s",
				 (const char *)sqlite3_column_text(st, 0));
			h[*n].flag = sqlite3_column_int(st, 1);
			owner = (const char *)sqlite3_column_text(st, 2);
			creator = (const char *)sqlite3_column_text(st, 3);
			/* What the op log lets this member write on it. */
			h[*n].writable =
			    lead ||
			    (strcmp(v->role, "auditor") != 0 &&
			     ((owner && strcmp(owner, v->member) == 0) ||
			      (creator && strcmp(creator, v->member) == 0)));
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"find customers");
	return 0;
}

/* What ref names: a phone number (customer "") or a customer (and its
 * phone, "" when it has none). */
static int target(tsm_dnc_result *out, tsm_store *store, const char *ref)
{
	char msg[256];
	tsm_customer *c = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (ref == NULL || *ref == '\0')
		return tsm_error_set(TSM_EINVALID,
				     "give a phone number or a customer");
	if (tsm_phone_normalize(out->phone, sizeof(out->phone), ref, NULL) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s", tsm_error_last()->message);
	err = tsm_customer_get(&c, store, ref, 0);
	if (err == TSM_ENOTFOUND) {
		/* Neither: say why it is no phone when it looks like one. */
		if (strspn(ref, "+0123456789 -()") == strlen(ref))
			return tsm_error_set(TSM_EINVALID, "%s", msg);
		return tsm_error_set(TSM_ENOTFOUND,
				     "'%s' is neither a valid phone number "
				     "nor a customer",
				     ref);
	}
	if (err < 0)
		return err;
	snprintf(out->customer, sizeof(out->customer), "%s", c->id);
	snprintf(out->phone, sizeof(out->phone), "%s",
		 c->f[TSM_CF_PHONE] ? c->f[TSM_CF_PHONE] : "");
	tsm_customer_free(c);
	return 0;
}

#define MAX_SPECS 34
#define MAX_HOLDERS 16

int tsm_dnc_add(tsm_dnc_result *out, tsm_store *store, const char *ref,
		const char *reason)
{
	tsm_op_spec specs[MAX_SPECS];
	holder h[MAX_HOLDERS];
	tsm_viewer v;
	tsm_json *obj = NULL, *why = NULL;
	char *note = NULL, *text = NULL, *why_json = NULL;
	size_t nh = 0, n = 0, i;
	int err, on;

	if ((err = target(out, store, ref)) < 0)
		return err;
	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	if (reason && *reason) {
		size_t len = strlen(reason) + 16;

		text = malloc(len);
		obj = tsm_json_new_object();
		if (text == NULL || obj == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(text, len, "do-not-call: %s", reason);
		if ((err = tsm_json_put_string(obj, "text", text)) < 0 ||
		    (err = tsm_json_print(&note, obj)) < 0)
			goto done;
		/* and on the number itself, for the list */
		if ((why = tsm_json_new_object()) == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		if ((err = tsm_json_put_string(why, "text", reason)) < 0 ||
		    (err = tsm_json_print(&why_json, why)) < 0)
			goto done;
	}
	if (out->phone[0] &&
	    (err = holders(h, MAX_HOLDERS, &nh, store, &v, out->phone)) < 0)
		goto done;
	out->customers = nh;
	if (out->phone[0]) {
		if ((on = listed(store, out->phone)) < 0) {
			err = on;
			goto done;
		}
		if (!on)
			specs[n++] = (tsm_op_spec){"dnc", out->phone, "set",
						   "dnc", "true"};
		if (why_json)
			specs[n++] = (tsm_op_spec){"dnc", out->phone, "append",
						   "note", why_json};
	}
	if (out->customer[0]) {
		tsm_customer *c = NULL;

		if ((err = tsm_customer_get(&c, store, out->customer, 0)) < 0)
			goto done;
		on = c->dnc_flag;
		tsm_customer_free(c);
		if (!on)
			specs[n++] = (tsm_op_spec){"customer", out->customer,
						   "set", "dnc", "true"};
		/* The reason goes on the customer (visible: resolved). */
		if (note)
			specs[n++] = (tsm_op_spec){"customer", out->customer,
						   "append", "note", note};
	} else if (note) {
		for (i = 0; i < nh && i < MAX_HOLDERS; i++)
			if (h[i].writable)
				specs[n++] =
				    (tsm_op_spec){"customer", h[i].id, "append",
						  "note", note};
	}
	out->changed = n;
	if (n > 0)
		err = tsm_ops_append(NULL, store, specs, n);
done:
	tsm_json_free(obj);
	tsm_json_free(why);
	free(note);
	free(why_json);
	free(text);
	return err;
}

int tsm_dnc_remove(tsm_dnc_result *out, tsm_store *store, const char *ref)
{
	tsm_op_spec specs[MAX_SPECS];
	holder h[MAX_HOLDERS];
	tsm_viewer v;
	size_t nh = 0, n = 0, i;
	int err, on;

	if ((err = target(out, store, ref)) < 0)
		return err;
	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	/* The op log's rule (DNC is sticky) is the authority; this says it
	 * plainly before any op is built. */
	if (strcmp(v.role, "manager") != 0)
		return tsm_error_set(TSM_EPERM,
				     "only a manager may take a number off "
				     "the do-not-call list (you are %s)",
				     v.role[0] ? v.role : "not a member");
	if (out->phone[0]) {
		if ((err = holders(h, MAX_HOLDERS, &nh, store, &v,
				   out->phone)) < 0)
			return err;
		out->customers = nh;
		if ((on = listed(store, out->phone)) < 0)
			return on;
		if (on)
			specs[n++] = (tsm_op_spec){"dnc", out->phone, "set",
						   "dnc", "false"};
	}
	/* A number cleared may be called again: clear the own flags of its
	 * customers too; a customer named: its own flag. */
	for (i = 0; i < nh && i < MAX_HOLDERS; i++)
		if (h[i].flag &&
		    !(out->customer[0] && strcmp(h[i].id, out->customer) == 0))
			specs[n++] = (tsm_op_spec){"customer", h[i].id, "set",
						   "dnc", "false"};
	if (out->customer[0]) {
		tsm_customer *c = NULL;

		if ((err = tsm_customer_get(&c, store, out->customer, 0)) < 0)
			return err;
		on = c->dnc_flag;
		tsm_customer_free(c);
		if (on)
			specs[n++] = (tsm_op_spec){"customer", out->customer,
						   "set", "dnc", "false"};
	}
	if (n == 0)
		return tsm_error_set(
		    TSM_ENOTFOUND, "'%s' is not on the do-not-call list", ref);
	out->changed = n;
	return tsm_ops_append(NULL, store, specs, n);
}

/* ---- the list ---- */

void tsm_dnc_list_free(tsm_dnc_entry *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(list[i].customer_name);
		free(list[i].author);
		free(list[i].reason);
	}
	free(list);
}

/* Listed numbers with their first live customer this member may see. */
static const char SQL_NUMBERS[] =
    "SELECT d.phone, d.author, d.updated_at, "
    " (SELECT count(*) FROM customers c WHERE c.phone = d.phone "
    "  AND c.deleted = 0 AND c.merged_into IS NULL), "
    " (SELECT c.id FROM customers c WHERE c.phone = d.phone "
    "  AND c.deleted = 0 AND c.merged_into IS NULL "
    "  AND (?1 OR c.owner = ?2 OR c.created_by = ?2) ORDER BY c.id "
    "  LIMIT 1), "
    " (SELECT c.name FROM customers c WHERE c.phone = d.phone "
    "  AND c.deleted = 0 AND c.merged_into IS NULL "
    "  AND (?1 OR c.owner = ?2 OR c.created_by = ?2) ORDER BY c.id "
    "  LIMIT 1), 1, d.reason "
    "FROM dnc_list d WHERE d.dnc = 1";
/* Flagged customers (visible) whose number is not listed; who flagged it
 * comes from the accepted set(dnc) op in effect, else the create. */
static const char SQL_FLAGGED[] =
    "SELECT coalesce(c.phone, ''), "
    " coalesce((SELECT o.author FROM ops o WHERE o.etype = 'customer' "
    "  AND o.eid = c.id AND o.action = 'set' AND o.field = 'dnc' "
    "  AND o.status = 'accepted' ORDER BY o.hlc DESC LIMIT 1), "
    "  c.created_by), "
    " coalesce((SELECT o.hlc >> 16 FROM ops o WHERE o.etype = 'customer' "
    "  AND o.eid = c.id AND o.action = 'set' AND o.field = 'dnc' "
    "  AND o.status = 'accepted' ORDER BY o.hlc DESC LIMIT 1), "
    "  c.created_at), "
    " 1, c.id, c.name, 0, NULL "
    "FROM customers c WHERE c.dnc_flag = 1 AND c.deleted = 0 "
    "AND c.merged_into IS NULL "
    "AND (?1 OR c.owner = ?2 OR c.created_by = ?2) "
    "AND NOT EXISTS (SELECT 1 FROM dnc_list d WHERE d.phone = c.phone "
    "  AND d.dnc = 1)";

static int entry_cmp(const void *a, const void *b)
{
	const tsm_dnc_entry *x = a, *y = b;
	int r;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if ((r = strcmp(x->phone, y->phone)) != 0)
		return r;
	return strcmp(x->customer, y->customer);
}

static int read_entries(tsm_dnc_entry **list, size_t *n, size_t *cap,
			tsm_store *store, const tsm_viewer *v, const char *sql)
{
	sqlite3_stmt *st = NULL;
	tsm_dnc_entry *e, *grown;
	const unsigned char *t;
	int err, rc, oom = 0;

	if ((err = prep(&st, tsm_store_db(store), sql)) < 0)
		return err;
	sqlite3_bind_int(st, 1, v->all);
	sqlite3_bind_text(st, 2, v->member, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			grown = realloc(*list, *cap * sizeof(**list));
			if (grown == NULL) {
				oom = 1;
				break;
			}
			*list = grown;
		}
		e = &(*list)[*n];
		memset(e, 0, sizeof(*e));
		(*n)++;
		t = sqlite3_column_text(st, 0);
		snprintf(e->phone, sizeof(e->phone), "%s",
			 t ? (const char *)t : "");
		t = sqlite3_column_text(st, 1);
		if (t && (e->author = strdup((const char *)t)) == NULL)
			oom = 1;
		e->at = sqlite3_column_int64(st, 2);
		e->customers = (size_t)sqlite3_column_int64(st, 3);
		t = sqlite3_column_text(st, 4);
		snprintf(e->customer, sizeof(e->customer), "%s",
			 t ? (const char *)t : "");
		t = sqlite3_column_text(st, 5);
		if (t && (e->customer_name = strdup((const char *)t)) == NULL)
			oom = 1;
		e->listed = sqlite3_column_int(st, 6);
		t = sqlite3_column_text(st, 7);
		if (t && (e->reason = strdup((const char *)t)) == NULL)
			oom = 1;
	}
	if (oom)
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read dnc list");
	sqlite3_finalize(st);
	return err;
}

int tsm_dnc_list(tsm_dnc_entry **out, size_t *n, tsm_store *store)
{
	tsm_dnc_entry *list = NULL;
	size_t count = 0, cap = 0;
	tsm_viewer v;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	if ((err = read_entries(&list, &count, &cap, store, &v, SQL_NUMBERS)) <
		0 ||
	    (err = read_entries(&list, &count, &cap, store, &v, SQL_FLAGGED)) <
		0) {
		tsm_dnc_list_free(list, count);
		return err;
	}
	if (count > 1)
		qsort(list, count, sizeof(*list), entry_cmp);
	*out = list;
	*n = count;
	return 0;
}
