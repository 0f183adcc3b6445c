#!/bin/sh
# cxmpp-send and cxmpp-receiver run as processes against the real servers:
# delivery (-m, standard input, two recipients), where the settings come
# from (config file < environment < flags), the exit status of each failure
# class, and the -v console (XML shown, password never, not even as the
# base64 of a SASL PLAIN message).
#
# Under make check it re-runs itself through tests/servers/with-server.sh
# both (Prosody, then ejabberd). Every wait is bounded.
set -u

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-.}
if [ -z "${CX_TEST_SERVER:-}" ]; then
	exec "$top/tests/servers/with-server.sh" both -- "$0" "$@"
fi

send="$build/examples/cxmpp-send"
recv="$build/examples/cxmpp-receiver"
work=$(mktemp -d "${TMPDIR:-/tmp}/cxmpp-cli-XXXXXX") || exit 99
failures=0
pids=
# keep the environment clean of the caller's account, and of a real
# ~/.config/cxmpp/config
unset CXMPP_JID CXMPP_PASSWORD CXMPP_HOST CXMPP_PORT CXMPP_CONFIG CXMPP_TLS_CA_FILE
HOME=$work
export HOME

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL ($CX_TEST_SERVER): $*" >&2
	failures=$((failures + 1))
}

ok() {
	echo "ok ($CX_TEST_SERVER): $*"
}

# Common connection flags for the server under test.
conn="--host $CX_TEST_HOST --port $CX_TEST_PORT --ca-file $CX_TEST_CA --timeout 10000"

# start_receiver NAME USER PASS: runs cxmpp-receiver --count 1 in the
# background, output in $work/NAME.out, and waits until it is ready.
start_receiver() {
	name=$1
	CXMPP_PASSWORD=$3 timeout 60 "$recv" -j "$2" --resource "$name" $conn \
		--count 1 >"$work/$name.out" 2>"$work/$name.err" &
	eval "pid_$name=$!"
	pids="$pids $!"
	i=0
	while ! grep -q ready "$work/$name.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			fail "$name: the receiver did not get ready"
			cat "$work/$name.err" >&2
			return 1
		fi
		sleep 0.1
	done
}

# wait_receiver NAME EXPECTED-LINE: the receiver exits 0 within 20 s and
# printed exactly that line.
wait_receiver() {
	name=$1
	eval "pid=\$pid_$name"
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			fail "$name: no message within 20 s"
			kill "$pid"
			break
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] || fail "$name: receiver exit status $rc"
	if ! grep -qx -- "$2" "$work/$name.out"; then
		fail "$name: expected '$2', got '$(cat "$work/$name.out")'"
		return 1
	fi
	return 0
}

# expect_status WANT LABEL CMD...: runs CMD (60 s bound), checks the status.
expect_status() {
	want=$1 label=$2
	shift 2
	timeout 60 "$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "$label: exit status $rc, want $want"
		sed 's/^/    /' "$work/err" >&2
	else
		ok "$label: exit $rc ($(head -n 1 "$work/err"))"
	fi
}

u1=$CX_TEST_USER1 p1=$CX_TEST_PASS1
u2=$CX_TEST_USER2 p2=$CX_TEST_PASS2
u3=$CX_TEST_USER3 p3=$CX_TEST_PASS3

# ---- delivery with -m --------------------------------------------------
start_receiver m "$u2" "$p2" &&
	CXMPP_PASSWORD=$p1 timeout 60 "$send" -j "$u1" $conn -m "hello from -m" "$u2" \
		</dev/null 2>"$work/send.err"
rc=$?
[ $rc -eq 0 ] || { fail "-m: exit status $rc"; cat "$work/send.err" >&2; }
wait_receiver m "$u1/[^:]*: hello from -m" && ok "-m delivered to cxmpp-receiver --count 1"

# ---- the body from standard input ---------------------------------------
start_receiver stdin "$u2" "$p2" &&
	printf 'line one\nline two\n' | CXMPP_PASSWORD=$p1 timeout 60 "$send" \
		-j "$u1" $conn "$u2" 2>"$work/send.err"
rc=$?
[ $rc -eq 0 ] || { fail "stdin: exit status $rc"; cat "$work/send.err" >&2; }
eval "pid=\$pid_stdin"
timeout 25 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done"
wait "$pid" || fail "stdin: receiver failed"
if grep -q "^$u1/.*: line one\$" "$work/stdin.out" && grep -qx "line two" "$work/stdin.out"; then
	ok "standard input delivered (two lines, trailing newline dropped)"
else
	fail "stdin: got '$(cat "$work/stdin.out")'"
fi

# ---- two recipients ---------------------------------------------------------
start_receiver r2 "$u2" "$p2" && start_receiver r3 "$u3" "$p3" &&
	CXMPP_PASSWORD=$p1 timeout 60 "$send" -j "$u1" $conn -m "to both" "$u2" "$u3" \
		</dev/null 2>"$work/send.err"
rc=$?
[ $rc -eq 0 ] || { fail "two recipients: exit status $rc"; cat "$work/send.err" >&2; }
for r in r2 r3; do
	eval "pid=\$pid_$r"
	timeout 25 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done"
	wait "$pid" || fail "$r: receiver failed"
	grep -q "^$u1/.*: to both\$" "$work/$r.out" && ok "two recipients: $r got it" ||
		fail "$r: got '$(cat "$work/$r.out")'"
done

