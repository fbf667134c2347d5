"""Deliver one e-mail or SMS through apprise and report the real reason on failure.

``send()`` never raises for a delivery problem (connection refused, HTTP 503,
rejected recipient, ...): it returns ``DeliveryResult(ok=False, error=...)``
with the reason apprise logged. Only a malformed ``smtp_url``/``sms_url`` (the
one the message's channel uses) raises ValueError.

SMS go to the gateway as an HTTP POST with the JSON body
``{"to": "<phone>", "text": "<message.body>"}`` (``message.subject`` is not
sent; build the body with ``messages.sms_text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import apprise

from notifications._capture import capture_apprise_log, describe_failure
from notifications._urls import sms_to_apprise, smtp_to_apprise, valid_email

__all__ = ["DeliveryResult", "Message", "apprise_url_for", "send"]

_PHONE = re.compile(r"^\+?[0-9][0-9 -]*[0-9]$")


@dataclass(frozen=True)
class Message:
    """One notification to one recipient."""

    channel: Literal["email", "sms"]
    address: str  # e-mail address or phone number
    subject: str
    body: str


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome of one ``send()``; ``error`` says why when ``ok`` is False."""

    ok: bool
    error: str | None = None


def apprise_url_for(message: Message, *, smtp_url: str, sms_url: str) -> str:
    """The apprise URL that delivers ``message`` (no timeouts; ``send`` adds them).

    Only the setting of the message's channel is read and validated; a
    malformed one raises ValueError. The address is URL-quoted, not checked.
    """
    if message.channel == "email":
        return smtp_to_apprise(smtp_url, message.address)
    if message.channel == "sms":
        return sms_to_apprise(sms_url, message.address)
    raise ValueError(f"unknown channel {message.channel!r} (expected 'email' or 'sms')")


def _address_problem(message: Message) -> str | None:
    address = message.address.strip()
    if message.channel == "email" and not valid_email(address):
        return f"invalid e-mail address {message.address!r}"
    if message.channel == "sms" and not _PHONE.match(address):
        return f"invalid phone number {message.address!r}"
    return None


def send(message: Message, *, smtp_url: str, sms_url: str, timeout: float = 10.0) -> DeliveryResult:
    """Deliver ``message`` now; ``timeout`` bounds connecting and each read (seconds)."""
    url = apprise_url_for(message, smtp_url=smtp_url, sms_url=sms_url)
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    problem = _address_problem(message)
    if problem:
        return DeliveryResult(ok=False, error=problem)

    if message.channel == "email":
        title, body = message.subject, message.body
    else:
        title, body = "", message.body or message.subject
    if not (title or body):
        return DeliveryResult(ok=False, error="nothing to send: subject and body are empty")

    url += f"&cto={timeout:g}&rto={timeout:g}"
    asset = apprise.AppriseAsset(async_mode=False, interpret_emojis=False, storage_mode="memory")
    with capture_apprise_log() as records:
        try:
            client = apprise.Apprise(asset=asset)
            if not client.add(url):
                return DeliveryResult(ok=False, error=describe_failure(records))
            ok = client.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # a delivery failure must never raise
            return DeliveryResult(ok=False, error=f"apprise raised {exc!r}")
    if ok:
        return DeliveryResult(ok=True)
    return DeliveryResult(ok=False, error=describe_failure(records))
