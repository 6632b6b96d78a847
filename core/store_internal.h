/* core/store_internal.h — what core modules (not the public API) need of an
 * open store: the SQLite handle and nested transactions by counter. */
#ifndef TSM_CORE_STORE_INTERNAL_H
#define TSM_CORE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "tsm/store.h"

/* File names inside a store directory. */
#define TSM_STORE_DBFILE "tsm.db"
#define TSM_STORE_KEYFILE "tsm.key"

/* Fixed page geometry of every tsm database: 4096-byte pages whose last 40
 * bytes hold the page's nonce (24) and authentication tag (16). */
#define TSM_PAGE_SIZE 4096
#define TSM_PAGE_RESERVE 40

/* The open SQLite connection. Borrowed; lives with store. */
sqlite3 *tsm_store_db(tsm_store *store);

/* Nested transactions: begin increments a depth counter and issues BEGIN
 * IMMEDIATE at depth 0; end(store, ok) commits at depth 0 when every level
 * said ok, otherwise rolls back. Returns 0 or a TSM_E* code. */
int tsm_store_begin(tsm_store *store);
int tsm_store_end(tsm_store *store, int ok);

/* Bulk mode, around a transaction that writes many new rows (an import):
 * a WAL store uses a rollback journal meanwhile, which writes each new page
 * once instead of twice. Outside any transaction only; when another
 * connection holds the store, begin leaves it in WAL. Both return 0 or a
 * TSM_E* code. */
int tsm_store_bulk_begin(tsm_store *store);
int tsm_store_bulk_end(tsm_store *store);

/* Raw access to a key's 32 bytes and store id (16 bytes), for the unlock
 * agent that serves keys over its socket. Borrowed; live with key. */
const unsigned char *tsm_key_bytes(const tsm_key *key);
const unsigned char *tsm_key_id_bytes(const tsm_key *key);

/* Builds a key from raw bytes (copied into locked memory). */
int tsm_key_from_bytes(tsm_key **out, const unsigned char bytes[32],
		       const unsigned char id[16]);

#endif
