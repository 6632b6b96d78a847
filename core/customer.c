/* core/customer.c — customers: field checks, add/edit/delete/restore as ops,
 * resolving a reference (id, id prefix, phone), listing with filters and
 * visibility by role, and the card. Reads the materialized tables only. */
#include "tsm/customer.h"
#include "tsm/text.h"

#include "error.h"
#include "json.h"
#include "store_internal.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

static const char *const field_names[TSM_CF_COUNT] = {
    "name",    "phone", "company",    "industry", "region", "size",  "source",
    "address", "needs", "salutation", "priority", "tags",   "stage", "owner",
};

static const char *const stages[] = {
    "new", "contacted", "interested", "negotiating", "lost", "won",
};

/* Salutations as stored; Latin ones match case-insensitively, with or
 * without a final dot. */
static const char *const salutations[] = {
    "先生", "女士", "小姐", "Mr", "Ms", "Mrs", "Miss", "Dr",
};

static const char *const priorities[] = {"high", "normal", "low"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *tsm_customer_field_name(int f)
{
	if (f < 0 || f >= TSM_CF_COUNT)
		return NULL;
	return field_names[f];
}

int tsm_customer_field_lookup(const char *name)
{
	int f;

	if (name == NULL)
		return -1;
	for (f = 0; f < TSM_CF_COUNT; f++)
		if (strcmp(field_names[f], name) == 0)
			return f;
	return -1;
}

int tsm_stage_rank(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	/* The op log ranks lost (4) below won (5). */
	for (i = 0; i < COUNT(stages); i++)
		if (strcmp(stages[i], s) == 0)
			return (int)i;
	return -1;
}

int tsm_stage_valid(const char *s)
{
	return tsm_stage_rank(s) >= 0;
}

/* ASCII case-insensitive equality. */
static int ascii_ieq(const char *a, const char *b, size_t n)
{
	size_t i;
	unsigned char x, y;

	for (i = 0; i < n; i++) {
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y || x == '\0')
			return x == y;
	}
	return 1;
}

static const char *canon_salutation(const char *s)
{
	size_t i, n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		n--;
	for (i = 0; i < COUNT(salutations); i++)
		if (strlen(salutations[i]) == n &&
		    ascii_ieq(salutations[i], s, n))
			return salutations[i];
	return NULL;
}

static const char *canon_priority(const char *s)
{
	size_t i;

	for (i = 0; i < COUNT(priorities); i++)
		if (strlen(priorities[i]) == strlen(s) &&
		    ascii_ieq(priorities[i], s, strlen(s)))
			return priorities[i];
	return NULL;
}

/* Well-formed UTF-8 of at most max bytes without control characters (tab
 * and newline allowed when multiline). */
static int text_ok(const char *s, size_t max, int multiline)
{
	size_t n = strlen(s), i = 0, k;
	uint32_t cp;

	if (n > max)
		return 0;
	while (i < n) {
		k = tsm_text_decode(&cp, s + i, n - i);
		if (cp == TSM_TEXT_INVALID)
			return 0;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			if (!multiline || (cp != '\n' && cp != '\t'))
				return 0;
		}
		i += k;
	}
	return 1;
}

/* ---- small SQL helpers ---- */

static int prep(sqlite3_stmt **st, sqlite3 *db, const char *sql)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return tsm_error_sqlite(db, rc, "prepare query");
	}
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (i > sqlite3_bind_parameter_count(st))
		return;
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	if (i <= sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, i, v);
}

/* A malloc'd copy of a text column, NULL for SQL NULL; *oom set on failure. */
static char *col_dup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (t == NULL)
		return NULL;
	s = strdup((const char *)t);
	if (s == NULL)
		*oom = 1;
	return s;
}

static void col_copy(char *out, size_t outlen, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

/* ---- visibility ---- */

static const char SQL_ROLE[] =
    "SELECT role FROM members WHERE id = ?1 AND active = 1";

int tsm_viewer_get(tsm_viewer *out, tsm_store *store)
{
	tsm_identity me;
	sqlite3_stmt *st = NULL;
	int err, rc;

	memset(out, 0, sizeof(*out));
	if ((err = tsm_identity_get(&me, store)) < 0)
		return err;
	snprintf(out->member, sizeof(out->member), "%s", me.member);
	if ((err = prep(&st, tsm_store_db(store), SQL_ROLE)) < 0)
		return err;
	bind_text(st, 1, me.member);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_copy(out->role, sizeof(out->role), st, 0);
	else if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc, "read role");
	sqlite3_finalize(st);
	if (err < 0)
		return err;
	out->all = strcmp(out->role, "lead") == 0 ||
		   strcmp(out->role, "manager") == 0 ||
		   strcmp(out->role, "assistant") == 0 ||
		   strcmp(out->role, "auditor") == 0;
	return 0;
}

static const char SQL_VISIBLE[] =
    "SELECT 1 FROM customers c WHERE c.id = ?1 "
    "AND (?2 OR c.owner = ?3 OR c.created_by = ?3)";

