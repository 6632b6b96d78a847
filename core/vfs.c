/* core/vfs.c — the page-sealing SQLite VFS shim over the default "unix" VFS:
 * every page of the database, its rollback journal and its WAL is sealed with
 * an AEAD (nonce and tag in the page's 40 reserved bytes); temp files are
 * refused so plaintext never reaches the disk. */
#include "vfs.h"
#include "error.h"
#include "store_internal.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Page geometry: the sealed part of a page is everything before the
 * reserved bytes; nonce then tag fill the reserved bytes. */
#define SEALED_LEN (TSM_PAGE_SIZE - TSM_PAGE_RESERVE) /* 4056 */
#define NONCE_OFF SEALED_LEN
#define NONCE_LEN 24
#define TAG_OFF (NONCE_OFF + NONCE_LEN) /* 4080 */
#define TAG_LEN 16
#define GCM_NONCE_LEN 12
#define AD_LEN (16 + 1 + 8)

/* WAL geometry (https://sqlite.org/fileformat.html#the_write_ahead_log): a
 * 32-byte header, then frames of a 24-byte frame header and one page. */
#define WAL_HDR 32
#define WAL_FRAME_HDR 24
#define WAL_FRAME (WAL_FRAME_HDR + TSM_PAGE_SIZE)

/* The secret part of a context, in guarded, locked sodium_malloc memory.
 * The AES-GCM state needs 16-byte alignment: it comes first, and the block
 * is allocated in a multiple of 64 bytes, which sodium_malloc places at the
 * end of a page. */
struct secret {
	crypto_aead_aes256gcm_state aes;
	unsigned char key[32];
	unsigned char id[16];
};
#define SECRET_ALLOC ((sizeof(struct secret) + 63) & ~(size_t)63)

/* Nonces come from a ChaCha20 keystream under a random seed instead of one
 * getrandom() system call per page (which costs more than sealing on some
 * machines). The state lives in its own locked page marked MADV_WIPEONFORK:
 * a forked child finds it zeroed and reseeds, so parent and child never
 * share a stream. Without MADV_WIPEONFORK, randombytes_buf() is used. */
struct nonce_rng {
	int seeded;
	uint64_t block;
	size_t pos;
	unsigned char seed[crypto_stream_chacha20_KEYBYTES];
	unsigned char buf[2048];
};

struct tsm_vfs {
	sqlite3_vfs base;      /* registered; base.pAppData == this */
	sqlite3_vfs *real;     /* the "unix" VFS */
	struct secret *sec;    /* key, database id, AES state */
	struct nonce_rng *rng; /* NULL: randombytes_buf() per nonce */
	size_t rng_size;
	int cipher; /* TSM_CIPHER_XCHACHA20POLY1305 or _AES256GCM */
	int registered;
	int failed; /* an authentication failure was recorded */
	int fail_kind;
	uint64_t fail_loc;
	char name[32];
};

/* An open file: our header, then the real VFS's file object. kind is 0 for
 * files passed through untouched (the super-journal). */
struct crypt_file {
	sqlite3_file base;
	tsm_vfs *vfs;
	sqlite3_file *real;
	int kind;
	unsigned char *buf; /* one page of scratch space */
};
#define FILE_HDR_SIZE ((sizeof(struct crypt_file) + 15) & ~(size_t)15)

static const sqlite3_io_methods crypt_io;

/* ---- sealing ---- */

static struct nonce_rng *rng_new(size_t *size)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = pg > 0 ? (size_t)pg : 4096;
	void *p;

	while (len < sizeof(struct nonce_rng))
		len *= 2;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_WIPEONFORK) != 0 ||
	    madvise(p, len, MADV_DONTDUMP) != 0) {
		munmap(p, len);
		return NULL;
	}
	sodium_mlock(p, len);
	*size = len;
	return p;
}

