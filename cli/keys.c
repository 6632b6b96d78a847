/* cli/keys.c — small helpers of the key commands: error messages through the
 * tsm error slot, option parsing, names of key sources, durations. */
#include "cli.h"
#include "keys.h"

#include <getopt.h>
#include <string.h>

int cli_set_error(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tsm_error_set_str(code, msg);
}

const char *cli_key_source_name(int source)
{
	switch (source) {
	case CLI_KEY_AGENT:
		return "agent";
	case CLI_KEY_FILE:
		return "passphrase-file";
	case CLI_KEY_PROMPT:
		return "prompt";
	default:
		return NULL;
	}
}

int cli_parse_kdf(int *out, const char *s)
{
	if (strcmp(s, "interactive") == 0)
		*out = TSM_KDF_INTERACTIVE;
	else if (strcmp(s, "moderate") == 0)
		*out = TSM_KDF_MODERATE;
	else if (strcmp(s, "sensitive") == 0)
		*out = TSM_KDF_SENSITIVE;
	else
		return -1;
	return 0;
}

int cli_option_error(const struct cli_cmd *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage(cmd, "option '%s' needs a value", arg);
	if (optopt > 0 && optopt < 128)
		return cli_usage(cmd, "unknown option '-%c'", optopt);
	return cli_usage(cmd, "unknown option '%s'", arg);
}

void cli_put_duration(FILE *f, unsigned int s)
{
	const char *sep = "";

	if (s >= 3600) {
		fprintf(f, "%uh", s / 3600);
		sep = " ";
	}
	if (s % 3600 >= 60) {
		fprintf(f, "%s%um", sep, s % 3600 / 60);
		sep = " ";
	}
	if (s % 60 || s == 0)
		fprintf(f, "%s%us", sep, s % 60);
}
