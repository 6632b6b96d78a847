#!/usr/bin/env bash
# tests/cli/c_today.sh — `tsm today`: the day's dials, connected, effective
# (by outcome or by the policy's talk-time threshold), interested, orders,
# revenue and talk time; follow-ups overdue, due and done; revisits due; the
# policy's daily targets; the month's target ("no target set", then
# progress once `tsm target set` gives one); --json checked field by field;
# calls of other days left out.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
printf 'today test pass\n' >"$tmp/pw"

add() {
	rc 0 "$TSM" customer add --name "$1" --phone "$2" "${@:3}"
	ID=$(cat "$OUT")
}
log() { rc 0 "$TSM" call log "$@"; }

echo "== setup, 40 days back: a client signed then"
export TSM_NOW=2026-10-22T10:00:00+08:00
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member a1 --name '李坐席' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
add '老客户' '138 0000 0001'
OLD=$ID
log "$OLD" --outcome order --service retainer --amount 8000 --duration 600

echo "== an empty day"
export TSM_NOW=2026-11-30T15:00:00+08:00 # Monday
rc 0 "$TSM" today --json
jqe '.member == "a1" and .dials == 0 and .orders == 0 and .revenue_fen == 0 and .talk_s == 0'
jqe '.from == "2026-11-30T00:00:00+08:00" and .to == "2026-12-01T00:00:00+08:00"'
jqe '.revisits_due == 1 and .month.month == "2026-11" and .month.target == null'
rc 0 "$TSM" today
out_has 'today 2026-11-30'
out_has 'month 2026-11: no target set'
add '昨天' '138 0000 0002'
log "$ID" --outcome interested --duration 200

echo "== a day of calls"
export TSM_NOW=2026-12-01T10:00:00+08:00 # Tuesday
for i in 1 2 3 4 5 6; do add "客户$i" "138 0000 100$i"; eval "C$i=\$ID"; done
log "$C1" --outcome no-answer
log "$C2" --outcome gatekeeper --duration 1:30             # effective by talk time
log "$C3" --outcome interested --duration 120 --followup 'today 11:00'
log "$C4" --outcome order --service contract-review --amount 3,500.50 --duration 300
log "$C5" --outcome dnc-request --duration 10
log "$C6" --outcome callback --duration 40 --followup 'today 16:00'
rc 0 "$TSM" followup add "$C1" --due 'today 10:30'
F=$(cut -d' ' -f2 "$OUT")
export TSM_NOW=2026-12-01T14:00:00+08:00
rc 0 "$TSM" followup done "$F"
rc 0 "$TSM" today --json
jqe '.dials == 6 and .connected == 5 and .effective == 4 and .interested == 2'
jqe '.sales == 1 and .dnc_requests == 1 and .orders == 1 and .revenue_fen == 350050'
jqe '.talk_s == (90 + 120 + 300 + 10 + 40) and .effective_seconds == 60'
jqe '.followups.overdue == 1 and .followups.due_today == 1 and .followups.done_today == 1'
jqe '.revisits_due == 1 and .revisits_done == 0'
jqe '.daily_target.dials == null and .month.month == "2026-12" and .month.target == null'
rc 0 "$TSM" today
out_has 'today 2026-12-01'
out_has 'dials       6'
out_has 'effective   4'
out_has '¥3,500.50'
out_has 'talk time   9m20s'
out_has '1 overdue, 1 due later today, 1 done today'
out_has 'month 2026-12: no target set'

echo "== the effective threshold is the policy's, applied to the day's calls"
rc 0 "$TSM" policy set effective_seconds 5
rc 0 "$TSM" today --json
jqe '.effective == 5 and .effective_seconds == 5'
rc 0 "$TSM" policy set effective_seconds 60

echo "== daily targets from the policy"
rc 0 "$TSM" policy set target_dials 12
rc 0 "$TSM" policy set target_orders 2
rc 0 "$TSM" today --json
jqe '.daily_target.dials == 12 and .daily_target.orders == 2 and .daily_target.effective == null'
rc 0 "$TSM" today
out_has 'daily target:'
out_has 'dials       6 / 12  (50%)'
out_has 'orders      1 / 2  (50%)'

echo "== the month's target (the team's target entity MEMBER:YYYY-MM)"
rc 0 "$TSM" target set --member a1 --calls 100 --revenue 50000
rc 0 "$TSM" today --json
jqe '.month.month == "2026-12" and .month.target.dials.target == 100 and .month.target.dials.done == 6'
jqe '.month.target.revenue_fen.target == 5000000 and .month.target.revenue_fen.done == 350050'
jqe '(.month.target | has("orders") | not) and (.month.target | has("effective") | not)'
rc 0 "$TSM" today
out_has 'month 2026-12:'
out_has 'dials       6 / 100  (6%)'
out_has 'revenue     ¥3,500.50 / ¥50,000.00  (7%)'

echo "== a revisit done today"
log "$OLD" --outcome revisit-done --satisfaction 5 --duration 60
rc 0 "$TSM" today --json
jqe '.revisits_due == 0 and .revisits_done == 1 and .dials == 7'

echo "== usage"
rc 2 "$TSM" today --frob
rc 2 "$TSM" today extra

echo "ok"
