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

fail() {
	echo "FAIL: $*"
	for f in "$WORK"/*.log "$WORK"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
	exit 1
}

# A port free for both UDP and TCP on 127.0.0.1 (bind both, release both).
free_port() {
	python3 - <<'PY'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        u.close(); t.close(); continue
    u.close(); t.close()
    print(p)
    break
PY
}

# srv_start LOGNAME ARGS...: siphon serve on udp+tcp 127.0.0.1:$PORT with db $DB.
srv_start() {
	local name=$1
	shift
	timeout 120 "$SIPHON" serve --listen "udp:127.0.0.1:$PORT" --listen "tcp:127.0.0.1:$PORT" \
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
