/* core/ops.c — the operation log: appending local ops, applying op sets from
 * other replicas, recomputing the entities they touch (the folds live in
 * core/merge*.c), export, listing, and the state hash. */
#include "ops_internal.h"

#include "error.h"
#include "hlc.h"
#include "store_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct arena_chunk {
	arena_chunk *next;
	size_t used;
	size_t cap;
	size_t pad; /* keeps data 16-byte aligned */
	unsigned char data[];
};

_Static_assert(sizeof(arena_chunk) % 16 == 0, "arena chunk alignment");

void *arena_alloc(arena *a, size_t n)
{
	arena_chunk *ch = a->head;
	size_t cap;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (ch == NULL || ch->used + n > ch->cap) {
		cap = ch ? ch->cap * 2 : 8192;
		if (cap > (1u << 20))
			cap = 1u << 20;
		if (cap < n)
			cap = n;
		ch = malloc(sizeof(*ch) + cap);
		if (ch == NULL)
			return NULL;
		ch->used = 0;
		ch->cap = cap;
		ch->next = a->head;
		a->head = ch;
	}
	p = ch->data + ch->used;
	ch->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

void arena_free(arena *a)
{
	arena_chunk *ch = a->head, *next;

	while (ch) {
		next = ch->next;
		free(ch);
		ch = next;
	}
	a->head = NULL;
}

/* ---- strmap ---- */

static size_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

static int strmap_grow(strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16, i, h;
	char **keys = calloc(cap, sizeof(*keys));
	void **vals = calloc(cap, sizeof(*vals));

	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		h = str_hash(m->keys[i]) & (cap - 1);
		while (keys[h])
			h = (h + 1) & (cap - 1);
		keys[h] = m->keys[i];
		vals[h] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

void **strmap_slot(strmap *m, const char *key, int *fresh)
{
	size_t h;

	if (fresh)
		*fresh = 0;
	if ((m->n + 1) * 2 > m->cap && strmap_grow(m) < 0)
		return NULL;
	h = str_hash(key) & (m->cap - 1);
	while (m->keys[h] && strcmp(m->keys[h], key) != 0)
		h = (h + 1) & (m->cap - 1);
	if (m->keys[h] == NULL) {
		m->keys[h] = arena_strdup(&m->mem, key);
		if (m->keys[h] == NULL)
			return NULL;
		m->vals[h] = NULL;
		m->n++;
		if (fresh)
			*fresh = 1;
	}
	return &m->vals[h];
}

void *strmap_get(const strmap *m, const char *key)
{
	size_t h;

	if (m->cap == 0)
		return NULL;
	h = str_hash(key) & (m->cap - 1);
	while (m->keys[h]) {
		if (strcmp(m->keys[h], key) == 0)
			return m->vals[h];
		h = (h + 1) & (m->cap - 1);
	}
	return NULL;
}

int strmap_has(const strmap *m, const char *key)
{
	size_t h;

	if (m->cap == 0)
		return 0;
	h = str_hash(key) & (m->cap - 1);
	while (m->keys[h]) {
		if (strcmp(m->keys[h], key) == 0)
			return 1;
		h = (h + 1) & (m->cap - 1);
	}
	return 0;
}

void strmap_free(strmap *m)
{
	free(m->keys);
	free(m->vals);
	arena_free(&m->mem);
	memset(m, 0, sizeof(*m));
}

/* Collects a map's keys (borrowed) sorted bytewise into a new array. */
static int keycmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **strmap_keys(const strmap *m, size_t *n)
{
	char **keys = malloc((m->n ? m->n : 1) * sizeof(*keys));
	size_t i, k = 0;

	if (keys == NULL)
		return NULL;
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			keys[k++] = m->keys[i];
	qsort(keys, k, sizeof(*keys), keycmp);
	*n = k;
	return keys;
}

/* ---- opidset ---- */

static uint64_t site_bits(const char *site)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < TSM_SITE_LEN && site[i]; i++)
		v = (v << 4) |
		    (uint64_t)(site[i] <= '9' ? site[i] - '0'
					      : (site[i] | 0x20) - 'a' + 10);
	return v;
}

static size_t opid_hash(uint64_t site, int64_t seq)
{
	uint64_t h = (site ^ ((uint64_t)seq * 0x9E3779B97F4A7C15ULL)) *
		     0xBF58476D1CE4E5B9ULL;

	return (size_t)(h ^ (h >> 31));
}

static int opidset_grow(opidset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64, i, h;
	struct opid_slot *v = calloc(cap, sizeof(*v));

	if (v == NULL)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (s->slots[i].seq == 0)
			continue;
		h = opid_hash(s->slots[i].site, s->slots[i].seq) & (cap - 1);
		while (v[h].seq)
			h = (h + 1) & (cap - 1);
		v[h] = s->slots[i];
	}
	free(s->slots);
	s->slots = v;
	s->cap = cap;
	return 0;
}

int opidset_reserve(opidset *s, size_t n)
{
	while (s->cap < 2 * n)
		if (opidset_grow(s) < 0)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
	return 0;
}

int opidset_add(opidset *s, const char *site, int64_t seq)
{
	uint64_t b = site_bits(site);
	size_t h;

	if ((s->n + 1) * 2 > s->cap && opidset_grow(s) < 0)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	h = opid_hash(b, seq) & (s->cap - 1);
	while (s->slots[h].seq &&
	       (s->slots[h].site != b || s->slots[h].seq != seq))
		h = (h + 1) & (s->cap - 1);
	if (s->slots[h].seq == 0) {
		s->slots[h].site = b;
		s->slots[h].seq = seq;
		s->n++;
	}
	return 0;
}

int opidset_has(const opidset *s, const char *site, int64_t seq)
{
	uint64_t b;
	size_t h;

	if (s->n == 0)
		return 0;
	b = site_bits(site);
	h = opid_hash(b, seq) & (s->cap - 1);
	while (s->slots[h].seq) {
		if (s->slots[h].site == b && s->slots[h].seq == seq)
			return 1;
		h = (h + 1) & (s->cap - 1);
	}
	return 0;
}

void opidset_free(opidset *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* ---- op ids and records ---- */

static int is_hex16(const char *s)
{
	int i;

	for (i = 0; i < TSM_SITE_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[TSM_SITE_LEN] == '\0';
}

char *tsm_opid_format(char *out, const tsm_opid *id)
{
	snprintf(out, TSM_OPID_MAX, "%s:%" PRId64, id->site, id->seq);
	return out;
}

int tsm_opid_parse(tsm_opid *out, const char *text)
{
	const char *p;
	int64_t v = 0;

	if (text == NULL || strlen(text) < TSM_SITE_LEN + 2 ||
	    text[TSM_SITE_LEN] != ':')
		goto bad;
	memcpy(out->site, text, TSM_SITE_LEN);
	out->site[TSM_SITE_LEN] = '\0';
	if (!is_hex16(out->site))
		goto bad;
	p = text + TSM_SITE_LEN + 1;
	if (*p == '0')
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > TSM_JSON_INT_MAX / 10)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	if (v < 1)
		goto bad;
	out->seq = v;
	return 0;
bad:
	return tsm_error_set(TSM_EINVALID, "invalid op id '%s'",
			     text ? text : "");
}

int op_cmp(const oprec *a, const oprec *b)
{
	int c;

	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	if ((c = strcmp(a->site, b->site)) != 0)
		return c;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

const tsm_json *op_val(oprec *op)
{
	if (!op->val_done) {
		op->val_done = 1;
		if (op->value &&
		    tsm_json_parse(&op->val, op->value, strlen(op->value)) < 0)
			op->val = NULL;
	}
	return op->val;
}

/* ---- statements ---- */

/* Prepared statements, kept per connection and found by the address of
 * their SQL text (string literals of core). A cache belongs to its
 * connection through a registered function whose destructor SQLite calls
 * when the connection closes (after the store has finalized every
 * statement), so no cache outlives its connection. */
#define STMT_CACHE_MAX 160

struct stmt_cache {
	sqlite3 *db;
	size_t n;
	struct stmt_cache *next;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} e[STMT_CACHE_MAX];
};

static struct stmt_cache *stmt_caches;
static pthread_mutex_t stmt_caches_mu = PTHREAD_MUTEX_INITIALIZER;

static void stmt_cache_destroy(void *p)
{
	struct stmt_cache **pp;

	pthread_mutex_lock(&stmt_caches_mu);
	for (pp = &stmt_caches; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = ((struct stmt_cache *)p)->next;
			break;
		}
	}
	pthread_mutex_unlock(&stmt_caches_mu);
	free(p);
}