static int visible_as(tsm_store *store, const tsm_viewer *v, const char *id)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = prep(&st, tsm_store_db(store), SQL_VISIBLE)) < 0)
		return err;
	bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, v->all);
	bind_text(st, 3, v->member);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = 1;
	else if (rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read customer");
	sqlite3_finalize(st);
	return err;
}

int tsm_customer_visible(tsm_store *store, const char *id)
{
	tsm_viewer v;
	int err;

	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	return visible_as(store, &v, id);
}

/* ---- resolving a reference ---- */

static const char SQL_BY_ID[] =
    "SELECT id, deleted, merged_into FROM customers WHERE id = ?1";

/* Candidates: live (or deleted with ?4), not merged, visible. */
#define CAND_WHERE                                                             \
	" AND merged_into IS NULL AND (deleted = 0 OR ?4)"                     \
	" AND (?5 OR owner = ?6 OR created_by = ?6)"                           \
	" ORDER BY deleted, id LIMIT 11"

static const char SQL_BY_PREFIX[] = "SELECT id, name, deleted FROM customers "
				    "WHERE id >= ?1 AND id < ?2" CAND_WHERE;
static const char SQL_BY_PHONE[] =
    "SELECT id, name, deleted FROM customers WHERE phone = ?1" CAND_WHERE;

static int prefix_ok(const char *ref)
{
	size_t i;

	for (i = 0; ref[i]; i++)
		if (!((ref[i] >= '0' && ref[i] <= '9') ||
		      (ref[i] >= 'a' && ref[i] <= 'z')))
			return 0;
	return i >= 4 && i < TSM_CUSTOMER_ID_MAX - 1;
}

/* Runs a candidate query (live ones first); one match goes to out — a
 * single live one wins over deleted ones — several give the ambiguity
 * error. Returns the number of matches (0, 1) or an error. */
static int candidates(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
		      sqlite3_stmt *st, const char *ref)
{
	char ids[11][TSM_CUSTOMER_ID_MAX];
	char names[11][TSM_TEXT_BUFSIZE(127, 12)];
	char msg[1024];
	size_t n = 0, live = 0, i, len;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 11) {
		if (sqlite3_column_int(st, 2) == 0)
			live++;
		col_copy(ids[n], sizeof(ids[n]), st, 0);
		/* Cut names short without splitting a character; a name
		 * too long for the buffer is left out. */
		if (tsm_text_truncate(names[n], sizeof(names[n]),
				      (const char *)sqlite3_column_text(st, 1),
				      12) < 0)
			snprintf(names[n], sizeof(names[n]), "?");
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"find customer");
	if (n == 1 || live == 1)
		snprintf(out, TSM_CUSTOMER_ID_MAX, "%s", ids[0]);
	if (n <= 1 || live == 1)
		return n > 0;
	len = (size_t)snprintf(msg, sizeof(msg),
			       "'%s' matches %s%zu customers:", ref,
			       n > 10 ? "more than " : "", n > 10 ? 10 : n);
	for (i = 0; i < n && i < 10 && len < sizeof(msg); i++)
		len +=
		    (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s (%s)",
				     i ? "," : "", ids[i], names[i]);
	return tsm_error_set(TSM_EINVALID, "%s", msg);
}

static int run_candidates(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			  const char *sql, const char *a, const char *b,
			  const tsm_viewer *v, unsigned int flags,
			  const char *ref)
{
	sqlite3_stmt *st = NULL;
	int err;

	if ((err = prep(&st, tsm_store_db(store), sql)) < 0)
		return err;
	bind_text(st, 1, a);
	bind_text(st, 2, b);
	sqlite3_bind_int(st, 4, (flags & TSM_RESOLVE_DELETED) != 0);
	sqlite3_bind_int(st, 5, v->all);
	bind_text(st, 6, v->member);
	err = candidates(out, store, st, ref);
	sqlite3_finalize(st);
	return err;
}

/* An exact id: 1 found (out set), 0 none, or an error. */
static int by_id(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
		 const char *ref, const tsm_viewer *v, unsigned int flags)
{
	char id[TSM_CUSTOMER_ID_MAX], into[TSM_CUSTOMER_ID_MAX];
	sqlite3_stmt *st = NULL;
	int err = 0, rc, deleted = 0, hops;

	snprintf(id, sizeof(id), "%s", ref);
	/* Follow merges to the survivor (bounded: merges may form a
	 * chain, the op log breaks cycles). */
	for (hops = 0; hops < 8; hops++) {
		if ((err = prep(&st, tsm_store_db(store), SQL_BY_ID)) < 0)
			return err;
		bind_text(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			sqlite3_finalize(st);
			return 0;
		}
		if (rc != SQLITE_ROW) {
			err = tsm_error_sqlite(tsm_store_db(store), rc,
					       "find customer");
			sqlite3_finalize(st);
			return err;
		}
		deleted = sqlite3_column_int(st, 1);
		into[0] = '\0';
		col_copy(into, sizeof(into), st, 2);
		sqlite3_finalize(st);
		st = NULL;
		if (into[0] == '\0' || strcmp(into, id) == 0)
			break;
		snprintf(id, sizeof(id), "%s", into);
	}
	if ((err = visible_as(store, v, id)) <= 0)
		return err;
	if (deleted && !(flags & TSM_RESOLVE_DELETED))
		return tsm_error_set(TSM_ENOTFOUND, "customer '%s' is deleted",
				     ref);
	snprintf(out, TSM_CUSTOMER_ID_MAX, "%s", id);
	return 1;
}

