/* sync/state.c — sync's own tables and `local` keys inside the encrypted
 * store. The tables (sync_sites, sync_invites) are local-only, not part of
 * the state hash; their schema is migration 4 in core/schema.c. */
#include "state.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

static int prepare(sqlite3_stmt **st, sqlite3 *db, const char *sql)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : tsm_error_sqlite(db, rc, "prepare");
}

int tsm_state_get(void *out, size_t cap, size_t *len, tsm_store *store,
		  const char *key)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	size_t n;
	int rc, err;

	if ((err = prepare(&st, db, "SELECT value FROM local WHERE key = ?1")) <
	    0)
		return err;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = tsm_error_set(TSM_ENOTFOUND, "no '%s' in the store", key);
	} else if (rc != SQLITE_ROW) {
		err = tsm_error_sqlite(db, rc, "read local setting");
	} else {
		n = (size_t)sqlite3_column_bytes(st, 0);
		if (n > cap) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "local setting '%s' too long", key);
		} else {
			if (n)
				memcpy(out, sqlite3_column_blob(st, 0), n);
			if (len)
				*len = n;
			err = 0;
		}
	}
	sqlite3_finalize(st);
	return err;
}

int tsm_state_get_text(char *out, size_t cap, tsm_store *store,
		       const char *key)
{
	size_t len = 0;
	int err;

	if (cap == 0)
		return tsm_error_set(TSM_EINVALID, "no room");
	if ((err = tsm_state_get(out, cap - 1, &len, store, key)) < 0)
		return err;
	out[len] = '\0';
	if (strlen(out) != len)
		return tsm_error_set(TSM_ECORRUPT, "local setting '%s' is not text",
				     key);
	return 0;
}

int tsm_state_put(tsm_store *store, const char *key, const void *val,
		  size_t len)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prepare(&st, db,
			   "INSERT OR REPLACE INTO local(key, value) "
			   "VALUES (?1, ?2)")) < 0)
		return err;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? val : "", (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = rc == SQLITE_DONE ? 0 : tsm_error_sqlite(db, rc, "write local setting");
	sqlite3_finalize(st);
	return err;
}

int tsm_state_put_text(tsm_store *store, const char *key, const char *val)
{
	return tsm_state_put(store, key, val, strlen(val));
}

int tsm_state_del(tsm_store *store, const char *key)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prepare(&st, db, "DELETE FROM local WHERE key = ?1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = rc == SQLITE_DONE ? 0 : tsm_error_sqlite(db, rc, "delete local setting");
	sqlite3_finalize(st);
	return err;
}

int tsm_state_team_key(unsigned char **out, tsm_store *store)
{
	unsigned char *key = sodium_malloc(32);
	size_t len = 0;
	int err;

	*out = NULL;
	if (key == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	err = tsm_state_get(key, 32, &len, store, TSM_K_TEAM_KEY);
	if (err == 0 && len != 32)
		err = tsm_error_set(TSM_ECORRUPT, "bad team key in the store");
	if (err == TSM_ENOTFOUND)
		err = tsm_error_set(TSM_ENOTFOUND,
				    "not admitted to the team yet");
	if (err < 0) {
		sodium_free(key);
		return err;
	}
	*out = key;
	return 0;
}

int tsm_state_cursor(char *commit, int64_t *seq, tsm_store *store,
		     const char *site)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const unsigned char *c;
	int rc, err;

	commit[0] = '\0';
	*seq = 0;
	if ((err = prepare(&st, db,
			   "SELECT commit_id, seq FROM sync_sites "
			   "WHERE site = ?1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c = sqlite3_column_text(st, 0);
		if (c == NULL || strlen((const char *)c) != TSM_OID_HEX) {
			err = tsm_error_set(TSM_ECORRUPT,
					    "bad cursor for site %s", site);
		} else {
			memcpy(commit, c, TSM_OID_HEX + 1);
			*seq = sqlite3_column_int64(st, 1);
		}
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read cursor");
	}
	sqlite3_finalize(st);
	return err;
}

int tsm_state_set_cursor(tsm_store *store, const char *site,
			 const char *commit, int64_t seq)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prepare(&st, db,
			   "INSERT OR REPLACE INTO sync_sites(site, commit_id, "
			   "seq) VALUES (?1, ?2, ?3)")) < 0)
		return err;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, commit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	rc = sqlite3_step(st);
	err = rc == SQLITE_DONE ? 0 : tsm_error_sqlite(db, rc, "write cursor");
	sqlite3_finalize(st);
	return err;
}

