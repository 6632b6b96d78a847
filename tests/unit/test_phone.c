/* tests/unit/test_phone.c — phone normalization to E.164 (China as the home
 * region), kinds, display formatting and the messages for bad numbers. All
 * numbers are invented (138 0000 xxxx, 010-5555-xxxx, +1 202 555 01xx). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tsm/phone.h"

/* Normalizes input and checks the result. */
static void ok(const char *input, const char *want)
{
	char out[TSM_PHONE_MAX];
	int err;

	memset(out, 'X', sizeof(out));
	err = tsm_phone_normalize(out, sizeof(out), input, NULL);
	if (err != 0)
		fail_msg("'%s': %s", input, tsm_error_last()->message);
	assert_string_equal(out, want);
}

/* Normalizes input, expecting TSM_EINVALID with exactly this message. */
static void bad(const char *input, const char *message)
{
	char out[TSM_PHONE_MAX];

	memset(out, 'X', sizeof(out));
	assert_int_equal(tsm_phone_normalize(out, sizeof(out), input, NULL),
			 TSM_EINVALID);
	assert_string_equal(out, "");
	assert_int_equal(tsm_error_last()->code, TSM_EINVALID);
	assert_string_equal(tsm_error_last()->message, message);
}

static void test_mobile(void **state)
{
	(void)state;
	ok("13800001234", "+8613800001234");
	ok("138 0000 1234", "+8613800001234");
	ok("138-0000-1234", "+8613800001234");
	ok("138.0000.1234", "+8613800001234");
	ok("(138) 0000 1234", "+8613800001234");
	ok("  138 0000 1234  ", "+8613800001234");
	ok("+86 138 0000 1234", "+8613800001234");
	ok("+86-138-0000-1234", "+8613800001234");
	ok("+8613800001234", "+8613800001234");
	ok("(+86) 138 0000 1234", "+8613800001234");
	ok("0086 138 0000 1234", "+8613800001234");
	ok("86 138 0000 1234", "+8613800001234");
	ok("8613800001234", "+8613800001234");
	ok("013800001234", "+8613800001234"); /* long-distance 0 */
	ok("19955550123", "+8619955550123");
	ok("15055550123", "+8615055550123");
}

static void test_unicode_forms(void **state)
{
	(void)state;
	ok("１３８００００１２３４", "+8613800001234");
	ok("１３８　００００　１２３４", "+8613800001234"); /* U+3000 */
	ok("＋８６ １３８－００００－１２３４", "+8613800001234");
	ok("138\xE2\x80\x90" "0000\xE2\x80\x93" "1234", "+8613800001234");
	ok("138\xE2\x80\x94" "0000\xE2\x80\x94" "1234", "+8613800001234");
	ok("138\xC2\xA0" "0000\xC2\xA0" "1234", "+8613800001234"); /* NBSP */
	ok("（０１０）５５５５－０１２３", "+861055550123");
	ok("010．5555．0123", "+861055550123");
}

static void test_landline(void **state)
{
	(void)state;
	ok("010-5555-0123", "+861055550123");
	ok("(010) 5555 0123", "+861055550123");
	ok("01055550123", "+861055550123");
	ok("020-5555-0123", "+862055550123");
	ok("0755-8888-1234", "+8675588881234");
	ok("0755 8888 1234", "+8675588881234");
	ok("0871-555-0123", "+868715550123"); /* 7-digit number */
	ok("+86 10 5555 0123", "+861055550123");
	ok("+86 (0)10 5555 0123", "+861055550123");
	ok("+86 010 5555 0123", "+861055550123");
	ok("0086-755-8888-1234", "+8675588881234");
	ok("86 755 8888 1234", "+8675588881234");
	ok("86 0755 8888 1234", "+8675588881234");
}

static void test_service(void **state)
{
	(void)state;
	ok("400-810-5555", "+864008105555");
	ok("800 810 5555", "+868008105555");
	ok("+86 400 810 5555", "+864008105555");
}

static void test_international(void **state)
{
	(void)state;
	ok("+1 202 555 0123", "+12025550123");
	ok("+1 (202) 555-0123", "+12025550123");
	ok("001 202 555 0123", "+12025550123");
	ok("+44 20 7946 0123", "+442079460123");
	ok("+44 (0)20 7946 0123", "+442079460123");
	ok("0044 (0) 20 7946 0123", "+442079460123");
	ok("＋４４ ２０ ７９４６ ０１２３", "+442079460123");
	ok("+852 5555 0123", "+85255550123");
	ok("+33 1 99 00 12 34", "+33199001234");
	ok("+49 30 1234 5678 901", "+493012345678901"); /* 15 digits: max */
}

