/* core/merge.c — the merge machinery shared by every entity: loading an
 * entity's ops with their causal order, registers (heads, last writer wins),
 * review items, statuses, the roster and authorization, do-not-call
 * registers, and the folds of review resolutions, the dnc list and team
 * data (scripts, policy, products, targets). */
#include "ops_internal.h"

#include "error.h"
#include "tsm/review.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

/* ---- loading entities ---- */

static const char SQL_ENTITY[] =
    "SELECT site, seq, hlc, author, etype, eid, action, field, value, "
    "supersedes, status, reason FROM ops WHERE etype = ?1 AND eid = ?2 "
    "ORDER BY hlc, site, seq";

static int status_parse(const char *s)
{
	if (s && strcmp(s, TSM_OP_REJECTED) == 0)
		return ST_REJECTED;
	if (s && strcmp(s, TSM_OP_SUPERSEDED) == 0)
		return ST_SUPERSEDED;
	return ST_ACCEPTED;
}

static const char *status_name(int st)
{
	return st == ST_REJECTED     ? TSM_OP_REJECTED
	       : st == ST_SUPERSEDED ? TSM_OP_SUPERSEDED
				     : TSM_OP_ACCEPTED;
}

static const char *text_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

/* Copies a row's strings into one arena block: author, etype and eid
 * (unless the entity's own), action, field, value, supersedes, reason. */
static int copy_cols(arena *m, sqlite3_stmt *st, oprec *op, const entity *e)
{
	static const int cols[] = {3, 4, 5, 6, 7, 8, 9, 11};
	const char *t[8];
	size_t len[8], total = 0, i;
	char *p;

	for (i = 0; i < 8; i++) {
		t[i] = (const char *)sqlite3_column_text(st, cols[i]);
		len[i] = t[i] ? (size_t)sqlite3_column_bytes(st, cols[i]) : 0;
		if ((i == 1 && e->etype) || (i == 2 && e->eid))
			t[i] = NULL;
		total += t[i] ? len[i] + 1 : 0;
	}
	if ((p = arena_alloc(m, total + 1)) == NULL)
		return -1;
	for (i = 0; i < 8; i++) {
		const char **dst[8] = {&op->author, &op->etype,	    &op->eid,
				       &op->action, &op->field,	    &op->value,
				       &op->sup,    &op->old_reason};

		if (t[i] == NULL) {
			*dst[i] = NULL;
			continue;
		}
		memcpy(p, t[i], len[i]);
		p[len[i]] = '\0';
		*dst[i] = p;
		p += len[i] + 1;
	}
	if (e->etype)
		op->etype = e->etype;
	if (e->eid)
		op->eid = e->eid;
	/* Non-null columns read as "" even when SQLite hands no text. */
	if (op->author == NULL)
		op->author = "";
	if (op->action == NULL)
		op->action = "";
	if (op->field == NULL)
		op->field = "";
	if (op->sup == NULL)
		op->sup = "";
	return 0;
}

/* Reads rows (the columns of SQL_ENTITY) into e->ops. */
static int ent_read(fold_ctx *c, entity *e, sqlite3_stmt *st)
{
	oprec *tmp, *op;
	arena *m = &e->mem;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (e->n == e->cap) {
			e->cap = e->cap ? e->cap * 2 : 16;
			tmp = realloc(e->ops, e->cap * sizeof(*e->ops));
			if (tmp == NULL)
				goto nomem;
			e->ops = tmp;
		}
		op = &e->ops[e->n];
		memset(op, 0, sizeof(*op));
		snprintf(op->site, sizeof(op->site), "%s", text_col(st, 0));
		op->seq = sqlite3_column_int64(st, 1);
		op->hlc = (uint64_t)sqlite3_column_int64(st, 2);
		snprintf(op->id, sizeof(op->id), "%s:%" PRId64, op->site,
			 op->seq);
		if (copy_cols(m, st, op, e) < 0)
			goto nomem;
		op->old_status = status_parse(text_col(st, 10));
		op->status = ST_ACCEPTED;
		op->is_new = opidset_has(&c->new_ids, op->site, op->seq);
		if (!op->author || !op->etype || !op->eid || !op->action ||
		    !op->field || !op->sup)
			goto nomem;
		e->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(c->db, rc, "read ops");
	return 0;
nomem:
	sqlite3_reset(st);
	return tsm_error_set(TSM_ENOMEM, "out of memory");
}

static int site_seq_cmp(const void *a, const void *b)
{
	const oprec *x = *(const oprec *const *)a;
	const oprec *y = *(const oprec *const *)b;
	int c = strcmp(x->site, y->site);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Depth-first: row i of anc gets every op reachable from i. An edge that
 * closes a cycle (only a broken or hostile writer makes one) is dropped;
 * the traversal order is the key order, so every replica drops the same. */
static void anc_visit(entity *e, size_t i, unsigned char *state, int depth)
{
	uint64_t *row = e->anc + i * e->words, *prow;
	size_t k, p, w;

	state[i] = 1;
	for (k = 0; k < e->ops[i].npar; k++) {
		p = e->ops[i].par[k];
		if (state[p] == 0 && depth < 10000)
			anc_visit(e, p, state, depth + 1);
		if (state[p] != 2)
			continue;
		prow = e->anc + p * e->words;
		for (w = 0; w < e->words; w++)
			row[w] |= prow[w];
		row[p / 64] |= (uint64_t)1 << (p % 64);
	}
	state[i] = 2;
}

/* Resolves supersedes into in-entity parents and computes the causal
 * order (the transitive closure) as bitsets. */
static int ent_order(entity *e)
{
	oprec **byid = NULL, key, *kp, **hit;
	unsigned char *state = NULL;
	const char *s, *sp;
	size_t i, k, cnt, len, w;
	int forward = 1, err = 0;
	int64_t seq;

	if (e->n == 0)
		return 0;
	e->words = (e->n + 63) / 64;
	e->anc = calloc(e->n * e->words, sizeof(*e->anc));
	byid = malloc(e->n * sizeof(*byid));
	if (e->anc == NULL || byid == NULL)
		goto nomem;
	for (i = 0; i < e->n; i++)
		byid[i] = &e->ops[i];
	qsort(byid, e->n, sizeof(*byid), site_seq_cmp);
	for (i = 0; i < e->n; i++) {
		oprec *op = &e->ops[i];

		for (cnt = 0, s = op->sup; *s; s++)
			cnt += *s == ' ';
		cnt += *op->sup != '\0';
		if (cnt == 0)
			continue;
		op->par = arena_alloc(&e->mem, cnt * sizeof(*op->par));
		if (op->par == NULL)
			goto nomem;
		for (s = op->sup; *s; s = sp ? sp + 1 : s + len) {
			sp = strchr(s, ' ');
			len = sp ? (size_t)(sp - s) : strlen(s);
			if (len < TSM_SITE_LEN + 2 || s[TSM_SITE_LEN] != ':')
				continue;
			memcpy(key.site, s, TSM_SITE_LEN);
			key.site[TSM_SITE_LEN] = '\0';
			for (seq = 0, k = TSM_SITE_LEN + 1; k < len; k++)
				seq = seq * 10 + (s[k] - '0');
			key.seq = seq;
			kp = &key;
			hit = bsearch(&kp, byid, e->n, sizeof(*byid),
				      site_seq_cmp);
			if (hit == NULL || *hit == op)
				continue;
			k = (size_t)(*hit - e->ops);
			op->par[op->npar++] = k;
			if (k >= i)
				forward = 0;
		}
	}
	if (forward) {
		/* The usual case: every op supersedes older ones. */
		for (i = 0; i < e->n; i++) {
			uint64_t *row = e->anc + i * e->words;

			for (k = 0; k < e->ops[i].npar; k++) {
				size_t p = e->ops[i].par[k];
				uint64_t *prow = e->anc + p * e->words;

				for (w = 0; w < e->words; w++)
					row[w] |= prow[w];
				row[p / 64] |= (uint64_t)1 << (p % 64);
			}
		}
	} else {
		state = calloc(e->n, 1);
		if (state == NULL)
			goto nomem;
		for (i = 0; i < e->n; i++)
			if (state[i] == 0)
				anc_visit(e, i, state, 0);
	}
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	free(byid);
	free(state);
	return err;
}

int ent_load(fold_ctx *c, entity *e, const char *etype, const char *eid)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_ENTITY);
	size_t i;
	int err;

	if (st == NULL)
		return tsm_error_last()->code;
	e->etype = arena_strdup(&e->mem, etype);
	e->eid = arena_strdup(&e->mem, eid);
	if (e->etype == NULL || e->eid == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	sqlite3_bind_text(st, 1, etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, eid, -1, SQLITE_STATIC);
	if ((err = ent_read(c, e, st)) < 0)
		return err;
	for (i = 0, e->fresh = 1; i < e->n && e->fresh; i++)
		e->fresh = e->ops[i].is_new;
	return ent_order(e);
}

