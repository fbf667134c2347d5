"""Writing notifications to the outbox, in the same transaction as their cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.audit import jsonable
from gendan.models import Notification, User
from gendan.multirow import insert_rows


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


def outbox_rows(
    *,
    cause: str,
    users: list[User],
    template: str,
    context: dict[str, Any],
    now: datetime,
    urgent: bool = False,
    channels: tuple[str, ...] = ("email", "sms"),
) -> list[dict[str, Any]]:
    """The rows :func:`enqueue` would write, as column values (for :func:`enqueue_rows`)."""
    stored = jsonable(context)
    return [
        {
            "cause": cause,
            "channel": channel,
            "user_id": user.id,
            "address": address,
            "template": template,
            "context": stored,
            "subject": "",
            "urgent": urgent,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for user in users
        for channel, address in (("email", user.email), ("sms", user.phone))
        if address and channel in channels
    ]


def enqueue_rows(session: Session, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write many outbox rows (:func:`outbox_rows`) at once: one SELECT for the causes already
    queued, one multi-row INSERT; returns the rows written, each with its new ``id``.

    As :func:`enqueue`: a (cause, channel, address) already queued, or twice in ``rows``, is
    written once.
    """
    if not rows:
        return []
    causes = sorted({r["cause"] for r in rows})
    seen = {
        (c, ch, a)
        for c, ch, a in session.execute(
            select(Notification.cause, Notification.channel, Notification.address).where(
                Notification.cause.in_(causes)  # type: ignore[attr-defined]
            )
        ).all()
    }
    fresh: list[dict[str, Any]] = []
    for row in rows:
        key = (row["cause"], row["channel"], row["address"])
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    returned = insert_rows(
        session,
        Notification.__table__,  # type: ignore[arg-type]
        fresh,
        returning=(
            Notification.id,
            Notification.cause,
            Notification.channel,
            Notification.address,
        ),
    )
    ids = {(r.cause, r.channel, r.address): r.id for r in returned}
    for row in fresh:
        row["id"] = ids[(row["cause"], row["channel"], row["address"])]
    return fresh
