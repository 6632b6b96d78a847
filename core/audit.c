/* core/audit.c — the audit log, blame and signed exports (tsm/audit.h),
 * computed from the op log alone; and audit_batches, the local-only record
 * of which batch commit carried which ops (filled by sync/audit_verify.c). */
#include "tsm/audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "error.h"
#include "hlc.h"
#include "identity_internal.h"
#include "json.h"
#include "store_internal.h"
#include "tsm/text.h"
#include "tsm/when.h"

#define DIGEST_PREFIX "tsm-audit-digest v1"
#define CSV_LINE_PREFIX "# " DIGEST_PREFIX " "
#define JSON_LINE_PREFIX "\"digest\":{\"version\":1,"

/* ---- small helpers ---- */

static int prep(sqlite3_stmt **st, sqlite3 *db, const char *sql)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return tsm_error_sqlite(db, rc, "prepare audit query");
	}
	return 0;
}

static int oom(void)
{
	return tsm_error_set(TSM_ENOMEM, "out of memory");
}

/* Copies column i (NULL stays NULL). */
static int col_dup(char **out, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup((const char *)s);
	return *out ? 0 : oom();
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int key_cmp(uint64_t ha, const char *sa, int64_t qa, uint64_t hb,
		   const char *sb, int64_t qb)
{
	int c;

	if (ha != hb)
		return ha < hb ? -1 : 1;
	if ((c = strcmp(sa, sb)) != 0)
		return c;
	return qa < qb ? -1 : qa > qb;
}

static int table_exists(int *out, sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = prep(&st, db,
			"SELECT 1 FROM sqlite_master WHERE type = 'table' "
			"AND name = ?1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	err = rc == SQLITE_ROW || rc == SQLITE_DONE
		  ? 0
		  : tsm_error_sqlite(db, rc, "read schema");
	sqlite3_finalize(st);
	return err;
}

/* ---- audit_batches ---- */

int tsm_audit_batch_tip(char *commit, int64_t *seq_last, tsm_store *store,
			const char *site)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	int err, rc;

	commit[0] = '\0';
	*seq_last = 0;
	if ((err = prep(&st, db,
			"SELECT commit_id, seq_last FROM audit_batches "
			"WHERE site = ?1 ORDER BY seq_last DESC LIMIT 1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		snprintf(commit, TSM_COMMIT_HEX_MAX, "%s",
			 s ? (const char *)s : "");
		*seq_last = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read audit batches");
	}
	sqlite3_finalize(st);
	return err;
}

int tsm_audit_batch_put(tsm_store *store, const char *site, const char *commit,
			int64_t first, int64_t last)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = prep(&st, db,
			"INSERT OR REPLACE INTO audit_batches(site, seq_last, "
			"seq_first, commit_id) VALUES (?1, ?2, ?3, ?4)")) < 0)
		return err;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int64(st, 3, first);
	sqlite3_bind_text(st, 4, commit, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = rc == SQLITE_DONE
		  ? 0
		  : tsm_error_sqlite(db, rc, "record audit batch");
	sqlite3_finalize(st);
	return err;
}

int tsm_audit_batch_forget(tsm_store *store, const char *site)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int err, rc;

	if ((err = prep(&st, db, "DELETE FROM audit_batches WHERE site = ?1")) <
	    0)
		return err;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = rc == SQLITE_DONE
		  ? 0
		  : tsm_error_sqlite(db, rc, "forget audit batches");
	sqlite3_finalize(st);
	return err;
}

/* ---- ops as the audit reads them ---- */

struct aop {
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
	uint64_t hlc;
	char *author, *etype, *eid, *action, *field, *value, *sup, *status,
	    *reason;
	char *old;	      /* the field's value just before, computed */
	char *fval;	      /* a create's value of the filtered field */
	const char *customer; /* borrowed */
};

struct oplist {
	struct aop *v;
	size_t n, cap;
};

static void aop_dispose(struct aop *o)
{
	free(o->author);
	free(o->etype);
	free(o->eid);
	free(o->action);
	free(o->field);
	free(o->value);
	free(o->sup);
	free(o->status);
	free(o->reason);
	free(o->old);
	free(o->fval);
	memset(o, 0, sizeof(*o));
}

static void oplist_free(struct oplist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		aop_dispose(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct aop *oplist_add(struct oplist *l)
{
	struct aop *grown;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		grown = realloc(l->v, l->cap * sizeof(*l->v));
		if (grown == NULL)
			return NULL;
		l->v = grown;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

#define OP_COLS                                                                \
	"site, seq, hlc, author, etype, eid, action, field, value, "           \
	"supersedes, status, reason"

static const char SQL_ENTITY[] = "SELECT " OP_COLS " FROM ops "
				 "WHERE etype = ?1 AND eid = ?2 "
				 "ORDER BY hlc, site, seq";
static const char SQL_ONE[] = "SELECT " OP_COLS " FROM ops "
			      "WHERE site = ?1 AND seq = ?2";

/* Appends every row of st (a bound statement over OP_COLS) to l. */
static int load_rows(struct oplist *l, sqlite3 *db, sqlite3_stmt *st)
{
	const unsigned char *site;
	struct aop *o;
	int rc, err = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = oplist_add(l)) == NULL)
			return oom();
		site = sqlite3_column_text(st, 0);
		snprintf(o->site, sizeof(o->site), "%s",
			 site ? (const char *)site : "");
		o->seq = sqlite3_column_int64(st, 1);
		o->hlc = (uint64_t)sqlite3_column_int64(st, 2);
		if ((err = col_dup(&o->author, st, 3)) < 0 ||
		    (err = col_dup(&o->etype, st, 4)) < 0 ||
		    (err = col_dup(&o->eid, st, 5)) < 0 ||
		    (err = col_dup(&o->action, st, 6)) < 0 ||
		    (err = col_dup(&o->field, st, 7)) < 0 ||
		    (err = col_dup(&o->value, st, 8)) < 0 ||
		    (err = col_dup(&o->sup, st, 9)) < 0 ||
		    (err = col_dup(&o->status, st, 10)) < 0 ||
		    (err = col_dup(&o->reason, st, 11)) < 0)
			return err;
		if (!o->author || !o->etype || !o->eid || !o->action ||
		    !o->field || !o->sup || !o->status)
			return tsm_error_set(TSM_ECORRUPT, "malformed op row");
	}
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read ops");
	return 0;
}

static int load_entity(struct oplist *l, sqlite3 *db, sqlite3_stmt *st,
		       const char *etype, const char *eid)
{
	int err;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, eid, -1, SQLITE_STATIC);
	err = load_rows(l, db, st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static int load_one(struct oplist *l, sqlite3 *db, sqlite3_stmt *st,
		    const char *id)
{
	tsm_opid oid;
	int err;

	if (tsm_opid_parse(&oid, id) < 0)
		return 0; /* a malformed reference shows nothing */
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, oid.site, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, oid.seq);
	err = load_rows(l, db, st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static int aop_cmp(const void *a, const void *b)
{
	const struct aop *x = a, *y = b;

	return key_cmp(x->hlc, x->site, x->seq, y->hlc, y->site, y->seq);
}

static int is_rejected(const struct aop *o)
{
	return strcmp(o->status, TSM_OP_REJECTED) == 0;
}

/* ---- old values: the field's value before each set, per entity ---- */

struct fieldval {
	char *field;
	char *value; /* canonical JSON, NULL for null */
};

struct fvset {
	struct fieldval *v;
	size_t n, cap;
};

static void fvset_free(struct fvset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].field);
		free(s->v[i].value);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct fieldval *fv_find(struct fvset *s, const char *field)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].field, field) == 0)
			return &s->v[i];
	return NULL;
}

/* Sets field to value (copied; NULL for null). */
static int fv_set(struct fvset *s, const char *field, const char *value)
{
	struct fieldval *f = fv_find(s, field), *grown;
	char *copy = NULL;

	if (value && (copy = strdup(value)) == NULL)
		return oom();
	if (f == NULL) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 16;
			grown = realloc(s->v, s->cap * sizeof(*s->v));
			if (grown == NULL) {
				free(copy);
				return oom();
			}
			s->v = grown;
		}
		f = &s->v[s->n];
		f->field = strdup(field);
		if (f->field == NULL) {
			free(copy);
			return oom();
		}
		f->value = NULL;
		s->n++;
	}
	free(f->value);
	f->value = copy;
	return 0;
}

/* A JSON value printed canonically, "null" printed as NULL. */
static int print_value(char **out, const tsm_json *v)
{
	int err;

	*out = NULL;
	if (v == NULL || tsm_json_type(v) == TSM_JSON_NULL)
		return 0;
	if ((err = tsm_json_print(out, v)) < 0)
		return err;
	return 0;
}

/* The fields a create writes, into s. */
static int create_fields(struct fvset *s, const char *value)
{
	const tsm_json *m;
	tsm_json *v = NULL;
	char *text;
	int err = 0;

	if (value == NULL || tsm_json_parse(&v, value, strlen(value)) < 0)
		return 0;
	for (m = tsm_json_first(v); m && err == 0; m = tsm_json_next(m)) {
		if (tsm_json_type(v) != TSM_JSON_OBJECT)
			break;
		if ((err = print_value(&text, m)) < 0)
			break;
		err = fv_set(s, tsm_json_key(m), text);
		free(text);
	}
	tsm_json_free(v);
	return err;
}

