#!/usr/bin/env bash
# tests/cli/c_order.sh — `tsm order add|list` and `tsm product list|add|set`:
# amounts typed in yuan stored as integer fen, services from the product list
# (built-ins, team products, retired ones), default terms and start dates,
# filters by customer, member and date, totals, --json read back field by
# field, every bad input refused with the store unchanged, and what an agent
# may see and do.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TSM_HOME="$tmp/s"
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-20T15:30:00+08:00
printf 'order test pass\n' >"$tmp/pw"

echo "== setup: store, team, customers"
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" init --member zhou.min --name '周敏' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" unlock
git init --bare -q "$tmp/central.git"
rc 0 "$TSM" team create --remote "$tmp/central.git"
rc 0 "$TSM" customer add --name '王小明' --phone '138 0000 2001' --company '華遠貿易'
C1=$(cat "$OUT")
rc 0 "$TSM" customer add --name 'Alice Example' --phone '+86 139 0000 2002'
C2=$(cat "$OUT")

echo "== help and usage"
rc 0 "$TSM" order --help
out_has 'tsm order add CUSTOMER --service S --amount YUAN'
rc 0 "$TSM" product --help
out_has 'tsm product set ID FIELD VALUE'
rc 2 "$TSM" order
rc 2 "$TSM" order frob
err_has "unknown subcommand 'frob'"
rc 2 "$TSM" product frob
unchanged rc 2 "$TSM" order add --service retainer --amount 100
err_has 'needs a CUSTOMER'
unchanged rc 2 "$TSM" order add "$C1" --amount 100
err_has 'needs --service'
unchanged rc 2 "$TSM" order add "$C1" --service retainer
err_has 'needs --amount'
unchanged rc 2 "$TSM" order add "$C1" "$C2" --service retainer --amount 1
unchanged rc 2 "$TSM" order add "$C1" --service retainer --amount 1 --bogus
err_has "unknown option '--bogus'"
unchanged rc 2 "$TSM" order add "$C1" --service retainer --amount
rc 2 "$TSM" order list extra
rc 2 "$TSM" product add x
rc 2 "$TSM" product set x name

echo "== the built-in product list"
rc 0 "$TSM" product list --json
jqe 'length == 6'
jqe '[.[].id] == ["compliance-audit", "contract-review", "ip-registration", "labor-dispute", "litigation", "retainer"]'
jqe '.[] | select(.id == "retainer") | .name_zh == "法律顧問" and .default_term == 12 and .builtin == true and .active == true'
jqe '.[] | select(.id == "contract-review") | .name_zh == "合同審查" and .default_term == null'
jqe '.[] | select(.id == "litigation") | .name_zh == "訴訟代理"'
jqe '.[] | select(.id == "compliance-audit") | .name_zh == "合規審查"'
rc 0 "$TSM" product list
out_has '^retainer  *Legal retainer  *法律顧問  *12m  (built-in)'

echo "== order add: amounts, services, terms, dates"
rc 0 "$TSM" order add "$C1" --service retainer --amount '12,000.50' --json
jqe ".customer == \"$C1\" and .customer_name == \"王小明\""
jqe '.service == "retainer" and .service_name == "法律顧問"'
jqe '.amount_fen == 1200050 and .amount == "12,000.50"'
jqe '.term_months == 12 and .start == "2026-11-20"' # product default, today
jqe '.note == null and .status == null and .created_by == "zhou.min"'
jqe '.created_at == "2026-11-20T15:30:00+08:00"'
jqe '.id | test("^o[0-9a-f]{12}$")'
O1=$(jq -r .id "$OUT")
# The text form names what was recorded.
rc 0 "$TSM" order add 13800002001 --service '合同審查' --amount '¥3000' --start 2026-12-01 --note '兩份合同'
out_has '合同審查 (contract-review) ¥3,000.00 from 2026-12-01 for 王小明'
for a in '12000' '¥12000' '￥12,000' '12000元' '12000.00' ' 12000 '; do
	rc 0 "$TSM" order add "$C2" --service 'Contract Review' --amount "$a" --json
	jqe '.amount_fen == 1200000 and .service == "contract-review"'
done
rc 0 "$TSM" order add "$C2" --service litigation --amount 0.05 --term 18 --json
jqe '.amount_fen == 5 and .amount == "0.05" and .term_months == 18'
rc 0 "$TSM" order add "$C2" --service 'legal RETAINER' --amount 9999999999999.99 --term 24 --json
jqe '.amount_fen == 999999999999999 and .service == "retainer" and .term_months == 24'

