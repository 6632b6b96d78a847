/* core/script.c — call scripts: the built-in defaults, reading the team's
 * scripts from the materialized `scripts` table, writing them as `script`
 * ops, placeholder rendering and the "[section]" file format. */
#include "tsm/script.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/policy.h"
#include "tsm/text.h"

#include "error.h"
#include "json.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- the built-in defaults ---- */

struct builtin_section {
	const char *name;
	const char *text;
};

struct builtin_script {
	const char *name;
	int lang;
	const struct builtin_section *sections;
	size_t n;
};

/* clang-format off */
/* The firm's mandated greeting and closing open and end the Chinese
 * default word for word. */
static const struct builtin_section default_zh[] = {
	{"opening",
	 "您好，請問是{customer.name}{customer.salutation}嗎？"
	 "我是{company.name}的{agent.name}，打擾您了\n"
	 "今天來電是想簡單介紹一下我們為企業提供的法律服務，"
	 "耽誤您兩分鐘可以嗎？"},
	{"needs",
	 "想先了解一下貴公司的情況：\n"
	 "1. 貴公司目前有常年法律顧問嗎？日常的合同由誰把關？\n"
	 "2. 近一年有沒有遇到合同糾紛、貨款追討或勞動爭議？\n"
	 "3. 貴公司所在行業有沒有監管或合規方面的要求，"
	 "近期是否要接受檢查？\n"
	 "4. 您最關心的是事前防範風險、控制法務成本，"
	 "還是解決眼前的具體問題？"},
	{"pitch",
	 "根據您說的情況，我們有幾項服務可能對您有幫助：\n"
	 "- 法律顧問：常年顧問，日常諮詢、合同把關、律師函，"
	 "按年收費，費用清楚可預期；\n"
	 "- 合同審查：單份或批量審查合同，標出風險條款並給出修改意見；\n"
	 "- 訴訟代理：由經驗豐富的律師團隊代理民商事訴訟與仲裁，"
	 "先評估、後報價；\n"
	 "- 合規審查：對照行業監管要求做一次全面體檢，"
	 "出具書面報告和整改建議。\n"
	 "我可以先安排律師和您做一次簡短的電話溝通，"
	 "了解清楚需求再給您方案和報價，您看哪天方便？"},
	{"objection:busy",
	 "理解您很忙。我先把服務介紹發給您，您方便時看看；"
	 "請問明天上午還是下午再聯繫您比較合適？"},
	{"objection:have-lawyer",
	 "貴公司有合作的律師很好。不少客戶在重大合同或合規審查這類專項"
	 "問題上，也會請我們提供第二意見，需要時隨時可以找我們。"},
	{"objection:not-needed",
	 "明白。很多企業是在糾紛發生後才發現合同有漏洞，"
	 "事前花小錢往往能省下大麻煩。我先把聯繫方式留給您，"
	 "過段時間再回訪您，可以嗎？"},
	{"objection:price",
	 "費用確實需要考慮。一起糾紛的成本通常遠高於事前預防，"
	 "我們的顧問方案可以按貴公司的規模和需求調整，"
	 "也可以先從一次合同審查開始，您覺得呢？"},
	{"objection:send-info",
	 "沒問題，請問發到哪個郵箱或微信比較方便？"
	 "我發過去後，過兩天再跟您確認有沒有需要解答的地方。"},
	{"closing", "感謝您的接聽，祝您生活愉快，再見！"},
};

static const struct builtin_section default_en[] = {
	{"opening",
	 "Hello, may I speak with {customer.salutation} {customer.name}? "
	 "This is {agent.name} from {company.name}. Sorry to disturb you.\n"
	 "I am calling to briefly introduce the legal services we offer to "
	 "businesses. Do you have two minutes?"},
	{"needs",
	 "May I first ask a little about your company?\n"
	 "1. Do you have a legal adviser on retainer? Who checks your "
	 "contracts today?\n"
	 "2. In the past year, have you had any contract disputes, unpaid "
	 "invoices or employment disputes?\n"
	 "3. Does your industry have regulatory or compliance requirements, "
	 "or an inspection coming up?\n"
	 "4. What matters most to you: preventing risk, keeping legal costs "
	 "predictable, or solving a problem you have right now?"},
	{"pitch",
	 "From what you describe, a few of our services may help:\n"
	 "- Retainer: an ongoing legal adviser for everyday questions, "
	 "contract checks and lawyer's letters, at a predictable annual "
	 "fee;\n"
	 "- Contract review: single or bulk review that flags risky clauses "
	 "and proposes changes;\n"
	 "- Litigation: an experienced team represents you in commercial "
	 "lawsuits and arbitration, with an assessment before any quote;\n"
	 "- Compliance audit: a full check against your industry's "
	 "regulations, with a written report and recommendations.\n"
	 "I can arrange a short call with one of our lawyers to understand "
	 "your needs before we propose anything. Which day suits you?"},
	{"objection:busy",
	 "I understand you are busy. I will send you a short overview to "
	 "read when convenient; would tomorrow morning or afternoon be "
	 "better for a quick follow-up?"},
	{"objection:have-lawyer",
	 "It is good that you work with a lawyer. Many of our clients also "
	 "ask us for a second opinion on major contracts or compliance "
	 "reviews; we are here whenever that would help."},
	{"objection:not-needed",
	 "Understood. Many companies only find the gaps in their contracts "
	 "once a dispute starts, and a little prevention saves a lot. May I "
	 "leave my details and check back with you in a while?"},
	{"objection:price",
	 "Cost matters, of course. A single dispute usually costs far more "
	 "than prevention; our retainer can be sized to your company, or "
	 "you could start with one contract review. How does that sound?"},
	{"objection:send-info",
	 "Of course. Which e-mail address or WeChat should I send it to? I "
	 "will follow up in a couple of days in case you have questions."},
	{"closing", "Thank you for taking my call. Have a nice day, goodbye!"},
};