/* Computes old for each set in v[0..n) (one entity, in key order). */
static int compute_olds(struct aop *v, size_t n)
{
	struct fvset cur = {NULL, 0, 0};
	struct fieldval *f;
	size_t i;
	int err = 0;

	for (i = 0; i < n && err == 0; i++) {
		struct aop *o = &v[i];
		int set = strcmp(o->action, "set") == 0 && o->field[0];

		if (set && (f = fv_find(&cur, o->field)) && f->value &&
		    (o->old = strdup(f->value)) == NULL) {
			err = oom();
			break;
		}
		if (is_rejected(o))
			continue;
		if (set)
			err = fv_set(&cur, o->field, o->value);
		else if (strcmp(o->action, "create") == 0)
			err = create_fields(&cur, o->value);
	}
	fvset_free(&cur);
	return err;
}

/* The member field of a create's value, printed canonically into *out;
 * *has = 1 when the value holds it. */
static int create_member(char **out, int *has, const char *value,
			 const char *field)
{
	const tsm_json *m;
	tsm_json *v = NULL;
	int err = 0;

	*out = NULL;
	*has = 0;
	if (value == NULL || tsm_json_parse(&v, value, strlen(value)) < 0)
		return 0;
	if (tsm_json_type(v) == TSM_JSON_OBJECT &&
	    (m = tsm_json_get(v, field)) != NULL) {
		*has = 1;
		err = print_value(out, m);
	}
	tsm_json_free(v);
	return err;
}

/* ---- who was who: roles and names at an op's clock ---- */

struct mev {
	uint64_t hlc;
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
	char *role;
	char *name;
};

struct member {
	char *id;
	struct mev *ev;
	size_t n;
};

struct members {
	struct member *v;
	size_t n, cap;
};

static void members_free(struct members *ms)
{
	size_t i, j;

	for (i = 0; i < ms->n; i++) {
		for (j = 0; j < ms->v[i].n; j++) {
			free(ms->v[i].ev[j].role);
			free(ms->v[i].ev[j].name);
		}
		free(ms->v[i].ev);
		free(ms->v[i].id);
	}
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

/* Reads the grants and revokes of member id into m. */
static int member_load(struct member *m, sqlite3 *db, sqlite3_stmt *st)
{
	struct oplist l = {NULL, 0, 0};
	const char *prev_name = NULL;
	tsm_json *v = NULL;
	const char *s;
	size_t i;
	int err;

	if ((err = load_entity(&l, db, st, "member", m->id)) < 0)
		goto done;
	m->ev = calloc(l.n ? l.n : 1, sizeof(*m->ev));
	if (m->ev == NULL) {
		err = oom();
		goto done;
	}
	for (i = 0; i < l.n; i++) {
		struct aop *o = &l.v[i];
		struct mev *e = &m->ev[m->n];
		int grant = strcmp(o->action, "grant") == 0;

		if (is_rejected(o) ||
		    (!grant && strcmp(o->action, "revoke") != 0))
			continue;
		e->hlc = o->hlc;
		memcpy(e->site, o->site, sizeof(e->site));
		e->seq = o->seq;
		s = NULL;
		if (grant && o->value &&
		    tsm_json_parse(&v, o->value, strlen(o->value)) == 0) {
			s = tsm_json_string(tsm_json_get(v, "role"));
			e->role = strdup(s ? s : "none");
			s = tsm_json_string(tsm_json_get(v, "name"));
		} else {
			e->role = strdup("none");
		}
		if (s == NULL)
			s = prev_name;
		e->name = dup_or_null(s);
		tsm_json_free(v);
		v = NULL;
		if (e->role == NULL || (s && e->name == NULL)) {
			free(e->role);
			free(e->name);
			err = oom();
			goto done;
		}
		prev_name = e->name;
		m->n++;
	}
done:
	tsm_json_free(v);
	oplist_free(&l);
	return err;
}

static int member_get(struct member **out, struct members *ms, sqlite3 *db,
		      sqlite3_stmt *st, const char *id)
{
	struct member *grown, *m;
	size_t i;
	int err;

	for (i = 0; i < ms->n; i++) {
		if (strcmp(ms->v[i].id, id) == 0) {
			*out = &ms->v[i];
			return 0;
		}
	}
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? 2 * ms->cap : 8;
		grown = realloc(ms->v, ms->cap * sizeof(*ms->v));
		if (grown == NULL)
			return oom();
		ms->v = grown;
	}
	m = &ms->v[ms->n];
	memset(m, 0, sizeof(*m));
	if ((m->id = strdup(id)) == NULL)
		return oom();
	ms->n++;
	if ((err = member_load(m, db, st)) < 0)
		return err;
	*out = m;
	return 0;
}

/* The last event of m ordered before the key (hlc, site, seq). */
static const struct mev *member_at(const struct member *m, uint64_t hlc,
				   const char *site, int64_t seq)
{
	size_t i;

	for (i = m->n; i > 0; i--)
		if (key_cmp(m->ev[i - 1].hlc, m->ev[i - 1].site,
			    m->ev[i - 1].seq, hlc, site, seq) < 0)
			return &m->ev[i - 1];
	return NULL;
}

/* ---- the context of one audit call ---- */

struct actx {
	tsm_store *store;
	sqlite3 *db;
	tsm_identity me;
	int have_me;
	int have_batches;
	sqlite3_stmt *entity, *one, *batch;
	struct members members;
	/* the last batch found */
	char b_site[TSM_SITE_LEN + 1];
	int64_t b_first, b_last;
	char b_commit[TSM_COMMIT_HEX_MAX];
};

static int actx_open(struct actx *c, tsm_store *store)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->store = store;
	c->db = tsm_store_db(store);
	err = tsm_identity_get(&c->me, store);
	if (err < 0 && err != TSM_ENOTFOUND)
		return err;
	c->have_me = err == 0;
	if ((err = table_exists(&c->have_batches, c->db, "audit_batches")) < 0)
		return err;
	if ((err = prep(&c->entity, c->db, SQL_ENTITY)) < 0 ||
	    (err = prep(&c->one, c->db, SQL_ONE)) < 0)
		return err;
	if (c->have_batches &&
	    (err = prep(&c->batch, c->db,
			"SELECT seq_first, seq_last, commit_id FROM "
			"audit_batches WHERE site = ?1 AND seq_last >= ?2 "
			"ORDER BY seq_last LIMIT 1")) < 0)
		return err;
	return 0;
}

static void actx_close(struct actx *c)
{
	sqlite3_finalize(c->entity);
	sqlite3_finalize(c->one);
	sqlite3_finalize(c->batch);
	members_free(&c->members);
	memset(c, 0, sizeof(*c));
}

/* The batch commit that carried (site, seq) into out ("" when none). */
static int batch_of(struct actx *c, const char *site, int64_t seq, char *out)
{
	const unsigned char *s;
	int rc;

	out[0] = '\0';
	if (!c->have_batches)
		return 0;
	if (strcmp(c->b_site, site) == 0 && c->b_first <= seq &&
	    seq <= c->b_last) {
		memcpy(out, c->b_commit, TSM_COMMIT_HEX_MAX);
		return 0;
	}
	sqlite3_reset(c->batch);
	sqlite3_bind_text(c->batch, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->batch, 2, seq);
	rc = sqlite3_step(c->batch);
	if (rc == SQLITE_ROW && sqlite3_column_int64(c->batch, 0) <= seq) {
		snprintf(c->b_site, sizeof(c->b_site), "%s", site);
		c->b_first = sqlite3_column_int64(c->batch, 0);
		c->b_last = sqlite3_column_int64(c->batch, 1);
		s = sqlite3_column_text(c->batch, 2);
		snprintf(c->b_commit, sizeof(c->b_commit), "%s",
			 s ? (const char *)s : "");
		memcpy(out, c->b_commit, TSM_COMMIT_HEX_MAX);
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(c->batch);
		return tsm_error_sqlite(c->db, rc, "read audit batches");
	}
	sqlite3_reset(c->batch);
	return 0;
}

static const char *sig_of(const struct actx *c, const char *site,
			  const char *batch)
{
	if (c->have_me && strcmp(site, c->me.site) == 0)
		return TSM_AUDIT_SIG_OWN;
	return batch[0] ? TSM_AUDIT_SIG_VERIFIED : TSM_AUDIT_SIG_UNSIGNED;
}

/* Name and role of author at the key; copies into *name / *role. */
static int who_at(char **name, char **role, struct actx *c, const char *author,
		  uint64_t hlc, const char *site, int64_t seq)
{
	struct member *m = NULL;
	const struct mev *e;
	int err;

	*name = *role = NULL;
	if ((err = member_get(&m, &c->members, c->db, c->entity, author)) < 0)
		return err;
	e = member_at(m, hlc, site, seq);
	*role = strdup(e ? e->role : "none");
	if (*role == NULL)
		return oom();
	if (e && e->name && (*name = strdup(e->name)) == NULL)
		return oom();
	return 0;
}

