"""Opening and closing tasks and their SLA timers."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from gendan import order_cache, org_cache, versioning
from gendan.calendar import BusinessCalendar
from gendan.deadlines import Schedule, opening, schedule, schedule_until
from gendan.errors import Conflict, InvalidForm, NotFound
from gendan.models import Department, Instance, Order, Task, Timer, User, UserRole
from gendan.org import HEAD_ROLE, department_id, role_holders
from gendan.task_notices import notify_new_task, notify_new_tasks
from gendan.timespec import RECV
from states.base import Procedure, TaskSpec, Wait

#: Timer level of a window's close (``states.base.Window``): the sweep fires ``on_silence``.
WINDOW_CLOSES = -2
#: Task statuses still waiting on the state: closed with it when it is left.
WAITING = ("open", "scheduled")


def _instant(value: Any, zone: tzinfo = UTC) -> datetime | None:
    """An instant from a form value; a naive one is read in ``zone``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
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


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def business_dates(
    inst: Instance, order: Order | None = None, *, start_key: str | None = None
) -> dict[str, date]:
    """Dates a deadline or an opening counts back from (``Deadline.before_date``, ``OpensAt``).

    The order's ``*_date`` fields, bare (``delivery_date``) and as ``order.<field>``, from
    ``order`` (the row as it is now: another procedure may have moved the date) when given,
    else from the instance's copy; and ``<form>.<field>`` for every date of the start form
    (under ``start_key``) and of each event's latest form (``plan.packing_date``).
    """
    out: dict[str, date] = {}
    facts = order.model_dump() if order is not None else inst.data.get("order", {})
    for name, value in facts.items():
        day = _as_date(value) if name.endswith("_date") else None
        if day is not None:
            out[name] = out[f"order.{name}"] = day
    scopes: dict[str, Any] = dict(inst.data.get("forms", {}))
    if start_key and isinstance(inst.data.get(start_key), dict):
        scopes.setdefault(start_key, inst.data[start_key])
    for scope, values in scopes.items():
        for name, value in (values or {}).items():
            if isinstance(value, list):
                out.update(_row_dates(f"{scope}.{name}", value))
                continue
            day = _as_date(value) if isinstance(value, str) and len(value) == 10 else None
            if day is not None:
                out[f"{scope}.{name}"] = day
    return out


def _row_dates(prefix: str, rows: list[Any]) -> dict[str, date]:
    """Dates in repeating rows: ``plan.rows.2.finish`` (by index) and ``plan.rows.packing.finish``
    (the first row whose first cell is ``packing``: a plan line named by its line)."""
    out: dict[str, date] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not row:
            continue
        key = next(iter(row.values()))
        for cell, value in row.items():
            day = _as_date(value) if isinstance(value, str) and len(value) == 10 else None
            if day is None:
                continue
            out[f"{prefix}.{i}.{cell}"] = day
            if isinstance(key, str) and key:
                out.setdefault(f"{prefix}.{key}.{cell}", day)
    return out


def entering_form(inst: Instance, proc: type[Procedure], entered_by: str | None) -> dict[str, Any]:
    """The form of the move that entered the state: ``entered_by``'s, else the start form."""
    if entered_by:
        return dict(inst.data.get("forms", {}).get(entered_by) or {})
    return dict(inst.data.get(proc.start_key) or {})


def _form_value(inst: Instance, proc: type[Procedure], field: str, values: dict[str, Any]) -> Any:
    """A field of the entering form; else of any form the instance holds (latest first)."""
    if field in values:
        return values[field]
    for form in reversed(list(inst.data.get("forms", {}).values())):
        if isinstance(form, dict) and field in form:
            return form[field]
    return (inst.data.get(proc.start_key) or {}).get(field)


def order_of(session: Session, inst: Instance) -> Order | None:
    """The instance's order, read once per transaction (``gendan.order_cache``)."""
    return order_cache.order_by_no(session, inst.order_no)


def spec_of(proc: type[Procedure], task: Task, department_key: str | None) -> TaskSpec | None:
    """The declaration a task was opened from (by title; role and department unless the
    spec's participants were chosen at run time)."""
    wait = proc.wait_for(task.state)
    for spec in wait.tasks if wait else ():
        if spec.title_zh != task.title_zh:
            continue
        if spec.participants or (spec.role, spec.department) == (task.role, department_key):
            return spec
    return None


