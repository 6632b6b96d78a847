/* core/json.c — strict JSON parsing, tree building and canonical printing
 * over cJSON, the only file of tsm that includes cJSON. */
#include "json.h"
#include "error.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h> /* isfinite only: core does not link libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Our opaque type is cJSON itself. */
#define CJ(v) ((cJSON *)(v))
#define CCJ(v) ((const cJSON *)(v))

#define MAX_DEPTH 64

/* ---- validation after parsing ---- */

static int utf8_valid(const unsigned char *s)
{
	unsigned long cp;
	int n, i;

	while (*s) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1;
			cp = *s & 0x1f;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2;
			cp = *s & 0x0f;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3;
			cp = *s & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

static int check_tree(const cJSON *v, int depth)
{
	const cJSON *c, *d;

	if (depth > MAX_DEPTH)
		return tsm_error_set(TSM_EINVALID, "json nested too deeply");
	if (cJSON_IsString(v) &&
	    !utf8_valid((const unsigned char *)v->valuestring))
		return tsm_error_set(TSM_EINVALID,
				     "json string is not valid utf-8");
	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
		return tsm_error_set(TSM_EINVALID, "json number out of range");
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return 0;
	for (c = v->child; c; c = c->next) {
		if (cJSON_IsObject(v)) {
			if (!utf8_valid((const unsigned char *)c->string))
				return tsm_error_set(TSM_EINVALID,
						     "json key is not valid "
						     "utf-8");
			for (d = v->child; d != c; d = d->next)
				if (strcmp(d->string, c->string) == 0)
					return tsm_error_set(
					    TSM_EINVALID,
					    "json object repeats key '%s'",
					    c->string);
		}
		if (check_tree(c, depth + 1) < 0)
			return TSM_EINVALID;
	}
	return 0;
}

int tsm_json_parse(tsm_json **out, const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *v;
	size_t i;

	*out = NULL;
	if (text == NULL || len == 0)
		return tsm_error_set(TSM_EINVALID, "empty json");
	v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (v == NULL) {
		if (end == NULL)
			end = cJSON_GetErrorPtr();
		if (end != NULL && end >= text && end <= text + len)
			return tsm_error_set(TSM_EINVALID,
					     "malformed json at byte %zu",
					     (size_t)(end - text));
		return tsm_error_set(TSM_EINVALID, "malformed json");
	}
	for (i = (size_t)(end - text); i < len; i++) {
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' &&
		    text[i] != '\t') {
			cJSON_Delete(v);
			return tsm_error_set(TSM_EINVALID,
					     "trailing bytes after json at "
					     "byte %zu",
					     i);
		}
	}
	if (check_tree(v, 0) < 0) {
		cJSON_Delete(v);
		return TSM_EINVALID;
	}
	*out = (tsm_json *)v;
	return 0;
}

void tsm_json_free(tsm_json *v)
{
	cJSON_Delete(CJ(v));
}

int tsm_json_type(const tsm_json *v)
{
	if (v == NULL)
		return 0;
	switch (CCJ(v)->type & 0xff) {
	case cJSON_NULL:
		return TSM_JSON_NULL;
	case cJSON_False:
		return TSM_JSON_FALSE;
	case cJSON_True:
		return TSM_JSON_TRUE;
	case cJSON_Number:
		return TSM_JSON_NUMBER;
	case cJSON_String:
		return TSM_JSON_STRING;
	case cJSON_Array:
		return TSM_JSON_ARRAY;
	case cJSON_Object:
		return TSM_JSON_OBJECT;
	default:
		return 0;
	}
}

const tsm_json *tsm_json_get(const tsm_json *obj, const char *key)
{
	const cJSON *c;

	if (!cJSON_IsObject(CCJ(obj)))
		return NULL;
	for (c = CCJ(obj)->child; c; c = c->next)
		if (strcmp(c->string, key) == 0)
			return (const tsm_json *)c;
	return NULL;
}

const tsm_json *tsm_json_first(const tsm_json *v)
{
	if (!cJSON_IsArray(CCJ(v)) && !cJSON_IsObject(CCJ(v)))
		return NULL;
	return (const tsm_json *)CCJ(v)->child;
}

const tsm_json *tsm_json_next(const tsm_json *item)
{
	return item ? (const tsm_json *)CCJ(item)->next : NULL;
}

const char *tsm_json_key(const tsm_json *item)
{
	return item ? CCJ(item)->string : NULL;
}