static void test_rejects_length(void **state)
{
	(void)state;
	bad("12345", "invalid phone '12345': too short");
	bad("", "invalid phone '': no digits");
	bad("  - ", "invalid phone '  - ': no digits");
	bad("+", "invalid phone '+': no digits");
	bad("0755", "invalid phone '0755': too short");
	bad("1380000123",
	    "invalid phone '1380000123': too short for a mobile number "
	    "(11 digits)");
	bad("138000012345",
	    "invalid phone '138000012345': too long for a mobile number "
	    "(11 digits)");
	bad("+86 138 0000 12345",
	    "invalid phone '+86 138 0000 12345': too long for a mobile number "
	    "(11 digits)");
	bad("0013800001234567890",
	    "invalid phone '0013800001234567890': too long (at most 15 digits "
	    "with the country code)");
	bad("123456789012345678901234",
	    "invalid phone '123456789012345678901234': too long");
	bad("+44 1234", "invalid phone '+44 1234': too short");
	bad("00", "invalid phone '00': too short");
	bad("+86 12345", "invalid phone '+86 12345': too short");
}

static void test_rejects_chinese_rules(void **state)
{
	(void)state;
	bad("555-0123",
	    "invalid phone '555-0123': needs an area code (e.g. 010 or 0755)");
	bad("5555 0123",
	    "invalid phone '5555 0123': needs an area code (e.g. 010 or "
	    "0755)");
	bad("12812345678",
	    "invalid phone '12812345678': mobile numbers start with 13 to 19");
	bad("+86 128 0000 1234",
	    "invalid phone '+86 128 0000 1234': mobile numbers start with 13 "
	    "to 19");
	bad("010-555-012",
	    "invalid phone '010-555-012': too short: area code 010 needs a 7-8 "
	    "digit number");
	bad("010-5555-01234",
	    "invalid phone '010-5555-01234': too long: area code 010 needs a "
	    "7-8 digit number");
	bad("0755-0888-1234",
	    "invalid phone '0755-0888-1234': the number after area code 0755 "
	    "cannot start with 0 or 1");
	bad("400-810-555",
	    "invalid phone '400-810-555': a 400 service number has 10 digits");
	bad("2025550123",
	    "invalid phone '2025550123': not a chinese number: a mobile starts "
	    "with 1, a landline with 0 and an area code, or add + and the "
	    "country code");
	bad("+86 00 5555 0123",
	    "invalid phone '+86 00 5555 0123': a chinese number has one 0 "
	    "before the area code, not two");
}

static void test_rejects_international(void **state)
{
	(void)state;
	bad("+1 202 555 012",
	    "invalid phone '+1 202 555 012': a +1 number has 10 digits after "
	    "the country code");
	bad("+1 102 555 0123",
	    "invalid phone '+1 102 555 0123': a +1 area code cannot start with "
	    "0 or 1");
	bad("+0 123 4567 8901",
	    "invalid phone '+0 123 4567 8901': a country code cannot start "
	    "with 0");
	bad("+1234567890123456",
	    "invalid phone '+1234567890123456': too long (at most 15 digits "
	    "with the country code)");
}

static void test_rejects_characters(void **state)
{
	(void)state;
	bad("138 0000 123a",
	    "invalid phone '138 0000 123a': contains a letter");
	bad("tel 13800001234",
	    "invalid phone 'tel 13800001234': contains a letter");
	bad("138 0000 1234 ext 5",
	    "invalid phone '138 0000 1234 ext 5': contains a letter");
	bad("138*0000*1234",
	    "invalid phone '138*0000*1234': unexpected character '*'");
	bad("138００００１２３４号",
	    "invalid phone '138００００１２３４号': unexpected character '号'");
	bad("138+00001234",
	    "invalid phone '138+00001234': '+' can only come first");
	bad("++8613800001234",
	    "invalid phone '++8613800001234': '+' can only come first");
	/* the quoted input is terminal-safe: controls dropped, bad bytes
	 * shown as U+FFFD */
	bad("138\xFF" "00001234",
	    "invalid phone '138\xEF\xBF\xBD" "00001234': invalid utf-8 byte "
	    "0xff");
	bad("138\n00001234",
	    "invalid phone '13800001234': unexpected invisible character "
	    "U+000A");
	bad("138\xE2\x80\x8B" "00001234",
	    "invalid phone '138\xE2\x80\x8B" "00001234': unexpected invisible "
	    "character U+200B");
	/* long input is cut to 40 columns in the message */
	bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "invalid phone '"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xE2\x80\xA6': "
	    "contains a letter");
}