static void rng_free(struct nonce_rng *rng, size_t size)
{
	if (rng == NULL)
		return;
	sodium_munlock(rng, size); /* wipes it too */
	munmap(rng, size);
}

static void make_nonce(tsm_vfs *v, unsigned char *out, size_t n)
{
	struct nonce_rng *r = v->rng;
	unsigned char iv[crypto_stream_chacha20_NONCEBYTES];
	int i;

	if (r == NULL) {
		randombytes_buf(out, n);
		return;
	}
	if (!r->seeded) {
		randombytes_buf(r->seed, sizeof(r->seed));
		r->block = 0;
		r->pos = sizeof(r->buf);
		r->seeded = 1;
	}
	if (r->pos + n > sizeof(r->buf)) {
		for (i = 0; i < 8; i++)
			iv[i] = (unsigned char)(r->block >> (8 * i));
		r->block++;
		crypto_stream_chacha20(r->buf, sizeof(r->buf), iv, r->seed);
		r->pos = 0;
	}
	memcpy(out, r->buf + r->pos, n);
	r->pos += n;
}

static void make_ad(unsigned char ad[AD_LEN], const unsigned char id[16],
		    int kind, uint64_t loc)
{
	int i;

	memcpy(ad, id, 16);
	ad[16] = (unsigned char)kind;
	for (i = 0; i < 8; i++)
		ad[17 + i] = (unsigned char)(loc >> (8 * i));
}

/* Seals src (TSM_PAGE_SIZE bytes; only the first SEALED_LEN are used) into
 * dst, which may equal src. */
static void seal_page(tsm_vfs *v, unsigned char *dst, const unsigned char *src,
		      int kind, uint64_t loc)
{
	unsigned char ad[AD_LEN];

	make_ad(ad, v->sec->id, kind, loc);
	if (v->cipher == TSM_CIPHER_AES256GCM) {
		make_nonce(v, dst + NONCE_OFF, GCM_NONCE_LEN);
		memset(dst + NONCE_OFF + GCM_NONCE_LEN, 0,
		       NONCE_LEN - GCM_NONCE_LEN);
		crypto_aead_aes256gcm_encrypt_detached_afternm(
		    dst, dst + TAG_OFF, NULL, src, SEALED_LEN, ad, AD_LEN, NULL,
		    dst + NONCE_OFF, &v->sec->aes);
	} else {
		make_nonce(v, dst + NONCE_OFF, NONCE_LEN);
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
		    dst, dst + TAG_OFF, NULL, src, SEALED_LEN, ad, AD_LEN, NULL,
		    dst + NONCE_OFF, v->sec->key);
	}
}

/* Opens a sealed page in place. On success the reserved bytes are zeroed
 * (SQLite never wrote them, and its WAL and journal checksums were computed
 * over zeros there); on failure the whole page is zeroed. Returns 0 or -1. */
static int open_page(tsm_vfs *v, unsigned char *page, int kind, uint64_t loc)
{
	unsigned char ad[AD_LEN], nonce[NONCE_LEN], tag[TAG_LEN];
	static const unsigned char zero[NONCE_LEN - GCM_NONCE_LEN];
	int rc;

	make_ad(ad, v->sec->id, kind, loc);
	memcpy(nonce, page + NONCE_OFF, NONCE_LEN);
	memcpy(tag, page + TAG_OFF, TAG_LEN);
	if (v->cipher == TSM_CIPHER_AES256GCM) {
		/* The unused half of the nonce slot must be zero, so no byte
		 * of the page goes unauthenticated. */
		rc = memcmp(nonce + GCM_NONCE_LEN, zero, sizeof(zero)) != 0
			 ? -1
			 : crypto_aead_aes256gcm_decrypt_detached_afternm(
			       page, NULL, page, SEALED_LEN, tag, ad, AD_LEN,
			       nonce, &v->sec->aes);
	} else {
		rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
		    page, NULL, page, SEALED_LEN, tag, ad, AD_LEN, nonce,
		    v->sec->key);
	}
	if (rc != 0) {
		memset(page, 0, TSM_PAGE_SIZE);
		return -1;
	}
	memset(page + SEALED_LEN, 0, TSM_PAGE_RESERVE);
	return 0;
}

