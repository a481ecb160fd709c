#!/usr/bin/env bash
# siphon call against SIPp UAS scenarios: answered (100, 180, 200 with SDP, ACK,
# BYE after --duration; exit 0), ringing then 603 (exit 6, meaning and advice,
# ACK), Ctrl-C while ringing (CANCEL, 487), a 401 challenge answered over TCP
# (credentials verified by SIPp) and Ctrl-C hanging up with BYE, a 302 (exit 3,
# the Contacts to try).
. "$(dirname "$0")/toolkit_lib.sh"

sipp_uas up tk_uas_call_200.xml udp
run up 0 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" --duration 0.3
sipp_done
has up '^-> INVITE sip:bob@127\.0\.0\.1:[0-9]+ \(udp:'
has up '^<- 100 Trying  1xx provisional: '
has up '^<- 180 Ringing  1xx provisional: The called user agent is alerting the user\.'
has up '^<- 200 OK  2xx success: The request succeeded\.  \[INVITE, '
has up '^-> ACK sip:sipp@127\.0\.0\.1:[0-9]+;transport=UDP$'
has up '^   answer m=audio 6000 RTP/AVP 0$'
has up '^-> BYE sip:sipp@127\.0\.0\.1:[0-9]+;transport=UDP '
has up '^<- 200 OK  2xx success: The request succeeded\.  \[BYE, '
has up '^call ended$'

sipp_uas dec tk_uas_call_603.xml udp
run dec 6 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" --duration 1
sipp_done
has dec '^<- 180 Ringing'
has dec '^<- 603 Decline  6xx global failure: The callee explicitly declined the call, at every location\.'
has dec '^   what to do: Do not retry elsewhere; Retry-After may say when the callee is available\.$'
hasnt dec '^-> BYE'

# Ctrl-C while ringing: CANCEL, 200 to it, 487 to the INVITE (exit 4).
sipp_uas can tk_uas_call_cancel.xml udp
timeout 20 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" >can.out 2>can.log &
pid=$!
for _ in $(seq 50); do grep -q '^<- 180' can.out && break; sleep 0.1; done
grep -q '^<- 180' can.out || fail "can: no 180"
sigint "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 4 ] || fail "can: exit status $rc, expected 4"
sipp_done
has can '^interrupted: cancelling the call$'
has can '^-> CANCEL sip:bob@127\.0\.0\.1:[0-9]+ '
has can '^<- 200 OK  2xx success: .*\[CANCEL, '
has can '^<- 487 Request Terminated  4xx client error: The request was terminated by a CANCEL'
has can '^call cancelled before it was answered$'

# 401 over TCP answered (SIPp verifies the digest), Ctrl-C hangs up with BYE.
sipp_uas auth tk_uas_call_auth.xml tcp -key user carol -key pass pw9
timeout 20 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" --transport tcp --user carol --password pw9 >auth.out 2>auth.log &
pid=$!
for _ in $(seq 50); do grep -q '^call established' auth.out && break; sleep 0.1; done
grep -q '^call established' auth.out || fail "auth: not established"
sigint "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "auth: exit status $rc, expected 0"
sipp_done
has auth '^<- 401 Unauthorized  4xx client error'
has auth '^-> INVITE sip:bob@127\.0\.0\.1:[0-9]+ \(tcp:127\.0\.0\.1:[0-9]+, with credentials\)$'
has auth '^-> ACK sip:sipp@127\.0\.0\.1:[0-9]+;transport=TCP$'
has auth '^interrupted: hanging up$'
has auth '^<- 200 OK  2xx success: .*\[BYE, '

# 302: exit 3, where to try instead.
sed -e 's/@CODE@/302/' -e 's/@REASON@/Moved Temporarily/' \
	-e 's/OPTIONS|REGISTER|MESSAGE|PUBLISH/INVITE/' \
	-e 's/^Server: sipp-toolkit-test$/Contact: <sip:bob@192.0.2.7:5070>/' "$SCEN/tk_uas_reply.xml" >"$WORK/r302.xml"
python3 - "$WORK/r302.xml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("</scenario>", '  <recv request="ACK"/>\n</scenario>')
open(p, "w").write(s)
PY
sipp_uas moved "$WORK/r302.xml" udp
run moved 3 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" --duration 1
sipp_done
has moved '^<- 302 Moved Temporarily  3xx redirection: '
has moved '^   try: sip:bob@192\.0\.2\.7:5070$'

run u1 2 "$SIPHON" call
run u2 2 "$SIPHON" call "sip:a@127.0.0.1" --duration -1
echo "ok"
