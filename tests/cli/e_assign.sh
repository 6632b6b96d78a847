#!/usr/bin/env bash
# tests/cli/e_assign.sh — `tsm assign` in a team of five replicas synced
# through a local central repository (manager, two agents, a lead, an
# assistant): round-robin and balanced distribution checked customer by
# customer, --dry-run, --from, bad targets and usage; an agent's and an
# assistant's attempts refused locally with the store unchanged, an agent's
# import refused, an assistant's import and a lead's assignment reaching
# the manager through sync; equal state hashes at the end.
set -eu
TSM_SRC=${TSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TSM_SRC/tests/cli/lib/harness.sh"
tsm_tmp
export TZ=Asia/Shanghai
export TSM_NOW=2026-11-27T10:00:00+08:00
printf 'assign test pass\n' >"$tmp/pw"

# rc WANT STORE ARGS...: tsm -C $tmp/STORE ARGS, its exit code checked.
rc() { rc_in "$@"; }
hash() { "$TSM" -C "$tmp/$1" debug state-hash; }
# owners STORE: "name=owner" lines of the customers STORE sees, by name.
owners() {
	"$TSM" -C "$tmp/$1" customer list --json |
		jq -r 'sort_by(.name) | .[] | "\(.name)=\(.owner // "-")"'
}

echo "== a team: manager, two agents, a lead, an assistant"
new_store() { # new_store STORE MEMBER NAME
	TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$1" init --member "$2" --name "$3" --kdf interactive
	TSM_PASSPHRASE_FILE="$tmp/pw" rc 0 "$1" unlock
}
new_store mgr mgr "Manager Wang"
git init --bare -q "$tmp/central.git"
rc 0 mgr team create --remote "$tmp/central.git"
join() { # join STORE MEMBER ROLE NAME
	rc 0 mgr member invite "$2" --role "$3" --name "$4"
	local code
	code=$(cat "$OUT")
	new_store "$1" "$2" "$4"
	rc 0 "$1" join --invite "$code"
}
join a1 agent1 agent "Agent Li"
join a2 agent2 agent "Agent Zhao"
join l1 lead1 lead "Lead Chen"
join s1 asst1 assistant "Assistant Sun"
rc 0 mgr sync
for s in a1 a2 l1 s1; do rc 0 "$s" sync; done
rc 0 mgr member list --json
jqe '(map(.member) | sort) == ["agent1","agent2","asst1","lead1","mgr"]'

echo "== twelve leads, imported by the manager"
{
	echo "姓名,电话,行业,地区,来源"
	for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
		if [ $((10#$i % 2)) -eq 1 ]; then ind=金融; else ind=科技; fi
		echo "客户$i,1380000$((1000 + 10#$i)),$ind,北京,展会"
	done
} >"$tmp/leads.csv"
rc 0 mgr import --json "$tmp/leads.csv"
jqe '.imported == 12'

echo "== usage and refusals on the manager's replica"
rc 2 mgr assign --unassigned
err_has "whom to"
rc 2 mgr assign --to agent1
err_has "which customers"
rc 2 mgr assign 13800001001 --unassigned --to agent1
rc 2 mgr assign --unassigned --to agent1 --strategy random
rc 2 mgr assign --unassigned --to agent1 --limit 0
h=$(hash mgr)
rc 1 mgr assign --unassigned --to agent1,nobody
err_has "no active member 'nobody'"
rc 1 mgr assign --unassigned --to asst1
err_has "'asst1' is an assistant: customers go to agents, leads or managers"
rc 1 mgr assign 13899999999 --to agent1
err_has "no customer"
rc 1 mgr assign --from agent1 --to agent1
[ "$(hash mgr)" = "$h" ] || fail "refused assignments changed the store"

echo "== round-robin: 金融 leads in import order to agent1, agent2"
rc 0 mgr assign --unassigned --industry 金融 --to agent1,agent2 --dry-run --json
jqe '.dry_run and .changed == 6'
[ "$(hash mgr)" = "$h" ] || fail "a dry run changed the store"
rc 0 mgr assign --unassigned --industry 金融 --to agent1,agent2 --json
jqe '.strategy == "round-robin" and .selected == 6 and .changed == 6 and .unchanged == 0'
jqe '[.assignments[].name] == ["客户01","客户03","客户05","客户07","客户09","客户11"]'
jqe '[.assignments[].to] == ["agent1","agent2","agent1","agent2","agent1","agent2"]'
jqe '[.members[] | [.member, .open_before, .assigned]] == [["agent1",0,3],["agent2",0,3]]'
owners mgr >"$tmp/o1"
grep -qx '客户01=agent1' "$tmp/o1" && grep -qx '客户03=agent2' "$tmp/o1" &&
	grep -qx '客户11=agent2' "$tmp/o1" && grep -qx '客户02=-' "$tmp/o1" ||
	fail "owners after round-robin: $(cat "$tmp/o1")"

echo "== balanced: by open workload (lost ones do not count)"
rc 0 mgr customer edit 13800001001 --stage lost
rc 0 mgr customer edit 13800001005 --stage lost
# agent1 has 1 open, agent2 3, lead1 0; ties go to the lower id.
rc 0 mgr assign --unassigned --limit 5 --to lead1,agent2,agent1 --strategy balanced --json
jqe '.strategy == "balanced" and .selected == 5 and .changed == 5'
jqe '[.assignments[].name] == ["客户02","客户04","客户06","客户08","客户10"]'
jqe '[.assignments[].to] == ["lead1","agent1","lead1","agent1","lead1"]'
jqe '[.members[] | [.member, .open_before, .assigned]] == [["lead1",0,3],["agent2",3,0],["agent1",1,2]]'
rc 0 mgr assign --unassigned --to agent2 --strategy balanced
out_has "assigned 1 customer:"
out_has "agent2 *+1 (open before: 3)"
rc 0 mgr customer list --owner agent1 --json
jqe 'length == 5'

echo "== by id, one already with its member"
rc 0 mgr assign 13800001012 13800001002 --to agent2 --json
jqe '.changed == 1 and .unchanged == 1 and .assignments[0].changed == false and .assignments[1].from == "lead1"'

echo "== agents and assistants may not assign; agents may not import"
rc 0 mgr sync
for s in a1 a2 l1 s1; do rc 0 "$s" sync; done
rc 0 a1 customer list --json
jqe 'length == 5'
C=$(jq -r '.[0].id' "$OUT")
h=$(hash a1)
rc 1 a1 assign "$C" --to agent2
err_has "only a lead or manager may assign customers (agent1 is an agent)"
rc 1 a1 customer edit "$C" --owner agent2
rc 1 a1 import "$tmp/leads.csv"
err_has "agents may not import"
[ "$(hash a1)" = "$h" ] || fail "refused commands changed agent1's store"
h=$(hash s1)
rc 1 s1 assign --unassigned --to agent1
err_has "(asst1 is an assistant)"
[ "$(hash s1)" = "$h" ] || fail "a refused assignment changed the assistant's store"

echo "== the assistant imports, the lead assigns, the manager sees it"
printf 'name,phone,source\nNew Lead One,13900006001,partner\nNew Lead Two,13900006002,partner\n' >"$tmp/partner.csv"
rc 0 s1 import --json "$tmp/partner.csv"
jqe '.imported == 2'
# The assistant may reclassify anyone's customer, not change the rest.
printf 'name,phone,company,region\n客户02,13800001002,,上海\n客户04,13800001004,新公司,\n' >"$tmp/upd.csv"
rc 0 s1 import --on-duplicate update --json "$tmp/upd.csv"
jqe '.updated == 1 and .rejected == 1 and .rejected_by_reason.not_allowed == 1'
jqe '.samples[0].reason | test("an assistant may update only industry, region, size, source and tags")'
rc 0 s1 sync
rc 0 l1 sync
rc 0 l1 assign --unassigned --source partner --to agent2 --json
jqe '.changed == 2 and [.assignments[].name] == ["New Lead One","New Lead Two"]'
rc 0 l1 sync
rc 0 mgr sync
rc 0 mgr customer show 13900006002 --json
jqe '.owner == "agent2" and .created_by == "asst1" and .source == "partner"'
rc 0 mgr customer show 13800001002 --json
jqe '.region == "上海" and .company == null'
rc 0 mgr customer show 13800001004 --json
jqe '.company == null'

echo "== --from: agent1 leaves, their customers move"
rc 0 mgr assign --from agent1 --to agent2,lead1 --json
jqe '.selected == 5 and .changed == 5 and ([.assignments[].from] | unique) == ["agent1"]'
jqe '[.assignments[].name] == ["客户01","客户04","客户05","客户08","客户09"]'
jqe '[.assignments[].to] == ["agent2","lead1","agent2","lead1","agent2"]'
rc 0 mgr customer list --owner agent1 --json
jqe 'length == 0'

echo "== every replica converges"
rc 0 mgr sync
for s in a1 a2 l1 s1; do rc 0 "$s" sync; done
rc 0 mgr sync
for s in a1 a2 l1 s1; do rc 0 "$s" sync; done
hm=$(hash mgr)
for s in a1 a2 l1 s1; do
	[ "$(hash "$s")" = "$hm" ] || fail "$s's state differs from the manager's"
done
# agent2: 03 07 11 12 02, the two partner leads, 01 05 09.
rc 0 a2 customer list --owner agent2 --json
jqe 'length == 10'

echo "e_assign: ok"
