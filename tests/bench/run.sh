#!/bin/sh
# tests/bench/run.sh: benchmarks of cxmpp against libstrophe on the same
# workloads, in the same run, against the same private server on loopback
# (tests/bench/README.md). Run from the build directory after `make bench`
# (or `make bench-run`, which does both):
#
#     sh /path/to/src/tests/bench/run.sh
#
# Environment:
#   BENCH_RUNS=3            runs of every workload (the table shows medians)
#   BENCH_SERVERS=prosody   "prosody", "ejabberd" or "prosody ejabberd"
#   BENCH_QUICK=1           small counts, for checking the script (~1 min)
#   BENCH_OUT=bench-results.md   where the table goes (also on stdout)
#   top_builddir=.          where the programs were built
#
# Every program runs under timeout(1); the servers are started and stopped
# (by PID) by tests/servers/with-server.sh. Raw RESULT lines are kept in
# $BENCH_OUT.raw.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${top_builddir:-.}" && pwd)
bin=$build/tests/bench
runs=${BENCH_RUNS:-3}
servers=${BENCH_SERVERS:-prosody}
out=${BENCH_OUT:-$build/bench-results.md}
raw=$out.raw

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	n_login=10 n_ping=1000 t_mt=16 m_mt=100 n_msg=5000 n_idle=100 mib=2
else
	n_login=50 n_ping=10000 t_mt=16 m_mt=2000 n_msg=50000 n_idle=1000 mib=10
fi

# ---- inner part: one server is up, its CX_TEST_* are in the environment --
if [ "${1:-}" = --inner ]; then
	exec 3>>"$raw"
	tag=$CX_TEST_SERVER
	# libstrophe 0.12 takes the strongest SCRAM the server offers and
	# cannot be told otherwise: SCRAM-SHA-1 on Prosody, SCRAM-SHA-512 on
	# ejabberd. cxmpp gets the same on Prosody and its strongest non-PLUS
	# mechanism (SCRAM-SHA-256; it has no SHA-512) on ejabberd.
	if [ "$tag" = ejabberd ]; then BENCH_SASL=SCRAM-SHA-256; else BENCH_SASL=SCRAM-SHA-1; fi
	export BENCH_SASL
	# run LIB WORKLOAD ARGS...: one bounded program run; RESULT lines go
	# to the raw file with the server's name in front.
	run() {
		lib=$1; shift
		prog=$bin/bench_cxmpp
		[ "$lib" = libstrophe ] && prog=$bin/bench_strophe
		if ! timeout -k 5 300 "$prog" "$@" >"$raw.tmp" 2>"$raw.err"; then
			echo "run.sh: $tag: $lib $* failed:" >&2
			cat "$raw.err" >&2
			echo "FAILED $tag $1 $lib" >&3
			return 0
		fi
		sed -n "s/^RESULT /RESULT $tag /p" "$raw.tmp" >&3
		grep -v '^RESULT' "$raw.tmp" >&2 || true
		cat "$raw.err" >&2
	}
	# A process may open this many descriptors: 1000 connections need it.
	ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -H -n)"
	i=1
	while [ "$i" -le "$runs" ]; do
		echo "run.sh: $tag: run $i of $runs" >&2
		# Alternate which library goes first, so that neither always
		# meets a freshly started (or a warmed-up) server.
		if [ $((i % 2)) = 1 ]; then order="cxmpp libstrophe"; else order="libstrophe cxmpp"; fi
		for lib in $order; do run "$lib" login "$n_login"; done
		for lib in $order; do run "$lib" ping "$n_ping"; done
		run cxmpp ping-mt "$t_mt" "$m_mt"
		for lib in $order; do run "$lib" msg "$n_msg"; done
		for lib in $order; do run "$lib" idle "$n_idle"; done
		i=$((i + 1))
	done
	rm -f "$raw.tmp" "$raw.err"
	exit 0
fi

# ---- outer part --------------------------------------------------------
for p in bench_cxmpp bench_strophe bench_parse_cxmpp bench_parse_strophe gen_stanzas; do
	if [ ! -x "$bin/$p" ]; then
		echo "run.sh: $bin/$p is missing: run 'make bench' first" >&2
		exit 2
	fi
