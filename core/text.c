/* core/text.c — UTF-8 decoding, terminal display width (East Asian Wide and
 * Fullwidth = 2 columns, combining and zero-width = 0) and cutting/padding to
 * a width. The tables follow Unicode's EastAsianWidth.txt (W and F). */
#include "tsm/text.h"

#include "error.h"

#include <limits.h>
#include <string.h>

struct range {
	uint32_t first, last;
};

/* Characters that take no column: combining marks (Mn/Me), zero-width and
 * bidi format characters, Hangul medial vowels and final consonants (they
 * join the initial consonant's cell), variation selectors, tags. */
/* clang-format off */
static const struct range zero_width[] = {
	{0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},
	{0x05BF, 0x05BF},   {0x05C1, 0x05C2},   {0x05C4, 0x05C5},
	{0x05C7, 0x05C7},   {0x0610, 0x061A},   {0x061C, 0x061C},
	{0x064B, 0x065F},   {0x0670, 0x0670},   {0x06D6, 0x06DC},
	{0x06DF, 0x06E4},   {0x06E7, 0x06E8},   {0x06EA, 0x06ED},
	{0x0900, 0x0902},   {0x093A, 0x093A},   {0x093C, 0x093C},
	{0x0941, 0x0948},   {0x094D, 0x094D},   {0x0951, 0x0957},
	{0x0962, 0x0963},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},
	{0x0E47, 0x0E4E},   {0x1160, 0x11FF},   {0x1AB0, 0x1AFF},
	{0x1DC0, 0x1DFF},   {0x200B, 0x200F},   {0x202A, 0x202E},
	{0x2060, 0x2064},   {0x2066, 0x206F},   {0x20D0, 0x20FF},
	{0x302A, 0x302D},   {0x3099, 0x309A},   {0xD7B0, 0xD7FF},
	{0xFE00, 0xFE0F},   {0xFE20, 0xFE2F},   {0xFEFF, 0xFEFF},
	{0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
};

