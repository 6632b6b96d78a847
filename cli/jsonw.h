/* cli/jsonw.h — a small streaming JSON writer for --json output. Commas and
 * string escaping are handled; the caller only nests begin/end correctly. */
#ifndef TSM_CLI_JSONW_H
#define TSM_CLI_JSONW_H

#include <stdint.h>
#include <stdio.h>

typedef struct jsonw {
	FILE *f;
	int depth;
	int need_comma[64]; /* per nesting level */
	int after_key;
} jsonw;

void jw_init(jsonw *w, FILE *f);
void jw_object(jsonw *w);     /* { */
void jw_end_object(jsonw *w); /* } */
void jw_array(jsonw *w);      /* [ */
void jw_end_array(jsonw *w);  /* ] */
void jw_key(jsonw *w, const char *key);
void jw_string(jsonw *w, const char *s); /* NULL writes null */
void jw_int(jsonw *w, int64_t v);
void jw_double(jsonw *w, double v);
void jw_bool(jsonw *w, int v);
void jw_null(jsonw *w);
/* Writes a key and a value in one call. */
void jw_kv_string(jsonw *w, const char *key, const char *s);
void jw_kv_int(jsonw *w, const char *key, int64_t v);
void jw_kv_bool(jsonw *w, const char *key, int v);
/* key and a time (ms since the epoch) in ISO-8601 with the zone; null
 * when ms <= 0 or it cannot be written. */
void jw_time(jsonw *w, const char *key, int64_t ms);
/* Ends the document with a newline. */
void jw_finish(jsonw *w);

#endif