echo "== order add: bad input is refused and nothing is written"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount -5
err_has "invalid amount '-5': amount must not be negative"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 12.345
err_has "invalid amount '12.345': more than two decimals"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount abc
err_has "invalid amount 'abc'"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount ''
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 0
err_has 'amount must be greater than zero'
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 10000000000000
err_has 'amount too large'
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 1,00
err_has 'separator'
unchanged rc 1 "$TSM" order add "$C1" --service haircut --amount 100
err_has "unknown service 'haircut'; valid services: compliance-audit, contract-review, ip-registration, labor-dispute, litigation, retainer"
unchanged rc 1 "$TSM" order add c000000000000 --service retainer --amount 100
err_has "no customer 'c000000000000'"
unchanged rc 1 "$TSM" order add 13899999999 --service retainer --amount 100
err_has "no customer"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --term 0
err_has "invalid term '0'"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --term -3
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --term 1.5
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --term 99999
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --start 2026-02-30
err_has "invalid start date '2026-02-30'"
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --start tomorrow
unchanged rc 1 "$TSM" order add "$C1" --service retainer --amount 100 --start 2026-1-5

echo "== order list: table, totals, filters, --json"
export TSM_NOW=2026-11-25T09:00:00+08:00
rc 0 "$TSM" order add "$C2" --service compliance-audit --amount 50000 --json
O_LATE=$(jq -r .id "$OUT")
rc 0 "$TSM" order list --json
jqe 'length == 11'
jqe '.[0].id == "'"$O1"'" and .[-1].id == "'"$O_LATE"'"' # oldest first
jqe '[.[].amount_fen] | add == 1200050 + 300000 + 6 * 1200000 + 5 + 999999999999999 + 5000000'
jqe 'all(.[]; (.amount_fen | type) == "number")'
jqe '.[1].note == "兩份合同" and .[1].start == "2026-12-01" and .[1].term_months == null'
rc 0 "$TSM" order list --customer "$C1" --json
jqe 'length == 2 and all(.[]; .customer == "'"$C1"'")'
rc 0 "$TSM" order list --customer 13800002001
out_has '^o[0-9a-f]*  2026-11-20  王小明  *法律顧問  *12,000.50  *12m  2026-11-20  zhou.min$'
out_has '^o[0-9a-f]*  2026-11-20  王小明  *合同審查  *3,000.00  *-  2026-12-01  zhou.min$'
out_has '^2 orders, total ¥15,000.50$'
rc 0 "$TSM" order list --from 2026-11-21 --json
jqe 'length == 1 and .[0].id == "'"$O_LATE"'" and .[0].created_at == "2026-11-25T09:00:00+08:00"'
rc 0 "$TSM" order list --to 2026-11-20 --json
jqe 'length == 10'
rc 0 "$TSM" order list --from 2026-11-25 --to 2026-11-25 --json
jqe 'length == 1'
rc 0 "$TSM" order list --from 2026-11-21 --to 2026-11-24
out_has '^no orders$'
rc 0 "$TSM" order list --member nobody --json
jqe 'length == 0'
rc 0 "$TSM" order list --member zhou.min --json
jqe 'length == 11'
rc 1 "$TSM" order list --from 2026-13-01
err_has "invalid from date '2026-13-01'"
rc 1 "$TSM" order list --to yesterday
err_has "invalid to date"
rc 1 "$TSM" order list --from 2026-11-25 --to 2026-11-20
err_has 'ends (2026-11-20) before it starts (2026-11-25)'
rc 1 "$TSM" order list --customer c000000000000
err_has "no customer 'c000000000000'"

