#!/bin/sh
# Each public header compiles on its own, as C99 and as C++, with warnings
# as errors: users include them in any order and from C++.
set -eu
: "${top_srcdir:?run from make check}"
cc=${CC:-cc}
cxx=${CXX:-c++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for h in "$top_srcdir"/include/cxmpp/*.h "$top_srcdir"/include/cxmpp/sys/*.h; do
	[ -f "$h" ] || continue
	rel=${h#"$top_srcdir"/include/}
	printf '#include <%s>\n#include <%s>\nint cx_header_test_dummy;\n' "$rel" "$rel" >"$tmp/t.c"
	if ! $cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$top_srcdir/include" $XML_CFLAGS -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
		echo "FAIL (C99): $rel"; cat "$tmp/err"; fail=1
	fi
	cp "$tmp/t.c" "$tmp/t.cc"
	if ! $cxx -std=c++11 -Wall -Wextra -pedantic -Werror -I"$top_srcdir/include" $XML_CFLAGS -c "$tmp/t.cc" -o "$tmp/t.o" 2>"$tmp/err"; then
		echo "FAIL (C++): $rel"; cat "$tmp/err"; fail=1
	fi
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no headers found"; exit 1; }
echo "$n headers compile alone as C99 and C++"
exit $fail
