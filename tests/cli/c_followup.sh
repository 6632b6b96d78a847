#!/usr/bin/env bash
# tests/cli/c_followup.sh — `tsm followup add|list|done|reschedule`: due
# windows (default, today, overdue, week, all), ids and prefixes, done with
# satisfaction and feedback, reschedule (also reopening a done one), the
# revisits of signed clients computed from the policy's cadence, --json read
# back field by field, and bad input refused with the store unchanged.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-12-01T10:00:00+08:00 # Tuesday
printf 'followup test pass\n' >"$tmp/pw"

add() {
	rc 0 "$TSM" customer add --name "$1" --phone "$2" "${@:3}"
	ID=$(cat "$OUT")
}

echo "== setup"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member mgr --name '王经理' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
add '张伟' '138 0000 0001'
A=$ID
add '李娜' '138 0000 0002'
B=$ID

echo "== help and usage"
rc 0 "$TSM" followup --help
out_has 'tsm followup add CUSTOMER --due WHEN'
rc 2 "$TSM" followup
rc 2 "$TSM" followup frob
rc 2 "$TSM" followup add "$A"
err_has 'needs --due WHEN'
rc 2 "$TSM" followup list --mine --team

echo "== add"
rc 0 "$TSM" followup add "$A" --due 'today 15:00' --note '发报价'
grep -Eq '^follow-up f[0-9a-f]{12} \(followup\) due 2026-12-01 15:00$' "$OUT" || fail "add printed $(cat "$OUT")"
F1=$(cut -d' ' -f2 "$OUT")
rc 0 "$TSM" followup add "$A" --due 'tomorrow 10:00' --kind callback --json
jqe '.kind == "callback" and .due == "2026-12-02T10:00:00+08:00"'
F2=$(jq -r .id "$OUT")
rc 0 "$TSM" followup add 138-0000-0002 --due +3d --json
jqe '.kind == "followup" and .due == "2026-12-04T10:00:00+08:00"'
F3=$(jq -r .id "$OUT")

echo "== list: default is today and overdue"
rc 0 "$TSM" followup list --json
jqe "length == 1 and .[0].id == \"$F1\" and .[0].customer == \"$A\""
jqe '.[0].customer_name == "张伟" and .[0].phone == "+8613800000001" and .[0].kind == "followup"'
jqe '.[0].due == "2026-12-01T15:00:00+08:00" and .[0].overdue == false and .[0].done == false'
jqe '.[0].note == "发报价" and .[0].created_by == "mgr" and .[0].owner == "mgr" and .[0].computed == false'
rc 0 "$TSM" followup list
out_has "$F1"
out_has '张伟'
out_has '发报价'
out_lacks "$F2"
rc 0 "$TSM" followup list --due week --json
jqe "[.[].id] == [\"$F1\", \"$F2\", \"$F3\"]"
rc 0 "$TSM" followup list --due today --json
jqe 'length == 1'
rc 0 "$TSM" followup list --customer "$B" --due all --json
jqe "[.[].id] == [\"$F3\"]"

echo "== the next day: overdue"
export TSM_NOW=2026-12-02T11:00:00+08:00
rc 0 "$TSM" followup list --json
jqe "[.[].id] == [\"$F1\", \"$F2\"] and all(.[]; .overdue)"
rc 0 "$TSM" followup list --due overdue --json
jqe 'length == 2'
rc 0 "$TSM" followup list --due today --json
jqe "[.[].id] == [\"$F2\"]"
rc 0 "$TSM" followup list
out_has 'overdue'

echo "== done, by a unique prefix, with satisfaction and feedback"
rc 0 "$TSM" followup done "${F1:0:9}" --satisfaction 4 --feedback '满意'
out_has "follow-up $F1 done"
rc 0 "$TSM" followup list --json
jqe "[.[].id] == [\"$F2\"]"
rc 0 "$TSM" followup list --done --due all --json
jq -e --arg f "$F1" '.[] | select(.id == $f) | .done and .satisfaction == 4 and .feedback == "满意" and .done_by == "mgr" and .done_at == "2026-12-02T11:00:00+08:00"' \
	"$OUT" >/dev/null || fail "done fields: $(cat "$OUT")"
unchanged rc 1 "$TSM" followup done "$F1"
err_has "is done already"

echo "== reschedule (a done one reopens)"
rc 0 "$TSM" followup reschedule "$F2" --due 'fri 14:00' --json
jqe ".id == \"$F2\" and .due == \"2026-12-04T14:00:00+08:00\""
rc 0 "$TSM" followup reschedule "$F1" --due 'today 17:00'
out_has "follow-up $F1 due 2026-12-02 17:00"
rc 0 "$TSM" followup list --json
jq -e --arg f "$F1" '.[] | select(.id == $f) | .done == false' "$OUT" >/dev/null || fail "$F1 not reopened"

