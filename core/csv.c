/* core/csv.c — the streaming RFC 4180 CSV reader (one record at a time in a
 * reused buffer) and the writer used for rejects files. */
#include "csv.h"

#include "error.h"
#include "tsm/text.h"

#include <stdlib.h>
#include <string.h>

#define CSV_IN 65536

enum { S_START, S_PLAIN, S_QUOTED, S_QUOTE };

struct tsm_csv {
	tsm_csv_read_fn read;
	void *ud;
	char delim;
	char in[CSV_IN];
	size_t pos;
	size_t len;
	int eof;
	int skip_lf;  /* the last byte was a CR ending a line */
	int64_t line; /* the current physical line */
	/* the record being built: field bytes, each NUL-terminated */
	char *buf;
	size_t blen;
	size_t bcap;
	size_t *start; /* offsets of the fields in buf */
	size_t nf;
	size_t fcap;
	/* what tsm_csv_next() hands out */
	char **fields;
	size_t *lens;
	size_t pcap;
	tsm_csv_record rec;
};

int tsm_csv_new(tsm_csv **out, tsm_csv_read_fn read, void *ud, char delim)
{
	tsm_csv *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	r->read = read;
	r->ud = ud;
	r->delim = delim;
	r->line = 1;
	*out = r;
	return 0;
}

void tsm_csv_free(tsm_csv *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->start);
	free(r->fields);
	free(r->lens);
	free(r);
}

char tsm_csv_delim(const tsm_csv *r)
{
	return r->delim ? r->delim : ',';
}

static void fill(tsm_csv *r)
{
	if (r->eof)
		return;
	r->pos = 0;
	r->len = r->read(r->ud, r->in, sizeof(r->in));
	if (r->len == 0)
		r->eof = 1;
}

/* Picks the separator from the first line of the first block. */
static void pick_delim(tsm_csv *r)
{
	size_t i, comma = 0, tab = 0, semi = 0;
	int quoted = 0;

	for (i = r->pos; i < r->pos + r->len; i++) {
		char c = r->in[i];

		if (c == '"')
			quoted = !quoted;
		else if (!quoted && (c == '\n' || c == '\r'))
			break;
		else if (!quoted && c == ',')
			comma++;
		else if (!quoted && c == '\t')
			tab++;
		else if (!quoted && c == ';')
			semi++;
	}
	r->delim = ',';
	if (tab > comma && tab >= semi)
		r->delim = '\t';
	else if (semi > comma && semi > tab)
		r->delim = ';';
}

