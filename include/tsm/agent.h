/* tsm/agent.h — the unlock agent (in the manner of ssh-agent): one process per
 * store holds the unwrapped database key in locked memory and hands it over a
 * 0600 unix socket to processes of the same user until an idle timeout.
 * Ownership: a tsm_agent you get through **out is yours; free it with
 * tsm_agent_free() or tsm_agent_close(). Core never forks: the caller forks
 * and runs tsm_agent_serve() in the child. */
#ifndef TSM_AGENT_H
#define TSM_AGENT_H

#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsm_agent tsm_agent;

#define TSM_AGENT_TIMEOUT_MAX (7u * 24u * 3600u) /* one week, in seconds */

/* What a running agent says about itself (tsm_agent_ping). */
typedef struct tsm_agent_status {
	char store_id[33];    /* 32 hex digits */
	long pid;	      /* the agent process */
	unsigned int timeout; /* idle timeout, seconds */
	unsigned int left;    /* seconds until it forgets the key, if idle */
	int mlocked;	      /* nonzero if the key's memory is locked */
} tsm_agent_status;

/* Writes the socket path of the agent for store_id into out (outlen bytes):
 * $XDG_RUNTIME_DIR/tsm/<store-id>.sock, else /tmp/tsm-<uid>/<store-id>.sock.
 * TSM_EINVALID if it does not fit a unix socket address. Touches no file. */
int tsm_agent_socket_path(char *out, size_t outlen, const char *store_id);

/* Prepares an agent for key's store: creates the socket directory (0700,
 * checked to be ours and private), asks an agent already running for this
 * store to forget its key and exit, then binds and listens on a 0600 socket
 * and copies the key into locked memory. When this returns 0 the socket
 * accepts connections; they wait until tsm_agent_serve() runs. timeout is
 * the idle timeout in seconds, 1..TSM_AGENT_TIMEOUT_MAX. Changes the process
 * umask briefly (single-threaded callers only). */
int tsm_agent_listen(tsm_agent **out, const tsm_key *key, unsigned int timeout);

/* The agent's socket path. Borrowed; lives with agent. */
const char *tsm_agent_path(const tsm_agent *agent);

/* The listening socket's descriptor, for a forked child that closes every
 * descriptor it does not need. Owned by agent. */
int tsm_agent_fd(const tsm_agent *agent);

/* Serves the key until the idle timeout passes with no key request, a LOCK
 * request arrives, wake_fd (-1 for none) becomes readable (e.g. a signal
 * handler writes to a pipe), or its socket file is removed or replaced
 * (checked every few seconds: nobody could reach it any more). Meant to run in a forked child: it moves the key
 * into memory locked by this process, makes the process non-dumpable, and
 * answers only peers of the same user. Wipes the key and removes its socket
 * before it returns 0; the caller still calls tsm_agent_free(). */
int tsm_agent_serve(tsm_agent *agent, int wake_fd);

/* Closes the listening socket, wipes the key and frees agent, leaving the
 * socket file in place (for the parent once a child serves it). NULL is
 * allowed. */
void tsm_agent_free(tsm_agent *agent);

/* Like tsm_agent_free(), but also removes the socket file: for an agent that
 * will never be served. NULL is allowed. */
void tsm_agent_close(tsm_agent *agent);

/* Asks the agent for store_id for its key (which restarts its idle timer).
 * TSM_ENOTFOUND when no agent runs for this store; TSM_EAUTH when the socket
 * belongs to another user. The key is yours: tsm_key_free(). */
int tsm_agent_get_key(tsm_key **out, const char *store_id);

/* Asks the agent for store_id how it is; does not restart its idle timer.
 * TSM_ENOTFOUND when none runs. */
int tsm_agent_ping(tsm_agent_status *out, const char *store_id);

/* Tells the agent for store_id to wipe its key, remove its socket and exit;
 * returns once the socket is gone. TSM_ENOTFOUND when none runs. */
int tsm_agent_lock(const char *store_id);

#ifdef __cplusplus
}
#endif
#endif
