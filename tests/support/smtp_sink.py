"""SMTP sink for tests: a real aiosmtpd server on 127.0.0.1 that keeps every mail.

Optional STARTTLS / implicit TLS (self-signed) and AUTH, to exercise each
form of gendan's smtp_url against a real server.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support._common import free_port, wait_until

__all__ = ["ReceivedMail", "SmtpSink"]


@dataclass(frozen=True)
class ReceivedMail:
    """One mail as the SMTP sink received it, headers decoded to str."""

    subject: str
    to: str
    from_: str
    body: str  # the text/plain part, decoded, line ends normalised to "\n"
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage = field(repr=False)


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._sink.credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content().replace("\r\n", "\n") if part is not None else ""
        mail = ReceivedMail(
            subject=str(message.get("Subject", "")),
            to=str(message.get("To", "")),
            from_=str(message.get("From", "")),
            body=body,
            envelope_from=envelope.mail_from,
            envelope_to=list(envelope.rcpt_tos),
            message=message,
        )
        with self._sink._lock:
            self._sink.messages.append(mail)
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd server on 127.0.0.1 collecting every mail in ``.messages``.

    ``tls="starttls"`` offers STARTTLS, ``tls="smtps"`` speaks implicit TLS
    (self-signed certificate: ``.url`` adds ``verify=0``). ``credentials=(user,
    password)`` requires AUTH with exactly those; ``.logins`` records every
    AUTH attempt as ``(user, password, accepted)``.
    """

    def __init__(
        self,
        *,
        tls: Literal["starttls", "smtps"] | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.messages: list[ReceivedMail] = []
        self.logins: list[tuple[str, str, bool]] = []
        self.tls = tls
        self.credentials = credentials
        self.port = free_port()
        options: dict[str, Any] = {}
        if tls is not None:
            from tests.support.tls import server_ssl_context

            key = "tls_context" if tls == "starttls" else "ssl_context"
            options[key] = server_ssl_context()
        if credentials is not None:
            # AUTH is offered without TLS too; mail without AUTH is refused in DATA
            # (aiosmtpd's auth_required=True would warn on every connection).
            options.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(
            _SinkHandler(self), hostname="127.0.0.1", port=self.port, **options
        )
        self._controller.start()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        accepted = (user, password) == self.credentials
        with self._lock:
            self.logins.append((user, password, accepted))
        return AuthResult(success=accepted, handled=False)

    @property
    def url(self) -> str:
        """The gendan smtp_url of this sink (with its credentials and TLS mode)."""
        scheme = "smtps" if self.tls == "smtps" else "smtp"
        auth = ""
        if self.credentials is not None:
            user, password = (quote(part, safe="") for part in self.credentials)
            auth = f"{user}:{password}@"
        query = "from=gendan@test.local"
        if self.tls == "starttls":
            query += "&starttls=1"
        if self.tls is not None:
            query += "&verify=0"
        return f"{scheme}://{auth}127.0.0.1:{self.port}?{query}"

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until at least ``count`` mails arrived; return them all."""
        return wait_until(self._lock, self.messages, count, timeout, "mail(s)")

    def stop(self) -> None:
        self._controller.stop()
