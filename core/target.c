/* core/target.c — monthly targets per member or for the team: set as ops in
 * the log (entity "target", one set op per field), read back from the
 * materialized targets table. */
#include "tsm/target.h"

#include "error.h"
#include "store_internal.h"
#include "tsm/customer.h"
#include "tsm/money.h"
#include "tsm/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_MAX 1000000000LL /* dials, effective, orders */

static const char *const field_names[TSM_TARGET_NFIELDS] = {
    "dials",
    "effective",
    "orders",
    "revenue_fen",
};

const char *tsm_target_field_name(int f)
{
	return f >= 0 && f < TSM_TARGET_NFIELDS ? field_names[f] : NULL;
}

static int field_index(const char *name)
{
	int i;

	for (i = 0; i < TSM_TARGET_NFIELDS; i++)
		if (strcmp(name, field_names[i]) == 0)
			return i;
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int tsm_target_month_parse(char out[TSM_MONTH_MAX], const char *text)
{
	int y, m;

	if (text == NULL || strlen(text) != 7 || !is_digit(text[0]) ||
	    !is_digit(text[1]) || !is_digit(text[2]) || !is_digit(text[3]) ||
	    text[4] != '-' || !is_digit(text[5]) || !is_digit(text[6]))
		return tsm_error_set(TSM_EINVALID,
				     "invalid month '%s': expected YYYY-MM",
				     text ? text : "");
	y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 +
	    (text[2] - '0') * 10 + (text[3] - '0');
	m = (text[5] - '0') * 10 + (text[6] - '0');
	if (y < 1970 || m < 1 || m > 12)
		return tsm_error_set(
		    TSM_EINVALID, "invalid month '%s': expected YYYY-MM", text);
	snprintf(out, TSM_MONTH_MAX, "%04u-%02u", (unsigned)y % 10000u,
		 (unsigned)m % 100u);
	return 0;
}

/* The entity id of member's (NULL: the team's) target for month. */
static void target_eid(char *out, size_t size, const char *member,
		       const char *month)
{
	snprintf(out, size, "%s:%s", member ? member : TSM_TARGET_TEAM, month);
}

static int prep(sqlite3_stmt **st, tsm_store *store, const char *sql)
{
	sqlite3 *db = tsm_store_db(store);
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return tsm_error_sqlite(db, rc, "read targets");
	}
	return 0;
}

/* A stored value: a positive JSON integer, else 0 (ignored). */
static int64_t stored_value(const char *text)
{
	char *end;
	long long v;

	if (text == NULL || !is_digit(*text))
		return 0;
	v = strtoll(text, &end, 10);
	return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

static const char SQL_GET[] =
    "SELECT field, value, author, updated_at FROM targets WHERE id = ?1";

/* Reads the row of eid into out (member and month are left alone). */
static int read_target(tsm_target *out, tsm_store *store, const char *eid)
{
	sqlite3_stmt *st = NULL;
	const char *f, *a;
	int rc, err, i;
	int64_t at;

	if ((err = prep(&st, store, SQL_GET)) < 0)
		return err;
	sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f = (const char *)sqlite3_column_text(st, 0);
		if (f == NULL || (i = field_index(f)) < 0)
			continue;
		out->v[i] =
		    stored_value((const char *)sqlite3_column_text(st, 1));
		at = sqlite3_column_int64(st, 3);
		if (at >= out->updated_at) {
			a = (const char *)sqlite3_column_text(st, 2);
			snprintf(out->author, sizeof(out->author), "%s",
				 a ? a : "");
			out->updated_at = at;
		}
	}
	err = rc == SQLITE_DONE
		  ? 0
		  : tsm_error_sqlite(tsm_store_db(store), rc, "read targets");
	sqlite3_finalize(st);
	return err;
}

int tsm_target_get(tsm_target *out, tsm_store *store, const char *member,
		   const char *month)
{
	char m[TSM_MONTH_MAX], eid[TSM_MEMBER_MAX + 16];
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = tsm_target_month_parse(m, month)) < 0)
		return err;
	if (member && !tsm_member_id_valid(member))
		return tsm_error_set(TSM_EINVALID, "invalid member id '%s'",
				     member);
	snprintf(out->member, sizeof(out->member), "%s", member ? member : "");
	snprintf(out->month, sizeof(out->month), "%s", m);
	target_eid(eid, sizeof(eid), member, m);
	return read_target(out, store, eid);
}

static const char SQL_MEMBER[] = "SELECT 1 FROM members WHERE id = ?1";

static int member_known(tsm_store *store, const char *member)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prep(&st, store, SQL_MEMBER)) < 0)
		return err;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"read members");
	return tsm_error_set(TSM_ENOTFOUND, "no member '%s' on the roster",
			     member);
}

