/* core/json.h — JSON for core: strict parsing, a small tree builder and the
 * canonical form (object keys sorted bytewise, no whitespace, integers
 * without exponent). The only module that touches cJSON; nothing outside
 * core/json.c sees a cJSON type.
 * Ownership: a tsm_json you get from tsm_json_parse() or tsm_json_new_*() is
 * yours until you free it with tsm_json_free() or hand it to tsm_json_put();
 * pointers returned by the getters are borrowed and live as long as the tree.
 * Strings from tsm_json_print*() are malloc'd: release them with free(). */
#ifndef TSM_CORE_JSON_H
#define TSM_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "tsm/common.h"

typedef struct tsm_json tsm_json;

enum {
	TSM_JSON_NULL = 1,
	TSM_JSON_FALSE,
	TSM_JSON_TRUE,
	TSM_JSON_NUMBER,
	TSM_JSON_STRING,
	TSM_JSON_ARRAY,
	TSM_JSON_OBJECT
};

/* The largest integer JSON carries exactly (2^53). */
#define TSM_JSON_INT_MAX 9007199254740992LL

/* ---- reading ---- */

/* Parses exactly one JSON value from text[0..len) (no trailing bytes but
 * whitespace). Strict: strings must be well-formed UTF-8 without NUL,
 * objects must not repeat a key, nesting is limited. TSM_EINVALID with a
 * message on bad input. */
int tsm_json_parse(tsm_json **out, const char *text, size_t len);

/* Frees a tree from parse or new_*; NULL is allowed. */
void tsm_json_free(tsm_json *v);

/* The TSM_JSON_* type of v; 0 when v is NULL. */
int tsm_json_type(const tsm_json *v);

/* The member key of an object, or NULL when v is not an object or has no
 * such key. */
const tsm_json *tsm_json_get(const tsm_json *obj, const char *key);

/* Iteration over an array's items or an object's members: first child (NULL
 * when none), the next sibling (NULL at the end), a member's key. */
const tsm_json *tsm_json_first(const tsm_json *v);
const tsm_json *tsm_json_next(const tsm_json *item);
const char *tsm_json_key(const tsm_json *item);

/* Number of items of an array or members of an object; 0 otherwise. */
size_t tsm_json_count(const tsm_json *v);

/* The string value, or NULL when v is not a string. */
const char *tsm_json_string(const tsm_json *v);

/* The value of an integral number within +-2^53, else TSM_EINVALID (no
 * message is set: callers phrase their own). */
int tsm_json_int(int64_t *out, const tsm_json *v);

/* 1 for true, 0 for false; TSM_EINVALID when v is not a boolean. */
int tsm_json_bool(const tsm_json *v);

/* Nonzero if two trees are equal as JSON values (key order ignored). */
int tsm_json_equal(const tsm_json *a, const tsm_json *b);

/* ---- building ---- */

/* New empty containers and scalars; NULL when out of memory. */
tsm_json *tsm_json_new_object(void);
tsm_json *tsm_json_new_array(void);
tsm_json *tsm_json_new_string(const char *s); /* NULL s gives null */
tsm_json *tsm_json_new_int(int64_t v);
tsm_json *tsm_json_new_bool(int v);
tsm_json *tsm_json_new_null(void);

/* Deep copy; NULL when out of memory. */
tsm_json *tsm_json_dup(const tsm_json *v);

/* Adds child under key to an object (replacing a member of that name), or
 * appends it to an array when key is NULL. Takes ownership of child, also on
 * failure. TSM_ENOMEM / TSM_EINVALID. */
int tsm_json_put(tsm_json *obj, const char *key, tsm_json *child);

/* Shorthands for tsm_json_put() with a new scalar. */
int tsm_json_put_string(tsm_json *obj, const char *key, const char *s);
int tsm_json_put_int(tsm_json *obj, const char *key, int64_t v);
int tsm_json_put_bool(tsm_json *obj, const char *key, int v);
int tsm_json_put_null(tsm_json *obj, const char *key);

/* ---- canonical text ---- */

/* Prints v canonically into a new string: no whitespace, object members
 * sorted by key (bytewise), integers in decimal, other numbers with 17
 * significant digits, strings with the minimal escapes. */
int tsm_json_print(char **out, const tsm_json *v);

/* Parses text strictly and prints it canonically (validation and
 * normalization in one step). */
int tsm_json_canonical(char **out, const char *text, size_t len);

/* Reads the string member key of the top level of a JSON object text
 * without building a tree (for hot paths over stored, canonical JSON).
 * Copies it into out (cap bytes). Returns 1 when found, 0 when the object
 * has no such member, -1 when text is not an object, the member is not a
 * plain string (escapes) or it does not fit: then parse the text. */
int tsm_json_peek_string(char *out, size_t cap, const char *text,
			 const char *key);

/* Walks the elements of a JSON array text without building a tree, so a
 * big array is parsed one element at a time. text must be NUL-terminated.
 * tsm_json_items_next() sets *item and *len to the next element's text
 * (still unparsed, unvalidated) and returns 1, returns 0 after the last,
 * and TSM_EINVALID (message set) when the text is not an array of
 * well-delimited values with nothing after it. */
typedef struct tsm_json_items {
	const char *p;
	int state; /* 0 before '[', 1 inside, 2 done */
} tsm_json_items;

void tsm_json_items_init(tsm_json_items *it, const char *text);
int tsm_json_items_next(tsm_json_items *it, const char **item, size_t *len);

/* ---- a growable byte buffer for writing JSON by hand ---- */

/* The pointer is never NULL after tsm_jbuf_init (an empty string); after an
 * allocation failure further writes are ignored and err is TSM_ENOMEM. */
typedef struct tsm_jbuf {
	char *buf;
	size_t len;
	size_t cap;
	int err;
} tsm_jbuf;

void tsm_jbuf_init(tsm_jbuf *b);
void tsm_jbuf_dispose(tsm_jbuf *b);
/* Hands the NUL-terminated text to the caller (free() it) and resets b. */
char *tsm_jbuf_detach(tsm_jbuf *b, size_t *len);
void tsm_jbuf_put(tsm_jbuf *b, const char *s, size_t n);
void tsm_jbuf_puts(tsm_jbuf *b, const char *s);
void tsm_jbuf_putc(tsm_jbuf *b, char c);
/* Writes s as a JSON string literal (quotes and minimal escapes). */
void tsm_jbuf_str(tsm_jbuf *b, const char *s);
void tsm_jbuf_int(tsm_jbuf *b, int64_t v);

#endif