static int opp_key_cmp(const void *a, const void *b)
{
	return op_cmp(*(const oprec *const *)a, *(const oprec *const *)b);
}

int ent_from_ops(entity *e, const char *etype, const char *eid,
		 const oprec *const *ops, size_t n)
{
	const oprec **v = malloc((n ? n : 1) * sizeof(*v));
	size_t i;

	e->etype = arena_strdup(&e->mem, etype);
	e->eid = arena_strdup(&e->mem, eid);
	e->ops = calloc(n ? n : 1, sizeof(*e->ops));
	if (v == NULL || e->etype == NULL || e->eid == NULL || e->ops == NULL) {
		free(v);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	memcpy(v, ops, n * sizeof(*v));
	qsort(v, n, sizeof(*v), opp_key_cmp);
	for (i = 0; i < n; i++) {
		oprec *op = &e->ops[i];

		/* The same fields a load reads back; the strings stay the
		 * caller's for the call. */
		memcpy(op->site, v[i]->site, sizeof(op->site));
		memcpy(op->id, v[i]->id, sizeof(op->id));
		op->hlc = v[i]->hlc;
		op->seq = v[i]->seq;
		op->author = v[i]->author;
		op->etype = e->etype;
		op->eid = e->eid;
		op->action = v[i]->action;
		op->field = v[i]->field ? v[i]->field : "";
		op->value = v[i]->value;
		op->sup = v[i]->sup ? v[i]->sup : "";
		op->is_new = 1;
		op->status = op->old_status = ST_ACCEPTED;
	}
	free(v);
	e->n = e->cap = n;
	e->fresh = 1;
	return ent_order(e);
}

void ent_free(entity *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		tsm_json_free(e->ops[i].val);
	free(e->ops);
	free(e->anc);
	arena_free(&e->mem);
	memset(e, 0, sizeof(*e));
}

/* ---- review items ---- */

static const char SQL_REVIEW_CLEAR[] =
    "DELETE FROM review WHERE etype = ?1 AND eid = ?2";
static const char SQL_REVIEW_RES[] =
    "SELECT op, choice FROM review_res WHERE id = ?1";
static const char SQL_ANY_RES[] = "SELECT 1 FROM review_res LIMIT 1";
static const char SQL_REVIEW_PUT[] =
    "INSERT OR REPLACE INTO review(id, kind, etype, eid, field, detail, "
    "ops, at, status, resolved_by, choice) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_STATUS[] =
    "UPDATE ops SET status = ?3, reason = ?4 WHERE etype = ?5 AND "
    "eid = ?6 AND hlc = ?7 AND site = ?1 AND seq = ?2";

int review_clear(fold_ctx *c, const char *etype, const char *eid)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_REVIEW_CLEAR);

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, eid, -1, SQLITE_STATIC);
	return fc_done(c, st, "clear review items");
}

