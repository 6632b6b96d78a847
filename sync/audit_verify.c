/* sync/audit_verify.c — the sync side of the audit (tsm/audit.h): recording
 * which batch commit carried which ops (tsm_audit_index) and re-verifying
 * the whole sync history from the roots (tsm_audit_verify), in the local
 * mirror or in a temporary mirror of the central repository as it is now. */
#include "tsm/audit.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_internal.h"
#include "batch.h"
#include "error.h"
#include "mirror.h"
#include "roster.h"
#include "session.h"
#include "state.h"
#include "store_internal.h"

/* The largest commit read back (header and envelopes), as sync reads. */
#define COMMIT_MAX_BYTES (512u << 20)

/* Where the central refs sit in a mirror after a fetch. */
#define FETCHED_TSM TSM_REF_FETCHED "tsm/"

/* A site's cursor as sync recorded it. */
struct cursor {
	char site[TSM_SITE_LEN + 1];
	char commit[TSM_OID_HEX + 1];
	int64_t seq;
};

/* Reads every row of sync_sites (created by the session when missing). */
static int read_cursors(struct cursor **out, size_t *n, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	struct cursor *v = NULL, *grown;
	size_t k = 0, cap = 0;
	const unsigned char *s;
	int rc, err = 0;

	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(db,
				"SELECT site, commit_id, seq FROM sync_sites "
				"ORDER BY site",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read sync cursors");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			v = grown;
		}
		memset(&v[k], 0, sizeof(v[k]));
		s = sqlite3_column_text(st, 0);
		snprintf(v[k].site, sizeof(v[k].site), "%s",
			 s ? (const char *)s : "");
		s = sqlite3_column_text(st, 1);
		snprintf(v[k].commit, sizeof(v[k].commit), "%s",
			 s ? (const char *)s : "");
		v[k].seq = sqlite3_column_int64(st, 2);
		k++;
	}
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "read sync cursors");
done:
	sqlite3_finalize(st);
	if (err < 0) {
		free(v);
		return err;
	}
	*out = v;
	*n = k;
	return 0;
}

static void mirror_path(char *out, size_t cap, tsm_store *store)
{
	snprintf(out, cap, "%s/%s", tsm_store_dir(store), TSM_MIRROR_DIR);
}

/* ---- tsm_audit_index ---- */

/* Records the batches of one site from its recorded tip up to cursor. */
static int index_site(tsm_store *store, tsm_mirror *m, const struct cursor *cu)
{
	char tip[TSM_COMMIT_HEX_MAX];
	const struct tsm_git_blob *hb;
	tsm_batch_header h;
	tsm_git_commit *c = NULL;
	char **ids = NULL;
	size_t n = 0, i;
	int64_t seq;
	int err;

	if ((err = tsm_audit_batch_tip(tip, &seq, store, cu->site)) < 0)
		return err;
	err = tsm_mirror_chain(&ids, &n, m, cu->commit, tip, 0);
	if (err == TSM_ECONFLICT) {
		/* not on the recorded chain: record the chain afresh */
		if ((err = tsm_audit_batch_forget(store, cu->site)) < 0)
			return err;
		err = tsm_mirror_chain(&ids, &n, m, cu->commit, NULL, 0);
	}
	if (err < 0)
		return err;
	for (i = 0; i < n; i++) {
		if ((err = tsm_mirror_read(&c, m, ids[i], COMMIT_MAX_BYTES)) <
		    0)
			break;
		hb = tsm_git_commit_entry(c, TSM_HEADER_BLOB);
		if (hb == NULL || hb->data == NULL) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "commit %.12s has no "
					    "batch header",
					    ids[i]);
			break;
		}
		if ((err = tsm_codec_header_read(&h, hb->data, hb->len)) < 0)
			break;
		tsm_git_commit_free(c);
		c = NULL;
		if (strcmp(h.site, cu->site) != 0) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "commit %.12s is a batch of "
					    "another site",
					    ids[i]);
			break;
		}
		if ((err = tsm_audit_batch_put(store, cu->site, ids[i],
					       (int64_t)h.seq_first,
					       (int64_t)h.seq_last)) < 0)
			break;
	}
	tsm_git_commit_free(c);
	tsm_mirror_chain_free(ids, n);
	return err;
}

