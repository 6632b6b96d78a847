/* core/review_ext.c — the review queue as a lead or manager works it: items
 * with both sides (values, authors, times, ops), items closed by resolutions
 * that changed the data, and resolutions that write the chosen side back or
 * merge duplicates, atomically with the resolve op. */
#include "tsm/review_ext.h"

#include "error.h"
#include "json.h"
#include "store_internal.h"
#include "tsm/customer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int prep(sqlite3_stmt **st, tsm_store *store, const char *sql)
{
	sqlite3 *db = tsm_store_db(store);
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return tsm_error_sqlite(db, rc, "read review items");
	}
	return 0;
}

static void side_label(char out[4], size_t i)
{
	if (i < 26)
		snprintf(out, 4, "%c", (char)('A' + i));
	else
		snprintf(out, 4, "%zu", (i + 1) % 1000);
}

/* An op of the log by id. */
typedef struct opinfo {
	char author[TSM_MEMBER_MAX];
	int64_t at;
	char etype[32];
	char action[32];
	char field[72];
	char *value; /* malloc'd canonical JSON or NULL */
	int accepted;
	int found;
} opinfo;

static const char SQL_OP[] =
    "SELECT author, hlc, etype, action, field, value, status FROM ops "
    "WHERE site = ?1 AND seq = ?2";

static int op_lookup(opinfo *out, tsm_store *store, const char *id)
{
	sqlite3_stmt *st = NULL;
	tsm_opid oid;
	const char *s;
	int rc, err;

	memset(out, 0, sizeof(*out));
	if (id == NULL || tsm_opid_parse(&oid, id) < 0) {
		tsm_error_clear();
		return 0;
	}
	if ((err = prep(&st, store, SQL_OP)) < 0)
		return err;
	sqlite3_bind_text(st, 1, oid.site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, oid.seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->found = 1;
		s = (const char *)sqlite3_column_text(st, 0);
		snprintf(out->author, sizeof(out->author), "%s", s ? s : "");
		out->at =
		    (int64_t)((uint64_t)sqlite3_column_int64(st, 1) >> 16);
		s = (const char *)sqlite3_column_text(st, 2);
		snprintf(out->etype, sizeof(out->etype), "%s", s ? s : "");
		s = (const char *)sqlite3_column_text(st, 3);
		snprintf(out->action, sizeof(out->action), "%s", s ? s : "");
		s = (const char *)sqlite3_column_text(st, 4);
		snprintf(out->field, sizeof(out->field), "%s", s ? s : "");
		s = (const char *)sqlite3_column_text(st, 5);
		out->value = dup_or_null(s);
		s = (const char *)sqlite3_column_text(st, 6);
		out->accepted = s && strcmp(s, TSM_OP_ACCEPTED) == 0;
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(tsm_store_db(store), rc, "read op");
	}
	sqlite3_finalize(st);
	return err;
}

/* ---- sides ---- */

typedef struct sides {
	tsm_review_side *v;
	size_t n, cap;
} sides;

static void side_dispose(tsm_review_side *s)
{
	free(s->author);
	free(s->value);
	free(s->text);
	free(s->info);
	free(s->customer);
}

