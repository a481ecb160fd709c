#!/usr/bin/env bash
# siphon serve proxies to a foreign domain found by RFC 3263 (NAPTR -> SRV -> A)
# through tests/e2e/dnsd.py (SIPHON_DNS_SERVER, 127.0.0.1 only), the lookups off
# the event loop: a MESSAGE to sip:bob@far.test reaches the SIPp UAS the SRV names
# (200), a second one is answered from the cache (no new DNS question); a name
# that does not exist gets 500 naming it (RFC 3261 16.7 step 6: the branch counts
# as a 503, which alone becomes a 500); while a NAPTR answer is 1.5 s late, an
# OPTIONS to the server is answered at once, and the delayed MESSAGE then goes
# through; a 503 from the first SRV target sends the request again, a new
# transaction, to the next (RFC 3263 4.3), and so does a refused TCP connection;
# an INVITE cancelled while its next hop is being resolved gets 200
# (CANCEL) and 487 at once, and is never forwarded.
source "$(dirname "$0")/proxy_lib.sh"

PORT=$(free_port)
UAS1=$(free_port)
UAS2=$(free_port)
UAS3=$(free_port)
UAS4=$(free_port)
UAS5=$(free_port)
DEAD=$(free_port)
rm -f dns.port
timeout 90 python3 "$E2E/dnsd.py" --port-file dns.port --lifetime 80 --log dns.log --delay slow.test=1.5 \
	"far.test NAPTR 10 50 s SIP+D2U _sip._udp.far.test" \
	"_sip._udp.far.test SRV 10 50 $UAS1 uas.far.test" \
	"uas.far.test A 127.0.0.1" \
	"slow.test NAPTR 10 50 s SIP+D2U _sip._udp.slow.test" \
	"_sip._udp.slow.test SRV 10 50 $UAS2 uas.slow.test" \
	"uas.slow.test A 127.0.0.1" \
	"_sip._udp.late.test SRV 10 50 9 uas.late.test" "uas.late.test A 127.0.0.1" \
	"_sip._udp.fo.test SRV 10 0 $UAS3 one.fo.test" "_sip._udp.fo.test SRV 20 0 $UAS4 two.fo.test" \
	"one.fo.test A 127.0.0.1" "two.fo.test A 127.0.0.1" \
	"tf.test NAPTR 10 10 s SIP+D2T _sip._tcp.tf.test" \
	"_sip._tcp.tf.test SRV 10 0 $DEAD down.tf.test" "_sip._tcp.tf.test SRV 20 0 $UAS5 up.tf.test" \
	"down.tf.test A 127.0.0.1" "up.tf.test A 127.0.0.1" \
	--delay late.test=1.5 &
DNS_PID=$!
trap 'kill "$DNS_PID" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 50); do
	[ -s dns.port ] && break
	sleep 0.1
done
[ -s dns.port ] || fail "dnsd.py did not start"
export SIPHON_DNS_SERVER="127.0.0.1:$(cat dns.port)"

sed -e "s/@CODE@/200/" -e "s/@REASON@/OK/" "$SC/tk_uas_reply.xml" >reply.xml
sed -e "s/@CODE@/503/" -e "s/@REASON@/Service Unavailable/" "$SC/tk_uas_reply.xml" >reply503.xml
srv_start proxy --domain 127.0.0.1 --no-auth

# 1. far.test: NAPTR -> SRV -> A, then the cache for the second MESSAGE.
uas far "$WORK/reply.xml" udp "$UAS1" -m 2
python3 - "$PORT" <<'PY' || fail "MESSAGE to far.test"
import sys
from sipclient import Client
c = Client("udp", int(sys.argv[1]), timeout=10)
for i in range(2):
    r = c.request("MESSAGE", "sip:bob@far.test", "sip:bob@far.test", ["Content-Type: text/plain"],
                  call_id="far%d-%s" % (i, c.call_id))
    assert r.status == 200, r
    assert r.get("server") == "sipp-toolkit-test", r  # the UAS's, relayed
c.close()
PY
uas_wait
traced far.msg "MESSAGE sip:bob@far.test SIP/2.0" || fail "the UAS did not get the MESSAGE"
grep -qxF "far.test NAPTR rcode=0 an=1" dns.log || fail "no NAPTR question for far.test"
grep -qxF "_sip._udp.far.test SRV rcode=0 an=1" dns.log || fail "no SRV question for far.test"
grep -qxF "uas.far.test A rcode=0 an=1" dns.log || fail "no A question for uas.far.test"
[ "$(grep -c '^far.test NAPTR' dns.log)" -eq 1 ] || fail "far.test resolved twice (no cache)"

# 2. A name that does not exist: 500 with the host in the reason phrase.
python3 - "$PORT" <<'PY' || fail "MESSAGE to nowhere.invalid"
import sys
from sipclient import Client
c = Client("udp", int(sys.argv[1]), timeout=10)
r = c.request("MESSAGE", "sip:bob@nowhere.invalid", "sip:bob@nowhere.invalid")
assert r.status == 500, r
assert r.reason == "Server Internal Error (cannot resolve nowhere.invalid)", r.reason
c.close()
PY
grep -q "^nowhere.invalid NAPTR rcode=3" dns.log || fail "nowhere.invalid was not asked"

