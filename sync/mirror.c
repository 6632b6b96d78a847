/* sync/mirror.c — the local bare git mirror and the git operations of sync
 * (write a commit, move refs, push with per-ref confirmation, fetch, walk a
 * chain) over libgit2. libgit2 errors become tsm errors here and only here. */
#include "mirror.h"

#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"

struct tsm_mirror {
	git_repository *repo;
	char *url;
	tsm_mirror_progress_fn progress;
	void *payload;
	int cred_step; /* the next credential method to try */
};

/* Debian's libgit2 1.5 leaks PCRE2 match data whenever it reads a config;
 * LeakSanitizer is told to ignore leaks from inside that library only. The
 * hook is read only by sanitizer builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_rc;

static void git_start(void)
{
	git_init_rc = git_libgit2_init();
	if (git_init_rc >= 0) /* objects and refs survive a crash */
		git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
}

/* Translates the libgit2 failure rc of step what into a tsm error. */
static int git_fail(int rc, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = "unknown libgit2 error";
	char buf[384];
	size_t len;
	int code;

	if (e && e->message && *e->message)
		msg = e->message;
	snprintf(buf, sizeof(buf), "%s", msg);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '.'))
		buf[--len] = '\0';
	switch (rc) {
	case GIT_ENOTFOUND:
		code = TSM_ENOTFOUND;
		break;
	case GIT_EEXISTS:
		code = TSM_EEXISTS;
		break;
	case GIT_ENONFASTFORWARD:
	case GIT_EMODIFIED:
		code = TSM_ECONFLICT;
		break;
	case GIT_EAUTH:
	case GIT_ECERTIFICATE:
		/* the remote refused us: not a wrong store passphrase */
		code = TSM_EPERM;
		break;
	case GIT_ELOCKED:
		code = TSM_EBUSY;
		break;
	case GIT_EINVALIDSPEC:
	case GIT_EINVALID:
		code = TSM_EINVALID;
		break;
	default:
		code = TSM_EIO;
		break;
	}
	return tsm_error_set(code, "%s: %s", what, buf);
}

static int parse_oid(git_oid *out, const char *hex)
{
	if (hex == NULL || strlen(hex) != TSM_OID_HEX ||
	    git_oid_fromstrn(out, hex, TSM_OID_HEX) < 0)
		return tsm_error_set(TSM_EINVALID, "bad commit id '%s'",
				     hex ? hex : "");
	return 0;
}

static void oid_hex(char *out, const git_oid *oid)
{
	git_oid_tostr(out, TSM_OID_HEX + 1, oid);
}

int tsm_mirror_open(tsm_mirror **out, const char *path, const char *url)
{
	tsm_mirror *m = NULL;
	git_remote *remote = NULL;
	struct stat st;
	int rc, err = 0;

	*out = NULL;
	pthread_once(&git_once, git_start);
	if (git_init_rc < 0)
		return git_fail(git_init_rc, "cannot initialise libgit2");
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (stat(path, &st) == 0)
		rc = git_repository_open_bare(&m->repo, path);
	else
		rc = git_repository_init(&m->repo, path, 1);
	if (rc < 0) {
		err = git_fail(rc, "cannot open sync mirror");
		goto done;
	}
	if (url && *url) {
		rc = git_remote_lookup(&remote, m->repo, TSM_REMOTE_NAME);
		if (rc == GIT_ENOTFOUND)
			rc = git_remote_create_with_fetchspec(
				&remote, m->repo, TSM_REMOTE_NAME, url,
				"+refs/tsm/*:" TSM_REF_FETCHED "tsm/*");
		else if (rc == 0 && strcmp(git_remote_url(remote), url) != 0)
			rc = git_remote_set_url(m->repo, TSM_REMOTE_NAME, url);
		if (rc < 0) {
			err = git_fail(rc, "cannot configure the remote");
			goto done;
		}
	} else {
		rc = git_remote_lookup(&remote, m->repo, TSM_REMOTE_NAME);
		if (rc < 0 && rc != GIT_ENOTFOUND) {
			err = git_fail(rc, "cannot read the remote");
			goto done;
		}
		url = remote ? git_remote_url(remote) : "";
	}
	m->url = strdup(url ? url : "");
	if (m->url == NULL)
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
done:
	git_remote_free(remote);
	if (err < 0) {
		tsm_mirror_free(m);
		return err;
	}
	*out = m;
	return 0;
}

