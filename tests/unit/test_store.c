/* tests/unit/test_store.c — the store API: create/open in WAL and rollback
 * modes, no plaintext in any file, wrong passphrase, passwd, vacuum, temp
 * files, two connections (a writer waited for, then named busy), bulk mode,
 * plaintext stores and nested transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "store_internal.h"
#include "testutil.h"

static const char PASS[] = "Wang Fang's 长城 passphrase 7";
#define PASSLEN (sizeof(PASS) - 1)

/* Distinctive strings the tests look for in the raw files. */
#define CANARY "CANARY-Li-Xiaoming-138-0000"
#define CANARY2 "SECOND-Chen-Jing-010-5555"

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

static tsm_store *make_store(const char *dir, int journal, int plaintext)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	int err;

	o.kdf = TSM_KDF_INTERACTIVE;
	o.journal_mode = journal;
	o.plaintext = plaintext;
	err = tsm_store_create(&s, dir, plaintext ? NULL : PASS,
			       plaintext ? 0 : PASSLEN, &o);
	if (err < 0)
		fail_msg("create: %s", tsm_error_last()->message);
	return s;
}

static tsm_store *open_store(const char *dir)
{
	tsm_store *s = NULL;
	tsm_key *k = NULL;

	if (tsm_key_unwrap(&k, dir, PASS, PASSLEN) < 0)
		fail_msg("unwrap: %s", tsm_error_last()->message);
	if (tsm_store_open(&s, dir, k) < 0)
		fail_msg("open: %s", tsm_error_last()->message);
	tsm_key_free(k);
	return s;
}

