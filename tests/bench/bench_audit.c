/* tests/bench/bench_audit.c — audit costs: (1) `audit log` of one customer
 * in an encrypted store of OPS ops built through tsm_ops_apply_json in
 * chunks (target <= 20 ms): in-process (median over many customers), with
 * the store opened and closed around it, and, with $TSM set to the tsm
 * binary, as whole processes with the unlock agent holding the key;
 * (2) `audit verify` throughput in batches/s over a chain of BATCHES signed
 * batches of PER ops written by real syncs to a bare repository, and over
 * a few large batches.
 * usage: [TSM=path/to/tsm] bench_audit [OPS [BATCHES [PER]]]
 *        (defaults 1000000 1000 10; OPS 0 skips part 1) */
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "tsm/audit.h"
#include "tsm/common.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/store.h"
#include "tsm/sync.h"
#include "tsm/team.h"

#define T0 1795000000000LL
#define SL "bbbb000000000002" /* a lead's site */
#define PER_CUST 100	      /* ops per ordinary customer */
#define HOT_OPS 5000	      /* ops of the one busy customer */
#define CHUNK_CUST 500	      /* customers per apply call */

extern char **environ;

static char base[4096];
static char sm[TSM_SITE_LEN + 1];
static int64_t seq_m, seq_l, tick;

static void die(const char *what)
{
	fprintf(stderr, "bench_audit: %s: %s\n", what,
		tsm_error_last()->message);
	exit(1);
}

/* A growable text buffer for one JSON op set. */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 1024;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			fprintf(stderr, "bench_audit: out of memory\n");
			exit(1);
		}
	}
}

/* Appends one op; out gets its id. lee writes from SL, mgr from sm. */
static void op(struct buf *b, char *out, int lee, const char *etype,
	       const char *eid, const char *action, const char *field,
	       const char *value, const char *sup1, const char *sup2)
{
	int64_t seq = lee ? ++seq_l : ++seq_m;
	const char *site = lee ? SL : sm;

	put(b,
	    "%s{\"site\":\"%s\",\"seq\":%" PRId64 ",\"hlc\":\"%016" PRIx64
	    "\",\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
	    "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
	    "\"supersedes\":[",
	    b->len > 1 ? "," : "", site, seq, ((uint64_t)(T0 + tick++)) << 16,
	    lee ? "lee" : "mgr", etype, eid, action, field, value);
	if (sup1 && *sup1)
		put(b, "\"%s\"", sup1);
	if (sup2 && *sup2)
		put(b, ",\"%s\"", sup2);
	put(b, "]}");
	snprintf(out, 40, "%s:%" PRId64, site, seq);
}

static void apply(tsm_store *s, struct buf *b)
{
	tsm_apply_stats st;

	put(b, "]");
	if (tsm_ops_apply_json(&st, s, b->p, b->len) < 0)
		die("apply");
	tsm_apply_stats_dispose(&st);
	b->len = 0;
	put(b, "[");
}

/* One customer with n ops: a create, then sets of company, needs and
 * region (each superseding the create and the field's previous set) and
 * calls, by the manager and the lead in turn. */
static void customer(struct buf *b, long k, int n)
{
	char eid[32], create[40], last[3][40], id[40], v[160];
	static const char *const fields[3] = {"company", "needs", "region"};
	int j, f;

	snprintf(eid, sizeof(eid), "c%012ld", k);
	snprintf(v, sizeof(v),
		 "{\"name\":\"Bench Customer %ld\",\"phone\":\"+86138%08ld\"}",
		 k, k);
	op(b, create, 0, "customer", eid, "create", "", v, NULL, NULL);
	last[0][0] = last[1][0] = last[2][0] = '\0';
	for (j = 1; j < n; j++) {
		int lee = j % 3 == 0;

		if (j % 4 == 0) {
			op(b, id, lee, "customer", eid, "append", "call",
			   "{\"outcome\":\"no-answer\"}", create, NULL);
			continue;
		}
		f = j % 4 - 1;
		snprintf(v, sizeof(v), "\"%s %ld-%d\"", fields[f], k, j);
		op(b, id, lee, "customer", eid, "set", fields[f], v, create,
		   last[f]);
		memcpy(last[f], id, sizeof(id));
	}
}

