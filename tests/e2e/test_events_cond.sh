#!/usr/bin/env bash
# siphon serve as the notifier (RFC 6665) with conditional notification (RFC 5839
# 6.2, 6.3) over UDP: SUBSCRIBE 200 + NOTIFY with SIP-ETag; a refresh in the dialog
# with a matching Suppress-If-Match gets 204 with Expires and no NOTIFY (none within
# 1.5 s); a matching out-of-dialog SUBSCRIBE gets 200 and a body-less NOTIFY with the
# unchanged tag; after a PUBLISH changes the state a NOTIFY with a new tag and body
# reaches the 204'd subscriber (the condition no longer holds); a stale tag gets the
# full state; "*" quenches a subscription (a PUBLISH sends nothing, an unsubscribe
# sends a body-less terminated NOTIFY); a fetch (Expires: 0) with a matching tag gets
# one body-less terminated NOTIFY; unsubscribe gets a final NOTIFY terminated; two
# subscriptions (presence, message-summary) share one dialog; OPTIONS lists
# Allow-Events; a NOTIFY follows the Record-Route set; over TCP it comes back on
# the subscriber's connection.
source "$(dirname "$0")/server_lib.sh"

srv_start events --domain example.test --no-auth

python3 - "$PORT" <<'PY' || fail "conditional notification"
import sys, time
from evclient import UA, pidf
port = int(sys.argv[1])
ALICE = "alice@example.test"

w = UA(port, "bob")
pub = UA(port, "alice")

# Initial SUBSCRIBE: 200 (never 202), Expires, then a NOTIFY with the state and a tag.
r = w.subscribe(ALICE, expires=600)
assert r.status == 200 and r.get("expires") == "600", r
n1 = w.wait_notify(r.call_id)
assert n1 is not None, "no initial NOTIFY"
assert n1.get("subscription-state").startswith("active;expires="), n1
assert n1.get("event") == "presence" and n1.get("content-type") == "application/pidf+xml", n1
assert "<basic>closed</basic>" in n1.body, n1   # no publication: a valid closed document
tag1 = n1.get("sip-etag")
assert tag1 and tag1 != "*", n1

# 204 on a matching in-dialog refresh (RFC 5839 5.6, 6.3), and no NOTIFY after it.
r2 = w.subscribe(ALICE, expires=300, headers=["Suppress-If-Match: " + tag1], dialog=r)
assert r2.status == 204 and r2.get("expires") == "300", r2
w.drain(1.5)
assert w.count_notifies(r.call_id) == 1, "a NOTIFY followed the 204: %r" % w.notifies

# Out of dialog, matching tag (resuming, 5.5 / 6.2): 200 and a NOTIFY without body,
# the tag unchanged; never 204 outside a dialog.
o = w.subscribe(ALICE, expires=600, headers=["Suppress-If-Match: " + tag1])
assert o.status == 200, o
no = w.wait_notify(o.call_id)
assert no is not None, "no NOTIFY for the resumed subscription"
assert no.get("content-type") is None and no.get("content-length") == "0" and no.body == "", no
assert no.get("sip-etag") == tag1, no
assert no.get("subscription-state").startswith("active"), no

# Out of dialog, stale tag: the condition is false: full state.
s = w.subscribe(ALICE, expires=600, headers=["Suppress-If-Match: 0000stale"])
assert s.status == 200, s
sn = w.wait_notify(s.call_id)
assert sn is not None and sn.get("content-type") == "application/pidf+xml" and sn.get("sip-etag") == tag1, sn

# "*" in the dialog of the stale one: 204, asleep from now on.
st = w.subscribe(ALICE, expires=600, headers=["Suppress-If-Match: *"], dialog=s)
assert st.status == 204, st

# The state changes (PUBLISH): a NOTIFY with a new tag and the new body to the 204'd
# subscriber and the resumed one; nothing to the sleeping one.
p = pub.publish(ALICE, pidf("sip:" + ALICE, "open", note="back"), expires=600)
assert p.status == 200 and p.get("sip-etag") and p.get("expires") == "600", p
n2 = w.wait_notify(r.call_id, after=1)
assert n2 is not None, "no NOTIFY after the state changed"
tag2 = n2.get("sip-etag")
assert tag2 and tag2 != tag1 and "<basic>open</basic>" in n2.body, n2
n2b = w.wait_notify(o.call_id, after=1)
assert n2b is not None and n2b.get("sip-etag") == tag2 and "<basic>open</basic>" in n2b.body, n2b
w.drain(1.0)
assert w.count_notifies(s.call_id) == 1, "a quenched subscription was notified"

# Publication tags and notification tags are separate spaces (RFC 5839 4).
assert p.get("sip-etag") not in (tag1, tag2), p

