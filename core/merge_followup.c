/* core/merge_followup.c — the folds of follow-ups (done wins over a
 * concurrent reschedule; a reschedule after done reopens) and orders. Both
 * belong to a customer and take their authorization from the customer's
 * creator and owner at the op's clock. */
#include "ops_internal.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)
#define MAX_MS 253402300800000LL /* year 10000 */

static int is_null(const tsm_json *v)
{
	return tsm_json_type(v) == 0 || tsm_json_type(v) == TSM_JSON_NULL;
}

static int text_or_null(const tsm_json *v)
{
	return is_null(v) || tsm_json_type(v) == TSM_JSON_STRING;
}

static int int_in(const tsm_json *v, int64_t min, int64_t max)
{
	int64_t x;

	return tsm_json_int(&x, v) == 0 && x >= min && x <= max;
}

static int64_t int_or(const tsm_json *v, int64_t dflt)
{
	int64_t x;

	return tsm_json_int(&x, v) == 0 ? x : dflt;
}

/* The customer an entity's create names and its access; *why is set when
 * the create is invalid or not allowed. */
static int create_access(fold_ctx *c, oprec *op, const cust_access **acc,
			 const char **why)
{
	const char *cust =
	    tsm_json_string(tsm_json_get(op_val(op), "customer"));
	int err, role;

	*acc = NULL;
	if ((*why = authz_member(c, op, &role)) != NULL)
		return 0;
	if (cust == NULL || *cust == '\0') {
		*why = "invalid create: expected a customer";
		return 0;
	}
	if ((err = access_get(c, cust, acc)) < 0)
		return err;
	return 0;
}

/* Finds the create (the first valid, authorized one) and checks every
 * other op's author against the customer; valid(op) checks the values. */
static int first_create(fold_ctx *c, entity *e, const char *(*valid)(oprec *op),
			size_t *cix, const cust_access **acc)
{
	const cust_access *a;
	const char *why;
	size_t i;
	oprec *op;
	int err, role;

	*cix = NONE;
	*acc = NULL;
	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (strcmp(op->action, "create") == 0) {
			if ((err = create_access(c, op, &a, &why)) < 0)
				return err;
			if (why == NULL)
				why = valid(op);
			if (why == NULL)
				why = authz_customer(c, a, op, AZ_OTHER);
			if (why == NULL && *cix != NONE)
				why = "it exists already";
			if (why != NULL) {
				op_reject(op, why);
				continue;
			}
			*cix = i;
			*acc = a;
			continue;
		}
	}
	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (i == *cix || strcmp(op->action, "create") == 0)
			continue;
		if ((why = authz_member(c, op, &role)) == NULL && *cix == NONE)
			why = "no such record";
		if (why == NULL)
			why = valid(op);
		if (why == NULL)
			why = authz_customer(c, *acc, op, AZ_OTHER);
		if (why != NULL)
			op_reject(op, why);
	}
	return 0;
}

/* ---- follow-ups ---- */

static int fu_kind_ok(const tsm_json *v)
{
	const char *s = tsm_json_string(v);

	return s && (strcmp(s, "callback") == 0 || strcmp(s, "followup") == 0 ||
		     strcmp(s, "revisit") == 0);
}

static const char *fu_valid(oprec *op)
{
	const tsm_json *v = op_val(op);

	if (strcmp(op->action, "create") == 0) {
		if (tsm_json_type(v) != TSM_JSON_OBJECT ||
		    !int_in(tsm_json_get(v, "due"), 1, MAX_MS) ||
		    !fu_kind_ok(tsm_json_get(v, "kind")) ||
		    !text_or_null(tsm_json_get(v, "note")))
			return "invalid follow-up: expected {\"customer\", "
			       "\"due\", \"kind\", \"note\"}";
		return NULL;
	}
	if (strcmp(op->action, "set") == 0) {
		if (strcmp(op->field, "due") == 0)
			return int_in(v, 1, MAX_MS) ? NULL : "invalid due time";
		if (strcmp(op->field, "note") == 0)
			return text_or_null(v) ? NULL : "invalid note";
		if (strcmp(op->field, "kind") == 0)
			return fu_kind_ok(v) ? NULL : "invalid kind";
		return "unknown follow-up field";
	}
	if (strcmp(op->action, "done") == 0) {
		if (is_null(v))
			return NULL;
		if (tsm_json_type(v) != TSM_JSON_OBJECT ||
		    (tsm_json_get(v, "at") &&
		     !int_in(tsm_json_get(v, "at"), 1, MAX_MS)) ||
		    (!is_null(tsm_json_get(v, "satisfaction")) &&
		     !int_in(tsm_json_get(v, "satisfaction"), 1, 5)) ||
		    !text_or_null(tsm_json_get(v, "feedback")))
			return "invalid done: expected {\"at\", "
			       "\"satisfaction\", \"feedback\"}";
		return NULL;
	}
	return "unknown action";
}

