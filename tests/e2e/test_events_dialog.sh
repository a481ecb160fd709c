#!/usr/bin/env bash
# The dialog event package (RFC 4235) fed by the proxy (siphon serve --no-auth, UDP):
# a watcher subscribes to bob's dialogs and gets the initial full, empty
# dialog-info; a call from alice (SIPp) to bob's registered SIPp callee, answered 180
# then 200 and hung up by alice, shows bob's dialog trying -> early (180) ->
# confirmed (200) -> terminated (remote-bye, on the BYE through the Record-Route);
# a call bob declines with 603 shows trying -> terminated (rejected, 603). Every
# document is parsed with xml.etree: versions go up by one, direction="recipient",
# tags and identities are bob's view.
source "$(dirname "$0")/proxy_lib.sh"

srv_start dlg --domain 127.0.0.1 --no-auth

# The watcher: subscribes, answers every NOTIFY and records them until both calls
# ended (or 25 s), then checks the documents.
timeout 40 python3 - "$PORT" "$WORK" >watcher.out 2>&1 <<'PY' &
import sys, time, os
import xml.etree.ElementTree as ET
from evclient import UA
port, work = int(sys.argv[1]), sys.argv[2]
NS = "{urn:ietf:params:xml:ns:dialog-info}"
BOB = "sip:bob@127.0.0.1"

w = UA(port, "watcher", domain="127.0.0.1")
r = w.subscribe("bob@127.0.0.1", event="dialog", expires=600)
assert r.status == 200, r
n0 = w.wait_notify(r.call_id)
assert n0 is not None, "no initial NOTIFY"
assert n0.get("event") == "dialog", n0
assert n0.get("content-type") == "application/dialog-info+xml", n0
assert n0.get("subscription-state").startswith("active"), n0
doc0 = ET.fromstring(n0.body)
assert doc0.tag == NS + "dialog-info", doc0.tag
assert doc0.get("state") == "full" and doc0.get("entity") == BOB, doc0.attrib
assert doc0.findall(NS + "dialog") == [], n0.body
open(os.path.join(work, "watcher.ready"), "w").close()

# Collect until two dialogs of bob were reported terminated.
deadline = time.time() + 25
def ended():
    k = 0
    for n in w.notifies[1:]:
        for d in ET.fromstring(n.body).findall(NS + "dialog"):
            if d.find(NS + "state").text == "terminated":
                k += 1
    return k
while ended() < 2 and time.time() < deadline:
    w.drain(0.2)
w.drain(0.5)   # nothing more may come: checked below
notes = [n for n in w.notifies if n.get("call-id") == r.call_id]
assert ended() == 2, "not two terminated dialogs: %r" % notes

versions = []
hist = {}      # dialog id -> [(state, attrs of state, dialog attrs, local id, remote id)]
order = []
for n in notes:
    doc = ET.fromstring(n.body)
    assert doc.tag == NS + "dialog-info" and doc.get("entity") == BOB, n.body
    versions.append(int(doc.get("version")))
    if n is notes[0]:
        continue
    assert n.get("content-type") == "application/dialog-info+xml", n
    assert doc.get("state") == "partial", n.body  # RFC 4235 3.7: only the change
    ds = doc.findall(NS + "dialog")
    assert len(ds) == 1, n.body
    d = ds[0]
    st = d.find(NS + "state")
    li = d.find(NS + "local/" + NS + "identity")
    ri = d.find(NS + "remote/" + NS + "identity")
    if d.get("id") not in hist:
        order.append(d.get("id"))
    hist.setdefault(d.get("id"), []).append(
        (st.text, dict(st.attrib), dict(d.attrib), li.text if li is not None else None,
         ri.text if ri is not None else None))
# RFC 4235 4.1: the version starts at 0 and goes up by one with every document.
assert versions == list(range(len(versions))), versions
assert len(order) == 2, hist

ans, dec = hist[order[0]], hist[order[1]]
print("answered:", ans)
print("declined:", dec)
assert [h[0] for h in ans] == ["trying", "early", "confirmed", "terminated"], ans
assert ans[1][1].get("code") == "180" and ans[2][1].get("code") == "200", ans
assert ans[3][1].get("event") == "remote-bye", ans   # alice sent the BYE
for st, sa, da, li, ri in ans:
    assert da["direction"] == "recipient" and da["call-id"] == order[0], da
    assert li == BOB and ri == "sip:alice@127.0.0.1", (li, ri)
    if st != "terminated":
        assert "event" not in sa, sa
# bob's view: local tag = his callee's To tag (SIPpTag01), remote = alice's From tag.
for h in ans[1:]:
    assert "SIPpTag01" in h[2]["local-tag"] and "SIPpTag00" in h[2]["remote-tag"], h
assert [h[0] for h in dec] == ["trying", "terminated"], dec
assert dec[1][1] == {"event": "rejected", "code": "603"}, dec
assert dec[1][2]["direction"] == "recipient" and dec[1][2]["call-id"] == order[1], dec
assert dec[1][3] == BOB and dec[1][4] == "sip:alice@127.0.0.1", dec
print("watcher ok")
PY
WPID=$!
for _ in $(seq 50); do [ -f watcher.ready ] && break; sleep 0.1; done
[ -f watcher.ready ] || fail "the watcher got no initial NOTIFY"

# 1. alice -> bob: 180, 200, ACK, BYE from alice.
U1=$(free_port)
uas c1 proxy_uas_answer.xml udp "$U1"
register udp bob "$U1"
uac call1 "$SC/proxy_uac_call.xml" udp -key from alice -key mf 70 -key callee bob || fail "answered call failed"
uas_wait

# 2. alice -> bob: 603 (bob's binding for the first call is still there, so
#    register the declining callee in its place: a new Contact for one AOR would
#    fork; unregister the first one).
U2=$(free_port)
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
uas c2 "$(uas_final_sc 603 0)" udp "$U2"
register udp bob "$U2"
uac call2 "$(final_sc 603)" udp -key from alice -key mf 70 -key callee bob || fail "declined call: no 603"
uas_wait

wait "$WPID" || { cat watcher.out; fail "the watcher's checks failed"; }
grep -q "^watcher ok$" watcher.out || fail "the watcher did not finish"
srv_stop
echo "ok"
