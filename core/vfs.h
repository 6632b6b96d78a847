/* core/vfs.h — the page-sealing SQLite VFS shim: one registered sqlite3_vfs per
 * open store, sealing every page of the database, its rollback journal and its
 * WAL with an AEAD whose associated data binds the store id and the location.
 */
#ifndef TSM_CORE_VFS_H
#define TSM_CORE_VFS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* One store's crypto context and the sqlite3_vfs registered for it. It serves
 * one connection (the store's): its failure record and nonce generator are
 * not locked, and an ATTACHed database would share its page locations, so
 * open nothing else through it. */
typedef struct tsm_vfs tsm_vfs;

/* Which file a sealed page lives in; bound into the associated data. */
enum {
	TSM_VFS_MAIN = 1,    /* the database file: location = page number */
	TSM_VFS_JOURNAL = 2, /* rollback journal: location = byte offset */
	TSM_VFS_WAL = 3	     /* write-ahead log: location = frame index */
};

/* Creates a crypto context for the 32-byte key and 16-byte database id using
 * cipher (TSM_CIPHER_XCHACHA20POLY1305 or TSM_CIPHER_AES256GCM), and
 * registers a sqlite3_vfs over the default "unix" VFS under a unique name.
 * The key is copied into locked memory. Free with tsm_vfs_free(). */
int tsm_vfs_create(tsm_vfs **out, const unsigned char key[32],
		   const unsigned char id[16], int cipher);

/* Unregisters the VFS and wipes the key. Close every connection using it
 * first. NULL is allowed. */
void tsm_vfs_free(tsm_vfs *vfs);

/* The registered VFS name to pass to sqlite3_open_v2. Borrowed; lives with
 * vfs. */
const char *tsm_vfs_name(const tsm_vfs *vfs);

/* Seals one TSM_PAGE_SIZE page in place: encrypts its first 4056 bytes and
 * writes nonce and tag into the last 40. Returns 0 or TSM_ERROR. */
int tsm_vfs_seal(tsm_vfs *vfs, unsigned char *page, int kind, uint64_t loc);

/* Opens a sealed page in place: authenticates and decrypts it and zeroes the
 * reserved bytes. Returns 0, or TSM_ECORRUPT when authentication fails (the
 * page is then zeroed: no unauthenticated byte is ever left in it). */
int tsm_vfs_open(tsm_vfs *vfs, unsigned char *page, int kind, uint64_t loc);

/* The last authentication failure the VFS saw: returns 1 and fills *kind and
 * *loc (page number, journal offset or WAL frame index), or 0 if none. */
int tsm_vfs_failure(const tsm_vfs *vfs, int *kind, uint64_t *loc);

/* Forgets the recorded failure. */
void tsm_vfs_clear_failure(tsm_vfs *vfs);

/* If vfs recorded an authentication failure, writes a message naming the
 * page and file (file is the database path) into buf and returns 1;
 * otherwise returns 0. */
int tsm_vfs_message(const tsm_vfs *vfs, const char *file, char *buf,
		    size_t size);

/* If db's main database uses a tsm VFS that recorded an authentication
 * failure, writes a message naming the page and file into buf, e.g. "page 7
 * of '/x/tsm.db' failed authentication (tampered or corrupt)", and returns 1;
 * otherwise returns 0. */
int tsm_vfs_describe(sqlite3 *db, char *buf, size_t size);

#endif