static void record_failure(tsm_vfs *v, int kind, uint64_t loc)
{
	v->failed = 1;
	v->fail_kind = kind;
	v->fail_loc = loc;
}

int tsm_vfs_seal(tsm_vfs *vfs, unsigned char *page, int kind, uint64_t loc)
{
	seal_page(vfs, page, page, kind, loc);
	return 0;
}

int tsm_vfs_open(tsm_vfs *vfs, unsigned char *page, int kind, uint64_t loc)
{
	if (open_page(vfs, page, kind, loc) < 0)
		return TSM_ECORRUPT;
	return 0;
}

/* ---- the main database file ---- */

/* A page 1 that does not declare our geometry would put a tag over data:
 * refuse to write it. Offsets 16-17: page size (big-endian), 20: reserve. */
static int page1_ok(const unsigned char *p)
{
	return p[16] == (TSM_PAGE_SIZE >> 8) && p[17] == 0 &&
	       p[20] == TSM_PAGE_RESERVE;
}

/* Reads any (offset, amount) of the database by reading, authenticating and
 * decrypting each page it touches: SQLite reads 100 bytes of page 1 at open
 * and 16 bytes at offset 24 to detect changes. */
static int main_read(struct crypt_file *f, unsigned char *out, int amt,
		     sqlite3_int64 off)
{
	sqlite3_int64 end = off + amt, pg, pstart, size = -1;
	int rc, shortread = 0;

	for (pg = off / TSM_PAGE_SIZE; pg * TSM_PAGE_SIZE < end; pg++) {
		sqlite3_int64 lo, hi;
		unsigned char *dst;

		pstart = pg * TSM_PAGE_SIZE;
		lo = pstart > off ? pstart : off;
		hi =
		    pstart + TSM_PAGE_SIZE < end ? pstart + TSM_PAGE_SIZE : end;
		dst = (lo == pstart && hi == pstart + TSM_PAGE_SIZE)
			  ? out + (pstart - off)
			  : f->buf;
		if (shortread) {
			memset(out + (lo - off), 0, (size_t)(hi - lo));
			continue;
		}
		rc = f->real->pMethods->xRead(f->real, dst, TSM_PAGE_SIZE,
					      pstart);
		if (rc == SQLITE_IOERR_SHORT_READ) {
			rc = f->real->pMethods->xFileSize(f->real, &size);
			if (rc != SQLITE_OK)
				return rc;
			if (size > pstart)
				goto bad; /* a page cut short */
			shortread = 1;
			memset(out + (lo - off), 0, (size_t)(hi - lo));
			continue;
		}
		if (rc != SQLITE_OK)
			return rc;
		if (open_page(f->vfs, dst, TSM_VFS_MAIN, (uint64_t)pg + 1) < 0)
			goto bad;
		if (dst == f->buf)
			memcpy(out + (lo - off), f->buf + (lo - pstart),
			       (size_t)(hi - lo));
	}
	return shortread ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
bad:
	record_failure(f->vfs, TSM_VFS_MAIN, (uint64_t)pg + 1);
	memset(out, 0, (size_t)amt);
	return SQLITE_IOERR_DATA;
}

