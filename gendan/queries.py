"""Read side: the inbox, one instance with its trail, access to what a person may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, literal, or_, tuple_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from gendan.db import UTCDateTime
from gendan.decisions import state_decisions
from gendan.errors import InvalidForm, NotAllowed, NotFound
from gendan.limits import MAX_ID, MAX_SEARCH, check_text
from gendan.models import (
    AuditEvent,
    Department,
    Document,
    Instance,
    InstanceCopy,
    Order,
    Task,
    Timer,
)
from gendan.org import Actor, escalated_to, is_department_head, may_work_on
from states import get_procedure

#: Roles that may read any instance and its trail.
READ_ALL_ROLES = ("general_manager", "auditor")


@dataclass(frozen=True)
class InboxRow:
    task: Task
    instance: Instance
    department: Department
    customer: str
    mine: bool


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: whose tasks, and narrowed by procedure, order, customer, time."""

    scope: str = "all"  # all | mine | queue (my roles' unclaimed tasks)
    procedure: str | None = None
    order_no: str | None = None  # prefix
    customer: str | None = None  # substring
    q: str | None = None  # free search: order number, customer, task title
    overdue: bool = False
    due_today: bool = False


def check_filter(flt: InboxFilter) -> None:
    """Search terms are short (422 naming the field): SQLite refuses LIKE patterns over
    50,000 bytes, and no order number, customer or title is that long."""
    errors: dict[str, str] = {}
    for name in ("scope", "procedure", "order_no", "customer", "q"):
        check_text(errors, name, getattr(flt, name), MAX_SEARCH)
    if errors:
        raise InvalidForm(errors)


#: The instants a cursor may name (every due time lies between them).
CURSOR_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC))


def check_cursor(
    due: datetime, task_id: int, *, due_field: str = "after_due", id_field: str = "after_id"
) -> tuple[datetime, int]:
    """A page cursor as sent back by a client: an aware instant in range and a task id in the
    columns' range, else a 422 naming the field (never an overflow in the database)."""
    errors: dict[str, str] = {}
    if due.tzinfo is None or due.utcoffset() is None:
        errors[due_field] = "needs a time zone, as in the returned cursor / 须带时区"
    else:
        try:
            at = due.astimezone(UTC)
        except OverflowError:
            at = None
        if at is None or not CURSOR_RANGE[0] <= at < CURSOR_RANGE[1]:
            errors[due_field] = "out of range (1970-2999) / 超出范围"
    if not 1 <= task_id <= MAX_ID:
        errors[id_field] = f"must be from 1 to {MAX_ID} / 超出范围"
    if errors:
        raise InvalidForm(errors)
    return due, task_id


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    #: (due_at, id) of the last row when there may be more: the next page starts after it.
    next_cursor: tuple[datetime, int] | None


