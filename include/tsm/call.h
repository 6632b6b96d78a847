/* tsm/call.h — the calling workflow: call outcomes and what they do to a
 * customer (flags, stage, follow-ups, orders, do-not-call), logging a call
 * through the op log, choosing the next customer to call, the customers'
 * time zones for calling hours, and the agent's day (`tsm today`).
 * Ownership: every result here is a plain value the caller provides;
 * nothing to free unless a function says so. */
#ifndef TSM_CALL_H
#define TSM_CALL_H

#include <stdint.h>

#include "tsm/customer.h"
#include "tsm/followup.h"
#include "tsm/ops.h"
#include "tsm/order.h"
#include "tsm/store.h"
#include "tsm/when.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- outcomes (DESIGN §6) ---- */

enum {
	TSM_OUTCOME_NO_ANSWER = 0,
	TSM_OUTCOME_BUSY,
	TSM_OUTCOME_INVALID_NUMBER,
	TSM_OUTCOME_GATEKEEPER,
	TSM_OUTCOME_NOT_INTERESTED,
	TSM_OUTCOME_CALLBACK,
	TSM_OUTCOME_INTERESTED,
	TSM_OUTCOME_ORDER,
	TSM_OUTCOME_DNC_REQUEST,
	TSM_OUTCOME_REVISIT_DONE,
	TSM_OUTCOME_COUNT
};

/* The flags an outcome stores (the op log derives the same from the
 * outcome; reports count from them). */
#define TSM_CALL_CONNECTED 0x01u
#define TSM_CALL_EFFECTIVE 0x02u
#define TSM_CALL_INTERESTED 0x04u
#define TSM_CALL_SALE 0x08u
#define TSM_CALL_DNC 0x10u
#define TSM_CALL_REVISIT 0x20u

/* "no-answer", ...; NULL when out of range. Static storage. */
const char *tsm_call_outcome_name(int outcome);

/* The TSM_OUTCOME_* of name, or -1. */
int tsm_call_outcome_lookup(const char *name);

/* Every outcome name, ", "-separated, for messages. Static storage. */
const char *tsm_call_outcome_names(void);

/* The TSM_CALL_* flags of an outcome; 0 when out of range. */
unsigned int tsm_call_outcome_flags(int outcome);

/* Nonzero when the outcome means the customer was not reached: no-answer,
 * busy and gatekeeper. These count towards the policy's maximum attempts
 * and start its retry delay (DESIGN §6 counts a gatekeeper as connected for
 * reports, but the lead itself was not reached, so it is retried). */
int tsm_call_outcome_unanswered(int outcome);

/* A connected call counts as effective when its outcome says so or its
 * talk time reaches the policy's effective_seconds. Reports and `today`
 * apply this at read time (the stored flag follows the outcome only), so a
 * change of the threshold applies to past calls too. */
int tsm_call_effective(unsigned int flags, int64_t duration_s,
		       int64_t threshold_s);

/*
 * The stage a call moves a customer to. Calls only move a customer forward
 * along new < contacted < interested < negotiating < won; a call never moves
 * one back, and "lost" is set only by an explicit edit.
 *
 *   outcome          target stage   notes
 *   no-answer        -              a dial only
 *   busy             -              a dial only
 *   invalid-number   -              a dial only; the lead leaves the queue
 *                                   until its record is edited
 *   gatekeeper       -              connected, but not to the customer: a
 *                                   new lead stays new and is retried
 *   not-interested   contacted      stays in the pipeline; lost by edit
 *   callback         contacted      with a follow-up (kind callback)
 *   interested       interested
 *   order            won            with the order, in the same write
 *   dnc-request      contacted      and sets the do-not-call flag
 *   revisit-done     -              a signed client's revisit
 *
 * From "lost", only interested and order move the customer (the client
 * came back: to interested / won); from "won" nothing moves it.
 */

/* The stage after a call with outcome on a customer in stage, or NULL
 * when the stage does not change. Static storage. */
