#!/usr/bin/env bash
# Installs the Debian packages tsm needs to build, test and demo, when missing.
# Sourced or run by examples/quickstart.sh and tests/run.sh.
set -eu
pkgs="build-essential cmake pkg-config git libsqlite3-dev sqlite3 libgit2-dev
libsodium-dev libcjson-dev libcmocka-dev jq python3 openssh-client
openssh-server"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