size_t tsm_json_count(const tsm_json *v)
{
	const tsm_json *c;
	size_t n = 0;

	for (c = tsm_json_first(v); c; c = tsm_json_next(c))
		n++;
	return n;
}

const char *tsm_json_string(const tsm_json *v)
{
	return cJSON_IsString(CCJ(v)) ? CCJ(v)->valuestring : NULL;
}

/* An integral double within +-2^53 (exactly representable). */
static int is_int(double d)
{
	return isfinite(d) && d <= (double)TSM_JSON_INT_MAX &&
	       d >= -(double)TSM_JSON_INT_MAX && d == (double)(int64_t)d;
}

int tsm_json_int(int64_t *out, const tsm_json *v)
{
	double d;

	if (!cJSON_IsNumber(CCJ(v)))
		return TSM_EINVALID;
	d = CCJ(v)->valuedouble;
	if (!is_int(d))
		return TSM_EINVALID;
	*out = (int64_t)d;
	return 0;
}

int tsm_json_bool(const tsm_json *v)
{
	if (cJSON_IsTrue(CCJ(v)))
		return 1;
	if (cJSON_IsFalse(CCJ(v)))
		return 0;
	return TSM_EINVALID;
}

int tsm_json_equal(const tsm_json *a, const tsm_json *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return cJSON_Compare(CCJ(a), CCJ(b), 1) ? 1 : 0;
}

/* ---- building ---- */

tsm_json *tsm_json_new_object(void)
{
	return (tsm_json *)cJSON_CreateObject();
}

tsm_json *tsm_json_new_array(void)
{
	return (tsm_json *)cJSON_CreateArray();
}

tsm_json *tsm_json_new_string(const char *s)
{
	if (s == NULL)
		return (tsm_json *)cJSON_CreateNull();
	return (tsm_json *)cJSON_CreateString(s);
}

tsm_json *tsm_json_new_int(int64_t v)
{
	if (v > TSM_JSON_INT_MAX || v < -TSM_JSON_INT_MAX)
		return NULL;
	return (tsm_json *)cJSON_CreateNumber((double)v);
}

tsm_json *tsm_json_new_bool(int v)
{
	return (tsm_json *)cJSON_CreateBool(v != 0);
}

tsm_json *tsm_json_new_null(void)
{
	return (tsm_json *)cJSON_CreateNull();
}

tsm_json *tsm_json_dup(const tsm_json *v)
{
	return (tsm_json *)cJSON_Duplicate(CCJ(v), 1);
}

