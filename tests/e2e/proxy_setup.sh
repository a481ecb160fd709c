# Users and the server for proxy_cases.sh (sourced).
"$SIPHON" user add frank@127.0.0.1 --password x --db "$DB" >/dev/null
"$SIPHON" user add dave@127.0.0.1 --password x --db "$DB" >/dev/null
"$SIPHON" user add erin@127.0.0.1 --password x --db "$DB" >/dev/null
"$SIPHON" user set dave@127.0.0.1 --dnd on --db "$DB" >/dev/null
"$SIPHON" user set erin@127.0.0.1 --decline-code 603 --db "$DB" >/dev/null
"$SIPHON" user block erin@127.0.0.1 sip:mallory@127.0.0.1 --code 607 --db "$DB" >/dev/null
"$SIPHON" user block erin@127.0.0.1 sip:trudy@127.0.0.1 --db "$DB" >/dev/null
cat >server.ini <<INI
[server]
log_level = info
[proxy]
timer_c = 2000
decline_wait = 3000
INI
srv_start proxy --config server.ini --domain 127.0.0.1 --no-auth
