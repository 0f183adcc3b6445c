#!/bin/sh
# Runs the libFuzzer targets built by build.sh, one after the other, each for
# a bounded time (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh BUILDDIR SRCDIR SECONDS TARGET...
#
# Each target starts from its seed corpus (SRCDIR/tests/fuzz/corpus/NAME,
# read only) and keeps what it finds in BUILDDIR/corpus/NAME; crashes go to
# BUILDDIR/artifacts/NAME/ and the log to BUILDDIR/NAME.log. Exit status 1
# if any target crashed, after all have run.
set -u
[ $# -ge 4 ] || { echo "usage: $0 BUILDDIR SRCDIR SECONDS TARGET..." >&2; exit 2; }
out=$1 src=$2 secs=$3
shift 3
status=0
# stack traces for UBSan reports; leaks count (libFuzzer's default)
# (halt_on_error: a recoverable report that is not suppressed still stops)
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$src/tests/fuzz/ubsan.supp}
export UBSAN_OPTIONS
for t in "$@"; do
	bin=$out/fuzz_$t
	[ -x "$bin" ] || { echo "run.sh: $bin missing (make fuzz)" >&2; status=1; continue; }
	mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
	dict=
	case $t in
	xml|stream|stanza|pubsub|forms) dict=-dict=$src/tests/fuzz/xmpp.dict ;;
	esac
	echo "== fuzz_$t: ${secs}s"
	# -timeout: a single input taking 10 s is a hang worth reporting.
	# -fork=1 -ignore_crashes=1: a crash is saved and fuzzing goes on, so
	# that one run finds more than the first bug.
	before=$(ls "$out/artifacts/$t" | wc -l)
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-print_final_stats=1 $dict \
		-artifact_prefix="$out/artifacts/$t/" \
		"$out/corpus/$t" "$src/tests/fuzz/corpus/$t" \
		>"$out/$t.log" 2>&1
	rc=$?
	# the last progress line: executions, coverage (cov: edges, ft:
	# features), exec/s, oom/timeout/crash counts
	grep -E '^#[0-9]+: cov:' "$out/$t.log" | tail -n 1
	after=$(ls "$out/artifacts/$t" | wc -l)
	if [ $rc -ne 0 ] || [ "$after" -ne "$before" ]; then
		echo "== fuzz_$t: FAILED (exit $rc, $((after - before)) new" \
			"artifacts), see $out/$t.log and $out/artifacts/$t/"
		# what each new artifact does, grouped (the fork mode's job
		# logs are gone by now): replay them one by one
		for a in $(ls -t "$out/artifacts/$t" | head -n $((after - before))); do
			"$bin" "$out/artifacts/$t/$a" 2>&1 |
				grep -m1 -E 'invariant violated|ERROR: |runtime error' |
				sed 's/^==[0-9]*==//' | cut -c1-200
		done | sort | uniq -c | sort -rn | head -n 10
		status=1
	fi
done
exit $status
