"""Find any order: the order list (search, sort, keyset pages) and one order's page — its
timeline across every procedure, current steps and holders, documents and revisions,
deadlines met and missed — limited to what the reader may read.

Who sees an order. Choice: an order is listed for a person who may read at least one of its
procedure instances by the per-instance rules of ``gendan.queries.can_view`` (started it,
was offered or closed one of its tasks, heads the department of one, was copied on it), and
for everyone with a read-all role (``READ_ALL_ROLES``: the general manager, auditors) —
because the order page is made of those instances, a second, looser rule would show orders
whose page then says nothing. Administrators manage people and settings and see orders only
through such a role. On the order's page each part comes from the instances the reader may
read: an engineer who started a change sees the change's events and documents, not the
review's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Date, Integer, String, and_, exists, false, literal, or_, tuple_
from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.db import UTCDateTime
from gendan.errors import InvalidForm, NotAllowed, NotFound
from gendan.labels import label, pair
from gendan.limits import MAX_ID, MAX_SEARCH, check_text
from gendan.models import (
    AuditEvent,
    Department,
    Document,
    Instance,
    InstanceCopy,
    InstanceOrder,
    Order,
    Task,
    User,
)
from gendan.org import Actor
from gendan.queries import READ_ALL_ROLES, can_view

SortKey = Literal["created", "order_no", "delivery", "customer"]

#: Sort key → the order column it orders by (ties broken by id).
SORT_COLUMNS: dict[str, Any] = {
    "created": Order.created_at,
    "order_no": Order.order_no,
    "delivery": Order.delivery_date,
    "customer": Order.customer,
}
_SORT_TYPES: dict[str, Any] = {
    "created": UTCDateTime(),
    "order_no": String(),
    "delivery": Date(),
    "customer": String(),
}


@dataclass(frozen=True)
class OrderFilter:
    """What the order list shows: a free search, field filters, overdue only, the sort."""

    q: str | None = None  # order number, customer or product (part of it)
    order_no: str | None = None  # prefix
    customer: str | None = None  # part of the name
    product: str | None = None  # part of product or model
    status: str | None = None  # the order's status (reviewing, released …)
    state: str | None = None  # a state one of its procedures is in now
    overdue: bool = False  # an open task past its due time
    sort: SortKey = "created"
    desc: bool = True


def check_order_filter(flt: OrderFilter) -> None:
    """Short search terms and a known sort (422 naming the field)."""
    errors: dict[str, str] = {}
    for name in ("q", "order_no", "customer", "product", "status", "state"):
        check_text(errors, name, getattr(flt, name), MAX_SEARCH)
    if flt.sort not in SORT_COLUMNS:
        errors["sort"] = "one of created, order_no, delivery, customer / 排序字段无效"
    if errors:
        raise InvalidForm(errors)


def parse_cursor(raw: str, sort: str) -> tuple[Any, int]:
    """``after=<value>~<id>`` as the list hands it out, typed for the sort column (422 if not)."""
    value, sep, rid = raw.rpartition("~")
    errors: dict[str, str] = {}
    parsed: Any = None
    try:
        if not sep:
            raise ValueError
        oid = int(rid)
        if not 1 <= oid <= MAX_ID:
            raise ValueError
        if sort == "created":
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError
        elif sort == "delivery":
            parsed = date.fromisoformat(value)
        else:
            parsed = value
    except ValueError:
        errors["after"] = "not a cursor this list handed out / 分页游标无效"
    if errors:
        raise InvalidForm(errors)
    return parsed, oid


def _cursor_text(order: Order, sort: str) -> str:
    value = {
        "created": lambda: order.created_at.isoformat(),
        "order_no": lambda: order.order_no,
        "delivery": lambda: order.delivery_date.isoformat(),
        "customer": lambda: order.customer,
    }[sort]()
    return f"{value}~{order.id}"


# --------------------------------------------------------------------------- who may read


def reads_all(actor: Actor) -> bool:
    return any(actor.has_role(r) for r in READ_ALL_ROLES)


def readable(session: Session, actor: Actor) -> Any:
    """``can_view`` as a SQL condition on ``Instance`` (correlated: it checks the row it is
    put beside), or None when the actor reads everything.

    Choice: a condition checked per candidate row, not a set of readable ids built first,
    because the list walks an order index in sort order and stops after one page: a clerk
    who reads most orders checks about a page of rows, not every instance they ever touched
    (a set of 40,000 ids cost 200-300 ms a page with 20,000 orders).

    Choice: an escalation target outside the task's department (the GM office, a named
    department's head) reads the task through ``can_view`` but the list does not show the
    order for that alone; they find the task in their escalation view.
    """
    if reads_all(actor):
        return None
    uid = actor.user_id
    # heads by the department's head field (``gendan.org.is_department_head``)
    headed = list(session.exec(select(Department.id).where(Department.head_user_id == uid)))
    task_conds = [
        Task.assignee_id == uid,
        Task.closed_by_id == uid,
        *(and_(Task.role == r, Task.department_id == d) for r, d in sorted(actor.roles)),
    ]
    if headed:
        task_conds.append(Task.department_id.in_(headed))
    return or_(
        Instance.created_by_id == uid,
        # correlated to the instance only: the outer query may select tasks itself
        exists(
            select(Task.id)
            .where(Task.instance_id == Instance.id, or_(*task_conds))
            .correlate(Instance)
        ),
        exists(
            select(InstanceCopy.id)
            .where(InstanceCopy.instance_id == Instance.id, InstanceCopy.user_id == uid)
            .correlate(Instance)
        ),
    )


# --------------------------------------------------------------------------- the list


class StepHolder(BaseModel):
    """An open task of the order and who holds it: a person, or a queue (role, department)."""

    task_id: int
    instance_id: int
    procedure: str
    title_zh: str
    title_en: str
    holder_zh: str
    holder_en: str
    queue: bool
    due_at: datetime | None
    overdue: bool


class OrderRow(BaseModel):
    order_no: str
    customer: str
    product: str
    model_spec: str
    quantity: int
    unit: str
    delivery_date: date
    kind: str
    kind_zh: str
    kind_en: str
    status: str
    status_zh: str
    status_en: str
    created_at: datetime
    overdue: bool
    steps: list[StepHolder]


class OrderListPage(BaseModel):
    rows: list[OrderRow]
    #: Pass as ``after`` for the next page (None: this is the last page).
    next_after: str | None


def list_orders(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    flt: OrderFilter = OrderFilter(),
    after: str | None = None,
    limit: int = 50,
) -> OrderListPage:
    """Orders the actor may see, filtered and sorted, keyset-paginated on (sort column, id)."""
    check_order_filter(flt)
    limit = max(1, min(limit, 200))
    col = SORT_COLUMNS[flt.sort]
    seen = readable(session, actor)
    stmt = select(Order)
    if seen is not None:
        # a semi-join per row: the sort's index is walked and stops after one page
        stmt = stmt.where(
            exists(select(Instance.id).where(Instance.order_no == Order.order_no, seen))
        )
    for cond in _filter_conditions(flt, now, seen):
        stmt = stmt.where(cond)
    if after:
        value, oid = parse_cursor(after, flt.sort)
        key = tuple_(literal(value, _SORT_TYPES[flt.sort]), literal(oid, Integer()))
        stmt = stmt.where(tuple_(col, Order.id) < key if flt.desc else tuple_(col, Order.id) > key)
    order_by = (col.desc(), Order.id.desc()) if flt.desc else (col, Order.id)
    found = list(session.exec(stmt.order_by(*order_by).limit(limit + 1)).all())
    more = len(found) > limit
    found = found[:limit]
    steps = open_steps(session, [o.order_no for o in found], now=now, seen=seen)
    rows = [_row(o, steps.get(o.order_no, [])) for o in found]
    return OrderListPage(rows=rows, next_after=_cursor_text(found[-1], flt.sort) if more else None)


def _filter_conditions(flt: OrderFilter, now: datetime, seen: Any) -> list[Any]:
    conds: list[Any] = []
    if flt.q and flt.q.strip():
        q = flt.q.strip()
        conds.append(
            or_(
                Order.order_no.contains(q, autoescape=True),
                Order.customer.contains(q, autoescape=True),
                Order.product.contains(q, autoescape=True),
                Order.model_spec.contains(q, autoescape=True),
            )
        )
    if flt.order_no and flt.order_no.strip():
        conds.append(Order.order_no.startswith(flt.order_no.strip(), autoescape=True))
    if flt.customer and flt.customer.strip():
        conds.append(Order.customer.contains(flt.customer.strip(), autoescape=True))
    if flt.product and flt.product.strip():
        p = flt.product.strip()
        conds.append(
            or_(
                Order.product.contains(p, autoescape=True),
                Order.model_spec.contains(p, autoescape=True),
            )
        )
    if flt.status and flt.status.strip():
        conds.append(Order.status == flt.status.strip())
    inst_scope = [Instance.order_no == Order.order_no]
    if seen is not None:
        inst_scope.append(seen)
    if flt.state and flt.state.strip():
        conds.append(
            exists(
                select(Instance.id).where(
                    *inst_scope, Instance.state == flt.state.strip(), Instance.closed_at.is_(None)
                )
            )
        )
    if flt.overdue:
        conds.append(
            exists(
                select(Task.id)
                .join(Instance, Instance.id == Task.instance_id)
                .where(*inst_scope, *_overdue(now))
            )
        )
    return conds


def _overdue(now: datetime) -> list[Any]:
    """An open task past due (a paused clock stands still: overdue only if it was then)."""
    return [
        Task.status == "open",
        Task.due_at.is_not(None),
        Task.due_at < now,
        or_(Task.paused_at.is_(None), Task.due_at < Task.paused_at),
    ]


def _is_overdue(task: Task, now: datetime) -> bool:
    if task.status != "open" or task.due_at is None:
        return False
    return task.due_at < (task.paused_at or now)


def open_steps(
    session: Session, order_nos: list[str], *, now: datetime, seen: Any = None
) -> dict[str, list[StepHolder]]:
    """Order number → its open tasks (of instances the reader may read) with their holders."""
    if not order_nos:
        return {}
    stmt = (
        select(Task, Instance.order_no, Instance.procedure, Department, User)
        .join(Instance, Instance.id == Task.instance_id)
        .join(Department, Department.id == Task.department_id)
        .join(User, User.id == Task.assignee_id, isouter=True)
        .where(Instance.order_no.in_(order_nos), Task.status == "open")
        .order_by(Task.due_at, Task.id)
    )
    if seen is not None:  # a condition on the instance (``readable``)
        stmt = stmt.where(seen)
    out: dict[str, list[StepHolder]] = {}
    for task, order_no, procedure, dep, user in session.exec(stmt).all():
        out.setdefault(order_no, []).append(_holder(task, procedure, dep, user, now))
    return out


def _holder(
    task: Task, procedure: str, dep: Department, user: User | None, now: datetime
) -> StepHolder:
    if user is not None:
        holder = (user.display_name, user.display_name)
    else:
        role = pair("role", task.role) or (task.role, task.role)
        holder = (f"{dep.name_zh} · {role[0]}（待认领）", f"{dep.name_en} · {role[1]} (queue)")
    assert task.id is not None
    return StepHolder(
        task_id=task.id,
        instance_id=task.instance_id,
        procedure=procedure,
        title_zh=task.title_zh,
        title_en=task.title_en,
        holder_zh=holder[0],
        holder_en=holder[1],
        queue=user is None,
        due_at=task.due_at,
        overdue=_is_overdue(task, now),
    )


def _words(group: str, key: str) -> tuple[str, str]:
    return label(group, key, "zh"), label(group, key, "en")


def _row(order: Order, steps: list[StepHolder]) -> OrderRow:
    kind, status = _words("order_kind", order.kind), _words("order_status", order.status)
    return OrderRow(
        order_no=order.order_no,
        customer=order.customer,
        product=order.product,
        model_spec=order.model_spec,
        quantity=order.quantity,
        unit=order.unit,
        delivery_date=order.delivery_date,
        kind=order.kind,
        kind_zh=kind[0],
        kind_en=kind[1],
        status=order.status,
        status_zh=status[0],
        status_en=status[1],
        created_at=order.created_at,
        overdue=any(s.overdue for s in steps),
        steps=steps,
    )


# --------------------------------------------------------------------------- one order


class ProcedureRun(BaseModel):
    instance_id: int
    procedure: str
    procedure_zh: str
    procedure_en: str
    state: str
    state_zh: str
    state_en: str
    created_at: datetime
    closed_at: datetime | None
    #: An instance with its own subject serving the order (a PO): its key, e.g. PO-000042.
    serving: str = ""


class TimelineEntry(BaseModel):
    """One audit event of the order: a move, a claim, an escalation, a comment, a file …"""

    seq: int
    at: datetime
    actor: str
    action: str
    action_zh: str
    action_en: str
    instance_id: int | None
    procedure: str
    procedure_zh: str
    procedure_en: str
    event: str
    event_zh: str
    event_en: str
    from_state_zh: str
    from_state_en: str
    to_state_zh: str
    to_state_en: str
    reason: str
    #: A comment's text or an attachment's file name, when the event carries one.
    note: str
    document: str


class DocumentEntry(BaseModel):
    doc_no: str
    kind: str
    kind_zh: str
    kind_en: str
    revision: int
    status: str
    status_zh: str
    status_en: str
    issued_at: datetime
    recalled_at: datetime | None
    superseded_by: str | None
    instance_id: int


class DeadlineEntry(BaseModel):
    """A task's deadline and how it went: met, missed (by how much working time), open."""

    task_id: int
    instance_id: int
    title_zh: str
    title_en: str
    status: str
    due_at: datetime | None
    closed_at: datetime | None
    #: met | missed | overdue | open | cancelled | none (no deadline) | scheduled (a
    #: date-anchored task not open yet: it opens at ``opens_at``)
    outcome: str
    outcome_zh: str
    outcome_en: str
    #: Working minutes late (closed late, or open past due); 0 otherwise.
    late_minutes: int
    deadline_zh: str
    deadline_en: str
    opens_at: datetime | None = None


