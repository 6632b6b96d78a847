#!/usr/bin/env bash
# tests/cli/a_store.sh — issue A end to end: help and exit codes, init, the
# unlock agent (socket modes, no Argon2 per command, idle timeout, lock,
# replace, stale socket), passwd and status --json.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
pids=""
# the agents started here go at exit, whatever state the scenario ended in
kill_agents() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null; done
}
tsm_on_exit kill_agents

export TSM_HOME="$tmp/s1"
S=$TSM_HOME
printf 'correct horse battery\n' >"$tmp/pw"
printf 'wrong horse battery\n' >"$tmp/bad"
printf 'new staple 42\r\n' >"$tmp/pw2" # CRLF: the \r is not part of it

# Nonzero while process $1 runs (a zombie counts as gone).
alive() {
	[ -d "/proc/$1" ] &&
		! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}
wait_gone() {
	local i
	for i in $(seq 1 300); do alive "$1" || return 0; sleep 0.1; done
	fail "agent $1 still running after 30s"
}
sock() { echo "$XDG_RUNTIME_DIR/tsm/$1.sock"; }
P() { TSM_PASSPHRASE_FILE="$tmp/$1" "${@:2}"; }

echo "== help, version, usage errors"
rc 0 "$TSM" --version
grep -Eq '^tsm [0-9]+\.[0-9]+\.[0-9]+$' "$OUT" || fail "version: $(cat "$OUT")"
rc 0 "$TSM" --help
for c in init unlock lock passwd status; do
	grep -q "^  $c " "$OUT" || fail "--help does not list $c"
done
rc 0 "$TSM" help init
grep -q '^usage: tsm init --member ID --name NAME' "$OUT" || fail "help init"
cp "$OUT" "$tmp/help-init"
rc 0 "$TSM" init --help
cmp -s "$OUT" "$tmp/help-init" || fail "init --help differs from help init"
rc 2 "$TSM" frobnicate
grep -q '^tsm: unknown command' "$ERR" || fail "unknown command message"
rc 2 "$TSM" init --member alice
err_has '^tsm: --member and --name are required'
rc 2 "$TSM" init --member 'Alice!' --name 'Alice'
err_has 'bad member id'
rc 2 "$TSM" init --member alice --name 'Alice' --kdf cheap
[ ! -e "$S" ] || fail "a refused init left '$S' behind"

echo "== missing store"
rc 1 "$TSM" status
err_has "^tsm: no store in '$S'"
rc 1 "$TSM" unlock

echo "== init"
rc 3 "$TSM" init --member alice --name 'Alice Example' --kdf interactive
err_has 'no passphrase'
[ ! -e "$S/tsm.key" ] || fail "init without a passphrase created a store"
rc 0 P pw "$TSM" --json init --member alice --name 'Alice Example' \
	--kdf interactive
jqe '.member == "alice" and .name == "Alice Example"'
jqe '.site | test("^[0-9a-f]{16}$")'
jqe '.store_id | test("^[0-9a-f]{32}$")'
jqe ".store == \"$S\" and .kdf == \"interactive\""
id=$(jq -r .store_id "$OUT")
site=$(jq -r .site "$OUT")
[ -f "$S/tsm.key" ] && [ -f "$S/tsm.db" ] || fail "init made no store files"
cp "$S/tsm.key" "$tmp/key0"
cp "$S/tsm.db" "$tmp/db0"
rc 1 P pw "$TSM" init --member bob --name 'Bob' --kdf interactive
err_has 'already exists'
cmp -s "$S/tsm.key" "$tmp/key0" && cmp -s "$S/tsm.db" "$tmp/db0" ||
	fail "a second init touched the store"

echo "== status while locked"
rc 0 "$TSM" status --json
jqe ".store == \"$S\" and .store_id == \"$id\""
jqe '.locked == true and .agent == null and .key_source == null'
jqe '.member == null and .site == null and .counts == null'
rc 0 "$TSM" status
grep -q '^state: *locked' "$OUT" || fail "status text: $(cat "$OUT")"
rc 0 P pw "$TSM" status --json
jqe '.locked == true and .key_source == "passphrase-file"'
jqe ".member == \"alice\" and .name == \"Alice Example\" and .site == \"$site\""
jqe '.counts | type == "object"'

echo "== wrong passphrase changes nothing"
for cmd in "status" "check" "unlock" "passwd"; do
	rc 3 env TSM_PASSPHRASE_FILE="$tmp/bad" \
		TSM_NEW_PASSPHRASE_FILE="$tmp/pw2" "$TSM" $cmd
	err_has '^tsm: wrong passphrase$'
done
cmp -s "$S/tsm.key" "$tmp/key0" || fail "wrong passphrase changed tsm.key"
cmp -s "$S/tsm.db" "$tmp/db0" || fail "wrong passphrase changed tsm.db"
[ ! -e "$(sock "$id")" ] || fail "a wrong passphrase started an agent"
rc 3 "$TSM" check
err_has "store is locked; run 'tsm unlock' or set TSM_PASSPHRASE_FILE"

echo "== unlock: one derivation, then none"
rc 2 P pw "$TSM" unlock --timeout 0
rc 2 P pw "$TSM" unlock --timeout 5x
rc 2 P pw "$TSM" unlock --timeout 9999h
rc 0 env TSM_TRACE=kdf TSM_PASSPHRASE_FILE="$tmp/pw" "$TSM" unlock --json
[ "$(grep -c '^tsm: trace: kdf argon2id$' "$ERR")" -eq 1 ] ||
	fail "unlock should derive exactly once"
