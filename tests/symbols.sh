#!/bin/sh
# The shared library exports only cx_-prefixed symbols.
set -eu
: "${top_builddir:?run from make check}"
so=$(ls "$top_builddir"/.libs/libcxmpp.so.* 2>/dev/null | head -n 1)
[ -n "$so" ] || { echo "libcxmpp.so not built"; exit 1; }
bad=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^cx_' || true)
total=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/' | wc -l)
if [ -n "$bad" ]; then
	echo "symbols exported without the cx_ prefix:"; echo "$bad"
	exit 1
fi
[ "$total" -gt 0 ] || { echo "no symbols exported"; exit 1; }
echo "$total exported symbols, all cx_-prefixed"
