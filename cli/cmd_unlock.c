/* cli/cmd_unlock.c — `tsm unlock` starts the unlock agent that holds the
 * store key (one Argon2 derivation, then none per command); `tsm lock` makes
 * it forget the key. The agent is a forked child running tsm_agent_serve(). */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

extern const struct cli_cmd cmd_unlock, cmd_lock;

#define DEFAULT_TIMEOUT (30u * 60u) /* seconds */

/* "90s", "15m", "2h" or a plain number of minutes, into seconds. */
static int parse_timeout(unsigned int *out, const char *s)
{
	unsigned long v, mul = 60;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 's')
		mul = 1;
	else if (*end == 'm')
		mul = 60;
	else if (*end == 'h')
		mul = 3600;
	else if (*end != '\0')
		return -1;
	if (*end && end[1] != '\0')
		return -1;
	if (v == 0 || v > TSM_AGENT_TIMEOUT_MAX / mul)
		return -1;
	*out = (unsigned int)(v * mul);
	return 0;
}

/* ---- the agent process ---- */

static int wake_write = -1;

static void on_stop_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	(void)sig;
	n = write(wake_write, "x", 1);
	(void)n;
	errno = saved;
}

/* The forked child: leaves the terminal's session, keeps no descriptor but
 * the socket and the wake pipe, serves, and exits without returning. */
static void run_agent(tsm_agent *agent, int wake[2])
{
	struct sigaction sa;
	int fd, maxfd, keep = tsm_agent_fd(agent), rc;

	setsid();
	fd = open("/dev/null", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	maxfd = (int)sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (fd = 3; fd < maxfd; fd++)
		if (fd != keep && fd != wake[0] && fd != wake[1])
			close(fd);
	if (chdir("/") < 0) {
		/* harmless: the agent opens no relative path */
	}
	wake_write = wake[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	rc = tsm_agent_serve(agent, wake[0]);
	tsm_agent_free(agent);
	_exit(rc < 0 ? EXIT_ERR : EXIT_OK);
}

/* Forks the agent; returns once it answers on its socket. */
static int start_agent(tsm_agent_status *st, tsm_agent *agent, const char *id)
{
	int wake[2], i;
	pid_t pid;

	if (pipe(wake) < 0) {
		tsm_agent_close(agent);
		return cli_set_error(TSM_EIO, "cannot create a pipe: %s",
				     strerror(errno));
	}
	for (i = 0; i < 2; i++)
		fcntl(wake[i], F_SETFD, FD_CLOEXEC);
	fcntl(wake[1], F_SETFL, O_NONBLOCK);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(wake[0]);
		close(wake[1]);
		tsm_agent_close(agent);
		return cli_set_error(TSM_EIO, "cannot start the agent: %s",
				     strerror(errno));
	}
	if (pid == 0)
		run_agent(agent, wake);
	/* The child owns the socket and the key now; drop our copies. */
	close(wake[0]);
	close(wake[1]);
	tsm_agent_free(agent);
	if (tsm_agent_ping(st, id) < 0 || st->pid != (long)pid)
		return cli_set_error(TSM_EIO, "the unlock agent did not start");
	return 0;
}

static int unlock_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	unsigned int timeout = DEFAULT_TIMEOUT;
	char id[33], prompt[128];
	tsm_agent_status st;
	tsm_agent *agent = NULL;
	tsm_key *key = NULL;
	char *pass = NULL;
	size_t len;
	int c, err;
	jsonw w;

	while ((c = getopt_long(argc, argv, ":t:", opts, NULL)) != -1) {
		if (c != 't')
			return cli_option_error(&cmd_unlock, c, argv);
		if (parse_timeout(&timeout, optarg) < 0)
			return cli_usage(&cmd_unlock,
					 "bad timeout '%s': use minutes, or "
					 "a number with s, m or h, up to 7 "
					 "days",
					 optarg);
	}
	if (optind < argc)
		return cli_usage(&cmd_unlock, "unexpected argument '%s'",
				 argv[optind]);
	if (tsm_store_id(id, ctx->dir) < 0)
		return cli_fail();
	snprintf(prompt, sizeof(prompt), "passphrase for store %.8s: ", id);
	err =
	    cli_read_passphrase(&pass, &len, "TSM_PASSPHRASE_FILE", prompt, 0);
	if (err == TSM_ELOCKED)
		cli_set_error(TSM_ELOCKED,
			      "no passphrase: set TSM_PASSPHRASE_FILE or run "
			      "'tsm unlock' on a terminal");
	if (err < 0)
		return cli_fail();
	err = cli_unwrap_key(&key, ctx->dir, pass, len);
	cli_passphrase_free(pass);
	if (err < 0)
		return cli_fail();
	err = tsm_agent_listen(&agent, key, timeout);
	tsm_key_free(key);
	if (err < 0)
		return cli_fail();
	if (start_agent(&st, agent, id) < 0)
		return cli_fail();
	if (ctx->json) {
		char path[256];

		if (tsm_agent_socket_path(path, sizeof(path), id) < 0)
			path[0] = '\0';
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "store_id", id);
		jw_kv_int(&w, "pid", st.pid);
		jw_kv_string(&w, "socket", path);
		jw_kv_int(&w, "timeout", st.timeout);
		jw_kv_bool(&w, "mlocked", st.mlocked);
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf(
		    "unlocked: agent %ld holds the key and forgets it after ",
		    st.pid);
		cli_put_duration(stdout, st.timeout);
		printf(" without use ('tsm lock' forgets it now)\n");
		if (!st.mlocked)
			fprintf(stderr, "tsm: warning: the agent could not "
					"lock its key in memory (see "
					"'ulimit -l')\n");
	}
	return EXIT_OK;
}

