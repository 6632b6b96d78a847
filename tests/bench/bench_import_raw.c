/* tests/bench/bench_import_raw.c — the floor under `tsm import`: the rows an
 * import of a lead list stands for, written straight into tsm's schema with
 * plain SQLite, no op log logic, no merge, no encryption.
 *
 *   usage: bench_import_raw FILE.csv DIR
 *
 * FILE is the simple CSV that bench_import.sh generates (a header, then
 * name, phone, company, industry, region, size, source, note; no quotes).
 * For each row it inserts what an import writes: the customer's create op
 * and note op, the customer row and the note row, into a fresh database
 * DIR/raw.db with every tsm table and index, the store's page size and
 * page cache, and the rollback journal an import runs under. One
 * transaction. Prints the wall and cpu seconds. Not run by CTest. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "schema.h"
#include "tsm/common.h"

#define NCOLS 8

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_import_raw: %s: %s\n", what,
		db ? sqlite3_errmsg(db) : tsm_error_last()->message);
	exit(1);
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(db, sql);
	return st;
}

static void step(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(sqlite3_db_handle(st), "insert");
	sqlite3_reset(st);
}

/* A JSON string of plain text (the generated file has no quotes,
 * backslashes or control characters). */
static void put_str(char **p, const char *s)
{
	*(*p)++ = '"';
	while (*s)
		*(*p)++ = *s++;
	*(*p)++ = '"';
}

static void put_member(char **p, const char *key, const char *val, int first)
{
	if (!first)
		*(*p)++ = ',';
	put_str(p, key);
	*(*p)++ = ':';
	put_str(p, val);
}

int main(int argc, char **argv)
{
	static const char site[] = "5e1f0a2b3c4d5e6f";
	char path[4200], line[4096], create[4096], note[4096], id[16], cop[40],
	    nop[40], phone[40], *f[NCOLS], *p;
	sqlite3_stmt *op, *cust, *nt;
	sqlite3 *db;
	uint64_t hlc = (uint64_t)1795000000000 << 16;
	int64_t seq = 0, rows = 0;
	double w0, c0;
	FILE *in;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_import_raw FILE.csv DIR\n");
		return 2;
	}
	if ((in = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/raw.db", argv[2]);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(db, "open");
	exec_or_die(db, "PRAGMA page_size=4096; PRAGMA journal_mode=DELETE; "
			"PRAGMA synchronous=FULL; PRAGMA cache_size=-32768; "
			"PRAGMA temp_store=2");
	if (tsm_schema_migrate(db) < 0)
		die(NULL, "schema");
	op = prep(db, "INSERT INTO ops(site, seq, hlc, author, etype, eid, "
		      "action, field, value, supersedes) VALUES (?1, ?2, ?3, "
		      "'mgr', 'customer', ?4, ?5, ?6, ?7, ?8)");
	cust =
	    prep(db, "INSERT INTO customers(id, name, phone, company, "
		     "industry, region, size, source, stage, dnc, dnc_flag, "
		     "deleted, created_by, created_at, updated_at, create_op) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'new', 0, 0, 0, "
		     "'mgr', ?9, ?9, ?10)");
	nt = prep(db, "INSERT INTO notes(origin, id, customer, author, at, "
		      "text) VALUES (?1, ?2, ?1, 'mgr', ?3, ?4)");

	w0 = bench_wall();
	c0 = bench_cpu();
	exec_or_die(db, "BEGIN IMMEDIATE");
	if (fgets(line, sizeof(line), in) == NULL) /* the header */
		return 1;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = '\0';
		for (i = 0, p = line; i < NCOLS; i++) {
			f[i] = p;
			p += strcspn(p, ",");
			if (*p)
				*p++ = '\0';
		}
		snprintf(id, sizeof(id), "c%07x%05x",
			 (unsigned)(0x1234567 + (rows >> 20)),
			 (unsigned)(rows & 0xfffff));
		snprintf(phone, sizeof(phone), "+86%s", f[1]);
		/* the create: fields in key order, as canonical JSON has */
		p = create;
		*p++ = '{';
		put_member(&p, "company", f[2], 1);
		put_member(&p, "industry", f[3], 0);
		put_member(&p, "name", f[0], 0);
		put_member(&p, "phone", phone, 0);
		put_member(&p, "region", f[4], 0);
		put_member(&p, "size", f[5], 0);
		put_member(&p, "source", f[6], 0);
		*p++ = '}';
		*p = '\0';
		p = note;
		*p++ = '{';
		put_member(&p, "text", f[7], 1);
		*p++ = '}';
		*p = '\0';

		snprintf(cop, sizeof(cop), "%s:%" PRId64, site, ++seq);
		sqlite3_bind_text(op, 1, site, -1, SQLITE_STATIC);
		sqlite3_bind_int64(op, 2, seq);
		sqlite3_bind_int64(op, 3, (sqlite3_int64)++hlc);
		sqlite3_bind_text(op, 4, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 5, "create", -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 6, "", -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 7, create, -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 8, "", -1, SQLITE_STATIC);
		step(op);
		sqlite3_bind_text(cust, 1, id, -1, SQLITE_STATIC);
		for (i = 0; i < 7; i++)
			sqlite3_bind_text(cust, 2 + i, i == 1 ? phone : f[i],
					  -1, SQLITE_STATIC);
		sqlite3_bind_int64(cust, 9, (sqlite3_int64)hlc);
		sqlite3_bind_text(cust, 10, cop, -1, SQLITE_STATIC);
		step(cust);

		snprintf(nop, sizeof(nop), "%s:%" PRId64, site, ++seq);
		sqlite3_bind_int64(op, 2, seq);
		sqlite3_bind_int64(op, 3, (sqlite3_int64)++hlc);
		sqlite3_bind_text(op, 5, "append", -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 6, "note", -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 7, note, -1, SQLITE_STATIC);
		sqlite3_bind_text(op, 8, cop, -1, SQLITE_STATIC);
		step(op);
		sqlite3_bind_text(nt, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(nt, 2, nop, -1, SQLITE_STATIC);
		sqlite3_bind_int64(nt, 3, (sqlite3_int64)hlc);
		sqlite3_bind_text(nt, 4, f[7], -1, SQLITE_STATIC);
		step(nt);
		rows++;
	}
	exec_or_die(db, "COMMIT");
	printf("%" PRId64 " rows %.3f s wall %.3f s cpu\n", rows,
	       bench_wall() - w0, bench_cpu() - c0);
	sqlite3_finalize(op);
	sqlite3_finalize(cust);
	sqlite3_finalize(nt);
	sqlite3_close(db);
	fclose(in);
	return 0;
}
