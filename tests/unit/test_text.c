/* tests/unit/test_text.c — display width (CJK = 2, combining = 0, invalid
 * bytes = 1), strict UTF-8 decoding, truncation with "…" and padding, CSV
 * fields with and without the spreadsheet formula guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tsm/text.h"

#define ELL "\xE2\x80\xA6"  /* … */
#define FFFD "\xEF\xBF\xBD" /* U+FFFD */

static void test_width_ascii_and_cjk(void **state)
{
	(void)state;
	assert_int_equal(tsm_text_width(NULL), 0);
	assert_int_equal(tsm_text_width(""), 0);
	assert_int_equal(tsm_text_width("abc"), 3);
	assert_int_equal(tsm_text_width("Zhang Wei"), 9);
	assert_int_equal(tsm_text_width("王小明"), 6);
	assert_int_equal(tsm_text_width("王小明 Li"), 9);
	/* 「 and 」 are CJK punctuation (2 each), "Acme " 5, 律师事务所 10 */
	assert_int_equal(tsm_text_width("「Acme 律师事务所」"), 19);
	assert_int_equal(tsm_text_width("１３８"), 6); /* fullwidth digits */
	assert_int_equal(tsm_text_width("ＡＢＣ！"), 8); /* fullwidth forms */
	assert_int_equal(tsm_text_width("a\xE3\x80\x80" "b"), 4); /* U+3000 */
	assert_int_equal(tsm_text_width("你好，世界。"), 12);  /* ，。 wide */
	assert_int_equal(tsm_text_width("한국어"), 6);          /* Hangul */
	assert_int_equal(tsm_text_width("ひらがなカタカナ"), 16);
	assert_int_equal(tsm_text_width("ｱｲｳ"), 3); /* halfwidth katakana */
	assert_int_equal(tsm_text_width("￥100"), 5);           /* U+FFE5 */
	assert_int_equal(tsm_text_width("\xE3\x90\x80"), 2); /* U+3400, ext A */
	assert_int_equal(tsm_text_width("\xF0\xA0\x80\x80"), 2); /* U+20000 */
	assert_int_equal(tsm_text_width("\xF0\x9F\x98\x80"), 2); /* U+1F600 */
	assert_int_equal(tsm_text_width("a" ELL), 2); /* ambiguous: 1 */
	assert_int_equal(tsm_text_width("café"), 4);  /* precomposed é */
}

static void test_width_zero_and_control(void **state)
{
	(void)state;
	/* e + U+0301 combining acute: one column */
	assert_int_equal(tsm_text_width("cafe\xCC\x81"), 4);
	assert_int_equal(tsm_text_width("a\xCC\x81\xCC\x88"), 1);
	assert_int_equal(tsm_text_width("a\xE2\x80\x8B" "b"), 2); /* ZWSP */
	assert_int_equal(tsm_text_width("a\xE2\x80\x8D" "b"), 2); /* ZWJ */
	assert_int_equal(tsm_text_width("a\xE2\x80\x8F"), 1);     /* RLM */
	assert_int_equal(tsm_text_width("a\xEF\xB8\x8F"), 1); /* VS16 */
	assert_int_equal(tsm_text_width("\xEF\xBB\xBF" "ab"), 2); /* BOM */
	/* Hangul L + V jamo form one wide syllable */
	assert_int_equal(tsm_text_width("\xE1\x84\x80\xE1\x85\xA1"), 2);
	assert_int_equal(tsm_text_width("a\tb\n"), 2);
	assert_int_equal(tsm_text_width("\x1B[31mred"), 7);
	assert_int_equal(tsm_text_width("\xC2\x85"), 0);    /* C1 NEL */
	assert_int_equal(tsm_text_width("\x7F"), 0);        /* DEL */
}

static void test_width_invalid_bytes(void **state)
{
	(void)state;
	assert_int_equal(tsm_text_width("\xFF"), 1);
	assert_int_equal(tsm_text_width("a\x80" "b"), 3); /* lone 0x80 */
	assert_int_equal(tsm_text_width("\xE7\x8E"), 2);  /* 王 cut short */
	assert_int_equal(tsm_text_width("\xE7\x8E" "a"), 3);
	assert_int_equal(tsm_text_width("\xC0\xAF"), 2);     /* overlong '/' */
	assert_int_equal(tsm_text_width("\xE0\x80\xAF"), 3); /* overlong */
	assert_int_equal(tsm_text_width("\xED\xA0\x80"), 3); /* surrogate */
	assert_int_equal(tsm_text_width("\xF4\x90\x80\x80"), 4); /* >10FFFF */
	assert_int_equal(tsm_text_width("\xF8\x88\x80\x80\x80"), 5);
	assert_int_equal(tsm_text_width("王\xFF小"), 5);
}

