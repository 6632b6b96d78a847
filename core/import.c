/* core/import.c — `tsm import`: lead lists from CSV files into customers, in
 * one transaction: header mapping, per-row checks (name, phone, duplicates
 * in the file and the store, do-not-call), classification against the
 * team's lists, the rejects file; and the lists themselves (team data). */
#include "tsm/import.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/phone.h"

#include "csv.h"
#include "encoding.h"
#include "error.h"
#include "json.h"
#include "ops_internal.h"
#include "store_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Rows per tsm_ops_append() call inside the import's one transaction. */
#define CHUNK_ROWS 2048

/* ---- names ---- */

static const char *const reason_keys[TSM_IMPORT_R_COUNT] = {
    "missing_name",	 "invalid_name",       "missing_phone", "invalid_phone",
    "duplicate_in_file", "duplicate_in_store", "dnc",		"invalid_field",
    "malformed_row",	 "not_allowed",
};

const char *tsm_import_reason_key(int why)
{
	if (why < 0 || why >= TSM_IMPORT_R_COUNT)
		return NULL;
	return reason_keys[why];
}

int tsm_import_encoding_parse(const char *name)
{
	return tsm_encoding_parse(name);
}

const char *tsm_import_field_name(int field)
{
	if (field == TSM_IMPORT_NOTE)
		return "note";
	if (field >= 0 && field < TSM_CF_STAGE)
		return tsm_customer_field_name(field);
	return "ignore";
}

int tsm_import_field_parse(const char *name)
{
	int f;

	if (name == NULL)
		return -2;
	if (strcmp(name, "note") == 0 || strcmp(name, "notes") == 0)
		return TSM_IMPORT_NOTE;
	if (strcmp(name, "ignore") == 0 || strcmp(name, "-") == 0)
		return TSM_IMPORT_IGNORE;
	f = tsm_customer_field_lookup(name);
	if (f < 0 || f >= TSM_CF_STAGE)
		return -2;
	return f;
}

/* ---- matching text as people type it ---- */

/* Decodes one UTF-8 character (invalid bytes as themselves). */
static size_t next_cp(uint32_t *cp, const unsigned char *s)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x0f) << 12) |
		      ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) |
		      ((uint32_t)(s[1] & 0x3f) << 12) |
		      ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		return 4;
	}
	*cp = 0xfffd;
	return 1;
}

static int is_space_cp(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' ||
	       cp == 0xa0 || cp == 0x3000 || cp == 0xfeff ||
	       (cp >= 0x2000 && cp <= 0x200b);
}

/* Trims spaces (also full-width and no-break ones, a stray BOM) from both
 * ends of s in place; returns s advanced past the leading ones. */
static char *trim(char *s)
{
	unsigned char *p = (unsigned char *)s, *end, *q;
	uint32_t cp;
	size_t k;

	while (*p) {
		k = next_cp(&cp, p);
		if (!is_space_cp(cp))
			break;
		p += k;
	}
	end = p;
	for (q = p; *q; q += k) {
		k = next_cp(&cp, q);
		if (!is_space_cp(cp))
			end = q + k;
	}
	*end = '\0';
	return (char *)p;
}

/* The key text is compared by: ASCII lowercase, full-width forms as
 * ASCII, without spaces, underscores or '*', dashes and tildes as '-', a
 * final ':' dropped. Writes at most outlen - 1 bytes. */
static void norm_key(char *out, size_t outlen, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, k;
	uint32_t cp;

	while (*p && o + 5 < outlen) {
		k = next_cp(&cp, p);
		if (cp >= 0xff01 && cp <= 0xff5e)
			cp -= 0xfee0; /* full-width ASCII */
		if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 ||
		    cp == '~' || cp == 0x301c)
			cp = '-';
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		if (is_space_cp(cp) || cp == '_' || cp == '*') {
			p += k;
			continue;
		}
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp == 0xfffd && k == 1) {
			out[o++] = (char)*p;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | (cp >> 6));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | (cp >> 12));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (cp >> 18));
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
		p += k;
	}
	if (o > 0 && out[o - 1] == ':')
		o--;
	out[o] = '\0';
}

/* ---- headers ---- */

static const struct {
	int field;
	const char *names; /* normalized, '|' between */
} header_names[] = {
    {TSM_CF_NAME, "姓名|名字|name|客户|客戶|客户姓名|客戶姓名|联系人|"
		  "聯繫人|聯絡人|联系人姓名|聯繫人姓名|contact|contactname|"
		  "fullname|customer|customername"},
    {TSM_CF_PHONE, "电话|電話|手机|手機|手机号|手機號|手机号码|手機號碼|"
		   "电话号码|電話號碼|联系电话|聯繫電話|聯絡電話|联系方式|"
		   "聯繫方式|聯絡方式|phone|mobile|tel|telephone|"
		   "phonenumber|mobilephone|mobilenumber|cell|cellphone"},
    {TSM_CF_COMPANY, "公司|公司名称|公司名稱|单位|單位|企业|企業|企业名称|"
		     "企業名稱|工作单位|工作單位|company|companyname|"
		     "organization|organisation|employer|firm"},
    {TSM_CF_INDUSTRY, "行业|行業|所属行业|所屬行業|industry|sector"},
    {TSM_CF_REGION, "地区|地區|区域|區域|城市|所在地|所在城市|省份|"
		    "region|city|area|province|location"},
    {TSM_CF_SIZE, "规模|規模|企业规模|企業規模|公司规模|公司規模|人数|"
		  "人數|员工人数|員工人數|size|companysize|employees|"
		  "headcount"},
    {TSM_CF_SOURCE, "来源|來源|客户来源|客戶來源|渠道|source|leadsource|"
		    "channel"},
    {TSM_IMPORT_NOTE, "备注|備註|备注信息|備註信息|说明|說明|note|notes|"
		      "remark|remarks|comment|comments|memo"},
    {TSM_CF_ADDRESS, "地址|通讯地址|通訊地址|公司地址|详细地址|詳細地址|"
		     "address"},
    {TSM_CF_NEEDS, "需求|客户需求|客戶需求|法律需求|needs|need|"
		   "requirement|requirements"},
    {TSM_CF_SALUTATION, "称呼|稱呼|称谓|稱謂|性别|性別|salutation|"
			"gender|sex"},
    {TSM_CF_PRIORITY, "优先级|優先級|优先|優先|priority"},
    {TSM_CF_TAGS, "标签|標籤|標簽|tags|tag|labels"},
};

/* Nonzero if key is one of the '|'-separated names. */
static int in_names(const char *names, const char *key)
{
	size_t n = strlen(key);
	const char *p = names, *bar;

	while (*p) {
		bar = strchr(p, '|');
		if (bar == NULL)
			bar = p + strlen(p);
		if ((size_t)(bar - p) == n && memcmp(p, key, n) == 0)
			return 1;
		p = *bar ? bar + 1 : bar;
	}
	return 0;
}

int tsm_import_field_guess(const char *header)
{
	char key[256], *copy;
	size_t i;

	if (header == NULL)
		return TSM_IMPORT_IGNORE;
	copy = strdup(header);
	if (copy == NULL)
		return TSM_IMPORT_IGNORE;
	norm_key(key, sizeof(key), trim(copy));
	free(copy);
	for (i = 0; i < COUNT(header_names); i++)
		if (in_names(header_names[i].names, key))
			return header_names[i].field;
	return TSM_IMPORT_IGNORE;
}

/* ---- the classification lists ---- */

static const char *const list_names[TSM_LIST_COUNT] = {
    "industries",
    "regions",
    "sizes",
};

const char *tsm_import_list_name(int list)
{
	return list >= 0 && list < TSM_LIST_COUNT ? list_names[list] : NULL;
}

int tsm_import_list_lookup(const char *name)
{
	int i;

	for (i = 0; name && i < TSM_LIST_COUNT; i++)
		if (strcmp(list_names[i], name) == 0)
			return i;
	return -1;
}

/* The defaults, for a law firm selling to Chinese companies. */
struct dentry {
	const char *name;
	int64_t min, max;    /* employee counts, -1 when none */
	const char *aliases; /* '|' between */
};

