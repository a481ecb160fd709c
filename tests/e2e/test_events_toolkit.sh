#!/usr/bin/env bash
# The toolkit against the events server, with authentication: `siphon subscribe`
# (bob watches alice) prints the initial NOTIFY ('closed': no publication);
# `siphon publish` (alice, open, a note) gets 200 with an entity tag and bob's
# subscriber prints a NOTIFY with the note; Ctrl-C (SIGINT) unsubscribes and the
# final NOTIFY says terminated.
source "$(dirname "$0")/server_lib.sh"

D=example.test
for u in alice bob; do
	"$SIPHON" user add "$u@$D" --password "pw-$u" --db "$DB" >>user.out || fail "user add $u"
done
srv_start toolkit --domain "$D"

timeout 20 "$SIPHON" subscribe "sip:alice@$D" --event presence --expires 60 --user bob \
	--password pw-bob --proxy "127.0.0.1:$PORT" --verbose >sub.out 2>&1 &
SUB=$!
for _ in $(seq 50); do grep -q "NOTIFY #1" sub.out && break; sleep 0.1; done
grep -q "NOTIFY #1  state active" sub.out || fail "no initial NOTIFY in siphon subscribe's output"
grep -q "<basic>closed</basic>" sub.out || fail "the initial NOTIFY is not the closed document"

timeout 10 "$SIPHON" publish "sip:alice@$D" --status open --note "at the desk" --user alice \
	--password pw-alice --proxy "127.0.0.1:$PORT" >pub.out 2>&1 || fail "siphon publish failed"
grep -q "^<- 200 OK" pub.out || fail "PUBLISH not answered 200"
grep -q "entity tag " pub.out || fail "no entity tag for the publication"

for _ in $(seq 50); do grep -q "NOTIFY #2" sub.out && break; sleep 0.1; done
grep -q "<note>at the desk</note>" sub.out || fail "the publication did not reach the subscriber"

kill -INT "$SUB"
wait "$SUB" || true
grep -q "unsubscribed" sub.out || fail "Ctrl-C did not unsubscribe"
grep -q "state terminated" sub.out || fail "no final NOTIFY terminated"
# The notifier's Contact is the address the SUBSCRIBE reached (RFC 3261 12.1.1),
# not the domain, and the unsubscribe sent to it is taken by the events service.
grep -q "^Contact: <sip:127\.0\.0\.1:$PORT>" sub.out || fail "the notifier's Contact is not its address"
grep -q "^SUBSCRIBE sip:127\.0\.0\.1:$PORT SIP/2\.0" sub.out || fail "the unsubscribe did not go to the Contact"
[ "$(grep -c '^<- 200 OK .*\[SUBSCRIBE' sub.out)" -eq 2 ] || fail "the unsubscribe was not answered 200"
srv_stop
echo PASS
