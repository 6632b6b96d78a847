/* sync/sync.c — one round of sync (tsm/sync.h): fetch, verify the roster,
 * admit join requests, verify and apply other sites' batches, batch our own
 * new ops, push. Each step records its progress in the store in the same
 * transaction as its effect, so a kill at any point resumes cleanly. */
#include "tsm/sync.h"

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

/* Ops per batch commit: one sync normally writes one commit; a larger
 * backlog is split so that no commit grows past a few tens of MB. */
#define BATCH_MAX_OPS 50000
/* The largest commit we read back (header and envelopes). */
#define COMMIT_MAX_BYTES (512u << 20)

struct run {
	tsm_session s;
	tsm_sync_report *rep;
	const tsm_sync_options *opts;
	size_t mcap, rcap;
	int retry;          /* a refused roster push may be retried */
	int roster_refused; /* it was refused: fetch, admit, push again */
	int own_stale;      /* an older copy that wrote since: no batch, no
			     * push of our own ref */
};

static void progress(struct run *r, const char *what, size_t done,
		     size_t total)
{
	if (r->opts && r->opts->progress)
		r->opts->progress(what, done, total, r->opts->payload);
}

static void checkpoint(struct run *r, const char *point)
{
	if (r->opts && r->opts->checkpoint)
		r->opts->checkpoint(point, r->opts->payload);
}

static void on_transfer(const char *what, size_t done, size_t total,
			void *payload)
{
	progress(payload, what, done, total);
}