class OrderDetail(BaseModel):
    order: OrderRow
    facts: dict[str, Any]
    procedures: list[ProcedureRun]
    current: list[StepHolder]
    timeline: list[TimelineEntry]
    documents: list[DocumentEntry]
    deadlines: list[DeadlineEntry]
    #: The instance new comments and files go on (the newest the reader may read).
    main_instance_id: int | None
    #: Procedures of this order the reader may not read (their count only).
    hidden_procedures: int


def readable_instances(
    session: Session, actor: Actor, order_no: str
) -> tuple[Order, list[Instance], int]:
    """The order, its instances the actor may read (oldest first) and how many are hidden.
    NotFound if there is no such order; NotAllowed if the actor may read none of it."""
    order = session.exec(select(Order).where(Order.order_no == order_no)).first()
    if order is None:
        raise NotFound(f"no order {order_no}")
    # its own procedures, and those with their own subject serving it (a PO for two orders)
    serving = select(InstanceOrder.instance_id).where(InstanceOrder.order_no == order_no)
    insts = list(
        session.exec(
            select(Instance)
            .where(or_(Instance.order_no == order_no, Instance.id.in_(serving)))
            .order_by(Instance.id)
        )
    )
    readable = [i for i in insts if i.id is not None and can_view(session, actor, i.id)]
    if not readable and not reads_all(actor):
        raise NotAllowed("you may not read this order / 无权查看此订单")
    return order, readable, len(insts) - len(readable)


