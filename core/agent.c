/* core/agent.c — the unlock agent: its private socket directory, the serve
 * loop answering a tiny line protocol over a unix socket, and the client side
 * of that protocol. Protocol (one request per connection, then close):
 *   "PING\n"        -> "OK <store-id> <pid> <timeout> <left> <mlocked>\n"
 *   "GET <store-id>\n" -> "KEY " <32 key bytes> <16 id bytes> "\n"
 *   "LOCK\n"        -> the agent removes its socket, then "OK\n", then exits
 *   anything else   -> "ERR <reason>\n" */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED, accept4 */
#include "tsm/agent.h"

#include "error.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define KEY_LEN 32
#define ID_LEN 16
#define SECRET_LEN (KEY_LEN + ID_LEN) /* key bytes, then store id bytes */
#define KEY_REPLY_LEN (4 + SECRET_LEN + 1)
#define REQ_MAX 96
#define REPLY_MAX 128
#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define AGENT_IO_SECONDS 2   /* the agent waits this long for a request */
#define CLIENT_IO_SECONDS 10 /* a client waits this long for an answer */
#define SOCKET_CHECK_MS 2000 /* how often the agent checks its socket */

struct tsm_agent {
	int fd; /* listening socket */
	char path[SUN_PATH_MAX];
	int own_socket; /* path is the socket we bound */
	dev_t dev;	/* identity of that socket file */
	ino_t ino;
	char store_id[33];
	unsigned char *secret; /* SECRET_LEN bytes, sodium_malloc'd */
	unsigned int timeout;  /* seconds */
	int mlocked;
	int64_t deadline; /* monotonic ms when the key is forgotten */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int store_id_valid(const char *id)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[32] == '\0';
}

/* The directory that holds the agents' sockets. */
static int socket_dir(char *out, size_t outlen)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	int n;

	if (rt && rt[0] == '/')
		n = snprintf(out, outlen, "%s/tsm", rt);
	else
		n = snprintf(out, outlen, "/tmp/tsm-%lu",
			     (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= outlen)
		return tsm_error_set(TSM_EINVALID,
				     "agent socket directory path too long");
	return 0;
}

/* The socket directory must be a real directory of ours that nobody else
 * may enter. */
static int check_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return tsm_error_set(errno == ENOENT ? TSM_ENOTFOUND : TSM_EIO,
				     "cannot inspect '%s': %s", dir,
				     strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tsm_error_set(TSM_EPERM, "'%s' is not a directory", dir);
	if (st.st_uid != geteuid())
		return tsm_error_set(TSM_EPERM, "'%s' belongs to another user",
				     dir);
	if (st.st_mode & 077)
		return tsm_error_set(TSM_EPERM,
				     "'%s' is open to other users (mode %03o); "
				     "it must be 0700",
				     dir, (unsigned int)(st.st_mode & 0777));
	return 0;
}

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0) {
		/* The umask may have taken owner bits; set them exactly. */
		if (chmod(dir, 0700) < 0)
			return tsm_error_set(TSM_EIO, "cannot chmod '%s': %s",
					     dir, strerror(errno));
	} else if (errno != EEXIST) {
		return tsm_error_set(TSM_EIO, "cannot create '%s': %s", dir,
				     strerror(errno));
	}
	return check_dir(dir);
}

int tsm_agent_socket_path(char *out, size_t outlen, const char *store_id)
{
	char dir[PATH_MAX];
	int err, n;

	if (outlen)
		out[0] = '\0';
	if (!store_id_valid(store_id))
		return tsm_error_set(TSM_EINVALID, "bad store id '%s'",
				     store_id);
	if ((err = socket_dir(dir, sizeof(dir))) < 0)
		return err;
	n = snprintf(out, outlen, "%s/%s.sock", dir, store_id);
	if (n < 0 || (size_t)n >= outlen || (size_t)n >= SUN_PATH_MAX) {
		if (outlen)
			out[0] = '\0';
		return tsm_error_set(TSM_EINVALID,
				     "agent socket path '%s/%s.sock' is too "
				     "long for a unix socket (at most %zu "
				     "bytes); set XDG_RUNTIME_DIR to a shorter "
				     "directory",
				     dir, store_id, SUN_PATH_MAX - 1);
	}
	return 0;
}

