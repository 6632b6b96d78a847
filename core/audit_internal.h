/* core/audit_internal.h — what the sync side of the audit
 * (sync/audit_verify.c) needs of core/audit.c: the local-only record of
 * which batch commit carried which seqs of each site (table audit_batches)
 * and the comparison of held ops with a signed batch. Not public API. */
#ifndef TSM_CORE_AUDIT_INTERNAL_H
#define TSM_CORE_AUDIT_INTERNAL_H

#include <stdint.h>

#include "tsm/store.h"

/* The newest recorded batch of site: its commit (41 bytes, "" when none)
 * and seq_last (0 when none). */
int tsm_audit_batch_tip(char *commit, int64_t *seq_last, tsm_store *store,
			const char *site);

/* Records that commit carried seqs first..last of site (replacing what was
 * recorded for that range's end). */
int tsm_audit_batch_put(tsm_store *store, const char *site, const char *commit,
			int64_t first, int64_t last);

/* Forgets everything recorded for site (its chain is walked again). */
int tsm_audit_batch_forget(tsm_store *store, const char *site);

/* Checks that the ops held for site seqs first..last are exactly those of
 * payload (a batch's JSON array of ops, any key order): the same clock,
 * author, entity, action, field, value (as canonical JSON) and set of
 * superseded ids. Returns 0, or TSM_ECORRUPT naming the first op missing
 * or differing and what differs. */
int tsm_audit_ops_match(tsm_store *store, const char *site, int64_t first,
			int64_t last, const char *payload, size_t len);

#endif
