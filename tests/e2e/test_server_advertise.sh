#!/usr/bin/env bash
# siphon serve bound to the wildcard 0.0.0.0 (the usual production bind) never tells
# peers 0.0.0.0. Peers only talk to 127.0.0.1 here.
# (a) --listen udp:0.0.0.0:P/advertise=127.0.0.1 (and tcp): the start-up log names
#     the advertised address; a proxied call (siphon call straight to the proxy, no
#     outbound proxy) sees Record-Route <sip:127.0.0.1:P;lr>, the callee sees the
#     proxy's Via 127.0.0.1:P, and the BYE follows the Record-Route through the proxy
#     to the SIPp callee; no message carries 0.0.0.0.
# (b) advertise=a name and port (sip.example.test:5999): Record-Route and Via carry
#     it, and the BYE sent with that Route through the proxy (outbound proxy
#     127.0.0.1:P) reaches the callee: the proxy takes its advertised address as its
#     own (RFC 3261 16.4) instead of forwarding to it.
# (c) the events NOTIFY and the SUBSCRIBE's 200 carry the advertised address as Via
#     sent-by and Contact; an in-dialog refresh sent to that Contact is accepted.
# (d) no advertise: the log names the host's primary address (the source address
#     towards the default route, computed here independently; 127.0.0.1 without a
#     route), not 0.0.0.0, and Record-Route and NOTIFY carry it; the call still works
#     (in-dialog requests reach the proxy through the outbound proxy 127.0.0.1).
source "$(dirname "$0")/proxy_lib.sh"

# adv_start LOGNAME LISTEN-SUFFIX ARGS...: serve on udp and tcp 0.0.0.0:$PORT.
adv_start() {
	local name=$1 suffix=$2
	shift 2
	SRV_ADDR=0.0.0.0 SRV_SUFFIX=$suffix srv_start "$name" --domain 127.0.0.1 --no-auth "$@"
}

run() {
	local name=$1
	shift
	timeout 20 "$@" >"$name.out" 2>"$name.log" || fail "$name: exit status $?"
}
has() { grep -Eq "$2" "$1" || fail "$1: no line matching '$2'"; }

# events_check ADDR: a SUBSCRIBE from 127.0.0.1 gets a 200 and a NOTIFY whose
# Contact and top Via sent-by are ADDR:$PORT; a refresh to that Contact is taken.
events_check() {
	python3 - "$PORT" "$1" <<'PY' || fail "events with advertised $1"
import sys
from evclient import UA
port, adv = int(sys.argv[1]), sys.argv[2]
want = "%s:%d" % (adv, port)
ua = UA(port, "watcher", domain="127.0.0.1")
r = ua.subscribe("alice@127.0.0.1", expires=300)
assert r.status == 200, r
assert r.get("contact") == "<sip:%s>" % want, r
n = ua.wait_notify(r.call_id)
assert n is not None, "no NOTIFY"
via = n.all("via")[0]
assert via.startswith("SIP/2.0/UDP %s;branch=" % want), n
assert n.get("contact") == "<sip:%s>" % want, n
assert "0.0.0.0" not in n.raw, n
# RFC 6665 4.1.2.1: the refresh goes to the notifier's Contact.
r2 = ua.request("SUBSCRIBE", "sip:" + want, "sip:alice@127.0.0.1",
                ["Event: presence", "Expires: 300"], call_id=r.call_id, from_tag=r.from_tag,
                to_tag=r.tag("to"))
assert r2.status == 200, r2
ua.close()
PY
}

"$SIPHON" user add bob@127.0.0.1 --password x --db "$DB" >/dev/null
"$SIPHON" user add alice@127.0.0.1 --password x --db "$DB" >/dev/null

