"""Deliver one e-mail (SMTP) or SMS (apprise) and report the real reason on failure.

``send()`` never raises for a delivery problem (connection refused, HTTP 503,
rejected recipient, ...): it returns ``DeliveryResult(ok=False, error=...)``
with the reason apprise logged. Only a malformed ``smtp_url``/``sms_url`` (the
one the message's channel uses) raises ValueError.

E-mail is spoken to the server with ``smtplib`` directly (apprise always adds a
random Message-ID of its own): ``message.message_id``, when given, becomes the
mail's ``Message-ID`` header, so a re-send of the same notification after a crash
carries the same ID and mail systems can recognise and drop the copy.

SMS go to the gateway as an HTTP POST with the JSON body
``{"to": "<phone>", "text": "<message.body>"}`` (``message.subject`` is not
sent; build the body with ``messages.sms_text``).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

import apprise

from notifications._capture import capture_apprise_log, describe_failure
from notifications._urls import (
    SmtpSettings,
    sms_to_apprise,
    smtp_settings,
    smtp_to_apprise,
    valid_email,
)

__all__ = ["DeliveryResult", "Message", "apprise_url_for", "send"]

_PHONE = re.compile(r"^\+?[0-9][0-9 -]*[0-9]$")


@dataclass(frozen=True)
class Message:
    """One notification to one recipient."""

    channel: Literal["email", "sms"]
    address: str  # e-mail address or phone number
    subject: str
    body: str
    #: ``<...@host>``, stable per notification (``messages.message_id``); e-mail only.
    message_id: str | None = None


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

    if message.channel == "email":
        return _send_email(message, smtp_settings(smtp_url), timeout=timeout)

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


def _email(message: Message, conf: SmtpSettings) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = Address(display_name=conf.name, addr_spec=conf.sender)
    mail["To"] = message.address.strip()
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message.message_id or make_msgid(domain=conf.sender.split("@")[-1])
    mail["X-Application"] = "gendan"
    mail.set_content(message.body or message.subject, subtype="plain", charset="utf-8")
    return mail


def _tls_context(conf: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not conf.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _send_email(message: Message, conf: SmtpSettings, *, timeout: float) -> DeliveryResult:
    """One SMTP conversation; ``timeout`` bounds connecting and every read (seconds)."""
    mail = _email(message, conf)
    where = f"{conf.host}:{conf.port}"
    try:
        if conf.mode == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                conf.host, conf.port, timeout=timeout, context=_tls_context(conf)
            )
        else:
            smtp = smtplib.SMTP(conf.host, conf.port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        return DeliveryResult(ok=False, error=f"Connection error to {where}: {_reason(exc)}")
    try:
        with smtp:
            if conf.mode == "starttls":
                smtp.starttls(context=_tls_context(conf))
            if conf.user is not None and conf.password is not None:
                smtp.login(conf.user, conf.password)
            refused = smtp.send_message(
                mail, from_addr=conf.sender, to_addrs=[message.address.strip()]
            )
    except (OSError, smtplib.SMTPException) as exc:
        return DeliveryResult(ok=False, error=f"SMTP error from {where}: {_reason(exc)}")
    if refused:
        return DeliveryResult(ok=False, error=f"SMTP server {where} refused {refused}")
    return DeliveryResult(ok=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"recipient refused {exc.recipients}"
    return str(exc) or type(exc).__name__