/* East Asian Wide (W) and Fullwidth (F) characters: two columns. */
static const struct range wide[] = {
	{0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},
	{0x23E9, 0x23EC},   {0x23F0, 0x23F0},   {0x23F3, 0x23F3},
	{0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},
	{0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
	{0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
	{0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},
	{0x26F2, 0x26F3},   {0x26F5, 0x26F5},   {0x26FA, 0x26FA},
	{0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
	{0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},
	{0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
	{0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},
	{0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x2E99},
	{0x2E9B, 0x2EF3},   {0x2F00, 0x2FD5},   {0x2FF0, 0x2FFF},
	{0x3000, 0x303E},   {0x3041, 0x3096},   {0x3099, 0x30FF},
	{0x3105, 0x312F},   {0x3131, 0x318E},   {0x3190, 0x31E3},
	{0x31F0, 0x321E},   {0x3220, 0x3247},   {0x3250, 0x4DBF},
	{0x4E00, 0xA48C},   {0xA490, 0xA4C6},   {0xA960, 0xA97C},
	{0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
	{0xFE30, 0xFE52},   {0xFE54, 0xFE66},   {0xFE68, 0xFE6B},
	{0xFF01, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
	{0x16FF0, 0x16FF1}, {0x17000, 0x187F7}, {0x18800, 0x18CD5},
	{0x18D00, 0x18D08}, {0x1AFF0, 0x1AFFE}, {0x1B000, 0x1B122},
	{0x1B150, 0x1B152}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB},
	{0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E},
	{0x1F191, 0x1F19A}, {0x1F200, 0x1F202}, {0x1F210, 0x1F23B},
	{0x1F240, 0x1F248}, {0x1F250, 0x1F251}, {0x1F260, 0x1F265},
	{0x1F300, 0x1F320}, {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C},
	{0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
	{0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
	{0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D},
	{0x1F54B, 0x1F54E}, {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A},
	{0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
	{0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
	{0x1F6D5, 0x1F6D7}, {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC},
	{0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0},
	{0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
	{0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};
/* clang-format on */

static int in_table(uint32_t cp, const struct range *t, size_t n)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < t[mid].first)
			hi = mid;
		else if (cp > t[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

size_t tsm_text_decode(uint32_t *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xBF;
	uint32_t cp;
	size_t need, i;

	*out = TSM_TEXT_INVALID;
	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*out = p[0];
		return 1;
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		need = 1;
		cp = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		need = 2;
		cp = p[0] & 0x0F;
		if (p[0] == 0xE0)
			lo = 0xA0; /* no overlong forms */
		else if (p[0] == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		need = 3;
		cp = p[0] & 0x07;
		if (p[0] == 0xF0)
			lo = 0x90; /* no overlong forms */
		else if (p[0] == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else {
		return 1; /* continuation byte, C0, C1 or F5..FF */
	}
	if (len < need + 1)
		return 1;
	/* The second byte has the tighter bounds; the rest are 80..BF. */
	if (p[1] < lo || p[1] > hi)
		return 1;
	for (i = 1; i <= need; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xBF))
			return 1;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	*out = cp;
	return need + 1;
}

int tsm_text_char_width(uint32_t cp)
{
	if (cp == TSM_TEXT_INVALID)
		return 1;
	if (is_control(cp))
		return 0;
	if (cp < 0x300)
		return 1;
	if (in_table(cp, zero_width, sizeof(zero_width) / sizeof(*zero_width)))
		return 0;
	if (in_table(cp, wide, sizeof(wide) / sizeof(*wide)))
		return 2;
	return 1;
}

size_t tsm_text_width_n(const char *s, size_t len)
{
	size_t width = 0, off = 0, n;
	uint32_t cp;

	if (s == NULL)
		return 0;
	while (off < len) {
		n = tsm_text_decode(&cp, s + off, len - off);
		width += (size_t)tsm_text_char_width(cp);
		off += n;
	}
	return width;
}

size_t tsm_text_width(const char *s)
{
	if (s == NULL)
		return 0;
	return tsm_text_width_n(s, strlen(s));
}

/* How much of s (len bytes) fits in limit columns: the byte length of the
 * longest prefix that does, stopping at the first character that does not;
 * zero-width characters after the last one taken are kept with it. */
static size_t fit_prefix(const char *s, size_t len, size_t limit,
			 size_t *width)
{
	size_t off = 0, w = 0, n;
	uint32_t cp;
	int cw;

	while (off < len) {
		n = tsm_text_decode(&cp, s + off, len - off);
		cw = tsm_text_char_width(cp);
		if (w + (size_t)cw > limit)
			break;
		w += (size_t)cw;
		off += n;
	}
	*width = w;
	return off;
}

/* A bounded output buffer; overflow is remembered, never written. */
struct sink {
	char *buf;
	size_t cap; /* excluding the NUL */
	size_t len;
	int overflow;
};

static void sink_put(struct sink *k, const char *p, size_t n)
{
	if (k->overflow || n > k->cap - k->len) {
		k->overflow = 1;
		return;
	}
	memcpy(k->buf + k->len, p, n);
	k->len += n;
}

static void sink_spaces(struct sink *k, size_t n)
{
	if (k->overflow || n > k->cap - k->len) {
		k->overflow = 1;
		return;
	}
	memset(k->buf + k->len, ' ', n);
	k->len += n;
}

/* Copies len bytes of s, dropping control characters and turning each
 * invalid byte into U+FFFD; the display width is unchanged. */
static void sink_clean(struct sink *k, const char *s, size_t len)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	size_t off = 0, n;
	uint32_t cp;

	while (off < len) {
		n = tsm_text_decode(&cp, s + off, len - off);
		if (cp == TSM_TEXT_INVALID)
			sink_put(k, replacement, 3);
		else if (!is_control(cp))
			sink_put(k, s + off, n);
		off += n;
	}
}

/* How s is cut to width columns: its first len bytes (width columns), then
 * "…" when ellipsis is set. */
struct cut {
	size_t len, width;
	int ellipsis;
};

static struct cut plan_cut(const char *s, size_t width)
{
	struct cut c = {0, 0, 0};
	size_t len = s ? strlen(s) : 0, all = tsm_text_width_n(s, len);

	if (all <= width) {
		c.len = len;
		c.width = all;
	} else if (width > 0) {
		c.len = fit_prefix(s, len, width - 1, &c.width);
		c.width++;
		c.ellipsis = 1;
	}
	return c;
}

static void put_cut(struct sink *k, const char *s, const struct cut *c)
{
	static const char ellipsis[] = "\xE2\x80\xA6";

	sink_clean(k, s, c->len);
	if (c->ellipsis)
		sink_put(k, ellipsis, 3);
}

static int finish(struct sink *k)
{
	if (k->overflow) {
		k->buf[0] = '\0';
		return tsm_error_set(TSM_EINVALID,
				     "text buffer of %zu bytes too small",
				     k->cap + 1);
	}
	k->buf[k->len] = '\0';
	return 0;
}

int tsm_text_truncate(char *out, size_t outlen, const char *s, size_t width)
{
	struct sink k = {out, outlen ? outlen - 1 : 0, 0, 0};
	struct cut c;
	int err;

	if (outlen == 0 || width > (size_t)INT_MAX)
		return tsm_error_set(TSM_EINVALID, "bad text buffer or width");
	c = plan_cut(s, width);
	put_cut(&k, s, &c);
	if ((err = finish(&k)) < 0)
		return err;
	return (int)c.width;
}

int tsm_text_pad(char *out, size_t outlen, const char *s, size_t width,
		 int align)
{
	struct sink k = {out, outlen ? outlen - 1 : 0, 0, 0};
	struct cut c;
	size_t spare, left;
	int err;

	if (outlen == 0 || width > (size_t)INT_MAX)
		return tsm_error_set(TSM_EINVALID, "bad text buffer or width");
	if (align != TSM_TEXT_LEFT && align != TSM_TEXT_RIGHT &&
	    align != TSM_TEXT_CENTER) {
		out[0] = '\0';
		return tsm_error_set(TSM_EINVALID, "bad text alignment %d",
				     align);
	}
	c = plan_cut(s, width);
	spare = width - c.width;
	if (align == TSM_TEXT_RIGHT)
		left = spare;
	else if (align == TSM_TEXT_CENTER)
		left = spare / 2;
	else
		left = 0;
	sink_spaces(&k, left);
	put_cut(&k, s, &c);
	sink_spaces(&k, spare - left);
	if ((err = finish(&k)) < 0)
		return err;
	return (int)width;
}

/* ---- CSV fields ---- */

/* Whether a spreadsheet could take s[0..n) for a formula that does more
 * than arithmetic on literal numbers. */
static int csv_formula(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || strchr("=+-@\t\r", s[0]) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((s[i] < '0' || s[i] > '9') &&
		    strchr(" .,+-()/:", s[i]) == NULL)
			return 1;
	return 0;
}

int tsm_text_csv_field(tsm_text_sink put, void *ud, const char *s, size_t n,
		       char delim, int guard)
{
	size_t i, from;
	int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
	int err;

	for (i = 0; i < n && !quote; i++)
		if (s[i] == delim || s[i] == '"' || s[i] == '\r' ||
		    s[i] == '\n')
			quote = 1;
	if (quote && (err = put(ud, "\"", 1)) < 0)
		return err;
	if (guard && csv_formula(s, n) && (err = put(ud, "'", 1)) < 0)
		return err;
	if (!quote)
		return n ? put(ud, s, n) : 0;
	/* Runs up to and including each quote, then the quote again. */
	for (from = 0, i = 0; i < n; i++) {
		if (s[i] != '"')
			continue;
		if ((err = put(ud, s + from, i + 1 - from)) < 0 ||
		    (err = put(ud, "\"", 1)) < 0)
			return err;
		from = i + 1;
	}
	if (from < n && (err = put(ud, s + from, n - from)) < 0)
		return err;
	return put(ud, "\"", 1);
}
