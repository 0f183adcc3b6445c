#!/bin/sh
# cxmpp-pubsub runs as a process against the real servers: every
# subcommand and verb, human output for a few cases and --json output for
# all of them (each line parsed by Python's json module), the reader in the
# background receiving what the writer publishes, Ctrl-C, and the failure
# classes (unknown node, wrong password, no such service, forbidden, bad
# command lines) with their messages and exit codes.
#
# Under make check it re-runs itself through tests/servers/with-server.sh
# both (Prosody, then ejabberd). Every wait is bounded; background readers
# are killed by PID at the end.
set -u

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-.}
if [ -z "${CX_TEST_SERVER:-}" ]; then
	exec "$top/tests/servers/with-server.sh" both -- sh "$0" "$@"
fi

tool="$build/examples/cxmpp-pubsub"
[ -x "$tool" ] || { echo "no $tool: build first" >&2; exit 99; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cxmpp-pubsub-XXXXXX") || exit 99
failures=0
checks=0
pids=
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

S=$CX_TEST_PUBSUB
N="blog-$$"
conn="--host $CX_TEST_HOST --port $CX_TEST_PORT --ca-file $CX_TEST_CA --timeout 10000"
export CXMPP_PASSWORD="$CX_TEST_PASS1"

# as USER PASS: the account for the next commands
as() {
	CXMPP_JID=$1
	CXMPP_PASSWORD=$2
	export CXMPP_JID CXMPP_PASSWORD
}

# run NAME RC ARGS...: runs the tool (bounded), output in $work/NAME.out
# and .err; checks the exit status.
run() {
	name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	timeout 60 "$tool" $conn "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, expected $want: $*"
		sed 's/^/    stderr: /' "$work/$name.err" >&2
		sed 's/^/    stdout: /' "$work/$name.out" >&2
		return 1
	fi
	return 0
}

# json NAME EXPR: every line of NAME.out is a JSON object; EXPR (Python,
# over the list L of them) must hold.
json() {
	checks=$((checks + 1))
	if /usr/bin/python3 -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(isinstance(o, dict) and "type" in o for o in L), "not objects with a type"
def of(t): return [o for o in L if o["type"] == t]
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$work/$1.out" "$2" 2>"$work/$1.py"; then
		ok "$1: $2"
	else
		fail "$1: JSON check failed: $2"
		sed 's/^/    stdout: /' "$work/$1.out" >&2
		sed 's/^/    python: /' "$work/$1.py" >&2
	fi
}

# has NAME out|err TEXT: the output contains TEXT
has() {
	checks=$((checks + 1))
	if grep -qF -- "$3" "$work/$1.$2"; then
		ok "$1: $2 has \"$3\""
	else
		fail "$1: $2 lacks \"$3\""
		sed "s/^/    $2: /" "$work/$1.$2" >&2
	fi
}

# wait_for FILE TEXT SECONDS PID: until FILE has TEXT (or PID is gone)
wait_for() {
	i=0
	while ! grep -qF -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $(($3 * 10)) ] || ! kill -0 "$4" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# wait_exit PID SECONDS: the process ends in time; its status in $rc
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $(($2 * 10)) ]; then
			kill -9 "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			rc=timeout
			return 1
		fi
		sleep 0.1
	done
	wait "$1"
	rc=$?
	return 0
}

as "$CX_TEST_USER1" "$CX_TEST_PASS1"

# ---- command lines and help ------------------------------------------------
run help 0 --help && has help out "browse SERVICE"
for sub in browse read write; do
	run "help-$sub" 0 "$sub" --help && has "help-$sub" out "cxmpp-pubsub [options] $sub SERVICE"
done
run usage-none 2
run usage-unknown 2 frobnicate "$S" && has usage-unknown err 'unknown subcommand "frobnicate"'
run usage-noservice 2 browse && has usage-noservice err "no service given"
run usage-nonode 2 read "$S" && has usage-nonode err "no node given"
run usage-option 2 browse "$S" --title T && has usage-option err "option --title does not apply"
run usage-verb 2 browse "$S" "$N" frob && has usage-verb err 'unknown verb "frob"'
run usage-kv 2 browse "$S" "$N" config notakeyvalue && has usage-kv err "KEY=VALUE"
run usage-last 2 read "$S" "$N" --last 0

