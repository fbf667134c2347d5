"""Deliver the notification outbox: each row sent once, every attempt recorded, nothing lost.

The outbox rows were written in the transaction of their cause (an
escalation, a state change); this module turns them into e-mails and SMS.

Why it is shaped this way:

* **Claim before sending.** A row is claimed by a conditional UPDATE
  (``status`` and ``next_attempt_at`` must still be what we read) committed in
  its own short transaction. Two workers reading the same row both try; only
  one UPDATE matches, so only one sends. The slow network call then happens
  outside any transaction, so it never holds SQLite's write lock.
* **Leases, not flags.** While a row is ``sending`` its ``next_attempt_at``
  holds the end of the claim's lease (10 minutes), counted from the moment of
  *that* claim on the run's clock (the wall clock), not from the instant the run
  started: each row is claimed just before its own send, so every message starts
  with a fresh lease however long the run has been going, and a run that outlives
  10 minutes never has its in-flight row retaken by the next run. One send is
  bounded by the SMTP/HTTP timeouts (10 s to connect and per read), far inside the
  lease. A worker that crashed
  mid-send leaves the row ``sending`` with an expired lease; the next run
  takes it over. The same "due" test (``next_attempt_at <= now``) covers both
  cases, and the claim's ``next_attempt_at <= now`` condition stops two
  workers from taking over the same stuck row.
* **Record in one transaction.** The attempt row, the new status and the
  audit event are committed together, so the record never disagrees with
  itself. A crash between a successful send and that commit is the one case
  where a row may go out twice (after its lease expires): at-least-once is
  the price of never losing one. Such a copy carries the same ``Message-ID``
  (``notifications.messages.message_id``: row id, cause hash, gendan's host), so
  mail systems and readers recognise it as the same message.
* **Time is injected** (``now``), so tests and replays do not wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, select

from gendan import audit
from gendan.admin import effective_channels
from gendan.db import reader, unit_of_work
from gendan.models import DeliveryAttempt, Notification, User
from gendan.org import SYSTEM_ACTOR
from gendan.runtime import Runtime
from notifications import channels
from notifications._urls import public_url
from notifications.channels import DeliveryResult, Message
from notifications.messages import (
    ack_missed_message,
    audit_seal_message,
    fact_lines,
    mention_message,
    message_id,
    ref_words,
    sms_text,
    waiting_reminder_message,
)
from notifications.quiet_hours import sms_allowed_at
from notifications.task_messages import (
    TASK_TEMPLATES,
    facts_for,
    is_stale,
    render_task_message,
)
from notifications.times import local

__all__ = [
    "BACKOFF",
    "LEASE",
    "DeliveryReport",
    "ack_link",
    "backoff_after",
    "deliver_pending",
    "inform_message",
    "render",
]

#: How long a claim protects a row being sent; after it a crashed worker's row is retaken.
LEASE = timedelta(minutes=10)
#: Wait before the next try after the 1st, 2nd, ... failure; the last value repeats forever.
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 2, 5, 10, 30, 60))

SendFn = Callable[..., DeliveryResult]
Clock = Callable[[], datetime]


@dataclass
class DeliveryReport:
    """What one delivery pass did (rows another worker claimed first are not counted)."""

    sent: int = 0
    failed: int = 0
    postponed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.postponed


def backoff_after(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed tries: 1, 2, 5, 10, 30, then 60 minutes."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def deliver_pending(
    rt: Runtime,
    *,
    now: datetime,
    send: SendFn = channels.send,
    batch: int = 100,
    clock: Clock | None = None,
) -> DeliveryReport:
    """Send every outbox row due at ``now``; safe to run twice, concurrently, or late.

    ``send`` is ``notifications.channels.send`` unless a caller needs another
    transport; it is called as ``send(Message, smtp_url=..., sms_url=...)`` with
    the channels in effect when the run starts (``gendan.admin.effective_channels``:
    the administrator's settings, else the environment's).

    ``now`` is the instant the run is "as of" (what is due, quiet hours, the
    recorded times); ``clock`` tells the time while the run goes on and starts each
    claim's lease. It defaults to ``now`` advanced by the real time elapsed since the
    run began — the wall clock for a run as of now, the same pace for a replay.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if clock is None:
        started = time.monotonic()

        def clock() -> datetime:
            return now + timedelta(seconds=time.monotonic() - started)

    report = DeliveryReport()
    after_id = 0
    with Session(reader(rt.db)) as s:  # once per run: the admin page may override the settings
        urls = effective_channels(s, rt.settings)
    while True:
        rows, languages = _due(rt, now=now, after_id=after_id, batch=batch)
        for row in rows:
            assert row.id is not None
            after_id = row.id
            lang = languages.get(row.user_id, "zh")
            outcome = _handle(rt, row, now=now, clock=clock, send=send, lang=lang, urls=urls)
            if outcome == "sent":
                report.sent += 1
            elif outcome == "failed":
                report.failed += 1
            elif outcome == "postponed":
                report.postponed += 1
        if len(rows) < batch:
            return report


