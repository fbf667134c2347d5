"""§3 production planning as a pure machine: the variant picks the planner, paths and guards,
the tasks each state opens with the deadline kinds and chains of PROCEDURES.md §3."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from gendan.settings import get_settings
from gendan.timespec import RECV
from states.production_plan import FOLLOW_UP_CHAIN, ProductionPlan


def machine(state: str | None = None, **data: Any) -> tuple[ProductionPlan, SimpleNamespace]:
    model = SimpleNamespace(state=state, data=data)
    return ProductionPlan(model=model, state_field="state"), model


@pytest.fixture
def variant(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def set_to(name: str) -> None:
        monkeypatch.setenv("GENDAN_PLANNING_VARIANT", name)
        get_settings.cache_clear()

    yield set_to
    get_settings.cache_clear()


def roles(state: str, **data: Any) -> list[str]:
    return [t.role for t in ProductionPlan.tasks_for(state, data)]


def test_single_variant_the_production_manager_decomposes(variant: Any) -> None:
    variant("single")
    [other] = ProductionPlan.tasks_for("planning", {"order": {"complete_set": False}})
    [whole] = ProductionPlan.tasks_for("planning", {"order": {"complete_set": True}})
    assert other.role == whole.role == "production_manager"
    assert other.deadline is not None and whole.deadline is not None
    assert (other.deadline.basis, str(other.deadline.sla), other.deadline.start) == (
        "WH",
        "4 hours",
        RECV,
    )
    assert (whole.deadline.basis, whole.deadline.seed) == ("day-hours", "24小时")
    m, model = machine(order={})
    m.send("plan", form={})
    assert model.state == "signing"


def test_pmc_variant_the_planner_copies_mc_then_distributes(variant: Any) -> None:
    variant("pmc")
    [task] = ProductionPlan.tasks_for("planning", {"order": {}})
    assert task.role == "production_planner" and task.deadline is not None
    assert (task.deadline.basis, str(task.deadline.sla)) == ("WM", "30 minutes")
    m, model = machine(order={})
    m.send("plan", form={})
    assert model.state == "distributing"
    m.send("distribute", form={})
    m.send("approve_plan", form={})
    assert model.state == "signing"


def test_countersign_grows_with_design_and_invited_qa() -> None:
    assert roles("signing", order={}) == ["workshop_director", "purchasing_lead"]
    grown = roles("signing", order={"kind": "non_regular"},
                  forms={"plan": {"meeting": "non_regular", "invite_qa": True}})  # fmt: skip
    assert grown[2:] == ["engineering", "qa_lead"]


def test_objection_window_closes_by_itself_and_a_moved_date_goes_to_merchandising() -> None:
    window = ProductionPlan.wait_for("objection_window")
    assert window is not None and window.window is not None
    assert (window.window.on_silence, window.window.objection) == ("accepted", "objected")
    m, model = machine("settlement")
    m.send("settle", form={"moved_delivery_date": "2027-01-08"})
    assert model.state == "date_referral"
    m2, model2 = machine("settlement")
    m2.send("settle", form={"decision": "ok"})
    assert model2.state == "prestart"
    [settle] = ProductionPlan.tasks_for("settlement", {})
    assert settle.chain == ("role:general_manager",)


def test_in_production_tasks_follow_the_data() -> None:
    fresh = {"order": {"complete_set": False}, "forms": {}}
    assert roles("in_production", **fresh) == [
        "production_manager",
        "merchandiser",
        "workshop_director",
    ]
    followed = {"order": {}, "forms": {"follow_up_ok": {}, "daily_report": {}}}
    assert roles("in_production", **followed) == ["production_manager", "workshop_director"]
    follow = next(t for t in ProductionPlan.tasks_for("in_production", fresh)
                  if t.role == "merchandiser")  # fmt: skip
    assert follow.chain == FOLLOW_UP_CHAIN
    assert follow.opens is not None and follow.opens.field == "order.delivery_date"
    assert follow.deadline is not None and follow.deadline.before == (3, 2)


def test_payment_is_chased_until_paid_in_full() -> None:
    m, model = machine("delivered")
    m.send("record_payment", form={"paid_in_full": False})
    assert model.state == "delivered"
    m.send("record_payment", form={"paid_in_full": True})
    assert model.state == "paid"
    chased = {"forms": {"chase_payment": {}}}
    [weekly] = ProductionPlan.tasks_for("delivered", chased)
    assert weekly.deadline is not None and str(weekly.deadline.sla) == "5 working days"


def test_every_date_anchored_task_opens_on_its_first_day() -> None:
    for state in ProductionPlan.states:
        wait = ProductionPlan.wait_for(state.id)
        for spec in wait.tasks if wait else ():
            if spec.opens is not None and spec.role != "engineering":  # design: start → finish
                assert spec.deadline is not None and spec.deadline.before is not None
                assert spec.deadline.start == f"date:{spec.opens.field}"
                assert spec.opens.days_before == spec.deadline.before[0]


def test_the_plan_goes_to_rd_too_when_there_is_design_work() -> None:
    plain = roles("objection_window", order={})
    assert "engineering" not in plain and "sales_clerk" in plain
    assert roles("objection_window", order={"kind": "non_regular"})[-1] == "engineering"
