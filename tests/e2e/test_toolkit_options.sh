#!/usr/bin/env bash
# siphon options against SIPp UAS scenarios: 2xx (exit 0, explained, round-trip
# time), a 4xx and a 6xx (their classes as exit statuses and the catalogue's advice),
# no answer at all (exit 7), --count, --json, TCP, and usage errors (exit 2).
. "$(dirname "$0")/toolkit_lib.sh"

# 200 over UDP, explained, with a round-trip time.
sipp_reply ok udp 200 OK
run ok 0 "$SIPHON" options "sip:127.0.0.1:$SIPP_PORT"
sipp_done
has ok '^-> OPTIONS sip:127\.0\.0\.1:[0-9]+ \(udp:127\.0\.0\.1:[0-9]+\)$'
has ok '^<- 200 OK  2xx success: The request succeeded\.  \[OPTIONS, [0-9]+\.[0-9] ms\]$'

# 200 over TCP.
sipp_reply tcp tcp 200 OK
run tcp 0 "$SIPHON" options "sip:127.0.0.1:$SIPP_PORT;transport=tcp"
sipp_done
has tcp '^-> OPTIONS .*\(tcp:127\.0\.0\.1:[0-9]+\)$'
has tcp '^<- 200 OK  2xx success'

# 404: exit 4, the explanation and what to do.
sipp_reply nf udp 404 "Not Found"
run nf 4 "$SIPHON" options "sip:nobody@127.0.0.1:$SIPP_PORT"
sipp_done
has nf '^<- 404 Not Found  4xx client error: '
has nf '^   what to do: '

# 603: exit 6.
sipp_reply dec udp 603 Decline
run dec 6 "$SIPHON" options "sip:127.0.0.1:$SIPP_PORT"
sipp_done
has dec '^<- 603 Decline  6xx global failure: The callee explicitly declined'

# 503: exit 5; --json gives one object per event with the explanation.
sipp_reply js udp 503 "Service Unavailable"
run js 5 "$SIPHON" options "sip:127.0.0.1:$SIPP_PORT" --json
sipp_done
has js '^\{"event":"request","method":"OPTIONS",'
has js '^\{"event":"response","method":"OPTIONS","code":503,"reason":"Service Unavailable","final":true,.*"class":"5xx".*"explanation":"[^"]+".*"action":"[^"]+"'
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' js.out || fail "js: not one JSON object per line"

# Nobody answers: exit 7 after --timeout.
port=$(free_port udp)
start=$(date +%s)
run lost 7 "$SIPHON" options "sip:127.0.0.1:$port" --timeout 1
[ $(( $(date +%s) - start )) -le 5 ] || fail "lost: --timeout 1 took too long"
has lost '^<- no final response to OPTIONS \(timeout after 1\.0 s\): treated as 408'

# --count 3 --interval 0.1 against a UAS answering three pings.
sipp_reply cnt udp 200 OK -m 3
run cnt 0 "$SIPHON" options "sip:127.0.0.1:$SIPP_PORT" --count 3 --interval 0.1
sipp_done
[ "$(grep -c '^<- 200 OK' cnt.out)" -eq 3 ] || fail "cnt: expected three 200s"
has cnt '^--- sip:127\.0\.0\.1:[0-9]+: 3 sent, 3 answered 2xx, 3 answered, rtt min/avg/max [0-9.]+/[0-9.]+/[0-9.]+ ms$'

# Usage errors: exit 2.
run u1 2 "$SIPHON" options
run u2 2 "$SIPHON" options "http://example.com"
run u3 2 "$SIPHON" options "sip:127.0.0.1" --transport sctp
run u4 2 "$SIPHON" options "sip:127.0.0.1" --count 0
echo "ok"
