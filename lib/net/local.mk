# lib/net: fragment of the top Makefile.am
# tcp (connect with a deadline)
libcxmpp_internal_la_SOURCES += lib/net/tcp.c lib/net/tcp.h

# tls (OpenSSL engine over memory BIOs)
libcxmpp_internal_la_SOURCES += lib/net/tls.c lib/net/tls.h
check_PROGRAMS += tests/unit/net/check_tls
TESTS += tests/unit/net/check_tls
tests_unit_net_check_tls_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_net_check_tls_LDADD = $(CX_TEST_LIBS)

# dns (SRV lookup, host addresses) and its fake DNS server for tests
libcxmpp_internal_la_SOURCES += lib/net/dns.c lib/net/dns.h
check_PROGRAMS += tests/unit/net/check_dns
TESTS += tests/unit/net/check_dns
tests_unit_net_check_dns_CFLAGS = $(CX_TEST_CFLAGS)
tests_unit_net_check_dns_LDADD = $(CX_TEST_LIBS)
EXTRA_DIST += tests/dns/fakedns.py