def recipients(
    session: Session, spec: TaskSpec, values: dict[str, Any]
) -> list[tuple[int, int | None, str]]:
    """(department id, assignee id, role) of each task ``spec`` opens.

    ``participants="form:<field>"``: one task per name in the field — a username (a task
    assigned to that person, in the department where they hold the spec's role, else their
    first) or a department key (offered to the spec's role there if anyone holds it, else
    to its head). Choice: a name that is both is the department (fields naming departments
    are choice lists of their keys; a person is named by a free username, which an
    administrator can keep apart). An unknown name is a 422 on that field (nothing is
    written); an empty
    field leaves the task with the declared role and department (Choice: nobody named means
    the step's own holder, never a task for no one).
    """
    if spec.participants is None:
        return [(department_id(session, spec.department), None, spec.role)]
    field = spec.participants.removeprefix("form:")
    raw = values.get(field)
    names = [raw] if isinstance(raw, str) else list(raw or [])
    out: list[tuple[int, int | None, str]] = []
    for name in dict.fromkeys(str(n).strip() for n in names if n and str(n).strip()):
        dep = org_cache.department_by_key(session, name)
        if dep is not None and dep.id is not None:
            role = spec.role if role_holders(session, spec.role, dep.id) else HEAD_ROLE
            out.append((dep.id, None, role))
            continue
        user = session.exec(
            select(User).where(User.username == name, User.is_active == True)  # noqa: E712
        ).first()
        if user is None or user.id is None:
            raise InvalidForm({field: f"{name}: no such person or department / 无此人员或部门"})
        out.append((_home_department(session, user, spec), user.id, spec.role))
    return out or [(department_id(session, spec.department), None, spec.role)]


def _home_department(session: Session, user: User, spec: TaskSpec) -> int:
    rows = session.exec(
        select(UserRole).where(UserRole.user_id == user.id).order_by(UserRole.id)
    ).all()
    for row in rows:
        if row.role == spec.role:
            return row.department_id
    if rows:
        return rows[0].department_id
    headed = session.exec(select(Department).where(Department.head_user_id == user.id)).first()
    if headed is not None and headed.id is not None:
        return headed.id
    return department_id(session, spec.department)


def open_tasks(
    session: Session,
    *,
    inst: Instance,
    proc: type[Procedure],
    now: datetime,
    calendar: BusinessCalendar,
    entered_by: str | None = None,
) -> list[Task]:
    """Open the tasks the instance's new state waits for, each with its due time and timers.

    ``entered_by``: the event that entered the state (its form names run-time participants
    and form-given due times; None: the start form). A date-anchored task (``OpensAt``)
    whose day has not come is created ``scheduled`` and opened by the sweep
    (``gendan.dated_tasks``); a window's tasks are due when it closes (``gendan.windows``).
    The state's tasks go in with one INSERT, their timers with one more, and the e-mails
    to their holders with one SELECT and one INSERT (``write_opened``).
    """
    tasks: list[Task] = []
    timers: list[tuple[Task, int, datetime]] = []
    told: list[Task] = []
    anchors = clock_anchors(inst, proc)
    dates = business_dates(inst, order_of(session, inst), start_key=proc.start_key)
    values = entering_form(inst, proc, entered_by)
    wait = proc.wait_for(inst.state)
    window = wait.window if wait else None
    closes = (
        schedule(calendar, window.deadline, opened=now, anchors=anchors, dates=dates)
        if window
        else None
    )
    for spec in proc.tasks_for(inst.state, inst.data):
        for dep_id, assignee_id, role in recipients(session, spec, values):
            task = Task(
                instance_id=inst.id,
                state=inst.state,
                round=versioning.entry_round(session, inst),
                role=role,
                department_id=dep_id,
                assignee_id=assignee_id,
                title_zh=spec.title_zh,
                title_en=spec.title_en,
                chain=list(spec.chain),
                decisions=list(spec.decisions),
                pauses_for=spec.pauses_for,
                created_at=now,
            )
            if wait is not None and closes is not None:
                timers += _as_window_task(task, wait, closes)
                told.append(task)
            elif spec.opens is not None and _opens_later(task, spec, calendar, dates, now):
                _schedule_later(task, spec, calendar, anchors, dates)
            else:
                timers += _clock(task, spec, inst=inst, proc=proc, now=now,
                                 calendar=calendar, values=values, opened=now,
                                 anchors=anchors, dates=dates)  # fmt: skip
                told.append(task)
            tasks.append(task)
    write_opened(session, tasks, timers, told, inst=inst, calendar=calendar, now=now)
    return tasks


