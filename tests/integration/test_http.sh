#!/usr/bin/env bash
# kechan serve: a real server on a free loopback port. The API's reads and writes, its errors
# and limits, security headers, sign-in (sessions + CSRF, API tokens, rate limit), roles, the
# confidential demand's owner on every path that returns demand data, the warnings when
# publishing one, the OpenAPI document against the routes the server answers, graceful SIGTERM.
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
PY=$(PATH=$(getconf PATH) command -v python3)

# org-secret publishes only a confidential demand, so its id or name in any answer to someone
# else is a leak.
cat >data.jsonl <<'JSONL'
{"type":"chain","id":"c1","name":"钠离子电池","name_en":"Sodium-ion battery"}
{"type":"node","id":"n1","chain_id":"c1","name":"硬碳负极","stage":"midstream"}
{"type":"node","id":"n2","chain_id":"c1","name":"钠离子电芯","stage":"downstream"}
{"type":"edge","from":"n1","to":"n2","relation":"input_of"}
{"type":"org","id":"org-secret","name":"秘密材料股份有限公司","short_name":"秘密公司","kind":"enterprise","region":"350900","keywords":["玄武炭"]}
{"type":"org","id":"org-uni","name":"某大学","kind":"university","region":"110108"}
{"type":"org","id":"org-pub","name":"公开电池有限公司","kind":"enterprise","region":"511500"}
{"type":"org_node","org_id":"org-secret","node_id":"n2","role":"producer"}
{"type":"org_node","org_id":"org-pub","node_id":"n2","role":"producer"}
{"type":"demand","id":"d-sec","org_id":"org-secret","title":"硬碳负极首效提升","description":"硬碳负极首次库仑效率提升到90%以上","visibility":"confidential","nodes":["n1"],"region":"350900"}
{"type":"demand","id":"d-mem","org_id":"org-pub","title":"硬碳负极成本降低","visibility":"members","nodes":["n1"]}
{"type":"demand","id":"d-pub","org_id":"org-pub","title":"钠离子电芯低温性能","nodes":["n2"]}
{"type":"supply","id":"s1","org_id":"org-uni","kind":"achievement","title":"硬碳负极前驱体与首效提升","trl":5,"nodes":["n1"]}
{"type":"match","id":"m1","demand_id":"d-sec","supply_id":"s1","score":9.5}
{"type":"user","id":"u1","name":"管理员","email":"admin@example.org","role":"admin"}
{"type":"user","id":"u-sec","name":"秘密公司经理","role":"org_admin","org_id":"org-secret"}
{"type":"user","id":"u-uni","name":"大学老师","email":"t@uni.example","role":"org_member","org_id":"org-uni"}
{"type":"user","id":"u-view","name":"访客","role":"viewer"}
{"type":"user","id":"u-lock","name":"锁定测试","role":"viewer"}
JSONL
"$KECHAN" --db t.db import --no-progress --no-dupes data.jsonl >/dev/null || { echo "FAIL: import"; exit 1; }
for u in u1 u-sec u-uni u-view u-lock; do
	echo "pass-$u-0123" | "$KECHAN" --db t.db user password "$u" >/dev/null || bad "user password $u"
done
echo short | "$KECHAN" --db t.db user password u1 2>err.txt && bad "a short password was accepted"
grep -q "at least 10" err.txt && ok || bad "short password message: $(cat err.txt)"
"$KECHAN" --db t.db serve --listen 127.0.0.1:0 --access-log --no-web --reload 1 >serve.out 2>serve.err &
pid=$!
for _ in $(seq 100); do grep -q serving serve.out 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)
[[ -n $port ]] || { echo "FAIL: server did not start"; cat serve.out serve.err; exit 1; }
base="http://127.0.0.1:$port"
api="$base/api/v1"

