"""Read side: the inbox, one instance with its trail, access to what a person may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from gendan.errors import NotAllowed, NotFound
from gendan.models import AuditEvent, Department, Document, Instance, Task, Timer
from gendan.org import Actor, may_work_on
from states import get_procedure

#: Roles that may read any instance and its trail.
READ_ALL_ROLES = ("general_manager", "auditor")


@dataclass(frozen=True)
class InboxRow:
    task: Task
    instance: Instance
    department: Department
    mine: bool


def inbox(session: Session, actor: Actor, *, limit: int = 200) -> list[InboxRow]:
    """My claimed tasks, then my roles' unclaimed tasks per department, earliest due first."""
    offered = [and_(Task.role == r, Task.department_id == d) for r, d in actor.roles]
    cond = or_(Task.assignee_id == actor.user_id, and_(Task.assignee_id.is_(None), or_(*offered)))
    stmt = (
        select(Task, Instance, Department)
        .join(Instance, Instance.id == Task.instance_id)
        .join(Department, Department.id == Task.department_id)
        .where(Task.status == "open", cond if offered else Task.assignee_id == actor.user_id)
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
        .limit(limit)
    )
    return [
        InboxRow(t, i, d, t.assignee_id == actor.user_id) for t, i, d in session.exec(stmt).all()
    ]


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
    """Creator, anyone offered one of its tasks, heads of those departments, GM, auditors."""
    if any(actor.has_role(r) for r in READ_ALL_ROLES):
        return True
    inst = session.get(Instance, instance_id)
    if inst is None:
        return False
    if inst.created_by_id == actor.user_id:
        return True
    for task in session.exec(select(Task).where(Task.instance_id == instance_id)).all():
        if may_work_on(actor, task) or task.closed_by_id == actor.user_id:
            return True
        if actor.has_role("dept_head", task.department_id):
            return True
    return False


def instance_view(session: Session, instance_id: int, actor: Actor) -> dict[str, Any]:
    inst = session.get(Instance, instance_id)
    if inst is None:
        raise NotFound(f"no instance {instance_id}")
    if not can_view(session, actor, instance_id):
        raise NotAllowed("you may not read this instance / 无权查看")
    proc = get_procedure(inst.procedure)
    tasks = session.exec(select(Task).where(Task.instance_id == inst.id).order_by(Task.id)).all()
    task_ids = [t.id for t in tasks]
    timers = (
        session.exec(select(Timer).where(Timer.task_id.in_(task_ids)).order_by(Timer.id)).all()
        if task_ids
        else []
    )
    events = session.exec(
        select(AuditEvent).where(AuditEvent.instance_id == inst.id).order_by(AuditEvent.seq)
    ).all()
    docs = session.exec(select(Document).where(Document.order_no == inst.order_no)).all()
    return {
        "id": inst.id,
        "procedure": inst.procedure,
        "procedure_zh": proc.title_zh,
        "procedure_en": proc.title_en,
        "order_no": inst.order_no,
        "state": inst.state,
        "state_name": proc.states_map[inst.state].name,
        "version": inst.version,
        "data": inst.data,
        "closed_at": inst.closed_at,
        "allowed_events": proc.events_from(inst.state),
        "tasks": [t.model_dump() for t in tasks],
        "timers": [t.model_dump() for t in timers],
        "audit": [e.model_dump() for e in events],
        "documents": [d.model_dump() for d in docs],
    }
