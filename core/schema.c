/* core/schema.c — the whole tsm schema as commented SQL, in one place.
 * Migrations run in order under PRAGMA user_version; never edit a released
 * step, append a new one. */
#include "schema.h"
#include "error.h"

#include <stdio.h>

static const char *const migrations[] = {
	/* 1: the replica's own identity and settings. */
	"CREATE TABLE local (\n"
	"  key   TEXT PRIMARY KEY,  -- e.g. 'member', 'site', 'sign_sk'\n"
	"  value BLOB NOT NULL\n"
	") WITHOUT ROWID;\n",

	/* 2: the op log (core/ops.c) and the state materialized from it
	 * (core/merge*.c). Only the op log's apply writes the materialized
	 * tables; they are a pure function of the set of ops and every row
	 * is part of the state hash. Local-only tables (local,
	 * clock_warnings, export_cursors) are not. */
	"-- Clustered by entity: a fold reads one key range; (site, seq),\n"
	"-- the op's identity, is unique.\n"
	"CREATE TABLE ops (\n"
	"  etype      TEXT NOT NULL,     -- customer, followup, member, ...\n"
	"  eid        TEXT NOT NULL,\n"
	"  hlc        INTEGER NOT NULL,  -- (wall ms << 16) | counter\n"
	"  site       TEXT NOT NULL,     -- the writing replica, 16 hex digits\n"
	"  seq        INTEGER NOT NULL,  -- dense per site, from 1\n"
	"  author     TEXT NOT NULL,     -- member id\n"
	"  action     TEXT NOT NULL,     -- create, set, append, delete, ...\n"
	"  field      TEXT NOT NULL DEFAULT '',\n"
	"  value      TEXT,              -- canonical JSON, NULL when none\n"
	"  supersedes TEXT NOT NULL DEFAULT '', -- sorted 'site:seq' ids,\n"
	"                                -- one space apart\n"
	"  ref        TEXT,              -- customer of a follow-up/order create\n"
	"  status     TEXT NOT NULL DEFAULT 'accepted', -- or rejected,\n"
	"                                -- superseded (derived by the merge)\n"
	"  reason     TEXT,              -- why rejected\n"
	"  PRIMARY KEY (etype, eid, hlc, site, seq)\n"
	") WITHOUT ROWID;\n"
	"CREATE UNIQUE INDEX ops_id ON ops(site, seq);\n"
	"CREATE INDEX ops_ref ON ops(ref) WHERE ref IS NOT NULL;\n"
	"\n"
	"-- Remote clocks too far ahead of ours (local-only).\n"
	"CREATE TABLE clock_warnings (\n"
	"  site    TEXT NOT NULL,\n"
	"  hlc     INTEGER NOT NULL,\n"
	"  seen_at INTEGER NOT NULL,     -- our wall clock, ms\n"
	"  PRIMARY KEY (site, hlc)\n"
	") WITHOUT ROWID;\n"
	"-- The last seq exported per site (local-only).\n"
	"CREATE TABLE export_cursors (\n"
	"  site TEXT PRIMARY KEY,\n"
	"  seq  INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"\n"
	"-- The roster. Times are ms (the hlc's wall part); op = 'site:seq'.\n"
	"CREATE TABLE team (\n"
	"  id         TEXT PRIMARY KEY,\n"
	"  name       TEXT NOT NULL,\n"
	"  founder    TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE members (\n"
	"  id         TEXT PRIMARY KEY,\n"
	"  name       TEXT,\n"
	"  role       TEXT NOT NULL,     -- agent lead manager assistant auditor\n"
	"  active     INTEGER NOT NULL,  -- 0 once revoked\n"
	"  info       TEXT,              -- the grant's value (public keys, ...)\n"
	"  granted_by TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL      -- the last grant or revoke\n"
	") WITHOUT ROWID;\n"
	"\n"
	"CREATE TABLE customers (\n"
	"  id          TEXT PRIMARY KEY,\n"
	"  name        TEXT,\n"
	"  phone       TEXT,             -- E.164\n"
	"  company     TEXT,\n"
	"  industry    TEXT,\n"
	"  region      TEXT,\n"
	"  size        TEXT,\n"
	"  source      TEXT,\n"
	"  address     TEXT,\n"
	"  needs       TEXT,\n"
	"  salutation  TEXT,\n"
	"  priority    TEXT,\n"
	"  tags        TEXT,\n"
	"  stage       TEXT NOT NULL,    -- new contacted interested\n"
	"                                -- negotiating won lost\n"
	"  owner       TEXT,             -- member id\n"
	"  dnc         INTEGER NOT NULL, -- flag set or phone on the dnc list\n"
	"  dnc_flag    INTEGER NOT NULL, -- the customer's own flag\n"
	"  deleted     INTEGER NOT NULL,\n"
	"  merge_target TEXT,            -- the merge op's target, as folded\n"
	"  merge_op    TEXT,             -- the merge op in effect\n"
	"  merged_into TEXT,             -- hidden: the surviving customer\n"
	"                                -- after following merges (NULL for\n"
	"                                -- a survivor, also of a cycle)\n"
	"  created_by  TEXT NOT NULL,\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  updated_at  INTEGER NOT NULL,\n"
	"  create_op   TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX customers_phone ON customers(phone);\n"
	"CREATE INDEX customers_owner ON customers(owner);\n"
	"CREATE INDEX customers_merged ON customers(merge_target)\n"
	"  WHERE merge_target IS NOT NULL;\n"
	"\n"
	"-- Appends. origin = the customer the op was on; customer = the\n"
	"-- surviving customer after merges. id = the op id.\n"
	"CREATE TABLE calls (\n"
	"  origin      TEXT NOT NULL,\n"
	"  id          TEXT NOT NULL,\n"
	"  customer    TEXT NOT NULL,\n"
	"  author      TEXT NOT NULL,\n"
	"  at          INTEGER NOT NULL, -- ms\n"
	"  outcome     TEXT NOT NULL,\n"
	"  duration_s  INTEGER NOT NULL,\n"
	"  note        TEXT,\n"
	"  connected   INTEGER NOT NULL, -- flags from the outcome (DESIGN 6)\n"
	"  effective   INTEGER NOT NULL,\n"
	"  interested  INTEGER NOT NULL,\n"
	"  sale        INTEGER NOT NULL,\n"
	"  dnc_request INTEGER NOT NULL,\n"
	"  revisit     INTEGER NOT NULL,\n"
	"  amended_by  TEXT,             -- the last amend op\n"
	"  PRIMARY KEY (origin, id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX calls_customer ON calls(customer, at);\n"
	"CREATE INDEX calls_author ON calls(author, at);\n"
	"CREATE TABLE notes (\n"
	"  origin     TEXT NOT NULL,\n"
	"  id         TEXT NOT NULL,\n"
	"  customer   TEXT NOT NULL,\n"
	"  author     TEXT NOT NULL,\n"
	"  at         INTEGER NOT NULL,\n"
	"  text       TEXT NOT NULL,\n"
	"  amended_by TEXT,\n"
	"  PRIMARY KEY (origin, id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX notes_customer ON notes(customer, at);\n"
	"CREATE TABLE feedback (\n"
	"  origin       TEXT NOT NULL,\n"
	"  id           TEXT NOT NULL,\n"
	"  customer     TEXT NOT NULL,\n"
	"  author       TEXT NOT NULL,\n"
	"  at           INTEGER NOT NULL,\n"
	"  text         TEXT NOT NULL,\n"
	"  satisfaction INTEGER,         -- 1..5\n"
	"  amended_by   TEXT,\n"
	"  PRIMARY KEY (origin, id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX feedback_customer ON feedback(customer, at);\n"
	"\n"
	"CREATE TABLE followups (\n"
	"  id           TEXT PRIMARY KEY,\n"
	"  customer     TEXT NOT NULL,   -- the survivor after merges\n"
	"  origin       TEXT NOT NULL,   -- as created\n"
	"  kind         TEXT NOT NULL,   -- callback followup revisit\n"
	"  due          INTEGER NOT NULL,-- ms\n"
	"  note         TEXT,\n"
	"  done         INTEGER NOT NULL,\n"
	"  done_at      INTEGER,\n"
	"  done_by      TEXT,\n"
	"  done_op      TEXT,\n"
	"  satisfaction INTEGER,\n"
	"  feedback     TEXT,\n"
	"  created_by   TEXT NOT NULL,\n"
	"  created_at   INTEGER NOT NULL,\n"
	"  updated_at   INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX followups_due ON followups(done, due);\n"
	"CREATE INDEX followups_customer ON followups(customer);\n"
	"CREATE INDEX followups_origin ON followups(origin);\n"
	"CREATE TABLE orders (\n"
	"  id          TEXT PRIMARY KEY,\n"
	"  customer    TEXT NOT NULL,\n"
	"  origin      TEXT NOT NULL,\n"
	"  service     TEXT NOT NULL,\n"
	"  amount_fen  INTEGER NOT NULL, -- money is integer fen\n"
	"  term_months INTEGER,\n"
	"  start       TEXT,             -- YYYY-MM-DD\n"
	"  status      TEXT,\n"
	"  note        TEXT,\n"
	"  created_by  TEXT NOT NULL,\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  updated_at  INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX orders_customer ON orders(customer);\n"
	"CREATE INDEX orders_origin ON orders(origin);\n"
	"CREATE INDEX orders_author ON orders(created_by, created_at);\n"
	"\n"
	"-- Team data, one row per (entity, field) holding its winning value.\n"
	"CREATE TABLE scripts (\n"
	"  name       TEXT NOT NULL,\n"
	"  section    TEXT NOT NULL,\n"
	"  body       TEXT NOT NULL,\n"
	"  author     TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL,\n"
	"  PRIMARY KEY (name, section)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE policy (\n"
	"  id         TEXT NOT NULL,\n"
	"  field      TEXT NOT NULL,\n"
	"  value      TEXT NOT NULL,     -- canonical JSON\n"
	"  author     TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL,\n"
	"  PRIMARY KEY (id, field)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE products (\n"
	"  id         TEXT NOT NULL,\n"
	"  field      TEXT NOT NULL,\n"
	"  value      TEXT NOT NULL,\n"
	"  author     TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL,\n"
	"  PRIMARY KEY (id, field)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE targets (\n"
	"  id         TEXT NOT NULL,\n"
	"  field      TEXT NOT NULL,\n"
	"  value      TEXT NOT NULL,\n"
	"  author     TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL,\n"
	"  PRIMARY KEY (id, field)\n"
	") WITHOUT ROWID;\n"
	"-- The do-not-call list: numbers, customers or not.\n"
	"CREATE TABLE dnc_list (\n"
	"  phone      TEXT PRIMARY KEY,\n"
	"  dnc        INTEGER NOT NULL,  -- 0 once cleared by a manager\n"
	"  author     TEXT NOT NULL,     -- of the deciding op\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  op         TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"\n"
	"-- The review queue. id = 'r' + 16 hex of a hash of kind, entity,\n"
	"-- field and the ops involved, so every replica derives the same.\n"
	"CREATE TABLE review (\n"
	"  id          TEXT PRIMARY KEY,\n"
	"  kind        TEXT NOT NULL,    -- conflict violation duplicate\n"
	"                                -- rejected\n"
	"  etype       TEXT NOT NULL,\n"
	"  eid         TEXT NOT NULL,\n"
	"  field       TEXT NOT NULL,\n"
	"  detail      TEXT NOT NULL,    -- canonical JSON: both sides\n"
	"  ops         TEXT NOT NULL,    -- the op ids involved\n"
	"  at          INTEGER NOT NULL, -- ms of the newest op involved\n"
	"  status      TEXT NOT NULL,    -- open resolved\n"
	"  resolved_by TEXT,             -- the winning resolve op\n"
	"  choice      TEXT\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX review_entity ON review(etype, eid);\n"
	"CREATE INDEX review_open ON review(status, at);\n"
	"-- Resolutions (review resolve ops), by item id; the item may be\n"
	"-- derived before or after its resolution arrives.\n"
	"CREATE TABLE review_res (\n"
	"  id     TEXT PRIMARY KEY,\n"
	"  op     TEXT NOT NULL,\n"
	"  choice TEXT NOT NULL,\n"
	"  note   TEXT,\n"
	"  author TEXT NOT NULL,\n"
	"  at     INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n",
	/* 3: the calling queue (core/call_next.c, core/followup.c,
	 * core/call_today.c). SQLite 3.40 does not read an expression's
	 * columns out of an index, so customers_queue repeats every column
	 * the queue reads, to stay a covering index. */
	"-- A member's own list (owner, else creator) by stage; new leads by\n"
	"-- priority rank (high 0, normal or unset 1, low 2), then age.\n"
	"CREATE INDEX customers_queue ON customers(\n"
	"  coalesce(owner, created_by), stage,\n"
	"  (CASE priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END),\n"
	"  created_at, id, owner, created_by, priority, deleted, merged_into,\n"
	"  phone, dnc, name)\n"
	"  WHERE deleted = 0 AND merged_into IS NULL;\n"
	"-- A customer's follow-ups by state and kind (open ones by due time;\n"
	"-- the last revisit done), and those a member completed.\n"
	"CREATE INDEX followups_cust ON followups(customer, done, kind, due,\n"
	"  done_at);\n"
	"CREATE INDEX followups_done ON followups(done_by, done_at, done)\n"
	"  WHERE done = 1;\n"
	"-- Revisits of signed clients: when a customer was set won, and its\n"
	"-- last revisit-done call.\n"
	"-- (No etype term in the WHERE: stage ops are customers' anyway, and\n"
	"-- a partial index whose WHERE names a column makes SQLite re-prepare\n"
	"-- every statement binding that column, e.g. the op log's etype = ?.)\n"
	"CREATE INDEX ops_won ON ops(eid, hlc, etype, action, field, status,\n"
	"  value) WHERE action = 'set' AND field = 'stage' AND\n"
	"  value = '\"won\"' AND status <> 'rejected';\n"
	"CREATE INDEX calls_revisit ON calls(customer, at, revisit)\n"
	"  WHERE revisit = 1;\n",

	/* 4: sync's and audit's local-only bookkeeping (sync/, core/audit.c);
	 * not part of the state hash. */
	"-- Per-site cursors: the last commit of a site's chain whose ops are\n"
	"-- applied here, with the seq_last it carried. For this replica's own\n"
	"-- site: the tip of its batch chain and the last seq batched. Written\n"
	"-- in the transaction that applies (or batches) those ops, so a crash\n"
	"-- at any point neither loses nor repeats anything.\n"
	"CREATE TABLE sync_sites (\n"
	"  site      TEXT PRIMARY KEY,\n"
	"  commit_id TEXT NOT NULL,     -- 40 hex digits\n"
	"  seq       INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"-- Invites issued by this replica (a manager). mac_key = keyed\n"
	"-- BLAKE2b of the invite's secret; the secret itself is not kept.\n"
	"CREATE TABLE sync_invites (\n"
	"  member    TEXT PRIMARY KEY,\n"
	"  role      TEXT NOT NULL,\n"
	"  name      TEXT NOT NULL,     -- display name for the grant, maybe ''\n"
	"  mac_key   BLOB NOT NULL,\n"
	"  expires   INTEGER NOT NULL,  -- unix seconds\n"
	"  used_site TEXT               -- the site admitted; NULL while open\n"
	") WITHOUT ROWID;\n"
	"-- Which batch commit carried which seqs of a site, from the chains\n"
	"-- sync verified and applied (for this replica's own site: the\n"
	"-- batches it wrote); rebuilt from the mirror when lost.\n"
	"CREATE TABLE audit_batches (\n"
	"  site      TEXT NOT NULL,\n"
	"  seq_last  INTEGER NOT NULL,\n"
	"  seq_first INTEGER NOT NULL,\n"
	"  commit_id TEXT NOT NULL,     -- 40 hex digits\n"
	"  PRIMARY KEY (site, seq_last)\n"
	") WITHOUT ROWID;\n",

	/* 5: why a number is on the do-not-call list: the text of its last
	 * note op (core/merge.c), also for a number no customer has. */
	"ALTER TABLE dnc_list ADD COLUMN reason TEXT;\n",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int tsm_schema_version(void)
{
	return N_MIGRATIONS;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read schema version");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = tsm_error_sqlite(db, rc, "read schema version");
		sqlite3_finalize(st);
		return rc;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : tsm_error_sqlite(db, rc, what);
}

int tsm_schema_migrate(sqlite3 *db)
{
	int version, appid, err, v;
	char sql[64];

	if ((err = pragma_int(db, "PRAGMA application_id", &appid)) < 0)
		return err;
	if ((err = pragma_int(db, "PRAGMA user_version", &version)) < 0)
		return err;
	if (version == 0 && appid == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
			 TSM_APPLICATION_ID);
		if ((err = exec(db, sql, "set application id")) < 0)
			return err;
	} else if (appid != TSM_APPLICATION_ID) {
		return tsm_error_set(TSM_ECORRUPT, "not a tsm database");
	}
	if (version > N_MIGRATIONS)
		return tsm_error_set(TSM_EINVALID,
				     "store has schema version %d; this tsm "
				     "knows up to %d (upgrade tsm)",
				     version, N_MIGRATIONS);
	for (v = version; v < N_MIGRATIONS; v++) {
		if ((err = exec(db, "SAVEPOINT migrate", "migrate")) < 0)
			return err;
		err = exec(db, migrations[v], "migrate schema");
		if (err == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
				 v + 1);
			err = exec(db, sql, "set schema version");
		}
		if (err < 0) {
			sqlite3_exec(db, "ROLLBACK TO migrate; RELEASE migrate",
				     NULL, NULL, NULL);
			return err;
		}
		if ((err = exec(db, "RELEASE migrate", "migrate")) < 0)
			return err;
	}
	return 0;
}
