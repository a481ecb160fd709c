#!/usr/bin/env bash
# siphon serve, the core's own answers (RFC 3261 8.2, 11.2) over UDP and TCP:
# OPTIONS 200 with Allow/Supported/Accept (sipsak and SIPp), 405 with Allow, 420 with
# Unsupported, 400 for a CSeq that does not match, 416 for a tel-less odd scheme,
# and a config file that sets the domain; SIGTERM stops it cleanly.
source "$(dirname "$0")/server_lib.sh"
command -v sipsak >/dev/null || fail "sipsak is not installed"
command -v sipp >/dev/null || fail "sipp (Debian sip-tester) is not installed"

cat >server.ini <<INI
[server]
domain = example.test
log_level = info
INI
srv_start core --config server.ini --no-auth

# sipsak OPTIONS over UDP: 200 OK naming our methods.
timeout 10 sipsak -vv -s "sip:127.0.0.1:$PORT" >sipsak.out 2>&1 || fail "sipsak OPTIONS failed"
grep -q "^SIP/2.0 200 OK" sipsak.out || fail "no 200 to OPTIONS"
grep -q "^Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER" sipsak.out || fail "200 to OPTIONS lacks Allow"

# SIPp OPTIONS over TCP (the bench scenario), 20 calls.
timeout 30 sipp "127.0.0.1:$PORT" -sf "$SIPHON_SHARED/bench-server/scenarios/options_uac.xml" \
	-s bench -i 127.0.0.1 -t t1 -m 20 -r 50 -nostdin -recv_timeout 5000 -timeout 25s \
	-trace_stat -stf sipp_tcp.csv >sipp_tcp.out 2>&1 || fail "SIPp OPTIONS over TCP failed"

python3 - "$PORT" <<'PY' || fail "core answers"
import sys
import re
from sipclient import Client
port = int(sys.argv[1])
for proto in ("udp", "tcp"):
    c = Client(proto, port)
    r = c.request("OPTIONS", "sip:example.test", "sip:example.test")
    assert r.status == 200, r
    assert "REGISTER" in r.get("allow"), r
    assert r.get("supported") == "path", r
    assert r.get("accept") == "application/sdp", r
    assert ";tag=" in r.get("to"), r
    assert "received=127.0.0.1" in r.get("via") and "rport=%d" % c.lport in r.get("via"), r
    r = c.request("FOO", "sip:example.test", "sip:example.test")
    assert r.status == 405 and r.get("allow").startswith("INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER"), r
    # INVITE goes to the proxy: nobody by that name (no user, no binding): 404,
    # then the hop-by-hop ACK (same branch, the 404's To) ends the transaction.
    r = c.request("INVITE", "sip:bob@example.test", "sip:bob@example.test")
    assert r.status == 404, r
    branch = re.search(r"branch=([^;\s]+)", r.get("via")).group(1)
    ack = c.build("ACK", "sip:bob@example.test", "sip:bob@example.test", cseq=c.cseq, branch=branch)
    c.send_raw(re.sub(r"(?m)^To: .*$", "To: " + r.get("to"), ack, count=1))
    r = c.request("OPTIONS", "sip:example.test", "sip:example.test",
                  ["Require: path, foo, 100rel"])
    assert r.status == 420 and r.get("unsupported") == "foo, 100rel", r
    msg = c.build("OPTIONS", "sip:example.test", "sip:example.test").replace("CSeq: %d OPTIONS" % c.cseq,
                                                                            "CSeq: %d INFO" % c.cseq)
    c.send_raw(msg)
    r = c.recv()
    assert r.status == 400 and "CSeq" in r.reason, r
    r = c.request("OPTIONS", "mailto:a@example.test", "sip:example.test")
    assert r.status == 416, r
    # REGISTER for another domain: not ours (10.3 step 1), no proxy: 404.
    r = c.request("REGISTER", "sip:other.test", "sip:alice@other.test",
                  ["Contact: <sip:alice@127.0.0.1:5999>"])
    assert r.status == 404, r
    # To in another domain than the Request-URI's (10.3 step 5): 404.
    r = c.request("REGISTER", "sip:example.test", "sip:alice@other.test",
                  ["Contact: <sip:alice@127.0.0.1:5999>"])
    assert r.status == 404, r
    c.close()
print("core answers ok")
PY

srv_stop
grep -q "serving domain example.test" core.log || fail "config file domain not used"
grep -q "stopped" core.log || fail "no clean stop logged"
echo "ok"
