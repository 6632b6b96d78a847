#!/usr/bin/env bash
# tests/cli/c_policy.sh — `tsm policy show|set|unset`: the defaults, every
# field set and read back (--json), bad values refused with the store
# unchanged, unset back to the default, managers only (an agent on a second
# replica is refused), and the policy reaching the agent through sync.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-27T10:00:00+08:00
printf 'policy test pass\n' >"$tmp/pw"
A="$tmp/a"

# sync [-C DIR]: a sync that exits 0, or 4 when review items arrive
sync() { rc '0|4' "$TSM" "$@" sync; }

echo "== setup"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member mgr --name '王经理' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"

echo "== defaults"
rc 0 "$TSM" policy show --json
jqe '.calling_hours == "mon-fri 09:00-12:00,13:30-18:00"'
jqe '.retry_delay == 7200 and .max_attempts == 5 and .revisit_days == 30'
jqe '.effective_seconds == 60 and .company_name == null'
jqe '.target_dials == 0 and .target_effective == 0 and .target_orders == 0'
jqe '.defaults | length == 9'
rc 0 "$TSM" policy show
out_has '^calling_hours  *mon-fri 09:00-12:00,13:30-18:00  *(default)$'
out_has '^retry_delay  *2h  *(default)$'
out_has '^effective_seconds  *60  *(default)$'
rc 0 "$TSM" policy --help
out_has 'retry_delay'

echo "== usage and bad values leave the store unchanged"
unchanged rc 2 "$TSM" policy
unchanged rc 2 "$TSM" policy frob
unchanged rc 2 "$TSM" policy set max_attempts
unchanged rc 2 "$TSM" policy set max_attempts 3 4
unchanged rc 2 "$TSM" policy set --frob max_attempts 3
unchanged rc 2 "$TSM" policy show extra
unchanged rc 2 "$TSM" policy unset
unchanged rc 1 "$TSM" policy set colour blue
err_has "unknown policy field 'colour'"
unchanged rc 1 "$TSM" policy unset colour
unchanged rc 1 "$TSM" policy set calling_hours 'mon-fri 25:00-26:00'
err_has 'invalid'
unchanged rc 1 "$TSM" policy set calling_hours 'someday 09:00-10:00'
unchanged rc 1 "$TSM" policy set calling_hours 'mon-fri 18:00-09:00'
unchanged rc 1 "$TSM" policy set retry_delay 2x
err_has "invalid duration '2x'"
unchanged rc 1 "$TSM" policy set retry_delay 0
unchanged rc 2 "$TSM" policy set retry_delay -5m # looks like an option
unchanged rc 1 "$TSM" policy set retry_delay -- -5m
unchanged rc 1 "$TSM" policy set retry_delay 90d
unchanged rc 1 "$TSM" policy set max_attempts 0
err_has "invalid max_attempts '0'"
unchanged rc 1 "$TSM" policy set max_attempts -- -1
unchanged rc 1 "$TSM" policy set max_attempts three
unchanged rc 1 "$TSM" policy set revisit_days 1.5
unchanged rc 1 "$TSM" policy set effective_seconds ''
unchanged rc 1 "$TSM" policy set target_dials -- -1
unchanged rc 1 "$TSM" policy set company_name "$(printf 'bad\tname')"
# unsetting what is not set writes nothing
unchanged rc 0 "$TSM" policy unset max_attempts

echo "== set every field and read it back"
rc 0 "$TSM" policy set calling_hours 'mon-fri 09:00-18:00; sat 10:00-12:00'
out_has '^calling_hours set$'
rc 0 "$TSM" policy set retry_delay 1h30m
rc 0 "$TSM" policy set max_attempts 3
rc 0 "$TSM" policy set revisit_days 14
rc 0 "$TSM" policy set effective_seconds 45
rc 0 "$TSM" policy set company_name '某某律师事务所'
rc 0 "$TSM" policy set target_dials 80
rc 0 "$TSM" policy set target_effective 20
rc 0 "$TSM" policy set target_orders 2 --json
jqe '.calling_hours == "mon-fri 09:00-18:00; sat 10:00-12:00"'
jqe '.retry_delay == 5400 and .max_attempts == 3 and .revisit_days == 14'
jqe '.effective_seconds == 45 and .company_name == "某某律师事务所"'
jqe '.target_dials == 80 and .target_effective == 20 and .target_orders == 2'
jqe '.defaults == []'
rc 0 "$TSM" policy show
out_has '^retry_delay  *1h30m$'
out_has '^company_name  *某某律师事务所$'
rc 0 "$TSM" policy set retry_delay 45m
rc 0 "$TSM" policy show --json
jqe '.retry_delay == 2700'
rc 0 "$TSM" policy set retry_delay 600
rc 0 "$TSM" policy show --json
jqe '.retry_delay == 600'
# The same value again still checks, and the show stays the same.
rc 0 "$TSM" policy set max_attempts 3
rc 0 "$TSM" policy show --json
jqe '.max_attempts == 3'

echo "== unset returns to the default"
rc 0 "$TSM" policy unset retry_delay
out_has 'retry_delay is back to its default'
rc 0 "$TSM" policy set company_name ''
rc 0 "$TSM" policy show --json
jqe '.retry_delay == 7200 and .company_name == null'
jqe '.defaults | sort == ["company_name","retry_delay"]'
jqe '.max_attempts == 3'

echo "== an agent reads the synced policy but may not set it"
code=$("$TSM" member invite ag1 --role agent --name '李小明')
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$A" init --member ag1 --name '李小明' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$A" unlock
rc 0 "$TSM" -C "$A" join --invite "$code"
sync
sync -C "$A"
rc 0 "$TSM" -C "$A" policy show --json
jqe '.calling_hours == "mon-fri 09:00-18:00; sat 10:00-12:00" and .max_attempts == 3'
jqe '.revisit_days == 14 and .retry_delay == 7200'
unchanged -C "$A" rc 1 "$TSM" -C "$A" policy set max_attempts 9
err_has 'only a manager may change the team policy'
unchanged -C "$A" rc 1 "$TSM" -C "$A" policy unset max_attempts
err_has 'only a manager'

echo "ok: c_policy"
