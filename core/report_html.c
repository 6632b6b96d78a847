/* core/report_html.c — a report as one self-contained XHTML page: inline
 * CSS, inline SVG charts (daily trend, funnel, per-member bars) and the
 * tables. Pure string building: well-formed XML, every user text escaped,
 * no scripts, no external assets. */
#include "tsm/report.h"

#include "error.h"
#include "tsm/money.h"
#include "tsm/text.h"
#include "tsm/when.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable text buffer ---- */

typedef struct hbuf {
	char *buf;
	size_t len, cap;
	int err;
} hbuf;

static void hb_grow(hbuf *h, size_t more)
{
	size_t cap;
	char *tmp;

	if (h->err || h->len + more + 1 <= h->cap)
		return;
	cap = h->cap ? h->cap : 4096;
	while (cap < h->len + more + 1)
		cap *= 2;
	tmp = realloc(h->buf, cap);
	if (tmp == NULL) {
		h->err = TSM_ENOMEM;
		return;
	}
	h->buf = tmp;
	h->cap = cap;
}

static void hb_put(hbuf *h, const char *s, size_t n)
{
	hb_grow(h, n);
	if (h->err)
		return;
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

static void hb_puts(hbuf *h, const char *s)
{
	hb_put(h, s, strlen(s));
}

static void hb_printf(hbuf *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void hb_printf(hbuf *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		h->err = TSM_EINVALID;
		return;
	}
	hb_grow(h, (size_t)n);
	if (h->err)
		return;
	va_start(ap, fmt);
	vsnprintf(h->buf + h->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	h->len += (size_t)n;
}

/* Text as XML character data or attribute value: the five specials
 * escaped, control characters dropped, invalid UTF-8 replaced by U+FFFD,
 * so that the page always parses. */
static void hb_text(hbuf *h, const char *s)
{
	size_t len = s ? strlen(s) : 0, i = 0, k;
	uint32_t cp;

	while (i < len) {
		k = tsm_text_decode(&cp, s + i, len - i);
		if (cp == TSM_TEXT_INVALID)
			hb_puts(h, "\xef\xbf\xbd");
		else if (cp == '&')
			hb_puts(h, "&amp;");
		else if (cp == '<')
			hb_puts(h, "&lt;");
		else if (cp == '>')
			hb_puts(h, "&gt;");
		else if (cp == '"')
			hb_puts(h, "&quot;");
		else if (cp == '\'')
			hb_puts(h, "&#39;");
		else if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
			 cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
			 cp == 0xfffe || cp == 0xffff)
			; /* not allowed in XML 1.0 or invisible: dropped */
		else
			hb_put(h, s + i, k);
		i += k;
	}
}

/* ---- numbers as text ---- */

static void rate_text(char out[32], int64_t num, int64_t den)
{
	int64_t bp;

	if (!tsm_report_rate(&bp, num, den)) {
		snprintf(out, 32, "-");
		return;
	}
	snprintf(out, 32, "%lld.%02lld%%", (long long)(bp / 100),
		 (long long)(bp % 100));
}

static void money_text(char out[TSM_MONEY_FORMAT_MAX], int64_t fen)
{
	if (tsm_money_format(out, TSM_MONEY_FORMAT_MAX, fen) < 0)
		snprintf(out, TSM_MONEY_FORMAT_MAX, "?");
}

static void talk_text(char out[32], int64_t s)
{
	snprintf(out, 32, "%lld:%02lld:%02lld", (long long)(s / 3600),
		 (long long)(s / 60 % 60), (long long)(s % 60));
}

static const char *who(const tsm_report_row *row)
{
	return row->name && *row->name ? row->name : row->member;
}

/* ---- the page ---- */

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",\"PingFang "
    "SC\",\"Microsoft YaHei\",sans-serif;margin:24px;color:#1f2933;"
    "background:#fff}\n"
    "h1{font-size:22px;margin:0 0 4px}\n"
    "h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #d9e2ec;"
    "padding-bottom:4px}\n"
    ".meta{color:#52606d;font-size:13px;margin:0 0 16px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px}\n"
    ".card{border:1px solid #d9e2ec;border-radius:6px;padding:8px 12px;"
    "min-width:110px}\n"
    ".card .k{font-size:12px;color:#52606d}\n"
    ".card .v{font-size:20px;font-weight:600}\n"
    "table{border-collapse:collapse;font-size:13px}\n"
    "th,td{border:1px solid #d9e2ec;padding:4px 8px;text-align:right}\n"
    "th{background:#f0f4f8}\n"
    "td.l,th.l{text-align:left}\n"
    "tr.total td{font-weight:600;background:#f7f9fb}\n"
    "svg{display:block;margin:4px 0}\n"
    "svg text{font-size:11px;fill:#334e68}\n"
    ".note{color:#52606d;font-size:12px}\n";

/* Colours of the three series. */
#define C_DIALS "#9fb3c8"
#define C_EFF "#2f80ed"
#define C_ORD "#27ae60"

static void head(hbuf *h, const tsm_report *r)
{
	char when[TSM_WHEN_FORMAT_MAX];

	if (tsm_when_format(when, sizeof(when), r->now) < 0)
		snprintf(when, sizeof(when), "?");
	hb_puts(h, "<!DOCTYPE html>\n"
		   "<html xmlns=\"http://www.w3.org/1999/xhtml\" "
		   "lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\"/>\n"
		   "<meta name=\"viewport\" content=\"width=device-width, "
		   "initial-scale=1\"/>\n<title>");
	hb_printf(h, "tsm %s report %s", tsm_report_kind_name(r->kind),
		  r->label);
	if (r->team_name) {
		hb_puts(h, " \xe2\x80\x94 ");
		hb_text(h, r->team_name);
	}
	hb_puts(h, "</title>\n<style>\n");
	hb_puts(h, CSS);
	hb_puts(h, "</style>\n</head>\n<body>\n<h1>");
	hb_printf(h, "%c%s report %s",
		  tsm_report_kind_name(r->kind)[0] - 'a' + 'A',
		  tsm_report_kind_name(r->kind) + 1, r->label);
	hb_puts(h, "</h1>\n<p class=\"meta\">");
	if (strcmp(r->first, r->last) == 0)
		hb_printf(h, "%s", r->first);
	else
		hb_printf(h, "%s \xe2\x80\x93 %s", r->first, r->last);
	hb_puts(h, " \xc2\xb7 ");
	if (r->team) {
		hb_puts(h, "team");
		if (r->team_name) {
			hb_puts(h, " ");
			hb_text(h, r->team_name);
		}
	} else {
		hb_puts(h, "member ");
		hb_text(h, r->nrows && r->rows[0].name ? r->rows[0].name
						       : r->member);
		hb_puts(h, " (");
		hb_text(h, r->member);
		hb_puts(h, ")");
	}
	hb_printf(h,
		  " \xc2\xb7 as of %s \xc2\xb7 effective conversation: an "
		  "effective outcome or a connected call of at least %lld "
		  "s</p>\n",
		  when, (long long)r->effective_s);
}

static void card(hbuf *h, const char *k, const char *v)
{
	hb_puts(h, "<div class=\"card\"><div class=\"k\">");
	hb_puts(h, k);
	hb_puts(h, "</div><div class=\"v\">");
	hb_text(h, v);
	hb_puts(h, "</div></div>\n");
}

static void cards(hbuf *h, const tsm_report *r)
{
	const tsm_report_metrics *m = &r->total.m;
	char buf[TSM_MONEY_FORMAT_MAX + 32];

	hb_puts(h, "<div class=\"cards\">\n");
	snprintf(buf, sizeof(buf), "%lld", (long long)m->dials);
	card(h, "Dials", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)m->connected);
	card(h, "Connected", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)m->effective);
	card(h, "Effective", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)m->orders);
	card(h, "Orders", buf);
	money_text(buf, m->revenue_fen);
	card(h, "Revenue (\xc2\xa5)", buf);
	rate_text(buf, m->connected, m->dials);
	card(h, "Connect rate", buf);
	rate_text(buf, m->effective, m->connected);
	card(h, "Effective rate", buf);
	rate_text(buf, m->orders, m->effective);
	card(h, "Conversion", buf);
	hb_puts(h, "</div>\n");
}

