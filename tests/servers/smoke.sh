#!/bin/bash
# Smoke test of the test servers themselves (registered in TESTS): starts
# Prosody and ejabberd, and against each checks
#   - the plaintext stream offers only <starttls><required/>, no SASL;
#   - STARTTLS (openssl s_client -starttls xmpp) verifies against the test
#     CA with localhost as the name, and fails against the rogue CA;
#   - direct TLS on 127.0.0.1 and ::1 verifies the same way;
#   - the presented key matches CX_TEST_CERT_PIN;
#   - a stdlib Python login (STARTTLS and direct TLS, PLAIN, bind,
#     presence and message to self) works and records a transcript;
#   - a wrong password is refused;
#   - alice may create pubsub nodes (on Prosody, bob may not).
# Writes only under ${TMPDIR:-/tmp} (read-only source trees are fine).
set -u
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inner ]; then
	exec "$here/with-server.sh" both -- "$here/smoke.sh" --inner
fi

fails=0
ok() { echo "ok - $CX_TEST_SERVER: $*"; }
not_ok() { echo "not ok - $CX_TEST_SERVER: $*"; fails=$((fails + 1)); }
work=$(mktemp -d "${TMPDIR:-/tmp}/cxmpp-smoke.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# s_client NAME CAFILE ARGS...: handshake, print the peer certificate
# chain into $work/NAME.out; succeed when the chain verified.
s_client() {
	name=$1 ca=$2
	shift 2
	timeout 10 openssl s_client -CAfile "$ca" -verify_return_error \
		-showcerts "$@" </dev/null >"$work/$name.out" 2>&1 &&
		grep -q 'Verify return code: 0 (ok)' "$work/$name.out"
}

# why NAME: the lines of $work/NAME.out that say why a handshake failed.
why() {
	grep -E 'verify error|Verify return code|connect:|errno|alert' "$work/$1.out" |
		head -n 3 | tr '\n' ' '
}

# 1. Before TLS: STARTTLS required, nothing else offered.
features=$(/usr/bin/python3 - "$CX_TEST_HOST" "$CX_TEST_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
data, end = b"", time.monotonic() + 5
while b"</stream:features>" not in data and time.monotonic() < end:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
s.close()
sys.stdout.write(data.decode("utf-8", "replace"))
PY
)
case $features in
*"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"*)
	case $features in
	*mechanisms*) not_ok "SASL mechanisms offered before TLS" ;;
	*) ok "plaintext stream offers only STARTTLS (required)" ;;
	esac ;;
*) not_ok "no required STARTTLS in the plaintext features: $features" ;;
esac

# 2. STARTTLS with the right CA and name; the rogue CA must fail.
if s_client starttls "$CX_TEST_CA" -starttls xmpp -xmpphost "$CX_TEST_DOMAIN" \
	-connect "$CX_TEST_HOST:$CX_TEST_PORT" -verify_hostname "$CX_TEST_DOMAIN"; then
	ok "STARTTLS certificate verifies for $CX_TEST_DOMAIN"
else
	not_ok "STARTTLS verification failed: $(why starttls)"
fi
if s_client rogue "$CX_TEST_ROGUE_CA" -starttls xmpp -xmpphost "$CX_TEST_DOMAIN" \
	-connect "$CX_TEST_HOST:$CX_TEST_PORT" -verify_hostname "$CX_TEST_DOMAIN"; then
	not_ok "the rogue CA verified the server"
else
	ok "the rogue CA does not verify the server"
fi

# 3. Direct TLS on both loopback addresses (SNI set to the domain).
for addr in "$CX_TEST_HOST" "[$CX_TEST_HOST6]"; do
	if s_client direct "$CX_TEST_CA" -connect "$addr:$CX_TEST_TLS_PORT" \
		-servername "$CX_TEST_DOMAIN" -verify_hostname "$CX_TEST_DOMAIN"; then
		ok "direct TLS on $addr:$CX_TEST_TLS_PORT verifies"
	else
		not_ok "direct TLS on $addr:$CX_TEST_TLS_PORT: $(why direct)"
	fi
done

# 4. The pin in the env file is the presented key's.
sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END/q}' \
	"$work/direct.out" >"$work/leaf.pem"
pin="sha256/$(openssl x509 -in "$work/leaf.pem" -pubkey -noout 2>/dev/null |
	openssl pkey -pubin -outform DER 2>/dev/null |
	openssl dgst -sha256 -binary | openssl base64 -A)"
if [ "$pin" = "$CX_TEST_CERT_PIN" ]; then
	ok "presented key matches CX_TEST_CERT_PIN"
else
	not_ok "presented key pin $pin != CX_TEST_CERT_PIN $CX_TEST_CERT_PIN"
fi
[ "$CX_TEST_ROGUE_PIN" != "$CX_TEST_CERT_PIN" ] || not_ok "rogue pin equals the real pin"

# 5. Logins with the stdlib client, recording transcripts.
for mode in starttls direct; do
	flag=
	[ $mode = direct ] && flag=--direct-tls
	if /usr/bin/python3 "$here/record-login.py" $flag --out "$work/$mode.txt" &&
		grep -q '^TLS$' "$work/$mode.txt" &&
		grep -q '^C ' "$work/$mode.txt" && grep -q '^S ' "$work/$mode.txt"; then
		ok "login as $CX_TEST_USER1 over $mode, transcript recorded"
	else
		not_ok "login as $CX_TEST_USER1 over $mode"
	fi
done
for n in 2 3 4 5; do
	eval "jid=\$CX_TEST_USER$n pass=\$CX_TEST_PASS$n"
	if /usr/bin/python3 "$here/record-login.py" --jid "$jid" --password "$pass" >/dev/null; then
		ok "login as $jid"
	else
		not_ok "login as $jid"
	fi
done
if /usr/bin/python3 "$here/record-login.py" --password wrong-password 2>"$work/wrong.err"; then
	not_ok "a wrong password was accepted"
elif grep -q 'authentication failed: <not-authorized/>' "$work/wrong.err"; then
	ok "a wrong password is refused with <not-authorized/>"
else
	not_ok "a wrong password failed in the wrong way: $(cat "$work/wrong.err")"
fi

# 6. alice may create pubsub nodes (Prosody: as a service admin; ejabberd:
#    as a local user); on Prosody, bob may not.
node=smoke-$$
if /usr/bin/python3 "$here/record-login.py" --create-node "$node" >/dev/null; then
	ok "$CX_TEST_USER1 creates node $node on $CX_TEST_PUBSUB"
else
	not_ok "$CX_TEST_USER1 cannot create a node on $CX_TEST_PUBSUB"
fi
if [ "$CX_TEST_SERVER" = prosody ]; then
	if /usr/bin/python3 "$here/record-login.py" --jid "$CX_TEST_USER2" \
		--password "$CX_TEST_PASS2" --create-node "$node-bob" 2>"$work/bob.err"; then
		not_ok "$CX_TEST_USER2 created a node, but is no admin of $CX_TEST_PUBSUB"
	elif grep -q 'failed: <forbidden/>' "$work/bob.err"; then
		ok "$CX_TEST_USER2 may not create nodes (<forbidden/>)"
	else
		not_ok "$CX_TEST_USER2 node creation failed in the wrong way: $(cat "$work/bob.err")"
	fi
fi

[ $fails -eq 0 ] || { echo "$CX_TEST_SERVER: $fails check(s) failed"; exit 1; }
exit 0
