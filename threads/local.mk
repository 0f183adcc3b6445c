# threads: fragment of the top Makefile.am
cxmppinclude_HEADERS += include/cxmpp/future.h include/cxmpp/runtime.h
libcxmpp_internal_la_SOURCES += \
	threads/runtime.c threads/runtime.h \
	threads/pool.c threads/pool.h \
	threads/timer.c threads/timer.h \
	threads/future.c threads/future.h

check_PROGRAMS += tests/unit/threads/check_future
TESTS += tests/unit/threads/check_future
tests_unit_threads_check_future_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_threads_check_future_LDADD = $(CX_TEST_LIBS)

check_PROGRAMS += tests/unit/threads/check_pool
TESTS += tests/unit/threads/check_pool
tests_unit_threads_check_pool_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_threads_check_pool_LDADD = $(CX_TEST_LIBS)

check_PROGRAMS += tests/unit/threads/check_timer
TESTS += tests/unit/threads/check_timer
tests_unit_threads_check_timer_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_threads_check_timer_LDADD = $(CX_TEST_LIBS)

check_PROGRAMS += tests/unit/threads/check_runtime
TESTS += tests/unit/threads/check_runtime
tests_unit_threads_check_runtime_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_threads_check_runtime_LDADD = $(CX_TEST_LIBS)

TSAN_TESTS += tests/unit/threads/check_future tests/unit/threads/check_pool \
	tests/unit/threads/check_timer tests/unit/threads/check_runtime

# the client façade (reader/writer threads, dispatch, collectors)
cxmppinclude_HEADERS += include/cxmpp/client.h
libcxmpp_internal_la_SOURCES += threads/client.c