# Terminating the sleeping one with a true condition (5.7): 204, no NOTIFY, gone.
u = w.subscribe(ALICE, expires=0, headers=["Suppress-If-Match: *"], dialog=s)
assert u.status == 204, u
w.drain(1.0)
assert w.count_notifies(s.call_id) == 1, "a NOTIFY followed a 204 unsubscribe"
g = w.subscribe(ALICE, expires=600, dialog=s)
assert g.status == 481, g

# Unsubscribe of a plain subscription: final NOTIFY terminated with the state.
u = w.subscribe(ALICE, expires=0, dialog=r)
assert u.status == 200, u
fin = w.wait_notify(r.call_id, after=2)
assert fin is not None and fin.get("subscription-state").startswith("terminated"), fin
assert "<basic>open</basic>" in fin.body, fin
# The dialog is gone: a refresh in it is 481.
g = w.subscribe(ALICE, expires=600, dialog=r)
assert g.status == 481, g

# A fetch (Expires: 0) with the current tag: 200 and one terminated NOTIFY, no body
# (5.4); with no condition, the body.
f = w.subscribe(ALICE, expires=0, headers=["Suppress-If-Match: " + tag2])
assert f.status == 200, f
fn = w.wait_notify(f.call_id)
assert fn is not None and fn.get("subscription-state").startswith("terminated"), fn
assert fn.body == "" and fn.get("sip-etag") == tag2, fn
f = w.subscribe(ALICE, expires=0)
fn = w.wait_notify(f.call_id)
assert fn is not None and "<basic>open</basic>" in fn.body, fn

# Two subscriptions in one dialog (RFC 6665 4.5.2): message-summary next to presence.
m = w.subscribe(ALICE, event="message-summary", expires=600, dialog=o)
assert m.status == 200, m
mn = [n for n in (w.wait_notify(o.call_id, after=2),) if n]
assert mn and mn[0].get("event") == "message-summary", w.notifies[-1]
assert mn[0].get("content-type") == "application/simple-message-summary", mn[0]

# OPTIONS to the server: Allow-Events names the packages (RFC 6665 8.2.2).
w.send("OPTIONS sip:example.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKopt1\r\n"
       "From: <sip:bob@example.test>;tag=1\r\nTo: <sip:example.test>\r\nCall-ID: opt1\r\n"
       "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % w.lport)
op = w.wait(lambda x: not x.is_request and x.get("call-id") == "opt1")
assert op is not None and op.status == 200, op
ae = op.get("allow-events") or ""
for pkg in ("presence", "dialog", "message-summary", "reg"):
    assert pkg in ae, op
assert "SUBSCRIBE" in op.get("allow") and "PUBLISH" in op.get("allow"), op

# NOTIFY through the route set (RFC 6665 4.1.2.3 / RFC 3261 12.2.1.1): a Record-Route
# to a "proxy" socket; the NOTIFY goes there with the Route header.
px = UA(port, "proxy")
rs = w.subscribe(ALICE, expires=600,
                 headers=["Record-Route: <sip:127.0.0.1:%d;lr>" % px.lport])
assert rs.status == 200, rs
pn = px.wait(lambda x: x.is_request and x.method == "NOTIFY")
assert pn is not None, "no NOTIFY at the route set's first hop"
assert pn.get("route") == "<sip:127.0.0.1:%d;lr>" % px.lport, pn
assert pn.start.startswith("NOTIFY sip:bob@127.0.0.1:%d " % w.lport), pn
print("conditional notification ok")
PY

# Over TCP the NOTIFY comes back on the subscriber's connection (its transport).
python3 - "$PORT" <<'PY' || fail "NOTIFY over TCP"
import re, sys
from sipclient import Client
from evclient import Msg
port = int(sys.argv[1])
c = Client("tcp", port)

def recv_msg():
    """One framed message (request or response) from the connection."""
    while True:
        if b"\r\n\r\n" in c.rbuf:
            head, rest = c.rbuf.split(b"\r\n\r\n", 1)
            n = int(re.search(rb"(?im)^content-length\s*:\s*(\d+)", head).group(1))
            if len(rest) >= n:
                c.rbuf = rest[n:]
                return Msg((head + b"\r\n\r\n" + rest[:n]).decode())
        chunk = c.sock.recv(65535)
        assert chunk, "connection closed"
        c.rbuf += chunk

r = c.request("SUBSCRIBE", "sip:alice@example.test", "sip:alice@example.test",
              ["Event: presence", "Expires: 600", "Contact: <sip:bob@127.0.0.1:%d;transport=tcp>" % c.lport])
assert r.status == 200, r
n = recv_msg()
assert n.is_request and n.method == "NOTIFY", n
assert n.get("via").startswith("SIP/2.0/TCP "), n
assert n.get("subscription-state").startswith("active"), n
print("tcp ok")
PY
srv_stop
echo PASS
