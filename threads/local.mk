# threads: fragment of the top Makefile.am
