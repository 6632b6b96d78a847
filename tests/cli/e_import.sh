#!/usr/bin/env bash
# tests/cli/e_import.sh — `tsm import`: a GB18030 file with Chinese headers
# (converted here with iconv from the UTF-8 fixture, CRLF as Excel writes),
# a UTF-8 file with BOM and English headers; full-width digits, spaces and
# dashes in phones; duplicates in the file and against the store; numbers on
# the do-not-call list; invalid rows. Exact counts, the rejects files line by
# line, --json field by field, --dry-run writing nothing, --map, --encoding,
# --on-duplicate skip|update, the team's lists, and an import killed midway
# leaving the store as it was.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
command -v iconv >/dev/null || { echo "e_import: iconv is required" >&2; exit 1; }
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-27T10:00:00+08:00
printf 'import test pass\n' >"$tmp/pw"
FIX="$TSM_SRC/tests/fixtures/e_import"

hash() { "$TSM" debug state-hash; }
nops() { "$TSM" debug ops --json | jq length; }
ncust() { "$TSM" customer list --json | jq length; }
# same FILE EXPECTED: FILE (CRLF, maybe a BOM) equals EXPECTED line by line.
same() {
	local got="$tmp/got.txt"
	sed '1s/^\xef\xbb\xbf//; s/\r$//' "$1" >"$got"
	diff -u "$2" "$got" >&2 || fail "$1 differs from what is expected"
	# every line ends with CRLF
	[ "$(grep -c $'\r$' "$1")" -eq "$(wc -l <"$1")" ] || fail "$1: not CRLF"
}

echo "== setup: store, team, a do-not-call number, a customer already there"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member mgr --name '王经理' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
rc 0 "$TSM" dnc add '138 0000 1007'
rc 0 "$TSM" customer add --name '老客户' --phone 13800001008 --json
OLD=$(jq -r .id "$OUT")

# Excel in China: GB18030 with CRLF.
sed 's/$/\r/' "$FIX/leads_cn.utf8.csv" | iconv -f UTF-8 -t GB18030 >"$tmp/leads_cn.csv"
# It really is not UTF-8.
if iconv -f UTF-8 -t UTF-8 "$tmp/leads_cn.csv" >/dev/null 2>&1; then fail "fixture is UTF-8"; fi

echo "== usage and bad input"
rc 2 "$TSM" import
rc 2 "$TSM" import --frob x.csv
rc 2 "$TSM" import --on-duplicate maybe "$tmp/leads_cn.csv"
rc 2 "$TSM" import --encoding latin9 "$tmp/leads_cn.csv"
rc 1 "$TSM" import "$tmp/missing.csv"
err_has "cannot open"
printf 'Company,Industry\nA Ltd,Retail\n' >"$tmp/noname.csv"
h0=$(hash)
rc 1 "$TSM" import "$tmp/noname.csv"
err_has "has no name column"
printf 'name,phone\n"Open quote,13900000001\nx,y\n' >"$tmp/badquote.csv"
rc 1 "$TSM" import "$tmp/badquote.csv"
err_has "line 2: a quoted field is never closed"
printf 'PK\003\004junk' >"$tmp/book.xlsx"
rc 1 "$TSM" import "$tmp/book.xlsx"
err_has "Excel workbook"
# Forcing UTF-8 on the GB18030 file: the header cannot be read.
rc 1 "$TSM" import --encoding utf-8 "$tmp/leads_cn.csv"
err_has "try --encoding gb18030"
[ "$(hash)" = "$h0" ] || fail "bad input changed the store"
[ ! -e "$tmp/leads_cn.csv.rejects.csv" ] || fail "a rejects file after errors"

echo "== dry run: counts, first rejects, nothing written"
rc 0 "$TSM" import --dry-run "$tmp/leads_cn.csv"
out_has "dry run: would import 6 of 13 rows"
out_has "line 9: duplicate of row 2 (张伟(重复) 13800001001)"
out_has "line 10: on the do-not-call list"
[ "$(hash)" = "$h0" ] || fail "a dry run changed the store"
[ ! -e "$tmp/leads_cn.csv.rejects.csv" ] || fail "a dry run wrote a rejects file"
# GBK reads this file the same way.
rc 0 "$TSM" import --dry-run --encoding gbk --json "$tmp/leads_cn.csv"
jqe '.encoding == "gbk" and .imported == 6 and .rejected == 7 and .dry_run and .ops == 0'
[ "$(hash)" = "$h0" ] || fail "a dry run changed the store"

