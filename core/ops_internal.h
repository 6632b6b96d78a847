/* core/ops_internal.h — what the op log (core/ops.c) and the merge rules
 * (core/merge*.c) share: op records, entities with their causal order, the
 * roster, the fold context, and helpers that write materialized rows and
 * review items. Nothing here is public API. */
#ifndef TSM_CORE_OPS_INTERNAL_H
#define TSM_CORE_OPS_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "tsm/ops.h"

/* ---- an arena: many small allocations freed at once ---- */

typedef struct arena_chunk arena_chunk;
typedef struct arena {
	arena_chunk *head;
} arena;

void *arena_alloc(arena *a, size_t n); /* zeroed; NULL when out of memory */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s); /* NULL s gives NULL */
void arena_free(arena *a);

/* ---- a string-keyed hash map (keys copied into its own arena) ---- */

typedef struct strmap {
	char **keys;
	void **vals;
	size_t cap;
	size_t n;
	arena mem;
} strmap;

/* Returns the slot's value pointer for key, inserting key with value NULL
 * when absent (*fresh = 1). NULL when out of memory. */
void **strmap_slot(strmap *m, const char *key, int *fresh);
void *strmap_get(const strmap *m, const char *key);
int strmap_has(const strmap *m, const char *key);
void strmap_free(strmap *m);

/* ---- a set of op ids: a site (16 hex digits, i.e. 64 bits) and seq ---- */

typedef struct opidset {
	struct opid_slot {
		uint64_t site;
		int64_t seq; /* 0: empty */
	} * slots;
	size_t cap;
	size_t n;
} opidset;

int opidset_reserve(opidset *s, size_t n); /* room for n ids */
int opidset_add(opidset *s, const char *site, int64_t seq);
int opidset_has(const opidset *s, const char *site, int64_t seq);
void opidset_free(opidset *s);

/* ---- ops ---- */

enum { ST_ACCEPTED = 0, ST_REJECTED = 1, ST_SUPERSEDED = 2 };

/* An op as the merge sees it. Strings live in the entity's arena. */
typedef struct oprec {
	uint64_t hlc;
	int64_t seq;
	char site[TSM_SITE_LEN + 1];
	char id[TSM_OPID_MAX]; /* "site:seq" */
	const char *author;
	const char *etype;
	const char *eid;
	const char *action;
	const char *field; /* "" when none */
	const char *value; /* canonical JSON or NULL */
	const char *sup;   /* supersedes: "site:seq site:seq" or "" */
	int is_new;	   /* inserted by this apply */
	int status;	   /* ST_*, set by the fold */
	const char *reason;
	int old_status; /* as stored before the fold */
	const char *old_reason;
	tsm_json *val; /* parsed value, see op_val() */
	int val_done;
	size_t *par; /* indexes of superseded ops within the entity */
	size_t npar;
} oprec;

/* Orders ops for last-writer-wins: (hlc, site, seq). */
int op_cmp(const oprec *a, const oprec *b);

/* The parsed value (NULL for a NULL value or unparsable text). */
const tsm_json *op_val(oprec *op);

/* Sets an op's status (reason: static or arena string). */
static inline void op_reject(oprec *op, const char *reason)
{
	op->status = ST_REJECTED;
	op->reason = reason;
}

/* Milliseconds of an op's clock. */
static inline int64_t op_ms(const oprec *op)
{
	return (int64_t)(op->hlc >> 16);
}

/* All ops of one entity, sorted by (hlc, site, seq), with their causal
 * order: anc is an n x words bitset, bit a of row b set iff a happened
 * before b. */
typedef struct entity {
	const char *etype;
	const char *eid;
	oprec *ops;
	size_t n;
	size_t cap;
	uint64_t *anc;
	size_t words;
	int fresh; /* every op is new: the entity has no rows yet */
	arena mem;
} entity;

static inline int ent_hb(const entity *e, size_t a, size_t b)
{
	return (int)((e->anc[b * e->words + a / 64] >> (a % 64)) & 1u);
}

static inline int ent_concurrent(const entity *e, size_t a, size_t b)
{
	return a != b && !ent_hb(e, a, b) && !ent_hb(e, b, a);
}

void ent_free(entity *e);

/* ---- the roster ---- */

enum {
	ROLE_NONE = 0,
	ROLE_AGENT,
	ROLE_LEAD,
	ROLE_MANAGER,
	ROLE_ASSISTANT,
	ROLE_AUDITOR
};

/* "agent" -> ROLE_AGENT, ...; ROLE_NONE when unknown. */
int role_parse(const char *s);
const char *role_name(int role);

typedef struct role_event {
	uint64_t hlc;
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
	int role;  /* ROLE_NONE once revoked */
	size_t ix; /* the op in roster.log */
} role_event;

typedef struct roster_member {
	char *id;
	role_event *ev; /* sorted by (hlc, site, seq) */
	size_t n;
	size_t cap;
} roster_member;

