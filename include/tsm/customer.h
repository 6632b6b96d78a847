/* tsm/customer.h — customers: add, edit, delete and restore (as ops in the
 * log), find one by id, id prefix or phone, list with filters, the card that
 * `show` prints, and who may see whom (visibility by role).
 * Ownership: a tsm_customer, list or card you get through **out is malloc'd
 * and yours; release it with the _free function named beside it. */
#ifndef TSM_CUSTOMER_H
#define TSM_CUSTOMER_H

#include <stdint.h>

#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/phone.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSM_CUSTOMER_ID_MAX 64	   /* ids as stored ("c" + 12 hex), with NUL */
#define TSM_STAGE_MAX 16	   /* the longest stage name, with NUL */
#define TSM_CUSTOMER_TEXT_MAX 4096 /* bytes of any one text field */

/* The fields a user edits, as indexes into tsm_customer_fields.v. The names
 * (tsm_customer_field_name) are the op log's field names and the CLI's flag
 * names. */
enum {
	TSM_CF_NAME = 0,
	TSM_CF_PHONE,
	TSM_CF_COMPANY,
	TSM_CF_INDUSTRY,
	TSM_CF_REGION,
	TSM_CF_SIZE,
	TSM_CF_SOURCE,
	TSM_CF_ADDRESS,
	TSM_CF_NEEDS,
	TSM_CF_SALUTATION, /* 先生 女士 小姐 Mr Ms Mrs Miss Dr */
	TSM_CF_PRIORITY,   /* high normal low */
	TSM_CF_TAGS,
	TSM_CF_STAGE, /* new contacted interested negotiating won lost */
	TSM_CF_OWNER, /* a member id (leads and managers assign) */
	TSM_CF_COUNT
};

/* "name", "phone", ...; NULL when f is out of range. Static storage. */
const char *tsm_customer_field_name(int f);

/* The TSM_CF_* index of a field name, or -1. */
int tsm_customer_field_lookup(const char *name);

/* What add or edit asks for. v[f] is the new value as the user typed it
 * (NULL: leave the field alone); phones are normalized, salutation,
 * priority and stage checked, owner must be a team member. clear has bit
 * (1u << f) set for fields to empty (not name, phone or stage). Strings are
 * borrowed for the call. */
typedef struct tsm_customer_fields {
	unsigned int version;
	const char *v[TSM_CF_COUNT];
	unsigned int clear;
} tsm_customer_fields;

#define TSM_CUSTOMER_FIELDS_VERSION 1
#define TSM_CUSTOMER_FIELDS_INIT                                               \
	{                                                                      \
		TSM_CUSTOMER_FIELDS_VERSION, {NULL}, 0                         \
	}

/* What a write did, for the warnings a user should see. */
typedef struct tsm_customer_written {
	char id[TSM_CUSTOMER_ID_MAX];
	char phone[TSM_PHONE_MAX]; /* the normalized phone, "" when unchanged */
	size_t changed;		   /* ops appended (edit: 0 = nothing new) */
	/* Another live customer has the same phone: the first such id (by id)
	 * and how many there are ("" and 0 when none). The op log queues a
	 * "duplicate" review item. */
	char dup_of[TSM_CUSTOMER_ID_MAX];
	size_t ndup;
	int dnc_listed; /* the phone is on the do-not-call list */
} tsm_customer_written;

/* Adds a customer as this replica's member: name and phone are required.
 * A new id "c" + 12 random hex digits goes to out->id. Returns 0,
 * TSM_EINVALID (nothing written; the message says which field and why),
 * TSM_EPERM when the op log's rules refuse it (e.g. an agent giving an
 * owner), or another TSM_E* code. */
int tsm_customer_add(tsm_customer_written *out, tsm_store *store,
		     const tsm_customer_fields *fields);

/* Edits the customer ref names (see tsm_customer_resolve): one set op per
 * field whose value changes; out->changed = 0 when every value given is
 * the current one (nothing written). Errors as for add, and TSM_ENOTFOUND. */
int tsm_customer_edit(tsm_customer_written *out, tsm_store *store,
		      const char *ref, const tsm_customer_fields *fields);

/* Deletes / restores the customer ref names (delete: live customers only;
 * restore: deleted ones). out (may be NULL) gets the id. TSM_EINVALID when
 * already deleted / not deleted, TSM_EPERM when the rules refuse. */
int tsm_customer_delete(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			const char *ref);
int tsm_customer_restore(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			 const char *ref);

/* Flags for tsm_customer_resolve(). */
#define TSM_RESOLVE_DELETED 1u /* deleted customers match too */

/* Finds the one customer ref names, into out: an exact id (a merged one
 * resolves to its survivor), else a unique id prefix of at least 4
 * characters, else the customers whose phone equals ref normalized. Only
 * live customers match (also deleted ones with TSM_RESOLVE_DELETED, but a
 * single live match by prefix or phone wins over deleted ones); a
 * customer this member may not see (tsm_customer_visible) never matches.
 * TSM_ENOTFOUND "no customer 'x'"; TSM_EINVALID when several match, the
 * message listing the candidates ("'1380' matches c1a2.. (name), ..."). */
int tsm_customer_resolve(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
			 const char *ref, unsigned int flags);

/* A customer as materialized from the op log. Strings are NULL when the
 * field is empty. */