static void exec_ok(tsm_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(tsm_store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int query_int(tsm_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(
	    sqlite3_prepare_v2(tsm_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Inserts n rows (from id first) named "<prefix>-<id>" with some padding so
 * that they fill many pages. */
static void insert_rows(tsm_store *s, const char *prefix, int first, int n)
{
	sqlite3_stmt *st;
	char name[128];
	int i;

	assert_int_equal(
	    sqlite3_prepare_v2(tsm_store_db(s),
			       "INSERT INTO t(id, name, pad) VALUES (?, ?, "
			       "zeroblob(300))",
			       -1, &st, NULL),
	    SQLITE_OK);
	for (i = first; i < first + n; i++) {
		snprintf(name, sizeof(name), "%s-%06d", prefix, i);
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* Checks that rows first..first+n-1 hold exactly the expected names. */
static void expect_rows(tsm_store *s, const char *prefix, int first, int n)
{
	sqlite3_stmt *st;
	char name[128];
	int i = first;

	assert_int_equal(sqlite3_prepare_v2(tsm_store_db(s),
					    "SELECT id, name FROM t ORDER BY "
					    "id",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(name, sizeof(name), "%s-%06d", prefix, i);
		assert_int_equal(sqlite3_column_int(st, 0), i);
		assert_string_equal((const char *)sqlite3_column_text(st, 1),
				    name);
		i++;
	}
	sqlite3_finalize(st);
	assert_int_equal(i, first + n);
}

static int buf_contains(const unsigned char *buf, size_t len,
			const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Nonzero if the file exists and holds needle. */
static int file_has(const char *dir, const char *name, const char *needle)
{
	char path[4200];

	path_in(path, sizeof(path), dir, name);
	return tu_file_contains(path, needle);
}

static long file_size(const char *dir, const char *name)
{
	char path[4200];
	struct stat sb;

	path_in(path, sizeof(path), dir, name);
	if (stat(path, &sb) < 0)
		return -1;
	return (long)sb.st_size;
}

static unsigned char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4200];

	path_in(path, sizeof(path), dir, name);
	return tu_read_file(path, len);
}

static void create_table(tsm_store *s)
{
	exec_ok(s, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, pad "
		   "BLOB); CREATE INDEX t_name ON t(name)");
}

/* ---- round trips ---- */

static void round_trip(int journal, int cipher)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *dir =
	    fresh_dir(journal == TSM_JOURNAL_WAL ? "rt-wal" : "rt-delete");
	char id[33];
	tsm_store *s;
	tsm_key *k;
	struct stat sb;
	char path[4200];

	o.kdf = TSM_KDF_INTERACTIVE;
	o.journal_mode = journal;
	o.cipher = cipher;
	assert_int_equal(tsm_store_create(&s, dir, PASS, PASSLEN, &o), 0);
	assert_true(tsm_store_exists(dir));
	create_table(s);
	exec_ok(s, "BEGIN");
	insert_rows(s, CANARY, 1, 500);
	exec_ok(s, "COMMIT");
	assert_int_equal(tsm_store_check(s), 0);
	tsm_store_free(s);

	/* modes: dir 0700, files 0600 */
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	path_in(path, sizeof(path), dir, TSM_STORE_KEYFILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	path_in(path, sizeof(path), dir, TSM_STORE_DBFILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size % TSM_PAGE_SIZE, 0);

	assert_int_equal(tsm_key_unwrap(&k, dir, PASS, PASSLEN), 0);
	assert_int_equal(tsm_store_id(id, dir), 0);
	assert_string_equal(id, tsm_key_store_id(k));
	assert_int_equal(strlen(id), 32);
	assert_int_equal(tsm_store_open(&s, dir, k), 0);
	tsm_key_free(k);
	expect_rows(s, CANARY, 1, 500);
	assert_int_equal(query_int(s, "PRAGMA page_size"), TSM_PAGE_SIZE);
	assert_int_equal(query_int(s, "PRAGMA foreign_keys"), 1);
	assert_int_equal(query_int(s, "PRAGMA temp_store"), 2);
	assert_int_equal(query_int(s, "PRAGMA mmap_size"), 0);
	assert_int_equal(tsm_store_check(s), 0);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(tsm_store_db(s),
						    "PRAGMA journal_mode", -1,
						    &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
				    journal == TSM_JOURNAL_WAL ? "wal"
							       : "delete");
		sqlite3_finalize(st);
	}
	tsm_store_free(s);
	assert_false(file_has(dir, TSM_STORE_DBFILE, CANARY));
	assert_false(file_has(dir, TSM_STORE_DBFILE, "SQLite format 3"));
}

static void test_round_trip_wal(void **state)
{
	(void)state;
	round_trip(TSM_JOURNAL_WAL, TSM_CIPHER_DEFAULT);
}

static void test_round_trip_delete(void **state)
{
	(void)state;
	round_trip(TSM_JOURNAL_DELETE, TSM_CIPHER_DEFAULT);
}

static void test_round_trip_aes(void **state)
{
	(void)state;
	if (!crypto_aead_aes256gcm_is_available())
		skip();
	round_trip(TSM_JOURNAL_WAL, TSM_CIPHER_AES256GCM);
	round_trip(TSM_JOURNAL_DELETE, TSM_CIPHER_AES256GCM);
}

/* ---- no plaintext in any file ---- */

/* Writes CANARY rows and commits them, then, inside an open transaction,
 * rewrites them and adds CANARY2 rows (enough to spill the page cache), and
 * snapshots tsm.db, -wal and -journal while the transaction is open. Then
 * commits and, with checkpoints off, snapshots the WAL again. found[i] says
 * whether CANARY or CANARY2 occurred in snapshot i. */
enum {
	SNAP_DB,
	SNAP_WAL,
	SNAP_JOURNAL,
	SNAP_WAL_COMMITTED,
	SNAP_DB_END,
	N_SNAP
};

static void capture(const char *dir, int journal, int plaintext,
		    int found[N_SNAP], int present[N_SNAP])
{
	static const char *const names[N_SNAP] = {
	    TSM_STORE_DBFILE, TSM_STORE_DBFILE "-wal",
	    TSM_STORE_DBFILE "-journal", TSM_STORE_DBFILE "-wal",
	    TSM_STORE_DBFILE};
	tsm_store *s = make_store(dir, journal, plaintext);
	unsigned char *buf;
	size_t len;
	int i;

	exec_ok(s, "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=50");
	create_table(s);
	exec_ok(s, "BEGIN");
	insert_rows(s, CANARY, 1, 300);
	exec_ok(s, "COMMIT");
	if (journal == TSM_JOURNAL_WAL)
		exec_ok(s, "PRAGMA wal_checkpoint(TRUNCATE)");
	exec_ok(s, "BEGIN");
	exec_ok(s, "UPDATE t SET pad = zeroblob(310)");
	insert_rows(s, CANARY2, 1000, 600);
	for (i = 0; i < N_SNAP; i++) {
		if (i == SNAP_WAL_COMMITTED) {
			exec_ok(s, "COMMIT");
		} else if (i == SNAP_DB_END) {
			tsm_store_free(s);
			s = NULL;
		}
		buf = slurp(dir, names[i], &len);
		present[i] = buf != NULL && len > 0;
		found[i] = buf != NULL && (buf_contains(buf, len, CANARY) ||
					   buf_contains(buf, len, CANARY2));
		free(buf);
	}
	tsm_store_free(s);
}

static void test_no_plaintext_wal(void **state)
{
	int found[N_SNAP], present[N_SNAP], i;

	(void)state;
	/* Control: the same steps on a plaintext store do show the names,
	 * so the snapshots really catch data in flight. */
	capture(fresh_dir("plain-wal"), TSM_JOURNAL_WAL, 1, found, present);
	assert_true(found[SNAP_WAL]);
	assert_true(found[SNAP_WAL_COMMITTED]);
	assert_true(found[SNAP_DB]);

	capture(fresh_dir("crypt-wal"), TSM_JOURNAL_WAL, 0, found, present);
	assert_true(present[SNAP_DB]);
	assert_true(present[SNAP_WAL]);
	assert_true(present[SNAP_WAL_COMMITTED]);
	for (i = 0; i < N_SNAP; i++)
		assert_false(found[i]);
}

static void test_no_plaintext_journal(void **state)
{
	int found[N_SNAP], present[N_SNAP], i;

	(void)state;
	capture(fresh_dir("plain-jrnl"), TSM_JOURNAL_DELETE, 1, found, present);
	assert_true(found[SNAP_JOURNAL]);
	assert_true(found[SNAP_DB]);

	capture(fresh_dir("crypt-jrnl"), TSM_JOURNAL_DELETE, 0, found, present);
	assert_true(present[SNAP_DB]);
	assert_true(present[SNAP_JOURNAL]);
	for (i = 0; i < N_SNAP; i++)
		assert_false(found[i]);
}

/* ---- passphrases and keys ---- */

static void test_wrong_passphrase(void **state)
{
	const char *dir = fresh_dir("wrongpass");
	unsigned char *db0, *key0, *db1, *key1;
	size_t dblen0, keylen0, dblen1, keylen1;
	tsm_store *s = make_store(dir, TSM_JOURNAL_WAL, 0);
	unsigned char raw[32];
	tsm_key *k = NULL;
	char path[4200];

	(void)state;
	create_table(s);
	insert_rows(s, CANARY, 1, 20);
	tsm_store_free(s);
	db0 = slurp(dir, TSM_STORE_DBFILE, &dblen0);
	key0 = slurp(dir, TSM_STORE_KEYFILE, &keylen0);
	assert_non_null(db0);
	assert_non_null(key0);

	assert_int_equal(tsm_key_unwrap(&k, dir, "wang fang", 9), TSM_EAUTH);
	assert_null(k);
	assert_int_equal(tsm_error_last()->code, TSM_EAUTH);
	assert_string_equal(tsm_error_last()->message, "wrong passphrase");
	/* one character short of the right one */
	assert_int_equal(tsm_key_unwrap(&k, dir, PASS, PASSLEN - 1), TSM_EAUTH);

	/* a raw key of the right store id but wrong bytes */
	assert_int_equal(tsm_key_unwrap(&k, dir, PASS, PASSLEN), 0);
	randombytes_buf(raw, sizeof(raw));
	{
		tsm_key *bad;

		assert_int_equal(
		    tsm_key_from_bytes(&bad, raw, tsm_key_id_bytes(k)), 0);
		assert_int_equal(tsm_store_open(&s, dir, bad), TSM_EAUTH);
		assert_null(s);
		tsm_key_free(bad);
	}
	tsm_key_free(k);

	db1 = slurp(dir, TSM_STORE_DBFILE, &dblen1);
	key1 = slurp(dir, TSM_STORE_KEYFILE, &keylen1);
	assert_int_equal(dblen0, dblen1);
	assert_int_equal(keylen0, keylen1);
	assert_memory_equal(db0, db1, dblen0);
	assert_memory_equal(key0, key1, keylen0);
	path_in(path, sizeof(path), dir, TSM_STORE_DBFILE "-wal");
	assert_int_equal(access(path, F_OK), -1);
	free(db0);
	free(key0);
	free(db1);
	free(key1);
}

static void test_key_from_other_store(void **state)
{
	char other[4096];
	const char *dir;
	tsm_store *s;
	tsm_key *k;

	(void)state;
	snprintf(other, sizeof(other), "%s", fresh_dir("other-a"));
	s = make_store(other, TSM_JOURNAL_WAL, 0);
	tsm_store_free(s);
	assert_int_equal(tsm_key_unwrap(&k, other, PASS, PASSLEN), 0);
	dir = fresh_dir("other-b");
	s = make_store(dir, TSM_JOURNAL_WAL, 0);
	tsm_store_free(s);
	assert_int_equal(tsm_store_open(&s, dir, k), TSM_EAUTH);
	assert_null(s);
	tsm_key_free(k);
}

static void test_passwd(void **state)
{
	const char *dir = fresh_dir("passwd");
	static const char NEWPASS[] = "Zhao Lei new passphrase";
	unsigned char *db0, *db1, *key0;
	size_t len0, len1, keylen0;
	tsm_store *s = make_store(dir, TSM_JOURNAL_WAL, 0);
	tsm_key *k = NULL;
	char path[4200];

	(void)state;
	create_table(s);
	insert_rows(s, CANARY, 1, 50);
	tsm_store_free(s);
	db0 = slurp(dir, TSM_STORE_DBFILE, &len0);
	key0 = slurp(dir, TSM_STORE_KEYFILE, &keylen0);

	/* wrong old passphrase: nothing changes */
	assert_int_equal(tsm_store_passwd(dir, "nope", 4, NEWPASS,
					  sizeof(NEWPASS) - 1,
					  TSM_KDF_INTERACTIVE),
			 TSM_EAUTH);
	{
		size_t l;
		unsigned char *kb = slurp(dir, TSM_STORE_KEYFILE, &l);

		assert_int_equal(l, keylen0);
		assert_memory_equal(kb, key0, l);
		free(kb);
	}

	assert_int_equal(tsm_store_passwd(dir, PASS, PASSLEN, NEWPASS,
					  sizeof(NEWPASS) - 1,
					  TSM_KDF_INTERACTIVE),
			 0);
	path_in(path, sizeof(path), dir, TSM_STORE_KEYFILE ".tmp");
	assert_int_equal(access(path, F_OK), -1);
	db1 = slurp(dir, TSM_STORE_DBFILE, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(db0, db1, len0);

	assert_int_equal(tsm_key_unwrap(&k, dir, PASS, PASSLEN), TSM_EAUTH);
	assert_int_equal(tsm_key_unwrap(&k, dir, NEWPASS, sizeof(NEWPASS) - 1),
			 0);
	assert_int_equal(tsm_store_open(&s, dir, k), 0);
	expect_rows(s, CANARY, 1, 50);
	tsm_store_free(s);
	tsm_key_free(k);
	free(db0);
	free(db1);
	free(key0);
}

/* ---- maintenance ---- */

static void test_vacuum(void **state)
{
	const char *dir = fresh_dir("vacuum");
	tsm_store *s = make_store(dir, TSM_JOURNAL_WAL, 0);
	long before, after;

	(void)state;
	create_table(s);
	exec_ok(s, "BEGIN");
	insert_rows(s, CANARY, 1, 2000);
	exec_ok(s, "COMMIT");
	exec_ok(s, "DELETE FROM t WHERE id > 500");
	tsm_store_free(s);
	before = file_size(dir, TSM_STORE_DBFILE);

	s = open_store(dir);
	assert_int_equal(tsm_store_vacuum(s), 0);
	expect_rows(s, CANARY, 1, 500);
	tsm_store_free(s);
	after = file_size(dir, TSM_STORE_DBFILE);
	assert_true(after < before / 2);
	assert_false(file_has(dir, TSM_STORE_DBFILE, CANARY));
	assert_false(file_has(dir, TSM_STORE_DBFILE, "SQLite format 3"));

	s = open_store(dir);
	expect_rows(s, CANARY, 1, 500);
	assert_int_equal(tsm_store_check(s), 0);
	tsm_store_free(s);
}

static int dir_entries(const char *dir, char names[][300], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n < max)
			snprintf(names[n], 300, "%s", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* A sort and an index build far beyond the page cache work, in memory. */
static void test_big_sort_in_memory(void **state)
{
	const char *dir = fresh_dir("bigsort");
	tsm_store *s = make_store(dir, TSM_JOURNAL_DELETE, 0);
	char names[16][300];
	sqlite3_stmt *st;
	int n, i, rows = 0;
	char prev[128] = "";

	(void)state;
	exec_ok(s, "PRAGMA cache_size=20");
	exec_ok(s, "CREATE TABLE big(id INTEGER PRIMARY KEY, k TEXT, v BLOB)");
	exec_ok(s, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 "
		   "FROM c WHERE i < 20000) INSERT INTO big SELECT i, "
		   "hex(randomblob(16)), zeroblob(200) FROM c");
	assert_int_equal(sqlite3_prepare_v2(tsm_store_db(s),
					    "SELECT k, v FROM big ORDER BY k",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		assert_true(strcmp(prev, k) <= 0);
		snprintf(prev, sizeof(prev), "%s", k);
		rows++;
	}
	sqlite3_finalize(st);
	assert_int_equal(rows, 20000);
	exec_ok(s, "CREATE INDEX big_k ON big(k, v)");
	assert_int_equal(query_int(s, "SELECT count(*) FROM big "
				      "INDEXED BY big_k WHERE k > ''"),
			 20000);
	/* Only the store's own files exist in the directory. */
	n = dir_entries(dir, names, 16);
	for (i = 0; i < n && i < 16; i++)
		assert_true(strcmp(names[i], TSM_STORE_DBFILE) == 0 ||
			    strcmp(names[i], TSM_STORE_KEYFILE) == 0);
	assert_int_equal(tsm_store_check(s), 0);
	tsm_store_free(s);
}

/* ---- store directory ---- */

static void test_missing_and_existing(void **state)
{
	const char *dir = fresh_dir("exists");
	char sub[4200], id[33];
	tsm_store *s = NULL;
	tsm_key *k = NULL;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b/store", dir);
	assert_false(tsm_store_exists(sub));
	assert_int_equal(tsm_key_unwrap(&k, sub, PASS, PASSLEN), TSM_ENOTFOUND);
	assert_non_null(strstr(tsm_error_last()->message, "no store in"));
	assert_int_equal(tsm_store_open_plaintext(&s, sub), TSM_ENOTFOUND);
	assert_int_equal(tsm_store_id(id, sub), TSM_ENOTFOUND);
	s = make_store(sub, TSM_JOURNAL_WAL, 0);
	tsm_store_free(s);
	assert_true(tsm_store_exists(sub));
	{
		tsm_store_options o = TSM_STORE_OPTIONS_INIT;

		o.kdf = TSM_KDF_INTERACTIVE;
		assert_int_equal(tsm_store_create(&s, sub, PASS, PASSLEN, &o),
				 TSM_EEXISTS);
		assert_null(s);
	}
	/* a database without a key file (an interrupted create) is kept */
	{
		tsm_store_options o = TSM_STORE_OPTIONS_INIT;
		char half[4200], path[4300];
		FILE *f;

		o.kdf = TSM_KDF_INTERACTIVE;
		snprintf(half, sizeof(half), "%s/half", dir);
		assert_int_equal(mkdir(half, 0700), 0);
		path_in(path, sizeof(path), half, TSM_STORE_DBFILE);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("leftover", f);
		fclose(f);
		assert_int_equal(tsm_store_create(&s, half, PASS, PASSLEN, &o),
				 TSM_EEXISTS);
		assert_true(tu_file_contains(path, "leftover"));
		assert_false(tsm_store_exists(half));
	}
	/* an encrypted store does not open as plaintext */
	assert_int_equal(tsm_store_open_plaintext(&s, sub), TSM_EINVALID);
	s = open_store(sub);
	tsm_store_free(s);
}

/* Two connections (two VFS registrations) on one store see each other's
 * commits through the shared WAL. */
static void test_two_connections(void **state)
{
	const char *dir = fresh_dir("twoconn");
	tsm_store *a = make_store(dir, TSM_JOURNAL_WAL, 0), *b;

	(void)state;
	create_table(a);
	b = open_store(dir);
	insert_rows(a, CANARY, 1, 100);
	expect_rows(b, CANARY, 1, 100);
	insert_rows(b, CANARY, 101, 100);
	expect_rows(a, CANARY, 1, 200);
	exec_ok(a, "PRAGMA wal_checkpoint(TRUNCATE)");
	insert_rows(a, CANARY, 201, 10);
	expect_rows(b, CANARY, 1, 210);
	assert_int_equal(tsm_store_check(b), 0);
	tsm_store_free(a);
	tsm_store_free(b);
	assert_false(file_has(dir, TSM_STORE_DBFILE, CANARY));
}

/* The journal mode the connection of s is in. */
static int in_mode(tsm_store *s, const char *want)
{
	sqlite3_stmt *st = NULL;
	int same;

	assert_int_equal(sqlite3_prepare_v2(tsm_store_db(s),
					    "PRAGMA journal_mode", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	same = strcmp((const char *)sqlite3_column_text(st, 0), want) == 0;
	sqlite3_finalize(st);
	return same;
}

/* A second writer waits for the first (SQLite's busy timeout, 5 s), then
 * gets TSM_EBUSY with a message that says what to do. Bulk mode leaves WAL
 * for a rollback journal when it has the store to itself, and stays in WAL
 * when another connection has it open. */
static void test_busy_and_bulk(void **state)
{
	const char *dir = fresh_dir("busy");
	tsm_store *a = make_store(dir, TSM_JOURNAL_WAL, 0), *b;

	(void)state;
	create_table(a);
	assert_int_equal(tsm_store_bulk_begin(a), 0);
	assert_true(in_mode(a, "delete"));
	insert_rows(a, CANARY, 1, 10);
	assert_int_equal(tsm_store_bulk_end(a), 0);
	assert_true(in_mode(a, "wal"));
	b = open_store(dir);
	assert_int_equal(tsm_store_bulk_begin(a), 0);
	assert_true(in_mode(a, "wal")); /* b has it open: stays */
	assert_int_equal(tsm_store_bulk_end(a), 0);
	assert_true(in_mode(a, "wal"));
	assert_int_equal(tsm_store_begin(a), 0);
	insert_rows(a, CANARY, 11, 1);
	assert_int_equal(tsm_store_begin(b), TSM_EBUSY);
	assert_non_null(strstr(tsm_error_last()->message,
			       "the store is busy: another tsm command is "
			       "writing to it"));
	assert_int_equal(tsm_store_end(a, 1), 0);
	expect_rows(b, CANARY, 1, 11);
	tsm_store_free(a);
	tsm_store_free(b);
}

/* ---- plaintext stores and transactions ---- */

static int count_t(tsm_store *s)
{
	return query_int(s, "SELECT count(*) FROM t");
}

struct txn {
	int fail;
	int nested;
};

static int insert_one(tsm_store *s, void *payload)
{
	struct txn *t = payload;
	struct txn inner = {0, 0};

	exec_ok(s, "INSERT INTO t(name) VALUES ('x')");
	if (t->nested)
		assert_int_equal(tsm_store_transaction(s, insert_one, &inner),
				 0);
	return t->fail ? TSM_EINVALID : 0;
}

static void test_plaintext_and_transactions(void **state)
{
	const char *dir = fresh_dir("plain");
	struct txn t = {0, 0};
	tsm_store *s;
	tsm_key *k = NULL;

	(void)state;
	s = make_store(dir, TSM_JOURNAL_WAL, 1);
	assert_true(tsm_store_exists(dir));
	assert_string_equal(tsm_store_dir(s), dir);
	create_table(s);
	assert_int_equal(tsm_store_transaction(s, insert_one, &t), 0);
	t.fail = 1;
	assert_int_equal(tsm_store_transaction(s, insert_one, &t),
			 TSM_EINVALID);
	assert_int_equal(count_t(s), 1);
	/* nested: the inner level commits nothing on its own */
	t.fail = 0;
	t.nested = 1;
	assert_int_equal(tsm_store_transaction(s, insert_one, &t), 0);
	assert_int_equal(count_t(s), 3);
	t.fail = 1;
	assert_int_equal(tsm_store_transaction(s, insert_one, &t),
			 TSM_EINVALID);
	assert_int_equal(count_t(s), 3);
	/* begin/end by hand: one failed level rolls everything back */
	assert_int_equal(tsm_store_begin(s), 0);
	assert_int_equal(tsm_store_begin(s), 0);
	exec_ok(s, "INSERT INTO t(name) VALUES ('y')");
	assert_int_equal(tsm_store_end(s, 0), 0);
	assert_int_equal(tsm_store_end(s, 1), 0);
	assert_int_equal(count_t(s), 3);
	assert_int_equal(tsm_store_end(s, 1), TSM_EINVALID);
	tsm_store_free(s);

	assert_int_equal(tsm_key_unwrap(&k, dir, PASS, PASSLEN), TSM_EINVALID);
	assert_int_equal(tsm_store_open_plaintext(&s, dir), 0);
	assert_int_equal(count_t(s), 3);
	tsm_store_free(s);
	assert_true(file_has(dir, TSM_STORE_DBFILE, "SQLite format 3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_wal),
	    cmocka_unit_test(test_busy_and_bulk),
	    cmocka_unit_test(test_round_trip_delete),
	    cmocka_unit_test(test_round_trip_aes),
	    cmocka_unit_test(test_no_plaintext_wal),
	    cmocka_unit_test(test_no_plaintext_journal),
	    cmocka_unit_test(test_wrong_passphrase),
	    cmocka_unit_test(test_key_from_other_store),
	    cmocka_unit_test(test_passwd),
	    cmocka_unit_test(test_vacuum),
	    cmocka_unit_test(test_big_sort_in_memory),
	    cmocka_unit_test(test_missing_and_existing),
	    cmocka_unit_test(test_two_connections),
	    cmocka_unit_test(test_plaintext_and_transactions),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
