/* sync/batch.h — signed commits and the batch format: a batch commit carries
 * header.json (plaintext metadata) and one sealed envelope per scope, signed
 * by its site's Ed25519 key; the signature and signer sit in the commit
 * message as "Signer:" and "Signature:" trailers. */
#ifndef TSM_SYNC_BATCH_H
#define TSM_SYNC_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "mirror.h"

#define TSM_SIG_LEN 64 /* Ed25519 detached signature */
#define TSM_HEADER_BLOB "header.json"
#define TSM_ROSTER_BLOB "roster.json"
#define TSM_JOIN_BLOB "join.json"
#define TSM_ENV_PREFIX "env-"
#define TSM_SCOPE_TEAM "team" /* phase 1: the one scope, the team key */

/* The all-zero commit id that stands for "no parent" in signed bytes. */
extern const char tsm_zero_oid[TSM_OID_HEX + 1];

/* What a signature covers: a domain string naming the kind of document,
 * the document's bytes, the BLAKE2b-256 of each further blob in order and
 * the parent commit id (hex, or zeros for a root commit), each field
 * length-prefixed. The signature is Ed25519 over these bytes. */
typedef struct tsm_signed {
	const char *domain;           /* e.g. "tsm-batch" */
	const unsigned char *doc;     /* the JSON document */
	size_t doc_len;
	const tsm_git_entry *blobs; /* further blobs (envelopes) */
	size_t nblobs;
	const char *parent; /* commit id, "" or NULL for none */
} tsm_signed;

/* Signs what with sk (64 bytes) into sig. */
int tsm_signed_sign(unsigned char sig[TSM_SIG_LEN], const tsm_signed *what,
		    const unsigned char *sk);

/* 0 when sig is pk's signature of what, else TSM_ECORRUPT. */
int tsm_signed_verify(const unsigned char sig[TSM_SIG_LEN],
		      const tsm_signed *what, const unsigned char *pk);

/* A commit message: summary, a blank line, then the trailers
 * "Signer: <hex key>" and "Signature: <hex>". Malloc'd; free(). */
int tsm_signed_message(char **out, const char *summary,
		       const unsigned char pk[TSM_PK_LEN],
		       const unsigned char sig[TSM_SIG_LEN]);

/* Reads the two trailers of a commit message; TSM_ECORRUPT with "not
 * signed" when either is missing, repeated or malformed. */
int tsm_signed_parse(unsigned char pk[TSM_PK_LEN],
		     unsigned char sig[TSM_SIG_LEN], const char *message);

/* The fingerprint of a public key: BLAKE2b-128 of its bytes. */
void tsm_key_fingerprint(unsigned char out[TSM_FPR_LEN],
			 const unsigned char pk[TSM_PK_LEN]);

/* A batch ready to be written as a commit: entries[0] is header.json, the
 * rest are envelopes; message holds the trailers. Free with
 * tsm_batch_out_free(). */
typedef struct tsm_batch_out {
	tsm_git_entry entries[1 + TSM_ENV_MAX];
	size_t nentries;
	char *message;
	unsigned char *bufs[1 + TSM_ENV_MAX]; /* owned bytes of entries */
	char names[1 + TSM_ENV_MAX][TSM_SCOPE_MAX + 8];
} tsm_batch_out;

/* Seals payload (the JSON of ops seq_first..seq_last of h->site) into one
 * "team" envelope under team_key and signs the batch with sign_sk, whose
 * public key is h->signer. parent is the commit the batch will sit on ("" or
 * NULL for the first). h->nenv and h->scope are filled in here. */
int tsm_batch_seal(tsm_batch_out *out, tsm_batch_header *h,
		   const char *parent, const unsigned char *payload,
		   size_t len, const unsigned char *team_key,
		   const unsigned char *sign_sk);
void tsm_batch_out_free(tsm_batch_out *out);

/* What a verified batch must be: the chain position and the signer the
 * roster registers for the ref's site. */
typedef struct tsm_batch_expect {
	const char *team;
	const char *site;            /* the site of the ref it was read from */
	const unsigned char *signer; /* that site's key in the roster */
	const char *parent;          /* the previous verified commit, "" */
	uint64_t seq_first;          /* previous seq_last + 1 */
} tsm_batch_expect;

/* Verifies commit c against exp and opens its "team" envelope with
 * team_key: one parent at most and the expected one, a well-formed header
 * naming the team and the ref's site, trailers naming the registered
 * signer, a valid signature, the expected seq_first, exactly the listed
 * blobs, and envelopes that authenticate under their associated data.
 * Envelopes of other scopes are verified by the signature only and
 * skipped. On success *out (malloc'd, NUL-terminated; free()) holds the
 * payload and h the header. On failure TSM_ECORRUPT with the reason as the
 * message, e.g. "bad signature". */
int tsm_batch_open(unsigned char **out, size_t *len, tsm_batch_header *h,
		   const tsm_git_commit *c, const tsm_batch_expect *exp,
		   const unsigned char *team_key);

#endif