static int reject(struct run *r, const char *ref, const char *commit,
		  const char *reason)
{
	tsm_sync_rejection *grown, *x;

	if (r->rep->nrejections == r->rcap) {
		r->rcap = r->rcap ? 2 * r->rcap : 4;
		grown = realloc(r->rep->rejections,
				r->rcap * sizeof(*r->rep->rejections));
		if (grown == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->rep->rejections = grown;
	}
	x = &r->rep->rejections[r->rep->nrejections++];
	memset(x, 0, sizeof(*x));
	snprintf(x->ref, sizeof(x->ref), "%s", ref);
	snprintf(x->commit, sizeof(x->commit), "%s", commit ? commit : "");
	snprintf(x->reason, sizeof(x->reason), "%s", reason);
	return 0;
}

static tsm_sync_member *member_stats(struct run *r, const char *member)
{
	tsm_sync_member *grown, *m;
	size_t i;

	for (i = 0; i < r->rep->nmembers; i++)
		if (strcmp(r->rep->members[i].member, member) == 0)
			return &r->rep->members[i];
	if (r->rep->nmembers == r->mcap) {
		r->mcap = r->mcap ? 2 * r->mcap : 8;
		grown = realloc(r->rep->members,
				r->mcap * sizeof(*r->rep->members));
		if (grown == NULL)
			return NULL;
		r->rep->members = grown;
	}
	m = &r->rep->members[r->rep->nmembers++];
	memset(m, 0, sizeof(*m));
	snprintf(m->member, sizeof(m->member), "%s", member);
	return m;
}

/* Points the mirror's own refs at what the store records, in case a kill
 * came between a transaction and the ref update that follows it. */
static int repair_refs(struct run *r)
{
	char commit[TSM_OID_HEX + 1], ref[128];
	int64_t seq;
	int err;

	if ((err = tsm_state_cursor(commit, &seq, r->s.store,
				    r->s.me.site)) < 0)
		return err;
	snprintf(ref, sizeof(ref), "%s%s", TSM_REF_SITES, r->s.me.site);
	if (commit[0] && (err = tsm_mirror_set_ref(r->s.mirror, ref, commit,
						   NULL)) < 0)
		return err;
	if (r->s.roster.commit[0] &&
	    (err = tsm_mirror_set_ref(r->s.mirror, TSM_REF_ROSTER,
				      r->s.roster.commit, NULL)) < 0)
		return err;
	err = tsm_state_get_text(commit, sizeof(commit), r->s.store,
				 TSM_K_JOIN);
	if (err == TSM_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	snprintf(ref, sizeof(ref), "%s%s", TSM_REF_JOINS, r->s.me.site);
	return tsm_mirror_set_ref(r->s.mirror, ref, commit, NULL);
}

static int is_manager(struct run *r)
{
	const char *role = tsm_session_role(&r->s);

	return role && strcmp(role, "manager") == 0;
}

/* Step 2: follow the central roster from our verified version. */
static int step_roster(struct run *r)
{
	char tip[TSM_OID_HEX + 1], old[TSM_OID_HEX + 1];
	const tsm_roster_site *me;
	unsigned char *key = NULL;
	char **ids = NULL;
	size_t n = 0;
	int err;

	err = tsm_mirror_ref(tip, r->s.mirror, TSM_REF_FETCHED "tsm/roster");
	if (err == TSM_ENOTFOUND) {
		if (r->s.roster.commit[0] == '\0')
			return tsm_error_set(TSM_ENOTFOUND,
					     "no team roster at '%s'",
					     r->s.remote);
		goto admitted; /* not published yet: our push does it */
	}
	if (err < 0)
		return err;
	if (strcmp(tip, r->s.roster.commit) == 0)
		goto admitted;
	snprintf(old, sizeof(old), "%s", r->s.roster.commit);
	err = tsm_roster_verify_chain(&r->s.roster, r->s.mirror, tip, r->s.team,
				      r->s.root);
	if (err == TSM_ECONFLICT) {
		/* Ours may be ahead: a manager's version not pushed yet
		 * (the push below publishes it). Anyone else only ever
		 * holds versions it fetched, so for them the central
		 * roster went back to an older version: a rewind, which
		 * would bring back removed members or old roles. */
		err = tsm_mirror_chain(&ids, &n, r->s.mirror, old, tip, 0);
		tsm_mirror_chain_free(ids, n);
		if (err == 0 && is_manager(r))
			goto admitted;
		if (err == 0)
			err = reject(r, TSM_REF_ROSTER, tip,
				     "rewound to an older version (the "
				     "version verified here is newer; a "
				     "manager's sync puts it back)");
		else
			err = reject(r, TSM_REF_ROSTER, tip,
				     "history rewritten (does not descend "
				     "from the roster verified here)");
		if (err < 0)
			return err;
	} else if (err == TSM_ECORRUPT) {
		if ((err = reject(r, TSM_REF_ROSTER, "",
				  tsm_error_last()->message)) < 0)
			return err;
	} else if (err < 0) {
		return err;
	}
	if (strcmp(old, r->s.roster.commit) != 0) {
		if ((err = tsm_session_save_roster(&r->s)) < 0)
			return err;
		if ((err = tsm_mirror_set_ref(r->s.mirror, TSM_REF_ROSTER,
					      r->s.roster.commit, NULL)) < 0)
			return err;
	}
admitted:
	r->rep->roster_version =
		r->s.roster.roster ? r->s.roster.roster->version : 0;
	if (!tsm_session_admitted(&r->s)) {
		r->rep->pending = 1;
		return 0;
	}
	if (r->s.team_key)
		return 0;
	/* Newly admitted: unseal the team key sealed to this site. */
	me = tsm_roster_site_of(r->s.roster.roster, r->s.me.site, NULL);
	if ((err = tsm_session_box_sk(&r->s)) < 0)
		return err;
	key = sodium_malloc(32);
	if (key == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (crypto_box_seal_open(key, me->sealed, TSM_SEALED_LEN,
				 r->s.me.box_pk, r->s.box_sk) != 0) {
		tsm_identity_secret_free(key);
		return tsm_error_set(TSM_EAUTH, "the team key in the roster "
						"does not open with this "
						"site's key");
	}
	if ((err = tsm_state_put(r->s.store, TSM_K_TEAM_KEY, key, 32)) < 0) {
		tsm_identity_secret_free(key);
		return err;
	}
	r->s.team_key = key;
	r->rep->admitted_self = 1;
	return 0;
}

/* Puts join request j (for invite inv) into a new roster version on top of
 * the current one, with the team key sealed to the joining site. fresh: a
 * new admission, whose member grant op and consumed invite are recorded in
 * one transaction first. Otherwise the site was admitted here before but its
 * roster version never reached the central repository (a push refused in a
 * race with another manager, or a kill before the push): it is only put
 * into a version again. The version is recorded in the store once the
 * central repository confirms it (step_push), and the next sync starts from
 * what the central repository holds, so nothing is lost either way. */
static int admit(struct run *r, const tsm_join *j, const tsm_state_invite *inv,
		 int fresh)
{
	tsm_roster_head next = {"", NULL, NULL, 0};
	const tsm_roster_member *rm;
	char *doc = NULL, *grant = NULL, commit[TSM_OID_HEX + 1];
	tsm_op_spec spec;
	size_t len = 0;
	int err, ok;

	if ((err = tsm_codec_roster_read(&next.roster,
					 (const unsigned char *)r->s.roster.doc,
					 r->s.roster.len)) < 0)
		return err;
	next.roster->version++;
	crypto_generichash(next.roster->prev, sizeof(next.roster->prev),
			   (const unsigned char *)r->s.roster.doc,
			   r->s.roster.len, NULL, 0);
	rm = tsm_roster_member_of(next.roster, j->member);
	if (rm && strcmp(rm->role, inv->role) != 0) {
		err = tsm_error_set(TSM_EINVALID,
				    "%s is in the roster as %s, invited as %s",
				    j->member, rm->role, inv->role);
		goto done;
	}
	if ((err = tsm_roster_add_site(next.roster, j->member, inv->role,
				       j->site, j->sign_pk, j->box_pk,
				       r->s.team_key)) < 0 ||
	    (err = tsm_codec_roster_write(&doc, &len, next.roster)) < 0 ||
	    (err = tsm_roster_commit(commit, r->s.mirror, doc, len,
				     r->s.roster.commit, r->s.me.sign_pk,
				     r->s.sign_sk)) < 0)
		goto done;
	snprintf(next.commit, sizeof(next.commit), "%s", commit);
	next.doc = doc;
	next.len = len;
	doc = NULL;
	if (fresh) {
		if ((err = tsm_codec_grant_value(&grant, inv->role,
						 inv->name[0] ? inv->name
							      : j->member,
						 j->site, j->sign_pk,
						 j->box_pk)) < 0)
			goto done;
		spec.etype = "member";
		spec.eid = j->member;
		spec.action = "grant";
		spec.field = NULL;
		spec.value = grant;
		if ((err = tsm_store_begin(r->s.store)) < 0)
			goto done;
		/* a member granted already (another device): no new grant */
		ok = (rm != NULL ||
		      tsm_ops_append(NULL, r->s.store, &spec, 1) == 0) &&
		     tsm_state_invite_use(r->s.store, j->member, j->site) == 0;
		err = ok ? 0 : tsm_error_last()->code;
		if (tsm_store_end(r->s.store, ok) < 0 && ok)
			err = tsm_error_last()->code;
		if (err < 0)
			goto done;
		r->rep->admitted++;
	}
	tsm_roster_head_dispose(&r->s.roster);
	r->s.roster = next;
	memset(&next, 0, sizeof(next));
	r->rep->roster_version = r->s.roster.roster->version;
	err = tsm_mirror_set_ref(r->s.mirror, TSM_REF_ROSTER,
				 r->s.roster.commit, NULL);
done:
	tsm_roster_head_dispose(&next);
	free(doc);
	free(grant);
	return err;
}

static int visit_join(const char *ref, const char *id, void *p)
{
	struct run *r = p;
	const char *site = ref + strlen(TSM_REF_FETCHED "tsm/joins/");
	unsigned char mac[TSM_MAC_LEN];
	tsm_state_invite inv;
	tsm_join j;
	char reason[256], shown[128];
	int err, again = 0;

	snprintf(shown, sizeof(shown), "refs/%s", ref + strlen(TSM_REF_FETCHED));
	if (!tsm_site_id_valid(site) ||
	    tsm_roster_site_of(r->s.roster.roster, site, NULL))
		return 0; /* admitted already */
	if (tsm_join_read(&j, r->s.mirror, id, site) < 0) {
		snprintf(reason, sizeof(reason), "join request: %s",
			 tsm_error_last()->message);
		return reject(r, shown, id, reason);
	}
	if (strcmp(j.team, r->s.team) != 0)
		return 0;
	err = tsm_state_invite_get(&inv, r->s.store, j.member);
	if (err == TSM_ENOTFOUND)
		return 0; /* another manager's invite, or none: not ours */
	if (err < 0)
		return err;
	reason[0] = '\0';
	tsm_join_mac(mac, inv.mac_key, &j);
	if (sodium_memcmp(mac, j.mac, TSM_MAC_LEN) != 0)
		snprintf(reason, sizeof(reason),
			 "join request: bad invite code for %s", j.member);
	else if (strcmp(inv.used_site, site) == 0)
		again = 1; /* admitted here, its roster version not published */
	else if (inv.used_site[0])
		snprintf(reason, sizeof(reason),
			 "join request: the invite for %s was used already",
			 j.member);
	else if (inv.expires < (int64_t)time(NULL))
		snprintf(reason, sizeof(reason),
			 "join request: the invite for %s has expired",
			 j.member);
	if (reason[0])
		err = reject(r, shown, id, reason);
	else
		err = admit(r, &j, &inv, !again);
	sodium_memzero(&inv, sizeof(inv));
	return err;
}

/* Step 3 (managers): admit valid join requests for our invites. */
static int step_admit(struct run *r)
{
	const char *role = tsm_session_role(&r->s);

	if (role == NULL || strcmp(role, "manager") != 0)
		return 0;
	return tsm_mirror_each_ref(r->s.mirror, TSM_REF_FETCHED "tsm/joins/",
				   visit_join, r);
}

/* Verified batches waiting to be applied. */
struct pending {
	char site[TSM_SITE_LEN + 1];
	char commit[TSM_OID_HEX + 1];
	int64_t seq;
	char *payload; /* the JSON array of ops */
	size_t len;
};

struct apply_ctx {
	struct run *r;
	struct pending *p;
	size_t n, cap;
	size_t commits;
};

struct op_check {
	const char *site;
	const char *member;
	uint64_t next;
	char reason[160];
};

static int check_op(const char *site, uint64_t seq, const char *author,
		    void *p)
{
	struct op_check *oc = p;

	if (strcmp(site, oc->site) != 0)
		snprintf(oc->reason, sizeof(oc->reason),
			 "op of site %s inside the batch", site);
	else if (strcmp(author, oc->member) != 0)
		snprintf(oc->reason, sizeof(oc->reason),
			 "op by %s in a batch of %s's site", author,
			 oc->member);
	else if (seq != oc->next)
		snprintf(oc->reason, sizeof(oc->reason),
			 "op seq %llu where %llu was due",
			 (unsigned long long)seq,
			 (unsigned long long)oc->next);
	else {
		oc->next++;
		return 0;
	}
	return 1;
}

/* Our own central ref is what this store batched last, or behind it (our
 * push moves it). It is ahead only when the store is an older copy of this
 * replica (restored from a backup, say): the batches it misses hold its
 * own ops, which the other replicas have. Returns 1 when they are to be
 * taken back like another site's batches: the store wrote nothing since.
 * When it did, those ops reuse the seqs of the ones on the central
 * repository: reported, and this sync batches and pushes nothing of ours.
 * 0 when there is nothing to take. */
static int own_restored(struct run *r, const char *shown, const char *tip)
{
	char cursor[TSM_OID_HEX + 1], why[400];
	char **ids = NULL;
	int64_t seq, max;
	size_t n = 0;
	int err;

	if ((err = tsm_state_cursor(cursor, &seq, r->s.store,
				    r->s.me.site)) < 0)
		return err;
	if (strcmp(cursor, tip) == 0)
		return 0;
	err = tsm_mirror_chain(&ids, &n, r->s.mirror, tip, cursor, 0);
	tsm_mirror_chain_free(ids, n);
	if (err == TSM_ECONFLICT)
		return 0; /* not ahead of us: step_push judges it */
	if (err < 0)
		return err;
	if (n == 0)
		return 0;
	if ((err = tsm_ops_max_seq(&max, r->s.store, r->s.me.site)) < 0)
		return err;
	if (max == seq)
		return 1;
	r->own_stale = 1;
	snprintf(why, sizeof(why),
		 "this store is an older copy of this replica: the central "
		 "repository holds %zu batch%s of it after seq %lld, and "
		 "the store has written ops %lld-%lld since, with the same "
		 "seqs; nothing of it is sent. Restore the newest copy of "
		 "the store, or join the team again as a new site",
		 n, n == 1 ? "" : "es", (long long)seq, (long long)seq + 1,
		 (long long)max);
	err = reject(r, shown, tip, why);
	return err < 0 ? err : 0;
}

/* Verifies one site's new commits from its cursor; queues the good ones. */
static int visit_site(const char *ref, const char *tip, void *p)
{
	struct apply_ctx *ac = p;
	struct run *r = ac->r;
	const char *site = ref + strlen(TSM_REF_FETCHED "tsm/sites/");
	char shown[128], cursor[TSM_OID_HEX + 1], parent[TSM_OID_HEX + 1], why[320];
	const tsm_roster_member *member = NULL;
	const tsm_roster_site *rs;
	tsm_git_commit *c = NULL;
	struct pending *grown, *q;
	tsm_batch_expect exp;
	tsm_batch_header h;
	struct op_check oc;
	unsigned char *plain = NULL;
	char **ids = NULL;
	size_t n = 0, i, len = 0;
	int64_t seq;
	int err;

	/* the ref's name on the central repository */
	snprintf(shown, sizeof(shown), "refs/%s", ref + strlen(TSM_REF_FETCHED));
	if (strcmp(site, r->s.me.site) == 0 &&
	    (err = own_restored(r, shown, tip)) <= 0)
		return err; /* our own: our push checks it */
	if (!tsm_site_id_valid(site))
		return reject(r, shown, tip, "not a site ref");
	rs = tsm_roster_site_of(r->s.roster.roster, site, &member);
	if (rs == NULL)
		return reject(r, shown, tip, "site not in the roster");
	if ((err = tsm_state_cursor(cursor, &seq, r->s.store, site)) < 0)
		return err;
	if (strcmp(cursor, tip) == 0)
		return 0;
	err = tsm_mirror_chain(&ids, &n, r->s.mirror, tip, cursor, 0);
	if (err == TSM_ECONFLICT) {
		snprintf(why, sizeof(why),
			 "history rewritten (does not descend from %.12s, "
			 "verified here)",
			 cursor);
		return reject(r, shown, tip, why);
	}
	if (err < 0)
		return reject(r, shown, tip, tsm_error_last()->message);
	snprintf(parent, sizeof(parent), "%s", cursor);
	for (i = 0; i < n; i++) {
		progress(r, "verifying", ++ac->commits, 0);
		if ((err = tsm_mirror_read(&c, r->s.mirror, ids[i],
					   COMMIT_MAX_BYTES)) < 0) {
			err = reject(r, shown, ids[i],
				     tsm_error_last()->message);
			break;
		}
		exp.team = r->s.team;
		exp.site = site;
		exp.signer = rs->sign_pk;
		exp.parent = parent;
		exp.seq_first = (uint64_t)seq + 1;
		err = tsm_batch_open(&plain, &len, &h, c, &exp, r->s.team_key);
		tsm_git_commit_free(c);
		c = NULL;
		if (err < 0) {
			err = reject(r, shown, ids[i],
				     tsm_error_last()->message);
			break;
		}
		oc.site = site;
		oc.member = member->member;
		oc.next = h.seq_first;
		oc.reason[0] = '\0';
		err = tsm_codec_ops_each(plain, len, check_op, &oc);
		if (err == 0 && oc.next != h.seq_last + 1)
			snprintf(oc.reason, sizeof(oc.reason),
				 "the batch holds %llu ops for seqs %llu-%llu",
				 (unsigned long long)(oc.next - h.seq_first),
				 (unsigned long long)h.seq_first,
				 (unsigned long long)h.seq_last);
		if (err < 0)
			snprintf(oc.reason, sizeof(oc.reason), "%s",
				 tsm_error_last()->message);
		if (oc.reason[0]) {
			free(plain);
			plain = NULL;
			err = reject(r, shown, ids[i], oc.reason);
			break;
		}
		if (ac->n == ac->cap) {
			ac->cap = ac->cap ? 2 * ac->cap : 16;
			grown = realloc(ac->p, ac->cap * sizeof(*ac->p));
			if (grown == NULL) {
				free(plain);
				err = tsm_error_set(TSM_ENOMEM,
						    "out of memory");
				break;
			}
			ac->p = grown;
		}
		q = &ac->p[ac->n++];
		snprintf(q->site, sizeof(q->site), "%s", site);
		snprintf(q->commit, sizeof(q->commit), "%s", ids[i]);
		q->seq = (int64_t)h.seq_last;
		q->payload = (char *)plain;
		q->len = len;
		plain = NULL;
		snprintf(parent, sizeof(parent), "%s", ids[i]);
		seq = (int64_t)h.seq_last;
	}
	tsm_mirror_chain_free(ids, n);
	return err;
}

/* Joins the JSON arrays of the queued batches into one array. */
static int concat(char **out, size_t *outlen, const struct apply_ctx *ac)
{
	size_t i, total = 2, len = 1, inner;
	char *buf;

	for (i = 0; i < ac->n; i++)
		total += ac->p[i].len + 1;
	buf = malloc(total + 1);
	if (buf == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	buf[0] = '[';
	for (i = 0; i < ac->n; i++) {
		const char *s = ac->p[i].payload;
		size_t a = 0, b = ac->p[i].len;

		while (a < b && s[a] != '[')
			a++;
		while (b > a && s[b - 1] != ']')
			b--;
		if (b - a < 2)
			continue;
		inner = b - a - 2;
		if (inner == 0)
			continue;
		if (len > 1)
			buf[len++] = ',';
		memcpy(buf + len, s + a + 1, inner);
		len += inner;
	}
	buf[len++] = ']';
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Applies ops (a JSON array) and moves the cursors of batches p[0..n) in
 * one transaction; adds what it did to the report. */
static int apply_batches(struct run *r, const char *ops, size_t len,
			 const struct pending *p, size_t n)
{
	tsm_apply_stats stats;
	tsm_sync_member *ms;
	size_t i;
	int err, ok;

	memset(&stats, 0, sizeof(stats));
	if ((err = tsm_store_begin(r->s.store)) < 0)
		return err;
	ok = tsm_ops_apply_json(&stats, r->s.store, ops, len) == 0;
	for (i = 0; ok && i < n; i++)
		ok = tsm_state_set_cursor(r->s.store, p[i].site, p[i].commit,
					  p[i].seq) == 0;
	if (ok)
		checkpoint(r, "during-apply");
	err = ok ? 0 : tsm_error_last()->code;
	if (tsm_store_end(r->s.store, ok) < 0 && ok)
		err = tsm_error_last()->code;
	if (err < 0)
		goto done;
	r->rep->received += stats.applied;
	r->rep->duplicates += stats.duplicates;
	r->rep->conflicts += stats.reviews_added;
	r->rep->rejected_ops += stats.rejected;
	for (i = 0; i < stats.nauthors; i++) {
		ms = member_stats(r, stats.authors[i].member);
		if (ms == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		ms->received += stats.authors[i].ops;
	}
done:
	tsm_apply_stats_dispose(&stats);
	return err;
}

/* The op log refused the whole set (a signed batch holding ops it cannot
 * take): apply batch by batch, each site in order, and reject the first
 * refused batch of a site and everything after it on that site. */
static int apply_one_by_one(struct run *r, struct apply_ctx *ac)
{
	char shown[128], why[320], bad_site[TSM_SITE_LEN + 1] = "";
	size_t i;
	int err;

	for (i = 0; i < ac->n; i++) {
		struct pending *q = &ac->p[i];

		if (strcmp(q->site, bad_site) == 0)
			continue;
		err = apply_batches(r, q->payload, q->len, q, 1);
		if (err == TSM_EINVALID || err == TSM_ECORRUPT) {
			snprintf(shown, sizeof(shown), "%s%s", TSM_REF_SITES,
				 q->site);
			snprintf(why, sizeof(why), "the op log refused it: %s",
				 tsm_error_last()->message);
			if ((err = reject(r, shown, q->commit, why)) < 0)
				return err;
			snprintf(bad_site, sizeof(bad_site), "%s", q->site);
		} else if (err < 0) {
			return err;
		}
	}
	return 0;
}

/* Step 4: verify every other site's new batches, apply them at once. */
static int step_apply(struct run *r)
{
	struct apply_ctx ac = {r, NULL, 0, 0, 0};
	char *all = NULL;
	size_t len = 0, i;
	int err;

	if ((err = tsm_mirror_each_ref(r->s.mirror,
				       TSM_REF_FETCHED "tsm/sites/",
				       visit_site, &ac)) < 0)
		goto done;
	if (ac.n == 0)
		goto done;
	if ((err = concat(&all, &len, &ac)) < 0)
		goto done;
	progress(r, "applying", 0, ac.n);
	err = apply_batches(r, all, len, ac.p, ac.n);
	if (err == TSM_EINVALID || err == TSM_ECORRUPT)
		err = apply_one_by_one(r, &ac);
	if (err == 0)
		progress(r, "applying", ac.n, ac.n);
done:
	for (i = 0; i < ac.n; i++)
		free(ac.p[i].payload);
	free(ac.p);
	free(all);
	return err;
}

struct own_check {
	const char *site, *member;
	uint64_t next;
	int bad;
};

static int count_own(const char *site, uint64_t seq, const char *author,
		     void *p)
{
	struct own_check *oc = p;

	if (strcmp(site, oc->site) != 0 || strcmp(author, oc->member) != 0 ||
	    seq != oc->next)
		oc->bad = 1;
	oc->next++;
	return 0;
}

/* Step 5: our unpublished ops as batch commits on our own ref. */
static int step_batch(struct run *r)
{
	char commit[TSM_OID_HEX + 1], next[TSM_OID_HEX + 1], ref[128];
	tsm_batch_header h;
	tsm_batch_out out;
	struct own_check oc;
	tsm_sync_member *ms;
	int64_t seq, max, last;
	char *json = NULL;
	size_t len = 0;
	int err = 0, ok;

	memset(&out, 0, sizeof(out));
	if (r->own_stale)
		return 0;
	snprintf(ref, sizeof(ref), "%s%s", TSM_REF_SITES, r->s.me.site);
	if ((err = tsm_state_cursor(commit, &seq, r->s.store,
				    r->s.me.site)) < 0)
		return err;
	if ((err = tsm_ops_max_seq(&max, r->s.store, r->s.me.site)) < 0)
		return err;
	while (seq < max) {
		last = max - seq > BATCH_MAX_OPS ? seq + BATCH_MAX_OPS : max;
		if ((err = tsm_ops_export(&json, &len, r->s.store, r->s.me.site,
					  seq + 1, last, 0)) < 0)
			break;
		oc.site = r->s.me.site;
		oc.member = r->s.me.member;
		oc.next = (uint64_t)seq + 1;
		oc.bad = 0;
		if ((err = tsm_codec_ops_each((unsigned char *)json, len,
					      count_own, &oc)) < 0)
			break;
		if (oc.bad || oc.next != (uint64_t)last + 1) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "this replica's own ops %lld-%lld "
					    "are not whole",
					    (long long)seq + 1, (long long)last);
			break;
		}
		memset(&h, 0, sizeof(h));
		snprintf(h.team, sizeof(h.team), "%s", r->s.team);
		snprintf(h.site, sizeof(h.site), "%s", r->s.me.site);
		memcpy(h.signer, r->s.me.sign_pk, TSM_PK_LEN);
		h.seq_first = (uint64_t)seq + 1;
		h.seq_last = (uint64_t)last;
		if ((err = tsm_batch_seal(&out, &h, commit,
					  (unsigned char *)json, len,
					  r->s.team_key, r->s.sign_sk)) < 0)
			break;
		if ((err = tsm_mirror_commit(next, r->s.mirror, commit,
					     out.entries, out.nentries,
					     out.message, r->s.me.site)) < 0)
			break;
		tsm_batch_out_free(&out);
		free(json);
		json = NULL;
		/* the seqs are batched once the store says so, not before */
		if ((err = tsm_store_begin(r->s.store)) < 0)
			break;
		ok = tsm_state_set_cursor(r->s.store, r->s.me.site, next,
					  last) == 0;
		err = ok ? 0 : tsm_error_last()->code;
		if (tsm_store_end(r->s.store, ok) < 0 && ok)
			err = tsm_error_last()->code;
		if (err < 0)
			break;
		checkpoint(r, "batched");
		if ((err = tsm_mirror_set_ref(r->s.mirror, ref, next, NULL)) <
		    0)
			break;
		r->rep->sent += (size_t)(last - seq);
		r->rep->batches++;
		ms = member_stats(r, r->s.me.member);
		if (ms == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			break;
		}
		ms->sent += (size_t)(last - seq);
		seq = last;
		snprintf(commit, sizeof(commit), "%s", next);
	}
	tsm_batch_out_free(&out);
	free(json);
	return err;
}

/* Adds ref to the push when our commit differs from the central one. */
static int want_push(tsm_push_ref *refs, size_t *n, struct run *r,
		     const char *ref, const char *id)
{
	char fetched[160], remote[TSM_OID_HEX + 1];
	int err;

	if (id == NULL || id[0] == '\0')
		return 0;
	snprintf(fetched, sizeof(fetched), "%s%s", TSM_REF_FETCHED,
		 ref + strlen("refs/"));
	err = tsm_mirror_ref(remote, r->s.mirror, fetched);
	if (err == 0 && strcmp(remote, id) == 0)
		return 0;
	if (err < 0 && err != TSM_ENOTFOUND)
		return err;
	memset(&refs[*n], 0, sizeof(refs[*n]));
	refs[*n].ref = ref;
	refs[*n].id = id;
	(*n)++;
	return 0;
}

/* Our own ref on the central repository must be a prefix of our chain:
 * anything else was written by someone else (forged, rewritten). Returns 1
 * (and reports it) when it is not, so that we do not push over it. */
static int check_own(struct run *r, const char *ref, const char *own)
{
	char fetched[160], remote[TSM_OID_HEX + 1];
	char **ids = NULL;
	size_t n = 0;
	int err;

	snprintf(fetched, sizeof(fetched), "%s%s", TSM_REF_FETCHED,
		 ref + strlen("refs/"));
	err = tsm_mirror_ref(remote, r->s.mirror, fetched);
	if (err == TSM_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	if (strcmp(remote, own) == 0)
		return 0;
	if (own[0]) {
		err = tsm_mirror_chain(&ids, &n, r->s.mirror, own, remote, 0);
		tsm_mirror_chain_free(ids, n);
		if (err == 0)
			return 0; /* central is behind: the push catches up */
	}
	err = reject(r, ref, remote,
		     "the central copy of this replica's own ref holds "
		     "commits it never wrote (forged or rewritten)");
	return err < 0 ? err : 1;
}

/* Step 6: push our ref, the roster and our join request when changed. */
static int step_push(struct run *r)
{
	char own[TSM_OID_HEX + 1], join[TSM_OID_HEX + 1];
	char site_ref[128], join_ref[128];
	const char *role = tsm_session_role(&r->s);
	tsm_push_ref refs[3];
	size_t n = 0, i;
	int64_t seq;
	int err;

	snprintf(site_ref, sizeof(site_ref), "%s%s", TSM_REF_SITES,
		 r->s.me.site);
	snprintf(join_ref, sizeof(join_ref), "%s%s", TSM_REF_JOINS,
		 r->s.me.site);
	if ((err = tsm_state_cursor(own, &seq, r->s.store, r->s.me.site)) < 0)
		return err;
	if (!r->own_stale) {
		if ((err = check_own(r, site_ref, own)) < 0)
			return err;
		if (err == 0 &&
		    (err = want_push(refs, &n, r, site_ref, own)) < 0)
			return err;
	}
	if (role && strcmp(role, "manager") == 0 &&
	    (err = want_push(refs, &n, r, TSM_REF_ROSTER,
			     r->s.roster.commit)) < 0)
		return err;
	err = tsm_state_get_text(join, sizeof(join), r->s.store, TSM_K_JOIN);
	if (err == 0 && !tsm_session_admitted(&r->s))
		err = want_push(refs, &n, r, join_ref, join);
	if (err < 0 && err != TSM_ENOTFOUND)
		return err;
	if (n == 0)
		return 0;
	progress(r, "sending", 0, 0);
	err = tsm_mirror_push(r->s.mirror, refs, n);
	if (err < 0 && err != TSM_ECONFLICT)
		return err;
	for (i = 0; i < n; i++) {
		if (strcmp(refs[i].ref, TSM_REF_ROSTER) != 0)
			continue;
		if (refs[i].ok) {
			/* a roster version of ours, now on the central
			 * repository: the verified roster from now on */
			if ((err = tsm_session_save_roster(&r->s)) < 0)
				return err;
		} else if (r->retry) {
			/* another manager moved the roster meanwhile: start
			 * again (some transports refuse the whole push then,
			 * so every ref of it is retried) */
			r->roster_refused = 1;
			return 0;
		}
	}
	for (i = 0; i < n; i++)
		if (!refs[i].ok && (err = reject(r, refs[i].ref, refs[i].id,
						 refs[i].status)) < 0)
			return err;
	return 0;
}

int tsm_sync(tsm_sync_report *out, tsm_store *store,
	     const tsm_sync_options *opts)
{
	struct run r;
	int err, attempt;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.rep = out;
	r.opts = opts;
	if ((err = tsm_session_open(&r.s, store,
				    TSM_SESSION_TEAM | TSM_SESSION_MIRROR |
					    TSM_SESSION_KEYS,
				    NULL)) < 0)
		return err;
	tsm_mirror_set_progress(r.s.mirror, on_transfer, &r);
	for (attempt = 0;; attempt++) {
		r.retry = attempt < 2;
		r.roster_refused = 0;
		r.own_stale = 0;
		if ((err = repair_refs(&r)) < 0)
			goto done;
		progress(&r, "receiving", 0, 0);
		if ((err = tsm_mirror_fetch(r.s.mirror)) < 0)
			goto done;
		if ((err = step_roster(&r)) < 0)
			goto done;
		if (r.s.team_key) {
			if ((err = step_admit(&r)) < 0)
				goto done;
			if ((err = step_apply(&r)) < 0)
				goto done;
			if ((err = step_batch(&r)) < 0)
				goto done;
		}
		checkpoint(&r, "before-push");
		if ((err = step_push(&r)) < 0)
			goto done;
		checkpoint(&r, "after-push");
		if (!r.roster_refused)
			break;
		/* start again from the roster the store has verified */
		if ((err = tsm_session_reload_roster(&r.s)) < 0)
			goto done;
	}
	if (out->nrejections)
		err = tsm_error_set(TSM_ECONFLICT,
				    "sync finished with %zu rejection%s",
				    out->nrejections,
				    out->nrejections == 1 ? "" : "s");
done:
	tsm_session_close(&r.s);
	return err;
}

void tsm_sync_report_dispose(tsm_sync_report *r)
{
	free(r->members);
	free(r->rejections);
	memset(r, 0, sizeof(*r));
}
