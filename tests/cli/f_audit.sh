#!/usr/bin/env bash
# tests/cli/f_audit.sh — `tsm audit`: a manager, two agents and an auditor
# around a central bare repository; edits by several members, an owner
# change that makes an offline agent's edit rejected, a conflict resolved
# by the manager and one left open: `audit log --json` and `audit blame
# --json` checked row by row; the auditor's writes refused; tampering in
# the central repository (an altered batch, a deleted middle batch, a
# forged signature, a batch replayed from another site) fails `audit verify`
# (also --remote) naming the site and commit, and no replica applies it;
# signed exports verify and one edited byte fails check-export.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
command -v git >/dev/null || { echo "f_audit: git is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "f_audit: python3 is required" >&2; exit 1; }
tsm_tmp
export TZ=Asia/Shanghai
export GIT_AUTHOR_NAME=tamper GIT_AUTHOR_EMAIL=tamper@invalid
export GIT_COMMITTER_NAME=tamper GIT_COMMITTER_EMAIL=tamper@invalid
printf 'audit test pass\n' >"$tmp/pw"
CENTRAL="$tmp/central.git"
git init -q --bare "$CENTRAL"

# at TIME WANT STORE ARGS...: rc_in WANT STORE ARGS at a fixed clock
# (2026-11-27 TIME).
at() {
	local when=$1
	shift
	TSM_NOW="2026-11-27T$when:00+08:00" rc_in "$@"
}
hash() { TSM_NOW="2026-11-27T12:00:00+08:00" "$TSM" -C "$tmp/$1" debug state-hash; }
site() { TSM_NOW="2026-11-27T12:00:00+08:00" "$TSM" -C "$tmp/$1" status --json | jq -r .site; }
# sync4 TIME STORE: a sync that must exit 0 or 4 (items queued for review).
sync4() { at "$1" '0|4' "$2" sync; }

echo "== setup: manager, two agents, an auditor"
for s in mgr a1 a2 aud other; do
	case $s in
	mgr) m=mgr n="Manager Person Wu" ;;
	a1) m=agent1 n="Agent Person Li" ;;
	a2) m=agent2 n="Agent Person Zhao" ;;
	aud) m=aud n="Auditor Person Qian" ;;
	other) m=outsider n="Outsider Person Sun" ;;
	esac
	TSM_PASSPHRASE_FILE="$tmp/pw" at 09:59 0 "$s" init --member "$m" --name "$n" --kdf interactive
	TSM_PASSPHRASE_FILE="$tmp/pw" at 09:59 0 "$s" unlock
done
at 10:00 0 mgr team create --remote "$CENTRAL" --name "Team Audit Example"
at 10:00 0 mgr member invite agent1 --role agent --name "Agent Person Li"
code1=$(cat "$OUT")
at 10:00 0 mgr member invite agent2 --role agent --name "Agent Person Zhao"
code2=$(cat "$OUT")
at 10:00 0 mgr member invite aud --role auditor --name "Auditor Person Qian"
code3=$(cat "$OUT")
at 10:00 0 a1 join --invite "$code1"
at 10:00 0 a2 join --invite "$code2"
at 10:00 0 aud join --invite "$code3"
at 10:00 0 mgr sync --json
jq -e '.admitted == 3' "$OUT" >/dev/null || fail "admission: $(cat "$OUT")"
for s in a1 a2 aud; do at 10:00 0 "$s" sync; done
S_MGR=$(site mgr)
S_A1=$(site a1)
S_A2=$(site a2)

