# lib/stream: fragment of the top Makefile.am

# sasl: SASL client over GNU SASL (issue item 12)
libcxmpp_internal_la_SOURCES += lib/stream/sasl.c lib/stream/sasl.h
check_PROGRAMS += tests/unit/stream/check_sasl
TESTS += tests/unit/stream/check_sasl
tests_unit_stream_check_sasl_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_stream_check_sasl_LDADD = $(CX_TEST_LIBS)

# stream: the client stream state machine (issue items 11 and 15)
libcxmpp_internal_la_SOURCES += lib/stream/stream.c lib/stream/stream.h
check_PROGRAMS += tests/unit/stream/check_stream
TESTS += tests/unit/stream/check_stream
tests_unit_stream_check_stream_SOURCES = tests/unit/stream/check_stream.c \
	tests/unit/stream/faketls.c tests/unit/stream/faketls.h
tests_unit_stream_check_stream_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_stream_check_stream_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/data/transcripts/rfc6120-login.txt