done
: >"$raw"
work=$(mktemp -d "${TMPDIR:-/tmp}/cxmpp-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
load0=$(cut -d' ' -f1 /proc/loadavg)

# 5. Parsing, without a network.
"$bin/gen_stanzas" "$work/stanzas.xml" "$mib" 2>/dev/null
i=1
while [ "$i" -le "$runs" ]; do
	for p in bench_parse_cxmpp bench_parse_strophe; do
		timeout -k 5 120 "$bin/$p" "$work/stanzas.xml" 3 2>/dev/null |
			sed -n 's/^RESULT /RESULT none /p' >>"$raw"
	done
	i=$((i + 1))
done
# Instructions, counted by callgrind on 1 MiB (deterministic; optional).
if command -v valgrind >/dev/null 2>&1; then
	"$bin/gen_stanzas" "$work/small.xml" 1 2>/dev/null
	for p in cxmpp:cxi_xml_parser_feed strophe:parser_feed; do
		lib=${p%%:*} fn=${p#*:}
		name=$lib
		[ "$lib" = strophe ] && name=libstrophe
		ir=$(timeout -k 5 300 valgrind --tool=callgrind \
			--callgrind-out-file=/dev/null --toggle-collect="$fn" \
			"$bin/bench_parse_$lib" "$work/small.xml" 1 2>&1 >/dev/null |
			sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
		[ -n "$ir" ] && echo "RESULT none parse $name instr_per_byte $(awk -v ir="$ir" -v sz="$(wc -c <"$work/small.xml")" 'BEGIN { printf "%.2f", ir / sz }')" >>"$raw"
	done
fi

# 1-4, 6: against each server.
for s in $servers; do
	top_builddir=$build BENCH_RUNS=$runs timeout -k 10 900 \
		"$src/tests/servers/with-server.sh" "$s" -- \
		sh "$here/run.sh" --inner || echo "FAILED $s server" >>"$raw"
done

# ---- the table ---------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) cores ($cpu), $(uname -sr), loopback"
versions="libstrophe $(pkg-config --modversion libstrophe 2>/dev/null || echo '?'), $(openssl version 2>/dev/null | cut -d' ' -f1-2)"
elapsed=$(( $(date +%s) - start ))
load="$load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end"
/usr/bin/python3 - "$raw" "$runs" "$machine" "$versions" "$elapsed" "$load" \
	"$n_login" "$n_ping" "$t_mt" "$m_mt" "$n_msg" "$mib" "$n_idle" >"$out" <<'PY'
import statistics, sys
raw, runs, machine, versions, elapsed, load = sys.argv[1:7]
n_login, n_ping, t_mt, m_mt, n_msg, mib, n_idle = sys.argv[7:14]
vals, failed = {}, []
for line in open(raw):
    f = line.split()
    if f[0] == "RESULT":
        vals.setdefault((f[1], f[2], f[3], f[4]), []).append(float(f[5]))
    elif f[0] == "FAILED":
        failed.append(" ".join(f[1:]))

def med(server, work, lib, metric):
    v = vals.get((server, work, lib, metric))
    return (statistics.median(v), len(v)) if v else (None, 0)

rows = [  # workload label, work, metric, unit, higher is better, libstrophe work
    (f"1. Login ×{n_login} (STARTTLS, SCRAM, bind, close), median", "login", "median_ms", "ms", False, "login"),
    ("1. Login, p95", "login", "p95_ms", "ms", False, "login"),
    ("1. Login, client CPU per login", "login", "cpu_us_per_op", "µs", False, "login"),
    (f"2. Sequential iq pings ×{n_ping}", "ping", "per_s", "/s", True, "ping"),
    ("2. Sequential pings, client CPU per ping", "ping", "cpu_us_per_op", "µs", False, "ping"),
    (f"3. Concurrent pings, {t_mt} threads × {m_mt} on one client (libstrophe: sequential, not thread-safe)", "ping-mt", "per_s", "/s", True, "ping"),
    ("3. Concurrent pings, client CPU per ping (libstrophe: sequential)", "ping-mt", "cpu_us_per_op", "µs", False, "ping"),
    (f"4. {n_msg} chat messages, until all received", "msg", "total_ms", "ms", False, "msg"),
    ("4. Message throughput", "msg", "per_s", "/s", True, "msg"),
    ("4. Messages, client CPU per message (both clients)", "msg", "cpu_us_per_op", "µs", False, "msg"),
    (f"5. Parse {mib} MiB of stanzas (no network)", "parse", "mib_per_s", "MiB/s", True, "parse"),
    ("5. Parse, stanzas", "parse", "stanzas_per_s", "/s", True, "parse"),
    ("5. Parse, instructions per byte (callgrind, 1 MiB)", "parse", "instr_per_byte", "Ir/B", False, "parse"),
    (f"6. Idle: RSS per connection ({n_idle} connections)", "idle", "kib_per_conn", "KiB", False, "idle"),
    (f"6. Idle: process RSS with {n_idle} connections", "idle", "rss_total_mib", "MiB", False, "idle"),
]
servers = sorted({k[0] for k in vals} - {"none"})
print("# cxmpp vs libstrophe\n")
print(f"Machine: {machine}. Versions: {versions}. Median of {runs} runs "
      f"(each run a separate process); whole run {elapsed} s; load average "
      f"{load}.\n")
for server in servers:
    print(f"## Server: {server}\n")
    print("| Workload | cxmpp | libstrophe | cxmpp/libstrophe | better |")
    print("|---|---:|---:|---:|---|")
    for label, work, metric, unit, higher, swork in rows:
        sv = "none" if work == "parse" else server
        c, nc = med(sv, work, "cxmpp", metric)
        l, nl = med(sv, swork, "libstrophe", metric)
        if c is None and l is None:
            continue
        fmt = lambda x: "n/a" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.2f}")
        note = lambda n: "" if n >= int(runs) else f" (n={n})"
        ratio = f"{c / l:.2f}" if c is not None and l else "n/a"
        if c is not None and l:
            better = "cxmpp" if (c > l) == higher and c != l else "libstrophe"
        else:
            better = ""
        print(f"| {label} | {fmt(c)} {unit}{note(nc)} | {fmt(l)} {unit}{note(nl)} | {ratio} | {better} |")
    print()
if failed:
    print("Failed runs (not in the medians): " + "; ".join(failed) + "\n")
PY
cat "$out"
echo "run.sh: table in $out, raw results in $raw ($elapsed s)" >&2
