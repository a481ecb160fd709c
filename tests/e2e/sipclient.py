"""A small SIP client for siphon's end-to-end tests (127.0.0.1 only).

Sends one request at a time over UDP or TCP, reads the response, parses its status
and headers, and answers digest challenges (RFC 7616 / RFC 8760: SHA-256 or MD5,
qop=auth) so the tests can drive REGISTER with authentication, replayed nonces and
wrong passwords. Every receive is bounded by a timeout."""
import hashlib
import os
import re
import socket

CRLF = "\r\n"


class Response:
    def __init__(self, raw):
        self.raw = raw
        head = raw.split(CRLF + CRLF, 1)[0]
        lines = head.split(CRLF)
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
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

    def contacts(self):
        """{uri: expires} of every Contact value."""
        out = {}
        for v in self.all("contact"):
            for item in re.findall(r"<([^>]*)>([^,]*)", v):
                m = re.search(r"expires=(\d+)", item[1])
                out[item[0]] = int(m.group(1)) if m else None
        return out

    def __repr__(self):
        return self.raw


def digest_params(value):
    """WWW-Authenticate value -> dict of its parameters (quotes removed)."""
    assert value.startswith("Digest "), value
    return {k.lower(): (v1 if v1 else v2) for k, v1, v2 in
            re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', value[7:])}


def hexdigest(alg, s):
    h = hashlib.sha256() if alg == "SHA-256" else hashlib.md5()
    h.update(s.encode())
    return h.hexdigest()


class Client:
    def __init__(self, proto, port, timeout=3.0):
        self.proto = proto
        self.port = port
        self.timeout = timeout
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.settimeout(timeout)
        self.sock.bind(("127.0.0.1", 0))
        if proto == "tcp":
            self.sock.connect(("127.0.0.1", port))
        self.lport = self.sock.getsockname()[1]
        self.cseq = 0
        self.call_id = os.urandom(8).hex() + "@127.0.0.1"
        self.tag = os.urandom(4).hex()
        self.rbuf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        if self.proto == "udp":
            self.sock.sendto(data.encode(), ("127.0.0.1", self.port))
        else:
            self.sock.sendall(data.encode())

    def recv(self):
        if self.proto == "udp":
            data, _ = self.sock.recvfrom(65535)
            return Response(data.decode())
        while True:
            if b"\r\n\r\n" in self.rbuf:
                head, rest = self.rbuf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(rest) >= n:
                    self.rbuf = rest[n:]
                    return Response((head + b"\r\n\r\n" + rest[:n]).decode())
            chunk = self.sock.recv(65535)
            if not chunk:
                raise ConnectionError("connection closed")
            self.rbuf += chunk

    def build(self, method, ruri, to, headers=(), cseq=None, call_id=None, branch=None):
        self.cseq = cseq if cseq is not None else self.cseq + 1
        branch = branch or "z9hG4bK" + os.urandom(6).hex()
        hdrs = [
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=%s;rport" % (self.proto.upper(), self.lport, branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (to, self.tag),
            "To: <%s>" % to,
            "Call-ID: %s" % (call_id or self.call_id),
            "CSeq: %d %s" % (self.cseq, method),
        ] + list(headers) + ["Content-Length: 0"]
        return "%s %s SIP/2.0%s%s%s%s" % (method, ruri, CRLF, CRLF.join(hdrs), CRLF, CRLF)

    def request(self, method, ruri, to, headers=(), **kw):
        msg = self.build(method, ruri, to, headers, **kw)
        self.send_raw(msg)
        return self.recv()

    @staticmethod
    def authorization(chal, user, password, method, ruri, nc=1, cnonce=None):
        p = digest_params(chal)
        alg = p.get("algorithm", "MD5")
        cnonce = cnonce or os.urandom(8).hex()
        ha1 = hexdigest(alg, "%s:%s:%s" % (user, p["realm"], password))
        ha2 = hexdigest(alg, "%s:%s" % (method, ruri))
        ncs = "%08x" % nc
        resp = hexdigest(alg, "%s:%s:%s:%s:auth:%s" % (ha1, p["nonce"], ncs, cnonce, ha2))
        return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=%s, qop=auth, nc=%s, cnonce="%s"'
                % (user, p["realm"], p["nonce"], ruri, resp, alg, ncs, cnonce))

    @staticmethod
    def pick(resp, alg):
        for v in resp.all("www-authenticate"):
            if digest_params(v).get("algorithm", "MD5") == alg:
                return v
        raise AssertionError("no %s challenge in %r" % (alg, resp))
