/* core/merge_customer.c — the customer fold: plain fields, stage, owner and
 * do-not-call registers, delete/restore/merge, calls, notes, feedback and
 * their amends, compliance violations; then the duplicate-phone groups and
 * the re-parenting of merged customers' rows to their survivors. */
#include "ops_internal.h"

#include "error.h"
#include "tsm/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static const char *const plain_fields[] = {
    "name",   "phone",	 "company", "industry",	  "region",   "size",
    "source", "address", "needs",   "salutation", "priority", "tags",
};
#define NPLAIN (sizeof(plain_fields) / sizeof(plain_fields[0]))

static int plain_index(const char *f)
{
	size_t i;

	for (i = 0; i < NPLAIN; i++)
		if (strcmp(plain_fields[i], f) == 0)
			return (int)i;
	return -1;
}

/* Fields an assistant may set on any customer. */
static int is_classify(const char *f)
{
	return strcmp(f, "industry") == 0 || strcmp(f, "region") == 0 ||
	       strcmp(f, "size") == 0 || strcmp(f, "source") == 0 ||
	       strcmp(f, "tags") == 0;
}

/* Pipeline stages in rank order: among concurrent heads the higher wins. */
static const char *const stages[] = {
    "new", "contacted", "interested", "negotiating", "lost", "won",
};
#define STAGE_LOST 4
#define STAGE_WON 5

static int stage_rank(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(stages[i], s) == 0)
			return (int)i;
	return -1;
}

/* Call outcomes and their flags (DESIGN §6). */
enum { F_CONN = 1, F_EFF = 2, F_INT = 4, F_SALE = 8, F_DNC = 16, F_REV = 32 };

static const struct {
	const char *name;
	unsigned flags;
} outcomes[] = {
    {"no-answer", 0},
    {"busy", 0},
    {"invalid-number", 0},
    {"gatekeeper", F_CONN},
    {"not-interested", F_CONN | F_EFF},
    {"callback", F_CONN | F_EFF},
    {"interested", F_CONN | F_EFF | F_INT},
    {"order", F_CONN | F_EFF | F_INT | F_SALE},
    {"dnc-request", F_CONN | F_DNC},
    {"revisit-done", F_CONN | F_REV},
};

static int outcome_flags(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (strcmp(outcomes[i].name, s) == 0)
			return (int)outcomes[i].flags;
	return -1;
}

static int is_null(const tsm_json *v)
{
	return tsm_json_type(v) == 0 || tsm_json_type(v) == TSM_JSON_NULL;
}

static int text_or_null(const tsm_json *v)
{
	return is_null(v) || tsm_json_type(v) == TSM_JSON_STRING;
}

/* An optional integer member in [min, max]. */
static int int_ok(const tsm_json *obj, const char *key, int64_t min,
		  int64_t max)
{
	const tsm_json *v = tsm_json_get(obj, key);
	int64_t x;

	if (is_null(v))
		return 1;
	return tsm_json_int(&x, v) == 0 && x >= min && x <= max;
}

static int owner_ok(const tsm_json *v)
{
	return is_null(v) || tsm_member_id_valid(tsm_json_string(v));
}

/* ---- validity of the values of appends ---- */

enum { K_CALL, K_NOTE, K_FEEDBACK, K_AMEND, K_NONE };

static int append_kind(const char *field)
{
	if (strcmp(field, "call") == 0)
		return K_CALL;
	if (strcmp(field, "note") == 0)
		return K_NOTE;
	if (strcmp(field, "feedback") == 0)
		return K_FEEDBACK;
	if (strcmp(field, "amend") == 0)
		return K_AMEND;
	return K_NONE;
}

#define MAX_MS 253402300800000LL /* year 10000 */

/* Why an append's value (or an amend of one, which may omit fields) is
 * invalid; NULL when fine. */
static const char *append_reason(int kind, const tsm_json *v, int amend)
{
	const tsm_json *x;

	if (tsm_json_type(v) != TSM_JSON_OBJECT)
		return "invalid value: expected an object";
	if (!int_ok(v, "at", 1, MAX_MS))
		return "invalid time";
	if (kind == K_CALL) {
		x = tsm_json_get(v, "outcome");
		if ((!amend || x) && outcome_flags(tsm_json_string(x)) < 0)
			return "unknown call outcome";
		if (!int_ok(v, "duration_s", 0, 10000000))
			return "invalid call duration";
		if (!text_or_null(tsm_json_get(v, "note")))
			return "invalid call note";
		return NULL;
	}
	x = tsm_json_get(v, "text");
	if ((!amend || x) && tsm_json_string(x) == NULL)
		return "invalid value: expected {\"text\"}";
	if (kind == K_FEEDBACK && !int_ok(v, "satisfaction", 1, 5))
		return "invalid satisfaction: expected 1 to 5";
	return NULL;
}

