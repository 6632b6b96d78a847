/* tests/unit/test_money.c — yuan amounts as people type them parsed to
 * integer fen (separators, currency signs, 元, the limits) and fen formatted
 * back with two decimals and thousands separators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tsm/money.h"
#include "testutil.h"

static int64_t parse_ok(const char *text)
{
	int64_t fen = -12345;

	if (tsm_money_parse_yuan(&fen, text) < 0)
		fail_msg("'%s' refused: %s", text, tsm_error_last()->message);
	return fen;
}

/* Refused with TSM_EINVALID, fen untouched, and a message containing
 * what. */
static void parse_bad(const char *text, const char *what)
{
	int64_t fen = 777;
	int rc = tsm_money_parse_yuan(&fen, text);

	if (rc != TSM_EINVALID)
		fail_msg("'%s' gave %d, expected TSM_EINVALID", text, rc);
	assert_int_equal(fen, 777);
	assert_non_null(strstr(tsm_error_last()->message, "invalid amount"));
	if (what && strstr(tsm_error_last()->message, what) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", text,
			 tsm_error_last()->message, what);
}

static void test_parse_plain(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("12000"), 1200000);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("0.05"), 5);
	assert_int_equal(parse_ok("0.5"), 50);
	assert_int_equal(parse_ok("12000.5"), 1200050);
	assert_int_equal(parse_ok("12000.50"), 1200050);
	assert_int_equal(parse_ok("007"), 700);
	assert_int_equal(parse_ok("  88.8 "), 8880);
}

static void test_parse_decorated(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("12,000.50"), 1200050);
	assert_int_equal(parse_ok("1,234,567"), 123456700);
	assert_int_equal(parse_ok("999"), 99900);
	assert_int_equal(parse_ok("¥12000"), 1200000);
	assert_int_equal(parse_ok("￥12,000"), 1200000);
	assert_int_equal(parse_ok("¥ 3,500.25"), 350025);
	assert_int_equal(parse_ok("12000元"), 1200000);
	assert_int_equal(parse_ok("12000.10 元"), 1200010);
	assert_int_equal(parse_ok("¥8,000元"), 800000);
}

static void test_parse_limits(void **state)
{
	(void)state;
	/* The largest accepted amount, and one fen more. */
	assert_int_equal(parse_ok("9,999,999,999,999.99"), TSM_MONEY_MAX_FEN);
	assert_int_equal(parse_ok("9999999999999.99"), TSM_MONEY_MAX_FEN);
	parse_bad("10000000000000", "too large");
	parse_bad("99999999999999999999999999", "too large");
	parse_bad("18446744073709551617", "too large");
}

static void test_parse_rejects(void **state)
{
	(void)state;
	parse_bad("-5", "negative");
	parse_bad("-0.01", "negative");
	parse_bad("¥-100", "negative");
	parse_bad("+5", NULL);
	parse_bad("12.345", "two decimals");
	parse_bad("0.001", "two decimals");
	parse_bad("abc", NULL);
	parse_bad("", NULL);
	parse_bad("   ", NULL);
	parse_bad("¥", NULL);
	parse_bad("元", NULL);
	parse_bad("12a", NULL);
	parse_bad("1e5", NULL);
	parse_bad("12.", NULL);
	parse_bad(".5", NULL);
	parse_bad("1.2.3", NULL);
	parse_bad("12 000", NULL);
	parse_bad("0x10", NULL);
	parse_bad("12,00", "separator");
	parse_bad("1,2345", "separator");
	parse_bad("1234,567", "separator");
	parse_bad(",123", "separator");
	parse_bad("1,,000", "separator");
	parse_bad("1,000,", "separator");
	parse_bad("１２０００", NULL); /* fullwidth digits are not taken */
	parse_bad("12000 USD", NULL);
	assert_int_equal(tsm_money_parse_yuan(NULL, NULL), TSM_EINVALID);
}

static void fmt(int64_t fen, const char *want)
{
	char out[TSM_MONEY_FORMAT_MAX];
	int n = tsm_money_format(out, sizeof(out), fen);

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_format(void **state)
{
	char small[6];

	(void)state;
	fmt(0, "0.00");
	fmt(5, "0.05");
	fmt(50, "0.50");
	fmt(100, "1.00");
	fmt(99999, "999.99");
	fmt(100000, "1,000.00");
	fmt(1200050, "12,000.50");
	fmt(123456789, "1,234,567.89");
	fmt(-150, "-1.50");
	fmt(-123456789, "-1,234,567.89");
	fmt(TSM_MONEY_MAX_FEN, "9,999,999,999,999.99");
	fmt(INT64_MAX, "92,233,720,368,547,758.07");
	fmt(INT64_MIN, "-92,233,720,368,547,758.08");
	/* Too small a buffer: an error and an empty string. */
	assert_int_equal(tsm_money_format(small, sizeof(small), 1200050),
			 TSM_EINVALID);
	assert_string_equal(small, "");
	assert_int_equal(tsm_money_format(small, sizeof(small), 99999),
			 TSM_EINVALID); /* "999.99" needs 7 bytes */
	assert_int_equal(tsm_money_format(small, sizeof(small), 5), 4);
	assert_string_equal(small, "0.05");
}

/* Whatever formatting writes, parsing reads back (non-negative). */
static void test_round_trip(void **state)
{
	static const int64_t values[] = {
	    0,	 1,	9,	10,	 99,	       100,
	    101, 99999, 100000, 1234567, 5000000000LL, TSM_MONEY_MAX_FEN};
	char out[TSM_MONEY_FORMAT_MAX];
	size_t i;
	int64_t fen;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_true(tsm_money_format(out, sizeof(out), values[i]) > 0);
		assert_int_equal(tsm_money_parse_yuan(&fen, out), 0);
		assert_int_equal(fen, values[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_plain),
	    cmocka_unit_test(test_parse_decorated),
	    cmocka_unit_test(test_parse_limits),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
