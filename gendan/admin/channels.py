"""Notification channels: the SMTP and SMS URLs in effect, their overrides, and a test send."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan.admin.changes import record
from gendan.admin.masking import keep_masked_secrets, mask_secrets, mask_url
from gendan.admin.validation import EMAIL, INVALID_EMAIL, PHONE, REQUIRED, clean
from gendan.db import reader, unit_of_work
from gendan.errors import InvalidForm
from gendan.models import ChannelSetting
from gendan.org import Actor
from gendan.settings import Settings
from notifications import channels
from notifications.channels import DeliveryResult, Message
from notifications.times import local

#: The settings an administrator may override, with their labels.
CHANNEL_KEYS: dict[str, tuple[str, str]] = {
    "smtp_url": ("邮件服务器 (SMTP)", "Mail server (SMTP)"),
    "sms_url": ("短信网关", "SMS gateway"),
}


def effective_channels(session: Session, settings: Settings) -> tuple[str, str]:
    """``(smtp_url, sms_url)`` for sending now: the administrator's, else the environment's."""
    rows = {r.key: r.value for r in session.exec(select(ChannelSetting)).all()}
    return (
        rows.get("smtp_url") or settings.smtp_url,
        rows.get("sms_url") or settings.sms_url,
    )


@dataclass(frozen=True)
class ChannelView:
    key: str
    label_zh: str
    label_en: str
    masked: str
    #: "database" (set on the admin page) or "environment" (GENDAN_SMTP_URL / GENDAN_SMS_URL)
    source: str
    updated_at: datetime | None


def channel_views(session: Session, settings: Settings) -> list[ChannelView]:
    rows = {r.key: r for r in session.exec(select(ChannelSetting)).all()}
    out = []
    for key, (zh, en) in CHANNEL_KEYS.items():
        row = rows.get(key)
        value = row.value if row else str(getattr(settings, key))
        out.append(
            ChannelView(
                key=key,
                label_zh=zh,
                label_en=en,
                masked=mask_url(value),
                source="database" if row else "environment",
                updated_at=row.updated_at if row else None,
            )
        )
    return out


def _validate_channel(key: str, value: str) -> None:
    """Parse ``value`` as the delivery code will: a malformed URL raises ValueError."""
    if key == "smtp_url":
        probe = Message("email", "probe@example.com", "probe", "probe")
        channels.apprise_url_for(probe, smtp_url=value, sms_url="")
    else:
        probe = Message("sms", "13800000000", "", "probe")
        channels.apprise_url_for(probe, smtp_url="", sms_url=value)


def _checked_value(key: str, value: Any, current: str) -> str:
    """The URL to store for ``key`` ("" for none), ``***`` replaced by ``current``'s secrets."""
    text = clean(value, max_len=2000)
    if len(text) > 2000:
        raise InvalidForm({"value": "最多 2000 个字符 / at most 2000 characters"})
    if text:
        text = keep_masked_secrets(text, current)
        try:
            _validate_channel(key, text)
        except ValueError as exc:
            raise InvalidForm({"value": mask_secrets(str(exc), text)}) from None
    return text


def _store(
    session: Session, row: ChannelSetting | None, key: str, text: str, now: datetime
) -> None:
    """Write ``text`` as the override of ``key``; "" removes the override."""
    if text:
        if row is None:
            row = ChannelSetting(key=key, value=text, updated_at=now)
        else:
            row.value, row.updated_at = text, now
        session.add(row)
    elif row is not None:
        session.delete(row)


def set_channel(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    key: Any,
    value: Any,
) -> None:
    """Override ``smtp_url`` or ``sms_url``; an empty value goes back to the environment's."""
    k = clean(key, max_len=20)
    if k not in CHANNEL_KEYS:
        raise InvalidForm({"key": "未知的通道 / unknown channel"})
    row = session.get(ChannelSetting, k)
    env = str(getattr(settings, k))
    text = _checked_value(k, value, current=row.value if row else env)
    old_value = row.value if row else None
    if text == (old_value or "") or (old_value is None and text == env):
        return  # unchanged (saving the environment's value as shown does not pin it)
    _store(session, row, k, text, now)
    record(
        session,
        actor=actor,
        now=now,
        what="channel_set",
        changes={
            k: {
                "old": mask_url(old_value) if old_value else None,
                "new": mask_url(text) if text else None,
            }
        },
        detail={
            "channel": k,
            "effective": mask_url(text or env),
            "source": "database" if text else "environment",
        },
    )


def channel_test_message(
    address: Any, *, actor: Actor, now: datetime, timezone: str = "Asia/Shanghai"
) -> Message:
    """The test message for ``address``: an e-mail address gets a mail, a phone an SMS; the
    time in it is company time (``timezone``), as in every message a person reads."""
    addr = clean(address, max_len=200)
    if not addr:
        raise InvalidForm({"address": REQUIRED})
    if "@" in addr:
        if not EMAIL.match(addr):
            raise InvalidForm({"address": INVALID_EMAIL})
        channel = "email"
    elif PHONE.match(addr):
        channel = "sms"
    else:
        raise InvalidForm(
            {"address": "请输入电子邮件地址或手机号 / enter an e-mail address or a phone number"}
        )
    when = local(now, timezone)
    subject = "gendan 跟单 测试消息 / test message"
    body = (
        f"这是 {actor.display_name} 于 {when} 发送的测试消息。\n"
        f"This is a test message sent by {actor.display_name} at {when}.\n"
    )
    return Message(channel, addr, subject, body)  # type: ignore[arg-type]


SendFn = Callable[..., DeliveryResult]


def send_test(
    db: Engine,
    settings: Settings,
    *,
    actor: Actor,
    now: datetime,
    address: Any,
    send: SendFn = channels.send,
) -> tuple[Message, DeliveryResult]:
    """Send one test message now through the effective channel and audit the outcome.

    Reads the channels, sends outside any transaction (no write lock held during
    the network call), then records ``admin.channel_test`` with the result.
    """
    message = channel_test_message(address, actor=actor, now=now, timezone=settings.timezone)
    with Session(reader(db)) as s:
        smtp_url, sms_url = effective_channels(s, settings)
    url = smtp_url if message.channel == "email" else sms_url
    try:
        result = send(message, smtp_url=smtp_url, sms_url=sms_url)
    except ValueError as exc:  # a malformed setting from the environment
        result = DeliveryResult(ok=False, error=str(exc))
    if result.error:
        result = DeliveryResult(ok=result.ok, error=mask_secrets(result.error, url))
    detail = {
        "channel": message.channel,
        "address": message.address,
        "url": mask_url(url),
        "ok": result.ok,
        "error": result.error,
    }
    with unit_of_work(db) as s:
        record(s, actor=actor, now=now, what="channel_test", changes={}, detail=detail)
    return message, result
