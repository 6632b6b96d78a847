/* tsm/team.h — founding a team around a central git repository, inviting
 * members, joining with an invite, and the member list.
 * Ownership: what you get through **out is malloc'd and yours: free() an
 * invite code, tsm_member_list_free() a member list. */
#ifndef TSM_TEAM_H
#define TSM_TEAM_H

#include <stdint.h>

#include "tsm/identity.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSM_TEAM_ID_MAX 41 /* team ids: [a-z0-9_-], 1..40 bytes, with NUL */
#define TSM_ROLE_NAME_MAX 16
#define TSM_REMOTE_MAX 1024

/* Roles (DESIGN §1): "agent", "lead", "manager", "assistant", "auditor". */

/* What this replica knows of its team. */
typedef struct tsm_team_info {
	char team[TSM_TEAM_ID_MAX];
	char remote[TSM_REMOTE_MAX]; /* the central repository */
	char role[TSM_ROLE_NAME_MAX]; /* this member's role, "" if pending */
	int admitted;            /* 1 once the roster lists this site */
	uint64_t roster_version; /* 0 before the first roster is known */
	size_t members;          /* members in the roster */
} tsm_team_info;

/* Founds a team on a store that has an identity and no team: a random team
 * id and team key, the team's founding ops in the op log (this member as
 * its manager), the first roster (signed by this site's key, the root of
 * trust, with the team key sealed to this site) and a local mirror of
 * remote. When remote is reachable and already holds a roster, fails with
 * TSM_EEXISTS and changes nothing; when it cannot be reached the team is
 * founded offline and the next tsm_sync() publishes it. name may be NULL. */
int tsm_team_create(tsm_store *store, const char *remote, const char *name);

/* Fills out; TSM_ENOTFOUND when this store has no team (not founded, not
 * joined). Touches no network. */
int tsm_team_info_get(tsm_team_info *out, tsm_store *store);

/* A manager invites member (a new member id) with role: a random one-time
 * secret is kept (as a MAC key) with an expiry of ttl seconds (0: 7 days),
 * and *out gets the code to hand over: base64url of the team id, remote,
 * founder key fingerprint, member, role and the secret. name is the display
 * name the admission grants (NULL: the member id). Inviting again replaces
 * an unused invite. TSM_EPERM unless this member is a manager. */
int tsm_member_invite(char **out, tsm_store *store, const char *member,
		      const char *role, const char *name, int64_t ttl);

/* Joins the team of an invite code on a store made by `tsm init` with no
 * team: fetches the roster from remote (NULL: the code's), checks its root
 * signer against the code's fingerprint and the whole chain, and pushes a
 * join request (member, site, public keys, a MAC under the invite secret,
 * signed by this site). TSM_EINVALID when the code is for another member id
 * than this store's identity. Admission happens at a manager's next sync;
 * this replica's next sync then finds itself in the roster. */
int tsm_team_join(tsm_store *store, const char *remote, const char *code);

/* One line of the member list. */
typedef struct tsm_member_entry {
	char member[TSM_MEMBER_MAX];
	char name[TSM_NAME_MAX];      /* from the op log's grant, maybe "" */
	char role[TSM_ROLE_NAME_MAX];
	char status[16]; /* "active", "invited" (open invite), "expired" */
	size_t sites;    /* sites in the roster */
} tsm_member_entry;

/* The roster's members (with names from the op log), then, on a manager's
 * replica, the open invites. Sorted by member id. */
int tsm_member_list(tsm_member_entry **out, size_t *n, tsm_store *store);
void tsm_member_list_free(tsm_member_entry *list);

#ifdef __cplusplus
}
#endif
#endif
