/* tsm/review.h — the review queue: conflicts, compliance violations,
 * suspected duplicates and rejected ops, each with both sides and the ops
 * involved. Items are derived from the op log (deterministic ids); resolving
 * one is itself an op (a review resolve by a lead or manager).
 * Ownership: arrays from tsm_review_list() are yours; free them with
 * tsm_review_list_free(). */
#ifndef TSM_REVIEW_H
#define TSM_REVIEW_H

#include "tsm/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Item kinds. */
#define TSM_REVIEW_CONFLICT "conflict"	 /* concurrent different values */
#define TSM_REVIEW_VIOLATION "violation" /* a call to a do-not-call customer   \
					  */
#define TSM_REVIEW_DUPLICATE "duplicate" /* live customers share a phone */
#define TSM_REVIEW_REJECTED "rejected"	 /* an op broke a rule */

#define TSM_REVIEW_ID_MAX 20 /* "r" + 16 hex digits, NUL */

/* One item. detail is canonical JSON; by kind:
 * conflict  {"sides":[{"op":"site:seq","value":V},...]} (heads in clock
 *           order; the winner last) — field "deleted": {"delete":"op",
 *           "edits":["op",...]}; field "stage" for won vs lost.
 * violation {"call":"op","dnc":["op",...]} the DNC sets in effect.
 * duplicate {"phone":"+86...","customers":["id",...]} (etype "phone").
 * rejected  {"op":"site:seq","author":"m","action":"set","field":"owner",
 *           "reason":"..."} */
typedef struct tsm_review_item {
	char id[TSM_REVIEW_ID_MAX];
	char *kind;
	char *etype;
	char *eid;
	char *field;	   /* "" when none */
	char *detail;	   /* canonical JSON */
	char *ops;	   /* the op ids involved, separated by spaces */
	int open;	   /* 1 open, 0 resolved */
	char *resolved_by; /* the resolving op id, NULL when open */
	char *choice;	   /* the resolution's choice, NULL when open */
	int64_t at;	   /* ms: the clock of the newest op involved */
} tsm_review_item;

typedef struct tsm_review_filter {
	unsigned int version;
	int open_only;	   /* only open items */
	const char *kind;  /* TSM_REVIEW_* or NULL for all */
	const char *etype; /* NULL for all */
	const char *eid;   /* NULL for all */
	const char *id;	   /* an id or a unique prefix of one, NULL for all */
} tsm_review_filter;

#define TSM_REVIEW_FILTER_VERSION 1
#define TSM_REVIEW_FILTER_INIT                                                 \
	{                                                                      \
		TSM_REVIEW_FILTER_VERSION, 0, NULL, NULL, NULL, NULL           \
	}

/* Lists items matching filter (NULL: all), newest first, ties by id. */
int tsm_review_list(tsm_review_item **out, size_t *n, tsm_store *store,
		    const tsm_review_filter *filter);
void tsm_review_list_free(tsm_review_item *items, size_t n);

/* Resolves the item whose id is id (or a unique prefix): appends a review
 * resolve op {"choice","note"} as this replica's member. TSM_ENOTFOUND when
 * no item matches, TSM_EINVALID when the prefix is ambiguous, TSM_EPERM when
 * the member is not a lead or manager. Resolving changes no data by itself:
 * a command that picks a side appends the corresponding ops in the same
 * call (tsm_ops_append) before or after. out (may be NULL) gets the op id. */
int tsm_review_resolve(tsm_opid *out, tsm_store *store, const char *id,
		       const char *choice, const char *note);

/* Number of open items. */
int tsm_review_count_open(size_t *out, tsm_store *store);

#ifdef __cplusplus
}
#endif
#endif
