#!/usr/bin/env bash
# tests/cli/e_report.sh — `tsm target set|list` and `tsm report
# daily|weekly|monthly` from the command line: a manager and two agents on
# three replicas (invite, join, sync over a local bare repository), calls,
# orders, follow-ups and do-not-call additions on a fixed clock, then the
# numbers checked by hand in every format: table, CSV (parsed), JSON (field
# by field), HTML (parsed as XML, the three SVG charts present, user text
# escaped); agents see only their own numbers; managers alone set targets.
# The full arithmetic over three agents and a month lives in
# tests/unit/test_report.c; this checks the command line around it.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
command -v python3 >/dev/null || { echo "e_report: python3 is required" >&2; exit 1; }
tsm_tmp
export TZ=Asia/Shanghai
printf 'report test pass\n' >"$tmp/pw"

# rc WANT STORE ARGS...: tsm -C $tmp/STORE ARGS, its exit code checked.
rc() { rc_in "$@"; }
# sync STORE: a sync that exits 0, or 4 when review items arrive
sync() { rc '0|4' "$1" sync; }
# at DAY HH:MM: the clock, November 2026 in Shanghai.
at() { export TSM_NOW="2026-11-$1T$2:00+08:00"; }

echo "== setup: a manager and two agents"
at 20 09:00
name_of() {
	case $1 in
	mgr) echo '梅经理 <Mei> & Co' ;;
	ann) echo '王安娜' ;;
	bob) echo '=Bob "B" Agent' ;; # looks like a spreadsheet formula
	esac
}
for m in mgr ann bob; do
	TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$m" init --member "$m" --name "$(name_of "$m")" --kdf interactive
	TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$m" unlock
done
git init -q --bare "$tmp/central.git"
rc 0 mgr team create --remote "$tmp/central.git" --name 'East <Sales> & Co'
for m in ann bob; do
	rc 0 mgr member invite "$m" --role agent --name "$(name_of "$m")"
	code=$(cat "$OUT")
	rc 0 "$m" join --invite "$code"
done
sync mgr
sync ann
sync bob

echo "== fixture (week of Monday 23 November; the day is Wednesday 25)"
at 20 10:00
rc 0 ann customer add --name 'Customer Alpha' --phone '+86 138 0000 4001'
a1=$(tail -n 1 "$OUT")
rc 0 ann customer add --name 'Customer Beta' --phone '+86 138 0000 4002'
a2=$(tail -n 1 "$OUT")
rc 0 bob customer add --name 'Customer Gamma' --phone '+86 138 0000 4003'
b1=$(tail -n 1 "$OUT")
# ann: Monday a gatekeeper of 70 s (effective: connected and >= 60 s, the
# default policy); Wednesday no-answer, interested 120 s, an order call of
# 300 s with an order of 12,000.00 yuan.
at 23 10:00; rc 0 ann call log "$a2" --outcome gatekeeper --duration 70
at 25 09:00; rc 0 ann call log "$a1" --outcome no-answer
at 25 09:30; rc 0 ann call log "$a1" --outcome interested --duration 120
at 25 10:00; rc 0 ann call log "$a2" --outcome order --duration 300 --service retainer --amount 12000
# ann: a follow-up due at 15:00 on Wednesday, done at 14:00 (on time).
at 25 12:00; rc 0 ann followup add "$a1" --due '2026-11-25 15:00' --json
f1=$(jq -r .id "$OUT")
at 25 14:00; rc 0 ann followup done "$f1"
# bob: Tuesday not-interested 10 s (an effective outcome); Wednesday a
# gatekeeper of 30 s (connected, not effective) and a busy line; a
# follow-up due at 16:00 never done (overdue); a number put on the
# do-not-call list.
at 24 10:00; rc 0 bob call log "$b1" --outcome not-interested --duration 10
at 25 11:00; rc 0 bob call log "$b1" --outcome gatekeeper --duration 30
at 25 11:30; rc 0 bob call log "$b1" --outcome busy
at 25 11:45; rc 0 bob followup add "$b1" --due '2026-11-25 16:00'
at 25 12:00; rc 0 bob dnc add '+86 138 0000 9999'
# targets for November: ann 100 calls and 20,000 yuan; the team 200 calls
# and 4 orders.
at 25 13:00
rc 0 mgr target set --member ann --month 2026-11 --calls 100 --revenue 20000
out_has 'set 2 fields of the 2026-11 target for ann'
rc 0 mgr target set --team --month 2026-11 --calls 200 --orders 4 --json
jqe '.team == true and .member == null and .dials == 200 and .orders == 4 and .effective == null and .revenue_fen == null'
rc 0 mgr target set --team --month 2026-11 --calls 200
out_has 'unchanged'
at 27 18:00
for m in ann bob mgr ann bob; do sync "$m"; done

