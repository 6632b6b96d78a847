#!/usr/bin/env bash
# tests/cli/c_call.sh — `tsm call log` and `tsm call next`: every outcome's
# flags and stage move (read back from `customer show --json` and the op
# log), follow-ups, orders, revisits, do-not-call; bad input refused with
# the store unchanged; and the order `call next` chooses in, on a fixed
# clock: due callback before new lead, priority and age, do-not-call,
# calling hours in the customer's time zone, retry delay, maximum attempts.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
# Tuesday 2026-12-01; the clock only moves forward through this script.
export TSM_NOW=2026-12-01T10:00:00+08:00
printf 'call test pass\n' >"$tmp/pw"

at() { export TSM_NOW="2026-12-0$1+08:00"; }
# add NAME PHONE [FLAGS...]: a customer; its id in $ID.
add() {
	rc 0 "$TSM" customer add --name "$1" --phone "$2" "${@:3}"
	ID=$(cat "$OUT")
}
show() { rc 0 "$TSM" customer show "$1" --json; }
next_is() {
	rc 0 "$TSM" call next --json
	jqe ".customer.id == \"$1\"" 
}

echo "== setup"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member mgr --name '王经理' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"

echo "== help and usage"
rc 0 "$TSM" call --help
out_has 'tsm call log CUSTOMER --outcome O'
rc 2 "$TSM" call
rc 2 "$TSM" call frob
err_has "unknown subcommand"
rc 2 "$TSM" call next --frob
rc 2 "$TSM" call log
err_has "needs a CUSTOMER"

echo "== each outcome: flags and stage"
# outcome  stage-after  connected effective interested sale dnc revisit
n=1000
while read -r o st con eff int sale dnc rev; do
	n=$((n + 1))
	add "客户 $o" "138 0000 $n"
	C=$ID
	extra=()
	[ "$o" = order ] && extra=(--service retainer --amount 12000)
	[ "$o" = revisit-done ] && extra=(--satisfaction 4)
	rc 0 "$TSM" call log "$C" --outcome "$o" --duration 30 --note "note $o" "${extra[@]}" --json
	jqe ".outcome == \"$o\" and .customer == \"$C\" and .duration_s == 30"
	jqe ".connected == $con and .effective == $eff and .interested == $int"
	jqe ".sale == $sale and .dnc_request == $dnc and .revisit == $rev"
	jqe ".stage_before == \"new\" and .stage == \"$st\""
	CALL=$(jq -r .call "$OUT")
	show "$C"
	jqe ".stage == \"$st\" and (.calls | length) == 1"
	jqe ".calls[0].id == \"$CALL\" and .calls[0].outcome == \"$o\""
	jqe ".calls[0].duration_s == 30 and .calls[0].note == \"note $o\""
	jqe ".calls[0].connected == $con and .calls[0].effective == $eff"
	jqe ".calls[0].interested == $int and .calls[0].sale == $sale"
	jqe ".calls[0].dnc_request == $dnc and .calls[0].revisit == $rev"
	jqe ".dnc == $dnc"
	# The stage move is a set(stage) op in the log, only when it moves.
	rc 0 "$TSM" debug ops --json
	nst=$(jq "[.[] | select(.eid == \"$C\" and .action == \"set\" and .field == \"stage\")] | length" "$OUT")
	if [ "$st" = new ]; then [ "$nst" = 0 ] || fail "$o wrote a stage op"
	else [ "$nst" = 1 ] || fail "$o: $nst stage ops"; fi
	eval "C_${o//-/_}=$C"
done <<'EOF'
no-answer new false false false false false false
busy new false false false false false false
invalid-number new false false false false false false
gatekeeper new true false false false false false
not-interested contacted true true false false false false
callback contacted true true false false false false
interested interested true true true false false false
order won true true true true false false
dnc-request contacted true false false false true false
revisit-done new true false false false false true
EOF

echo "== order: the order is written with the call"
show "$C_order"
jqe '(.orders | length) == 1 and .orders[0].service == "retainer"'
jqe '.orders[0].amount_fen == 1200000 and .orders[0].created_by == "mgr"'

