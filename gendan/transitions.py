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
from gendan import (
    audit,
    jobs,
    links,
    order_cache,
    org_cache,
    step_effects,
    subjects,
    versioning,
)
from gendan.calendar import BusinessCalendar
from gendan.dated_tasks import move_dated_tasks
from gendan.decisions import OPINION, task_decisions
from gendan.delivery_follow import follow_delivery
from gendan.effects import apply_order_fields, enter_state, issue_document, reserve_stock
from gendan.errors import Conflict, IllegalTransition, InvalidForm, NotAllowed, NotFound
from gendan.limits import MAX_TEXT, check_text
from gendan.masterdata import customer_class_of
from gendan.models import FinishedStock, Instance, Order, Task, User
from gendan.org import Actor, may_act_on
from gendan.pausing import resume_if_paused
from gendan.security import verify_password
from gendan.tasks import (
    WAITING,
    cancel_timers,
    close_open_tasks,
    open_task,
    open_tasks,
    order_of,
)
from states import PROCEDURES, get_procedure
from states.base import Countersign, Procedure, Step

COUNTERSIGN_DECISION = OPINION
#: Keys of ``Instance.data`` the engine writes: the order's facts, each move's form, marked
#: instants, agreed values, the stock snapshot. A start form kept under one would be lost.
ENGINE_KEYS = frozenset({"order", "forms", "at", "agreed", "stock", "children", "urgent"})


