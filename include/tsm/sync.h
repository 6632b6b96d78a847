/* tsm/sync.h — one round of sync with the team's central git repository:
 * admit join requests (managers), verify and apply what others published,
 * publish this replica's new ops as one signed, sealed batch.
 *
 * What each replica holds and sees (phase 1): every admitted member holds
 * the team key and receives every op of every site, so after all replicas
 * have synced with nothing new in between, their tsm_state_hash() values are
 * equal. Listings are narrowed by role, not the data: agents see the
 * customers assigned to them or created by them; leads, managers,
 * assistants and auditors see the whole team.
 *
 * Ownership: a report's arrays are malloc'd; tsm_sync_report_dispose()
 * releases them. */
#ifndef TSM_SYNC_H
#define TSM_SYNC_H

#include <stdint.h>

#include "tsm/identity.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ops sent and received in one sync, per member (author). */
typedef struct tsm_sync_member {
	char member[TSM_MEMBER_MAX];
	size_t sent;
	size_t received;
} tsm_sync_member;

/* A batch (or roster version, or join request) refused: nothing of it nor
 * of what follows it on that ref was applied. */
typedef struct tsm_sync_rejection {
	char ref[96];     /* e.g. "refs/tsm/sites/<site>" */
	char commit[41];  /* the first bad commit, "" when not one commit */
	char reason[256]; /* e.g. "bad signature", "history rewritten" */
} tsm_sync_rejection;

typedef struct tsm_sync_report {
	size_t sent;          /* own ops published in this sync */
	size_t batches;       /* batch commits written in this sync */
	size_t received;      /* new ops applied from other sites */
	size_t duplicates;    /* ops received that were held already */
	size_t conflicts;     /* review items added (conflicts, violations) */
	size_t rejected_ops;  /* new ops that the merge rules rejected */
	size_t admitted;      /* join requests admitted (managers) */
	int admitted_self;    /* this replica found itself admitted */
	int pending;          /* this replica still awaits admission */
	uint64_t roster_version;
	tsm_sync_member *members;
	size_t nmembers;
	tsm_sync_rejection *rejections;
	size_t nrejections;
} tsm_sync_report;

/* Progress of a long sync: what is being done ("receiving", "sending",
 * "verifying", "applying"), units done and the total (0 if unknown). */
typedef void (*tsm_sync_progress_fn)(const char *what, size_t done,
				     size_t total, void *payload);

typedef struct tsm_sync_options {
	unsigned int version;
	tsm_sync_progress_fn progress; /* may be NULL */
	/* Test hook: called at named points of the loop: "during-apply"
	 * (inside the apply transaction), "batched" (a batch recorded in the
	 * store, its ref not yet moved), "before-push", "after-push"; may be
	 * NULL. */
	void (*checkpoint)(const char *point, void *payload);
	void *payload;
} tsm_sync_options;

#define TSM_SYNC_OPTIONS_VERSION 1
#define TSM_SYNC_OPTIONS_INIT {TSM_SYNC_OPTIONS_VERSION, NULL, NULL, NULL}

/* One round of sync:
 *  1. fetch every refs/tsm/ ref of the central repository into the local mirror;
 *  2. verify the roster chain from the last verified version (the first
 *     version must be signed by the pinned founder key); a replica that
 *     finds itself admitted unseals the team key;
 *  3. managers admit valid join requests for open invites (a member grant
 *     op in the op log and a new roster version);
 *  4. verify each other site's new batch commits from its cursor (signer
 *     registered for the site, valid signature, parent and seq continuity,
 *     author and site of every op) and apply their ops, with the advanced
 *     cursors, in one transaction; a bad commit stops its site's chain and
 *     is reported;
 *  5. write this replica's unpublished ops as one batch commit, recording
 *     it in the store in the same transaction as its seq range;
 *  6. push this site's ref (and the roster or the join request when they
 *     changed), confirming each ref by reading it back from the remote.
 * A crash or kill at any point loses nothing and duplicates nothing; the
 * next sync resumes. out is filled in (also when rejections occurred) and
 * must be disposed. Returns 0, TSM_ECONFLICT when something was rejected
 * (see out->rejections) or a push was refused, TSM_ENOTFOUND without a
 * team, or a transport error (the remote unreachable). opts may be NULL. */
int tsm_sync(tsm_sync_report *out, tsm_store *store,
	     const tsm_sync_options *opts);

/* Frees the arrays of a report and zeroes it. */
void tsm_sync_report_dispose(tsm_sync_report *r);

#ifdef __cplusplus
}
#endif
#endif
