"""A local stand-in for the WeCom and DingTalk robot webhooks, started by a test.

It records every request it receives (path, query, JSON body, whether a
DingTalk signature checked out) and answers from a script: a list of
(HTTP status, JSON body or None, delay in seconds) consumed one per request,
then ``{"errcode": 0, "errmsg": "ok"}`` with 200, as the platforms do. With a
``secret`` it checks DingTalk's signature the way DingTalk does: the
``timestamp`` within an hour of now, and ``sign`` equal to the base64 of
HMAC-SHA256(secret, "<timestamp>\\n<secret>"); a wrong one is answered as
DingTalk answers it (200 with errcode 310000).
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OK = (200, {"errcode": 0, "errmsg": "ok"}, 0)


@dataclass
class Received:
    path: str
    query: dict
    body: dict
    content_type: str
    signature_ok: bool | None = None


@dataclass
class RobotServer:
    secret: str = ""
    script: list = field(default_factory=list)
    received: list = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                try:
                    body = json.loads(raw.decode())
                except ValueError:
                    body = {"unparsable": raw.decode(errors="replace")}
                record = Received(parts.path, query, body, self.headers.get("Content-Type", ""))
                if server.secret:
                    record.signature_ok = server.signature_ok(query)
                with server._lock:
                    server.received.append(record)
                    status, answer, delay = server.script.pop(0) if server.script else OK
                if record.signature_ok is False:
                    status, answer = 200, {"errcode": 310000, "errmsg": "sign not match"}
                if delay:
                    time.sleep(delay)
                payload = json.dumps(answer).encode() if answer is not None else b"<html>busy</html>"
                try:
                    self.send_response(status)
                    if status in (301, 302):
                        self.send_header("Location", "http://example.invalid/elsewhere")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.httpd.server_address[1]

    def url(self, path="/cgi-bin/webhook/send?key=test-key-0123456789"):
        return f"http://127.0.0.1:{self.port}{path}"

    def signature_ok(self, query):
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
            return False
        expected = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(expected).decode(), sign)  # parse_qs has url-decoded it

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
