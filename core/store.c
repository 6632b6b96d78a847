/* core/store.c — the encrypted local store: the key file (a random database
 * key wrapped under an Argon2id key-encryption key), opening SQLite through
 * the page-sealing VFS (core/vfs.c), nested transactions, check and vacuum. */
#include "store_internal.h"
#include "error.h"
#include "schema.h"
#include "vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The key file, tsm.key (all integers little-endian):
 *
 *   0  6  magic "tsmkey"
 *   6  1  format version (1)
 *   7  1  cipher: 0 plaintext store (benchmarks only), 1 XChaCha20-Poly1305,
 *         2 AES-256-GCM
 *   8  1  journal mode: 0 WAL, 1 rollback journal (DELETE)
 *   9  1  the TSM_KDF_* preset used (informational)
 *  10  1  crypto_pwhash algorithm (Argon2id 1.3)
 *  11  1  zero
 *  12  8  Argon2id opslimit
 *  20  8  Argon2id memlimit
 *  28 16  salt
 *  44 16  store id (also the database id bound into every page)
 *  60 16  key check: keyed BLAKE2b of "tsm key check" || store id under the
 *         database key, so a wrong raw key is refused before any page is read
 *  76 24  nonce of the wrapped key
 * 100 48  the 32-byte database key sealed with XChaCha20-Poly1305 under the
 *         key-encryption key; associated data = bytes 0..75
 *
 * A plaintext store's key file is the 76-byte header alone (cipher 0, every
 * key field zero). */
#define KF_MAGIC "tsmkey"
#define KF_VERSION 1
#define KF_OFF_CIPHER 7
#define KF_OFF_JOURNAL 8
#define KF_OFF_KDF 9
#define KF_OFF_ALG 10
#define KF_OFF_OPS 12
#define KF_OFF_MEM 20
#define KF_OFF_SALT 28
#define KF_OFF_ID 44
#define KF_OFF_CHECK 60
#define KF_HDR_LEN 76
#define KF_OFF_NONCE KF_HDR_LEN
#define KF_OFF_WRAPPED (KF_OFF_NONCE + 24)
#define KF_LEN (KF_OFF_WRAPPED + 32 + 16)

#define KEY_LEN 32
#define ID_LEN 16
#define CHECK_LEN 16

/* Upper bounds on Argon2id costs read from a key file, so a damaged file
 * cannot make unlocking allocate without limit. */
#define KF_MAX_OPS 64
#define KF_MAX_MEM ((uint64_t)4 << 30)

struct tsm_key {
	unsigned char key[KEY_LEN];
	unsigned char id[ID_LEN];
	char hex[2 * ID_LEN + 1];
};

struct tsm_store {
	sqlite3 *db;
	tsm_vfs *vfs; /* NULL for a plaintext store */
	char *dir;
	char *dbpath;
	int depth;   /* nested transaction depth */
	int failed;  /* some nested level ended with ok == 0 */
	int journal; /* TSM_JOURNAL_*, as the key file says */
	int bulk;    /* in bulk mode: a rollback journal for now */
};

struct keyfile {
	unsigned char raw[KF_LEN];
	size_t len;
	int cipher;
	int journal;
	uint64_t ops;
	uint64_t mem;
};

/* ---- small helpers ---- */

static void put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int join_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return tsm_error_set(TSM_EINVALID, "path too long: '%s'", dir);
	return 0;
}

/* Creates dir and its missing parents; new directories get mode 0700. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), i;

	if (len == 0 || len >= sizeof(path))
		return tsm_error_set(TSM_EINVALID, "bad store directory '%s'",
				     dir);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return tsm_error_set(TSM_EIO, "cannot create '%s': %s",
					     path, strerror(errno));
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return tsm_error_set(TSM_EIO, "cannot open '%s': %s", dir,
				     strerror(errno));
	rc = fsync(fd);
	close(fd);
	if (rc < 0)
		return tsm_error_set(TSM_EIO, "cannot sync '%s': %s", dir,
				     strerror(errno));
	return 0;
}

static int kdf_limits(int kdf, uint64_t *ops, uint64_t *mem)
{
	switch (kdf) {
	case TSM_KDF_DEFAULT:
	case TSM_KDF_MODERATE:
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		return 0;
	case TSM_KDF_INTERACTIVE:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		return 0;
	case TSM_KDF_SENSITIVE:
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		return 0;
	default:
		return tsm_error_set(TSM_EINVALID, "unknown kdf preset %d",
				     kdf);
	}
}

static tsm_key *key_alloc(void)
{
	/* sodium_malloc memory is guarded and locked (mlock) already. */
	tsm_key *k = sodium_malloc(sizeof(*k));

	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
	return k;
}

