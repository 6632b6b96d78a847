#!/usr/bin/env bash
# tests/cli/c_dnc.sh — `tsm dnc add|list|remove`: numbers and customers on the
# do-not-call list, reasons kept with the number (also one nobody has) and
# as notes, --json read back, bad input
# refused with the store unchanged, and removal for managers only (an agent
# on a second replica is refused, the store unchanged).
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-27T10:00:00+08:00
printf 'dnc test pass\n' >"$tmp/pw"
A="$tmp/a"

# sync [-C DIR]: a sync that exits 0, or 4 when review items arrive
sync() { rc '0|4' "$TSM" "$@" sync; }

echo "== setup: a manager's store and team"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member mgr --name '王经理' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
rc 0 "$TSM" customer add --name '张伟' --phone 13800000001
C1=$(cat "$OUT")
rc 0 "$TSM" customer add --name '张伟二' --phone 13800000001
C2=$(cat "$OUT")
rc 0 "$TSM" customer add --name 'Carol' --phone 13900000003
C3=$(cat "$OUT")

echo "== usage"
rc 2 "$TSM" dnc
rc 2 "$TSM" dnc frob
unchanged rc 2 "$TSM" dnc add
unchanged rc 2 "$TSM" dnc add 13600000001 --frob
unchanged rc 2 "$TSM" dnc add 13600000001 13600000002
unchanged rc 2 "$TSM" dnc add 13600000001 --reason
unchanged rc 2 "$TSM" dnc remove
unchanged rc 2 "$TSM" dnc list extra

echo "== empty list"
rc 0 "$TSM" dnc list
out_has 'the do-not-call list is empty'
rc 0 "$TSM" dnc list --json
jqe '. == []'

echo "== add a bare number, typed any way"
rc 0 "$TSM" dnc add '＋８６ １３６-0000-0001'
out_has '^do not call: +86 136 0000 0001$'
rc 0 "$TSM" dnc add --json 13600000001
jqe '.phone == "+8613600000001" and .changed == 0 and .customer == null and .dnc == true'
unchanged rc 0 "$TSM" dnc add 136-0000-0001
out_has 'on the do-not-call list already'

echo "== bad input"
unchanged rc 1 "$TSM" dnc add 12345
err_has "invalid phone '12345'"
unchanged rc 1 "$TSM" dnc add c000000000000
err_has "'c000000000000' is neither a valid phone number nor a customer"
unchanged rc 1 "$TSM" dnc add 'no such thing'

echo "== a number with customers: both become do-not-call; reason on each"
rc 0 "$TSM" dnc add 13800000001 --reason '投诉电话骚扰'
out_has '^do not call: +86 138 0000 0001 (several customers)$'
for c in "$C1" "$C2"; do
	rc 0 "$TSM" customer show "$c" --json
	jqe '.dnc == true and .dnc_flag == false'
	jqe '[.notes[].text] == ["do-not-call: 投诉电话骚扰"]'
done

echo "== a customer: its flag and its number"
rc 0 "$TSM" dnc add "${C3:0:7}" --json
jqe ".customer == \"$C3\" and .phone == \"+8613900000003\" and .changed == 2"
rc 0 "$TSM" customer show "$C3" --json
jqe '.dnc == true and .dnc_flag == true and .notes == []'
unchanged rc 0 "$TSM" dnc add "$C3"
out_has 'already'

echo "== list"
rc 0 "$TSM" dnc list --json
jqe 'length == 3'
jqe '[.[].phone] | sort == ["+8613600000001","+8613800000001","+8613900000003"]'
jqe '[.[] | select(.phone == "+8613600000001")][0] | .listed == true and .customer == null and .customers == 0'
# the first of its customers by id
first=$(printf '%s\n%s\n' "$C1" "$C2" | sort | head -1)
[ "$first" = "$C1" ] && fname='张伟' || fname='张伟二'
jqe "[.[] | select(.phone == \"+8613800000001\")][0] | .customer == \"$first\" and .customer_name == \"$fname\" and .customers == 2"
jqe "[.[] | select(.phone == \"+8613900000003\")][0] | .customer == \"$C3\" and .customer_name == \"Carol\""
jqe 'all(.[]; .author == "mgr" and .at == "2026-11-27T10:00:00+08:00")'
jqe '[.[] | select(.phone == "+8613800000001")][0].reason == "投诉电话骚扰"'
jqe '[.[] | select(.phone != "+8613800000001")] | all(.[]; .reason == null)'
rc 0 "$TSM" dnc list
head -1 "$OUT" | grep -Eq '^PHONE +CUSTOMER +NAME +BY +SINCE +REASON$' || fail "header: $(head -1 "$OUT")"
out_has "^+86 138 0000 0001  $first +1  $fname "
out_has ' 投诉电话骚扰$'
[ "$(wc -l <"$OUT")" -eq 4 ] || fail "want 3 rows: $(cat "$OUT")"