def _due(
    rt: Runtime, *, now: datetime, after_id: int, batch: int
) -> tuple[list[Notification], dict[int | None, str]]:
    """Rows due now (pending, or sending with an expired lease), in id order, plus languages.

    Read without the write lock: the claim re-checks everything it relies on.
    """
    with Session(reader(rt.db)) as s:
        rows = list(
            s.exec(
                select(Notification)
                .where(
                    Notification.status.in_(("pending", "sending")),  # type: ignore[attr-defined]
                    Notification.next_attempt_at <= now,
                    Notification.id > after_id,  # type: ignore[operator]
                )
                .order_by(Notification.id)  # type: ignore[arg-type]
                .limit(batch)
            ).all()
        )
        user_ids = {r.user_id for r in rows if r.user_id is not None}
        languages: dict[int | None, str] = {}
        if user_ids:
            for uid, lang in s.exec(
                select(User.id, User.language).where(User.id.in_(user_ids))  # type: ignore[union-attr]
            ).all():
                languages[uid] = lang if lang in ("zh", "en") else "zh"
    return rows, languages


def _handle(
    rt: Runtime,
    row: Notification,
    *,
    now: datetime,
    clock: Clock,
    send: SendFn,
    lang: str,
    urls: tuple[str, str],
) -> str:
    """One row: postpone (quiet hours), or claim, send and record. Returns what happened."""
    tz = ZoneInfo(str(row.context.get("timezone") or rt.settings.timezone))
    if is_stale(row.template, row.context, now):  # "finish before …" after the deadline
        return "dropped" if _drop(rt, row, now=now) else "taken"
    if row.channel == "sms":
        local_now = now.astimezone(tz)
        allowed = sms_allowed_at(local_now, urgent=row.urgent)
        if allowed > local_now:
            return "postponed" if _postpone(rt, row, now=now, until=allowed) else "taken"
    if not _claim(rt, row, now=now, lease_from=clock()):
        return "taken"
    subject = ""
    try:
        subject, body, link = render(
            row, base_url=rt.settings.base_url, tz=tz, lang=lang, now=now
        )
        if row.channel == "sms":
            body = sms_text(subject, link, ack_link=ack_link(row, base_url=rt.settings.base_url))
        mid = message_id(
            notification_id=row.id,  # type: ignore[arg-type]
            cause=row.cause,
            address=row.address,
            host=urlsplit(rt.settings.base_url).hostname or "",
        )
        result = send(
            Message(row.channel, row.address, subject, body, mid),  # type: ignore[arg-type]
            smtp_url=urls[0],
            sms_url=urls[1],
        )
    except Exception as exc:  # a bad template or setting must not strand the row in "sending"
        result = DeliveryResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    _record(rt, row, now=now, result=result, subject=subject)
    return "sent" if result.ok else "failed"


def _claimable(row: Notification, now: datetime) -> Any:
    """The condition under which ``row`` is still what we read and still due."""
    return (
        (Notification.id == row.id)
        & (Notification.status == row.status)
        & (Notification.next_attempt_at <= now)
    )


def _claim(rt: Runtime, row: Notification, *, now: datetime, lease_from: datetime) -> bool:
    """Take the row for this worker, committed before sending; False if someone was faster.

    The lease runs from ``lease_from`` (the run's clock at this claim), not from ``now``.
    """
    with unit_of_work(rt.db) as s:
        result = s.connection().execute(
            update(Notification)
            .where(_claimable(row, now))
            .values(status="sending", next_attempt_at=max(now, lease_from) + LEASE)
        )
        return result.rowcount == 1


