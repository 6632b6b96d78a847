/* core/phone.c — phone numbers to E.164: scanning what people type (full-width
 * forms, separators), the Chinese numbering rules (mobile, landline with area
 * code, 400/800), country-code lengths for display. See tsm/phone.h. */
#include "tsm/phone.h"

#include "error.h"
#include "tsm/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SCAN_MAX 20   /* digits kept while scanning; more is "too long" */
#define E164_MAX 15   /* digits, country code included */
#define INTL_MIN 8    /* digits, country code included */
#define QUOTE_WIDTH 40 /* columns of the input quoted in messages */

struct digits {
	char d[SCAN_MAX + 1];
	size_t n;
	int plus;    /* a leading '+' */
	int toolong; /* more than SCAN_MAX digits */
};

/* Records "invalid phone '<input>': <why>" as the last error. The input is
 * quoted terminal-safe (controls dropped) and cut to QUOTE_WIDTH columns. */
static int fail(const char *input, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const char *input, const char *fmt, ...)
{
	char quoted[TSM_TEXT_BUFSIZE(64, QUOTE_WIDTH)], why[160];
	va_list ap;

	if (tsm_text_truncate(quoted, sizeof(quoted), input, QUOTE_WIDTH) < 0)
		quoted[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return tsm_error_set(TSM_EINVALID, "invalid phone '%s': %s", quoted,
			     why);
}

/* A full-width or ASCII digit as '0'..'9', else 0. */
static char digit_of(uint32_t cp)
{
	if (cp >= '0' && cp <= '9')
		return (char)cp;
	if (cp >= 0xFF10 && cp <= 0xFF19)
		return (char)('0' + (cp - 0xFF10));
	return 0;
}

static int is_separator(uint32_t cp)
{
	switch (cp) {
	case ' ':
	case '\t':
	case '-':
	case '.':
	case '/':
	case 0x00A0: /* no-break space */
	case 0x2010: /* hyphen */
	case 0x2011: /* non-breaking hyphen */
	case 0x2012: /* figure dash */
	case 0x2013: /* en dash */
	case 0x2014: /* em dash */
	case 0x2015: /* horizontal bar */
	case 0x2212: /* minus sign */
	case 0x3000: /* ideographic space */
	case 0xFF0D: /* fullwidth hyphen-minus */
	case 0xFF0E: /* fullwidth full stop */
	case 0xFF0F: /* fullwidth solidus */
		return 1;
	default:
		return 0;
	}
}

static int is_open(uint32_t cp)
{
	return cp == '(' || cp == 0xFF08;
}

static int is_close(uint32_t cp)
{
	return cp == ')' || cp == 0xFF09;
}

static int international(const struct digits *g)
{
	return g->plus || (g->n >= 2 && g->d[0] == '0' && g->d[1] == '0');
}

/* Collects the digits of input and whether it starts with '+'. */
static int scan(struct digits *g, const char *input)
{
	size_t len = strlen(input), off = 0, n, open = 0;
	int in_paren = 0;
	uint32_t cp;
	char c;

	memset(g, 0, sizeof(*g));
	while (off < len) {
		n = tsm_text_decode(&cp, input + off, len - off);
		c = digit_of(cp);
		if (c) {
			if (g->n < SCAN_MAX)
				g->d[g->n++] = c;
			else
				g->toolong = 1;
		} else if (cp == '+' || cp == 0xFF0B) {
			if (g->n > 0 || g->plus)
				return fail(input, "'+' can only come first");
			g->plus = 1;
		} else if (is_open(cp)) {
			open = g->n;
			in_paren = 1;
		} else if (is_close(cp)) {
			/* "+44 (0)20 ...": the national trunk prefix written
			 * after a country code is not part of the number. */
			if (in_paren && open > 0 && g->n == open + 1 &&
			    g->d[open] == '0' && international(g))
				g->n--;
			in_paren = 0;
		} else if (is_separator(cp)) {
			/* ignored */
		} else if ((cp >= 'a' && cp <= 'z') ||
			   (cp >= 'A' && cp <= 'Z')) {
			return fail(input, "contains a letter");
		} else if (cp == TSM_TEXT_INVALID) {
			return fail(input, "invalid utf-8 byte 0x%02x",
				    (unsigned char)input[off]);
		} else if (tsm_text_char_width(cp) == 0) {
			return fail(input, "unexpected invisible character "
					   "U+%04X", (unsigned)cp);
		} else {
			return fail(input, "unexpected character '%.*s'",
				    (int)n, input + off);
		}
		off += n;
	}
	g->d[g->n] = '\0';
	if (g->toolong)
		return fail(input, "too long");
	if (g->n == 0)
		return fail(input, "no digits");
	return 0;
}

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t plen = strlen(prefix);

	return n >= plen && memcmp(s, prefix, plen) == 0;
}

static int is_service(const char *nsn, size_t n)
{
	return starts(nsn, n, "400") || starts(nsn, n, "800");
}