# (a) advertise=127.0.0.1.
adv_start a "/advertise=127.0.0.1"
has a.log "listening on UDP:0\\.0\\.0\\.0:$PORT, advertising 127\\.0\\.0\\.1:$PORT\$"
has a.log "listening on TCP:0\\.0\\.0\\.0:$PORT, advertising 127\\.0\\.0\\.1:$PORT\$"
U1=$(free_port)
uas c1 proxy_uas_answer.xml udp "$U1"
register udp bob "$U1"
run call_a "$SIPHON" call "sip:bob@127.0.0.1:$PORT" --duration 0.3 --verbose
uas_wait
has call_a.out "^Record-Route: <sip:127\\.0\\.0\\.1:$PORT;lr>"
has call_a.out "^-> BYE sip:127\\.0\\.0\\.1:$U1;transport=UDP \\(udp:127\\.0\\.0\\.1:$PORT\\)"
has call_a.out '^call ended$'
traced c1.msg "^Record-Route: <sip:127\\.0\\.0\\.1:$PORT;lr>" || fail "a: callee saw no Record-Route 127.0.0.1"
traced c1.msg "^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:$PORT;branch=" || fail "a: callee saw no proxy Via 127.0.0.1"
traced c1.msg '^BYE sip:' || fail "a: the BYE did not reach the callee"
! grep -q '0\.0\.0\.0' c1.msg call_a.out || fail "a: a message carries 0.0.0.0"
# (c) with the explicit advertise.
events_check 127.0.0.1
srv_stop

# (b) advertise=a name and another port: the proxy's own.
adv_start b "/advertise=sip.example.test:5999"
has b.log "listening on UDP:0\\.0\\.0\\.0:$PORT, advertising sip\\.example\\.test:5999\$"
U2=$(free_port)
uas c2 proxy_uas_answer.xml udp "$U2"
register udp bob "$U2"
run call_b "$SIPHON" call "sip:bob@127.0.0.1" --proxy "127.0.0.1:$PORT" --duration 0.3 --verbose
uas_wait
has call_b.out '^Record-Route: <sip:sip\.example\.test:5999;lr>'
has call_b.out '^Route: <sip:sip\.example\.test:5999;lr>'
has call_b.out '^call ended$'
traced c2.msg '^Via: SIP/2\.0/UDP sip\.example\.test:5999;branch=' || fail "b: callee saw no proxy Via"
traced c2.msg '^BYE sip:' || fail "b: the BYE did not reach the callee"
srv_stop

# (d) no advertise: the primary address, computed here as the server does.
PRIMARY=$(python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("192.0.2.1", 9))  # a route lookup: nothing is sent
    ip = s.getsockname()[0]
except OSError:
    ip = "127.0.0.1"
print(ip if ip != "0.0.0.0" else "127.0.0.1")
PY
)
adv_start d ""
has d.log "listening on UDP:0\\.0\\.0\\.0:$PORT, advertising ${PRIMARY//./\\.}:$PORT\$"
! grep -q "advertising 0\\.0\\.0\\.0" d.log || fail "d: advertises 0.0.0.0"
U3=$(free_port)
uas c3 proxy_uas_answer.xml udp "$U3"
register udp bob "$U3"
run call_d "$SIPHON" call "sip:bob@127.0.0.1" --proxy "127.0.0.1:$PORT" --duration 0.3 --verbose
uas_wait
has call_d.out "^Record-Route: <sip:${PRIMARY//./\\.}:$PORT;lr>"
traced c3.msg "^Via: SIP/2\\.0/UDP ${PRIMARY//./\\.}:$PORT;branch=" || fail "d: callee saw no proxy Via"
traced c3.msg '^BYE sip:' || fail "d: the BYE did not reach the callee"
! grep -q '0\.0\.0\.0' c3.msg || fail "d: a message carries 0.0.0.0"
events_check "$PRIMARY"
srv_stop

# A bad advertise is refused at start with the reason.
rc=0
timeout 10 "$SIPHON" serve --listen "udp:0.0.0.0:$PORT/advertise=0.0.0.0" --db "$DB" >bad.out 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "bad advertise: exit status $rc, expected 2"
has bad.out "bad listen 'udp:0\\.0\\.0\\.0:$PORT/advertise=0\\.0\\.0\\.0': advertise: a wildcard address cannot be advertised"
echo "ok"
