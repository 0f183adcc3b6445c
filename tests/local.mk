# tests: fragment of the top Makefile.am (shared test helpers)
noinst_HEADERS += tests/unit/testutil.h
TESTS += tests/headers.sh tests/symbols.sh
EXTRA_DIST += tests/headers.sh tests/symbols.sh
AM_TESTS_ENVIRONMENT += XML_CFLAGS='$(XML_CFLAGS)'; export XML_CFLAGS; \
	CC='$(CC)'; export CC; CXX='$(CXX)'; export CXX;

# The tests worth running under ThreadSanitizer (threads/ and the client);
# modules append to TSAN_TESTS. scripts/test.sh asks for this list.
print-tsan-tests:
	@echo $(TSAN_TESTS)
.PHONY: print-tsan-tests
