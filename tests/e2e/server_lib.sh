# Helpers for tests/e2e/test_server_*.sh: build/siphon serve on 127.0.0.1 with a
# fresh database, driven by sipsak, SIPp and tests/e2e/sipclient.py; every process
# is bounded by `timeout`.
set -euo pipefail

: "${SIPHON:?SIPHON (path to build/siphon) must be set}"
: "${SIPHON_SRC:?SIPHON_SRC must be set}"
E2E="$SIPHON_SRC/tests/e2e"
WORK="$(mktemp -d)"
SRV_PID=
SRV_CHILD=
cleanup() {
	[ -n "$SRV_CHILD" ] && kill -KILL "$SRV_CHILD" 2>/dev/null || true
	[ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export PYTHONPATH="$E2E"

. "$SIPHON_SRC/tests/e2e/common.sh"

# srv_start LOGNAME ARGS...: siphon serve on udp+tcp 127.0.0.1:$PORT with db $DB
# (SRV_ADDR=0.0.0.0 binds another address, SRV_SUFFIX adds "/advertise=..." to
# both listen specs).
srv_start() {
	local name=$1 addr=${SRV_ADDR:-127.0.0.1} suffix=${SRV_SUFFIX:-}
	shift
	timeout 120 "$SIPHON" serve --listen "udp:$addr:$PORT$suffix" --listen "tcp:$addr:$PORT$suffix" \
		--db "$DB" "$@" >>"$name.log" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 50); do
		if ss -H -tln "sport = :$PORT" | grep -q . && ss -H -uln "sport = :$PORT" | grep -q .; then
			# The server itself (timeout's child): what kill -9 must hit.
			SRV_CHILD=$(pgrep -P "$SRV_PID" | head -1)
			return 0
		fi
		kill -0 "$SRV_PID" 2>/dev/null || fail "siphon serve exited at start"
		sleep 0.1
	done
	fail "siphon serve does not listen on $PORT"
}

srv_stop() {
	kill -TERM "$SRV_PID"
	wait "$SRV_PID" || fail "siphon serve did not exit cleanly on SIGTERM"
	SRV_PID=
	SRV_CHILD=
}

srv_kill9() {
	kill -KILL "$SRV_CHILD"
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
	SRV_CHILD=
}

PORT=$(free_port)
DB="$WORK/siphon.db"
