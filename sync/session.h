/* sync/session.h — what a sync-side operation holds while it runs: the
 * store's identity and team settings, the secret keys, the local mirror, the
 * verified roster and an exclusive lock on the store's sync state. */
#ifndef TSM_SYNC_SESSION_H
#define TSM_SYNC_SESSION_H

#include "codec.h"
#include "mirror.h"
#include "roster.h"
#include "tsm/identity.h"
#include "tsm/store.h"

typedef struct tsm_session {
	tsm_store *store;
	tsm_identity me;
	char team[TSM_TEAM_MAX];         /* "" without a team */
	char remote[TSM_URL_MAX];
	unsigned char root[TSM_PK_LEN];  /* the founder's signing key */
	unsigned char *team_key;         /* sodium_malloc'd; NULL if pending */
	unsigned char *sign_sk;          /* sodium_malloc'd */
	unsigned char *box_sk;           /* sodium_malloc'd; loaded on demand */
	tsm_mirror *mirror;              /* NULL until opened */
	tsm_roster_head roster;          /* as last verified */
	int lock_fd;                     /* -1 when not locked */
} tsm_session;

/* Session flags. */
enum {
	TSM_SESSION_TEAM = 1 << 0,   /* the store must have a team */
	TSM_SESSION_NOTEAM = 1 << 1, /* the store must not have one */
	TSM_SESSION_MIRROR = 1 << 2, /* lock and open the mirror */
	TSM_SESSION_KEYS = 1 << 3    /* load the signing key */
};

/* Opens a session on store with the given TSM_SESSION_* flags. url, when
 * not NULL, points the mirror's remote there (else the stored remote). On
 * failure the session is closed. */
int tsm_session_open(tsm_session *s, tsm_store *store, int flags,
		     const char *url);

/* Releases everything a session holds (wipes the secrets). */
void tsm_session_close(tsm_session *s);

/* Loads the box secret key into s->box_sk if not loaded yet. */
int tsm_session_box_sk(tsm_session *s);

/* Stores s->roster (commit and document) in the store's local table; call
 * it inside the transaction that makes that version current. */
int tsm_session_save_roster(tsm_session *s);

/* Drops s->roster and loads the verified roster the store holds. */
int tsm_session_reload_roster(tsm_session *s);

/* This member's role in the verified roster, or NULL. */
const char *tsm_session_role(const tsm_session *s);

/* Nonzero if the verified roster lists this site. */
int tsm_session_admitted(const tsm_session *s);

#endif
