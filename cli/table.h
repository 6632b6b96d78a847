/* cli/table.h — aligned text tables for listings: columns measured by display
 * width (CJK takes two columns), cut with "…" past a maximum width, two spaces
 * between columns. Width rules live in core (tsm/text.h); this only renders. */
#ifndef TSM_CLI_TABLE_H
#define TSM_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "tsm/text.h"

struct cli_table;

/* A new, empty table, or NULL when out of memory. Free it with
 * cli_table_free(). */
struct cli_table *cli_table_new(void);

/* Frees the table and every string it copied. NULL is allowed. */
void cli_table_free(struct cli_table *t);

/* Adds a column; all columns come before the first cell. align is
 * TSM_TEXT_LEFT, TSM_TEXT_RIGHT or TSM_TEXT_CENTER (the header is aligned
 * the same way); max_width caps its width in columns, 0 for no cap.
 * Returns 0 or a negative TSM_E* code. */
int cli_table_column(struct cli_table *t, const char *header, int align,
		     size_t max_width);

/* Appends the next cell (copied; NULL is ""), filling rows left to right;
 * after the last column the next cell starts a new row. */
int cli_table_cell(struct cli_table *t, const char *text);

/* Appends a printf-formatted cell. */
int cli_table_cellf(struct cli_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The number of rows started so far (the header not counted). */
size_t cli_table_rows(const struct cli_table *t);

/* Prints the header (when any column has one) and the rows to f; a short
 * last row is completed with empty cells; trailing spaces are trimmed.
 * Errors of the calls before are sticky: when one failed nothing is printed
 * and its code is returned here, so callers may check only this result.
 * Returns 0, TSM_ENOMEM, TSM_EINVALID or TSM_EIO (write failed). */
int cli_table_print(struct cli_table *t, FILE *f);

#endif
