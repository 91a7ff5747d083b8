# Thin wrapper over scripts/ and CMakePresets.json. See README.md.
.PHONY: demo test fuzz setup build release bench clean codes

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

build:
	@bash scripts/setup.sh && cmake --preset dev >/dev/null && cmake --build --preset dev

release:
	@bash scripts/setup.sh && cmake --preset release >/dev/null && cmake --build --preset release

bench:
	@bash scripts/bench.sh

fuzz:
	@bash scripts/fuzz.sh

codes:
	python3 scripts/gen_codes.py

clean:
	rm -rf build
