/* tsm/ops.h — the operation log, the source of truth of every replica: append
 * ops locally, export and apply op sets (sync carries them), the state hash.
 * The tables the CLI reads are a materialized view that is a pure function of
 * the set of ops held: the same ops in any order give the same state.
 * Ownership: strings and arrays you get through **out are malloc'd and yours;
 * release them with free() or the _free/_dispose function named below. */
#ifndef TSM_OPS_H
#define TSM_OPS_H

#include "tsm/identity.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ---- The domain: entity types (etype), their actions and values ----
 *
 * An op is (site, seq) — seq dense per site from 1 — with a hybrid logical
 * clock hlc = (wall ms << 16) | counter, its author (member id), the entity
 * (etype, eid), an action, a field ("" when none), a value (canonical JSON
 * text or NULL) and the ids ("site:seq") of the ops it supersedes: what the
 * writer saw (tsm_ops_append computes them). Ops are ordered for
 * last-writer-wins by (hlc, site, seq). Values below are JSON objects unless
 * said otherwise; "ms" is milliseconds since the epoch.
 *
 * team      eid team id.   create {"name","founder"} — the founder (the
 *           author) is the root of trust; the first team create wins.
 *           set(name) "text" — managers.
 * member    eid member id. grant {"role": agent|lead|manager|assistant|
 *           auditor, "name", ...any public keys}; revoke (value null).
 *           Counts only if its author is the founder or a manager at the
 *           op's clock (the founder's self-grant is the bootstrap).
 * customer  eid e.g. "c" + 12 hex. create {any of the fields below};
 *           set(FIELD) "text"|null for the plain fields name, phone (E.164,
 *           normalized by the caller), company, industry, region, size,
 *           source, address, needs, salutation, priority, tags;
 *           set(stage) "new"|"contacted"|"interested"|"negotiating"|"won"|
 *           "lost"; set(owner) member id|null; set(dnc) true|false;
 *           delete, restore (value null); merge {"into": customer id};
 *           append(call) {"outcome", "duration_s"?, "note"?, "at"? ms};
 *           append(note) {"text", "at"?}; append(feedback) {"text",
 *           "satisfaction"? 1..5, "at"?}; append(amend) {"amends": op id,
 *           the fields of the amended call/note/feedback to correct}.
 * followup  eid any id. create {"customer", "due" ms, "kind": callback|
 *           followup|revisit, "note"?}; set(due) ms = reschedule;
 *           set(note) "text"|null; set(kind); done {"at"? ms,
 *           "satisfaction"? 1..5, "feedback"? "text"} (value may be null).
 * order     eid any id. create {"customer", "service", "amount_fen" integer,
 *           "term_months"? integer, "start"? "YYYY-MM-DD", "status"?,
 *           "note"?}; set(FIELD) for those fields but customer.
 * script    eid the script's name. create {section: "text", ...};
 *           set(SECTION) "text"|null (null removes the section).
 * policy, product, target   eid as suits. create {field: value, ...};
 *           set(FIELD) any JSON value, null removes.
 * dnc       eid a normalized phone. set(dnc) true|false — the do-not-call
 *           list holds numbers, customers or not.
 * review    eid a review item id. resolve {"choice": "text", "note"?}.
 *
 * Call outcomes and the flags they store (reports count from the flags):
 * no-answer, busy, invalid-number (a dial only); gatekeeper (connected);
 * not-interested, callback (connected, effective); interested (connected,
 * effective, interested); order (connected, effective, interested, sale);
 * dnc-request (connected, dnc request); revisit-done (connected, revisit).
 *
 * ---- Merge rules (DESIGN §4), deterministic on every replica ----
 *
 * Causality: A happened before B iff A is reachable from B through
 * supersedes edges within the entity; otherwise they are concurrent. A set
 * supersedes the heads of its field and of the lifecycle (create, delete,
 * restore, merge, done, ...); a lifecycle op supersedes every head; an append
 * supersedes the lifecycle heads. The heads of a field are its accepted ops
 * that happened before no other accepted op of that field.
 * - Plain fields (and owner, follow-up and order fields, script sections,
 *   policy/product/target fields): the head with the greatest (hlc, site,
 *   seq) wins; heads holding different values queue a "conflict" review
 *   item; the losers are kept with status "superseded".
 * - Calls, notes, feedback: append-only, never conflict; an amend is a new
 *   op, the row shows the amended values and the log keeps both.
 * - Stage: a causally later op wins; among concurrent heads the more
 *   advanced stage wins, ranked new 0 < contacted 1 < interested 2 <
 *   negotiating 3 < lost 4 < won 5; heads holding both won and lost give won
 *   and a "conflict" review item.
 * - Do-not-call (customer flag and phone list): sticky — anyone may set it,
 *   only a manager may clear it; a set concurrent with a clear wins. A
 *   customer is DNC if its flag is set or its phone is listed. A call whose
 *   clock is after a DNC set in effect then queues a "violation".
 * - Owner: only lead and manager ops count (others are rejected);
 *   concurrent different assignments: last writer wins and a "conflict".
 * - Follow-up: done wins over a concurrent reschedule; a reschedule
 *   causally after done reopens it.
 * - Delete vs a concurrent edit: delete wins and a "conflict" item (field
 *   "deleted"); restore (lead, manager or the creator) brings it back.
 * - Merge {"into"} (managers): the merged customer is hidden and its calls,
 *   notes, feedback, follow-ups and orders are re-parented to the survivor.
 * - Two live customers with the same phone: both kept, a "duplicate" item
 *   (etype "phone"); a merge of one into the other resolves it.
 * Authorization, from the roster at the op's clock: no grant -> rejected
 * "not a team member"; auditors are read-only; an agent's ops on a customer
 * (and its follow-ups and orders) count only if the agent created it or
 * owned it at the op's clock; an assistant may create customers and set
 * industry, region, size, source and tags of any customer, other changes only
 * on customers they created; leads and managers: any customer; scripts:
 * leads and managers; team, member, policy, product, target: managers;
 * review resolve: leads and managers. Rejected ops stay in the log with
 * status "rejected" and a reason, and each queues a "rejected" item.
 */

