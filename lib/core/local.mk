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
TSAN_TESTS += tests/unit/core/check_jid
tests_unit_core_check_jid_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_jid_LDADD = $(CX_TEST_LIBS)

# stanza, ids, settings (the umbrella header cxmpp.h lives here too)
cxmppinclude_HEADERS += include/cxmpp/cxmpp.h include/cxmpp/stanza.h \
	include/cxmpp/settings.h
libcxmpp_internal_la_SOURCES += \
	lib/core/id.c lib/core/id.h \
	lib/core/stanza.c lib/core/stanza.h \
	lib/core/settings.c lib/core/settings.h
check_PROGRAMS += tests/unit/core/check_stanza tests/unit/core/check_settings \
	tests/unit/core/check_log
TESTS += tests/unit/core/check_stanza tests/unit/core/check_settings \
	tests/unit/core/check_log
tests_unit_core_check_stanza_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_stanza_LDADD = $(CX_TEST_LIBS)
tests_unit_core_check_settings_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_settings_LDADD = $(CX_TEST_LIBS)
tests_unit_core_check_log_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_log_LDADD = $(CX_TEST_LIBS)
# doc/settings.md is generated from the table in settings.c; check_settings
# fails when it is stale. Regenerate with `make settings-doc`.
noinst_PROGRAMS += lib/core/gen-settings-doc
lib_core_gen_settings_doc_SOURCES = lib/core/gen-settings-doc.c
lib_core_gen_settings_doc_LDADD = libcxmpp-internal.la $(DEPS_LIBS)
settings-doc: lib/core/gen-settings-doc$(EXEEXT)
	$(AM_V_GEN)lib/core/gen-settings-doc$(EXEEXT) > $(srcdir)/doc/settings.md.tmp && \
	mv -f $(srcdir)/doc/settings.md.tmp $(srcdir)/doc/settings.md
.PHONY: settings-doc

# lib/core/xml: streaming parser and serializer (libxml2 SAX2)
libcxmpp_internal_la_SOURCES += lib/core/xml.c lib/core/xml.h
check_PROGRAMS += tests/unit/core/check_xml
TESTS += tests/unit/core/check_xml
tests_unit_core_check_xml_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_core_check_xml_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/data/xml
