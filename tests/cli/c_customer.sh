#!/usr/bin/env bash
# tests/cli/c_customer.sh — `tsm customer add|edit|list|show|delete|restore`:
# phones normalized, warnings for duplicates and do-not-call numbers, filters
# and search, CJK tables aligned by display width, --json read back field by
# field, and every bad input refused with the store unchanged.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-27T10:00:00+08:00 # a Friday
printf 'customer test pass\n' >"$tmp/pw"

echo "== setup: store, team"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member mgr --name '王经理' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"

echo "== help and usage"
rc 0 "$TSM" customer --help
out_has 'tsm customer add --name N --phone P'
rc 2 "$TSM" customer
rc 2 "$TSM" customer frob
err_has "unknown subcommand 'frob'"

echo "== add"
rc 0 "$TSM" customer add --name '张伟' --phone '138 0000 0001' --company '北京某某科技有限公司' \
	--industry 制造 --region 北京 --source 展会 --salutation 先生 --priority high
grep -Eq '^c[0-9a-f]{12}$' "$OUT" || fail "add printed '$(cat "$OUT")'"
C1=$(cat "$OUT")
rc 0 "$TSM" customer add --name 'Alice Example' --phone '+86 139-0000-0002' --company 'Example Ltd' \
	--industry retail --region Shanghai --source web --salutation ms --json
jqe '.name == "Alice Example" and .phone == "+8613900000002"'
jqe '.phone_display == "+86 139 0000 0002"'
jqe '.company == "Example Ltd" and .industry == "retail" and .region == "Shanghai"'
jqe '.source == "web" and .salutation == "Ms" and .stage == "new"'
jqe '.owner == null and .dnc == false and .deleted == false and .created_by == "mgr"'
jqe '.created_at == "2026-11-27T10:00:00+08:00" and .call_count == 0 and .next_followup == null'
C2=$(jq -r .id "$OUT")
# Full-width digits and a landline with its area code.
rc 0 "$TSM" customer add --name '李娜' --phone '１３７０００００００３' --json
jqe '.phone == "+8613700000003" and .salutation == null'
C3=$(jq -r .id "$OUT")
rc 0 "$TSM" customer add --name 'Bob Lawfirm' --phone '010-5555-0123' --company '律所' --json
jqe '.phone == "+861055550123" and .phone_display == "+86 10 5555 0123"'
C4=$(jq -r .id "$OUT")

echo "== add: bad input leaves the store unchanged"
unchanged rc 1 "$TSM" customer add --name 'X' --phone 12345
err_has "invalid phone '12345'"
unchanged rc 1 "$TSM" customer add --name 'X' --phone '138 0000 00x1'
err_has 'invalid phone'
unchanged rc 2 "$TSM" customer add --name 'X'
err_has 'needs --name and --phone'
unchanged rc 2 "$TSM" customer add --name 'X' --phone 13800000099 --frob 1
err_has "unknown option '--frob'"
unchanged rc 2 "$TSM" customer add --name 'X' --phone
unchanged rc 1 "$TSM" customer add --name 'X' --phone 13800000099 --salutation Sir
err_has "invalid salutation 'Sir'"
unchanged rc 1 "$TSM" customer add --name 'X' --phone 13800000099 --priority urgent
err_has "invalid priority 'urgent'"
unchanged rc 1 "$TSM" customer add --name 'X' --phone 13800000099 --stage hot
err_has "invalid stage 'hot'"
unchanged rc 1 "$TSM" customer add --name 'X' --phone 13800000099 --owner nobody
err_has "no active member 'nobody'"
unchanged rc 1 "$TSM" customer add --name '' --phone 13800000099
unchanged rc 2 "$TSM" customer add --name 'X' --phone 13800000099 --clear company

echo "== add: a duplicate phone is added with a warning naming the other"
rc 0 "$TSM" customer add --name '张伟(重复)' --phone '+8613800000001' --json
jqe '.phone == "+8613800000001"'
C5=$(jq -r .id "$OUT")
err_has "warning: +86 138 0000 0001 is also the phone of $C1 (张伟)"
[ "$C5" != "$C1" ] || fail "duplicate got the same id"