# ---- config file < environment < flags -----------------------------------
# The file names the wrong account (u3) with a wrong password; the
# environment fixes the password; the flag fixes the account.
mkdir -p "$work/.config/cxmpp"
cat >"$work/.config/cxmpp/config" <<EOF
# cxmpp test configuration
jid = $u3
password = not-the-password
host = $CX_TEST_HOST
port = $CX_TEST_PORT
tls.ca_file = $CX_TEST_CA
EOF
chmod 600 "$work/.config/cxmpp/config"
# file alone: u3 with a wrong password -> authentication fails
expect_status 7 "config file alone (wrong password in the file)" \
	"$send" -m x "$u2"
# environment beats the file: the right password of u3 -> sent as u3
start_receiver cfg1 "$u2" "$p2" &&
	CXMPP_PASSWORD=$p3 timeout 60 "$send" -m "env beats file" "$u2" </dev/null \
		2>"$work/send.err" || fail "env over file: $(cat "$work/send.err")"
eval "pid=\$pid_cfg1"
timeout 25 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done"; wait "$pid"
grep -q "^$u3/.*: env beats file\$" "$work/cfg1.out" && ok "environment beats the config file" ||
	fail "env over file: got '$(cat "$work/cfg1.out")'"
# flag beats environment beats file: -j u1 with CXMPP_JID=u3 -> sent as u1
start_receiver cfg2 "$u2" "$p2" &&
	CXMPP_JID=$u3 CXMPP_PASSWORD=$p1 timeout 60 "$send" -j "$u1" -m "flag beats env" \
		"$u2" </dev/null 2>"$work/send.err" || fail "flag over env: $(cat "$work/send.err")"
eval "pid=\$pid_cfg2"
timeout 25 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done"; wait "$pid"
grep -q "^$u1/.*: flag beats env\$" "$work/cfg2.out" && ok "a flag beats the environment" ||
	fail "flag over env: got '$(cat "$work/cfg2.out")'"
# --config FILE replaces the default file
printf 'password = %s\n' "$p1" >"$work/other.conf"
chmod 600 "$work/other.conf"
expect_status 0 "--config names another file" \
	"$send" -c "$work/other.conf" -j "$u1" $conn -m "from --config" "$u2"
rm -f "$work/.config/cxmpp/config"

# ---- exit status per failure class ------------------------------------------
expect_status 7 "wrong password" env CXMPP_PASSWORD=wrong-password \
	"$send" -j "$u1" $conn -m x "$u2"
expect_status 6 "rogue CA" env CXMPP_PASSWORD="$p1" \
	"$send" -j "$u1" --host "$CX_TEST_HOST" --port "$CX_TEST_PORT" \
	--ca-file "$CX_TEST_ROGUE_CA" -m x "$u2"
free_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_status 5 "port with nothing listening" env CXMPP_PASSWORD="$p1" \
	"$send" -j "$u1" --host 127.0.0.1 --port "$free_port" --ca-file "$CX_TEST_CA" -m x "$u2"
expect_status 3 "bad account JID" env CXMPP_PASSWORD="$p1" \
	"$send" -j "alice@@bad" $conn -m x "$u2"
expect_status 3 "bad recipient JID" env CXMPP_PASSWORD="$p1" \
	"$send" -j "$u1" $conn -m x "$u2" "bob@bad domain"
expect_status 2 "unknown flag" "$send" --no-such-flag -m x "$u2"
expect_status 2 "no recipient" "$send" -j "$u1" -m x
expect_status 0 "direct TLS" env CXMPP_PASSWORD="$p1" \
	"$send" -j "$u1" --host "$CX_TEST_HOST" --port "$CX_TEST_TLS_PORT" --tls direct \
	--ca-file "$CX_TEST_CA" -m "over direct TLS" "$u2"
expect_status 0 "--insecure-skip-verify with the rogue CA" env CXMPP_PASSWORD="$p1" \
	"$send" -j "$u1" --host "$CX_TEST_HOST" --port "$CX_TEST_PORT" \
	--ca-file "$CX_TEST_ROGUE_CA" --insecure-skip-verify -m x "$u2"
grep -q "WARNING: --insecure-skip-verify" "$work/err" && ok "--insecure-skip-verify warns" ||
	fail "--insecure-skip-verify did not warn"

# ---- -v: the XML console, secrets masked ------------------------------------
expect_status 0 "-v with PLAIN" env CXMPP_PASSWORD="$p1" \
	"$send" -v -j "$u1" $conn --sasl-mechanisms PLAIN -m "console" "$u2"
b64=$(printf '\000%s\000%s' "${u1%@*}" "$p1" | base64)
b64z=$(printf '%s\000%s\000%s' "$u1" "${u1%@*}" "$p1" | base64)
grep -q ">>> <message" "$work/err" && grep -q "<<< <stream:stream\|<<< <?xml" "$work/err" &&
	grep -q "<auth .*\[hidden\]" "$work/err" && ok "-v shows the XML, with <auth> masked" ||
	fail "-v: XML console missing"
if grep -qF -- "$p1" "$work/err" || grep -qF -- "$b64" "$work/err" ||
	grep -qF -- "$b64z" "$work/err"; then
	fail "-v printed the password (plain or base64)"
else
	ok "-v never shows the password, nor its PLAIN base64 ($b64)"
fi
expect_status 0 "-v with SCRAM" env CXMPP_PASSWORD="$p1" \
	"$send" -v -j "$u1" $conn -m "console" "$u2"
grep -qF -- "$p1" "$work/err" && fail "-v (SCRAM) printed the password" ||
	ok "-v (SCRAM) never shows the password"

[ $failures -eq 0 ] && echo "all cxmpp-send checks passed against $CX_TEST_SERVER"
exit $((failures > 0))