static void test_width_n_stops_at_len(void **state)
{
	/* 王小 without a NUL, in a heap block of exactly its size, so that a
	 * read past the end shows under ASan. */
	static const char bytes[] = "\xE7\x8E\x8B\xE5\xB0\x8F";
	char *s = malloc(6);

	(void)state;
	assert_non_null(s);
	memcpy(s, bytes, 6);
	assert_int_equal(tsm_text_width_n(s, 6), 4);
	assert_int_equal(tsm_text_width_n(s, 3), 2);
	/* 王 and the lead byte of 小 alone: an invalid byte, 1 column */
	assert_int_equal(tsm_text_width_n(s, 4), 3);
	assert_int_equal(tsm_text_width_n(s, 5), 4);
	assert_int_equal(tsm_text_width_n(s, 0), 0);
	free(s);
}

static void test_decode(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(tsm_text_decode(&cp, "A", 1), 1);
	assert_int_equal(cp, 0x41);
	assert_int_equal(tsm_text_decode(&cp, "\xC3\xA9", 2), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(tsm_text_decode(&cp, "王", 3), 3);
	assert_int_equal(cp, 0x738B);
	assert_int_equal(tsm_text_decode(&cp, "\xF0\x9F\x98\x80", 4), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(tsm_text_decode(&cp, "\xF4\x8F\xBF\xBF", 4), 4);
	assert_int_equal(cp, 0x10FFFF);
	assert_int_equal(tsm_text_decode(&cp, "\xEF\xBF\xBF", 3), 3);
	assert_int_equal(cp, 0xFFFF);
	/* invalid: one byte each */
	assert_int_equal(tsm_text_decode(&cp, "王", 2), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\x80", 1), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xC1\xBF", 2), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xE0\x9F\xBF", 3), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xED\xBF\xBF", 3), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xF0\x8F\xBF\xBF", 4), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xE7\x41\x8B", 3), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xE7\x8E\x41", 3), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "\xF5\x80\x80\x80", 4), 1);
	assert_int_equal(cp, TSM_TEXT_INVALID);
	assert_int_equal(tsm_text_decode(&cp, "", 0), 0);
	assert_int_equal(cp, TSM_TEXT_INVALID);
}

static void test_char_width(void **state)
{
	(void)state;
	assert_int_equal(tsm_text_char_width('A'), 1);
	assert_int_equal(tsm_text_char_width(0), 0);
	assert_int_equal(tsm_text_char_width(0x1B), 0);
	assert_int_equal(tsm_text_char_width(0x9F), 0);
	assert_int_equal(tsm_text_char_width(0xA0), 1);
	assert_int_equal(tsm_text_char_width(0x0300), 0);
	assert_int_equal(tsm_text_char_width(0x036F), 0);
	assert_int_equal(tsm_text_char_width(0x0370), 1);
	assert_int_equal(tsm_text_char_width(0x1100), 2);
	assert_int_equal(tsm_text_char_width(0x1160), 0);
	assert_int_equal(tsm_text_char_width(0x200B), 0);
	assert_int_equal(tsm_text_char_width(0x2026), 1);
	assert_int_equal(tsm_text_char_width(0x3000), 2);
	assert_int_equal(tsm_text_char_width(0x303E), 2);
	assert_int_equal(tsm_text_char_width(0x303F), 1);
	assert_int_equal(tsm_text_char_width(0x3099), 0);
	assert_int_equal(tsm_text_char_width(0x3400), 2);
	assert_int_equal(tsm_text_char_width(0x4DBF), 2);
	assert_int_equal(tsm_text_char_width(0x4E00), 2);
	assert_int_equal(tsm_text_char_width(0x9FFF), 2);
	assert_int_equal(tsm_text_char_width(0xAC00), 2);
	assert_int_equal(tsm_text_char_width(0xD7A3), 2);
	assert_int_equal(tsm_text_char_width(0xFE0F), 0);
	assert_int_equal(tsm_text_char_width(0xFF01), 2);
	assert_int_equal(tsm_text_char_width(0xFF60), 2);
	assert_int_equal(tsm_text_char_width(0xFF61), 1);
	assert_int_equal(tsm_text_char_width(0xFFE0), 2);
	assert_int_equal(tsm_text_char_width(0xFFE6), 2);
	assert_int_equal(tsm_text_char_width(0xFFE8), 1);
	assert_int_equal(tsm_text_char_width(0x1F600), 2);
	assert_int_equal(tsm_text_char_width(0x2A6DF), 2);
	assert_int_equal(tsm_text_char_width(0xE0100), 0);
	assert_int_equal(tsm_text_char_width(0x10FFFF), 1);
	assert_int_equal(tsm_text_char_width(TSM_TEXT_INVALID), 1);
}

