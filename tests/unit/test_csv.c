/* tests/unit/test_csv.c — the CSV reader (quotes, embedded line breaks,
 * CRLF/LF/CR, blank rows, malformed input, streaming across buffer edges,
 * the record limit), the writer round trip, UTF-8 validation, encoding
 * detection and the GB18030/UTF-16 decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "encoding.h"
#include "testutil.h"
#include "tsm/common.h"

/* ---- a memory source that hands out at most step bytes per read ---- */

typedef struct msrc {
	const char *s;
	size_t n;
	size_t pos;
	size_t step;
} msrc;

static size_t mread(void *ud, char *buf, size_t n)
{
	msrc *m = ud;
	size_t k = m->n - m->pos;

	if (k > n)
		k = n;
	if (m->step && k > m->step)
		k = m->step;
	memcpy(buf, m->s + m->pos, k);
	m->pos += k;
	return k;
}

/* Parses text (len bytes) into "f1|f2|f3;line:lines\n" per record, so
 * whole files compare in one string. Returns the tsm_csv_next() error, or
 * 0; the rendering goes to out. */
static int render(char *out, size_t outlen, const char *text, size_t len,
		  size_t step, char delim)
{
	msrc m = {text, len, 0, step};
	const tsm_csv_record *rec;
	tsm_csv *r;
	size_t o = 0, i;
	int rc;

	assert_int_equal(tsm_csv_new(&r, mread, &m, delim), 0);
	out[0] = '\0';
	while ((rc = tsm_csv_next(r, &rec)) == 1) {
		for (i = 0; i < rec->n; i++) {
			assert_int_equal(strlen(rec->field[i]), rec->len[i]);
			o += (size_t)snprintf(out + o, outlen - o, "%s%s",
					      i ? "|" : "", rec->field[i]);
		}
		o += (size_t)snprintf(
		    out + o, outlen - o, ";%lld:%lld%s\n", (long long)rec->line,
		    (long long)rec->lines, rec->blank ? "b" : "");
		assert_true(o < outlen);
	}
	tsm_csv_free(r);
	return rc;
}

/* Renders at several read sizes (1 byte at a time exercises every buffer
 * edge) and checks they agree; returns the rendering of the whole. */
static void check(const char *text, const char *want)
{
	static const size_t steps[] = {0, 1, 2, 3, 7};
	char got[4096];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(
		    render(got, sizeof(got), text, strlen(text), steps[i], 0),
		    0);
		if (strcmp(got, want) != 0)
			fail_msg("step %zu:\n got: %s\nwant: %s", steps[i], got,
				 want);
	}
}

static void test_basic(void **state)
{
	(void)state;
	check("name,phone\r\n张伟,13800000001\r\n",
	      "name|phone;1:1\n张伟|13800000001;2:1\n");
	/* LF only, no final line break. */
	check("a,b\n1,2", "a|b;1:1\n1|2;2:1\n");
	/* Lone CR (old Mac). */
	check("a,b\r1,2\r", "a|b;1:1\n1|2;2:1\n");
	/* Empty fields, a trailing comma, an empty line, a row of commas. */
	check("a,,c,\n\n,,\nx\n", "a||c|;1:1\n;2:1b\n||;3:1b\nx;4:1\n");
	/* Nothing at all, and a lone line break. */
	check("", "");
	check("\n", ";1:1b\n");
}

static void test_quotes(void **state)
{
	(void)state;
	/* Delimiters, doubled quotes, empty quoted field. */
	check("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "a,b|say \"hi\"|;1:1\n");
	/* Line breaks inside quotes: LF, CRLF and CR all become "\n"; the
	 * record spans 3 lines, the next starts on line 4. */
	check("n,note\r\n\"张\",\"line1\r\nline2\rline3\"\r\nx,y\r\n",
	      "n|note;1:1\n张|line1\nline2\nline3;2:3\nx|y;5:1\n");
	/* Lenient: a quote inside a plain field is kept; text after a
	 * closing quote is appended. */
	check("a\"b,\"cd\"e\n", "a\"b|cde;1:1\n");
	/* A quoted field closed right at the end of the file. */
	check("\"a\",\"b\"", "a|b;1:1\n");
}

