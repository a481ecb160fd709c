#!/usr/bin/env bash
# Interoperability: siphon publish and siphon subscribe against Kamailio's presence
# server (presence + presence_xml, Debian kamailio-presence-modules) with its own
# configuration on loopback (tests/e2e/kamailio/presence.cfg) and a db_text
# database in the test's directory. Every PUBLISH and initial SUBSCRIBE is
# challenged (401, qop=auth); commands run with --verbose so the headers sent are
# checked too. Covered: a publication (entity tag), a watcher's NOTIFY with
# the PIDF pretty-printed, a modification with SIP-If-Match seen by the running
# watcher as a new NOTIFY, in-dialog refreshes answered 200 + NOTIFY (Kamailio
# has no RFC 5839: no entity tag, so no Suppress-If-Match and no 204 claimed),
# Ctrl-C unsubscribing (terminated NOTIFY, exit 0), a fetch (Expires 0) over TCP,
# a body-less refresh, removal, a stale entity tag (412), --keep refreshes and
# removal on Ctrl-C, and an event package Kamailio does not serve (489, exit 4).
. "$(dirname "$0")/toolkit_lib.sh"

# The package's db_text schema files (a header line per table) for the tables
# presence and presence_xml use, plus the version table they check at start.
SCHEMA=/usr/share/kamailio/dbtext/kamailio
DB="$WORK/db"
mkdir -p "$DB"
for t in version presentity active_watchers watchers xcap; do
	[ -f "$SCHEMA/$t" ] || fail "no db_text schema $SCHEMA/$t (Debian package kamailio)"
	cp "$SCHEMA/$t" "$DB/"
done
KAM_CFG=presence.cfg kam_start pres -A "DBURL=\"text://$DB\""
K="127.0.0.1:$KAM_PORT"
AUTH=(--password kamsecret --timeout 5 --verbose)

# etag NAME: the entity tag the publish run NAME printed.
etag() {
	local e
	e=$(sed -n 's/^   entity tag \([^ ,]*\), expires in [0-9]* s$/\1/p' "$1.out" | tail -1)
	[ -n "$e" ] || fail "$1: no entity tag printed"
	echo "$e"
}

