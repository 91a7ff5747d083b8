#!/usr/bin/env bash
# Every kind of bad input gets its own case: the exit code (2), the message with file, line and
# field, and a database left exactly as it was (nothing half-written).
source "$(dirname "$0")/lib.sh"
K="$KECHAN"

cat >base.jsonl <<'J'
{"type":"chain","id":"c1","name":"钠离子电池"}
{"type":"node","id":"n1","chain_id":"c1","name":"硬碳负极","stage":"midstream"}
{"type":"node","id":"n2","chain_id":"c1","name":"钠离子电芯","stage":"midstream"}
{"type":"org","id":"o1","name":"甲公司","kind":"enterprise","region":"350900"}
{"type":"supply","id":"s1","org_id":"o1","kind":"patent","title":"硬碳","ipc":["H01M 4/587"],"trl":4}
J
"$K" --db t.db import --no-progress base.jsonl >/dev/null || { echo "FAIL: base import"; exit 1; }
digest() { sqlite3 t.db .dump | sha256sum; }
before=$(digest)

# bad FILE CODE "message": imports FILE, expects the exit code and message, and no change.
bad() {
	local file=$1 sub=$2
	expect 2 "$sub" -- "$K" --db t.db import --no-progress "$file"
	[[ $(digest) == "$before" ]] && kc_ok || kc_fail "$file changed the database"
}
sup() { printf '{"type":"supply","id":"%s","org_id":"o1","kind":"patent","title":"t"%s}\n' "$1" "$2"; }

printf '{"type":"org","id":"o2","name":"\xe4\xb8","kind":"lab","region":"110108"}\n' >utf8.jsonl
bad utf8.jsonl "utf8.jsonl:1: invalid UTF-8 at byte 33 of the line"
printf 'id,name,kind,region\no3,\xff\xfe,lab,110108\n' >org.csv
bad org.csv "org.csv:2:name: invalid UTF-8"
printf '{"type":"org","id":"o2",}\n' >json.jsonl
bad json.jsonl "json.jsonl:1: invalid JSON at column"
printf '{"type":"org","id":"o2","kind":"lab","region":"110108"}\n' >req.jsonl
bad req.jsonl "req.jsonl:1:name: missing required field (名称)"
sup s2 ',"colour":"red"' >unknown.jsonl
bad unknown.jsonl "unknown.jsonl:1:colour: unknown field 'colour' for type supply"
sup s2 ',"trl":"5"' >type1.jsonl
bad type1.jsonl "type1.jsonl:1:trl: expected an integer, got a string"
printf '{"type":"supply","id":"s2","org_id":"o1","kind":"patent","title":42}\n' >type2.jsonl
bad type2.jsonl "type2.jsonl:1:title: expected a string, got an integer"
sup s2 ',"stage":"prototype"' >enum.jsonl
bad enum.jsonl "enum.jsonl:1:stage: 'prototype' is not allowed; expected one of: lab, concept, pilot, industrial"
sup s2 ',"trl":0' >trl0.jsonl
bad trl0.jsonl "trl0.jsonl:1:trl: TRL 0 is outside 1-9"
sup s2 ',"trl":10' >trl10.jsonl
bad trl10.jsonl "trl10.jsonl:1:trl: TRL 10 is outside 1-9"
sup s2 ',"published":"2024-02-30"' >date1.jsonl
bad date1.jsonl "date1.jsonl:1:published: '2024-02-30' is not an ISO-8601 date (YYYY-MM-DD)"
sup s2 ',"published":"2024-13-01"' >date2.jsonl
bad date2.jsonl "date2.jsonl:1:published: '2024-13-01' is not an ISO-8601 date"
sup s2 ',"published":"yesterday"' >date3.jsonl
bad date3.jsonl "date3.jsonl:1:published: 'yesterday' is not an ISO-8601 date"
sup s2 ',"region":"999999"' >region1.jsonl
bad region1.jsonl "region1.jsonl:1:region: '999999' is not a region code of the GB/T 2260 division table"
sup s2 ',"region":"12345"' >region2.jsonl
bad region2.jsonl "region2.jsonl:1:region: '12345' is not a region code"
sup s2 ',"ipc":["H01"]' >ipc1.jsonl
bad ipc1.jsonl "ipc1.jsonl:1:ipc[0]: 'H01' is not an IPC symbol (like H01M or H01M 10/0525)"
sup s2 ',"ipc":["H01M 4/525","h01m"]' >ipc2.jsonl
bad ipc2.jsonl "ipc2.jsonl:1:ipc[1]: 'h01m' is not an IPC symbol"
sup s2 ',"ipc":["H01M 10/"]' >ipc3.jsonl
bad ipc3.jsonl "ipc3.jsonl:1:ipc[0]: 'H01M 10/' is not an IPC symbol"
sup s2 ',"ipc":["H99Q"]' >ipc4.jsonl
bad ipc4.jsonl "ipc4.jsonl:1:ipc[0]: 'H99Q': IPC subclass 'H99Q' does not exist"
sup s2 ',"industries":["3849","9999"]' >ind.jsonl
bad ind.jsonl "ind.jsonl:1:industries[1]: '9999' is not a GB/T 4754-2017 industry code"
{ sup s2 ''; sup s3 ''; sup s2 ''; } >dup1.jsonl
bad dup1.jsonl "dup1.jsonl:3:id: duplicate: supply 's2' appears earlier in this import"
sup s1 '' >dup2.jsonl
bad dup2.jsonl "dup2.jsonl:1:id: duplicate: supply 's1' already exists in the database"
printf '{"type":"supply","id":"s2","org_id":"nobody","kind":"patent","title":"t"}\n' >ref1.jsonl
bad ref1.jsonl "ref1.jsonl:1:org_id: org 'nobody' does not exist (neither in the database nor in this import)"
sup s2 ',"nodes":["n1","n9"]' >ref2.jsonl
bad ref2.jsonl "ref2.jsonl:1:nodes[1]: node 'n9' does not exist"
title=$(python3 -c "print('链' * 301)")
sup s2 "" | sed "s/\"title\":\"t\"/\"title\":\"$title\"/" >long1.jsonl
bad long1.jsonl "long1.jsonl:1:title: too long: 301 characters, the limit is 300"
kw=$(python3 -c "print('钠' * 51)")
sup s2 ",\"keywords\":[\"ok\",\"$kw\"]" >long2.jsonl
bad long2.jsonl "long2.jsonl:1:keywords[1]: too long: 51 characters, the limit is 50"
printf '{"type":"demand","id":"d1","org_id":"o1","title":"t","budget_min":500,"budget_max":100}\n' >budget.jsonl
bad budget.jsonl "budget.jsonl:1:budget_min: 500 is greater than budget_max 100"
mkdir -p csvcols csvunk csvquote
printf 'id,org_id,kind,title\ns2,o1,patent,t\ns3,o1,patent\n' >csvcols/supply.csv
bad csvcols "supply.csv:3: expected 4 columns as in the header, found 3"
printf 'id,org_id,kind,title,colour\ns2,o1,patent,t,red\n' >csvunk/supply.csv
bad csvunk "supply.csv:1:colour: unknown column 'colour' for type supply"
printf 'id,org_id,kind,title\ns2,o1,patent,"never closed\n' >csvquote/supply.csv
bad csvquote "supply.csv:2: unterminated quoted field"
printf 'id,name\nx,y\n' >things.csv
bad things.csv "things.csv:1: cannot tell the record type from the file name"
: >empty.jsonl
bad empty.jsonl "empty.jsonl:1: empty file: no records"
printf '\n\n   \n' >blank.jsonl
bad blank.jsonl "blank.jsonl:1: empty file: no records"
mkdir -p hdronly && printf 'id,org_id,kind,title\n' >hdronly/supply.csv
bad hdronly "supply.csv:1: empty file: a header row but no records"
: >emptycsv.csv
mkdir -p emptycsv && mv emptycsv.csv emptycsv/org.csv
bad emptycsv "org.csv:1: empty file: no header row and no records"

