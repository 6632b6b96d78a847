#!/usr/bin/env bash
# tests/cli/d_team.sh — team sync from the command line over git:// (a real
# `git daemon` on 127.0.0.1, started here): team create, invite, join,
# admission, member list, customers assigned, concurrent conflicting edits,
# `tsm sync` killed with SIGKILL during apply / before push / after push,
# equal state hashes, agents' narrowed listings, no plaintext in the central
# repository, the example pre-receive hook, a push refused by the server
# reported per ref, and every other command working with the remote gone.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
daemon_pid=
stop_daemon() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
}
tsm_on_exit stop_daemon
printf 'team test pass\n' >"$tmp/pw"
export TSM_PASSPHRASE_FILE="$tmp/pw"

# rc WANT STORE ARGS...: tsm -C $tmp/STORE ARGS, its exit code checked.
rc() { rc_in "$@"; }
hash() { "$TSM" -C "$tmp/$1" debug state-hash; }

# ---- a git daemon on a free loopback port, serving $tmp/repos ----
mkdir "$tmp/repos"
git init -q --bare "$tmp/repos/team.git"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --base-path="$tmp/repos" --export-all \
	--enable=receive-pack --listen=127.0.0.1 --port="$port" \
	"$tmp/repos" >/dev/null 2>&1 &
daemon_pid=$!
up=0
for _ in $(seq 1 600); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
[ "$up" -eq 1 ] || fail "git daemon did not start on port $port"
URL="git://127.0.0.1:$port/team.git"
CENTRAL="$tmp/repos/team.git"

# ---- stores: a manager and two agents ----
rc 0 mgr init --member mgr --name "Manager Person Wu" --kdf interactive
rc 0 a1 init --member agent1 --name "Agent Person Li" --kdf interactive
rc 0 a2 init --member agent2 --name "Agent Person Zhao" --kdf interactive

rc 1 mgr sync
err_has "no team"
rc 2 mgr team create
rc 0 mgr team create --remote "$URL" --name "Team Example Name"
out_has "founded team"
rc 1 mgr team create --remote "$URL"
err_has "already"
rc 0 mgr team show --json
jqe '.role == "manager" and .admitted and .roster_version == 1'

rc 2 mgr member invite agent1
rc 1 mgr member invite agent1 --role king
rc 0 mgr member invite agent1 --role agent --name "Agent Person Li"
code1=$(cat "$OUT")
rc 0 mgr member invite agent2 --role agent --name "Agent Person Zhao" --json
code2=$(jq -r .code "$OUT")
rc 1 a2 join --invite "$code1"
err_has "for member 'agent1'"
rc 1 a1 join --invite "not-a-code"
rc 0 a1 join --invite "$code1"
out_has "asked to join"
rc 0 a2 join --remote "$URL" --invite "$code2"
rc 1 a2 join --invite "$code2"
rc 0 a1 sync
out_has "waiting for a manager"
rc 0 mgr member list --json
jqe 'map(select(.status == "invited")) | length == 2'
rc 0 mgr sync --json
jqe '.admitted == 2 and .roster_version == 3 and (.rejections | length) == 0'
rc 0 a1 sync
out_has "admitted to the team"
rc 0 a2 sync --json
jqe '.admitted_self and .received >= 4'
rc 1 a1 member invite agent9 --role agent
err_has "only a manager"
rc 0 a1 member list --json
jqe 'length == 3 and (map(.member) == ["agent1", "agent2", "mgr"])'
jqe '.[0].name == "Agent Person Li" and .[2].role == "manager"'

# ---- customers, assigned by the manager ----
rc 0 mgr customer add --name "Customer Alpha Example" --phone "+86 138 0000 1001"
c1=$(tail -n 1 "$OUT")
rc 0 mgr customer add --name "Customer Beta Example" --phone "+86 138 0000 1002"
c2=$(tail -n 1 "$OUT")
rc 0 mgr customer add --name "Customer Gamma Example" --phone "+86 138 0000 1003"
c3=$(tail -n 1 "$OUT")
rc 0 mgr customer edit "$c1" --owner agent1
rc 0 mgr customer edit "$c2" --owner agent2
rc 0 mgr sync --json
jqe '.sent == 5 and .members[0].member == "mgr" and .members[0].sent == 5'
rc 0 a1 sync
rc 0 a2 sync
rc 0 a1 customer list --json
jqe "length == 1 and .[0].id == \"$c1\""
rc 0 a2 customer add --name "Customer Delta Example" --phone "+86 138 0000 1004"
c4=$(tail -n 1 "$OUT")

# ---- offline and concurrent: a name conflict, won against lost ----
rc 0 a1 customer edit "$c1" --name "Renamed By Agent"
rc 0 mgr customer edit "$c1" --name "Renamed By Manager"
rc 0 a2 customer edit "$c2" --stage won
rc 0 mgr customer edit "$c2" --stage lost
rc 0 a1 customer edit "$c1" --stage interested