/* Moves op o into row r (o's strings are taken). */
static int make_row(tsm_audit_row *r, struct actx *c, struct aop *o)
{
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s:%" PRId64, o->site, o->seq);
	memcpy(r->site, o->site, sizeof(r->site));
	r->seq = o->seq;
	r->hlc = o->hlc;
	r->at = tsm_hlc_wall(o->hlc);
	r->author = o->author;
	r->etype = o->etype;
	r->eid = o->eid;
	r->action = o->action;
	r->field = o->field;
	r->status = o->status;
	r->reason = o->reason;
	r->old_value = o->old;
	if (o->fval) {
		r->new_value = o->fval;
		free(o->value);
	} else {
		r->new_value = o->value;
	}
	o->author = o->etype = o->eid = o->action = o->field = NULL;
	o->status = o->reason = o->old = o->fval = o->value = NULL;
	if (o->customer && (r->customer = strdup(o->customer)) == NULL)
		return oom();
	if ((err = who_at(&r->name, &r->role, c, r->author, r->hlc, r->site,
			  r->seq)) < 0)
		return err;
	if ((err = batch_of(c, r->site, r->seq, r->batch)) < 0)
		return err;
	r->signature = sig_of(c, r->site, r->batch);
	return 0;
}

void tsm_audit_rows_free(tsm_audit_row *rows, size_t n)
{
	size_t i;

	for (i = 0; rows && i < n; i++) {
		free(rows[i].author);
		free(rows[i].name);
		free(rows[i].role);
		free(rows[i].etype);
		free(rows[i].eid);
		free(rows[i].customer);
		free(rows[i].action);
		free(rows[i].field);
		free(rows[i].old_value);
		free(rows[i].new_value);
		free(rows[i].status);
		free(rows[i].reason);
	}
	free(rows);
}

/* Keeps the ops of l that pass f (for a field filter, creates holding the
 * field get it as field and fval); frees the others. */
static int apply_filter(struct oplist *l, const tsm_audit_filter *f)
{
	size_t i, k = 0;
	int64_t at;
	int keep, has, err = 0;
	char *val;

	for (i = 0; i < l->n; i++) {
		struct aop *o = &l->v[i];

		at = tsm_hlc_wall(o->hlc);
		keep = 1;
		if (f && f->member && strcmp(o->author, f->member) != 0)
			keep = 0;
		if (f && f->from && at < f->from)
			keep = 0;
		if (f && f->to && at >= f->to)
			keep = 0;
		if (keep && f && f->field) {
			if (strcmp(o->action, "create") == 0) {
				if ((err = create_member(&val, &has, o->value,
							 f->field)) < 0)
					break;
				keep = has;
				if (has) {
					free(o->field);
					o->field = strdup(f->field);
					o->fval = val;
					if (o->field == NULL) {
						err = oom();
						break;
					}
					/* a null member shows as null */
					if (val == NULL &&
					    (o->fval = strdup("null")) ==
						NULL) {
						err = oom();
						break;
					}
				}
			} else {
				keep = strcmp(o->field, f->field) == 0 &&
				       strcmp(o->action, "set") == 0;
			}
		}
		if (!keep) {
			aop_dispose(o);
			continue;
		}
		if (k != i) {
			l->v[k] = *o;
			memset(o, 0, sizeof(*o));
		}
		k++;
	}
	/* on failure every slot stays (moved ones zeroed) for the caller to
	 * free */
	if (err == 0)
		l->n = k;
	return err;
}

/* Sorts l by key, drops repeated ids and turns it into rows. */
static int to_rows(tsm_audit_row **out, size_t *n, struct actx *c,
		   struct oplist *l)
{
	tsm_audit_row *rows;
	size_t i, k = 0;
	int err = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), aop_cmp);
	rows = calloc(l->n ? l->n : 1, sizeof(*rows));
	if (rows == NULL)
		return oom();
	for (i = 0; i < l->n; i++) {
		if (i > 0 && strcmp(l->v[i].site, l->v[i - 1].site) == 0 &&
		    l->v[i].seq == l->v[i - 1].seq)
			continue;
		err = make_row(&rows[k++], c, &l->v[i]);
		if (err < 0)
			break;
	}
	if (err < 0) {
		tsm_audit_rows_free(rows, k);
		return err;
	}
	*out = rows;
	*n = k;
	return 0;
}

/* ---- the audit log of one customer ---- */

int tsm_audit_customer(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
		       const char *ref)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_viewer v;
	int err, rc, found;

	if (strlen(ref) < TSM_CUSTOMER_ID_MAX) {
		if ((err = prep(&st, db,
				"SELECT 1 FROM ops WHERE etype = 'customer' "
				"AND eid = ?1 LIMIT 1")) < 0)
			return err;
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return tsm_error_sqlite(db, rc, "find customer");
		found = rc == SQLITE_ROW;
		if (found) {
			if ((err = tsm_viewer_get(&v, store)) < 0)
				return err;
			if (!v.all &&
			    (err = tsm_customer_visible(store, ref)) < 0)
				return err;
			if (v.all || err == 1) {
				snprintf(out, TSM_CUSTOMER_ID_MAX, "%s", ref);
				return 0;
			}
		}
	}
	return tsm_customer_resolve(out, store, ref, TSM_RESOLVE_DELETED);
}

/* Entities that belong to a customer's history besides itself. */
static const char SQL_RELATED[] =
    "SELECT etype, eid FROM ops WHERE ref = ?1 "
    "  AND etype IN ('followup', 'order') "
    "UNION SELECT 'followup', id FROM followups WHERE customer = ?1 "
    "UNION SELECT 'order', id FROM orders WHERE customer = ?1 "
    "UNION SELECT 'review', id FROM review "
    "  WHERE etype = 'customer' AND eid = ?1 "
    "UNION SELECT 'dnc', phone FROM customers "
    "  WHERE id = ?1 AND phone IS NOT NULL "
    /* resolutions whose item is gone (a change ended the conflict) still
     * name the customer in their value */
    "UNION SELECT 'review', eid FROM ops "
    "  WHERE etype = 'review' AND action = 'resolve' "
    "  AND CASE WHEN json_valid(value) THEN "
    "    json_extract(value, '$.etype') = 'customer' AND "
    "    json_extract(value, '$.eid') = ?1 END";
static const char SQL_MERGED_IN[] =
    "SELECT merge_op FROM customers "
    "WHERE merge_target = ?1 AND id <> ?1 AND merge_op IS NOT NULL";

/* Loads one entity's ops, computes their old values and appends them. */
static int add_entity(struct oplist *all, struct actx *c, const char *etype,
		      const char *eid, const char *customer)
{
	struct oplist l = {NULL, 0, 0};
	struct aop *o;
	size_t i;
	int err;

	if ((err = load_entity(&l, c->db, c->entity, etype, eid)) < 0 ||
	    (err = compute_olds(l.v, l.n)) < 0)
		goto done;
	for (i = 0; i < l.n; i++) {
		if ((o = oplist_add(all)) == NULL) {
			err = oom();
			goto done;
		}
		*o = l.v[i];
		o->customer = customer;
		memset(&l.v[i], 0, sizeof(l.v[i]));
	}
done:
	oplist_free(&l);
	return err;
}

