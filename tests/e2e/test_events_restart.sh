#!/usr/bin/env bash
# siphon serve's events service keeps what it acknowledged: a subscription and a
# publication answered 200 survive kill -9 (the 200 is sent once the store has
# them); after the restart a refresh in the old dialog is answered 200 with a NOTIFY
# whose CSeq keeps increasing, the publication is still there (its tag refreshes,
# new subscribers see it), and a new PUBLISH reaches the old subscriber; a reg
# subscriber hears of the restored registration. Then
# expiry with a short configured range: the subscription expires on time with a
# NOTIFY terminated;reason=timeout; a publication expiring takes its state away
# (the subscriber sees 'closed'); a sleeping ("*") subscription expires with a
# body-less terminated NOTIFY.
source "$(dirname "$0")/server_lib.sh"

srv_start ev1 --domain example.test --no-auth

python3 - "$PORT" >phase1.out <<'PY' || fail "before the restart"
import sys, json
from evclient import UA, pidf
port = int(sys.argv[1])
ALICE = "alice@example.test"
alice = UA(port, "alice")
p = alice.publish(ALICE, pidf("sip:" + ALICE, "open", note="before"), expires=600)
assert p.status == 200, p
w = UA(port, "bob")
r = w.subscribe(ALICE, expires=600)
assert r.status == 200, r
n = w.wait_notify(r.call_id)
assert n is not None and "before" in n.body, n
# Bob watches his registrations (reg, RFC 3680) and registers.
g = w.subscribe("bob@example.test", event="reg", expires=600)
assert g.status == 200, g
assert w.wait_notify(g.call_id) is not None
rg = w.request("REGISTER", "sip:example.test", "sip:bob@example.test", ["Expires: 600"])
assert rg.status == 200, rg
assert w.wait_notify(g.call_id, after=1) is not None
print(json.dumps({"lport": w.lport, "call_id": r.call_id, "from_tag": r.from_tag, "reg_call_id": g.call_id,
                  "to_tag": r.tag("to"), "cseq": w.cseq, "etag": p.get("sip-etag"),
                  "ncseq": int(n.get("cseq").split()[0])}))
PY
srv_kill9
grep -q "restored 0 subscriptions" ev1.log || fail "first start was not empty"
srv_start ev2 --domain example.test --no-auth
grep -q "restored 2 subscriptions and 1 publications" ev2.log || fail "the subscriptions or publication were not restored"

python3 - "$PORT" "$(cat phase1.out)" <<'PY' || fail "after the restart"
import sys, json, socket
from evclient import UA, Msg, pidf
port = int(sys.argv[1])
st = json.loads(sys.argv[2])
ALICE = "alice@example.test"
w = UA(port, "bob")
# The old subscriber's socket (its Contact and source port) again.
w.sock.close()
w.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
w.sock.bind(("127.0.0.1", st["lport"]))
w.lport = st["lport"]
w.cseq = st["cseq"]

class D:  # the old dialog
    call_id, from_tag = st["call_id"], st["from_tag"]
    def tag(self, name):
        return st["to_tag"]
r = w.subscribe(ALICE, expires=600, dialog=D())
assert r.status == 200 and r.get("expires") == "600", r
n = w.wait_notify(st["call_id"])
assert n is not None and "before" in n.body, n
assert int(n.get("cseq").split()[0]) > st["ncseq"], n
# The stored publication refreshes with its tag.
alice = UA(port, "alice")
p = alice.publish(ALICE, "", etag=st["etag"], expires=600)
assert p.status == 200, p
# A new PUBLISH reaches the old subscriber.
p = alice.publish(ALICE, pidf("sip:" + ALICE, "open", tuple_id="t2", note="after"), expires=600)
assert p.status == 200, p
n2 = w.wait_notify(st["call_id"], after=1)
assert n2 is not None and "after" in n2.body and "before" in n2.body, n2
assert int(n2.get("cseq").split()[0]) > int(n.get("cseq").split()[0]), n2
# The registrar's restored binding rebuilt the reg state: its NOTIFY, made while
# the server started, went out once it listened (retransmitted until this socket
# was bound again).
rn = w.wait_notify(st["reg_call_id"], timeout=5)
assert rn is not None, "no reg NOTIFY after the restart"
assert "<uri>sip:bob@127.0.0.1:%d</uri>" % st["lport"] in rn.body and 'state="active"' in rn.body, rn
print("restart ok")
PY
srv_stop

# Expiry, with a short range (the notifier shortens 600 to 2 s).
printf '[events]\nmin_expires = 1\nmax_expires = 2\npub_min_expires = 1\npub_max_expires = 1\n' >short.ini
srv_start ev3 --domain example.test --no-auth --config short.ini
python3 - "$PORT" <<'PY' || fail "expiry"
import sys, time
from evclient import UA, pidf
port = int(sys.argv[1])
ALICE = "carol@example.test"
w = UA(port, "bob")
alice = UA(port, "carol")
p = alice.publish(ALICE, pidf("sip:" + ALICE, "open"), expires=600)
assert p.status == 200 and p.get("expires") == "1", p
t0 = time.time()
r = w.subscribe(ALICE, expires=600)
assert r.status == 200 and r.get("expires") == "2", r
s = w.subscribe(ALICE, expires=600)
assert s.status == 200, s
n = w.wait_notify(s.call_id)
assert n is not None, "no NOTIFY"
z = w.subscribe(ALICE, expires=600, headers=["Suppress-If-Match: *"], dialog=s)
assert z.status == 204, z
first = w.wait_notify(r.call_id)
assert first is not None, "no NOTIFY"
# Every NOTIFY until the final one, within 6 s.
got = []
k = 1
while time.time() - t0 < 6:
    n = w.wait_notify(r.call_id, after=k, timeout=max(0.1, 6 - (time.time() - t0)))
    if n is None:
        break
    got.append(n)
    k += 1
    if n.get("subscription-state").startswith("terminated"):
        break
assert got, "nothing after the first NOTIFY"
fin = got[-1]
assert fin.get("subscription-state") == "terminated;reason=timeout", fin
assert 1.0 <= time.time() - t0 <= 5.0, time.time() - t0
# The publication expired before: some NOTIFY says closed.
assert any("<basic>closed</basic>" in x.body for x in got), got
# The sleeping one ends without a body.
zf = w.wait_notify(s.call_id, after=1, timeout=3)
assert zf is not None and zf.get("subscription-state").startswith("terminated"), zf
assert zf.body == "" and zf.get("content-type") is None, zf
# Gone: 481.
assert w.subscribe(ALICE, expires=2, dialog=r).status == 481
print("expiry ok")
PY
srv_stop
echo PASS