echo "== dnc-request: the customer and its number are listed"
rc 0 "$TSM" dnc list --json
PHONE=$("$TSM" customer show "$C_dnc_request" --json | jq -r .phone)
jq -e --arg p "$PHONE" '[.[] | select(.phone == $p and .listed)] | length == 1' "$OUT" >/dev/null ||
	fail "dnc list lacks $PHONE: $(cat "$OUT")"

echo "== talk time makes a connected call effective (policy threshold)"
add '门卫' '138 0000 2001'
rc 0 "$TSM" call log "$ID" --outcome gatekeeper --duration 1:30 --json
jqe '.effective == true and .connected == true and .duration_s == 90 and .stage == "new"'
rc 0 "$TSM" call log "$ID" --outcome gatekeeper --duration 59s --json
jqe '.effective == false'
rc 0 "$TSM" policy set effective_seconds 45
rc 0 "$TSM" call log "$ID" --outcome gatekeeper --duration 50 --json
jqe '.effective == true'
rc 0 "$TSM" policy set effective_seconds 60

echo "== the stage never moves back by a call; lost moves only on interest"
rc 0 "$TSM" call log "$C_interested" --outcome not-interested --json
jqe '.stage_before == "interested" and .stage == "interested"'
rc 0 "$TSM" call log "$C_order" --outcome interested --json
jqe '.stage == "won"'
add '流失客户' '138 0000 2002'
L=$ID
rc 0 "$TSM" customer edit "$L" --stage lost
rc 0 "$TSM" call log "$L" --outcome callback --json
jqe '.stage_before == "lost" and .stage == "lost"'
rc 0 "$TSM" call log "$L" --outcome interested --json
jqe '.stage == "interested"'

echo "== follow-ups: callback kind, completion by a connected call"
add '回电客户' '138 0000 2003'
CB=$ID
rc 0 "$TSM" call log "$CB" --outcome callback --followup 'today 16:00' --followup-note '下午再打' --json
jqe '.followup.kind == "callback" and .followup.due == "2026-12-01T16:00:00+08:00"'
F1=$(jq -r .followup.id "$OUT")
rc 0 "$TSM" call log "$CB" --outcome busy --json
jqe '.completed == []'
rc 0 "$TSM" call log "$CB" --outcome interested --followup '+2d' --json
jqe ".completed == [\"$F1\"] and .followup.kind == \"followup\""
jqe '.followup.due == "2026-12-03T10:00:00+08:00"'
show "$CB"
jq -e --arg f "$F1" '.followups[] | select(.id == $f) | .done == true' "$OUT" >/dev/null || fail "$F1 not done"
rc 0 "$TSM" call log "$CB" --outcome callback
err_has 'no follow-up set'

echo "== revisit-done: satisfaction, feedback, complaint"
rc 0 "$TSM" followup add "$C_order" --due 'today 11:00' --kind revisit
RV=$(cut -d' ' -f2 "$OUT")
rc 0 "$TSM" call log "$C_order" --outcome revisit-done --duration 3:00 --satisfaction 2 \
	--feedback '服務還行' --complaint '律師回覆太慢' --json
jqe ".completed == [\"$RV\"] and .revisit == true and .stage == \"won\""
jqe '.followup.kind == "followup" and .followup.due == "2026-12-02T09:00:00+08:00"'
show "$C_order"
jq -e --arg f "$RV" '.followups[] | select(.id == $f) | .done and .satisfaction == 2 and .feedback == "服務還行"' \
	"$OUT" >/dev/null || fail "revisit $RV not done with satisfaction: $(cat "$OUT")"
jqe '[.feedback[] | select(.text == "服務還行" and .satisfaction == 2)] | length == 1'
jqe '[.feedback[] | select(.text == "complaint: 律師回覆太慢")] | length == 1'
jqe '[.followups[] | select(.done == false and (.note // "" | startswith("complaint: ")))] | length == 1'

