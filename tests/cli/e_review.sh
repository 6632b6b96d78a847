#!/usr/bin/env bash
# tests/cli/e_review.sh — `tsm review list|resolve` across three replicas (a
# manager, a lead and an agent; invite, join and sync over a local bare
# repository) on a fixed clock: a concurrent name edit queued as a conflict
# and listed with both sides; resolving it with the losing side changes the
# name and closes the item on every replica after sync; a suspected
# duplicate merged, its calls and orders following the survivor; a
# do-not-call violation acknowledged with a note; an agent's resolve and a
# lead's merge refused with nothing written; every wrong choice refused.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TZ=Asia/Shanghai
printf 'review test pass\n' >"$tmp/pw"

# rc WANT STORE ARGS...: tsm -C $tmp/STORE ARGS, its exit code checked.
rc() { rc_in "$@"; }
# sync STORE: a sync that exits 0, or 4 when review items arrive
sync() { rc '0|4' "$1" sync; }
sync_all() { for s in mgr lee ann mgr lee ann; do sync "$s"; done; }
# nothing STORE WANT ARGS...: the command exits WANT and leaves STORE as
# it was (its state hash and ops).
nothing() { unchanged -C "$tmp/$1" rc "$2" "$1" "${@:3}"; }
at() { export TSM_NOW="2026-11-$1T$2:00+08:00"; }
# item KIND: the id of the one open item of KIND on the manager's replica
item() {
	rc 0 mgr review list --kind "$1" --json
	jq -r 'if length == 1 then .[0].id else "none" end' "$OUT"
}

echo "== setup: manager, lead, agent"
at 20 09:00
for m in mgr lee ann; do
	TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$m" init --member "$m" --name "Person $m" --kdf interactive
	TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$m" unlock
done
git init -q --bare "$tmp/central.git"
rc 0 mgr team create --remote "$tmp/central.git"
rc 0 mgr member invite lee --role lead --name 'Lee Lead'
rc 0 lee join --invite "$(cat "$OUT")"
rc 0 mgr member invite ann --role agent --name 'Ann Agent'
rc 0 ann join --invite "$(cat "$OUT")"
sync_all
rc 0 mgr review list
out_has '^nothing to review$'

echo "== the agent's customers"
at 21 10:00
rc 0 ann customer add --name 'Customer Alpha' --phone '+86 138 0000 5001'
a1=$(tail -n 1 "$OUT")
rc 0 ann customer add --name 'Customer Zeta' --phone '+86 138 0000 5002'
z=$(tail -n 1 "$OUT")
rc 0 ann customer add --name 'Duplicate By Ann' --phone '+86 138 0000 5555'
x=$(tail -n 1 "$OUT")
at 21 10:30
rc 0 ann call log "$x" --outcome interested --duration 90
rc 0 ann call log "$x" --outcome order --duration 200 --service retainer --amount 5000
sync_all

echo "== offline and concurrent: a name conflict, a duplicate, a violation"
at 21 11:00
rc 0 mgr customer add --name 'Duplicate By Manager' --phone '+86 138 0000 5555'
y=$(tail -n 1 "$OUT")
rc 0 mgr customer edit "$y" --owner ann
at 22 10:00
rc 0 ann customer edit "$a1" --name 'Alpha By Ann'
at 22 10:30
rc 0 mgr dnc add "$z"
at 22 11:00
rc 0 mgr customer edit "$a1" --name 'Alpha By Manager'
at 22 12:00
# ann's replica does not know yet that z is on the do-not-call list
rc 0 ann call log "$z" --outcome no-answer
at 22 18:00
sync_all

echo "== list: every replica sees the three items, with both sides"
for s in mgr lee ann; do
	rc 0 "$s" review list --json
	jqe 'length == 3 and (map(.kind) | sort) == ["conflict", "duplicate", "violation"]'
	jqe 'all(.open)'
done
conflict=$(item conflict)
dup=$(item duplicate)
violation=$(item violation)
rc 0 mgr review list --kind conflict --json
jqe ".[0].etype == \"customer\" and .[0].eid == \"$a1\" and .[0].field == \"name\""
jqe '.[0].label == "Alpha By Manager" and (.[0].sides | length) == 2'
jqe '.[0].sides[0] | .label == "A" and .value == "Alpha By Ann" and .author == "ann" and (.current | not)'
jqe '.[0].sides[1] | .label == "B" and .value == "Alpha By Manager" and .author == "mgr" and .current'
# times: 2026-11-22 10:00 and 11:00 +08:00
jqe '.[0].sides[0].at == 1795312800000 and .[0].sides[1].at == 1795316400000'
jqe '(.[0].sides[0].op | test("^[0-9a-f]{16}:[0-9]+$")) and (.[0].ops | length) == 2'
rc 0 mgr review list --kind duplicate --json
jqe "(.[0].sides | map(.customer) | sort) == ([\"$x\", \"$y\"] | sort)"
jqe '.[0].sides | map(.info) | any(test("^Duplicate By Ann, 2 calls, 1 order"))'
rc 0 mgr review list --kind violation --json
jqe ".[0].eid == \"$z\" and .[0].sides[0].info == \"call no-answer\" and .[0].sides[0].author == \"ann\""
jqe '.[0].sides[1:] | map(.author) | all(. == "mgr")'
rc 0 mgr review list
out_has "^$conflict  conflict  customer $a1 (Alpha By Manager)  field name  "
out_has '^  A  Alpha By Ann  *ann  *2026-11-22 10:00  '
out_has '^  B  Alpha By Manager  *mgr  *2026-11-22 11:00  .*(current)$'
rc 0 mgr review list "${conflict:0:6}" --json
jqe "length >= 1 and .[0].id == \"$conflict\""
# listing exits 0 with open items (sync is what exits 4)
rc 0 mgr review list --kind violation
rc 2 mgr review list --kind frob
rc 2 mgr review list a b

