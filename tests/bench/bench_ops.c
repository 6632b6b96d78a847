/* tests/bench/bench_ops.c — applying ops: 100,000 ops of a realistic mix
 * (customers created, edited, assigned, moved along the pipeline, called,
 * noted; follow-ups scheduled and done) applied in one transaction, against
 * writing the equivalent rows — the op rows and the table rows they stand
 * for, in tsm's own schema — with plain SQLite in the same run.
 * `bench_ops --soak N` runs the convergence property on N larger sets. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "ops_internal.h"
#include "schema.h"
#include "store_internal.h"
#include "../unit/opgen.h"

#define T0 1795000000000LL
#define NAGENTS 20
#define NLEADS 2

/* A measurement: wall time and this process's CPU time (user + system),
 * the latter steadier on a shared machine. */
typedef struct tm2 {
	double wall;
	double cpu;
} tm2;

static tm2 tm_start(void)
{
	tm2 t = {bench_wall(), bench_cpu()};

	return t;
}

static tm2 tm_since(tm2 t0)
{
	tm2 t = {bench_wall() - t0.wall, bench_cpu() - t0.cpu};

	return t;
}

/* Keeps the best of repeated runs (the least disturbed). */
static void tm_best(tm2 *best, tm2 t)
{
	if (best->wall == 0 || t.wall < best->wall)
		best->wall = t.wall;
	if (best->cpu == 0 || t.cpu < best->cpu)
		best->cpu = t.cpu;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ops: %s: %s\n", what, tsm_error_last()->message);
	exit(1);
}

/* ---- the workload ---- */

typedef struct work {
	oprec *ops;
	size_t n, cap;
	arena mem;
	int64_t seq[NAGENTS + NLEADS + 1];
	int64_t clock;
	int ctr;
} work;

static const char *site_of(int who)
{
	static char sites[NAGENTS + NLEADS + 1][TSM_SITE_LEN + 1];

	snprintf(sites[who], sizeof(sites[who]), "%016x", 0xa000 + who);
	return sites[who];
}

static const char *member_of(int who)
{
	static char names[NAGENTS + NLEADS + 1][16];

	if (who == 0)
		return "boss";
	snprintf(names[who], sizeof(names[who]), "%s%02d",
		 who <= NLEADS ? "lead" : "agent", who);
	return names[who];
}

static char *dupf(work *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *dupf(work *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return arena_strdup(&w->mem, buf);
}

/* Appends one op by who; returns its id (arena). */
static const char *add(work *w, int who, const char *etype, const char *eid,
		       const char *action, const char *field, const char *value,
		       const char *sup)
{
	oprec *o;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->ops = realloc(w->ops, w->cap * sizeof(*w->ops));
		if (w->ops == NULL)
			abort();
	}
	o = &w->ops[w->n++];
	memset(o, 0, sizeof(*o));
	w->clock += 1 + (w->ctr++ % 3 == 0);
	o->hlc = ((uint64_t)w->clock << 16) | (uint64_t)(w->ctr & 0xff);
	o->seq = ++w->seq[who];
	snprintf(o->site, sizeof(o->site), "%s", site_of(who));
	snprintf(o->id, sizeof(o->id), "%s:%" PRId64, o->site, o->seq);
	o->author = member_of(who);
	o->etype = etype;
	o->eid = eid;
	o->action = action;
	o->field = field;
	o->value = value;
	o->sup = sup ? sup : "";
	return arena_strdup(&w->mem, o->id);
}

static void add_roster(work *w)
{
	int i;

	w->clock = T0;
	add(w, 0, "team", "t1", "create", "",
	    "{\"founder\":\"boss\",\"name\":\"Sales\"}", NULL);
	for (i = 0; i <= NAGENTS + NLEADS; i++)
		add(w, 0, "member", member_of(i), "grant", "",
		    dupf(w, "{\"name\":\"Member %d\",\"role\":\"%s\"}", i,
			 i == 0	       ? "manager"
			 : i <= NLEADS ? "lead"
				       : "agent"),
		    NULL);
}

static const char *const outcomes[] = {
    "no-answer",      "busy",	    "gatekeeper", "callback",
    "not-interested", "interested", "order",	  "no-answer",
};

/* About ten ops per customer: create, two edits, an assignment now and
 * then, stage moves, calls, a note, a follow-up scheduled and done. */