static int put(tsm_csv *r, char c)
{
	char *p;
	size_t cap;

	if (r->blen + 1 >= r->bcap) {
		if (r->bcap >= TSM_CSV_RECORD_MAX)
			return tsm_error_set(TSM_EINVALID,
					     "line %lld: a record longer than "
					     "%u bytes (an unterminated "
					     "quote?)",
					     (long long)r->rec.line,
					     TSM_CSV_RECORD_MAX);
		cap = r->bcap ? r->bcap * 2 : 1024;
		if (cap > TSM_CSV_RECORD_MAX)
			cap = TSM_CSV_RECORD_MAX;
		p = realloc(r->buf, cap);
		if (p == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->buf = p;
		r->bcap = cap;
	}
	r->buf[r->blen++] = c;
	return 0;
}

/* Ends the current field and starts the next one. */
static int end_field(tsm_csv *r)
{
	size_t *p, cap;
	int err;

	if ((err = put(r, '\0')) < 0)
		return err;
	if (r->nf + 1 >= r->fcap) {
		cap = r->fcap ? r->fcap * 2 : 32;
		p = realloc(r->start, cap * sizeof(*p));
		if (p == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->start = p;
		r->fcap = cap;
	}
	r->start[++r->nf] = r->blen;
	return 0;
}

/* Builds the record handed out from the offsets. */
static int finish(tsm_csv *r, int64_t last)
{
	size_t i, n = r->nf;
	char **f;
	size_t *l;

	if (n > r->pcap) {
		f = realloc(r->fields, n * sizeof(*f));
		if (f == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->fields = f;
		l = realloc(r->lens, n * sizeof(*l));
		if (l == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->lens = l;
		r->pcap = n;
	}
	r->rec.blank = 1;
	for (i = 0; i < n; i++) {
		r->fields[i] = r->buf + r->start[i];
		r->lens[i] = r->start[i + 1] - r->start[i] - 1;
		if (r->lens[i])
			r->rec.blank = 0;
	}
	r->rec.n = n;
	r->rec.field = r->fields;
	r->rec.len = r->lens;
	r->rec.lines = last - r->rec.line + 1;
	return 1;
}

int tsm_csv_next(tsm_csv *r, const tsm_csv_record **out)
{
	int state = S_START, err, any = 0;
	char c;

	*out = NULL;
	if (r->fcap == 0) {
		r->start = malloc(32 * sizeof(*r->start));
		if (r->start == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		r->fcap = 32;
	}
	r->blen = 0;
	r->nf = 0;
	r->start[0] = 0;
	r->rec.line = r->line;
	for (;;) {
		if (r->len == 0) {
			fill(r);
			if (r->len == 0)
				break;
			if (r->delim == 0)
				pick_delim(r);
		}
		c = r->in[r->pos++];
		r->len--;
		if (r->skip_lf) {
			r->skip_lf = 0;
			if (c == '\n')
				continue; /* the LF of a CRLF */
		}
		if (c == '\0')
			return tsm_error_set(TSM_EINVALID,
					     "line %lld: a NUL byte (not a "
					     "text CSV file?)",
					     (long long)r->line);
		if (!any) {
			any = 1;
			r->rec.line = r->line;
		}
		switch (state) {
		case S_QUOTED:
			if (c == '"') {
				state = S_QUOTE;
				continue;
			}
			if (c == '\r' || c == '\n') {
				r->line++;
				r->skip_lf = c == '\r';
				c = '\n';
			}
			if ((err = put(r, c)) < 0)
				return err;
			continue;
		case S_QUOTE:
			if (c == '"') {
				state = S_QUOTED;
				if ((err = put(r, '"')) < 0)
					return err;
				continue;
			}
			break; /* closed: handle c below */
		default:
			break;
		}
		if (c == r->delim) {
			if ((err = end_field(r)) < 0)
				return err;
			state = S_START;
			continue;
		}
		if (c == '\r' || c == '\n') {
			r->line++;
			r->skip_lf = c == '\r';
			if ((err = end_field(r)) < 0)
				return err;
			*out = &r->rec;
			return finish(r, r->line - 1);
		}
		if (c == '"' && state == S_START) {
			state = S_QUOTED;
			continue;
		}
		/* Plain text; also a quote inside it or text after a
		 * closing quote (kept, as Excel does). */
		state = S_PLAIN;
		if ((err = put(r, c)) < 0)
			return err;
	}
	if (state == S_QUOTED)
		return tsm_error_set(TSM_EINVALID,
				     "line %lld: a quoted field is never "
				     "closed (missing '\"')",
				     (long long)r->rec.line);
	if (!any)
		return 0;
	/* The last record without a final line break. */
	if ((err = end_field(r)) < 0)
		return err;
	*out = &r->rec;
	return finish(r, r->line);
}

/* ---- writing ---- */

static int put_file(void *ud, const char *p, size_t n)
{
	return fwrite(p, 1, n, ud) == n ? 0 : TSM_EIO;
}

int tsm_csv_write_field(FILE *f, const char *s, size_t n, int first, char delim)
{
	/* No formula guard: a rejects file gives back the rows as they
	 * came, to be corrected and imported again. */
	if ((!first && putc(delim, f) == EOF) ||
	    tsm_text_csv_field(put_file, f, s, n, delim, 0) < 0)
		return tsm_error_set(TSM_EIO, "cannot write a csv field");
	return 0;
}

int tsm_csv_write_eol(FILE *f)
{
	if (fputs("\r\n", f) == EOF)
		return tsm_error_set(TSM_EIO, "cannot write a csv record");
	return 0;
}
