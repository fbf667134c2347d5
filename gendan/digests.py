"""One message per person per sweep: a sweep's reminders and escalations grouped per recipient.

Choice: the digest row is keyed by the sweep run (``cause = "sweep:<run>:u<user id>"``) and
written in the same transaction as the timer it reports, because the sweep commits in small
batches (``gendan.batches``): collecting rows until the end of the run would lose them if the
run died between a batch's commit and the end. The first item makes a plain ``escalation`` row
(a lone escalation reads as before); a second item of the same run turns that row into a
``digest`` while it is still ``pending``. If delivery took the row meanwhile (it is
``sending``/``sent``), the item goes into a follow-up row of the same run.

Idempotent as the sweep is: a timer fires once, so its item is added once; a retried batch is
rolled back with everything it added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from gendan.audit import jsonable
from gendan.models import Notification, User

#: A digest's rows per recipient and channel at most (follow-ups when delivery was quicker).
MAX_FOLLOW_UPS = 50


def sweep_cause(run: str, user_id: int | None, part: int = 0) -> str:
    base = f"sweep:{run}:u{user_id}"
    return base if part == 0 else f"{base}:{part}"


def add_to_digest(
    session: Session,
    *,
    run: str,
    users: list[User],
    item: dict[str, Any],
    now: datetime,
) -> list[Notification]:
    """Add ``item`` (a task's message context with its ``level``) to each user's digest of
    sweep ``run``; returns the rows written or grown."""
    item = jsonable(item)
    touched: list[Notification] = []
    for user in users:
        for channel, address in (("email", user.email), ("sms", user.phone)):
            if address:
                row = _add_one(session, run, user, channel, address, item, now)
                if row is not None:
                    touched.append(row)
    return touched


def _add_one(
    session: Session,
    run: str,
    user: User,
    channel: str,
    address: str,
    item: dict[str, Any],
    now: datetime,
) -> Notification | None:
    for part in range(MAX_FOLLOW_UPS):
        cause = sweep_cause(run, user.id, part)
        row = session.exec(
            select(Notification).where(
                Notification.cause == cause,
                Notification.channel == channel,
                Notification.address == address,
            )
        ).first()
        if row is None:
            row = Notification(
                cause=cause,
                channel=channel,
                user_id=user.id,
                address=address,
                template="escalation",
                context=item,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return row
        items = _items(row)
        if any(_same(i, item) for i in items):
            return None  # already reported in this run
        grown = session.execute(
            update(Notification)
            .where(Notification.id == row.id, Notification.status == "pending")
            .values(template="digest", context=_digest_context([*items, item]))
        )
        if grown.rowcount == 1:
            session.refresh(row)
            return row
    return None


def _items(row: Notification) -> list[dict[str, Any]]:
    if row.template == "digest":
        return list(row.context.get("items", []))
    return [dict(row.context)]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("task_id"), a.get("level")) == (b.get("task_id"), b.get("level"))


def _digest_context(items: list[dict[str, Any]]) -> dict[str, Any]:
    orders = {i.get("order_no") for i in items}
    return {
        "items": items,
        "order_no": next(iter(orders)) if len(orders) == 1 else None,
        "timezone": items[0].get("timezone"),
    }
