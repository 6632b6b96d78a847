/* tests/unit/test_sync_team.c — a manager and three agents in separate stores
 * around one central repository, first a bare repository by path, then the
 * same over git:// from a `git daemon` on 127.0.0.1 started here: customers
 * assigned, concurrent offline edits (a name conflict, stage changes, won vs
 * lost), syncs in several orders; afterwards every replica has the same
 * state hash, the review queue holds exactly the expected conflicts, agents
 * list only their own customers, and no object in the central repository
 * holds a name, phone number or note in plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mirror.h"
#include "testutil.h"
#include "tsm/common.h"
#include "tsm/customer.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/review.h"
#include "tsm/store.h"
#include "tsm/sync.h"
#include "tsm/team.h"

#define NREP 4 /* the manager and three agents */

static char root[4096];
static pid_t daemon_pid = -1; /* killed at teardown even after a failure */

/* Everything that must never reach the central repository in plaintext. */
static const char *const secrets[] = {
	"Manager Person Wu", "Agent Person Li", "Agent Person Zhao",
	"Agent Person Sun", "Customer Alpha Example", "Customer Beta Example",
	"Customer Gamma Example", "Customer Delta Example",
	"Customer Epsilon Example", "Customer Zeta Example",
	"Customer Eta Example", "Renamed By Agent", "Renamed By Manager",
	"+8613800001001", "13800001001", "+8613800001005", "13800001005",
	"+8613800001007", "Note text that stays private", "Team Example Name",
};

struct rep {
	const char *member, *name;
	tsm_store *s;
};

static tsm_store *new_store(const char *tag, const char *dir_name,
			    const char *member, const char *name)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	char dir[4400];

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s-%s", root, tag, dir_name);
	assert_int_equal(tsm_store_create(&s, dir, "pw", 2, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, name), 0);
	return s;
}

static void sync_ok(tsm_store *s, tsm_sync_report *out)
{
	tsm_sync_report rep;
	int err = tsm_sync(&rep, s, NULL);

	if (err < 0)
		fail_msg("sync: %s", tsm_error_last()->message);
	assert_int_equal(rep.nrejections, 0);
	if (out)
		*out = rep;
	else
		tsm_sync_report_dispose(&rep);
}

static void put(tsm_store *s, const char *eid, const char *action,
		const char *field, const char *value)
{
	tsm_op_spec spec = {"customer", eid, action, field, value};

	if (tsm_ops_append(NULL, s, &spec, 1) < 0)
		fail_msg("append %s %s: %s", eid, field ? field : action,
			 tsm_error_last()->message);
}

static size_t count_received(const tsm_sync_report *r, const char *member)
{
	size_t i;

	for (i = 0; i < r->nmembers; i++)
		if (strcmp(r->members[i].member, member) == 0)
			return r->members[i].received;
	return 0;
}

/* The ids of the customers s lists, joined by spaces, sorted. */
static void listed(char *out, size_t cap, tsm_store *s)
{
	tsm_customer *list = NULL;
	size_t n = 0, i, len = 0;

	assert_int_equal(tsm_customer_list(&list, &n, s, NULL), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
					i ? " " : "", list[i].id);
	tsm_customer_list_free(list, n);
}

/* Open review items of s as "kind:eid:field" joined by spaces, sorted by
 * eid (each replica must hold the same). */
static void reviews(char *out, size_t cap, tsm_store *s)
{
	tsm_review_filter f = TSM_REVIEW_FILTER_INIT;
	tsm_review_item *items = NULL;
	char *lines[16];
	size_t n = 0, i, j, len = 0;

	f.open_only = 1;
	assert_int_equal(tsm_review_list(&items, &n, s, &f), 0);
	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		lines[i] = malloc(256);
		snprintf(lines[i], 256, "%s:%s:%s", items[i].kind,
			 items[i].eid, items[i].field);
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(lines[j], lines[i]) < 0) {
				char *t = lines[i];

				lines[i] = lines[j];
				lines[j] = t;
			}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
					i ? " " : "", lines[i]);
		free(lines[i]);
	}
	tsm_review_list_free(items, n);
}