int tsm_audit_index(tsm_store *store)
{
	char path[PATH_MAX], tip[TSM_COMMIT_HEX_MAX];
	struct cursor *cu = NULL;
	tsm_mirror *m = NULL;
	struct stat sb;
	size_t n = 0, i, todo = 0;
	int64_t seq;
	int err, ok;

	if ((err = read_cursors(&cu, &n, store)) < 0)
		return err;
	for (i = 0; i < n; i++) {
		if ((err = tsm_audit_batch_tip(tip, &seq, store, cu[i].site)) <
		    0)
			goto done;
		if (cu[i].commit[0] == '\0' || strcmp(tip, cu[i].commit) == 0)
			cu[i].commit[0] = '\0'; /* nothing new */
		else
			todo++;
	}
	if (todo == 0)
		goto done;
	mirror_path(path, sizeof(path), store);
	if (stat(path, &sb) != 0)
		goto done; /* no mirror: nothing was synced */
	if ((err = tsm_mirror_open(&m, path, NULL)) < 0)
		goto done;
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	for (i = 0; i < n && err == 0; i++)
		if (cu[i].commit[0])
			err = index_site(store, m, &cu[i]);
	ok = err == 0;
	if (tsm_store_end(store, ok) < 0 && ok)
		err = tsm_error_last()->code;
done:
	tsm_mirror_free(m);
	free(cu);
	return err;
}

/* ---- tsm_audit_verify ---- */

/* What the verified roster chain says about a site. */
struct vsite {
	char site[TSM_SITE_LEN + 1];
	char member[TSM_MEMBER_MAX];
	unsigned char pk[TSM_PK_LEN];
	uint64_t version; /* the first version that lists it */
};

/* Commits of one site's chain verified so far, by id, with their seq_last:
 * an open-addressing table. */
struct seen {
	struct seen_slot {
		char id[TSM_OID_HEX + 1];
		int64_t seq;
	} * slot;
	size_t cap, n;
};

struct vrun {
	tsm_session s;
	tsm_mirror *m;
	tsm_audit_report *rep;
	size_t fcap;
	struct vsite *sites;
	size_t nsites, scap;
	struct seen seen;
	const tsm_audit_verify_options *opts;
};

static size_t seen_hash(const char *id)
{
	size_t h = 0, i;

	for (i = 0; i < 16 && id[i]; i++)
		h = h * 16 +
		    (size_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return h;
}

static struct seen_slot *seen_find(const struct seen *t, const char *id)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = seen_hash(id) & (t->cap - 1); t->slot[i].id[0];
	     i = (i + 1) & (t->cap - 1))
		if (strcmp(t->slot[i].id, id) == 0)
			return &t->slot[i];
	return NULL;
}