/* Op status, as stored in ops.status. */
#define TSM_OP_ACCEPTED "accepted"
#define TSM_OP_REJECTED "rejected"
#define TSM_OP_SUPERSEDED "superseded"

#define TSM_OPID_MAX 40 /* "site:seq" with NUL */

/* An op's identity. */
typedef struct tsm_opid {
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
} tsm_opid;

/* Formats "site:seq" into out (TSM_OPID_MAX bytes). Returns out. */
char *tsm_opid_format(char *out, const tsm_opid *id);

/* Parses "site:seq"; TSM_EINVALID when malformed. */
int tsm_opid_parse(tsm_opid *out, const char *text);

/* What a local command asks for; the store adds site, seq, clock, author
 * and supersedes. Strings are borrowed for the call. value is JSON text
 * (any formatting; it is stored canonically) or NULL. */
typedef struct tsm_op_spec {
	const char *etype;
	const char *eid;
	const char *action;
	const char *field; /* NULL or "" when none */
	const char *value;
} tsm_op_spec;

/* Appends n ops atomically as this replica's member and site (see
 * tsm_identity_get) and applies them. Each op supersedes what this replica
 * holds as described above (ops earlier in the same call included). If any
 * op would be rejected by the rules, nothing is written and TSM_EPERM is
 * returned with the rule's reason as the message; a malformed spec gives
 * TSM_EINVALID. out (may be NULL) receives the n new op ids. */
int tsm_ops_append(tsm_opid *out, tsm_store *store, const tsm_op_spec *specs,
		   size_t n);

/* Founds a team on a store without one: appends the team create (founder =
 * this replica's member) and the founder's self-grant as manager, in one
 * transaction. team_id NULL picks "t" + 16 random hex digits; founder_name
 * NULL uses the identity's name. TSM_EEXISTS when a team exists already. */
int tsm_team_found(tsm_store *store, const char *team_id, const char *name,
		   const char *founder_name);

/* ---- sync: export and apply op sets ---- */

/* The canonical JSON of an op set is an array sorted by (site, seq) of
 * objects with exactly these keys in this order, no whitespace:
 *   {"site":"<16 hex>","seq":N,"hlc":"<16 hex>","author":"...",
 *    "etype":"...","eid":"...","action":"...","field":"...",
 *    "value":<JSON or null>,"supersedes":["site:seq",...]}
 * hlc is a fixed-width hex string because it exceeds JSON's exact integers;
 * supersedes is sorted. With TSM_EXPORT_STATUS each object also ends with
 * "status" and "reason" (local, derived: never for sync). */
#define TSM_EXPORT_STATUS 1u