# killed after batching, before the push: the next sync pushes the batch
h=$(hash a1)
TSM_TEST_KILL_AT=before-push rc 137 a1 sync
[ "$(hash a1)" = "$h" ] || fail "a killed sync changed agent1's state"
rc 0 a1 sync --json
jqe '.sent == 0 and .batches == 0'
# killed while applying: nothing of it stays; the next sync applies it
h=$(hash mgr)
TSM_TEST_KILL_AT=during-apply rc 137 mgr sync
[ "$(hash mgr)" = "$h" ] || fail "a killed apply left changes behind"
rc 4 mgr sync --json
jqe '.received == 2 and .conflicts == 1 and .duplicates == 0'
jqe '(.members[] | select(.member == "agent1") | .received) == 2'
# killed after the push (its apply committed before): nothing twice
TSM_TEST_KILL_AT=after-push rc 137 a2 sync
rc 0 a2 sync --json
jqe '.sent == 0 and .received == 0'
for s in mgr a1 a2 mgr a1 a2; do rc '0|4' "$s" sync; done
rc 0 mgr sync --json
jqe '.sent == 0 and .received == 0 and (.rejections | length) == 0'
hm=$(hash mgr)
[ "$(hash a1)" = "$hm" ] || fail "agent1's state differs from the manager's"
[ "$(hash a2)" = "$hm" ] || fail "agent2's state differs from the manager's"

# listings: agents see what they own or created, the manager sees all
rc 0 a1 customer list --json
jqe "length == 1 and .[0].id == \"$c1\""
rc 0 a2 customer list --json
jqe "(map(.id) | sort) == ([\"$c2\", \"$c4\"] | sort)"
rc 0 mgr customer list --json
jqe 'length == 4'
rc 0 mgr customer show "$c2" --json
jqe '.stage == "won"'

# ---- the central repository holds no plaintext ----
git -C "$CENTRAL" cat-file --batch-all-objects --batch >"$tmp/objects"
[ "$(wc -c <"$tmp/objects")" -gt 1000 ] || fail "scan saw no objects"
for s in "Manager Person Wu" "Agent Person Li" "Agent Person Zhao" \
	"Customer Alpha Example" "Customer Beta Example" "Customer Delta Example" \
	"Renamed By Agent" "Renamed By Manager" "Team Example Name" \
	"+8613800001001" "13800001001" "138 0000 1002" "13800001004"; do
	if grep -a -q -F -- "$s" "$tmp/objects"; then
		fail "the central repository holds '$s'"
	fi
done

# ---- the example pre-receive hook on the server ----
cp "$TSM_SRC/examples/pre-receive" "$CENTRAL/hooks/pre-receive"
chmod +x "$CENTRAL/hooks/pre-receive"
rc 0 a1 customer add --name "Customer Epsilon Example" --phone "+86 138 0000 1005"
rc 0 a1 sync --json
jqe '.sent == 1'
rc 0 mgr sync --json
jqe '.received == 1'
site1=$(jq -r '.site' < <("$TSM" -C "$tmp/a1" status --json))
git init -q --bare "$tmp/rogue.git"
git -C "$tmp/rogue.git" fetch -q "$CENTRAL" "+refs/tsm/*:refs/tsm/*"
first=$(git -C "$tmp/rogue.git" rev-list --max-parents=0 "refs/tsm/sites/$site1")
# a force push rewriting agent1's ref is refused by the hook
if git -C "$tmp/rogue.git" push -q --force "$URL" "$first:refs/tsm/sites/$site1" 2>"$ERR"; then
	fail "the hook let a rewrite of agent1's ref through"
fi
err_has "not a fast-forward"
# agent2's batch pushed onto agent1's ref: not signed by agent1's key
site2=$(jq -r '.site' < <("$TSM" -C "$tmp/a2" status --json))
if git -C "$tmp/rogue.git" push -q "$URL" "refs/tsm/sites/$site2:refs/tsm/sites/$site1" 2>"$ERR"; then
	fail "the hook let another site's batch onto agent1's ref"
fi
# refs outside refs/tsm/ are refused
if git -C "$tmp/rogue.git" push -q "$URL" "refs/tsm/roster:refs/heads/main" 2>"$ERR"; then
	fail "the hook accepted refs/heads/main"
fi
err_has "only refs/tsm/"

# a push the server refuses: reported per ref, exit 4, nothing lost
cat >"$CENTRAL/hooks/pre-receive" <<'EOF'
#!/bin/sh
while read -r old new ref; do
	case $ref in refs/tsm/sites/*) echo "maintenance: no batches today" >&2; exit 1;; esac
done
EOF
rc 0 a2 customer edit "$c4" --stage contacted
rc 4 a2 sync --json
jqe "(.rejections | length) == 1 and .rejections[0].ref == \"refs/tsm/sites/$site2\""
cp "$TSM_SRC/examples/pre-receive" "$CENTRAL/hooks/pre-receive"
rc 0 a2 sync --json
jqe '.sent == 0 and (.rejections | length) == 0'
rc 0 mgr sync --json
jqe '.received == 1'

# ---- the remote gone: sync fails clearly, everything else works ----
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
rc 0 a1 customer add --name "Customer Zeta Example" --phone "+86 138 0000 1006"
rc 0 a1 customer list --json
jqe 'length == 3'
rc 0 a1 member list
rc 0 a1 team show
rc 1 a1 sync
err_has "cannot"
rc 0 mgr member invite agent3 --role lead
echo "d_team: ok"
