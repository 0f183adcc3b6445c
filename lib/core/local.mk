# lib/core: fragment of the top Makefile.am
cxmppinclude_HEADERS += include/cxmpp/common.h include/cxmpp/log.h
libcxmpp_internal_la_SOURCES += \
	lib/core/error.c lib/core/error.h \
	lib/core/buf.c lib/core/buf.h \
	lib/core/log.c lib/core/log.h