int tsm_customer_resolve(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			 const char *ref, unsigned int flags)
{
	char hi[TSM_CUSTOMER_ID_MAX], phone[TSM_PHONE_MAX];
	tsm_viewer v;
	size_t n;
	int err;

	out[0] = '\0';
	if (ref == NULL || *ref == '\0')
		return tsm_error_set(TSM_EINVALID, "no customer given");
	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	if (strlen(ref) < TSM_CUSTOMER_ID_MAX) {
		if ((err = by_id(out, store, ref, &v, flags)) != 0)
			return err < 0 ? err : 0;
	}
	if (prefix_ok(ref)) {
		/* ids in [ref, ref with its last byte + 1) */
		n = strlen(ref);
		memcpy(hi, ref, n + 1);
		hi[n - 1] = (char)(hi[n - 1] + 1);
		err = run_candidates(out, store, SQL_BY_PREFIX, ref, hi, &v,
				     flags, ref);
		if (err != 0)
			return err < 0 ? err : 0;
	}
	if (tsm_phone_normalize(phone, sizeof(phone), ref, NULL) == 0) {
		err = run_candidates(out, store, SQL_BY_PHONE, phone, NULL, &v,
				     flags, ref);
		if (err != 0)
			return err < 0 ? err : 0;
	}
	tsm_error_clear();
	return tsm_error_set(TSM_ENOTFOUND, "no customer '%s'", ref);
}

/* ---- reading customers ---- */

#define CUST_COLS                                                              \
	"c.id, c.name, c.phone, c.company, c.industry, c.region, c.size, "     \
	"c.source, c.address, c.needs, c.salutation, c.priority, c.tags, "     \
	"c.stage, c.owner, c.dnc, c.dnc_flag, c.deleted, c.merged_into, "      \
	"c.created_by, c.created_at, c.updated_at, "                           \
	"(SELECT f.due FROM followups f WHERE f.customer = c.id "              \
	" AND f.done = 0 ORDER BY f.due, f.id LIMIT 1), "                      \
	"(SELECT f.kind FROM followups f WHERE f.customer = c.id "             \
	" AND f.done = 0 ORDER BY f.due, f.id LIMIT 1), "                      \
	"(SELECT max(k.at) FROM calls k WHERE k.customer = c.id), "            \
	"(SELECT count(*) FROM calls k WHERE k.customer = c.id) "

void tsm_customer_dispose(tsm_customer *c)
{
	int f;

	if (c == NULL)
		return;
	for (f = 0; f < TSM_CF_COUNT; f++)
		free(c->f[f]);
	free(c->merged_into);
	free(c->created_by);
	free(c->next_kind);
	memset(c, 0, sizeof(*c));
}

void tsm_customer_free(tsm_customer *c)
{
	tsm_customer_dispose(c);
	free(c);
}

void tsm_customer_list_free(tsm_customer *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		tsm_customer_dispose(&list[i]);
	free(list);
}

/* Fills c from a row of CUST_COLS. */
static int read_row(tsm_customer *c, sqlite3_stmt *st)
{
	int f, oom = 0;

	memset(c, 0, sizeof(*c));
	col_copy(c->id, sizeof(c->id), st, 0);
	for (f = 0; f < TSM_CF_COUNT; f++)
		c->f[f] = col_dup(st, 1 + f, &oom);
	col_copy(c->stage, sizeof(c->stage), st, 13);
	c->dnc = sqlite3_column_int(st, 15);
	c->dnc_flag = sqlite3_column_int(st, 16);
	c->deleted = sqlite3_column_int(st, 17);
	c->merged_into = col_dup(st, 18, &oom);
	c->created_by = col_dup(st, 19, &oom);
	c->created_at = sqlite3_column_int64(st, 20);
	c->updated_at = sqlite3_column_int64(st, 21);
	c->next_due = sqlite3_column_int64(st, 22);
	c->next_kind = col_dup(st, 23, &oom);
	c->last_call = sqlite3_column_int64(st, 24);
	c->calls = sqlite3_column_int64(st, 25);
	if (oom) {
		tsm_customer_dispose(c);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	return 0;
}

static const char SQL_GET[] =
    "SELECT " CUST_COLS "FROM customers c WHERE c.id = ?1";

/* Reads customer id (already resolved) into c. */
static int read_one(tsm_customer *c, tsm_store *store, const char *id)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = prep(&st, tsm_store_db(store), SQL_GET)) < 0)
		return err;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = read_row(c, st);
	else if (rc == SQLITE_DONE)
		err = tsm_error_set(TSM_ENOTFOUND, "no customer '%s'", id);
	else
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "read customer");
	sqlite3_finalize(st);
	return err;
}

