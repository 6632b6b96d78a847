# tests/cli/lib/harness.sh — the harness every CLI scenario script sources
# (bash): a checked $TSM, a clean environment, a temp dir cleaned up on exit,
# and the helpers rc, rc_in, fail, err_has, out_has, out_lacks, jqe, unchanged.
#
# Use, after `set -eu`:
#	TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
#	. "$TSM_SRC/tests/cli/lib/harness.sh"
#	tsm_tmp
# It lives outside tests/cli/*.sh so that CTest does not run it as a test.

: "${TSM:?set TSM to the tsm binary}"
TSM_TEST=${0##*/}
TSM_TEST=${TSM_TEST%.sh}
command -v jq >/dev/null || {
	echo "$TSM_TEST: jq is required (scripts/deps.sh installs it)" >&2
	exit 1
}

# Nothing of the caller's environment that tsm reads leaks into a scenario;
# a script sets what it needs after sourcing this file.
unset TSM_HOME TSM_PASSPHRASE_FILE TSM_NEW_PASSPHRASE_FILE TSM_TRACE \
	TSM_TEST_KILL_AT TSM_NOW TSM_SSH_KEY XDG_DATA_HOME SSH_AUTH_SOCK

tmp=
TSM_EXIT_HOOKS=()

# tsm_tmp: makes the scenario's temp dir $tmp (tsm-a-store.XXXXXX for
# a_store.sh) with $tmp/run as XDG_RUNTIME_DIR (so unlock agents are the
# scenario's own), $OUT and $ERR for rc, and removes it all on exit: every
# store directly under $tmp (a directory with a tsm.key) is locked, which
# ends its agent, then the hooks of tsm_on_exit run.
tsm_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsm-${TSM_TEST//_/-}.XXXXXX")
	trap tsm_cleanup EXIT
	export XDG_RUNTIME_DIR="$tmp/run"
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	OUT="$tmp/out"
	ERR="$tmp/err"
}

# tsm_on_exit CMD: CMD (a string, evaluated then) runs at exit before $tmp
# goes, e.g. to stop a daemon the script started.
tsm_on_exit() { TSM_EXIT_HOOKS+=("$1"); }

tsm_cleanup() {
	local d h
	set +e # cleanup does not decide the exit status
	[ -n "$tmp" ] || return 0
	for d in "$tmp"/*/; do
		[ -e "$d/tsm.key" ] && "$TSM" -C "${d%/}" lock >/dev/null 2>&1
	done
	for h in "${TSM_EXIT_HOOKS[@]}"; do eval "$h"; done
	rm -rf "$tmp"
}

# fail MSG: says why the scenario failed, with the last command's stderr.
fail() {
	echo "FAIL: $*" >&2
	[ -s "${ERR:-}" ] && sed 's/^/  stderr: /' "$ERR" >&2
	exit 1
}

# rc WANT CMD...: runs CMD with stdin from /dev/null, stdout to $OUT and
# stderr to $ERR, and checks its exit code. WANT is a code or several joined
# by | ('0|4'). A command killed by a signal is reported as its status
# (137 for SIGKILL), silently.
rc() { tsm_rc "$@"; }
# rc_in WANT STORE ARGS...: rc WANT "$TSM" -C "$tmp/STORE" ARGS. A script
# whose commands all name their store makes it its rc: rc() { rc_in "$@"; }
rc_in() { tsm_rc "$1" "$TSM" -C "$tmp/$2" "${@:3}"; }
tsm_rc() {
	local want=$1 got=0
	shift
	# in a subshell, so that a signal's death is reported as a status only
	("$@" </dev/null >"$OUT" 2>"$ERR"; exit $?) 2>/dev/null || got=$?
	case "|$want|" in
	*"|$got|"*) ;;
	*)
		cat "$OUT" >&2
		fail "exit $got, want $want: $*"
		;;
	esac
}

err_has() { grep -q -- "$1" "$ERR" || fail "stderr lacks '$1'"; }
out_has() { grep -q -- "$1" "$OUT" || fail "stdout lacks '$1': $(cat "$OUT")"; }
out_lacks() {
	! grep -q -- "$1" "$OUT" || fail "stdout has '$1': $(cat "$OUT")"
}
# jqe FILTER: the JSON on stdout satisfies FILTER.
jqe() {
	jq -e "$1" "$OUT" >/dev/null || fail "json check $1 on $(cat "$OUT")"
}

# snapshot [DIR]: the state of the store in DIR (else $TSM_HOME's): its
# state hash and its number of ops. A script may define its own after
# sourcing this file; unchanged uses whichever is defined last.
snapshot() {
	local c=() ops
	[ $# -eq 0 ] || c=(-C "$1")
	"$TSM" "${c[@]}" debug state-hash || return
	ops=$("$TSM" "${c[@]}" debug ops --json) || return
	jq length <<<"$ops"
}

# unchanged [-C DIR] CMD...: runs CMD (usually `rc WANT ...`), and the store
# in DIR (else $TSM_HOME's) must be as it was before: the same snapshot.
unchanged() {
	local dir=() where s0 s1
	if [ "$1" = -C ]; then
		dir=("$2")
		shift 2
	fi
	where=${dir[0]:-${TSM_HOME:-the default store}}
	s0=$(snapshot "${dir[@]}") || fail "no snapshot of $where"
	"$@"
	s1=$(snapshot "${dir[@]}") || fail "no snapshot of $where"
	[ "$s1" = "$s0" ] ||
		fail "store changed (${s0//$'\n'/ } -> ${s1//$'\n'/ }) by: $*"
}
