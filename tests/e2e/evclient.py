"""A SIP events user agent for siphon's end-to-end tests (127.0.0.1, UDP only).

Sends SUBSCRIBE and PUBLISH requests, keeps the subscription dialog (To tag of the
200, route set, CSeq), receives NOTIFYs (answered 200, or with a chosen status) and
responses from one socket. Every wait is bounded by a deadline."""
import os
import re
import socket
import time

from sipclient import Client, digest_params  # noqa: F401  (digest helpers)

CRLF = "\r\n"


class Msg:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(CRLF + CRLF)
        lines = head.split(CRLF)
        self.start = lines[0]
        self.is_request = not lines[0].startswith("SIP/2.0 ")
        if self.is_request:
            self.method = lines[0].split(" ", 1)[0]
            self.status = None
        else:
            self.method = None
            self.status = int(lines[0].split(" ", 2)[1])
        self.headers = []
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                self.headers.append((k.strip().lower(), v.strip()))

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def get(self, name):
        v = self.all(name)
        return v[0] if v else None

    def tag(self, name):
        m = re.search(r";\s*tag=([^;>\s]+)", self.get(name) or "")
        return m.group(1) if m else None

    def __repr__(self):
        return self.raw


class UA:
    """One UDP socket; a subscription dialog per SUBSCRIBE call (self.dialog)."""

    def __init__(self, port, user="watcher", domain="example.test", timeout=3.0):
        self.port = port
        self.domain = domain
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.lport = self.sock.getsockname()[1]
        self.timeout = timeout
        self.queue = []          # messages received while waiting for something else
        self.notifies = []       # every NOTIFY received, in order
        self.notify_status = 200
        self.cseq = 0
        self.password = None

    def close(self):
        self.sock.close()

    def uri(self):
        return "sip:%s@%s" % (self.user, self.domain)

    def send(self, data):
        self.sock.sendto(data.encode(), ("127.0.0.1", self.port))

    def _answer(self, m):
        # Answer a NOTIFY (RFC 6665 4.1.3): copy Via, From, To, Call-ID, CSeq.
        hdrs = ["%s: %s" % (k, v) for k, v in m.headers
                if k in ("via", "from", "to", "call-id", "cseq")]
        self.send("SIP/2.0 %d Answer%s%s%sContent-Length: 0%s%s"
                  % (self.notify_status, CRLF, CRLF.join(hdrs), CRLF, CRLF, CRLF))

    def _recv_one(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            return None
        self.sock.settimeout(left)
        try:
            data, _ = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        m = Msg(data.decode())
        if m.is_request and m.method == "NOTIFY":
            # A retransmission (same CSeq) is answered again but recorded once.
            if not any(n.get("cseq") == m.get("cseq") and n.get("call-id") == m.get("call-id")
                       for n in self.notifies):
                self.notifies.append(m)
            self._answer(m)
        return m

    def wait(self, pred, timeout=None):
        """The first message (queued or new) for which pred is true, or None."""
        for i, m in enumerate(self.queue):
            if pred(m):
                return self.queue.pop(i)
        deadline = time.time() + (timeout if timeout is not None else self.timeout)
        while True:
            m = self._recv_one(deadline)
            if m is None:
                return None
            if pred(m):
                return m
            self.queue.append(m)

    def wait_notify(self, call_id, timeout=None, after=0):
        """The next NOTIFY of call_id with index >= after in self.notifies."""
        deadline = time.time() + (timeout if timeout is not None else self.timeout)
        while True:
            got = [n for n in self.notifies if n.get("call-id") == call_id]
            if len(got) > after:
                return got[after]
            if self._recv_one(deadline) is None and time.time() >= deadline:
                return None

    def count_notifies(self, call_id):
        return len([n for n in self.notifies if n.get("call-id") == call_id])

    def drain(self, seconds):
        """Receive (and answer) whatever comes for this long."""
        deadline = time.time() + seconds
        while self._recv_one(deadline) is not None:
            pass

    def request(self, method, ruri, to_uri, headers=(), body="", ctype=None, call_id=None,
                from_tag=None, to_tag=None, cseq=None):
        self.cseq = cseq if cseq is not None else self.cseq + 1
        branch = "z9hG4bK" + os.urandom(6).hex()
        call_id = call_id or os.urandom(8).hex() + "@127.0.0.1"
        from_tag = from_tag or os.urandom(4).hex()
        hdrs = [
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (self.lport, branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (self.uri(), from_tag),
            "To: <%s>%s" % (to_uri, ";tag=" + to_tag if to_tag else ""),
            "Call-ID: %s" % call_id,
            "CSeq: %d %s" % (self.cseq, method),
            "Contact: <sip:%s@127.0.0.1:%d>" % (self.user, self.lport),
        ] + list(headers)
        if ctype:
            hdrs.append("Content-Type: %s" % ctype)
        hdrs.append("Content-Length: %d" % len(body.encode()))
        msg = "%s %s SIP/2.0%s%s%s%s%s" % (method, ruri, CRLF, CRLF.join(hdrs), CRLF, CRLF, body)
        self.send(msg)
        r = self.wait(lambda m: not m.is_request and m.status >= 200 and
                      m.get("call-id") == call_id and m.get("cseq") == "%d %s" % (self.cseq, method))
        assert r is not None, "no response to %s %s" % (method, ruri)
        if r.status == 401 and self.password is not None:
            auth = Client.authorization(Client.pick(Client_resp(r), "MD5"), self.user, self.password,
                                        method, ruri)
            return self.request(method, ruri, to_uri, list(headers) + [auth], body, ctype, call_id,
                                from_tag, to_tag)
        r.call_id, r.from_tag = call_id, from_tag
        return r

    def subscribe(self, target, event="presence", expires=None, headers=(), dialog=None):
        """SUBSCRIBE target (user@domain); dialog (a previous 2xx) makes it in-dialog."""
        hdrs = ["Event: %s" % event] + list(headers)
        if expires is not None:
            hdrs.append("Expires: %d" % expires)
        turi = "sip:%s" % target
        if dialog is not None:
            return self.request("SUBSCRIBE", "sip:%s" % self.domain, turi, hdrs,
                                call_id=dialog.call_id, from_tag=dialog.from_tag,
                                to_tag=dialog.tag("to"))
        return self.request("SUBSCRIBE", turi, turi, hdrs)

    def publish(self, entity, body, etag=None, expires=None, event="presence",
                ctype="application/pidf+xml"):
        hdrs = ["Event: %s" % event]
        if etag:
            hdrs.append("SIP-If-Match: %s" % etag)
        if expires is not None:
            hdrs.append("Expires: %d" % expires)
        turi = "sip:%s" % entity
        return self.request("PUBLISH", turi, turi, hdrs, body, ctype if body else None)


class Client_resp:
    """Adapter: sipclient's digest helpers read .all() of a response."""

    def __init__(self, m):
        self.m = m

    def all(self, name):
        return self.m.all(name)


def pidf(entity, basic, tuple_id="t1", note=None):
    n = "<note>%s</note>" % note if note else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s">'
            '<tuple id="%s"><status><basic>%s</basic></status>%s</tuple></presence>'
            % (entity, tuple_id, basic, n))
