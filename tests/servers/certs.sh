#!/bin/sh
# Make the test PKI in DIR (created if needed):
#   ca.pem ca.key                  private test CA
#   server.pem server.key          leaf for localhost, pubsub.localhost,
#                                  conference.localhost, 127.0.0.1, ::1
#   server-chain.pem               server.pem followed by ca.pem
#   alice.pem alice.key            client certificate for alice@localhost
#                                  (XmppAddr otherName and CN)
#   rogue-ca.pem rogue-ca.key      an unrelated CA, for negative tests
#   rogue-server.pem rogue-server.key
#                                  a leaf with the same names, signed by the
#                                  rogue CA (what an impostor would present)
#   pins                           shell-sourceable SPKI pins:
#                                  CX_TEST_CERT_PIN, CX_TEST_ROGUE_PIN
#
# Keys are EC P-256, so the whole set takes a few tens of milliseconds.
# Idempotent: when every file is there and the leaves still verify against
# their CAs, nothing is rewritten.
#
#   tests/servers/certs.sh DIR
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

files="ca.pem ca.key server.pem server.key server-chain.pem alice.pem alice.key
	rogue-ca.pem rogue-ca.key rogue-server.pem rogue-server.key pins"

complete=1
for f in $files; do
	[ -s "$dir/$f" ] || complete=
done
if [ -n "$complete" ] &&
	openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" "$dir/alice.pem" >/dev/null 2>&1 &&
	openssl verify -CAfile "$dir/rogue-ca.pem" "$dir/rogue-server.pem" >/dev/null 2>&1 &&
	openssl x509 -checkend 86400 -noout -in "$dir/server.pem" >/dev/null 2>&1; then
	exit 0
fi

tmp=$(mktemp -d "$dir/.certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" 2>/dev/null
	chmod 600 "$1"
}

# ca NAME SUBJECT
ca() {
	newkey "$tmp/$1.key"
	cat >"$tmp/$1.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
$2
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
	openssl req -new -x509 -config "$tmp/$1.cnf" -key "$tmp/$1.key" \
		-days 3650 -sha256 -out "$tmp/$1.pem" 2>/dev/null
}

# leaf NAME CA SUBJECT EXTENSIONS...
leaf() {
	name=$1 cacert=$2 subject=$3
	shift 3
	newkey "$tmp/$name.key"
	{
		printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n%s\n' "$subject"
		printf '[ext]\nbasicConstraints = critical, CA:false\n'
		printf 'authorityKeyIdentifier = keyid\n'
		for e in "$@"; do printf '%s\n' "$e"; done
	} >"$tmp/$name.cnf"
	openssl req -new -config "$tmp/$name.cnf" -key "$tmp/$name.key" \
		-out "$tmp/$name.csr" 2>/dev/null
	openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/$cacert.pem" \
		-CAkey "$tmp/$cacert.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 825 -sha256 -extfile "$tmp/$name.cnf" -extensions ext \
		-out "$tmp/$name.pem" 2>/dev/null
	rm -f "$tmp/$name.csr"
}

server_ext='keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, DNS:pubsub.localhost, DNS:conference.localhost, IP:127.0.0.1, IP:::1'

ca ca 'O = cxmpp tests
CN = cxmpp test CA'
ca rogue-ca 'O = rogue
CN = rogue test CA'
leaf server ca 'O = cxmpp tests
CN = localhost' "$server_ext"
leaf rogue-server rogue-ca 'O = rogue
CN = localhost' "$server_ext"
# id-on-xmppAddr (1.3.6.1.5.5.7.8.5), RFC 6120 13.7.1.4.
leaf alice ca 'O = cxmpp tests
CN = alice@localhost' 'keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.5.5.7.8.5;UTF8:alice@localhost'
cat "$tmp/server.pem" "$tmp/ca.pem" >"$tmp/server-chain.pem"

# The pin format of the library: sha256/ + base64 of SHA-256 of the DER
# SubjectPublicKeyInfo.
pin() {
	printf 'sha256/%s' "$(openssl x509 -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | openssl base64 -A)"
}
{
	printf "CX_TEST_CERT_PIN='%s'\n" "$(pin "$tmp/server.pem")"
	printf "CX_TEST_ROGUE_PIN='%s'\n" "$(pin "$tmp/rogue-server.pem")"
} >"$tmp/pins"

for f in $files; do
	rm -f "$dir/$f"
	mv "$tmp/$f" "$dir/$f"
done