const char *tsm_call_stage_after(const char *stage, int outcome);

/* Parses a talk time: seconds ("95"), MM:SS ("1:35"), H:MM:SS, or with
 * units ("95s", "2m", "1m35s"). TSM_EINVALID with "invalid duration 'x':
 * ..." for anything else, negative values included. */
int tsm_call_duration_parse(int64_t *out_s, const char *text);

/* ---- logging a call ---- */

/* What `call log` records. Strings are borrowed for the call. */
typedef struct tsm_call_entry {
	unsigned int version;
	const char *customer; /* a reference: tsm_customer_resolve */
	int outcome;	      /* TSM_OUTCOME_* */
	int64_t duration_s;   /* talk time, >= 0 */
	const char *note;     /* NULL when none */
	int64_t at;	      /* when the call was made (ms); 0 = now */
	int64_t followup_due; /* ms; 0 = no follow-up */
	const char *followup_note;
	/* outcome order: the order (service, amount_fen required) */
	const char *service;
	int64_t amount_fen;
	int term_months;   /* 0: the product's default */
	const char *start; /* YYYY-MM-DD; NULL: today */
	const char *order_note;
	/* outcome revisit-done: satisfaction required (1..5) */
	int satisfaction;
	const char *feedback;
	const char *complaint;
} tsm_call_entry;

#define TSM_CALL_ENTRY_VERSION 1
#define TSM_CALL_ENTRY_INIT                                                    \
	{                                                                      \
		TSM_CALL_ENTRY_VERSION, NULL, -1, 0, NULL, 0, 0, NULL, NULL,   \
		    0, 0, NULL, NULL, 0, NULL, NULL                            \
	}

/* At most this many completed follow-ups are named in a result. */
#define TSM_CALL_DONE_MAX 8

/* What a logged call wrote. */
typedef struct tsm_call_logged {
	char call[TSM_OPID_MAX]; /* the call's op id */
	char customer[TSM_CUSTOMER_ID_MAX];
	int64_t at;	    /* ms */
	unsigned int flags; /* TSM_CALL_*, EFFECTIVE included
			     * when the talk time reaches the
			     * threshold */
	char stage_before[TSM_STAGE_MAX];
	char stage[TSM_STAGE_MAX];	    /* equal when unchanged */
	char followup[TSM_FOLLOWUP_ID_MAX]; /* created, "" when none */
	int followup_kind;		    /* its TSM_FOLLOWUP_*, -1 none */
	int64_t followup_due;
	char order[TSM_ORDER_ID_MAX]; /* created, "" when none */
	char done[TSM_CALL_DONE_MAX][TSM_FOLLOWUP_ID_MAX];
	size_t ndone; /* follow-ups completed (all) */
	int dnc_set;  /* the customer is now DNC */
	size_t ops;   /* ops appended */
} tsm_call_logged;

/*
 * Logs a call on the customer entry->customer names, as this replica's
 * member, in ONE tsm_ops_append (all or nothing):
 * - append(call) {outcome, duration_s, note?, at};
 * - set(stage) when the table above moves it;
 * - a connected call completes the customer's open callback and followup
 *   follow-ups due before the end of the call's local day;
 * - revisit-done: completes the open revisit follow-ups due by the end of
 *   the day (else the earliest open one) with satisfaction and feedback,
 *   appends the feedback (satisfaction, text); a complaint is appended as
 *   feedback "complaint: TEXT" and, unless followup_due is given, schedules
 *   a follow-up for the next day's default hour so it is handled;
 * - followup_due: a follow-up of kind callback (outcome callback) or
 *   followup (any other outcome), note followup_note;
 * - order: the order create (tsm_order_op_build) — won with it;
 * - dnc-request: set(dnc) true on the customer and lists its phone.
 * Refused, nothing written: TSM_ENOTFOUND unknown customer; TSM_EINVALID
 * bad values (negative duration, satisfaction outside 1..5, a call in the
 * future, order fields missing, order or revisit fields with another
 * outcome) and a customer on the do-not-call list ("customer X is on the
 * do-not-call list"); TSM_EPERM when the op log's rules refuse. out may be
 * NULL. */
