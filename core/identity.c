/* core/identity.c — this replica's identity: the member, a display name, a
 * random site id and the site's Ed25519 and X25519 key pairs, kept as rows of
 * the `local` table inside the encrypted store. */
#include "identity_internal.h"

#include "error.h"
#include "store_internal.h"

#include <sodium.h>
#include <string.h>

/* Keys of the `local` rows this module owns. */
#define K_MEMBER "member"
#define K_NAME "name"
#define K_SITE "site"
#define K_SIGN_PK "sign_pk"
#define K_SIGN_SK "sign_sk"
#define K_BOX_PK "box_pk"
#define K_BOX_SK "box_sk"

int tsm_member_id_valid(const char *member)
{
	size_t i;
	char c;

	if (member == NULL)
		return 0;
	for (i = 0; member[i]; i++) {
		if (i >= TSM_MEMBER_MAX - 1)
			return 0;
		c = member[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF), without C0 or C1 control characters or DEL, which would garble
 * terminals and tables. */
int tsm_name_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	unsigned long cp;
	size_t len;
	int n, i;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len == 0 || len >= TSM_NAME_MAX)
		return 0;
	while (*p) {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			n = 3;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) /* also stops at NUL */
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000))
			return 0;
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		p += n + 1;
	}
	return 1;
}

