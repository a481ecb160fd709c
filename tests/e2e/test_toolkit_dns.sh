#!/usr/bin/env bash
# RFC 3263 server location in the toolkit: `siphon options sip:DOMAIN` resolved
# through tests/e2e/dnsd.py (SIPHON_DNS_SERVER, 127.0.0.1 only) to SIPp UASes on
# free ports: NAPTR -> SRV -> A; SRV without NAPTR; an explicit port (A only, no
# NAPTR/SRV asked); A only at the default port; SRV priority (lower first, the zone
# lists it last); NAPTR offering only SIP+D2T (TCP), with a dead first target (the
# next one is tried, 4.3); transport=tcp (SRV _sip._tcp, no NAPTR); a 503 from
# the first target; NXDOMAIN (exit 1).
. "$(dirname "$0")/toolkit_lib.sh"

DNSD="$SIPHON_SRC/tests/e2e/dnsd.py"

# dns_start NAME RECORD...: dnsd.py for one case (60 s at most); sets
# SIPHON_DNS_SERVER; its questions are logged in NAME.dns.log.
dns_start() {
	local name=$1
	shift
	rm -f "$WORK/dns.port"
	timeout 70 python3 "$DNSD" --port-file "$WORK/dns.port" --lifetime 60 --log "$WORK/$name.dns.log" "$@" &
	DNS_PID=$!
	for _ in $(seq 50); do
		[ -s "$WORK/dns.port" ] && break
		sleep 0.1
	done
	[ -s "$WORK/dns.port" ] || fail "dnsd.py did not start"
	export SIPHON_DNS_SERVER="127.0.0.1:$(cat "$WORK/dns.port")"
}
dns_stop() {
	kill "$DNS_PID" 2>/dev/null || true
	wait "$DNS_PID" 2>/dev/null || true
}
# asked NAME 'QNAME TYPE': dnsd answered that question.
asked() {
	grep -qxF "$2" "$WORK/$1.dns.log" || fail "$1: DNS question '$2' not asked"
}
not_asked() {
	! grep -q " $2 " "$WORK/$1.dns.log" || fail "$1: unexpected $2 question"
}

# 1. NAPTR -> SRV -> A, UDP, a non-default port.
sipp_reply naptr udp 200 OK
dns_start naptr "example.test NAPTR 10 50 s SIP+D2U _sip._udp.example.test" \
	"_sip._udp.example.test SRV 10 50 $SIPP_PORT sip1.example.test" \
	"sip1.example.test A 127.0.0.1"
run naptr 0 "$SIPHON" options sip:example.test --verbose
sipp_done
dns_stop
has naptr "^resolved: NAPTR example\.test -> SRV _sip\._udp\.example\.test -> sip1\.example\.test:$SIPP_PORT -> 127\.0\.0\.1$"
has naptr "^-> OPTIONS sip:example\.test \(udp:127\.0\.0\.1:$SIPP_PORT\)$"
has naptr '^<- 200 OK  2xx success'
asked naptr 'example.test NAPTR rcode=0 an=1'
asked naptr '_sip._udp.example.test SRV rcode=0 an=1'
asked naptr 'sip1.example.test A rcode=0 an=1'

# 2. No NAPTR: SRV for the supported transports in turn (4.1); only UDP exists.
sipp_reply srv udp 200 OK
dns_start srv "_sip._udp.srvonly.test SRV 0 0 $SIPP_PORT sip2.srvonly.test" "sip2.srvonly.test A 127.0.0.1"
run srv 0 "$SIPHON" options sip:srvonly.test --verbose
sipp_done
dns_stop
has srv "^resolved: SRV _sip\._udp\.srvonly\.test -> sip2\.srvonly\.test:$SIPP_PORT -> 127\.0\.0\.1$"
hasnt srv '^resolved: NAPTR'
has srv '^<- 200 OK  2xx success'
asked srv 'srvonly.test NAPTR rcode=0 an=0'
asked srv '_sip._udp.srvonly.test SRV rcode=0 an=1'

# 3. An explicit port: A/AAAA only (4.2), no NAPTR or SRV question.
sipp_reply port udp 200 OK
dns_start port "host.port.test A 127.0.0.1" "_sip._udp.host.port.test SRV 0 0 9 wrong.port.test"
run port 0 "$SIPHON" options "sip:host.port.test:$SIPP_PORT" --verbose
sipp_done
dns_stop
has port "^resolved: host\.port\.test:$SIPP_PORT -> 127\.0\.0\.1$"
has port '^<- 200 OK  2xx success'
asked port 'host.port.test A rcode=0 an=1'
not_asked port NAPTR
not_asked port SRV

# 4. A only: no NAPTR, no SRV -> the default port 5060 (4.2). Nothing is meant to
# answer there: the request goes to 127.0.0.1:5060 and --timeout ends it (exit 7)
# unless something else on this machine happens to listen on 5060.
dns_start aonly "aonly.test A 127.0.0.1"
rc=0
timeout 20 "$SIPHON" options sip:aonly.test --verbose --timeout 1 >aonly.out 2>aonly.log || rc=$?
dns_stop
has aonly '^resolved: aonly\.test:5060 -> 127\.0\.0\.1$'
has aonly '^-> OPTIONS sip:aonly\.test \(udp:127\.0\.0\.1:5060\)$'
if ! ss -H -uln 'sport = :5060' | grep -q .; then
	[ "$rc" -eq 7 ] || fail "aonly: exit status $rc, expected 7 (timeout)"
	has aonly '^<- no final response to OPTIONS \(timeout after'