const struct cli_cmd cmd_unlock = {
	.name = "unlock",
	.usage = "tsm unlock [--timeout TIME]",
	.summary = "keep the store unlocked for a while (starts the agent)",
	.help =
		"Asks for the passphrase once (the first line of the file\n"
		"named by $TSM_PASSPHRASE_FILE, else on the terminal), then\n"
		"starts an agent process that holds the store key in locked\n"
		"memory and hands it to your later tsm commands over a\n"
		"private socket ($XDG_RUNTIME_DIR/tsm, else /tmp/tsm-UID),\n"
		"so they pay no passphrase cost. The agent forgets the key\n"
		"and exits after TIME without a command using it, or on\n"
		"'tsm lock'. Unlocking again replaces a running agent.\n"
		"\n"
		"options:\n"
		"  -t, --timeout TIME  idle time before the agent forgets:\n"
		"                      minutes, or a number with s, m or h\n"
		"                      (default 30 minutes, at most 7 days)\n"
		"  --json              print the agent's pid, socket and\n"
		"                      timeout\n",
	.flags = CMD_NEEDS_STORE,
	.exec = unlock_exec,
};

static int lock_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	char id[33];
	int err;
	jsonw w;

	if (argc > 1)
		return cli_usage(&cmd_lock, "unexpected argument '%s'",
				 argv[1]);
	if (tsm_store_id(id, ctx->dir) < 0)
		return cli_fail();
	err = tsm_agent_lock(id);
	if (err < 0 && err != TSM_ENOTFOUND)
		return cli_fail();
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "store_id", id);
		jw_kv_bool(&w, "was_unlocked", err == 0);
		jw_end_object(&w);
		jw_finish(&w);
	} else if (err == 0) {
		printf("locked: the agent forgot the key\n");
	} else {
		printf("already locked: no agent held the key of this store\n");
	}
	return EXIT_OK;
}

const struct cli_cmd cmd_lock = {
	.name = "lock",
	.usage = "tsm lock",
	.summary = "make the unlock agent forget the key now",
	.help =
		"Tells the agent holding this store's key to wipe it,\n"
		"remove its socket and exit. Succeeds also when no agent is\n"
		"running.\n",
	.flags = CMD_NEEDS_STORE,
	.exec = lock_exec,
};