static void test_malformed(void **state)
{
	char got[256];
	static const char nul[] = "a,b\n1,\0002\n";

	(void)state;
	assert_int_equal(
	    render(got, sizeof(got), "a,b\n\"1,2\n3,4\n", 13, 0, 0),
	    TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "line 2"));
	assert_non_null(strstr(tsm_error_last()->message, "never closed"));
	assert_int_equal(render(got, sizeof(got), nul, sizeof(nul) - 1, 0, 0),
			 TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "line 2: a NUL"));
}

static void test_record_limit(void **state)
{
	size_t n = TSM_CSV_RECORD_MAX + 100, i;
	char *big = malloc(n + 1), got[64];

	(void)state;
	assert_non_null(big);
	big[0] = '"';
	for (i = 1; i < n; i++)
		big[i] = 'x';
	big[n] = '\0';
	assert_int_equal(render(got, sizeof(got), big, n, 0, 0), TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, "longer than"));
	free(big);
}

static void test_delimiters(void **state)
{
	char got[256];

	(void)state;
	assert_int_equal(
	    render(got, sizeof(got), "a\tb\tc,d\n1\t2\n", 12, 0, 0), 0);
	assert_string_equal(got, "a|b|c,d;1:1\n1|2;2:1\n");
	assert_int_equal(
	    render(got, sizeof(got), "a;b;c\n1;\"2;3\";4\n", 16, 0, 0), 0);
	assert_string_equal(got, "a|b|c;1:1\n1|2;3|4;2:1\n");
	/* Commas win ties and quoted separators do not count. */
	assert_int_equal(render(got, sizeof(got), "\"a;b;c\",d\n", 10, 0, 0),
			 0);
	assert_string_equal(got, "a;b;c|d;1:1\n");
	/* A forced separator. */
	assert_int_equal(render(got, sizeof(got), "a,b;c\n", 6, 0, ';'), 0);
	assert_string_equal(got, "a,b|c;1:1\n");
}

/* Many records through the default buffer: streaming keeps the count and
 * line numbers right past many buffer refills. */
static void test_streaming(void **state)
{
	size_t n = 200000, i, cap = n * 40, o = 0, seen = 0;
	char *text = malloc(cap);
	msrc m;
	const tsm_csv_record *rec;
	tsm_csv *r;
	int64_t line = 1;
	int rc;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, cap - o,
				      i % 1000 == 7 ? "\"n%zu\nx\",%zu\r\n"
						    : "n%zu,%zu\r\n",
				      i, i);
	m = (msrc){text, o, 0, 0};
	assert_int_equal(tsm_csv_new(&r, mread, &m, 0), 0);
	while ((rc = tsm_csv_next(r, &rec)) == 1) {
		char want[64];

		assert_int_equal(rec->n, 2);
		assert_int_equal(rec->line, line);
		snprintf(want, sizeof(want),
			 seen % 1000 == 7 ? "n%zu\nx" : "n%zu", seen);
		assert_string_equal(rec->field[0], want);
		line += rec->lines;
		seen++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(seen, n);
	tsm_csv_free(r);
	free(text);
}