static const struct dentry def_industries[] = {
    {"制造业", -1, -1, "Manufacturing|制造|製造業|製造|工业|工業"},
    {"科技", -1, -1,
     "Technology|Tech|IT|互联网|互聯網|Internet|软件|軟件|軟體|Software|"
     "信息技术|資訊科技|高科技|电子|電子"},
    {"金融", -1, -1,
     "Finance|Financial services|银行|銀行|Banking|保险|保險|Insurance|"
     "证券|證券|投资|投資|基金"},
    {"房地产", -1, -1, "Real estate|房地產|地产|地產|物业|物業|Property"},
    {"建筑", -1, -1, "Construction|建筑业|建築|建築業|工程|装修|裝修"},
    {"零售", -1, -1, "Retail|零售业|零售業|电商|電商|E-commerce|商超"},
    {"贸易", -1, -1,
     "Trade|Trading|外贸|外貿|进出口|進出口|Import/Export|批发|批發|"
     "Wholesale"},
    {"医疗", -1, -1,
     "Healthcare|Medical|醫療|医疗健康|醫療健康|医药|醫藥|Pharma|"
     "Pharmaceutical|生物医药|生物醫藥|医院|醫院"},
    {"教育", -1, -1, "Education|培训|培訓|Training|学校|學校"},
    {"物流", -1, -1, "Logistics|运输|運輸|Transport|Transportation|快递|快遞"},
    {"餐饮", -1, -1,
     "Catering|餐飲|Restaurant|酒店|Hospitality|旅游|旅遊|Tourism"},
    {"能源", -1, -1, "Energy|电力|電力|新能源|石油|Oil and gas"},
    {"文化传媒", -1, -1,
     "Media|传媒|傳媒|文化傳媒|广告|廣告|Advertising|文化|娱乐|娛樂|"
     "Entertainment"},
    {"农业", -1, -1, "Agriculture|農業|农林牧渔|農林牧漁"},
    {"其他", -1, -1, "Other|Others|其它"},
};

static const struct dentry def_regions[] = {
    {"北京", -1, -1, "Beijing|京"},
    {"上海", -1, -1, "Shanghai|沪|滬"},
    {"天津", -1, -1, "Tianjin"},
    {"重庆", -1, -1, "Chongqing|重慶"},
    {"广州", -1, -1, "Guangzhou|廣州|Canton"},
    {"深圳", -1, -1, "Shenzhen"},
    {"杭州", -1, -1, "Hangzhou"},
    {"南京", -1, -1, "Nanjing"},
    {"苏州", -1, -1, "Suzhou|蘇州"},
    {"成都", -1, -1, "Chengdu"},
    {"武汉", -1, -1, "Wuhan|武漢"},
    {"西安", -1, -1, "Xi'an|Xian"},
    {"广东", -1, -1, "Guangdong|廣東"},
    {"江苏", -1, -1, "Jiangsu|江蘇"},
    {"浙江", -1, -1, "Zhejiang"},
    {"香港", -1, -1, "Hong Kong|Hongkong|HK|香港特别行政区|香港特別行政區"},
    {"澳门", -1, -1, "Macau|Macao|澳門"},
    {"台湾", -1, -1, "Taiwan|臺灣|台灣"},
    {"海外", -1, -1, "Overseas|Abroad|国外|國外|境外"},
};

static const struct dentry def_sizes[] = {
    {"1-49", 1, 49,
     "小型|小|Small|微型|Micro|小微|小微企业|小微企業|小型企业|小型企業|"
     "50人以下"},
    {"50-199", 50, 199, "中型|中|Medium|Mid-size|Midsize|中型企业|中型企業"},
    {"200-999", 200, 999, "大型|大|Large|大型企业|大型企業"},
    {"1000+", 1000, -1,
     "特大型|超大型|Enterprise|Very large|集团|集團|千人以上"},
};

/* The default list as canonical JSON (free() it). */
static int default_list(char **out, int list)
{
	const struct dentry *d;
	size_t n, i;
	tsm_json *arr = tsm_json_new_array(), *e, *al;
	const char *p, *bar;
	char buf[128];
	int err = 0;

	*out = NULL;
	if (list == TSM_LIST_INDUSTRIES) {
		d = def_industries;
		n = COUNT(def_industries);
	} else if (list == TSM_LIST_REGIONS) {
		d = def_regions;
		n = COUNT(def_regions);
	} else {
		d = def_sizes;
		n = COUNT(def_sizes);
	}
	if (arr == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	for (i = 0; i < n && err == 0; i++) {
		e = tsm_json_new_object();
		al = tsm_json_new_array();
		if (e == NULL || al == NULL) {
			tsm_json_free(e);
			tsm_json_free(al);
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			break;
		}
		for (p = d[i].aliases; *p && err == 0;) {
			bar = strchr(p, '|');
			if (bar == NULL)
				bar = p + strlen(p);
			snprintf(buf, sizeof(buf), "%.*s", (int)(bar - p), p);
			err = tsm_json_put_string(al, NULL, buf);
			p = *bar ? bar + 1 : bar;
		}
		if (err == 0)
			err = tsm_json_put_string(e, "name", d[i].name);
		if (err == 0)
			err = tsm_json_put(e, "aliases", al);
		else
			tsm_json_free(al);
		if (err == 0 && d[i].min >= 0)
			err = tsm_json_put_int(e, "min", d[i].min);
		if (err == 0 && d[i].max >= 0)
			err = tsm_json_put_int(e, "max", d[i].max);
		if (err == 0)
			err = tsm_json_put(arr, NULL, e);
		else
			tsm_json_free(e);
	}
	if (err == 0)
		err = tsm_json_print(out, arr);
	tsm_json_free(arr);
	return err;
}

/* Plain text of 1..max bytes without control characters. */
static int plain_text(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max || !tsm_utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Checks a list's JSON; the message says what is wrong. */
static int list_check(const tsm_json *v, int list)
{
	const tsm_json *e, *k, *a;
	const char *key;
	int64_t x;
	size_t i = 0;

	if (tsm_json_type(v) != TSM_JSON_ARRAY)
		return tsm_error_set(TSM_EINVALID,
				     "%s: expected a JSON array of entries",
				     list_names[list]);
	if (tsm_json_count(v) > 1000)
		return tsm_error_set(TSM_EINVALID, "%s: more than 1000 entries",
				     list_names[list]);
	for (e = tsm_json_first(v); e; e = tsm_json_next(e), i++) {
		if (tsm_json_type(e) != TSM_JSON_OBJECT ||
		    tsm_json_string(tsm_json_get(e, "name")) == NULL ||
		    !plain_text(tsm_json_string(tsm_json_get(e, "name")), 128))
			return tsm_error_set(TSM_EINVALID,
					     "%s: entry %zu needs a \"name\" "
					     "(1 to 128 bytes of text)",
					     list_names[list], i + 1);
		for (k = tsm_json_first(e); k; k = tsm_json_next(k)) {
			key = tsm_json_key(k);
			if (strcmp(key, "name") == 0)
				continue;
			if (strcmp(key, "aliases") == 0) {
				if (tsm_json_type(k) != TSM_JSON_ARRAY)
					goto bad;
				for (a = tsm_json_first(k); a;
				     a = tsm_json_next(a))
					if (tsm_json_string(a) == NULL ||
					    !plain_text(tsm_json_string(a),
							128))
						goto bad;
				continue;
			}
			if (list == TSM_LIST_SIZES &&
			    (strcmp(key, "min") == 0 ||
			     strcmp(key, "max") == 0)) {
				if (tsm_json_int(&x, k) < 0 || x < 0)
					goto bad;
				continue;
			}
		bad:
			return tsm_error_set(
			    TSM_EINVALID,
			    "%s: entry %zu: bad \"%s\" (use "
			    "\"name\", \"aliases\"%s)",
			    list_names[list], i + 1, key,
			    list == TSM_LIST_SIZES ? ", \"min\", \"max\"" : "");
		}
	}
	return 0;
}

static const char SQL_LIST_GET[] =
    "SELECT value FROM policy WHERE id = '" TSM_IMPORT_LISTS_ID
    "' AND field = ?1";

/* The team's list as stored and valid into *out (canonical JSON), or NULL
 * when unset or invalid. */
static int stored_list(char **out, tsm_store *store, int list)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st = tsm_stmt(db, SQL_LIST_GET);
	const char *text;
	tsm_json *v = NULL;
	int rc, err = 0;

	*out = NULL;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, list_names[list], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 0);
		if (text && tsm_json_parse(&v, text, strlen(text)) == 0 &&
		    list_check(v, list) == 0) {
			*out = strdup(text);
			if (*out == NULL)
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
		}
		tsm_json_free(v);
		tsm_error_clear();
	} else if (rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read lists");
	}
	sqlite3_reset(st);
	return err;
}

int tsm_import_list_get(char **out, int *is_default, tsm_store *store, int list)
{
	int err;

	*out = NULL;
	if (list < 0 || list >= TSM_LIST_COUNT)
		return tsm_error_set(TSM_EINVALID, "no such list");
	if ((err = stored_list(out, store, list)) < 0)
		return err;
	if (is_default)
		*is_default = *out == NULL;
	if (*out)
		return 0;
	return default_list(out, list);
}

void tsm_import_list_entries_free(tsm_list_entry *entries, size_t n)
{
	size_t i, k;

	for (i = 0; entries && i < n; i++) {
		free(entries[i].name);
		for (k = 0; k < entries[i].naliases; k++)
			free(entries[i].aliases[k]);
		free(entries[i].aliases);
	}
	free(entries);
}