/* A round axis maximum >= v (1, 2, 5 times a power of ten). */
static int64_t nice_max(int64_t v)
{
	int64_t p = 1;

	if (v <= 0)
		return 1;
	for (;;) {
		if (v <= p)
			return p;
		if (v <= 2 * p)
			return 2 * p;
		if (v <= 5 * p)
			return 5 * p;
		p *= 10;
	}
}

static void legend(hbuf *h, int x, int y)
{
	static const struct {
		const char *name, *colour;
	} s[] = {{"dials", C_DIALS}, {"effective", C_EFF}, {"orders", C_ORD}};
	size_t i;

	for (i = 0; i < 3; i++) {
		hb_printf(h,
			  "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
			  "fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
			  x + (int)i * 90, y, s[i].colour, x + (int)i * 90 + 14,
			  y + 9, s[i].name);
	}
}

/* Daily trend: dials, effective and orders per day as grouped bars. */
static void chart_trend(hbuf *h, const tsm_report *r)
{
	const int W = 760, H = 260, L = 48, R = 12, T = 28, B = 36;
	const int pw = W - L - R, ph = H - T - B;
	int64_t max = 0, top, v[3];
	double band, bw, x, y, bh;
	size_t i, k;

	for (i = 0; i < r->ndays; i++)
		if (r->days[i].dials > max)
			max = r->days[i].dials;
	/* Four grid steps of a round size, so every label is exact. */
	top = 4 * nice_max((max + 3) / 4);
	hb_printf(h,
		  "<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" "
		  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		  "role=\"img\">\n<title>Dials, effective conversations and "
		  "orders per day</title>\n",
		  W, H, W, H);
	legend(h, L, 6);
	for (k = 0; k <= 4; k++) {
		y = T + ph - (double)ph * (double)k / 4.0;
		hb_printf(h,
			  "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			  "stroke=\"#e4e7eb\"/><text x=\"%d\" y=\"%.1f\" "
			  "text-anchor=\"end\">%lld</text>\n",
			  L, y, W - R, y, L - 6, y + 4,
			  (long long)(top * (int64_t)k / 4));
	}
	band = r->ndays ? (double)pw / (double)r->ndays : pw;
	bw = band * 0.8 / 3.0;
	for (i = 0; i < r->ndays; i++) {
		const tsm_report_day *d = &r->days[i];
		static const char *const colour[3] = {C_DIALS, C_EFF, C_ORD};

		v[0] = d->dials;
		v[1] = d->effective;
		v[2] = d->orders;
		for (k = 0; k < 3; k++) {
			bh = (double)ph * (double)v[k] / (double)top;
			x = L + band * (double)i + band * 0.1 + bw * (double)k;
			hb_printf(h,
				  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				  "height=\"%.1f\" fill=\"%s\"><title>%s %s: "
				  "%lld</title></rect>\n",
				  x, T + ph - bh, bw, bh, colour[k], d->date,
				  k == 0   ? "dials"
				  : k == 1 ? "effective"
					   : "orders",
				  (long long)v[k]);
		}
		if (r->ndays <= 16 || i % 2 == 0)
			hb_printf(h,
				  "<text x=\"%.1f\" y=\"%d\" "
				  "text-anchor=\"middle\">%s</text>\n",
				  L + band * ((double)i + 0.5), H - B + 16,
				  r->ndays <= 8 ? d->date + 5 : d->date + 8);
	}
	hb_printf(h,
		  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		  "stroke=\"#7b8794\"/>\n</svg>\n",
		  L, T + ph, W - R, T + ph);
}

