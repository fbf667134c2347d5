"""What a department head or the GM office sees on "escalated to me / my department overdue".

Escalated to me: open tasks whose escalation reached a level naming this person (the
task's chain resolved by ``gendan.org``: the department's head field, the GM office, a role).
My department overdue: for a head, the open tasks of the departments they head that are past
their due time, escalated or not yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from gendan.assignment import may_reassign
from gendan.calendar import BusinessCalendar
from gendan.message_context import holder_names, late_minutes
from gendan.models import Department, Instance, Order, Task, User
from gendan.org import (
    HEAD_ROLE,
    Actor,
    escalated_to,
    headed_departments,
    in_gm_office,
    role_holders,
)

#: Open escalated tasks read per page view (oldest due first); more is a backlog to page.
LIMIT = 500


@dataclass(frozen=True)
class EscalationRow:
    task: Task
    order_no: str
    customer: str
    product: str
    department_zh: str
    department_en: str
    holder_zh: str
    holder_en: str
    #: The level naming me (0: not escalated to me, only overdue in my department).
    my_level: int
    late_minutes: int
    may_reassign: bool
    #: People holding the task's role there (reassignment targets).
    colleagues: tuple[User, ...]


@dataclass(frozen=True)
class EscalationView:
    escalated: list[EscalationRow]
    overdue: list[EscalationRow]
    heads: list[Department]
    gm_office: bool


def sees_escalations(session: Session, user_id: int) -> bool:
    """Heads (by the department's head field) and the GM office have the view."""
    return bool(headed_departments(session, user_id)) or in_gm_office(session, user_id)


def actor_sees_escalations(actor: Actor) -> bool:
    """``sees_escalations`` of an actor already loaded: a head (``load_actor`` gives the
    departments they head as ``dept_head`` roles, the GM office's head among them) or a
    holder of the general manager's role."""
    return actor.has_role(HEAD_ROLE) or actor.has_role("general_manager")


def escalation_view(
    session: Session, actor: Actor, *, now: datetime, calendar: BusinessCalendar
) -> EscalationView:
    heads = headed_departments(session, actor.user_id)
    escalated_tasks = session.exec(
        select(Task)
        .where(Task.status == "open", Task.escalation_level >= 1)
        .order_by(Task.due_at, Task.id)
        .limit(LIMIT)
    ).all()
    mine = [(t, escalated_to(session, actor.user_id, t)) for t in escalated_tasks]
    escalated = [_row(session, actor, t, lvl, now, calendar) for t, lvl in mine if lvl]
    seen = {r.task.id for r in escalated}
    overdue: list[EscalationRow] = []
    dep_ids = [d.id for d in heads if d.id is not None]
    if dep_ids:
        late = session.exec(
            select(Task)
            .where(
                Task.status == "open",
                Task.department_id.in_(dep_ids),  # type: ignore[attr-defined]
                Task.due_at < now,  # type: ignore[operator]
            )
            .order_by(Task.due_at, Task.id)
            .limit(LIMIT)
        ).all()
        overdue = [_row(session, actor, t, 0, now, calendar) for t in late if t.id not in seen]
    return EscalationView(
        escalated=escalated,
        overdue=overdue,
        heads=heads,
        gm_office=in_gm_office(session, actor.user_id),
    )


def _row(
    session: Session,
    actor: Actor,
    task: Task,
    level: int,
    now: datetime,
    calendar: BusinessCalendar,
) -> EscalationRow:
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    order = session.exec(select(Order).where(Order.order_no == inst.order_no)).first()
    dep = session.get(Department, task.department_id)
    holder_zh, holder_en = holder_names(session, task)
    reassign = may_reassign(session, actor, task)
    return EscalationRow(
        task=task,
        order_no=inst.order_no,
        customer=order.customer if order else "",
        product=" ".join(p for p in (order.product, order.model_spec) if p) if order else "",
        department_zh=dep.name_zh if dep else "",
        department_en=dep.name_en if dep else "",
        holder_zh=holder_zh,
        holder_en=holder_en,
        my_level=level,
        late_minutes=late_minutes(calendar, task, now),
        may_reassign=reassign,
        colleagues=tuple(role_holders(session, task.role, task.department_id)) if reassign else (),
    )
