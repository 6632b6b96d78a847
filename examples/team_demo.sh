#!/usr/bin/env bash
# examples/team_demo.sh — a telesales team syncing through a central git
# repository served by `git daemon` on 127.0.0.1: a manager founds the team,
# invites two agents, assigns customers; everyone works offline (two of them
# edit the same customer), then syncs; the conflict is queued for review and
# every replica ends in the same state. Runs to the end without asking.
# usage: examples/team_demo.sh [path/to/tsm]   (default: build/tsm)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tsm=${1:-${TSM:-$src/build/tsm}}
[ -x "$tsm" ] || { echo "team_demo: build tsm first (examples/quickstart.sh)" >&2; exit 1; }
say() { printf '\n==> %s\n' "$*"; }

demo=$(mktemp -d "${TMPDIR:-/tmp}/tsm-team-demo.XXXXXX")
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$demo"
}
trap cleanup EXIT
unset TSM_HOME TSM_NEW_PASSPHRASE_FILE TSM_TEST_KILL_AT
export XDG_RUNTIME_DIR="$demo/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
printf 'Team demo passphrase 2024\n' >"$demo/passphrase"
chmod 600 "$demo/passphrase"
export TSM_PASSPHRASE_FILE="$demo/passphrase"

# t WHO ARGS...: run tsm as WHO (one store directory per person)
t() { who=$1; shift; "$tsm" -C "$demo/$who" "$@" </dev/null; }
# sync WHO: exit 4 only means "new items to review"
sync() {
	echo "--- $1: tsm sync"
	t "$1" sync || [ $? -eq 4 ]
}

say "a central repository: a bare git repository served by git daemon"
mkdir "$demo/repos"
git init -q --bare "$demo/repos/team.git"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --base-path="$demo/repos" --export-all \
	--enable=receive-pack --listen=127.0.0.1 --port="$port" \
	"$demo/repos" >/dev/null 2>&1 &
daemon=$!
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
url="git://127.0.0.1:$port/team.git"
echo "    $url"

say "three replicas: a manager and two agents, each with an encrypted store"
t zhou init --member zhou.min --name "周敏 Zhou Min" --kdf interactive >/dev/null
t li init --member li.na --name "李娜 Li Na" --kdf interactive >/dev/null
t chen init --member chen.tao --name "陈涛 Chen Tao" --kdf interactive >/dev/null
echo "    zhou.min (manager), li.na and chen.tao (agents)"

say "the manager founds the team: her key signs the roster"
t zhou team create --remote "$url" --name "Beijing Sales 2"

say "invites: one-time codes, handed over privately"
code_li=$(t zhou member invite li.na --role agent --name "李娜 Li Na")
code_chen=$(t zhou member invite chen.tao --role agent --name "陈涛 Chen Tao")
echo "    li.na's code: ${code_li:0:40}..."
t li join --invite "$code_li"
t chen join --invite "$code_chen"
sync zhou # admits both
sync li
sync chen
t li member list

say "the manager adds customers and assigns them"
c1=$(t zhou customer add --name "北京华信律师事务所 Huaxin" --phone "010-5555-0101" | tail -n 1)
c2=$(t zhou customer add --name "王伟 Wang Wei" --phone "+86 138 0000 0202" | tail -n 1)
c3=$(t zhou customer add --name "刘洋 Liu Yang" --phone "+86 139 0000 0303" | tail -n 1)
t zhou customer edit "$c1" --owner li.na >/dev/null
t zhou customer edit "$c2" --owner li.na >/dev/null
t zhou customer edit "$c3" --owner chen.tao >/dev/null
sync zhou
sync li
sync chen

say "offline: li.na and the manager both rename $c1; chen.tao wins a deal"
t li customer edit "$c1" --company "华信律所" >/dev/null
t zhou customer edit "$c1" --company "华信律师事务所（总所）" >/dev/null
t chen customer edit "$c3" --stage won >/dev/null
t li customer add --name "赵磊 Zhao Lei" --phone "+86 137 0000 0404" >/dev/null

say "back online, in any order"
sync chen
sync li
sync zhou
sync li
sync chen

say "what each one sees: agents their own customers, the manager all"
for who in li chen zhou; do
	echo "--- $who"
	t "$who" customer list
done

if t zhou help review >/dev/null 2>&1; then
	say "the conflict, queued for the manager's review"
	t zhou review list || true
fi

say "every replica holds the same state"
if t zhou help debug >/dev/null 2>&1; then
	for who in zhou li chen; do
		printf '    %-5s %s\n' "$who" "$(t "$who" debug state-hash)"
	done
fi

say "the central repository holds ciphertext and signatures only"
git -C "$demo/repos/team.git" for-each-ref --format='    %(refname)'
if git -C "$demo/repos/team.git" cat-file --batch-all-objects --batch |
	grep -a -q -e "Huaxin" -e "Wang Wei" -e "13800000202"; then
	echo "    plaintext found!" >&2
	exit 1
fi
echo "    no customer name or phone in any object"
say "done; the demo in $demo is removed on exit"
