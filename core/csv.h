/* core/csv.h — an RFC 4180 CSV reader that streams (memory bounded by the
 * longest record, not the file) and a small writer. Quoted fields may hold
 * delimiters, doubled quotes and line breaks; CRLF, LF and CR end records.
 * Ownership: a tsm_csv is yours (tsm_csv_free); a record it returns is
 * borrowed and valid until the next tsm_csv_next() or tsm_csv_free(). */
#ifndef TSM_CORE_CSV_H
#define TSM_CORE_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Reads up to n bytes into buf; 0 at the end of the input (or on an error
 * the source keeps for its caller to report). */
typedef size_t (*tsm_csv_read_fn)(void *ud, char *buf, size_t n);

/* The longest record the reader accepts: past it, tsm_csv_next() fails
 * (usually an unterminated quote swallowing the rest of the file). */
#define TSM_CSV_RECORD_MAX (1u << 20)

typedef struct tsm_csv tsm_csv;

typedef struct tsm_csv_record {
	size_t n;      /* fields, at least 1 */
	char **field;  /* n NUL-terminated fields */
	size_t *len;   /* their lengths in bytes */
	int64_t line;  /* the line the record starts on, from 1 */
	int64_t lines; /* the lines it spans (> 1 with quoted line breaks) */
	int blank;     /* every field is empty (an empty line, ",,,") */
} tsm_csv_record;

/* A reader over read(ud). delim is the field separator, or 0 to pick it
 * from the first line: ',' unless that line holds more tabs or semicolons
 * (outside quotes) than commas. */
int tsm_csv_new(tsm_csv **out, tsm_csv_read_fn read, void *ud, char delim);
void tsm_csv_free(tsm_csv *r);

/* Reads the next record into *out: 1 when there is one, 0 at the end of
 * the input, TSM_EINVALID for malformed input (an unterminated quoted field
 * at the end, a NUL byte, a record over TSM_CSV_RECORD_MAX) with a message
 * naming the line. Line breaks inside quoted fields are returned as "\n".
 * Lenient where Excel is: a quote inside an unquoted field is kept, text
 * after a closing quote is appended to the field. */
int tsm_csv_next(tsm_csv *r, const tsm_csv_record **out);

/* The separator in use (after the first record when picked). */
char tsm_csv_delim(const tsm_csv *r);

/* Writes s[0..n) as one field: quoted (quotes doubled) when it holds
 * delim, a quote, CR or LF or begins or ends with a space; preceded by
 * delim unless first. Returns 0 or TSM_EIO. */
int tsm_csv_write_field(FILE *f, const char *s, size_t n, int first,
			char delim);

/* Ends a record with CRLF (RFC 4180). Returns 0 or TSM_EIO. */
int tsm_csv_write_eol(FILE *f);

#endif