echo "== a reason for a number nobody has is kept; the last one given shows"
rc 0 "$TSM" dnc add 13700000009 --reason '律师函：勿再致电' --json
jqe '.customer == null and .customers == 0 and .changed == 2'
TSM_NOW=2026-11-27T11:00:00+08:00 rc 0 "$TSM" dnc add 13700000009 --reason '本人书面确认' --json
jqe '.changed == 1'
unchanged rc 0 "$TSM" dnc add 13700000009
out_has 'already'
rc 0 "$TSM" dnc list --json
jqe '[.[] | select(.phone == "+8613700000009")][0] | .reason == "本人书面确认" and .customer == null'
rc 0 "$TSM" dnc remove 13700000009
rc 0 "$TSM" dnc list --json
jqe 'length == 3 and all(.[]; .phone != "+8613700000009")'

echo "== an agent may add but not remove"
code=$("$TSM" member invite ag1 --role agent --name '李小明')
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$A" init --member ag1 --name '李小明' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$A" unlock
rc 0 "$TSM" -C "$A" join --invite "$code"
sync
sync -C "$A"
# The agent sees every listed number, but no customer it may not see.
rc 0 "$TSM" -C "$A" dnc list --json
jqe 'length == 3 and all(.[]; .customer == null and .customer_name == null)'
rc 0 "$TSM" -C "$A" customer add --name '赵六' --phone 13500000005
CA=$(cat "$OUT")
rc 0 "$TSM" -C "$A" dnc add "$CA" --reason '客户要求'
out_has "^do not call: $CA +86 135 0000 0005$"
unchanged -C "$A" rc 1 "$TSM" -C "$A" dnc remove "$CA"
err_has 'only a manager may take a number off the do-not-call list (you are agent)'
unchanged -C "$A" rc 1 "$TSM" -C "$A" dnc remove 13600000001
err_has 'only a manager'
sync -C "$A"
sync

echo "== a manager removes"
rc 0 "$TSM" customer show "$CA" --json
jqe '.dnc == true and .dnc_flag == true and .notes[0].text == "do-not-call: 客户要求"'
rc 0 "$TSM" dnc remove "$CA"
out_has "^may call again: $CA +86 135 0000 0005$"
rc 0 "$TSM" customer show "$CA" --json
jqe '.dnc == false and .dnc_flag == false'
unchanged rc 1 "$TSM" dnc remove "$CA"
err_has "is not on the do-not-call list"
unchanged rc 1 "$TSM" dnc remove 13700000000
err_has "is not on the do-not-call list"
unchanged rc 1 "$TSM" dnc remove 12345
err_has "invalid phone"
# A number: off the list, and its customers' own flags cleared too.
rc 0 "$TSM" dnc add "$C1"
rc 0 "$TSM" dnc remove '138 0000 0001' --json
jqe '.phone == "+8613800000001" and .changed == 2 and .dnc == false'
for c in "$C1" "$C2"; do
	rc 0 "$TSM" customer show "$c" --json
	jqe '.dnc == false and .dnc_flag == false'
done
rc 0 "$TSM" dnc list --json
jqe '[.[].phone] | sort == ["+8613600000001","+8613900000003"]'
# The agent's replica learns of the removal.
sync
sync -C "$A"
rc 0 "$TSM" -C "$A" customer show "$CA" --json
jqe '.dnc == false'

echo "ok: c_dnc"