# wait_line NAME REGEX COUNT: NAME.out (written by a background command) has at
# least COUNT lines matching REGEX within 10 s.
wait_line() {
	for _ in $(seq 100); do
		[ "$(grep -Ec -- "$2" "$1.out" || true)" -ge "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: fewer than $3 lines matching '$2' after 10 s"
}

# alice publishes "open" with a note: challenged, then 200 with an entity tag.
run pub 0 "$SIPHON" publish "sip:alice@$K" --status open --note "in a meeting" --expires 60 "${AUTH[@]}"
has pub "^-> PUBLISH sip:alice@127\\.0\\.0\\.1:$KAM_PORT \\(udp:127\\.0\\.0\\.1:$KAM_PORT\\)$"
has pub '^<- 401 Unauthorized  4xx client error: '
has pub "^   answering the server challenge as user 'alice'$"
has pub "^-> PUBLISH sip:alice@127\\.0\\.0\\.1:$KAM_PORT \\(udp:127\\.0\\.0\\.1:$KAM_PORT, with credentials\\)$"
has pub '^<- 200 OK  2xx success: The request succeeded\.  \[PUBLISH, '
has pub '^   entity tag [^ ]+, expires in 60 s$'
E1=$(etag pub)

# bob watches alice: Expires 2, so the subscription is refreshed every second
# inside the dialog while it runs.
timeout 20 "$SIPHON" subscribe "sip:alice@$K" --event presence --from "sip:bob@$K" --expires 2 \
	"${AUTH[@]}" >sub.out 2>sub.log &
pid=$!
wait_line sub '^<- NOTIFY #1  state active' 1

# alice modifies her publication (SIP-If-Match with a new body): "closed".
run mod 0 "$SIPHON" publish "sip:alice@$K" --etag "$E1" --status closed --note "gone home" --expires 60 "${AUTH[@]}"
has mod '^<- 200 OK  2xx success: The request succeeded\.  \[PUBLISH, '
E2=$(etag mod)
[ "$E2" != "$E1" ] || fail "mod: the entity tag did not change"

# The watcher sees "closed" and then a refresh (200 and a NOTIFY again, no 204).
wait_line sub '^   \|       <basic>closed</basic>$' 1
wait_line sub '^<- 200 OK  2xx success: .*\[SUBSCRIBE, ' 2
wait_line sub '^<- NOTIFY #[0-9]+  state active' 3
sigint "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "sub: exit status $rc, expected 0"
has sub "^-> SUBSCRIBE sip:alice@127\\.0\\.0\\.1:$KAM_PORT \\(udp:127\\.0\\.0\\.1:$KAM_PORT\\)$"
has sub '^<- 401 Unauthorized  4xx client error: '
has sub "^   answering the server challenge as user 'bob'$"
has sub '^<- NOTIFY #1  state active \(expires in [12] s\)  application/pidf\+xml$'
has sub "^   \\| <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@127\\.0\\.0\\.1:$KAM_PORT\">$"
has sub '^   \|       <basic>open</basic>$'
has sub '^   \|     <note>in a meeting</note>$'
has sub '^   \|     <note>gone home</note>$'
# The modification replaced the first state: no NOTIFY shows "open" after "closed".
sed -n '/<basic>closed<\/basic>/,$p' sub.out | grep -q '<basic>open</basic>' &&
	fail "sub: 'open' still notified after the modification"
# Refreshes go inside the dialog, to Kamailio's Contact.
has sub "^-> SUBSCRIBE sip:127\\.0\\.0\\.1:$KAM_PORT;transport=udp \\(udp:127\\.0\\.0\\.1:$KAM_PORT(, with credentials)?\\)$"
has sub '^   refreshing in 1\.0 s \(Ctrl-C unsubscribes\)$'
# Kamailio's NOTIFYs carry no SIP-ETag (no RFC 5839): nothing conditional is
# claimed, and each refresh's 200 is followed by a full NOTIFY.
hasnt sub 'Suppress-If-Match|^<- 204|no NOTIFY will follow|  etag '
awk '/^-> SUBSCRIBE sip:127/{r=1} r && /^<- 200 OK .*\[SUBSCRIBE, /{r=2} r == 2 && /^<- NOTIFY #[0-9]+  state active/{n++; r=0}
	END{exit !(n >= 1)}' sub.out || fail "sub: no refresh answered 200 and then a NOTIFY"
has sub '^interrupted: unsubscribing \(Expires: 0\)$'
has sub '^unsubscribed$'
has sub '^<- NOTIFY #[0-9]+  state terminated \(reason timeout\)  application/pidf\+xml$'
has sub '^subscription terminated: timeout$'

# A fetch (RFC 6665 4.4.3: Expires 0) over TCP: one terminated NOTIFY with the
# current state.
run fetch 0 "$SIPHON" subscribe "sip:alice@$K" --event presence --from "sip:bob@$K" --expires 0 \
	--transport tcp "${AUTH[@]}"
has fetch "^-> SUBSCRIBE sip:alice@127\\.0\\.0\\.1:$KAM_PORT \\(tcp:127\\.0\\.0\\.1:$KAM_PORT, with credentials\\)$"
has fetch '^a fetch \(Expires: 0\): one NOTIFY with the current state follows$'
has fetch '^<- NOTIFY #1  state terminated \(reason timeout\)  application/pidf\+xml$'
has fetch '^   \|       <basic>closed</basic>$'

# A refresh of the publication: SIP-If-Match, no body; a new entity tag.
run ref 0 "$SIPHON" publish "sip:alice@$K" --etag "$E2" --expires 60 "${AUTH[@]}" --verbose
has ref "^SIP-If-Match: $E2"
has ref '^<- 200 OK  2xx success: The request succeeded\.  \[PUBLISH, '
hasnt ref '^Content-Type:'
E3=$(etag ref)
[ "$E3" != "$E2" ] || fail "ref: the entity tag did not change"

# The replaced entity tag is stale now: 412, explained (exit 4).
run stale 4 "$SIPHON" publish "sip:alice@$K" --etag "$E2" --expires 60 "${AUTH[@]}"
has stale '^<- 412 Conditional request failed  4xx client error: A conditional PUBLISH failed'
has stale "^   the server no longer knows entity tag '$E2': publish the full state again$"

# Removal: Expires 0 with SIP-If-Match.
run rm 0 "$SIPHON" publish "sip:alice@$K" --etag "$E3" --remove "${AUTH[@]}" --verbose
has rm '^Expires: 0'
has rm "^SIP-If-Match: $E3"
has rm '^<- 200 OK  2xx success: The request succeeded\.  \[PUBLISH, '
has rm '^publication removed$'
run rm2 4 "$SIPHON" publish "sip:alice@$K" --etag "$E3" --remove "${AUTH[@]}"
has rm2 '^<- 412 Conditional request failed  4xx client error: '

# --keep: refreshed with SIP-If-Match every second, removed on Ctrl-C. The
# credentials answer the one challenge again with the next nonce count (qop=auth,
# RFC 7616 3.4): Kamailio accepts them, no second 401.
timeout 20 "$SIPHON" publish "sip:alice@$K" --status open --expires 2 --keep "${AUTH[@]}" >keep.out 2>keep.log &
pid=$!
wait_line keep '^   entity tag [^ ]+, expires in 2 s$' 2
sigint "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "keep: exit status $rc, expected 0"
[ "$(grep -c '^<- 401 Unauthorized' keep.out)" -eq 1 ] || fail "keep: expected one 401"
has keep '^WWW-Authenticate: Digest .*qop="auth"'
has keep '^Authorization: Digest username="alice", .*qop=auth, nc=00000002'
has keep '^   refreshing in 1\.0 s with SIP-If-Match \(Ctrl-C removes the publication\)$'
E4=$(etag keep)
has keep "^interrupted: removing the publication \\(Expires: 0, SIP-If-Match: $E4\\)$"
has keep '^publication removed$'

# An event package Kamailio does not serve here: 489 with what it serves (exit 4).
run bad 4 "$SIPHON" subscribe "sip:alice@$K" --event message-summary --from "sip:bob@$K" "${AUTH[@]}"
has bad '^<- 401 Unauthorized  4xx client error: '
has bad '^<- 489 Bad Event  4xx client error: The server does not understand or support the event package'
has bad '^   what to do: Use one of the packages in the Allow-Events header of the response\.$'
has bad '^   the notifier serves: .*\bpresence\b'
hasnt bad '^<- NOTIFY'
kam_stop
echo "ok"