static void stmt_cache_fn(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	(void)argc;
	(void)v;
	sqlite3_result_null(ctx);
}

static struct stmt_cache *stmt_cache_get(sqlite3 *db)
{
	struct stmt_cache *c;
	int rc;

	pthread_mutex_lock(&stmt_caches_mu);
	for (c = stmt_caches; c && c->db != db; c = c->next)
		;
	pthread_mutex_unlock(&stmt_caches_mu);
	if (c)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		tsm_error_set(TSM_ENOMEM, "out of memory");
		return NULL;
	}
	c->db = db;
	/* On failure SQLite calls the destructor itself. */
	rc = sqlite3_create_function_v2(db, "tsm_stmt_cache", 0, SQLITE_UTF8, c,
					stmt_cache_fn, NULL, NULL,
					stmt_cache_destroy);
	if (rc != SQLITE_OK) {
		tsm_error_sqlite(db, rc, "cache statements");
		return NULL;
	}
	pthread_mutex_lock(&stmt_caches_mu);
	c->next = stmt_caches;
	stmt_caches = c;
	pthread_mutex_unlock(&stmt_caches_mu);
	return c;
}

sqlite3_stmt *tsm_stmt(sqlite3 *db, const char *sql)
{
	struct stmt_cache *c = stmt_cache_get(db);
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++) {
		if (c->e[i].sql == sql) {
			st = c->e[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
				NULL);
	if (rc != SQLITE_OK) {
		tsm_error_sqlite(db, rc, "prepare statement");
		return NULL;
	}
	if (c->n == STMT_CACHE_MAX) {
		/* Full (a bug: core has fewer statements): do not leak. */
		sqlite3_finalize(st);
		tsm_error_set(TSM_ERROR, "statement cache full");
		return NULL;
	}
	c->e[c->n].sql = sql;
	c->e[c->n].st = st;
	c->n++;
	return st;
}

/* Resets every cached statement of db (ends read transactions). */
static void stmt_reset_all(sqlite3 *db)
{
	struct stmt_cache *c = stmt_cache_get(db);
	size_t i;

	for (i = 0; c && i < c->n; i++) {
		sqlite3_reset(c->e[i].st);
		sqlite3_clear_bindings(c->e[i].st);
	}
}

sqlite3_stmt *fc_stmt(fold_ctx *c, const char *sql)
{
	return tsm_stmt(c->db, sql);
}

int fc_done(fold_ctx *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(c->db, rc, what);
	return 0;
}

void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* ---- entity types and dirty marking ---- */

enum {
	ET_TEAM,
	ET_MEMBER,
	ET_REVIEW,
	ET_DNC,
	ET_CUSTOMER,
	ET_FOLLOWUP,
	ET_ORDER,
	ET_SCRIPT,
	ET_POLICY,
	ET_PRODUCT,
	ET_TARGET,
	ET_COUNT
};

/* In the order the folds run: the roster first (everything depends on
 * it), review resolutions before the items that look them up, the dnc
 * list before the customers it marks, customers before follow-ups and
 * orders (only through the log, not their rows). */
static const struct {
	const char *name;
	fold_fn fold;
} etypes[ET_COUNT] = {
    {"team", NULL},
    {"member", NULL},
    {"review", fold_review},
    {"dnc", fold_dnc},
    {"customer", fold_customer},
    {"followup", fold_followup},
    {"order", fold_order},
    {"script", fold_kv},
    {"policy", fold_kv},
    {"product", fold_kv},
    {"target", fold_kv},
};

static int etype_index(const char *etype)
{
	int i;

	for (i = 0; i < ET_COUNT; i++)
		if (strcmp(etypes[i].name, etype) == 0)
			return i;
	return -1;
}

int fc_dirty(fold_ctx *c, const char *etype, const char *eid)
{
	char key[512];
	int i = etype_index(etype);

	if (i == ET_TEAM || i == ET_MEMBER) {
		c->roster_dirty = 1;
		return 0;
	}
	if (i >= 0)
		return strmap_slot(&c->dirty[i], eid, NULL)
			   ? 0
			   : tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(key, sizeof(key), "%s\x1f%s", etype, eid);
	return strmap_slot(&c->dirty_other, key, NULL)
		   ? 0
		   : tsm_error_set(TSM_ENOMEM, "out of memory");
}

int fc_phone(fold_ctx *c, const char *phone, int old)
{
	void **slot;

	if (phone == NULL || *phone == '\0')
		return 0;
	if ((slot = strmap_slot(&c->phones, phone, NULL)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (old)
		*slot = (void *)1;
	return 0;
}

/* ---- the apply engine ---- */

static void ctx_init(fold_ctx *c, tsm_store *store)
{
	memset(c, 0, sizeof(*c));
	c->store = store;
	c->db = tsm_store_db(store);
	c->dnc_any = -1;
}

/* The new ops of an entity that had none before this call: its fold
 * takes them from memory instead of reading them back. */
struct fresh_ops {
	const oprec **ops;
	size_t n;
	size_t cap;
};

static void ctx_free(fold_ctx *c)
{
	size_t i, k;

	stmt_reset_all(c->db);
	for (i = 0; i < c->dncreg.cap; i++) {
		dnc_reg *r = c->dncreg.vals[i];

		if (c->dncreg.keys[i] && r && r->e) {
			ent_free(r->e);
			free(r->e);
		}
	}
	for (i = 0; i < ET_COUNT; i++) {
		for (k = 0; k < c->dirty[i].cap; k++) {
			struct fresh_ops *f = c->dirty[i].vals[k];

			if (c->dirty[i].keys[k] && f) {
				free(f->ops);
				free(f);
			}
		}
		strmap_free(&c->dirty[i]);
	}
	strmap_free(&c->dirty_other);
	opidset_free(&c->new_ids);
	strmap_free(&c->phones);
	strmap_free(&c->owner_chg);
	strmap_free(&c->unmerged);
	strmap_free(&c->access);
	strmap_free(&c->dncreg);
	roster_free(&c->roster);
	arena_free(&c->mem);
}

static const char SQL_INSERT_OP[] =
    "INSERT OR IGNORE INTO ops(site, seq, hlc, author, etype, eid, "
    "action, field, value, supersedes, ref) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/* The customer a follow-up or order create refers to, so that a change of
 * the customer's ownership finds them: into buf, or NULL. */
static const char *op_ref(const oprec *op, char *buf, size_t cap)
{
	const char *cust;
	tsm_json *v = NULL;
	int r;

	if (op->value == NULL || strcmp(op->action, "create") != 0 ||
	    (strcmp(op->etype, "followup") != 0 &&
	     strcmp(op->etype, "order") != 0))
		return NULL;
	r = tsm_json_peek_string(buf, cap, op->value, "customer");
	if (r >= 0)
		return r ? buf : NULL;
	if (tsm_json_parse(&v, op->value, strlen(op->value)) < 0)
		return NULL;
	cust = tsm_json_string(tsm_json_get(v, "customer"));
	r = cust && strlen(cust) < cap;
	if (r)
		memcpy(buf, cust, strlen(cust) + 1);
	tsm_json_free(v);
	return r ? buf : NULL;
}

static const char SQL_ENTITY_HELD[] =
    "SELECT 1 FROM ops WHERE etype = ?1 AND eid = ?2 LIMIT 1";

/* Whether the store holds an op of (etype, eid) yet. */
static int entity_held(fold_ctx *c, const oprec *op, int *out)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_ENTITY_HELD);
	int rc;

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, op->etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->eid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(c->db, rc, "find entity");
	*out = rc == SQLITE_ROW;
	return 0;
}

/* Marks the entity of a new op dirty, remembering the op when the entity
 * is fresh (held is what entity_held said before the op was stored). */
static int dirty_new(fold_ctx *c, int t, const oprec *op, int held)
{
	struct fresh_ops *f;
	const oprec **v;
	void **slot;
	int created;

	if ((slot = strmap_slot(&c->dirty[t], op->eid, &created)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (created && !held) {
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		*slot = f;
	}
	if ((f = *slot) == NULL)
		return 0;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		v = realloc(f->ops, f->cap * sizeof(*v));
		if (v == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		f->ops = v;
	}
	f->ops[f->n++] = op;
	return 0;
}

/* Stores op unless held already; *fresh says which. op must stay valid
 * until the call's recomputation is over. held_hint is whether the store
 * held an op of the entity before this call, when the caller asked
 * already, else -1. */
static int ctx_insert(fold_ctx *c, const oprec *op, int held_hint, int *fresh)
{
	sqlite3_stmt *st;
	char buf[256];
	const char *ref;
	int err, t = etype_index(op->etype), held = 1;

	*fresh = 0;
	/* First op of an entity in this call: is it fresh? */
	if (t >= ET_REVIEW && !strmap_has(&c->dirty[t], op->eid)) {
		if (held_hint >= 0)
			held = held_hint;
		else if ((err = entity_held(c, op, &held)) < 0)
			return err;
	}
	if ((st = fc_stmt(c, SQL_INSERT_OP)) == NULL)
		return tsm_error_last()->code;
	ref = op_ref(op, buf, sizeof(buf));
	sqlite3_bind_text(st, 1, op->site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, op->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)op->hlc);
	sqlite3_bind_text(st, 4, op->author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, op->etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, op->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, op->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, op->field, -1, SQLITE_STATIC);
	bind_str(st, 9, op->value);
	sqlite3_bind_text(st, 10, op->sup, -1, SQLITE_STATIC);
	bind_str(st, 11, ref);
	err = fc_done(c, st, "insert op");
	if (err < 0)
		return err;
	if (sqlite3_changes(c->db) == 0)
		return 0;
	*fresh = 1;
	if ((err = opidset_add(&c->new_ids, op->site, op->seq)) < 0)
		return err;
	if (t >= ET_REVIEW)
		err = dirty_new(c, t, op, held);
	else
		err = fc_dirty(c, op->etype, op->eid);
	if (err < 0)
		return err;
	if (strcmp(op->etype, "customer") == 0 &&
	    (strcmp(op->action, "create") == 0 ||
	     (strcmp(op->action, "set") == 0 &&
	      strcmp(op->field, "owner") == 0)) &&
	    !strmap_slot(&c->owner_chg, op->eid, NULL))
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	return 0;
}

static int run_fold(fold_ctx *c, const char *etype, const char *eid,
		    fold_fn fold, const struct fresh_ops *f)
{
	entity e;
	int err;

	memset(&e, 0, sizeof(e));
	err = f ? ent_from_ops(&e, etype, eid, f->ops, f->n)
		: ent_load(c, &e, etype, eid);
	if (err < 0)
		goto done;
	/* A fresh entity (all its ops are new) has no items yet. */
	if (!e.fresh && (err = review_clear(c, etype, eid)) < 0)
		goto done;
	if ((err = fold(c, &e)) < 0)
		goto done;
	err = ent_finish(c, &e);
done:
	ent_free(&e);
	return err;
}

static const char SQL_ALL_ENTITIES[] = "SELECT DISTINCT etype, eid FROM ops "
				       "WHERE etype NOT IN ('team', 'member')";
static const char SQL_BY_AUTHOR[] =
    "SELECT DISTINCT etype, eid FROM ops WHERE author = ?1 "
    "AND etype NOT IN ('team', 'member')";
static const char SQL_OWNERS_BY_AUTHOR[] =
    "SELECT DISTINCT eid FROM ops WHERE author = ?1 "
    "AND etype = 'customer' AND (action = 'create' OR field = 'owner')";
static const char SQL_BY_REF[] = "SELECT etype, eid FROM ops WHERE ref = ?1";

static int mark_rows(fold_ctx *c, sqlite3_stmt *st)
{
	int rc, err = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW && err == 0)
		err = fc_dirty(c, (const char *)sqlite3_column_text(st, 0),
			       (const char *)sqlite3_column_text(st, 1));
	if (err == 0 && rc != SQLITE_DONE)
		err = tsm_error_sqlite(c->db, rc, "find entities");
	sqlite3_reset(st);
	return err;
}

/* A member's roles changed: every op they wrote may change status, and
 * customers they created or assigned change who may touch their
 * follow-ups and orders. */
static int member_changed(fold_ctx *c, const char *member)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((st = fc_stmt(c, SQL_BY_AUTHOR)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	if ((err = mark_rows(c, st)) < 0)
		return err;
	if ((st = fc_stmt(c, SQL_OWNERS_BY_AUTHOR)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!strmap_slot(&c->owner_chg,
				 (const char *)sqlite3_column_text(st, 0),
				 NULL)) {
			sqlite3_reset(st);
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : tsm_error_sqlite(c->db, rc, "find ops");
}

/* The roster changed: recompute what depends on the members whose roles
 * changed (everything when the team itself did). */
static int roster_update(fold_ctx *c)
{
	sqlite3_stmt *st;
	roster old;
	int err, all;

	memset(&old, 0, sizeof(old));
	if ((err = roster_load(c, &old, 1)) < 0 ||
	    (err = roster_changes(c, &old, &all, member_changed)) < 0)
		goto done;
	if (all) {
		if ((st = fc_stmt(c, SQL_ALL_ENTITIES)) == NULL) {
			err = tsm_error_last()->code;
			goto done;
		}
		if ((err = mark_rows(c, st)) < 0)
			goto done;
	}
	err = roster_write(c);
done:
	roster_free(&old);
	return err;
}

/* Recomputes every dirty entity, in dependency order. */
static int ctx_run(fold_ctx *c)
{
	sqlite3_stmt *st;
	char **keys = NULL, *sep;
	size_t n, i;
	int err, t;

	if ((err = roster_load(c, &c->roster, 0)) < 0)
		return err;
	if (c->roster_dirty && (err = roster_update(c)) < 0)
		return err;
	/* A customer's creator or owner decides who may touch its
	 * follow-ups and orders. */
	if (c->owner_chg.n) {
		keys = strmap_keys(&c->owner_chg, &n);
		if (keys == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		for (i = 0; i < n && err == 0; i++) {
			if ((st = fc_stmt(c, SQL_BY_REF)) == NULL) {
				err = tsm_error_last()->code;
				break;
			}
			sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
			err = mark_rows(c, st);
		}
		free(keys);
		if (err < 0)
			return err;
	}
	for (t = ET_REVIEW; t < ET_COUNT; t++) {
		if (c->dirty[t].n == 0)
			continue;
		/* Sorted only so that a failure is reproducible; the result
		 * does not depend on the order. */
		keys = strmap_keys(&c->dirty[t], &n);
		if (keys == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		for (i = 0; i < n && err == 0; i++)
			err =
			    run_fold(c, etypes[t].name, keys[i], etypes[t].fold,
				     strmap_get(&c->dirty[t], keys[i]));
		free(keys);
		if (err < 0)
			return err;
	}
	if (c->dirty_other.n) {
		keys = strmap_keys(&c->dirty_other, &n);
		if (keys == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		for (i = 0; i < n && err == 0; i++) {
			sep = strchr(keys[i], '\x1f');
			*sep = '\0';
			err = run_fold(c, keys[i], sep + 1, fold_unknown, NULL);
			*sep = '\x1f';
		}
		free(keys);
		if (err < 0)
			return err;
	}
	/* Survivors first: duplicate groups count merged customers. */
	if ((err = survivors_fixup(c)) < 0)
		return err;
	return phones_regroup(c);
}

/* ---- applying op sets ---- */

static const char SQL_OPEN_REVIEWS[] =
    "SELECT count(*) FROM review WHERE status = 'open'";
static const char SQL_HAS_OP[] =
    "SELECT 1 FROM ops WHERE site = ?1 AND seq = ?2";

static int count_open(fold_ctx *c, size_t *out)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_OPEN_REVIEWS);
	int rc;

	if (st == NULL)
		return tsm_error_last()->code;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : tsm_error_sqlite(c->db, rc, "count");
}

static int rec_id_cmp(const void *a, const void *b)
{
	const oprec *x = *(const oprec *const *)a;
	const oprec *y = *(const oprec *const *)b;
	int c = strcmp(x->site, y->site);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sites whose seqs now have a hole below one of the new ops: sync
 * guarantees continuity, apply only notes it. One probe per run of
 * consecutive seqs, not per op. */
static int count_gaps(fold_ctx *c, oprec *ops, size_t n, size_t *gaps)
{
	oprec **v = malloc((n ? n : 1) * sizeof(*v));
	const char *gap_site = "";
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*gaps = 0;
	if (v == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		v[i] = &ops[i];
	qsort(v, n, sizeof(*v), rec_id_cmp);
	for (i = 0; i < n; i++) {
		if (v[i]->seq == 1 || strcmp(v[i]->site, gap_site) == 0 ||
		    (i > 0 && strcmp(v[i - 1]->site, v[i]->site) == 0 &&
		     v[i - 1]->seq >= v[i]->seq - 1))
			continue;
		if ((st = fc_stmt(c, SQL_HAS_OP)) == NULL) {
			free(v);
			return tsm_error_last()->code;
		}
		sqlite3_bind_text(st, 1, v[i]->site, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, v[i]->seq - 1);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE) {
			(*gaps)++;
			gap_site = v[i]->site;
		} else if (rc != SQLITE_ROW) {
			free(v);
			return tsm_error_sqlite(c->db, rc, "find gaps");
		}
	}
	free(v);
	return 0;
}

static int author_cmp(const void *a, const void *b)
{
	return strcmp(((const tsm_apply_author *)a)->member,
		      ((const tsm_apply_author *)b)->member);
}

void tsm_apply_stats_dispose(tsm_apply_stats *stats)
{
	if (stats == NULL)
		return;
	free(stats->authors);
	memset(stats, 0, sizeof(*stats));
}

int ops_apply_recs(tsm_apply_stats *out, tsm_store *store, oprec *ops, size_t n)
{
	tsm_apply_stats stats;
	strmap authors = {0};
	uint64_t clock, next;
	size_t before = 0, after = 0, i, k;
	int64_t now = tsm_clock_now_ms();
	fold_ctx c;
	void **slot;
	int err, fresh, began = 0, rc;

	memset(&stats, 0, sizeof(stats));
	ctx_init(&c, store);
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	began = 1;
	if ((err = tsm_hlc_load(&clock, c.db)) < 0 ||
	    (err = count_open(&c, &before)) < 0)
		goto done;
	stats.received = n;
	if ((err = opidset_reserve(&c.new_ids, n)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if ((err = ctx_insert(&c, &ops[i], -1, &fresh)) < 0)
			goto done;
		if (!fresh) {
			stats.duplicates++;
			continue;
		}
		stats.applied++;
		slot = strmap_slot(&authors, ops[i].author, NULL);
		if (slot == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		*slot = (void *)((uintptr_t)*slot + 1);
		if (tsm_hlc_recv(&next, clock, ops[i].hlc, now)) {
			stats.clock_warnings++;
			if ((err = tsm_hlc_warn(c.db, ops[i].site, ops[i].hlc,
						now)) < 0)
				goto done;
		}
		clock = next;
	}
	if ((err = count_gaps(&c, ops, n, &stats.gaps)) < 0)
		goto done;
	if ((err = tsm_hlc_save(c.db, clock)) < 0 || (err = ctx_run(&c)) < 0 ||
	    (err = count_open(&c, &after)) < 0)
		goto done;
	stats.rejected = c.new_rejected;
	stats.reviews_added = after > before ? after - before : 0;
	if (out && authors.n) {
		stats.authors = calloc(authors.n, sizeof(*stats.authors));
		if (stats.authors == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		for (i = 0, k = 0; i < authors.cap; i++) {
			if (authors.keys[i] == NULL)
				continue;
			snprintf(stats.authors[k].member, TSM_MEMBER_MAX, "%s",
				 authors.keys[i]);
			stats.authors[k++].ops =
			    (size_t)(uintptr_t)authors.vals[i];
		}
		stats.nauthors = k;
		qsort(stats.authors, k, sizeof(*stats.authors), author_cmp);
	}
done:
	ctx_free(&c);
	if (began) {
		rc = tsm_store_end(store, err == 0);
		if (err == 0)
			err = rc;
	}
	strmap_free(&authors);
	if (out && err == 0)
		*out = stats;
	else
		tsm_apply_stats_dispose(&stats);
	return err;
}

/* ---- validating ops ---- */

static int valid_word(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= max || !((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return 0;
	return i > 0;
}

/* min..max bytes without control characters. */
static int valid_text(const char *s, size_t min, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return i >= min;
}

static int check_names(const char *etype, const char *eid, const char *action,
		       const char *field)
{
	if (!valid_word(etype, 16))
		return tsm_error_set(TSM_EINVALID, "invalid entity type '%s'",
				     etype);
	if (!valid_text(eid, 1, 128))
		return tsm_error_set(TSM_EINVALID, "invalid entity id '%s'",
				     eid);
	if (!valid_word(action, 16))
		return tsm_error_set(TSM_EINVALID, "invalid action '%s'",
				     action);
	if (!valid_text(field, 0, 64))
		return tsm_error_set(TSM_EINVALID, "invalid field '%s'", field);
	return 0;
}

static int sup_cmp(const void *a, const void *b)
{
	const tsm_opid *x = a, *y = b;
	int c = strcmp(x->site, y->site);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Joins sorted, distinct ids as "site:seq site:seq" into the arena. */
static char *sup_join(arena *mem, tsm_opid *ids, size_t n)
{
	char id[TSM_OPID_MAX], *out, *p;
	size_t i, k;

	qsort(ids, n, sizeof(*ids), sup_cmp);
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || sup_cmp(&ids[k - 1], &ids[i]) != 0)
			ids[k++] = ids[i];
	out = arena_alloc(mem, k * TSM_OPID_MAX + 1);
	if (out == NULL)
		return NULL;
	for (i = 0, p = out; i < k; i++) {
		tsm_opid_format(id, &ids[i]);
		p += snprintf(p, TSM_OPID_MAX + 1, "%s%s", i ? " " : "", id);
	}
	*p = '\0';
	return out;
}

static const char *json_str_member(const tsm_json *o, const char *key)
{
	return tsm_json_string(tsm_json_get(o, key));
}

/* Reads one op object of a JSON op set into rec (strings in mem). */
static int parse_op(oprec *rec, const tsm_json *o, size_t ix, arena *mem)
{
	static const char *const keys[] = {
	    "site", "seq",    "hlc",   "author", "etype",
	    "eid",  "action", "field", "value",	 "supersedes"};
	const tsm_json *k, *v, *sup;
	const char *s;
	tsm_opid *ids = NULL;
	char *canon = NULL;
	size_t i, n;
	int64_t seq;
	uint64_t hlc = 0;
	int err;

	if (tsm_json_type(o) != TSM_JSON_OBJECT)
		return tsm_error_set(TSM_EINVALID, "op %zu: not an object", ix);
	for (k = tsm_json_first(o); k; k = tsm_json_next(k)) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(tsm_json_key(k), keys[i]) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return tsm_error_set(TSM_EINVALID,
					     "op %zu: unknown key '%s'", ix,
					     tsm_json_key(k));
	}
	if (tsm_json_count(o) != sizeof(keys) / sizeof(keys[0]))
		return tsm_error_set(TSM_EINVALID, "op %zu: missing keys", ix);
	s = json_str_member(o, "site");
	if (s == NULL || strlen(s) != TSM_SITE_LEN || !is_hex16(s))
		return tsm_error_set(TSM_EINVALID, "op %zu: invalid site", ix);
	memcpy(rec->site, s, TSM_SITE_LEN + 1);
	if (tsm_json_int(&seq, tsm_json_get(o, "seq")) < 0 || seq < 1)
		return tsm_error_set(TSM_EINVALID, "op %zu: invalid seq", ix);
	rec->seq = seq;
	s = json_str_member(o, "hlc");
	if (s == NULL || strlen(s) != 16 || !is_hex16(s))
		return tsm_error_set(TSM_EINVALID, "op %zu: invalid hlc", ix);
	for (i = 0; i < 16; i++)
		hlc = (hlc << 4) |
		      (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	if (hlc == 0 || hlc > (uint64_t)INT64_MAX)
		return tsm_error_set(TSM_EINVALID, "op %zu: invalid hlc", ix);
	rec->hlc = hlc;
	s = json_str_member(o, "author");
	if (!tsm_member_id_valid(s))
		return tsm_error_set(TSM_EINVALID, "op %zu: invalid author",
				     ix);
	rec->author = arena_strdup(mem, s);
	rec->etype = arena_strdup(mem, json_str_member(o, "etype"));
	rec->eid = arena_strdup(mem, json_str_member(o, "eid"));
	rec->action = arena_strdup(mem, json_str_member(o, "action"));
	rec->field = arena_strdup(mem, json_str_member(o, "field"));
	if (!rec->etype || !rec->eid || !rec->action || !rec->field)
		return tsm_error_set(TSM_EINVALID,
				     "op %zu: etype, eid, action and field "
				     "must be strings",
				     ix);
	if ((err = check_names(rec->etype, rec->eid, rec->action, rec->field)) <
	    0)
		return tsm_error_set(err, "op %zu: %s", ix,
				     tsm_error_last()->message);
	v = tsm_json_get(o, "value");
	if (tsm_json_type(v) != TSM_JSON_NULL) {
		if ((err = tsm_json_print(&canon, v)) < 0)
			return err;
		rec->value = arena_strdup(mem, canon);
		free(canon);
		if (rec->value == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	sup = tsm_json_get(o, "supersedes");
	if (tsm_json_type(sup) != TSM_JSON_ARRAY)
		return tsm_error_set(TSM_EINVALID,
				     "op %zu: supersedes is not an array", ix);
	n = tsm_json_count(sup);
	ids = arena_alloc(mem, (n ? n : 1) * sizeof(*ids));
	if (ids == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0, k = tsm_json_first(sup); k; k = tsm_json_next(k), i++)
		if (tsm_opid_parse(&ids[i], tsm_json_string(k)) < 0)
			return tsm_error_set(TSM_EINVALID,
					     "op %zu: invalid supersedes", ix);
	rec->sup = sup_join(mem, ids, n);
	if (rec->author == NULL || rec->sup == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(rec->id, sizeof(rec->id), "%s:%" PRId64, rec->site, rec->seq);
	return 0;
}

int tsm_ops_apply_json(tsm_apply_stats *out, tsm_store *store, const char *json,
		       size_t len)
{
	tsm_json_items it;
	tsm_json *o = NULL;
	oprec *recs = NULL, *tmp;
	const char *item;
	char *text = NULL;
	arena mem = {0};
	size_t n = 0, cap = 0, ilen;
	int err, more;

	if (out)
		memset(out, 0, sizeof(*out));
	/* One op object at a time: a big set never becomes one big tree. */
	if (json == NULL || (text = malloc(len + 1)) == NULL)
		return tsm_error_set(json ? TSM_ENOMEM : TSM_EINVALID,
				     json ? "out of memory" : "no op set");
	memcpy(text, json, len);
	text[len] = '\0';
	if (strlen(text) != len) {
		err = tsm_error_set(TSM_EINVALID, "bad op set: NUL in json");
		goto done;
	}
	tsm_json_items_init(&it, text);
	while ((more = tsm_json_items_next(&it, &item, &ilen)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(recs, cap * sizeof(*recs));
			if (tmp == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			recs = tmp;
		}
		memset(&recs[n], 0, sizeof(recs[n]));
		if ((err = tsm_json_parse(&o, item, ilen)) < 0 ||
		    (err = parse_op(&recs[n], o, n, &mem)) < 0) {
			err = tsm_error_set(err, "bad op set: %s",
					    tsm_error_last()->message);
			goto done;
		}
		tsm_json_free(o);
		o = NULL;
		n++;
	}
	if (more < 0) {
		err = tsm_error_set(more, "bad op set: %s",
				    tsm_error_last()->message);
		goto done;
	}
	free(text);
	text = NULL;
	err = ops_apply_recs(out, store, recs, n);
done:
	tsm_json_free(o);
	free(text);
	free(recs);
	arena_free(&mem);
	return err;
}

/* ---- appending local ops ---- */

static const char SQL_MAX_SEQ[] = "SELECT max(seq) FROM ops WHERE site = ?1";
static const char SQL_HEADS[] =
    "SELECT site, seq, action, field, supersedes FROM ops "
    "WHERE etype = ?1 AND eid = ?2";

static int max_seq(fold_ctx *c, const char *site, int64_t *out)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_MAX_SEQ);
	int rc;

	*out = 0;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : tsm_error_sqlite(c->db, rc, "read seq");
}

/* An op's group for heads: its field for a set, "" for an append, NULL
 * for a lifecycle op (create, delete, restore, merge, done, grant, ...). */
static const char *head_group(const char *action, const char *field)
{
	if (strcmp(action, "set") == 0)
		return field;
	if (strcmp(action, "append") == 0)
		return "";
	return NULL;
}

/* An op the writer holds, as local_supersedes sees it. */
struct head_row {
	tsm_opid id;
	const char *group; /* NULL: lifecycle */
	const char *sup;
};

/* The ops of (etype, eid) in the store, into *rows (malloc'd). */
static int held_rows(fold_ctx *c, const oprec *op, arena *mem,
		     struct head_row **rows, size_t *n)
{
	sqlite3_stmt *st = fc_stmt(c, SQL_HEADS);
	struct head_row *v = NULL, *tmp;
	size_t cap = 0;
	const char *g;
	int rc, err = 0;

	*rows = NULL;
	*n = 0;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, op->etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->eid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(v, cap * sizeof(*v));
			if (tmp == NULL)
				goto nomem;
			v = tmp;
		}
		snprintf(v[*n].id.site, sizeof(v[*n].id.site), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		v[*n].id.seq = sqlite3_column_int64(st, 1);
		g = head_group((const char *)sqlite3_column_text(st, 2),
			       (const char *)sqlite3_column_text(st, 3));
		v[*n].group = g ? arena_strdup(mem, g) : NULL;
		v[*n].sup =
		    arena_strdup(mem, (const char *)sqlite3_column_text(st, 4));
		if ((g && v[*n].group == NULL) || v[*n].sup == NULL)
			goto nomem;
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(c->db, rc, "read ops");
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	sqlite3_reset(st);
	if (err < 0) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*rows = v;
	return err;
}

/* The same from the ops of an entity that is fresh in this call: the
 * store holds no others. */
static int fresh_rows(const struct fresh_ops *f, struct head_row **rows,
		      size_t *n)
{
	size_t i;

	*n = 0;
	*rows = malloc((f->n ? f->n : 1) * sizeof(**rows));
	if (*rows == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < f->n; i++) {
		memcpy((*rows)[i].id.site, f->ops[i]->site,
		       sizeof((*rows)[i].id.site));
		(*rows)[i].id.seq = f->ops[i]->seq;
		(*rows)[i].group =
		    head_group(f->ops[i]->action, f->ops[i]->field);
		(*rows)[i].sup = f->ops[i]->sup;
	}
	*n = f->n;
	return 0;
}

/* What a new op on (etype, eid) supersedes: the heads the writer holds —
 * of its field and of the lifecycle for a set, of the lifecycle for an
 * append, of every group for a lifecycle op. An op stops being a head of
 * its group once an op of the same group or a lifecycle op supersedes
 * it (a set on another field does not end a lifecycle op's reign).
 *
 * The ops held come from the store, except for an entity that had none
 * before this call (they are all in memory) or none at all (*held says
 * which; ctx_insert takes it rather than asking again). */
static int local_supersedes(fold_ctx *c, const oprec *op, arena *mem,
			    const char **out, int *held)
{
	struct head_row *rows = NULL;
	const struct fresh_ops *f = NULL;
	strmap groups = {0}, ended = {0};
	const char *mine = head_group(op->action, op->field), *sp, *s, *g;
	char tok[TSM_OPID_MAX];
	tsm_opid *ids = NULL;
	size_t n = 0, k = 0, i, len;
	void **slot;
	int err = 0, t = etype_index(op->etype);

	*out = NULL;
	*held = -1;
	if (t >= ET_REVIEW && strmap_has(&c->dirty[t], op->eid)) {
		f = strmap_get(&c->dirty[t], op->eid); /* NULL: held */
	} else if (t >= ET_REVIEW) {
		if ((err = entity_held(c, op, held)) < 0)
			return err;
		if (!*held) {
			*out = "";
			return 0;
		}
	}
	err = f ? fresh_rows(f, &rows, &n) : held_rows(c, op, mem, &rows, &n);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++) {
		/* op id -> group ("\x01" for lifecycle) */
		slot = strmap_slot(&groups, tsm_opid_format(tok, &rows[i].id),
				   NULL);
		if (slot == NULL)
			goto nomem;
		*slot = (void *)(rows[i].group ? rows[i].group : "\x01");
	}
	/* Which ops are no longer heads of their group. */
	for (i = 0; i < n; i++) {
		for (s = rows[i].sup; *s; s = sp ? sp + 1 : s + len) {
			sp = strchr(s, ' ');
			len = sp ? (size_t)(sp - s) : strlen(s);
			if (len >= sizeof(tok))
				continue;
			memcpy(tok, s, len);
			tok[len] = '\0';
			g = strmap_get(&groups, tok);
			if (g == NULL)
				continue; /* not of this entity or not held */
			if (rows[i].group == NULL ||
			    (strcmp(g, "\x01") != 0 &&
			     strcmp(g, rows[i].group) == 0))
				if (!strmap_slot(&ended, tok, NULL))
					goto nomem;
		}
	}
	ids = arena_alloc(mem, (n ? n : 1) * sizeof(*ids));
	if (ids == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (strmap_has(&ended, tsm_opid_format(tok, &rows[i].id)))
			continue;
		if (head_group(op->action, op->field) == NULL ||
		    rows[i].group == NULL ||
		    (mine && *mine && strcmp(rows[i].group, mine) == 0))
			ids[k++] = rows[i].id;
	}
	*out = sup_join(mem, ids, k);
	if (*out == NULL)
		goto nomem;
	goto done;
nomem:
	err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	free(rows);
	strmap_free(&groups);
	strmap_free(&ended);
	return err;
}

int tsm_ops_append(tsm_opid *out, tsm_store *store, const tsm_op_spec *specs,
		   size_t n)
{
	tsm_identity me;
	oprec *recs = NULL;
	arena mem = {0};
	uint64_t clock;
	int64_t seq, now = tsm_clock_now_ms();
	fold_ctx c;
	char *canon;
	size_t i;
	int err, fresh, held, began = 0, rc;

	ctx_init(&c, store);
	if (n == 0)
		return 0;
	if ((err = tsm_identity_get(&me, store)) < 0)
		return err;
	recs = calloc(n, sizeof(*recs));
	if (recs == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		oprec *r = &recs[i];

		r->etype = specs[i].etype ? specs[i].etype : "";
		r->eid = specs[i].eid ? specs[i].eid : "";
		r->action = specs[i].action ? specs[i].action : "";
		r->field = specs[i].field ? specs[i].field : "";
		if ((err = check_names(r->etype, r->eid, r->action, r->field)) <
		    0)
			goto done;
		if (specs[i].value) {
			err = tsm_json_canonical(&canon, specs[i].value,
						 strlen(specs[i].value));
			if (err < 0) {
				err = tsm_error_set(err, "invalid value: %s",
						    tsm_error_last()->message);
				goto done;
			}
			/* JSON null is stored as no value, as apply does. */
			r->value = strcmp(canon, "null") == 0
				       ? ""
				       : arena_strdup(&mem, canon);
			free(canon);
			if (r->value == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
		}
	}
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	began = 1;
	if ((err = tsm_hlc_load(&clock, c.db)) < 0 ||
	    (err = max_seq(&c, me.site, &seq)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		oprec *r = &recs[i];

		if (r->value && *r->value == '\0')
			r->value = NULL;
		memcpy(r->site, me.site, sizeof(r->site));
		r->seq = ++seq;
		r->author = me.member;
		clock = tsm_hlc_tick(clock, now);
		r->hlc = clock;
		snprintf(r->id, sizeof(r->id), "%s:%" PRId64, r->site, r->seq);
		err = local_supersedes(&c, r, &mem, &r->sup, &held);
		if (err == 0)
			err = ctx_insert(&c, r, held, &fresh);
		if (err < 0)
			goto done;
		if (!fresh) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "op id %s is taken already", r->id);
			goto done;
		}
		if (out) {
			memcpy(out[i].site, r->site, sizeof(out[i].site));
			out[i].seq = r->seq;
		}
	}
	if ((err = tsm_hlc_save(c.db, clock)) < 0 || (err = ctx_run(&c)) < 0)
		goto done;
	if (c.new_rejected)
		err = tsm_error_set(TSM_EPERM, "%s", c.first_reject);
done:
	ctx_free(&c);
	if (began) {
		rc = tsm_store_end(store, err == 0);
		if (err == 0)
			err = rc;
	}
	free(recs);
	arena_free(&mem);
	return err;
}

static const char SQL_TEAM_EXISTS[] = "SELECT id FROM team LIMIT 1";

int tsm_team_found(tsm_store *store, const char *team_id, const char *name,
		   const char *founder_name)
{
	unsigned char rnd[8];
	char tid[80], hex[65], *tv = NULL, *gv = NULL;
	tsm_identity me;
	tsm_json *t = NULL, *g = NULL;
	sqlite3_stmt *st;
	tsm_op_spec specs[2];
	fold_ctx c;
	int err, rc;

	ctx_init(&c, store);
	if ((err = tsm_identity_get(&me, store)) < 0)
		return err;
	if (name == NULL || !valid_text(name, 1, TSM_NAME_MAX - 1))
		return tsm_error_set(TSM_EINVALID, "invalid team name");
	if ((st = fc_stmt(&c, SQL_TEAM_EXISTS)) == NULL) {
		err = tsm_error_last()->code;
		goto done;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		err =
		    tsm_error_set(TSM_EEXISTS, "this store has a team already");
		goto done;
	}
	if (team_id == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		snprintf(tid, sizeof(tid), "t%s", hex);
		team_id = tid;
	}
	t = tsm_json_new_object();
	g = tsm_json_new_object();
	if (t == NULL || g == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = tsm_json_put_string(t, "name", name)) < 0 ||
	    (err = tsm_json_put_string(t, "founder", me.member)) < 0 ||
	    (err = tsm_json_put_string(g, "role", "manager")) < 0 ||
	    (err = tsm_json_put_string(
		 g, "name", founder_name ? founder_name : me.name)) < 0 ||
	    (err = tsm_json_put_string(g, "site", me.site)) < 0)
		goto done;
	sodium_bin2hex(hex, sizeof(hex), me.sign_pk, sizeof(me.sign_pk));
	if ((err = tsm_json_put_string(g, "sign_pk", hex)) < 0)
		goto done;
	sodium_bin2hex(hex, sizeof(hex), me.box_pk, sizeof(me.box_pk));
	if ((err = tsm_json_put_string(g, "box_pk", hex)) < 0 ||
	    (err = tsm_json_print(&tv, t)) < 0 ||
	    (err = tsm_json_print(&gv, g)) < 0)
		goto done;
	specs[0] = (tsm_op_spec){"team", team_id, "create", NULL, tv};
	specs[1] = (tsm_op_spec){"member", me.member, "grant", NULL, gv};
	err = tsm_ops_append(NULL, store, specs, 2);
done:
	ctx_free(&c);
	tsm_json_free(t);
	tsm_json_free(g);
	free(tv);
	free(gv);
	return err;
}

/* ---- export ---- */

/* Two statements, so that one site's range is a seek on the (site, seq)
 * primary key: an "?1 IS NULL OR site = ?1" test would scan every op, and
 * sync and audit export one site's new range at a time. */
#define SQL_EXPORT_COLS                                                       \
	"SELECT site, seq, hlc, author, etype, eid, action, field, value, "   \
	"supersedes, status, reason FROM ops "
static const char SQL_EXPORT_SITE[] =
    SQL_EXPORT_COLS "WHERE site = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq";
static const char SQL_EXPORT_ALL[] =
    SQL_EXPORT_COLS "WHERE seq BETWEEN ?2 AND ?3 ORDER BY site, seq";

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static void write_op(tsm_jbuf *b, sqlite3_stmt *st, unsigned flags)
{
	char hex[20];
	const char *sup, *sp;
	int first = 1;

	tsm_jbuf_puts(b, "{\"site\":");
	tsm_jbuf_str(b, col(st, 0));
	tsm_jbuf_puts(b, ",\"seq\":");
	tsm_jbuf_int(b, sqlite3_column_int64(st, 1));
	snprintf(hex, sizeof(hex), "%016" PRIx64,
		 (uint64_t)sqlite3_column_int64(st, 2));
	tsm_jbuf_puts(b, ",\"hlc\":");
	tsm_jbuf_str(b, hex);
	tsm_jbuf_puts(b, ",\"author\":");
	tsm_jbuf_str(b, col(st, 3));
	tsm_jbuf_puts(b, ",\"etype\":");
	tsm_jbuf_str(b, col(st, 4));
	tsm_jbuf_puts(b, ",\"eid\":");
	tsm_jbuf_str(b, col(st, 5));
	tsm_jbuf_puts(b, ",\"action\":");
	tsm_jbuf_str(b, col(st, 6));
	tsm_jbuf_puts(b, ",\"field\":");
	tsm_jbuf_str(b, col(st, 7));
	tsm_jbuf_puts(b, ",\"value\":");
	if (sqlite3_column_type(st, 8) == SQLITE_NULL)
		tsm_jbuf_puts(b, "null");
	else
		tsm_jbuf_puts(b, col(st, 8));
	tsm_jbuf_puts(b, ",\"supersedes\":[");
	for (sup = col(st, 9); *sup; sup = sp ? sp + 1 : "") {
		sp = strchr(sup, ' ');
		if (!first)
			tsm_jbuf_putc(b, ',');
		first = 0;
		tsm_jbuf_putc(b, '"');
		tsm_jbuf_put(b, sup, sp ? (size_t)(sp - sup) : strlen(sup));
		tsm_jbuf_putc(b, '"');
	}
	tsm_jbuf_putc(b, ']');
	if (flags & TSM_EXPORT_STATUS) {
		tsm_jbuf_puts(b, ",\"status\":");
		tsm_jbuf_str(b, col(st, 10));
		tsm_jbuf_puts(b, ",\"reason\":");
		if (sqlite3_column_type(st, 11) == SQLITE_NULL)
			tsm_jbuf_puts(b, "null");
		else
			tsm_jbuf_str(b, col(st, 11));
	}
	tsm_jbuf_putc(b, '}');
}

int tsm_ops_export(char **out, size_t *len, tsm_store *store, const char *site,
		   int64_t from, int64_t to, unsigned flags)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st;
	tsm_jbuf b;
	int rc, n = 0;

	*out = NULL;
	if (len)
		*len = 0;
	st = tsm_stmt(db, site ? SQL_EXPORT_SITE : SQL_EXPORT_ALL);
	if (st == NULL)
		return tsm_error_last()->code;
	if (site)
		bind_str(st, 1, site);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to > 0 ? to : INT64_MAX);
	tsm_jbuf_init(&b);
	tsm_jbuf_putc(&b, '[');
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			tsm_jbuf_putc(&b, ',');
		write_op(&b, st, flags);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	tsm_jbuf_putc(&b, ']');
	if (rc != SQLITE_DONE) {
		tsm_jbuf_dispose(&b);
		return tsm_error_sqlite(db, rc, "export ops");
	}
	*out = tsm_jbuf_detach(&b, len);
	return *out ? 0 : tsm_error_set(TSM_ENOMEM, "out of memory");
}

int tsm_ops_max_seq(int64_t *out, tsm_store *store, const char *site)
{
	fold_ctx c;
	int err;

	ctx_init(&c, store);
	err = max_seq(&c, site, out);
	ctx_free(&c);
	return err;
}

static const char SQL_CURSOR_GET[] =
    "SELECT seq FROM export_cursors WHERE site = ?1";
static const char SQL_CURSOR_SET[] =
    "INSERT INTO export_cursors(site, seq) VALUES (?1, ?2) "
    "ON CONFLICT(site) DO UPDATE SET seq = excluded.seq";

int tsm_ops_cursor_get(int64_t *out, tsm_store *store, const char *site)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = tsm_stmt(db, SQL_CURSOR_GET);
	int rc;

	*out = 0;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read export cursor");
	return 0;
}

int tsm_ops_cursor_set(tsm_store *store, const char *site, int64_t seq)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = tsm_stmt(db, SQL_CURSOR_SET);
	int rc;

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "write export cursor");
	return 0;
}

int tsm_ops_export_pending(char **out, size_t *len, int64_t *last,
			   tsm_store *store)
{
	tsm_identity me;
	int64_t from, top;
	int err;

	*out = NULL;
	if ((err = tsm_identity_get(&me, store)) < 0 ||
	    (err = tsm_ops_cursor_get(&from, store, me.site)) < 0 ||
	    (err = tsm_ops_max_seq(&top, store, me.site)) < 0)
		return err;
	*last = top > from ? top : from;
	return tsm_ops_export(out, len, store, me.site, from + 1, top, 0);
}

/* ---- listing ---- */

static const char SQL_LIST[] =
    "SELECT site, seq, hlc, author, etype, eid, action, field, value, "
    "supersedes, status, reason FROM ops "
    "WHERE (?1 IS NULL OR etype = ?1) AND (?2 IS NULL OR eid = ?2) "
    "ORDER BY hlc, site, seq";

static char *dup_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

void tsm_ops_list_free(tsm_op *ops, size_t n)
{
	size_t i;

	for (i = 0; ops && i < n; i++) {
		free(ops[i].author);
		free(ops[i].etype);
		free(ops[i].eid);
		free(ops[i].action);
		free(ops[i].field);
		free(ops[i].value);
		free(ops[i].supersedes);
		free(ops[i].status);
		free(ops[i].reason);
	}
	free(ops);
}

int tsm_ops_list(tsm_op **out, size_t *n, tsm_store *store, const char *etype,
		 const char *eid)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = tsm_stmt(db, SQL_LIST);
	tsm_op *ops = NULL, *tmp, *o;
	size_t cap = 0, k = 0;
	int rc, err = 0;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return tsm_error_last()->code;
	bind_str(st, 1, etype);
	bind_str(st, 2, eid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 32;
			tmp = realloc(ops, cap * sizeof(*ops));
			if (tmp == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			ops = tmp;
		}
		o = &ops[k++];
		memset(o, 0, sizeof(*o));
		snprintf(o->site, sizeof(o->site), "%s", col(st, 0));
		o->seq = sqlite3_column_int64(st, 1);
		o->hlc = (uint64_t)sqlite3_column_int64(st, 2);
		o->author = dup_col(st, 3);
		o->etype = dup_col(st, 4);
		o->eid = dup_col(st, 5);
		o->action = dup_col(st, 6);
		o->field = dup_col(st, 7);
		o->value = dup_col(st, 8);
		o->supersedes = dup_col(st, 9);
		o->status = dup_col(st, 10);
		o->reason = dup_col(st, 11);
		if (!o->author || !o->etype || !o->eid || !o->action ||
		    !o->field || !o->supersedes || !o->status) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "list ops");
done:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (err < 0) {
		tsm_ops_list_free(ops, k);
		return err;
	}
	*out = ops;
	*n = k;
	return 0;
}

/* ---- the state hash ---- */

/* Every materialized table, each with its primary key order. The ops'
 * own columns are covered by their ids: equal sets hold equal ops. */
static const char *const hash_queries[] = {
    "SELECT site, seq, status, reason FROM ops ORDER BY site, seq",
    "SELECT * FROM team ORDER BY id",
    "SELECT * FROM members ORDER BY id",
    "SELECT * FROM customers ORDER BY id",
    "SELECT * FROM calls ORDER BY origin, id",
    "SELECT * FROM notes ORDER BY origin, id",
    "SELECT * FROM feedback ORDER BY origin, id",
    "SELECT * FROM followups ORDER BY id",
    "SELECT * FROM orders ORDER BY id",
    "SELECT * FROM scripts ORDER BY name, section",
    "SELECT * FROM policy ORDER BY id, field",
    "SELECT * FROM products ORDER BY id, field",
    "SELECT * FROM targets ORDER BY id, field",
    "SELECT * FROM dnc_list ORDER BY phone",
    "SELECT * FROM review ORDER BY id",
    "SELECT * FROM review_res ORDER BY id",
};

/* The serialization goes through a buffer: BLAKE2b per value would cost
 * more than reading the rows. */
typedef struct hbuf {
	crypto_generichash_state st;
	unsigned char b[4096];
	size_t n;
} hbuf;

static void hb_put(hbuf *h, const void *p, size_t n)
{
	if (h->n + n > sizeof(h->b)) {
		crypto_generichash_update(&h->st, h->b, h->n);
		h->n = 0;
	}
	if (n > sizeof(h->b)) {
		crypto_generichash_update(&h->st, p, n);
		return;
	}
	memcpy(h->b + h->n, p, n);
	h->n += n;
}

static void hb_u64(hbuf *h, char tag, uint64_t v)
{
	unsigned char b[9];
	int i;

	b[0] = (unsigned char)tag;
	for (i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	hb_put(h, b, sizeof(b));
}

static const char SQL_HASH_BEGIN[] = "SAVEPOINT tsm_state_hash";
static const char SQL_HASH_END[] = "RELEASE tsm_state_hash";

static int hash_tables(hbuf *h, sqlite3 *db)
{
	sqlite3_stmt *st;
	const void *p;
	size_t q;
	double d;
	uint64_t bits;
	int rc, i, ncol, len;

	for (q = 0; q < sizeof(hash_queries) / sizeof(hash_queries[0]); q++) {
		if ((st = tsm_stmt(db, hash_queries[q])) == NULL)
			return tsm_error_last()->code;
		hb_u64(h, 'T', q);
		ncol = sqlite3_column_count(st);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			hb_u64(h, 'R', (uint64_t)ncol);
			for (i = 0; i < ncol; i++) {
				switch (sqlite3_column_type(st, i)) {
				case SQLITE_NULL:
					hb_u64(h, 'n', 0);
					break;
				case SQLITE_INTEGER:
					hb_u64(h, 'i',
					       (uint64_t)sqlite3_column_int64(
						   st, i));
					break;
				case SQLITE_FLOAT:
					d = sqlite3_column_double(st, i);
					memcpy(&bits, &d, sizeof(bits));
					hb_u64(h, 'f', bits);
					break;
				default:
					p = sqlite3_column_blob(st, i);
					len = sqlite3_column_bytes(st, i);
					hb_u64(h, 's', (uint64_t)len);
					if (len > 0)
						hb_put(h, p, (size_t)len);
				}
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return tsm_error_sqlite(db, rc, "hash state");
	}
	return 0;
}

int tsm_state_hash(char out[65], tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	unsigned char digest[32];
	sqlite3_stmt *st;
	hbuf *h;
	int err, rc;

	out[0] = '\0';
	if ((h = malloc(sizeof(*h))) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	crypto_generichash_init(&h->st, NULL, 0, sizeof(digest));
	h->n = 0;
	/* One snapshot for every table (also inside a transaction). */
	if ((st = tsm_stmt(db, SQL_HASH_BEGIN)) == NULL) {
		free(h);
		return tsm_error_last()->code;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(h);
		return tsm_error_sqlite(db, rc, "hash state");
	}
	err = hash_tables(h, db);
	if ((st = tsm_stmt(db, SQL_HASH_END)) != NULL) {
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE && err == 0)
			err = tsm_error_sqlite(db, rc, "hash state");
	} else if (err == 0) {
		err = tsm_error_last()->code;
	}
	if (err == 0) {
		crypto_generichash_update(&h->st, h->b, h->n);
		crypto_generichash_final(&h->st, digest, sizeof(digest));
		sodium_bin2hex(out, 65, digest, sizeof(digest));
	}
	sodium_memzero(h, sizeof(*h));
	free(h);
	return err;
}
