"""Procedure machines as pure declarations: paths, guards, tasks, and consistency with forms."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from statemachine.exceptions import TransitionNotAllowed

import forms
from states import PROCEDURES
from states.order_change import OrderChange
from states.order_review import OrderReview, all_feasible


def machine(proc: Any, state: str | None = None, **data: Any) -> tuple[Any, SimpleNamespace]:
    model = SimpleNamespace(state=state, data=data)
    return proc(model=model, state_field="state"), model


def test_regular_order_goes_to_feasibility_review() -> None:
    m, model = machine(OrderReview, order={"kind": "regular"})
    assert model.state == "requirements"
    m.send("confirm", form={})
    assert model.state == "feasibility_review"


def test_repeat_order_goes_to_the_gm_only() -> None:
    m, model = machine(OrderReview, order={"kind": "repeat"})
    m.send("confirm", form={})
    assert model.state == "gm_signoff"
    m.send("sign", form={})
    assert model.state == "production_notice"


def test_negotiation_guard_splits_on_customer_answer() -> None:
    m, model = machine(OrderReview, "negotiating", order={"kind": "regular"})
    m.send("record_negotiation", form={"customer_accepts": True})
    assert model.state == "feasibility_review"
    m2, model2 = machine(OrderReview, "negotiating", order={"kind": "regular"})
    m2.send("record_negotiation", form={"customer_accepts": False})
    assert model2.state == "decline_approval"


def test_illegal_event_is_refused() -> None:
    m, model = machine(OrderReview, "quoting")
    with pytest.raises(TransitionNotAllowed):
        m.send("issue_notice")
    assert model.state == "quoting"


def test_non_regular_review_adds_engineering() -> None:
    regular = OrderReview.tasks_for("feasibility_review", {"order": {"kind": "regular"}})
    non_regular = OrderReview.tasks_for("feasibility_review", {"order": {"kind": "non_regular"}})
    assert [t.role for t in regular] == ["sales_clerk", "production_manager", "material_controller"]
    assert [t.role for t in non_regular][-1] == "engineering" and len(non_regular) == 4


def test_countersign_join_any_infeasible_decides() -> None:
    assert all_feasible([{"feasible": True}, {"feasible": True}]) == "feasible"
    assert all_feasible([{"feasible": True}, {"feasible": False}]) == "infeasible"


def test_change_notice_classification_offers_four_paths() -> None:
    assert OrderChange.events_from("received") == [
        "classify_minor",
        "classify_delivery",
        "classify_structural",
        "cancel_order",
    ]
    for event, target in [
        ("classify_minor", "production_adjust"),
        ("classify_delivery", "delivery_rereview"),
        ("classify_structural", "structural_review"),
        ("cancel_order", "cancelled"),
    ]:
        m, model = machine(OrderChange, request={"source": "customer"})
        m.send(event, form={})
        assert model.state == target


def test_change_from_engineering_goes_to_engineering() -> None:
    tasks = OrderChange.tasks_for("received", {"request": {"source": "engineering"}})
    assert [(t.role, str(t.sla)) for t in tasks] == [("engineering", "30 minutes")]
    tasks = OrderChange.tasks_for("received", {"request": {"source": "customer"}})
    assert [(t.role, str(t.sla)) for t in tasks] == [("sales_clerk", "30 minutes")]


def test_production_notice_has_a_four_hour_sla() -> None:
    (task,) = OrderReview.tasks_for("production_notice", {})
    assert (task.role, str(task.sla)) == ("sales_clerk", "4 hours")


@pytest.mark.parametrize("proc", list(PROCEDURES.values()), ids=list(PROCEDURES))
def test_declarations_are_consistent(proc: Any) -> None:
    """Every event has its Step, every form exists, every waiting state has tasks with an SLA."""
    events = {e.id for e in proc.events}
    assert events == set(proc.steps), "steps and machine events differ"
    assert proc.start_form in forms.REGISTRY
    for step in proc.steps.values():
        assert step.form is None or step.form in forms.REGISTRY
        if step.fixed:
            fields = forms.get_form(step.form).model_fields
            assert set(step.fixed) <= set(fields)
    for state in proc.states:
        wait = proc.wait_for(state.id)
        if state.final:
            assert wait is None
            continue
        assert wait is not None and wait.tasks, f"{state.id} waits for nobody"
        assert all(t.sla is not None for t in wait.tasks)
        assert all(t.when is None or t.when in proc.predicates for t in wait.tasks)
        if wait.countersign:
            assert wait.countersign.form in forms.REGISTRY
