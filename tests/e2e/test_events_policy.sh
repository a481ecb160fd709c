#!/usr/bin/env bash
# siphon serve's events service with digest authentication: SUBSCRIBE and PUBLISH
# without credentials get 401 (SHA-256 and MD5 challenges, as the registrar's); the
# domain's users watch each other; a watcher the user blocked (`siphon user block`)
# gets 603 Decline, and blocking one on the running server ends its subscription; 489 with Allow-Events for an unknown package; 423 with
# Min-Expires; PUBLISH: 200 with SIP-ETag, refresh with SIP-If-Match and no body,
# 412 for an unknown tag, 403 for someone else's presentity, removal with Expires: 0
# (subscribers see 'closed'); a NOTIFY answered 481 ends the subscription (RFC 6665
# 4.2.2); `siphon mwi set` on the running server reaches message-summary
# subscribers, and so does a message-summary PUBLISH; a REGISTER reaches reg subscribers (RFC 3680).
source "$(dirname "$0")/server_lib.sh"

D=example.test
for u in alice bob carol; do
	"$SIPHON" user add "$u@$D" --password "pw-$u" --db "$DB" >>user.out || fail "user add $u"
done
"$SIPHON" user block "alice@$D" "sip:carol@$D" --db "$DB" >>user.out || fail "user block"
printf '[events]\nmin_expires = 30\n' >server.ini
srv_start policy --domain "$D" --config server.ini

DB="$DB" python3 - "$PORT" <<'PY' || fail "events policy"
import sys, time
from evclient import UA, pidf
from sipclient import digest_params
port = int(sys.argv[1])
ALICE = "alice@example.test"

bob = UA(port, "bob")
r = bob.subscribe(ALICE, expires=600)
assert r.status == 401, r
algs = [digest_params(v).get("algorithm") for v in r.all("www-authenticate")]
assert algs == ["SHA-256", "MD5"], r
bob.password = "pw-bob"
r = bob.subscribe(ALICE, expires=600)
assert r.status == 200, r
n = bob.wait_notify(r.call_id)
assert n is not None and n.get("subscription-state").startswith("active"), n

# Wrong password: 403.
eve = UA(port, "bob")
eve.password = "nope"
assert eve.subscribe(ALICE, expires=600).status == 403

# The watcher Alice blocked: 603 Decline, no NOTIFY.
carol = UA(port, "carol")
carol.password = "pw-carol"
c = carol.subscribe(ALICE, expires=600)
assert c.status == 603, c
carol.drain(0.5)
assert not carol.notifies, carol.notifies
# ...while Carol may watch Bob.
c = carol.subscribe("bob@example.test", expires=600)
assert c.status == 200, c

# 489 with Allow-Events; 423 with Min-Expires (30 configured).
x = bob.subscribe(ALICE, event="no-such-package", expires=600)
assert x.status == 489 and "presence" in (x.get("allow-events") or ""), x
x = bob.subscribe(ALICE, expires=10)
assert x.status == 423 and x.get("min-expires") == "30", x

# PUBLISH (RFC 3903): Alice publishes her own state.
alice = UA(port, "alice")
alice.password = "pw-alice"
p = alice.publish(ALICE, pidf("sip:" + ALICE, "open"), expires=600)
assert p.status == 200 and p.get("sip-etag"), p
etag = p.get("sip-etag")
n = bob.wait_notify(r.call_id, after=1)
assert n is not None and "<basic>open</basic>" in n.body, n
# Refresh: SIP-If-Match and no body; the tag changes, the state does not (no NOTIFY).
p2 = alice.publish(ALICE, "", etag=etag, expires=600)
assert p2.status == 200 and p2.get("sip-etag") and p2.get("sip-etag") != etag, p2
# An unknown tag: 412.
assert alice.publish(ALICE, "", etag="bogus-tag", expires=600).status == 412
# Bob cannot publish Alice's presence.
assert bob.publish(ALICE, pidf("sip:" + ALICE, "closed"), expires=600).status == 403
# Removal: Expires 0; the composed state is 'closed' again.
p3 = alice.publish(ALICE, "", etag=p2.get("sip-etag"), expires=0)
assert p3.status == 200, p3
n = bob.wait_notify(r.call_id, after=2)
assert n is not None and "<basic>closed</basic>" in n.body, n
bob.drain(0.5)
assert bob.count_notifies(r.call_id) == 3, bob.notifies

# message-summary: `siphon mwi set` on the running server (polled once a second).
m = bob.subscribe("bob@example.test", event="message-summary", expires=600)
assert m.status == 200, m
mn = bob.wait_notify(m.call_id)
assert mn is not None and mn.get("content-type") == "application/simple-message-summary", mn
import subprocess, os
subprocess.run([os.environ["SIPHON"], "mwi", "set", "bob@example.test", "2/8", "--db", os.environ["DB"]],
               check=True, stdout=subprocess.DEVNULL, timeout=10)
mn = bob.wait_notify(m.call_id, after=1, timeout=4)
assert mn is not None, "mwi set did not reach the subscriber"
assert "Messages-Waiting: yes" in mn.body and "2/8" in mn.body, mn
# ...and by PUBLISH (RFC 3842 with RFC 3903), from the mailbox's owner.
mp = bob.publish("bob@example.test", "Messages-Waiting: yes\r\nVoice-Message: 5/1 (1/0)\r\n",
                 event="message-summary", ctype="application/simple-message-summary", expires=600)
assert mp.status == 200, mp
mn = bob.wait_notify(m.call_id, after=2, timeout=3)
assert mn is not None and "5/1" in mn.body, (mn, bob.notifies[-1])

# reg (RFC 3680): Bob watches his own registrations; a REGISTER shows up.
g = bob.subscribe("bob@example.test", event="reg", expires=600)
assert g.status == 200, g
gn = bob.wait_notify(g.call_id)
assert gn is not None and gn.get("content-type") == "application/reginfo+xml", gn
rg = bob.request("REGISTER", "sip:example.test", "sip:bob@example.test",
                 ["Expires: 300"])
assert rg.status == 200, rg
gn = bob.wait_notify(g.call_id, after=1)
assert gn is not None and "<uri>sip:bob@127.0.0.1:%d</uri>" % bob.lport in gn.body, gn
assert 'state="active"' in gn.body and 'event="registered"' in gn.body, gn

# A NOTIFY answered 481 ends the subscription: a refresh in its dialog is 481.
bob.notify_status = 481
alice.publish(ALICE, pidf("sip:" + ALICE, "open", note="again"), expires=600)
n = bob.wait_notify(r.call_id, after=3)
assert n is not None, "no NOTIFY after the new publication"
bob.notify_status = 200
time.sleep(0.3)
x = bob.subscribe(ALICE, expires=600, dialog=r)
assert x.status == 481, x

# Bob blocks Carol on the running server: her subscription to him ends
# (terminated;reason=rejected, RFC 6665 4.2.1.3) and a new one gets 603.
subprocess.run([os.environ["SIPHON"], "user", "block", "bob@example.test", "sip:carol@example.test",
                "--db", os.environ["DB"]], check=True, stdout=subprocess.DEVNULL, timeout=10)
cn = carol.wait_notify(c.call_id, after=1, timeout=4)
assert cn is not None, "the blocked watcher's subscription did not end"
assert cn.get("subscription-state") == "terminated;reason=rejected", cn
assert carol.subscribe("bob@example.test", expires=600).status == 603
print("events policy ok")
PY
srv_stop
echo PASS