/* No object of the central repository holds any of secrets. */
static void scan_central(const char *path)
{
	char cmd[4400];
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, got, i, k, slen;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "git -C '%s' cat-file --batch-all-objects --batch", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + len, 1, 65536, p);
		if (got == 0)
			break;
		len += got;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(len > 1000); /* the scan saw the objects */
	for (k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++) {
		slen = strlen(secrets[k]);
		for (i = 0; i + slen <= len; i++)
			if (memcmp(buf + i, secrets[k], slen) == 0)
				fail_msg("central repository holds '%s'",
					 secrets[k]);
	}
	free(buf);
}

/* The whole scenario against the central repository at url (its objects
 * on disk at path). order_flip varies the sync orders. */
static void scenario(const char *tag, const char *url, const char *path,
		     int order_flip)
{
	struct rep r[NREP] = {
		{"mgr", "Manager Person Wu", NULL},
		{"agent1", "Agent Person Li", NULL},
		{"agent2", "Agent Person Zhao", NULL},
		{"agent3", "Agent Person Sun", NULL},
	};
	tsm_store *mgr, *a1, *a2, *a3;
	tsm_sync_report rep;
	char h0[65], h[65], buf[1024], want[1024];
	char *code = NULL;
	int i, round;

	for (i = 0; i < NREP; i++)
		r[i].s = new_store(tag, r[i].member, r[i].member, r[i].name);
	mgr = r[0].s;
	a1 = r[1].s;
	a2 = r[2].s;
	a3 = r[3].s;
	assert_int_equal(tsm_team_create(mgr, url, "Team Example Name"), 0);
	sync_ok(mgr, NULL);
	for (i = 1; i < NREP; i++) {
		assert_int_equal(tsm_member_invite(&code, mgr, r[i].member,
						   "agent", r[i].name, 0),
				 0);
		assert_int_equal(tsm_team_join(r[i].s, url, code), 0);
		free(code);
	}
	sync_ok(mgr, &rep);
	assert_int_equal(rep.admitted, 3);
	tsm_sync_report_dispose(&rep);

	/* the manager imports and assigns; agent2 adds a customer of its
	 * own */
	put(mgr, "c00000000c001", "create", NULL,
	    "{\"name\":\"Customer Alpha Example\",\"phone\":\"+8613800001001\"}");
	put(mgr, "c00000000c002", "create", NULL,
	    "{\"name\":\"Customer Beta Example\",\"phone\":\"+8613800001002\"}");
	put(mgr, "c00000000c003", "create", NULL,
	    "{\"name\":\"Customer Gamma Example\",\"phone\":\"+8613800001003\"}");
	put(mgr, "c00000000c004", "create", NULL,
	    "{\"name\":\"Customer Delta Example\",\"phone\":\"+8613800001004\"}");
	put(mgr, "c00000000c005", "create", NULL,
	    "{\"name\":\"Customer Epsilon Example\","
	    "\"phone\":\"+8613800001005\"}");
	put(mgr, "c00000000c006", "create", NULL,
	    "{\"name\":\"Customer Zeta Example\",\"phone\":\"+8613800001006\"}");
	put(mgr, "c00000000c001", "set", "owner", "\"agent1\"");
	put(mgr, "c00000000c002", "set", "owner", "\"agent1\"");
	put(mgr, "c00000000c005", "set", "owner", "\"agent1\"");
	put(mgr, "c00000000c003", "set", "owner", "\"agent2\"");
	put(mgr, "c00000000c004", "set", "owner", "\"agent3\"");
	sync_ok(mgr, NULL);
	for (i = 1; i < NREP; i++) {
		sync_ok(r[i].s, &rep);
		assert_true(rep.admitted_self);
		tsm_sync_report_dispose(&rep);
	}
	put(a2, "c00000000c007", "create", NULL,
	    "{\"name\":\"Customer Eta Example\",\"phone\":\"+8613800001007\"}");

	/* offline, concurrently */
	put(a1, "c00000000c005", "set", "name", "\"Renamed By Agent\"");
	put(mgr, "c00000000c005", "set", "name", "\"Renamed By Manager\"");
	put(a1, "c00000000c001", "set", "stage", "\"interested\"");
	put(mgr, "c00000000c001", "set", "stage", "\"negotiating\"");
	put(a2, "c00000000c003", "set", "stage", "\"won\"");
	put(mgr, "c00000000c003", "set", "stage", "\"lost\"");
	put(a3, "c00000000c004", "append", "note",
	    "{\"text\":\"Note text that stays private\"}");
	put(a3, "c00000000c004", "append", "call",
	    "{\"outcome\":\"interested\",\"duration_s\":95}");

	/* syncs in several orders, until nothing new moves */
	for (round = 0; round < 3; round++) {
		int order[2][NREP] = {{3, 1, 0, 2}, {2, 0, 1, 3}};
		int *o = order[(round + order_flip) % 2];

		for (i = 0; i < NREP; i++) {
			sync_ok(r[o[i]].s, &rep);
			if (round == 0 && o[i] == 0 && !order_flip) {
				/* the manager got agent3's two ops and
				 * agent1's two, reported per member */
				assert_int_equal(count_received(&rep,
								"agent1"),
						 2);
				assert_int_equal(count_received(&rep,
								"agent3"),
						 2);
			}
			tsm_sync_report_dispose(&rep);
		}
	}
	assert_int_equal(tsm_state_hash(h0, mgr), 0);
	for (i = 1; i < NREP; i++) {
		assert_int_equal(tsm_state_hash(h, r[i].s), 0);
		assert_string_equal(h, h0);
	}
	/* exactly the expected conflicts, the same everywhere */
	snprintf(want, sizeof(want), "conflict:c00000000c003:stage "
				     "conflict:c00000000c005:name");
	for (i = 0; i < NREP; i++) {
		reviews(buf, sizeof(buf), r[i].s);
		assert_string_equal(buf, want);
	}
	/* agents list what they own or created; the manager lists all */
	listed(buf, sizeof(buf), a1);
	assert_string_equal(buf, "c00000000c001 c00000000c002 c00000000c005");
	listed(buf, sizeof(buf), a2);
	assert_string_equal(buf, "c00000000c003 c00000000c007");
	listed(buf, sizeof(buf), a3);
	assert_string_equal(buf, "c00000000c004");
	listed(buf, sizeof(buf), mgr);
	assert_string_equal(buf, "c00000000c001 c00000000c002 c00000000c003 "
				 "c00000000c004 c00000000c005 c00000000c006 "
				 "c00000000c007");
	scan_central(path);
	for (i = 0; i < NREP; i++)
		tsm_store_free(r[i].s);
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "%s", tu_tmpdir("sync-team"));
	return 0;
}

