#!/usr/bin/env bash
# siphon serve as proxy with authentication on (RFC 3261 22.3): an INVITE from a user
# of the domain is challenged with 407 Proxy-Authenticate; with Proxy-Authorization it
# goes on (480: the callee has no binding); credentials of another user than the From
# user: 403; a call from another domain is not challenged; the ACK of each non-2xx is
# absorbed (no retransmission of the final response after it).
source "$(dirname "$0")/server_lib.sh"
DB="$WORK/siphon.db"
printf 'secret\nsecret\n' | "$SIPHON" user add alice@127.0.0.1 --db "$DB" >/dev/null
printf 'other\nother\n' | "$SIPHON" user add bob@127.0.0.1 --db "$DB" >/dev/null
srv_start proxy --domain 127.0.0.1 --log-level debug

python3 - "$PORT" <<'PY' || fail "proxy authentication"
import os, sys
from sipclient import Client, CRLF

port = int(sys.argv[1])
RURI = "sip:bob@127.0.0.1"

def invite(c, frm, extra=(), cseq=1, call_id=None):
    branch = "z9hG4bK" + os.urandom(6).hex()
    hdrs = ["Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (c.lport, branch),
            "Max-Forwards: 70", "From: <%s>;tag=%s" % (frm, c.tag), "To: <%s>" % RURI,
            "Call-ID: %s" % (call_id or c.call_id), "CSeq: %d INVITE" % cseq,
            "Contact: <sip:x@127.0.0.1:%d>" % c.lport] + list(extra) + ["Content-Length: 0"]
    c.send_raw("INVITE %s SIP/2.0%s%s%s%s" % (RURI, CRLF, CRLF.join(hdrs), CRLF, CRLF))
    r = c.recv()
    while r.status < 200:
        r = c.recv()
    # The hop-by-hop ACK (17.1.1.3): same branch, the response's To.
    ack = ["Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (c.lport, branch), "Max-Forwards: 70",
           "From: <%s>;tag=%s" % (frm, c.tag), "To: %s" % r.get("to"),
           "Call-ID: %s" % (call_id or c.call_id), "CSeq: %d ACK" % cseq, "Content-Length: 0"]
    c.send_raw("ACK %s SIP/2.0%s%s%s%s" % (RURI, CRLF, CRLF.join(ack), CRLF, CRLF))
    return r

def proxy_auth(chal, user, password, cseq):
    a = Client.authorization(chal, user, password, "INVITE", RURI, nc=1)
    return "Proxy-" + a

c = Client("udp", port)
r = invite(c, "sip:alice@127.0.0.1")
assert r.status == 407, r
chals = r.all("proxy-authenticate")
assert chals and not r.all("www-authenticate"), r
md5 = [v for v in chals if "MD5" in v and "SHA" not in v]
assert md5, chals
r = invite(c, "sip:alice@127.0.0.1", [proxy_auth(md5[0], "alice", "secret", 2)], cseq=2)
assert r.status == 480, r  # authenticated; bob exists but has no binding
assert r.reason == "Temporarily Unavailable (no registered contact)", r.reason

# alice's credentials on a request whose From is bob: 403.
c2 = Client("udp", port)
r = invite(c2, "sip:bob@127.0.0.1")
assert r.status == 407, r
ch = [v for v in r.all("proxy-authenticate") if "SHA" not in v][0]
r = invite(c2, "sip:bob@127.0.0.1", [proxy_auth(ch, "alice", "secret", 2)], cseq=2)
assert r.status == 403, r

# A caller from another domain is not one of ours to challenge.
c3 = Client("udp", port)
r = invite(c3, "sip:carol@example.org")
assert r.status == 480, r

# No retransmission of a final response once its ACK came (the server transaction
# absorbed it: Confirmed).
c3.sock.settimeout(1.2)
try:
    extra = c3.recv()
    raise AssertionError("final response retransmitted after the ACK: %r" % extra)
except OSError:
    pass
print("auth ok")
PY
srv_stop
echo ok