int review_put(fold_ctx *c, const char *kind, const char *etype,
	       const char *eid, const char *field, tsm_json *detail,
	       const char *ids, int64_t at, const char *resolved_by)
{
	static const unsigned char zero = 0;
	crypto_generichash_state h;
	unsigned char digest[8];
	char id[TSM_REVIEW_ID_MAX], *text = NULL, *res_op = NULL;
	char *choice = NULL;
	sqlite3_stmt *st;
	int err, rc;

	if ((err = tsm_json_print(&text, detail)) < 0)
		goto done;
	/* The id: kind, entity, field and the ops involved, so that every
	 * replica derives the same item and a resolution finds it. */
	crypto_generichash_init(&h, NULL, 0, sizeof(digest));
	crypto_generichash_update(&h, (const unsigned char *)kind,
				  strlen(kind));
	crypto_generichash_update(&h, &zero, 1);
	crypto_generichash_update(&h, (const unsigned char *)etype,
				  strlen(etype));
	crypto_generichash_update(&h, &zero, 1);
	crypto_generichash_update(&h, (const unsigned char *)eid, strlen(eid));
	crypto_generichash_update(&h, &zero, 1);
	crypto_generichash_update(&h, (const unsigned char *)field,
				  strlen(field));
	crypto_generichash_update(&h, &zero, 1);
	crypto_generichash_update(&h, (const unsigned char *)ids, strlen(ids));
	crypto_generichash_final(&h, digest, sizeof(digest));
	id[0] = 'r';
	sodium_bin2hex(id + 1, sizeof(id) - 1, digest, sizeof(digest));
	if (!c->res_known) {
		/* Most stores hold few resolutions: skip the lookups
		 * when there are none. */
		if ((st = fc_stmt(c, SQL_ANY_RES)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		c->has_res = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		c->res_known = 1;
	}
	if (c->has_res) {
		if ((st = fc_stmt(c, SQL_REVIEW_RES)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			res_op = strdup(text_col(st, 0));
			choice = strdup(text_col(st, 1));
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			err = tsm_error_sqlite(c->db, rc, "read resolution");
			goto done;
		}
	}
	if (res_op == NULL && resolved_by) {
		res_op = strdup(resolved_by);
		choice = strdup("merged");
	}
	if ((st = fc_stmt(c, SQL_REVIEW_PUT)) == NULL) {
		err = tsm_error_last()->code;
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ids, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, at);
	sqlite3_bind_text(st, 9, res_op ? "resolved" : "open", -1,
			  SQLITE_STATIC);
	bind_str(st, 10, res_op);
	bind_str(st, 11, choice);
	err = fc_done(c, st, "write review item");
done:
	tsm_json_free(detail);
	free(text);
	free(res_op);
	free(choice);
	return err;
}

static int opp_cmp(const void *a, const void *b)
{
	return op_cmp(*(oprec *const *)a, *(oprec *const *)b);
}

int review_emit(fold_ctx *c, const char *kind, const char *etype,
		const char *eid, const char *field, tsm_json *detail,
		oprec *const *ops, size_t nops)
{
	oprec **sorted = malloc((nops ? nops : 1) * sizeof(*sorted));
	char *ids = malloc(nops * TSM_OPID_MAX + 1), *p;
	int64_t at = 0;
	size_t i;
	int err;

	if (sorted == NULL || ids == NULL || detail == NULL) {
		tsm_json_free(detail);
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(sorted, ops, nops * sizeof(*sorted));
	qsort(sorted, nops, sizeof(*sorted), opp_cmp);
	for (i = 0, p = ids, *p = '\0'; i < nops; i++) {
		p += snprintf(p, TSM_OPID_MAX + 1, "%s%s", i ? " " : "",
			      sorted[i]->id);
		if (op_ms(sorted[i]) > at)
			at = op_ms(sorted[i]);
	}
	err = review_put(c, kind, etype, eid, field, detail, ids, at, NULL);
done:
	free(sorted);
	free(ids);
	return err;
}

int ent_finish(fold_ctx *c, entity *e)
{
	sqlite3_stmt *st;
	tsm_json *d;
	oprec *op;
	size_t i;
	int err;

	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (op->status != ST_REJECTED)
			op->reason = NULL;
		if (op->status != op->old_status ||
		    (op->reason == NULL) != (op->old_reason == NULL) ||
		    (op->reason && strcmp(op->reason, op->old_reason) != 0)) {
			if ((st = fc_stmt(c, SQL_STATUS)) == NULL)
				return tsm_error_last()->code;
			sqlite3_bind_text(st, 1, op->site, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, op->seq);
			sqlite3_bind_text(st, 3, status_name(op->status), -1,
					  SQLITE_STATIC);
			bind_str(st, 4, op->reason);
			sqlite3_bind_text(st, 5, op->etype, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 6, op->eid, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 7, (sqlite3_int64)op->hlc);
			if ((err = fc_done(c, st, "write op status")) < 0)
				return err;
		}
		if (op->status != ST_REJECTED)
			continue;
		if (op->is_new && c->new_rejected++ == 0) {
			snprintf(c->first_reject, sizeof(c->first_reject), "%s",
				 op->reason);
		}
		d = tsm_json_new_object();
		if (d == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		if ((err = tsm_json_put_string(d, "op", op->id)) < 0 ||
		    (err = tsm_json_put_string(d, "author", op->author)) < 0 ||
		    (err = tsm_json_put_string(d, "action", op->action)) < 0 ||
		    (err = tsm_json_put_string(d, "field", op->field)) < 0 ||
		    (err = tsm_json_put_string(d, "reason", op->reason)) < 0) {
			tsm_json_free(d);
			return err;
		}
		if ((err = review_emit(c, TSM_REVIEW_REJECTED, op->etype,
				       op->eid, op->field, d, &op, 1)) < 0)
			return err;
	}
	return 0;
}

/* ---- registers ---- */

size_t reg_heads(const entity *e, const size_t *entries, size_t n,
		 size_t *heads)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (j != i && ent_hb(e, entries[i], entries[j]))
				break;
		if (j == n)
			heads[k++] = entries[i];
	}
	return k;
}

const tsm_json *entry_value(oprec *op, const char *field)
{
	if (strcmp(op->action, "create") == 0)
		return tsm_json_get(op_val(op), field);
	return op_val(op);
}

/* Indexes of accepted ops that write register field (sets of it and the
 * create when its value names it). */
size_t reg_entries(entity *e, size_t cix, const char *field, size_t *out)
{
	size_t i, n = 0;
	oprec *op;

	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (op->status != ST_ACCEPTED)
			continue;
		if (i == cix ? tsm_json_get(op_val(op), field) != NULL
			     : strcmp(op->action, "set") == 0 &&
				   strcmp(op->field, field) == 0)
			out[n++] = i;
	}
	return n;
}

/* Equal as values; a missing value is JSON null. */
static int value_eq(const tsm_json *a, const tsm_json *b)
{
	if (tsm_json_type(a) == 0 || tsm_json_type(a) == TSM_JSON_NULL)
		return tsm_json_type(b) == 0 ||
		       tsm_json_type(b) == TSM_JSON_NULL;
	return tsm_json_equal(a, b);
}

/* {"sides":[{"op":id,"value":v},...]} over the given entries. */
static tsm_json *sides_detail(entity *e, const size_t *ix, size_t n,
			      const char *field)
{
	tsm_json *d = tsm_json_new_object(), *arr = tsm_json_new_array(), *s;
	const tsm_json *v;
	size_t i;

	if (d == NULL || arr == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		s = tsm_json_new_object();
		if (s == NULL || tsm_json_put(arr, NULL, s) < 0)
			goto fail;
		v = entry_value(&e->ops[ix[i]], field);
		if (tsm_json_put_string(s, "op", e->ops[ix[i]].id) < 0 ||
		    tsm_json_put(s, "value",
				 v ? tsm_json_dup(v) : tsm_json_new_null()) < 0)
			goto fail;
	}
	if (tsm_json_put(d, "sides", arr) < 0) {
		arr = NULL;
		goto fail;
	}
	return d;
fail:
	tsm_json_free(arr);
	tsm_json_free(d);
	return NULL;
}

int reg_conflict(fold_ctx *c, entity *e, const size_t *ix, size_t n,
		 const char *field)
{
	oprec *ops[64];
	size_t i;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		ops[i] = &e->ops[ix[i]];
	return review_emit(c, TSM_REVIEW_CONFLICT, e->etype, e->eid, field,
			   sides_detail(e, ix, n, field), ops, n);
}

int reg_lww(size_t *win, fold_ctx *c, entity *e, const size_t *entries,
	    size_t n, const char *field)
{
	size_t *heads, nh, i, w;
	int err = 0;

	*win = NONE;
	if (n == 0)
		return 0;
	heads = malloc(n * sizeof(*heads));
	if (heads == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	nh = reg_heads(e, entries, n, heads);
	w = heads[nh - 1];
	for (i = 0; i + 1 < nh; i++)
		if (!value_eq(entry_value(&e->ops[heads[i]], field),
			      entry_value(&e->ops[w], field)))
			break;
	if (i + 1 < nh)
		err = reg_conflict(c, e, heads, nh, field);
	for (i = 0; i < n; i++)
		if (entries[i] != w &&
		    strcmp(e->ops[entries[i]].action, "create") != 0)
			e->ops[entries[i]].status = ST_SUPERSEDED;
	free(heads);
	*win = w;
	return err;
}

/* ---- the roster ---- */

static const char *const role_names[] = {
    NULL, "agent", "lead", "manager", "assistant", "auditor",
};

int role_parse(const char *s)
{
	int i;

	for (i = ROLE_AGENT; s && i <= ROLE_AUDITOR; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return ROLE_NONE;
}

const char *role_name(int role)
{
	return role >= ROLE_AGENT && role <= ROLE_AUDITOR ? role_names[role]
							  : "none";
}

static const char SQL_ROSTER[] =
    "SELECT site, seq, hlc, author, etype, eid, action, field, value, "
    "supersedes, status, reason FROM ops "
    "WHERE etype IN ('member', 'team') ORDER BY hlc, site, seq";

static int rm_cmp(const void *a, const void *b)
{
	return strcmp(((const roster_member *)a)->id,
		      ((const roster_member *)b)->id);
}

static roster_member *roster_find(const roster *r, const char *member)
{
	roster_member key;

	key.id = (char *)member;
	if (r->n == 0)
		return NULL;
	return bsearch(&key, r->m, r->n, sizeof(*r->m), rm_cmp);
}

/* Linear while building (unsorted). */
static roster_member *roster_add(roster *r, const char *member)
{
	roster_member *tmp;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->m[i].id, member) == 0)
			return &r->m[i];
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		tmp = realloc(r->m, r->cap * sizeof(*r->m));
		if (tmp == NULL)
			return NULL;
		r->m = tmp;
	}
	memset(&r->m[r->n], 0, sizeof(r->m[r->n]));
	r->m[r->n].id = arena_strdup(&r->log.mem, member);
	if (r->m[r->n].id == NULL)
		return NULL;
	return &r->m[r->n++];
}