static void key_set_hex(tsm_key *k)
{
	sodium_bin2hex(k->hex, sizeof(k->hex), k->id, ID_LEN);
}

static void key_check_value(unsigned char out[CHECK_LEN],
			    const unsigned char key[KEY_LEN],
			    const unsigned char id[ID_LEN])
{
	static const unsigned char label[] = "tsm key check";
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, KEY_LEN, CHECK_LEN);
	crypto_generichash_update(&st, label, sizeof(label) - 1);
	crypto_generichash_update(&st, id, ID_LEN);
	crypto_generichash_final(&st, out, CHECK_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* ---- the key file ---- */

static int keyfile_read(struct keyfile *kf, const char *dir)
{
	char path[PATH_MAX];
	unsigned char extra;
	ssize_t n;
	int fd, err;

	memset(kf, 0, sizeof(*kf));
	if ((err = join_path(path, sizeof(path), dir, TSM_STORE_KEYFILE)) < 0)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return tsm_error_set(TSM_ENOTFOUND, "no store in '%s'",
					     dir);
		return tsm_error_set(TSM_EIO, "cannot open '%s': %s", path,
				     strerror(errno));
	}
	n = read(fd, kf->raw, sizeof(kf->raw));
	if (n == (ssize_t)sizeof(kf->raw) && read(fd, &extra, 1) != 0)
		n = -2; /* longer than any key file */
	close(fd);
	if (n == -1)
		return tsm_error_set(TSM_EIO, "cannot read '%s': %s", path,
				     strerror(errno));
	if (n < KF_HDR_LEN || memcmp(kf->raw, KF_MAGIC, 6) != 0)
		return tsm_error_set(TSM_ECORRUPT, "'%s' is not a tsm key file",
				     path);
	if (kf->raw[6] != KF_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "key file '%s' has format %d; this tsm "
				     "knows %d (upgrade tsm)",
				     path, kf->raw[6], KF_VERSION);
	kf->len = (size_t)n;
	kf->cipher = kf->raw[KF_OFF_CIPHER];
	kf->journal = kf->raw[KF_OFF_JOURNAL];
	kf->ops = get_u64(kf->raw + KF_OFF_OPS);
	kf->mem = get_u64(kf->raw + KF_OFF_MEM);
	if (kf->cipher > TSM_CIPHER_AES256GCM ||
	    kf->journal > TSM_JOURNAL_DELETE)
		goto malformed;
	if (kf->cipher == 0) {
		if (kf->len != KF_HDR_LEN)
			goto malformed;
		return 0;
	}
	if (kf->len != KF_LEN ||
	    kf->raw[KF_OFF_ALG] != crypto_pwhash_ALG_ARGON2ID13 ||
	    kf->ops < crypto_pwhash_OPSLIMIT_MIN || kf->ops > KF_MAX_OPS ||
	    kf->mem < crypto_pwhash_MEMLIMIT_MIN || kf->mem > KF_MAX_MEM)
		goto malformed;
	return 0;
malformed:
	return tsm_error_set(TSM_ECORRUPT, "key file '%s' is malformed", path);
}

