#!/usr/bin/env bash
# siphon serve's [limits]: subscriptions_per_user = 2 (the third new SUBSCRIBE of an
# authenticated watcher gets 403 "Forbidden (too many subscriptions)", a refresh
# does not, another watcher is not affected, and after an unsubscribe a new one
# succeeds); max_message_size = 2000 (a 3000-byte MESSAGE gets 413 over UDP and
# over TCP, where the connection then closes; a header block over the limit gets
# 513; the server goes on answering); request_rate = 5 (a burst of OPTIONS from
# one source gets 200s then 503 with Retry-After, a flood far over the rate is
# dropped unanswered, and after waiting the source is served again).
source "$(dirname "$0")/server_lib.sh"

D=example.test
for u in alice bob carol dave erin; do
	"$SIPHON" user add "$u@$D" --password "pw-$u" --db "$DB" >>user.out || fail "user add $u"
done
printf '[limits]\nsubscriptions_per_user = 2\nmax_message_size = 2000\n' >limits.ini
srv_start limits --domain "$D" --config limits.ini

python3 - "$PORT" <<'PY' || fail "subscriptions_per_user"
import sys
from evclient import UA
port = int(sys.argv[1])

alice = UA(port, "alice")
alice.password = "pw-alice"
r1 = alice.subscribe("bob@example.test", expires=600)
assert r1.status == 200, r1
r2 = alice.subscribe("carol@example.test", expires=600)
assert r2.status == 200, r2
r3 = alice.subscribe("dave@example.test", expires=600)
assert r3.status == 403, r3
assert r3.start == "SIP/2.0 403 Forbidden (too many subscriptions)", r3.start
# A refresh of an existing subscription is never refused.
assert alice.subscribe("bob@example.test", expires=900, dialog=r1).status == 200
# Another user has a count of its own.
erin = UA(port, "erin")
erin.password = "pw-erin"
assert erin.subscribe("dave@example.test", expires=600).status == 200
# Unsubscribe one: a new one is accepted, and the limit holds again after it.
assert alice.subscribe("carol@example.test", expires=0, dialog=r2).status == 200
r4 = alice.subscribe("dave@example.test", expires=600)
assert r4.status == 200, r4
r5 = alice.subscribe("erin@example.test", expires=600)
assert r5.status == 403, r5
alice.drain(0.3)
print("subscriptions_per_user ok")
PY

python3 - "$PORT" <<'PY' || fail "max_message_size"
import socket, sys
from sipclient import Client
port = int(sys.argv[1])

def message(proto, lport, body_len=0, pad=0):
    body = "x" * body_len
    hdrs = [
        "MESSAGE sip:bob@example.test SIP/2.0",
        "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bKbig%d;rport" % (proto, lport, body_len + pad),
        "Max-Forwards: 70",
        "From: <sip:alice@example.test>;tag=big1",
        "To: <sip:bob@example.test>",
        "Call-ID: big-%d-%d@127.0.0.1" % (body_len, pad),
        "CSeq: 1 MESSAGE",
        "Content-Type: text/plain",
    ]
    if pad:
        hdrs.append("X-Pad: " + "p" * pad)
    hdrs.append("Content-Length: %d" % len(body))
    return "\r\n".join(hdrs) + "\r\n\r\n" + body

def options_ok(proto):
    c = Client(proto, port)
    r = c.request("OPTIONS", "sip:example.test", "sip:alice@example.test")
    c.close()
    assert r.status == 200, r

# UDP: a 3000-byte MESSAGE whose body makes it too large: 413 (RFC 3261 21.4.11).
u = Client("udp", port)
m = message("UDP", u.lport, body_len=2720)
assert 3000 <= len(m) <= 3100, len(m)
u.send_raw(m)
r = u.recv()
assert r.status == 413 and r.reason == "Request Entity Too Large", r
assert r.get("call-id") == "big-2720-0@127.0.0.1" and r.get("cseq") == "1 MESSAGE", r
# Its header block alone over the limit: 513 Message Too Large (21.5.7).
u.send_raw(message("UDP", u.lport, pad=2500))
r = u.recv()
assert r.status == 513 and r.reason == "Message Too Large", r
u.close()
options_ok("udp")

# TCP: 413 from the framing (Content-Length), then the connection closes.
t = Client("tcp", port)
t.send_raw(message("TCP", t.lport, body_len=2720))
r = t.recv()
assert r.status == 413, r
closed = False
try:
    t.sock.settimeout(3)
    closed = t.sock.recv(100) == b""
except ConnectionError:
    closed = True
assert closed, "the connection stays open after a 413"
t.close()
options_ok("tcp")
options_ok("udp")
print("max_message_size ok")
PY
srv_stop

# request_rate = 5, burst 5: a second server on the same database.
printf '[limits]\nrequest_rate = 5\nrequest_burst = 5\n' >rate.ini
srv_start rate --domain "$D" --config rate.ini
python3 - "$PORT" <<'PY' || fail "request_rate"
import socket, sys, time
from sipclient import Client, Response
port = int(sys.argv[1])

c = Client("udp", port, timeout=1.0)

def burst(n):
    """Send n OPTIONS at once; the responses that came back within 1 s."""
    call_ids = []
    for i in range(n):
        call_ids.append("rate-%d-%s@127.0.0.1" % (i, c.tag))
        c.send_raw(c.build("OPTIONS", "sip:example.test", "sip:alice@example.test",
                           call_id=call_ids[-1]))
    got = []
    deadline = time.time() + 1.0
    while len(got) < n and time.time() < deadline:
        c.sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data, _ = c.sock.recvfrom(65535)
        except socket.timeout:
            break
        got.append(Response(data.decode()))
    return got

# 10 at once: the burst of 5 gets 200, the other 5 get 503 with Retry-After.
got = burst(10)
codes = sorted(r.status for r in got)
assert codes == [200] * 5 + [503] * 5, codes
for r in got:
    if r.status == 503:
        assert r.get("retry-after") == "1", r
# A flood far over the rate (more than 3 x 5 refusals a second) is partly dropped:
# fewer answers than requests, none of them 200 beyond what refilled.
got = burst(40)
assert len(got) < 40, len(got)
assert sum(1 for r in got if r.status == 200) <= 2, [r.status for r in got]
# After waiting, the source is served again (5/s, the bucket refills).
time.sleep(1.5)
got = burst(5)
assert [r.status for r in got] == [200] * 5, [r.status for r in got]
# Over TCP the same source shares the bucket and is always answered.
time.sleep(1.5)
t = Client("tcp", port)
st = [t.request("OPTIONS", "sip:example.test", "sip:alice@example.test").status for _ in range(8)]
t.close()
assert st == [200] * 5 + [503] * 3, st
print("request_rate ok")
PY
srv_stop
echo PASS