/* Exports the ops of site (NULL: every site) with from <= seq <= to (to 0:
 * no upper bound) as a canonical JSON array into *out (NUL-terminated,
 * *len bytes, free() it). */
int tsm_ops_export(char **out, size_t *len, tsm_store *store, const char *site,
		   int64_t from, int64_t to, unsigned flags);

/* The greatest seq held for site (0 when none). */
int tsm_ops_max_seq(int64_t *out, tsm_store *store, const char *site);

/* Per-site export cursors (local-only), for "ops not yet exported": get
 * returns the last seq marked (0 when none); set records it. */
int tsm_ops_cursor_get(int64_t *out, tsm_store *store, const char *site);
int tsm_ops_cursor_set(tsm_store *store, const char *site, int64_t seq);

/* Exports this replica's own ops after its cursor (see above) and reports
 * the last seq exported in *last (unchanged cursor: mark it with
 * tsm_ops_cursor_set once the batch is safely stored). An empty array when
 * nothing is new. */
int tsm_ops_export_pending(char **out, size_t *len, int64_t *last,
			   tsm_store *store);

/* New ops applied per author. */
typedef struct tsm_apply_author {
	char member[TSM_MEMBER_MAX];
	size_t ops;
} tsm_apply_author;

typedef struct tsm_apply_stats {
	size_t received;	   /* ops in the set */
	size_t applied;		   /* new ops stored */
	size_t duplicates;	   /* ops already held (ignored) */
	size_t rejected;	   /* new ops that ended rejected */
	size_t reviews_added;	   /* growth of the open review queue */
	size_t gaps;		   /* sites whose seqs now have a hole */
	size_t clock_warnings;	   /* ops whose clock was too far ahead */
	tsm_apply_author *authors; /* nauthors entries, sorted by member */
	size_t nauthors;
} tsm_apply_stats;

/* Frees what stats holds (not stats itself) and zeroes it. */
void tsm_apply_stats_dispose(tsm_apply_stats *stats);

/* Applies a JSON op set (the format above; any key order and whitespace) in
 * one transaction. The whole set is validated first: malformed JSON or a
 * malformed op gives TSM_EINVALID and nothing is applied. An op already held
 * is ignored. A seq gap for a site is allowed (sync enforces continuity) and
 * counted in stats.gaps. out may be NULL; dispose it after use. */
int tsm_ops_apply_json(tsm_apply_stats *out, tsm_store *store, const char *json,
		       size_t len);

/* ---- reading the log (audit, debugging) ---- */

typedef struct tsm_op {
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
	uint64_t hlc;
	char *author;
	char *etype;
	char *eid;
	char *action;
	char *field;	  /* "" when none */
	char *value;	  /* canonical JSON, NULL when none */
	char *supersedes; /* "site:seq" ids separated by spaces, maybe "" */
	char *status;	  /* TSM_OP_* */
	char *reason;	  /* why rejected, else NULL */
} tsm_op;

/* Lists the ops of one entity (etype and eid given) or of one etype (eid
 * NULL) or all (both NULL), sorted by (hlc, site, seq). Free the array with
 * tsm_ops_list_free(). */
int tsm_ops_list(tsm_op **out, size_t *n, tsm_store *store, const char *etype,
		 const char *eid);
void tsm_ops_list_free(tsm_op *ops, size_t n);

/* ---- the state hash ---- */

/* BLAKE2b-256, hex, of a canonical serialization of every materialized
 * table (rows sorted by primary key, every column) and every op's (site,
 * seq, status, reason). Equal op sets give equal hashes on every replica.
 * out must hold 65 bytes. */
int tsm_state_hash(char out[65], tsm_store *store);

/* ---- the clock ---- */

/* Fixes "now" (ms since the epoch) for the hybrid logical clock; 0 returns
 * to the real clock. For tests and reproducible demos (the CLI reads
 * TSM_NOW); core itself never reads the environment. */
void tsm_clock_set_now(int64_t ms);

/* "Now" as the store's clock sees it, in ms since the epoch: the value set
 * with tsm_clock_set_now(), else the real clock. */
int64_t tsm_clock_now_ms(void);

/* Parses a time for tsm_clock_set_now: ms since the epoch ("1796000000000")
 * or ISO-8601 with a zone ("2026-11-27T10:00:00+08:00", "...Z"). */
int tsm_clock_parse(int64_t *out, const char *text);

#ifdef __cplusplus
}
#endif
#endif