static void customers(work *w, size_t target)
{
	const char *cr, *st, *fc, *id, *cid, *fid;
	int k = 0, agent, lead, i;

	while (w->n < target) {
		agent = NLEADS + 1 + k % NAGENTS;
		lead = 1 + k % NLEADS;
		cid = dupf(w, "c%08d", k);
		fid = dupf(w, "f%08d", k);
		cr = add(w, agent, "customer", cid, "create", "",
			 dupf(w,
			      "{\"company\":\"Firm %d\",\"name\":\"Client "
			      "%d\",\"phone\":\"+86138%08d\"}",
			      k, k, k),
			 NULL);
		add(w, agent, "customer", cid, "set", "industry",
		    "\"logistics\"", cr);
		add(w, agent, "customer", cid, "set", "region", "\"Pudong\"",
		    cr);
		if (k % 3 == 0)
			add(w, lead, "customer", cid, "set", "owner",
			    dupf(w, "\"%s\"", member_of(agent)), cr);
		st = add(w, agent, "customer", cid, "set", "stage",
			 "\"contacted\"", cr);
		for (i = 0; i < 3; i++)
			add(w, agent, "customer", cid, "append", "call",
			    dupf(w, "{\"duration_s\":%d,\"outcome\":\"%s\"}",
				 30 * i + k % 97, outcomes[(k + i) % 8]),
			    cr);
		if (k % 2 == 0)
			add(w, agent, "customer", cid, "append", "note",
			    "{\"text\":\"asked for the fee schedule\"}", cr);
		add(w, agent, "customer", cid, "set", "stage", "\"interested\"",
		    dupf(w, "%s %s", cr, st));
		fc = add(w, agent, "followup", fid, "create", "",
			 dupf(w,
			      "{\"customer\":\"%s\",\"due\":%lld,\"kind\":"
			      "\"callback\"}",
			      cid, T0 + 86400000LL * (1 + k % 7)),
			 NULL);
		id = add(w, agent, "followup", fid, "done", "",
			 "{\"satisfaction\":4}", fc);
		(void)id;
		k++;
	}
	w->n = target;
}

/* ---- the baselines: the same rows written raw ---- */

/* Raw databases have tsm's own schema (tables and indexes), opened with
 * plain SQLite: the same page size, journal and sync level as a store. */
static sqlite3 *raw_db(const char *dir, const char *name)
{
	char path[4200];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		exit(1);
	if (sqlite3_exec(db,
			 "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; "
			 "PRAGMA synchronous=NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    tsm_schema_migrate(db) < 0) {
		fprintf(stderr, "bench_ops: raw schema: %s\n",
			tsm_error_last()->message);
		exit(1);
	}
	return db;
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_ops: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_ops: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	return st;
}

static void step(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "bench_ops: raw write: %s\n",
			sqlite3_errmsg(sqlite3_db_handle(st)));
		exit(1);
	}
	sqlite3_reset(st);
}

static const char SQL_RAW_OP[] =
    "INSERT INTO ops(etype, eid, hlc, site, seq, author, action, field, "
    "value, supersedes, ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, CASE WHEN ?7 = 'create' AND ?1 IN ('followup', 'order') THEN "
    "json_extract(?9, '$.customer') END)";

static void put_raw_op(sqlite3_stmt *st, const oprec *o)
{
	sqlite3_bind_text(st, 1, o->etype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->eid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)o->hlc);
	sqlite3_bind_text(st, 4, o->site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, o->seq);
	sqlite3_bind_text(st, 6, o->author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, o->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, o->field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, o->value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, o->sup, -1, SQLITE_STATIC);
	step(st);
}

/* The table rows the ops stand for, written one statement per op, the
 * way an application without an op log would: a create inserts the
 * customer, a set updates its column, a call or note inserts a row (with
 * the outcome's flags), a follow-up create inserts it and done updates
 * it. */
static const char SQL_RAW_CUST[] =
    "INSERT INTO customers(id, name, phone, company, stage, dnc, "
    "dnc_flag, deleted, created_by, created_at, updated_at, create_op) "
    "VALUES (?1, json_extract(?2, '$.name'), json_extract(?2, "
    "'$.phone'), json_extract(?2, '$.company'), 'new', 0, 0, 0, ?3, ?4, "
    "?4, ?5)";
static const char SQL_RAW_CALL[] =
    "INSERT INTO calls(origin, id, customer, author, at, outcome, "
    "duration_s, connected, effective, interested, sale, dnc_request, "
    "revisit) VALUES (?1, ?2, ?1, ?3, ?4, json_extract(?5, '$.outcome'), "
    "json_extract(?5, '$.duration_s'), ?6, ?7, ?8, ?9, 0, 0)";
