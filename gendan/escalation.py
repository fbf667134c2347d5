"""The SLA sweep: escalate every due timer once, in the transaction that records it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.db import unit_of_work
from gendan.models import Instance, Task, Timer
from gendan.org import escalation_targets
from gendan.outbox import enqueue
from gendan.runtime import Runtime
from gendan.timespec import Sla
from states import get_procedure

LEVEL_NAMES = {0: "reminder", 1: "department head", 2: "GM office"}


@dataclass(frozen=True)
class Escalation:
    task_id: int
    level: int
    order_no: str
    recipients: tuple[str, ...]


def escalate_due(rt: Runtime, *, now: datetime, batch: int = 50) -> list[Escalation]:
    """Fire every pending timer due at ``now``; safe to run twice, concurrently, or late."""
    done: list[Escalation] = []
    calendar = rt.calendar  # read once, outside the write transaction
    while True:
        with unit_of_work(rt.db) as session:
            timers = session.exec(
                select(Timer)
                .where(Timer.status == "pending", Timer.due_at <= now)
                .order_by(Timer.due_at, Timer.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            for timer in timers:
                esc = _fire(session, timer, now=now, calendar=calendar)
                if esc:
                    done.append(esc)
        if len(timers) < batch:
            return done


def _fire(
    session: Session, timer: Timer, *, now: datetime, calendar: BusinessCalendar
) -> Escalation | None:
    task = session.get(Task, timer.task_id)
    timer.status, timer.fired_at = "fired", now
    session.add(timer)
    if task is None or task.status != "open":
        timer.status = "cancelled"
        return None
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(task.state)
    users = escalation_targets(session, task, timer.level)
    if timer.level > task.escalation_level:
        task.escalation_level = timer.level
        session.add(task)
    context = {
        "level": timer.level,
        "task_id": task.id,
        "task_title_zh": task.title_zh,
        "task_title_en": task.title_en,
        "order_no": inst.order_no,
        "procedure_zh": proc.title_zh,
        "procedure_en": proc.title_en,
        "due_at": task.due_at,
        "timezone": str(calendar.zone),
    }
    enqueue(
        session,
        cause=f"timer:{timer.id}",
        users=users,
        template="escalation",
        context=context,
        now=now,
        urgent=bool(wait and wait.urgent),
    )
    audit.on_instance(
        session,
        inst,
        action="escalate" if timer.level else "remind",
        actor=None,
        at=now,
        task_id=task.id,
        detail={
            "level": timer.level,
            "target": LEVEL_NAMES[timer.level],
            "due_at": timer.due_at,
            "recipients": [u.username for u in users],
        },
    )
    if timer.level == 1 and task.sla:
        # Level 2 one more SLA period after the deadline.
        session.add(
            Timer(task_id=task.id, level=2, due_at=calendar.add(timer.due_at, Sla.parse(task.sla)))
        )
    return Escalation(task.id, timer.level, inst.order_no, tuple(u.username for u in users))
