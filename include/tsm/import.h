/* tsm/import.h — importing lead lists from CSV files as spreadsheets write
 * them (UTF-8 with or without BOM, GB18030/GBK from Excel in China): header
 * mapping, phone normalization, duplicate and do-not-call checks,
 * classification against the team's lists, a rejects file, one transaction.
 * Ownership: a tsm_import_result filled by tsm_import() holds malloc'd
 * memory; release it with tsm_import_result_dispose(). Strings from
 * tsm_import_list_get() are malloc'd: free() them. */
#ifndef TSM_IMPORT_H
#define TSM_IMPORT_H

#include <stdint.h>

#include "tsm/customer.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Encodings of an input file. */
enum {
	TSM_ENC_AUTO = 0, /* BOM, else valid UTF-8, else GB18030 */
	TSM_ENC_UTF8,
	TSM_ENC_GB18030,
	TSM_ENC_GBK,
	TSM_ENC_UTF16LE, /* Excel's "Unicode text" */
	TSM_ENC_UTF16BE
};

/* What to do with a row whose phone a live customer in the store has. */
enum {
	TSM_IMPORT_DUP_REJECT = 0, /* into the rejects file (default) */
	TSM_IMPORT_DUP_SKIP,	   /* leave it out, silently (counted) */
	TSM_IMPORT_DUP_UPDATE	   /* fill in the customer's fields */
};

/* Targets of a column beyond the customer fields TSM_CF_NAME ..
 * TSM_CF_TAGS: a note appended to the customer, or nothing. */
#define TSM_IMPORT_NOTE TSM_CF_COUNT
#define TSM_IMPORT_IGNORE (-1)

/* Why a row is rejected (tsm_import_reason_key() names them in --json). */
enum {
	TSM_IMPORT_R_NO_NAME = 0, /* missing_name */
	TSM_IMPORT_R_BAD_NAME,	  /* invalid_name */
	TSM_IMPORT_R_NO_PHONE,	  /* missing_phone */
	TSM_IMPORT_R_BAD_PHONE,	  /* invalid_phone */
	TSM_IMPORT_R_DUP_FILE,	  /* duplicate_in_file: "duplicate of row N" */
	TSM_IMPORT_R_DUP_STORE,	  /* duplicate_in_store */
	TSM_IMPORT_R_DNC,	  /* dnc: "on the do-not-call list" */
	TSM_IMPORT_R_BAD_FIELD,	  /* invalid_field: too long, control chars */
	TSM_IMPORT_R_BAD_ROW,	  /* malformed_row: extra fields, bad UTF-8 */
	TSM_IMPORT_R_NOT_ALLOWED, /* not_allowed: an update the rules refuse */
	TSM_IMPORT_R_COUNT
};

typedef struct tsm_import_progress {
	uint64_t rows;	      /* data rows read so far */
	uint64_t bytes;	      /* input bytes consumed */
	uint64_t total_bytes; /* the file's size */
	uint64_t imported;
	uint64_t rejected;
	int done; /* the last call */
} tsm_import_progress;

/* Called every TSM_IMPORT_PROGRESS_ROWS rows and once at the end. */
typedef void (*tsm_import_progress_fn)(void *ud, const tsm_import_progress *p);
#define TSM_IMPORT_PROGRESS_ROWS 256

typedef struct tsm_import_options {
	unsigned int version;
	int encoding;		 /* TSM_ENC_* */
	const char *const *maps; /* "COLUMN=FIELD": COLUMN a header or a
				  * 1-based index, FIELD a customer field,
				  * "note" or "ignore" */
	size_t nmaps;
	int on_duplicate;    /* TSM_IMPORT_DUP_* */
	const char *source;  /* for rows without one; NULL: the file name */
	const char *rejects; /* NULL: "<FILE>.rejects.csv" */
	int dry_run;	     /* check everything, write nothing */
	size_t max_samples;  /* rejects kept in the result (for display) */
	tsm_import_progress_fn progress; /* may be NULL */
	void *progress_ud;
} tsm_import_options;

#define TSM_IMPORT_OPTIONS_VERSION 1
#define TSM_IMPORT_OPTIONS_INIT                                                \
	{                                                                      \
		TSM_IMPORT_OPTIONS_VERSION, TSM_ENC_AUTO, NULL, 0,             \
		    TSM_IMPORT_DUP_REJECT, NULL, NULL, 0, 10, NULL, NULL       \
	}

/* A column of the file and where it goes. */
typedef struct tsm_import_column {
	char *header; /* as in the file, trimmed */
	int field;    /* TSM_CF_*, TSM_IMPORT_NOTE or TSM_IMPORT_IGNORE */
	int mapped;   /* 1 when --map decided it */
} tsm_import_column;

/* One rejected row, for display. */
typedef struct tsm_import_sample {
	int64_t line; /* where the record starts in the file */
	int why;      /* TSM_IMPORT_R_* */
	char *reason; /* as in the rejects file */
	char *name;   /* the row's name and phone as given, may be NULL */
	char *phone;
} tsm_import_sample;