echo "== bad input: clear message, exit code, store unchanged"
add '好客户' '138 0000 2004'
G=$ID
unchanged rc 1 "$TSM" call log c000000000000 --outcome busy
err_has "no customer 'c000000000000'"
unchanged rc 1 "$TSM" call log "$G" --outcome maybe
err_has "unknown outcome 'maybe'; expected one of no-answer, busy, invalid-number"
unchanged rc 1 "$TSM" call log "$G" --outcome busy --followup 2026-13-45
err_has "invalid time '2026-13-45'"
unchanged rc 1 "$TSM" call log "$G" --outcome busy --followup 'tomorrow 25:00'
err_has "invalid time"
unchanged rc 1 "$TSM" call log "$G" --outcome busy --followup 2026-11-20
err_has "in the past"
unchanged rc 1 "$TSM" call log "$G" --outcome interested --duration -5
err_has "invalid duration '-5': talk time cannot be negative"
unchanged rc 1 "$TSM" call log "$G" --outcome interested --duration 1:75
err_has "invalid duration"
unchanged rc 1 "$TSM" call log "$G" --outcome interested --duration abc
err_has "invalid duration 'abc'"
unchanged rc 1 "$TSM" call log "$C_dnc_request" --outcome interested
err_has "is on the do-not-call list"
# A number listed on its own makes its customer do-not-call too.
add '号码在名单' '138 0000 2005'
rc 0 "$TSM" dnc add '+86 138 0000 2005'
unchanged rc 1 "$TSM" call log "$ID" --outcome busy
err_has "is on the do-not-call list"
unchanged rc 1 "$TSM" call log "$G" --outcome order --service retainer --amount -5
err_has "invalid amount"
unchanged rc 1 "$TSM" call log "$G" --outcome order --service nosuch --amount 100
err_has "nosuch"
unchanged rc 1 "$TSM" call log "$G" --outcome revisit-done --satisfaction 7
err_has "invalid satisfaction '7'"
unchanged rc 1 "$TSM" call log "$G" --outcome busy --service retainer
err_has "order details go with --outcome order"
unchanged rc 1 "$TSM" call log "$G" --outcome busy --at 'tomorrow 10:00'
err_has "in the future"
unchanged rc 2 "$TSM" call log "$G"
err_has "needs --outcome"
unchanged rc 2 "$TSM" call log "$G" --outcome busy --frob
unchanged rc 2 "$TSM" call log "$G" --outcome order --amount 100
err_has "needs --service and --amount"
unchanged rc 2 "$TSM" call log "$G" --outcome revisit-done
err_has "needs --satisfaction"
unchanged rc 2 "$TSM" call log "$G" "$G" --outcome busy

echo "== call next: a fresh store for the ordering"
"$TSM" lock >/dev/null 2>&1 || true
export TSM_HOME="$tmp/s2"
at '1T10:00:00'
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member a1 --name '李坐席' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central2.git"
rc 0 "$TSM" team create --remote "$tmp/central2.git"
rc 0 "$TSM" call next
out_has 'nothing to call now: no due follow-ups, revisits or new leads'
rc 0 "$TSM" call next --json
jqe '.customer == null and .reason == null and .candidates == 0'

# Created apart: L1 oldest (normal), UK (high, London), L2 (high), L3
# (low); CB later.
add '一号' '138 0000 3001'
L1=$ID
at '1T10:00:30'
add 'Oliver Example' '+44 20 7946 0001' --priority high
UK=$ID
at '1T10:01:00'
add '二号' '138 0000 3002' --priority high
L2=$ID
at '1T10:02:00'
add '三号' '138 0000 3003' --priority low
L3=$ID
at '1T10:03:00'

echo "== priority first, then age; a London number is outside its hours at 10:03 Shanghai"
next_is "$L2"
jqe '.reason == "new" and .followup == null and .customer.zone == "Asia/Shanghai"'
jqe '.skipped.outside_hours == 1 and .script.lang == "zh"'
jq -r .script.text "$OUT" | grep -q '您好，請問是二号先生/女士嗎？我是.*的李坐席，打擾您了' ||
	fail "script not rendered: $(jq -r .script.text "$OUT")"
