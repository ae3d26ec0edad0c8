#!/usr/bin/env bash
# Runs every unit test binary and every end-to-end script, each bounded in
# time, and ends with one line: "N passed, N failed" (checks, summed).
# Env: HANDOFF (the binary under test), UNIT_DIR (unit test binaries),
#      TESTS (optional: a substring; only suites whose name holds it run: "@pg" picks
#      the PostgreSQL runs).
set -u
cd "$(dirname "$0")/.."
: "${HANDOFF:?set HANDOFF to the binary under test}"
: "${UNIT_DIR:?set UNIT_DIR}"
export HANDOFF
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total_pass=0
total_fail=0
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

run_suite() { # name, limit-seconds, command...
	local name=$1 limit=$2
	shift 2
	case "$name" in *"${TESTS:-}"*) ;; *) return ;; esac
	local log="$log_dir/${name//\//_}.log" start end rc
	start=$(date +%s)
	timeout --kill-after=5 "$limit" "$@" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	local line pass fail
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		pass=${line%% passed*}
		fail=${line#*passed, }
		fail=${fail%% failed*}
	else
		pass=0
		fail=0
	fi
	# a suite that crashed, timed out or exited non-zero with no failure counted
	# still counts as one failure: nothing passes silently
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
		[ "$rc" -eq 124 ] && echo "  (timed out after ${limit}s)" >>"$log"
		echo "  (exit status $rc with no failure counted)" >>"$log"
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	if [ "$fail" -eq 0 ]; then
		printf 'ok    %-34s %5d checks  %3ds\n' "$name" "$pass" "$((end - start))"
		grep -E '^SKIP' "$log" | sed 's/^/      /'
	else
		printf 'FAIL  %-34s %5d ok, %d failed  %3ds\n' "$name" "$pass" "$fail" "$((end - start))"
		sed 's/^/      | /' "$log" | tail -60
	fi
}

for t in $(find "$UNIT_DIR" -type f -name 'test_*' | sort); do
	[ -x "$t" ] || continue
	run_suite "unit/${t#"$UNIT_DIR"/}" 300 "$t"
done
# A script marked "# backends: sqlite postgresql" runs once per store: the second time
# against a throwaway PostgreSQL cluster it starts (tests/e2e/pg.bash), as "NAME@pg".
for s in tests/e2e/*.sh; do
	case "$s" in */lib.sh) continue ;; esac
	run_suite "e2e/$(basename "$s" .sh)" 600 bash "$s"
	if grep -q '^# backends:.*postgresql' "$s"; then
		run_suite "e2e/$(basename "$s" .sh)@pg" 600 env HANDOFF_TEST_BACKEND=postgresql bash "$s"
	fi
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
