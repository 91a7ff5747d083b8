#!/usr/bin/env bash
# make bench: Release build, then every benchmark in bench/ (or the ones named: make bench
# BENCH="import_bench"). Each prints its figures and the ratio against its peer.
set -euo pipefail
cd "$(dirname "$0")/.."
# wrk: the load generator of bench/http_bench.sh
KC_SETUP_EXTRA="wrk ${KC_SETUP_EXTRA:-}" bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
benches=${BENCH:-$( (cd build/release && ls *_bench 2>/dev/null; cd ../../bench && ls *_bench.sh) | sort)}
for b in $benches; do
	echo "== $b"
	case $b in
	*.sh) bash "bench/$b" ;;
	*) "build/release/$b" ;;
	esac
done
