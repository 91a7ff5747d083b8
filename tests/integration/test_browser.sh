#!/usr/bin/env bash
# The web UI in a real browser: playwright-core (web/node_modules) driving Debian's chromium,
# headless, against `kechan serve` on the demo data. make test installs chromium and builds
# web/dist first; run alone without them, this test is skipped with the reason.
set -uo pipefail
: "${KECHAN:?}" "${KC_SRC_DIR:?}"
web=$KC_SRC_DIR/web
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || { echo "SKIP: $chromium is missing (make test installs Debian's chromium)"; exit 77; }
[[ -f $web/dist/index.html && -d $web/node_modules/playwright-core ]] || { echo "SKIP: the web UI is not built (bash scripts/web.sh)"; exit 77; }
work=$(mktemp -d /tmp/kc-browser-XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$KECHAN" --db "$work/demo.db" import --no-progress "$KC_SRC_DIR/data/demo" >/dev/null || { echo "FAIL: import"; exit 1; }
# as a platform would: associations and field vectors learned from its records
"$KECHAN" --db "$work/demo.db" match assoc >/dev/null || { echo "FAIL: match assoc"; exit 1; }
for u in u-csu u-catl; do
	echo kechan-demo-2026 | "$KECHAN" --db "$work/demo.db" user password "$u" >/dev/null || { echo "FAIL: password"; exit 1; }
done
"$KECHAN" --db "$work/demo.db" serve --listen 127.0.0.1:0 --web "$web/dist" >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q serving "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.out")
[[ -n $port ]] || { echo "FAIL: server did not start"; cat "$work/serve.out" "$work/serve.err"; exit 1; }
shots=${KC_BUILD_DIR:-$work}/browser-shots
rm -rf "$shots"
cd "$web" && node tests/browser.mjs "http://127.0.0.1:$port" "$shots"