/* The length of a Chinese area code (without the trunk 0) that starts nsn. */
static size_t area_len(const char *nsn)
{
	return nsn[0] == '1' || nsn[0] == '2' ? 2 : 3;
}

static int check_mobile(const char *m, size_t n, const char *input)
{
	if (n >= 2 && (m[1] < '3' || m[1] > '9'))
		return fail(input, "mobile numbers start with 13 to 19");
	if (n < 11)
		return fail(input, "too short for a mobile number (11 digits)");
	if (n > 11)
		return fail(input, "too long for a mobile number (11 digits)");
	return 0;
}

/* Checks a Chinese national significant number (no trunk 0). */
static int check_cn(const char *nsn, size_t n, const char *input)
{
	size_t area, sub;

	if (n < 7)
		return fail(input, "too short");
	if (nsn[0] == '0')
		return fail(input, "a chinese number has one 0 before the "
				   "area code, not two");
	if (nsn[0] == '1' && nsn[1] != '0')
		return check_mobile(nsn, n, input);
	if (is_service(nsn, n)) {
		if (n != 10)
			return fail(input, "a %.3s service number has 10 "
					   "digits", nsn);
		return 0;
	}
	area = area_len(nsn);
	sub = n - area;
	if (nsn[area] == '0' || nsn[area] == '1')
		return fail(input, "the number after area code 0%.*s cannot "
				   "start with 0 or 1", (int)area, nsn);
	if (sub < 7)
		return fail(input, "too short: area code 0%.*s needs a 7-8 "
				   "digit number", (int)area, nsn);
	if (sub > 8)
		return fail(input, "too long: area code 0%.*s needs a 7-8 "
				   "digit number", (int)area, nsn);
	return 0;
}

static int put_cn(char *out, size_t outlen, const char *nsn, size_t n)
{
	if (snprintf(out, outlen, "+86%.*s", (int)n, nsn) >= (int)outlen) {
		out[0] = '\0';
		return tsm_error_set(TSM_EINVALID, "phone buffer too small");
	}
	return 0;
}

static int national(char *out, size_t outlen, const struct digits *g,
		    const char *input)
{
	const char *d = g->d;
	size_t n = g->n;
	int err;

	if (d[0] == '0' && n >= 2 && d[1] == '1' && (n < 3 || d[2] != '0')) {
		/* "0" dialled before a mobile number */
		if (n < 7)
			return fail(input, "too short");
		if ((err = check_mobile(d + 1, n - 1, input)) < 0)
			return err;
		return put_cn(out, outlen, d + 1, n - 1);
	}
	if (d[0] == '0') {
		if ((err = check_cn(d + 1, n - 1, input)) < 0)
			return err;
		return put_cn(out, outlen, d + 1, n - 1);
	}
	if (n < 7)
		return fail(input, "too short");
	if (d[0] == '1') {
		if ((err = check_mobile(d, n, input)) < 0)
			return err;
		return put_cn(out, outlen, d, n);
	}
	if (starts(d, n, "86") && n >= 11) {
		d += 2;
		n -= 2;
		if (d[0] == '0') { /* 86 0755 ...: a stray trunk 0 */
			d++;
			n--;
		}
		if ((err = check_cn(d, n, input)) < 0)
			return err;
		return put_cn(out, outlen, d, n);
	}
	if (n <= 8)
		return fail(input, "needs an area code (e.g. 010 or 0755)");
	if (is_service(d, n)) {
		if ((err = check_cn(d, n, input)) < 0)
			return err;
		return put_cn(out, outlen, d, n);
	}
	return fail(input, "not a chinese number: a mobile starts with 1, a "
			   "landline with 0 and an area code, or add + and "
			   "the country code");
}

static int intl(char *out, size_t outlen, const struct digits *g,
		const char *input)
{
	const char *d = g->d;
	size_t n = g->n;
	int err;

	if (!g->plus) { /* 00 international prefix */
		d += 2;
		n -= 2;
	}
	if (n == 0)
		return fail(input, "too short");
	if (d[0] == '0')
		return fail(input, "a country code cannot start with 0");
	if (n > E164_MAX)
		return fail(input, "too long (at most %d digits with the "
				   "country code)", E164_MAX);
	if (starts(d, n, "86")) {
		d += 2;
		n -= 2;
		if (n > 0 && d[0] == '0') { /* +86 0755 ...: a trunk 0 */
			d++;
			n--;
		}
		if ((err = check_cn(d, n, input)) < 0)
			return err;
		return put_cn(out, outlen, d, n);
	}
	if (n < INTL_MIN)
		return fail(input, "too short");
	if (d[0] == '1') {
		if (n != 11)
			return fail(input, "a +1 number has 10 digits after "
					   "the country code");
		if (d[1] == '0' || d[1] == '1')
			return fail(input, "a +1 area code cannot start with "
					   "0 or 1");
	}
	if (snprintf(out, outlen, "+%.*s", (int)n, d) >= (int)outlen) {
		out[0] = '\0';
		return tsm_error_set(TSM_EINVALID, "phone buffer too small");
	}
	return 0;
}

