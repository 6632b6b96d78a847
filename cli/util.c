/* cli/util.c — error printing, usage and help for every command. */
#include "cli.h"

#include <string.h>

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tsm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_code(int err)
{
	switch (err) {
	case TSM_OK:
		return EXIT_OK;
	case TSM_EAUTH:
	case TSM_ELOCKED:
		return EXIT_LOCKED;
	case TSM_ECONFLICT:
		return EXIT_REVIEW;
	default:
		return EXIT_ERR;
	}
}

int cli_fail(void)
{
	const tsm_error *e = tsm_error_last();

	cli_error("%s", *e->message ? e->message : "unknown error");
	return cli_exit_code(e->code ? e->code : TSM_ERROR);
}

static void print_usage(FILE *f, const struct cli_cmd *cmd)
{
	const char *p = cmd->usage, *nl;
	int first = 1;

	/* One usage line per "\n"-separated form. */
	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		fprintf(f, "%s%.*s\n", first ? "usage: " : "       ",
			(int)(nl - p), p);
		first = 0;
		p = *nl ? nl + 1 : nl;
	}
}

int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("tsm: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	print_usage(stderr, cmd);
	return EXIT_USAGE;
}

void cli_help(const struct cli_cmd *cmd)
{
	print_usage(stdout, cmd);
	printf("\n%s\n", cmd->summary);
	if (cmd->help)
		printf("\n%s", cmd->help);
}

int cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}