typedef struct tsm_customer {
	char id[TSM_CUSTOMER_ID_MAX];
	char *f[TSM_CF_COUNT]; /* by TSM_CF_*: name, phone (E.164), ... */
	char stage[TSM_STAGE_MAX];
	int dnc;      /* do-not-call: own flag set or phone listed */
	int dnc_flag; /* the customer's own flag */
	int deleted;
	char *merged_into; /* the survivor when merged, else NULL */
	char *created_by;
	int64_t created_at; /* ms */
	int64_t updated_at; /* ms */
	int64_t next_due;   /* ms of the earliest open follow-up, 0 if none */
	char *next_kind;    /* its kind (callback followup revisit) or NULL */
	int64_t last_call;  /* ms of the newest call, 0 if none */
	int64_t calls;	    /* calls logged */
} tsm_customer;

/* Frees what c holds (not c itself) and zeroes it. */
void tsm_customer_dispose(tsm_customer *c);

/* Reads the customer ref names (resolved as by tsm_customer_resolve with
 * flags) into *out; free it with tsm_customer_free(). */
int tsm_customer_get(tsm_customer **out, tsm_store *store, const char *ref,
		     unsigned int flags);
void tsm_customer_free(tsm_customer *c);

/* List filters; NULL / 0 members do not filter. */
typedef struct tsm_customer_filter {
	unsigned int version;
	const char *owner; /* member id; "" = unassigned */
	const char *stage;
	const char *industry; /* exact match */
	const char *region;
	const char *source;
	int64_t due_before;  /* > 0: an open follow-up due before this ms */
	const char *search;  /* substring of name, phone or company; digits
			      * typed with spaces or dashes match the phone */
	int include_deleted; /* also deleted and merged customers */
	size_t limit;	     /* 0: no limit */
} tsm_customer_filter;

#define TSM_CUSTOMER_FILTER_VERSION 1
#define TSM_CUSTOMER_FILTER_INIT                                               \
	{                                                                      \
		TSM_CUSTOMER_FILTER_VERSION, NULL, NULL, NULL, NULL, NULL, 0,  \
		    NULL, 0, 0                                                 \
	}

/* Lists the customers this member may see (tsm_customer_visible) matching
 * filter (NULL: all live ones), in creation order (created_at, then the
 * create op). Free the array with tsm_customer_list_free(). */
int tsm_customer_list(tsm_customer **out, size_t *n, tsm_store *store,
		      const tsm_customer_filter *filter);
void tsm_customer_list_free(tsm_customer *list, size_t n);

/* ---- visibility ---- */

/* Who is looking: this replica's member and role. An agent (or a member
 * without a role yet) sees the customers they own or created; a lead,
 * manager, assistant or auditor sees the whole team (all = 1). In SQL over
 * customers c: (all OR c.owner = member OR c.created_by = member). */
typedef struct tsm_viewer {
	char member[TSM_MEMBER_MAX];
	char role[16]; /* "" when the roster has no active grant */
	int all;
} tsm_viewer;

int tsm_viewer_get(tsm_viewer *out, tsm_store *store);

/* 1 if this replica's member may see customer id, 0 if not or no such
 * customer, or a negative TSM_E* code. */
int tsm_customer_visible(tsm_store *store, const char *id);

/* ---- the card (`customer show`) ---- */

typedef struct tsm_card_call {
	char id[TSM_OPID_MAX]; /* the append op */
	char *author;
	int64_t at; /* ms */
	char *outcome;
	int64_t duration_s;
	char *note; /* NULL when none */
	int connected, effective, interested, sale, dnc_request, revisit;
	int amended;
} tsm_card_call;

typedef struct tsm_card_note {
	char id[TSM_OPID_MAX];
	char *author;
	int64_t at;
	char *text;
} tsm_card_note;

typedef struct tsm_card_feedback {
	char id[TSM_OPID_MAX];
	char *author;
	int64_t at;
	char *text;
	int satisfaction; /* 1..5, 0 when none */
} tsm_card_feedback;

typedef struct tsm_card_followup {
	char *id;
	char *kind; /* callback followup revisit */
	int64_t due;
	char *note;
	int done;
	int64_t done_at; /* 0 when open */
	char *done_by;
	int satisfaction; /* 0 when none */
	char *feedback;
	char *created_by;
} tsm_card_followup;

typedef struct tsm_card_order {
	char *id;
	char *service;
	int64_t amount_fen;
	int64_t term_months; /* 0 when none */
	char *start;	     /* YYYY-MM-DD or NULL */
	char *status;
	char *note;
	char *created_by;
	int64_t created_at;
} tsm_card_order;

/* Everything `show` prints. Calls, notes and feedback newest first;
 * follow-ups open first by due time, then done ones newest first; orders
 * newest first. */
typedef struct tsm_customer_card {
	tsm_customer c;
	char *owner_name; /* the owner's display name, NULL when unknown */
	char *creator_name;
	tsm_card_call *calls;
	size_t ncalls;
	tsm_card_note *notes;
	size_t nnotes;
	tsm_card_feedback *feedback;
	size_t nfeedback;
	tsm_card_followup *followups;
	size_t nfollowups;
	tsm_card_order *orders;
	size_t norders;
} tsm_customer_card;

/* Builds the card of the customer ref names (resolved with flags); at most
 * max_calls calls (0: all). Free it with tsm_customer_card_free(). */
int tsm_customer_card_get(tsm_customer_card **out, tsm_store *store,
			  const char *ref, unsigned int flags,
			  size_t max_calls);
void tsm_customer_card_free(tsm_customer_card *card);

/* ---- names ---- */

/* Nonzero if s is a stage name; tsm_stage_rank gives new 0 ... won 5
 * (the op log's order), -1 when unknown. */
int tsm_stage_valid(const char *s);
int tsm_stage_rank(const char *s);

#ifdef __cplusplus
}
#endif
#endif
