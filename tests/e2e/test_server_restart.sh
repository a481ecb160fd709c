#!/usr/bin/env bash
# Durability (shared/DESIGN.md: a kill -9 loses nothing acknowledged): SIPp registers
# 300 AORs over UDP, the server is killed with SIGKILL the moment SIPp has its last
# 200, and after a restart every one of them is there; a binding acknowledged just
# before the kill is there too, and a short binding restored at start still expires
# on time (its timer is restored). Over TCP the same for a handful of bindings.
source "$(dirname "$0")/server_lib.sh"
command -v sipp >/dev/null || fail "sipp (Debian sip-tester) is not installed"

printf '[registrar]\nmin_expires = 1\n' >server.ini
srv_start run1 --domain 127.0.0.1 --no-auth --config server.ini
timeout 60 sipp "127.0.0.1:$PORT" -sf "$SIPHON_SHARED/bench-server/scenarios/register_uac.xml" \
	-key aor_prefix k -i 127.0.0.1 -t u1 -m 300 -r 300 -nostdin -recv_timeout 5000 -timeout 50s \
	-trace_stat -stf sipp.csv >sipp.out 2>&1 || fail "SIPp REGISTER run failed"
# The last REGISTERs, each killed right after its 200.
python3 - "$PORT" "$SRV_CHILD" <<'PY' || fail "register then kill"
import os, signal, sys
from sipclient import Client
port, pid = int(sys.argv[1]), int(sys.argv[2])
c = Client("tcp", port)
r = c.request("REGISTER", "sip:127.0.0.1", "sip:short@127.0.0.1", ["Contact: <sip:short@127.0.0.1:5020>;expires=4"])
assert r.status == 200, r
r = c.request("REGISTER", "sip:127.0.0.1", "sip:last@127.0.0.1", ["Contact: <sip:last@127.0.0.1:5021>;expires=600"])
assert r.status == 200, r
os.kill(pid, signal.SIGKILL)
print("killed after the 200")
PY
wait "$SRV_PID" 2>/dev/null || true
SRV_PID=
SRV_CHILD=
ok=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i=="SuccessfulCall(C)") c=i} END{print $c}' sipp.csv)
[ "$ok" = 300 ] || fail "SIPp: $ok of 300 REGISTERs succeeded"

srv_start run2 --domain 127.0.0.1 --no-auth --config server.ini
grep -q "restored 302 bindings of 302 AORs" run2.log || fail "not every binding restored"
python3 - "$PORT" <<'PY' || fail "bindings after restart"
import sys, time
from sipclient import Client
port = int(sys.argv[1])
c = Client("udp", port)
for i in range(1, 301):
    r = c.request("REGISTER", "sip:127.0.0.1", "sip:k%d@127.0.0.1" % i)
    assert r.status == 200 and len(r.contacts()) == 1, (i, r)
    (uri, exp), = r.contacts().items()
    assert uri.startswith("sip:k%d@127.0.0.1:" % i) and 3500 < exp <= 3600, (i, r)
r = c.request("REGISTER", "sip:127.0.0.1", "sip:last@127.0.0.1")
assert r.contacts().keys() == {"sip:last@127.0.0.1:5021"}, r
r = c.request("REGISTER", "sip:127.0.0.1", "sip:short@127.0.0.1")
assert r.contacts().keys() == {"sip:short@127.0.0.1:5020"}, r
time.sleep(4.5)
r = c.request("REGISTER", "sip:127.0.0.1", "sip:short@127.0.0.1")
assert r.status == 200 and r.contacts() == {}, r
print("restored ok")
PY
srv_stop
echo "ok"