int tsm_state_invite_put(tsm_store *store, const tsm_state_invite *inv)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prepare(&st, db,
			   "INSERT OR REPLACE INTO sync_invites(member, role, "
			   "name, mac_key, expires, used_site) VALUES (?1, ?2, "
			   "?3, ?4, ?5, NULLIF(?6, ''))")) < 0)
		return err;
	sqlite3_bind_text(st, 1, inv->member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inv->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inv->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, inv->mac_key, sizeof(inv->mac_key),
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, inv->expires);
	sqlite3_bind_text(st, 6, inv->used_site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	err = rc == SQLITE_DONE ? 0 : tsm_error_sqlite(db, rc, "write invite");
	sqlite3_finalize(st);
	return err;
}

static void copy_col(char *out, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static int read_invite(tsm_state_invite *out, sqlite3_stmt *st)
{
	memset(out, 0, sizeof(*out));
	copy_col(out->member, sizeof(out->member), st, 0);
	copy_col(out->role, sizeof(out->role), st, 1);
	copy_col(out->name, sizeof(out->name), st, 2);
	if (sqlite3_column_bytes(st, 3) != (int)sizeof(out->mac_key))
		return tsm_error_set(TSM_ECORRUPT, "bad invite for '%s'",
				     out->member);
	memcpy(out->mac_key, sqlite3_column_blob(st, 3), sizeof(out->mac_key));
	out->expires = sqlite3_column_int64(st, 4);
	copy_col(out->used_site, sizeof(out->used_site), st, 5);
	return 0;
}

#define INVITE_COLS "member, role, name, mac_key, expires, used_site"

int tsm_state_invite_get(tsm_state_invite *out, tsm_store *store,
			 const char *member)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prepare(&st, db,
			   "SELECT " INVITE_COLS " FROM sync_invites "
			   "WHERE member = ?1")) < 0)
		return err;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = read_invite(out, st);
	else if (rc == SQLITE_DONE)
		err = tsm_error_set(TSM_ENOTFOUND, "no invite for '%s'", member);
	else
		err = tsm_error_sqlite(db, rc, "read invite");
	sqlite3_finalize(st);
	return err;
}

int tsm_state_invite_use(tsm_store *store, const char *member,
			 const char *site)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc, err;

	if ((err = prepare(&st, db,
			   "UPDATE sync_invites SET used_site = ?2 "
			   "WHERE member = ?1 AND used_site IS NULL")) < 0)
		return err;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "use invite");
	else if (sqlite3_changes(db) != 1)
		err = tsm_error_set(TSM_ECONFLICT, "invite for '%s' already used",
				    member);
	sqlite3_finalize(st);
	return err;
}

int tsm_state_invite_each(tsm_store *store,
			  int (*fn)(const tsm_state_invite *inv, void *p),
			  void *payload)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_state_invite inv;
	int rc, err;

	if ((err = prepare(&st, db,
			   "SELECT " INVITE_COLS " FROM sync_invites "
			   "ORDER BY member")) < 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = read_invite(&inv, st)) < 0)
			break;
		err = fn(&inv, payload);
		sodium_memzero(&inv, sizeof(inv));
		if (err != 0)
			break;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = tsm_error_sqlite(db, rc, "list invites");
	sqlite3_finalize(st);
	return err;
}