static int seen_put(struct seen *t, const char *id, int64_t seq)
{
	struct seen_slot *old = t->slot, *s;
	size_t oldcap = t->cap, i, j;

	if ((t->n + 1) * 2 > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->slot = calloc(t->cap, sizeof(*t->slot));
		if (t->slot == NULL) {
			t->slot = old;
			t->cap = oldcap;
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
		for (i = 0; i < oldcap; i++) {
			if (!old[i].id[0])
				continue;
			for (j = seen_hash(old[i].id) & (t->cap - 1);
			     t->slot[j].id[0]; j = (j + 1) & (t->cap - 1))
				;
			t->slot[j] = old[i];
		}
		free(old);
	}
	if ((s = seen_find(t, id)) == NULL) {
		for (j = seen_hash(id) & (t->cap - 1); t->slot[j].id[0];
		     j = (j + 1) & (t->cap - 1))
			;
		s = &t->slot[j];
		snprintf(s->id, sizeof(s->id), "%s", id);
		t->n++;
	}
	s->seq = seq;
	return 0;
}

static void seen_clear(struct seen *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static int fail(struct vrun *r, const char *site, const char *ref,
		const char *commit, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(struct vrun *r, const char *site, const char *ref,
		const char *commit, const char *fmt, ...)
{
	tsm_audit_failure *grown, *f;
	va_list ap;

	if (r->rep->nfailures == r->fcap) {
		r->fcap = r->fcap ? 2 * r->fcap : 8;
		grown = realloc(r->rep->failures,
				r->fcap * sizeof(*r->rep->failures));
		if (grown == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->rep->failures = grown;
	}
	f = &r->rep->failures[r->rep->nfailures++];
	memset(f, 0, sizeof(*f));
	snprintf(f->site, sizeof(f->site), "%s", site ? site : "");
	snprintf(f->ref, sizeof(f->ref), "%s", ref ? ref : "");
	snprintf(f->commit, sizeof(f->commit), "%s", commit ? commit : "");
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	return 0;
}

static const struct vsite *vsite_of(const struct vrun *r, const char *site)
{
	size_t i;

	for (i = 0; i < r->nsites; i++)
		if (strcmp(r->sites[i].site, site) == 0)
			return &r->sites[i];
	return NULL;
}

/* Takes note of the sites a verified roster version lists. */
static int note_roster(struct vrun *r, const tsm_roster_head *h)
{
	const tsm_roster *ro = h->roster;
	const struct vsite *known;
	struct vsite *grown, *v;
	size_t i, j;
	int err;

	r->rep->roster_versions++;
	for (i = 0; i < ro->nmembers; i++) {
		const tsm_roster_member *m = &ro->members[i];

		for (j = 0; j < m->nsites; j++) {
			const tsm_roster_site *s = &m->sites[j];

			known = vsite_of(r, s->site);
			if (known) {
				if (strcmp(known->member, m->member) != 0 ||
				    sodium_memcmp(known->pk, s->sign_pk,
						  TSM_PK_LEN) != 0) {
					err = fail(r, "", TSM_REF_ROSTER,
						   h->commit,
						   "version %" PRIu64
						   " changes the key or "
						   "member of site %s",
						   ro->version, s->site);
					if (err < 0)
						return err;
				}
				continue;
			}
			if (r->nsites == r->scap) {
				r->scap = r->scap ? 2 * r->scap : 16;
				grown = realloc(r->sites,
						r->scap * sizeof(*r->sites));
				if (grown == NULL)
					return tsm_error_set(TSM_ENOMEM,
							     "out of memory");
				r->sites = grown;
			}
			v = &r->sites[r->nsites++];
			memset(v, 0, sizeof(*v));
			snprintf(v->site, sizeof(v->site), "%s", s->site);
			snprintf(v->member, sizeof(v->member), "%s", m->member);
			memcpy(v->pk, s->sign_pk, TSM_PK_LEN);
			v->version = ro->version;
		}
	}
	return 0;
}

/* The reason of a roster error without its "roster: commit <id>: ". */
static const char *roster_reason(const char *msg)
{
	const char *p;

	if (strncmp(msg, "roster: commit ", 15) == 0 &&
	    (p = strstr(msg + 15, ": ")) != NULL)
		return p + 2;
	return msg;
}

/* Verifies the roster versions from head's commit up to tip. Returns 1
 * when a failure was reported (head stays at the last good version). */
static int walk_roster(struct vrun *r, tsm_roster_head *head, const char *tip)
{
	char **ids = NULL;
	size_t n = 0, i;
	int err;

	err = tsm_mirror_chain(&ids, &n, r->m, tip,
			       head->commit[0] ? head->commit : NULL, 0);
	if (err < 0) {
		err = fail(r, "", TSM_REF_ROSTER, tip, "%s",
			   tsm_error_last()->message);
		return err < 0 ? err : 1;
	}
	for (i = 0; i < n; i++) {
		err = tsm_roster_verify_next(head, r->m, ids[i], r->s.team,
					     r->s.root);
		if (err == TSM_ECORRUPT) {
			err = fail(r, "", TSM_REF_ROSTER, ids[i], "%s",
				   roster_reason(tsm_error_last()->message));
			if (err == 0)
				err = 1;
			break;
		}
		if (err < 0 || (err = note_roster(r, head)) < 0)
			break;
	}
	tsm_mirror_chain_free(ids, n);
	return err;
}

/* The roster: from the pinned founder key to the version verified here
 * last, then on to the central tip. */
static int verify_roster(struct vrun *r)
{
	tsm_roster_head head;
	const char *trusted = r->s.roster.commit;
	const char *role = tsm_session_role(&r->s);
	char central[TSM_OID_HEX + 1];
	char **ids = NULL;
	size_t n = 0;
	int err;

	memset(&head, 0, sizeof(head));
	err = tsm_mirror_ref(central, r->m, FETCHED_TSM "roster");
	if (err == TSM_ENOTFOUND)
		central[0] = '\0';
	else if (err < 0)
		return err;
	if (trusted[0] && (err = walk_roster(r, &head, trusted)) != 0)
		goto done;
	if (central[0] == '\0' || strcmp(central, trusted) == 0)
		goto done;
	if (trusted[0]) {
		err = tsm_mirror_chain(&ids, &n, r->m, central, trusted, 0);
		tsm_mirror_chain_free(ids, n);
		if (err == TSM_ECONFLICT) {
			/* central behind: only a manager's unpushed version */
			err = tsm_mirror_chain(&ids, &n, r->m, trusted, central,
					       0);
			tsm_mirror_chain_free(ids, n);
			if (err == 0 && role && strcmp(role, "manager") == 0)
				goto done;
			err = fail(r, "", TSM_REF_ROSTER, central,
				   "history rewritten since last seen (the "
				   "version verified here, %.12s, is not on "
				   "it)",
				   trusted);
			goto done;
		}
		if (err < 0)
			goto done;
	}
	err = walk_roster(r, &head, central);
done:
	tsm_roster_head_dispose(&head);
	return err < 0 ? err : 0;
}

/* One site to verify: its central ref (fetched) and what was last seen. */
struct vref {
	char site[TSM_SITE_LEN + 1];
	char ref[96];
	char central[TSM_OID_HEX + 1];
	char last[TSM_OID_HEX + 1]; /* the cursor, "" when none */
	int own;
};

struct vrefs {
	struct vref *v;
	size_t n, cap;
};

static struct vref *vref_get(struct vrefs *l, const char *site)
{
	struct vref *grown, *v;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].site, site) == 0)
			return &l->v[i];
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		grown = realloc(l->v, l->cap * sizeof(*l->v));
		if (grown == NULL)
			return NULL;
		l->v = grown;
	}
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->site, sizeof(v->site), "%s", site);
	snprintf(v->ref, sizeof(v->ref), "%s%s", TSM_REF_SITES, site);
	return v;
}

