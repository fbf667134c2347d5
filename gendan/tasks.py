"""Opening and closing tasks and their SLA timers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.models import Instance, Task, Timer
from gendan.org import department_id
from states.base import Procedure

#: Reminder point for SLAs of a working day or more (PROCEDURES.md, Escalation level 0).
REMINDER_FRACTION = 0.75


def open_tasks(
    session: Session,
    *,
    inst: Instance,
    proc: type[Procedure],
    now: datetime,
    calendar: BusinessCalendar,
) -> list[Task]:
    """Open the tasks the instance's new state waits for, each with its due time and timers."""
    tasks: list[Task] = []
    for spec in proc.tasks_for(inst.state, inst.data):
        due = calendar.add(now, spec.sla) if spec.sla else None
        task = Task(
            instance_id=inst.id,
            state=inst.state,
            round=inst.version,
            role=spec.role,
            department_id=department_id(session, spec.department),
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            sla=str(spec.sla or ""),
            created_at=now,
            due_at=due,
        )
        session.add(task)
        session.flush()
        if spec.sla and due:
            session.add(Timer(task_id=task.id, level=1, due_at=due))
            if spec.sla.is_long:
                remind = calendar.add_fraction(now, spec.sla, REMINDER_FRACTION)
                session.add(Timer(task_id=task.id, level=0, due_at=remind))
        tasks.append(task)
    return tasks


def cancel_timers(session: Session, *, task_ids: list[int]) -> None:
    if task_ids:
        session.execute(
            update(Timer)
            .where(Timer.task_id.in_(task_ids), Timer.status == "pending")
            .values(status="cancelled")
        )


def close_open_tasks(session: Session, *, instance_id: int, now: datetime, status: str) -> None:
    """Close what is still open on the instance (the state it waited in is left)."""
    open_ = session.exec(
        select(Task).where(Task.instance_id == instance_id, Task.status == "open")
    ).all()
    for task in open_:
        task.status = status
        task.closed_at = now
        session.add(task)
    cancel_timers(session, task_ids=[t.id for t in open_ if t.id is not None])
