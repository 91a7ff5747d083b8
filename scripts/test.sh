#!/usr/bin/env bash
# make test: install what is missing (with chromium for the browser tests), build the web UI and
# the C code with ASan + UBSan (-Werror), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
KC_SETUP_EXTRA="chromium ${KC_SETUP_EXTRA:-}" bash scripts/setup.sh
bash scripts/web.sh
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
