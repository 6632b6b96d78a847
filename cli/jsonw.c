/* cli/jsonw.c — streaming JSON writer used by every --json listing. */
#include "jsonw.h"

#include "tsm/when.h"

#include <inttypes.h>
#include <math.h>

void jw_init(jsonw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->need_comma[0] = 0;
	w->after_key = 0;
}

static void before_value(jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = 1;
}

static void open(jsonw *w, int c)
{
	before_value(w);
	fputc(c, w->f);
	if (w->depth < 63)
		w->depth++;
	w->need_comma[w->depth] = 0;
}

static void close_(jsonw *w, int c)
{
	if (w->depth > 0)
		w->depth--;
	fputc(c, w->f);
}

void jw_object(jsonw *w)
{
	open(w, '{');
}

void jw_end_object(jsonw *w)
{
	close_(w, '}');
}

void jw_array(jsonw *w)
{
	open(w, '[');
}

void jw_end_array(jsonw *w)
{
	close_(w, ']');
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void jw_key(jsonw *w, const char *key)
{
	before_value(w);
	put_string(w->f, key);
	fputc(':', w->f);
	w->after_key = 1;
}

void jw_string(jsonw *w, const char *s)
{
	before_value(w);
	if (s == NULL)
		fputs("null", w->f);
	else
		put_string(w->f, s);
}

void jw_int(jsonw *w, int64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRId64, v);
}

void jw_double(jsonw *w, double v)
{
	before_value(w);
	if (isfinite(v))
		fprintf(w->f, "%.6g", v);
	else
		fputs("null", w->f);
}

void jw_bool(jsonw *w, int v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(jsonw *w)
{
	before_value(w);
	fputs("null", w->f);
}

void jw_kv_string(jsonw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_string(w, s);
}

void jw_kv_int(jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kv_bool(jsonw *w, const char *key, int v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_finish(jsonw *w)
{
	fputc('\n', w->f);
	fflush(w->f);
}

void jw_time(jsonw *w, const char *key, int64_t ms)
{
	char buf[TSM_WHEN_FORMAT_MAX];

	jw_key(w, key);
	if (ms <= 0 || tsm_when_format_iso(buf, sizeof(buf), ms) < 0)
		jw_null(w);
	else
		jw_string(w, buf);
}
