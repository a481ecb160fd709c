#!/usr/bin/env bash
# siphon call and siphon message through siphon serve with authentication on (RFC
# 3261 22.3): the proxy challenges a request from a user of its domain with 407
# Proxy-Authenticate; the toolkit prints the explained 407, says it answers it, and
# sends the request again with Proxy-Authorization and the next CSeq (8.1.3.5).
# (a) call to a registered SIPp callee: the call is set up through the proxy's
#     Record-Route; the ACK (the re-sent INVITE's CSeq and credentials, 13.2.2.4)
#     and the BYE (the next CSeq; in the dialog, so not challenged, carrying the
#     cached credentials with nonce count 2) reach the callee; exit 0.
# (b) a wrong password: the proxy answers the re-sent INVITE with 403 (bad
#     credentials), exit 4 with the advice line; the callee never sees an INVITE.
# (c) MESSAGE through the proxy: challenged with 407, answered, delivered (200).
# (d) a call the proxy forks to two callees that both answer: each 200 ACKed in
#     its own dialog, the second ended with BYE at once, the first at the end.
source "$(dirname "$0")/proxy_lib.sh"

printf 'secret\nsecret\n' | "$SIPHON" user add alice@127.0.0.1 --db "$DB" >/dev/null
printf 'bobpw\nbobpw\n' | "$SIPHON" user add bob@127.0.0.1 --db "$DB" >/dev/null
printf 'carolpw\ncarolpw\n' | "$SIPHON" user add carol@127.0.0.1 --db "$DB" >/dev/null
srv_start px --domain 127.0.0.1

run() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 20 "$@" >"$name.out" 2>"$name.log" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, expected $want"
}
has() { grep -Eq -- "$2" "$1.out" || fail "$1: no line matching '$2'"; }
# reg USER PASSWORD PORT: USER's binding to the SIPp callee on PORT, registered with
# the toolkit (401 answered).
reg() {
	run "reg$3" 0 "$SIPHON" register "sip:$1@127.0.0.1" --proxy "127.0.0.1:$PORT" --password "$2" \
		--contact "sip:$1@127.0.0.1:$3;transport=udp" --expires 60 --timeout 5
	has "reg$3" "^   binding sip:$1@127\\.0\\.0\\.1:$3;transport=udp expires in 60 s\$"
}
reg_bob() { reg bob bobpw "$1"; }
CALLER=(--proxy "127.0.0.1:$PORT" --from sip:alice@127.0.0.1 --timeout 5)

# (a) answered after the 407.
U1=$(free_port)
uas c1 proxy_uas_answer.xml udp "$U1"
reg_bob "$U1"
run up 0 "$SIPHON" call sip:bob@127.0.0.1 "${CALLER[@]}" --password secret --duration 0.3 --verbose
uas_wait
has up '^<- 407 Proxy Authentication Required  4xx client error: A proxy requires the client to authenticate itself first; the response carries a challenge\.  \[INVITE, '
has up "^   answering the proxy challenge as user 'alice'\$"
has up "^-> INVITE sip:bob@127\\.0\\.0\\.1 \\(udp:127\\.0\\.0\\.1:$PORT, with credentials\\)\$"
has up '^<- 200 OK  2xx success: The request succeeded\.  \[INVITE, '
has up "^-> ACK sip:127\\.0\\.0\\.1:$U1;transport=UDP\$"
has up '^<- 200 OK  2xx success: The request succeeded\.  \[BYE, '
has up '^call ended$'
grep -q '^   what to do' up.out && fail "up: advice printed for a challenge that was answered"
python3 - up.out <<'PY' || fail "up: the messages siphon sent"
import re, sys
text = open(sys.argv[1]).read()
sent = re.findall(r"^--- sent to \S+ \(\d+ bytes\)\n(.*?)^---$", text, re.S | re.M)
got = re.findall(r"^--- received from \S+ \(\d+ bytes\)\n(.*?)^---$", text, re.S | re.M)
def hdr(m, name):
    x = re.search(r"^%s: (.*?)\r?$" % name, m, re.M)
    return x.group(1) if x else None
invites = [m for m in sent if m.startswith("INVITE ")]
assert len(invites) == 2, len(invites)
assert hdr(invites[0], "Proxy-Authorization") is None
pa = hdr(invites[1], "Proxy-Authorization")
assert pa and 'username="alice"' in pa and 'realm="127.0.0.1"' in pa and 'uri="sip:bob@127.0.0.1"' in pa \
    and "nc=00000001" in pa, pa
assert hdr(invites[0], "CSeq") == "1 INVITE" and hdr(invites[1], "CSeq") == "2 INVITE"
# The same Call-ID and From tag for the re-sent INVITE (8.1.3.5).
assert hdr(invites[0], "Call-ID") == hdr(invites[1], "Call-ID")
assert hdr(invites[0], "From") == hdr(invites[1], "From")
ch = [m for m in got if m.startswith("SIP/2.0 407")]
assert ch and hdr(ch[0], "Proxy-Authenticate"), ch
# The hop-by-hop ACK of the 407 (17.1.1.3): CSeq 1.
assert [m for m in sent if m.startswith("ACK sip:bob@127.0.0.1 ") and hdr(m, "CSeq") == "1 ACK"]
ack = [m for m in sent if m.startswith("ACK sip:127.0.0.1:")]
assert len(ack) == 1 and hdr(ack[0], "CSeq") == "2 ACK", ack
# 13.2.2.4: "The ACK MUST contain the same credentials as the INVITE."
assert hdr(ack[0], "Proxy-Authorization") == pa, ack[0]
assert re.match(r"<sip:127\.0\.0\.1:\d+;lr>", hdr(ack[0], "Route") or ""), ack[0]
bye = [m for m in sent if m.startswith("BYE ")]
assert len(bye) == 1 and hdr(bye[0], "CSeq") == "3 BYE", bye
bpa = hdr(bye[0], "Proxy-Authorization")
assert bpa and "nc=00000002" in bpa and 'uri="sip:127.0.0.1:' in bpa, bpa
assert not [m for m in got if m.startswith("SIP/2.0 407") and hdr(m, "CSeq") == "3 BYE"]
print("messages ok")
PY
traced c1.msg '^ACK sip:' || fail "up: the ACK did not reach the callee"
traced c1.msg '^BYE sip:' || fail "up: the BYE did not reach the callee"

