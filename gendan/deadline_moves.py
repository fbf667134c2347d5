"""A company day off or working day announced: open tasks' due times and timers move with it.

Each open task's deadline is computed again on the new calendar from what the task stored
when it opened (its step's declared deadline, its clock start, its opening instant), plus the
working time it already spent waiting on an outside party. Only what changed is written, and
each task that moved gets one audit event ``deadline_moved`` with its old and new due time.

Timers: the pending (or paused) reminder goes to the new reminder point; the pending
escalation levels go to the new due time and one deadline-length apart after it, as the sweep
would have set them. Fired timers stay as they were: what was sent was sent.

Paused tasks: their timers stay paused and move as the due time moves; resuming then shifts
them by the time waited, on the new calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.deadlines import Schedule, schedule
from gendan.models import Department, Instance, Task, Timer
from gendan.org import Actor
from gendan.tasks import business_dates, clock_anchors, order_of, spec_of
from gendan.timespec import Deadline
from states import get_procedure


@dataclass(frozen=True)
class Moved:
    task_id: int
    old_due: datetime | None
    new_due: datetime | None


def move_open_deadlines(
    session: Session,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    cause: dict[str, object],
) -> list[Moved]:
    """Recompute every open task's due time and pending timers on ``calendar``.

    ``cause`` (e.g. ``{"day": "2026-11-30", "working": False}``) goes into each audit event.
    """
    moved: list[Moved] = []
    tasks = session.exec(
        select(Task).where(Task.status == "open", Task.due_at.is_not(None)).order_by(Task.id)
    ).all()
    for task in tasks:
        inst = session.get(Instance, task.instance_id)
        if inst is None:
            continue
        done = move_task(
            session, task, inst, calendar=calendar, now=now, actor=actor,
            detail={"calendar": cause},
        )  # fmt: skip
        if done is not None:
            moved.append(done)
    # Date-anchored tasks not open yet: their opening and planned due move with the calendar.
    from gendan.dated_tasks import replan_scheduled  # (gendan.dated_tasks imports move_task)

    moved.extend(replan_scheduled(session, calendar=calendar, now=now, actor=actor, cause=cause))
    return moved


def move_task(
    session: Session,
    task: Task,
    inst: Instance,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    detail: dict[str, object],
) -> Moved | None:
    """Recompute one open task's due time and pending timers; audit ``deadline_moved`` with
    ``detail`` (the cause: a calendar change, a moved business date) if it changed."""
    wait = get_procedure(inst.procedure).wait_for(task.state)
    if wait is not None and wait.window is not None:
        return _move_window(session, task, inst, wait.window.deadline, calendar=calendar,
                            now=now, actor=actor, detail=detail)  # fmt: skip
    deadline = _declared_deadline(session, task, inst)
    if deadline is None:
        return None  # a step no longer declared as it was: leave its time alone
    try:
        plan = _plan(calendar, deadline, task, inst, session)
    except ValueError:
        return None  # a date it counts back from is no longer set
    waited = timedelta(minutes=task.waited_minutes or 0)
    new_due = calendar.add_working(plan.due, waited) if waited else plan.due
    if new_due == task.due_at:
        return None
    old_due = task.due_at
    task.due_at = new_due
    task.period_minutes = int(plan.period.total_seconds() // 60)
    session.add(task)
    timers = _move_timers(session, task, plan, calendar, waited)
    audit.on_instance(
        session,
        inst,
        action="deadline_moved",
        actor=actor,
        at=now,
        task_id=task.id,
        changes={"due_at": {"old": old_due, "new": new_due}},
        detail={**detail, "timers": timers, "paused": task.paused_at is not None},
    )
    assert task.id is not None
    return Moved(task.id, old_due, new_due)


def _move_window(
    session: Session,
    task: Task,
    inst: Instance,
    deadline: Deadline,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    detail: dict[str, object],
) -> Moved | None:
    """A window's close, counted again from the state's entry; its closing timer moves."""
    proc = get_procedure(inst.procedure)
    dates = business_dates(inst, order_of(session, inst), start_key=proc.start_key)
    plan = schedule(calendar, deadline, opened=task.created_at,
                    anchors=clock_anchors(inst, proc), dates=dates)  # fmt: skip
    if plan.due == task.due_at:
        return None
    old_due = task.due_at
    task.due_at = plan.due
    session.add(task)
    timers = []
    for timer in session.exec(
        select(Timer).where(Timer.task_id == task.id, Timer.status == "pending")
    ).all():
        timers.append({"level": timer.level, "old": timer.due_at, "new": plan.due})
        timer.due_at = plan.due
        session.add(timer)
    audit.on_instance(
        session,
        inst,
        action="deadline_moved",
        actor=actor,
        at=now,
        task_id=task.id,
        changes={"due_at": {"old": old_due, "new": plan.due}},
        detail={**detail, "timers": timers, "window": True},
    )
    assert task.id is not None
    return Moved(task.id, old_due, plan.due)


def _declared_deadline(session: Session, task: Task, inst: Instance) -> Deadline | None:
    """The deadline the task's step declares (matched by role, department and title)."""
    proc = get_procedure(inst.procedure)
    dep = session.get(Department, task.department_id)
    wait = proc.wait_for(task.state)
    if wait is None or dep is None:
        return None
    if wait.window is not None:
        return None  # a window's close is the window's, not the task's
    spec = spec_of(proc, task, dep.key)
    return spec.deadline if spec is not None and spec.due is None else None


def _plan(
    calendar: BusinessCalendar, deadline: Deadline, task: Task, inst: Instance, session: Session
) -> Schedule:
    """The schedule from the task's stored opening and clock start (not from today's data);
    business dates as the order and the instance's forms hold them now."""
    proc = get_procedure(inst.procedure)
    anchors = clock_anchors(inst, proc)
    if task.clock_start is not None:
        anchors[deadline.start] = task.clock_start
    dates = business_dates(inst, order_of(session, inst), start_key=proc.start_key)
    opened = task.opens_at if task.opens_at is not None else task.created_at
    return schedule(calendar, deadline, opened=opened, anchors=anchors, dates=dates)


def _move_timers(
    session: Session,
    task: Task,
    plan: Schedule,
    calendar: BusinessCalendar,
    waited: timedelta,
) -> list[dict[str, object]]:
    """Move the task's pending/paused timers; return ``[{level, old, new}]`` for the audit."""
    assert task.due_at is not None

    def later(at: datetime) -> datetime:
        return calendar.add_working(at, waited) if waited else at

    period = plan.period
    changes: list[dict[str, object]] = []
    timers = session.exec(
        select(Timer).where(Timer.task_id == task.id).order_by(Timer.level)
    ).all()
    previous: datetime | None = None  # the point of the escalation level before
    for timer in timers:
        if timer.level < 0:
            continue  # the daily reminder while paused runs on its own
        movable = timer.status in ("pending", "paused")
        if timer.level == 0:
            if not movable:
                continue
            if plan.remind is None:
                changes.append({"level": 0, "old": timer.due_at, "new": None})
                timer.status = "cancelled"
                session.add(timer)
                continue
            new = later(plan.remind)
        elif not movable:
            previous = timer.due_at  # fired: what was sent was sent; the next level counts on
            continue
        else:
            # The first level at the due time, each next one a deadline-length later (in the
            # order the sweep set them, so a level skipped because its targets held the task
            # does not leave a gap).
            new = task.due_at if previous is None else calendar.add_working(previous, period)
            previous = new
        if new != timer.due_at:
            changes.append({"level": timer.level, "old": timer.due_at, "new": new})
            timer.due_at = new
            session.add(timer)
    return changes
