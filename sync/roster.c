/* sync/roster.c — building, signing and verifying the roster chain. */
#include "roster.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "error.h"

tsm_roster_member *tsm_roster_member_of(const tsm_roster *r,
					const char *member)
{
	size_t i;

	for (i = 0; i < r->nmembers; i++)
		if (strcmp(r->members[i].member, member) == 0)
			return &r->members[i];
	return NULL;
}

const tsm_roster_site *tsm_roster_site_of(const tsm_roster *r,
					  const char *site,
					  const tsm_roster_member **member)
{
	size_t i, j;

	for (i = 0; i < r->nmembers; i++) {
		for (j = 0; j < r->members[i].nsites; j++) {
			if (strcmp(r->members[i].sites[j].site, site) != 0)
				continue;
			if (member)
				*member = &r->members[i];
			return &r->members[i].sites[j];
		}
	}
	return NULL;
}

int tsm_roster_is_manager_key(const tsm_roster *r, const unsigned char *pk)
{
	size_t i, j;

	for (i = 0; i < r->nmembers; i++) {
		if (strcmp(r->members[i].role, "manager") != 0)
			continue;
		for (j = 0; j < r->members[i].nsites; j++)
			if (sodium_memcmp(r->members[i].sites[j].sign_pk, pk,
					  TSM_PK_LEN) == 0)
				return 1;
	}
	return 0;
}

int tsm_roster_new(tsm_roster **out, const char *team)
{
	tsm_roster *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (!tsm_team_id_valid(team)) {
		free(r);
		return tsm_error_set(TSM_EINVALID, "bad team id '%s'", team);
	}
	snprintf(r->team, sizeof(r->team), "%s", team);
	r->version = 1;
	*out = r;
	return 0;
}