int tsm_audit_log(tsm_audit_row **out, size_t *n, tsm_store *store,
		  const char *customer, const tsm_audit_filter *filter)
{
	struct oplist all = {NULL, 0, 0};
	sqlite3_stmt *st = NULL;
	struct actx c;
	struct names {
		char *etype, *eid;
	} *rel = NULL, *grown;
	size_t nrel = 0, cap = 0, i;
	size_t nmerged = 0;
	char **merged = NULL, **mgrown;
	int err, rc;

	*out = NULL;
	*n = 0;
	if ((err = actx_open(&c, store)) < 0)
		goto done;
	if ((err = add_entity(&all, &c, "customer", customer, customer)) < 0)
		goto done;
	/* read the related ids first: loading them reuses the statements */
	if ((err = prep(&st, c.db, SQL_RELATED)) < 0)
		goto done;
	sqlite3_bind_text(st, 1, customer, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nrel == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(rel, cap * sizeof(*rel));
			if (grown == NULL) {
				err = oom();
				goto done;
			}
			rel = grown;
		}
		rel[nrel].etype = rel[nrel].eid = NULL;
		nrel++;
		if ((err = col_dup(&rel[nrel - 1].etype, st, 0)) < 0 ||
		    (err = col_dup(&rel[nrel - 1].eid, st, 1)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(c.db, rc, "find related records");
		goto done;
	}
	sqlite3_finalize(st);
	if ((err = prep(&st, c.db, SQL_MERGED_IN)) < 0)
		goto done;
	sqlite3_bind_text(st, 1, customer, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mgrown = realloc(merged, (nmerged + 1) * sizeof(*merged));
		if (mgrown == NULL) {
			err = oom();
			goto done;
		}
		merged = mgrown;
		merged[nmerged] = NULL;
		if ((err = col_dup(&merged[nmerged++], st, 0)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(c.db, rc, "find merges");
		goto done;
	}
	for (i = 0; i < nrel; i++)
		if (rel[i].etype && rel[i].eid &&
		    (err = add_entity(&all, &c, rel[i].etype, rel[i].eid,
				      customer)) < 0)
			goto done;
	for (i = 0; i < nmerged; i++) {
		size_t before = all.n;

		if (merged[i] &&
		    (err = load_one(&all, c.db, c.one, merged[i])) < 0)
			goto done;
		for (; before < all.n; before++)
			all.v[before].customer = customer;
	}
	if ((err = apply_filter(&all, filter)) < 0)
		goto done;
	err = to_rows(out, n, &c, &all);
done:
	sqlite3_finalize(st);
	for (i = 0; i < nrel; i++) {
		free(rel[i].etype);
		free(rel[i].eid);
	}
	free(rel);
	for (i = 0; i < nmerged; i++)
		free(merged[i]);
	free(merged);
	oplist_free(&all);
	actx_close(&c);
	return err;
}

/* ---- JSON of rows ---- */

static void put_raw_or_null(tsm_jbuf *b, const char *json)
{
	tsm_jbuf_puts(b, json ? json : "null");
}

static void put_str_or_null(tsm_jbuf *b, const char *s)
{
	if (s)
		tsm_jbuf_str(b, s);
	else
		tsm_jbuf_puts(b, "null");
}

static void put_kv(tsm_jbuf *b, const char *key, const char *s, int first)
{
	if (!first)
		tsm_jbuf_putc(b, ',');
	tsm_jbuf_str(b, key);
	tsm_jbuf_putc(b, ':');
	put_str_or_null(b, s);
}

static void put_time(tsm_jbuf *b, int64_t ms)
{
	char iso[TSM_WHEN_FORMAT_MAX];

	if (tsm_when_format_iso(iso, sizeof(iso), ms) < 0)
		snprintf(iso, sizeof(iso), "%" PRId64, ms);
	tsm_jbuf_str(b, iso);
}

static void put_hlc(tsm_jbuf *b, uint64_t hlc)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016" PRIx64, hlc);
	tsm_jbuf_str(b, hex);
}

static void row_json(tsm_jbuf *b, const tsm_audit_row *r)
{
	tsm_jbuf_puts(b, "{\"id\":");
	tsm_jbuf_str(b, r->id);
	tsm_jbuf_puts(b, ",\"time\":");
	put_time(b, r->at);
	tsm_jbuf_puts(b, ",\"hlc\":");
	put_hlc(b, r->hlc);
	put_kv(b, "member", r->author, 0);
	put_kv(b, "name", r->name, 0);
	put_kv(b, "role", r->role, 0);
	put_kv(b, "site", r->site, 0);
	tsm_jbuf_puts(b, ",\"seq\":");
	tsm_jbuf_int(b, r->seq);
	put_kv(b, "etype", r->etype, 0);
	put_kv(b, "eid", r->eid, 0);
	put_kv(b, "customer", r->customer, 0);
	put_kv(b, "action", r->action, 0);
	put_kv(b, "field", r->field, 0);
	tsm_jbuf_puts(b, ",\"old\":");
	put_raw_or_null(b, r->old_value);
	tsm_jbuf_puts(b, ",\"new\":");
	put_raw_or_null(b, r->new_value);
	put_kv(b, "status", r->status, 0);
	put_kv(b, "reason", r->reason, 0);
	put_kv(b, "batch", r->batch[0] ? r->batch : NULL, 0);
	put_kv(b, "signature", r->signature, 0);
	tsm_jbuf_putc(b, '}');
}

/* The rows as lines of a JSON array: "[\n", rows joined by ",\n", "\n]". */
static void rows_json(tsm_jbuf *b, const tsm_audit_row *rows, size_t n)
{
	size_t i;

	tsm_jbuf_puts(b, "[\n");
	for (i = 0; i < n; i++) {
		row_json(b, &rows[i]);
		tsm_jbuf_puts(b, i + 1 < n ? ",\n" : "\n");
	}
	tsm_jbuf_putc(b, ']');
}

int tsm_audit_rows_json(char **out, size_t *len, const tsm_audit_row *rows,
			size_t n)
{
	tsm_jbuf b;

	tsm_jbuf_init(&b);
	rows_json(&b, rows, n);
	tsm_jbuf_putc(&b, '\n');
	if (b.err) {
		tsm_jbuf_dispose(&b);
		return oom();
	}
	*out = tsm_jbuf_detach(&b, len);
	return 0;
}

/* ---- blame ---- */

static const char *const blame_fields[] = {
    "name",    "phone", "company",    "industry", "region", "size",  "source",
    "address", "needs", "salutation", "priority", "tags",   "stage", "owner",
};
#define NBLAME (sizeof(blame_fields) / sizeof(blame_fields[0]))

static const char SQL_CUST_ROW[] =
    "SELECT name, phone, company, industry, region, size, source, "
    "address, needs, salutation, priority, tags, stage, owner, dnc, "
    "dnc_flag, deleted, merge_op, merge_target FROM customers "
    "WHERE id = ?1";

/* One entity's ops with their causal order from supersedes. */
struct graph {
	struct aop *v;
	size_t n;
	size_t **par; /* parents (superseded ops) per op */
	size_t *npar;
	char **cval; /* the parsed-and-printed create values, by op */
};

struct idix {
	char id[TSM_OPID_MAX];
	size_t ix;
};

static int idix_cmp(const void *a, const void *b)
{
	return strcmp(((const struct idix *)a)->id,
		      ((const struct idix *)b)->id);
}

static void graph_free(struct graph *g)
{
	size_t i;

	for (i = 0; g->par && i < g->n; i++)
		free(g->par[i]);
	free(g->par);
	free(g->npar);
	free(g->cval);
	memset(g, 0, sizeof(*g));
}

static int graph_build(struct graph *g, struct aop *v, size_t n)
{
	struct idix *ids = NULL, key, *hit;
	const char *p, *sp;
	size_t i, k, len;
	int err = 0;

	memset(g, 0, sizeof(*g));
	g->v = v;
	g->n = n;
	g->par = calloc(n ? n : 1, sizeof(*g->par));
	g->npar = calloc(n ? n : 1, sizeof(*g->npar));
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (g->par == NULL || g->npar == NULL || ids == NULL) {
		err = oom();
		goto done;
	}
	for (i = 0; i < n; i++) {
		snprintf(ids[i].id, sizeof(ids[i].id), "%s:%" PRId64, v[i].site,
			 v[i].seq);
		ids[i].ix = i;
	}
	qsort(ids, n, sizeof(*ids), idix_cmp);
	for (i = 0; i < n; i++) {
		p = v[i].sup;
		k = 0;
		for (sp = p; *sp; sp++)
			k += *sp == ' ';
		g->par[i] = calloc(k + 1, sizeof(size_t));
		if (g->par[i] == NULL) {
			err = oom();
			goto done;
		}
		while (*p) {
			sp = strchr(p, ' ');
			len = sp ? (size_t)(sp - p) : strlen(p);
			if (len > 0 && len < sizeof(key.id)) {
				memcpy(key.id, p, len);
				key.id[len] = '\0';
				hit = bsearch(&key, ids, n, sizeof(*ids),
					      idix_cmp);
				if (hit && hit->ix != i)
					g->par[i][g->npar[i]++] = hit->ix;
			}
			p += len;
			while (*p == ' ')
				p++;
		}
	}
done:
	free(ids);
	return err;
}

/* Marks in seen (n bytes) every op x happened after (its causal past). */
static int graph_past(const struct graph *g, size_t x, unsigned char *seen)
{
	size_t *stack, top = 0, i, y;

	memset(seen, 0, g->n);
	stack = malloc((g->n + 1) * sizeof(*stack));
	if (stack == NULL)
		return oom();
	stack[top++] = x;
	while (top > 0) {
		y = stack[--top];
		for (i = 0; i < g->npar[y]; i++) {
			size_t p = g->par[y][i];

			if (!seen[p]) {
				seen[p] = 1;
				stack[top++] = p;
			}
		}
	}
	free(stack);
	return 0;
}

/* The value op i writes to field (canonical JSON, "null" for null) into
 * *out (malloc'd), or *out NULL when it does not write field. */
static int write_value(char **out, const struct aop *o, const char *field)
{
	int has, err;

	*out = NULL;
	if (is_rejected(o))
		return 0;
	if (strcmp(o->action, "set") == 0 && strcmp(o->field, field) == 0) {
		*out = strdup(o->value ? o->value : "null");
		return *out ? 0 : oom();
	}
	if (strcmp(o->action, "create") != 0)
		return 0;
	if ((err = create_member(out, &has, o->value, field)) < 0)
		return err;
	if (has && *out == NULL && (*out = strdup("null")) == NULL)
		return oom();
	return 0;
}

struct blist {
	tsm_audit_blame *v;
	size_t n, cap;
};

void tsm_audit_blame_free(tsm_audit_blame *b, size_t n)
{
	size_t i;

	for (i = 0; b && i < n; i++) {
		free(b[i].field);
		free(b[i].value);
		free(b[i].author);
		free(b[i].name);
		free(b[i].role);
		free(b[i].action);
		free(b[i].against);
	}
	free(b);
}

/* Appends an entry for field with value (canonical JSON) set by o (NULL:
 * a default), against the other heads. */
static int blame_add(struct blist *bl, struct actx *c, const char *field,
		     const char *value, const struct aop *o,
		     const char *against)
{
	tsm_audit_blame *e, *grown;
	int err;

	if (bl->n == bl->cap) {
		bl->cap = bl->cap ? 2 * bl->cap : 16;
		grown = realloc(bl->v, bl->cap * sizeof(*bl->v));
		if (grown == NULL)
			return oom();
		bl->v = grown;
	}
	e = &bl->v[bl->n++];
	memset(e, 0, sizeof(*e));
	e->field = strdup(field);
	e->value = strdup(value);
	e->against = strdup(against ? against : "");
	if (!e->field || !e->value || !e->against)
		return oom();
	if (o == NULL)
		return 0;
	snprintf(e->op, sizeof(e->op), "%s:%" PRId64, o->site, o->seq);
	e->author = strdup(o->author);
	e->action = strdup(o->action);
	if (!e->author || !e->action)
		return oom();
	e->hlc = o->hlc;
	e->at = tsm_hlc_wall(o->hlc);
	if ((err = who_at(&e->name, &e->role, c, o->author, o->hlc, o->site,
			  o->seq)) < 0)
		return err;
	if ((err = batch_of(c, o->site, o->seq, e->batch)) < 0)
		return err;
	e->signature = sig_of(c, o->site, e->batch);
	return 0;
}

/* Blame of one register field whose current value is cur (canonical). */
static int blame_field(struct blist *bl, struct actx *c, struct graph *g,
		       const char *field, const char *cur)
{
	size_t *w = NULL, nw = 0, i, j, win = (size_t)-1;
	unsigned char *past = NULL, *covered = NULL;
	char **vals = NULL;
	tsm_jbuf ag;
	int err = 0, accepted_match = 0;

	tsm_jbuf_init(&ag);
	w = malloc((g->n + 1) * sizeof(*w));
	vals = calloc(g->n + 1, sizeof(*vals));
	past = malloc(g->n + 1);
	covered = calloc(g->n + 1, 1);
	if (!w || !vals || !past || !covered) {
		err = oom();
		goto done;
	}
	for (i = 0; i < g->n; i++) {
		if ((err = write_value(&vals[i], &g->v[i], field)) < 0)
			goto done;
		if (vals[i])
			w[nw++] = i;
	}
	/* the winner: the newest accepted write holding the current value,
	 * else the newest write holding it */
	for (i = nw; i > 0; i--) {
		const struct aop *o = &g->v[w[i - 1]];
		int acc = strcmp(o->status, TSM_OP_ACCEPTED) == 0;

		if (strcmp(vals[w[i - 1]], cur) != 0)
			continue;
		if (acc && !accepted_match) {
			win = w[i - 1];
			accepted_match = 1;
		} else if (win == (size_t)-1) {
			win = w[i - 1];
		}
	}
	/* the heads: writes in no other write's causal past */
	for (i = 0; i < nw; i++) {
		if ((err = graph_past(g, w[i], past)) < 0)
			goto done;
		for (j = 0; j < g->n; j++)
			covered[j] |= past[j];
	}
	for (i = 0; i < nw; i++) {
		if (covered[w[i]] || w[i] == win)
			continue;
		if (ag.len)
			tsm_jbuf_putc(&ag, ' ');
		tsm_jbuf_puts(&ag, g->v[w[i]].site);
		tsm_jbuf_putc(&ag, ':');
		tsm_jbuf_int(&ag, g->v[w[i]].seq);
	}
	if (ag.err) {
		err = oom();
		goto done;
	}
	err = blame_add(bl, c, field, cur,
			win == (size_t)-1 ? NULL : &g->v[win], ag.buf);
done:
	for (i = 0; vals && i < g->n; i++)
		free(vals[i]);
	free(vals);
	free(w);
	free(past);
	free(covered);
	tsm_jbuf_dispose(&ag);
	return err;
}

static char *json_text(const char *s)
{
	tsm_jbuf b;

	tsm_jbuf_init(&b);
	tsm_jbuf_str(&b, s);
	if (b.err) {
		tsm_jbuf_dispose(&b);
		return NULL;
	}
	return tsm_jbuf_detach(&b, NULL);
}

static const struct aop *find_op(const struct graph *g, const char *id)
{
	char buf[TSM_OPID_MAX];
	size_t i;

	for (i = 0; id && i < g->n; i++) {
		snprintf(buf, sizeof(buf), "%s:%" PRId64, g->v[i].site,
			 g->v[i].seq);
		if (strcmp(buf, id) == 0)
			return &g->v[i];
	}
	return NULL;
}

/* The do-not-call list op in effect on phone, loaded into l. */
static int dnc_list_op(struct oplist *l, struct actx *c, const char *phone)
{
	sqlite3_stmt *st = NULL;
	char *op = NULL;
	int err, rc;

	if ((err = prep(
		 &st, c->db,
		 "SELECT op FROM dnc_list WHERE phone = ?1 AND dnc = 1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, phone, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = col_dup(&op, st, 0);
	else if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(c->db, rc, "read do-not-call list");
	sqlite3_finalize(st);
	if (err == 0 && op)
		err = load_one(l, c->db, c->one, op);
	free(op);
	return err;
}

int tsm_audit_blame_get(tsm_audit_blame **out, size_t *n, tsm_store *store,
			const char *customer)
{
	struct oplist l = {NULL, 0, 0}, extra = {NULL, 0, 0};
	struct blist bl = {NULL, 0, 0};
	struct graph g = {0};
	sqlite3_stmt *st = NULL;
	struct actx c;
	char *vals[NBLAME + 5] = {NULL};
	char *cur = NULL;
	const struct aop *o;
	size_t i;
	int err, rc, dnc = 0, dnc_flag = 0, deleted = 0;

	*out = NULL;
	*n = 0;
	if ((err = actx_open(&c, store)) < 0)
		goto done;
	if ((err = prep(&st, c.db, SQL_CUST_ROW)) < 0)
		goto done;
	sqlite3_bind_text(st, 1, customer, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err =
		    tsm_error_set(TSM_ENOTFOUND, "no customer '%s'", customer);
		goto done;
	}
	if (rc != SQLITE_ROW) {
		err = tsm_error_sqlite(c.db, rc, "read customer");
		goto done;
	}
	for (i = 0; i < NBLAME; i++)
		if ((err = col_dup(&vals[i], st, (int)i)) < 0)
			goto done;
	dnc = sqlite3_column_int(st, 14);
	dnc_flag = sqlite3_column_int(st, 15);
	deleted = sqlite3_column_int(st, 16);
	if ((err = col_dup(&vals[NBLAME], st, 17)) < 0 ||
	    (err = col_dup(&vals[NBLAME + 1], st, 18)) < 0)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	if ((err = load_entity(&l, c.db, c.entity, "customer", customer)) < 0 ||
	    (err = graph_build(&g, l.v, l.n)) < 0)
		goto done;
	for (i = 0; i < NBLAME; i++) {
		if (vals[i] == NULL)
			continue;
		if ((cur = json_text(vals[i])) == NULL) {
			err = oom();
			goto done;
		}
		if ((err = blame_field(&bl, &c, &g, blame_fields[i], cur)) < 0)
			goto done;
		free(cur);
		cur = NULL;
	}
	if (dnc && dnc_flag) {
		if ((err = blame_field(&bl, &c, &g, "dnc", "true")) < 0)
			goto done;
	} else if (dnc && vals[1]) {
		if ((err = dnc_list_op(&extra, &c, vals[1])) < 0 ||
		    (err = blame_add(&bl, &c, "dnc", "true",
				     extra.n ? &extra.v[0] : NULL, "")) < 0)
			goto done;
	}
	if (deleted) {
		o = NULL;
		for (i = l.n; i > 0 && o == NULL; i--)
			if (strcmp(l.v[i - 1].action, "delete") == 0 &&
			    strcmp(l.v[i - 1].status, TSM_OP_ACCEPTED) == 0)
				o = &l.v[i - 1];
		if ((err = blame_add(&bl, &c, "deleted", "true", o, "")) < 0)
			goto done;
	}
	if (vals[NBLAME] && vals[NBLAME + 1]) {
		if ((cur = json_text(vals[NBLAME + 1])) == NULL) {
			err = oom();
			goto done;
		}
		o = find_op(&g, vals[NBLAME]);
		if ((err = blame_add(&bl, &c, "merged_into", cur, o, "")) < 0)
			goto done;
	}
	*out = bl.v;
	*n = bl.n;
	bl.v = NULL;
	bl.n = 0;
done:
	sqlite3_finalize(st);
	free(cur);
	for (i = 0; i < NBLAME + 5; i++)
		free(vals[i]);
	tsm_audit_blame_free(bl.v, bl.n);
	graph_free(&g);
	oplist_free(&l);
	oplist_free(&extra);
	actx_close(&c);
	return err;
}

int tsm_audit_blame_json(char **out, size_t *len, const tsm_audit_blame *b,
			 size_t n)
{
	const char *p, *sp;
	tsm_jbuf j;
	size_t i, l;

	tsm_jbuf_init(&j);
	tsm_jbuf_puts(&j, "[\n");
	for (i = 0; i < n; i++) {
		const tsm_audit_blame *e = &b[i];

		tsm_jbuf_putc(&j, '{');
		put_kv(&j, "field", e->field, 1);
		tsm_jbuf_puts(&j, ",\"value\":");
		tsm_jbuf_puts(&j, e->value);
		put_kv(&j, "op", e->op[0] ? e->op : NULL, 0);
		put_kv(&j, "member", e->author, 0);
		put_kv(&j, "name", e->name, 0);
		put_kv(&j, "role", e->role, 0);
		put_kv(&j, "action", e->action, 0);
		tsm_jbuf_puts(&j, ",\"time\":");
		if (e->op[0])
			put_time(&j, e->at);
		else
			tsm_jbuf_puts(&j, "null");
		tsm_jbuf_puts(&j, ",\"hlc\":");
		if (e->op[0])
			put_hlc(&j, e->hlc);
		else
			tsm_jbuf_puts(&j, "null");
		tsm_jbuf_puts(&j, e->against[0] ? ",\"conflict\":true"
						: ",\"conflict\":false");
		tsm_jbuf_puts(&j, ",\"against\":[");
		for (p = e->against; *p;) {
			sp = strchr(p, ' ');
			l = sp ? (size_t)(sp - p) : strlen(p);
			if (p != e->against)
				tsm_jbuf_putc(&j, ',');
			tsm_jbuf_putc(&j, '"');
			tsm_jbuf_put(&j, p, l);
			tsm_jbuf_putc(&j, '"');
			p += l;
			while (*p == ' ')
				p++;
		}
		tsm_jbuf_putc(&j, ']');
		put_kv(&j, "batch", e->batch[0] ? e->batch : NULL, 0);
		put_kv(&j, "signature", e->signature, 0);
		tsm_jbuf_puts(&j, i + 1 < n ? "},\n" : "}\n");
	}
	tsm_jbuf_puts(&j, "]\n");
	if (j.err) {
		tsm_jbuf_dispose(&j);
		return oom();
	}
	*out = tsm_jbuf_detach(&j, len);
	return 0;
}

/* ---- signed exports ---- */

static const char SQL_PERIOD[] = "SELECT " OP_COLS " FROM ops "
				 "WHERE hlc >= ?1 AND hlc < ?2 "
				 "ORDER BY hlc, site, seq";
static const char SQL_REVIEW_OF[] =
    "SELECT eid FROM review WHERE id = ?1 AND etype = 'customer'";

struct strs {
	char **v;
	size_t n;
};

static const char *strs_keep(struct strs *s, char *str)
{
	char **grown;

	if (str == NULL)
		return NULL;
	grown = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (grown == NULL) {
		free(str);
		return NULL;
	}
	s->v = grown;
	s->v[s->n++] = str;
	return str;
}

static void strs_free(struct strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static const struct aop *sort_base;

static int ent_order(const void *a, const void *b)
{
	const struct aop *x = &sort_base[*(const size_t *)a];
	const struct aop *y = &sort_base[*(const size_t *)b];
	int c;

	if ((c = strcmp(x->etype, y->etype)) != 0)
		return c;
	if ((c = strcmp(x->eid, y->eid)) != 0)
		return c;
	return aop_cmp(x, y);
}

/* The customer of a group: the entity itself, a follow-up's or order's
 * customer (from its create), a review item's customer. *out NULL when
 * none; the string is kept in keep. */
static int group_customer(const char **out, struct actx *c, struct strs *keep,
			  const struct aop *e, size_t ne, const char *etype,
			  const char *eid)
{
	sqlite3_stmt *st = NULL;
	const char *named;
	char *cust = NULL;
	tsm_json *v = NULL;
	size_t i;
	int err = 0, rc;

	*out = NULL;
	if (strcmp(etype, "customer") == 0) {
		*out = eid;
		return 0;
	}
	/* a follow-up's or order's create names its customer; a review
	 * resolution names the entity of its item */
	for (i = 0; i < ne && cust == NULL && err == 0; i++) {
		int create = strcmp(e[i].action, "create") == 0;
		int resolve = strcmp(e[i].action, "resolve") == 0;

		if ((!create && !resolve) || e[i].value == NULL ||
		    tsm_json_parse(&v, e[i].value, strlen(e[i].value)) < 0)
			continue;
		named = NULL;
		if (create && (strcmp(etype, "followup") == 0 ||
			       strcmp(etype, "order") == 0))
			named = tsm_json_string(tsm_json_get(v, "customer"));
		else if (resolve && strcmp(etype, "review") == 0 &&
			 tsm_json_string(tsm_json_get(v, "etype")) &&
			 strcmp(tsm_json_string(tsm_json_get(v, "etype")),
				"customer") == 0)
			named = tsm_json_string(tsm_json_get(v, "eid"));
		if (named && (cust = strdup(named)) == NULL)
			err = oom();
		tsm_json_free(v);
		v = NULL;
	}
	if (err == 0 && cust == NULL && strcmp(etype, "review") == 0) {
		if ((err = prep(&st, c->db, SQL_REVIEW_OF)) < 0)
			return err;
		sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			err = col_dup(&cust, st, 0);
		else if (rc != SQLITE_DONE)
			err = tsm_error_sqlite(c->db, rc, "read review item");
		sqlite3_finalize(st);
	}
	if (err < 0) {
		free(cust);
		return err;
	}
	if (cust && (*out = strs_keep(keep, cust)) == NULL)
		return oom();
	return 0;
}

/* Fills in old values and customers of the period's ops, entity by
 * entity. */
static int period_context(struct actx *c, struct oplist *l, struct strs *keep)
{
	struct oplist e = {NULL, 0, 0};
	const char *cust;
	size_t *ix, i, j, k;
	int err = 0;

	ix = malloc((l->n + 1) * sizeof(*ix));
	if (ix == NULL)
		return oom();
	for (i = 0; i < l->n; i++)
		ix[i] = i;
	sort_base = l->v;
	qsort(ix, l->n, sizeof(*ix), ent_order);
	for (i = 0; i < l->n; i = j) {
		struct aop *first = &l->v[ix[i]];

		for (j = i + 1; j < l->n; j++) {
			struct aop *o = &l->v[ix[j]];

			if (strcmp(o->etype, first->etype) != 0 ||
			    strcmp(o->eid, first->eid) != 0)
				break;
		}
		if ((err = load_entity(&e, c->db, c->entity, first->etype,
				       first->eid)) < 0 ||
		    (err = compute_olds(e.v, e.n)) < 0 ||
		    (err = group_customer(&cust, c, keep, e.v, e.n,
					  first->etype, first->eid)) < 0)
			break;
		if (cust && cust == first->eid &&
		    (cust = strs_keep(keep, strdup(first->eid))) == NULL) {
			err = oom();
			break;
		}
		/* both runs are in key order */
		for (k = 0; i < j; i++) {
			struct aop *o = &l->v[ix[i]];

			o->customer = cust;
			while (k < e.n && aop_cmp(&e.v[k], o) < 0)
				k++;
			if (k < e.n && e.v[k].seq == o->seq &&
			    strcmp(e.v[k].site, o->site) == 0 && e.v[k].old) {
				o->old = e.v[k].old;
				e.v[k].old = NULL;
			}
		}
		oplist_free(&e);
	}
	oplist_free(&e);
	free(ix);
	return err;
}

static int put_jbuf(void *ud, const char *p, size_t n)
{
	tsm_jbuf_put(ud, p, n);
	return 0;
}

/* Writes s as one CSV field, guarded against formula injection (a name
 * or note typed by anyone ends up in a manager's spreadsheet). */
static void csv_field(tsm_jbuf *b, const char *s)
{
	if (s != NULL)
		tsm_text_csv_field(put_jbuf, b, s, strlen(s), ',', 1);
}

/* A value for a CSV cell: a JSON string as its text, other JSON as is,
 * null as empty. */
static int csv_value(tsm_jbuf *b, const char *json)
{
	tsm_json *v = NULL;
	const char *s;

	if (json == NULL)
		return 0;
	if (tsm_json_parse(&v, json, strlen(json)) == 0 &&
	    (s = tsm_json_string(v)) != NULL)
		csv_field(b, s);
	else
		csv_field(b, json);
	tsm_json_free(v);
	return 0;
}

static const char CSV_HEADER[] =
    "id,time,hlc,member,name,role,site,seq,etype,eid,customer,action,"
    "field,old,new,status,reason,batch,signature\n";

static void row_csv(tsm_jbuf *b, const tsm_audit_row *r)
{
	char iso[TSM_WHEN_FORMAT_MAX], hex[17];

	if (tsm_when_format_iso(iso, sizeof(iso), r->at) < 0)
		snprintf(iso, sizeof(iso), "%" PRId64, r->at);
	snprintf(hex, sizeof(hex), "%016" PRIx64, r->hlc);
	csv_field(b, r->id);
	tsm_jbuf_putc(b, ',');
	csv_field(b, iso);
	tsm_jbuf_putc(b, ',');
	csv_field(b, hex);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->author);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->name);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->role);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->site);
	tsm_jbuf_putc(b, ',');
	tsm_jbuf_int(b, r->seq);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->etype);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->eid);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->customer);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->action);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->field);
	tsm_jbuf_putc(b, ',');
	csv_value(b, r->old_value);
	tsm_jbuf_putc(b, ',');
	csv_value(b, r->new_value);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->status);
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->reason);
	tsm_jbuf_putc(b, ',');
	if (r->batch[0])
		csv_field(b, r->batch);
	else if (strcmp(r->signature, TSM_AUDIT_SIG_OWN) == 0)
		csv_field(b, "local, unsynced");
	tsm_jbuf_putc(b, ',');
	csv_field(b, r->signature);
	tsm_jbuf_putc(b, '\n');
}