void tsm_mirror_free(tsm_mirror *m)
{
	if (m == NULL)
		return;
	git_repository_free(m->repo);
	free(m->url);
	free(m);
}

const char *tsm_mirror_url(const tsm_mirror *m)
{
	return m->url;
}

void tsm_mirror_set_progress(tsm_mirror *m, tsm_mirror_progress_fn fn,
			     void *payload)
{
	m->progress = fn;
	m->payload = payload;
}

int tsm_mirror_commit(char *out, tsm_mirror *m, const char *parent,
		      const tsm_git_entry *entries, size_t n,
		      const char *message, const char *author)
{
	return tsm_mirror_commit_at(out, m, parent, entries, n, message,
				    author, (int64_t)time(NULL));
}

int tsm_mirror_commit_at(char *out, tsm_mirror *m, const char *parent,
			 const tsm_git_entry *entries, size_t n,
			 const char *message, const char *author, int64_t when)
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *pc = NULL;
	const git_commit *parents[1];
	git_oid oid, tree_oid, parent_oid;
	size_t i;
	int rc, err = 0;

	if (parent && *parent) {
		if ((err = parse_oid(&parent_oid, parent)) < 0)
			return err;
		rc = git_commit_lookup(&pc, m->repo, &parent_oid);
		if (rc < 0)
			return git_fail(rc, "cannot find the parent commit");
	}
	rc = git_treebuilder_new(&tb, m->repo, NULL);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = git_blob_create_from_buffer(&oid, m->repo, entries[i].data,
						 entries[i].len);
		if (rc == 0)
			rc = git_treebuilder_insert(NULL, tb, entries[i].name,
						    &oid, GIT_FILEMODE_BLOB);
	}
	if (rc == 0)
		rc = git_treebuilder_write(&tree_oid, tb);
	if (rc == 0)
		rc = git_tree_lookup(&tree, m->repo, &tree_oid);
	if (rc == 0)
		rc = git_signature_new(&sig, author, "tsm@invalid",
				       (git_time_t)when, 0);
	if (rc == 0) {
		parents[0] = pc;
		rc = git_commit_create(&oid, m->repo, NULL, sig, sig, NULL,
				       message, tree, pc ? 1 : 0, parents);
	}
	if (rc < 0) {
		err = git_fail(rc, "cannot write a commit");
		goto done;
	}
	oid_hex(out, &oid);
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_commit_free(pc);
	return err;
}

int tsm_mirror_ref(char *out, tsm_mirror *m, const char *ref)
{
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, m->repo, ref);

	if (rc == GIT_ENOTFOUND)
		return tsm_error_set(TSM_ENOTFOUND, "no ref '%s'", ref);
	if (rc < 0)
		return git_fail(rc, "cannot read a ref");
	oid_hex(out, &oid);
	return 0;
}

int tsm_mirror_set_ref(tsm_mirror *m, const char *ref, const char *id,
		       const char *expected)
{
	git_reference *r = NULL;
	git_oid oid, old;
	int rc, err;

	if ((err = parse_oid(&oid, id)) < 0)
		return err;
	if (expected == NULL) {
		rc = git_reference_create(&r, m->repo, ref, &oid, 1, NULL);
	} else if (*expected == '\0') {
		rc = git_reference_create(&r, m->repo, ref, &oid, 0, NULL);
	} else {
		if ((err = parse_oid(&old, expected)) < 0)
			return err;
		rc = git_reference_create_matching(&r, m->repo, ref, &oid, 1,
						   &old, NULL);
	}
	git_reference_free(r);
	if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED)
		return tsm_error_set(TSM_ECONFLICT,
				     "ref '%s' changed meanwhile", ref);
	if (rc < 0)
		return git_fail(rc, "cannot update a ref");
	return 0;
}

int tsm_mirror_has(tsm_mirror *m, const char *id)
{
	git_odb *odb = NULL;
	git_oid oid;
	int found = 0;

	if (id == NULL || strlen(id) != TSM_OID_HEX ||
	    git_oid_fromstrn(&oid, id, TSM_OID_HEX) < 0)
		return 0;
	if (git_repository_odb(&odb, m->repo) == 0)
		found = git_odb_exists(odb, &oid);
	git_odb_free(odb);
	return found;
}

/* ssh credentials, tried in turn: $TSM_SSH_KEY, the ssh agent, then the
 * usual key files in ~/.ssh. */
