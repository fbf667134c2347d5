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

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from gendan.audit import jsonable
from gendan.models import Notification, User
from gendan.multirow import insert_rows

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


def add_many_to_digest(
    session: Session,
    *,
    run: str,
    entries: Sequence[tuple[list[User], dict[str, Any]]],
    now: datetime,
) -> None:
    """:func:`add_to_digest` for a whole batch of the sweep: each ``(users, item)`` in order,
    with one SELECT of the run's digests for these people, one multi-row INSERT of the new
    ones and one UPDATE per digest that grows (not per item).

    The rows end as ``add_to_digest`` item after item would leave them; a digest that
    delivery took meanwhile (no longer ``pending``) goes the item-by-item way, to its
    follow-up row.
    """
    groups: dict[tuple[int | None, str, str], tuple[User, list[dict[str, Any]]]] = {}
    keys: set[tuple[int | None, str, str, Any]] = set()
    for users, raw in entries:
        item = jsonable(raw)
        for user in users:
            for channel, address in (("email", user.email), ("sms", user.phone)):
                if address and (user.id, channel, address, _key(item)) not in keys:
                    keys.add((user.id, channel, address, _key(item)))
                    groups.setdefault((user.id, channel, address), (user, []))[1].append(item)
    if not groups:
        return
    causes = sorted({sweep_cause(run, uid) for uid, _, _ in groups})
    found = session.execute(
        select(
            Notification.id,
            Notification.cause,
            Notification.channel,
            Notification.address,
            Notification.status,
            Notification.template,
            Notification.context,
        ).where(Notification.cause.in_(causes))  # type: ignore[attr-defined]
    ).all()
    existing = {(r.cause, r.channel, r.address): r for r in found}
    new_rows: list[dict[str, Any]] = []
    for (uid, channel, address), (user, items) in groups.items():
        row = existing.get((sweep_cause(run, uid), channel, address))
        if row is None:
            new_rows.append(_new_digest(run, user, channel, address, items, now))
        elif row.status != "pending" or not _grow(session, row, items):
            for item in items:  # delivery took it: the follow-up rows, item by item
                _add_one(session, run, user, channel, address, item, now)
    insert_rows(session, Notification.__table__, new_rows)  # type: ignore[arg-type]


def _new_digest(
    run: str, user: User, channel: str, address: str, items: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """A first row of the run: a plain ``escalation`` for one item, a ``digest`` for more."""
    one = len(items) == 1
    return {
        "cause": sweep_cause(run, user.id),
        "channel": channel,
        "user_id": user.id,
        "address": address,
        "template": "escalation" if one else "digest",
        "context": items[0] if one else _digest_context(items),
        "subject": "",
        "urgent": False,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _grow(session: Session, row: Any, items: list[dict[str, Any]]) -> bool:
    """Add the items not yet in the pending digest ``row``; False if delivery took it."""
    had = list(row.context.get("items", [])) if row.template == "digest" else [dict(row.context)]
    known = {_key(h) for h in had}
    more = [i for i in items if _key(i) not in known]
    if not more:
        return True
    grown = session.execute(
        update(Notification)
        .where(Notification.id == row.id, Notification.status == "pending")  # type: ignore[arg-type]
        .values(template="digest", context=_digest_context([*had, *more]))
        .execution_options(synchronize_session=False)
    )
    return grown.rowcount == 1  # type: ignore[attr-defined]


def _items(row: Notification) -> list[dict[str, Any]]:
    if row.template == "digest":
        return list(row.context.get("items", []))
    return [dict(row.context)]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _key(a) == _key(b)


def _key(item: dict[str, Any]) -> tuple[Any, Any]:
    """What makes an item the same one: its task and level."""
    return item.get("task_id"), item.get("level")


def _digest_context(items: list[dict[str, Any]]) -> dict[str, Any]:
    orders = {i.get("order_no") for i in items}
    return {
        "items": items,
        "order_no": next(iter(orders)) if len(orders) == 1 else None,
        "timezone": items[0].get("timezone"),
    }
