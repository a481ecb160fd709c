#!/usr/bin/env bash
# siphon register against SIPp: a 401 challenge answered with MD5 digest that SIPp
# verifies (verifyauth) -> 200 and the binding shown; a wrong password -> 403
# (exit 4, the catalogue's advice); no password -> the 401 itself (exit 4); --keep:
# refresh, then Ctrl-C removes the binding with Expires: 0.
. "$(dirname "$0")/toolkit_lib.sh"

sipp_uas auth tk_uas_auth.xml udp -key user alice -key pass s3cret -key expires 60
run auth 0 "$SIPHON" register "sip:alice@127.0.0.1:$SIPP_PORT" --password s3cret --expires 60
sipp_done
has auth '^-> REGISTER sip:127\.0\.0\.1:[0-9]+ \(udp:'
has auth '^<- 401 Unauthorized  4xx client error: The request requires user authentication'
has auth "^   answering the server challenge as user 'alice'$"
has auth '^-> REGISTER sip:127\.0\.0\.1:[0-9]+ \(udp:127\.0\.0\.1:[0-9]+, with credentials\)$'
has auth '^<- 200 OK  2xx success'
has auth '^   binding sip:alice@127\.0\.0\.1:[0-9]+ expires in 60 s$'
hasnt auth 'what to do'

# --user differs from the AOR's user; TCP.
sipp_uas tcp tk_uas_auth.xml tcp -key user bob -key pass pw -key expires 30
run tcp 0 "$SIPHON" register "sip:alice@127.0.0.1:$SIPP_PORT" --transport tcp --user bob --password pw --expires 30
sipp_done
has tcp "^   answering the server challenge as user 'bob'$"
has tcp '^   binding sip:alice@127\.0\.0\.1:[0-9]+;transport=tcp expires in 30 s$'

sipp_uas bad tk_uas_auth.xml udp -key user alice -key pass s3cret -key expires 60
run bad 4 "$SIPHON" register "sip:alice@127.0.0.1:$SIPP_PORT" --password wrong
sipp_done
has bad '^<- 403 Forbidden  4xx client error: '
has bad '^   what to do: Do not retry with the same credentials'

sipp_reply nopw udp 401 Unauthorized
run nopw 4 "$SIPHON" register "sip:alice@127.0.0.1:$SIPP_PORT"
sipp_done
has nopw '^<- 401 Unauthorized  4xx client error'
has nopw '^   what to do: Answer the challenge'

# --keep: register (expires=2), refresh after 1 s, Ctrl-C -> Expires: 0.
sipp_uas keep tk_uas_register_keep.xml udp
timeout 20 "$SIPHON" register "sip:alice@127.0.0.1:$SIPP_PORT" --keep --expires 2 >keep.out 2>keep.log &
pid=$!
for _ in $(seq 60); do
	[ "$(grep -c '^<- 200 OK' keep.out)" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c '^<- 200 OK' keep.out)" -ge 2 ] || fail "keep: no refresh"
sigint "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "keep: exit status $rc"
sipp_done
has keep '^   registered; refreshing in 1\.0 s \(Ctrl-C unregisters\)$'
has keep '^interrupted: removing the binding \(Expires: 0\)$'
has keep '^unregistered sip:alice@127\.0\.0\.1:[0-9]+$'
echo "ok"
