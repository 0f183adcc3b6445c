#!/bin/sh
# The README's first command: on a fresh Debian 12 machine (as root), install
# what is missing, build, start a private Prosody on 127.0.0.1, and show the
# main job: cxmpp-send delivers a message that the example receiver prints;
# then the mission, publish-subscribe: cxmpp-pubsub creates a node, a reader
# runs in the background, two posts are written and arrive at the reader,
# and the tree of nodes is shown.
# Everything it starts, it stops (by PID) before it exits.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

echo "== installing what is missing and building (first run: a few minutes)"
"$top/scripts/bootstrap-build.sh" build

echo "== starting a private Prosody on 127.0.0.1 and running the demo"
exec "$top/tests/servers/with-server.sh" prosody -- sh -c '
	set -eu
	bin="$1/build/examples"
	# Both programs read the account and the connection from the
	# environment (flags and ~/.config/cxmpp/config work too).
	export CXMPP_HOST="$CX_TEST_HOST" CXMPP_PORT="$CX_TEST_PORT"
	export CXMPP_TLS_CA_FILE="$CX_TEST_CA"
	log=$(mktemp)
	trap "rm -f \"$log\"" EXIT

	echo "-- $CX_TEST_USER2 starts cxmpp-receiver and waits for one message"
	CXMPP_JID="$CX_TEST_USER2/demo" CXMPP_PASSWORD="$CX_TEST_PASS2" \
		"$bin/cxmpp-receiver" --count 1 >"$log" 2>&1 &
	receiver=$!
	i=0
	until grep -q ready "$log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $receiver 2>/dev/null; then
			echo "the receiver did not come up:"; cat "$log"
			kill $receiver 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done

	echo "-- $CX_TEST_USER1 runs: cxmpp-send -m ... $CX_TEST_USER2/demo"
	CXMPP_JID="$CX_TEST_USER1" CXMPP_PASSWORD="$CX_TEST_PASS1" \
		"$bin/cxmpp-send" -m "Hello from cxmpp-send: $(date -u +%H:%M:%S)" \
		"$CX_TEST_USER2/demo"
	echo "   cxmpp-send exited with status $?"

	i=0
	while kill -0 $receiver 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "the receiver did not get the message"; kill $receiver; exit 1
		fi
		sleep 0.1
	done
	wait $receiver
	echo "-- the receiver printed:"
	grep -v ready "$log" | sed "s/^/   /"

	# The mission: publish-subscribe with cxmpp-pubsub. On Prosody only
	# its admin, alice, may create nodes on the pubsub service.
	ps="$bin/cxmpp-pubsub"
	svc="$CX_TEST_PUBSUB"
	node=blog
	plog=$(mktemp)
	trap "rm -f \"$log\" \"$plog\"" EXIT
	echo
	echo "-- $CX_TEST_USER1 creates a node: cxmpp-pubsub browse $svc $node create title=..."
	CXMPP_JID="$CX_TEST_USER1" CXMPP_PASSWORD="$CX_TEST_PASS1" \
		"$ps" browse "$svc" "$node" create "title=The demo blog" | sed "s/^/   /"

	echo "-- $CX_TEST_USER2 starts the reader in the background: cxmpp-pubsub read $svc $node"
	CXMPP_JID="$CX_TEST_USER2" CXMPP_PASSWORD="$CX_TEST_PASS2" \
		"$ps" read "$svc" "$node" --count 2 --for 30 --unsubscribe-on-exit \
		>"$plog" 2>&1 &
	reader=$!
	# Show what the reader prints, live, as the posts arrive.
	tail --pid=$reader -n +1 -f "$plog" | sed -u "s/^/   reader| /" &
	shower=$!
	i=0
	until grep -q "Ctrl-C stops" "$plog" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 $reader 2>/dev/null; then
			echo "the reader did not come up:"; cat "$plog"
			kill $reader 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done

	echo "-- $CX_TEST_USER1 publishes two posts with cxmpp-pubsub write"
	CXMPP_JID="$CX_TEST_USER1" CXMPP_PASSWORD="$CX_TEST_PASS1" \
		"$ps" write "$svc" "$node" --title "Hello, world" \
		-m "The first post, written with cxmpp-pubsub." \
		--category demo --link https://example.org/hello | sed "s/^/   /"
	echo "Posts can also come from a file or standard input: this one did." |
	CXMPP_JID="$CX_TEST_USER1" CXMPP_PASSWORD="$CX_TEST_PASS1" \
		"$ps" write "$svc" "$node" --id second --title "A second post" | sed "s/^/   /"

	i=0
	while kill -0 $reader 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			echo "the reader did not get both posts"; kill $reader $shower; exit 1
		fi
		sleep 0.1
	done
	wait $reader
	wait $shower 2>/dev/null || true

	echo "-- cxmpp-pubsub browse $svc shows the tree of nodes"
	CXMPP_JID="$CX_TEST_USER1" CXMPP_PASSWORD="$CX_TEST_PASS1" \
		"$ps" browse "$svc" | sed "s/^/   /"
	echo "== demo done: the server is stopped next"
' demo "$top"
