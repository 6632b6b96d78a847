/* tests/unit/test_vfs.c — the page-sealing VFS under attack and accident:
 * flipped bytes in every page, swapped and foreign pages, WAL frames, a
 * writer killed mid-transaction (WAL and rollback journal), refused temp
 * files and page geometry, and the seal/open primitives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "error.h"
#include "store_internal.h"
#include "testutil.h"
#include "vfs.h"

static const char PASS[] = "Liu Yang test passphrase";
#define PASSLEN (sizeof(PASS) - 1)
#define ROWS 300

static char dirbuf[4096];

static const char *fresh_dir(const char *tag)
{
	const char *d = tu_tmpdir(tag);

	assert_non_null(d);
	snprintf(dirbuf, sizeof(dirbuf), "%s", d);
	return dirbuf;
}

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static tsm_store *make_store(const char *dir, int journal)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;

	o.kdf = TSM_KDF_INTERACTIVE;
	o.journal_mode = journal;
	if (tsm_store_create(&s, dir, PASS, PASSLEN, &o) < 0)
		fail_msg("create: %s", tsm_error_last()->message);
	return s;
}

static tsm_key *unwrap(const char *dir)
{
	tsm_key *k = NULL;

	if (tsm_key_unwrap(&k, dir, PASS, PASSLEN) < 0)
		fail_msg("unwrap: %s", tsm_error_last()->message);
	return k;
}

static int insert_rows(sqlite3 *db, int first, int n)
{
	sqlite3_stmt *st;
	char name[64];
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO t(id, name, pad) VALUES (?, ?, "
			       "zeroblob(300))",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = first; i < first + n && rc == SQLITE_OK; i++) {
		snprintf(name, sizeof(name), "Sun Li %06d", i);
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Reads all rows; every row returned must be exactly right. Returns the
 * number of rows, or the TSM_E* code of the failure (message set). */
static int read_rows(tsm_store *s)
{
	sqlite3_stmt *st;
	char name[64];
	int rc, n = 0;

	rc = sqlite3_prepare_v2(tsm_store_db(s),
				"SELECT id, name FROM t ORDER BY id", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(tsm_store_db(s), rc, "prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		snprintf(name, sizeof(name), "Sun Li %06d", n);
		assert_int_equal(sqlite3_column_int(st, 0), n);
		assert_string_equal((const char *)sqlite3_column_text(st, 1),
				    name);
	}
	if (rc != SQLITE_DONE)
		n = tsm_error_sqlite(tsm_store_db(s), rc, "read");
	sqlite3_finalize(st);
	return n;
}

/* A small store: table t with ROWS rows and an index, plus a dropped table
 * so the file has free pages (which only tsm_store_check reads). */
static void small_store(const char *dir)
{
	tsm_store *s = make_store(dir, TSM_JOURNAL_DELETE);
	sqlite3 *db = tsm_store_db(s);

	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, pad "
		    "BLOB); CREATE INDEX t_name ON t(name);"
		    "CREATE TABLE junk(x BLOB)");
	exec_ok(db, "BEGIN");
	assert_int_equal(insert_rows(db, 1, ROWS), 0);
	exec_ok(db, "INSERT INTO junk SELECT zeroblob(3000) FROM t LIMIT 20");
	exec_ok(db, "COMMIT");
	exec_ok(db, "DROP TABLE junk");
	assert_true(sqlite3_exec(db, "SELECT 1", NULL, NULL, NULL) == 0);
	tsm_store_free(s);
}

