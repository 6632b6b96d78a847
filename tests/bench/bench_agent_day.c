/* tests/bench/bench_agent_day.c — "agent day": the cost of page encryption on
 * a realistic store (20,000 customers, 200,000 calls) under a fixed mix of
 * lookups, scans and small writes, encrypted vs plaintext in one run.
 * usage: bench_agent_day [CUSTOMERS [REPEATS [CACHE_KIB]]]
 * (calls = 10 x customers; CACHE_KIB 0 = SQLite's default cache_size) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "store_internal.h"
#include "vfs.h"

#define N_AGENTS 20
#define ME 7 /* the agent whose day this is */
#define DAY_MS (24LL * 3600 * 1000)
#define T0 1767225600000LL /* 2026-01-01 00:00 UTC */
#define SPAN_DAYS 180

enum { CFG_PLAIN, CFG_XCHACHA, CFG_AES, N_CFG };

static const char *const cfg_name[N_CFG] = {"plaintext", "xchacha20poly1305",
					    "aes256gcm"};

/* Times are the best of the repeats: wall clock and this process's CPU
 * time (less disturbed by other work on a shared machine). */
struct cfg {
	int on;
	char dir[4096];
	double build, build_cpu, day, day_cpu;
	long misses, writes;
};

static const char PASS[] = "bench passphrase";

static const char *const surname[] = {"Wang", "Li",   "Zhang", "Liu",  "Chen",
				      "Yang", "Zhao", "Huang", "Zhou", "Wu",
				      "Xu",   "Sun",  "Hu",    "Zhu",  "Gao",
				      "Lin",  "He",   "Guo",   "Ma",   "Luo"};
static const char *const given[] = {"Wei", "Fang",  "Na",   "Min",  "Jing",
				    "Lei", "Qiang", "Jun",  "Yang", "Yan",
				    "Jie", "Tao",   "Ming", "Chao", "Xiu",
				    "Hui", "Hong",  "Ping", "Gang", "Lan"};
static const char *const word[] = {
    "asked",	"about",   "contract", "review",   "fees",     "callback",
    "next",	"week",	   "manager",  "needs",	   "quote",    "for",
    "labour",	"dispute", "company",  "lawyer",   "meeting",  "busy",
    "interest", "in",	   "annual",   "retainer", "send",     "brochure",
    "by",	"email",   "follow",   "up",	   "Thursday", "morning"};
static const char *const industry[] = {"retail", "logistics",	 "software",
				       "food",	 "construction", "education"};
static const char *const region[] = {"Beijing",	 "Shanghai", "Shenzhen",
				     "Hangzhou", "Chengdu",  "Wuhan"};

/* xorshift64*: the same sequence on every run and for every store */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 1;
}

static uint32_t rnd(uint32_t n)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

static void keep_min(double *best, double x, int first)
{
	if (first || x < *best)
		*best = x;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_agent_day: %s: %s\n", what,
		tsm_error_last()->message);
	exit(1);
}

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_agent_day: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die_sql(db, sql);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die_sql(db, sql);
	return st;
}

static void run(sqlite3 *db, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		die_sql(db, "step");
	sqlite3_reset(st);
}