# Many errors: the first N are printed, then it stops.
for i in $(seq 1 50); do sup "m$i" ',"trl":99'; done >many.jsonl
expect 2 "stopped after 5 errors" -- "$K" --db t.db import --no-progress --max-errors 5 many.jsonl
out=$("$K" --db t.db import --no-progress --max-errors 5 many.jsonl 2>&1)
[[ $(grep -c 'TRL 99' <<<"$out") == 5 ]] && kc_ok || kc_fail "--max-errors 5 printed: $out"
# Every error, not only the first.
{ sup a1 ',"trl":0'; sup a2 ',"stage":"x"'; sup a3 ''; printf '{"type":"org"\n'; } >several.jsonl
out=$("$K" --db t.db import --no-progress several.jsonl 2>&1)
for want in "several.jsonl:1:trl" "several.jsonl:2:stage" "several.jsonl:4: invalid JSON" "import failed with 3 errors; nothing was written"; do
	[[ $out == *"$want"* ]] && kc_ok || kc_fail "several errors: '$want' missing in: $out"
done

# A forward reference satisfied later in the same file is fine.
{ printf '{"type":"supply","id":"f1","org_id":"o-late","kind":"expert","title":"专家","nodes":["n-late"]}\n'
  printf '{"type":"node","id":"n-late","chain_id":"c1","name":"后来的节点","stage":"upstream"}\n'
  printf '{"type":"org","id":"o-late","name":"后来的机构","kind":"lab","region":"苏州"}\n'; } >forward.jsonl
cp t.db fwd.db
expect 0 "imported 3 records" -- "$K" --db fwd.db import --no-progress forward.jsonl
expect 0 '"region": "320500"' -- "$K" --db fwd.db --json show o-late

# An error in the last line of a long valid file: nothing of the 5,000 lines lands.
python3 - <<'PY' >long.jsonl
import json
for i in range(4999):
    print(json.dumps({"type": "supply", "id": f"L{i}", "org_id": "o1", "kind": "patent", "title": f"专利{i}", "trl": 1 + i % 9}, ensure_ascii=False))
print(json.dumps({"type": "supply", "id": "L-last", "org_id": "o1", "kind": "patent", "title": "最后", "trl": 12}))
PY
bad long.jsonl "long.jsonl:5000:trl: TRL 12 is outside 1-9"

# A failed import into a new database leaves no database file behind.
expect 2 "nothing was written" -- "$K" --db new.db import --no-progress trl0.jsonl
[[ ! -e new.db && ! -e new.db-wal ]] && kc_ok || kc_fail "a failed import left new.db behind"
# A missing file is a user error (1), not a data error.
expect 1 "missing.jsonl" -- "$K" --db t.db import --no-progress missing.jsonl

kc_done
