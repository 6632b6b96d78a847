/* tsm/order.h — orders (service from the team's product list, amount in
 * integer fen, term in months, start date) and the product list itself
 * (team data edited by managers, with built-in defaults).
 * Ownership: arrays you get through **out are malloc'd and yours; free them
 * with the _free function named below. */
#ifndef TSM_ORDER_H
#define TSM_ORDER_H

#include "tsm/money.h"
#include "tsm/ops.h"
#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- products ---- */

/* Product ids: 1..47 bytes of [a-z0-9-], starting with a letter or digit. */
#define TSM_PRODUCT_ID_MAX 48

/* The built-in products, listed while the team has not overridden them
 * (a team product with the same id overrides; `active` false retires one):
 * retainer 法律顧問 (12 months), contract-review 合同審查, litigation
 * 訴訟代理, compliance-audit 合規審查, ip-registration 知識產權登記,
 * labor-dispute 勞動爭議. */

typedef struct tsm_product {
	char *id;
	char *name;	  /* English name */
	char *name_zh;	  /* Chinese name, NULL when none */
	int default_term; /* months, 0 when none */
	int active;	  /* 0: retired, not offered for new orders */
	int builtin; /* 1: a built-in default the team has not overridden */
} tsm_product;

void tsm_product_list_free(tsm_product *p, size_t n);

/* Lists the products (team products and the built-ins they do not
 * override), sorted by id; retired ones only with include_retired. */
int tsm_product_list(tsm_product **out, size_t *n, tsm_store *store,
		     int include_retired);

/* Finds the active product whose id, name or name_zh equals text (ids and
 * English names case-insensitively) and writes its id into out
 * (TSM_PRODUCT_ID_MAX bytes). TSM_ENOTFOUND with a message listing the
 * valid ids when none matches. */
int tsm_product_resolve(char *out, tsm_store *store, const char *text);

/* Parses a term in months: a decimal integer from 1 to 1200 (a hundred
 * years), nothing else. Returns 0, or TSM_EINVALID with a message. */
int tsm_order_term_parse(int *out, const char *text);

/* Adds a team product (managers). name_zh may be NULL, default_term 0 for
 * none. TSM_EEXISTS when the team has that id (a built-in may be
 * overridden), TSM_EINVALID for a bad id, name or term, TSM_EPERM when
 * this member may not. */
int tsm_product_add(tsm_store *store, const char *id, const char *name,
		    const char *name_zh, int default_term);

/* Sets one field of a product (managers): name, name_zh (value "" clears
 * it), default_term (a positive integer, or "none"), active (true/false,
 * yes/no, 1/0). Setting a field of a built-in not yet overridden creates
 * the team's copy. TSM_ENOTFOUND for an unknown product, TSM_EINVALID for
 * an unknown field or bad value. */
int tsm_product_set(tsm_store *store, const char *id, const char *field,
		    const char *value);

/* ---- orders ---- */

/* Order ids: "o" + 12 lowercase hex digits. */
#define TSM_ORDER_ID_MAX 16

/* What an order is made of. Strings are borrowed for the call. */
typedef struct tsm_order_new {
	const char *customer; /* an exact customer id */
	const char *service;  /* product id or name (see tsm_product_resolve) */
	int64_t amount_fen;   /* > 0 and <= TSM_MONEY_MAX_FEN */
	int term_months;      /* > 0; 0: the product's default term, if any */
	const char *start;    /* "YYYY-MM-DD"; NULL: today (local) */
	const char *note;     /* NULL when none */
} tsm_order_new;

#define TSM_ORDER_NEW_INIT                                                     \
	{                                                                      \
		NULL, NULL, 0, 0, NULL, NULL                                   \
	}

/* An order create op ready for tsm_ops_append, e.g. next to the call it
 * came from so that both are written atomically. Fill it with
 * tsm_order_op_build() and release it with tsm_order_op_dispose(). */
typedef struct tsm_order_op {
	tsm_op_spec spec;		  /* points into this struct */
	char id[TSM_ORDER_ID_MAX];	  /* the new order's id */
	char service[TSM_PRODUCT_ID_MAX]; /* the resolved product id */
	char *value;			  /* the create's JSON (owned) */
} tsm_order_op;

/* Validates o against the store (the customer exists and is not deleted:
 * TSM_ENOTFOUND; the service resolves; amount, term, start and note valid:
 * TSM_EINVALID with a message) and builds the create op with a fresh id.
 * Nothing is written. */
int tsm_order_op_build(tsm_order_op *out, tsm_store *store,
		       const tsm_order_new *o);
void tsm_order_op_dispose(tsm_order_op *op);

/* Builds and appends the order in one step; out (may be NULL) receives its
 * id (TSM_ORDER_ID_MAX bytes). Errors of tsm_order_op_build() and
 * tsm_ops_append() (TSM_EPERM when the rules refuse it: an agent's order on
 * a customer they neither created nor own). */
int tsm_order_add(char *out, tsm_store *store, const tsm_order_new *o);

typedef struct tsm_order {
	char *id;
	char *customer;	     /* the customer id (the survivor after merges) */
	char *customer_name; /* NULL when none */
	char *service;	     /* product id as recorded */
	char *service_name;  /* the product's display name, else the id */
	int64_t amount_fen;
	int term_months;    /* 0 when none */
	char *start;	    /* "YYYY-MM-DD" or NULL */
	char *status;	    /* NULL when none */
	char *note;	    /* NULL when none */
	char *created_by;   /* member id */
	int64_t created_at; /* ms */
} tsm_order;

void tsm_order_list_free(tsm_order *o, size_t n);

/* Filters for tsm_order_list(); NULL / 0 fields do not filter. */
typedef struct tsm_order_filter {
	const char *customer; /* exact customer id */
	const char *member;   /* who recorded the order */
	const char *from;     /* "YYYY-MM-DD": recorded on or after that day */
	const char *to;	      /* "YYYY-MM-DD": recorded on or before that day */
} tsm_order_filter;

#define TSM_ORDER_FILTER_INIT                                                  \
	{                                                                      \
		NULL, NULL, NULL, NULL                                         \
	}

/* Lists orders matching filter (NULL: all), oldest first (by the clock of
 * the op that recorded them); an agent sees the orders they recorded and
 * those of the customers they may see. Bad dates give TSM_EINVALID. */
int tsm_order_list(tsm_order **out, size_t *n, tsm_store *store,
		   const tsm_order_filter *filter);

#ifdef __cplusplus
}
#endif
#endif