# get ARGS... -> sets code and body
get() {
	body=$(curl --noproxy '*' -s -o - -w '\n%{http_code}' "$@")
	code=${body##*$'\n'}
	body=${body%$'\n'*}
}
expect() { # expect CODE SUBSTRING CURL-ARGS...
	local want=$1 sub=$2
	shift 2
	get "$@"
	if [[ $code == "$want" && $body == *"$sub"* ]]; then ok; else bad "$* -> $code $body (wanted $want with '$sub')"; fi
}
json() { "$PY" -c "import json,sys; d=json.loads(sys.argv[1]); print($1)" "$body"; }
J=(-H 'Content-Type: application/json')

# ---- reads, anonymous
expect 200 '"status":"ok"' "$api/health"
expect 200 '"supplies":1' "$api/stats"
expect 200 '"title":"硬碳负极前驱体与首效提升"' "$api/supplies/s1"
expect 200 '"total":3' "$api/orgs?limit=1&sort=id"
expect 200 '"next_cursor":"1"' "$api/orgs?limit=1&sort=id"
expect 200 '"id":"org-secret"' "$api/orgs?limit=1&cursor=1&sort=id"
expect 200 '"id":"org-uni"' "$api/orgs?limit=1&sort=-id"
expect 200 '"total":1' "$api/orgs?q=%E5%A4%A7%E5%AD%A6"
expect 200 '"total":1' "$api/supplies?kind=achievement"
expect 404 '"code":"not_found"' "$api/supplies/nope"
expect 404 'no such resource' "$api/widgets"
expect 404 'not built' "$base/"
expect 400 '"field":"limit"' "$api/orgs?limit=1000"
expect 400 '"field":"colour"' "$api/orgs?colour=red"
expect 400 '"field":"sort"' "$api/orgs?sort=colour"
expect 400 'not valid UTF-8' "$api/orgs?kind=%ff"
expect 401 'sign in' "$api/users"
expect 401 'sign in' "$api/matches"
long=$(printf 'a%.0s' $(seq 5000))
expect 414 'longer than' "$api/orgs/$long"
expect 405 'not allowed' -X PUT "$api/health"
expect 200 '"code":"511500"' "$api/regions?q=%E5%AE%9C%E5%AE%BE"
expect 200 '"name_en":"Sodium-ion battery"' "$api/chains"
expect 200 '"sankey"' "$api/chains/c1/panorama"
expect 200 '"gaps"' "$api/chains/c1/gaps?region=511500"
expect 400 '"field":"region"' "$api/chains/c1/gaps"
expect 400 '"field":"region"' "$api/chains/c1/gaps?region=999999"
expect 404 'does not exist' "$api/chains/nope/panorama"
expect 200 '"affected' "${J[@]}" -d '{"orgs":["org-pub"]}' "$api/chains/c1/simulate"
expect 200 '"results"' "$api/search?q=%E7%A1%AC%E7%A2%B3"
expect 400 '"field":"q"' "$api/search"
expect 400 '"field":"trl"' "$api/search?q=x&trl=12"

# Security headers on every answer.
headers=$(curl --noproxy '*' -s -D - -o /dev/null "$api/orgs")
for h in 'X-Content-Type-Options: nosniff' "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" 'X-Frame-Options: DENY' 'Content-Type: application/json' 'Cache-Control: no-store'; do
	if grep -qiF "$h" <<<"$headers"; then ok; else bad "header missing: $h"; fi
done

# ---- bodies: validated before anything else
expect 401 'sign in' "${J[@]}" -d '{"title":"x"}' "$api/demands"
expect 400 'not JSON' "${J[@]}" -d '{"user":' "$api/auth/login"
expect 400 'JSON object' "${J[@]}" -d '[1]' "$api/auth/login"
printf '{"user":"u1","password":"\xff\xfe"}' >bad.json
expect 400 'not valid UTF-8' "${J[@]}" --data-binary @bad.json "$api/auth/login"
head -c 1100000 /dev/zero | tr '\0' 'a' >big.json
expect 413 'larger than' "${J[@]}" --data-binary @big.json "$api/auth/login"
expect 415 'application/json' -d 'user=u1' "$api/auth/login"

# ---- sign-in
expect 401 'wrong user or password' "${J[@]}" -d '{"user":"u1","password":"nope-nope-nope"}' "$api/auth/login"
expect 401 'wrong user or password' "${J[@]}" -d '{"user":"nobody","password":"nope-nope-nope"}' "$api/auth/login"
for _ in 1 2 3 4 5; do get "${J[@]}" -d '{"user":"u-lock","password":"wrong-wrong-wrong"}' "$api/auth/login"; done
get -D hdr.txt "${J[@]}" -d '{"user":"u-lock","password":"pass-u-lock-0123"}' "$api/auth/login"
[[ $code == 429 ]] && grep -qi '^Retry-After: [1-9]' hdr.txt && ok || bad "6th sign-in after 5 failures: $code $body"

# login USER -> cookie jar USER.jar, CSRF token in csrf_USER
login() {
	get -c "$1.jar" -D "$1.hdr" "${J[@]}" -d "{\"user\":\"$2\",\"password\":\"pass-$1-0123\"}" "$api/auth/login"
	if [[ $code == 200 ]]; then ok; else bad "login $1: $code $body"; return; fi
	printf -v "csrf_${1//-/_}" '%s' "$(json 'd["csrf"]')"
}
login u1 admin@example.org
login u-sec u-sec
login u-uni t@uni.example
login u-view u-view
grep -qi 'Set-Cookie: kc_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' u1.hdr && ok || bad "session cookie flags: $(grep -i set-cookie u1.hdr)"
expect 200 '"org_name":"秘密公司"' -b u-sec.jar "$api/auth/me"
expect 401 'not signed in' "$api/auth/me"

# CSRF: a session's write without the token is refused.
expect 403 'X-CSRF-Token' -b u-uni.jar "${J[@]}" -d '{"kind":"patent","title":"钠电硬碳专利"}' "$api/supplies"
# roles
U=(-b u-uni.jar -H "X-CSRF-Token: $csrf_u_uni" "${J[@]}")
S=(-b u-sec.jar -H "X-CSRF-Token: $csrf_u_sec" "${J[@]}")
A=(-b u1.jar -H "X-CSRF-Token: $csrf_u1" "${J[@]}")
V=(-b u-view.jar -H "X-CSRF-Token: $csrf_u_view" "${J[@]}")
expect 201 '"org_id":"org-uni"' "${U[@]}" -d '{"kind":"patent","title":"钠电硬碳负极专利","trl":4,"nodes":["n1"]}' "$api/supplies"
new_supply=$(json 'd["item"]["id"]')
expect 422 '"field":"trl"' "${U[@]}" -d '{"kind":"patent","title":"x","trl":12}' "$api/supplies"
get "${U[@]}" -d '{"kind":"gadget","trl":0}' "$api/supplies"
[[ $code == 422 && $(json 'len(d["error"]["details"])') -ge 3 ]] && ok || bad "422 lists every problem: $code $body"
expect 403 'may not create' "${U[@]}" -d '{"org_id":"org-pub","kind":"patent","title":"x"}' "$api/supplies"
expect 403 'may not create' "${V[@]}" -d '{"kind":"patent","title":"x"}' "$api/supplies"
expect 200 '"trl":6' "${U[@]}" -X PATCH -d '{"trl":6}' "$api/supplies/$new_supply"
expect 403 'may not change' "${U[@]}" -X PATCH -d '{"org_id":"org-pub"}' "$api/supplies/$new_supply"
expect 400 'cannot change' "${U[@]}" -X PATCH -d '{"id":"other"}' "$api/supplies/$new_supply"
expect 403 'may not delete' "${U[@]}" -X DELETE "$api/supplies/$new_supply"
expect 404 'not found' "${U[@]}" -X PATCH -d '{"trl":6}' "$api/supplies/nope"
# the new supply is matched at once (the server's index follows its writes)
get "$api/search?q=%E9%92%A0%E7%94%B5%E7%A1%AC%E7%A2%B3%E8%B4%9F%E6%9E%81%E4%B8%93%E5%88%A9"
[[ $body == *"\"id\":\"$new_supply\""* ]] && ok || bad "new supply not found by search: $body"
expect 204 '' "${A[@]}" -X DELETE "$api/supplies/$new_supply"
get "$api/search?q=%E9%92%A0%E7%94%B5%E7%A1%AC%E7%A2%B3%E8%B4%9F%E6%9E%81%E4%B8%93%E5%88%A9"
[[ $body != *"\"id\":\"$new_supply\""* ]] && ok || bad "deleted supply still found: $body"
expect 409 'referred to' "${A[@]}" -X DELETE "$api/orgs/org-uni"
# users: an org admin manages its org's users; passwords are hashed, never shown
expect 201 '"role":"org_member"' "${S[@]}" -d '{"id":"u-sec2","name":"工程师","role":"org_member","org_id":"org-secret","password":"another-pass-0123"}' "$api/users"
[[ $body != *another-pass* && $body != *argon2* ]] && ok || bad "user answer shows the password: $body"
expect 403 'may not create' "${S[@]}" -d '{"id":"u-x","name":"x","role":"admin","password":"another-pass-0123"}' "$api/users"
expect 422 'at least 10' "${S[@]}" -d '{"id":"u-y","name":"y","role":"org_member","org_id":"org-secret","password":"short"}' "$api/users"
expect 200 '"user"' "${J[@]}" -d '{"user":"u-sec2","password":"another-pass-0123"}' "$api/auth/login"
get -b u-sec.jar "$api/users"
[[ $(json 'sorted(u["id"] for u in d["items"])') == "['u-sec', 'u-sec2']" ]] && ok || bad "org admin sees its org's users only: $body"
[[ $(sqlite3 t.db "SELECT password_hash FROM user WHERE id='u-sec2'") == '$argon2id$'* ]] && ok || bad "password not stored as argon2id"

# API tokens: shown once, work without CSRF, revocable
expect 201 '"token":"kct_' "${U[@]}" -d '{"name":"ci"}' "$api/auth/tokens"
token=$(json 'd["token"]')
token_id=$(json 'd["id"]')
expect 201 '"org_id":"org-uni"' -H "Authorization: Bearer $token" "${J[@]}" -d '{"kind":"expert","title":"硬碳专家咨询"}' "$api/supplies"
expect 200 "\"id\":\"$token_id\"" -b u-uni.jar "$api/auth/tokens"
[[ $body != *kct_* ]] && ok || bad "token list shows a secret: $body"
expect 204 '' "${U[@]}" -X DELETE "$api/auth/tokens/$token_id"
expect 401 'not valid' -H "Authorization: Bearer $token" "$api/supplies"
expect 401 'Bearer' -H "Authorization: Basic eDp5" "$api/supplies"
[[ $(sqlite3 t.db "SELECT count(*) FROM credential WHERE hash LIKE '%${token#kct_}%'") == 0 ]] && ok || bad "a token is stored in clear"

# changing one's own password: the current one is checked, other sessions end, this one stays
get -c u-view2.jar "${J[@]}" -d '{"user":"u-view","password":"pass-u-view-0123"}' "$api/auth/login"
[[ $code == 200 ]] && ok || bad "second session of u-view: $code $body"
expect 401 'sign in' "${J[@]}" -d '{"current":"x","new":"y"}' "$api/auth/password"
expect 403 'X-CSRF-Token' -b u-view.jar "${J[@]}" -d '{"current":"pass-u-view-0123","new":"a-new-passphrase"}' "$api/auth/password"
expect 403 '"field":"current"' "${V[@]}" -d '{"current":"not-the-password","new":"a-new-passphrase"}' "$api/auth/password"
expect 422 'at least 10' "${V[@]}" -d '{"current":"pass-u-view-0123","new":"short"}' "$api/auth/password"
expect 400 '"field":"new"' "${V[@]}" -d '{"current":"pass-u-view-0123"}' "$api/auth/password"
expect 405 '' "${V[@]}" -X PATCH -d '{}' "$api/auth/password"
before=$(sqlite3 t.db "SELECT count(*) FROM event WHERE action='password' AND entity_id='u-view'")
expect 204 '' "${V[@]}" -d '{"current":"pass-u-view-0123","new":"a-new-passphrase"}' "$api/auth/password"
[[ $(sqlite3 t.db "SELECT count(*) FROM event WHERE action='password' AND entity_id='u-view'") == $((before + 1)) ]] && ok || bad "no password event"
expect 200 '"id":"u-view"' -b u-view.jar "$api/auth/me"
expect 401 'not' -b u-view2.jar "$api/auth/me"
expect 401 'wrong user or password' "${J[@]}" -d '{"user":"u-view","password":"pass-u-view-0123"}' "$api/auth/login"
expect 200 '"user"' "${J[@]}" -d '{"user":"u-view","password":"a-new-passphrase"}' "$api/auth/login"
# a deleted user's sessions end with it, also for a new user that gets the same id
get -c u-sec3.jar "${S[@]}" -d '{"id":"u-sec3","name":"临时","role":"org_member","org_id":"org-secret","password":"temp-pass-0123"}' "$api/users"
get -c u-sec3.jar "${J[@]}" -d '{"user":"u-sec3","password":"temp-pass-0123"}' "$api/auth/login"
[[ $code == 200 ]] && ok || bad "login u-sec3: $code $body"
expect 204 '' "${S[@]}" -X DELETE "$api/users/u-sec3"
[[ $(sqlite3 t.db "SELECT count(*) FROM credential WHERE user_id='u-sec3'") == 0 ]] && ok || bad "a deleted user's session is kept"
expect 201 '"id":"u-sec3"' "${S[@]}" -d '{"id":"u-sec3","name":"新人","role":"org_member","org_id":"org-secret","password":"other-pass-0123"}' "$api/users"
expect 401 'not signed in' -b u-sec3.jar "$api/auth/me"

# ---- publishing a confidential demand warns when the text or the place gives the owner away
get "${S[@]}" -d '{"title":"玄武炭负极量产","description":"秘密公司需要提升产能","visibility":"confidential","nodes":["n2"],"region":"350900"}' "$api/demands/check"
codes=$(json '",".join(sorted(w["code"] for w in d["warnings"]))')
[[ $codes == names_org,names_product,single_company ]] && ok || bad "warnings: $codes ($body)"
get "${S[@]}" -d '{"title":"负极材料首效","visibility":"confidential","nodes":["n1"]}' "$api/demands/check"
[[ $(json 'len(d["warnings"])') == 0 && $(json 'd["valid"]') == True ]] && ok || bad "a discreet demand warned: $body"
expect 201 '"code":"names_org"' "${S[@]}" -d '{"title":"秘密公司的需求","visibility":"confidential"}' "$api/demands"
sec2=$(json 'd["item"]["id"]')

# ---- the confidential demand's owner, on every path that returns demand data
leaks() { # leaks WHO BODY-SOURCE: the secret org's id or names must not appear
	if [[ $body == *org-secret* || $body == *秘密材料* || $body == *秘密公司\"* ]]; then bad "$1: $2 leaks the owner: $body"; else ok; fi
}
for who in anon u-uni u-view; do
	C=()
	[[ $who != anon ]] && C=(-b "$who.jar")
	for path in /demands /demands/d-sec "/demands?nodes=n1" "/demands?visibility=confidential" "/demands?org_id=org-secret" \
		/stats /export/demands "/search?q=%E7%A1%AC%E7%A2%B3%E8%B4%9F%E6%9E%81&target=demands" \
		/match/supplies/s1 "/chains/c1/linkage?region=350900" /matches /challenges; do
		get "${C[@]}" "$api$path"
		leaks "$who" "$path"
	done
done
# what each of them sees of it
get "$api/demands/d-sec"
[[ $code == 404 ]] && ok || bad "anonymous sees a confidential demand: $code $body"
get "$api/demands/d-mem"
[[ $code == 404 ]] && ok || bad "anonymous sees a members-only demand: $code $body"
get -b u-uni.jar "$api/demands/d-sec"
[[ $code == 200 && $body == *'"owner_hidden":true'* ]] && ok || bad "member sees the anonymized demand: $code $body"
get -b u-uni.jar "$api/match/supplies/s1"
[[ $body == *'"id":"d-sec"'* ]] && ok || bad "a member's match lists the anonymized confidential demand: $body"
get -b u-uni.jar "$api/demands?org_id=org-secret"
[[ $(json 'd["total"]') == 0 ]] && ok || bad "listing by owner counts confidential demands: $body"
expect 403 'confidential' -b u-uni.jar "$api/match/demands/d-sec"
# the owner and the admin see the owner
expect 200 '"org_id":"org-secret"' -b u-sec.jar "$api/demands/d-sec"
expect 200 '"org_id":"org-secret"' -b u1.jar "$api/demands/d-sec"
expect 200 '"id":"s1"' -b u-sec.jar "$api/match/demands/d-sec"
get -b u-sec.jar "$api/demands?org_id=org-secret"
[[ $(json 'd["total"]') == 2 ]] && ok || bad "the owner lists its confidential demands: $body"
expect 404 'not found' "${U[@]}" -X PATCH -d '{"title":"x"}' "$api/demands/d-mem-none"
expect 403 'may not change' "${U[@]}" -X PATCH -d '{"title":"x"}' "$api/demands/d-sec"

# ---- match with explanations, feedback by the right side only
get -b u-sec.jar "$api/match/demands/d-sec?k=5"
[[ $(json 'd["results"][0]["id"]') == s1 && $(json 'len(d["results"][0]["explanation"])') -gt 0 && $(json 'd["results"][0]["band"]') =~ ^(strong|possible|weak)$ ]] && ok || bad "match answer: $body"
# highlights: code-point spans of the result's title where its matched terms stand, sorted and
# apart; of the query record's title and description where the results' terms stand
marked() { json "'|'.join(''.join(list($1)[a:b]) for a, b in $2) if all(0 <= a < b <= len(list($1)) for a, b in $2) and $2 == sorted($2) and all(x[1] <= y[0] for x, y in zip($2, $2[1:])) else 'BAD'"; }
[[ $(marked 'd["results"][0]["title"]' 'd["results"][0]["highlight"]["title"]') == *首效* ]] && ok || bad "result title highlight: $body"
[[ $(marked 'd["query"]["title"]' 'd["query_highlight"]["title"]') == *首效* && $(marked 'd["query"]["description"]' 'd["query_highlight"]["description"]') == *硬碳* ]] && ok || bad "query record highlight: $body"
# a search in traditional characters marks the simplified title (no query record: no query_highlight)
get "$api/search?q=%E7%A1%AC%E7%A2%B3%E8%B2%A0%E6%A5%B5"
[[ $(marked 'd["results"][0]["title"]' 'd["results"][0]["highlight"]["title"]') == *负极* && $(json '"query_highlight" in d') == False ]] && ok || bad "search highlight: $body"
expect 403 'own org' "${U[@]}" -d '{"demand_id":"d-sec","supply_id":"s1","side":"demand","verdict":"accept"}' "$api/matches/feedback"
expect 422 '"field":"reason"' "${S[@]}" -d '{"demand_id":"d-sec","supply_id":"s1","side":"demand","verdict":"decline","reason":"bored"}' "$api/matches/feedback"
expect 422 'accepting takes no reason' "${S[@]}" -d '{"demand_id":"d-sec","supply_id":"s1","side":"demand","verdict":"accept","reason":"too_early"}' "$api/matches/feedback"
expect 200 '"demand_verdict":"accept"' "${S[@]}" -d '{"demand_id":"d-sec","supply_id":"s1","side":"demand","verdict":"accept"}' "$api/matches/feedback"
expect 200 '"verdict":"accept"' -b u-sec.jar "$api/match/demands/d-sec?k=5"
# names in answers are cached per data version: a renamed org shows its new name at once
expect 200 '"org_name":"某大学"' -b u-sec.jar "$api/match/demands/d-sec?k=5"
expect 200 '"short_name":"某大"' "${A[@]}" -X PATCH -d '{"short_name":"某大"}' "$api/orgs/org-uni"
expect 200 '"org_name":"某大"' -b u-sec.jar "$api/match/demands/d-sec?k=5"
expect 200 '"id":"m1"' -b u-uni.jar "$api/matches"
expect 200 '"total":0' -b u-view.jar "$api/matches"

# ---- another process writes: the server notices before its next query
echo '{"type":"supply","id":"s-cli","org_id":"org-uni","kind":"facility","title":"钙钛矿中试线开放共享"}' >more.jsonl
"$KECHAN" --db t.db import --no-progress --no-dupes more.jsonl >/dev/null || bad "import while serving"
expect 200 '"id":"s-cli"' "$api/search?q=%E9%92%99%E9%92%9B%E7%9F%BF%E4%B8%AD%E8%AF%95"

# ---- logout ends the session
expect 204 '' "${S[@]}" -X POST "$api/auth/logout"
expect 401 'not signed in' -b u-sec.jar "$api/auth/me"

# ---- every route in the OpenAPI document is answered, and every answered route is in it
get "$api/openapi.json"
printf '%s' "$body" >openapi.json
"$PY" - openapi.json >routes.txt <<'PY' || bad "openapi.json is not an OpenAPI 3 document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["openapi"].startswith("3."), d.get("openapi")
for path, ops in d["paths"].items():
    for m in ops:
        if m in ("get", "post", "patch", "put", "delete"):
            print(m.upper(), path)
PY
[[ $(wc -l <routes.txt) -gt 20 ]] && ok || bad "openapi.json lists $(wc -l <routes.txt) operations"
while read -r method path; do
	p=${path//\{type\}/supplies}
	p=${p//\{id\}/zzz-missing}
	[[ $path == */chains/* ]] && p=${p//zzz-missing/c1}
	get -b u1.jar -H "X-CSRF-Token: $csrf_u1" "${J[@]}" -X "$method" -d '{}' "$base$p"
	if [[ $code == 405 || $body == *'no such resource'* || $body == *'no such auth'* ]]; then
		bad "openapi route $method $path ($p) is not answered: $code $body"
	else
		ok
	fi
done <routes.txt

# DB.assoc and DB.lsa written while serving (kechan match assoc) are picked up by the next
# match a --reload second later; a damaged one is named and the one before kept; a removed one
# is dropped. Matching answers throughout.
wait_log() { # wait_log PATTERN: a match request each 0.3 s until serve.err has it (6 s)
	for _ in $(seq 20); do
		get "$api/match/supplies/s1"
		grep -q "$1" serve.err && return 0
		sleep 0.3
	done
	return 1
}
"$KECHAN" --db t.db match assoc >/dev/null || bad "match assoc while serving"
wait_log 't.db.lsa reloaded' && ok || bad "DB.lsa not reloaded: $(tail -3 serve.err)"
grep -q 't.db.assoc reloaded' serve.err && ok || bad "DB.assoc not reloaded"
expect 200 '"id":"d-pub"' "$api/match/supplies/s1"
sleep 1.1 # a new modification time
printf 'KCLSxxxx' >t.db.lsa
wait_log 'not a kechan field vector model' && ok || bad "a damaged DB.lsa is not named: $(tail -3 serve.err)"
expect 200 '"id":"d-pub"' "$api/match/supplies/s1"
rm -f t.db.lsa
wait_log 't.db.lsa gone' && ok || bad "a removed DB.lsa is not dropped: $(tail -3 serve.err)"
expect 200 '"id":"d-pub"' "$api/match/supplies/s1"

# Graceful stop.
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[[ $status == 0 ]] && grep -q stopped serve.out && ok || bad "SIGTERM: exit $status"
grep -q 'GET /api/v1/health 200' serve.err && ok || bad "access log lacks the health request"
grep -q 'u-sec .*POST /api/v1/demands 201' serve.err && ok || bad "access log lacks the user of a write"

echo "$passed passed, $failed failed"
((failed == 0))