jqe ".store_id == \"$id\" and .timeout == 1800"
pid=$(jq -r .pid "$OUT")
pids="$pids $pid"
alive "$pid" || fail "agent $pid not running after unlock"
[ "$(stat -c %a "$(sock "$id")")" = 600 ] || fail "socket mode"
[ "$(stat -c %a "$XDG_RUNTIME_DIR/tsm")" = 700 ] || fail "socket dir mode"
[ -S "$(sock "$id")" ] || fail "no socket"
# No passphrase source at all: the agent must serve the key.
rc 0 env TSM_TRACE=kdf "$TSM" check
! grep -q 'trace: kdf' "$ERR" || fail "a command paid Argon2 with the agent"
rc 0 env TSM_TRACE=kdf "$TSM" status --json
! grep -q 'trace: kdf' "$ERR" || fail "status paid Argon2 with the agent"
jqe '.locked == false and .key_source == "agent"'
jqe ".agent.pid == $pid and .agent.timeout == 1800"
jqe '.agent.expires_in > 0 and .agent.expires_in <= 1800'
jqe ".agent.socket == \"$(sock "$id")\" and .member == \"alice\""
# The agent comes before a passphrase file, even a wrong one.
rc 0 P bad "$TSM" status --json
jqe '.key_source == "agent"'

echo "== unlock again replaces the agent"
rc 0 P pw "$TSM" unlock --json --timeout 45m
pid2=$(jq -r .pid "$OUT")
pids="$pids $pid2"
jqe '.timeout == 2700'
[ "$pid2" != "$pid" ] || fail "the same agent after a second unlock"
wait_gone "$pid"
rc 0 "$TSM" check

echo "== passwd keeps the agent and the database"
cp "$S/tsm.db" "$tmp/db1"
rc 0 env TSM_PASSPHRASE_FILE="$tmp/pw" TSM_NEW_PASSPHRASE_FILE="$tmp/pw2" \
	"$TSM" passwd --kdf interactive
cmp -s "$S/tsm.db" "$tmp/db1" || fail "passwd rewrote tsm.db"
! cmp -s "$S/tsm.key" "$tmp/key0" || fail "passwd left tsm.key as it was"
rc 0 "$TSM" check # the agent still holds a valid key

echo "== lock"
rc 0 "$TSM" lock
grep -q '^locked' "$OUT" || fail "lock message: $(cat "$OUT")"
wait_gone "$pid2"
[ ! -e "$(sock "$id")" ] || fail "lock left the socket"
rc 3 "$TSM" check
err_has 'store is locked'
rc 0 "$TSM" --json lock
jqe '.was_unlocked == false'
rc 0 "$TSM" lock
grep -q 'already locked' "$OUT" || fail "lock without agent: $(cat "$OUT")"

echo "== the new passphrase opens, the old one does not"
rc 0 P pw2 "$TSM" check
rc 3 P pw "$TSM" check
err_has 'wrong passphrase'
cmp -s "$S/tsm.db" "$tmp/db1" || fail "checks changed tsm.db"
printf 'new staple 42' >"$tmp/pw3" # no newline at all
rc 0 P pw3 "$TSM" check

echo "== idle timeout"
rc 0 P pw2 "$TSM" unlock --timeout 2s --json
pid3=$(jq -r .pid "$OUT")
pids="$pids $pid3"
jqe '.timeout == 2'
wait_gone "$pid3" # nothing asks for the key, so it must forget it
[ ! -e "$(sock "$id")" ] || fail "an expired agent left its socket"
rc 3 "$TSM" check
rc 0 "$TSM" status --json
jqe '.locked == true and .agent == null'

echo "== SIGTERM wipes and exits; a stale socket is replaced"
rc 0 P pw2 "$TSM" unlock --json
pid4=$(jq -r .pid "$OUT")
pids="$pids $pid4"
kill -TERM "$pid4"
wait_gone "$pid4"
[ ! -e "$(sock "$id")" ] || fail "SIGTERM left the socket"
rc 0 P pw2 "$TSM" unlock --json
pid5=$(jq -r .pid "$OUT")
pids="$pids $pid5"
kill -KILL "$pid5"
wait_gone "$pid5"
[ -S "$(sock "$id")" ] || fail "expected a stale socket after SIGKILL"
rc 3 "$TSM" check
rc 0 P pw2 "$TSM" unlock --json
pid6=$(jq -r .pid "$OUT")
pids="$pids $pid6"
rc 0 "$TSM" check
# An agent nobody can reach any more (its socket removed) goes away.
rm -f "$(sock "$id")"
wait_gone "$pid6"

echo "== an unsafe socket directory is refused"
chmod 755 "$XDG_RUNTIME_DIR/tsm"
rc 1 P pw2 "$TSM" unlock
err_has 'open to other users'
chmod 700 "$XDG_RUNTIME_DIR/tsm"
long="$tmp/$(printf 'd%.0s' $(seq 1 120))"
mkdir -m 700 "$long"
rc 1 env XDG_RUNTIME_DIR="$long" TSM_PASSPHRASE_FILE="$tmp/pw2" "$TSM" unlock
err_has 'too long for a unix socket'

echo "== a second store has its own agent"
export TSM_HOME="$tmp/s2"
rc 0 P pw "$TSM" --json init --member bob.li --name '李 Bob' --kdf interactive
id2=$(jq -r .store_id "$OUT")
[ "$id2" != "$id" ] || fail "two stores share an id"
rc 0 P pw "$TSM" unlock --json
pids="$pids $(jq -r .pid "$OUT")"
rc 0 "$TSM" status --json
jqe '.member == "bob.li" and .name == "李 Bob" and .key_source == "agent"'
rc 3 "$TSM" -C "$tmp/s1" check # store 1 stays locked
rc 0 "$TSM" lock

echo "a_store: all passed"