typedef struct tsm_import_result {
	char encoding[16]; /* tsm_encoding names: "utf-8", "gb18030", ... */
	int bom;
	char delimiter;
	char *source; /* the source given to rows without one */
	tsm_import_column *columns;
	size_t ncolumns;
	uint64_t rows;	    /* data rows (blank rows not counted) */
	uint64_t blank;	    /* blank rows skipped */
	uint64_t imported;  /* new customers */
	uint64_t updated;   /* existing customers changed (DUP_UPDATE) */
	uint64_t unchanged; /* existing customers that already matched */
	uint64_t skipped;   /* store duplicates left out (DUP_SKIP) */
	uint64_t rejected;
	uint64_t by_reason[TSM_IMPORT_R_COUNT];
	/* Rows whose phone an earlier row of the file has / a live customer
	 * has / the do-not-call list has, however they were handled. */
	uint64_t duplicates_in_file;
	uint64_t duplicates_in_store;
	uint64_t dnc;
	/* Values kept as given but not on the team's lists (industry,
	 * region, size), and values dropped (salutation, priority not
	 * recognized), per TSM_CF_*; warnings is their sum plus replaced. */
	uint64_t unknown[TSM_CF_COUNT];
	uint64_t replaced; /* byte sequences invalid in the encoding */
	uint64_t warnings;
	uint64_t ops;	    /* ops appended (0 in a dry run) */
	char *rejects_file; /* written; NULL when none (or a dry run) */
	tsm_import_sample *samples;
	size_t nsamples;
} tsm_import_result;

/* Imports the CSV file at path as this replica's member, in one
 * transaction: either every accepted row is in the store or none is.
 * The first record is the header; columns map by name (Chinese,
 * traditional or English, see tsm_import_field_guess) unless opts->maps
 * says otherwise; unknown columns are ignored (listed in out->columns).
 * Each row: fields trimmed; name required; phone normalized (tsm/phone.h);
 * rejected when its phone repeats an earlier accepted row ("duplicate of
 * row N": N numbers records as a spreadsheet numbers rows, the header being
 * row 1; " (line L)" follows when the record starts on another line), is
 * on the do-not-call list, or belongs to a live customer (unless
 * on_duplicate says skip or update); rows of nothing but spaces are blank,
 * not rejected; industry, region and size are matched against the
 * team's lists (tsm_import_list_get), a value not on them is kept as given
 * and counted; note becomes an appended note; source defaults to
 * opts->source or the file's name. Rejected rows go to the rejects file:
 * the original columns plus "line" and "reason", CRLF, UTF-8 with a BOM
 * when the input had one or was not UTF-8; it is written only when a row
 * was rejected and not in a dry run.
 * Returns 0 with out filled, TSM_EPERM for agents and auditors (nothing
 * read), TSM_EINVALID for a file without a name or phone column, a bad
 * --map, or malformed CSV (nothing written), or another TSM_E* code. out
 * must be disposed of also after an error. */
int tsm_import(tsm_import_result *out, tsm_store *store, const char *path,
	       const tsm_import_options *opts);

void tsm_import_result_dispose(tsm_import_result *r);

/* A TSM_ENC_* from a name as users type it ("auto", "utf-8", "utf8",
 * "gb18030", "gbk", "gb2312" (as gbk), "utf-16le", ...), or -1. */
int tsm_import_encoding_parse(const char *name);

/* "missing_name", ...; NULL when out of range. Static storage. */
const char *tsm_import_reason_key(int why);

/* The target a header names ("姓名", "電話", "Phone", "手机号码", ...),
 * compared trimmed and case-insensitively: a TSM_CF_* (name .. tags),
 * TSM_IMPORT_NOTE, or TSM_IMPORT_IGNORE when unknown. */
int tsm_import_field_guess(const char *header);

/* The target named by a --map FIELD: a customer field name (name, phone,
 * company, industry, region, size, source, address, needs, salutation,
 * priority, tags), "note" or "ignore"; -2 when unknown. */
int tsm_import_field_parse(const char *name);

/* "name", ..., "note", "ignore". Static storage. */
const char *tsm_import_field_name(int field);

/* ---- the team's classification lists ---- */

/* Industry, region and size lists are team data in the op log: the policy
 * entity TSM_IMPORT_LISTS_ID, fields "industries", "regions", "sizes"
 * (managers set them). Each is a JSON array of entries
 *   {"name": "制造业", "aliases": ["Manufacturing", "製造業", ...]}
 * and size entries may bound employee counts, {"name": "50-199", "min": 50,
 * "max": 199, "aliases": [...]}, so that "120人" maps to "50-199". A value
 * matches an entry by its name or an alias, ignoring case, spaces and
 * full-width forms (and a trailing 市, 省 or 区 for regions). */
#define TSM_IMPORT_LISTS_ID "lists"

enum {
	TSM_LIST_INDUSTRIES = 0,
	TSM_LIST_REGIONS,
	TSM_LIST_SIZES,
	TSM_LIST_COUNT
};

/* "industries", "regions", "sizes"; NULL when out of range. */
const char *tsm_import_list_name(int list);
/* The TSM_LIST_* of a name, or -1. */
int tsm_import_list_lookup(const char *name);

/* The list in effect as canonical JSON into *out (free() it); *is_default
 * (may be NULL) says whether it is the built-in default. */
int tsm_import_list_get(char **out, int *is_default, tsm_store *store,
			int list);

/* One entry of a list, parsed. */
typedef struct tsm_list_entry {
	char *name;
	char **aliases;
	size_t naliases;
	int64_t min; /* employee counts (sizes), -1 when none */
	int64_t max;
} tsm_list_entry;

/* The list in effect as entries; free them with
 * tsm_import_list_entries_free(). */
int tsm_import_list_entries(tsm_list_entry **out, size_t *n, int *is_default,
			    tsm_store *store, int list);
void tsm_import_list_entries_free(tsm_list_entry *entries, size_t n);

/* Sets a list from JSON text as an op by this replica's member (json NULL
 * returns to the default). TSM_EINVALID for malformed entries, TSM_EPERM
 * unless the member is a manager. */
int tsm_import_list_set(tsm_store *store, int list, const char *json);

/* Matches value against the list in effect: the entry's name into out and
 * 1, or value trimmed into out and 0 when no entry matches (out is "" for
 * an empty value). */
int tsm_import_classify(char *out, size_t outlen, tsm_store *store, int list,
			const char *value);

#ifdef __cplusplus
}
#endif
#endif
