# examples: the command-line tools and small programs, on the public API
# only (they link the installed library, libcxmpp.la).
noinst_HEADERS += examples/tool.h
noinst_LTLIBRARIES += examples/libcxe-tool.la
examples_libcxe_tool_la_SOURCES = examples/tool.c
examples_libcxe_tool_la_CFLAGS = $(AM_CFLAGS) -fvisibility=default

bin_PROGRAMS += examples/cxmpp-send examples/cxmpp-receiver examples/cxmpp-echo-bot
examples_cxmpp_send_SOURCES = examples/cxmpp-send.c
examples_cxmpp_send_LDADD = examples/libcxe-tool.la libcxmpp.la $(XML_LIBS)
examples_cxmpp_receiver_SOURCES = examples/receiver.c
examples_cxmpp_receiver_LDADD = examples/libcxe-tool.la libcxmpp.la $(XML_LIBS)
examples_cxmpp_echo_bot_SOURCES = examples/echo-bot.c
examples_cxmpp_echo_bot_LDADD = examples/libcxe-tool.la libcxmpp.la $(XML_LIBS)

# cxmpp-roster: the roster and presence on the command line (lib/im)
bin_PROGRAMS += examples/cxmpp-roster
examples_cxmpp_roster_SOURCES = examples/cxmpp-roster.c
examples_cxmpp_roster_LDADD = examples/libcxe-tool.la libcxmpp.la $(XML_LIBS)
dist_man1_MANS += doc/man/cxmpp-roster.1

# cxmpp-pubsub: the node browser, feed reader and blog writer (XEP-0060),
# with --json output (jansson); its test runs the tool against both servers.
bin_PROGRAMS += examples/cxmpp-pubsub
examples_cxmpp_pubsub_SOURCES = examples/cxmpp-pubsub.c
examples_cxmpp_pubsub_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
examples_cxmpp_pubsub_LDADD = examples/libcxe-tool.la libcxmpp.la $(XML_LIBS) $(JANSSON_LIBS)
TESTS += tests/cli/check_pubsub_tool.sh
EXTRA_DIST += tests/cli/check_pubsub_tool.sh
