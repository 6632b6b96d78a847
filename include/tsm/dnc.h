/* tsm/dnc.h — the do-not-call list: numbers (customers or not) and the
 * customers' own flags. Anyone may add; only a manager may remove (the op
 * log's rule: DNC is sticky).
 * Ownership: a list you get through **out is yours; free it with
 * tsm_dnc_list_free(). */
#ifndef TSM_DNC_H
#define TSM_DNC_H

#include <stdint.h>

#include "tsm/customer.h"
#include "tsm/phone.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What add or remove did. */
typedef struct tsm_dnc_result {
	char phone[TSM_PHONE_MAX];	    /* the number listed / cleared */
	char customer[TSM_CUSTOMER_ID_MAX]; /* "" when ref was a number */
	size_t changed;	  /* ops appended; 0 when it already was so */
	size_t customers; /* live customers with this phone */
} tsm_dnc_result;

/* Puts ref on the do-not-call list as this replica's member. ref is a
 * customer (id, unique id prefix: tsm_customer_resolve) — its own flag is
 * set and its phone listed — or else a phone number, listed as it
 * normalizes. reason (may be NULL) is kept on the number (the list shows
 * its last one) and as a note on the customer, or on each live customer
 * with that number this member may write. A reason for a number already
 * listed is recorded all the same. TSM_EINVALID when ref is neither
 * a customer nor a valid number (the phone's reason in the message). */
int tsm_dnc_add(tsm_dnc_result *out, tsm_store *store, const char *ref,
		const char *reason);

/* Takes ref (as for add) off the list: clears the number and, for a
 * customer, its own flag. TSM_EPERM unless this member is a manager;
 * TSM_ENOTFOUND when neither is set. */
int tsm_dnc_remove(tsm_dnc_result *out, tsm_store *store, const char *ref);

/* 1 when phone (normalized or not) is listed, 0 when not; negative on
 * error (TSM_EINVALID for a malformed number). */
int tsm_dnc_listed(tsm_store *store, const char *phone);

/* One entry: a listed number, or a customer whose own flag is set while
 * its number is not listed. */
typedef struct tsm_dnc_entry {
	char phone[TSM_PHONE_MAX];	    /* "" for a flagged customer
					     * without a phone */
	char customer[TSM_CUSTOMER_ID_MAX]; /* first live customer with it,
					     * or the flagged one; "" none */
	char *customer_name;		    /* NULL when no customer */
	size_t customers;		    /* live customers with it */
	int listed;			    /* the number is on the list */
	char *author;			    /* who listed / flagged it */
	int64_t at;			    /* ms of that op */
	char *reason; /* the number's last reason given, NULL when none */
} tsm_dnc_entry;

/* The list, ordered by time added (newest last), then phone. */
int tsm_dnc_list(tsm_dnc_entry **out, size_t *n, tsm_store *store);
void tsm_dnc_list_free(tsm_dnc_entry *list, size_t n);

#ifdef __cplusplus
}
#endif
#endif