static const struct builtin_script builtins[] = {
	{TSM_SCRIPT_DEFAULT_EN, TSM_SCRIPT_EN, default_en,
	 sizeof(default_en) / sizeof(default_en[0])},
	{TSM_SCRIPT_DEFAULT_ZH, TSM_SCRIPT_ZH, default_zh,
	 sizeof(default_zh) / sizeof(default_zh[0])},
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))
/* clang-format on */

static const struct builtin_script *builtin_find(const char *name)
{
	size_t i;

	for (i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

/* ---- names ---- */

static int is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int tsm_script_name_valid(const char *name)
{
	size_t i, len;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len == 0 || len >= TSM_SCRIPT_NAME_MAX || !is_alnum_lower(name[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum_lower(name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return 0;
	return 1;
}

#define OBJECTION "objection:"
#define OBJECTION_NAME_MAX 48

static const char SECTIONS_HELP[] =
    "sections are opening, needs, pitch, objection:NAME, closing";

/* Nonzero if s (len bytes) is a valid objection name. */
static int objection_valid(const char *s, size_t len)
{
	size_t i = 0, k;
	uint32_t cp;

	if (len == 0 || len > OBJECTION_NAME_MAX)
		return 0;
	while (i < len) {
		k = tsm_text_decode(&cp, s + i, len - i);
		if (cp == TSM_TEXT_INVALID || cp <= 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0) || cp == '=' || cp == '[' ||
		    cp == ']' || cp == 0x3000)
			return 0;
		i += k;
	}
	return 1;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Nonzero if s starts with prefix, ASCII case ignored. */
static int prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (lower(*s) != *prefix)
			return 0;
	return 1;
}

static int eq_ci(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && prefix_ci(a, b);
}

int tsm_script_section_name(char *out, const char *name)
{
	static const char *const fixed[] = {"opening", "needs", "pitch",
					    "closing"};
	const char *rest;
	size_t i, len;

	out[0] = '\0';
	if (name == NULL || *name == '\0')
		return tsm_error_set(TSM_EINVALID, "missing section name; %s",
				     SECTIONS_HELP);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (eq_ci(name, fixed[i])) {
			memcpy(out, fixed[i], strlen(fixed[i]) + 1);
			return 0;
		}
	}
	if (eq_ci(name, "needs-discovery") || eq_ci(name, "discovery") ||
	    eq_ci(name, "needs_discovery")) {
		memcpy(out, "needs", sizeof("needs"));
		return 0;
	}
	if (prefix_ci(name, OBJECTION) || prefix_ci(name, "objection-")) {
		rest = name + strlen(OBJECTION);
		len = strlen(rest);
		if (!objection_valid(rest, len))
			return tsm_error_set(
			    TSM_EINVALID,
			    "invalid section '%s': an objection's name is "
			    "1 to %d bytes without spaces, '=', '[' or ']'",
			    name, OBJECTION_NAME_MAX);
		memcpy(out, OBJECTION, strlen(OBJECTION));
		for (i = 0; i <= len; i++)
			out[strlen(OBJECTION) + i] = lower(rest[i]);
		return 0;
	}
	return tsm_error_set(TSM_EINVALID, "unknown section '%s'; %s", name,
			     SECTIONS_HELP);
}

/* Where a (canonical) section goes in a script. */
static int section_rank(const char *name)
{
	if (strcmp(name, "opening") == 0)
		return 0;
	if (strcmp(name, "needs") == 0)
		return 1;
	if (strcmp(name, "pitch") == 0)
		return 2;
	if (strncmp(name, OBJECTION, strlen(OBJECTION)) == 0)
		return 3;
	if (strcmp(name, "closing") == 0)
		return 4;
	return 5;
}

static int section_cmp(const void *pa, const void *pb)
{
	const tsm_script_section *a = pa, *b = pb;
	int ra = section_rank(a->name), rb = section_rank(b->name);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* ---- script values ---- */

static void script_dispose(tsm_script *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->author);
	tsm_script_sections_free(s->sections, s->nsections);
	memset(s, 0, sizeof(*s));
}

void tsm_script_sections_free(tsm_script_section *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].text);
	}
	free(s);
}

void tsm_script_free(tsm_script *s)
{
	script_dispose(s);
	free(s);
}

void tsm_script_list_free(tsm_script *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < n; i++)
		script_dispose(&s[i]);
	free(s);
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static char *dup(const char *s)
{
	return s ? dupn(s, strlen(s)) : NULL;
}

