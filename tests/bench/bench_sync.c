/* tests/bench/bench_sync.c — sync cost: (1) a sync carrying 100 new ops on a
 * large store vs a small one (sender's sync + receiver's sync), the ratio in
 * one run (target <= 1.3: cost grows with new ops, not with the store); (2) a
 * manager applying SITES sites x OPS ops in one sync (ops/s).
 * usage: bench_sync [LARGE [SMALL [ROUNDS [SITES [OPS]]]]]
 *        (defaults 100000 1000 5 20 5000; a central repository on disk) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "tsm/common.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/store.h"
#include "tsm/sync.h"
#include "tsm/team.h"

static const char PASS[] = "bench passphrase";
static char base[4096];
static long next_id = 1;

/* User-mode CPU time of this process: the work sync does itself, without
 * the kernel's share of fsync and I/O, which varies with the machine. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_sync: %s: %s\n", what,
		tsm_error_last()->message);
	exit(1);
}

static tsm_store *new_store(const char *name, const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	char dir[4300];

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	if (tsm_store_create(&s, dir, PASS, sizeof(PASS) - 1, &o) < 0)
		die("create store");
	if (tsm_identity_create(s, member, "Bench Person") < 0)
		die("create identity");
	return s;
}

static void do_sync(tsm_store *s, tsm_sync_report *keep)
{
	tsm_sync_report rep;

	if (tsm_sync(&rep, s, NULL) < 0)
		die("sync");
	if (keep)
		*keep = rep;
	else
		tsm_sync_report_dispose(&rep);
}

/* n new customers from s, in transactions of up to 1000 ops. */
static void customers(tsm_store *s, long n)
{
	static char eids[1000][24], values[1000][128];
	tsm_op_spec specs[1000];
	long done = 0, k;

	while (done < n) {
		k = n - done > 1000 ? 1000 : n - done;
		for (long i = 0; i < k; i++, next_id++) {
			snprintf(eids[i], sizeof(eids[i]), "c%012ld", next_id);
			snprintf(values[i], sizeof(values[i]),
				 "{\"name\":\"Bench Customer %ld\",\"phone\":"
				 "\"+8613%09ld\"}",
				 next_id, next_id % 1000000000L);
			specs[i] = (tsm_op_spec){"customer", eids[i], "create",
						 NULL, values[i]};
		}
		if (tsm_ops_append(NULL, s, specs, (size_t)k) < 0)
			die("append");
		done += k;
	}
}

static tsm_store *team_of(const char *tag, tsm_store **agents, int nagents)
{
	char central[4300], cmd[4400], name[64], member[32], *code = NULL;
	tsm_store *boss;
	int i;

	snprintf(central, sizeof(central), "%s/%s-central.git", base, tag);
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s'", central);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_sync: git init failed\n");
		exit(1);
	}
	snprintf(name, sizeof(name), "%s-boss", tag);
	boss = new_store(name, "boss");
	if (tsm_team_create(boss, central, "Bench Team") < 0)
		die("team create");
	do_sync(boss, NULL);
	for (i = 0; i < nagents; i++) {
		snprintf(name, sizeof(name), "%s-agent%d", tag, i);
		snprintf(member, sizeof(member), "agent%d", i);
		agents[i] = new_store(name, member);
		if (tsm_member_invite(&code, boss, member, "agent", NULL, 0) <
			    0 ||
		    tsm_team_join(agents[i], NULL, code) < 0)
			die("invite and join");
		free(code);
	}
	do_sync(boss, NULL);
	for (i = 0; i < nagents; i++)
		do_sync(agents[i], NULL);
	return boss;
}

struct small_large {
	double wall, cpu;      /* medians of the rounds, seconds */
	double send, receive; /* the sender's and receiver's cpu */
};

/* A team whose manager holds `size` customers (the agent too); then rounds
 * of: the agent writes 100 ops, syncs (send), the manager syncs (receive).
 */
static struct small_large measure(const char *tag, long size, int rounds)
{
	double walls[64], cpus[64], sends[64], recvs[64], t0, c0, c1, t;
	struct small_large r;
	tsm_sync_report rep;
	tsm_store *boss, *agent;
	int i;