/* SQLite writes the database one whole page at a time. */
static int main_write(struct crypt_file *f, const unsigned char *in, int amt,
		      sqlite3_int64 off)
{
	sqlite3_int64 pg;
	int i, rc;

	if (off % TSM_PAGE_SIZE != 0 || amt % TSM_PAGE_SIZE != 0)
		return SQLITE_IOERR_WRITE;
	for (i = 0; i < amt / TSM_PAGE_SIZE; i++) {
		const unsigned char *src = in + (size_t)i * TSM_PAGE_SIZE;

		pg = off / TSM_PAGE_SIZE + i;
		if (pg == 0 && !page1_ok(src))
			return SQLITE_IOERR_WRITE;
		seal_page(f->vfs, f->buf, src, TSM_VFS_MAIN, (uint64_t)pg + 1);
		rc = f->real->pMethods->xWrite(f->real, f->buf, TSM_PAGE_SIZE,
					       pg * TSM_PAGE_SIZE);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* ---- the rollback journal ----
 * A journal holds a header padded to the sector size (512, see
 * crypt_sector_size), then one record per page: a 4-byte page number, the
 * page, a 4-byte checksum, each written and read by its own call; at most a
 * super-journal name (shorter than a page) follows. So a write or read of
 * exactly one page size is a page image and everything else is metadata that
 * holds no row data. Page images are sealed with the byte offset as their
 * location. */

static int journal_read(struct crypt_file *f, unsigned char *out, int amt,
			sqlite3_int64 off)
{
	int rc = f->real->pMethods->xRead(f->real, out, amt, off);

	if (amt != TSM_PAGE_SIZE || rc != SQLITE_OK) {
		if (amt == TSM_PAGE_SIZE && rc == SQLITE_IOERR_SHORT_READ)
			memset(out, 0, (size_t)amt); /* a cut-off record */
		return rc;
	}
	if (open_page(f->vfs, out, TSM_VFS_JOURNAL, (uint64_t)off) < 0) {
		record_failure(f->vfs, TSM_VFS_JOURNAL, (uint64_t)off);
		return SQLITE_IOERR_DATA;
	}
	return SQLITE_OK;
}

static int journal_write(struct crypt_file *f, const unsigned char *in, int amt,
			 sqlite3_int64 off)
{
	if (amt != TSM_PAGE_SIZE)
		return f->real->pMethods->xWrite(f->real, in, amt, off);
	seal_page(f->vfs, f->buf, in, TSM_VFS_JOURNAL, (uint64_t)off);
	return f->real->pMethods->xWrite(f->real, f->buf, TSM_PAGE_SIZE, off);
}

/* ---- the write-ahead log ----
 * The WAL header and each frame header hold page numbers, sizes, salts and
 * checksums, no row data: they pass through. The page part of frame k
 * (0-based) is sealed with location k. SQLite writes a frame's header and its
 * page with separate calls but recovery reads both in one call, so every
 * call is cut into these regions. */

static sqlite3_int64 frame_page_start(sqlite3_int64 k)
{
	return WAL_HDR + k * WAL_FRAME + WAL_FRAME_HDR;
}

static int wal_read(struct crypt_file *f, unsigned char *out, int amt,
		    sqlite3_int64 off)
{
	sqlite3_int64 end = off + amt, k, pstart, lo, hi, size = -1;
	int rc, shortread, whole, recovery;
	unsigned char *page;

	rc = f->real->pMethods->xRead(f->real, out, amt, off);
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
		return rc;
	shortread = rc == SQLITE_IOERR_SHORT_READ;
	if (shortread) {
		rc = f->real->pMethods->xFileSize(f->real, &size);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (end <= WAL_HDR)
		return shortread ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
	k = off <= WAL_HDR ? 0 : (off - WAL_HDR) / WAL_FRAME;
	for (; (pstart = frame_page_start(k)) < end; k++) {
		if (pstart + TSM_PAGE_SIZE <= off)
			continue;
		lo = pstart > off ? pstart : off;
		hi =
		    pstart + TSM_PAGE_SIZE < end ? pstart + TSM_PAGE_SIZE : end;
		whole = lo == pstart && hi == pstart + TSM_PAGE_SIZE;
		/* A read that includes the frame header is recovery (or
		 * SQLite re-checksumming its own frames): a page that does
		 * not authenticate there is a torn or stale frame. It gets
		 * random bytes, so SQLite's frame checksum fails and the log
		 * ends before it, as it would for a torn plaintext frame. */
		recovery = off <= pstart - WAL_FRAME_HDR;
		if (shortread && size < pstart + TSM_PAGE_SIZE) {
			if (size > pstart && !recovery)
				goto bad;
			if (recovery)
				randombytes_buf(out + (lo - off),
						(size_t)(hi - lo));
			else
				memset(out + (lo - off), 0, (size_t)(hi - lo));
			continue;
		}
		if (whole) {
			page = out + (pstart - off);
		} else {
			page = f->buf;
			rc = f->real->pMethods->xRead(f->real, page,
						      TSM_PAGE_SIZE, pstart);
			if (rc != SQLITE_OK)
				return rc == SQLITE_IOERR_SHORT_READ
					   ? SQLITE_IOERR_DATA
					   : rc;
		}
		if (open_page(f->vfs, page, TSM_VFS_WAL, (uint64_t)k) < 0) {
			if (!recovery)
				goto bad;
			randombytes_buf(page, TSM_PAGE_SIZE);
		}
		if (!whole)
			memcpy(out + (lo - off), page + (lo - pstart),
			       (size_t)(hi - lo));
	}
	return shortread ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
bad:
	record_failure(f->vfs, TSM_VFS_WAL, (uint64_t)k);
	memset(out, 0, (size_t)amt);
	return SQLITE_IOERR_DATA;
}

static int wal_write(struct crypt_file *f, const unsigned char *in, int amt,
		     sqlite3_int64 off)
{
	sqlite3_int64 end = off + amt, cur = off, k, pstart, next;
	int rc;

	/* The WAL header names the page size the frame layout depends on. */
	if (off <= 8 && end >= 12 &&
	    (in[8 - off] != 0 || in[9 - off] != 0 ||
	     in[10 - off] != (TSM_PAGE_SIZE >> 8) || in[11 - off] != 0))
		return SQLITE_IOERR_WRITE;
	while (cur < end) {
		k = cur < WAL_HDR ? 0 : (cur - WAL_HDR) / WAL_FRAME;
		pstart = frame_page_start(k);
		if (cur < pstart) {
			/* WAL header or frame header: pass through. */
			next = pstart < end ? pstart : end;
			rc = f->real->pMethods->xWrite(
			    f->real, in + (cur - off), (int)(next - cur), cur);
			if (rc != SQLITE_OK)
				return rc;
			cur = next;
			continue;
		}
		if (cur != pstart || end < pstart + TSM_PAGE_SIZE)
			return SQLITE_IOERR_WRITE; /* part of a page */
		seal_page(f->vfs, f->buf, in + (cur - off), TSM_VFS_WAL,
			  (uint64_t)k);
		rc = f->real->pMethods->xWrite(f->real, f->buf, TSM_PAGE_SIZE,
					       cur);
		if (rc != SQLITE_OK)
			return rc;
		cur += TSM_PAGE_SIZE;
	}
	return SQLITE_OK;
}

/* ---- io methods ---- */

static int crypt_close(sqlite3_file *file)
{
	struct crypt_file *f = (struct crypt_file *)file;
	int rc =
	    f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	if (f->buf != NULL) {
		sodium_memzero(f->buf, TSM_PAGE_SIZE);
		sqlite3_free(f->buf);
		f->buf = NULL;
	}
	return rc;
}

static int crypt_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	struct crypt_file *f = (struct crypt_file *)file;

	switch (f->kind) {
	case TSM_VFS_MAIN:
		return main_read(f, out, amt, off);
	case TSM_VFS_JOURNAL:
		return journal_read(f, out, amt, off);
	case TSM_VFS_WAL:
		return wal_read(f, out, amt, off);
	default:
		return f->real->pMethods->xRead(f->real, out, amt, off);
	}
}

static int crypt_write(sqlite3_file *file, const void *in, int amt,
		       sqlite3_int64 off)
{
	struct crypt_file *f = (struct crypt_file *)file;

	switch (f->kind) {
	case TSM_VFS_MAIN:
		return main_write(f, in, amt, off);
	case TSM_VFS_JOURNAL:
		return journal_write(f, in, amt, off);
	case TSM_VFS_WAL:
		return wal_write(f, in, amt, off);
	default:
		return f->real->pMethods->xWrite(f->real, in, amt, off);
	}
}

static int crypt_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xTruncate(f->real, size);
}

static int crypt_sync(sqlite3_file *file, int flags)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xSync(f->real, flags);
}