static const char PASS[] = "bench passphrase";

/* An encrypted store (Argon2id at its interactive cost) with an identity;
 * sm gets its site. */
static tsm_store *new_store(const char *name, const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_identity me;
	tsm_store *s = NULL;
	char dir[4300];

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	if (tsm_store_create(&s, dir, PASS, sizeof(PASS) - 1, &o) < 0)
		die("create store");
	if (tsm_identity_create(s, member, "Bench Person") < 0)
		die("create identity");
	if (tsm_identity_get(&me, s) < 0)
		die("identity");
	memcpy(sm, me.site, sizeof(sm));
	return s;
}

/* Runs argv (the tsm binary and its arguments) with stdout to /dev/null;
 * returns the wall time in seconds and *cpu the child's user + system
 * time, or exits on failure. */
static double run(char *const argv[], double *cpu)
{
	posix_spawn_file_actions_t fa;
	double t = bench_wall();
	struct rusage ru;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0 ||
	    wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_audit: '%s %s' failed\n", argv[0],
			argv[3]);
		exit(1);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (cpu)
		*cpu = (double)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return bench_wall() - t;
}

/* `tsm -C DIR audit log C` as whole processes, the store unlocked by the
 * agent (`tsm unlock` with a passphrase file, in a private runtime dir). */
static void whole_process(const char *tsm, const char *dir, long ncust)
{
	char pw[4400], run_dir[4400], eid[32], prog[4400], cdir[4400];
	char *unlock[] = {prog, "-C", cdir, "unlock", NULL};
	char *lock[] = {prog, "-C", cdir, "lock", NULL};
	char *log[] = {prog, "-C", cdir, "audit", "log", eid, NULL};
	char *json[] = {prog, "-C", cdir, "audit", "log", eid, "--json", NULL};
	char *show[] = {prog, "-C", cdir, "customer", "show", eid, NULL};
	char *version[] = {prog, "--version", NULL, "", NULL};
	double times[21], jtimes[21], cpus[21], stimes[21], scpus[21];
	double vtimes[21], vcpus[21];
	FILE *f;
	int i;

	snprintf(prog, sizeof(prog), "%s", tsm);
	snprintf(cdir, sizeof(cdir), "%s", dir);
	snprintf(pw, sizeof(pw), "%s/pw", base);
	snprintf(run_dir, sizeof(run_dir), "%s/run", base);
	if (mkdir(run_dir, 0700) != 0 || (f = fopen(pw, "w")) == NULL) {
		perror("bench_audit");
		exit(1);
	}
	fprintf(f, "%s\n", PASS);
	fclose(f);
	setenv("XDG_RUNTIME_DIR", run_dir, 1);
	setenv("TSM_PASSPHRASE_FILE", pw, 1);
	run(unlock, NULL);
	unsetenv("TSM_PASSPHRASE_FILE");
	for (i = 0; i < 21; i++) {
		snprintf(eid, sizeof(eid), "c%012ld", (long)rand() % ncust);
		times[i] = run(log, &cpus[i]);
		jtimes[i] = run(json, NULL);
		stimes[i] = run(show, &scpus[i]);
		vtimes[i] = run(version, &vcpus[i]);
	}
	run(lock, NULL);
	printf("  whole process 'tsm audit log C' with the agent unlocked: "
	       "median %.2f ms wall (table), %.2f ms wall (--json), %.2f ms "
	       "cpu; target <= 20 ms\n",
	       bench_median(times, 21) * 1e3, bench_median(jtimes, 21) * 1e3,
	       bench_median(cpus, 21) * 1e3);
	printf("  for scale, same runs: 'tsm customer show C' %.2f ms wall, "
	       "%.2f ms cpu; 'tsm --version' %.2f ms wall, %.2f ms cpu\n",
	       bench_median(stimes, 21) * 1e3, bench_median(scpus, 21) * 1e3,
	       bench_median(vtimes, 21) * 1e3, bench_median(vcpus, 21) * 1e3);
}

