/* tests/unit/testutil.c — temporary directories and file helpers for tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *tu_tmpdir(const char *tag)
{
	static char path[4096];
	const char *base = getenv("TSM_TEST_TMP");
	char cmd[4200];

	if (base == NULL)
		base = "/tmp/tsm-test";
	mkdir(base, 0700);
	snprintf(path, sizeof(path), "%s/%s-%ld", base, tag, (long)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		return NULL;
	mkdir(path, 0700);
	return path;
}

unsigned char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		*len = (size_t)n;
	return buf;
}

int tu_file_contains(const char *path, const char *needle)
{
	size_t len, nlen = strlen(needle), i;
	unsigned char *buf = tu_read_file(path, &len);
	int found = 0;

	if (buf == NULL)
		return 0;
	for (i = 0; nlen <= len && i + nlen <= len; i++) {
		if (memcmp(buf + i, needle, nlen) == 0) {
			found = 1;
			break;
		}
	}
	free(buf);
	return found;
}
