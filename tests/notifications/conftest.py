"""Fixtures for the notifications tests: real loopback SMTP sink and SMS gateway."""

from tests.support.fixtures import sms_gateway, smtp_sink  # noqa: F401
