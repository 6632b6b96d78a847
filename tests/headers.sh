#!/usr/bin/env bash
# Compiles every public header alone with -std=c11 -pedantic -Werror.
set -eu
cc=$1; inc=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
for h in "$@"; do
	name=$(basename "$h")
	printf '#include "tsm/%s"\n#include "tsm/%s"\n' "$name" "$name" >"$tmp/t.c"
	"$cc" -std=c11 -pedantic -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"
	n=$((n + 1))
done
echo "headers: $n public headers compile alone"