int tsm_roster_add_site(tsm_roster *r, const char *member, const char *role,
			const char *site, const unsigned char *sign_pk,
			const unsigned char *box_pk,
			const unsigned char *team_key)
{
	tsm_roster_member *m, *grown;
	tsm_roster_site *s, *gs;

	if (tsm_roster_site_of(r, site, NULL))
		return tsm_error_set(TSM_EEXISTS, "site %s is in the roster",
				     site);
	m = tsm_roster_member_of(r, member);
	if (m == NULL) {
		grown = realloc(r->members,
				(r->nmembers + 1) * sizeof(*r->members));
		if (grown == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->members = grown;
		m = &r->members[r->nmembers++];
		memset(m, 0, sizeof(*m));
		snprintf(m->member, sizeof(m->member), "%s", member);
		snprintf(m->role, sizeof(m->role), "%s", role);
	}
	gs = realloc(m->sites, (m->nsites + 1) * sizeof(*m->sites));
	if (gs == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	m->sites = gs;
	s = &m->sites[m->nsites];
	memset(s, 0, sizeof(*s));
	snprintf(s->site, sizeof(s->site), "%s", site);
	memcpy(s->sign_pk, sign_pk, TSM_PK_LEN);
	memcpy(s->box_pk, box_pk, TSM_PK_LEN);
	if (crypto_box_seal(s->sealed, team_key, 32, box_pk) != 0)
		return tsm_error_set(TSM_EINVALID, "bad box key for site %s",
				     site);
	m->nsites++;
	return 0;
}

int tsm_roster_check(const tsm_roster *r)
{
	size_t i, j, k, l;
	int managers = 0;

	for (i = 0; i < r->nmembers; i++) {
		if (strcmp(r->members[i].role, "manager") == 0 &&
		    r->members[i].nsites > 0)
			managers++;
		for (k = i + 1; k < r->nmembers; k++)
			if (strcmp(r->members[i].member,
				   r->members[k].member) == 0)
				return tsm_error_set(TSM_ECORRUPT,
						     "member %s listed twice",
						     r->members[i].member);
		for (j = 0; j < r->members[i].nsites; j++) {
			const char *site = r->members[i].sites[j].site;

			for (k = i; k < r->nmembers; k++)
				for (l = k == i ? j + 1 : 0;
				     l < r->members[k].nsites; l++)
					if (strcmp(site,
						   r->members[k].sites[l].site) ==
					    0)
						return tsm_error_set(
							TSM_ECORRUPT,
							"site %s listed twice",
							site);
		}
	}
	if (managers == 0)
		return tsm_error_set(TSM_ECORRUPT, "no manager in the roster");
	return 0;
}

int tsm_roster_commit(char *out, tsm_mirror *m, const char *doc, size_t len,
		      const char *parent, const unsigned char *sign_pk,
		      const unsigned char *sign_sk)
{
	unsigned char sig[TSM_SIG_LEN];
	tsm_git_entry e = {TSM_ROSTER_BLOB, (const unsigned char *)doc, len};
	tsm_signed what = {"tsm-roster", e.data, len, NULL, 0, parent};
	char *message = NULL;
	int err;

	if ((err = tsm_signed_sign(sig, &what, sign_sk)) < 0)
		return err;
	if ((err = tsm_signed_message(&message, "tsm roster", sign_pk, sig)) <
	    0)
		return err;
	err = tsm_mirror_commit(out, m, parent, &e, 1, message, "tsm");
	free(message);
	return err;
}

void tsm_roster_head_dispose(tsm_roster_head *h)
{
	tsm_roster_free(h->roster);
	free(h->doc);
	memset(h, 0, sizeof(*h));
}

int tsm_roster_head_load(tsm_roster_head *head, const char *commit,
			 const char *doc, size_t len)
{
	tsm_roster *r = NULL;
	char *copy;
	int err;

	memset(head, 0, sizeof(*head));
	if ((err = tsm_codec_roster_read(&r, (const unsigned char *)doc,
					 len)) < 0)
		return err;
	copy = malloc(len + 1);
	if (copy == NULL) {
		tsm_roster_free(r);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	memcpy(copy, doc, len);
	copy[len] = '\0';
	snprintf(head->commit, sizeof(head->commit), "%s", commit);
	head->roster = r;
	head->doc = copy;
	head->len = len;
	return 0;
}

static int bad(const char *id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bad(const char *id, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tsm_error_set(TSM_ECORRUPT, "roster: commit %.12s: %s", id,
			     buf);
}

int tsm_roster_verify_next(tsm_roster_head *head, tsm_mirror *m,
			   const char *id, const char *team,
			   const unsigned char *root)
{
	unsigned char pk[TSM_PK_LEN], sig[TSM_SIG_LEN], prev[32];
	const struct tsm_git_blob *b;
	tsm_git_commit *c = NULL;
	tsm_roster *r = NULL;
	tsm_signed what;
	char *doc = NULL;
	int err;

	if ((err = tsm_mirror_read(&c, m, id, 16u << 20)) < 0)
		return bad(id, "%s", tsm_error_last()->message);
	if (c->nparents > 1) {
		err = bad(id, "a merge commit");
		goto done;
	}
	if (head->commit[0] ? (c->nparents != 1 ||
			       strcmp(c->parent, head->commit) != 0)
			    : c->nparents != 0) {
		err = bad(id, "wrong parent");
		goto done;
	}
	b = tsm_git_commit_entry(c, TSM_ROSTER_BLOB);
	if (c->nentries != 1 || b == NULL || b->data == NULL) {
		err = bad(id, "unexpected tree entries");
		goto done;
	}
	if (tsm_codec_roster_read(&r, b->data, b->len) < 0) {
		err = bad(id, "%s", tsm_error_last()->message);
		goto done;
	}
	if (strcmp(r->team, team) != 0) {
		err = bad(id, "roster of another team (%s)", r->team);
		goto done;
	}
	if (r->version != (head->roster ? head->roster->version + 1 : 1)) {
		err = bad(id, "version %llu out of sequence",
			  (unsigned long long)r->version);
		goto done;
	}
	memset(prev, 0, sizeof(prev));
	if (head->roster)
		crypto_generichash(prev, sizeof(prev),
				   (const unsigned char *)head->doc, head->len,
				   NULL, 0);
	if (sodium_memcmp(prev, r->prev, sizeof(prev)) != 0) {
		err = bad(id, "wrong previous roster hash");
		goto done;
	}
	if (tsm_signed_parse(pk, sig, c->message) < 0) {
		err = bad(id, "not signed");
		goto done;
	}
	what.domain = "tsm-roster";
	what.doc = b->data;
	what.doc_len = b->len;
	what.blobs = NULL;
	what.nblobs = 0;
	what.parent = head->commit;
	if (tsm_signed_verify(sig, &what, pk) < 0) {
		err = bad(id, "bad signature");
		goto done;
	}
	if (head->roster == NULL) {
		if (sodium_memcmp(pk, root, TSM_PK_LEN) != 0) {
			err = bad(id, "first version not signed by the "
				      "team's founder");
			goto done;
		}
		if (!tsm_roster_is_manager_key(r, root)) {
			err = bad(id, "the founder is not a manager in it");
			goto done;
		}
	} else if (!tsm_roster_is_manager_key(head->roster, pk)) {
		err = bad(id, "signed by a key that is not a manager's");
		goto done;
	}
	if (tsm_roster_check(r) < 0) {
		err = bad(id, "%s", tsm_error_last()->message);
		goto done;
	}
	doc = malloc(b->len + 1);
	if (doc == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(doc, b->data, b->len);
	doc[b->len] = '\0';
	tsm_roster_free(head->roster);
	free(head->doc);
	head->roster = r;
	head->doc = doc;
	head->len = b->len;
	snprintf(head->commit, sizeof(head->commit), "%s", id);
	r = NULL;
	err = 0;
done:
	tsm_roster_free(r);
	tsm_git_commit_free(c);
	return err;
}

int tsm_roster_verify_chain(tsm_roster_head *head, tsm_mirror *m,
			    const char *tip, const char *team,
			    const unsigned char *root)
{
	char **ids = NULL;
	size_t n = 0, i;
	int err;

	err = tsm_mirror_chain(&ids, &n, m, tip, head->commit, 100000);
	if (err == TSM_ECONFLICT)
		return tsm_error_set(TSM_ECONFLICT,
				     "roster: commit %.12s: history rewritten "
				     "(does not descend from %.12s)",
				     tip, head->commit);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++)
		if ((err = tsm_roster_verify_next(head, m, ids[i], team,
						  root)) < 0)
			break;
	tsm_mirror_chain_free(ids, n);
	return err;
}
