/* sync/mirror.h — the local git mirror of the central repository (a bare
 * repository, DIR/sync.git) and the few git operations sync needs, over
 * libgit2. libgit2's errors are translated into tsm errors here, once. */
#ifndef TSM_SYNC_MIRROR_H
#define TSM_SYNC_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "tsm/common.h"

#define TSM_OID_HEX 40 /* a commit id as lowercase hex, without the NUL */

/* The name of the central remote inside the mirror. */
#define TSM_REMOTE_NAME "central"

/* Refs this program writes, on the central repository and in the mirror. */
#define TSM_REF_SITES "refs/tsm/sites/" /* + site id: a site's batches */
#define TSM_REF_ROSTER "refs/tsm/roster" /* the manager-signed roster */
#define TSM_REF_JOINS "refs/tsm/joins/" /* + site id: a join request */

/* Where fetched refs land in the mirror: "refs/remotes/central/" + the
 * central ref name without its "refs/" prefix. */
#define TSM_REF_FETCHED "refs/remotes/central/"

typedef struct tsm_mirror tsm_mirror;

/* A named blob, for writing a commit's tree. Borrowed. */
typedef struct tsm_git_entry {
	const char *name;
	const unsigned char *data;
	size_t len;
} tsm_git_entry;

/* A commit read back from the mirror: its parents, message and every entry
 * of its (flat) tree. Free with tsm_git_commit_free(). */
typedef struct tsm_git_commit {
	char id[TSM_OID_HEX + 1];
	size_t nparents;
	char parent[TSM_OID_HEX + 1]; /* the first parent, "" when none */
	char *message;
	size_t nentries;
	struct tsm_git_blob {
		char *name;
		unsigned char *data; /* NULL when the entry is not a blob */
		size_t len;
	} *entries;
} tsm_git_commit;

/* The status of one ref in a push, filled in by tsm_mirror_push(). */
typedef struct tsm_push_ref {
	const char *ref; /* the same name locally and on the remote; borrowed */
	const char *id;  /* the commit the remote ref must point to after */
	int ok;          /* 1 when the remote confirmed the update */
	char status[256]; /* why not, when !ok */
} tsm_push_ref;

/* Progress of a transfer: what is being done, items done and total. */
typedef void (*tsm_mirror_progress_fn)(const char *what, size_t done,
				       size_t total, void *payload);

/* Opens the bare mirror at path, creating it when missing. With url, the
 * remote "central" is created or repointed to url. */
int tsm_mirror_open(tsm_mirror **out, const char *path, const char *url);

/* Closes and frees a mirror. NULL is allowed. */
void tsm_mirror_free(tsm_mirror *m);

/* The URL of the central remote, "" when none. Borrowed; lives with m. */
const char *tsm_mirror_url(const tsm_mirror *m);

/* Reports transfer progress of later fetches and pushes to fn. */
void tsm_mirror_set_progress(tsm_mirror *m, tsm_mirror_progress_fn fn,
			     void *payload);

/* Writes the blobs, a flat tree of them and a commit on parent (NULL for
 * a root commit) with message, without moving any ref. out gets the new
 * commit id (41 bytes with the NUL). author names the writer in the commit
 * header (no e-mail, fixed time zone). */
int tsm_mirror_commit(char *out, tsm_mirror *m, const char *parent,
		      const tsm_git_entry *entries, size_t n,
		      const char *message, const char *author);

/* The same with a fixed commit time (seconds since the epoch), for commits
 * that must come out identical when written twice. */
int tsm_mirror_commit_at(char *out, tsm_mirror *m, const char *parent,
			 const tsm_git_entry *entries, size_t n,
			 const char *message, const char *author, int64_t when);

/* Reads the commit ref points to into out (41 bytes). TSM_ENOTFOUND when
 * the ref does not exist. */
int tsm_mirror_ref(char *out, tsm_mirror *m, const char *ref);

/* Points ref at commit id. With expected (a commit id, or "" for "must
 * not exist"), fails with TSM_ECONFLICT unless the ref is there now. */
int tsm_mirror_set_ref(tsm_mirror *m, const char *ref, const char *id,
		       const char *expected);

/* Nonzero if the object id exists in the mirror. */
int tsm_mirror_has(tsm_mirror *m, const char *id);

/* Pushes each refs[i].ref (a fast-forward, never forced) to the central
 * remote. Every ref's status is taken from the remote's report and then
 * confirmed by listing the remote's refs: ok is 1 only when the remote
 * ref now points at refs[i].id. Returns 0 when all are ok, TSM_ECONFLICT
 * when one was refused (statuses filled in), or a transport error. */
int tsm_mirror_push(tsm_mirror *m, tsm_push_ref *refs, size_t n);

/* Fetches every refs/tsm/... ref of the central remote into the mirror
 * under TSM_REF_FETCHED (forced: the caller verifies ancestry itself). */
int tsm_mirror_fetch(tsm_mirror *m);

/* Lists the central remote's refs without fetching; fn is called with each
 * ref name and commit id, under refs/tsm/ only. */
int tsm_mirror_ls_remote(tsm_mirror *m,
			 int (*fn)(const char *ref, const char *id, void *p),
			 void *payload);

/* Calls fn for each ref whose name starts with prefix, in name order, with
 * its name and commit id. A nonzero return from fn stops and is returned. */
int tsm_mirror_each_ref(tsm_mirror *m, const char *prefix,
			int (*fn)(const char *ref, const char *id, void *p),
			void *payload);

/* The first-parent chain from base (exclusive) to tip (inclusive), oldest
 * first: *out is a malloc'd array of *n malloc'd commit ids; free with
 * tsm_mirror_chain_free(). base NULL or "" walks to the root. When base is
 * not on tip's first-parent line (a rewritten history) returns
 * TSM_ECONFLICT. max bounds the walk (0: no bound); TSM_EINVALID past it. */
int tsm_mirror_chain(char ***out, size_t *n, tsm_mirror *m, const char *tip,
		     const char *base, size_t max);
void tsm_mirror_chain_free(char **ids, size_t n);

/* Reads a commit and the blobs of its tree (at most max_bytes in total;
 * TSM_EINVALID beyond). Subtrees are listed with data NULL. */
int tsm_mirror_read(tsm_git_commit **out, tsm_mirror *m, const char *id,
		    size_t max_bytes);

/* Frees a commit read by tsm_mirror_read(). NULL is allowed. */
void tsm_git_commit_free(tsm_git_commit *c);

/* Finds the entry called name in c; NULL when there is none. */
const struct tsm_git_blob *tsm_git_commit_entry(const tsm_git_commit *c,
						const char *name);

#endif
