#!/usr/bin/env bash
# The CLI as a user meets it: help, exit codes, messages that name the place, idempotent init,
# JSON that parses, and a confidential demand whose owner no command prints without --as-admin.
source "$(dirname "$0")/lib.sh"
K="$KECHAN"

for cmd in init import export list show stats check log serve chain match text; do
	expect 0 "usage: kechan" -- "$K" "$cmd" --help
done
expect 0 "commands:" -- "$K" --help
expect 1 "unknown command 'frobnicate'" -- "$K" frobnicate
expect 1 "commands:" -- "$K"
expect 1 "nowhere.db: no such database" -- "$K" --db nowhere.db list demands
expect 1 "nowhere.db: no such database" -- "$K" --db nowhere.db stats
expect 1 "nowhere.db: no such database" -- "$K" --db nowhere.db check
expect 1 "nowhere.db: no such database" -- "$K" --db nowhere.db show x
expect 1 "missing FILE or DIR" -- "$K" --db a.db import
expect 1 "--format is jsonl or csv" -- "$K" --db a.db export --format xml out
expect 1 "unknown type 'widgets'" -- "$K" --db a.db list widgets

expect 0 "created, schema version 4" -- "$K" --db a.db init
expect 0 "up to date, schema version 4" -- "$K" --db a.db init
expect 0 "created" -- "$K" --db a.db init --force
echo "this is a text file, not a database; it has enough bytes to look like a file." >text.db
expect 2 "not a kechan database" -- "$K" --db text.db stats
sqlite3 other.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
expect 2 "not a kechan database (an SQLite file of another program)" -- "$K" --db other.db stats

cat >data.jsonl <<'J'
{"type":"chain","id":"c1","name":"锂电池"}
{"type":"node","id":"n1","chain_id":"c1","name":"电芯","stage":"midstream"}
{"type":"org","id":"org-secret","name":"秘密电池股份有限公司","short_name":"秘密公司","kind":"enterprise","region":"320500"}
{"type":"org","id":"org-open","name":"公开大学","kind":"university","region":"110108"}
{"type":"demand","id":"d-sec","org_id":"org-secret","title":"快充电芯析锂预警","visibility":"confidential","nodes":["n1"]}
{"type":"demand","id":"d-pub","org_id":"org-secret","title":"电芯良率提升","nodes":["n1"]}
{"type":"challenge","id":"ch1","demand_id":"d-sec","title":"析锂预警揭榜"}
{"type":"supply","id":"s1","org_id":"org-open","kind":"achievement","title":"析锂检测算法","trl":4,"nodes":["n1"]}
{"type":"match","id":"m1","demand_id":"d-sec","supply_id":"s1","score":0.8,"stage":"nda"}
J
expect 0 "imported 9 records" -- "$K" --db c.db import --no-progress data.jsonl
for args in "list demands" "--json list demands" "show d-sec" "--json show d-sec" "show demand d-sec" \
	"list demands --where visibility=confidential" "list challenges" "show ch1" "show m1" "show s1" "show n1" "stats" "--json stats" "log" "--json log" "--json log -n 100"; do
	# shellcheck disable=SC2086
	out=$("$K" --db c.db $args 2>&1)
	if [[ $out == *d-sec* && $out == *org-secret* && $args != *"list demands"* ]]; then
		kc_fail "kechan $args prints d-sec together with its owner: $out"
	elif [[ $args == *"d-sec"* && ( $out == *org-secret* || $out == *秘密公司* ) ]]; then
		kc_fail "kechan $args names the owner: $out"
	else
		kc_ok
	fi