# 3. A slow answer does not hold the server: OPTIONS is answered while the
# MESSAGE to slow.test waits for its NAPTR (1.5 s); then the MESSAGE gets 200.
uas slow "$WORK/reply.xml" udp "$UAS2"
python3 - "$PORT" <<'PY' || fail "slow lookup"
import sys, time
from sipclient import Client
port = int(sys.argv[1])
a = Client("udp", port, timeout=10)
b = Client("udp", port, timeout=3)
t0 = time.monotonic()
a.send_raw(a.build("MESSAGE", "sip:bob@slow.test", "sip:bob@slow.test"))
time.sleep(0.2)
t1 = time.monotonic()
r = b.request("OPTIONS", "sip:127.0.0.1:%d" % port, "sip:probe@127.0.0.1")
dt = time.monotonic() - t1
assert r.status == 200, r
assert dt < 0.5, "OPTIONS took %.3f s during the slow lookup" % dt
r = a.recv()
while r.status < 200:
    r = a.recv()
total = time.monotonic() - t0
assert r.status == 200, r
assert r.get("server") == "sipp-toolkit-test", r
assert total >= 1.4, "the MESSAGE came back in %.3f s: the delay was not applied" % total
print("options %.3f s, message %.3f s" % (dt, total))
a.close()
b.close()
PY
uas_wait
traced slow.msg "MESSAGE sip:bob@slow.test SIP/2.0" || fail "the slow UAS did not get the MESSAGE"

# 4. Failover: one.fo.test (priority 10) answers 503, two.fo.test (20) 200.
uas one "$WORK/reply503.xml" udp "$UAS3"
uas two "$WORK/reply.xml" udp "$UAS4"
python3 - "$PORT" <<'PY' || fail "failover"
import sys
from sipclient import Client
c = Client("udp", int(sys.argv[1]), timeout=10)
r = c.request("MESSAGE", "sip:bob@fo.test", "sip:bob@fo.test")
assert r.status == 200, r
c.close()
PY
uas_wait
traced one.msg "MESSAGE sip:bob@fo.test SIP/2.0" || fail "the first target did not get the MESSAGE"
traced two.msg "MESSAGE sip:bob@fo.test SIP/2.0" || fail "the second target did not get the MESSAGE"
b1=$(grep -m1 -o 'branch=z9hG4bK[0-9a-f.]*' one.msg)
b2=$(grep -m1 -o 'branch=z9hG4bK[0-9a-f.]*' two.msg)
[ -n "$b1" ] && [ "$b1" != "$b2" ] || fail "the second target got the same Via branch ($b1)"
[ "${b1#*.}" = "${b2#*.}" ] || fail "the loop hash part of the branch changed"
grep -q "next target 127.0.0.1:$UAS4 (RFC 3263 4.3)" proxy.log || fail "failover not logged"
# Over TCP (NAPTR SIP+D2T): the first target refuses the connection, a transport
# error (17.1.4), so the next one gets the request.
uas five "$WORK/reply.xml" tcp "$UAS5"
python3 - "$PORT" <<'PY' || fail "TCP failover"
import sys
from sipclient import Client
c = Client("udp", int(sys.argv[1]), timeout=10)
r = c.request("MESSAGE", "sip:bob@tf.test", "sip:bob@tf.test")
assert r.status == 200, r
c.close()
PY
uas_wait
traced five.msg "MESSAGE sip:bob@tf.test SIP/2.0" || fail "the TCP target did not get the MESSAGE"
traced five.msg "Via: SIP/2.0/TCP 127.0.0.1:$PORT;" || fail "the Via does not name TCP"
grep -q "next target 127.0.0.1:$UAS5 (RFC 3263 4.3)" proxy.log || fail "TCP failover not logged"

# 5. CANCEL during the lookup (9.2): 200 for the CANCEL and 487 for the INVITE,
# with one To tag, well before the NAPTR answer comes.
python3 - "$PORT" <<'PY' || fail "CANCEL while resolving"
import sys, time
from sipclient import Client
c = Client("udp", int(sys.argv[1]), timeout=3)
br = "z9hG4bKlate1"
t0 = time.monotonic()
c.send_raw(c.build("INVITE", "sip:bob@late.test", "sip:bob@late.test", cseq=1, branch=br))
time.sleep(0.3)
c.send_raw(c.build("CANCEL", "sip:bob@late.test", "sip:bob@late.test", cseq=1, branch=br))
got = {}
while len(got) < 2:
    r = c.recv()
    cseq = r.get("cseq")
    if r.status >= 200:
        got[cseq.split()[1]] = r
dt = time.monotonic() - t0
assert got["CANCEL"].status == 200, got
assert got["INVITE"].status == 487, got
assert dt < 1.2, "the 487 took %.3f s" % dt
tag = lambda r: r.get("to").split("tag=")[1]
assert tag(got["CANCEL"]) == tag(got["INVITE"]), got
c.send_raw(c.build("ACK", "sip:bob@late.test", "sip:bob@late.test", cseq=1, branch=br))
c.close()
PY
# The answer comes later (nothing is sent then) and the server stays up.
sleep 1.5
python3 - "$PORT" <<'PY' || fail "OPTIONS after the cancelled lookup"
import sys
from sipclient import Client
c = Client("udp", int(sys.argv[1]))
r = c.request("OPTIONS", "sip:127.0.0.1:%d" % int(sys.argv[1]), "sip:probe@127.0.0.1")
assert r.status == 200, r
PY
grep -q "^late.test NAPTR" dns.log || fail "late.test was not asked"
srv_stop
echo "ok"
