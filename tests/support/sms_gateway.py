"""SMS gateway stand-in for tests: a real HTTP server on 127.0.0.1 recording JSON POSTs."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support._common import wait_until

__all__ = ["SmsGateway"]


class _GatewayHandler(BaseHTTPRequestHandler):
    server: _GatewayServer

    def do_POST(self) -> None:
        gateway = self.server.gateway
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(raw.decode("utf-8"))
        except ValueError:
            payload = None
        entry = {
            "to": payload.get("to") if isinstance(payload, dict) else None,
            "text": payload.get("text") if isinstance(payload, dict) else None,
            "payload": payload,
            "raw": raw,
            "path": self.path,
            "headers": dict(self.headers.items()),
        }
        status = gateway.fail_status if gateway.fail else 200
        with gateway._lock:  # record before answering: send() returns after the answer
            gateway.requests.append(entry)
            if status == 200:
                gateway.received.append(entry)
        if gateway.delay > 0:  # a slow carrier (I/O timing), never SLA time
            time.sleep(gateway.delay)
        answer = json.dumps({"ok": status == 200}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    gateway: SmsGateway


class SmsGateway:
    """HTTP SMS gateway stand-in on 127.0.0.1.

    ``.received``: accepted POSTs, each a dict with ``to``, ``text`` (from the
    JSON body), ``payload`` (the parsed JSON), ``raw`` (bytes), ``path`` and
    ``headers``. ``.requests``: every POST, accepted or not. Set ``.fail =
    True`` to answer ``fail_status`` (503) instead of 200; ``.delay`` (seconds)
    holds each answer back.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.fail = False
        self.fail_status = 503
        self.delay = 0.0  # seconds to wait before answering (after recording)
        self._server = _GatewayServer(("127.0.0.1", 0), _GatewayHandler)
        self._server.gateway = self
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=f"sms-gateway-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The gendan sms_url of this gateway."""
        return f"http://127.0.0.1:{self.port}/sms"

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` SMS were accepted; return them all."""
        return wait_until(self._lock, self.received, count, timeout, "accepted SMS")

    def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` POSTs arrived (accepted or not)."""
        return wait_until(self._lock, self.requests, count, timeout, "SMS request(s)")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