static const char SQL_FU_PUT[] =
    "INSERT OR REPLACE INTO followups(id, customer, origin, kind, due, "
    "note, done, done_at, done_by, done_op, satisfaction, feedback, "
    "created_by, created_at, updated_at) VALUES (?1, coalesce((SELECT "
    "merged_into FROM customers WHERE id = ?2), ?2), ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
static const char SQL_FU_DEL[] = "DELETE FROM followups WHERE id = ?1";

static int is_resched(const oprec *op)
{
	return op->status == ST_ACCEPTED && strcmp(op->action, "set") == 0 &&
	       strcmp(op->field, "due") == 0;
}

/* Done wins over a concurrent reschedule: a done counts unless a
 * reschedule happened after it; reschedules concurrent with a done that
 * counts lose (superseded). Returns the winning done, NONE when open, or
 * NONE with *err set when out of memory. */
static size_t fu_done(entity *e, int *err)
{
	unsigned char *counts;
	size_t i, j, win = NONE;

	*err = 0;
	if ((counts = calloc(e->n + 1, 1)) == NULL) {
		*err = tsm_error_set(TSM_ENOMEM, "out of memory");
		return NONE;
	}
	for (i = 0; i < e->n; i++) {
		if (e->ops[i].status != ST_ACCEPTED ||
		    strcmp(e->ops[i].action, "done") != 0)
			continue;
		for (j = 0; j < e->n; j++)
			if (is_resched(&e->ops[j]) && ent_hb(e, i, j))
				break;
		counts[i] = j == e->n; /* not reopened */
	}
	for (i = 0; i < e->n; i++)
		if (counts[i])
			win = i;
	for (j = 0; j < e->n; j++) {
		if (!is_resched(&e->ops[j]))
			continue;
		for (i = 0; i < e->n; i++)
			if (counts[i] && ent_concurrent(e, i, j))
				break;
		if (i < e->n)
			e->ops[j].status = ST_SUPERSEDED;
	}
	for (i = 0; i < e->n; i++)
		if (counts[i] && i != win)
			e->ops[i].status = ST_SUPERSEDED;
	free(counts);
	return win;
}