# ---- browse: create, tree, node, config ------------------------------------
run create 0 browse "$S" "$N" create && has create out "created $N on $S"
run create-json 0 --json browse "$S" "$N-c" create title=Second\ node &&
	json create-json 'of("result")[0]["command"] == "create" and of("result")[0]["node"] == "'"$N-c"'" and of("result")[0]["ok"]'
run create-again 9 browse "$S" "$N" create && has create-again err "(conflict"
run create-again-json 9 --json browse "$S" "$N" create &&
	json create-again-json 'of("error")[0]["condition"] == "conflict" and of("error")[0]["exit"] == 9'

# an instant node: the service chooses the name, which is printed
run instant 0 browse "$S" create && has instant out "created instant node "
inode=$(sed -n 's/^created instant node \(.*\) on .*$/\1/p' "$work/instant.out")
checks=$((checks + 1))
if [ -n "$inode" ] && run instant-node 0 --json browse "$S" "$inode"; then
	ok "instant node $inode exists"
	run instant-delete 0 browse "$S" "$inode" delete
else
	fail "instant node: no name or no node (\"$inode\")"
fi
run instant-json 0 --json browse "$S" create pubsub#title=Instant &&
	json instant-json 'of("result")[0]["command"] == "create" and of("result")[0]["instant"] and of("result")[0]["node"]'
inode=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["node"])' "$work/instant-json.out" 2>/dev/null)
if [ -n "$inode" ]; then
	run instant-json-config 0 --json browse "$S" "$inode" config &&
		json instant-json-config 'of("config")[0]["fields"]["pubsub#title"] == "Instant"'
	run instant-json-delete 0 browse "$S" "$inode" delete
fi
run create-named 0 --json browse "$S" "$N-n" create &&
	json create-named 'not of("result")[0]["instant"] and of("result")[0]["node"] == "'"$N-n"'"'
run create-named-delete 0 browse "$S" "$N-n" delete

run tree 0 browse "$S" && has tree out "$S" && has tree out "  $N  (leaf, 0 items)"
run tree-json 0 --json browse "$S" &&
	json tree-json '[o for o in of("node") if o["node"] == "'"$N"'" and o["kind"] == "leaf" and o["items"] == 0 and o["depth"] == 0] and of("result")[0]["nodes"] >= 2'

run node 0 browse "$S" "$N" && has node out "$N on $S" && has node out "kind: leaf" && has node out "items: 0"
run node-json 0 --json browse "$S" "$N" &&
	json node-json 'of("node")[0]["kind"] == "leaf" and of("node")[0]["items"] == 0'

run config 0 browse "$S" "$N" config && has config out "pubsub#access_model"
run config-json 0 --json browse "$S" "$N" config &&
	json config-json 'of("config")[0]["fields"]["pubsub#access_model"] == "open"'
run config-set 0 --json browse "$S" "$N" config "title=The test blog" pubsub#max_items=50 &&
	json config-set 'of("result")[0]["command"] == "config" and of("result")[0]["ok"]'
run config-after 0 --json browse "$S" "$N" config &&
	json config-after 'of("config")[0]["fields"]["pubsub#title"] == "The test blog"'
run tree-title 0 browse "$S" && has tree-title out '"The test blog"'

# ---- read in the background, write two posts --------------------------------
as "$CX_TEST_USER2" "$CX_TEST_PASS2"
timeout 60 "$tool" $conn --json read "$S" "$N" --count 2 --for 40 \
	>"$work/reader.out" 2>"$work/reader.err" </dev/null &
reader=$!
pids="$pids $reader"
if ! wait_for "$work/reader.out" '"subscribed"' 20 $reader; then
	fail "the reader did not subscribe"; cat "$work/reader.err" >&2
fi
as "$CX_TEST_USER1" "$CX_TEST_PASS1"
run post1 0 write "$S" "$N" --title "First post" -m "Hello from the test, first post." \
	--category test --category cxmpp --link https://example.org/first &&
	has post1 out "published First post on $N: item"
printf 'Second text\nfrom standard input\n' >"$work/second.txt"
run post2 0 --json write "$S" "$N" --id p2 --title "Second post" -f "$work/second.txt" \
	--summary "The summary" &&
	json post2 'of("result")[0]["command"] == "publish" and of("result")[0]["id"] == "p2"'
