/* core/calling.h — what the calling modules (core/call.c, call_next.c,
 * call_today.c, followup.c) share: the "own list" and revisit SQL, small
 * statement helpers and id generation. Nothing here is public API. */
#ifndef TSM_CORE_CALLING_H
#define TSM_CORE_CALLING_H

#include <sqlite3.h>
#include <stdint.h>

#include "tsm/followup.h"
#include "tsm/store.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

/* A customer row c is live: not deleted, not merged into another. */
#define SQL_LIVE(c) c ".deleted = 0 AND " c ".merged_into IS NULL"

/* The own list of a member: customers they own, or created and nobody
 * owns. Matches the expression of the customers_queue index. */
#define SQL_OWNER(c) "coalesce(" c ".owner, " c ".created_by)"

/* The priority rank used for new leads: high 0, normal or unset 1, low 2
 * (the customers_queue index holds the same expression). */
#define SQL_PRIO(c)                                                            \
	"(CASE " c ".priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 "           \
	"ELSE 1 END)"

/* The moment a revisit cadence starts for a won customer c: the last of
 * the accepted set(stage) "won" (else its creation), its last revisit-done
 * call and its last done revisit follow-up. Each part is one lookup in a
 * small covering index of schema step 3 (ops_won is named: the planner
 * would rather walk the customer's ops in the table). */
#define SQL_REVISIT_BASE(c)                                                    \
	"max(coalesce((SELECT max(o.hlc) >> 16 FROM ops o INDEXED BY ops_won"  \
	" WHERE o.etype = 'customer' AND o.eid = " c ".id"                     \
	" AND o.action = 'set' AND o.field = 'stage'"                          \
	" AND o.status <> 'rejected' AND o.value = '\"won\"'), " c             \
	".created_at),"                                                        \
	" coalesce((SELECT max(k.at) FROM calls k WHERE k.customer = " c       \
	".id AND k.revisit = 1), 0),"                                          \
	" coalesce((SELECT max(g.done_at) FROM followups g"                    \
	" WHERE g.customer = " c ".id AND g.kind = 'revisit'"                  \
	" AND g.done = 1), 0))"

/* No open revisit follow-up stands for the revisit of c. */
#define SQL_NO_OPEN_REVISIT(c)                                                 \
	"NOT EXISTS (SELECT 1 FROM followups h WHERE h.customer = " c          \
	".id AND h.kind = 'revisit' AND h.done = 0)"

/* One open follow-up on an own list, as calling_own_followups() yields
 * it. Strings are borrowed for the callback (NULL when empty). */
struct calling_fu {
	const char *id;
	const char *customer;
	const char *kind;
	int64_t due;
	const char *phone;
	int dnc;
	const char *name;
	const char *owner;
	const char *note;
	const char *created_by;
	int64_t created_at;
};

/* Which kinds calling_own_followups() yields. */
enum { CF_ANY = 0, CF_NOT_REVISIT = 1, CF_REVISIT = 2 };

/* Returns 0 to go on, 1 to stop, or a negative TSM_E* code. */
typedef int (*calling_fu_fn)(void *arg, const struct calling_fu *f);

/*
 * Calls fn for each open follow-up of kinds on member's own list with
 * from <= due < to, in (due, id) order, until fn says stop. The query
 * shape is chosen per call: from the team's open follow-ups in the window
 * to their customers (few of them due), or from the member's own customers
 * (contiguous in customers_queue) to their follow-ups, whichever reads
 * fewer pages: the own list is counted up to OWN_PER_DUE times the
 * follow-ups in the window, a covering-index walk either way.
 */
int calling_own_followups(tsm_store *store, const char *member, int64_t from,
			  int64_t to, int kinds, calling_fu_fn fn, void *arg);

/* Prepares sql on the store's connection; the error is set on failure. */
int calling_prepare(sqlite3_stmt **out, tsm_store *store, const char *sql);

/* Binds text (NULL binds NULL), transient copy not needed: the caller
 * keeps s alive until the statement is reset. */
void calling_bind(sqlite3_stmt *st, int i, const char *s);

/* A malloc'd copy of column i (NULL for SQL NULL or out of memory: *oom
 * is then set). */
char *calling_col_dup(sqlite3_stmt *st, int i, int *oom);

/* Writes prefix + 12 random lowercase hex digits into out (size bytes). */
void calling_new_id(char *out, size_t size, char prefix);

/* The revisit cadence of the team in ms (policy revisit_days). */
int calling_revisit_ms(int64_t *out, tsm_store *store);

#endif
