#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang + ASan + UBSan (fuzz preset) and runs each
# for FUZZ_SECONDS (default 60; the text analyzer's note reports a 600 s run). Corpus seeds in
# fuzz/corpus/<name>/; new inputs go to build/fuzz/corpus-<name>/, crashes to build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
KC_SETUP_EXTRA="clang" bash scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
secs=${FUZZ_SECONDS:-60}
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f"); name=${name#fuzz_}
	mkdir -p "build/fuzz/corpus-$name"
	echo "== fuzz_$name for ${secs}s"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$f" -max_total_time="$secs" -max_len=65536 -artifact_prefix=build/fuzz/ \
		"build/fuzz/corpus-$name" "fuzz/corpus/$name"
done