typedef struct roster {
	entity log;	     /* every team and member op */
	size_t team_ix;	     /* the accepted team create, (size_t)-1 if none */
	const char *founder; /* the root of trust, NULL without a team */
	roster_member *m;    /* sorted by id once loaded */
	size_t n;
	size_t cap;
} roster;

/* The role of member at op's clock: the last accepted grant or revoke
 * ordered before op. ROLE_NONE when none. */
int roster_role_at(const roster *r, const char *member, const oprec *op);

/* ---- the fold context: one apply call ---- */

typedef struct fold_ctx fold_ctx;

/* What an entity type contributes: a fold that recomputes one entity from
 * all its ops, writing its rows, statuses and review items. */
typedef int (*fold_fn)(fold_ctx *c, entity *e);

struct fold_ctx {
	tsm_store *store;
	sqlite3 *db;
	roster roster;
	int roster_dirty;
	/* dirty entities: one set of eids per known etype, and a set of
	 * "etype\x1f" "eid" for unknown ones */
	strmap dirty[16];
	strmap dirty_other;
	opidset new_ids;    /* op ids inserted by this call */
	strmap phones;	    /* phones whose duplicate group must be redone */
	strmap owner_chg;   /* customers with new create/owner ops */
	strmap unmerged;    /* customers whose merge was undone */
	strmap access;	    /* customer id -> cust_access (cache) */
	strmap dncreg;	    /* phone -> dnc_reg (cache) */
	int dnc_any;	    /* -1 unknown, else whether any dnc op exists */
	int merges_changed; /* a customer's merge state may have changed */
	arena mem;	    /* for the caches */
	int res_known;	    /* has_res is known */
	int has_res;	    /* review_res has rows */
	/* results */
	size_t new_rejected;
	char first_reject[256]; /* reason of the first new op rejected */
};

/* The statement for sql (a string with static storage: statements are
 * cached per connection by its address), reset and with bindings cleared;
 * NULL with the error set on failure. Do not nest uses of one sql. For
 * core modules without a fold context (hlc.c). */
sqlite3_stmt *tsm_stmt(sqlite3 *db, const char *sql);

/* The same within a fold. */
sqlite3_stmt *fc_stmt(fold_ctx *c, const char *sql);

/* Runs a cached statement to completion (no rows expected). */
int fc_done(fold_ctx *c, sqlite3_stmt *st, const char *what);

/* Marks an entity dirty. */
int fc_dirty(fold_ctx *c, const char *etype, const char *eid);

/* Marks a phone's duplicate group for recomputation (NULL is ignored).
 * old: a customer may have left the group (or its item's resolution
 * changed), so an item may exist though the group is now small; without
 * it the group only grew. */
int fc_phone(fold_ctx *c, const char *phone, int old);

/* Loads every op of (etype, eid) with its causal order. */
int ent_load(fold_ctx *c, entity *e, const char *etype, const char *eid);

/* Builds a fresh entity (one that had no ops before this call) from its
 * new ops, already stored, without reading them back. */
int ent_from_ops(entity *e, const char *etype, const char *eid,
		 const oprec *const *ops, size_t n);

/* Deletes the entity's review items; folds call it before emitting. */
int review_clear(fold_ctx *c, const char *etype, const char *eid);

/* Emits a review item; takes detail. ops: the ops involved (any order). */
int review_emit(fold_ctx *c, const char *kind, const char *etype,
		const char *eid, const char *field, tsm_json *detail,
		oprec *const *ops, size_t nops);

/* The same with op ids (sorted, space-separated), the newest op's ms and
 * an alternative resolution (resolved_by, used when no review resolve op
 * exists: a duplicate resolved by a merge). */
int review_put(fold_ctx *c, const char *kind, const char *etype,
	       const char *eid, const char *field, tsm_json *detail,
	       const char *ids, int64_t at, const char *resolved_by);

/* Writes changed statuses, queues a "rejected" item per rejected op and
 * counts new rejections. Every fold ends with it. */
int ent_finish(fold_ctx *c, entity *e);

/* Binds an op id or a nullable string. */
void bind_str(sqlite3_stmt *st, int i, const char *s);

/* ---- rules shared by the folds (core/merge.c) ---- */

/* Fills in r from every team and member op, setting their statuses;
 * with skip_new, from those held before this call only. */
int roster_load(fold_ctx *c, roster *r, int skip_new);
/* Compares c->roster with old: *all when the team (the root of trust)
 * changed, else each(member) for every member whose roles changed. */
int roster_changes(fold_ctx *c, const roster *old, int *all,
		   int (*each)(fold_ctx *c, const char *member));
/* Writes team and members rows and the roster ops' statuses. */
int roster_write(fold_ctx *c);
void roster_free(roster *r);

/* The heads of a register: of the entries (indexes into e->ops, accepted
 * ops in key order), those that happened before no other entry. Writes
 * them to heads in key order and returns how many. */
size_t reg_heads(const entity *e, const size_t *entries, size_t n,
		 size_t *heads);