done
# The demand list shows the owner of the public demand only.
out=$("$K" --db c.db list demands)
[[ $(grep -c 'org-secret\|秘密公司' <<<"$out") == 1 && $(grep d-sec <<<"$out") == *保密* ]] && kc_ok || kc_fail "list demands: $out"
out=$("$K" --db c.db --json list demands)
python3 -c 'import json,sys; d=json.load(sys.stdin); s=[x for x in d["demands"] if x["id"]=="d-sec"][0]; assert "org_id" not in s and s["owner_hidden"]' <<<"$out" && kc_ok || kc_fail "json list: $out"
# The org's page does not list its confidential demand.
expect_not "d-sec" -- "$K" --db c.db show org-secret
expect_not "d-sec" -- "$K" --db c.db --json show org-secret
expect 0 "d-pub" -- "$K" --db c.db show org-secret
expect 1 "would reveal confidential owners" -- "$K" --db c.db list demands --where org_id=org-secret
# Only an admin sees the owner.
expect 0 "org-secret" -- "$K" --db c.db show d-sec --as-admin
expect 0 "d-sec" -- "$K" --db c.db show org-secret --as-admin
# Exports leave it out unless --as-admin, and say so.
for fmt in jsonl csv; do
	expect 0 "left out 3 confidential records" -- "$K" --db c.db export --format $fmt "ex-$fmt"
	if grep -rq 'd-sec' "ex-$fmt"; then kc_fail "export $fmt contains d-sec"; else kc_ok; fi
	expect 0 "exported 9 records" -- "$K" --db c.db export --as-admin --format $fmt "full-$fmt"
	grep -rq 'org-secret' "full-$fmt/demand.$fmt" && kc_ok || kc_fail "full export $fmt lacks the owner"
done
# Matching: a supply's demands leave the confidential one out, or show it without its owner to
# its own org; matching the confidential demand itself needs its org or an admin.
expect 0 "d-pub" -- "$K" --db c.db match supply s1 --explain
expect_not "d-sec" -- "$K" --db c.db match supply s1
expect_not "d-sec" -- "$K" --db c.db --json match supply s1
expect_not "org-secret" -- "$K" --db c.db --json match text "电芯 析锂 良率" --target demands
expect 0 "d-sec" -- "$K" --db c.db match supply s1 --as-admin
expect 1 "confidential: only its org" -- "$K" --db c.db match demand d-sec
expect 0 "s1" -- "$K" --db c.db match demand d-sec --org org-secret
expect 0 "s1" -- "$K" --db c.db match demand d-pub --explain
expect 1 "-k takes 1 to 1000" -- "$K" --db c.db match demand d-pub -k 0
expect 1 "not found" -- "$K" --db c.db match demand nope
"$K" --db c.db --json match demand d-pub | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["results"][0]; assert r["id"]=="s1" and r["explanation"][0]["term"]' && kc_ok || kc_fail "match --json"
# Batch: every demand's top k to a file, the confidential demand only with --as-admin.
expect 0 "left out 1 confidential demands" -- "$K" --db c.db match batch --out batch.jsonl
if grep -q d-sec batch.jsonl; then kc_fail "batch.jsonl has the confidential demand"; else kc_ok; fi
python3 -c 'import json,sys; [json.loads(l) for l in open("batch.jsonl")]' && kc_ok || kc_fail "batch.jsonl is not JSONL"
expect 0 "matched 2 demands" -- "$K" --db c.db match batch --out batch.csv --format csv --as-admin
[[ $(head -1 batch.csv) == "demand_id,rank,supply_id,score,text_score,terms" ]] && grep -q '^d-sec,1,s1,' batch.csv && kc_ok || kc_fail "batch.csv: $(cat batch.csv)"
expect 1 "batch takes --out FILE" -- "$K" --db c.db match batch
# Near-duplicates: a supply posted twice (once in traditional characters) is listed.
cat >dupes.jsonl <<'J'
{"type":"org","id":"o1","name":"甲大学","kind":"university","region":"110108"}
{"type":"supply","id":"s1","org_id":"o1","kind":"achievement","title":"竹基硬碳负极","description":"竹材经预氧化和碳化得到硬碳，可逆容量330mAh/g，首效90%。"}
{"type":"supply","id":"s2","org_id":"o1","kind":"achievement","title":"竹基硬碳負極","description":"竹材經預氧化和碳化得到硬碳，可逆容量330mAh/g，首效90%。"}
{"type":"supply","id":"s3","org_id":"o1","kind":"achievement","title":"光伏银浆","description":"低银含量细栅银浆。"}
J
expect 0 "imported 4 records" -- "$K" --db dupes.db import --no-progress dupes.jsonl
expect 0 "1.00  s1         s2" -- "$K" --db dupes.db match dupes
expect_not "s3" -- "$K" --db dupes.db match dupes
"$K" --db dupes.db --json match dupes | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["a"]=="s1" and d[0]["b"]=="s2"' && kc_ok || kc_fail "match dupes --json"
expect 1 "--threshold is in (0, 1]" -- "$K" --db dupes.db match dupes --threshold 2
# Filters on the demo data: every result passes them; bad values are named.
"$K" --db demo.db init >/dev/null && "$K" --db demo.db import --no-progress "$KC_SRC_DIR/data/demo" >/dev/null
"$K" --db demo.db --json match demand dem-0001 -k 50 --region 43 --trl 5-9 --stage pilot,industrial |
	python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["results"]; assert r and d["filtered"]>=len(r); assert all(x["region"].startswith("43") and 5<=x["trl"]<=9 and x["stage"] in ("pilot","industrial") for x in r), r' &&
	kc_ok || kc_fail "match filters region/trl/stage"
