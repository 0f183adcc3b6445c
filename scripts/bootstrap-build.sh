#!/bin/sh
# Shared by scripts/demo.sh and scripts/test.sh: install what is missing,
# generate the build system, configure and build in DIR (default: build/).
#   scripts/bootstrap-build.sh [DIR [configure args...]]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
[ $# -gt 0 ] && shift
"$top/scripts/install-deps.sh"
cd "$top"
# Only when missing: after that, make's own rules regenerate what changed.
if [ ! -x configure ]; then
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
mkdir -p "$top/$dir"
cd "$top/$dir"
if [ ! -f Makefile ] || [ config.status -ot "$top/configure" ]; then
	"$top/configure" -q "$@"
fi
make -s -j"$(nproc)" >/dev/null
