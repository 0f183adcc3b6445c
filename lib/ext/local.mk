# lib/ext: fragment of the top Makefile.am

# XEP-0004 data forms
cxmppinclude_HEADERS += include/cxmpp/forms.h
libcxmpp_internal_la_SOURCES += lib/ext/forms.c
check_PROGRAMS += tests/unit/ext/check_forms
TESTS += tests/unit/ext/check_forms
tests_unit_ext_check_forms_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_forms_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/data/forms
