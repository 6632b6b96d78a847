/* core/order.c — the product list (built-in defaults overlaid by the team's
 * `product` entities) and orders: validated `order` create ops, and listings
 * from the materialized `orders` table filtered by what the member may see. */
#include "tsm/order.h"
#include "tsm/customer.h"
#include "tsm/identity.h"

#include "error.h"
#include "hlc.h"
#include "json.h"
#include "store_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TERM_MAX 1200 /* months: a hundred years */
#define NOTE_MAX 4096

/* ---- small helpers ---- */

static char *dup(const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	p = malloc(n + 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

static int nomem(void)
{
	return tsm_error_set(TSM_ENOMEM, "out of memory");
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int eq_ci(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return 0;
	return *a == *b;
}

/* Nonzero if s is well-formed UTF-8 of 1..max bytes without control
 * characters other than newline and tab. */
static int text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, k, j;
	uint32_t cp;

	if (len == 0 || len > max)
		return 0;
	while (i < len) {
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') ||
			    p[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			k = 2;
			cp = p[i] & 0x1fu;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			k = 3;
			cp = p[i] & 0x0fu;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			k = 4;
			cp = p[i] & 0x07u;
		} else {
			return 0;
		}
		if (i + k > len)
			return 0;
		for (j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3fu);
		}
		if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += k;
	}
	return 1;
}

/* Runs sql with up to one text parameter; copies the first row's first
 * column into *out (NULL when no row or SQL NULL). */
static int query_text(char **out, tsm_store *store, const char *sql,
		      const char *param)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc, err = 0;

	*out = NULL;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read store");
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		if (t && (*out = dup((const char *)t)) == NULL)
			err = nomem();
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read store");
	}
	sqlite3_finalize(st);
	return err;
}

/* Parses a strict "YYYY-MM-DD" that names a real day. */
static int ymd_parse(int *y, int *m, int *d, const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int i, leap, max;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	     (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < 1900 || *m < 1 || *m > 12 || *d < 1)
		return -1;
	leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	max = mdays[*m - 1] + (*m == 2 && leap);
	return *d <= max ? 0 : -1;
}

static int bad_date(const char *what, const char *s)
{
	return tsm_error_set(TSM_EINVALID,
			     "invalid %s date '%s': expected YYYY-MM-DD, a "
			     "real day",
			     what, s ? s : "");
}

/* Local midnight of the day s (plus add days) in ms. */
static int day_start_ms(int64_t *out, const char *s, int add, const char *what)
{
	struct tm tm = {0};
	time_t t;
	int y, m, d;

	if (ymd_parse(&y, &m, &d, s) < 0)
		return bad_date(what, s);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + add;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return bad_date(what, s);
	*out = (int64_t)t * 1000;
	return 0;
}

/* ---- products ---- */

struct builtin_product {
	const char *id, *name, *name_zh;
	int term;
};

static const struct builtin_product builtin_products[] = {
    {"compliance-audit", "Compliance audit", "合規審查", 0},
    {"contract-review", "Contract review", "合同審查", 0},
    {"ip-registration", "IP registration", "知識產權登記", 0},
    {"labor-dispute", "Labor dispute", "勞動爭議", 0},
    {"litigation", "Litigation", "訴訟代理", 0},
    {"retainer", "Legal retainer", "法律顧問", 12},
};

#define NBUILTIN_PRODUCTS                                                      \
	(sizeof(builtin_products) / sizeof(builtin_products[0]))

static const struct builtin_product *builtin_product(const char *id)
{
	size_t i;

	for (i = 0; i < NBUILTIN_PRODUCTS; i++)
		if (strcmp(builtin_products[i].id, id) == 0)
			return &builtin_products[i];
	return NULL;
}

static void product_dispose(tsm_product *p)
{
	free(p->id);
	free(p->name);
	free(p->name_zh);
	memset(p, 0, sizeof(*p));
}

void tsm_product_list_free(tsm_product *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		product_dispose(&p[i]);
	free(p);
}