def _drop(rt: Runtime, row: Notification, *, now: datetime) -> bool:
    """A reminder whose deadline passed before it could go out: never sent, recorded."""
    with unit_of_work(rt.db) as s:
        result = s.connection().execute(
            update(Notification)
            .where(_claimable(row, now))
            .values(status="dropped", last_error="deadline passed before delivery")
        )
        if result.rowcount != 1:
            return False
        ctx = row.context
        audit.append(
            s,
            action="notification_dropped",
            actor_id=None,
            actor_name=SYSTEM_ACTOR,
            at=now,
            instance_id=_int_or_none(ctx.get("instance_id")),
            task_id=_int_or_none(ctx.get("task_id")),
            order_no=ctx.get("order_no"),
            detail={"notification_id": row.id, "channel": row.channel, "address": row.address,
                    "reason": "reminder after its deadline"},
        )
        return True


def _postpone(rt: Runtime, row: Notification, *, now: datetime, until: datetime) -> bool:
    """Quiet hours: move the row to the next allowed time; no attempt, nothing to audit."""
    with unit_of_work(rt.db) as s:
        result = s.connection().execute(
            update(Notification)
            .where(_claimable(row, now))
            .values(status="pending", next_attempt_at=until.astimezone(UTC))
        )
        return result.rowcount == 1


def _record(
    rt: Runtime, row: Notification, *, now: datetime, result: DeliveryResult, subject: str
) -> None:
    """Attempt, status and audit event in one transaction."""
    with unit_of_work(rt.db) as s:
        note = s.get(Notification, row.id)
        assert note is not None and note.id is not None
        s.add(DeliveryAttempt(notification_id=note.id, at=now, ok=result.ok, error=result.error))
        detail: dict[str, Any] = {
            "notification_id": note.id,
            "channel": note.channel,
            "address": note.address,
            "cause": note.cause,
            "subject": subject,
        }
        if subject:
            note.subject = subject
        if result.ok:
            note.status, note.sent_at, note.last_error = "sent", now, None
            action = "notification_sent"
        else:
            note.attempts += 1
            note.status = "pending"
            note.last_error = result.error
            note.next_attempt_at = now + backoff_after(note.attempts)
            detail.update(
                error=result.error, attempts=note.attempts, next_attempt_at=note.next_attempt_at
            )
            action = "notification_failed"
        s.add(note)
        ctx = note.context
        audit.append(
            s,
            action=action,
            actor_id=None,
            actor_name=SYSTEM_ACTOR,
            at=now,
            instance_id=_int_or_none(ctx.get("instance_id")),
            task_id=_int_or_none(ctx.get("task_id")),
            order_no=ctx.get("order_no"),
            detail=detail,
        )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


# --- rendering ---------------------------------------------------------------------------


