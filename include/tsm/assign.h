/* tsm/assign.h — assigning customers to members: by id or by filter, to one
 * or several members, round-robin or balanced by open workload, or moving a
 * member's customers to others (leave, departure). Only leads and managers
 * assign (the op log rejects anyone else's owner ops on every replica).
 * Ownership: a tsm_assign_result filled by tsm_assign() holds malloc'd
 * memory; release it with tsm_assign_result_dispose(). */
#ifndef TSM_ASSIGN_H
#define TSM_ASSIGN_H

#include <stddef.h>

#include "tsm/customer.h"
#include "tsm/identity.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	/* In the selection's order, customers go to M1, M2, ..., M1, ... */
	TSM_ASSIGN_ROUND_ROBIN = 0,
	/* Each next customer goes to the member with the fewest customers:
	 * open ones (not won, lost, deleted or merged) before, plus one for
	 * every customer this assignment gave them; ties by member id. */
	TSM_ASSIGN_BALANCED
};

typedef struct tsm_assign_options {
	unsigned int version;
	/* The customers: refs as tsm_customer_resolve() takes them, in this
	 * order; when ncustomers is 0 the filter selects (live customers in
	 * creation order; filter->owner "" = unassigned; filter->limit). */
	const char *const *customers;
	size_t ncustomers;
	const tsm_customer_filter *filter;
	/* Moves this member's customers (sets filter's owner); the member
	 * may have left the team. NULL: none. */
	const char *from;
	/* The members who get them: active agents, leads or managers. */
	const char *const *to;
	size_t nto;
	int strategy; /* TSM_ASSIGN_* */
	int dry_run;  /* plan only, write nothing */
} tsm_assign_options;

#define TSM_ASSIGN_OPTIONS_VERSION 1
#define TSM_ASSIGN_OPTIONS_INIT                                                \
	{                                                                      \
		TSM_ASSIGN_OPTIONS_VERSION, NULL, 0, NULL, NULL, NULL, 0,      \
		    TSM_ASSIGN_ROUND_ROBIN, 0                                  \
	}

/* One customer and where it goes. */
typedef struct tsm_assignment {
	char customer[TSM_CUSTOMER_ID_MAX];
	char *name;		   /* the customer's name */
	char from[TSM_MEMBER_MAX]; /* the owner before, "" when none */
	char to[TSM_MEMBER_MAX];
	int changed; /* 0 when it was the owner already (no op) */
} tsm_assignment;

/* A target member's numbers. */
typedef struct tsm_assign_member {
	char member[TSM_MEMBER_MAX];
	char *name; /* display name, may be NULL */
	char role[16];
	size_t open_before; /* open customers before */
	size_t assigned;    /* customers this assignment gives them */
	size_t kept;	    /* selected customers they owned already */
} tsm_assign_member;

typedef struct tsm_assign_result {
	tsm_assignment *list; /* in the selection's order */
	size_t n;
	tsm_assign_member *members; /* in the order of opts->to */
	size_t nmembers;
	size_t changed; /* owner ops written (or, in a dry run, to write) */
	size_t unchanged;
	int dry_run;
} tsm_assign_result;

/* Plans and (unless dry_run) writes the assignment as this replica's
 * member, all in one transaction. TSM_EPERM unless the member is a lead or
 * manager (nothing written); TSM_EINVALID for an unknown or inactive target
 * member, an assistant or auditor as target, no target, or a bad option;
 * TSM_ENOTFOUND for a customer ref that names none. out must be disposed
 * of also after an error. */
int tsm_assign(tsm_assign_result *out, tsm_store *store,
	       const tsm_assign_options *opts);

void tsm_assign_result_dispose(tsm_assign_result *r);

/* "round-robin" / "balanced" to TSM_ASSIGN_*, or -1. */
int tsm_assign_strategy_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
