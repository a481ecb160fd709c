# Helpers for tests/e2e/test_toolkit_*.sh: build/siphon's toolkit commands against
# SIPp UAS scenarios and Kamailio, on 127.0.0.1 only, every process bounded by `timeout`.
set -euo pipefail

: "${SIPHON:?SIPHON (path to build/siphon) must be set}"
: "${SIPHON_SRC:?SIPHON_SRC must be set}"
SCEN="$SIPHON_SRC/tests/e2e/scenarios"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

command -v sipp >/dev/null || { echo "sipp (Debian sip-tester) is not installed"; exit 1; }

. "$SIPHON_SRC/tests/e2e/common.sh"

# sipp_uas NAME SCENARIO PROTO [SIPP ARGS...]: SIPp as UAS for one call in the
# background on a free port; sets SIPP_PORT and SIPP_PID.
sipp_uas() {
	local name=$1 scen=$2 proto=$3 t
	shift 3
	[ "$proto" = tcp ] && t=t1 || t=u1
	SIPP_PORT=$(free_port "$proto")
	case "$scen" in /*) ;; *) scen="$SCEN/$scen" ;; esac
	timeout 30 sipp -sf "$scen" -i 127.0.0.1 -p "$SIPP_PORT" -t "$t" -m 1 -nostdin \
		-trace_err -error_file "$WORK/$name.errors.log" "$@" >"$name.sipp.log" 2>&1 &
	SIPP_PID=$!
	wait_port "$proto" "$SIPP_PORT"
}

# sipp_reply NAME PROTO CODE REASON [SIPP ARGS...]: SIPp answering one request with
# CODE REASON (tk_uas_reply.xml with its placeholders filled in).
sipp_reply() {
	local name=$1 proto=$2 code=$3 reason=$4
	shift 4
	sed -e "s/@CODE@/$code/" -e "s/@REASON@/$reason/" "$SCEN/tk_uas_reply.xml" >"$WORK/reply_$name.xml"
	sipp_uas "$name" "$WORK/reply_$name.xml" "$proto" -key expires 0 "$@"
}

# sipp_done: SIPp must have run its one call to the end successfully.
sipp_done() {
	local rc=0
	wait "$SIPP_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "SIPp exited with $rc (its scenario did not complete)"
}

# run NAME EXPECTED_STATUS CMD...: run a toolkit command (bounded), keep its output in
# NAME.out and check the exit status.
run() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 40 "$@" >"$name.out" 2>"$name.log" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, expected $want"
}

# has NAME REGEX: NAME.out must contain a line matching the extended regex.
has() {
	grep -Eq -- "$2" "$1.out" || fail "$1: no line matching '$2'"
}
hasnt() {
	! grep -Eq -- "$2" "$1.out" || fail "$1: unexpected line matching '$2'"
}

# kam_start NAME [KAMAILIO ARGS...]: Kamailio (Debian package) in the foreground
# mode (-DD -E) in the background with tests/e2e/kamailio/$KAM_CFG (default
# toolkit.cfg) on a free loopback port over UDP and TCP; sets KAM_PORT and KAM_PID.
kam_start() {
	local name=$1 mods
	shift
	command -v kamailio >/dev/null || fail "kamailio is not installed (scripts/deps.sh test)"
	mods=$(dirname "$(find /usr/lib -path '*kamailio/modules/tm.so' -print -quit)")
	[ -d "$mods" ] || fail "kamailio modules not found"
	KAM_PORT=$(free_port udp)
	mkdir -p "$WORK/kam_$name"
	timeout 60 kamailio -f "$SIPHON_SRC/tests/e2e/kamailio/${KAM_CFG:-toolkit.cfg}" -L "$mods" -DD -E \
		-l "udp:127.0.0.1:$KAM_PORT" -l "tcp:127.0.0.1:$KAM_PORT" -Y "$WORK/kam_$name" \
		-P "$WORK/kam_$name/pid" -w "$WORK/kam_$name" -m 32 -M 8 "$@" >"$name.kam.log" 2>&1 &
	KAM_PID=$!
	wait_port udp "$KAM_PORT"
	wait_port tcp "$KAM_PORT"
}
kam_stop() {
	kill -TERM "$KAM_PID" 2>/dev/null || true
	wait "$KAM_PID" 2>/dev/null || true
}

# sigint PID: Ctrl-C for a command started as `timeout N siphon ... &` (PID is
# timeout's): signal siphon itself, as a terminal would, not timeout (which would
# pass it on to the child and to the whole process group: twice).
sigint() {
	local child
	child=$(pgrep -P "$1" | head -1)
	kill -INT "${child:-$1}"
}
