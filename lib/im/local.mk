# lib/im: fragment of the top Makefile.am
