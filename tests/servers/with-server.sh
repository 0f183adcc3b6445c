#!/bin/bash
# Run a command against private test servers, then stop them.
#
#   tests/servers/with-server.sh prosody|ejabberd|both -- CMD [ARG...]
#
# Starts the server(s) in a fresh directory under ${TMPDIR:-/tmp}, runs CMD
# with that server's CX_TEST_* variables exported (see README.md), stops the
# server(s) by PID whatever happens (CMD failing, SIGINT, SIGTERM, SIGHUP),
# and exits with CMD's status.  With "both", the two servers start in
# parallel and CMD runs twice, first against Prosody, then against
# ejabberd, so that one test body covers both; the exit status is the first
# failure (an exit 77 only when nothing failed harder).
#
# A server that does not come up is an error, never a skip: the log tail is
# printed and the exit status is 99 (a hard error for Automake).  The
# directory is removed on success and kept (its path printed) on failure;
# CX_KEEP_SERVER_DIR=1 keeps it always.
set -u
cx_prog=with-server.sh
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() {
	echo "usage: $0 prosody|ejabberd|both -- CMD [ARG...]" >&2
	exit 2
}
[ $# -ge 3 ] && [ "$2" = "--" ] || usage
case $1 in
prosody | ejabberd) servers=$1 ;;
both) servers="prosody ejabberd" ;;
*) usage ;;
esac
shift 2

top=$(mktemp -d "${TMPDIR:-/tmp}/cxmpp-servers.XXXXXX") || cx_die "mktemp failed"
started=
child=
pids=
status=0

stop_all() {
	spids=
	for s in $started; do
		"$here/$s.sh" stop "$top/$s" &
		spids="$spids $!"
	done
	for p in $spids; do
		wait "$p" || status=99
	done
	started=
}

finish() {
	trap - EXIT INT TERM HUP
	stop_all
	if [ "$status" -eq 0 ] && [ "${CX_KEEP_SERVER_DIR:-}" != 1 ]; then
		rm -rf "$top"
	else
		echo "$cx_prog: server files kept in $top" >&2
	fi
	exit "$status"
}

on_signal() {
	status=$((128 + $1))
	# Start scripts still running stop their own half-started server.
	for p in $pids; do
		kill -TERM "${p%%:*}" 2>/dev/null || true
	done
	for p in $pids; do
		wait "${p%%:*}" 2>/dev/null
	done
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
	finish
}

trap finish EXIT
trap 'on_signal 2' INT
trap 'on_signal 15' TERM
trap 'on_signal 1' HUP

# Start in parallel; each start script prints nothing on success and its
# reasons on failure.
for s in $servers; do
	"$here/$s.sh" start "$top/$s" </dev/null &
	pids="$pids $!:$s"
	started="$started $s"
done
failed=
for p in $pids; do
	wait "${p%%:*}" || failed="$failed ${p#*:}"
done
pids=
if [ -n "$failed" ]; then
	echo "$cx_prog: could not start:$failed (see above and $top)" >&2
	status=99
	exit 99
fi

# CMD keeps the caller's stdin; it runs in the background only so that a
# signal reaches our trap at once instead of after CMD ends.
exec 3<&0
for s in $servers; do
	[ "$servers" = "$s" ] || echo "$cx_prog: running $1 against $s" >&2
	(
		set -a
		. "$top/$s/env"
		set +a
		exec "$@" <&3 3<&-
	) &
	child=$!
	wait "$child"
	rc=$?
	child=
	if [ $rc -ne 0 ]; then
		[ "$servers" = "$s" ] || echo "$cx_prog: $1 failed against $s (exit $rc)" >&2
		if [ $status -eq 0 ] || { [ $status -eq 77 ] && [ $rc -ne 77 ]; }; then
			status=$rc
		fi
	fi
done
finish
