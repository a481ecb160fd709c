#!/usr/bin/env bash
# siphon serve with digest authentication (RFC 3261 22, RFC 7616, RFC 8760) over UDP
# and TCP: a REGISTER without credentials gets 401 with a SHA-256 then an MD5
# challenge (qop=auth); SHA-256 and MD5 credentials register; a wrong password gets
# 403; a replayed nonce count gets 401 stale=true; another user's AOR gets 403; an
# expired nonce gets stale=true; SIPp answers the MD5 challenge (server offering MD5
# only, as SIPp reads just the first challenge).
source "$(dirname "$0")/server_lib.sh"
command -v sipp >/dev/null || fail "sipp (Debian sip-tester) is not installed"

D=example.test
"$SIPHON" user add "alice@$D" --password 'secret a' --db "$DB" >user.out || fail "user add alice"
"$SIPHON" user add "bob@$D" --password 'bobpw' --db "$DB" >>user.out || fail "user add bob"
printf '[auth]\nnonce_lifetime = 2\n' >server.ini
srv_start auth --domain "$D" --config server.ini

python3 - "$PORT" <<'PY' || fail "authentication"
import sys, time
from sipclient import Client, digest_params
port = int(sys.argv[1])
D = "example.test"
RURI = "sip:%s" % D
AOR = "sip:alice@%s" % D

for proto in ("udp", "tcp"):
    c = Client(proto, port)
    ct = ["Contact: <sip:alice-%s@127.0.0.1:5010>" % proto, "Expires: 300"]
    r = c.request("REGISTER", RURI, AOR, ct)
    assert r.status == 401, r
    chal = r.all("www-authenticate")
    assert len(chal) == 2, r
    p0, p1 = digest_params(chal[0]), digest_params(chal[1])
    assert p0["algorithm"] == "SHA-256" and p1["algorithm"] == "MD5", r
    assert p0["realm"] == D and p0["qop"] == "auth", r
    for alg in ("SHA-256", "MD5"):
        r = c.request("REGISTER", RURI, AOR, ct)
        assert r.status == 401, r
        auth = Client.authorization(Client.pick(r, alg), "alice", "secret a", "REGISTER", RURI)
        r = c.request("REGISTER", RURI, AOR, ct + [auth])
        assert r.status == 200 and "sip:alice-%s@127.0.0.1:5010" % proto in r.contacts(), (alg, r)
        # The same nonce and nc again: a replay, refused with stale=true.
        r = c.request("REGISTER", RURI, AOR, ct + [auth])
        assert r.status == 401 and digest_params(r.all("www-authenticate")[0]).get("stale") == "true", r
    # The next nc of the same nonce is accepted.
    r = c.request("REGISTER", RURI, AOR, ct)
    ch = Client.pick(r, "SHA-256")
    r = c.request("REGISTER", RURI, AOR, ct + [Client.authorization(ch, "alice", "secret a", "REGISTER", RURI, nc=1)])
    assert r.status == 200, r
    r = c.request("REGISTER", RURI, AOR, ct + [Client.authorization(ch, "alice", "secret a", "REGISTER", RURI, nc=2)])
    assert r.status == 200, r
    # Wrong password: 403.
    r = c.request("REGISTER", RURI, AOR, ct)
    r = c.request("REGISTER", RURI, AOR, ct + [Client.authorization(Client.pick(r, "MD5"), "alice", "nope", "REGISTER", RURI)])
    assert r.status == 403, r
    # Unknown user: 403 as well (no user enumeration).
    r = c.request("REGISTER", RURI, "sip:mallory@%s" % D, ct)
    r = c.request("REGISTER", RURI, "sip:mallory@%s" % D,
                  ct + [Client.authorization(Client.pick(r, "MD5"), "mallory", "x", "REGISTER", RURI)])
    assert r.status == 403, r
    # Bob authenticates correctly but registers Alice's AOR: 403 (10.3 step 4).
    r = c.request("REGISTER", RURI, AOR, ct)
    r = c.request("REGISTER", RURI, AOR, ct + [Client.authorization(Client.pick(r, "SHA-256"), "bob", "bobpw", "REGISTER", RURI)])
    assert r.status == 403 and "owner" in r.reason, r
    # An expired nonce (lifetime 2 s here): 401 with stale=true.
    r = c.request("REGISTER", RURI, AOR, ct)
    ch = Client.pick(r, "SHA-256")
    time.sleep(2.5)
    r = c.request("REGISTER", RURI, AOR, ct + [Client.authorization(ch, "alice", "secret a", "REGISTER", RURI)])
    assert r.status == 401 and digest_params(r.all("www-authenticate")[0]).get("stale") == "true", r
    # OPTIONS is not challenged.
    r = c.request("OPTIONS", RURI, RURI)
    assert r.status == 200, r
    c.close()
print("auth ok")
PY
srv_stop

# SIPp's [authentication] answers MD5 only, and only the first challenge.
printf '[auth]\nalgorithms = md5\n' >md5.ini
"$SIPHON" user add bob@127.0.0.1 --password bobpw --db "$DB" >>user.out || fail "user add bob@127.0.0.1"
srv_start auth_md5 --domain 127.0.0.1 --config md5.ini
for t in u1 t1; do
	timeout 30 sipp "127.0.0.1:$PORT" -sf "$E2E/scenarios/server_register_auth.xml" \
		-key user bob -au bob -ap bobpw -i 127.0.0.1 -t "$t" -m 5 -r 10 \
		-nostdin -recv_timeout 5000 -timeout 25s >"sipp_$t.out" 2>&1 || fail "SIPp MD5 REGISTER ($t)"
done
timeout 30 sipp "127.0.0.1:$PORT" -sf "$E2E/scenarios/server_register_auth.xml" \
	-key user bob -au bob -ap wrong -i 127.0.0.1 -m 1 \
	-nostdin -recv_timeout 3000 -timeout 10s >sipp_wrong.out 2>&1 && fail "SIPp with a wrong password registered"
grep -q "403" sipp_wrong.out || fail "SIPp with a wrong password did not get 403"
srv_stop
echo "ok"
