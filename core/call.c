/* core/call.c — call outcomes, their flags and stage moves, talk-time
 * parsing, the customers' time zones for calling hours, and logging a call
 * (with its follow-ups, order, feedback and do-not-call) as one op write. */
#include "tsm/call.h"

#include "calling.h"
#include "error.h"
#include "json.h"
#include "store_internal.h"
#include "tsm/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- outcomes ---- */

static const struct {
	const char *name;
	unsigned int flags;
	const char *stage; /* target stage, NULL: none */
} outcomes[TSM_OUTCOME_COUNT] = {
    {"no-answer", 0, NULL},
    {"busy", 0, NULL},
    {"invalid-number", 0, NULL},
    {"gatekeeper", TSM_CALL_CONNECTED, NULL},
    {"not-interested", TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE, "contacted"},
    {"callback", TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE, "contacted"},
    {"interested",
     TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE | TSM_CALL_INTERESTED,
     "interested"},
    {"order",
     TSM_CALL_CONNECTED | TSM_CALL_EFFECTIVE | TSM_CALL_INTERESTED |
	 TSM_CALL_SALE,
     "won"},
    {"dnc-request", TSM_CALL_CONNECTED | TSM_CALL_DNC, "contacted"},
    {"revisit-done", TSM_CALL_CONNECTED | TSM_CALL_REVISIT, NULL},
};

const char *tsm_call_outcome_name(int outcome)
{
	if (outcome < 0 || outcome >= TSM_OUTCOME_COUNT)
		return NULL;
	return outcomes[outcome].name;
}

int tsm_call_outcome_lookup(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < TSM_OUTCOME_COUNT; i++)
		if (strcmp(outcomes[i].name, name) == 0)
			return i;
	return -1;
}

const char *tsm_call_outcome_names(void)
{
	return "no-answer, busy, invalid-number, gatekeeper, not-interested, "
	       "callback, interested, order, dnc-request, revisit-done";
}

unsigned int tsm_call_outcome_flags(int outcome)
{
	if (outcome < 0 || outcome >= TSM_OUTCOME_COUNT)
		return 0;
	return outcomes[outcome].flags;
}

int tsm_call_outcome_unanswered(int outcome)
{
	return outcome == TSM_OUTCOME_NO_ANSWER ||
	       outcome == TSM_OUTCOME_BUSY || outcome == TSM_OUTCOME_GATEKEEPER;
}

int tsm_call_effective(unsigned int flags, int64_t duration_s,
		       int64_t threshold_s)
{
	if (flags & TSM_CALL_EFFECTIVE)
		return 1;
	return (flags & TSM_CALL_CONNECTED) && threshold_s > 0 &&
	       duration_s >= threshold_s;
}

/* The pipeline rank of a stage for calls; lost is off the line (-1). */
static int line_rank(const char *stage)
{
	static const char *const line[] = {"new", "contacted", "interested",
					   "negotiating", "won"};
	size_t i;

	for (i = 0; i < sizeof(line) / sizeof(line[0]); i++)
		if (strcmp(stage, line[i]) == 0)
			return (int)i;
	return -1;
}

const char *tsm_call_stage_after(const char *stage, int outcome)
{
	const char *target;

	if (outcome < 0 || outcome >= TSM_OUTCOME_COUNT || stage == NULL)
		return NULL;
	target = outcomes[outcome].stage;
	if (target == NULL || strcmp(stage, "won") == 0)
		return NULL;
	if (strcmp(stage, "lost") == 0)
		return outcome == TSM_OUTCOME_INTERESTED ||
			       outcome == TSM_OUTCOME_ORDER
			   ? target
			   : NULL;
	return line_rank(target) > line_rank(stage) ? target : NULL;
}

/* ---- talk time ---- */

static int bad_duration(const char *text, const char *why)
{
	return tsm_error_set(TSM_EINVALID, "invalid duration '%.64s': %s", text,
			     why);
}

