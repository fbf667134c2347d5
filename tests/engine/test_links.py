"""Linked instances (issue 9 mechanism 1): a state starts sub-procedures, the parent waits for
them and resumes; a cancelled order stops them. Real database, time injected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

import states
from gendan.db import unit_of_work
from gendan.demo import Driver, acknowledge, order_form, review_to_notice, step_forms
from gendan.escalation import escalate_due
from gendan.links import children_of, links_view, order_links
from gendan.models import InstanceLink, Notification, Task, Timer
from gendan.runtime import Runtime
from states.base import Child, OnEnter
from tests.engine.helpers import events, instance, open_tasks, order
from tests.engine.linked_procedures import LinkParent, register


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    registry = dict(states.PROCEDURES)
    register(registry)
    for key, proc in registry.items():
        monkeypatch.setitem(states.PROCEDURES, key, proc)
    yield


def launched(driver: Driver, no: str) -> tuple[int, int]:
    """A parent on a new order, moved to the state that starts its child; (parent, child)."""
    parent = driver.start("test_link_parent", "clerk", order_form(no, "regular", now=driver.now))
    driver.act(parent, "clerk", "launch")
    with Session(driver.rt.db) as s:
        [child] = children_of(s, parent)
    assert child.id is not None
    return parent, child.id


def test_entering_the_state_starts_the_child_linked_audited_and_urgent(
    rt: Runtime, driver: Driver
) -> None:
    parent, child = launched(driver, "SO-L1")
    kid = instance(rt, child)
    assert (kid.procedure, kid.state, kid.order_no) == ("test_link_child", "working", "SO-L1")
    assert kid.data["urgent"] is True
    assert kid.data["start"]["remarks"] == "from parent"  # the Child's data function
    assert kid.created_at == driver.now
    with Session(rt.db) as s:
        [link] = s.exec(select(InstanceLink)).all()
        assert (link.parent_id, link.child_id, link.parent_state, link.urgent) == (
            parent, child, "waiting", True,
        )  # fmt: skip
        view = links_view(s, child)
        assert view["parent"]["id"] == parent and view["children"] == []
        assert [c["id"] for c in links_view(s, parent)["children"]] == [child]
        [row] = order_links(s, "SO-L1")
        assert (row["parent"]["id"], row["child"]["id"], row["child"]["urgent"]) == (
            parent, child, True,
        )  # fmt: skip
    started = [e for e in events(rt, parent) if e.action == "child_started"]
    assert [(e.actor_name, e.detail["child_id"], e.detail["urgent"]) for e in started] == [
        ("system", child, True)
    ]  # the unregistered child procedure is skipped, not an error
    [start] = [e for e in events(rt, child) if e.action == "start"]
    assert (start.actor_name, start.detail["parent_id"]) == ("system", parent)
    assert [t.title_en for t in open_tasks(rt, child)] == ["Finish the child"]
    assert instance(rt, parent).state == "waiting"


def test_urgent_child_escalates_as_urgent(rt: Runtime, driver: Driver) -> None:
    _, child = launched(driver, "SO-L2")
    [task] = open_tasks(rt, child)
    assert task.due_at is not None
    escalate_due(rt, now=task.due_at + timedelta(minutes=1))
    with Session(rt.db) as s:
        [timer] = s.exec(select(Timer).where(Timer.task_id == task.id, Timer.level == 1)).all()
        notes = s.exec(select(Notification).where(Notification.cause == f"timer:{timer.id}"))
        assert {n.urgent for n in notes} == {True}


def test_parent_waits_for_the_child_and_resumes_when_it_closes(rt: Runtime, driver: Driver) -> None:
    parent, child = launched(driver, "SO-L3")
    version = instance(rt, parent).version
    driver.act(child, "clerk", "finish")
    kid, par = instance(rt, child), instance(rt, parent)
    assert kid.state == "finished" and kid.closed_at is not None
    assert par.state == "done" and par.closed_at is not None
    assert par.version == version + 1
    assert par.data["children"]["test_link_child"] == {
        "id": child, "state": "finished", "stopped": False,
    }  # fmt: skip
    trail = [(e.action, e.actor_name) for e in events(rt, parent)]
    assert trail[-2:] == [("child_closed", "system"), ("transition", "system")]
    resumed = events(rt, parent)[-1]
    assert resumed.detail["event"] == "children_done"
    assert resumed.detail["cause"] == "children_done" and resumed.detail["children"] == [child]
    assert open_tasks(rt, parent) == []  # the parent's own task of the waiting state closed


def test_cancelling_the_order_stops_the_children(rt: Runtime, driver: Driver) -> None:
    parent, child = launched(driver, "SO-L4")
    driver.act(parent, "clerk", "cancel_order", reason="customer withdrew")
    kid = instance(rt, child)
    assert kid.closed_at is not None and kid.data["stopped_by"] == parent
    assert open_tasks(rt, child) == []
    with Session(rt.db) as s:
        statuses = {t.status for t in s.exec(select(Task).where(Task.instance_id == child))}
        assert statuses == {"cancelled"}
    assert order(rt, "SO-L4").status == "cancelled"
    assert [e.action for e in events(rt, child)][-1] == "stop"
    assert instance(rt, parent).state == "cancelled"


def test_a_child_that_cancels_the_order_stops_its_parent(rt: Runtime, driver: Driver) -> None:
    parent, child = launched(driver, "SO-L5")
    driver.act(child, "clerk", "cancel_order", reason="customer withdrew")
    par = instance(rt, parent)
    assert par.closed_at is not None and par.data["stopped_by"] == child
    assert par.state == "waiting"  # stopped where it stood, not resumed
    assert "child_closed" not in [e.action for e in events(rt, parent)]
    assert open_tasks(rt, parent) == []


def test_a_failing_child_start_rolls_the_parents_move_back(
    rt: Runtime, driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = order_form("SO-L6", "regular", now=driver.now)
    parent = driver.start("test_link_parent", "clerk", form)
    bad = dict(LinkParent.entering)
    bad["waiting"] = OnEnter(starts=(Child("test_link_child", data=lambda d: {"copies": 0}),))
    monkeypatch.setattr(LinkParent, "entering", bad)
    with pytest.raises(Exception):  # noqa: B017 - the child's form is invalid: nothing written
        driver.act(parent, "clerk", "launch")
    assert instance(rt, parent).state == "drafting"
    with unit_of_work(rt.db) as s:
        assert s.exec(select(InstanceLink)).all() == []


def test_the_confirmed_production_notice_starts_the_plan(rt: Runtime, driver: Driver) -> None:
    """§1 → §3 (001M 2): production confirming the 生产通知单 starts production planning as a
    linked sub-procedure; releasing and a second confirmation start no second plan."""
    form = order_form("SO-L7", "regular", now=driver.now)
    review = driver.start("order_review", "clerk", form)
    review_to_notice(driver, review, form)
    f = step_forms(form, driver.now)
    driver.act(review, "clerk", "issue_notice", f["notice"])
    with Session(rt.db) as s:
        assert children_of(s, review) == []  # issued, not yet confirmed
    driver.act(review, "prod_mgr", "confirm_notice", f["confirmation"])
    with Session(rt.db) as s:
        [plan] = children_of(s, review)
    assert (plan.procedure, plan.order_no, plan.closed_at) == ("production_plan", "SO-L7", None)
    assert plan.data["plan_start"]["order_no"] == "SO-L7"
    assert open_tasks(rt, plan.id or 0)  # planning is someone's task now
    [started] = [e for e in events(rt, review) if e.action == "child_started"]
    assert started.detail["procedure"] == "production_plan" and started.actor_name == "system"
    acknowledge(driver, review)
    assert instance(rt, review).state == "released"
    with Session(rt.db) as s:
        assert [c.id for c in children_of(s, review)] == [plan.id]