static int product_id_valid(const char *id)
{
	size_t i, len = id ? strlen(id) : 0;

	if (len == 0 || len >= TSM_PRODUCT_ID_MAX || id[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return 1;
}

static int builtin_into(tsm_product *p, const struct builtin_product *b)
{
	memset(p, 0, sizeof(*p));
	p->id = dup(b->id);
	p->name = dup(b->name);
	p->name_zh = dup(b->name_zh);
	p->default_term = b->term;
	p->active = 1;
	p->builtin = 1;
	if (p->id == NULL || p->name == NULL || p->name_zh == NULL) {
		product_dispose(p);
		return nomem();
	}
	return 0;
}

/* Applies one stored field (canonical JSON value) to p; values a newer
 * tsm might write and this one does not understand are ignored. */
static int product_field(tsm_product *p, const char *field, const char *json)
{
	tsm_json *v = NULL;
	const char *s;
	int64_t n;
	int b, err = 0;

	if (tsm_json_parse(&v, json, strlen(json)) < 0) {
		tsm_error_clear();
		return 0;
	}
	s = tsm_json_string(v);
	if (strcmp(field, "name") == 0 && s) {
		free(p->name);
		if ((p->name = dup(s)) == NULL)
			err = nomem();
	} else if (strcmp(field, "name_zh") == 0 && s) {
		free(p->name_zh);
		if ((p->name_zh = dup(s)) == NULL)
			err = nomem();
	} else if (strcmp(field, "default_term") == 0) {
		if (tsm_json_int(&n, v) == 0 && n > 0 && n <= TERM_MAX)
			p->default_term = (int)n;
	} else if (strcmp(field, "active") == 0) {
		b = tsm_json_bool(v);
		if (b >= 0)
			p->active = b;
	}
	tsm_json_free(v);
	return err;
}

static int product_cmp(const void *pa, const void *pb)
{
	const tsm_product *a = pa, *b = pb;

	return strcmp(a->id, b->id);
}

/* Every product, retired ones included, sorted by id. */
static int products_all(tsm_product **out, size_t *n, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_product *arr = NULL, *cur = NULL, *p;
	size_t len = 0, cap = NBUILTIN_PRODUCTS + 8, i, j;
	const char *id;
	int rc, err = 0, seen;

	*out = NULL;
	*n = 0;
	arr = calloc(cap, sizeof(*arr));
	if (arr == NULL)
		return nomem();
	rc = sqlite3_prepare_v2(db,
				"SELECT id, field, value FROM products "
				"ORDER BY id, field",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(db, rc, "list products");
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		if (id == NULL)
			continue;
		if (cur == NULL || strcmp(cur->id, id) != 0) {
			if (len == cap) {
				p = realloc(arr, 2 * cap * sizeof(*arr));
				if (p == NULL) {
					err = nomem();
					goto done;
				}
				arr = p;
				cap *= 2;
			}
			cur = &arr[len++];
			memset(cur, 0, sizeof(*cur));
			cur->active = 1;
			if ((cur->id = dup(id)) == NULL) {
				err = nomem();
				goto done;
			}
		}
		err =
		    product_field(cur, (const char *)sqlite3_column_text(st, 1),
				  (const char *)sqlite3_column_text(st, 2));
		if (err < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "list products");
		goto done;
	}
	/* A team product without a name (a newer tsm's data, say) shows
	 * its id. */
	for (i = 0; i < len; i++)
		if (arr[i].name == NULL &&
		    (arr[i].name = dup(arr[i].id)) == NULL) {
			err = nomem();
			goto done;
		}
	for (i = 0; i < NBUILTIN_PRODUCTS; i++) {
		seen = 0;
		for (j = 0; j < len; j++)
			if (strcmp(arr[j].id, builtin_products[i].id) == 0)
				seen = 1;
		if (seen)
			continue;
		if (len == cap) {
			p = realloc(arr, 2 * cap * sizeof(*arr));
			if (p == NULL) {
				err = nomem();
				goto done;
			}
			arr = p;
			cap *= 2;
		}
		if ((err = builtin_into(&arr[len], &builtin_products[i])) < 0)
			goto done;
		len++;
	}
	qsort(arr, len, sizeof(*arr), product_cmp);
	*out = arr;
	*n = len;
	arr = NULL;
	len = 0;
done:
	sqlite3_finalize(st);
	tsm_product_list_free(arr, len);
	return err;
}

int tsm_product_list(tsm_product **out, size_t *n, tsm_store *store,
		     int include_retired)
{
	size_t i, k = 0;
	int err;

	if ((err = products_all(out, n, store)) < 0)
		return err;
	if (include_retired)
		return 0;
	for (i = 0; i < *n; i++) {
		if ((*out)[i].active)
			(*out)[k++] = (*out)[i];
		else
			product_dispose(&(*out)[i]);
	}
	*n = k;
	return 0;
}

int tsm_product_resolve(char *out, tsm_store *store, const char *text)
{
	tsm_product *ps = NULL;
	tsm_jbuf valid;
	size_t n = 0, i;
	int err;

	out[0] = '\0';
	tsm_jbuf_init(&valid);
	if ((err = tsm_product_list(&ps, &n, store, 0)) < 0)
		goto done;
	for (i = 0; i < n && text; i++) {
		if (eq_ci(ps[i].id, text) || eq_ci(ps[i].name, text) ||
		    (ps[i].name_zh && strcmp(ps[i].name_zh, text) == 0)) {
			snprintf(out, TSM_PRODUCT_ID_MAX, "%s", ps[i].id);
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			tsm_jbuf_puts(&valid, ", ");
		tsm_jbuf_puts(&valid, ps[i].id);
	}
	if (valid.err) {
		err = nomem();
		goto done;
	}
	err = tsm_error_set(TSM_ENOTFOUND,
			    "unknown service '%s'; valid services: %s",
			    text ? text : "", n ? valid.buf : "(none)");
done:
	tsm_jbuf_dispose(&valid);
	tsm_product_list_free(ps, n);
	return err;
}

/* TSM_EPERM with a clear message when this member's role is known and is
 * not manager; the op log's rules decide every other case. */
static int must_be_manager(tsm_store *store, const char *what)
{
	tsm_identity id;
	char *role = NULL;
	int err;

	if ((err = tsm_identity_get(&id, store)) < 0)
		return err;
	err = query_text(&role, store,
			 "SELECT role FROM members WHERE id = ?1 AND "
			 "active = 1",
			 id.member);
	if (err == 0 && role && strcmp(role, "manager") != 0)
		err = tsm_error_set(TSM_EPERM,
				    "only managers may %s (member '%s' has "
				    "the role %s)",
				    what, id.member, role);
	free(role);
	return err;
}

/* 1 in *out when the team holds rows for product id. */
static int team_has_product(int *out, tsm_store *store, const char *id)
{
	char *one = NULL;
	int err;

	err = query_text(&one, store,
			 "SELECT '1' FROM products WHERE id = ?1 LIMIT 1", id);
	*out = one != NULL;
	free(one);
	return err;
}

/* 1 in *out when the log holds an accepted op on product id. */
static int product_logged(int *out, tsm_store *store, const char *id)
{
	char *one = NULL;
	int err;

	err = query_text(&one, store,
			 "SELECT '1' FROM ops WHERE etype = 'product' AND "
			 "eid = ?1 AND status <> 'rejected' LIMIT 1",
			 id);
	*out = one != NULL;
	free(one);
	return err;
}

static int check_product_name(const char *what, const char *s)
{
	if (s == NULL || !tsm_name_valid(s))
		return tsm_error_set(TSM_EINVALID,
				     "invalid %s '%s': 1 to %d bytes of text "
				     "without control characters",
				     what, s ? s : "", TSM_NAME_MAX - 1);
	return 0;
}

/* Writes a product's fields as one create (when the log has no op on it)
 * or as one set per field. */
static int product_write(tsm_store *store, const char *id, const char *name,
			 const char *name_zh, int term, int active,
			 int has_active)
{
	tsm_op_spec specs[4];
	char *vals[4] = {NULL};
	tsm_jbuf b;
	size_t n = 0, i;
	int logged, err;

	tsm_jbuf_init(&b);
	if ((err = product_logged(&logged, store, id)) < 0)
		goto done;
	if (!logged) {
		tsm_jbuf_puts(&b, "{\"name\":");
		tsm_jbuf_str(&b, name);
		if (name_zh) {
			tsm_jbuf_puts(&b, ",\"name_zh\":");
			tsm_jbuf_str(&b, name_zh);
		}
		if (term > 0) {
			tsm_jbuf_puts(&b, ",\"default_term\":");
			tsm_jbuf_int(&b, term);
		}
		if (has_active)
			tsm_jbuf_puts(&b, active ? ",\"active\":true"
						 : ",\"active\":false");
		tsm_jbuf_putc(&b, '}');
		if (b.err) {
			err = nomem();
			goto done;
		}
		vals[0] = tsm_jbuf_detach(&b, NULL);
		specs[0] =
		    (tsm_op_spec){"product", id, "create", NULL, vals[0]};
		err = tsm_ops_append(NULL, store, specs, 1);
		goto done;
	}
	/* Re-adding after every field was removed: one set per field. */
	tsm_jbuf_str(&b, name);
	vals[n] = tsm_jbuf_detach(&b, NULL);
	specs[n] = (tsm_op_spec){"product", id, "set", "name", vals[n]};
	n++;
	if (name_zh)
		tsm_jbuf_str(&b, name_zh);
	else
		tsm_jbuf_puts(&b, "null");
	vals[n] = tsm_jbuf_detach(&b, NULL);
	specs[n] = (tsm_op_spec){"product", id, "set", "name_zh", vals[n]};
	n++;
	if (term > 0)
		tsm_jbuf_int(&b, term);
	else
		tsm_jbuf_puts(&b, "null");
	vals[n] = tsm_jbuf_detach(&b, NULL);
	specs[n] = (tsm_op_spec){"product", id, "set", "default_term", vals[n]};
	n++;
	tsm_jbuf_puts(&b, !has_active || active ? "true" : "false");
	vals[n] = tsm_jbuf_detach(&b, NULL);
	specs[n] = (tsm_op_spec){"product", id, "set", "active", vals[n]};
	n++;
	for (i = 0; i < n; i++)
		if (vals[i] == NULL) {
			err = nomem();
			goto done;
		}
	err = tsm_ops_append(NULL, store, specs, n);
done:
	for (i = 0; i < 4; i++)
		free(vals[i]);
	tsm_jbuf_dispose(&b);
	return err;
}

int tsm_product_add(tsm_store *store, const char *id, const char *name,
		    const char *name_zh, int default_term)
{
	int has, err;

	if (!product_id_valid(id))
		return tsm_error_set(TSM_EINVALID,
				     "invalid product id '%s': use 1 to %d of "
				     "a-z, 0-9 and '-'",
				     id ? id : "", TSM_PRODUCT_ID_MAX - 1);
	if ((err = check_product_name("name", name)) < 0)
		return err;
	if (name_zh && *name_zh == '\0')
		name_zh = NULL;
	if (name_zh && (err = check_product_name("Chinese name", name_zh)) < 0)
		return err;
	if (default_term < 0 || default_term > TERM_MAX)
		return tsm_error_set(TSM_EINVALID,
				     "invalid default term %d: 1 to %d months",
				     default_term, TERM_MAX);
	if ((err = team_has_product(&has, store, id)) < 0)
		return err;
	if (has)
		return tsm_error_set(TSM_EEXISTS,
				     "product '%s' exists; use 'tsm product "
				     "set'",
				     id);
	if ((err = must_be_manager(store, "edit products")) < 0)
		return err;
	return product_write(store, id, name, name_zh, default_term, 1, 0);
}

static int parse_bool(int *out, const char *s)
{
	static const char *const yes[] = {"true", "yes", "1", "on"};
	static const char *const no[] = {"false", "no", "0", "off"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (eq_ci(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (eq_ci(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int tsm_order_term_parse(int *out, const char *text)
{
	char *end;
	long v;

	if (text == NULL || *text < '0' || *text > '9')
		goto bad;
	v = strtol(text, &end, 10);
	if (*end != '\0' || v < 1 || v > TERM_MAX)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	return tsm_error_set(TSM_EINVALID,
			     "invalid term '%s': 1 to %d months",
			     text ? text : "", TERM_MAX);
}

int tsm_product_set(tsm_store *store, const char *id, const char *field,
		    const char *value)
{
	tsm_product *ps = NULL, *p = NULL;
	tsm_op_spec spec;
	char *json = NULL;
	tsm_jbuf b;
	size_t n = 0, i;
	int team, term = 0, active = 1, err;

	tsm_jbuf_init(&b);
	if (value == NULL)
		value = "";
	if (strcmp(field, "name") == 0) {
		err = check_product_name("name", value);
		tsm_jbuf_str(&b, value);
	} else if (strcmp(field, "name_zh") == 0) {
		err = *value ? check_product_name("Chinese name", value) : 0;
		if (*value)
			tsm_jbuf_str(&b, value);
		else
			tsm_jbuf_puts(&b, "null");
	} else if (strcmp(field, "default_term") == 0) {
		if (eq_ci(value, "none") || *value == '\0') {
			err = 0;
			tsm_jbuf_puts(&b, "null");
		} else if (tsm_order_term_parse(&term, value) < 0) {
			err = tsm_error_set(TSM_EINVALID,
					    "invalid default_term '%s': 1 to "
					    "%d months, or none",
					    value, TERM_MAX);
		} else {
			err = 0;
			tsm_jbuf_int(&b, term);
		}
	} else if (strcmp(field, "active") == 0) {
		if (parse_bool(&active, value) < 0) {
			err = tsm_error_set(TSM_EINVALID,
					    "invalid active '%s': true or "
					    "false",
					    value);
		} else {
			err = 0;
			tsm_jbuf_puts(&b, active ? "true" : "false");
		}
	} else {
		err = tsm_error_set(TSM_EINVALID,
				    "unknown product field '%s'; fields are "
				    "name, name_zh, default_term, active",
				    field);
	}
	if (err < 0)
		goto done;
	if (b.err) {
		err = nomem();
		goto done;
	}
	if ((err = products_all(&ps, &n, store)) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (strcmp(ps[i].id, id) == 0)
			p = &ps[i];
	if (p == NULL) {
		err = tsm_error_set(TSM_ENOTFOUND, "no product '%s'", id);
		goto done;
	}
	if ((err = must_be_manager(store, "edit products")) < 0)
		goto done;
	if ((err = team_has_product(&team, store, id)) < 0)
		goto done;
	if (!team) {
		/* The team's first copy of a built-in, with this change. */
		const struct builtin_product *bp = builtin_product(id);

		if (strcmp(field, "name") == 0)
			err = product_write(store, id, value, bp->name_zh,
					    bp->term, 1, 0);
		else if (strcmp(field, "name_zh") == 0)
			err = product_write(store, id, bp->name,
					    *value ? value : NULL, bp->term, 1,
					    0);
		else if (strcmp(field, "default_term") == 0)
			err = product_write(store, id, bp->name, bp->name_zh,
					    term, 1, 0);
		else
			err = product_write(store, id, bp->name, bp->name_zh,
					    bp->term, active, 1);
		goto done;
	}
	json = tsm_jbuf_detach(&b, NULL);
	spec = (tsm_op_spec){"product", id, "set", field, json};
	err = tsm_ops_append(NULL, store, &spec, 1);
done:
	free(json);
	tsm_jbuf_dispose(&b);
	tsm_product_list_free(ps, n);
	return err;
}

/* ---- orders ---- */

void tsm_order_op_dispose(tsm_order_op *op)
{
	if (op == NULL)
		return;
	free(op->value);
	memset(op, 0, sizeof(*op));
}

/* The live customer id names, following a merge to its survivor, into out
 * (TSM_CUSTOMER_ID_MAX bytes). */
static int order_customer(char *out, tsm_store *store, const char *id)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const unsigned char *into;
	char cur[TSM_CUSTOMER_ID_MAX];
	int rc, err = 0, hops;

	if (id == NULL || *id == '\0' || strlen(id) >= sizeof(cur))
		return tsm_error_set(TSM_ENOTFOUND, "no customer '%s'",
				     id ? id : "");
	memcpy(cur, id, strlen(id) + 1);
	rc = sqlite3_prepare_v2(db,
				"SELECT deleted, merged_into FROM customers "
				"WHERE id = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return tsm_error_sqlite(db, rc, "read customer");
	for (hops = 0; hops < 2; hops++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, cur, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			err = tsm_error_set(TSM_ENOTFOUND, "no customer '%s'",
					    id);
			goto done;
		}
		if (rc != SQLITE_ROW) {
			err = tsm_error_sqlite(db, rc, "read customer");
			goto done;
		}
		into = sqlite3_column_text(st, 1);
		if (into && *into && hops == 0 &&
		    strlen((const char *)into) < sizeof(cur)) {
			memcpy(cur, into, strlen((const char *)into) + 1);
			continue;
		}
		if (sqlite3_column_int(st, 0)) {
			err = tsm_error_set(TSM_ENOTFOUND,
					    "customer '%s' is deleted", id);
			goto done;
		}
		memcpy(out, cur, strlen(cur) + 1);
		goto done;
	}
	err = tsm_error_set(TSM_ENOTFOUND, "no customer '%s'", id);
done:
	sqlite3_finalize(st);
	return err;
}

static int today_local(char out[11])
{
	time_t t = (time_t)(tsm_clock_now_ms() / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		return tsm_error_set(TSM_EIO, "cannot read the local date");
	return 0;
}

int tsm_order_op_build(tsm_order_op *out, tsm_store *store,
		       const tsm_order_new *o)
{
	char cust[TSM_CUSTOMER_ID_MAX], start[11], hex[13];
	unsigned char rnd[6];
	tsm_product *ps = NULL;
	size_t n = 0, i;
	int term, y, m, d, err;
	tsm_jbuf b;

	memset(out, 0, sizeof(*out));
	tsm_jbuf_init(&b);
	if (o->amount_fen <= 0) {
		err = tsm_error_set(TSM_EINVALID,
				    o->amount_fen < 0
					? "amount must not be negative"
					: "amount must be greater than "
					  "zero");
		goto done;
	}
	if (o->amount_fen > TSM_MONEY_MAX_FEN) {
		err = tsm_error_set(TSM_EINVALID, "amount too large");
		goto done;
	}
	if (o->term_months < 0 || o->term_months > TERM_MAX) {
		err = tsm_error_set(TSM_EINVALID,
				    "invalid term %d: 1 to %d months",
				    o->term_months, TERM_MAX);
		goto done;
	}
	if (o->start) {
		if (ymd_parse(&y, &m, &d, o->start) < 0) {
			err = bad_date("start", o->start);
			goto done;
		}
		memcpy(start, o->start, 11);
	} else if ((err = today_local(start)) < 0) {
		goto done;
	}
	if (o->note && *o->note && !text_ok(o->note, NOTE_MAX)) {
		err = tsm_error_set(TSM_EINVALID,
				    "invalid note: 1 to %d bytes of text "
				    "without control characters",
				    NOTE_MAX);
		goto done;
	}
	if ((err = order_customer(cust, store, o->customer)) < 0)
		goto done;
	if ((err = tsm_product_resolve(out->service, store, o->service)) < 0)
		goto done;
	term = o->term_months;
	if (term == 0) {
		if ((err = tsm_product_list(&ps, &n, store, 0)) < 0)
			goto done;
		for (i = 0; i < n; i++)
			if (strcmp(ps[i].id, out->service) == 0)
				term = ps[i].default_term;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	snprintf(out->id, sizeof(out->id), "o%s", hex);
	/* Keys in canonical (sorted) order. */
	tsm_jbuf_puts(&b, "{\"amount_fen\":");
	tsm_jbuf_int(&b, o->amount_fen);
	tsm_jbuf_puts(&b, ",\"customer\":");
	tsm_jbuf_str(&b, cust);
	if (o->note && *o->note) {
		tsm_jbuf_puts(&b, ",\"note\":");
		tsm_jbuf_str(&b, o->note);
	}
	tsm_jbuf_puts(&b, ",\"service\":");
	tsm_jbuf_str(&b, out->service);
	tsm_jbuf_puts(&b, ",\"start\":");
	tsm_jbuf_str(&b, start);
	if (term > 0) {
		tsm_jbuf_puts(&b, ",\"term_months\":");
		tsm_jbuf_int(&b, term);
	}
	tsm_jbuf_putc(&b, '}');
	if (b.err) {
		err = nomem();
		goto done;
	}
	out->value = tsm_jbuf_detach(&b, NULL);
	out->spec = (tsm_op_spec){"order", out->id, "create", NULL, out->value};
	err = 0;
done:
	tsm_jbuf_dispose(&b);
	tsm_product_list_free(ps, n);
	if (err < 0)
		tsm_order_op_dispose(out);
	return err;
}

int tsm_order_add(char *out, tsm_store *store, const tsm_order_new *o)
{
	tsm_order_op op;
	int err;

	if ((err = tsm_order_op_build(&op, store, o)) < 0)
		return err;
	/* The spec points into op: refresh after the struct settled. */
	op.spec.eid = op.id;
	op.spec.value = op.value;
	err = tsm_ops_append(NULL, store, &op.spec, 1);
	if (err == 0 && out)
		memcpy(out, op.id, sizeof(op.id));
	tsm_order_op_dispose(&op);
	return err;
}

static void order_dispose(tsm_order *o)
{
	free(o->id);
	free(o->customer);
	free(o->customer_name);
	free(o->service);
	free(o->service_name);
	free(o->start);
	free(o->status);
	free(o->note);
	free(o->created_by);
	memset(o, 0, sizeof(*o));
}

void tsm_order_list_free(tsm_order *o, size_t n)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < n; i++)
		order_dispose(&o[i]);
	free(o);
}

static const char SQL_ORDERS[] =
    "SELECT o.id, o.customer, c.name, o.service, o.amount_fen, "
    "o.term_months, o.start, o.status, o.note, o.created_by, "
    "o.created_at FROM orders o LEFT JOIN customers c ON c.id = "
    "o.customer WHERE (?1 IS NULL OR o.customer = ?1) AND (?2 IS NULL "
    "OR o.created_by = ?2) AND (?3 IS NULL OR o.created_at >= ?3) AND "
    "(?4 IS NULL OR o.created_at < ?4) AND (?5 OR o.created_by = ?6 OR "
    "c.owner = ?6 OR c.created_by = ?6) ORDER BY o.created_at, "
    "(SELECT min(hlc) FROM ops WHERE etype = 'order' AND eid = o.id AND "
    "action = 'create'), o.id";

static char *col_dup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *p;

	if (t == NULL)
		return NULL;
	p = dup((const char *)t);
	if (p == NULL)
		*oom = 1;
	return p;
}

int tsm_order_list(tsm_order **out, size_t *n, tsm_store *store,
		   const tsm_order_filter *filter)
{
	static const tsm_order_filter none = TSM_ORDER_FILTER_INIT;
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_order *arr = NULL, *o, *p;
	tsm_product *ps = NULL;
	size_t len = 0, cap = 0, nps = 0, i;
	tsm_viewer viewer;
	int64_t from = 0, to = 0;
	int rc, err, oom = 0;

	*out = NULL;
	*n = 0;
	if (filter == NULL)
		filter = &none;
	if (filter->from &&
	    (err = day_start_ms(&from, filter->from, 0, "from")) < 0)
		return err;
	if (filter->to && (err = day_start_ms(&to, filter->to, 1, "to")) < 0)
		return err;
	if (filter->from && filter->to && to <= from)
		return tsm_error_set(TSM_EINVALID,
				     "the date range ends (%s) before it "
				     "starts (%s)",
				     filter->to, filter->from);
	if ((err = tsm_viewer_get(&viewer, store)) < 0)
		return err;
	if ((err = tsm_product_list(&ps, &nps, store, 1)) < 0)
		return err;
	rc = sqlite3_prepare_v2(db, SQL_ORDERS, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(db, rc, "list orders");
		goto done;
	}
	if (filter->customer)
		sqlite3_bind_text(st, 1, filter->customer, -1, SQLITE_STATIC);
	if (filter->member)
		sqlite3_bind_text(st, 2, filter->member, -1, SQLITE_STATIC);
	if (filter->from)
		sqlite3_bind_int64(st, 3, from);
	if (filter->to)
		sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int(st, 5, viewer.all);
	sqlite3_bind_text(st, 6, viewer.member, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			p = realloc(arr, cap * sizeof(*arr));
			if (p == NULL) {
				err = nomem();
				goto done;
			}
			arr = p;
		}
		o = &arr[len++];
		memset(o, 0, sizeof(*o));
		o->id = col_dup(st, 0, &oom);
		o->customer = col_dup(st, 1, &oom);
		o->customer_name = col_dup(st, 2, &oom);
		o->service = col_dup(st, 3, &oom);
		o->amount_fen = sqlite3_column_int64(st, 4);
		o->term_months = sqlite3_column_int(st, 5);
		o->start = col_dup(st, 6, &oom);
		o->status = col_dup(st, 7, &oom);
		o->note = col_dup(st, 8, &oom);
		o->created_by = col_dup(st, 9, &oom);
		o->created_at = sqlite3_column_int64(st, 10);
		if (oom || o->id == NULL || o->service == NULL) {
			err = nomem();
			goto done;
		}
		for (i = 0; i < nps; i++) {
			if (strcmp(ps[i].id, o->service) != 0)
				continue;
			o->service_name =
			    dup(ps[i].name_zh ? ps[i].name_zh : ps[i].name);
			if (o->service_name == NULL) {
				err = nomem();
				goto done;
			}
		}
		if (o->service_name == NULL &&
		    (o->service_name = dup(o->service)) == NULL) {
			err = nomem();
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "list orders");
		goto done;
	}
	*out = arr;
	*n = len;
	arr = NULL;
	len = 0;
	err = 0;
done:
	sqlite3_finalize(st);
	tsm_order_list_free(arr, len);
	tsm_product_list_free(ps, nps);
	return err;
}