echo "== the GB18030 file"
rc 0 "$TSM" import --json "$tmp/leads_cn.csv"
jqe '.encoding == "gb18030" and .bom == false and .delimiter == ","'
jqe '.rows == 13 and .blank_rows == 1 and .imported == 6 and .rejected == 7'
jqe '.updated == 0 and .skipped == 0 and .unchanged == 0'
jqe '.rejected_by_reason == {"missing_name":1,"invalid_name":0,"missing_phone":1,"invalid_phone":1,"duplicate_in_file":2,"duplicate_in_store":1,"dnc":1,"invalid_field":0,"malformed_row":0,"not_allowed":0}'
jqe '.duplicates_in_file == 2 and .duplicates_in_store == 1 and .dnc == 1'
jqe '.warnings == 2 and .unknown_values.industry == 1 and .unknown_values.size == 1 and .unknown_values.region == 0'
jqe '.source == "leads_cn.csv" and .ops == 9'
jqe ".rejects_file == \"$tmp/leads_cn.csv.rejects.csv\""
jqe '[.columns[].field] == ["name","phone","company","industry","region","size","source","note",null]'
jqe '.columns[8].header == "微信"'
jqe '.samples | length == 7'
jqe '.samples[0] == {"line":9,"reason_key":"duplicate_in_file","reason":"duplicate of row 2","name":"张伟(重复)","phone":"13800001001"}'
[ "$(ncust)" -eq 7 ] || fail "want 7 customers, have $(ncust)"
cat >"$tmp/want_cn.txt" <<EOF
姓名,電話,公司,行业,地區,規模,來源,備註,微信,line,reason
张伟(重复),13800001001,,,,,,,,9,duplicate of row 2
周杰,13800001007,某某餐饮,餐饮,杭州,小微,,,,10,on the do-not-call list
吴敏,138 0000 1008,某某医药,医药,成都,1000+,,,,11,already in store as $OLD
,13800001009,无名公司,,,,,,,12,no name
孙磊,12345,,,,,,,,13,invalid phone '12345': too short
胡艳,,某某物流,物流,武汉,,,,,14,no phone
赵强(重复),010 5555 0104,,,,,,,,16,duplicate of row 5 (line 6)
EOF
same "$tmp/leads_cn.csv.rejects.csv" "$tmp/want_cn.txt"
# A BOM tells Excel the rejects of a GB18030 file are UTF-8.
[ "$(head -c 3 "$tmp/leads_cn.csv.rejects.csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] ||
	fail "no BOM in the rejects file"

echo "== what the rows became"
rc 0 "$TSM" customer show 13800001001 --json
jqe '.name == "张伟" and .phone == "+8613800001001" and .company == "北京某某科技有限公司"'
jqe '.industry == "科技" and .region == "北京" and .size == "50-199"'
jqe '.source == "leads_cn.csv" and .created_by == "mgr" and .owner == null and .stage == "new"'
jqe '.notes | length == 1 and .[0].text == "首次接触"'
rc 0 "$TSM" customer show '138 0000 1002' --json   # full-width digits
jqe '.name == "李娜" and .industry == "贸易" and .size == "200-999" and .source == "展会"'
rc 0 "$TSM" customer show 13800001003 --json       # full-width dashes
jqe '.name == "王芳" and .industry == "制造业" and .region == "深圳" and .size == "200-999"'
jqe '.notes[0].text == "需要合同审查\n下周再联系"'
rc 0 "$TSM" customer show 01055550104 --json       # a landline
jqe '.name == "赵强" and .industry == "律师行业" and .region == "广州" and .source == "合作伙伴"'
rc 0 "$TSM" customer show 13800001005 --json
jqe '.name == "陈静" and .phone == "+8613800001005"'
rc 0 "$TSM" customer show 13900001013 --json
jqe '.industry == "房地产" and .region == "苏州" and .size == "五百人" and .notes[0].text == "老客户介绍"'
rc 1 "$TSM" customer show 13800001007
rc 0 "$TSM" customer show 13800001008 --json
jqe ".id == \"$OLD\" and .name == \"老客户\""

