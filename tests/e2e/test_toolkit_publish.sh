#!/usr/bin/env bash
# siphon publish against SIPp as an event state compositor (RFC 3903): the PIDF
# document (status, escaped note), the entity tag, a refresh with SIP-If-Match and
# no body, removal on Ctrl-C (SIP-If-Match, Expires 0): SIPp checks each; a refresh
# of an unknown entity tag -> 412 (exit 4, explained); usage errors.
. "$(dirname "$0")/toolkit_lib.sh"

sipp_uas keep tk_uas_publish.xml udp
timeout 20 "$SIPHON" publish "sip:alice@127.0.0.1:$SIPP_PORT" --status open --note "at lunch & back" \
	--expires 2 --keep --verbose >keep.out 2>keep.log &
pid=$!
for _ in $(seq 60); do grep -q '^   entity tag et2' keep.out && break; sleep 0.1; done
grep -q '^   entity tag et2' keep.out || fail "keep: no refresh"
sigint "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "keep: exit status $rc"
sipp_done
has keep '^Event: presence'
has keep '^Content-Type: application/pidf\+xml'
has keep '^<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@127\.0\.0\.1:[0-9]+">$'
has keep '^    <status><basic>open</basic></status>$'
has keep '^    <note>at lunch &amp; back</note>$'
has keep '^   entity tag et1, expires in 2 s$'
has keep '^SIP-If-Match: et1'
has keep '^interrupted: removing the publication \(Expires: 0, SIP-If-Match: et2\)$'
has keep '^publication removed$'

sipp_reply gone udp 412 "Conditional Request Failed"
run gone 4 "$SIPHON" publish "sip:alice@127.0.0.1:$SIPP_PORT" --etag old1 --expires 60
sipp_done
has gone '^<- 412 Conditional Request Failed  4xx client error: '
has gone "^   the server no longer knows entity tag 'old1': publish the full state again$"

run u1 2 "$SIPHON" publish "sip:alice@127.0.0.1"
run u2 2 "$SIPHON" publish "sip:alice@127.0.0.1" --status busy
run u3 2 "$SIPHON" publish "sip:alice@127.0.0.1" --remove
echo "ok"
