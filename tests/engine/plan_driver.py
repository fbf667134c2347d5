"""Driving §3 (production planning and follow-up) through the real engine, time injected.

Shared by the engine tests, the deadline-mail test and the demo: an order released by §1,
its plan instance (started by the confirmed notice, or by hand while §1 does not start it),
and plausible forms for each step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.assignment import claim_task
from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver, order_form, review_to_release
from gendan.demo_plan import (  # noqa: F401 - the forms the tests share with the demo
    FG_RECEIPT,
    PRESTART_OK,
    SIGNOFF,
    plan_form,
    purchases,
    ship_notice,
    start_plan,
)
from gendan.escalation import escalate_due
from gendan.models import Instance, Task, User
from gendan.org import load_actor
from gendan.transitions import complete_task
from states import get_procedure

SHANGHAI = timedelta(hours=8)


def local(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    """An instant given in company time (Asia/Shanghai), kept in UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - SHANGHAI


def released(d: Driver, order_no: str, **extra: Any) -> dict[str, Any]:
    """A regular order taken through §1 to released (notice confirmed and acknowledged)."""
    form = {**order_form(order_no, "regular", now=d.now), **extra}
    review_to_release(d, d.start("order_review", "clerk", form), form)
    return form


plan_instance = start_plan


def act(
    d: Driver,
    iid: int,
    username: str,
    decision: str,
    form: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Like ``Driver.act``, but the person's task that accepts ``decision`` (one person may
    hold several in a state)."""
    proc = None
    with unit_of_work(d.rt.db) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        actor = load_actor(s, user.id)
        inst = s.get(Instance, iid)
        assert inst is not None
        proc = get_procedure(inst.procedure)
        wait = proc.wait_for(inst.state)
        countersign = wait is not None and wait.countersign is not None
        tasks = s.exec(
            select(Task).where(Task.instance_id == iid, Task.status == "open").order_by(Task.id)
        ).all()
        mine = [
            t
            for t in tasks
            if (actor.has_role(t.role, t.department_id) or t.assignee_id == actor.user_id)
            and (countersign or not t.decisions or decision in t.decisions)
            and t.assignee_id in (None, actor.user_id)
        ]
        assert mine, f"{username} has no open task for {decision} in {inst.state}"
        task = mine[0]
        if task.assignee_id is None:
            claim_task(s, task_id=task.id, actor=actor, now=d.now)
        step = proc.steps.get(decision)
        signs = step is not None and step.signature is not None
        complete_task(
            s,
            task_id=task.id,
            actor=actor,
            decision=decision,
            form_data=form,
            reason=reason,
            password=DEMO_PASSWORD if signs else None,
            now=d.now,
            calendar=d.rt.calendar,
        )


def sweep(d: Driver, at: datetime) -> None:
    """Time passes to ``at``: the SLA sweep opens date-anchored tasks, closes windows."""
    d.now = at
    escalate_due(d.rt, now=at)


def tasks_of(d: Driver, iid: int, status: str = "open") -> list[Task]:
    with Session(d.rt.db) as s:
        return list(
            s.exec(
                select(Task).where(Task.instance_id == iid, Task.status == status).order_by(Task.id)
            ).all()
        )


def state(d: Driver, iid: int) -> str:
    with Session(d.rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None
        return inst.state


PURCHASES = purchases(date(2026, 11, 27))