/* The funnel: dials, connected, effective, interested, orders. */
static void chart_funnel(hbuf *h, const tsm_report *r)
{
	const tsm_report_metrics *m = &r->total.m;
	const int W = 760, L = 110, RW = 150, ROW = 38;
	const char *const names[5] = {"Dials", "Connected", "Effective",
				      "Interested", "Orders"};
	static const char *const colour[5] = {C_DIALS, "#7aa5d8", C_EFF,
					      "#8e6bd8", C_ORD};
	int64_t v[5], top;
	double bw, pw = W - L - RW;
	char pct[32];
	int i, H = 5 * ROW + 10;

	v[0] = m->dials;
	v[1] = m->connected;
	v[2] = m->effective;
	v[3] = m->interested;
	v[4] = m->orders;
	top = 0;
	for (i = 0; i < 5; i++)
		if (v[i] > top)
			top = v[i];
	hb_printf(h,
		  "<svg id=\"funnel\" xmlns=\"http://www.w3.org/2000/svg\" "
		  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		  "role=\"img\">\n<title>Funnel from dials to orders</title>\n",
		  W, H, W, H);
	for (i = 0; i < 5; i++) {
		bw = top > 0 ? pw * (double)v[i] / (double)top : 0;
		if (v[i] > 0 && bw < 2)
			bw = 2;
		rate_text(pct, v[i], m->dials);
		hb_printf(h,
			  "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s"
			  "</text>\n<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			  "height=\"%d\" fill=\"%s\"/>\n<text x=\"%d\" "
			  "y=\"%d\">%lld (%s of dials)</text>\n",
			  L - 8, 5 + i * ROW + 19, names[i], L + (pw - bw) / 2,
			  5 + i * ROW + 4, bw, ROW - 8, colour[i], W - RW + 8,
			  5 + i * ROW + 19, (long long)v[i], pct);
	}
	hb_puts(h, "</svg>\n");
}

