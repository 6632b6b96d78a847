/* core/review.c — the review queue's API: listing items (derived from the op
 * log by the merge) and resolving one, which appends a review resolve op. */
#include "tsm/review.h"

#include "error.h"
#include "json.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LIST[] =
    "SELECT id, kind, etype, eid, field, detail, ops, status, "
    "resolved_by, choice, at FROM review "
    "WHERE (?1 = 0 OR status = 'open') AND (?2 IS NULL OR kind = ?2) "
    "AND (?3 IS NULL OR etype = ?3) AND (?4 IS NULL OR eid = ?4) "
    "AND (?5 IS NULL OR substr(id, 1, length(?5)) = ?5) "
    "ORDER BY at DESC, id";

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

void tsm_review_list_free(tsm_review_item *items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++) {
		free(items[i].kind);
		free(items[i].etype);
		free(items[i].eid);
		free(items[i].field);
		free(items[i].detail);
		free(items[i].ops);
		free(items[i].resolved_by);
		free(items[i].choice);
	}
	free(items);
}

int tsm_review_list(tsm_review_item **out, size_t *n, tsm_store *store,
		    const tsm_review_filter *filter)
{
	static const tsm_review_filter none = TSM_REVIEW_FILTER_INIT;
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_review_item *items = NULL, *tmp, *it;
	size_t cap = 0, k = 0;
	const char *id;
	int rc, err = 0;

	*out = NULL;
	*n = 0;
	if (filter == NULL)
		filter = &none;
	if (filter->version != TSM_REVIEW_FILTER_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "review filter version %u unknown",
				     filter->version);
	rc = sqlite3_prepare_v2(db, SQL_LIST, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "list review items");
	sqlite3_bind_int(st, 1, filter->open_only != 0);
	bind_opt(st, 2, filter->kind);
	bind_opt(st, 3, filter->etype);
	bind_opt(st, 4, filter->eid);
	bind_opt(st, 5, filter->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(items, cap * sizeof(*items));
			if (tmp == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			items = tmp;
		}
		it = &items[k++];
		memset(it, 0, sizeof(*it));
		id = (const char *)sqlite3_column_text(st, 0);
		snprintf(it->id, sizeof(it->id), "%s", id ? id : "");
		it->kind = dup_col(st, 1);
		it->etype = dup_col(st, 2);
		it->eid = dup_col(st, 3);
		it->field = dup_col(st, 4);
		it->detail = dup_col(st, 5);
		it->ops = dup_col(st, 6);
		it->open = strcmp((const char *)sqlite3_column_text(st, 7),
				  "open") == 0;
		it->resolved_by = dup_col(st, 8);
		it->choice = dup_col(st, 9);
		it->at = sqlite3_column_int64(st, 10);
		if (!it->kind || !it->etype || !it->eid || !it->field ||
		    !it->detail || !it->ops) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "list review items");
done:
	sqlite3_finalize(st);
	if (err < 0) {
		tsm_review_list_free(items, k);
		return err;
	}
	*out = items;
	*n = k;
	return 0;
}

static const char SQL_FIND[] =
    "SELECT id FROM review WHERE substr(id, 1, length(?1)) = ?1 "
    "ORDER BY id != ?1, id LIMIT 2";

/* The full id of the item id names (exactly or by a unique prefix). */
static int find_item(char out[TSM_REVIEW_ID_MAX], sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	const char *got;
	int rc, k = 0, exact = 0;

	rc = sqlite3_prepare_v2(db, SQL_FIND, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "find review item");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		got = (const char *)sqlite3_column_text(st, 0);
		if (k++ == 0) {
			snprintf(out, TSM_REVIEW_ID_MAX, "%s", got);
			exact = strcmp(got, id) == 0;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "find review item");
	if (k == 0)
		return tsm_error_set(TSM_ENOTFOUND, "no review item '%s'", id);
	if (k > 1 && !exact)
		return tsm_error_set(TSM_EINVALID,
				     "review item id '%s' is ambiguous", id);
	return 0;
}

int tsm_review_resolve(tsm_opid *out, tsm_store *store, const char *id,
		       const char *choice, const char *note)
{
	char full[TSM_REVIEW_ID_MAX], *value = NULL;
	tsm_op_spec spec;
	tsm_json *v = NULL;
	int err;

	if (id == NULL || *id == '\0')
		return tsm_error_set(TSM_EINVALID, "no review item given");
	if (choice == NULL || *choice == '\0')
		return tsm_error_set(TSM_EINVALID, "no resolution given");
	if ((err = find_item(full, tsm_store_db(store), id)) < 0)
		return err;
	if ((v = tsm_json_new_object()) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = tsm_json_put_string(v, "choice", choice)) < 0 ||
	    (note && (err = tsm_json_put_string(v, "note", note)) < 0) ||
	    (err = tsm_json_print(&value, v)) < 0)
		goto done;
	spec.etype = "review";
	spec.eid = full;
	spec.action = "resolve";
	spec.field = NULL;
	spec.value = value;
	err = tsm_ops_append(out, store, &spec, 1);
done:
	tsm_json_free(v);
	free(value);
	return err;
}

int tsm_review_count_open(size_t *out, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(db,
				"SELECT count(*) FROM review "
				"WHERE status = 'open'",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "count review items");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW
		   ? 0
		   : tsm_error_sqlite(db, rc, "count review items");
}
