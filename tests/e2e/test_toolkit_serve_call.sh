#!/usr/bin/env bash
# siphon call through siphon serve (proxy and registrar, UDP, --no-auth) to a SIPp
# callee registered as bob: (a) 180 + 200: exit 0, the explained 200, ACK and BYE
# along the Record-Route reach the callee (its scenario completes); (b) 603: exit 6,
# "603 Decline" with its meaning and advice, no BYE; (c) bob in do-not-disturb: the
# proxy itself answers 603 with a Reason header (seen with --verbose), exit 6, and
# the callee never sees an INVITE.
source "$(dirname "$0")/proxy_lib.sh"

"$SIPHON" user add bob@127.0.0.1 --password x --db "$DB" >/dev/null
srv_start tk --domain 127.0.0.1 --no-auth

# run NAME WANT CMD...: CMD's exit status must be WANT; its output in NAME.out.
run() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 20 "$@" >"$name.out" 2>"$name.log" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, expected $want"
}
has() { grep -Eq "$2" "$1.out" || fail "$1: no line matching '$2'"; }
hasnt() { ! grep -Eq "$2" "$1.out" || fail "$1: unexpected line matching '$2'"; }

# (a) answered.
U1=$(free_port)
uas c1 proxy_uas_answer.xml udp "$U1"
register udp bob "$U1"
run up 0 "$SIPHON" call sip:bob@127.0.0.1 --proxy "127.0.0.1:$PORT" --duration 0.3
uas_wait
has up '^-> INVITE sip:bob@127\.0\.0\.1 \(udp:127\.0\.0\.1:'"$PORT"
has up '^<- 180 Ringing  1xx provisional: The called user agent is alerting the user\.'
has up '^<- 200 OK  2xx success: The request succeeded\.  \[INVITE, '
has up "^-> ACK sip:127\\.0\\.0\\.1:$U1;transport=UDP\$"
has up "^-> BYE sip:127\\.0\\.0\\.1:$U1;transport=UDP "
has up '^<- 200 OK  2xx success: The request succeeded\.  \[BYE, '
has up '^call ended$'
traced c1.msg '^ACK sip:' || fail "up: the ACK did not reach the callee"
traced c1.msg '^BYE sip:' || fail "up: the BYE did not reach the callee"
traced c1.msg "^Record-Route: <sip:127\\.0\\.0\\.1:$PORT" || fail "up: no Record-Route"

# (b) declined by the callee.
python3 - "$PORT" "$U1" <<'PY' || fail "unREGISTER failed"
import sys
from sipclient import Client
port, cport = int(sys.argv[1]), int(sys.argv[2])
c = Client("udp", port)
r = c.request("REGISTER", "sip:127.0.0.1:%d" % port, "sip:bob@127.0.0.1",
              ["Contact: <sip:bob@127.0.0.1:%d;transport=udp>;expires=0" % cport])
c.close()
assert r.status == 200, r
PY
U2=$(free_port)
uas c2 "$(uas_final_sc 603 0)" udp "$U2"
register udp bob "$U2"
run dec 6 "$SIPHON" call sip:bob@127.0.0.1 --proxy "127.0.0.1:$PORT" --duration 1
uas_wait
has dec '^<- 603 Final  6xx global failure: The callee explicitly declined the call, at every location\.'
has dec '^   what to do: Do not retry elsewhere; Retry-After may say when the callee is available\.$'
hasnt dec '^-> BYE'
hasnt dec '^call ended'

# (c) do not disturb: the proxy declines for bob, the callee is never tried.
"$SIPHON" user set bob@127.0.0.1 --dnd on --db "$DB" >/dev/null
# The proxy looks at the store's user generation at most once a second.
sleep 1.2
U3=$(free_port)
uas c3 "$(uas_final_sc 200 0)" udp "$U3"
register udp bob "$U3"
run dnd 6 "$SIPHON" call sip:bob@127.0.0.1 --proxy "127.0.0.1:$PORT" --duration 1 --verbose
has dnd '^<- 603 Decline  6xx global failure: The callee explicitly declined the call, at every location\.'
has dnd '^   what to do: Do not retry elsewhere'
has dnd '^Reason: SIP;cause=603'
hasnt dnd '^<- 180'
sleep 0.5
[ -s c3.msg ] && traced c3.msg '^INVITE' && fail "dnd: the callee saw an INVITE"
kill "${UAS_PIDS[@]}" 2>/dev/null || true
wait "${UAS_PIDS[@]}" 2>/dev/null || true
UAS_PIDS=()
srv_stop
grep -q "declined 603 (dnd)" tk.log || fail "the DND decision was not logged"
echo "ok"