checks=$((checks + 1))
if wait_exit $reader 40 && [ "$rc" = 0 ]; then
	ok "reader: exited 0 after two items"
else
	fail "reader: exit $rc"; cat "$work/reader.err" >&2
fi
json reader 'of("subscribed")[0]["node"] == "'"$N"'" and of("subscribed")[0]["state"] == "subscribed"'
json reader '[i["entry"]["title"] for i in of("item")] == ["First post", "Second post"]'
json reader 'all(i["live"] and i["node"] == "'"$N"'" and i["entry"]["author"] == "'"$CX_TEST_USER1"'" for i in of("item"))'
json reader 'of("item")[0]["entry"]["categories"] == ["test", "cxmpp"] and of("item")[0]["entry"]["link"] == "https://example.org/first"'
json reader 'of("item")[1]["id"] == "p2" and of("item")[1]["entry"]["content"] == "Second text\nfrom standard input" and of("item")[1]["entry"]["summary"] == "The summary"'
json reader 'of("result")[0]["command"] == "read" and of("result")[0]["items"] == 2'

run tree-items 0 browse "$S" && has tree-items out "(leaf, 2 items)"
run tree-items-json 0 --json browse "$S" &&
	json tree-items-json '[o for o in of("node") if o["node"] == "'"$N"'"][0]["items"] == 2'

# ---- read: last, history, human rendering -----------------------------------
run last 0 read "$S" "$N" --last 1 &&
	has last out "[$N] Second post" && has last out "    id:      p2" &&
	has last out "    author:  $CX_TEST_USER1" && has last out "    The summary"
run last-json 0 --json read "$S" "$N" --last 1 &&
	json last-json 'len(of("item")) == 1 and of("item")[0]["id"] == "p2" and not of("item")[0]["live"]'
run last-more 0 --json read "$S" "$N" --last 5 &&
	json last-more 'sorted(i["entry"]["title"] for i in of("item")) == ["First post", "Second post"]'
run all 0 --json read "$S" "$N" --all --page-size 1 &&
	json all 'sorted(i["entry"]["title"] for i in of("item")) == ["First post", "Second post"]'
run all-quiet 0 read "$S" "$N" --all --page-size 1 &&
	{ checks=$((checks + 1)); if grep -q "page" "$work/all-quiet.err"; then
		fail "progress shown when stderr is not a terminal"; else ok "no progress off a terminal"; fi; }

# ---- write: list, edit, retract ---------------------------------------------
run list 0 write "$S" "$N" list && has list out "2 items on $N" && has list out "[$N] First post"
run list-json 0 --json write "$S" "$N" list --page-size 1 &&
	json list-json 'len(of("item")) == 2 and of("result")[0]["items"] == 2'
run edit 0 --json write "$S" "$N" edit p2 --title "Second post, edited" &&
	json edit 'of("result")[0]["command"] == "edit" and of("result")[0]["id"] == "p2"'
run edited 0 --json read "$S" "$N" --last 5 &&
	json edited '[i["entry"] for i in of("item") if i["id"] == "p2"][0]["title"] == "Second post, edited"' &&
	json edited '[i["entry"] for i in of("item") if i["id"] == "p2"][0]["content"] == "Second text\nfrom standard input"'
run edit-missing 9 write "$S" "$N" edit nosuchitem -m x && has edit-missing err "no item nosuchitem on $N"
run retract 0 --json write "$S" "$N" retract p2 &&
	json retract 'of("result")[0]["command"] == "retract" and of("result")[0]["id"] == "p2"'
run after-retract 0 --json write "$S" "$N" list &&
	json after-retract 'of("result")[0]["items"] == 1'
run retract-human 0 write "$S" "$N-c" list && has retract-human out "0 items on $N-c"

# ---- write --payload: a non-Atom payload, shown as indented XML --------------
TUNE="<tune xmlns='http://jabber.org/protocol/tune'><artist>X</artist><title>Y</title></tune>"
run payload-bad 2 write "$S" "$N" --payload "<tune xmlns='t'/><extra/>" &&
	has payload-bad err "not one well-formed XML element"
