/* tsm/money.h — money is integer fen (1 yuan = 100 fen), never float:
 * parsing what people type in yuan ("12,000.50", "¥12000", "12000元") and
 * formatting fen back as yuan with two decimals and thousands separators. */
#ifndef TSM_MONEY_H
#define TSM_MONEY_H

#include "tsm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest amount tsm accepts, in fen: just under ten trillion yuan,
 * well inside the integers JSON carries exactly (2^53). */
#define TSM_MONEY_MAX_FEN 999999999999999LL

/* Bytes that hold any tsm_money_format() result, NUL included. */
#define TSM_MONEY_FORMAT_MAX 32

/* Parses an amount in yuan into *fen. Accepted: digits with an optional
 * fraction of one or two digits ("12000", "12000.5", "0.05"), thousands
 * separators in proper groups of three ("12,000.50"), an optional currency
 * sign before ("¥", fullwidth "￥", optionally followed by spaces) and an
 * optional "元" after; surrounding spaces are ignored. Rejected with
 * TSM_EINVALID and a message "invalid amount '...': ...": negative or signed
 * amounts, more than two decimals, misplaced separators, anything else, and
 * amounts above TSM_MONEY_MAX_FEN. *fen is untouched on failure. */
int tsm_money_parse_yuan(int64_t *fen, const char *text);

/* Formats fen as yuan, e.g. 1200050 -> "12,000.50", 5 -> "0.05",
 * -150 -> "-1.50", into out (outlen bytes, TSM_MONEY_FORMAT_MAX always
 * suffices). Returns the length written, or TSM_EINVALID when out is too
 * small (out is then "" when outlen > 0). */
int tsm_money_format(char *out, size_t outlen, int64_t fen);

#ifdef __cplusplus
}
#endif
#endif