int tsm_customer_get(tsm_customer **out, tsm_store *store, const char *ref,
		     unsigned int flags)
{
	char id[TSM_CUSTOMER_ID_MAX];
	tsm_customer *c;
	int err;

	*out = NULL;
	if ((err = tsm_customer_resolve(id, store, ref, flags)) < 0)
		return err;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = read_one(c, store, id)) < 0) {
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

/* The digits of a search text typed like a phone ("138 0000", "010-5555"),
 * without a trunk 0, into out; "" when it is not such a text. */
static void search_digits(char *out, size_t outlen, const char *s)
{
	size_t n = 0, digits = 0, i;
	const char *d;

	out[0] = '\0';
	for (i = 0; s[i]; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (!strchr(" -+().", s[i]))
			return;
	}
	if (digits < 3 || digits >= outlen)
		return;
	for (i = 0; s[i]; i++)
		if (s[i] >= '0' && s[i] <= '9')
			out[n++] = s[i];
	out[n] = '\0';
	d = out;
	if (d[0] == '0' && d[1] != '0' && d[1] != '\0')
		memmove(out, out + 1, n);
}

int tsm_customer_list(tsm_customer **out, size_t *n, tsm_store *store,
		      const tsm_customer_filter *filter)
{
	static const tsm_customer_filter none = TSM_CUSTOMER_FILTER_INIT;
	const tsm_customer_filter *fl = filter ? filter : &none;
	tsm_jbuf sql;
	tsm_viewer v;
	sqlite3_stmt *st = NULL;
	tsm_customer *list = NULL, *grown;
	size_t cap = 0, count = 0;
	char digits[32];
	int err, rc;

	*out = NULL;
	*n = 0;
	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	/* Fixed fragments only; every user value is a bound parameter. */
	tsm_jbuf_init(&sql);
	tsm_jbuf_puts(&sql, "SELECT " CUST_COLS "FROM customers c WHERE "
			    "(?1 OR c.owner = ?2 OR c.created_by = ?2)");
	if (!fl->include_deleted)
		tsm_jbuf_puts(&sql,
			      " AND c.deleted = 0 AND c.merged_into IS NULL");
	if (fl->owner && *fl->owner)
		tsm_jbuf_puts(&sql, " AND c.owner = ?3");
	else if (fl->owner)
		tsm_jbuf_puts(&sql, " AND c.owner IS NULL");
	if (fl->stage)
		tsm_jbuf_puts(&sql, " AND c.stage = ?4");
	if (fl->industry)
		tsm_jbuf_puts(&sql, " AND c.industry = ?5");
	if (fl->region)
		tsm_jbuf_puts(&sql, " AND c.region = ?6");
	if (fl->source)
		tsm_jbuf_puts(&sql, " AND c.source = ?7");
	if (fl->due_before > 0)
		tsm_jbuf_puts(&sql, " AND EXISTS (SELECT 1 FROM followups f "
				    "WHERE f.customer = c.id AND f.done = 0 "
				    "AND f.due < ?8)");
	digits[0] = '\0';
	if (fl->search && *fl->search) {
		search_digits(digits, sizeof(digits), fl->search);
		tsm_jbuf_puts(&sql, " AND (instr(lower(c.name), lower(?9)) "
				    "OR instr(lower(c.company), lower(?9)) "
				    "OR instr(c.phone, ?9)");
		if (digits[0])
			tsm_jbuf_puts(&sql, " OR instr(c.phone, ?10)");
		tsm_jbuf_puts(&sql, ")");
	}
	/* Creation order: by time, then by the create op (site, seq), so
	 * customers added within one millisecond keep their order. */
	tsm_jbuf_puts(&sql, " ORDER BY c.created_at, "
			    "substr(c.create_op, 1, instr(c.create_op, ':')), "
			    "CAST(substr(c.create_op, "
			    "instr(c.create_op, ':') + 1) AS INTEGER), c.id "
			    "LIMIT ?11");
	if (sql.err) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = prep(&st, tsm_store_db(store), sql.buf)) < 0)
		goto done;
	sqlite3_bind_int(st, 1, v.all);
	bind_text(st, 2, v.member);
	bind_text(st, 3, fl->owner);
	bind_text(st, 4, fl->stage);
	bind_text(st, 5, fl->industry);
	bind_text(st, 6, fl->region);
	bind_text(st, 7, fl->source);
	bind_i64(st, 8, fl->due_before);
	bind_text(st, 9, fl->search);
	bind_text(st, 10, digits);
	bind_i64(st, 11,
		 fl->limit > 0 && fl->limit < INT64_MAX ? (int64_t)fl->limit
							: -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(list, cap * sizeof(*list));
			if (grown == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			list = grown;
		}
		if ((err = read_row(&list[count], st)) < 0)
			goto done;
		count++;
	}
	if (rc != SQLITE_DONE)
		err =
		    tsm_error_sqlite(tsm_store_db(store), rc, "list customers");
done:
	sqlite3_finalize(st);
	tsm_jbuf_dispose(&sql);
	if (err < 0) {
		tsm_customer_list_free(list, count);
		return err;
	}
	*out = list;
	*n = count;
	return 0;
}