echo "== targets: list, errors, managers only"
rc 0 mgr target list --month 2026-11 --json
jqe 'length == 2 and .[0].team and .[1].member == "ann" and .[1].revenue_fen == 2000000 and .[1].dials == 100'
rc 0 mgr target list
out_has '^2026-11  *(team)  *200  *-  *4  *-$'
out_has '^2026-11  *ann  *100  *-  *-  *20,000.00$'
rc 0 ann target list --json
jqe 'length == 2'
rc 0 bob target list --json
jqe 'length == 1 and .[0].team'
unchanged -C "$tmp/ann" rc 1 ann target set --member ann --month 2026-11 --calls 1
err_has 'only a manager may set targets'
rc 2 mgr target set --month 2026-11 --calls 5
rc 2 mgr target set --team --member ann --calls 5
rc 2 mgr target set --team --frob 1
rc 1 mgr target set --team --month 2026-13 --calls 5
err_has "invalid month '2026-13'"
rc 1 mgr target set --team --month 2026-11
err_has 'no target given'
rc 1 mgr target set --member zed --month 2026-11 --calls 5
err_has "no member 'zed'"
rc 1 mgr target set --team --calls 12x
rc 1 mgr target set --team --revenue 1.234
err_has 'invalid amount'

echo "== daily (Wednesday 25), JSON field by field"
# ann: 3 dials (no-answer, interested, order), 2 connected, 2 effective,
# 2 interested, 1 order of 1,200,000 fen, talk 120 + 300 = 420 s.
# bob: 2 dials (gatekeeper 30 s, busy), 1 connected, 0 effective.
# team: 5 dials, 3 connected, 2 effective, 2 interested, 1 order; connect
# 3/5 = .6, effective 2/3 = .6667, conversion 1/2 = .5; talk 450 s.
rc 0 mgr report daily --date 2026-11-25 --json
jqe '.kind == "daily" and .period == "2026-11-25" and .first_day == "2026-11-25" and .last_day == "2026-11-25"'
jqe '.team == true and .team_name == "East <Sales> & Co" and .effective_seconds == 60'
jqe '.total.dials == 5 and .total.connected == 3 and .total.effective == 2 and .total.interested == 2'
jqe '.total.orders == 1 and .total.revenue_fen == 1200000 and .total.talk_s == 450'
jqe '.total.connect_rate == 0.6 and .total.effective_rate == 0.6667 and .total.conversion_rate == 0.5'
jqe '.members | map(.member) == ["ann", "bob"]'
jqe '.members[0].rank == 1 and .members[1].rank == 2'
jqe '.members[0].name == "王安娜" and .members[0].role == "agent"'
jqe '.members[0].dials == 3 and .members[0].connected == 2 and .members[0].effective == 2 and .members[0].talk_s == 420'
jqe '.members[0].connect_rate == 0.6667 and .members[0].effective_rate == 1 and .members[0].conversion_rate == 0.5'
jqe '.members[1].dials == 2 and .members[1].connected == 1 and .members[1].effective == 0 and .members[1].talk_s == 30'
# bob: effective 0/1 = 0, conversion 0/0 undefined: null
jqe '.members[1].effective_rate == 0 and .members[1].conversion_rate == null'
# follow-ups due on the 25th: ann's on time, bob's overdue (the day ended)
jqe '.members[0].followups == {"due": 1, "on_time": 1, "late": 0, "overdue": 0, "pending": 0}'
jqe '.members[1].followups.due == 1 and .members[1].followups.overdue == 1'
jqe '.total.followups.due == 2 and .total.revisits.due == 0'
jqe '.members[1].dnc_added == 1 and .total.dnc_added == 1'
# the seven days ending on the 25th
jqe '.days | length == 7'
jqe '.days[0].date == "2026-11-19" and .days[6].date == "2026-11-25"'
jqe '.days[4].dials == 1 and .days[5].dials == 1 and .days[6].dials == 5 and .days[6].revenue_fen == 1200000'
# targets month to date at the end of the 25th: ann 1 + 3 = 4 of 100 calls
# (.04), 1,200,000 of 2,000,000 fen (.6); team 4 + 3 = 7 of 200 (.035),
# 1 of 4 orders (.25), no effective target (null) with 3 (ann: Monday and
# Wednesday's two) + 1 (bob's Tuesday) = 4 effective done
jqe '.targets == {"month": "2026-11", "month_days": 30, "elapsed_days": 25}'
jqe '.members[0].target.dials == {"target": 100, "done": 4, "completion": 0.04}'
jqe '.members[0].target.revenue_fen == {"target": 2000000, "done": 1200000, "completion": 0.6}'
jqe '.total.target.dials.completion == 0.035 and .total.target.orders.completion == 0.25'
jqe '.total.target.effective == {"target": null, "done": 4, "completion": null} and .total.target.derived == false'