static void make_note(char *out, size_t size, int words)
{
	size_t len = 0;
	int i, n;

	out[0] = '\0';
	for (i = 0; i < words; i++) {
		n = snprintf(out + len, size - len, "%s%s", i ? " " : "",
			     word[rnd(sizeof(word) / sizeof(word[0]))]);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
}

static void phone_of(char *out, size_t size, int id)
{
	snprintf(out, size, "+86 138 %04d %04d", id / 10000, id % 10000);
}

static void build(sqlite3 *db, int ncust)
{
	sqlite3_stmt *ic, *il;
	char name[64], phone[32], company[64], note[256];
	int i, ncalls = ncust * 10;

	exec(
	    db,
	    "CREATE TABLE bench_customers ("
	    " id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	    " phone TEXT NOT NULL, company TEXT, industry TEXT,"
	    " region TEXT, stage INTEGER NOT NULL, owner INTEGER NOT NULL,"
	    " last_call INTEGER, note TEXT);"
	    "CREATE TABLE bench_calls ("
	    " id INTEGER PRIMARY KEY,"
	    " customer_id INTEGER NOT NULL REFERENCES bench_customers(id),"
	    " agent INTEGER NOT NULL, at INTEGER NOT NULL,"
	    " outcome INTEGER NOT NULL, duration INTEGER NOT NULL,"
	    " note TEXT);"
	    "CREATE INDEX bench_customers_phone ON bench_customers(phone);"
	    "CREATE INDEX bench_customers_owner ON bench_customers(owner, "
	    "stage);"
	    "CREATE INDEX bench_calls_customer ON bench_calls(customer_id, at);"
	    "CREATE INDEX bench_calls_agent ON bench_calls(agent, at)");
	ic = prep(
	    db, "INSERT INTO bench_customers VALUES (?,?,?,?,?,?,?,?,NULL,?)");
	il = prep(db, "INSERT INTO bench_calls VALUES (?,?,?,?,?,?,?)");
	rng_seed(42);
	exec(db, "BEGIN");
	for (i = 1; i <= ncust; i++) {
		snprintf(name, sizeof(name), "%s %s", surname[rnd(20)],
			 given[rnd(20)]);
		phone_of(phone, sizeof(phone), i);
		snprintf(company, sizeof(company), "%s %s Trading Co.",
			 region[rnd(6)], given[rnd(20)]);
		make_note(note, sizeof(note), 6 + (int)rnd(10));
		sqlite3_bind_int(ic, 1, i);
		sqlite3_bind_text(ic, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ic, 3, phone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ic, 4, company, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ic, 5, industry[rnd(6)], -1, SQLITE_STATIC);
		sqlite3_bind_text(ic, 6, region[rnd(6)], -1, SQLITE_STATIC);
		sqlite3_bind_int(ic, 7, (int)rnd(6));
		sqlite3_bind_int(ic, 8, i % N_AGENTS);
		sqlite3_bind_text(ic, 9, note, -1, SQLITE_TRANSIENT);
		run(db, ic);
		if (i % 2000 == 0) {
			exec(db, "COMMIT");
			exec(db, "BEGIN");
		}
	}
	for (i = 1; i <= ncalls; i++) {
		int cust = 1 + (int)rnd((uint32_t)ncust);

		make_note(note, sizeof(note), 3 + (int)rnd(8));
		sqlite3_bind_int(il, 1, i);
		sqlite3_bind_int(il, 2, cust);
		sqlite3_bind_int(il, 3, cust % N_AGENTS);
		sqlite3_bind_int64(
		    il, 4, T0 + (long long)i * SPAN_DAYS * DAY_MS / ncalls);
		sqlite3_bind_int(il, 5, (int)rnd(11));
		sqlite3_bind_int(il, 6, (int)rnd(600));
		sqlite3_bind_text(il, 7, note, -1, SQLITE_TRANSIENT);
		run(db, il);
		if (i % 2000 == 0) {
			exec(db, "COMMIT");
			exec(db, "BEGIN");
		}
	}
	exec(db, "COMMIT");
	sqlite3_finalize(ic);
	sqlite3_finalize(il);
}

/* The agent's day: a fixed mix driven by a fixed seed. 80% of the work is
 * on the agent's own list (bench_customers with owner ME), the rest anywhere.
 */
static void day(sqlite3 *db, int ncust, int nops, long *misses, long *writes)
{
	sqlite3_stmt *by_id, *by_phone, *history, *by_stage, *report, *log,
	    *touch;
	int i, cur, hit, hiw, op;
	char phone[32], note[256];

	by_id = prep(db, "SELECT * FROM bench_customers WHERE id = ?");
	by_phone = prep(db, "SELECT id, name, stage FROM bench_customers "
			    "WHERE phone = ?");
	history =
	    prep(db, "SELECT at, outcome, duration, note FROM bench_calls "
		     "WHERE customer_id = ? ORDER BY at DESC LIMIT 20");
	by_stage =
	    prep(db, "SELECT id, name, phone, last_call FROM bench_customers "
		     "WHERE owner = ? AND stage = ? ORDER BY id "
		     "LIMIT 50");
	report =
	    prep(db, "SELECT outcome, count(*), sum(duration) FROM bench_calls "
		     "WHERE agent = ? AND at BETWEEN ? AND ? "
		     "GROUP BY outcome");
	log = prep(db, "INSERT INTO bench_calls(customer_id, agent, at, "
		       "outcome, duration, note) VALUES (?,?,?,?,?,?)");
	touch = prep(db, "UPDATE bench_customers SET stage = ?, last_call = ? "
			 "WHERE id = ?");
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hit, 1);
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hiw, 1);
	rng_seed(7);
	for (i = 0; i < nops; i++) {
		/* one of the agent's own bench_customers, or anyone */
		int mine =
		    ME + N_AGENTS * (int)rnd((uint32_t)(ncust / N_AGENTS));
		int anyone = 1 + (int)rnd((uint32_t)ncust);
		int cust = rnd(10) < 8 ? (mine ? mine : ME) : anyone;
		long long at = T0 + (long long)rnd(SPAN_DAYS) * DAY_MS;

		op = (int)rnd(100);
		if (op < 30) {
			sqlite3_bind_int(by_id, 1, cust);
			run(db, by_id);
		} else if (op < 45) {
			phone_of(phone, sizeof(phone), anyone);
			sqlite3_bind_text(by_phone, 1, phone, -1,
					  SQLITE_TRANSIENT);
			run(db, by_phone);
		} else if (op < 65) {
			sqlite3_bind_int(history, 1, cust);
			run(db, history);
		} else if (op < 75) {
			sqlite3_bind_int(by_stage, 1, ME);
			sqlite3_bind_int(by_stage, 2, (int)rnd(6));
			run(db, by_stage);
		} else if (op < 85) {
			sqlite3_bind_int(report, 1, ME);
			sqlite3_bind_int64(report, 2, at);
			sqlite3_bind_int64(report, 3, at + DAY_MS);
			run(db, report);
		} else {
			/* log a call: one small write transaction */
			make_note(note, sizeof(note), 3 + (int)rnd(8));
			exec(db, "BEGIN IMMEDIATE");
			sqlite3_bind_int(log, 1, cust);
			sqlite3_bind_int(log, 2, ME);
			sqlite3_bind_int64(log, 3, at);
			sqlite3_bind_int(log, 4, (int)rnd(11));
			sqlite3_bind_int(log, 5, (int)rnd(600));
			sqlite3_bind_text(log, 6, note, -1, SQLITE_TRANSIENT);
			run(db, log);
			sqlite3_bind_int(touch, 1, (int)rnd(6));
			sqlite3_bind_int64(touch, 2, at);
			sqlite3_bind_int(touch, 3, cust);
			run(db, touch);
			exec(db, "COMMIT");
		}
	}
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hit, 0);
	*misses = cur;
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hiw, 0);
	*writes = cur;
	sqlite3_finalize(by_id);
	sqlite3_finalize(by_phone);
	sqlite3_finalize(history);
	sqlite3_finalize(by_stage);
	sqlite3_finalize(report);
	sqlite3_finalize(log);
	sqlite3_finalize(touch);
}