def order_detail(
    session: Session, actor: Actor, order_no: str, *, now: datetime, calendar: BusinessCalendar
) -> OrderDetail:
    """One order as its reader may see it (see the module's Choice)."""
    order, insts, hidden = readable_instances(session, actor, order_no)
    ids = [i.id for i in insts if i.id is not None]
    procs = {i.id: i.procedure for i in insts}
    everything = reads_all(actor)
    ev_stmt = select(AuditEvent).order_by(AuditEvent.seq)
    in_ids = AuditEvent.instance_id.in_(ids) if ids else false()
    if everything:
        ev_stmt = ev_stmt.where(or_(AuditEvent.order_no == order_no, in_ids))
    else:
        ev_stmt = ev_stmt.where(in_ids)
    timeline = [_entry(e, procs.get(e.instance_id or -1, "")) for e in session.exec(ev_stmt)]
    scope = Instance.id.in_(ids) if ids else false()
    steps = open_steps(session, [order_no], now=now, seen=None if everything else scope)
    current = [s for s in steps.get(order_no, []) if s.instance_id in ids]
    docs = (
        session.exec(
            select(Document)
            .where(Document.order_no == order_no, Document.instance_id.in_(ids))
            .order_by(Document.kind, Document.revision, Document.id)
        ).all()
        if ids
        else []
    )
    tasks = (
        session.exec(select(Task).where(Task.instance_id.in_(ids)).order_by(Task.id)).all()
        if ids
        else []
    )
    running = [i for i in insts if i.closed_at is None]
    main = (running or insts)[-1].id if insts else None
    return OrderDetail(
        order=_row(order, current),
        facts=order.model_dump(mode="json"),
        procedures=[_run(i) for i in insts],
        current=current,
        timeline=timeline,
        documents=[_doc(d) for d in docs],
        deadlines=[_deadline(t, now, calendar) for t in tasks],
        main_instance_id=main,
        hidden_procedures=hidden,
    )


