"""Date-anchored tasks (``states.base.OpensAt``): opened by the sweep, moved with their date.

A task declared ``opens=OpensAt("order.delivery_date", days_before=3)`` is created
``scheduled`` on entering its state (``gendan.tasks.open_tasks``). The SLA sweep
(``gendan.escalation.escalate_due``, the ``sla-sweep`` flow with its ``--at`` replay) opens
every scheduled task whose opening has come: its clock starts at the opening (not at the
sweep: a late sweep gives no extra time), its timers are set and its holders e-mailed.

When a business date moves (a change sets the order's delivery date, a form with the date
is submitted again), every waiting task of the order's running instances that counts from a
date is planned again: a scheduled task's opening and planned due time, an open task's due
time and pending timers (``gendan.deadline_moves.move_task``). Each task that moved gets one
``deadline_moved`` audit event, old → new. Choice: a task already open stays open when its
date moves later (its holder has seen it and may have claimed it); only its times move.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan import audit, org_cache
from gendan.batches import BusyHook, batch_size, write_batch
from gendan.calendar import BusinessCalendar
from gendan.deadline_moves import Moved, move_task
from gendan.deadlines import opening, schedule
from gendan.models import Instance, Task
from gendan.org import Actor
from gendan.runtime import Runtime
from gendan.tasks import WAITING, business_dates, clock_anchors, order_of, spec_of, start_clock
from states import PROCEDURES, get_procedure


def open_scheduled(
    rt: Runtime,
    *,
    now: datetime,
    batch: int | None = None,
    on_busy: BusyHook | None = None,
    pause: bool = True,
) -> list[int]:
    """Open every scheduled task whose opening is at or before ``now``; their ids.

    In short batches (rows locked, SKIP LOCKED on PostgreSQL) like the timers: safe to run
    twice or concurrently, a task opens once (its status is the guard).
    """
    calendar = rt.calendar
    size = batch_size(rt.db, batch)
    opened: list[int] = []

    def one_batch(session: Session) -> list[int]:
        tasks = session.exec(
            select(Task)
            .where(Task.status == "scheduled", Task.opens_at.is_not(None), Task.opens_at <= now)
            .order_by(Task.opens_at, Task.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        for task in tasks:
            open_now(session, task, now=now, calendar=calendar)
        return [t.id for t in tasks if t.id is not None]

    while True:
        ids = write_batch(rt.db, one_batch, on_busy=on_busy, pause=lambda r: pause and bool(r))
        if not ids:
            return opened
        opened.extend(ids)


def open_now(session: Session, task: Task, *, now: datetime, calendar: BusinessCalendar) -> None:
    """A scheduled task's day has come: open it, its clock from its opening instant."""
    inst = session.get(Instance, task.instance_id)
    assert inst is not None and task.opens_at is not None
    proc = get_procedure(inst.procedure)
    spec = spec_of(proc, task, _department_key(session, task))
    if spec is None or inst.state != task.state:
        task.status, task.closed_at = "cancelled", now  # no longer declared, or state left
        session.add(task)
        return
    start_clock(session, task, spec, inst=inst, proc=proc, now=now, calendar=calendar,
                values={}, opened=task.opens_at)  # fmt: skip
    audit.on_instance(
        session,
        inst,
        action="task_opened",
        actor=None,
        at=now,
        task_id=task.id,
        detail={
            "opens_at": task.opens_at,
            "due_at": task.due_at,
            "anchor": {"field": spec.opens.field, "days_before": spec.opens.days_before},
        },
    )


