/* tests/unit/testutil.h — helpers shared by the cmocka unit tests. */
#ifndef TSM_TESTUTIL_H
#define TSM_TESTUTIL_H

#include <stddef.h>

/* Creates a fresh, empty temporary directory for one test and returns its
 * path (static storage, overwritten by the next call). */
const char *tu_tmpdir(const char *tag);

/* Reads a whole file into a malloc'd buffer; *len gets its size. NULL when
 * the file does not exist. */
unsigned char *tu_read_file(const char *path, size_t *len);

/* Nonzero if needle occurs anywhere in the file's bytes. */
int tu_file_contains(const char *path, const char *needle);

#endif
