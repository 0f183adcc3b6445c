# lib/stream: fragment of the top Makefile.am

# sasl: SASL client over GNU SASL (issue item 12)
libcxmpp_internal_la_SOURCES += lib/stream/sasl.c lib/stream/sasl.h
check_PROGRAMS += tests/unit/stream/check_sasl
TESTS += tests/unit/stream/check_sasl
tests_unit_stream_check_sasl_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_stream_check_sasl_LDADD = $(CX_TEST_LIBS)
