/* core/call_next.c — which customer to call next: due callbacks and
 * follow-ups, then due revisits, then new leads by priority and age, passing
 * over do-not-call, closed calling hours, exhausted attempts and retry
 * delays (see tsm/call.h). Every query is driven by an index so that a large
 * store costs no more than the customers actually looked at. */
#include "tsm/call.h"

#include "calling.h"
#include "error.h"
#include "store_internal.h"
#include "tsm/identity.h"
#include "tsm/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a set of customer ids looked at ---- */

struct idset {
	char **slot;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Adds id; returns 1 when it was there already, 0 when added, <0 on
 * error. */
static int idset_add(struct idset *s, const char *id)
{
	size_t i, j, cap;
	char **slot;

	if (s->n * 2 >= s->cap) {
		cap = s->cap ? 2 * s->cap : 64;
		slot = calloc(cap, sizeof(*slot));
		if (slot == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		for (i = 0; i < s->cap; i++) {
			if (s->slot[i] == NULL)
				continue;
			j = hash_str(s->slot[i]) & (cap - 1);
			while (slot[j])
				j = (j + 1) & (cap - 1);
			slot[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	i = hash_str(id) & (s->cap - 1);
	while (s->slot[i]) {
		if (strcmp(s->slot[i], id) == 0)
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	if ((s->slot[i] = strdup(id)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	s->n++;
	return 0;
}

static int idset_has(const struct idset *s, const char *id)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = hash_str(id) & (s->cap - 1);
	while (s->slot[i]) {
		if (strcmp(s->slot[i], id) == 0)
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	return 0;
}

static void idset_free(struct idset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* ---- the selection ---- */

struct sel {
	tsm_store *store;
	const tsm_call_next_opts *opts;
	tsm_call_next *out;
	tsm_policy pol;
	char member[TSM_MEMBER_MAX];
	int64_t now;
	struct idset seen;
	sqlite3_stmt *calls; /* the newest calls of a customer */
	sqlite3_stmt *phone; /* when its phone was last set */
	sqlite3_stmt *sched; /* an open follow-up exists */
	struct {
		const char *name; /* static zone name */
		int open;
		int64_t next;
	} zones[48];
	size_t nzones;
};

/* A customer as the queries yield it. */
struct cand {
	const char *id;
	const char *phone;
	int dnc;
};

static int in_skip(const struct sel *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->opts->nskip; i++)
		if (s->opts->skip[i] && strcmp(s->opts->skip[i], id) == 0)
			return 1;
	return 0;
}

static void min_set(int64_t *slot, int64_t v)
{
	if (v > 0 && (*slot == 0 || v < *slot))
		*slot = v;
}

/* When the phone of customer id was last edited (0: never after its
 * creation). */
static int phone_set_at(struct sel *s, const char *id, int64_t *out)
{
	int rc;

	*out = 0;
	sqlite3_reset(s->phone);
	calling_bind(s->phone, 1, id);
	rc = sqlite3_step(s->phone);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s->phone, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s->phone);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(s->store), rc,
					"read customer");
	return 0;
}

/* Are the calling hours open for phone? Caches the answer per zone (one
 * selection has one "now"). */
static int hours_open(struct sel *s, const char *phone)
{
	const char *zone = tsm_call_zone_name(phone);
	int64_t t;
	size_t i;

	for (i = 0; i < s->nzones; i++)
		if (s->zones[i].name == zone)
			break;
	if (i == s->nzones) {
		if (s->nzones == sizeof(s->zones) / sizeof(s->zones[0]))
			i = 0; /* full (cannot happen): reuse a slot */
		else
			s->nzones++;
		s->zones[i].name = zone;
		s->zones[i].open =
		    tsm_call_hours_contains(&s->pol.hours, phone, s->now);
		s->zones[i].next = 0;
		if (!s->zones[i].open &&
		    tsm_call_hours_next(&t, &s->pol.hours, phone, s->now) == 0)
			s->zones[i].next = t;
	}
	if (!s->zones[i].open)
		min_set(&s->out->next_open, s->zones[i].next);
	return s->zones[i].open;
}

/* The checks that need no query: do-not-call, the session's skips and
 * calling hours. 1 passes, 0 no (counted). Counts the candidate. */
static int callable_now(struct sel *s, const struct cand *c)
{
	tsm_call_next *o = s->out;

	o->candidates++;
	if (c->dnc) {
		o->dnc++;
		return 0;
	}
	if (in_skip(s, c->id)) {
		o->skipped++;
		return 0;
	}
	if (!s->opts->any_time && !hours_open(s, c->phone)) {
		o->hours++;
		return 0;
	}
	return 1;
}

/* The checks on the customer's calls: invalid number, attempts, retry
 * delay. 1 passes, 0 no (counted), <0 error. */
static int callable_calls(struct sel *s, const struct cand *c)
{
	tsm_call_next *o = s->out;
	int64_t last_at = 0, phone_at, t;
	int rc, err, last = -1, unanswered = 0, counting = 1, outcome;

	sqlite3_reset(s->calls);
	calling_bind(s->calls, 1, c->id);
	sqlite3_bind_int64(s->calls, 2, s->pol.max_attempts + 1);
	while ((rc = sqlite3_step(s->calls)) == SQLITE_ROW) {
		outcome = tsm_call_outcome_lookup(
		    (const char *)sqlite3_column_text(s->calls, 0));
		t = sqlite3_column_int64(s->calls, 1);
		if (last < 0) {
			last = outcome;
			last_at = t;
		}
		if (counting && tsm_call_outcome_unanswered(outcome))
			unanswered++;
		else
			counting = 0;
	}
	sqlite3_reset(s->calls);
	if (rc != SQLITE_DONE)
		return tsm_error_sqlite(tsm_store_db(s->store), rc,
					"read calls");
	if (last == TSM_OUTCOME_INVALID_NUMBER) {
		if ((err = phone_set_at(s, c->id, &phone_at)) < 0)
			return err;
		if (phone_at <= last_at) {
			o->invalid++;
			return 0;
		}
	}
	if (unanswered >= s->pol.max_attempts) {
		o->exhausted++;
		return 0;
	}
	if (last >= 0 && tsm_call_outcome_unanswered(last) &&
	    last_at + s->pol.retry_delay_s * 1000 > s->now) {
		o->retry++;
		min_set(&o->next_retry, last_at + s->pol.retry_delay_s * 1000);
		return 0;
	}
	return 1;
}

/* Is c callable now? 1 yes, 0 no (counted), <0 error. */
static int callable(struct sel *s, const struct cand *c)
{
	if (!callable_now(s, c))
		return 0;
	return callable_calls(s, c);
}

/* Records the choice. */
static void choose(struct sel *s, const char *id, int why, const char *followup,
		   int64_t due, const char *phone)
{
	tsm_call_next *o = s->out;

	o->why = why;
	snprintf(o->customer, sizeof(o->customer), "%s", id);
	snprintf(o->followup, sizeof(o->followup), "%s",
		 followup ? followup : "");
	o->due = due;
	o->zone = tsm_call_zone_name(phone);
}

/* 1. due callbacks and follow-ups, by due time */
struct t1 {
	struct sel *s;
	int found;
};

static int tier1_fn(void *arg, const struct calling_fu *f)
{
	struct t1 *t = arg;
	struct cand c = {f->customer, f->phone, f->dnc};
	int dup, err;

	if ((dup = idset_add(&t->s->seen, c.id)) != 0)
		return dup < 0 ? dup : 0;
	if ((err = callable(t->s, &c)) <= 0)
		return err;
	choose(t->s, c.id,
	       tsm_followup_kind_lookup(f->kind) == TSM_FOLLOWUP_CALLBACK
		   ? TSM_NEXT_CALLBACK
		   : TSM_NEXT_FOLLOWUP,
	       f->id, f->due, c.phone);
	t->found = 1;
	return 1;
}

static int tier_followups(struct sel *s, int *found)
{
	struct t1 t = {s, 0};
	int err;

	err = calling_own_followups(s->store, s->member, INT64_MIN, s->now + 1,
				    CF_NOT_REVISIT, tier1_fn, &t);
	*found = t.found;
	return err;
}

/* A revisit candidate. */
struct rv {
	char id[TSM_CUSTOMER_ID_MAX];
	char followup[TSM_FOLLOWUP_ID_MAX];
	char phone[TSM_PHONE_MAX];
	int dnc;
	int64_t due;
};

static int rv_cmp(const void *pa, const void *pb)
{
	const struct rv *a = pa, *b = pb;

	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int rv_push(struct rv **v, size_t *n, size_t *cap, const char *id,
		   const char *phone, int dnc, const char *followup,
		   int64_t due)
{
	struct rv *r;

	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 32;

		r = realloc(*v, nc * sizeof(*r));
		if (r == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		*v = r;
		*cap = nc;
	}
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->phone, sizeof(r->phone), "%s", phone ? phone : "");
	r->dnc = dnc;
	snprintf(r->followup, sizeof(r->followup), "%s", followup);
	r->due = due;
	return 0;
}

struct rvlist {
	struct rv *v;
	size_t n, cap;
};

static int rv_fu_fn(void *arg, const struct calling_fu *f)
{
	struct rvlist *l = arg;

	return rv_push(&l->v, &l->n, &l->cap, f->customer, f->phone, f->dnc,
		       f->id, f->due);
}

/* 2. due revisits: open revisit follow-ups and computed ones */
static int tier_revisits(struct sel *s, int *found)
{
	sqlite3_stmt *st = NULL;
	struct rvlist l = {NULL, 0, 0};
	size_t i;
	int64_t cadence = s->pol.revisit_days * DAY_MS, due;
	char rid[TSM_FOLLOWUP_ID_MAX];
	struct cand c;
	int rc, err, dup;

	err = calling_own_followups(s->store, s->member, INT64_MIN, s->now + 1,
				    CF_REVISIT, rv_fu_fn, &l);
	if (err < 0)
		goto done;
	err = calling_prepare(
	    &st, s->store,
	    "SELECT c.id, c.phone, c.dnc, " SQL_REVISIT_BASE(
		"c") " FROM customers c WHERE " SQL_OWNER("c") " = ?1 AND "
							       "c.stage = "
							       "'won' "
							       "AND " SQL_LIVE("c") " AND " SQL_NO_OPEN_REVISIT(
								   "c"));
	if (err < 0)
		goto done;
	calling_bind(st, 1, s->member);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		due = sqlite3_column_int64(st, 3) + cadence;
		if (due > s->now) {
			min_set(&s->out->next_due, due);
			continue;
		}
		snprintf(rid, sizeof(rid), "%s%s", TSM_FOLLOWUP_REVISIT_PREFIX,
			 (const char *)sqlite3_column_text(st, 0));
		err = rv_push(&l.v, &l.n, &l.cap,
			      (const char *)sqlite3_column_text(st, 0),
			      (const char *)sqlite3_column_text(st, 1),
			      sqlite3_column_int(st, 2), rid, due);
		if (err < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(tsm_store_db(s->store), rc,
				       "read revisits");
		goto done;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), rv_cmp);
	for (i = 0; i < l.n; i++) {
		c.id = l.v[i].id;
		c.phone = l.v[i].phone;
		c.dnc = l.v[i].dnc;
		if ((dup = idset_add(&s->seen, c.id)) < 0) {
			err = dup;
			goto done;
		}
		if (dup)
			continue;
		if ((err = callable(s, &c)) < 0)
			goto done;
		if (err == 0)
			continue;
		choose(s, c.id, TSM_NEXT_REVISIT, l.v[i].followup, l.v[i].due,
		       c.phone);
		*found = 1;
		break;
	}
	err = 0;
done:
	sqlite3_finalize(st);
	free(l.v);
	return err;
}

/* 3. new leads by priority, then age */
static int tier_new(struct sel *s, int *found)
{
	sqlite3_stmt *st = NULL;
	struct cand c;
	int rc, err;

	err = calling_prepare(
	    &st, s->store,
	    "SELECT c.id, c.phone, c.dnc FROM customers c "
	    "WHERE " SQL_OWNER("c") " = ?1 AND c.stage = 'new' AND " SQL_LIVE(
		"c") " ORDER BY " SQL_PRIO("c") ", c.created_at, c.id");
	if (err < 0)
		return err;
	calling_bind(st, 1, s->member);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.id = (const char *)sqlite3_column_text(st, 0);
		c.phone = (const char *)sqlite3_column_text(st, 1);
		c.dnc = sqlite3_column_int(st, 2);
		/* The last tier: look up, no need to remember. */
		if (idset_has(&s->seen, c.id) || !callable_now(s, &c))
			continue;
		/* A lead with an open follow-up waits for it (a due one was
		 * seen in tier 1). */
		sqlite3_reset(s->sched);
		calling_bind(s->sched, 1, c.id);
		rc = sqlite3_step(s->sched);
		sqlite3_reset(s->sched);
		if (rc == SQLITE_ROW) {
			s->out->scheduled++;
			continue;
		}
		if (rc != SQLITE_DONE) {
			err = tsm_error_sqlite(tsm_store_db(s->store), rc,
					       "read follow-ups");
			goto done;
		}
		if ((err = callable_calls(s, &c)) < 0)
			goto done;
		if (err == 0)
			continue;
		choose(s, c.id, TSM_NEXT_NEW, NULL, 0, c.phone);
		*found = 1;
		err = 0;
		goto done;
	}
	err = rc == SQLITE_DONE
		  ? 0
		  : tsm_error_sqlite(tsm_store_db(s->store), rc, "read leads");
done:
	sqlite3_finalize(st);
	return err;
}

/* The earliest open follow-up due later than now on the own list (not
 * on the do-not-call list). */
static int next_due_fn(void *arg, const struct calling_fu *f)
{
	struct sel *s = arg;

	if (f->dnc)
		return 0;
	min_set(&s->out->next_due, f->due);
	return 1;
}

static int next_due(struct sel *s)
{
	return calling_own_followups(s->store, s->member, s->now + 1, INT64_MAX,
				     CF_ANY, next_due_fn, s);
}

const char *tsm_call_next_reason_name(int why)
{
	switch (why) {
	case TSM_NEXT_CALLBACK:
		return "callback";
	case TSM_NEXT_FOLLOWUP:
		return "followup";
	case TSM_NEXT_REVISIT:
		return "revisit";
	case TSM_NEXT_NEW:
		return "new";
	default:
		return NULL;
	}
}

int tsm_call_next_get(tsm_call_next *out, tsm_store *store,
		      const tsm_call_next_opts *opts)
{
	tsm_call_next_opts def = TSM_CALL_NEXT_OPTS_INIT;
	tsm_identity me;
	struct sel s;
	int err, found = 0;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.store = store;
	s.opts = opts ? opts : &def;
	s.out = out;
	s.now = s.opts->now > 0 ? s.opts->now : tsm_followup_now();
	out->now = s.now;
	out->zone = "local";
	if ((err = tsm_identity_get(&me, store)) < 0)
		return err;
	snprintf(s.member, sizeof(s.member), "%s", me.member);
	if ((err = tsm_policy_get(&s.pol, store)) < 0)
		return err;
	if ((err = calling_prepare(&s.calls, store,
				   "SELECT outcome, at FROM calls "
				   "WHERE customer = ?1 "
				   "ORDER BY at DESC, id DESC LIMIT ?2")) < 0)
		goto done;
	if ((err = calling_prepare(
		 &s.phone, store,
		 "SELECT max(hlc) >> 16 FROM ops WHERE etype = 'customer' "
		 "AND eid = ?1 AND action = 'set' AND field = 'phone' "
		 "AND status <> 'rejected'")) < 0)
		goto done;
	if ((err = calling_prepare(&s.sched, store,
				   "SELECT 1 FROM followups WHERE customer = "
				   "?1 AND done = 0 LIMIT 1")) < 0)
		goto done;
	if ((err = tier_followups(&s, &found)) < 0 || found)
		goto done;
	if ((err = tier_revisits(&s, &found)) < 0 || found)
		goto done;
	if ((err = tier_new(&s, &found)) < 0 || found)
		goto done;
	err = next_due(&s);
done:
	sqlite3_finalize(s.calls);
	sqlite3_finalize(s.phone);
	sqlite3_finalize(s.sched);
	idset_free(&s.seen);
	return err;
}
