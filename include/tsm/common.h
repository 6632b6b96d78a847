/* tsm/common.h — error codes, the last-error slot and version shared by every
 * tsm module. Functions return 0 or a negative TSM_E* code; the message sits in
 * a thread-local slot read by tsm_error_last(). */
#ifndef TSM_COMMON_H
#define TSM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. Zero is success; every failure is negative. */
enum {
	TSM_OK = 0,
	TSM_ERROR = -1,     /* generic failure */
	TSM_ENOMEM = -2,    /* out of memory */
	TSM_ENOTFOUND = -3, /* no such store, customer, member, ... */
	TSM_EEXISTS = -4,   /* already exists */
	TSM_EAUTH = -5,     /* wrong passphrase or failed authentication */
	TSM_ELOCKED = -6,   /* store locked and no passphrase available */
	TSM_ECONFLICT = -7, /* a conflict or rejection needs review */
	TSM_EINVALID = -8,  /* bad input */
	TSM_ECORRUPT = -9,  /* data failed an integrity check */
	TSM_EPERM = -10,    /* the member's role does not allow it */
	TSM_EIO = -11,      /* operating-system or database I/O failure */
	TSM_EBUSY = -12     /* store in use by another writer */
};

/* The last error on this thread. */
typedef struct tsm_error {
	int code;            /* the TSM_E* code, 0 when none */
	const char *message; /* lowercase, no final period; never NULL */
} tsm_error;

/* Returns the last error recorded on this thread. Never NULL; the pointer and
 * its message stay valid until the next tsm call on this thread. */
const tsm_error *tsm_error_last(void);

/* Clears the last error on this thread. */
void tsm_error_clear(void);

/* Records code and a copy of message as this thread's last error, for callers
 * (e.g. the CLI) that report their own failures through the same slot, as
 * libgit2's git_error_set_str does. Returns code. */
int tsm_error_set_str(int code, const char *message);

/* The library version, e.g. "0.1.0". Static storage. */
const char *tsm_version(void);

/* Initialises libsodium and the library. Call once at start-up before any other
 * tsm function; returns 0, or TSM_ERROR when libsodium cannot start (fatal). */
int tsm_init(void);

#ifdef __cplusplus
}
#endif
#endif
