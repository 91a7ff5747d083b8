#!/usr/bin/env bash
# make test: install what is missing, build with ASan + UBSan (-Werror), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
