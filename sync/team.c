/* sync/team.c — founding a team, inviting, joining, the member list (the
 * public API of tsm/team.h). */
#include "tsm/team.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "error.h"
#include "identity_internal.h"
#include "invite.h"
#include "session.h"
#include "state.h"
#include "store_internal.h"
#include "tsm/ops.h"

#define DEFAULT_TTL (7 * 24 * 3600)

static int find_roster(const char *ref, const char *id, void *p)
{
	if (strcmp(ref, TSM_REF_ROSTER) == 0)
		*(int *)p = 1;
	return 0;
}

/* The first roster: this site as the founding manager. */
static int first_roster(tsm_session *s, const char *team,
			const unsigned char *key)
{
	tsm_roster *r = NULL;
	char *doc = NULL, commit[TSM_OID_HEX + 1];
	size_t len = 0;
	int err;

	if ((err = tsm_roster_new(&r, team)) < 0)
		return err;
	if ((err = tsm_roster_add_site(r, s->me.member, "manager", s->me.site,
				       s->me.sign_pk, s->me.box_pk, key)) < 0 ||
	    (err = tsm_codec_roster_write(&doc, &len, r)) < 0 ||
	    (err = tsm_roster_commit(commit, s->mirror, doc, len, "",
				     s->me.sign_pk, s->sign_sk)) < 0)
		goto done;
	tsm_roster_head_dispose(&s->roster);
	snprintf(s->roster.commit, sizeof(s->roster.commit), "%s", commit);
	s->roster.roster = r;
	s->roster.doc = doc;
	s->roster.len = len;
	return 0;
done:
	tsm_roster_free(r);
	free(doc);
	return err;
}

int tsm_team_create(tsm_store *store, const char *remote, const char *name)
{
	unsigned char *key = NULL, rnd[8];
	char team[TSM_TEAM_MAX], hex[17];
	tsm_session s;
	int err, found = 0, ok;

	if (remote == NULL || *remote == '\0' || strlen(remote) >= TSM_URL_MAX)
		return tsm_error_set(TSM_EINVALID, "a remote URL is needed");
	if ((err = tsm_session_open(&s, store,
				    TSM_SESSION_NOTEAM | TSM_SESSION_MIRROR |
					    TSM_SESSION_KEYS,
				    remote)) < 0)
		return err;
	/* An unreachable remote is fine (founded offline, published by the
	 * next sync); a remote that holds a team already is not. */
	if (tsm_mirror_ls_remote(s.mirror, find_roster, &found) == 0 &&
	    found) {
		err = tsm_error_set(TSM_EEXISTS,
				    "'%s' already holds a team; join it with "
				    "an invite instead",
				    remote);
		goto done;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(team, sizeof(team), "t%s", hex);
	key = sodium_malloc(32);
	if (key == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	randombytes_buf(key, 32);
	if ((err = first_roster(&s, team, key)) < 0)
		goto done;
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	ok = tsm_team_found(store, team, name ? name : "team", NULL) == 0 &&
	     tsm_state_put_text(store, TSM_K_TEAM, team) == 0 &&
	     tsm_state_put(store, TSM_K_TEAM_KEY, key, 32) == 0 &&
	     tsm_state_put_text(store, TSM_K_REMOTE, remote) == 0 &&
	     tsm_state_put(store, TSM_K_ROOT, s.me.sign_pk, TSM_PK_LEN) == 0 &&
	     tsm_session_save_roster(&s) == 0;
	if (!ok)
		err = tsm_error_last()->code ? tsm_error_last()->code
					     : TSM_ERROR;
	if (tsm_store_end(store, ok) < 0 && ok)
		err = tsm_error_last()->code;
	if (err < 0)
		goto done;
	err = tsm_mirror_set_ref(s.mirror, TSM_REF_ROSTER, s.roster.commit,
				 NULL);
done:
	tsm_identity_secret_free(key);
	tsm_session_close(&s);
	return err;
}

int tsm_team_info_get(tsm_team_info *out, tsm_store *store)
{
	const char *role;
	tsm_session s;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = tsm_session_open(&s, store, TSM_SESSION_TEAM, NULL)) < 0)
		return err;
	snprintf(out->team, sizeof(out->team), "%s", s.team);
	snprintf(out->remote, sizeof(out->remote), "%s", s.remote);
	role = tsm_session_role(&s);
	snprintf(out->role, sizeof(out->role), "%s", role ? role : "");
	out->admitted = tsm_session_admitted(&s) && s.team_key != NULL;
	if (s.roster.roster) {
		out->roster_version = s.roster.roster->version;
		out->members = s.roster.roster->nmembers;
	}
	tsm_session_close(&s);
	return 0;
}

