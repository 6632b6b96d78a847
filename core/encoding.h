/* core/encoding.h — text encodings of files people hand us: strict UTF-8
 * validation, detection (BOM, else valid UTF-8, else GB18030) and a streaming
 * decoder to UTF-8 over glibc's iconv. */
#ifndef TSM_CORE_ENCODING_H
#define TSM_CORE_ENCODING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsm/import.h" /* TSM_ENC_* */

/* Checks n bytes of s as UTF-8 (RFC 3629: no overlong forms, surrogates or
 * code points past U+10FFFF). Returns the number of bytes that form complete,
 * valid sequences from the start. When that is less than n, *bad says why it
 * stopped: 1 at an invalid sequence, 0 when the rest is the valid beginning
 * of a sequence cut off by the end of the buffer. */
size_t tsm_utf8_prefix(const unsigned char *s, size_t n, int *bad);

/* Nonzero if s[0..n) is entirely valid UTF-8. */
int tsm_utf8_valid(const char *s, size_t n);

/* Detects the encoding of the file f from its current position to its end
 * and seeks back to the start: a byte order mark decides (UTF-8, UTF-16LE,
 * UTF-16BE; *bom = 1); else a file that is valid UTF-8 throughout is UTF-8,
 * anything else is GB18030 (what Excel in China writes). TSM_EINVALID with a
 * clear message for an Excel workbook (.xlsx, .xls) rather than a CSV;
 * TSM_EIO when reading fails. */
int tsm_encoding_detect(int *out, int *bom, FILE *f);

/* "utf-8", "gb18030", "gbk", "utf-16le", "utf-16be"; "auto" for
 * TSM_ENC_AUTO. Static storage. */
const char *tsm_encoding_name(int enc);

/* Parses a name as users type it ("utf8", "UTF-8", "gb18030", "gbk",
 * "gb2312" as gbk, ...) into a TSM_ENC_*, or -1. */
int tsm_encoding_parse(const char *name);

/* A streaming decoder from a file in a known encoding to UTF-8. A leading
 * byte order mark of that encoding is skipped. Bytes that are not valid in
 * the source encoding become U+FFFD and are counted (UTF-8 input is passed
 * through as it is: its validity is the reader's business). */
typedef struct tsm_decoder tsm_decoder;

/* Opens a decoder reading f from its current position (the start of the
 * file). f stays the caller's. Free it with tsm_decoder_free(). */
int tsm_decoder_open(tsm_decoder **out, FILE *f, int enc);
void tsm_decoder_free(tsm_decoder *d);

/* Fills buf with up to n (>= 8) bytes of UTF-8; returns how many, 0 at the
 * end of the input or on a read error (see tsm_decoder_status). */
size_t tsm_decoder_read(tsm_decoder *d, char *buf, size_t n);

/* 0, or the TSM_E* code of a read failure (the message is set). */
int tsm_decoder_status(const tsm_decoder *d);

/* Input bytes consumed so far (for progress), and the number of invalid
 * sequences replaced by U+FFFD. */
uint64_t tsm_decoder_consumed(const tsm_decoder *d);
uint64_t tsm_decoder_replaced(const tsm_decoder *d);

/* A tsm_csv_read_fn over a decoder (ud is the tsm_decoder). */
size_t tsm_decoder_read_fn(void *ud, char *buf, size_t n);

#endif