def inbox(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    tz: ZoneInfo,
    flt: InboxFilter = InboxFilter(),
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> InboxPage:
    """Open tasks in due order, keyset-paginated on (due_at, id) so deep pages stay fast.

    "Mine or my roles' queue" is an OR that no index serves in order, so each side is its
    own branch walking its own index (``ix_task_assignee_due``, ``ix_task_queue`` per role)
    for at most ``limit + 1`` rows; the branches are merged, then joined for display.
    """
    ids, more = _pick(session, actor, now=now, tz=tz, flt=flt, after=after, limit=limit)
    if not ids:
        return InboxPage([], None)
    found = session.exec(
        select(Task, Instance, Department, Order.customer)
        .join(Instance, Instance.id == Task.instance_id)
        .join(Department, Department.id == Task.department_id)
        .join(Order, Order.order_no == Instance.order_no, isouter=True)
        .where(Task.id.in_(ids))
    ).all()
    found = sorted(found, key=lambda r: (r[0].due_at, r[0].id))
    rows = [InboxRow(t, i, d, c or "", t.assignee_id == actor.user_id) for t, i, d, c in found]
    cursor = (rows[-1].task.due_at, rows[-1].task.id) if more and rows else None
    return InboxPage(rows, cursor)  # type: ignore[arg-type]


def _pick(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    tz: ZoneInfo,
    flt: InboxFilter,
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[list[int], bool]:
    """The ids of one inbox page in due order, and whether more follow (the UNION ALL)."""
    check_filter(flt)
    if after is not None:
        check_cursor(*after)
    branches = []
    if flt.scope in ("all", "mine"):
        branches.append(_branch(Task.assignee_id == actor.user_id, flt, now, tz, after, limit))
    if flt.scope in ("all", "queue"):
        for role, dep in sorted(actor.roles):
            cond = and_(Task.role == role, Task.department_id == dep, Task.assignee_id.is_(None))
            branches.append(_branch(cond, flt, now, tz, after, limit))
    if not branches:
        return [], False
    merged = union_all(*(b.subquery().select() for b in branches)).subquery()
    picked = session.exec(
        select(merged.c.id).order_by(merged.c.due_at, merged.c.id).limit(limit + 1)
    ).all()
    return list(picked[:limit]), len(picked) > limit


@dataclass(frozen=True)
class InboxLine:
    """One inbox row as plain values (``lean_inbox``): ``task``, ``instance`` and
    ``department`` read like the ORM objects (``line.task.due_at``) but are only their columns
    the inbox shows (the task without its ``form_data``)."""

    task: SimpleNamespace
    instance: SimpleNamespace
    department: SimpleNamespace
    customer: str
    mine: bool


@dataclass(frozen=True)
class LeanInboxPage:
    rows: list[InboxLine]
    next_cursor: tuple[datetime, int] | None


#: The columns of a lean inbox row: every task column but the submitted form, and what the
#: page and the API show of the instance and the department.
LEAN_TASK = tuple(c for c in Task.__table__.c if c.key != "form_data")  # type: ignore[attr-defined]
LEAN_INSTANCE = (
    Instance.id,
    Instance.procedure,
    Instance.order_no,
    Instance.subject_kind,
    Instance.subject_key,
)
LEAN_DEPARTMENT = (Department.id, Department.key, Department.name_zh, Department.name_en)


def lean_inbox(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    tz: ZoneInfo,
    flt: InboxFilter = InboxFilter(),
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> LeanInboxPage:
    """``inbox`` as plain rows for the inbox page and ``GET /api/tasks``: the same pick, then
    one Core statement for the display, no mapped objects (issue 11: the ORM building 50
    rows of three models was ten times the SQL)."""
    ids, more = _pick(session, actor, now=now, tz=tz, flt=flt, after=after, limit=limit)
    if not ids:
        return LeanInboxPage([], None)
    found = session.execute(
        select(*LEAN_TASK, *LEAN_INSTANCE, *LEAN_DEPARTMENT, Order.customer)
        .join_from(Task, Instance, Instance.id == Task.instance_id)
        .join(Department, Department.id == Task.department_id)
        .join(Order, Order.order_no == Instance.order_no, isouter=True)
        .where(Task.id.in_(ids))
        .order_by(Task.due_at, Task.id)
    ).all()
    rows = []
    for row in found:
        task, inst, dep, (customer,) = _split(tuple(row), LEAN_TASK, LEAN_INSTANCE, LEAN_DEPARTMENT)
        inst.reference = Instance.reference.fget(inst)  # type: ignore[attr-defined]  # one rule
        rows.append(InboxLine(task, inst, dep, customer or "", task.assignee_id == actor.user_id))
    cursor = (rows[-1].task.due_at, rows[-1].task.id) if more and rows else None
    return LeanInboxPage(rows, cursor)


def _split(values: tuple[Any, ...], *groups: tuple[Any, ...]) -> list[Any]:
    """A flat row cut into one namespace per column group (named by column key), then the
    values left over."""
    out: list[Any] = []
    at = 0
    for cols in groups:
        keys = _KEYS.get(cols) or _KEYS.setdefault(cols, tuple(c.key for c in cols))
        out.append(SimpleNamespace(**dict(zip(keys, values[at : at + len(keys)], strict=True))))
        at += len(keys)
    out.append(values[at:])
    return out


#: Column keys per column group of ``_split`` (reading ``Column.key`` per row costs).
_KEYS: dict[tuple[Any, ...], tuple[str, ...]] = {}


def _branch(
    scope: Any,
    flt: InboxFilter,
    now: datetime,
    tz: ZoneInfo,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Any:
    """One index-ordered branch of the inbox: (id, due_at) of at most ``limit + 1`` tasks."""
    stmt = select(Task.id, Task.due_at).where(
        Task.status == "open", scope, Task.due_at.is_not(None)
    )
    if flt.procedure or flt.order_no or flt.customer or flt.q:
        stmt = stmt.join(Instance, Instance.id == Task.instance_id).join(
            Order, Order.order_no == Instance.order_no, isouter=True
        )
    if flt.procedure:
        stmt = stmt.where(Instance.procedure == flt.procedure)
    if flt.order_no:
        stmt = stmt.where(Instance.order_no.startswith(flt.order_no.strip()))
    if flt.customer:
        stmt = stmt.where(Order.customer.contains(flt.customer.strip()))
    if flt.q:
        q = flt.q.strip()
        stmt = stmt.where(
            or_(
                Instance.order_no.contains(q),
                Order.customer.contains(q),
                Task.title_zh.contains(q),
                Task.title_en.contains(q),
            )
        )
    if flt.overdue:
        # A paused clock stands still: such a task is overdue only if it was when paused.
        stmt = stmt.where(
            Task.due_at < now, or_(Task.paused_at.is_(None), Task.due_at < Task.paused_at)
        )
    if flt.due_today:
        start = datetime.combine(now.astimezone(tz).date(), time(0), tz)
        stmt = stmt.where(Task.due_at >= start, Task.due_at < start + timedelta(days=1))
    if after is not None:
        due, tid = after
        cursor = tuple_(literal(due, UTCDateTime()), literal(tid, Integer()))
        stmt = stmt.where(tuple_(Task.due_at, Task.id) > cursor)
    return stmt.order_by(Task.due_at, Task.id).limit(limit + 1)


def get_task_for(session: Session, task_id: int, actor: Actor) -> tuple[Task, Instance]:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if not (may_work_on(actor, task) or can_view(session, actor, task.instance_id)):
        raise NotAllowed("this task is not yours / 此任务不属于您")
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    return task, inst


def can_view(session: Session, actor: Actor, instance_id: int) -> bool:
    """Creator, anyone offered one of its tasks, heads of those departments, people copied on
    it (抄送: informed heads, @mentioned colleagues), GM, auditors."""
    if any(actor.has_role(r) for r in READ_ALL_ROLES):
        return True
    inst = session.get(Instance, instance_id)
    if inst is None:
        return False
    if inst.created_by_id == actor.user_id:
        return True
    copied = select(InstanceCopy.id).where(
        InstanceCopy.instance_id == instance_id, InstanceCopy.user_id == actor.user_id
    )
    if session.exec(copied).first() is not None:
        return True
    for task in session.exec(select(Task).where(Task.instance_id == instance_id)).all():
        if may_work_on(actor, task) or task.closed_by_id == actor.user_id:
            return True
        # the head by the department's head field; an escalation target of the task
        if is_department_head(session, actor.user_id, task.department_id):
            return True
        if escalated_to(session, actor.user_id, task):
            return True
    return False


def readable_documents(session: Session, actor: Actor, inst: Instance) -> list[Document]:
    """The order's documents the reader may read: each by its own issuing instance's rules
    (``can_view``), so an order change started by engineering does not carry the review's
    production notice or review record to someone who gets 403 on them."""
    # an instance with its own key and no order: its own papers, not every order-less one
    mine = Document.order_no == inst.order_no if inst.order_no else Document.instance_id == inst.id
    docs = session.exec(select(Document).where(mine).order_by(Document.id)).all()
    allowed: dict[int, bool] = {}
    for doc in docs:
        if doc.instance_id not in allowed:
            allowed[doc.instance_id] = doc.instance_id == inst.id or can_view(
                session, actor, doc.instance_id
            )
    return [d for d in docs if allowed[d.instance_id]]


def instance_view(session: Session, instance_id: int, actor: Actor) -> dict[str, Any]:
    inst = session.get(Instance, instance_id)
    if inst is None:
        raise NotFound(f"no instance {instance_id}")
    if not can_view(session, actor, instance_id):
        raise NotAllowed("you may not read this instance / 无权查看")
    proc = get_procedure(inst.procedure)
    # the trail as plain rows (the same dicts model_dump gave): an old instance has hundreds
    tasks = _dicts(session, Task, Task.instance_id == inst.id, Task.id)
    task_ids = [t["id"] for t in tasks]
    timers = _dicts(session, Timer, Timer.task_id.in_(task_ids), Timer.id) if task_ids else []
    events = _dicts(session, AuditEvent, AuditEvent.instance_id == inst.id, AuditEvent.seq)
    docs = readable_documents(session, actor, inst)
    return {
        "id": inst.id,
        "procedure": inst.procedure,
        "procedure_zh": proc.title_zh,
        "procedure_en": proc.title_en,
        "order_no": inst.order_no,
        "reference": inst.reference,
        "subject_kind": inst.subject_kind,
        "subject_key": inst.subject_key,
        "state": inst.state,
        "state_name": proc.states_map[inst.state].name,
        "version": inst.version,
        "data": inst.data,
        "closed_at": inst.closed_at,
        "allowed_events": state_decisions(proc, inst.state),  # what the API accepts there
        "tasks": tasks,
        "timers": timers,
        "audit": events,
        "documents": [d.model_dump() for d in docs],
    }


def _dicts(session: Session, model: Any, where: Any, order: Any) -> list[dict[str, Any]]:
    """Rows of a table as ``{column: value}``, what ``model_dump`` gives of its objects."""
    stmt = sa_select(*model.__table__.c).where(where).order_by(order)
    return [dict(m) for m in session.execute(stmt).mappings()]
