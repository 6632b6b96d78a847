#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test, then
# build again with ASan+UBSan and run every test again.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/scripts/deps.sh"
jobs=$(nproc 2>/dev/null || echo 2)

run() {
	dir=$1; shift
	cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSM_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
	(cd "$dir" && ctest --output-on-failure -j "$jobs")
}

echo "== build and test"
run "$src/build"
echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run "$src/build-asan" -DTSM_SANITIZE=ON
echo "== all tests passed (plain and sanitized)"
