"""Writing notifications to the outbox, in the same transaction as their cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.audit import jsonable
from gendan.models import Notification, User


def enqueue(
    session: Session,
    *,
    cause: str,
    users: list[User],
    template: str,
    context: dict[str, Any],
    now: datetime,
    urgent: bool = False,
    channels: tuple[str, ...] = ("email", "sms"),
) -> list[Notification]:
    """One row per person and channel (e-mail, SMS; ``channels`` may leave SMS out); a cause
    already queued is not queued twice."""
    rows: list[Notification] = []
    for user in users:
        for channel, address in (("email", user.email), ("sms", user.phone)):
            if not address or channel not in channels:
                continue
            exists = session.exec(
                select(Notification.id).where(
                    Notification.cause == cause,
                    Notification.channel == channel,
                    Notification.address == address,
                )
            ).first()
            if exists is not None:
                continue
            row = Notification(
                cause=cause,
                channel=channel,
                user_id=user.id,
                address=address,
                template=template,
                context=jsonable(context),
                urgent=urgent,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(row)
            rows.append(row)
    return rows