static void test_region_and_buffer(void **state)
{
	char out[TSM_PHONE_MAX];

	(void)state;
	assert_int_equal(tsm_phone_normalize(out, sizeof(out), "13800001234",
					     "CN"),
			 0);
	assert_string_equal(out, "+8613800001234");
	assert_int_equal(tsm_phone_normalize(out, sizeof(out), "13800001234",
					     "cn"),
			 0);
	assert_int_equal(tsm_phone_normalize(out, sizeof(out), "13800001234",
					     "US"),
			 TSM_EINVALID);
	assert_string_equal(tsm_error_last()->message,
			    "unsupported phone region 'US' (only CN)");
	assert_string_equal(out, "");
	/* "+8613800001234" is 14 characters: 15 bytes with the NUL */
	assert_int_equal(tsm_phone_normalize(out, 15, "13800001234", NULL), 0);
	assert_string_equal(out, "+8613800001234");
	assert_int_equal(tsm_phone_normalize(out, 14, "13800001234", NULL),
			 TSM_EINVALID);
	assert_string_equal(out, "");
	assert_string_equal(tsm_error_last()->message,
			    "phone buffer too small");
	assert_int_equal(tsm_phone_normalize(out, 12, "+1 202 555 0123", NULL),
			 TSM_EINVALID);
	assert_int_equal(tsm_phone_normalize(out, sizeof(out), NULL, NULL),
			 TSM_EINVALID);
	assert_int_equal(tsm_phone_normalize(NULL, 0, "13800001234", NULL),
			 TSM_EINVALID);
}

static void test_kind(void **state)
{
	(void)state;
	assert_int_equal(tsm_phone_kind("+8613800001234"), TSM_PHONE_MOBILE);
	assert_int_equal(tsm_phone_kind("+8619955550123"), TSM_PHONE_MOBILE);
	assert_int_equal(tsm_phone_kind("+861055550123"), TSM_PHONE_LANDLINE);
	assert_int_equal(tsm_phone_kind("+8675588881234"), TSM_PHONE_LANDLINE);
	assert_int_equal(tsm_phone_kind("+864008105555"), TSM_PHONE_SERVICE);
	assert_int_equal(tsm_phone_kind("+12025550123"),
			 TSM_PHONE_INTERNATIONAL);
	assert_int_equal(tsm_phone_kind("+442079460123"),
			 TSM_PHONE_INTERNATIONAL);
	/* only the normalized form is accepted */
	assert_int_equal(tsm_phone_kind("13800001234"), TSM_EINVALID);
	assert_string_equal(tsm_error_last()->message,
			    "not a normalized phone number '13800001234'");
	assert_int_equal(tsm_phone_kind("+86 138 0000 1234"), TSM_EINVALID);
	assert_int_equal(tsm_phone_kind("+86013800001234"), TSM_EINVALID);
	assert_int_equal(tsm_phone_kind("+8612800001234"), TSM_EINVALID);
	assert_int_equal(tsm_phone_kind("+"), TSM_EINVALID);
	assert_int_equal(tsm_phone_kind(""), TSM_EINVALID);
	assert_int_equal(tsm_phone_kind(NULL), TSM_EINVALID);
}

static void fmt(const char *e164, const char *want)
{
	char out[TSM_PHONE_DISPLAY_MAX];

	memset(out, 'X', sizeof(out));
	if (tsm_phone_format(out, sizeof(out), e164) != 0)
		fail_msg("'%s': %s", e164, tsm_error_last()->message);
	assert_string_equal(out, want);
}

static void test_format(void **state)
{
	char out[TSM_PHONE_DISPLAY_MAX];

	(void)state;
	fmt("+8613800001234", "+86 138 0000 1234");
	fmt("+861055550123", "+86 10 5555 0123");
	fmt("+862055550123", "+86 20 5555 0123");
	fmt("+8675588881234", "+86 755 8888 1234");
	fmt("+868715550123", "+86 871 555 0123");
	fmt("+864008105555", "+86 400 810 5555");
	fmt("+12025550123", "+1 202 555 0123");
	fmt("+442079460123", "+44 20 7946 0123");
	fmt("+85255550123", "+852 5555 0123");
	fmt("+33199001234", "+33 1 9900 1234");
	fmt("+3525550123", "+352 555 0123");
	fmt("+79165550123", "+7 91 6555 0123");
	fmt("+493012345678901", "+49 3 0123 4567 8901");

	memset(out, 'X', sizeof(out));
	assert_int_equal(tsm_phone_format(out, sizeof(out), "13800001234"),
			 TSM_EINVALID);
	assert_string_equal(out, "");
	/* "+86 138 0000 1234" is 17 characters: 18 bytes with the NUL */
	assert_int_equal(tsm_phone_format(out, 18, "+8613800001234"), 0);
	assert_int_equal(tsm_phone_format(out, 17, "+8613800001234"),
			 TSM_EINVALID);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mobile),
		cmocka_unit_test(test_unicode_forms),
		cmocka_unit_test(test_landline),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_international),
		cmocka_unit_test(test_rejects_length),
		cmocka_unit_test(test_rejects_chinese_rules),
		cmocka_unit_test(test_rejects_international),
		cmocka_unit_test(test_rejects_characters),
		cmocka_unit_test(test_region_and_buffer),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