/* Writes the key file atomically: tsm.key.tmp, fsync, rename, fsync dir. */
static int keyfile_write(const char *dir, const unsigned char *raw, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd = -1, err;

	if ((err = join_path(path, sizeof(path), dir, TSM_STORE_KEYFILE)) < 0)
		return err;
	if ((err = join_path(tmp, sizeof(tmp), dir, TSM_STORE_KEYFILE ".tmp")) <
	    0)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return tsm_error_set(TSM_EIO, "cannot create '%s': %s", tmp,
				     strerror(errno));
	while (off < len) {
		n = write(fd, raw + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = tsm_error_set(TSM_EIO, "cannot write '%s': %s",
					    tmp, strerror(errno));
			goto done;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		err = tsm_error_set(TSM_EIO, "cannot sync '%s': %s", tmp,
				    strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = tsm_error_set(TSM_EIO, "cannot write '%s': %s", tmp,
				    strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err = tsm_error_set(TSM_EIO, "cannot rename '%s': %s", tmp,
				    strerror(errno));
		goto done;
	}
	err = fsync_dir(dir);
done:
	if (fd >= 0)
		close(fd);
	if (err < 0)
		unlink(tmp);
	return err;
}

/* Fills in the KDF fields of raw (preset, limits, fresh salt), derives the
 * key-encryption key from pass and seals key into raw under a fresh nonce.
 * raw's other header fields must be final: they are the associated data. */
static int keyfile_wrap(unsigned char raw[KF_LEN], const tsm_key *key,
			const char *pass, size_t passlen, int kdf)
{
	unsigned char *kek = NULL;
	unsigned long long clen;
	uint64_t ops = 0, mem = 0;
	int err;

	if ((err = kdf_limits(kdf, &ops, &mem)) < 0)
		return err;
	raw[KF_OFF_KDF] =
	    (unsigned char)(kdf == TSM_KDF_DEFAULT ? TSM_KDF_MODERATE : kdf);
	raw[KF_OFF_ALG] = crypto_pwhash_ALG_ARGON2ID13;
	put_u64(raw + KF_OFF_OPS, ops);
	put_u64(raw + KF_OFF_MEM, mem);
	randombytes_buf(raw + KF_OFF_SALT, crypto_pwhash_SALTBYTES);
	randombytes_buf(raw + KF_OFF_NONCE,
			crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	kek = sodium_malloc(KEY_LEN);
	if (kek == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (crypto_pwhash(kek, KEY_LEN, pass, passlen, raw + KF_OFF_SALT, ops,
			  (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		err = tsm_error_set(TSM_ENOMEM,
				    "cannot derive the key (out of memory)");
		goto done;
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    raw + KF_OFF_WRAPPED, &clen, key->key, KEY_LEN, raw, KF_HDR_LEN,
	    NULL, raw + KF_OFF_NONCE, kek);
	err = 0;
done:
	sodium_memzero(kek, KEY_LEN);
	sodium_free(kek);
	return err;
}

/* Derives the key-encryption key from pass and unwraps the database key.
 * TSM_EAUTH "wrong passphrase" when it does not authenticate. */
static int keyfile_unwrap(tsm_key **out, const struct keyfile *kf,
			  const char *dir, const char *pass, size_t passlen)
{
	unsigned char check[CHECK_LEN];
	unsigned char *kek = NULL;
	unsigned long long mlen;
	tsm_key *k = NULL;
	int err;

	*out = NULL;
	if (kf->cipher == 0)
		return tsm_error_set(TSM_EINVALID,
				     "the store in '%s' is not encrypted", dir);
	if (pass == NULL)
		return tsm_error_set(TSM_EINVALID, "no passphrase given");
	kek = sodium_malloc(KEY_LEN);
	k = key_alloc();
	if (kek == NULL || k == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if (crypto_pwhash(kek, KEY_LEN, pass, passlen, kf->raw + KF_OFF_SALT,
			  kf->ops, (size_t)kf->mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		err = tsm_error_set(TSM_ENOMEM,
				    "cannot derive the key (out of memory)");
		goto done;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		k->key, &mlen, NULL, kf->raw + KF_OFF_WRAPPED,
		KF_LEN - KF_OFF_WRAPPED, kf->raw, KF_HDR_LEN,
		kf->raw + KF_OFF_NONCE, kek) != 0 ||
	    mlen != KEY_LEN) {
		err = tsm_error_set(TSM_EAUTH, "wrong passphrase");
		goto done;
	}
	key_check_value(check, k->key, kf->raw + KF_OFF_ID);
	if (sodium_memcmp(check, kf->raw + KF_OFF_CHECK, CHECK_LEN) != 0) {
		err = tsm_error_set(TSM_ECORRUPT,
				    "key file in '%s' is inconsistent", dir);
		goto done;
	}
	memcpy(k->id, kf->raw + KF_OFF_ID, ID_LEN);
	key_set_hex(k);
	*out = k;
	k = NULL;
	err = 0;
done:
	if (kek != NULL) {
		sodium_memzero(kek, KEY_LEN);
		sodium_free(kek);
	}
	tsm_key_free(k);
	return err;
}

/* ---- keys ---- */

void tsm_key_free(tsm_key *key)
{
	if (key == NULL)
		return;
	sodium_memzero(key, sizeof(*key));
	sodium_free(key);
}

int tsm_key_from_bytes(tsm_key **out, const unsigned char bytes[32],
		       const unsigned char id[16])
{
	tsm_key *k = key_alloc();

	*out = NULL;
	if (k == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	memcpy(k->key, bytes, KEY_LEN);
	memcpy(k->id, id, ID_LEN);
	key_set_hex(k);
	*out = k;
	return 0;
}

const unsigned char *tsm_key_bytes(const tsm_key *key)
{
	return key->key;
}

const unsigned char *tsm_key_id_bytes(const tsm_key *key)
{
	return key->id;
}

const char *tsm_key_store_id(const tsm_key *key)
{
	return key->hex;
}

int tsm_key_unwrap(tsm_key **out, const char *dir, const char *pass,
		   size_t passlen)
{
	struct keyfile kf;
	int err;

	*out = NULL;
	if ((err = keyfile_read(&kf, dir)) < 0)
		return err;
	err = keyfile_unwrap(out, &kf, dir, pass, passlen);
	sodium_memzero(&kf, sizeof(kf));
	return err;
}

/* ---- opening the database ---- */

static int exec_sql(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : tsm_error_sqlite(db, rc, what);
}

static int set_journal_mode(sqlite3 *db, int journal)
{
	const char *want = journal == TSM_JOURNAL_DELETE ? "delete" : "wal";
	const char *sql = journal == TSM_JOURNAL_DELETE
			      ? "PRAGMA journal_mode=DELETE"
			      : "PRAGMA journal_mode=WAL";
	sqlite3_stmt *st = NULL;
	const unsigned char *got;
	int rc, err;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = tsm_error_sqlite(db, rc, "set journal mode");
		goto done;
	}
	got = sqlite3_column_text(st, 0);
	if (got == NULL || strcmp((const char *)got, want) != 0) {
		err =
		    tsm_error_set(TSM_EIO, "cannot set journal mode %s", want);
		goto done;
	}
	err = 0;
done:
	sqlite3_finalize(st);
	return err;
}

/* Reads the schema: the first statement that touches page 1, so a wrong key
 * or a damaged header page shows here. */
static int read_schema(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1,
				&st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return tsm_error_sqlite(db, rc, "read schema");
	return 0;
}

/* Opens s->dbpath (through s->vfs when encrypted), fixes the geometry on a
 * new database, applies the connection settings and the schema. */
static int db_open(tsm_store *s, int create, int journal)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE |
		    SQLITE_OPEN_NOFOLLOW;
	int rc, err, reserve = TSM_PAGE_RESERVE;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(s->dbpath, &s->db, flags,
			     s->vfs ? tsm_vfs_name(s->vfs) : NULL);
	if (rc != SQLITE_OK) {
		/* open returns the primary code; the extended one says
		 * whether page 1 failed authentication (the handle cannot
		 * reach its VFS yet, so ask ours directly) */
		char msg[512];

		if (s->db != NULL)
			rc = sqlite3_extended_errcode(s->db);
		if (rc == SQLITE_IOERR_DATA && s->vfs != NULL &&
		    tsm_vfs_message(s->vfs, s->dbpath, msg, sizeof(msg)))
			return tsm_error_set(TSM_ECORRUPT, "%s", msg);
		return tsm_error_sqlite(s->db, rc, "open database");
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	/* No mmap (pages must pass through the VFS) and no temp files. A
	 * 32 MiB page cache keeps an agent's working set decrypted once:
	 * every cache miss costs a page open (about 5 us), and SQLite's
	 * 2 MiB default makes that dominate (see tests/bench). */
	if ((err = exec_sql(s->db,
			    "PRAGMA mmap_size=0; PRAGMA temp_store=2; "
			    "PRAGMA cache_size=-32768",
			    "configure database")) < 0)
		return err;
	if (create) {
		if ((err = exec_sql(s->db, "PRAGMA page_size=4096",
				    "set page size")) < 0)
			return err;
		if (s->vfs != NULL) {
			rc = sqlite3_file_control(s->db, "main",
						  SQLITE_FCNTL_RESERVE_BYTES,
						  &reserve);
			if (rc != SQLITE_OK)
				return tsm_error_sqlite(s->db, rc,
							"reserve page bytes");
		}
	}
	if ((err = read_schema(s->db)) < 0)
		return err;
	if ((err = set_journal_mode(s->db, journal)) < 0)
		return err;
	/* WAL is consistent with NORMAL (a power cut may lose the last
	 * commits, never corrupt); a rollback journal needs FULL. */
	if ((err = exec_sql(s->db,
			    journal == TSM_JOURNAL_DELETE
				? "PRAGMA synchronous=FULL"
				: "PRAGMA synchronous=NORMAL",
			    "set synchronous")) < 0)
		return err;
	if ((err = tsm_schema_migrate(s->db)) < 0)
		return err;
	s->journal = journal;
	return exec_sql(s->db, "PRAGMA foreign_keys=ON", "enable foreign keys");
}

static int store_alloc(tsm_store **out, const char *dir)
{
	tsm_store *s = calloc(1, sizeof(*s));
	size_t len = strlen(dir);
	char path[PATH_MAX];
	int err;

	*out = NULL;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (s == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	s->dir = strndup(dir, len);
	if (s->dir == NULL) {
		free(s);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	if ((err = join_path(path, sizeof(path), s->dir, TSM_STORE_DBFILE)) <
	    0) {
		tsm_store_free(s);
		return err;
	}
	s->dbpath = strdup(path);
	if (s->dbpath == NULL) {
		tsm_store_free(s);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

static void close_db(sqlite3 *db)
{
	sqlite3_stmt *st;

	if (db == NULL)
		return;
	if (sqlite3_close(db) == SQLITE_OK)
		return;
	/* Statements left open by a caller: finalize them so the connection
	 * really closes before its VFS is unregistered. */
	while ((st = sqlite3_next_stmt(db, NULL)) != NULL)
		sqlite3_finalize(st);
	sqlite3_close(db);
}

void tsm_store_free(tsm_store *store)
{
	if (store == NULL)
		return;
	close_db(store->db);
	tsm_vfs_free(store->vfs);
	free(store->dir);
	free(store->dbpath);
	free(store);
}

static void remove_db_files(const char *dbpath)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if (snprintf(path, sizeof(path), "%s%s", dbpath, suffix[i]) <
		    (int)sizeof(path))
			unlink(path);
	}
}

int tsm_store_create(tsm_store **out, const char *dir, const char *pass,
		     size_t passlen, const tsm_store_options *opts)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	unsigned char raw[KF_LEN];
	char keypath[PATH_MAX];
	tsm_store *s = NULL;
	tsm_key *k = NULL;
	int err, fd, created = 0, cipher;
	size_t rawlen;

	*out = NULL;
	memset(raw, 0, sizeof(raw));
	if (opts != NULL) {
		if (opts->version != TSM_STORE_OPTIONS_VERSION)
			return tsm_error_set(TSM_EINVALID,
					     "unknown store options version %u",
					     opts->version);
		o = *opts;
	}
	if (o.journal_mode != TSM_JOURNAL_WAL &&
	    o.journal_mode != TSM_JOURNAL_DELETE)
		return tsm_error_set(TSM_EINVALID, "unknown journal mode %d",
				     o.journal_mode);
	cipher = o.cipher == TSM_CIPHER_DEFAULT ? TSM_CIPHER_XCHACHA20POLY1305
						: o.cipher;
	if (cipher != TSM_CIPHER_XCHACHA20POLY1305 &&
	    cipher != TSM_CIPHER_AES256GCM)
		return tsm_error_set(TSM_EINVALID, "unknown cipher %d",
				     o.cipher);
	if (!o.plaintext && cipher == TSM_CIPHER_AES256GCM &&
	    !crypto_aead_aes256gcm_is_available())
		return tsm_error_set(
		    TSM_EINVALID, "aes-256-gcm is not available on this cpu");
	if (!o.plaintext && pass == NULL)
		return tsm_error_set(TSM_EINVALID, "no passphrase given");
	if ((err = mkdir_p(dir)) < 0)
		return err;
	if ((err = store_alloc(&s, dir)) < 0)
		return err;
	if ((err = join_path(keypath, sizeof(keypath), s->dir,
			     TSM_STORE_KEYFILE)) < 0)
		goto done;
	if (access(keypath, F_OK) == 0) {
		err = tsm_error_set(TSM_EEXISTS,
				    "a store already exists in '%s'", s->dir);
		goto done;
	}
	/* Create the database file ourselves so it is 0600 (SQLite gives
	 * -wal, -shm and -journal the same mode) and so two creators race
	 * safely. */
	fd = open(s->dbpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			err = tsm_error_set(TSM_EEXISTS,
					    "'%s' holds a database but no key "
					    "file (an interrupted create?); "
					    "move it away to start over",
					    s->dbpath);
		else
			err = tsm_error_set(TSM_EIO, "cannot create '%s': %s",
					    s->dbpath, strerror(errno));
		goto done;
	}
	close(fd);
	created = 1;

	memcpy(raw, KF_MAGIC, 6);
	raw[6] = KF_VERSION;
	raw[KF_OFF_JOURNAL] = (unsigned char)o.journal_mode;
	if (o.plaintext) {
		rawlen = KF_HDR_LEN;
	} else {
		rawlen = KF_LEN;
		raw[KF_OFF_CIPHER] = (unsigned char)cipher;
		if ((k = key_alloc()) == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		randombytes_buf(k->key, KEY_LEN);
		randombytes_buf(k->id, ID_LEN);
		key_set_hex(k);
		memcpy(raw + KF_OFF_ID, k->id, ID_LEN);
		key_check_value(raw + KF_OFF_CHECK, k->key, k->id);
		if ((err = keyfile_wrap(raw, k, pass, passlen, o.kdf)) < 0)
			goto done;
		if ((err = tsm_vfs_create(&s->vfs, k->key, k->id, cipher)) < 0)
			goto done;
	}
	if (o.plaintext)
		randombytes_buf(raw + KF_OFF_ID, ID_LEN);
	if ((err = db_open(s, 1, o.journal_mode)) < 0)
		goto done;
	/* The key file comes last: a store exists once it is in place. */
	if ((err = keyfile_write(s->dir, raw, rawlen)) < 0)
		goto done;
	*out = s;
	s = NULL;
	err = 0;
done:
	if (s != NULL) {
		close_db(s->db);
		s->db = NULL;
		if (created)
			remove_db_files(s->dbpath);
		tsm_store_free(s);
	}
	sodium_memzero(raw, sizeof(raw));
	tsm_key_free(k);
	return err;
}

static int open_common(tsm_store **out, const char *dir, const tsm_key *key)
{
	unsigned char check[CHECK_LEN];
	struct keyfile kf;
	tsm_store *s = NULL;
	struct stat sb;
	int err;

	*out = NULL;
	if ((err = keyfile_read(&kf, dir)) < 0)
		return err;
	if (key == NULL && kf.cipher != 0)
		return tsm_error_set(TSM_EINVALID,
				     "the store in '%s' is encrypted", dir);
	if (key != NULL && kf.cipher == 0)
		return tsm_error_set(TSM_EINVALID,
				     "the store in '%s' is not encrypted", dir);
	if (key != NULL) {
		if (sodium_memcmp(key->id, kf.raw + KF_OFF_ID, ID_LEN) != 0)
			return tsm_error_set(TSM_EAUTH,
					     "the key is not for the store in "
					     "'%s'",
					     dir);
		key_check_value(check, key->key, key->id);
		if (sodium_memcmp(check, kf.raw + KF_OFF_CHECK, CHECK_LEN) != 0)
			return tsm_error_set(
			    TSM_EAUTH, "wrong key for the store in '%s'", dir);
		if (kf.cipher == TSM_CIPHER_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			return tsm_error_set(TSM_EINVALID,
					     "the store in '%s' uses "
					     "aes-256-gcm, not available on "
					     "this cpu",
					     dir);
	}
	if ((err = store_alloc(&s, dir)) < 0)
		return err;
	if (stat(s->dbpath, &sb) < 0) {
		err = tsm_error_set(TSM_ECORRUPT,
				    "the database file '%s' is "
				    "missing",
				    s->dbpath);
		goto done;
	}
	if (key != NULL &&
	    (err = tsm_vfs_create(&s->vfs, key->key, key->id, kf.cipher)) < 0)
		goto done;
	if ((err = db_open(s, 0, kf.journal)) < 0)
		goto done;
	*out = s;
	s = NULL;
done:
	tsm_store_free(s);
	return err;
}

int tsm_store_open(tsm_store **out, const char *dir, const tsm_key *key)
{
	*out = NULL;
	if (key == NULL)
		return tsm_error_set(TSM_EINVALID, "no key given");
	return open_common(out, dir, key);
}

int tsm_store_open_plaintext(tsm_store **out, const char *dir)
{
	return open_common(out, dir, NULL);
}

int tsm_store_passwd(const char *dir, const char *oldpass, size_t oldlen,
		     const char *newpass, size_t newlen, int kdf)
{
	struct keyfile kf;
	tsm_key *k = NULL;
	uint64_t ops = 0, mem = 0;
	int err;

	if (newpass == NULL)
		return tsm_error_set(TSM_EINVALID, "no new passphrase given");
	if ((err = kdf_limits(kdf, &ops, &mem)) < 0)
		return err;
	if ((err = keyfile_read(&kf, dir)) < 0)
		return err;
	if ((err = keyfile_unwrap(&k, &kf, dir, oldpass, oldlen)) < 0)
		goto done;
	if ((err = keyfile_wrap(kf.raw, k, newpass, newlen, kdf)) < 0)
		goto done;
	err = keyfile_write(dir, kf.raw, KF_LEN);
done:
	sodium_memzero(&kf, sizeof(kf));
	tsm_key_free(k);
	return err;
}

/* ---- queries on a store directory ---- */

int tsm_store_exists(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, TSM_STORE_KEYFILE);

	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int tsm_store_id(char *out, const char *dir)
{
	struct keyfile kf;
	int err;

	out[0] = '\0';
	if ((err = keyfile_read(&kf, dir)) < 0)
		return err;
	sodium_bin2hex(out, 2 * ID_LEN + 1, kf.raw + KF_OFF_ID, ID_LEN);
	return 0;
}

const char *tsm_store_dir(const tsm_store *store)
{
	return store->dir;
}

sqlite3 *tsm_store_db(tsm_store *store)
{
	return store->db;
}

/* ---- transactions ---- */

int tsm_store_begin(tsm_store *store)
{
	int err;

	if (store->depth == 0) {
		if ((err = exec_sql(store->db, "BEGIN IMMEDIATE",
				    "begin transaction")) < 0)
			return err;
		store->failed = 0;
	}
	store->depth++;
	return 0;
}

int tsm_store_end(tsm_store *store, int ok)
{
	int rc;

	if (store->depth == 0)
		return tsm_error_set(TSM_EINVALID, "no transaction to end");
	if (!ok)
		store->failed = 1;
	if (--store->depth > 0)
		return 0;
	if (!store->failed) {
		rc = sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		rc = tsm_error_sqlite(store->db, rc, "commit");
		if (!sqlite3_get_autocommit(store->db))
			sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_get_autocommit(store->db))
		return 0; /* SQLite already rolled back after an error */
	rc = sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0
			       : tsm_error_sqlite(store->db, rc, "rollback");
}

/* A transaction that writes many new pages (an import) costs twice in WAL
 * mode: every page is sealed and written into the WAL, then opened, sealed
 * again and copied into the database at the checkpoint. A rollback journal
 * writes a new page once (SQLite journals only the pages that existed). So
 * bulk mode switches a WAL store to a rollback journal, with synchronous
 * FULL as such a journal needs, until bulk_end. The switch needs the only
 * connection; when another process has the store open, it stays in WAL. */
int tsm_store_bulk_begin(tsm_store *store)
{
	if (store->bulk || store->depth > 0 ||
	    store->journal != TSM_JOURNAL_WAL)
		return 0;
	if (set_journal_mode(store->db, TSM_JOURNAL_DELETE) < 0) {
		tsm_error_clear();
		return 0; /* another connection: stay in WAL */
	}
	store->bulk = 1;
	return exec_sql(store->db, "PRAGMA synchronous=FULL",
			"set synchronous");
}

int tsm_store_bulk_end(tsm_store *store)
{
	if (!store->bulk || store->depth > 0)
		return 0;
	store->bulk = 0;
	/* When this fails (another process opened the store meanwhile), the
	 * connection stays in the safe rollback mode; the next open of the
	 * store switches back to WAL. */
	if (set_journal_mode(store->db, TSM_JOURNAL_WAL) < 0) {
		tsm_error_clear();
		return 0;
	}
	return exec_sql(store->db, "PRAGMA synchronous=NORMAL",
			"set synchronous");
}

int tsm_store_transaction(tsm_store *store, int (*fn)(tsm_store *, void *),
			  void *payload)
{
	int err, rc;

	if ((err = tsm_store_begin(store)) < 0)
		return err;
	rc = fn(store, payload);
	err = tsm_store_end(store, rc == 0);
	if (rc != 0)
		return rc;
	return err;
}

/* ---- maintenance ---- */

/* Reads every page of the database file through the VFS, so each one is
 * authenticated (PRAGMA integrity_check skips free pages). Runs inside a
 * read transaction so no writer changes the file meanwhile. */
static int read_every_page(tsm_store *store)
{
	unsigned char *page = NULL;
	sqlite3_file *fp = NULL;
	sqlite3_int64 size = 0, off;
	int rc, err, began = 0;

	if (store->depth == 0) {
		if ((err = exec_sql(store->db, "BEGIN", "begin check")) < 0)
			goto done;
		began = 1;
		if ((err = exec_sql(store->db,
				    "SELECT count(*) FROM sqlite_schema",
				    "check")) < 0)
			goto done;
	}
	rc = sqlite3_file_control(store->db, "main", SQLITE_FCNTL_FILE_POINTER,
				  &fp);
	if (rc != SQLITE_OK || fp == NULL || fp->pMethods == NULL) {
		err =
		    tsm_error_set(TSM_EIO, "cannot reach '%s'", store->dbpath);
		goto done;
	}
	rc = fp->pMethods->xFileSize(fp, &size);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(NULL, rc, "size database");
		goto done;
	}
	if (size % TSM_PAGE_SIZE != 0) {
		err = tsm_error_set(TSM_ECORRUPT,
				    "'%s' is not a whole number of pages",
				    store->dbpath);
		goto done;
	}
	page = malloc(TSM_PAGE_SIZE);
	if (page == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (off = 0; off < size; off += TSM_PAGE_SIZE) {
		rc = fp->pMethods->xRead(fp, page, TSM_PAGE_SIZE, off);
		if (rc == SQLITE_IOERR_DATA) {
			err = tsm_error_sqlite(store->db, rc, "check");
			goto done;
		}
		if (rc != SQLITE_OK) {
			err = tsm_error_sqlite(NULL, rc, "check");
			goto done;
		}
	}
	err = 0;
done:
	if (began)
		sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
	free(page);
	return err;
}

int tsm_store_check(tsm_store *store)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *msg;
	int rc, err;

	if (store->vfs != NULL) {
		tsm_vfs_clear_failure(store->vfs);
		if ((err = read_every_page(store)) < 0)
			return err;
	}
	rc = sqlite3_prepare_v2(store->db, "PRAGMA integrity_check", -1, &st,
				NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = tsm_error_sqlite(store->db, rc, "check");
		goto done;
	}
	msg = sqlite3_column_text(st, 0);
	if (msg == NULL || strcmp((const char *)msg, "ok") != 0) {
		char detail[512];

		/* integrity_check reports unreadable pages as text; name
		 * the page that failed authentication when there is one */
		if (store->vfs != NULL &&
		    tsm_vfs_message(store->vfs, store->dbpath, detail,
				    sizeof(detail))) {
			err = tsm_error_set(TSM_ECORRUPT, "%s", detail);
			goto done;
		}
		err = tsm_error_set(TSM_ECORRUPT, "'%s' failed the check: %s",
				    store->dbpath,
				    msg ? (const char *)msg : "no result");
		goto done;
	}
	err = 0;
done:
	sqlite3_finalize(st);
	return err;
}

int tsm_store_vacuum(tsm_store *store)
{
	if (store->depth > 0)
		return tsm_error_set(TSM_EINVALID,
				     "cannot vacuum inside a transaction");
	return exec_sql(store->db, "VACUUM", "vacuum");
}
