#!/usr/bin/env bash
# make demo: install what is missing, build the release preset and the web UI, load the bundled
# demo data into a fresh kechan.db, run the tour, then serve the web UI and the API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
bash scripts/web.sh
K=build/release/kechan

# Build the new database beside the old one and swap it in only when the import succeeded.
rm -f kechan.db.new kechan.db.new-wal kechan.db.new-shm
"$K" --db kechan.db.new import data/demo
# Demo accounts (docs/api.md lists the roles); the password is for the demo only.
DEMO_PASSWORD=kechan-demo-2026
for u in u-admin u-yb-admin u-catl u-secret u-secret2 u-csu u-reviewer u-viewer; do
	echo "$DEMO_PASSWORD" | "$K" --db kechan.db.new user password "$u" >/dev/null
done
rm -f kechan.db-wal kechan.db-shm kechan.db.assoc kechan.db.lsa
mv kechan.db.new kechan.db
export KECHAN_DB=kechan.db

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
step "统计 what the platform holds" "$K" stats
step "产业链 the sodium-ion battery chain, by stage" "$K" show chain-na
step "节点 one link of the chain: its inputs, outputs, companies and supplies" "$K" show na-hardcarbon
step "需求 the newest demands (confidential owners stay hidden)" "$K" list demands --limit 12
step "一条保密需求 a confidential demand" "$K" show "$("$K" --json list demands --where visibility=confidential --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["demands"][0]["id"])')"
step "供给 patents" "$K" list supplies --where kind=patent --limit 10
step "榜单 open challenges (揭榜挂帅)" "$K" list challenges
step "补链 Yibin's missing links of the lithium chain, ranked, with reasons" "$K" chain gaps chain-li 511500 --limit 5
step "强链 Yibin's weak links" "$K" chain weak chain-li 511500 --limit 5
step "学习 words that go together and field vectors, from the public records" "$K" match assoc
step "匹配 产业出题、科技答题: who can answer the hard-carbon demand, and why" "$K" match demand dem-0059 --explain -k 5
step "分词 text as matching sees it (traditional input, domain words kept whole)" \
	bash -c "echo '鈉離子電池硬碳負極首效提升到90%以上，N型TOPCon電池效率26.5%' | '$K' text segment --mode index"
step "检查 integrity and every record" "$K" check
printf '\nThe demo database is %s. Try: %s --help\n' "$PWD/kechan.db" "$K"

# The main job: the web UI and the HTTP API on the demo data.
# KECHAN_DEMO_NO_SERVE=1 stops after the tour; KECHAN_DEMO_LISTEN changes the address.
if [ -z "${KECHAN_DEMO_NO_SERVE:-}" ]; then
	listen=${KECHAN_DEMO_LISTEN:-127.0.0.1:8080}
	printf '\n\033[1m== 服务 the web UI and the JSON API on the demo data\033[0m\n'
	printf 'Open http://%s/ in a browser and sign in (登录) with a demo account, password %s:\n' "$listen" "$DEMO_PASSWORD"
	printf '  u-catl      宁德时代 (enterprise org_admin: publish demands, give feedback)\n'
	printf '  u-csu       中南大学 (university technology-transfer office: publish supplies)\n'
	printf '  u-secret    江东动力 (owns the confidential demands)\n'
	printf '  u-admin     platform administrator (sees every owner)\n'
	printf 'API: curl http://%s/api/v1/stats   (docs/api.md; /api/v1/openapi.json)\n' "$listen"
	exec "$K" serve --listen "$listen" --web web/dist
fi