echo "== the history: edits, an owner change, an offline edit, conflicts"
at 10:01 0 mgr customer add --name "Customer Audit Example" --phone "+86 138 0000 2001"
C=$(tail -n 1 "$OUT")
at 10:02 0 mgr customer edit "$C" --owner agent1
at 10:02 0 mgr sync
at 10:02 0 a1 sync
at 10:03 0 a1 customer edit "$C" --company "Example Trading Co"
at 10:04 0 a1 customer edit "$C" --needs "annual contract review"
at 10:04 0 a1 sync
at 10:04 0 mgr sync
at 10:05 0 mgr customer edit "$C" --owner agent2
at 10:05 0 mgr sync
at 10:05 0 a2 sync
# agent1 is offline and still believes it owns the customer
at 10:06 0 a1 customer edit "$C" --region "Beijing"
# agent2 and the manager edit needs and industry concurrently
at 10:07 0 a2 customer edit "$C" --needs "trademark filing"
at 10:08 0 mgr customer edit "$C" --needs "patent search"
at 10:09 0 a2 customer edit "$C" --industry "Legal services"
at 10:10 0 mgr customer edit "$C" --industry "Consulting"
sync4 10:10 a1
sync4 10:10 a2
sync4 10:10 mgr
# the manager resolves the needs conflict, choosing agent2's side (written
# back as a new set) with a note
at 10:11 0 mgr review list --json
RID=$(jq -r '.[] | select(.field == "needs") | .id' "$OUT")
SIDE=$(jq -r '.[] | select(.field == "needs") | .sides[] | select(.author == "agent2") | .label' "$OUT")
at 10:11 0 mgr review resolve "$RID" --choose "$SIDE" --note "the client confirmed"
for s in mgr a1 a2 aud mgr a1 a2 aud; do sync4 10:11 "$s"; done
hm=$(hash mgr)
for s in a1 a2 aud; do [ "$(hash $s)" = "$hm" ] || fail "$s differs from the manager"; done

echo "== audit log: the exact history, as the auditor sees it"
at 10:12 0 aud audit log "$C" --json
got=$(jq -c '[.[] | [(.time | .[11:16]), .member, .role, .action, .field,
	(if .action == "create" then .new.name elif .action == "resolve" then .new.field else .old end),
	(if .action == "create" then .new.phone elif .action == "resolve" then .new.value else .new end),
	.status]]' "$OUT")
want='[["10:01","mgr","manager","create","","Customer Audit Example","+8613800002001","accepted"],'
want+='["10:02","mgr","manager","set","owner",null,"agent1","superseded"],'
want+='["10:03","agent1","agent","set","company",null,"Example Trading Co","accepted"],'
want+='["10:04","agent1","agent","set","needs",null,"annual contract review","superseded"],'
want+='["10:05","mgr","manager","set","owner","agent1","agent2","accepted"],'
want+='["10:06","agent1","agent","set","region",null,"Beijing","rejected"],'
want+='["10:07","agent2","agent","set","needs","annual contract review","trademark filing","superseded"],'
want+='["10:08","mgr","manager","set","needs","trademark filing","patent search","superseded"],'
want+='["10:09","agent2","agent","set","industry",null,"Legal services","superseded"],'
want+='["10:10","mgr","manager","set","industry","Legal services","Consulting","accepted"],'
want+='["10:11","mgr","manager","set","needs","patent search","trademark filing","accepted"],'
want+='["10:11","mgr","manager","resolve","","needs","trademark filing","accepted"]]'
[ "$got" = "$want" ] || fail "audit log history:
 got  $got
 want $want"
jqe 'all(.[]; .time | test("^2026-11-27T10:[0-9]{2}:00\\+08:00$"))'
jqe 'all(.[]; .customer == "'"$C"'")'
jqe 'all(.[:11][]; .etype == "customer" and .eid == "'"$C"'")'
# the resolution: the review item it closed, the side chosen, the note
jqe '.[11].etype == "review" and .[11].eid == "'"$RID"'" and .[11].new.choice == "'"$SIDE"'"'
jqe '.[11].new.note == "the client confirmed" and .[11].new.kind == "conflict"'
jqe '.[5].reason == "the agent neither created nor owns this customer"'
jqe '[.[] | select(.status != "rejected") | .reason] | all(. == null)'
jqe '[.[] | .name] == ["Manager Person Wu","Manager Person Wu","Agent Person Li",
	"Agent Person Li","Manager Person Wu","Agent Person Li","Agent Person Zhao",
	"Manager Person Wu","Agent Person Zhao","Manager Person Wu","Manager Person Wu",
	"Manager Person Wu"]'