/* ---- checking what a user typed ---- */

/* The stored form of field f's value s (borrowed or written to buf), or
 * NULL with the error set. "" means clear. */
static const char *canon_field(tsm_store *store, int f, const char *s,
			       char *buf, size_t buflen)
{
	const char *c;
	sqlite3_stmt *st = NULL;
	int rc;

	if (*s == '\0')
		return s;
	switch (f) {
	case TSM_CF_NAME:
		if (!tsm_name_valid(s)) {
			tsm_error_set(TSM_EINVALID,
				      "invalid name: 1 to 127 bytes of text "
				      "without control characters");
			return NULL;
		}
		return s;
	case TSM_CF_PHONE:
		if (tsm_phone_normalize(buf, buflen, s, NULL) < 0)
			return NULL;
		return buf;
	case TSM_CF_SALUTATION:
		if ((c = canon_salutation(s)) == NULL)
			tsm_error_set(
			    TSM_EINVALID,
			    "invalid salutation '%s': use 先生, 女士, "
			    "小姐, Mr, Ms, Mrs, Miss or Dr",
			    s);
		return c;
	case TSM_CF_PRIORITY:
		if ((c = canon_priority(s)) == NULL)
			tsm_error_set(TSM_EINVALID,
				      "invalid priority '%s': use high, normal "
				      "or low",
				      s);
		return c;
	case TSM_CF_STAGE:
		if (!tsm_stage_valid(s)) {
			tsm_error_set(TSM_EINVALID,
				      "invalid stage '%s': use new, contacted, "
				      "interested, negotiating, won or lost",
				      s);
			return NULL;
		}
		return s;
	case TSM_CF_OWNER:
		if (!tsm_member_id_valid(s)) {
			tsm_error_set(TSM_EINVALID, "invalid member id '%s'",
				      s);
			return NULL;
		}
		if (prep(&st, tsm_store_db(store), SQL_ROLE) < 0)
			return NULL;
		bind_text(st, 1, s);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return s;
		if (rc == SQLITE_DONE)
			tsm_error_set(TSM_EINVALID,
				      "no active member '%s' in the team", s);
		else
			tsm_error_sqlite(tsm_store_db(store), rc,
					 "read member");
		return NULL;
	default:
		if (!text_ok(s, TSM_CUSTOMER_TEXT_MAX,
			     f == TSM_CF_NEEDS || f == TSM_CF_ADDRESS)) {
			tsm_error_set(TSM_EINVALID,
				      "invalid %s: at most %d bytes of UTF-8 "
				      "text without control characters",
				      field_names[f], TSM_CUSTOMER_TEXT_MAX);
			return NULL;
		}
		return s;
	}
}

/* The canonical values of every field given, into vals (NULL: not given,
 * "" clear), phone written to phone. */
static int check_fields(const char *vals[TSM_CF_COUNT],
			char phone[TSM_PHONE_MAX], tsm_store *store,
			const tsm_customer_fields *in, int adding)
{
	int f;

	if (in == NULL || in->version != TSM_CUSTOMER_FIELDS_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "customer fields: bad version");
	phone[0] = '\0';
	for (f = 0; f < TSM_CF_COUNT; f++) {
		vals[f] = NULL;
		if (in->v[f] && (in->clear & (1u << f)))
			return tsm_error_set(TSM_EINVALID,
					     "cannot both set and clear %s",
					     field_names[f]);
		if (in->v[f]) {
			vals[f] = canon_field(store, f, in->v[f], phone,
					      TSM_PHONE_MAX);
			if (vals[f] == NULL)
				return tsm_error_last()->code;
		} else if (!adding && (in->clear & (1u << f))) {
			vals[f] = "";
		}
		if (vals[f] && *vals[f] == '\0' &&
		    (f == TSM_CF_NAME || f == TSM_CF_PHONE ||
		     f == TSM_CF_STAGE))
			return tsm_error_set(TSM_EINVALID,
					     "a customer's %s cannot be empty",
					     field_names[f]);
	}
	if (adding && (vals[TSM_CF_NAME] == NULL || vals[TSM_CF_PHONE] == NULL))
		return tsm_error_set(TSM_EINVALID,
				     "a new customer needs a name and a phone");
	return 0;
}

static const char SQL_DUPS[] =
    "SELECT id FROM customers WHERE phone = ?1 AND id != ?2 "
    "AND deleted = 0 AND merged_into IS NULL ORDER BY id";
static const char SQL_LISTED[] = "SELECT dnc FROM dnc_list WHERE phone = ?1";

/* Fills out's duplicate and dnc fields for phone. */
static int phone_warnings(tsm_customer_written *out, tsm_store *store,
			  const char *phone)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	snprintf(out->phone, sizeof(out->phone), "%s", phone);
	if ((err = prep(&st, tsm_store_db(store), SQL_DUPS)) < 0)
		return err;
	bind_text(st, 1, phone);
	bind_text(st, 2, out->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->ndup++ == 0)
			col_copy(out->dup_of, sizeof(out->dup_of), st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"find duplicates");
	if ((err = prep(&st, tsm_store_db(store), SQL_LISTED)) < 0)
		return err;
	bind_text(st, 1, phone);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		out->dnc_listed = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"read dnc list");
	return 0;
}

