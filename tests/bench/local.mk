# tests/bench: benchmarks of cxmpp against libstrophe (tests/bench/README.md).
# Not part of `make check` or of the default build: `make bench` builds the
# programs, `make bench-run` also runs tests/bench/run.sh. The libstrophe
# programs take their flags from pkg-config when they are built, so that
# configure, the normal build and `make distcheck` never need libstrophe.
EXTRA_PROGRAMS = \
	tests/bench/bench_cxmpp \
	tests/bench/bench_strophe \
	tests/bench/bench_parse_cxmpp \
	tests/bench/bench_parse_strophe \
	tests/bench/gen_stanzas
CLEANFILES += $(EXTRA_PROGRAMS)
noinst_HEADERS += tests/bench/bench.h tests/bench/bench_file.h
EXTRA_DIST += tests/bench/README.md tests/bench/run.sh \
	tests/bench/strophe-flags.sh

# The flags come from pkg-config through strophe-flags.sh (which says why
# the parser benchmark links the static archive).
BENCH_STROPHE_FLAGS = $(SHELL) $(srcdir)/tests/bench/strophe-flags.sh
BENCH_STROPHE_CFLAGS = $(shell $(BENCH_STROPHE_FLAGS) cflags)
BENCH_STROPHE_LIBS = $(shell $(BENCH_STROPHE_FLAGS) libs)
BENCH_STROPHE_STATIC_LIBS = $(shell $(BENCH_STROPHE_FLAGS) static)

tests_bench_bench_cxmpp_SOURCES = tests/bench/bench_cxmpp.c
tests_bench_bench_cxmpp_LDADD = libcxmpp-internal.la $(DEPS_LIBS)

tests_bench_bench_parse_cxmpp_SOURCES = tests/bench/bench_parse_cxmpp.c
tests_bench_bench_parse_cxmpp_LDADD = libcxmpp-internal.la $(DEPS_LIBS)

tests_bench_gen_stanzas_SOURCES = tests/bench/gen_stanzas.c

tests_bench_bench_strophe_SOURCES = tests/bench/bench_strophe.c
tests_bench_bench_strophe_CFLAGS = $(AM_CFLAGS) $(BENCH_STROPHE_CFLAGS)
tests_bench_bench_strophe_LDADD = $(BENCH_STROPHE_LIBS)
tests_bench_bench_strophe_DEPENDENCIES =

tests_bench_bench_parse_strophe_SOURCES = tests/bench/bench_parse_strophe.c
tests_bench_bench_parse_strophe_CFLAGS = $(AM_CFLAGS) $(BENCH_STROPHE_CFLAGS)
tests_bench_bench_parse_strophe_LDADD = $(BENCH_STROPHE_STATIC_LIBS)
tests_bench_bench_parse_strophe_DEPENDENCIES =

bench: $(EXTRA_PROGRAMS)
bench-run: bench
	top_builddir='$(abs_top_builddir)' $(SHELL) $(srcdir)/tests/bench/run.sh
.PHONY: bench bench-run
