#!/usr/bin/env bash
# siphon serve's events service driven by SIPp (tests/e2e/scenarios/
# events_subscribe_204.xml): 5 watchers, each SUBSCRIBE -> 200 -> NOTIFY with
# SIP-ETag -> a refresh with Suppress-If-Match gets 204 and no NOTIFY follows ->
# unsubscribe -> NOTIFY terminated. Every call must succeed.
source "$(dirname "$0")/server_lib.sh"
command -v sipp >/dev/null || fail "sipp (Debian sip-tester) is not installed"

srv_start events --domain example.test --no-auth
timeout 40 sipp "127.0.0.1:$PORT" -sf "$E2E/scenarios/events_subscribe_204.xml" -i 127.0.0.1 \
	-t u1 -m 5 -r 10 -nostdin -recv_timeout 5000 -timeout 30s -trace_stat -stf sipp.csv \
	>sipp.out 2>&1 || fail "SIPp events scenario failed"
python3 - <<'PY' || fail "SIPp statistics"
import csv
rows = list(csv.reader(open("sipp.csv"), delimiter=";"))
h = rows[0]
last = rows[-1]
ok = int(last[h.index("SuccessfulCall(C)")])
bad = int(last[h.index("FailedCall(C)")])
assert ok == 5 and bad == 0, (ok, bad)
print("sipp: %d calls ok" % ok)
PY
srv_stop
echo PASS