int tsm_import_list_entries(tsm_list_entry **out, size_t *n, int *is_default,
			    tsm_store *store, int list)
{
	const tsm_json *e, *a;
	tsm_list_entry *list_out = NULL, *t;
	tsm_json *v = NULL;
	char *json = NULL;
	size_t k = 0, na;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = tsm_import_list_get(&json, is_default, store, list)) < 0)
		return err;
	if ((err = tsm_json_parse(&v, json, strlen(json))) < 0)
		goto done;
	list_out = calloc(tsm_json_count(v) + 1, sizeof(*list_out));
	if (list_out == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (e = tsm_json_first(v); e; e = tsm_json_next(e)) {
		t = &list_out[k++];
		t->name = strdup(tsm_json_string(tsm_json_get(e, "name")));
		na = tsm_json_count(tsm_json_get(e, "aliases"));
		t->aliases = calloc(na + 1, sizeof(*t->aliases));
		if (t->name == NULL || t->aliases == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		for (a = tsm_json_first(tsm_json_get(e, "aliases")); a;
		     a = tsm_json_next(a)) {
			t->aliases[t->naliases] = strdup(tsm_json_string(a));
			if (t->aliases[t->naliases++] == NULL) {
				err =
				    tsm_error_set(TSM_ENOMEM, "out of memory");
				goto done;
			}
		}
		if (tsm_json_int(&t->min, tsm_json_get(e, "min")) < 0)
			t->min = -1;
		if (tsm_json_int(&t->max, tsm_json_get(e, "max")) < 0)
			t->max = -1;
	}
done:
	tsm_json_free(v);
	free(json);
	if (err < 0) {
		tsm_import_list_entries_free(list_out, k);
		return err;
	}
	*out = list_out;
	*n = k;
	return 0;
}

static const char SQL_ROLE[] =
    "SELECT role FROM members WHERE id = ?1 AND active = 1";
static const char SQL_LISTS_OPS[] =
    "SELECT 1 FROM ops WHERE etype = 'policy' AND eid = '" TSM_IMPORT_LISTS_ID
    "' AND status != 'rejected' LIMIT 1";

/* This replica's member's active role into role ("" when none). */
static int my_role(char role[16], tsm_identity *me, tsm_store *store)
{
	sqlite3 *db = tsm_store_db(store);
	sqlite3_stmt *st;
	int rc, err;

	role[0] = '\0';
	if ((err = tsm_identity_get(me, store)) < 0)
		return err;
	if ((st = tsm_stmt(db, SQL_ROLE)) == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, me->member, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(role, 16, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return tsm_error_sqlite(db, rc, "read role");
	return 0;
}

int tsm_import_list_set(tsm_store *store, int list, const char *json)
{
	sqlite3 *db = tsm_store_db(store);
	tsm_json *v = NULL, *obj = NULL;
	char *canon = NULL, *create = NULL, role[16];
	tsm_identity me;
	tsm_op_spec spec;
	sqlite3_stmt *st;
	int err, rc, exists;

	if (list < 0 || list >= TSM_LIST_COUNT)
		return tsm_error_set(TSM_EINVALID, "no such list");
	if (json) {
		if ((err = tsm_json_parse(&v, json, strlen(json))) < 0) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s",
				 tsm_error_last()->message);
			return tsm_error_set(TSM_EINVALID, "%s: %s",
					     list_names[list], msg);
		}
		if ((err = list_check(v, list)) < 0 ||
		    (err = tsm_json_print(&canon, v)) < 0)
			goto done;
	}
	if ((err = my_role(role, &me, store)) < 0)
		goto done;
	if (strcmp(role, "manager") != 0) {
		err = tsm_error_set(TSM_EPERM, "only a manager may change the "
					       "team's lists");
		goto done;
	}
	if ((st = tsm_stmt(db, SQL_LISTS_OPS)) == NULL) {
		err = tsm_error_last()->code;
		goto done;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = tsm_error_sqlite(db, rc, "read lists");
		goto done;
	}
	exists = rc == SQLITE_ROW;
	if (exists) {
		spec = (tsm_op_spec){"policy", TSM_IMPORT_LISTS_ID, "set",
				     list_names[list], canon ? canon : "null"};
		err = tsm_ops_append(NULL, store, &spec, 1);
		goto done;
	}
	if (canon == NULL)
		goto done; /* nothing set, nothing to unset */
	obj = tsm_json_new_object();
	if (obj == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = tsm_json_put(obj, list_names[list], v)) < 0) {
		v = NULL;
		goto done;
	}
	v = NULL;
	if ((err = tsm_json_print(&create, obj)) < 0)
		goto done;
	spec = (tsm_op_spec){"policy", TSM_IMPORT_LISTS_ID, "create", NULL,
			     create};
	err = tsm_ops_append(NULL, store, &spec, 1);
done:
	tsm_json_free(v);
	tsm_json_free(obj);
	free(canon);
	free(create);
	return err;
}

/* A list ready for matching: normalized names and aliases -> the entry's
 * name; size ranges in entry order. */
struct range {
	int64_t min;
	int64_t max; /* -1: no upper bound */
	const char *name;
};

typedef struct matcher {
	int list;
	strmap keys;
	struct range *ranges;
	size_t nranges;
	arena mem;
} matcher;

static void matcher_free(matcher *m)
{
	strmap_free(&m->keys);
	free(m->ranges);
	arena_free(&m->mem);
	memset(m, 0, sizeof(*m));
}

