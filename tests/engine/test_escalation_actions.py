"""Escalation targets can act: claim and decide, urge the holder, reassign — and a head's
powers follow the department's head field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from gendan import admin
from gendan.assignment import claim_task, reassign_task, urge_task
from gendan.db import unit_of_work
from gendan.demo import order_form
from gendan.errors import InvalidForm, NotAllowed
from gendan.escalation import escalate_due
from gendan.escalation_view import escalation_view, sees_escalations
from gendan.models import AuditEvent, Department, Notification, Task, User
from gendan.org import Actor, load_actor, role_holders
from gendan.runtime import Runtime
from gendan.transitions import complete_task
from tests.engine.test_escalation import MONDAY_9, at_production_notice

DEADLINE = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 Shanghai: the notice's 4 hours
LEVEL_2 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00 Shanghai: one period later


def who(rt: Runtime, username: str) -> Actor:
    with Session(rt.db) as s:
        return load_actor(s, s.exec(select(User.id).where(User.username == username)).one())


def uid(rt: Runtime, username: str) -> int:
    return who(rt, username).user_id


def claim(rt: Runtime, username: str, task_id: int, now: datetime) -> None:
    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task_id, actor=who(rt, username), now=now)


def reassign(rt: Runtime, username: str, task_id: int, to: str, now: datetime) -> None:
    with unit_of_work(rt.db) as s:
        reassign_task(
            s, task_id=task_id, actor=who(rt, username), to_user_id=uid(rt, to), now=now
        )


def notice_form() -> dict[str, object]:
    keep = ("order_no", "customer", "product", "model_spec", "quantity", "unit", "delivery_date")
    return {k: v for k, v in order_form("SO-30", "repeat", now=MONDAY_9).items() if k in keep}


def test_the_escalated_head_claims_and_decides_audited_as_acting_on_escalation(
    rt: Runtime,
) -> None:
    task = at_production_notice(rt, MONDAY_9)
    with pytest.raises(NotAllowed):  # before the deadline the head is nobody on this task
        claim(rt, "sales_head", task.id, DEADLINE)
    escalate_due(rt, now=DEADLINE)
    with Session(rt.db) as s:
        view = escalation_view(s, who(rt, "sales_head"), now=DEADLINE, calendar=rt.calendar)
        assert [(r.task.id, r.my_level) for r in view.escalated] == [(task.id, 1)]
        assert view.escalated[0].may_reassign and view.escalated[0].customer
        assert sees_escalations(s, uid(rt, "sales_head"))
        assert not sees_escalations(s, uid(rt, "clerk"))
        gm_view = escalation_view(s, who(rt, "gm"), now=DEADLINE, calendar=rt.calendar)
        assert gm_view.escalated == []  # level 2 has not fired yet
    claim(rt, "sales_head", task.id, DEADLINE)
    with unit_of_work(rt.db) as s:
        complete_task(
            s,
            task_id=task.id,
            actor=who(rt, "sales_head"),
            decision="issue_notice",
            form_data=notice_form(),
            now=DEADLINE,
            calendar=rt.calendar,
        )
    with Session(rt.db) as s:
        done = s.get(Task, task.id)
        assert done is not None and done.status == "done"
        assert done.closed_by_id == uid(rt, "sales_head")
        events = s.exec(
            select(AuditEvent).where(AuditEvent.task_id == task.id).order_by(AuditEvent.seq)
        ).all()
    claimed = [e for e in events if e.action == "claim" and e.actor_name]
    assert claimed[-1].detail == {"on_escalation": 1}
    (acting,) = [e for e in events if e.action == "act_on_escalation"]
    assert acting.detail == {"level": 1, "decision": "issue_notice"}


def test_the_gm_office_acts_once_level_two_fires(rt: Runtime) -> None:
    task = at_production_notice(rt, MONDAY_9)
    escalate_due(rt, now=DEADLINE)
    with pytest.raises(NotAllowed):
        claim(rt, "eng_head", task.id, LEVEL_2)  # another department's head: never
    escalate_due(rt, now=LEVEL_2)
    with Session(rt.db) as s:
        view = escalation_view(s, who(rt, "gm"), now=LEVEL_2, calendar=rt.calendar)
        assert [(r.task.id, r.my_level) for r in view.escalated] == [(task.id, 2)]
        # the head told first still sees it, and may still act
        head_view = escalation_view(s, who(rt, "sales_head"), now=LEVEL_2, calendar=rt.calendar)
        assert [r.my_level for r in head_view.escalated] == [1]
    claim(rt, "gm", task.id, LEVEL_2)
    with Session(rt.db) as s:
        assert s.get(Task, task.id).assignee_id == uid(rt, "gm")  # type: ignore[union-attr]


def test_a_head_change_moves_the_heads_powers(rt: Runtime) -> None:
    task = at_production_notice(rt, MONDAY_9)
    reassign(rt, "sales_head", task.id, "clerk", MONDAY_9)  # the head today may reassign
    with unit_of_work(rt.db) as s:
        sales = s.exec(select(Department).where(Department.key == "sales")).one()
        admin.set_department_head(
            s, actor=who(rt, "admin"), now=MONDAY_9, department_id=sales.id,
            user_id=uid(rt, "sales"),
        )
    # the old head keeps the "dept_head" role row, but not the powers: the field decides
    with pytest.raises(NotAllowed):
        reassign(rt, "sales_head", task.id, "clerk", MONDAY_9)
    reassign(rt, "sales", task.id, "clerk", MONDAY_9)
    # tasks offered to the head (报价审核) follow the field too
    assert who(rt, "sales").has_role("dept_head", sales.id)
    assert not who(rt, "sales_head").has_role("dept_head", sales.id)
    with Session(rt.db) as s:
        assert [u.username for u in role_holders(s, "dept_head", sales.id)] == ["sales"]
    escalate_due(rt, now=DEADLINE)
    with Session(rt.db) as s:
        new_head = escalation_view(s, who(rt, "sales"), now=DEADLINE, calendar=rt.calendar)
        old_head = escalation_view(s, who(rt, "sales_head"), now=DEADLINE, calendar=rt.calendar)
        assert [r.task.id for r in new_head.escalated] == [task.id]
        assert old_head.escalated == [] and old_head.overdue == []
        assert not sees_escalations(s, uid(rt, "sales_head"))


def test_a_head_urges_the_holder_with_a_note(rt: Runtime) -> None:
    task = at_production_notice(rt, MONDAY_9)
    escalate_due(rt, now=DEADLINE)
    with unit_of_work(rt.db) as s, pytest.raises(InvalidForm) as bad:
        urge_task(
            s, task_id=task.id, actor=who(rt, "sales_head"), note=" ", now=DEADLINE,
            calendar=rt.calendar,
        )
    assert "note" in bad.value.errors
    with unit_of_work(rt.db) as s, pytest.raises(NotAllowed):
        urge_task(
            s, task_id=task.id, actor=who(rt, "eng_head"), note="快点", now=DEADLINE,
            calendar=rt.calendar,
        )
    with unit_of_work(rt.db) as s:
        told = urge_task(
            s,
            task_id=task.id,
            actor=who(rt, "sales_head"),
            note="客户在催，请今天下班前发出 / the customer is waiting",
            now=DEADLINE,
            calendar=rt.calendar,
        )
    assert [u.username for u in told] == ["clerk"]
    with Session(rt.db) as s:
        (row,) = s.exec(select(Notification).where(Notification.template == "urge")).all()
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "urge")).all()
    assert row.address == "clerk@demo.gendan.local"
    assert row.context["note"].startswith("客户在催") and row.context["by_name"]
    assert row.context["order_no"] == "SO-30" and row.context["customer"]
    assert event.task_id == task.id and event.detail["recipients"] == ["clerk"]
