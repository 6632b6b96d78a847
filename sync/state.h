/* sync/state.h — what sync keeps inside the encrypted store: the team's
 * settings and key in the `local` table, per-site cursors and issued invites
 * in local-only tables (never part of the state hash). */
#ifndef TSM_SYNC_STATE_H
#define TSM_SYNC_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "mirror.h"
#include "tsm/store.h"

/* Keys of the `local` table owned by sync. */
#define TSM_K_TEAM "team.id"         /* text */
#define TSM_K_TEAM_KEY "team.key"    /* 32 bytes; absent until admitted */
#define TSM_K_REMOTE "team.remote"   /* the central repository's URL */
#define TSM_K_ROOT "team.root"       /* 32 bytes: the founder's sign key */
#define TSM_K_ROSTER "sync.roster"   /* the verified roster commit id */
#define TSM_K_ROSTER_DOC "sync.roster.json" /* that commit's roster.json */
#define TSM_K_JOIN "sync.join"       /* our join request's commit id */

/* The mirror's directory inside a store directory. */
#define TSM_MIRROR_DIR "sync.git"

/* The `local` table. get: TSM_ENOTFOUND when the key is absent; the value
 * must fit cap bytes (TSM_ECORRUPT otherwise); *len gets its size. A text
 * getter NUL-terminates (cap includes the NUL). */
int tsm_state_get(void *out, size_t cap, size_t *len, tsm_store *store,
		  const char *key);
int tsm_state_get_text(char *out, size_t cap, tsm_store *store,
		       const char *key);
int tsm_state_put(tsm_store *store, const char *key, const void *val,
		  size_t len);
int tsm_state_put_text(tsm_store *store, const char *key, const char *val);
int tsm_state_del(tsm_store *store, const char *key);

/* The team key in sodium_malloc'd memory (free with
 * tsm_identity_secret_free()); TSM_ENOTFOUND before admission. */
int tsm_state_team_key(unsigned char **out, tsm_store *store);

/* A site's cursor: the last commit of its chain applied here (for our own
 * site: the tip of our batch chain) and the seq_last it carried. Commit ""
 * and seq 0 when none. */
int tsm_state_cursor(char *commit, int64_t *seq, tsm_store *store,
		     const char *site);
int tsm_state_set_cursor(tsm_store *store, const char *site,
			 const char *commit, int64_t seq);

/* An invite issued by this manager. */
typedef struct tsm_state_invite {
	char member[TSM_MEMBER_MAX];
	char role[TSM_ROLE_MAX];
	char name[TSM_NAME_MAX];       /* "" when none */
	unsigned char mac_key[32];     /* verifies join requests */
	int64_t expires;               /* unix seconds */
	char used_site[TSM_SITE_LEN + 1]; /* "" while open */
} tsm_state_invite;

int tsm_state_invite_put(tsm_store *store, const tsm_state_invite *inv);
/* TSM_ENOTFOUND when no invite for member. */
int tsm_state_invite_get(tsm_state_invite *out, tsm_store *store,
			 const char *member);
int tsm_state_invite_use(tsm_store *store, const char *member,
			 const char *site);
/* Calls fn for each invite, by member id. */
int tsm_state_invite_each(tsm_store *store,
			  int (*fn)(const tsm_state_invite *inv, void *p),
			  void *payload);

#endif
