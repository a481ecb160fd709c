# Helpers for tests/e2e/test_proxy_*.sh: siphon serve as registrar and stateful proxy
# on 127.0.0.1 (UDP and TCP on one free port), SIPp callers and callees (scenarios in
# tests/e2e/scenarios/proxy_*.xml), callees registered with tests/e2e/sipclient.py.
# Every process is bounded by `timeout`; every wait loop by a count.
source "$(dirname "$0")/server_lib.sh"
command -v sipp >/dev/null || fail "sipp (Debian sip-tester) is not installed"
SC="$E2E/scenarios"
DB="$WORK/siphon.db"
UAS_PIDS=()

# register PROTO USER CONTACT-PORT [Q]: a binding sip:USER@127.0.0.1 -> the SIPp
# callee listening on CONTACT-PORT with PROTO (q-value Q, default none).
register() {
	python3 - "$PORT" "$1" "$2" "$3" "${4:-}" <<'PY' || fail "REGISTER $2 failed"
import sys
from sipclient import Client
port, proto, user, cport = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
q = ";q=" + sys.argv[5] if sys.argv[5] else ""
c = Client(proto, port)
aor = "sip:%s@127.0.0.1" % user
r = c.request("REGISTER", "sip:127.0.0.1:%d" % port, aor,
              ["Contact: <sip:%s@127.0.0.1:%d;transport=%s>%s" % (user, cport, proto, q), "Expires: 60"])
c.close()
assert r.status == 200, r
PY
}

# uas NAME SCENARIO PROTO UASPORT [-key k v]...: a SIPp callee for one call, in the
# background; its messages are traced in NAME.msg.
uas() {
	local name=$1 sc=$2 proto=$3 uport=$4
	shift 4
	case $sc in /*) ;; *) sc="$SC/$sc" ;; esac
	timeout 30 sipp -sf "$sc" -i 127.0.0.1 -p "$uport" -t "${proto:0:1}1" -m 1 -nostdin \
		-timeout 25s -recv_timeout 20000 -trace_msg -message_file "$name.msg" \
		-trace_err -error_file "$name.err" "$@" >"$name.out" 2>&1 &
	UAS_PIDS+=("$!")
	for _ in $(seq 50); do
		if [ "$proto" = udp ]; then ss -H -uln "sport = :$uport" | grep -q . && return 0
		else ss -H -tln "sport = :$uport" | grep -q . && return 0; fi
		sleep 0.1
	done
	fail "SIPp callee $name does not listen on $uport"
}

# uas_wait: every callee started finished its one call successfully.
uas_wait() {
	local pid
	for pid in "${UAS_PIDS[@]}"; do
		wait "$pid" || fail "a SIPp callee failed (exit $?)"
	done
	UAS_PIDS=()
}

# uac NAME SCENARIO PROTO [-key k v]...: a SIPp caller for one call, in the
# foreground; 0 when the scenario passed.
uac() {
	local name=$1 sc=$2 proto=$3
	shift 3
	timeout 30 sipp "127.0.0.1:$PORT" -sf "$sc" -i 127.0.0.1 -p 0 -t "${proto:0:1}1" -m 1 -nostdin \
		-timeout 25s -recv_timeout 20000 -trace_msg -message_file "$name.msg" \
		-trace_err -error_file "$name.err" "$@" >"$name.out" 2>&1
}

# final_sc CODE: the caller scenario expecting CODE.
final_sc() {
	sed "s/@CODE@/$1/" "$SC/proxy_uac_final.xml" >"uac_final_$1.xml"
	echo "$WORK/uac_final_$1.xml"
}

# uas_final_sc CODE DELAY: the callee scenario answering CODE after DELAY ms
# (a name relative to $SC, as uas takes it).
uas_final_sc() {
	sed -e "s/@CODE@/$1/" -e "s/@DELAY@/$2/" "$SC/proxy_uas_final.xml" >"$WORK/uas_final_$1_$2.xml"
	echo "$WORK/uas_final_$1_$2.xml"
}

# A received message of trace FILE (SIPp -message_file) matches the regexp.
traced() {
	grep -Eq "$2" "$1"
}
