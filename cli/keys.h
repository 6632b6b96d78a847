/* cli/keys.h — what the key commands (init, unlock, lock, passwd, status)
 * share beyond cli.h: key sources, the kdf trace, option parsing helpers. */
#ifndef TSM_CLI_KEYS_H
#define TSM_CLI_KEYS_H

#include "cli.h"

/* Where a key came from. */
enum {
	CLI_KEY_NONE = 0,
	CLI_KEY_AGENT,
	CLI_KEY_FILE,  /* TSM_PASSPHRASE_FILE */
	CLI_KEY_PROMPT /* typed on the terminal */
};

/* cli_obtain_key_ex flags. */
enum {
	CLI_KEY_NO_PROMPT = 1 /* report TSM_ELOCKED rather than prompt */
};

/* cli_obtain_key() with flags; *source (if not NULL) gets a CLI_KEY_*. */
int cli_obtain_key_ex(tsm_key **out, const char *dir, int flags, int *source);

/* "agent", "passphrase-file", "prompt", or NULL for CLI_KEY_NONE. */
const char *cli_key_source_name(int source);

/* Nonzero when tsm may prompt: standard input is a terminal. */
int cli_can_prompt(void);

/* Prints "tsm: trace: kdf argon2id" to stderr when $TSM_TRACE contains
 * "kdf"; call it each time a key is derived from a passphrase. */
void cli_trace_kdf(void);

/* tsm_key_unwrap() with the kdf trace. */
int cli_unwrap_key(tsm_key **out, const char *dir, const char *pass,
		   size_t len);

/* Records a formatted message as the last tsm error; returns code. */
int cli_set_error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses interactive|moderate|sensitive into a TSM_KDF_*; -1 if unknown. */
int cli_parse_kdf(int *out, const char *s);

/* The usage error for getopt_long's return c ('?' or ':'), naming the
 * offending argument; returns EXIT_USAGE. */
int cli_option_error(const struct cli_cmd *cmd, int c, char **argv);

/* Prints seconds as "45s", "30m", "1h 30m" and so on. */
void cli_put_duration(FILE *f, unsigned int seconds);

#endif