static int cache_kib; /* 0: the store's own cache_size (32 MiB) */

static void set_cache(sqlite3 *db)
{
	char sql[64];

	if (cache_kib <= 0)
		return;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", cache_kib);
	exec(db, sql);
}

/* Microseconds per 4096-byte page to seal and to open, for a cipher. */
static void page_cost(int cipher, double *seal_us, double *open_us)
{
	unsigned char key[32], id[16], page[TSM_PAGE_SIZE],
	    sealed[TSM_PAGE_SIZE];
	const int n = 20000;
	tsm_vfs *v;
	double t;
	int i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(id, sizeof(id));
	randombytes_buf(page, sizeof(page));
	if (tsm_vfs_create(&v, key, id, cipher) < 0)
		die("vfs");
	t = bench_wall();
	for (i = 0; i < n; i++)
		tsm_vfs_seal(v, page, TSM_VFS_MAIN, (uint64_t)i);
	*seal_us = (bench_wall() - t) * 1e6 / n;
	memcpy(sealed, page, sizeof(page));
	tsm_vfs_seal(v, sealed, TSM_VFS_MAIN, 5);
	t = bench_wall();
	for (i = 0; i < n; i++) {
		memcpy(page, sealed, sizeof(page));
		if (tsm_vfs_open(v, page, TSM_VFS_MAIN, 5) < 0)
			die("open page");
	}
	*open_us = (bench_wall() - t) * 1e6 / n;
	tsm_vfs_free(v);
}

/* Creates a fresh store for configuration i, builds it (timed), closes it,
 * then reopens it and runs the day (timed) on a cold page cache. */
static void run_cfg(struct cfg *c, int i, int ncust, int nops, int first)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	tsm_key *key = NULL;
	char cmd[4200];
	double t, tc;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd) != 0)
		die("remove old store");
	o.kdf = TSM_KDF_INTERACTIVE;
	o.plaintext = i == CFG_PLAIN;
	o.cipher =
	    i == CFG_AES ? TSM_CIPHER_AES256GCM : TSM_CIPHER_XCHACHA20POLY1305;
	if (tsm_store_create(&s, c->dir, PASS, sizeof(PASS) - 1, &o) < 0)
		die("create");
	set_cache(tsm_store_db(s));
	t = bench_wall();
	tc = bench_cpu();
	build(tsm_store_db(s), ncust);
	keep_min(&c->build, bench_wall() - t, first);
	keep_min(&c->build_cpu, bench_cpu() - tc, first);
	tsm_store_free(s);
	s = NULL;

	if (i == CFG_PLAIN) {
		if (tsm_store_open_plaintext(&s, c->dir) < 0)
			die("open");
	} else {
		if (tsm_key_unwrap(&key, c->dir, PASS, sizeof(PASS) - 1) < 0)
			die("unwrap");
		if (tsm_store_open(&s, c->dir, key) < 0)
			die("open");
		tsm_key_free(key);
	}
	set_cache(tsm_store_db(s));
	t = bench_wall();
	tc = bench_cpu();
	day(tsm_store_db(s), ncust, nops, &c->misses, &c->writes);
	keep_min(&c->day, bench_wall() - t, first);
	keep_min(&c->day_cpu, bench_cpu() - tc, first);
	tsm_store_free(s);
}