echo "== the UTF-8 file with BOM and English headers"
cp "$FIX/leads_en_bom.csv" "$tmp/leads_en.csv"
h1=$(hash)
rc 0 "$TSM" import --dry-run --json "$tmp/leads_en.csv"
jqe '.imported == 5 and .rejected == 4 and .rejects_file == null'
[ "$(hash)" = "$h1" ] || fail "a dry run changed the store"
rc 0 "$TSM" import --rejects "$tmp/en-rejects.csv" "$tmp/leads_en.csv"
out_has "imported 5 of 9 rows from $tmp/leads_en.csv (utf-8 with BOM)"
out_has "rejected 4: 1 duplicates in the file, 1 already in the store, 1 on the do-not-call list, 1 malformed"
out_has "warning: 1 industry value not on the team's list"
out_has "warning: 1 region value not on the team's list"
out_has "rejected rows with reasons: $tmp/en-rejects.csv"
err_has "notice: column 'Email' ignored"
LI=$("$TSM" customer show 13800001002 --json | jq -r .id)
cat >"$tmp/want_en.txt" <<EOF
Name,Phone,Company,Industry,City,Size,Lead Source,Notes,Email,line,reason
Carol Zhang,138 0000 1002,Dup Of Store,,,,,,,4,already in store as $LI
Eve Chen,139-0000-2004,,,,,,,,6,duplicate of row 5
Henry,13800001007,,,,,,,,9,on the do-not-call list
Ivy,139 0000 2009,Extra Cols Inc,,,,,,",surplus",10,"10 fields, the header has 9 (an unquoted comma?)"
EOF
same "$tmp/en-rejects.csv" "$tmp/want_en.txt"
[ ! -e "$tmp/leads_en.csv.rejects.csv" ] || fail "--rejects ignored"
rc 0 "$TSM" customer show 13900002001 --json
jqe '.name == "Alice Wang" and .industry == "科技" and .region == "上海" and .size == "50-199" and .source == "web"'
jqe '.notes[0].text == "Asked about \"contract review\""'
rc 0 "$TSM" customer show 13900002002 --json
jqe '.industry == "贸易" and .region == "香港" and .size == "200-999" and .source == "leads_en.csv"'
rc 0 "$TSM" customer show 13900002004 --json
jqe '.name == "Dan Wu" and .industry == "房地产" and .region == "北京" and .size == "1-49"'
rc 0 "$TSM" customer show 13900002006 --json
jqe '.industry == "Space mining" and .region == "Mars"'
rc 0 "$TSM" customer show 13900002007 --json
jqe '.name == "Grace, Ho" and .company == "Comma Co"'
[ "$(ncust)" -eq 12 ] || fail "want 12 customers, have $(ncust)"

echo "== importing the same file again: every row is in the store"
# A rejected row claims no phone, so the rows that repeated an earlier one
# now meet the customer that row became.
rc 0 "$TSM" import --json --source fair "$tmp/leads_cn.csv"
jqe '.imported == 0 and .duplicates_in_store == 9 and .rejected_by_reason.duplicate_in_store == 9'
jqe '.rejected_by_reason.duplicate_in_file == 0 and .dnc == 1 and .rejected == 13 and .source == "fair"'

echo "== --on-duplicate skip and update"
# (the last row holds only spaces, one of them full-width: blank)
printf '姓名,电话,行业,备注\n张伟,13800001001,金融,追加的备注\n新客户,13900003001,,\n\xe3\x80\x80, ,,\n' >"$tmp/upd.csv"
rc 0 "$TSM" import --on-duplicate skip --json "$tmp/upd.csv"
jqe '.imported == 1 and .skipped == 1 and .updated == 0 and .rejected == 0 and .rejects_file == null'
jqe '.rows == 2 and .blank_rows == 1'
rc 0 "$TSM" customer show 13800001001 --json
jqe '.industry == "科技" and (.notes | length) == 1'
rc 0 "$TSM" import --on-duplicate update --json "$tmp/upd.csv"
jqe '.imported == 0 and .updated == 1 and .unchanged == 1 and .duplicates_in_store == 2'
rc 0 "$TSM" customer show 13800001001 --json
jqe '.industry == "金融" and .name == "张伟" and (.notes | length) == 2'
jqe '[.notes[].text] | index("追加的备注") != null'
h2=$(hash)
rc 0 "$TSM" import --on-duplicate update --json "$tmp/upd.csv"
jqe '.updated == 0 and .unchanged == 2'
[ "$(hash)" = "$h2" ] || fail "a repeated update wrote something"

