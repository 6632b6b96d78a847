/* tsm/followup.h — follow-ups: callbacks, follow-ups and revisits scheduled
 * on customers (the op log's `followup` entity), done or rescheduled, and
 * the revisits of signed clients that the team policy makes due.
 * Ownership: a list you get through **out is malloc'd and yours; free it with
 * tsm_followup_list_free(). Op builders own what they hold until _dispose. */
#ifndef TSM_FOLLOWUP_H
#define TSM_FOLLOWUP_H

#include <stdint.h>

#include "tsm/customer.h"
#include "tsm/ops.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Follow-up ids: "f" + 12 lowercase hex digits. A revisit computed from the
 * policy (not yet in the log) has the id "rv:" + the customer id. */
#define TSM_FOLLOWUP_ID_MAX (3 + TSM_CUSTOMER_ID_MAX)
#define TSM_FOLLOWUP_REVISIT_PREFIX "rv:"

/* Kinds. callback: the customer asked to be called at that time; followup:
 * the agent's own next step; revisit: a periodic call on a signed client. */
enum {
	TSM_FOLLOWUP_CALLBACK = 0,
	TSM_FOLLOWUP_FOLLOWUP = 1,
	TSM_FOLLOWUP_REVISIT = 2,
	TSM_FOLLOWUP_NKINDS
};

/* "callback", "followup", "revisit"; NULL when out of range. Static. */
const char *tsm_followup_kind_name(int kind);

/* The TSM_FOLLOWUP_* of a name, or -1. */
int tsm_followup_kind_lookup(const char *name);

/* ---- time ---- */

/* "Now" in ms: the store clock's wall time (TSM_NOW in tests, through
 * tsm_clock_set_now), else the real clock. */
int64_t tsm_followup_now(void);

/* Parses a due time typed by a user (tsm/when.h forms) relative to
 * tsm_followup_now(). A time before today (local) is refused as a likely
 * typo: TSM_EINVALID "invalid time 'x': in the past"; earlier today is
 * accepted (it is due at once). */
int tsm_followup_parse_due(int64_t *out_ms, const char *text);

/* The local day around ms: [*from, *to) from midnight to the next midnight
 * (23 or 25 hours long on a DST change). */
int tsm_followup_day(int64_t *from, int64_t *to, int64_t ms);

/* ---- writing ---- */

/* What a new follow-up is. Strings are borrowed for the call. */
typedef struct tsm_followup_new {
	const char *customer; /* an exact customer id */
	int64_t due;	      /* ms */
	int kind;	      /* TSM_FOLLOWUP_* */
	const char *note;     /* NULL when none */
} tsm_followup_new;

#define TSM_FOLLOWUP_NEW_INIT                                                  \
	{                                                                      \
		NULL, 0, TSM_FOLLOWUP_FOLLOWUP, NULL                           \
	}

/* A follow-up create ready for tsm_ops_append (e.g. beside the call that
 * schedules it, so both are written atomically). */
typedef struct tsm_followup_op {
	tsm_op_spec spec;	      /* points into this struct */
	char id[TSM_FOLLOWUP_ID_MAX]; /* the new follow-up's id */
	char *value;		      /* the create's JSON (owned) */
} tsm_followup_op;

/* Validates f (kind, due > 0, note length) and builds the create op with a
 * fresh id. The customer is not looked up here. Nothing is written. */
int tsm_followup_op_build(tsm_followup_op *out, const tsm_followup_new *f);
void tsm_followup_op_dispose(tsm_followup_op *op);

/* A done op (satisfaction 1..5 or 0 for none, feedback may be NULL) for
 * follow-up id, at ms. Built like tsm_followup_op. */
int tsm_followup_done_op_build(tsm_followup_op *out, const char *id, int64_t at,
			       int satisfaction, const char *feedback);

/* Adds a follow-up on the customer ref names (tsm_customer_resolve); out
 * (TSM_FOLLOWUP_ID_MAX bytes, may be NULL) gets its id. TSM_ENOTFOUND,
 * TSM_EINVALID (bad kind, due or note), TSM_EPERM when the rules refuse. */
int tsm_followup_add(char *out, tsm_store *store, const char *ref,
		     const tsm_followup_new *f);

