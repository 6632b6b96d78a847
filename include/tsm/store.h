/* tsm/store.h — the encrypted local store: one SQLite file per replica, sealed
 * page by page through a VFS shim, its key wrapped by a passphrase (Argon2id).
 * Ownership: a tsm_store or tsm_key you get through **out is yours; free it with
 * tsm_store_free() / tsm_key_free(). Strings a store returns live as long as it. */
#ifndef TSM_STORE_H
#define TSM_STORE_H

#include "tsm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsm_store tsm_store;

/* An unwrapped 256-bit database key, held in locked, guarded memory. */
typedef struct tsm_key tsm_key;

/* Argon2id cost presets (libsodium's OPSLIMIT/MEMLIMIT pairs). */
enum {
	TSM_KDF_DEFAULT = 0, /* MODERATE */
	TSM_KDF_INTERACTIVE = 1,
	TSM_KDF_MODERATE = 2,
	TSM_KDF_SENSITIVE = 3
};

/* Page ciphers; the choice is recorded in the key file. */
enum {
	TSM_CIPHER_DEFAULT = 0, /* XChaCha20-Poly1305 */
	TSM_CIPHER_XCHACHA20POLY1305 = 1,
	TSM_CIPHER_AES256GCM = 2 /* only where the CPU has AES-NI */
};

/* Journal modes for the database file. */
enum {
	TSM_JOURNAL_WAL = 0, /* default */
	TSM_JOURNAL_DELETE = 1 /* rollback journal */
};

typedef struct tsm_store_options {
	unsigned int version;
	int kdf;          /* TSM_KDF_* */
	int cipher;       /* TSM_CIPHER_* */
	int journal_mode; /* TSM_JOURNAL_* */
	int plaintext;    /* benchmarks only: 1 = no encryption at all */
} tsm_store_options;

#define TSM_STORE_OPTIONS_VERSION 1
#define TSM_STORE_OPTIONS_INIT {TSM_STORE_OPTIONS_VERSION, 0, 0, 0, 0}

/* Creates a new store in directory dir (created if missing, mode 0700): a random
 * database key wrapped under pass, and an empty database at the newest schema.
 * Fails with TSM_EEXISTS if dir already holds a store. opts may be NULL. */
int tsm_store_create(tsm_store **out, const char *dir, const char *pass,
		     size_t passlen, const tsm_store_options *opts);

/* Derives the key-encryption key from pass (Argon2id — slow by design) and
 * unwraps the database key of the store in dir. TSM_EAUTH on a wrong
 * passphrase; TSM_ENOTFOUND when dir holds no store. Touches no file. */
int tsm_key_unwrap(tsm_key **out, const char *dir, const char *pass,
		   size_t passlen);

/* Opens the store in dir with an unwrapped key (no Argon2 cost). Applies
 * pending schema migrations. TSM_EAUTH if key is not this store's key. */
int tsm_store_open(tsm_store **out, const char *dir, const tsm_key *key);

/* Opens a store created with opts.plaintext (benchmarks only). */
int tsm_store_open_plaintext(tsm_store **out, const char *dir);

/* Rewraps the database key under newpass atomically (write, fsync, rename).
 * No database page is rewritten. kdf is a TSM_KDF_* for the new wrapping. */
int tsm_store_passwd(const char *dir, const char *oldpass, size_t oldlen,
		     const char *newpass, size_t newlen, int kdf);

/* Closes the store and frees it. NULL is allowed. */
void tsm_store_free(tsm_store *store);

/* Wipes and frees a key. NULL is allowed. */
void tsm_key_free(tsm_key *key);

/* Nonzero if dir holds a store (its key file exists). */
int tsm_store_exists(const char *dir);

/* Reads the store id (32 lowercase hex digits) from the key file in dir
 * without any passphrase. out must hold 33 bytes. */
int tsm_store_id(char *out, const char *dir);

/* The store id a key belongs to, 32 hex digits. Borrowed; lives with key. */
const char *tsm_key_store_id(const tsm_key *key);

/* The directory a store lives in. Borrowed; lives with store. */
const char *tsm_store_dir(const tsm_store *store);

/* Runs PRAGMA integrity_check over every page. TSM_ECORRUPT with a message
 * naming the first bad page when one fails authentication or the check. */
int tsm_store_check(tsm_store *store);

/* Rebuilds the database file (VACUUM); the result stays encrypted. */
int tsm_store_vacuum(tsm_store *store);

/* Runs fn inside one transaction; commits when fn returns 0, else rolls
 * back and returns fn's code. Nested calls join the outer transaction. */
int tsm_store_transaction(tsm_store *store, int (*fn)(tsm_store *, void *),
			  void *payload);

#ifdef __cplusplus
}
#endif
#endif
