/* tsm/audit.h — the verifiable history of every record: the audit log of a
 * customer (every op, accepted, superseded or rejected, with who, when, old
 * and new value, the batch commit it arrived in), blame of current values,
 * signed exports of a period, and verification of the sync history.
 * Ownership: arrays and strings you get through **out are malloc'd and
 * yours; free them with the _free/_dispose function named beside them.
 * The log, blame and export live in core; tsm_audit_index() and
 * tsm_audit_verify() read the sync mirror and live in sync (libgit2). */
#ifndef TSM_AUDIT_H
#define TSM_AUDIT_H

#include <stdint.h>

#include "tsm/customer.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSM_COMMIT_HEX_MAX 41 /* a commit id, 40 hex digits, with NUL */

/* How an op's origin is vouched for (static strings): verified, another
 * site's op that arrived in a batch verified at sync; own, written on this
 * replica; unsigned, another site's op held without a verified batch. */
#define TSM_AUDIT_SIG_VERIFIED "verified"
#define TSM_AUDIT_SIG_OWN "own"
#define TSM_AUDIT_SIG_UNSIGNED "unsigned"

/* One op as the audit log shows it. */
typedef struct tsm_audit_row {
	char id[TSM_OPID_MAX]; /* "site:seq" */
	char site[TSM_SITE_LEN + 1];
	int64_t seq;
	uint64_t hlc;
	int64_t at;   /* ms: the clock's wall part */
	char *author; /* member id */
	char *name;   /* the author's display name at the op's clock, or
		       * NULL when no grant names one */
	char *role;   /* the author's role at the op's clock; "none" when
		       * not a member then */
	char *etype;
	char *eid;
	char *customer; /* the customer the op concerns, NULL for team data */
	char *action;
	/* "" when none; a create shown under a field filter carries that
	 * field */
	char *field;
	/* canonical JSON of the field just before this op, NULL when none
	 * (see tsm_audit_log) */
	char *old_value;
	/* canonical JSON of the op's value (for a create under a field
	 * filter: that field's), NULL when none */
	char *new_value;
	char *status; /* TSM_OP_ACCEPTED, _SUPERSEDED or _REJECTED */
	char *reason; /* why rejected, else NULL */
	char batch[TSM_COMMIT_HEX_MAX]; /* the batch commit that carried it,
					 * "" when none (own op not batched
					 * yet: "local, unsynced") */
	const char *signature;		/* TSM_AUDIT_SIG_*, static */
} tsm_audit_row;

/* Filters of the audit log and export; NULL / 0 members do not filter. */
typedef struct tsm_audit_filter {
	unsigned int version;
	const char *field;  /* ops writing this field (creates holding it) */
	const char *member; /* ops by this member */
	int64_t from;	    /* ms: ops at or after */
	int64_t to;	    /* ms: ops before */
} tsm_audit_filter;

#define TSM_AUDIT_FILTER_VERSION 1
#define TSM_AUDIT_FILTER_INIT                                                  \
	{                                                                      \
		TSM_AUDIT_FILTER_VERSION, NULL, NULL, 0, 0                     \
	}

/* Finds the customer ref names for auditing into out: an exact id of any
 * customer the op log has ops for (also deleted, merged, or never created
 * because its create was rejected), else as tsm_customer_resolve() with
 * TSM_RESOLVE_DELETED. Only customers this member may see
 * (tsm_customer_visible; auditors, leads, managers and assistants see all).
 * TSM_ENOTFOUND / TSM_EINVALID as for tsm_customer_resolve(). */
int tsm_audit_customer(char out[TSM_CUSTOMER_ID_MAX], tsm_store *store,
		       const char *ref);

/* The audit log of customer (an id, see tsm_audit_customer): every op on
 * it, on its follow-ups and orders (also those re-parented to it by a
 * merge), the merges of other customers into it, the do-not-call list ops
 * on its phone and the resolutions of its review items (also of items a
 * resolution's change removed: their resolve ops name the customer) —
 * accepted, superseded and rejected — sorted by (hlc, site, seq). old_value is
 * the value of the op's field just before it: the newest op of the same entity
 * writing that field (a set, or a create holding it) that is ordered
 * before it by (hlc, site, seq) and not rejected. It is computed from the
 * op log alone, the same on every replica holding the same ops (a winner
 * of a conflict shows the loser's value as old when the loser's clock is
 * earlier). filter may be NULL. Free the rows with tsm_audit_rows_free(). */