static const char SQL_RAW_NOTE[] =
    "INSERT INTO notes(origin, id, customer, author, at, text) VALUES "
    "(?1, ?2, ?1, ?3, ?4, json_extract(?5, '$.text'))";
static const char SQL_RAW_FU[] =
    "INSERT INTO followups(id, customer, origin, kind, due, done, "
    "created_by, created_at, updated_at) VALUES (?1, json_extract(?2, "
    "'$.customer'), json_extract(?2, '$.customer'), json_extract(?2, "
    "'$.kind'), json_extract(?2, '$.due'), 0, ?3, ?4, ?4)";
static const char SQL_RAW_DONE[] =
    "UPDATE followups SET done = 1, done_at = ?4, done_by = ?3, "
    "satisfaction = json_extract(?2, '$.satisfaction'), updated_at = ?4 "
    "WHERE id = ?1";

static void put_raw_row(sqlite3_stmt **st, const oprec *o)
{
	static const char *const cols[4] = {"industry", "region", "owner",
					    "stage"};
	int64_t ms = (int64_t)(o->hlc >> 16);
	sqlite3_stmt *s = NULL;
	const char *v;
	int k, f;

	if (strcmp(o->etype, "followup") == 0) {
		s = st[strcmp(o->action, "create") == 0 ? 3 : 4];
		sqlite3_bind_text(s, 1, o->eid, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, o->value, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, o->author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, ms);
		step(s);
		return;
	}
	if (strcmp(o->action, "create") == 0) {
		s = st[0];
		sqlite3_bind_text(s, 1, o->eid, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, o->value, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, o->author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, ms);
		sqlite3_bind_text(s, 5, o->id, -1, SQLITE_STATIC);
		step(s);
		return;
	}
	if (strcmp(o->action, "append") == 0) {
		s = st[strcmp(o->field, "call") == 0 ? 1 : 2];
		sqlite3_bind_text(s, 1, o->eid, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, o->author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, ms);
		sqlite3_bind_text(s, 5, o->value, -1, SQLITE_STATIC);
		if (s == st[1]) {
			v = strstr(o->value, "\"outcome\":\"");
			v = v ? v + 11 : "";
			f = strncmp(v, "no-answer", 9) != 0 &&
			    strncmp(v, "busy", 4) != 0;
			sqlite3_bind_int(s, 6, f);
			sqlite3_bind_int(
			    s, 7, f && strncmp(v, "gatekeeper", 10) != 0);
			sqlite3_bind_int(s, 8,
					 strncmp(v, "interested", 10) == 0 ||
					     strncmp(v, "order", 5) == 0);
			sqlite3_bind_int(s, 9, strncmp(v, "order", 5) == 0);
		}
		step(s);
		return;
	}
	for (k = 0; k < 4; k++)
		if (strcmp(o->field, cols[k]) == 0)
			s = st[5 + k];
	if (s == NULL)
		return;
	sqlite3_bind_text(s, 1, o->eid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, o->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ms);
	step(s);
}

/* Writes the op rows (log), the table rows (rows) or both, raw. */
static tm2 raw_write(const char *dir, const work *w, size_t from, int log,
		     int rows)
{
	static const char *const cols[4] = {"industry", "region", "owner",
					    "stage"};
	sqlite3 *db = raw_db(dir, log && rows ? "raw-both.db"
				  : log	      ? "raw-log.db"
					      : "raw-rows.db");
	sqlite3_stmt *st[9], *op = prep(db, SQL_RAW_OP);
	char sql[256];
	size_t i;
	int k;
	tm2 t;

	st[0] = prep(db, SQL_RAW_CUST);
	st[1] = prep(db, SQL_RAW_CALL);
	st[2] = prep(db, SQL_RAW_NOTE);
	st[3] = prep(db, SQL_RAW_FU);
	st[4] = prep(db, SQL_RAW_DONE);
	for (k = 0; k < 4; k++) {
		snprintf(sql, sizeof(sql),
			 "UPDATE customers SET %s = json_extract(?2, '$'), "
			 "updated_at = ?3 WHERE id = ?1",
			 cols[k]);
		st[5 + k] = prep(db, sql);
	}
	t = tm_start();
	exec_or_die(db, "BEGIN IMMEDIATE");
	for (i = from; i < w->n; i++) {
		if (log)
			put_raw_op(op, &w->ops[i]);
		if (rows)
			put_raw_row(st, &w->ops[i]);
	}
	exec_or_die(db, "COMMIT");
	t = tm_since(t);
	for (k = 0; k < 9; k++)
		sqlite3_finalize(st[k]);
	sqlite3_finalize(op);
	sqlite3_close(db);
	return t;
}

