#!/usr/bin/env bash
# examples/team_demo.sh — a telesales team syncing through a central git
# repository on disk, served by `git daemon` on 127.0.0.1: a manager founds the
# team, invites two agents and an auditor, assigns customers; everyone works
# offline (calls logged, two people edit the same customer), then syncs; the
# conflict is queued for review, every replica ends in the same state, and the
# auditor reads and verifies the history. Runs to the end without asking.
# usage: examples/team_demo.sh [path/to/tsm]   (default: build/tsm)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tsm=${1:-${TSM:-$src/build/tsm}}
[ -x "$tsm" ] || { echo "team_demo: build tsm first (examples/quickstart.sh)" >&2; exit 1; }
say() { printf '\n==> %s\n' "$*"; }

demo=$(mktemp -d "${TMPDIR:-/tmp}/tsm-team-demo.XXXXXX")
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	for who in zhou li chen wu; do
		"$tsm" -C "$demo/$who" lock >/dev/null 2>&1 || true
	done
	rm -rf "$demo"
	return 0
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

say "four replicas, each with its own encrypted store"
t zhou init --member zhou.min --name "周敏 Zhou Min" --kdf interactive >/dev/null
t li init --member li.na --name "李娜 Li Na" --kdf interactive >/dev/null
t chen init --member chen.tao --name "陈涛 Chen Tao" --kdf interactive >/dev/null
t wu init --member wu.jing --name "吴静 Wu Jing" --kdf interactive >/dev/null
echo "    zhou.min (manager), li.na and chen.tao (agents), wu.jing (auditor)"

say "the manager founds the team: her key signs the roster"
t zhou team create --remote "$url" --name "Beijing Sales 2"

say "invites: one-time codes, handed over privately"
code_li=$(t zhou member invite li.na --role agent --name "李娜 Li Na")
code_chen=$(t zhou member invite chen.tao --role agent --name "陈涛 Chen Tao")
echo "    li.na's code: ${code_li:0:40}..."
code_wu=$(t zhou member invite wu.jing --role auditor --name "吴静 Wu Jing")
t li join --invite "$code_li"
t chen join --invite "$code_chen"
t wu join --invite "$code_wu"
sync zhou # admits all three
sync li
sync chen
sync wu
t li member list

say "the manager adds customers and assigns them"
c1=$(t zhou customer add --name "北京华信律师事务所 Huaxin" --phone "010-5555-0101" | tail -n 1)
c2=$(t zhou customer add --name "王伟 Wang Wei" --phone "+86 138 0000 0202" | tail -n 1)
c3=$(t zhou customer add --name "刘洋 Liu Yang" --phone "+86 139 0000 0303" | tail -n 1)
t zhou assign "$c1" "$c2" --to li.na
t zhou assign "$c3" --to chen.tao
sync zhou
sync li
sync chen

say "offline: li.na and the manager both rename $c1; chen.tao wins a deal"
t li customer edit "$c1" --company "华信律所" >/dev/null
t zhou customer edit "$c1" --company "华信律师事务所（总所）" >/dev/null
t li call log "$c2" --outcome interested --duration 240 \
	--note "wants a quote for contract review" --followup "+2d"
t li call log "$c1" --outcome no-answer
t chen call log "$c3" --outcome order --duration 600 --note "signed" \
	--service retainer --amount 36000 --term 12
t li customer add --name "赵磊 Zhao Lei" --phone "+86 137 0000 0404" >/dev/null

say "back online, in any order"
sync chen
sync li
sync zhou
sync li
sync chen
sync wu

say "what each one sees: agents their own customers, the manager all"
for who in li chen zhou; do
	echo "--- $who"
	t "$who" customer list
done

say "the conflict, queued for the manager's review"
t zhou review list

say "the manager's numbers for today"
t zhou report daily --team

say "every replica holds the same state (hidden debug command)"
for who in zhou li chen wu; do
	printf '    %-5s %s\n' "$who" "$(t "$who" debug state-hash)"
done

say "the auditor: who changed $c1, and is the central history intact?"
t wu audit log "$c1"
t wu audit verify

say "the central repository holds ciphertext and signatures only"
git -C "$demo/repos/team.git" for-each-ref --format='    %(refname)'
if git -C "$demo/repos/team.git" cat-file --batch-all-objects --batch |
	grep -a -q -e "Huaxin" -e "Wang Wei" -e "13800000202"; then
	echo "    plaintext found!" >&2
	exit 1
fi
echo "    no customer name or phone in any object"
say "done; the demo in $demo is removed on exit"
