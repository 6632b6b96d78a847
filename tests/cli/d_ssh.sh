#!/usr/bin/env bash
# tests/cli/d_ssh.sh — team sync over ssh: a throwaway sshd on 127.0.0.1 (its
# own host key, one authorized client key, started here) serves the central
# repository; a manager founds the team, an agent joins and both exchange ops
# until their state hashes agree. An unknown host key and an unauthorized
# client key are refused. Skipped (exit 0, says so) when no sshd is
# installed (Debian: openssh-server).
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ ! -x "$SSHD" ] || ! command -v ssh-keygen >/dev/null; then
	echo "d_ssh: skipped: no sshd (install openssh-server to run it)"
	exit 0
fi

tsm_tmp
sshd_pid=
stop_sshd() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
}
tsm_on_exit stop_sshd
printf 'ssh test pass\n' >"$tmp/pw"
export TSM_PASSPHRASE_FILE="$tmp/pw"
export HOME="$tmp/home" # ~/.ssh/known_hosts is read from here
mkdir -p -m 700 "$HOME/.ssh"
# Sanitizer builds: libgit2 1.5.1's ssh transport leaks its known_hosts
# data (inside libgit2 and libssh2, on every ssh connection); tell
# LeakSanitizer to ignore those two libraries in this test only.
printf 'leak:libssh2.so\nleak:libgit2.so\n' >"$tmp/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$tmp/lsan.supp"

# rc WANT STORE ARGS...: tsm -C $tmp/STORE ARGS, its exit code checked.
rc() { rc_in "$@"; }

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
