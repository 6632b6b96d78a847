/* cli/passphrase.c — obtaining the store key: from the unlock agent, else the
 * file named by TSM_PASSPHRASE_FILE, else a prompt on the terminal without
 * echo; passphrases live in sodium_malloc'd memory and are wiped after use. */
#include "cli.h"
#include "keys.h"

#include "tsm/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASS_MAX 1024	    /* longest passphrase, in bytes */
#define PASS_FILE_MAX 65536 /* a passphrase file larger than this is wrong */

void cli_trace_kdf(void)
{
	const char *t = getenv("TSM_TRACE");

	if (t && strstr(t, "kdf"))
		fputs("tsm: trace: kdf argon2id\n", stderr);
}

int cli_can_prompt(void)
{
	return isatty(STDIN_FILENO);
}

void cli_passphrase_free(char *pass)
{
	sodium_free(pass); /* wipes; NULL is allowed */
}

/* The first line of the file at path, without its line ending. */
static int read_file_passphrase(char **out, size_t *len, const char *path)
{
	unsigned char *buf = NULL, *nl;
	size_t n = 0, line;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_set_error(TSM_EIO,
				     "cannot read passphrase file '%s': %s",
				     path, strerror(errno));
	buf = sodium_malloc(PASS_FILE_MAX + 1);
	if (buf == NULL) {
		err = cli_set_error(TSM_ENOMEM, "out of memory");
		goto done;
	}
	while (n <= PASS_FILE_MAX) {
		r = read(fd, buf + n, PASS_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = cli_set_error(TSM_EIO,
					    "cannot read passphrase file '%s': "
					    "%s",
					    path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	nl = memchr(buf, '\n', n);
	if (nl == NULL && n > PASS_FILE_MAX) {
		err = cli_set_error(TSM_EINVALID,
				    "passphrase file '%s' is too large", path);
		goto done;
	}
	line = nl ? (size_t)(nl - buf) : n;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	if (line == 0) {
		err = cli_set_error(TSM_EINVALID,
				    "passphrase file '%s' is empty", path);
		goto done;
	}
	if (line > PASS_MAX || memchr(buf, '\0', line) != NULL) {
		err = cli_set_error(TSM_EINVALID,
				    "passphrase in '%s' is longer than %d "
				    "bytes or holds a NUL byte",
				    path, PASS_MAX);
		goto done;
	}
	*out = sodium_malloc(line + 1);
	if (*out == NULL) {
		err = cli_set_error(TSM_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(*out, buf, line);
	(*out)[line] = '\0';
	*len = line;
	err = 0;
done:
	sodium_free(buf); /* wipes */
	close(fd);
	return err;
}

/* ---- the terminal prompt ---- */

static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
	prompt_signal = sig;
}

static const int prompt_signals[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
				     SIGTSTP, SIGTTIN, SIGTTOU};
#define N_PROMPT_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static void put_tty(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Reads one line from the terminal fd with echo off into buf (cap bytes,
 * NUL-terminated). A signal while reading restores the terminal first and
 * is then delivered as it would have been; after a stop (Ctrl-Z, fg) the
 * prompt starts again. */
static int tty_read(char *buf, size_t cap, size_t *len, int fd,
		    const char *prompt)
{
	struct sigaction sa, old[N_PROMPT_SIGNALS];
	struct termios saved, quiet;
	size_t i, n;
	int echo_off, too_long, sig, eof;
	ssize_t r;
	char c;

again:
	n = 0;
	too_long = 0;
	eof = 0;
	prompt_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_signal; /* no SA_RESTART: read returns */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);
	echo_off = tcgetattr(fd, &saved) == 0;
	if (echo_off) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	put_tty(fd, prompt);
	while (!prompt_signal) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			eof = 1;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			too_long = 1;
	}
	c = 0;
	buf[n] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &saved);
	put_tty(fd, "\n");
	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	sig = prompt_signal;
	if (sig) {
		sodium_memzero(buf, cap);
		raise(sig); /* now with the caller's disposition */
		if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			goto again;
		return cli_set_error(TSM_ERROR, "interrupted");
	}
	if (eof && n == 0)
		return cli_set_error(TSM_ELOCKED, "no passphrase given");
	if (too_long) {
		sodium_memzero(buf, cap);
		return cli_set_error(
		    TSM_EINVALID, "passphrase longer than %d bytes", PASS_MAX);
	}
	*len = n;
	return 0;
}

