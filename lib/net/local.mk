# lib/net: fragment of the top Makefile.am