def render(
    row: Notification,
    *,
    base_url: str,
    tz: ZoneInfo,
    lang: str = "zh",
    now: datetime | None = None,
) -> tuple[str, str, str]:
    """``(subject, body, link)`` of a row from its template and context, at delivery time.

    Rendering late (not when the cause is written) keeps the outbox row small
    and lets a fixed wording or base URL reach rows still waiting.
    """
    ctx = row.context
    base = base_url.rstrip("/")
    if row.template in TASK_TEMPLATES:  # escalation, digest, new task, urge
        return render_task_message(
            row.template, ctx, base_url=base_url, tz=tz, lang=lang, now=now
        )
    if row.template == "inform":
        link = f"{base}/instances/{ctx['instance_id']}"
        subject, body = inform_message(
            order_no=str(ctx.get("order_no", "")),
            procedure_zh=str(ctx.get("procedure_zh", "")),
            procedure_en=str(ctx.get("procedure_en", "")),
            state_name=str(ctx.get("state_name", ctx.get("state", ""))),
            link=link,
            lang=lang,
            facts=facts_for(ctx, tz),
            about=(str(ctx.get("about_zh", "更改")), str(ctx.get("about_en", "change"))),
            ref=ref_words(ctx),
        )
        return subject, body, link
    if row.template == "ack_missed":
        link = f"{base}/tasks/{ctx['task_id']}"
        subject, body = ack_missed_message(
            order_no=str(ctx.get("order_no", "")),
            task_title_zh=str(ctx.get("task_title_zh", "")),
            task_title_en=str(ctx.get("task_title_en", "")),
            recipient=str(ctx.get("recipient_name", "")),
            sent_at_local=_local(ctx.get("sent_at"), tz),
            due_at_local=_local(ctx.get("due_at"), tz),
            link=link,
            lang=lang,
            facts=facts_for(ctx, tz),
            ref=ref_words(ctx),
        )
        return subject, body, link
    if row.template == "waiting_reminder":
        link = f"{base}/tasks/{ctx['task_id']}"
        subject, body = waiting_reminder_message(
            task_title_zh=str(ctx.get("task_title_zh", "")),
            task_title_en=str(ctx.get("task_title_en", "")),
            order_no=str(ctx.get("order_no", "")),
            procedure_zh=str(ctx.get("procedure_zh", "")),
            procedure_en=str(ctx.get("procedure_en", "")),
            party_zh=str(ctx.get("party_zh", "")),
            party_en=str(ctx.get("party_en", "")),
            since_local=_local(ctx.get("since"), tz),
            waited_minutes=int(ctx.get("waited_minutes") or 0),
            link=link,
            lang=lang,
            facts=facts_for(ctx, tz),
            ref=ref_words(ctx),
        )
        return subject, body, link
    if row.template == "audit_seal":
        link = f"{base}/audit"
        subject, body = audit_seal_message(
            seq=int(ctx["seq"]),
            sealed_at_local=_local(ctx.get("at"), tz),
            line=str(ctx.get("line", "")),
            link=link,
        )
        return subject, body, link
    if row.template == "mention":  # @name in a comment (gendan.comments)
        link = f"{base}/instances/{ctx['instance_id']}#discussion"
        subject, body = mention_message(
            order_no=str(ctx.get("order_no", "")),
            author=str(ctx.get("author", "")),
            procedure_zh=str(ctx.get("procedure_zh", "")),
            procedure_en=str(ctx.get("procedure_en", "")),
            excerpt=str(ctx.get("excerpt", "")),
            at_local=_local(ctx.get("at"), tz),
            link=link,
            lang=lang,
            ref=ref_words(ctx),
        )
        return subject, body, link
    if row.template == "prepared":  # written whole by its cause (e.g. gendan.plan_digest)
        link = f"{base}{ctx.get('path', '/')}"
        zh, en = str(ctx.get("subject_zh", "")), str(ctx.get("subject_en", ""))
        bzh, ben = str(ctx.get("body_zh", "")), str(ctx.get("body_en", ""))
        subject = f"{zh} / {en}" if lang == "zh" else f"{en} / {zh}"
        first, second = (bzh, ben) if lang == "zh" else (ben, bzh)
        return subject, f"{first}\n\n{second}\n\n{link}\n", link
    raise ValueError(f"unknown notification template {row.template!r}")


def ack_link(row: Notification, *, base_url: str) -> str:
    """The acknowledgement link of an urgent SMS (``gendan.acknowledgements``), else ""."""
    path = row.context.get("ack_path")
    return public_url(base_url, str(path)) if path else ""


def _local(value: Any, tz: ZoneInfo) -> str:
    """An ISO instant from the context as company wall-clock time, e.g. ``2026-11-24 10:00``."""
    return local(value or None, tz)


def inform_message(
    *,
    order_no: str,
    procedure_zh: str,
    procedure_en: str,
    state_name: str,
    link: str,
    lang: str = "zh",
    facts: dict[str, object] | None = None,
    about: tuple[str, str] = ("更改", "change"),
    ref: tuple[str, str] = ("订单", "Order"),
) -> tuple[str, str]:
    """``(subject, body)`` telling a department head that an order change concerns them.

    The procedure asks that the head be informed (知会), not that they act,
    so the text says "for your attention" and links the instance, not a task. ``about``
    names what concerns them (zh, en): a change unless the procedure says otherwise (a
    quality exception).
    """
    about_zh, about_en = about
    subject_zh = f"{ref[0]} {order_no} 的{about_zh}需要您知悉"
    subject_en = f"{ref[1]} {order_no}: {about_en} needs your attention"
    body_zh = "\n".join(
        [
            f"{ref[0]} {order_no} 的{about_zh}需要您知悉。",
            *fact_lines(facts)[0],
            f"流程：{procedure_zh}",
            f"当前环节：{state_name}",
            f"查看链接：{link}",
        ]
    )
    body_en = "\n".join(
        [
            f"{ref[1]} {order_no}: the {about_en} needs your attention.",
            *fact_lines(facts)[1],
            f"Procedure: {procedure_en or procedure_zh}",
            f"Current step: {state_name}",
            f"Link: {link}",
        ]
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"
