"""Opening and closing tasks and their SLA timers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.deadlines import schedule
from gendan.errors import Conflict, NotFound
from gendan.models import Instance, Task, Timer
from gendan.org import department_id
from gendan.task_notices import notify_new_task
from gendan.timespec import RECV
from states.base import Procedure


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def clock_anchors(inst: Instance, proc: type[Procedure]) -> dict[str, datetime]:
    """Instants a deadline may start from: the received-at, and events the steps recorded."""
    anchors: dict[str, datetime] = {}
    recv = _instant(inst.data.get(proc.start_key, {}).get("received_at"))
    if recv is not None:
        anchors[RECV] = recv
    for name, value in inst.data.get("at", {}).items():
        at = _instant(value)
        if at is not None:
            anchors[f"event:{name}"] = at
    return anchors


def business_dates(inst: Instance) -> dict[str, date]:
    out: dict[str, date] = {}
    for name, value in inst.data.get("order", {}).items():
        if isinstance(value, str) and name.endswith("_date"):
            try:
                out[name] = date.fromisoformat(value)
            except ValueError:
                continue
    return out


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
    anchors = clock_anchors(inst, proc)
    dates = business_dates(inst)
    for spec in proc.tasks_for(inst.state, inst.data):
        dl = spec.deadline
        plan = schedule(calendar, dl, opened=now, anchors=anchors, dates=dates) if dl else None
        task = Task(
            instance_id=inst.id,
            state=inst.state,
            round=inst.version,
            role=spec.role,
            department_id=department_id(session, spec.department),
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            sla=str(dl.sla) if dl and dl.sla else "",
            deadline_zh=dl.label("zh") if dl else "",
            deadline_en=dl.label("en") if dl else "",
            deadline_kind=dl.basis if dl else "",
            chain=list(spec.chain),
            decisions=list(spec.decisions),
            pauses_for=spec.pauses_for,
            created_at=now,
            clock_start=plan.start if plan else None,
            due_at=plan.due if plan else None,
            period_minutes=int(plan.period.total_seconds() // 60) if plan else 0,
        )
        session.add(task)
        session.flush()
        if plan is not None:
            # A received-at long past makes the task overdue at once: the next sweep escalates.
            session.add(Timer(task_id=task.id, level=1, due_at=plan.due))
            if plan.remind is not None and plan.remind > now:
                session.add(Timer(task_id=task.id, level=0, due_at=plan.remind))
        notify_new_task(session, task, calendar=calendar, now=now, inst=inst)  # e-mail holders
        tasks.append(task)
    return tasks


def open_task(session: Session, task_id: int) -> Task:
    """The task, row-locked, if it is still open (404 / 409 otherwise)."""
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.status != "open":
        raise Conflict(f"task {task_id} is already {task.status}")
    return task


def cancel_timers(session: Session, *, task_ids: list[int]) -> None:
    """Stop the tasks' timers, those set aside while a task's clock was paused too."""
    if task_ids:
        session.execute(
            update(Timer)
            .where(Timer.task_id.in_(task_ids), Timer.status.in_(("pending", "paused")))
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
