/* tsm/stats.h — row counts of the store's main tables, for `tsm status`.
 * Only tables this store actually has are reported; nothing is estimated. */
#ifndef TSM_STATS_H
#define TSM_STATS_H

#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsm_count {
	const char *table; /* e.g. "customers"; static storage */
	int64_t rows;
} tsm_count;

#define TSM_COUNTS_MAX 16 /* enough room for every counted table */

/* Fills out[0..*n) (cap entries) with the row count of each counted table
 * the store has, in a fixed order; tables not created yet are skipped, so
 * *n may be 0. */
int tsm_stats_counts(tsm_count *out, size_t cap, size_t *n, tsm_store *store);

#ifdef __cplusplus
}
#endif
#endif
