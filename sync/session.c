/* sync/session.c — opening and closing the state a sync-side operation
 * needs: identity, team settings, keys, the mirror and its lock, the
 * verified roster. */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "error.h"
#include "identity_internal.h"
#include "state.h"

static int lock_store(tsm_session *s)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/sync.lock", tsm_store_dir(s->store));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return tsm_error_set(TSM_EIO, "cannot open '%s': %s", path,
				     strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return tsm_error_set(TSM_EBUSY,
				     "another sync is running on this store");
	}
	s->lock_fd = fd;
	return 0;
}

static int load_roster(tsm_session *s)
{
	char commit[TSM_OID_HEX + 1];
	char *doc = NULL;
	size_t len = 0, cap = 1u << 20;
	int err;

	err = tsm_state_get_text(commit, sizeof(commit), s->store,
				 TSM_K_ROSTER);
	if (err == TSM_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	for (;;) {
		doc = malloc(cap);
		if (doc == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		err = tsm_state_get(doc, cap, &len, s->store,
				    TSM_K_ROSTER_DOC);
		if (err != TSM_ECORRUPT || cap >= (64u << 20))
			break;
		free(doc);
		cap *= 4;
	}
	if (err == 0)
		err = tsm_roster_head_load(&s->roster, commit, doc, len);
	free(doc);
	return err;
}

int tsm_session_open(tsm_session *s, tsm_store *store, int flags,
		     const char *url)
{
	char path[PATH_MAX];
	size_t len = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->store = store;
	s->lock_fd = -1;
	err = tsm_identity_get(&s->me, store);
	if (err == TSM_ENOTFOUND)
		err = tsm_error_set(TSM_ENOTFOUND, "this store has no identity; "
						   "run 'tsm init' first");
	if (err < 0)
		goto fail;
	err = tsm_state_get_text(s->team, sizeof(s->team), store, TSM_K_TEAM);
	if (err == TSM_ENOTFOUND) {
		s->team[0] = '\0';
		if (flags & TSM_SESSION_TEAM) {
			err = tsm_error_set(TSM_ENOTFOUND,
					    "this store has no team; run 'tsm "
					    "team create' or 'tsm join'");
			goto fail;
		}
	} else if (err < 0) {
		goto fail;
	} else if (flags & TSM_SESSION_NOTEAM) {
		err = tsm_error_set(TSM_EEXISTS,
				    "this store belongs to team %s already",
				    s->team);
		goto fail;
	}
	if (s->team[0]) {
		if ((err = tsm_state_get_text(s->remote, sizeof(s->remote),
					      store, TSM_K_REMOTE)) < 0)
			goto fail;
		if ((err = tsm_state_get(s->root, sizeof(s->root), &len, store,
					 TSM_K_ROOT)) < 0)
			goto fail;
		if (len != sizeof(s->root)) {
			err = tsm_error_set(TSM_ECORRUPT, "bad root key");
			goto fail;
		}
		err = tsm_state_team_key(&s->team_key, store);
		if (err < 0 && err != TSM_ENOTFOUND)
			goto fail;
		if ((err = load_roster(s)) < 0)
			goto fail;
	}
	if (url)
		snprintf(s->remote, sizeof(s->remote), "%s", url);
	if ((flags & TSM_SESSION_KEYS) &&
	    (err = tsm_identity_sign_sk(&s->sign_sk, store)) < 0)
		goto fail;
	if (flags & TSM_SESSION_MIRROR) {
		if ((err = lock_store(s)) < 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/%s", tsm_store_dir(store),
			 TSM_MIRROR_DIR);
		if ((err = tsm_mirror_open(&s->mirror, path,
					   s->remote[0] ? s->remote : NULL)) <
		    0)
			goto fail;
	}
	return 0;
fail:
	tsm_session_close(s);
	return err;
}

void tsm_session_close(tsm_session *s)
{
	tsm_identity_secret_free(s->team_key);
	tsm_identity_secret_free(s->sign_sk);
	tsm_identity_secret_free(s->box_sk);
	s->team_key = s->sign_sk = s->box_sk = NULL;
	tsm_mirror_free(s->mirror);
	s->mirror = NULL;
	tsm_roster_head_dispose(&s->roster);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

int tsm_session_box_sk(tsm_session *s)
{
	if (s->box_sk)
		return 0;
	return tsm_identity_box_sk(&s->box_sk, s->store);
}

int tsm_session_save_roster(tsm_session *s)
{
	int err;

	if ((err = tsm_state_put_text(s->store, TSM_K_ROSTER,
				      s->roster.commit)) < 0)
		return err;
	return tsm_state_put(s->store, TSM_K_ROSTER_DOC, s->roster.doc,
			     s->roster.len);
}

int tsm_session_reload_roster(tsm_session *s)
{
	tsm_roster_head_dispose(&s->roster);
	return load_roster(s);
}

const char *tsm_session_role(const tsm_session *s)
{
	const tsm_roster_member *m;

	if (s->roster.roster == NULL)
		return NULL;
	m = tsm_roster_member_of(s->roster.roster, s->me.member);
	if (m == NULL || !tsm_session_admitted(s))
		return NULL;
	return m->role;
}

int tsm_session_admitted(const tsm_session *s)
{
	const tsm_roster_member *m = NULL;

	return s->roster.roster &&
	       tsm_roster_site_of(s->roster.roster, s->me.site, &m) &&
	       strcmp(m->member, s->me.member) == 0;
}