# every op arrived in a batch verified at sync, each site in its own
jqe 'all(.[]; .signature == "verified" and (.batch | test("^[0-9a-f]{40}$")))'
jqe "all(.[]; (.member == \"mgr\") == (.site == \"$S_MGR\"))"
jqe "all(.[] | select(.member == \"agent1\"); .site == \"$S_A1\")"
for b in $(jq -r '.[].batch' "$OUT" | sort -u); do
	git -C "$CENTRAL" cat-file -e "$b^{commit}" || fail "batch $b is not in the central repository"
done
jq -c '[.[] | select(.site == "'"$S_A2"'") | .batch] | unique | length' "$OUT" >"$tmp/n"
[ "$(cat "$tmp/n")" -ge 1 ] || fail "agent2's batch missing"
# the manager's own replica: its ops are "own"
at 10:12 0 mgr audit log "$C" --json
jqe 'all(.[] | select(.member == "mgr"); .signature == "own")'
jqe 'all(.[] | select(.member != "mgr"); .signature == "verified")'
# an agent audits only customers it may see: agent1 no longer owns it
at 10:12 1 a1 audit log "$C" --json
err_has "no customer"
at 10:12 0 a2 audit log "$C" --json --field region
jqe 'length == 1 and .[0].status == "rejected" and .[0].new == "Beijing" and .[0].member == "agent1"'

echo "== audit log filters"
at 10:12 0 aud audit log "$C" --json --field needs
got=$(jq -c '[.[] | [.member, .old, .new]]' "$OUT")
want='[["agent1",null,"annual contract review"],["agent2","annual contract review","trademark filing"],'
want+='["mgr","trademark filing","patent search"],["mgr","patent search","trademark filing"]]'
[ "$got" = "$want" ] || fail "--field needs: $got"
at 10:12 0 aud audit log "$C" --json --field name
jqe 'length == 1 and .[0].action == "create" and .[0].field == "name" and .[0].new == "Customer Audit Example"'
at 10:12 0 aud audit log "$C" --json --member agent2
jqe 'length == 2 and all(.[]; .member == "agent2")'
at 10:12 0 aud audit log "$C" --json --from "2026-11-27 10:05" --to "2026-11-27 10:08"
jqe '[.[] | .time[11:16]] == ["10:05","10:06","10:07"]'
at 10:12 0 aud audit log "$C" --json --member mgr --from "2026-11-27 10:11"
jqe '[.[] | .action] == ["set","resolve"]'
at 10:12 0 aud audit log "$C" --json --from 2026-11-28
jqe 'length == 0'
at 10:12 0 aud audit log "$C" --json --from 2026-11-27 --to 2026-11-27
jqe 'length == 12'
at 10:12 0 aud audit log "$C"
out_has "audit log of customer $C: 12 ops"
out_has "rejected: the agent neither created nor owns this customer"
at 10:12 1 aud audit log c000000000000
err_has "no customer"
at 10:12 2 aud audit log "$C" --from "not a time"
at 10:12 2 aud audit log
at 10:12 2 aud audit frob

echo "== audit blame"
at 10:12 0 aud audit blame "$C" --json
got=$(jq -c '[.[] | [.field, .value, .member, .role, .action, (.time // "" | .[11:16]), .conflict]]' "$OUT")
want='[["name","Customer Audit Example","mgr","manager","create","10:01",false],'
want+='["phone","+8613800002001","mgr","manager","create","10:01",false],'
want+='["company","Example Trading Co","agent1","agent","set","10:03",false],'
want+='["industry","Consulting","mgr","manager","set","10:10",true],'
want+='["needs","trademark filing","mgr","manager","set","10:11",false],'
want+='["stage","new",null,null,null,"",false],'
want+='["owner","agent2","mgr","manager","set","10:05",false]]'
[ "$got" = "$want" ] || fail "audit blame:
 got  $got
 want $want"
