/* tsm/identity.h — this replica's identity: the member who uses it, the site
 * (one install on one device) and the site's key pairs (Ed25519 for signing,
 * X25519 for sealing), all kept inside the encrypted store. */
#ifndef TSM_IDENTITY_H
#define TSM_IDENTITY_H

#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSM_MEMBER_MAX 64 /* member ids: [a-z0-9._-], 1..63 bytes */
#define TSM_NAME_MAX 128  /* display names: UTF-8, 1..127 bytes */
#define TSM_SITE_LEN 16   /* site ids: 16 lowercase hex digits */

/* The public part of an identity; secret keys never leave core. */
typedef struct tsm_identity {
	char member[TSM_MEMBER_MAX];
	char name[TSM_NAME_MAX];
	char site[TSM_SITE_LEN + 1];
	unsigned char sign_pk[32]; /* Ed25519 public key */
	unsigned char box_pk[32];  /* X25519 public key */
} tsm_identity;

/* Creates this store's identity: validates member (TSM_EINVALID), generates a
 * random site id and both key pairs. TSM_EEXISTS if one exists already. */
int tsm_identity_create(tsm_store *store, const char *member,
			const char *name);

/* Fills out with this store's identity; TSM_ENOTFOUND if none yet. */
int tsm_identity_get(tsm_identity *out, tsm_store *store);

/* Nonzero if member is a valid member id. */
int tsm_member_id_valid(const char *member);

/* Nonzero if name is a valid display name: 1..127 bytes of well-formed UTF-8
 * without control characters. */
int tsm_name_valid(const char *name);

#ifdef __cplusplus
}
#endif
#endif