run payload-nons 2 write "$S" "$N" --payload "<tune/>" && has payload-nons err "has no namespace"
run payload-atom 2 write "$S" "$N" --payload "$TUNE" --title T && has payload-atom err "do not apply"
run payload-empty 2 write "$S" "$N" --payload-file /dev/null && has payload-empty err "empty"
run payload-node 0 browse "$S" "$N-t" create
as "$CX_TEST_USER2" "$CX_TEST_PASS2"
timeout 60 "$tool" $conn read "$S" "$N-t" --count 2 --for 40 --unsubscribe-on-exit \
	>"$work/preader.out" 2>"$work/preader.err" </dev/null &
preader=$!
pids="$pids $preader"
as "$CX_TEST_USER3" "$CX_TEST_PASS3"
timeout 60 "$tool" $conn --json read "$S" "$N-t" --count 2 --for 40 --unsubscribe-on-exit \
	>"$work/pjreader.out" 2>"$work/pjreader.err" </dev/null &
pjreader=$!
pids="$pids $pjreader"
if ! wait_for "$work/preader.err" "reading; Ctrl-C stops" 20 $preader ||
   ! wait_for "$work/pjreader.out" '"subscribed"' 20 $pjreader; then
	fail "the payload readers did not subscribe"; cat "$work/preader.err" "$work/pjreader.err" >&2
fi
as "$CX_TEST_USER1" "$CX_TEST_PASS1"
run payload 0 write "$S" "$N-t" --id tune1 --payload "$TUNE" &&
	has payload out "published <tune xmlns='http://jabber.org/protocol/tune'/> on $N-t: item tune1"
printf '<geoloc xmlns="http://jabber.org/protocol/geoloc">\n  <locality>Z</locality>\n</geoloc>\n' >"$work/geo.xml"
run payload-file 0 --json write "$S" "$N-t" --id geo1 --payload-file "$work/geo.xml" &&
	json payload-file 'of("result")[0]["command"] == "publish" and of("result")[0]["id"] == "geo1" and of("result")[0]["element"] == "geoloc"'
checks=$((checks + 1))
if wait_exit $preader 40 && [ "$rc" = 0 ] && wait_exit $pjreader 40 && [ "$rc" = 0 ]; then
	ok "payload readers: exited 0 after two items"
else
	fail "payload readers: exit $rc"; cat "$work/preader.err" "$work/pjreader.err" >&2
fi
has preader out "[$N-t] item tune1"
has preader out "    <tune xmlns=\"http://jabber.org/protocol/tune\">"
has preader out "      <artist>X</artist>"
has preader out "      <title>Y</title>"
has preader out "    </tune>"
has preader out "      <locality>Z</locality>"
json pjreader '[i["id"] for i in of("item")] == ["tune1", "geo1"] and not [i for i in of("item") if "entry" in i]'
json pjreader 'of("item")[0]["payload"].startswith("<tune xmlns=\"http://jabber.org/protocol/tune\">") and "\n  <artist>X</artist>\n" in of("item")[0]["payload"]'
json pjreader '"<locality>Z</locality>" in of("item")[1]["payload"] and of("item")[1]["live"]'
run payload-last 0 read "$S" "$N-t" --last 5 && has payload-last out "      <artist>X</artist>"
run payload-delete 0 browse "$S" "$N-t" delete

# ---- affiliations and subscriptions (owner) ---------------------------------
run aff-set 0 browse "$S" "$N" affiliations "$CX_TEST_USER3=publisher" &&
	has aff-set out "$CX_TEST_USER3 is now publisher of $N"
run aff 0 --json browse "$S" "$N" affiliations &&
	json aff '{(o["jid"], o["affiliation"]) for o in of("affiliation")} >= {("'"$CX_TEST_USER1"'", "owner"), ("'"$CX_TEST_USER3"'", "publisher")}'
run aff-human 0 browse "$S" "$N" affiliations && has aff-human out "owner"
run aff-outcast 0 --json browse "$S" "$N" affiliations "$CX_TEST_USER4=outcast" "$CX_TEST_USER3=none" &&
	json aff-outcast 'len(of("affiliation")) == 2 and of("affiliation")[0]["affiliation"] == "outcast"'
run aff-after 0 --json browse "$S" "$N" affiliations &&
	json aff-after '"'"$CX_TEST_USER3"'" not in [o["jid"] for o in of("affiliation")]'
run aff-bad 2 browse "$S" "$N" affiliations "$CX_TEST_USER3=king" && has aff-bad err "JID=AFFILIATION"
run subs 0 --json browse "$S" "$N" subscriptions &&
	json subs '[o for o in of("subscription") if o["jid"].startswith("'"$CX_TEST_USER2"'") and o["state"] == "subscribed"]'
