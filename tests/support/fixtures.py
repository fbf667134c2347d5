"""Pytest fixtures for the loopback test servers (SMTP sink, SMS gateway).

Use from a conftest: ``from tests.support.fixtures import smtp_sink, sms_gateway  # noqa``.
Each test gets fresh servers on free ports; they stop at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import SmsGateway, SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A running SmtpSink; ``.url`` is a gendan smtp_url, ``.messages`` what arrived."""
    sink = SmtpSink()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    """A running SmsGateway; ``.url`` is a gendan sms_url, ``.received`` what arrived."""
    gateway = SmsGateway()
    try:
        yield gateway
    finally:
        gateway.stop()