# the industry winner won over agent2's concurrent write
at 10:12 0 aud audit log "$C" --json --field industry --member agent2
a2op=$(jq -r '.[0].id' "$OUT")
at 10:12 0 aud audit blame "$C" --json
jqe '.[3].against == ["'"$a2op"'"] and .[4].against == []'
jqe 'all(.[] | select(.op != null); .signature == "verified" and (.batch | length) == 40)'
at 10:12 0 aud audit blame "$C"
out_has "won over $a2op"

echo "== the auditor is read-only"
h=$(hash aud)
at 10:13 1 aud customer edit "$C" --name "Renamed By Auditor"
err_has "auditors are read-only"
at 10:13 1 aud customer add --name "Customer By Auditor" --phone "+86 138 0000 2009"
err_has "auditors are read-only"
at 10:13 1 aud customer delete "$C"
err_has "auditors are read-only"
at 10:13 1 aud call log "$C" --outcome no-answer
err_has "auditors are read-only"
at 10:13 1 aud followup add "$C" --due "2026-11-30 10:00"
err_has "auditors are read-only"
at 10:13 1 aud order add "$C" --service retainer --amount 100
err_has "auditors are read-only"
at 10:13 1 aud dnc add "+86 138 0000 2001"
err_has "auditors are read-only"
at 10:13 1 aud dnc remove "+86 138 0000 2001"
err_has "only a manager"
at 10:13 1 aud script add s1 --section opening=Hello
err_has "role auditor"
at 10:13 1 aud policy set calling_hours "mon-fri 09:00-18:00"
err_has "only a manager"
printf 'name,phone\nImport Person Example,13800002008\n' >"$tmp/imp.csv"
at 10:13 1 aud import "$tmp/imp.csv"
err_has "auditors are read-only"
at 10:13 1 aud member invite someone --role agent
err_has "only a manager"
[ "$(hash aud)" = "$h" ] || fail "a refused write changed the auditor's store"
at 10:13 0 aud sync --json
jq -e '.sent == 0' "$OUT" >/dev/null || fail "the auditor sent ops: $(cat "$OUT")"

echo "== audit verify: a clean history verifies, locally and on the remote"
at 10:14 0 aud audit verify
out_has "ok: the history verifies"
at 10:14 0 aud audit verify --json
jqe '.ok and .batches >= 8 and .roster_versions == 4 and (.failures | length) == 0 and .compared == .batches'
at 10:14 0 aud audit verify --remote --json
jqe '.ok and (.failures | length) == 0'
at 10:14 0 mgr audit verify --json
jqe '.ok'

# ---- tampering helpers (acting directly on the central repository) ----
REF="refs/tsm/sites/$S_A1"
g() { git -C "$CENTRAL" "$@"; }
# flip FILE OFFSET: inverts one byte in place.
flip() {
	python3 - "$1" "$2" <<'EOF'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read())
