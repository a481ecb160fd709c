#!/usr/bin/env bash
# siphon message against SIPp: delivered (200, exit 0, the body sent as text/plain),
# a 401 answered (MD5 verified by SIPp), 480 (exit 4 with advice), --json.
. "$(dirname "$0")/toolkit_lib.sh"

sipp_reply ok udp 200 OK
run ok 0 "$SIPHON" message "sip:bob@127.0.0.1:$SIPP_PORT" "hello there" --verbose
sipp_done
has ok '^-> MESSAGE sip:bob@127\.0\.0\.1:[0-9]+ \(udp:'
has ok '^Content-Type: text/plain;charset=UTF-8'
has ok '^hello there$'
has ok '^<- 200 OK  2xx success: The request succeeded\.  \[MESSAGE, '

# tk_uas_auth.xml echoes a REGISTER's Contact; a MESSAGE has none.
sed '/last_Contact/d' "$SCEN/tk_uas_auth.xml" >"$WORK/auth_msg.xml"
sipp_uas auth "$WORK/auth_msg.xml" udp -key user dave -key pass pp -key expires 0
run auth 0 "$SIPHON" message "sip:bob@127.0.0.1:$SIPP_PORT" "hi" --user dave --password pp
sipp_done
has auth "^   answering the server challenge as user 'dave'$"
has auth '^<- 200 OK  2xx success: .*\[MESSAGE, '

sipp_reply away udp 480 "Temporarily Unavailable"
run away 4 "$SIPHON" message "sip:bob@127.0.0.1:$SIPP_PORT" "are you there?"
sipp_done
has away '^<- 480 Temporarily Unavailable  4xx client error: '
has away '^   what to do: '

sipp_reply js udp 202 Accepted
run js 0 "$SIPHON" message "sip:bob@127.0.0.1:$SIPP_PORT" "later" --json
sipp_done
has js '^\{"event":"response","method":"MESSAGE","code":202,'
has js '^\{"event":"accepted","text":"   accepted for later delivery \(202\): not yet delivered"\}$'

run u1 2 "$SIPHON" message "sip:bob@127.0.0.1"
echo "ok"
