#!/usr/bin/env bash
# TLS server authentication (RFC 3261 26.3.1, RFC 5922 7.3) with a throwaway CA the
# test makes with openssl: the toolkit trusts a server certified for 127.0.0.1 only
# with --tls-ca (without it: one line naming OpenSSL's reason, exit 1, and the
# server never sees a request), --insecure connects anyway with a warning, a
# certificate for another name is refused even with the CA; REGISTER with digest
# over verified TLS. Then siphon serve's own outgoing TLS (a proxy forwarding a
# MESSAGE to a transport=tls contact): refused without the CA (the system's store),
# delivered with --tls-ca.
. "$(dirname "$0")/toolkit_lib.sh"

D=example.test
DB="$WORK/siphon.db"
"$SIPHON" user add "alice@$D" --password 'pw a' --db "$DB" >user.out 2>&1 || fail "user add alice"
"$SIPHON" user add "bob@$D" --password 'pw b' --db "$DB" >>user.out 2>&1 || fail "user add bob"

# The CA, a server certificate for 127.0.0.1 (IP SAN) and one for another name.
ossl() { openssl "$@" >>openssl.log 2>&1 || fail "openssl $1"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca-key.pem \
	-out ca.pem -days 1 -subj "/CN=siphon test CA"
leaf() { # NAME SAN
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1-key.pem" \
		-out "$1.csr" -subj "/CN=$1"
	printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=%s\n' "$2" >"$1.ext"
	ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
		-extfile "$1.ext" -out "$1.pem"
}
leaf good 'IP:127.0.0.1'
leaf wrong 'DNS:sip.other.test'
grep -q "BEGIN CERTIFICATE" good.pem || fail "no server certificate"

# serve NAME CERT [ARGS...]: siphon serve on a free TLS port (sets PORT_<NAME>,
# PID_<NAME>), logging at debug level to NAME.serve.log.
serve() {
	local name=$1 cert=$2 port
	shift 2
	port=$(free_port tcp)
	printf '[server]\ntls_cert = %s\ntls_key = %s\n' "$WORK/$cert.pem" "$WORK/$cert-key.pem" >"$name.ini"
	timeout 90 "$SIPHON" serve --listen "tls:127.0.0.1:$port" --config "$name.ini" \
		--log-level debug "$@" >"$name.serve.log" 2>&1 &
	eval "PID_$name=$! PORT_$name=$port"
	wait_port tcp "$port"
}
serve good good --db "$DB" --domain "$D"
serve wrong wrong --db "$WORK/wrong.db" --domain "$D"
G=$PORT_good
W=$PORT_wrong

# Trusted CA, certificate naming the URI's IP: 200.
run ok 0 "$SIPHON" options "sips:127.0.0.1:$G" --tls-ca ca.pem --timeout 5
has ok "^-> OPTIONS sips:127\.0\.0\.1:$G \(tls:127\.0\.0\.1:$G\)$"
has ok '^<- 200 OK  2xx success'
hasnt ok '^TLS:'

# The system's store does not know our CA: one line with the reason, exit 1 (not a
# timeout), no 503 line, and the server received no request (its registrar logs
# each REGISTER it handles at debug level, "... from tls:ADDR"; it logs the
# handshake the client broke off).
reg_tls() { # NAME STATUS PORT [ARGS...]
	local name=$1 want=$2 port=$3
	shift 3
	run "$name" "$want" "$SIPHON" register "sip:alice@$D" --proxy "127.0.0.1:$port" --transport tls \
		--password 'pw a' --expires 90 --timeout 5 "$@"
}
reg_tls noca 1 "$G"
has noca "^TLS: cannot verify 127\.0\.0\.1: unable to get local issuer certificate; use --tls-ca FILE to trust its CA, or --insecure$"
hasnt noca '^<- '
[ "$(grep -c '^TLS:' noca.out)" -eq 1 ] || fail "noca: the TLS line is not printed exactly once"
run noca_json 1 "$SIPHON" options "sips:127.0.0.1:$G" --timeout 5 --json
has noca_json '^\{"event":"tls_error","text":"TLS: cannot verify 127\.0\.0\.1: unable to get local issuer certificate; '
sleep 0.2
grep -q "tls handshake with 127\.0\.0\.1:[0-9]* failed" good.serve.log || fail "noca: no failed handshake at the server"
if grep -q " from tls:" good.serve.log; then fail "noca: the server received a REGISTER"; fi

# REGISTER with digest over verified TLS (through --proxy: the certificate names it).
reg_tls reg 0 "$G" --tls-ca ca.pem
has reg "^   answering the server challenge as user 'alice'$"
has reg '^<- 200 OK  2xx success'
has reg '^   binding sip:alice@127\.0\.0\.1;transport=tls expires in 90 s$'
grep -q "registered sip:alice@example\.test from tls:127\.0\.0\.1:[0-9]* call-id" good.serve.log ||
	fail "reg: the server did not log the REGISTER"

# --insecure: connects, and says so once.
run insecure 0 "$SIPHON" options "sips:127.0.0.1:$G" --insecure --timeout 5
has insecure '^<- 200 OK  2xx success'
grep -q "^siphon: warning: --insecure: TLS servers are not verified" insecure.log || fail "insecure: no warning"
[ "$(grep -c warning insecure.log)" -eq 1 ] || fail "insecure: the warning is not printed exactly once"

# A certificate from the trusted CA for another name.
reg_tls wrong 1 "$W" --tls-ca ca.pem
has wrong "^TLS: cannot verify 127\.0\.0\.1: IP address mismatch; the certificate names another host"
hasnt wrong '^<- '
sleep 0.2
grep -q "tls handshake with 127\.0\.0\.1:[0-9]* failed" wrong.serve.log || fail "wrong: no failed handshake at the server"
if grep -q " from tls:" wrong.serve.log; then fail "wrong: the server received a REGISTER"; fi

# An unreadable CA file is a usage error.
run badca 2 "$SIPHON" options "sips:127.0.0.1:$G" --tls-ca "$WORK/none.pem" --timeout 5
grep -q "^siphon: cannot read --tls-ca $WORK/none.pem: No such file or directory$" badca.log || fail "badca: message"

# siphon serve's own outgoing TLS: a proxy (UDP) forwards alice's MESSAGE to bob's
# contact, a TLS UAS (Python's ssl with the CA-signed certificate for 127.0.0.1) that
# logs each handshake failure and request line and answers 200. Verified against
# the system's store first: refused, nothing reaches the UAS, and the branch's
# transaction ends with the transport error at once (17.1.4), a 503 for the proxy
# that goes upstream as 500 (16.7 step 6); restarted with --tls-ca ca.pem:
# delivered.
python3 - "$WORK/good.pem" "$WORK/good-key.pem" uas.port uas.log <<'PY' &
import socket, ssl, sys, time
cert, key, port_file, log_file = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
srv.settimeout(0.5)
def log(line):
    with open(log_file, "a") as f:
        f.write(line + "\n")
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os; os.rename(port_file + ".tmp", port_file)
end = time.time() + 50
while time.time() < end:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    c.settimeout(5)
    try:
        t = ctx.wrap_socket(c, server_side=True)
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            d = t.recv(4096)
            if not d:
                break
            buf += d
    except (ssl.SSLError, OSError) as e:
        log("handshake failed: %s" % e)
        c.close()
        continue
    head = buf.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
    if not head[0].endswith(" SIP/2.0"):
        t.close()
        continue
    log(head[0])
    keep = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq")]
    to = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() == "to"][0] + ";tag=uas"
    t.sendall(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep + [to]) + "\r\nContent-Length: 0\r\n\r\n").encode())
    time.sleep(0.2)
    t.close()
