"""Procedure machines as pure declarations: paths, guards, tasks, and consistency with forms."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from statemachine.exceptions import TransitionNotAllowed

import forms
from gendan.timespec import RECV
from states import PROCEDURES
from states.order_change import CUSTOMER_DECISIONS, ENGINEERING_DECISIONS, OrderChange
from states.order_review import OrderReview, board_join


def machine(proc: Any, state: str | None = None, **data: Any) -> tuple[Any, SimpleNamespace]:
    model = SimpleNamespace(state=state, data=data)
    return proc(model=model, state_field="state"), model


def test_regular_order_goes_to_feasibility_review() -> None:
    m, model = machine(OrderReview, order={"kind": "regular"})
    assert model.state == "requirements"
    m.send("confirm", form={})
    assert model.state == "feasibility_review"


def test_order_covered_by_stock_ships_from_stock() -> None:
    m, model = machine(OrderReview, order={"kind": "regular"}, stock={"covers": True})
    m.send("confirm", form={})
    assert model.state == "ship_from_stock"
    m2, model2 = machine(OrderReview, order={"kind": "non_regular"}, stock={"covers": True})
    m2.send("confirm", form={})
    assert model2.state == "feasibility_review"  # a non-regular order is never off the shelf


def test_repeat_order_goes_to_the_gm_then_the_contract() -> None:
    m, model = machine(OrderReview, order={"kind": "repeat"})
    m.send("confirm", form={})
    assert model.state == "gm_signoff"
    m.send("sign", form={})
    assert model.state == "awaiting_contract"  # the payment gate still applies (001M 1.4)


@pytest.mark.parametrize(
    ("form", "credit", "target"),
    [
        ({"payment_received": True}, False, "production_notice"),
        ({"payment_received": False}, True, "production_notice"),
        ({"payment_received": False}, False, "awaiting_payment"),
    ],
)
def test_payment_gate(form: dict[str, bool], credit: bool, target: str) -> None:
    m, model = machine(OrderReview, "awaiting_contract", order={"credit_terms": credit}, forms={})
    m.send("contract_signed", form=form)
    assert model.state == target


def test_negotiation_guard_splits_on_customer_answer() -> None:
    m, model = machine(OrderReview, "negotiating", order={"kind": "regular"}, forms={})
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


def test_board_grows_with_the_kind() -> None:
    def roles(order: dict[str, Any]) -> list[str]:
        return [t.role for t in OrderReview.tasks_for("feasibility_review", {"order": order})]

    regular = ["sales_clerk", "production_manager", "material_controller"]
    assert roles({"kind": "regular"}) == regular
    assert roles({"kind": "non_regular"})[3:] == ["engineering", "qa_lead"]
    assert roles({"kind": "non_regular", "special": True})[-1] == "merchandising_lead"
    assert roles({"kind": "regular", "outsourced_work": True})[-1] == "outsourcing_coordinator"


def test_countersign_join_any_infeasible_decides() -> None:
    assert board_join([{"feasible": True}, {"feasible": True}]) == "feasible"
    assert board_join([{"feasible": True}, {"feasible": False}]) == "infeasible"


def test_change_classification_paths() -> None:
    assert set(OrderChange.events_from("received")) == {
        *CUSTOMER_DECISIONS,
        *ENGINEERING_DECISIONS,
    }
    for event, target in [
        ("classify_minor", "production_adjust"),
        ("classify_delivery", "delivery_rereview"),
        ("classify_structural", "structural_review"),
        ("classify_cancel", "cancel_signoff"),
        ("tech_minor", "archive"),
        ("tech_major", "tech_decision"),
    ]:
        m, model = machine(OrderChange, request={"source": "customer"})
        m.send(event, form={})
        assert model.state == target


def test_each_source_gets_its_own_classifier_and_decisions() -> None:
    (eng,) = OrderChange.tasks_for("received", {"request": {"source": "engineering"}})
    (sales,) = OrderChange.tasks_for("received", {"request": {"source": "customer"}})
    assert eng.role == "engineering" and set(eng.decisions) == set(ENGINEERING_DECISIONS)
    assert "classify_cancel" not in eng.decisions and "classify_delivery" not in eng.decisions
    assert sales.role == "sales_clerk" and set(sales.decisions) == set(CUSTOMER_DECISIONS)
    for spec in (eng, sales):
        assert spec.deadline is not None and spec.deadline.start == RECV
        assert str(spec.deadline.sla) == "30 minutes"


def test_change_source_must_match_the_role() -> None:
    assert OrderChange.start_refusal({"engineering"}, {"source": "customer"})
    assert OrderChange.start_refusal({"sales_clerk"}, {"source": "engineering"})
    assert OrderChange.start_refusal({"sales_clerk"}, {"source": "customer"}) is None
    assert OrderChange.start_refusal({"engineering"}, {"source": "engineering"}) is None


def test_production_notice_four_hours_from_the_gate() -> None:
    (task,) = OrderReview.tasks_for("production_notice", {})
    assert task.role == "sales_clerk" and task.deadline is not None
    assert task.deadline.label("en") == "4 working hours from signing + payment"


@pytest.mark.parametrize("proc", list(PROCEDURES.values()), ids=list(PROCEDURES))
def test_declarations_are_consistent(proc: Any) -> None:
    """Every event has its Step, every form exists, every waiting state has tasks with a
    deadline, every decision a task offers leaves its state."""
    events = {e.id for e in proc.events}
    assert events == set(proc.steps), "steps and machine events differ"
    assert proc.start_form in forms.REGISTRY
    for step in proc.steps.values():
        assert step.form is None or step.form in forms.REGISTRY
        if step.fixed:
            fields = forms.get_form(step.form).model_fields
            assert set(step.fixed) <= set(fields)
        for field, path in step.locked.items():
            assert field in forms.get_form(step.form).model_fields
            assert path.split(".")[0] in ("order", "agreed")
    for state in proc.states:
        wait = proc.wait_for(state.id)
        if state.final:
            assert wait is None
            continue
        assert wait is not None, f"{state.id} waits for nobody"
        if wait.automatic is not None:  # done by a flow: its outcomes leave the state
            assert set(wait.automatic.outcomes) <= set(proc.events_from(state.id))
            continue
        assert wait.tasks or wait.children, f"{state.id} waits for nobody"
        assert all(t.deadline is not None for t in wait.tasks)
        assert all(t.when is None or t.when in proc.predicates for t in wait.tasks)
        for t in wait.tasks:
            assert set(t.decisions) <= set(proc.events_from(state.id))
        if wait.countersign:
            assert wait.countersign.form in forms.REGISTRY
