#!/usr/bin/env bash
# siphon call and the dialogs of one call, against SIPp UAS scenarios:
# (a) forked answers (RFC 3261 13.2.2.4, 12.1.2): two early dialogs (one per To
#     tag), two 200s with different To tags, Contacts and route sets; each is
#     ACKed in its own dialog (SIPp checks Request-URI, To tag, Route), the second
#     is ended with a BYE at once and its retransmission ACKed again in its own
#     dialog; the first stays the call and gets the BYE after --duration;
# (b) the callee re-INVITEs (14.2, RFC 3264 8): hold with a new Contact (200 with
#     Contact and an answer; the 200 retransmitted until the late ACK, 13.3.1.4;
#     the BYE goes to the new Contact, 12.2.2), a re-INVITE without SDP (our offer
#     in the 200, the answer in the ACK), a re-INVITE while that offer is pending
#     (491), an UPDATE with SDP (200 with an answer, RFC 3311), OPTIONS (200,
#     Allow); every SDP siphon sent keeps its session id and increments its
#     version by one (RFC 3264 8).
. "$(dirname "$0")/toolkit_lib.sh"

# (a) forked answers.
sipp_uas fork tk_uas_call_fork.xml udp
run fork 0 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" --duration 1.5
sipp_done
has fork '^   early dialog with tag [0-9]+forkA at sip:fork-a@127\.0\.0\.1:[0-9]+$'
has fork '^   early dialog with tag [0-9]+forkB at sip:fork-b@127\.0\.0\.1:[0-9]+$'
has fork '^call established with sip:fork-a@127\.0\.0\.1:[0-9]+$'
has fork '^second answer from sip:fork-b@127\.0\.0\.1:[0-9]+ \(tag [0-9]+forkB\): ACKed and ended with BYE$'
[ "$(grep -c '^-> ACK sip:fork-a@' fork.out)" -eq 1 ] || fail "fork: forkA's 200 not ACKed exactly once"
[ "$(grep -c '^-> ACK sip:fork-b@' fork.out)" -eq 2 ] || fail "fork: forkB's 200 and its retransmission not ACKed twice"
# The order: forkB's BYE right after its answer, the call's BYE last.
grep -E '^-> (BYE|ACK) |^call ended' fork.out | sed -E 's/@.*//' | tr '\n' ' ' >fork.order
[ "$(cat fork.order)" = "-> ACK sip:fork-a -> ACK sip:fork-b -> BYE sip:fork-b -> ACK sip:fork-b -> BYE sip:fork-a call ended " ] ||
	fail "fork: order of ACKs and BYEs: $(cat fork.order)"

# (b) re-INVITE, UPDATE and OPTIONS from the callee.
sipp_uas reinv tk_uas_call_reinvite.xml udp
run reinv 0 "$SIPHON" call "sip:bob@127.0.0.1:$SIPP_PORT" --duration 2.5 --verbose
sipp_done
has reinv '^<- re-INVITE from sip:sipp@127\.0\.0\.1:[0-9]+;transport=UDP: session refreshed, offer answered \(the callee puts the call on hold\)$'
has reinv '^   remote target now sip:sipp-moved@127\.0\.0\.1:[0-9]+;transport=UDP \(RFC 3261 12\.2\.2 target refresh\)$'
has reinv '^<- re-INVITE from sip:sipp-moved@[^ ]+ without an offer: session refreshed, our offer goes in the 200$'
has reinv '^<- re-INVITE while our offer waits for its answer: 491 \(RFC 3261 14\.2\)$'
has reinv '^-> 491 Request Pending \(to the INVITE\)$'
has reinv '^   the ACK answers our offer$'
has reinv '^<- UPDATE from sip:sipp-moved@[^ ]+: session refreshed, offer answered$'
has reinv '^-> 200 OK \(to the UPDATE\)$'
has reinv '^<- OPTIONS in the call$'
has reinv '^-> BYE sip:sipp-moved@127\.0\.0\.1:[0-9]+;transport=UDP '
[ "$(grep -c '^<- ACK for our 200 to the re-INVITE$' reinv.out)" -eq 2 ] || fail "reinv: two re-INVITE ACKs expected"
python3 - reinv.out <<'PY' || fail "reinv: the messages siphon sent"
import re, sys
text = open(sys.argv[1]).read()
sent = re.findall(r"^--- sent to \S+ \(\d+ bytes\)\n(.*?)^---$", text, re.S | re.M)
def cseq(m):
    return re.search(r"^CSeq: (\d+ \w+)", m, re.M).group(1)
def origin(m):
    o = re.search(r"^o=siphon (\d+) (\d+) IN IP4 ", m, re.M)
    assert o, m
    return int(o.group(1)), int(o.group(2))
invite = [m for m in sent if m.startswith("INVITE ")][0]
sess, v0 = origin(invite)
ok = {c: [m for m in sent if m.startswith("SIP/2.0 200 OK") and cseq(m) == c]
      for c in ("1 INVITE", "2 INVITE", "4 UPDATE")}
# 13.3.1.4: the 200 to the re-INVITE whose ACK came 1.2 s late was sent again
# (T1 = 0.5 s), byte for byte; the one ACKed at once only once.
assert len(ok["1 INVITE"]) >= 2 and len(set(ok["1 INVITE"])) == 1, ok["1 INVITE"]
assert len(ok["2 INVITE"]) == 1 and len(ok["4 UPDATE"]) == 1, ok
for c in ok:
    assert re.search(r"^Contact: <sip:siphon@127\.0\.0\.1:\d+>$", ok[c][0], re.M), ok[c][0]
    assert "Content-Type: application/sdp" in ok[c][0], ok[c][0]
# RFC 3264 8: same session id, the version one up for each new description.
assert origin(ok["1 INVITE"][0]) == (sess, v0 + 1)
assert origin(ok["2 INVITE"][0]) == (sess, v0 + 2)
assert origin(ok["4 UPDATE"][0]) == (sess, v0 + 3)
assert "a=recvonly" in ok["1 INVITE"][0] and "m=audio 49170 RTP/AVP 0 8 101" in ok["2 INVITE"][0]
assert re.search(r"^m=audio 49170 RTP/AVP 8\r?$", ok["4 UPDATE"][0], re.M), ok["4 UPDATE"][0]
# 491 for the offer that crossed ours.
assert [m for m in sent if m.startswith("SIP/2.0 491") and cseq(m) == "3 INVITE"]
# The BYE follows the refreshed target, with the next CSeq of our side.
bye = [m for m in sent if m.startswith("BYE ")][0]
assert bye.startswith("BYE sip:sipp-moved@"), bye
assert int(cseq(bye).split()[0]) == int(cseq(invite).split()[0]) + 1, (cseq(invite), cseq(bye))
print("messages ok")
PY
echo "ok"