int tsm_audit_log(tsm_audit_row **out, size_t *n, tsm_store *store,
		  const char *customer, const tsm_audit_filter *filter);
void tsm_audit_rows_free(tsm_audit_row *rows, size_t n);

/* The rows as a JSON array, one object per line, each with the keys id,
 * time (ISO 8601 local time with its offset), hlc (16 hex), member, name,
 * role, site, seq, etype, eid, customer, action, field, old, new (JSON
 * values), status, reason, batch (null when none), signature. *out is
 * malloc'd and NUL-terminated; free() it. */
int tsm_audit_rows_json(char **out, size_t *len, const tsm_audit_row *rows,
			size_t n);

/* Who set one current value of a customer. */
typedef struct tsm_audit_blame {
	char *field;	       /* name ... tags, stage, owner, dnc, deleted,
				* merged_into */
	char *value;	       /* canonical JSON of the current value */
	char op[TSM_OPID_MAX]; /* the op that set it; "" for a default
				* (stage "new" with no op) */
	char *author;	       /* NULL when op is "" */
	char *name;
	char *role;
	char *action; /* create, set, delete, merge; NULL when op is "" */
	uint64_t hlc;
	int64_t at;    /* ms */
	char *against; /* the other heads of the field (concurrent writes
			* no later op superseded), "site:seq" ids separated
			* by spaces: "" when it won no conflict */
	char batch[TSM_COMMIT_HEX_MAX];
	const char *signature; /* TSM_AUDIT_SIG_*, NULL when op is "" */
} tsm_audit_blame;

/* Blame of customer (an id): one entry per field holding a value in the
 * materialized customer row (fields that are empty are left out), in the
 * order above. Free with tsm_audit_blame_free(). */
int tsm_audit_blame_get(tsm_audit_blame **out, size_t *n, tsm_store *store,
			const char *customer);
void tsm_audit_blame_free(tsm_audit_blame *b, size_t n);

/* The entries as a JSON array (keys field, value, op, member, name, role,
 * action, time, hlc, conflict (bool), against (array of op ids), batch,
 * signature); free() *out. */
int tsm_audit_blame_json(char **out, size_t *len, const tsm_audit_blame *b,
			 size_t n);

/* ---- signed exports ---- */

enum { TSM_AUDIT_CSV = 0, TSM_AUDIT_JSON = 1 };

/* Exports every op (all customers and team data) with from <= clock < to
 * (ms; to 0: no bound) in format, with the columns of the audit log, and
 * ends it with a digest line signed by this replica's site key:
 *   CSV:  # tsm-audit-digest v1 member=M site=S key=K blake2b=H sig=G
 *   JSON: "digest":{"version":1,"member":"M","site":"S","key":"K",
 *         "blake2b":"H","sig":"G"}}
 * where H is the BLAKE2b-256 (hex) of every byte before that line, K the
 * site's Ed25519 public key (hex) and G (hex) its signature of the text
 * "tsm-audit-digest v1 member=M site=S key=K blake2b=H". The JSON export is
 * one object {"format":"tsm-audit-export","version":1,"team":..,"from":..,
 * "to":..,"exported_at":..,"member":..,"site":..,"rows":[..], "digest":..}
 * whose digest member is its last line, so the whole file is valid JSON.
 * Both end with a newline. *out is malloc'd; free() it. */
int tsm_audit_export(char **out, size_t *len, tsm_store *store, int64_t from,
		     int64_t to, int format);

/* What tsm_audit_check_export() found. */
typedef struct tsm_audit_check {
	int format; /* TSM_AUDIT_CSV or TSM_AUDIT_JSON */
	char member[TSM_MEMBER_MAX];
	char site[TSM_SITE_LEN + 1];
	char key[65];	  /* hex */
	char blake2b[65]; /* hex */
	/* 1: a grant in this replica's op log gives member this site and
	 * key (or it is this replica's own) */
	int key_known;
	char name[TSM_NAME_MAX]; /* display name, "" if unknown */
	char role[16];		 /* current role, "" if unknown */
} tsm_audit_check;