static int crypt_file_size(sqlite3_file *file, sqlite3_int64 *out)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xFileSize(f->real, out);
}

static int crypt_lock(sqlite3_file *file, int level)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xLock(f->real, level);
}

static int crypt_unlock(sqlite3_file *file, int level)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xUnlock(f->real, level);
}

static int crypt_check_reserved_lock(sqlite3_file *file, int *out)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int crypt_file_control(sqlite3_file *file, int op, void *arg)
{
	struct crypt_file *f = (struct crypt_file *)file;

	if (f->kind != 0) {
		switch (op) {
		case SQLITE_FCNTL_MMAP_SIZE:
			/* Never map the file: pages must pass through us. */
			if (*(sqlite3_int64 *)arg > 0)
				*(sqlite3_int64 *)arg = 0;
			break;
		case SQLITE_FCNTL_CHUNK_SIZE:
		case SQLITE_FCNTL_SIZE_HINT:
			/* Growing a file ahead of writes leaves zero pages,
			 * which would not authenticate. */
			return SQLITE_OK;
		default:
			break;
		}
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

/* 512, not the unix VFS's 4096: with a 4096-byte sector the rollback
 * journal's header would be written as one page-sized block and be taken for
 * a page image. Pages are still written whole. */
static int crypt_sector_size(sqlite3_file *file)
{
	struct crypt_file *f = (struct crypt_file *)file;

	if (f->kind == 0)
		return f->real->pMethods->xSectorSize(f->real);
	return 512;
}

/* Powersafe overwrite is claimed (as the unix VFS does by default) so SQLite
 * never pads the WAL to a sector boundary, which would split a page write. */
static int crypt_device_characteristics(sqlite3_file *file)
{
	struct crypt_file *f = (struct crypt_file *)file;
	int dc = f->real->pMethods->xDeviceCharacteristics(f->real);

	if (f->kind == 0)
		return dc;
	return dc | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

/* The -shm wal-index holds page numbers and hashes, no row data. */
static int crypt_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
			 void volatile **out)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

static int crypt_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void crypt_shm_barrier(sqlite3_file *file)
{
	struct crypt_file *f = (struct crypt_file *)file;

	f->real->pMethods->xShmBarrier(f->real);
}

static int crypt_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct crypt_file *f = (struct crypt_file *)file;

	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* Version 2: no xFetch/xUnfetch, so SQLite never memory-maps the file. */
static const sqlite3_io_methods crypt_io = {
    2,
    crypt_close,
    crypt_read,
    crypt_write,
    crypt_truncate,
    crypt_sync,
    crypt_file_size,
    crypt_lock,
    crypt_unlock,
    crypt_check_reserved_lock,
    crypt_file_control,
    crypt_sector_size,
    crypt_device_characteristics,
    crypt_shm_map,
    crypt_shm_lock,
    crypt_shm_barrier,
    crypt_shm_unmap,
    NULL,
    NULL,
};

/* ---- vfs methods ---- */

static int crypt_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
		      int flags, int *out_flags)
{
	static const int refused =
	    SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL |
	    SQLITE_OPEN_TRANSIENT_DB | SQLITE_OPEN_SUBJOURNAL;
	tsm_vfs *v = vfs->pAppData;
	struct crypt_file *f = (struct crypt_file *)file;
	int rc;

	memset(f, 0, sizeof(*f));
	f->vfs = v;
	f->real = (sqlite3_file *)((char *)file + FILE_HDR_SIZE);
	f->real->pMethods = NULL;
	/* Temp files would hold plaintext: temp_store=MEMORY keeps them in
	 * memory, and anything that still asks for one is refused. */
	if ((flags & refused) != 0 || name == NULL)
		return SQLITE_CANTOPEN;
	if (flags & SQLITE_OPEN_MAIN_DB)
		f->kind = TSM_VFS_MAIN;
	else if (flags & SQLITE_OPEN_MAIN_JOURNAL)
		f->kind = TSM_VFS_JOURNAL;
	else if (flags & SQLITE_OPEN_WAL)
		f->kind = TSM_VFS_WAL;
	if (f->kind != 0) {
		f->buf = sqlite3_malloc(TSM_PAGE_SIZE);
		if (f->buf == NULL)
			return SQLITE_NOMEM;
	}
	rc = v->real->xOpen(v->real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		if (f->real->pMethods != NULL)
			f->real->pMethods->xClose(f->real);
		sqlite3_free(f->buf);
		f->buf = NULL;
		return rc;
	}
	file->pMethods = &crypt_io;
	return SQLITE_OK;
}

static int crypt_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xDelete(v->real, name, sync_dir);
}

