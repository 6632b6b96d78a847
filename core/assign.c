/* core/assign.c — `tsm assign`: choosing customers (ids, a filter, a
 * member's list), distributing them round-robin or by open workload, and
 * writing the owner ops in one transaction. */
#include "tsm/assign.h"
#include "tsm/ops.h"

#include "error.h"
#include "ops_internal.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Owner ops per tsm_ops_append() call inside the one transaction. */
#define CHUNK 1000

int tsm_assign_strategy_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "round-robin") == 0 || strcmp(name, "rr") == 0)
		return TSM_ASSIGN_ROUND_ROBIN;
	if (strcmp(name, "balanced") == 0)
		return TSM_ASSIGN_BALANCED;
	return -1;
}

void tsm_assign_result_dispose(tsm_assign_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->list[i].name);
	free(r->list);
	for (i = 0; i < r->nmembers; i++)
		free(r->members[i].name);
	free(r->members);
	memset(r, 0, sizeof(*r));
}

static const char SQL_MEMBER[] =
    "SELECT role, active, name FROM members WHERE id = ?1";
static const char SQL_OPEN[] =
    "SELECT count(*) FROM customers WHERE owner = ?1 AND deleted = 0 "
    "AND merged_into IS NULL AND stage NOT IN ('won', 'lost')";
static const char SQL_CUST[] =
    "SELECT name, owner, stage, deleted, merged_into FROM customers "
    "WHERE id = ?1";

/* Reads a member: 1 found (role, active, name copied), 0 not. */
static int member_get(sqlite3 *db, const char *id, char role[16], int *active,
		      char **name)
{
	sqlite3_stmt *st = tsm_stmt(db, SQL_MEMBER);
	const char *s;
	int rc, found = 0;

	if (name)
		*name = NULL;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		found = 1;
		snprintf(role, 16, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		*active = sqlite3_column_int(st, 1);
		s = (const char *)sqlite3_column_text(st, 2);
		if (name && s && (*name = strdup(s)) == NULL)
			rc = SQLITE_NOMEM;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_NOMEM)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read member");
	return found;
}

static int open_count(sqlite3 *db, const char *member, size_t *out)
{
	sqlite3_stmt *st = tsm_stmt(db, SQL_OPEN);
	int rc;

	*out = 0;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 0 : tsm_error_sqlite(db, rc, "count");
}

/* The targets: checked, deduplicated, with their open workload. */
static int load_targets(tsm_assign_result *out, sqlite3 *db,
			const tsm_assign_options *o)
{
	tsm_assign_member *m;
	char role[16];
	size_t i, k;
	int found, active = 0, err;

	if (o->nto == 0)
		return tsm_error_set(TSM_EINVALID,
				     "no member to assign to (--to)");
	out->members = calloc(o->nto, sizeof(*out->members));
	if (out->members == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < o->nto; i++) {
		const char *id = o->to[i];

		if (id == NULL || !tsm_member_id_valid(id))
			return tsm_error_set(TSM_EINVALID,
					     "invalid member id '%s'",
					     id ? id : "");
		for (k = 0; k < out->nmembers; k++)
			if (strcmp(out->members[k].member, id) == 0)
				break;
		if (k < out->nmembers)
			continue; /* named twice */
		m = &out->members[out->nmembers++];
		snprintf(m->member, sizeof(m->member), "%s", id);
		found = member_get(db, id, role, &active, &m->name);
		if (found < 0)
			return found;
		if (!found || !active)
			return tsm_error_set(
			    TSM_EINVALID, "no active member '%s' in the team",
			    id);
		snprintf(m->role, sizeof(m->role), "%s", role);
		if (strcmp(role, "agent") != 0 && strcmp(role, "lead") != 0 &&
		    strcmp(role, "manager") != 0)
			return tsm_error_set(TSM_EINVALID,
					     "'%s' is %s %s: customers go to "
					     "agents, leads or managers",
					     id,
					     strcmp(role, "assistant") == 0 ||
						     strcmp(role, "auditor") ==
							 0
						 ? "an"
						 : "a",
					     role);
		if ((err = open_count(db, id, &m->open_before)) < 0)
			return err;
	}
	return 0;
}