fi
asked aonly '_sip._udp.aonly.test SRV rcode=3 an=0'
asked aonly '_sip._tcp.aonly.test SRV rcode=3 an=0'

# 5. SRV priority: the lower priority first although the zone lists it last; the
# priority-20 target is a port where nothing listens (a request there would time out).
dead=$(free_port udp)
sipp_reply prio udp 200 OK
dns_start prio "_sip._udp.prio.test SRV 20 100 $dead far.prio.test" \
	"_sip._udp.prio.test SRV 10 0 $SIPP_PORT near.prio.test" \
	"far.prio.test A 127.0.0.1" "near.prio.test A 127.0.0.1"
run prio 0 "$SIPHON" options sip:prio.test --verbose --timeout 5
sipp_done
dns_stop
has prio "^resolved: SRV _sip\._udp\.prio\.test -> near\.prio\.test:$SIPP_PORT -> 127\.0\.0\.1$"
has prio "^  then SRV _sip\._udp\.prio\.test -> far\.prio\.test:$dead -> 127\.0\.0\.1$"
has prio "^-> OPTIONS sip:prio\.test \(udp:127\.0\.0\.1:$SIPP_PORT\)$"
hasnt prio "\(udp:127\.0\.0\.1:$dead\)"

# 6. NAPTR offers only SIP+D2T: TCP. The priority-10 target refuses the
# connection, so the request goes again, a new transaction, to the next one (4.3).
dead=$(free_port tcp)
sipp_reply tcp tcp 200 OK
dns_start tcp "tcp.test NAPTR 10 10 s SIP+D2T _sip._tcp.tcp.test" \
	"_sip._tcp.tcp.test SRV 10 0 $dead down.tcp.test" \
	"_sip._tcp.tcp.test SRV 20 0 $SIPP_PORT up.tcp.test" \
	"_sip._udp.tcp.test SRV 0 0 9 notme.tcp.test" \
	"down.tcp.test A 127.0.0.1" "up.tcp.test A 127.0.0.1"
run tcp 0 "$SIPHON" options sip:tcp.test --verbose --timeout 10
sipp_done
dns_stop
has tcp "^resolved: NAPTR tcp\.test -> SRV _sip\._tcp\.tcp\.test -> down\.tcp\.test:$dead -> 127\.0\.0\.1$"
has tcp "^-> OPTIONS sip:tcp\.test \(tcp:127\.0\.0\.1:$dead\)$"
has tcp "^next target: NAPTR tcp\.test -> SRV _sip\._tcp\.tcp\.test -> up\.tcp\.test:$SIPP_PORT -> 127\.0\.0\.1$"
has tcp "^-> OPTIONS sip:tcp\.test \(tcp:127\.0\.0\.1:$SIPP_PORT\)$"
has tcp '^Via: SIP/2\.0/TCP '
has tcp '^<- 200 OK  2xx success'
grep -q '^_sip._udp' "$WORK/tcp.dns.log" && fail "tcp: _sip._udp asked although the NAPTR named TCP only"

# 6b. transport=tcp fixes the transport (4.1): no NAPTR question, straight to
# _sip._tcp (the NAPTR here would say UDP).
sipp_reply tp tcp 200 OK
dns_start tp "tp.test NAPTR 10 10 s SIP+D2U _sip._udp.tp.test" "_sip._udp.tp.test SRV 0 0 9 wrong.tp.test" \
	"_sip._tcp.tp.test SRV 0 0 $SIPP_PORT right.tp.test" "right.tp.test A 127.0.0.1" "wrong.tp.test A 127.0.0.1"
run tp 0 "$SIPHON" options "sip:tp.test;transport=tcp" --verbose --timeout 10
sipp_done
dns_stop
has tp "^resolved: SRV _sip\._tcp\.tp\.test -> right\.tp\.test:$SIPP_PORT -> 127\.0\.0\.1$"
has tp '^<- 200 OK  2xx success'
not_asked tp NAPTR
asked tp '_sip._tcp.tp.test SRV rcode=0 an=1'

# 7. A 503 from the first target: the request goes to the next one (4.3).
sipp_reply busy udp 503 "Service Unavailable"
busy_port=$SIPP_PORT busy_pid=$SIPP_PID
sipp_reply ok503 udp 200 OK
dns_start ok503 "_sip._udp.fo.test SRV 1 0 $busy_port a.fo.test" "_sip._udp.fo.test SRV 2 0 $SIPP_PORT b.fo.test" \
	"a.fo.test A 127.0.0.1" "b.fo.test A 127.0.0.1"
run ok503 0 "$SIPHON" options sip:fo.test --timeout 10
sipp_done
SIPP_PID=$busy_pid sipp_done
dns_stop
has ok503 "^-> OPTIONS sip:fo\.test \(udp:127\.0\.0\.1:$busy_port\)$"
has ok503 "^   \(503 from udp:127\.0\.0\.1:$busy_port: sent to the next target\)$"
has ok503 "^-> OPTIONS sip:fo\.test \(udp:127\.0\.0\.1:$SIPP_PORT\)$"
has ok503 '^<- 200 OK  2xx success'

# 8. A name that does not exist: exit 1 and the reason, no request sent.
dns_start nx "example.test A 127.0.0.1"
run nx 1 "$SIPHON" options sip:example.invalid
dns_stop
grep -qx 'siphon: cannot resolve example.invalid (NXDOMAIN)' nx.log || fail "nx: no NXDOMAIN message: $(cat nx.log)"
hasnt nx '^-> OPTIONS'
asked nx 'example.invalid NAPTR rcode=3 an=0'

echo "toolkit dns: all checks passed"