int tsm_phone_normalize(char *out, size_t outlen, const char *input,
			const char *region)
{
	struct digits g;
	int err;

	if (out == NULL || outlen == 0)
		return tsm_error_set(TSM_EINVALID, "no phone output buffer");
	out[0] = '\0';
	if (input == NULL)
		input = "";
	if (region && strcasecmp(region, "CN") != 0)
		return tsm_error_set(TSM_EINVALID,
				     "unsupported phone region '%s' (only CN)",
				     region);
	if ((err = scan(&g, input)) < 0)
		return err;
	if (international(&g))
		return intl(out, outlen, &g, input);
	return national(out, outlen, &g, input);
}

/* Digits after the '+' when e164 is exactly what normalize returns. */
static int check_normal(const char **nsn, const char *e164)
{
	char again[TSM_PHONE_MAX];

	if (e164 == NULL || e164[0] != '+' ||
	    strlen(e164) >= sizeof(again) ||
	    tsm_phone_normalize(again, sizeof(again), e164, NULL) < 0 ||
	    strcmp(again, e164) != 0)
		return tsm_error_set(TSM_EINVALID,
				     "not a normalized phone number '%s'",
				     e164 ? e164 : "");
	*nsn = e164 + 1;
	return 0;
}

static int kind_of(const char *digits)
{
	const char *nsn;
	size_t n;

	if (!starts(digits, strlen(digits), "86"))
		return TSM_PHONE_INTERNATIONAL;
	nsn = digits + 2;
	n = strlen(nsn);
	if (nsn[0] == '1' && nsn[1] != '0')
		return TSM_PHONE_MOBILE;
	if (is_service(nsn, n))
		return TSM_PHONE_SERVICE;
	return TSM_PHONE_LANDLINE;
}

int tsm_phone_kind(const char *e164)
{
	const char *digits = NULL;
	int err;

	if ((err = check_normal(&digits, e164)) < 0)
		return err;
	return kind_of(digits);
}

/* The length of the ITU country code that starts digits: 1 and 7 are one
 * digit; the two-digit codes are listed; every other code has three. */
static size_t cc_len(const char *digits)
{
	static const char *const two[] = {
		"20", "27", "30", "31", "32", "33", "34", "36", "39", "40",
		"41", "43", "44", "45", "46", "47", "48", "49", "51", "52",
		"53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
		"64", "65", "66", "81", "82", "84", "86", "90", "91", "92",
		"93", "94", "95", "98",
	};
	size_t i;

	if (digits[0] == '1' || digits[0] == '7')
		return 1;
	for (i = 0; i < sizeof(two) / sizeof(*two); i++)
		if (memcmp(digits, two[i], 2) == 0)
			return 2;
	return 3;
}

/* Appends " " and the next n digits of *p to the display buffer. */
static void group(char *buf, size_t *len, const char **p, size_t n)
{
	buf[(*len)++] = ' ';
	memcpy(buf + *len, *p, n);
	*len += n;
	*p += n;
}

int tsm_phone_format(char *out, size_t outlen, const char *e164)
{
	char buf[TSM_PHONE_DISPLAY_MAX + 8];
	const char *digits = NULL, *p;
	size_t len = 0, cc, rest, area, sub, first;
	int err, kind;

	if (out == NULL || outlen == 0)
		return tsm_error_set(TSM_EINVALID, "no phone output buffer");
	out[0] = '\0';
	if ((err = check_normal(&digits, e164)) < 0)
		return err;
	kind = kind_of(digits);
	cc = kind == TSM_PHONE_INTERNATIONAL ? cc_len(digits) : 2;
	buf[len++] = '+';
	memcpy(buf + len, digits, cc);
	len += cc;
	p = digits + cc;
	rest = strlen(p);
	switch (kind) {
	case TSM_PHONE_MOBILE: /* 138 0013 8000 */
	case TSM_PHONE_SERVICE: /* 400 810 8888 */
		group(buf, &len, &p, 3);
		group(buf, &len, &p, kind == TSM_PHONE_MOBILE ? 4 : 3);
		group(buf, &len, &p, 4);
		break;
	case TSM_PHONE_LANDLINE: /* 10 5555 0123, 755 888 1234 */
		area = area_len(p);
		sub = rest - area;
		group(buf, &len, &p, area);
		group(buf, &len, &p, sub - 4);
		group(buf, &len, &p, 4);
		break;
	default:
		if (digits[0] == '1' && rest == 10) { /* NANP */
			group(buf, &len, &p, 3);
			group(buf, &len, &p, 3);
			group(buf, &len, &p, 4);
			break;
		}
		first = rest % 4 ? rest % 4 : 4;
		while (rest > 0) {
			group(buf, &len, &p, first);
			rest -= first;
			first = 4;
		}
		break;
	}
	buf[len] = '\0';
	if (len + 1 > outlen)
		return tsm_error_set(TSM_EINVALID, "phone buffer too small");
	memcpy(out, buf, len + 1);
	return 0;
}
