#!/usr/bin/env bash
# tests/cli/c_dial.sh — `tsm dial`: scripted sessions fed on stdin. Three
# calls logged in one session (no-answer, interested with a follow-up, order)
# and the resulting state checked; skip, bad answers asked again, the end of
# input, q, --limit, --json (the summary alone on stdout, prompts on stderr).
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-12-01T10:00:00+08:00 # Tuesday
printf 'dial test pass\n' >"$tmp/pw"

# dial WANT INPUT [ARGS...]: runs `tsm dial` with INPUT on stdin.
dial() {
	local want=$1 input=$2 got=0
	shift 2
	printf '%b' "$input" | "$TSM" dial "$@" >"$OUT" 2>"$ERR" || got=$?
	[ "$got" -eq "$want" ] || { cat "$OUT" >&2; fail "dial exit $got, want $want"; }
}
add() {
	rc 0 "$TSM" customer add --name "$1" --phone "$2" "${@:3}"
	ID=$(cat "$OUT")
}
show() { rc 0 "$TSM" customer show "$1" --json; }

echo "== setup: three leads, called high, normal, low"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member a1 --name '李坐席' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
add '一号' '138 0000 0001'
N1=$ID
add '二号' '138 0000 0002' --priority high
N2=$ID
add '三号' '138 0000 0003' --priority low
N3=$ID

echo "== a session of three calls"
# N2: no-answer, no talk time, no note, no follow-up.
# N1: interested, 2 minutes, a note, a follow-up tomorrow 10:00.
# N3: order, 5 minutes, retainer, 12,000 yuan, default term, a note, none.
dial 0 'no-answer\n\n\n\ninterested\n120\nwants a quote\ntomorrow 10:00\norder\n5:00\nretainer\n12000\n\nsigned\n\nq\n'
out_has 'session: 3 calls, talk time 7m00s (nothing to call)'
out_has 'no-answer 1, interested 1, order 1'
out_has 'follow-ups set 1, orders 1 (¥12,000.00), skipped 0'
# Cards and scripts go to stdout, in order; prompts to stderr.
[ "$(grep -c '^== ' "$OUT")" = 3 ] || fail "want three cards: $(cat "$OUT")"
grep '^== ' "$OUT" | sed -n 1p | grep -q '二号' || fail 'first card not N2'
grep '^== ' "$OUT" | sed -n 2p | grep -q '一号' || fail 'second card not N1'
grep '^== ' "$OUT" | sed -n 3p | grep -q '三号' || fail 'third card not N3'
out_has '感謝您的接聽，祝您生活愉快，再見！'
out_lacks 'outcome ['
err_has 'outcome \[1 no-answer'
err_has 'talk time \[seconds or MM:SS'
err_has 'follow-up WHEN'
# The state: calls, stages, the follow-up and the order.
show "$N2"
jqe '.stage == "new" and (.calls | length) == 1 and .calls[0].outcome == "no-answer"'
jqe '.calls[0].duration_s == 0 and .calls[0].note == null'
show "$N1"
jqe '.stage == "interested" and (.calls | length) == 1 and .calls[0].outcome == "interested"'
jqe '.calls[0].duration_s == 120 and .calls[0].note == "wants a quote" and .calls[0].effective'
jqe '(.followups | length) == 1 and .followups[0].kind == "followup"'
jqe '.followups[0].due == "2026-12-02T10:00:00+08:00" and .followups[0].done == false'
show "$N3"
jqe '.stage == "won" and .calls[0].outcome == "order" and .calls[0].duration_s == 300'
jqe '.calls[0].note == "signed" and .calls[0].sale'
jqe '(.orders | length) == 1 and .orders[0].service == "retainer" and .orders[0].amount_fen == 1200000'
jqe '.orders[0].term_months == 12'

echo "== skip, bad answers asked again, end of input"
add '四号' '138 0000 0004' --priority high
N4=$ID
export TSM_NOW=2026-12-01T10:01:00+08:00 # N4 is older than N5
add '五号' '138 0000 0005' --priority high
N5=$ID
add '六号' '138 0000 0006'
# N4 skipped; N5: an unknown outcome and a bad talk time are asked again,
# then busy, 30 s; the input ends at the next customer's outcome.
dial 0 'frob\ns\nbusy\n7x\n30\n\n\n'
err_has "unknown outcome 'frob'"
err_has "invalid duration '7x'"
out_has "skipped $N4"
out_has 'session: 1 call, talk time 30s (end of input)'
out_has 'busy 1'
out_has 'skipped 1'
show "$N4"
jqe '(.calls | length) == 0'
show "$N5"
jqe '(.calls | length) == 1 and .calls[0].outcome == "busy" and .calls[0].duration_s == 30'

echo "== q quits; an unanswered answer logs nothing"
dial 0 'q\n'
out_has 'session: 0 calls, talk time 0s (quit)'
# --script shows that script on the card; an unknown one is refused first.
dial 0 'q\n' --script default-en
out_has '^-- script default-en --$'
out_has '^Hello, may I speak with Mr/Ms '
dial 1 'q\n' --script nope
err_has "no script 'nope'"
[ ! -s "$OUT" ] || fail "a card before the refusal: $(cat "$OUT")"
show "$N4"
jqe '(.calls | length) == 0'
# The input ends in the middle of a customer: nothing logged for it.
dial 0 'interested\n60\n'
out_has 'session: 0 calls'
show "$N4"
jqe '(.calls | length) == 0'

echo "== --limit, prefixes and numbers; --json summary on stdout alone"
dial 0 'gate\n45\nreceptionist\n\n7\n90\n\n\n' --limit 1 --json
jqe '.calls == 1 and .by_outcome.gatekeeper == 1 and .talk_s == 45 and .ended == "limit reached"'
jqe ".logged[0].customer == \"$N4\" and .logged[0].outcome == \"gatekeeper\" and .logged[0].followup == null"
err_has '^== '
show "$N4"
jqe '.calls[0].outcome == "gatekeeper" and .calls[0].note == "receptionist" and .stage == "new"'

echo "== an order's answers and a revisit's, by number"
export TSM_NOW=2027-01-05T10:00:00+08:00 # N3's revisit is due (won 35 days ago)
F=$("$TSM" customer show "$N1" --json | jq -r '.followups[0].id')
rc 0 "$TSM" followup done "$F"
dial 0 '10\n3:00\n6\n5\nvery helpful\n\nfine\n\nq\n' --limit 1
out_has 'revisit due'
out_has 'revisit-done 1'
err_has "invalid satisfaction '6'"
show "$N3"
jqe '.calls[0].outcome == "revisit-done" and .calls[0].revisit and .calls[0].duration_s == 180'
jqe '[.feedback[] | select(.satisfaction == 5 and .text == "very helpful")] | length == 1'

echo "== nothing to call"
export TSM_NOW=2027-01-05T20:00:00+08:00
dial 0 ''
out_has 'nothing to call now:'
out_has 'session: 0 calls'

echo "ok"