def _opens_later(
    task: Task, spec: TaskSpec, calendar: BusinessCalendar, dates: dict[str, date], now: datetime
) -> bool:
    assert spec.opens is not None
    task.opens_at = opening(calendar, spec.opens, dates)
    return task.opens_at is None or task.opens_at > now


def write_opened(
    session: Session,
    tasks: list[Task],
    timers: list[tuple[Task, int, datetime]],
    told: list[Task],
    *,
    inst: Instance,
    calendar: BusinessCalendar,
    now: datetime,
) -> None:
    """Write new tasks (one multi-row INSERT; they join the session as loaded rows), their
    timers (one more) and e-mail the holders of ``told`` (``notify_new_tasks``)."""
    insert_tasks(session, tasks)
    if timers:
        table = Timer.__table__  # type: ignore[attr-defined]
        session.execute(  # RETURNING makes it one multi-row INSERT on every driver
            insert(table).returning(table.c.id),
            [{"task_id": t.id, "level": level, "due_at": due, "status": "pending", "fired_at": None}
             for t, level, due in timers],  # fmt: skip
        ).all()
    notify_new_tasks(session, told, calendar=calendar, now=now, inst=inst)


#: Columns that tell a batch's tasks apart when their ids come back.
_TASK_KEY = ("role", "department_id", "assignee_id", "title_zh", "status")


def insert_tasks(session: Session, tasks: list[Task]) -> None:
    """One ``INSERT … VALUES (…), (…) RETURNING id`` for ``tasks``; each gets its id and is
    added to the session as a persistent, unmodified row (no second write at the flush).

    Choice: the rows go as one executemany with RETURNING, which SQLAlchemy sends as one
    multi-row INSERT ("insertmanyvalues") from a cached compiled statement — building
    ``insert().values([...])`` instead compiles anew each time (5x the cost measured).
    The ids are matched to the rows by their order — SQLite and PostgreSQL number the rows
    of one INSERT in the order of its VALUES — and checked against the columns returned
    with them, because the ORM's own batched INSERT falls back to one statement per row on
    SQLite (it cannot promise that order there).
    """
    if not tasks:
        return
    session.flush()  # rows the tasks refer to (a new instance) are written first
    table = Task.__table__  # type: ignore[attr-defined]
    columns = [c.name for c in table.columns if c.name != "id"]
    returned = list(
        session.execute(
            insert(table).returning(table.c.id, *(table.c[k] for k in _TASK_KEY)),
            [{c: getattr(t, c) for c in columns} for t in tasks],
        ).all()
    )
    returned.sort(key=lambda r: r[0])
    for task, row in zip(tasks, returned, strict=True):
        if tuple(row[1:]) != tuple(getattr(task, k) for k in _TASK_KEY):
            raise RuntimeError("the database numbered a multi-row INSERT out of order")
        task.id = row[0]
        make_transient_to_detached(task)
        session.add(task)


def _deadline_words(task: Task, spec: TaskSpec) -> None:
    dl = spec.deadline
    task.sla = str(dl.sla) if dl and dl.sla else ""
    task.deadline_zh = dl.label("zh") if dl else ""
    task.deadline_en = dl.label("en") if dl else ""
    task.deadline_kind = dl.basis if dl else ""
    if spec.due is not None:
        task.deadline_zh, task.deadline_en = "按联系单要求时间", "by the time the form asks"


def plan_of(
    spec: TaskSpec,
    *,
    inst: Instance,
    proc: type[Procedure],
    calendar: BusinessCalendar,
    opened: datetime,
    anchors: dict[str, datetime],
    dates: dict[str, date],
    values: dict[str, Any],
) -> Schedule | None:
    """The task's deadline instants: its declared deadline, or the form-given due time."""
    if spec.due is not None:
        field = spec.due.removeprefix("form:")
        due = _instant(_form_value(inst, proc, field, values), zone=calendar.zone)
        if due is None:
            raise InvalidForm({field: "a due time is required / 须填写要求完成时间"})
        return schedule_until(calendar, start=opened, due=due)
    if spec.deadline is None:
        return None
    return schedule(calendar, spec.deadline, opened=opened, anchors=anchors, dates=dates)


