#!/bin/sh
# Builds the libFuzzer targets with clang (tests/fuzz/README.md).
#
#   tests/fuzz/build.sh BUILDDIR [SRCDIR [TOP_BUILDDIR [LIBRARY_SOURCES...]]]
#
# SRCDIR is the source tree (default: this script's ../..), TOP_BUILDDIR a
# configured build tree whose config.h is used (default: the current
# directory if it has config.h). Without LIBRARY_SOURCES, the list comes from
# `make -s print-fuzz-sources` in TOP_BUILDDIR (what `make fuzz` passes).
# The library sources are compiled with -fsanitize=fuzzer-no-link into an
# archive; each target links it with -fsanitize=fuzzer, so only the objects a
# target needs end up in it. Results: BUILDDIR/fuzz_NAME.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [SRCDIR [TOP_BUILDDIR [SOURCES...]]]" >&2; exit 2; }
out=$1
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
top=${3:-$(pwd)}
[ $# -ge 3 ] && shift 3 || shift $#
CC=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ ! -f "$top/config.h" ]; then
	echo "build.sh: no config.h in $top: give a configured build tree" >&2
	exit 2
fi
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC not found (apt-get install clang libclang-rt-14-dev," \
		"or scripts/install-deps.sh)" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	set -- $(cd "$top" && make -s print-fuzz-sources)
fi

pkgs="libxml-2.0 libssl libcrypto libgsasl libidn"
pcflags=$(pkg-config --cflags $pkgs)
plibs=$(pkg-config --libs $pkgs)
# pointer-overflow is recoverable so that ubsan.supp can silence one known
# report (see there); every other UB report aborts.
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined
  -fsanitize-recover=pointer-overflow"
cflags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -pthread $san
  -I$top -I$src -I$src/include $pcflags"
# -lresolv: res_nquery is in libc since glibc 2.34 but not before.
ldlibs="$plibs -lresolv -pthread"

mkdir -p "$out/obj"
# Library objects, in parallel; one object per source path.
for f in "$@"; do
	case $f in
	*.c) printf '%s\n' "$f" ;;
	esac
done | xargs -P "$jobs" -I{} sh -c '
	f=$1
	o=$2/obj/$(printf "%s" "$f" | tr / _ | sed "s/\.c\$/.o/")
	exec '"$CC"' '"$(echo $cflags)"' -fsanitize=fuzzer-no-link -c "$3/$f" -o "$o"
' sh {} "$out" "$src"
rm -f "$out/libcx-fuzz.a"
ar rcs "$out/libcx-fuzz.a" "$out"/obj/*.o

# One program per target; fuzz_stream also takes the fake TLS layer of the
# stream unit tests.
for t in "$src"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	extra=
	[ "$name" = fuzz_stream ] && extra="$src/tests/unit/stream/faketls.c"
	echo "  CCLD     $name"
	rm -f "$out/$name"
	$CC $cflags -fsanitize=fuzzer "$t" $extra "$out/libcx-fuzz.a" $ldlibs \
		-o "$out/$name" &
	[ "$jobs" -gt 1 ] || wait
done
wait
for t in "$src"/tests/fuzz/fuzz_*.c; do
	[ -x "$out/$(basename "$t" .c)" ] || { echo "build.sh: $(basename "$t" .c) failed" >&2; exit 1; }
done
echo "build.sh: fuzzers in $out"