# (b) a wrong password: 403 to the answered challenge.
U2=$(free_port)
uas c2 proxy_uas_answer.xml udp "$U2"
reg_bob "$U2"
run bad 4 "$SIPHON" call sip:bob@127.0.0.1 "${CALLER[@]}" --password wrong --duration 0.3
[ "$(grep -c '^<- 407 Proxy Authentication Required' bad.out)" -eq 1 ] || fail "bad: one 407 expected"
has bad "^   answering the proxy challenge as user 'alice'\$"
has bad '^<- 403 Forbidden \(bad credentials\)  4xx client error: The server understood the request but refuses to fulfil it; authenticating will not help\.  \[INVITE, '
has bad '^   what to do: Do not retry with the same credentials; check account permissions, domain and server policy\.$'
grep -q '^call established' bad.out && fail "bad: a call with a wrong password was set up"
sleep 0.3
[ -s c2.msg ] && traced c2.msg '^INVITE' && fail "bad: the callee saw an INVITE"
kill "${UAS_PIDS[@]}" 2>/dev/null || true
wait "${UAS_PIDS[@]}" 2>/dev/null || true
UAS_PIDS=()

# (c) MESSAGE through the proxy: 407, answered, delivered.
U3=$(free_port)
sed -e 's/@CODE@/200/' -e 's/@REASON@/OK/' "$SC/tk_uas_reply.xml" >"$WORK/msg200.xml"
uas c3 "$WORK/msg200.xml" udp "$U3"
reg_bob "$U3"
run msg 0 "$SIPHON" message sip:bob@127.0.0.1 "hello through the proxy" "${CALLER[@]}" --password secret --verbose
uas_wait
has msg '^<- 407 Proxy Authentication Required  4xx client error: .*\[MESSAGE, '
has msg "^   answering the proxy challenge as user 'alice'\$"
has msg "^-> MESSAGE sip:bob@127\\.0\\.0\\.1 \\(udp:127\\.0\\.0\\.1:$PORT, with credentials\\)\$"
has msg '^Proxy-Authorization: Digest username="alice", realm="127\.0\.0\.1", .*uri="sip:bob@127\.0\.0\.1"'
has msg '^<- 200 OK  2xx success: .*\[MESSAGE, '
traced c3.msg '^hello through the proxy' || fail "msg: the text did not reach the callee"

# (d) forked by the proxy (parallel to both of carol's contacts), both answer 200
#     (13.2.2.4): each 200 is ACKed in its own dialog through the proxy, the
#     second is ended with a BYE at once (its callee finishes while the call
#     still runs), the first gets its BYE at the end of --duration.
U4a=$(free_port)
U4b=$(free_port)
uas c4a tk_uas_fork_answer.xml udp "$U4a"
uas c4b tk_uas_fork_answer.xml udp "$U4b"
reg carol carolpw "$U4a"
reg carol carolpw "$U4b"
timeout 20 "$SIPHON" call sip:carol@127.0.0.1 "${CALLER[@]}" --password secret --duration 2 >fork.out 2>fork.log &
call_pid=$!
first=
for _ in $(seq 30); do
	for k in 0 1; do
		kill -0 "${UAS_PIDS[$k]}" 2>/dev/null || { first=$k; break 2; }
	done
	sleep 0.05
done
[ -n "$first" ] || fail "fork: neither callee got its BYE within 1.5 s"
kill -0 "$call_pid" 2>/dev/null || fail "fork: the call ended before its duration"
wait "${UAS_PIDS[$first]}" || fail "fork: the callee ended first did not complete its scenario"
rc=0; wait "$call_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "fork: exit status $rc"
uas_wait
has fork '^call established with sip:127\.0\.0\.1:[0-9]+;transport=UDP$'
has fork '^second answer from sip:127\.0\.0\.1:[0-9]+;transport=UDP \(tag [0-9]+SIPpTag011\): ACKed and ended with BYE$'
has fork '^call ended$'
[ "$(grep -c '^-> ACK ' fork.out)" -eq 2 ] || fail "fork: two ACKs expected"
[ "$(grep -c '^-> BYE ' fork.out)" -eq 2 ] || fail "fork: two BYEs expected"
# The answer that became the call and the one that was ended are different callees.
call_to=$(sed -n 's/^call established with sip:127\.0\.0\.1:\([0-9]*\);.*/\1/p' fork.out)
extra_to=$(sed -n 's/^second answer from sip:127\.0\.0\.1:\([0-9]*\);.*/\1/p' fork.out)
[ -n "$call_to" ] && [ -n "$extra_to" ] && [ "$call_to" != "$extra_to" ] || fail "fork: the same callee twice"
ended=("$U4a" "$U4b")
[ "${ended[$first]}" = "$extra_to" ] || fail "fork: the callee ended at once is not the second answer's"
for n in c4a c4b; do
	traced $n.msg '^ACK sip:' || fail "fork: $n got no ACK"
	traced $n.msg '^BYE sip:' || fail "fork: $n got no BYE"
done
srv_stop
echo "ok"