static int crypt_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xAccess(v->real, name, flags, out);
}

static int crypt_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
			       char *out)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xFullPathname(v->real, name, n, out);
}

static void *crypt_dlopen(sqlite3_vfs *vfs, const char *name)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xDlOpen(v->real, name);
}

static void crypt_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	tsm_vfs *v = vfs->pAppData;

	v->real->xDlError(v->real, n, out);
}

static void (*crypt_dlsym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xDlSym(v->real, lib, sym);
}

static void crypt_dlclose(sqlite3_vfs *vfs, void *lib)
{
	tsm_vfs *v = vfs->pAppData;

	v->real->xDlClose(v->real, lib);
}

static int crypt_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xRandomness(v->real, n, out);
}

static int crypt_sleep(sqlite3_vfs *vfs, int us)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xSleep(v->real, us);
}

static int crypt_current_time(sqlite3_vfs *vfs, double *out)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xCurrentTime(v->real, out);
}

static int crypt_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xGetLastError ? v->real->xGetLastError(v->real, n, out)
				      : 0;
}

static int crypt_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	tsm_vfs *v = vfs->pAppData;

	return v->real->xCurrentTimeInt64(v->real, out);
}

/* ---- lifecycle ---- */

int tsm_vfs_create(tsm_vfs **out, const unsigned char key[32],
		   const unsigned char id[16], int cipher)
{
	static atomic_uint counter;
	sqlite3_vfs *real = sqlite3_vfs_find("unix");
	tsm_vfs *v = NULL;
	int rc, err;

	*out = NULL;
	if (real == NULL || real->iVersion < 2)
		return tsm_error_set(TSM_ERROR, "no unix sqlite vfs");
	if (cipher != TSM_CIPHER_XCHACHA20POLY1305 &&
	    cipher != TSM_CIPHER_AES256GCM)
		return tsm_error_set(TSM_EINVALID, "unknown cipher %d", cipher);
	if (cipher == TSM_CIPHER_AES256GCM &&
	    !crypto_aead_aes256gcm_is_available())
		return tsm_error_set(
		    TSM_EINVALID, "aes-256-gcm is not available on this cpu");
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	v->sec = sodium_malloc(SECRET_ALLOC);
	if (v->sec == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if (((uintptr_t)v->sec & 15) != 0) {
		err = tsm_error_set(TSM_ERROR, "misaligned secure memory");
		goto done;
	}
	memcpy(v->sec->key, key, 32);
	memcpy(v->sec->id, id, 16);
	if (cipher == TSM_CIPHER_AES256GCM)
		crypto_aead_aes256gcm_beforenm(&v->sec->aes, key);
	v->cipher = cipher;
	v->real = real;
	v->rng = rng_new(&v->rng_size);
	snprintf(v->name, sizeof(v->name), "tsm-crypt-%u",
		 atomic_fetch_add(&counter, 1));
	v->base.iVersion = 2;
	v->base.szOsFile = (int)(FILE_HDR_SIZE + (size_t)real->szOsFile);
	v->base.mxPathname = real->mxPathname;
	v->base.zName = v->name;
	v->base.pAppData = v;
	v->base.xOpen = crypt_open;
	v->base.xDelete = crypt_delete;
	v->base.xAccess = crypt_access;
	v->base.xFullPathname = crypt_full_pathname;
	v->base.xDlOpen = crypt_dlopen;
	v->base.xDlError = crypt_dlerror;
	v->base.xDlSym = crypt_dlsym;
	v->base.xDlClose = crypt_dlclose;
	v->base.xRandomness = crypt_randomness;
	v->base.xSleep = crypt_sleep;
	v->base.xCurrentTime = crypt_current_time;
	v->base.xGetLastError = crypt_get_last_error;
	v->base.xCurrentTimeInt64 = crypt_current_time_int64;
	rc = sqlite3_vfs_register(&v->base, 0);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(NULL, rc, "register vfs");
		goto done;
	}
	v->registered = 1;
	*out = v;
	v = NULL;
	err = 0;
done:
	tsm_vfs_free(v);
	return err;
}

