#!/usr/bin/env bash
# siphon serve as stateful forking proxy (RFC 3261 16, issue 6) over TCP: direct call
# with ACK and BYE through Record-Route, 603 from the only contact, ring + 603 (CANCEL
# with Reason cause=603), two 486, 2xx racing 6xx, forked 2xx (both 200s and their
# ACKs relayed), a 200 after the 603 went upstream, caller CANCEL, timer C,
# Max-Forwards 0, 480/404, DND and block list (603/607 with Reason).
source "$(dirname "$0")/proxy_lib.sh"
PROTO=tcp
source "$E2E/proxy_setup.sh"
source "$E2E/proxy_cases.sh"
srv_stop
grep -q "declined 603 (dnd)" proxy.log || fail "the DND decision was not logged"
echo "ok"