struct collect {
	struct vrun *r;
	struct vrefs *l;
};

static int collect_ref(const char *ref, const char *id, void *p)
{
	struct collect *cl = p;
	const char *site = ref + strlen(FETCHED_TSM "sites/");
	struct vref *v;
	char shown[128];

	if (!tsm_site_id_valid(site)) {
		snprintf(shown, sizeof(shown), "refs/%s",
			 ref + strlen(TSM_REF_FETCHED));
		return fail(cl->r, "", shown, id, "not a site ref");
	}
	if ((v = vref_get(cl->l, site)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(v->central, sizeof(v->central), "%s", id);
	return 0;
}

struct opcheck {
	const char *site, *member;
	uint64_t next;
	char reason[160];
};

static int check_op(const char *site, uint64_t seq, const char *author, void *p)
{
	struct opcheck *oc = p;

	if (strcmp(site, oc->site) != 0)
		snprintf(oc->reason, sizeof(oc->reason),
			 "op of site %s inside the batch", site);
	else if (strcmp(author, oc->member) != 0)
		snprintf(oc->reason, sizeof(oc->reason),
			 "op by %s in a batch signed for %s's site", author,
			 oc->member);
	else if (seq != oc->next)
		snprintf(oc->reason, sizeof(oc->reason),
			 "op seq %" PRIu64 " where %" PRIu64 " was due", seq,
			 oc->next);
	else {
		oc->next++;
		return 0;
	}
	return 1;
}

/* Verifies one batch commit id of v's site after parent (seq so far);
 * *last gets its seq_last. A failure is reported in r (the caller sees
 * the count grow); only errors that stop verification are returned. */
static int verify_batch(struct vrun *r, const struct vref *v,
			const struct vsite *vs, const char *id,
			const char *parent, int64_t seq, int64_t *last)
{
	tsm_batch_expect exp;
	tsm_batch_header h;
	tsm_git_commit *c = NULL;
	struct opcheck oc;
	unsigned char *plain = NULL;
	size_t len = 0;
	int64_t max = 0;
	int err;

	if ((err = tsm_mirror_read(&c, r->m, id, COMMIT_MAX_BYTES)) < 0) {
		err = fail(r, v->site, v->ref, id, "%s",
			   tsm_error_last()->message);
		goto done;
	}
	exp.team = r->s.team;
	exp.site = v->site;
	exp.signer = vs->pk;
	exp.parent = parent;
	exp.seq_first = (uint64_t)seq + 1;
	if ((err = tsm_batch_open(&plain, &len, &h, c, &exp, r->s.team_key)) <
	    0) {
		if (err != TSM_ECORRUPT)
			goto done;
		err = fail(r, v->site, v->ref, id, "%s",
			   tsm_error_last()->message);
		goto done;
	}
	oc.site = v->site;
	oc.member = vs->member;
	oc.next = h.seq_first;
	oc.reason[0] = '\0';
	err = tsm_codec_ops_each(plain, len, check_op, &oc);
	if (err < 0)
		snprintf(oc.reason, sizeof(oc.reason), "%s",
			 tsm_error_last()->message);
	else if (oc.reason[0] == '\0' && oc.next != h.seq_last + 1)
		snprintf(oc.reason, sizeof(oc.reason),
			 "the batch holds %" PRIu64 " ops for seqs %" PRIu64
			 "-%" PRIu64,
			 oc.next - h.seq_first, h.seq_first, h.seq_last);
	if (oc.reason[0]) {
		err = fail(r, v->site, v->ref, id, "%s", oc.reason);
		goto done;
	}
	r->rep->batches++;
	r->rep->ops += (size_t)(h.seq_last - h.seq_first + 1);
	*last = (int64_t)h.seq_last;
	/* what this replica holds of the batch must be the signed ops */
	if ((err = tsm_ops_max_seq(&max, r->s.store, v->site)) < 0)
		goto done;
	if (max >= (int64_t)h.seq_last) {
		r->rep->compared++;
		err = tsm_audit_ops_match(
		    r->s.store, v->site, (int64_t)h.seq_first,
		    (int64_t)h.seq_last, (char *)plain, len);
		if (err == TSM_ECORRUPT) {
			err = fail(r, v->site, v->ref, id, "%s",
				   tsm_error_last()->message);
			goto done;
		}
		if (err < 0)
			goto done;
	}
	if (r->opts && r->opts->progress)
		r->opts->progress(r->rep->batches, r->opts->payload);
done:
	free(plain);
	tsm_git_commit_free(c);
	return err < 0 ? err : 0;
}

/* Verifies the chain ending at tip from its root; commits verified before
 * (r->seen) are not verified again. *ids gets the chain (oldest first).
 * Returns 1 when a failure was reported. */
static int walk_site(struct vrun *r, const struct vref *v,
		     const struct vsite *vs, const char *tip, char ***ids,
		     size_t *n)
{
	char parent[TSM_OID_HEX + 1] = "";
	struct seen_slot *known;
	int64_t seq = 0, last = 0;
	size_t before, i;
	int err;

	err = tsm_mirror_chain(ids, n, r->m, tip, NULL, 0);
	if (err < 0) {
		err = fail(r, v->site, v->ref, tip, "%s",
			   tsm_error_last()->message);
		return err < 0 ? err : 1;
	}
	for (i = 0; i < *n; i++) {
		if ((known = seen_find(&r->seen, (*ids)[i])) != NULL) {
			seq = known->seq;
			snprintf(parent, sizeof(parent), "%s", (*ids)[i]);
			continue;
		}
		before = r->rep->nfailures;
		if ((err = verify_batch(r, v, vs, (*ids)[i], parent, seq,
					&last)) < 0)
			return err;
		if (r->rep->nfailures > before)
			return 1;
		if ((err = seen_put(&r->seen, (*ids)[i], last)) < 0)
			return err;
		seq = last;
		snprintf(parent, sizeof(parent), "%s", (*ids)[i]);
	}
	return 0;
}

static int in_chain(char **ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

static int verify_site(struct vrun *r, struct vref *v)
{
	const struct vsite *vs = vsite_of(r, v->site);
	char **last_ids = NULL, **ids = NULL;
	size_t nlast = 0, n = 0;
	int err = 0, bad;

	r->rep->sites++;
	seen_clear(&r->seen);
	if (vs == NULL) {
		err = fail(r, v->site, v->ref,
			   v->central[0] ? v->central : v->last,
			   "site not in the roster");
		return err;
	}
	if (v->last[0] &&
	    (err = walk_site(r, v, vs, v->last, &last_ids, &nlast)) < 0)
		goto done;
	if (v->central[0] == '\0') {
		if (v->last[0] && !v->own)
			err = fail(r, v->site, v->ref, v->last,
				   "ref deleted from the central repository "
				   "since last seen");
		goto done;
	}
	if (strcmp(v->central, v->last) == 0)
		goto done;
	if ((bad = walk_site(r, v, vs, v->central, &ids, &n)) < 0) {
		err = bad;
		goto done;
	}
	if (v->last[0] && !in_chain(ids, n, v->last)) {
		if (v->own && in_chain(last_ids, nlast, v->central))
			goto done; /* ours, not pushed yet */
		err = fail(r, v->site, v->ref, v->central,
			   v->own ? "the central copy of this replica's own "
				    "ref holds commits it never wrote "
				    "(forged or rewritten; last written "
				    "here: %.12s)"
				  : "history rewritten since last seen (the "
				    "commit applied here, %.12s, is not on it)",
			   v->last);
	}
done:
	tsm_mirror_chain_free(last_ids, nlast);
	tsm_mirror_chain_free(ids, n);
	return err < 0 ? err : 0;
}

static int verify_sites(struct vrun *r)
{
	struct vrefs l = {NULL, 0, 0};
	struct collect cl = {r, &l};
	struct cursor *cu = NULL;
	struct vref *v;
	size_t n = 0, i;
	int err;

	if ((err = tsm_mirror_each_ref(r->m, FETCHED_TSM "sites/", collect_ref,
				       &cl)) < 0)
		goto done;
	if ((err = read_cursors(&cu, &n, r->s.store)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (!tsm_site_id_valid(cu[i].site) || !cu[i].commit[0])
			continue;
		if ((v = vref_get(&l, cu[i].site)) == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(v->last, sizeof(v->last), "%s", cu[i].commit);
	}
	for (i = 0; i < l.n; i++) {
		l.v[i].own = strcmp(l.v[i].site, r->s.me.site) == 0;
		if ((err = verify_site(r, &l.v[i])) < 0)
			goto done;
	}
done:
	seen_clear(&r->seen);
	free(cu);
	free(l.v);
	return err;
}

/* ---- a temporary mirror of the central repository ---- */

static int rm_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *d;
	struct stat sb;
	DIR *dir;
	int err = 0;

	if (lstat(path, &sb) != 0)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path) == 0 ? 0 : -1;
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
		if (rm_tree(sub) < 0)
			err = -1;
	}
	closedir(dir);
	if (rmdir(path) != 0)
		err = -1;
	return err;
}

struct seed {
	tsm_mirror *to;
	size_t n;
};

/* Points refs/audit-seed/<n> of the temporary mirror at each local ref, so
 * that the fetch only downloads what the local mirror lacks. */
static int seed_ref(const char *ref, const char *id, void *p)
{
	struct seed *sd = p;
	char name[64];

	snprintf(name, sizeof(name), "refs/audit-seed/%zu", sd->n++);
	/* a seed is only a hint for the fetch: one that fails costs
	 * transfer, not correctness */
	if (tsm_mirror_set_ref(sd->to, name, id, NULL) < 0)
		tsm_error_clear();
	return 0;
}

/* Opens a new mirror in dir (a fresh temporary directory) that borrows the
 * local mirror's objects and fetches the central repository into it. */
static int open_remote(tsm_mirror **out, struct vrun *r, const char *dir)
{
	char path[PATH_MAX + 16], local[PATH_MAX], alt[PATH_MAX + 64];
	struct seed sd = {NULL, 0};
	tsm_mirror *lm = NULL, *t = NULL;
	FILE *f;
	int err;

	*out = NULL;
	if (r->s.remote[0] == '\0')
		return tsm_error_set(TSM_ENOTFOUND,
				     "no central repository configured");
	if ((size_t)snprintf(path, sizeof(path), "%s/git", dir) >= sizeof(path))
		return tsm_error_set(TSM_EINVALID, "path too long");
	mirror_path(local, sizeof(local), r->s.store);
	if ((err = tsm_mirror_open(&t, path, r->s.remote)) < 0)
		return err;
	tsm_mirror_free(t);
	t = NULL;
	snprintf(alt, sizeof(alt), "%s/objects/info/alternates", path);
	if ((f = fopen(alt, "w")) == NULL)
		return tsm_error_set(TSM_EIO, "cannot write '%s': %s", alt,
				     strerror(errno));
	fprintf(f, "%s/objects\n", local);
	if (fclose(f) != 0)
		return tsm_error_set(TSM_EIO, "cannot write '%s'", alt);
	if ((err = tsm_mirror_open(&t, path, r->s.remote)) < 0)
		return err;
	if ((err = tsm_mirror_open(&lm, local, NULL)) < 0)
		goto done;
	sd.to = t;
	if ((err = tsm_mirror_each_ref(lm, "refs/", seed_ref, &sd)) < 0)
		goto done;
	err = tsm_mirror_fetch(t);
done:
	tsm_mirror_free(lm);
	if (err < 0) {
		tsm_mirror_free(t);
		return err;
	}
	*out = t;
	return 0;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tsm_audit_verify(tsm_audit_report *out, tsm_store *store,
		     const tsm_audit_verify_options *opts)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct vrun r;
	struct stat sb;
	double t0;
	int err, have_tmp = 0;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.rep = out;
	r.opts = opts;
	if ((err = tsm_session_open(&r.s, store, TSM_SESSION_TEAM, NULL)) < 0)
		return err;
	if (r.s.team_key == NULL) {
		err = tsm_error_set(TSM_ENOTFOUND,
				    "this replica is not admitted to the team "
				    "yet: nothing to verify");
		goto done;
	}
	mirror_path(path, sizeof(path), store);
	if (opts && opts->remote) {
		snprintf(tmp, sizeof(tmp), "%s/audit-remote.XXXXXX",
			 tsm_store_dir(store));
		if (mkdtemp(tmp) == NULL) {
			err = tsm_error_set(TSM_EIO, "cannot create '%s': %s",
					    tmp, strerror(errno));
			goto done;
		}
		have_tmp = 1;
		if (stat(path, &sb) != 0 &&
		    (err = tsm_mirror_open(&r.m, path, NULL)) < 0)
			goto done;
		tsm_mirror_free(r.m);
		r.m = NULL;
		if ((err = open_remote(&r.m, &r, tmp)) < 0)
			goto done;
	} else {
		if (stat(path, &sb) != 0) {
			err = tsm_error_set(TSM_ENOTFOUND,
					    "no sync mirror in '%s': run 'tsm "
					    "sync' first",
					    tsm_store_dir(store));
			goto done;
		}
		if ((err = tsm_mirror_open(&r.m, path, NULL)) < 0)
			goto done;
	}
	t0 = mono();
	if ((err = verify_roster(&r)) < 0)
		goto done;
	if ((err = verify_sites(&r)) < 0)
		goto done;
	out->seconds = mono() - t0;
	if (out->nfailures)
		err = tsm_error_set(
		    TSM_ECORRUPT, "verification found %zu failure%s",
		    out->nfailures, out->nfailures == 1 ? "" : "s");
done:
	tsm_mirror_free(r.m);
	if (have_tmp)
		rm_tree(tmp);
	free(r.sites);
	seen_clear(&r.seen);
	tsm_session_close(&r.s);
	return err;
}

void tsm_audit_report_dispose(tsm_audit_report *r)
{
	free(r->failures);
	memset(r, 0, sizeof(*r));
}