echo "== products: add, set, retire"
rc 0 "$TSM" product add ip-litigation --name 'IP litigation' --name-zh '知識產權訴訟' --term 6
out_has "added product 'ip-litigation'"
rc 0 "$TSM" product list --json
jqe 'length == 7'
jqe '.[] | select(.id == "ip-litigation") | .name == "IP litigation" and .name_zh == "知識產權訴訟" and .default_term == 6 and .builtin == false and .active == true'
rc 0 "$TSM" order add "$C1" --service 知識產權訴訟 --amount 8000 --json
jqe '.service == "ip-litigation" and .term_months == 6 and .service_name == "知識產權訴訟"'
unchanged rc 1 "$TSM" product add ip-litigation --name again
err_has "product 'ip-litigation' exists"
unchanged rc 1 "$TSM" product add 'Bad_ID' --name x
err_has "invalid product id 'Bad_ID'"
unchanged rc 1 "$TSM" product add x1 --name ''
err_has 'invalid name'
unchanged rc 1 "$TSM" product add x1 --name y --term 0
err_has "invalid term '0'"
unchanged rc 1 "$TSM" product set nosuch name x
err_has "no product 'nosuch'"
unchanged rc 1 "$TSM" product set retainer price 5
err_has "unknown product field 'price'"
unchanged rc 1 "$TSM" product set retainer default_term -1
err_has "invalid default_term '-1'"
unchanged rc 1 "$TSM" product set retainer active maybe
err_has "invalid active 'maybe'"
# Setting a field of a built-in makes the team's copy.
rc 0 "$TSM" product set retainer default_term 24
rc 0 "$TSM" product list --json
jqe '.[] | select(.id == "retainer") | .default_term == 24 and .builtin == false and .name_zh == "法律顧問" and .name == "Legal retainer"'
rc 0 "$TSM" order add "$C1" --service retainer --amount 100 --json
jqe '.term_months == 24'
rc 0 "$TSM" product set ip-litigation name-zh '專利訴訟'
rc 0 "$TSM" product set ip-litigation term none
rc 0 "$TSM" product list --json
jqe '.[] | select(.id == "ip-litigation") | .name_zh == "專利訴訟" and .default_term == null'
# Retired products are not offered; old orders keep their service.
rc 0 "$TSM" product set labor-dispute active false
rc 0 "$TSM" product list --json
jqe 'map(.id) | index("labor-dispute") == null'
rc 0 "$TSM" product list --all
out_has '^labor-dispute  *Labor dispute  *勞動爭議  *-  (retired)'
unchanged rc 1 "$TSM" order add "$C1" --service labor-dispute --amount 100
err_has "unknown service 'labor-dispute'"
rc 0 "$TSM" product set labor-dispute active true
rc 0 "$TSM" order add "$C1" --service labor-dispute --amount 100 --json
jqe '.service == "labor-dispute"'

echo "== an agent: own customers and orders only; products are managers'"
rc 0 "$TSM" member invite wu.lei --role agent
CODE=$(tail -1 "$OUT")
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$tmp/a" init --member wu.lei --name '吳磊' --kdf interactive
TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$TSM" -C "$tmp/a" unlock
rc 0 "$TSM" -C "$tmp/a" join --remote "$tmp/central.git" --invite "$CODE"
rc 0 "$TSM" sync
rc 0 "$TSM" -C "$tmp/a" sync
A=(-C "$tmp/a")
rc 0 "$TSM" "${A[@]}" order list --json
jqe 'length == 0' # the manager's customers are not the agent's
rc 0 "$TSM" "${A[@]}" product list --json
jqe '.[] | select(.id == "ip-litigation") | .name_zh == "專利訴訟"'
rc 0 "$TSM" "${A[@]}" customer add --name '孫七' --phone '137 0000 2003'
C3=$(cat "$OUT")
rc 0 "$TSM" "${A[@]}" order add "$C3" --service retainer --amount 6000 --json
jqe '.created_by == "wu.lei" and .term_months == 24 and .amount_fen == 600000'
unchanged -C "$tmp/a" rc 1 "$TSM" "${A[@]}" order add "$C1" --service retainer --amount 100
err_has "no customer"
unchanged -C "$tmp/a" rc 1 "$TSM" "${A[@]}" product add mine --name Mine
err_has 'only managers may edit products'
unchanged -C "$tmp/a" rc 1 "$TSM" "${A[@]}" product set retainer default_term 1
err_has 'only managers may edit products'
rc 0 "$TSM" "${A[@]}" order list --json
jqe 'length == 1 and .[0].customer == "'"$C3"'"'
rc 0 "$TSM" "${A[@]}" sync
rc 0 "$TSM" sync
rc 0 "$TSM" order list --member wu.lei --json
jqe 'length == 1 and .[0].customer_name == "孫七" and .[0].amount == "6,000.00"'
rc 0 "$TSM" order list --json
jqe 'length == 15'

echo "ok"
