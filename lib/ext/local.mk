# lib/ext: fragment of the top Makefile.am
