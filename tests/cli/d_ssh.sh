#!/usr/bin/env bash
# tests/cli/d_ssh.sh — team sync over ssh: a throwaway sshd on 127.0.0.1 (its
# own host key, one authorized client key, started here) serves the central
# repository; a manager founds the team, an agent joins and both exchange ops
# until their state hashes agree. An unknown host key and an unauthorized
# client key are refused. Skipped (exit 0, says so) when no sshd is
# installed (Debian: openssh-server).
set -eu
: "${TSM:?set TSM to the tsm binary}"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ ! -x "$SSHD" ] || ! command -v ssh-keygen >/dev/null; then
	echo "d_ssh: skipped: no sshd (install openssh-server to run it)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsm-d-ssh.XXXXXX")
sshd_pid=
cleanup() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

unset TSM_HOME TSM_NEW_PASSPHRASE_FILE TSM_TEST_KILL_AT XDG_DATA_HOME SSH_AUTH_SOCK
export XDG_RUNTIME_DIR="$tmp/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
printf 'ssh test pass\n' >"$tmp/pw"
export TSM_PASSPHRASE_FILE="$tmp/pw"
export HOME="$tmp/home" # ~/.ssh/known_hosts is read from here
mkdir -p -m 700 "$HOME/.ssh"
OUT="$tmp/out"
ERR="$tmp/err"
# Sanitizer builds: libgit2 1.5.1's ssh transport leaks its known_hosts
# data (inside libgit2 and libssh2, on every ssh connection); tell
# LeakSanitizer to ignore those two libraries in this test only.
printf 'leak:libssh2.so\nleak:libgit2.so\n' >"$tmp/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$tmp/lsan.supp"

fail() { echo "FAIL: $*" >&2; [ -s "$ERR" ] && sed 's/^/  stderr: /' "$ERR" >&2; exit 1; }
rc() {
	local want=$1 store=$2 got=0
	shift 2
	("$TSM" -C "$tmp/$store" "$@" </dev/null >"$OUT" 2>"$ERR"; exit $?) \
		2>/dev/null || got=$?
	[ "$got" -eq "$want" ] || { cat "$OUT" >&2; fail "exit $got, want $want: $store: $*"; }
}
err_has() { grep -q -- "$1" "$ERR" || fail "stderr lacks '$1'"; }
jqe() { jq -e "$1" "$OUT" >/dev/null || fail "json check $1 on $(cat "$OUT")"; }

# ---- a private sshd on a free loopback port ----
user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/stranger_key"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PidFile $tmp/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $user
EOF
# sshd run by root wants its privilege-separation directory
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
"$SSHD" -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
sshd_pid=$!
up=0
for _ in $(seq 1 600); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
	kill -0 "$sshd_pid" 2>/dev/null || break
	sleep 0.1
done
[ "$up" -eq 1 ] || { cat "$tmp/sshd.log" >&2; fail "sshd did not start"; }
git init -q --bare "$tmp/team.git"
URL="ssh://$user@127.0.0.1:$port$tmp/team.git"
export TSM_SSH_KEY="$tmp/client_key"

rc 0 mgr init --member mgr --name "Manager Person Wu" --kdf interactive
rc 0 a1 init --member agent1 --name "Agent Person Li" --kdf interactive
rc 0 mgr team create --remote "$URL"

# the host key is not known yet: refused
rc 1 mgr sync
err_has "hostkey"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$tmp/host_key.pub")" >"$HOME/.ssh/known_hosts"
rc 0 mgr sync --json
jqe '.sent == 2'
# a key the server does not know: refused
TSM_SSH_KEY="$tmp/stranger_key" rc 1 mgr sync
err_has "ssh key"

rc 0 mgr member invite agent1 --role agent --name "Agent Person Li"
code=$(cat "$OUT")
rc 0 a1 join --invite "$code"
rc 0 mgr sync --json
jqe '.admitted == 1'
rc 0 a1 sync --json
jqe '.admitted_self'
rc 0 mgr customer add --name "Customer Alpha Example" --phone "+86 138 0000 2001"
c1=$(tail -n 1 "$OUT")
rc 0 mgr customer edit "$c1" --owner agent1
rc 0 mgr sync
rc 0 a1 sync --json
jqe '.received == 2'
rc 0 a1 customer edit "$c1" --stage interested
rc 0 a1 sync
rc 0 mgr sync --json
jqe '.received == 1'
[ "$("$TSM" -C "$tmp/mgr" debug state-hash)" = "$("$TSM" -C "$tmp/a1" debug state-hash)" ] ||
	fail "the replicas differ after syncing over ssh"
echo "d_ssh: ok"