/* ---- authorization and validity of one op ---- */

const char *customer_create_reason(fold_ctx *c, oprec *op)
{
	const tsm_json *v = op_val(op), *k;
	const char *why, *key;
	int role;

	if ((why = authz_member(c, op, &role)) != NULL)
		return why;
	if (tsm_json_type(v) != TSM_JSON_OBJECT)
		return "invalid create: expected an object";
	for (k = tsm_json_first(v); k; k = tsm_json_next(k)) {
		key = tsm_json_key(k);
		if (plain_index(key) >= 0) {
			if (!text_or_null(k))
				return "invalid value for a customer field";
		} else if (strcmp(key, "stage") == 0) {
			if (stage_rank(tsm_json_string(k)) < 0)
				return "invalid stage";
		} else if (strcmp(key, "owner") == 0) {
			if (!owner_ok(k))
				return "invalid owner";
			if (role != ROLE_LEAD && role != ROLE_MANAGER)
				return "only a lead or manager may assign";
		} else if (strcmp(key, "dnc") == 0) {
			if (tsm_json_bool(k) < 0)
				return "invalid value: expected true or "
				       "false";
		} else {
			return "unknown customer field";
		}
	}
	return NULL;
}

static const char *op_reason(fold_ctx *c, const cust_access *acc, entity *e,
			     oprec *op)
{
	const tsm_json *v = op_val(op);
	const char *why, *into;
	int role, what = AZ_OTHER, b, kind;

	if ((why = authz_member(c, op, &role)) != NULL)
		return why;
	if (strcmp(op->action, "set") == 0) {
		if (plain_index(op->field) >= 0) {
			if (!text_or_null(v))
				return "invalid value for a customer field";
			if (is_classify(op->field))
				what = AZ_CLASSIFY;
		} else if (strcmp(op->field, "stage") == 0) {
			if (stage_rank(tsm_json_string(v)) < 0)
				return "invalid stage";
		} else if (strcmp(op->field, "owner") == 0) {
			if (!owner_ok(v))
				return "invalid owner";
			what = AZ_OWNER;
		} else if (strcmp(op->field, "dnc") == 0) {
			if ((b = tsm_json_bool(v)) < 0)
				return "invalid value: expected true or "
				       "false";
			what = b ? AZ_DNC_SET : AZ_DNC_CLEAR;
		} else {
			return "unknown customer field";
		}
	} else if (strcmp(op->action, "delete") == 0) {
		what = AZ_OTHER;
	} else if (strcmp(op->action, "restore") == 0) {
		what = AZ_RESTORE;
	} else if (strcmp(op->action, "merge") == 0) {
		into = tsm_json_string(tsm_json_get(v, "into"));
		if (into == NULL || *into == '\0' ||
		    strcmp(into, e->eid) == 0 || strlen(into) > 128)
			return "invalid merge: expected {\"into\": another "
			       "customer}";
		what = AZ_MERGE;
	} else if (strcmp(op->action, "append") == 0) {
		kind = append_kind(op->field);
		if (kind == K_NONE)
			return "unknown kind of append";
		if (kind == K_AMEND) {
			if (tsm_json_string(tsm_json_get(v, "amends")) == NULL)
				return "invalid amend: expected {\"amends\"}";
		} else if ((why = append_reason(kind, v, 0)) != NULL) {
			return why;
		}
	} else {
		return "unknown action";
	}
	return authz_customer(c, acc, op, what);
}

/* ---- the fold ---- */

struct app_row {
	oprec *op;
	int kind;
	const char *outcome;
	const char *text; /* call note, note or feedback text */
	int64_t duration;
	int64_t at;
	int64_t sat; /* 0: none */
	oprec *amended;
};

static int64_t get_int(const tsm_json *obj, const char *key, int64_t dflt)
{
	int64_t x;

	if (tsm_json_int(&x, tsm_json_get(obj, key)) < 0)
		return dflt;
	return x;
}