static void sides_free(sides *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		side_dispose(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* A new side (labelled) at the end; NULL when out of memory. */
static tsm_review_side *side_new(sides *s)
{
	tsm_review_side *tmp;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		tmp = realloc(s->v, s->cap * sizeof(*s->v));
		if (tmp == NULL)
			return NULL;
		s->v = tmp;
	}
	tmp = &s->v[s->n];
	memset(tmp, 0, sizeof(*tmp));
	side_label(tmp->label, s->n);
	s->n++;
	return tmp;
}

/* A side for an op: author, time and (unless value is given) its value. */
static int side_op(sides *s, tsm_store *store, const char *id,
		   const tsm_json *value, const char *info, opinfo *got)
{
	tsm_review_side *sd = side_new(s);
	opinfo oi;
	int err;

	if (sd == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(sd->op, sizeof(sd->op), "%s", id ? id : "");
	if ((err = op_lookup(&oi, store, id)) < 0)
		return err;
	if (oi.found) {
		sd->author = strdup(oi.author);
		sd->at = oi.at;
		if (sd->author == NULL)
			goto nomem;
	}
	if (value) {
		if ((err = tsm_json_print(&sd->value, value)) < 0) {
			free(oi.value);
			return err;
		}
	} else {
		sd->value = oi.value;
		oi.value = NULL;
	}
	if (info)
		sd->info = strdup(info);
	else if (oi.found && oi.field[0]) {
		size_t len = strlen(oi.action) + strlen(oi.field) + 2;

		if ((sd->info = malloc(len)) != NULL)
			snprintf(sd->info, len, "%s %s", oi.action, oi.field);
	} else {
		sd->info = strdup(oi.found ? oi.action : "unknown op");
	}
	if (sd->info == NULL)
		goto nomem;
	if (got) {
		*got = oi;
		oi.value = NULL;
	}
	free(oi.value);
	return 0;
nomem:
	free(oi.value);
	return tsm_error_set(TSM_ENOMEM, "out of memory");
}

static const char SQL_CUSTOMER[] =
    "SELECT name, created_by, created_at, create_op, merged_into, deleted, "
    "(SELECT count(*) FROM calls k WHERE k.customer = c.id), "
    "(SELECT count(*) FROM orders o WHERE o.customer = c.id) "
    "FROM customers c WHERE id = ?1";

static int side_customer(sides *s, tsm_store *store, const char *id)
{
	tsm_review_side *sd = side_new(s);
	sqlite3_stmt *st = NULL;
	const char *name, *by, *op, *into;
	char info[512];
	int rc, err;

	if (sd == NULL || (sd->customer = strdup(id)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = prep(&st, store, SQL_CUSTOMER)) < 0)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		by = (const char *)sqlite3_column_text(st, 1);
		op = (const char *)sqlite3_column_text(st, 3);
		into = (const char *)sqlite3_column_text(st, 4);
		sd->at = sqlite3_column_int64(st, 2);
		snprintf(sd->op, sizeof(sd->op), "%s", op ? op : "");
		sd->current = into == NULL && sqlite3_column_int(st, 5) == 0;
		snprintf(info, sizeof(info),
			 "%s, %lld call%s, %lld order%s%s%s%s",
			 name ? name : "(no name)",
			 (long long)sqlite3_column_int64(st, 6),
			 sqlite3_column_int64(st, 6) == 1 ? "" : "s",
			 (long long)sqlite3_column_int64(st, 7),
			 sqlite3_column_int64(st, 7) == 1 ? "" : "s",
			 into ? ", merged into " : "", into ? into : "",
			 sqlite3_column_int(st, 5) ? ", deleted" : "");
		sd->info = strdup(info);
		sd->author = dup_or_null(by);
		if (sd->info == NULL || (by && sd->author == NULL))
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		sd->info = strdup("(unknown customer)");
		if (sd->info == NULL)
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
	} else {
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read customer");
	}
	sqlite3_finalize(st);
	return err;
}

static const char SQL_DELETED[] = "SELECT deleted FROM customers WHERE id = ?1";

static int customer_deleted(tsm_store *store, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc, err, v = 0;

	if ((err = prep(&st, store, SQL_DELETED)) < 0)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(st, 0) != 0;
	else if (rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read customer");
	sqlite3_finalize(st);
	return err < 0 ? err : v;
}

/* The text of a JSON string value. */
static int string_text(char **out, const char *json)
{
	tsm_json *j = NULL;
	int err;

	*out = NULL;
	if ((err = tsm_json_parse(&j, json, strlen(json))) < 0)
		return err;
	if (tsm_json_string(j) && (*out = strdup(tsm_json_string(j))) == NULL)
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
	tsm_json_free(j);
	return err;
}

/* The sides of an item from its detail (parsed). */
static int build_sides(sides *out, tsm_store *store, const char *kind,
		       const char *eid, const char *field,
		       const tsm_json *detail)
{
	const tsm_json *it;
	opinfo oi;
	char info[160];
	size_t i, last = (size_t)-1;
	int err = 0, del;

	memset(out, 0, sizeof(*out));
	if (strcmp(kind, TSM_REVIEW_CONFLICT) == 0 &&
	    strcmp(field, "deleted") == 0) {
		if ((del = customer_deleted(store, eid)) < 0)
			return del;
		err = side_op(out, store,
			      tsm_json_string(tsm_json_get(detail, "delete")),
			      NULL, "delete", NULL);
		if (err == 0)
			out->v[0].current = del;
		for (it = tsm_json_first(tsm_json_get(detail, "edits"));
		     it && err == 0; it = tsm_json_next(it))
			if ((err = side_op(out, store, tsm_json_string(it),
					   NULL, NULL, NULL)) == 0)
				out->v[out->n - 1].current = !del;
	} else if (strcmp(kind, TSM_REVIEW_CONFLICT) == 0) {
		for (it = tsm_json_first(tsm_json_get(detail, "sides"));
		     it && err == 0; it = tsm_json_next(it)) {
			err = side_op(out, store,
				      tsm_json_string(tsm_json_get(it, "op")),
				      tsm_json_get(it, "value"), NULL, &oi);
			if (err == 0) {
				if (oi.found && oi.accepted)
					last = out->n - 1;
				free(oi.value);
			}
		}
		/* The winner is the accepted head (creates are never marked
		 * superseded: the last accepted one). */
		if (err == 0 && last != (size_t)-1)
			out->v[last].current = 1;
	} else if (strcmp(kind, TSM_REVIEW_VIOLATION) == 0) {
		err = side_op(out, store,
			      tsm_json_string(tsm_json_get(detail, "call")),
			      NULL, NULL, &oi);
		if (err == 0) {
			const char *call = out->v[0].value;
			tsm_json *v = NULL;

			if (call &&
			    tsm_json_parse(&v, call, strlen(call)) == 0 &&
			    tsm_json_string(tsm_json_get(v, "outcome"))) {
				snprintf(info, sizeof(info), "call %s",
					 tsm_json_string(
					     tsm_json_get(v, "outcome")));
				free(out->v[0].info);
				out->v[0].info = strdup(info);
				if (out->v[0].info == NULL)
					err = tsm_error_set(TSM_ENOMEM,
							    "out of memory");
			}
			tsm_error_clear();
			tsm_json_free(v);
			free(oi.value);
		}
		for (it = tsm_json_first(tsm_json_get(detail, "dnc"));
		     it && err == 0; it = tsm_json_next(it)) {
			err = side_op(out, store, tsm_json_string(it), NULL,
				      NULL, &oi);
			if (err == 0) {
				free(out->v[out->n - 1].info);
				out->v[out->n - 1].info =
				    strdup(strcmp(oi.etype, "dnc") == 0
					       ? "do-not-call list"
					       : "do-not-call flag");
				free(oi.value);
				if (out->v[out->n - 1].info == NULL)
					err = tsm_error_set(TSM_ENOMEM,
							    "out of memory");
			}
		}
	} else if (strcmp(kind, TSM_REVIEW_DUPLICATE) == 0) {
		for (it = tsm_json_first(tsm_json_get(detail, "customers"));
		     it && err == 0; it = tsm_json_next(it))
			if (tsm_json_string(it))
				err = side_customer(out, store,
						    tsm_json_string(it));
	} else if (strcmp(kind, TSM_REVIEW_REJECTED) == 0) {
		snprintf(info, sizeof(info), "%s%s%s: %s",
			 tsm_json_string(tsm_json_get(detail, "action"))
			     ? tsm_json_string(tsm_json_get(detail, "action"))
			     : "op",
			 field[0] ? " " : "", field,
			 tsm_json_string(tsm_json_get(detail, "reason"))
			     ? tsm_json_string(tsm_json_get(detail, "reason"))
			     : "rejected");
		err = side_op(out, store,
			      tsm_json_string(tsm_json_get(detail, "op")), NULL,
			      info, NULL);
	}
	for (i = 0; err == 0 && i < out->n; i++) {
		if (out->v[i].info == NULL)
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
		else if (out->v[i].value && out->v[i].value[0] == '"')
			err = string_text(&out->v[i].text, out->v[i].value);
	}
	if (err < 0)
		sides_free(out);
	return err;
}

/* ---- views ---- */

static void view_dispose(tsm_review_view *v)
{
	size_t i;

	free(v->item.kind);
	free(v->item.etype);
	free(v->item.eid);
	free(v->item.field);
	free(v->item.detail);
	free(v->item.ops);
	free(v->item.resolved_by);
	free(v->item.choice);
	free(v->label);
	free(v->note);
	free(v->resolved_author);
	for (i = 0; i < v->nsides; i++)
		side_dispose(&v->sides[i]);
	free(v->sides);
}

void tsm_review_view_list_free(tsm_review_view *views, size_t n)
{
	size_t i;

	for (i = 0; views && i < n; i++)
		view_dispose(&views[i]);
	free(views);
}

static const char SQL_NAME[] = "SELECT name FROM customers WHERE id = ?1";
static const char SQL_RES[] =
    "SELECT note, author, at FROM review_res WHERE id = ?1";

/* Fills label, resolution and sides of v (its item is set). */
static int view_fill(tsm_review_view *v, tsm_store *store)
{
	sqlite3_stmt *st = NULL;
	tsm_json *detail = NULL;
	const char *s;
	sides sd;
	int rc, err;

	if (strcmp(v->item.etype, "customer") == 0) {
		if ((err = prep(&st, store, SQL_NAME)) < 0)
			return err;
		sqlite3_bind_text(st, 1, v->item.eid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (s = (const char *)sqlite3_column_text(st, 0)) != NULL &&
		    (v->label = strdup(s)) == NULL) {
			sqlite3_finalize(st);
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
		sqlite3_finalize(st);
	}
	if (!v->item.open && !v->closed) {
		if ((err = prep(&st, store, SQL_RES)) < 0)
			return err;
		sqlite3_bind_text(st, 1, v->item.id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			v->note = dup_or_null(
			    (const char *)sqlite3_column_text(st, 0));
			v->resolved_author = dup_or_null(
			    (const char *)sqlite3_column_text(st, 1));
			v->resolved_at = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
	}
	if ((err = tsm_json_parse(&detail, v->item.detail,
				  strlen(v->item.detail))) < 0)
		return err;
	err = build_sides(&sd, store, v->item.kind, v->item.eid, v->item.field,
			  detail);
	tsm_json_free(detail);
	if (err < 0)
		return err;
	v->sides = sd.v;
	v->nsides = sd.n;
	return 0;
}

/* An agent sees items on customers they may see and their own
 * rejections. 1 visible, 0 not, or a negative code. */
static int agent_sees(tsm_store *store, const tsm_viewer *me,
		      const tsm_review_view *v)
{
	size_t i;
	int vis;

	if (strcmp(v->item.kind, TSM_REVIEW_REJECTED) == 0)
		return v->nsides > 0 && v->sides[0].author &&
		       strcmp(v->sides[0].author, me->member) == 0;
	if (strcmp(v->item.etype, "customer") == 0)
		return tsm_customer_visible(store, v->item.eid);
	if (strcmp(v->item.kind, TSM_REVIEW_DUPLICATE) == 0) {
		for (i = 0; i < v->nsides; i++) {
			if (v->sides[i].customer == NULL)
				return 0;
			vis = tsm_customer_visible(store, v->sides[i].customer);
			if (vis <= 0)
				return vis;
		}
		return v->nsides > 0;
	}
	return 0;
}

static const char SQL_CLOSED[] =
    "SELECT o.eid, o.site, o.seq, o.author, o.hlc, o.value FROM ops o "
    "WHERE o.etype = 'review' AND o.action = 'resolve' "
    "AND o.status = 'accepted' "
    "AND NOT EXISTS (SELECT 1 FROM review r WHERE r.id = o.eid) "
    "ORDER BY o.eid";

static int filter_ok(const tsm_review_filter *f, const tsm_review_item *it)
{
	return (f->kind == NULL || strcmp(f->kind, it->kind) == 0) &&
	       (f->etype == NULL || strcmp(f->etype, it->etype) == 0) &&
	       (f->eid == NULL || strcmp(f->eid, it->eid) == 0) &&
	       (f->id == NULL || strncmp(it->id, f->id, strlen(f->id)) == 0);
}

/* Items closed by a resolution that removed them, rebuilt from the
 * resolve op's value (resolutions written by tsm_review_decide). */
static int closed_items(tsm_review_view **views, size_t *n, size_t *cap,
			tsm_store *store, const tsm_review_filter *f)
{
	sqlite3_stmt *st = NULL;
	tsm_json *v = NULL;
	tsm_review_view *tmp, *w;
	const char *eid, *val, *kind, *etype, *ceid, *field, *choice;
	char opid[TSM_OPID_MAX];
	tsm_opid oid;
	int rc, err;

	if ((err = prep(&st, store, SQL_CLOSED)) < 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		eid = (const char *)sqlite3_column_text(st, 0);
		val = (const char *)sqlite3_column_text(st, 5);
		tsm_json_free(v);
		v = NULL;
		if (eid == NULL || val == NULL ||
		    tsm_json_parse(&v, val, strlen(val)) < 0) {
			tsm_error_clear();
			continue;
		}
		kind = tsm_json_string(tsm_json_get(v, "kind"));
		etype = tsm_json_string(tsm_json_get(v, "etype"));
		ceid = tsm_json_string(tsm_json_get(v, "eid"));
		field = tsm_json_string(tsm_json_get(v, "field"));
		choice = tsm_json_string(tsm_json_get(v, "choice"));
		if (!kind || !etype || !ceid || !field || !choice ||
		    tsm_json_type(tsm_json_get(v, "detail")) !=
			TSM_JSON_OBJECT ||
		    strlen(eid) >= TSM_REVIEW_ID_MAX)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			tmp = realloc(*views, *cap * sizeof(**views));
			if (tmp == NULL)
				goto nomem;
			*views = tmp;
		}
		w = &(*views)[*n];
		memset(w, 0, sizeof(*w));
		snprintf(w->item.id, sizeof(w->item.id), "%s", eid);
		w->item.kind = strdup(kind);
		w->item.etype = strdup(etype);
		w->item.eid = strdup(ceid);
		w->item.field = strdup(field);
		w->item.ops = strdup("");
		w->item.choice = strdup(choice);
		snprintf(oid.site, sizeof(oid.site), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		oid.seq = sqlite3_column_int64(st, 2);
		w->item.resolved_by = strdup(tsm_opid_format(opid, &oid));
		w->resolved_author =
		    dup_or_null((const char *)sqlite3_column_text(st, 3));
		w->resolved_at =
		    (int64_t)((uint64_t)sqlite3_column_int64(st, 4) >> 16);
		w->item.at = w->resolved_at;
		w->note = dup_or_null(tsm_json_string(tsm_json_get(v, "note")));
		w->closed = 1;
		(*n)++;
		err =
		    tsm_json_print(&w->item.detail, tsm_json_get(v, "detail"));
		if (err < 0)
			goto done;
		if (!w->item.kind || !w->item.etype || !w->item.eid ||
		    !w->item.field || !w->item.ops || !w->item.choice ||
		    !w->item.resolved_by)
			goto nomem;
		if (!filter_ok(f, &w->item)) {
			view_dispose(w);
			(*n)--;
		}
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc,
				       "read resolutions");
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	tsm_json_free(v);
	sqlite3_finalize(st);
	return err;
}

static int view_cmp(const void *a, const void *b)
{
	const tsm_review_view *x = a, *y = b;

	if (x->item.at != y->item.at)
		return x->item.at > y->item.at ? -1 : 1;
	return strcmp(x->item.id, y->item.id);
}

int tsm_review_view_list(tsm_review_view **out, size_t *n, tsm_store *store,
			 const tsm_review_filter *filter)
{
	static const tsm_review_filter none = TSM_REVIEW_FILTER_INIT;
	tsm_review_item *items = NULL;
	tsm_review_view *views = NULL;
	size_t ni = 0, k = 0, cap, i, j;
	tsm_viewer me;
	int err, vis;

	*out = NULL;
	*n = 0;
	if (filter == NULL)
		filter = &none;
	if ((err = tsm_viewer_get(&me, store)) < 0)
		return err;
	if ((err = tsm_review_list(&items, &ni, store, filter)) < 0)
		return err;
	cap = ni;
	views = calloc(cap ? cap : 1, sizeof(*views));
	if (views == NULL) {
		tsm_review_list_free(items, ni);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	/* The views take over the items' strings. */
	for (i = 0; i < ni; i++)
		views[i].item = items[i];
	k = ni;
	free(items);
	if (!filter->open_only &&
	    (err = closed_items(&views, &k, &cap, store, filter)) < 0)
		goto done;
	for (i = 0; i < k; i++)
		if ((err = view_fill(&views[i], store)) < 0)
			goto done;
	if (!me.all) {
		for (i = 0, j = 0; i < k; i++) {
			if ((vis = agent_sees(store, &me, &views[i])) < 0) {
				err = vis;
				goto done;
			}
			if (vis)
				views[j++] = views[i];
			else
				view_dispose(&views[i]);
		}
		k = j;
	}
	if (k > 1)
		qsort(views, k, sizeof(*views), view_cmp);
done:
	if (err < 0) {
		tsm_review_view_list_free(views, k);
		return err;
	}
	*out = views;
	*n = k;
	return 0;
}

/* ---- resolving ---- */

/* The one item id names (exact, or a unique prefix), with its sides. */
static int find_view(tsm_review_view *out, tsm_store *store, const char *id)
{
	tsm_review_filter f = TSM_REVIEW_FILTER_INIT;
	tsm_review_item *items = NULL;
	size_t n = 0, i, pick = 0;
	int err;

	memset(out, 0, sizeof(*out));
	f.id = id;
	if ((err = tsm_review_list(&items, &n, store, &f)) < 0)
		return err;
	if (n == 0) {
		tsm_review_list_free(items, n);
		return tsm_error_set(TSM_ENOTFOUND, "no review item '%s'", id);
	}
	if (n > 1) {
		for (i = 0; i < n; i++)
			if (strcmp(items[i].id, id) == 0)
				break;
		if (i == n) {
			tsm_review_list_free(items, n);
			return tsm_error_set(TSM_EINVALID,
					     "review item id '%s' is "
					     "ambiguous: give more of it",
					     id);
		}
		pick = i;
	}
	out->item = items[pick];
	memset(&items[pick], 0, sizeof(items[pick]));
	tsm_review_list_free(items, n);
	return view_fill(out, store);
}

/* The side labelled text (case-insensitive single letters), or -1. */
static long side_by_label(const tsm_review_view *v, const char *text)
{
	size_t i;

	for (i = 0; i < v->nsides; i++)
		if (strcmp(v->sides[i].label, text) == 0 ||
		    (text[0] && text[1] == '\0' &&
		     v->sides[i].label[1] == '\0' &&
		     (text[0] | 0x20) == (v->sides[i].label[0] | 0x20)))
			return (long)i;
	return -1;
}

static long side_by_customer(const tsm_review_view *v, const char *text)
{
	size_t i, len = strlen(text);
	long hit = -1;

	for (i = 0; i < v->nsides; i++) {
		if (v->sides[i].customer == NULL)
			continue;
		if (strcmp(v->sides[i].customer, text) == 0)
			return (long)i;
		if (len >= 4 && strncmp(v->sides[i].customer, text, len) == 0) {
			if (hit >= 0)
				return -2;
			hit = (long)i;
		}
	}
	return hit;
}

/* A side whose value is the JSON string text, or -1. */
static long side_by_value(const tsm_review_view *v, const char *text)
{
	size_t i;

	for (i = 0; i < v->nsides; i++)
		if (v->sides[i].text && strcmp(v->sides[i].text, text) == 0)
			return (long)i;
	return -1;
}

static void labels_text(char *out, size_t size, const tsm_review_view *v,
			size_t from)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = from; i < v->nsides && len + 8 < size; i++)
		len +=
		    (size_t)snprintf(out + len, size - len, "%s%s",
				     i > from ? ", " : "", v->sides[i].label);
}

/* The resolve op's value. */
static int resolve_value(char **out, const tsm_review_view *v,
			 const char *choice, const char *note,
			 const char *chosen_json)
{
	tsm_json *o = tsm_json_new_object(), *d = NULL, *val = NULL;
	int err;

	*out = NULL;
	if (o == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = tsm_json_parse(&d, v->item.detail, strlen(v->item.detail))) <
	    0)
		goto done;
	if ((err = tsm_json_put_string(o, "choice", choice)) < 0 ||
	    (note && (err = tsm_json_put_string(o, "note", note)) < 0) ||
	    (err = tsm_json_put_string(o, "kind", v->item.kind)) < 0 ||
	    (err = tsm_json_put_string(o, "etype", v->item.etype)) < 0 ||
	    (err = tsm_json_put_string(o, "eid", v->item.eid)) < 0 ||
	    (err = tsm_json_put_string(o, "field", v->item.field)) < 0)
		goto done;
	err = tsm_json_put(o, "detail", d);
	d = NULL;
	if (err < 0)
		goto done;
	if (chosen_json) {
		if ((err = tsm_json_parse(&val, chosen_json,
					  strlen(chosen_json))) < 0)
			goto done;
		err = tsm_json_put(o, "value", val);
		val = NULL;
		if (err < 0)
			goto done;
	}
	err = tsm_json_print(out, o);
done:
	tsm_json_free(o);
	tsm_json_free(d);
	tsm_json_free(val);
	return err;
}

/* An edit by `customer edit` and the resolve op, in one transaction. */
struct edit_job {
	const char *eid;
	int field;
	const char *value;
	const tsm_op_spec *resolve;
	tsm_opid rid;
	size_t changed;
};

static int edit_then_resolve(tsm_store *store, void *payload)
{
	struct edit_job *j = payload;
	tsm_customer_fields f = TSM_CUSTOMER_FIELDS_INIT;
	tsm_customer_written w;
	int err;

	if (j->value[0] == '\0' && j->field != TSM_CF_NAME &&
	    j->field != TSM_CF_PHONE && j->field != TSM_CF_STAGE)
		f.clear = 1u << j->field;
	else
		f.v[j->field] = j->value;
	if ((err = tsm_customer_edit(&w, store, j->eid, &f)) < 0)
		return err;
	j->changed = w.changed;
	return tsm_ops_append(&j->rid, store, j->resolve, 1);
}

static int one_choice(const tsm_review_choice *c)
{
	return (c->choose != NULL) + (c->merge_into != NULL) + (c->ack != 0) +
	       (c->dismiss != 0);
}

int tsm_review_decide(tsm_review_done *out, tsm_store *store, const char *id,
		      const tsm_review_choice *c)
{
	tsm_review_view v;
	tsm_viewer me;
	tsm_op_spec *specs = NULL;
	tsm_opid *ids = NULL;
	struct edit_job job;
	char choice[TSM_REVIEW_CHOICE_MAX], labels[128];
	char *rvalue = NULL, **intos = NULL;
	const char *kind, *chosen = NULL, *free_value = NULL;
	size_t nspec = 0, i, nint = 0;
	long s = -1;
	int err, cf = -1;

	memset(&v, 0, sizeof(v));
	if (out)
		memset(out, 0, sizeof(*out));
	if (c == NULL || c->version != TSM_REVIEW_CHOICE_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "review choice version unknown");
	if (id == NULL || *id == '\0')
		return tsm_error_set(TSM_EINVALID, "no review item given");
	if (one_choice(c) != 1)
		return tsm_error_set(TSM_EINVALID,
				     "give exactly one of a choice, a merge, "
				     "an acknowledgement or a dismissal");
	if ((err = tsm_viewer_get(&me, store)) < 0)
		return err;
	if (strcmp(me.role, "lead") != 0 && strcmp(me.role, "manager") != 0)
		return tsm_error_set(TSM_EPERM, "only a lead or manager may "
						"resolve review items");
	if ((err = find_view(&v, store, id)) < 0)
		goto done;
	kind = v.item.kind;
	if (!v.item.open) {
		err = tsm_error_set(
		    TSM_EINVALID, "review item %s is resolved already (%s)",
		    v.item.id, v.item.choice ? v.item.choice : "?");
		goto done;
	}
	specs = calloc(v.nsides + 2, sizeof(*specs));
	ids = calloc(v.nsides + 2, sizeof(*ids));
	intos = calloc(v.nsides + 1, sizeof(*intos));
	if (specs == NULL || ids == NULL || intos == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(choice, sizeof(choice), "%s",
		 c->dismiss ? "dismiss"
		 : c->ack   ? "ack"
			    : "");
	if (c->dismiss) {
		/* Every kind may be dismissed: nothing changes. */
	} else if (strcmp(kind, TSM_REVIEW_VIOLATION) == 0 ||
		   strcmp(kind, TSM_REVIEW_REJECTED) == 0) {
		if (!c->ack) {
			err =
			    tsm_error_set(TSM_EINVALID,
					  "a %s is acknowledged (--ack with a "
					  "note) or dismissed (--dismiss)",
					  kind);
			goto done;
		}
		if (c->note == NULL || *c->note == '\0') {
			err = tsm_error_set(TSM_EINVALID,
					    "acknowledging a %s takes a note "
					    "saying what was done",
					    kind);
			goto done;
		}
	} else if (c->ack) {
		err = tsm_error_set(TSM_EINVALID,
				    "a %s is resolved by a choice, not "
				    "acknowledged: %s",
				    kind,
				    strcmp(kind, TSM_REVIEW_DUPLICATE) == 0
					? "--merge-into KEEP or --dismiss"
					: "--choose A|B|VALUE or --dismiss");
		goto done;
	} else if (strcmp(kind, TSM_REVIEW_DUPLICATE) == 0) {
		const char *keep_ref =
		    c->merge_into ? c->merge_into : c->choose;

		s = c->merge_into ? -1 : side_by_label(&v, keep_ref);
		if (s < 0)
			s = side_by_customer(&v, keep_ref);
		if (s == -2) {
			err = tsm_error_set(TSM_EINVALID,
					    "'%s' matches several customers of "
					    "the item",
					    keep_ref);
			goto done;
		}
		if (s < 0) {
			labels_text(labels, sizeof(labels), &v, 0);
			err = tsm_error_set(TSM_ENOTFOUND,
					    "customer '%s' is not one of this "
					    "item's (%s, or their ids)",
					    keep_ref, labels);
			goto done;
		}
		if (!v.sides[s].current) {
			err =
			    tsm_error_set(TSM_EINVALID,
					  "customer %s was merged or deleted; "
					  "keep a live one",
					  v.sides[s].customer);
			goto done;
		}
		for (i = 0; i < v.nsides; i++) {
			size_t len = strlen(v.sides[s].customer) + 16;

			if ((long)i == s || !v.sides[i].current)
				continue;
			if ((intos[nint] = malloc(len)) == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			snprintf(intos[nint], len, "{\"into\":\"%s\"}",
				 v.sides[s].customer);
			specs[nspec].etype = "customer";
			specs[nspec].eid = v.sides[i].customer;
			specs[nspec].action = "merge";
			specs[nspec].value = intos[nint++];
			nspec++;
		}
		snprintf(choice, sizeof(choice), "merge-into:%s",
			 v.sides[s].customer);
	} else if (c->merge_into) {
		err = tsm_error_set(TSM_EINVALID,
				    "--merge-into is for duplicates; a "
				    "conflict takes --choose A|B|VALUE");
		goto done;
	} else if (strcmp(v.item.field, "deleted") == 0) {
		/* delete vs edits: keep deleted, or restore */
		s = side_by_label(&v, c->choose);
		if (strcmp(c->choose, "delete") == 0 || s == 0) {
			snprintf(choice, sizeof(choice), "delete");
			if (!v.sides[0].current) {
				specs[nspec].etype = v.item.etype;
				specs[nspec].eid = v.item.eid;
				specs[nspec].action = "delete";
				nspec++;
			}
		} else if (strcmp(c->choose, "restore") == 0 || s > 0) {
			snprintf(choice, sizeof(choice), "restore");
			if (v.nsides && v.sides[0].current) {
				specs[nspec].etype = v.item.etype;
				specs[nspec].eid = v.item.eid;
				specs[nspec].action = "restore";
				nspec++;
			}
		} else {
			err = tsm_error_set(TSM_EINVALID,
					    "choose delete (A) to keep it "
					    "deleted or restore to bring it "
					    "back");
			goto done;
		}
	} else {
		s = side_by_label(&v, c->choose);
		if (s < 0 && strcmp(v.item.etype, "customer") == 0 &&
		    (cf = tsm_customer_field_lookup(v.item.field)) >= 0) {
			s = side_by_value(&v, c->choose);
			if (s < 0)
				free_value = c->choose;
		}
		if (s < 0 && free_value == NULL) {
			labels_text(labels, sizeof(labels), &v, 0);
			err = tsm_error_set(
			    TSM_EINVALID, "choose one of the sides (%s)%s",
			    labels,
			    strcmp(v.item.etype, "customer") == 0
				? " or a new value"
				: "");
			goto done;
		}
		if (s >= 0) {
			snprintf(choice, sizeof(choice), "%s",
				 v.sides[s].label);
			chosen = v.sides[s].value ? v.sides[s].value : "null";
			if (!v.sides[s].current) {
				int merge =
				    strcmp(v.item.field, "merged_into") == 0;

				specs[nspec].etype = v.item.etype;
				specs[nspec].eid = v.item.eid;
				specs[nspec].action = merge ? "merge" : "set";
				specs[nspec].field =
				    merge ? NULL : v.item.field;
				specs[nspec].value = chosen;
				nspec++;
			}
		} else {
			snprintf(choice, sizeof(choice), "value");
		}
	}
	if ((err = resolve_value(&rvalue, &v, choice, c->note, chosen)) < 0)
		goto done;
	if (free_value) {
		tsm_op_spec rs = {"review", v.item.id, "resolve", NULL, rvalue};

		memset(&job, 0, sizeof(job));
		job.eid = v.item.eid;
		job.field = cf;
		job.value = free_value;
		job.resolve = &rs;
		if ((err = tsm_store_transaction(store, edit_then_resolve,
						 &job)) < 0)
			goto done;
		ids[0] = job.rid;
		nspec = job.changed;
	} else {
		specs[nspec].etype = "review";
		specs[nspec].eid = v.item.id;
		specs[nspec].action = "resolve";
		specs[nspec].value = rvalue;
		if ((err = tsm_ops_append(ids, store, specs, nspec + 1)) < 0)
			goto done;
		ids[0] = ids[nspec];
	}
	if (out) {
		snprintf(out->id, sizeof(out->id), "%s", v.item.id);
		snprintf(out->kind, sizeof(out->kind), "%s", kind);
		snprintf(out->choice, sizeof(out->choice), "%s", choice);
		out->data_ops = nspec;
		tsm_opid_format(out->resolve_op, &ids[0]);
	}
done:
	for (i = 0; intos && i < nint; i++)
		free(intos[i]);
	free(intos);
	free(specs);
	free(ids);
	free(rvalue);
	view_dispose(&v);
	return err;
}