def validate(form_key: str, data: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Validate a form and return its JSON-ready values; InvalidForm names each bad field.

    A received-at (when the request arrived) cannot lie in the future: deadlines run from it.
    """
    try:
        model = forms.validate_form(form_key, data)
    except forms.FormErrors as exc:
        raise InvalidForm(exc.errors) from None
    received = getattr(model, "received_at", None)
    if now is not None and isinstance(received, datetime):
        aware = received if received.tzinfo else received.replace(tzinfo=now.tzinfo)
        if aware > now:
            raise InvalidForm({"received_at": "lies in the future / 接收时间不能晚于当前时间"})
    return {**model.model_dump(mode="json"), **model.derived()}


def locked_facts(order: Order | None, inst: Instance) -> dict[str, dict[str, Any]]:
    facts = _order_facts(order) if order is not None else {}
    return {"order": facts, "agreed": inst.data.get("agreed", {})}


def _check_locked(
    step: Step, facts: dict[str, dict[str, Any]], values: dict[str, Any], errors: dict[str, str]
) -> None:
    """Locked fields are prefilled from the order (or what was agreed); a mismatch is a 422."""
    for form_field, path in step.locked.items():
        scope, _, key = path.partition(".")
        expected = facts.get(scope, {}).get(key)
        if values.get(form_field) != expected:
            shown = expected if expected is not None else "—"
            errors[form_field] = f"must match the order ({shown}) / 须与订单一致，不可修改"


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
    values = {**validate(proc.start_form, form_data, now), **proc.start_fixed}
    refusal = proc.start_refusal(actor.role_names, values)
    if refusal:
        raise NotAllowed(refusal)
    if proc.subject is not None:  # its own business key; the orders it names are checked
        return _create(
            session, proc=proc, values=values, order=None, created_by_id=actor.user_id,
            actor=actor, now=now, calendar=calendar, detail={},
        )
    order_no = values["order_no"]
    # Row-locked: two changes started at once on one order queue here, so the second sees
    # the first in the one-open-change check (PostgreSQL; SQLite's writers queue anyway).
    order = order_cache.order_by_no(session, order_no, lock=True)
    if proc.creates_order:
        if order is not None:
            raise InvalidForm({"order_no": f"order {order_no} already exists"})
        fields = set(Order.model_fields) - {"id", "status", "created_at"}
        order = Order.model_validate(
            {**{k: v for k, v in values.items() if k in fields}, "created_at": now}
        )
        # a known customer's class comes from the master data; the form's value otherwise
        order.customer_class = customer_class_of(session, order.customer) or order.customer_class
        session.add(order)
        order_cache.remember(session, order)
    elif order is None:
        raise InvalidForm({"order_no": f"no order {order_no}"})
    elif proc.order_statuses and order.status not in proc.order_statuses:
        raise InvalidForm({"order_no": f"order {order_no} is {order.status}: {proc.status_hint}"})
    elif order.status in ("cancelled", "declined"):
        raise InvalidForm({"order_no": f"order {order_no} is {order.status}"})
    if proc.exclusive:
        _one_open(session, proc, order_no)
    detail: dict[str, Any] = {}
    late = _late_entry(values, proc, now, calendar)
    if late:
        detail["entered_late"] = late
    return _create(
        session, proc=proc, values=values, order=order, created_by_id=actor.user_id,
        actor=actor, now=now, calendar=calendar, detail=detail,
    )


def create_instance(
    session: Session,
    *,
    proc: type[Procedure],
    form_data: dict[str, Any],
    order_no: str | None,
    created_by_id: int,
    actor: Actor | None,
    now: datetime,
    calendar: BusinessCalendar,
    detail: dict[str, Any],
    urgent: bool = False,
    link: tuple[Instance, Any] | None = None,
    state: str | None = None,
) -> Instance:
    """A sub-procedure started by the system on an existing order (``gendan.links``): its
    start form is validated like a person's; no role is needed (the parent's move is the
    authority). ``link`` = (parent, Child): the link is recorded before the child's tasks
    open. A procedure with its own ``subject`` (issue 10: a scheduled start, a stock trigger)
    takes ``order_no=None``; its start form names its key and orders. ``state``: start there
    instead of the initial state (``Child.enters``)."""
    values = {**validate(proc.start_form, form_data, now), **proc.start_fixed}
    order = None
    if proc.subject is None:
        order = session.exec(
            select(Order).where(Order.order_no == order_no).with_for_update()
        ).one()
    return _create(
        session, proc=proc, values=values, order=order, created_by_id=created_by_id,
        actor=actor, now=now, calendar=calendar, detail=detail, urgent=urgent, link=link,
        state=state,
    )


def _create(
    session: Session,
    *,
    proc: type[Procedure],
    values: dict[str, Any],
    order: Order | None,
    created_by_id: int,
    actor: Actor | None,
    now: datetime,
    calendar: BusinessCalendar,
    detail: dict[str, Any],
    urgent: bool = False,
    link: tuple[Instance, Any] | None = None,
    state: str | None = None,
) -> Instance:
    if proc.start_key in ENGINE_KEYS:  # a declaration error: the start form would be lost
        raise ValueError(f"{proc.key}.start_key {proc.start_key!r} is a key the engine writes")
    if state is not None and state not in proc.states_map:  # a declaration error too
        raise ValueError(f"{proc.key} has no state {state!r} to start in")
    subject_key, served = None, []
    if proc.subject is not None:
        subject_key = subjects.given_key(proc.subject, values)
        subjects.check_one_open(session, proc, subject_key)
        served = subjects.served_orders(session, proc.subject, values)
        order = served[0] if served else None
    facts = _order_facts(order) if order is not None else {}
    data: dict[str, Any] = {"order": facts, "at": {}, proc.start_key: values}
    if served:
        data["orders"] = [o.order_no for o in served]
    if urgent:  # a child flagged urgent (§4): escalations go out at once and are acknowledged
        data["urgent"] = True
    if proc.checks_stock and order is not None:
        data["stock"] = finished_stock(session, order)
    order_no = order.order_no if order is not None else ""
    inst = Instance(
        procedure=proc.key,
        order_no=order_no,
        subject_kind=proc.subject.kind if proc.subject else "order",
        subject_key=subject_key or order_no,
        state=state or next(s.id for s in proc.states if s.initial),
        data=data,
        created_by_id=created_by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(inst)
    session.flush()
    if proc.subject is not None:
        if subject_key is None:
            inst.subject_key = subjects.number(proc.subject, inst.id)
        subjects.link_orders(session, inst, served)
    if link is not None:
        links.record_link(session, parent=link[0], child_inst=inst, child=link[1], now=now)
    started = step_effects.run(proc.start_effect, session, inst, values, event="start",
                               actor=actor, now=now, calendar=calendar)  # fmt: skip
    audit.on_instance(
        session,
        inst,
        action="start",
        actor=actor,
        at=now,
        from_state=None,
        changes={proc.start_key: values, **started},
        detail={"procedure": proc.key, **detail},
    )
    open_tasks(session, inst=inst, proc=proc, now=now, calendar=calendar)
    links.entered(session, inst=inst, proc=proc, now=now, calendar=calendar,
                  by=actor.user_id if actor else None)  # fmt: skip
    return inst


def _one_open(session: Session, proc: type[Procedure], order_no: str) -> None:
    """One open instance per order among the procedures of an exclusive group."""
    group = [k for k, p in PROCEDURES.items() if p.exclusive == proc.exclusive]
    running = session.exec(
        select(Instance.id).where(
            Instance.order_no == order_no,
            Instance.procedure.in_(group),
            Instance.closed_at.is_(None),
        )
    ).first()
    if running is not None:
        raise Conflict(
            f"order {order_no} already has an open {proc.exclusive} (instance {running}); "
            "finish it first / 该订单已有未完成的更改"
        )


def _late_entry(
    values: dict[str, Any], proc: type[Procedure], now: datetime, calendar: BusinessCalendar
) -> dict[str, Any] | None:
    """Intake (1 WD* recv, 000/2 二.1): an order typed in later than that is recorded as late."""
    if proc.entry_deadline is None or not values.get("received_at"):
        return None
    received = datetime.fromisoformat(values["received_at"])
    if received.tzinfo is None:
        received = received.replace(tzinfo=now.tzinfo)
    due = calendar.add(received, proc.entry_deadline)
    if due >= now:
        return None
    return {"received_at": received.isoformat(), "due_at": due.isoformat()}


def finished_stock(session: Session, order: Order) -> dict[str, Any]:
    """Finished goods for the order's product and model, shown to reviewers (001W 3.1.1)."""
    rows = session.exec(
        select(FinishedStock).where(
            FinishedStock.product == order.product, FinishedStock.model_spec == order.model_spec
        )
    ).all()
    on_hand = sum(r.on_hand for r in rows)
    reserved = sum(r.reserved for r in rows)
    return {
        "on_hand": on_hand,
        "reserved": reserved,
        "available": on_hand - reserved,
        "covers": on_hand - reserved >= order.quantity,
    }


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
    password_ok: bool | None = None,
) -> Instance:
    """A person decides on their task; the procedure moves on, or waits for the countersign.
    ``password_ok``: the password already verified by the caller (``gendan.group_commit``)."""
    # argon2 takes ~0.1 s: verify before the first statement takes the write lock.
    if password_ok is None:
        password_ok = bool(password) and verify_password(actor.password_hash, password or "")
    task = open_task(session, task_id)
    inst = session.exec(
        select(Instance).where(Instance.id == task.instance_id).with_for_update()
    ).one()
    # Offered to the actor's role, assigned to them, or they are its escalation target.
    may_act, on_escalation = may_act_on(session, actor, task)
    if not may_act:
        raise NotAllowed("this task is not offered to your roles")
    if task.assignee_id not in (None, actor.user_id):
        raise NotAllowed("the task is claimed by someone else")
    if on_escalation:
        audit.on_instance(
            session,
            inst,
            action="act_on_escalation",
            actor=actor,
            at=now,
            task_id=task.id,
            detail={"level": on_escalation, "decision": decision},
        )
    if task.state != inst.state:
        raise Conflict(f"the instance moved on to '{inst.state}'")
    # The outside party answered: the clock runs again (the waited time is recorded).
    resume_if_paused(session, task, now, calendar, actor=actor)
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(inst.state)
    versioning.begin(session, inst, now)
    if wait is not None and wait.countersign is not None:
        if decision != COUNTERSIGN_DECISION:
            raise IllegalTransition(inst.state, decision, [COUNTERSIGN_DECISION])
        values = validate(wait.countersign.form, form_data or {}, now)
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
            outcome: dict[str, Any] = {"opinions": opinions}
            if wait.countersign.compiles:
                outcome["record"] = _compile(session, inst, task, wait.countersign, event, now)
            _fire(
                session,
                inst,
                proc,
                event,
                actor,
                outcome,
                reason,
                now,
                calendar,
                task=task,
                signature=None,
            )
        _bump_version(session, inst)
        return inst
    allowed = task_decisions(proc, inst.state, task.decisions)  # what the catalogue lists
    if decision not in allowed:
        raise IllegalTransition(inst.state, decision, allowed)
    step = proc.steps[decision]
    _check_four_eyes(session, inst, step, actor)
    errors: dict[str, str] = {}
    if step.reason_required and not reason.strip():
        errors["reason"] = "a reason is required for this decision / 此决定须填写理由"
    check_text(errors, "reason", reason, MAX_TEXT)
    signature = _sign(step, actor, password_ok, now, errors)
    values: dict[str, Any] = {}
    form_ok = True
    if step.form:
        try:
            values = validate(step.form, {**(form_data or {}), **step.fixed}, now)
        except InvalidForm as exc:
            errors.update(exc.errors)
            form_ok = False
    if step.locked and form_ok:  # an invalid form has no values to compare: no false mismatches
        order = order_of(session, inst)
        _check_locked(step, locked_facts(order, inst), values, errors)
    if form_ok:
        errors.update(proc.step_errors(decision, values, inst.data))
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
    _bump_version(session, inst)
    return inst


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
    cancel_timers(session, task_ids=[task.id])