int tsm_json_put(tsm_json *obj, const char *key, tsm_json *child)
{
	cJSON *o = CJ(obj);

	if (child == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (key == NULL) {
		if (!cJSON_IsArray(o) || !cJSON_AddItemToArray(o, CJ(child))) {
			cJSON_Delete(CJ(child));
			return tsm_error_set(TSM_EINVALID,
					     "json: append to a non-array");
		}
		return 0;
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(CJ(child));
		return tsm_error_set(TSM_EINVALID,
				     "json: put into a non-object");
	}
	if (tsm_json_get(obj, key) != NULL) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(o, key,
							    CJ(child))) {
			cJSON_Delete(CJ(child));
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
		return 0;
	}
	if (!cJSON_AddItemToObject(o, key, CJ(child))) {
		cJSON_Delete(CJ(child));
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	return 0;
}

int tsm_json_put_string(tsm_json *obj, const char *key, const char *s)
{
	return tsm_json_put(obj, key, tsm_json_new_string(s));
}

int tsm_json_put_int(tsm_json *obj, const char *key, int64_t v)
{
	if (v > TSM_JSON_INT_MAX || v < -TSM_JSON_INT_MAX)
		return tsm_error_set(
		    TSM_EINVALID, "json: integer %" PRId64 " out of range", v);
	return tsm_json_put(obj, key, tsm_json_new_int(v));
}

int tsm_json_put_bool(tsm_json *obj, const char *key, int v)
{
	return tsm_json_put(obj, key, tsm_json_new_bool(v));
}

int tsm_json_put_null(tsm_json *obj, const char *key)
{
	return tsm_json_put(obj, key, tsm_json_new_null());
}

/* ---- peeking into stored JSON ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

/* p at '"': the byte after the closing quote, NULL when unterminated. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && *++p == '\0')
			return NULL;
	return *p ? p + 1 : NULL;
}

/* The byte after one value (any type), NULL when malformed. */
static const char *skip_value(const char *p)
{
	int depth = 0;

	do {
		p = skip_ws(p);
		if (*p == '"') {
			p = skip_string(p);
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p == ',' || *p == ':') {
			p++;
		} else if (*p) {
			while (*p && *p != ',' && *p != '}' && *p != ']' &&
			       *p != ' ')
				p++;
		} else {
			return NULL;
		}
	} while (p && depth > 0);
	return p;
}

int tsm_json_peek_string(char *out, size_t cap, const char *text,
			 const char *key)
{
	const char *p = skip_ws(text), *k, *end;
	size_t klen = strlen(key), n;

	if (*p++ != '{')
		return -1;
	for (;;) {
		p = skip_ws(p);
		if (*p == '}')
			return 0;
		if (*p != '"' || (end = skip_string(p)) == NULL)
			return -1;
		k = p + 1;
		p = skip_ws(end);
		if (*p++ != ':')
			return -1;
		p = skip_ws(p);
		if ((size_t)(end - 1 - k) == klen &&
		    memcmp(k, key, klen) == 0) {
			if (*p != '"')
				return -1;
			for (n = 0, k = p + 1; k[n] && k[n] != '"'; n++)
				if (k[n] == '\\')
					return -1;
			if (k[n] != '"' || n >= cap)
				return -1;
			memcpy(out, k, n);
			out[n] = '\0';
			return 1;
		}
		if ((p = skip_value(p)) == NULL)
			return -1;
		p = skip_ws(p);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return -1;
	}
}

void tsm_json_items_init(tsm_json_items *it, const char *text)
{
	it->p = text;
	it->state = 0;
}

int tsm_json_items_next(tsm_json_items *it, const char **item, size_t *len)
{
	const char *p = skip_ws(it->p), *end;

	if (it->state == 2)
		return 0;
	if (it->state == 0) {
		if (*p++ != '[')
			return tsm_error_set(TSM_EINVALID,
					     "malformed json: not an array");
		p = skip_ws(p);
		it->state = 1;
		if (*p == ']')
			goto close;
	} else if (*p == ',') {
		p = skip_ws(p + 1);
	} else if (*p == ']') {
		goto close;
	} else {
		return tsm_error_set(TSM_EINVALID,
				     "malformed json: expected ',' or ']'");
	}
	if (*p == ']' || *p == ',' || *p == '\0' ||
	    (end = skip_value(p)) == NULL)
		return tsm_error_set(TSM_EINVALID,
				     "malformed json: expected a value");
	*item = p;
	*len = (size_t)(end - p);
	it->p = end;
	return 1;
close:
	p = skip_ws(p + 1);
	it->state = 2;
	it->p = p;
	if (*p != '\0')
		return tsm_error_set(TSM_EINVALID, "trailing bytes after json");
	return 0;
}

/* ---- the byte buffer ---- */

void tsm_jbuf_init(tsm_jbuf *b)
{
	static char empty[1];

	b->buf = empty;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void tsm_jbuf_dispose(tsm_jbuf *b)
{
	if (b->cap)
		free(b->buf);
	tsm_jbuf_init(b);
}

static int jbuf_grow(tsm_jbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->err)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = b->cap ? realloc(b->buf, cap) : malloc(cap);
	if (p == NULL) {
		b->err = TSM_ENOMEM;
		return -1;
	}
	if (b->cap == 0)
		p[0] = '\0';
	b->buf = p;
	b->cap = cap;
	return 0;
}

char *tsm_jbuf_detach(tsm_jbuf *b, size_t *len)
{
	char *p;

	if (b->err || jbuf_grow(b, 0) < 0) {
		tsm_jbuf_dispose(b);
		return NULL;
	}
	p = b->buf;
	if (len)
		*len = b->len;
	tsm_jbuf_init(b);
	return p;
}

void tsm_jbuf_put(tsm_jbuf *b, const char *s, size_t n)
{
	if (jbuf_grow(b, n) < 0)
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void tsm_jbuf_puts(tsm_jbuf *b, const char *s)
{
	tsm_jbuf_put(b, s, strlen(s));
}

void tsm_jbuf_putc(tsm_jbuf *b, char c)
{
	tsm_jbuf_put(b, &c, 1);
}

void tsm_jbuf_str(tsm_jbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run;
	char esc[6];

	tsm_jbuf_putc(b, '"');
	while (*p) {
		run = p;
		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			tsm_jbuf_put(b, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		switch (*p) {
		case '"':
			tsm_jbuf_put(b, "\\\"", 2);
			break;
		case '\\':
			tsm_jbuf_put(b, "\\\\", 2);
			break;
		case '\b':
			tsm_jbuf_put(b, "\\b", 2);
			break;
		case '\f':
			tsm_jbuf_put(b, "\\f", 2);
			break;
		case '\n':
			tsm_jbuf_put(b, "\\n", 2);
			break;
		case '\r':
			tsm_jbuf_put(b, "\\r", 2);
			break;
		case '\t':
			tsm_jbuf_put(b, "\\t", 2);
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			tsm_jbuf_put(b, esc, 6);
		}
		p++;
	}
	tsm_jbuf_putc(b, '"');
}

void tsm_jbuf_int(tsm_jbuf *b, int64_t v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	tsm_jbuf_put(b, num, (size_t)n);
}

/* ---- canonical printing ---- */

static int key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static int print_number(tsm_jbuf *b, double d)
{
	char num[40];
	int n;

	if (!isfinite(d))
		return tsm_error_set(TSM_EINVALID, "json number out of range");
	if (is_int(d)) {
		tsm_jbuf_int(b, (int64_t)d);
		return 0;
	}
	n = snprintf(num, sizeof(num), "%.17g", d);
	tsm_jbuf_put(b, num, (size_t)n);
	return 0;
}

static int print_value(tsm_jbuf *b, const cJSON *v, int depth)
{
	const cJSON *c, *stackbuf[16];
	const cJSON **kids;
	size_t n, i;
	int err = 0;

	if (depth > MAX_DEPTH)
		return tsm_error_set(TSM_EINVALID, "json nested too deeply");
	switch (v->type & 0xff) {
	case cJSON_NULL:
		tsm_jbuf_puts(b, "null");
		return 0;
	case cJSON_False:
		tsm_jbuf_puts(b, "false");
		return 0;
	case cJSON_True:
		tsm_jbuf_puts(b, "true");
		return 0;
	case cJSON_Number:
		return print_number(b, v->valuedouble);
	case cJSON_String:
		tsm_jbuf_str(b, v->valuestring);
		return 0;
	case cJSON_Array:
		tsm_jbuf_putc(b, '[');
		for (c = v->child; c; c = c->next) {
			if (c != v->child)
				tsm_jbuf_putc(b, ',');
			if ((err = print_value(b, c, depth + 1)) < 0)
				return err;
		}
		tsm_jbuf_putc(b, ']');
		return 0;
	case cJSON_Object:
		for (n = 0, c = v->child; c; c = c->next)
			n++;
		kids = stackbuf;
		if (n > sizeof(stackbuf) / sizeof(stackbuf[0])) {
			kids = malloc(n * sizeof(*kids));
			if (kids == NULL)
				return tsm_error_set(TSM_ENOMEM,
						     "out of memory");
		}
		for (i = 0, c = v->child; c; c = c->next)
			kids[i++] = c;
		qsort(kids, n, sizeof(*kids), key_cmp);
		tsm_jbuf_putc(b, '{');
		for (i = 0; i < n && err == 0; i++) {
			if (i)
				tsm_jbuf_putc(b, ',');
			tsm_jbuf_str(b, kids[i]->string);
			tsm_jbuf_putc(b, ':');
			err = print_value(b, kids[i], depth + 1);
		}
		tsm_jbuf_putc(b, '}');
		if (kids != stackbuf)
			free(kids);
		return err;
	default:
		return tsm_error_set(TSM_EINVALID,
				     "json value of unknown type");
	}
}

int tsm_json_print(char **out, const tsm_json *v)
{
	tsm_jbuf b;
	int err;

	*out = NULL;
	if (v == NULL)
		return tsm_error_set(TSM_EINVALID, "no json value");
	tsm_jbuf_init(&b);
	if ((err = print_value(&b, CCJ(v), 0)) < 0) {
		tsm_jbuf_dispose(&b);
		return err;
	}
	if (b.err) {
		tsm_jbuf_dispose(&b);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	*out = tsm_jbuf_detach(&b, NULL);
	return *out ? 0 : tsm_error_set(TSM_ENOMEM, "out of memory");
}

int tsm_json_canonical(char **out, const char *text, size_t len)
{
	tsm_json *v;
	int err;

	*out = NULL;
	if ((err = tsm_json_parse(&v, text, len)) < 0)
		return err;
	err = tsm_json_print(out, v);
	tsm_json_free(v);
	return err;
}