b[off] ^= 0x5a
open(p, 'wb').write(bytes(b))
EOF
}
# recommit COMMIT PARENT MSGFILE [ENVFILE]: a commit with COMMIT's tree (or
# its header and ENVFILE as env-team) on PARENT with the message in MSGFILE.
recommit() {
	local c=$1 parent=$2 msg=$3 env=${4:-} tree hdr blob
	if [ -n "$env" ]; then
		hdr=$(g rev-parse "$c:header.json")
		blob=$(g hash-object -w "$env")
		tree=$(printf '100644 blob %s\theader.json\n100644 blob %s\tenv-team\n' "$hdr" "$blob" | g mktree)
	else
		tree=$(g rev-parse "$c^{tree}")
	fi
	g commit-tree "$tree" -p "$parent" -F "$msg"
}
message() { g cat-file commit "$1" | sed '1,/^$/d' >"$2"; }
# expect_rejected STORE: a sync that refuses the tampered batch, state kept.
expect_rejected() {
	local h0
	h0=$(hash "$1")
	at 10:30 4 "$1" sync --json
	jq -e '(.rejections | length) >= 1' "$OUT" >/dev/null || fail "$1 accepted a tampered batch"
	[ "$(hash "$1")" = "$h0" ] || fail "$1 applied something of a tampered batch"
}
# expect_verify_fails COMMIT TEXT: audit verify (local and --remote) on the
# auditor fails and names agent1's site and COMMIT with TEXT.
expect_verify_fails() {
	at 10:31 4 aud audit verify
	grep -qF "site $S_A1: commit $1: $2" "$OUT" || fail "verify did not report '$2' for $1: $(cat "$OUT")"
	out_has "FAILED"
	at 10:31 4 aud audit verify --remote --json
	jq -e --arg c "$1" --arg s "$S_A1" '.ok == false and any(.failures[]; .site == $s and .commit == $c)' \
		"$OUT" >/dev/null || fail "verify --remote did not name $1: $(cat "$OUT")"
}
restore() {
	g update-ref "$REF" "$1"
	for s in aud mgr; do sync4 10:32 "$s"; done
	at 10:33 0 aud audit verify --remote
	out_has "ok: the history verifies"
}

echo "== tampering 1: an altered batch (a blob changed, same message)"
at 10:20 0 a1 customer add --name "Customer Tamper Example" --phone "+86 138 0000 2002"
C2=$(tail -n 1 "$OUT")
at 10:20 0 a1 sync
orig=$(g rev-parse "$REF")
g cat-file blob "$orig:env-team" >"$tmp/env"
flip "$tmp/env" 60
message "$orig" "$tmp/msg"
bad=$(recommit "$orig" "$orig^" "$tmp/msg" "$tmp/env")
g update-ref "$REF" "$bad" "$orig"
expect_rejected aud
expect_rejected mgr
expect_verify_fails "$bad" "bad signature"
at 10:31 1 aud customer show "$C2"
restore "$orig"
at 10:33 0 aud customer show "$C2" --json
jqe '.name == "Customer Tamper Example"'

echo "== tampering 2: a middle batch deleted (the chain rewritten without it)"
at 10:21 0 a1 customer edit "$C2" --company "Tamper Co One"
at 10:21 0 a1 sync
sync4 10:21 aud
sync4 10:21 mgr
mid=$(g rev-parse "$REF")
at 10:22 0 a1 customer edit "$C2" --company "Tamper Co Two"
at 10:22 0 a1 sync
tip=$(g rev-parse "$REF")
message "$tip" "$tmp/msg"
bad=$(recommit "$tip" "$mid^" "$tmp/msg")
g update-ref "$REF" "$bad" "$tip"
expect_rejected aud
expect_rejected mgr
expect_verify_fails "$bad" "bad signature"
at 10:31 4 aud audit verify
grep -qF "site $S_A1: commit $bad: history rewritten since last seen" "$OUT" ||
	fail "verify did not report the rewrite: $(cat "$OUT")"
at 10:31 0 aud customer show "$C2" --json
jqe '.company == "Tamper Co One"'
restore "$tip"

echo "== tampering 3: a forged signature"
at 10:23 0 a1 customer edit "$C2" --company "Tamper Co Three"
at 10:23 0 a1 sync
tip=$(g rev-parse "$REF")
message "$tip" "$tmp/msg"
other=$(g cat-file commit "$tip^" | sed -n 's/^Signature: //p')
sed -i "s/^Signature: .*/Signature: $other/" "$tmp/msg"
bad=$(recommit "$tip" "$tip^" "$tmp/msg")
[ "$bad" != "$tip" ] || fail "the forged commit equals the original"
g update-ref "$REF" "$bad" "$tip"
expect_rejected aud
expect_rejected mgr
expect_verify_fails "$bad" "bad signature"
restore "$tip"

