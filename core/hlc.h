/* core/hlc.h — the hybrid logical clock: a uint64 of (wall ms << 16) | a
 * 16-bit counter. Pure tick/receive functions, the injectable wall clock and
 * the clock's state in the store (`local` row 'hlc', clock_warnings). */
#ifndef TSM_CORE_HLC_H
#define TSM_CORE_HLC_H

#include <sqlite3.h>
#include <stdint.h>

#include "tsm/ops.h"

/* A remote clock more than this far ahead of our wall clock is not trusted:
 * it does not move our clock; the op is still stored and applied. */
#define TSM_HLC_MAX_SKEW_MS (60LL * 60 * 1000)

static inline uint64_t tsm_hlc_pack(int64_t wall_ms, unsigned counter)
{
	return ((uint64_t)wall_ms << 16) | (counter & 0xffffu);
}

static inline int64_t tsm_hlc_wall(uint64_t hlc)
{
	return (int64_t)(hlc >> 16);
}

/* A local event: strictly greater than last and at least now's wall time,
 * so the clock never runs backwards even when the wall clock does. */
uint64_t tsm_hlc_tick(uint64_t last, int64_t now_ms);

/* Receiving a remote timestamp: the new clock is max(last, remote) when
 * remote's wall time is at most now + TSM_HLC_MAX_SKEW_MS. Otherwise the
 * remote is not trusted: *out = last and the function returns 1 (the caller
 * records a clock warning). Returns 0 when trusted. */
int tsm_hlc_recv(uint64_t *out, uint64_t last, uint64_t remote, int64_t now_ms);

/* The clock's last value in the store (0 when never ticked). */
int tsm_hlc_load(uint64_t *out, sqlite3 *db);
int tsm_hlc_save(sqlite3 *db, uint64_t hlc);

/* Records that site sent hlc, too far ahead, seen at seen_ms (local-only). */
int tsm_hlc_warn(sqlite3 *db, const char *site, uint64_t hlc, int64_t seen_ms);

#endif