echo "== add: a number on the do-not-call list marks the customer"
rc 0 "$TSM" dnc add '136 0000 0009'
rc 0 "$TSM" customer add --name 'Dana Quiet' --phone 13600000009 --json
err_has 'is on the do-not-call list'
jqe '.dnc == true and .dnc_flag == false'
C6=$(jq -r .id "$OUT")

echo "== resolve: id, prefix, phone; unknown and ambiguous"
rc 0 "$TSM" customer show "$C2" --json
jqe ".id == \"$C2\""
rc 0 "$TSM" customer show "${C2:0:6}" --json
jqe ".id == \"$C2\""
rc 0 "$TSM" customer show '139 0000 0002' --json
jqe ".id == \"$C2\""
rc 1 "$TSM" customer show c000000000000
err_has "no customer 'c000000000000'"
rc 1 "$TSM" customer show nosuch
err_has "no customer 'nosuch'"
rc 1 "$TSM" customer show "${C2:0:3}"   # too short for a prefix
err_has "no customer"
rc 1 "$TSM" customer show 13800000001   # two customers share it
err_has "matches 2 customers"
err_has "$C1"
err_has "$C5"
rc 2 "$TSM" customer show
rc 2 "$TSM" customer show "$C2" extra

echo "== edit"
rc 0 "$TSM" customer edit "$C2" --company 'Example Holdings' --priority low
out_has "$C2: 2 fields updated"
rc 0 "$TSM" customer edit "$C2" --company 'Example Holdings'
out_has "$C2: no changes"
rc 0 "$TSM" customer edit "$C2" --stage interested --owner mgr --json
jqe '.stage == "interested" and .owner == "mgr" and .company == "Example Holdings"'
jqe '.priority == "low"'
rc 0 "$TSM" customer edit "$C2" --clear priority --needs '合同审查, 常年法律顾问' --json
jqe '.priority == null and .needs == "合同审查, 常年法律顾问"'
rc 0 "$TSM" customer edit "$C3" --phone '+86 137 0000 0013' --json
jqe '.phone == "+8613700000013"'
rc 0 "$TSM" customer edit "$C4" --salutation 'Mr.' --json
jqe '.salutation == "Mr"'
unchanged rc 2 "$TSM" customer edit "$C2"
err_has 'nothing to edit'
unchanged rc 2 "$TSM" customer edit --company X
unchanged rc 2 "$TSM" customer edit "$C2" --bogus 1
unchanged rc 2 "$TSM" customer edit "$C2" --clear colour
unchanged rc 1 "$TSM" customer edit "$C2" --clear name
err_has "name cannot be empty"
unchanged rc 1 "$TSM" customer edit "$C2" --clear phone
unchanged rc 1 "$TSM" customer edit "$C2" --company A --clear company
unchanged rc 1 "$TSM" customer edit "$C2" --phone 999
err_has "invalid phone '999'"
unchanged rc 1 "$TSM" customer edit "$C2" --stage hot
unchanged rc 1 "$TSM" customer edit c000000000000 --company X
err_has "no customer 'c000000000000'"
unchanged rc 1 "$TSM" customer edit "$C2" --owner nobody

echo "== list: table aligned by display width"
rc 0 "$TSM" customer list
head -1 "$OUT" | grep -Eq '^ID +NAME +PHONE +COMPANY +STAGE +OWNER +DNC +NEXT$' ||
	fail "header: $(head -1 "$OUT")"
[ "$(wc -l <"$OUT")" -eq 7 ] || fail "want header + 6 rows: $(cat "$OUT")"
grep -q "^$C1 *张伟 " "$OUT" || fail "row of $C1"
grep -q "^$C6 .*DNC" "$OUT" || fail "DNC marker for $C6"
# The PHONE column starts at the same display column on every row, Chinese
# names or not; so do STAGE and OWNER.
python3 - "$OUT" <<'EOF' || fail "table columns do not line up: $(cat "$OUT")"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
lines = open(sys.argv[1], encoding='utf-8').read().splitlines()
header, rows = lines[0], lines[1:]
for col in ('PHONE', 'STAGE', 'OWNER'):
    want = width(header[:header.index(col)])
    for r in rows:
        # the cell starts after the previous cell's run of 2+ spaces
        pos = {'PHONE': r.index('+86'),
               'STAGE': max(r.find('  new'), r.find('  interested')) + 2,
               'OWNER': None}[col]
        if col == 'OWNER':
            stage_at = max(r.find('  new '), r.find('  interested ')) + 2
            rest = r[stage_at:]
            i = rest.index(' ')
            while rest[i] == ' ':
                i += 1
            pos = stage_at + i
        if width(r[:pos]) != want:
            sys.exit(f'{col} at {width(r[:pos])}, want {want}: {r}')
