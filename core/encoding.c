/* core/encoding.c — UTF-8 validation, encoding detection for imported files
 * (BOM, valid UTF-8, else GB18030) and a streaming decoder to UTF-8 built on
 * glibc's iconv (GB18030, GBK, UTF-16). */
#include "encoding.h"

#include "error.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- UTF-8 ---- */

size_t tsm_utf8_prefix(const unsigned char *s, size_t n, int *bad)
{
	size_t i = 0, k, len;
	uint32_t cp;
	unsigned char c;

	*bad = 0;
	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			*bad = 1;
			return i;
		}
		for (k = 1; k < len; k++) {
			if (i + k >= n)
				return i; /* cut off: maybe fine */
			if ((s[i + k] & 0xc0) != 0x80) {
				*bad = 1;
				return i;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
			/* Reject overlong forms, surrogates and > U+10FFFF as
			 * soon as the second byte tells. */
			if (k == 1 &&
			    ((len == 3 && cp < 0x20) ||
			     (len == 3 && cp >= 0x360 && cp < 0x380) ||
			     (len == 4 && cp < 0x10) ||
			     (len == 4 && cp > 0x10f))) {
				*bad = 1;
				return i;
			}
		}
		i += len;
	}
	return i;
}

int tsm_utf8_valid(const char *s, size_t n)
{
	int bad;

	return tsm_utf8_prefix((const unsigned char *)s, n, &bad) == n;
}

/* ---- names ---- */

const char *tsm_encoding_name(int enc)
{
	switch (enc) {
	case TSM_ENC_UTF8:
		return "utf-8";
	case TSM_ENC_GB18030:
		return "gb18030";
	case TSM_ENC_GBK:
		return "gbk";
	case TSM_ENC_UTF16LE:
		return "utf-16le";
	case TSM_ENC_UTF16BE:
		return "utf-16be";
	default:
		return "auto";
	}
}

int tsm_encoding_parse(const char *name)
{
	static const struct {
		const char *name;
		int enc;
	} names[] = {
	    {"auto", TSM_ENC_AUTO},	  {"utf-8", TSM_ENC_UTF8},
	    {"utf8", TSM_ENC_UTF8},	  {"gb18030", TSM_ENC_GB18030},
	    {"gbk", TSM_ENC_GBK},	  {"gb2312", TSM_ENC_GBK},
	    {"cp936", TSM_ENC_GBK},	  {"utf-16le", TSM_ENC_UTF16LE},
	    {"utf16le", TSM_ENC_UTF16LE}, {"utf-16be", TSM_ENC_UTF16BE},
	    {"utf16be", TSM_ENC_UTF16BE},
	};
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(names[i].name, name) == 0)
			return names[i].enc;
	return -1;
}

/* ---- detection ---- */

#define DETECT_BUF 65536