int tsm_target_set(size_t *changed, tsm_store *store,
		   const tsm_target_spec *spec)
{
	char month[TSM_MONTH_MAX], eid[TSM_MEMBER_MAX + 16];
	char values[TSM_TARGET_NFIELDS][24];
	tsm_op_spec ops[TSM_TARGET_NFIELDS];
	tsm_target cur;
	tsm_viewer me;
	size_t n = 0;
	int err, i, any = 0;
	int64_t v, max;

	if (changed)
		*changed = 0;
	if (spec == NULL || spec->version != TSM_TARGET_SPEC_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "target spec version unknown");
	if ((err = tsm_target_month_parse(month, spec->month)) < 0)
		return err;
	for (i = 0; i < TSM_TARGET_NFIELDS; i++) {
		v = spec->v[i];
		if (v == TSM_TARGET_KEEP)
			continue;
		any = 1;
		max = i == TSM_TARGET_REVENUE ? TSM_MONEY_MAX_FEN : COUNT_MAX;
		if (v < 0 || v > max)
			return tsm_error_set(TSM_EINVALID,
					     "invalid %s target %lld: expected "
					     "0..%lld",
					     field_names[i], (long long)v,
					     (long long)max);
	}
	if (!any)
		return tsm_error_set(TSM_EINVALID, "no target given");
	if (spec->member && !tsm_member_id_valid(spec->member))
		return tsm_error_set(TSM_EINVALID, "invalid member id '%s'",
				     spec->member);
	if ((err = tsm_viewer_get(&me, store)) < 0)
		return err;
	if (strcmp(me.role, "manager") != 0)
		return tsm_error_set(TSM_EPERM,
				     "only a manager may set targets");
	if (spec->member && (err = member_known(store, spec->member)) < 0)
		return err;
	if ((err = tsm_target_get(&cur, store, spec->member, month)) < 0)
		return err;
	target_eid(eid, sizeof(eid), spec->member, month);
	for (i = 0; i < TSM_TARGET_NFIELDS; i++) {
		v = spec->v[i];
		if (v == TSM_TARGET_KEEP || v == cur.v[i])
			continue;
		if (v == 0)
			snprintf(values[n], sizeof(values[n]), "null");
		else
			snprintf(values[n], sizeof(values[n]), "%lld",
				 (long long)v);
		ops[n].etype = "target";
		ops[n].eid = eid;
		ops[n].action = "set";
		ops[n].field = field_names[i];
		ops[n].value = values[n];
		n++;
	}
	if (n == 0)
		return 0;
	if ((err = tsm_ops_append(NULL, store, ops, n)) < 0)
		return err;
	if (changed)
		*changed = n;
	return 0;
}

void tsm_target_list_free(tsm_target *list, size_t n)
{
	(void)n;
	free(list);
}

static int target_cmp(const void *a, const void *b)
{
	const tsm_target *x = a, *y = b;
	int c = strcmp(x->month, y->month);

	if (c)
		return c;
	if ((x->member[0] == '\0') != (y->member[0] == '\0'))
		return x->member[0] == '\0' ? -1 : 1;
	return strcmp(x->member, y->member);
}

/* Splits "member:YYYY-MM" into t->member ("" for the team) and t->month.
 * 0 when the id has that shape, else -1 (rows of other shapes are not
 * targets this module wrote; they are skipped). */
static int split_eid(tsm_target *t, const char *eid)
{
	const char *colon = strrchr(eid, ':');
	char who[TSM_MEMBER_MAX];
	size_t len;

	if (colon == NULL)
		return -1;
	len = (size_t)(colon - eid);
	if (len == 0 || len >= sizeof(who) ||
	    tsm_target_month_parse(t->month, colon + 1) < 0) {
		tsm_error_clear();
		return -1;
	}
	memcpy(who, eid, len);
	who[len] = '\0';
	if (strcmp(who, TSM_TARGET_TEAM) == 0)
		t->member[0] = '\0';
	else if (tsm_member_id_valid(who))
		snprintf(t->member, sizeof(t->member), "%s", who);
	else
		return -1;
	return 0;
}

static const char SQL_IDS[] = "SELECT DISTINCT id FROM targets ORDER BY id";

int tsm_target_list(tsm_target **out, size_t *n, tsm_store *store,
		    const char *month)
{
	char m[TSM_MONTH_MAX];
	sqlite3_stmt *st = NULL;
	tsm_target *list = NULL, *tmp, t;
	size_t k = 0, cap = 0;
	tsm_viewer me;
	const char *eid;
	int rc, err = 0;

	*out = NULL;
	*n = 0;
	if (month && (err = tsm_target_month_parse(m, month)) < 0)
		return err;
	if ((err = tsm_viewer_get(&me, store)) < 0)
		return err;
	if ((err = prep(&st, store, SQL_IDS)) < 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		eid = (const char *)sqlite3_column_text(st, 0);
		memset(&t, 0, sizeof(t));
		if (eid == NULL || split_eid(&t, eid) < 0)
			continue;
		if (month && strcmp(t.month, m) != 0)
			continue;
		if (!me.all && t.member[0] && strcmp(t.member, me.member) != 0)
			continue;
		if ((err = read_target(&t, store, eid)) < 0)
			goto done;
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(list, cap * sizeof(*list));
			if (tmp == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			list = tmp;
		}
		list[k++] = t;
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc, "read targets");
done:
	sqlite3_finalize(st);
	if (err < 0) {
		free(list);
		return err;
	}
	if (k > 1)
		qsort(list, k, sizeof(*list), target_cmp);
	*out = list;
	*n = k;
	return 0;
}
