/* core/policy.c — the team policy: defaults, reading the policy entity
 * "team" from the materialized table, checking and setting fields as ops,
 * durations as people type them. */
#include "tsm/policy.h"
#include "tsm/identity.h"
#include "tsm/ops.h"

#include "error.h"
#include "json.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_HOURS, K_DURATION, K_COUNT, K_ZERO_OK, K_TEXT };

static const struct field {
	const char *name;
	int kind;
	int64_t max;
	const char *help;
} fields[TSM_POLICY_NFIELDS] = {
    {"calling_hours", K_HOURS, 0,
     "when agents may call (e.g. \"mon-fri 09:00-12:00,13:30-18:00\")"},
    {"retry_delay", K_DURATION, 30LL * 86400,
     "wait before redialing a no-answer or busy number (e.g. 2h, 30m)"},
    {"max_attempts", K_COUNT, 1000,
     "unanswered dials before a lead is left alone"},
    {"revisit_days", K_COUNT, 3650,
     "days between revisits of signed "
     "clients"},
    {"effective_seconds", K_COUNT, 86400,
     "a connected call this long counts as effective"},
    {"company_name", K_TEXT, 0, "{company.name} in call scripts"},
    {"target_dials", K_ZERO_OK, 1000000,
     "daily dials target per agent (0: none)"},
    {"target_effective", K_ZERO_OK, 1000000,
     "daily effective conversations target per agent (0: none)"},
    {"target_orders", K_ZERO_OK, 1000000,
     "daily orders target per agent (0: none)"},
};

const char *tsm_policy_field_name(int i)
{
	return i >= 0 && i < TSM_POLICY_NFIELDS ? fields[i].name : NULL;
}

const char *tsm_policy_field_help(int i)
{
	return i >= 0 && i < TSM_POLICY_NFIELDS ? fields[i].help : NULL;
}

int tsm_policy_field_lookup(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < TSM_POLICY_NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return i;
	return -1;
}

void tsm_policy_defaults(tsm_policy *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->calling_hours, sizeof(out->calling_hours), "%s",
		 TSM_POLICY_DEFAULT_HOURS);
	/* The default is known to parse. */
	tsm_hours_parse(&out->hours, out->calling_hours);
	out->retry_delay_s = TSM_POLICY_DEFAULT_RETRY_S;
	out->max_attempts = TSM_POLICY_DEFAULT_MAX_ATTEMPTS;
	out->revisit_days = TSM_POLICY_DEFAULT_REVISIT_DAYS;
	out->effective_s = TSM_POLICY_DEFAULT_EFFECTIVE_S;
}

static int64_t *int_slot(tsm_policy *p, int i)
{
	switch (i) {
	case TSM_POLICY_RETRY_DELAY:
		return &p->retry_delay_s;
	case TSM_POLICY_MAX_ATTEMPTS:
		return &p->max_attempts;
	case TSM_POLICY_REVISIT_DAYS:
		return &p->revisit_days;
	case TSM_POLICY_EFFECTIVE_SECONDS:
		return &p->effective_s;
	case TSM_POLICY_TARGET_DIALS:
		return &p->target_dials;
	case TSM_POLICY_TARGET_EFFECTIVE:
		return &p->target_effective;
	case TSM_POLICY_TARGET_ORDERS:
		return &p->target_orders;
	default:
		return NULL;
	}
}

/* ---- durations ---- */

int tsm_duration_parse(int64_t *out_s, const char *text)
{
	const char *p = text;
	int64_t total = 0, v, unit;
	int parts = 0, digits;

	*out_s = 0;
	if (text == NULL || *text == '\0')
		return tsm_error_set(TSM_EINVALID, "empty duration");
	while (*p) {
		v = 0;
		digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (v > 100000000)
				goto bad;
			v = v * 10 + (*p - '0');
			p++;
			digits++;
		}
		if (digits == 0)
			goto bad;
		switch (*p) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		case '\0':
			/* plain seconds, only alone */
			if (parts > 0)
				goto bad;
			unit = 1;
			break;
		default:
			goto bad;
		}
		if (*p)
			p++;
		total += v * unit;
		if (total > 366LL * 86400)
			return tsm_error_set(TSM_EINVALID,
					     "duration '%s' is too long", text);
		parts++;
	}
	if (total <= 0)
		return tsm_error_set(TSM_EINVALID,
				     "duration '%s' must be positive", text);
	*out_s = total;
	return 0;
bad:
	return tsm_error_set(TSM_EINVALID,
			     "invalid duration '%s': use e.g. 2h, 30m, 90s, "
			     "1d or 1h30m",
			     text);
}

