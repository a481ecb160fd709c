#!/usr/bin/env bash
# siphon serve proxying to a registered contact whose TCP port refuses the
# connection. The branch's client transaction opened that connection; its failure
# is a transport error for the transaction at once (RFC 3261 17.1.4), a 503 for
# the proxy (16.7 step 2, 16.9), not a Timer B/F timeout 32 s later:
#   1. MESSAGE (siphon message) to the dead contact only: 500 (16.7 step 6: the
#      only response is a 503) within a second or two;
#   2. INVITE (SIPp) to the dead contact only: 500, also at once;
#   3. INVITE to two q groups: the dead contact first (q=1.0), a SIPp callee
#      second (q=0.5): the call is answered by the callee without waiting.
source "$(dirname "$0")/proxy_lib.sh"
cat >server.ini <<INI
[server]
log_level = info
INI
srv_start proxy --config server.ini --domain 127.0.0.1 --no-auth

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }
# within NAME T0 MAX: the step NAME that started at T0 took at most MAX ms.
within() {
	local took=$(($(now_ms) - $2))
	echo "$1: ${took} ms"
	[ "$took" -le "$3" ] || fail "$1 took $took ms (more than $3): the transport error was not seen"
}

# 1. MESSAGE to a dead TCP contact.
dead1=$(free_port)
register tcp carol "$dead1"
t0=$(now_ms)
set +e
timeout 20 "$SIPHON" message sip:carol@127.0.0.1 "are you there" --proxy "127.0.0.1:$PORT" \
	--transport tcp --timeout 10 >msg.out 2>&1
rc=$?
set -e
within message "$t0" 3000
[ "$rc" -eq 5 ] || fail "message: exit $rc, want 5 (a 5xx)"
grep -q '^<- 500 ' msg.out || fail "message: no 500 in the answer"

# 2. INVITE to a dead TCP contact (the caller over UDP).
dead2=$(free_port)
register tcp dave "$dead2"
t0=$(now_ms)
uac call2 "$(final_sc 500)" udp -key from alice -key mf 70 -key callee dave ||
	fail "INVITE to a dead contact: the caller did not get 500"
within invite "$t0" 4000

# 3. The dead contact is the first q group, a live callee the second.
dead3=$(free_port)
live3=$(free_port)
uas c3 proxy_uas_answer.xml tcp "$live3"
register tcp erin "$dead3" 1.0
register tcp erin "$live3" 0.5
t0=$(now_ms)
uac call3 "$SC/proxy_uac_call.xml" udp -key from alice -key mf 70 -key callee erin ||
	fail "two contacts, the first dead: the call failed"
uas_wait
within failover "$t0" 5000
traced c3.msg '^INVITE sip:erin@127.0.0.1' || fail "failover: the live contact never got the INVITE"
traced call3.msg '^SIP/2.0 200' || fail "failover: the caller did not get the 200"

srv_stop
echo "ok"