/* Appends a section (copies of name and text) to *arr. */
static int section_push(tsm_script_section **arr, size_t *n, size_t *cap,
			const char *name, const char *text)
{
	tsm_script_section *p;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 8;
		p = realloc(*arr, ncap * sizeof(*p));
		if (p == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		*arr = p;
		*cap = ncap;
	}
	p = &(*arr)[*n];
	p->name = dup(name);
	p->text = dup(text);
	if (p->name == NULL || p->text == NULL) {
		free(p->name);
		free(p->text);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	(*n)++;
	return 0;
}

/* Nonzero if s holds a CJK ideograph, kana, Hangul or fullwidth form. */
static int has_cjk(const char *s)
{
	size_t i = 0, len = strlen(s), k;
	uint32_t cp;

	while (i < len) {
		k = tsm_text_decode(&cp, s + i, len - i);
		if ((cp >= 0x3040 && cp <= 0x9fff) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xff01 && cp <= 0xff60))
			return 1;
		i += k;
	}
	return 0;
}

static int script_lang(const tsm_script *s)
{
	size_t i;

	for (i = 0; i < s->nsections; i++)
		if (has_cjk(s->sections[i].text))
			return TSM_SCRIPT_ZH;
	return TSM_SCRIPT_EN;
}

static int builtin_copy(tsm_script *out, const struct builtin_script *b)
{
	size_t i, cap = 0;
	int err;

	memset(out, 0, sizeof(*out));
	out->name = dup(b->name);
	if (out->name == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	out->builtin = 1;
	out->lang = b->lang;
	for (i = 0; i < b->n; i++) {
		err = section_push(&out->sections, &out->nsections, &cap,
				   b->sections[i].name, b->sections[i].text);
		if (err < 0) {
			script_dispose(out);
			return err;
		}
	}
	qsort(out->sections, out->nsections, sizeof(*out->sections),
	      section_cmp);
	return 0;
}

/* ---- reading the team's scripts ---- */

static const char SQL_ONE[] =
    "SELECT section, body, author, updated_at FROM scripts "
    "WHERE name = ?1";
static const char SQL_ALL[] =
    "SELECT name, section, body, author, updated_at FROM scripts "
    "ORDER BY name";

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* Adds the row (section, body, author, updated_at at column base..) to s,
 * keeping the newest author. */
static int script_add_row(tsm_script *s, size_t *cap, sqlite3_stmt *st,
			  int base)
{
	int64_t at = sqlite3_column_int64(st, base + 3);
	int err;

	err = section_push(&s->sections, &s->nsections, cap, col_text(st, base),
			   col_text(st, base + 1));
	if (err < 0)
		return err;
	if (s->author == NULL || at > s->updated_at) {
		free(s->author);
		s->author = dup(col_text(st, base + 2));
		if (s->author == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		s->updated_at = at;
	}
	return 0;
}

static void script_finish(tsm_script *s)
{
	qsort(s->sections, s->nsections, sizeof(*s->sections), section_cmp);
	s->lang = script_lang(s);
}

/* Reads the team's script name into out; *found 0 when it has none. */
static int team_script(tsm_script *out, int *found, tsm_store *store,
		       const char *name)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, err = 0;

	memset(out, 0, sizeof(*out));
	*found = 0;
	rc = sqlite3_prepare_v2(db, SQL_ONE, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(db, rc, "read script");
		goto done;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = script_add_row(out, &cap, st, 0)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read script");
		goto done;
	}
	if (out->nsections > 0) {
		out->name = dup(name);
		if (out->name == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		script_finish(out);
		*found = 1;
	}
done:
	sqlite3_finalize(st);
	if (err < 0 || !*found)
		script_dispose(out);
	return err;
}

int tsm_script_get(tsm_script **out, tsm_store *store, const char *name)
{
	const struct builtin_script *b;
	tsm_script *s;
	int found, err;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = team_script(s, &found, store, name)) < 0)
		goto done;
	if (!found) {
		b = builtin_find(name);
		if (b == NULL) {
			err = tsm_error_set(TSM_ENOTFOUND, "no script '%s'",
					    name);
			goto done;
		}
		if ((err = builtin_copy(s, b)) < 0)
			goto done;
	}
	*out = s;
	s = NULL;
done:
	tsm_script_free(s);
	return err;
}