int fold_followup(fold_ctx *c, entity *e)
{
	const cust_access *acc;
	const tsm_json *v, *d;
	size_t *entries = NULL, cix, n, w, done, i;
	const tsm_json *due, *note, *kind;
	sqlite3_stmt *st;
	oprec *cr, *dn;
	int64_t updated = 0;
	int err;

	if ((err = first_create(c, e, fu_valid, &cix, &acc)) < 0)
		return err;
	if (cix == NONE) {
		if (e->fresh)
			return 0;
		if ((st = fc_stmt(c, SQL_FU_DEL)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
		return fc_done(c, st, "write follow-up");
	}
	done = fu_done(e, &err);
	if (err < 0)
		return err;
	entries = malloc((e->n + 1) * sizeof(*entries));
	if (entries == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	n = reg_entries(e, cix, "due", entries);
	if ((err = reg_lww(&w, c, e, entries, n, "due")) < 0)
		goto fail;
	due = entry_value(&e->ops[w], "due");
	n = reg_entries(e, cix, "note", entries);
	if ((err = reg_lww(&w, c, e, entries, n, "note")) < 0)
		goto fail;
	note = w == NONE ? NULL : entry_value(&e->ops[w], "note");
	n = reg_entries(e, cix, "kind", entries);
	if ((err = reg_lww(&w, c, e, entries, n, "kind")) < 0)
		goto fail;
	kind = entry_value(&e->ops[w], "kind");
	free(entries);
	for (i = 0; i < e->n; i++)
		if (e->ops[i].status != ST_REJECTED &&
		    op_ms(&e->ops[i]) > updated)
			updated = op_ms(&e->ops[i]);
	cr = &e->ops[cix];
	if ((st = fc_stmt(c, SQL_FU_PUT)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2,
			  tsm_json_string(tsm_json_get(op_val(cr), "customer")),
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tsm_json_string(kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, int_or(due, 0));
	bind_str(st, 5, tsm_json_string(note));
	sqlite3_bind_int(st, 6, done != NONE);
	if (done != NONE) {
		dn = &e->ops[done];
		v = op_val(dn);
		sqlite3_bind_int64(st, 7,
				   int_or(tsm_json_get(v, "at"), op_ms(dn)));
		sqlite3_bind_text(st, 8, dn->author, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, dn->id, -1, SQLITE_STATIC);
		d = tsm_json_get(v, "satisfaction");
		if (!is_null(d))
			sqlite3_bind_int64(st, 10, int_or(d, 0));
		bind_str(st, 11, tsm_json_string(tsm_json_get(v, "feedback")));
	}
	sqlite3_bind_text(st, 12, cr->author, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, op_ms(cr));
	sqlite3_bind_int64(st, 14, updated);
	return fc_done(c, st, "write follow-up");
fail:
	free(entries);
	return err;
}

/* ---- orders ---- */

static const char *const order_fields[] = {
    "service", "amount_fen", "term_months", "start", "status", "note",
};
#define NORDER (sizeof(order_fields) / sizeof(order_fields[0]))

static const char *order_field_reason(const char *f, const tsm_json *v)
{
	if (strcmp(f, "service") == 0) {
		const char *s = tsm_json_string(v);

		return s && *s ? NULL : "invalid service";
	}
	if (strcmp(f, "amount_fen") == 0)
		return int_in(v, 0, TSM_JSON_INT_MAX)
			   ? NULL
			   : "amount_fen must be a non-negative integer";
	if (strcmp(f, "term_months") == 0)
		return is_null(v) || int_in(v, 0, 1200) ? NULL
							: "invalid term_months";
	if (strcmp(f, "start") == 0 || strcmp(f, "status") == 0 ||
	    strcmp(f, "note") == 0)
		return text_or_null(v) ? NULL : "invalid value";
	return "unknown order field";
}

static const char *order_valid(oprec *op)
{
	const tsm_json *v = op_val(op), *k;
	const char *why, *key;

	if (strcmp(op->action, "create") == 0) {
		if (tsm_json_type(v) != TSM_JSON_OBJECT ||
		    tsm_json_get(v, "service") == NULL ||
		    tsm_json_get(v, "amount_fen") == NULL)
			return "invalid order: expected {\"customer\", "
			       "\"service\", \"amount_fen\", ...}";
		for (k = tsm_json_first(v); k; k = tsm_json_next(k)) {
			key = tsm_json_key(k);
			if (strcmp(key, "customer") == 0)
				continue;
			if ((why = order_field_reason(key, k)) != NULL)
				return why;
		}
		return NULL;
	}
	if (strcmp(op->action, "set") == 0)
		return order_field_reason(op->field, v);
	return "unknown action";
}

static const char SQL_ORDER_PUT[] =
    "INSERT OR REPLACE INTO orders(id, customer, origin, service, "
    "amount_fen, term_months, start, status, note, created_by, "
    "created_at, updated_at) VALUES (?1, coalesce((SELECT merged_into "
    "FROM customers WHERE id = ?2), ?2), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11)";
static const char SQL_ORDER_DEL[] = "DELETE FROM orders WHERE id = ?1";

int fold_order(fold_ctx *c, entity *e)
{
	const tsm_json *vals[NORDER];
	const cust_access *acc;
	size_t *entries = NULL, cix, n, w, i;
	sqlite3_stmt *st;
	oprec *cr;
	int64_t updated = 0;
	int err;

	if ((err = first_create(c, e, order_valid, &cix, &acc)) < 0)
		return err;
	if (cix == NONE) {
		if (e->fresh)
			return 0;
		if ((st = fc_stmt(c, SQL_ORDER_DEL)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
		return fc_done(c, st, "write order");
	}
	entries = malloc((e->n + 1) * sizeof(*entries));
	if (entries == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < NORDER; i++) {
		n = reg_entries(e, cix, order_fields[i], entries);
		if ((err = reg_lww(&w, c, e, entries, n, order_fields[i])) <
		    0) {
			free(entries);
			return err;
		}
		vals[i] =
		    w == NONE ? NULL : entry_value(&e->ops[w], order_fields[i]);
	}
	free(entries);
	for (i = 0; i < e->n; i++)
		if (e->ops[i].status != ST_REJECTED &&
		    op_ms(&e->ops[i]) > updated)
			updated = op_ms(&e->ops[i]);
	cr = &e->ops[cix];
	if ((st = fc_stmt(c, SQL_ORDER_PUT)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2,
			  tsm_json_string(tsm_json_get(op_val(cr), "customer")),
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tsm_json_string(vals[0]), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, int_or(vals[1], 0));
	if (!is_null(vals[2]))
		sqlite3_bind_int64(st, 5, int_or(vals[2], 0));
	bind_str(st, 6, tsm_json_string(vals[3]));
	bind_str(st, 7, tsm_json_string(vals[4]));
	bind_str(st, 8, tsm_json_string(vals[5]));
	sqlite3_bind_text(st, 9, cr->author, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, op_ms(cr));
	sqlite3_bind_int64(st, 11, updated);
	return fc_done(c, st, "write order");
}
