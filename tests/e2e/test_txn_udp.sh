#!/usr/bin/env bash
# Transactions over real UDP sockets (src/txn on src/net) against SIPp, 127.0.0.1:
#  1. lost ACK: the 486 is retransmitted by Timer G (500, 1500 ms) until the ACK,
#     then never again (RFC 3261 17.2.1);
#  2. duplicate INVITE: absorbed by the server transaction, the TU sees one request;
#     100 Trying after 200 ms since the TU is slow (17.2.1);
#  3. request retransmission: OPTIONS resent by Timer E (500, 1500 ms) until SIPp's
#     late 200 (17.1.2.2), which reaches the TU once;
#  4. Timer F: SIPp never answers the OPTIONS: E retransmits, F times out, the TU
#     gets its 408 (T1 = 50 ms so F is 3.2 s);
#  5. Timer B: the same for an INVITE (A doubles without a cap).
source "$(dirname "$0")/txn_lib.sh"

# 1. Lost ACK.
peer_start lostack udp --run-ms 30000
sipp_uac lostack txn_uac_lost_ack.xml udp "$PEER_PORT"
peer_stop
expect_count lostack "request INVITE" 1
expect_count lostack "send 486" 3
expect_count lostack "recv ACK" 1
expect_none_after lostack "recv ACK" "send 486"
grep -q "486 <----------         1         2" lostack.sipp.out || fail "lostack: SIPp did not count 2 retransmitted 486"

# 2. Duplicate INVITE.
peer_start dup udp --answer-delay 1000 --run-ms 30000
sipp_uac dup txn_uac_dup_invite.xml udp "$PEER_PORT"
peer_stop
expect_count dup "recv INVITE" 2
expect_count dup "request INVITE" 1
expect_count dup "send 100" 1
expect_count dup "send 486" 1
expect_count dup "recv ACK" 1

# 3. Request retransmission (T4 = 500 ms so Timer K ends the transaction quickly).
sipp_uas_start late txn_uas_late_200.xml udp
timeout -k 5 20 "$PEER" --listen udp:127.0.0.1:0 --t4 500 --uac OPTIONS --to "udp:127.0.0.1:$SIPP_PORT" \
	--run-ms 10000 >late.out 2>late.log || fail "late: txn_peer failed"
sipp_wait late
expect_count late "send OPTIONS" 3
expect_count late "response 200" 1
expect_count late "result 200" 1
expect_count late "terminated K" 1

# 4. Timer F: E at 50, 150, 350, 750, 1550, 3150 ms, F at 3200 ms.
sipp_uas_start silentf txn_uas_silent_options.xml udp
timeout -k 5 20 "$PEER" --listen udp:127.0.0.1:0 --t1 50 --uac OPTIONS --to "udp:127.0.0.1:$SIPP_PORT" \
	--run-ms 10000 >silentf.out 2>silentf.log || fail "silentf: txn_peer failed"
sipp_wait silentf
expect_range silentf "send OPTIONS" 6 7
expect_count silentf "timeout F" 1
expect_count silentf "result 408" 1
expect_count silentf "terminated F" 1

# 5. Timer B: A at 50, 150, 350, 750, 1550, 3150 ms, B at 3200 ms.
sipp_uas_start silentb txn_uas_silent_invite.xml udp
timeout -k 5 20 "$PEER" --listen udp:127.0.0.1:0 --t1 50 --uac INVITE --to "udp:127.0.0.1:$SIPP_PORT" \
	--run-ms 10000 >silentb.out 2>silentb.log || fail "silentb: txn_peer failed"
sipp_wait silentb
expect_range silentb "send INVITE" 6 7
expect_count silentb "timeout B" 1
expect_count silentb "result 408" 1
expect_count silentb "terminated B" 1
echo "PASS: transactions over UDP"