echo "== --map"
printf '联络人姓名,手机号码,补充\n钱七,13900004001,周五下午方便\n' >"$tmp/map.csv"
rc 1 "$TSM" import "$tmp/map.csv"
err_has "has no name column"
rc 1 "$TSM" import --map '联络人姓名' "$tmp/map.csv"
err_has "use COLUMN=FIELD"
rc 1 "$TSM" import --map '联络人姓名=nickname' "$tmp/map.csv"
err_has "unknown field 'nickname'"
rc 1 "$TSM" import --map 'Nope=name' "$tmp/map.csv"
err_has "no column 'Nope'"
rc 1 "$TSM" import --map '9=name' "$tmp/map.csv"
err_has "no column 9"
rc 0 "$TSM" import --map '联络人姓名=name' --map 3=note --json "$tmp/map.csv"
jqe '.imported == 1 and .columns[0].mapped and .columns[0].field == "name" and .columns[2].field == "note"'
rc 0 "$TSM" customer show 13900004001 --json
jqe '.name == "钱七" and .notes[0].text == "周五下午方便"'

echo "== the team's lists"
rc 0 "$TSM" import --lists --json
jqe '.industries.default and .regions.default and .sizes.default'
jqe '.sizes.entries[1] == {"aliases":["中型","中","Medium","Mid-size","Midsize","中型企业","中型企業"],"max":199,"min":50,"name":"50-199"}'
cat >"$tmp/ind.json" <<'EOF'
[{"name": "律所", "aliases": ["律师行业", "Law firm"]}, {"name": "太空"}]
EOF
rc 0 "$TSM" import --set-list "industries=$tmp/ind.json"
rc 0 "$TSM" import --lists --json
jqe '.industries.default == false and (.industries.entries | length) == 2'
printf 'name,phone,industry\nLaw One,13900005001,law firm\nSpace Two,13900005002,Space mining\n' >"$tmp/lists.csv"
rc 0 "$TSM" import --json "$tmp/lists.csv"
jqe '.imported == 2 and .unknown_values.industry == 1'
rc 0 "$TSM" customer show 13900005001 --json
jqe '.industry == "律所"'
printf '[{"aliases": ["x"]}]' >"$tmp/bad.json"
rc 1 "$TSM" import --set-list "industries=$tmp/bad.json"
err_has 'entry 1 needs a "name"'
rc 0 "$TSM" import --reset-list industries
rc 0 "$TSM" import --lists --json
jqe '.industries.default'

echo "== an import killed midway leaves the store as it was"
awk 'BEGIN { print "姓名,电话,公司"; for (i = 0; i < 3000; i++)
	printf "客户%d,1370000%04d,公司%d\n", i, i, i }' >"$tmp/big.csv"
h3=$(hash)
n3=$(nops)
c3=$(ncust)
TSM_TEST_KILL_AT=import-row:2500 rc 137 "$TSM" import --no-progress "$tmp/big.csv"
[ "$(hash)" = "$h3" ] || fail "a killed import changed the state"
[ "$(nops)" = "$n3" ] || fail "a killed import left ops"
[ "$(ncust)" = "$c3" ] || fail "a killed import left customers"
rc 0 "$TSM" check
rc 0 "$TSM" import --json "$tmp/big.csv"
jqe '.imported == 3000 and .rejected == 0 and .ops == 3000'
[ "$(ncust)" -eq $((c3 + 3000)) ] || fail "the import after the kill is incomplete"

echo "== killed after SQLite spilled pages to the file, it rolls back from the journal"
# An import runs under a rollback journal (bulk mode); 40,000 rows outgrow
# the 32 MiB page cache, so new pages are in the database file when the
# kill comes and the hot journal must undo them.
awk 'BEGIN { print "姓名,电话,公司,备注"; for (i = 0; i < 40000; i++)
	printf "大客户%d,1360%07d,大公司%d,第%d行的备注\n", i, i, i, i }' >"$tmp/huge.csv"
h4=$(hash)
n4=$(nops)
c4=$(ncust)
size4=$(stat -c %s "$TSM_HOME/tsm.db")
TSM_TEST_KILL_AT=import-row:39000 rc 137 "$TSM" import --no-progress "$tmp/huge.csv"
[ -s "$TSM_HOME/tsm.db-journal" ] || fail "no hot journal after the kill"
[ "$(stat -c %s "$TSM_HOME/tsm.db")" -gt "$size4" ] ||
	fail "nothing reached the database file before the kill"
[ "$(hash)" = "$h4" ] || fail "a killed bulk import changed the state"
[ "$(nops)" = "$n4" ] || fail "a killed bulk import left ops"
[ "$(ncust)" = "$c4" ] || fail "a killed bulk import left customers"
[ ! -e "$TSM_HOME/tsm.db-journal" ] || fail "the hot journal was not rolled back"
rc 0 "$TSM" check
# Back in WAL mode after an import: a reader and a writer at once work.
rc 0 "$TSM" import --json "$tmp/lists.csv" --on-duplicate skip
rc 0 "$TSM" customer list --json

echo "e_import: ok"
