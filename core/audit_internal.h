/* core/audit_internal.h — the audit's local-only record of which batch
 * commit carried which seqs of each site (table audit_batches, owned by
 * core/audit.c), written by the sync-side indexer (sync/audit_verify.c).
 * Nothing here is public API. */
#ifndef TSM_CORE_AUDIT_INTERNAL_H
#define TSM_CORE_AUDIT_INTERNAL_H

#include <stdint.h>

#include "tsm/store.h"

/* Creates audit_batches when missing (idempotent, cheap). */
int tsm_audit_batches_init(tsm_store *store);

/* The newest recorded batch of site: its commit (41 bytes, "" when none)
 * and seq_last (0 when none). */
int tsm_audit_batch_tip(char *commit, int64_t *seq_last, tsm_store *store,
			const char *site);

/* Records that commit carried seqs first..last of site (replacing what was
 * recorded for that range's end). */
int tsm_audit_batch_put(tsm_store *store, const char *site,
			const char *commit, int64_t first, int64_t last);

/* Forgets everything recorded for site (its chain is walked again). */
int tsm_audit_batch_forget(tsm_store *store, const char *site);

#endif
