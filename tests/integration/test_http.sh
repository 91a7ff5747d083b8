#!/usr/bin/env bash
# kechan serve: a real server on a free loopback port; the read-only API, its errors, limits,
# security headers, confidential demands without owner on every path, graceful SIGTERM.
set -uo pipefail
: "${KECHAN:?}"
work=$(mktemp -d /tmp/kc-http-XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

cat >data.jsonl <<'JSONL'
{"type":"chain","id":"c1","name":"钠离子电池"}
{"type":"node","id":"n1","chain_id":"c1","name":"硬碳负极","stage":"midstream"}
{"type":"org","id":"org-secret","name":"秘密材料股份有限公司","short_name":"秘密公司","kind":"enterprise","region":"350900"}
{"type":"org","id":"org-uni","name":"某大学","kind":"university","region":"110108"}
{"type":"demand","id":"d-sec","org_id":"org-secret","title":"硬碳负极首效提升","visibility":"confidential","nodes":["n1"]}
{"type":"demand","id":"d-pub","org_id":"org-secret","title":"公开需求","nodes":["n1"]}
{"type":"supply","id":"s1","org_id":"org-uni","kind":"achievement","title":"硬碳前驱体","trl":5}
{"type":"user","id":"u1","name":"管理员","email":"admin@example.org","role":"admin"}
JSONL
"$KECHAN" --db t.db import --no-progress data.jsonl >/dev/null || { echo "FAIL: import"; exit 1; }
"$KECHAN" --db t.db serve --listen 127.0.0.1:0 --access-log >serve.out 2>serve.err &
pid=$!
for _ in $(seq 50); do grep -q serving serve.out 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)
[[ -n $port ]] || { echo "FAIL: server did not start"; cat serve.out serve.err; exit 1; }
base="http://127.0.0.1:$port"

# get PATH -> sets code and body
get() {
	body=$(curl --noproxy '*' -s -o - -w '\n%{http_code}' "$@")
	code=${body##*$'\n'}
	body=${body%$'\n'*}
}
expect() { # expect CODE SUBSTRING PATH...
	local want=$1 sub=$2
	shift 2
	get "$@"
	if [[ $code == "$want" && $body == *"$sub"* ]]; then ok; else bad "$* -> $code $body (wanted $want with '$sub')"; fi
}

expect 200 '"status":"ok"' "$base/api/v1/health"
expect 200 '"supplies":1' "$base/api/v1/stats"
expect 200 '"title":"硬碳前驱体"' "$base/api/v1/supplies/s1"
expect 200 '"total":2' "$base/api/v1/orgs?limit=1"
expect 200 '"next_cursor":"1"' "$base/api/v1/orgs?limit=1"
expect 200 '"id":"org-uni"' "$base/api/v1/orgs?limit=1&cursor=1"
expect 200 '"total":1' "$base/api/v1/supplies?kind=achievement"
expect 404 '"code":"not_found"' "$base/api/v1/supplies/nope"
expect 404 '"code":"not_found"' "$base/nowhere"
expect 404 'no such resource' "$base/api/v1/widgets"
expect 400 '"field":"limit"' "$base/api/v1/orgs?limit=1000"
expect 400 '"field":"colour"' "$base/api/v1/orgs?colour=red"
expect 400 'not valid UTF-8' "$base/api/v1/orgs?kind=%ff"
expect 405 'read-only' -X POST -d '{}' "$base/api/v1/orgs"
expect 401 'authentication' "$base/api/v1/users"
long=$(printf 'a%.0s' $(seq 5000))
expect 414 'longer than' "$base/api/v1/orgs/$long"

# Security headers on every answer.
headers=$(curl --noproxy '*' -s -D - -o /dev/null "$base/api/v1/orgs")
for h in 'X-Content-Type-Options: nosniff' "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'" 'X-Frame-Options: DENY' 'Content-Type: application/json'; do
	if grep -qiF "$h" <<<"$headers"; then ok; else bad "header missing: $h"; fi
done

# The confidential demand's owner leaves by no path.
for path in /api/v1/demands /api/v1/demands/d-sec "/api/v1/demands?nodes=n1" "/api/v1/demands?visibility=confidential" /api/v1/stats; do
	get "$base$path"
	if [[ $code == 200 && $body != *org-secret*"d-sec"* && $body != *'"id":"d-sec","org_id"'* ]]; then
		if [[ $path == /api/v1/demands/d-sec && $body == *org-secret* ]]; then bad "$path names the owner: $body"; else ok; fi
	else
		bad "$path -> $code $body"
	fi
done
get "$base/api/v1/demands/d-sec"
[[ $body == *'"owner_hidden":true'* && $body != *org-secret* ]] && ok || bad "d-sec not anonymized: $body"
# Filtering by owner neither lists nor counts it.
get "$base/api/v1/demands?org_id=org-secret"
[[ $body == *'"total":1'* && $body == *d-pub* && $body != *d-sec* ]] && ok || bad "org filter leaks: $body"
get "$base/api/v1/demands"
[[ $(grep -o org-secret <<<"$body" | wc -l) == 1 ]] && ok || bad "demand list: owner appears more than for the public demand: $body"

# Graceful stop.
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[[ $status == 0 ]] && grep -q stopped serve.out && ok || bad "SIGTERM: exit $status"
grep -q 'GET /api/v1/health 200' serve.err && ok || bad "access log lacks the health request"

echo "$passed passed, $failed failed"
((failed == 0))