/* Applies an append's (or an amend's) values to row. */
static void row_take(struct app_row *r, const tsm_json *v)
{
	const tsm_json *x;

	if ((x = tsm_json_get(v, "outcome")) != NULL)
		r->outcome = tsm_json_string(x);
	if ((x = tsm_json_get(v, r->kind == K_CALL ? "note" : "text")) != NULL)
		r->text = tsm_json_string(x);
	r->duration = get_int(v, "duration_s", r->duration);
	r->at = get_int(v, "at", r->at);
	r->sat = get_int(v, "satisfaction", r->sat);
}

static const char SQL_OLD[] =
    "SELECT phone, merge_target FROM customers WHERE id = ?1";
static const char SQL_CUST_PUT[] =
    "INSERT OR REPLACE INTO customers(id, name, phone, company, industry, "
    "region, size, source, address, needs, salutation, priority, tags, "
    "stage, owner, dnc, dnc_flag, deleted, merge_target, merge_op, "
    "merged_into, created_by, created_at, updated_at, create_op) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?19, ?21, ?22, ?23, ?24)";
static const char SQL_CUST_DEL[] = "DELETE FROM customers WHERE id = ?1";
static const char SQL_CALLS_DEL[] = "DELETE FROM calls WHERE origin = ?1";
static const char SQL_NOTES_DEL[] = "DELETE FROM notes WHERE origin = ?1";
static const char SQL_FB_DEL[] = "DELETE FROM feedback WHERE origin = ?1";
static const char SQL_CALL_PUT[] =
    "INSERT INTO calls(origin, id, customer, author, at, outcome, "
    "duration_s, note, connected, effective, interested, sale, "
    "dnc_request, revisit, amended_by) VALUES (?1, ?2, ?1, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
static const char SQL_NOTE_PUT[] =
    "INSERT INTO notes(origin, id, customer, author, at, text, "
    "amended_by) VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6)";
static const char SQL_FB_PUT[] =
    "INSERT INTO feedback(origin, id, customer, author, at, text, "
    "satisfaction, amended_by) VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7)";

static int exec1(fold_ctx *c, const char *sql, const char *eid)
{
	sqlite3_stmt *st = fc_stmt(c, sql);

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC);
	return fc_done(c, st, "write customer");
}

