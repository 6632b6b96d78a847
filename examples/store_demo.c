/* examples/store_demo.c — creates an encrypted store with the public API,
 * then unlocks it again the way the CLI does: unwrap the key, open.
 * usage: example_store DIR   (DIR/demo-store is replaced if it exists) */
#include <stdio.h>
#include <string.h>

#include "tsm/store.h"

static int fail(const char *what)
{
	fprintf(stderr, "example_store: %s: %s\n", what,
		tsm_error_last()->message);
	return 1;
}

/* Removes a previous demo store: its key file, database and side files. */
static void remove_old(const char *dir)
{
	static const char *const names[] = {"tsm.key", "tsm.db", "tsm.db-wal",
					    "tsm.db-shm", "tsm.db-journal"};
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
		    (int)sizeof(path))
			remove(path);
	}
}

int main(int argc, char **argv)
{
	static const char pass[] = "demo passphrase for Zhou Min";
	tsm_store_options opts = TSM_STORE_OPTIONS_INIT;
	tsm_store *store = NULL;
	tsm_key *key = NULL;
	char dir[4096], id[33];
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: example_store DIR\n");
		return 2;
	}
	if (snprintf(dir, sizeof(dir), "%s/demo-store", argv[1]) >=
	    (int)sizeof(dir)) {
		fprintf(stderr, "example_store: path too long\n");
		return 2;
	}
	if (tsm_init() < 0)
		return fail("init");
	remove_old(dir);

	/* Create: the directory (and its parents) is made with mode 0700. */
	opts.kdf = TSM_KDF_INTERACTIVE; /* fast unlock for a demo */
	if (tsm_store_create(&store, dir, pass, strlen(pass), &opts) < 0)
		return fail("create");
	tsm_store_free(store);
	store = NULL;

	/* Unlock: Argon2id derives the key-encryption key, which unwraps the
	 * database key; opening with it costs no further key derivation. */
	if (tsm_key_unwrap(&key, dir, pass, strlen(pass)) < 0) {
		fail("unwrap");
		goto done;
	}
	if (tsm_store_open(&store, dir, key) < 0) {
		fail("open");
		goto done;
	}
	if (tsm_store_check(store) < 0) {
		fail("check");
		goto done;
	}
	if (tsm_store_id(id, dir) < 0) {
		fail("store id");
		goto done;
	}
	/* A wrong passphrase is refused without touching any file. */
	tsm_key_free(key);
	key = NULL;
	if (tsm_key_unwrap(&key, dir, "not it", 6) != TSM_EAUTH) {
		fprintf(stderr, "example_store: a wrong passphrase was not "
				"refused\n");
		goto done;
	}
	printf("encrypted store %s in %s: created, unlocked, checked\n", id,
	       tsm_store_dir(store));
	rc = 0;
done:
	tsm_store_free(store);
	tsm_key_free(key);
	return rc;
}