static int try_key_file(git_credential **out, const char *user,
			const char *key)
{
	char pub[1024];
	struct stat st;

	if (stat(key, &st) != 0)
		return 1;
	snprintf(pub, sizeof(pub), "%s.pub", key);
	return git_credential_ssh_key_new(out, user,
					  stat(pub, &st) == 0 ? pub : NULL,
					  key, NULL);
}

/* The payload of every libgit2 callback: the mirror, and during a push the
 * state of that push. */
struct cb_ctx {
	tsm_mirror *m;
	struct push_state *ps;
};

static int on_credentials(git_credential **out, const char *url,
			  const char *user_from_url, unsigned int allowed,
			  void *payload)
{
	static const char *const files[] = {"id_ed25519", "id_ecdsa",
					    "id_rsa"};
	tsm_mirror *m = ((struct cb_ctx *)payload)->m;
	const char *user = user_from_url && *user_from_url ? user_from_url
							   : getenv("USER");
	const char *home = getenv("HOME"), *env;
	char path[1024];
	int rc;

	if (user == NULL || *user == '\0')
		user = "git";
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	while (m->cred_step < 5) {
		int step = m->cred_step++;

		if (step == 0) {
			env = getenv("TSM_SSH_KEY");
			if (env == NULL || *env == '\0')
				continue;
			rc = try_key_file(out, user, env);
		} else if (step == 1) {
			env = getenv("SSH_AUTH_SOCK");
			if (env == NULL || *env == '\0')
				continue;
			rc = git_credential_ssh_key_from_agent(out, user);
		} else {
			if (home == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/.ssh/%s", home,
				 files[step - 2]);
			rc = try_key_file(out, user, path);
		}
		if (rc <= 0)
			return rc;
	}
	git_error_set_str(GIT_ERROR_SSH, "no ssh key was accepted (tried "
			  "$TSM_SSH_KEY, the ssh agent and ~/.ssh keys)");
	return GIT_EAUTH;
}

static int on_fetch_progress(const git_indexer_progress *p, void *payload)
{
	tsm_mirror *m = ((struct cb_ctx *)payload)->m;

	if (m->progress)
		m->progress("receiving", p->received_objects,
			    p->total_objects, m->payload);
	return 0;
}

static int on_push_progress(unsigned int cur, unsigned int total,
			    size_t bytes, void *payload)
{
	tsm_mirror *m = ((struct cb_ctx *)payload)->m;

	if (m->progress)
		m->progress("sending", cur, total, m->payload);
	return 0;
}

static void init_callbacks(git_remote_callbacks *cb, struct cb_ctx *ctx)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = on_credentials;
	cb->transfer_progress = on_fetch_progress;
	cb->push_transfer_progress = on_push_progress;
	cb->payload = ctx;
	ctx->m->cred_step = 0;
}

static int lookup_remote(git_remote **out, tsm_mirror *m)
{
	int rc;

	if (m->url[0] == '\0')
		return tsm_error_set(TSM_ENOTFOUND,
				     "no central remote configured");
	rc = git_remote_lookup(out, m->repo, TSM_REMOTE_NAME);
	if (rc < 0)
		return git_fail(rc, "cannot read the remote");
	return 0;
}

struct push_state {
	tsm_push_ref *refs;
	size_t n;
	int *rejected;
};

static int on_update_ref(const char *refname, const char *status,
			 void *data)
{
	struct push_state *ps = ((struct cb_ctx *)data)->ps;
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->refs[i].ref, refname) != 0)
			continue;
		if (status) {
			ps->rejected[i] = 1;
			snprintf(ps->refs[i].status,
				 sizeof(ps->refs[i].status),
				 "remote refused: %s", status);
		}
	}
	return 0;
}

static int confirm_ref(const char *ref, const char *id, void *p)
{
	struct push_state *ps = p;
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->refs[i].ref, ref) != 0 || ps->rejected[i])
			continue;
		if (strcmp(ps->refs[i].id, id) == 0) {
			ps->refs[i].ok = 1;
			ps->refs[i].status[0] = '\0';
		} else {
			snprintf(ps->refs[i].status,
				 sizeof(ps->refs[i].status),
				 "remote ref is at %.12s after the push", id);
		}
	}
	return 0;
}