/* Per-member bars: dials, effective and orders, in rank order. */
static void chart_members(hbuf *h, const tsm_report *r)
{
	const int W = 760, L = 160, RR = 60, T = 28, G = 46;
	static const char *const colour[3] = {C_DIALS, C_EFF, C_ORD};
	int H = T + (int)(r->nrows ? r->nrows : 1) * G + 8;
	double pw = W - L - RR, bw;
	int64_t top = 0, v[3];
	size_t i, k;
	int y;

	for (i = 0; i < r->nrows; i++)
		if (r->rows[i].m.dials > top)
			top = r->rows[i].m.dials;
	top = nice_max(top);
	hb_printf(h,
		  "<svg id=\"members\" xmlns=\"http://www.w3.org/2000/svg\" "
		  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		  "role=\"img\">\n<title>Dials, effective conversations and "
		  "orders per member</title>\n",
		  W, H, W, H);
	legend(h, L, 6);
	if (r->nrows == 0)
		hb_printf(h, "<text x=\"%d\" y=\"%d\">no members</text>\n", L,
			  T + 20);
	for (i = 0; i < r->nrows; i++) {
		const tsm_report_row *row = &r->rows[i];

		y = T + (int)i * G;
		hb_printf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
			  L - 8, y + 22);
		hb_printf(h, "%d. ", row->rank);
		hb_text(h, who(row));
		hb_puts(h, "</text>\n");
		v[0] = row->m.dials;
		v[1] = row->m.effective;
		v[2] = row->m.orders;
		for (k = 0; k < 3; k++) {
			bw = pw * (double)v[k] / (double)top;
			hb_printf(h,
				  "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
				  "height=\"11\" fill=\"%s\"/><text x=\"%.1f\" "
				  "y=\"%d\">%lld</text>\n",
				  L, y + 4 + (int)k * 13, bw, colour[k],
				  L + bw + 4, y + 14 + (int)k * 13,
				  (long long)v[k]);
		}
	}
	hb_puts(h, "</svg>\n");
}

