"""A fake 12345 platform: a local HTTP server in a thread that records the status callbacks it receives.

It checks each callback's signature with the platform's secret, answers 200, and keeps every raw receipt
(so a duplicate would show). ``stop()`` takes it off the network (connections refused), ``start()`` brings
it back on the same port.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hotline.signing import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


def free_port(start: int = 47100, end: int = 48900) -> int:
    import random

    for port in random.sample(range(start, end), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class FakePlatform:
    def __init__(self, secret: str):
        self.secret = secret
        self.port = free_port()
        self.received: list[dict] = []
        self.bad_signatures = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callbacks"

    def start(self) -> FakePlatform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                expected = sign(
                    platform.secret, self.headers[TIMESTAMP_HEADER], self.headers[NONCE_HEADER], body
                )
                with platform._lock:
                    if expected != self.headers[SIGNATURE_HEADER]:
                        platform.bad_signatures += 1
                        self.send_response(401)
                        self.end_headers()
                        return
                    platform.received.append(
                        {"key": self.headers["Idempotency-Key"], **json.loads(body.decode("utf-8"))}
                    )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def kinds(self) -> list[str]:
        with self._lock:
            return [r["kind"] for r in self.received]
