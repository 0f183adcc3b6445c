# lib/im: fragment of the top Makefile.am
# RFC 6121: roster, presence and subscriptions, messages (+ XEP-0203 delay)
cxmppinclude_HEADERS += include/cxmpp/roster.h include/cxmpp/presence.h \
	include/cxmpp/message.h
libcxmpp_internal_la_SOURCES += \
	lib/im/imutil.c lib/im/imutil.h \
	lib/im/message.c \
	lib/im/roster.c \
	lib/im/presence.c
check_PROGRAMS += tests/unit/im/check_message tests/unit/im/check_roster \
	tests/unit/im/check_presence
TESTS += tests/unit/im/check_message tests/unit/im/check_roster \
	tests/unit/im/check_presence
tests_unit_im_check_message_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_im_check_message_LDADD = $(CX_TEST_LIBS)
tests_unit_im_check_roster_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_im_check_roster_LDADD = $(CX_TEST_LIBS)
tests_unit_im_check_presence_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_im_check_presence_LDADD = $(CX_TEST_LIBS)

# Integration: against Prosody and ejabberd, and interop with slixmpp
check_PROGRAMS += tests/integration/check_im
TESTS += tests/integration/check_im
tests_integration_check_im_CFLAGS = $(CX_TEST_CFLAGS)
tests_integration_check_im_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/interop/slix_peer.py