static void td(hbuf *h, const char *cls, const char *text)
{
	hb_puts(h, cls ? "<td class=\"l\">" : "<td>");
	hb_text(h, text);
	hb_puts(h, "</td>");
}

static void tdi(hbuf *h, int64_t v)
{
	hb_printf(h, "<td>%lld</td>", (long long)v);
}

static void metrics_row(hbuf *h, const tsm_report_row *row, int total)
{
	const tsm_report_metrics *m = &row->m;
	char buf[TSM_MONEY_FORMAT_MAX + 32];

	hb_puts(h, total ? "<tr class=\"total\">" : "<tr>");
	if (total) {
		hb_puts(h, "<td></td>");
		td(h, "l", "total");
		td(h, "l", "");
	} else {
		hb_printf(h, "<td>%d</td>", row->rank);
		td(h, "l", row->member);
		td(h, "l", row->name ? row->name : "");
	}
	tdi(h, m->dials);
	tdi(h, m->connected);
	tdi(h, m->effective);
	tdi(h, m->interested);
	tdi(h, m->orders);
	money_text(buf, m->revenue_fen);
	td(h, NULL, buf);
	rate_text(buf, m->connected, m->dials);
	td(h, NULL, buf);
	rate_text(buf, m->effective, m->connected);
	td(h, NULL, buf);
	rate_text(buf, m->orders, m->effective);
	td(h, NULL, buf);
	talk_text(buf, m->talk_s);
	td(h, NULL, buf);
	tdi(h, m->dnc_added);
	hb_puts(h, "</tr>\n");
}

static void table_metrics(hbuf *h, const tsm_report *r)
{
	size_t i;

	hb_puts(h, "<table>\n<tr><th>rank</th><th class=\"l\">member</th>"
		   "<th class=\"l\">name</th><th>dials</th><th>connected</th>"
		   "<th>effective</th><th>interested</th><th>orders</th>"
		   "<th>revenue (\xc2\xa5)</th><th>connect</th>"
		   "<th>effective rate</th><th>conversion</th>"
		   "<th>talk time</th><th>DNC added</th></tr>\n");
	for (i = 0; i < r->nrows; i++)
		metrics_row(h, &r->rows[i], 0);
	metrics_row(h, &r->total, 1);
	hb_puts(h, "</table>\n");
}

static void timeliness_cells(hbuf *h, const tsm_report_timeliness *t)
{
	tdi(h, t->due);
	tdi(h, t->on_time);
	tdi(h, t->late);
	tdi(h, t->overdue);
	tdi(h, t->pending);
}

static void table_followups(hbuf *h, const tsm_report *r)
{
	size_t i;

	hb_puts(h, "<table>\n<tr><th class=\"l\">member</th>"
		   "<th>follow-ups due</th><th>on time</th><th>late</th>"
		   "<th>overdue</th><th>pending</th><th>revisits due</th>"
		   "<th>on time</th><th>late</th><th>overdue</th>"
		   "<th>pending</th></tr>\n");
	for (i = 0; i <= r->nrows; i++) {
		const tsm_report_row *row =
		    i < r->nrows ? &r->rows[i] : &r->total;

		hb_puts(h, i < r->nrows ? "<tr>" : "<tr class=\"total\">");
		td(h, "l", i < r->nrows ? who(row) : "total");
		timeliness_cells(h, &row->m.followups);
		timeliness_cells(h, &row->m.revisits);
		hb_puts(h, "</tr>\n");
	}
	hb_puts(h, "</table>\n");
}

static void progress_cells(hbuf *h, const tsm_report_progress *p)
{
	char a[TSM_MONEY_FORMAT_MAX], b[TSM_MONEY_FORMAT_MAX], pct[32];
	int f;

	for (f = 0; f < TSM_TARGET_NFIELDS; f++) {
		rate_text(pct, p->done[f], p->target[f]);
		if (f == TSM_TARGET_REVENUE) {
			money_text(a, p->done[f]);
			money_text(b, p->target[f]);
		} else {
			snprintf(a, sizeof(a), "%lld", (long long)p->done[f]);
			snprintf(b, sizeof(b), "%lld", (long long)p->target[f]);
		}
		hb_puts(h, "<td>");
		hb_text(h, a);
		if (p->target[f] > 0) {
			hb_puts(h, " / ");
			hb_text(h, b);
			hb_puts(h, " (");
			hb_text(h, pct);
			hb_puts(h, ")");
		}
		hb_puts(h, "</td>");
	}
}

