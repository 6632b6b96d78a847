/* core/vfs.c — the page-sealing SQLite VFS shim (placeholder: encryption
 * lands in the next commit; plaintext stores work without it). */
#include "vfs.h"
#include "error.h"

int tsm_vfs_create(tsm_vfs **out, const unsigned char key[32],
		   const unsigned char id[16], int cipher)
{
	*out = NULL;
	return tsm_error_set(TSM_ERROR, "encrypted stores are not built yet");
}

void tsm_vfs_free(tsm_vfs *vfs)
{
}

const char *tsm_vfs_name(const tsm_vfs *vfs)
{
	return NULL;
}

int tsm_vfs_seal(tsm_vfs *vfs, unsigned char *page, int kind, uint64_t loc)
{
	return TSM_ERROR;
}

int tsm_vfs_open(tsm_vfs *vfs, unsigned char *page, int kind, uint64_t loc)
{
	return TSM_ERROR;
}

int tsm_vfs_failure(const tsm_vfs *vfs, int *kind, uint64_t *loc)
{
	return 0;
}

void tsm_vfs_clear_failure(tsm_vfs *vfs)
{
}

int tsm_vfs_describe(sqlite3 *db, char *buf, size_t size)
{
	return 0;
}
