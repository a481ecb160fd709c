#!/usr/bin/env bash
# Interoperability: the toolkit against Kamailio (a third-party registrar and
# proxy) with its own configuration on loopback (tests/e2e/kamailio/toolkit.cfg):
# OPTIONS, REGISTER with MD5 and SHA-256 digest over UDP and TCP, a wrong password,
# MESSAGE to an unknown user and relayed to a registered one, a declined call, and a call relayed by Kamailio to a
# SIPp UAS (Record-Route: ACK and BYE follow the route set).
. "$(dirname "$0")/toolkit_lib.sh"

kam_start md5
K="127.0.0.1:$KAM_PORT"

run opt 0 "$SIPHON" options "sip:$K" --timeout 5
has opt '^<- 200 Keepalive  2xx success: The request succeeded\.'

run reg 0 "$SIPHON" register "sip:alice@$K" --password kamsecret --expires 120 --timeout 5
has reg '^<- 401 Unauthorized  4xx client error'
has reg "^   answering the server challenge as user 'alice'$"
has reg '^<- 200 OK  2xx success'
has reg '^   binding sip:alice@127\.0\.0\.1:[0-9]+ expires in 120 s$'

run regtcp 0 "$SIPHON" register "sip:alice@$K" --transport tcp --password kamsecret --expires 60 --timeout 5
has regtcp '^<- 200 OK  2xx success'
has regtcp '^   binding sip:alice@127\.0\.0\.1:[0-9]+;transport=tcp expires in 60 s$'

# Wrong password: Kamailio challenges again; that second 401 is final (exit 4).
run bad 4 "$SIPHON" register "sip:alice@$K" --password nope --timeout 5
[ "$(grep -c '^<- 401 Unauthorized' bad.out)" -eq 2 ] || fail "bad: expected two 401s"
has bad '^   what to do: .*A 401 again after that means wrong credentials\.$'

# MESSAGE to a user with no binding: 404 (exit 4).
run msg 4 "$SIPHON" message "sip:nobody@$K" "hello" --timeout 5
has msg '^<- 404 Not Found  4xx client error'

# A declined call: 603 (exit 6) with what it means and what to do.
run dec 6 "$SIPHON" call "sip:decline@$K" --timeout 5
has dec '^<- 603 Decline  6xx global failure: The callee explicitly declined the call'
has dec '^   what to do: Do not retry elsewhere'

# Through Kamailio as a proxy: carol's binding (registered with alice's
# credentials: the configuration checks only those) points at a SIPp UAS; Kamailio
# looks it up, Record-Routes and relays. The 2xx's route set makes the ACK and the
# BYE go through Kamailio (loose routing) to SIPp, which checks each arrives.
sipp_uas up tk_uas_call_200.xml udp
run bind 0 "$SIPHON" register "sip:carol@$K" --user alice --password kamsecret \
	--contact "sip:carol@127.0.0.1:$SIPP_PORT" --expires 60 --timeout 5
has bind "^   binding sip:carol@127\\.0\\.0\\.1:$SIPP_PORT expires in 60 s$"
run up 0 "$SIPHON" call "sip:carol@$K" --duration 0.3 --timeout 5 --verbose
sipp_done
has up '^Record-Route: <sip:127\.0\.0\.1:[0-9]+;lr[;>]'
has up '^<- 180 Ringing  1xx provisional'
has up '^<- 200 OK  2xx success: The request succeeded\.  \[INVITE, '
has up "^Route: <sip:127\\.0\\.0\\.1:$KAM_PORT;lr[;>]"
has up "^--- sent to udp:127\\.0\\.0\\.1:$KAM_PORT \\([0-9]+ bytes\\)$"
has up '^-> ACK sip:sipp@127\.0\.0\.1:[0-9]+;transport=UDP$'
has up "^-> BYE sip:sipp@127\\.0\\.0\\.1:[0-9]+;transport=UDP \\(udp:127\\.0\\.0\\.1:$KAM_PORT\\)$"
has up '^<- 200 OK  2xx success: .*\[BYE, '

# MESSAGE relayed by Kamailio to a registered SIPp UAS.
sipp_reply im udp 200 OK
run bind2 0 "$SIPHON" register "sip:dave@$K" --user alice --password kamsecret \
	--contact "sip:dave@127.0.0.1:$SIPP_PORT" --expires 60 --timeout 5
run im 0 "$SIPHON" message "sip:dave@$K" "hello through kamailio" --timeout 5
sipp_done
has im '^<- 200 OK  2xx success: The request succeeded\.  \[MESSAGE, '
kam_stop

# SHA-256 digest (RFC 7616, RFC 8760).
kam_start sha -A ALGO_SHA256
K="127.0.0.1:$KAM_PORT"
run sha 0 "$SIPHON" register "sip:alice@$K" --password kamsecret --expires 60 --timeout 5 --verbose
has sha '^WWW-Authenticate: Digest .*algorithm=SHA-256'
has sha '^Authorization: Digest .*algorithm=SHA-256'
has sha '^<- 200 OK  2xx success'
kam_stop
echo "ok"
