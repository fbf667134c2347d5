"""Real loopback servers for tests: an SMTP sink (aiosmtpd) and an SMS HTTP gateway.

No mocks: gendan's code connects to these over TCP on 127.0.0.1 exactly as it
would to the factory's mail server and SMS gateway. Fixtures: ``fixtures.py``.
"""

from __future__ import annotations

from tests.support._common import free_port
from tests.support.sms_gateway import SmsGateway
from tests.support.smtp_sink import ReceivedMail, SmtpSink

__all__ = ["ReceivedMail", "SmsGateway", "SmtpSink", "closed_port_url", "free_port"]


def closed_port_url() -> str:
    """A gendan smtp_url pointing at a loopback port nobody listens on."""
    return f"smtp://127.0.0.1:{free_port()}?from=gendan@test.local"