	printf("  building a %ld-customer team...\n", size);
	fflush(stdout);
	boss = team_of(tag, &agent, 1);
	t = bench_wall();
	customers(boss, size);
	do_sync(boss, NULL);
	do_sync(agent, &rep);
	printf("  (built and first sync of %zu ops in %.1f s)\n", rep.received,
	       bench_wall() - t);
	tsm_sync_report_dispose(&rep);
	for (i = 0; i < rounds && i < 64; i++) {
		customers(agent, 100);
		t0 = bench_wall();
		c0 = cpu();
		do_sync(agent, &rep);
		c1 = cpu();
		if (rep.sent != 100)
			die("the agent did not send 100 ops");
		tsm_sync_report_dispose(&rep);
		do_sync(boss, &rep);
		if (rep.received != 100)
			die("the manager did not receive 100 ops");
		tsm_sync_report_dispose(&rep);
		walls[i] = bench_wall() - t0;
		cpus[i] = cpu() - c0;
		sends[i] = c1 - c0;
		recvs[i] = cpu() - c1;
	}
	qsort(sends, (size_t)rounds, sizeof(double), bench_cmp_double);
	qsort(recvs, (size_t)rounds, sizeof(double), bench_cmp_double);
	r.send = sends[rounds / 2];
	r.receive = recvs[rounds / 2];
	qsort(walls, (size_t)rounds, sizeof(double), bench_cmp_double);
	qsort(cpus, (size_t)rounds, sizeof(double), bench_cmp_double);
	r.wall = walls[rounds / 2];
	r.cpu = cpus[rounds / 2];
	tsm_store_free(agent);
	tsm_store_free(boss);
	return r;
}

static void fan_in(int sites, long ops)
{
	tsm_store **agents = calloc((size_t)sites, sizeof(*agents)), *boss;
	tsm_sync_report rep;
	double t0, c0, wall, c;
	int i;

	printf("  %d agents write %ld ops each...\n", sites, ops);
	fflush(stdout);
	boss = team_of("fan", agents, sites);
	for (i = 0; i < sites; i++) {
		customers(agents[i], ops);
		do_sync(agents[i], NULL);
	}
	t0 = bench_wall();
	c0 = cpu();
	do_sync(boss, &rep);
	wall = bench_wall() - t0;
	c = cpu() - c0;
	printf("manager applies %d sites x %ld ops = %zu ops in one sync: "
	       "%.2f s (user cpu %.2f s), %.0f ops/s\n",
	       sites, ops, rep.received, wall, c,
	       (double)rep.received / wall);
	if (rep.received != (size_t)sites * (size_t)ops)
		die("the manager did not receive every op");
	tsm_sync_report_dispose(&rep);
	for (i = 0; i < sites; i++)
		tsm_store_free(agents[i]);
	tsm_store_free(boss);
	free(agents);
}

int main(int argc, char **argv)
{
	long large = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	long small = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
	int sites = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 20;
	long ops = argc > 5 ? strtol(argv[5], NULL, 10) : 5000;
	struct small_large s, l;
	char cmd[8400];

	if (tsm_init() < 0 || large < 1 || small < 1 || rounds < 1 ||
	    rounds > 64 || sites < 1 || ops < 1) {
		fprintf(stderr, "usage: bench_sync [LARGE [SMALL [ROUNDS "
				"[SITES [OPS]]]]]\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s/tsm-bench-sync-%ld",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", base, base);
	if (system(cmd) != 0)
		return 1;
	printf("bench_sync: a sync carrying 100 new ops (agent sends, manager "
	       "receives), median of %d rounds\n",
	       rounds);
	s = measure("small", small, rounds);
	l = measure("large", large, rounds);
	printf("100 new ops: %ld-customer store %.1f ms (user cpu %.1f ms), "
	       "%ld-customer store %.1f ms (user cpu %.1f ms)\n",
	       small, s.wall * 1e3, s.cpu * 1e3, large, l.wall * 1e3,
	       l.cpu * 1e3);
	printf("  user cpu of the sender's sync %.1f / %.1f ms, the receiver's "
	       "%.1f / %.1f ms (small / large)\n",
	       s.send * 1e3, l.send * 1e3, s.receive * 1e3,
	       l.receive * 1e3);
	printf("ratio large/small: wall %.2fx, user cpu %.2fx (target <= "
	       "1.3x)\n",
	       l.wall / s.wall, l.cpu / s.cpu);
	fan_in(sites, ops);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : 1;
}
