"""Acknowledgement of urgent SMS: the head confirms it arrived, or the GM office hears of it.

Seed 004R 四: department heads keep their phones on 08:00-22:00 every day; a
department that cannot act in writing sends an SMS to the head concerned and
confirms by phone that it arrived; "在无法联系另一方时，必须上报总经办批示".

In the system:

* Every **urgent escalation SMS** (``Notification`` with ``urgent``, channel
  ``sms``, template ``escalation``, level 1 or 2) gets one :class:`SmsAck` row
  when it is queued (:func:`request_acks`, called by the SLA sweep right after
  ``enqueue``). The row holds a random token's SHA-256 only; the token itself
  travels in the SMS as ``<base_url>/ack/<token>`` (the outbox row keeps the
  path in ``context["ack_path"]`` because the text is rendered at delivery).
  Choice: level-0 reminders go to the task's own holder, not to "the head
  concerned", so they carry no acknowledgement.
* It is due **30 minutes later on the urgent calendar** (:func:`urgent_calendar`:
  08:00-22:00 every day, weekends and holidays included), counted from when
  the SMS was queued (urgent SMS are not held by quiet hours, so it leaves with
  the next delivery run): queued at 21:50 → due 08:20 the next morning.
* **Acknowledging** — the recipient opens the link and presses the button
  (:func:`acknowledge`), or the sender records that the phone call confirmed
  it arrived (:func:`confirm_by_phone`: the task's holder or the SMS's
  recipient, logged in) — writes an ``acknowledged`` audit event once; a
  second press changes nothing.
* **Missed**: :func:`escalate_unacknowledged` (run at the end of every SLA
  sweep) claims due, unacknowledged rows (``FOR UPDATE SKIP LOCKED``), queues
  an e-mail and an SMS to the GM office (``gendan.org.gm_office``, minus the
  recipient themself) and writes an ``ack_missed`` audit event, in one
  transaction per batch: running it twice, late or on two workers notifies
  once. Choice: if the task was already closed when the time runs out there
  is nobody left to reach; the row is marked ``void`` and nobody is told.
  An acknowledgement that comes after the GM office was told is still
  recorded (``late`` in the audit event).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Index, update
from sqlmodel import Field, Session, SQLModel, select

from gendan import audit
from gendan.batches import BusyHook, batch_size, write_batch
from gendan.calendar import BusinessCalendar
from gendan.db import UTCDateTime
from gendan.errors import NotAllowed, NotFound
from gendan.message_context import message_facts, reference
from gendan.models import Instance, Notification, Task, User
from gendan.multirow import insert_rows
from gendan.org import Actor, gm_office, may_work_on
from gendan.outbox import enqueue
from gendan.security import token_digest
from gendan.timespec import Sla

if TYPE_CHECKING:
    from gendan.runtime import Runtime

__all__ = [
    "ACK_WITHIN",
    "URGENT_HOURS",
    "AckMissed",
    "AckOutcome",
    "SmsAck",
    "ack_due",
    "ack_links",
    "ack_path",
    "acknowledge",
    "confirm_by_phone",
    "describe",
    "escalate_unacknowledged",
    "find_by_token",
    "insert_acks",
    "needs_ack",
    "request_acks",
    "task_acks",
    "urgent_calendar",
]

#: Heads keep their phones on 08:00-22:00, every day (004R 四).
URGENT_HOURS: tuple[tuple[time, time], ...] = ((time(8), time(22)),)
#: How long the recipient has to acknowledge, on the urgent calendar.
ACK_WITHIN = Sla.minutes(30)
#: Path of the acknowledgement page; the token follows.
ACK_PREFIX = "/ack/"
_DEFAULT_TZ = "Asia/Shanghai"
#: 128 random bits, URL-safe: 22 characters, short enough for an SMS.
_TOKEN_BYTES = 16


def _ts(*, nullable: bool, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class SmsAck(SQLModel, table=True):
    """One urgent SMS waiting for (or having had) the recipient's acknowledgement."""

    #: The sweep reads pending rows in due order.
    __table_args__ = (Index("ix_smsack_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", unique=True)
    #: The notification's cause (e.g. ``timer:12``), kept for the record.
    cause: str
    #: The recipient.
    user_id: int | None = Field(default=None, foreign_key="user.id")
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    #: SHA-256 of the token in the link; the token itself is not stored here.
    token_hash: str = Field(unique=True)
    sent_at: datetime = _ts(nullable=False)
    due_at: datetime = _ts(nullable=False)
    #: pending | acknowledged | escalated (GM office told) | void (task closed in time)
    status: str = "pending"
    acked_at: datetime | None = _ts(nullable=True)
    acked_by_id: int | None = Field(default=None, foreign_key="user.id")
    #: link (the recipient pressed the button) | phone (the sender recorded the call)
    acked_how: str | None = None
    escalated_at: datetime | None = _ts(nullable=True)


@dataclass(frozen=True)
class AckOutcome:
    ack: SmsAck
    #: False when it had been acknowledged before: nothing was written this time.
    recorded: bool


@dataclass(frozen=True)
class AckMissed:
    """One missed acknowledgement reported to the GM office (shaped like an ``Escalation``)."""

    ack_id: int
    task_id: int
    order_no: str
    recipients: tuple[str, ...]
    level: int = 2


# --- the urgent calendar ------------------------------------------------------------------


@lru_cache(maxsize=8)
def urgent_calendar(tz: str = _DEFAULT_TZ) -> BusinessCalendar:
    """08:00-22:00 every day of the year: no weekends, no holidays (004R 四).

    For anything counted in the hours heads are reachable by phone (urgent
    SMS acknowledgements now, the urgent-order procedure later).
    """
    return BusinessCalendar(
        tz=tz, working_hours=URGENT_HOURS, weekend=frozenset(), use_statutory=False
    )


def ack_due(sent_at: datetime, tz: str = _DEFAULT_TZ) -> datetime:
    """When an urgent SMS queued at ``sent_at`` must have been acknowledged."""
    return urgent_calendar(tz).add(sent_at, ACK_WITHIN)


def ack_path(token: str) -> str:
    return f"{ACK_PREFIX}{token}"


# --- asking -------------------------------------------------------------------------------


def needs_ack(row: Notification) -> bool:
    """An urgent escalation SMS to a head or the GM office (level 1 or 2)."""
    return _wants_ack(row.urgent, row.channel, row.template, row.context)


def _wants_ack(urgent: bool, channel: str, template: str, context: dict[str, Any]) -> bool:
    level = _int_or_none(context.get("level"))
    return bool(urgent and channel == "sms" and template == "escalation" and (level or 0) >= 1)


def request_acks(
    session: Session, notifications: Iterable[Notification], now: datetime
) -> list[SmsAck]:
    """One acknowledgement per urgent escalation SMS just queued; others are left alone.

    Called in the transaction that queued the rows; puts the link's path into
    each row's context (``ack_path``), which the SMS text carries.
    """
    wanted = [n for n in notifications if needs_ack(n)]
    if not wanted:
        return []
    session.flush()  # the notifications' ids
    acks: list[SmsAck] = []
    for row in wanted:
        assert row.id is not None
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        tz = str(row.context.get("timezone") or _DEFAULT_TZ)
        ack = SmsAck(
            notification_id=row.id,
            cause=row.cause,
            user_id=row.user_id,
            task_id=_int_or_none(row.context.get("task_id")),
            token_hash=token_digest(token),
            sent_at=now,
            due_at=ack_due(now, tz),
        )
        session.add(ack)
        row.context = {**row.context, "ack_path": ack_path(token)}  # a new dict: JSON is saved
        session.add(row)
        acks.append(ack)
    session.flush()
    return acks


def ack_links(rows: Iterable[dict[str, Any]], now: datetime) -> list[tuple[dict, dict]]:
    """:func:`request_acks` for outbox rows not yet written (``gendan.outbox.outbox_rows``):
    the link's path goes into each urgent escalation SMS's context now; returns (row, the
    acknowledgement's columns) pairs for :func:`insert_acks` once the rows have their ids."""
    pairs: list[tuple[dict, dict]] = []
    for row in rows:
        if not _wants_ack(row["urgent"], row["channel"], row["template"], row["context"]):
            continue
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        tz = str(row["context"].get("timezone") or _DEFAULT_TZ)
        row["context"] = {**row["context"], "ack_path": ack_path(token)}
        ack = {
            "cause": row["cause"],
            "user_id": row["user_id"],
            "task_id": _int_or_none(row["context"].get("task_id")),
            "token_hash": token_digest(token),
            "sent_at": now,
            "due_at": ack_due(now, tz),
            "status": "pending",
        }
        pairs.append((row, ack))
    return pairs


def insert_acks(session: Session, pairs: Iterable[tuple[dict, dict]]) -> int:
    """One multi-row INSERT of the acknowledgements whose outbox rows were written (have an
    ``id``; a row already queued before is not asked twice)."""
    acks = [{**ack, "notification_id": row["id"]} for row, ack in pairs if row.get("id")]
    insert_rows(session, SmsAck.__table__, acks)  # type: ignore[arg-type]
    return len(acks)


# --- acknowledging ------------------------------------------------------------------------


def find_by_token(session: Session, token: str) -> SmsAck:
    ack = session.exec(select(SmsAck).where(SmsAck.token_hash == token_digest(token))).first()
    if ack is None:
        raise NotFound("unknown or mistyped acknowledgement link / 确认链接无效")
    return ack


def acknowledge(session: Session, token: str, *, now: datetime, how: str = "link") -> AckOutcome:
    """The recipient confirms the SMS arrived (they hold its link); idempotent."""
    ack = find_by_token(session, token)
    recipient = session.get(User, ack.user_id) if ack.user_id else None
    return _record(session, ack, now=now, how=how, by=recipient)


def confirm_by_phone(session: Session, ack_id: int, *, actor: Actor, now: datetime) -> AckOutcome:
    """The sender records that a phone call confirmed the SMS arrived; counts as acknowledged.

    Allowed to whoever may work on the task (its holder or candidate group)
    and to the SMS's recipient; idempotent.
    """
    ack = session.get(SmsAck, ack_id)
    if ack is None:
        raise NotFound(f"no SMS acknowledgement {ack_id}")
    task = session.get(Task, ack.task_id) if ack.task_id else None
    if not (actor.user_id == ack.user_id or (task is not None and may_work_on(actor, task))):
        raise NotAllowed("only the task's holder or the SMS's recipient may record this")
    return _record(session, ack, now=now, how="phone", by=session.get(User, actor.user_id))


def _record(
    session: Session, ack: SmsAck, *, now: datetime, how: str, by: User | None
) -> AckOutcome:
    """Set the acknowledgement once (conditional UPDATE) and audit it; a repeat writes nothing."""
    result = session.execute(
        update(SmsAck)
        .where(SmsAck.id == ack.id, SmsAck.acked_at.is_(None))  # type: ignore[union-attr]
        .values(
            status="acknowledged",
            acked_at=now,
            acked_how=how,
            acked_by_id=by.id if by else None,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(ack)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return AckOutcome(ack, recorded=False)
    task, inst = _task_and_instance(session, ack)
    recipient = session.get(User, ack.user_id) if ack.user_id else None
    audit.append(
        session,
        action="acknowledged",
        actor_id=by.id if by else None,
        actor_name=by.display_name if by else "unknown",
        at=now,
        instance_id=inst.id if inst else None,
        task_id=ack.task_id,
        order_no=inst.order_no if inst else None,
        from_state=inst.state if inst else None,
        to_state=inst.state if inst else None,
        reason="confirmed by phone / 已电话确认" if how == "phone" else "",
        detail={
            "ack_id": ack.id,
            "notification_id": ack.notification_id,
            "how": how,
            "recipient": recipient.username if recipient else None,
            "sent_at": ack.sent_at,
            "due_at": ack.due_at,
            "late": now > ack.due_at or ack.escalated_at is not None,
        },
    )
    return AckOutcome(ack, recorded=True)


# --- missed -------------------------------------------------------------------------------


def escalate_unacknowledged(
    rt: Runtime,
    *,
    now: datetime,
    batch: int | None = None,
    on_busy: BusyHook | None = None,
    pause: bool = True,
) -> list[AckMissed]:
    """Tell the GM office of every urgent SMS not acknowledged by its due time; once each.

    In short batches retried on a locked SQLite database, as the sweep (``gendan.batches``).
    """
    done: list[AckMissed] = []
    size = batch_size(rt.db, batch)
    calendar = rt.calendar  # read once, outside the write transactions

    def one_batch(session: Session) -> tuple[int, list[AckMissed]]:
        acks = session.exec(
            select(SmsAck)
            .where(SmsAck.status == "pending", SmsAck.due_at <= now)
            .order_by(SmsAck.due_at, SmsAck.id)  # type: ignore[arg-type]
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        missed = [_miss(session, ack, now=now, calendar=calendar) for ack in acks]
        return len(acks), [m for m in missed if m]

    while True:
        claimed, missed = write_batch(
            rt.db, one_batch, on_busy=on_busy, pause=lambda r: pause and r[0] == size
        )
        done.extend(missed)
        if claimed < size:
            return done


def _miss(
    session: Session, ack: SmsAck, *, now: datetime, calendar: BusinessCalendar
) -> AckMissed | None:
    task, inst = _task_and_instance(session, ack)
    if task is None or inst is None or task.status != "open":
        ack.status = "void"
        session.add(ack)
        return None
    recipient = session.get(User, ack.user_id) if ack.user_id else None
    note = session.get(Notification, ack.notification_id)
    sms = note.context if note else {}
    targets = [u for u in gm_office(session) if u.id != ack.user_id]
    enqueue(
        session,
        cause=f"ack_missed:{ack.id}",
        users=targets,
        template="ack_missed",
        context={
            "task_id": task.id,
            "instance_id": inst.id,
            **reference(inst),
            "task_title_zh": task.title_zh,
            "task_title_en": task.title_en,
            "procedure_zh": sms.get("procedure_zh", ""),
            "procedure_en": sms.get("procedure_en", ""),
            "level": sms.get("level"),
            "recipient_name": recipient.display_name if recipient else "",
            "recipient_phone": note.address if note else "",
            "sent_at": ack.sent_at,
            "due_at": ack.due_at,
            "timezone": sms.get("timezone") or _DEFAULT_TZ,
            **message_facts(session, task, calendar=calendar, now=now, inst=inst),
        },
        now=now,
        urgent=True,
    )
    ack.status, ack.escalated_at = "escalated", now
    session.add(ack)
    usernames = tuple(u.username for u in targets)
    audit.on_instance(
        session,
        inst,
        action="ack_missed",
        actor=None,
        at=now,
        task_id=task.id,
        detail={
            "ack_id": ack.id,
            "notification_id": ack.notification_id,
            "recipient": recipient.username if recipient else None,
            "sent_at": ack.sent_at,
            "due_at": ack.due_at,
            "target": "GM office",
            "recipients": list(usernames),
        },
    )
    assert ack.id is not None and task.id is not None
    return AckMissed(ack.id, task.id, inst.order_no, usernames)


# --- reading ------------------------------------------------------------------------------


def describe(session: Session, ack: SmsAck) -> dict[str, Any]:
    """What the acknowledgement pages show: the task, the recipient, times and status."""
    task, inst = _task_and_instance(session, ack)
    recipient = session.get(User, ack.user_id) if ack.user_id else None
    by = session.get(User, ack.acked_by_id) if ack.acked_by_id else None
    return {
        "id": ack.id,
        "task_id": ack.task_id,
        "order_no": inst.reference if inst else "",
        "task_title_zh": task.title_zh if task else "",
        "task_title_en": task.title_en if task else "",
        "task_open": bool(task and task.status == "open"),
        "recipient": recipient.display_name if recipient else "",
        "recipient_id": ack.user_id,
        "sent_at": ack.sent_at,
        "due_at": ack.due_at,
        "status": ack.status,
        "acked_at": ack.acked_at,
        "acked_how": ack.acked_how,
        "acked_by": by.display_name if by else None,
        "escalated_at": ack.escalated_at,
    }


def task_acks(session: Session, task_id: int) -> list[SmsAck]:
    """The urgent SMS of one task, oldest first."""
    return list(
        session.exec(
            select(SmsAck).where(SmsAck.task_id == task_id).order_by(SmsAck.id)  # type: ignore[arg-type]
        ).all()
    )


def _task_and_instance(session: Session, ack: SmsAck) -> tuple[Task | None, Instance | None]:
    task = session.get(Task, ack.task_id) if ack.task_id else None
    inst = session.get(Instance, task.instance_id) if task else None
    return task, inst


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