run subs-human 0 browse "$S" "$N" subscriptions && has subs-human out "subscribed   $CX_TEST_USER2"
run approve-none 0 --json browse "$S" "$N" approve &&
	json approve-none 'of("result")[0]["command"] == "approve"'
run approve-none-human 0 browse "$S" "$N" approve && has approve-none-human out "no pending subscriptions on $N"

# approval of a pending subscription: an "authorize" node
if [ "$CX_TEST_SERVER" = prosody ]; then
	# Prosody 0.12 has no authorize access model: a clear refusal
	run authorize 9 browse "$S" "$N-a" create access_model=authorize &&
		has authorize err "(not-acceptable"
else
	run authorize 0 browse "$S" "$N-a" create access_model=authorize
	as "$CX_TEST_USER2" "$CX_TEST_PASS2"
	run pending 0 --json read "$S" "$N-a" --for 1 &&
		json pending 'of("subscribed")[0]["state"] == "pending"'
	as "$CX_TEST_USER1" "$CX_TEST_PASS1"
	# ejabberd sends the request to the owner as a message (stored while
	# the owner is offline, delivered once): approve answers it
	run approve 0 --json browse "$S" "$N-a" approve "$CX_TEST_USER2" &&
		json approve 'of("subscription")[0]["action"] == "approved" and of("subscription")[0]["jid"].startswith("'"$CX_TEST_USER2"'")'
	run approve-missing 9 browse "$S" "$N-a" approve "$CX_TEST_USER5" &&
		has approve-missing err "$CX_TEST_USER5 has no pending subscription"
	run approved 0 --json browse "$S" "$N-a" subscriptions &&
		json approved '[o for o in of("subscription") if o["jid"].startswith("'"$CX_TEST_USER2"'") and o["state"] == "subscribed"]'
	run delete-a 0 browse "$S" "$N-a" delete

	# a request delivered to another session of the owner (here a reader
	# of the node, which shows it): approve asks for it again (8.7)
	run authorize2 0 browse "$S" "$N-a2" create access_model=authorize
	timeout 60 "$tool" $conn --json read "$S" "$N-a2" --for 40 \
		>"$work/owner.out" 2>"$work/owner.err" </dev/null &
	owner=$!
	pids="$pids $owner"
	wait_for "$work/owner.out" '"subscribed"' 20 $owner ||
		{ fail "the owner's reader did not subscribe"; cat "$work/owner.err" >&2; }
	as "$CX_TEST_USER2" "$CX_TEST_PASS2"
	run pending2 0 --json read "$S" "$N-a2" --for 1 &&
		json pending2 'of("subscribed")[0]["state"] == "pending"'
	as "$CX_TEST_USER1" "$CX_TEST_PASS1"
	checks=$((checks + 1))
	if wait_for "$work/owner.out" '"authorization"' 20 $owner; then
		ok "the request reached the owner's other session"
	else
		fail "the request did not reach the owner's other session"; cat "$work/owner.err" >&2
	fi
	kill -TERM $owner
	wait_exit $owner 15
	json owner '[e for e in of("event") if e["kind"] == "authorization" and e["node"] == "'"$N-a2"'"]'
	# (the owner's own reader subscription is pending too: only bob's is
	# approved; -v shows that the service was asked again)
	run approve2 0 -v --json browse "$S" "$N-a2" approve "$CX_TEST_USER2" &&
		json approve2 'len(of("subscription")) == 1 and of("subscription")[0]["action"] == "approved" and of("subscription")[0]["jid"].startswith("'"$CX_TEST_USER2"'")' &&
		has approve2 err "pubsub#get-pending" &&
		has approve2 err "pubsub#subscribe_authorization"
	run approved2 0 --json browse "$S" "$N-a2" subscriptions &&
		json approved2 '[o for o in of("subscription") if o["jid"].startswith("'"$CX_TEST_USER2"'") and o["state"] == "subscribed"]'
	run approve2-again 9 browse "$S" "$N-a2" approve "$CX_TEST_USER2" &&
		has approve2-again err "$CX_TEST_USER2 has no pending subscription"
	run delete-a2 0 browse "$S" "$N-a2" delete
fi