def start_clock(
    session: Session,
    task: Task,
    spec: TaskSpec,
    *,
    inst: Instance,
    proc: type[Procedure],
    now: datetime,
    calendar: BusinessCalendar,
    values: dict[str, Any],
    opened: datetime,
) -> None:
    """Open ``task`` now: its clock starts at ``opened``, its timers are set, holders told."""
    dates = business_dates(inst, order_of(session, inst), start_key=proc.start_key)
    anchors = clock_anchors(inst, proc)
    timers = _clock(task, spec, inst=inst, proc=proc, now=now, calendar=calendar, values=values,
                    opened=opened, anchors=anchors, dates=dates)  # fmt: skip
    session.add(task)
    session.flush()
    for _task, level, due in timers:
        session.add(Timer(task_id=task.id, level=level, due_at=due))
    notify_new_task(session, task, calendar=calendar, now=now, inst=inst)  # e-mail holders


def _clock(
    task: Task,
    spec: TaskSpec,
    *,
    inst: Instance,
    proc: type[Procedure],
    now: datetime,
    calendar: BusinessCalendar,
    values: dict[str, Any],
    opened: datetime,
    anchors: dict[str, datetime],
    dates: dict[str, date],
) -> list[tuple[Task, int, datetime]]:
    """Set the task's clock from its plan; the timers it needs as (task, level, due)."""
    plan = plan_of(spec, inst=inst, proc=proc, calendar=calendar, opened=opened,
                   anchors=anchors, dates=dates, values=values)  # fmt: skip
    _deadline_words(task, spec)
    task.status = "open"
    task.clock_start = plan.start if plan else None
    task.due_at = plan.due if plan else None
    task.period_minutes = int(plan.period.total_seconds() // 60) if plan else 0
    if plan is None:
        return []
    # A received-at long past makes the task overdue at once: the next sweep escalates.
    timers = [(task, 1, plan.due)]
    if plan.remind is not None and plan.remind > now:
        timers.append((task, 0, plan.remind))
    return timers


def _schedule_later(
    task: Task,
    spec: TaskSpec,
    calendar: BusinessCalendar,
    anchors: dict[str, datetime],
    dates: dict[str, date],
) -> None:
    """A date-anchored task not open yet: no timers, nobody told; its planned due time is
    kept so the order page can show it (None while its date is not set)."""
    _deadline_words(task, spec)
    task.status = "scheduled"
    if task.opens_at is not None and spec.deadline is not None and spec.due is None:
        try:
            plan = schedule(
                calendar, spec.deadline, opened=task.opens_at, anchors=anchors, dates=dates
            )
            task.due_at, task.clock_start = plan.due, plan.start
        except ValueError:
            task.due_at = None


def _as_window_task(
    task: Task, wait: Wait, closes: Schedule
) -> list[tuple[Task, int, datetime]]:
    """A recipient's task in a window: due at the close, no escalation; it may object."""
    assert wait.window is not None
    dl = wait.window.deadline
    task.status = "open"
    task.clock_start, task.due_at = closes.start, closes.due
    task.period_minutes = int(closes.period.total_seconds() // 60)
    task.chain = []
    task.decisions = task.decisions or [wait.window.objection]
    task.sla = str(dl.sla) if dl.sla else ""
    task.deadline_zh = f"异议期 {dl.label('zh')}（逾期无异议视为接受）"
    task.deadline_en = f"objection window {dl.label('en')} (silence is consent)"
    task.deadline_kind = dl.basis
    return [(task, WINDOW_CLOSES, closes.due)]


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
    """Close what is still open on the instance (the state it waited in is left): one
    UPDATE for the tasks whatever their number (those already in the session follow), one
    for their timers when there were any."""
    closed = session.execute(
        update(Task)
        .where(Task.instance_id == instance_id, Task.status.in_(WAITING))
        .values(status=status, closed_at=now)
        .returning(Task.id)
    ).scalars().all()
    cancel_timers(session, task_ids=list(closed))
