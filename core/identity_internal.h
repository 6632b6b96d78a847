/* core/identity_internal.h — what core and sync (not the CLI) need of this
 * replica's identity: its secret keys, loaded into guarded memory. */
#ifndef TSM_CORE_IDENTITY_INTERNAL_H
#define TSM_CORE_IDENTITY_INTERNAL_H

#include "tsm/identity.h"

#define TSM_SIGN_SK_LEN 64 /* crypto_sign_SECRETKEYBYTES (Ed25519) */
#define TSM_BOX_SK_LEN 32  /* crypto_box_SECRETKEYBYTES (X25519) */

/* Loads the site's Ed25519 secret key (64 bytes, libsodium's seed || public
 * key layout, ready for crypto_sign_detached) into sodium_malloc'd memory.
 * The buffer is yours: release it with tsm_identity_secret_free(), which
 * wipes it. TSM_ENOTFOUND when the store has no identity yet. */
int tsm_identity_sign_sk(unsigned char **out, tsm_store *store);

/* Loads the site's X25519 secret key (32 bytes, for crypto_box_seal_open)
 * the same way; release it with tsm_identity_secret_free(). */
int tsm_identity_box_sk(unsigned char **out, tsm_store *store);

/* Wipes and frees a secret key from the functions above. NULL is allowed. */
void tsm_identity_secret_free(unsigned char *sk);

#endif
