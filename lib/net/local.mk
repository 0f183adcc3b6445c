# lib/net: fragment of the top Makefile.am
# tcp (connect with a deadline)
libcxmpp_internal_la_SOURCES += lib/net/tcp.c lib/net/tcp.h