int tsm_member_invite(char **out, tsm_store *store, const char *member,
		      const char *role, const char *name, int64_t ttl)
{
	tsm_state_invite si;
	tsm_invite inv;
	const tsm_roster_member *rm;
	const char *mine;
	tsm_session s;
	int err;

	*out = NULL;
	if (!tsm_member_id_valid(member))
		return tsm_error_set(TSM_EINVALID, "invalid member id '%s'",
				     member ? member : "");
	if (!tsm_role_valid(role))
		return tsm_error_set(TSM_EINVALID,
				     "invalid role '%s' (agent, lead, manager, "
				     "assistant or auditor)",
				     role ? role : "");
	if (name && !tsm_name_valid(name))
		return tsm_error_set(TSM_EINVALID, "invalid display name");
	if (ttl <= 0)
		ttl = DEFAULT_TTL;
	if ((err = tsm_session_open(&s, store, TSM_SESSION_TEAM, NULL)) < 0)
		return err;
	mine = tsm_session_role(&s);
	if (mine == NULL || strcmp(mine, "manager") != 0) {
		err = tsm_error_set(TSM_EPERM, "only a manager can invite");
		goto done;
	}
	/* an existing member may be invited again for another device, with
	 * the role the roster gives them */
	rm = tsm_roster_member_of(s.roster.roster, member);
	if (rm && strcmp(rm->role, role) != 0) {
		err = tsm_error_set(TSM_EINVALID,
				    "'%s' is in the team as %s already",
				    member, rm->role);
		goto done;
	}
	memset(&inv, 0, sizeof(inv));
	memset(&si, 0, sizeof(si));
	snprintf(inv.team, sizeof(inv.team), "%s", s.team);
	snprintf(inv.remote, sizeof(inv.remote), "%s", s.remote);
	tsm_key_fingerprint(inv.root, s.root);
	snprintf(inv.member, sizeof(inv.member), "%s", member);
	snprintf(inv.role, sizeof(inv.role), "%s", role);
	randombytes_buf(inv.secret, sizeof(inv.secret));
	snprintf(si.member, sizeof(si.member), "%s", member);
	snprintf(si.role, sizeof(si.role), "%s", role);
	snprintf(si.name, sizeof(si.name), "%s", name ? name : "");
	tsm_invite_mac_key(si.mac_key, inv.secret);
	si.expires = (int64_t)time(NULL) + ttl;
	if ((err = tsm_state_invite_put(store, &si)) == 0)
		err = tsm_codec_invite_write(out, &inv);
	sodium_memzero(&inv, sizeof(inv));
	sodium_memzero(&si, sizeof(si));
done:
	tsm_session_close(&s);
	return err;
}

/* Finds the fingerprint's key as the signer of the roster chain's first
 * commit, then verifies the whole chain with it as the root. */