/* ---- writing ---- */

static const char SQL_ID_TAKEN[] =
    "SELECT 1 FROM ops WHERE etype = 'customer' AND eid = ?1 LIMIT 1";

static int new_id(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[6];
	sqlite3_stmt *st = NULL;
	int tries, err, rc;
	size_t i;

	for (tries = 0; tries < 16; tries++) {
		randombytes_buf(rnd, sizeof(rnd));
		out[0] = 'c';
		for (i = 0; i < sizeof(rnd); i++) {
			out[1 + 2 * i] = hex[rnd[i] >> 4];
			out[2 + 2 * i] = hex[rnd[i] & 15];
		}
		out[1 + 2 * sizeof(rnd)] = '\0';
		if ((err = prep(&st, tsm_store_db(store), SQL_ID_TAKEN)) < 0)
			return err;
		bind_text(st, 1, out);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return tsm_error_sqlite(tsm_store_db(store), rc,
						"check id");
	}
	return tsm_error_set(TSM_ERROR, "cannot pick a new customer id");
}

int tsm_customer_add(tsm_customer_written *out, tsm_store *store,
		     const tsm_customer_fields *fields)
{
	const char *vals[TSM_CF_COUNT];
	char phone[TSM_PHONE_MAX];
	tsm_json *obj = NULL;
	char *value = NULL;
	tsm_op_spec spec;
	int err, f;

	memset(out, 0, sizeof(*out));
	if ((err = check_fields(vals, phone, store, fields, 1)) < 0)
		return err;
	if ((err = new_id(out->id, store)) < 0)
		return err;
	obj = tsm_json_new_object();
	if (obj == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (f = 0; f < TSM_CF_COUNT; f++) {
		if (vals[f] == NULL || *vals[f] == '\0')
			continue;
		if ((err = tsm_json_put_string(obj, field_names[f], vals[f])) <
		    0)
			goto done;
	}
	if ((err = tsm_json_print(&value, obj)) < 0)
		goto done;
	if ((err = phone_warnings(out, store, phone)) < 0)
		goto done;
	spec = (tsm_op_spec){"customer", out->id, "create", NULL, value};
	if ((err = tsm_ops_append(NULL, store, &spec, 1)) < 0)
		goto done;
	out->changed = 1;
done:
	tsm_json_free(obj);
	free(value);
	return err;
}

/* JSON text of a string value, or "null" for "". */
static int json_value(char **out, const char *s)
{
	tsm_json *v = *s ? tsm_json_new_string(s) : tsm_json_new_null();
	int err;

	if (v == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	err = tsm_json_print(out, v);
	tsm_json_free(v);
	return err;
}

int tsm_customer_edit(tsm_customer_written *out, tsm_store *store,
		      const char *ref, const tsm_customer_fields *fields)
{
	const char *vals[TSM_CF_COUNT];
	char phone[TSM_PHONE_MAX];
	char *values[TSM_CF_COUNT] = {NULL};
	tsm_op_spec specs[TSM_CF_COUNT];
	tsm_customer cur;
	const char *now;
	size_t n = 0, i;
	int err, f, new_phone = 0;

	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	if ((err = check_fields(vals, phone, store, fields, 0)) < 0)
		return err;
	if ((err = tsm_customer_resolve(out->id, store, ref, 0)) < 0)
		return err;
	if ((err = read_one(&cur, store, out->id)) < 0)
		return err;
	for (f = 0; f < TSM_CF_COUNT; f++) {
		if (vals[f] == NULL)
			continue;
		now = cur.f[f] ? cur.f[f] : "";
		if (strcmp(now, vals[f]) == 0)
			continue;
		if ((err = json_value(&values[n], vals[f])) < 0)
			goto done;
		specs[n] = (tsm_op_spec){"customer", out->id, "set",
					 field_names[f], values[n]};
		n++;
		new_phone |= f == TSM_CF_PHONE;
	}
	if (new_phone &&
	    (err = phone_warnings(out, store, vals[TSM_CF_PHONE])) < 0)
		goto done;
	if (n > 0 && (err = tsm_ops_append(NULL, store, specs, n)) < 0)
		goto done;
	out->changed = n;
done:
	for (i = 0; i < n; i++)
		free(values[i]);
	tsm_customer_dispose(&cur);
	return err;
}

static const char SQL_DELETED[] = "SELECT deleted FROM customers WHERE id = ?1";

static int lifecycle(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
		     const char *ref, int restore)
{
	char id[TSM_CUSTOMER_ID_MAX];
	sqlite3_stmt *st = NULL;
	tsm_op_spec spec;
	int err, rc, deleted;

	if (out)
		out[0] = '\0';
	err = tsm_customer_resolve(id, store, ref,
				   restore ? TSM_RESOLVE_DELETED : 0);
	if (err < 0)
		return err;
	if ((err = prep(&st, tsm_store_db(store), SQL_DELETED)) < 0)
		return err;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	deleted = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return tsm_error_sqlite(tsm_store_db(store), rc,
					"read customer");
	if (restore && !deleted)
		return tsm_error_set(TSM_EINVALID,
				     "customer '%s' is not deleted", id);
	spec = (tsm_op_spec){"customer", id, restore ? "restore" : "delete",
			     NULL, NULL};
	if ((err = tsm_ops_append(NULL, store, &spec, 1)) < 0)
		return err;
	if (out)
		snprintf(out, TSM_CUSTOMER_ID_MAX, "%s", id);
	return 0;
}

int tsm_customer_delete(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			const char *ref)
{
	return lifecycle(out, store, ref, 0);
}

int tsm_customer_restore(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			 const char *ref)
{
	return lifecycle(out, store, ref, 1);
}

/* ---- the card ---- */

static const char SQL_MEMBER_NAME[] = "SELECT name FROM members WHERE id = ?1";
static const char SQL_CALLS[] =
    "SELECT id, author, at, outcome, duration_s, note, connected, "
    "effective, interested, sale, dnc_request, revisit, amended_by "
    "FROM calls WHERE customer = ?1 ORDER BY at DESC, id DESC LIMIT ?2";
static const char SQL_NOTES[] =
    "SELECT id, author, at, text FROM notes WHERE customer = ?1 "
    "ORDER BY at DESC, id DESC";
static const char SQL_FEEDBACK[] =
    "SELECT id, author, at, text, satisfaction FROM feedback "
    "WHERE customer = ?1 ORDER BY at DESC, id DESC";
static const char SQL_FOLLOWUPS[] =
    "SELECT id, kind, due, note, done, done_at, done_by, satisfaction, "
    "feedback, created_by FROM followups WHERE customer = ?1 "
    "ORDER BY done, CASE WHEN done = 0 THEN due END, "
    "coalesce(done_at, due) DESC, id";
static const char SQL_ORDERS[] =
    "SELECT id, service, amount_fen, term_months, start, status, note, "
    "created_by, created_at FROM orders WHERE customer = ?1 "
    "ORDER BY created_at DESC, id DESC";

static int member_name(char **out, tsm_store *store, const char *member)
{
	sqlite3_stmt *st = NULL;
	int err, rc, oom = 0;

	*out = NULL;
	if (member == NULL)
		return 0;
	if ((err = prep(&st, tsm_store_db(store), SQL_MEMBER_NAME)) < 0)
		return err;
	bind_text(st, 1, member);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = col_dup(st, 0, &oom);
	sqlite3_finalize(st);
	if (oom)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(store), rc, "read member");
	return 0;
}

/* Row readers for the card's arrays: each fills item i from a row. */
typedef int (*row_fn)(void *items, size_t i, sqlite3_stmt *st);

static int read_call(void *items, size_t i, sqlite3_stmt *st)
{
	tsm_card_call *c = (tsm_card_call *)items + i;
	int oom = 0;

	col_copy(c->id, sizeof(c->id), st, 0);
	c->author = col_dup(st, 1, &oom);
	c->at = sqlite3_column_int64(st, 2);
	c->outcome = col_dup(st, 3, &oom);
	c->duration_s = sqlite3_column_int64(st, 4);
	c->note = col_dup(st, 5, &oom);
	c->connected = sqlite3_column_int(st, 6);
	c->effective = sqlite3_column_int(st, 7);
	c->interested = sqlite3_column_int(st, 8);
	c->sale = sqlite3_column_int(st, 9);
	c->dnc_request = sqlite3_column_int(st, 10);
	c->revisit = sqlite3_column_int(st, 11);
	c->amended = sqlite3_column_type(st, 12) != SQLITE_NULL;
	return oom ? TSM_ENOMEM : 0;
}

static int read_note(void *items, size_t i, sqlite3_stmt *st)
{
	tsm_card_note *c = (tsm_card_note *)items + i;
	int oom = 0;

	col_copy(c->id, sizeof(c->id), st, 0);
	c->author = col_dup(st, 1, &oom);
	c->at = sqlite3_column_int64(st, 2);
	c->text = col_dup(st, 3, &oom);
	return oom ? TSM_ENOMEM : 0;
}

static int read_feedback(void *items, size_t i, sqlite3_stmt *st)
{
	tsm_card_feedback *c = (tsm_card_feedback *)items + i;
	int oom = 0;

	col_copy(c->id, sizeof(c->id), st, 0);
	c->author = col_dup(st, 1, &oom);
	c->at = sqlite3_column_int64(st, 2);
	c->text = col_dup(st, 3, &oom);
	c->satisfaction = sqlite3_column_int(st, 4);
	return oom ? TSM_ENOMEM : 0;
}

static int read_followup(void *items, size_t i, sqlite3_stmt *st)
{
	tsm_card_followup *c = (tsm_card_followup *)items + i;
	int oom = 0;

	c->id = col_dup(st, 0, &oom);
	c->kind = col_dup(st, 1, &oom);
	c->due = sqlite3_column_int64(st, 2);
	c->note = col_dup(st, 3, &oom);
	c->done = sqlite3_column_int(st, 4);
	c->done_at = sqlite3_column_int64(st, 5);
	c->done_by = col_dup(st, 6, &oom);
	c->satisfaction = sqlite3_column_int(st, 7);
	c->feedback = col_dup(st, 8, &oom);
	c->created_by = col_dup(st, 9, &oom);
	return oom ? TSM_ENOMEM : 0;
}

static int read_order(void *items, size_t i, sqlite3_stmt *st)
{
	tsm_card_order *c = (tsm_card_order *)items + i;
	int oom = 0;

	c->id = col_dup(st, 0, &oom);
	c->service = col_dup(st, 1, &oom);
	c->amount_fen = sqlite3_column_int64(st, 2);
	c->term_months = sqlite3_column_int64(st, 3);
	c->start = col_dup(st, 4, &oom);
	c->status = col_dup(st, 5, &oom);
	c->note = col_dup(st, 6, &oom);
	c->created_by = col_dup(st, 7, &oom);
	c->created_at = sqlite3_column_int64(st, 8);
	return oom ? TSM_ENOMEM : 0;
}

/* Runs sql for customer id (and limit ?2) into a zeroed array of items of
 * size sz. On failure the items read so far stay in *out for the caller's
 * free. */
static int read_rows(void **out, size_t *n, tsm_store *store, const char *sql,
		     const char *id, int64_t limit, size_t sz, row_fn fn)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	void *grown;
	int err = 0, rc;

	*out = NULL;
	*n = 0;
	if ((err = prep(&st, tsm_store_db(store), sql)) < 0)
		return err;
	bind_text(st, 1, id);
	bind_i64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(*out, cap * sz);
			if (grown == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			*out = grown;
		}
		memset((char *)*out + *n * sz, 0, sz);
		err = fn(*out, *n, st);
		(*n)++;
		if (err < 0) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc, "read card");