static void hex_of(char *out, const unsigned char *bin, size_t len)
{
	sodium_bin2hex(out, 2 * len + 1, bin, len);
}

/* The text the digest line's signature covers. */
static int digest_message(char *out, size_t cap, const char *member,
			  const char *site, const char *key, const char *hash)
{
	int n = snprintf(out, cap, "%s member=%s site=%s key=%s blake2b=%s",
			 DIGEST_PREFIX, member, site, key, hash);

	return n > 0 && (size_t)n < cap ? n : -1;
}

static int team_id(char *out, size_t cap, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	int err, rc;

	out[0] = '\0';
	if ((err = prep(&st, db, "SELECT id FROM team ORDER BY id LIMIT 1")) <
	    0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (s = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, cap, "%s", (const char *)s);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "read team");
	sqlite3_finalize(st);
	return err;
}

int tsm_audit_export(char **out, size_t *len, tsm_store *store, int64_t from,
		     int64_t to, int format)
{
	struct oplist l = {NULL, 0, 0};
	struct strs keep = {NULL, 0};
	tsm_audit_row *rows = NULL;
	unsigned char hash[32], sig[crypto_sign_BYTES], *sk = NULL;
	char hhex[65], khex[65], shex[2 * crypto_sign_BYTES + 1];
	char msg[512], team[64];
	sqlite3_stmt *st = NULL;
	struct actx c;
	size_t n = 0, i;
	tsm_jbuf b;
	int err, mlen;

	*out = NULL;
	*len = 0;
	tsm_jbuf_init(&b);
	if (format != TSM_AUDIT_CSV && format != TSM_AUDIT_JSON)
		return tsm_error_set(TSM_EINVALID, "unknown export format");
	if (from < 0 || to < 0 || (to && to <= from))
		return tsm_error_set(TSM_EINVALID, "empty or invalid period");
	if ((err = actx_open(&c, store)) < 0)
		goto done;
	if (!c.have_me) {
		err = tsm_error_set(TSM_ENOTFOUND, "this store has no identity "
						   "to sign the export with");
		goto done;
	}
	if ((err = team_id(team, sizeof(team), c.db)) < 0)
		goto done;
	if ((err = prep(&st, c.db, SQL_PERIOD)) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)tsm_hlc_pack(from, 0));
	sqlite3_bind_int64(st, 2,
			   to ? (sqlite3_int64)tsm_hlc_pack(to, 0) : INT64_MAX);
	if ((err = load_rows(&l, c.db, st)) < 0 ||
	    (err = period_context(&c, &l, &keep)) < 0 ||
	    (err = to_rows(&rows, &n, &c, &l)) < 0)
		goto done;
	if (format == TSM_AUDIT_CSV) {
		tsm_jbuf_puts(&b, CSV_HEADER);
		for (i = 0; i < n; i++)
			row_csv(&b, &rows[i]);
	} else {
		tsm_jbuf_puts(&b, "{\"format\":\"tsm-audit-export\","
				  "\"version\":1");
		put_kv(&b, "team", team[0] ? team : NULL, 0);
		tsm_jbuf_puts(&b, ",\"from\":");
		if (from)
			put_time(&b, from);
		else
			tsm_jbuf_puts(&b, "null");
		tsm_jbuf_puts(&b, ",\"to\":");
		if (to)
			put_time(&b, to);
		else
			tsm_jbuf_puts(&b, "null");
		tsm_jbuf_puts(&b, ",\"exported_at\":");
		put_time(&b, tsm_clock_now_ms());
		put_kv(&b, "member", c.me.member, 0);
		put_kv(&b, "site", c.me.site, 0);
		tsm_jbuf_puts(&b, ",\"rows\":");
		rows_json(&b, rows, n);
		tsm_jbuf_puts(&b, ",\n");
	}
	if (b.err) {
		err = oom();
		goto done;
	}
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)b.buf,
			   b.len, NULL, 0);
	hex_of(hhex, hash, sizeof(hash));
	hex_of(khex, c.me.sign_pk, sizeof(c.me.sign_pk));
	mlen = digest_message(msg, sizeof(msg), c.me.member, c.me.site, khex,
			      hhex);
	if (mlen < 0) {
		err = tsm_error_set(TSM_EINVALID, "member id too long");
		goto done;
	}
	if ((err = tsm_identity_sign_sk(&sk, store)) < 0)
		goto done;
	if (crypto_sign_detached(sig, NULL, (const unsigned char *)msg,
				 (unsigned long long)mlen, sk) != 0) {
		err = tsm_error_set(TSM_ERROR, "cannot sign the export");
		goto done;
	}
	hex_of(shex, sig, sizeof(sig));
	if (format == TSM_AUDIT_CSV) {
		tsm_jbuf_puts(&b, "# " DIGEST_PREFIX " member=");
		tsm_jbuf_puts(&b, c.me.member);
		tsm_jbuf_puts(&b, " site=");
		tsm_jbuf_puts(&b, c.me.site);
		tsm_jbuf_puts(&b, " key=");
		tsm_jbuf_puts(&b, khex);
		tsm_jbuf_puts(&b, " blake2b=");
		tsm_jbuf_puts(&b, hhex);
		tsm_jbuf_puts(&b, " sig=");
		tsm_jbuf_puts(&b, shex);
		tsm_jbuf_putc(&b, '\n');
	} else {
		tsm_jbuf_puts(&b, JSON_LINE_PREFIX "\"member\":\"");
		tsm_jbuf_puts(&b, c.me.member);
		tsm_jbuf_puts(&b, "\",\"site\":\"");
		tsm_jbuf_puts(&b, c.me.site);
		tsm_jbuf_puts(&b, "\",\"key\":\"");
		tsm_jbuf_puts(&b, khex);
		tsm_jbuf_puts(&b, "\",\"blake2b\":\"");
		tsm_jbuf_puts(&b, hhex);
		tsm_jbuf_puts(&b, "\",\"sig\":\"");
		tsm_jbuf_puts(&b, shex);
		tsm_jbuf_puts(&b, "\"}}\n");
	}
	if (b.err) {
		err = oom();
		goto done;
	}
	*out = tsm_jbuf_detach(&b, len);
