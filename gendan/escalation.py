"""The SLA sweep: escalate every due timer once, in the transaction that records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import update
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from gendan import audit
from gendan.acknowledgements import ack_links, escalate_unacknowledged, insert_acks
from gendan.batches import BusyHook, batch_size, one_at_a_time, write_batch
from gendan.calendar import BusinessCalendar
from gendan.dated_tasks import open_scheduled
from gendan.digests import add_many_to_digest
from gendan.escalation_batch import BatchOrg, claim_due, load_batch
from gendan.message_context import task_context
from gendan.models import Instance, Order, Task, Timer, User
from gendan.multirow import insert_rows
from gendan.outbox import enqueue_rows, outbox_rows
from gendan.runtime import Runtime
from gendan.tasks import WINDOW_CLOSES
from states import get_procedure

#: The daily reminder of a task paused on an outside party (``gendan.pausing``).
WAITING_LEVEL = -1
#: Timers per transaction on PostgreSQL (row locks, SKIP LOCKED: nobody waits on a batch).
#: Choice: large, because each batch rewrites every recipient's growing digest of the run
#: (``gendan.digests``): 10,000 escalations to one head cost 5 rewrites, not 200.
BATCH = 2000
#: Timers per transaction on SQLite: set-based, a batch of 50 holds the write lock about as
#: long as 5 did one timer at a time (~15-20 ms); ``gendan.batches`` pauses after each.
SQLITE_BATCH = 50

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

    Each batch (:data:`SQLITE_BATCH` timers on SQLite, :data:`BATCH` on PostgreSQL, claimed
    in one statement and written set-based) is its own short transaction
    (``gendan.batches``), retried when SQLite is locked, with a pause after it on SQLite so that
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
    size = sweep_batch_size(rt.db, batch)
    run = uuid4().hex[:16]  # this sweep's digests: one message per person (gendan.digests)

    def one_batch(session: Session) -> tuple[int, list[Escalation]]:
        timers = claim_due(session, now=now, size=size)  # one UPDATE … RETURNING
        return len(timers), _fire_batch(session, timers, now=now, calendar=calendar, run=run)

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


def sweep_batch_size(engine: Engine, batch: int | None) -> int:
    """Timers per transaction: ``batch`` if given, else :data:`SQLITE_BATCH` / :data:`BATCH`."""
    if batch is not None:
        return batch_size(engine, batch)
    return SQLITE_BATCH if engine.dialect.name == "sqlite" else BATCH


def _fire_batch(
    session: Session, timers: list[Row[Any]], *, now: datetime, calendar: BusinessCalendar, run: str
) -> list[Escalation]:
    """Fire claimed timers in due order: runs of ordinary levels together, a waiting reminder
    or a window's close on its own (they move instances: later timers must see that)."""
    fired: list[Escalation | None] = []
    run_of: list[Row[Any]] = []
    for timer in timers:
        if timer.level in (WAITING_LEVEL, WINDOW_CLOSES):
            fired += _fire_levels(session, run_of, now=now, calendar=calendar, run=run)
            run_of = []
            fired.append(_fire_one(session, timer.id, now=now, calendar=calendar))
        else:
            run_of.append(timer)
    fired += _fire_levels(session, run_of, now=now, calendar=calendar, run=run)
    return [esc for esc in fired if esc]


def _fire_one(
    session: Session, timer_id: int, *, now: datetime, calendar: BusinessCalendar
) -> Escalation | None:
    timer = session.get(Timer, timer_id)
    assert timer is not None
    if timer.level == WAITING_LEVEL:  # a task paused on an outside party: the daily reminder
        from gendan.pausing import remind_waiting  # (gendan.pausing imports Escalation)

        return remind_waiting(session, timer, now=now, calendar=calendar)
    # a window nobody objected in: accepted by silence
    from gendan.windows import close_window  # (gendan.windows fires through transitions)

    return close_window(session, timer, now=now, calendar=calendar)