/* Checks an export byte for byte: the last line is a well-formed digest
 * line, the BLAKE2b of everything before it matches, the signature is
 * valid for the key, and the key is a known site key of the member. out is
 * filled in as far as it got. Returns 0 when all hold; TSM_ECORRUPT with
 * the reason when the file does not verify; TSM_EAUTH when the signature is
 * valid but this replica does not know the key as that member's (the
 * message says so). store may be NULL (then the key is never known). */
int tsm_audit_check_export(tsm_audit_check *out, tsm_store *store,
			   const char *buf, size_t len);

/* ---- the sync history (implemented in sync/) ---- */

/* Records which batch commit carried which seqs of each site, for the
 * batch column of the log: walks each site's chain in the local mirror
 * from what was recorded before up to the commit sync last applied (for
 * this replica's own site: the last batch it wrote). Only chains sync has
 * verified are recorded. Cheap when nothing is new (no mirror is opened).
 * A store without a team or without any sync yet has nothing to record:
 * returns 0. */
int tsm_audit_index(tsm_store *store);

/* One verification failure: the site (or "" for the roster), the ref, the
 * commit (may be "") and why. */
typedef struct tsm_audit_failure {
	char site[TSM_SITE_LEN + 1];
	char ref[96];
	char commit[TSM_COMMIT_HEX_MAX];
	char reason[320];
} tsm_audit_failure;

typedef struct tsm_audit_report {
	size_t sites;		/* site chains walked */
	size_t batches;		/* batch commits verified */
	size_t ops;		/* ops in them */
	size_t compared;	/* batches compared with the ops held here */
	size_t roster_versions; /* roster versions verified */
	double seconds;		/* time spent verifying (not fetching) */
	tsm_audit_failure *failures;
	size_t nfailures;
} tsm_audit_report;

/* Progress: batches verified so far. */
typedef void (*tsm_audit_progress_fn)(size_t done, void *payload);

typedef struct tsm_audit_verify_options {
	unsigned int version;
	int remote; /* 1: fetch the central repository into a temporary
		     * mirror first and verify what it holds now */
	tsm_audit_progress_fn progress; /* may be NULL */
	void *payload;
} tsm_audit_verify_options;

#define TSM_AUDIT_VERIFY_OPTIONS_VERSION 1
#define TSM_AUDIT_VERIFY_OPTIONS_INIT                                          \
	{                                                                      \
		TSM_AUDIT_VERIFY_OPTIONS_VERSION, 0, NULL, NULL                \
	}

/* Re-verifies the whole sync history held in the mirror (or, with remote,
 * on the central repository now), from the roots:
 *  - the roster chain from the pinned founder key, and that the version
 *    verified here last is on it (not rewritten since);
 *  - every site ref (and the chain this replica last applied for each
 *    site, when the ref no longer leads to it): each batch's signature by
 *    the key the roster registers for the site (the first version that
 *    lists it; a later version changing it is a roster failure), parent
 *    chain, dense seqs from 1 across batches, header naming this team and
 *    the ref's site, envelopes opening under the team key with their
 *    associated data (team, site, seq range, parent), each op's site = the
 *    ref's site, seq in the range and author = the member owning the site;
 *  - that no site ref was rewritten or deleted since it was last seen (the
 *    commit sync last applied must be on it; for this replica's own ref,
 *    the central copy must be a prefix of its chain);
 *  - that the ops held here for every batch whose seqs are held are the
 *    signed ones, field by field (clock, author, entity, action, field,
 *    value as canonical JSON, superseded ids).
 * Each failure goes to out->failures; verification of a chain stops at its
 * first bad commit. Returns 0 when the report has no failures,
 * TSM_ECORRUPT when it has some (out filled in), or another error when it
 * could not run (no team, not admitted, remote unreachable). Dispose out.
 * opts may be NULL. */
int tsm_audit_verify(tsm_audit_report *out, tsm_store *store,
		     const tsm_audit_verify_options *opts);
void tsm_audit_report_dispose(tsm_audit_report *r);

#ifdef __cplusplus
}
#endif
#endif
