#!/usr/bin/env bash
# examples/quickstart.sh — from a fresh Debian machine to a working tsm:
# installs what is missing, builds into build/, then walks through creating an
# encrypted store, unlocking it, asking for its status and locking it again,
# and finally runs the team demo (examples/team_demo.sh): a manager, two agents
# and an auditor syncing through a central git repository on this machine.
# Runs to the end without asking anything.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '\n==> %s\n' "$*"; }

say "installing missing Debian packages (scripts/deps.sh)"
bash "$src/scripts/deps.sh"

say "building tsm into $src/build"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$src/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
tsm="$src/build/tsm"
"$tsm" --version

demo=$(mktemp -d "${TMPDIR:-/tmp}/tsm-quickstart.XXXXXX")
export TSM_HOME="$demo/store"
cleanup() {
	"$tsm" lock >/dev/null 2>&1 || true
	rm -rf "$demo"
}
trap cleanup EXIT
unset TSM_PASSPHRASE_FILE TSM_NEW_PASSPHRASE_FILE
printf 'Demo passphrase for Wang Fang 2024\n' >"$demo/passphrase"
chmod 600 "$demo/passphrase"

say "creating an encrypted store in $TSM_HOME"
echo "    The passphrase comes from a file (TSM_PASSPHRASE_FILE), as scripts do;"
echo "    at a terminal tsm would ask for it twice without echo. This demo uses"
echo "    --kdf interactive, the cheapest Argon2id cost, to stay quick; a real"
echo "    store keeps the default (moderate) or picks sensitive."
TSM_PASSPHRASE_FILE="$demo/passphrase" \
	"$tsm" init --member wang.fang --name "Wang Fang 王芳" --kdf interactive

say "status while locked: tsm tells what it can without the key"
"$tsm" status </dev/null

say "unlocking: the passphrase is stretched once, an agent keeps the key"
echo "    (TSM_TRACE=kdf shows each Argon2id derivation on stderr)"
TSM_TRACE=kdf TSM_PASSPHRASE_FILE="$demo/passphrase" \
	"$tsm" unlock --timeout 10m

say "status with no passphrase at hand: the agent serves the key"
TSM_TRACE=kdf "$tsm" status </dev/null
echo "    (no 'trace: kdf' line above: that command paid no Argon2 cost)"
echo
"$tsm" status --json </dev/null

say "verifying every page of the encrypted store"
"$tsm" check </dev/null

say "locking: the agent wipes the key and exits"
"$tsm" lock
set +e
"$tsm" check </dev/null
code=$?
set -e
echo "    'tsm check' now exits $code (3 = locked or wrong passphrase)"

say "the team: a central repository, a manager, two agents and an auditor"
bash "$src/examples/team_demo.sh" "$tsm"

say "done; the demo stores are removed on exit"