/* Truncates s to width and checks the text and width written. */
static void cut(const char *s, size_t width, const char *want, int want_w)
{
	char out[128];
	int w;

	memset(out, 'X', sizeof(out));
	w = tsm_text_truncate(out, sizeof(out), s, width);
	assert_string_equal(out, want);
	assert_int_equal(w, want_w);
	assert_int_equal(tsm_text_width(out), (size_t)want_w);
}

static void test_truncate(void **state)
{
	(void)state;
	cut("abcdef", 10, "abcdef", 6);
	cut("abcdef", 6, "abcdef", 6);
	cut("abcdef", 5, "abcd" ELL, 5);
	cut("abcdef", 1, ELL, 1);
	cut("abcdef", 0, "", 0);
	cut("", 3, "", 0);
	cut(NULL, 3, "", 0);
	cut("王小明", 6, "王小明", 6);
	cut("王小明", 5, "王小" ELL, 5);
	cut("王小明", 4, "王" ELL, 3); /* 小 would straddle the edge */
	cut("王小明", 3, "王" ELL, 3);
	cut("王小明", 2, ELL, 1);
	cut("a王b", 3, "a" ELL, 2);
	cut("「Acme 律师事务所」", 10, "「Acme 律" ELL, 10);
	cut("「Acme 律师事务所」", 19, "「Acme 律师事务所」", 19);
	cut("１３８００", 7, "１３８" ELL, 7);
	/* a combining mark stays with the letter it follows ... */
	cut("e\xCC\x81xyz", 2, "e\xCC\x81" ELL, 2);
	/* ... and goes with it when the letter does not fit */
	cut("ab\xCC\x81" "c", 2, "a" ELL, 2);
	cut("cafe\xCC\x81", 4, "cafe\xCC\x81", 4);
}

static void test_truncate_cleans(void **state)
{
	(void)state;
	/* control characters are dropped, invalid bytes become U+FFFD */
	cut("a\x1B[1mb", 10, "a[1mb", 5);
	cut("line1\nline2", 20, "line1line2", 10);
	cut("a\xFF" "b", 10, "a" FFFD "b", 3);
	cut("\xE7\x8E", 10, FFFD FFFD, 2);
	cut("\xFF\xFF\xFF\xFF", 3, FFFD FFFD ELL, 3);
}

static void test_truncate_small_buffer(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(tsm_text_truncate(out, 4, "abcdef", 10), TSM_EINVALID);
	assert_string_equal(out, "");
	assert_string_equal(tsm_error_last()->message,
			    "text buffer of 4 bytes too small");
	/* exactly enough: "abc" and the NUL */
	assert_int_equal(tsm_text_truncate(out, 4, "abc", 10), 3);
	assert_string_equal(out, "abc");
	/* "王" + "…" is 6 bytes: 7 with the NUL */
	assert_int_equal(tsm_text_truncate(out, 7, "王小明", 3), 3);
	assert_string_equal(out, "王" ELL);
	assert_int_equal(tsm_text_truncate(out, 6, "王小明", 3), TSM_EINVALID);
	assert_int_equal(tsm_text_truncate(out, 0, "abc", 3), TSM_EINVALID);
}

static void pad(const char *s, size_t width, int align, const char *want)
{
	char out[128];

	memset(out, 'X', sizeof(out));
	assert_int_equal(tsm_text_pad(out, sizeof(out), s, width, align),
			 (int)width);
	assert_string_equal(out, want);
	assert_int_equal(tsm_text_width(out), width);
}

static void test_pad(void **state)
{
	(void)state;
	pad("王小明", 8, TSM_TEXT_LEFT, "王小明  ");
	pad("王小明", 8, TSM_TEXT_RIGHT, "  王小明");
	pad("王小明", 9, TSM_TEXT_CENTER, " 王小明  ");
	pad("王小明", 6, TSM_TEXT_LEFT, "王小明");
	pad("王小明", 4, TSM_TEXT_LEFT, "王" ELL " ");
	pad("王小明", 4, TSM_TEXT_RIGHT, " 王" ELL);
	pad("42", 5, TSM_TEXT_RIGHT, "   42");
	pad("", 3, TSM_TEXT_LEFT, "   ");
	pad(NULL, 2, TSM_TEXT_RIGHT, "  ");
	pad("abc", 0, TSM_TEXT_LEFT, "");
	pad("cafe\xCC\x81", 6, TSM_TEXT_LEFT, "cafe\xCC\x81  ");
	pad("a\xFF", 4, TSM_TEXT_RIGHT, "  a" FFFD);
	pad("「Acme 律师事务所」", 12, TSM_TEXT_LEFT, "「Acme 律师" ELL);
	pad("「Acme 律师事务所」", 13, TSM_TEXT_LEFT, "「Acme 律师" ELL " ");
}