static void set_io_timeout(int fd, int seconds)
{
	struct timeval tv = {seconds, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Nonzero if the process at the other end of fd runs as our user. */
static int peer_is_us(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return 0;
	return cred.uid == geteuid();
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fill_addr(struct sockaddr_un *addr, const char *path)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, strlen(path) + 1);
}

/* ---- client ------------------------------------------------------------ */

/* Connects to the agent for store_id; *out gets the connected socket. */
static int agent_connect(int *out, const char *store_id)
{
	char path[SUN_PATH_MAX];
	struct sockaddr_un addr;
	int fd = -1, err;

	*out = -1;
	if ((err = tsm_agent_socket_path(path, sizeof(path), store_id)) < 0)
		return err;
	fill_addr(&addr, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tsm_error_set(TSM_EIO, "cannot create a socket: %s",
				     strerror(errno));
	set_io_timeout(fd, CLIENT_IO_SECONDS);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR)
			err = tsm_error_set(TSM_ENOTFOUND,
					    "no unlock agent for store %s",
					    store_id);
		else
			err = tsm_error_set(TSM_EIO,
					    "cannot reach the unlock agent at "
					    "'%s': %s",
					    path, strerror(errno));
		goto done;
	}
	if (!peer_is_us(fd)) {
		err =
		    tsm_error_set(TSM_EAUTH,
				  "the agent socket '%s' is served by another "
				  "user",
				  path);
		goto done;
	}
	*out = fd;
	fd = -1;
	err = 0;
done:
	if (fd >= 0)
		close(fd);
	return err;
}

/* Sends req and reads the whole reply (the agent closes after it) into buf,
 * at most cap bytes; *len gets its length. */