static int verify_from_root(tsm_session *s, const char *tip,
			    const tsm_invite *inv)
{
	unsigned char pk[TSM_PK_LEN], sig[TSM_SIG_LEN], fpr[TSM_FPR_LEN];
	tsm_git_commit *c = NULL;
	char **ids = NULL;
	size_t n = 0;
	int err;

	if ((err = tsm_mirror_chain(&ids, &n, s->mirror, tip, NULL,
				    100000)) < 0)
		return err;
	if ((err = tsm_mirror_read(&c, s->mirror, ids[0], 16u << 20)) < 0)
		goto done;
	if (tsm_signed_parse(pk, sig, c->message) < 0) {
		err = tsm_error_set(TSM_EAUTH, "the team's first roster is "
					       "not signed");
		goto done;
	}
	tsm_key_fingerprint(fpr, pk);
	if (sodium_memcmp(fpr, inv->root, TSM_FPR_LEN) != 0) {
		err = tsm_error_set(TSM_EAUTH,
				    "the roster at '%s' is not signed by the "
				    "founder named in the invite",
				    s->remote);
		goto done;
	}
	memcpy(s->root, pk, TSM_PK_LEN);
	tsm_roster_head_dispose(&s->roster);
	err = tsm_roster_verify_chain(&s->roster, s->mirror, tip, inv->team,
				      s->root);
	if (err < 0)
		err = tsm_error_set(TSM_EAUTH, "%s", tsm_error_last()->message);
done:
	tsm_git_commit_free(c);
	tsm_mirror_chain_free(ids, n);
	return err;
}

int tsm_team_join(tsm_store *store, const char *remote, const char *code)
{
	char tip[TSM_OID_HEX + 1], commit[TSM_OID_HEX + 1];
	char ref[sizeof(TSM_REF_JOINS) + TSM_SITE_LEN];
	unsigned char mac_key[32];
	tsm_push_ref pr;
	tsm_invite inv;
	tsm_join j;
	tsm_session s;
	int err, ok;

	if ((err = tsm_codec_invite_read(&inv, code ? code : "")) < 0)
		return err;
	if (remote == NULL || *remote == '\0')
		remote = inv.remote;
	if ((err = tsm_session_open(&s, store,
				    TSM_SESSION_NOTEAM | TSM_SESSION_MIRROR |
					    TSM_SESSION_KEYS,
				    remote)) < 0)
		goto wipe;
	if (strcmp(inv.member, s.me.member) != 0) {
		err = tsm_error_set(TSM_EINVALID,
				    "the invite is for member '%s' but this "
				    "store belongs to '%s'",
				    inv.member, s.me.member);
		goto done;
	}
	if ((err = tsm_mirror_fetch(s.mirror)) < 0)
		goto done;
	err = tsm_mirror_ref(tip, s.mirror, TSM_REF_FETCHED "tsm/roster");
	if (err == TSM_ENOTFOUND)
		err = tsm_error_set(TSM_ENOTFOUND, "no team at '%s'", remote);
	if (err < 0)
		goto done;
	if ((err = verify_from_root(&s, tip, &inv)) < 0)
		goto done;

	memset(&j, 0, sizeof(j));
	snprintf(j.team, sizeof(j.team), "%s", inv.team);
	snprintf(j.member, sizeof(j.member), "%s", s.me.member);
	snprintf(j.site, sizeof(j.site), "%s", s.me.site);
	memcpy(j.sign_pk, s.me.sign_pk, TSM_PK_LEN);
	memcpy(j.box_pk, s.me.box_pk, TSM_PK_LEN);
	tsm_invite_mac_key(mac_key, inv.secret);
	tsm_join_mac(j.mac, mac_key, &j);
	sodium_memzero(mac_key, sizeof(mac_key));
	if ((err = tsm_join_commit(commit, s.mirror, &j, s.sign_sk)) < 0)
		goto done;
	snprintf(ref, sizeof(ref), "%s%s", TSM_REF_JOINS, s.me.site);
	if ((err = tsm_mirror_set_ref(s.mirror, ref, commit, NULL)) < 0 ||
	    (err = tsm_mirror_set_ref(s.mirror, TSM_REF_ROSTER,
				      s.roster.commit, NULL)) < 0)
		goto done;
	/* Recorded first: if the push fails, the next sync pushes again. */
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	ok = tsm_state_put_text(store, TSM_K_TEAM, inv.team) == 0 &&
	     tsm_state_put_text(store, TSM_K_REMOTE, remote) == 0 &&
	     tsm_state_put(store, TSM_K_ROOT, s.root, TSM_PK_LEN) == 0 &&
	     tsm_state_put_text(store, TSM_K_JOIN, commit) == 0 &&
	     tsm_session_save_roster(&s) == 0;
	err = ok ? 0 : tsm_error_last()->code;
	if (tsm_store_end(store, ok) < 0 && ok)
		err = tsm_error_last()->code;
	if (err < 0)
		goto done;
	pr.ref = ref;
	pr.id = commit;
	err = tsm_mirror_push(s.mirror, &pr, 1);
done:
	tsm_session_close(&s);
wipe:
	sodium_memzero(&inv, sizeof(inv));
	return err;
}

