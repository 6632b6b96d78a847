/* tsm/policy.h — the team policy, synced like all team data (the policy
 * entity "team" in the op log; managers set it): calling hours, no-answer
 * retry delay and maximum attempts, revisit cadence, the effective-call
 * threshold, the company name used in scripts and daily targets.
 * Ownership: tsm_policy is a plain value; nothing to free. */
#ifndef TSM_POLICY_H
#define TSM_POLICY_H

#include <stdint.h>

#include "tsm/store.h"
#include "tsm/when.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSM_POLICY_ID "team" /* the policy entity's id */
#define TSM_POLICY_TEXT_MAX 256

/* Defaults, used for every field the team has not set. */
#define TSM_POLICY_DEFAULT_HOURS TSM_HOURS_DEFAULT
#define TSM_POLICY_DEFAULT_RETRY_S 7200 /* 2 hours */
#define TSM_POLICY_DEFAULT_MAX_ATTEMPTS 5
#define TSM_POLICY_DEFAULT_REVISIT_DAYS 30
#define TSM_POLICY_DEFAULT_EFFECTIVE_S 60

/* Field indexes; the names are the op log's field names and what
 * `tsm policy set FIELD` takes:
 *   calling_hours     text, tsm_hours_parse() syntax ("mon-fri 09:00-18:00")
 *   retry_delay       no-answer retry delay; stored as integer seconds,
 *                     typed as "2h", "30m", "90s", "1d" or plain seconds
 *   max_attempts      unanswered dials before a lead is left alone (>= 1)
 *   revisit_days      days between revisits of signed clients (>= 1)
 *   effective_seconds a connected call this long counts as effective (>= 1)
 *   company_name      {company.name} in scripts ("" = none)
 *   target_dials, target_effective, target_orders
 *                     daily targets per agent (0 = none) */
enum {
	TSM_POLICY_CALLING_HOURS = 0,
	TSM_POLICY_RETRY_DELAY,
	TSM_POLICY_MAX_ATTEMPTS,
	TSM_POLICY_REVISIT_DAYS,
	TSM_POLICY_EFFECTIVE_SECONDS,
	TSM_POLICY_COMPANY_NAME,
	TSM_POLICY_TARGET_DIALS,
	TSM_POLICY_TARGET_EFFECTIVE,
	TSM_POLICY_TARGET_ORDERS,
	TSM_POLICY_NFIELDS
};

typedef struct tsm_policy {
	char calling_hours[TSM_POLICY_TEXT_MAX];
	tsm_hours hours; /* calling_hours parsed */
	int64_t retry_delay_s;
	int64_t max_attempts;
	int64_t revisit_days;
	int64_t effective_s;
	char company_name[TSM_POLICY_TEXT_MAX]; /* "" when none */
	int64_t target_dials; /* per agent per day, 0 = none */
	int64_t target_effective;
	int64_t target_orders;
	unsigned int set; /* bit (1u << TSM_POLICY_*) when the team set it */
} tsm_policy;

/* Fills out with the defaults (no targets, no company name). */
void tsm_policy_defaults(tsm_policy *out);

/* The team's policy: defaults overlaid with what the op log holds. A stored
 * value that does not validate (written by a newer tsm, say) is ignored:
 * the default stays. */
int tsm_policy_get(tsm_policy *out, tsm_store *store);

/* Sets a field from text as the user types it (see above), as an op by
 * this replica's member. TSM_EINVALID for an unknown field or a bad value
 * (nothing written), TSM_EPERM when the member is not a manager. */
int tsm_policy_set(tsm_store *store, const char *field, const char *value);

/* Removes the team's value of field: the default applies again. */
int tsm_policy_unset(tsm_store *store, const char *field);

/* The name and a one-line description of field i (TSM_POLICY_*); NULL when
 * out of range. Static storage. */
const char *tsm_policy_field_name(int i);
const char *tsm_policy_field_help(int i);

/* The TSM_POLICY_* index of name, or -1. */
int tsm_policy_field_lookup(const char *name);

/* Writes field i of p as text into out: calling hours as set, retry delay
 * as "2h" / "90m" / "45s" style, integers in decimal. Returns 0 or
 * TSM_EINVALID (bad index, out too small). */
int tsm_policy_format(char *out, size_t outlen, const tsm_policy *p, int i);

/* Parses a duration ("2h", "30m", "90s", "1d", "1h30m" or plain seconds)
 * into seconds (> 0). TSM_EINVALID with a message otherwise. */
int tsm_duration_parse(int64_t *out_s, const char *text);

#ifdef __cplusplus
}
#endif
#endif