def _run(inst: Instance) -> ProcedureRun:
    proc, state = _words("procedure", inst.procedure), _state(inst.procedure, inst.state)
    assert inst.id is not None
    return ProcedureRun(
        instance_id=inst.id,
        procedure=inst.procedure,
        procedure_zh=proc[0],
        procedure_en=proc[1],
        state=inst.state,
        state_zh=state[0],
        state_en=state[1],
        created_at=inst.created_at,
        closed_at=inst.closed_at,
        serving=inst.subject_key if inst.subject_kind != "order" else "",
    )


def _state(procedure: str, state: str | None) -> tuple[str, str]:
    if not state:
        return "", ""
    return label("state", state, "zh", procedure=procedure), label(
        "state", state, "en", procedure=procedure
    )


def _entry(ev: AuditEvent, procedure: str) -> TimelineEntry:
    detail = ev.detail or {}
    event = str(detail.get("event") or "")
    step = (
        (str(detail.get("step_zh") or ""), str(detail.get("step_en") or ""))
        if detail.get("step_zh")
        else (_words("decision", event) if event else ("", ""))
    )
    action = _words("action", ev.action)
    proc = _words("procedure", procedure) if procedure else ("", "")
    src, dst = _state(procedure, ev.from_state), _state(procedure, ev.to_state)
    note = next(
        (str(detail[k]) for k in ("body", "text", "comment", "filename") if detail.get(k)), ""
    )
    return TimelineEntry(
        seq=ev.seq,
        at=ev.at,
        actor=ev.actor_name,
        action=ev.action,
        action_zh=action[0],
        action_en=action[1],
        instance_id=ev.instance_id,
        procedure=procedure,
        procedure_zh=proc[0],
        procedure_en=proc[1],
        event=event,
        event_zh=step[0],
        event_en=step[1],
        from_state_zh=src[0],
        from_state_en=src[1],
        to_state_zh=dst[0],
        to_state_en=dst[1],
        reason=ev.reason or "",
        note=note,
        document=str(detail.get("document") or ""),
    )