echo "== weekly and monthly"
# the week adds ann's Monday (70 s, effective) and bob's Tuesday (10 s,
# effective outcome): ann 4 dials, 3 connected, 3 effective, talk 490;
# bob 3 dials, 2 connected, 1 effective, talk 40; team 7, 5, 4, 1 order.
rc 0 mgr report weekly --date 2026-11-25 --format json
jqe '.period == "2026-W48" and .first_day == "2026-11-23" and .last_day == "2026-11-29"'
jqe '.total.dials == 7 and .total.connected == 5 and .total.effective == 4 and .total.talk_s == 530'
jqe '.members[0].member == "ann" and .members[0].dials == 4 and .members[0].effective == 3 and .members[0].talk_s == 490'
jqe '.members[1].member == "bob" and .members[1].dials == 3 and .members[1].effective == 1'
# now (Friday 18:00) is before the week ends; bob's follow-up is overdue
jqe '.total.followups == {"due": 2, "on_time": 1, "late": 0, "overdue": 1, "pending": 0}'
jqe '.days | map(.dials) == [1, 1, 5, 0, 0, 0, 0]'
jqe '.targets.elapsed_days == 29 and .total.target.dials.done == 7'
rc 0 mgr report monthly --date 2026-11 --json
jqe '.period == "2026-11" and .first_day == "2026-11-01" and .last_day == "2026-11-30" and (.days | length) == 30'
jqe '.total.dials == 7 and .total.revenue_fen == 1200000 and .targets.elapsed_days == 30'
rc 0 mgr report monthly --date 2026-11-25 --member bob --json
jqe '.team == false and .member == "bob" and (.members | length) == 1 and .total.dials == 3'

echo "== table"
rc 0 mgr report daily --date 2026-11-25
out_has '^daily report 2026-11-25, team East <Sales> & Co, as of 2026-11-27 18:00$'
out_has '^ *1  *ann  *王安娜  *3  *2  *2  *2  *1  *12,000.00  *66.67%  *100.00%  *50.00%  *0:07:00$'
out_has '^ *2  *bob  *=Bob "B" Agent  *2  *1  *0  *0  *0  *0.00  *50.00%  *0.00%  *-  *0:00:30$'
out_has '^ *total  *5  *3  *2  *2  *1  *12,000.00  *60.00%  *66.67%  *50.00%  *0:07:30$'
out_has '^ann  *4 / 100 (4.00%)  *3  *1  *12,000.00 / 20,000.00 (60.00%)$'
out_has '^team  *7 / 200 (3.50%)  *4  *1 / 4 (25.00%)  *12,000.00$'
out_has '^2026-11-25  *5  *3  *2  *2  *1  *12,000.00$'

