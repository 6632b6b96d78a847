/* tsm/text.h — UTF-8 display width on a terminal (CJK characters take two
 * columns), truncation and padding to a width without splitting a
 * character, and CSV fields. Pure functions: no allocation, no locale, no
 * state. */
#ifndef TSM_TEXT_H
#define TSM_TEXT_H

#include "tsm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What tsm_text_decode() yields for a byte that does not start a valid UTF-8
 * sequence (stray continuation, overlong form, surrogate, > U+10FFFF,
 * truncated sequence). Such a byte is one character of width 1. */
#define TSM_TEXT_INVALID 0xFFFFFFFFu

/* Alignment for tsm_text_pad(). */
enum {
	TSM_TEXT_LEFT = 0,
	TSM_TEXT_RIGHT = 1,
	TSM_TEXT_CENTER = 2 /* an odd leftover space goes to the right */
};

/* A buffer of this many bytes always holds the result of tsm_text_truncate()
 * or tsm_text_pad() for an input of len bytes and a width of width columns
 * (each invalid byte may become the 3-byte U+FFFD, plus "…", padding, NUL). */
#define TSM_TEXT_BUFSIZE(len, width)                                           \
	(3 * (size_t)(len) + (size_t)(width) + 4)

/* Decodes the character at s, reading at most len bytes (never past them).
 * Sets *out to its code point, or TSM_TEXT_INVALID for an invalid byte, and
 * returns the bytes it spans: 1 to 4, 1 for an invalid byte, 0 when len is 0.
 * Decoding is strict (RFC 3629): overlong forms and surrogates are invalid. */
size_t tsm_text_decode(uint32_t *out, const char *s, size_t len);

/* The columns a code point takes on a terminal: 2 for East Asian Wide and
 * Fullwidth characters (CJK ideographs, kana, Hangul, CJK punctuation,
 * fullwidth forms, wide emoji), 0 for combining marks, zero-width and format
 * characters, variation selectors and control characters (C0, DEL, C1), 1 for
 * everything else, including East Asian Ambiguous characters such as "…" and
 * TSM_TEXT_INVALID (terminals show U+FFFD). */
int tsm_text_char_width(uint32_t cp);

/* The display width of the NUL-terminated UTF-8 string s, in columns; each
 * invalid byte counts 1. NULL counts 0. */
size_t tsm_text_width(const char *s);

/* The display width of the first len bytes of s. */
size_t tsm_text_width_n(const char *s, size_t len);

/* Writes into out (outlen bytes) s cut to at most width columns: s itself
 * when it fits, else its longest prefix of at most width - 1 columns followed
 * by "…" (U+2026, counted 1 column). A character is never split: a wide
 * character that would straddle the limit is left out, and combining marks
 * stay with the character they follow. The result is terminal-safe UTF-8:
 * control characters are dropped (they have width 0) and each invalid byte
 * becomes U+FFFD (width 1, like the byte it replaces).
 * Returns the display width written (0..width), or TSM_EINVALID when outlen
 * is too small (out is then "") or width exceeds INT_MAX;
 * TSM_TEXT_BUFSIZE(strlen(s), width) always suffices. s may be NULL (""). */
int tsm_text_truncate(char *out, size_t outlen, const char *s, size_t width);

/* Like tsm_text_truncate(), then pads with spaces to exactly width columns,
 * aligned by align (TSM_TEXT_LEFT, TSM_TEXT_RIGHT or TSM_TEXT_CENTER).
 * Returns width, or TSM_EINVALID (bad align, or outlen too small: out is
 * then ""). */
int tsm_text_pad(char *out, size_t outlen, const char *s, size_t width,
		 int align);

/* Where tsm_text_csv_field() sends its output: n bytes at p. Returns 0, or
 * a negative TSM_E* code that ends the field. */
typedef int (*tsm_text_sink)(void *ud, const char *p, size_t n);

/* Writes s[0..n) as one CSV field (RFC 4180) through put: quoted, with
 * quotes doubled, when it holds delim, a quote, CR or LF, or starts or ends
 * with a space. With guard, a text a spreadsheet would evaluate as a
 * formula gets a leading apostrophe (spreadsheets show it as text): one
 * whose first character is =, +, -, @, tab or CR and that holds anything
 * but digits, spaces and . , + - ( ) / : (so -12.50 and +8613800000001
 * stay as they are, =HYPERLINK("...") does not). Returns 0 or what put
 * returned. */
int tsm_text_csv_field(tsm_text_sink put, void *ud, const char *s, size_t n,
		       char delim, int guard);

#ifdef __cplusplus
}
#endif
#endif
