"""A real HTTP SMS gateway on 127.0.0.1 (``http.server`` in a thread) for the webhook backend's tests.

It records every request, verifies signatures the way a receiver would (``verify_signature``), answers
from a script of responses, and, like a provider honouring ``Idempotency-Key``, delivers one message per
key however often it is posted.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.channels.sms import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


@dataclass
class Step:
    """One scripted answer: wait ``delay`` seconds (or until ``hold`` is set), then answer ``status``."""

    status: int = 200
    delay: float = 0.0
    hold: threading.Event | None = None


@dataclass
class Received:
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def idempotency_key(self) -> str:
        return self.headers.get(IDEMPOTENCY_HEADER, "")


@dataclass
class GatewayState:
    secret: str
    script: list[Step] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    delivered: dict[str, dict] = field(default_factory=dict)  # idempotency key → payload
    received_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestSmsGateway/1"

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        state: GatewayState = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {key: value for key, value in self.headers.items()}
        received = Received(
            headers=headers,
            body=body,
            signature_ok=verify_signature(
                secret=state.secret,
                timestamp=headers.get(TIMESTAMP_HEADER, ""),
                body=body,
                signature=headers.get(SIGNATURE_HEADER, ""),
            ),
        )
        with state.lock:
            state.requests.append(received)
            step = state.script.pop(0) if state.script else Step()
        state.received_event.set()
        if step.hold is not None:
            step.hold.wait(60)
        elif step.delay:
            time.sleep(step.delay)
        if not received.signature_ok:
            step = Step(status=401)
        answer = {}
        if 200 <= step.status < 300:
            with state.lock:
                key = received.idempotency_key
                duplicate = key in state.delivered
                state.delivered.setdefault(key, received.json)
                answer = {"message_id": f"gw-{list(state.delivered).index(key) + 1}", "duplicate": duplicate}
        payload = json.dumps(answer).encode()
        try:
            self.send_response(step.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) or was killed


class SmsGateway:
    """Start with ``SmsGateway(secret)``; ``url`` to post to; ``close()`` when done."""

    def __init__(self, secret: str):
        self.state = GatewayState(secret=secret)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.state = self.state
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/sms/send"

    def script(self, *steps: Step) -> None:
        with self.state.lock:
            self.state.script = list(steps)

    @property
    def requests(self) -> list[Received]:
        return list(self.state.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
