# The proxy cases (issue 6) over $PROTO, sourced by test_proxy_udp.sh and
# test_proxy_tcp.sh after proxy_lib.sh. Callee ports are free ports; every AOR is
# used by one case only.
P=$PROTO
kf=(-key from alice -key mf 70)

# 1. Direct call: 200, ACK and BYE through the Record-Route.
U1=$(free_port)
uas c1 proxy_uas_answer.xml "$P" "$U1"
register "$P" bob1 "$U1"
uac call1 "$SC/proxy_uac_call.xml" "$P" "${kf[@]}" -key callee bob1 || fail "$P: direct call failed"
uas_wait
traced c1.msg "Record-Route: <sip:127.0.0.1:$PORT" || fail "$P: no Record-Route in the forwarded INVITE"
traced c1.msg "^Via: SIP/2.0/${P^^} 127.0.0.1:$PORT;branch=z9hG4bK" || fail "$P: the forwarded INVITE lacks the proxy's $P Via"
traced c1.msg "^BYE sip:" || fail "$P: the BYE did not reach the callee"
traced call1.msg "^Record-Route: <sip:127.0.0.1:$PORT" || fail "$P: no Record-Route in the 200"

# 1b. Over TCP, a callee on UDP: the transport changes, so the proxy record-routes
#     twice (RFC 5658), and the ACK and the BYE carrying both Route values still
#     reach the callee.
if [ "$P" = tcp ]; then
	U1b=$(free_port)
	uas c1b proxy_uas_answer.xml udp "$U1b"
	register udp bob1b "$U1b"
	uac call1b "$SC/proxy_uac_call.xml" tcp "${kf[@]}" -key callee bob1b || fail "tcp->udp call failed"
	uas_wait
	traced c1b.msg "^Record-Route: <sip:127.0.0.1:$PORT;lr>, *<sip:127.0.0.1:$PORT;transport=tcp;lr>|^Record-Route: <sip:127.0.0.1:$PORT;lr>" ||
		fail "tcp->udp: no UDP Record-Route on top"
	traced c1b.msg "transport=tcp;lr" || fail "tcp->udp: no TCP Record-Route for the caller's side"
	traced c1b.msg "^Via: SIP/2.0/UDP 127.0.0.1:$PORT;branch=" || fail "tcp->udp: the forwarded INVITE's Via is not UDP"
	traced c1b.msg "^BYE sip:" || fail "tcp->udp: the BYE did not reach the callee"
fi

# 2. 603 from the only contact: relayed, ACK absorbed hop by hop.
U2=$(free_port)
uas c2 "$(uas_final_sc 603 0)" "$P" "$U2"
register "$P" bob2 "$U2"
uac call2 "$(final_sc 603)" "$P" "${kf[@]}" -key callee bob2 || fail "$P: 603 from the only contact not relayed"
uas_wait

# 3. Two contacts: one rings, the other declines: the caller gets 603, the ringing
#    one a CANCEL with Reason: SIP;cause=603 (RFC 3326) and answers 487.
U3a=$(free_port)
U3b=$(free_port)
uas c3a proxy_uas_ring.xml "$P" "$U3a"
uas c3b "$(uas_final_sc 603 300)" "$P" "$U3b"
register "$P" bob3 "$U3a"
register "$P" bob3 "$U3b"
uac call3 "$(final_sc 603)" "$P" "${kf[@]}" -key callee bob3 || fail "$P: ring + 603: the caller did not get 603"
uas_wait
traced c3a.msg '^Reason: SIP;cause=603' || fail "$P: the CANCEL to the ringing device has no Reason cause=603"
traced call3.msg '^SIP/2.0 180' || fail "$P: the 180 was not relayed before the 603"

# 4. Both contacts answer 486: the caller gets 486 (16.7 step 6).
U4a=$(free_port)
U4b=$(free_port)
uas c4a "$(uas_final_sc 486 0)" "$P" "$U4a"
uas c4b "$(uas_final_sc 486 100)" "$P" "$U4b"
register "$P" bob4 "$U4a"
register "$P" bob4 "$U4b"
uac call4 "$(final_sc 486)" "$P" "${kf[@]}" -key callee bob4 || fail "$P: two 486: the caller did not get 486"
uas_wait