EOF

echo "== list --json and filters"
rc 0 "$TSM" customer list --json
jqe 'length == 6'
jqe "[.[].id] == [\"$C1\",\"$C2\",\"$C3\",\"$C4\",\"$C5\",\"$C6\"]"
jqe ".[0].name == \"张伟\" and .[0].salutation == \"先生\" and .[0].priority == \"high\""
jqe '.[0].company == "北京某某科技有限公司" and .[0].industry == "制造" and .[0].region == "北京"'
jqe '.[0].source == "展会" and .[0].phone_display == "+86 138 0000 0001"'
rc 0 "$TSM" customer list --stage interested --json
jqe "length == 1 and .[0].id == \"$C2\""
rc 0 "$TSM" customer list --industry 制造 --json
jqe "[.[].id] == [\"$C1\"]"
rc 0 "$TSM" customer list --region Shanghai --json
jqe "[.[].id] == [\"$C2\"]"
rc 0 "$TSM" customer list --source web --json
jqe "[.[].id] == [\"$C2\"]"
rc 0 "$TSM" customer list --owner mgr --json
jqe "[.[].id] == [\"$C2\"]"
rc 0 "$TSM" customer list --mine --json
jqe "[.[].id] == [\"$C2\"]"
rc 0 "$TSM" customer list --unassigned --json
jqe 'length == 5'
rc 0 "$TSM" customer list --search 张伟 --json
jqe "[.[].id] == [\"$C1\",\"$C5\"]"
rc 0 "$TSM" customer list --search holdings --json
jqe "[.[].id] == [\"$C2\"]"
rc 0 "$TSM" customer list --search '0000 0013' --json
jqe "[.[].id] == [\"$C3\"]"
rc 0 "$TSM" customer list --search '010-5555' --json
jqe "[.[].id] == [\"$C4\"]"
rc 0 "$TSM" customer list --search 律所 --json
jqe "[.[].id] == [\"$C4\"]"
rc 0 "$TSM" customer list --limit 2 --json
jqe "[.[].id] == [\"$C1\",\"$C2\"]"
rc 0 "$TSM" customer list --due today --json
jqe 'length == 0'
rc 0 "$TSM" customer list --search nothing-like-it
out_has '^no customers$'
rc 2 "$TSM" customer list --due tomorrow
err_has '--due takes today, overdue or week'
rc 2 "$TSM" customer list --stage hot
rc 2 "$TSM" customer list --limit 0
rc 2 "$TSM" customer list --limit x
rc 2 "$TSM" customer list --mine --owner mgr
rc 2 "$TSM" customer list --frob
rc 2 "$TSM" customer list extra

echo "== show: the card"
rc 0 "$TSM" dnc add "$C1" --reason '客户要求不再来电'
rc 0 "$TSM" customer show "$C1"
out_has "^$C1  张伟 先生"
out_has '^phone     : +86 138 0000 0001'
out_has '^company   : 北京某某科技有限公司'
out_has '^stage     : new'
out_has '^owner     : unassigned'
out_has '^dnc       : YES'
out_has '^calls (0):'
out_has '^notes (1):'
out_has 'do-not-call: 客户要求不再来电'
out_has '^follow-ups (0):'
out_has '^orders (0):'
rc 0 "$TSM" customer show "$C1" --json
jqe ".id == \"$C1\" and .dnc == true and .dnc_flag == true"
jqe '.calls == [] and .followups == [] and .orders == [] and .feedback == []'
jqe '.notes | length == 1'
jqe '.notes[0].text == "do-not-call: 客户要求不再来电" and .notes[0].author == "mgr"'
jqe '.notes[0].at == "2026-11-27T10:00:00+08:00"'
rc 0 "$TSM" customer show "$C2" --json
jqe '.owner == "mgr" and .owner_name == "王经理" and .creator_name == "王经理"'
rc 2 "$TSM" customer show "$C2" --calls 0