/* ---- our apply ---- */

static tsm_store *new_store(const char *dir, const char *name)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	char path[4200], cmd[4300];
	tsm_store *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		exit(1);
	o.plaintext = 1;
	if (tsm_store_create(&s, path, NULL, 0, &o) < 0)
		die("create store");
	return s;
}

static char *to_json(const work *w, size_t from, size_t *len)
{
	tsm_jbuf b;
	char hex[20];
	const char *p, *sp;
	size_t i;

	tsm_jbuf_init(&b);
	tsm_jbuf_putc(&b, '[');
	for (i = from; i < w->n; i++) {
		const oprec *o = &w->ops[i];

		if (i > from)
			tsm_jbuf_putc(&b, ',');
		snprintf(hex, sizeof(hex), "%016" PRIx64, o->hlc);
		tsm_jbuf_puts(&b, "{\"site\":");
		tsm_jbuf_str(&b, o->site);
		tsm_jbuf_puts(&b, ",\"seq\":");
		tsm_jbuf_int(&b, o->seq);
		tsm_jbuf_puts(&b, ",\"hlc\":");
		tsm_jbuf_str(&b, hex);
		tsm_jbuf_puts(&b, ",\"author\":");
		tsm_jbuf_str(&b, o->author);
		tsm_jbuf_puts(&b, ",\"etype\":");
		tsm_jbuf_str(&b, o->etype);
		tsm_jbuf_puts(&b, ",\"eid\":");
		tsm_jbuf_str(&b, o->eid);
		tsm_jbuf_puts(&b, ",\"action\":");
		tsm_jbuf_str(&b, o->action);
		tsm_jbuf_puts(&b, ",\"field\":");
		tsm_jbuf_str(&b, o->field);
		tsm_jbuf_puts(&b, ",\"value\":");
		tsm_jbuf_puts(&b, o->value ? o->value : "null");
		tsm_jbuf_puts(&b, ",\"supersedes\":[");
		for (p = o->sup; *p; p = sp ? sp + 1 : p + strlen(p)) {
			sp = strchr(p, ' ');
			if (p != o->sup)
				tsm_jbuf_putc(&b, ',');
			tsm_jbuf_putc(&b, '"');
			tsm_jbuf_put(&b, p, sp ? (size_t)(sp - p) : strlen(p));
			tsm_jbuf_putc(&b, '"');
		}
		tsm_jbuf_puts(&b, "]}");
	}
	tsm_jbuf_putc(&b, ']');
	return tsm_jbuf_detach(&b, len);
}

static void line(const char *what, tm2 t, size_t nops)
{
	printf("  %-34s %7.3f s wall %9.0f ops/s | %7.3f s cpu %9.0f ops/s\n",
	       what, t.wall, (double)nops / t.wall, t.cpu,
	       (double)nops / t.cpu);
}

static void ratio(const char *what, tm2 raw, tm2 ours)
{
	printf("  %-34s %7.2f x wall             | %7.2f x cpu\n", what,
	       raw.wall / ours.wall, raw.cpu / ours.cpu);
}

#define REPS 3

