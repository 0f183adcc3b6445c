#!/bin/sh
# The README's second command: from a fresh Debian 12 clone, install what is
# missing, build, and run the whole test suite (unit tests, real Prosody and
# ejabberd started on loopback by the tests themselves), then the suite again
# under AddressSanitizer+UBSan and the threaded tests under ThreadSanitizer.
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    plain build + make check only
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
status=0

run_check() { # dir, label, [make args]
	dir=$1 label=$2
	shift 2
	echo "== $label: make check"
	if ! (cd "$top/$dir" && make -j"$jobs" check "$@"); then
		echo "== $label: FAILED; logs of failing tests:"
		for log in $(cd "$top/$dir" && grep -l '^:test-result: \(FAIL\|ERROR\)' $(find . -name '*.trs') 2>/dev/null | sed 's/\.trs$/.log/'); do
			echo "---- $log"; tail -n 60 "$top/$dir/$log"
		done
		status=1
	fi
}

"$top/scripts/bootstrap-build.sh" build
run_check build "plain build"
[ "${1:-}" = "--quick" ] && exit $status

"$top/scripts/bootstrap-build.sh" build-asan --enable-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_check build-asan "ASan+UBSan build"

"$top/scripts/bootstrap-build.sh" build-tsan --enable-tsan
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	run_check build-tsan "TSan build (threaded tests)" TESTS="$(cd "$top/build-tsan" && make -s print-tsan-tests 2>/dev/null || true)"

if [ $status -eq 0 ]; then echo "== all test runs passed"; else echo "== some test runs FAILED"; fi
exit $status
