# Shared helpers for the integration tests (sourced). Each test gets a temp dir, counts its
# cases and ends with the line "N passed, N failed".
set -uo pipefail
: "${KECHAN:?KECHAN must name the kechan binary}"
KC_WORK=$(mktemp -d /tmp/kc-it-XXXXXX)
trap 'rm -rf "$KC_WORK"' EXIT
cd "$KC_WORK"
kc_passed=0
kc_failed=0

kc_ok() { kc_passed=$((kc_passed + 1)); }
kc_fail() { kc_failed=$((kc_failed + 1)); echo "FAIL: $*"; }

# expect CODE "substring" -- command...: runs the command, checks its exit code and that its
# output (stdout + stderr) contains the substring (fixed string).
expect() {
	local want=$1 sub=$2
	shift 3
	local out status=0
	out=$("$@" 2>&1) || status=$?
	if [[ $status != "$want" ]]; then
		kc_fail "$* -> exit $status, wanted $want; output: $out"
	elif [[ -n $sub && $out != *"$sub"* ]]; then
		kc_fail "$* -> output lacks '$sub'; output: $out"
	else
		kc_ok
	fi
}

# expect_not "substring" -- command...: the output must not contain the substring.
expect_not() {
	local sub=$1
	shift 2
	local out
	out=$("$@" 2>&1)
	if [[ $out == *"$sub"* ]]; then kc_fail "$* -> output contains '$sub': $out"; else kc_ok; fi
}

kc_done() {
	echo "$kc_passed passed, $kc_failed failed"
	((kc_failed == 0))
}
