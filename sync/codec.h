/* sync/codec.h — the plaintext JSON documents of sync (batch headers, the
 * roster, join requests, invite codes): their C shapes, encoders and strict
 * decoders. codec.c is the only sync file that uses cJSON. */
#ifndef TSM_SYNC_CODEC_H
#define TSM_SYNC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "tsm/identity.h"

#define TSM_TEAM_MAX 41  /* team ids: [a-z0-9_-], 1..40 bytes, with NUL */
#define TSM_SCOPE_MAX 32 /* scope ids: [a-z0-9-], 1..31 bytes */
#define TSM_ENV_MAX 8    /* envelopes in one batch */
#define TSM_ROLE_MAX 16
#define TSM_PK_LEN 32     /* Ed25519 and X25519 public keys */
#define TSM_SEALED_LEN 80 /* a 32-byte key under crypto_box_seal */
#define TSM_FPR_LEN 16    /* a key fingerprint: BLAKE2b-128 of the key */
#define TSM_SECRET_LEN 32 /* an invite's secret */
#define TSM_MAC_LEN 32
#define TSM_URL_MAX 1024

#define TSM_FORMAT 1 /* the version of every sync document */

/* header.json of a batch commit: plaintext metadata only. */
typedef struct tsm_batch_header {
	char team[TSM_TEAM_MAX];
	char site[TSM_SITE_LEN + 1];
	unsigned char signer[TSM_PK_LEN]; /* the site's Ed25519 key */
	uint64_t seq_first, seq_last;
	size_t nenv;
	char scope[TSM_ENV_MAX][TSM_SCOPE_MAX]; /* blob "env-<scope>" each */
} tsm_batch_header;

/* One site of a member in the roster. */
typedef struct tsm_roster_site {
	char site[TSM_SITE_LEN + 1];
	unsigned char sign_pk[TSM_PK_LEN];
	unsigned char box_pk[TSM_PK_LEN];
	unsigned char sealed[TSM_SEALED_LEN]; /* team key sealed to box_pk */
} tsm_roster_site;

typedef struct tsm_roster_member {
	char member[TSM_MEMBER_MAX];
	char role[TSM_ROLE_MAX];
	size_t nsites;
	tsm_roster_site *sites;
} tsm_roster_member;

/* roster.json: who is in the team, with which keys. No names, no data. */
typedef struct tsm_roster {
	char team[TSM_TEAM_MAX];
	uint64_t version;         /* 1, 2, ... */
	unsigned char prev[32];   /* BLAKE2b-256 of the previous roster.json */
	size_t nmembers;
	tsm_roster_member *members;
} tsm_roster;

/* join.json: a site asking to be admitted with an invite. */
typedef struct tsm_join {
	char team[TSM_TEAM_MAX];
	char member[TSM_MEMBER_MAX];
	char site[TSM_SITE_LEN + 1];
	unsigned char sign_pk[TSM_PK_LEN];
	unsigned char box_pk[TSM_PK_LEN];
	unsigned char mac[TSM_MAC_LEN]; /* keyed BLAKE2b under the invite */
} tsm_join;

/* What an invite code carries. Holds a secret: wipe after use. */
typedef struct tsm_invite {
	char team[TSM_TEAM_MAX];
	char remote[TSM_URL_MAX];
	unsigned char root[TSM_FPR_LEN]; /* fingerprint of the founder key */
	char member[TSM_MEMBER_MAX];
	char role[TSM_ROLE_MAX];
	unsigned char secret[TSM_SECRET_LEN];
} tsm_invite;

/* Encoders write compact JSON into a malloc'd, NUL-terminated buffer that
 * the caller frees with free(); *len excludes the NUL. Decoders are strict:
 * an unknown format, a missing or ill-typed field gives TSM_ECORRUPT. */
int tsm_codec_header_write(char **out, size_t *len, const tsm_batch_header *h);
int tsm_codec_header_read(tsm_batch_header *out, const unsigned char *buf,
			  size_t len);

int tsm_codec_roster_write(char **out, size_t *len, const tsm_roster *r);
/* *out is malloc'd; free it with tsm_roster_free(). */
int tsm_codec_roster_read(tsm_roster **out, const unsigned char *buf,
			  size_t len);
void tsm_roster_free(tsm_roster *r);

int tsm_codec_join_write(char **out, size_t *len, const tsm_join *j);
int tsm_codec_join_read(tsm_join *out, const unsigned char *buf, size_t len);

/* An invite code: base64url (no padding) of a JSON object. */
int tsm_codec_invite_write(char **out, const tsm_invite *inv);
int tsm_codec_invite_read(tsm_invite *out, const char *code);

/* The facts sync checks about each op of a batch payload (a JSON array of
 * ops): its site, seq and author. fn is called once per op in order; a
 * nonzero return stops. TSM_ECORRUPT when the payload is not such an
 * array. */
int tsm_codec_ops_each(const unsigned char *buf, size_t len,
		       int (*fn)(const char *site, uint64_t seq,
				 const char *author, void *p),
		       void *payload);

/* The value of a member grant op: {"box_pk","name","role","sign_pk",
 * "site"} (keys in hex), as the founder's self-grant has it. */
int tsm_codec_grant_value(char **out, const char *role, const char *name,
			  const char *site, const unsigned char *sign_pk,
			  const unsigned char *box_pk);

/* Validators for ids that appear in refs and documents. */
int tsm_team_id_valid(const char *team);
int tsm_site_id_valid(const char *site);
int tsm_scope_valid(const char *scope);
int tsm_role_valid(const char *role);

#endif
