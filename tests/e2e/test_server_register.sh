#!/usr/bin/env bash
# siphon serve as registrar without authentication (RFC 3261 10.3, RFC 3327, RFC 5626)
# over UDP and TCP: register, refresh, several Contacts and q-values, query, the
# Call-ID/CSeq rule (retransmission, out of order), removal, Contact: * rules, 423 with
# Min-Expires, max expiry, Path, +sip.instance/reg-id replacement, expiry on time;
# sipsak registers and SIPp registers 50 AORs (the bench scenario) over UDP and TCP.
source "$(dirname "$0")/server_lib.sh"
command -v sipsak >/dev/null || fail "sipsak is not installed"
command -v sipp >/dev/null || fail "sipp (Debian sip-tester) is not installed"

cat >server.ini <<INI
[server]
log_level = debug
[registrar]
min_expires = 2
max_expires = 100
default_expires = 50
INI
srv_start reg --config server.ini --domain 127.0.0.1 --no-auth

timeout 10 sipsak -U -C "sip:carol@127.0.0.1:5999" -x 60 -s "sip:carol@127.0.0.1:$PORT" -vvv \
	>sipsak.out 2>&1 || fail "sipsak REGISTER failed"
grep -q "^Contact: <sip:carol@127.0.0.1:5999>;expires=60" sipsak.out || fail "sipsak: no binding in the 200"

for proto in udp tcp; do
	timeout 30 sipp "127.0.0.1:$PORT" -sf "$SIPHON_SHARED/bench-server/scenarios/register_uac.xml" \
		-key aor_prefix "sipp$proto" -i 127.0.0.1 -t "${proto:0:1}1" -m 50 -r 100 -nostdin \
		-recv_timeout 5000 -timeout 25s -trace_stat -stf "sipp_$proto.csv" >"sipp_$proto.out" 2>&1 ||
		fail "SIPp REGISTER over $proto failed"
done

python3 - "$PORT" <<'PY' || fail "registrar behaviour"
import sys, time
from sipclient import Client
port = int(sys.argv[1])
D = "127.0.0.1"
RURI = "sip:%s:%d" % (D, port)

def near(v, want, slack=2):
    return v is not None and want - slack <= v <= want

for proto in ("udp", "tcp"):
    aor = "sip:alice-%s@%s" % (proto, D)
    A, B = "sip:a-%s@127.0.0.1:5001" % proto, "sip:b-%s@127.0.0.1:5002" % proto
    c = Client(proto, port)
    r = c.request("REGISTER", RURI, aor, ["Contact: <%s>" % A, "Expires: 60"])
    assert r.status == 200 and near(r.contacts().get(A), 60), r
    assert r.get("date") and r.get("date").endswith(" GMT"), r   # 10.3 step 8
    # Refresh: same Call-ID, higher CSeq.
    r = c.request("REGISTER", RURI, aor, ["Contact: <%s>;expires=30" % A])
    assert r.status == 200 and near(r.contacts().get(A), 30), r
    # A second device (another Call-ID) with q=0.5; the 200 lists both.
    c2 = Client(proto, port)
    r = c2.request("REGISTER", RURI, aor, ["Contact: <%s>;q=0.5" % B])
    assert r.status == 200 and set(r.contacts()) == {A, B}, r
    assert near(r.contacts()[B], 50), r          # default_expires
    assert any("q=0.5" in v for v in r.all("contact")), r
    # Query: no Contact.
    r = c.request("REGISTER", RURI, aor)
    assert r.status == 200 and set(r.contacts()) == {A, B}, r
    # A retransmission (same Call-ID and CSeq) gets the same answer, nothing changes.
    r = c2.request("REGISTER", RURI, aor, ["Contact: <%s>;q=0.5" % B], cseq=c2.cseq)
    assert r.status == 200 and set(r.contacts()) == {A, B}, r
    # Out of order: a lower CSeq of the same Call-ID fails (10.3 step 7).
    r = c2.request("REGISTER", RURI, aor, ["Contact: <%s>;expires=0" % B], cseq=0)
    assert r.status == 500, r
    # Expires above the maximum is lowered to it.
    r = c2.request("REGISTER", RURI, aor, ["Contact: <%s>" % B, "Expires: 99999"], cseq=5)
    assert r.status == 200 and near(r.contacts()[B], 100), r
    # Below the minimum: 423 with Min-Expires.
    r = c.request("REGISTER", RURI, aor, ["Contact: <%s>;expires=1" % A])
    assert r.status == 423 and r.get("min-expires") == "2", r
    # Remove one binding.
    r = c.request("REGISTER", RURI, aor, ["Contact: <%s>" % A, "Expires: 0"])
    assert r.status == 200 and set(r.contacts()) == {B}, r
    # Contact: * only with Expires: 0 and alone.
    r = c.request("REGISTER", RURI, aor, ["Contact: *", "Expires: 10"])
    assert r.status == 400, r
    r = c.request("REGISTER", RURI, aor, ["Contact: *, <%s>" % A, "Expires: 0"])
    assert r.status == 400, r
    r = c.request("REGISTER", RURI, aor, ["Contact: *", "Expires: 0"])
    assert r.status == 200 and r.contacts() == {}, r
    r = c.request("REGISTER", RURI, aor)
    assert r.status == 200 and r.contacts() == {}, r
    # Path (RFC 3327): stored and returned to a UA that supports it.
    r = c.request("REGISTER", RURI, aor, ["Contact: <%s>" % A, "Path: <sip:edge.example;lr>",
                                          "Supported: path"])
    assert r.status == 200 and r.get("path") == "<sip:edge.example;lr>", r
    # RFC 5626: the same instance and reg-id from a new Contact replaces the binding.
    inst = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-%012d>"' % (1 if proto == "udp" else 2)
    r = c.request("REGISTER", RURI, aor, ["Contact: <sip:c1-%s@127.0.0.1:5003>;%s;reg-id=1" % (proto, inst)])
    assert r.status == 200 and "sip:c1-%s@127.0.0.1:5003" % proto in r.contacts(), r
    c3 = Client(proto, port)
    r = c3.request("REGISTER", RURI, aor, ["Contact: <sip:c2-%s@127.0.0.1:5004>;%s;reg-id=1" % (proto, inst)])
    cts = r.contacts()
    assert r.status == 200 and "sip:c2-%s@127.0.0.1:5004" % proto in cts, r
    assert "sip:c1-%s@127.0.0.1:5003" % proto not in cts, r
    assert any("reg-id=1" in v and "urn:uuid" in v for v in r.all("contact")), r
    # Expiry on time: a 2 s binding is gone after 3 s.
    r = c.request("REGISTER", RURI, aor, ["Contact: <sip:short-%s@127.0.0.1:5005>;expires=2" % proto])
    assert r.status == 200 and "sip:short-%s@127.0.0.1:5005" % proto in r.contacts(), r
    time.sleep(3.2)
    r = c.request("REGISTER", RURI, aor)
    assert r.status == 200 and "sip:short-%s@127.0.0.1:5005" % proto not in r.contacts(), r
    # SIPp's AORs are there.
    r = c.request("REGISTER", RURI, "sip:sipp%s7@%s" % (proto, D))
    assert r.status == 200 and len(r.contacts()) == 1, r
    for x in (c, c2, c3):
        x.close()
print("registrar ok")
PY
srv_stop
grep -q "binding expired: sip:alice-udp@127.0.0.1" reg.log || fail "expiry not logged"
echo "ok"