static int add_entry(tsm_member_entry **list, size_t *n, size_t *cap,
		     tsm_member_entry *e)
{
	tsm_member_entry *grown;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		grown = realloc(*list, *cap * sizeof(**list));
		if (grown == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		*list = grown;
	}
	(*list)[(*n)++] = *e;
	return 0;
}

static void member_name(char *out, size_t cap, tsm_store *store,
			const char *member)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const unsigned char *t;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT name FROM members WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(out, cap, "%s", t ? (const char *)t : "");
	}
	sqlite3_finalize(st);
}

struct list_ctx {
	tsm_member_entry **list;
	size_t *n, cap;
	const tsm_roster *roster;
	int64_t now;
};

static int add_invite(const tsm_state_invite *inv, void *p)
{
	struct list_ctx *lc = p;
	tsm_member_entry e;

	if (inv->used_site[0] ||
	    (lc->roster && tsm_roster_member_of(lc->roster, inv->member)))
		return 0;
	memset(&e, 0, sizeof(e));
	snprintf(e.member, sizeof(e.member), "%s", inv->member);
	snprintf(e.name, sizeof(e.name), "%s", inv->name);
	snprintf(e.role, sizeof(e.role), "%s", inv->role);
	snprintf(e.status, sizeof(e.status), "%s",
		 inv->expires < lc->now ? "expired" : "invited");
	return add_entry(lc->list, lc->n, &lc->cap, &e);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const tsm_member_entry *)a)->member,
		      ((const tsm_member_entry *)b)->member);
}

int tsm_member_list(tsm_member_entry **out, size_t *n, tsm_store *store)
{
	struct list_ctx lc;
	tsm_member_entry e;
	tsm_session s;
	size_t i;
	int err = 0;

	*out = NULL;
	*n = 0;
	if ((err = tsm_session_open(&s, store, TSM_SESSION_TEAM, NULL)) < 0)
		return err;
	lc.list = out;
	lc.n = n;
	lc.cap = 0;
	lc.roster = s.roster.roster;
	lc.now = (int64_t)time(NULL);
	for (i = 0; s.roster.roster && i < s.roster.roster->nmembers; i++) {
		const tsm_roster_member *m = &s.roster.roster->members[i];

		memset(&e, 0, sizeof(e));
		snprintf(e.member, sizeof(e.member), "%s", m->member);
		snprintf(e.role, sizeof(e.role), "%s", m->role);
		snprintf(e.status, sizeof(e.status), "active");
		e.sites = m->nsites;
		member_name(e.name, sizeof(e.name), store, m->member);
		if ((err = add_entry(out, n, &lc.cap, &e)) < 0)
			goto done;
	}
	if ((err = tsm_state_invite_each(store, add_invite, &lc)) < 0)
		goto done;
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_entry);
done:
	if (err < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	tsm_session_close(&s);
	return err;
}

void tsm_member_list_free(tsm_member_entry *list)
{
	free(list);
}