int main(int argc, char **argv)
{
	struct cfg cfg[N_CFG];
	const char *tmp = getenv("TMPDIR");
	char base[3800], cmd[4200];
	int ncust = 20000, reps = 3, nops, i, r;
	double seal_us, open_us;

	if (argc > 1)
		ncust = (int)strtol(argv[1], NULL, 10);
	if (argc > 2)
		reps = (int)strtol(argv[2], NULL, 10);
	if (argc > 3)
		cache_kib = (int)strtol(argv[3], NULL, 10);
	if (ncust < N_AGENTS * 10 || reps < 1 || cache_kib < 0) {
		fprintf(stderr, "usage: bench_agent_day [CUSTOMERS>=200 "
				"[REPEATS [CACHE_KIB]]]\n"
				"  (CACHE_KIB 2000 = SQLite's own default)\n");
		return 2;
	}
	nops = ncust; /* 20,000 operations for the full size */
	if (tsm_init() < 0)
		die("init");
	snprintf(base, sizeof(base), "%s/tsm-bench-agent-day-%ld",
		 tmp ? tmp : "/tmp", (long)getpid());

	printf("agent day: %d customers, %d calls, %d operations per day; "
	       "best of %d runs; sqlite %s, cache_size %s%d KiB, WAL, "
	       "synchronous=NORMAL\n",
	       ncust, ncust * 10, nops, reps, sqlite3_libversion(),
	       cache_kib > 0 ? "" : "store default ",
	       cache_kib > 0 ? cache_kib : 32768);
	page_cost(TSM_CIPHER_XCHACHA20POLY1305, &seal_us, &open_us);
	printf("per 4096-byte page: xchacha20poly1305 seal %.2f us, open "
	       "%.2f us\n",
	       seal_us, open_us);
	memset(cfg, 0, sizeof(cfg));
	cfg[CFG_PLAIN].on = cfg[CFG_XCHACHA].on = 1;
	if (crypto_aead_aes256gcm_is_available()) {
		page_cost(TSM_CIPHER_AES256GCM, &seal_us, &open_us);
		printf("per 4096-byte page: aes256gcm         seal %.2f us, "
		       "open %.2f us\n",
		       seal_us, open_us);
		cfg[CFG_AES].on = 1;
	}
	for (i = 0; i < N_CFG; i++)
		snprintf(cfg[i].dir, sizeof(cfg[i].dir), "%s/%s", base,
			 cfg_name[i]);
	/* the configurations take turns, so drift on a shared machine hits
	 * them alike */
	for (r = 0; r < reps; r++)
		for (i = 0; i < N_CFG; i++)
			if (cfg[i].on)
				run_cfg(&cfg[i], i, ncust, nops, r == 0);

	printf("\n%-18s %9s %9s %9s %9s %11s %11s\n", "store", "build s",
	       "build cpu", "day s", "day cpu", "pages read", "pages wrtn");
	for (i = 0; i < N_CFG; i++) {
		if (!cfg[i].on)
			continue;
		printf("%-18s %9.3f %9.3f %9.3f %9.3f %11ld %11ld\n",
		       cfg_name[i], cfg[i].build, cfg[i].build_cpu, cfg[i].day,
		       cfg[i].day_cpu, cfg[i].misses, cfg[i].writes);
	}
	printf("\nratio encrypted/plaintext (target <= 1.15), wall (cpu):\n");
	for (i = CFG_XCHACHA; i < N_CFG; i++) {
		if (!cfg[i].on)
			continue;
		printf("  %-18s build %.3fx (%.3fx)  day %.3fx (%.3fx)\n",
		       cfg_name[i], cfg[i].build / cfg[CFG_PLAIN].build,
		       cfg[i].build_cpu / cfg[CFG_PLAIN].build_cpu,
		       cfg[i].day / cfg[CFG_PLAIN].day,
		       cfg[i].day_cpu / cfg[CFG_PLAIN].day_cpu);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_agent_day: cannot remove %s\n", base);
	return 0;
}
