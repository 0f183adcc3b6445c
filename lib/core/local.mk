# lib/core: fragment of the top Makefile.am
cxmppinclude_HEADERS += include/cxmpp/common.h include/cxmpp/log.h
libcxmpp_internal_la_SOURCES += \
	lib/core/error.c lib/core/error.h \
	lib/core/buf.c lib/core/buf.h \
	lib/core/log.c lib/core/log.h

# jid (RFC 7622)
cxmppinclude_HEADERS += include/cxmpp/jid.h
libcxmpp_internal_la_SOURCES += lib/core/jid.c lib/core/jid.h
check_PROGRAMS += tests/unit/core/check_jid
TESTS += tests/unit/core/check_jid
tests_unit_core_check_jid_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_jid_LDADD = $(CX_TEST_LIBS)

# lib/core/xml: streaming parser and serializer (libxml2 SAX2)
libcxmpp_internal_la_SOURCES += lib/core/xml.c lib/core/xml.h
check_PROGRAMS += tests/unit/core/check_xml
TESTS += tests/unit/core/check_xml
tests_unit_core_check_xml_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_xml_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/data/xml
