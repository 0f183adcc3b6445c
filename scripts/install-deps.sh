#!/bin/sh
# Install, with apt-get, the Debian 12 packages cxmpp needs that are missing.
# Idempotent and quiet when everything is already there.
#
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --build    only what building the library needs
#
# Installing prosody/ejabberd would normally start their system services on
# every interface; a temporary policy-rc.d forbids that for the install.
set -eu

build_pkgs="build-essential autoconf automake libtool pkg-config
  libxml2-dev libssl-dev libgsasl-dev libidn-dev libjansson-dev"
test_pkgs="check gsasl openssl ca-certificates prosody lua-sec ejabberd
  python3 python3-slixmpp lcov valgrind libstrophe-dev
  clang libclang-rt-14-dev procps"

pkgs=$build_pkgs
[ "${1:-}" = "--build" ] || pkgs="$build_pkgs $test_pkgs"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
cleanup() { [ -z "$made_policy" ] || rm -f "$policy"; }
trap cleanup EXIT
# Lists older than a day are refreshed once; a fresh image has none at all.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