static void test_writer_roundtrip(void **state)
{
	static const char *const f[] = {
	    "plain", "a,b",    "say \"hi\"", "two\nlines",
	    " lead", "trail ", "",	     "中文，逗号",
	};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	const char *path = NULL;
	const tsm_csv_record *rec;
	unsigned char *data;
	char file[4200];
	size_t len, i;
	tsm_csv *r;
	msrc m;
	FILE *fp;

	(void)state;
	path = tu_tmpdir("csvw");
	snprintf(file, sizeof(file), "%s/out.csv", path);
	fp = fopen(file, "wb");
	assert_non_null(fp);
	for (i = 0; i < nf; i++)
		assert_int_equal(
		    tsm_csv_write_field(fp, f[i], strlen(f[i]), i == 0, ','),
		    0);
	assert_int_equal(tsm_csv_write_eol(fp), 0);
	fclose(fp);
	data = tu_read_file(file, &len);
	assert_non_null(data);
	assert_int_equal(
	    memcmp(data,
		   "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\","
		   "\" lead\",\"trail \",,中文，逗号\r\n",
		   len),
	    0);
	m = (msrc){(const char *)data, len, 0, 0};
	assert_int_equal(tsm_csv_new(&r, mread, &m, ','), 0);
	assert_int_equal(tsm_csv_next(r, &rec), 1);
	assert_int_equal(rec->n, nf);
	for (i = 0; i < nf; i++)
		assert_string_equal(rec->field[i], f[i]);
	assert_int_equal(tsm_csv_next(r, &rec), 0);
	tsm_csv_free(r);
	free(data);
}

/* ---- encodings ---- */

static void test_utf8(void **state)
{
	int bad;

	(void)state;
	assert_true(tsm_utf8_valid("abc 中文 😀", strlen("abc 中文 😀")));
	assert_false(tsm_utf8_valid("\xc0\x80", 2));	     /* overlong */
	assert_false(tsm_utf8_valid("\xe0\x80\x80", 3));     /* overlong */
	assert_false(tsm_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(tsm_utf8_valid("\xf4\x90\x80\x80", 4)); /* > 10FFFF */
	assert_false(tsm_utf8_valid("\xd0\xd5\xc3\xfb", 4)); /* GB18030 */
	assert_true(tsm_utf8_valid("\xf4\x8f\xbf\xbf", 4));
	/* Cut off at the end: a valid prefix, not bad. */
	assert_int_equal(
	    tsm_utf8_prefix((const unsigned char *)"ab\xe4\xb8", 4, &bad), 2);
	assert_int_equal(bad, 0);
	assert_int_equal(
	    tsm_utf8_prefix((const unsigned char *)"ab\xe4x", 4, &bad), 2);
	assert_int_equal(bad, 1);
}

static FILE *tmpfile_with(const char *data, size_t n)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	rewind(f);
	return f;
}

static void detect(const char *data, size_t n, int want, int want_bom)
{
	FILE *f = tmpfile_with(data, n);
	int enc, bom;

	assert_int_equal(tsm_encoding_detect(&enc, &bom, f), 0);
	assert_int_equal(enc, want);
	assert_int_equal(bom, want_bom);
	assert_int_equal(ftell(f), 0);
	fclose(f);
}

static void test_detect(void **state)
{
	size_t n = 200000, i;
	char *big = malloc(n + 8);
	FILE *f;
	int enc, bom;

	(void)state;
	detect("name,phone\n", 11, TSM_ENC_UTF8, 0);
	detect("\xef\xbb\xbfname\n", 8, TSM_ENC_UTF8, 1);
	detect("\xff\xfen\0a\0", 6, TSM_ENC_UTF16LE, 1);
	detect("\xfe\xff\0n\0a", 6, TSM_ENC_UTF16BE, 1);
	detect("\xd0\xd5\xc3\xfb,\xb5\xe7\xbb\xb0\n", 10, TSM_ENC_GB18030, 0);
	detect("", 0, TSM_ENC_UTF8, 0);
	/* The whole file counts, not its start: valid UTF-8 for 200 KB,
	 * then one GB18030 character. A 3-byte character straddles each
	 * 64 KB block (65536 % 3 != 0) and must not count as invalid. */
	assert_non_null(big);
	for (i = 0; i + 3 <= n; i += 3)
		memcpy(big + i, "中", 3);
	detect(big, i, TSM_ENC_UTF8, 0);
	memcpy(big + i, "\xd6\xd0", 2);
	detect(big, i + 2, TSM_ENC_GB18030, 0);
	/* Cut off at the very end: not UTF-8. */
	detect("ab\xe4\xb8", 4, TSM_ENC_GB18030, 0);
	free(big);
	f = tmpfile_with("PK\3\4zipdata", 11);
	assert_int_equal(tsm_encoding_detect(&enc, &bom, f), TSM_EINVALID);
	assert_non_null(strstr(tsm_error_last()->message, ".xlsx"));
	fclose(f);
}

