/* cli/passphrase.c — obtaining the store key: unlock agent, passphrase file
 * or terminal prompt (placeholder until the unlock agent lands). */
#include "cli.h"

int cli_obtain_key(tsm_key **out, const char *dir)
{
	*out = NULL;
	(void)dir;
	return TSM_ELOCKED;
}
