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

# Integration tests: real Prosody and ejabberd (tests/servers), started by
# each test program itself through tests/servers/with-server.sh.
noinst_HEADERS += tests/integration/harness.h
check_PROGRAMS += tests/integration/check_client
TESTS += tests/integration/check_client
TSAN_TESTS += tests/integration/check_client
tests_integration_check_client_CFLAGS = $(CX_TEST_CFLAGS)
tests_integration_check_client_LDADD = $(CX_TEST_LIBS)

# The client against a scripted hostile server (tests/hostile): stalls,
# silence, a close mid-stanza, stream errors, forged replies, floods, bad XML,
# dispatch guarantees, endings and wrong-state calls.
noinst_HEADERS += tests/hostile/hostile.h
EXTRA_DIST += tests/hostile/hostile-server.py
check_PROGRAMS += tests/hostile/check_hostile
TESTS += tests/hostile/check_hostile
TSAN_TESTS += tests/hostile/check_hostile
tests_hostile_check_hostile_CFLAGS = $(CX_TEST_CFLAGS)
tests_hostile_check_hostile_LDADD = $(CX_TEST_LIBS)

# Endings against the real servers: disconnect and free flush the writer.
check_PROGRAMS += tests/unit/threads/check_client_endings
TESTS += tests/unit/threads/check_client_endings
TSAN_TESTS += tests/unit/threads/check_client_endings
tests_unit_threads_check_client_endings_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_threads_check_client_endings_LDADD = $(CX_TEST_LIBS)

# The command-line tools run as processes against both real servers.
TESTS += tests/cli/cxmpp-send.sh
EXTRA_DIST += tests/cli/cxmpp-send.sh

# cxmpp-echo-bot as a process against both servers
check_PROGRAMS += tests/cli/check_echo_bot
TESTS += tests/cli/check_echo_bot
tests_cli_check_echo_bot_CFLAGS = $(CX_TEST_CFLAGS)
tests_cli_check_echo_bot_LDADD = $(CX_TEST_LIBS)

# The feature suites under ThreadSanitizer too: their handlers (disco, caps,
# roster, presence, pubsub events) run concurrently on the pool.
TSAN_TESTS += tests/integration/check_im tests/integration/check_ext \
	tests/integration/check_pubsub
