# Shared by the e2e helper libraries (server_lib.sh, toolkit_lib.sh, txn_lib.sh):
# failing with the work directory's logs, free ports, waiting for a listener.
# Sourced after WORK is set.

# fail MESSAGE: print it and the tail of every log and output file, exit 1.
fail() {
	echo "FAIL: $*"
	for f in "$WORK"/*.log "$WORK"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
	exit 1
}

# free_port [udp|tcp]: a free port on 127.0.0.1 for that protocol; without an
# argument one free for both UDP and TCP (bind both, release both).
free_port() {
	python3 - "${1:-both}" <<'PY'
import socket, sys
want = sys.argv[1]
for _ in range(50):
    kinds = {"udp": [socket.SOCK_DGRAM], "tcp": [socket.SOCK_STREAM]}.get(
        want, [socket.SOCK_DGRAM, socket.SOCK_STREAM])
    socks, port = [], 0
    try:
        for k in kinds:
            s = socket.socket(socket.AF_INET, k)
            socks.append(s)
            s.bind(("127.0.0.1", port))
            port = s.getsockname()[1]
    except OSError:
        port = 0
    for s in socks:
        s.close()
    if port:
        print(port)
        break
PY
}

# wait_port PROTO PORT: wait (at most 5 s) until something listens there.
wait_port() {
	local proto=$1 port=$2 flag
	[ "$proto" = udp ] && flag=-uln || flag=-tln
	for _ in $(seq 50); do
		ss -H $flag "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on $proto port $port"
}
