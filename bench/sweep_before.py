"""The SLA sweep as it was before issue 11 (per timer), kept callable for bench/sweep_set.py.

A verbatim copy of gendan/escalation.py at commit 2d681fd (only this docstring and the
imports of names the new module still exports differ): each due timer is loaded as an ORM
object and fired on its own — targets, message context, outbox rows and audit event one at a
time. Not used by the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlmodel import Session, select

from gendan import audit
from gendan.acknowledgements import escalate_unacknowledged, request_acks
from gendan.batches import BusyHook, batch_size, one_at_a_time, write_batch
from gendan.calendar import BusinessCalendar
from gendan.dated_tasks import open_scheduled
from gendan.digests import add_to_digest
from gendan.message_context import task_context
from gendan.models import Instance, Task, Timer, User
from gendan.org import escalation_targets, holders
from gendan.outbox import enqueue
from gendan.runtime import Runtime
from gendan.tasks import WINDOW_CLOSES
from states import get_procedure

LEVEL_NAMES = {
    -2: "window closes",
    -1: "waiting reminder",
    0: "reminder",
    1: "level 1",
    2: "level 2",
    3: "level 3",
}


@dataclass(frozen=True)
class Escalation:
    task_id: int
    level: int
    #: What the task is about: the order number, or an instance's subject key (PO-000042).
    order_no: str
    recipients: tuple[str, ...]


def escalate_due(
    rt: Runtime,
    *,
    now: datetime,
    batch: int | None = None,
    on_busy: BusyHook | None = None,
    pause: bool = True,
) -> list[Escalation]:
    """Fire every pending timer due at ``now``; safe to run twice, concurrently, or late.

    Each batch (``gendan.batches``: 5 timers on SQLite, 50 on PostgreSQL) is its own short
    transaction, retried when SQLite is locked, with a pause after it on SQLite so that
    people's clicks get the write lock between batches. On a SQLite file one sweep runs at a
    time: while another process sweeps, this one returns ``[]`` at once and leaves it the work.
    """
    with one_at_a_time(rt.db, "sweep") as alone:
        if not alone:
            return []
        # Date-anchored tasks whose day has come open first: one already past due escalates
        # in this same sweep (gendan.dated_tasks).
        open_scheduled(rt, now=now, batch=batch, on_busy=on_busy, pause=pause)
        return _sweep(rt, now=now, batch=batch, on_busy=on_busy, pause=pause)


def _sweep(
    rt: Runtime, *, now: datetime, batch: int | None, on_busy: BusyHook | None, pause: bool
) -> list[Escalation]:
    done: list[Escalation] = []
    calendar = rt.calendar  # read once, outside the write transaction
    size = batch_size(rt.db, batch)
    run = uuid4().hex[:16]  # this sweep's digests: one message per person (gendan.digests)

    def one_batch(session: Session) -> tuple[int, list[Escalation]]:
        timers = session.exec(
            select(Timer)
            .where(Timer.status == "pending", Timer.due_at <= now)
            .order_by(Timer.due_at, Timer.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        fired = [_fire(session, timer, now=now, calendar=calendar, run=run) for timer in timers]
        return len(timers), [esc for esc in fired if esc]

    while True:
        claimed, fired = write_batch(
            rt.db, one_batch, on_busy=on_busy, pause=lambda r: pause and r[0] > 0
        )
        done.extend(fired)
        # Keep going while anything was due: a level scheduled by this sweep that is already
        # past (a task found overdue long after its deadline) fires now, not one sweep later.
        if not claimed:
            # urgent SMS not acknowledged in 30 min
            escalate_unacknowledged(rt, now=now, batch=batch, on_busy=on_busy, pause=pause)
            return done


def _fire(
    session: Session, timer: Timer, *, now: datetime, calendar: BusinessCalendar, run: str = ""
) -> Escalation | None:
    if timer.level == -1:  # a task paused on an outside party: the holder's daily reminder
        from gendan.pausing import remind_waiting  # (gendan.pausing imports Escalation)

        return remind_waiting(session, timer, now=now, calendar=calendar)
    if timer.level == WINDOW_CLOSES:  # a window nobody objected in: accepted by silence
        from gendan.windows import close_window  # (gendan.windows fires through transitions)

        return close_window(session, timer, now=now, calendar=calendar)
    task = session.get(Task, timer.task_id)
    timer.status, timer.fired_at = "fired", now
    session.add(timer)
    if task is None or task.status != "open" or task.paused_at is not None:
        timer.status = "cancelled"  # closed, or paused: pausing moved its timers aside
        return None
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(task.state)
    level, skipped = timer.level, []
    holding = holders(session, task)
    if level >= 1:
        # Never to the holder: a level whose every target holds the task is skipped.
        while level <= len(task.chain):
            targets = [u for u in escalation_targets(session, task, level) if u.id not in holding]
            if targets:
                break
            skipped.append(task.chain[level - 1])
            level += 1
        else:
            return _breach_unescalated(
                session, task, inst, timer, skipped, now=now, calendar=calendar, run=run
            )
        users = targets
    else:
        if task.due_at is not None and task.due_at <= now:
            timer.status = "cancelled"  # a reminder after the deadline says nothing useful
            return None
        users = escalation_targets(session, task, 0)
    if level > task.escalation_level:
        task.escalation_level = level
        session.add(task)
    context = _context(session, task, inst, calendar, level=level, now=now)
    # Urgent: the step says so, or the order was flagged urgent at intake (PROCEDURES.md
    # "Escalation": tasks flagged urgent go at once, day or night, and are acknowledged).
    urgent = (
        bool(wait and wait.urgent)
        or bool(inst.data.get("order", {}).get("urgent"))
        or bool(inst.data.get("urgent"))  # a sub-procedure started urgent (states.base.Child)
    )
    _notify(session, timer, users, context, now=now, urgent=urgent, run=run)
    audit.on_instance(
        session,
        inst,
        action="escalate" if level else "remind",
        actor=None,
        at=now,
        task_id=task.id,
        detail={
            "level": level,
            "target": task.chain[level - 1] if level else "reminder",
            "breach": timer.level == 1,
            "skipped": skipped,
            "due_at": task.due_at,
            "recipients": [u.username for u in users],
        },
    )
    if 1 <= level < len(task.chain):
        # The next level one more deadline-length (in working time) after this one's point.
        period = timedelta(minutes=task.period_minutes or 30)
        session.add(
            Timer(
                task_id=task.id, level=level + 1, due_at=calendar.add_working(timer.due_at, period)
            )
        )
    return Escalation(task.id, level, inst.reference, tuple(u.username for u in users))


def _breach_unescalated(
    session: Session,
    task: Task,
    inst: Instance,
    timer: Timer,
    skipped: list[str],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    run: str = "",
) -> Escalation:
    """No level left above the holder (the GM's own signature): record it, remind the holder."""
    users = escalation_targets(session, task, 0)
    context = _context(session, task, inst, calendar, level=0, now=now)
    _notify(session, timer, users, {**context, "overdue": True}, now=now, urgent=False, run=run)
    audit.on_instance(
        session,
        inst,
        action="breach",
        actor=None,
        at=now,
        task_id=task.id,
        detail={
            "level": timer.level,
            "breach": True,
            "skipped": skipped,
            "no_level_left": True,
            "due_at": task.due_at,
            "recipients": [u.username for u in users],
        },
    )
    return Escalation(task.id, timer.level, inst.reference, tuple(u.username for u in users))


def _notify(
    session: Session,
    timer: Timer,
    users: list[User],
    context: dict[str, object],
    *,
    now: datetime,
    urgent: bool,
    run: str,
) -> None:
    """Urgent: a message of its own at once, with an acknowledgement link. Otherwise into
    each recipient's one digest of this sweep (``gendan.digests``)."""
    if urgent or not run:
        rows = enqueue(
            session,
            cause=f"timer:{timer.id}",
            users=users,
            template="escalation",
            context=context,
            now=now,
            urgent=urgent,
        )
        request_acks(session, rows, now=now)  # urgent SMS carry an acknowledgement link
        return
    add_to_digest(session, run=run, users=users, item=context, now=now)


def _context(
    session: Session,
    task: Task,
    inst: Instance,
    calendar: BusinessCalendar,
    *,
    level: int,
    now: datetime,
) -> dict[str, object]:
    """The task's facts (order, customer, product, holder, due, lateness) and the level."""
    return {"level": level, **task_context(session, task, calendar=calendar, now=now, inst=inst)}
