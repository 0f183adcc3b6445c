# doc: fragment of the top Makefile.am
dist_doc_DATA += doc/errors.md doc/settings.md
dist_doc_DATA += doc/threading.md
# man pages of the command-line tools
dist_man1_MANS += doc/man/cxmpp-send.1 doc/man/cxmpp-receiver.1 doc/man/cxmpp-echo-bot.1
dist_doc_DATA += doc/pubsub-conformance.md
dist_man1_MANS += doc/man/cxmpp-pubsub.1
