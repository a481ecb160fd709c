# Helpers for tests/e2e/test_txn_*.sh: txn_peer (build/tests/e2e/txn_peer) against
# SIPp on 127.0.0.1 only, every process bounded by `timeout`.
set -euo pipefail

: "${SIPHON:?SIPHON (path to build/siphon) must be set}"
: "${SIPHON_SRC:?SIPHON_SRC must be set}"
PEER="$(dirname "$SIPHON")/tests/e2e/txn_peer"
SCEN="$SIPHON_SRC/tests/e2e/scenarios"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

[ -x "$PEER" ] || { echo "missing $PEER"; exit 1; }
command -v sipp >/dev/null || { echo "sipp (Debian sip-tester) is not installed"; exit 1; }

. "$SIPHON_SRC/tests/e2e/common.sh"

# Start txn_peer as UAS in the background: peer_start NAME PROTO ARGS...; sets PEER_PORT.
peer_start() {
	local name=$1 proto=$2
	shift 2
	timeout -k 5 --foreground 40 "$PEER" --listen "$proto:127.0.0.1:0" "$@" >"$name.out" 2>"$name.log" &
	PEER_PID=$!
	for _ in $(seq 50); do
		PEER_PORT=$(awk '$1 == "listen" { print $3; exit }' "$name.out")
		[ -n "$PEER_PORT" ] && return 0
		sleep 0.1
	done
	fail "$name: txn_peer did not report its port"
}

# After SIPp is done: end the UAS peer (SIGTERM) and check it exits cleanly.
# (peer_start runs it under `timeout --foreground`, so the TERM reaches it once:
# without --foreground timeout also signals its process group, and a second TERM
# can land after the peer has stopped watching for it.)
peer_stop() {
	kill -TERM "$PEER_PID" 2>/dev/null || true
	local rc=0
	wait "$PEER_PID" || rc=$?
	[ "$rc" = 0 ] || fail "txn_peer exited with status $rc"
}

# sipp_uac NAME SCENARIO PROTO PORT: one call to 127.0.0.1:PORT; SIPp must succeed.
sipp_uac() {
	local name=$1 scen=$2 proto=$3 port=$4 t
	[ "$proto" = udp ] && t=u1 || t=t1
	timeout -k 5 30 sipp -sf "$SCEN/$scen" -i 127.0.0.1 -p "$(free_port "$proto")" -t "$t" -m 1 \
		-timeout 20s -timeout_error -nostdin -trace_err -error_file "$name.sipp.log" \
		"127.0.0.1:$port" >"$name.sipp.out" 2>&1 || fail "$name: SIPp failed"
}

# sipp_uas_start NAME SCENARIO PROTO: SIPp waits for one call; sets SIPP_PORT.
sipp_uas_start() {
	local name=$1 scen=$2 proto=$3 t
	[ "$proto" = udp ] && t=u1 || t=t1
	SIPP_PORT=$(free_port "$proto")
	timeout -k 5 30 sipp -sf "$SCEN/$scen" -i 127.0.0.1 -p "$SIPP_PORT" -t "$t" -m 1 \
		-timeout 20s -timeout_error -nostdin -trace_err -error_file "$name.sipp.log" \
		>"$name.sipp.out" 2>&1 &
	SIPP_PID=$!
	wait_port "$proto" "$SIPP_PORT"
}

sipp_wait() {
	wait "$SIPP_PID" || fail "$1: SIPp failed"
}

# count NAME PATTERN: lines of NAME.out equal to PATTERN.
count() {
	grep -cx "$2" "$1.out" || true
}

expect_count() {
	local name=$1 pattern=$2 want=$3 got
	got=$(count "$name" "$pattern")
	[ "$got" = "$want" ] || fail "$name: '$pattern' seen $got times, want $want"
}

# expect_range NAME PATTERN MIN MAX: a count that timer drift may shorten. Timer
# A is re-armed when it fires (RFC 3261 17.1.1.2), so on a loaded machine late
# firings push the last retransmission past Timer B/F's fixed deadline.
expect_range() {
	local name=$1 pattern=$2 lo=$3 hi=$4 got
	got=$(count "$name" "$pattern")
	[ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ] || fail "$name: '$pattern' seen $got times, want $lo..$hi"
}

# expect_none_after NAME FIRST LATER: no LATER line after the first FIRST line.
expect_none_after() {
	local name=$1 first=$2 later=$3
	awk -v a="$first" -v b="$later" '$0 == a { seen = 1 } seen && $0 == b { bad = 1 } END { exit bad }' "$name.out" ||
		fail "$name: '$later' after '$first'"
}
