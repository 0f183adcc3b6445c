# examples: fragment of the top Makefile.am
