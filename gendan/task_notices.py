"""Telling people about tasks outside the sweep: a new task for them, a head's reminder (urge).

Written to the outbox in the transaction that opens, hands over or urges the task.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from gendan import org_cache
from gendan.audit import jsonable
from gendan.calendar import BusinessCalendar
from gendan.message_context import task_context
from gendan.models import Instance, Notification, Task, User
from gendan.org import candidates


def _email_once(
    session: Session,
    *,
    cause: str,
    user: User,
    template: str,
    context: dict[str, object],
    now: datetime,
) -> Notification | None:
    if not user.email:
        return None
    exists = session.exec(
        select(Notification.id).where(
            Notification.cause == cause,
            Notification.channel == "email",
            Notification.address == user.email,
        )
    ).first()
    if exists is not None:
        return None
    row = Notification(
        cause=cause,
        channel="email",
        user_id=user.id,
        address=user.email,
        template=template,
        context=jsonable(context),
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def notify_new_task(
    session: Session,
    task: Task,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    inst: Instance | None = None,
    to: list[User] | None = None,
    cause: str = "new_task",
) -> list[Notification]:
    """E-mail the task's holder(s) that it arrived.

    Choice: an unclaimed task (a queue) mails every active holder of the role in the
    department, because any of them may claim it and DingTalk-style "a task arrived" is what
    people expect; e-mail only (no SMS), because a new task is not yet late.
    """
    people = to if to is not None else candidates(session, task)
    context = {
        **task_context(session, task, calendar=calendar, now=now, inst=inst),
        "queue": task.assignee_id is None,
    }
    rows = []
    for user in people:
        row = _email_once(
            session,
            cause=f"{cause}:{task.id}:u{user.id}",
            user=user,
            template="new_task",
            context=context,
            now=now,
        )
        if row is not None:
            rows.append(row)
    return rows


def notify_new_tasks(
    session: Session,
    tasks: list[Task],
    *,
    calendar: BusinessCalendar,
    now: datetime,
    inst: Instance | None = None,
) -> int:
    """``notify_new_task`` for several new tasks at once (a state's tasks as it is entered):
    one SELECT for their queues' holders, one for the e-mails already queued, one multi-row
    INSERT; how many rows were written."""
    org_cache.prefetch_holders(
        session, [(t.role, t.department_id) for t in tasks if t.assignee_id is None]
    )
    rows: list[dict[str, object]] = []
    for task in tasks:
        context = jsonable({
            **task_context(session, task, calendar=calendar, now=now, inst=inst),
            "queue": task.assignee_id is None,
        })  # fmt: skip
        rows += [
            {"cause": f"new_task:{task.id}:u{user.id}", "channel": "email", "user_id": user.id,
             "address": user.email, "template": "new_task", "context": context,
             "subject": "", "urgent": False, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now}  # fmt: skip
            for user in candidates(session, task)
            if user.email
        ]
    if not rows:
        return 0
    queued = set(
        session.execute(
            select(Notification.cause, Notification.address).where(
                Notification.cause.in_({r["cause"] for r in rows}),  # type: ignore[attr-defined]
                Notification.channel == "email",
            )
        ).all()
    )
    fresh = []
    for row in rows:
        if (row["cause"], row["address"]) not in queued:
            queued.add((row["cause"], row["address"]))
            fresh.append(row)
    if fresh:  # RETURNING makes the executemany one multi-row INSERT on every driver
        table = Notification.__table__  # type: ignore[attr-defined]
        session.execute(insert(table).returning(table.c.id), fresh).all()
    return len(fresh)


def notify_urge(
    session: Session,
    task: Task,
    *,
    by: User,
    note: str,
    calendar: BusinessCalendar,
    now: datetime,
    seq: int,
) -> list[User]:
    """The head's (or GM office's) reminder with a note, to whoever holds the task now."""
    people = candidates(session, task)
    context = {
        **task_context(session, task, calendar=calendar, now=now),
        "by_name": by.display_name,
        "note": note,
    }
    for user in people:
        _email_once(
            session,
            cause=f"urge:{task.id}:{seq}:u{user.id}",
            user=user,
            template="urge",
            context=context,
            now=now,
        )
    return people