static int ev_before(const role_event *ev, const oprec *op)
{
	if (ev->hlc != op->hlc)
		return ev->hlc < op->hlc;
	if (strcmp(ev->site, op->site) != 0)
		return strcmp(ev->site, op->site) < 0;
	return ev->seq < op->seq;
}

static int member_role_at(const roster_member *m, const oprec *op)
{
	size_t i;

	for (i = m->n; i > 0; i--)
		if (ev_before(&m->ev[i - 1], op))
			return m->ev[i - 1].role;
	return ROLE_NONE;
}

int roster_role_at(const roster *r, const char *member, const oprec *op)
{
	const roster_member *m = roster_find(r, member);

	return m ? member_role_at(m, op) : ROLE_NONE;
}

static int roster_event(roster *r, roster_member *m, size_t ix, int role)
{
	role_event *tmp, *ev;
	const oprec *op = &r->log.ops[ix];

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4;
		tmp = realloc(m->ev, m->cap * sizeof(*m->ev));
		if (tmp == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		m->ev = tmp;
	}
	ev = &m->ev[m->n++];
	ev->hlc = op->hlc;
	memcpy(ev->site, op->site, sizeof(ev->site));
	ev->seq = op->seq;
	ev->role = role;
	ev->ix = ix;
	return 0;
}

/* Why a team create is not the team (NULL: it may be). */
static const char *team_create_reason(oprec *op)
{
	const tsm_json *v = op_val(op);
	const char *name = tsm_json_string(tsm_json_get(v, "name"));
	const char *founder = tsm_json_string(tsm_json_get(v, "founder"));

	if (name == NULL || *name == '\0' || founder == NULL)
		return "invalid team: expected {\"name\", \"founder\"}";
	if (strcmp(founder, op->author) != 0)
		return "the founder must create the team";
	return NULL;
}

/* The roster is decided in clock order: a grant or revoke counts if its
 * author is the founder or a manager after every earlier accepted one. */
int roster_load(fold_ctx *c, roster *r, int skip_new)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_ROSTER);
	roster_member *m, *am;
	const char *why, *role;
	oprec *op;
	size_t i, k;
	int err, rl, arole;

	r->team_ix = NONE;
	if (st == NULL)
		return tsm_error_last()->code;
	if ((err = ent_read(c, &r->log, st)) < 0)
		return err;
	if (skip_new) {
		/* The roster as it was before this call's ops. */
		for (i = 0, k = 0; i < r->log.n; i++)
			if (!r->log.ops[i].is_new)
				r->log.ops[k++] = r->log.ops[i];
		r->log.n = k;
	}
	for (i = 0; i < r->log.n; i++) {
		op = &r->log.ops[i];
		if (strcmp(op->etype, "team") != 0 ||
		    strcmp(op->action, "create") != 0)
			continue;
		if ((why = team_create_reason(op)) != NULL)
			op_reject(op, why);
		else if (r->team_ix != NONE)
			op_reject(op, "a team exists already");
		else
			r->team_ix = i;
	}
	if (r->team_ix != NONE)
		r->founder = r->log.ops[r->team_ix].author;
	for (i = 0; i < r->log.n; i++) {
		op = &r->log.ops[i];
		if (i == r->team_ix || op->status == ST_REJECTED)
			continue;
		if (r->team_ix == NONE) {
			op_reject(op, "no team founded");
			continue;
		}
		am = NULL;
		for (rl = 0; rl < (int)r->n; rl++)
			if (strcmp(r->m[rl].id, op->author) == 0)
				am = &r->m[rl];
		arole = am && am->n ? am->ev[am->n - 1].role : ROLE_NONE;
		if (strcmp(op->author, r->founder) != 0 &&
		    arole != ROLE_MANAGER) {
			op_reject(op, strcmp(op->etype, "team") == 0
					  ? "only a manager may rename "
					    "the team"
					  : "only a manager may grant or "
					    "revoke roles");
			continue;
		}
		if (strcmp(op->etype, "team") == 0) {
			if (strcmp(op->action, "set") != 0 ||
			    strcmp(op->field, "name") != 0 ||
			    tsm_json_string(op_val(op)) == NULL)
				op_reject(op, "invalid team change");
			else if (strcmp(op->eid, r->log.ops[r->team_ix].eid) !=
				 0)
				op_reject(op, "no such team");
			continue;
		}
		if (!tsm_member_id_valid(op->eid)) {
			op_reject(op, "invalid member id");
			continue;
		}
		if (strcmp(op->action, "grant") == 0) {
			role =
			    tsm_json_string(tsm_json_get(op_val(op), "role"));
			rl = role_parse(role);
			if (rl == ROLE_NONE) {
				op_reject(op, "invalid role");
				continue;
			}
		} else if (strcmp(op->action, "revoke") == 0) {
			if (strcmp(op->eid, r->founder) == 0) {
				op_reject(op, "the founder cannot be revoked");
				continue;
			}
			rl = ROLE_NONE;
		} else {
			op_reject(op, "unknown action");
			continue;
		}
		if ((m = roster_add(r, op->eid)) == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		if ((err = roster_event(r, m, i, rl)) < 0)
			return err;
	}
	if (r->n)
		qsort(r->m, r->n, sizeof(*r->m), rm_cmp);
	return 0;
}

