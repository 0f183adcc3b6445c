# tests/fuzz: libFuzzer targets (tests/fuzz/README.md).
# In `make check` each target is built with the normal compiler and a small
# driver (driver.c) that replays its corpus and its kept crashes: under
# --enable-asan that is a regression run under ASan+UBSan. `make fuzz`
# builds the real fuzzers with clang (build.sh); `make fuzz-run
# FUZZ_SECONDS=60` runs each for that long (run.sh).
CXF_TARGETS = xml stream jid sasl stanza pubsub forms
CXF_COMMON = tests/fuzz/driver.c tests/fuzz/fuzz.h
CXF_LIBS = libcxmpp-internal.la $(DEPS_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_xml tests/fuzz/fuzz_stream \
	tests/fuzz/fuzz_jid tests/fuzz/fuzz_sasl tests/fuzz/fuzz_stanza \
	tests/fuzz/fuzz_pubsub tests/fuzz/fuzz_forms
TESTS += tests/fuzz/fuzz_xml tests/fuzz/fuzz_stream \
	tests/fuzz/fuzz_jid tests/fuzz/fuzz_sasl tests/fuzz/fuzz_stanza \
	tests/fuzz/fuzz_pubsub tests/fuzz/fuzz_forms

tests_fuzz_fuzz_xml_SOURCES = tests/fuzz/fuzz_xml.c $(CXF_COMMON)
tests_fuzz_fuzz_xml_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"xml"'
tests_fuzz_fuzz_xml_LDADD = $(CXF_LIBS)

tests_fuzz_fuzz_stream_SOURCES = tests/fuzz/fuzz_stream.c $(CXF_COMMON) \
	tests/unit/stream/faketls.c tests/unit/stream/faketls.h
tests_fuzz_fuzz_stream_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"stream"'
tests_fuzz_fuzz_stream_LDADD = $(CXF_LIBS)

tests_fuzz_fuzz_jid_SOURCES = tests/fuzz/fuzz_jid.c $(CXF_COMMON)
tests_fuzz_fuzz_jid_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"jid"'
tests_fuzz_fuzz_jid_LDADD = $(CXF_LIBS)

tests_fuzz_fuzz_sasl_SOURCES = tests/fuzz/fuzz_sasl.c $(CXF_COMMON)
tests_fuzz_fuzz_sasl_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"sasl"'
tests_fuzz_fuzz_sasl_LDADD = $(CXF_LIBS)

tests_fuzz_fuzz_stanza_SOURCES = tests/fuzz/fuzz_stanza.c $(CXF_COMMON)
tests_fuzz_fuzz_stanza_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"stanza"'
tests_fuzz_fuzz_stanza_LDADD = $(CXF_LIBS)

tests_fuzz_fuzz_pubsub_SOURCES = tests/fuzz/fuzz_pubsub.c $(CXF_COMMON)
tests_fuzz_fuzz_pubsub_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"pubsub"'
tests_fuzz_fuzz_pubsub_LDADD = $(CXF_LIBS)

tests_fuzz_fuzz_forms_SOURCES = tests/fuzz/fuzz_forms.c $(CXF_COMMON)
tests_fuzz_fuzz_forms_CFLAGS = $(AM_CFLAGS) -DCXF_TARGET='"forms"'
tests_fuzz_fuzz_forms_LDADD = $(CXF_LIBS)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/build.sh tests/fuzz/run.sh \
	tests/fuzz/xmpp.dict tests/fuzz/ubsan.supp tests/fuzz/seed-corpus.py \
	tests/fuzz/corpus tests/fuzz/crashes tests/fuzz/open

# The fuzzers proper: clang, libFuzzer, ASan+UBSan, objects of their own in
# tests/fuzz/libfuzzer/ (the normal objects are left alone).
CXF_BUILDDIR = $(abs_top_builddir)/tests/fuzz/libfuzzer
FUZZ_SECONDS = 60
fuzz:
	$(SHELL) $(srcdir)/tests/fuzz/build.sh '$(CXF_BUILDDIR)' \
		'$(abs_top_srcdir)' '$(abs_top_builddir)' \
		$(filter %.c,$(libcxmpp_internal_la_SOURCES))
print-fuzz-sources:
	@echo $(filter %.c,$(libcxmpp_internal_la_SOURCES))
fuzz-run: fuzz
	$(SHELL) $(srcdir)/tests/fuzz/run.sh '$(CXF_BUILDDIR)' \
		'$(abs_top_srcdir)' '$(FUZZ_SECONDS)' $(CXF_TARGETS)
fuzz-clean:
	rm -rf '$(CXF_BUILDDIR)'
.PHONY: fuzz fuzz-run fuzz-clean print-fuzz-sources
