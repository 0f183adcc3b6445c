# tests: fragment of the top Makefile.am (shared test helpers)
noinst_HEADERS += tests/unit/testutil.h