echo "== tampering 4: a batch replayed from another site"
at 10:24 0 a1 customer edit "$C2" --company "Tamper Co Four"
at 10:24 0 a1 sync
tip=$(g rev-parse "$REF")
a2tip=$(g rev-parse "refs/tsm/sites/$S_A2")
message "$a2tip" "$tmp/msg"
bad=$(recommit "$a2tip" "$tip^" "$tmp/msg")
g update-ref "$REF" "$bad" "$tip"
expect_rejected aud
expect_rejected mgr
expect_verify_fails "$bad" "batch of site $S_A2 replayed on the ref of site $S_A1"
at 10:31 0 aud customer show "$C2" --json
jqe '.company == "Tamper Co Three"'
restore "$tip"
at 10:33 0 aud customer show "$C2" --json
jqe '.company == "Tamper Co Four"'
for s in a1 a2 mgr aud; do sync4 10:34 "$s"; done
hm=$(hash mgr)
for s in a1 a2 aud; do [ "$(hash $s)" = "$hm" ] || fail "$s differs from the manager after the tampering"; done
at 10:35 0 aud audit verify --json
jqe '.ok and .compared == .batches'

echo "== signed exports"
at 10:40 0 aud audit export --from 2026-11-27 --to 2026-11-27 --format csv -o "$tmp/e.csv"
at 10:40 1 aud audit export --from 2026-11-27 --to 2026-11-27 -o "$tmp/e.csv"
err_has "not overwriting"
at 10:40 0 aud audit check-export "$tmp/e.csv"
out_has "ok: csv export signed by aud (Auditor Person Qian, auditor)"
at 10:40 0 mgr audit check-export "$tmp/e.csv" --json
jqe '.ok and .member == "aud" and .key_known and .format == "csv"'
head -n 1 "$tmp/e.csv" | grep -q '^id,time,hlc,member,name,role,site,seq,etype,eid,customer,action,field,old,new,status,reason,batch,signature$' ||
	fail "csv header: $(head -n 1 "$tmp/e.csv")"
tail -n 1 "$tmp/e.csv" | grep -Eq '^# tsm-audit-digest v1 member=aud site=[0-9a-f]{16} key=[0-9a-f]{64} blake2b=[0-9a-f]{64} sig=[0-9a-f]{128}$' ||
	fail "csv digest line: $(tail -n 1 "$tmp/e.csv")"
grep -q ',Beijing,rejected,the agent neither created nor owns this customer,' "$tmp/e.csv" ||
	fail "the rejected edit is not in the export"
at 10:40 0 aud audit export --from 2026-11-27 --to 2026-11-27 --format json -o "$tmp/e.json"
jq -e '.format == "tsm-audit-export" and .member == "aud" and .digest.member == "aud"' "$tmp/e.json" >/dev/null ||
	fail "json export"
jq -e '[.rows[] | select(.customer == "'"$C"'")] | length == 12' "$tmp/e.json" >/dev/null ||
	fail "json export rows for $C"
at 10:40 0 aud audit check-export "$tmp/e.json"
out_has "ok: json export"
# a replica of another team does not know the key
at 10:40 1 other audit check-export "$tmp/e.csv"
err_has "does not know key"
# one edited byte anywhere fails the check: in the rows, in the digest line
size=$(wc -c <"$tmp/e.csv")
for off in 0 100 $((size / 2)) $((size - 40)) $((size - 2)); do
	cp "$tmp/e.csv" "$tmp/x.csv"
	flip "$tmp/x.csv" "$off"
	at 10:41 1 aud audit check-export "$tmp/x.csv"
	err_has "does not verify"
done
size=$(wc -c <"$tmp/e.json")
for off in 1 $((size / 2)) $((size - 10)); do
	cp "$tmp/e.json" "$tmp/x.json"
	flip "$tmp/x.json" "$off"
	at 10:41 1 aud audit check-export "$tmp/x.json"
	err_has "does not verify"
done
at 10:41 1 aud audit check-export "$tmp/missing.csv"
err_has "cannot read"

echo "f_audit: ok"