/* Generic last-writer-wins register over the entries: the head with the
 * greatest key wins; heads holding different values queue a conflict item;
 * every other entry but a create is marked superseded. *win gets the
 * winning index, (size_t)-1 when there is no entry. */
int reg_lww(size_t *win, fold_ctx *c, entity *e, const size_t *entries,
	    size_t n, const char *field);

/* Indexes (in key order) of the accepted ops that write field: its sets,
 * and the create cix (NONE: none) when its value names field. */
size_t reg_entries(entity *e, size_t cix, const char *field, size_t *out);

/* Queues a "conflict" item over the heads ix[0..n) of field, with each
 * side's op and value. */
int reg_conflict(fold_ctx *c, entity *e, const size_t *ix, size_t n,
		 const char *field);

/* The value an entry gives a register: the set's value, or the create's
 * member for field. */
const tsm_json *entry_value(oprec *op, const char *field);

/* Authorization of an op on a customer (or its follow-ups and orders). */
enum {
	AZ_CREATE,    /* create a customer */
	AZ_CLASSIFY,  /* industry, region, size, source, tags */
	AZ_OWNER,     /* assign */
	AZ_DNC_SET,   /* set do-not-call */
	AZ_DNC_CLEAR, /* clear do-not-call */
	AZ_MERGE,
	AZ_RESTORE,
	AZ_OTHER /* every other change */
};

/* Who created a customer and who owned it when. */
typedef struct owner_event {
	uint64_t hlc;
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
	const char *owner; /* NULL: unassigned */
} owner_event;

typedef struct cust_access {
	const char *creator; /* NULL when no accepted create */
	owner_event *ev;     /* accepted owner assignments in key order */
	size_t n;
} cust_access;

/* NULL when allowed, else the reason (a static string). */
const char *authz_customer(const fold_ctx *c, const cust_access *a,
			   const oprec *op, int what);

/* Role checks shared by every entity: NULL when author is an active,
 * writing member at op's clock, else the reason. *role gets the role. */
const char *authz_member(const fold_ctx *c, const oprec *op, int *role);

/* Computes a customer's access from its ops (creates and owner sets) —
 * the same answer in the customer's own fold and for its follow-ups. The
 * ops are not modified. create_ix gets the accepted create's index or
 * (size_t)-1. */
int access_compute(fold_ctx *c, entity *e, cust_access *out, size_t *create_ix,
		   arena *mem);

/* The access of customer cid, loaded from the log and cached per call. */
int access_get(fold_ctx *c, const char *cid, const cust_access **out);

/* Caches the access a customer's fold computed (the same answer). */
int access_put(fold_ctx *c, const char *cid, const cust_access *a);

/* Why a customer create is invalid or unauthorized (NULL: fine). */
const char *customer_create_reason(fold_ctx *c, oprec *op);

/* A do-not-call register (customer flag or phone list): the entries are
 * the accepted set(dnc) ops (and a create's "dnc"). */
typedef struct dnc_reg {
	entity *e;
	size_t *entries;
	size_t n;
	int value;
} dnc_reg;

/* Statuses of set(dnc) ops on a register (not for customers' other
 * fields): rejected when unauthorized or malformed. Fills reg. */
int dnc_reg_build(fold_ctx *c, entity *e, dnc_reg *reg, arena *mem);

/* The register's value over the entries ordered before op (op's key), or
 * the final value when op is NULL; true heads go to *heads (may be NULL,
 * capacity reg->n) and their count to *nheads. */
int dnc_value_at(const dnc_reg *reg, const oprec *op, size_t *heads,
		 size_t *nheads);

/* Statuses of a do-not-call register's entries: the heads that hold the
 * final value stay accepted, the others are superseded (creates keep
 * theirs). Returns the deciding op's index or (size_t)-1. */
size_t dnc_reg_statuses(dnc_reg *reg);

/* The phone list's register for phone (cached per call); *out is NULL when
 * the phone has no dnc list ops. */
int dncreg_get(fold_ctx *c, const char *phone, const dnc_reg **out);

/* ---- the folds ---- */

int fold_review(fold_ctx *c, entity *e);
int fold_dnc(fold_ctx *c, entity *e);
int fold_customer(fold_ctx *c, entity *e);
int fold_followup(fold_ctx *c, entity *e);
int fold_order(fold_ctx *c, entity *e);
int fold_kv(fold_ctx *c, entity *e); /* script, policy, product, target */
int fold_unknown(fold_ctx *c, entity *e);

/* After the customer folds: duplicate groups of the touched phones. */
int phones_regroup(fold_ctx *c);
/* After every fold: re-parent rows of merged customers to survivors. */
int survivors_fixup(fold_ctx *c);

/* ---- the op log (core/ops.c) ---- */

/* Stores and applies ops (ids formatted, values canonical, supersedes
 * normalized) in one transaction: the JSON apply's second half. */
int ops_apply_recs(tsm_apply_stats *out, tsm_store *store, oprec *ops,
		   size_t n);

#endif
