# lib/ext: fragment of the top Makefile.am

# XEP-0004 data forms
cxmppinclude_HEADERS += include/cxmpp/forms.h
libcxmpp_internal_la_SOURCES += lib/ext/forms.c
check_PROGRAMS += tests/unit/ext/check_forms
TESTS += tests/unit/ext/check_forms
tests_unit_ext_check_forms_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_forms_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/data/forms

# pubsub (XEP-0060, XEP-0163), result set management (XEP-0059), Atom entries
cxmppinclude_HEADERS += include/cxmpp/pubsub.h include/cxmpp/rsm.h \
	include/cxmpp/atom.h
libcxmpp_internal_la_SOURCES += \
	lib/ext/pubsub_util.c lib/ext/pubsub_util.h \
	lib/ext/rsm.c lib/ext/atom.c \
	lib/ext/pubsub_xml.c lib/ext/pubsub_xml.h \
	lib/ext/pubsub_event.c \
	lib/ext/pubsub.c
check_PROGRAMS += tests/unit/ext/check_rsm tests/unit/ext/check_pubsub
TESTS += tests/unit/ext/check_rsm tests/unit/ext/check_pubsub
tests_unit_ext_check_rsm_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_rsm_LDADD = $(CX_TEST_LIBS)
tests_unit_ext_check_pubsub_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_pubsub_LDADD = $(CX_TEST_LIBS)
check_PROGRAMS += tests/unit/ext/check_atom
TESTS += tests/unit/ext/check_atom
tests_unit_ext_check_atom_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_atom_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/data/pubsub
# the pubsub client against a scripted service (async twins, hostile pagers)
EXTRA_DIST += tests/hostile/pubsub_server.py
check_PROGRAMS += tests/hostile/check_pubsub_hostile
TESTS += tests/hostile/check_pubsub_hostile
tests_hostile_check_pubsub_hostile_CFLAGS = $(CX_TEST_CFLAGS)
tests_hostile_check_pubsub_hostile_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/interop/slix_pubsub.py
check_PROGRAMS += tests/integration/check_pubsub
TESTS += tests/integration/check_pubsub
tests_integration_check_pubsub_CFLAGS = $(CX_TEST_CFLAGS)
tests_integration_check_pubsub_LDADD = $(CX_TEST_LIBS)

# shared helpers of the XEP modules (ext_util) and XEP-0030 service discovery
cxmppinclude_HEADERS += include/cxmpp/disco.h
libcxmpp_internal_la_SOURCES += lib/ext/ext_util.c lib/ext/ext_util.h \
	lib/ext/disco.c
check_PROGRAMS += tests/unit/ext/check_disco
TESTS += tests/unit/ext/check_disco
tests_unit_ext_check_disco_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_disco_LDADD = $(CX_TEST_LIBS)

# XEP-0115 caps, XEP-0199 ping and keepalive, XEP-0092 version, XEP-0280 carbons
cxmppinclude_HEADERS += include/cxmpp/caps.h include/cxmpp/ping.h \
	include/cxmpp/version.h include/cxmpp/carbons.h
libcxmpp_internal_la_SOURCES += lib/ext/caps.c lib/ext/ping.c \
	lib/ext/version.c lib/ext/carbons.c
check_PROGRAMS += tests/unit/ext/check_caps
TESTS += tests/unit/ext/check_caps
tests_unit_ext_check_caps_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_caps_LDADD = $(CX_TEST_LIBS)
check_PROGRAMS += tests/unit/ext/check_ping
TESTS += tests/unit/ext/check_ping
tests_unit_ext_check_ping_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_ping_LDADD = $(CX_TEST_LIBS)
check_PROGRAMS += tests/unit/ext/check_version
TESTS += tests/unit/ext/check_version
tests_unit_ext_check_version_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_version_LDADD = $(CX_TEST_LIBS)
check_PROGRAMS += tests/unit/ext/check_carbons
TESTS += tests/unit/ext/check_carbons
tests_unit_ext_check_carbons_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_ext_check_carbons_LDADD = $(CX_TEST_LIBS)

# integration tests of the XEP modules against Prosody and ejabberd
check_PROGRAMS += tests/integration/check_ext
TESTS += tests/integration/check_ext
tests_integration_check_ext_CFLAGS = $(CX_TEST_CFLAGS)
tests_integration_check_ext_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/interop/slix_ext_peer.py
