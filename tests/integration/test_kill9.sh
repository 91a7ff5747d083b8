#!/usr/bin/env bash
# kill -9 at random points during a large import leaves the database exactly as before the
# import: 20 kills that land while the import runs, each followed by `kechan check` and a
# comparison of the whole logical content (sqlite3 .dump) with the content before.
set -euo pipefail
: "${KECHAN:?}" "${KC_SRC_DIR:?}"
work=$(mktemp -d /tmp/kc-kill9-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
gen="$KC_SRC_DIR/tests/integration/gen_records.py"
python3 "$gen" 500 base.jsonl 7 base
python3 "$gen" "${KC_KILL9_RECORDS:-60000}" big.jsonl 8 big
"$KECHAN" --db base.db import --no-progress base.jsonl >/dev/null

digest() { sqlite3 "$1" .dump | sha256sum | cut -d' ' -f1; }
before=$(digest base.db)
cp base.db base.copy
counts_before=$("$KECHAN" --db base.db --json check | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"])')

# How long a whole import takes here, so the kills spread over it.
cp base.db full.db
t0=$(date +%s.%N)
"$KECHAN" --db full.db import --no-progress --no-dupes big.jsonl >/dev/null
t1=$(date +%s.%N)
full=$(python3 -c "print(max(0.2, $t1 - $t0))")
echo "a full import takes ${full}s"
total=$("$KECHAN" --db full.db --json check | python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(sum(c.values()))')

landed=0 tries=0
while ((landed < 20)); do
	tries=$((tries + 1))
	if ((tries > 60)); then
		echo "FAIL: only $landed of 60 kills landed while the import ran"
		exit 1
	fi
	delay=$(python3 -c "import random; print(round(random.uniform(0.02, min($full * 0.7, 4.0)), 3))")
	( exec "$KECHAN" --db base.db import --no-progress --no-dupes big.jsonl >/dev/null 2>&1 ) &
	pid=$!
	sleep "$delay"
	if kill -9 "$pid" 2>/dev/null; then
		status=0
		wait "$pid" || status=$?
		if ((status == 137)); then
			landed=$((landed + 1))
		fi
	else
		status=0
		wait "$pid" || status=$?
		echo "the import finished before the kill after ${delay}s (status $status)"
	fi
	if ! "$KECHAN" --db base.db check >check.out 2>&1; then
		echo "FAIL: kechan check after kill $landed (${delay}s):"
		cat check.out
		exit 1
	fi
	now=$(digest base.db)
	if [[ $now != "$before" ]]; then
		# Killed after its commit (while closing): then all of it must be there.
		n=$("$KECHAN" --db base.db --json check | python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(sum(c.values()))')
		if [[ $n != "$total" ]]; then
			echo "FAIL: a killed import left $n records: neither the $total of a whole import nor the content before (kill after ${delay}s)"
			exit 1
		fi
		echo "kill after ${delay}s came after the commit: all $total records there; starting again from the copy"
		landed=$((landed - (status == 137 ? 1 : 0)))
		cp base.copy base.db
		rm -f base.db-wal base.db-shm
		continue
	fi
	echo "kill $landed after ${delay}s: check ok, content unchanged"
done
counts_after=$("$KECHAN" --db base.db --json check | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"])')
[[ $counts_before == "$counts_after" ]] || { echo "FAIL: counts $counts_before -> $counts_after"; exit 1; }
# The same import, left alone, succeeds: the kills interrupted real work.
"$KECHAN" --db base.db import --no-progress --no-dupes big.jsonl >/dev/null
after=$("$KECHAN" --db base.db --json check | python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(sum(c.values()))')
[[ $after == "$total" ]] || { echo "FAIL: after a full import $after records, expected $total"; exit 1; }
echo "1 passed, 0 failed"
