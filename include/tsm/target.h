/* tsm/target.h — monthly targets per member or for the whole team (the op
 * log's `target` entity; managers set them): dials, effective conversations,
 * orders and revenue in fen. Reports measure completion against them.
 * Ownership: a list you get through **out is malloc'd and yours; free it with
 * tsm_target_list_free(). */
#ifndef TSM_TARGET_H
#define TSM_TARGET_H

#include <stdint.h>

#include "tsm/identity.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * In the op log a target is the entity "<member>:<YYYY-MM>" (tsm/call.h
 * reads the same) or, for the team, TSM_TARGET_TEAM ":<YYYY-MM>"; each
 * field is set by its own set op with an integer value (null removes it).
 * "@" is not a member id character, so the team cannot clash with a member.
 */
#define TSM_TARGET_TEAM "@team"
#define TSM_MONTH_MAX 8 /* "YYYY-MM" with NUL */

/* Fields, as indexes into the v arrays below. */
enum {
	TSM_TARGET_DIALS = 0, /* calls logged */
	TSM_TARGET_EFFECTIVE, /* effective conversations */
	TSM_TARGET_ORDERS,    /* orders recorded */
	TSM_TARGET_REVENUE,   /* their amounts, fen */
	TSM_TARGET_NFIELDS
};

/* The op log's field names: "dials", "effective", "orders", "revenue_fen";
 * NULL when f is out of range. Static storage. */
const char *tsm_target_field_name(int f);

/* Parses "YYYY-MM" (years 1970..9999) and writes it canonically into out;
 * TSM_EINVALID "invalid month 'x': expected YYYY-MM" otherwise. */
int tsm_target_month_parse(char out[TSM_MONTH_MAX], const char *text);

/* One target as the op log holds it. */
typedef struct tsm_target {
	char member[TSM_MEMBER_MAX]; /* "" for the team */
	char month[TSM_MONTH_MAX];
	int64_t v[TSM_TARGET_NFIELDS]; /* 0: not set */
	char author[TSM_MEMBER_MAX];   /* who set the newest field */
	int64_t updated_at;	       /* ms of that op */
} tsm_target;

/* What `target set` asks for. v[f] > 0 sets field f, 0 removes it, -1
 * (TSM_TARGET_KEEP) leaves it alone. member NULL means the team. */
#define TSM_TARGET_KEEP (-1)

typedef struct tsm_target_spec {
	unsigned int version;
	const char *member;
	const char *month; /* "YYYY-MM" */
	int64_t v[TSM_TARGET_NFIELDS];
} tsm_target_spec;

#define TSM_TARGET_SPEC_VERSION 1
#define TSM_TARGET_SPEC_INIT                                                   \
	{                                                                      \
		TSM_TARGET_SPEC_VERSION, NULL, NULL,                           \
		{                                                              \
			TSM_TARGET_KEEP, TSM_TARGET_KEEP, TSM_TARGET_KEEP,     \
			    TSM_TARGET_KEEP                                    \
		}                                                              \
	}

/* Sets the target spec describes, as this replica's member, one set op per
 * field whose value changes, all in one append. *changed (may be NULL)
 * gets the number of ops written (0: every value was already so).
 * TSM_EINVALID: bad month, no field given, a value out of range (counts up
 * to 10^9, revenue up to TSM_MONEY_MAX_FEN); TSM_ENOTFOUND: member is not
 * on the roster; TSM_EPERM: this member is not a manager. Nothing is
 * written on error. */
int tsm_target_set(size_t *changed, tsm_store *store,
		   const tsm_target_spec *spec);

/* The target of member (NULL: the team) for month into out; fields not
 * set are 0 (also when nothing is set: not an error). */
int tsm_target_get(tsm_target *out, tsm_store *store, const char *member,
		   const char *month);

/* Lists the targets of month (NULL: every month) that this member may
 * see: leads, managers, assistants and auditors see all; an agent sees
 * the team's and their own. Ordered by month, then the team, then member
 * id. Free with tsm_target_list_free(). */
int tsm_target_list(tsm_target **out, size_t *n, tsm_store *store,
		    const char *month);
void tsm_target_list_free(tsm_target *list, size_t n);

#ifdef __cplusplus
}
#endif
#endif
