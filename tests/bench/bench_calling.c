/* tests/bench/bench_calling.c — `tsm call next` and `tsm followup list` on a
 * large store (100,000 customers by default), timed as whole processes with
 * the store unlocked by the agent: median and spread of N runs each.
 * usage: bench_calling TSM_BINARY [CUSTOMERS [RUNS [DIR [WHICH]]]]
 * WHICH is team, single or both (the default). Two stores: "team" (the
 * customers assigned to 40 members, the benchmark member's own list one in
 * 40: what an agent on a big team sees) and "single" (every customer on the
 * benchmark member's list: the worst case). */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/store.h"

#define DAY_MS (24LL * 3600 * 1000)
/* "Now" for the benchmark: Tuesday 2026-12-01 10:00 in Shanghai, inside
 * the default calling hours. */
#define NOW_MS 1796090400000LL
#define NOW_TEXT "2026-12-01T10:00:00+08:00"
#define EVENING_TEXT "2026-12-01T20:00:00+08:00"
#define BATCH 4000 /* ops per append */

static const char PASS[] = "bench calling passphrase";

static uint64_t rng_state = 88172645463325252ULL;

static uint32_t rnd(uint32_t n)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_calling: %s: %s\n", what,
		tsm_error_last()->message);
	exit(1);
}

/* Pending ops of one append; values live in a pool. */
struct batch {
	tsm_op_spec spec[BATCH];
	char *val[BATCH];
	char eid[BATCH][32];
	size_t n;
	size_t total;
};

static void flush(struct batch *b, tsm_store *store)
{
	size_t i;

	if (b->n == 0)
		return;
	if (tsm_ops_append(NULL, store, b->spec, b->n) < 0)
		die("append");
	for (i = 0; i < b->n; i++)
		free(b->val[i]);
	b->total += b->n;
	b->n = 0;
}