/* Reads 1..9 digits at *p into *out. */
static int read_num(const char **p, int64_t *out)
{
	int64_t v = 0;
	int k = 0;

	while (**p >= '0' && **p <= '9' && k < 9) {
		v = v * 10 + (**p - '0');
		(*p)++;
		k++;
	}
	if (k == 0 || (**p >= '0' && **p <= '9'))
		return -1;
	*out = v;
	return 0;
}

int tsm_call_duration_parse(int64_t *out_s, const char *text)
{
	const char *p = text;
	int64_t parts[3], total = 0, v;
	int n = 0, units = 0, seen = 0;
	static const char expect[] = "expected seconds (95), MM:SS (1:35) or "
				     "1m35s";

	if (text == NULL || *text == '\0')
		return bad_duration("", expect);
	while (*p == ' ')
		p++;
	if (*p == '-')
		return bad_duration(text, "talk time cannot be negative");
	if (read_num(&p, &parts[0]) < 0)
		return bad_duration(text, expect);
	n = 1;
	if (*p == ':') {
		while (*p == ':' && n < 3) {
			p++;
			if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' &&
			      p[1] <= '9'))
				return bad_duration(text, expect);
			if (read_num(&p, &parts[n]) < 0 || parts[n] > 59)
				return bad_duration(text, "minutes and "
							  "seconds run 00 "
							  "to 59");
			n++;
		}
		if (n == 2)
			total = parts[0] * 60 + parts[1];
		else
			total = (parts[0] * 60 + parts[1]) * 60 + parts[2];
	} else if (*p == 'h' || *p == 'm' || *p == 's') {
		v = parts[0];
		for (;;) {
			int u = *p == 'h'   ? 3
				: *p == 'm' ? 2
				: *p == 's' ? 1
					    : 0;

			if (u == 0 || (units && u >= units) ||
			    (seen & (1 << u)))
				return bad_duration(text, expect);
			seen |= 1 << u;
			units = u;
			total += v * (u == 3 ? 3600 : u == 2 ? 60 : 1);
			p++;
			if (*p == '\0' || *p == ' ')
				break;
			if (read_num(&p, &v) < 0)
				return bad_duration(text, expect);
		}
	} else {
		total = parts[0];
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return bad_duration(text, expect);
	if (total > 24 * 3600)
		return bad_duration(text, "longer than a day");
	*out_s = total;
	return 0;
}

/* ---- time zones ---- */

enum { DST_NONE = 0, DST_EU, DST_US, DST_AU, DST_NZ };

static const struct zone {
	const char *cc; /* country code digits */
	const char *name;
	int offset; /* minutes east of UTC, standard time */
	int dst;
} zones[] = {
    {"86", "Asia/Shanghai", 480, DST_NONE},
    {"852", "Asia/Hong_Kong", 480, DST_NONE},
    {"853", "Asia/Macau", 480, DST_NONE},
    {"886", "Asia/Taipei", 480, DST_NONE},
    {"65", "Asia/Singapore", 480, DST_NONE},
    {"60", "Asia/Kuala_Lumpur", 480, DST_NONE},
    {"63", "Asia/Manila", 480, DST_NONE},
    {"81", "Asia/Tokyo", 540, DST_NONE},
    {"82", "Asia/Seoul", 540, DST_NONE},
    {"66", "Asia/Bangkok", 420, DST_NONE},
    {"84", "Asia/Ho_Chi_Minh", 420, DST_NONE},
    {"62", "Asia/Jakarta", 420, DST_NONE},
    {"91", "Asia/Kolkata", 330, DST_NONE},
    {"971", "Asia/Dubai", 240, DST_NONE},
    {"7", "Europe/Moscow", 180, DST_NONE},
    {"44", "Europe/London", 0, DST_EU},
    {"353", "Europe/Dublin", 0, DST_EU},
    {"31", "Europe/Amsterdam", 60, DST_EU},
    {"32", "Europe/Brussels", 60, DST_EU},
    {"33", "Europe/Paris", 60, DST_EU},
    {"34", "Europe/Madrid", 60, DST_EU},
    {"39", "Europe/Rome", 60, DST_EU},
    {"41", "Europe/Zurich", 60, DST_EU},
    {"43", "Europe/Vienna", 60, DST_EU},
    {"45", "Europe/Copenhagen", 60, DST_EU},
    {"46", "Europe/Stockholm", 60, DST_EU},
    {"47", "Europe/Oslo", 60, DST_EU},
    {"48", "Europe/Warsaw", 60, DST_EU},
    {"49", "Europe/Berlin", 60, DST_EU},
    {"1", "America/New_York", -300, DST_US},
    {"61", "Australia/Sydney", 600, DST_AU},
    {"64", "Pacific/Auckland", 720, DST_NZ},
};