static int script_name_cmp(const void *pa, const void *pb)
{
	const tsm_script *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

int tsm_script_list(tsm_script **out, size_t *n, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	tsm_script *arr = NULL, *cur = NULL, *p;
	size_t len = 0, cap = 0, scap = 0, i, j;
	int rc, err = 0, overridden;

	*out = NULL;
	*n = 0;
	/* Room for every team script plus the built-ins. */
	rc = sqlite3_prepare_v2(db, SQL_ALL, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(db, rc, "list scripts");
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cur == NULL || strcmp(cur->name, col_text(st, 0)) != 0) {
			if (len == cap) {
				cap = cap ? cap * 2 : 8;
				p = realloc(arr, cap * sizeof(*arr));
				if (p == NULL) {
					err = tsm_error_set(TSM_ENOMEM,
							    "out of memory");
					goto done;
				}
				arr = p;
			}
			cur = &arr[len++];
			memset(cur, 0, sizeof(*cur));
			scap = 0;
			cur->name = dup(col_text(st, 0));
			if (cur->name == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
		}
		if ((err = script_add_row(cur, &scap, st, 1)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "list scripts");
		goto done;
	}
	for (i = 0; i < len; i++)
		script_finish(&arr[i]);
	for (i = 0; i < NBUILTINS; i++) {
		overridden = 0;
		for (j = 0; j < len; j++)
			if (strcmp(arr[j].name, builtins[i].name) == 0)
				overridden = 1;
		if (overridden)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			p = realloc(arr, cap * sizeof(*arr));
			if (p == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			arr = p;
		}
		if ((err = builtin_copy(&arr[len], &builtins[i])) < 0)
			goto done;
		len++;
	}
	if (len > 0)
		qsort(arr, len, sizeof(*arr), script_name_cmp);
	*out = arr;
	*n = len;
	arr = NULL;
	len = 0;
done:
	sqlite3_finalize(st);
	tsm_script_list_free(arr, len);
	return err;
}

/* ---- placeholders ---- */

#define PLACEHOLDER_MAX 64

/* If text[i] opens a placeholder "{name}" (name 1..PLACEHOLDER_MAX bytes
 * without spaces or braces), returns its length including the braces. */
static size_t placeholder_at(const char *text, size_t i)
{
	size_t j;

	if (text[i] != '{' || text[i + 1] == '{')
		return 0;
	for (j = i + 1; text[j] && j - i - 1 <= PLACEHOLDER_MAX; j++) {
		if (text[j] == '}')
			return j > i + 1 ? j - i + 1 : 0;
		if (text[j] == '{' || text[j] == ' ' || text[j] == '\t' ||
		    text[j] == '\n' || text[j] == '\r')
			return 0;
	}
	return 0;
}

enum {
	PH_UNKNOWN = 0,
	PH_CUSTOMER_NAME,
	PH_CUSTOMER_SALUTATION,
	PH_CUSTOMER_COMPANY,
	PH_AGENT_NAME,
	PH_COMPANY_NAME
};

static int placeholder_kind(const char *s, size_t len)
{
	static const struct {
		const char *name;
		int kind;
	} known[] = {
	    {"customer.name", PH_CUSTOMER_NAME},
	    {"customer.salutation", PH_CUSTOMER_SALUTATION},
	    {"customer.company", PH_CUSTOMER_COMPANY},
	    {"agent.name", PH_AGENT_NAME},
	    {"company.name", PH_COMPANY_NAME},
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == len &&
		    memcmp(known[i].name, s, len) == 0)
			return known[i].kind;
	return PH_UNKNOWN;
}

int tsm_script_unknown_placeholders(char **out, const char *text)
{
	tsm_jbuf b;
	size_t i = 0, k;
	int any = 0;

	*out = NULL;
	tsm_jbuf_init(&b);
	while (text[i]) {
		if ((text[i] == '{' && text[i + 1] == '{') ||
		    (text[i] == '}' && text[i + 1] == '}')) {
			i += 2;
			continue;
		}
		k = placeholder_at(text, i);
		if (k == 0) {
			i++;
			continue;
		}
		if (placeholder_kind(text + i + 1, k - 2) == PH_UNKNOWN) {
			if (any)
				tsm_jbuf_puts(&b, ", ");
			tsm_jbuf_put(&b, text + i, k);
			any = 1;
		}
		i += k;
	}
	if (b.err) {
		tsm_jbuf_dispose(&b);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	if (any)
		*out = tsm_jbuf_detach(&b, NULL);
	tsm_jbuf_dispose(&b);
	return 0;
}

/* The salutation to say, from the stored value: a known title in the
 * script's language, another title as stored, else the neutral form. */
static const char *salutation(const char *stored, int lang)
{
	static const struct {
		const char *stored, *zh, *en;
	} titles[] = {
	    {"先生", "先生", "Mr"},   {"mr", "先生", "Mr"},
	    {"mr.", "先生", "Mr"},    {"male", "先生", "Mr"},
	    {"男", "先生", "Mr"},     {"女士", "女士", "Ms"},
	    {"ms", "女士", "Ms"},     {"ms.", "女士", "Ms"},
	    {"female", "女士", "Ms"}, {"女", "女士", "Ms"},
	    {"mrs", "女士", "Mrs"},   {"mrs.", "女士", "Mrs"},
	    {"小姐", "小姐", "Miss"}, {"miss", "小姐", "Miss"},
	    {"dr", "博士", "Dr"},     {"dr.", "博士", "Dr"},
	    {"博士", "博士", "Dr"},
	};
	size_t i;

	if (stored && *stored) {
		for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
			if (eq_ci(stored, titles[i].stored))
				return lang == TSM_SCRIPT_EN ? titles[i].en
							     : titles[i].zh;
		/* Another title (經理, Prof, ...): said as stored, unless a
		 * Chinese title would land in an English script. */
		if (lang == TSM_SCRIPT_ZH || !has_cjk(stored))
			return stored;
	}
	return lang == TSM_SCRIPT_EN ? "Mr/Ms" : "先生/女士";
}

int tsm_script_render_text(char **out, const char *text,
			   const tsm_script_vars *vars, int lang)
{
	const char *v;
	tsm_jbuf b;
	size_t i = 0, k;
	int kind, visible;

	*out = NULL;
	tsm_jbuf_init(&b);
	while (text[i]) {
		if ((text[i] == '{' && text[i + 1] == '{') ||
		    (text[i] == '}' && text[i + 1] == '}')) {
			tsm_jbuf_putc(&b, text[i]);
			i += 2;
			continue;
		}
		k = placeholder_at(text, i);
		if (k == 0) {
			tsm_jbuf_putc(&b, text[i]);
			i++;
			continue;
		}
		kind = placeholder_kind(text + i + 1, k - 2);
		v = NULL;
		visible = 0;
		switch (kind) {
		case PH_CUSTOMER_NAME:
		case PH_CUSTOMER_SALUTATION:
		case PH_CUSTOMER_COMPANY:
			if (!vars->have_customer) {
				visible = 1;
			} else if (kind == PH_CUSTOMER_NAME) {
				v = vars->customer_name;
			} else if (kind == PH_CUSTOMER_COMPANY) {
				v = vars->customer_company;
			} else {
				v = salutation(vars->customer_salutation, lang);
			}
			break;
		case PH_AGENT_NAME:
			v = vars->agent_name;
			visible = v == NULL;
			break;
		case PH_COMPANY_NAME:
			v = vars->company_name;
			visible = v == NULL;
			break;
		default:
			visible = 1;
		}
		if (visible)
			tsm_jbuf_put(&b, text + i, k);
		else if (v)
			tsm_jbuf_puts(&b, v);
		i += k;
	}
	if (b.err) {
		tsm_jbuf_dispose(&b);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	*out = tsm_jbuf_detach(&b, NULL);
	tsm_jbuf_dispose(&b);
	return 0;
}

/* ---- values from the store ---- */

void tsm_script_vars_dispose(tsm_script_vars *vars)
{
	free((char *)vars->customer_name);
	free((char *)vars->customer_salutation);
	free((char *)vars->customer_company);
	free((char *)vars->agent_name);
	free((char *)vars->company_name);
	memset(vars, 0, sizeof(*vars));
}

/* Runs sql (one text parameter, or none when param is NULL) and copies
 * the first row's columns 0..ncols-1 into out (NULL for SQL NULL);
 * *found 0 when no row. */
static int query_row(char **out, int ncols, int *found, tsm_store *store,
		     const char *sql, const char *param)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc, i, err = 0;

	*found = 0;
	for (i = 0; i < ncols; i++)
		out[i] = NULL;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = tsm_error_sqlite(db, rc, "read store");
		goto done;
	}
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		for (i = 0; i < ncols; i++) {
			t = sqlite3_column_text(st, i);
			if (t == NULL)
				continue;
			out[i] = dup((const char *)t);
			if (out[i] == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
		}
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read store");
	}
done:
	sqlite3_finalize(st);
	if (err < 0) {
		for (i = 0; i < ncols; i++) {
			free(out[i]);
			out[i] = NULL;
		}
	}
	return err;
}

/* The firm's name: the policy's company_name (a JSON string), else the
 * team's name; NULL when neither. */
static int company_name(char **out, tsm_store *store)
{
	const tsm_json *v;
	tsm_json *j = NULL;
	char *raw = NULL;
	int found, err;

	*out = NULL;
	err = query_row(&raw, 1, &found, store,
			"SELECT value FROM policy WHERE id = ?1 AND "
			"field = 'company_name'",
			TSM_POLICY_ID);
	if (err < 0)
		return err;
	if (raw && tsm_json_parse(&j, raw, strlen(raw)) == 0) {
		v = j;
		if (tsm_json_string(v) && *tsm_json_string(v)) {
			*out = dup(tsm_json_string(v));
			if (*out == NULL)
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
		}
	}
	tsm_json_free(j);
	free(raw);
	tsm_error_clear();
	if (err < 0 || *out)
		return err;
	return query_row(out, 1, &found, store,
			 "SELECT name FROM team ORDER BY created_at, id "
			 "LIMIT 1",
			 NULL);
}

int tsm_script_vars_load(tsm_script_vars *out, tsm_store *store,
			 const char *customer_id)
{
	tsm_identity id;
	char *cols[3], *name = NULL, *company = NULL;
	int found, err;

	memset(out, 0, sizeof(*out));
	if ((err = tsm_identity_get(&id, store)) < 0)
		return err;
	name = dup(id.name);
	if (name == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = company_name(&company, store)) < 0)
		goto done;
	if (customer_id) {
		err = query_row(cols, 3, &found, store,
				"SELECT name, salutation, company FROM "
				"customers WHERE id = ?1 AND deleted = 0",
				customer_id);
		if (err < 0)
			goto done;
		if (!found) {
			err = tsm_error_set(TSM_ENOTFOUND, "no customer '%s'",
					    customer_id);
			goto done;
		}
		out->customer_name = cols[0];
		out->customer_salutation = cols[1];
		out->customer_company = cols[2];
		out->have_customer = 1;
	}
	out->agent_name = name;
	out->company_name = company;
	name = NULL;
	company = NULL;
done:
	free(name);
	free(company);
	return err;
}

int tsm_script_render_script(tsm_script **out, tsm_store *store,
			     const char *script_name, const char *customer_id,
			     int lang)
{
	tsm_script_vars vars = {0};
	tsm_script *s = NULL;
	char *r;
	size_t i;
	int err;

	*out = NULL;
	if (script_name == NULL)
		script_name = lang == TSM_SCRIPT_EN ? TSM_SCRIPT_DEFAULT_EN
						    : TSM_SCRIPT_DEFAULT_ZH;
	if ((err = tsm_script_get(&s, store, script_name)) < 0)
		goto done;
	if ((err = tsm_script_vars_load(&vars, store, customer_id)) < 0)
		goto done;
	for (i = 0; i < s->nsections; i++) {
		err = tsm_script_render_text(&r, s->sections[i].text, &vars,
					     s->lang);
		if (err < 0)
			goto done;
		free(s->sections[i].text);
		s->sections[i].text = r;
	}
	*out = s;
	s = NULL;
done:
	tsm_script_vars_dispose(&vars);
	tsm_script_free(s);
	return err;
}

int tsm_script_render(char **out, tsm_store *store, const char *script_name,
		      const char *customer_id, int lang)
{
	tsm_script *s = NULL;
	tsm_jbuf b;
	size_t i;
	int err;

	*out = NULL;
	tsm_jbuf_init(&b);
	err =
	    tsm_script_render_script(&s, store, script_name, customer_id, lang);
	if (err < 0)
		goto done;
	for (i = 0; i < s->nsections; i++) {
		if (i > 0)
			tsm_jbuf_putc(&b, '\n');
		tsm_jbuf_putc(&b, '[');
		tsm_jbuf_puts(&b, s->sections[i].name);
		tsm_jbuf_puts(&b, "]\n");
		tsm_jbuf_puts(&b, s->sections[i].text);
		tsm_jbuf_putc(&b, '\n');
	}
	if (b.err) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	*out = tsm_jbuf_detach(&b, NULL);
done:
	tsm_jbuf_dispose(&b);
	tsm_script_free(s);
	return err;
}

/* ---- the file format ---- */

/* Nonzero if the line [s, s+len) is blank. */
static int blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Finishes the current section: trims blank lines around its text. */
static int section_close(tsm_script_section **arr, size_t *n, size_t *cap,
			 const char *name, tsm_jbuf *text, size_t header_line)
{
	char *t = text->buf;
	size_t len = text->len;
	int err;

	if (text->err)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	while (len > 0 &&
	       (t[len - 1] == '\n' || t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	while (len > 0 && t[0] == '\n') {
		t++;
		len--;
	}
	if (len == 0)
		return tsm_error_set(TSM_EINVALID,
				     "line %zu: section [%s] is empty",
				     header_line, name);
	t[len] = '\0';
	err = section_push(arr, n, cap, name, t);
	text->len = 0;
	text->buf[0] = '\0';
	return err;
}

int tsm_script_parse_file(tsm_script_section **out, size_t *n, const char *text)
{
	tsm_script_section *arr = NULL;
	size_t len = 0, cap = 0, lineno = 0, header_line = 0, ll, i;
	char cur[TSM_SCRIPT_SECTION_MAX] = "", want[TSM_SCRIPT_SECTION_MAX];
	char *hdr = NULL;
	const char *p = text, *nl;
	tsm_jbuf body;
	int err = 0;

	*out = NULL;
	*n = 0;
	tsm_jbuf_init(&body);
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte order mark */
	while (*p) {
		lineno++;
		nl = strchr(p, '\n');
		ll = nl ? (size_t)(nl - p) : strlen(p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		/* a header: "[name]", surrounding spaces allowed */
		i = 0;
		while (i < ll && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i < ll && p[i] == '[') {
			size_t e = ll;

			while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t'))
				e--;
			if (e > i + 1 && p[e - 1] == ']') {
				free(hdr);
				hdr = dupn(p + i + 1, e - i - 2);
				if (hdr == NULL) {
					err = tsm_error_set(TSM_ENOMEM,
							    "out of memory");
					goto done;
				}
				if (tsm_script_section_name(want, hdr) < 0) {
					err = tsm_error_set(
					    TSM_EINVALID, "line %zu: %s",
					    lineno, tsm_error_last()->message);
					goto done;
				}
				if (*cur) {
					err =
					    section_close(&arr, &len, &cap, cur,
							  &body, header_line);
					if (err < 0)
						goto done;
				}
				for (i = 0; i < len; i++) {
					if (strcmp(arr[i].name, want) != 0)
						continue;
					err = tsm_error_set(
					    TSM_EINVALID,
					    "line %zu: section [%s] "
					    "appears twice",
					    lineno, want);
					goto done;
				}
				memcpy(cur, want, sizeof(cur));
				header_line = lineno;
				goto next;
			}
		}
		if (*cur == '\0') {
			if (!blank(p, ll) && p[i] != '#') {
				err = tsm_error_set(TSM_EINVALID,
						    "line %zu: text before "
						    "the first [section] "
						    "header",
						    lineno);
				goto done;
			}
			goto next;
		}
		tsm_jbuf_put(&body, p, ll);
		tsm_jbuf_putc(&body, '\n');
	next:
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (*cur) {
		err = section_close(&arr, &len, &cap, cur, &body, header_line);
		if (err < 0)
			goto done;
	}
	if (len == 0) {
		err = tsm_error_set(TSM_EINVALID,
				    "no [section] in the script file");
		goto done;
	}
	*out = arr;
	*n = len;
	arr = NULL;
	len = 0;
done:
	free(hdr);
	tsm_jbuf_dispose(&body);
	tsm_script_sections_free(arr, len);
	return err;
}

/* ---- writing ---- */

/* Nonzero if text is acceptable as a section's text: 1..MAX bytes of
 * well-formed UTF-8 with no control characters but newline and tab. */
static int text_valid(const char *text)
{
	size_t i = 0, len = strlen(text), k;
	uint32_t cp;

	if (len == 0 || len > TSM_SCRIPT_TEXT_MAX)
		return 0;
	while (i < len) {
		k = tsm_text_decode(&cp, text + i, len - i);
		if (cp == TSM_TEXT_INVALID ||
		    (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += k;
	}
	return 1;
}

/* Trimmed copy of a section's text: no trailing whitespace or leading
 * blank lines; "\r\n" becomes "\n". */
static char *text_clean(const char *text)
{
	size_t len, i, j = 0;
	char *t;

	while (*text == '\n' || *text == '\r')
		text++;
	len = strlen(text);
	t = malloc(len + 1);
	if (t == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (!(text[i] == '\r' && text[i + 1] == '\n'))
			t[j++] = text[i];
	while (j > 0 && (t[j - 1] == ' ' || t[j - 1] == '\t' ||
			 t[j - 1] == '\n' || t[j - 1] == '\r'))
		j--;
	t[j] = '\0';
	return t;
}

/* TSM_EPERM with a clear message when this member's role is known and
 * may not edit scripts; the op log's rules decide in every other case. */
static int may_edit_scripts(tsm_store *store)
{
	tsm_identity id;
	char *role = NULL;
	int found, err;

	if ((err = tsm_identity_get(&id, store)) < 0)
		return err;
	err = query_row(&role, 1, &found, store,
			"SELECT role FROM members WHERE id = ?1 AND "
			"active = 1",
			id.member);
	if (err < 0)
		return err;
	if (found && role && strcmp(role, "lead") != 0 &&
	    strcmp(role, "manager") != 0)
		err = tsm_error_set(TSM_EPERM,
				    "only leads and managers may edit scripts "
				    "(member '%s' has the role %s)",
				    id.member, role);
	free(role);
	return err;
}

/* 1 if the log holds an accepted op on script name (a create then would
 * be a second one: later writes use set). */
static int has_ops(int *out, tsm_store *store, const char *name)
{
	char *one = NULL;
	int err;

	err = query_row(&one, 1, out, store,
			"SELECT 1 FROM ops WHERE etype = 'script' AND "
			"eid = ?1 AND status <> 'rejected' LIMIT 1",
			name);
	free(one);
	return err;
}

/* A validated, cleaned section to write. */
struct wsec {
	char name[TSM_SCRIPT_SECTION_MAX];
	char *text; /* NULL: remove */
};

static int wsec_prepare(struct wsec *w, const char *name, const char *text)
{
	w->text = NULL;
	if (tsm_script_section_name(w->name, name) < 0)
		return TSM_EINVALID;
	if (text == NULL)
		return 0;
	w->text = text_clean(text);
	if (w->text == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (!text_valid(w->text))
		return tsm_error_set(TSM_EINVALID,
				     "section [%s]: text must be 1 to %d "
				     "bytes of UTF-8 without control "
				     "characters",
				     w->name, TSM_SCRIPT_TEXT_MAX);
	return 0;
}

static void wsecs_free(struct wsec *w, size_t n)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < n; i++)
		free(w[i].text);
	free(w);
}

/* Appends the ops: a create of every section in w when create, else one
 * set per section (null for a removal). */
static int write_ops(tsm_store *store, const char *name, const struct wsec *w,
		     size_t n, int create)
{
	tsm_op_spec *specs = NULL;
	char **vals = NULL;
	tsm_jbuf b;
	size_t i, nspecs = create ? 1 : n;
	int err = 0;

	tsm_jbuf_init(&b);
	specs = calloc(nspecs, sizeof(*specs));
	vals = calloc(nspecs, sizeof(*vals));
	if (specs == NULL || vals == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if (create) {
		tsm_jbuf_putc(&b, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				tsm_jbuf_putc(&b, ',');
			tsm_jbuf_str(&b, w[i].name);
			tsm_jbuf_putc(&b, ':');
			tsm_jbuf_str(&b, w[i].text);
		}
		tsm_jbuf_putc(&b, '}');
		if (b.err) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		vals[0] = tsm_jbuf_detach(&b, NULL);
		specs[0] =
		    (tsm_op_spec){"script", name, "create", NULL, vals[0]};
	} else {
		for (i = 0; i < n; i++) {
			if (w[i].text)
				tsm_jbuf_str(&b, w[i].text);
			else
				tsm_jbuf_puts(&b, "null");
			if (b.err) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
			vals[i] = tsm_jbuf_detach(&b, NULL);
			specs[i] = (tsm_op_spec){"script", name, "set",
						 w[i].name, vals[i]};
		}
	}
	err = tsm_ops_append(NULL, store, specs, nspecs);
done:
	if (vals)
		for (i = 0; i < nspecs; i++)
			free(vals[i]);
	free(vals);
	free(specs);
	tsm_jbuf_dispose(&b);
	return err;
}

static int check_name(const char *name)
{
	if (!tsm_script_name_valid(name))
		return tsm_error_set(TSM_EINVALID,
				     "invalid script name '%s': use 1 to %d "
				     "of a-z, 0-9, '.', '_', '-', starting "
				     "with a letter or digit",
				     name ? name : "", TSM_SCRIPT_NAME_MAX - 1);
	return 0;
}

int tsm_script_add(tsm_store *store, const char *name,
		   const tsm_script_section *sections, size_t n)
{
	tsm_script cur;
	struct wsec *w = NULL;
	size_t i, j, nw = 0;
	int found, err, logged;

	if ((err = check_name(name)) < 0)
		return err;
	if (n == 0)
		return tsm_error_set(TSM_EINVALID,
				     "a script needs at least one section");
	w = calloc(n, sizeof(*w));
	if (w == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		nw++;
		err = wsec_prepare(&w[i], sections[i].name,
				   sections[i].text ? sections[i].text : "");
		if (err < 0)
			goto done;
		for (j = 0; j < i; j++) {
			if (strcmp(w[j].name, w[i].name) != 0)
				continue;
			err = tsm_error_set(TSM_EINVALID,
					    "section [%s] given twice",
					    w[i].name);
			goto done;
		}
	}
	if ((err = team_script(&cur, &found, store, name)) < 0)
		goto done;
	script_dispose(&cur);
	if (found) {
		err = tsm_error_set(TSM_EEXISTS,
				    "script '%s' exists; use 'tsm script "
				    "edit'",
				    name);
		goto done;
	}
	if ((err = may_edit_scripts(store)) < 0)
		goto done;
	if ((err = has_ops(&logged, store, name)) < 0)
		goto done;
	if (logged) {
		/* Every section was removed once: write the sections again
		 * as sets, removing nothing else (there is nothing). */
		err = write_ops(store, name, w, nw, 0);
	} else {
		err = write_ops(store, name, w, nw, 1);
	}
done:
	wsecs_free(w, nw);
	return err;
}

int tsm_script_edit(size_t *out, tsm_store *store, const char *name,
		    const tsm_script_section *set, size_t nset,
		    const char *const *remove, size_t nremove)
{
	const struct builtin_script *b = NULL;
	tsm_script cur = {0};
	struct wsec *w = NULL, *all = NULL;
	size_t i, j, nw = 0, nall = 0, remaining;
	int found, err, has;

	if (out)
		*out = 0;
	if ((err = check_name(name)) < 0)
		return err;
	if (nset + nremove == 0)
		return tsm_error_set(TSM_EINVALID, "nothing to change");
	w = calloc(nset + nremove, sizeof(*w));
	if (w == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < nset + nremove; i++) {
		nw++;
		if (i < nset)
			err = wsec_prepare(&w[i], set[i].name,
					   set[i].text ? set[i].text : "");
		else
			err = wsec_prepare(&w[i], remove[i - nset], NULL);
		if (err < 0)
			goto done;
		for (j = 0; j < i; j++) {
			if (strcmp(w[j].name, w[i].name) != 0)
				continue;
			err = tsm_error_set(TSM_EINVALID,
					    "section [%s] given twice",
					    w[i].name);
			goto done;
		}
	}
	if ((err = team_script(&cur, &found, store, name)) < 0)
		goto done;
	if (!found) {
		b = builtin_find(name);
		if (b == NULL) {
			err = tsm_error_set(TSM_ENOTFOUND,
					    "no script '%s'; create it with "
					    "'tsm script add'",
					    name);
			goto done;
		}
		if ((err = builtin_copy(&cur, b)) < 0)
			goto done;
	}
	/* Removals must name existing sections; the last one stays. */
	remaining = cur.nsections;
	for (i = nset; i < nw; i++) {
		has = 0;
		for (j = 0; j < cur.nsections; j++)
			if (strcmp(cur.sections[j].name, w[i].name) == 0)
				has = 1;
		if (!has) {
			err = tsm_error_set(TSM_ENOTFOUND,
					    "script '%s' has no section [%s]",
					    name, w[i].name);
			goto done;
		}
		remaining--;
	}
	for (i = 0; i < nset; i++) {
		has = 0;
		for (j = 0; j < cur.nsections; j++)
			if (strcmp(cur.sections[j].name, w[i].name) == 0)
				has = 1;
		if (!has)
			remaining++;
	}
	if (remaining == 0) {
		err = tsm_error_set(
		    TSM_EINVALID, "cannot remove every section of '%s'", name);
		goto done;
	}
	/* Sets to the text a section has change nothing: drop them. */
	for (i = 0, j = 0; i < nw; i++) {
		const char *now = NULL;
		size_t k;

		for (k = 0; k < cur.nsections; k++)
			if (strcmp(cur.sections[k].name, w[i].name) == 0)
				now = cur.sections[k].text;
		if (w[i].text && now && strcmp(now, w[i].text) == 0) {
			free(w[i].text);
			continue;
		}
		w[j++] = w[i];
	}
	nset -= nw - j;
	nw = j;
	if (nw == 0)
		goto done;
	if ((err = may_edit_scripts(store)) < 0)
		goto done;
	if (out)
		*out = nw;
	if (found) {
		err = write_ops(store, name, w, nw, 0);
		goto done;
	}
	/* The team's first copy of a built-in: its sections, edited. */
	all = calloc(cur.nsections + nset, sizeof(*all));
	if (all == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < cur.nsections; i++) {
		has = 0;
		for (j = 0; j < nw; j++)
			if (strcmp(cur.sections[i].name, w[j].name) == 0)
				has = 1;
		if (has)
			continue;
		memcpy(all[nall].name, cur.sections[i].name,
		       strlen(cur.sections[i].name) + 1);
		all[nall].text = dup(cur.sections[i].text);
		if (all[nall++].text == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
	}
	for (i = 0; i < nset; i++) {
		memcpy(all[nall].name, w[i].name, sizeof(all[nall].name));
		all[nall].text = dup(w[i].text);
		if (all[nall++].text == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
	}
	if ((err = has_ops(&has, store, name)) < 0)
		goto done;
	err = write_ops(store, name, all, nall, !has);
done:
	script_dispose(&cur);
	wsecs_free(w, nw);
	wsecs_free(all, nall);
	return err;
}