/* Finds the follow-up ref names: an exact id, a unique id prefix of at
 * least 4 characters, or "rv:" + a customer (ref as tsm_customer_resolve
 * takes it) for that customer's computed revisit. Only follow-ups of
 * customers this member may see match. TSM_ENOTFOUND / TSM_EINVALID
 * (ambiguous: the candidates are listed). */
int tsm_followup_resolve(char *out, tsm_store *store, const char *ref);

/* Marks the follow-up ref names done now, with satisfaction (1..5, 0 for
 * none) and feedback (NULL for none). A computed revisit ("rv:...") is
 * written as a revisit follow-up created and done at once; out (may be
 * NULL) gets the id of what was marked. TSM_EINVALID when it is done
 * already or the values are bad. */
int tsm_followup_done(char *out, tsm_store *store, const char *ref,
		      int satisfaction, const char *feedback);

/* Moves the follow-up ref names to due (a done one is reopened: the op
 * log's rule makes a reschedule that follows a done reopen it). */
int tsm_followup_reschedule(char *out, tsm_store *store, const char *ref,
			    int64_t due);

/* ---- reading ---- */

typedef struct tsm_followup {
	char id[TSM_FOLLOWUP_ID_MAX];
	char customer[TSM_CUSTOMER_ID_MAX];
	char *customer_name; /* NULL when none */
	char *phone;	     /* E.164, NULL when none */
	char *owner;	     /* the customer's owner (else its creator) */
	int kind;	     /* TSM_FOLLOWUP_* */
	int64_t due;	     /* ms */
	char *note;	     /* NULL when none */
	int done;
	int64_t done_at;    /* 0 when open */
	char *done_by;	    /* NULL when open */
	int satisfaction;   /* 0 when none */
	char *feedback;	    /* NULL when none */
	char *created_by;   /* NULL for a computed revisit */
	int64_t created_at; /* 0 for a computed revisit */
	int computed;	    /* 1: a revisit due by the policy, not in the log */
} tsm_followup;

void tsm_followup_list_free(tsm_followup *list, size_t n);

/* Whose follow-ups: the "own list" of a member is the customers they own,
 * and the unassigned ones they created (in SQL: coalesce(owner,
 * created_by) = member) — the list `call next` works through. */
enum {
	TSM_FOLLOWUP_MINE = 0,	 /* this replica's member's own list */
	TSM_FOLLOWUP_MEMBER = 1, /* filter.member's own list (leads,
				  * managers, assistants, auditors; or
				  * oneself) */
	TSM_FOLLOWUP_TEAM = 2	 /* every customer this member may see */
};

typedef struct tsm_followup_filter {
	unsigned int version;
	int scope;	      /* TSM_FOLLOWUP_MINE, _MEMBER, _TEAM */
	const char *member;   /* for TSM_FOLLOWUP_MEMBER */
	int64_t due_from;     /* due >= due_from (0: no lower bound) */
	int64_t due_to;	      /* due < due_to (0: no upper bound) */
	int include_done;     /* also done ones (by their due time) */
	int revisits;	      /* add the computed revisits of won clients */
	const char *customer; /* an exact customer id, or NULL */
	size_t limit;	      /* 0: no limit */
} tsm_followup_filter;

#define TSM_FOLLOWUP_FILTER_VERSION 1
#define TSM_FOLLOWUP_FILTER_INIT                                               \
	{                                                                      \
		TSM_FOLLOWUP_FILTER_VERSION, TSM_FOLLOWUP_MINE, NULL, 0, 0, 0, \
		    1, NULL, 0                                                 \
	}

/* Lists follow-ups matching filter (NULL: the own list's open ones and its
 * computed revisits, any due time), ordered by due time then id; done ones
 * (include_done) by due too. TSM_EPERM when an agent asks for another
 * member's list. */
int tsm_followup_list(tsm_followup **out, size_t *n, tsm_store *store,
		      const tsm_followup_filter *filter);

/* ---- revisits of signed clients ---- */

/* When the next revisit of customer id (stage won) is due: the last of the
 * moment it was won, its last revisit-done call and its last done revisit
 * follow-up, plus the policy's revisit cadence. *out = 0 when the customer
 * is not won, or has an open revisit follow-up (which then stands for the
 * revisit). */
int tsm_followup_revisit_due(int64_t *out, tsm_store *store, const char *id);

#ifdef __cplusplus
}
#endif
#endif