@dataclass
class _Writes:
    """What a run of timers writes, gathered in due order and written together."""

    cancelled: list[int] = field(default_factory=list)
    urgent: list[dict[str, Any]] = field(default_factory=list)
    digest: list[tuple[list[User], dict[str, Any]]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    next_timers: list[dict[str, Any]] = field(default_factory=list)
    #: Tasks whose escalation level rises, by the new level.
    raised: dict[int, list[Task]] = field(default_factory=dict)


def _fire_levels(
    session: Session, timers: list[Row[Any]], *, now: datetime, calendar: BusinessCalendar, run: str
) -> list[Escalation | None]:
    """Reminders (level 0) and escalation levels (1..) of a run of claimed timers.

    Load the batch (tasks, instances, orders, the organisation) → per timer: its targets
    minus the holders, its message, its audit event, its next level → write it all: timers
    cancelled, escalation levels raised, urgent messages (with acknowledgement links) and
    digests, audit events, next levels, each in one (multi-row) statement.
    """
    if not timers:
        return []
    tasks, insts, orders = load_batch(session, (t.task_id for t in timers))
    org = BatchOrg(session, list(tasks.values()))
    out = _Writes()
    fired = [
        _fire_level(session, timer, tasks, insts, orders, org, out, now=now, calendar=calendar)
        for timer in timers
    ]
    if out.cancelled:
        session.execute(
            update(Timer)
            .where(Timer.id.in_(out.cancelled))  # type: ignore[union-attr]
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
    for level, raised in out.raised.items():  # one UPDATE per level reached, not per task
        session.execute(
            update(Task)
            .where(Task.id.in_([t.id for t in raised]))  # type: ignore[union-attr]
            .values(escalation_level=level)
            .execution_options(synchronize_session=False)
        )
        for task in raised:  # the session's objects say so too, without a second UPDATE
            set_committed_value(task, "escalation_level", level)
    _notify_all(session, out, now=now, run=run)
    audit.append_many(session, out.events)
    insert_rows(session, Timer.__table__, out.next_timers)  # type: ignore[arg-type]
    return fired


def _fire_level(
    session: Session,
    timer: Row[Any],
    tasks: dict[int, Task],
    insts: dict[int, Instance],
    orders: dict[str, Order],
    org: BatchOrg,
    out: _Writes,
    *,
    now: datetime,
    calendar: BusinessCalendar,
) -> Escalation | None:
    task = tasks.get(timer.task_id)
    if task is None or task.status != "open" or task.paused_at is not None:
        out.cancelled.append(timer.id)  # closed, or paused: pausing moved its timers aside
        return None
    inst = insts[task.instance_id]
    wait = get_procedure(inst.procedure).wait_for(task.state)
    level, skipped = timer.level, []
    holding = org.holders(task)
    if level >= 1:
        # Never to the holder: a level whose every target holds the task is skipped.
        while level <= len(task.chain):
            targets = [u for u in org.escalation_targets(task, level) if u.id not in holding]
            if targets:
                break
            skipped.append(task.chain[level - 1])
            level += 1
        else:
            return _breach_unescalated(
                session, task, inst, timer, skipped, org, orders, out, now=now, calendar=calendar
            )
        users = targets
    else:
        if task.due_at is not None and task.due_at <= now:
            out.cancelled.append(timer.id)  # a reminder after the deadline says nothing useful
            return None
        users = org.escalation_targets(task, 0)
    if level > task.escalation_level:
        out.raised.setdefault(level, []).append(task)
    context = _context(session, task, inst, orders, calendar, level=level, now=now)
    # Urgent: the step says so, or the order was flagged urgent at intake (PROCEDURES.md
    # "Escalation": tasks flagged urgent go at once, day or night, and are acknowledged).
    urgent = (
        bool(wait and wait.urgent)
        or bool(inst.data.get("order", {}).get("urgent"))
        or bool(inst.data.get("urgent"))  # a sub-procedure started urgent (states.base.Child)
    )
    _notify(out, timer, users, context, now=now, urgent=urgent)
    out.events.append(
        audit.on_instance_fields(
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
    )
    if 1 <= level < len(task.chain):
        # The next level one more deadline-length (in working time) after this one's point.
        period = timedelta(minutes=task.period_minutes or 30)
        due = calendar.add_working(timer.due_at, period)
        out.next_timers.append(
            {"task_id": task.id, "level": level + 1, "due_at": due, "status": "pending"}
        )
    return Escalation(task.id, level, inst.reference, tuple(u.username for u in users))


def _breach_unescalated(
    session: Session,
    task: Task,
    inst: Instance,
    timer: Row[Any],
    skipped: list[str],
    org: BatchOrg,
    orders: dict[str, Order],
    out: _Writes,
    *,
    now: datetime,
    calendar: BusinessCalendar,
) -> Escalation:
    """No level left above the holder (the GM's own signature): record it, remind the holder."""
    users = org.escalation_targets(task, 0)
    context = _context(session, task, inst, orders, calendar, level=0, now=now)
    _notify(out, timer, users, {**context, "overdue": True}, now=now, urgent=False)
    out.events.append(
        audit.on_instance_fields(
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
    )
    return Escalation(task.id, timer.level, inst.reference, tuple(u.username for u in users))


def _notify(
    out: _Writes,
    timer: Row[Any],
    users: list[User],
    context: dict[str, object],
    *,
    now: datetime,
    urgent: bool,
) -> None:
    """Urgent: a message of its own at once, with an acknowledgement link. Otherwise into
    each recipient's one digest of this sweep (``gendan.digests``)."""
    if urgent:
        out.urgent += outbox_rows(
            cause=f"timer:{timer.id}",
            users=users,
            template="escalation",
            context=context,
            now=now,
            urgent=True,
        )
    else:
        out.digest.append((users, context))


def _notify_all(session: Session, out: _Writes, *, now: datetime, run: str) -> None:
    """The run's messages: urgent ones (an acknowledgement asked for each urgent SMS to a
    head or the GM office) and the digests, in a few multi-row statements."""
    acks = ack_links(out.urgent, now)  # the links go into the SMS texts before they are written
    enqueue_rows(session, out.urgent)
    insert_acks(session, acks)
    add_many_to_digest(session, run=run, entries=out.digest, now=now)


def _context(
    session: Session,
    task: Task,
    inst: Instance,
    orders: dict[str, Order],
    calendar: BusinessCalendar,
    *,
    level: int,
    now: datetime,
) -> dict[str, object]:
    """The task's facts (order, customer, product, holder, due, lateness) and the level."""
    facts = task_context(session, task, calendar=calendar, now=now, inst=inst, orders=orders)
    return {"level": level, **facts}
