#!/usr/bin/env bash
# The toolkit against siphon's own server (siphon serve): OPTIONS; REGISTER with
# SHA-256 digest (the server offers SHA-256 first, RFC 8760) over UDP, TCP and TLS
# through --proxy; a wrong password (403, exit 4); --keep with Ctrl-C removes the
# binding: the 200 to the removal no longer lists it.
. "$(dirname "$0")/toolkit_lib.sh"

D=example.test
DB="$WORK/siphon.db"
"$SIPHON" user add "alice@$D" --password 'pw a' --db "$DB" >user.out 2>&1 || fail "user add"
# A self-signed certificate for the TLS listener naming 127.0.0.1 (an iPAddress
# subjectAltName, RFC 5922 7.1): the toolkit trusts it with --tls-ca.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem \
	-out cert.pem -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	>openssl.log 2>&1 || fail "openssl"
printf '[server]\ntls_cert = %s\ntls_key = %s\n' "$WORK/cert.pem" "$WORK/key.pem" >tls.ini
# Ports are picked free and then bound by serve: a test running alongside may
# take one in between, so a serve that could not bind is started again (5 tries).
up=
for _ in 1 2 3 4 5; do
	PORT=$(free_port udp)
	TPORT=$(free_port tcp)
	timeout 60 "$SIPHON" serve --listen "udp:127.0.0.1:$PORT" --listen "tcp:127.0.0.1:$PORT" \
		--listen "tls:127.0.0.1:$TPORT" --config tls.ini --db "$DB" --domain "$D" >serve.log 2>&1 &
	SRV=$!
	for _ in $(seq 50); do
		if ss -H -uln "sport = :$PORT" | grep -q . && ss -H -tln "sport = :$PORT" | grep -q . &&
			ss -H -tln "sport = :$TPORT" | grep -q .; then
			up=1
			break
		fi
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$up" ] && break
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
done
[ -n "$up" ] || fail "siphon serve could not listen on udp/tcp/tls ports in 5 tries"

run opt 0 "$SIPHON" options "sip:$D" --proxy "127.0.0.1:$PORT" --timeout 5
has opt "^-> OPTIONS sip:$D \(udp:127\.0\.0\.1:$PORT\)$"
has opt '^<- 200 OK  2xx success: The request succeeded\.'

for t in udp tcp; do
	run "reg_$t" 0 "$SIPHON" register "sip:alice@$D" --proxy "127.0.0.1:$PORT" --transport "$t" \
		--password 'pw a' --expires 120 --timeout 5 --verbose
	has "reg_$t" '^WWW-Authenticate: Digest .*algorithm=SHA-256'
	has "reg_$t" '^Authorization: Digest username="alice", realm="example\.test", .*algorithm=SHA-256'
	has "reg_$t" "^   answering the server challenge as user 'alice'$"
	has "reg_$t" '^<- 200 OK  2xx success'
	has "reg_$t" '^   binding sip:alice@127\.0\.0\.1:[0-9]+.* expires in 120 s$'
done

# TLS.
run opt_tls 0 "$SIPHON" options "sip:$D" --proxy "127.0.0.1:$TPORT" --transport tls \
	--tls-ca cert.pem --timeout 5
has opt_tls "^-> OPTIONS sip:$D \(tls:127\.0\.0\.1:$TPORT\)$"
has opt_tls '^<- 200 OK  2xx success'
run reg_tls 0 "$SIPHON" register "sip:alice@$D" --proxy "127.0.0.1:$TPORT" --transport tls \
	--tls-ca cert.pem --password 'pw a' --expires 90 --timeout 5
has reg_tls '^<- 200 OK  2xx success'
has reg_tls '^   binding sip:alice@127\.0\.0\.1;transport=tls expires in 90 s$'

run bad 4 "$SIPHON" register "sip:alice@$D" --proxy "127.0.0.1:$PORT" --password nope --timeout 5
has bad '^<- 403 Forbidden.*  4xx client error: '
has bad '^   what to do: Do not retry with the same credentials'

# --keep, Ctrl-C: the binding goes (Expires: 0).
timeout 20 "$SIPHON" register "sip:alice@$D" --proxy "127.0.0.1:$PORT" --password 'pw a' --keep \
	--contact "sip:alice-keep@127.0.0.1:5999" --expires 60 >keep.out 2>keep.log &
pid=$!
for _ in $(seq 150); do grep -q "^   registered; refreshing" keep.out && break; sleep 0.1; done
grep -q '^   binding sip:alice-keep@127\.0\.0\.1:5999 expires in 60 s$' keep.out || fail "keep: not registered"
sigint "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "keep: exit status $rc"
has keep '^unregistered sip:alice@example\.test$'
grep -q 'alice-keep' <(sed -n '/^interrupted/,$p' keep.out | grep '^   binding') && fail "keep: binding still listed after removal"

kill -TERM "$SRV"
wait "$SRV" || fail "siphon serve did not exit cleanly"
echo "ok"