static int matcher_key(matcher *m, const char *text, const char *name)
{
	char key[512];
	void **slot;

	norm_key(key, sizeof(key), text);
	if (key[0] == '\0')
		return 0;
	slot = strmap_slot(&m->keys, key, NULL);
	if (slot == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (*slot == NULL)
		*slot = (void *)name; /* the first entry naming it wins */
	return 0;
}

static int matcher_load(matcher *m, tsm_store *store, int list)
{
	const tsm_json *e, *a;
	tsm_json *v = NULL;
	char *json = NULL;
	const char *name;
	int64_t min, max;
	int err;

	memset(m, 0, sizeof(*m));
	m->list = list;
	if ((err = tsm_import_list_get(&json, NULL, store, list)) < 0)
		return err;
	if ((err = tsm_json_parse(&v, json, strlen(json))) < 0)
		goto done;
	m->ranges = calloc(tsm_json_count(v) + 1, sizeof(*m->ranges));
	if (m->ranges == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	for (e = tsm_json_first(v); e && err == 0; e = tsm_json_next(e)) {
		name = arena_strdup(&m->mem,
				    tsm_json_string(tsm_json_get(e, "name")));
		if (name == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			break;
		}
		err = matcher_key(m, name, name);
		for (a = tsm_json_first(tsm_json_get(e, "aliases"));
		     a && err == 0; a = tsm_json_next(a))
			err = matcher_key(m, tsm_json_string(a), name);
		if (tsm_json_int(&min, tsm_json_get(e, "min")) == 0) {
			if (tsm_json_int(&max, tsm_json_get(e, "max")) < 0)
				max = -1;
			m->ranges[m->nranges++] =
			    (struct range){min, max, name};
		}
	}
done:
	tsm_json_free(v);
	free(json);
	if (err < 0)
		matcher_free(m);
	return err;
}

/* Skips prefix pre at *p when present. */
static int eat(const char **p, const char *pre)
{
	size_t n = strlen(pre);

	if (strncmp(*p, pre, n) != 0)
		return 0;
	*p += n;
	return 1;
}

static int read_count(const char **p, int64_t *out)
{
	int64_t v = 0;
	int digits = 0;

	while ((**p >= '0' && **p <= '9') || (**p == ',' && digits)) {
		if (**p != ',') {
			if (v > 100000000)
				return 0;
			v = v * 10 + (**p - '0');
			digits++;
		}
		(*p)++;
	}
	*out = v;
	return digits > 0;
}

/* A head count as people write it ("120", "约120人", "50-100人",
 * "1000+", "1000人以上") matched to a size range; NULL when none. */
static const char *size_by_count(const matcher *m, const char *key)
{
	static const char *const prefixes[] = {
	    "大约", "大約", "约", "約", "about", "approx.", "approx", "ca."};
	static const char *const suffixes[] = {
	    "",		 "人",	  "名",	    "位",	"员工",	      "員工",
	    "employees", "staff", "people", "+",	"以上",	      "人以上",
	    "名以上",	 "人+",	  "+人",    "人及以上", "employees+", "ormore",
	};
	const char *p = key;
	int64_t a, b;
	size_t i;
	int open = 0, found = 0;

	for (i = 0; i < COUNT(prefixes); i++)
		if (eat(&p, prefixes[i]))
			break;
	if (!read_count(&p, &a))
		return NULL;
	b = a;
	if (*p == '-') {
		p++;
		if (!read_count(&p, &b) || b < a)
			return NULL;
	}
	for (i = 0; i < COUNT(suffixes); i++) {
		if (strcmp(p, suffixes[i]) == 0) {
			found = 1;
			open = strchr(suffixes[i], '+') ||
			       strstr(suffixes[i], "以上") ||
			       strcmp(suffixes[i], "ormore") == 0;
			break;
		}
	}
	if (!found)
		return NULL;
	for (i = 0; i < m->nranges; i++) {
		const struct range *r = &m->ranges[i];

		if (r->min > a)
			continue;
		if (open ? r->max < 0 : (r->max < 0 || b <= r->max))
			return r->name;
	}
	return NULL;
}

/* The entry's name for value (trimmed), or NULL when none matches. */
static const char *match(const matcher *m, const char *value)
{
	static const char *const suffixes[] = {"市", "省", "区", "區"};
	char key[512];
	const char *name;
	size_t n, i, k;

	norm_key(key, sizeof(key), value);
	if ((name = strmap_get(&m->keys, key)) != NULL)
		return name;
	if (m->list == TSM_LIST_SIZES)
		return size_by_count(m, key);
	if (m->list == TSM_LIST_REGIONS) {
		n = strlen(key);
		for (i = 0; i < COUNT(suffixes); i++) {
			k = strlen(suffixes[i]);
			if (n > k && strcmp(key + n - k, suffixes[i]) == 0) {
				key[n - k] = '\0';
				return strmap_get(&m->keys, key);
			}
		}
	}
	return NULL;
}

int tsm_import_classify(char *out, size_t outlen, tsm_store *store, int list,
			const char *value)
{
	matcher m;
	char *copy;
	const char *name, *t;
	int err;

	if (outlen == 0)
		return tsm_error_set(TSM_EINVALID, "no room for the result");
	out[0] = '\0';
	if (list < 0 || list >= TSM_LIST_COUNT)
		return tsm_error_set(TSM_EINVALID, "no such list");
	copy = strdup(value ? value : "");
	if (copy == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	t = trim(copy);
	if (*t == '\0') {
		free(copy);
		return 0;
	}
	if ((err = matcher_load(&m, store, list)) < 0) {
		free(copy);
		return err;
	}
	name = match(&m, t);
	snprintf(out, outlen, "%s", name ? name : t);
	err = name != NULL;
	matcher_free(&m);
	free(copy);
	return err;
}

/* ---- salutation and priority as people type them ---- */

static const char *canon_salutation(const char *value)
{
	static const struct {
		const char *key;
		const char *as;
	} map[] = {
	    {"先生", "先生"},	{"女士", "女士"}, {"小姐", "小姐"},
	    {"男", "先生"},	{"女", "女士"},	  {"mr", "Mr"},
	    {"mr.", "Mr"},	{"ms", "Ms"},	  {"ms.", "Ms"},
	    {"mrs", "Mrs"},	{"mrs.", "Mrs"},  {"miss", "Miss"},
	    {"dr", "Dr"},	{"dr.", "Dr"},	  {"male", "先生"},
	    {"female", "女士"},
	};
	char key[64];
	size_t i;

	norm_key(key, sizeof(key), value);
	for (i = 0; i < COUNT(map); i++)
		if (strcmp(map[i].key, key) == 0)
			return map[i].as;
	return NULL;
}

static const char *canon_priority(const char *value)
{
	static const struct {
		const char *key;
		const char *as;
	} map[] = {
	    {"high", "high"},	  {"normal", "normal"}, {"low", "low"},
	    {"高", "high"},	  {"中", "normal"},	{"低", "low"},
	    {"重要", "high"},	  {"一般", "normal"},	{"普通", "normal"},
	    {"medium", "normal"},
	};
	char key[64];
	size_t i;

	norm_key(key, sizeof(key), value);
	for (i = 0; i < COUNT(map); i++)
		if (strcmp(map[i].key, key) == 0)
			return map[i].as;
	return NULL;
}

/* ---- a set of 64-bit keys with a row number each ---- */

typedef struct u64map {
	uint64_t *keys; /* 0 = empty slot; stored as key + 1 */
	uint32_t *rows;
	size_t cap;
	size_t n;
} u64map;

static size_t u64_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

/* The row stored for k, 0 when absent. */
static uint32_t u64_get(const u64map *m, uint64_t k)
{
	size_t h;

	if (m->cap == 0)
		return 0;
	for (h = u64_hash(k) & (m->cap - 1); m->keys[h];
	     h = (h + 1) & (m->cap - 1))
		if (m->keys[h] == k + 1)
			return m->rows[h];
	return 0;
}

static int u64_put(u64map *m, uint64_t k, uint32_t row)
{
	size_t h, i, cap;
	uint64_t *keys;
	uint32_t *rows;

	if ((m->n + 1) * 2 > m->cap) {
		cap = m->cap ? m->cap * 2 : 4096;
		keys = calloc(cap, sizeof(*keys));
		rows = calloc(cap, sizeof(*rows));
		if (keys == NULL || rows == NULL) {
			free(keys);
			free(rows);
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		}
		for (i = 0; i < m->cap; i++) {
			if (m->keys[i] == 0)
				continue;
			for (h = u64_hash(m->keys[i] - 1) & (cap - 1); keys[h];
			     h = (h + 1) & (cap - 1))
				;
			keys[h] = m->keys[i];
			rows[h] = m->rows[i];
		}
		free(m->keys);
		free(m->rows);
		m->keys = keys;
		m->rows = rows;
		m->cap = cap;
	}
	for (h = u64_hash(k) & (m->cap - 1); m->keys[h];
	     h = (h + 1) & (m->cap - 1))
		if (m->keys[h] == k + 1) {
			m->rows[h] = row;
			return 0;
		}
	m->keys[h] = k + 1;
	m->rows[h] = row;
	m->n++;
	return 0;
}

static void u64_free(u64map *m)
{
	free(m->keys);
	free(m->rows);
	memset(m, 0, sizeof(*m));
}

/* The digits of an E.164 number as an integer (at most 15 digits). */
static uint64_t phone_key(const char *e164)
{
	uint64_t v = 0;

	for (e164++; *e164; e164++)
		v = v * 10 + (uint64_t)(*e164 - '0');
	return v;
}

/* ---- the import ---- */

/* The import's state. */
typedef struct imp {
	tsm_store *store;
	sqlite3 *db;
	const tsm_import_options *o;
	tsm_import_result *r;
	tsm_identity me;
	char role[16];
	const char *path;
	FILE *in;
	tsm_decoder *dec;
	tsm_csv *csv;
	int enc;
	uint64_t total_bytes;
	/* the header */
	size_t ncols;
	char **hdr;
	int *col; /* target per column */
	matcher lists[TSM_LIST_COUNT];
	/* checks */
	u64map phones;	    /* phone -> the row that has it */
	uint32_t id_prefix; /* this import's block of customer ids */
	uint32_t id_next;   /* 1 + the next counter; 0: no block yet */
	uint64_t row_no;    /* spreadsheet row of the current record */
	u64map lines;	    /* row -> line, for rows whose line differs */
	/* the rejects file */
	char *rej_path;
	char *rej_tmp;
	FILE *rej;
	char *scratch; /* trimmed copies of a row's values */
	size_t scap;
	/* ops waiting for the next tsm_ops_append() */
	tsm_op_spec *specs;
	size_t nspecs;
	size_t capspecs;
	size_t chunk_rows;
	arena chunk;
} imp;

/* The values of a row by target: TSM_CF_NAME .. TSM_CF_TAGS, then the
 * note at TSM_IMPORT_NOTE. */
#define NTARGETS (TSM_IMPORT_NOTE + 1)

static const char SQL_DNC[] =
    "SELECT 1 FROM dnc_list WHERE phone = ?1 AND dnc = 1";
static const char SQL_LIVE[] =
    "SELECT id FROM customers WHERE phone = ?1 AND deleted = 0 "
    "AND merged_into IS NULL ORDER BY id LIMIT 1";
static const char SQL_ID_RANGE[] =
    "SELECT 1 FROM ops WHERE etype = 'customer' AND eid >= ?1 "
    "AND eid < ?2 LIMIT 1";
static const char SQL_CUST[] =
    "SELECT name, phone, company, industry, region, size, source, "
    "address, needs, salutation, priority, tags, created_by "
    "FROM customers WHERE id = ?1";
static const char SQL_NOTE_EXISTS[] =
    "SELECT 1 FROM notes WHERE customer = ?1 AND text = ?2 LIMIT 1";

/* Runs a one-text-parameter query: 1 with the first column copied into
 * out (when out is not NULL), 0 when no row. */
static int query1(imp *c, const char *sql, const char *a, const char *b,
		  char *out, size_t outlen)
{
	sqlite3_stmt *st = tsm_stmt(c->db, sql);
	int rc;

	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		snprintf(out, outlen, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return tsm_error_sqlite(c->db, rc, "read store");
}

/* ---- the rejects file ---- */

static int rej_open(imp *c)
{
	size_t n = strlen(c->rej_path) + 16, i;
	int fd, err;

	c->rej_tmp = malloc(n);
	if (c->rej_tmp == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	snprintf(c->rej_tmp, n, "%s.XXXXXX", c->rej_path);
	fd = mkstemp(c->rej_tmp);
	if (fd < 0) {
		err = tsm_error_set(TSM_EIO, "cannot create '%s': %s",
				    c->rej_tmp, strerror(errno));
		free(c->rej_tmp);
		c->rej_tmp = NULL;
		return err;
	}
	fchmod(fd, 0644 & ~0022);
	c->rej = fdopen(fd, "wb");
	if (c->rej == NULL) {
		close(fd);
		return tsm_error_set(TSM_EIO, "cannot write '%s'", c->rej_tmp);
	}
	/* A BOM tells Excel the file is UTF-8. */
	if ((c->r->bom || c->enc != TSM_ENC_UTF8) &&
	    fputs("\xef\xbb\xbf", c->rej) == EOF)
		return tsm_error_set(TSM_EIO, "cannot write '%s'", c->rej_tmp);
	for (i = 0; i < c->ncols; i++)
		if ((err = tsm_csv_write_field(c->rej, c->hdr[i],
					       strlen(c->hdr[i]), i == 0,
					       ',')) < 0)
			return err;
	if ((err = tsm_csv_write_field(c->rej, "line", 4, c->ncols == 0, ',')) <
		0 ||
	    (err = tsm_csv_write_field(c->rej, "reason", 6, 0, ',')) < 0)
		return err;
	return tsm_csv_write_eol(c->rej);
}

/* Writes the rejected record: its original fields (as many as the header
 * has; extra fields joined into the last one), its line and the reason. */
static int rej_write(imp *c, const tsm_csv_record *rec, const char *reason)
{
	char line[32];
	size_t i, k;
	int err;

	if (c->rej == NULL && (err = rej_open(c)) < 0)
		return err;
	for (i = 0; i < c->ncols; i++) {
		if (i + 1 == c->ncols && rec->n > c->ncols) {
			/* The rest of the record, as it was. */
			if (i > 0 && putc(',', c->rej) == EOF)
				goto fail;
			if (putc('"', c->rej) == EOF)
				goto fail;
			for (k = i; k < rec->n; k++) {
				const char *s = rec->field[k];

				if (k > i && putc(',', c->rej) == EOF)
					goto fail;
				for (; *s; s++)
					if ((*s == '"' &&
					     putc('"', c->rej) == EOF) ||
					    putc(*s, c->rej) == EOF)
						goto fail;
			}
			if (putc('"', c->rej) == EOF)
				goto fail;
			break;
		}
		if ((err = tsm_csv_write_field(
			 c->rej, i < rec->n ? rec->field[i] : "",
			 i < rec->n ? rec->len[i] : 0, i == 0, ',')) < 0)
			return err;
	}
	snprintf(line, sizeof(line), "%lld", (long long)rec->line);
	if ((err = tsm_csv_write_field(c->rej, line, strlen(line),
				       c->ncols == 0, ',')) < 0 ||
	    (err = tsm_csv_write_field(c->rej, reason, strlen(reason), 0,
				       ',')) < 0)
		return err;
	return tsm_csv_write_eol(c->rej);
fail:
	return tsm_error_set(TSM_EIO, "cannot write '%s'", c->rej_tmp);
}

/* Closes the rejects file and moves it into place. */
static int rej_finish(imp *c)
{
	int err = 0;

	if (c->rej == NULL)
		return 0;
	if (fflush(c->rej) != 0 || fsync(fileno(c->rej)) != 0)
		err = tsm_error_set(TSM_EIO, "cannot write '%s': %s",
				    c->rej_tmp, strerror(errno));
	if (fclose(c->rej) != 0 && err == 0)
		err = tsm_error_set(TSM_EIO, "cannot write '%s': %s",
				    c->rej_tmp, strerror(errno));
	c->rej = NULL;
	if (err == 0 && rename(c->rej_tmp, c->rej_path) != 0)
		err = tsm_error_set(TSM_EIO, "cannot write '%s': %s",
				    c->rej_path, strerror(errno));
	if (err < 0) {
		unlink(c->rej_tmp);
		return err;
	}
	free(c->rej_tmp);
	c->rej_tmp = NULL;
	c->r->rejects_file = strdup(c->rej_path);
	if (c->r->rejects_file == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	return 0;
}

/* ---- rejecting a row ---- */

static int reject(imp *c, const tsm_csv_record *rec, int why,
		  const char *reason, const char *name, const char *phone)
{
	tsm_import_sample *s;
	int err;

	c->r->rejected++;
	c->r->by_reason[why]++;
	if (c->r->nsamples < c->o->max_samples) {
		if (c->r->samples == NULL) {
			c->r->samples =
			    calloc(c->o->max_samples, sizeof(*c->r->samples));
			if (c->r->samples == NULL)
				return tsm_error_set(TSM_ENOMEM,
						     "out of memory");
		}
		s = &c->r->samples[c->r->nsamples++];
		s->line = rec->line;
		s->why = why;
		s->reason = strdup(reason);
		s->name = name && *name ? strdup(name) : NULL;
		s->phone = phone && *phone ? strdup(phone) : NULL;
		if (s->reason == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	if (c->o->dry_run)
		return 0;
	if ((err = rej_write(c, rec, reason)) < 0)
		return err;
	return 0;
}

/* ---- writing ---- */

static int flush(imp *c)
{
	int err = 0;

	if (c->nspecs > 0) {
		err = tsm_ops_append(NULL, c->store, c->specs, c->nspecs);
		c->r->ops += c->nspecs;
	}
	c->nspecs = 0;
	c->chunk_rows = 0;
	arena_free(&c->chunk);
	return err;
}

static int push(imp *c, const char *eid, const char *action, const char *field,
		const char *value)
{
	tsm_op_spec *p;
	size_t cap;

	if (c->nspecs == c->capspecs) {
		cap = c->capspecs ? c->capspecs * 2 : 2 * CHUNK_ROWS;
		p = realloc(c->specs, cap * sizeof(*p));
		if (p == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		c->specs = p;
		c->capspecs = cap;
	}
	c->specs[c->nspecs++] =
	    (tsm_op_spec){"customer", eid, action, field, value};
	return 0;
}

/* JSON text into the chunk's arena. */
static const char *chunk_json(imp *c, tsm_jbuf *b)
{
	const char *s;

	if (b->err) {
		tsm_error_set(TSM_ENOMEM, "out of memory");
		return NULL;
	}
	s = arena_strndup(&c->chunk, b->buf, b->len);
	if (s == NULL)
		tsm_error_set(TSM_ENOMEM, "out of memory");
	return s;
}

/* A new customer id, "c" + 12 hex digits like every customer id. An import
 * takes a block: 7 random hex digits that no customer id in the store
 * starts with, then a 5-digit counter, so its ids are new and ascending
 * (the B-trees keyed by customer grow at one end instead of everywhere). */
static int pick_id(imp *c, char out[TSM_CUSTOMER_ID_MAX])
{
	unsigned char rnd[4];
	char lo[16], hi[16];
	uint32_t prefix;
	int tries, taken;

	if (c->id_next == 0 || c->id_next > 0xfffff) {
		for (tries = 0;; tries++) {
			if (tries == 16)
				return tsm_error_set(TSM_ERROR,
						     "cannot pick new customer "
						     "ids");
			randombytes_buf(rnd, sizeof(rnd));
			prefix =
			    ((uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 |
			     (uint32_t)rnd[2] << 8 | rnd[3]) &
			    0xfffffff;
			if (prefix == 0xfffffff)
				continue;
			snprintf(lo, sizeof(lo), "c%07x", (unsigned)prefix);
			snprintf(hi, sizeof(hi), "c%07x", (unsigned)prefix + 1);
			taken = query1(c, SQL_ID_RANGE, lo, hi, NULL, 0);
			if (taken < 0)
				return taken;
			if (!taken)
				break;
		}
		c->id_prefix = prefix;
		c->id_next = 1;
	}
	snprintf(out, TSM_CUSTOMER_ID_MAX, "c%07x%05x", (unsigned)c->id_prefix,
		 (unsigned)(c->id_next - 1));
	c->id_next++;
	return 0;
}

/* The customer fields in the bytewise order of their names (canonical
 * JSON sorts object keys). */
static const int sorted_fields[] = {
    TSM_CF_ADDRESS,    TSM_CF_COMPANY, TSM_CF_INDUSTRY, TSM_CF_NAME,
    TSM_CF_NEEDS,      TSM_CF_PHONE,   TSM_CF_PRIORITY, TSM_CF_REGION,
    TSM_CF_SALUTATION, TSM_CF_SIZE,    TSM_CF_SOURCE,	TSM_CF_TAGS,
};

static int write_new(imp *c, char *const v[NTARGETS])
{
	char id[TSM_CUSTOMER_ID_MAX];
	const char *create, *eid, *note = NULL;
	tsm_jbuf b;
	size_t i;
	int err, first = 1, f;

	if ((err = pick_id(c, id)) < 0)
		return err;
	tsm_jbuf_init(&b);
	tsm_jbuf_putc(&b, '{');
	for (i = 0; i < COUNT(sorted_fields); i++) {
		f = sorted_fields[i];
		if (v[f] == NULL || *v[f] == '\0')
			continue;
		if (!first)
			tsm_jbuf_putc(&b, ',');
		first = 0;
		tsm_jbuf_str(&b, tsm_customer_field_name(f));
		tsm_jbuf_putc(&b, ':');
		tsm_jbuf_str(&b, v[f]);
	}
	tsm_jbuf_putc(&b, '}');
	create = chunk_json(c, &b);
	if (create && v[TSM_IMPORT_NOTE] && *v[TSM_IMPORT_NOTE]) {
		b.len = 0;
		tsm_jbuf_puts(&b, "{\"text\":");
		tsm_jbuf_str(&b, v[TSM_IMPORT_NOTE]);
		tsm_jbuf_putc(&b, '}');
		note = chunk_json(c, &b);
		if (note == NULL)
			create = NULL;
	}
	tsm_jbuf_dispose(&b);
	eid = arena_strdup(&c->chunk, id);
	if (create == NULL || eid == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if ((err = push(c, eid, "create", NULL, create)) < 0)
		return err;
	if (note && (err = push(c, eid, "append", "note", note)) < 0)
		return err;
	c->r->imported++;
	return 0;
}

static int is_classify(int f)
{
	return f == TSM_CF_INDUSTRY || f == TSM_CF_REGION || f == TSM_CF_SIZE ||
	       f == TSM_CF_SOURCE || f == TSM_CF_TAGS;
}

/* --on-duplicate update: the fields the row gives that differ, and the
 * note unless the customer has it. 1 when written, 0 when nothing was
 * new, or the reason it may not be done in *why. */
static int write_update(imp *c, const char *id, char *const v[NTARGETS],
			const char **why)
{
	sqlite3_stmt *st = tsm_stmt(c->db, SQL_CUST);
	const char *cur, *val, *eid;
	char *vals[TSM_CF_STAGE] = {NULL};
	int rc, f, err = 0, own, changed = 0, has_note = 0;
	tsm_jbuf b;

	*why = NULL;
	if (st == NULL)
		return tsm_error_last()->code;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return tsm_error_sqlite(c->db, rc, "read customer");
	}
	cur = (const char *)sqlite3_column_text(st, 12);
	own = cur && strcmp(cur, c->me.member) == 0;
	for (f = 0; f < TSM_CF_STAGE && err == 0; f++) {
		if (v[f] == NULL || *v[f] == '\0' || f == TSM_CF_PHONE)
			continue;
		cur = (const char *)sqlite3_column_text(st, f);
		if (cur && strcmp(cur, v[f]) == 0)
			continue;
		vals[f] = v[f];
		changed++;
		if (strcmp(c->role, "assistant") == 0 && !own &&
		    !is_classify(f))
			*why = "an assistant may update only industry, "
			       "region, size, source and tags of customers "
			       "they did not create";
	}
	sqlite3_reset(st);
	if (v[TSM_IMPORT_NOTE] && *v[TSM_IMPORT_NOTE]) {
		has_note =
		    query1(c, SQL_NOTE_EXISTS, id, v[TSM_IMPORT_NOTE], NULL, 0);
		if (has_note < 0)
			return has_note;
		if (!has_note && strcmp(c->role, "assistant") == 0 && !own)
			*why = "an assistant may not add notes to customers "
			       "they did not create";
	}
	if (*why)
		return 0;
	if (changed == 0 &&
	    (has_note || !v[TSM_IMPORT_NOTE] || !*v[TSM_IMPORT_NOTE]))
		return 0;
	if ((eid = arena_strdup(&c->chunk, id)) == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	tsm_jbuf_init(&b);
	for (f = 0; f < TSM_CF_STAGE && err == 0; f++) {
		if (vals[f] == NULL)
			continue;
		b.len = 0;
		tsm_jbuf_str(&b, vals[f]);
		if ((val = chunk_json(c, &b)) == NULL)
			err = tsm_error_last()->code;
		else
			err = push(c, eid, "set", tsm_customer_field_name(f),
				   val);
	}
	if (err == 0 && !has_note && v[TSM_IMPORT_NOTE] &&
	    *v[TSM_IMPORT_NOTE]) {
		b.len = 0;
		tsm_jbuf_puts(&b, "{\"text\":");
		tsm_jbuf_str(&b, v[TSM_IMPORT_NOTE]);
		tsm_jbuf_putc(&b, '}');
		if ((val = chunk_json(c, &b)) == NULL)
			err = tsm_error_last()->code;
		else
			err = push(c, eid, "append", "note", val);
	}
	tsm_jbuf_dispose(&b);
	return err < 0 ? err : 1;
}

/* ---- one row ---- */

/* Well-formed text for field f, else the reason (static). */
static const char *field_problem(int f, const char *s)
{
	size_t n = strlen(s), i;
	int multiline =
	    f == TSM_CF_ADDRESS || f == TSM_CF_NEEDS || f == TSM_IMPORT_NOTE;

	if (n > TSM_CUSTOMER_TEXT_MAX)
		return "too long";
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 || ch == 0x7f) &&
		    !(multiline && (ch == '\n' || ch == '\t')))
			return "control characters";
	}
	return NULL;
}

/* Nonzero when every field of rec is spaces (a row Excel left "empty"). */
static int only_spaces(const tsm_csv_record *rec)
{
	const unsigned char *p;
	uint32_t cp;
	size_t i;

	for (i = 0; i < rec->n; i++) {
		p = (const unsigned char *)rec->field[i];
		while (*p) {
			p += next_cp(&cp, p);
			if (!is_space_cp(cp))
				return 0;
		}
	}
	return 1;
}

/* "row N", with the line when the record starts elsewhere. */
static void row_ref(char *out, size_t outlen, imp *c, uint32_t row)
{
	uint32_t line = u64_get(&c->lines, row);

	if (line)
		snprintf(out, outlen, "row %u (line %u)", row, line);
	else
		snprintf(out, outlen, "row %u", row);
}

static int do_row(imp *c, const tsm_csv_record *rec)
{
	char *v[NTARGETS] = {NULL}, *notes = NULL, *p;
	char phone[TSM_PHONE_MAX], other[TSM_CUSTOMER_ID_MAX], msg[512];
	char ref[64];
	const char *name, *why, *canon, *given;
	size_t i, extra = 0, nlen, k, need, used;
	uint32_t prev;
	int f, err = 0, hit, l;

	if (rec->blank || only_spaces(rec)) {
		c->r->blank++;
		return 0;
	}
	c->r->rows++;
	if (rec->line != (int64_t)c->row_no &&
	    (err = u64_put(&c->lines, c->row_no, (uint32_t)rec->line)) < 0)
		return err;
	/* Fields past the header must be empty (else an unquoted comma
	 * shifted the columns). */
	for (i = c->ncols; i < rec->n; i++)
		if (rec->len[i])
			extra = i + 1;
	if (extra) {
		snprintf(msg, sizeof(msg),
			 "%zu fields, the header has %zu (an unquoted "
			 "comma?)",
			 extra, c->ncols);
		return reject(c, rec, TSM_IMPORT_R_BAD_ROW, msg, NULL, NULL);
	}
	for (i = 0; i < rec->n && i < c->ncols; i++) {
		if (!tsm_utf8_valid(rec->field[i], rec->len[i])) {
			snprintf(msg, sizeof(msg),
				 "invalid UTF-8 in column %zu (wrong "
				 "--encoding?)",
				 i + 1);
			return reject(c, rec, TSM_IMPORT_R_BAD_ROW, msg, NULL,
				      NULL);
		}
	}
	/* Values by target, trimmed copies (the record stays as it was for
	 * the rejects file): the first non-empty one wins; notes from
	 * several columns are joined by line breaks. */
	for (i = 0, need = 0; i < rec->n && i < c->ncols; i++)
		need += rec->len[i] + 1;
	if (need > c->scap) {
		p = realloc(c->scratch, need);
		if (p == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		c->scratch = p;
		c->scap = need;
	}
	for (i = 0, used = 0; i < rec->n && i < c->ncols; i++) {
		char *t;

		f = c->col[i];
		if (f == TSM_IMPORT_IGNORE || rec->len[i] == 0)
			continue;
		memcpy(c->scratch + used, rec->field[i], rec->len[i] + 1);
		t = trim(c->scratch + used);
		used += rec->len[i] + 1;
		if (*t == '\0')
			continue;
		if (v[f] == NULL) {
			v[f] = t;
			continue;
		}
		if (f != TSM_IMPORT_NOTE)
			continue;
		k = strlen(t);
		nlen = strlen(v[f]);
		p = malloc(nlen + k + 2);
		if (p == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		memcpy(p, v[f], nlen);
		p[nlen] = '\n';
		memcpy(p + nlen + 1, t, k + 1);
		free(notes);
		notes = p;
		v[f] = notes;
	}
	name = v[TSM_CF_NAME];
	if (name == NULL) {
		err = reject(c, rec, TSM_IMPORT_R_NO_NAME, "no name", NULL,
			     v[TSM_CF_PHONE]);
		goto done;
	}
	if (!tsm_name_valid(name)) {
		err = reject(c, rec, TSM_IMPORT_R_BAD_NAME,
			     "invalid name: 1 to 127 bytes of text without "
			     "control characters",
			     NULL, v[TSM_CF_PHONE]);
		goto done;
	}
	if (v[TSM_CF_PHONE] == NULL) {
		err = reject(c, rec, TSM_IMPORT_R_NO_PHONE, "no phone", name,
			     NULL);
		goto done;
	}
	if (tsm_phone_normalize(phone, sizeof(phone), v[TSM_CF_PHONE], NULL) <
	    0) {
		err = reject(c, rec, TSM_IMPORT_R_BAD_PHONE,
			     tsm_error_last()->message, name, v[TSM_CF_PHONE]);
		goto done;
	}
	for (f = 0; f < NTARGETS; f++) {
		if (f == TSM_CF_NAME || f == TSM_CF_PHONE || v[f] == NULL)
			continue;
		if ((why = field_problem(f, v[f])) != NULL) {
			snprintf(msg, sizeof(msg), "invalid %s: %s",
				 tsm_import_field_name(f), why);
			err = reject(c, rec, TSM_IMPORT_R_BAD_FIELD, msg, name,
				     v[TSM_CF_PHONE]);
			goto done;
		}
	}
	/* Duplicates: the file, the do-not-call list, the store. */
	prev = u64_get(&c->phones, phone_key(phone));
	if (prev) {
		c->r->duplicates_in_file++;
		row_ref(ref, sizeof(ref), c, prev);
		snprintf(msg, sizeof(msg), "duplicate of %s", ref);
		err = reject(c, rec, TSM_IMPORT_R_DUP_FILE, msg, name,
			     v[TSM_CF_PHONE]);
		goto done;
	}
	if ((hit = query1(c, SQL_DNC, phone, NULL, NULL, 0)) < 0) {
		err = hit;
		goto done;
	}
	if (hit) {
		c->r->dnc++;
		err = reject(c, rec, TSM_IMPORT_R_DNC,
			     "on the do-not-call list", name, v[TSM_CF_PHONE]);
		goto done;
	}
	given = v[TSM_CF_PHONE];
	v[TSM_CF_PHONE] = phone;
	/* Classification: team lists; salutation and priority as the
	 * customer records keep them. */
	for (l = 0; l < TSM_LIST_COUNT; l++) {
		f = l == TSM_LIST_INDUSTRIES ? TSM_CF_INDUSTRY
		    : l == TSM_LIST_REGIONS  ? TSM_CF_REGION
					     : TSM_CF_SIZE;
		if (v[f] == NULL)
			continue;
		if ((canon = match(&c->lists[l], v[f])) != NULL)
			v[f] = (char *)canon;
		else
			c->r->unknown[f]++;
	}
	if (v[TSM_CF_SALUTATION]) {
		canon = canon_salutation(v[TSM_CF_SALUTATION]);
		if (canon == NULL)
			c->r->unknown[TSM_CF_SALUTATION]++;
		v[TSM_CF_SALUTATION] = (char *)canon;
	}
	if (v[TSM_CF_PRIORITY]) {
		canon = canon_priority(v[TSM_CF_PRIORITY]);
		if (canon == NULL)
			c->r->unknown[TSM_CF_PRIORITY]++;
		v[TSM_CF_PRIORITY] = (char *)canon;
	}
	if (v[TSM_CF_SOURCE] == NULL)
		v[TSM_CF_SOURCE] = c->r->source;
	hit = query1(c, SQL_LIVE, phone, NULL, other, sizeof(other));
	if (hit < 0) {
		err = hit;
		goto done;
	}
	if (hit) {
		c->r->duplicates_in_store++;
		if (c->o->on_duplicate == TSM_IMPORT_DUP_REJECT) {
			snprintf(msg, sizeof(msg), "already in store as %s",
				 other);
			err = reject(c, rec, TSM_IMPORT_R_DUP_STORE, msg, name,
				     given);
			goto done;
		}
		if (c->o->on_duplicate == TSM_IMPORT_DUP_SKIP) {
			c->r->skipped++;
		} else {
			hit = write_update(c, other, v, &why);
			if (hit < 0) {
				err = hit;
				goto done;
			}
			if (why) {
				snprintf(msg, sizeof(msg),
					 "already in store as %s; %s", other,
					 why);
				err = reject(c, rec, TSM_IMPORT_R_NOT_ALLOWED,
					     msg, name, given);
				goto done;
			}
			if (hit)
				c->r->updated++;
			else
				c->r->unchanged++;
		}
	} else if ((err = write_new(c, v)) < 0) {
		goto done;
	}
	err = u64_put(&c->phones, phone_key(phone), (uint32_t)c->row_no);
	if (err == 0 && ++c->chunk_rows >= CHUNK_ROWS && !c->o->dry_run)
		err = flush(c);
done:
	free(notes);
	if (c->o->dry_run) {
		c->nspecs = 0;
		arena_free(&c->chunk);
	}
	return err;
}

/* ---- the header ---- */

static int map_columns(imp *c)
{
	char key[256], want[256], *spec = NULL, *eq, *col;
	size_t i, m, ix;
	int f, found, err = 0;

	for (i = 0; i < c->ncols; i++)
		c->col[i] = tsm_import_field_guess(c->hdr[i]);
	for (m = 0; m < c->o->nmaps; m++) {
		free(spec);
		spec = strdup(c->o->maps[m] ? c->o->maps[m] : "");
		if (spec == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
		eq = strrchr(spec, '=');
		if (eq == NULL) {
			err = tsm_error_set(
			    TSM_EINVALID, "--map '%s': use COLUMN=FIELD", spec);
			goto done;
		}
		*eq = '\0';
		col = trim(spec);
		f = tsm_import_field_parse(trim(eq + 1));
		if (f == -2) {
			err = tsm_error_set(
			    TSM_EINVALID,
			    "--map: unknown field '%s' (use name, phone, "
			    "company, industry, region, size, source, "
			    "address, needs, salutation, priority, tags, "
			    "note or ignore)",
			    eq + 1);
			goto done;
		}
		found = 0;
		ix = 0;
		if (*col && strspn(col, "0123456789") == strlen(col)) {
			for (i = 0; col[i] && ix <= c->ncols; i++)
				ix = ix * 10 + (size_t)(col[i] - '0');
			if (ix < 1 || ix > c->ncols) {
				err = tsm_error_set(
				    TSM_EINVALID,
				    "--map: no column %s (the file has "
				    "%zu)",
				    col, c->ncols);
				goto done;
			}
			c->col[ix - 1] = f;
			c->r->columns[ix - 1].mapped = 1;
			continue;
		}
		norm_key(want, sizeof(want), col);
		for (i = 0; i < c->ncols; i++) {
			norm_key(key, sizeof(key), c->hdr[i]);
			if (strcmp(key, want) == 0) {
				c->col[i] = f;
				c->r->columns[i].mapped = 1;
				found = 1;
			}
		}
		if (!found) {
			err = tsm_error_set(TSM_EINVALID,
					    "--map: no column '%s' in the "
					    "header",
					    col);
			goto done;
		}
	}
done:
	free(spec);
	return err;
}

/* Lists the headers for an error message. */
static void header_list(char *out, size_t outlen, imp *c)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < c->ncols && o + 1 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s'%s'",
				      i ? ", " : "", c->hdr[i]);
}

static int read_header(imp *c)
{
	const tsm_csv_record *rec;
	char list[512];
	size_t i;
	int rc, has_name = 0, has_phone = 0, err;

	do {
		rc = tsm_csv_next(c->csv, &rec);
		if (rc <= 0)
			break;
		c->row_no++;
	} while (rec->blank);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return tsm_error_set(TSM_EINVALID, "'%s' is empty", c->path);
	c->ncols = rec->n;
	c->hdr = calloc(c->ncols, sizeof(*c->hdr));
	c->col = calloc(c->ncols, sizeof(*c->col));
	c->r->columns = calloc(c->ncols, sizeof(*c->r->columns));
	if (c->hdr == NULL || c->col == NULL || c->r->columns == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	c->r->ncolumns = c->ncols;
	for (i = 0; i < c->ncols; i++) {
		if (!tsm_utf8_valid(rec->field[i], rec->len[i]))
			return tsm_error_set(TSM_EINVALID,
					     "the header is not valid UTF-8 "
					     "(try --encoding gb18030)");
		c->hdr[i] = strdup(trim(rec->field[i]));
		c->r->columns[i].header = c->hdr[i] ? strdup(c->hdr[i]) : NULL;
		if (c->hdr[i] == NULL || c->r->columns[i].header == NULL)
			return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	if ((err = map_columns(c)) < 0)
		return err;
	for (i = 0; i < c->ncols; i++) {
		c->r->columns[i].field = c->col[i];
		has_name |= c->col[i] == TSM_CF_NAME;
		has_phone |= c->col[i] == TSM_CF_PHONE;
	}
	if (!has_name || !has_phone) {
		header_list(list, sizeof(list), c);
		return tsm_error_set(TSM_EINVALID,
				     "'%s' has no %s column (its header: %s); "
				     "name one with --map COLUMN=%s",
				     c->path, has_name ? "phone" : "name", list,
				     has_name ? "phone" : "name");
	}
	return 0;
}

/* ---- running it ---- */

static void progress(imp *c, int done)
{
	tsm_import_progress p;

	if (c->o->progress == NULL)
		return;
	p.rows = c->r->rows;
	p.bytes = tsm_decoder_consumed(c->dec);
	p.total_bytes = c->total_bytes;
	p.imported = c->r->imported + c->r->updated;
	p.rejected = c->r->rejected;
	p.done = done;
	c->o->progress(c->o->progress_ud, &p);
}

static int run(imp *c)
{
	const tsm_csv_record *rec;
	int rc, err = 0;
	int l;

	if ((err = read_header(c)) < 0)
		return err;
	for (l = 0; l < TSM_LIST_COUNT; l++)
		if ((err = matcher_load(&c->lists[l], c->store, l)) < 0)
			return err;
	for (;;) {
		rc = tsm_csv_next(c->csv, &rec);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		c->row_no++;
		if ((err = do_row(c, rec)) < 0)
			return err;
		if (c->r->rows % TSM_IMPORT_PROGRESS_ROWS == 0)
			progress(c, 0);
	}
	if ((err = tsm_decoder_status(c->dec)) < 0)
		return err;
	c->r->replaced = tsm_decoder_replaced(c->dec);
	if (!c->o->dry_run && (err = flush(c)) < 0)
		return err;
	return rej_finish(c);
}

void tsm_import_result_dispose(tsm_import_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncolumns; i++)
		free(r->columns[i].header);
	free(r->columns);
	for (i = 0; i < r->nsamples; i++) {
		free(r->samples[i].reason);
		free(r->samples[i].name);
		free(r->samples[i].phone);
	}
	free(r->samples);
	free(r->rejects_file);
	free(r->source);
	memset(r, 0, sizeof(*r));
}

static void imp_free(imp *c)
{
	size_t i;
	int l;

	if (c->rej) {
		fclose(c->rej);
		c->rej = NULL;
	}
	if (c->rej_tmp) {
		unlink(c->rej_tmp);
		free(c->rej_tmp);
	}
	free(c->rej_path);
	tsm_csv_free(c->csv);
	tsm_decoder_free(c->dec);
	if (c->in)
		fclose(c->in);
	for (i = 0; c->hdr && i < c->ncols; i++)
		free(c->hdr[i]);
	free(c->hdr);
	free(c->col);
	for (l = 0; l < TSM_LIST_COUNT; l++)
		matcher_free(&c->lists[l]);
	u64_free(&c->phones);
	u64_free(&c->lines);
	free(c->specs);
	free(c->scratch);
	arena_free(&c->chunk);
}

/* Refuses members who may not create customers, with a clear message. */
static int check_role(imp *c)
{
	int err;

	if ((err = my_role(c->role, &c->me, c->store)) < 0)
		return err;
	if (strcmp(c->role, "assistant") == 0 || strcmp(c->role, "lead") == 0 ||
	    strcmp(c->role, "manager") == 0)
		return 0;
	if (strcmp(c->role, "agent") == 0)
		return tsm_error_set(TSM_EPERM,
				     "agents may not import lead lists: an "
				     "assistant, lead or manager imports them "
				     "and a lead or manager assigns them");
	if (strcmp(c->role, "auditor") == 0)
		return tsm_error_set(TSM_EPERM, "auditors are read-only");
	return tsm_error_set(TSM_EPERM,
			     "'%s' has no role in a team yet (run 'tsm team "
			     "create' or 'tsm join')",
			     c->me.member);
}

int tsm_import(tsm_import_result *out, tsm_store *store, const char *path,
	       const tsm_import_options *opts)
{
	static const tsm_import_options defaults = TSM_IMPORT_OPTIONS_INIT;
	const char *base;
	struct stat sb;
	size_t n;
	imp c;
	int err, bom = 0, began = 0, rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != TSM_IMPORT_OPTIONS_VERSION)
		return tsm_error_set(TSM_EINVALID,
				     "import options: bad version");
	if (opts->on_duplicate < TSM_IMPORT_DUP_REJECT ||
	    opts->on_duplicate > TSM_IMPORT_DUP_UPDATE)
		return tsm_error_set(TSM_EINVALID,
				     "import options: bad on_duplicate");
	c.store = store;
	c.db = tsm_store_db(store);
	c.o = opts;
	c.r = out;
	c.path = path;
	if ((err = check_role(&c)) < 0)
		goto done;
	if ((c.in = fopen(path, "rb")) == NULL) {
		err = tsm_error_set(errno == ENOENT ? TSM_ENOTFOUND : TSM_EIO,
				    "cannot open '%s': %s", path,
				    strerror(errno));
		goto done;
	}
	if (fstat(fileno(c.in), &sb) == 0 && S_ISREG(sb.st_mode))
		c.total_bytes = (uint64_t)sb.st_size;
	else {
		err = tsm_error_set(TSM_EINVALID, "'%s' is not a file", path);
		goto done;
	}
	c.enc = opts->encoding;
	if (c.enc == TSM_ENC_AUTO) {
		if ((err = tsm_encoding_detect(&c.enc, &bom, c.in)) < 0) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s",
				 tsm_error_last()->message);
			err = tsm_error_set(err, "%s: %s", path, msg);
			goto done;
		}
	} else if (c.enc < TSM_ENC_UTF8 || c.enc > TSM_ENC_UTF16BE) {
		err = tsm_error_set(TSM_EINVALID, "unknown encoding");
		goto done;
	} else {
		unsigned char head[3] = {0};

		n = fread(head, 1, sizeof(head), c.in);
		bom = (n == 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 &&
		       c.enc == TSM_ENC_UTF8) ||
		      (n >= 2 && memcmp(head, "\xff\xfe", 2) == 0 &&
		       c.enc == TSM_ENC_UTF16LE) ||
		      (n >= 2 && memcmp(head, "\xfe\xff", 2) == 0 &&
		       c.enc == TSM_ENC_UTF16BE);
		rewind(c.in);
	}
	snprintf(out->encoding, sizeof(out->encoding), "%s",
		 tsm_encoding_name(c.enc));
	out->bom = bom;
	if ((err = tsm_decoder_open(&c.dec, c.in, c.enc)) < 0 ||
	    (err = tsm_csv_new(&c.csv, tsm_decoder_read_fn, c.dec, 0)) < 0)
		goto done;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	out->source =
	    strdup(opts->source && *opts->source ? opts->source : base);
	if (opts->rejects && *opts->rejects) {
		c.rej_path = strdup(opts->rejects);
	} else {
		n = strlen(path) + sizeof(".rejects.csv");
		if ((c.rej_path = malloc(n)) != NULL)
			snprintf(c.rej_path, n, "%s.rejects.csv", path);
	}
	if (out->source == NULL || c.rej_path == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if (!plain_text(out->source, TSM_CUSTOMER_TEXT_MAX)) {
		err = tsm_error_set(TSM_EINVALID, "invalid source '%s'",
				    out->source);
		goto done;
	}
	/* One transaction: every accepted row or none. A real import
	 * writes mostly new pages: bulk mode writes them once. */
	if (!opts->dry_run && (err = tsm_store_bulk_begin(store)) < 0)
		goto done;
	if ((err = tsm_store_begin(store)) < 0)
		goto done;
	began = 1;
	err = run(&c);
	out->delimiter = tsm_csv_delim(c.csv);
done:
	if (began) {
		/* A dry run writes nothing: roll back what reads did. */
		rc = tsm_store_end(store, err == 0 && !opts->dry_run);
		if (err == 0 && !opts->dry_run)
			err = rc;
		if (err < 0 && out->rejects_file) {
			unlink(out->rejects_file);
			free(out->rejects_file);
			out->rejects_file = NULL;
		}
	}
	if (!opts->dry_run && (rc = tsm_store_bulk_end(store)) < 0 && err == 0)
		err = rc;
	if (err == 0) {
		out->warnings = out->replaced;
		for (n = 0; n < TSM_CF_COUNT; n++)
			out->warnings += out->unknown[n];
		progress(&c, 1);
	}
	imp_free(&c);
	return err;
}