static void table_targets(hbuf *h, const tsm_report *r)
{
	size_t i;

	hb_printf(h,
		  "<p class=\"note\">Month %s to date: day %d of %d. Done / "
		  "target (completion).%s</p>\n",
		  r->month, r->month_elapsed, r->month_days,
		  r->total.target.derived
		      ? " The team target is the sum of the members' "
			"targets."
		      : "");
	hb_puts(h, "<table>\n<tr><th class=\"l\">member</th><th>dials</th>"
		   "<th>effective</th><th>orders</th>"
		   "<th>revenue (\xc2\xa5)</th></tr>\n");
	for (i = 0; i <= r->nrows; i++) {
		const tsm_report_row *row =
		    i < r->nrows ? &r->rows[i] : &r->total;

		hb_puts(h, i < r->nrows ? "<tr>" : "<tr class=\"total\">");
		td(h, "l",
		   i < r->nrows ? who(row)
		   : r->team	? "team"
				: "total");
		progress_cells(h, &row->target);
		hb_puts(h, "</tr>\n");
	}
	hb_puts(h, "</table>\n");
}

static void table_days(hbuf *h, const tsm_report *r)
{
	char buf[TSM_MONEY_FORMAT_MAX];
	size_t i;

	hb_puts(h, "<table>\n<tr><th class=\"l\">day</th><th>dials</th>"
		   "<th>connected</th><th>effective</th><th>interested</th>"
		   "<th>orders</th><th>revenue (\xc2\xa5)</th></tr>\n");
	for (i = 0; i < r->ndays; i++) {
		const tsm_report_day *d = &r->days[i];

		hb_puts(h, "<tr>");
		td(h, "l", d->date);
		tdi(h, d->dials);
		tdi(h, d->connected);
		tdi(h, d->effective);
		tdi(h, d->interested);
		tdi(h, d->orders);
		money_text(buf, d->revenue_fen);
		td(h, NULL, buf);
		hb_puts(h, "</tr>\n");
	}
	hb_puts(h, "</table>\n");
}

int tsm_report_html(char **out, size_t *len, const tsm_report *r)
{
	hbuf h = {NULL, 0, 0, 0};

	*out = NULL;
	if (len)
		*len = 0;
	if (tsm_report_kind_name(r->kind) == NULL)
		return tsm_error_set(TSM_EINVALID, "unknown kind of report");
	head(&h, r);
	cards(&h, r);
	hb_puts(&h, "<h2>Trend by day</h2>\n");
	chart_trend(&h, r);
	hb_puts(&h, "<h2>Funnel</h2>\n");
	chart_funnel(&h, r);
	hb_puts(&h, "<h2>Members</h2>\n");
	chart_members(&h, r);
	hb_puts(&h, "<h2>Numbers by member</h2>\n");
	table_metrics(&h, r);
	hb_puts(&h, "<h2>Follow-ups and revisits due in the period</h2>\n");
	table_followups(&h, r);
	hb_puts(&h, "<h2>Targets</h2>\n");
	table_targets(&h, r);
	hb_puts(&h, "<h2>By day</h2>\n");
	table_days(&h, r);
	hb_puts(&h, "<p class=\"note\">Generated by tsm. Ranking: revenue, "
		    "then orders, then effective conversations.</p>\n"
		    "</body>\n</html>\n");
	if (h.err) {
		free(h.buf);
		return tsm_error_set(h.err, "out of memory");
	}
	*out = h.buf;
	if (len)
		*len = h.len;
	return 0;
}