echo "== delete and restore"
rc 0 "$TSM" customer delete "$C5"
out_has "^deleted $C5$"
rc 0 "$TSM" customer list --json
jqe "[.[].id] | index(\"$C5\") == null"
jqe 'length == 5'
rc 0 "$TSM" customer list --all --json
jqe "[.[] | select(.id == \"$C5\") | .deleted] == [true]"
rc 0 "$TSM" customer list --all
grep -q "^$C5 .* deleted " "$OUT" || fail "deleted row: $(cat "$OUT")"
# With the duplicate deleted, the phone names one customer again.
rc 0 "$TSM" customer show 13800000001 --json
jqe ".id == \"$C1\""
unchanged rc 1 "$TSM" customer edit "$C5" --company X
err_has "customer '$C5' is deleted"
unchanged rc 1 "$TSM" customer delete "$C5"
rc 0 "$TSM" customer show "$C5" --json
jqe '.deleted == true'
rc 0 "$TSM" customer restore "$C5" --json
jqe ".id == \"$C5\" and .deleted == false"
unchanged rc 1 "$TSM" customer restore "$C5"
err_has "is not deleted"
unchanged rc 1 "$TSM" customer delete nosuch
unchanged rc 2 "$TSM" customer delete
unchanged rc 2 "$TSM" customer restore "$C5" extra

echo "== an agent sees the customers they own or created; leads and managers all"
A="$tmp/a"
code=$("$TSM" member invite ag1 --role agent --name '李小明')
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$A" init --member ag1 --name '李小明' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$A" unlock
rc 0 "$TSM" -C "$A" join --invite "$code"
# sync exits 4 when review items (the duplicate phone) arrive
sync() { rc '0|4' "$TSM" "$@" sync; }
sync                # the manager admits ag1
sync -C "$A"        # ag1 gets the roster and every op
rc 0 "$TSM" -C "$A" customer list --json
jqe 'length == 0'
rc 1 "$TSM" -C "$A" customer show "$C1"
err_has "no customer '$C1'"
unchanged rc 1 "$TSM" -C "$A" customer edit "$C1" --company X
rc 0 "$TSM" -C "$A" customer add --name '赵六' --phone 13500000005 --json
CA=$(jq -r .id "$OUT")
jqe '.created_by == "ag1" and .owner == null'
# An agent may not assign: the op log's rule refuses it and nothing is written.
hA=$("$TSM" -C "$A" debug state-hash)
rc 1 "$TSM" -C "$A" customer add --name '钱七' --phone 13500000006 --owner ag1
[ "$("$TSM" -C "$A" debug state-hash)" = "$hA" ] || fail "agent's refused add changed the store"
rc 1 "$TSM" -C "$A" customer edit "$CA" --owner ag1
[ "$("$TSM" -C "$A" debug state-hash)" = "$hA" ] || fail "agent's refused assign changed the store"
rc 0 "$TSM" -C "$A" customer edit "$CA" --company '赵氏贸易'
out_has '1 field updated'
# The manager assigns C2 to the agent.
rc 0 "$TSM" customer edit "$C2" --owner ag1
sync
sync -C "$A"
rc 0 "$TSM" -C "$A" customer list --json
jqe "[.[].id] | sort == ([\"$C2\",\"$CA\"] | sort)"
rc 0 "$TSM" -C "$A" customer list --mine --json
jqe "[.[].id] == [\"$C2\"]"
rc 0 "$TSM" -C "$A" customer show "${C2:0:6}" --json
jqe '.owner == "ag1" and .owner_name == "李小明"'
rc 0 "$TSM" -C "$A" customer list --search 张伟 --json
jqe 'length == 0'
# The manager sees the agent's customer with its edit.
sync
rc 0 "$TSM" customer show "$CA" --json
jqe '.company == "赵氏贸易" and .created_by == "ag1"'
rc 0 "$TSM" customer list --json
jqe 'length == 7'

echo "ok: c_customer"
