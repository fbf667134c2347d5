"""Who works on a task: claim, give back, delegate to a colleague, reassign (department head)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from gendan import audit
from gendan.errors import Conflict, InvalidForm, NotAllowed
from gendan.limits import MAX_TEXT, require_text
from gendan.models import Instance, Task
from gendan.org import Actor, load_actor, may_work_on
from gendan.tasks import open_task


def claim_task(session: Session, *, task_id: int, actor: Actor, now: datetime) -> Task:
    """Take an offered task; if a colleague was quicker, 409."""
    task = open_task(session, task_id)
    if not may_work_on(actor, task):
        raise NotAllowed("this task is not offered to your roles / 此任务不属于您的岗位")
    if task.assignee_id == actor.user_id:
        return task
    claimed = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.assignee_id.is_(None), Task.status == "open")
        .values(assignee_id=actor.user_id)
    )
    if claimed.rowcount != 1:
        raise Conflict("the task was claimed by someone else / 已被他人认领")
    session.refresh(task)
    _audit(session, task, actor, "claim", now)
    return task


def unclaim_task(session: Session, *, task_id: int, actor: Actor, now: datetime) -> Task:
    """Give a claimed task back to the role's queue."""
    task = open_task(session, task_id)
    if task.assignee_id != actor.user_id:
        raise NotAllowed("only the person who claimed the task can give it back")
    task.assignee_id = None
    session.add(task)
    _audit(session, task, actor, "unclaim", now)
    return task


def delegate_task(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    to_user_id: int,
    now: datetime,
    reason: str = "",
) -> Task:
    """The assignee hands the task to a colleague holding the same role in the department."""
    task = open_task(session, task_id)
    if task.assignee_id != actor.user_id:
        raise NotAllowed("claim the task before delegating it / 请先认领再转交")
    return _assign(session, task, actor, to_user_id, "delegate", now, reason)


def reassign_task(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    to_user_id: int,
    now: datetime,
    reason: str = "",
) -> Task:
    """The head of the task's department gives it to someone else with the role."""
    task = open_task(session, task_id)
    if not actor.has_role("dept_head", task.department_id):
        raise NotAllowed(
            "only the head of the task's department can reassign it / 仅部门领导可改派"
        )
    return _assign(session, task, actor, to_user_id, "reassign", now, reason)


def _assign(
    session: Session,
    task: Task,
    actor: Actor,
    to_user_id: int,
    action: str,
    now: datetime,
    reason: str,
) -> Task:
    require_text("reason", reason, MAX_TEXT)
    target = load_actor(session, to_user_id)
    if not target.has_role(task.role, task.department_id):
        raise InvalidForm(
            {"to_user_id": "this person does not hold the task's role / 此人无该岗位"}
        )
    old = task.assignee_id
    task.assignee_id = to_user_id
    session.add(task)
    _audit(
        session,
        task,
        actor,
        action,
        now,
        reason=reason,
        changes={"assignee_id": {"old": old, "new": to_user_id}},
    )
    return task


def _audit(
    session: Session, task: Task, actor: Actor, action: str, now: datetime, **kw: object
) -> None:
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    audit.on_instance(session, inst, action=action, actor=actor, at=now, task_id=task.id, **kw)