static void bench_log(long total)
{
	char id[40], m1[40], eid[32], dir[4300];
	struct buf b = {NULL, 0, 0};
	double t, times[101], opened[21], t90;
	const char *tsm = getenv("TSM");
	tsm_key *key = NULL;
	tsm_audit_row *rows = NULL;
	long ncust = (total - HOT_OPS) / PER_CUST, k;
	size_t n = 0, rowsum = 0;
	tsm_store *s;
	int i;

	s = new_store("log", "mgr");
	snprintf(dir, sizeof(dir), "%s/log", base);
	put(&b, "[");
	op(&b, m1, 0, "team", "t1", "create", "",
	   "{\"name\":\"Bench\",\"founder\":\"mgr\"}", NULL, NULL);
	op(&b, id, 0, "member", "mgr", "grant", "",
	   "{\"role\":\"manager\",\"name\":\"Bench Manager\"}", m1, NULL);
	op(&b, id, 0, "member", "lee", "grant", "",
	   "{\"role\":\"lead\",\"name\":\"Bench Lead\"}", NULL, NULL);
	apply(s, &b);
	printf("(1) audit log in a store of %ld ops (%ld customers of %d ops "
	       "and one of %d; encrypted store)\n",
	       ncust * PER_CUST + HOT_OPS + 3, ncust, PER_CUST, HOT_OPS);
	fflush(stdout);
	t = bench_wall();
	for (k = 0; k < ncust; k++) {
		customer(&b, k, PER_CUST);
		if ((k + 1) % CHUNK_CUST == 0 || k + 1 == ncust) {
			apply(s, &b);
			if ((k + 1) % (CHUNK_CUST * 20) == 0) {
				printf("  %ld ops applied, %.0f ops/s\n",
				       (k + 1) * PER_CUST,
				       (double)(k + 1) * PER_CUST /
					   (bench_wall() - t));
				fflush(stdout);
			}
		}
	}
	customer(&b, ncust, HOT_OPS);
	apply(s, &b);
	printf("  built in %.1f s (%.0f ops/s through tsm_ops_apply_json)\n",
	       bench_wall() - t,
	       (double)(ncust * PER_CUST + HOT_OPS) / (bench_wall() - t));
	srand(7);
	for (i = 0; i < 101; i++) {
		snprintf(eid, sizeof(eid), "c%012ld", (long)rand() % ncust);
		t = bench_wall();
		if (tsm_audit_log(&rows, &n, s, eid, NULL) < 0)
			die("audit log");
		times[i] = bench_wall() - t;
		rowsum += n;
		tsm_audit_rows_free(rows, n);
	}
	t90 = (qsort(times, 101, sizeof(double), bench_cmp_double), times[90]);
	printf("  audit log of one %d-op customer: median %.2f ms, p90 %.2f "
	       "ms (101 customers, %zu rows in all; target <= 20 ms)\n",
	       PER_CUST, times[50] * 1e3, t90 * 1e3, rowsum);
	snprintf(eid, sizeof(eid), "c%012ld", ncust);
	for (i = 0; i < 21; i++) {
		t = bench_wall();
		if (tsm_audit_log(&rows, &n, s, eid, NULL) < 0)
			die("audit log");
		times[i] = bench_wall() - t;
		tsm_audit_rows_free(rows, n);
	}
	printf("  audit log of the %d-op customer: median %.2f ms (%zu "
	       "rows)\n",
	       HOT_OPS, bench_median(times, 21) * 1e3, n);
	tsm_store_free(s);
	if (tsm_key_unwrap(&key, dir, PASS, sizeof(PASS) - 1) < 0)
		die("unwrap");
	for (i = 0; i < 21; i++) {
		snprintf(eid, sizeof(eid), "c%012ld", (long)rand() % ncust);
		t = bench_wall();
		if (tsm_store_open(&s, dir, key) < 0)
			die("open");
		if (tsm_audit_log(&rows, &n, s, eid, NULL) < 0)
			die("audit log");
		tsm_audit_rows_free(rows, n);
		tsm_store_free(s);
		opened[i] = bench_wall() - t;
	}
	tsm_key_free(key);
	printf("  open store (key at hand) + audit log + close: median %.2f "
	       "ms\n",
	       bench_median(opened, 21) * 1e3);
	if (tsm && *tsm)
		whole_process(tsm, dir, ncust);
	else
		printf("  (set TSM to the tsm binary to time whole processes "
		       "too)\n");
	free(b.p);
}