done:
	sodium_memzero(msg, sizeof(msg));
	tsm_identity_secret_free(sk);
	tsm_jbuf_dispose(&b);
	sqlite3_finalize(st);
	tsm_audit_rows_free(rows, n);
	strs_free(&keep);
	oplist_free(&l);
	actx_close(&c);
	return err;
}

/* ---- checking an export ---- */

/* Consumes the literal lit at *p. */
static int take(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* Copies bytes of [a-z0-9._-] at *p up to stop into out (cap with NUL). */
static int word(const char **p, const char *end, char stop, char *out,
		size_t cap)
{
	size_t n = 0;

	while (*p < end && **p != stop) {
		char ch = **p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return -1;
		if (n + 1 >= cap)
			return -1;
		out[n++] = ch;
		(*p)++;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

static int lower_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int bad_export(const char *why)
{
	return tsm_error_set(TSM_ECORRUPT, "the export does not verify: %s",
			     why);
}

/* Parses the digest line [p, end) into out and sig (hex). */
static int parse_digest(tsm_audit_check *out, char *sig, const char *p,
			const char *end)
{
	int json;

	if (take(&p, end, CSV_LINE_PREFIX) == 0)
		json = 0;
	else if (take(&p, end, JSON_LINE_PREFIX) == 0)
		json = 1;
	else
		return bad_export("its last line is not a tsm audit digest");
	out->format = json ? TSM_AUDIT_JSON : TSM_AUDIT_CSV;
	if (take(&p, end, json ? "\"member\":\"" : "member=") < 0 ||
	    word(&p, end, json ? '"' : ' ', out->member, sizeof(out->member)) <
		0 ||
	    take(&p, end, json ? "\",\"site\":\"" : " site=") < 0 ||
	    word(&p, end, json ? '"' : ' ', out->site, sizeof(out->site)) < 0 ||
	    take(&p, end, json ? "\",\"key\":\"" : " key=") < 0 ||
	    word(&p, end, json ? '"' : ' ', out->key, sizeof(out->key)) < 0 ||
	    take(&p, end, json ? "\",\"blake2b\":\"" : " blake2b=") < 0 ||
	    word(&p, end, json ? '"' : ' ', out->blake2b,
		 sizeof(out->blake2b)) < 0 ||
	    take(&p, end, json ? "\",\"sig\":\"" : " sig=") < 0 ||
	    word(&p, end, json ? '"' : '\0', sig, 2 * crypto_sign_BYTES + 1) <
		0 ||
	    (json && take(&p, end, "\"}}") < 0) || p != end)
		return bad_export("malformed digest line");
	if (!tsm_member_id_valid(out->member) ||
	    !lower_hex(out->site, TSM_SITE_LEN) || !lower_hex(out->key, 64) ||
	    !lower_hex(out->blake2b, 64) ||
	    !lower_hex(sig, 2 * crypto_sign_BYTES))
		return bad_export("malformed digest line");
	return 0;
}

/* Whether this replica knows key as a site key of member: its own, or in a
 * member grant of the op log. Fills name and role from the roster. */
static int key_known(tsm_audit_check *out, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const char *s, *pk, *site;
	char khex[65];
	tsm_identity me;
	tsm_json *v = NULL;
	int err, rc;

	out->key_known = 0;
	if (tsm_identity_get(&me, store) == 0) {
		hex_of(khex, me.sign_pk, sizeof(me.sign_pk));
		if (strcmp(me.member, out->member) == 0 &&
		    strcmp(me.site, out->site) == 0 &&
		    strcmp(khex, out->key) == 0)
			out->key_known = 1;
	}
	if ((err = prep(&st, db,
			"SELECT value FROM ops WHERE etype = 'member' AND "
			"eid = ?1 AND action = 'grant' AND status <> "
			"'rejected'")) < 0)
		return err;
	sqlite3_bind_text(st, 1, out->member, -1, SQLITE_STATIC);
	rc = SQLITE_DONE;
	while (!out->key_known && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (s == NULL || tsm_json_parse(&v, s, strlen(s)) < 0)
			continue;
		pk = tsm_json_string(tsm_json_get(v, "sign_pk"));
		site = tsm_json_string(tsm_json_get(v, "site"));
		if (pk && site && strcmp(pk, out->key) == 0 &&
		    strcmp(site, out->site) == 0)
			out->key_known = 1;
		tsm_json_free(v);
		v = NULL;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "read member grants");
	sqlite3_finalize(st);
	if (err < 0)
		return err;
	if ((err = prep(&st, db,
			"SELECT name, role FROM members WHERE id = ?1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, out->member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		snprintf(out->name, sizeof(out->name), "%s", s ? s : "");
		s = (const char *)sqlite3_column_text(st, 1);
		snprintf(out->role, sizeof(out->role), "%s", s ? s : "");
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read member");
	}
	sqlite3_finalize(st);
	return err;
}

int tsm_audit_check_export(tsm_audit_check *out, tsm_store *store,
			   const char *buf, size_t len)
{
	unsigned char hash[32], pk[32], sig[crypto_sign_BYTES];
	char sighex[2 * crypto_sign_BYTES + 1], hhex[65], msg[512];
	size_t start, got = 0;
	int mlen, err;

	memset(out, 0, sizeof(*out));
	if (len == 0 || buf[len - 1] != '\n')
		return bad_export("it does not end with a digest line");
	for (start = len - 1; start > 0 && buf[start - 1] != '\n'; start--)
		;
	if ((err = parse_digest(out, sighex, buf + start, buf + len - 1)) < 0)
		return err;
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)buf,
			   start, NULL, 0);
	hex_of(hhex, hash, sizeof(hash));
	if (sodium_memcmp(hhex, out->blake2b, 64) != 0)
		return bad_export("its content does not match the digest "
				  "(edited after export)");
	if (sodium_hex2bin(pk, sizeof(pk), out->key, 64, NULL, &got, NULL) !=
		0 ||
	    got != sizeof(pk) ||
	    sodium_hex2bin(sig, sizeof(sig), sighex, sizeof(sighex) - 1, NULL,
			   &got, NULL) != 0 ||
	    got != sizeof(sig))
		return bad_export("malformed digest line");
	mlen = digest_message(msg, sizeof(msg), out->member, out->site,
			      out->key, out->blake2b);
	if (mlen < 0 ||
	    crypto_sign_verify_detached(sig, (const unsigned char *)msg,
					(unsigned long long)mlen, pk) != 0)
		return bad_export("bad signature on the digest");
	if (store && (err = key_known(out, store)) < 0)
		return err;
	if (!out->key_known)
		return tsm_error_set(TSM_EAUTH,
				     "the signature is valid, but this replica "
				     "does not know key %.16s... as a key of "
				     "member %s (site %s)",
				     out->key, out->member, out->site);
	return 0;
}

/* ---- the ops held against a signed batch ---- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts ids[0..n) and drops repeats; returns the new count. */
static size_t sort_unique(char **ids, size_t n)
{
	size_t i, k = 0;

	if (n > 1)
		qsort(ids, n, sizeof(*ids), str_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(ids[k - 1], ids[i]) != 0)
			ids[k++] = ids[i];
	return k;
}

/* Whether the stored supersedes text (ids one space apart) and the
 * payload's array name the same set of ids. */
static int same_supersedes(const char *stored, const tsm_json *arr)
{
	size_t n = 0, m = 0, i, cap = tsm_json_count(arr) + 1;
	char **a = NULL, **b = NULL, *copy = NULL, *p, *sp;
	const tsm_json *it;
	int same = 0;

	if (tsm_json_type(arr) != TSM_JSON_ARRAY)
		return 0;
	for (p = (char *)stored; *p; p++)
		cap += *p == ' ';
	a = calloc(cap, sizeof(*a));
	b = calloc(cap, sizeof(*b));
	copy = strdup(stored);
	if (a == NULL || b == NULL || copy == NULL)
		goto done;
	for (p = copy; *p; p = sp) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		sp = strchr(p, ' ');
		if (sp)
			*sp++ = '\0';
		else
			sp = p + strlen(p);
		a[n++] = p;
	}
	for (it = tsm_json_first(arr); it; it = tsm_json_next(it)) {
		if (tsm_json_string(it) == NULL)
			goto done;
		b[m++] = (char *)tsm_json_string(it);
	}
	n = sort_unique(a, n);
	m = sort_unique(b, m);
	if (n != m)
		goto done;
	for (i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			goto done;
	same = 1;
done:
	free(a);
	free(b);
	free(copy);
	return same;
}

static int text_eq(const unsigned char *stored, const tsm_json *v)
{
	const char *s = tsm_json_string(v);

	return s && stored && strcmp((const char *)stored, s) == 0;
}

/* Compares one stored op (a row of SQL_MATCH) with a payload op; NULL
 * when equal, else what differs. */
static const char *op_differs(sqlite3_stmt *st, const tsm_json *o)
{
	const unsigned char *sv = sqlite3_column_text(st, 7);
	const char *hex = tsm_json_string(tsm_json_get(o, "hlc"));
	const tsm_json *v = tsm_json_get(o, "value");
	char want[17], *canon = NULL;
	int same;

	snprintf(want, sizeof(want), "%016" PRIx64,
		 (uint64_t)sqlite3_column_int64(st, 1));
	if (hex == NULL || strcmp(hex, want) != 0)
		return "clock";
	if (!text_eq(sqlite3_column_text(st, 2), tsm_json_get(o, "author")))
		return "author";
	if (!text_eq(sqlite3_column_text(st, 3), tsm_json_get(o, "etype")) ||
	    !text_eq(sqlite3_column_text(st, 4), tsm_json_get(o, "eid")))
		return "entity";
	if (!text_eq(sqlite3_column_text(st, 5), tsm_json_get(o, "action")))
		return "action";
	if (!text_eq(sqlite3_column_text(st, 6), tsm_json_get(o, "field")))
		return "field";
	if (v == NULL)
		return "value";
	if (tsm_json_type(v) == TSM_JSON_NULL) {
		if (sv != NULL)
			return "value";
	} else {
		if (sv == NULL || tsm_json_print(&canon, v) < 0)
			return "value";
		same = strcmp(canon, (const char *)sv) == 0;
		free(canon);
		if (!same)
			return "value";
	}
	if (!same_supersedes((const char *)sqlite3_column_text(st, 8),
			     tsm_json_get(o, "supersedes")))
		return "supersedes";
	return NULL;
}

static const char SQL_MATCH[] =
    "SELECT seq, hlc, author, etype, eid, action, field, value, "
    "supersedes FROM ops WHERE site = ?1 AND seq BETWEEN ?2 AND ?3 "
    "ORDER BY seq";

int tsm_audit_ops_match(tsm_store *store, const char *site, int64_t first,
			int64_t last, const char *payload, size_t len)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const tsm_json *o;
	tsm_json *arr = NULL;
	const char *what;
	int64_t seq, pseq;
	int err, rc;

	if (tsm_json_parse(&arr, payload, len) < 0 ||
	    tsm_json_type(arr) != TSM_JSON_ARRAY)
		return tsm_error_set(TSM_ECORRUPT, "the batch is not an op "
						   "set");
	if ((err = prep(&st, db, SQL_MATCH)) < 0)
		goto done;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, last);
	o = tsm_json_first(arr);
	for (seq = first; seq <= last; seq++, o = o ? tsm_json_next(o) : NULL) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			err = tsm_error_sqlite(db, rc, "read ops");
			goto done;
		}
		if (o == NULL ||
		    tsm_json_int(&pseq, tsm_json_get(o, "seq")) < 0 ||
		    pseq != seq) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "the batch lacks op %s:%" PRId64,
					    site, seq);
			goto done;
		}
		if (rc == SQLITE_DONE || sqlite3_column_int64(st, 0) != seq) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "op %s:%" PRId64 " of the signed "
					    "batch is missing here",
					    site, seq);
			goto done;
		}
		if ((what = op_differs(st, o)) != NULL) {
			err =
			    tsm_error_set(TSM_ECORRUPT,
					  "op %s:%" PRId64 " held here differs "
					  "from the signed batch (%s)",
					  site, seq, what);
			goto done;
		}
	}
	if (o != NULL)
		err = tsm_error_set(TSM_ECORRUPT, "the batch holds more ops "
						  "than its range");
done:
	sqlite3_finalize(st);
	tsm_json_free(arr);
	return err;
}
