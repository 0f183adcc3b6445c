#!/bin/sh
# Compiler and linker flags for the libstrophe benchmark programs, asked of
# pkg-config when make builds them (tests/bench/local.mk), so that neither
# configure nor the normal build needs libstrophe.
#   cflags   preprocessor and compiler flags
#   libs     link against the shared library, as an application does
#   static   link the static archive, which alone exports the internal
#            parser_* functions that bench_parse_strophe calls
set -eu
case ${1:-} in
cflags) exec pkg-config --cflags libstrophe ;;
libs) exec pkg-config --libs libstrophe ;;
static)
	libdir=$(pkg-config --variable=libdir libstrophe)
	echo "$libdir/libstrophe.a $(pkg-config --libs expat openssl) -lresolv" ;;
*) echo "usage: $0 cflags|libs|static" >&2; exit 2 ;;
esac