static void write_file(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Puts db bytes and the key file into work/ (removing journal leftovers). */
static void install(const char *work, const unsigned char *db, size_t dblen,
		    const unsigned char *key, size_t keylen)
{
	char path[4200];

	path_in(path, sizeof(path), work, TSM_STORE_DBFILE);
	write_file(path, db, dblen);
	path_in(path, sizeof(path), work, TSM_STORE_DBFILE "-journal");
	unlink(path);
	path_in(path, sizeof(path), work, TSM_STORE_DBFILE "-wal");
	unlink(path);
	path_in(path, sizeof(path), work, TSM_STORE_DBFILE "-shm");
	unlink(path);
	path_in(path, sizeof(path), work, TSM_STORE_KEYFILE);
	write_file(path, key, keylen);
}

/* Opens work/ with key and reads everything; the damage must surface as
 * TSM_ECORRUPT naming one of the pages in want (0-terminated), with no wrong
 * row ever returned. */
static void expect_damage(const char *work, const tsm_key *key,
			  const unsigned *want)
{
	tsm_store *s = NULL;
	char needle[64];
	int err, i, named = 0;

	err = tsm_store_open(&s, work, key);
	if (err == 0) {
		err = read_rows(s);
		if (err == ROWS)
			err = tsm_store_check(s);
		tsm_store_free(s);
	}
	assert_int_equal(err, TSM_ECORRUPT);
	for (i = 0; want[i] != 0; i++) {
		snprintf(needle, sizeof(needle), "page %u of '", want[i]);
		if (strstr(tsm_error_last()->message, needle) != NULL)
			named = 1;
	}
	if (!named)
		fail_msg("message does not name page %u: %s", want[0],
			 tsm_error_last()->message);
	assert_non_null(strstr(tsm_error_last()->message,
			       "failed authentication (tampered or corrupt)"));
}

static void test_flip_every_page(void **state)
{
	char src[4096], work[4096], path[4200];
	unsigned char *db, *key, *copy;
	size_t dblen, keylen, npages, pg, off;
	tsm_key *k;
	tsm_store *s;
	int round;

	(void)state;
	snprintf(src, sizeof(src), "%s", fresh_dir("flip-src"));
	snprintf(work, sizeof(work), "%s", fresh_dir("flip-work"));
	small_store(src);
	k = unwrap(src);
	path_in(path, sizeof(path), src, TSM_STORE_DBFILE);
	db = tu_read_file(path, &dblen);
	path_in(path, sizeof(path), src, TSM_STORE_KEYFILE);
	key = tu_read_file(path, &keylen);
	assert_non_null(db);
	assert_non_null(key);
	npages = dblen / TSM_PAGE_SIZE;
	assert_true(npages >= 20);

	/* The pristine copy opens and checks clean. */
	install(work, db, dblen, key, keylen);
	assert_int_equal(tsm_store_open(&s, work, k), 0);
	assert_int_equal(read_rows(s), ROWS);
	assert_int_equal(tsm_store_check(s), 0);
	tsm_store_free(s);

	copy = malloc(dblen);
	assert_non_null(copy);
	for (pg = 1; pg <= npages; pg++) {
		/* round 0: a byte of the sealed body; round 1: a byte of the
		 * nonce or tag in the reserved area. */
		for (round = 0; round < 2; round++) {
			unsigned want[2] = {(unsigned)pg, 0};

			off = round == 0 ? (pg * 131) % (TSM_PAGE_SIZE - 40)
					 : TSM_PAGE_SIZE - 40 + pg % 40;
			memcpy(copy, db, dblen);
			copy[(pg - 1) * TSM_PAGE_SIZE + off] ^= 0x01;
			install(work, copy, dblen, key, keylen);
			expect_damage(work, k, want);
		}
	}
	free(copy);
	free(db);
	free(key);
	tsm_key_free(k);
}

static void test_swapped_zeroed_and_foreign_pages(void **state)
{
	char src[4096], other[4096], work[4096], path[4200];
	unsigned char *db, *key, *odb, *okey, *copy;
	size_t dblen, keylen, odblen, okeylen;
	unsigned want23[3] = {2, 3, 0}, want2[2] = {2, 0}, want5[2] = {5, 0};
	tsm_key *k;

	(void)state;
	snprintf(src, sizeof(src), "%s", fresh_dir("swap-src"));
	snprintf(other, sizeof(other), "%s", fresh_dir("swap-other"));
	snprintf(work, sizeof(work), "%s", fresh_dir("swap-work"));
	small_store(src);
	small_store(other);
	k = unwrap(src);
	path_in(path, sizeof(path), src, TSM_STORE_DBFILE);
	db = tu_read_file(path, &dblen);
	path_in(path, sizeof(path), src, TSM_STORE_KEYFILE);
	key = tu_read_file(path, &keylen);
	path_in(path, sizeof(path), other, TSM_STORE_DBFILE);
	odb = tu_read_file(path, &odblen);
	path_in(path, sizeof(path), other, TSM_STORE_KEYFILE);
	okey = tu_read_file(path, &okeylen);
	assert_true(dblen >= 6 * TSM_PAGE_SIZE && odblen >= dblen);
	copy = malloc(dblen);
	assert_non_null(copy);

	/* pages 2 and 3 swapped */
	memcpy(copy, db, dblen);
	memcpy(copy + TSM_PAGE_SIZE, db + 2 * TSM_PAGE_SIZE, TSM_PAGE_SIZE);
	memcpy(copy + 2 * TSM_PAGE_SIZE, db + TSM_PAGE_SIZE, TSM_PAGE_SIZE);
	install(work, copy, dblen, key, keylen);
	expect_damage(work, k, want23);

	/* page 2 copied over page 3 of the same file */
	memcpy(copy, db, dblen);
	memcpy(copy + 2 * TSM_PAGE_SIZE, db + TSM_PAGE_SIZE, TSM_PAGE_SIZE);
	install(work, copy, dblen, key, keylen);
	expect_damage(work, k, want23 + 1);

	/* page 2 taken from another store (same layout, other key and id) */
	memcpy(copy, db, dblen);
	memcpy(copy + TSM_PAGE_SIZE, odb + TSM_PAGE_SIZE, TSM_PAGE_SIZE);
	install(work, copy, dblen, key, keylen);
	expect_damage(work, k, want2);

	/* page 5 all zeros */
	memcpy(copy, db, dblen);
	memset(copy + 4 * TSM_PAGE_SIZE, 0, TSM_PAGE_SIZE);
	install(work, copy, dblen, key, keylen);
	expect_damage(work, k, want5);

	/* The other store's whole file under this store's key file: page 1
	 * does not authenticate. */
	{
		unsigned want1[2] = {1, 0};

		install(work, odb, odblen, key, keylen);
		expect_damage(work, k, want1);
	}
	free(copy);
	free(db);
	free(key);
	free(odb);
	free(okey);
	tsm_key_free(k);
}

/* ---- WAL frames ---- */

static long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* A frame damaged in a live WAL is reported by a reader that reads it. */
static void test_wal_frame_tampered(void **state)
{
	const char *dir = fresh_dir("walframe");
	char wal[4200];
	tsm_store *s = make_store(dir, TSM_JOURNAL_WAL), *r = NULL;
	unsigned char byte;
	tsm_key *k;
	long size;
	int fd, err;

	(void)state;
	exec_ok(tsm_store_db(s), "PRAGMA wal_autocheckpoint=0");
	exec_ok(tsm_store_db(s), "CREATE TABLE t(id INTEGER PRIMARY KEY, "
				 "name TEXT, pad BLOB)");
	exec_ok(tsm_store_db(s), "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(insert_rows(tsm_store_db(s), 1, 5), 0);
	path_in(wal, sizeof(wal), dir, TSM_STORE_DBFILE "-wal");
	size = file_size(wal);
	assert_true(size >= 32 + 24 + TSM_PAGE_SIZE);
	k = unwrap(dir);

	/* Flip a byte in the page of the last frame while s stays open
	 * (the wal-index in -shm stays valid, so no recovery runs). */
	fd = open(wal, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, size - 100), 1);
	byte ^= 0x40;
	assert_int_equal(pwrite(fd, &byte, 1, size - 100), 1);
	close(fd);

	assert_int_equal(tsm_store_open(&r, dir, k), 0);
	err = read_rows(r);
	assert_int_equal(err, TSM_ECORRUPT);
	assert_non_null(strstr(tsm_error_last()->message, "frame "));
	assert_non_null(strstr(tsm_error_last()->message, "-wal' failed "
							  "authentication"));
	tsm_store_free(r);
	tsm_store_free(s);
	tsm_key_free(k);
}

/* ---- a writer killed mid-transaction ---- */

static void child_writer(const char *dir, const tsm_key *k, int journal, int fd)
{
	tsm_store *s = NULL;
	sqlite3 *db;

	if (tsm_store_open(&s, dir, k) < 0)
		_exit(2);
	db = tsm_store_db(s);
	if (sqlite3_exec(db,
			 "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=50",
			 NULL, NULL, NULL) != SQLITE_OK)
		_exit(3);
	/* Two committed transactions: in WAL mode they stay in the WAL,
	 * never checkpointed. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    insert_rows(db, 1, 200) < 0 ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		_exit(4);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    insert_rows(db, 201, 100) < 0 ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		_exit(5);
	/* A big transaction that spills the cache: uncommitted frames in
	 * the WAL, or changed pages in the database and a hot journal. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "UPDATE t SET pad = zeroblob(301)", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    insert_rows(db, 301, 3000) < 0)
		_exit(6);
	if (write(fd, "x", 1) != 1)
		_exit(7);
	(void)journal;
	for (;;)
		pause();
}

static void crash(int journal)
{
	const char *dir =
	    fresh_dir(journal == TSM_JOURNAL_WAL ? "kill-wal" : "kill-jrnl");
	char path[4200];
	tsm_store *s = make_store(dir, journal);
	int fds[2], status, n;
	tsm_key *k;
	pid_t pid;
	char c;

	exec_ok(tsm_store_db(s), "CREATE TABLE t(id INTEGER PRIMARY KEY, "
				 "name TEXT, pad BLOB);"
				 "CREATE INDEX t_name ON t(name)");
	tsm_store_free(s);
	k = unwrap(dir);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_writer(dir, k, journal, fds[1]);
	}
	close(fds[1]);
	n = (int)read(fds[0], &c, 1);
	close(fds[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(n, 1); /* the child reached the open transaction */
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	if (journal == TSM_JOURNAL_WAL) {
		/* the committed rows live only in the WAL */
		path_in(path, sizeof(path), dir, TSM_STORE_DBFILE "-wal");
		assert_true(file_size(path) > 300L * TSM_PAGE_SIZE / 10);
		path_in(path, sizeof(path), dir, TSM_STORE_DBFILE "-shm");
		unlink(path); /* force recovery from the WAL itself */
	} else {
		/* a hot journal is left for the next opener to roll back */
		path_in(path, sizeof(path), dir, TSM_STORE_DBFILE "-journal");
		assert_true(file_size(path) > TSM_PAGE_SIZE);
	}

	assert_int_equal(tsm_store_open(&s, dir, k), 0);
	assert_int_equal(read_rows(s), 300);
	assert_int_equal(tsm_store_check(s), 0);
	/* and the store keeps working */
	assert_int_equal(insert_rows(tsm_store_db(s), 301, 1), 0);
	tsm_store_free(s);
	assert_int_equal(tsm_store_open(&s, dir, k), 0);
	assert_int_equal(read_rows(s), 301);
	tsm_store_free(s);
	tsm_key_free(k);
}

static void test_kill_wal(void **state)
{
	(void)state;
	crash(TSM_JOURNAL_WAL);
}

static void test_kill_rollback_journal(void **state)
{
	(void)state;
	crash(TSM_JOURNAL_DELETE);
}

/* A torn or damaged frame at the end of the WAL ends the log there, as
 * SQLite does for plaintext: the store opens at the last intact commit and
 * never shows the damaged frame's data. */
static void test_wal_damaged_tail(void **state)
{
	char src[4096], work[4096], path[4200];
	unsigned char *db, *wal, *key;
	size_t dblen, wallen, keylen;
	tsm_store *s, *r = NULL;
	tsm_key *k;

	(void)state;
	snprintf(src, sizeof(src), "%s", fresh_dir("waltail"));
	snprintf(work, sizeof(work), "%s", fresh_dir("waltail-copy"));
	s = make_store(src, TSM_JOURNAL_WAL);
	exec_ok(tsm_store_db(s), "CREATE TABLE t(id INTEGER PRIMARY KEY, "
				 "name TEXT, pad BLOB)");
	exec_ok(tsm_store_db(s), "PRAGMA wal_autocheckpoint=0;"
				 "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(insert_rows(tsm_store_db(s), 1, 10), 0);
	/* the last commit changes one page: the last frame of the WAL */
	assert_int_equal(insert_rows(tsm_store_db(s), 11, 1), 0);
	path_in(path, sizeof(path), src, TSM_STORE_DBFILE);
	db = tu_read_file(path, &dblen);
	path_in(path, sizeof(path), src, TSM_STORE_DBFILE "-wal");
	wal = tu_read_file(path, &wallen);
	path_in(path, sizeof(path), src, TSM_STORE_KEYFILE);
	key = tu_read_file(path, &keylen);
	assert_non_null(db);
	assert_non_null(wal);
	assert_true(wallen >= 32 + 2 * (24 + TSM_PAGE_SIZE));
	k = unwrap(src);

	/* Intact copy: recovery finds all 11 rows. */
	install(work, db, dblen, key, keylen);
	path_in(path, sizeof(path), work, TSM_STORE_DBFILE "-wal");
	write_file(path, wal, wallen);
	assert_int_equal(tsm_store_open(&r, work, k), 0);
	assert_int_equal(read_rows(r), 11);
	tsm_store_free(r);

	/* Last frame's page damaged: the log ends before that commit. */
	wal[wallen - 500] ^= 0x20;
	install(work, db, dblen, key, keylen);
	path_in(path, sizeof(path), work, TSM_STORE_DBFILE "-wal");
	write_file(path, wal, wallen);
	assert_int_equal(tsm_store_open(&r, work, k), 0);
	assert_int_equal(read_rows(r), 10);
	assert_int_equal(tsm_store_check(r), 0);
	tsm_store_free(r);

	tsm_store_free(s);
	free(db);
	free(wal);
	free(key);
	tsm_key_free(k);
}

/* ---- refused temp files and page geometry ---- */

static sqlite3 *raw_open(const char *path, tsm_vfs *v)
{
	sqlite3 *db = NULL;

	assert_int_equal(
	    sqlite3_open_v2(path, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    tsm_vfs_name(v)),
	    SQLITE_OK);
	sqlite3_extended_result_codes(db, 1);
	return db;
}

static void test_temp_files_refused(void **state)
{
	const char *dir = fresh_dir("tempfile");
	unsigned char key[32], id[16];
	char path[4200];
	sqlite3_stmt *st;
	tsm_vfs *v;
	sqlite3 *db;
	int n = 0, rc, reserve = TSM_PAGE_RESERVE;

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	assert_int_equal(
	    tsm_vfs_create(&v, key, id, TSM_CIPHER_XCHACHA20POLY1305), 0);
	path_in(path, sizeof(path), dir, "raw.db");
	db = raw_open(path, v);
	exec_ok(db, "PRAGMA page_size=4096");
	assert_int_equal(sqlite3_file_control(
			     db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve),
			 SQLITE_OK);
	exec_ok(db,
		"PRAGMA temp_store=FILE; PRAGMA cache_size=10;"
		"CREATE TABLE big(k TEXT, v BLOB);"
		"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM "
		"c WHERE i < 20000) INSERT INTO big SELECT "
		"hex(randomblob(16)), zeroblob(200) FROM c");
	/* A sort far bigger than the cache wants a temp file: refused. */
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT k FROM big ORDER BY k, v",
					    -1, &st, NULL),
			 SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n++;
	sqlite3_finalize(st);
	assert_int_equal(rc & 0xff, SQLITE_CANTOPEN);
	/* With temp_store=MEMORY the same sort runs in memory. */
	exec_ok(db, "PRAGMA temp_store=MEMORY");
	n = 0;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT k FROM big ORDER BY k, v",
					    -1, &st, NULL),
			 SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n++;
	sqlite3_finalize(st);
	assert_int_equal(rc, SQLITE_DONE);
	assert_int_equal(n, 20000);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	tsm_vfs_free(v);
}

