/* core/money.c — amounts in yuan as people type them, parsed to integer fen,
 * and fen formatted back as "12,000.50". No floating point anywhere. */
#include "tsm/money.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static const char YEN[] = "\xc2\xa5";	       /* ¥ U+00A5 */
static const char YEN_FULL[] = "\xef\xbf\xa5"; /* ￥ U+FFE5 */
static const char YUAN[] = "\xe5\x85\x83";     /* 元 */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int starts_with(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

static int bad(const char *text, const char *why)
{
	return tsm_error_set(TSM_EINVALID, "invalid amount '%s': %s", text,
			     why);
}

/* Adds one digit to *v (in yuan), refusing to pass the maximum. */
static int push_digit(int64_t *v, char c)
{
	const int64_t max_yuan = TSM_MONEY_MAX_FEN / 100;

	if (*v > (max_yuan - (c - '0')) / 10)
		return -1;
	*v = *v * 10 + (c - '0');
	return 0;
}

int tsm_money_parse_yuan(int64_t *fen, const char *text)
{
	const char *p, *end;
	int64_t yuan = 0, cents = 0, total;
	size_t group = 0, ndigits = 0, nfrac = 0;
	int seen_comma = 0;

	if (text == NULL)
		return tsm_error_set(TSM_EINVALID, "missing amount");
	p = text;
	end = text + strlen(text);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (starts_with(p, end, YEN)) {
		p += strlen(YEN);
	} else if (starts_with(p, end, YEN_FULL)) {
		p += strlen(YEN_FULL);
	}
	while (p < end && *p == ' ')
		p++;
	if ((size_t)(end - p) >= strlen(YUAN) &&
	    memcmp(end - strlen(YUAN), YUAN, strlen(YUAN)) == 0) {
		end -= strlen(YUAN);
		while (end > p && end[-1] == ' ')
			end--;
	}
	if (p == end)
		return bad(text, "expected a number of yuan such as 12000.50");
	if (*p == '-')
		return bad(text, "amount must not be negative");
	if (*p == '+')
		return bad(text, "expected digits, not a sign");
	/* The integer part: digits, optionally grouped by commas. */
	for (; p < end && *p != '.'; p++) {
		if (*p == ',') {
			if (ndigits == 0 ||
			    (seen_comma ? group != 3 : group > 3))
				return bad(text,
					   "misplaced thousands separator");
			seen_comma = 1;
			group = 0;
			continue;
		}
		if (!is_digit(*p))
			return bad(text, "expected a number of yuan such as "
					 "12000.50");
		if (push_digit(&yuan, *p) < 0)
			return bad(text, "amount too large");
		ndigits++;
		group++;
	}
	if (ndigits == 0)
		return bad(text, "expected digits before the decimal point");
	if (seen_comma && group != 3)
		return bad(text, "misplaced thousands separator");
	if (p < end) {
		p++; /* the '.' */
		for (; p < end; p++) {
			if (!is_digit(*p))
				return bad(text, "expected a number of yuan "
						 "such as 12000.50");
			if (++nfrac > 2)
				return bad(text,
					   "more than two decimals (fen)");
			cents = cents * 10 + (*p - '0');
		}
		if (nfrac == 0)
			return bad(text, "expected digits after the decimal "
					 "point");
		if (nfrac == 1)
			cents *= 10;
	}
	total = yuan * 100 + cents;
	if (total > TSM_MONEY_MAX_FEN)
		return bad(text, "amount too large");
	*fen = total;
	return 0;
}

int tsm_money_format(char *out, size_t outlen, int64_t fen)
{
	char digits[24], buf[TSM_MONEY_FORMAT_MAX];
	uint64_t mag, yuan;
	unsigned cents;
	size_t nd, i, len = 0;
	int n;

	mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
	yuan = mag / 100;
	cents = (unsigned)(mag % 100);
	n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)yuan);
	nd = (size_t)n;
	if (fen < 0)
		buf[len++] = '-';
	for (i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[len++] = ',';
		buf[len++] = digits[i];
	}
	buf[len++] = '.';
	buf[len++] = (char)('0' + cents / 10);
	buf[len++] = (char)('0' + cents % 10);
	buf[len] = '\0';
	if (len + 1 > outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return tsm_error_set(TSM_EINVALID,
				     "buffer too small for an amount");
	}
	memcpy(out, buf, len + 1);
	return (int)len;
}