static int format_duration(char *out, size_t outlen, int64_t s)
{
	static const struct {
		int64_t unit;
		char c;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t len = 0, i;
	int n;

	if (outlen == 0)
		return TSM_EINVALID;
	out[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s < units[i].unit)
			continue;
		n = snprintf(out + len, outlen - len, "%lld%c",
			     (long long)(s / units[i].unit), units[i].c);
		if (n < 0 || (size_t)n >= outlen - len)
			return tsm_error_set(TSM_EINVALID, "buffer too small");
		len += (size_t)n;
		s %= units[i].unit;
	}
	if (len == 0)
		snprintf(out, outlen, "0s");
	return 0;
}

int tsm_policy_format(char *out, size_t outlen, const tsm_policy *p, int i)
{
	const int64_t *v;
	int n;

	if (outlen == 0 || i < 0 || i >= TSM_POLICY_NFIELDS)
		return tsm_error_set(TSM_EINVALID, "no policy field %d", i);
	switch (i) {
	case TSM_POLICY_CALLING_HOURS:
		n = snprintf(out, outlen, "%s", p->calling_hours);
		break;
	case TSM_POLICY_COMPANY_NAME:
		n = snprintf(out, outlen, "%s", p->company_name);
		break;
	case TSM_POLICY_RETRY_DELAY:
		return format_duration(out, outlen, p->retry_delay_s);
	default:
		v = int_slot((tsm_policy *)p, i);
		n = snprintf(out, outlen, "%lld", (long long)*v);
		break;
	}
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return tsm_error_set(TSM_EINVALID, "buffer too small");
	}
	return 0;
}

/* ---- values ---- */

/* A plain non-negative decimal integer, at most max. */
static int parse_count(int64_t *out, const char *s, int64_t min, int64_t max)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || v > max)
			return TSM_EINVALID;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || v < min || v > max)
		return TSM_EINVALID;
	*out = v;
	return 0;
}

/* Checks text typed for field i and writes its JSON value into *json
 * (malloc'd). */
