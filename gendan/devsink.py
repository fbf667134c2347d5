"""``gendan sink``: see locally the mail and SMS gendan sends, printed as they arrive.

An SMTP server (aiosmtpd) and a tiny HTTP SMS stand-in, both on loopback, where the default
``GENDAN_SMTP_URL`` (127.0.0.1:1025) and ``GENDAN_SMS_URL`` (127.0.0.1:9025/sms) point — or
wherever those settings point, if on this machine. Nothing is delivered anywhere.

Choice: aiosmtpd stays an optional dependency (the ``dev`` and ``test`` extras), because a
production installation sends through the company's mail server and needs no SMTP server of
its own; without it ``gendan sink`` says how to install it and runs the SMS stand-in alone.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Printer = Callable[[str], None]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def mail_text(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
    """One received mail as printed: envelope, subject, the plain-text body."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    body = part.get_content().strip() if part is not None else "(no text part)"
    return (
        f"=== mail from {mail_from} to {', '.join(rcpt_tos)}\n"
        f"Subject: {message.get('Subject', '')}\n\n{body}\n"
    )


def sms_text(payload: dict[str, Any]) -> str:
    return f"=== SMS to {payload.get('to', '?')}\n{payload.get('text', '')}\n"


class _MailHandler:
    def __init__(self, out: Printer) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.out(mail_text(envelope.content, envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def start_mail(host: str, port: int, out: Printer) -> Any:
    """The SMTP sink, started; ``.stop()`` ends it. ImportError without aiosmtpd."""
    from aiosmtpd.controller import Controller

    controller = Controller(_MailHandler(out), hostname=host, port=port)
    controller.start()
    return controller


def start_sms(host: str, port: int, path: str, out: Printer) -> ThreadingHTTPServer:
    """The SMS stand-in: POST ``path`` with JSON {"to", "text"} (what gendan sends) is printed
    and answered 200; anything else 404. Serves in a daemon thread; ``.shutdown()`` ends it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            if urlsplit(self.path).path != path:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self.send_error(400, "JSON body expected")
                return
            out(sms_text(payload if isinstance(payload, dict) else {"text": payload}))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: only what arrives
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="gendan-sms-sink", daemon=True).start()
    return server


def sms_address(sms_url: str) -> tuple[str, int, str]:
    """Host, port and path of ``GENDAN_SMS_URL`` (http only: the stand-in speaks no TLS)."""
    parts = urlsplit(sms_url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the SMS stand-in serves plain http://, not {sms_url!r}")
    return parts.hostname, parts.port or 80, parts.path or "/"
