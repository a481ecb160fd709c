#!/usr/bin/env bash
# siphon subscribe against SIPp as a notifier: the 2xx, a NOTIFY printed with its
# state, entity tag and the PIDF body pretty-printed; the refresh inside the dialog
# with Suppress-If-Match of that tag answered 204 No Notification (RFC 5839) and
# shown as such; Ctrl-C unsubscribes (Expires 0) and the terminating NOTIFY ends it
# (exit 0). SIPp checks each request. Also a 489 Bad Event (exit 4), --json, usage.
. "$(dirname "$0")/toolkit_lib.sh"

sipp_uas sub tk_uas_subscribe.xml udp
timeout 20 "$SIPHON" subscribe "sip:bob@127.0.0.1:$SIPP_PORT" --event presence --expires 2 >sub.out 2>sub.log &
pid=$!
for _ in $(seq 60); do grep -q '^<- 204 No Notification' sub.out && break; sleep 0.1; done
grep -q '^<- 204 No Notification' sub.out || fail "sub: no 204"
sigint "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "sub: exit status $rc"
sipp_done
has sub '^-> SUBSCRIBE sip:bob@127\.0\.0\.1:[0-9]+ \(udp:'
has sub '^<- 200 OK  2xx success: .*\[SUBSCRIBE, '
has sub '^<- NOTIFY #1  state active \(expires in 2 s\)  etag e1  application/pidf\+xml$'
has sub '^   \| <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example\.test">$'
has sub '^   \|       <basic>open</basic>$'
has sub '^   \|     <note>in a meeting</note>$'
has sub '^-> SUBSCRIBE sip:sipp@127\.0\.0\.1:[0-9]+;transport=UDP '
has sub '^<- 204 No Notification  2xx success: The conditional SUBSCRIBE succeeded'
has sub '^   no NOTIFY will follow: the state with entity tag e1 is current \(RFC 5839\)$'
has sub '^interrupted: unsubscribing \(Expires: 0\)$'
has sub '^<- NOTIFY #2  state terminated \(reason timeout\)$'
has sub '^subscription terminated: timeout$'

# --json: the NOTIFY as one object.
sipp_uas js tk_uas_subscribe.xml udp
timeout 20 "$SIPHON" subscribe "sip:bob@127.0.0.1:$SIPP_PORT" --event presence --expires 2 --json >js.out 2>js.log &
pid=$!
for _ in $(seq 60); do grep -q '"code":204' js.out && break; sleep 0.1; done
sigint "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "js: exit status $rc"
sipp_done
has js '^\{"event":"notify","state":"active","expires":2,"etag":"e1","content_type":"application/pidf\+xml","body":"<\?xml '
has js '^\{"event":"notify","state":"terminated","reason":"timeout",'
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' js.out || fail "js: not one JSON object per line"

sed -e 's/OPTIONS|REGISTER|MESSAGE|PUBLISH/SUBSCRIBE/' "$SCEN/tk_uas_reply.xml" >"$WORK/sub_reply.xml"
sed -e "s/@CODE@/489/" -e "s/@REASON@/Bad Event/" "$WORK/sub_reply.xml" >"$WORK/sub_489.xml"
sipp_uas bad "$WORK/sub_489.xml" udp
run bad 4 "$SIPHON" subscribe "sip:bob@127.0.0.1:$SIPP_PORT" --event reg
sipp_done
has bad '^<- 489 Bad Event  4xx client error: '
has bad '^   what to do: '

run u1 2 "$SIPHON" subscribe "sip:bob@127.0.0.1"
run u2 2 "$SIPHON" subscribe "sip:bob@127.0.0.1" --event weather
echo "ok"