"$K" --db demo.db --json match text "硬碳负极" --target demands -k 50 --node na-hardcarbon --since 2025-01-01 --until 2025-12-31 |
	python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["results"]; assert r; assert all("na-hardcarbon" in x["nodes"] and "2025-01-01"<=x["published"]<="2025-12-31" for x in r), r' &&
	kc_ok || kc_fail "match filters node/date"
expect 0 ": 0 results (0 scored in full" -- "$K" --db demo.db match demand dem-0001 --region 11 --stage lab --trl 9
expect 1 "chain node 'nope' not found" -- "$K" --db demo.db match demand dem-0001 --node nope
expect 1 "--trl takes N or N-M within 1..9" -- "$K" --db demo.db match demand dem-0001 --trl 3-10
expect 1 "--stage: 'beta' is not one of" -- "$K" --db demo.db match demand dem-0001 --stage pilot,beta
expect 1 "--since takes a date YYYY-MM-DD" -- "$K" --db demo.db match demand dem-0001 --since 2025-13-01
expect 1 "region '4x1' is not a GB/T 2260 code" -- "$K" --db demo.db match demand dem-0001 --region 4x1
# Expansion: a chain node's English alias finds its records; associations learned from texts.
expect 0 "←spodumen" -- "$K" --db demo.db match text "spodumene" --explain
expect 0 ": 0 results (0 scored in full" -- "$K" --db demo.db match text "spodumene" --no-expand
for i in 1 2 3 4; do echo '{"title": "钠电池 层状氧化物 正极", "n": 1}'; done >texts.jsonl
echo '{"title": "钠电池 普鲁士白"}' >>texts.jsonl
echo 'not json' >>texts.jsonl
expect 2 "texts.jsonl:6: not a JSON object" -- "$K" --db demo.db match assoc --texts texts.jsonl
[[ ! -e demo.db.assoc ]] && kc_ok || kc_fail "a failed match assoc wrote a table"
sed -i '$d' texts.jsonl
expect 1 "--no-store needs at least one --texts FILE" -- "$K" --db demo.db match assoc --no-store
expect 0 "5 texts (0 from the store, 5 from files)" -- "$K" --db demo.db match assoc --no-store --texts texts.jsonl --fields title --out t.assoc
expect 0 "→ demo.db.assoc" -- "$K" --db demo.db match assoc --texts texts.jsonl
[[ -s demo.db.assoc ]] && kc_ok || kc_fail "match assoc wrote no DB.assoc"
# an sqlite: URL names the same files beside the database as the server reads
expect 0 "→ demo.db.assoc" -- "$K" --db sqlite:demo.db match assoc --texts texts.jsonl
[[ ! -e sqlite:demo.db.assoc ]] && kc_ok || kc_fail "match assoc wrote sqlite:demo.db.assoc"
# Field vectors: learned beside the table, rerank a record's results, each says how close.
[[ -s demo.db.lsa ]] && kc_ok || kc_fail "match assoc wrote no DB.lsa"
expect 0 "领域相近 field similarity" -- "$K" --db demo.db match demand dem-0001 -k 3 --explain
"$K" --db demo.db --json match demand dem-0001 -k 3 | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["results"]; assert r and all(0 < x["field"]["similarity"] <= 1.0001 and x["field"]["score"] > 0 for x in r), r' &&
	kc_ok || kc_fail "match --json field similarity"