PY
for _ in $(seq 50); do [ -s uas.port ] && break; sleep 0.1; done
[ -s uas.port ] || fail "the TLS UAS did not start"
U=$(cat uas.port)

proxy() { # NAME [ARGS...]: siphon serve as registrar and proxy on UDP port P
	local name=$1
	shift
	timeout 60 "$SIPHON" serve --listen "udp:127.0.0.1:$P" --db "$DB" --domain "$D" "$@" \
		>"$name.serve.log" 2>&1 &
	PX=$!
	wait_port udp "$P"
}
P=$(free_port udp)
proxy proxy1
run bobreg 0 "$SIPHON" register "sip:bob@$D" --proxy "127.0.0.1:$P" --password 'pw b' --expires 120 \
	--contact "sip:bob@127.0.0.1:$U;transport=tls" --timeout 5
has bobreg "^   binding sip:bob@127\.0\.0\.1:$U;transport=tls expires in 120 s$"
run fwd_noca 5 "$SIPHON" message "sip:bob@$D" hello --proxy "127.0.0.1:$P" --from "sip:alice@$D" \
	--password 'pw a' --timeout 3
has fwd_noca '^<- 500 Server Internal Error '
grep -q "tls handshake with 127\.0\.0\.1:$U failed: certificate verify failed: unable to get local issuer certificate" \
	proxy1.serve.log || fail "proxy1: no verify failure logged"
grep -q "^handshake failed: .*unknown ca" uas.log || fail "proxy1: the UAS saw no refused handshake"
if grep -q "^MESSAGE" uas.log; then fail "proxy1: the MESSAGE reached the contact"; fi
kill "$PX" 2>/dev/null; wait "$PX" 2>/dev/null || true

proxy proxy2 --tls-ca ca.pem
run fwd_ca 0 "$SIPHON" message "sip:bob@$D" hello --proxy "127.0.0.1:$P" --from "sip:alice@$D" \
	--password 'pw a' --timeout 5
has fwd_ca '^<- 200 OK  2xx success'
grep -q "^MESSAGE sip:bob@127\.0\.0\.1:$U;transport=tls SIP/2\.0$" uas.log || fail "proxy2: the UAS got no MESSAGE"
if grep -q "certificate verify failed" proxy2.serve.log; then fail "proxy2: verify failure"; fi
kill "$PX" 2>/dev/null; wait "$PX" 2>/dev/null || true
echo "PASS"