def move_dated_tasks(
    session: Session,
    *,
    order_no: str,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    cause: dict[str, Any],
    instance_id: int | None = None,
) -> int:
    """Plan again the order's waiting tasks that count from a business date; how many moved.

    Called after every move (the move may have set a date on the order or in a form);
    only tasks whose times changed are written and audited.
    """
    dated = dated_procedures()
    if not dated:
        return 0
    # The order's open dated instances first (ix_instance_order_no), then their waiting
    # tasks (ix_task_instance_status). Choice: an IN subquery rather than a plain join,
    # because SQLite planned the join on ix_task_opens — every open task of the factory,
    # 2 s per move at a million instances (docs/benchmarks.md, growth of the write path).
    mine = select(Instance.id).where(
        # an instance without an order (issue 10's subjects) plans only its own tasks
        Instance.order_no == order_no if order_no else Instance.id == instance_id,
        Instance.closed_at.is_(None),
        Instance.procedure.in_(dated),  # only their tasks can count from a date
    )
    rows = session.exec(
        select(Task, Instance)
        .join(Instance, Instance.id == Task.instance_id)
        .where(Task.instance_id.in_(mine), Task.status.in_(WAITING))
        .order_by(Task.id)
    ).all()
    moved = 0
    for task, inst in rows:
        proc = get_procedure(inst.procedure)
        spec = spec_of(proc, task, _department_key(session, task))
        if spec is None or not _dated(spec):
            continue
        if task.status == "scheduled":
            moved += _move_scheduled(
                session, task, inst, spec, calendar, now, actor, {"date": cause}
            )
            continue
        if spec.opens is not None:
            dates = business_dates(inst, order_of(session, inst), start_key=proc.start_key)
            task.opens_at = opening(calendar, spec.opens, dates) or task.opens_at
            session.add(task)
        if move_task(session, task, inst, calendar=calendar, now=now, actor=actor,
                     detail={"date": cause}):  # fmt: skip
            moved += 1
    return moved


def replan_scheduled(
    session: Session,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    cause: dict[str, Any],
) -> list[Moved]:
    """A company day announced or withdrawn: every scheduled task's opening and planned due
    time counted again on ``calendar`` (one ``deadline_moved`` each that moved)."""
    moved: list[Moved] = []
    rows = session.exec(
        select(Task, Instance)
        .join(Instance, Instance.id == Task.instance_id)
        .where(Task.status == "scheduled")
        .order_by(Task.id)
    ).all()
    for task, inst in rows:
        spec = spec_of(get_procedure(inst.procedure), task, _department_key(session, task))
        if spec is None or spec.opens is None:
            continue
        old_due = task.due_at
        if _move_scheduled(session, task, inst, spec, calendar, now, actor, {"calendar": cause}):
            assert task.id is not None
            moved.append(Moved(task.id, old_due, task.due_at))
    return moved


def dated_procedures() -> tuple[str, ...]:
    """Keys of the procedures with a task that counts from a business date (the others'
    tasks never move with one); worked out once per set of registered procedures."""
    return _dated_among(tuple(PROCEDURES.items()))


@functools.cache
def _dated_among(registry: tuple[tuple[str, Any], ...]) -> tuple[str, ...]:
    def specs(proc: Any) -> list[Any]:
        waits = (proc.wait_for(state.id) for state in proc.states)
        return [spec for wait in waits if wait is not None for spec in wait.tasks]

    return tuple(key for key, proc in registry if any(map(_dated, specs(proc))))


def _dated(spec: Any) -> bool:
    return spec.opens is not None or (
        spec.deadline is not None and spec.deadline.before is not None
    )


def _move_scheduled(
    session: Session,
    task: Task,
    inst: Instance,
    spec: Any,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    detail: dict[str, Any],
) -> int:
    """A scheduled task's opening and planned due time again; ``detail`` names the cause."""
    proc = get_procedure(inst.procedure)
    dates = business_dates(inst, order_of(session, inst), start_key=proc.start_key)
    new_opens = opening(calendar, spec.opens, dates) if spec.opens else task.opens_at
    new_due = None
    if new_opens is not None and spec.deadline is not None and spec.due is None:
        try:
            new_due = schedule(calendar, spec.deadline, opened=new_opens,
                               anchors=clock_anchors(inst, proc), dates=dates).due  # fmt: skip
        except ValueError:
            new_due = None
    if (new_opens, new_due) == (task.opens_at, task.due_at):
        return 0
    changes = {
        "opens_at": {"old": task.opens_at, "new": new_opens},
        "due_at": {"old": task.due_at, "new": new_due},
    }
    task.opens_at, task.due_at = new_opens, new_due
    session.add(task)
    audit.on_instance(
        session,
        inst,
        action="deadline_moved",
        actor=actor,
        at=now,
        task_id=task.id,
        changes=changes,
        detail={**detail, "scheduled": True},
    )
    return 1


def _department_key(session: Session, task: Task) -> str | None:
    dep = org_cache.department(session, task.department_id)  # read once per transaction
    return dep.key if dep else None