echo "== revisits of signed clients, computed from the policy"
rc 0 "$TSM" call log "$B" --outcome order --service retainer --amount 50000
rc 0 "$TSM" followup list --due all --json
jq -e --arg c "$B" '.[] | select(.id == "rv:" + $c) | .computed and .kind == "revisit" and .due == "2027-01-01T11:00:00+08:00"' \
	"$OUT" >/dev/null || fail "no computed revisit: $(cat "$OUT")"
rc 0 "$TSM" followup list --json
jqe 'all(.[]; .computed == false)'
export TSM_NOW=2027-01-04T10:00:00+08:00 # Monday, 34 days on
rc 0 "$TSM" followup list --json
jq -e --arg c "$B" '.[] | select(.id == "rv:" + $c) | .overdue and .customer == $c' "$OUT" >/dev/null ||
	fail "revisit not due: $(cat "$OUT")"
rc 0 "$TSM" followup list
out_has '(revisit by policy)'
for f in "$F1" "$F2" "$F3"; do rc 0 "$TSM" followup done "$f"; done
rc 0 "$TSM" call next --json
jqe ".reason == \"revisit\" and .customer.id == \"$B\" and .followup == \"rv:$B\""
# The policy's cadence moves the computed due time.
rc 0 "$TSM" policy set revisit_days 60
rc 0 "$TSM" followup list --due all --json
jq -e --arg c "$B" '.[] | select(.id == "rv:" + $c) | .due == "2027-01-31T11:00:00+08:00"' "$OUT" >/dev/null ||
	fail "cadence not applied: $(cat "$OUT")"
rc 0 "$TSM" policy set revisit_days 30
rc 0 "$TSM" followup done "rv:$B" --satisfaction 5 --feedback '很好'
RV=$(awk '{print $2}' "$OUT")
grep -Eq '^f[0-9a-f]{12}$' <<<"$RV" || fail "revisit done printed $(cat "$OUT")"
rc 0 "$TSM" customer show "$B" --json
jq -e --arg f "$RV" '.followups[] | select(.id == $f) | .kind == "revisit" and .done and .satisfaction == 5' \
	"$OUT" >/dev/null || fail "revisit not stored: $(cat "$OUT")"
rc 0 "$TSM" followup list --due all --json
jq -e --arg c "$B" '.[] | select(.id == "rv:" + $c) | .due == "2027-02-03T10:00:00+08:00"' "$OUT" >/dev/null ||
	fail "next revisit not 30 days on: $(cat "$OUT")"
unchanged rc 1 "$TSM" followup done "rv:$A"
err_has 'no revisit due'

echo "== members"
rc 0 "$TSM" followup list --member mgr --due all --done --json
jqe 'length == 5'
rc 0 "$TSM" followup list --member ghost --due all --json
jqe 'length == 0'
rc 0 "$TSM" followup list --team --due all
out_has 'OWNER'

echo "== bad input: clear message, exit code, store unchanged"
unchanged rc 1 "$TSM" followup add c000000000000 --due tomorrow
err_has "no customer 'c000000000000'"
unchanged rc 1 "$TSM" followup add "$A" --due 2027-02-30
err_has "invalid time '2027-02-30'"
unchanged rc 1 "$TSM" followup add "$A" --due someday
err_has "invalid time 'someday'"
unchanged rc 1 "$TSM" followup add "$A" --due 2026-12-01
err_has 'in the past'
unchanged rc 1 "$TSM" followup add "$A" --due tomorrow --kind meeting
err_has "unknown kind 'meeting'"
unchanged rc 1 "$TSM" followup done fffffffffffff
err_has "no follow-up 'fffffffffffff'"
unchanged rc 1 "$TSM" followup done "${F2:0:3}" # a prefix needs 4+ characters
err_has "no follow-up '${F2:0:3}'"
unchanged rc 1 "$TSM" followup done "$F2" --satisfaction 9
err_has "invalid satisfaction '9'"
unchanged rc 1 "$TSM" followup reschedule "$F2" --due 'tomorrow 24:30'
err_has 'invalid time'
unchanged rc 1 "$TSM" followup list --due soon
err_has "invalid --due 'soon'"
unchanged rc 2 "$TSM" followup done
unchanged rc 2 "$TSM" followup reschedule "$F2"
unchanged rc 2 "$TSM" followup add "$A" --due tomorrow --frob

echo "ok"