# 5. A 2xx and a 6xx racing: the 603 comes first and is held, the 200 that follows
#    still goes upstream (every 2xx is forwarded, 16.7 step 5): the call is set up.
U5a=$(free_port)
U5b=$(free_port)
uas c5a "$(uas_final_sc 603 0)" "$P" "$U5a"
uas c5b proxy_uas_answer.xml "$P" "$U5b"
register "$P" bob5 "$U5a"
register "$P" bob5 "$U5b"
uac call5 "$SC/proxy_uac_call.xml" "$P" "${kf[@]}" -key callee bob5 || fail "$P: 200 racing a 603 did not set the call up"
uas_wait
traced call5.msg '^SIP/2.0 603' && fail "$P: the held 603 went upstream after the 200"

# 5c. Forked 2xx (16.7 step 5, RFC 6026): both contacts answer 200, the second
#     300 ms after the first (it had sent no provisional, so no CANCEL reached it):
#     the caller gets both 200s, with the two callees' To tags, and ACKs each.
U10a=$(free_port)
U10b=$(free_port)
uas c10a "$(uas_final_sc 200 0)" "$P" "$U10a"
uas c10b "$(uas_final_sc 200 300)" "$P" "$U10b"
register "$P" bob10 "$U10a"
register "$P" bob10 "$U10b"
uac call10f "$SC/proxy_uac_fork2.xml" "$P" "${kf[@]}" -key callee bob10 || fail "$P: forked 2xx: the caller did not get both 200s"
uas_wait
[ "$(grep -Eo '^To: .*;tag=[0-9]+SIPpTag01' call10f.msg | sort -u | wc -l)" -eq 2 ] ||
	fail "$P: forked 2xx: the two 200s do not carry the two callees' To tags"

# 5d. A 200 after the final response went upstream: one contact declines (603,
#     held), the other answers 200 only after the decline wait (3 s) sent the 603
#     up. The server transaction is Completed and takes no 2xx: the 200 is
#     discarded (RFC 6026 8.3) and logged; the caller's answer stays the 603.
U11a=$(free_port)
U11b=$(free_port)
uas c11a "$(uas_final_sc 603 0)" "$P" "$U11a"
uas c11b proxy_uas_late200.xml "$P" "$U11b"
register "$P" bob11 "$U11a"
register "$P" bob11 "$U11b"
uac call11l "$SC/proxy_uac_late2xx.xml" "$P" "${kf[@]}" -key callee bob11 || fail "$P: a 200 after the 603 went upstream reached the caller"
uas_wait
grep -q "2xx for the INVITE from .* discarded: its final response already went up (RFC 6026 8.3)" proxy.log ||
	fail "$P: the discarded late 2xx was not logged"

# 5b. q groups (16.6): the q=1.0 contact is tried first; its 486 moves on to the
#     q=0.5 group, which answers. Then a q=1.0 contact that declines (603): no
#     further group is tried (16.7), the q=0.5 device never sees the INVITE.
U8a=$(free_port)
U8b=$(free_port)
uas c8a "$(uas_final_sc 486 0)" "$P" "$U8a"
uas c8b proxy_uas_answer.xml "$P" "$U8b"
register "$P" bob8 "$U8a" 1.0
register "$P" bob8 "$U8b" 0.5
uac call8q "$SC/proxy_uac_call.xml" "$P" "${kf[@]}" -key callee bob8 || fail "$P: q groups: the second group did not answer"
uas_wait
U9a=$(free_port)
U9b=$(free_port)
uas c9a "$(uas_final_sc 603 0)" "$P" "$U9a"
uas c9b "$(uas_final_sc 200 0)" "$P" "$U9b"
c9bpid=${UAS_PIDS[1]}
UAS_PIDS=("${UAS_PIDS[0]}")
register "$P" bob9 "$U9a" 1.0
register "$P" bob9 "$U9b" 0.5
uac call9q "$(final_sc 603)" "$P" "${kf[@]}" -key callee bob9 || fail "$P: q groups: 603 from the first group not relayed"
uas_wait
kill "$c9bpid" 2>/dev/null || true
wait "$c9bpid" 2>/dev/null || true
traced c9b.msg '^INVITE' && fail "$P: a lower q group was tried after a 603"

