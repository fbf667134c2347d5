"""Linked instances: sub-procedures a state starts and the parent that waits for them.

``OnEnter.starts`` (``states.base.Child``) starts children in the parent's transaction;
``Wait.children`` + ``when_done`` resumes the parent when they have all closed. Each link is an
``InstanceLink`` row and three audit events: ``child_started`` on the parent (the child's own
``start`` names its parent), ``child_closed`` on the parent, and the parent's resuming move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

import forms
from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.models import Instance, InstanceLink
from states import PROCEDURES
from states.base import Child, Procedure

#: Instance data key under which a parent finds its children's outcomes (see ``Wait``).
CHILDREN_KEY = "children"


def entered(
    session: Session,
    *,
    inst: Instance,
    proc: type[Procedure],
    now: datetime,
    calendar: BusinessCalendar,
    by: int | None = None,
) -> None:
    """The instance entered its state: start its children, queue its automatic step, and
    resume at once if the children it waits for have already closed. ``by``: the person whose
    move entered it (None: the system)."""
    from gendan import jobs

    effect = proc.entering.get(inst.state)
    for child in effect.starts if effect else ():
        for form in child.each(inst.data) if child.each else (None,):
            start_child(session, parent=inst, proc=proc, child=child, now=now,
                        calendar=calendar, form=form, by=by)  # fmt: skip
    wait = proc.wait_for(inst.state)
    if wait is not None and wait.automatic is not None:
        jobs.queue(session, inst=inst, automatic=wait.automatic, now=now)
    if wait is not None and wait.children and inst.closed_at is None:
        _resume_if_done(session, inst, proc, now=now, calendar=calendar, nested=True)


def start_child(
    session: Session,
    *,
    parent: Instance,
    proc: type[Procedure],
    child: Child,
    now: datetime,
    calendar: BusinessCalendar,
    form: dict[str, Any] | None = None,
    by: int | None = None,
) -> Instance | None:
    """Start one declared child on the parent's order, as the system; link and audit it.

    Choice: the child counts as started by ``by``, the person whose move started it (the
    production manager confirming the notice starts the plan), else by the parent's starter:
    an instance needs a person who started it (their "started by me" list, their right to
    read it), while the audit records the system as the actor.

    ``form``: one of ``Child.each``'s start forms; the child runs on the order it names.

    Skipped (None) when its procedure is not registered (a parent declared before its child
    procedure exists), when the parent's ``when`` predicate does not hold, or when the order
    already runs an instance of it (§4 starts the plan; §1's confirmed notice then does not).
    """
    from gendan.transitions import create_instance

    child_proc = PROCEDURES.get(child.procedure)
    if child_proc is None:
        return None
    if child.when is not None and not proc.predicates[child.when](parent.data):
        return None
    order_no = str(form["order_no"]) if form and form.get("order_no") else parent.order_no
    # A child with its own business key (issue 10: one 物料跟催单 per short item) is not one
    # per order; its Subject's one_open rule is checked when it is created.
    running = None if child_proc.subject is not None else session.exec(
        select(Instance.id).where(
            Instance.order_no == order_no,
            Instance.procedure == child.procedure,
            Instance.closed_at.is_(None),
        )
    ).first()
    if running is not None:
        if form is not None:  # Child.each: the parent asked for this order; say why not
            audit.on_instance(
                session,
                parent,
                action="child_skipped",
                actor=None,
                at=now,
                detail={"procedure": child.procedure, "order_no": order_no, "running": running},
            )
        return None
    if form is None:
        form = dict(child.data(parent.data)) if child.data else {}
    if "order_no" in forms.get_form(child_proc.start_form).model_fields:
        form.setdefault("order_no", order_no)
    created = create_instance(
        session,
        proc=child_proc,
        form_data=form,
        order_no=order_no,
        created_by_id=by if by is not None else parent.created_by_id,
        actor=None,
        now=now,
        calendar=calendar,
        detail={"parent_id": parent.id, "urgent": child.urgent},
        urgent=child.urgent,
        link=(parent, child),
        state=child.enters,
    )
    return created


def record_link(
    session: Session, *, parent: Instance, child_inst: Instance, child: Child, now: datetime
) -> None:
    """The link row and the parent's ``child_started`` event (before the child's tasks open,
    so the child's first notices already know it is urgent)."""
    assert parent.id is not None and child_inst.id is not None
    session.add(
        InstanceLink(
            parent_id=parent.id,
            child_id=child_inst.id,
            order_no=parent.order_no,
            procedure=child_inst.procedure,
            parent_state=parent.state,
            urgent=child.urgent,
            created_at=now,
        )
    )
    audit.on_instance(
        session,
        parent,
        action="child_started",
        actor=None,
        at=now,
        detail={
            "child_id": child_inst.id,
            "procedure": child_inst.procedure,
            "urgent": child.urgent,
        },
    )


def closed(
    session: Session,
    *,
    inst: Instance,
    now: datetime,
    calendar: BusinessCalendar,
    stopped: bool = False,
) -> None:
    """A child closed (its final state, or stopped): tell the parent; resume it if it waits
    for children and none it waits for still runs."""
    link = session.exec(select(InstanceLink).where(InstanceLink.child_id == inst.id)).first()
    if link is None:
        return
    parent = session.exec(
        select(Instance).where(Instance.id == link.parent_id).with_for_update()
    ).one()
    if parent.closed_at is not None:
        return
    audit.on_instance(
        session,
        parent,
        action="child_closed",
        actor=None,
        at=now,
        detail={
            "child_id": inst.id,
            "procedure": inst.procedure,
            "state": inst.state,
            "stopped": stopped,
        },
    )
    proc = PROCEDURES[parent.procedure]
    _resume_if_done(session, parent, proc, now=now, calendar=calendar, nested=False)


def _resume_if_done(
    session: Session,
    parent: Instance,
    proc: type[Procedure],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    nested: bool,
) -> None:
    wait = proc.wait_for(parent.state)
    if wait is None or not wait.children or wait.when_done is None:
        return
    kids = children_of(session, parent.id or 0, procedures=wait.children)
    if any(k.closed_at is None for k in kids):
        return
    outcomes = {
        k.procedure: {"id": k.id, "state": k.state, "stopped": "stopped_by" in k.data} for k in kids
    }
    parent.data = {**parent.data, CHILDREN_KEY: {**parent.data.get(CHILDREN_KEY, {}), **outcomes}}
    from gendan.transitions import fire_system

    fire_system(
        session,
        parent,
        wait.when_done,
        {},
        now=now,
        calendar=calendar,
        detail={"cause": "children_done", "children": sorted(k.id for k in kids if k.id)},
        bump=not nested,
    )


def children_of(
    session: Session, parent_id: int, *, procedures: tuple[str, ...] = ()
) -> list[Instance]:
    """The instances this one started, oldest first (only those procedures, if named)."""
    q = (
        select(Instance)
        .join(InstanceLink, InstanceLink.child_id == Instance.id)
        .where(InstanceLink.parent_id == parent_id)
        .order_by(Instance.id)
    )
    if procedures:
        q = q.where(Instance.procedure.in_(procedures))
    return list(session.exec(q).all())


def links_view(session: Session, inst_id: int) -> dict[str, Any]:
    """What a page shows: the parent (if any) and the children, each with its procedure
    title, state, whether it runs and whether it is urgent."""
    link = session.exec(select(InstanceLink).where(InstanceLink.child_id == inst_id)).first()
    parent = session.get(Instance, link.parent_id) if link else None
    kids = session.exec(
        select(InstanceLink, Instance)
        .join(Instance, Instance.id == InstanceLink.child_id)
        .where(InstanceLink.parent_id == inst_id)
        .order_by(InstanceLink.id)
    ).all()
    return {
        "parent": _row(parent, urgent=bool(link and link.urgent)) if parent else None,
        "children": [_row(i, urgent=lk.urgent) for lk, i in kids],
    }


def order_links(session: Session, order_no: str) -> list[dict[str, Any]]:
    """Every parent → child link of an order, for the order page."""
    rows = session.exec(
        select(InstanceLink).where(InstanceLink.order_no == order_no).order_by(InstanceLink.id)
    ).all()
    out = []
    for lk in rows:
        parent, child = session.get(Instance, lk.parent_id), session.get(Instance, lk.child_id)
        if parent is None or child is None:
            continue
        out.append(
            {"parent": _row(parent), "child": _row(child, urgent=lk.urgent), "at": lk.created_at}
        )
    return out


def _row(inst: Instance, *, urgent: bool = False) -> dict[str, Any]:
    proc = PROCEDURES.get(inst.procedure)
    state = proc.states_map.get(inst.state) if proc else None
    return {
        "id": inst.id,
        "procedure": inst.procedure,
        "title_zh": proc.title_zh if proc else inst.procedure,
        "title_en": proc.title_en if proc else inst.procedure,
        "state": inst.state,
        "state_name": state.name if state is not None else inst.state,
        "open": inst.closed_at is None,
        "stopped": "stopped_by" in inst.data,
        "urgent": urgent,
    }


def running_descendants(session: Session, roots: list[Instance]) -> list[Instance]:
    """Running instances started (directly or further down) by ``roots`` on OTHER orders:
    a cancellation stops them with the order's own (children on the same order already are)."""
    seen = {r.id for r in roots}
    order_nos = {r.order_no for r in roots}
    frontier = [r.id for r in roots if r.id is not None]
    found: list[Instance] = []
    while frontier:
        kids = session.exec(
            select(Instance)
            .join(InstanceLink, InstanceLink.child_id == Instance.id)
            .where(InstanceLink.parent_id.in_(frontier))
        ).all()
        frontier = []
        for kid in kids:
            if kid.id in seen:
                continue
            seen.add(kid.id)
            frontier.append(kid.id)
            if kid.closed_at is None and kid.order_no not in order_nos:
                found.append(kid)
    return found


def page_context(session: Session, inst_id: int, actor: Any) -> dict[str, Any]:
    """For the instance page: its parent and children (those the reader may read; the others
    counted) and its automatic steps with their failures."""
    from gendan.jobs import jobs_view
    from gendan.queries import can_view

    view = links_view(session, inst_id)
    parent = view["parent"]
    kids = [c for c in view["children"] if can_view(session, actor, c["id"])]
    return {
        "links": {
            "parent": parent if parent and can_view(session, actor, parent["id"]) else None,
            "parent_hidden": bool(parent) and not can_view(session, actor, parent["id"]),
            "children": kids,
            "hidden": len(view["children"]) - len(kids),
        },
        "jobs": jobs_view(session, inst_id),
    }


def order_page_links(session: Session, order_no: str, actor: Any) -> list[dict[str, Any]]:
    """The order's parent → child links whose both ends the reader may read."""
    from gendan.queries import can_view

    return [
        row
        for row in order_links(session, order_no)
        if can_view(session, actor, row["parent"]["id"])
        and can_view(session, actor, row["child"]["id"])
    ]