static void do_sync(tsm_store *s)
{
	tsm_sync_report rep;

	if (tsm_sync(&rep, s, NULL) < 0)
		die("sync");
	tsm_sync_report_dispose(&rep);
}

/* A team store whose own chain has nbatches batches of per ops each. */
static tsm_store *chain(const char *tag, int nbatches, int per)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	char central[4300], cmd[4400], dir[4300], eid[32], *vals;
	tsm_op_spec *specs;
	tsm_store *s = NULL;
	double t = bench_wall();
	int i, j;

	snprintf(central, sizeof(central), "%s/%s-central.git", base, tag);
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s'", central);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_audit: git init failed\n");
		exit(1);
	}
	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s", base, tag);
	if (tsm_store_create(&s, dir, "pw", 2, &o) < 0 ||
	    tsm_identity_create(s, "boss", "Bench Boss") < 0)
		die("create store");
	if (tsm_team_create(s, central, "Bench Team") < 0)
		die("team create");
	do_sync(s);
	specs = calloc((size_t)per, sizeof(*specs));
	vals = malloc((size_t)per * 96);
	if (specs == NULL || vals == NULL)
		exit(1);
	for (i = 0; i < nbatches; i++) {
		for (j = 0; j < per; j++) {
			char *v = vals + (size_t)j * 96;

			snprintf(eid, sizeof(eid), "c%06d%06d", i, j);
			snprintf(v, 96,
				 "{\"name\":\"Chain Customer %d-%d\","
				 "\"phone\":\"+86139%04d%04d\"}",
				 i, j, i % 10000, j % 10000);
			specs[j] =
			    (tsm_op_spec){"customer", NULL, "create", NULL, v};
			specs[j].eid = strdup(eid);
		}
		if (tsm_ops_append(NULL, s, specs, (size_t)per) < 0)
			die("append");
		for (j = 0; j < per; j++)
			free((char *)specs[j].eid);
		do_sync(s);
	}
	free(specs);
	free(vals);
	printf("  built %d batches of %d ops with %d syncs in %.1f s\n",
	       nbatches, per, nbatches + 1, bench_wall() - t);
	return s;
}

static void bench_verify(const char *tag, int nbatches, int per)
{
	tsm_audit_report rep;
	double bps[3], ops[3];
	tsm_store *s = chain(tag, nbatches, per);
	int i;

	for (i = 0; i < 3; i++) {
		if (tsm_audit_verify(&rep, s, NULL) < 0)
			die("verify");
		bps[i] = (double)rep.batches / rep.seconds;
		ops[i] = (double)rep.ops / rep.seconds;
		if (i == 0)
			printf("  verified %zu batches, %zu ops, %zu roster "
			       "version(s), %zu compared with the store\n",
			       rep.batches, rep.ops, rep.roster_versions,
			       rep.compared);
		tsm_audit_report_dispose(&rep);
	}
	printf("  audit verify: median %.0f batches/s, %.0f ops/s (3 runs; "
	       "signature, envelope, op checks and store comparison per "
	       "batch)\n",
	       bench_median(bps, 3), bench_median(ops, 3));
	tsm_store_free(s);
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	int nbatches = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1000;
	int per = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 10;
	const char *tmp = getenv("TMPDIR");

	if ((total != 0 && total < HOT_OPS + PER_CUST) || nbatches < 1 ||
	    per < 1) {
		fprintf(stderr, "usage: bench_audit [OPS [BATCHES [PER]]]\n");
		return 2;
	}
	if (tsm_init() < 0)
		return 1;
	snprintf(base, sizeof(base), "%s/tsm-bench-audit.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(base) == NULL) {
		perror("bench_audit: mkdtemp");
		return 1;
	}
	printf("bench_audit in %s\n", base);
	if (total)
		bench_log(total);
	printf("(2) audit verify of a signed chain (encrypted store, "
	       "central repository on disk)\n");
	bench_verify("small", nbatches, per);
	bench_verify("large", 20, 5000);
	printf("(the stores are left in %s; remove it when done)\n", base);
	return 0;
}
