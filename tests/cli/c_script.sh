#!/usr/bin/env bash
# tests/cli/c_script.sh — `tsm script list|show|add|edit`: the built-in
# defaults and the firm's mandated greeting rendered for customers, team
# scripts from flags and files, overrides of a built-in, warnings for unknown
# placeholders, --json read back field by field, bad input refused with the
# store unchanged, and an agent's replica refused with a clear message.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-27T10:00:00+08:00
printf 'script test pass\n' >"$tmp/pw"

GREETING='您好，請問是王小明先生嗎？我是明德律師事務所的周敏，打擾您了'
CLOSING='感謝您的接聽，祝您生活愉快，再見！'

echo "== setup: store, team, customers"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member zhou.min --name '周敏' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
rc 0 "$TSM" customer add --name '王小明' --phone '138 0000 1001' --salutation 先生 --company '華遠貿易有限公司'
C1=$(cat "$OUT")
rc 0 "$TSM" customer add --name '李娜' --phone '138 0000 1002' --salutation 女士
C2=$(cat "$OUT")
rc 0 "$TSM" customer add --name 'Alice Example' --phone '+86 139 0000 1003' --salutation ms
C3=$(cat "$OUT")
rc 0 "$TSM" customer add --name '趙六' --phone '010-5555-1004'
C4=$(cat "$OUT")

echo "== help and usage"
rc 0 "$TSM" script --help
out_has 'tsm script show NAME \[--customer ID\]'
out_has 'objection:NAME'
rc 2 "$TSM" script
rc 2 "$TSM" script frob
err_has "unknown subcommand 'frob'"
rc 2 "$TSM" script show
rc 2 "$TSM" script show a b
rc 2 "$TSM" script list --bogus
rc 2 "$TSM" script add x
err_has 'give the sections'
rc 2 "$TSM" script add --section opening=hi
rc 2 "$TSM" script add x --section opening
rc 2 "$TSM" script add x --section =hi
rc 2 "$TSM" script add x --remove-section opening
rc 2 "$TSM" script edit default-zh
err_has 'nothing to change'
rc 2 "$TSM" script edit x --file f --section opening=hi
rc 2 "$TSM" script show default-zh --raw --customer "$C1"

echo "== built-in defaults before any script exists"
rc 0 "$TSM" script list
out_has '^default-en  *built-in  *en  *9'
out_has '^default-zh  *built-in  *zh  *9'
rc 0 "$TSM" script list --json
jqe 'length == 2'
jqe '.[0].name == "default-en" and .[0].builtin == true and .[0].lang == "en"'
jqe '.[1].name == "default-zh" and .[1].builtin == true and .[1].lang == "zh"'
jqe '.[1].author == null and .[1].updated_at == null'
jqe '.[1].sections[0] == "opening" and .[1].sections[1] == "needs" and .[1].sections[2] == "pitch"'
jqe '.[1].sections[-1] == "closing"'
jqe '[.[1].sections[] | select(startswith("objection:"))] | length >= 3'
jqe '.[1].sections | index("objection:price") != null'

echo "== the raw default: the mandated template"
rc 0 "$TSM" script show default-zh --raw --json
jqe '.name == "default-zh" and .builtin == true and .rendered == false and .customer == null'
jqe '.sections[0].name == "opening"'
jqe '.sections[0].text | startswith("您好，請問是{customer.name}{customer.salutation}嗎？我是{company.name}的{agent.name}，打擾您了")'
jqe ".sections[-1].name == \"closing\" and .sections[-1].text == \"$CLOSING\""
jqe '[.sections[].text] | join(" ") | (contains("法律顧問") and contains("合同審查") and contains("訴訟") and contains("合規審查"))'
rc 0 "$TSM" script show default-en --raw --json
jqe '.lang == "en"'
jqe '.sections[0].text | contains("{customer.salutation} {customer.name}")'
jqe '[.sections[].text] | join(" ") | (contains("etainer") and contains("ontract review") and contains("itigation") and contains("ompliance audit"))'

