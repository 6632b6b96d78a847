/* sync/roster.h — the roster chain on refs/tsm/roster: manager-signed commits
 * of roster.json (member ids, roles, sites, public keys, the team key sealed
 * to each site). The founder's key, pinned at join, is the root of trust. */
#ifndef TSM_SYNC_ROSTER_H
#define TSM_SYNC_ROSTER_H

#include <stddef.h>

#include "codec.h"
#include "mirror.h"

/* The member of that id, or NULL. Borrowed from r. */
tsm_roster_member *tsm_roster_member_of(const tsm_roster *r,
					const char *member);

/* The site of that id, or NULL; *member (may be NULL) gets its member. */
const tsm_roster_site *tsm_roster_site_of(const tsm_roster *r,
					  const char *site,
					  const tsm_roster_member **member);

/* Nonzero if pk is the signing key of a manager's site in r. */
int tsm_roster_is_manager_key(const tsm_roster *r, const unsigned char *pk);

/* A new empty roster of team at version 1. Free with tsm_roster_free(). */
int tsm_roster_new(tsm_roster **out, const char *team);

/* Adds site (with its keys) to member, creating the member with role when
 * missing, and seals team_key to the site's box key. TSM_EEXISTS when the
 * site is listed already. */
int tsm_roster_add_site(tsm_roster *r, const char *member, const char *role,
			const char *site, const unsigned char *sign_pk,
			const unsigned char *box_pk,
			const unsigned char *team_key);

/* Structural rules: unique member and site ids, at least one manager. */
int tsm_roster_check(const tsm_roster *r);

/* Writes roster.json (doc) as a commit on parent ("" for the first),
 * signed with sign_sk whose public key is sign_pk; out gets its id. */
int tsm_roster_commit(char *out, tsm_mirror *m, const char *doc, size_t len,
		      const char *parent, const unsigned char *sign_pk,
		      const unsigned char *sign_sk);

/* The verified head of a roster chain. */
typedef struct tsm_roster_head {
	char commit[TSM_OID_HEX + 1]; /* "" before the first */
	tsm_roster *roster;           /* NULL before the first */
	char *doc;                    /* its roster.json, malloc'd */
	size_t len;
} tsm_roster_head;

void tsm_roster_head_dispose(tsm_roster_head *h);

/* Verifies commit id as the next version after head (head->commit "" for
 * the first version) and, on success, moves head to it. Rules: one parent
 * at most and it is head's commit; exactly roster.json in the tree; the
 * same team; version one more; prev = BLAKE2b-256 of head's document; a
 * valid signature; the signer is root for version 1 (and listed there as
 * a manager), else a manager's key in head's roster; a well-formed roster.
 * TSM_ECORRUPT with the reason; head is unchanged then. */
int tsm_roster_verify_next(tsm_roster_head *head, tsm_mirror *m,
			   const char *id, const char *team,
			   const unsigned char *root);

/* Verifies every version from head's commit up to tip, moving head along.
 * On a failure head stays at the last good version and the error (with
 * "roster: commit <id>: <reason>" as message) is returned; TSM_ECONFLICT
 * when tip does not descend from head. */
int tsm_roster_verify_chain(tsm_roster_head *head, tsm_mirror *m,
			    const char *tip, const char *team,
			    const unsigned char *root);

/* Loads a head from a roster.json text and its commit id (already verified
 * earlier, e.g. kept in the store). */
int tsm_roster_head_load(tsm_roster_head *head, const char *commit,
			 const char *doc, size_t len);

#endif