# ---- Ctrl-C: the reader stops cleanly, unsubscribing when asked -------------
as "$CX_TEST_USER2" "$CX_TEST_PASS2"
timeout 60 "$tool" $conn read "$S" "$N" --unsubscribe-on-exit \
	>"$work/int.out" 2>"$work/int.err" </dev/null &
reader=$!
pids="$pids $reader"
if wait_for "$work/int.err" "reading; Ctrl-C stops" 20 $reader; then
	kill -INT $reader
	checks=$((checks + 1))
	if wait_exit $reader 15 && [ "$rc" = 0 ]; then
		ok "interrupted reader exited 0"
	else
		fail "interrupted reader: exit $rc"; cat "$work/int.err" >&2
	fi
	has int err "unsubscribed from $N"
else
	fail "the reader did not start"; cat "$work/int.err" >&2
fi
as "$CX_TEST_USER1" "$CX_TEST_PASS1"
run subs-gone 0 --json browse "$S" "$N" subscriptions &&
	json subs-gone 'not [o for o in of("subscription") if o["jid"].startswith("'"$CX_TEST_USER2"'") and o["state"] == "subscribed"]'
as "$CX_TEST_USER2" "$CX_TEST_PASS2"
run resub 0 read "$S" "$N" --for 1
run unsub 0 --json read "$S" "$N" --unsubscribe &&
	json unsub 'of("result")[0]["command"] == "unsubscribe" and of("result")[0]["ok"]'
run unsub-human 9 read "$S" "$N" --unsubscribe
as "$CX_TEST_USER1" "$CX_TEST_PASS1"

# ---- failures ---------------------------------------------------------------
run nonode 9 browse "$S" "nosuch-$N" && has nonode err "no such node"
run nonode-json 9 --json read "$S" "nosuch-$N" --last 3 &&
	json nonode-json 'of("error")[0]["condition"] == "item-not-found" and of("error")[0]["node"] == "nosuch-'"$N"'"'
if [ "$CX_TEST_SERVER" = prosody ]; then
	run nonode-write 9 write "$S" "nosuch-$N" -m text && has nonode-write err "no such node"
else
	# ejabberd creates a node on the first publish to it
	run nonode-write 0 write "$S" "auto-$N" -m text && has nonode-write out "published text on auto-$N"
	run auto-delete 0 browse "$S" "auto-$N" delete
fi
run noservice 9 browse "nowhere.$CX_TEST_DOMAIN" && has noservice err "no such service"
run noservice-json 9 --json browse "nowhere.$CX_TEST_DOMAIN" &&
	json noservice-json 'of("error")[0]["exit"] == 9 and "no such service" in of("error")[0]["message"]'
as "$CX_TEST_USER1" wrong-password
run badpass 7 browse "$S" && has badpass err "authentication failed"
run badpass-json 7 --json browse "$S" &&
	json badpass-json 'of("error")[0]["what"] == "connect" and of("error")[0]["exit"] == 7'
as "$CX_TEST_USER1" "$CX_TEST_PASS1"
run badport 5 --port 1 browse "$S"
as "$CX_TEST_USER2" "$CX_TEST_PASS2"
if [ "$CX_TEST_SERVER" = prosody ]; then
	run forbidden 9 browse "$S" "$N-bob" create && has forbidden err "(forbidden"
else
	run bob-create 0 browse "$S" "$N-bob" create
	run bob-delete 0 browse "$S" "$N-bob" delete
fi
run notowner 9 --json browse "$S" "$N" delete &&
	json notowner 'of("error")[0]["condition"] in ("forbidden", "item-not-found")'
as "$CX_TEST_USER1" "$CX_TEST_PASS1"

# ---- purge and delete --------------------------------------------------------
run purge 0 --json browse "$S" "$N" purge && json purge 'of("result")[0]["command"] == "purge"'
run purged 0 --json write "$S" "$N" list && json purged 'of("result")[0]["items"] == 0'
run delete 0 browse "$S" "$N" delete && has delete out "deleted $N"
run delete-json 0 --json browse "$S" "$N-c" delete && json delete-json 'of("result")[0]["command"] == "delete"'
run gone 0 --json browse "$S" &&
	json gone 'not [o for o in of("node") if o["node"] in ("'"$N"'", "'"$N-c"'")]'

echo "$CX_TEST_SERVER: $((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ]