done:
	sqlite3_finalize(st);
	return err;
}

void tsm_customer_card_free(tsm_customer_card *card)
{
	size_t i;

	if (card == NULL)
		return;
	tsm_customer_dispose(&card->c);
	free(card->owner_name);
	free(card->creator_name);
	for (i = 0; i < card->ncalls; i++) {
		free(card->calls[i].author);
		free(card->calls[i].outcome);
		free(card->calls[i].note);
	}
	free(card->calls);
	for (i = 0; i < card->nnotes; i++) {
		free(card->notes[i].author);
		free(card->notes[i].text);
	}
	free(card->notes);
	for (i = 0; i < card->nfeedback; i++) {
		free(card->feedback[i].author);
		free(card->feedback[i].text);
	}
	free(card->feedback);
	for (i = 0; i < card->nfollowups; i++) {
		tsm_card_followup *f = &card->followups[i];

		free(f->id);
		free(f->kind);
		free(f->note);
		free(f->done_by);
		free(f->feedback);
		free(f->created_by);
	}
	free(card->followups);
	for (i = 0; i < card->norders; i++) {
		tsm_card_order *o = &card->orders[i];

		free(o->id);
		free(o->service);
		free(o->start);
		free(o->status);
		free(o->note);
		free(o->created_by);
	}
	free(card->orders);
	free(card);
}