echo "== rendered for customers"
# Without company_name in the policy, the team's name stands for the firm.
rc 0 "$TSM" script show default-zh --customer "$C1" --json
jqe '.sections[0].text | startswith("您好，請問是王小明先生嗎？我是")'
jqe '.sections[0].text | contains("{company.name}") | not'
rc 0 "$TSM" policy set company_name '明德律師事務所'
rc 0 "$TSM" script show default-zh --customer "$C1" --json
jqe ".name == \"default-zh\" and .rendered == true and .customer == \"$C1\""
jqe ".sections[0].text | split(\"\n\")[0] == \"$GREETING\""
jqe ".sections[-1].text == \"$CLOSING\""
jqe '[.sections[].text] | join("") | contains("{") | not'
# The text form: the greeting line exactly, in the file format.
rc 0 "$TSM" script show default-zh --customer "$C1"
grep -qx -- "$GREETING" "$OUT" || fail "greeting line missing: $(head -5 "$OUT")"
grep -qx -- "$CLOSING" "$OUT" || fail "closing line missing"
grep -qx '\[opening\]' "$OUT" || fail "no [opening] header"
head -1 "$OUT" | grep -qx '# default-zh (built-in, zh)' || fail "header: $(head -1 "$OUT")"
# By phone, 女士, and no salutation at all.
rc 0 "$TSM" script show default-zh --customer '13800001002' --json
jqe '.sections[0].text | startswith("您好，請問是李娜女士嗎？我是明德律師事務所的周敏，打擾您了")'
rc 0 "$TSM" script show default-zh --customer "$C4" --json
jqe '.sections[0].text | startswith("您好，請問是趙六先生/女士嗎？")'
rc 0 "$TSM" script show default-en --customer "$C3" --json
jqe '.sections[0].text | startswith("Hello, may I speak with Ms Alice Example? This is 周敏 from 明德律師事務所.")'
rc 0 "$TSM" script show default-en --customer "$C4" --json
jqe '.sections[0].text | contains("Mr/Ms 趙六")'
# Without a customer, the customer placeholders stay visible.
rc 0 "$TSM" script show default-zh --json
jqe '.sections[0].text | startswith("您好，請問是{customer.name}{customer.salutation}嗎？我是明德律師事務所的周敏")'
unchanged rc 1 "$TSM" script show default-zh --customer c000000000000
err_has "no customer 'c000000000000'"
unchanged rc 1 "$TSM" script show nosuch
err_has "no script 'nosuch'"

echo "== add from flags"
rc 0 "$TSM" script add renewal \
	--section 'opening={customer.name}{customer.salutation}您好，我是{company.name}的{agent.name}，來做年度回訪。' \
	--section 'objection-price=續約價格不變。' \
	--section 'closing=謝謝，再見！{foo}'
out_has "added script 'renewal' (3 sections)"
err_has 'warning: section \[closing\] has unknown placeholders {foo}'
rc 0 "$TSM" script list --json
jqe 'length == 3 and .[2].name == "renewal" and .[2].builtin == false and .[2].lang == "zh"'
jqe '.[2].author == "zhou.min" and .[2].updated_at == "2026-11-27T10:00:00+08:00"'
jqe '.[2].sections == ["opening", "objection:price", "closing"]'
rc 0 "$TSM" script show renewal --customer "$C2" --json
jqe '.sections[0].text == "李娜女士您好，我是明德律師事務所的周敏，來做年度回訪。"'
jqe '.sections[2].text == "謝謝，再見！{foo}"'
rc 0 "$TSM" script list
out_has '^renewal  *team  *zh  *3  *2026-11-27 10:00  *zhou.min'

echo "== add: bad input leaves the store unchanged"
unchanged rc 1 "$TSM" script add renewal --section opening=x
err_has "script 'renewal' exists"
unchanged rc 1 "$TSM" script add 'Bad Name' --section opening=x
err_has "invalid script name 'Bad Name'"
unchanged rc 1 "$TSM" script add other --section intro=x
err_has "unknown section 'intro'"
unchanged rc 1 "$TSM" script add other --section 'objection:a b=x'
err_has "invalid section"
unchanged rc 1 "$TSM" script add other --section opening=
err_has 'text must be'
unchanged rc 1 "$TSM" script add other --section opening=a --section Opening=b
err_has 'given twice'
unchanged rc 1 "$TSM" script add other --file "$tmp/missing.txt"
err_has "cannot open '$tmp/missing.txt'"
printf 'stray text\n[opening]\nhi\n' >"$tmp/bad1.txt"
unchanged rc 1 "$TSM" script add other --file "$tmp/bad1.txt"
err_has 'line 1: text before the first \[section\] header'
printf '[opening]\nhi\n[closing]\n\n' >"$tmp/bad2.txt"
unchanged rc 1 "$TSM" script add other --file "$tmp/bad2.txt"
err_has 'section \[closing\] is empty'

echo "== add from a file, show --raw round-trips through edit --file"
cat >"$tmp/intro.txt" <<'EOF'
# the introduction script
[opening]
您好，{customer.name}{customer.salutation}。
我是{agent.name}。