static int local_put(sqlite3 *db, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	rc = sqlite3_prepare_v2(
	    db, "INSERT INTO local(key, value) VALUES (?1, ?2)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "store identity");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	/* SQLITE_STATIC: secrets are not copied into another heap buffer by
	 * us; SQLite's own page cache holds what it writes. */
	sqlite3_bind_blob(st, 2, val, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err =
	    rc == SQLITE_DONE ? 0 : tsm_error_sqlite(db, rc, "store identity");
	sqlite3_finalize(st);
	return err;
}

/* Copies the value of key into out (cap bytes); *len gets its length.
 * TSM_ENOTFOUND when the row is missing, TSM_ECORRUPT when it is larger
 * than cap. */
static int local_get(void *out, size_t cap, size_t *len, sqlite3 *db,
		     const char *key)
{
	sqlite3_stmt *st = NULL;
	const void *val;
	int rc, err, n;

	*len = 0;
	rc = sqlite3_prepare_v2(db, "SELECT value FROM local WHERE key = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read identity");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = tsm_error_set(TSM_ENOTFOUND,
				    "this store has no identity yet");
		goto done;
	}
	if (rc != SQLITE_ROW) {
		err = tsm_error_sqlite(db, rc, "read identity");
		goto done;
	}
	val = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (n < 0 || (size_t)n > cap || (n > 0 && val == NULL)) {
		err = tsm_error_set(TSM_ECORRUPT,
				    "identity field '%s' is "
				    "malformed",
				    key);
		goto done;
	}
	if (n > 0)
		memcpy(out, val, (size_t)n);
	*len = (size_t)n;
	err = 0;
done:
	sqlite3_finalize(st);
	return err;
}

/* Reads a text field into out (cap bytes, NUL-terminated). */
static int get_text(char *out, size_t cap, sqlite3 *db, const char *key)
{
	size_t len;
	int err;

	if ((err = local_get(out, cap - 1, &len, db, key)) < 0)
		return err;
	out[len] = '\0';
	if (len == 0 || strlen(out) != len)
		return tsm_error_set(TSM_ECORRUPT,
				     "identity field '%s' is malformed", key);
	return 0;
}

/* Reads a field of exactly len bytes. */
static int get_exact(void *out, size_t len, sqlite3 *db, const char *key)
{
	size_t got;
	int err;

	if ((err = local_get(out, len, &got, db, key)) < 0)
		return err;
	if (got != len)
		return tsm_error_set(TSM_ECORRUPT,
				     "identity field '%s' is malformed", key);
	return 0;
}

int tsm_identity_create(tsm_store *store, const char *member, const char *name)
{
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char box_pk[crypto_box_PUBLICKEYBYTES];
	unsigned char site_raw[TSM_SITE_LEN / 2];
	char site[TSM_SITE_LEN + 1];
	unsigned char *sk = NULL; /* sign sk, then box sk */
	sqlite3 *db = tsm_store_db(store);
	size_t len;
	int err, began = 0, ok = 0, e2;

	if (!tsm_member_id_valid(member))
		return tsm_error_set(TSM_EINVALID,
				     "bad member id '%s': use 1 to %d of "
				     "a-z, 0-9, '.', '_' and '-'",
				     member ? member : "", TSM_MEMBER_MAX - 1);
	if (!tsm_name_valid(name))
		return tsm_error_set(TSM_EINVALID,
				     "bad name: use 1 to %d bytes of UTF-8 "
				     "text without control characters",
				     TSM_NAME_MAX - 1);
	sk = sodium_malloc(TSM_SIGN_SK_LEN + TSM_BOX_SK_LEN);
	if (sk == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	began = 1;
	err = local_get(site, sizeof(site) - 1, &len, db, K_SITE);
	if (err == 0) {
		err = tsm_error_set(TSM_EEXISTS,
				    "this store already has an identity");
		goto done;
	}
	if (err != TSM_ENOTFOUND)
		goto done;
	crypto_sign_keypair(sign_pk, sk);
	crypto_box_keypair(box_pk, sk + TSM_SIGN_SK_LEN);
	randombytes_buf(site_raw, sizeof(site_raw));
	sodium_bin2hex(site, sizeof(site), site_raw, sizeof(site_raw));
	if ((err = local_put(db, K_MEMBER, member, strlen(member))) < 0 ||
	    (err = local_put(db, K_NAME, name, strlen(name))) < 0 ||
	    (err = local_put(db, K_SITE, site, strlen(site))) < 0 ||
	    (err = local_put(db, K_SIGN_PK, sign_pk, sizeof(sign_pk))) < 0 ||
	    (err = local_put(db, K_SIGN_SK, sk, TSM_SIGN_SK_LEN)) < 0 ||
	    (err = local_put(db, K_BOX_PK, box_pk, sizeof(box_pk))) < 0 ||
	    (err = local_put(db, K_BOX_SK, sk + TSM_SIGN_SK_LEN,
			     TSM_BOX_SK_LEN)) < 0)
		goto done;
	ok = 1;
done:
	if (began) {
		e2 = tsm_store_end(store, ok);
		if (err == 0)
			err = e2;
	}
	sodium_free(sk); /* wipes */
	return err;
}

int tsm_identity_get(tsm_identity *out, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = get_text(out->site, sizeof(out->site), db, K_SITE)) < 0 ||
	    (err = get_text(out->member, sizeof(out->member), db, K_MEMBER)) <
		0 ||
	    (err = get_text(out->name, sizeof(out->name), db, K_NAME)) < 0 ||
	    (err = get_exact(out->sign_pk, sizeof(out->sign_pk), db,
			     K_SIGN_PK)) < 0 ||
	    (err = get_exact(out->box_pk, sizeof(out->box_pk), db, K_BOX_PK)) <
		0)
		goto done;
	err = strlen(out->site) == TSM_SITE_LEN ? 0 : TSM_ECORRUPT;
	for (i = 0; err == 0 && i < TSM_SITE_LEN; i++)
		if (!((out->site[i] >= '0' && out->site[i] <= '9') ||
		      (out->site[i] >= 'a' && out->site[i] <= 'f')))
			err = TSM_ECORRUPT;
	if (err < 0)
		err = tsm_error_set(TSM_ECORRUPT, "identity site id is "
						  "malformed");
done:
	if (err < 0)
		memset(out, 0, sizeof(*out));
	return err;
}

static int load_secret(unsigned char **out, tsm_store *store, const char *key,
		       size_t len)
{
	unsigned char *buf;
	int err;

	*out = NULL;
	buf = sodium_malloc(len);
	if (buf == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = get_exact(buf, len, tsm_store_db(store), key)) < 0) {
		sodium_free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

int tsm_identity_sign_sk(unsigned char **out, tsm_store *store)
{
	return load_secret(out, store, K_SIGN_SK, TSM_SIGN_SK_LEN);
}

int tsm_identity_box_sk(unsigned char **out, tsm_store *store)
{
	return load_secret(out, store, K_BOX_SK, TSM_BOX_SK_LEN);
}

void tsm_identity_secret_free(unsigned char *sk)
{
	sodium_free(sk); /* wipes; NULL is allowed */
}
