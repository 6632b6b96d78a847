/* tsm/phone.h — phone numbers as people type them (full-width digits, dashes,
 * +86/0086 prefixes) normalized to E.164 ("+8613800001234"), classified
 * (mobile, landline, ...) and formatted for display. Pure functions. */
#ifndef TSM_PHONE_H
#define TSM_PHONE_H

#include "tsm/common.h"

/* Rules, with China (+86) as the only home region:
 * - "+" or "00" first: international; the country code is kept; at most 15
 *   digits, at least 8. +86 numbers get the Chinese checks below; +1 (NANP)
 *   numbers need exactly 10 digits after the country code. A "(0)" trunk
 *   prefix written after the country code ("+44 (0)20 ...") is dropped.
 * - 11 digits starting 13..19: a mobile, +86 1XXXXXXXXXX. A leading 86
 *   (without + or 00) in a number of 11 or more digits is the country code.
 *   A "0" before a mobile (an old long-distance habit) is dropped, and so is
 *   a trunk 0 written after 86 ("+86 0755 ...").
 * - 0 + area code + number: a landline. The area code is 2 digits after the 0
 *   (010, 020..029) or else 3 (0755); the number 7..8 digits, not starting
 *   with 0 or 1. The trunk 0 is dropped: 010-5555-0123 -> +861055550123.
 * - 400/800 + 7 digits: a national service number, +86 400XXXXXXX.
 * - 7..8 digits alone: rejected, it needs an area code. */

#ifdef __cplusplus
extern "C" {
#endif

#define TSM_PHONE_MAX 17         /* "+", at most 15 digits, NUL */
#define TSM_PHONE_DISPLAY_MAX 24 /* a formatted number with spaces, NUL */

/* What a normalized number is. */
enum {
	TSM_PHONE_MOBILE = 1,       /* +86 1[3-9]XXXXXXXXX */
	TSM_PHONE_LANDLINE = 2,     /* +86 area code + number */
	TSM_PHONE_SERVICE = 3,      /* +86 400/800 national service number */
	TSM_PHONE_INTERNATIONAL = 4 /* any other country code */
};

/* Normalizes input to E.164 in out (outlen bytes, TSM_PHONE_MAX suffices).
 * input is UTF-8: ASCII or full-width digits (０-９) and plus (＋); spaces
 * (also U+3000 and no-break space), dashes (- ‐ ‑ ‒ – — − －), dots, slashes
 * and parentheses (also full-width) are ignored. region is the home region for
 * numbers without a country code: NULL or "CN" (the only one supported).
 * Returns 0, or TSM_EINVALID with a message saying why, e.g.
 * "invalid phone '12345': too short" (out is then ""). */
int tsm_phone_normalize(char *out, size_t outlen, const char *input,
			const char *region);

/* The kind (TSM_PHONE_*) of a number in the form tsm_phone_normalize()
 * returns, or TSM_EINVALID when e164 is not such a number. */
int tsm_phone_kind(const char *e164);

/* Formats a normalized number for display into out (outlen bytes,
 * TSM_PHONE_DISPLAY_MAX suffices): "+86 138 0013 8000", "+86 10 5555 0123",
 * "+86 755 8888 1234", "+86 400 810 8888", "+1 202 555 0123"; other
 * countries as "+CC" and the rest in groups of four from the right
 * ("+44 20 7946 0000"). Returns 0, or TSM_EINVALID when e164 is not a
 * normalized number or out is too small (out is then ""). */
int tsm_phone_format(char *out, size_t outlen, const char *e164);

#ifdef __cplusplus
}
#endif
#endif