echo "== refusals write nothing"
nothing ann 1 review resolve "$conflict" --choose A
err_has 'only a lead or manager may resolve review items'
nothing mgr 1 review resolve rffffffffffffffff --choose A
err_has "no review item 'rffffffffffffffff'"
nothing mgr 2 review resolve "$conflict"
nothing mgr 2 review resolve "$conflict" --choose A --dismiss
nothing mgr 2 review resolve --choose A
nothing mgr 1 review resolve "$conflict" --ack --note x
err_has 'resolved by a choice'
nothing mgr 1 review resolve "$conflict" --merge-into "$x"
err_has 'for duplicates'
nothing mgr 1 review resolve "$conflict" --choose ''
nothing mgr 1 review resolve "$violation" --choose A
err_has 'acknowledged (--ack with a note) or dismissed'
nothing mgr 1 review resolve "$violation" --ack
err_has 'takes a note'
nothing mgr 1 review resolve "$dup" --choose Q
err_has 'not one of this item'
nothing mgr 1 review resolve "$dup" --ack --note x
# merging takes a manager: the lead's merge is refused as a whole
nothing lee 1 review resolve "$dup" --merge-into "$y"
err_has 'only a manager may merge customers'

echo "== the conflict, resolved with the losing side"
rc 0 mgr review resolve "${conflict:0:8}" --choose A --note 'the agent spoke to them'
out_has "^resolved $conflict (conflict): A; 1 change written$"
rc 0 mgr customer show "$a1" --json
jqe '.name == "Alpha By Ann"'
rc 0 mgr review list --kind conflict --json
jqe 'length == 0'
rc 0 mgr review list --all --kind conflict --json
jqe "length == 1 and .[0].id == \"$conflict\" and (.[0].open | not) and .[0].closed_by_change"
jqe '.[0].choice == "A" and .[0].note == "the agent spoke to them" and .[0].resolved_by == "mgr"'
jqe '.[0].sides | map(.value) == ["Alpha By Ann", "Alpha By Manager"]'
nothing mgr 1 review resolve "$conflict" --choose B
err_has 'no review item'

echo "== the duplicate, merged: calls and orders follow the survivor"
rc 0 mgr review resolve "$dup" --merge-into "${y:0:6}" --json
jqe ".choice == \"merge-into:$y\" and .data_ops == 1 and .kind == \"duplicate\""
rc 0 mgr customer show "$y" --json
jqe ".id == \"$y\" and (.calls | length) == 2 and (.orders | length) == 1 and .orders[0].amount_fen == 500000"
rc 0 mgr customer list --json
jqe "map(.id) | index(\"$x\") == null"
nothing mgr 1 review resolve "$dup" --dismiss
err_has 'resolved already'

echo "== the violation, acknowledged by the lead"
sync lee
rc 0 lee review resolve "$violation" --ack --note 'called before the list reached the agent'
out_has '(violation): ack$'

echo "== after sync every replica agrees"
sync_all
for s in mgr lee ann; do
	rc 0 "$s" review list --json
	jqe 'length == 0'
	rc 0 "$s" review list --all --json
	jqe 'length == 3 and all(.open | not)'
	jqe "map(select(.kind == \"violation\"))[0] | .choice == \"ack\" and .resolved_by == \"lee\""
	rc 0 "$s" customer show "$a1" --json
	jqe '.name == "Alpha By Ann"'
done
# the agent's calls and order on the merged customer now sit on the survivor
rc 0 ann customer show "$y" --json
jqe "(.calls | length) == 2 and (.orders | length) == 1 and .owner == \"ann\""
rc 0 ann customer list --json
jqe "map(.id) | index(\"$x\") == null"
h=$("$TSM" -C "$tmp/mgr" customer list --json | jq -c 'map({id, name})')
[ "$("$TSM" -C "$tmp/ann" customer list --json | jq -c 'map({id, name})')" = "$h" ] ||
	fail "the agent's customers differ from the manager's"

echo "ok: e_review"
