"""The transition service: every move a person makes, as one unit of work.

load → authorize → validate the form → fire the state machine → audit → close
and open tasks → timers → outbox → commit (by the caller's ``unit_of_work``).
Any exception leaves the database as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select
from statemachine.exceptions import TransitionNotAllowed

import forms
from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.effects import apply_order_fields, enter_state, issue_document
from gendan.errors import Conflict, IllegalTransition, InvalidForm, NotAllowed, NotFound
from gendan.models import Instance, Order, Task
from gendan.org import Actor, may_work_on
from gendan.security import verify_password
from gendan.tasks import cancel_timers, close_open_tasks, open_tasks
from states import get_procedure
from states.base import Procedure, Step

COUNTERSIGN_DECISION = "opinion"


def validate(form_key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a form and return its JSON-ready values; InvalidForm names each bad field."""
    try:
        model = forms.validate_form(form_key, data)
    except forms.FormErrors as exc:
        raise InvalidForm(exc.errors) from None
    return model.model_dump(mode="json")


def start_instance(
    session: Session,
    *,
    procedure: str,
    actor: Actor,
    form_data: dict[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> Instance:
    """A person starts a procedure (an order received, a change notice received)."""
    try:
        proc = get_procedure(procedure)
    except KeyError:
        raise NotFound(f"no procedure '{procedure}'") from None
    if not any(actor.has_role(r) for r in proc.start_roles):
        raise NotAllowed(
            f"starting {procedure} needs one of the roles {', '.join(proc.start_roles)}"
        )
    values = validate(proc.start_form, form_data)
    order_no = values["order_no"]
    order = session.exec(select(Order).where(Order.order_no == order_no)).first()
    if proc.creates_order:
        if order is not None:
            raise InvalidForm({"order_no": f"order {order_no} already exists"})
        fields = set(Order.model_fields) - {"id", "status", "created_at"}
        order = Order.model_validate(
            {**{k: v for k, v in values.items() if k in fields}, "created_at": now}
        )
        session.add(order)
    elif order is None:
        raise InvalidForm({"order_no": f"no order {order_no}"})
    elif order.status in ("cancelled", "declined"):
        raise InvalidForm({"order_no": f"order {order_no} is {order.status}"})
    inst = Instance(
        procedure=proc.key,
        order_no=order_no,
        state=next(s.id for s in proc.states if s.initial),
        data={proc.start_key: values, "order": _order_facts(order)},
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(inst)
    session.flush()
    audit.on_instance(
        session,
        inst,
        action="start",
        actor=actor,
        at=now,
        from_state=None,
        changes={proc.start_key: values},
        detail={"procedure": proc.key},
    )
    open_tasks(session, inst=inst, proc=proc, now=now, calendar=calendar)
    return inst


def _order_facts(order: Order) -> dict[str, Any]:
    return audit.jsonable(order.model_dump(exclude={"id", "created_at"}))


def complete_task(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    decision: str,
    form_data: dict[str, Any] | None,
    reason: str = "",
    password: str | None = None,
    now: datetime,
    calendar: BusinessCalendar,
) -> Instance:
    """A person decides on their task; the procedure moves on, or waits for the countersign."""
    # argon2 takes ~0.1 s: verify before the first statement takes the write lock.
    password_ok = bool(password) and verify_password(actor.password_hash, password or "")
    task = open_task(session, task_id)
    inst = session.exec(
        select(Instance).where(Instance.id == task.instance_id).with_for_update()
    ).one()
    if not may_work_on(actor, task):
        raise NotAllowed("this task is not offered to your roles")
    if task.assignee_id not in (None, actor.user_id):
        raise NotAllowed("the task is claimed by someone else")
    if task.state != inst.state:
        raise Conflict(f"the instance moved on to '{inst.state}'")
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(inst.state)
    version = inst.version
    if wait is not None and wait.countersign is not None:
        if decision != COUNTERSIGN_DECISION:
            raise IllegalTransition(inst.state, decision, [COUNTERSIGN_DECISION])
        values = validate(wait.countersign.form, form_data or {})
        _close(session, task, actor, decision, values, now)
        audit.on_instance(
            session,
            inst,
            action="countersign",
            actor=actor,
            at=now,
            task_id=task.id,
            changes={"opinion": values},
            reason=reason,
        )
        opinions = _round_opinions(session, task)
        if opinions is not None:
            event = wait.countersign.join(opinions)
            _fire(
                session,
                inst,
                proc,
                event,
                actor,
                {"opinions": opinions},
                reason,
                now,
                calendar,
                task=task,
                signature=None,
            )
        _bump_version(session, inst, version, now)
        return inst
    allowed = proc.events_from(inst.state)
    if decision not in allowed:
        raise IllegalTransition(inst.state, decision, allowed)
    step = proc.steps[decision]
    _check_four_eyes(session, inst, step, actor)
    errors: dict[str, str] = {}
    if step.reason_required and not reason.strip():
        errors["reason"] = "a reason is required for this decision / 此决定须填写理由"
    signature = _sign(step, actor, password_ok, now, errors)
    values: dict[str, Any] = {}
    if step.form:
        try:
            values = validate(step.form, {**(form_data or {}), **step.fixed})
        except InvalidForm as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidForm(errors)
    _close(session, task, actor, decision, values, now)
    _fire(
        session,
        inst,
        proc,
        decision,
        actor,
        values,
        reason,
        now,
        calendar,
        task=task,
        signature=signature,
    )
    _bump_version(session, inst, version, now)
    return inst


def open_task(session: Session, task_id: int) -> Task:
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.status != "open":
        raise Conflict(f"task {task_id} is already {task.status}")
    return task


def _close(
    session: Session, task: Task, actor: Actor, decision: str, values: dict[str, Any], now: datetime
) -> None:
    """Close the task only if still open: a concurrent completion makes this a 409."""
    done = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == "open")
        .values(
            status="done",
            decision=decision,
            closed_at=now,
            closed_by_id=actor.user_id,
            form_data=values,
            assignee_id=actor.user_id,
        )
    )
    if done.rowcount != 1:
        raise Conflict(f"task {task.id} was completed by someone else")
    session.refresh(task)
    cancel_timers(session, task_ids=[task.id])


def _round_opinions(session: Session, task: Task) -> list[dict[str, Any]] | None:
    """All opinions of this countersign round, or None while some are still open."""
    siblings = session.exec(
        select(Task).where(
            Task.instance_id == task.instance_id, Task.state == task.state, Task.round == task.round
        )
    ).all()
    if any(t.status == "open" for t in siblings):
        return None
    return [
        {**t.form_data, "role": t.role, "by": t.closed_by_id}
        for t in siblings
        if t.status == "done"
    ]


def _check_four_eyes(session: Session, inst: Instance, step: Step, actor: Actor) -> None:
    if not step.four_eyes:
        return
    mine = session.exec(
        select(Task.id).where(
            Task.instance_id == inst.id,
            Task.decision.in_(step.four_eyes),
            Task.closed_by_id == actor.user_id,
        )
    ).first()
    if mine is not None:
        raise NotAllowed(
            "four-eyes rule: you cannot check your own submission / 不能审核本人提交的内容"
        )


def _sign(
    step: Step, actor: Actor, password_ok: bool, now: datetime, errors: dict[str, str]
) -> dict[str, Any] | None:
    """An approval is an electronic signature: the signer re-enters the password."""
    if step.signature is None:
        return None
    if not password_ok:
        errors["password"] = "re-enter your password to sign / 请输入密码以电子签名"
        return None
    return {
        "name": actor.display_name,
        "user_id": actor.user_id,
        "at": now.isoformat(),
        "meaning": step.signature,
    }


def _fire(
    session: Session,
    inst: Instance,
    proc: type[Procedure],
    event: str,
    actor: Actor,
    values: dict[str, Any],
    reason: str,
    now: datetime,
    calendar: BusinessCalendar,
    *,
    task: Task,
    signature: dict[str, Any] | None,
) -> None:
    source = inst.state
    machine = proc(model=inst, state_field="state")
    try:
        machine.send(event, form=values)
    except TransitionNotAllowed:
        raise IllegalTransition(source, event, proc.events_from(source)) from None
    step = proc.steps[event]
    inst.data = {**inst.data, "forms": {**inst.data.get("forms", {}), event: values}}
    changes: dict[str, Any] = {"form": values} if values else {}
    order = session.exec(select(Order).where(Order.order_no == inst.order_no)).one()
    changes.update(apply_order_fields(order, step, values))
    detail: dict[str, Any] = {"event": event, "step_zh": step.label_zh, "step_en": step.label_en}
    if signature:
        detail["signature"] = signature
    if step.issues:
        doc = issue_document(
            session, inst=inst, kind=step.issues, data=values, actor=actor, now=now
        )
        detail["document"] = doc.doc_no
    changes.update(enter_state(session, inst=inst, proc=proc, order=order, now=now))
    inst.data = {**inst.data, "order": _order_facts(order)}
    audit.on_instance(
        session,
        inst,
        action="transition",
        actor=actor,
        at=now,
        task_id=task.id,
        from_state=source,
        changes=changes,
        reason=reason,
        detail=detail,
    )
    close_open_tasks(session, instance_id=inst.id, now=now, status="cancelled")
    if proc.states_map[inst.state].final:
        inst.closed_at = now
    open_tasks(session, inst=inst, proc=proc, now=now, calendar=calendar)


def _bump_version(session: Session, inst: Instance, version: int, now: datetime) -> None:
    """Optimistic lock: the move counts only if nobody moved the instance since we read it."""
    session.add(inst)
    session.flush()
    bumped = session.execute(
        update(Instance)
        .where(Instance.id == inst.id, Instance.version == version)
        .values(version=version + 1, updated_at=now)
    )
    if bumped.rowcount != 1:
        raise Conflict("the instance was changed by someone else; reload and try again")
    session.refresh(inst)