/* Nonzero if member m's role timeline differs between a and b. */
static int timeline_differs(const roster_member *a, const roster_member *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return (a ? a->n : 0) != (b ? b->n : 0);
	if (a->n != b->n)
		return 1;
	for (i = 0; i < a->n; i++)
		if (a->ev[i].role != b->ev[i].role ||
		    a->ev[i].hlc != b->ev[i].hlc ||
		    a->ev[i].seq != b->ev[i].seq ||
		    strcmp(a->ev[i].site, b->ev[i].site) != 0)
			return 1;
	return 0;
}

int roster_changes(fold_ctx *c, const roster *old, int *all,
		   int (*each)(fold_ctx *c, const char *member))
{
	const roster *r = &c->roster;
	const char *tnew, *told;
	size_t i;
	int err;

	*all = 0;
	tnew = r->team_ix == NONE ? NULL : r->log.ops[r->team_ix].id;
	told = old->team_ix == NONE ? NULL : old->log.ops[old->team_ix].id;
	if ((tnew == NULL) != (told == NULL) ||
	    (tnew && strcmp(tnew, told) != 0)) {
		*all = 1; /* a new root of trust */
		return 0;
	}
	for (i = 0; i < r->n; i++)
		if (timeline_differs(&r->m[i], roster_find(old, r->m[i].id)) &&
		    (err = each(c, r->m[i].id)) < 0)
			return err;
	for (i = 0; i < old->n; i++)
		if (roster_find(r, old->m[i].id) == NULL &&
		    (err = each(c, old->m[i].id)) < 0)
			return err;
	return 0;
}

void roster_free(roster *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->m[i].ev);
	free(r->m);
	ent_free(&r->log);
	memset(r, 0, sizeof(*r));
	r->team_ix = NONE;
}

static const char SQL_TEAM_DEL[] = "DELETE FROM team";
static const char SQL_MEMBERS_DEL[] = "DELETE FROM members";
static const char SQL_ROSTER_REVIEW_DEL[] =
    "DELETE FROM review WHERE etype IN ('member', 'team')";
static const char SQL_TEAM_PUT[] =
    "INSERT INTO team(id, name, founder, created_at, op) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_MEMBER_PUT[] =
    "INSERT INTO members(id, name, role, active, info, granted_by, "
    "updated_at, op) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static int exec_cached(fold_ctx *c, const char *sql)
{
	sqlite3_stmt *st = fc_stmt(c, sql);

	return st ? fc_done(c, st, "write roster") : tsm_error_last()->code;
}

