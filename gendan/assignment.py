"""Who works on a task: claim, give back, delegate to a colleague, reassign (department head),
urge (a head's or the GM office's reminder with a note)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.errors import Conflict, InvalidForm, NotAllowed
from gendan.limits import MAX_TEXT, check_text, require_text
from gendan.models import Instance, Task, User
from gendan.org import (
    Actor,
    candidates,
    escalated_to,
    in_gm_office,
    is_department_head,
    load_actor,
    may_act_on,
)
from gendan.task_notices import notify_new_task, notify_urge
from gendan.tasks import open_task


def claim_task(session: Session, *, task_id: int, actor: Actor, now: datetime) -> Task:
    """Take an offered task; if a colleague was quicker, 409.

    A current escalation target of the task (its department's head, the GM office) may
    claim it too, to act on the escalation; the claim is audited so.
    """
    task = open_task(session, task_id)
    allowed, level = may_act_on(session, actor, task)
    if not allowed:
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
    # the ORM's UPDATE set ``assignee_id`` on the loaded task too: no SELECT to read it back
    if level:
        _audit(session, task, actor, "claim", now, detail={"on_escalation": level})
    else:
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
    calendar: BusinessCalendar | None = None,
) -> Task:
    """The assignee hands the task to a colleague holding the same role in the department."""
    task = open_task(session, task_id)
    if task.assignee_id != actor.user_id:
        raise NotAllowed("claim the task before delegating it / 请先认领再转交")
    return _assign(session, task, actor, to_user_id, "delegate", now, reason, calendar)


def reassign_task(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    to_user_id: int,
    now: datetime,
    reason: str = "",
    calendar: BusinessCalendar | None = None,
) -> Task:
    """The head of the task's department (or the GM office, once the task is escalated to
    it) gives it to someone else with the role."""
    task = open_task(session, task_id)
    if not may_reassign(session, actor, task):
        raise NotAllowed(
            "only the head of the task's department can reassign it / 仅部门领导可改派"
        )
    return _assign(session, task, actor, to_user_id, "reassign", now, reason, calendar)


def may_reassign(session: Session, actor: Actor, task: Task) -> bool:
    """The head's power follows the department's head field (``org.is_department_head``)."""
    if is_department_head(session, actor.user_id, task.department_id):
        return True
    return escalated_to(session, actor.user_id, task) > 0 and in_gm_office(session, actor.user_id)


def may_urge(session: Session, actor: Actor, task: Task) -> bool:
    """Who may send the holder a reminder: the department's head, or an escalation target."""
    return (
        is_department_head(session, actor.user_id, task.department_id)
        or escalated_to(session, actor.user_id, task) > 0
    )


def urge_task(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    note: str,
    now: datetime,
    calendar: BusinessCalendar,
) -> list[User]:
    """A reminder with a note to the task's holder(s): an e-mail each, and an ``urge`` event."""
    task = open_task(session, task_id)
    if not may_urge(session, actor, task):
        raise NotAllowed(
            "only the department head or an escalation target can urge / 仅部门领导或升级对象可催办"
        )
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if not note:
        errors["note"] = "say what you ask for / 请填写催办说明"
    check_text(errors, "note", note, MAX_TEXT)
    if errors:
        raise InvalidForm(errors)
    by = session.get(User, actor.user_id)
    assert by is not None
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    event = audit.on_instance(
        session,
        inst,
        action="urge",
        actor=actor,
        at=now,
        task_id=task.id,
        reason=note,
        detail={
            "escalation_level": task.escalation_level,
            "due_at": task.due_at,
            "recipients": [u.username for u in candidates(session, task)],
        },
    )
    return notify_urge(session, task, by=by, note=note, calendar=calendar, now=now, seq=event.seq)


def _assign(
    session: Session,
    task: Task,
    actor: Actor,
    to_user_id: int,
    action: str,
    now: datetime,
    reason: str,
    calendar: BusinessCalendar | None = None,
) -> Task:
    """Hand the task over (audited); with ``calendar``, the new holder is e-mailed too."""
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
    holder = session.get(User, to_user_id)
    if calendar is not None and holder is not None and old != to_user_id:
        cause = f"{action}:{now.isoformat()}"
        notify_new_task(session, task, calendar=calendar, now=now, to=[holder], cause=cause)
    return task


def _audit(
    session: Session, task: Task, actor: Actor, action: str, now: datetime, **kw: object
) -> None:
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    audit.on_instance(session, inst, action=action, actor=actor, at=now, task_id=task.id, **kw)
