# lib/stream: fragment of the top Makefile.am
