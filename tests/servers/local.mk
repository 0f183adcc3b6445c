# tests/servers: private Prosody and ejabberd on loopback for integration
# tests and the demo, and the recorded login transcripts
# (tests/servers/README.md, tests/data/transcripts/README.md).
TESTS += tests/servers/smoke.sh
EXTRA_DIST += \
	tests/servers/README.md \
	tests/servers/certs.sh \
	tests/servers/lib.sh \
	tests/servers/prosody.sh \
	tests/servers/ejabberd.sh \
	tests/servers/with-server.sh \
	tests/servers/smoke.sh \
	tests/servers/record-login.py \
	tests/data/transcripts/README.md \
	tests/data/transcripts/prosody-login.txt \
	tests/data/transcripts/ejabberd-login.txt