[[ $("$K" --db demo.db match demand dem-0001 -k 3 --explain --no-expand) != *"领域相近"* ]] && kc_ok || kc_fail "--no-expand still reranks by field vectors"
# batch on all cores: the workers share the store (under a lock) and the kept vectors
"$K" --db demo.db match batch --out fv.jsonl -k 3 >/dev/null && grep -q '"field":{"similarity"' fv.jsonl &&
	kc_ok || kc_fail "match batch with field vectors"
expect 1 "--dims takes a number from 8 to 512" -- "$K" --db demo.db match assoc --dims 4
expect 0 "32 dims → l.lsa" -- "$K" --db demo.db match assoc --dims 32 --out t.assoc --lsa-out l.lsa
printf 'KCLSxxxx' >bad.lsa
expect 2 "not a kechan field vector model" -- "$K" --db demo.db match demand dem-0001 --lsa bad.lsa
cp demo.db.lsa keep.lsa
cp bad.lsa demo.db.lsa
expect 0 "matching without field vectors" -- "$K" --db demo.db match demand dem-0001 -k 3
cp keep.lsa demo.db.lsa
expect 0 "s" -- "$K" --db demo.db match demand dem-0001 -k 3
printf 'KCASxxxx' >bad.assoc
expect 2 "not a kechan association table" -- "$K" --db demo.db match demand dem-0001 --assoc bad.assoc
cp bad.assoc demo.db.assoc
expect 0 "matching without query expansion" -- "$K" --db demo.db match demand dem-0001 -k 3
rm -f demo.db.assoc demo.db.lsa
# Feedback: each side accepts or declines with a reason; the other side sees it; counted.
expect 0 "supply side declined 拒绝: too_expensive 价格过高 — stage declined" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side supply --decline too_expensive --note "报价超出预算"
expect 0 "demand side accepted" -- "$K" --db demo.db match feedback dem-0059 sup-0267 --side demand --accept
expect 0 "供给方 拒绝 declined: 价格过高" -- "$K" --db demo.db match demand dem-0059 -k 5
expect 0 "feedback on dem-0059: 0 accepted 接受, 1 declined 拒绝 (价格过高 1)" -- "$K" --db demo.db match demand dem-0059 -k 5
"$K" --db demo.db --json match supply sup-0267 -k 50 | python3 -c 'import json,sys; d=json.load(sys.stdin); r=[x for x in d["results"] if x["id"]=="dem-0059"]; assert r and r[0]["feedback"]["demand"]["verdict"]=="accept", d' && kc_ok || kc_fail "feedback in match supply --json"
expect 1 "declining needs a reason" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side supply --decline nope
expect 1 "--side is demand or supply" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side both --accept
expect 1 "supply 'sup-9999' not found" -- "$K" --db demo.db match feedback dem-0059 sup-9999 --side demand --accept
[[ $("$K" --db demo.db log -n 5) == *"feedback_decline"* ]] && kc_ok || kc_fail "feedback is not in the audit log"
# A declined match stays declined while either side declines; accepted again by both, it goes
# back to where it stood (mat-018 was at nda).
expect 0 "demand side declined 拒绝: wrong_field 领域不符 — stage declined" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side demand --decline wrong_field
expect 0 "supply side accepted 接受 — stage declined" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side supply --accept
expect 0 "demand side accepted 接受 — stage nda" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side demand --accept
[[ $("$K" --db demo.db --json show mat-018) != *stage_before_decline* ]] && kc_ok || kc_fail "stage_before_decline kept after the match was restored"
expect 1 "not both" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side supply --decline too_early --accept
expect 0 "supply side declined 拒绝: too_expensive 价格过高 — stage declined" -- "$K" --db demo.db match feedback dem-0059 sup-0238 --side supply --decline too_expensive
# Import lists new records that nearly duplicate existing ones (not old pairs, not with --no-dupes).
head -1 "$KC_SRC_DIR/data/demo/supplies.jsonl" | sed 's/sup-0001/sup-9001/; s/3000次/2500次/' >copy.jsonl
expect 0 "near-duplicates with new records: 1 pair" -- "$K" --db demo.db import --no-progress copy.jsonl
sed 's/sup-9001/sup-9002/' copy.jsonl >copy2.jsonl
expect_not "near-duplicates" -- "$K" --db demo.db import --no-progress --no-dupes copy2.jsonl
sed 's/sup-9001/sup-9003/' copy.jsonl >copy3.jsonl
"$K" --db demo.db --json import --no-progress copy3.jsonl | python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["near_duplicates"]; assert len(p)==3 and all("sup-9003" in (x["a"],x["b"]) for x in p), p' && kc_ok || kc_fail "import --json near_duplicates"
# The index snapshot next to the database: written on first use, loaded while current, rebuilt
# when stale or damaged, with the same results.
rm -f demo.db.index
first=$("$K" --db demo.db match demand dem-0001 -k 5 2>&1)
[[ -s demo.db.index ]] && kc_ok || kc_fail "no index snapshot written"
second=$("$K" --db demo.db match demand dem-0001 -k 5 2>&1)
[[ $first == "$second" ]] && kc_ok || kc_fail "snapshot results differ: $first // $second"
printf 'garbage' | dd of=demo.db.index bs=1 seek=200 conv=notrunc 2>/dev/null
expect 0 "damaged index snapshot (checksum mismatch); rebuilding the index" -- "$K" --db demo.db match demand dem-0001 -k 5
third=$("$K" --db demo.db match demand dem-0001 -k 5 2>&1)
[[ $first == "$third" ]] && kc_ok || kc_fail "results after a rebuild differ"
expect 0 "sup-0001" -- "$K" --db demo.db match demand dem-0001 -k 5 --rebuild-index
# A database of schema version 1 is migrated when opened for writing.
"$K" --db v1.db init >/dev/null
for c in demand_verdict demand_reason supply_verdict supply_reason feedback_note stage_before_decline; do sqlite3 v1.db "ALTER TABLE \"match\" DROP COLUMN $c"; done
sqlite3 v1.db "DROP TABLE credential"
sqlite3 v1.db "PRAGMA user_version=1"
expect 0 "up to date, schema version 4" -- "$K" --db v1.db init
[[ $(sqlite3 v1.db "SELECT count(*) FROM pragma_table_info('match') WHERE name LIKE '%verdict'") == 2 ]] && kc_ok || kc_fail "migration 2 did not add the verdict columns"
[[ $(sqlite3 v1.db "SELECT count(*) FROM pragma_table_info('credential')") -gt 5 ]] && kc_ok || kc_fail "migration 3 did not add the credential table"
[[ $(sqlite3 v1.db "SELECT count(*) FROM pragma_table_info('match') WHERE name = 'stage_before_decline'") == 1 ]] && kc_ok || kc_fail "migration 4 did not add stage_before_decline"
# JSON output parses everywhere.
for args in "stats" "check" "list orgs" "show c1" "init"; do
	# shellcheck disable=SC2086
	"$K" --db c.db --json $args 2>/dev/null | python3 -m json.tool >/dev/null 2>&1 && kc_ok || kc_fail "--json $args is not JSON"
done
"$K" --db j.db --json import --no-progress data.jsonl | python3 -m json.tool >/dev/null 2>&1 && kc_ok || kc_fail "--json import is not JSON"
expect 0 "ok" -- "$K" --db c.db check
# show/list find what they should.
expect 1 "no record with id 'nope'" -- "$K" --db c.db show nope
expect 0 "中游 midstream" -- "$K" --db c.db show c1
expect 0 "(1 of 1 supplies)" -- "$K" --db c.db list supplies --where kind=achievement
expect 0 "(0 of 0 supplies)" -- "$K" --db c.db list supplies --where kind=patent

kc_done