static int bench(const char *dir, size_t nops)
{
	tm2 t_ops = {0, 0}, t_json = {0, 0}, t_log = {0, 0}, t_rows = {0, 0};
	tm2 t_both = {0, 0}, t;
	char h1[65], h2[65], *json;
	tsm_apply_stats st;
	tsm_store *s, *s2;
	size_t from, len;
	long rejected = 0;
	int rep, same = 1;
	work w;

	memset(&w, 0, sizeof(w));
	add_roster(&w);
	from = w.n;
	customers(&w, from + nops);
	json = to_json(&w, from, &len);
	for (rep = 0; rep < REPS; rep++) {
		tm_best(&t_log, raw_write(dir, &w, from, 1, 0));
		tm_best(&t_rows, raw_write(dir, &w, from, 0, 1));
		tm_best(&t_both, raw_write(dir, &w, from, 1, 1));
		/* The roster first (not timed): the store knows its team. */
		s = new_store(dir, "store-recs");
		s2 = new_store(dir, "store-json");
		if (ops_apply_recs(NULL, s, w.ops, from) < 0 ||
		    ops_apply_recs(NULL, s2, w.ops, from) < 0)
			die("apply roster");
		t = tm_start();
		if (ops_apply_recs(&st, s, w.ops + from, nops) < 0)
			die("apply");
		tm_best(&t_ops, tm_since(t));
		rejected = (long)st.rejected;
		tsm_apply_stats_dispose(&st);
		t = tm_start();
		if (tsm_ops_apply_json(&st, s2, json, len) < 0)
			die("apply json");
		tm_best(&t_json, tm_since(t));
		tsm_apply_stats_dispose(&st);
		if (tsm_state_hash(h1, s) < 0 || tsm_state_hash(h2, s2) < 0)
			die("hash");
		same &= strcmp(h1, h2) == 0;
		tsm_store_free(s);
		tsm_store_free(s2);
	}
	printf("bench_ops: %zu ops over %zu customers (create, edits, owner, "
	       "stage, 3 calls, note, follow-up + done), one transaction "
	       "each, plaintext store, WAL, synchronous=NORMAL; best of %d\n",
	       nops, nops / 10, REPS);
	line("tsm apply (op records)", t_ops, nops);
	line("tsm apply (JSON op set)", t_json, nops);
	line("raw: op rows", t_log, nops);
	line("raw: table rows", t_rows, nops);
	line("raw: op rows + table rows", t_both, nops);
	ratio("apply / raw op + table rows", t_both, t_ops);
	ratio("JSON apply / raw op + table rows", t_both, t_json);
	ratio("apply / raw op rows alone", t_log, t_ops);
	printf("  targets: >= 100000 ops/s: %s (wall), %s (cpu); >= 0.5x raw "
	       "op + table rows: %s (wall), %s (cpu)\n",
	       (double)nops / t_ops.wall >= 100000 ? "met" : "MISSED",
	       (double)nops / t_ops.cpu >= 100000 ? "met" : "MISSED",
	       t_both.wall / t_ops.wall >= 0.5 ? "met" : "MISSED",
	       t_both.cpu / t_ops.cpu >= 0.5 ? "met" : "MISSED");
	printf("  rejected %ld; both stores hash %s\n", rejected,
	       same ? "the same" : "DIFFERENTLY");
	free(json);
	free(w.ops);
	arena_free(&w.mem);
	return same ? 0 : 1;
}

/* ---- soak: the convergence property on bigger sets ---- */

static int soak(const char *dir, int nsets)
{
	char ref[65], got[65], **ops, *json;
	uint64_t rng = 7;
	size_t n, *idx, i, k, cut, len, trials = 0;
	tsm_store *s = new_store(dir, "soak");
	int seed, t;

	for (seed = 1; seed <= nsets; seed++) {
		n = og_generate(&ops, (uint64_t)seed + 100000, 150);
		idx = malloc(n * sizeof(*idx));
		for (i = 0; i < n; i++)
			idx[i] = i;
		for (t = 0; t <= 20; t++) {
			if (tsm_store_begin(s) < 0)
				die("begin");
			if (t)
				og_shuffle(&rng, idx, n);
			for (i = 0; i < n; i = cut) {
				cut = t ? i + 1 + (size_t)(og_rand(&rng) % 40)
					: n;
				if (cut > n)
					cut = n;
				json = og_join(ops, idx + i, cut - i, &len);
				if (tsm_ops_apply_json(NULL, s, json, len) < 0)
					die("apply");
				free(json);
			}
			if (tsm_state_hash(t ? got : ref, s) < 0)
				die("hash");
			if (tsm_store_end(s, 0) < 0)
				die("rollback");
			if (t && strcmp(ref, got) != 0) {
				printf("soak: set %d order %d DIVERGED\n", seed,
				       t);
				return 1;
			}
			trials += t != 0;
		}
		for (k = 0; k < n; k++)
			free(ops[k]);
		free(ops);
		free(idx);
		if (seed % 50 == 0)
			printf("soak: %d sets, %zu orders converged\n", seed,
			       trials);
	}
	printf("soak: %d sets of ~157 ops, %zu random orders and partitions: "
	       "all converged\n",
	       nsets, trials);
	tsm_store_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/tsm-bench-ops-XXXXXX";
	char cmd[64];
	int rc;

	if (tsm_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	if (argc >= 3 && strcmp(argv[1], "--soak") == 0)
		rc = soak(dir, atoi(argv[2]));
	else if (argc >= 2 && strcmp(argv[1], "--soak") != 0)
		rc = bench(dir, (size_t)strtoul(argv[1], NULL, 10));
	else if (argc == 1)
		rc = bench(dir, 100000);
	else {
		fprintf(stderr,
			"usage: bench_ops [NOPS] | bench_ops --soak N\n");
		rc = 2;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_ops: cannot remove %s\n", dir);
	return rc;
}
