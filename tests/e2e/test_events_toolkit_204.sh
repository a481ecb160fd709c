#!/usr/bin/env bash
# RFC 5839 end to end with the toolkit on both sides: `siphon subscribe` refreshes
# with Suppress-If-Match and `siphon serve` answers 204 No Notification while the
# subscriber's state is current, a publication in between gets a NOTIFY with the
# new entity tag, and the next refresh (naming that tag) is 204 again. Also the
# reg (RFC 3680) and message-summary (RFC 3842) packages through `siphon subscribe`.
# [events] min_expires = 1 lets a 2 s subscription refresh every second.
source "$(dirname "$0")/server_lib.sh"

D=example.test
for u in alice bob; do
	"$SIPHON" user add "$u@$D" --password "pw-$u" --db "$DB" >>user.out || fail "user add $u"
done
printf '[events]\nmin_expires = 1\n' >ev.ini
srv_start ev204 --domain "$D" --config ev.ini
PX=(--proxy "127.0.0.1:$PORT")

# wait_for FILE PATTERN: up to 5 s.
wait_for() {
	for _ in $(seq 50); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
	fail "timed out waiting for '$2' in $1"
}

timeout 20 "$SIPHON" subscribe "sip:alice@$D" --event presence --expires 2 --user bob \
	--password pw-bob "${PX[@]}" >sub.out 2>&1 &
SUB=$!
wait_for sub.out "NOTIFY #1  state active"
tag1=$(sed -n 's/^<- NOTIFY #1 .* etag \([^ ]*\) .*/\1/p' sub.out)
[ -n "$tag1" ] || fail "no entity tag in the first NOTIFY"
# The refresh ~1 s later holds that state: 204, no NOTIFY.
wait_for sub.out "^<- 204 No Notification"
grep -q "^   no NOTIFY will follow: the state with entity tag $tag1 is current (RFC 5839)$" sub.out ||
	fail "the 204 does not name the current tag $tag1"
grep -q "NOTIFY #2" sub.out && fail "a NOTIFY was sent after the 204"

timeout 10 "$SIPHON" publish "sip:alice@$D" --status open --note "back at 3" --user alice \
	--password pw-alice "${PX[@]}" >pub.out 2>&1 || fail "siphon publish failed"
wait_for sub.out "NOTIFY #2  state active"
grep -q "<note>back at 3</note>" sub.out || fail "the publication's note did not reach the subscriber"
tag2=$(sed -n 's/^<- NOTIFY #2 .* etag \([^ ]*\) .*/\1/p' sub.out)
[ -n "$tag2" ] && [ "$tag2" != "$tag1" ] || fail "the new state has no new entity tag ($tag1 / $tag2)"
wait_for sub.out "entity tag $tag2 is current"
kill -INT "$SUB"
wait "$SUB" || fail "siphon subscribe did not exit 0 after Ctrl-C"
grep -q "^unsubscribed$" sub.out || fail "Ctrl-C did not unsubscribe"
[ "$(grep -c '^<- NOTIFY' sub.out)" -eq 3 ] || fail "expected exactly 3 NOTIFYs (initial, publication, final)"

# reg package: alice watches her own registrations; a REGISTER shows up.
timeout 20 "$SIPHON" subscribe "sip:alice@$D" --event reg --expires 60 --user alice \
	--password pw-alice "${PX[@]}" >reg.out 2>&1 &
SUB=$!
wait_for reg.out "NOTIFY #1  state active"
grep -q "application/reginfo+xml" reg.out || fail "reg NOTIFY is not reginfo"
timeout 10 "$SIPHON" register "sip:alice@$D" --password pw-alice --contact "sip:alice@127.0.0.1:5999" \
	--expires 60 "${PX[@]}" >r.out 2>&1 || fail "register failed"
wait_for reg.out "NOTIFY #2"
grep -q 'state="active"' reg.out || fail "the reginfo document has no active registration"
grep -q "sip:alice@127.0.0.1:5999" reg.out || fail "the new contact is not in the reginfo document"
kill -INT "$SUB"
wait "$SUB" || fail "reg subscriber did not exit 0"

# message-summary: counts set with `siphon mwi` (another process, through the
# store; the server polls its generation every second) reach the subscriber.
timeout 20 "$SIPHON" subscribe "sip:alice@$D" --event message-summary --expires 60 --user alice \
	--password pw-alice "${PX[@]}" >mwi_sub.out 2>&1 &
SUB=$!
wait_for mwi_sub.out "NOTIFY #1  state active"
grep -q "Messages-Waiting: no" mwi_sub.out || fail "an empty mailbox is not Messages-Waiting: no"
"$SIPHON" mwi set "alice@$D" 2/5 --db "$DB" >mwi.out 2>&1 || fail "mwi set"
wait_for mwi_sub.out "NOTIFY #2  state active"
grep -q "Messages-Waiting: yes" mwi_sub.out || fail "message-summary body lacks Messages-Waiting: yes"
grep -q "Voice-Message: 2/5" mwi_sub.out || fail "message-summary body lacks the counts"
kill -INT "$SUB"
wait "$SUB" || fail "message-summary subscriber did not exit 0"
srv_stop
echo PASS