void tsm_vfs_free(tsm_vfs *vfs)
{
	if (vfs == NULL)
		return;
	if (vfs->registered)
		sqlite3_vfs_unregister(&vfs->base);
	if (vfs->sec != NULL) {
		sodium_memzero(vfs->sec, sizeof(*vfs->sec));
		sodium_free(vfs->sec);
	}
	rng_free(vfs->rng, vfs->rng_size);
	free(vfs);
}

const char *tsm_vfs_name(const tsm_vfs *vfs)
{
	return vfs->name;
}

int tsm_vfs_failure(const tsm_vfs *vfs, int *kind, uint64_t *loc)
{
	if (!vfs->failed)
		return 0;
	*kind = vfs->fail_kind;
	*loc = vfs->fail_loc;
	return 1;
}

void tsm_vfs_clear_failure(tsm_vfs *vfs)
{
	vfs->failed = 0;
}

int tsm_vfs_message(const tsm_vfs *v, const char *file, char *buf, size_t size)
{
	if (!v->failed)
		return 0;
	switch (v->fail_kind) {
	case TSM_VFS_MAIN:
		snprintf(buf, size,
			 "page %llu of '%s' failed authentication (tampered "
			 "or corrupt)",
			 (unsigned long long)v->fail_loc, file);
		break;
	case TSM_VFS_WAL:
		snprintf(buf, size,
			 "frame %llu of '%s-wal' failed authentication "
			 "(tampered or corrupt)",
			 (unsigned long long)v->fail_loc + 1, file);
		break;
	default:
		snprintf(buf, size,
			 "the page at offset %llu of '%s-journal' failed "
			 "authentication (tampered or corrupt)",
			 (unsigned long long)v->fail_loc, file);
		break;
	}
	return 1;
}

int tsm_vfs_describe(sqlite3 *db, char *buf, size_t size)
{
	sqlite3_vfs *vfs = NULL;
	const char *file;

	if (db == NULL ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) !=
		SQLITE_OK ||
	    vfs == NULL || vfs->xOpen != crypt_open)
		return 0;
	file = sqlite3_db_filename(db, "main");
	return tsm_vfs_message(vfs->pAppData, file ? file : "", buf, size);
}