int tsm_customer_card_get(tsm_customer_card **out, tsm_store *store,
			  const char *ref, unsigned int flags, size_t max_calls)
{
	char id[TSM_CUSTOMER_ID_MAX];
	tsm_customer_card *card;
	void *items;
	int err;

	*out = NULL;
	if ((err = tsm_customer_resolve(id, store, ref, flags)) < 0)
		return err;
	card = calloc(1, sizeof(*card));
	if (card == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = read_one(&card->c, store, id)) < 0)
		goto done;
	if ((err = member_name(&card->owner_name, store,
			       card->c.f[TSM_CF_OWNER])) < 0 ||
	    (err = member_name(&card->creator_name, store,
			       card->c.created_by)) < 0)
		goto done;
	err = read_rows(
	    &items, &card->ncalls, store, SQL_CALLS, id,
	    max_calls > 0 && max_calls < INT64_MAX ? (int64_t)max_calls : -1,
	    sizeof(tsm_card_call), read_call);
	card->calls = items;
	if (err < 0)
		goto done;
	err = read_rows(&items, &card->nnotes, store, SQL_NOTES, id, 0,
			sizeof(tsm_card_note), read_note);
	card->notes = items;
	if (err < 0)
		goto done;
	err = read_rows(&items, &card->nfeedback, store, SQL_FEEDBACK, id, 0,
			sizeof(tsm_card_feedback), read_feedback);
	card->feedback = items;
	if (err < 0)
		goto done;
	err = read_rows(&items, &card->nfollowups, store, SQL_FOLLOWUPS, id, 0,
			sizeof(tsm_card_followup), read_followup);
	card->followups = items;
	if (err < 0)
		goto done;
	err = read_rows(&items, &card->norders, store, SQL_ORDERS, id, 0,
			sizeof(tsm_card_order), read_order);
	card->orders = items;
done:
	if (err < 0) {
		tsm_customer_card_free(card);
		return err;
	}
	*out = card;
	return 0;
}