static int put_row(fold_ctx *c, entity *e, const struct app_row *r)
{
	sqlite3_stmt *st;
	int f;

	if (r->kind == K_CALL) {
		f = outcome_flags(r->outcome);
		if ((st = fc_stmt(c, SQL_CALL_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 5, r->outcome, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, r->duration);
		bind_str(st, 7, r->text);
		sqlite3_bind_int(st, 8, (f & F_CONN) != 0);
		sqlite3_bind_int(st, 9, (f & F_EFF) != 0);
		sqlite3_bind_int(st, 10, (f & F_INT) != 0);
		sqlite3_bind_int(st, 11, (f & F_SALE) != 0);
		sqlite3_bind_int(st, 12, (f & F_DNC) != 0);
		sqlite3_bind_int(st, 13, (f & F_REV) != 0);
		bind_str(st, 14, r->amended ? r->amended->id : NULL);
	} else if (r->kind == K_NOTE) {
		if ((st = fc_stmt(c, SQL_NOTE_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 5, r->text, -1, SQLITE_STATIC);
		bind_str(st, 6, r->amended ? r->amended->id : NULL);
	} else {
		if ((st = fc_stmt(c, SQL_FB_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 5, r->text, -1, SQLITE_STATIC);
		if (r->sat)
			sqlite3_bind_int64(st, 6, r->sat);
		else
			sqlite3_bind_null(st, 6);
		bind_str(st, 7, r->amended ? r->amended->id : NULL);
	}
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->op->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->op->author, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->at);
	return fc_done(c, st, "write call");
}

/* Checks amends: each must name an accepted call, note or feedback of
 * this customer and carry values valid for it. */
static void check_amends(entity *e)
{
	const char *target;
	oprec *op, *t;
	size_t i, j;
	int kind;

	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (op->status != ST_ACCEPTED ||
		    strcmp(op->action, "append") != 0 ||
		    append_kind(op->field) != K_AMEND)
			continue;
		target = tsm_json_string(tsm_json_get(op_val(op), "amends"));
		for (j = 0, t = NULL; j < e->n && t == NULL; j++)
			if (strcmp(e->ops[j].id, target) == 0)
				t = &e->ops[j];
		kind = t ? append_kind(t->field) : K_NONE;
		if (t == NULL || t->status != ST_ACCEPTED ||
		    strcmp(t->action, "append") != 0 || kind == K_AMEND ||
		    kind == K_NONE) {
			op_reject(op, "amended op not found");
			continue;
		}
		if (append_reason(kind, op_val(op), 1) != NULL)
			op_reject(op, "invalid amend");
	}
}

/* Stage: a causally later op wins; among concurrent heads the higher
 * rank; won and lost both among the heads is queued. */
static int fold_stage(fold_ctx *c, entity *e, const size_t *entries, size_t n,
		      const char **out)
{
	size_t *heads, nh, i, win = NONE;
	int r, best = -1, won = 0, lost = 0, err = 0;

	*out = stages[0];
	if (n == 0)
		return 0;
	heads = malloc(n * sizeof(*heads));
	if (heads == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	nh = reg_heads(e, entries, n, heads);
	for (i = 0; i < nh; i++) {
		r = stage_rank(
		    tsm_json_string(entry_value(&e->ops[heads[i]], "stage")));
		won |= r == STAGE_WON;
		lost |= r == STAGE_LOST;
		if (r >= best) {
			best = r;
			win = heads[i];
		}
	}
	*out = stages[best];
	if (won && lost)
		err = reg_conflict(c, e, heads, nh, "stage");
	for (i = 0; i < n; i++)
		if (entries[i] != win &&
		    strcmp(e->ops[entries[i]].action, "create") != 0)
			e->ops[entries[i]].status = ST_SUPERSEDED;
	free(heads);
	return err;
}

/* Delete wins over concurrent edits: each delete not undone by a later
 * restore queues the edits concurrent with it. */
static int fold_lifecycle(fold_ctx *c, entity *e, int *deleted, size_t *merge)
{
	size_t i, j, k, n, *edits, *heads = NULL, nh = 0;
	oprec **ops = NULL;
	tsm_json *d, *arr;
	const char *into, *other;
	int err = 0;

	*deleted = 0;
	*merge = NONE;
	edits = malloc((e->n + 1) * sizeof(*edits));
	ops = malloc((e->n + 1) * sizeof(*ops));
	heads = malloc((e->n + 1) * sizeof(*heads));
	if (edits == NULL || ops == NULL || heads == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < e->n; i++) {
		oprec *op = &e->ops[i];
		int del = strcmp(op->action, "delete") == 0;

		if (op->status != ST_ACCEPTED ||
		    (!del && strcmp(op->action, "merge") != 0))
			continue;
		for (j = 0; j < e->n; j++)
			if (e->ops[j].status == ST_ACCEPTED &&
			    strcmp(e->ops[j].action, "restore") == 0 &&
			    ent_hb(e, i, j))
				break;
		if (j < e->n)
			continue; /* undone by a restore */
		if (!del) {
			heads[nh++] = i;
			continue;
		}
		*deleted = 1;
		for (j = 0, n = 0; j < e->n; j++)
			if (e->ops[j].status == ST_ACCEPTED &&
			    (strcmp(e->ops[j].action, "set") == 0 ||
			     strcmp(e->ops[j].action, "append") == 0) &&
			    ent_concurrent(e, i, j))
				edits[n++] = j;
		if (n == 0)
			continue;
		d = tsm_json_new_object();
		arr = tsm_json_new_array();
		if (d == NULL || arr == NULL ||
		    tsm_json_put_string(d, "delete", op->id) < 0 ||
		    tsm_json_put(d, "edits", arr) < 0) {
			tsm_json_free(d);
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		ops[0] = op;
		for (k = 0; k < n; k++) {
			ops[k + 1] = &e->ops[edits[k]];
			if ((err = tsm_json_put_string(
				 arr, NULL, e->ops[edits[k]].id)) < 0) {
				tsm_json_free(d);
				goto done;
			}
		}
		if ((err = review_emit(c, TSM_REVIEW_CONFLICT, e->etype, e->eid,
				       "deleted", d, ops, n + 1)) < 0)
			goto done;
	}
	/* Merges in effect: the last one wins; different targets queue. */
	if (nh) {
		*merge = heads[nh - 1];
		into = tsm_json_string(
		    tsm_json_get(op_val(&e->ops[*merge]), "into"));
		for (i = 0; i + 1 < nh; i++) {
			other = tsm_json_string(
			    tsm_json_get(op_val(&e->ops[heads[i]]), "into"));
			e->ops[heads[i]].status = ST_SUPERSEDED;
			if (strcmp(other, into) != 0 && err == 0)
				err = reg_conflict(c, e, heads, nh,
						   "merged_into");
		}
	}
done:
	free(edits);
	free(ops);
	free(heads);
	return err;
}

/* Queues a violation for each call made while do-not-call was in effect
 * at its clock, by the customer's flag or the phone list. */
static int fold_violations(fold_ctx *c, entity *e, const dnc_reg *flag,
			   const dnc_reg *list, struct app_row *rows,
			   size_t nrows)
{
	size_t *h1 = NULL, *h2 = NULL, n1 = 0, n2 = 0, i, k;
	oprec **ops = NULL;
	tsm_json *d, *arr;
	int err = 0, on;

	h1 = malloc((flag->n + 1) * sizeof(*h1));
	h2 = malloc(((list ? list->n : 0) + 1) * sizeof(*h2));
	ops = malloc((flag->n + (list ? list->n : 0) + 1) * sizeof(*ops));
	if (h1 == NULL || h2 == NULL || ops == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < nrows && err == 0; i++) {
		if (rows[i].kind != K_CALL)
			continue;
		on = dnc_value_at(flag, rows[i].op, h1, &n1);
		n2 = 0;
		if (list && list->n)
			on |= dnc_value_at(list, rows[i].op, h2, &n2);
		if (!on)
			continue;
		d = tsm_json_new_object();
		arr = tsm_json_new_array();
		if (d == NULL || arr == NULL ||
		    tsm_json_put_string(d, "call", rows[i].op->id) < 0 ||
		    tsm_json_put(d, "dnc", arr) < 0) {
			tsm_json_free(d);
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			break;
		}
		ops[0] = rows[i].op;
		for (k = 0; k < n1; k++)
			ops[1 + k] = &flag->e->ops[h1[k]];
		for (k = 0; k < n2; k++)
			ops[1 + n1 + k] = &list->e->ops[h2[k]];
		for (k = 1; k <= n1 + n2 && err == 0; k++)
			err = tsm_json_put_string(arr, NULL, ops[k]->id);
		if (err < 0) {
			tsm_json_free(d);
			break;
		}
		err = review_emit(c, TSM_REVIEW_VIOLATION, e->etype, e->eid,
				  "dnc", d, ops, 1 + n1 + n2);
	}
done:
	free(h1);
	free(h2);
	free(ops);
	return err;
}

/* Builds the rows of accepted calls, notes and feedback, amended. */
static size_t build_rows(entity *e, struct app_row *rows)
{
	const char *target;
	size_t i, j, n = 0;
	oprec *op;
	int kind;

	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (op->status != ST_ACCEPTED ||
		    strcmp(op->action, "append") != 0)
			continue;
		kind = append_kind(op->field);
		if (kind == K_AMEND) {
			target =
			    tsm_json_string(tsm_json_get(op_val(op), "amends"));
			for (j = 0; j < n; j++)
				if (strcmp(rows[j].op->id, target) == 0)
					break;
			if (j < n) {
				row_take(&rows[j], op_val(op));
				rows[j].amended = op;
			}
			continue;
		}
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].op = op;
		rows[n].kind = kind;
		rows[n].at = op_ms(op);
		row_take(&rows[n], op_val(op));
		n++;
	}
	return n;
}

int fold_customer(fold_ctx *c, entity *e)
{
	const char *fields[NPLAIN], *owner = NULL, *stage, *why, *old_phone;
	const char *target = NULL;
	struct app_row *rows = NULL;
	size_t *entries = NULL, cix, i, n, w, merge, nrows;
	cust_access acc;
	dnc_reg flag;
	const dnc_reg *list = NULL;
	sqlite3_stmt *st;
	char *oldp = NULL;
	int64_t updated = 0;
	int err, deleted, old_merged = 0, rc;

	if ((err = access_compute(c, e, &acc, &cix, &e->mem)) < 0 ||
	    (err = access_put(c, e->eid, &acc)) < 0)
		return err;
	for (i = 0; i < e->n; i++) {
		oprec *op = &e->ops[i];

		if (i == cix)
			continue;
		if (strcmp(op->action, "create") == 0) {
			why = customer_create_reason(c, op);
			op_reject(op,
				  why ? why : "the customer exists already");
			continue;
		}
		if ((why = op_reason(c, &acc, e, op)) != NULL)
			op_reject(op, why);
	}
	check_amends(e);
	entries = malloc((e->n + 1) * sizeof(*entries));
	rows = malloc((e->n + 1) * sizeof(*rows));
	if (entries == NULL || rows == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	/* Registers: plain fields and owner (last writer wins), stage, the
	 * do-not-call flag. */
	for (i = 0; i < NPLAIN; i++) {
		n = reg_entries(e, cix, plain_fields[i], entries);
		if ((err = reg_lww(&w, c, e, entries, n, plain_fields[i])) < 0)
			goto done;
		fields[i] = w == NONE ? NULL
				      : tsm_json_string(entry_value(
					    &e->ops[w], plain_fields[i]));
	}
	n = reg_entries(e, cix, "owner", entries);
	if ((err = reg_lww(&w, c, e, entries, n, "owner")) < 0)
		goto done;
	if (w != NONE)
		owner = tsm_json_string(entry_value(&e->ops[w], "owner"));
	n = reg_entries(e, cix, "stage", entries);
	if ((err = fold_stage(c, e, entries, n, &stage)) < 0)
		goto done;
	memset(&flag, 0, sizeof(flag));
	flag.e = e;
	flag.entries = arena_alloc(&e->mem, (e->n + 1) * sizeof(size_t));
	if (flag.entries == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	flag.n = reg_entries(e, cix, "dnc", flag.entries);
	flag.value = dnc_value_at(&flag, NULL, NULL, NULL);
	dnc_reg_statuses(&flag);
	/* The phone list counts only for a customer that exists: dnc list
	 * changes find the customers to recompute by their rows' phones. */
	if (cix != NONE && fields[1] &&
	    (err = dncreg_get(c, fields[1], &list)) < 0)
		goto done;
	if ((err = fold_lifecycle(c, e, &deleted, &merge)) < 0)
		goto done;
	if (merge != NONE)
		target = tsm_json_string(
		    tsm_json_get(op_val(&e->ops[merge]), "into"));
	nrows = build_rows(e, rows);
	if (cix != NONE &&
	    (err = fold_violations(c, e, &flag, list, rows, nrows)) < 0)
		goto done;
	for (i = 0; i < e->n; i++)
		if (e->ops[i].status != ST_REJECTED &&
		    op_ms(&e->ops[i]) > updated)
			updated = op_ms(&e->ops[i]);

	/* The rows: read what changes other groups first (a fresh customer
	 * has no rows yet). */
	if ((st = fc_stmt(c, SQL_OLD)) == NULL) {
		err = tsm_error_last()->code;
		goto done;
	}
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	rc = e->fresh ? SQLITE_DONE : sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		old_phone = (const char *)sqlite3_column_text(st, 0);
		oldp = old_phone ? strdup(old_phone) : NULL;
		old_merged = sqlite3_column_type(st, 1) != SQLITE_NULL;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = tsm_error_sqlite(c->db, rc, "read customer");
		goto done;
	}
	if ((err = fc_phone(c, oldp, 1)) < 0 ||
	    (err = fc_phone(c, fields[1], 0)) < 0)
		goto done;
	if (old_merged || target)
		c->merges_changed = 1;
	if (old_merged && (target == NULL || cix == NONE) &&
	    !strmap_slot(&c->unmerged, e->eid, NULL)) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if (cix == NONE) {
		err = e->fresh ? 0 : exec1(c, SQL_CUST_DEL, e->eid);
	} else {
		if ((st = fc_stmt(c, SQL_CUST_PUT)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
		for (i = 0; i < NPLAIN; i++)
			bind_str(st, 2 + (int)i, fields[i]);
		sqlite3_bind_text(st, 14, stage, -1, SQLITE_STATIC);
		bind_str(st, 15, owner);
		sqlite3_bind_int(st, 16, flag.value || (list && list->value));
		sqlite3_bind_int(st, 17, flag.value);
		sqlite3_bind_int(st, 18, deleted);
		bind_str(st, 19, target);
		bind_str(st, 20, merge != NONE ? e->ops[merge].id : NULL);
		sqlite3_bind_text(st, 21, acc.creator, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 22, op_ms(&e->ops[cix]));
		sqlite3_bind_int64(st, 23, updated);
		sqlite3_bind_text(st, 24, e->ops[cix].id, -1, SQLITE_STATIC);
		err = fc_done(c, st, "write customer");
	}
	if (err < 0)
		goto done;
	if (!e->fresh && ((err = exec1(c, SQL_CALLS_DEL, e->eid)) < 0 ||
			  (err = exec1(c, SQL_NOTES_DEL, e->eid)) < 0 ||
			  (err = exec1(c, SQL_FB_DEL, e->eid)) < 0))
		goto done;
	for (i = 0; i < nrows && err == 0; i++)
		err = put_row(c, e, &rows[i]);
done:
	free(entries);
	free(rows);
	free(oldp);
	return err;
}

/* ---- duplicate phones ---- */

static const char SQL_GROUP[] =
    "SELECT id, merged_into, merge_op, created_at, create_op "
    "FROM customers WHERE phone = ?1 AND deleted = 0 ORDER BY id";

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regroups one phone: two or more customers not deleted share it → a
 * duplicate item, resolved once at most one of them is not merged. */
static int regroup(fold_ctx *c, const char *phone, int old)
{
	sqlite3_stmt *st;
	tsm_json *d = NULL, *arr = NULL;
	char **ops = NULL, **tmp, *ids = NULL, *best = NULL, *p;
	size_t n = 0, cap = 0, live = 0, i, len = 1;
	int64_t at = 0;
	const char *s;
	int rc, err = 0;

	if ((st = fc_stmt(c, SQL_GROUP)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
	d = tsm_json_new_object();
	arr = tsm_json_new_array();
	if (d == NULL || arr == NULL ||
	    tsm_json_put_string(d, "phone", phone) < 0) {
		tsm_json_free(arr);
		arr = NULL;
		goto nomem;
	}
	if (tsm_json_put(d, "customers", arr) < 0) {
		arr = NULL;
		goto nomem;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (tsm_json_put_string(
			arr, NULL, (const char *)sqlite3_column_text(st, 0)) <
		    0)
			goto nomem;
		if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
			live++;
		} else if ((s = (const char *)sqlite3_column_text(st, 2)) &&
			   (best == NULL || strcmp(s, best) > 0)) {
			free(best);
			if ((best = strdup(s)) == NULL)
				goto nomem;
		}
		if (sqlite3_column_int64(st, 3) > at)
			at = sqlite3_column_int64(st, 3);
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			tmp = realloc(ops, cap * sizeof(*ops));
			if (tmp == NULL)
				goto nomem;
			ops = tmp;
		}
		if ((ops[n] = strdup(
			 (const char *)sqlite3_column_text(st, 4))) == NULL)
			goto nomem;
		len += strlen(ops[n++]) + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(c->db, rc, "read customers");
		goto done;
	}
	/* A group that only grew and is still small never had an item. */
	if ((n >= 2 || old) && (err = review_clear(c, "phone", phone)) < 0)
		goto done;
	if (n < 2)
		goto done;
	qsort(ops, n, sizeof(*ops), strp_cmp);
	if ((ids = malloc(len)) == NULL)
		goto nomem;
	for (i = 0, p = ids, *p = '\0'; i < n; i++)
		p += snprintf(p, len - (size_t)(p - ids), "%s%s", i ? " " : "",
			      ops[i]);
	err = review_put(c, TSM_REVIEW_DUPLICATE, "phone", phone, "phone", d,
			 ids, at, live <= 1 ? best : NULL);
	d = NULL;
	goto done;
nomem:
	sqlite3_reset(st);
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	tsm_json_free(d);
	for (i = 0; i < n; i++)
		free(ops[i]);
	free(ops);
	free(ids);
	free(best);
	return err;
}

int phones_regroup(fold_ctx *c)
{
	size_t i;
	int err = 0;

	for (i = 0; i < c->phones.cap && err == 0; i++)
		if (c->phones.keys[i])
			err = regroup(c, c->phones.keys[i],
				      c->phones.vals[i] != NULL);
	return err;
}

/* ---- re-parenting merged customers' rows ---- */

/* "+id": sorting the few merged rows beats the planner's choice of walking
 * every customer in id order to skip the sort (no ANALYZE statistics). */
static const char SQL_MERGED[] =
    "SELECT id, merge_target, merged_into, phone FROM customers "
    "WHERE merge_target IS NOT NULL ORDER BY +id";
static const char SQL_SET_MERGED[] =
    "UPDATE customers SET merged_into = ?2 WHERE id = ?1";
static const char *const sql_reparent[] = {
    "UPDATE calls SET customer = ?2 WHERE origin = ?1 AND customer <> ?2",
    "UPDATE notes SET customer = ?2 WHERE origin = ?1 AND customer <> ?2",
    "UPDATE feedback SET customer = ?2 WHERE origin = ?1 "
    "AND customer <> ?2",
    "UPDATE followups SET customer = ?2 WHERE origin = ?1 "
    "AND customer <> ?2",
    "UPDATE orders SET customer = ?2 WHERE origin = ?1 AND customer <> ?2",
};

static int reparent(fold_ctx *c, const char *origin, const char *to)
{
	sqlite3_stmt *st;
	size_t i;
	int err;

	for (i = 0; i < sizeof(sql_reparent) / sizeof(sql_reparent[0]); i++) {
		if ((st = fc_stmt(c, sql_reparent[i])) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
		if ((err = fc_done(c, st, "re-parent rows")) < 0)
			return err;
	}
	return 0;
}

struct merged {
	char *id;
	char *target;
	char *shown; /* merged_into as stored */
	char *phone;
};

/* The survivor of a merge chain from m: the first customer not merged,
 * or, when the chain runs in a cycle, the least id of the cycle. */
static const char *survivor(const strmap *ix, const struct merged *ms, size_t n,
			    size_t m)
{
	const char *cur = ms[m].target, *least;
	void *v;
	size_t steps = 0, k;

	(void)n;
	/* Walk n + 1 steps at most: past that we are inside a cycle. */
	while ((v = strmap_get(ix, cur)) != NULL && steps <= n) {
		cur = ms[(size_t)(uintptr_t)v - 1].target;
		steps++;
	}
	if (v == NULL)
		return cur;
	/* cur is on the cycle: find its least id. */
	least = cur;
	k = (size_t)(uintptr_t)strmap_get(ix, cur) - 1;
	for (steps = 0; steps <= n; steps++) {
		if (strcmp(ms[k].id, least) < 0)
			least = ms[k].id;
		v = strmap_get(ix, ms[k].target);
		k = (size_t)(uintptr_t)v - 1;
	}
	return least;
}

int survivors_fixup(fold_ctx *c)
{
	struct merged *ms = NULL, *tmp;
	sqlite3_stmt *st;
	strmap ix = {0};
	const char *s, *shown;
	size_t n = 0, cap = 0, i;
	void **slot;
	int rc, err = 0;

	/* Nothing to do unless a customer that is or was merged was folded:
	 * follow-ups and orders written meanwhile found their survivor in
	 * merged_into themselves. */
	if (!c->merges_changed)
		return 0;
	if ((st = fc_stmt(c, SQL_MERGED)) == NULL)
		return tsm_error_last()->code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(ms, cap * sizeof(*ms));
			if (tmp == NULL)
				goto nomem;
			ms = tmp;
		}
		memset(&ms[n], 0, sizeof(ms[n]));
		ms[n].id = arena_strdup(
		    &ix.mem, (const char *)sqlite3_column_text(st, 0));
		ms[n].target = arena_strdup(
		    &ix.mem, (const char *)sqlite3_column_text(st, 1));
		ms[n].shown = arena_strdup(
		    &ix.mem, (const char *)sqlite3_column_text(st, 2));
		ms[n].phone = arena_strdup(
		    &ix.mem, (const char *)sqlite3_column_text(st, 3));
		if (ms[n].id == NULL || ms[n].target == NULL)
			goto nomem;
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(c->db, rc, "read merges");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((slot = strmap_slot(&ix, ms[i].id, NULL)) == NULL)
			goto nomem;
		*slot = (void *)(uintptr_t)(i + 1);
	}
	/* Customers no longer merged take their rows back. */
	for (i = 0; i < c->unmerged.cap && err == 0; i++)
		if (c->unmerged.keys[i] &&
		    !strmap_has(&ix, c->unmerged.keys[i]))
			err = reparent(c, c->unmerged.keys[i],
				       c->unmerged.keys[i]);
	for (i = 0; i < n && err == 0; i++) {
		s = survivor(&ix, ms, n, i);
		shown = strcmp(s, ms[i].id) == 0 ? NULL : s;
		if ((shown == NULL) != (ms[i].shown == NULL) ||
		    (shown && strcmp(shown, ms[i].shown) != 0)) {
			if ((st = fc_stmt(c, SQL_SET_MERGED)) == NULL) {
				err = tsm_error_last()->code;
				break;
			}
			sqlite3_bind_text(st, 1, ms[i].id, -1, SQLITE_STATIC);
			bind_str(st, 2, shown);
			if ((err = fc_done(c, st, "write merge")) < 0 ||
			    (err = fc_phone(c, ms[i].phone, 1)) < 0)
				break;
		}
		err = reparent(c, ms[i].id, shown ? shown : ms[i].id);
	}
	goto done;
nomem:
	sqlite3_reset(st);
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	free(ms);
	strmap_free(&ix);
	return err;
}
