#!/usr/bin/env bash
# Transactions over real TCP connections (src/txn on src/net) against SIPp,
# 127.0.0.1. A reliable transport: no retransmissions, Timers D/I/J/K are 0.
#  1. the ACK comes 2.2 s late: the 486 is sent once (no Timer G), the ACK confirms;
#  2. duplicate INVITE on the connection: absorbed, the TU sees one request;
#  3. OPTIONS answered late: sent once, the 200 reaches the TU, K = 0;
#  4. Timer F and 5. Timer B: sent once, timeout and 408 at 64*T1 (T1 = 50 ms); the
#     peer keeps the connection open until SIPp's scenario is over (--linger-ms).
source "$(dirname "$0")/txn_lib.sh"

peer_start lostack tcp --run-ms 30000
sipp_uac lostack txn_uac_lost_ack.xml tcp "$PEER_PORT"
peer_stop
expect_count lostack "request INVITE" 1
expect_count lostack "send 486" 1
expect_count lostack "recv ACK" 1
expect_count lostack "terminated I" 1

peer_start dup tcp --answer-delay 1000 --run-ms 30000
sipp_uac dup txn_uac_dup_invite.xml tcp "$PEER_PORT"
peer_stop
expect_count dup "recv INVITE" 2
expect_count dup "request INVITE" 1
expect_count dup "send 100" 1
expect_count dup "send 486" 1

sipp_uas_start late txn_uas_late_200.xml tcp
timeout -k 5 20 "$PEER" --listen tcp:127.0.0.1:0 --uac OPTIONS --to "tcp:127.0.0.1:$SIPP_PORT" \
	--run-ms 10000 >late.out 2>late.log || fail "late: txn_peer failed"
sipp_wait late
expect_count late "send OPTIONS" 1
expect_count late "response 200" 1
expect_count late "terminated K" 1

sipp_uas_start silentf txn_uas_silent_options.xml tcp
timeout -k 5 20 "$PEER" --listen tcp:127.0.0.1:0 --t1 50 --uac OPTIONS --to "tcp:127.0.0.1:$SIPP_PORT" \
	--linger-ms 2000 --run-ms 10000 >silentf.out 2>silentf.log || fail "silentf: txn_peer failed"
sipp_wait silentf
expect_count silentf "send OPTIONS" 1
expect_count silentf "timeout F" 1
expect_count silentf "result 408" 1

sipp_uas_start silentb txn_uas_silent_invite.xml tcp
timeout -k 5 20 "$PEER" --listen tcp:127.0.0.1:0 --t1 50 --uac INVITE --to "tcp:127.0.0.1:$SIPP_PORT" \
	--linger-ms 2000 --run-ms 10000 >silentb.out 2>silentb.log || fail "silentb: txn_peer failed"
sipp_wait silentb
expect_count silentb "send INVITE" 1
expect_count silentb "timeout B" 1
expect_count silentb "result 408" 1
echo "PASS: transactions over TCP"
