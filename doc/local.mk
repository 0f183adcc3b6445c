# doc: fragment of the top Makefile.am
dist_doc_DATA += doc/errors.md doc/settings.md
dist_doc_DATA += doc/threading.md