# 6. The caller's CANCEL: 200 to it, CANCEL to the callee (the caller's Reason
#    copied), 487 upstream.
U6=$(free_port)
uas c6 proxy_uas_ring.xml "$P" "$U6"
register "$P" bob6 "$U6"
uac call6 "$SC/proxy_uac_cancel.xml" "$P" "${kf[@]}" -key callee bob6 || fail "$P: caller CANCEL failed"
uas_wait
traced c6.msg '^Reason: SIP;cause=0;text="caller gave up"' || fail "$P: the caller's Reason was not copied into the CANCEL"

# 7. Timer C (configured 2 s): a callee that rings forever is cancelled, the caller
#    gets 408.
U7=$(free_port)
uas c7 proxy_uas_ring.xml "$P" "$U7"
register "$P" bob7 "$U7"
t0=$(date +%s%N)
uac call7 "$(final_sc 408)" "$P" "${kf[@]}" -key callee bob7 || fail "$P: timer C: no 408"
t1=$(date +%s%N)
uas_wait
ms=$(((t1 - t0) / 1000000))
[ "$ms" -ge 1800 ] && [ "$ms" -le 8000 ] || fail "$P: timer C fired after $ms ms (configured 2000)"

# 8. Max-Forwards 0: 483 (16.3 item 3).
uac call8 "$(final_sc 483)" "$P" -key from alice -key mf 0 -key callee bob1 || fail "$P: Max-Forwards 0: no 483"

# 9. No binding: 480 for a user of the domain, 404 for nobody.
uac call9 "$(final_sc 480)" "$P" "${kf[@]}" -key callee frank || fail "$P: user without binding: no 480"
# The policy of a running server follows the store: frank (cached above) turns DND on.
"$SIPHON" user set frank@127.0.0.1 --dnd on --db "$DB" >/dev/null
sleep 1.3
uac call9b "$(final_sc 603)" "$P" "${kf[@]}" -key callee frank || fail "$P: DND set on a running server not applied"
uac call10 "$(final_sc 404)" "$P" "${kf[@]}" -key callee nobody$P || fail "$P: unknown user: no 404"

# 10. Decline policy: DND (603 with Reason, the callee's device never sees it),
#     blocked callers (603, and 607 when configured, RFC 8197).
U11=$(free_port)
uas c11 "$(uas_final_sc 200 0)" "$P" "$U11"
c11pid=${UAS_PIDS[0]}
UAS_PIDS=() # this callee must stay silent: it is killed below
register "$P" dave "$U11"
uac call11 "$(final_sc 603)" "$P" "${kf[@]}" -key callee dave || fail "$P: DND: no 603"
traced call11.msg '^Reason: SIP;cause=603;text="Do Not Disturb"' || fail "$P: DND 603 without its Reason"
uac call12 "$(final_sc 607)" "$P" -key from mallory -key mf 70 -key callee erin || fail "$P: blocked caller: no 607"
traced call12.msg '^Reason: SIP;cause=607' || fail "$P: 607 without Reason"
uac call13 "$(final_sc 603)" "$P" -key from trudy -key mf 70 -key callee erin || fail "$P: blocked caller: no 603"
traced call13.msg '^Reason: SIP;cause=603' || fail "$P: blocklist 603 without Reason"
kill "$c11pid" 2>/dev/null || true
wait "$c11pid" 2>/dev/null || true
traced c11.msg '^INVITE' && fail "$P: a declined INVITE reached the callee's device"
true
