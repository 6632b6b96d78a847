/* cli/table.c — renders aligned tables for listings. Widths, cutting and
 * padding come from core's tsm_text_* (tested there); this file only keeps
 * the cells and writes the lines. */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GAP "  " /* between columns */

struct column {
	char *header;
	int align;
	size_t max_width; /* 0: no cap */
};

struct cli_table {
	struct column *cols;
	size_t ncols, colcap;
	char **cells; /* row-major, ncols per row */
	size_t ncells, cellcap;
	int err; /* the first failure, sticky */
};

static int fail(struct cli_table *t, int code, const char *message)
{
	if (t->err == 0) {
		t->err = code;
		tsm_error_set_str(code, message);
	}
	return t->err;
}

static char *copy(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

struct cli_table *cli_table_new(void)
{
	return calloc(1, sizeof(struct cli_table));
}

void cli_table_free(struct cli_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncols; i++)
		free(t->cols[i].header);
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cols);
	free(t->cells);
	free(t);
}

int cli_table_column(struct cli_table *t, const char *header, int align,
		     size_t max_width)
{
	struct column *cols;
	size_t cap;
	char *h;

	if (t->err)
		return t->err;
	if (t->ncells > 0)
		return fail(t, TSM_EINVALID, "table column added after cells");
	if (align != TSM_TEXT_LEFT && align != TSM_TEXT_RIGHT &&
	    align != TSM_TEXT_CENTER)
		return fail(t, TSM_EINVALID, "bad table column alignment");
	if (t->ncols == t->colcap) {
		cap = t->colcap ? 2 * t->colcap : 8;
		cols = realloc(t->cols, cap * sizeof(*cols));
		if (cols == NULL)
			return fail(t, TSM_ENOMEM, "out of memory");
		t->cols = cols;
		t->colcap = cap;
	}
	h = copy(header ? header : "");
	if (h == NULL)
		return fail(t, TSM_ENOMEM, "out of memory");
	t->cols[t->ncols].header = h;
	t->cols[t->ncols].align = align;
	t->cols[t->ncols].max_width = max_width;
	t->ncols++;
	return 0;
}

static int add_cell(struct cli_table *t, char *owned)
{
	char **cells;
	size_t cap;

	if (t->ncells == t->cellcap) {
		cap = t->cellcap ? 2 * t->cellcap : 64;
		cells = realloc(t->cells, cap * sizeof(*cells));
		if (cells == NULL) {
			free(owned);
			return fail(t, TSM_ENOMEM, "out of memory");
		}
		t->cells = cells;
		t->cellcap = cap;
	}
	t->cells[t->ncells++] = owned;
	return 0;
}

int cli_table_cell(struct cli_table *t, const char *text)
{
	char *c;

	if (t->err)
		return t->err;
	if (t->ncols == 0)
		return fail(t, TSM_EINVALID, "table cell before any column");
	c = copy(text ? text : "");
	if (c == NULL)
		return fail(t, TSM_ENOMEM, "out of memory");
	return add_cell(t, c);
}

int cli_table_cellf(struct cli_table *t, const char *fmt, ...)
{
	va_list ap;
	char *c;
	int n;

	if (t->err)
		return t->err;
	if (t->ncols == 0)
		return fail(t, TSM_EINVALID, "table cell before any column");
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(t, TSM_EINVALID, "bad table cell format");
	c = malloc((size_t)n + 1);
	if (c == NULL)
		return fail(t, TSM_ENOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(c, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return add_cell(t, c);
}

size_t cli_table_rows(const struct cli_table *t)
{
	if (t->ncols == 0)
		return 0;
	return (t->ncells + t->ncols - 1) / t->ncols;
}

/* Writes one line: cells[i] (NULL is "") padded to width[i], GAP between,
 * trailing spaces trimmed. */
static int print_line(struct cli_table *t, FILE *f, const char *const *cells,
		      const size_t *width)
{
	size_t i, size = 2, len = 0;
	char *line;
	int n, err = 0;

	for (i = 0; i < t->ncols; i++)
		size += TSM_TEXT_BUFSIZE(strlen(cells[i] ? cells[i] : ""),
					 width[i]) +
			sizeof(GAP);
	line = malloc(size);
	if (line == NULL)
		return fail(t, TSM_ENOMEM, "out of memory");
	for (i = 0; i < t->ncols; i++) {
		if (i > 0) {
			memcpy(line + len, GAP, sizeof(GAP) - 1);
			len += sizeof(GAP) - 1;
		}
		n = tsm_text_pad(line + len, size - len, cells[i], width[i],
				 t->cols[i].align);
		if (n < 0) { /* tsm_text_pad set the message */
			t->err = n;
			err = n;
			goto done;
		}
		len += strlen(line + len);
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len++] = '\n';
	if (fwrite(line, 1, len, f) != len)
		err = fail(t, TSM_EIO, "cannot write the table");
done:
	free(line);
	return err;
}

int cli_table_print(struct cli_table *t, FILE *f)
{
	const char **cells = NULL;
	size_t *width = NULL, rows, r, i, w;
	int err = 0, headers = 0;

	if (t->err)
		return t->err;
	if (t->ncols == 0)
		return 0;
	rows = cli_table_rows(t);
	width = calloc(t->ncols, sizeof(*width));
	cells = calloc(t->ncols, sizeof(*cells));
	if (width == NULL || cells == NULL) {
		err = fail(t, TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < t->ncols; i++) {
		width[i] = tsm_text_width(t->cols[i].header);
		if (*t->cols[i].header)
			headers = 1;
	}
	for (r = 0; r < t->ncells; r++) {
		w = tsm_text_width(t->cells[r]);
		if (w > width[r % t->ncols])
			width[r % t->ncols] = w;
	}
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].max_width && width[i] > t->cols[i].max_width)
			width[i] = t->cols[i].max_width;
	if (headers) {
		for (i = 0; i < t->ncols; i++)
			cells[i] = t->cols[i].header;
		if ((err = print_line(t, f, cells, width)) < 0)
			goto done;
	}
	for (r = 0; r < rows; r++) {
		for (i = 0; i < t->ncols; i++) {
			cells[i] = r * t->ncols + i < t->ncells
					   ? t->cells[r * t->ncols + i]
					   : NULL;
		}
		if ((err = print_line(t, f, cells, width)) < 0)
			goto done;
	}
	if (fflush(f) != 0 || ferror(f))
		err = fail(t, TSM_EIO, "cannot write the table");
done:
	free(cells);
	free(width);
	return err;
}
