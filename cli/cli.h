/* cli/cli.h — what every command file of the tsm program shares: the command
 * table entry, the run context, exit codes, output helpers. The CLI is the only
 * code that prints, prompts or exits. */
#ifndef TSM_CLI_H
#define TSM_CLI_H

#include <stdarg.h>
#include <stdio.h>

#include "tsm/common.h"
#include "tsm/store.h"

/* Exit codes (DESIGN §6). */
enum {
	EXIT_OK = 0,
	EXIT_ERR = 1,
	EXIT_USAGE = 2,
	EXIT_LOCKED = 3, /* locked or wrong passphrase */
	EXIT_REVIEW = 4  /* conflict or rejection needing review */
};

/* What a command needs before it runs. */
enum {
	CMD_NEEDS_STORE = 1 << 0,  /* the store directory must hold a store */
	CMD_NEEDS_UNLOCK = 1 << 1, /* open the store (agent, file or prompt) */
	CMD_WRITES = 1 << 2,       /* changes the store */
	CMD_HIDDEN = 1 << 3        /* debug command, not listed in help */
};

struct cli_ctx {
	const char *dir;  /* the store directory */
	int json;         /* --json given */
	tsm_store *store; /* open when the command has CMD_NEEDS_UNLOCK */
	const struct cli_cmd *cmd;
};

struct cli_cmd {
	const char *name;
	const char *usage;   /* "tsm NAME ..." lines, without the "usage: " */
	const char *summary; /* one line for `tsm --help` */
	const char *help;    /* the rest of `tsm help NAME`, or NULL */
	int flags;           /* CMD_* */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv);
};

/* The command table (main.c). */
extern const struct cli_cmd *const cli_commands[];

/* Prints "tsm: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "tsm: <last tsm error>" and returns the exit code for its code. */
int cli_fail(void);

/* Maps a TSM_E* code to an exit code. */
int cli_exit_code(int err);

/* Prints the usage of cmd to stderr and returns EXIT_USAGE. With a message,
 * prints "tsm: message" first. */
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints the full help of cmd to stdout. */
void cli_help(const struct cli_cmd *cmd);

/* Nonzero if argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

/* Obtains the key of the store in dir: from the unlock agent when it holds
 * it, else from the file named by TSM_PASSPHRASE_FILE, else by prompting on
 * the terminal. Returns 0, or a TSM_E* code (TSM_ELOCKED when no source). */
int cli_obtain_key(tsm_key **out, const char *dir);

/* Reads a passphrase: from the file named by env (if env is set in the
 * environment) else from the terminal without echo, with prompt. With
 * confirm, a terminal user types it twice. The result is in sodium_malloc'd
 * memory: release it with cli_passphrase_free(). */
int cli_read_passphrase(char **out, size_t *len, const char *env,
			const char *prompt, int confirm);
void cli_passphrase_free(char *pass);

#endif