/* Decodes the whole file with reads of n bytes into a malloc'd string. */
static char *decode_all(FILE *f, int enc, size_t n, uint64_t *replaced)
{
	size_t cap = 1 << 20, len = 0, k;
	char *out = malloc(cap);
	tsm_decoder *d;

	assert_non_null(out);
	assert_int_equal(tsm_decoder_open(&d, f, enc), 0);
	for (;;) {
		if (len + n + 1 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		k = tsm_decoder_read(d, out + len, n);
		if (k == 0)
			break;
		len += k;
	}
	assert_int_equal(tsm_decoder_status(d), 0);
	*replaced = tsm_decoder_replaced(d);
	tsm_decoder_free(d);
	out[len] = '\0';
	return out;
}

static void test_decode(void **state)
{
	uint64_t rep;
	char *s, *big, *want;
	size_t n = 100001, i;
	FILE *f;

	(void)state;
	f = tmpfile_with("\xd0\xd5\xc3\xfb,\xb5\xe7\xbb\xb0,\xa2\xe3\x94\x39"
			 "\xfc\x36\n",
			 17);
	s = decode_all(f, TSM_ENC_GB18030, 8, &rep);
	assert_string_equal(s, "姓名,电话,€😀\n");
	assert_int_equal(rep, 0);
	free(s);
	fclose(f);
	/* An invalid byte and a lead byte cut off at the end: U+FFFD. */
	f = tmpfile_with("a\xff"
			 "b\xd0",
			 4);
	s = decode_all(f, TSM_ENC_GB18030, 64, &rep);
	assert_string_equal(s, "a\xef\xbf\xbd"
			       "b\xef\xbf\xbd");
	assert_int_equal(rep, 2);
	free(s);
	fclose(f);
	/* UTF-8: the BOM is skipped, bytes pass through. */
	f = tmpfile_with("\xef\xbb\xbfname,\xe5\xa7\x93\n", 12);
	s = decode_all(f, TSM_ENC_UTF8, 8, &rep);
	assert_string_equal(s, "name,姓\n");
	free(s);
	fclose(f);
	/* UTF-16LE with its BOM. */
	f = tmpfile_with("\xff\xfe"
			 "a\0\xd3\x59\n\0",
			 8);
	s = decode_all(f, TSM_ENC_UTF16LE, 8, &rep);
	assert_string_equal(s, "a姓\n");
	free(s);
	fclose(f);
	/* Two-byte characters straddling the decoder's 64 KB input blocks
	 * (one ASCII byte first shifts them off the block edge). */
	big = malloc(2 * n + 2);
	want = malloc(3 * n + 2);
	assert_non_null(big);
	assert_non_null(want);
	big[0] = 'x';
	want[0] = 'x';
	for (i = 0; i < n; i++) {
		memcpy(big + 1 + 2 * i, "\xd6\xd0", 2);
		memcpy(want + 1 + 3 * i, "中", 3);
	}
	want[1 + 3 * n] = '\0';
	f = tmpfile_with(big, 1 + 2 * n);
	s = decode_all(f, TSM_ENC_GB18030, 4099, &rep);
	assert_int_equal(rep, 0);
	assert_int_equal(strlen(s), 1 + 3 * n);
	assert_string_equal(s, want);
	free(s);
	fclose(f);
	free(big);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_quotes),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_record_limit),
	    cmocka_unit_test(test_delimiters),
	    cmocka_unit_test(test_streaming),
	    cmocka_unit_test(test_writer_roundtrip),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