static int prompt_passphrase(char **out, size_t *len, const char *env,
			     const char *prompt, int confirm)
{
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int fd = -1, err;

	if (!cli_can_prompt() ||
	    (fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return cli_set_error(TSM_ELOCKED,
				     "no passphrase: set %s or run tsm on a "
				     "terminal",
				     env ? env : "TSM_PASSPHRASE_FILE");
	a = sodium_malloc(PASS_MAX + 1);
	b = confirm ? sodium_malloc(PASS_MAX + 1) : NULL;
	if (a == NULL || (confirm && b == NULL)) {
		err = cli_set_error(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = tty_read(a, PASS_MAX + 1, &alen, fd, prompt)) < 0)
		goto done;
	if (alen == 0) {
		err = cli_set_error(TSM_EINVALID, "empty passphrase");
		goto done;
	}
	if (confirm) {
		if ((err = tty_read(b, PASS_MAX + 1, &blen, fd,
				    "repeat the passphrase: ")) < 0)
			goto done;
		if (alen != blen || sodium_memcmp(a, b, alen) != 0) {
			err = cli_set_error(TSM_EINVALID,
					    "the passphrases do not match");
			goto done;
		}
	}
	*out = a;
	*len = alen;
	a = NULL;
	err = 0;
done:
	sodium_free(a);
	sodium_free(b);
	close(fd);
	return err;
}

int cli_read_passphrase(char **out, size_t *len, const char *env,
			const char *prompt, int confirm)
{
	const char *path = env ? getenv(env) : NULL;

	*out = NULL;
	*len = 0;
	if (path && *path)
		return read_file_passphrase(out, len, path);
	return prompt_passphrase(out, len, env, prompt, confirm);
}

int cli_unwrap_key(tsm_key **out, const char *dir, const char *pass, size_t len)
{
	cli_trace_kdf();
	return tsm_key_unwrap(out, dir, pass, len);
}

int cli_obtain_key_ex(tsm_key **out, const char *dir, int flags, int *source)
{
	const char *file = getenv("TSM_PASSPHRASE_FILE");
	char id[33], prompt[128];
	char *pass = NULL;
	size_t len;
	int err, src;

	*out = NULL;
	if (source)
		*source = CLI_KEY_NONE;
	if ((err = tsm_store_id(id, dir)) < 0)
		return err;
	err = tsm_agent_get_key(out, id);
	if (err == 0) {
		src = CLI_KEY_AGENT;
		goto done;
	}
	if (err != TSM_ENOTFOUND)
		fprintf(stderr, "tsm: warning: unlock agent: %s\n",
			tsm_error_last()->message);
	if (file && *file)
		src = CLI_KEY_FILE;
	else if (!(flags & CLI_KEY_NO_PROMPT) && cli_can_prompt())
		src = CLI_KEY_PROMPT;
	else
		return cli_set_error(TSM_ELOCKED,
				     "store is locked; run 'tsm unlock' or set "
				     "TSM_PASSPHRASE_FILE");
	snprintf(prompt, sizeof(prompt), "passphrase for store %.8s: ", id);
	err =
	    cli_read_passphrase(&pass, &len, "TSM_PASSPHRASE_FILE", prompt, 0);
	if (err == TSM_ELOCKED)
		return cli_set_error(TSM_ELOCKED,
				     "store is locked; run 'tsm unlock' or set "
				     "TSM_PASSPHRASE_FILE");
	if (err < 0)
		return err;
	err = cli_unwrap_key(out, dir, pass, len);
	cli_passphrase_free(pass);
	if (err < 0)
		return err;
done:
	if (source)
		*source = src;
	return 0;
}

int cli_obtain_key(tsm_key **out, const char *dir)
{
	return cli_obtain_key_ex(out, dir, 0, NULL);
}