int tsm_mirror_push(tsm_mirror *m, tsm_push_ref *refs, size_t n)
{
	git_push_options opts;
	struct push_state ps = {refs, n, NULL};
	struct cb_ctx ctx = {m, &ps};
	git_remote *remote = NULL;
	git_strarray specs = {NULL, 0};
	size_t i;
	int rc, err = 0;

	if (n == 0)
		return 0;
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	if ((err = lookup_remote(&remote, m)) < 0)
		return err;
	specs.strings = calloc(n, sizeof(char *));
	ps.rejected = calloc(n, sizeof(int));
	if (specs.strings == NULL || ps.rejected == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		size_t len = 2 * strlen(refs[i].ref) + 2;

		refs[i].ok = 0;
		snprintf(refs[i].status, sizeof(refs[i].status),
			 "remote ref missing after the push");
		specs.strings[i] = malloc(len);
		if (specs.strings[i] == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		specs.count++;
		snprintf(specs.strings[i], len, "%s:%s", refs[i].ref,
			 refs[i].ref);
	}
	init_callbacks(&opts.callbacks, &ctx);
	opts.callbacks.push_update_reference = on_update_ref;
	rc = git_remote_push(remote, &specs, &opts);
	if (rc < 0) {
		err = git_fail(rc, "cannot push to the central repository");
		for (i = 0; i < n; i++)
			if (!ps.rejected[i])
				snprintf(refs[i].status,
					 sizeof(refs[i].status), "%s",
					 tsm_error_last()->message);
		goto done;
	}
	/* A zero return does not mean every ref moved: read them back. */
	if ((err = tsm_mirror_ls_remote(m, confirm_ref, &ps)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (!refs[i].ok) {
			err = tsm_error_set(TSM_ECONFLICT,
					    "push of '%s' failed: %s",
					    refs[i].ref, refs[i].status);
			break;
		}
	}
done:
	for (i = 0; i < specs.count; i++)
		free(specs.strings[i]);
	free(specs.strings);
	free(ps.rejected);
	git_remote_free(remote);
	return err;
}

int tsm_mirror_fetch(tsm_mirror *m)
{
	git_fetch_options opts;
	char *spec = "+refs/tsm/*:" TSM_REF_FETCHED "tsm/*";
	git_strarray specs = {&spec, 1};
	struct cb_ctx ctx = {m, NULL};
	git_remote *remote = NULL;
	int rc, err;

	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	if ((err = lookup_remote(&remote, m)) < 0)
		return err;
	init_callbacks(&opts.callbacks, &ctx);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	rc = git_remote_fetch(remote, &specs, &opts, "tsm sync");
	if (rc < 0)
		err = git_fail(rc, "cannot fetch from the central repository");
	git_remote_free(remote);
	return err;
}

int tsm_mirror_ls_remote(tsm_mirror *m,
			 int (*fn)(const char *ref, const char *id, void *p),
			 void *payload)
{
	git_remote_callbacks cb;
	struct cb_ctx ctx = {m, NULL};
	const git_remote_head **heads = NULL;
	git_remote *remote = NULL;
	char hex[TSM_OID_HEX + 1];
	size_t i, n = 0;
	int rc, err;

	if ((err = lookup_remote(&remote, m)) < 0)
		return err;
	init_callbacks(&cb, &ctx);
	rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	if (rc == 0)
		rc = git_remote_ls(&heads, &n, remote);
	if (rc < 0) {
		err = git_fail(rc, "cannot list the central repository");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(heads[i]->name, "refs/tsm/", 9) != 0)
			continue;
		oid_hex(hex, &heads[i]->oid);
		if ((err = fn(heads[i]->name, hex, payload)) != 0)
			break;
	}
done:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tsm_mirror_each_ref(tsm_mirror *m, const char *prefix,
			int (*fn)(const char *ref, const char *id, void *p),
			void *payload)
{
	git_reference_iterator *it = NULL;
	char **names = NULL, **grown;
	size_t n = 0, cap = 0, i, plen = strlen(prefix);
	const char *name;
	char hex[TSM_OID_HEX + 1];
	int rc, err = 0;

	rc = git_reference_iterator_new(&it, m->repo);
	if (rc < 0)
		return git_fail(rc, "cannot list refs");
	while ((rc = git_reference_next_name(&name, it)) == 0) {
		if (strncmp(name, prefix, plen) != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL) {
				err = tsm_error_set(TSM_ENOMEM,
						    "out of memory");
				goto done;
			}
			names = grown;
		}
		names[n] = strdup(name);
		if (names[n] == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		n++;
	}
	if (rc != GIT_ITEROVER) {
		err = git_fail(rc, "cannot list refs");
		goto done;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if ((err = tsm_mirror_ref(hex, m, names[i])) < 0)
			goto done;
		if ((err = fn(names[i], hex, payload)) != 0)
			goto done;
	}
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	git_reference_iterator_free(it);
	return err;
}

void tsm_mirror_chain_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

int tsm_mirror_chain(char ***out, size_t *n, tsm_mirror *m, const char *tip,
		     const char *base, size_t max)
{
	char **ids = NULL, **grown, *tmp;
	size_t len = 0, cap = 0, i;
	git_commit *c = NULL;
	git_oid oid;
	int rc, err = 0;

	*out = NULL;
	*n = 0;
	if ((err = parse_oid(&oid, tip)) < 0)
		return err;
	if (base && *base == '\0')
		base = NULL;
	for (;;) {
		char hex[TSM_OID_HEX + 1];

		oid_hex(hex, &oid);
		if (base && strcmp(hex, base) == 0)
			break;
		if (max && len >= max) {
			err = tsm_error_set(TSM_EINVALID,
					    "chain longer than %zu commits",
					    max);
			goto done;
		}
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(ids, cap * sizeof(*ids));
			if (grown == NULL) {
				err = tsm_error_set(TSM_ENOMEM,
						    "out of memory");
				goto done;
			}
			ids = grown;
		}
		ids[len] = strdup(hex);
		if (ids[len] == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		len++;
		rc = git_commit_lookup(&c, m->repo, &oid);
		if (rc < 0) {
			err = git_fail(rc, "cannot read a commit");
			goto done;
		}
		if (git_commit_parentcount(c) == 0) {
			if (base) {
				err = tsm_error_set(
					TSM_ECONFLICT,
					"history rewritten: %.12s does not "
					"descend from %.12s",
					tip, base);
				goto done;
			}
			break;
		}
		git_oid_cpy(&oid, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	for (i = 0; i < len / 2; i++) {
		tmp = ids[i];
		ids[i] = ids[len - 1 - i];
		ids[len - 1 - i] = tmp;
	}
	*out = ids;
	*n = len;
	ids = NULL;
	len = 0;
done:
	git_commit_free(c);
	tsm_mirror_chain_free(ids, len);
	return err;
}

void tsm_git_commit_free(tsm_git_commit *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nentries; i++) {
		free(c->entries[i].name);
		free(c->entries[i].data);
	}
	free(c->entries);
	free(c->message);
	free(c);
}

int tsm_mirror_read(tsm_git_commit **out, tsm_mirror *m, const char *id,
		    size_t max_bytes)
{
	tsm_git_commit *c = NULL;
	git_commit *gc = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	size_t i, total = 0;
	git_oid oid;
	int rc, err;

	*out = NULL;
	if ((err = parse_oid(&oid, id)) < 0)
		return err;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	rc = git_commit_lookup(&gc, m->repo, &oid);
	if (rc == 0)
		rc = git_commit_tree(&tree, gc);
	if (rc < 0) {
		err = git_fail(rc, "cannot read a commit");
		goto done;
	}
	oid_hex(c->id, &oid);
	c->nparents = git_commit_parentcount(gc);
	if (c->nparents > 0)
		oid_hex(c->parent, git_commit_parent_id(gc, 0));
	c->message = strdup(git_commit_message(gc));
	c->nentries = git_tree_entrycount(tree);
	c->entries = calloc(c->nentries ? c->nentries : 1,
			    sizeof(*c->entries));
	if (c->message == NULL || c->entries == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < c->nentries; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		struct tsm_git_blob *b = &c->entries[i];

		b->name = strdup(git_tree_entry_name(te));
		if (b->name == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
			continue;
		rc = git_blob_lookup(&blob, m->repo, git_tree_entry_id(te));
		if (rc < 0) {
			err = git_fail(rc, "cannot read a blob");
			goto done;
		}
		b->len = (size_t)git_blob_rawsize(blob);
		total += b->len;
		if (total > max_bytes) {
			err = tsm_error_set(TSM_EINVALID,
					    "commit %.12s is too large", id);
			goto done;
		}
		b->data = malloc(b->len ? b->len : 1);
		if (b->data == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		memcpy(b->data, git_blob_rawcontent(blob), b->len);
		git_blob_free(blob);
		blob = NULL;
	}
	*out = c;
	c = NULL;
done:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(gc);
	tsm_git_commit_free(c);
	return err;
}

const struct tsm_git_blob *tsm_git_commit_entry(const tsm_git_commit *c,
						const char *name)
{
	size_t i;

	for (i = 0; i < c->nentries; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i];
	return NULL;
}