[needs]
貴公司有幾份長期合同？

[objection:busy]
那我改天再打給您。

[closing]
再見！
EOF
rc 0 "$TSM" script add intro --file "$tmp/intro.txt"
out_has "added script 'intro' (4 sections)"
[ ! -s "$ERR" ] || fail "unexpected warning: $(cat "$ERR")"
rc 0 "$TSM" script show intro --raw --json
jqe '.sections[0].text == "您好，{customer.name}{customer.salutation}。\n我是{agent.name}。"'
jqe '[.sections[].name] == ["opening", "needs", "objection:busy", "closing"]'
rc 0 "$TSM" script show intro --raw
cp "$OUT" "$tmp/intro2.txt"
unchanged rc 0 "$TSM" script edit intro --file "$tmp/intro2.txt"
out_has "script 'intro' unchanged"

echo "== edit"
rc 0 "$TSM" script edit intro --section 'pitch=我們的合同審查三天完成。' --remove-section objection:busy
out_has "updated script 'intro' (2 sections changed)"
rc 0 "$TSM" script show intro --raw --json
jqe '[.sections[].name] == ["opening", "needs", "pitch", "closing"]'
jqe '.sections[2].text == "我們的合同審查三天完成。"'
# edit --file replaces the whole script: sections it lacks go.
printf '[opening]\nHi {customer.name}\n\n[closing]\nBye {bar}\n' >"$tmp/intro3.txt"
"$TSM" script edit intro --file - <"$tmp/intro3.txt" >"$OUT" 2>"$ERR" || fail "edit --file -"
err_has 'unknown placeholders {bar}'
rc 0 "$TSM" script show intro --raw --json
jqe '[.sections[].name] == ["opening", "closing"] and .sections[1].text == "Bye {bar}"'
jqe '.lang == "en"'
unchanged rc 1 "$TSM" script edit intro --remove-section pitch
err_has "script 'intro' has no section \[pitch\]"
unchanged rc 1 "$TSM" script edit intro --remove-section opening --remove-section closing
err_has 'cannot remove every section'
unchanged rc 1 "$TSM" script edit nosuch --section opening=x
err_has "no script 'nosuch'"
unchanged rc 1 "$TSM" script edit intro --section bogus=x
err_has "unknown section 'bogus'"

echo "== editing a built-in creates the team's copy, which wins"
rc 0 "$TSM" script edit default-zh --section 'objection:too-expensive=我們可以分期付款。'
rc 0 "$TSM" script list --json
jqe '.[] | select(.name == "default-zh") | .builtin == false and .author == "zhou.min"'
jqe '.[] | select(.name == "default-zh") | .sections | (index("objection:too-expensive") != null and length == 10)'
jqe '.[] | select(.name == "default-en") | .builtin == true'
rc 0 "$TSM" script show default-zh --customer "$C1" --json
jqe ".builtin == false and (.sections[0].text | split(\"\n\")[0] == \"$GREETING\")"
jqe ".sections[-1].text == \"$CLOSING\""
jqe '.sections[] | select(.name == "objection:too-expensive") | .text == "我們可以分期付款。"'

echo "== an agent's replica: scripts readable, edits refused"
rc 0 "$TSM" member invite wu.lei --role agent
CODE=$(tail -1 "$OUT")
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$tmp/a" init --member wu.lei --name '吳磊' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$tmp/a" unlock
rc 0 "$TSM" -C "$tmp/a" join --remote "$tmp/central.git" --invite "$CODE"
rc 0 "$TSM" sync
rc 0 "$TSM" -C "$tmp/a" sync
rc 0 "$TSM" -C "$tmp/a" script list --json
jqe '[.[].name] == ["default-en", "default-zh", "intro", "renewal"]'
jqe '.[] | select(.name == "default-zh") | .builtin == false'
# The agent's own name in the greeting.
rc 0 "$TSM" -C "$tmp/a" script show default-zh --json
jqe '.sections[0].text | contains("我是明德律師事務所的吳磊，打擾您了")'
unchanged -C "$tmp/a" rc 1 "$TSM" -C "$tmp/a" script add mine --section opening=hi
err_has 'only leads and managers may edit scripts'
unchanged -C "$tmp/a" rc 1 "$TSM" -C "$tmp/a" script edit renewal --section opening=hi
err_has 'only leads and managers may edit scripts'
unchanged -C "$tmp/a" rc 1 "$TSM" -C "$tmp/a" script edit default-en --section closing=bye
err_has 'only leads and managers may edit scripts'

echo "ok"