def _round_opinions(session: Session, task: Task) -> list[dict[str, Any]] | None:
    """All opinions of this countersign round, or None while some are still open."""
    siblings = session.exec(
        select(Task).where(
            Task.instance_id == task.instance_id, Task.state == task.state, Task.round == task.round
        )
    ).all()
    if any(t.status in WAITING for t in siblings):
        return None
    return [
        {**t.form_data, "role": t.role, "by": t.closed_by_id}
        for t in siblings
        if t.status == "done"
    ]


def _compile(
    session: Session,
    inst: Instance,
    task: Task,
    countersign: Countersign,
    event: str,
    now: datetime,
) -> str:
    """[A] The round's opinions compiled into their paper (e.g. 订单评审表) and issued."""
    assert countersign.compiles is not None
    kind, build = countersign.compiles
    rows = []
    done = session.exec(
        select(Task)
        .where(
            Task.instance_id == task.instance_id,
            Task.state == task.state,
            Task.round == task.round,
            Task.status == "done",
        )
        .order_by(Task.id)
    ).all()
    signer_ids = {t.closed_by_id for t in done if t.closed_by_id}
    by_id = select(User).where(User.id.in_(signer_ids))  # type: ignore[union-attr]
    signers = {u.id: u for u in session.exec(by_id).all()}
    for t in done:
        dep = org_cache.department(session, t.department_id)
        who = signers.get(t.closed_by_id) if t.closed_by_id else None
        rows.append(
            {
                **t.form_data,
                "department": dep.name_zh if dep else "",
                "reviewer": who.display_name if who else "",
                "signed_at": t.closed_at.isoformat() if t.closed_at else now.isoformat(),
            }
        )
    values = validate(kind, build(rows, inst.data, event))
    doc, _ = issue_document(session, inst=inst, kind=kind, data=values, actor=None, now=now)
    return doc.doc_no


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
    actor: Actor | None,
    values: dict[str, Any],
    reason: str,
    now: datetime,
    calendar: BusinessCalendar,
    *,
    task: Task | None,
    signature: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    source = inst.state
    machine = proc(model=inst, state_field="state")
    try:
        machine.send(event, form=values)
    except TransitionNotAllowed:
        raise IllegalTransition(source, event, proc.events_from(source)) from None
    step = proc.steps[event]
    inst.data = {**inst.data, "forms": {**inst.data.get("forms", {}), event: values}}
    if step.marks:
        inst.data = {**inst.data, "at": {**inst.data.get("at", {}), step.marks: now.isoformat()}}
    agreed = proc.agreed(event, values, inst.data)
    if agreed:
        inst.data = {**inst.data, "agreed": {**inst.data.get("agreed", {}), **agreed}}
    changes: dict[str, Any] = {"form": values} if values else {}
    order = order_of(session, inst)
    if order is not None:
        changes.update(apply_order_fields(order, step, values))
        if "order.delivery_date" in changes:  # the plan's dates follow (gendan.delivery_follow)
            moved = changes["order.delivery_date"]
            follow_delivery(session, order_no=order.order_no, old=moved["old"], new=moved["new"],
                            calendar=calendar, now=now, actor=actor,
                            cause={"event": event, "instance": inst.id})  # fmt: skip
    detail: dict[str, Any] = {"event": event, "step_zh": step.label_zh, "step_en": step.label_en}
    if signature:
        detail["signature"] = signature
    detail.update(extra or {})
    if step.issues:
        doc, superseded = issue_document(
            session,
            inst=inst,
            kind=step.issues,
            data=values,
            actor=actor,
            now=now,
            supersede=step.supersedes,
        )
        detail["document"] = doc.doc_no
        if superseded:
            changes["documents.superseded"] = {"old": superseded, "new": doc.doc_no}
    if step.reserves_stock and order is not None:
        changes.update(reserve_stock(session, order))
    changes.update(enter_state(session, inst=inst, proc=proc, order=order, now=now))
    changes.update(step_effects.run(step.effect, session, inst, values, event=event,
                                    actor=actor, now=now, calendar=calendar))  # fmt: skip
    if order is not None:
        inst.data = {**inst.data, "order": _order_facts(order)}
    audit.on_instance(
        session,
        inst,
        action="transition",
        actor=actor,
        at=now,
        task_id=task.id if task else None,
        from_state=source,
        changes=changes,
        reason=reason,
        detail=detail,
    )
    close_open_tasks(session, instance_id=inst.id, now=now, status="cancelled")
    jobs.void_open(session, instance_id=inst.id, now=now, procedure=proc)  # its automatic step
    final = proc.states_map[inst.state].final
    if final:
        inst.closed_at = now
    open_tasks(session, inst=inst, proc=proc, now=now, calendar=calendar, entered_by=event)
    # A date this move set (the order's delivery date, a plan's packing date) moves the
    # order's date-anchored tasks, audited (gendan.dated_tasks).
    move_dated_tasks(session, order_no=inst.order_no, instance_id=inst.id, calendar=calendar,
                     now=now, actor=actor, cause={"event": event, "instance": inst.id})  # fmt: skip
    # Children, automatic step; a state whose children are all done moves on at once (nested).
    links.entered(session, inst=inst, proc=proc, now=now, calendar=calendar,
                  by=actor.user_id if actor else None)  # fmt: skip
    if final:
        links.closed(session, inst=inst, now=now, calendar=calendar)  # a parent may resume


def fire_system(
    session: Session,
    inst: Instance,
    event: str,
    values: dict[str, Any],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    detail: dict[str, Any],
    bump: bool = True,
) -> None:
    """The system moves ``inst`` (children done, an automatic step's outcome): the event
    must leave the current state; a step's form is validated as a person's would be (422).
    ``bump=False`` inside a move of the same instance (its caller bumps the version)."""
    proc = get_procedure(inst.procedure)
    if event not in proc.events_from(inst.state):
        raise IllegalTransition(inst.state, event, proc.events_from(inst.state))
    step = proc.steps[event]
    if step.form:
        values = validate(step.form, {**values, **step.fixed}, now)
    if bump:
        versioning.begin(session, inst, now)
    _fire(session, inst, proc, event, None, values, "", now, calendar, task=None,
          signature=None, extra=detail)  # fmt: skip
    if bump:
        _bump_version(session, inst)


def _bump_version(session: Session, inst: Instance) -> None:
    """Optimistic lock: the move counts only if nobody moved the instance since we read it.

    The version rises in the same UPDATE that writes the move's state and data, ``WHERE
    version = <as read>`` (``gendan.versioning``); 0 rows there is a Conflict."""
    session.add(inst)
    versioning.finish(session, inst)