int tsm_call_log(tsm_call_logged *out, tsm_store *store,
		 const tsm_call_entry *entry);

/* ---- customers' time zones ---- */

/* The calling hours apply in the customer's local time, derived from the
 * phone's country code with a fixed table (IANA names, offsets and the
 * US, EU, Australian and New Zealand daylight-saving rules coded in):
 * +86 +852 +853 +886 +65 +60 +63 UTC+8; +81 +82 UTC+9; +66 +84 +62
 * UTC+7; +91 UTC+5:30; +971 UTC+4; +7 UTC+3; +44 +353 (EU DST) UTC+0;
 * +31 +32 +33 +34 +39 +41 +43 +45 +46 +47 +48 +49 (EU DST) UTC+1; +1
 * America/New_York (US DST); +61 Australia/Sydney; +64 Pacific/Auckland.
 * Any other number (or none) uses the process's local time (TZ). */

#define TSM_ZONE_NAME_MAX 32

/* The zone name of a phone ("Asia/Shanghai", ..., "local"). Static. */
const char *tsm_call_zone_name(const char *e164);

/* The zone's offset from UTC in minutes at ms; TSM_ENOTFOUND for "local"
 * (the C library knows it). */
int tsm_call_zone_offset(int *out_min, const char *e164, int64_t ms);

/* 1 when the calling hours are open at ms in the phone's zone, else 0. */
int tsm_call_hours_contains(const tsm_hours *hours, const char *e164,
			    int64_t ms);

/* The moment the calling hours next open in the phone's zone (ms itself
 * when open). TSM_ENOTFOUND when they never open. */
int tsm_call_hours_next(int64_t *out_ms, const tsm_hours *hours,
			const char *e164, int64_t ms);

/* ---- the next customer to call ---- */

/* Why a customer is chosen. */
enum {
	TSM_NEXT_NONE = 0,
	TSM_NEXT_CALLBACK, /* a due callback follow-up */
	TSM_NEXT_FOLLOWUP, /* a due follow-up */
	TSM_NEXT_REVISIT,  /* a due revisit of a signed client */
	TSM_NEXT_NEW	   /* a new lead */
};

/* "callback", "followup", "revisit", "new"; NULL for NONE. Static. */
const char *tsm_call_next_reason_name(int why);

typedef struct tsm_call_next_opts {
	unsigned int version;
	int any_time;		 /* ignore calling hours */
	const char *const *skip; /* customer ids to pass over (a dial
				  * session's skips) */
	size_t nskip;
	int64_t now; /* ms; 0 = tsm_followup_now() */
} tsm_call_next_opts;

#define TSM_CALL_NEXT_OPTS_VERSION 1
#define TSM_CALL_NEXT_OPTS_INIT                                                \
	{                                                                      \
		TSM_CALL_NEXT_OPTS_VERSION, 0, NULL, 0, 0                      \
	}

typedef struct tsm_call_next {
	int why; /* TSM_NEXT_*; NONE: nothing callable now */
	char customer[TSM_CUSTOMER_ID_MAX];
	char followup[TSM_FOLLOWUP_ID_MAX]; /* the due follow-up (or the
					     * computed revisit), "" for a
					     * new lead */
	int64_t due;			    /* its due time, 0 for a new lead */
	const char *zone; /* the customer's zone name (static) */
	int64_t now;	  /* the time it was chosen for */
	/* The customers passed over (those before the one chosen; all of
	 * them when nothing is callable), each counted once, by the first
	 * reason that applies in this order: */
	size_t dnc;	    /* on the do-not-call list */
	size_t skipped;	    /* in opts.skip */
	size_t hours;	    /* outside calling hours in their zone */
	size_t scheduled;   /* new leads with a follow-up not yet due */
	size_t invalid;	    /* last call: invalid-number */
	size_t exhausted;   /* max attempts unanswered since the last
			     * time they were reached */
	size_t retry;	    /* retry delay not elapsed */
	int64_t next_open;  /* earliest opening for "hours" ones */
	int64_t next_retry; /* earliest end of a retry delay */
	int64_t next_due;   /* earliest follow-up or revisit due later
			     * than now on the own list, 0 if none */
	size_t candidates;  /* customers looked at */
} tsm_call_next;