static const struct zone *zone_of(const char *e164)
{
	size_t i, len, best = 0;
	const struct zone *z = NULL;

	if (e164 == NULL || e164[0] != '+')
		return NULL;
	/* Country codes are prefix-free: at most one matches. */
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		len = strlen(zones[i].cc);
		if (strncmp(e164 + 1, zones[i].cc, len) == 0 && len > best) {
			best = len;
			z = &zones[i];
		}
	}
	return z;
}

const char *tsm_call_zone_name(const char *e164)
{
	const struct zone *z = zone_of(e164);

	return z ? z->name : "local";
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t year_of_days(int64_t days)
{
	int64_t z = days + 719468, era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	return yoe + era * 400 + (m <= 2);
}

/* Weekday 0 = Sunday of a day count (1970-01-01 was a Thursday). */
static int wday_of(int64_t days)
{
	return (int)(((days % 7) + 11) % 7);
}

/* The day of the n-th (1..) or, for n = 0, last Sunday of y-m. */
static int64_t sunday_of(int64_t y, int m, int n)
{
	int64_t first, last;

	if (n > 0) {
		first = days_from_civil(y, m, 1);
		return first + (7 - wday_of(first)) % 7 + 7 * (n - 1);
	}
	last = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
	return last - wday_of(last);
}

/* UTC ms of a local wall time (day, minute) at a given offset. */
static int64_t at_utc(int64_t day, int minute, int offset)
{
	return (day * 1440 + minute - offset) * 60000;
}

static int in_dst(const struct zone *z, int64_t ms)
{
	int64_t y = year_of_days(floor_div(ms, DAY_MS)), start, end;
	int std = z->offset;

	switch (z->dst) {
	case DST_EU: /* last Sunday of March to last Sunday of October, 01:00
		      * UTC */
		start = at_utc(sunday_of(y, 3, 0), 60, 0);
		end = at_utc(sunday_of(y, 10, 0), 60, 0);
		return ms >= start && ms < end;
	case DST_US: /* second Sunday of March 02:00 to first Sunday of
		      * November 02:00, local */
		start = at_utc(sunday_of(y, 3, 2), 120, std);
		end = at_utc(sunday_of(y, 11, 1), 120, std + 60);
		return ms >= start && ms < end;
	case DST_AU: /* first Sunday of October 02:00 to first Sunday of
		      * April 03:00 (southern summer) */
		start = at_utc(sunday_of(y, 10, 1), 120, std);
		end = at_utc(sunday_of(y, 4, 1), 180, std + 60);
		return ms >= start || ms < end;
	case DST_NZ: /* last Sunday of September 02:00 to first Sunday of
		      * April 03:00 */
		start = at_utc(sunday_of(y, 9, 0), 120, std);
		end = at_utc(sunday_of(y, 4, 1), 180, std + 60);
		return ms >= start || ms < end;
	default:
		return 0;
	}
}

static int zone_offset(const struct zone *z, int64_t ms)
{
	return z->offset + (in_dst(z, ms) ? 60 : 0);
}

int tsm_call_zone_offset(int *out_min, const char *e164, int64_t ms)
{
	const struct zone *z = zone_of(e164);

	if (z == NULL)
		return tsm_error_set(TSM_ENOTFOUND, "local time zone");
	*out_min = zone_offset(z, ms);
	return 0;
}

static int open_at(const tsm_hours *h, int64_t day, int minute)
{
	int w = wday_of(day), i;

	for (i = 0; i < h->count[w] && i < TSM_HOURS_SPANS; i++)
		if (h->span[w][i].start <= minute && minute < h->span[w][i].end)
			return 1;
	return 0;
}

int tsm_call_hours_contains(const tsm_hours *hours, const char *e164,
			    int64_t ms)
{
	const struct zone *z = zone_of(e164);
	int64_t local;

	if (z == NULL)
		return tsm_hours_contains(hours, ms);
	local = ms + (int64_t)zone_offset(z, ms) * 60000;
	return open_at(
	    hours, floor_div(local, DAY_MS),
	    (int)(floor_div(local, 60000) - floor_div(local, DAY_MS) * 1440));
}

int tsm_call_hours_next(int64_t *out_ms, const tsm_hours *hours,
			const char *e164, int64_t ms)
{
	const struct zone *z = zone_of(e164);
	int64_t local, day, t;
	int k, i, w, off;

	if (z == NULL)
		return tsm_hours_next(out_ms, hours, ms);
	if (tsm_call_hours_contains(hours, e164, ms)) {
		*out_ms = ms;
		return 0;
	}
	local = ms + (int64_t)zone_offset(z, ms) * 60000;
	day = floor_div(local, DAY_MS);
	for (k = 0; k <= 8; k++) {
		w = wday_of(day + k);
		for (i = 0; i < hours->count[w] && i < TSM_HOURS_SPANS; i++) {
			/* The offset at that moment: guess with today's, then
			 * take the one in force there. */
			off = zone_offset(z, ms);
			t = at_utc(day + k, hours->span[w][i].start, off);
			off = zone_offset(z, t);
			t = at_utc(day + k, hours->span[w][i].start, off);
			if (t > ms) {
				*out_ms = t;
				return 0;
			}
		}
	}
	return tsm_error_set(TSM_ENOTFOUND, "calling hours never open");
}

/* ---- logging a call ---- */

/* What the customer looks like before the call. */
struct cust {
	char id[TSM_CUSTOMER_ID_MAX];
	char stage[TSM_STAGE_MAX];
	char phone[TSM_PHONE_MAX];
	char name[128];
	int dnc;
};

static int cust_read(struct cust *out, tsm_store *store, const char *ref)
{
	tsm_customer *c = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = tsm_customer_get(&c, store, ref, 0)) < 0)
		return err;
	snprintf(out->id, sizeof(out->id), "%s", c->id);
	snprintf(out->stage, sizeof(out->stage), "%s", c->stage);
	snprintf(out->phone, sizeof(out->phone), "%s",
		 c->f[TSM_CF_PHONE] ? c->f[TSM_CF_PHONE] : "");
	snprintf(out->name, sizeof(out->name), "%s",
		 c->f[TSM_CF_NAME] ? c->f[TSM_CF_NAME] : c->id);
	out->dnc = c->dnc;
	tsm_customer_free(c);
	return 0;
}