rc 0 "$TSM" call next
out_has "二号"
out_has "new lead"
out_has '感謝您的接聽，祝您生活愉快，再見！'
rc 0 "$TSM" call next --any-time --json
jqe ".customer.id == \"$UK\" and .script.lang == \"en\" and .customer.zone == \"Europe/London\""

echo "== --script: a team script on the card, in its own language"
printf '[opening]\n{customer.name}，您好！我是{agent.name}，想和您谈谈遗嘱服务。\n' >"$tmp/will.txt"
rc 0 "$TSM" script add will --file "$tmp/will.txt"
rc 0 "$TSM" call next --any-time --script will --json
jqe ".customer.id == \"$UK\" and .script.name == \"will\" and .script.lang == \"zh\""
jqe '.script.text | test("^\\[opening\\]\nOliver Example，您好！我是李坐席，想和您谈谈遗嘱服务。")'
rc 0 "$TSM" call next --script default-en
out_has '^-- script default-en --$'
out_has '^Hello, may I speak with Mr/Ms 二号?'
unchanged rc 1 "$TSM" call next --script nope
err_has "no script 'nope'"
unchanged rc 2 "$TSM" call next --script

echo "== retry delay after no answer"
rc 0 "$TSM" call log "$L2" --outcome no-answer
next_is "$L1"
jqe '.skipped.retry_delay == 1 and .next_retry == "2026-12-01T12:03:00+08:00"'

echo "== do-not-call is skipped"
rc 0 "$TSM" dnc add "$L1"
next_is "$L3"
jqe '.skipped.dnc == 1'

echo "== a due callback comes before new leads"
add '回电' '138 0000 3004' --priority high
CB=$ID
rc 0 "$TSM" call log "$CB" --outcome callback --followup 'today 10:30'
F=$(jq -r '.followups[0].id' <("$TSM" customer show "$CB" --json))
next_is "$L3"
at '1T10:31:00'
next_is "$CB"
jqe ".reason == \"callback\" and .followup == \"$F\" and .due == \"2026-12-01T10:30:00+08:00\""
rc 0 "$TSM" call next
out_has 'callback due 2026-12-01 10:30'
rc 0 "$TSM" call log "$CB" --outcome interested --duration 95
next_is "$L3"

echo "== lunch break: nothing callable, with the reasons"
at '1T12:10:00'
rc 0 "$TSM" call next
out_has 'nothing to call now:'
out_has 'outside calling hours (next opening 2026-12-01 13:30)'
rc 0 "$TSM" call next --json
jqe '.customer == null and .reason == null and .next_open == "2026-12-01T13:30:00+08:00"'
jqe '.skipped.outside_hours == 3 and .skipped.dnc == 1 and (.message | startswith("nothing to call now"))'

echo "== after the retry delay the lead comes back"
at '1T13:30:00'
next_is "$L2"

echo "== maximum attempts"
rc 0 "$TSM" policy set max_attempts 2
rc 0 "$TSM" call log "$L2" --outcome busy
at '1T16:00:00'
next_is "$L3"
jqe '.skipped.exhausted == 1'
rc 0 "$TSM" policy set max_attempts 3
next_is "$L2"
rc 0 "$TSM" policy set max_attempts 2

echo "== invalid number: out until the phone is edited"
rc 0 "$TSM" call log "$L3" --outcome invalid-number
rc 0 "$TSM" call next --json
jqe '.customer == null and .skipped.invalid_number == 1 and .skipped.exhausted == 1'
at '1T16:01:00'
rc 0 "$TSM" customer edit "$L3" --phone '138 0000 3013'
next_is "$L3"

echo "== evening: outside calling hours (London reopens after its lunch)"
at '1T20:00:00'
rc 0 "$TSM" call next
out_has 'outside calling hours (next opening 2026-12-01 21:30)'
rc 0 "$TSM" call next --json
jqe '.customer == null and .skipped.outside_hours >= 2'

echo "== London opens at 09:00 London = 17:00 Shanghai"
at '2T10:00:00'
next_is "$L3"
at '2T17:00:00'
next_is "$UK"
jqe '.customer.zone == "Europe/London" and .script.name == "default-en"'

echo "ok"