static void bare(char *out, size_t cap, const char *name)
{
	tsm_mirror *m = NULL;

	snprintf(out, cap, "%s/%s", root, name);
	assert_int_equal(tsm_mirror_open(&m, out, NULL), 0);
	tsm_mirror_free(m);
}

static void test_path(void **state)
{
	char path[4300];

	bare(path, sizeof(path), "central.git");
	scenario("path", path, path, 0);
}

/* A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int accepts(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Starts `git daemon` serving root on 127.0.0.1; *port gets its port. */
static pid_t start_daemon(int *port)
{
	char base[4200], listen_port[32];
	struct timespec pause = {0, 50 * 1000 * 1000};
	int attempt, tick, status;
	pid_t pid;

	snprintf(base, sizeof(base), "--base-path=%s", root);
	for (attempt = 0; attempt < 5; attempt++) {
		*port = free_port();
		snprintf(listen_port, sizeof(listen_port), "--port=%d", *port);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			execlp("git", "git", "daemon", "--reuseaddr", base,
			       "--export-all", "--enable=receive-pack",
			       "--listen=127.0.0.1", listen_port, root,
			       (char *)NULL);
			_exit(127);
		}
		/* wait until it accepts (or gave up: port taken meanwhile) */
		for (tick = 0; tick < 1200; tick++) {
			if (accepts(*port))
				return pid;
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			nanosleep(&pause, NULL);
		}
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	fail_msg("cannot start git daemon");
	return -1;
}

static void test_git_daemon(void **state)
{
	char path[4300], url[128];
	int port, status;
	pid_t pid;

	bare(path, sizeof(path), "daemon.git");
	pid = start_daemon(&port);
	daemon_pid = pid;
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/daemon.git", port);
	scenario("git", url, path, 1);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	daemon_pid = -1;
}

static int teardown(void **state)
{
	int status;

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, &status, 0);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_git_daemon),
	};

	signal(SIGPIPE, SIG_IGN);
	tsm_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