/*
 * Chooses the next customer from this member's own list (owned by them, or
 * created by them and unassigned; see tsm/followup.h), in this order:
 * 1. due callbacks and follow-ups (open, due <= now), by due time;
 * 2. due revisits of signed clients (stage won): open revisit follow-ups
 *    due, and revisits computed from the policy's cadence
 *    (tsm_followup_revisit_due), by due time;
 * 3. new leads (stage new) by priority (high, normal or unset, low), then
 *    age (oldest first); a new lead with an open follow-up not yet due
 *    waits for it.
 * Passed over: do-not-call customers; opts.skip; customers outside
 * calling hours in their zone (unless any_time); a last call
 * invalid-number (until the phone is edited after it); max_attempts
 * unanswered calls in a row (tsm_call_outcome_unanswered) since the last
 * call that reached them; an unanswered last call less than retry_delay
 * ago.
 * out->why is TSM_NEXT_NONE when nothing is callable, with the counts that
 * say why. */
int tsm_call_next_get(tsm_call_next *out, tsm_store *store,
		      const tsm_call_next_opts *opts);

/* ---- the agent's day (`tsm today`) ---- */

/* Counts over a time range for one member (calls they logged, orders they
 * recorded, follow-ups on their own list). */
typedef struct tsm_call_counts {
	int64_t dials; /* every call logged */
	int64_t connected;
	int64_t effective; /* tsm_call_effective */
	int64_t interested;
	int64_t sales; /* calls with outcome order */
	int64_t dnc_requests;
	int64_t revisits;    /* revisit-done calls */
	int64_t talk_s;	     /* total talk time */
	int64_t orders;	     /* orders recorded (order table) */
	int64_t revenue_fen; /* their total amount */
} tsm_call_counts;

/* Counts for member (NULL: this replica's member) over [from, to). */
int tsm_call_counts_get(tsm_call_counts *out, tsm_store *store,
			const char *member, int64_t from, int64_t to);

/* Monthly targets are team data in the op log's `target` entity (set by
 * managers): the entity "<member>:<YYYY-MM>" with integer fields among
 * "dials", "effective", "orders", "revenue_fen". */
#define TSM_TARGET_FIELDS 4

typedef struct tsm_call_target {
	const char *field; /* "dials", "effective", "orders", "revenue_fen" */
	int64_t target;	   /* 0: not set */
	int64_t done;	   /* this month so far */
} tsm_call_target;

typedef struct tsm_call_today {
	char member[TSM_MEMBER_MAX];
	int64_t now, from, to; /* the local day [from, to) */
	tsm_call_counts day;
	int64_t effective_s; /* the threshold applied */
	size_t due_today;    /* open follow-ups due later today */
	size_t overdue;	     /* open follow-ups due before now */
	size_t done_today;   /* follow-ups done today on the list */
	size_t revisits_due; /* revisits due by the end of today
			      * (computed and explicit) */
	/* the policy's daily targets (0: none) */
	int64_t daily_dials, daily_effective, daily_orders;
	/* the month's targets and progress */
	char month[8];	/* "YYYY-MM" */
	int has_target; /* any monthly target set */
	tsm_call_target month_targets[TSM_TARGET_FIELDS];
} tsm_call_today;

/* Fills out for this replica's member and the local day of now (0: the
 * clock). */
int tsm_call_today_get(tsm_call_today *out, tsm_store *store, int64_t now);

#ifdef __cplusplus
}
#endif
#endif