echo "== CSV"
rc 0 mgr report weekly --date 2026-11-25 --format csv -o "$tmp/week.csv"
err_has "wrote $tmp/week.csv"
[ ! -s "$OUT" ] || fail "csv with -o wrote to stdout"
python3 - "$tmp/week.csv" <<'EOF' || fail "csv check"
import csv, sys
raw = open(sys.argv[1], newline='', encoding='utf-8').read()
assert raw.endswith('\r\n'), 'RFC 4180 lines end with CRLF'
rows = list(csv.reader(raw.splitlines(keepends=True)))
head = rows[0]
assert head[:6] == ['row', 'kind', 'period', 'first_day', 'last_day', 'member'], head
assert len(rows) == 4, rows  # header, ann, bob, total
assert all(len(r) == len(head) for r in rows), 'ragged rows'
d = [dict(zip(head, r)) for r in rows[1:]]
ann, bob, tot = d
assert ann['row'] == 'member' and ann['member'] == 'ann' and ann['name'] == '王安娜', ann
# quoted, and guarded: a spreadsheet shows it as text, runs no formula
assert bob['name'] == "'=Bob \"B\" Agent", bob['name']
assert ann['rank'] == '1' and bob['rank'] == '2'
assert ann['dials'] == '4' and ann['connected'] == '3' and ann['effective'] == '3'
assert ann['revenue_fen'] == '1200000' and ann['revenue_yuan'] == '12000.00'
assert ann['connect_rate'] == '0.7500' and ann['effective_rate'] == '1.0000'
assert ann['conversion_rate'] == '0.3333', ann['conversion_rate']
assert bob['conversion_rate'] == '0.0000' and bob['effective_rate'] == '0.5000'
assert tot['row'] == 'total' and tot['member'] == '' and tot['dials'] == '7'
assert tot['connect_rate'] == '0.7143' and tot['talk_s'] == '530'
assert tot['followups_due'] == '2' and tot['followups_overdue'] == '1'
assert ann['target_dials'] == '100' and ann['done_dials'] == '4'
assert ann['target_effective'] == '' and ann['done_effective'] == '3'
assert tot['target_orders'] == '4' and tot['done_orders'] == '1'
assert bob['dnc_added'] == '1'
EOF
# undefined rates are empty fields
rc 0 mgr report daily --date 2026-11-25 --format csv
python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
bob = [r for r in rows if r["member"] == "bob"][0]
assert bob["conversion_rate"] == "" and bob["effective_rate"] == "0.0000", bob
' "$OUT" || fail "daily csv"

echo "== HTML"
rc 0 mgr report weekly --date 2026-11-25 --format html -o "$tmp/week.html"
python3 - "$tmp/week.html" <<'EOF' || fail "html check"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
html = doc.documentElement
assert html.tagName == 'html' and html.getAttribute('xmlns') == 'http://www.w3.org/1999/xhtml'
svgs = {s.getAttribute('id'): s for s in doc.getElementsByTagName('svg')}
assert set(svgs) >= {'trend', 'funnel', 'members'}, svgs.keys()
for s in svgs.values():
    assert s.getAttribute('xmlns') == 'http://www.w3.org/2000/svg'
# the trend has a bar per day and series (7 x 3), the members two groups
assert len(svgs['trend'].getElementsByTagName('rect')) >= 21
assert len(svgs['funnel'].getElementsByTagName('rect')) == 5
text = open(sys.argv[1], encoding='utf-8').read()
assert 'East &lt;Sales&gt; &amp; Co' in text and '<Sales>' not in text
assert '王安娜' in text and '=Bob &quot;B&quot; Agent' in text
assert '<script' not in text and 'src=' not in text and 'href=' not in text
assert '12,000.00' in text
EOF
rc 0 mgr report daily --date 2026-11-25 --format html
python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$OUT" || fail "daily html is not well-formed"
grep -q '<svg id="trend"' "$OUT" || fail "daily html lacks the trend"

echo "== agents see only their own numbers"
rc 0 ann report weekly --date 2026-11-25 --json
jqe '.team == false and .member == "ann" and (.members | map(.member)) == ["ann"]'
jqe '.total.dials == 4 and .total.revenue_fen == 1200000 and (.days | map(.dials)) == [1, 0, 3, 0, 0, 0, 0]'
rc 0 bob report daily --date 2026-11-25 --format csv
python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert [r["member"] for r in rows] == ["bob", "bob"], rows
' "$OUT" || fail "agent csv"
rc 1 ann report weekly --team
err_has 'an agent sees only their own numbers'
rc 1 ann report weekly --member bob
err_has 'an agent sees only their own numbers'
rc 0 ann report weekly --member ann --json
jqe '.member == "ann"'

echo "== usage and bad input"
rc 2 mgr report
rc 2 mgr report hourly
rc 2 mgr report daily --format pdf
rc 2 mgr report daily --team --member ann
rc 2 mgr report daily extra
rc 1 mgr report daily --date 2026-02-30
err_has "invalid date '2026-02-30'"
rc 1 mgr report daily --member zed
err_has "no member 'zed'"
rc 1 mgr report daily -o "$tmp/no/such/dir/x.html" --format html
err_has 'cannot open'
rc 0 mgr report --help
out_has 'Monday-to-Sunday'

echo "ok: e_report"
