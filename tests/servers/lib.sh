# Shared helpers of prosody.sh, ejabberd.sh and with-server.sh; sourced,
# not run.  Everything here works on loopback only and on PIDs the scripts
# recorded themselves, never on process names.

CX_PYTHON=${CX_PYTHON:-/usr/bin/python3}

cx_die() {
	echo "$cx_prog: $*" >&2
	exit 1
}

# cx_free_ports N: print N distinct TCP ports that are free on both
# 127.0.0.1 and ::1 right now (the kernel picks them; a port is only
# reported when the same number also binds on the other address).
cx_free_ports() {
	"$CX_PYTHON" - "$1" <<'PY'
import socket, sys
want = int(sys.argv[1])
held, out = [], []
while len(out) < want:
    s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s4.bind(("127.0.0.1", 0))
    port = s4.getsockname()[1]
    held.append(s4)
    try:
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s6.bind(("::1", port))
        held.append(s6)
    except OSError:
        continue
    out.append(port)
print(" ".join(map(str, out)))
PY
}

# cx_alive PID: true while PID exists and is not a zombie.
cx_alive() {
	[ -n "$1" ] || return 1
	[ -r "/proc/$1/stat" ] || return 1
	# Field 3 of /proc/PID/stat is the state; the name before it is in
	# parentheses and may contain spaces.
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# cx_wait_listen PID SECONDS PORT...: wait until process PID itself
# listens on 127.0.0.1:PORT and [::1]:PORT for every PORT (checked through
# /proc/PID/fd and /proc/net/tcp*, so that another program holding a port
# cannot pass for our server).  Exit status: 0 ready, 1 timed out, 2 PID
# died, 3 a port is held by another process (worth retrying elsewhere).
cx_wait_listen() {
	"$CX_PYTHON" - "$@" <<'PY'
import os, sys, time
pid, limit, ports = sys.argv[1], float(sys.argv[2]), [int(p) for p in sys.argv[3:]]
want = {(a, p) for p in ports for a in ("127.0.0.1", "::1")}
end = time.monotonic() + limit

def alive():
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False

def listeners():
    """{(addr, port): inode} of every listening TCP socket on loopback."""
    out = {}
    for name, addr in (("tcp", "0100007F"), ("tcp6", "00000000000000000000000001000000")):
        try:
            with open("/proc/net/" + name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    host, port = local.split(":")
                    if state == "0A" and host == addr:
                        out[("127.0.0.1" if name == "tcp" else "::1", int(port, 16))] = inode
        except OSError:
            pass
    return out

def own_inodes():
    res = set()
    try:
        for fd in os.listdir("/proc/%s/fd" % pid):
            try:
                t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            except OSError:
                continue
            if t.startswith("socket:["):
                res.add(t[8:-1])
    except OSError:
        pass
    return res

foreign_since = None
while True:
    ls, mine = listeners(), own_inodes()
    ours = {k for k in want if ls.get(k) in mine}
    if ours == want:
        sys.exit(0)
    if not alive():
        sys.exit(2)
    foreign = [k for k in want - ours if k in ls]
    now = time.monotonic()
    if foreign:
        # Held by someone else (or, for an instant, being handed over).
        foreign_since = foreign_since or now
        if now - foreign_since > 1.0:
            print("port %d on %s is held by another process" % (foreign[0][1], foreign[0][0]),
                  file=sys.stderr)
            sys.exit(3)
    else:
        foreign_since = None
    if now > end:
        sys.exit(1)
    time.sleep(0.05)
PY
}

# cx_stop_pid PID NAME [GRACE]: SIGTERM, wait up to GRACE seconds (10),
# then SIGKILL and wait up to 5 s more.  A zombie counts as stopped: a
# re-parented server is reaped by PID 1 whenever PID 1 gets to it.
cx_stop_pid() {
	pid=$1 grace=${3:-10}
	cx_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while cx_alive "$pid" && [ $i -lt $((grace * 20)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cx_alive "$pid" || return 0
	[ -n "${cx_quiet_kill:-}" ] ||
		echo "$cx_prog: $2 (pid $pid) ignored SIGTERM for $grace s; sending SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
	i=0
	while cx_alive "$pid" && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cx_alive "$pid" && { echo "$cx_prog: $2 (pid $pid) survived SIGKILL" >&2; return 1; }
	return 0
}

# cx_accounts: the five test accounts, "user password" per line.
cx_accounts() {
	printf '%s\n' "alice alice-secret" "bob bob-secret" "carol carol-secret" \
		"dave dave-secret" "eve eve-secret"
}

# cx_write_env DIR SERVER PORT TLS_PORT PID: write DIR/env atomically.
cx_write_env() {
	{
		echo "# Written by tests/servers/$2.sh start; sourced by tests."
		echo "CX_TEST_SERVER=$2"
		echo "CX_TEST_DIR='$1'"
		echo "CX_TEST_HOST=127.0.0.1"
		echo "CX_TEST_HOST6=::1"
		echo "CX_TEST_PORT=$3"
		echo "CX_TEST_TLS_PORT=$4"
		echo "CX_TEST_DOMAIN=localhost"
		echo "CX_TEST_PUBSUB=pubsub.localhost"
		echo "CX_TEST_CA='$1/ca.pem'"
		echo "CX_TEST_ROGUE_CA='$1/rogue-ca.pem'"
		echo "CX_TEST_CLIENT_CERT='$1/alice.pem'"
		echo "CX_TEST_CLIENT_KEY='$1/alice.key'"
		cat "$1/pins"
		n=1
		cx_accounts | while read -r user pass; do
			echo "CX_TEST_USER$n=$user@localhost"
			echo "CX_TEST_PASS$n=$pass"
			n=$((n + 1))
		done
		echo "CX_TEST_PID=$5"
		echo "export CX_TEST_SERVER CX_TEST_DIR CX_TEST_HOST CX_TEST_HOST6 CX_TEST_PORT"
		echo "export CX_TEST_TLS_PORT CX_TEST_DOMAIN CX_TEST_PUBSUB CX_TEST_CA"
		echo "export CX_TEST_ROGUE_CA CX_TEST_CLIENT_CERT CX_TEST_CLIENT_KEY"
		echo "export CX_TEST_CERT_PIN CX_TEST_ROGUE_PIN CX_TEST_PID"
		echo "export CX_TEST_USER1 CX_TEST_PASS1 CX_TEST_USER2 CX_TEST_PASS2"
		echo "export CX_TEST_USER3 CX_TEST_PASS3 CX_TEST_USER4 CX_TEST_PASS4"
		echo "export CX_TEST_USER5 CX_TEST_PASS5"
	} >"$1/env.tmp"
	mv "$1/env.tmp" "$1/env"
}

# cx_abs DIR: absolute path of DIR (created).
cx_abs() {
	mkdir -p "$1" && (cd "$1" && pwd)
}

# Signals during a start: kill what the start script runs in the
# background (cx_children, by PID), stop the half-started server (the
# script's do_stop) and exit 128+N.  Blocking helpers run as
# "cx_bg CMD..." so that a signal is handled at once, not after them.
cx_children=
cx_on_abort() {
	trap - INT TERM HUP
	for p in $cx_children; do
		kill -TERM "$p" 2>/dev/null || true
	done
	echo "$cx_prog: interrupted during start-up; stopping" >&2
	# A half-started server may not act on SIGTERM (a booting BEAM does
	# not): it gets one second before SIGKILL.
	cx_stop_grace=1 cx_quiet_kill=1
	do_stop || true
	exit $((128 + $1))
}
cx_trap_start() {
	trap 'cx_on_abort 2' INT
	trap 'cx_on_abort 15' TERM
	trap 'cx_on_abort 1' HUP
}
cx_bg() {
	"$@" &
	cx_bgpid=$!
	cx_children="$cx_children $cx_bgpid"
	wait "$cx_bgpid"
}