static void test_pad_errors(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(tsm_text_pad(out, sizeof(out), "a", 3, 7),
			 TSM_EINVALID);
	assert_string_equal(out, "");
	assert_string_equal(tsm_error_last()->message,
			    "bad text alignment 7");
	/* "ab  " needs 5 bytes */
	assert_int_equal(tsm_text_pad(out, 5, "ab", 4, TSM_TEXT_LEFT), 4);
	assert_string_equal(out, "ab  ");
	assert_int_equal(tsm_text_pad(out, 4, "ab", 4, TSM_TEXT_LEFT),
			 TSM_EINVALID);
	assert_string_equal(out, "");
}

static void test_bufsize_is_enough(void **state)
{
	/* the worst case: every byte invalid (3 bytes each as U+FFFD) */
	static const char *inputs[] = {
		"\xFF\xFF\xFF\xFF\xFF", "王小明", "\x80王\x80", "abc", "",
	};
	char out[TSM_TEXT_BUFSIZE(5, 9)];
	size_t i, w;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		for (w = 0; w <= 9; w++) {
			assert_true(tsm_text_pad(out,
						 TSM_TEXT_BUFSIZE(
							 strlen(inputs[i]), w),
						 inputs[i], w,
						 TSM_TEXT_CENTER) >= 0);
			assert_int_equal(tsm_text_width(out), w);
			assert_true(tsm_text_truncate(
					    out,
					    TSM_TEXT_BUFSIZE(strlen(inputs[i]),
							     w),
					    inputs[i], w) >= 0);
			assert_true(tsm_text_width(out) <= w);
		}
	}
}

/* A sink into a fixed buffer; fails once it is full. */
struct sbuf {
	char b[256];
	size_t n;
};

static int put_sbuf(void *ud, const char *p, size_t n)
{
	struct sbuf *s = ud;

	if (s->n + n >= sizeof(s->b))
		return -5;
	memcpy(s->b + s->n, p, n);
	s->n += n;
	s->b[s->n] = '\0';
	return 0;
}

static const char *csv(const char *in, int guard)
{
	static struct sbuf s;

	s.n = 0;
	s.b[0] = '\0';
	assert_int_equal(
	    tsm_text_csv_field(put_sbuf, &s, in, strlen(in), ',', guard), 0);
	return s.b;
}

static void test_csv_field(void **state)
{
	struct sbuf small = {.n = 250};

	(void)state;
	assert_string_equal(csv("", 1), "");
	assert_string_equal(csv("王伟", 1), "王伟");
	assert_string_equal(csv("a,b", 0), "\"a,b\"");
	assert_string_equal(csv("say \"hi\"", 0), "\"say \"\"hi\"\"\"");
	assert_string_equal(csv("\"", 0), "\"\"\"\"");
	assert_string_equal(csv(" padded", 0), "\" padded\"");
	assert_string_equal(csv("two\nlines", 0), "\"two\nlines\"");
	/* formulas get an apostrophe; numbers and phones do not */
	assert_string_equal(csv("=HYPERLINK(\"http://x.invalid\")", 1),
			    "\"'=HYPERLINK(\"\"http://x.invalid\"\")\"");
	assert_string_equal(csv("=1+1", 1), "'=1+1");
	assert_string_equal(csv("@SUM(A1)", 1), "'@SUM(A1)");
	assert_string_equal(csv("+cmd|' /C x'!A0", 1), "'+cmd|' /C x'!A0");
	assert_string_equal(csv("-2+3+cmd|x", 1), "'-2+3+cmd|x");
	assert_string_equal(csv("\t=1", 1), "'\t=1");
	assert_string_equal(csv("+8613800000001", 1), "+8613800000001");
	assert_string_equal(csv("+86 138 0000 0001", 1),
			    "+86 138 0000 0001");
	assert_string_equal(csv("-12.50", 1), "-12.50");
	assert_string_equal(csv("-1,234.50", 1), "\"-1,234.50\"");
	assert_string_equal(csv("Li =x", 1), "Li =x");
	/* without the guard, the text as it is */
	assert_string_equal(csv("=1+1", 0), "=1+1");
	/* a failing sink ends the field with its code */
	assert_int_equal(tsm_text_csv_field(put_sbuf, &small, "0123456789",
					    10, ',', 1),
			 -5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_ascii_and_cjk),
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_width_zero_and_control),
		cmocka_unit_test(test_width_invalid_bytes),
		cmocka_unit_test(test_width_n_stops_at_len),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_char_width),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_truncate_cleans),
		cmocka_unit_test(test_truncate_small_buffer),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_pad_errors),
		cmocka_unit_test(test_bufsize_is_enough),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
