/* sync/invite.h — invites and join requests: the MAC that ties a join
 * request to an invite's secret, and the signed join commit on
 * refs/tsm/joins/<site>. */
#ifndef TSM_SYNC_INVITE_H
#define TSM_SYNC_INVITE_H

#include "codec.h"
#include "mirror.h"

/* The MAC key of an invite: keyed BLAKE2b of a fixed label under the
 * secret. The manager keeps only this; the joiner derives it. */
void tsm_invite_mac_key(unsigned char out[32],
			const unsigned char secret[TSM_SECRET_LEN]);

/* The MAC of a join request's fields (team, member, site, both keys) under
 * mac_key. */
void tsm_join_mac(unsigned char out[TSM_MAC_LEN],
		  const unsigned char mac_key[32], const tsm_join *j);

/* Writes j (its mac filled in) as a root commit of join.json signed with
 * sign_sk (whose public key is j->sign_pk); out gets the id. The commit is
 * deterministic: the same request gives the same id. */
int tsm_join_commit(char *out, tsm_mirror *m, const tsm_join *j,
		    const unsigned char *sign_sk);

/* Reads and verifies the join commit id found on the ref of site: a root
 * commit of exactly join.json, for that site, signed by the key it names.
 * TSM_ECORRUPT with the reason. The MAC is the caller's to check. */
int tsm_join_read(tsm_join *out, tsm_mirror *m, const char *id,
		  const char *site);

#endif