int roster_write(fold_ctx *c)
{
	roster *r = &c->roster;
	const char *name;
	sqlite3_stmt *st;
	oprec *team, *op, *grant;
	size_t i, k;
	int err, role;

	if ((err = exec_cached(c, SQL_TEAM_DEL)) < 0 ||
	    (err = exec_cached(c, SQL_MEMBERS_DEL)) < 0 ||
	    (err = exec_cached(c, SQL_ROSTER_REVIEW_DEL)) < 0)
		return err;
	if (r->team_ix != NONE) {
		team = &r->log.ops[r->team_ix];
		name = tsm_json_string(tsm_json_get(op_val(team), "name"));
		for (i = r->team_ix + 1; i < r->log.n; i++) {
			op = &r->log.ops[i];
			if (strcmp(op->etype, "team") == 0 &&
			    op->status == ST_ACCEPTED &&
			    strcmp(op->action, "set") == 0)
				name = tsm_json_string(op_val(op));
		}
		if ((st = fc_stmt(c, SQL_TEAM_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, team->eid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->founder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, op_ms(team));
		sqlite3_bind_text(st, 5, team->id, -1, SQLITE_STATIC);
		if ((err = fc_done(c, st, "write team")) < 0)
			return err;
	}
	for (i = 0; i < r->n; i++) {
		roster_member *m = &r->m[i];
		role_event *last = &m->ev[m->n - 1];

		op = &r->log.ops[last->ix];
		grant = NULL;
		for (k = m->n; k > 0 && grant == NULL; k--)
			if (m->ev[k - 1].role != ROLE_NONE)
				grant = &r->log.ops[m->ev[k - 1].ix];
		role = grant ? role_parse(tsm_json_string(
				   tsm_json_get(op_val(grant), "role")))
			     : ROLE_NONE;
		if ((st = fc_stmt(c, SQL_MEMBER_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		bind_str(
		    st, 2,
		    grant ? tsm_json_string(tsm_json_get(op_val(grant), "name"))
			  : NULL);
		sqlite3_bind_text(st, 3, role_name(role), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, last->role != ROLE_NONE);
		bind_str(st, 5, grant ? grant->value : NULL);
		sqlite3_bind_text(st, 6, op->author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, op_ms(op));
		sqlite3_bind_text(st, 8, op->id, -1, SQLITE_STATIC);
		if ((err = fc_done(c, st, "write member")) < 0)
			return err;
	}
	return ent_finish(c, &r->log);
}

/* ---- authorization ---- */

const char *authz_member(const fold_ctx *c, const oprec *op, int *role)
{
	*role = roster_role_at(&c->roster, op->author, op);
	if (*role == ROLE_NONE)
		return "not a team member";
	if (*role == ROLE_AUDITOR)
		return "auditors are read-only";
	return NULL;
}

static const char *owner_at(const cust_access *a, const oprec *op)
{
	size_t i;
	role_event ev;

	for (i = a->n; i > 0; i--) {
		ev.hlc = a->ev[i - 1].hlc;
		memcpy(ev.site, a->ev[i - 1].site, sizeof(ev.site));
		ev.seq = a->ev[i - 1].seq;
		if (ev_before(&ev, op))
			return a->ev[i - 1].owner;
	}
	return NULL;
}

const char *authz_customer(const fold_ctx *c, const cust_access *a,
			   const oprec *op, int what)
{
	const char *why, *owner;
	int role, creator;

	if ((why = authz_member(c, op, &role)) != NULL)
		return why;
	creator = a->creator && strcmp(a->creator, op->author) == 0;
	switch (what) {
	case AZ_OWNER:
		return role == ROLE_LEAD || role == ROLE_MANAGER
			   ? NULL
			   : "only a lead or manager may assign";
	case AZ_DNC_CLEAR:
		return role == ROLE_MANAGER
			   ? NULL
			   : "only a manager may clear do-not-call";
	case AZ_MERGE:
		return role == ROLE_MANAGER
			   ? NULL
			   : "only a manager may merge customers";
	case AZ_DNC_SET:
	case AZ_CREATE:
		return NULL;
	case AZ_RESTORE:
		return role == ROLE_LEAD || role == ROLE_MANAGER || creator
			   ? NULL
			   : "only a lead, a manager or the creator may "
			     "restore";
	default:
		break;
	}
	if (role == ROLE_LEAD || role == ROLE_MANAGER)
		return NULL;
	if (role == ROLE_ASSISTANT)
		return what == AZ_CLASSIFY || creator
			   ? NULL
			   : "an assistant may only classify customers "
			     "they did not create";
	owner = owner_at(a, op);
	if (creator || (owner && strcmp(owner, op->author) == 0))
		return NULL;
	return "the agent neither created nor owns this customer";
}

/* A valid owner value: a member id or null. */
static int owner_value_ok(const tsm_json *v)
{
	return tsm_json_type(v) == 0 || tsm_json_type(v) == TSM_JSON_NULL ||
	       tsm_member_id_valid(tsm_json_string(v));
}

static int access_event(cust_access *a, const oprec *op, const tsm_json *v,
			arena *mem, size_t *cap)
{
	owner_event *tmp;
	const char *s = tsm_json_string(v);

	if (a->n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		tmp = arena_alloc(mem, *cap * sizeof(*tmp));
		if (tmp == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		if (a->n)
			memcpy(tmp, a->ev, a->n * sizeof(*tmp));
		a->ev = tmp;
	}
	a->ev[a->n].hlc = op->hlc;
	memcpy(a->ev[a->n].site, op->site, sizeof(a->ev[a->n].site));
	a->ev[a->n].seq = op->seq;
	a->ev[a->n].owner = s ? arena_strdup(mem, s) : NULL;
	if (s && a->ev[a->n].owner == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	a->n++;
	return 0;
}

int access_compute(fold_ctx *c, entity *e, cust_access *out, size_t *create_ix,
		   arena *mem)
{
	const tsm_json *v;
	size_t i, cap = 0;
	oprec *op;
	int err, role;

	memset(out, 0, sizeof(*out));
	*create_ix = NONE;
	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if (strcmp(op->action, "create") == 0) {
			if (*create_ix != NONE ||
			    customer_create_reason(c, op) != NULL)
				continue;
			*create_ix = i;
			out->creator = arena_strdup(mem, op->author);
			if (out->creator == NULL)
				return tsm_error_set(TSM_ENOMEM,
						     "out of memory");
			v = tsm_json_get(op_val(op), "owner");
			if (v &&
			    (err = access_event(out, op, v, mem, &cap)) < 0)
				return err;
			continue;
		}
		if (strcmp(op->action, "set") != 0 ||
		    strcmp(op->field, "owner") != 0)
			continue;
		if (authz_member(c, op, &role) != NULL ||
		    (role != ROLE_LEAD && role != ROLE_MANAGER) ||
		    !owner_value_ok(op_val(op)))
			continue;
		if ((err = access_event(out, op, op_val(op), mem, &cap)) < 0)
			return err;
	}
	return 0;
}

static const char SQL_ACCESS[] =
    "SELECT site, seq, hlc, author, etype, eid, action, field, value, "
    "supersedes, status, reason FROM ops "
    "WHERE etype = 'customer' AND eid = ?1 "
    "AND (action = 'create' OR (action = 'set' AND field = 'owner')) "
    "ORDER BY hlc, site, seq";

int access_get(fold_ctx *c, const char *cid, const cust_access **out)
{
	cust_access *a;
	sqlite3_stmt *st;
	entity e;
	void **slot;
	size_t ix;
	int err, fresh;

	*out = NULL;
	slot = strmap_slot(&c->access, cid, &fresh);
	if (slot == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (!fresh) {
		*out = *slot;
		return 0;
	}
	a = arena_alloc(&c->mem, sizeof(*a));
	if (a == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	memset(&e, 0, sizeof(e));
	if ((st = fc_stmt(c, SQL_ACCESS)) == NULL) {
		err = tsm_error_last()->code;
		goto done;
	}
	sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
	if ((err = ent_read(c, &e, st)) < 0 ||
	    (err = access_compute(c, &e, a, &ix, &c->mem)) < 0)
		goto done;
	*slot = a;
	*out = a;
done:
	ent_free(&e);
	return err;
}

int access_put(fold_ctx *c, const char *cid, const cust_access *a)
{
	cust_access *copy;
	void **slot;
	size_t i;

	slot = strmap_slot(&c->access, cid, NULL);
	copy = arena_alloc(&c->mem, sizeof(*copy));
	if (slot == NULL || copy == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	copy->creator = arena_strdup(&c->mem, a->creator);
	copy->n = a->n;
	copy->ev = arena_alloc(&c->mem, (a->n + 1) * sizeof(*copy->ev));
	if ((a->creator && copy->creator == NULL) || copy->ev == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < a->n; i++) {
		copy->ev[i] = a->ev[i];
		copy->ev[i].owner = arena_strdup(&c->mem, a->ev[i].owner);
		if (a->ev[i].owner && copy->ev[i].owner == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	*slot = copy;
	return 0;
}

/* ---- do-not-call registers ---- */

int dnc_value_at(const dnc_reg *reg, const oprec *op, size_t *heads,
		 size_t *nheads)
{
	entity *e = reg->e;
	size_t i, j, k = 0;
	int value = 0;

	for (i = 0; i < reg->n; i++) {
		oprec *x = &e->ops[reg->entries[i]];

		if (op && op_cmp(x, op) >= 0)
			continue;
		for (j = 0; j < reg->n; j++) {
			oprec *y = &e->ops[reg->entries[j]];

			if (j != i && (op == NULL || op_cmp(y, op) < 0) &&
			    ent_hb(e, reg->entries[i], reg->entries[j]))
				break;
		}
		if (j < reg->n)
			continue; /* not a head */
		if (tsm_json_bool(entry_value(x, "dnc")) == 1) {
			value = 1;
			if (heads)
				heads[k] = reg->entries[i];
			k++;
		}
	}
	if (nheads)
		*nheads = k;
	return value;
}

int dnc_reg_build(fold_ctx *c, entity *e, dnc_reg *reg, arena *mem)
{
	const char *why;
	size_t i;
	oprec *op;
	int role, v;

	memset(reg, 0, sizeof(*reg));
	reg->e = e;
	reg->entries = arena_alloc(mem, (e->n ? e->n : 1) * sizeof(size_t));
	if (reg->entries == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		if ((why = authz_member(c, op, &role)) != NULL) {
			op_reject(op, why);
			continue;
		}
		/* A note on a number says why it is listed (kept for a
		 * number no customer has); it decides nothing. */
		if (strcmp(op->action, "append") == 0 &&
		    strcmp(op->field, "note") == 0) {
			if (tsm_json_string(tsm_json_get(op_val(op), "text")) ==
			    NULL)
				op_reject(op, "invalid value: a note needs a "
					      "\"text\"");
			continue;
		}
		if (strcmp(op->action, "set") != 0 ||
		    strcmp(op->field, "dnc") != 0) {
			op_reject(op, "only set(dnc) and notes apply to the "
				      "dnc list");
			continue;
		}
		v = tsm_json_bool(op_val(op));
		if (v < 0) {
			op_reject(op, "invalid value: expected true or false");
			continue;
		}
		if (v == 0 && role != ROLE_MANAGER) {
			op_reject(op, "only a manager may clear do-not-call");
			continue;
		}
		reg->entries[reg->n++] = i;
	}
	reg->value = dnc_value_at(reg, NULL, NULL, NULL);
	return 0;
}

size_t dnc_reg_statuses(dnc_reg *reg)
{
	entity *e = reg->e;
	size_t *heads, nh, i, j, decide = NONE;

	if (reg->n == 0)
		return NONE;
	heads = malloc(reg->n * sizeof(*heads));
	if (heads == NULL)
		return NONE;
	nh = reg_heads(e, reg->entries, reg->n, heads);
	for (i = 0; i < reg->n; i++) {
		oprec *op = &e->ops[reg->entries[i]];
		int win = tsm_json_bool(entry_value(op, "dnc")) == reg->value;

		for (j = 0; j < nh && heads[j] != reg->entries[i]; j++)
			;
		if (j < nh && win)
			decide = reg->entries[i];
		else if (strcmp(op->action, "create") != 0)
			op->status = ST_SUPERSEDED;
	}
	free(heads);
	return decide;
}

static const char SQL_DNC_ANY[] =
    "SELECT 1 FROM ops WHERE etype = 'dnc' LIMIT 1";
static const char SQL_DNC_PHONE[] =
    "SELECT 1 FROM ops WHERE etype = 'dnc' AND eid = ?1 LIMIT 1";

/* Whether the phone has dnc list ops: one probe (none at all when the
 * list was never used). */
static int dnc_phone_listed(fold_ctx *c, const char *phone, int *out)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (c->dnc_any < 0) {
		if ((st = fc_stmt(c, SQL_DNC_ANY)) == NULL)
			return tsm_error_last()->code;
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return tsm_error_sqlite(c->db, rc, "read dnc list");
		c->dnc_any = rc == SQLITE_ROW;
	}
	if (!c->dnc_any)
		return 0;
	if ((st = fc_stmt(c, SQL_DNC_PHONE)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(c->db, rc, "read dnc list");
	*out = rc == SQLITE_ROW;
	return 0;
}

int dncreg_get(fold_ctx *c, const char *phone, const dnc_reg **out)
{
	dnc_reg *reg;
	entity *e;
	void **slot;
	int err, fresh, listed;

	*out = NULL;
	slot = strmap_slot(&c->dncreg, phone, &fresh);
	if (slot == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (!fresh) {
		*out = *slot;
		return 0;
	}
	if ((err = dnc_phone_listed(c, phone, &listed)) < 0)
		return err;
	if (!listed)
		return 0; /* cached as NULL: not on the list */
	reg = arena_alloc(&c->mem, sizeof(*reg));
	e = calloc(1, sizeof(*e));
	if (reg == NULL || e == NULL) {
		free(e);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	reg->e = e;
	*slot = reg; /* from here ctx_free frees e */
	if ((err = ent_load(c, e, "dnc", phone)) < 0 ||
	    (err = dnc_reg_build(c, e, reg, &e->mem)) < 0)
		return err;
	*out = reg;
	return 0;
}

/* ---- folds: dnc list, review resolutions, team data, unknown ---- */

static const char SQL_DNC_PUT[] =
    "INSERT OR REPLACE INTO dnc_list(phone, dnc, author, updated_at, op, "
    "reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/* The number's last accepted note (in op order), or NULL. */
static const char *dnc_reason(entity *e)
{
	const oprec *last = NULL;
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->ops[i].status == ST_ACCEPTED &&
		    strcmp(e->ops[i].action, "append") == 0 &&
		    (last == NULL || op_cmp(last, &e->ops[i]) < 0))
			last = &e->ops[i];
	return last ? tsm_json_string(
			  tsm_json_get(op_val((oprec *)last), "text"))
		    : NULL;
}
static const char SQL_DNC_DEL[] = "DELETE FROM dnc_list WHERE phone = ?1";
static const char SQL_CUST_BY_PHONE[] =
    "SELECT 'customer', id FROM customers WHERE phone = ?1";

int fold_dnc(fold_ctx *c, entity *e)
{
	sqlite3_stmt *st;
	dnc_reg reg;
	size_t dec;
	oprec *op;
	int err, rc;

	if ((err = dnc_reg_build(c, e, &reg, &e->mem)) < 0)
		return err;
	dec = dnc_reg_statuses(&reg);
	if (dec != NONE) {
		op = &e->ops[dec];
		if ((st = fc_stmt(c, SQL_DNC_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, reg.value);
		sqlite3_bind_text(st, 3, op->author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, op_ms(op));
		sqlite3_bind_text(st, 5, op->id, -1, SQLITE_STATIC);
		bind_str(st, 6, dnc_reason(e));
	} else {
		if ((st = fc_stmt(c, SQL_DNC_DEL)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	}
	if ((err = fc_done(c, st, "write dnc list")) < 0)
		return err;
	/* Customers with this phone are DNC or not through the list. */
	if ((st = fc_stmt(c, SQL_CUST_BY_PHONE)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = fc_dirty(c, "customer", text_col(st, 1))) < 0) {
			sqlite3_reset(st);
			return err;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE
		   ? 0
		   : tsm_error_sqlite(c->db, rc, "find customers");
}

static const char SQL_RES_PUT[] =
    "INSERT OR REPLACE INTO review_res(id, op, choice, note, author, at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_RES_DEL[] = "DELETE FROM review_res WHERE id = ?1";
static const char SQL_REVIEW_SET[] =
    "UPDATE review SET status = ?2, resolved_by = ?3, choice = ?4 "
    "WHERE id = ?1";
static const char SQL_REVIEW_PHONE[] =
    "SELECT eid FROM review WHERE id = ?1 AND etype = 'phone'";

int fold_review(fold_ctx *c, entity *e)
{
	const tsm_json *v, *note;
	const char *why, *choice = NULL;
	sqlite3_stmt *st;
	size_t i, win = NONE;
	oprec *op;
	int err, role, rc;

	for (i = 0; i < e->n; i++) {
		op = &e->ops[i];
		v = op_val(op);
		note = tsm_json_get(v, "note");
		if ((why = authz_member(c, op, &role)) != NULL)
			op_reject(op, why);
		else if (strcmp(op->action, "resolve") != 0)
			op_reject(op, "unknown action");
		else if (tsm_json_type(v) != TSM_JSON_OBJECT ||
			 tsm_json_string(tsm_json_get(v, "choice")) == NULL ||
			 (note && tsm_json_type(note) != TSM_JSON_NULL &&
			  tsm_json_string(note) == NULL))
			op_reject(op, "invalid resolution: expected "
				      "{\"choice\", \"note\"}");
		else if (role != ROLE_LEAD && role != ROLE_MANAGER)
			op_reject(op, "only a lead or manager may resolve "
				      "review items");
		else {
			if (win != NONE)
				e->ops[win].status = ST_SUPERSEDED;
			win = i;
		}
	}
	if (win != NONE) {
		op = &e->ops[win];
		v = op_val(op);
		choice = tsm_json_string(tsm_json_get(v, "choice"));
		if ((st = fc_stmt(c, SQL_RES_PUT)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, op->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, choice, -1, SQLITE_STATIC);
		bind_str(st, 4, tsm_json_string(tsm_json_get(v, "note")));
		sqlite3_bind_text(st, 5, op->author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, op_ms(op));
		c->res_known = c->has_res = 1;
	} else {
		if ((st = fc_stmt(c, SQL_RES_DEL)) == NULL)
			return tsm_error_last()->code;
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	}
	if ((err = fc_done(c, st, "write resolution")) < 0)
		return err;
	if ((st = fc_stmt(c, SQL_REVIEW_SET)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, win != NONE ? "resolved" : "open", -1,
			  SQLITE_STATIC);
	bind_str(st, 3, win != NONE ? e->ops[win].id : NULL);
	bind_str(st, 4, choice);
	if ((err = fc_done(c, st, "resolve review item")) < 0)
		return err;
	/* A duplicate item may also be resolved by a merge: recompute it. */
	if ((st = fc_stmt(c, SQL_REVIEW_PHONE)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = rc == SQLITE_ROW ? fc_phone(c, text_col(st, 0), 1) : 0;
	sqlite3_reset(st);
	return err;
}

/* Team data: one table per etype, rows (id, field, value). */
static const struct kv_table {
	const char *etype;
	int leads_too; /* leads may edit (scripts) */
	int text_only; /* values are strings (scripts) */
	const char *del;
	const char *put;
} kv_tables[] = {
    {"script", 1, 1, "DELETE FROM scripts WHERE name = ?1",
     "INSERT INTO scripts(name, section, body, author, updated_at, op) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
    {"policy", 0, 0, "DELETE FROM policy WHERE id = ?1",
     "INSERT INTO policy(id, field, value, author, updated_at, op) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
    {"product", 0, 0, "DELETE FROM products WHERE id = ?1",
     "INSERT INTO products(id, field, value, author, updated_at, op) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
    {"target", 0, 0, "DELETE FROM targets WHERE id = ?1",
     "INSERT INTO targets(id, field, value, author, updated_at, op) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
};

static int kv_value_ok(const struct kv_table *t, const tsm_json *v)
{
	int ty = tsm_json_type(v);

	return !t->text_only || ty == 0 || ty == TSM_JSON_NULL ||
	       ty == TSM_JSON_STRING;
}

static int kv_field_ok(const char *f)
{
	size_t n = strlen(f);

	return n > 0 && n <= 64;
}

static const char *kv_reason(fold_ctx *c, const struct kv_table *t, oprec *op)
{
	const tsm_json *v = op_val(op), *k;
	const char *why;
	int role;

	if ((why = authz_member(c, op, &role)) != NULL)
		return why;
	if (role != ROLE_MANAGER && !(t->leads_too && role == ROLE_LEAD))
		return t->leads_too ? "only a lead or manager may edit scripts"
				    : "only a manager may change team data";
	if (strcmp(op->action, "create") == 0) {
		if (tsm_json_type(v) != TSM_JSON_OBJECT)
			return "invalid create: expected an object";
		for (k = tsm_json_first(v); k; k = tsm_json_next(k))
			if (!kv_field_ok(tsm_json_key(k)) || !kv_value_ok(t, k))
				return "invalid field or value";
		return NULL;
	}
	if (strcmp(op->action, "set") != 0)
		return "unknown action";
	if (!kv_field_ok(op->field) || !kv_value_ok(t, v))
		return "invalid field or value";
	return NULL;
}

static int kv_put(fold_ctx *c, const struct kv_table *t, entity *e,
		  const char *field, oprec *win)
{
	const tsm_json *v = entry_value(win, field);
	sqlite3_stmt *st;
	char *text = NULL;
	int err;

	if (tsm_json_type(v) == 0 || tsm_json_type(v) == TSM_JSON_NULL)
		return 0; /* null removes */
	if (!t->text_only && (err = tsm_json_print(&text, v)) < 0)
		return err;
	if ((st = fc_stmt(c, t->put)) == NULL) {
		free(text);
		return tsm_error_last()->code;
	}
	sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text ? text : tsm_json_string(v), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, win->author, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, op_ms(win));
	sqlite3_bind_text(st, 6, win->id, -1, SQLITE_STATIC);
	err = fc_done(c, st, "write team data");
	free(text);
	return err;
}

int fold_kv(fold_ctx *c, entity *e)
{
	const struct kv_table *t = NULL;
	const tsm_json *k;
	strmap fields = {0};
	sqlite3_stmt *st;
	size_t *entries = NULL, i, j, n, win, nf;
	char **names = NULL;
	const char *why;
	int err = 0;

	for (i = 0; i < sizeof(kv_tables) / sizeof(kv_tables[0]); i++)
		if (strcmp(kv_tables[i].etype, e->etype) == 0)
			t = &kv_tables[i];
	if (t == NULL)
		return fold_unknown(c, e);
	for (i = 0; i < e->n; i++) {
		oprec *op = &e->ops[i];

		if ((why = kv_reason(c, t, op)) != NULL) {
			op_reject(op, why);
			continue;
		}
		if (strcmp(op->action, "set") == 0) {
			if (!strmap_slot(&fields, op->field, NULL))
				goto nomem;
			continue;
		}
		for (k = tsm_json_first(op_val(op)); k; k = tsm_json_next(k))
			if (!strmap_slot(&fields, tsm_json_key(k), NULL))
				goto nomem;
	}
	if (!e->fresh) {
		if ((st = fc_stmt(c, t->del)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		sqlite3_bind_text(st, 1, e->eid, -1, SQLITE_STATIC);
		if ((err = fc_done(c, st, "write team data")) < 0)
			goto done;
	}
	entries = malloc((e->n ? e->n : 1) * sizeof(*entries));
	names = malloc((fields.n ? fields.n : 1) * sizeof(*names));
	if (entries == NULL || names == NULL)
		goto nomem;
	for (i = 0, nf = 0; i < fields.cap; i++)
		if (fields.keys[i])
			names[nf++] = fields.keys[i];
	for (j = 0; j < nf && err == 0; j++) {
		for (i = 0, n = 0; i < e->n; i++) {
			oprec *op = &e->ops[i];

			if (op->status != ST_ACCEPTED)
				continue;
			if (strcmp(op->action, "set") == 0
				? strcmp(op->field, names[j]) == 0
				: tsm_json_get(op_val(op), names[j]) != NULL)
				entries[n++] = i;
		}
		err = reg_lww(&win, c, e, entries, n, names[j]);
		if (err == 0 && win != NONE)
			err = kv_put(c, t, e, names[j], &e->ops[win]);
	}
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	free(entries);
	free(names);
	strmap_free(&fields);
	return err;
}

int fold_unknown(fold_ctx *c, entity *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		op_reject(&e->ops[i], "unknown entity type");
	return 0;
}
