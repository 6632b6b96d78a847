/* tsm/report.h — daily, weekly and monthly reports (DESIGN §7): per member
 * and team, dials, connected, effective conversations, interested, orders,
 * revenue, rates, talk time, follow-up and revisit timeliness, do-not-call
 * additions; a per-day trend, a ranking and completion against the month's
 * targets; and the report as one self-contained HTML page with SVG charts.
 * Ownership: a tsm_report you get through **out is yours; free it with
 * tsm_report_free(). The HTML text is malloc'd: free() it. */
#ifndef TSM_REPORT_H
#define TSM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tsm/identity.h"
#include "tsm/store.h"
#include "tsm/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Definitions (all computed at read time from the materialized state, so
 * a report of a past period changes when late ops arrive by sync):
 * - Periods are local time (TZ): daily = the day of D; weekly = the
 *   Monday-to-Sunday week containing D; monthly = the calendar month of D.
 * - dials: calls logged in the period (calls.at), by their author.
 *   connected, interested: calls with that flag. effective: a connected
 *   call whose outcome is effective or whose talk time reaches the team
 *   policy's effective_seconds (tsm_call_effective). talk_s: the summed
 *   duration of connected calls.
 * - orders, revenue_fen: orders recorded in the period (created_at) by
 *   their recorder, cancelled ones excluded.
 * - Rates: connect = connected / dials, effective = effective / connected,
 *   conversion = orders / effective; undefined (never a division by zero)
 *   when the denominator is 0.
 * - Follow-ups due in the period (due in [from, to)), attributed to the
 *   member on whose list the customer is (its owner, else its creator),
 *   live customers only: on time = done at or before due; late = done
 *   after due; overdue = not done and due before the cutoff (the end of
 *   the period or now, whichever is earlier); pending = not done, not yet
 *   due at the cutoff. due = on_time + late + overdue + pending. Revisits
 *   are the follow-ups of kind revisit, counted the same way (they are
 *   also part of the follow-ups). Revisits the policy computes but nobody
 *   scheduled are not counted.
 * - dnc_added: numbers put on the do-not-call list in the period (by
 *   `dnc add` or a dnc-request call), each number once per period,
 *   credited to the author of its first addition in the period.
 * - Ranking (every kind): revenue, then orders, then effective, each
 *   descending; members equal in all three share a rank ("1, 1, 3"); the
 *   rows are listed in rank order, ties by member id.
 * - Targets: the month of D's targets (tsm/target.h); done counts from the
 *   first of that month to the end of the period or of the month,
 *   whichever is earlier (month to date at the period's end), with the
 *   month's elapsed days beside it so that a reader can judge the pace.
 *   The team's target is the one set for the team, else (derived) the sum
 *   of its members' targets, field by field.
 * - Trend: per local day — the week's or month's days; for a daily report
 *   the seven days ending with D.
 * - Visibility: an agent (or a member without a role) sees only their own
 *   numbers; leads, managers, assistants and auditors see the team or any
 *   member. The member rows are every active agent and lead plus anyone
 *   with activity in the period.
 */

enum { TSM_REPORT_DAILY = 0, TSM_REPORT_WEEKLY = 1, TSM_REPORT_MONTHLY = 2 };

/* "daily", "weekly", "monthly"; NULL when out of range. Static. */
const char *tsm_report_kind_name(int kind);

/* The TSM_REPORT_* of name, or -1. */
int tsm_report_kind_lookup(const char *name);

/* Parses the day a report is for, relative to now (ms): "YYYY-MM-DD",
 * "YYYY-MM" (the first of that month), "today", "yesterday", or any form
 * of tsm_when_parse(). *out gets a moment within that local day.
 * TSM_EINVALID with a message otherwise. */
int tsm_report_parse_date(int64_t *out, const char *text, int64_t now);

/* Follow-up timeliness over the follow-ups due in the period. */
typedef struct tsm_report_timeliness {
	int64_t due;
	int64_t on_time;
	int64_t late;
	int64_t overdue;
	int64_t pending;
} tsm_report_timeliness;

typedef struct tsm_report_metrics {
	int64_t dials;
	int64_t connected;
	int64_t effective;
	int64_t interested;
	int64_t orders;
	int64_t revenue_fen;
	int64_t talk_s;
	tsm_report_timeliness followups; /* every kind, revisits included */
	tsm_report_timeliness revisits;	 /* kind revisit only */
	int64_t dnc_added;
} tsm_report_metrics;

/* Completion against the month's target, field by field (TSM_TARGET_*). */
typedef struct tsm_report_progress {
	int64_t target[TSM_TARGET_NFIELDS]; /* 0: none */
	int64_t done[TSM_TARGET_NFIELDS];   /* month to date */
	int derived; /* team only: the sum of the members' targets */
} tsm_report_progress;

typedef struct tsm_report_row {
	char member[TSM_MEMBER_MAX]; /* "" for the total */
	char *name;		     /* display name, NULL when unknown */
	char role[16];		     /* "" when not on the roster */
	int rank;		     /* 1..; 0 for the total */
	tsm_report_metrics m;
	tsm_report_progress target;
} tsm_report_row;

/* One day of the trend (the scope's totals). */
typedef struct tsm_report_day {
	char date[11]; /* "YYYY-MM-DD" */
	int64_t from;  /* ms: local midnight */
	int64_t to;    /* ms: the next midnight */
	int64_t dials;
	int64_t connected;
	int64_t effective;
	int64_t interested;
	int64_t orders;
	int64_t revenue_fen;
} tsm_report_day;

typedef struct tsm_report {
	int kind;		     /* TSM_REPORT_* */
	char label[16];		     /* "2026-11-27", "2026-W48", "2026-11" */
	char first[11];		     /* the period's first day, "YYYY-MM-DD" */
	char last[11];		     /* its last day (inclusive) */
	int64_t from, to;	     /* ms: [from, to) */
	int64_t now;		     /* ms: when it was computed */
	int64_t cutoff;		     /* ms: min(to, now), for overdue */
	int64_t effective_s;	     /* the policy's threshold applied */
	int team;		     /* 1: the team; 0: one member */
	char member[TSM_MEMBER_MAX]; /* that member when team is 0 */
	char viewer[TSM_MEMBER_MAX]; /* who asked */
	char viewer_role[16];
	char *team_name;      /* NULL when the store has no team */
	tsm_report_row total; /* the scope's totals (and the team's
			       * target progress) */
	tsm_report_row *rows; /* per member, in rank order */
	size_t nrows;
	tsm_report_day *days; /* the trend, oldest first */
	size_t ndays;
	char month[TSM_MONTH_MAX]; /* the targets' month */
	int month_days;		   /* days in that month */
	int month_elapsed;	   /* its days up to the end of the period */
} tsm_report;

/* What to report. */
typedef struct tsm_report_opts {
	unsigned int version;
	int kind;	    /* TSM_REPORT_* */
	int64_t date;	    /* ms: a moment of the day D; 0 = now */
	const char *member; /* one member; NULL: the default scope */
	int team;	    /* the team (refused for agents) */
	int64_t now;	    /* ms; 0 = the store clock (TSM_NOW) */
} tsm_report_opts;

#define TSM_REPORT_OPTS_VERSION 1
#define TSM_REPORT_OPTS_INIT                                                   \
	{                                                                      \
		TSM_REPORT_OPTS_VERSION, 0, 0, NULL, 0, 0                      \
	}

/* Computes a report. The default scope is the team for leads, managers,
 * assistants and auditors, and the member themself for anyone else.
 * TSM_EPERM when an agent asks for the team or another member;
 * TSM_ENOTFOUND for a member not on the roster; TSM_EINVALID for a bad
 * kind or both member and team. */
int tsm_report_get(tsm_report **out, tsm_store *store,
		   const tsm_report_opts *opts);
void tsm_report_free(tsm_report *r);

/* A rate num / den in basis points (1/10000, rounded half up) into *out.
 * Returns 1, or 0 when undefined (den <= 0 or num < 0; *out is then 0). */
int tsm_report_rate(int64_t *out, int64_t num, int64_t den);

/* Renders r as one self-contained, well-formed (XML-parsable) XHTML page:
 * inline CSS, inline SVG charts (id="trend": dials, effective and orders
 * per day; id="funnel": dials, connected, effective, interested, orders;
 * id="members": per-member bars), the tables, no scripts and no external
 * assets; all user text escaped. *out (NUL-terminated, *len bytes) is
 * malloc'd: free() it. */
int tsm_report_html(char **out, size_t *len, const tsm_report *r);

#ifdef __cplusplus
}
#endif
#endif
