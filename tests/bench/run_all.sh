#!/usr/bin/env bash
# tests/bench/run_all.sh — builds a RelWithDebInfo tree in build-bench/ and runs
# every benchmark once, in one go, printing their figures (README "Figures").
# Not run by CTest or CI: the full sizes take several minutes.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
b="$src/build-bench"
cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$b" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
export TSM="$b/tsm"
run() { printf '\n===== %s\n' "$*"; "$@"; }
uptime
run "$b/tests/bench_agent_day"
run "$b/tests/bench_ops"
run "$b/tests/bench_calling" "$TSM"
run "$b/tests/bench_sync"
run bash "$src/tests/bench/bench_import.sh"
run "$b/tests/bench_audit"
uptime
