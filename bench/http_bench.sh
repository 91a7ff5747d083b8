#!/usr/bin/env bash
# bench/http: wrk on loopback against `kechan serve` (release build) on the demo data.
#   1. a small JSON GET (one supply record, anonymous)
#   2. the match endpoint (supplies for a demand, with explanations)
# Prints req/s, p50/p99 latency and errors (socket errors + non-2xx answers) for each.
# Goals (issue 7): >= 30,000 req/s for the small GET on the 2-core machine, 0 errors, match
# p99 < 50 ms. KC_BENCH_SECONDS (default 60), KC_BENCH_CONNECTIONS (default 64),
# KC_BENCH_THREADS (server worker threads, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
K=${KECHAN:-build/release/kechan}
secs=${KC_BENCH_SECONDS:-60}
conns=${KC_BENCH_CONNECTIONS:-64}
threads=${KC_BENCH_THREADS:-2}
command -v wrk >/dev/null || { echo "http_bench: wrk is missing (make bench installs it; or apt-get install wrk)"; exit 1; }
work=$(mktemp -d /tmp/kc-httpbench-XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$K" --db "$work/b.db" import --no-progress data/demo >/dev/null
# as a platform runs it: with learned associations and field vectors (kechan match assoc)
"$K" --db "$work/b.db" match assoc >/dev/null
"$K" --db "$work/b.db" serve --no-web --threads "$threads" --listen 127.0.0.1:0 >"$work/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q serving "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.out")
[[ -n $port ]] || { echo "server did not start"; cat "$work/serve.out"; exit 1; }
base="http://127.0.0.1:$port/api/v1"
curl -sf "$base/supplies/sup-0238" >/dev/null
curl -sf "$base/match/demands/dem-0059" >/dev/null

run() { # run NAME URL [CONNECTIONS]
	local out
	out=$(wrk -t2 -c"${3:-$conns}" -d"${secs}s" --latency "$2")
	local rps p50 p99 sock non2xx
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	sock=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
	non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
	printf '%-28s %10s req/s   p50 %8s   p99 %8s   errors %s\n' "$1" "$rps" "$p50" "$p99" \
		"$(( ${sock:-0} + ${non2xx:-0} ))"
}
echo "http_bench: wrk -t2 -c$conns -d${secs}s, server --threads $threads, $(nproc) cores"
run "GET /supplies/{id}" "$base/supplies/sup-0238"
run "GET /match/demands/{id}" "$base/match/demands/dem-0059"
run "  same, 8 connections" "$base/match/demands/dem-0059" 8
