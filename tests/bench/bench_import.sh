#!/usr/bin/env bash
# tests/bench/bench_import.sh — `tsm import` of a generated lead list
# (default 1,000,000 rows) into a fresh encrypted store, against `sqlite3
# .import` of the same file into a plain table, in one run: both times and
# their ratio (the target is at most 2x). Not run by CTest.
#   usage: TSM=build/tsm bash tests/bench/bench_import.sh [ROWS]
# Fictional data: names from common surnames, mobiles 139 0000 0000 + i.
set -eu
: "${TSM:?set TSM to the tsm binary (a Release build)}"
command -v sqlite3 >/dev/null || { echo "bench_import: sqlite3 is required" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench_import: jq is required" >&2; exit 1; }
rows=${1:-1000000}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsm-bench-import.XXXXXX")
cleanup() {
	"$TSM" -C "$tmp/s" lock >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
unset TSM_HOME TSM_NOW TSM_TEST_KILL_AT XDG_DATA_HOME
export XDG_RUNTIME_DIR="$tmp/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
printf 'bench pass\n' >"$tmp/pw"

# ---- the file: 8 columns as a lead list from a fair has them ----
csv="$tmp/leads.csv"
awk -v n="$rows" 'BEGIN {
	split("王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗", sn, " ");
	split("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平", gn, " ");
	split("制造业 Technology 金融 房地产 零售 医疗 互联网 教育 物流 外贸", ind, " ");
	split("北京 上海 深圳市 广州 杭州 成都 Wuhan 南京 苏州 西安", reg, " ");
	split("10人 50-199 大型 1000+ 小微 300人 中型 5000 20 250 employees", sz, " ");
	print "姓名,电话,公司,行业,地区,规模,来源,备注";
	for (i = 0; i < n; i++)
		printf "%s%s,139%08d,示例科技%d有限公司,%s,%s,%s,展会,第%d行\n",
			sn[i % 20 + 1], gn[int(i / 20) % 20 + 1], i, i % 5000,
			ind[i % 10 + 1], reg[int(i / 10) % 10 + 1],
			sz[int(i / 100) % 10 + 1], i
}' >"$csv"
size=$(wc -c <"$csv")

# ---- a fresh encrypted store, unlocked (no Argon2 in the timing) ----
TSM_PASSPHRASE_FILE="$tmp/pw" "$TSM" -C "$tmp/s" init --member mgr --name Bench --kdf interactive >/dev/null
TSM_PASSPHRASE_FILE="$tmp/pw" "$TSM" -C "$tmp/s" unlock >/dev/null
git init --bare -q "$tmp/central.git"
"$TSM" -C "$tmp/s" team create --remote "$tmp/central.git" >/dev/null

cpu_of() { # cpu_of CMD...: user+sys seconds of CMD (GNU time when there)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S %M' -o "$tmp/cpu" "$@"
	else
		"$@"
		echo "0 0 0" >"$tmp/cpu"
	fi
}

echo "bench_import: $rows rows, $((size / 1000000)) MB of CSV ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"

t0=$(date +%s.%N)
cpu_of "$TSM" -C "$tmp/s" import --json --no-progress "$csv" >"$tmp/tsm.json"
t1=$(date +%s.%N)
read -r tu ts trss <"$tmp/cpu"
imported=$(jq .imported "$tmp/tsm.json")
[ "$imported" -eq "$rows" ] || { echo "tsm imported $imported of $rows" >&2; exit 1; }
store=$(du -sk "$tmp/s" | cut -f1)

t2=$(date +%s.%N)
cpu_of sqlite3 "$tmp/plain.db" -cmd '.mode csv' ".import $csv leads"
t3=$(date +%s.%N)
read -r su ss srss <"$tmp/cpu"
n=$(sqlite3 "$tmp/plain.db" 'SELECT count(*) FROM leads')
[ "$n" -eq "$rows" ] || { echo "sqlite3 imported $n of $rows" >&2; exit 1; }
plain=$(du -sk "$tmp/plain.db" | cut -f1)

# The floor: the rows an import stands for (two op rows, the customer, the
# note), written straight into tsm's schema by plain SQLite.
raw_bin="$(dirname "$TSM")/tests/bench_import_raw"
[ -x "$raw_bin" ] || { echo "bench_import: build $raw_bin first" >&2; exit 1; }
read -r _ _ rw _ _ rc _ < <("$raw_bin" "$csv" "$tmp")

awk -v r="$rows" -v tw="$(echo "$t1 - $t0" | bc)" -v sw="$(echo "$t3 - $t2" | bc)" \
	-v tc="$(echo "$tu + $ts" | bc)" -v sc="$(echo "$su + $ss" | bc)" \
	-v rw="$rw" -v rc="$rc" -v trss="$trss" -v tk="$store" -v pk="$plain" -v ops="$(jq .ops "$tmp/tsm.json")" 'BEGIN {
	printf "tsm import       wall %7.2f s  cpu %7.2f s  %8.0f rows/s  %d ops  peak RSS %d MB  store %d MB\n",
		tw, tc, r / tw, ops, trss / 1024, tk / 1024
	printf "sqlite3 .import  wall %7.2f s  cpu %7.2f s  %8.0f rows/s  plain table %d MB\n",
		sw, sc, r / sw, pk / 1024
	printf "raw tsm rows     wall %7.2f s  cpu %7.2f s  %8.0f rows/s  (the same rows, plain SQLite, no op log logic)\n",
		rw, rc, r / rw
	printf "ratio            wall %.1fx  cpu %.1fx  (target <= 2x)\n", tw / sw, (sc > 0 ? tc / sc : 0)
	printf "floor            raw tsm rows / sqlite3 .import: wall %.1fx;  tsm import / raw tsm rows: wall %.1fx\n",
		rw / sw, tw / rw
}'
