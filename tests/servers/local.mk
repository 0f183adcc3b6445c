# tests/servers: fragment of the top Makefile.am