static int agent_request(unsigned char *buf, size_t cap, size_t *len,
			 const char *store_id, const char *req)
{
	int fd, err;
	ssize_t n;

	*len = 0;
	if ((err = agent_connect(&fd, store_id)) < 0)
		return err;
	if (send_all(fd, req, strlen(req)) < 0) {
		err = tsm_error_set(TSM_EIO,
				    "cannot talk to the unlock agent: %s",
				    strerror(errno));
		goto done;
	}
	while (*len < cap) {
		n = recv(fd, buf + *len, cap - *len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = tsm_error_set(TSM_EIO,
					    "no answer from the unlock agent: "
					    "%s",
					    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	err = 0;
done:
	close(fd);
	return err;
}

/* Parses an unsigned decimal followed by a space or a newline. */
static int next_number(const char **p, unsigned long *out)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*out = strtoul(*p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n'))
		return -1;
	*p = end + 1;
	return 0;
}

int tsm_agent_ping(tsm_agent_status *out, const char *store_id)
{
	unsigned char buf[REPLY_MAX + 1];
	unsigned long pid, timeout, left, mlocked;
	const char *p;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = agent_request(buf, REPLY_MAX, &len, store_id, "PING\n")) < 0)
		return err;
	buf[len] = '\0';
	p = (const char *)buf;
	if (len < 36 || memcmp(p, "OK ", 3) != 0 || p[35] != ' ')
		goto bad;
	memcpy(out->store_id, p + 3, 32);
	out->store_id[32] = '\0';
	p += 36;
	if (next_number(&p, &pid) < 0 || next_number(&p, &timeout) < 0 ||
	    next_number(&p, &left) < 0 || next_number(&p, &mlocked) < 0)
		goto bad;
	if (strcmp(out->store_id, store_id) != 0 || timeout > UINT_MAX ||
	    left > UINT_MAX || pid > LONG_MAX)
		goto bad;
	out->pid = (long)pid;
	out->timeout = (unsigned int)timeout;
	out->left = (unsigned int)left;
	out->mlocked = mlocked != 0;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return tsm_error_set(TSM_EIO, "unexpected answer from the unlock "
				      "agent");
}

int tsm_agent_get_key(tsm_key **out, const char *store_id)
{
	char req[REQ_MAX];
	unsigned char *buf;
	size_t len;
	int err;

	*out = NULL;
	if (!store_id_valid(store_id))
		return tsm_error_set(TSM_EINVALID, "bad store id '%s'",
				     store_id);
	buf = sodium_malloc(REPLY_MAX);
	if (buf == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(req, sizeof(req), "GET %s\n", store_id);
	if ((err = agent_request(buf, REPLY_MAX, &len, store_id, req)) < 0)
		goto done;
	if (len >= 4 && memcmp(buf, "ERR ", 4) == 0) {
		err = tsm_error_set(TSM_ENOTFOUND,
				    "the unlock agent does not hold the key "
				    "of store %s",
				    store_id);
		goto done;
	}
	if (len != KEY_REPLY_LEN || memcmp(buf, "KEY ", 4) != 0 ||
	    buf[KEY_REPLY_LEN - 1] != '\n') {
		err = tsm_error_set(TSM_EIO, "unexpected answer from the "
					     "unlock agent");
		goto done;
	}
	if ((err = tsm_key_from_bytes(out, buf + 4, buf + 4 + KEY_LEN)) < 0)
		goto done;
	if (strcmp(tsm_key_store_id(*out), store_id) != 0) {
		tsm_key_free(*out);
		*out = NULL;
		err = tsm_error_set(TSM_ECORRUPT,
				    "the unlock agent answered with the key of "
				    "another store");
		goto done;
	}
	err = 0;
done:
	sodium_free(buf); /* wipes */
	return err;
}

int tsm_agent_lock(const char *store_id)
{
	unsigned char buf[REPLY_MAX];
	size_t len;
	int err;

	if ((err = agent_request(buf, sizeof(buf), &len, store_id, "LOCK\n")) <
	    0)
		return err;
	if (len != 3 || memcmp(buf, "OK\n", 3) != 0)
		return tsm_error_set(TSM_EIO, "the unlock agent did not "
					      "confirm the lock");
	return 0;
}

/* ---- the agent ---------------------------------------------------------- */

/* Removes the socket file if it is still the one this agent bound. */
static void remove_socket(tsm_agent *a)
{
	struct stat st;

	if (!a->own_socket)
		return;
	if (lstat(a->path, &st) == 0 && st.st_dev == a->dev &&
	    st.st_ino == a->ino)
		unlink(a->path);
	a->own_socket = 0;
}

/* Nonzero while the socket file is still the one this agent bound: once it
 * is removed or replaced nobody can reach the agent, which should go. */
static int socket_present(const tsm_agent *a)
{
	struct stat st;

	return lstat(a->path, &st) == 0 && st.st_dev == a->dev &&
	       st.st_ino == a->ino;
}

/* A socket file left by an agent that died without cleaning up may go; a
 * live agent's may not. */
static int remove_stale(const char *path)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT
			   ? 0
			   : tsm_error_set(TSM_EIO, "cannot inspect '%s': %s",
					   path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return tsm_error_set(TSM_EEXISTS,
				     "'%s' exists and is not a socket", path);
	if (st.st_uid != geteuid())
		return tsm_error_set(TSM_EPERM, "'%s' belongs to another user",
				     path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tsm_error_set(TSM_EIO, "cannot create a socket: %s",
				     strerror(errno));
	fill_addr(&addr, path);
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	e = errno;
	close(fd);
	if (rc == 0)
		return tsm_error_set(TSM_EBUSY,
				     "another unlock agent for this store "
				     "started meanwhile");
	if (e != ECONNREFUSED)
		return tsm_error_set(TSM_EIO, "cannot probe '%s': %s", path,
				     strerror(e));
	if (unlink(path) < 0 && errno != ENOENT)
		return tsm_error_set(TSM_EIO, "cannot remove '%s': %s", path,
				     strerror(errno));
	return 0;
}

static int bind_socket(tsm_agent *a)
{
	struct sockaddr_un addr;
	struct stat st;
	mode_t old;
	int attempt, rc, e, err;

	fill_addr(&addr, a->path);
	for (attempt = 0;; attempt++) {
		/* Born private: no moment where others may connect. */
		old = umask(0177);
		rc = bind(a->fd, (struct sockaddr *)&addr, sizeof(addr));
		e = errno;
		umask(old);
		if (rc == 0)
			break;
		if (e != EADDRINUSE || attempt > 0)
			return tsm_error_set(TSM_EIO, "cannot bind '%s': %s",
					     a->path, strerror(e));
		if ((err = remove_stale(a->path)) < 0)
			return err;
	}
	a->own_socket = 1;
	if (chmod(a->path, 0600) < 0 || lstat(a->path, &st) < 0)
		return tsm_error_set(TSM_EIO, "cannot secure '%s': %s", a->path,
				     strerror(errno));
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0777) != 0600)
		return tsm_error_set(
		    TSM_EPERM, "'%s' is not a private socket (mode %03o)",
		    a->path, (unsigned int)(st.st_mode & 0777));
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	if (listen(a->fd, 16) < 0)
		return tsm_error_set(TSM_EIO, "cannot listen on '%s': %s",
				     a->path, strerror(errno));
	return 0;
}

int tsm_agent_listen(tsm_agent **out, const tsm_key *key, unsigned int timeout)
{
	char dir[PATH_MAX];
	tsm_agent *a;
	int err;

	*out = NULL;
	if (timeout == 0 || timeout > TSM_AGENT_TIMEOUT_MAX)
		return tsm_error_set(TSM_EINVALID,
				     "agent timeout must be 1 second to %u "
				     "days",
				     TSM_AGENT_TIMEOUT_MAX / 86400);
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	a->fd = -1;
	a->timeout = timeout;
	snprintf(a->store_id, sizeof(a->store_id), "%s", tsm_key_store_id(key));
	if ((err = tsm_agent_socket_path(a->path, sizeof(a->path),
					 a->store_id)) < 0)
		goto done;
	if ((err = socket_dir(dir, sizeof(dir))) < 0 ||
	    (err = make_dir(dir)) < 0)
		goto done;
	/* One agent per store: the one already running forgets its key. */
	err = tsm_agent_lock(a->store_id);
	if (err < 0 && err != TSM_ENOTFOUND)
		goto done;
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->fd < 0) {
		err = tsm_error_set(TSM_EIO, "cannot create a socket: %s",
				    strerror(errno));
		goto done;
	}
	if ((err = bind_socket(a)) < 0)
		goto done;
	a->secret = sodium_malloc(SECRET_LEN);
	if (a->secret == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(a->secret, tsm_key_bytes(key), KEY_LEN);
	memcpy(a->secret + KEY_LEN, tsm_key_id_bytes(key), ID_LEN);
	a->mlocked = sodium_mlock(a->secret, SECRET_LEN) == 0;
	*out = a;
	a = NULL;
	err = 0;
done:
	tsm_agent_close(a);
	return err;
}

const char *tsm_agent_path(const tsm_agent *agent)
{
	return agent->path;
}

int tsm_agent_fd(const tsm_agent *agent)
{
	return agent->fd;
}

/* Reads one request line (without its newline) into req. */
static int read_request(int fd, char *req, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	char *nl;

	while (len + 1 < cap) {
		n = recv(fd, req + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		req[len] = '\0';
		nl = memchr(req, '\n', len);
		if (nl) {
			*nl = '\0';
			return 0;
		}
	}
	return -1;
}

static void reply_key(tsm_agent *a, int fd)
{
	struct iovec iov[3];
	struct msghdr msg;
	ssize_t n;

	iov[0].iov_base = "KEY ";
	iov[0].iov_len = 4;
	iov[1].iov_base = a->secret;
	iov[1].iov_len = SECRET_LEN;
	iov[2].iov_base = "\n";
	iov[2].iov_len = 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 3;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
}

/* Answers one connection; returns 1 when the agent must stop. */
static int serve_one(tsm_agent *a)
{
	char req[REQ_MAX], reply[REPLY_MAX];
	int64_t left;
	int fd, stop = 0;

	fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return 0; /* gone before we looked, or a transient error */
	if (!peer_is_us(fd))
		goto done;
	set_io_timeout(fd, AGENT_IO_SECONDS);
	if (read_request(fd, req, sizeof(req)) < 0)
		goto done;
	if (strcmp(req, "PING") == 0) {
		left = (a->deadline - now_ms() + 999) / 1000;
		snprintf(reply, sizeof(reply), "OK %s %ld %u %lld %d\n",
			 a->store_id, (long)getpid(), a->timeout,
			 (long long)(left > 0 ? left : 0), a->mlocked);
		send_all(fd, reply, strlen(reply));
	} else if (strncmp(req, "GET ", 4) == 0) {
		if (strcmp(req + 4, a->store_id) == 0) {
			reply_key(a, fd);
			a->deadline = now_ms() + (int64_t)a->timeout * 1000;
		} else {
			send_all(fd, "ERR not this store\n", 19);
		}
	} else if (strcmp(req, "LOCK") == 0) {
		/* The socket goes first, so the requester may bind anew as
		 * soon as it reads the answer. */
		remove_socket(a);
		send_all(fd, "OK\n", 3);
		stop = 1;
	} else {
		send_all(fd, "ERR bad request\n", 16);
	}
done:
	close(fd);
	return stop;
}

int tsm_agent_serve(tsm_agent *a, int wake_fd)
{
	struct pollfd pfd[2];
	unsigned char *fresh;
	int64_t wait;
	int n, err = 0;

#ifdef __linux__
	/* No core dumps and no ptrace by other processes of the user. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	/* Memory locks are not inherited across fork: take a fresh locked
	 * copy in this process and wipe the inherited one. */
	fresh = sodium_malloc(SECRET_LEN);
	if (fresh == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(fresh, a->secret, SECRET_LEN);
	sodium_free(a->secret);
	a->secret = fresh;
	a->mlocked = sodium_mlock(a->secret, SECRET_LEN) == 0;
	a->deadline = now_ms() + (int64_t)a->timeout * 1000;
	for (;;) {
		wait = a->deadline - now_ms();
		if (wait <= 0 || !socket_present(a))
			break;
		if (wait > SOCKET_CHECK_MS)
			wait = SOCKET_CHECK_MS;
		pfd[0].fd = a->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = wake_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, wake_fd >= 0 ? 2 : 1, (int)wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = tsm_error_set(TSM_EIO, "agent poll: %s",
					    strerror(errno));
			break;
		}
		if (wake_fd >= 0 && pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN) {
			if (serve_one(a))
				break;
		} else if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			err = tsm_error_set(TSM_EIO, "agent socket failed");
			break;
		}
	}
done:
	remove_socket(a);
	sodium_free(a->secret); /* wipes */
	a->secret = NULL;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	return err;
}

void tsm_agent_free(tsm_agent *agent)
{
	if (agent == NULL)
		return;
	if (agent->fd >= 0)
		close(agent->fd);
	sodium_free(agent->secret); /* wipes; NULL is allowed */
	free(agent);
}

void tsm_agent_close(tsm_agent *agent)
{
	if (agent == NULL)
		return;
	remove_socket(agent);
	tsm_agent_free(agent);
}