static int value_json(char **json, int i, const char *text)
{
	const struct field *f = &fields[i];
	tsm_hours hours;
	tsm_json *v = NULL;
	int64_t n;
	int err;

	*json = NULL;
	switch (f->kind) {
	case K_HOURS:
		if (strlen(text) >= TSM_POLICY_TEXT_MAX)
			return tsm_error_set(TSM_EINVALID,
					     "calling hours too long");
		if ((err = tsm_hours_parse(&hours, text)) < 0)
			return err;
		v = tsm_json_new_string(text);
		break;
	case K_DURATION:
		if ((err = tsm_duration_parse(&n, text)) < 0)
			return err;
		if (n > f->max)
			return tsm_error_set(TSM_EINVALID,
					     "%s: at most %lld days", f->name,
					     (long long)(f->max / 86400));
		v = tsm_json_new_int(n);
		break;
	case K_COUNT:
	case K_ZERO_OK:
		if (parse_count(&n, text, f->kind == K_COUNT ? 1 : 0, f->max) <
		    0)
			return tsm_error_set(
			    TSM_EINVALID,
			    "invalid %s '%s': a whole number from %d to "
			    "%lld",
			    f->name, text, f->kind == K_COUNT ? 1 : 0,
			    (long long)f->max);
		v = tsm_json_new_int(n);
		break;
	default:
		if (*text && (!tsm_name_valid(text) ||
			      strlen(text) >= TSM_POLICY_TEXT_MAX))
			return tsm_error_set(TSM_EINVALID,
					     "invalid %s: 1 to 127 bytes of "
					     "text without control characters",
					     f->name);
		v = *text ? tsm_json_new_string(text) : tsm_json_new_null();
		break;
	}
	if (v == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	err = tsm_json_print(json, v);
	tsm_json_free(v);
	return err;
}

/* Applies a stored JSON value of field i to p; a value that does not
 * check is ignored (the default stays). */
static void apply_stored(tsm_policy *p, int i, const char *json)
{
	const struct field *f = &fields[i];
	tsm_json *v = NULL;
	tsm_hours hours;
	const char *s;
	int64_t n, *slot;

	if (tsm_json_parse(&v, json, strlen(json)) < 0) {
		tsm_error_clear();
		return;
	}
	switch (f->kind) {
	case K_HOURS:
		s = tsm_json_string(v);
		if (s && strlen(s) < sizeof(p->calling_hours) &&
		    tsm_hours_parse(&hours, s) == 0) {
			snprintf(p->calling_hours, sizeof(p->calling_hours),
				 "%s", s);
			p->hours = hours;
			p->set |= 1u << i;
		}
		break;
	case K_TEXT:
		s = tsm_json_string(v);
		if (s && strlen(s) < sizeof(p->company_name)) {
			snprintf(p->company_name, sizeof(p->company_name), "%s",
				 s);
			p->set |= 1u << i;
		}
		break;
	default:
		slot = int_slot(p, i);
		if (tsm_json_int(&n, v) == 0 &&
		    n >= (f->kind == K_ZERO_OK ? 0 : 1) && n <= f->max) {
			*slot = n;
			p->set |= 1u << i;
		}
		break;
	}
	tsm_json_free(v);
	tsm_error_clear();
}

static const char SQL_POLICY[] =
    "SELECT field, value FROM policy WHERE id = ?1";

int tsm_policy_get(tsm_policy *out, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const char *field, *value;
	int rc, i;

	tsm_policy_defaults(out);
	rc = sqlite3_prepare_v2(db, SQL_POLICY, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read policy");
	sqlite3_bind_text(st, 1, TSM_POLICY_ID, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		field = (const char *)sqlite3_column_text(st, 0);
		value = (const char *)sqlite3_column_text(st, 1);
		i = tsm_policy_field_lookup(field);
		if (i >= 0 && value)
			apply_stored(out, i, value);
	}
	if (rc != SQLITE_DONE) {
		rc = tsm_error_sqlite(db, rc, "read policy");
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	return 0;
}

/* ---- writing ---- */

static const char SQL_HAS_OPS[] =
    "SELECT 1 FROM ops WHERE etype = 'policy' AND eid = ?1 "
    "AND status != 'rejected' LIMIT 1";
static const char SQL_ROLE[] =
    "SELECT role FROM members WHERE id = ?1 AND active = 1";

/* TSM_EPERM unless this member is a manager: a clear message before the
 * op log's own rule (which stays the authority). */
static int check_manager(tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_identity me;
	int err, rc, ok = 0;

	if ((err = tsm_identity_get(&me, store)) < 0)
		return err;
	rc = sqlite3_prepare_v2(db, SQL_ROLE, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read role");
	sqlite3_bind_text(st, 1, me.member, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0),
			    "manager") == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read role");
	if (!ok)
		return tsm_error_set(TSM_EPERM,
				     "only a manager may change the team "
				     "policy");
	return 0;
}

/* 1 when the policy entity has ops already, 0 when not. */
static int has_ops(tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, SQL_HAS_OPS, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read policy");
	sqlite3_bind_text(st, 1, TSM_POLICY_ID, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return tsm_error_sqlite(db, rc, "read policy");
}

/* Appends the op that gives field i the JSON value json ("null" unsets):
 * the entity's create when it has no ops yet, else a set. */
static int write_field(tsm_store *store, int i, const char *json)
{
	tsm_json *obj = NULL, *v = NULL;
	char *create = NULL;
	tsm_op_spec spec;
	int err, exists;

	if ((exists = has_ops(store)) < 0)
		return exists;
	if (exists) {
		spec = (tsm_op_spec){"policy", TSM_POLICY_ID, "set",
				     fields[i].name, json};
		return tsm_ops_append(NULL, store, &spec, 1);
	}
	if (strcmp(json, "null") == 0)
		return 0; /* nothing set, nothing to unset */
	obj = tsm_json_new_object();
	if (obj == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = tsm_json_parse(&v, json, strlen(json))) < 0 ||
	    (err = tsm_json_put(obj, fields[i].name, v)) < 0 ||
	    (err = tsm_json_print(&create, obj)) < 0)
		goto done;
	spec = (tsm_op_spec){"policy", TSM_POLICY_ID, "create", NULL, create};
	err = tsm_ops_append(NULL, store, &spec, 1);
done:
	tsm_json_free(obj);
	free(create);
	return err;
}

int tsm_policy_set(tsm_store *store, const char *field, const char *value)
{
	char *json = NULL;
	int i, err;

	i = tsm_policy_field_lookup(field);
	if (i < 0)
		return tsm_error_set(TSM_EINVALID, "unknown policy field '%s'",
				     field ? field : "");
	if (value == NULL)
		return tsm_error_set(TSM_EINVALID, "no value for %s", field);
	if ((err = value_json(&json, i, value)) < 0)
		return err;
	if ((err = check_manager(store)) == 0)
		err = write_field(store, i, json);
	free(json);
	return err;
}

int tsm_policy_unset(tsm_store *store, const char *field)
{
	tsm_policy p;
	int i, err;

	i = tsm_policy_field_lookup(field);
	if (i < 0)
		return tsm_error_set(TSM_EINVALID, "unknown policy field '%s'",
				     field ? field : "");
	if ((err = check_manager(store)) < 0)
		return err;
	if ((err = tsm_policy_get(&p, store)) < 0)
		return err;
	if (!(p.set & (1u << i)))
		return 0; /* the default applies already */
	return write_field(store, i, "null");
}
