/* tsm/review_ext.h — the review queue as a lead or manager works it (an
 * extension of tsm/review.h): each item with both sides (values, authors,
 * times, op ids), and resolutions that change the data — picking the losing
 * side of a conflict writes that value back, resolving a duplicate merges
 * the customers — written atomically with the resolve op.
 * Ownership: arrays from tsm_review_view_list() are yours; free them with
 * tsm_review_view_list_free(). */
#ifndef TSM_REVIEW_EXT_H
#define TSM_REVIEW_EXT_H

#include <stdint.h>

#include "tsm/review.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One side of an item, labelled "A", "B", ... in the item's order:
 * conflict    the concurrent heads in clock order (value: the JSON each
 *             wrote); field "deleted": A the delete, then the edits
 *             concurrent with it
 * violation   A the call, then the do-not-call ops in effect
 * duplicate   one per customer sharing the phone (customer, info: its
 *             name; author and at: who created it and when)
 * rejected    A the rejected op (value: what it tried to write) */
typedef struct tsm_review_side {
	char label[4];
	char op[TSM_OPID_MAX]; /* the op, "" for a duplicate's customer */
	char *author;	       /* NULL when unknown */
	int64_t at;	       /* ms, 0 when unknown */
	char *value;	       /* canonical JSON, NULL when none */
	char *text;	       /* value's text when it is a JSON string */
	char *info;	       /* one line for people: "set name", "delete",
				* "call no-answer", a customer's name, ... */
	char *customer;	       /* duplicate: the customer id, else NULL */
	int current;	       /* the state shows this side now (a conflict's
				* winner, a live duplicate, ...) */
} tsm_review_side;

typedef struct tsm_review_view {
	tsm_review_item item;  /* as tsm_review_list() gives it */
	int closed;	       /* 1: resolved by a change that removed the
				* conflict itself (item.open is 0) */
	char *label;	       /* the customer's name for items on a
				* customer, NULL otherwise */
	char *note;	       /* the resolution's note, NULL */
	char *resolved_author; /* NULL when open */
	int64_t resolved_at;   /* ms, 0 when open */
	tsm_review_side *sides;
	size_t nsides;
} tsm_review_view;

/* Lists items as tsm_review_list() does, with their sides. Unless
 * filter->open_only, items closed by a resolution that changed the data
 * (their conflict no longer exists, so tsm_review_list() no longer has
 * them) are listed too, rebuilt from their resolve op. Leads, managers,
 * assistants and auditors see every item; an agent sees items on the
 * customers they may see and the rejections of their own ops. */
int tsm_review_view_list(tsm_review_view **out, size_t *n, tsm_store *store,
			 const tsm_review_filter *filter);
void tsm_review_view_list_free(tsm_review_view *views, size_t n);

/* How to resolve an item: exactly one of choose, merge_into, ack, dismiss.
 * conflict   choose a side label ("A", "B", ...), or for a customer's
 *            field a new value typed as for `customer edit`; a side that
 *            is not the current one (or a new value) is written back with
 *            a set op (a merge op for "merged_into"); field "deleted":
 *            "delete" (or A) keeps it deleted, "restore" (or an edit's
 *            label) restores the customer. dismiss keeps what is shown.
 * duplicate  merge_into (or choose: a label or a customer id or prefix):
 *            the other customers are merged into it (managers only; the
 *            op log re-parents their calls, notes, follow-ups and
 *            orders); dismiss: they are different people.
 * violation, rejected   ack (a note is required) or dismiss. */
typedef struct tsm_review_choice {
	unsigned int version;
	const char *choose;
	const char *merge_into;
	int ack;
	int dismiss;
	const char *note; /* NULL when none */
} tsm_review_choice;

#define TSM_REVIEW_CHOICE_VERSION 1
#define TSM_REVIEW_CHOICE_INIT                                                 \
	{                                                                      \
		TSM_REVIEW_CHOICE_VERSION, NULL, NULL, 0, 0, NULL              \
	}

#define TSM_REVIEW_CHOICE_MAX 96

/* What a resolution wrote. */
typedef struct tsm_review_done {
	char id[TSM_REVIEW_ID_MAX]; /* the item's full id */
	char kind[16];
	char choice[TSM_REVIEW_CHOICE_MAX]; /* as recorded: "A", "value",
					     * "restore", "merge-into:c..",
					     * "ack", "dismiss" */
	size_t data_ops;		    /* set / restore / merge ops */
	char resolve_op[TSM_OPID_MAX];
} tsm_review_done;

/* Resolves the item id names (an id or a unique prefix) as this replica's
 * member: the data ops and the review resolve op in one transaction. The
 * resolve op's value is {"choice", "note"?, "kind", "etype", "eid",
 * "field", "detail", "value"?} so the resolution stays readable after the
 * item itself is gone. Errors, nothing written: TSM_EPERM (not a lead or
 * manager, or the rules refuse a data op: merging takes a manager),
 * TSM_ENOTFOUND (no such item; a duplicate's customer not in the item),
 * TSM_EINVALID (ambiguous prefix, already resolved, a choice that does not
 * fit the kind — the message says what does — or a bad value). */
int tsm_review_decide(tsm_review_done *out, tsm_store *store, const char *id,
		      const tsm_review_choice *choice);

#ifdef __cplusplus
}
#endif
#endif