def _doc(doc: Document) -> DocumentEntry:
    kind, status = _words("document", doc.kind), _words("document_status", doc.status)
    assert doc.instance_id is not None
    return DocumentEntry(
        doc_no=doc.doc_no,
        kind=doc.kind,
        kind_zh=kind[0],
        kind_en=kind[1],
        revision=doc.revision,
        status=doc.status,
        status_zh=status[0],
        status_en=status[1],
        issued_at=doc.issued_at,
        recalled_at=doc.recalled_at,
        superseded_by=doc.superseded_by,
        instance_id=doc.instance_id,
    )


def _deadline(task: Task, now: datetime, calendar: BusinessCalendar) -> DeadlineEntry:
    late = 0
    if task.status == "cancelled":
        outcome = "cancelled"
    elif task.status == "scheduled":
        outcome = "scheduled"
    elif task.due_at is None:
        outcome = "none"
    elif task.status == "open":
        outcome = "overdue" if _is_overdue(task, now) else "open"
        if outcome == "overdue":
            late = calendar.working_minutes_between(task.due_at, task.paused_at or now)
    else:
        closed = task.closed_at or now
        late = max(0, calendar.working_minutes_between(task.due_at, closed))
        outcome = "missed" if closed > task.due_at else "met"
    words = _words("deadline", {"open": "not_yet_due", "none": "no_deadline"}.get(outcome, outcome))
    if outcome == "cancelled":
        words = _words("task_status", "cancelled")
    assert task.id is not None
    return DeadlineEntry(
        task_id=task.id,
        instance_id=task.instance_id,
        title_zh=task.title_zh,
        title_en=task.title_en,
        status=task.status,
        due_at=task.due_at,
        closed_at=task.closed_at,
        outcome=outcome,
        outcome_zh=words[0],
        outcome_en=words[1],
        late_minutes=max(0, late),
        deadline_zh=task.deadline_zh or "",
        deadline_en=task.deadline_en or "",
        opens_at=task.opens_at,
    )