int tsm_encoding_detect(int *out, int *bom, FILE *f)
{
	unsigned char *buf = NULL;
	size_t have = 0, got, ok;
	int bad = 0, err = 0, first = 1;

	*out = TSM_ENC_UTF8;
	*bom = 0;
	if ((buf = malloc(DETECT_BUF)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (;;) {
		got = fread(buf + have, 1, DETECT_BUF - have, f);
		if (got == 0) {
			if (ferror(f)) {
				err = tsm_error_set(TSM_EIO,
						    "cannot read the "
						    "file: %s",
						    strerror(errno));
				goto done;
			}
			/* A sequence cut off by the end of the file. */
			if (have > 0)
				bad = 1;
			break;
		}
		have += got;
		if (first) {
			first = 0;
			if (have >= 3 && buf[0] == 0xef && buf[1] == 0xbb &&
			    buf[2] == 0xbf) {
				*bom = 1;
				goto done;
			}
			if (have >= 2 && buf[0] == 0xff && buf[1] == 0xfe) {
				*out = TSM_ENC_UTF16LE;
				*bom = 1;
				goto done;
			}
			if (have >= 2 && buf[0] == 0xfe && buf[1] == 0xff) {
				*out = TSM_ENC_UTF16BE;
				*bom = 1;
				goto done;
			}
			if (have >= 4 && memcmp(buf, "PK\3\4", 4) == 0) {
				err = tsm_error_set(
				    TSM_EINVALID,
				    "this is an Excel workbook (.xlsx), "
				    "not a CSV file: save it as CSV first");
				goto done;
			}
			if (have >= 4 &&
			    memcmp(buf, "\xd0\xcf\x11\xe0", 4) == 0) {
				err = tsm_error_set(
				    TSM_EINVALID,
				    "this is an Excel workbook (.xls), "
				    "not a CSV file: save it as CSV first");
				goto done;
			}
		}
		ok = tsm_utf8_prefix(buf, have, &bad);
		if (bad)
			break;
		/* Keep a cut-off sequence for the next block. */
		memmove(buf, buf + ok, have - ok);
		have -= ok;
	}
	if (bad)
		*out = TSM_ENC_GB18030;
done:
	free(buf);
	if (err == 0 && fseek(f, 0, SEEK_SET) != 0)
		err = tsm_error_set(TSM_EIO, "cannot rewind the file: %s",
				    strerror(errno));
	return err;
}

/* ---- the decoder ---- */

#define IN_BUF 65536

struct tsm_decoder {
	FILE *f;
	int enc;
	iconv_t cd; /* (iconv_t)-1 for UTF-8 */
	unsigned char in[IN_BUF];
	size_t pos; /* unconverted input at in[pos .. pos + len) */
	size_t len;
	int eof;
	int err;
	uint64_t consumed;
	uint64_t replaced;
};

static const char *iconv_name(int enc)
{
	switch (enc) {
	case TSM_ENC_GB18030:
		return "GB18030";
	case TSM_ENC_GBK:
		return "GBK";
	case TSM_ENC_UTF16LE:
		return "UTF-16LE";
	case TSM_ENC_UTF16BE:
		return "UTF-16BE";
	default:
		return NULL;
	}
}

/* Moves what is left to the front and reads more; sets eof at the end. */
static void refill(tsm_decoder *d)
{
	size_t got;

	if (d->eof)
		return;
	memmove(d->in, d->in + d->pos, d->len);
	d->pos = 0;
	got = fread(d->in + d->len, 1, IN_BUF - d->len, d->f);
	d->len += got;
	if (got == 0) {
		d->eof = 1;
		if (ferror(d->f))
			d->err =
			    tsm_error_set(TSM_EIO, "cannot read the file: %s",
					  strerror(errno));
	}
}

/* Skips a byte order mark of the decoder's encoding, if present. */
static void skip_bom(tsm_decoder *d)
{
	static const struct {
		int enc;
		const char *bom;
		size_t n;
	} boms[] = {
	    {TSM_ENC_UTF8, "\xef\xbb\xbf", 3},
	    {TSM_ENC_UTF16LE, "\xff\xfe", 2},
	    {TSM_ENC_UTF16BE, "\xfe\xff", 2},
	};
	size_t i;

	refill(d);
	for (i = 0; i < sizeof(boms) / sizeof(boms[0]); i++) {
		if (boms[i].enc == d->enc && d->len >= boms[i].n &&
		    memcmp(d->in, boms[i].bom, boms[i].n) == 0) {
			d->pos += boms[i].n;
			d->len -= boms[i].n;
			d->consumed += boms[i].n;
		}
	}
}

int tsm_decoder_open(tsm_decoder **out, FILE *f, int enc)
{
	tsm_decoder *d;
	const char *from;

	*out = NULL;
	if (enc == TSM_ENC_AUTO)
		return tsm_error_set(TSM_EINVALID, "decoder: no encoding");
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	d->f = f;
	d->enc = enc;
	d->cd = (iconv_t)-1;
	from = iconv_name(enc);
	if (from) {
		d->cd = iconv_open("UTF-8", from);
		if (d->cd == (iconv_t)-1) {
			free(d);
			return tsm_error_set(TSM_ERROR,
					     "this system cannot convert from "
					     "%s (iconv)",
					     from);
		}
	}
	skip_bom(d);
	if (d->err) {
		int err = d->err;

		tsm_decoder_free(d);
		return err;
	}
	*out = d;
	return 0;
}

void tsm_decoder_free(tsm_decoder *d)
{
	if (d == NULL)
		return;
	if (d->cd != (iconv_t)-1)
		iconv_close(d->cd);
	free(d);
}

int tsm_decoder_status(const tsm_decoder *d)
{
	return d->err;
}

uint64_t tsm_decoder_consumed(const tsm_decoder *d)
{
	return d->consumed;
}

uint64_t tsm_decoder_replaced(const tsm_decoder *d)
{
	return d->replaced;
}

/* Replaces the first input byte (or unit) by U+FFFD. */
static size_t replace_one(tsm_decoder *d, char *buf)
{
	size_t skip = 1;

	if (d->enc == TSM_ENC_UTF16LE || d->enc == TSM_ENC_UTF16BE)
		skip = d->len >= 2 ? 2 : d->len;
	d->pos += skip;
	d->len -= skip;
	d->consumed += skip;
	d->replaced++;
	memcpy(buf, "\xef\xbf\xbd", 3);
	return 3;
}

size_t tsm_decoder_read(tsm_decoder *d, char *buf, size_t n)
{
	char *ip, *op;
	size_t il, ol, r, used, k;

	if (d->err || n < 8)
		return 0;
	if (d->cd == (iconv_t)-1) {
		if (d->len == 0)
			refill(d);
		k = d->len < n ? d->len : n;
		memcpy(buf, d->in + d->pos, k);
		d->pos += k;
		d->len -= k;
		d->consumed += k;
		return d->err ? 0 : k;
	}
	for (;;) {
		if (d->len < 16 && !d->eof)
			refill(d);
		if (d->err)
			return 0;
		if (d->len == 0)
			return 0;
		ip = (char *)d->in + d->pos;
		il = d->len;
		op = buf;
		ol = n;
		r = iconv(d->cd, &ip, &il, &op, &ol);
		used = d->len - il;
		d->pos += used;
		d->len = il;
		d->consumed += used;
		if (r != (size_t)-1 || errno == E2BIG)
			return n - ol; /* > 0: n >= 8 holds any character */
		if (n - ol > 0)
			return n - ol; /* handle the trouble next time */
		if (errno == EINVAL && !d->eof) {
			/* A sequence cut off by the buffer's end. */
			refill(d);
			if (d->err)
				return 0;
			if (!d->eof || d->len > il)
				continue;
		}
		/* EILSEQ, or EINVAL at the end of the file. */
		return replace_one(d, buf);
	}
}

size_t tsm_decoder_read_fn(void *ud, char *buf, size_t n)
{
	return tsm_decoder_read(ud, buf, n);
}