#define DONE_CAP 64  /* follow-ups one call completes at most */
#define BATCH_MAX 80 /* the call, its stage, done ops and the rest */

/* The specs of one call's write, with the values the batch owns. */
struct batch {
	tsm_op_spec specs[BATCH_MAX];
	char *owned[BATCH_MAX];
	size_t n;
};

static int batch_add(struct batch *b, const char *etype, const char *eid,
		     const char *action, const char *field, char *value)
{
	if (b->n == sizeof(b->specs) / sizeof(b->specs[0])) {
		free(value);
		return tsm_error_set(TSM_ERROR, "too many ops for one call");
	}
	b->specs[b->n].etype = etype;
	b->specs[b->n].eid = eid;
	b->specs[b->n].action = action;
	b->specs[b->n].field = field;
	b->specs[b->n].value = value;
	b->owned[b->n] = value;
	b->n++;
	return 0;
}

static void batch_dispose(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->owned[i]);
	b->n = 0;
}

/* Adds a spec whose value is the printed JSON v (v is consumed). */
static int batch_json(struct batch *b, const char *etype, const char *eid,
		      const char *action, const char *field, tsm_json *v,
		      int err)
{
	char *text = NULL;

	if (v == NULL || err) {
		tsm_json_free(v);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	err = tsm_json_print(&text, v);
	tsm_json_free(v);
	if (err < 0)
		return err;
	return batch_add(b, etype, eid, action, field, text);
}

static int check_entry(const tsm_call_entry *e, int64_t now)
{
	int o = e->outcome;

	if (tsm_call_outcome_name(o) == NULL)
		return tsm_error_set(TSM_EINVALID,
				     "unknown outcome; expected one of %s",
				     tsm_call_outcome_names());
	if (e->duration_s < 0)
		return tsm_error_set(TSM_EINVALID,
				     "invalid duration: talk time cannot be "
				     "negative");
	if (e->duration_s > 24 * 3600)
		return tsm_error_set(TSM_EINVALID,
				     "invalid duration: longer than a day");
	if (e->at > now + 60000)
		return tsm_error_set(TSM_EINVALID,
				     "a call cannot be logged in the future");
	if (e->note && strlen(e->note) > TSM_CUSTOMER_TEXT_MAX)
		return tsm_error_set(TSM_EINVALID,
				     "the note is too long (at "
				     "most %d bytes)",
				     TSM_CUSTOMER_TEXT_MAX);
	if (o == TSM_OUTCOME_ORDER) {
		if (e->service == NULL || *e->service == '\0')
			return tsm_error_set(TSM_EINVALID,
					     "outcome order needs --service");
		if (e->amount_fen <= 0)
			return tsm_error_set(TSM_EINVALID,
					     "outcome order needs --amount "
					     "(yuan, more than 0)");
	} else if (e->service || e->amount_fen || e->term_months || e->start ||
		   e->order_note) {
		return tsm_error_set(TSM_EINVALID,
				     "order details go with --outcome order");
	}
	if (o == TSM_OUTCOME_REVISIT_DONE) {
		if (e->satisfaction < 1 || e->satisfaction > 5)
			return tsm_error_set(TSM_EINVALID,
					     "outcome revisit-done needs "
					     "--satisfaction 1 to 5");
	} else if (e->satisfaction || e->feedback || e->complaint) {
		return tsm_error_set(TSM_EINVALID,
				     "satisfaction, feedback and complaint go "
				     "with --outcome revisit-done");
	}
	return 0;
}

/* Open follow-ups of customer the call completes: kinds callback and
 * followup (connected calls) or revisit (revisit-done) due before until;
 * for a revisit, the earliest open one when none is due. */
static int due_followups(char (*ids)[TSM_FOLLOWUP_ID_MAX], size_t cap,
			 size_t *n, tsm_store *store, const char *customer,
			 int revisit, int64_t until)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	*n = 0;
	err = calling_prepare(&st, store,
			      "SELECT id, due FROM followups WHERE customer = "
			      "?1 AND done = 0 AND ((?2 AND kind = 'revisit') "
			      "OR (NOT ?2 AND kind <> 'revisit')) "
			      "ORDER BY due, id");
	if (err < 0)
		return err;
	calling_bind(st, 1, customer);
	sqlite3_bind_int(st, 2, revisit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t due = sqlite3_column_int64(st, 1);

		if (due >= until && !(revisit && *n == 0 && cap > 0))
			break;
		if (*n < cap)
			snprintf(ids[*n], TSM_FOLLOWUP_ID_MAX, "%s",
				 (const char *)sqlite3_column_text(st, 0));
		(*n)++;
		if (due >= until) /* the earliest open revisit, not due */
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = tsm_error_sqlite(tsm_store_db(store), rc,
				       "read follow-ups");
	sqlite3_finalize(st);
	return err;
}

int tsm_call_log(tsm_call_logged *out, tsm_store *store,
		 const tsm_call_entry *e)
{
	tsm_call_logged res;
	struct cust c;
	struct batch b = {0};
	tsm_policy pol;
	tsm_order_op oop;
	tsm_order_new on = TSM_ORDER_NEW_INIT;
	tsm_followup_op fop, dop[DONE_CAP];
	tsm_followup_new fn = TSM_FOLLOWUP_NEW_INIT;
	tsm_opid ids[BATCH_MAX];
	char done_ids[DONE_CAP][TSM_FOLLOWUP_ID_MAX];
	char complaint_text[TSM_CUSTOMER_TEXT_MAX + 16];
	const char *stage;
	size_t ndone = 0, i;
	int64_t now = tsm_followup_now(), at, day_from, day_to, fdue;
	unsigned int flags;
	tsm_json *v;
	int err, jerr = 0, o = e->outcome;

	memset(&res, 0, sizeof(res));
	memset(&oop, 0, sizeof(oop));
	memset(&fop, 0, sizeof(fop));
	memset(dop, 0, sizeof(dop));
	res.followup_kind = -1;
	if ((err = check_entry(e, now)) < 0)
		return err;
	if ((err = cust_read(&c, store, e->customer)) < 0)
		return err;
	if (c.dnc) {
		err = tsm_error_set(TSM_EINVALID,
				    "customer %s is on the do-not-call list",
				    e->customer);
		return err;
	}
	if ((err = tsm_policy_get(&pol, store)) < 0)
		return err;
	at = e->at > 0 ? e->at : now;
	flags = tsm_call_outcome_flags(o);
	if ((err = tsm_followup_day(&day_from, &day_to, at)) < 0)
		return err;

	/* 1. the call itself */
	v = tsm_json_new_object();
	if (v) {
		jerr |=
		    tsm_json_put_string(v, "outcome", tsm_call_outcome_name(o));
		jerr |= tsm_json_put_int(v, "duration_s", e->duration_s);
		if (e->note && *e->note)
			jerr |= tsm_json_put_string(v, "note", e->note);
		jerr |= tsm_json_put_int(v, "at", at);
	}
	if ((err = batch_json(&b, "customer", c.id, "append", "call", v,
			      jerr)) < 0)
		goto done;

	/* 2. the stage */
	stage = tsm_call_stage_after(c.stage, o);
	snprintf(res.stage_before, sizeof(res.stage_before), "%s", c.stage);
	snprintf(res.stage, sizeof(res.stage), "%s", stage ? stage : c.stage);
	if (stage) {
		char *val = malloc(strlen(stage) + 3);

		if (val == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(val, strlen(stage) + 3, "\"%s\"", stage);
		if ((err = batch_add(&b, "customer", c.id, "set", "stage",
				     val)) < 0)
			goto done;
	}

	/* 3. follow-ups the call completes */
	if (o == TSM_OUTCOME_REVISIT_DONE || (flags & TSM_CALL_CONNECTED)) {
		int rv = o == TSM_OUTCOME_REVISIT_DONE;

		err = due_followups(done_ids, DONE_CAP, &ndone, store, c.id, rv,
				    day_to);
		if (err < 0)
			goto done;
		if (ndone > DONE_CAP)
			ndone = DONE_CAP;
		for (i = 0; i < ndone; i++) {
			err = tsm_followup_done_op_build(
			    &dop[i], done_ids[i], at, rv ? e->satisfaction : 0,
			    rv ? e->feedback : NULL);
			if (err < 0)
				goto done;
			if ((err = batch_add(&b, "followup", dop[i].id, "done",
					     NULL, NULL)) < 0)
				goto done;
			b.specs[b.n - 1].value = dop[i].value;
		}
	}

	/* 4. revisit feedback and complaint */
	if (o == TSM_OUTCOME_REVISIT_DONE) {
		v = tsm_json_new_object();
		if (v) {
			jerr |= tsm_json_put_string(
			    v, "text", e->feedback ? e->feedback : "");
			jerr |= tsm_json_put_int(v, "satisfaction",
						 e->satisfaction);
			jerr |= tsm_json_put_int(v, "at", at);
		}
		if ((err = batch_json(&b, "customer", c.id, "append",
				      "feedback", v, jerr)) < 0)
			goto done;
		if (e->complaint && *e->complaint) {
			snprintf(complaint_text, sizeof(complaint_text),
				 "complaint: %s", e->complaint);
			v = tsm_json_new_object();
			if (v) {
				jerr |= tsm_json_put_string(v, "text",
							    complaint_text);
				jerr |= tsm_json_put_int(v, "at", at);
			}
			if ((err = batch_json(&b, "customer", c.id, "append",
					      "feedback", v, jerr)) < 0)
				goto done;
		}
	}

	/* 5. the next follow-up */
	fdue = e->followup_due;
	fn.note = e->followup_note;
	if (fdue == 0 && o == TSM_OUTCOME_REVISIT_DONE && e->complaint &&
	    *e->complaint) {
		/* A complaint is handled: the next day, default hour. */
		if ((err = tsm_when_parse(&fdue, "tomorrow", at)) < 0)
			goto done;
		fn.note = complaint_text;
	}
	if (fdue > 0) {
		fn.customer = c.id;
		fn.due = fdue;
		fn.kind = o == TSM_OUTCOME_CALLBACK ? TSM_FOLLOWUP_CALLBACK
						    : TSM_FOLLOWUP_FOLLOWUP;
		if ((err = tsm_followup_op_build(&fop, &fn)) < 0)
			goto done;
		if ((err = batch_add(&b, "followup", fop.id, "create", NULL,
				     NULL)) < 0)
			goto done;
		b.specs[b.n - 1].value = fop.value;
		snprintf(res.followup, sizeof(res.followup), "%s", fop.id);
		res.followup_kind = fn.kind;
		res.followup_due = fdue;
	}

	/* 6. the order */
	if (o == TSM_OUTCOME_ORDER) {
		on.customer = c.id;
		on.service = e->service;
		on.amount_fen = e->amount_fen;
		on.term_months = e->term_months;
		on.start = e->start;
		on.note = e->order_note;
		if ((err = tsm_order_op_build(&oop, store, &on)) < 0)
			goto done;
		if ((err = batch_add(&b, oop.spec.etype, oop.spec.eid,
				     oop.spec.action, oop.spec.field, NULL)) <
		    0)
			goto done;
		b.specs[b.n - 1].value = oop.spec.value;
		snprintf(res.order, sizeof(res.order), "%s", oop.id);
	}

	/* 7. do-not-call: the customer's flag and its number */
	if (o == TSM_OUTCOME_DNC_REQUEST) {
		char *t = strdup("true");

		if (t == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		if ((err = batch_add(&b, "customer", c.id, "set", "dnc", t)) <
		    0)
			goto done;
		if (c.phone[0]) {
			if ((t = strdup("true")) == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			if ((err = batch_add(&b, "dnc", c.phone, "set", "dnc",
					     t)) < 0)
				goto done;
		}
		res.dnc_set = 1;
	}

	if ((err = tsm_ops_append(ids, store, b.specs, b.n)) < 0)
		goto done;
	tsm_opid_format(res.call, &ids[0]);
	snprintf(res.customer, sizeof(res.customer), "%s", c.id);
	res.at = at;
	res.flags = flags;
	if (tsm_call_effective(flags, e->duration_s, pol.effective_s))
		res.flags |= TSM_CALL_EFFECTIVE;
	for (i = 0; i < ndone && i < TSM_CALL_DONE_MAX; i++)
		memcpy(res.done[i], done_ids[i], sizeof(res.done[i]));
	res.ndone = ndone;
	res.ops = b.n;
	if (out)
		*out = res;
done:
	/* Values borrowed from the builders are not owned by the batch. */
	batch_dispose(&b);
	for (i = 0; i < DONE_CAP; i++)
		tsm_followup_op_dispose(&dop[i]);
	tsm_followup_op_dispose(&fop);
	tsm_order_op_dispose(&oop);
	return err;
}
