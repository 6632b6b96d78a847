/* tests/unit/test_agent.c — the unlock agent: socket paths and directory
 * checks, the protocol served by a forked child (ping, get, lock, bad
 * requests), idle expiry, the wake descriptor, replacing a running agent,
 * stale sockets and (as root) refusing peers of another user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_internal.h"
#include "tsm/agent.h"
#include "testutil.h"

static char rundir[4096];
static pid_t children[8]; /* agents this test forked, killed in teardown */
static int nchildren;

/* A fresh $XDG_RUNTIME_DIR for each test. */
static int setup(void **state)
{
	const char *d = tu_tmpdir("agent-run");

	(void)state;
	if (d == NULL)
		return -1;
	snprintf(rundir, sizeof(rundir), "%s", d);
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	alarm(120); /* a hung agent fails the test rather than the suite */
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	alarm(0);
	/* A failed assertion must not leave an agent holding our stdout. */
	for (i = 0; i < nchildren; i++) {
		if (kill(children[i], SIGKILL) == 0)
			waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
	return 0;
}

static tsm_key *random_key(void)
{
	unsigned char bytes[32], id[16];
	tsm_key *key = NULL;

	randombytes_buf(bytes, sizeof(bytes));
	randombytes_buf(id, sizeof(id));
	assert_int_equal(tsm_key_from_bytes(&key, bytes, id), 0);
	return key;
}

/* Forks a child that serves agent; returns its pid. The parent's copy of
 * the agent is freed, as the CLI does. */
static pid_t serve_in_child(tsm_agent *agent, int wake_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int rc = tsm_agent_serve(agent, wake_fd);

		tsm_agent_free(agent);
		_exit(rc < 0 ? 1 : 0);
	}
	if (nchildren < 8)
		children[nchildren++] = pid;
	tsm_agent_free(agent);
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Sends a raw request line and returns the reply's length (reply in buf). */
static size_t raw_request(const char *path, const char *req, char *buf,
			  size_t cap)
{
	struct sockaddr_un addr;
	size_t len = 0;
	ssize_t n;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return len;
}

/* raw_request without cmocka asserts, for a forked child: the number of
 * reply bytes, or -1 when it cannot connect. */
static ssize_t child_request(const char *path, const char *req)
{
	struct sockaddr_un addr;
	ssize_t n, len = 0;
	char buf[256];
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -1;
	if (write(fd, req, strlen(req)) > 0)
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			len += n;
	close(fd);
	return len;
}

static void test_socket_path(void **state)
{
	char path[256], want[4200], longdir[200];
	const char *id = "0123456789abcdef0123456789abcdef";

	(void)state;
	assert_int_equal(tsm_agent_socket_path(path, sizeof(path), id), 0);
	snprintf(want, sizeof(want), "%s/tsm/%s.sock", rundir, id);
	assert_string_equal(path, want);

	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(tsm_agent_socket_path(path, sizeof(path), id), 0);
	snprintf(want, sizeof(want), "/tmp/tsm-%lu/%s.sock",
		 (unsigned long)geteuid(), id);
	assert_string_equal(path, want);
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1); /* ignored */
	assert_int_equal(tsm_agent_socket_path(path, sizeof(path), id), 0);
	assert_string_equal(path, want);

	assert_int_equal(tsm_agent_socket_path(path, sizeof(path), "../x"),
			 TSM_EINVALID);
	assert_int_equal(
	    tsm_agent_socket_path(path, sizeof(path),
				  "0123456789ABCDEF0123456789abcdef"),
	    TSM_EINVALID);
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	setenv("XDG_RUNTIME_DIR", longdir, 1);
	assert_int_equal(tsm_agent_socket_path(path, sizeof(path), id),
			 TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "too long"));
	setenv("XDG_RUNTIME_DIR", rundir, 1);
}