/* Adds customer id (resolved) to the selection unless it is there. */
static int select_add(tsm_assign_result *out, size_t *cap, strmap *seen,
		      sqlite3 *db, const char *id)
{
	sqlite3_stmt *st;
	tsm_assignment *a;
	const char *s;
	int rc, fresh;

	if (strmap_slot(seen, id, &fresh) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (!fresh)
		return 0;
	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;

		a = realloc(out->list, ncap * sizeof(*a));
		if (a == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		out->list = a;
		*cap = ncap;
	}
	a = &out->list[out->n];
	memset(a, 0, sizeof(*a));
	snprintf(a->customer, sizeof(a->customer), "%s", id);
	if ((st = tsm_stmt(db, SQL_CUST)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		a->name = s ? strdup(s) : NULL;
		s = (const char *)sqlite3_column_text(st, 1);
		snprintf(a->from, sizeof(a->from), "%s", s ? s : "");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return tsm_error_sqlite(db, rc, "read customer");
	out->n++;
	return 0;
}

/* The selection: the refs given, else the filter's customers. */
static int select_customers(tsm_assign_result *out, tsm_store *store,
			    const tsm_assign_options *o)
{
	static const tsm_customer_filter none = TSM_CUSTOMER_FILTER_INIT;
	tsm_customer_filter f = o->filter ? *o->filter : none;
	sqlite3 *db = tsm_store_db(store);
	char id[TSM_CUSTOMER_ID_MAX];
	tsm_customer *list = NULL;
	strmap seen = {0};
	size_t n = 0, i, cap = 0;
	int err = 0;

	if (o->ncustomers > 0) {
		if (o->from || o->filter) {
			err = tsm_error_set(TSM_EINVALID,
					    "give customers or a filter, not "
					    "both");
			goto done;
		}
		for (i = 0; i < o->ncustomers && err == 0; i++) {
			err =
			    tsm_customer_resolve(id, store, o->customers[i], 0);
			if (err == 0)
				err = select_add(out, &cap, &seen, db, id);
		}
		goto done;
	}
	if (o->from) {
		if (!tsm_member_id_valid(o->from)) {
			err = tsm_error_set(TSM_EINVALID,
					    "invalid member id '%s'", o->from);
			goto done;
		}
		if (f.owner && strcmp(f.owner, o->from) != 0) {
			err = tsm_error_set(TSM_EINVALID,
					    "--from and --unassigned or an "
					    "owner filter do not mix");
			goto done;
		}
		f.owner = o->from;
	}
	if ((err = tsm_customer_list(&list, &n, store, &f)) < 0)
		goto done;
	for (i = 0; i < n && err == 0; i++)
		err = select_add(out, &cap, &seen, db, list[i].id);
	tsm_customer_list_free(list, n);
done:
	strmap_free(&seen);
	return err;
}

/* The member index for the k-th customer. */
static size_t pick(const tsm_assign_result *out, const size_t *load, int strat,
		   size_t k)
{
	size_t i, best = 0;

	if (strat == TSM_ASSIGN_ROUND_ROBIN)
		return k % out->nmembers;
	for (i = 1; i < out->nmembers; i++)
		if (load[i] < load[best] ||
		    (load[i] == load[best] &&
		     strcmp(out->members[i].member, out->members[best].member) <
			 0))
			best = i;
	return best;
}

static const char SQL_IS_OPEN[] =
    "SELECT 1 FROM customers WHERE id = ?1 AND deleted = 0 "
    "AND merged_into IS NULL AND stage NOT IN ('won', 'lost')";

static int plan(tsm_assign_result *out, sqlite3 *db, int strat)
{
	sqlite3_stmt *st;
	size_t *load, i, m;
	int rc, err = 0;

	load = calloc(out->nmembers, sizeof(*load));
	if (load == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (m = 0; m < out->nmembers; m++)
		load[m] = out->members[m].open_before;
	/* Open customers being redistributed among the targets leave their
	 * current owner's load first. */
	for (i = 0; i < out->n && err == 0; i++) {
		for (m = 0; m < out->nmembers; m++)
			if (strcmp(out->list[i].from, out->members[m].member) ==
			    0)
				break;
		if (m == out->nmembers)
			continue;
		if ((st = tsm_stmt(db, SQL_IS_OPEN)) == NULL) {
			err = tsm_error_last()->code;
			break;
		}
		sqlite3_bind_text(st, 1, out->list[i].customer, -1,
				  SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc == SQLITE_ROW && load[m] > 0)
			load[m]--;
		else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			err = tsm_error_sqlite(db, rc, "read customer");
	}
	for (i = 0; i < out->n && err == 0; i++) {
		tsm_assignment *a = &out->list[i];

		m = pick(out, load, strat, i);
		load[m]++;
		snprintf(a->to, sizeof(a->to), "%s", out->members[m].member);
		a->changed = strcmp(a->from, a->to) != 0;
		if (a->changed) {
			out->members[m].assigned++;
			out->changed++;
		} else {
			out->members[m].kept++;
			out->unchanged++;
		}
	}
	free(load);
	return err;
}

/* Writes the owner ops, CHUNK per append, inside the caller's
 * transaction. */
static int write_ops(const tsm_assign_result *out, tsm_store *store)
{
	tsm_op_spec *specs;
	char(*vals)[TSM_MEMBER_MAX + 2];
	size_t i, n = 0;
	int err = 0;

	specs = calloc(CHUNK, sizeof(*specs));
	vals = calloc(CHUNK, sizeof(*vals));
	if (specs == NULL || vals == NULL) {
		free(specs);
		free(vals);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	for (i = 0; i < out->n && err == 0; i++) {
		const tsm_assignment *a = &out->list[i];

		if (!a->changed)
			continue;
		/* Member ids need no JSON escapes: [a-z0-9._-]. */
		snprintf(vals[n], sizeof(vals[n]), "\"%s\"", a->to);
		specs[n] = (tsm_op_spec){"customer", a->customer, "set",
					 "owner", vals[n]};
		if (++n == CHUNK) {
			err = tsm_ops_append(NULL, store, specs, n);
			n = 0;
		}
	}
	if (err == 0 && n > 0)
		err = tsm_ops_append(NULL, store, specs, n);
	free(specs);
	free(vals);
	return err;
}

int tsm_assign(tsm_assign_result *out, tsm_store *store,
	       const tsm_assign_options *opts)
{
	sqlite3 *db = tsm_store_db(store);
	tsm_viewer v;
	int err, began = 0, rc;

	memset(out, 0, sizeof(*out));
	if (opts == NULL || opts->version != TSM_ASSIGN_OPTIONS_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "assign options: bad version");
	if (opts->strategy != TSM_ASSIGN_ROUND_ROBIN &&
	    opts->strategy != TSM_ASSIGN_BALANCED)
		return tsm_error_set(TSM_EINVALID, "unknown strategy");
	out->dry_run = opts->dry_run;
	if ((err = tsm_viewer_get(&v, store)) < 0)
		return err;
	if (strcmp(v.role, "lead") != 0 && strcmp(v.role, "manager") != 0)
		return tsm_error_set(
		    TSM_EPERM,
		    "only a lead or manager may assign customers (%s is %s)",
		    v.member,
		    v.role[0] == '\0'		     ? "not in a team yet"
		    : strcmp(v.role, "agent") == 0   ? "an agent"
		    : strcmp(v.role, "auditor") == 0 ? "an auditor"
		    : strcmp(v.role, "assistant") == 0
			? "an assistant"
			: "not a lead or manager");
	/* Read and write in one transaction: the plan stays true. */
	if ((err = tsm_store_begin(store)) < 0)
		return err;
	began = 1;
	if ((err = load_targets(out, db, opts)) < 0 ||
	    (err = select_customers(out, store, opts)) < 0 ||
	    (err = plan(out, db, opts->strategy)) < 0)
		goto done;
	if (opts->from) {
		size_t m;

		for (m = 0; m < out->nmembers; m++)
			if (strcmp(out->members[m].member, opts->from) == 0) {
				err = tsm_error_set(TSM_EINVALID,
						    "cannot move customers "
						    "from '%s' to themselves",
						    opts->from);
				goto done;
			}
	}
	if (!opts->dry_run && out->changed > 0)
		err = write_ops(out, store);
done:
	if (began) {
		rc = tsm_store_end(store, err == 0 && !opts->dry_run);
		if (err == 0 && !opts->dry_run)
			err = rc;
	}
	return err;
}