static void add(struct batch *b, tsm_store *store, const char *etype,
		const char *eid, const char *action, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(struct batch *b, tsm_store *store, const char *etype,
		const char *eid, const char *action, const char *field,
		const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	size_t i;

	if (b->n == BATCH)
		flush(b, store);
	i = b->n++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	b->val[i] = strdup(buf);
	snprintf(b->eid[i], sizeof(b->eid[i]), "%s", eid);
	b->spec[i].etype = etype;
	b->spec[i].eid = b->eid[i];
	b->spec[i].action = action;
	b->spec[i].field = field;
	b->spec[i].value = b->val[i];
	if (b->val[i] == NULL) {
		fprintf(stderr, "bench_calling: out of memory\n");
		exit(1);
	}
}

static const char *const outcomes[] = {"no-answer", "busy", "gatekeeper",
				       "not-interested", "callback"};

#define TEAM 40 /* members of the "team" store, the bench member included */

/* Builds a store of n customers, ~20% with calls, ~10% with an open
 * follow-up (a quarter of them due by now), 3% signed clients (three in
 * four revisited lately), 1% do-not-call, 1% abroad. team = 0: all on the
 * bench member's own list; else assigned round-robin to TEAM members, the
 * bench member (a manager, the founder) being one of them. */
static void build(const char *dir, size_t n, int team)
{
	char member[16], owner[48];
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *store = NULL;
	struct batch *b = calloc(1, sizeof(*b));
	char cid[32], fid[32];
	const char *stage, *prio;
	size_t i;
	int k, calls;
	int64_t t0 = NOW_MS - 90 * DAY_MS, created;
	double t = bench_wall();

	if (b == NULL)
		exit(1);
	o.kdf = TSM_KDF_INTERACTIVE;
	tsm_clock_set_now(t0);
	if (tsm_store_create(&store, dir, PASS, strlen(PASS), &o) < 0)
		die("create store");
	if (tsm_identity_create(store, "bench", "Bench Agent") < 0)
		die("identity");
	if (tsm_team_found(store, NULL, "bench", NULL) < 0)
		die("team");
	for (k = 1; team && k < TEAM; k++) {
		snprintf(member, sizeof(member), "a%02d", k);
		add(b, store, "member", member, "grant", NULL,
		    "{\"role\":\"agent\",\"name\":\"Agent %d\"}", k);
	}
	flush(b, store);
	for (i = 0; i < n; i++) {
		/* Customers arrive over 80 days. */
		created = t0 + (int64_t)(i * (80 * DAY_MS / n));
		tsm_clock_set_now(created);
		snprintf(cid, sizeof(cid), "c%012zx", i + 1);
		k = (int)rnd(100);
		stage = k < 85	 ? "new"
			: k < 93 ? "contacted"
			: k < 97 ? "interested"
				 : "won";
		k = (int)rnd(10);
		prio = k == 0	? ",\"priority\":\"high\""
		       : k == 9 ? ",\"priority\":\"low\""
				: "";
		owner[0] = '\0';
		if (team && i % TEAM)
			snprintf(owner, sizeof(owner), ",\"owner\":\"a%02zu\"",
				 i % TEAM);
		k = (int)rnd(100);
		add(b, store, "customer", cid, "create", NULL,
		    "{\"name\":\"Customer %zu\",\"phone\":\"%s%09zu\","
		    "\"company\":\"Firm %zu Ltd\",\"stage\":\"%s\"%s%s%s}",
		    i + 1, k == 0 ? "+4420" : "+86138", 10000000 + i, i % 5000,
		    stage, prio, rnd(100) == 0 ? ",\"dnc\":true" : "", owner);
		if (rnd(5) == 0) {
			calls = 1 + (int)rnd(3);
			for (k = 0; k < calls; k++)
				add(b, store, "customer", cid, "append", "call",
				    "{\"outcome\":\"%s\",\"duration_s\":%u,"
				    "\"at\":%lld}",
				    outcomes[rnd(5)], rnd(300),
				    (long long)(created + (k + 1) * 3600000));
		}
		/* Three in four signed clients were revisited lately. */
		if (strcmp(stage, "won") == 0 && rnd(4) != 0)
			add(b, store, "customer", cid, "append", "call",
			    "{\"outcome\":\"revisit-done\",\"duration_s\":"
			    "%u,\"at\":%lld}",
			    60 + rnd(300),
			    (long long)(NOW_MS - (int64_t)rnd(25) * DAY_MS));
		if (rnd(10) == 0) {
			snprintf(fid, sizeof(fid), "f%012zx", i + 1);
			add(b, store, "followup", fid, "create", NULL,
			    "{\"customer\":\"%s\",\"due\":%lld,"
			    "\"kind\":\"%s\"}",
			    cid,
			    (long long)(NOW_MS - 3 * DAY_MS +
					(int64_t)rnd(17) * DAY_MS +
					(int64_t)rnd(8) * 3600000),
			    rnd(2) ? "callback" : "followup");
		}
		if ((i + 1) % 20000 == 0) {
			flush(b, store);
			fprintf(stderr, "  %zu customers, %zu ops, %.0f s\n",
				i + 1, b->total, bench_wall() - t);
		}
	}
	flush(b, store);
	tsm_store_free(store);
	tsm_clock_set_now(0);
	printf("built %zu customers (%zu ops) in %.1f s\n", n, b->total,
	       bench_wall() - t);
	fflush(stdout);
	free(b);
}

/* Runs argv with stdin and stdout on /dev/null; returns its exit status,
 * the wall time in seconds and the CPU time (user + system) it used. */
static int run_cpu(double *secs, double *cpu, char *const argv[])
{
	struct rusage ru;
	double t;
	pid_t pid;
	int status;

	fflush(NULL);
	t = bench_wall();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (freopen("/dev/null", "r", stdin) == NULL ||
		    freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("wait4");
			exit(1);
		}
	*secs = bench_wall() - t;
	*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int run(double *secs, char *const argv[])
{
	double cpu;

	return run_cpu(secs, &cpu, argv);
}

/* Times runs of argv: the median and range of the wall time, and the
 * median CPU time (less disturbed by other work on a shared machine). */
static void bench(const char *label, char *const argv[], int runs)
{
	double *t = calloc((size_t)runs, sizeof(*t));
	double *c = calloc((size_t)runs, sizeof(*c));
	int i, rc;

	if (t == NULL || c == NULL)
		exit(1);
	/* One warm-up run (page cache, agent connection). */
	if ((rc = run_cpu(&t[0], &c[0], argv)) != 0) {
		fprintf(stderr, "bench_calling: %s exited %d\n", label, rc);
		exit(1);
	}
	for (i = 0; i < runs; i++)
		if ((rc = run_cpu(&t[i], &c[i], argv)) != 0) {
			fprintf(stderr, "bench_calling: %s exited %d\n", label,
				rc);
			exit(1);
		}
	qsort(t, (size_t)runs, sizeof(*t), bench_cmp_double);
	qsort(c, (size_t)runs, sizeof(*c), bench_cmp_double);
	printf("%-34s wall median %6.1f ms (min %6.1f, max %6.1f)  "
	       "cpu median %6.1f ms  [%d runs]\n",
	       label, t[runs / 2] * 1e3, t[0] * 1e3, t[runs - 1] * 1e3,
	       c[runs / 2] * 1e3, runs);
	fflush(stdout);
	free(t);
	free(c);
}

/* Times the commands on the store in dir (built if missing). */
static void scenario(const char *tsm, const char *dir, size_t n, int team,
		     int runs)
{
	char run_dir[4200], store[4200], pwfile[4200];
	char *unlock[] = {NULL, "unlock", NULL};
	char *lock[] = {NULL, "lock", NULL};
	char *version[] = {NULL, "--version", NULL};
	char *policy[] = {NULL, "policy", "show", NULL};
	char *next[] = {NULL, "call", "next", NULL};
	char *next_json[] = {NULL, "call", "next", "--json", NULL};
	char *fl[] = {NULL, "followup", "list", NULL};
	char *fl_week[] = {NULL, "followup", "list", "--due", "week", NULL};
	char *today[] = {NULL, "today", NULL};
	double secs;
	FILE *f;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		perror(dir);
		exit(1);
	}
	snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(pwfile, sizeof(pwfile), "%s/pw", dir);
	mkdir(run_dir, 0700);
	if ((f = fopen(pwfile, "w")) == NULL) {
		perror(pwfile);
		exit(1);
	}
	fprintf(f, "%s\n", PASS);
	fclose(f);
	setenv("XDG_RUNTIME_DIR", run_dir, 1);
	setenv("TSM_HOME", store, 1);
	unsetenv("TSM_NOW");
	printf("\n%s: %zu customers, %s\n", team ? "team" : "single", n,
	       team ? "assigned to 40 members; the bench member's own list "
		      "is one in 40"
		    : "all on the bench member's own list (worst case)");
	if (!tsm_store_exists(store))
		build(store, n, team);
	else
		printf("reusing the store in %s\n", store);
	unlock[0] = lock[0] = version[0] = policy[0] = next[0] = next_json[0] =
	    fl[0] = fl_week[0] = today[0] = (char *)tsm;
	setenv("TSM_PASSPHRASE_FILE", pwfile, 1);
	if (run(&secs, unlock) != 0) {
		fprintf(stderr, "bench_calling: tsm unlock failed\n");
		exit(1);
	}
	unsetenv("TSM_PASSPHRASE_FILE"); /* from here on: the agent only */
	setenv("TSM_NOW", NOW_TEXT, 1);
	printf("whole-process times, store unlocked, now = %s:\n", NOW_TEXT);
	bench("tsm --version (process start only)", version, runs);
	bench("tsm policy show (open the store)", policy, runs);
	bench("tsm call next", next, runs);
	bench("tsm call next --json", next_json, runs);
	bench("tsm followup list (today+overdue)", fl, runs);
	bench("tsm followup list --due week", fl_week, runs);
	bench("tsm today", today, runs);
	setenv("TSM_NOW", EVENING_TEXT, 1);
	printf("at 20:00 (outside calling hours: every candidate is "
	       "examined):\n");
	bench("tsm call next (nothing callable)", next, runs);
	run(&secs, lock);
}

int main(int argc, char **argv)
{
	char dir[2048], sub[2100];
	const char *tsm, *which = "both";
	size_t n = 100000;
	int runs = 21;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_calling TSM_BINARY [CUSTOMERS "
				"[RUNS [DIR [team|single|both]]]]\n");
		return 2;
	}
	tsm = argv[1];
	if (argc > 2)
		n = (size_t)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		runs = (int)strtol(argv[3], NULL, 10);
	if (runs < 1)
		runs = 21;
	if (argc > 4)
		snprintf(dir, sizeof(dir), "%s", argv[4]);
	else
		snprintf(dir, sizeof(dir), "%s/tsm-bench-calling.%ld",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			 (long)getpid());
	if (argc > 5)
		which = argv[5];
	if (tsm_init() < 0)
		die("init");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	setenv("TZ", "Asia/Shanghai", 1);
	if (strcmp(which, "single") != 0) {
		snprintf(sub, sizeof(sub), "%s/team", dir);
		scenario(tsm, sub, n, 1, runs);
	}
	if (strcmp(which, "team") != 0) {
		snprintf(sub, sizeof(sub), "%s/single", dir);
		scenario(tsm, sub, n, 0, runs);
	}
	printf("\nstores kept in %s (delete it when done)\n", dir);
	return 0;
}