static void test_serve_protocol(void **state)
{
	char dir[4200], path[256], buf[256], req[64], other[33], longreq[256];
	tsm_agent_status st;
	tsm_agent *agent = NULL;
	tsm_key *key = random_key(), *got = NULL;
	const char *id = tsm_key_store_id(key);
	struct stat sb;
	pid_t pid;

	(void)state;
	assert_int_equal(tsm_agent_ping(&st, id), TSM_ENOTFOUND);
	assert_int_equal(tsm_agent_get_key(&got, id), TSM_ENOTFOUND);
	assert_int_equal(tsm_agent_lock(id), TSM_ENOTFOUND);
	assert_int_equal(tsm_agent_listen(&agent, key, 0), TSM_EINVALID);
	assert_int_equal(tsm_agent_listen(&agent, key, 600), 0);

	snprintf(dir, sizeof(dir), "%s/tsm", rundir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(lstat(tsm_agent_path(agent), &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s", tsm_agent_path(agent));

	pid = serve_in_child(agent, -1);
	assert_int_equal(tsm_agent_ping(&st, id), 0);
	assert_string_equal(st.store_id, id);
	assert_int_equal(st.pid, pid);
	assert_int_equal(st.timeout, 600);
	assert_true(st.left > 0 && st.left <= 600);

	assert_int_equal(tsm_agent_get_key(&got, id), 0);
	assert_memory_equal(tsm_key_bytes(got), tsm_key_bytes(key), 32);
	assert_memory_equal(tsm_key_id_bytes(got), tsm_key_id_bytes(key), 16);
	assert_string_equal(tsm_key_store_id(got), id);
	tsm_key_free(got);

	/* Another store's id, garbage and an over-long line get no key. */
	snprintf(other, sizeof(other), "%s", id);
	other[0] = other[0] == 'a' ? 'b' : 'a';
	assert_int_equal(tsm_agent_get_key(&got, other), TSM_ENOTFOUND);
	snprintf(req, sizeof(req), "GET %s\n", other);
	raw_request(path, req, buf, sizeof(buf));
	assert_string_equal(buf, "ERR not this store\n");
	raw_request(path, "HELLO\n", buf, sizeof(buf));
	assert_string_equal(buf, "ERR bad request\n");
	memset(longreq, 'a', 200);
	memcpy(longreq, "GET ", 4);
	longreq[200] = '\n';
	longreq[201] = '\0';
	raw_request(path, longreq, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* Still serving after all that. */
	assert_int_equal(tsm_agent_ping(&st, id), 0);

	assert_int_equal(tsm_agent_lock(id), 0);
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(lstat(path, &sb), -1);
	assert_int_equal(tsm_agent_ping(&st, id), TSM_ENOTFOUND);
	assert_int_equal(tsm_agent_get_key(&got, id), TSM_ENOTFOUND);
	tsm_key_free(key);
}

static void test_idle_timeout(void **state)
{
	tsm_agent *agent = NULL;
	tsm_key *key = random_key(), *got = NULL;
	char path[256];
	struct stat sb;
	pid_t pid;

	(void)state;
	assert_int_equal(tsm_agent_listen(&agent, key, 1), 0);
	snprintf(path, sizeof(path), "%s", tsm_agent_path(agent));
	pid = serve_in_child(agent, -1);
	/* Nobody asks: it must exit on its own and take its socket along. */
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(lstat(path, &sb), -1);
	assert_int_equal(tsm_agent_get_key(&got, tsm_key_store_id(key)),
			 TSM_ENOTFOUND);
	tsm_key_free(key);
}

static void test_wake_fd(void **state)
{
	tsm_agent *agent = NULL;
	tsm_key *key = random_key();
	tsm_agent_status st;
	char path[256];
	struct stat sb;
	int wake[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(wake), 0);
	assert_int_equal(tsm_agent_listen(&agent, key, 600), 0);
	snprintf(path, sizeof(path), "%s", tsm_agent_path(agent));
	pid = serve_in_child(agent, wake[0]);
	assert_int_equal(tsm_agent_ping(&st, tsm_key_store_id(key)), 0);
	assert_int_equal(write(wake[1], "x", 1), 1);
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(lstat(path, &sb), -1);
	close(wake[0]);
	close(wake[1]);
	tsm_key_free(key);
}

static void test_socket_removed(void **state)
{
	tsm_agent *agent = NULL;
	tsm_key *key = random_key();
	char path[256];
	pid_t pid;

	(void)state;
	assert_int_equal(tsm_agent_listen(&agent, key, 600), 0);
	snprintf(path, sizeof(path), "%s", tsm_agent_path(agent));
	pid = serve_in_child(agent, -1);
	/* Its directory wiped: unreachable, so it must wipe the key and go
	 * well before its ten-minute timeout (the alarm fails a hang). */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(wait_exit(pid), 0);
	tsm_key_free(key);
}

static void test_replace_and_stale(void **state)
{
	tsm_agent *agent = NULL;
	tsm_key *key = random_key(), *got = NULL;
	const char *id = tsm_key_store_id(key);
	struct sockaddr_un addr;
	tsm_agent_status st;
	pid_t first, second;
	int fd;

	(void)state;
	assert_int_equal(tsm_agent_listen(&agent, key, 600), 0);
	first = serve_in_child(agent, -1);
	assert_int_equal(tsm_agent_ping(&st, id), 0);

	/* A new agent for the same store makes the first one leave. */
	assert_int_equal(tsm_agent_listen(&agent, key, 300), 0);
	assert_int_equal(wait_exit(first), 0);
	second = serve_in_child(agent, -1);
	assert_int_equal(tsm_agent_ping(&st, id), 0);
	assert_int_equal(st.pid, second);
	assert_int_equal(st.timeout, 300);
	assert_int_equal(tsm_agent_get_key(&got, id), 0);
	tsm_key_free(got);
	assert_int_equal(kill(second, SIGKILL), 0);
	waitpid(second, NULL, 0);

	/* Its socket is left behind: clients see no agent, a new agent
	 * replaces the stale file. */
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	assert_int_equal(
	    tsm_agent_socket_path(addr.sun_path, sizeof(addr.sun_path), id), 0);
	assert_int_equal(access(addr.sun_path, F_OK), 0);
	assert_int_equal(tsm_agent_get_key(&got, id), TSM_ENOTFOUND);
	assert_int_equal(tsm_agent_listen(&agent, key, 300), 0);
	tsm_agent_close(agent); /* never served: removes the socket */
	assert_int_equal(access(addr.sun_path, F_OK), -1);

	/* Something that is not a socket is not removed. */
	fd = open(addr.sun_path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tsm_agent_listen(&agent, key, 300), TSM_EEXISTS);
	assert_null(agent);
	assert_int_equal(access(addr.sun_path, F_OK), 0);
	unlink(addr.sun_path);
	tsm_key_free(key);
}

static void test_unsafe_dir(void **state)
{
	tsm_agent *agent = NULL;
	tsm_key *key = random_key();
	char dir[4200];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tsm", rundir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(tsm_agent_listen(&agent, key, 60), TSM_EPERM);
	assert_null(agent);
	assert_non_null(strstr(tsm_error_last()->message, "other users"));
	assert_int_equal(rmdir(dir), 0);
	/* A symlink to a private directory is not accepted either. */
	snprintf(dir, sizeof(dir), "%s/real", rundir);
	assert_int_equal(mkdir(dir, 0700), 0);
	{
		char link[4200];

		snprintf(link, sizeof(link), "%s/tsm", rundir);
		assert_int_equal(symlink(dir, link), 0);
	}
	assert_int_equal(tsm_agent_listen(&agent, key, 60), TSM_EPERM);
	assert_non_null(strstr(tsm_error_last()->message, "not a directory"));
	tsm_key_free(key);
}

/* As root: a peer of another user gets nothing, even with a socket whose
 * modes would let it connect, and a client of another user refuses the
 * agent. */
static void test_other_user(void **state)
{
	char tmpl[] = "/tmp/tsm-agent-peer-XXXXXX", dir[64], path[256];
	tsm_agent *agent = NULL;
	tsm_key *key = random_key();
	pid_t pid, peer;
	int status;

	(void)state;
	if (geteuid() != 0) {
		tsm_key_free(key);
		skip();
	}
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(chmod(tmpl, 0755), 0);
	setenv("XDG_RUNTIME_DIR", tmpl, 1);
	assert_int_equal(tsm_agent_listen(&agent, key, 600), 0);
	snprintf(path, sizeof(path), "%s", tsm_agent_path(agent));
	snprintf(dir, sizeof(dir), "%s/tsm", tmpl);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(path, 0666), 0);
	pid = serve_in_child(agent, -1);

	peer = fork();
	assert_true(peer >= 0);
	if (peer == 0) {
		char req[64];
		tsm_key *got = NULL;
		ssize_t n;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		snprintf(req, sizeof(req), "GET %s\n", tsm_key_store_id(key));
		n = child_request(path, req);
		if (n < 0)
			_exit(13); /* could not even connect: test is void */
		if (n != 0)
			_exit(11); /* the agent answered a stranger */
		if (tsm_agent_get_key(&got, tsm_key_store_id(key)) != TSM_EAUTH)
			_exit(12); /* the client trusted a stranger's agent */
		_exit(0);
	}
	assert_int_equal(waitpid(peer, &status, 0), peer);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	assert_int_equal(tsm_agent_lock(tsm_key_store_id(key)), 0);
	assert_int_equal(wait_exit(pid), 0);
	rmdir(dir);
	rmdir(tmpl);
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	tsm_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_socket_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_serve_protocol, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wake_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_removed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_replace_and_stale, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unsafe_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_user, setup, teardown),
	};

	if (tsm_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