static void test_page1_geometry_enforced(void **state)
{
	const char *dir = fresh_dir("geometry");
	unsigned char key[32], id[16];
	char path[4200];
	tsm_vfs *v;
	sqlite3 *db;
	int rc;

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	assert_int_equal(
	    tsm_vfs_create(&v, key, id, TSM_CIPHER_XCHACHA20POLY1305), 0);
	path_in(path, sizeof(path), dir, "raw.db");
	db = raw_open(path, v);
	/* no reserved bytes: the first write of page 1 is refused */
	exec_ok(db, "PRAGMA page_size=4096; PRAGMA journal_mode=DELETE");
	rc = sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
	assert_int_equal(sqlite3_extended_errcode(db), SQLITE_IOERR_WRITE);
	assert_int_not_equal(rc, SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_true(file_size(path) <= 0);
	tsm_vfs_free(v);
}

/* ---- seal and open ---- */

static void test_seal_open(void **state)
{
	unsigned char key[32], id[16], id2[16], page[TSM_PAGE_SIZE],
	    orig[TSM_PAGE_SIZE], zero[TSM_PAGE_SIZE];
	tsm_vfs *v, *w, *g;
	int cipher;

	(void)state;
	memset(zero, 0, sizeof(zero));
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	memcpy(id2, id, sizeof(id));
	id2[0] ^= 1;
	for (cipher = TSM_CIPHER_XCHACHA20POLY1305;
	     cipher <= TSM_CIPHER_AES256GCM; cipher++) {
		if (cipher == TSM_CIPHER_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			break;
		assert_int_equal(tsm_vfs_create(&v, key, id, cipher), 0);
		assert_int_equal(tsm_vfs_create(&w, key, id2, cipher), 0);
		assert_string_not_equal(tsm_vfs_name(v), tsm_vfs_name(w));
		randombytes_buf(orig, sizeof(orig));
		memset(orig + TSM_PAGE_SIZE - TSM_PAGE_RESERVE, 0,
		       TSM_PAGE_RESERVE);

		memcpy(page, orig, sizeof(page));
		assert_int_equal(tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7), 0);
		assert_memory_not_equal(page, orig, 64);
		assert_int_equal(tsm_vfs_open(v, page, TSM_VFS_MAIN, 7), 0);
		assert_memory_equal(page, orig, sizeof(page));

		/* two seals of the same page differ (fresh nonce) */
		{
			unsigned char a[TSM_PAGE_SIZE];

			memcpy(page, orig, sizeof(page));
			memcpy(a, orig, sizeof(a));
			tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
			tsm_vfs_seal(v, a, TSM_VFS_MAIN, 7);
			assert_memory_not_equal(page, a, sizeof(a));
		}

		/* wrong location, kind or database id: refused, zeroed */
		memcpy(page, orig, sizeof(page));
		tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
		assert_int_equal(tsm_vfs_open(v, page, TSM_VFS_MAIN, 8),
				 TSM_ECORRUPT);
		assert_memory_equal(page, zero, sizeof(page));
		memcpy(page, orig, sizeof(page));
		tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
		assert_int_equal(tsm_vfs_open(v, page, TSM_VFS_WAL, 7),
				 TSM_ECORRUPT);
		memcpy(page, orig, sizeof(page));
		tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
		assert_int_equal(tsm_vfs_open(w, page, TSM_VFS_MAIN, 7),
				 TSM_ECORRUPT);
		/* the same key under the other cipher */
		if (crypto_aead_aes256gcm_is_available()) {
			int other = cipher == TSM_CIPHER_AES256GCM
					? TSM_CIPHER_XCHACHA20POLY1305
					: TSM_CIPHER_AES256GCM;

			assert_int_equal(tsm_vfs_create(&g, key, id, other), 0);
			memcpy(page, orig, sizeof(page));
			tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
			assert_int_equal(tsm_vfs_open(g, page, TSM_VFS_MAIN, 7),
					 TSM_ECORRUPT);
			tsm_vfs_free(g);
		}
		/* every byte of the page is covered, reserved ones too */
		{
			size_t i;

			for (i = 0; i < TSM_PAGE_SIZE; i += 37) {
				memcpy(page, orig, sizeof(page));
				tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
				page[i] ^= 0x80;
				assert_int_equal(
				    tsm_vfs_open(v, page, TSM_VFS_MAIN, 7),
				    TSM_ECORRUPT);
			}
			for (i = TSM_PAGE_SIZE - TSM_PAGE_RESERVE;
			     i < TSM_PAGE_SIZE; i++) {
				memcpy(page, orig, sizeof(page));
				tsm_vfs_seal(v, page, TSM_VFS_MAIN, 7);
				page[i] ^= 0x01;
				assert_int_equal(
				    tsm_vfs_open(v, page, TSM_VFS_MAIN, 7),
				    TSM_ECORRUPT);
			}
		}
		tsm_vfs_free(v);
		tsm_vfs_free(w);
	}
}

/* A forked child never reuses the parent's nonces: the nonce generator's
 * state is wiped in the child, which reseeds. */
static void test_nonces_after_fork(void **state)
{
	unsigned char key[32], id[16], mine[TSM_PAGE_SIZE],
	    theirs[TSM_PAGE_SIZE];
	int fds[2], status;
	tsm_vfs *v;
	pid_t pid;

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	assert_int_equal(
	    tsm_vfs_create(&v, key, id, TSM_CIPHER_XCHACHA20POLY1305), 0);
	memset(mine, 0, sizeof(mine));
	tsm_vfs_seal(v, mine, TSM_VFS_MAIN, 1); /* the generator is seeded */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		memset(theirs, 0, sizeof(theirs));
		tsm_vfs_seal(v, theirs, TSM_VFS_MAIN, 2);
		_exit(write(fds[1], theirs + TSM_PAGE_SIZE - TSM_PAGE_RESERVE,
			    24) == 24
			  ? 0
			  : 1);
	}
	close(fds[1]);
	memset(mine, 0, sizeof(mine));
	tsm_vfs_seal(v, mine, TSM_VFS_MAIN, 2);
	assert_int_equal(read(fds[0], theirs, 24), 24);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_memory_not_equal(mine + TSM_PAGE_SIZE - TSM_PAGE_RESERVE, theirs,
				24);
	tsm_vfs_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seal_open),
	    cmocka_unit_test(test_nonces_after_fork),
	    cmocka_unit_test(test_flip_every_page),
	    cmocka_unit_test(test_swapped_zeroed_and_foreign_pages),
	    cmocka_unit_test(test_wal_frame_tampered),
	    cmocka_unit_test(test_wal_damaged_tail),
	    cmocka_unit_test(test_kill_wal),
	    cmocka_unit_test(test_kill_rollback_journal),
	    cmocka_unit_test(test_temp_files_refused),
	    cmocka_unit_test(test_page1_geometry_enforced),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
